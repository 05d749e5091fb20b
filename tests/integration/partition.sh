#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A partition and its heal, with no command. Three nodes; the cluster bus has its
# own segment (cluster.port_index 1), so cutting node 3's link there partitions the
# cluster into {1, 2} and {3} while the client still reaches every node. During the
# partition both sides change: node 1 unregisters 20 users that node 3 still holds
# and registers 30 new ones; node 3 unregisters 10 others that nodes 1 and 2 still
# hold and registers 30 of its own. After the heal every node holds the same 130
# users within a few seconds, no deleted user comes back (checked again after
# several digest rounds), and the anti-entropy counters show the rounds.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster_lib.bash"

lab_up 3
"$ROOT/scripts/lab.sh" cluster-net 3 || { fail "second segment for the cluster bus"; exit 1; }
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2 3; do
	bus_config "$i" 3 "  digest_interval_ms: 1000"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started, the cluster bus on its own segment"
ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "every node lists the 3 nodes up" test "$ok" = 1

users "$WORK/base.csv" 0 100 3600 p
check "sipp: 100 users (p0..p99) register at node 1, all answered 200" sipp_run 1 "$WORK/base.csv" 100 5070
wait_counts 10 '{"aors":100,"contacts":100}'; rc=$?
check "the 100 users are on every node (after $WAITED ms: $SEEN)" test "$rc" = 0

# ---- partition: node 3's cluster link down ----
ip -n "$LAB-br" link set "${LAB}c3b" down
ok=1
wait_state 5 down 1 3 || ok=0
wait_state 5 down 3 1 2 || ok=0
check "partitioned: node 1 sees node 3 down and node 3 sees nodes 1 and 2 down" test "$ok" = 1
users "$WORK/gone_a.csv" 0 20 0 p
users "$WORK/new_a.csv" 0 30 3600 a
users "$WORK/gone_b.csv" 20 10 0 p
users "$WORK/new_b.csv" 0 30 3600 b
check "side {1,2}: p0..p19 unregister at node 1" sipp_run 1 "$WORK/gone_a.csv" 20 5070
check "side {1,2}: a0..a29 register at node 1" sipp_run 1 "$WORK/new_a.csv" 30 5071
check "side {3}: p20..p29 unregister at node 3" sipp_run 3 "$WORK/gone_b.csv" 10 5070
check "side {3}: b0..b29 register at node 3" sipp_run 3 "$WORK/new_b.csv" 30 5072
c1=$(count 1) c3=$(count 3)
check "the sides differ meanwhile (node 1: $c1, node 3: $c3)" \
	test "$c1" = '{"aors":110,"contacts":110}' -a "$c3" = '{"aors":120,"contacts":120}'
p="$(ports_of 3 p0@example.com) $(ports_of 1 p20@example.com)"
check "node 3 still holds p0 and node 1 still holds p20 ($p)" test "$p" = "5070 5070"

# ---- heal ----
ip -n "$LAB-br" link set "${LAB}c3b" up
wait_counts 10 '{"aors":130,"contacts":130}'; rc=$?
check "healed: every node holds the same 130 users within 10 s, no command (after $WAITED ms: $SEEN)" test "$rc" = 0
for u in p0 p19 p20 p29; do
	p="$(ports_of 1 $u@example.com) $(ports_of 2 $u@example.com) $(ports_of 3 $u@example.com)"
	check "$u@example.com, deleted on one side, is on no node ($p)" test "$p" = "- - -"
done
for u in p30:5070 a0:5071 a29:5071 b0:5072 b29:5072; do
	p="$(ports_of 1 ${u%:*}@example.com) $(ports_of 2 ${u%:*}@example.com) $(ports_of 3 ${u%:*}@example.com)"
	check "${u%:*}@example.com is on every node ($p)" test "$p" = "${u#*:} ${u#*:} ${u#*:}"
done
sleep 3   # three digest rounds
for i in 1 2 3; do c[$i]=$(count "$i"); done
check "3 s (3 digest rounds) later still 130 everywhere: nothing deleted came back (${c[1]} ${c[2]} ${c[3]})" \
	test "${c[1]}" = '{"aors":130,"contacts":130}' -a "${c[2]}" = "${c[1]}" -a "${c[3]}" = "${c[1]}"
r=""
for i in 1 2 3; do r="$r n$i: rounds $(replstat "$i" digest_rounds), buckets different $(replstat "$i" buckets_differ), repaired $(replstat "$i" buckets_repaired);"; done
check "anti-entropy rounds ran on every node ($r)" \
	test "$(replstat 1 digest_rounds)" -ge 1 -a "$(replstat 2 digest_rounds)" -ge 1 -a "$(replstat 3 digest_rounds)" -ge 1
exit 0
