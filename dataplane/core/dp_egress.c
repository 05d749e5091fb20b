/* SPDX-License-Identifier: BSD-3-Clause */
/* Route, next hop, the one L2-L4 builder, batched TX and steering. See dp_egress.h. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dataplane/core/dp_cksum.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_neigh.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"

#define SIP_DEFAULT_PORT 5060
#define ETH_LEN          sizeof(struct rte_ether_hdr)
#define UDP_LEN          sizeof(struct rte_udp_hdr)
#define FRAG6_LEN        sizeof(struct rte_ipv6_fragment_ext)
/* Fragments of one datagram: the largest mbuf payload (dataplane.mbuf_size at most
 * 9216 + headroom) over the smallest MTU (576, 552 bytes of data per fragment). */
#define DP_FRAG_MAX      18

/* ---- main thread ---- */

void
dp_egress_init(struct dp_lcore *lc)
{
	lc->ip_id = (uint16_t)(lc->idx * (65536u / DP_MAX_LCORES));
	memset(lc->n_tx, 0, sizeof(lc->n_tx));
	memset(lc->n_steer, 0, sizeof(lc->n_steer));
}

/* ---- worker lcore: batches ---- */

static void
tx_flush(struct dp_lcore *lc, const struct dp_port *p, struct rte_mbuf **tx, uint16_t n)
{
	uint16_t sent, i;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		bytes += tx[i]->pkt_len;
	sent = rte_eth_tx_burst(p->port_id, lc->queue, tx, n);
	for (i = sent; i < n; i++) {
		bytes -= tx[i]->pkt_len;
		rte_pktmbuf_free(tx[i]);
	}
	DP_STAT_ADD(&lc->stats, tx_pkts, sent);
	DP_STAT_ADD(&lc->stats, tx_bytes, bytes);
	lc->stats.drop[DP_DROP_TX_FULL] += (uint64_t)(n - sent);
}

void
dp_egress_tx(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf *m)
{
	if (lc->n_tx[port_idx] == DP_MAX_BURST) {
		tx_flush(lc, &lc->ctx->ports[port_idx], lc->tx[port_idx], DP_MAX_BURST);
		lc->n_tx[port_idx] = 0;
	}
	lc->tx[port_idx][lc->n_tx[port_idx]++] = m;
}

/* One burst onto the ring to lcore dst. steer_out counts the packets handed on
 * (not the neigh_only shares); their info is read before the ring publishes them. */
static void
steer_flush(struct dp_lcore *lc, uint16_t dst)
{
	struct rte_mbuf **pkts = lc->steer[dst];
	unsigned int n = lc->n_steer[dst], sent, i, handed = 0;

	lc->n_steer[dst] = 0;
	for (i = 0; i < n; i++)
		handed += !dp_pkt_info_of(pkts[i])->neigh_only;
	sent = rte_ring_sp_enqueue_burst(lc->out[dst], (void **)pkts, n, NULL);
	for (i = sent; i < n; i++) {
		handed -= !dp_pkt_info_of(pkts[i])->neigh_only;
		DP_DROP_INC(&lc->stats, STEER_RING_FULL);
		rte_pktmbuf_free(pkts[i]);
	}
	DP_STAT_ADD(&lc->stats, steer_out, handed);
}

static void
steer_queue(struct dp_lcore *lc, uint16_t dst, struct rte_mbuf *m)
{
	if (lc->n_steer[dst] == DP_MAX_BURST)
		steer_flush(lc, dst);
	lc->steer[dst][lc->n_steer[dst]++] = m;
}

void
dp_egress_steer(struct dp_lcore *lc, uint16_t dst, struct rte_mbuf *m)
{
	dp_pkt_info_of(m)->steered = 1;
	steer_queue(lc, dst, m);
}

void
dp_egress_handoff(struct dp_lcore *lc, uint16_t dst, struct rte_mbuf *m)
{
	steer_queue(lc, dst, m);
}

