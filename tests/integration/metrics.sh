#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prometheus /metrics of sipshard-cp (admin.metrics_listen), two clustered nodes,
# tag svc/7 active on node 1, one user registered on node 1:
#   - GET /metrics answers 200 text/plain; version=0.0.4; the body passes
#     `promtool check metrics` (when installed) and prom_check.py (every line);
#   - every counter of telemetry /sipshard/stats is there under its Prometheus name,
#     its value between two telemetry reads taken before and after the scrape;
#   - node, capability, tag and sync states are gauges with the right one set;
#   - other paths 404, POST 405; idle connections held open do not stop the
#     control plane: the admin socket and another scrape answer, the heartbeats
#     it sends keep growing (a blocked loop would send none).
. "$(dirname "$0")/lib.bash"

PORT=9095
lab_up 2
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2; do
	j=$((3 - i)) state=backup
	[ "$i" = 1 ] && state=active
	cluster_config "$i" "$WORK/cluster.key" "  nodes: [{id: $j, address: 198.18.0.$j}]"
	printf '  metrics_listen: "127.0.0.1:%s"\ntags: ["svc/7=%s"]\n' "$PORT" "$state" >> "$WORK/n$i.yaml"
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
wait_state 10 up 1 2 && wait_state 10 up 2 1; rc=$?
check "node 1 and node 2 see each other up" test "$rc" = 0
check "each with /metrics on 127.0.0.1:$PORT (in its namespace)" grep -q "metrics: http://127.0.0.1:$PORT/metrics" "$WORK/cp1.log"

# One REGISTER from the client to node 1.
cl python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 5090)); s.settimeout(3)
s.sendto(b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100:5090;branch=z9hG4bKm1\r\n"
         b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\nCall-ID: m1\r\n"
         b"CSeq: 1 REGISTER\r\nContact: <sip:alice@198.18.0.100:5090>\r\nExpires: 600\r\n"
         b"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", ("198.18.0.1", 5060))
