#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The registrar in the lab, with sipp as 10,000 phones, on a node with two workers
# (so most REGISTERs cross to the owning shard): register all, re-register all,
# unregister half, and the counts are exact; a storm of malformed packets mixed
# into the traffic leaves every binding intact; bindings expire on time; the RFC
# 4475 REGISTER torture messages get the response their table names.
. "$(dirname "$0")/lib.bash"

N=${REG_USERS:-10000}
lab_up 1
node_config 1 "registrar:
  min_expires: 2
admin:
  socket: $WORK/n1.sock" >/dev/null
sed -i -e 's/workers: 1/workers: 2/' -e 's/"-l", "0-1"/"--lcores", "0@0,1@1,2@1"/' \
    -e 's/domains: \[example.com\]/domains: [example.com, example.net, example.org]/' "$WORK/n1.yaml"
start_node 1 && start_cp 1 || { fail "node 1 starts (dp with 2 workers + cp)"; exit 1; }
pass "node 1 starts (dp with 2 workers + cp)"

# users.csv: USER;EXPIRES for sipp's -inf.
users() {   # file first count expires [prefix]
	{ echo SEQUENTIAL; seq "$2" $(($2 + $3 - 1)) | sed "s/.*/${5:-user}&;$4/"; } > "$1"
}
sipp_run() {   # csv calls
	(cd "$WORK" && cl sipp 198.18.0.1:5060 -sf "$ROOT/tests/integration/sipp/register.xml" \
		-inf "$1" -m "$2" -r 2000 -rp 1000 -i 198.18.0.100 -p 5070 -nostdin \
		-timeout 60s -timeout_error -trace_stat -stf "$WORK/sipp.csv" > "$WORK/sipp.out" 2>&1)
}
count() { ctl 1 --json contacts count; }

# retrans: REGISTERs sipp sent again for want of an answer in time (a loaded
# machine), from the last line of its -trace_stat file; each one is a request the
# node receives and answers once more.
retrans() {
	python3 -c '
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
print(int(rows[-1][rows[0].index("Retransmissions(C)")]))' "$WORK/sipp.csv"
}

users "$WORK/all.csv" 0 "$N" 3600
check "sipp: $N REGISTERs of distinct users all answered 200" sipp_run "$WORK/all.csv" "$N"
rt=$(retrans)
check "contacts count: $N AoRs, $N contacts ($(count))" test "$(count)" = "{\"aors\":$N,\"contacts\":$N}"
shards=$(for s in 0 1; do tel 1 /sipshard/stats,$s | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip_replies"]["2xx"])'; done | tr '\n' ' ')
check "both shards answered a share (200 OK per worker: $shards; sipp retransmissions: $rt)" bash -c "set -- $shards; [ \$1 -gt 0 ] && [ \$2 -gt 0 ] && [ \$((\$1 + \$2)) = $((N + rt)) ]"
check "REGISTERs counted once: $(dpstat 1 sip_requests.REGISTER) (sipp retransmissions: $rt)" test "$(dpstat 1 sip_requests.REGISTER)" = "$((N + rt))"
check "crossing to the owning shard happened (steer_out $(dpstat 1 steer_out))" test "$(dpstat 1 steer_out)" -gt 0

check "sipp: the $N users re-register (new Call-IDs) all answered 200" sipp_run "$WORK/all.csv" "$N"
check "contacts count unchanged after re-registration ($(count))" test "$(count)" = "{\"aors\":$N,\"contacts\":$N}"

H=$((N / 2))
users "$WORK/half.csv" 0 "$H" 0
check "sipp: $H users unregister (Expires: 0) all answered 200" sipp_run "$WORK/half.csv" "$H"
R=$((N - H))
check "contacts count: $R left ($(count))" test "$(count)" = "{\"aors\":$R,\"contacts\":$R}"
check "an unregistered user has no contacts" \
	bash -c "! '$BUILD/sipshardctl' -s '$WORK/n1.sock' --json contacts show user0@example.com | grep -q 'sip:user0@'"

# Storm: malformed frames mixed into a re-registration of the remaining users.
mac=$(tel 1 /sipshard/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["port0"]["mac"])')
users "$WORK/rest.csv" "$H" "$R" 3600
cl python3 "$(dirname "$0")/flood.py" "${LAB}cl" "$mac" 198.18.0.1 198.18.0.100 20000 > /dev/null &
flood=$!
check "sipp: $R users re-register during a storm of malformed packets" sipp_run "$WORK/rest.csv" "$R"
wait "$flood"
check "every binding intact after the storm ($(count))" test "$(count)" = "{\"aors\":$R,\"contacts\":$R}"
last=$((N - 1))
check "user$last still bound to its contact" \
	bash -c "'$BUILD/sipshardctl' -s '$WORK/n1.sock' --json contacts show user$last@example.com | grep -q '\"uri\":\"sip:user$last@198.18.0.100:5070\"'"
check "contacts show: the documented fields, in order" python3 -c '
import re, sys
assert re.fullmatch(r"\{\"aor\":\"user%s@example.com\",\"contacts\":\[\{\"uri\":\"sip:user%s@198.18.0.100:5070\",\"expires_in\":[0-9]+,\"received\":\"198.18.0.100:5070\",\"q\":1.0,\"origin\":1,\"version\":[0-9]+,\"cseq\":[0-9]+,\"port_idx\":0\}\]\}" % (sys.argv[2], sys.argv[2]), sys.argv[1]), sys.argv[1]' \
	"$(ctl 1 --json contacts show user$last@example.com)" "$last"
check "storm counted as drops, node alive ($(dpstat 1 drops_total) drops)" test "$(dpstat 1 drops_total)" -gt 1000

# Expiry: 50 users with Expires: 2 are gone after their expiry, the rest stay.
users "$WORK/short.csv" 0 50 2 exp
check "sipp: 50 users register with Expires: 2" sipp_run "$WORK/short.csv" 50
check "contacts count includes them ($(count))" test "$(count)" = "{\"aors\":$((R + 50)),\"contacts\":$((R + 50))}"
sleep 3.2
check "3.2 s later they expired, the others remain ($(count))" test "$(count)" = "{\"aors\":$R,\"contacts\":$R}"

# RFC 4475 REGISTER messages (replies go to port 5060 of the source: no rport).
cl python3 - "$ROOT/tests/corpus/sip-torture/rfc4475" > "$WORK/torture.out" <<'PY'
import socket, sys
d = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 5060))
s.settimeout(2)
for f in ("escnull", "dblreq", "cparam01", "cparam02", "regescrt", "regaut01", "unksm2", "regbadct"):
    s.sendto(open("%s/%s.dat" % (d, f), "rb").read(), ("198.18.0.1", 5060))
    try:
        r = s.recv(65535).decode("utf-8", "replace")
        print(f, r.split("\r\n", 1)[0].split(" ")[1])
    except socket.timeout:
        print(f, "none")
