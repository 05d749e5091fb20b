#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Heartbeats first (issue 11): a full sync of many bindings shares the cluster port
# with the heartbeats and must never delay one enough to mark a node down. Two static
# nodes, heartbeats every 20 ms, node timeout 300 ms (HB_PING_MS, HB_TIMEOUT_MS);
# sipshard-gen registers HB_AORS (150000) users at node 1 while it is alone; node 2
# starts empty and gets them all by a full sync. During the sync neither node may
# mark the other down (no "down" event once it was up, cluster.downs 0), and node 2
# must end synced with node 1's exact count. The priority paths must have been used
# (control lcore and control plane counters) and the telemetry's replication
# counters must show the sync. The rings are small (dataplane.ring_size 128, see
# below), so that replication alone overflows them (rx_gaps, retransmits) while the
# heartbeats travel on their own. The test reads counts through telemetry and the
# cheap admin commands only: a `contacts count` waits for the shards' answer and
# holds the control plane's loop meanwhile (up to 1 s on a starved CPU).
# Own lab: LAB (default sshb).
LAB=${LAB:-sshb}
. "$(dirname "$0")/lib.bash"

AORS=${HB_AORS:-150000}
PING_MS=${HB_PING_MS:-20}
TIMEOUT_MS=${HB_TIMEOUT_MS:-300}
SYNC_S=40            # bound for the whole sync (it takes a few seconds)

lab_up 2
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2; do
	j=$((3 - i))
	cluster_config "$i" "$WORK/cluster.key" "  nodes: [{id: $j, address: 198.18.0.$j}]
  ping_interval_ms: $PING_MS
  node_timeout_ms: $TIMEOUT_MS
registrar:
  max_aors: 262144
  max_bindings: 262144"
	# Rings of 128: a full sync keeps a stream window (4096 records, some 340
	# datagrams) in flight, more than the cluster rings hold, as with default rings
	# and several peers syncing at once: replication alone can fill them.
	sed -i "s/  mbuf_size: 8320/  mbuf_size: 8320\n  ring_size: ${HB_RING:-128}/" "$WORK/n$i.yaml"
done
start_node 1 && start_cp 1 || { fail "node 1 starts (dp + cp)"; exit 1; }

# ---- node 1 alone: HB_AORS users registered by sipshard-gen ----
cat > "$WORK/gen.yaml" <<YAML
eal: ["--lcores", "0@0", "--file-prefix", "${LAB}g", "--no-huge", "-m", "512", "--log-level=*:warning"]
port:
  device: "net_af_packet0,iface=${LAB}cl"
  ipv4: 198.18.0.101
target:
  ipv4: 198.18.0.1
workload:
  type: register
  aors: $AORS
  mode: new
run:
  rate: 0
  max_in_flight: 64
  duration_s: 60
  timeout_ms: 2000
  progress: false
YAML
# One pass over the users is all it takes: stopped (SIGINT) once node 1 holds them all.
ip netns exec "$LAB-cl" "$BUILD/sipshard-gen" -c "$WORK/gen.yaml" -q > "$WORK/gen.json" 2> "$WORK/gen.log" &
gen_pid=$!
CP_PID[gen]=$gen_pid   # stopped with the control planes if the test ends early
for t in $(seq 1 600); do
	case $(tel 1 /sipshard/contacts) in *"\"aors\": $AORS,"*) break ;; esac
	kill -0 "$gen_pid" 2>/dev/null || break
	sleep 0.1
done
kill -INT "$gen_pid" 2>/dev/null
wait_gone "$gen_pid" 10 || kill -KILL "$gen_pid" 2>/dev/null
unset "CP_PID[gen]"
# Counts through telemetry: the dataplane's telemetry thread asks the shards; an
# admin `contacts count` would hold the control plane's loop while a busy shard
# answers, which is not what this test is about.
want=$(tel 1 /sipshard/contacts)
aors1=$(printf '%s' "$want" | python3 -c 'import json,sys; print(json.load(sys.stdin)["aors"])' 2>/dev/null)
gen=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print("sent %s, %s/s, timeouts %s" % (d["sent"], d["rate_per_s"], d["timeouts"]))' "$WORK/gen.json" 2>/dev/null)
check "node 1 holds the $AORS users sipshard-gen registered ($want; gen: $gen)" \
	test "${aors1:-0}" = "$AORS"

