# SPDX-License-Identifier: BSD-3-Clause
# Helpers for the lab integration scripts (sourced). Each script builds its own lab
# (LAB prefix), starts sipshard-dp nodes in it, prints PASS:/FAIL: lines, and tears
# everything down on exit, killing only the processes it started, by PID.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Debian's python3 (scripts/deps.sh installs it) before any version-manager shim:
# a shim that takes half a second to start would slow every polling loop below.
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
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
	declare -F cleanup_cp >/dev/null && cleanup_cp
	for i in "${!NODE_PID[@]}"; do
		kill -TERM "${NODE_PID[$i]}" 2>/dev/null
	done
	for i in "${!NODE_PID[@]}"; do
		wait_gone "${NODE_PID[$i]}" 10 || kill -KILL "${NODE_PID[$i]}" 2>/dev/null
	done
	# Huge page files of our nodes that a kill left behind hold their pages until
	# a dataplane of the same prefix starts again: give them back now.
	for i in "${!NODE_PID[@]}"; do rm -f /dev/hugepages/"${LAB}${i}"map_*; done
	"$ROOT/scripts/lab.sh" down >/dev/null 2>&1
	if [ "$FAILS" -gt 0 ]; then
		for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f"; grep -vE '^(<[0-7]>)?[a-z]+ (EAL|USER1|TELEMETRY): |^rte_' "$f" | tail -n 40; }; done
	fi
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
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

# wait_ready LOG PATTERN PID SECONDS: until LOG has PATTERN; fails if PID exits first.
wait_ready() {
	local t=0
	while ! grep -q "$2" "$1"; do
		kill -0 "$3" 2>/dev/null || { echo "$(basename "$1" .log) exited:"; cat "$1"; return 1; }
		sleep 0.1; t=$((t + 1))
		[ "$t" -ge $(($4 * 10)) ] && { echo "$(basename "$1" .log) not ready after $4 s"; return 1; }
	done
	return 0
}

# start_node I: runs sipshard-dp in node I's namespace, waits until it is ready.
# The log is emptied here, before the start: a `> LOG &` redirection happens in
# the background child, so on a restart wait_ready could still read the last
# run's "ready" and go on before this run is up.
start_node() {
	: > "$WORK/n$1.log"
	ip netns exec "$LAB-n$1" "$BUILD/sipshard-dp" -c "$WORK/n$1.yaml" >> "$WORK/n$1.log" 2>&1 &
	NODE_PID[$1]=$!
	wait_ready "$WORK/n$1.log" 'sipshard-dp: ready' "${NODE_PID[$1]}" 30
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

pstat() {   # NODE KEY: a proxy counter of sipshardctl stats (summed over workers)
	ctl "$1" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["proxy"][sys.argv[1]])' "$2"
}

has_contact() {   # NODE AOR: node NODE holds a binding of AOR
	ctl "$1" --json contacts show "$2" 2>/dev/null | grep -q '"uri"'
}

# wait_has_contact SECONDS NODE AOR: until node NODE holds a binding of AOR.
wait_has_contact() {
	local t=0
	until has_contact "$2" "$3"; do
		t=$((t + 1)); [ "$t" -lt $(($1 * 10)) ] || return 1
		sleep 0.1
	done
}

# vip_lab VIP [YAML]: three nodes, the cluster bus on its own segment, sharing tag
# service/1 with vip VIP, node 1 configured active (priority 10), nodes 2 (20) and
# 3 (5) backup, failover auto; YAML is added to every node's config. Started.
vip_lab() {
	local i state prio=(0 10 20 5)
	lab_up 3
	"$ROOT/scripts/lab.sh" cluster-net 3 || { fail "second segment for the cluster bus"; return 1; }
	head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
	for i in 1 2 3; do
		state=backup; [ "$i" = 1 ] && state=active
		bus_config "$i" 3 "" "tags:
  - {name: service/1, state: $state, failover: auto, priority: ${prio[$i]}, vip: \"$1\"}${2:+
$2}"
		start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; return 1; }
	done
}

