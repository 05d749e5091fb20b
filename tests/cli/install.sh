#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# make install / make uninstall into a scratch directory: the programs, the example
# config in SYSCONFDIR/sipshard, the systemd units with their paths filled in and
# accepted by `systemd-analyze verify`, the docs; uninstall leaves nothing but the
# operator's own files. The units are started by systemd in
# tests/integration/systemd_units.sh.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/sipshard-inst.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
MAKE="make --no-print-directory -s"

# 1. DESTDIR staging with the packaging paths
$MAKE install DESTDIR="$tmp/stage" PREFIX=/usr > "$tmp/log" 2>&1 || { echo "FAIL: make install DESTDIR: $(tail -5 "$tmp/log")"; exit 1; }
ok=1
for f in usr/bin/sipshard-dp usr/bin/sipshard-cp usr/bin/sipshardctl usr/bin/sipshard-parse; do
	[ -x "$tmp/stage/$f" ] || { ok=0; echo "missing $f"; }
done
[ "$ok" = 1 ] && echo "PASS: DESTDIR install: 4 programs in /usr/bin" || echo "FAIL: DESTDIR install: programs"
cmp -s config/example.yaml "$tmp/stage/etc/sipshard/example.yaml" && echo "PASS: example config in /etc/sipshard/example.yaml" ||
	echo "FAIL: example config not in /etc/sipshard"
U=$tmp/stage/usr/lib/systemd/system
if [ -f "$U/sipshard-dp@.service" ] && [ -f "$U/sipshard-cp@.service" ] && [ -f "$U/sipshard-hugepages.service" ] &&
   grep -qx 'ExecStart=/usr/bin/sipshard-dp -c /etc/sipshard/%i.yaml' "$U/sipshard-dp@.service" &&
   grep -qx 'ExecStart=/usr/bin/sipshard-cp -c /etc/sipshard/%i.yaml' "$U/sipshard-cp@.service" &&
   grep -qx 'BindsTo=sipshard-dp@%i.service' "$U/sipshard-cp@.service" &&
   grep -q '^Wants=.*sipshard-cp@%i.service' "$U/sipshard-dp@.service" &&
   ! grep -q '@[A-Z]*@' "$U"/*.service; then
	echo "PASS: units sipshard-dp@, sipshard-cp@ (BindsTo its dp), sipshard-hugepages with the paths filled in"
else
	echo "FAIL: units: $(ls "$U" 2>&1)"
fi
[ -f "$tmp/stage/usr/share/doc/sipshard/operations.md" ] && echo "PASS: docs/operations.md installed" || echo "FAIL: operations.md not installed"

# 2. the units verified: installed under a PREFIX whose programs exist
$MAKE install PREFIX="$tmp/p" SYSCONFDIR="$tmp/p/etc" > "$tmp/log2" 2>&1 || echo "FAIL: make install PREFIX: $(tail -5 "$tmp/log2")"
if command -v systemd-analyze >/dev/null; then
	V=$tmp/p/lib/systemd/system
	cp "$V/sipshard-dp@.service" "$V/sipshard-dp@node1.service"
	cp "$V/sipshard-cp@.service" "$V/sipshard-cp@node1.service"
	if out=$(cd "$V" && systemd-analyze verify ./sipshard-dp@node1.service ./sipshard-cp@node1.service \
			./sipshard-hugepages.service 2>&1) && [ -z "$out" ]; then
		echo "PASS: systemd-analyze verify: the 3 units, no complaint"
	else
		echo "FAIL: systemd-analyze verify: $out"
	fi
	rm -f "$V/sipshard-dp@node1.service" "$V/sipshard-cp@node1.service"
else
	echo "SKIP: systemd-analyze verify (not installed)"
fi

# 3. uninstall: nothing of ours left, the operator's config kept
echo "node: {id: 9}" > "$tmp/stage/etc/sipshard/node9.yaml"
$MAKE uninstall DESTDIR="$tmp/stage" PREFIX=/usr > /dev/null 2>&1
left=$(cd "$tmp/stage" && find . -type f | sort | tr '\n' ' ')
[ "$left" = "./etc/sipshard/node9.yaml " ] && echo "PASS: uninstall removes every installed file, keeps the operator's node9.yaml" ||
	echo "FAIL: uninstall left: $left"
$MAKE uninstall PREFIX="$tmp/p" SYSCONFDIR="$tmp/p/etc" > /dev/null 2>&1
left=$(find "$tmp/p" -type f | wc -l)
[ "$left" = 0 ] && echo "PASS: uninstall of the PREFIX install" || echo "FAIL: uninstall PREFIX left $left files"

# Starting the units under systemd: tests/integration/systemd_units.sh (in a container).
