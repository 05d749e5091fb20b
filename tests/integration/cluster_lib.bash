# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the replication tests (sourced after lib.bash): contacts counts and
# contact ports polled on every node of NODES (default "1 2 3"), sipp REGISTER runs
# from the client, registrar and replication counters.
NODES=${NODES:-1 2 3}
CLI=198.18.0.100   # the client namespace's address

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
count() { ctl "$1" --json contacts count 2>/dev/null || echo '(no answer)'; }

# wait_counts SECONDS WANT: until every node of NODES has contacts count WANT. Sets SEEN (the
# counts of the last round) and WAITED (ms).
SEEN="" WAITED=0
wait_counts() {
	local t0 ok i c
	t0=$(now_ms)
	while :; do
		ok=1 SEEN=""
		for i in $NODES; do c=$(count "$i"); SEEN="${SEEN}n$i=$c "; [ "$c" = "$2" ] || ok=0; done
		WAITED=$(( $(now_ms) - t0 ))
		[ "$ok" = 1 ] && return 0
		[ "$WAITED" -ge $(($1 * 1000)) ] && return 1
		sleep 0.1
	done
}

users() {   # file first count expires [prefix]: sipp -inf file USER;EXPIRES
	{ echo SEQUENTIAL; seq "$2" $(($2 + $3 - 1)) | sed "s/.*/${5:-user}&;$4/"; } > "$1"
}
# sipp_run NODE CSV CALLS LOCAL_PORT: one REGISTER per user, each must get a 200.
# The local port is the contact's port, so a later run from the same port names the
# same contacts (an unregister).
sipp_run() {
	local out
	out=$WORK/sipp-$(basename "$2" .csv).out
	(cd "$WORK" && cl sipp "198.18.0.$1:5060" -sf "$ROOT/tests/integration/sipp/register.xml" \
		-inf "$2" -m "$3" -r 1000 -rp 1000 -i "$CLI" -p "$4" -nostdin \
		-timeout 30s -timeout_error > "$out" 2>&1) || { tail -n 20 "$out"; return 1; }
}

# ports_of NODE AOR: the contact ports of AOR on NODE, sorted, comma-separated ("-"
# for none). No python here: it runs in polling loops.
ports_of() {
	local p
	p=$(ctl "$1" --json contacts show "$2" 2>/dev/null | grep -o '"uri":"[^"]*"' |
		sed 's/.*:\([0-9]*\)"$/\1/' | sort | paste -sd, -)
	echo "${p:--}"
}

# wait_ports SECONDS AOR=PORTS...: until every node holds exactly PORTS for each AOR.
# Sets SEEN and WAITED.
wait_ports() {
	local secs=$1 t0 ok i a p
	shift
	t0=$(now_ms)
	while :; do
		ok=1 SEEN=""
		for a in "$@"; do
			SEEN="$SEEN${a%%=*}:"
			for i in $NODES; do
				p=$(ports_of "$i" "${a%%=*}@example.com")
				SEEN="$SEEN n$i=$p"
				[ "$p" = "${a#*=}" ] || ok=0
			done
			SEEN="$SEEN; "
		done
		WAITED=$(( $(now_ms) - t0 ))
		[ "$ok" = 1 ] && return 0
		[ "$WAITED" -ge $((secs * 1000)) ] && return 1
		sleep 0.1
	done
}

aors() {   # NODE: the number of AoRs in NODE's contacts count (-1 without an answer)
	local c
	c=$(count "$1"); c=${c#*\"aors\":}; c=${c%%,*}
	case $c in ''|*[!0-9]*) echo -1 ;; *) echo "$c" ;; esac
}

regstat() {   # NODE KEY: a registrar counter of sipshardctl stats (summed over shards)
	ctl "$1" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["registrar"][sys.argv[1]])' "$2"
}


replstat() {   # NODE KEY: a replication counter of sipshardctl stats
	ctl "$1" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["replication"][sys.argv[1]])' "$2"
}
