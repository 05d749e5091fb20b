#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Backend probing by sharing tag (issue 12, backends[].tag): three nodes, the
# cluster bus on its own segment, tag service/1 held by node 1 (failover
# manual), and tag other/9 that nobody holds, listed first on nodes 1 and 3 and
# second on node 2. Backend set 1 has no tag: it belongs to the default tag,
# `default_tag: service/1` on every node (without it nodes 1 and 3 would give it
# to other/9, their first tag, and nobody would probe it). Two backends h1, h2 (tests/integration/backend_uas.py: they
# log every request with its source, answer OPTIONS unless muted); probes every
# 200 ms, threshold 2.
#   - only node 1's address sends OPTIONS to the backends; the others apply the
#     states node 1 replicates (capability backends synced everywhere);
#   - `tag set-active service/1` on node 2: from then on only node 2 probes;
#   - h2 muted: node 2's probes take it down and every node routes around it
#     (INVITEs sent to each node all reach h1); unmuted: up again everywhere;
#   - kill -9 of node 2, the holder (failover manual): nobody probes, and nodes
#     1 and 3 say so (`unprobed` in sipshardctl backends, counter, log) until
#     `tag set-active` on node 3.
. "$(dirname "$0")/lib.bash"

lab_up 3
"$ROOT/scripts/lab.sh" cluster-net 3 || { fail "second segment for the cluster bus"; exit 1; }
for h in 1 2; do "$ROOT/scripts/lab.sh" host "h$h" "198.18.0.1$h"; done
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for h in 1 2; do
	: > "$WORK/h$h.log"
	ip netns exec "$LAB-h$h" /usr/bin/python3 "$ROOT/tests/integration/backend_uas.py" \
		"198.18.0.1$h" "$WORK/h$h.log" "$WORK/mute$h" > "$WORK/uas$h.out" 2>&1 &
	NODE_PID[9$h]=$!        # stopped by the lab's cleanup
done
for i in 1 2 3; do
	state=backup; [ "$i" = 1 ] && state=active
	first="  - {name: other/9, state: backup}
  - {name: service/1, state: $state, failover: manual}"
	[ "$i" = 2 ] && first="  - {name: service/1, state: $state, failover: manual}
  - {name: other/9, state: backup}"
	bus_config "$i" 3 "" "tags:
$first
default_tag: service/1
backends:
  - set: 1
    algorithm: callid-hash
    probe: {interval_ms: 200, threshold: 2}
    members:
      - {uri: \"sip:198.18.0.11:5060\"}
      - {uri: \"sip:198.18.0.12:5060\"}"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started, backend set 1 (no tag: default_tag service/1, listed in another order on node 2), 2 backends"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# caps I: the backends capability of every node as node I lists them ("synced synced synced").
caps() {
	ctl "$1" --json nodes 2>/dev/null | python3 -c '
import json, sys
print(" ".join(n["caps"].get("backends", "-") for n in sorted(json.load(sys.stdin)["nodes"], key=lambda n: n["id"])))'
}
ok=0
for t in $(seq 1 150); do
	[ "$(caps 1)" = "synced synced synced" ] && [ "$(caps 3)" = "synced synced synced" ] && { ok=1; break; }
	sleep 0.1
done
check "capability backends synced on every node (node 1 sees: $(caps 1))" test "$ok" = 1

# probers FROM_MS TO_MS: the sources of the OPTIONS the backends got in [FROM, TO),
# "SOURCE=COUNT" per source, sorted.
probers() {
	cat "$WORK/h1.log" "$WORK/h2.log" | awk -v a="$1" -v b="$2" \
		'$2 == "OPTIONS" && $1 >= a && $1 < b { n[$3]++ } END { for (s in n) print s "=" n[s] }' |
		sort | paste -sd' ' -
}
# states I: "STATE STATE" of the two members as node I's sipshardctl backends shows them.
states() {
	ctl "$1" --json backends 2>/dev/null | python3 -c '
import json, sys
print(" ".join(b["state"] for b in json.load(sys.stdin)["backends"]))'
}
prober_of() {
	ctl "$1" --json backends 2>/dev/null | python3 -c '
import json, sys
b = json.load(sys.stdin)["backends"][0]
print(b.get("prober"), b.get("probed_here"))'
}
# wait_states SECONDS WANT: until every node shows WANT.
wait_states() {
	local t=0 i ok
	while :; do
		ok=1
		for i in 1 2 3; do [ "$(states "$i")" = "$2" ] || ok=0; done
		[ "$ok" = 1 ] && return 0
		[ "$t" -ge $(($1 * 10)) ] && return 1
		sleep 0.1; t=$((t + 1))
	done
}
# invites I N TAG: N INVITEs (Call-IDs TAG-I-k) from the client to node I.
invites() {
	cl python3 - "$1" "$2" "$3" <<'PY'
import socket, sys
node, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 0))
port = s.getsockname()[1]
for k in range(n):
    cid = "%s-%s-%d" % (tag, node, k)
    msg = ("INVITE sip:service@198.18.0.%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 198.18.0.100:%d;branch=z9hG4bK-%s;rport\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:caller@example.com>;tag=c%d\r\n"
           "To: <sip:service@198.18.0.%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
           "Contact: <sip:caller@198.18.0.100:%d>\r\nContent-Length: 0\r\n\r\n") % (
        node, port, cid, k, node, cid, port)
    s.sendto(msg.encode(), ("198.18.0.%s" % node, 5060))
PY
}
# got H TAG: distinct INVITE Call-IDs TAG-* backend H logged.
got() { awk -v t="$2-" '$2 == "INVITE" && index($4, t) == 1 { print $4 }' "$WORK/h$1.log" | sort -u | wc -l; }
wait_invites() {   # TOTAL TAG: until h1 + h2 logged TOTAL Call-IDs of TAG (3 s)
	local t=0
	while [ $(( $(got 1 "$2") + $(got 2 "$2") )) -lt "$1" ] && [ "$t" -lt 30 ]; do sleep 0.1; t=$((t + 1)); done
}