void
dp_egress_fanout(struct dp_lcore *lc, struct rte_mbuf *m)
{
	unsigned int nlc = lc->ctx->n_workers + 1u, j, n = 0;

	dp_pkt_info_of(m)->neigh_only = 1;
	for (j = 0; j < nlc; j++)
		if (j != lc->idx && lc->out[j] != NULL)
			n++;
	if (n == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	/* One reference per receiver; ours goes to the last one. */
	rte_mbuf_refcnt_update(m, (int16_t)(n - 1));
	for (j = 0; j < nlc; j++)
		if (j != lc->idx && lc->out[j] != NULL)
			steer_queue(lc, (uint16_t)j, m);
}

void
dp_egress_flush(struct dp_lcore *lc)
{
	unsigned int nlc = lc->ctx->n_workers + 1u, j;
	uint16_t pi;

	for (j = 0; j < nlc; j++)
		if (lc->n_steer[j] != 0)
			steer_flush(lc, (uint16_t)j);
	for (pi = 0; pi < lc->ctx->n_ports; pi++) {
		if (lc->n_tx[pi] != 0) {
			tx_flush(lc, &lc->ctx->ports[pi], lc->tx[pi], lc->n_tx[pi]);
			lc->n_tx[pi] = 0;
		}
	}
}

/* ---- worker lcore: route and next hop ---- */

/* The port whose IPv4 subnet holds dst, else port 0. */
static uint16_t
route_port(const struct dp_ctx *ctx, rte_be32_t dst)
{
	uint16_t i;

	for (i = 0; i < ctx->n_ports; i++) {
		const struct dp_port *p = &ctx->ports[i];

		if (p->ipv4 != 0 && ((dst ^ p->ipv4) & p->ipv4_mask) == 0)
			return i;
	}
	return 0;
}

/* An ARP request on port port_idx, broadcast: who has tip, tell sip (our MAC). */
static int
arp_send(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t sip, rte_be32_t tip)
{
	const struct dp_port *port = &lc->ctx->ports[port_idx];
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(lc->ctx->pool);
	if (m == NULL)
		return -ENOBUFS;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	m->port = port->port_id;
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = port->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = port->mac;
	arp->arp_data.arp_sip = sip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = tip;
	dp_egress_tx(lc, port_idx, m);
	return 0;
}

static void
arp_request(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip)
{
	rte_be32_t ours = lc->ctx->ports[port_idx].ipv4;

	if (ours != 0 && arp_send(lc, port_idx, ours, ip) == 0)
		DP_STAT_INC(&lc->stats, arp_requests);
}

uint16_t
dp_egress_port6(const struct dp_ctx *ctx, const uint8_t dst[16])
{
	uint16_t i, first = UINT16_MAX;

	for (i = 0; i < ctx->n_ports; i++) {
		const struct dp_port *p = &ctx->ports[i];
		unsigned int bits = p->ipv6_prefix, whole = bits / 8;

		if (!p->has_ipv6)
			continue;
		if (first == UINT16_MAX)
			first = i;
		if (memcmp(dst, p->ipv6, whole) == 0 &&
		    (bits % 8 == 0 || ((dst[whole] ^ p->ipv6[whole]) & (0xff00u >> (bits % 8)) & 0xff) == 0))
			return i;
	}
	return first == UINT16_MAX ? 0 : first;
}

/* Our source address for a packet to dst on port: the link-local one for a
 * link-local dst (fe80::/10), else the global one. */
static const uint8_t *
src6_for(const struct dp_port *port, const uint8_t dst[16])
{
	return dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80 ? port->ipv6_ll : port->ipv6;
}

/* A neighbour discovery message of ours on port port_idx from src to the
 * multicast address dst (its MAC 33:33:xx:xx:xx:xx): type, flags, target and
 * our link-layer address in option opt (dp_pkt_nd_fill). 0, or -ENOBUFS. */
static int
nd_send(struct dp_lcore *lc, uint16_t port_idx, const uint8_t src[16], const uint8_t dst[16],
	uint8_t type, rte_be32_t flags, const uint8_t target[16], uint8_t opt)
{
	const struct dp_port *port = &lc->ctx->ports[port_idx];
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip6;
	struct rte_mbuf *m;

	if (!port->has_ipv6)
		return -ENOBUFS;
	m = rte_pktmbuf_alloc(lc->ctx->pool);
	if (m == NULL)
		return -ENOBUFS;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*ip6) +
							 DP_PKT_ND_LEN);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	m->port = port->port_id;
	ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	memset(ip6, 0, sizeof(*ip6));
	ip6->vtc_flow = RTE_BE32(6u << 28);
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, dst, 16);
	eth->dst_addr = (struct rte_ether_addr){ { 0x33, 0x33, dst[12], dst[13], dst[14], dst[15] } };
	eth->src_addr = port->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	dp_pkt_nd_fill(ip6, type, flags, target, opt, &port->mac);
	dp_egress_tx(lc, port_idx, m);
	return 0;
}

