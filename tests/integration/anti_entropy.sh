#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Anti-entropy repairs what replication lost for good, with no command: two nodes,
# node 2 with room for only 100 bindings. 150 users register at node 1: node 2
# applies 100 of the records and fails the other 50 (no room: apply_failed), which
# the stream has delivered and acked, so no retransmission will bring them back.
# Then 100 users unregister at node 1, which frees node 2's room: within a few
# digest rounds (cluster.digest_interval_ms 500) the nodes compare bucket digests,
# find the buckets that differ and send each other those buckets' bindings; node 2
# ends with exactly node 1's set, and the deleted users stay deleted.
. "$(dirname "$0")/lib.bash"
NODES="1 2"
. "$(dirname "$0")/cluster_lib.bash"

lab_up 2
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2; do
	j=$((3 - i))
	cluster_config "$i" "$WORK/cluster.key" "  digest_interval_ms: 500
  nodes: [{id: $j, address: 198.18.0.$j}]"
done
sed -i 's/^sip:$/registrar:\n  max_bindings: 100\nsip:/' "$WORK/n2.yaml"
for i in 1 2; do
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "2 nodes started, node 2 with registrar.max_bindings 100"
ok=1
for i in 1 2; do wait_state 10 up "$i" 1 2 || ok=0; done
check "the nodes see each other up" test "$ok" = 1
ok=0
for t in $(seq 1 100); do
	[ "$(ctl 1 --json sync | grep -c '"state":"synced"')" = 1 ] &&
		[ "$(ctl 2 --json sync | grep -c '"state":"synced"')" = 1 ] && { ok=1; break; }
	sleep 0.1
done
check "both nodes synced (their initial full syncs done)" test "$ok" = 1

users "$WORK/all.csv" 0 150 3600
check "sipp: 150 users register at node 1, all answered 200" sipp_run 1 "$WORK/all.csv" 150 5070
sleep 2
c1=$(count 1) c2=$(count 2) f2=$(regstat 2 apply_failed)
check "node 1 holds 150 ($c1); node 2 only 100 ($c2), its binding pool full ($f2 records failed)" \
	test "$c1" = '{"aors":150,"contacts":150}' -a "$c2" = '{"aors":100,"contacts":100}' -a "$f2" -ge 50
# Pool still full: rounds find the difference but the repair cannot be applied.
users "$WORK/gone.csv" 0 100 0
check "sipp: 100 users (user0..user99) unregister at node 1, all answered 200" \
	sipp_run 1 "$WORK/gone.csv" 100 5070
wait_counts 10 '{"aors":50,"contacts":50}'; rc=$?
check "node 2 catches up with node 1's 50 users within 10 s, no command (after $WAITED ms: $SEEN)" test "$rc" = 0
for u in user100 user123 user149; do
	p="$(ports_of 1 $u@example.com) $(ports_of 2 $u@example.com)"
	check "$u@example.com (a record node 2 had failed) is on both nodes ($p)" test "$p" = "5070 5070"
done
p="$(ports_of 1 user0@example.com) $(ports_of 2 user0@example.com) $(ports_of 1 user99@example.com) $(ports_of 2 user99@example.com)"
check "unregistered user0 and user99 are on neither node ($p)" test "$p" = "- - - -"
d1=$(replstat 1 buckets_differ) d2=$(replstat 2 buckets_differ)
r1=$(replstat 1 repair_records) rd1=$(replstat 1 digest_rounds) rd2=$(replstat 2 digest_rounds)
check "the repair came from anti-entropy: rounds $rd1/$rd2, buckets found different $d1/$d2, node 1 sent $r1 repair records" \
	test "$rd1" -ge 1 -a "$rd2" -ge 1 -a $((d1 + d2)) -ge 1 -a "$r1" -ge 50
sleep 1.5
c1=$(count 1) c2=$(count 2)
check "still the same 50 on both a few rounds later, nothing deleted came back ($c1 / $c2)" \
	test "$c1" = '{"aors":50,"contacts":50}' -a "$c2" = '{"aors":50,"contacts":50}'
exit 0
