#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Pool exhaustion by fragments (issue 14 item 7, docs/security.md "Big messages and
# the packet pool"): 20,000 first fragments that never complete (each its own
# datagram: id and source port differ), with a REGISTER after every 100 of them.
# af_packet cannot carry this attack (its fanout reassembles fragments in the
# kernel before the node sees one), so the node reads the traffic from a pcap file
# (net_pcap rx_pcap, every frame delivered, none lost to a ring) and writes what
# it sends to another (tx_pcap). Reassembly may hold at most frag_max_flows
# fragments per lcore: the rest are dropped (frag_over_budget, or by the table),
# the pool never runs dry, and every one of the 200 REGISTERs gets its 200 OK.
. "$(dirname "$0")/lib.bash"

lab_up 1
FRAGS=20000
EVERY=100
python3 - "$WORK/in.pcap" "$FRAGS" "$EVERY" <<'PY'
import socket, struct, sys
path, frags, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bcast, src_mac = b"\xff" * 6, bytes.fromhex("020000000064")

def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff

def ip4(payload, ident, flags_off, src):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xffff, flags_off, 64,
                    17, 0, socket.inet_aton(src), socket.inet_aton("198.18.0.1"))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

out = open(path, "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
def frame(b):
    out.write(struct.pack("<IIII", 0, 0, len(b), len(b)) + b)

n_reg = 0
for i in range(frags):
    # the first 1000 bytes of a 3000-byte UDP datagram: MF set, offset 0
    udp = struct.pack("!HHHH", 10000 + i % 50000, 5060, 3000, 0) + b"F" * 992
    frame(bcast + src_mac + b"\x08\x00" + ip4(udp, i, 0x2000, "198.18.0.100"))
    if i % every == every - 1:
        body = ("REGISTER sip:example.com SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 198.18.0.101:5060;branch=z9hG4bK-ff-%d\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:u%d@example.com>;tag=%d\r\n"
                "To: <sip:u%d@example.com>\r\nCall-ID: ff-%d\r\nCSeq: 1 REGISTER\r\n"
                "Contact: <sip:u%d@198.18.0.101:5060>\r\nExpires: 600\r\n"
                "Content-Length: 0\r\n\r\n" % (n_reg, n_reg, n_reg, n_reg, n_reg, n_reg)).encode()
        udp = struct.pack("!HHHH", 5060, 5060, 8 + len(body), 0) + body
        frame(bcast + src_mac + b"\x08\x00" + ip4(udp, 60000 + n_reg, 0, "198.18.0.101"))
        n_reg += 1
out.close()
PY
cat > "$WORK/n1.yaml" <<YAML
node:
  id: 1
dataplane:
  file_prefix: ${LAB}1
  eal: ["-l", "0-1", "--no-pci", "--log-level=*:info"]
  workers: 1
  idle: adaptive
  mbuf_size: 2176
  frag_max_flows: 256
  ports:
    - device: "net_pcap0,rx_pcap=$WORK/in.pcap,tx_pcap=$WORK/out.pcap"
      ipv4: 198.18.0.1/24
sip:
  port: 5060
  domains: [example.com]
YAML
start_node 1 || { fail "node 1 starts on net_pcap"; exit 1; }
pass "node 1 starts on net_pcap (rx $FRAGS first fragments and $((FRAGS / EVERY)) REGISTERs)"
# until the worker has read every frame of the file
want=$((FRAGS + FRAGS / EVERY)) t=0
until [ "$(dpstat 1 rx_pkts)" -ge "$want" ]; do
	[ "$t" -ge 300 ] && break
	sleep 0.1; t=$((t + 1))
done
st=$(tel 1 /sipshard/stats)
check "the node read all $want frames ($(dpstat 1 rx_pkts))" test "$(dpstat 1 rx_pkts)" -ge "$want"
read -r fragrx overb failed nombuf < <(python3 -c '
import json, sys
d = json.loads(sys.argv[1]); dr = d["drops"]
print(d["frag_rx"], dr["frag_over_budget"], dr.get("frag_failed", 0),
      sum(v for k, v in dr.items() if "no_mbuf" in k))' "$st")
check "the fragments were seen ($fragrx) and reassembly refused what is over its budget (frag_over_budget $overb, frag_failed $failed)" \
	test "$fragrx" -eq "$FRAGS" -a "$overb" -gt 0
check "no packet lost for want of an mbuf (no_mbuf drops: $nombuf)" test "$nombuf" -eq 0
check "node alive, SIGTERM: clean exit 0" stop_node 1
ok=$(python3 - "$WORK/out.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off + 16 <= len(d):
    incl = struct.unpack_from("<I", d, off + 8)[0]
    if b"SIP/2.0 200 OK" in d[off + 16:off + 16 + incl]:
        n += 1
    off += 16 + incl
print(n)
PY
)
check "every REGISTER got its 200 OK through the flood ($ok of $((FRAGS / EVERY)))" test "$ok" -eq $((FRAGS / EVERY))
exit 0
