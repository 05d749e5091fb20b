#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# IPv6 next hops by neighbour discovery (issue 14 item 6; docs/dataplane.md "The
# neighbour table"). Node 1's only backend is at [2001:2::100]:5060 (the client
# namespace, tests/integration/backend_uas.py), an address that has sent nothing
# to the node: its OPTIONS probes and the INVITEs it forwards need the backend's
# MAC, which only a neighbour solicitation can give. The backend comes up (its
# probes were answered), an INVITE sent to the node over IPv4 reaches it over
# IPv6, and the counters show the solicitation and the advertisement, no
# NEIGH_MISS. Before neighbour discovery every such datagram was a NEIGH_MISS
# and the backend never came up. A phone registered over IPv6 gets its NAT
# keepalive OPTIONS over IPv6 (none were sent to IPv6 contacts before).
. "$(dirname "$0")/lib.bash"

lab_up 1
node_config 1 "registrar:
  nat_ping: {interval_s: 1, method: options, mode: cooperation, max_failures: 0}
backends:
  - set: 1
    algorithm: weighted
    probe: {interval_ms: 200, threshold: 2}
    members:
      - {uri: \"sip:[2001:2::100]:5060\", weight: 1}" >/dev/null
touch "$WORK/backend.log"
ip netns exec "$LAB-cl" /usr/bin/python3 "$ROOT/tests/integration/backend_uas.py" \
	2001:2::100 "$WORK/backend.log" "$WORK/mute" &
UAS=$!
start_node 1 || { fail "node 1 starts with an IPv6 backend"; kill "$UAS"; exit 1; }
pass "node 1 starts with an IPv6 backend"

state() { tel 1 /sipshard/backends | python3 -c '
import json, sys
print(json.load(sys.stdin)["m0"]["state"])'; }
t=0
until [ "$(state)" = up ]; do
	[ "$t" -ge 50 ] && break
	sleep 0.1; t=$((t + 1))
done
check "the IPv6 backend answered its probes: up (after $((t * 100)) ms; $(grep -c OPTIONS "$WORK/backend.log") OPTIONS received)" \
	test "$(state)" = up
check "... the node solicited its neighbour (nd_requests $(dpstat 1 nd_requests)) and learnt it from the advertisement (nd_learnt $(dpstat 1 nd_learnt))" \
	test "$(dpstat 1 nd_requests)" -ge 1 -a "$(dpstat 1 nd_learnt)" -ge 1

client_neigh 198.18.0.1 || fail "client resolves node 1"
cl python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 5070))
s.sendto(("INVITE sip:service@198.18.0.1 SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bK-nd-1;rport\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
          "To: <sip:service@198.18.0.1>\r\nCall-ID: nd-invite-1@198.18.0.100\r\nCSeq: 1 INVITE\r\n"
          "Contact: <sip:alice@198.18.0.100:5070>\r\nContent-Length: 0\r\n\r\n").encode(),
         ("198.18.0.1", 5060))'
t=0
until grep -q "INVITE 2001:2::1 nd-invite-1@198.18.0.100" "$WORK/backend.log"; do
	[ "$t" -ge 30 ] && break
	sleep 0.1; t=$((t + 1))
done
check "an INVITE sent to the node over IPv4 reached the backend over IPv6, from 2001:2::1 ($(grep INVITE "$WORK/backend.log" | head -1))" \
	grep -q "INVITE 2001:2::1 nd-invite-1@198.18.0.100" "$WORK/backend.log"
check "no datagram lost for want of a neighbour (neigh_miss $(dpstat 1 drops.neigh_miss))" \
	test "$(dpstat 1 drops.neigh_miss)" -eq 0
# A phone registered over IPv6 gets its NAT keepalive OPTIONS over IPv6, and its
# answers are counted.
a0=$(tel 1 /sipshard/pinging | python3 -c 'import json,sys; print(json.load(sys.stdin)["answered"])')
got=$(cl python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:2::100", 5090))
s.settimeout(0.5)
s.sendto(("REGISTER sip:example.com SIP/2.0\r\n"
          "Via: SIP/2.0/UDP [2001:2::100]:5090;branch=z9hG4bK-nd-r1;rport\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:phone6@example.com>;tag=6\r\n"
          "To: <sip:phone6@example.com>\r\nCall-ID: nd-reg-1\r\nCSeq: 1 REGISTER\r\n"
          "Contact: <sip:phone6@[2001:2::100]:5090>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n").encode(),
         ("2001:2::1", 5060))
code, pings, src, end = "-", 0, "-", time.time() + 3.5
while time.time() < end:
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    text = data.decode("utf-8", "replace")
    if text.startswith("SIP/2.0"):
        code = text.split(" ")[1]
        continue
    if not text.startswith("OPTIONS "):
        continue
    pings += 1
    src = peer[0]
    head = text.split("\r\n\r\n")[0].split("\r\n")
    resp = "SIP/2.0 200 OK\r\n" + "".join(l + "\r\n" for l in head[1:] if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq"))
    s.sendto((resp + "Content-Length: 0\r\n\r\n").encode(), peer)
print(code, pings, src)')
sleep 0.3
a1=$(tel 1 /sipshard/pinging | python3 -c 'import json,sys; print(json.load(sys.stdin)["answered"])')
set -- $got
check "a phone registered over IPv6 ($1) got NAT keepalive OPTIONS over IPv6 from 2001:2::1 ($2 in 3.5 s, from $3); answered +$((a1 - a0))" \
	test "$1" = 200 -a "${2:-0}" -ge 2 -a "${3:-}" = 2001:2::1 -a "$((a1 - a0))" -ge 2
kill "$UAS" 2>/dev/null; wait "$UAS" 2>/dev/null
check "SIGTERM: clean exit 0" stop_node 1
exit 0
