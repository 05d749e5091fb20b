#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One node on a lab veth: answers ARP, ping, IPv6 neighbour discovery and ping6 from
# the client namespace; telemetry shows the port and the counters; a SIP datagram
# and a 3.5 KB one (IP fragments on the wire) are received whole; SIGTERM exits 0.
. "$(dirname "$0")/lib.bash"

lab_up 1
node_config 1 >/dev/null
start_node 1 || { fail "node 1 starts"; exit 1; }
pass "node 1 starts"

check "ping 198.18.0.1 (ARP + ICMP echo)" cl ping -q -c 3 -i 0.2 -W 2 198.18.0.1
mac=$(tel 1 /sipshard/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["port0"]["mac"].lower())')
check "client learnt the node MAC by ARP ($mac)" bash -c "ip -n $LAB-cl neigh show 198.18.0.1 | grep -qi '$mac'"
check "ping 2001:2::1 (ND + ICMPv6 echo)" cl ping -q -6 -c 3 -i 0.2 -W 2 2001:2::1
check "client learnt the node MAC by ND" bash -c "ip -n $LAB-cl -6 neigh show 2001:2::1 | grep -qi '$mac'"

st=$(tel 1 /sipshard/status)
check "status: link up, software steering, 1 worker" python3 -c '
import json, sys
d = json.loads(sys.argv[1]); p = d["port0"]
assert d["node_id"] == 1 and d["workers"] == 1 and d["idle"] == "adaptive", d
assert p["link"] == "up" and p["ipv4"] == "198.18.0.1" and p["steering"] == "software", p' "$st"

check "stats: arp_replies >= 1" test "$(dpstat 1 arp_replies)" -ge 1
check "stats: icmp_echo_replies >= 3" test "$(dpstat 1 icmp_echo_replies)" -ge 3
check "stats: nd_replies >= 1" test "$(dpstat 1 nd_replies)" -ge 1
check "stats: icmp6_echo_replies >= 3" test "$(dpstat 1 icmp6_echo_replies)" -ge 3

# SIP datagrams: a valid OPTIONS, the 3.5 KB INVITE of RFC 4475 (fragmented by the
# client's kernel: received whole and parsed) and 3500 bytes of junk.
before=$(dpstat 1 sip_rx_bytes)
cl python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100;branch=z9hG4bK1\r\n"
         b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:198.18.0.1>\r\nCall-ID: c1\r\n"
         b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", ("198.18.0.1", 5060))
s.sendto(open(sys.argv[1], "rb").read(), ("198.18.0.1", 5060))
s.sendto(b"X" * 3500, ("198.18.0.1", 5060))' "$ROOT/tests/corpus/sip-torture/rfc4475/longreq.dat"
sleep 0.5
got=$(( $(dpstat 1 sip_rx_bytes) - before ))
want=$(( 203 + $(stat -c %s "$ROOT/tests/corpus/sip-torture/rfc4475/longreq.dat") + 3500 ))
check "SIP datagrams received whole ($want bytes, got $got)" test "$got" -eq "$want"
check "OPTIONS and the long INVITE parsed valid" test "$(dpstat 1 sip_requests.OPTIONS)" -eq 1 -a "$(dpstat 1 sip_requests.INVITE)" -eq 1
check "junk counted as sip_invalid" test "$(dpstat 1 drops.sip_invalid)" -eq 1

# Packet capture through rte_pdump: dpdk-dumpcap is a secondary process (huge pages).
if grep -q -- '--no-huge' "$WORK/n1.log" || ! grep -q ' hugetlbfs ' /proc/mounts; then
	echo "SKIP: dpdk-dumpcap capture (no huge pages on this machine: no secondary processes)"
else
	timeout 20 dpdk-dumpcap --file-prefix="${LAB}1" -i net_af_packet1 -c 4 -q -w "$WORK/cap.pcapng" \
		> "$WORK/dumpcap.log" 2>&1 &
	dumpcap=$!
	sleep 2
	cl ping -q -c 4 -i 0.2 198.18.0.1 >/dev/null
	wait "$dumpcap"; rc=$?
	check "dpdk-dumpcap captured the pings (rc $rc)" test "$rc" = 0 -a "$(stat -c %s "$WORK/cap.pcapng" 2>/dev/null || echo 0)" -gt 300
fi

check "SIGTERM: clean exit 0" stop_node 1
exit 0
