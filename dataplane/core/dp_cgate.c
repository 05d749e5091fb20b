/* SPDX-License-Identifier: BSD-3-Clause */
/* Admission on the cluster port. See dp_cgate.h. */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>

#include "dataplane/core/dp_cgate.h"
#include "dataplane/core/dp_shared.h"

/* Take one datagram from bucket e (pps, burst): true when it had one. */
static bool
bucket_take(struct dp_cgate_ent *e, uint64_t now, uint32_t pps, uint32_t burst)
{
	uint64_t t = e->tokens + (now - e->last_ms) * pps;   /* thousandths: pps per ms */

	e->last_ms = now;
	e->tokens = (uint32_t)RTE_MIN(t, (uint64_t)burst * 1000u);
	if (e->tokens < 1000u)
		return false;
	e->tokens -= 1000u;
	return true;
}

/* A static peer or a seed of the configuration (host order). */
static bool
configured(const struct cfg_cluster *cl, uint32_t a)
{
	int i;

	for (i = 0; i < cl->n_nodes; i++)
		if (cl->nodes[i].address == a)
			return true;
	for (i = 0; i < cl->n_seeds; i++)
		if (cl->seeds[i] == a)
			return true;
	return false;
}

/* Inside cluster.join_from (absent: the subnet of the cluster port). */
static bool
newcomer(const struct dp_ctx *ctx, rte_be32_t src)
{
	const struct cfg_cluster *cl = &ctx->cfg->cluster;
	const struct dp_port *p = &ctx->ports[ctx->cluster_port_idx];
	int i;

	if (!cl->join_from_set)
		return p->ipv4 != 0 && ((src ^ p->ipv4) & p->ipv4_mask) == 0;
	for (i = 0; i < cl->n_join_from; i++)
		if (cfg_cidr_match(&cl->join_from[i], 4, (const uint8_t *)&src))
			return true;
	return false;
}

int
dp_cgate_admit(struct dp_lcore *lc, uint8_t family, const void *src)
{
	const struct dp_ctx *ctx = lc->ctx;
	const struct cfg_cluster *cl = &ctx->cfg->cluster;
	struct dp_cgate_ent *e;
	rte_be32_t a;
	uint32_t h;

	if (family != 4)
		return DP_DROP_CLUSTER_NOT_ALLOWED;
	memcpy(&a, src, 4);
	h = rte_be_to_cpu_32(a);
	if (!configured(cl, h) &&
	    (ctx->shared == NULL || dp_shared_node_addr_find(ctx->shared, h) != 0)) {
		if (!newcomer(ctx, a))
			return DP_DROP_CLUSTER_NOT_ALLOWED;
		return bucket_take(&lc->cgate_new, lc->now_ms, DP_CGATE_NEW_PPS,
				   DP_CGATE_NEW_BURST) ? 0 : DP_DROP_CLUSTER_RATE_LIMITED;
	}
	e = &lc->cgate[rte_hash_crc_4byte(a, 0) & (DP_CGATE_SLOTS - 1)];
	if (e->addr != a) {   /* a new source (or a colliding one): a full bucket */
		e->addr = a;
		e->tokens = cl->source_burst * 1000u;
		e->last_ms = lc->now_ms;
	}
	return bucket_take(e, lc->now_ms, cl->source_pps, cl->source_burst) ?
	       0 : DP_DROP_CLUSTER_RATE_LIMITED;
}