print(s.recv(2000).split(b"\r\n")[0].decode())' > "$WORK/reg.out" 2>&1
check "REGISTER of alice answered 200 ($(cat "$WORK/reg.out"))" grep -q "SIP/2.0 200" "$WORK/reg.out"
# wait until registrations and tags are synced on both (the sync gauges below)
for _ in $(seq 50); do
	[ "$(ctl 1 --json tags | python3 -c 'import json,sys; print(json.load(sys.stdin)["sync"])')" = synced ] &&
	[ "$(ctl 2 --json tags | python3 -c 'import json,sys; print(json.load(sys.stdin)["sync"])')" = synced ] &&
	[ "$(ctl 1 --json sync | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = synced ] &&
	[ "$(ctl 2 --json sync | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = synced ] &&
	[ "$(ctl 1 --json nodes | python3 -c 'import json,sys; print([n["caps"]["registrations"] for n in json.load(sys.stdin)["nodes"] if n["id"] == 2][0])')" = synced ] && break
	sleep 0.1
done

# get I PATH [METHOD]: "STATUS CONTENT-TYPE" on the first line, then the body.
get() {
	ip netns exec "$LAB-n$1" python3 -c '
import sys, urllib.request, urllib.error
req = urllib.request.Request("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), method=sys.argv[3])
try:
    r = urllib.request.urlopen(req, timeout=5)
    print(r.status, r.headers.get("Content-Type")); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Content-Type"))' "$PORT" "$2" "${3:-GET}"
}

tel 1 /sipshard/stats > "$WORK/tel1.json"
get 1 /metrics > "$WORK/m1.txt"
tel 1 /sipshard/stats > "$WORK/tel2.json"
head -n 1 "$WORK/m1.txt" > "$WORK/m1.status"
tail -n +2 "$WORK/m1.txt" > "$WORK/m1.prom"
check "GET /metrics: 200, text/plain; version=0.0.4 ($(cat "$WORK/m1.status"))" \
	grep -qx '200 text/plain; version=0.0.4; charset=utf-8' "$WORK/m1.status"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics < "$WORK/m1.prom" 2>&1); rc=$?
	check "promtool check metrics: no problem (rc $rc${out:+: $(echo "$out" | head -n 5)})" test "$rc" = 0 -a -z "$out"
else
	echo "SKIP: promtool check metrics (no promtool: scripts/deps.sh could not fetch Debian's prometheus package)"
fi
out=$(python3 "$ROOT/tests/integration/prom_check.py" < "$WORK/m1.prom"); rc=$?
check "prom_check.py, every line: $out" test "$rc" = 0
python3 "$ROOT/tests/integration/prom_check.py" --json < "$WORK/m1.prom" > "$WORK/m1.json"

# Every leaf of /sipshard/stats under its Prometheus name, tel1 <= metric <= tel2
# (replication counters are published by the cp every few ms: tel1 <= metric only).
check "every counter of /sipshard/stats is a metric with a consistent value" python3 -c '
import json, sys
t1, t2, m = (json.load(open(f)) for f in sys.argv[1:4])
LAB = {"drops": ("sipshard_drops_total", "reason"), "sip_requests": ("sipshard_sip_requests_total", "method"),
       "sip_responses": ("sipshard_sip_responses_received_total", "class"),
       "sip_replies": ("sipshard_sip_replies_sent_total", "class"), "sip_invalid": ("sipshard_sip_invalid_total", "reason")}
GAUGES = {"registrar.tombstones": "sipshard_registrar_tombstones", "replication.peers": "sipshard_replication_peers",
          "replication.tombstones": "sipshard_registrar_tombstones"}
def metric(path):
    if path in GAUGES: return GAUGES[path] + "{}", False
    parts = path.split(".")
    if len(parts) == 1:
        if parts[0] == "drops_total": return None, True
        return "sipshard_%s_total{}" % parts[0], True
    if parts[0] in LAB:
        n, l = LAB[parts[0]]; return "%s{%s=\"%s\"}" % (n, l, parts[1]), True
    if parts[0] in ("proxy", "registrar"): return "sipshard_%s_%s_total{}" % (parts[0], parts[1]), True
    if parts[0] == "replication":
        if parts[1] == "streams": return "sipshard_replication_stream_%s_total{}" % parts[2], False
        if parts[1] in ("applied", "stale"): return "sipshard_registrar_%s_total{}" % parts[1], True
        return "sipshard_replication_%s_total{}" % parts[1], False
    raise SystemExit("unmapped stats key " + path)
def leaves(d, pre=""):
    for k, v in d.items():
        if isinstance(v, dict): yield from leaves(v, pre + k + ".")
        else: yield pre + k, v
n = 0; bad = []
v2 = dict(leaves(t2))
for path, a in leaves(t1):
    name, upper = metric(path)
    if name is None: continue
    n += 1
    if name not in m: bad.append("missing " + name + " for " + path); continue
    if name.endswith("_total{}") or "_total{" in name:
        if not (a <= m[name] and (not upper or m[name] <= v2[path])):
            bad.append("%s: %s not in [%s, %s]" % (path, m[name], a, v2[path]))
tot = sum(v for k, v in m.items() if k.startswith("sipshard_drops_total{"))
if not (t1["drops_total"] <= tot <= t2["drops_total"]): bad.append("drops_total %s vs sum %s" % (t1["drops_total"], tot))
if bad or n < 150: raise SystemExit("%d keys; %s" % (n, "; ".join(bad[:8])))
print("checked", n, "keys")' "$WORK/tel1.json" "$WORK/tel2.json" "$WORK/m1.json"

v() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "absent"))' "$1" "$2"; }
check "node 1 sees node 2 up (sipshard_node_state{state=\"up\"} 1, down 0)" \
	test "$(v "$WORK/m1.json" 'sipshard_node_state{address="198.18.0.2",node="2",state="up"}')" = 1.0 -a \
	     "$(v "$WORK/m1.json" 'sipshard_node_state{address="198.18.0.2",node="2",state="down"}')" = 0.0
