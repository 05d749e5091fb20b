#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Cluster failure detection with the default timers (ping 200 ms, node timeout 900 ms):
#   1. under SIP load (sipp REGISTERs at node 1 as fast as it sends, SECONDS_LOAD s):
#      count false "down" events between the two live nodes;
#   2. KILLS times: kill -9 node 2 (dp + cp), time until node 1 lists it down, restart.
# Prints one JSON line on stdout and a table on stderr.
#   perf/cluster_detect.sh            (KILLS=5 SECONDS_LOAD=20 by default)
set -u
LAB=${LAB:-ssc}
. "$(dirname "$0")/../tests/integration/lib.bash"
KILLS=${KILLS:-5}
SECONDS_LOAD=${SECONDS_LOAD:-20}

lab_up 2
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2; do
	cluster_config "$i" "$WORK/cluster.key" "  nodes: [{id: $((3 - i)), address: 198.18.0.$((3 - i))}]"
	start_node "$i" >&2 && start_cp "$i" >&2 || { echo "node $i does not start" >&2; exit 1; }
done
wait_state 10 up 1 2 && wait_state 10 up 2 1 || { echo "nodes never came up" >&2; exit 1; }

# 1. load
{ echo SEQUENTIAL; seq 0 99999 | sed 's/.*/user&;3600/'; } > "$WORK/users.csv"
before=$(ctl 1 --json events | grep -o '"event":"down"' | wc -l)
(cd "$WORK" && cl timeout "$SECONDS_LOAD" sipp 198.18.0.1:5060 -sf "$ROOT/tests/integration/sipp/register.xml" \
	-inf "$WORK/users.csv" -r 100000 -rp 1000 -l 20000 -i 198.18.0.100 -p 5070 -nostdin \
	-trace_screen -screen_file "$WORK/sipp.screen" >/dev/null 2>&1)
regs=$(dpstat 1 sip_requests.REGISTER)
false_downs=$(( $(ctl 1 --json events | grep -o '"event":"down"' | wc -l) - before ))
false_downs2=$(ctl 2 --json events | grep -o '"event":"down"' | wc -l)
rate=$((regs / SECONDS_LOAD))

# 2. kills
times=()
for k in $(seq 1 "$KILLS"); do
	sleep 1
	t0=$(date +%s%N)
	kill9_node 2
	until [ "$(node_state 1 2)" = down ]; do sleep 0.01; done
	# The event's age when asked, not the polling, dates the detection.
	tq=$(date +%s%N)
	age=$(ctl 1 --json events | python3 -c '
import json, sys
ev = [e for e in json.load(sys.stdin)["events"] if e["node"] == 2 and e["event"] == "down"]
print(ev[-1]["age_ms"])')
	times+=($(( (tq - t0) / 1000000 - age )))
	start_node 2 >&2 && start_cp 2 >&2 || { echo "node 2 does not restart" >&2; exit 1; }
	wait_state 10 up 1 2 || { echo "node 2 never came back" >&2; exit 1; }
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
p50=$(echo "$sorted" | awk -v n="$KILLS" 'NR == int((n + 1) / 2)')
max=$(echo "$sorted" | tail -n 1)
printf '%-32s %s\n' "SIP load on node 1 (REGISTER/s)" "$rate" "false downs under load" \
	"$((false_downs + false_downs2))" "kill -9 detection (ms)" "${times[*]}" "p50 / max (ms)" "$p50 / $max" >&2
printf '{"bench":"cluster-detect","ping_interval_ms":200,"node_timeout_ms":900,"sip_load_per_s":%d,"load_seconds":%d,"false_downs":%d,"kills":%d,"detect_ms_p50":%d,"detect_ms_max":%d,"detect_ms":[%s]}\n' \
	"$rate" "$SECONDS_LOAD" "$((false_downs + false_downs2))" "$KILLS" "$p50" "$max" "$(IFS=,; echo "${times[*]}")"
FAILS=0
