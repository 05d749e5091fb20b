#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmarks: perf/run.sh SCENARIO...
# Each measurement prints one JSON line on stdout (docs/interfaces.md: perf/run.sh);
# progress and tables go to stderr. Add a scenario as one more case below.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's python3 before any version-manager shim (a shim is a few shell
# processes per call: it would load the CPUs the benchmarks measure).
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
BUILD=${BUILD:-build}
CPU=${PERF_CPU:-1}              # benchmarks run pinned to this CPU

usage() {
	cat >&2 <<USAGE
usage: perf/run.sh SCENARIO...
scenarios:
  parse      SIP parser: cycles and ns per message (REGISTER, INVITE+SDP, 200 OK)
  auth       digest check (SHA-256, MD5), 401 challenge, proxy branch MAC: ns per op
  registrar  REGISTER/s and cycles per REGISTER (200 OK included) on 1 and 2 worker
             shards fed from memory, bytes per binding (CPUs: PERF_CPU, PERF_CPUS2);
             1 worker also with 1,000,000 AoRs (tables of 1,048,576)
  proxy      stateless forwards/s and cycles per INVITE (parse + proxy_request + the
             rewritten copy) on 1 worker fed from memory, per LB algorithm
  wire       sipshard-gen <-memif-> sipshard-dp (1 worker): highest REGISTER rate with
             < 0.1 % loss (idle: busy), latency p50/p99/p999 at half that rate with
             idle: busy and idle: adaptive, the worker's longest stage runs
             (/sipshard/stalls), beside testpmd macswap (wire limit) and the
             machine's own gaps (below, measured in the same run)
  gaps       the machine's floor under latency tails: a thread spinning on each of
             PERF_GEN_CPU and PERF_SUT_CPU for PERF_LAT_S [5] s notes every gap in its
             run (interrupts, other tasks, a hypervisor taking the vCPU away)
  tick       the registrar's expiry sweep with PERF_TICK_BINDINGS [100000] bindings
             due at once: longest and median reg_shard_tick() call, expiries/s
  kamailio-register  the same REGISTER search on a veth (af_packet): sipshard-dp, then
             Kamailio (in-memory usrloc), beside the veth's wire limit
  kamailio-proxy     the same for INVITE forwarded statelessly to a sink backend
  best-register      sipshard on memif against Kamailio on its veth
  sync       full sync of PERF_SYNC_BINDINGS [1000000] bindings from a loaded node to a
             fresh one, cluster port on memif: seconds and bindings/s (sipshardctl sync)
  sync-shard the shards' share of a full sync, from memory on CPU PERF_CPU: ns to pack
             and to apply a binding (PERF_SYNC_BINDINGS [1000000], perf/bench_sync_shard.c)
  replication  the wire REGISTER search with one replicating peer attached, then
             without a cluster: both rates and the overhead
  replication-cost  ns of CPU per REGISTER of each thread (both nodes' workers,
             control lcores and cps) at a fixed PERF_REPL_RATE [300000] /s, with the
             replicating peer and without
  heal       two nodes partitioned (netns lab, cluster bus on its own segment),
             PERF_HEAL_USERS [10000] bindings made on the two sides, the link back up:
             ms until both hold every binding (perf/heal.sh)
  tags       sharing tags, 3 nodes in a netns lab: PERF_TAG_MOVES [100] moves with
             sipshardctl tag set-active (ms p50/max until every peer acked), and
             PERF_FAILOVERS [3] kill -9 of the holder until its VIP answers again
  ping       NAT keepalive pinging of 1,000,000 contacts on one shard fed from memory:
             cycles per ping and per contact passed over, share of a worker at 30 s
  federation directory lookups/s of users homed on other nodes, and INVITEs/s
             forwarded to their home beside INVITEs/s to local users, on 1 worker
             fed from memory (PERF_FED_DIR [1000000] directory entries, 10000 local)
  (generator on PERF_GEN_CPU [0], system under test on PERF_SUT_CPU [1]; see
   docs/benchmarks.md for PERF_AORS, PERF_MODE, PERF_TRIAL_S, PERF_LAT_S ...)
USAGE
}

pin() {
	if command -v taskset > /dev/null && taskset -c "$CPU" true 2> /dev/null; then
		taskset -c "$CPU" "$@"
	else
		echo "perf/run.sh: cannot pin to CPU $CPU, running unpinned" >&2
		"$@"
	fi
}

# ---- sipshard-gen scenarios: wire, kamailio-register, best-register, kamailio-proxy ----
# build/sipshard-gen against a system under test (SUT), and against
# dpdk-testpmd --forward-mode=macswap on the same wire with the same pinning (the
# wire limit: the generator's own requests reflected). The generator (and the sink)
# run on PERF_GEN_CPU, the SUT's worker lcore on PERF_SUT_CPU. Each rate is a
# search inside sipshard-gen for the highest offered rate with loss < PERF_MAX_LOSS
# (closed-loop estimate, growth, bisection of PERF_TRIAL_S trials); latency is
# measured again at half that rate. docs/benchmarks.md explains every figure.
G_GEN_CPU=${PERF_GEN_CPU:-0}
G_SUT_CPU=${PERF_SUT_CPU:-1}
GLAB=${PERF_LAB:-ssgb}
G_AORS=${PERF_AORS:-100000}
G_MODE=${PERF_MODE:-new}
G_TRIAL_S=${PERF_TRIAL_S:-2}
G_LAT_S=${PERF_LAT_S:-5}
# Seconds of the same traffic the generator sends before each latency run, not
# measured (sipshard-gen -w): a system under test that idled before the run (an
# adaptive worker that slept, and on a virtual machine a vCPU that halted and
# comes back slow for tens of ms) starts with a backlog that is not its steady state.
G_WARM_S=${PERF_WARMUP_S:-1}
G_MAX_LOSS=${PERF_MAX_LOSS:-0.001}
G_REPEAT=${PERF_REPEAT:-1}                # searches per measure, the best one counts
G_AFP=${PERF_AFP_ARGS:-,framecnt=4096}   # af_packet ring of every DPDK end (gen, testpmd, dp)
G_MEMIF=${PERF_MEMIF_ARGS:-,rsize=14}    # memif rings of every end: 2^14 slots
G_RESULTS=${PERF_RESULTS:-$BUILD/perf-results}
G_WORK=""
G_SOCK=""
G_NOTE=""
declare -A G_PID=() C=()
G_COMMON=()

g_log() { echo "perf/run.sh: $*" >&2; }

g_cleanup() {
	local n
	for n in "${!G_PID[@]}"; do kill -TERM "${G_PID[$n]}" 2> /dev/null || true; done
	for n in "${!G_PID[@]}"; do g_wait_gone "${G_PID[$n]}" 10 || kill -KILL "${G_PID[$n]}" 2> /dev/null || true; done
	rm -f /dev/hugepages/"$GLAB"*map_*   # what a killed process of ours left holds huge pages
	G_PID=()
	LAB=$GLAB scripts/lab.sh down > /dev/null 2>&1 || true
	[ -z "$G_SOCK" ] || rm -f "$G_SOCK"
	[ -z "$G_WORK" ] || rm -rf "$G_WORK"
}

g_wait_gone() {   # pid seconds
	local t=0
	while kill -0 "$1" 2> /dev/null; do
		sleep 0.1; t=$((t + 1))
		[ "$t" -lt $(($2 * 10)) ] || return 1
	done
}

