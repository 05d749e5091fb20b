#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT keepalive pinging (registrar.nat_ping), ownership mode, three nodes: the
# bindings are tagged service/1 (registrar.tag), a tag with failover: auto that
# node 1 holds (priority 30; node 2 20, node 3 10). 60 phones register at node 1
# and answer OPTIONS (tests/integration/phones.py). Interval 2 s. Each phone must
# get exactly one ping per interval from the whole cluster (ping_slots in
# cluster_lib.bash: none missed, none doubled):
#   - all nodes up: node 1, the holder, sends every ping;
#   - kill -9 of node 1: node 2 claims the tag by failover and pings them all at
#     once, the contacts whose moment fell since node 1's death included (the
#     catch-up): none missed (a double only next to the death);
#   - node 1 restarted: node 2 keeps the tag (no preempt) and the pings; node 1
#     pings nobody, also while it joins (exactly one ping per interval);
#   - three moves by tag set-active (to 3, 1, 3) with every node up: the pinging
#     switches at the moment the claim carries, so no phone misses a ping or gets
#     two across the moves (before the handover moment: 0 or 2 for the contacts
#     due in the ~100 ms the two nodes' views differed);
#   - a phone that stops answering is removed on every node after max_failures.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster_lib.bash"

N=60
I_MS=2000
lab_up 3
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2 3; do
	peers=""
	for j in 1 2 3; do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.0.$j}, "; done
	case $i in 1) st=active; pr=30 ;; 2) st=backup; pr=20 ;; 3) st=backup; pr=10 ;; esac
	cluster_config "$i" "$WORK/cluster.key" "  node_timeout_ms: 900
  nodes: [${peers%, }]
tags:
  - {name: service/1, state: $st, failover: auto, priority: $pr}
registrar:
  tag: service/1
  nat_ping: {interval_s: 2, method: options, mode: ownership, max_failures: 3}"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started, nat_ping every 2 s in ownership mode, bindings tagged service/1"
ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "every node lists the 3 nodes up" test "$ok" = 1

# owner I: the holder of service/1 as node I reports it ("-" when it does not answer)
owner() {
	ctl "$1" --json tags 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["tags"][0]["owner"])' 2>/dev/null || echo -
}
wait_owner() {  # SECONDS WANT NODE...: until every NODE reports WANT as the holder
	local t=0 i ok
	local s=$1 want=$2
	shift 2
	while [ "$t" -lt $((s * 20)) ]; do
		ok=1
		for i in "$@"; do [ "$(owner "$i")" = "$want" ] || ok=0; done
		[ "$ok" = 1 ] && return 0
		sleep 0.05; t=$((t + 1))
	done
	return 1
}
wait_owner 10 1 1 2 3; rc=$?
check "node 1 holds service/1 on every node ($(owner 1) $(owner 2) $(owner 3))" test "$rc" = 0

: > "$WORK/mute"
ip netns exec "$LAB-cl" /usr/bin/python3 "$ROOT/tests/integration/phones.py" 198.18.0.100 6000 \
	"$N" 198.18.0.1 "$WORK/pings.log" "$WORK/mute" > "$WORK/phones.out" 2>&1 &
PHONES=$!
NODE_PID[99]=$PHONES
wait_counts 10 "{\"aors\":$N,\"contacts\":$N}"; rc=$?
check "$N phones registered at node 1, on every node (after $WAITED ms: $SEEN)" test "$rc" = 0

slots() { ping_slots "$WORK/pings.log" "$1" "$2" "$N" "$I_MS" "${3:-0}"; }
# until every phone has been pinged once (at most 2 intervals and a bit)
pinged_all() {
	local t
	for t in $(seq 1 100); do
		[ "$(awk '{print $2}' "$WORK/pings.log" 2>/dev/null | sort -u | wc -l)" -ge "$N" ] && return 0
		sleep 0.1
	done
	return 1
}
pinged_all; rc=$?
check "every phone gets pings" test "$rc" = 0
t0=$(now_ms); sleep 6; t1=$(now_ms)
r=$(slots "$t0" "$t1")
check "all nodes up: one ping per phone per interval, all from node 1, the holder ($r)" \
	bash -c "[[ '$r' == ok* ]] && ! echo '$r' | grep -q '198.18.0.[23] '"
