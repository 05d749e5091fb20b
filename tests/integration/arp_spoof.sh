#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ARP spoofing (docs/security.md "Neighbours"): once the node knows a next hop's
# MAC (198.18.0.50, a kernel host), the client sends it forged ARP replies, and
# then an ARP request, claiming 198.18.0.50 is at the client's MAC. The node keeps
# the known entry (arp_unsolicited, neigh_mac_kept): the INVITEs it forwards
# afterwards still reach the real host, and no frame for 198.18.0.50 reaches the
# client.
. "$(dirname "$0")/lib.bash"

lab_up 1
"$ROOT/scripts/lab.sh" host hop 198.18.0.50 >/dev/null
node_config 1 "proxy:
  allowed_destinations: [198.18.0.50/32]" >/dev/null
start_node 1 || { fail "node 1 starts"; exit 1; }
pass "node 1 starts"
client_neigh 198.18.0.1 || fail "client resolves the node"
node_mac=$(cl ip neigh show to 198.18.0.1 dev "${LAB}cl" | awk '{print $3}')

# The hop: count the INVITEs it receives (runs 12 s).
ip netns exec "$LAB-hop" python3 - > "$WORK/hop.out" <<'PY' &
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.50", 5060))
s.settimeout(0.2)
n, end = 0, time.time() + 12
while time.time() < end:
    try:
        if s.recv(65535).startswith(b"INVITE"):
            n += 1
            print("invite", n, flush=True)
    except socket.timeout:
        pass
PY
HOP=$!
sleep 0.3

cl python3 - "$node_mac" "${LAB}cl" > "$WORK/spoof.out" <<'PY'
import os, socket, struct, sys, time
node_mac, ifname = bytes.fromhex(sys.argv[1].replace(":", "")), sys.argv[2]
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
raw.bind((ifname, 0))
raw.settimeout(0.05)
our_mac = raw.getsockname()[4]
sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sip.bind(("198.18.0.100", 5060))
NODE = ("198.18.0.1", 5060)

def invite(i):
    return ("INVITE sip:bob@example.org SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a%d\r\n"
            "To: <sip:bob@example.org>\r\nCall-ID: arp%d\r\nCSeq: 1 INVITE\r\n"
            "Route: <sip:198.18.0.50;lr>\r\nContent-Length: 0\r\n\r\n"
            % (os.urandom(4).hex(), i, i)).encode()

def arp(op):
    # Ethernet to the node; ARP: sender 198.18.0.50 at our MAC, target the node
    return (node_mac + our_mac + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + our_mac + socket.inet_aton("198.18.0.50") +
            node_mac + socket.inet_aton("198.18.0.1")) + bytes(18)

def stolen(seconds):
    # frames for 198.18.0.50 that reached us (the node redirected to our MAC)
    n, end = 0, time.time() + seconds
    while time.time() < end:
        try:
            f = raw.recv(2048)
        except socket.timeout:
            continue
        if f[0:6] == our_mac and f[30:34] == socket.inet_aton("198.18.0.50"):
            n += 1
    return n

# 1. The node learns the hop (the first copies may go while it asks ARP).
for i in range(5):
    sip.sendto(invite(i), NODE)
    time.sleep(0.3)
time.sleep(0.5)
# 2. Forged ARP replies (5), then a forged ARP request, claiming the hop's address.
arpsock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
arpsock.bind((ifname, 0))
for _ in range(5):
    arpsock.send(arp(2))
arpsock.send(arp(1))
time.sleep(0.2)
# 3. Ten INVITEs through the node, 0.2 s apart.
got = 0
for i in range(10):
    sip.sendto(invite(100 + i), NODE)
    got += stolen(0.2)
print("stolen", got + stolen(0.5))
PY
sleep 0.5
kill "$HOP" 2>/dev/null; wait "$HOP" 2>/dev/null
sed 's/^/  /' "$WORK/spoof.out"
hop=$(grep -c '^invite' "$WORK/hop.out")
check "no forwarded frame for 198.18.0.50 reached the forger: $(awk '/^stolen/{print $2}' "$WORK/spoof.out")" grep -q '^stolen 0$' "$WORK/spoof.out"
check "the hop received the INVITEs sent after the forgery (got $hop in all, want >= 10 + the first ones)" test "$hop" -ge 13
un=$(dpstat 1 arp_unsolicited) kept=$(dpstat 1 neigh_mac_kept)
check "counter arp_unsolicited >= 5 (got $un)" test "$un" -ge 5
check "counter neigh_mac_kept >= 1 (got $kept)" test "$kept" -ge 1
check "node alive, SIGTERM: clean exit 0" stop_node 1
exit 0
