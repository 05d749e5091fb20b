/* SPDX-License-Identifier: BSD-3-Clause */
/* Digest authentication of REGISTER on the workers, and the table reload. See dp_auth.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/core/dp_auth.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_limit.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/registrar/reg_auth.h"
#include "dataplane/sip/sip_parse.h"

RTE_LOG_REGISTER(dp_auth_logtype, sipshard.auth, INFO);
#define AUTH_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, dp_auth_logtype, "sipshard.auth: " fmt "\n", ##__VA_ARGS__)

#define AUTH_POLL_MS  10        /* the reload thread looks at auth_req this often */

_Static_assert(DP_CNT_auth_none - DP_CNT_auth_ok == REG_AUTH_NONE &&
	       DP_CNT_auth_user_mismatch - DP_CNT_auth_ok == REG_AUTH_USER_MISMATCH,
	       "auth_* counters follow enum reg_auth_verdict");

struct dp_auth {
	struct reg_auth_conf conf;
	struct reg_auth_table *table;   /* swapped by the reload thread */
	struct rte_rcu_qsbr *qs;
	pthread_t thread;
	bool thread_on;
	char path[CFG_PATH];
};

/* ---- primary, main thread / the reload thread ---- */

static struct reg_auth_table *
table_load(struct dp_auth *a, char *err, size_t errlen)
{
	unsigned int skipped = 0;
	struct reg_auth_table *t;

	t = reg_auth_table_load(a->path, a->conf.realm, &skipped, err, errlen);
	if (t != NULL)
		AUTH_LOG(INFO, "%s: %u subscriber(s) of realm %s (%u line(s) of other realms)",
			 a->path, t->n, a->conf.realm, skipped);
	return t;
}

int
dp_auth_create(struct dp_ctx *ctx)
{
	const struct cfg *cfg = ctx->cfg;
	uint8_t secret[REG_AUTH_SECRET_LEN];
	struct dp_auth *a;
	char err[320];
	unsigned int i;
	size_t sz;

	if (!cfg->auth.enabled)
		return 0;
	a = rte_zmalloc("dp_auth", sizeof(*a), RTE_CACHE_LINE_SIZE);
	if (a == NULL)
		return -ENOMEM;
	if (reg_auth_secret(cfg->cluster.enabled ? cfg->cluster.key_file : NULL,
			    REG_AUTH_NONCE_LABEL, secret, err, sizeof(err)) != 0) {
		AUTH_LOG(WARNING, "nonce secret: %s: a random one instead (other nodes will "
			 "not accept this node's nonces)", err);
		if (reg_auth_secret(NULL, "", secret, err, sizeof(err)) != 0) {
			AUTH_LOG(ERR, "nonce secret: %s", err);
			goto free_a;
		}
	}
	reg_auth_conf_init(&a->conf, &cfg->auth, secret);
	memset(secret, 0, sizeof(secret));
	snprintf(a->path, sizeof(a->path), "%s", cfg->auth.subscribers_file);
	a->table = table_load(a, err, sizeof(err));
	if (a->table == NULL) {
		AUTH_LOG(ERR, "auth.subscribers_file: %s", err);
		goto free_a;
	}
	sz = rte_rcu_qsbr_get_memsize(ctx->n_workers);
	a->qs = rte_zmalloc("dp_auth_qs", sz, RTE_CACHE_LINE_SIZE);
	if (a->qs == NULL || rte_rcu_qsbr_init(a->qs, ctx->n_workers) != 0)
		goto free_table;
	for (i = 0; i < ctx->n_workers; i++) {
		struct dp_lcore *lc = ctx->lcores[i];

		lc->auth_replay = rte_zmalloc("dp_auth_replay", sizeof(*lc->auth_replay),
					      RTE_CACHE_LINE_SIZE);
		if (lc->auth_replay == NULL || rte_rcu_qsbr_thread_register(a->qs, i) != 0)
			goto free_replay;
		rte_rcu_qsbr_thread_online(a->qs, i);
		lc->auth_salt = rte_rand();   /* challenges of one second differ */
	}
	ctx->auth = a;
	AUTH_LOG(INFO, "digest authentication (auth.methods), realm %s, nonces live %u s, %u trusted prefix(es), secret %s",
		 a->conf.realm, a->conf.ttl_s, a->conf.n_trusted,
		 cfg->cluster.enabled ? "from the cluster key" : "random (single node)");
	return 0;
free_replay:
	for (i = 0; i < ctx->n_workers; i++) {
		rte_free(ctx->lcores[i]->auth_replay);
		ctx->lcores[i]->auth_replay = NULL;
	}
free_table:
	rte_free(a->qs);
	reg_auth_table_free(a->table);
free_a:
	rte_free(a);
	return -EINVAL;
}

