#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# IPv6 VIPs of sharing tags (issue 12): service/1 carries vip 2001:2::50, the
# IPv6 counterpart of tests/integration/tag_vip.sh. Three nodes, the cluster bus
# on its own segment; node 1 configured active (priority 10), nodes 2 (20) and
# 3 (5) backup, failover auto.
#   - the client resolves the VIP by neighbour discovery: its entry holds node
#     1's MAC, node 1 counted nd_vip_answered, nodes 2 and 3 answered none and
#     counted vip_not_held (the solicitation reaches every node);
#   - a REGISTER over IPv6 to the VIP gets its 200 from the VIP, taken by node 1
#     only; ICMPv6 echo to the VIP is answered;
#   - `tag set-active` on node 2: the client's entry flips to node 2's MAC by
#     unsolicited neighbour advertisement (the client sends nothing meanwhile),
#     node 2 counted una_sent, and the next REGISTER to the VIP is taken by node
#     2 only, answered from the VIP;
#   - a phone registered through the VIP has the VIP as its binding's socket: an
#     INVITE for it sent to node 1 is relayed to the VIP (proxy.sock_relayed) and
#     node 2 sends it to the phone (sock_direct);
#   - kill -9 of node 2: node 1 claims (failover), its unsolicited
#     advertisements move the client's entry back to node 1's MAC, and a
#     REGISTER to the VIP is answered by node 1 only.
. "$(dirname "$0")/lib.bash"

