/* SPDX-License-Identifier: BSD-3-Clause */
/* Stateless proxy and backend prober on a worker. See dp_proxy.h. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_auth.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_proxy.h"
#include "dataplane/core/dp_reg.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_vip.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_shard.h"

#define DP_NEIGH_WARM_MS 1000u

/* ---- worker lcore ---- */

/* A forwarded message or a probe: from our address and the SIP port to dst. */
static int
send_to(struct dp_lcore *lc, struct rte_mbuf *m, const struct lb_addr *dst, const char *msg,
	size_t len)
{
	return dp_egress_udp_to(lc, m, dst->family, dst->addr, rte_be_to_cpu_16(lc->ctx->sip_port),
				dst->port, msg, len, true);
}

/* A forwarded request: from res->from when set (a VIP held here), else as send_to. */
static int
send_forward(struct dp_lcore *lc, struct rte_mbuf *m, const struct proxy_result *res)
{
	const uint8_t *from = res->from.family == res->dst.family ? res->from.addr : NULL;

	return dp_egress_udp_from(lc, m, res->dst.family, from, res->dst.addr,
				  rte_be_to_cpu_16(lc->ctx->sip_port), res->dst.port, lc->reply,
				  res->len, true);
}

static void
lb_src(const struct dp_pkt_info *info, struct lb_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = info->family;
	a->port = info->src_port;
	memcpy(a->addr, info->src, info->family == 4 ? 4 : 16);
}

/* What proxy_request/proxy_response decided: lc->reply holds the bytes. A
 * REPLY of ours goes back the way the request came (its port and MAC). */
static void
proxy_out(struct dp_lcore *lc, struct rte_mbuf *m, const struct proxy_result *res)
{
	switch (res->action) {
	case PROXY_FORWARD:
		if (send_forward(lc, m, res) == 0)
			DP_STAT_INC(&lc->stats, sip_forwarded);
		return;
	case PROXY_REPLY: {
		const struct dp_pkt_info *info = dp_pkt_info_of(m);

		if (res->dst.family == info->family &&
		    memcmp(res->dst.addr, info->src, info->family == 4 ? 4 : 16) == 0) {
			if (dp_egress_udp_reply(lc, m, res->dst.port, lc->reply, res->len,
						DP_DROP_SIP_REPLY_TOO_BIG, DP_DROP_SIP_REPLY_NO_MBUF) == 0)
				lc->stats.sip.reply[res->status / 100 < DP_SIP_CLASSES ? res->status / 100 : 0]++;
			return;
		}
		send_to(lc, m, &res->dst, lc->reply, res->len);
		return;
	}
	case PROXY_PROBE_REPLY:
		if (lc->ctx->lb != NULL && res->member >= 0)
			lb_reply_note(lc->ctx->lb, lc->idx, res->set, (unsigned)res->member, res->seq);
		rte_pktmbuf_free(m);
		return;
	default:
		DP_DROP_INC(&lc->stats, PROXY_DROP);
		rte_pktmbuf_free(m);
		return;
	}
}

/* lb_probe_send_fn: worker 0 sends the probe from our address and SIP port. */
static int
probe_send(void *arg, const struct lb_set *set, unsigned member, const char *msg, size_t len,
	   const struct lb_addr *dst)
{
	struct dp_lcore *lc = arg;

	(void)set;
	(void)member;
	if (send_to(lc, NULL, dst, msg, len) != 0)
		return -1;
	DP_STAT_INC(&lc->stats, probes_sent);
	return 0;
}

/* To the shard owning its AoR when it needs the location service (one writer
 * per shard: the lookup runs there), then one stateless decision. */
void
dp_proxy_request(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct proxy_result res;
	struct lb_addr src;
	char aor[PROXY_AOR_MAX];
	int n;

	/* digest authentication (auth.methods), once: before any hand-over */
	if (!info->steered && dp_auth_request(lc, m))
		return;
	n = proxy_request_aor(&lc->proxy, lc->msg, aor, sizeof(aor));
	if (n > 0 && lc->reg != NULL) {
		struct reg_key key;

		if (reg_key_from_text(lc->ctx->reg_conf, aor, (size_t)n, &key) == 0) {
			unsigned int owner = reg_key_shard((uint32_t)key.digest, lc->ctx->n_workers);

			if (owner != lc->idx) {
				dp_egress_steer(lc, (uint16_t)owner, m);
				return;
			}
		}
	}
	lb_src(info, &src);
	proxy_request(&lc->proxy, lc->msg, &src, lc->reply, sizeof(lc->reply), &res);
	proxy_out(lc, m, &res);
}

