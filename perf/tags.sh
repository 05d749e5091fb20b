#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# perf/run.sh tags: sharing-tag moves and failover, three nodes in a netns lab
# (the cluster bus on its own segment, default timers: ping 200 ms, node timeout
# 900 ms), tag service/1 with vip 198.18.0.50, failover auto.
#   1. tag-move: PERF_TAG_MOVES [100] moves of service/1 round the 3 nodes with
#      `sipshardctl tag set-active`; each move's time is the command's "ms": from
#      the command to every up peer's acknowledgement of the new term.
#      {"bench":"tag-move","moves":100,"ms_p50":F,"ms_max":F,...}
#   2. failover: PERF_FAILOVERS [3] times, kill -9 of the holder (dp + cp), then
#      the time until the VIP answers a REGISTER again (from the new holder: the
#      client sends one every 10 ms); the killed node is restarted between runs.
#      {"bench":"failover","ms":F,...} (F: the median run)
# One JSON line per measure on stdout, a table on stderr.
set -u
LAB=${LAB:-ssgt}
. "$(dirname "$0")/../tests/integration/lib.bash"
MOVES=${PERF_TAG_MOVES:-100}
FAILOVERS=${PERF_FAILOVERS:-3}
VIP=198.18.0.50
TIMEOUT_MS=900

lab_up 3
"$ROOT/scripts/lab.sh" cluster-net 3 || { echo "perf/tags.sh: no cluster segment" >&2; exit 1; }
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
prio=(0 30 20 10)
for i in 1 2 3; do
	state=backup; [ "$i" = 1 ] && state=active
	bus_config "$i" 3 "  node_timeout_ms: $TIMEOUT_MS" "tags:
  - {name: service/1, state: $state, failover: auto, priority: ${prio[$i]}, vip: $VIP}"
	start_node "$i" >&2 && start_cp "$i" >&2 || { echo "perf/tags.sh: node $i does not start" >&2; exit 1; }
done
synced() {
	local i
	for i in "$@"; do ctl "$i" --json tags 2>/dev/null | grep -q '"sync":"synced"' || return 1; done
}
wait_synced() {   # NODES...: every one has its tags synced, and the nodes see each other up
	local t
	for t in $(seq 1 200); do synced "$@" && return 0; sleep 0.05; done
	return 1
}
wait_synced 1 2 3 || { echo "perf/tags.sh: tags never synced" >&2; exit 1; }
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || { echo "perf/tags.sh: nodes not up" >&2; exit 1; }; done

# ---- 1. tag moves ----
holder() {   # [NODE]: the owner node NODE (default 1) reports
	ctl "${1:-1}" --json tags | python3 -c 'import json,sys; print(json.load(sys.stdin)["tags"][0]["owner"])'
}
times=()
cur=$(holder)
for k in $(seq 1 "$MOVES"); do
	to=$(( cur % 3 + 1 ))
	out=$(ctl "$to" --json -t 5 tag set-active service/1) || { echo "perf/tags.sh: move $k to node $to failed: $out" >&2; exit 1; }
	ms=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ms"])')
	times+=("$ms")
	cur=$to
