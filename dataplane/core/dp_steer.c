/* SPDX-License-Identifier: BSD-3-Clause */
/* Inter-lcore and lcore-to-control-plane rings. See dp_steer.h. */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_steer.h"

/* ---- main thread ---- */

int
dp_steer_init(struct dp_ctx *ctx)
{
	unsigned int n = ctx->n_workers + 1u, s, d;
	unsigned int size = ctx->cfg->dp.ring_size;
	char name[RTE_RING_NAMESIZE];

	for (s = 0; s < n; s++) {
		for (d = 0; d < n; d++) {
			struct rte_ring *r;

			if (s == d)
				continue;
			snprintf(name, sizeof(name), "ss_s%u_d%u", s, d);
			r = rte_ring_create(name, size, (int)rte_socket_id(),
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r == NULL)
				return -rte_errno;
			ctx->lcores[s]->out[d] = r;
			ctx->lcores[d]->in[s] = r;
		}
	}
	ctx->to_cp = rte_ring_create(DP_RING_TO_CP, size, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (ctx->to_cp == NULL)
		return -rte_errno;
	ctx->from_cp = rte_ring_create(DP_RING_FROM_CP, size, (int)rte_socket_id(), RING_F_SC_DEQ);
	return ctx->from_cp == NULL ? -rte_errno : 0;
}

void
dp_steer_fini(struct dp_ctx *ctx)
{
	unsigned int n = ctx->n_workers + 1u, s, d;
	struct rte_mbuf *m;

	for (s = 0; s < n; s++) {
		for (d = 0; d < n; d++) {
			struct rte_ring *r = ctx->lcores[s] != NULL ? ctx->lcores[s]->out[d] : NULL;

			if (r == NULL)
				continue;
			while (rte_ring_dequeue(r, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(r);
			ctx->lcores[s]->out[d] = NULL;
			ctx->lcores[d]->in[s] = NULL;
		}
	}
	if (ctx->to_cp != NULL) {
		while (rte_ring_dequeue(ctx->to_cp, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(ctx->to_cp);
		ctx->to_cp = NULL;
	}
	if (ctx->from_cp != NULL) {
		while (rte_ring_dequeue(ctx->from_cp, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(ctx->from_cp);
		ctx->from_cp = NULL;
	}
}

/* ---- worker lcore ---- */

void
dp_steer_to_cp(struct dp_lcore *lc, struct rte_mbuf *m)
{
	if (rte_ring_mp_enqueue(lc->ctx->to_cp, m) != 0) {
		DP_DROP_INC(&lc->stats, CLUSTER_RING_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	DP_STAT_INC(&lc->stats, cluster_rx);
}
