#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The stateless proxy in the lab, on a node with two workers: three sipp UAS
# backends (198.18.0.11-13, weights 2:1:1, probed every 200 ms, threshold 3)
# behind 198.18.0.1; a sipp UAC places calls to sip:service@198.18.0.1: all
# complete and the split follows the weights; one backend is killed: the prober
# takes it down and the next calls all complete on the others. A phone that
# registered through sipshard receives a call to its AoR.
. "$(dirname "$0")/lib.bash"

N=${PROXY_CALLS:-400}
declare -A UAS_PID=() CAP_PID=()
cleanup_uas() {
	local h
	for h in "${!UAS_PID[@]}"; do kill -TERM "${UAS_PID[$h]}" 2>/dev/null; done
	for h in "${!CAP_PID[@]}"; do kill -TERM "${CAP_PID[$h]}" 2>/dev/null; done
}
eval "$(declare -f cleanup_cp | sed '1s/cleanup_cp/lib_cleanup_cp/')"
cleanup_cp() { cleanup_uas; lib_cleanup_cp; }

lab_up 1
for i in 1 2 3 4; do "$ROOT/scripts/lab.sh" host "h$i" "198.18.0.1$i"; done
node_config 1 "backends:
  - set: 1
    algorithm: weighted
    probe: {interval_ms: 200, threshold: 3}
    members:
      - {uri: \"sip:198.18.0.11:5060\", weight: 2}
      - {uri: \"sip:198.18.0.12:5060\", weight: 1}
      - {uri: \"sip:198.18.0.13:5060\", weight: 1}
admin:
  socket: $WORK/n1.sock" >/dev/null
sed -i -e 's/workers: 1/workers: 2/' -e 's/"-l", "0-1"/"--lcores", "0@0,1@1,2@1"/' "$WORK/n1.yaml"

uas() {   # I: sipp UAS on hI, answering OPTIONS (-aa)
	(cd "$WORK" && exec ip netns exec "$LAB-h$1" sipp -sn uas -i "198.18.0.1$1" -p 5060 -aa -nostdin \
		> "$WORK/uas$1.out" 2>&1) &
	UAS_PID[$1]=$!
}
# What each host receives on 5060, for counting the calls it got (sipp's own
# statistics file is written late).
for i in 1 2 3 4; do
	ip netns exec "$LAB-h$i" tcpdump -i "${LAB}h$i" -U -w "$WORK/h$i.pcap" udp dst port 5060 2>/dev/null &
	CAP_PID[$i]=$!
done
for i in 1 2 3; do uas "$i"; done
start_node 1 && start_cp 1 || { fail "node 1 starts (dp with 2 workers, 3 backends, cp)"; exit 1; }
pass "node 1 starts (dp with 2 workers, 3 backends, cp)"

state() { tel 1 /sipshard/backends | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(d["m%d" % i]["state"] for i in range(d["n_members"])))'; }
sleep 1.5
check "/sipshard/backends: 3 members up ($(state))" test "$(state)" = "up up up"

calls() {   # count callrate
	(cd "$WORK" && cl sipp -sn uac -s service 198.18.0.1:5060 -m "$1" -r "$2" -i 198.18.0.100 -p 5070 \
		-nostdin -timeout 60s -timeout_error -trace_stat -stf "$WORK/uac$1.csv" -trace_err -error_file "$WORK/uac$1.err" > "$WORK/uac$1.out" 2>&1)
}
# Calls host hI received: distinct Call-IDs of the INVITEs in its capture.
done_calls() {
	tcpdump -r "$WORK/h$1.pcap" -A 2>/dev/null | python3 -c '
import re, sys
t = sys.stdin.read()
print(len(set(re.findall(r"INVITE sip:\S+ SIP/2.0.*?Call-ID: (\S+)", t, re.S))))'
}
check "sipp UAC: $N calls to sip:service@198.18.0.1 all complete" calls "$N" 100
sleep 1
c1=$(done_calls 1); c2=$(done_calls 2); c3=$(done_calls 3)
check "every call reached a backend ($c1 + $c2 + $c3 = $N)" test $((c1 + c2 + c3)) -eq "$N"
# Weights 2:1:1: expected N/2, N/4, N/4; tolerance 15% of N each.
tol=$((N * 15 / 100))
within() { [ "$1" -ge $(($2 - tol)) ] && [ "$1" -le $(($2 + tol)) ]; }
check "split follows the weights 2:1:1 within +-$tol calls ($c1 $c2 $c3)" \
	bash -c "$(declare -f within); tol=$tol; within $c1 $((N / 2)) && within $c2 $((N / 4)) && within $c3 $((N / 4))"
check "forwarded messages counted ($(dpstat 1 sip_forwarded))" test "$(dpstat 1 sip_forwarded)" -gt "$N"
check "neighbours resolved: few ARP misses ($(dpstat 1 drops.neigh_miss)), ARP requests sent ($(dpstat 1 arp_requests))" \
	test "$(dpstat 1 drops.neigh_miss)" -le 10
check "proxy counters: requests to backends ($(dpstat 1 proxy.to_backend)), responses ($(dpstat 1 proxy.forwarded_responses))" \
	bash -c "[ $(dpstat 1 proxy.to_backend) -ge $((3 * N)) ] && [ $(dpstat 1 proxy.forwarded_responses) -ge $((2 * N)) ]"

kill -TERM "${UAS_PID[3]}"; wait "${UAS_PID[3]}" 2>/dev/null; unset "UAS_PID[3]"
sleep 1.5
check "backend 198.18.0.13 killed: down after the probe threshold ($(state))" test "$(state)" = "up up down"
ctlstate() { ctl 1 --json backends | python3 -c '
import json, sys
print(" ".join("%s=%s" % (b["uri"], b["state"]) for b in json.load(sys.stdin)["backends"]))'; }
want="sip:198.18.0.11:5060=up sip:198.18.0.12:5060=up sip:198.18.0.13:5060=down"
check "sipshardctl backends agrees ($(ctlstate))" test "$(ctlstate)" = "$want"
M=$((N / 2))
b1=$c1; b2=$c2
check "sipp UAC: $M more calls all complete on the two left" calls "$M" 100
sleep 1
c1=$(done_calls 1); c2=$(done_calls 2)
check "the $M calls went to .11 and .12 ($((c1 - b1)) + $((c2 - b2)))" test $((c1 - b1 + c2 - b2)) -eq "$M"

# A phone on h4 registers alice@example.com with its contact, then answers a call to it.
ip netns exec "$LAB-h4" python3 - > "$WORK/reg.out" 2>&1 <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.14", 5060)); s.settimeout(2)
s.sendto(b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.14:5060;branch=z9hG4bK-r1;rport\r\n"
         b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\nCall-ID: reg-alice\r\n"
         b"CSeq: 1 REGISTER\r\nContact: <sip:alice@198.18.0.14:5060>\r\nExpires: 600\r\nMax-Forwards: 70\r\n"
         b"Content-Length: 0\r\n\r\n", ("198.18.0.1", 5060))
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
check "alice@example.com registered from 198.18.0.14 ($(cat "$WORK/reg.out"))" grep -q "SIP/2.0 200" "$WORK/reg.out"
uas 4
sleep 0.5
aor_calls() {
	(cd "$WORK" && cl sipp -sf "$ROOT/tests/integration/sipp/uac_aor.xml" -s alice 198.18.0.1:5060 -m 5 -r 10 \
		-i 198.18.0.100 -p 5071 -nostdin -timeout 20s -timeout_error > "$WORK/uac_aor.out" 2>&1)
}
check "sipp UAC: 5 calls to sip:alice@example.com complete" aor_calls
sleep 1.5
check "the registered phone answered them ($(done_calls 4))" test "$(done_calls 4)" -eq 5
check "node alive" node_alive 1
cleanup_uas
echo "proxy: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
