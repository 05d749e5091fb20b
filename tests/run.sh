#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs every test of the tree and ends with one line "N passed, N failed[, N skipped]".
#   tests/run.sh [unit|unit-san|cli|corpus|fuzz|integration]...   (default: all, in that order)
# unit-san: the unit tests built with -fsanitize=address,undefined in $SAN_BUILD
# (default build-san; make test builds it), skipped when not built.
# Unit binaries are cmocka programs: their test cases are counted one by one.
# Scripts print "PASS: name" / "FAIL: name" / "SKIP: name (why)" per case; a script
# that exits non-zero without a FAIL line counts as one failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SAN_BUILD=${SAN_BUILD:-$BUILD-san}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
pass=0 fail=0 skip=0
failed_names=()

count_script() {   # name logfile rc
	local name=$1 log=$2 rc=$3 p f s
	p=$(grep -c '^PASS: ' "$log"); f=$(grep -c '^FAIL: ' "$log"); s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "FAIL: $name exited $rc" >> "$log"; fi
	if [ "$rc" = 0 ] && [ "$p" = 0 ] && [ "$f" = 0 ] && [ "$s" = 0 ]; then p=1; fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	grep -E '^(PASS|FAIL|SKIP): ' "$log" | sed 's/^/    /'
	[ "$f" = 0 ] || { failed_names+=("$name"); echo "    (log: $log)"; tail -n 30 "$log" | sed 's/^/    | /'; }
}

run_unit() {   # [build dir [label]]: unit-san runs the ASan/UBSan build
	local t name log rc p f dir=${1:-$BUILD} label=${2:-unit}
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t"); log=$LOGDIR/$name.log
		[ "$label" = unit ] || { name=$label/$name; log=$LOGDIR/$label-$(basename "$t").log; }
		echo "== $label $(basename "$t")"
		CMOCKA_MESSAGE_OUTPUT=STDOUT ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0} \
			UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
			timeout 300 "$t" > "$log" 2>&1; rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
		pass=$((pass + p)); fail=$((fail + f))
		echo "    $p passed, $f failed"
		[ "$f" = 0 ] || { failed_names+=("$name"); grep -E '^\[  (FAILED|ERROR) |Failure|error' "$log" | head -n 20 | sed 's/^/    | /'; }
	done
}

run_scripts() {   # kind dir
	local s name log rc
	for s in "$2"/*.sh; do
		[ -f "$s" ] || continue
		name=$1/$(basename "$s" .sh); log=$LOGDIR/$(echo "$name" | tr / _).log
		echo "== $name"
		timeout 900 bash "$s" > "$log" 2>&1; rc=$?
		count_script "$name" "$log" "$rc"
	done
}

kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(unit unit-san cli corpus fuzz integration)
start=$(date +%s)
for k in "${kinds[@]}"; do
	case $k in
	unit) run_unit ;;
	unit-san)       # the unit tests under ASan/UBSan: make test builds them
		if ls "$SAN_BUILD"/tests/test_* > /dev/null 2>&1; then
			run_unit "$SAN_BUILD" unit-san
		else
			echo "SKIP: unit-san (no $SAN_BUILD/tests: make BUILD=$SAN_BUILD SANITIZE=address,undefined unit-bins)"
			skip=$((skip + 1))
		fi ;;
	cli) run_scripts cli tests/cli ;;
	corpus) run_scripts corpus tests/corpus ;;
	fuzz) run_scripts fuzz tests/fuzz ;;
	integration)
		if [ "$(id -u)" != 0 ]; then
			echo "SKIP: integration (needs root for ip netns)"; skip=$((skip + 1))
		else
			run_scripts integration tests/integration
		fi ;;
	*) echo "unknown kind $k" >&2; exit 2 ;;
	esac
done
echo "time: $(( $(date +%s) - start ))s"
[ ${#failed_names[@]} = 0 ] || echo "failed: ${failed_names[*]}"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
