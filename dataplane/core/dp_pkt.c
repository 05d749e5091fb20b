/* SPDX-License-Identifier: BSD-3-Clause */
/* L2-L4 classification and in-place replies (ARP, ICMP, ND, ICMPv6). See dp_pkt.h. */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_udp.h>

#include "dataplane/core/dp_cgate.h"
#include "dataplane/core/dp_cksum.h"
#include "dataplane/core/dp_neigh.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_vip.h"

#define ICMP6_ECHO_REQUEST   128
#define ICMP6_ECHO_REPLY     129
#define ND_NS_LEN            24                       /* type..target, no options */
#define ETH_LEN              ((uint32_t)sizeof(struct rte_ether_hdr))
#define IP6_LEN              ((uint32_t)sizeof(struct rte_ipv6_hdr))

/* ---- worker lcore ---- */

static inline enum dp_pkt_action
drop(struct dp_lcore *lc, enum dp_drop reason)
{
	lc->stats.drop[reason]++;
	return DP_PKT_DROP;
}

static void
swap_eth(struct rte_ether_hdr *eth, const struct dp_port *port)
{
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
}

/* Make the packet exactly len bytes (single segment: small control replies). */
static int
set_len(struct rte_mbuf *m, uint32_t len)
{
	if (m->pkt_len > len)
		return rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - len));
	if (m->pkt_len < len && rte_pktmbuf_append(m, (uint16_t)(len - m->pkt_len)) == NULL)
		return -ENOSPC;
	return 0;
}

/* The reassembly table gave back n fragments (n may be -1 as unsigned: one more
 * held). Never below 0 (a fragment of several segments counts once). */
static void
frag_held_sub(struct dp_lcore *lc, uint32_t n)
{
	int64_t held = (int64_t)lc->frag_held - (int32_t)n;

	lc->frag_held = held < 0 ? 0 : (uint32_t)held;
}

/* An ARP packet whose sender we learnt: shared with the other lcores (dp_egress_fanout). */
static enum dp_pkt_action
arp_learnt(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t pidx, const struct rte_arp_hdr *arp,
	   enum dp_neigh_how how)
{
	struct dp_pkt_info *info = dp_pkt_info_of(m);

	/* Shared even when refused here: another lcore may be the one that asked. */
	dp_neigh_learn(lc, pidx, arp->arp_data.arp_sip, &arp->arp_data.arp_sha, how);
	memset(info, 0, sizeof(*info));
	info->port_idx = (uint8_t)pidx;
	return DP_PKT_NEIGH;
}

static enum dp_pkt_action
arp_input(struct dp_lcore *lc, const struct dp_port *port, struct rte_mbuf *m,
	  struct rte_ether_hdr *eth)
{
	uint16_t pidx = lc->ctx->port_idx[m->port];
	struct rte_arp_hdr *arp;
	rte_be32_t sip, ours;
	int vip;

	if (m->data_len < ETH_LEN + sizeof(*arp))
		return drop(lc, DP_DROP_ARP_MALFORMED);
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		return drop(lc, DP_DROP_ARP_MALFORMED);
	if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) && port->ipv4 != 0 &&
	    arp->arp_data.arp_tip == port->ipv4)
		return arp_learnt(lc, m, pidx, arp, DP_NEIGH_REPLY);
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		return drop(lc, DP_DROP_ARP_OPCODE);
	ours = arp->arp_data.arp_tip;
	vip = 0;
	if (port->ipv4 == 0 || ours != port->ipv4) {
		vip = dp_vip_find(lc, pidx, ours);
		if (vip < 0)
			return drop(lc, DP_DROP_ARP_NOT_OURS);
		if (vip == 0 && arp->arp_data.arp_sip == ours)   /* its new holder's announcement */
			return arp_learnt(lc, m, pidx, arp, DP_NEIGH_ANNOUNCE);
		if (vip == 0)
			return drop(lc, DP_DROP_VIP_NOT_HELD);
		if (arp->arp_data.arp_sip == ours)   /* another node announcing our VIP */
			return drop(lc, DP_DROP_ARP_GRATUITOUS);
	}
	dp_neigh_learn(lc, pidx, arp->arp_data.arp_sip, &arp->arp_data.arp_sha, DP_NEIGH_SEEN);

	sip = arp->arp_data.arp_sip;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &arp->arp_data.arp_tha);
	rte_ether_addr_copy(&port->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_tip = sip;
	arp->arp_data.arp_sip = ours;
	rte_ether_addr_copy(&arp->arp_data.arp_tha, &eth->dst_addr);
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	if (set_len(m, ETH_LEN + sizeof(*arp)) != 0)
		return drop(lc, DP_DROP_ARP_MALFORMED);
	DP_STAT_INC(&lc->stats, arp_replies);
	if (vip > 0)
		DP_STAT_INC(&lc->stats, arp_vip_answered);
	return DP_PKT_REPLY;
}

