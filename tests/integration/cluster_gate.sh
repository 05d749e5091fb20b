#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Admission on the cluster port (issue 14 item 10, docs/security.md "Cluster port").
# Node 1 knows node 2 (up) and node 3 (configured, never started), admits no
# newcomer (join_from: []) and at most GATE_PPS datagrams/s (burst GATE_BURST) per
# known source and lcore. The attacks, from the client namespace:
#   1. 400 datagrams to the cluster port from 198.18.0.100, a source no node knows:
#      every one dropped by the dataplane as cluster_not_allowed, none reaching the
#      control plane (its cluster.rejects do not move);
#   2. a flood of FLOOD datagrams in about a second under node 3's address
#      (198.18.0.3, taken by the client): the control plane gets at most what the
#      buckets let through (2 lcores x (burst + pps x seconds)), the rest is dropped
#      as cluster_rate_limited, and node 2 stays up on node 1 throughout.
# Without the gate (before this change) both floods reached the control plane
# whole: 400 and FLOOD more rejects.
. "$(dirname "$0")/lib.bash"

GATE_PPS=500
GATE_BURST=100
FLOOD=${GATE_FLOOD:-3000}

lab_up 2
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
cluster_config 1 "$WORK/cluster.key" "  nodes: [{id: 2, address: 198.18.0.2}, {id: 3, address: 198.18.0.3}]
  join_from: []
  source_pps: $GATE_PPS
  source_burst: $GATE_BURST"
cluster_config 2 "$WORK/cluster.key" "  nodes: [{id: 1, address: 198.18.0.1}]"
for i in 1 2; do
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
wait_state 10 up 1 2 && wait_state 10 up 2 1 || fail "nodes 1 and 2 see each other up"

# rejects I: the cluster datagrams node I's control plane received and refused (all
# reasons summed): what of a flood reached it.
rejects() {
	ctl "$1" --json stats | python3 -c '
import json, sys
print(sum(json.load(sys.stdin)["cluster"]["rejects"].values()))'
}

# ---- 1. a source nobody knows ----
r0=$(rejects 1) na0=$(dpstat 1 drops.cluster_not_allowed)
udp_send 198.18.0.1 5800 400 8 || fail "client sends to the cluster port"
sleep 1
r1=$(rejects 1) na1=$(dpstat 1 drops.cluster_not_allowed)
check "400 datagrams from 198.18.0.100 (not a node, join_from []) dropped as cluster_not_allowed (+$((na1 - na0)))" \
	test $((na1 - na0)) -eq 400
check "... and none reached the control plane (cluster.rejects +$((r1 - r0)))" test "$((r1 - r0))" -eq 0

# ---- 2. a flood under a known node's address ----
cl ip addr add 198.18.0.3/24 dev "${LAB}cl"
cl ping -q -c 1 -W 1 -I 198.18.0.3 198.18.0.1 >/dev/null 2>&1
rl0=$(dpstat 1 drops.cluster_rate_limited) r0=$(rejects 1)
downs0=$(ctl 1 --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster"]["downs"])')
# FLOOD datagrams from 198.18.0.3 in steps of 30 every 10 ms (no burst the
# dataplane's receive ring could overflow); prints the seconds it took.
secs=$(cl python3 -c '
import socket, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.3", 5800))
t0 = time.monotonic()
for i in range(n):
    s.sendto(b"y" * 48, ("198.18.0.1", 5800))
    if i % 30 == 29:
        time.sleep(0.01)
print("%.3f" % (time.monotonic() - t0))' "$FLOOD")
sleep 1
rl1=$(dpstat 1 drops.cluster_rate_limited) r1=$(rejects 1)
got=$((r1 - r0)) limited=$((rl1 - rl0))
# What the buckets may let through: per lcore (a worker and the control lcore) the
# burst and GATE_PPS per second, over the flood and the second after it.
bound=$(python3 -c 'import sys; print(int(2 * (int(sys.argv[1]) + int(sys.argv[2]) * (float(sys.argv[3]) + 1.2))))' \
	"$GATE_BURST" "$GATE_PPS" "${secs:-0}")
check "flood of $FLOOD from node 3's address in ${secs} s: the control plane got $got, at most the buckets' $bound" \
	test "$got" -le "$bound"
check "... the rest dropped as cluster_rate_limited (+$limited; with what got through: $((limited + got)) of $FLOOD)" \
	test "$limited" -ge $((FLOOD - bound)) -a $((limited + got)) -le "$FLOOD"
downs1=$(ctl 1 --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster"]["downs"])')
check "node 2 stayed up on node 1 through the flood (state $(node_state 1 2), cluster.downs $downs0 -> $downs1)" \
	test "$(node_state 1 2)" = up -a "$downs1" = "$downs0"
check "node 1 alive" node_alive 1
exit 0
