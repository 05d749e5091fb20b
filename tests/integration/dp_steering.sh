#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Queues and steering: two workers (three lcores on the two CPUs) each receive their
# share of the flows; with a cluster configured on net_af_packet (no rte_flow) the
# workers hand cluster packets to the control-plane ring in software, and once that
# ring is full (nobody consumes it yet) further ones are counted, not lost silently;
# heartbeats have a ring of their own and still get through.
# The share is checked with the default ring size: with 64-slot rings a burst that
# the control lcore hands on while a worker sleeps (adaptive idle) can fill the
# worker's ring, and the surplus is (rightly) counted steer_ring_full, not handled.
# The ring-capacity check then restarts the node with 64-slot rings.
. "$(dirname "$0")/lib.bash"

lab_up 1
# The client is configured as node 2, so that the cluster port admits its datagrams
# (docs/security.md "Cluster port"; a newcomer's would share one small bucket).
node_config 1 'cluster:
  id: 1
  port: 5800
  key_file: /nonexistent/cluster.key
  nodes: [{id: 2, address: 198.18.0.100}]' >/dev/null
sed -i -e 's/workers: 1/workers: 2/' -e 's/"-l", "0-1"/"--lcores", "0@0,1@1,2@1"/' \
    -e 's/ring_size: .*//' "$WORK/n1.yaml"
start_node 1 || { fail "node with 2 workers starts"; exit 1; }
pass "node with 2 workers starts"

check "cluster steering reported as software (af_packet has no rte_flow nor RSS table)" \
	grep -q 'cluster steering: software (workers and the control lcore hand cluster packets' "$WORK/n1.log"
st=$(tel 1 /sipshard/status)
check "status: 2 workers, 3 queue pairs, control queue 2" python3 -c '
import json, sys
d = json.loads(sys.argv[1]); p = d["port0"]
assert d["workers"] == 2 and p["queues"] == 3 and p["ctl_queue"] == 2 and p["steering"] == "software", d' "$st"

udp_send 198.18.0.1 5060 400 16
sleep 0.5
# Each datagram is handled (here: rejected by the parser) by exactly one worker.
w0=$(tel 1 /sipshard/stats,0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"]["sip_invalid"])')
w1=$(tel 1 /sipshard/stats,1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"]["sip_invalid"])')
ctl=$(tel 1 /sipshard/stats,2 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["sip_rx"], d["steer_out"])')
check "400 SIP datagrams over 16 flows: all reached a worker (workers $w0 + $w1, control lcore rx/handed on: $ctl)" \
	test $((w0 + w1)) -eq 400 -a "${ctl% *}" -eq "${ctl#* }"
check "both workers received a share ($w0 / $w1)" test "$w0" -gt 0 -a "$w1" -gt 0
check "no steering ring overflowed (default ring size)" test "$(dpstat 1 drops.steer_ring_full)" -eq 0

stop_node 1 || fail "SIGTERM before the restart with 64-slot rings"
sed -i 's/^  mbuf_size: 8320/  mbuf_size: 8320\n  ring_size: 64/' "$WORK/n1.yaml"
start_node 1 || { fail "node restarts with 64-slot rings"; exit 1; }

udp_send 198.18.0.1 5800 100 4
# until the lcores have seen the 100 (at most 5 s: a loaded machine's are slow)
for t in $(seq 1 50); do
	[ "$(tel 1 /sipshard/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["rx_pkts"] >= 100)')" = True ] && break
	sleep 0.1
done
sleep 0.2
check "cluster packets up to the ring capacity handed on (63; $(dpstat 1 cluster_rx), drops $(tel 1 /sipshard/stats | python3 -c "import json,sys; print({k: v for k, v in json.load(sys.stdin)[\"drops\"].items() if v})"))" test "$(dpstat 1 cluster_rx)" -eq 63
check "the rest counted cluster_ring_full (37)" test "$(dpstat 1 drops.cluster_ring_full)" -eq 37
# Heartbeats first: topology messages (by the type in the framing header: magic
# "SSHB", version 1, type 1 = heartbeat) have their own ring, so a ring full of
# other cluster traffic (replication) does not drop them.
cl python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
hdr = struct.pack("!IBBHHIHQQ", 0x53534842, 1, 1, 0, 0, 7, 2, 1, 1)
for i in range(10):
    s.sendto(hdr + bytes(32), ("198.18.0.1", 5800))'
sleep 0.5
check "10 heartbeats behind a full cluster ring still handed on, on the priority ring (cluster_rx_prio $(dpstat 1 cluster_rx_prio), cluster_ring_full $(dpstat 1 drops.cluster_ring_full))" \
	test "$(dpstat 1 cluster_rx_prio)" -eq 10 -a "$(dpstat 1 cluster_rx)" -eq 73 -a "$(dpstat 1 drops.cluster_ring_full)" -eq 37
check "ping still answered" cl ping -q -c 2 -i 0.2 -W 2 198.18.0.1
check "SIGTERM: clean exit 0" stop_node 1
exit 0
