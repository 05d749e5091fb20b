#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Federation mode (issue 13) in the lab: 3 nodes with cluster.mode federation.
# Two phones, each a sipp UAS on 5060 of its own host: alice registers at node 1,
# bob at node 3 (sipp UAC REGISTERs whose Contact is the UAS). Calls (sipp UAC,
# INVITE/200/ACK/BYE/200) sent to node 2 reach the right phone, forwarded to the
# home node over SIP; node 2 holds no binding, only directory entries, and each home
# sends the NAT keepalives of its own users (registrar.nat_ping). Node 1 is
# configured `route: redirect` and `home_down: 503`: a call for bob sent there
# gets 302 with node 3's address. Node 3 killed: bob gets 480 at node 2 (the
# default home_down) and 503 at node 1; node 3 restarted and bob's phone
# refreshing its registration: calls reach bob again (before its control plane is
# up, node 3 answers 480 for a user it does not know; node 2, synced, 404). alice
# re-registers at node 3: node 1 drops her binding and calls follow her to node 3.
LAB=${LAB:-sfd}
. "$(dirname "$0")/lib.bash"

PH_A=198.18.0.51 PH_B=198.18.0.53
declare -A UAS_PID=()
cleanup_uas() {
	local h
	for h in "${!UAS_PID[@]}"; do kill -TERM "${UAS_PID[$h]}" 2>/dev/null; done
	for h in "${!UAS_PID[@]}"; do wait_gone "${UAS_PID[$h]}" 5 || kill -KILL "${UAS_PID[$h]}" 2>/dev/null; done
}
eval "$(declare -f cleanup_cp | sed '1s/cleanup_cp/lib_cleanup_cp/')"
cleanup_cp() { cleanup_uas; lib_cleanup_cp; }

lab_up 3
"$ROOT/scripts/lab.sh" host hpa "$PH_A"
"$ROOT/scripts/lab.sh" host hpb "$PH_B"
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
peers() { local i=$1 j p=""; for j in 1 2 3; do [ "$j" = "$i" ] || p="$p{id: $j, address: 198.18.0.$j}, "; done; echo "[${p%, }]"; }
fed_config() {   # I 'FEDERATION-KEYS'
	cluster_config "$1" "$WORK/cluster.key" "  mode: federation
  node_timeout_ms: 1500
  nodes: $(peers "$1")
federation: {$2}
registrar:
  nat_ping: {interval_s: 1}"
}
fed_config 1 "route: redirect, home_down: 503"
fed_config 2 ""
fed_config 3 ""
for i in 1 2 3; do
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
ok=1
for i in 1 2 3; do wait_state 15 up "$i" 1 2 3 || ok=0; done
check "3 federated nodes started, each sees the others up" test "$ok" = 1
l=$(grep -o 'federation: directory of .*' "$WORK/n1.log")
check "node 1 logs its directory's size ($l)" grep -q 'directory of 262144 entries per shard, 12582912 bytes (48.0 per AoR)' "$WORK/n1.log"