g_init() {   # once per run.sh: tools, build, work dir, trap
	[ -z "$G_WORK" ] || return 0
	[ "$(id -u)" = 0 ] || { g_log "the lab scenarios need root (netns, huge pages)"; exit 1; }
	command -v dpdk-testpmd > /dev/null || { g_log "dpdk-testpmd missing (Debian package dpdk)"; exit 1; }
	make -s "$BUILD/sipshard-gen" "$BUILD/sipshard-dp" "$BUILD/perf/bench_gaps" >&2
	mkdir -p "$BUILD/perf" "$G_RESULTS" /run/sipshard
	cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -o "$BUILD/perf/sip-sink" perf/sip_sink.c
	G_WORK=$(mktemp -d /tmp/sipshard-perf.XXXXXX)
	G_SOCK=/run/sipshard/$GLAB-$$.sock
	trap g_cleanup EXIT
	trap 'exit 130' INT TERM
}

g_need_kamailio() {
	command -v kamailio > /dev/null && return 0
	g_log "installing kamailio (Debian package)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio > /dev/null ||
		{ g_log "apt-get install kamailio failed"; exit 1; }
}

g_start() {   # NAME NS CMD...: in the background in namespace NS ("-": here), log in
	local name=$1 ns=$2; shift 2   # $G_WORK/NAME.log; the PID is the command's own
	if [ "$ns" = - ]; then
		exec "$@" > "$G_WORK/$name.log" 2>&1 &
	else
		exec ip netns exec "$ns" "$@" > "$G_WORK/$name.log" 2>&1 &
	fi
	G_PID[$name]=$!
}

g_stop() {   # NAME
	local pid=${G_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2> /dev/null || true
	g_wait_gone "$pid" 10 || kill -KILL "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
	unset "G_PID[$1]"
}

g_wait_log() {   # NAME REGEX SECONDS
	local t=0
	until grep -qE "$2" "$G_WORK/$1.log" 2> /dev/null; do
		kill -0 "${G_PID[$1]}" 2> /dev/null || { g_log "$1 exited:"; tail -n 20 "$G_WORK/$1.log" >&2; return 1; }
		sleep 0.2; t=$((t + 1))
		[ "$t" -lt $(($3 * 5)) ] || { g_log "$1 not ready after $3 s"; tail -n 20 "$G_WORK/$1.log" >&2; return 1; }
	done
}

g_ns() {   # NS CMD...: in namespace NS ("-" = here)
	local ns=$1; shift
	if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# g_gen_yaml FILE DEVICE WORKLOAD TARGET_MAC(arp|xx:..) REFLECT(true|false)
# INVITEs go to users of a domain the SUT does not serve, so that both proxies
# forward them to the sink (sipshard-dp would look users of its sip.domains up).
g_gen_yaml() {
	local domain=example.com
	[ "$3" != invite ] || domain=backend.example
	cat > "$1" <<YAML
eal: ["--lcores", "0@$G_GEN_CPU", "--log-level=*:warning"]
port:
  device: "$2"
  ipv4: 198.18.0.101
  mbufs: 32767
target:
  ipv4: 198.18.0.1
  mac: $4
workload:
  type: $3
  aors: $G_AORS
  domain: $domain
  mode: $G_MODE
run:
  timeout_ms: 500
  max_in_flight: 262144
  burst: 32
  idle: adaptive
  reflect: $5
search:
  max_loss: $G_MAX_LOSS
  trial_s: $G_TRIAL_S
  window: 128
YAML
}

jget() {   # FILE KEY: a field of the JSON line in FILE ("" when absent)
	python3 -c 'import json,sys
try:
    v = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2], "")
except Exception:
    v = ""
print(v)' "$1" "$2"
}

# g_measure TAG NS DEVICE WORKLOAD TARGET_MAC REFLECT: search, then latency at half
# the rate found. Sets G_RATE, G_LOSS, G_P50, G_P99, G_P999 (0 when nothing passed).
g_measure() {
	local tag=$1 ns=$2 dev=$3 wl=$4 mac=$5 refl=$6 y=$G_WORK/$1.yaml half
	g_gen_yaml "$y" "$dev" "$wl" "$mac" "$refl"
	g_log "[$tag] search: $wl on $dev$([ "$refl" = true ] && echo ' (reflected)')"
	rm -f "$G_RESULTS/$tag.trials.jsonl" "$G_RESULTS/$tag.cdf" "$G_RESULTS/$tag.lat.json"
	local i r best=-1
	for i in $(seq "$G_REPEAT"); do   # best of PERF_REPEAT searches: interference only lowers
		g_ns "$ns" taskset -c "$G_GEN_CPU" "$BUILD/sipshard-gen" -c "$y" -q \
			--trials "$G_RESULTS/$tag.trials.jsonl" > "$G_WORK/$tag.json.$i" 2> "$G_WORK/$tag.gen.log" || true
		grep -E '^\[search\]|sipshard-gen: (no|cannot|port .* link)' "$G_WORK/$tag.gen.log" |
			sed "s/^/  [$tag$([ "$G_REPEAT" = 1 ] || echo " #$i")] /" >&2 || true
		r=$(jget "$G_WORK/$tag.json.$i" best_rate_per_s); r=${r:-0}
		if [ "$r" -gt "$best" ]; then best=$r; cp "$G_WORK/$tag.json.$i" "$G_WORK/$tag.json"; fi
		[ "$r" -gt 0 ] || break          # nothing answers: once is enough
	done
	G_RATE=$(jget "$G_WORK/$tag.json" best_rate_per_s); G_RATE=${G_RATE:-0}
	G_LOSS=$(jget "$G_WORK/$tag.json" loss); G_LOSS=${G_LOSS:-1}
	G_P50=0 G_P99=0 G_P999=0 G_PMAX=0
	[ "$G_RATE" -gt 0 ] || return 0
	half=$((G_RATE / 2))
	python3 - "$y" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().split("search:")[0]
open(p, "w").write(s)
PY
	# Latency: the generator polls without sleeping, unless the sink shares its CPU.
	[ "$wl" = invite ] || sed -i 's/idle: adaptive/idle: busy/' "$y"
	g_latency "$tag" "$ns" "$y" "$half"
}

