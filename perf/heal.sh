#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The heal benchmark's lab (perf/run.sh heal runs it and prints the JSON line): two
# nodes in a netns lab with the cluster bus on its own segment, as in
# tests/integration/partition.sh. Node 2's cluster link goes down; during the
# partition PERF_HEAL_USERS/2 users register at node 1 and as many others at node 2
# (different bindings on each side). The link comes back up and the time from that
# moment until both nodes hold every binding is the figure: no command is given, the
# anti-entropy at link-up repairs the difference. Prints key=value lines on stdout.
. "$(dirname "$0")/../tests/integration/lib.bash"
. "$(dirname "$0")/../tests/integration/cluster_lib.bash"
NODES="1 2"
N=${PERF_HEAL_USERS:-10000}
half=$((N / 2))
note=""

lab_up 2
"$ROOT/scripts/lab.sh" cluster-net 2 || { echo "note=the cluster segment did not come up"; exit 1; }
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2; do
	bus_config "$i" 2 "" "registrar:
  max_aors: $((N * 2))
  max_bindings: $((N * 2))"
	start_node "$i" >&2 && start_cp "$i" >&2 || { echo "note=node $i did not start"; exit 1; }
done
wait_state 15 up 1 2 && wait_state 15 up 2 1 || { echo "note=the nodes did not see each other up"; exit 1; }

ip -n "$LAB-br" link set "${LAB}c2b" down
wait_state 10 down 1 2 && wait_state 10 down 2 1 || { echo "note=the partition was not seen"; exit 1; }
users "$WORK/a.csv" 0 "$half" 3600 a
users "$WORK/b.csv" 0 "$half" 3600 b
sipp_run 1 "$WORK/a.csv" "$half" 5071 >&2 & pa=$!
sipp_run 2 "$WORK/b.csv" "$half" 5072 >&2 & pb=$!
wait "$pa" || note="some REGISTERs at node 1 failed"
wait "$pb" || note="${note:+$note; }some REGISTERs at node 2 failed"
c1=$(aors 1) c2=$(aors 2)
differing=$((c1 + c2))

want="{\"aors\":$differing,\"contacts\":$differing}"
ip -n "$LAB-br" link set "${LAB}c2b" up
t0=$(date +%s%N)
ok=0
while :; do
	if [ "$(count 1)" = "$want" ] && [ "$(count 2)" = "$want" ]; then ok=1; break; fi
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 30000 ] || break
	sleep 0.01
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ok" = 1 ] || { note="${note:+$note; }not converged after 30 s: n1=$(count 1) n2=$(count 2)"; ms=0; }
echo "differing=$differing"
echo "ms=$ms"
echo "side_1=$c1"
echo "side_2=$c2"
echo "buckets_repaired=$(( $(replstat 1 buckets_repaired) + $(replstat 2 buckets_repaired) ))"
echo "note=$note"