# ---- phones ----
uas() {   # HOST IP: sipp UAS on IP:5060, every message traced to HOST.msg
	(cd "$WORK" && exec ip netns exec "$LAB-$1" sipp -sn uas -i "$2" -p 5060 -nostdin \
		-trace_msg -message_file "$WORK/$1.msg" > "$WORK/$1.uas.out" 2>&1) &
	UAS_PID[$1]=$!
}
register() {   # HOST IP USER NODE: a REGISTER from IP:5062 with Contact IP:5060, 200 expected
	echo "SEQUENTIAL
$3;300;5060" > "$WORK/reg-$3.csv"
	(cd "$WORK" && ip netns exec "$LAB-$1" sipp "198.18.0.$4:5060" \
		-sf "$ROOT/tests/integration/sipp/register_contact.xml" -inf "$WORK/reg-$3.csv" \
		-m 1 -i "$2" -p 5062 -nostdin -timeout 10s -timeout_error \
		> "$WORK/reg-$3-$4.out" 2>&1) || { tail -n 5 "$WORK/reg-$3-$4.out"; return 1; }
}
invites() {   # HOST USER: INVITEs for USER that reached the phone on HOST
	local n
	n=$(grep -c "^INVITE sip:$2@" "$WORK/$1.msg" 2>/dev/null)
	echo "${n:-0}"
}
wait_invites() {   # HOST USER MIN: until the phone's trace shows MIN INVITEs for USER (2 s)
	local t=0
	while [ "$(invites "$1" "$2")" -lt "$3" ] && [ "$t" -lt 20 ]; do sleep 0.1; t=$((t + 1)); done
}
synced() { ctl "$1" --json sync 2>/dev/null | grep -q '"state":"synced"'; }
wait_synced() { local t=0; while ! synced "$1" && [ "$t" -lt 100 ]; do sleep 0.1; t=$((t + 1)); done; }
call() {   # NODE USER: a sipp call to USER@example.com sent to NODE, complete or not
	(cd "$WORK" && cl sipp -sf "$ROOT/tests/integration/sipp/uac_aor.xml" -s "$2" "198.18.0.$1:5060" \
		-m 1 -i 198.18.0.100 -p 5070 -nostdin -timeout 10s -timeout_error \
		> "$WORK/call-$2-$1.out" 2>&1)
}
# ask NODE USER: one INVITE from a plain socket; prints "CODE CONTACT" of the final answer
ask() {
	cl python3 - "$@" <<'PY'
import socket, sys, random
node, user = sys.argv[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 0))
port = s.getsockname()[1]
s.settimeout(1)
tag = "%08x" % random.getrandbits(32)
msg = ("INVITE sip:%s@example.com SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 198.18.0.100:%d;rport;branch=z9hG4bK-%s\r\n"
       "From: <sip:caller@example.com>;tag=%s\r\nTo: <sip:%s@example.com>\r\n"
       "Call-ID: %s@198.18.0.100\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
       "Contact: <sip:caller@198.18.0.100:%d>\r\nContent-Length: 0\r\n\r\n"
       % (user, port, tag, tag, user, tag, port)).encode()
out = "none -"
for _ in range(5):
    s.sendto(msg, ("198.18.0." + node, 5060))
    try:
        while True:
            r = s.recv(65535).decode("utf-8", "replace")
            code = r.split("\r\n", 1)[0].split(" ")[1]
            if code >= "200":
                contact = [l.split(":", 1)[1].strip() for l in r.split("\r\n")
                           if l.lower().startswith("contact:")]
                out = "%s %s" % (code, contact[0] if contact else "-")
                break
        break
    except socket.timeout:
        pass
print(out)
PY
}
where() { ctl "$1" --json contacts where "$2" 2>/dev/null || echo none; }
counts() { ctl "$1" --json contacts count 2>/dev/null || echo none; }
wait_where() {   # SECONDS AOR HOME: until every node names HOME as the AoR's home
	local t=0 i ok
	while :; do
		ok=1
		for i in 1 2 3; do [ "$(where "$i" "$2")" = "{\"aor\":\"$2\",\"home\":$3}" ] || ok=0; done
		[ "$ok" = 1 ] && return 0
		[ "$t" -ge $(($1 * 10)) ] && return 1
		sleep 0.1; t=$((t + 1))
	done
}

uas hpa "$PH_A"
uas hpb "$PH_B"
check "alice registers at node 1" register hpa "$PH_A" alice 1
check "bob registers at node 3" register hpb "$PH_B" bob 3
wait_where 10 alice@example.com 1 && wait_where 10 bob@example.com 3; rc=$?
check "every node's directory: alice at node 1, bob at node 3 (node 2: $(where 2 alice@example.com) $(where 2 bob@example.com))" \
	test "$rc" = 0
c2=$(counts 2)
check "node 2 holds no binding, 2 directory entries ($c2)" \
	test "$c2" = '{"aors":0,"contacts":0,"directory":2}'
check "node 1 holds alice's binding ($(counts 1))" test "$(counts 1)" = '{"aors":1,"contacts":1,"directory":2}'

# ---- NAT keepalives: each home pings its own users, nobody else has them ----
rstat() {   # NODE KEY: a registrar counter of sipshardctl stats
	ctl "$1" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["registrar"][sys.argv[1]])' "$2"
}
sleep 2.2
p1=$(rstat 1 ping_sent) p2=$(rstat 2 ping_sent) p3=$(rstat 3 ping_sent)
o=$(( $(rstat 1 ping_others) + $(rstat 2 ping_others) + $(rstat 3 ping_others) ))
check "nat_ping: node 1 pings alice ($p1 sent), node 3 bob ($p3), node 2 nobody ($p2), no contact left to another node ($o)" \
	test "$p1" -ge 1 -a "$p3" -ge 1 -a "$p2" = 0 -a "$o" = 0

