/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP datagrams into the shard layer: parse, count, dispatch. See dp_sip.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_proxy.h"
#include "dataplane/core/dp_reg.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_sip.h"
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
		lc->stats.sip.resp[msg->status / 100 < DP_SIP_CLASSES ? msg->status / 100 : 0]++;
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
		dp_reg_input(lc, m);
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
