/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP datagrams into the shard layer: parse, count, dispatch. See dp_sip.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_limit.h"
#include "dataplane/core/dp_ping.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_proxy.h"
#include "dataplane/core/dp_reg.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_sip.h"
#include "dataplane/registrar/reg_pack.h"
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

/* OPTIONS to this node itself (no user part): the keepalive operators expect. */
static bool
options_to_us(const struct sip_msg *msg)
{
	struct sip_uri u;

	return msg->method == SIP_METHOD_OPTIONS &&
	       sip_uri_parse(&u, msg->ruri.p, msg->ruri.len) == 0 &&
	       (u.type == SIP_URI_SIP || u.type == SIP_URI_SIPS) && u.user.p == NULL;
}

int
dp_sip_parse(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	const uint8_t *p;
	struct sip_msg *msg = lc->msg;

	if (!info->steered && lc->limit != NULL && dp_limit_over(lc, m)) {
		DP_DROP_INC(&lc->stats, RATE_LIMITED);   /* before any parsing */
		rte_pktmbuf_free(m);
		return 1;
	}
	p = dp_pkt_payload(lc, m, info);
	if (p == NULL) {
		msg->is_request = 0;   /* nothing to answer */
		return -SIP_ERR_EMPTY;
	}
	return sip_msg_parse(msg, (const char *)p, info->payload_len);
}

void
dp_sip_handle(struct dp_lcore *lc, struct rte_mbuf *m, const struct dp_staged *st, int rc)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	const struct sip_msg *msg = lc->msg;

	if (rc != 0) {   /* (only the receiving lcore parses a message that fails) */
		lc->stats.sip.invalid[(unsigned int)-rc < SIP_ERR__COUNT ? -rc : 0]++;
		DP_DROP_INC(&lc->stats, SIP_INVALID);
		/* A request we can answer gets its 400/505 (RFC 3261 §8.2, §16.3);
		 * a broken response is dropped silently. */
		if (msg->is_request && sip_err_status(rc) >= 400 &&
		    dp_egress_sip_error(lc, m, sip_err_status(rc)) == 0)
			return;
		rte_pktmbuf_free(m);
		return;
	}
	if (!msg->is_request) {
		if (!info->steered)
			lc->stats.sip.resp[msg->status / 100 < DP_SIP_CLASSES ? msg->status / 100 : 0]++;
		if (lc->ping.on && dp_ping_response(lc, m))
			return;
		if (lc->ctx->proxy_conf == NULL) {
			DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
			rte_pktmbuf_free(m);
			return;
		}
		dp_proxy_response(lc, m);
		return;
	}
	if (!info->steered)   /* counted once, by the lcore that received it */
		lc->stats.sip.req[msg->method < SIP_METHOD__COUNT ? msg->method : 0]++;
	if (msg->method == SIP_METHOD_REGISTER && lc->reg != NULL) {
		dp_reg_input(lc, m, st != NULL && st->reg ? st : NULL);
		return;
	}
	if (options_to_us(msg)) {
		reply_simple(lc, m, 200);
		return;
	}
	if (lc->ctx->proxy_conf != NULL) {
		dp_proxy_request(lc, m);
		return;
	}
	DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
	rte_pktmbuf_free(m);
}

void
dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m)
{
	int rc;

	lc->msg = &lc->msg_direct;
	rc = dp_sip_parse(lc, m);
	if (rc <= 0)
		dp_sip_handle(lc, m, NULL, rc);
}

void
dp_sip_stage_run(struct dp_lcore *lc)
{
	struct reg_key *keys[DP_MAX_BURST];
	unsigned int i, nk = 0;

	for (i = 0; i < lc->n_stage; i++)
		if (lc->stage[i].mine)
			keys[nk++] = &lc->stage[i].key;
	if (nk != 0)
		reg_shard_prefetch(lc->reg, keys, nk);
	for (i = 0; i < lc->n_stage; i++) {
		struct dp_staged *st = &lc->stage[i];

		lc->msg = &st->msg;
		dp_sip_handle(lc, st->m, st, st->parse_rc);
	}
	lc->n_stage = 0;
	lc->msg = &lc->msg_direct;
}

