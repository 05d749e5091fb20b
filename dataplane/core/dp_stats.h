/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-lcore counters of the dataplane.
 *
 * Every lcore that touches packets (each worker, and the main lcore when it polls
 * the control queue) owns one `struct dp_stats`, written only by that lcore with
 * plain stores; readers (telemetry, the control plane) sum the copies and accept
 * a value a few packets old. A packet that is not answered, handed on or sent is
 * dropped for exactly one named reason: DP_FOREACH_DROP below generates the enum
 * and the names, so adding a reason is one line.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_STATS_H
#define SIPSHARD_DATAPLANE_CORE_DP_STATS_H

#include <stdint.h>
#include <rte_common.h>

#include "dataplane/sip/sip_types.h"

#define DP_FOREACH_DROP(X) \
	X(L2_SHORT,          "frame shorter than an Ethernet header") \
	X(L2_NOT_OURS,       "destination MAC is not ours, broadcast, or IPv6 multicast we serve") \
	X(L2_VLAN,           "VLAN-tagged frame (no VLAN configured)") \
	X(L2_ETHERTYPE,      "EtherType not ARP, IPv4 or IPv6") \
	X(ARP_MALFORMED,     "ARP packet too short or not Ethernet/IPv4") \
	X(ARP_OPCODE,        "ARP reply not for us, or unknown opcode") \
	X(ARP_NOT_OURS,      "ARP request for an address that is not ours") \
	X(ARP_GRATUITOUS,    "gratuitous ARP request (sender = target) for a VIP: not answered") \
	X(VIP_NOT_HELD,      "ARP request, neighbour solicitation or IP packet for a VIP whose tag another node holds") \
	X(IP4_SHORT,         "IPv4 header truncated") \
	X(IP4_VERSION,       "IPv4 version or header length invalid") \
	X(IP4_LENGTH,        "IPv4 total length inconsistent with the frame") \
	X(IP4_CKSUM,         "IPv4 header checksum wrong") \
	X(IP4_NOT_OURS,      "IPv4 destination is not our address") \
	X(IP4_PROTO,         "IPv4 protocol other than ICMP/UDP") \
	X(FRAG_NOT_UDP,      "IPv4 fragment of a datagram that is not UDP") \
	X(FRAG_FAILED,       "fragment freed by reassembly (overlap, too many, table full)") \
	X(FRAG_OVER_BUDGET,  "fragment dropped: this lcore's reassembly already holds its share of the pool") \
	X(FRAG_TIMEOUT,      "fragment freed after the reassembly timeout") \
	X(ICMP_SHORT,        "ICMP message truncated") \
	X(ICMP_CKSUM,        "ICMP checksum wrong") \
	X(ICMP_TYPE,         "ICMP type other than echo request") \
	X(IP6_DISABLED,      "IPv6 packet on a port without an IPv6 address") \
	X(IP6_SHORT,         "IPv6 header truncated or version not 6") \
	X(IP6_LENGTH,        "IPv6 payload length inconsistent with the frame") \
	X(IP6_NOT_OURS,      "IPv6 destination is not an address we serve") \
	X(IP6_NEXTHDR,       "IPv6 next header other than ICMPv6/UDP (no extension headers)") \
	X(ICMP6_SHORT,       "ICMPv6 message truncated") \
	X(ICMP6_CKSUM,       "ICMPv6 checksum wrong") \
	X(ICMP6_TYPE,        "ICMPv6 type we do not answer") \
	X(ND_INVALID,        "neighbour solicitation invalid (hop limit, code, length)") \
	X(ND_NOT_OURS,       "neighbour solicitation for a target that is not ours") \
	X(ND_DAD,            "duplicate address detection probe (unspecified source)") \
	X(ND_VIP_HELD,       "neighbour advertisement for an IPv6 VIP held here (another node announcing it): not learnt") \
	X(UDP_SHORT,         "UDP header truncated") \
	X(UDP_LENGTH,        "UDP length inconsistent with the IP payload") \
	X(UDP_CKSUM,         "UDP checksum wrong (or zero over IPv6)") \
	X(UDP_PORT,          "UDP to a port we do not serve") \
	X(SIP_EMPTY,         "SIP datagram without payload") \
	X(RATE_LIMITED,      "SIP datagram from a source over its limits (per_source_pps, burst): blocked for block_s") \
	X(SIP_INVALID,       "SIP message rejected by the parser (see sip_invalid by reason)") \
	X(SIP_UNHANDLED,     "valid SIP message no service on this node handles yet") \
	X(SIP_NO_REPLY,      "request that cannot be answered (no usable Via)") \
	X(SIP_REPLY_TOO_BIG, "reply larger than the reply buffer or an mbuf") \
	X(SIP_REPLY_NO_MBUF, "no mbuf for a reply that did not fit the request's") \
	X(SIP_REPLY_AMPLIFY, "reply to an unauthenticated REGISTER over 3x its size: not sent") \
	X(CLUSTER_RING_FULL, "cluster packet, control-plane ring full (no consumer)") \
	X(CLUSTER_WRONG_PORT, "cluster packet on a port other than cluster.port_index") \
	X(CLUSTER_NOT_ALLOWED, "cluster packet from a source that is no known node and not in cluster.join_from") \
	X(CLUSTER_RATE_LIMITED, "cluster packet over its source's rate (cluster.source_pps, or the newcomers' bucket)") \
	X(STEER_RING_FULL,   "inter-lcore ring full") \
	X(CP_TX_NO_QUEUE,    "control-plane frame for a port without a control queue") \
	X(CP_TX_TOO_BIG,     "control-plane datagram larger than IP or the mbuf carries") \
	X(TX_FULL,           "TX queue full") \
	X(NEIGH_MISS,        "frame for a neighbour whose MAC stayed unknown (not held, or held over 1 s)") \
	X(PROXY_DROP,        "SIP message the proxy dropped (see proxy counters by reason)") \
	X(FRAG_NO_MBUF,      "datagram over the MTU not sent: no mbuf for its fragments") \
	X(FWD_TOO_BIG,       "forwarded message larger than IP or the mbuf carries") \
	X(FWD_NO_MBUF,       "no mbuf for a forwarded message or a probe")

