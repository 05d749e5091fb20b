/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore IPv4 neighbour table and ARP requests. See dp_neigh.h. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "dataplane/core/dp_neigh.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_steer.h"
#include "dataplane/core/dp_tx.h"

#define DP_NEIGH_RETRY_MS   100      /* at most one ARP request per address per 100 ms */
#define DP_NEIGH_REFRESH_MS 60000    /* older entries are used and refreshed */

/* ---- worker lcore ---- */

static struct dp_neigh_entry *
slot(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip)
{
	return &lc->neigh[rte_hash_crc_4byte(ip, port_idx) & (DP_NEIGH_SLOTS - 1)];
}

void
dp_neigh_learn(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
	       const struct rte_ether_addr *mac)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, ip);

	if (ip == 0 || rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return;
	if (e->ip != ip || e->port_idx != port_idx)
		e->asked_ms = 0;
	e->ip = ip;
	e->port_idx = (uint8_t)port_idx;
	e->mac = *mac;
	e->valid = 1;
	e->learnt_ms = lc->now_ms;
}

static void
arp_request(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip)
{
	const struct dp_port *port = &lc->ctx->ports[port_idx];
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	if (port->ipv4 == 0)
		return;
	m = rte_pktmbuf_alloc(lc->ctx->pool);
	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return;
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
	arp->arp_data.arp_sip = port->ipv4;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = ip;
	DP_STAT_INC(&lc->stats, arp_requests);
	dp_tx(lc, port_idx, m);
}

int
dp_neigh_resolve(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
		 struct rte_ether_addr *mac)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, ip);
	bool hit = e->ip == ip && e->port_idx == port_idx;

	if (hit && e->valid) {
		*mac = e->mac;
		if (lc->now_ms - e->learnt_ms > DP_NEIGH_REFRESH_MS &&
		    lc->now_ms - e->asked_ms >= DP_NEIGH_RETRY_MS) {
			e->asked_ms = lc->now_ms;
			arp_request(lc, port_idx, ip);
		}
		return 0;
	}
	if (!hit) {   /* take the slot: remember when we asked */
		e->ip = ip;
		e->port_idx = (uint8_t)port_idx;
		e->valid = 0;
		e->asked_ms = 0;
	}
	if (e->asked_ms == 0 || lc->now_ms - e->asked_ms >= DP_NEIGH_RETRY_MS) {
		e->asked_ms = lc->now_ms == 0 ? 1 : lc->now_ms;
		arp_request(lc, port_idx, ip);
		return -EAGAIN;
	}
	return -ENOENT;
}

void
dp_neigh_fanout(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct dp_pkt_info *info = dp_pkt_info_of(m);
	unsigned int j, n = 0;

	info->neigh_only = 1;
	for (j = 0; j < lc->ctx->n_workers; j++)
		if (j != lc->idx && lc->out[j] != NULL)
			n++;
	if (n == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	/* One reference per receiver; ours goes to the last one. */
	rte_mbuf_refcnt_update(m, (int16_t)(n - 1));
	for (j = 0; j < lc->ctx->n_workers; j++) {
		if (j == lc->idx || lc->out[j] == NULL)
			continue;
		if (rte_ring_sp_enqueue(lc->out[j], m) != 0) {
			DP_DROP_INC(&lc->stats, STEER_RING_FULL);
			rte_pktmbuf_free(m);
		}
	}
}

void
dp_neigh_input(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

	dp_neigh_learn(lc, info->port_idx, arp->arp_data.arp_sip, &arp->arp_data.arp_sha);
	rte_pktmbuf_free(m);
}
