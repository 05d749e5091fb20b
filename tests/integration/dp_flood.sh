#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A flood of hostile frames at a node (random bytes, truncated, oversized, bad
# checksums, fragment garbage, random SIP payloads, 9 KB and 60 KB datagrams):
# the node keeps running and answering, and the drops are counted by reason.
. "$(dirname "$0")/lib.bash"

COUNT=${FLOOD_COUNT:-30000}
lab_up 1
node_config 1 >/dev/null
start_node 1 || { fail "node 1 starts"; exit 1; }
cl ping -c 1 -W 2 198.18.0.1 >/dev/null
mac=$(tel 1 /sipshard/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["port0"]["mac"])')

cl python3 "$(dirname "$0")/flood.py" "${LAB}cl" "$mac" 198.18.0.1 198.18.0.100 "$COUNT" > "$WORK/flood.out"
check "flood of $COUNT frames sent" test "$(awk '{s+=$2} END {print s}' "$WORK/flood.out")" -ge $((COUNT * 9 / 10))
cl python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in (9000, 60000):
    s.sendto(b"Y" * n, ("198.18.0.1", 5060))'
sleep 1

check "node still running after the flood" node_alive 1
check "node still answers ping" cl ping -q -c 3 -i 0.2 -W 2 198.18.0.1
stats=$(tel 1 /sipshard/stats)
echo "$stats" > "$WORK/stats.json"
for r in l2_not_ours l2_ethertype ip4_cksum ip4_length udp_cksum udp_port arp_malformed sip_invalid; do
	check "drops counted: $r" python3 -c 'import json,sys; assert json.loads(sys.argv[1])["drops"][sys.argv[2]] > 0' "$stats" "$r"
done
# On af_packet the kernel reassembles (or discards) fragments before the node sees
# them; what must hold is that a good large datagram still arrives whole.
before=$(dpstat 1 sip_rx_bytes)
cl python3 -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"Z" * 3000, ("198.18.0.1", 5060))'
sleep 0.5
check "a 3000-byte datagram after the flood arrives whole" test "$(( $(dpstat 1 sip_rx_bytes) - before ))" -eq 3000
stats=$(tel 1 /sipshard/stats)
check "every received frame sent or dropped by reason (only fragments may be held)" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["rx_pkts"] >= 0.75 * int(sys.argv[2]), d["rx_pkts"]   # the bridge drops runts and multicast-source frames
unaccounted = d["rx_pkts"] - d["tx_pkts"] - d["drops_total"]
assert 0 <= unaccounted <= d["frag_rx"], (unaccounted, d)' "$stats" "$COUNT"
check "SIGTERM after the flood: clean exit 0" stop_node 1
exit 0
