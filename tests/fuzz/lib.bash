# SPDX-License-Identifier: BSD-3-Clause
# fuzz_run NAME SECONDS [LIBFUZZER-ARGS...]: a bounded libFuzzer run of
# build/fuzz/NAME over a scratch copy of tests/fuzz/corpus/NAME (the tree's corpus
# is never written). Prints "PASS: NAME (N runs in Ts)", or "FAIL: NAME" with the
# crash report and the inputs that caused it, and exits accordingly.
# Long runs: make fuzz [FUZZ_SECONDS=N].
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

fuzz_run() {
	local name=$1 secs=$2 bin work log rc runs
	shift 2
	bin=${BUILD:-build}/fuzz/$name
	work=${BUILD:-build}/fuzz/run-$name
	log=$work/fuzz.log
	make --no-print-directory -s "$bin" > /dev/null || { echo "FAIL: $name (build)"; exit 1; }
	rm -rf "$work"
	mkdir -p "$work/corpus"
	cp tests/fuzz/corpus/"$name"/* "$work/corpus/"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/" "$@" "$work/corpus" > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" = 0 ] && [ -n "$runs" ]; then
		echo "PASS: $name ($runs runs in ${secs}s)"
		exit 0
	fi
	grep -E -A 12 'ERROR|runtime error|SUMMARY|deadly signal' "$log" | head -n 40
	ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2> /dev/null
	echo "FAIL: $name (exit $rc, log $log)"
	exit 1
}
