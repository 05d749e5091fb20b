#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipshardctl command line (docs/interfaces.md): usage errors exit 2, an unreachable
# socket exits 3, a failed command exits 1 with its message on stderr, and against
# a fake node (build/tests/test_cp_admin --serve SOCKET: the real admin server
# with fixed data) --json prints exactly the documented objects and the human
# output has a header row.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CTL=$BUILD/sipshardctl
SRV=$BUILD/tests/test_cp_admin

make --no-print-directory -s "$CTL" "$SRV" > /dev/null || { echo "FAIL: sipshardctl (build)"; exit 1; }

tmp=$(mktemp -d /tmp/sipshardctl-test.XXXXXX)
sock=$tmp/run/node1.sock
srv_pid=
cleanup() {
	if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# expect NAME RC [STDOUT-EXACT|-] -- ARGS...   (stderr kept in $tmp/err)
expect() {
	local name=$1 want_rc=$2 want_out=$3 out rc
	shift 4
	out=$("$CTL" "$@" 2> "$tmp/err"); rc=$?
	if [ "$rc" != "$want_rc" ]; then
		echo "FAIL: $name: exit $rc, want $want_rc (stdout '$out', stderr '$(cat "$tmp/err")')"
		return 1
	fi
	if [ "$want_out" != - ] && [ "$out" != "$want_out" ]; then
		echo "FAIL: $name: stdout"
		echo "  got:  $out"
		echo "  want: $want_out"
		return 1
	fi
	echo "PASS: $name"
}

# stderr of the last expect contains TEXT
err_has() {
	if grep -qF -- "$2" "$tmp/err"; then echo "PASS: $1"; else echo "FAIL: $1: stderr '$(cat "$tmp/err")' lacks '$2'"; fi
}

# ---- usage errors: 2, before any connection ----
nosock=$tmp/none.sock
expect "no arguments -> 2" 2 "" --
err_has "no arguments prints usage" "usage: sipshardctl [-s SOCKET] [--json] COMMAND"
expect "unknown option -> 2" 2 "" -- --bogus nodes
expect "-s without value -> 2" 2 "" -- -s
expect "--json without command -> 2" 2 "" -- -s "$nosock" --json
expect "contacts without subcommand -> 2" 2 "" -- -s "$nosock" contacts
expect "contacts bogus -> 2" 2 "" -- -s "$nosock" contacts bogus
expect "contacts show without AOR -> 2" 2 "" -- -s "$nosock" contacts show
err_has "usage names the command" "contacts show AOR"
expect "nodes with an argument -> 2" 2 "" -- -s "$nosock" nodes extra
expect "tag set-active without tag -> 2" 2 "" -- -s "$nosock" tag set-active
expect "tag set-active bad tag -> 2" 2 "" -- -s "$nosock" tag set-active service
expect "tag set-active cluster 0 -> 2" 2 "" -- -s "$nosock" tag set-active service/0
expect "argument with a space -> 2" 2 "" -- -s "$nosock" contacts show "a b"
expect "socket path too long -> 2" 2 "" -- -s "$(printf '/tmp/%0120d' 0)" nodes
expect "--help -> 0" 0 - -- --help
"$CTL" --help | grep -q "tag set-active NAME/CLUSTER" && echo "PASS: --help lists the commands" \
	|| echo "FAIL: --help lists the commands"

# ---- unreachable: 3 ----
expect "missing socket -> 3" 3 "" -- -s "$nosock" nodes
err_has "missing socket says why" "cannot reach $nosock"
: > "$tmp/plain"
expect "not a socket -> 3" 3 "" -- -s "$tmp/plain" --json status
expect "unknown command, no socket -> 3" 3 "" -- -s "$nosock" frobnicate
if [ ! -e /run/sipshard/sipshard.sock ]; then
	expect "default socket /run/sipshard/sipshard.sock absent -> 3" 3 "" -- nodes
	err_has "default socket path" "/run/sipshard/sipshard.sock"
fi

# ---- against the fake node ----
"$SRV" --serve "$sock" 2> "$tmp/srv.err" &
srv_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { echo "FAIL: fake server did not start: $(cat "$tmp/srv.err")"; exit 1; }

nodes_json='{"nodes":[{"id":1,"address":"198.18.0.1","state":"up","self":true,"caps":{"registrations":"synced","backends":"not-synced","tags":"not-synced"},"port":5800,"incarnation":1001,"last_heard_ms":null,"state_for_ms":1000},{"id":2,"address":"198.18.0.2","state":"up","self":false,"caps":{"registrations":"syncing","backends":"not-synced","tags":"not-synced"},"port":5800,"incarnation":2002,"last_heard_ms":500,"state_for_ms":500,"duplicate":false},{"id":3,"address":"198.18.0.3","state":"down","self":false,"caps":{"registrations":"not-synced","backends":"not-synced","tags":"not-synced"},"port":5800,"incarnation":0,"last_heard_ms":null,"state_for_ms":0,"duplicate":false}]}'
expect "--json nodes exact" 0 "$nodes_json" -- -s "$sock" --json nodes
expect "--socket=PATH -j nodes" 0 "$nodes_json" -- --socket="$sock" -j nodes
expect "-sPATH --json nodes" 0 "$nodes_json" -- -s"$sock" --json nodes
expect "--json contacts count" 0 '{"aors":2,"contacts":3}' -- -s "$sock" --json contacts count
expect "--json contacts show" 0 '{"aor":"alice@example.com","contacts":[{"uri":"sip:alice@198.18.0.100:5060","expires_in":3599,"received":"198.18.0.100:5060","q":1.0,"origin":1}]}' \
	-- -s "$sock" --json contacts show alice@example.com
expect "--json tags" 0 '{"tags":[{"name":"service","cluster":1,"state":"active","owner":1,"term":3}]}' \
	-- -s "$sock" --json tags
expect "--json backends" 0 '{"backends":[{"set":1,"uri":"sip:198.18.1.1:5060","weight":1,"state":"up"}]}' \
	-- -s "$sock" --json backends
expect "tag set-active ok, waits for the acks" 0 - -- -s "$sock" tag set-active service/1
out=$("$CTL" -s "$sock" --json tag set-active service/1)
echo "$out" | grep -q '^{"acked":\[2\],"ms":[0-9.]*}$' && echo "PASS: --json tag set-active: the peers that acknowledged and the time ($out)" \
	|| echo "FAIL: --json tag set-active: '$out'"
expect "tag set-active unknown tag -> 1" 1 "" -- -s "$sock" tag set-active nosuch/1
err_has "failure message on stderr" "sipshardctl: no such tag 'nosuch/1'"
expect "--json failure -> 1, nothing on stdout" 1 "" -- -s "$sock" --json tag set-active nosuch/1
expect "unknown command forwarded -> 1" 1 "" -- -s "$sock" frobnicate now
err_has "server's answer to an unknown command" "unknown command 'frobnicate'"

for c in status nodes events tags backends stats "contacts count" help; do
	# shellcheck disable=SC2086
	if "$CTL" -s "$sock" --json $c | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "ok" not in d' 2>/dev/null; then
		echo "PASS: --json $c is one JSON object without ok"
	else
		echo "FAIL: --json $c is not valid JSON"
	fi
done

out=$("$CTL" -s "$sock" nodes)
header=$(printf '%s\n' "$out" | head -n 1)
if [[ "$header" =~ ^ID\ +ADDRESS\ +STATE\ +SELF\ +CAPS ]] && [ "$(printf '%s\n' "$out" | wc -l)" = 4 ]; then
	echo "PASS: nodes table has a header row and one row per node"
else
	echo "FAIL: nodes table: $out"
fi
if printf '%s\n' "$out" | grep -Eq '^2 +198\.18\.0\.2 +up +no +registrations=syncing,'; then
	echo "PASS: nodes table row"
else
	echo "FAIL: nodes table row: $out"
fi
out=$("$CTL" -s "$sock" status)
if printf '%s\n' "$out" | grep -qx 'node_id: 1' && printf '%s\n' "$out" | grep -q '^ports:$' &&
	printf '%s\n' "$out" | grep -Eq '^  PORT +DEVICE +LINK$'; then
	echo "PASS: status as key: value lines and a ports table"
else
	echo "FAIL: status: $out"
fi
out=$("$CTL" -s "$sock" stats)
if printf '%s\n' "$out" | grep -qx 'cluster.rejects.bad_hmac: 2'; then
	echo "PASS: stats flattened as dotted keys"
else
	echo "FAIL: stats: $out"
fi
if printf '%s\n' "$out" | grep -qx 'registrar.reply_423: 1'; then
	echo "PASS: stats shows the registrar counters"
else
	echo "FAIL: stats lacks registrar.reply_423: $out"
fi
if "$CTL" -s "$sock" --json stats | python3 -c '
import json, sys
r = json.load(sys.stdin)["registrar"]
assert (r["registers"], r["reply_200"], r["reply_423"], r["collisions"], r["events_dropped"]) == (3, 2, 1, 0, 0), r' 2>/dev/null; then
	echo "PASS: --json stats has a registrar object with its counters"
else
	echo "FAIL: --json stats registrar object"
fi
out=$("$CTL" -s "$sock" contacts show nobody@example.com)
if [ "$out" = $'aor: nobody@example.com\ncontacts: (none)' ]; then
	echo "PASS: contacts show, no contact"
else
	echo "FAIL: contacts show, no contact: $out"
fi
out=$("$CTL" -s "$sock" events)
if printf '%s\n' "$out" | head -n 1 | grep -Eq '^AGE_MS +NODE +EVENT +REASON$' &&
	printf '%s\n' "$out" | grep -q 'down +timeout 1000 ms\|down   timeout 1000 ms'; then
	echo "PASS: events table"
else
	echo "FAIL: events: $out"
fi

kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=
if [ ! -e "$sock" ]; then echo "PASS: server removed its socket on SIGTERM"; else echo "FAIL: socket left behind"; fi
expect "server gone -> 3" 3 "" -- -s "$sock" nodes
exit 0
