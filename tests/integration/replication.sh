#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Registration replication (issue 11) in the lab: three static nodes, node 2
# with two workers (three lcores on the two CPUs), the others with one. Registrations
# made at two different nodes appear on all three and `contacts show` agrees
# everywhere (URI, received, q, origin; expires_in within 1 s); an unregister sent to
# a third node removes the binding everywhere; a max_contacts eviction (evict-oldest)
# is the same on every node; bindings with a short Expires, once everywhere, expire on
# every node by themselves (node 3, where they registered, is cut off first, so no
# delete can come from it). Full sync: node 3, killed while users come and go,
# restarts empty and gets the others' exact set, deletions included; restarted again
# with node 1 killed meanwhile, node 2 alone completes its sync. Every wait is a
# bounded poll; a failing check prints what each node holds.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster_lib.bash"

SETTLE_S=10   # bound for the cluster to agree after a batch of REGISTERs


lab_up 3
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2 3; do
	peers=""
	for j in 1 2 3; do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.0.$j}, "; done
	cluster_config "$i" "$WORK/cluster.key" "  nodes: [${peers%, }]
registrar:
  min_expires: 1
  max_contacts: 2
  max_contacts_policy: evict-oldest"
done
# Node 2: two workers, three lcores (control + 2 workers) on the two CPUs.
sed -i -e 's/workers: 1/workers: 2/' -e 's/"-l", "0-1"/"--lcores", "0@0,1@1,2@1"/' "$WORK/n2.yaml"
for i in 1 2 3; do
	start_node "$i" && start_cp "$i" || { fail "node $i starts (dp + cp)"; exit 1; }
done
pass "3 nodes started (dataplane + control plane each)"
w2=$(tel 2 /sipshard/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["workers"])')
check "node 2 runs 2 workers (status says $w2)" test "$w2" = 2

ok=1
for i in 1 2 3; do wait_state 10 up "$i" 1 2 3 || ok=0; done
check "every node lists the 3 nodes up" test "$ok" = 1

