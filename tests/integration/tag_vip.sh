#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# VIPs of sharing tags (issue 12, failover): service/1 carries vip 198.18.0.50.
# Three nodes, the cluster bus on its own segment; node 1 configured active
# (priority 10), nodes 2 (20) and 3 (5) backup, failover auto.
#   - ARP for the VIP is answered by node 1 only: the client's neighbour entry
#     holds node 1's MAC, node 1 counts arp_vip_answered, the others vip_not_held;
#   - a REGISTER to the VIP gets its 200 from the VIP;
#   - `tag set-active` on node 2: the client's entry flips to node 2's MAC by
#     gratuitous ARP (the client sends nothing meanwhile), the next REGISTER to
#     the VIP is answered by node 2;
#   - kill -9 of node 2: node 1 claims (failover) and the VIP answers again
#     (the time from the kill to the first 200 is printed);
#   - a phone behind a strict NAT registers through the VIP: an INVITE for it sent
#     to node 2 is relayed to the VIP and node 1 sends it from the VIP, the only
#     address the phone takes packets from; its NAT pings (ownership mode) come from
#     the VIP too, from node 1, and from node 2 once the tag moved there;
#   - the dialog stays on the VIP (proxy.record_route): node 1 names the VIP in the
#     Record-Route the phone gets, and the caller's BYE routed by it (through node 2,
#     then the VIP) reaches the phone from the VIP, before and after the tag moves;
#   - scripts/keepalived-notify.sh MASTER on node 3 moves tag and VIP there.
. "$(dirname "$0")/lib.bash"

VIP=198.18.0.50
vip_lab "$VIP" "registrar:
  nat_ping: {interval_s: 1, method: options, mode: ownership, max_failures: 0}
proxy:
  record_route: true" || exit 1
