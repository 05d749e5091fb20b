/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore IPv4 neighbour table. See dp_neigh.h. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_neigh.h"
#include "dataplane/core/dp_stats.h"

#define DP_NEIGH_REFRESH_MS 60000    /* older entries are used and refreshed */
#define DP_NEIGH_ANSWER_MS  1000     /* a reply within this of our request answers it */

/* ---- worker lcore ---- */

/* The frames held for e are dropped (NEIGH_MISS). */
static void
held_drop(struct dp_lcore *lc, struct dp_neigh_entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n_held; i++)
		rte_pktmbuf_free(e->held[i]);
	lc->stats.drop[DP_DROP_NEIGH_MISS] += e->n_held;
	lc->neigh_n_held = (uint16_t)(lc->neigh_n_held - e->n_held);
	e->n_held = 0;
}

static struct dp_neigh_entry *
slot(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip)
{
	return &lc->neigh[rte_hash_crc_4byte(ip, port_idx) & (DP_NEIGH_SLOTS - 1)];
}

int
dp_neigh_learn(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
	       const struct rte_ether_addr *mac, enum dp_neigh_how how)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, ip);
	bool same = e->ip == ip && e->port_idx == port_idx;
	unsigned int i;

	if (ip == 0 || rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return -EINVAL;
	if (!same && e->valid)   /* another neighbour's slot: only a lookup takes it */
		return -EBUSY;
	if (same && e->valid && !rte_is_same_ether_addr(&e->mac, mac)) {
		bool asked = e->asked_ms != 0 && lc->now_ms - e->asked_ms < DP_NEIGH_ANSWER_MS;

		if (how == DP_NEIGH_REPLY && !asked) {
			DP_STAT_INC(&lc->stats, arp_unsolicited);
			return -EPERM;
		}
		if (how == DP_NEIGH_SEEN) {
			DP_STAT_INC(&lc->stats, neigh_mac_kept);
			return -EPERM;
		}
	}
	if (!same) {   /* an unresolved slot of another address: its frames go */
		held_drop(lc, e);
		e->asked_ms = 0;
	}
	e->ip = ip;
	e->port_idx = (uint8_t)port_idx;
	e->mac = *mac;
	e->valid = 1;
	e->learnt_ms = lc->now_ms;
	for (i = 0; i < e->n_held; i++) {
		rte_pktmbuf_mtod(e->held[i], struct rte_ether_hdr *)->dst_addr = *mac;
		dp_egress_frame_tx(lc, port_idx, e->held[i]);
	}
	DP_STAT_ADD(&lc->stats, neigh_released, e->n_held);
	lc->neigh_n_held = (uint16_t)(lc->neigh_n_held - e->n_held);
	e->n_held = 0;
	return 0;
}

int
dp_neigh_hold(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip, struct rte_mbuf *m)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, ip);

	if (e->ip != ip || e->port_idx != port_idx || e->valid || e->n_held == DP_NEIGH_HOLD ||
	    lc->neigh_n_held >= DP_NEIGH_HOLD_MAX)
		return -ENOSPC;
	if (e->n_held == 0)
		e->held_ms = lc->now_ms;
	e->held[e->n_held++] = m;
	lc->neigh_n_held++;
	DP_STAT_INC(&lc->stats, neigh_held);
	return 0;
}

unsigned int
dp_neigh_sweep(struct dp_lcore *lc, struct dp_neigh_entry **ask, unsigned int n_ask)
{
	unsigned int i, n = 0;

	for (i = 0; i < DP_NEIGH_SLOTS && lc->neigh_n_held != 0; i++) {
		struct dp_neigh_entry *e = &lc->neigh[i];

		if (e->n_held == 0)
			continue;
		if (lc->now_ms - e->held_ms >= DP_NEIGH_HOLD_MS) {
			held_drop(lc, e);
			continue;
		}
		if (n < n_ask && lc->now_ms - e->asked_ms >= DP_NEIGH_RETRY_MS) {
			e->asked_ms = lc->now_ms == 0 ? 1 : lc->now_ms;
			ask[n++] = e;
		}
	}
	return n;
}

void
dp_neigh_fini(struct dp_lcore *lc)
{
	unsigned int i;

	for (i = 0; i < DP_NEIGH_SLOTS && lc->neigh_n_held != 0; i++)
		held_drop(lc, &lc->neigh[i]);
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
		held_drop(lc, e);
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

	enum dp_neigh_how how = arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) ?
		DP_NEIGH_REPLY : DP_NEIGH_ANNOUNCE;

	dp_neigh_learn(lc, info->port_idx, arp->arp_data.arp_sip, &arp->arp_data.arp_sha, how);
	rte_pktmbuf_free(m);
}
