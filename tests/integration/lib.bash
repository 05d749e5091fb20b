# SPDX-License-Identifier: BSD-3-Clause
# Helpers for the lab integration scripts (sourced). Each script builds its own lab
# (LAB prefix), starts sipshard-dp nodes in it, prints PASS:/FAIL: lines, and tears
# everything down on exit, killing only the processes it started, by PID.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LAB=${LAB:-sst}
export LAB
WORK=$(mktemp -d /tmp/sipshard-it.XXXXXX)
FAILS=0
declare -A NODE_PID=()

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
# check NAME CMD...: PASS when CMD succeeds.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

cleanup() {
	local i
	for i in "${!NODE_PID[@]}"; do
		kill -TERM "${NODE_PID[$i]}" 2>/dev/null
	done
	for i in "${!NODE_PID[@]}"; do
		wait_gone "${NODE_PID[$i]}" 10 || kill -KILL "${NODE_PID[$i]}" 2>/dev/null
	done
	"$ROOT/scripts/lab.sh" down >/dev/null 2>&1
	if [ "$FAILS" -gt 0 ]; then
		for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

wait_gone() {   # pid seconds
	local t=0
	while kill -0 "$1" 2>/dev/null; do
		sleep 0.1; t=$((t + 1))
		[ "$t" -ge $(($2 * 10)) ] && return 1
	done
	return 0
}

lab_up() { "$ROOT/scripts/lab.sh" up "$1" >/dev/null; }

# node_config I [EXTRA-YAML]: a node on veth ${LAB}nI with 198.18.0.I and 2001:2::I.
node_config() {
	local i=$1 extra=${2:-}
	cat > "$WORK/n$i.yaml" <<YAML
node:
  id: $i
dataplane:
  file_prefix: ${LAB}$i
  eal: ["-l", "0-1", "--no-pci", "--log-level=*:info"]
  workers: 1
  idle: adaptive
  mbuf_size: 8320
  ports:
    - device: "net_af_packet$i,iface=${LAB}n$i"
      ipv4: 198.18.0.$i/24
      ipv6: 2001:2::$i/64
sip:
  port: 5060
  domains: [example.com]
$extra
YAML
	echo "$WORK/n$i.yaml"
}

# start_node I: runs sipshard-dp in node I's namespace, waits until it is ready.
start_node() {
	local i=$1 t=0
	ip netns exec "$LAB-n$i" "$BUILD/sipshard-dp" -c "$WORK/n$i.yaml" > "$WORK/n$i.log" 2>&1 &
	NODE_PID[$i]=$!
	while ! grep -q 'sipshard-dp: ready' "$WORK/n$i.log"; do
		kill -0 "${NODE_PID[$i]}" 2>/dev/null || { echo "node $i exited:"; cat "$WORK/n$i.log"; return 1; }
		sleep 0.2; t=$((t + 1))
		[ "$t" -ge 150 ] && { echo "node $i not ready after 30 s"; return 1; }
	done
	return 0
}

# stop_node I: SIGTERM, expect exit status 0 within 10 s.
stop_node() {
	local i=$1 pid=${NODE_PID[$1]} rc
	kill -TERM "$pid"
	wait_gone "$pid" 10 || return 1
	wait "$pid"; rc=$?
	unset "NODE_PID[$i]"
	return "$rc"
}

node_alive() { kill -0 "${NODE_PID[$1]}" 2>/dev/null; }

# tel I CMD: one telemetry command of node I, the JSON value printed.
tel() {
	echo "$2" | dpdk-telemetry.py -f "${LAB}$1" 2>/dev/null |
		python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps(next(iter(d.values()))))'
}

# dpstat I KEY: a counter of /sipshard/stats ("drops.REASON" for a drop reason).
dpstat() {
	tel "$1" /sipshard/stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print(d)' "$2"
}

cl() { ip netns exec "$LAB-cl" "$@"; }

# udp_send DST PORT COUNT [SRC_PORTS]: COUNT datagrams "x" from the client, source
# ports cycling over SRC_PORTS distinct values (spreads flows over RSS/fanout queues).
udp_send() {
	cl python3 -c '
import socket, sys
dst, port, count, nsrc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(nsrc):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 20000 + i))
    socks.append(s)
for i in range(count):
    socks[i % nsrc].sendto(b"x" * 32, (dst, port))' "$1" "$2" "$3" "${4:-1}"
}