# ---- node 1 holds service/1: only it probes ----
t0=$(now_ms); sleep 2; t1=$(now_ms)
p=$(probers "$t0" "$t1")
check "only node 1 (198.18.0.1) sent OPTIONS to the backends in 2 s ($p)" \
	bash -c "[[ '$p' =~ ^198\.18\.0\.1=[0-9]+$ ]] && [ ${p#*=} -ge 10 ]"
check "node 2 lists node 1 as the prober, not itself ($(prober_of 2))" test "$(prober_of 2)" = "1 False"
t=$(tel 3 /sipshard/backends)
check "telemetry /sipshard/backends on node 3: not probed there ($t)" bash -c "echo '$t' | grep -q '\"probed_here\": 0'"
check "every node shows both members up" wait_states 3 "up up"
invites 3 40 a
wait_invites 40 a
check "before any failure, INVITEs to node 3 reach both backends (h1 $(got 1 a), h2 $(got 2 a) of 40)" \
	test "$(got 1 a)" -ge 1 -a "$(got 2 a)" -ge 1 -a $(( $(got 1 a) + $(got 2 a) )) = 40

# ---- the tag moves to node 2: only node 2 probes ----
ctl 2 --json tag set-active service/1 >/dev/null
check "tag set-active service/1 on node 2" test $? = 0
sleep 0.5
t0=$(now_ms); sleep 2; t1=$(now_ms)
p=$(probers "$t0" "$t1")
check "after the move only node 2 (198.18.0.2) sent OPTIONS to the backends ($p)" \
	bash -c "[[ '$p' =~ ^198\.18\.0\.2=[0-9]+$ ]] && [ ${p#*=} -ge 10 ]"
check "node 1 lists node 2 as the prober ($(prober_of 1)), node 2 itself ($(prober_of 2))" \
	test "$(prober_of 1)" = "2 False" -a "$(prober_of 2)" = "2 True"

# ---- h2 stops answering: node 2's probes take it down, every node avoids it ----
: > "$WORK/mute2"
t0=$(now_ms)
wait_states 5 "up down"; rc=$?
check "h2 muted: every node shows it down after $(( $(now_ms) - t0 )) ms (1: $(states 1), 2: $(states 2), 3: $(states 3))" \
	test "$rc" = 0
p=$(probers "$t0" "$(now_ms)")
check "... from node 2's probes alone ($p)" bash -c "[[ '$p' =~ ^198\.18\.0\.2=[0-9]+$ ]]"
for i in 1 2 3; do invites "$i" 30 "b$i"; done
for i in 1 2 3; do wait_invites 30 "b$i"; done
check "INVITEs to each node all reach h1, none h2 (h1: $(got 1 b1) $(got 1 b2) $(got 1 b3), h2: $(got 2 b1) $(got 2 b2) $(got 2 b3))" \
	test "$(got 1 b1)" = 30 -a "$(got 1 b2)" = 30 -a "$(got 1 b3)" = 30 -a \
	"$(( $(got 2 b1) + $(got 2 b2) + $(got 2 b3) ))" = 0
rm -f "$WORK/mute2"
check "h2 answers again: up on every node" wait_states 5 "up up"
a=$(ctl 3 --json backends | python3 -c 'import json,sys; print(json.load(sys.stdin)["states"]["adopted"])')
check "node 3 adopted replicated states ($a)" test "$a" -ge 2

# ---- node 2, the holder, dies; failover manual: nobody probes, said loudly ----
unprobed() {    # NODE: "UNPROBED_OF_SET_1 COUNTER" as sipshardctl backends says
	ctl "$1" --json backends 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["backends"][0].get("unprobed"), j["states"].get("unprobed"))' 2>/dev/null
}
wait_unprobed() {   # SECONDS WANT NODE...: until each NODE says unprobed WANT (True/False)
	local t=0 i ok
	local s=$1 want=$2
	shift 2
	while [ "$t" -lt $((s * 20)) ]; do
		ok=1
		for i in "$@"; do [[ "$(unprobed "$i")" == "$want "* ]] || ok=0; done
		[ "$ok" = 1 ] && return 0
		sleep 0.05; t=$((t + 1))
	done
	return 1
}
kill9_node 2
wait_unprobed 5 True 1 3; rc=$?
check "node 2 (holder, failover manual) killed: nodes 1 and 3 report set 1 unprobed, counted ($(unprobed 1) / $(unprobed 3))" \
	test "$rc" = 0
check "... and node 3's log says so" grep -q "backend set 1 is probed by nobody" "$WORK/cp3.log"
t0=$(now_ms); sleep 1; t1=$(now_ms)
p=$(probers "$t0" "$t1")
check "... nobody sends OPTIONS to the backends ($p)" test -z "$p"
ctl 3 --json tag set-active service/1 >/dev/null
wait_unprobed 5 False 1 3; rc=$?
check "tag set-active service/1 on node 3: probed again, unprobed false on nodes 1 and 3 ($(unprobed 1) / $(unprobed 3))" \
	test "$rc" = 0
exit 0
