#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipshard-dp command line without EAL: --check-config on the good and bad config
# fixtures (each bad file names its expected "LINE:COLUMN: message"), usage errors.
set -u
cd "$(dirname "$0")/../.."
DP=${BUILD:-build}/sipshard-dp
n=0

# Good files: "FILE: ok" on stdout (what this machine lacks goes to stderr as warnings).
for f in config/example.yaml tests/unit/cfg/good/*.yaml; do
	out=$("$DP" -c "$f" --check-config 2>/dev/null); rc=$?
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
# What this machine lacks: a warning with FILE:LINE:COLUMN under --check-config, an
# error (exit 2, before the EAL, so never its usage text) when starting.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mk() {   # name eal-list workers
	printf 'node: {id: 1}\ndataplane:\n  eal: %s\n  workers: %s\n  ports: [{device: net_null0, ipv4: 198.18.0.1/24}]\n' "$2" "$3" > "$tmp/$1.yaml"
}
mk far '["--no-pci", "-l", "0,1000"]' 1
out=$("$DP" -c "$tmp/far.yaml" --check-config 2>"$tmp/err"); rc=$?
want="$tmp/far.yaml:3:27: warning: dataplane.eal: 0,1000: CPU 1000 is not available to this process"
if [ "$rc" = 0 ] && [[ "$(cat "$tmp/err")" == "$want"* ]]; then echo "PASS: lcore beyond the machine: --check-config warns at 3:27, exit 0"; else echo "FAIL: lcore beyond the machine: rc $rc '$(cat "$tmp/err")' want '$want...'"; fi
"$DP" -c "$tmp/far.yaml" > "$tmp/out" 2>&1; rc=$?
if [ "$rc" = 2 ] && grep -q "^$tmp/far.yaml:3:27: dataplane.eal: 0,1000: CPU 1000" "$tmp/out" && ! grep -qi 'usage\|EAL options' "$tmp/out"; then
	echo "PASS: lcore beyond the machine: the dp refuses to start, exit 2, FILE:LINE:COLUMN, no EAL usage"
else echo "FAIL: lcore beyond the machine at start: rc $rc: $(head -c 600 "$tmp/out")"; fi
mk few '["-l", "0-1"]' 2
"$DP" -c "$tmp/few.yaml" --check-config > /dev/null 2>"$tmp/err"; rc=$?
want="$tmp/few.yaml:4:12: dataplane.workers: 2 worker(s) need 3 lcores (one main + one per worker); dataplane.eal '0-1' gives 2"
if [ "$rc" = 2 ] && [ "$(cat "$tmp/err")" = "$want" ]; then echo "PASS: workers over the -l list: error at 4:12, exit 2"; else echo "FAIL: workers over -l: rc $rc '$(cat "$tmp/err")'"; fi
mk many '["--no-pci"]' 16
"$DP" -c "$tmp/many.yaml" --check-config > /dev/null 2>"$tmp/err"; rc=$?
if [ "$(nproc)" -lt 17 ] && [ "$rc" = 0 ] && grep -q "^$tmp/many.yaml:4:12: warning: dataplane.workers: 16 worker(s) need 17 lcores" "$tmp/err"; then
	echo "PASS: workers over this machine's CPUs (no -l): warning at 4:12"
elif [ "$(nproc)" -ge 17 ]; then echo "SKIP: workers over the CPUs (this machine has $(nproc))"
else echo "FAIL: workers over the CPUs: rc $rc '$(cat "$tmp/err")'"; fi
mk bogus '["--no-pci", "--bogus-opt", "-h"]' 1
"$DP" -c "$tmp/bogus.yaml" --check-config > /dev/null 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && grep -q "^$tmp/bogus.yaml:3:21: dataplane.eal\[1\]: unknown EAL option '--bogus-opt'" "$tmp/err" &&
   grep -q "^$tmp/bogus.yaml:3:36: dataplane.eal\[2\]: EAL option '-h' only prints the EAL usage" "$tmp/err"; then
	echo "PASS: unknown EAL option and -h: errors at their items, exit 2"
else echo "FAIL: unknown EAL option: rc $rc '$(cat "$tmp/err")'"; fi
printf 'node: {id: 1}\ndataplane:\n  eal: ["-l", "0-1"]\n  ports:\n    - {device: "net_af_packet0,iface=nosuchif0", ipv4: 198.18.0.1/24}\ncluster: {id: 1, key_file: %s/none.key}\n' "$tmp" > "$tmp/port.yaml"
"$DP" -c "$tmp/port.yaml" --check-config > /dev/null 2>"$tmp/err"; rc=$?
if [ "$rc" = 0 ] && grep -q "^$tmp/port.yaml:5:7: warning: dataplane.ports\[0\].device: no interface 'nosuchif0'" "$tmp/err" &&
   grep -q "^$tmp/port.yaml:6:28: warning: cluster.key_file: cannot read $tmp/none.key" "$tmp/err"; then
	echo "PASS: missing interface and key file: warnings at their keys"
else echo "FAIL: missing interface/key: rc $rc '$(cat "$tmp/err")'"; fi
"$DP" -c "$tmp/port.yaml" > "$tmp/out" 2>&1; rc=$?
if [ "$rc" = 2 ] && grep -q "^$tmp/port.yaml:5:7: dataplane.ports\[0\].device: no interface 'nosuchif0'" "$tmp/out"; then
	echo "PASS: missing interface: the dp refuses to start, exit 2"
else echo "FAIL: missing interface at start: rc $rc $(head -c 400 "$tmp/out")"; fi
# A bad value of a known EAL option passes the checks; the EAL refuses it, and its
# usage text (printed on stdout) is kept out: only its error line and ours.
pfx=sstcc$$
printf 'node: {id: 1}\ndataplane:\n  file_prefix: %s\n  eal: ["-l", "0-1", "--no-pci", "--iova-mode=xx"]\n  ports: [{device: net_null0, ipv4: 198.18.0.1/24}]\n' "$pfx" > "$tmp/iova.yaml"
timeout -s TERM 20 "$DP" -c "$tmp/iova.yaml" > "$tmp/out" 2>&1; rc=$?
rm -rf "/var/run/dpdk/$pfx"
if [ "$rc" = 1 ] && grep -q 'invalid parameters for --iova-mode' "$tmp/out" && grep -q '^err sipshard-dp: EAL initialisation failed' "$tmp/out" &&
   ! grep -qi 'usage' "$tmp/out"; then
	echo "PASS: bad EAL value: the EAL's error and ours, exit 1, no usage text"
else echo "FAIL: bad EAL value: rc $rc: $(head -c 600 "$tmp/out")"; fi

"$DP" --help | grep -q -- '--check-config' && echo "PASS: --help" || echo "FAIL: --help"
exit 0
