#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Cluster topology in the lab: three static nodes (dataplane + control plane each)
# all see each other up; a node killed with -9 is marked down by the others within
# node_timeout_ms plus one interval; restarted, it is up again everywhere; a fourth
# node joins through one seed and every node lists it; a node with the wrong key is
# never admitted and its packets are counted as HMAC failures; SIGTERM of a control
# plane is a clean leave that the others see at once.
. "$(dirname "$0")/lib.bash"

TIMEOUT_MS=900   # cluster.node_timeout_ms default
INTERVAL_MS=200  # cluster.ping_interval_ms default
lab_up 5
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
head -c 32 /dev/urandom > "$WORK/wrong.key"; chmod 600 "$WORK/wrong.key"
for i in 1 2 3; do
	peers=""
	for j in 1 2 3; do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.0.$j}, "; done
	cluster_config "$i" "$WORK/cluster.key" "  nodes: [${peers%, }]"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started (dataplane + control plane each)"

ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "every node lists the 3 nodes up" test "$ok" = 1
check "sipshardctl nodes (human) has a header and 3 rows" \
	bash -c "[ \$('$BUILD/sipshardctl' -s '$WORK/n1.sock' nodes | grep -c '198.18.0.') = 3 ]"
check "telemetry /sipshard/nodes mirrors it" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["n_nodes"] == 3 and all(d["node%d" % i]["state"] == "up" for i in (1, 2, 3)), d' "$(tel 1 /sipshard/nodes)"

# kill -9 node 3: down on 1 and 2 within node_timeout_ms + one interval. The time
# is the age of the down event when asked, so this script's polling adds nothing.
t0=$(date +%s%N)
kill9_node 3
wait_state 5 down 1 3 && wait_state 5 down 2 3
d1=$(down_delay_ms 1 3 "$t0")
d2=$(down_delay_ms 2 3 "$t0")
limit=$((TIMEOUT_MS + INTERVAL_MS))
check "node 3 killed: down on node 1 after $d1 ms and node 2 after $d2 ms (<= $limit)" \
	test "$d1" -le "$limit" -a "$d2" -le "$limit" -a "$d1" -gt 0 -a "$d2" -gt 0
check "the others stay up meanwhile" wait_state 1 up 1 2
check "the reason is logged" grep -q 'node 3 down: timeout' "$WORK/cp1.log"

start_node 3 && start_cp 3 || fail "node 3 restarts"
ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "node 3 restarted (same id, new run): up again on every node" test "$ok" = 1

# Node 4 knows only a seed.
cluster_config 4 "$WORK/cluster.key" "  seeds: [198.18.0.1]"
start_node 4 && start_cp 4 || fail "node 4 starts"
ok=1
for i in 1 2 3 4; do wait_state 10 up "$i" 1 2 3 4 || ok=0; done
check "node 4 joined through seed 198.18.0.1: all 4 nodes list all 4 up" test "$ok" = 1

# Node 5 has the wrong key.
cluster_config 5 "$WORK/wrong.key" "  seeds: [198.18.0.1]"
start_node 5 && start_cp 5 || fail "node 5 starts"
sleep 2
check "node 5 (wrong key) is not admitted by node 1" test -z "$(node_state 1 5)"
check "node 5 lists no peer up" bash -c "! '$BUILD/sipshardctl' -s '$WORK/n5.sock' --json nodes | grep -q '\"state\":\"up\",\"self\":false'"
hmac=$(ctl 1 --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster"]["rejects"]["bad_hmac"])')
check "node 1 counted node 5's packets as HMAC failures ($hmac)" test "$hmac" -gt 0

# Clean leave: SIGTERM node 2's control plane.
t0=$(date +%s%N)
kill -TERM "${CP_PID[2]}"
wait_state 5 left 1 2; d=$(down_delay_ms 1 2 "$t0")
check "node 2 left cleanly: 'left' on node 1 after $d ms (< node_timeout_ms)" test "$d" -ge 0 -a "$d" -lt "$TIMEOUT_MS"
exit 0
