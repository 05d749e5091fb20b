#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SIP torture corpus (RFC 4475, RFC 5118): every message listed in the in-tree
# EXPECT.tsv tables must get its verdict from build/sipshard-parse, which must
# never crash. Prints PASS/FAIL/SKIP lines for tests/run.sh. Also checks the
# in-tree copy against its manifest (tests/corpus/sip-torture.sha256), and against
# ../shared/sip-torture when that directory exists.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PARSE=$BUILD/sipshard-parse
CORPUS=${SIP_TORTURE_CORPUS:-tests/corpus/sip-torture}
SHARED=${SIP_TORTURE_SHARED:-../shared/sip-torture}
failed=0

if [ ! -x "$PARSE" ]; then
	echo "FAIL: torture ($PARSE not built: make $PARSE)"
	exit 1
fi

# The copy against the manifest taken when it was last found identical to the
# shared original (every file, nothing more, nothing less); against the original
# itself too where it is beside the tree (a clean clone has only the manifest).
if [ "$CORPUS" = tests/corpus/sip-torture ]; then
	listed=$(cut -d' ' -f3- tests/corpus/sip-torture.sha256 | LC_ALL=C sort)
	present=$(cd tests/corpus && find sip-torture -type f | LC_ALL=C sort)
	if (cd tests/corpus && sha256sum --quiet -c ../corpus/sip-torture.sha256 > /dev/null 2>&1) &&
	   [ "$listed" = "$present" ]; then
		echo "PASS: torture corpus copy matches tests/corpus/sip-torture.sha256 ($(echo "$present" | wc -l) files)"
	else
		echo "FAIL: torture corpus copy differs from tests/corpus/sip-torture.sha256:"
		(cd tests/corpus && sha256sum --quiet -c sip-torture.sha256 2>&1 | sed 's/^/    /')
		diff <(echo "$listed") <(echo "$present") | sed 's/^/    /'
		failed=1
	fi
fi
if [ -d "$SHARED" ]; then
	if diff -r "$SHARED" "$CORPUS" > /dev/null 2>&1; then
		echo "PASS: torture corpus copy identical to $SHARED"
	else
		echo "FAIL: torture corpus copy differs from $SHARED:"
		diff -rq "$SHARED" "$CORPUS" | sed 's/^/    /'
		failed=1
	fi
fi

for dir in "$CORPUS"/*/; do
	set_name=$(basename "$dir")
	table=$dir/EXPECT.tsv
	[ -f "$table" ] || { echo "FAIL: $set_name (no EXPECT.tsv)"; failed=1; continue; }
	listed=" "
	while IFS=$'\t' read -r file verdict _; do
		case $file in '' | '#'* | file) continue ;; esac
		listed+="$file "
		name=$set_name/$file
		if [ ! -f "$dir/$file" ]; then
			echo "SKIP: $name (file not in corpus)"
			continue
		fi
		out=$("$PARSE" "$dir/$file" 2>&1); rc=$?
		line=${out#"$dir/$file: "}
		case $rc:$line in
		0:valid*) got=valid; why="" ;;
		1:invalid:*) got=invalid; why=${line#invalid: } ;;
		*) echo "FAIL: $name (parser exit $rc: $out)"; failed=1; continue ;;
		esac
		if [ "$got" = "$verdict" ]; then
			echo "PASS: $name ($got${why:+: $why})"
		else
			echo "FAIL: $name (expected $verdict, got $got${why:+: $why})"
			failed=1
		fi
	done < "$table"
	for f in "$dir"*; do
		b=$(basename "$f")
		case $b in EXPECT.tsv) continue ;; esac
		case $listed in *" $b "*) ;; *) echo "SKIP: $set_name/$b (not listed in EXPECT.tsv)" ;; esac
	done
done
exit $failed
