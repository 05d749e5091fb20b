#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The socket of a binding (issue 11 item 7) in the lab: two nodes replicating
# registrations, and two "phones" behind a strict NAT: each takes packets only from
# the node address it registered to and counts the others. Phone 1 registers at node
# 1, phone 2 at node 2. An INVITE for phone 1 sent to node 2 is relayed to node 1
# (one extra hop), which sends it to the phone from its own address; the phone's 200
# comes back to the caller through both nodes. An INVITE for phone 2 at node 2 goes
# out directly. Counters: proxy.sock_relayed on the relaying node, proxy.sock_direct
# on the node holding the socket. A request already relayed is never relayed again
# (480). With the socket's node dead, the request leaves from the node it reached
# (sock_relay_failed) and the strict phone drops it.
LAB=${LAB:-ssk}
. "$(dirname "$0")/lib.bash"

PH1=198.18.0.51 PH2=198.18.0.52
declare -A PHONE_PID=()
cleanup_phones() {
	[ "$FAILS" = 0 ] || for h in "$WORK"/hph*.out; do [ -f "$h" ] && { echo "--- $h"; tail -n 20 "$h"; }; done
	local h
	for h in "${!PHONE_PID[@]}"; do kill -TERM "${PHONE_PID[$h]}" 2>/dev/null; done
}
eval "$(declare -f cleanup_cp | sed '1s/cleanup_cp/lib_cleanup_cp/')"
cleanup_cp() { cleanup_phones; lib_cleanup_cp; }

lab_up 2
"$ROOT/scripts/lab.sh" host hph1 "$PH1"
"$ROOT/scripts/lab.sh" host hph2 "$PH2"
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
# A generous node timeout: on a busy machine a flapping peer would make the relay
# fall back (this test is about the path, not about failure detection).
cluster_config 1 "$WORK/cluster.key" "  node_timeout_ms: 3000
  nodes: [{id: 2, address: 198.18.0.2}]"
cluster_config 2 "$WORK/cluster.key" "  node_timeout_ms: 3000
  nodes: [{id: 1, address: 198.18.0.1}]"
for i in 1 2; do
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
ok=1
for i in 1 2; do wait_state 10 up "$i" 1 2 || ok=0; done
check "2 nodes started, each sees both up" test "$ok" = 1

# A phone: registers USER at NODE from IP:5060, then answers every request whose
# source is NODE with 200 and drops (and logs) any other datagram. Its log has one
# line per event: "registered CODE", "answer SRC METHOD", "drop SRC METHOD".
cat > "$WORK/phone.py" <<'PY'
import socket, sys
user, ip, node, log = sys.argv[1:]
out = open(log, "a", buffering=1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, 5060))
s.settimeout(1)
reg = ("REGISTER sip:example.com SIP/2.0\r\n"
       "Via: SIP/2.0/UDP %s:5060;rport;branch=z9hG4bK-reg-%s\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:%s@example.com>;tag=r1\r\n"
       "To: <sip:%s@example.com>\r\nCall-ID: reg-%s\r\nCSeq: 1 REGISTER\r\n"
       "Contact: <sip:%s@%s:5060>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n"
       % (ip, user, user, user, user, user, ip)).encode()
code = "none"
for _ in range(5):
    s.sendto(reg, (node, 5060))
    try:
        line = s.recv(65535).decode("utf-8", "replace").split("\r\n", 1)[0].split(" ")
        if len(line) > 1 and line[1] >= "200":
            code = line[1]
            break
    except socket.timeout:
        pass
out.write("registered %s\n" % code)
s.settimeout(None)
while True:
    data, src = s.recvfrom(65535)
    text = data.decode("utf-8", "replace")
    head, _, _ = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    method = lines[0].split(" ")[0]
    if src[0] != node:
        out.write("drop %s %s\n" % (src[0], method))
        continue
    if lines[0].startswith("SIP/2.0"):
        continue
    out.write("answer %s %s\n" % (src[0], method))
    if method == "ACK":
        continue
    resp = ["SIP/2.0 200 OK"]
    for l in lines[1:]:
        name = l.split(":", 1)[0].strip().lower()
        if name in ("via", "v", "from", "f", "call-id", "i", "cseq"):
            resp.append(l)
        elif name in ("to", "t"):
            resp.append(l if ";tag=" in l else l + ";tag=ph")
    resp += ["Contact: <sip:%s@%s:5060>" % (user, ip), "Content-Length: 0", "", ""]
    s.sendto("\r\n".join(resp).encode(), src)
