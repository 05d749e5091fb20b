#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fuzzes the cluster bus decoder for FUZZ_TIME seconds (default 30) over a scratch
# copy of tests/fuzz/corpus/fuzz_msg_decode (the tree's corpus is never written).
# Prints "PASS: fuzz_msg_decode (N runs)", or "FAIL: fuzz_msg_decode" with the crash
# and exits 1.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/fuzz/fuzz_msg_decode
work=$BUILD/fuzz/run-fuzz_msg_decode

make --no-print-directory -s "$bin" > /dev/null || { echo "FAIL: fuzz_msg_decode (build)"; exit 1; }

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp tests/fuzz/corpus/fuzz_msg_decode/* "$work/corpus/"
"$bin" -max_total_time="${FUZZ_TIME:-30}" -rss_limit_mb=2048 -timeout=10 \
	-artifact_prefix="$work/artifacts/" "$work/corpus" > "$work/log" 2>&1
rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log" | tail -n 1)
if [ "$rc" = 0 ] && [ -n "$runs" ]; then
	echo "PASS: fuzz_msg_decode ($runs runs)"
	exit 0
fi
tail -n 40 "$work/log"
ls "$work/artifacts"
echo "FAIL: fuzz_msg_decode (exit $rc; log $work/log, inputs in $work/artifacts)"
exit 1