/* A neighbour solicitation for target on port port_idx (RFC 4861 §7.2.2): to
 * its solicited-node multicast address, hop limit 255, with our link-layer
 * address. */
static void
nd_solicit(struct dp_lcore *lc, uint16_t port_idx, const uint8_t target[16])
{
	const struct dp_port *port = &lc->ctx->ports[port_idx];
	uint8_t sn[16];

	dp_pkt_ipv6_solicited(sn, target);
	if (nd_send(lc, port_idx, src6_for(port, target), sn, DP_PKT_ND_NS, 0, target,
		    DP_PKT_ND_OPT_SRC_LLADDR) == 0)
		DP_STAT_INC(&lc->stats, nd_requests);
}

int
dp_egress_una(struct dp_lcore *lc, uint16_t port_idx, const uint8_t addr[16])
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
	int rc = nd_send(lc, port_idx, addr, all_nodes, DP_PKT_ND_NA, DP_PKT_ND_NA_OVERRIDE, addr,
			 DP_PKT_ND_OPT_TARGET_LLADDR);

	if (rc == 0)
		DP_STAT_INC(&lc->stats, una_sent);
	return rc;
}

/* Ask for the MAC of key: an ARP request, or a neighbour solicitation. */
static void
neigh_ask(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16])
{
	rte_be32_t ip;

	if (dp_neigh_key_is4(key)) {
		memcpy(&ip, key + 12, 4);
		arp_request(lc, port_idx, ip);
	} else {
		nd_solicit(lc, port_idx, key);
	}
}

int
dp_egress_garp(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip)
{
	int rc = arp_send(lc, port_idx, ip, ip);

	if (rc == 0)
		DP_STAT_INC(&lc->stats, garp_sent);
	return rc;
}

int
dp_egress_neigh_resolve_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
			    struct rte_ether_addr *mac)
{
	bool ask = false;
	int rc = dp_neigh_lookup_key(lc, port_idx, key, mac, &ask);

	if (ask)
		neigh_ask(lc, port_idx, key);
	return rc;
}

int
dp_egress_neigh_resolve(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
			struct rte_ether_addr *mac)
{
	uint8_t key[16];

	dp_neigh_key4(key, ip);
	return dp_egress_neigh_resolve_key(lc, port_idx, key, mac);
}

void
dp_egress_neigh_sweep(struct dp_lcore *lc)
{
	struct dp_neigh_entry *ask[8];
	unsigned int n, i;

	if (lc->neigh_n_held == 0 || lc->now_ms < lc->neigh_sweep_ms)
		return;
	lc->neigh_sweep_ms = lc->now_ms + DP_NEIGH_RETRY_MS;
	n = dp_neigh_sweep(lc, ask, RTE_DIM(ask));
	for (i = 0; i < n; i++)
		neigh_ask(lc, ask[i]->port_idx, ask[i]->addr);
}

void
dp_egress_neigh_warm(struct dp_lcore *lc, uint8_t family, const uint8_t *addr)
{
	struct rte_ether_addr mac;
	rte_be32_t ip;

	if (family == 6) {
		(void)dp_egress_neigh_resolve_key(lc, dp_egress_port6(lc->ctx, addr), addr, &mac);
		return;
	}
	memcpy(&ip, addr, 4);
	(void)dp_egress_neigh_resolve(lc, route_port(lc->ctx, ip), ip, &mac);
}

/* ---- worker lcore: the frame builder ---- */

/* m is a whole frame (Ethernet, IP, UDP, payload) whose IP packet exceeds the
 * port MTU: cut it into fragments (librte_ip_frag: per fragment a new mbuf for
 * the headers and an indirect one for its share of m's data), each with m's
 * Ethernet header, and queue them. Consumes m. */