PY
phone() {   # NAME USER IP NODE_IP
	ip netns exec "$LAB-$1" python3 "$WORK/phone.py" "$2" "$3" "$4" "$WORK/$1.log" > "$WORK/$1.out" 2>&1 &
	PHONE_PID[$1]=$!
}
phone_log() { cat "$WORK/$1.log" 2>/dev/null; }
count_in() { grep -c "^$2" "$WORK/$1.log" 2>/dev/null; }

# invite NODE USER TAG: an INVITE for USER@example.com from the client to NODE;
# prints the final status code (retransmitted up to 5 times, "none" without one).
invite() {
	cl python3 - "$@" <<'PY'
import socket, sys
node, user, tag = sys.argv[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 0))
port = s.getsockname()[1]
s.settimeout(1)
msg = ("INVITE sip:%s@example.com SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 198.18.0.100:%d;rport;branch=z9hG4bK-%s\r\n"
       "From: <sip:caller@example.com>;tag=c%s\r\nTo: <sip:%s@example.com>\r\n"
       "Call-ID: %s@198.18.0.100\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
       "Contact: <sip:caller@198.18.0.100:%d>\r\nContent-Length: 0\r\n\r\n"
       % (user, port, tag, tag, user, tag, port)).encode()
code = "none"
for _ in range(5):
    s.sendto(msg, ("198.18.0." + node, 5060))
    try:
        while True:
            r = s.recv(65535).decode("utf-8", "replace").split("\r\n", 1)[0].split(" ")
            if len(r) > 1 and r[1] >= "200":
                code = r[1]
                break
        break
    except socket.timeout:
        pass
print(code)
PY
}

wait_contact() {   # SECONDS AOR: on both nodes
	local t=0
	while ! { has_contact 1 "$2" && has_contact 2 "$2"; }; do
		sleep 0.1; t=$((t + 1))
		[ "$t" -ge $(($1 * 10)) ] && return 1
	done
	return 0
}

# ---- phones register ----
phone hph1 phone1 "$PH1" 198.18.0.1
phone hph2 phone2 "$PH2" 198.18.0.2
for t in $(seq 1 100); do
	[ "$(count_in hph1 registered)" = 1 ] && [ "$(count_in hph2 registered)" = 1 ] && break
	sleep 0.1
done
check "phone 1 registers at node 1, phone 2 at node 2 ($(phone_log hph1 | head -1); $(phone_log hph2 | head -1))" \
	test "$(phone_log hph1 | head -1)" = "registered 200" -a "$(phone_log hph2 | head -1)" = "registered 200"
wait_contact 10 phone1@example.com && wait_contact 10 phone2@example.com
check "both bindings replicated to both nodes" test $? = 0

declare -A D0=() R0=() F0=()
snap() { local i; for i in 1 2; do D0[$i]=$(pstat "$i" sock_direct); R0[$i]=$(pstat "$i" sock_relayed); F0[$i]=$(pstat "$i" sock_relay_failed); done; }
delta() { echo $(( $(pstat "$1" "$2") - $3 )); }

# ---- 1. relayed: INVITE for phone 1 at node 2 ----
snap
st=$(invite 2 phone1 relay1)
check "INVITE for phone 1 sent to node 2 reaches the phone through node 1 and its 200 comes back (got $st)" \
	test "$st" = 200
a=$(grep -c "^answer 198.18.0.1 INVITE" "$WORK/hph1.log"); d=$(count_in hph1 drop)
check "phone 1 received the INVITE from node 1's address ($a answered), nothing from elsewhere ($d dropped)" \
	test "$a" -ge 1 -a "$d" = 0
r2=$(delta 2 sock_relayed "${R0[2]}"); d2=$(delta 2 sock_direct "${D0[2]}")
check "node 2 relayed it (proxy.sock_relayed +$r2, sock_direct +$d2)" test "$r2" -ge 1 -a "$d2" = 0
d1=$(delta 1 sock_direct "${D0[1]}"); r1=$(delta 1 sock_relayed "${R0[1]}")
check "node 1 sent it from its socket (proxy.sock_direct +$d1, sock_relayed +$r1)" test "$d1" -ge 1 -a "$r1" = 0

