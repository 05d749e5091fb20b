/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour resolution (IPv4 -> MAC) for the packets a worker builds itself
 * (forwarded requests and responses, probes).
 *
 * Each lcore has its own direct-mapped table (DP_NEIGH_SLOTS entries, slot =
 * hash of port and address), written only by that lcore: no lock, no atomic.
 * A slot holds one address; a colliding address replaces it. Entries are
 * learnt from (a) every IPv4 packet for us whose source is on the subnet of
 * the port it came in on (source address -> source MAC, in dp_pkt), (b) ARP
 * requests for our address (sender -> sha), (c) ARP replies for our address.
 * An ARP reply comes in on whichever lcore RSS (or the NIC's default queue)
 * picks, not necessarily the one that asked: the receiving lcore learns it and
 * hands the same mbuf (reference count raised) to every other worker over the
 * SPSC steering rings, marked info->neigh_only, so each learns it in its own
 * table (dp_neigh_fanout / dp_neigh_input).
 *
 * Resolution (dp_neigh_resolve): a hit returns the MAC; an entry older than
 * DP_NEIGH_REFRESH_MS is still used but refreshed by an ARP request. A miss
 * sends a broadcast ARP request from this lcore, at most one per address per
 * DP_NEIGH_RETRY_MS, and the caller drops the packet (NEIGH_MISS): SIP over
 * UDP retransmits. IPv6 destinations are not resolved (NEIGH_MISS).
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H
#define SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

/* ---- worker lcore (its own table) ---- */

/* Learn ip (network order) -> mac seen on port port_idx. */
void dp_neigh_learn(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
		    const struct rte_ether_addr *mac);

/* 0 with *mac, or -EAGAIN (an ARP request may have been queued) / -ENOENT. */
int dp_neigh_resolve(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
		     struct rte_ether_addr *mac);

/* An ARP reply this lcore received (already learnt in dp_pkt): share it with
 * the other workers, then free this lcore's reference. */
void dp_neigh_fanout(struct dp_lcore *lc, struct rte_mbuf *m);

/* An ARP packet another lcore handed over (info->neigh_only): learn, free. */
void dp_neigh_input(struct dp_lcore *lc, struct rte_mbuf *m);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H */