static int
frag_send(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
	  enum dp_drop too_big)
{
	const struct dp_port *port = &lc->ctx->ports[port_idx];
	struct rte_mempool *pool = lc->ctx->pool;
	struct rte_mbuf *frags[DP_FRAG_MAX];
	struct rte_ether_hdr eth = *rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_be32_t id6;
	uint16_t mtu;
	int n, i;

	rte_pktmbuf_adj(m, (uint16_t)ETH_LEN);
	/* Every fragment's data but the last's a multiple of 8 bytes (RFC 791, 8200). */
	if (family == 4) {
		mtu = (uint16_t)(sizeof(struct rte_ipv4_hdr) +
				 RTE_ALIGN_FLOOR(port->mtu - sizeof(struct rte_ipv4_hdr), 8));
		n = rte_ipv4_fragment_packet(m, frags, DP_FRAG_MAX, mtu, pool, pool);
	} else {
		mtu = (uint16_t)(sizeof(struct rte_ipv6_hdr) + FRAG6_LEN +
				 RTE_ALIGN_FLOOR(port->mtu - sizeof(struct rte_ipv6_hdr) - FRAG6_LEN, 8));
		n = rte_ipv6_fragment_packet(m, frags, DP_FRAG_MAX, mtu, pool, pool);
	}
	rte_pktmbuf_free(m);   /* the fragments hold their own references to its data */
	if (n <= 0) {   /* -ENOMEM, or -EINVAL: an IPv6 port under 1280 (RFC 8200) */
		if (n == -ENOMEM)
			DP_DROP_INC(&lc->stats, FRAG_NO_MBUF);
		else
			lc->stats.drop[too_big]++;
		return -1;
	}
	/* librte_ip_frag leaves the IPv6 fragment id 0: one per datagram here. */
	id6 = rte_cpu_to_be_32((uint32_t)lc->idx << 16 | lc->ip_id++);
	DP_STAT_INC(&lc->stats, ip_fragmented);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *f = frags[i];
		struct rte_ether_hdr *e;

		if (family == 4) {
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);

			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		} else {
			struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod(f, struct rte_ipv6_hdr *);

			((struct rte_ipv6_fragment_ext *)(ip6 + 1))->id = id6;
		}
		if (!port->tx_multi_seg && rte_pktmbuf_linearize(f) != 0)
			goto drop;
		e = (struct rte_ether_hdr *)rte_pktmbuf_prepend(f, (uint16_t)ETH_LEN);
		if (e == NULL)
			goto drop;
		*e = eth;
		f->port = port->port_id;
		DP_STAT_INC(&lc->stats, frags_sent);
		dp_egress_tx(lc, port_idx, f);
		continue;
drop:
		DP_DROP_INC(&lc->stats, FRAG_NO_MBUF);
		rte_pktmbuf_free(f);
	}
	return 0;
}

/* m holds exactly the UDP payload, in one segment: prepends the UDP, IP and
 * Ethernet headers (checksums computed, DF clear) and queues the frame on port
 * port_idx, as fragments when the IP packet exceeds the port MTU (frag_send).
 * Frees and counts too_big when the datagram exceeds what IP carries.
 * dmac NULL: the neighbour is being resolved; the whole frame is
 * held until it is (dp_neigh_hold, then dp_egress_frame_tx), or dropped as
 * NEIGH_MISS when there is no room. */
