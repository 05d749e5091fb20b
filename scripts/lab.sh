#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The test lab: one L2 segment in network namespaces on this machine.
#
#   scripts/lab.sh up [N]    create N node namespaces (default 1) and a client
#   scripts/lab.sh down      remove everything the lab created
#   scripts/lab.sh run I CMD...   run CMD in node I's namespace (I = cl for the client)
#   scripts/lab.sh host NAME IP   add a kernel host ${LAB}-NAME with IP/24 on the segment
#                                 (backends, phones); `run NAME CMD` runs in it
#   scripts/lab.sh cluster-net N  a second segment (bridge br1) for a dedicated cluster
#                                 bus: node I gets veth ${LAB}cI on it (198.18.1.I by
#                                 convention); no kernel host is on it
#
#   ${LAB}-br   namespace holding the bridge br0 (the L2 segment)
#   ${LAB}-nI   node I: veth ${LAB}nI (attach sipshard-dp with net_af_packet,iface=${LAB}nI);
#               the kernel keeps no address on it; the node owns 198.18.0.I and 2001:2::I
#   ${LAB}-cl   client: veth ${LAB}cl with 198.18.0.100/24 and 2001:2::100/64 (kernel
#               stack, TX checksum offload off so the dataplane sees real checksums)
# Addresses are the benchmarking ranges only (198.18.0.0/15, 2001:2::/48).
# LAB (default "ss") names everything, so parallel labs can coexist.
set -eu
LAB=${LAB:-ss}
BR=$LAB-br
CL=$LAB-cl

node_ns() { echo "$LAB-n$1"; }

up() {
	local n=${1:-1} i ns
	down >/dev/null 2>&1 || true
	ip netns add "$BR"
	ip -n "$BR" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$BR" link set br0 up
	ip netns exec "$BR" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	# A plain L2 segment: with br_netfilter loaded the bridge would validate and
	# drop malformed IP packets before the node could see (and count) them.
	ip -n "$BR" link set br0 type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 2>/dev/null || true
	ip netns exec "$BR" sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -w "$f" ] && echo 0 > "$f"; done; true' 
	for i in $(seq 1 "$n"); do
		ns=$(node_ns "$i")
		ip netns add "$ns"
		ip link add "${LAB}n$i" netns "$ns" type veth peer name "${LAB}n${i}b" netns "$BR"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		# net_af_packet lets this namespace's kernel reassemble fragments for the
		# node: give it room and a short timeout so fragment garbage cannot
		# starve good datagrams (a real NIC port has no such stage).
		ip netns exec "$ns" sysctl -qw net.ipv4.ipfrag_high_thresh=134217728 \
			net.ipv4.ipfrag_low_thresh=100663296 net.ipv4.ipfrag_time=5
		ip -n "$ns" link set lo up
		ip -n "$ns" link set "${LAB}n$i" up
		ip -n "$BR" link set "${LAB}n${i}b" master br0 up
	done
	ip netns add "$CL"
	ip link add "${LAB}cl" netns "$CL" type veth peer name "${LAB}clb" netns "$BR"
	ip -n "$BR" link set "${LAB}clb" master br0 up
	ip -n "$CL" link set lo up
	ip netns exec "$CL" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$CL" link set "${LAB}cl" up
	ip -n "$CL" addr add 198.18.0.100/24 dev "${LAB}cl"
	ip -n "$CL" addr add 2001:2::100/64 dev "${LAB}cl" nodad
	ip netns exec "$CL" ethtool -K "${LAB}cl" tx off >/dev/null 2>&1 || true
	echo "lab $LAB up: $n node(s) ${LAB}-n1..${LAB}-n$n, client $CL (198.18.0.100)"
}

host() {
	local name=$1 ip=$2 ns=$LAB-$1
	ip netns add "$ns"
	ip link add "${LAB}$name" netns "$ns" type veth peer name "${LAB}${name}b" netns "$BR"
	ip -n "$BR" link set "${LAB}${name}b" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "${LAB}$name" up
	ip -n "$ns" addr add "$ip/24" dev "${LAB}$name"
	ip netns exec "$ns" ethtool -K "${LAB}$name" tx off >/dev/null 2>&1 || true
}

cluster_net() {
	local n=$1 i
	ip -n "$BR" link add br1 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$BR" link set br1 up
	for i in $(seq 1 "$n"); do
		ip link add "${LAB}c$i" netns "$(node_ns "$i")" type veth peer name "${LAB}c${i}b" netns "$BR"
		ip -n "$(node_ns "$i")" link set "${LAB}c$i" up
		ip -n "$BR" link set "${LAB}c${i}b" master br1 up
	done
}

down() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep -E "^$LAB-(br|cl|n[0-9]+|h[a-z0-9]+)\$" || true); do
		ip netns del "$ns"
	done
}

case ${1:-} in
up) up "${2:-1}" ;;
down) down ;;
run)
	[ $# -ge 3 ] || { echo "usage: $0 run I|cl CMD..." >&2; exit 2; }
	i=$2; shift 2
	case $i in
	cl) exec ip netns exec "$CL" "$@" ;;
	[0-9]*) exec ip netns exec "$(node_ns "$i")" "$@" ;;
	*) exec ip netns exec "$LAB-$i" "$@" ;;
	esac ;;
host)
	[ $# -eq 3 ] || { echo "usage: $0 host NAME IP" >&2; exit 2; }
	case $2 in h[a-z0-9]*) ;; *) echo "$0: host names start with h (h1, hphone)" >&2; exit 2 ;; esac
	host "$2" "$3" ;;
cluster-net)
	[ $# -eq 2 ] || { echo "usage: $0 cluster-net N" >&2; exit 2; }
	cluster_net "$2" ;;
*) echo "usage: $0 up [N] | down | run I|cl|NAME CMD... | host NAME IP | cluster-net N" >&2; exit 2 ;;
esac
