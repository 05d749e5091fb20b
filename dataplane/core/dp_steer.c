/* SPDX-License-Identifier: BSD-3-Clause */
/* Inter-lcore and lcore-to-control-plane rings. See dp_steer.h. */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_byteorder.h>
#include <rte_ring.h>

#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_steer.h"
#include "proto/msg_types.h"

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
	ctx->to_cp_prio = rte_ring_create(DP_RING_TO_CP_PRIO, size, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (ctx->to_cp_prio == NULL)
		return -rte_errno;
	ctx->from_cp = rte_ring_create(DP_RING_FROM_CP, size, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (ctx->from_cp == NULL)
		return -rte_errno;
	ctx->from_cp_prio = rte_ring_create(DP_RING_FROM_CP_PRIO, size, (int)rte_socket_id(),
					    RING_F_SC_DEQ);
	return ctx->from_cp_prio == NULL ? -rte_errno : 0;
}

static void
ring_drain_free(struct rte_ring **r)
{
	struct rte_mbuf *m;

	if (*r == NULL)
		return;
	while (rte_ring_dequeue(*r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(*r);
	*r = NULL;
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
	ring_drain_free(&ctx->to_cp);
	ring_drain_free(&ctx->to_cp_prio);
	ring_drain_free(&ctx->from_cp);
	ring_drain_free(&ctx->from_cp_prio);
}

/* ---- worker lcore ---- */

/* A topology message by the type in its framing header (not authenticated
 * here: that only chooses the ring). */
static bool
cluster_prio(struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct msg_wire_hdr copy;
	const struct msg_wire_hdr *h;

	if (info->payload_len < sizeof(copy))
		return false;
	h = rte_pktmbuf_read(m, info->payload_off, sizeof(copy), &copy);
	return h != NULL && rte_be_to_cpu_32(h->magic) == MSG_MAGIC && msg_type_prio(h->type);
}

void
dp_steer_to_cp(struct dp_lcore *lc, struct rte_mbuf *m)
{
	bool prio = cluster_prio(m);

	if (rte_ring_mp_enqueue(prio ? lc->ctx->to_cp_prio : lc->ctx->to_cp, m) != 0) {
		DP_DROP_INC(&lc->stats, CLUSTER_RING_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	DP_STAT_INC(&lc->stats, cluster_rx);
	if (prio)
		DP_STAT_INC(&lc->stats, cluster_rx_prio);
}