static int
frame_build(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t port_idx,
	    const struct rte_ether_addr *dmac, uint8_t family, const uint8_t *src,
	    const uint8_t *dst, uint16_t sport, uint16_t dport, enum dp_drop too_big)
{
	const struct dp_port *port = &lc->ctx->ports[port_idx];
	size_t l3 = family == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	size_t len = m->pkt_len;
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;

	if (len == 0 || m->nb_segs != 1 || UDP_LEN + len > UINT16_MAX - l3)
		goto too_big;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, (uint16_t)(ETH_LEN + l3 + UDP_LEN));
	if (eth == NULL)
		goto too_big;
	m->port = port->port_id;
	if (dmac != NULL)
		eth->dst_addr = *dmac;
	else
		memset(&eth->dst_addr, 0, sizeof(eth->dst_addr));
	eth->src_addr = port->mac;
	udp = (struct rte_udp_hdr *)((char *)eth + ETH_LEN + l3);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(UDP_LEN + len));
	udp->dgram_cksum = 0;
	if (family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + UDP_LEN + len));
		ip->packet_id = rte_cpu_to_be_16(lc->ip_id++);
		ip->fragment_offset = 0;   /* DF clear: see dp_egress.h */
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = dp_ipv4_udp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(UDP_LEN + len));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, src, 16);
		memcpy(ip6->dst_addr, dst, 16);
		udp->dgram_cksum = dp_ipv6_udp_cksum(ip6, udp);
	}
	if (dmac == NULL) {
		uint8_t key[16];
		rte_be32_t ip;

		if (family == 4) {
			memcpy(&ip, dst, 4);
			dp_neigh_key4(key, ip);
		} else {
			memcpy(key, dst, 16);
		}
		if (dp_neigh_hold_key(lc, port_idx, key, m) != 0) {
			DP_DROP_INC(&lc->stats, NEIGH_MISS);
			rte_pktmbuf_free(m);
			return -1;
		}
		return 0;
	}
	if (l3 + UDP_LEN + len > port->mtu)
		return frag_send(lc, m, port_idx, family, too_big);
	dp_egress_tx(lc, port_idx, m);
	return 0;
too_big:
	lc->stats.drop[too_big]++;
	rte_pktmbuf_free(m);
	return -1;
}

void
dp_egress_frame_tx(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint8_t family = eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? 4 : 6;

	if (m->pkt_len - ETH_LEN > lc->ctx->ports[port_idx].mtu)
		(void)frag_send(lc, m, port_idx, family, DP_DROP_FWD_TOO_BIG);
	else
		dp_egress_tx(lc, port_idx, m);
}

/* payload[0..len) (not in m) into m, or into a fresh mbuf when m is NULL or the
 * frame does not fit its first segment, then frame_build. */
static int
udp_send(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t port_idx,
	 const struct rte_ether_addr *dmac, uint8_t family, const uint8_t *src,
	 const uint8_t *dst, uint16_t sport, uint16_t dport, const char *payload, size_t len,
	 enum dp_drop too_big, enum dp_drop no_mbuf)
{
	size_t l3 = family == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	size_t total = ETH_LEN + l3 + UDP_LEN + len;
	char *p;

