/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission on the cluster port: which sources may send to the control plane,
 * and how fast (docs/security.md, "Cluster port").
 *
 * Who. A cluster datagram (UDP to cluster.port, on cluster.port_index) is
 * admitted when its IPv4 source is
 *   - a known node: a static peer (cluster.nodes), a seed (cluster.seeds), or
 *     a node the control plane lists in its published view (dp_shared nodes:
 *     every node it learnt by a join, an adopt or an announce, any state);
 *   - else a newcomer: a source inside cluster.join_from (absent: the cluster
 *     port's IPv4 subnet; [] none), the only way a node nobody knows yet can
 *     send its Join. All newcomers of an lcore share one small bucket
 *     (DP_CGATE_NEW_PPS, DP_CGATE_NEW_BURST): a flood of forged sources in the
 *     prefix costs at most that, never the known nodes' share.
 * Anything else (and IPv6) is dropped as CLUSTER_NOT_ALLOWED before it reaches
 * a ring; the control plane still checks every admitted message's HMAC.
 *
 * How fast. A known source has a token bucket per lcore (cluster.source_pps,
 * cluster.source_burst) in a direct-mapped table of DP_CGATE_SLOTS entries by
 * address (a colliding source takes the slot with a full bucket; the known
 * sources are at most a few dozen). An empty bucket drops the datagram as
 * CLUSTER_RATE_LIMITED. The defaults are far above what a full sync sends (a
 * few thousand datagrams a second): the limit is against a flood under a
 * peer's address, not a pacing of replication.
 *
 * Writers: each lcore its own table (plain stores). The view of the control
 * plane is read under its sequence (dp_shared_node_addr_find).
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_CGATE_H
#define SIPSHARD_DATAPLANE_CORE_DP_CGATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include "dataplane/core/dp_types.h"

#define DP_CGATE_NEW_PPS    200     /* newcomers, all together, per lcore */
#define DP_CGATE_NEW_BURST  100

/* ---- any lcore ---- */

/* A cluster datagram from IPv4 src (network order; family 6: never admitted):
 * 0 when admitted, else the drop reason (CLUSTER_NOT_ALLOWED,
 * CLUSTER_RATE_LIMITED) for the caller to count. */
int dp_cgate_admit(struct dp_lcore *lc, uint8_t family, const void *src);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_CGATE_H */
