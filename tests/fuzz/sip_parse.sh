#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded libFuzzer run of the SIP parser (tests/fuzz/fuzz_sip_parse.c) over a
# scratch copy of the committed seed corpus, for FUZZ_TIME seconds (default 45).
# Prints "PASS: fuzz_sip_parse (N runs)" or "FAIL: ..." with the crash report.
# Long runs: make fuzz [FUZZ_SECONDS=N].
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FUZZ=$BUILD/fuzz/fuzz_sip_parse
SEEDS=tests/fuzz/corpus/fuzz_sip_parse
T=${FUZZ_TIME:-45}

# the Makefile rule only tracks the target's own source: rebuild when the parser changed
if [ -x "$FUZZ" ] && [ -n "$(find dataplane -name 'sip_*' -newer "$FUZZ" 2> /dev/null)" ]; then
	rm -f "$FUZZ"
fi
if [ ! -x "$FUZZ" ]; then
	if ! command -v "${CLANG:-clang}" > /dev/null; then
		echo "SKIP: fuzz_sip_parse (clang not installed)"
		exit 0
	fi
	make -s "$FUZZ" || { echo "FAIL: fuzz_sip_parse (build failed)"; exit 1; }
fi
work=$BUILD/fuzz/run-fuzz_sip_parse
rm -rf "$work"
mkdir -p "$work/corpus"
cp "$SEEDS"/* "$work/corpus/"
log=$work/fuzz.log
"$FUZZ" -max_total_time="$T" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" > "$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$rc" = 0 ] && [ -n "$runs" ]; then
	echo "PASS: fuzz_sip_parse ($runs runs in ${T}s)"
	exit 0
fi
echo "FAIL: fuzz_sip_parse (exit $rc, log $log)"
grep -E -A 12 'ERROR|runtime error|SUMMARY|deadly signal' "$log" | head -n 40
ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2> /dev/null
exit 1