static enum dp_pkt_action
icmp4_input(struct dp_lcore *lc, const struct dp_port *port, struct rte_mbuf *m,
	    struct rte_ether_hdr *eth, struct rte_ipv4_hdr *ip, uint32_t ihl, uint32_t tot)
{
	struct rte_icmp_hdr *icmp;
	uint32_t len = tot - ihl;
	rte_be32_t ours = ip->dst_addr;     /* the port's address or a VIP held here */
	uint16_t ck;

	if (m->nb_segs != 1 || len < sizeof(*icmp))
		return drop(lc, DP_DROP_ICMP_SHORT);
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (rte_raw_cksum(icmp, len) != 0xffff)
		return drop(lc, DP_DROP_ICMP_CKSUM);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return drop(lc, DP_DROP_ICMP_TYPE);

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	ck = (uint16_t)~rte_raw_cksum(icmp, len);
	icmp->icmp_cksum = ck;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = ours;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	swap_eth(eth, port);
	DP_STAT_INC(&lc->stats, icmp_echo_replies);
	return DP_PKT_REPLY;
}

static void
fill_info(struct rte_mbuf *m, const struct dp_lcore *lc, uint8_t family,
	  const void *src, const void *dst, const struct rte_udp_hdr *udp,
	  uint32_t payload_off, uint32_t payload_len)
{
	struct dp_pkt_info *info = dp_pkt_info_of(m);
	size_t alen = family == 4 ? 4 : 16;

	memset(info, 0, sizeof(*info));
	info->family = family;
	info->port_idx = lc->ctx->port_idx[m->port];
	info->src_port = rte_be_to_cpu_16(udp->src_port);
	info->dst_port = rte_be_to_cpu_16(udp->dst_port);
	info->payload_off = payload_off;
	info->payload_len = payload_len;
	memcpy(info->src, src, alen);
	memcpy(info->dst, dst, alen);
}

/* UDP after its IP header was validated. udp_len = IP payload length. */
static enum dp_pkt_action
udp_dispatch(struct dp_lcore *lc, struct rte_mbuf *m, const struct rte_udp_hdr *udp,
	     uint32_t l4_off, uint32_t udp_len, uint8_t family, const void *src, const void *dst)
{
	const struct dp_ctx *ctx = lc->ctx;
	uint32_t plen = udp_len - (uint32_t)sizeof(*udp);

	if (udp->dst_port == ctx->sip_port) {
		if (plen == 0)
			return drop(lc, DP_DROP_SIP_EMPTY);
		fill_info(m, lc, family, src, dst, udp, l4_off + (uint32_t)sizeof(*udp), plen);
		DP_STAT_INC(&lc->stats, sip_rx);
		DP_STAT_ADD(&lc->stats, sip_rx_bytes, plen);
		return DP_PKT_SIP;
	}
	if (ctx->cluster_port != 0 && udp->dst_port == ctx->cluster_port) {
		int why;

		if (ctx->port_idx[m->port] != ctx->cluster_port_idx)
			return drop(lc, DP_DROP_CLUSTER_WRONG_PORT);
		if ((why = dp_cgate_admit(lc, family, src)) != 0)
			return drop(lc, (enum dp_drop)why);
		fill_info(m, lc, family, src, dst, udp, l4_off + (uint32_t)sizeof(*udp), plen);
		return DP_PKT_CLUSTER;
	}
	return drop(lc, DP_DROP_UDP_PORT);
}

