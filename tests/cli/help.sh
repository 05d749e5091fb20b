#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `--help` of every program: exit 0, a usage line on stdout, and every long option
# the program parses (its getopt table, or the "--name" it compares arguments to)
# named in the text; -h does the same; no argument or an unknown option exits 2.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
declare -A MAIN=([sipshard-dp]=dataplane/core/dp_main.c [sipshard-cp]=control/cp_main.c
	[sipshardctl]=control/admin/ctl_main.c [sipshard-parse]=dataplane/sip/sip_parse_main.c
	[sipshard-gen]=perf/gen_main.c)
for p in sipshard-dp sipshard-cp sipshardctl sipshard-parse sipshard-gen; do
	[ -x "$B/$p" ] || { echo "FAIL: $p not built"; continue; }
	out=$("$B/$p" --help 2>/dev/null); rc=$?
	opts=$(grep -oE '\{ "[a-z][a-z-]*", (no|required|optional)_argument|strn?cmp\((a|argv\[i\]|arg), "--[a-z][a-z-]*' "${MAIN[$p]}" |
		grep -oE '"(--)?[a-z][a-z-]*' | sed -E 's/^"(--)?/--/' | sort -u)
	missing=""
	for o in $opts; do grep -qE -- "$o([^a-z-]|$)" <<<"$out" || missing="$missing $o"; done
	n=$(echo "$opts" | wc -w)
	if [ "$rc" = 0 ] && grep -q "^usage: $p" <<<"$out" && [ -z "$missing" ] && [ "$n" -ge 2 ]; then
		echo "PASS: $p --help: exit 0, usage, its $n options ($(echo $opts))"
	else
		echo "FAIL: $p --help: rc $rc, missing:${missing:- none}, $n options found"
	fi
	[ "$("$B/$p" -h 2>/dev/null)" = "$out" ] && echo "PASS: $p -h = --help" || echo "FAIL: $p -h differs from --help"
	"$B/$p" --no-such-option > /dev/null 2>&1; rc=$?
	[ "$rc" = 2 ] && echo "PASS: $p unknown option: exit 2" || echo "FAIL: $p unknown option: exit $rc"
done
