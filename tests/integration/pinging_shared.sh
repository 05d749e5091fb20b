#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT keepalive pinging from one shared address (registrar.nat_ping.source;
# docs/cluster.md "Partitioned pinging"), cooperation mode, three nodes: the phones
# see the cluster as one address, 198.18.0.50, the VIP of sharing tag service/1
# that node 1 holds. 60 phones register to it (tests/integration/phones.py logs every
# ping with its source and answers it, to that source: the VIP). Interval 2 s.
#   - every ping comes from the shared address, whichever node sends it: a strict
#     NAT in front of a phone takes packets from that address only;
#   - the three nodes share the pings (rendezvous), one ping per phone per
#     interval, none missed, none doubled;
#   - the replies all reach node 1 (it holds the VIP), which relays those of node 2's
#     and node 3's pings to them (ping_replies_relayed): every node counts its pings
#     answered, none failed.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster_lib.bash"

N=60
I_MS=2000
VIP=198.18.0.50
lab_up 3
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2 3; do
	peers=""
	for j in 1 2 3; do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.0.$j}, "; done
	state=backup; [ "$i" = 1 ] && state=active
	cluster_config "$i" "$WORK/cluster.key" "  node_timeout_ms: 900
  nodes: [${peers%, }]
tags:
  - {name: service/1, state: $state, failover: auto, priority: $((40 - i * 10)), vip: $VIP}
registrar:
  nat_ping: {interval_s: 2, method: options, mode: cooperation, max_failures: 3, source: $VIP}"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started, nat_ping every 2 s in cooperation mode from the shared address $VIP"
ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "every node lists the 3 nodes up" test "$ok" = 1

: > "$WORK/mute"
ip netns exec "$LAB-cl" /usr/bin/python3 "$ROOT/tests/integration/phones.py" 198.18.0.100 6000 \
	"$N" "$VIP" "$WORK/pings.log" "$WORK/mute" > "$WORK/phones.out" 2>&1 &
PHONES=$!
NODE_PID[99]=$PHONES
wait_counts 10 "{\"aors\":$N,\"contacts\":$N}"; rc=$?
check "$N phones registered to the VIP, on every node (after $WAITED ms: $SEEN)" test "$rc" = 0

slots() { ping_slots "$WORK/pings.log" "$1" "$2" "$N" "$I_MS" 0; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
pj() {   # NODE KEY: a field of sipshardctl --json pinging
	ctl "$1" --json pinging | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

sleep 11  # every node has joined the sharing (10 s after its start, at a boundary)
s1=$(pj 1 sent) s2=$(pj 2 sent) s3=$(pj 3 sent)
a1=$(pj 1 answered) a2=$(pj 2 answered) a3=$(pj 3 answered)
f1=$(pj 1 failed) f2=$(pj 2 failed) f3=$(pj 3 failed)
rl=$(dpstat 1 ping_replies_relayed)
t0=$(now_ms); sleep 8; t1=$(now_ms)
r=$(slots "$t0" "$t1")
check "one ping per phone per interval, all from the shared address $VIP ($r)" \
	bash -c "[[ '$r' == ok* ]] && [[ '$r' == *'by source: $VIP '[0-9]* ]]"
check "the 3 nodes share them: pings sent in those 8 s by node 1 $(( $(pj 1 sent) - s1 )), node 2 $(( $(pj 2 sent) - s2 )), node 3 $(( $(pj 3 sent) - s3 ))" \
	test "$(pj 1 sent)" -gt "$s1" -a "$(pj 2 sent)" -gt "$s2" -a "$(pj 3 sent)" -gt "$s3"
check "the replies reach node 1 (the VIP), which relays node 2's and node 3's to them (ping_replies_relayed $rl -> $(dpstat 1 ping_replies_relayed))" \
	test "$(dpstat 1 ping_replies_relayed)" -gt "$rl"
sleep 0.5   # the last pings' replies
check "every node counts its pings answered (node 1 $(( $(pj 1 answered) - a1 )), node 2 $(( $(pj 2 answered) - a2 )), node 3 $(( $(pj 3 answered) - a3 )))" \
	test "$(pj 1 answered)" -gt "$a1" -a "$(pj 2 answered)" -gt "$a2" -a "$(pj 3 answered)" -gt "$a3"
check "... and none failed (unanswered: node 1 $(( $(pj 1 failed) - f1 )), node 2 $(( $(pj 2 failed) - f2 )), node 3 $(( $(pj 3 failed) - f3 )))" \
	test "$(pj 1 failed)" = "$f1" -a "$(pj 2 failed)" = "$f2" -a "$(pj 3 failed)" = "$f3"
c=$(count 2)
check "no binding removed for want of an answer ($c on node 2)" test "$c" = "{\"aors\":$N,\"contacts\":$N}"
kill "$PHONES" 2>/dev/null; wait "$PHONES" 2>/dev/null; unset "NODE_PID[99]"
exit 0
