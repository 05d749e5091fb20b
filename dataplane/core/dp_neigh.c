/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore IPv4 neighbour table. See dp_neigh.h. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_neigh.h"

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

int
dp_neigh_lookup(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
		struct rte_ether_addr *mac, bool *ask)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, ip);
	bool hit = e->ip == ip && e->port_idx == port_idx;

	*ask = false;
	if (hit && e->valid) {
		*mac = e->mac;
		if (lc->now_ms - e->learnt_ms > DP_NEIGH_REFRESH_MS &&
		    lc->now_ms - e->asked_ms >= DP_NEIGH_RETRY_MS) {
			e->asked_ms = lc->now_ms;
			*ask = true;
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
		*ask = true;
		return -EAGAIN;
	}
	return -ENOENT;
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