# ---- 2. direct: the socket is the node's own ----
snap
st=$(invite 2 phone2 direct2)
a=$(grep -c "^answer 198.18.0.2 INVITE" "$WORK/hph2.log"); d=$(count_in hph2 drop)
r2=$(delta 2 sock_relayed "${R0[2]}"); d2=$(delta 2 sock_direct "${D0[2]}")
check "INVITE for phone 2 (registered at node 2) sent to node 2: direct, 200 (got $st; phone answered $a, dropped $d; node 2 sock_direct +$d2, sock_relayed +$r2)" \
	test "$st" = 200 -a "$a" -ge 1 -a "$d" = 0 -a "$d2" -ge 1 -a "$r2" = 0
snap
st=$(invite 1 phone1 direct1)
r1=$(delta 1 sock_relayed "${R0[1]}"); d1=$(delta 1 sock_direct "${D0[1]}")
check "INVITE for phone 1 sent to node 1: direct, 200 (got $st; node 1 sock_direct +$d1, sock_relayed +$r1)" \
	test "$st" = 200 -a "$d1" -ge 1 -a "$r1" = 0

# ---- 3. the other way: phone 2 called through node 1 ----
snap
st=$(invite 1 phone2 relay2)
r1=$(delta 1 sock_relayed "${R0[1]}"); d2=$(delta 2 sock_direct "${D0[2]}"); d=$(count_in hph2 drop)
check "INVITE for phone 2 sent to node 1: relayed to node 2, 200 (got $st; node 1 sock_relayed +$r1, node 2 sock_direct +$d2; phone 2 dropped $d)" \
	test "$st" = 200 -a "$r1" -ge 1 -a "$d2" -ge 1 -a "$d" = 0

# ---- 4. a relayed request is never relayed again ----
# As if node 2 had relayed a request for phone 2 to node 1: node 1 does not hold
# phone 2's socket either, so 480, not a relay back.
lp0=$(pstat 1 sock_relay_loop)
st=$(cl python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 0))
port = s.getsockname()[1]
s.settimeout(1)
msg = ("INVITE sip:phone2@example.com SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 198.18.0.100:%d;branch=z9hG4bK-sss-0123456789abcdef-0123456789abcdef-0123456789abcdef;rport;ss-relay\r\n"
       "Via: SIP/2.0/UDP 198.18.0.100:%d;branch=z9hG4bK-orig\r\n"
       "From: <sip:caller@example.com>;tag=lp\r\nTo: <sip:phone2@example.com>\r\n"
       "Call-ID: loop@198.18.0.100\r\nCSeq: 1 INVITE\r\nMax-Forwards: 69\r\n"
       "Content-Length: 0\r\n\r\n" % (port, port)).encode()
code = "none"
for _ in range(5):
    s.sendto(msg, ("198.18.0.1", 5060))
    try:
        code = s.recv(65535).split(b" ")[1].decode()
        break
    except socket.timeout:
        pass
print(code)
PY
)
lp=$(( $(pstat 1 sock_relay_loop) - lp0 ))
check "a relayed INVITE for a socket node 1 does not hold is answered 480, not relayed (got $st; sock_relay_loop +$lp)" \
	test "$st" = 480 -a "$lp" -ge 1

# ---- 5. the socket's node is dead: from here, and the strict phone drops it ----
kill9_node 2
wait_state 10 down 1 2
check "node 1 sees node 2 down" test $? = 0
snap
d0=$(count_in hph2 drop)
st=$(invite 1 phone2 dead2)
f1=$(delta 1 sock_relay_failed "${F0[1]}"); r1=$(delta 1 sock_relayed "${R0[1]}"); d=$(( $(count_in hph2 drop) - d0 ))
check "node 2 dead: node 1 sends phone 2's INVITE itself (sock_relay_failed +$f1, sock_relayed +$r1), phone 2 drops it ($d dropped; caller got $st)" \
	test "$f1" -ge 1 -a "$r1" = 0 -a "$d" -ge 1 -a "$st" = none
exit 0