enum dp_drop {
#define DP_DROP_ENUM(name, help) DP_DROP_##name,
	DP_FOREACH_DROP(DP_DROP_ENUM)
#undef DP_DROP_ENUM
	DP_DROP_MAX
};

/* Counters that are not drops. Same X-macro scheme: one line per counter. */
#define DP_FOREACH_COUNTER(X) \
	X(rx_pkts,            "packets received") \
	X(rx_bytes,           "bytes received") \
	X(tx_pkts,            "packets sent") \
	X(tx_bytes,           "bytes sent") \
	X(arp_replies,        "ARP requests answered") \
	X(arp_vip_answered,   "ARP requests answered for a VIP held here (also in arp_replies)") \
	X(garp_sent,          "gratuitous ARPs sent for a VIP this node claimed") \
	X(ip_fragmented,      "datagrams we built over the port MTU, sent as IP fragments") \
	X(frags_sent,         "IP fragments sent (of ip_fragmented datagrams)") \
	X(arp_unsolicited,    "ARP replies (IPv6 neighbour advertisements) we did not ask for that would have changed a known neighbour's MAC: entry kept") \
	X(neigh_mac_kept,     "ARP requests or IPv4 packets from a known neighbour's address with another MAC: entry kept") \
	X(arp_requests,       "ARP requests sent (neighbour resolution)") \
	X(neigh_held,         "frames held while their neighbour's MAC was resolved") \
	X(neigh_released,     "held frames sent once the neighbour answered ARP") \
	X(sip_forwarded,      "SIP messages forwarded by the proxy") \
	X(probes_sent,        "OPTIONS probes sent to backend members") \
	X(icmp_echo_replies,  "ICMP echo requests answered") \
	X(nd_replies,         "IPv6 neighbour solicitations answered") \
	X(nd_requests,        "IPv6 neighbour solicitations sent (neighbour resolution)") \
	X(nd_learnt,          "IPv6 neighbour advertisements that answered us (or announced a VIP's new holder)") \
	X(nd_vip_answered,    "IPv6 neighbour solicitations answered for a VIP held here (also in nd_replies)") \
	X(una_sent,           "unsolicited neighbour advertisements sent for an IPv6 VIP this node claimed") \
	X(vip_src_sent,       "requests and pings sent from a VIP to a binding received on it") \
	X(ping_replies_relayed, "replies to another node's NAT ping (sent from a shared address) relayed to it") \
	X(ping_handover_late, "tag handovers (ownership pinging) learnt after their switch moment: caught up") \
	X(icmp6_echo_replies, "ICMPv6 echo requests answered") \
	X(frag_rx,            "IPv4 fragments received") \
	X(frag_reassembled,   "IPv4 datagrams reassembled") \
	X(sip_rx,             "SIP datagrams received") \
	X(sip_rx_bytes,       "SIP payload bytes received") \
	X(cluster_rx,         "cluster datagrams handed to the control plane") \
	X(cluster_rx_prio,    "of them topology datagrams, on the priority ring (ss_to_cp_hi)") \
	X(cp_tx_prio,         "control-plane topology datagrams taken from ss_from_cp_hi") \
	X(cp_tx_prio_ahead,   "of them sent ahead of replication datagrams waiting on ss_from_cp") \
	X(steer_out,          "packets handed to another lcore") \
	X(steer_in,           "packets received from another lcore") \
	X(idle_sleeps,        "adaptive idle back-offs") \
	X(auth_ok,            "REGISTERs whose digest credentials were valid") \
	X(auth_none,          "REGISTERs without credentials for our realm: 401") \
	X(auth_malformed,     "REGISTERs with unusable credentials (algorithm, qop, fields): 401") \
	X(auth_bad_nonce,     "REGISTERs with a nonce this cluster did not make: 401") \
	X(auth_stale,         "REGISTERs with an expired nonce: 401 stale=true") \
	X(auth_replay,        "REGISTERs with a nonce-count already used: 401") \
	X(auth_unknown_user,  "REGISTERs of a user not in the subscribers file: 403") \
	X(auth_bad_response,  "REGISTERs with a wrong digest response (wrong password): 403") \
	X(auth_user_mismatch, "REGISTERs authenticated as another user than the AoR's: 403") \
	X(auth_trusted,       "REGISTERs from auth.trusted sources, not challenged")