# ---- node 2 starts empty: full sync from node 1 ----
# peer_msgs I J rx|tx: the topology messages node I accepted from / built for node J.
peer_msgs() {
	ctl "$1" --json stats | python3 -c '
import json, sys
print(next((p[sys.argv[2]] for p in json.load(sys.stdin)["cluster"]["peers"] if p["id"] == int(sys.argv[1])), 0))' "$2" "$3"
}
start_node 2 && start_cp 2 || { fail "node 2 starts (dp + cp)"; exit 1; }
t0=$(date +%s%N)
wait_state 5 up 1 2 && wait_state 5 up 2 1 || fail "nodes 1 and 2 see each other up within 5 s"
# Both up: the sync has just begun (it takes seconds).
tx12=$(peer_msgs 1 2 tx) rx21=$(peer_msgs 2 1 rx) tx21=$(peer_msgs 2 1 tx) rx12=$(peer_msgs 1 2 rx)
state=""
for t in $(seq 1 $((SYNC_S * 10))); do
	state=$(ctl 2 --json sync 2>/dev/null)
	case $state in *'"state":"synced"'*) break ;; esac
	sleep 0.1
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "node 2 synced within ${SYNC_S} s (after $ms ms: $state)" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["state"] == "synced" and d["donor"] == 1 and d["records"] >= int(sys.argv[2]), d' "$state" "$AORS"
got=$(tel 2 /sipshard/contacts)
check "node 2 holds node 1's exact set ($got, node 1: $want)" test "$got" = "$want"

# ---- no node was ever marked down ----
# down_events I J: node I's "down" events about node J once J had come up (node 1
# gave up on node 2 before it started: that one is not a fault), with their reasons.
down_events() {
	ctl "$1" --json events | python3 -c '
import json, sys
ev = [e for e in json.load(sys.stdin)["events"] if e["node"] == int(sys.argv[1])]
up = next((k for k, e in enumerate(ev) if e["event"] == "up"), len(ev))
down = [e for e in ev[up:] if e["event"] == "down"]
print(len(down), "; ".join(e["reason"] for e in down))' "$2"
}
for i in 1 2; do
	j=$((3 - i))
	d=$(down_events "$i" "$j")
	downs=$(ctl "$i" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster"]["downs"])')
	check "node $i never marked node $j down during the sync (down events: ${d:-?}; cluster.downs $downs)" \
		test "${d%% *}" = 0 -a "$downs" = 0
	check "node $i sees node $j up" test "$(node_state "$i" "$j")" = up
done

# Topology messages built for the peer and accepted from it meanwhile, for the
# record: a few are lost below the rings (af_packet sockets, the bridge) with or
# without priority; what matters is that none waits behind replication long
# enough to mark a node down (above).
rx21=$(( $(peer_msgs 2 1 rx) - rx21 )) tx12=$(( $(peer_msgs 1 2 tx) - tx12 ))
rx12=$(( $(peer_msgs 1 2 rx) - rx12 )) tx21=$(( $(peer_msgs 2 1 tx) - tx21 ))
echo "topology messages during the sync: node 1 -> 2: $tx12 built, $rx21 accepted; node 2 -> 1: $tx21 built, $rx12 accepted"

# ---- the priority paths were used ----
for i in 1 2; do
	cpj=$(ctl "$i" --json stats | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["control_plane"]))')
	check "node $i control plane: topology datagrams sent and received on the priority rings ($cpj)" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["tx_prio_frames"] > 0 and d["rx_prio_frames"] > 0, d' "$cpj"
done
# The sync in the telemetry's replication counters (published by the control plane).
# A full sync travels on the sync channel (SyncChunk datagrams of packed records),
# not on the record stream.
r1=$(dpstat 1 replication.sync_chunks_sent) t1=$(dpstat 1 replication.sync_records)
a2=$(dpstat 2 replication.applied) b2=$(dpstat 2 replication.sync_bytes)
c2=$(dpstat 2 replication.sync_chunks_rx)
check "/sipshard/stats replication: node 1 sent $t1 records in $r1 sync chunks, node 2 took $c2 chunks and applied $a2 ($b2 sync bytes)" \
	test "${r1:-0}" -gt 0 -a "${t1:-0}" -ge "$AORS" -a "${a2:-0}" -ge "$AORS" -a "${b2:-0}" -gt 0 \
	-a "${c2:-0}" -gt 0
ahead=$(dpstat 1 cp_tx_prio_ahead)
check "node 1 (the donor): heartbeats left ahead of waiting replication datagrams (cp_tx_prio_ahead $ahead)" \
	test "${ahead:-0}" -gt 0
exit 0