/* One reload asked by the control plane. */
static void
reload(struct dp_ctx *ctx, struct dp_shared *sh)
{
	struct dp_auth *a = ctx->auth;
	struct reg_auth_table *t, *old;
	char err[256] = "";
	uint64_t token;

	t = table_load(a, err, sizeof(err));
	if (t == NULL) {
		AUTH_LOG(WARNING, "auth reload: %s (the old table stays)", err);
		snprintf(sh->auth_err, sizeof(sh->auth_err), "%s", err);
		sh->auth_rc = -EINVAL;
		return;
	}
	old = __atomic_exchange_n(&a->table, t, __ATOMIC_ACQ_REL);
	token = rte_rcu_qsbr_start(a->qs);
	while (rte_rcu_qsbr_check(a->qs, token, false) == 0) {
		if (ctx->stop)
			return;   /* workers gone: old leaks until exit, harmless */
		rte_delay_us_sleep(1000);
	}
	reg_auth_table_free(old);
	sh->auth_users = t->n;
	sh->auth_err[0] = '\0';
	sh->auth_rc = 0;
}

static void *
reload_thread(void *arg)
{
	struct dp_ctx *ctx = arg;
	struct dp_shared *sh = ctx->shared;

	sh->auth_users = ctx->auth->table->n;
	while (!ctx->stop) {
		uint32_t req = sh->auth_req;

		if (req != sh->auth_done) {
			rte_smp_rmb();
			reload(ctx, sh);
			rte_smp_wmb();
			sh->auth_done = req;
		}
		rte_delay_us_sleep(AUTH_POLL_MS * 1000);
	}
	return NULL;
}

int
dp_auth_start(struct dp_ctx *ctx)
{
	if (ctx->auth == NULL || ctx->shared == NULL)
		return 0;
	if (pthread_create(&ctx->auth->thread, NULL, reload_thread, ctx) != 0) {
		AUTH_LOG(WARNING, "no reload thread: sipshardctl auth reload will time out");
		return -EAGAIN;
	}
	ctx->auth->thread_on = true;
	return 0;
}

void
dp_auth_free(struct dp_ctx *ctx)
{
	struct dp_auth *a = ctx->auth;
	unsigned int i;

	if (a == NULL)
		return;
	if (a->thread_on)
		pthread_join(a->thread, NULL);
	for (i = 0; i < ctx->n_workers; i++) {
		rte_free(ctx->lcores[i]->auth_replay);
		ctx->lcores[i]->auth_replay = NULL;
	}
	reg_auth_table_free(a->table);
	rte_free(a->qs);
	rte_free(a);
	ctx->auth = NULL;
}

/* ---- worker lcore ---- */

void
dp_auth_quiescent(struct dp_lcore *lc)
{
	if (lc->ctx->auth != NULL && !lc->is_ctl)
		rte_rcu_qsbr_quiescent(lc->ctx->auth->qs, lc->idx);
}

static void
send_or_drop(struct dp_lcore *lc, struct rte_mbuf *m, size_t len, unsigned int status)
{
	if (len == 0) {   /* no Via, or larger than 3x the request */
		DP_DROP_INC(&lc->stats, SIP_REPLY_TOO_BIG);
		rte_pktmbuf_free(m);
		return;
	}
	dp_egress_sip_reply(lc, m, len, status);
}