done
agree=$(for i in 1 2 3; do ctl "$i" --json tags | python3 -c '
import json,sys; t = json.load(sys.stdin)["tags"][0]; print(t["owner"], t["term"])'; done | sort -u | wc -l)
[ "$agree" = 1 ] || { echo "perf/tags.sh: the nodes disagree on the holder after the moves" >&2; exit 1; }
read -r p50 p99 max mean <<< "$(printf '%s\n' "${times[@]}" | python3 -c '
import statistics, sys
v = sorted(float(x) for x in sys.stdin)
print(statistics.median(v), v[min(len(v) - 1, int(len(v) * 0.99))], v[-1], round(statistics.mean(v), 3))')"
{
	echo "== tag-move: $MOVES moves of service/1 round 3 nodes (sipshardctl tag set-active until every up peer acked)"
	printf '  %-10s %s\n' p50 "$p50 ms" p99 "$p99 ms" max "$max ms" mean "$mean ms"
} >&2
printf '{"bench":"tag-move","moves":%d,"nodes":3,"ms_p50":%s,"ms_p99":%s,"ms_max":%s,"ms_mean":%s}\n' \
	"$MOVES" "$p50" "$p99" "$max" "$mean"

# ---- 2. failover ----
# answers LOG: REGISTERs to the VIP every 10 ms from the client; the wall-clock ms
# of every 200 received goes to LOG (runs until killed).
answers() {
	cl /usr/bin/python3 -u - "$VIP" <<'PY' > "$1" 2>/dev/null &
import socket, sys, time
vip = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 0))
s.settimeout(0.01)
port = s.getsockname()[1]
n = 0
next_t = time.time()
while True:
    now = time.time()
    if now >= next_t:
        n += 1
        msg = ("REGISTER sip:example.com SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 198.18.0.100:%d;branch=z9hG4bK-fo%d;rport\r\n"
               "From: <sip:fo@example.com>;tag=f1\r\nTo: <sip:fo@example.com>\r\n"
               "Call-ID: fo-%d\r\nCSeq: %d REGISTER\r\n"
               "Contact: <sip:fo@198.18.0.100:%d>\r\nExpires: 600\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n") % (port, n, port, n, port)
        s.sendto(msg.encode(), (vip, 5060))
        next_t = now + 0.01
    try:
        d, a = s.recvfrom(65535)
        if d.startswith(b"SIP/2.0 200"):
            print(int(time.time() * 1000), flush=True)
    except socket.timeout:
        pass
PY
	ANS_PID=$!
}
fo=()
for k in $(seq 1 "$FAILOVERS"); do
	h=$(holder)
	alive=$(( h % 3 + 1 ))
	answers "$WORK/answers$k.log"
	sleep 0.5
	[ -s "$WORK/answers$k.log" ] || { echo "perf/tags.sh: the VIP does not answer before the kill" >&2; kill "$ANS_PID"; exit 1; }
	t0=$(( $(date +%s%N) / 1000000 ))
	kill9_node "$h"
	t=0
	while [ "$t" -lt 100 ] && ! awk -v t0="$t0" '$1 > t0 + 50 { f = 1 } END { exit !f }' "$WORK/answers$k.log"; do
		sleep 0.05; t=$((t + 1))
	done
	kill "$ANS_PID" 2>/dev/null; wait "$ANS_PID" 2>/dev/null
	first=$(awk -v t0="$t0" '$1 > t0 + 50 { print $1; exit }' "$WORK/answers$k.log")
	[ -n "$first" ] || { echo "perf/tags.sh: the VIP never answered after the kill of node $h" >&2; exit 1; }
	fo+=($(( first - t0 )))
	echo "  failover $k: node $h killed, the VIP answered from node $(holder "$alive" 2>/dev/null || echo ?) after $(( first - t0 )) ms" >&2
	start_node "$h" >&2 || { echo "perf/tags.sh: node $h does not restart" >&2; exit 1; }
	# (seen once: the cp of a node restarted a second after its kill could not
	# open the new dataplane's runtime config; a second attempt attaches)
	start_cp "$h" >&2 || { echo "perf/tags.sh: cp $h did not attach, once more" >&2; sleep 1; start_cp "$h" >&2; } ||
		{ echo "perf/tags.sh: cp $h does not restart" >&2; exit 1; }
	wait_synced 1 2 3 || { echo "perf/tags.sh: node $h never synced again" >&2; exit 1; }
	for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || exit 1; done
done
read -r med fmax <<< "$(printf '%s\n' "${fo[@]}" | python3 -c '
import statistics, sys
v = sorted(int(x) for x in sys.stdin)
print(statistics.median(v), v[-1])')"
{
	echo "== failover: kill -9 of the holder until the VIP answers a REGISTER from the new one (node_timeout_ms $TIMEOUT_MS)"
	printf '  %-10s %s\n' runs "${fo[*]} ms" median "$med ms" max "$fmax ms"
} >&2
printf '{"bench":"failover","ms":%s,"ms_max":%s,"runs":[%s],"node_timeout_ms":%d,"ping_interval_ms":200}\n' \
	"$med" "$fmax" "$(IFS=,; echo "${fo[*]}")" "$TIMEOUT_MS"
exit 0