static enum dp_pkt_action
udp4_input(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	   uint32_t ihl, uint32_t tot)
{
	uint32_t l4_off = ETH_LEN + ihl, udp_len = tot - ihl;
	const struct rte_udp_hdr *udp;
	struct rte_udp_hdr copy;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (udp_len < sizeof(*udp))
		return drop(lc, DP_DROP_UDP_SHORT);
	/* A reassembled datagram may have its UDP header in a later segment. */
	udp = rte_pktmbuf_read(m, l4_off, sizeof(*udp), &copy);
	if (udp == NULL)
		return drop(lc, DP_DROP_UDP_SHORT);
	if (rte_be_to_cpu_16(udp->dgram_len) != udp_len)
		return drop(lc, DP_DROP_UDP_LENGTH);
	if (udp->dgram_cksum != 0 && l4 != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		int bad = (m->nb_segs == 1 && udp != &copy) ? dp_ipv4_udp_cksum_verify(ip, udp)
					  : rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, (uint16_t)l4_off);
		if (bad)
			return drop(lc, DP_DROP_UDP_CKSUM);
	}
	return udp_dispatch(lc, m, udp, l4_off, udp_len, 4, &ip->src_addr, &ip->dst_addr);
}

static enum dp_pkt_action
ipv4_input(struct dp_lcore *lc, const struct dp_port *port, struct rte_mbuf **mp,
	   struct rte_ether_hdr *eth, uint64_t now_tsc)
{
	struct rte_mbuf *m = *mp;
	struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot;
	uint64_t l3 = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (m->data_len < ETH_LEN + sizeof(*ip))
		return drop(lc, DP_DROP_IP4_SHORT);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip))
		return drop(lc, DP_DROP_IP4_VERSION);
	if (m->data_len < ETH_LEN + ihl)
		return drop(lc, DP_DROP_IP4_SHORT);
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || ETH_LEN + tot > m->pkt_len)
		return drop(lc, DP_DROP_IP4_LENGTH);
	if (l3 != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_raw_cksum(ip, ihl) != 0xffff)
		return drop(lc, DP_DROP_IP4_CKSUM);
	if (port->ipv4 == 0 || ip->dst_addr != port->ipv4) {
		int vip = dp_vip_find(lc, lc->ctx->port_idx[m->port], ip->dst_addr);

		if (vip < 0)
			return drop(lc, DP_DROP_IP4_NOT_OURS);
		if (vip == 0)
			return drop(lc, DP_DROP_VIP_NOT_HELD);
	}
	if (((ip->src_addr ^ port->ipv4) & port->ipv4_mask) == 0)   /* on-link sender */
		dp_neigh_learn(lc, lc->ctx->port_idx[m->port], ip->src_addr, &eth->src_addr,
			       DP_NEIGH_SEEN);
	if (m->pkt_len > ETH_LEN + tot)   /* Ethernet padding */
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ETH_LEN - tot));

	if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
		struct rte_ip_frag_death_row *dr = &lc->death_row;
		uint32_t before = dr->cnt;
		struct rte_mbuf *whole;

		DP_STAT_INC(&lc->stats, frag_rx);
		if (ip->next_proto_id != IPPROTO_UDP)
			return drop(lc, DP_DROP_FRAG_NOT_UDP);
		/* Never-completed datagrams may not hold more of the pool than the
		 * budget (dp_types.h): a flood of fragments is dropped here, RX goes on. */
		if (lc->frag_held >= lc->frag_budget)
			return drop(lc, DP_DROP_FRAG_OVER_BUDGET);
		m->l2_len = ETH_LEN;
		m->l3_len = ihl;
		whole = rte_ipv4_frag_reassemble_packet(lc->frag_tbl, dr, m, now_tsc, ip);
		/* held: + this one, - what went to the death row, - a completed datagram's. */
		frag_held_sub(lc, dr->cnt - before + (whole != NULL ? whole->nb_segs : 0u) - 1u);
		if (whole == NULL) {
			/* Held in the table, or freed to the death row with its flow. */
			lc->stats.drop[DP_DROP_FRAG_FAILED] += dr->cnt - before;
			return DP_PKT_HELD;
		}
		DP_STAT_INC(&lc->stats, frag_reassembled);
		*mp = m = whole;
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_LEN);
		ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
		tot = rte_be_to_cpu_16(ip->total_length);
		if (ETH_LEN + tot != m->pkt_len)
			return drop(lc, DP_DROP_IP4_LENGTH);
		return udp4_input(lc, m, ip, ihl, tot);
	}

	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		return icmp4_input(lc, port, m, eth, ip, ihl, tot);
	case IPPROTO_UDP:
		return udp4_input(lc, m, ip, ihl, tot);
	default:
		return drop(lc, DP_DROP_IP4_PROTO);
	}
}