# g_latency TAG NS GEN-YAML RATE: the generator's latency run at RATE (the yaml
# without its search: block). Sets G_P50, G_P99, G_P999, G_PMAX; when a
# sipshard-dp runs, G_STALLS is its longest stage runs during the run
# (/sipshard/stalls, ns), "" otherwise.
g_latency() {
	local tag=$1 ns=$2 y=$3 rate=$4
	G_STALLS=""
	[ -z "${G_PID[dp]:-}" ] || echo '/sipshard/stalls,reset' | dpdk-telemetry.py -f "${GLAB}dp" > /dev/null 2>&1 || true
	g_log "[$tag] latency at $rate/s for $G_LAT_S s (after $G_WARM_S s unmeasured)"
	g_ns "$ns" taskset -c "$G_GEN_CPU" "$BUILD/sipshard-gen" -c "$y" -q -r "$rate" -d "$G_LAT_S" -w "$G_WARM_S" \
		--cdf "$G_RESULTS/$tag.cdf" > "$G_WORK/$tag.lat.json" 2> "$G_WORK/$tag.lat.log" || true
	cp "$G_WORK/$tag.lat.json" "$G_RESULTS/$tag.lat.json" 2> /dev/null || true
	G_P50=$(jget "$G_WORK/$tag.lat.json" lat_p50_us); G_P50=${G_P50:-0}
	G_P99=$(jget "$G_WORK/$tag.lat.json" lat_p99_us); G_P99=${G_P99:-0}
	G_P999=$(jget "$G_WORK/$tag.lat.json" lat_p999_us); G_P999=${G_P999:-0}
	G_PMAX=$(jget "$G_WORK/$tag.lat.json" lat_max_us); G_PMAX=${G_PMAX:-0}
	[ -z "${G_PID[dp]:-}" ] || G_STALLS=$(echo /sipshard/stalls | dpdk-telemetry.py -f "${GLAB}dp" 2> /dev/null |
		python3 -c 'import json,sys
d = json.load(sys.stdin)["/sipshard/stalls"]
w = d.get("worker0", {})
print(" ".join("%s=%d" % (k[:-3], v // 1000) for k, v in w.items() if k.endswith("_ns") and v >= 1000) or "all<1us")' \
		2> /dev/null || true)
	[ -z "$G_STALLS" ] || g_log "[$tag] longest stage runs of worker 0 (us): $G_STALLS"
	return 0
}

g_testpmd_start() {   # NS DEVICE: macswap on the SUT's CPU
	g_busy
	rm -f "$G_WORK/testpmd.log"
	g_start testpmd "$1" dpdk-testpmd --lcores "0@$G_GEN_CPU,1@$G_SUT_CPU" --main-lcore 0 \
		--file-prefix "${GLAB}tp" --no-pci --vdev="$2" --log-level='*:warning' -- \
		--forward-mode=macswap --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=32768 \
		--stats-period 1
	g_wait_log testpmd 'start packet forwarding|Port statistics' 30
}

g_dp_start() {   # NS DEVICE [EXTRA-YAML]: sipshard-dp with one worker on the SUT's CPU
	g_busy
	cat > "$G_WORK/dp.yaml" <<YAML
node:
  id: 1
dataplane:
  file_prefix: ${GLAB}dp
  eal: ["--lcores", "0@$G_GEN_CPU,1@$G_SUT_CPU", "--no-pci", "--log-level=*:notice"]
  workers: 1
  idle: ${G_DP_IDLE:-adaptive}
  ports:
    - device: "$2"
      ipv4: 198.18.0.1/24
sip:
  port: 5060
  domains: [example.com]
registrar:
  max_aors: $(( G_AORS * 2 > 65536 ? G_AORS * 2 : 65536 ))
  max_bindings: $(( G_AORS * 2 > 131072 ? G_AORS * 2 : 131072 ))
${3:-}
YAML
	rm -f "$G_WORK/dp.log"
	g_start dp "$1" "$BUILD/sipshard-dp" -c "$G_WORK/dp.yaml"
	g_wait_log dp 'sipshard-dp: ready' 30
}

# g_dp_note METHOD RATE: why sipshard's figure is what it is, from its counters.
g_dp_note() {
	local stats
	stats=$(echo /sipshard/stats | dpdk-telemetry.py -f "${GLAB}dp" 2> /dev/null || true)
	G_NOTE=$(python3 - "$1" "$2" "$stats" <<'PY'
import json, sys
method, rate, raw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    d = json.loads(raw)["/sipshard/stats"]
except Exception:
    d = None
if rate > 0:
    print("")
elif d is None:
    print("sipshard-dp answered none of the %ss (its counters could not be read)" % method)
else:
    got = d.get("sip_requests", {}).get(method, 0)
    unh = d.get("drops", {}).get("sip_unhandled", 0)
    cls = d.get("sip_replies", {}) if isinstance(d.get("sip_replies"), dict) else {}
    fwd = d.get("proxy", {}) if isinstance(d.get("proxy"), dict) else {}
    rep = sum(v for v in cls.values() if isinstance(v, int))
    what = "answer REGISTER" if method == "REGISTER" else "proxy %s" % method
    if rep == 0 and method == "REGISTER":
        print("sipshard-dp does not %s yet: it received and parsed %d %ss (sip_unhandled %d), sent 0 replies"
              % (what, got, method, unh))
    elif rep == 0 and not any(isinstance(v, int) and v for v in fwd.values()):
        print("sipshard-dp does not %s yet: it received and parsed %d %ss (sip_unhandled %d), forwarded and answered none"
              % (what, got, method, unh))
    else:
        print("no rate passed the loss criterion: sipshard-dp received %d %ss, sip_unhandled %d, replies by class %s; see the trials"
              % (got, method, unh, json.dumps({k: v for k, v in cls.items() if v}, separators=(",", ":"))))
PY
)
}

g_kam_start() {   # NS CFG -A ARGS...: Kamailio pinned to the SUT's CPU, one worker
	local ns=$1 cfg=$2; shift 2
	g_need_kamailio
	g_busy
	rm -f "$G_WORK/kamailio.log"
	mkdir -p "$G_WORK/kam-run"
	g_start kamailio "$ns" taskset -c "$G_SUT_CPU" kamailio -f "$cfg" "$@" -n 1 -m 512 -M 32 \
		-DD -E -Y "$G_WORK/kam-run"
	local t=0
	until g_ns "$ns" ss -lun 2> /dev/null | grep -q '198.18.0.1:5060'; do
		kill -0 "${G_PID[kamailio]}" 2> /dev/null || { g_log "kamailio exited:"; tail -n 20 "$G_WORK/kamailio.log" >&2; return 1; }
		sleep 0.2; t=$((t + 1)); [ "$t" -lt 100 ] || { g_log "kamailio not listening"; return 1; }
	done
}

g_lab() {   # N: a fresh lab with N nodes; node 2 (if any) has 198.18.0.2 on its kernel
	LAB=$GLAB scripts/lab.sh up "$1" > /dev/null
	if [ "$1" -ge 2 ]; then
		ip -n "$GLAB-n2" addr add 198.18.0.2/24 dev "${GLAB}n2"
		ip netns exec "$GLAB-n2" ethtool -K "${GLAB}n2" tx off > /dev/null 2>&1 || true
	fi
}

g_kernel_addr() {   # on|off: 198.18.0.1 on node 1's kernel (Kamailio) or not (DPDK)
	if [ "$1" = on ]; then
		ip -n "$GLAB-n1" addr add 198.18.0.1/24 dev "${GLAB}n1"
		ip netns exec "$GLAB-n1" ethtool -K "${GLAB}n1" tx off > /dev/null 2>&1 || true
	else
		ip -n "$GLAB-n1" addr flush dev "${GLAB}n1"
	fi
}

# g_emit BENCH KEY=VALUE...: the JSON line on stdout (numbers typed), a table row on stderr.
g_emit() {
	python3 - "$@" <<'PY'
import json, sys
out = {"bench": sys.argv[1]}
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    for conv in (int, float):
        try:
            v = conv(v)
            break
        except ValueError:
            pass
    if v == "":
        continue
    out[k] = v
print(json.dumps(out, separators=(",", ":")), flush=True)
row = " | ".join("%s=%s" % (k, v) for k, v in out.items() if k not in ("cpu", "date", "note"))
sys.stderr.write("| %s |\n" % row)
if out.get("note"):
    sys.stderr.write("|   note: %s\n" % out["note"])
PY
}

g_ratio() { python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(round(a / b, 4) if b > 0 else "")' "$1" "$2"; }

g_common() {   # G_COMMON: the fields every line carries
	G_COMMON=("cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
		  "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "gen_cpu=$G_GEN_CPU" "sut_cpu=$G_SUT_CPU"
		  "aors=$G_AORS" "mode=$G_MODE" "max_loss=$G_MAX_LOSS" "trial_s=$G_TRIAL_S"
		  "repeat=$G_REPEAT" "lat_warmup_s=$G_WARM_S")
}

# g_busy: how busy PERF_GEN_CPU and PERF_SUT_CPU were during one second while none
# of ours ran (other people's work shares them); the highest figure of the scenario
# goes into its line as others_cpu_busy (0..1), with a warning above 5 %.
g_busy() {
	local b
	b=$(python3 - "$G_GEN_CPU" "$G_SUT_CPU" <<'PY'
import sys, time
def snap():
    r = {}
    for line in open("/proc/stat"):
        f = line.split()
        if f[0].startswith("cpu") and f[0] != "cpu":
            v = list(map(int, f[1:]))
            r[f[0][3:]] = (sum(v), v[3] + v[4])
    return r
a = snap(); time.sleep(1); b = snap()
busy = 0.0
for c in sys.argv[1:]:
    tot, idle = b[c][0] - a[c][0], b[c][1] - a[c][1]
    if tot > 0:
        busy = max(busy, 1.0 - idle / tot)
print("%.3f" % busy)
PY
)
	if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$b" "${C[busy]:-0}"; then
		C[busy]=$b
	fi
	if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.05 else 1)' "$b"; then
		g_log "warning: CPUs $G_GEN_CPU/$G_SUT_CPU were ${b} busy with other work just before this measure: figures will be low"
	fi
}

# Scenario 1's measurements (memif): C[memif_*].
# g_gaps: the machine's floor under the latency tails (perf/bench_gaps.c): both
# CPUs spinning as the generator and a polling SUT do, for a latency run's time;
# C[gap_max] (longest gap, us), C[gaps_1ms], C[gaps_100us] (per second, worst CPU).
g_gaps() {
	local j
	j=$("$BUILD/perf/bench_gaps" -s "$G_LAT_S" "$G_GEN_CPU" "$G_SUT_CPU" 2> "$G_WORK/gaps.txt")
	echo "$j" > "$G_RESULTS/gaps-$(date -u +%Y%m%dT%H%M%SZ).json"
	C[gap_max]=$(s_json gap_max_us <<< "$j") C[gaps_1ms]=$(s_json gaps_over_1ms_per_s <<< "$j")
	C[gaps_100us]=$(s_json gaps_over_100us_per_s <<< "$j")
}

# g_flowgen DEVICE: an independent generator on the same wire and CPU as
# sipshard-gen: testpmd flowgen (frames of the REGISTER's length, received and
# discarded: no SIP built or read) against the macswap server that runs.
# C[flowgen]: its round trips per second (the median of 4 one-second figures).
g_flowgen() {
	local log=$G_WORK/flowgen.log len
	len=$(sed -n 's/.* \([0-9]*\)-byte frames.*/\1/p' "$G_WORK/wire-memif-testpmd.gen.log" | head -1)
	timeout 8 dpdk-testpmd --lcores "0@$G_GEN_CPU,1@$G_GEN_CPU" --main-lcore 0 \
		--file-prefix "${GLAB}fg" --no-pci --vdev="$1" --log-level='*:warning' -- \
		--forward-mode=flowgen --txpkts="${len:-574}" --nb-cores=1 --rxq=1 --txq=1 \
		--total-num-mbufs=32768 --stats-period 1 --burst=32 > "$log" 2>&1 < /dev/null || true
	C[flowgen]=$(awk '/Rx-pps/ {print $2}' "$log" | sed -n 3,6p | sort -n | sed -n 2p)
	C[flowgen]=${C[flowgen]:-0}
	g_log "[wire-memif-flowgen] testpmd flowgen, ${len:-574}-byte frames: ${C[flowgen]} round trips/s"
}

g_memif_register() {
	[ -z "${C[memif_done]:-}" ] || return 0
	g_init; C[busy]=0
	g_gaps
	rm -f "$G_SOCK"
	g_testpmd_start - "net_memif0,role=server,socket=$G_SOCK$G_MEMIF"
	g_measure wire-memif-testpmd - "net_memif0,role=client,socket=$G_SOCK$G_MEMIF" register \
		02:00:00:00:00:01 true
	g_flowgen "net_memif0,role=client,socket=$G_SOCK$G_MEMIF"
	g_stop testpmd
	C[memif_wire]=$G_RATE
	C[memif_wire_p50]=$G_P50 C[memif_wire_p99]=$G_P99 C[memif_wire_p999]=$G_P999
	rm -f "$G_SOCK"
	# The rate with idle: busy; then the latency at half of it, busy and adaptive.
	G_DP_IDLE=busy g_dp_start - "net_memif0,role=server,socket=$G_SOCK$G_MEMIF"
	g_measure wire-memif-sipshard - "net_memif0,role=client,socket=$G_SOCK$G_MEMIF" register arp false
	C[memif_rate]=$G_RATE C[memif_loss]=$G_LOSS
	C[memif_p50]=$G_P50 C[memif_p99]=$G_P99 C[memif_p999]=$G_P999 C[memif_max]=${G_PMAX:-0}
	C[memif_stalls]=${G_STALLS:-}
	g_dp_note REGISTER "$G_RATE"; C[memif_note]=$G_NOTE
	g_stop dp
	rm -f "$G_SOCK"
	C[memif_ad_p50]=0 C[memif_ad_p99]=0 C[memif_ad_p999]=0 C[memif_ad_max]=0 C[memif_ad_stalls]=""
	if [ "${C[memif_rate]}" -gt 0 ]; then
		G_DP_IDLE=adaptive g_dp_start - "net_memif0,role=server,socket=$G_SOCK$G_MEMIF"
		g_latency wire-memif-sipshard-adaptive - "$G_WORK/wire-memif-sipshard.yaml" \
			$((C[memif_rate] / 2))
		C[memif_ad_p50]=$G_P50 C[memif_ad_p99]=$G_P99 C[memif_ad_p999]=$G_P999
		C[memif_ad_max]=$G_PMAX C[memif_ad_stalls]=$G_STALLS
		g_stop dp
		rm -f "$G_SOCK"
	fi
	C[memif_busy]=${C[busy]} C[memif_done]=1
}

# Scenario 2/4's measurements on the veth, WL register|invite: C[WL_*].
g_veth() {
	local wl=$1 cfg extra="" method mac gdev sdev
	[ -z "${C[${wl}_done]:-}" ] || return 0
	g_init; C[busy]=0
	if [ "$wl" = invite ]; then
		cfg=perf/kamailio-proxy.cfg method=INVITE
		extra=$'backends:\n  - set: 1\n    members:\n      - {uri: "sip:198.18.0.2:5060"}'
		g_lab 2
		g_start sink "$GLAB-n2" taskset -c "$G_GEN_CPU" "$BUILD/perf/sip-sink" -a 198.18.0.2
		g_wait_log sink 'listening' 10
	else
		cfg=perf/kamailio-registrar.cfg method=REGISTER
		g_lab 1
	fi
	gdev="net_af_packet0,iface=${GLAB}cl$G_AFP" sdev="net_af_packet0,iface=${GLAB}n1$G_AFP"
	mac=$(ip netns exec "$GLAB-n1" cat "/sys/class/net/${GLAB}n1/address")
	g_testpmd_start "$GLAB-n1" "$sdev"
	g_measure "veth-$wl-testpmd" "$GLAB-cl" "$gdev" "$wl" "$mac" true
	g_stop testpmd
	C[${wl}_wire]=$G_RATE
	g_dp_start "$GLAB-n1" "$sdev" "$extra"
	g_measure "veth-$wl-sipshard" "$GLAB-cl" "$gdev" "$wl" arp false
	C[${wl}_ss]=$G_RATE C[${wl}_ss_p50]=$G_P50 C[${wl}_ss_p99]=$G_P99
	g_dp_note "$method" "$G_RATE"; C[${wl}_note]=$G_NOTE
	g_stop dp
	g_kernel_addr on
	g_kam_start "$GLAB-n1" "$cfg" -A "LISTEN=udp:198.18.0.1:5060" -A 'SINK="sip:198.18.0.2:5060"'
	g_measure "veth-$wl-kamailio" "$GLAB-cl" "$gdev" "$wl" arp false
	C[${wl}_kam]=$G_RATE C[${wl}_kam_p50]=$G_P50 C[${wl}_kam_p99]=$G_P99 C[${wl}_kam_p999]=$G_P999
	g_stop kamailio
	g_stop sink
	LAB=$GLAB scripts/lab.sh down > /dev/null 2>&1 || true
	C[${wl}_busy]=${C[busy]} C[${wl}_done]=1
}

g_scenario_wire() {
	g_memif_register; g_common
	g_emit wire wire=memif workload=register "rate_per_s=${C[memif_rate]}" \
		"wire_limit_per_s=${C[memif_wire]}" "loss=${C[memif_loss]}" "lat_p50_us=${C[memif_p50]}" \
		"lat_p99_us=${C[memif_p99]}" "lat_p999_us=${C[memif_p999]}" \
		"lat_at_per_s=$((C[memif_rate] / 2))" \
		"busy_lat_p50_us=${C[memif_p50]}" "busy_lat_p99_us=${C[memif_p99]}" \
		"busy_lat_p999_us=${C[memif_p999]}" "busy_lat_max_us=${C[memif_max]}" \
		"adaptive_lat_p50_us=${C[memif_ad_p50]}" "adaptive_lat_p99_us=${C[memif_ad_p99]}" \
		"adaptive_lat_p999_us=${C[memif_ad_p999]}" "adaptive_lat_max_us=${C[memif_ad_max]}" \
		"reflect_lat_p50_us=${C[memif_wire_p50]}" "reflect_lat_p99_us=${C[memif_wire_p99]}" \
		"reflect_lat_p999_us=${C[memif_wire_p999]}" \
		"busy_stalls_us=${C[memif_stalls]}" "adaptive_stalls_us=${C[memif_ad_stalls]}" \
		"machine_gap_max_us=${C[gap_max]}" "machine_gaps_over_1ms_per_s=${C[gaps_1ms]}" \
		"machine_gaps_over_100us_per_s=${C[gaps_100us]}" \
		"wire_limit_flowgen_per_s=${C[flowgen]}" \
		"gen_share_of_wire=$(g_ratio "${C[memif_wire]}" "${C[flowgen]}")" \
		"wire_ratio_flowgen=$(g_ratio "${C[memif_rate]}" "${C[flowgen]}")" \
		"wire_ratio=$(g_ratio "${C[memif_rate]}" "${C[memif_wire]}")" "others_cpu_busy=${C[memif_busy]}" \
		"${G_COMMON[@]}" "note=${C[memif_note]}"
}

g_scenario_kamailio() {   # register|invite
	local wl=$1 b=kamailio-register
	[ "$wl" = register ] || b=kamailio-proxy
	g_veth "$wl"; g_common
	g_emit "$b" wire=veth "workload=$wl" "sipshard_rate_per_s=${C[${wl}_ss]}" \
		"kamailio_rate_per_s=${C[${wl}_kam]}" "wire_limit_per_s=${C[${wl}_wire]}" \
		"ratio=$(g_ratio "${C[${wl}_ss]}" "${C[${wl}_kam]}")" \
		"sipshard_lat_p50_us=${C[${wl}_ss_p50]}" "sipshard_lat_p99_us=${C[${wl}_ss_p99]}" \
		"kamailio_lat_p50_us=${C[${wl}_kam_p50]}" "kamailio_lat_p99_us=${C[${wl}_kam_p99]}" \
		"kamailio_lat_p999_us=${C[${wl}_kam_p999]}" \
		"kamailio_wire_ratio=$(g_ratio "${C[${wl}_kam]}" "${C[${wl}_wire]}")" \
		"others_cpu_busy=${C[${wl}_busy]}" "${G_COMMON[@]}" "note=${C[${wl}_note]}"
}

g_scenario_best() {
	g_memif_register
	g_veth register; g_common
	g_emit best-register sipshard_wire=memif "sipshard_rate_per_s=${C[memif_rate]}" kamailio_wire=veth \
		"kamailio_rate_per_s=${C[register_kam]}" \
		"ratio=$(g_ratio "${C[memif_rate]}" "${C[register_kam]}")" \
		"sipshard_wire_limit_per_s=${C[memif_wire]}" "kamailio_wire_limit_per_s=${C[register_wire]}" \
		"others_cpu_busy=$(python3 -c 'import sys; print(max(map(float, sys.argv[1:])))' "${C[memif_busy]}" "${C[register_busy]}")" \
		"${G_COMMON[@]}" "note=${C[memif_note]}"
}
# ---- end of the sipshard-gen scenarios ----

# ---- cluster scenarios: sync, replication ----
# Two sipshard-dp nodes whose cluster ports are the two ends of one net_memif
# (the donor / system under test is the server), each with its sipshard-cp; the
# donor's SIP port is a second memif towards sipshard-gen. No namespace: memif
# frames never touch the kernel. The cp pins itself to CPU 0 (CP_LCORE_ID 127@0).
S_BINDINGS=${PERF_SYNC_BINDINGS:-1000000}
S_MTU=${PERF_CLUSTER_MTU:-1500}              # IP MTU of both ends of the cluster memif
S_SOCK_CL=""
# Each frame in one memif buffer (the config requires it: docs/dataplane.md "Ports").
S_BSIZE=""; [ "$S_MTU" -le 2034 ] || S_BSIZE=",bsize=$(( (S_MTU + 14 + 1023) / 1024 * 1024 ))"
# The CPU of each node's sipshard-cp (SIPSHARD_CP_CPUS; default CPU 0). In sync,
# node 2's cp runs on the workers' CPU (PERF_SYNC_PEER_CP_CPU, default
# PERF_SUT_CPU): the two cps, the two control lcores and the generator's leftovers
# otherwise all share CPU 0 while both workers wait on CPU 1.
declare -A S_CP_CPUS=()

# s_node NAME ID LCORES MAX PORTS-YAML [CLUSTER-YAML]: sipshard-dp NAME (node ID,
# one worker, registrar sized for MAX bindings) and, with a cluster section, its
# sipshard-cp (admin socket $G_WORK/NAME.sock).
s_node() {
	local name=$1 id=$2 lc=$3 max=$4 ports=$5 cluster=${6:-}
	cat > "$G_WORK/$name.yaml" <<YAML
node:
  id: $id
dataplane:
  file_prefix: ${GLAB}$name
  eal: ["--lcores", "$lc", "--no-pci", "--log-level=*:notice", "--log-level=sipshard.dp:info"]
  workers: 1
  idle: adaptive
  mbuf_size: $(( S_MTU > 1500 ? S_MTU + 1024 : 2176 ))
  ports:
$ports
sip:
  port: 5060
  domains: [example.com]
registrar:
  max_aors: $max
  max_bindings: $max
${cluster:+$cluster
admin:
  socket: $G_WORK/$name.sock}
YAML
	rm -f "$G_WORK/$name.log" "$G_WORK/$name-cp.log"
	g_start "$name" - "$BUILD/sipshard-dp" -c "$G_WORK/$name.yaml"
	g_wait_log "$name" 'sipshard-dp: ready' 120 || return 1
	[ -n "$cluster" ] || return 0
	g_start "$name-cp" - env "SIPSHARD_CP_CPUS=${S_CP_CPUS[$name]:-0}" \
		"$BUILD/sipshard-cp" -c "$G_WORK/$name.yaml"
	g_wait_log "$name-cp" 'sipshard-cp: ready' 30
}

s_cluster() {   # ID PEER-ID PEER-ADDRESS PORT-INDEX: the cluster section of node ID
	cat <<YAML
cluster:
  id: 7
  port: 5800
  key_file: $G_WORK/cluster.key
  port_index: $4
  nodes: [{id: $2, address: $3}]
YAML
}

s_ctl() { local n=$1; shift; "$BUILD/sipshardctl" -s "$G_WORK/$n.sock" -t 30 --json "$@"; }

s_json() {   # KEY.KEY...: a field of the JSON object on stdin ("" when absent)
	python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)
    for k in sys.argv[1].split("."):
        d = d[k]
except Exception:
    d = ""
print(d)' "$1"
}

s_init() {
	g_init
	make -s "$BUILD/sipshard-cp" "$BUILD/sipshardctl" >&2
	head -c 32 /dev/urandom > "$G_WORK/cluster.key"; chmod 600 "$G_WORK/cluster.key"
	S_SOCK_CL=/run/sipshard/$GLAB-$$-cl.sock
	rm -f "$G_SOCK" "$S_SOCK_CL"
}

s_cleanup() {
	g_stop peer-cp; g_stop peer; g_stop donor-cp; g_stop donor
	rm -f "$G_SOCK" "$S_SOCK_CL"
}

# The donor (node 1): port 0 towards the generator, port 1 the cluster memif.
s_donor_ports() {
	cat <<YAML
    - device: "net_memif0,role=server,socket=$G_SOCK$G_MEMIF"
      ipv4: 198.18.0.1/24
    - device: "net_memif1,role=server,socket=$S_SOCK_CL$G_MEMIF$S_BSIZE"
      ipv4: 198.18.2.1/24
      mtu: $S_MTU
YAML
}

s_peer_ports() {
	cat <<YAML
    - device: "net_memif0,role=client,socket=$S_SOCK_CL$G_MEMIF$S_BSIZE"
      ipv4: 198.18.2.2/24
      mtu: $S_MTU
YAML
}

s_wait_up() {   # NAME PEER-ID SECONDS: until NAME's cp lists the peer up
	local t=0
	until s_ctl "$1" nodes 2> /dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(n["id"] == int(sys.argv[1]) and n["state"] == "up" for n in d["nodes"]) else 1)' "$2"; do
		sleep 0.2; t=$((t + 1))
		[ "$t" -lt $(($3 * 5)) ] || { g_log "node $2 not up for $1 after $3 s"; return 1; }
	done
}

s_contacts() { s_ctl "$1" contacts count 2> /dev/null | s_json contacts; }

# s_load N: REGISTER users u0..u(N-1) at the donor, one contact each: the
# generator's prefill (mode refresh: every AoR once, closed loop, 64 in flight),
# then one second of refreshes; again (at most 3 passes) until it holds N.
s_load() {
	local n=$1 y=$G_WORK/load.yaml pass have=0
	cat > "$y" <<YAML
eal: ["--lcores", "0@$G_GEN_CPU", "--log-level=*:warning"]
port:
  device: "net_memif0,role=client,socket=$G_SOCK$G_MEMIF"
  ipv4: 198.18.0.101
  mbufs: 32767
target:
  ipv4: 198.18.0.1
  mac: arp
workload:
  type: register
  aors: $n
  mode: refresh
  prefill: true
run:
  rate: 1000
  duration_s: 1
  timeout_ms: 500
  progress: false
YAML
	for pass in 1 2 3; do
		taskset -c "$G_GEN_CPU" "$BUILD/sipshard-gen" -c "$y" -q > "$G_WORK/load.$pass.json" \
			2> "$G_WORK/load.$pass.log" || true
		have=$(s_contacts donor); have=${have:-0}
		g_log "[sync] load pass $pass: $(grep -o 'prefill: .*' "$G_WORK/load.$pass.log" || true); the donor holds $have contacts"
		[ "$have" -lt "$n" ] || return 0
	done
	g_log "[sync] the donor holds $have of $n contacts"
	return 1
}

g_scenario_sync() {
	local n=$S_BINDINGS max t0 t st out secs recs bytes rate wall got bpb limit note=""
	s_init; C[busy]=0
	max=$(( n + n / 8 + 1024 ))
	g_busy
	# PERF_SYNC_LAYOUT: "node" (default): each node on a CPU of its own (the
	# donor on the SUT's CPU, node 2 on the generator's), as the two machines a
	# donor and a fresh node are; "split": both main lcores on the generator's
	# CPU, both workers on the SUT's (the two nodes' workers then take turns on
	# one CPU, which no deployment does).
	local layout=${PERF_SYNC_LAYOUT:-node} donor_lc peer_lc
	case $layout in
	split) donor_lc="0@$G_GEN_CPU,1@$G_SUT_CPU" peer_lc="0@$G_GEN_CPU,1@$G_SUT_CPU" ;;
	*) layout=node donor_lc="0@$G_SUT_CPU,1@$G_SUT_CPU" peer_lc="0@$G_GEN_CPU,1@$G_GEN_CPU"
	   S_CP_CPUS[donor]=$G_SUT_CPU ;;
	esac
	s_node donor 1 "$donor_lc" "$max" "$(s_donor_ports)" \
		"$(s_cluster 1 2 198.18.2.2 1)" || { s_cleanup; return 1; }
	bpb=$(grep -oE '[0-9]+ bytes per binding' "$G_WORK/donor.log" | head -n 1 | cut -d' ' -f1 || true)
	g_log "[sync] loading $n bindings into node 1 (the donor)"
	s_load "$n" || note="the donor holds fewer bindings than asked"
	# The fresh node: its cp on its own CPU (node), or on the workers' (split).
	if [ "$layout" = node ]; then
		S_CP_CPUS[peer]=${PERF_SYNC_PEER_CP_CPU:-$G_GEN_CPU}
	else
		S_CP_CPUS[peer]=${PERF_SYNC_PEER_CP_CPU:-$G_SUT_CPU}
	fi
	g_log "[sync] node 2 starts empty; full sync from node 1 over memif (MTU $S_MTU), its cp on CPU ${S_CP_CPUS[peer]}"
	s_node peer 2 "$peer_lc" "$max" "$(s_peer_ports)" \
		"$(s_cluster 2 1 198.18.2.1 0)" || { s_cleanup; return 1; }
	t0=$(date +%s%N)
	limit=$(( 30 + n / 10000 ))   # 10,000 bindings/s at least
	# Polled twice a second, with grep (the node measures the seconds itself).
	st=""
	while :; do
		out=$(s_ctl peer sync 2> /dev/null || true)
		case $out in *'"state":"synced"'*) st=synced; break ;; esac
		t=$(( ($(date +%s%N) - t0) / 1000000000 ))
		[ "$t" -lt "$limit" ] || { note="not synced after $limit s ($out)"; break; }
		sleep 0.5
	done
	wall=$(python3 -c 'import sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / 1e9, 2))' "$t0" "$(date +%s%N)")
	secs=$(echo "$out" | s_json seconds) recs=$(echo "$out" | s_json records)
	bytes=$(echo "$out" | s_json bytes)
	got=$(s_contacts peer)
	rate=$(python3 -c 'import sys; s, r = float(sys.argv[1] or 0), float(sys.argv[2] or 0); print(int(r / s) if s > 0 and r > 0 else 0)' "$secs" "$recs")
	s_ctl donor stats > "$G_WORK/sync-donor-stats.json" 2> /dev/null || true
	s_ctl peer stats > "$G_WORK/sync-peer-stats.json" 2> /dev/null || true
	mkdir -p "$G_RESULTS"
	cp "$G_WORK/sync-donor-stats.json" "$G_WORK/sync-peer-stats.json" "$G_RESULTS/" 2> /dev/null || true
	for f in donor peer donor-cp peer-cp; do cp "$G_WORK/$f.log" "$G_RESULTS/sync-$f.log" 2> /dev/null || true; done
	[ "$st" = synced ] || rate=0
	[ "${got:-0}" = "$n" ] || note="${note:+$note; }node 2 holds ${got:-?} contacts of $n"
	s_cleanup
	g_common
	g_emit sync wire=memif "bindings=$n" "seconds=${secs:-0}" "bindings_per_s=$rate" \
		"records=${recs:-0}" "bytes=${bytes:-0}" "wall_seconds=$wall" \
		"synced_contacts=${got:-0}" "bytes_per_binding=${bpb:-}" "cluster_mtu=$S_MTU" \
		"peer_cp_cpu=${S_CP_CPUS[peer]}" "layout=$layout" \
		"others_cpu_busy=${C[busy]}" "${G_COMMON[0]}" "${G_COMMON[1]}" \
		"note=$note"
}

