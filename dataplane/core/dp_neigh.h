/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table (IPv4 -> MAC) of one lcore, for the packets it builds itself
 * (forwarded requests and responses, probes, and on the control lcore the
 * control plane's datagrams). A table only: it sends nothing; dp_egress asks it
 * and sends the ARP requests it calls for.
 *
 * Each lcore has its own direct-mapped table (DP_NEIGH_SLOTS entries, slot =
 * hash of port and address), written only by that lcore: no lock, no atomic.
 * A slot holds one address; a colliding address replaces it. Entries are
 * learnt from (a) every IPv4 packet for us whose source is on the subnet of
 * the port it came in on (source address -> source MAC, in dp_pkt), (b) ARP
 * requests for our address (sender -> sha), (c) ARP replies for our address.
 * An ARP reply comes in on whichever lcore RSS (or the NIC's default queue)
 * picks, not necessarily the one that asked: the receiving lcore learns it and
 * hands the same mbuf (reference count raised) to every other packet lcore,
 * the control lcore included, over the SPSC steering rings, marked
 * info->neigh_only (dp_egress_fanout), so each learns it in its own table
 * (dp_neigh_input).
 *
 * Lookup (dp_neigh_lookup): a hit returns the MAC; an entry older than
 * DP_NEIGH_REFRESH_MS is still used but the caller is told to refresh it by an
 * ARP request. A miss tells the caller to send a broadcast ARP request, at most
 * once per address per DP_NEIGH_RETRY_MS; the caller drops the packet
 * (NEIGH_MISS): SIP over UDP and cluster heartbeats are resent.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H
#define SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

/* ---- worker lcore (its own table) ---- */

/* Learn ip (network order) -> mac seen on port port_idx. */
void dp_neigh_learn(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
		    const struct rte_ether_addr *mac);

/* 0 with *mac, or -EAGAIN (unknown, ask now) / -ENOENT (unknown, asked
 * recently). *ask is set when an ARP request for ip should be sent now (a miss
 * not asked within the retry interval, or a stale hit); the time is noted. */
int dp_neigh_lookup(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
		    struct rte_ether_addr *mac, bool *ask);

/* An ARP packet another lcore handed over (info->neigh_only): learn, free. */
void dp_neigh_input(struct dp_lcore *lc, struct rte_mbuf *m);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_NEIGH_H */
