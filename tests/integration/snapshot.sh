#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Registrar snapshots (registrar.snapshot): three nodes, 40 users for 600 s and 10
# for 8 s registered; a periodic snapshot appears; every node is stopped (SIGTERM:
# each writes a last snapshot); after the short ones' lifetime the nodes start again
# one by one. Node 1, alone (nobody to sync from), has the 40 unexpired users at
# once and not the 10 expired ones, each lifetime shortened by the time it was down;
# node 3's snapshot is damaged on purpose: it says so, starts empty and gets the 40
# by its sync from nodes 1 and 2.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster_lib.bash"

lab_up 3
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2 3; do
	peers=""
	for j in 1 2 3; do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.0.$j}, "; done
	cluster_config "$i" "$WORK/cluster.key" "  nodes: [${peers%, }]"
	printf 'registrar:\n  min_expires: 1\n  snapshot: {path: %s, interval_s: 2}\n' "$WORK/snap$i.bin" >> "$WORK/n$i.yaml"
done
start_all() {
	local i
	for i in "$@"; do start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }; done
}
start_all 1 2 3
ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "3 nodes up" test "$ok" = 1

users "$WORK/long.csv" 1 40 600 long
users "$WORK/short.csv" 1 10 8 short
sipp_run 1 "$WORK/long.csv" 40 5071 || fail "40 REGISTERs at node 1"
sipp_run 2 "$WORK/short.csv" 10 5072 || fail "10 REGISTERs at node 2"
t_short=$(date +%s)
wait_counts 20 '{"aors":50,"contacts":50}'; rc=$?
check "50 users registered, everywhere ($SEEN)" test "$rc" = 0
# a periodic snapshot with the 50 records (about 170 bytes each) within two intervals
for _ in $(seq 60); do [ "$(stat -c %s "$WORK/snap1.bin" 2>/dev/null || echo 0)" -gt 5000 ] && break; sleep 0.1; done
check "a periodic snapshot of the 50 is written (interval_s 2): $(stat -c %s "$WORK/snap1.bin" 2>/dev/null) bytes" \
	test "$(stat -c %s "$WORK/snap1.bin" 2>/dev/null || echo 0)" -gt 5000
check "no PATH.tmp left over" test ! -e "$WORK/snap1.bin.tmp"

exp_of() {   # NODE AOR: expires_in of its first contact
	ctl "$1" --json contacts show "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["contacts"][0]["expires_in"])'
}
e0=$(exp_of 1 long1@example.com); t0=$(date +%s)

# Stop every node: each control plane writes its last snapshot, then the dataplane stops.
for i in 1 2 3; do
	kill -TERM "${CP_PID[$i]}"; wait "${CP_PID[$i]}"; unset "CP_PID[$i]"
	stop_node "$i" || fail "node $i stops"
done
n_written=$(grep -ho 'registrar.snapshot: [0-9]* record(s) written' "$WORK"/cp[123].log | wc -l)
check "each control plane wrote a last snapshot on SIGTERM ($n_written of 3)" test "$n_written" = 3
check "the last snapshot of node 1 holds the 50 bindings" grep -q 'snapshot: 50 record(s) written' "$WORK/cp1.log"

# Down until the 10 short ones have expired.
while [ $(( $(date +%s) - t_short )) -lt 10 ]; do sleep 0.5; done
printf 'X' | dd of="$WORK/snap3.bin" bs=1 seek=200 conv=notrunc 2>/dev/null   # damage node 3's

for i in 1 2 3; do mv "$WORK/cp$i.log" "$WORK/cp$i.first.log"; done
start_all 1
t1=$(date +%s)
c=$(count 1)
check "node 1, alone after the restart, has the 40 unexpired bindings at once ($c)" test "$c" = '{"aors":40,"contacts":40}'
check "node 1 says what it loaded: 40, 10 expired while down" grep -q 'loaded 40 binding(s) and tombstone(s) from .* 10 expired while down' "$WORK/cp1.log"
e1=$(exp_of 1 long1@example.com)
down=$((t1 - t0))
check "a lifetime is shortened by the time down: $e0 s before, $e1 s after ${down} s" \
	test "$e1" -le $((e0 - down + 1)) -a "$e1" -ge $((e0 - down - 3))
c=$(ctl 1 --json contacts show short1@example.com 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["contacts"]))' 2>/dev/null || echo 0)
check "an expired user is not back ($c contacts of short1)" test "$c" = 0
start_all 2 3
check "node 3 refuses its damaged snapshot and says why" grep -q 'registrar.snapshot: not loaded: .*checksum mismatch' "$WORK/cp3.log"
check "node 2 loaded its own" grep -q 'loaded 40 binding(s)' "$WORK/cp2.log"
wait_counts 20 '{"aors":40,"contacts":40}'; rc=$?
check "every node has the 40 users, node 3 by its sync ($SEEN)" test "$rc" = 0
[ "$FAILS" = 0 ]