/* Verdict v of request m, counted: false when it goes on (OK), true when it was
 * answered here: 403 for wrong credentials, else a challenge (401, or 407 for a
 * request the proxy authenticates) no larger than 3x the request. */
static bool
auth_answer(struct dp_lcore *lc, struct rte_mbuf *m, enum reg_auth_verdict v, bool proxy)
{
	const struct dp_auth *a = lc->ctx->auth;
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	char addr[SIP_ADDR_STR_MAX];
	struct sip_reply_via via;
	size_t len;

	lc->stats.cnt[DP_CNT_auth_ok + v]++;
	switch (v) {
	case REG_AUTH_OK:
		return false;
	case REG_AUTH_UNKNOWN_USER:
	case REG_AUTH_BAD_RESPONSE:
	case REG_AUTH_USER_MISMATCH:
		if (dp_egress_sip_error(lc, m, 403) != 0) {
			DP_DROP_INC(&lc->stats, SIP_NO_REPLY);
			rte_pktmbuf_free(m);
		}
		return true;
	default:
		break;
	}
	memset(&via, 0, sizeof(via));
	via.received = addr;
	via.received_len = (uint16_t)sip_addr_fmt(addr, sizeof(addr), info->family, info->src);
	via.rport = info->src_port;
	len = (proxy ? reg_auth_challenge_proxy : reg_auth_challenge)(
		&a->conf, lc->msg, v == REG_AUTH_STALE, lc->wall_s, lc->auth_salt++, &via,
		3u * lc->msg->len, lc->reply, sizeof(lc->reply));
	send_or_drop(lc, m, len, proxy ? 407 : 401);
	return true;
}

bool
dp_auth_request(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_auth *a = lc->ctx->auth;
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	const struct sip_msg *msg = lc->msg;
	const struct reg_auth_table *t;
	struct sip_nameaddr from, to;
	enum reg_auth_verdict v;
	struct sip_uri fu;

	if (a == NULL || msg->method >= SIP_METHOD__COUNT || !a->conf.method[msg->method] ||
	    msg->method == SIP_METHOD_REGISTER)
		return false;
	if (sip_msg_to(msg, &to) == 0 && to.tag.len != 0)
		return false;                   /* in a dialog: its Record-Route decides */
	if (dp_source_exempt(lc, info)) {
		DP_STAT_INC(&lc->stats, auth_trusted);
		return false;
	}
	if (sip_msg_from(msg, &from) != 0 || sip_uri_parse(&fu, from.uri.p, from.uri.len) != 0) {
		if (dp_egress_sip_error(lc, m, 400) != 0) {
			DP_DROP_INC(&lc->stats, SIP_NO_REPLY);
			rte_pktmbuf_free(m);
		}
		return true;
	}
	t = __atomic_load_n(&a->table, __ATOMIC_ACQUIRE);
	v = reg_auth_check_proxy(&a->conf, t, lc->auth_replay, msg, fu.user.p, fu.user.len,
				 lc->wall_s);
	return auth_answer(lc, m, v, true);
}

bool
dp_auth_register(struct dp_lcore *lc, struct rte_mbuf *m, const struct reg_key *key,
		 bool *authed)
{
	const struct dp_auth *a = lc->ctx->auth;
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	const struct reg_auth_table *t;
	enum reg_auth_verdict v;

	*authed = false;
	if (a == NULL || !a->conf.method[SIP_METHOD_REGISTER])
		return false;
	if (reg_auth_trusted(&a->conf, info->family, info->src)) {
		DP_STAT_INC(&lc->stats, auth_trusted);
		*authed = true;
		return false;
	}
	t = __atomic_load_n(&a->table, __ATOMIC_ACQUIRE);
	v = reg_auth_check(&a->conf, t, lc->auth_replay, lc->msg, key->aor, key->user_len,
			   lc->wall_s);
	*authed = v == REG_AUTH_OK;
	return auth_answer(lc, m, v, false);
}