PY
for e in escnull:200 dblreq:200 cparam01:200 cparam02:200 regescrt:200 regaut01:200 unksm2:400 regbadct:400; do
	got=$(awk -v f="${e%%:*}" '$1 == f {print $2}' "$WORK/torture.out")
	check "RFC 4475 ${e%%:*}.dat -> ${e#*:} (got $got)" test "$got" = "${e#*:}"
done
check "cparam01 bound without ;unknownparam (a contact parameter), cparam02 with it (a URI parameter)" \
	python3 -c '
import json, sys
uris = sorted(c["uri"] for c in json.loads(sys.argv[1])["contacts"])
assert uris == ["sip:+19725552222@gw1.example.net", "sip:+19725552222@gw1.example.net;unknownparam"], uris' \
	"$(ctl 1 --json contacts show watson@example.com)"
# 423: an expiry below min_expires (2), counted by the registrar and shown by
# sipshardctl stats (summed over the shards) and telemetry /sipshard/stats.
cl python3 - > "$WORK/423.out" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 5064))
s.settimeout(2)
s.sendto(b"REGISTER sip:example.com SIP/2.0\r\n"
         b"Via: SIP/2.0/UDP 198.18.0.100:5064;rport;branch=z9hG4bK423\r\n"
         b"Max-Forwards: 70\r\nFrom: <sip:brief@example.com>;tag=1\r\n"
         b"To: <sip:brief@example.com>\r\nCall-ID: brief-423\r\nCSeq: 1 REGISTER\r\n"
         b"Contact: <sip:brief@198.18.0.100:5064>\r\nExpires: 1\r\nContent-Length: 0\r\n\r\n",
         ("198.18.0.1", 5060))
try:
    print(s.recv(65535).decode("utf-8", "replace").split("\r\n", 1)[0].split(" ")[1])
except socket.timeout:
    print("none")
PY
check "REGISTER with Expires: 1 < min_expires -> 423 (got $(cat "$WORK/423.out"))" test "$(cat "$WORK/423.out")" = 423
reg423=$(ctl 1 --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["registrar"]["reply_423"])')
check "sipshardctl stats: registrar.reply_423 = 1 (got $reg423)" test "$reg423" = 1
tel423=$(dpstat 1 registrar.reply_423)
check "telemetry /sipshard/stats: registrar.reply_423 = 1 (got $tel423)" test "$tel423" = 1
check "SIGTERM: clean exit 0" stop_node 1
exit 0
