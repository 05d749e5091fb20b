#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sharing tags with terms (issue 12, first part), three nodes, the cluster bus on
# its own segment (so a partition leaves the admin path alone). service/1: node 1
# configured active (priority 10), nodes 2 (priority 20) and 3 (priority 5) backup,
# all with failover auto.
#   - once the tags are synced node 1 holds service/1 (term 1) on every node;
#   - `tag set-active` on node 3 moves it: the command returns once both peers
#     acknowledged, and every node reports the same owner and term (time printed);
#   - nodes 1 and 2 claim at the same instant: exactly one holds it afterwards;
#   - a partition {1,2} | {3} with a claim on each side, healed: exactly one holder,
#     the highest term, and the history of the node that stepped down says "heal";
#   - kill -9 of the holder: the best surviving candidate claims it (failover).
. "$(dirname "$0")/lib.bash"

lab_up 3
"$ROOT/scripts/lab.sh" cluster-net 3 || { fail "second segment for the cluster bus"; exit 1; }
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
prio=(0 10 20 5)
for i in 1 2 3; do
	state=backup; [ "$i" = 1 ] && state=active
	bus_config "$i" 3 "" "tags:
  - {name: service/1, state: $state, failover: auto, priority: ${prio[$i]}}"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started, service/1 configured on each"
ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "every node lists the 3 nodes up" test "$ok" = 1

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# view NODES...: "owner/term/state" of service/1 on each node, space-separated.
view() {
	local i
	for i in "$@"; do
		ctl "$i" --json tags 2>/dev/null | python3 -c '
import json, sys
t = [x for x in json.load(sys.stdin)["tags"] if x["name"] == "service" and x["cluster"] == 1]
print("%d/%d/%s" % (t[0]["owner"], t[0]["term"], t[0]["state"]) if t else "none")' 2>/dev/null || echo "?"
	done | paste -sd' ' -
}
# agreed NODES...: every node reports the same owner and term, exactly one active.
agreed() {
	python3 -c '
import sys
v = [x.split("/") for x in sys.argv[1:]]
ok = all(len(x) == 3 for x in v) and len({(x[0], x[1]) for x in v}) == 1 and \
     sum(x[2] == "active" for x in v) == 1 and v[0][0] != "0"
sys.exit(0 if ok else 1)' $(view "$@")
}
wait_agreed() {   # SECONDS NODES...
	local secs=$1 t0
	shift
	t0=$(now_ms)
	until agreed "$@"; do
		[ $(( $(now_ms) - t0 )) -ge $((secs * 1000)) ] && return 1
		sleep 0.05
	done
}

ok=0
for t in $(seq 1 100); do
	s=$(for i in 1 2 3; do ctl "$i" --json tags | grep -o '"sync":"[a-z-]*"'; done | sort -u)
	[ "$s" = '"sync":"synced"' ] && { ok=1; break; }
	sleep 0.1
done
check "the tags capability is synced on every node" test "$ok" = 1
wait_agreed 5 1 2 3; v=$(view 1 2 3)
check "node 1 (configured active) holds service/1 with term 1 on every node ($v)" \
	test "$v" = "1/1/active 1/1/backup 1/1/backup"

# ---- a move from the CLI ----
out=$(ctl 3 --json tag set-active service/1); rc=$?
check "tag set-active service/1 on node 3 returns once nodes 1 and 2 acknowledged ($out)" \
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
assert sys.argv[1] == "0" and d["owner"] == 3 and d["term"] == 2 and sorted(d["acked"]) == [1, 2], d' "$rc" "$out"
v=$(view 1 2 3)
ms=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ms"])')
echo "tag move: acknowledged by both peers after $ms ms"
check "right after the command every node reports owner 3, term 2 ($v; the move took $ms ms)" \
	test "$v" = "3/2/backup 3/2/backup 3/2/active"

tv=$(tel 1 /sipshard/tags)
check "telemetry /sipshard/tags on node 1 agrees ($tv)" python3 -c '
import json, sys
t = json.loads(sys.argv[1])["service/1"]
assert t["owner"] == 3 and t["term"] == 2 and t["state"] == "backup", t' "$tv"

# ---- two claims at the same instant ----
ctl 1 --json tag set-active service/1 > "$WORK/c1.out" 2>&1 &
p1=$!
ctl 2 --json tag set-active service/1 > "$WORK/c2.out" 2>&1 &
p2=$!
wait "$p1" "$p2"
wait_agreed 5 1 2 3; rc=$?; v=$(view 1 2 3)
check "nodes 1 and 2 claimed at once: exactly one holder, the same everywhere ($v)" test "$rc" = 0

# ---- partition {1,2} | {3}, a claim on each side, heal ----
ip -n "$LAB-br" link set "${LAB}c3b" down
ok=1
wait_state 5 down 1 3 || ok=0
wait_state 5 down 3 1 2 || ok=0
check "partitioned: nodes 1 and 3 see each other down" test "$ok" = 1
before=$(view 1 2 3)
ctl 3 --json tag set-active service/1 > "$WORK/p3.out" 2>&1
ctl 2 --json tag set-active service/1 > "$WORK/p2a.out" 2>&1
ctl 2 --json tag set-active service/1 > "$WORK/p2b.out" 2>&1
v=$(view 1 2 3)
check "during the partition both sides hold it: node 2 and node 3 active (before $before; now $v)" \
	bash -c "echo '$v' | grep -q '2/[0-9]*/active' && echo '$v' | grep -q '3/[0-9]*/active'"
t2=$(echo "$v" | cut -d' ' -f2 | cut -d/ -f2)
ip -n "$LAB-br" link set "${LAB}c3b" up
wait_agreed 10 1 2 3; rc=$?; v=$(view 1 2 3)
check "healed: exactly one holder, node 2 (term $t2, priority 20: the best claim), on every node ($v)" \
	test "$rc" = 0 -a "$v" = "2/$t2/backup 2/$t2/active 2/$t2/backup"
h=$(ctl 3 --json tags history)
check "node 3's history says it lost the tag to node 2 by the heal" python3 -c '
import json, sys
h = json.loads(sys.argv[1])["history"]
last = h[-1]
assert last["owner"] == 2 and last["reason"] == "heal" and last["tag"] == "service/1", last
assert any(e["owner"] == 3 and e["reason"] == "command" for e in h), h' "$h"

# ---- failover: kill -9 the holder ----
t0=$(now_ms)
kill9_node 2
while :; do
	v=$(view 1 3)
	case $v in *"/active"*) [ "$(echo "$v" | cut -d' ' -f1 | cut -d/ -f1)" != 2 ] && break ;; esac
	[ $(( $(now_ms) - t0 )) -ge 5000 ] && break
	sleep 0.02
done
dt=$(( $(now_ms) - t0 ))
echo "failover: a new holder $dt ms after kill -9 (node_timeout_ms 900)"
wait_agreed 3 1 3; rc=$?; v=$(view 1 3)
check "holder killed: node 1 (priority 10, the best survivor over node 3's 5) claims it with a new term within 3 s (after $dt ms: $v)" \
	bash -c "[ $rc = 0 ] && echo '$v' | grep -q '^1/[0-9]*/active 1/'"
r=$(ctl 1 --json tags history | python3 -c 'import json,sys; print(json.load(sys.stdin)["history"][-1]["reason"])')
check "node 1's history says failover ($r)" test "$r" = failover
exit 0