static bool
ipv6_is_ours(const struct dp_port *port, const uint8_t a[16])
{
	return memcmp(a, port->ipv6, 16) == 0 || memcmp(a, port->ipv6_ll, 16) == 0;
}

/* a is link-local (fe80::/10) or inside the port's prefix. */
static bool
ipv6_on_link(const struct dp_port *port, const uint8_t a[16])
{
	unsigned int whole = port->ipv6_prefix / 8, rest = port->ipv6_prefix % 8;

	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	if (port->ipv6_prefix == 0 || memcmp(a, port->ipv6, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ port->ipv6[whole]) & (0xffu << (8 - rest)) & 0xff) == 0;
}

/* The target of an ND message (icmp + 8) is multicast. */
static inline bool
target_multicast(const uint8_t *icmp)
{
	return icmp[8] == 0xff;
}

static bool
ipv6_dst_served(const struct dp_port *port, const uint8_t a[16])
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
	uint8_t sn[16];

	if (ipv6_is_ours(port, a) || memcmp(a, all_nodes, 16) == 0)
		return true;
	dp_pkt_ipv6_solicited(sn, port->ipv6);
	if (memcmp(a, sn, 16) == 0)
		return true;
	dp_pkt_ipv6_solicited(sn, port->ipv6_ll);
	return memcmp(a, sn, 16) == 0;
}

/* The link-layer address option of type `type` (1 source, 2 target) among the
 * options of an ND message (from icmp + 24 to icmp + len): 0 with *mac, or
 * -ENOENT; -EINVAL when the options are malformed (RFC 4861 §4.6: a length 0). */
static int
nd_lladdr(const uint8_t *icmp, uint32_t len, uint8_t type, struct rte_ether_addr *mac)
{
	uint32_t off = 24;

	while (off + 2 <= len) {
		uint32_t olen = (uint32_t)icmp[off + 1] * 8;

		if (olen == 0 || off + olen > len)
			return -EINVAL;
		if (icmp[off] == type && olen >= 2 + RTE_ETHER_ADDR_LEN) {
			memcpy(mac->addr_bytes, icmp + off + 2, RTE_ETHER_ADDR_LEN);
			return 0;
		}
		off += olen;
	}
	return -ENOENT;
}

/* A neighbour advertisement (RFC 4861 §7.2.5): its target's link-layer address
 * learnt as an answer (taken only when this lcore asked, for a known neighbour:
 * dp_neigh_learn_key), then shared with the other lcores (one of them may be
 * the one that asked): info->src the target, info->dst its MAC. */