pass "3 nodes started, service/1 with vip $VIP configured on each"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
mac_of() { ip -n "$LAB-n$1" -br link show "${LAB}n$1" | awk '{print $3}'; }
# The client's neighbour entry for the VIP: its MAC, "" when none.
vip_mac() { ip -n "$LAB-cl" neigh show "$VIP" dev "${LAB}cl" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
reg() { vip_reg "$VIP" "$1" "$2"; }   # SECONDS USER (lib.bash)
regs_of() { dpstat "$1" sip_requests.REGISTER 2>/dev/null || echo 0; }

ok=0
for t in $(seq 1 150); do
	s=$(for i in 1 2 3; do ctl "$i" --json tags | grep -o '"sync":"[a-z-]*"'; done | sort -u)
	[ "$s" = '"sync":"synced"' ] && { ok=1; break; }
	sleep 0.1
done
check "the tags capability is synced on every node" test "$ok" = 1

# ---- node 1 holds the VIP ----
r1=$(regs_of 1); r2=$(regs_of 2); r3=$(regs_of 3)
out=$(reg 10 alice)
check "a REGISTER to the VIP is answered 200 from $VIP ($out)" bash -c "[[ '$out' == '200 $VIP '* ]]"
m=$(vip_mac)
check "the client's neighbour entry for the VIP is node 1's MAC ($m = $(mac_of 1))" test "$m" = "$(mac_of 1)"
check "node 1 took the REGISTER, nodes 2 and 3 did not" \
	test "$(regs_of 1)" -gt "$r1" -a "$(regs_of 2)" = "$r2" -a "$(regs_of 3)" = "$r3"
a1=$(dpstat 1 arp_vip_answered); n2=$(dpstat 2 drops.vip_not_held); n3=$(dpstat 3 drops.vip_not_held)
a2=$(dpstat 2 arp_vip_answered); a3=$(dpstat 3 arp_vip_answered)
check "node 1 answered ARP for the VIP ($a1), nodes 2 and 3 counted vip_not_held ($n2, $n3) and answered none ($a2, $a3)" \
	test "$a1" -ge 1 -a "$n2" -ge 1 -a "$n3" -ge 1 -a "$a2" = 0 -a "$a3" = 0
cl ping -c 1 -W 2 "$VIP" >/dev/null 2>&1
check "ICMP echo to the VIP is answered" test $? = 0

# ---- a phone registered through the VIP: everything it gets comes from the VIP ----
# It logs the source of every request it receives ("req SOURCE METHOD"): a strict
# NAT in front of it would drop any that does not come from the VIP.
vip_phone "$VIP" 198.18.0.100 "$WORK/phone.log"
PHONE=$VIP_PHONE
trap 'kill "$PHONE" 2>/dev/null; cleanup' EXIT
check "a phone registers through the VIP ($(head -1 "$WORK/phone.log"))" \
	test "$(head -1 "$WORK/phone.log")" = "registered 200 $VIP"
check "its binding reached node 2" wait_has_contact 10 2 vphone@example.com
rl2=$(pstat 2 sock_relayed); v1=$(dpstat 1 vip_src_sent)
client_neigh 198.18.0.2 || fail "client resolves node 2"
got=$(phone_invite 198.18.0.2 "$WORK/phone.log")
check "an INVITE for it sent to node 2 is relayed to the VIP and reaches the phone from the VIP ($got)" \
	test "$got" = "req $VIP INVITE"
check "... node 2 relayed it (sock_relayed $rl2 -> $(pstat 2 sock_relayed)), node 1 sent it from the VIP (vip_src_sent $v1 -> $(dpstat 1 vip_src_sent))" \
	test "$(pstat 2 sock_relayed)" -gt "$rl2" -a "$(dpstat 1 vip_src_sent)" -gt "$v1"
for t in $(seq 1 30); do grep -q '^req .* OPTIONS' "$WORK/phone.log" && break; sleep 0.1; done
sleep 1.2
pings=$(grep '^req .* OPTIONS' "$WORK/phone.log" | sort | uniq -c | awk '{print $1 " from " $3}' | tr '\n' ' ')
check "its NAT pings come from the VIP only ($pings)" \
	bash -c "[ -n '$pings' ] && ! grep '^req .* OPTIONS' '$WORK/phone.log' | grep -vq '^req $VIP '"

# The dialog's Record-Route as the phone got it: node 1's on the VIP first, then
# node 2's (it relayed the INVITE to the VIP).
rrs=$(grep '^rr ' "$WORK/phone.log" | cut -d' ' -f2- | tr '\n' ' ')
RR_VIP=$(grep -m1 '^rr ' "$WORK/phone.log" | cut -d' ' -f2-)
RR_N2=$(grep '^rr ' "$WORK/phone.log" | sed -n 2p | cut -d' ' -f2-)
check "the phone's Record-Route names the VIP, then node 2 ($rrs)" \
	bash -c "[[ '$RR_VIP' == '<sip:$VIP:5060;lr;ss='* && '$RR_N2' == '<sip:198.18.0.2:5060;lr;ss='* ]]"
# phone_bye CSEQ: the caller's BYE in that dialog, sent to node 2 with its route
# set (the Record-Route reversed), again (3 tries) until the phone logs one more
# BYE; prints the phone's BYE lines.
phone_bye() {
	local k t n
	n=$(grep -c '^req .* BYE' "$WORK/phone.log")
	for k in 1 2 3; do
		cl python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 5094))
s.sendto(("BYE sip:vphone@198.18.0.100:5092 SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 198.18.0.100:5094;rport;branch=z9hG4bK-vphone-bye%s\r\n"
          "Route: %s, %s\r\n"
          "From: <sip:caller@example.com>;tag=c1\r\nTo: <sip:vphone@example.com>;tag=p9\r\n"
          "Call-ID: vphone-invite@198.18.0.100\r\nCSeq: %s BYE\r\nMax-Forwards: 70\r\n"
          "Content-Length: 0\r\n\r\n" % (sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[1])).encode(),
         ("198.18.0.2", 5060))' "$1" "$RR_N2" "$RR_VIP"
		for t in $(seq 1 10); do
			[ "$(grep -c '^req .* BYE' "$WORK/phone.log")" -gt "$n" ] && break 2
			sleep 0.1
		done
	done
	grep '^req .* BYE' "$WORK/phone.log" | tr '\n' ' '
}
vr1=$(pstat 1 vip_routed)
got=$(phone_bye 2)
check "the caller's BYE routed by the Record-Route reaches the phone from the VIP ($got)" \
	test "$got" = "req $VIP BYE "
check "... node 1 sent it from the VIP its Route named (vip_routed $vr1 -> $(pstat 1 vip_routed))" \
	test "$(pstat 1 vip_routed)" -gt "$vr1"

