#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipshard-gen works (issue 7): its frames are valid (checksums, sipshard's own parser),
# its configuration errors say FILE:LINE:COLUMN, and against a real peer on a veth -
# Kamailio as registrar, then as a stateless proxy in front of perf/sip_sink - every
# request it sends is answered and matched: sent = 2xx, no timeouts, nothing
# unexpected. SIGINT stops it cleanly. Its own lab (LAB=ssg), removed on exit.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LAB=ssg
export LAB
GEN=$BUILD/sipshard-gen
WORK=$(mktemp -d /tmp/sipshard-gen-it.XXXXXX)
FAILS=0
PIDS=()

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
skip() { echo "SKIP: $*"; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2> /dev/null
	done
	"$ROOT/scripts/lab.sh" down > /dev/null 2>&1
	if [ "$FAILS" -gt 0 ]; then
		for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { skip "sipshard-gen lab test (needs root)"; exit 0; }
[ -x "$GEN" ] || { fail "build/sipshard-gen is built"; exit 1; }

jget() {   # FILE KEY
	python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2], ""))' "$1" "$2" 2> /dev/null
}

# gen_yaml FILE DEVICE WORKLOAD [EXTRA-WORKLOAD-LINES] [TARGET-MAC]
gen_yaml() {
	cat > "$1" <<YAML
eal: ["--log-level=*:warning"]
port:
  device: "$2"
  ipv4: 198.18.0.101
target:
  ipv4: 198.18.0.1
  mac: ${5:-arp}
workload:
  type: $3
  aors: 500
$4
run:
  rate: 2000
  duration_s: 1
  timeout_ms: 1000
YAML
}

# expect_all NAME JSON N: N sent, N 2xx matched, no timeouts, nothing unexpected or late.
expect_all() {
	local sent ok to un late
	sent=$(jget "$2" sent); ok=$(jget "$2" replies_ok); to=$(jget "$2" timeouts)
	un=$(jget "$2" unexpected); late=$(jget "$2" late)
	if [ "$sent" = "$3" ] && [ "$ok" = "$3" ] && [ "$to" = 0 ] && [ "$un" = 0 ] && [ "$late" = 0 ]; then
		pass "$1: $sent sent, $ok 2xx matched, 0 timeouts, 0 unexpected"
	else
		fail "$1: sent=$sent 2xx=$ok timeouts=$to unexpected=$un late=$late (expected $3/$3/0/0/0)"
	fi
}

# ---- configuration errors ----
cat > "$WORK/bad.yaml" <<'YAML'
port:
  device: "net_null0"
  ipv4: 198.18.0.101
  speed: 10
target:
  ipv4: 198.18.0.1
YAML
out=$("$GEN" -c "$WORK/bad.yaml" 2>&1); rc=$?
if [ "$rc" = 2 ] && [ "$out" = "$WORK/bad.yaml:4:3: unknown key 'speed' in 'port'" ]; then
	pass "unknown key: exit 2, FILE:LINE:COLUMN message"
else
	fail "unknown key: rc=$rc, '$out'"
fi

# ---- frames: pcap capture, checksums, sipshard's parser ----
for wl in register invite options; do
	extra="  mode: mix"
	gen_yaml "$WORK/pcap-$wl.yaml" "net_pcap0,tx_pcap=$WORK/$wl.pcap" "$wl" "$extra" 02:00:00:00:00:01
	sed -i 's/rate: 2000/rate: 200/' "$WORK/pcap-$wl.yaml"
	timeout 30 "$GEN" -c "$WORK/pcap-$wl.yaml" -q > "$WORK/pcap-$wl.json" 2> "$WORK/pcap-$wl.log"
	mkdir -p "$WORK/msg-$wl"
	res=$(python3 - "$WORK/$wl.pcap" "$WORK/msg-$wl" <<'PY'
import os, struct, sys
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s
data = open(sys.argv[1], "rb").read()
off, n, bad = 24, 0, 0
while off + 16 <= len(data):
    incl = struct.unpack("<IIII", data[off:off + 16])[2]
    f = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if f[12:14] != b"\x08\x00":
        continue
    ip = f[14:34]
    ulen = struct.unpack("!H", f[38:40])[0]
    udp = f[34:34 + ulen]
    if csum(ip) != 0xffff or csum(ip[12:20] + struct.pack("!BBH", 0, 17, ulen) + udp) != 0xffff:
        bad += 1
    open(os.path.join(sys.argv[2], "m%05d" % n), "wb").write(udp[8:])
    n += 1
print(n, bad)
PY
)
	set -- $res
	if [ "${1:-0}" -ge 200 ] && [ "${2:-1}" = 0 ]; then
		pass "$wl frames: $1 captured, IPv4 and UDP checksums all valid"
	else
		fail "$wl frames: captured/bad checksums: ${res:-none}"
	fi
	if [ -x "$BUILD/sipshard-parse" ]; then
		nv=$("$BUILD/sipshard-parse" "$WORK/msg-$wl"/m* | grep -c ': valid request ')
		if [ "$nv" = "${1:-x}" ]; then
			pass "$wl frames: sipshard-parse says all $nv are valid requests"
		else
			fail "$wl frames: sipshard-parse: $nv of ${1:-?} valid"
			"$BUILD/sipshard-parse" "$WORK/msg-$wl"/m* | grep -v ': valid request ' | head -n 3
		fi
	fi
