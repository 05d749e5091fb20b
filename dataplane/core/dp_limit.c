/* SPDX-License-Identifier: BSD-3-Clause */
/* Flood protection: per-source token buckets of each worker. See dp_limit.h. */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_limit.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/sip/sip_hash.h"

#define LIMIT_SEED 0x6c696d6974ull

/* ---- primary, main thread ---- */

int
dp_limit_create(struct dp_ctx *ctx)
{
	const struct cfg_limits *l = &ctx->cfg->limits;
	unsigned int i;

	if (!l->enabled)
		return 0;
	for (i = 0; i < ctx->n_workers; i++) {
		struct dp_limit *t = rte_zmalloc("dp_limit", sizeof(*t), RTE_CACHE_LINE_SIZE);

		if (t == NULL)
			return -ENOMEM;
		t->pps = l->per_source_pps;
		t->burst = l->burst;
		t->block_ms = l->block_s * 1000u;
		ctx->lcores[i]->limit = t;
	}
	return 0;
}

void
dp_limit_free(struct dp_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->n_workers; i++) {
		if (ctx->lcores[i] == NULL)
			continue;
		rte_free(ctx->lcores[i]->limit);
		ctx->lcores[i]->limit = NULL;
	}
}

/* ---- worker lcore ---- */

bool
dp_source_exempt(const struct dp_lcore *lc, const struct dp_pkt_info *info)
{
	const struct cfg *cfg = lc->ctx->cfg;
	const struct proxy_conf *pc = lc->ctx->proxy_conf;
	struct lb_addr a;
	int i;

	memset(&a, 0, sizeof(a));
	a.family = info->family;
	memcpy(a.addr, info->src, info->family == 4 ? 4 : 16);
	for (i = 0; i < cfg->auth.n_trusted; i++)
		if (cfg_cidr_match(&cfg->auth.trusted[i], info->family, info->src))
			return true;
	if (pc == NULL)
		return false;
	a.port = info->src_port;
	if (proxy_dest_allowed(pc, &a))   /* members and peers at the port they send from */
		return true;
	a.port = pc->port;
	return proxy_dest_allowed(pc, &a);
}

bool
dp_limit_over(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct dp_limit *t = lc->limit;
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	size_t alen = info->family == 4 ? 4 : 16;
	struct dp_limit_ent *set, *e = NULL, *victim = NULL;
	uint64_t now = lc->now_ms, refill;
	unsigned int w;

	if (t == NULL)
		return false;
	set = &t->ent[(sip_hash64(LIMIT_SEED, info->src, alen) & (DP_LIMIT_SETS - 1)) * DP_LIMIT_WAYS];
	for (w = 0; w < DP_LIMIT_WAYS; w++) {
		struct dp_limit_ent *x = &set[w];

		if (x->family == info->family && memcmp(x->addr, info->src, alen) == 0) {
			e = x;
			break;
		}
		if (x->until_ms > now)
			continue;            /* a blocked source keeps its way */
		if (victim == NULL || x->family == 0 || (victim->family != 0 && x->last_ms < victim->last_ms))
			victim = x;
	}
	if (e == NULL) {
		if (victim == NULL)
			return false;        /* every way blocked: untracked */
		e = victim;
		memset(e, 0, sizeof(*e));
		e->family = info->family;
		memcpy(e->addr, info->src, alen);
		e->tokens = t->burst * 1000u;
		e->last_ms = now;
	}
	if (e->exempt)
		return false;
	if (e->until_ms != 0) {
		if (e->until_ms > now) {
			e->dropped++;
			return true;
		}
		e->until_ms = 0;             /* served its time: a full bucket again */
		e->tokens = t->burst * 1000u;
		e->last_ms = now;
	}
	refill = (now - e->last_ms) * t->pps;   /* thousandths: pps per ms */
	e->last_ms = now;
	e->tokens = (uint32_t)RTE_MIN((uint64_t)e->tokens + refill, (uint64_t)t->burst * 1000u);
	if (e->tokens >= 1000u) {
		e->tokens -= 1000u;
		return false;
	}
	if (dp_source_exempt(lc, info)) {
		e->exempt = 1;
		return false;
	}
	e->until_ms = now + t->block_ms;
	e->dropped++;
	return true;
}