# reg1 NODE USER PORT EXPIRES CALLID CSEQ: one REGISTER of USER@example.com with the
# contact sip:USER@198.18.0.100:PORT sent from that port; prints the final status
# code ("none" without one after 3 tries).
reg1() {
	cl python3 - "$@" <<'PY'
import socket, sys
node, user, port, exp, callid, cseq = sys.argv[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", int(port)))
s.settimeout(1)
msg = ("REGISTER sip:example.com SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 198.18.0.100:%s;rport;branch=z9hG4bK-%s-%s\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:%s@example.com>;tag=rt%s\r\n"
       "To: <sip:%s@example.com>\r\nCall-ID: %s\r\nCSeq: %s REGISTER\r\n"
       "Contact: <sip:%s@198.18.0.100:%s>\r\nExpires: %s\r\nContent-Length: 0\r\n\r\n"
       % (port, callid, cseq, user, port, user, callid, cseq, user, port, exp)).encode()
code = "none"
for attempt in range(3):
    s.sendto(msg, ("198.18.0.%s" % node, 5060))
    try:
        while True:
            r = s.recv(65535).decode("utf-8", "replace").split("\r\n", 1)[0].split(" ")
            if len(r) > 1 and r[1] >= "200":
                code = r[1]
                break
        break
    except socket.timeout:
        pass
print(code)
PY
}

# shows AOR: the JSON of `contacts show AOR` on nodes 1, 2, 3, one argument each.
shows() { local i; for i in 1 2 3; do ctl "$i" --json contacts show "$1" 2>/dev/null || echo '{}'; done; }

# show_agree AOR ORIGIN: `contacts show` of AOR agrees on the 3 nodes (one contact,
# same uri, received, q, expires_in within 1 s, origin ORIGIN). Prints what it saw.
show_agree() {
	python3 - "$1" "$2" "$(shows "$1")" <<'PY'
import json, sys
aor, origin, raw = sys.argv[1], int(sys.argv[2]), sys.argv[3].split("\n")
views, bad = [], []
for i, r in enumerate(raw, 1):
    try:
        c = json.loads(r).get("contacts", [])
    except ValueError:
        c = []
    views.append(c)
    if len(c) != 1:
        bad.append("n%d has %d contacts" % (i, len(c)))
if not bad:
    ref = views[0][0]
    for i, c in enumerate(views, 1):
        c = c[0]
        for k in ("uri", "received", "q"):
            if c.get(k) != ref.get(k):
                bad.append("n%d %s %s != n1 %s" % (i, k, c.get(k), ref.get(k)))
        if c.get("origin") != origin:
            bad.append("n%d origin %s" % (i, c.get("origin")))
    ex = [c[0].get("expires_in", -99) for c in views]
    if max(ex) - min(ex) > 1:
        bad.append("expires_in %s" % ex)
print("; ".join(bad) if bad else "expires_in %s" % [c[0]["expires_in"] for c in views])
sys.exit(1 if bad else 0)
PY
}

# ---- 1. registrations at two nodes appear on all three ----
users "$WORK/n1users.csv" 0 200 3600
users "$WORK/n2users.csv" 1000 200 3600
check "sipp: 200 users (user0..user199) register at node 1, all answered 200" \
	sipp_run 1 "$WORK/n1users.csv" 200 5070
c1=$(count 1)
check "node 1 holds its own 200 bindings right after ($c1)" test "$c1" = '{"aors":200,"contacts":200}'
check "sipp: 200 other users (user1000..user1199) register at node 2, all answered 200" \
	sipp_run 2 "$WORK/n2users.csv" 200 5072
own2=$(python3 -c '
import json, sys
print(sum(json.loads(sys.argv[i]).get("contacts", [{}])[0].get("origin") == 2 for i in (1, 2, 3)))' \
	"$(ctl 2 --json contacts show user1000@example.com)" "$(ctl 2 --json contacts show user1123@example.com)" \
	"$(ctl 2 --json contacts show user1199@example.com)" 2>/dev/null)
check "node 2 holds its own users (3 sampled with origin 2 on node 2: ${own2:-0}; REGISTERs received: $(dpstat 2 sip_requests.REGISTER))" \
	test "${own2:-0}" = 3
wait_counts "$SETTLE_S" '{"aors":400,"contacts":400}'; rc=$?
check "contacts count 400 AoRs / 400 contacts on all 3 nodes within ${SETTLE_S} s (after $WAITED ms: $SEEN)" test "$rc" = 0

# The replication counters in telemetry (/sipshard/stats, published by the control
# plane) as in sipshardctl stats: node 1 sent its 200 to each peer, node 2 received
# and applied node 1's.
for i in 1 2; do
	tj=$(tel "$i" /sipshard/stats); sj=$(ctl "$i" --json stats)
	msg=$(python3 - "$i" "$tj" "$sj" <<'PY'
import json, sys
node, t, s = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
r, c = t.get("replication"), s.get("replication", {})
if r is None:
    print("no replication object in /sipshard/stats"); sys.exit(1)
need = ["records_queued", "rx_records", "applied", "stale", "sync_chunks", "sync_bytes",
        "tombstones", "streams.tx_records", "streams.rx_records", "streams.tx_retransmits"]
def get(d, k):
    for p in k.split("."):
        d = d[p]
    return d
bad = []
for k in need:
    try:
        get(r, k)
    except (KeyError, TypeError):
        bad.append("missing " + k)
for k in set(c) | set(r):   # the same counters (values move on: not compared)
    if (k in c) != (k in r):
        bad.append("%s only in %s" % (k, "stats" if k in c else "telemetry"))
if not bad:
    if node == 1 and not (r["streams"]["tx_records"] >= 400 and r["records_queued"] >= 400):
        bad.append("node 1 sent %d records" % r["streams"]["tx_records"])
    if node == 2 and not (r["streams"]["rx_records"] >= 200 and r["applied"] >= 200):
        bad.append("node 2 received %d, applied %d" % (r["streams"]["rx_records"], r["applied"]))
print("; ".join(bad) if bad else "tx_records %d, rx_records %d, applied %d, stale %d" % (
    r["streams"]["tx_records"], r["streams"]["rx_records"], r["applied"], r["stale"]))
sys.exit(1 if bad else 0)
PY
); rc=$?
	check "node $i: /sipshard/stats has the replication counters of sipshardctl stats, non-zero ($msg)" test "$rc" = 0
done

for a in user0:1 user77:1 user199:1 user1000:2 user1123:2 user1199:2; do
	msg=$(show_agree "${a%:*}@example.com" "${a#*:}"); rc=$?
	check "contacts show ${a%:*}@example.com agrees on all nodes, origin ${a#*:} ($msg)" test "$rc" = 0
done

# ---- 2. unregister at a third node ----
# user0..user49 registered at node 1 from port 5070; the same contacts with Expires: 0
# (fresh Call-IDs, which RFC 3261 applies whatever the CSeq) sent to node 3.
users "$WORK/unreg.csv" 0 50 0
check "sipp: 50 of node 1's users unregister (Expires: 0) at node 3, all answered 200" \
	sipp_run 3 "$WORK/unreg.csv" 50 5070
wait_counts "$SETTLE_S" '{"aors":350,"contacts":350}'; rc=$?
check "contacts count 350 / 350 on all 3 nodes within ${SETTLE_S} s (after $WAITED ms: $SEEN)" test "$rc" = 0
gone=$(for i in 1 2 3; do ports_of "$i" user0@example.com; done | tr '\n' ' ')
check "user0@example.com (unregistered at node 3) has no contact on any node (ports n1 n2 n3: $gone)" \
	test "$gone" = "- - - "

# ---- 3. max_contacts 2, evict-oldest ----
# evict1: three contacts all at node 1. evict2: at node 1, then node 2, then node 1.
# Each contact is waited for on every node before the next (so "oldest" is clear).
r=$(reg1 1 evict1 5081 3600 ev1a 1; reg1 1 evict2 5081 3600 ev2a 1)
check "REGISTER evict1 and evict2 contact :5081 at node 1 -> 200 ($(echo $r))" test "$(echo $r)" = "200 200"
wait_ports 3 evict1=5081 evict2=5081; rc=$?
check "the first contacts on every node (after $WAITED ms: $SEEN)" test "$rc" = 0
r=$(reg1 1 evict1 5082 3600 ev1b 1; reg1 2 evict2 5082 3600 ev2b 1)
check "REGISTER contact :5082 of evict1 at node 1 and of evict2 at node 2 -> 200 ($(echo $r))" test "$(echo $r)" = "200 200"
wait_ports 3 evict1=5081,5082 evict2=5081,5082; rc=$?
check "2 contacts each on every node (after $WAITED ms: $SEEN)" test "$rc" = 0
ev0=$(regstat 1 evicted)
r=$(reg1 1 evict1 5083 3600 ev1c 1; reg1 1 evict2 5083 3600 ev2c 1)
check "REGISTER a third contact :5083 of evict1 and evict2 at node 1 -> 200 ($(echo $r))" test "$(echo $r)" = "200 200"
p=$(ports_of 1 evict1@example.com)
check "node 1 itself evicted evict1's oldest (:5081) (holds $p; registrar.evicted +$(( $(regstat 1 evicted) - ev0 )))" test "$p" = 5082,5083
wait_ports 5 evict1=5082,5083 evict2=5082,5083; rc=$?
check "every node holds exactly :5082 and :5083 for evict1 and evict2, the oldest gone (after $WAITED ms: $SEEN)" test "$rc" = 0

# ---- 4. short Expires: each node expires them itself ----
# Counted as AoRs above each node's own count before (nothing else changes meanwhile).
base=() exp0=()
for i in 1 2 3; do base[$i]=$(aors "$i"); exp0[$i]=$(regstat "$i" expired); done
users "$WORK/short.csv" 0 20 3 exp
t0=$(now_ms)
check "sipp: 20 users (exp0..exp19) register with Expires: 3 at node 3, all answered 200" \
	sipp_run 3 "$WORK/short.csv" 20 5074
# Seen everywhere: polled until 2 s after the first REGISTER (before they expire).
while :; do
	seen=""; ok=1
	for i in 1 2 3; do n=$(( $(aors "$i") - ${base[$i]} )); seen="${seen}n$i=+$n "; [ "$n" = 20 ] || ok=0; done
	[ "$ok" = 1 ] && break
	[ $(( $(now_ms) - t0 )) -ge 2000 ] && break
	sleep 0.05
done
check "the 20 short registrations are on every node $(( $(now_ms) - t0 )) ms after the REGISTERs (AoRs above the count before: $seen)" test "$ok" = 1
# Cut node 3 off the segment: no delete can come from it now; nodes 1 and 2 must
# expire the bindings themselves (expiry is not replicated).
ip -n "$LAB-br" link set "${LAB}n3b" down
gone_ms=(0 -1 -1 -1)
while :; do
	ok=1
	for i in 1 2 3; do
		[ "${gone_ms[$i]}" -ge 0 ] && continue
		if [ "$(aors "$i")" = "${base[$i]}" ]; then gone_ms[$i]=$(( $(now_ms) - t0 )); else ok=0; fi
	done
	[ "$ok" = 1 ] && break
	[ $(( $(now_ms) - t0 )) -ge 6000 ] && break
	sleep 0.05
done
for i in 1 2 3; do
	d=$(( $(regstat "$i" expired) - ${exp0[$i]} ))
	check "node $i: the 20 expire by themselves 2-5 s after the REGISTERs (gone after ${gone_ms[$i]} ms; registrar.expired +$d)" \
		test "${gone_ms[$i]}" -ge 2000 -a "${gone_ms[$i]}" -le 5000 -a "$d" = 20
done
ip -n "$LAB-br" link set "${LAB}n3b" up

# invite_status NODE USER: the status code node NODE answers to an INVITE for USER
# (the proxy: a binding, or 404, or 480 while its registrations are not synced).
invite_status() {
	cl python3 -c '
import socket, sys
node, user = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.bind(("198.18.0.100", 5091))
msg = ("INVITE sip:%s@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100:5091;branch=z9hG4bKinv%s\r\n"
       "From: <sip:caller@example.com>;tag=9\r\nTo: <sip:%s@example.com>\r\nCall-ID: inv-%s-%s\r\n"
       "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:caller@198.18.0.100:5091>\r\n"
       "Content-Length: 0\r\n\r\n") % (user, node, user, user, node)
for _ in range(3):
    s.sendto(msg.encode(), ("198.18.0." + node, 5060))
    try:
        print(s.recv(4096).split(b" ")[1].decode()); break
    except socket.timeout:
        pass
else:
    print("none")' "$1" "$2"
}

caps=$(for i in 1 2 3; do ctl "$i" --json nodes; done | python3 -c '
import json, sys
print(" ".join(n["caps"]["registrations"] for line in sys.stdin for n in json.loads(line)["nodes"]))')
check "every node reports every node's registrations synced ($caps)" \
	test "$caps" = "synced synced synced synced synced synced synced synced synced"

# ---- 5. full sync of a restarted node ----
# Node 3 dies; meanwhile node 1 unregisters 20 users and registers 30 new ones; node 3
# restarts empty and gets everything from the others, deletions included.
kill9_node 3
users "$WORK/unreg2.csv" 50 20 0
users "$WORK/new2.csv" 2000 30 3600
check "while node 3 is down: 20 users unregister at node 1" sipp_run 1 "$WORK/unreg2.csv" 20 5070
check "while node 3 is down: 30 new users register at node 1" sipp_run 1 "$WORK/new2.csv" 30 5070
want=$(count 1)
start_node 3 || fail "node 3 restarts"
st=$(invite_status 3 user2010)
check "node 3 up without its control plane (not synced): an INVITE for a user it does not know yet gets 480, not 404 (got $st)" \
	test "$st" = 480
start_cp 3 || fail "node 3's control plane restarts"
wait_counts "$SETTLE_S" "$want"; rc=$?
check "restarted node 3 holds the same set as the others within ${SETTLE_S} s (want $want; after $WAITED ms: $SEEN)" test "$rc" = 0
msg=$(show_agree user2010@example.com 1); rc=$?
check "a user registered while node 3 was down agrees on all nodes ($msg)" test "$rc" = 0
gone=$(for i in 1 2 3; do ports_of "$i" user60@example.com; done | tr '\n' ' ')
check "a user unregistered while node 3 was down has no contact on any node ($gone)" test "$gone" = "- - - "
sy=$(ctl 3 --json sync)
check "sipshardctl sync on node 3: synced from a donor, with the records ($sy)" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["state"] == "synced" and d["donor"] in (1, 2) and d["records"] >= 360 and d["bytes"] > 0, d' "$sy"
st=$(invite_status 3 nobody)
check "synced node 3 answers 404 for a user registered nowhere (got $st)" test "$st" = 404
sd=$(ctl 1 --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["replication"]["syncs_done"])')
check "node 3's sync came from its peers (node 1 finished $sd full syncs)" test "${sd:-0}" -ge 1

# sync start: node 3 asks its peers again and is synced again.
ctl 3 --json sync start > "$WORK/syncstart.out" 2>&1
ok=0
for t in $(seq 1 50); do
	ctl 3 --json sync | grep -q '"state":"synced"' && { ok=1; break; }
	sleep 0.1
done
check "sipshardctl sync start on node 3 ($(cat "$WORK/syncstart.out")): synced again ($(ctl 3 --json sync))" test "$ok" = 1

# ---- 6. a donor dies in the middle of the sync ----
# Node 3 restarts again and node 1 is killed as soon as node 3's control plane is up
# (with this little data node 1 may have finished its part already): node 2's sync
# alone is enough, with no command. Every up node gives a restarted node a full
# sync, so losing one donor never stops it.
kill9_node 3
want=$(count 2)
start_node 3 && start_cp 3 || fail "node 3 restarts again"
kill9_node 1
t0=$(now_ms)
while :; do
	c3=$(count 3)
	[ "$c3" = "$want" ] && break
	[ $(( $(now_ms) - t0 )) -ge $((SETTLE_S * 1000)) ] && break
	sleep 0.1
done
check "node 1 killed as node 3 comes up: node 3 still gets node 2's whole set (want $want, node 3 has $c3)" \
	test "$c3" = "$want"
exit 0