void
dp_proxy_response(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct proxy_result res;
	struct lb_addr src;

	lb_src(dp_pkt_info_of(m), &src);
	proxy_response(&lc->proxy, lc->msg, &src, lc->reply, sizeof(lc->reply), &res);
	proxy_out(lc, m, &res);
}

/* With a cluster: which sets are probed here, the others' states (dp_shared
 * bsets, re-read when its sequence moves). Returns the state changes. */
static unsigned int
probe_control(struct dp_lcore *lc)
{
	struct dp_bset_view v[DP_MAX_BSETS];
	struct lb_sets *s = lc->ctx->lb;
	unsigned int changes = 0;
	uint32_t seq;
	int n, i, si;

	if (!lc->ctx->cfg->cluster.enabled || lc->ctx->shared == NULL)
		return 0;
	if (!lc->bsets_init) {          /* nothing probed before the cp says */
		for (si = 0; si < s->n; si++)
			lb_sets_probe_here(s, si, false, lc->now_ms);
		lc->bsets_init = 1;
	}
	if (lc->ctx->shared->bsets_seq == lc->bsets_seq)
		return 0;
	n = dp_shared_bsets(lc->ctx->shared, v, DP_MAX_BSETS, &seq);
	if (n < 0)
		return 0;
	lc->bsets_seq = seq;
	for (i = 0; i < n; i++) {
		for (si = 0; si < s->n && s->set[si].id != v[i].set; si++)
			;
		if (si == s->n)
			continue;
		lb_sets_probe_here(s, si, v[i].probe != 0, lc->now_ms);
		if (!v[i].probe && v[i].known)
			changes += lb_set_apply(&s->set[si], v[i].up, lc->now_ms);
	}
	return changes;
}

/* The members of the sets another node probes: kept in the neighbour table
 * (this node's probes no longer do it), so the first call to one is sent. */
static void
neigh_warm(struct dp_lcore *lc)
{
	const struct lb_sets *s = lc->ctx->lb;
	unsigned int i;
	int si;

	if (lc->now_ms < lc->neigh_warm_ms)
		return;
	lc->neigh_warm_ms = lc->now_ms + DP_NEIGH_WARM_MS;
	for (si = 0; si < s->n; si++) {
		if (!s->set[si].remote)
			continue;
		for (i = 0; i < s->set[si].n; i++) {
			const struct lb_addr *a = &s->set[si].m[i].addr;

			dp_egress_neigh_warm(lc, a->family, a->addr);
		}
	}
}

void
dp_proxy_probe(struct dp_lcore *lc)
{
	unsigned int changes;

	if (lc->ctx->lb == NULL || lc->idx != 0 || lc->is_ctl)
		return;
	changes = probe_control(lc);
	neigh_warm(lc);
	changes += lb_prober_poll(lc->ctx->lb, lc->now_ms, probe_send, lc);
	if (lc->ctx->shared != NULL && (changes != 0 || lc->now_ms >= lc->backends_pub_ms)) {
		dp_shared_publish_backends(lc->ctx->shared, lc->ctx->lb);
		lc->backends_pub_ms = lc->now_ms + DP_BACKENDS_PUB_MS;
	}
}

/* ---- main lcore ---- */

/* proxy_vip_fn of a worker: its own view of the sharing tags' VIPs. */
static int
proxy_vip(void *arg, const struct lb_addr *a)
{
	return dp_vip_state(arg, a->family, a->addr);
}

void
dp_proxy_init(struct dp_lcore *lc)
{
	if (lc->ctx->proxy_conf == NULL)
		return;
	proxy_worker_init(&lc->proxy, lc->ctx->proxy_conf, dp_reg_lookup, lc);
	proxy_worker_set_vip(&lc->proxy, proxy_vip);
}