enum dp_counter {
#define DP_COUNTER_ENUM(name, help) DP_CNT_##name,
	DP_FOREACH_COUNTER(DP_COUNTER_ENUM)
#undef DP_COUNTER_ENUM
	DP_CNT_MAX
};

/* SIP messages by kind: requests by method (enum sip_method), responses received
 * and replies sent by class (index 1..6 = 1xx..6xx), rejects by parser verdict. */
#define DP_SIP_CLASSES 7
struct dp_sip_stats {
	uint64_t req[SIP_METHOD__COUNT];
	uint64_t resp[DP_SIP_CLASSES];
	uint64_t reply[DP_SIP_CLASSES];
	uint64_t invalid[SIP_ERR__COUNT];
};

struct dp_stats {
	uint64_t cnt[DP_CNT_MAX];
	uint64_t drop[DP_DROP_MAX];
	struct dp_sip_stats sip;
} __rte_cache_aligned;

#define DP_STAT_INC(st, name)      ((st)->cnt[DP_CNT_##name]++)
#define DP_STAT_ADD(st, name, n)   ((st)->cnt[DP_CNT_##name] += (n))
#define DP_DROP_INC(st, reason)    ((st)->drop[DP_DROP_##reason]++)

/* Lower-case names ("l2_short", "rx_pkts") and one-line help, indexed by enum. */
const char *dp_drop_name(enum dp_drop d);
const char *dp_drop_help(enum dp_drop d);
const char *dp_counter_name(enum dp_counter c);
const char *dp_counter_help(enum dp_counter c);

/* Sum N per-lcore copies into *out (readers only). */
void dp_stats_sum(struct dp_stats *out, const struct dp_stats *per_lcore, unsigned int n);

/* Total of all drop reasons. */
uint64_t dp_stats_drops(const struct dp_stats *st);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_STATS_H */
