#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# make demo: a two-node sipshard cluster in a lab on this machine, no NIC needed.
# Builds the lab (network namespaces + veth, 198.18.0.0/15 only), starts on each
# node's veth a dataplane (sipshard-dp) and its control plane (sipshard-cp), prints
# `sipshardctl nodes` from each, shows node 1 answering ARP/ping/IPv6 ND and taking
# SIP (a 3.5 KB INVITE arrives as IP fragments), replicates registrations, moves a
# sharing tag with sipshardctl, kills node 2 and shows node 1 noticing, restarts it
# and shows its full sync, then tears everything down.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
LAB=${LAB:-ssdemo}
export LAB
WORK=$(mktemp -d /tmp/sipshard-demo.XXXXXX)
declare -A PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() {
	local p
	set +e
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	"$ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }

say "lab: bridge, node namespaces $LAB-n1 and $LAB-n2, client $LAB-cl (198.18.0.100), backends $LAB-h1/h2 (198.18.0.11-12)"
"$ROOT/scripts/lab.sh" up 2
"$ROOT/scripts/lab.sh" host h1 198.18.0.11
"$ROOT/scripts/lab.sh" host h2 198.18.0.12
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"

for i in 1 2; do
	j=$((3 - i))
	cat > "$WORK/node$i.yaml" <<YAML
node:
  id: $i
dataplane:
  file_prefix: ${LAB}$i
  eal: ["-l", "0-1", "--no-pci"]
  workers: 1
  idle: adaptive
  mbuf_size: 8320
  ports:
    - device: "net_af_packet$i,iface=${LAB}n$i"
      ipv4: 198.18.0.$i/24
      ipv6: 2001:2::$i/64
sip:
  port: 5060
  domains: [example.com]
backends:
  - set: 1
    algorithm: callid-hash
    probe: {interval_ms: 500, threshold: 3}
    members:
      - {uri: "sip:198.18.0.11:5060", weight: 1}
      - {uri: "sip:198.18.0.12:5060", weight: 1}
cluster:
  id: 1
  key_file: $WORK/cluster.key
  nodes: [{id: $j, address: 198.18.0.$j}]
tags: ["service/1=$([ "$i" = 1 ] && echo active || echo backup)"]
admin:
  socket: $WORK/node$i.sock
YAML
done
say "config of node 1 ($WORK/node1.yaml), validated without starting:"
cat "$WORK/node1.yaml"
"$BUILD/sipshard-dp" -c "$WORK/node1.yaml" --check-config

wait_log() {   # file pattern pid
	for _ in $(seq 1 150); do
		grep -q "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || { cat "$1"; exit 1; }
		sleep 0.2
	done
	cat "$1"; exit 1
}
for i in 1 2; do
	say "node $i: sipshard-dp on veth ${LAB}n$i (net_af_packet), then sipshard-cp attached to it"
	ip netns exec "$LAB-n$i" "$BUILD/sipshard-dp" -c "$WORK/node$i.yaml" > "$WORK/dp$i.log" 2>&1 &
	PIDS[dp$i]=$!
	wait_log "$WORK/dp$i.log" 'sipshard-dp: ready' "${PIDS[dp$i]}"
	ip netns exec "$LAB-n$i" "$BUILD/sipshard-cp" -c "$WORK/node$i.yaml" > "$WORK/cp$i.log" 2>&1 &
	PIDS[cp$i]=$!
	wait_log "$WORK/cp$i.log" 'sipshard-cp: ready' "${PIDS[cp$i]}"
	grep -hE '^[a-z]+ sipshard' "$WORK/dp$i.log" "$WORK/cp$i.log" | sort -u
done
sleep 1

for i in 1 2; do
	say "sipshardctl -s node$i.sock nodes"
	"$BUILD/sipshardctl" -s "$WORK/node$i.sock" nodes
done
say "sipshardctl -s node1.sock --json nodes"
"$BUILD/sipshardctl" -s "$WORK/node1.sock" --json nodes

say "client -> node 1: ping (ARP + ICMP echo) and ping -6 (ND + ICMPv6 echo)"
ip netns exec "$LAB-cl" ping -c 3 -i 0.2 198.18.0.1
ip netns exec "$LAB-cl" ping -6 -c 3 -i 0.2 2001:2::1

say "client -> node 1: a SIP OPTIONS, and the 3.5 KB INVITE of RFC 4475 (IP fragments on the wire)"
ip netns exec "$LAB-cl" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100;branch=z9hG4bKdemo\r\n"
         b"From: <sip:demo@example.com>;tag=1\r\nTo: <sip:198.18.0.1>\r\nCall-ID: demo1\r\n"
         b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", ("198.18.0.1", 5060))
s.sendto(open(sys.argv[1], "rb").read(), ("198.18.0.1", 5060))' "$ROOT/tests/corpus/sip-torture/rfc4475/longreq.dat"
sleep 0.5

say "telemetry /sipshard/stats of node 1: non-zero counters, drops by reason, SIP by method"
echo /sipshard/stats | dpdk-telemetry.py -f "${LAB}1" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["/sipshard/stats"]
for k, v in d.items():
    if isinstance(v, dict):
        nz = {a: b for a, b in v.items() if b}
        if nz:
            print("  %-20s %s" % (k, nz))
    elif v and k != "idle_sleeps":
        print("  %-20s %d" % (k, v))'

say "sipp registers 1000 phones (user0..user999@example.com) at node 1"
{ echo SEQUENTIAL; seq 0 999 | sed 's/.*/user&;3600/'; } > "$WORK/users.csv"
(cd "$WORK" && ip netns exec "$LAB-cl" sipp 198.18.0.1:5060 -sf "$ROOT/tests/integration/sipp/register.xml" \
	-inf "$WORK/users.csv" -m 1000 -r 1000 -i 198.18.0.100 -p 5070 -nostdin -timeout 30s \
	-timeout_error -trace_screen -screen_file "$WORK/sipp.screen" >/dev/null 2>&1) &&
	echo "sipp: 1000 REGISTERs, 1000 x 200 OK" || echo "sipp reported failures (see $WORK/sipp.screen)"
say "sipshardctl contacts count / contacts show user7@example.com (node 1)"
"$BUILD/sipshardctl" -s "$WORK/node1.sock" --json contacts count
"$BUILD/sipshardctl" -s "$WORK/node1.sock" contacts show user7@example.com
echo "/sipshard/contact,user7@example.com" | dpdk-telemetry.py -f "${LAB}1"

say "replication: the same registrations on node 2 (they were sent to node 1 only)"
for t in $(seq 1 50); do
	"$BUILD/sipshardctl" -s "$WORK/node2.sock" --json contacts count | grep -q '"aors":1000,' && break
	sleep 0.1
done
"$BUILD/sipshardctl" -s "$WORK/node2.sock" --json contacts count
"$BUILD/sipshardctl" -s "$WORK/node2.sock" contacts show user7@example.com
"$BUILD/sipshardctl" -s "$WORK/node1.sock" --json stats | python3 -c '
import json, sys
r = json.load(sys.stdin)["replication"]
s = r["streams"]
print("  node 1 replication: %d change events, %d records sent in %d datagrams, %d acked, %d retransmitted"
      % (r["events"], s["tx_records"], s["tx_datagrams"], s["tx_acked"], s["tx_retransmits"]))'

say "two media servers (sipp UAS on 198.18.0.11 and .12); sipp places 200 calls to sip:conference@198.18.0.1"
for h in 1 2; do
	(cd "$WORK" && exec ip netns exec "$LAB-h$h" sipp -sn uas -i "198.18.0.1$h" -p 5060 -aa -nostdin \
		> "$WORK/uas$h.out" 2>&1) &
	PIDS[uas$h]=$!
done
sleep 2
"$BUILD/sipshardctl" -s "$WORK/node1.sock" backends
(cd "$WORK" && ip netns exec "$LAB-cl" sipp -sn uac -s conference 198.18.0.1:5060 -m 200 -r 50 \
	-i 198.18.0.100 -p 5070 -nostdin -timeout 30s -timeout_error -trace_screen \
	-screen_file "$WORK/uac.screen" >/dev/null 2>&1) &&
	echo "sipp: 200 calls (INVITE, 200 OK, ACK, BYE through sipshard), all completed" ||
	echo "sipp reported failed calls (see $WORK/uac.screen)"
echo /sipshard/stats | dpdk-telemetry.py -f "${LAB}1" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["/sipshard/stats"]
print("  sip_requests", {k: v for k, v in d["sip_requests"].items() if v})
print("  proxy       ", {k: v for k, v in d.get("proxy", {}).items() if v})'

say "sharing tag service/1: node 1 is configured active; move it to node 2 with one command"
for t in $(seq 1 50); do
	"$BUILD/sipshardctl" -s "$WORK/node2.sock" --json tags | grep -q '"sync":"synced"' && break
	sleep 0.1
done
echo "before, on node 2:"
"$BUILD/sipshardctl" -s "$WORK/node2.sock" tags
echo "\$ sipshardctl -s node2.sock tag set-active service/1"
"$BUILD/sipshardctl" -s "$WORK/node2.sock" tag set-active service/1
echo "after, on node 1:"
"$BUILD/sipshardctl" -s "$WORK/node1.sock" tags
"$BUILD/sipshardctl" -s "$WORK/node1.sock" tags history

say "node 2 dies (kill -9 of its dataplane and control plane): node 1 notices"
t0=$(date +%s%N)
kill -KILL "${PIDS[cp2]}" "${PIDS[dp2]}"
wait "${PIDS[cp2]}" "${PIDS[dp2]}" 2>/dev/null || true
unset "PIDS[cp2]" "PIDS[dp2]"
rm -rf "/var/run/dpdk/${LAB}2"
until "$BUILD/sipshardctl" -s "$WORK/node1.sock" --json nodes | grep -q '"id":2,[^}]*"state":"down"'; do
	sleep 0.02
done
echo "node 1 marked node 2 down $(( ($(date +%s%N) - t0) / 1000000 )) ms after the kill"
"$BUILD/sipshardctl" -s "$WORK/node1.sock" events

say "while node 2 is down: 100 users unregister and 50 new ones register at node 1"
{ echo SEQUENTIAL; seq 0 99 | sed 's/.*/user&;0/'; } > "$WORK/unreg.csv"
{ echo SEQUENTIAL; seq 5000 5049 | sed 's/.*/user&;3600/'; } > "$WORK/new.csv"
for f in unreg new; do
	(cd "$WORK" && ip netns exec "$LAB-cl" sipp 198.18.0.1:5060 -sf "$ROOT/tests/integration/sipp/register.xml" \
		-inf "$WORK/$f.csv" -m "$(($(wc -l < "$WORK/$f.csv") - 1))" -r 1000 -i 198.18.0.100 -p 5070 \
		-nostdin -timeout 30s -timeout_error >/dev/null 2>&1) || echo "sipp reported failures ($f)"
done
"$BUILD/sipshardctl" -s "$WORK/node1.sock" --json contacts count

say "node 2 restarts empty and is given a full sync by node 1"
ip netns exec "$LAB-n2" "$BUILD/sipshard-dp" -c "$WORK/node2.yaml" > "$WORK/dp2.log" 2>&1 &
PIDS[dp2]=$!
wait_log "$WORK/dp2.log" 'sipshard-dp: ready' "${PIDS[dp2]}"
ip netns exec "$LAB-n2" "$BUILD/sipshard-cp" -c "$WORK/node2.yaml" > "$WORK/cp2.log" 2>&1 &
PIDS[cp2]=$!
wait_log "$WORK/cp2.log" 'sipshard-cp: ready' "${PIDS[cp2]}"
for t in $(seq 1 50); do
	"$BUILD/sipshardctl" -s "$WORK/node2.sock" --json sync | grep -q '"state":"synced"' && break
	sleep 0.1
done
"$BUILD/sipshardctl" -s "$WORK/node2.sock" sync
"$BUILD/sipshardctl" -s "$WORK/node2.sock" --json contacts count
"$BUILD/sipshardctl" -s "$WORK/node2.sock" nodes

say "stop node 1: SIGTERM to sipshard-cp (announces its leave) and sipshard-dp"
for k in cp1 dp1; do
	kill -TERM "${PIDS[$k]}"; rc=0; wait "${PIDS[$k]}" || rc=$?; echo "$k exited with status $rc"; unset "PIDS[$k]"
done
say "demo done"
