#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Flood protection (limits:, docs/security.md) in the lab: a well-behaved client
# sends 100 OPTIONS at 20/s, once alone and once while another source floods
# at 10x the per-source limit (500/s against 50/s); it keeps at least 90 % of
# its successes, the flooder gets few answers, its packets are dropped and
# counted (rate_limited), and `sipshardctl limits` lists it, not the client.
# registrar.max_bindings_per_source: a 4th binding from one address gets 403.
. "$(dirname "$0")/lib.bash"

lab_up 1
node_config 1 "limits: {per_source_pps: 50, burst: 50, block_s: 4}
registrar: {max_bindings_per_source: 3}
admin:
  socket: $WORK/n1.sock" >/dev/null
start_node 1 && start_cp 1 || { fail "node 1 starts with limits"; exit 1; }
pass "node 1 starts with limits"
cl ip addr add 198.18.0.9/24 dev "${LAB}cl"

client() {   # successes out of 100 OPTIONS from 198.18.0.100, 20/s
	cl python3 - <<'PY'
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 0))
s.settimeout(1.0)
ok = 0
for i in range(100):
    b = os.urandom(4).hex()
    s.sendto(("OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100:%d;rport;branch=z9hG4bK%s\r\n"
              "Max-Forwards: 70\r\nFrom: <sip:c@example.com>;tag=c\r\nTo: <sip:198.18.0.1>\r\n"
              "Call-ID: c%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
              % (s.getsockname()[1], b, i)).encode(), ("198.18.0.1", 5060))
    t = time.time()
    try:
        while True:
            r = s.recv(65535).decode("utf-8", "replace")
            if b in r and r.startswith("SIP/2.0 200"):
                ok += 1
                break
    except socket.timeout:
        pass
    time.sleep(max(0.0, 0.05 - (time.time() - t)))
print(ok)
PY
}

base=$(client)
check "alone, the client gets $base/100 answers" test "$base" -ge 90

cl python3 - "$WORK/flood.out" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.9", 5099))
s.setblocking(False)
msg = ("OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.9:5099;branch=z9hG4bKflood\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:f@example.com>;tag=f\r\nTo: <sip:198.18.0.1>\r\n"
       "Call-ID: flood\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
sent = got = 0
t0 = time.time()
while time.time() - t0 < 7:          # 500 per second
    s.sendto(msg, ("198.18.0.1", 5060))
    sent += 1
    try:
        while True:
            s.recv(65535)
            got += 1
    except BlockingIOError:
        pass
    time.sleep(max(0.0, t0 + sent / 500.0 - time.time()))
open(sys.argv[1], "w").write("%d %d\n" % (sent, got))
PY
flood=$!
sleep 0.5
under=$(client)
lim=$(ctl 1 --json limits)
wait "$flood"
read -r fsent fgot < "$WORK/flood.out"
check "under a 10x flood the client keeps >= 90 % of its successes ($under vs $base)" \
	test $((under * 10)) -ge $((base * 9))
check "the flooder sent ~10x the limit ($fsent in 7 s) and got few answers ($fgot)" \
	bash -c "[ $fsent -ge 2000 ] && [ $((fgot * 5)) -lt $fsent ]"
dropped=$(dpstat 1 drops.rate_limited)
check "its packets dropped and counted: rate_limited = $dropped" test "$dropped" -ge $((fsent - fgot - 50))
check "sipshardctl limits lists the flooder, not the client ($lim)" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
src = {b["source"]: b for b in d["blocked"]}
assert "198.18.0.9" in src and src["198.18.0.9"]["dropped"] > 0 and 0 < src["198.18.0.9"]["until_s"] <= 4, d
assert "198.18.0.100" not in src, d' "$lim"
DG() { cl python3 "$ROOT/tests/integration/digest.py" 198.18.0.77 198.18.0.1 "$@"; }
cl ip addr add 198.18.0.77/24 dev "${LAB}cl"
r=$(for u in b1 b2 b3 b4; do DG plain "$u" | cut -d' ' -f1; done | tr '\n' ' ')
check "max_bindings_per_source 3: four AoRs from one address -> 200 200 200 403 ($r)" test "$r" = "200 200 200 403 "
sf=$(dpstat 1 registrar.source_full)
check "counter registrar.source_full = 1 (got $sf)" test "$sf" = 1
check "node alive, SIGTERM: clean exit 0" stop_node 1
exit 0
