#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Big messages (docs/security.md "Big messages"): on a port with an MTU of 576, a
# forwarded INVITE with a 1100-byte body, the 200 relayed back with a 1100-byte
# body, and a REGISTER's 200 over 576 bytes leave as IPv4 fragments (ip_fragmented,
# frags_sent) and arrive whole at the kernel hosts (which reassemble them); before,
# they were dropped (fwd_too_big, sip_reply_too_big, now 0).
. "$(dirname "$0")/lib.bash"

lab_up 1
node_config 1 "proxy:
  allowed_destinations: [198.18.0.50/32]" >/dev/null
sed -i 's|^      ipv6: 2001:2::1/64|&\n      mtu: 576|' "$WORK/n1.yaml"
start_node 1 || { fail "node 1 (MTU 576) starts"; exit 1; }
check "node 1 starts with MTU 576" test "$(tel 1 /sipshard/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["port0"]["mtu"])')" = 576
cl ip addr add 198.18.0.50/24 dev "${LAB}cl"    # an allowed next hop
# net_af_packet set the node's veth to MTU 576 (the kernel drops longer frames
# there): the client's link gets the same, so what it sends arrives as fragments
# too (reassembled by the node).
cl ip link set "${LAB}cl" mtu 576

cl python3 - > "$WORK/big.out" <<'PY'
import os, socket

def sock(ip, port=5060):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.settimeout(1.5)
    return s

client, hop = sock("198.18.0.100"), sock("198.18.0.50")
NODE = ("198.18.0.1", 5060)
BODY = "".join("a=x-filler:%04d\r\n" % i for i in range(1100 // 18 + 1))[:1100]

def recv(s):
    try:
        return s.recv(65535).decode("utf-8", "replace")
    except socket.timeout:
        return None

invite = ("INVITE sip:bob@example.org SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK%s\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
          "To: <sip:bob@example.org>\r\nCall-ID: big1\r\nCSeq: 1 INVITE\r\n"
          "Route: <sip:198.18.0.50;lr>\r\nContent-Type: application/sdp\r\n"
          "Content-Length: %d\r\n\r\n%s" % (os.urandom(4).hex(), len(BODY), BODY)).encode()
# The first copy may be dropped while the node resolves the next hop's MAC.
for _ in range(3):
    client.sendto(invite, NODE)
    req = recv(hop)
    if req:
        break
print("invite_size", len(invite))
print("forwarded", "whole" if req and req.startswith("INVITE") and req.endswith(BODY) else "none")
if req:
    head, _ = req.split("\r\n\r\n", 1)
    keep = [l for l in head.split("\r\n")[1:]
            if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    resp = ("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) +
            "\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
    hop.sendto(resp.encode(), NODE)
    r = recv(client)
    print("response", "whole" if r and r.startswith("SIP/2.0 200") and r.endswith(BODY) else "none")
cid = "reg-" + "c" * 700
reg = ("REGISTER sip:example.com SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK%s\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:carol@example.com>;tag=r1\r\n"
       "To: <sip:carol@example.com>\r\nCall-ID: %s\r\nCSeq: 1 REGISTER\r\n"
       "Contact: <sip:carol@198.18.0.100:5060>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n"
       % (os.urandom(4).hex(), cid)).encode()
client.sendto(reg, NODE)
r = recv(client)
print("register", r.split(" ")[1] if r else "none", len(r) if r else 0,
      "cid_ok" if r and ("Call-ID: %s\r\n" % cid) in r else "cid_bad")
PY
sed 's/^/  /' "$WORK/big.out"
has() { grep -q "^$1" "$WORK/big.out"; }
check "an INVITE of $(awk '/^invite_size/{print $2}' "$WORK/big.out") bytes forwarded over MTU 576: arrives whole" has "forwarded whole"
check "its 200 with a 1100-byte body relayed back: arrives whole" has "response whole"
check "a REGISTER's 200 over 576 bytes ($(awk '/^register/{print $3}' "$WORK/big.out")) arrives whole" \
	grep -Eq '^register 200 ([6-9][0-9]{2}|[0-9]{4}) cid_ok' "$WORK/big.out"
frag=$(dpstat 1 ip_fragmented) frags=$(dpstat 1 frags_sent)
check "counter ip_fragmented >= 3 (got $frag), frags_sent >= 3 x 2 (got $frags)" test "$frag" -ge 3 -a "$frags" -ge 6
for c in fwd_too_big sip_reply_too_big frag_no_mbuf; do
	got=$(dpstat 1 "drops.$c")
	check "drop $c = 0 (got $got)" test "$got" -eq 0
done
check "node alive, SIGTERM: clean exit 0" stop_node 1
exit 0