static enum dp_pkt_action
na_input(struct dp_lcore *lc, struct rte_mbuf *m, const struct rte_ipv6_hdr *ip6,
	 const uint8_t *icmp, uint32_t len)
{
	uint16_t pidx = lc->ctx->port_idx[m->port];
	struct dp_pkt_info *info = dp_pkt_info_of(m);
	enum dp_neigh_how how = DP_NEIGH_REPLY;
	struct rte_ether_addr mac;
	uint8_t target[16];
	int vip;

	if (ip6->hop_limits != 255 || icmp[1] != 0 || len < ND_NS_LEN || target_multicast(icmp))
		return drop(lc, DP_DROP_ND_INVALID);
	if (nd_lladdr(icmp, len, DP_PKT_ND_OPT_TARGET_LLADDR, &mac) != 0)
		return drop(lc, DP_DROP_ND_INVALID);   /* none: not an answer to a multicast NS */
	memcpy(target, icmp + 8, 16);
	/* A VIP's holder announcing it (dp_vip.h): learnt as the gratuitous ARP is;
	 * another node announcing a VIP we hold is not. */
	vip = dp_vip_find6(lc, pidx, target);
	if (vip > 0)
		return drop(lc, DP_DROP_ND_VIP_HELD);
	if (vip == 0)
		how = DP_NEIGH_ANNOUNCE;
	DP_STAT_INC(&lc->stats, nd_learnt);
	dp_neigh_learn_key(lc, pidx, target, &mac, how);
	memset(info, 0, sizeof(*info));
	info->family = 6;
	info->port_idx = (uint8_t)pidx;
	info->neigh_how = (uint8_t)how;
	memcpy(info->src, target, 16);
	memcpy(info->dst, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	return DP_PKT_NEIGH;
}

static enum dp_pkt_action
nd_input(struct dp_lcore *lc, const struct dp_port *port, struct rte_mbuf *m,
	 struct rte_ether_hdr *eth, struct rte_ipv6_hdr *ip6, uint8_t *icmp, uint32_t len)
{
	static const uint8_t unspecified[16];
	uint16_t pidx = lc->ctx->port_idx[m->port];
	struct rte_ether_addr sender;
	uint8_t target[16];
	int vip = -1;

	if (ip6->hop_limits != 255 || icmp[1] != 0 || len < ND_NS_LEN)
		return drop(lc, DP_DROP_ND_INVALID);
	memcpy(target, icmp + 8, 16);
	if (!ipv6_is_ours(port, target)) {
		vip = dp_vip_find6(lc, pidx, target);
		if (vip < 0)
			return drop(lc, DP_DROP_ND_NOT_OURS);
		if (vip == 0)   /* its tag is active on another node: never answered here */
			return drop(lc, DP_DROP_VIP_NOT_HELD);
	}
	if (memcmp(ip6->src_addr, unspecified, 16) == 0)
		return drop(lc, DP_DROP_ND_DAD);
	/* the asker, as seen (RFC 4861 §7.2.3): it is about to talk to us */
	if (nd_lladdr(icmp, len, DP_PKT_ND_OPT_SRC_LLADDR, &sender) == 0)
		dp_neigh_learn_key(lc, pidx, ip6->src_addr, &sender, DP_NEIGH_SEEN);

	if (set_len(m, ETH_LEN + IP6_LEN + DP_PKT_ND_LEN) != 0)
		return drop(lc, DP_DROP_ND_INVALID);
	memcpy(ip6->dst_addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, target, 16);
	dp_pkt_nd_fill(ip6, DP_PKT_ND_NA, DP_PKT_ND_NA_SOLICITED | DP_PKT_ND_NA_OVERRIDE, target,
		       DP_PKT_ND_OPT_TARGET_LLADDR, &port->mac);
	swap_eth(eth, port);
	DP_STAT_INC(&lc->stats, nd_replies);
	if (vip > 0)
		DP_STAT_INC(&lc->stats, nd_vip_answered);
	return DP_PKT_REPLY;
}

/* local: the destination is our unicast address (the port's or a VIP held here). */
static enum dp_pkt_action
icmp6_input(struct dp_lcore *lc, const struct dp_port *port, struct rte_mbuf *m,
	    struct rte_ether_hdr *eth, struct rte_ipv6_hdr *ip6, uint32_t len, bool local)
{
	uint8_t *icmp = (uint8_t *)(ip6 + 1);

	if (len < 8)
		return drop(lc, DP_DROP_ICMP6_SHORT);
	if (rte_ipv6_udptcp_cksum_verify(ip6, icmp) != 0)
		return drop(lc, DP_DROP_ICMP6_CKSUM);
	if (icmp[0] == DP_PKT_ND_NS)
		return nd_input(lc, port, m, eth, ip6, icmp, len);
	if (icmp[0] == DP_PKT_ND_NA)
		return na_input(lc, m, ip6, icmp, len);
	if (icmp[0] != ICMP6_ECHO_REQUEST || icmp[1] != 0 || !local)
		return drop(lc, DP_DROP_ICMP6_TYPE);

	icmp[0] = ICMP6_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	{
		uint8_t ours[16];

		memcpy(ours, ip6->dst_addr, 16);
		memcpy(ip6->dst_addr, ip6->src_addr, 16);
		memcpy(ip6->src_addr, ours, 16);
	}
	ip6->hop_limits = 64;
	memcpy(icmp + 2, &(uint16_t){ rte_ipv6_udptcp_cksum(ip6, icmp) }, 2);
	swap_eth(eth, port);
	DP_STAT_INC(&lc->stats, icmp6_echo_replies);
	return DP_PKT_REPLY;
}

static enum dp_pkt_action
ipv6_input(struct dp_lcore *lc, const struct dp_port *port, struct rte_mbuf *m,
	   struct rte_ether_hdr *eth)
{
	uint16_t pidx = lc->ctx->port_idx[m->port];
	struct rte_ipv6_hdr *ip6;
	uint32_t plen;
	bool local;
	int vip;

	if (!port->has_ipv6)
		return drop(lc, DP_DROP_IP6_DISABLED);
	if (m->data_len < ETH_LEN + IP6_LEN)
		return drop(lc, DP_DROP_IP6_SHORT);
	ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)
		return drop(lc, DP_DROP_IP6_SHORT);
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (ETH_LEN + IP6_LEN + plen > m->data_len)
		return drop(lc, DP_DROP_IP6_LENGTH);
	/* Ours: the port's addresses, a VIP held here, and the multicast groups of
	 * both (a VIP held elsewhere: its solicitations are counted by nd_input). */
	local = ipv6_is_ours(port, ip6->dst_addr);
	vip = local ? -1 : dp_vip_find6(lc, pidx, ip6->dst_addr);
	if (vip == 0)
		return drop(lc, DP_DROP_VIP_NOT_HELD);
	local = local || vip > 0;
	if (!local && !ipv6_dst_served(port, ip6->dst_addr) &&
	    !dp_vip_solicited6(lc, pidx, ip6->dst_addr))
		return drop(lc, DP_DROP_IP6_NOT_OURS);
	if (m->pkt_len > ETH_LEN + IP6_LEN + plen)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ETH_LEN - IP6_LEN - plen));

	if (ip6->proto == IPPROTO_ICMPV6)
		return icmp6_input(lc, port, m, eth, ip6, plen, local);
	if (ip6->proto == IPPROTO_UDP) {
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip6 + 1);
		uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		if (plen < sizeof(*udp))
			return drop(lc, DP_DROP_UDP_SHORT);
		if (rte_be_to_cpu_16(udp->dgram_len) != plen)
			return drop(lc, DP_DROP_UDP_LENGTH);
		if (!local)
			return drop(lc, DP_DROP_IP6_NOT_OURS);
		if (udp->dgram_cksum == 0 ||
		    (l4 != RTE_MBUF_F_RX_L4_CKSUM_GOOD && dp_ipv6_udp_cksum_verify(ip6, udp) != 0))
			return drop(lc, DP_DROP_UDP_CKSUM);
		if (ipv6_on_link(port, ip6->src_addr))   /* on-link sender */
			dp_neigh_learn_key(lc, pidx, ip6->src_addr, &eth->src_addr, DP_NEIGH_SEEN);
		return udp_dispatch(lc, m, udp, ETH_LEN + IP6_LEN, plen, 6,
				    ip6->src_addr, ip6->dst_addr);
	}
	return drop(lc, DP_DROP_IP6_NEXTHDR);
}

