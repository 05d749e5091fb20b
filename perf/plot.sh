#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Plots of the sipshard-gen scenarios of perf/run.sh (wire, kamailio-register,
# kamailio-proxy, best-register) as PNGs in perf/results/ (gitignored):
#   rate-TAG.png      answered vs offered rate of every search trial of TAG
#                     (pass: loss < max_loss; fail: more loss, or the generator late)
#   latency-cdf.png   latency CDF of every latency run (at half the rate found)
# TAG = WIRE-WORKLOAD-SYSTEM, e.g. veth-register-kamailio. Input: the files perf/run.sh
# leaves in $BUILD/perf-results (PERF_RESULTS): TAG.trials.jsonl, TAG.cdf.
#   perf/plot.sh [RESULTS-DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
IN=${1:-${PERF_RESULTS:-$BUILD/perf-results}}
OUT=perf/results

if ! command -v gnuplot > /dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
		echo "perf/plot.sh: installing gnuplot-nox" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox > /dev/null ||
			{ echo "perf/plot.sh: apt-get install gnuplot-nox failed" >&2; exit 1; }
	else
		echo "perf/plot.sh: gnuplot missing (apt-get install gnuplot-nox)" >&2
		exit 1
	fi
fi
[ -d "$IN" ] || { echo "perf/plot.sh: no results in $IN (run perf/run.sh first)" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/sipshard-plot.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
n=0

for f in "$IN"/*.trials.jsonl; do
	[ -f "$f" ] || continue
	tag=$(basename "$f" .trials.jsonl)
	# offered answered pass(1/0), trials at a fixed rate only (trial 0 is closed loop)
	python3 - "$f" "$TMP/$tag.dat" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("offered_rate", 0) > 0:
        rows.append((d["offered_rate"], d["rate_per_s"], 1 if d.get("pass") else 0))
with open(sys.argv[2], "w") as o:
    for r in sorted(rows):
        o.write("%d %d %d\n" % r)
PY
	[ -s "$TMP/$tag.dat" ] || continue
	gnuplot <<GP
set terminal pngcairo size 900,600 noenhanced
set output "$OUT/rate-$tag.png"
set title "$tag: answered vs offered rate (search trials)"
set xlabel "offered requests/s"
set ylabel "answered (2xx) requests/s"
set key top left
set grid
set xrange [0:*]
set yrange [0:*]
plot x title "answered = offered" with lines dashtype 2 lc rgb "gray", \
     "$TMP/$tag.dat" using 1:(\$3 == 1 ? \$2 : 1/0) title "pass" with points pt 7 ps 1.5 lc rgb "forest-green", \
     "$TMP/$tag.dat" using 1:(\$3 == 0 ? \$2 : 1/0) title "fail" with points pt 5 ps 1.5 lc rgb "red"
GP
	echo "perf/plot.sh: $OUT/rate-$tag.png" >&2
	n=$((n + 1))
done

plots=()
for f in "$IN"/*.cdf; do
	[ -s "$f" ] || continue
	plots+=("\"$f\" using 1:2 title \"$(basename "$f" .cdf)\" with linespoints")
done
if [ ${#plots[@]} -gt 0 ]; then
	gnuplot <<GP
set terminal pngcairo size 900,600 noenhanced
set output "$OUT/latency-cdf.png"
set title "latency CDF at half the highest rate with < 0.1 % loss"
set xlabel "latency (us, log scale)"
set ylabel "fraction of requests"
set logscale x
set key bottom right
set grid
set yrange [0:1]
plot $(IFS=,; echo "${plots[*]}")
GP
	echo "perf/plot.sh: $OUT/latency-cdf.png" >&2
	n=$((n + 1))
fi
[ "$n" -gt 0 ] || { echo "perf/plot.sh: nothing to plot in $IN" >&2; exit 1; }
