/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rings between lcores, and from the lcores to the control plane.
 *
 * For every ordered pair (src, dst) of packet lcores (workers and the control
 * lcore) there is one single-producer single-consumer ring "ss_s<src>_d<dst>":
 * a packet that belongs to another shard crosses on it with its dp_pkt_info in the
 * mbuf private area. Producers batch per destination lcore and enqueue bursts
 * (dp_egress_steer, dp_egress_flush); a full ring's refusals are freed and
 * counted STEER_RING_FULL. Cluster packets found by software steering go to the
 * multi-producer rings the control plane consumes: topology messages (heartbeats,
 * joins...: msg_type_prio() of the header's type, read before authentication) to
 * "ss_to_cp_hi", everything else (replication) to "ss_to_cp"; the control plane
 * empties the first before it takes a bounded share of the second, so no backlog
 * of replication ever delays a heartbeat. While nobody consumes a ring it fills
 * up and further packets are counted CLUSTER_RING_FULL. The datagrams the
 * control plane sends come back the same way, on "ss_from_cp_hi" (topology) and
 * "ss_from_cp" (dp_shared.h), as payload plus descriptor; the control lcore
 * drains the first before the second and builds and transmits them
 * (dp_egress_cp_send) on the control queue of their port. Rings are
 * created by the primary before the lcores start and are named, so that the
 * control plane (a secondary process) can look them up.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_STEER_H
#define SIPSHARD_DATAPLANE_CORE_DP_STEER_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

#define DP_RING_TO_CP       "ss_to_cp"
#define DP_RING_TO_CP_PRIO  "ss_to_cp_hi"

int dp_steer_init(struct dp_ctx *ctx);
void dp_steer_fini(struct dp_ctx *ctx);

/* Worker index that owns a hash (shard = hash % n_workers). */
static inline uint16_t
dp_steer_shard(const struct dp_ctx *ctx, uint32_t hash)
{
	return (uint16_t)(hash % ctx->n_workers);
}

/* Hands a cluster packet to the control plane (topology messages on the
 * priority ring), or counts CLUSTER_RING_FULL. */
void dp_steer_to_cp(struct dp_lcore *lc, struct rte_mbuf *m);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_STEER_H */
