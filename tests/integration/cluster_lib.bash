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


tagstat() {   # NODE KEY: a sharing-tag counter of sipshardctl tags
	ctl "$1" --json tags | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$2"
}

replstat() {   # NODE KEY: a replication counter of sipshardctl stats
	ctl "$1" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["replication"][sys.argv[1]])' "$2"
}

# ping_slots LOG FROM_MS TO_MS N INTERVAL_MS [KILL_MS]: per phone (ports 6000..6000+N-1
# of tests/integration/phones.py), its pings logged in [FROM, TO) put in
# the interval slots of its moment (a phone's pings come at one phase of the
# interval; a catch-up ping after a node died may come up to 0.9 interval late):
# every slot from the first to the last must hold exactly one ping, except the
# slot of KILL_MS, where the dead node's last ping and the catch-up may both be
# (within one heartbeat of the death). Prints "ok SUMMARY" or "bad DETAILS".
ping_slots() {
	/usr/bin/python3 - "$1" "$2" "$3" "$4" "$5" "${6:-0}" <<'PY'
import collections, statistics, sys
log, t0, t1, n, iv, kill = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
per, by = collections.defaultdict(list), collections.Counter()
for line in open(log):
    t, port, src = line.split()
    t = int(t)
    if t0 <= t < t1:
        per[int(port)].append(t)
        by[src] += 1
bad, doubles = [], 0
for p in range(6000, 6000 + n):
    ts = sorted(per.get(p, []))
    if len(ts) < (t1 - t0) // iv - 1:
        bad.append("%d: %d pings" % (p, len(ts)))
        continue
    phase = int(statistics.median(t % iv for t in ts))
    slot = lambda t: (t - phase + iv // 10) // iv
    c = collections.Counter(slot(t) for t in ts)
    for s in range(min(c), max(c) + 1):
        if c[s] == 1:
            continue
        if c[s] == 2 and kill and slot(kill) - 1 <= s <= slot(kill) + 1:
            doubles += 1
            continue
        bad.append("%d: slot %d has %d pings" % (p, s - min(c), c[s]))
src = ", ".join("%s %d" % kv for kv in sorted(by.items()))
if bad:
    print("bad " + "; ".join(bad[:8]) + " (%d problems; by source: %s)" % (len(bad), src))
else:
    print("ok %d phones, one ping per interval each (%d doubles at the kill); by source: %s" % (n, doubles, src))
PY
}
