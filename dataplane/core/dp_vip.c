/* SPDX-License-Identifier: BSD-3-Clause */
/* VIPs of sharing tags: this lcore's copy, gratuitous ARPs. See dp_vip.h. */
#include <string.h>

#include <rte_common.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_vip.h"

static_assert(DP_VIP_MAX >= DP_MAX_TAGS, "one VIP per tag of the view");

/* Delay after the k-th gratuitous ARP (k = 1, 2) before the next: 0, 100, 300 ms. */
static const uint16_t garp_gap_ms[DP_VIP_GARPS] = { 0, 100, 200 };

/* ---- worker lcore ---- */

bool
dp_vip_held(const struct dp_lcore *lc, rte_be32_t addr)
{
	uint16_t i;

	for (i = 0; i < lc->vips.n; i++)
		if (lc->vips.v[i].addr == addr && lc->vips.v[i].held)
			return true;
	return false;
}

bool
dp_vip_known(const struct dp_lcore *lc, rte_be32_t addr)
{
	uint16_t i;

	for (i = 0; i < lc->vips.n; i++)
		if (lc->vips.v[i].addr == addr)
			return true;
	return false;
}

/* The port whose IPv4 subnet holds addr, else 0. */
static uint8_t
vip_port(const struct dp_ctx *ctx, rte_be32_t addr)
{
	uint16_t i;

	for (i = 0; i < ctx->n_ports; i++) {
		const struct dp_port *p = &ctx->ports[i];

		if (p->ipv4 != 0 && ((addr ^ p->ipv4) & p->ipv4_mask) == 0)
			return (uint8_t)i;
	}
	return 0;
}

static const struct dp_vip *
vip_old(const struct dp_vips *vs, rte_be32_t addr)
{
	uint16_t i;

	for (i = 0; i < vs->n; i++)
		if (vs->v[i].addr == addr)
			return &vs->v[i];
	return NULL;
}

/* A new copy of the view; a VIP that was not held and is now gets its
 * gratuitous ARPs scheduled (sent by worker 0 only). */
static void
vip_copy(struct dp_lcore *lc, const struct dp_shared *sh)
{
	struct dp_vips *vs = &lc->vips;
	struct dp_vip nv[DP_VIP_MAX];
	rte_be32_t addr[DP_VIP_MAX];
	uint8_t held[DP_VIP_MAX];
	uint32_t seq;
	int n, i;

	n = dp_shared_vips(sh, addr, held, DP_VIP_MAX, &seq);
	if (n < 0)
		return;                 /* being written: next refresh */
	for (i = 0; i < n; i++) {
		const struct dp_vip *o = vip_old(vs, addr[i]);

		memset(&nv[i], 0, sizeof(nv[i]));
		nv[i].addr = addr[i];
		nv[i].port_idx = vip_port(lc->ctx, addr[i]);
		nv[i].held = held[i];
		if (!held[i])
			continue;
		if (o != NULL && o->held) {
			nv[i].garp_left = o->garp_left;
			nv[i].garp_ms = o->garp_ms;
		} else {
			nv[i].garp_left = DP_VIP_GARPS;
			nv[i].garp_ms = lc->now_ms;
		}
	}
	memcpy(vs->v, nv, (size_t)n * sizeof(nv[0]));
	vs->n = (uint16_t)n;
	vs->seq = seq;
}

static void
vip_garp(struct dp_lcore *lc)
{
	struct dp_vips *vs = &lc->vips;
	uint16_t i;

	for (i = 0; i < vs->n; i++) {
		struct dp_vip *v = &vs->v[i];
		unsigned int k;

		if (!v->held || v->garp_left == 0 || lc->now_ms < v->garp_ms)
			continue;
		dp_egress_garp(lc, v->port_idx, v->addr);
		v->garp_left--;
		k = DP_VIP_GARPS - v->garp_left;
		if (k < DP_VIP_GARPS)
			v->garp_ms = lc->now_ms + garp_gap_ms[k];
	}
}

void
dp_vip_refresh(struct dp_lcore *lc)
{
	const struct dp_shared *sh = lc->ctx->shared;
	struct dp_vips *vs = &lc->vips;

	if (lc->now_ms < vs->next_ms)
		return;
	vs->next_ms = lc->now_ms + DP_VIP_REFRESH_MS;
	if (sh != NULL && sh->tags_seq != vs->seq)
		vip_copy(lc, sh);
	if (lc->idx == 0 && !lc->is_ctl)
		vip_garp(lc);
}