done

# ---- a real peer: Kamailio on a veth ----
# scripts/deps.sh installs kamailio (make test runs it first).
command -v kamailio > /dev/null || { fail "kamailio is installed (scripts/deps.sh)"; exit 1; }
"$ROOT/scripts/lab.sh" up 2 > /dev/null || { fail "lab up"; exit 1; }
for i in 1 2; do
	ip -n "$LAB-n$i" addr add "198.18.0.$i/24" dev "${LAB}n$i"
	ip netns exec "$LAB-n$i" ethtool -K "${LAB}n$i" tx off > /dev/null 2>&1
done
mkdir -p "$WORK/kam"

kam_start() {   # CFG
	ip netns exec "$LAB-n1" kamailio -f "$1" -A 'LISTEN=udp:198.18.0.1:5060' \
		-A 'SINK="sip:198.18.0.2:5060"' -n 1 -m 64 -M 8 -DD -E -Y "$WORK/kam" > "$WORK/kamailio.log" 2>&1 &
	KAM=$!
	PIDS+=("$KAM")
	for _ in $(seq 50); do
		ip netns exec "$LAB-n1" ss -lun | grep -q '198.18.0.1:5060' && return 0
		sleep 0.1
	done
	return 1
}
kam_stop() {
	kill -TERM "$KAM" 2> /dev/null
	for _ in $(seq 50); do kill -0 "$KAM" 2> /dev/null || break; sleep 0.1; done
	kill -KILL "$KAM" 2> /dev/null
	wait "$KAM" 2> /dev/null
}

DEV="net_af_packet0,iface=${LAB}cl"
if kam_start "$ROOT/perf/kamailio-registrar.cfg"; then
	gen_yaml "$WORK/reg.yaml" "$DEV" register "  mode: new"
	ip netns exec "$LAB-cl" timeout 30 "$GEN" -c "$WORK/reg.yaml" -q > "$WORK/reg.json" 2> "$WORK/reg.log"
	expect_all "REGISTER new -> Kamailio registrar" "$WORK/reg.json" 2000

	gen_yaml "$WORK/ref.yaml" "$DEV" register "  mode: refresh"
	ip netns exec "$LAB-cl" timeout 30 "$GEN" -c "$WORK/ref.yaml" -q > "$WORK/ref.json" 2> "$WORK/ref.log"
	expect_all "REGISTER refresh (after a prefill of 500 AoRs) -> Kamailio" "$WORK/ref.json" 2000
	grep -q 'prefill: 500 REGISTERs, 500 2xx, 0 timeouts' "$WORK/ref.log" &&
		pass "refresh: the prefill registered all 500 AoRs" || fail "refresh: prefill: $(grep prefill "$WORK/ref.log")"

	gen_yaml "$WORK/opt.yaml" "$DEV" options ""
	ip netns exec "$LAB-cl" timeout 30 "$GEN" -c "$WORK/opt.yaml" -q > "$WORK/opt.json" 2> "$WORK/opt.log"
	expect_all "OPTIONS -> Kamailio" "$WORK/opt.json" 2000

	# SIGINT: stops sending, waits for the replies in flight, prints its line, exit 0.
	sed 's/duration_s: 1/duration_s: 60/' "$WORK/reg.yaml" > "$WORK/int.yaml"
	ip netns exec "$LAB-cl" "$GEN" -c "$WORK/int.yaml" -q > "$WORK/int.json" 2> "$WORK/int.log" &
	g=$!
	PIDS+=("$g")
	sleep 3
	kill -INT "$g"
	t=0
	while kill -0 "$g" 2> /dev/null && [ "$t" -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
	wait "$g"; rc=$?
	s=$(jget "$WORK/int.json" sent); r=$(jget "$WORK/int.json" replies_ok)
	if [ "$rc" = 0 ] && [ -n "$s" ] && [ "$s" -gt 0 ] && [ "$s" = "$r" ]; then
		pass "SIGINT: exit 0 within $((t / 10)) s, final line printed ($s sent, $r answered)"
	else
		fail "SIGINT: rc=$rc sent=$s answered=$r"
	fi
	kam_stop
else
	fail "Kamailio registrar starts (perf/kamailio-registrar.cfg)"
fi

cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$WORK/sip-sink" "$ROOT/perf/sip_sink.c" 2> "$WORK/cc.log" ||
	fail "perf/sip_sink.c compiles"
ip netns exec "$LAB-n2" "$WORK/sip-sink" -a 198.18.0.2 > "$WORK/sink.log" 2>&1 &
PIDS+=("$!")
if kam_start "$ROOT/perf/kamailio-proxy.cfg"; then
	gen_yaml "$WORK/inv.yaml" "$DEV" invite ""
	ip netns exec "$LAB-cl" timeout 30 "$GEN" -c "$WORK/inv.yaml" -q > "$WORK/inv.json" 2> "$WORK/inv.log"
	expect_all "INVITE -> Kamailio stateless proxy -> sip-sink" "$WORK/inv.json" 2000
	kam_stop
else
	fail "Kamailio proxy starts (perf/kamailio-proxy.cfg)"
fi
[ "$FAILS" = 0 ]
