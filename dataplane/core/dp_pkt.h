/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2-L4 classification of received frames (the first stage of every worker).
 *
 * dp_pkt_classify() looks at one frame, never reading past its data, and decides:
 * answer it in place (ARP request, ICMP/ICMPv6 echo, IPv6 neighbour solicitation
 * for our addresses), hand its UDP payload on (SIP port, cluster port), keep it
 * (an IPv4 fragment waiting for the rest of its datagram, rte_ip_frag), or drop it
 * for one counted reason (dp_stats.h). Runs on the lcore that received the frame
 * and writes only that lcore's counters and reassembly table. For SIP and cluster
 * packets the payload position and the sender are stored in the mbuf's private
 * area (dp_pkt_info_of(), dp_mbuf.h), so the packet can cross to another lcore
 * with them. Neighbours are learnt here (dp_neigh_learn: senders on the port's
 * subnet, ARP requests and replies for us); dp_neigh never calls back into
 * dp_pkt, and in-place replies are sent by the caller through dp_egress.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_PKT_H
#define SIPSHARD_DATAPLANE_CORE_DP_PKT_H

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_types.h"

/* Classify *mp (received on ctx port m->port) at time now_tsc. On DP_PKT_SIP and
 * DP_PKT_CLUSTER *mp may be a reassembled (multi-segment) datagram replacing the
 * fragment passed in. The caller sends DP_PKT_REPLY on the same port, frees
 * DP_PKT_DROP, and forgets DP_PKT_HELD. */
enum dp_pkt_action dp_pkt_classify(struct dp_lcore *lc, struct rte_mbuf **mp, uint64_t now_tsc);

/* Contiguous view of the UDP payload described by info: a pointer into the mbuf
 * when the payload is in one segment, else a copy in lc->scratch. */
const uint8_t *dp_pkt_payload(struct dp_lcore *lc, const struct rte_mbuf *m,
			      const struct dp_pkt_info *info);

/* Reassembly table of one lcore (bounded by dataplane.frag_max_flows). */
int dp_pkt_frag_init(struct dp_lcore *lc, uint32_t max_flows, uint32_t timeout_ms, int socket);
void dp_pkt_frag_fini(struct dp_lcore *lc);
/* Frees expired fragments (counted FRAG_TIMEOUT) and the death row. */
void dp_pkt_frag_housekeep(struct dp_lcore *lc, uint64_t now_tsc);

/* Neighbour discovery (RFC 4861 §4.3, §4.4): message types, NA flags, options. */
#define DP_PKT_ND_NS                135
#define DP_PKT_ND_NA                136
#define DP_PKT_ND_NA_SOLICITED      RTE_BE32(0x40000000)
#define DP_PKT_ND_NA_OVERRIDE       RTE_BE32(0x20000000)
#define DP_PKT_ND_OPT_SRC_LLADDR    1
#define DP_PKT_ND_OPT_TARGET_LLADDR 2
#define DP_PKT_ND_LEN               32   /* type..target (24), one link-layer option (8) */

/* The one ND message builder (our solicitations, advertisements in answer and
 * unsolicited ones): after ip6, whose addresses and version are set, writes a
 * message of type with flags (the NA flags; 0 for an NS), target, and the
 * link-layer address option opt holding mac; sets the payload length, next
 * header, hop limit 255 and the checksum. DP_PKT_ND_LEN bytes must follow ip6. */
void dp_pkt_nd_fill(struct rte_ipv6_hdr *ip6, uint8_t type, rte_be32_t flags,
		    const uint8_t target[16], uint8_t opt, const struct rte_ether_addr *mac);

/* IPv6 solicited-node multicast address of addr (ff02::1:ffXX:XXXX). */
void dp_pkt_ipv6_solicited(uint8_t out[16], const uint8_t addr[16]);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_PKT_H */