p=$(ctl 2 --json pinging | python3 -c '
import json, sys
a = json.load(sys.stdin)
print("ok" if a["mode"] == "ownership" and a["share"] == {"1": int(sys.argv[1])} else "bad", json.dumps(a))' "$N")
check "sipshardctl pinging on node 2: mode ownership, node 1's share is the $N contacts ($p)" \
	bash -c "[[ '$p' == ok* ]]"

# ---- kill -9 node 1, the holder: node 2 claims by failover, catches up at once ----
tk=$(now_ms)
kill9_node 1
wait_owner 5 2 2 3; rc=$?
dt=$(( $(now_ms) - tk ))
check "node 1 killed: node 2 holds service/1 ($dt ms after the kill)" test "$rc" = 0
sleep 7; t1=$(now_ms)
r=$(slots "$((tk - 3000))" "$t1" "$tk")
check "node 1 killed: still one ping per phone per interval, none missed across the failover ($r)" \
	bash -c "[[ '$r' == ok* ]]"
r2=$(slots "$((t1 - 4000))" "$t1")
check "node 2, the new holder, sends every ping ($r2)" bash -c "[[ '$r2' == ok* ]] && ! echo '$r2' | grep -q '198.18.0.[13] '"

# ---- node 1 back: node 2 keeps the tag and the pings ----
tr=$(now_ms)
start_node 1 && start_cp 1 || fail "node 1 restarts"
wait_counts 10 "{\"aors\":$N,\"contacts\":$N}" >/dev/null
wait_owner 10 2 1 2 3; rc=$?
check "node 1 back: every node says node 2 holds service/1 ($(owner 1) $(owner 2) $(owner 3))" test "$rc" = 0
sleep 12; t1=$(now_ms)   # past node 1's join boundary (10 s after its start)
r=$(slots "$((tr - 2000))" "$t1")
check "node 1 restarted: one ping per phone per interval, all from node 2 ($r)" \
	bash -c "[[ '$r' == ok* ]] && ! echo '$r' | grep -q '198.18.0.[13] '"

# ---- tag set-active with every node up: the pinging moves at a common moment ----
tm=$(now_ms)
for to in 3 1 3; do
	ctl "$to" tag set-active service/1 > "$WORK/set-active.out" 2>&1 ||
		fail "tag set-active on node $to: $(cat "$WORK/set-active.out")"
	wait_owner 5 "$to" 1 2 3 || fail "node $to holds service/1 on every node after its set-active"
	sleep 2.7       # 1.35 intervals: each move at another phase of the interval
done
tl=$(now_ms)
sleep 4; t1=$(now_ms)
r=$(slots "$((tm - 2000))" "$t1")
check "3 moves by tag set-active (to 3, 1, 3): one ping per phone per interval, none missed, none doubled ($r)" \
	bash -c "[[ '$r' == ok* ]]"
r2=$(slots "$((tl + 1000))" "$t1")
check "... node 3, the last to claim, sends every ping after its move ($r2)" \
	bash -c "[[ '$r2' == ok* ]] && ! echo '$r2' | grep -q '198.18.0.[12] '"
hv=$(( $(tagstat 3 handovers) + $(tagstat 1 handovers) ))
check "... the claims were handovers from a live holder (handovers: node 3 + node 1 = $hv)" test "$hv" = 3

# ---- a phone that stops answering ----
echo 6007 > "$WORK/mute"
ok=0
for t in $(seq 1 100); do
	c="$(ports_of 1 phone7@example.com) $(ports_of 2 phone7@example.com) $(ports_of 3 phone7@example.com)"
	[ "$c" = "- - -" ] && { ok=1; break; }
	sleep 0.2
done
rm=$(regstat 3 ping_removed)
check "phone7 stopped answering: removed on every node after 3 unanswered pings by node 3 ($c; node 3 ping_removed $rm)" \
	test "$ok" = 1 -a "$rm" = 1
c=$(count 1)
check "the other phones stay ($c)" test "$c" = "{\"aors\":$((N - 1)),\"contacts\":$((N - 1))}"
kill "$PHONES" 2>/dev/null; wait "$PHONES" 2>/dev/null; unset "NODE_PID[99]"
exit 0