void
dp_sip_stage_add(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct dp_staged *st;
	int rc;

	if (m->nb_segs > 1) {
		dp_sip_stage_run(lc);
		dp_sip_input(lc, m);
		return;
	}
	if (lc->n_stage == DP_MAX_BURST)
		dp_sip_stage_run(lc);
	st = &lc->stage[lc->n_stage];
	lc->msg = &st->msg;
	rc = dp_sip_parse(lc, m);
	if (rc > 0)
		return;   /* dropped by the rate limit */
	st->m = m;
	st->parse_rc = (int16_t)rc;
	st->reg = 0;
	st->mine = 0;
	if (rc == 0 && lc->msg->is_request && lc->msg->method == SIP_METHOD_REGISTER &&
	    lc->reg != NULL)
		dp_reg_stage(lc, st);
	lc->n_stage++;
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

/* DP_QUERY_CONTACT_SHOW records appended at out[len..cap). */
struct contact_show {
	char *out;
	size_t cap, len;
	struct dp_contact_show *head;
	bool overflow;
};

_Static_assert(REG_AOR_MAX <= DP_QUERY_ARG, "a normalised AoR fits dp_contact_show.aor");
_Static_assert(sizeof(struct dp_contact_show) % 8 == 0 && sizeof(struct dp_contact_ent) % 8 == 0,
	      "contact records stay 8-byte aligned");

static int
contact_ent(const struct reg_contact *c, void *arg)
{
	struct contact_show *cs = arg;
	struct dp_contact_ent e = {
		.expires_in = c->expires_in, .cseq = c->cseq, .version = c->version,
		.reg_id = c->reg_id, .q = c->q, .origin = c->origin, .port = c->src.port,
		.uri_len = c->uri_len, .family = c->src.family, .local_port = c->src.local_port,
	};
	char *p;

	if (c->instance != NULL) {
		e.flags |= DP_CONTACT_F_INSTANCE;
		e.instance_len = c->instance_len;
	}
	if (c->path != NULL) {
		e.flags |= DP_CONTACT_F_PATH;
		e.path_len = c->path_len;
	}
	memcpy(e.addr, c->src.addr, sizeof(e.addr));
	if (DP_CONTACT_ENT_SIZE(&e) > cs->cap - cs->len) {
		cs->overflow = true;
		return 1;
	}
	p = cs->out + cs->len;
	memset(p, 0, DP_CONTACT_ENT_SIZE(&e));
	memcpy(p, &e, sizeof(e));
	p += sizeof(e);
	memcpy(p, c->uri, e.uri_len);
	p += e.uri_len;
	if (e.instance_len != 0)
		memcpy(p, c->instance, e.instance_len);
	p += e.instance_len;
	if (e.path_len != 0)
		memcpy(p, c->path, e.path_len);
	cs->len += DP_CONTACT_ENT_SIZE(&e);
	cs->head->n++;
	return 0;
}

/* Shard queries: only the owner of an AoR answers for it (-ENOENT elsewhere).
 * The answers are binary records (dp_shared.h). */
static int
sip_query(struct dp_lcore *lc, uint32_t kind, const char *arg, char *out, size_t cap,
	     uint32_t *len)
{
	struct reg_key key;
	size_t n;

	*len = 0;
	if (lc->reg == NULL)
		return -ENOTSUP;
	switch (kind) {
	case DP_QUERY_CONTACTS_COUNT: {
		struct dp_contact_counts cnt;

		if (cap < sizeof(cnt))
			return -ENOSPC;
		reg_shard_counts(lc->reg, &cnt.aors, &cnt.contacts);
		cnt.directory = reg_shard_dir_count(lc->reg);
		memcpy(out, &cnt, sizeof(cnt));
		n = sizeof(cnt);
		break;
	}
	case DP_QUERY_CONTACT_SHOW:
	case DP_QUERY_CONTACT_LIST:
		if (reg_key_from_text(lc->ctx->reg_conf, arg, strlen(arg), &key) != 0)
			return -EINVAL;
		if (reg_key_shard((uint32_t)key.digest, lc->ctx->n_workers) != lc->idx)
			return -ENOENT;
		if (kind == DP_QUERY_CONTACT_SHOW) {
			struct contact_show cs = { out, cap, sizeof(struct dp_contact_show),
						   (struct dp_contact_show *)(void *)out, false };

			if (cap < sizeof(struct dp_contact_show))
				return -ENOSPC;
			memset(cs.head, 0, sizeof(*cs.head));
			cs.head->aor_len = key.len;
			memcpy(cs.head->aor, key.aor, key.len);
			reg_shard_lookup(lc->reg, key.aor, key.len, lc->now_ms, contact_ent, &cs);
			if (cs.overflow)
				return -ENOSPC;
			n = cs.len;
		} else {
			struct contact_list cl = { (struct dp_contact_rec *)(void *)out,
						   cap / sizeof(struct dp_contact_rec), 0 };

			reg_shard_lookup(lc->reg, key.aor, key.len, lc->now_ms, contact_rec, &cl);
			n = cl.n * sizeof(struct dp_contact_rec);
		}
		break;
	case DP_QUERY_CONTACT_WHERE: {
		struct dp_contact_where wh;
		int found;

		if (cap < sizeof(wh) ||
		    reg_key_from_text(lc->ctx->reg_conf, arg, strlen(arg), &key) != 0)
			return -EINVAL;
		if (reg_key_shard((uint32_t)key.digest, lc->ctx->n_workers) != lc->idx)
			return -ENOENT;
		memset(&wh, 0, sizeof(wh));
		wh.aor_len = key.len;
		memcpy(wh.aor, key.aor, key.len);
		found = reg_shard_lookup(lc->reg, key.aor, key.len, lc->now_ms, NULL, NULL);
		wh.local = found > 0 ? (uint32_t)found : 0;
		if (reg_shard_dir_find(lc->reg, key.aor, key.len, lc->now_ms, &wh.home) != 1)
			wh.home = 0;
		memcpy(out, &wh, sizeof(wh));
		n = sizeof(wh);
		break;
	}
	case DP_QUERY_SYNC_DUMP: {
		struct dp_sync_dump d;
		unsigned int peer, max, end = REG_DIGEST_BUCKETS;

		if (cap < sizeof(d) ||
		    sscanf(arg, "%u %u %u %u %u", &peer, &d.bucket, &d.skip, &max, &end) < 4 ||
		    peer == 0 || peer > UINT16_MAX)
			return -EINVAL;
		d.emitted = reg_shard_sync_dump(lc->reg, (uint16_t)peer, &d.bucket, &d.skip, end,
						max, lc->now_ms);
		memcpy(out, &d, sizeof(d));
		n = sizeof(d);
		break;
	}
	case DP_QUERY_SYNC_PACK: {
		struct dp_sync_dump d;
		unsigned int max;
		size_t used;

		if (cap < sizeof(d) + REG_PACK_REC_MAX ||
		    sscanf(arg, "%u %u", &d.skip, &max) != 2)
			return -EINVAL;
		d.emitted = reg_shard_sync_pack(lc->reg, &d.skip, max, (uint8_t *)out + sizeof(d),
						cap - sizeof(d), &used, lc->now_ms);
		d.bucket = d.skip >= reg_shard_sync_end(lc->reg) ? REG_DIGEST_BUCKETS : 0;
		memcpy(out, &d, sizeof(d));
		n = sizeof(d) + used;
		break;
	}
	case DP_QUERY_DIGEST: {
		const struct reg_digest *dg = reg_shard_digest(lc->reg);
		unsigned int first, count;

		if (sscanf(arg, "%u %u", &first, &count) != 2 || first >= REG_DIGEST_BUCKETS ||
		    count > REG_DIGEST_BUCKETS - first || (size_t)count * 8 > cap)
			return -EINVAL;
		memcpy(out, &dg->bucket[first], (size_t)count * 8);
		n = (size_t)count * 8;
		break;
	}
	default:
		return -EINVAL;
	}
	*len = (uint32_t)n;
	return 0;
}

/* Answers the question waiting in Q, if any, into OUT (CAP bytes): 1, else 0. */
static inline unsigned int
dp_sip_serve_slot(struct dp_lcore *lc, struct dp_query *q, char *out, size_t cap)
{
	uint32_t seq = q->seq_req;

	if (likely(seq == q->seq_done))
		return 0;
	rte_smp_rmb();
	q->rc = sip_query(lc, q->kind, q->arg, out, cap, &q->len);
	rte_smp_wmb();
	q->seq_done = seq;
	return 1;
}

unsigned int
dp_sip_serve(struct dp_lcore *lc)
{
	struct dp_shared *sh = lc->ctx->shared;

	if (sh == NULL || lc->is_ctl)
		return 0;
	static_assert(DP_ASK_SETS == 2, "dp_sip_serve() answers each set");
	struct dp_query *q = &sh->query[lc->idx];
	unsigned int work = dp_sip_serve_slot(lc, q, q->out, sizeof(q->out));

	q = &sh->ask[DP_ASK_ADMIN][lc->idx];
	work += dp_sip_serve_slot(lc, q, q->out, sizeof(q->out));
	work += dp_sip_serve_slot(lc, &sh->ask[DP_ASK_SYNC][lc->idx], sh->sync_out[lc->idx],
				  sizeof(sh->sync_out[lc->idx]));
	return work;
}