# s_pair MAX: node 1 (the system under test, its worker on PERF_SUT_CPU) and node
# 2, its replicating peer (on the generator's CPU), both sized for MAX bindings,
# up and seeing each other.
s_pair() {
	s_node donor 1 "0@$G_GEN_CPU,1@$G_SUT_CPU" "$1" "$(s_donor_ports)" \
		"$(s_cluster 1 2 198.18.2.2 1)" || return 1
	s_node peer 2 "0@$G_GEN_CPU,1@$G_GEN_CPU" "$1" "$(s_peer_ports)" \
		"$(s_cluster 2 1 198.18.2.1 0)" || return 1
	s_wait_up donor 2 20
}

# replication: the wire REGISTER search against node 1 with node 2 attached as a
# replicating peer (cluster up), then against node 1 alone (no cluster section,
# same two ports). Node 2 and both cps run on the generator's CPU.
g_scenario_replication() {
	local max with without over q drop behind
	s_init; C[busy]=0
	max=$(( G_AORS * 2 > 131072 ? G_AORS * 2 : 131072 ))
	g_busy
	s_pair "$max" || { s_cleanup; return 1; }
	g_measure wire-memif-repl - "net_memif0,role=client,socket=$G_SOCK$G_MEMIF" register arp false
	with=$G_RATE
	s_ctl donor stats > "$G_WORK/repl-donor-stats.json" 2> /dev/null || true
	s_ctl peer stats > "$G_WORK/repl-peer-stats.json" 2> /dev/null || true
	mkdir -p "$G_RESULTS"
	cp "$G_WORK/repl-donor-stats.json" "$G_WORK/repl-peer-stats.json" "$G_RESULTS/" 2> /dev/null || true
	q=$(s_json replication.records_queued < "$G_WORK/repl-donor-stats.json")
	behind=$(s_json replication.peer_behind < "$G_WORK/repl-donor-stats.json")
	drop=$(s_json registrar.events_dropped < "$G_WORK/repl-donor-stats.json")
	s_cleanup
	g_busy
	s_node donor 1 "0@$G_GEN_CPU,1@$G_SUT_CPU" "$max" "$(s_donor_ports)" || { s_cleanup; return 1; }
	g_measure wire-memif-norepl - "net_memif0,role=client,socket=$G_SOCK$G_MEMIF" register arp false
	without=$G_RATE
	s_cleanup
	over=$(python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(round(1 - a / b, 4) if b > 0 else "")' "$with" "$without")
	g_common
	g_emit replication wire=memif "rate_per_s=$with" "rate_without_per_s=$without" "overhead=$over" \
		"records_queued=${q:-}" "events_dropped=${drop:-}" "peer_behind=${behind:-}" \
		"others_cpu_busy=${C[busy]}" "${G_COMMON[@]}"
}
# replication-cost: what replicating one REGISTER costs, thread by thread. The
# generator offers PERF_REPL_RATE [300000] REGISTERs/s (mode new) for PERF_LAT_S
# [5] s to node 1 with node 2 as its replicating peer, then to node 1 alone; each
# thread's CPU time (utime + stime of /proc/PID/task/TID/stat) over the run,
# divided by the REGISTERs answered, is its ns per REGISTER. The rate is one the
# machine carries (check events_dropped = 0): the figures are costs, not limits.
s_cpu_snap() {   # NAME...: "NAME/THREAD ticks" lines of the named processes
	local n t c
	for n in "$@"; do
		for t in /proc/"${G_PID[$n]}"/task/*; do
			c=$(sed 's/^.*) //' "$t/stat" 2> /dev/null | awk '{ print $12 + $13 }') || continue
			echo "$n/$(tr ' ' _ < "$t/comm") ${c:-0}"
		done
	done
}

s_cost_run() {   # TAG NAMES...: the fixed-rate run; "thread ns_per_register" lines
	local tag=$1 y=$G_WORK/$1.yaml a b got; shift
	g_gen_yaml "$y" "net_memif0,role=client,socket=$G_SOCK$G_MEMIF" register arp false
	sed -i '/^search:/,$d' "$y"
	s_cpu_snap "$@" > "$G_WORK/$tag.cpu0"
	taskset -c "$G_GEN_CPU" "$BUILD/sipshard-gen" -c "$y" -q -r "$R_RATE" -d "$G_LAT_S" \
		> "$G_WORK/$tag.json" 2> "$G_WORK/$tag.gen.log" || true
	s_cpu_snap "$@" > "$G_WORK/$tag.cpu1"
	got=$(jget "$G_WORK/$tag.json" replies_ok); got=${got:-0}
	g_log "[$tag] $R_RATE/s for $G_LAT_S s: $got answered"
	python3 - "$G_WORK/$tag.cpu0" "$G_WORK/$tag.cpu1" "$got" "$(getconf CLK_TCK)" <<'PY'
import sys
a = dict(l.rsplit(" ", 1) for l in open(sys.argv[1]).read().split("\n") if l)
b = dict(l.rsplit(" ", 1) for l in open(sys.argv[2]).read().split("\n") if l)
n, hz = max(int(sys.argv[3]), 1), int(sys.argv[4])
for k in sorted(b):
    d = int(b[k]) - int(a.get(k, 0))
    if d > 0:
        print(k, round(d / hz * 1e9 / n))
PY
}

g_scenario_replication_cost() {
	local max kv=() with without t v drop R_RATE=${PERF_REPL_RATE:-300000}
	s_init; C[busy]=0
	max=$(( G_AORS * 2 > 131072 ? G_AORS * 2 : 131072 ))
	g_busy
	s_pair "$max" || { s_cleanup; return 1; }
	with=$(s_cost_run cost-repl donor donor-cp peer peer-cp)
	mkdir -p "$G_RESULTS"
	s_ctl donor stats > "$G_RESULTS/cost-donor-stats.json" 2> /dev/null || true
	s_ctl peer stats > "$G_RESULTS/cost-peer-stats.json" 2> /dev/null || true
	drop=$(s_json registrar.events_dropped < "$G_RESULTS/cost-donor-stats.json")
	for t in syncs_started repair_records digest_postponed; do
		kv+=("$t=$(s_json replication.$t < "$G_RESULTS/cost-donor-stats.json")")
		kv+=("peer_$t=$(s_json replication.$t < "$G_RESULTS/cost-peer-stats.json")")
	done
	s_cleanup
	g_busy
	s_node donor 1 "0@$G_GEN_CPU,1@$G_SUT_CPU" "$max" "$(s_donor_ports)" || { s_cleanup; return 1; }
	without=$(s_cost_run cost-norepl donor)
	s_cleanup
	printf '%s\n' "== ns of CPU per REGISTER, with a replicating peer:" "$with" \
		"== without:" "$without" >&2
	while read -r t v; do kv+=("${t//[^a-z0-9]/_}_ns=$v"); done <<< "$with"
	while read -r t v; do kv+=("alone_${t//[^a-z0-9]/_}_ns=$v"); done <<< "$without"
	g_common
	g_emit replication-cost wire=memif "rate_per_s=$R_RATE" "events_dropped=${drop:-}" \
		"${kv[@]}" "others_cpu_busy=${C[busy]}" "${G_COMMON[0]}" "${G_COMMON[1]}"
}
# heal: perf/heal.sh builds the lab, partitions, loads, heals and prints key=value
# lines; the figure is the time from the link coming back up to both nodes holding
# every binding, polled every 10 ms with sipshardctl.
g_scenario_heal() {
	local out kv=() G_AORS=${PERF_HEAL_USERS:-10000}
	make -s "$BUILD/sipshard-dp" "$BUILD/sipshard-cp" "$BUILD/sipshardctl" >&2
	command -v sipp > /dev/null || { g_log "sipp missing (Debian package sip-tester)"; return 1; }
	out=$(LAB=${GLAB}h bash perf/heal.sh) || true
	mapfile -t kv < <(printf '%s\n' "$out" | grep -E '^[a-z_0-9]+=')
	g_common
	g_emit heal wire=af_packet "${kv[@]}" "${G_COMMON[0]}" "${G_COMMON[1]}"
}
# ---- end of the cluster scenarios ----

[ $# -gt 0 ] || { usage; exit 2; }
for scenario in "$@"; do
	case $scenario in
	parse)
		make -s "$BUILD/perf/bench_parse" >&2
		echo "== parse ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), CPU $CPU)" >&2
		pin "$BUILD/perf/bench_parse" ${PARSE_ARGS:-}
		;;
	registrar)
		# 1 worker pinned to $CPU; 2 workers on the two CPUs of PERF_CPUS2
		make -s "$BUILD/perf/bench_registrar" >&2
		model=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
		eal=(--no-pci --in-memory --log-level='*:error')
		echo "== registrar, 1 worker ($model, CPU $CPU)" >&2
		pin "$BUILD/perf/bench_registrar" -w 1 ${REGISTRAR_ARGS:-} -- bench_registrar \
			-l "$CPU" "${eal[@]}"
		echo "== registrar, 1 worker, 1,000,000 AoRs in tables of 1,048,576 ($model, CPU $CPU)" >&2
		pin "$BUILD/perf/bench_registrar" -w 1 -n 1000000 -m 1048576 -r 3 -- bench_registrar \
			-l "$CPU" "${eal[@]}"
		cpus2=${PERF_CPUS2:-0,1}
		if [ "$(nproc)" -ge 2 ] && taskset -c "$cpus2" true 2> /dev/null; then
			echo "== registrar, 2 workers ($model, CPUs $cpus2)" >&2
			taskset -c "$cpus2" "$BUILD/perf/bench_registrar" -w 2 ${REGISTRAR_ARGS:-} -- \
				bench_registrar -l "$cpus2" "${eal[@]}"
		else
			echo "perf/run.sh: registrar: 2 workers need CPUs $cpus2, skipped" >&2
		fi
		;;
	auth)
		# digest checks, challenges and proxy branch MACs on one core, from memory
		make -s "$BUILD/perf/bench_auth" >&2
		echo "== auth ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), CPU $CPU)" >&2
		pin "$BUILD/perf/bench_auth"
		;;
	proxy)
		# stateless forwarding on 1 worker core pinned to $CPU, fed from memory
		make -s "$BUILD/perf/bench_proxy" >&2
		echo "== proxy, 1 worker ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), CPU $CPU)" >&2
		pin "$BUILD/perf/bench_proxy" ${PROXY_ARGS:-}
		;;
	federation)
		# a federated shard on 1 worker core pinned to $CPU, fed from memory
		make -s "$BUILD/perf/bench_federation" >&2
		echo "== federation, 1 worker ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), CPU $CPU)" >&2
		pin "$BUILD/perf/bench_federation" -n "${PERF_FED_DIR:-1000000}" ${FEDERATION_ARGS:-} \
			-- bench_federation -l "$CPU" --no-pci --in-memory --log-level='*:error'
		;;
	sync-shard)
		# a full sync's shard work (pack at the donor, apply at the receiver), on CPU $CPU
		make -s "$BUILD/perf/bench_sync_shard" >&2
		echo "== sync-shard ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), CPU $CPU)" >&2
		pin "$BUILD/perf/bench_sync_shard" -n "${PERF_SYNC_BINDINGS:-1000000}" -- bench_sync_shard \
			-l "$CPU" --no-pci --in-memory --log-level='*:error'
		;;
	tick)
		# the registrar's expiry sweep, 100,000 bindings due at once, on CPU $CPU
		make -s "$BUILD/perf/bench_tick" >&2
		echo "== tick ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), CPU $CPU)" >&2
		pin "$BUILD/perf/bench_tick" -n "${PERF_TICK_BINDINGS:-100000}" -- bench_tick \
			-l "$CPU" --no-pci --in-memory --log-level='*:error'
		;;
	wire) g_scenario_wire ;;
	gaps)
		# both CPUs spinning, as the generator and a polling SUT do
		make -s "$BUILD/perf/bench_gaps" >&2
		echo "== gaps ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), CPUs $G_GEN_CPU,$G_SUT_CPU, ${G_LAT_S} s)" >&2
		"$BUILD/perf/bench_gaps" -s "$G_LAT_S" "$G_GEN_CPU" "$G_SUT_CPU"
		;;
	kamailio-register) g_scenario_kamailio register ;;
	kamailio-proxy) g_scenario_kamailio invite ;;
	best-register) g_scenario_best ;;
	sync) g_scenario_sync ;;
	replication) g_scenario_replication ;;
	replication-cost) g_scenario_replication_cost ;;
	heal) g_scenario_heal ;;
	tags) bash perf/tags.sh ;;
	ping)
		# NAT keepalive pinging on 1 worker core pinned to $CPU, fed from memory
		make -s "$BUILD/perf/bench_ping" >&2
		pin "$BUILD/perf/bench_ping" ${PING_ARGS:-}
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "perf/run.sh: unknown scenario '$scenario'" >&2
		usage
		exit 2
		;;
	esac
done
