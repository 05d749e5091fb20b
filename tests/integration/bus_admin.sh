#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Attacks on the cluster bus and on the admin socket (issue 14 items 9 and 11,
# docs/security.md "Cluster bus" and "Admin socket"), each shown failing with the
# counter that saw it. Three nodes with static peers; the attacker is the client
# namespace, on the same segment.
#   bus   1. datagrams node 1 sent to node 2 (heartbeats, the replication of a
#            REGISTER, digests), captured on node 2's link and replayed
#            to node 3 (as node 1: source address and port): the MAC covers the
#            receiver, so node 3 refuses every one (cluster.rejects.bad_hmac);
#         2. the same frames replayed to node 2 itself: their sequence numbers
#            are spent (cluster.stale_seq for heartbeats, cluster.replayed for
#            replication and tag messages), node 1 stays up, nothing changes;
#         3. after node 1 restarts (a new, higher incarnation), the old run's
#            frames again: refused (cluster.stale_incarnation), node 1 keeps
#            its new incarnation on node 2.
#   admin 4. the socket is created 0660; a client of another uid that can open
#            it anyway (mode widened by hand) is refused by its peer
#            credentials (admin.denied) and gets no answer to its request;
#         5. a client that writes 300 requests at once is answered in full and
#            in order, 16 per poll (admin.deferred), while a second client is
#            answered too and the cluster stays up;
#         6. shard questions (contacts count, contacts show) are answered
#            through the admin slots, without the loop waiting (admin.waited).
. "$(dirname "$0")/lib.bash"

N=3
lab_up "$N"
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
peers() {
	local i=$1 j out=""
	for j in $(seq 1 "$N"); do [ "$j" = "$i" ] || out="$out{id: $j, address: 198.18.0.$j}, "; done
	echo "  nodes: [${out%, }]"
}
for i in $(seq 1 "$N"); do
	cluster_config "$i" "$WORK/cluster.key" "$(peers "$i")"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
wait_state 10 up 2 1 3 && wait_state 10 up 3 1 2 || fail "the 3 nodes see each other up"

# cstat I KEY: a counter of node I's `sipshardctl stats` (dotted path).
cstat() {
	ctl "$1" --json stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print(d)' "$2"
}
# incarnation I J: the incarnation node I knows for node J.
incarnation() {
	ctl "$1" --json nodes | python3 -c '
import json, sys
print(next(n["incarnation"] for n in json.load(sys.stdin)["nodes"] if n["id"] == int(sys.argv[1])))' "$2"
}

# ---- bus ----
# 3 s of node 1's datagrams to node 2, seen on node 2's link: heartbeats, and the
# replication of a REGISTER sent to node 1 meanwhile (and digests, acks).
CAP=$WORK/n1-to-n2.pcap
client_neigh 198.18.0.1 && client_neigh 198.18.0.2 && client_neigh 198.18.0.3 ||
	fail "client resolves the nodes"
ip netns exec "$LAB-n2" timeout 3 tcpdump -i "${LAB}n2" -U -w "$CAP" \
	"udp and src host 198.18.0.1 and dst host 198.18.0.2 and dst port 5800" >/dev/null 2>&1 &
TCPDUMP=$!
sleep 0.5
code=$(cl python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 5070))
s.settimeout(2)
s.sendto(("REGISTER sip:example.com SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bK-ba-1;rport\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:replay@example.com>;tag=1\r\n"
          "To: <sip:replay@example.com>\r\nCall-ID: ba-1@198.18.0.100\r\nCSeq: 1 REGISTER\r\n"
          "Contact: <sip:replay@198.18.0.100:5070>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n").encode(),
         ("198.18.0.1", 5060))