# vip_reg VIP SECONDS USER: a REGISTER from the client (198.18.0.100, or
# [2001:2::100] for an IPv6 VIP) to VIP:5060, sent again every 200 ms until an
# answer comes or SECONDS pass; prints "STATUS SOURCE-ADDRESS MS" or "none".
vip_reg() {
	cl python3 - "$1" "$2" "$3" <<'PY'
import socket, sys, time
vip, secs, user = sys.argv[1], float(sys.argv[2]), sys.argv[3]
v6 = ":" in vip
me = "2001:2::100" if v6 else "198.18.0.100"
host = "[%s]" % me if v6 else me
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((me, 0))
port = s.getsockname()[1]
t0 = time.monotonic()
n = 0
while time.monotonic() - t0 < secs:
    n += 1
    msg = ("REGISTER sip:example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-vip%d%d;rport\r\n"
           "From: <sip:%s@example.com>;tag=v1\r\nTo: <sip:%s@example.com>\r\n"
           "Call-ID: vip-%s-%d\r\nCSeq: %d REGISTER\r\n"
           "Contact: <sip:%s@%s:%d>\r\nExpires: 600\r\nMax-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n") % (host, port, port, n, user, user, user, port, n,
                                          user, host, port)
    s.sendto(msg.encode(), (vip, 5060))
    s.settimeout(0.2)
    try:
        while True:
            d, a = s.recvfrom(65535)
            if d.startswith(b"SIP/2.0 "):
                print(d.split()[1].decode(), a[0], int((time.monotonic() - t0) * 1000))
                sys.exit(0)
    except socket.timeout:
        pass
print("none")
PY
}

# vip_phone VIP BIND LOG: tests/integration/vip_phone.py (user vphone, port 5092)
# in the client namespace, registering to VIP from BIND; its pid in VIP_PHONE (the
# caller stops it). Waits up to 10 s for its "registered" line.
vip_phone() {
	touch "$3"
	ip netns exec "$LAB-cl" python3 "$ROOT/tests/integration/vip_phone.py" "$1" "$2" 5092 vphone \
		"$3" > "$3.out" 2>&1 &
	VIP_PHONE=$!
	local t
	for t in $(seq 1 100); do grep -q '^registered' "$3" && return 0; sleep 0.1; done
	return 1
}

# phone_invite NODE LOG: an INVITE for vphone@example.com from the client
# (198.18.0.100:5094) to NODE's address, sent again (3 tries) until LOG, a
# vip_phone.py log, shows it arrived; prints that line ("" when it never did).
phone_invite() {
	local k t
	for k in 1 2 3; do
		cl python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 5094))
s.sendto(("INVITE sip:vphone@example.com SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 198.18.0.100:5094;rport;branch=z9hG4bK-vphone-inv\r\n"
          "From: <sip:caller@example.com>;tag=c1\r\nTo: <sip:vphone@example.com>\r\n"
          "Call-ID: vphone-invite@198.18.0.100\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
          "Contact: <sip:caller@198.18.0.100:5094>\r\nContent-Length: 0\r\n\r\n").encode(),
         (sys.argv[1], 5060))' "$1"
		for t in $(seq 1 10); do grep -q '^req .* INVITE' "$2" && break 2; sleep 0.1; done
	done
	grep -m1 '^req .* INVITE' "$2"
}

# client_neigh DST: until the client's kernel has resolved DST's MAC (ARP or ND),
# asking with a ping each time it has not. While a neighbour is unresolved, Linux
# queues at most unres_qlen_bytes of datagrams for it (the default, 212992, held 144
# of udp_send's here) and discards the rest (unresolved_discards in
# /proc/net/stat/arp_cache). dp_steering.sh's 400-datagram burst usually went out
# after the node's ARP answer; on a fresh machine's first run the node answered
# later and only the 144 queued arrived (reproduced by stopping the node with
# SIGSTOP during the burst: 144 of 400).
client_neigh() {
	local t=0
	until cl ip neigh show to "$1" dev "${LAB}cl" | grep -q lladdr; do
		[ "$t" -ge 10 ] && { echo "client: no neighbour entry for $1"; return 1; }
		cl ping -q -c 1 -W 1 "$1" >/dev/null 2>&1
		t=$((t + 1))
	done
}

