/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore IPv4 and IPv6 neighbour table. See dp_neigh.h. */
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
slot(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16])
{
	uint64_t k[2];

	memcpy(k, key, 16);             /* key may sit unaligned in a packet */
	return &lc->neigh[rte_hash_crc_8byte(k[1], rte_hash_crc_8byte(k[0], port_idx)) &
			  (DP_NEIGH_SLOTS - 1)];
}

static inline bool
same_key(const struct dp_neigh_entry *e, uint16_t port_idx, const uint8_t key[16])
{
	return e->port_idx == port_idx && memcmp(e->addr, key, 16) == 0;
}

/* An address a neighbour may have: IPv4 not 0; IPv6 not unspecified, not
 * multicast. */
static bool
key_usable(const uint8_t key[16])
{
	static const uint8_t zero[16];

	if (dp_neigh_key_is4(key))
		return memcmp(key + 12, zero, 4) != 0;
	return key[0] != 0xff && memcmp(key, zero, 16) != 0;
}

int
dp_neigh_learn(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
	       const struct rte_ether_addr *mac, enum dp_neigh_how how)
{
	uint8_t key[16];

	dp_neigh_key4(key, ip);
	return dp_neigh_learn_key(lc, port_idx, key, mac, how);
}

int
dp_neigh_learn_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
		   const struct rte_ether_addr *mac, enum dp_neigh_how how)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, key);
	bool same = same_key(e, port_idx, key);
	unsigned int i;

	if (!key_usable(key) || rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
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
	memcpy(e->addr, key, 16);
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
dp_neigh_hold_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
		  struct rte_mbuf *m)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, key);

	if (!same_key(e, port_idx, key) || e->valid || e->n_held == DP_NEIGH_HOLD ||
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
dp_neigh_lookup_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
		    struct rte_ether_addr *mac, bool *ask)
{
	struct dp_neigh_entry *e = slot(lc, port_idx, key);
	bool hit = same_key(e, port_idx, key);

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
		memcpy(e->addr, key, 16);
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

	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);
		enum dp_neigh_how how = arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) ?
			DP_NEIGH_REPLY : DP_NEIGH_ANNOUNCE;

		dp_neigh_learn(lc, info->port_idx, arp->arp_data.arp_sip, &arp->arp_data.arp_sha,
			       how);
	} else {   /* a neighbour advertisement: what dp_pkt found in it, in info */
		struct rte_ether_addr mac;

		memcpy(mac.addr_bytes, info->dst, RTE_ETHER_ADDR_LEN);
		dp_neigh_learn_key(lc, info->port_idx, info->src, &mac,
				   (enum dp_neigh_how)info->neigh_how);
	}
	rte_pktmbuf_free(m);
}
