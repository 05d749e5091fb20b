/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table (IPv4 and IPv6 -> MAC) of one lcore, for the packets it builds itself
 * (forwarded requests and responses, probes, and on the control lcore the
 * control plane's datagrams). A table only: it sends nothing; dp_egress asks it
 * and sends the ARP requests it calls for.
 *
 * Each lcore has its own direct-mapped table (DP_NEIGH_SLOTS entries, slot =
 * hash of port and address), written only by that lcore: no lock, no atomic.
 * A slot holds one address (an IPv6 address, or an IPv4 one mapped as
 * ::ffff:a.b.c.d: dp_neigh_key4); a lookup of a colliding address replaces it. Entries are
 * learnt from (a) every IPv4 packet for us whose source is on the subnet of
 * the port it came in on (source address -> source MAC, in dp_pkt), (b) ARP
 * requests for our address (sender -> sha), (c) ARP replies for our address.
 * An ARP reply comes in on whichever lcore RSS (or the NIC's default queue)
 * picks, not necessarily the one that asked: the receiving lcore learns it and
 * hands the same mbuf (reference count raised) to every other packet lcore,
 * the control lcore included, over the SPSC steering rings, marked
 * info->neigh_only (dp_egress_fanout), so each learns it in its own table
 * (dp_neigh_input).
 * IPv6 the same way with neighbour discovery (RFC 4861): a neighbour
 * advertisement for a solicitation of ours is the reply (its target link-layer
 * address option), a solicitation's source link-layer option and an on-link
 * IPv6 packet's source are "seen"; dp_egress sends the solicitations.
 *
 * What may change an entry (dp_neigh_learn, enum dp_neigh_how): an entry that
 * holds a MAC keeps it against a packet that did not come as an answer: an ARP
 * reply this lcore did not ask for within DP_NEIGH_ANSWER_MS (counted
 * arp_unsolicited), an ARP request's sender or an IPv4 packet's source
 * (neigh_mac_kept); the same MAC only refreshes it. A reply to our own request
 * (DP_NEIGH_REPLY while asked) and a gratuitous ARP request announcing a VIP's
 * new holder (DP_NEIGH_ANNOUNCE: how a VIP moves) may change it. Learning never
 * evicts a valid entry of another address from its slot (only a lookup does, to
 * ask), so colliding addresses cannot push a known neighbour out for a forged
 * packet to take its place. An unknown address is learnt from any of them.
 *
 * Lookup (dp_neigh_lookup): a hit returns the MAC; an entry older than
 * DP_NEIGH_REFRESH_MS is still used but the caller is told to refresh it by an
 * ARP request. A miss tells the caller to send a broadcast ARP request, at most
 * once per address per DP_NEIGH_RETRY_MS.
 *
 * The frame that missed is held, as a kernel's neighbour queue holds it
 * (dp_neigh_hold): up to DP_NEIGH_HOLD per address and DP_NEIGH_HOLD_MAX per
 * lcore, counted neigh_held. When the lcore learns the MAC (the ARP reply, or
 * its share from the lcore that received it) the held frames get it and go out
 * (neigh_released). Not every SIP message is resent by its sender: a stateless
 * proxy forwarding a UAS's 200 OK to an INVITE, or a 200 to a BYE, has no
 * second chance, so dropping them lost calls. Frames still held after
 * DP_NEIGH_HOLD_MS, or that find no room, are dropped (NEIGH_MISS); until then
 * dp_neigh_sweep names the addresses to ask again every DP_NEIGH_RETRY_MS.
 * A slot taken by another address drops its held frames.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H
#define SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

#define DP_NEIGH_RETRY_MS 100   /* at most one ARP request per address per 100 ms */

/* How a neighbour's MAC was seen (what it may change: see above). */
enum dp_neigh_how {
	DP_NEIGH_SEEN,       /* an IPv4 packet's source, an ARP request's sender */
	DP_NEIGH_REPLY,      /* an ARP reply to our address */
	DP_NEIGH_ANNOUNCE,   /* a gratuitous ARP request for a VIP of a sharing tag */
};

/* The table's key of IPv4 address ip (network order): ::ffff:a.b.c.d. */
static inline void
dp_neigh_key4(uint8_t key[16], rte_be32_t ip)
{
	memset(key, 0, 10);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, &ip, 4);
}

/* Is key an IPv4 address (dp_neigh_key4)? */
static inline bool
dp_neigh_key_is4(const uint8_t key[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(key, mapped, sizeof(mapped)) == 0;
}

/* ---- worker lcore (its own table) ---- */

/* Learn key -> mac seen on port port_idx; frames held for key get mac and are
 * queued for transmission (dp_egress_frame_tx). 0 when learnt or refreshed,
 * -EPERM when a known entry kept its MAC (counted), -EBUSY when the slot holds
 * another valid address (not counted), -EINVAL for a bad address. */
int dp_neigh_learn_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
		       const struct rte_ether_addr *mac, enum dp_neigh_how how);
/* The same for IPv4 address ip (network order). */
int dp_neigh_learn(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
		   const struct rte_ether_addr *mac, enum dp_neigh_how how);

/* 0 with *mac, or -EAGAIN (unknown, ask now) / -ENOENT (unknown, asked
 * recently). *ask is set when an ARP request (a neighbour solicitation) for key
 * should be sent now (a miss not asked within the retry interval, or a stale
 * hit); the time is noted. */
int dp_neigh_lookup_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
			struct rte_ether_addr *mac, bool *ask);

/* Hold the complete frame m (its destination MAC unset) until key, just looked
 * up and missed, is learnt: 0, or -ENOSPC (the caller drops m). */
int dp_neigh_hold_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
		      struct rte_mbuf *m);

/* Drop frames held DP_NEIGH_HOLD_MS; up to n_ask entries still holding whose
 * last ARP request is DP_NEIGH_RETRY_MS old go in ask[] (noted as asked now).
 * Returns how many. */
unsigned int dp_neigh_sweep(struct dp_lcore *lc, struct dp_neigh_entry **ask,
			    unsigned int n_ask);

/* Drop every held frame (lcore shutting down). */
void dp_neigh_fini(struct dp_lcore *lc);

/* An ARP packet or a neighbour advertisement another lcore handed over
 * (info->neigh_only, checked by that lcore): learn, free. */
void dp_neigh_input(struct dp_lcore *lc, struct rte_mbuf *m);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H */