check "registrations synced on node 1" test "$(v "$WORK/m1.json" 'sipshard_registrations_sync_state{state="synced"}')" = 1.0
check "node 2's registrations capability synced, as node 1 sees it" \
	test "$(v "$WORK/m1.json" 'sipshard_node_capability_state{capability="registrations",node="2",state="synced"}')" = 1.0
check "REGISTER counted: sipshard_registrar_registers_total 1" \
	test "$(v "$WORK/m1.json" 'sipshard_registrar_registers_total{}')" = 1.0
check "REGISTER counted by method: sipshard_sip_requests_total{method=\"REGISTER\"} 1 ($(v "$WORK/m1.json" 'sipshard_sip_requests_total{method="REGISTER"}'))" \
	test "$(v "$WORK/m1.json" 'sipshard_sip_requests_total{method="REGISTER"}')" = 1.0
check "a binding inserted: sipshard_registrar_inserts_total 1" test "$(v "$WORK/m1.json" 'sipshard_registrar_inserts_total{}')" = 1.0
check "svc/7 active on node 1, owner 1" test "$(v "$WORK/m1.json" 'sipshard_tag_active{tag="svc/7"}')" = 1.0 -a \
	"$(v "$WORK/m1.json" 'sipshard_tag_owner_node{tag="svc/7"}')" = 1.0
get 2 /metrics | tail -n +2 | python3 "$ROOT/tests/integration/prom_check.py" --json > "$WORK/m2.json"
check "svc/7 backup on node 2 (sipshard_tag_active 0, owner 1), tags synced" \
	test "$(v "$WORK/m2.json" 'sipshard_tag_active{tag="svc/7"}')" = 0.0 -a \
	"$(v "$WORK/m2.json" 'sipshard_tag_owner_node{tag="svc/7"}')" = 1.0 -a \
	"$(v "$WORK/m2.json" 'sipshard_tags_sync_state{state="synced"}')" = 1.0
check "the binding replicated to node 2: sipshard_registrar_applied_total >= 1" python3 -c '
import json, sys; assert json.load(open(sys.argv[1]))["sipshard_registrar_applied_total{}"] >= 1' "$WORK/m2.json"

check "GET /other: 404" test "$(get 1 /other | head -n 1 | cut -d' ' -f1)" = 404
check "POST /metrics: 405" test "$(get 1 /metrics POST | head -n 1 | cut -d' ' -f1)" = 405

# Idle connections held open (a stuck scraper) never block the control plane.
ip netns exec "$LAB-n1" python3 -c '
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(8)]
socks[0].sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")   # half a request
time.sleep(30)' "$PORT" &
idle=$!
sleep 0.5
hb() { get 1 /metrics | sed -n 's/^sipshard_cluster_tx_heartbeat_total //p'; }
hb0=$(hb)
t0=$(date +%s%N)
check "with 8 idle connections: the admin socket answers" bash -c "timeout 5 '$BUILD/sipshardctl' -s '$WORK/n1.sock' status >/dev/null"
check "with 8 idle connections: another scrape answers 200" test "$(get 1 /metrics | head -n 1 | cut -d' ' -f1)" = 200
echo "scrape and admin with 8 idle connections: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
sleep 1
hb1=$(hb)
check "with 8 idle connections: the cp loop keeps sending heartbeats ($hb0 -> $hb1)" test "${hb1:-0}" -gt "${hb0:-0}"
kill "$idle" 2>/dev/null; wait "$idle" 2>/dev/null
# Figures (not asserted): the longest cp loop pass and cron delay, the longest render.
get 1 /metrics | grep -E '^sipshard_(cp_pass_max_seconds|cp_cron_late_max_seconds|metrics_render_max_seconds) ' | tr '\n' ' '; echo
for i in 1 2; do echo "node $i events: $(ctl "$i" --json events | python3 -c 'import json,sys; print([(e["node"], e["event"], e["age_ms"]) for e in json.load(sys.stdin)["events"]])')"; done
[ "$FAILS" = 0 ]