enum dp_pkt_action
dp_pkt_classify(struct dp_lcore *lc, struct rte_mbuf **mp, uint64_t now_tsc)
{
	struct rte_mbuf *m = *mp;
	const struct dp_ctx *ctx = lc->ctx;
	const struct dp_port *port = &ctx->ports[ctx->port_idx[m->port]];
	struct rte_ether_hdr *eth;
	const uint8_t *d;

	if (m->data_len < ETH_LEN)
		return drop(lc, DP_DROP_L2_SHORT);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	d = eth->dst_addr.addr_bytes;
	if (!rte_is_same_ether_addr(&eth->dst_addr, &port->mac) &&
	    !rte_is_broadcast_ether_addr(&eth->dst_addr) &&
	    !(port->has_ipv6 && d[0] == 0x33 && d[1] == 0x33))
		return drop(lc, DP_DROP_L2_NOT_OURS);

	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return arp_input(lc, port, m, eth);
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return ipv4_input(lc, port, mp, eth, now_tsc);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return ipv6_input(lc, port, m, eth);
	case RTE_BE16(RTE_ETHER_TYPE_VLAN):
	case RTE_BE16(RTE_ETHER_TYPE_QINQ):
		return drop(lc, DP_DROP_L2_VLAN);
	default:
		return drop(lc, DP_DROP_L2_ETHERTYPE);
	}
}

