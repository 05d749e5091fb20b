#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Logs (`log: {level, target}`): every line of sipshard-dp and sipshard-cp is
# "LEVEL SUBSYSTEM: message"; with stderr being the journal (JOURNAL_STREAM) each
# line starts with journald's "<N>" priority; `level: warning` leaves out info and
# notice; 2000 bad datagrams (the packet path) add no line; `target: syslog` sends
# the lines to /dev/log with the program as ident (only where this machine has no
# /dev/log of its own: the test listens there for its duration).
. "$(dirname "$0")/lib.bash"

sl=""
trap '[ -n "$sl" ] && { kill "$sl" 2>/dev/null; wait "$sl" 2>/dev/null; rm -f /dev/log; }; cleanup' EXIT
FMT='^(emerg|alert|crit|err|warning|notice|info|debug) [^ ]+: .'
lab_up 1
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
cluster_config 1 "$WORK/cluster.key" "  nodes: [{id: 2, address: 198.18.0.2}]"
start_node 1 && start_cp 1 || { fail "node 1 starts (dp + cp)"; exit 1; }
for f in n1 cp1; do
	bad=$(grep -cvE "$FMT" "$WORK/$f.log")
	check "$f: every line is LEVEL SUBSYSTEM: message ($(wc -l < "$WORK/$f.log") lines, $bad not)" test "$bad" = 0
done
check "the dp's ready line keeps its text: notice sipshard-dp: ready" grep -q '^notice sipshard-dp: ready: node 1' "$WORK/n1.log"
check "the cp's ready line keeps its text: notice sipshard-cp: ready" grep -q '^notice sipshard-cp: ready: node 1' "$WORK/cp1.log"

# The packet path never logs: 2000 junk datagrams and 200 bad REGISTERs.
# Sent in steps of 100 every 5 ms, to a resolved neighbour (client_neigh): none
# waits for ARP, and no burst overflows the af_packet ring of a loaded machine.
before=$(wc -l < "$WORK/n1.log")
client_neigh 198.18.0.1 || fail "client resolves node 1"
cl python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2200):
    if i < 2000: s.sendto(b"junk %d" % i, ("198.18.0.1", 5060))
    else: s.sendto(b"REGISTER sip:x SIP/2.0\r\nVia: bad\r\n\r\n", ("198.18.0.1", 5060))
    if i % 100 == 99: time.sleep(0.005)'
sleep 0.5
check "2200 bad datagrams counted ($(dpstat 1 drops.sip_invalid) sip_invalid), no log line added" \
	test "$(wc -l < "$WORK/n1.log")" = "$before" -a "$(dpstat 1 drops.sip_invalid)" -ge 2000
cleanup_cp; CP_PID=()
stop_node 1 || fail "node 1 stops"

# journald's priority prefix when stderr is the journal stream.
: > "$WORK/n1.log"
ip netns exec "$LAB-n1" env JOURNAL_STREAM="$(stat -c '%d:%i' "$WORK/n1.log")" \
	"$BUILD/sipshard-dp" -c "$WORK/n1.yaml" >> "$WORK/n1.log" 2>&1 &
NODE_PID[1]=$!
wait_ready "$WORK/n1.log" 'sipshard-dp: ready' "${NODE_PID[1]}" 30 || fail "node 1 restarts"
check "JOURNAL_STREAM: lines start with <N>LEVEL (<5>notice sipshard-dp: ready)" grep -q '^<5>notice sipshard-dp: ready' "$WORK/n1.log"
bad=$(grep -cvE '^<[0-7]>(emerg|alert|crit|err|warning|notice|info|debug) ' "$WORK/n1.log")
check "JOURNAL_STREAM: every line has the prefix ($bad without)" test "$bad" = 0
stop_node 1 || fail "node 1 stops"

# level: warning
printf 'log: {level: warning}\n' >> "$WORK/n1.yaml"
ip netns exec "$LAB-n1" "$BUILD/sipshard-dp" -c "$WORK/n1.yaml" > "$WORK/n1w.log" 2>&1 &
NODE_PID[1]=$!
st=""
for _ in $(seq 100); do st=$(tel 1 /sipshard/status 2>/dev/null); grep -q node_id <<<"$st" && break; sleep 0.1; done
check "level warning: the node runs (telemetry answers)" grep -q node_id <<<"$st"
n=$(grep -cE '^(notice|info|debug) ' "$WORK/n1w.log")
check "level warning: no info, notice or debug line ($n; $(wc -l < "$WORK/n1w.log") lines)" test "$n" = 0
stop_node 1 || fail "node 1 stops"
check "level warning: the stop (notice) is not written either" bash -c "! grep -q stopping '$WORK/n1w.log'"

# target: syslog, into our own /dev/log listener
if [ -e /dev/log ] || [ -L /dev/log ]; then   # -L: a link left by a journald that is gone
	echo "SKIP: log.target syslog (this machine has a /dev/log of its own: not intercepted)"
else
	sed -i 's/^log: {level: warning}$/log: {level: info, target: syslog}/' "$WORK/n1.yaml"
	python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(0.5)
end = time.time() + 40
with open(sys.argv[1], "ab") as out:
    while time.time() < end and not os.path.exists(sys.argv[1] + ".stop"):
        try: out.write(s.recv(4096) + b"\n"); out.flush()
        except socket.timeout: pass
os.unlink("/dev/log")' "$WORK/syslog.txt" &
sl=$!
for _ in $(seq 50); do [ -e "$WORK/syslog.txt.ready" ] && break; sleep 0.1; done
	ip netns exec "$LAB-n1" "$BUILD/sipshard-dp" -c "$WORK/n1.yaml" > "$WORK/n1s.log" 2>&1 &
	NODE_PID[1]=$!
	for _ in $(seq 100); do grep -q 'sipshard-dp: ready' "$WORK/syslog.txt" 2>/dev/null && break; sleep 0.1; done
	stop_node 1 || fail "node 1 stops"
	touch "$WORK/syslog.txt.stop"; wait "$sl"
	check "syslog: <29>... sipshard-dp[PID]: notice sipshard-dp: ready (facility daemon, level notice)" \
		grep -qE '^<29>.*sipshard-dp\[[0-9]+\]: notice sipshard-dp: ready: node 1' "$WORK/syslog.txt"
	check "syslog: EAL lines too (<30> info EAL: ...)" grep -qE '^<30>.*sipshard-dp\[[0-9]+\]: info EAL: ' "$WORK/syslog.txt"
	check "syslog: nothing on stderr ($(wc -l < "$WORK/n1s.log") lines)" test ! -s "$WORK/n1s.log"
	check "the /dev/log listener is gone" test ! -e /dev/log
fi
[ "$FAILS" = 0 ]
