#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sharing tags, preempt (issue 12): two nodes, the cluster bus on its own
# segment; service/1 with failover auto; node 1 priority 30 with preempt: true,
# configured active; node 2 priority 10.
#   - node 1 holds the tag; kill -9 of node 1: node 2 claims it (failover);
#   - node 1 restarted: it learns that node 2 holds the tag, and takes it back
#     (reason preempt) node_timeout_ms after its tags are synced: one holder, the
#     same term on both nodes, node 1's history says preempt.
. "$(dirname "$0")/lib.bash"

lab_up 2
"$ROOT/scripts/lab.sh" cluster-net 2 || { fail "second segment for the cluster bus"; exit 1; }
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2; do
	if [ "$i" = 1 ]; then t="{name: service/1, state: active, failover: auto, priority: 30, preempt: true}"
	else t="{name: service/1, state: backup, failover: auto, priority: 10}"; fi
	bus_config "$i" 2 "" "tags:
  - $t"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "2 nodes started: node 1 priority 30 with preempt, node 2 priority 10"

# view I: "OWNER/TERM/STATE" of service/1 on node I
view() {
	ctl "$1" --json tags 2>/dev/null | python3 -c '
import json, sys
t = json.load(sys.stdin)["tags"][0]
print("%s/%s/%s" % (t["owner"], t["term"], t["state"]))'
}
wait_view() {   # SECONDS I WANT-OWNER: until node I reports WANT-OWNER active or backup
	local t=0
	while [ "$t" -lt $(($1 * 20)) ]; do
		case $(view "$2") in "$3"/*) return 0 ;; esac
		sleep 0.05; t=$((t + 1))
	done
	return 1
}
wait_view 10 1 1 && wait_view 10 2 1; rc=$?
check "node 1 holds service/1 ($(view 1), $(view 2))" test "$rc" = 0

kill9_node 1
wait_view 5 2 2; rc=$?
v2=$(view 2)
check "node 1 killed: node 2 claims it by failover and is active ($v2)" bash -c "[ $rc = 0 ] && [[ '$v2' == 2/*/active ]]"
h=$(ctl 2 --json tags history | python3 -c '
import json, sys
print(json.load(sys.stdin)["history"][-1]["reason"])')
check "node 2's history says failover ($h)" test "$h" = failover

start_node 1 && start_cp 1 || { fail "node 1 restarts"; exit 1; }
t0=$(date +%s%N)
ok=0
for t in $(seq 1 200); do
	a=$(view 1); b=$(view 2)
	if [[ "$a" == 1/*/active ]] && [ "${a%/*}" = "${b%/*}" ]; then ok=1; break; fi
	sleep 0.05
done
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
check "node 1 back: it takes the tag back, both nodes agree on holder and term ($a, $b; $dt ms after its cp started)" \
	test "$ok" = 1 -a "${b##*/}" = backup
r=$(ctl 1 --json tags history | python3 -c '
import json, sys
h = [e for e in json.load(sys.stdin)["history"] if e["owner"] == 1]
print(h[-1]["reason"] if h else "")')
check "node 1's history says preempt ($r)" test "$r" = preempt
# and it stays there: node 2 (lower priority, no preempt) does not claim back
sleep 1.5
a=$(view 1); b=$(view 2)
check "a second later still one holder, node 1 ($a, $b)" bash -c "[[ '$a' == 1/*/active ]] && [ '${a%/*}' = '${b%/*}' ]"
exit 0
