#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's "Running a node by hand", step by step, with a check after each
# step (PASS:/FAIL: lines; tests/integration/by_hand.sh runs it under make test, so
# the README stays true). As root, from the top of the tree, after make:
#
#   scripts/by-hand.sh            the README's names: lab "ss", config/example.yaml as it
#                                 is, key /etc/sipshard/cluster.key (created if missing),
#                                 admin socket /run/sipshard/node1.sock
#   LAB=xy DIR=/tmp/d scripts/by-hand.sh
#                                 another lab: config/example.yaml with its names changed
#                                 (veth, file prefix, key and socket under DIR)
set -u
cd "$(dirname "$0")/.."
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
LAB=${LAB:-ss}
BUILD=${BUILD:-build}
FAILS=0
pass() { echo "PASS: by-hand: $*"; }
fail() { echo "FAIL: by-hand: $*"; FAILS=$((FAILS + 1)); }
run() { echo "+ $*" >&2; "$@"; }

NS=$LAB-n1
CFG=config/example.yaml
KEY=/etc/sipshard/cluster.key
SOCK=/run/sipshard/node1.sock
PREFIX=node1
if [ "$LAB" != ss ]; then   # same file, this lab's names
	DIR=${DIR:?DIR (a scratch directory) is needed with LAB=$LAB}
	mkdir -p "$DIR"
	KEY=$DIR/cluster.key SOCK=$DIR/node1.sock PREFIX=${LAB}node1
	sed -e "s|iface=ssn1|iface=${LAB}n1|" -e "s|file_prefix: node1|file_prefix: $PREFIX|" \
	    -e "s|/etc/sipshard/cluster.key|$KEY|" -e "s|/run/sipshard/node1.sock|$SOCK|" \
	    config/example.yaml > "$DIR/example.yaml"
	CFG=$DIR/example.yaml
fi
LOG=$(mktemp -d /tmp/sipshard-byhand.XXXXXX)
DP_PID="" CP_PID=""
cleanup() {
	[ -n "$CP_PID" ] && kill -TERM "$CP_PID" 2>/dev/null
	[ -n "$DP_PID" ] && kill -TERM "$DP_PID" 2>/dev/null
	for p in $CP_PID $DP_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	LAB=$LAB scripts/lab.sh down >/dev/null 2>&1
	[ "$FAILS" = 0 ] || tail -n 20 "$LOG"/*.log 2>/dev/null
	[ -n "${KEEP_LOGS:-}" ] && cp "$LOG"/*.log "$KEEP_LOGS"/
	rm -rf "$LOG"
}
trap cleanup EXIT
wait_for() {   # LOG PATTERN PID SECONDS
	local t=0
	until grep -q "$2" "$1"; do
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1; t=$((t + 1)); [ "$t" -lt $(($4 * 10)) ] || return 1
	done
}

# 1. the lab: namespace $NS with veth ${LAB}n1, a client at 198.18.0.100
run env LAB="$LAB" scripts/lab.sh up 1 >/dev/null && pass "lab $LAB up" || { fail "lab up"; exit 1; }

# 2. the config, checked (warnings: what this machine or namespace lacks)
out=$(run "$BUILD/sipshard-dp" -c "$CFG" --check-config 2>"$LOG/check.err"); rc=$?
[ "$rc" = 0 ] && [ "$out" = "$CFG: ok" ] && pass "--check-config: ok ($(grep -c warning "$LOG/check.err") warning(s) outside the namespace)" ||
	fail "--check-config rc $rc: $out $(cat "$LOG/check.err")"
out=$(run ip netns exec "$NS" "$BUILD/sipshard-dp" -c "$CFG" --check-config 2>&1)
grep -q 'warning: dataplane' <<<"$out" && fail "check-config in $NS warns: $out" || pass "no lcore or port warning inside $NS"

# 3. the cluster key (sipshard-cp authenticates the cluster bus with it)
[ -s "$KEY" ] || { run mkdir -p "$(dirname "$KEY")" && run sh -c "umask 077; head -c 32 /dev/urandom > $KEY"; }
[ -s "$KEY" ] && pass "cluster key $KEY" || fail "cluster key $KEY"

# 4. the dataplane in the node's namespace
echo "+ ip netns exec $NS $BUILD/sipshard-dp -c $CFG &"
ip netns exec "$NS" "$BUILD/sipshard-dp" -c "$CFG" > "$LOG/dp.log" 2>&1 &
DP_PID=$!
if wait_for "$LOG/dp.log" 'sipshard-dp: ready' "$DP_PID" 30; then pass "sipshard-dp ready"; else fail "sipshard-dp ready"; exit 1; fi
grep -q 'Usage\|usage:' "$LOG/dp.log" && fail "the dp log holds a usage text" || pass "no EAL usage text"
ip netns exec "$LAB-cl" ping -q -c 2 -i 0.2 -W 2 198.18.0.1 >/dev/null && pass "the node answers ping on 198.18.0.1" || fail "ping 198.18.0.1"

# 5. the control plane (a DPDK secondary process: needs huge pages)
if grep -q -- '--no-huge' "$LOG/dp.log"; then
	echo "SKIP: by-hand: sipshard-cp and sipshardctl (no huge pages: no secondary process)"
else
	echo "+ ip netns exec $NS $BUILD/sipshard-cp -c $CFG &"
	ip netns exec "$NS" "$BUILD/sipshard-cp" -c "$CFG" > "$LOG/cp.log" 2>&1 &
	CP_PID=$!
	if wait_for "$LOG/cp.log" 'sipshard-cp: ready' "$CP_PID" 15; then pass "sipshard-cp ready"; else fail "sipshard-cp ready"; fi
	out=$(run "$BUILD/sipshardctl" -s "$SOCK" nodes)
	grep -q '198.18.0.1' <<<"$out" && pass "sipshardctl nodes lists node 1" || fail "sipshardctl nodes: $out"
fi

# 6. telemetry, the parser on the torture corpus
out=$(echo /sipshard/stats | run dpdk-telemetry.py -f "$PREFIX" 2>/dev/null)
grep -q '"rx_pkts"' <<<"$out" && pass "telemetry /sipshard/stats" || fail "telemetry: $out"
run "$BUILD/sipshard-parse" tests/corpus/sip-torture/rfc4475/*.dat > "$LOG/parse.log" 2>&1
[ -s "$LOG/parse.log" ] && pass "sipshard-parse on the RFC 4475 corpus" || fail "sipshard-parse printed nothing"

# 7. stop: SIGTERM, exit status 0
for v in CP_PID DP_PID; do
	p=${!v}
	[ -n "$p" ] || continue
	run kill -TERM "$p"
	wait "$p"; rc=$?
	[ "$rc" = 0 ] && pass "${v%_PID} stopped cleanly" || fail "${v%_PID} exit status $rc"
	eval "$v="
done
run env LAB="$LAB" scripts/lab.sh down
[ "$FAILS" = 0 ]