# ---- a move from the CLI: gratuitous ARP ----
g2=$(dpstat 2 garp_sent)
t0=$(now_ms)
ctl 2 --json tag set-active service/1 >/dev/null
m=""
while [ $(( $(now_ms) - t0 )) -lt 3000 ]; do
	m=$(vip_mac)
	[ "$m" = "$(mac_of 2)" ] && break
	sleep 0.02
done
dt=$(( $(now_ms) - t0 ))
echo "tag move: the client's neighbour entry for the VIP moved to node 2 after $dt ms"
check "after tag set-active on node 2 the client's entry flips to node 2's MAC by gratuitous ARP ($m, $dt ms)" \
	test "$m" = "$(mac_of 2)"
check "node 2 counted gratuitous ARPs ($(dpstat 2 garp_sent) > $g2)" test "$(dpstat 2 garp_sent)" -gt "$g2"
r1=$(regs_of 1); r2=$(regs_of 2)
out=$(reg 5 bob)
check "a REGISTER to the VIP is answered 200 from $VIP by node 2 ($out)" \
	bash -c "[[ '$out' == '200 $VIP '* ]] && [ $(regs_of 2) -gt $r2 ] && [ $(regs_of 1) = $r1 ]"
v2=$(dpstat 2 vip_src_sent); n=$(grep -c '^req .* OPTIONS' "$WORK/phone.log")
sleep 2.2
check "the phone's pings still come from the VIP only, now sent by node 2 (vip_src_sent $v2 -> $(dpstat 2 vip_src_sent), $n -> $(grep -c '^req .* OPTIONS' "$WORK/phone.log") pings)" \
	bash -c "[ $(dpstat 2 vip_src_sent) -gt $v2 ] && [ $(grep -c '^req .* OPTIONS' "$WORK/phone.log") -gt $n ] && ! grep '^req .* OPTIONS' '$WORK/phone.log' | grep -vq '^req $VIP '"

vr2=$(pstat 2 vip_routed)
got=$(phone_bye 3)
check "after the move the dialog's next BYE reaches the phone from the VIP, sent by node 2 ($got)" \
	test "$got" = "req $VIP BYE req $VIP BYE "
check "... node 2 took its own Route and the VIP's (vip_routed $vr2 -> $(pstat 2 vip_routed))" \
	test "$(pstat 2 vip_routed)" -gt "$vr2"

# ---- failover: kill -9 the holder ----
t0=$(now_ms)
kill9_node 2
out=$(reg 10 carol)
dt=$(( $(now_ms) - t0 ))
echo "failover: the VIP answered a REGISTER $dt ms after kill -9 of its holder (node_timeout_ms 900)"
check "holder killed: a REGISTER to the VIP is answered 200 from $VIP again ($out, $dt ms after the kill)" \
	bash -c "[[ '$out' == '200 $VIP '* ]]"
m=$(vip_mac)
check "node 1 (the best survivor) holds it: the client's entry is node 1's MAC ($m)" test "$m" = "$(mac_of 1)"

# ---- keepalived's notify script moves it (MASTER on node 3) ----
t0=$(now_ms)
SIPSHARDCTL="$BUILD/sipshardctl" SIPSHARD_SOCKET="$WORK/n3.sock" SIPSHARD_TAG=service/1 \
	"$ROOT/scripts/keepalived-notify.sh" INSTANCE sipshard_service1 MASTER 100 2>/dev/null
rc=$?
m=""
while [ $(( $(now_ms) - t0 )) -lt 3000 ]; do
	m=$(vip_mac)
	[ "$m" = "$(mac_of 3)" ] && break
	sleep 0.02
done
check "keepalived-notify.sh MASTER on node 3 claims the tag and the VIP follows ($rc, $m)" \
	test "$rc" = 0 -a "$m" = "$(mac_of 3)"
SIPSHARDCTL="$BUILD/sipshardctl" SIPSHARD_SOCKET="$WORK/n1.sock" \
	"$ROOT/scripts/keepalived-notify.sh" INSTANCE sipshard_service1 BACKUP 90 2>/dev/null
v=$(ctl 3 --json tags | grep -o '"state":"[a-z]*"' | head -1)
check "keepalived-notify.sh BACKUP leaves the tag where it is ($v on node 3)" test "$v" = '"state":"active"'
exit 0