const uint8_t *
dp_pkt_payload(struct dp_lcore *lc, const struct rte_mbuf *m, const struct dp_pkt_info *info)
{
	return rte_pktmbuf_read(m, info->payload_off, info->payload_len, lc->scratch);
}

void
dp_pkt_frag_housekeep(struct dp_lcore *lc, uint64_t now_tsc)
{
	struct rte_ip_frag_death_row *dr = &lc->death_row;

	if (now_tsc >= lc->frag_next_expire) {
		uint32_t before = dr->cnt;

		rte_ip_frag_table_del_expired_entries(lc->frag_tbl, dr, now_tsc);
		lc->stats.drop[DP_DROP_FRAG_TIMEOUT] += dr->cnt - before;
		frag_held_sub(lc, dr->cnt - before);
		lc->frag_next_expire = now_tsc + rte_get_tsc_hz() / 10;
	}
	if (dr->cnt != 0)
		rte_ip_frag_free_death_row(dr, 3);
}

/* ---- main thread, before the lcores start ---- */

int
dp_pkt_frag_init(struct dp_lcore *lc, uint32_t max_flows, uint32_t timeout_ms, int socket)
{
	uint64_t cycles = rte_get_tsc_hz() / 1000 * timeout_ms;

	/* Buckets of 8 entries (RTE_IP_FRAG_ASSOCIATIVITY style), max_flows entries. */
	lc->frag_tbl = rte_ip_frag_table_create(RTE_MAX(max_flows / 8, 1u), 8, max_flows,
						 cycles, socket);
	if (lc->frag_tbl == NULL)
		return -ENOMEM;
	lc->death_row.cnt = 0;
	lc->frag_next_expire = 0;
	lc->frag_held = 0;
	lc->frag_budget = DP_FRAG_BUDGET(max_flows);
	return 0;
}

void
dp_pkt_frag_fini(struct dp_lcore *lc)
{
	if (lc->frag_tbl != NULL) {
		rte_ip_frag_table_destroy(lc->frag_tbl);
		lc->frag_tbl = NULL;
	}
	rte_ip_frag_free_death_row(&lc->death_row, 0);
}

void
dp_pkt_nd_fill(struct rte_ipv6_hdr *ip6, uint8_t type, rte_be32_t flags, const uint8_t target[16],
	       uint8_t opt, const struct rte_ether_addr *mac)
{
	uint8_t *icmp = (uint8_t *)(ip6 + 1);
	uint8_t t[16];
	uint16_t ck;

	memcpy(t, target, 16);                  /* target may be in the message itself */
	ip6->payload_len = rte_cpu_to_be_16(DP_PKT_ND_LEN);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memset(icmp, 0, DP_PKT_ND_LEN);
	icmp[0] = type;
	memcpy(icmp + 4, &flags, 4);
	memcpy(icmp + 8, t, 16);
	icmp[24] = opt;
	icmp[25] = 1;                           /* length in units of 8 octets */
	memcpy(icmp + 26, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	ck = rte_ipv6_udptcp_cksum(ip6, icmp);
	memcpy(icmp + 2, &ck, 2);
}

void
dp_pkt_ipv6_solicited(uint8_t out[16], const uint8_t addr[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(out, prefix, 13);
	memcpy(out + 13, addr + 13, 3);
}