# ---- calls through node 2: forwarded to the home ----
f0=$(pstat 2 fed_forwarded)
check "a call for alice sent to node 2 completes" call 2 alice
check "a call for bob sent to node 2 completes" call 2 bob
wait_invites hpa alice 1; wait_invites hpb bob 1
a=$(invites hpa alice) b=$(invites hpb bob) x=$(( $(invites hpa bob) + $(invites hpb alice) ))
check "alice's phone got alice's INVITE ($a), bob's phone bob's ($b), none crossed ($x)" \
	test "$a" -ge 1 -a "$b" -ge 1 -a "$x" = 0
f=$(( $(pstat 2 fed_forwarded) - f0 ))
check "node 2 forwarded them to the home nodes (proxy.fed_forwarded +$f: INVITE, ACK, BYE each)" test "$f" -ge 6
c2=$(counts 2)
check "node 2 still holds no binding ($c2)" test "$c2" = '{"aors":0,"contacts":0,"directory":2}'

wait_synced 2
r=$(ask 2 nobody)
check "a user nobody registered: 404 at node 2 (synced; got $r)" test "${r%% *}" = 404

# ---- redirect mode (node 1): 302 with the home's address ----
r=$(ask 1 bob)
check "node 1 (route: redirect) answers a call for bob with 302 to node 3 (got $r)" \
	test "$r" = "302 <sip:bob@198.18.0.3:5060>"
r=$(ask 1 alice)
check "node 1 answers a call for its own user alice from her binding, not a redirect (got $r)" \
	test "${r%% *}" = 200

# ---- home down ----
kill9_node 3
wait_state 10 down 2 3 && wait_state 10 down 1 3; rc=$?
check "nodes 1 and 2 see node 3 down" test "$rc" = 0
d0=$(pstat 2 fed_home_down)
r=$(ask 2 bob)
d=$(( $(pstat 2 fed_home_down) - d0 ))
check "node 3 down: a call for bob at node 2 gets 480 (got $r; fed_home_down +$d)" \
	test "${r%% *}" = 480 -a "$d" -ge 1
r=$(ask 1 bob)
check "node 3 down: a call for bob at node 1 (home_down: 503) gets 503 (got $r)" test "${r%% *}" = 503
check "alice is still reached through node 2" call 2 alice

# ---- home back, phone refreshes ----
fed_config 3 ""
start_node 3; rc=$?
r=$(ask 3 carol)
check "node 3 up without its control plane (not synced): a call for a user it does not know gets 480, not 404 (got $r)" \
	test "${r%% *}" = 480
start_cp 3; rc=$((rc + $?))
check "node 3 restarts" test "$rc" = 0
wait_state 15 up 2 3 && wait_state 15 up 3 1 2; rc=$?
check "node 3 up again on every node" test "$rc" = 0
wait_synced 3
st=$(synced 3 && echo synced || echo not-synced); r=$(ask 3 alice)
check "node 3 synced its directory from its peers ($st) and forwards a call for alice to node 1 (got $r)" \
	test "$st" = synced -a "${r%% *}" = 200
check "bob's phone refreshes its registration at node 3" register hpb "$PH_B" bob 3
b0=$(invites hpb bob)
check "a call for bob sent to node 2 completes again" call 2 bob
wait_invites hpb bob $((b0 + 1))
b=$(( $(invites hpb bob) - b0 ))
check "bob's phone got it ($b INVITEs)" test "$b" -ge 1

# ---- alice moves to node 3 ----
check "alice registers at node 3" register hpa "$PH_A" alice 3
wait_where 10 alice@example.com 3; rc=$?
check "every node's directory: alice now at node 3 ($(where 1 alice@example.com))" test "$rc" = 0
c1=$(counts 1)
check "node 1 dropped alice's binding ($c1)" test "$c1" = '{"aors":0,"contacts":0,"directory":2}'
a0=$(invites hpa alice)
check "a call for alice sent to node 2 completes" call 2 alice
wait_invites hpa alice $((a0 + 1))
a=$(( $(invites hpa alice) - a0 ))
check "alice's phone got it ($a INVITEs), from node 3" test "$a" -ge 1 -a "$(grep -c '198.18.0.3:5060;branch=z9hG4bK-sss' "$WORK/hpa.msg")" -ge 1
exit 0
