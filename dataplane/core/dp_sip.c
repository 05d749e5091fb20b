/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP datagrams into the shard layer: parse, dispatch, registrar, replies. See dp_sip.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_sip.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"

/* ---- worker lcore ---- */

/* A reply built from the request alone (errors, OPTIONS to us), sent through
 * dp_egress; when none can be built, counted SIP_NO_REPLY and freed. */
static void
reply_simple(struct dp_lcore *lc, struct rte_mbuf *m, unsigned int status)
{
	if (dp_egress_sip_error(lc, m, status) != 0) {   /* no Via to answer to, or too long */
		DP_DROP_INC(&lc->stats, SIP_NO_REPLY);
		rte_pktmbuf_free(m);
	}
}

static void
registrar(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct reg_src src = {
		.family = info->family,
		.local_port = info->port_idx,
		.port = info->src_port,
	};
	struct reg_key key;
	uint32_t hash;
	unsigned int owner;
	size_t len = 0;
	int status;

	status = reg_aor_key(lc->ctx->reg_conf, &lc->msg, &key, &hash);
	if (status != 0) {
		reply_simple(lc, m, (unsigned int)status);
		return;
	}
	owner = reg_key_shard(hash, lc->ctx->n_workers);
	if (owner != lc->idx) {   /* one writer per shard: its worker */
		dp_egress_steer(lc, (uint16_t)owner, m);
		return;
	}
	memcpy(src.addr, info->src, sizeof(src.addr));
	status = reg_shard_register(lc->reg, &lc->msg, &key, &src, lc->now_ms, lc->wall_s,
				    lc->reply, sizeof(lc->reply), &len);
	if (len == 0) {
		DP_DROP_INC(&lc->stats, SIP_REPLY_TOO_BIG);
		rte_pktmbuf_free(m);
		return;
	}
	dp_egress_sip_reply(lc, m, len, (unsigned int)status);
}

/* A forwarded message or a probe: from our address and the SIP port to dst. */
static int
send_to(struct dp_lcore *lc, struct rte_mbuf *m, const struct lb_addr *dst, const char *msg,
	size_t len)
{
	return dp_egress_udp_to(lc, m, dst->family, dst->addr, rte_be_to_cpu_16(lc->ctx->sip_port),
				dst->port, msg, len);
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
		if (send_to(lc, m, &res->dst, lc->reply, res->len) == 0)
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

/* A request for the proxy: to the shard owning its AoR when it needs the
 * location service (one writer per shard: the lookup runs there), then one
 * stateless decision. */
static void
proxy_req(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct proxy_result res;
	struct lb_addr src;
	char aor[PROXY_AOR_MAX];
	int n;

	n = proxy_request_aor(lc->ctx->proxy_conf, &lc->msg, aor, sizeof(aor));
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
	proxy_request(&lc->proxy, &lc->msg, &src, lc->reply, sizeof(lc->reply), &res);
	proxy_out(lc, m, &res);
}

/* OPTIONS to this node itself (no user part): the keepalive operators expect. */
static bool
options_to_us(const struct sip_msg *msg)
{
	struct sip_uri u;

	return msg->method == SIP_METHOD_OPTIONS &&
	       sip_uri_parse(&u, msg->ruri.p, msg->ruri.len) == 0 &&
	       (u.type == SIP_URI_SIP || u.type == SIP_URI_SIPS) && u.user.p == NULL;
}

void
dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	const uint8_t *p = dp_pkt_payload(lc, m, info);
	struct sip_msg *msg = &lc->msg;
	int rc;

	rc = p == NULL ? -SIP_ERR_EMPTY : sip_msg_parse(msg, (const char *)p, info->payload_len);
	if (rc != 0) {   /* (only the receiving lcore parses a message that fails) */
		lc->stats.sip.invalid[(unsigned int)-rc < SIP_ERR__COUNT ? -rc : 0]++;
		DP_DROP_INC(&lc->stats, SIP_INVALID);
		/* A request we can answer gets its 400/505 (RFC 3261 §8.2, §16.3);
		 * a broken response is dropped silently. */
		if (p != NULL && msg->is_request && sip_err_status(rc) >= 400 &&
		    dp_egress_sip_error(lc, m, sip_err_status(rc)) == 0)
			return;
		rte_pktmbuf_free(m);
		return;
	}
	if (!msg->is_request) {
		struct proxy_result res;
		struct lb_addr src;

		lc->stats.sip.resp[msg->status / 100 < DP_SIP_CLASSES ? msg->status / 100 : 0]++;
		if (lc->ctx->proxy_conf == NULL) {
			DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
			rte_pktmbuf_free(m);
			return;
		}
		lb_src(info, &src);
		proxy_response(&lc->proxy, msg, &src, lc->reply, sizeof(lc->reply), &res);
		proxy_out(lc, m, &res);
		return;
	}
	if (!info->steered)   /* counted once, by the lcore that received it */
		lc->stats.sip.req[msg->method < SIP_METHOD__COUNT ? msg->method : 0]++;
	if (msg->method == SIP_METHOD_REGISTER && lc->reg != NULL) {
		registrar(lc, m);
		return;
	}
	if (options_to_us(msg)) {
		reply_simple(lc, m, 200);
		return;
	}
	if (lc->ctx->proxy_conf != NULL) {
		proxy_req(lc, m);
		return;
	}
	DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
	rte_pktmbuf_free(m);
}

struct binding_pick {
	struct proxy_binding *out;
	int found;
	uint16_t q;
};

