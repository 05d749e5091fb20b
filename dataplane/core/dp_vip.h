/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIPs of sharing tags: the IPv4 and IPv6 addresses that follow a tag to the
 * node where it is active (config `tags[].vip`).
 *
 * The control plane publishes every tag with its VIP and whether this node holds
 * it in the tag view of dp_shared (sequence lock, every 100 ms and on change).
 * Each packet lcore keeps its own copy (struct dp_vips in its dp_lcore, written
 * and read only by that lcore: no lock, no atomic on the fast path) and looks
 * at the view every DP_VIP_REFRESH_MS from its loop (dp_vip_refresh(): one
 * compare of the sequence number when nothing changed; a bounded copy of at most
 * DP_VIP_MAX addresses when it did). A VIP belongs to the port whose subnet
 * holds it (IPv6: whose prefix holds it, else the first port with IPv6; else
 * port 0).
 *
 * A held VIP is one more address of its port: ARP requests for it are answered
 * with the port's MAC, ICMP echo and SIP to it are taken, and replies to what
 * arrived on it leave from it (dp_egress answers from the address a request was
 * sent to). A VIP this node does not hold is never answered: ARP requests and
 * IPv4 packets for it are dropped and counted VIP_NOT_HELD. When a VIP becomes
 * held, worker 0 sends DP_VIP_GARPS gratuitous ARPs on its port, at 0, 100 and
 * 300 ms (counted garp_sent), so that the segment's neighbour caches move to
 * this node without waiting for their entries to expire.
 *
 * An IPv6 VIP the same way with neighbour discovery (RFC 4861), by the code
 * that answers for the port's own addresses: a neighbour solicitation for a
 * held VIP (sent to its solicited-node multicast address, or to the VIP) is
 * answered with an advertisement, Solicited and Override set and our MAC
 * (nd_vip_answered); for a VIP held elsewhere it is dropped (VIP_NOT_HELD), as
 * are ICMPv6 echo and UDP to it. The announcement on a claim is DP_VIP_GARPS
 * unsolicited neighbour advertisements (RFC 4861 §7.2.6: to ff02::1, Override
 * set, Solicited clear, the target link-layer address option), counted
 * una_sent. A node that does not hold the VIP learns its new holder's MAC from
 * them (DP_NEIGH_ANNOUNCE), so requests it relays to the VIP follow the tag.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_VIP_H
#define SIPSHARD_DATAPLANE_CORE_DP_VIP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/core/dp_types.h"

#define DP_VIP_REFRESH_MS 10

/* ---- worker lcore (and the control lcore): its own copy ---- */

/* IPv4 addr (network order) received on port port_idx: 1 a VIP held here, 0 a
 * VIP of that port another node holds (or nobody), -1 not a VIP of that port. */
static inline int
dp_vip_find(const struct dp_lcore *lc, uint16_t port_idx, rte_be32_t addr)
{
	uint16_t i;

	for (i = 0; i < lc->vips.n; i++)
		if (lc->vips.v[i].family == 4 && lc->vips.v[i].addr == addr &&
		    lc->vips.v[i].port_idx == port_idx)
			return lc->vips.v[i].held;
	return -1;
}

/* The same for IPv6 address addr. */
static inline int
dp_vip_find6(const struct dp_lcore *lc, uint16_t port_idx, const uint8_t addr[16])
{
	uint16_t i;

	for (i = 0; i < lc->vips.n; i++)
		if (lc->vips.v[i].family == 6 && lc->vips.v[i].port_idx == port_idx &&
		    memcmp(lc->vips.v[i].addr6, addr, 16) == 0)
			return lc->vips.v[i].held;
	return -1;
}

/* Is dst the solicited-node multicast address (ff02::1:ffXX:XXXX) of an IPv6
 * VIP of port port_idx, held here or not (where a neighbour solicitation for
 * it is sent). */
bool dp_vip_solicited6(const struct dp_lcore *lc, uint16_t port_idx, const uint8_t dst[16]);

/* addr (family 4: 4 bytes, 6: 16, network order), on any port: 1 a VIP this
 * node holds, 0 a VIP of a sharing tag another node holds (or nobody), -1 not
 * a VIP. */
int dp_vip_state(const struct dp_lcore *lc, uint8_t family, const uint8_t *addr);

/* Once per loop pass: every DP_VIP_REFRESH_MS, re-read the tag view when it
 * changed; on worker 0, send the gratuitous ARPs (unsolicited neighbour
 * advertisements) that are due. */
void dp_vip_refresh(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_VIP_H */