# udp_send DST PORT COUNT [SRC_PORTS]: COUNT datagrams "x" from the client, source
# ports cycling over SRC_PORTS distinct values (spreads flows over RSS/fanout queues).
# The client resolves DST first (client_neigh), so no datagram waits for ARP.
udp_send() {
	client_neigh "$1" || return 1
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

# ---- control plane ----
declare -A CP_PID=()

# cluster_config I KEYFILE 'NODES-OR-SEEDS-YAML': node I with a cluster section.
cluster_config() {
	node_config "$1" "cluster:
  id: 7
  port: 5800
  key_file: $2
$3
admin:
  socket: $WORK/n$1.sock" >/dev/null
}

# bus_config I N 'CLUSTER-KEYS' ['MORE-YAML']: node I of N with the cluster bus on
# its own segment (scripts/lab.sh cluster-net): port 1 at 198.18.1.I, static peers
# at their 198.18.1.J, key $WORK/cluster.key; CLUSTER-KEYS are more lines of the
# cluster section ("  key: value"), MORE-YAML more top-level sections.
bus_config() {
	local i=$1 n=$2 j peers=""
	for j in $(seq 1 "$n"); do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.1.$j}, "; done
	cluster_config "$i" "$WORK/cluster.key" "  port_index: 1
${3:+$3
}  nodes: [${peers%, }]
${4:-}"
	sed -i "s|^      ipv6: 2001:2::$i/64|&\n    - device: \"net_af_packet_c$i,iface=${LAB}c$i\"\n      ipv4: 198.18.1.$i/24|" "$WORK/n$i.yaml"
}

# start_cp I: sipshard-cp of node I (its dataplane must be running), waits for ready.
start_cp() {
	: > "$WORK/cp$1.log"          # emptied first, as in start_node
	ip netns exec "$LAB-n$1" "$BUILD/sipshard-cp" -c "$WORK/n$1.yaml" >> "$WORK/cp$1.log" 2>&1 &
	CP_PID[$1]=$!
	wait_ready "$WORK/cp$1.log" 'sipshard-cp: ready' "${CP_PID[$1]}" 15
}

# kill9_node I: the dataplane and control plane of node I, without warning.
kill9_node() {
	kill -KILL "${CP_PID[$1]}" "${NODE_PID[$1]}" 2>/dev/null
	wait "${CP_PID[$1]}" "${NODE_PID[$1]}" 2>/dev/null
	unset "CP_PID[$1]" "NODE_PID[$1]"
	rm -rf "/var/run/dpdk/${LAB}$1"
	rm -f /dev/hugepages/"${LAB}$1"map_*   # its pages back, restarted or not
}

ctl() { local i=$1; shift; "$BUILD/sipshardctl" -s "$WORK/n$i.sock" "$@"; }

# node_state I J: the state node I gives node J ("" when it does not list J).
node_state() {
	ctl "$1" --json nodes 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((n["state"] for n in d["nodes"] if n["id"] == int(sys.argv[1])), ""))' "$2"
}

# wait_state SECONDS STATE I J...: until node I sees every J in STATE.
wait_state() {
	local secs=$1 want=$2 i=$3 j t=0 ok
	shift 3
	while :; do
		ok=1
		for j in "$@"; do [ "$(node_state "$i" "$j")" = "$want" ] || ok=0; done
		[ "$ok" = 1 ] && return 0
		[ "$t" -ge $((secs * 20)) ] && return 1
		sleep 0.05; t=$((t + 1))
	done
}

cleanup_cp() {
	local i
	for i in "${!CP_PID[@]}"; do kill -TERM "${CP_PID[$i]}" 2>/dev/null; done
	for i in "${!CP_PID[@]}"; do wait_gone "${CP_PID[$i]}" 5 || kill -KILL "${CP_PID[$i]}" 2>/dev/null; done
}

# down_delay_ms I J T0: ms from T0 (date +%s%N) to node I's last "down" event about J
# (a leave is one too), dated by the event's age when asked: the polling adds nothing.
down_delay_ms() {
	local out t age
	out=$(ctl "$1" --json events); t=$(date +%s%N)
	age=$(printf '%s' "$out" | python3 -c '
import json, sys
ev = [e for e in json.load(sys.stdin)["events"] if e["node"] == int(sys.argv[1]) and e["event"] == "down"]
print(ev[-1]["age_ms"] if ev else 10**9)' "$2")
	echo $(( (t - $3) / 1000000 - age ))
}
