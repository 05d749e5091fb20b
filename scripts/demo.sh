#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# make demo: a sipshard node in a lab on this machine, no NIC needed.
# Builds the lab (network namespaces + veth, 198.18.0.0/15 only), starts sipshard-dp
# on its veth, shows it answering ARP/ping/IPv6 ND from a client, sends it SIP and
# a fragmented 3.5 KB datagram, prints what telemetry shows, and tears down.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
LAB=${LAB:-ssdemo}
export LAB
WORK=$(mktemp -d /tmp/sipshard-demo.XXXXXX)
PID=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	"$ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }

say "lab: bridge, node namespace $LAB-n1, client $LAB-cl (198.18.0.100)"
"$ROOT/scripts/lab.sh" up 1

cat > "$WORK/node1.yaml" <<YAML
node:
  id: 1
dataplane:
  file_prefix: ${LAB}1
  eal: ["-l", "0-1", "--no-pci"]
  workers: 1
  idle: adaptive
  mbuf_size: 8320
  ports:
    - device: "net_af_packet0,iface=${LAB}n1"
      ipv4: 198.18.0.1/24
      ipv6: 2001:2::1/64
sip:
  port: 5060
  domains: [example.com]
YAML
say "config ($WORK/node1.yaml), validated without starting:"
"$BUILD/sipshard-dp" -c "$WORK/node1.yaml" --check-config

say "start sipshard-dp on veth ${LAB}n1 (net_af_packet)"
ip netns exec "$LAB-n1" "$BUILD/sipshard-dp" -c "$WORK/node1.yaml" > "$WORK/node1.log" 2>&1 &
PID=$!
for _ in $(seq 1 150); do
	grep -q 'sipshard-dp: ready' "$WORK/node1.log" && break
	kill -0 "$PID" 2>/dev/null || { cat "$WORK/node1.log"; exit 1; }
	sleep 0.2
done
grep -E 'sipshard|steering' "$WORK/node1.log" | sort -u

say "client -> node: ping (ARP + ICMP echo) and ping -6 (ND + ICMPv6 echo)"
ip netns exec "$LAB-cl" ping -c 3 -i 0.2 198.18.0.1
ip netns exec "$LAB-cl" ping -6 -c 3 -i 0.2 2001:2::1
ip -n "$LAB-cl" neigh show dev "${LAB}cl"

say "client -> node: a SIP OPTIONS, and a 3.5 KB datagram (IP fragments on the wire)"
ip netns exec "$LAB-cl" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100;branch=z9hG4bKdemo\r\n\r\n", ("198.18.0.1", 5060))
s.sendto(b"X" * 3500, ("198.18.0.1", 5060))'
sleep 0.5

say "telemetry /sipshard/status (dpdk-telemetry.py -f ${LAB}1)"
echo /sipshard/status | dpdk-telemetry.py -f "${LAB}1" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["/sipshard/status"]
print(json.dumps(d, indent=2))'

say "telemetry /sipshard/stats: non-zero counters and drops by reason"
echo /sipshard/stats | dpdk-telemetry.py -f "${LAB}1" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["/sipshard/stats"]
for k, v in d.items():
    if k != "drops" and v and k != "idle_sleeps":
        print("  %-20s %d" % (k, v))
print("  drops by reason:")
for k, v in d["drops"].items():
    if v:
        print("    %-18s %d" % (k, v))'

say "stop: SIGTERM"
kill -TERM "$PID"; wait "$PID"; echo "sipshard-dp exited with status $?"; PID=
say "demo done (the SIP services arrive with the registrar and proxy issues)"
