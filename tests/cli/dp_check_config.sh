#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipshard-dp command line without EAL: --check-config on the good and bad config
# fixtures (each bad file names its expected "LINE:COLUMN: message"), usage errors.
set -u
cd "$(dirname "$0")/../.."
DP=${BUILD:-build}/sipshard-dp
n=0

for f in config/example.yaml tests/unit/cfg/good/*.yaml; do
	out=$("$DP" -c "$f" --check-config 2>&1); rc=$?
	if [ "$rc" = 0 ] && [ "$out" = "$f: ok" ]; then echo "PASS: good $f"; else echo "FAIL: good $f (rc $rc: $out)"; fi
	n=$((n + 1))
done
for f in tests/unit/cfg/bad/*.yaml; do
	want="$f:$(sed -n '1s/^# expect: //p' "$f")"
	err=$("$DP" -c "$f" --check-config 2>&1 >/dev/null); rc=$?
	if [ "$rc" = 2 ] && [ "$err" = "$want" ]; then
		echo "PASS: bad $(basename "$f") -> exit 2, $want"
	else
		echo "FAIL: bad $f: rc $rc, got '$err', want '$want'"
	fi
	n=$((n + 1))
done
[ "$n" -gt 20 ] || echo "FAIL: only $n config fixtures found"

err=$("$DP" -c /nonexistent/x.yaml --check-config 2>&1); rc=$?
if [ "$rc" = 2 ] && [[ "$err" == "/nonexistent/x.yaml: "* ]]; then echo "PASS: missing file -> exit 2 ($err)"; else echo "FAIL: missing file: rc $rc '$err'"; fi
"$DP" >/dev/null 2>&1; rc=$?
if [ "$rc" = 2 ]; then echo "PASS: no arguments -> usage, exit 2"; else echo "FAIL: no arguments: rc $rc"; fi
"$DP" --bogus >/dev/null 2>&1; rc=$?
if [ "$rc" = 2 ]; then echo "PASS: unknown option -> exit 2"; else echo "FAIL: unknown option: rc $rc"; fi
"$DP" --help | grep -q -- '--check-config' && echo "PASS: --help" || echo "FAIL: --help"
exit 0
