#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# No open relay, no forged responses (docs/security.md), in the lab: a request
# whose Route (or maddr) names a host that is no backend, binding, peer or
# proxy.allowed_destinations gets 403 and nothing reaches that host
# (relay_denied); a Route to an allowed host is forwarded and its real response
# comes back; a Route list bouncing between our addresses gets 482
# (route_loop); a response with a forged branch of ours is dropped and never
# reaches the Via it names (response_bad_mac). Amplification: on this node
# (no auth) a REGISTER query gets 200 without the binding list, no larger than
# 3x the request (list_withheld).
. "$(dirname "$0")/lib.bash"

lab_up 1
node_config 1 "backends:
  - set: 1
    members: [{uri: \"sip:198.18.0.11:5060\"}]
proxy:
  allowed_destinations: [198.18.0.50/32]
admin:
  socket: $WORK/n1.sock" >/dev/null
start_node 1 || { fail "node 1 starts"; exit 1; }
pass "node 1 starts"
cl ip addr add 198.18.0.50/24 dev "${LAB}cl"    # an allowed destination
cl ip addr add 198.18.0.77/24 dev "${LAB}cl"    # a victim

cl python3 - > "$WORK/relay.out" <<'PY'
import os, socket, time

def sock(ip, port=5060):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.settimeout(1.5)
    return s

client, allowed, victim = sock("198.18.0.100"), sock("198.18.0.50"), sock("198.18.0.77")
NODE = ("198.18.0.1", 5060)

def invite(route, cid):
    return ("INVITE sip:bob@example.org SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
            "To: <sip:bob@example.org>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
            "%sContent-Length: 0\r\n\r\n" % (os.urandom(4).hex(), cid, route)).encode()

def recv(s):
    try:
        return s.recv(65535).decode("utf-8", "replace")
    except socket.timeout:
        return None

def status(r):
    return r.split("\r\n", 1)[0].split(" ")[1] if r else "none"

# Each attack is sent 3 times, 0.3 s apart: a first packet to an unknown
# neighbour is dropped while the node resolves it (docs/dataplane.md), so had
# the node tried to send, a later copy would arrive.
def attack(msg, got):
    st, reached = [], "no"
    for _ in range(3):
        client.sendto(msg, NODE)
        if got is not None:
            st.append(status(recv(client)))
        if recv(victim):
            reached = "yes"
    return ",".join(st), reached

# 1. Route to a host nobody allowed
print("route_victim %s victim_got %s" % attack(invite("Route: <sip:198.18.0.77;lr>\r\n", "r1"), 1))
# 2. maddr to it
print("maddr_victim %s victim_got %s" %
      attack(invite("Route: <sip:relay.example.net;maddr=198.18.0.77;lr>\r\n", "r2"), 1))
# 3. Route to the allowed host: forwarded (again while its MAC is resolved);
#    its 200 comes back to the client
for _ in range(3):
    client.sendto(invite("Route: <sip:198.18.0.50;lr>\r\n", "r3"), NODE)
    req = recv(allowed)
    if req:
        break
print("route_allowed", "forwarded" if req and req.startswith("INVITE") else "none")
if req:
    head, _ = req.split("\r\n\r\n", 1)
    lines = head.split("\r\n")
    keep = [l for l in lines[1:] if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
    allowed.sendto(resp.encode(), NODE)
    print("real_response", status(recv(client)))
# 4. A,B,A,B
client.sendto(invite("Route: <sip:198.18.0.1;lr>, <sip:198.18.0.50;lr>, <sip:198.18.0.1;lr>, "
                     "<sip:198.18.0.50;lr>\r\n", "r4"), NODE)
print("bounce", status(recv(client)), "allowed_got", "yes" if recv(allowed) else "no")
# 5. a forged response: a branch of our form, towards the victim
forged = ("SIP/2.0 200 OK\r\n"
          "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-sss-%s-%s-%s;rport\r\n"
          "Via: SIP/2.0/UDP 198.18.0.77:5060;branch=z9hG4bKvictim\r\n"
          "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>;tag=2\r\n"
          "Call-ID: forged\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
          % (os.urandom(8).hex(), os.urandom(8).hex(), os.urandom(8).hex()))
print("forged_response victim_got %s" % attack(forged.encode(), None)[1])
PY
cat "$WORK/relay.out" | sed 's/^/  /'
has() { grep -q "^$1\$" "$WORK/relay.out"; }
check "Route to a host not allowed -> 403 (3 times), nothing reaches it" has "route_victim 403,403,403 victim_got no"
check "maddr to a host not allowed -> 403 (3 times), nothing reaches it" has "maddr_victim 403,403,403 victim_got no"
check "Route to an allowed destination -> forwarded" has "route_allowed forwarded"
check "... and its real 200 relayed back to the client" has "real_response 200"
check "Route list A,B,A,B -> 482, nothing forwarded" has "bounce 482 allowed_got no"
check "forged response (3 times): never reaches the Via it names" has "forged_response victim_got no"
for kv in proxy.relay_denied:6 proxy.route_loop:1 proxy.response_bad_mac:3 proxy.forwarded_responses:1; do
	got=$(dpstat 1 "${kv%%:*}")
	check "counter ${kv%%:*} = ${kv#*:} (got $got)" test "$got" = "${kv#*:}"
done
# Amplification: 8 bindings of one AoR, then an unauthenticated query.
DG() { cl python3 "$ROOT/tests/integration/digest.py" 198.18.0.100 198.18.0.1 "$@"; }
for i in 1 2 3 4 5 6 7 8; do DG plain victim > /dev/null; done
r=$(DG query victim)
set -- $r
check "an unauthenticated query for an AoR with bindings ($r) -> 200 without Contact" test "$1 $4" = "200 contact=0"
check "... its reply ($2 bytes) no more than 3x the request ($3 bytes)" test "$2" -le $(($3 * 3))
wd=$(dpstat 1 registrar.list_withheld)
check "counter registrar.list_withheld >= 1 (got $wd)" test "$wd" -ge 1
check "node alive, SIGTERM: clean exit 0" stop_node 1
exit 0
