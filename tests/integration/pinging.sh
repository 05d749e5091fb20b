#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT keepalive pinging (registrar.nat_ping), cooperation mode, three nodes: 60
# phones register at node 1 and answer OPTIONS (tests/integration/phones.py logs
# every ping it gets, with its source). Interval 2 s. Each phone must get exactly
# one ping per interval from the whole cluster: checked per interval slot of each
# phone (exactly one ping in each: none missed, none doubled; see ping_slots()
# in cluster_lib.bash), while all three nodes share the work, across a kill -9 of
# node 3 (within one heartbeat of its death a phone may get the dead node's ping
# and the catch-up), and after node 3 comes back and rejoins at the interval
# boundary 10 s after its start (none missed: its first pings, before it has the
# phones' MAC, are retried once ARP answered). Then a phone that stops
# answering is removed on every node after max_failures (3) unanswered pings.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster_lib.bash"

N=60
I_MS=2000
lab_up 3
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2 3; do
	peers=""
	for j in 1 2 3; do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.0.$j}, "; done
	cluster_config "$i" "$WORK/cluster.key" "  node_timeout_ms: 900
  nodes: [${peers%, }]
registrar:
  nat_ping: {interval_s: 2, method: options, mode: cooperation, max_failures: 3}"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started, nat_ping every 2 s in cooperation mode"
ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "every node lists the 3 nodes up" test "$ok" = 1

: > "$WORK/mute"
# (ip netns exec execs the program: $! is the phones' own pid; the lab's cleanup
# stops it with the nodes, also when the test stops early)
ip netns exec "$LAB-cl" /usr/bin/python3 "$ROOT/tests/integration/phones.py" 198.18.0.100 6000 \
	"$N" 198.18.0.1 "$WORK/pings.log" "$WORK/mute" > "$WORK/phones.out" 2>&1 &
PHONES=$!
NODE_PID[99]=$PHONES
wait_counts 10 "{\"aors\":$N,\"contacts\":$N}"; rc=$?
check "$N phones registered at node 1, on every node (after $WAITED ms: $SEEN)" test "$rc" = 0

slots() { ping_slots "$WORK/pings.log" "$1" "$2" "$N" "$I_MS" "${3:-0}"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

sleep 11  # every node has joined the sharing (10 s after its start, at a boundary)
t0=$(now_ms); sleep 8; t1=$(now_ms)
r=$(slots "$t0" "$t1")
check "all 3 nodes up: one ping per phone per interval ($r)" bash -c "[[ '$r' == ok* ]]"
check "the 3 nodes share the pings" bash -c "echo '$r' | grep -q '198.18.0.1 ' && echo '$r' | grep -q '198.18.0.2 ' && echo '$r' | grep -q '198.18.0.3 '"
# sipshardctl pinging: the fields of INTERFACES.md in that order; each node's share
# of the last complete interval, the same seen from two nodes, summing to the phones
pinging_ok() {
	python3 - "$N" "$(ctl 1 --json pinging)" "$(ctl 2 --json pinging)" <<'PY'
import json, sys
n, a, b = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
keys = ["mode", "interval_s", "share", "sent", "answered", "failed"]
ok = (list(a)[:6] == keys and a["mode"] == "cooperation" and a["interval_s"] == 2 and
      sorted(a["share"]) == ["1", "2", "3"] and all(v > 0 for v in a["share"].values()) and
      sum(a["share"].values()) == n and a["share"] == b["share"] and
      a["sent"] >= a["share"]["1"] and a["answered"] >= 1 and a["failed"] >= 0)
print("ok" if ok else "bad", json.dumps(a), "| node 2 share", json.dumps(b.get("share")))
PY
}
p=$(pinging_ok)
check "sipshardctl --json pinging: mode, interval, each node's share summing to $N, counters ($p)" \
	bash -c "[[ '$p' == ok* ]]"
ctl 1 pinging > "$WORK/pinging.txt" 2>&1
check "sipshardctl pinging prints the share per node, and a table ($(tr '\n' ' ' < "$WORK/pinging.txt"))" \
	bash -c "grep -q share '$WORK/pinging.txt' && grep -q 'NODE *CONTACTS_PER_INTERVAL *SELF' '$WORK/pinging.txt'"
t=$(tel 1 /sipshard/pinging)
check "telemetry /sipshard/pinging agrees ($t)" bash -c "echo '$t' | grep -q '\"mode\": \"cooperation\"' && echo '$t' | grep -q '\"share\"'"

# ---- kill -9 node 3: its share moves at once ----
tk=$(now_ms)
kill9_node 3
sleep 8; t1=$(now_ms)
r=$(slots "$((tk - 3000))" "$t1" "$tk")
check "node 3 killed: still one ping per phone per interval, none missed (a double only next to the death) ($r)" bash -c "[[ '$r' == ok* ]]"

# ---- node 3 back: it joins at an interval boundary ----
start_node 3 || fail "node 3 restarts"
start_cp 3 || fail "node 3's control plane restarts"
wait_counts 10 "{\"aors\":$N,\"contacts\":$N}" >/dev/null
t0=$(now_ms); sleep 14; t1=$(now_ms)
r=$(slots "$((t0 - 3000))" "$t1")
check "node 3 restarted and synced: one ping per phone per interval across its return ($r)" bash -c "[[ '$r' == ok* ]]"
r2=$(slots "$((t1 - 4000))" "$t1")
check "node 3 pings its share again ($r2)" bash -c "echo '$r2' | grep -q '198.18.0.3 '"

# ---- a phone that stops answering ----
echo 6007 > "$WORK/mute"
ok=0
for t in $(seq 1 100); do
	c="$(ports_of 1 phone7@example.com) $(ports_of 2 phone7@example.com) $(ports_of 3 phone7@example.com)"
	[ "$c" = "- - -" ] && { ok=1; break; }
	sleep 0.2
done
rm=0; for i in 1 2 3; do rm=$((rm + $(regstat "$i" ping_removed))); done
check "phone7 stopped answering: removed on every node after 3 unanswered pings ($c; ping_removed $rm)" \
	test "$ok" = 1 -a "$rm" -ge 1
c=$(count 1)
check "the other phones stay ($c)" test "$c" = "{\"aors\":$((N - 1)),\"contacts\":$((N - 1))}"
kill "$PHONES" 2>/dev/null; wait "$PHONES" 2>/dev/null; unset "NODE_PID[99]"
exit 0
