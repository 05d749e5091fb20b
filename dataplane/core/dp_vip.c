/* SPDX-License-Identifier: BSD-3-Clause */
/* VIPs of sharing tags: this lcore's copy, gratuitous ARPs and unsolicited
 * neighbour advertisements. See dp_vip.h. */
#include <string.h>

#include <rte_common.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_vip.h"

static_assert(DP_VIP_MAX >= DP_MAX_TAGS, "one VIP per tag of the view");

/* Delay after the k-th announcement (k = 1, 2) before the next: 0, 100, 300 ms. */
static const uint16_t garp_gap_ms[DP_VIP_GARPS] = { 0, 100, 200 };

/* ---- worker lcore ---- */

static bool
vip_same(const struct dp_vip *v, uint8_t family, const uint8_t *addr)
{
	if (v->family != family)
		return false;
	return family == 4 ? memcmp(&v->addr, addr, 4) == 0 : memcmp(v->addr6, addr, 16) == 0;
}

int
dp_vip_state(const struct dp_lcore *lc, uint8_t family, const uint8_t *addr)
{
	uint16_t i;

	for (i = 0; i < lc->vips.n; i++)
		if (vip_same(&lc->vips.v[i], family, addr))
			return lc->vips.v[i].held;
	return -1;
}

bool
dp_vip_solicited6(const struct dp_lcore *lc, uint16_t port_idx, const uint8_t dst[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	uint16_t i;

	if (memcmp(dst, prefix, sizeof(prefix)) != 0)
		return false;
	for (i = 0; i < lc->vips.n; i++) {
		const struct dp_vip *v = &lc->vips.v[i];

		if (v->family == 6 && v->port_idx == port_idx && memcmp(v->addr6 + 13, dst + 13, 3) == 0)
			return true;
	}
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
vip_old(const struct dp_vips *vs, const struct dp_vip *nv)
{
	uint16_t i;

	for (i = 0; i < vs->n; i++)
		if (vip_same(&vs->v[i], nv->family,
			     nv->family == 4 ? (const uint8_t *)&nv->addr : nv->addr6))
			return &vs->v[i];
	return NULL;
}

/* A new copy of the view; a VIP that was not held and is now gets its
 * announcements scheduled (sent by worker 0 only). */
static void
vip_copy(struct dp_lcore *lc, const struct dp_shared *sh)
{
	struct dp_vips *vs = &lc->vips;
	struct dp_vip nv[DP_VIP_MAX];
	uint32_t seq;
	int n, i;

	n = dp_shared_vips(sh, nv, DP_VIP_MAX, &seq);
	if (n < 0)
		return;                 /* being written: next refresh */
	for (i = 0; i < n; i++) {
		const struct dp_vip *o = vip_old(vs, &nv[i]);

		nv[i].port_idx = nv[i].family == 4 ? vip_port(lc->ctx, nv[i].addr)
						   : (uint8_t)dp_egress_port6(lc->ctx, nv[i].addr6);
		if (!nv[i].held)
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

/* The gratuitous ARPs and unsolicited neighbour advertisements that are due. */
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
		if (v->family == 4)
			dp_egress_garp(lc, v->port_idx, v->addr);
		else
			dp_egress_una(lc, v->port_idx, v->addr6);
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