print(s.recv(4096).split(b" ")[1].decode())' 2>&1)
wait "$TCPDUMP"
# types T: the wire types of the captured datagrams (byte 5 of the payload)
types=$(python3 - "$CAP" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off, t = 24, []
while off + 16 <= len(d):
    incl = struct.unpack_from("<I", d, off + 8)[0]
    f = d[off + 16:off + 16 + incl]
    off += 16 + incl
    t.append(f[14 + (f[14] & 15) * 4 + 8 + 5])
print(" ".join(map(str, t)))
PY
)
other=$(for x in $types; do [ "$x" -ge 16 ] && echo "$x"; done | wc -l)
check "REGISTER at node 1 -> $code; captured $(echo "$types" | wc -w) datagrams of node 1 to node 2 (types: $types), $other of them replication or tags" \
	test "$code" = 200 -a "$other" -ge 1
mac_of() { cl ip neigh show to "$1" dev "${LAB}cl" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
# replay I: the captured UDP payloads to node I, from 198.18.0.1:5800 (the
# client's own MAC; IPv4 header rebuilt, UDP checksum 0).
replay() {
	cl python3 - "$CAP" "${LAB}cl" "$(mac_of "198.18.0.$1")" "198.18.0.$1" <<'PY'
import socket, struct, sys
cap, ifname, dmac, dst = sys.argv[1:5]
d = open(cap, "rb").read()
off, payloads = 24, []
while off + 16 <= len(d):
    incl = struct.unpack_from("<I", d, off + 8)[0]
    f = d[off + 16:off + 16 + incl]
    off += 16 + incl
    ihl = (f[14] & 15) * 4
    payloads.append(f[14 + ihl + 8:])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
smac = open("/sys/class/net/%s/address" % ifname).read().strip()
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
for p in payloads:
    udp = struct.pack("!HHHH", 5800, 5800, 8 + len(p), 0) + p
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton("198.18.0.1"), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"
    s.send(eth + ip + udp)
print(len(payloads))
PY
}

b0=$(cstat 3 cluster.rejects.bad_hmac) d0=$(cstat 3 cluster.decoded)
sent=$(replay 3)
sleep 0.5
b1=$(cstat 3 cluster.rejects.bad_hmac) d1=$(cstat 3 cluster.decoded)
check "1. $sent frames for node 2 replayed to node 3 as node 1: refused, bad_hmac +$((b1 - b0)) (of $sent)" \
	test "$((b1 - b0))" -eq "${sent:-0}" -a "${sent:-0}" -gt 0

s0=$(cstat 2 cluster.stale_seq) r0=$(cstat 2 cluster.replayed) inc0=$(incarnation 2 1)
sent=$(replay 2)
sleep 0.5
s1=$(cstat 2 cluster.stale_seq) r1=$(cstat 2 cluster.replayed)
check "2. the same $sent frames replayed to node 2: spent sequence numbers, stale_seq +$((s1 - s0)) (topology) replayed +$((r1 - r0)) (replication, tags)" \
	test "$((s1 - s0 + r1 - r0))" -eq "${sent:-0}" -a "$((r1 - r0))" -eq "$other" -a "${sent:-0}" -gt 0
check "... node 2 holds the REGISTER's one binding, as node 1 does" \
	test "$(ctl 2 --json contacts show replay@example.com | grep -o '"uri"' | wc -l)" = 1
check "... node 1 still up on node 2 with its incarnation ($(node_state 2 1), $inc0)" \
	test "$(node_state 2 1)" = up -a "$(incarnation 2 1)" = "$inc0"

kill -TERM "${CP_PID[1]}"; wait_gone "${CP_PID[1]}" 10; unset "CP_PID[1]"
stop_node 1 || fail "node 1 stops"
start_node 1 && start_cp 1 || { fail "node 1 restarts"; exit 1; }
wait_state 10 up 2 1 || fail "restarted node 1 up on node 2"
inc1=$(incarnation 2 1)
check "node 1 restarted with a higher incarnation ($inc0 -> $inc1)" test "$inc1" -gt "$inc0"
si0=$(cstat 2 cluster.stale_incarnation)
sent=$(replay 2)
sleep 0.5
si1=$(cstat 2 cluster.stale_incarnation)
check "3. the old run's $sent frames to node 2: refused, stale_incarnation +$((si1 - si0))" \
	test "$((si1 - si0))" -eq "${sent:-0}" -a "${sent:-0}" -gt 0
check "... node 1 keeps its new incarnation on node 2 and stays up ($(node_state 2 1), $(incarnation 2 1))" \
	test "$(node_state 2 1)" = up -a "$(incarnation 2 1)" = "$inc1"

# ---- admin ----
SOCK=$WORK/n1.sock
check "4. the admin socket is created 0660 ($(stat -c %a "$SOCK"))" test "$(stat -c %a "$SOCK")" = 660
chmod 711 "$WORK"
chmod 666 "$SOCK"              # an operator's mistake: anyone may open it
den0=$(cstat 1 admin.denied)
got=$(runuser -u nobody -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(5)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
try:
    s.sendall(b"nodes\n")
    more = s.recv(65536)
except OSError:
    more = b""
print(out.decode().strip() + more.decode().strip())' "$SOCK" 2>&1)
chmod 660 "$SOCK"; chmod 700 "$WORK"
den1=$(cstat 1 admin.denied)
check "... a client of uid nobody is refused by its credentials: '$got', admin.denied +$((den1 - den0))" \
	test "$got" = '{"ok":false,"error":"permission denied"}' -a "$((den1 - den0))" -eq 1

def0=$(cstat 1 admin.deferred)
out=$(python3 -c '
import socket, sys
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); a.connect(sys.argv[1])
b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); b.connect(sys.argv[1])
a.sendall(b"".join(b"status\n" if i % 2 else b"nodes\n" for i in range(300)))
b.sendall(b"tags\n")
def lines(s, n):
    s.settimeout(10)
    buf = b""
    while buf.count(b"\n") < n:
        x = s.recv(1 << 20)
        if not x:
            break
        buf += x
    return buf.decode().splitlines()
la, lb = lines(a, 300), lines(b, 1)
order = all(("\"nodes\":" in l) == (i % 2 == 0) and "\"ok\":true" in l for i, l in enumerate(la))
print(len(la), "ordered" if order else "disordered", len(lb), "ok" if lb and "\"ok\":true" in lb[0] else "bad")' "$SOCK")
def1=$(cstat 1 admin.deferred)
check "5. 300 requests written at once: all answered, in order; the other client answered ($out)" \
	test "$out" = "300 ordered 1 ok"
check "... served 16 per poll: admin.deferred +$((def1 - def0))" test "$((def1 - def0))" -ge 1
check "... the cluster stayed up (node 1 sees $(node_state 1 2)/$(node_state 1 3))" \
	test "$(node_state 1 2)" = up -a "$(node_state 1 3)" = up

# restarted node 1 got the REGISTER's binding back by its sync
t=0
until ctl 1 --json contacts count | grep -q '"aors":1,"contacts":1'; do
	[ "$t" -ge 100 ] && break
	sleep 0.1; t=$((t + 1))
done
w0=$(cstat 1 admin.waited)
bad=0
for k in $(seq 1 10); do
	ctl 1 --json contacts count | grep -q '"aors":1,"contacts":1' || bad=$((bad + 1))
done
ctl 1 --json contacts show replay@example.com | grep -q '"uri":"sip:replay@198.18.0.100:5070"' ||
	bad=$((bad + 1))
ctl 1 --json contacts show nobody@example.com | grep -q '"aor":"nobody@example.com","contacts":\[\]' ||
	bad=$((bad + 1))
w1=$(cstat 1 admin.waited)
check "6. contacts count x10 and contacts show x2 answered right ($bad wrong), through the shards' admin slots: admin.waited +$((w1 - w0))" \
	test "$bad" = 0 -a "$((w1 - w0))" -ge 1
for i in $(seq 1 "$N"); do check "node $i alive" node_alive "$i"; done
exit 0