/* Highest q; among equals the most recent (the list is oldest first). */
static int
binding_pick(const struct reg_contact *c, void *arg)
{
	struct binding_pick *bp = arg;
	struct proxy_binding *b = bp->out;

	if (bp->found && c->q < bp->q)
		return 0;
	if (c->uri_len > sizeof(b->uri) || (c->path != NULL && c->path_len > sizeof(b->path)))
		return 0;
	bp->found = 1;
	bp->q = c->q;
	memcpy(b->uri, c->uri, c->uri_len);
	b->uri_len = c->uri_len;
	b->path_len = 0;
	if (c->path != NULL) {
		memcpy(b->path, c->path, c->path_len);
		b->path_len = c->path_len;
	}
	memset(&b->src, 0, sizeof(b->src));
	b->src.family = c->src.family;
	b->src.port = c->src.port;
	memcpy(b->src.addr, c->src.addr, sizeof(b->src.addr));
	return 0;
}

/* proxy_lookup_fn of a worker: its own shard (the request was steered to it). */
static int
sip_lookup(void *arg, const char *aor, size_t len, struct proxy_binding *out)
{
	struct dp_lcore *lc = arg;
	struct binding_pick bp = { out, 0, 0 };
	int rc;

	if (lc->reg == NULL)
		return 0;
	rc = reg_shard_lookup(lc->reg, aor, len, lc->now_ms, binding_pick, &bp);
	if (rc < 0)
		return rc;
	return bp.found;
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

void
dp_sip_probe(struct dp_lcore *lc)
{
	unsigned int changes;

	if (lc->ctx->lb == NULL || lc->idx != 0 || lc->is_ctl)
		return;
	changes = lb_prober_poll(lc->ctx->lb, lc->now_ms, probe_send, lc);
	if (lc->ctx->shared != NULL && (changes != 0 || lc->now_ms >= lc->backends_pub_ms)) {
		dp_shared_publish_backends(lc->ctx->shared, lc->ctx->lb);
		lc->backends_pub_ms = lc->now_ms + DP_BACKENDS_PUB_MS;
	}
}

/* ---- main lcore ---- */

void
dp_sip_proxy_init(struct dp_lcore *lc)
{
	if (lc->ctx->proxy_conf != NULL)
		proxy_worker_init(&lc->proxy, lc->ctx->proxy_conf, sip_lookup, lc);
}

/* ---- worker lcore ---- */

struct contact_list {
	struct dp_contact_rec *rec;
	size_t cap, n;
};

static int
contact_rec(const struct reg_contact *c, void *arg)
{
	struct contact_list *cl = arg;
	struct dp_contact_rec *r;
	size_t n;

	if (cl->n == cl->cap)
		return 1;
	r = &cl->rec[cl->n++];
	memset(r, 0, sizeof(*r));
	n = RTE_MIN((size_t)c->uri_len, sizeof(r->uri) - 1);
	memcpy(r->uri, c->uri, n);
	r->expires_in = c->expires_in;
	r->q = c->q;
	r->origin = c->origin;
	r->port = c->src.port;
	r->family = c->src.family;
	memcpy(r->addr, c->src.addr, sizeof(r->addr));
	return 0;
}

/* Shard queries: only the owner of an AoR answers for it (-ENOENT elsewhere). */
static int
sip_query(struct dp_lcore *lc, uint32_t kind, const char *arg, char *out, size_t cap,
	     uint32_t *len)
{
	struct reg_key key;
	uint64_t aors, contacts;
	int n;

	*len = 0;
	if (lc->reg == NULL)
		return -ENOTSUP;
	switch (kind) {
	case DP_QUERY_CONTACTS_COUNT:
		reg_shard_counts(lc->reg, &aors, &contacts);
		n = snprintf(out, cap, "{\"aors\":%llu,\"contacts\":%llu}",
			     (unsigned long long)aors, (unsigned long long)contacts);
		break;
	case DP_QUERY_CONTACT_SHOW:
	case DP_QUERY_CONTACT_LIST:
		if (reg_key_from_text(lc->ctx->reg_conf, arg, strlen(arg), &key) != 0)
			return -EINVAL;
		if (reg_key_shard((uint32_t)key.digest, lc->ctx->n_workers) != lc->idx)
			return -ENOENT;
		if (kind == DP_QUERY_CONTACT_SHOW) {
			n = reg_shard_contacts_json(lc->reg, key.aor, key.len, lc->now_ms, out, cap);
		} else {
			struct contact_list cl = { (struct dp_contact_rec *)(void *)out,
						   cap / sizeof(struct dp_contact_rec), 0 };

			reg_shard_lookup(lc->reg, key.aor, key.len, lc->now_ms, contact_rec, &cl);
			n = (int)(cl.n * sizeof(struct dp_contact_rec));
		}
		break;
	default:
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= cap)
		return n < 0 ? n : -ENOSPC;
	*len = (uint32_t)n;
	return 0;
}

void
dp_sip_serve(struct dp_lcore *lc)
{
	struct dp_shared *sh = lc->ctx->shared;
	struct dp_query *q;
	uint32_t seq;

	if (sh == NULL || lc->is_ctl)
		return;
	q = &sh->query[lc->idx];
	seq = q->seq_req;
	if (likely(seq == q->seq_done))
		return;
	rte_smp_rmb();
	q->rc = sip_query(lc, q->kind, q->arg, q->out, sizeof(q->out), &q->len);
	rte_smp_wmb();
	q->seq_done = seq;
}