	if (len == 0 || UDP_LEN + len > UINT16_MAX - l3) {
		lc->stats.drop[too_big]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	if (m == NULL || m->nb_segs != 1 || total > (size_t)m->buf_len - RTE_PKTMBUF_HEADROOM) {
		struct rte_mbuf *n = rte_pktmbuf_alloc(lc->ctx->pool);

		rte_pktmbuf_free(m);
		if (n == NULL) {
			lc->stats.drop[no_mbuf]++;
			return -1;
		}
		m = n;
	}
	rte_pktmbuf_reset(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		lc->stats.drop[too_big]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	memcpy(p, payload, len);
	return frame_build(lc, m, port_idx, dmac, family, src, dst, sport, dport, too_big);
}

int
dp_egress_udp_reply(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t dport,
		    const char *payload, size_t len, enum dp_drop too_big, enum dp_drop no_mbuf)
{
	const struct dp_pkt_info info = *dp_pkt_info_of(m);
	struct rte_ether_addr peer = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;

	return udp_send(lc, m, info.port_idx, &peer, info.family, info.dst, info.src,
			info.dst_port, dport, payload, len, too_big, no_mbuf);
}

int
dp_egress_udp_to(struct dp_lcore *lc, struct rte_mbuf *m, uint8_t family, const uint8_t *addr,
		 uint16_t sport, uint16_t dport, const char *payload, size_t len, bool hold)
{
	return dp_egress_udp_from(lc, m, family, NULL, addr, sport, dport, payload, len, hold);
}

int
dp_egress_udp_from(struct dp_lcore *lc, struct rte_mbuf *m, uint8_t family, const uint8_t *from,
		   const uint8_t *addr, uint16_t sport, uint16_t dport, const char *payload,
		   size_t len, bool hold)
{
	struct rte_ether_addr mac;
	const uint8_t *src;
	bool known;
	rte_be32_t ip;
	uint16_t pi;

	if (family == 6) {
		pi = dp_egress_port6(lc->ctx, addr);
		if (!lc->ctx->ports[pi].has_ipv6)
			goto miss;
		known = dp_egress_neigh_resolve_key(lc, pi, addr, &mac) == 0;
		src = src6_for(&lc->ctx->ports[pi], addr);
	} else if (family == 4) {
		memcpy(&ip, addr, 4);
		pi = route_port(lc->ctx, ip);
		known = dp_egress_neigh_resolve(lc, pi, ip, &mac) == 0;
		src = (const uint8_t *)&lc->ctx->ports[pi].ipv4;
	} else {
		goto miss;
	}
	if (!known && !hold)
		goto miss;
	if (udp_send(lc, m, pi, known ? &mac : NULL, family, from != NULL ? from : src, addr,
		     sport, dport, payload, len, DP_DROP_FWD_TOO_BIG, DP_DROP_FWD_NO_MBUF) != 0)
		return -1;
	if (from != NULL)
		DP_STAT_INC(&lc->stats, vip_src_sent);
	return 0;
miss:
	DP_DROP_INC(&lc->stats, NEIGH_MISS);
	rte_pktmbuf_free(m);
	return -1;
}

/* ---- worker lcore: SIP replies ---- */

/* Where a response to this request goes (RFC 3261 §18.2.2 for unreliable unicast,
 * RFC 3581): the source address; the source port when the top Via asks ;rport,
 * else the sent-by port, else 5060. (maddr is not honoured: no multicast.) */
uint16_t
dp_egress_reply_port(const struct sip_via *top, uint16_t src_port)
{
	if (top == NULL || top->rport_str.p != NULL)
		return src_port;
	return top->port != 0 ? top->port : SIP_DEFAULT_PORT;
}

int
dp_egress_sip_reply(struct dp_lcore *lc, struct rte_mbuf *m, size_t len, unsigned int status)
{
	struct sip_via via;
	uint16_t src_port = dp_pkt_info_of(m)->src_port;

	return dp_egress_sip_reply_to(lc, m, sip_msg_top_via(lc->msg, &via) == 0 ?
					     dp_egress_reply_port(&via, src_port) : src_port,
				      len, status);
}

int
dp_egress_sip_reply_to(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t dport, size_t len,
		       unsigned int status)
{
	if (dp_egress_udp_reply(lc, m, dport, lc->reply, len, DP_DROP_SIP_REPLY_TOO_BIG,
				DP_DROP_SIP_REPLY_NO_MBUF) != 0)
		return -1;
	lc->stats.sip.reply[status / 100 < DP_SIP_CLASSES ? status / 100 : 0]++;
	return 0;
}

int
dp_egress_sip_error(struct dp_lcore *lc, struct rte_mbuf *m, unsigned int status)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	char addr[INET6_ADDRSTRLEN];
	struct sip_reply_via via;
	size_t len;

	/* received=/rport= for the top Via of a reply (RFC 3261 §18.2.1, RFC 3581). */
	memset(&via, 0, sizeof(via));
	inet_ntop(info->family == 4 ? AF_INET : AF_INET6, info->src, addr, sizeof(addr));
	via.received = addr;
	via.received_len = (uint16_t)strlen(addr);
	via.rport = info->src_port;
	len = sip_reply_error(lc->msg, status, NULL, &via, lc->reply, sizeof(lc->reply));
	if (len == 0)
		return -ENOMSG;
	dp_egress_sip_reply(lc, m, len, status);
	return 0;
}

/* ---- control lcore ---- */

void
dp_egress_cp_send(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_egress_desc d = *dp_egress_desc_of(m);
	const struct dp_ctx *ctx = lc->ctx;
	const struct dp_port *port;
	struct rte_ether_addr mac;
	bool known;

	if (d.port_idx >= ctx->n_ports || ctx->ports[d.port_idx].ctl_queue != lc->queue) {
		DP_DROP_INC(&lc->stats, CP_TX_NO_QUEUE);
		rte_pktmbuf_free(m);
		return;
	}
	port = &ctx->ports[d.port_idx];
	known = dp_egress_neigh_resolve(lc, d.port_idx, d.dst_addr, &mac) == 0;
	frame_build(lc, m, d.port_idx, known ? &mac : NULL, 4, (const uint8_t *)&port->ipv4,
		    (const uint8_t *)&d.dst_addr, d.src_port, d.dst_port, DP_DROP_CP_TX_TOO_BIG);
}