VIP=2001:2::50
vip_lab "$VIP" || exit 1
pass "3 nodes started, service/1 with vip $VIP configured on each"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
mac_of() { ip -n "$LAB-n$1" -br link show "${LAB}n$1" | awk '{print $3}'; }
# The client's neighbour entry for the VIP: its MAC, "" when none.
vip_mac() { ip -n "$LAB-cl" -6 neigh show "$VIP" dev "${LAB}cl" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
# wait_mac I MS: until the client's entry for the VIP is node I's MAC (the client
# sends nothing meanwhile); prints "MAC MS".
wait_mac() {
	local want t0 m=""
	want=$(mac_of "$1"); t0=$(now_ms)
	while [ $(( $(now_ms) - t0 )) -lt "$2" ]; do
		m=$(vip_mac)
		[ "$m" = "$want" ] && break
		sleep 0.02
	done
	echo "${m:-none} $(( $(now_ms) - t0 ))"
}
reg() { vip_reg "$VIP" "$1" "$2"; }   # SECONDS USER (lib.bash)
regs_of() { dpstat "$1" sip_requests.REGISTER 2>/dev/null || echo 0; }
# only_node I R1 R2 R3: node I's REGISTER count grew past R_I, the others' did not.
only_node() {
	local i=$1 j r
	shift
	for j in 1 2 3; do
		r=$1; shift
		[ -n "${NODE_PID[$j]:-}" ] || continue   # killed: nothing to ask
		if [ "$j" = "$i" ]; then [ "$(regs_of "$j")" -gt "$r" ] || return 1
		else [ "$(regs_of "$j")" = "$r" ] || return 1; fi
	done
}

ok=0
for t in $(seq 1 150); do
	s=$(for i in 1 2 3; do ctl "$i" --json tags | grep -o '"sync":"[a-z-]*"'; done | sort -u)
	[ "$s" = '"sync":"synced"' ] && { ok=1; break; }
	sleep 0.1
done
check "the tags capability is synced on every node" test "$ok" = 1

# ---- node 1 holds the VIP: neighbour discovery, then SIP ----
check "the client has no neighbour entry for the VIP yet ($(vip_mac))" test -z "$(vip_mac)"
r1=$(regs_of 1); r2=$(regs_of 2); r3=$(regs_of 3)
out=$(reg 10 alice)
check "a REGISTER over IPv6 to the VIP is answered 200 from $VIP ($out)" \
	bash -c "[[ '$out' == '200 $VIP '* ]]"
m=$(vip_mac)
check "the client resolved the VIP by NDP to node 1's MAC ($m = $(mac_of 1))" test "$m" = "$(mac_of 1)"
check "node 1 took the REGISTER, nodes 2 and 3 did not" only_node 1 "$r1" "$r2" "$r3"
a1=$(dpstat 1 nd_vip_answered); a2=$(dpstat 2 nd_vip_answered); a3=$(dpstat 3 nd_vip_answered)
n2=$(dpstat 2 drops.vip_not_held); n3=$(dpstat 3 drops.vip_not_held)
check "node 1 answered the solicitation for the VIP ($a1), nodes 2 and 3 answered none ($a2, $a3) and counted vip_not_held ($n2, $n3)" \
	test "$a1" -ge 1 -a "$a2" = 0 -a "$a3" = 0 -a "$n2" -ge 1 -a "$n3" -ge 1
cl ping -6 -c 1 -W 2 "$VIP" >/dev/null 2>&1
check "ICMPv6 echo to the VIP is answered" test $? = 0

# ---- a move from the CLI: unsolicited neighbour advertisements ----
u2=$(dpstat 2 una_sent)
ctl 2 --json tag set-active service/1 >/dev/null
set -- $(wait_mac 2 3000)
echo "tag move: the client's neighbour entry for the VIP moved to node 2 after $2 ms"
check "after tag set-active on node 2 the client's entry flips to node 2's MAC by unsolicited NA ($1, $2 ms)" \
	test "$1" = "$(mac_of 2)"
check "node 2 counted unsolicited NAs ($(dpstat 2 una_sent) > $u2)" test "$(dpstat 2 una_sent)" -gt "$u2"
r1=$(regs_of 1); r2=$(regs_of 2); r3=$(regs_of 3)
out=$(reg 5 bob)
check "a REGISTER to the VIP is answered 200 from $VIP ($out)" bash -c "[[ '$out' == '200 $VIP '* ]]"
check "... by node 2 only" only_node 2 "$r1" "$r2" "$r3"
check "the client's entry still names node 2 ($(vip_mac))" test "$(vip_mac)" = "$(mac_of 2)"

# ---- a binding registered through the VIP: its socket is the VIP ----
# A phone registers through the VIP (taken by node 2); an INVITE for it sent to
# node 1, which does not hold the VIP, is relayed to the VIP over IPv6 (node 1
# learnt node 2's MAC for it from the unsolicited NA), and node 2 sends it on.
vip_phone "$VIP" 2001:2::100 "$WORK/phone6.log"
PHONE6=$VIP_PHONE
trap 'kill "$PHONE6" 2>/dev/null; cleanup' EXIT
check "a phone registers through the VIP ($(head -1 "$WORK/phone6.log"))" \
	test "$(head -1 "$WORK/phone6.log")" = "registered 200 $VIP"
check "its binding reached node 1" wait_has_contact 10 1 vphone@example.com
rl1=$(pstat 1 sock_relayed); dr2=$(pstat 2 sock_direct)
client_neigh 198.18.0.1 || fail "client resolves node 1"
got=$(phone_invite 198.18.0.1 "$WORK/phone6.log")
check "an INVITE for it sent to node 1 is relayed to the VIP and node 2 sends it to the phone from the VIP ($got)" \
	test "$got" = "req $VIP INVITE"
check "... node 1 relayed it (proxy.sock_relayed $rl1 -> $(pstat 1 sock_relayed)), node 2 sent it directly (sock_direct $dr2 -> $(pstat 2 sock_direct))" \
	test "$(pstat 1 sock_relayed)" -gt "$rl1" -a "$(pstat 2 sock_direct)" -gt "$dr2"
kill "$PHONE6" 2>/dev/null; wait "$PHONE6" 2>/dev/null

# ---- failover: kill -9 the holder ----
u1=$(dpstat 1 una_sent)
t0=$(now_ms)
kill9_node 2
set -- $(wait_mac 1 5000)
dt=$(( $(now_ms) - t0 ))
echo "failover: the client's neighbour entry for the VIP moved to node 1 $dt ms after kill -9 of node 2 (node_timeout_ms 900)"
check "holder killed: node 1 (the best survivor) claims and its unsolicited NA moves the client's entry to node 1's MAC ($1, $dt ms)" \
	test "$1" = "$(mac_of 1)"
check "node 1 counted unsolicited NAs ($(dpstat 1 una_sent) > $u1)" test "$(dpstat 1 una_sent)" -gt "$u1"
r1=$(regs_of 1); r3=$(regs_of 3)
out=$(reg 5 carol)
check "a REGISTER to the VIP is answered 200 from $VIP again ($out)" bash -c "[[ '$out' == '200 $VIP '* ]]"
check "... by node 1 only (node 3 took none)" only_node 1 "$r1" 0 "$r3"
exit 0
