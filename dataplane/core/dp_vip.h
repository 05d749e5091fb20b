/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIPs of sharing tags: the IPv4 addresses that follow a tag to the node where
 * it is active (config `tags[].vip`).
 *
 * The control plane publishes every tag with its VIP and whether this node holds
 * it in the tag view of dp_shared (sequence lock, every 100 ms and on change).
 * Each packet lcore keeps its own copy (struct dp_vips in its dp_lcore, written
 * and read only by that lcore: no lock, no atomic on the fast path) and looks
 * at the view every DP_VIP_REFRESH_MS from its loop (dp_vip_refresh(): one
 * compare of the sequence number when nothing changed; a bounded copy of at most
 * DP_VIP_MAX addresses when it did). A VIP belongs to the port whose subnet
 * holds it (else port 0).
 *
 * A held VIP is one more address of its port: ARP requests for it are answered
 * with the port's MAC, ICMP echo and SIP to it are taken, and replies to what
 * arrived on it leave from it (dp_egress answers from the address a request was
 * sent to). A VIP this node does not hold is never answered: ARP requests and
 * IPv4 packets for it are dropped and counted VIP_NOT_HELD. When a VIP becomes
 * held, worker 0 sends DP_VIP_GARPS gratuitous ARPs on its port, at 0, 100 and
 * 300 ms (counted garp_sent), so that the segment's neighbour caches move to
 * this node without waiting for their entries to expire.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_VIP_H
#define SIPSHARD_DATAPLANE_CORE_DP_VIP_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/core/dp_types.h"

#define DP_VIP_REFRESH_MS 10

/* ---- worker lcore (and the control lcore): its own copy ---- */

/* addr (network order) received on port port_idx: 1 a VIP held here, 0 a VIP
 * of that port another node holds (or nobody), -1 not a VIP of that port. */
static inline int
dp_vip_find(const struct dp_lcore *lc, uint16_t port_idx, rte_be32_t addr)
{
	uint16_t i;

	for (i = 0; i < lc->vips.n; i++)
		if (lc->vips.v[i].addr == addr && lc->vips.v[i].port_idx == port_idx)
			return lc->vips.v[i].held;
	return -1;
}

/* Is addr (network order, IPv4) a VIP this node holds, on any port. */
bool dp_vip_held(const struct dp_lcore *lc, rte_be32_t addr);

/* Is addr a VIP of a sharing tag (held here or not). */
bool dp_vip_known(const struct dp_lcore *lc, rte_be32_t addr);

/* Once per loop pass: every DP_VIP_REFRESH_MS, re-read the tag view when it
 * changed; on worker 0, send the gratuitous ARPs that are due. */
void dp_vip_refresh(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_VIP_H */
