#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A dedicated cluster port (cluster.port_index): two nodes, each with port 0 on the
# SIP segment (198.18.0.I) and port 1 on a second segment that only the nodes share
# (198.18.1.I). The cluster bus runs on port 1 alone: the nodes see each other up;
# cluster datagrams that reach port 0 are dropped and counted (cluster_wrong_port),
# never handed to the control plane; SIP is still answered on port 0; cutting the
# SIP segment leaves the cluster up, cutting the cluster segment takes it down. Last,
# a dataplane stopped under its control plane: the cp detaches and exits cleanly.
. "$(dirname "$0")/lib.bash"

lab_up 2
"$ROOT/scripts/lab.sh" cluster-net 2 || { fail "second segment for the cluster bus"; exit 1; }
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
for i in 1 2; do
	j=$((3 - i))
	cluster_config "$i" "$WORK/cluster.key" "  port_index: 1
  nodes: [{id: $j, address: 198.18.1.$j}]"
	# the second port, on the cluster segment
	sed -i "s|^      ipv6: 2001:2::$i/64|&\n    - device: \"net_af_packet_c$i,iface=${LAB}c$i\"\n      ipv4: 198.18.1.$i/24|" "$WORK/n$i.yaml"
	start_node "$i" && start_cp "$i" || { fail "node $i starts with two ports (dp + cp)"; exit 1; }
done
pass "2 nodes started with two ports each, cluster.port_index 1"

check "port 0 is not the cluster port (log says so)" \
	grep -q 'not the cluster port: cluster packets dropped here' "$WORK/n1.log"
ok=1
for i in 1 2; do wait_state 10 up "$i" 1 2 || ok=0; done
check "the nodes see each other up over the cluster segment" test "$ok" = 1
check "node 1 lists node 2 at its cluster-segment address" \
	bash -c "'$BUILD/sipshardctl' -s '$WORK/n1.sock' --json nodes | grep -q '\"id\":2,\"address\":\"198.18.1.2\"'"

# Cluster datagrams from the SIP side: dropped on port 0, not given to the cp.
rx_before=$(ctl 1 --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["control_plane"]["rx_frames"])')
udp_send 198.18.0.1 5800 50 4
sleep 0.5
check "50 cluster datagrams sent to port 0 counted cluster_wrong_port" \
	test "$(dpstat 1 drops.cluster_wrong_port)" -eq 50
rx_after=$(ctl 1 --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["control_plane"]["rx_frames"])')
rx_expect_max=$((rx_before + 30))   # heartbeats from node 2 only: 5 per second
check "the control plane received only heartbeats meanwhile ($rx_before -> $rx_after)" \
	test "$rx_after" -le "$rx_expect_max"

# SIP still answered on port 0.
cl python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.bind(("198.18.0.100", 5070))
s.sendto(b"OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bKcp1\r\n"
         b"From: <sip:t@example.com>;tag=1\r\nTo: <sip:198.18.0.1>\r\nCall-ID: cp1\r\n"
         b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", ("198.18.0.1", 5060))
print(s.recv(4096).split(b"\r\n")[0].decode())' > "$WORK/options.out" 2>&1
check "SIP OPTIONS on port 0 answered ($(head -c 40 "$WORK/options.out"))" grep -q '^SIP/2.0 200' "$WORK/options.out"

# Cut the SIP segment: the cluster stays up (checked for 3 node timeouts).
for i in 1 2; do ip -n "$LAB-br" link set "${LAB}n${i}b" down; done
sleep 3
check "SIP segment cut: node 1 still sees node 2 up" test "$(node_state 1 2)" = up
check "SIP segment cut: node 2 still sees node 1 up" test "$(node_state 2 1)" = up
for i in 1 2; do ip -n "$LAB-br" link set "${LAB}n${i}b" up; done

# Cut the cluster segment: the nodes go down for each other.
ip -n "$LAB-br" link set "${LAB}c2b" down
check "cluster segment cut: node 1 marks node 2 down" wait_state 5 down 1 2
ip -n "$LAB-br" link set "${LAB}c2b" up
check "cluster segment back: up again" wait_state 10 up 1 2
# Stop a dataplane under its control plane: the cp detaches and exits 0 (no crash
# on rings and pools that the dataplane frees).
check "SIGTERM of node 1's dataplane (cp attached): clean exit 0" stop_node 1
cp_exit() { wait_gone "${CP_PID[1]}" 5 && { wait "${CP_PID[1]}"; rc=$?; unset "CP_PID[1]"; return "$rc"; }; }
check "node 1's control plane detached and exited 0" cp_exit
check "it said why" grep -q 'the dataplane is stopping: detaching' "$WORK/cp1.log"
exit 0
