/* SPDX-License-Identifier: BSD-3-Clause */
/* NAT keepalive pinging on a worker. See dp_ping.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_ping.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_stats.h"
#include "dataplane/core/dp_types.h"
#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"

#define DP_PING_SEED 0x6e617470696e6721ull      /* "natping!": the same on every node */

uint16_t
dp_ping_rendezvous(uint64_t ident, const uint16_t *set, unsigned int n)
{
	uint64_t best = 0, h;
	uint16_t who = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		h = sip_hash64(DP_PING_SEED ^ set[i], &ident, sizeof(ident));
		if (who == 0 || h > best || (h == best && set[i] < who)) {
			best = h;
			who = set[i];
		}
	}
	return who;
}

void
dp_ping_init(struct dp_lcore *lc)
{
	const struct cfg *cfg = lc->ctx->cfg;
	struct dp_ping *p = &lc->ping;

	memset(p, 0, sizeof(*p));
	if (!cfg->reg.ping || lc->reg == NULL || lc->is_ctl)
		return;
	p->on = true;
	p->track = cfg->reg.ping_method == CFG_PING_OPTIONS;
	p->mode = (uint8_t)cfg->reg.ping_mode;
	p->max_failures = (uint8_t)cfg->reg.ping_max_failures;
	p->interval_ms = cfg->reg.ping_interval_s * 1000u;
	p->grace_ms = cfg->cluster.enabled ? cfg->cluster.node_timeout_ms : 0;
	p->cycle = UINT64_MAX;
	p->n_set = 1;
	p->set[0] = cfg->node_id;
}

static uint64_t
dp_ping_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool
dp_ping_listed(const uint16_t *ids, unsigned int n, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The set of cycle CYCLE: the nodes whose join cycle has come (none yet: nobody
 * pings, as when a whole cluster starts, for DP_PING_JOIN_MS); without a
 * control plane's view, this node alone. */
static void
dp_ping_set_for(struct dp_lcore *lc, struct dp_ping *p, uint64_t cycle)
{
	unsigned int i, m = 0;

	for (i = 0; i < p->n_join; i++)
		if (p->join[i].cycle <= cycle)
			p->set[m++] = p->join[i].id;
	if (m == 0 && !p->viewed)
		p->set[m++] = lc->ctx->cfg->node_id;
	p->n_set = (uint16_t)m;
}

/* Re-read the views: the nodes sharing the contacts (this one, and the peers up
 * with their registrations synced), and the tags. A node (run) joins at the
 * first interval boundary DP_PING_JOIN_MS after its start, a moment every node
 * computes alike from its incarnation (or the next boundary, when it is seen
 * later than that); a node that left the view leaves at once and is listed in
 * gone[] for the catch-up. */
static void
dp_ping_view(struct dp_lcore *lc, struct dp_ping *p, uint64_t cycle)
{
	static __thread struct dp_node_view v[DP_MAX_NODES];
	static __thread struct dp_tag_view tv[DP_MAX_TAGS];
	struct dp_shared *sh = lc->ctx->shared;
	struct dp_ping_join nj[DP_PING_MAX_NODES];
	unsigned int n, i, j, k = 0;
	int len;

	p->n_gone = 0;
	if (sh == NULL)
		return;
	n = dp_shared_tags(sh, tv, DP_MAX_TAGS);
	p->n_tags = 0;
	for (i = 0; i < n && i < DP_PING_MAX_TAGS; i++) {
		len = snprintf(p->tags[i].name, sizeof(p->tags[i].name), "%s/%u", tv[i].name,
			       tv[i].cluster);
		p->tags[i].len = (uint8_t)(len > 0 ? len : 0);
		p->tags[i].owner = tv[i].owner;
		p->n_tags++;
	}
	n = dp_shared_nodes(sh, v, DP_MAX_NODES);
	if (n == 0)
		return;                 /* no control plane: keep what we have */
	p->viewed = true;
	for (i = 0; i < n && k < DP_PING_MAX_NODES; i++) {
		if ((!v[i].self && strcmp(v[i].state, "up") != 0) ||
		    strcmp(v[i].caps[0], "synced") != 0)
			continue;               /* this node too: only once synced */
		nj[k].id = v[i].id;
		nj[k].incarnation = v[i].incarnation;
		nj[k].cycle = 0;
		for (j = 0; j < p->n_join; j++)
			if (p->join[j].id == v[i].id && p->join[j].incarnation == v[i].incarnation)
				break;
		if (j < p->n_join) {
			nj[k].cycle = p->join[j].cycle;         /* known: unchanged */
		} else {
			uint64_t at = v[i].incarnation / 1000 + DP_PING_JOIN_MS;
			uint64_t c = (at + p->interval_ms - 1) / p->interval_ms;

			if (v[i].incarnation == 0)
				c = 0;                  /* no cluster: at once */
			else if (c <= cycle && p->cycle != UINT64_MAX)
				c = cycle + 1;          /* seen late: the next boundary */
			nj[k].cycle = c;
		}
		k++;
	}
	for (j = 0; j < p->n_set; j++) {   /* in the set, gone from the view */
		for (i = 0; i < k && nj[i].id != p->set[j]; i++)
			;
		if (i == k && p->n_gone < DP_PING_MAX_NODES)
			p->gone[p->n_gone++] = p->set[j];
	}
	memcpy(p->join, nj, k * sizeof(nj[0]));
	p->n_join = (uint16_t)k;
	dp_ping_set_for(lc, p, cycle);
}

/* The holder of a binding's tag ("" : the first tag), 0 when unknown. */
static uint16_t
dp_ping_holder(const struct dp_ping *p, const char *tag, size_t len)
{
	unsigned int i;

	if (p->n_tags == 0)
		return 0;
	if (len == 0)
		return p->tags[0].owner;
	for (i = 0; i < p->n_tags; i++)
		if (p->tags[i].len == len && memcmp(p->tags[i].name, tag, len) == 0)
			return p->tags[i].owner;
	return 0;
}

struct dp_ping_walk {
	struct dp_lcore *lc;
	struct dp_ping *p;
	bool catch_up;                  /* only the share of the gone nodes */
	const uint16_t *old_set;
	unsigned int n_old;
};

static void
dp_ping_share_count(struct dp_ping *p, uint16_t who)
{
	unsigned int i;

	for (i = 0; i < p->cur.n; i++)
		if (p->cur.id[i] == who)
			break;
	if (i == p->cur.n) {
		if (p->cur.n == DP_PING_MAX_NODES)
			return;
		p->cur.id[p->cur.n] = who;
		p->cur.count[p->cur.n++] = 0;
	}
	p->cur.count[i]++;
}

/* reg_ping_mine_fn */
static bool
dp_ping_mine(void *arg, const struct reg_ping_target *t)
{
	struct dp_ping_walk *w = arg;
	struct dp_ping *p = w->p;
	uint16_t self = w->lc->ctx->cfg->node_id, who;

	/* federation: the bindings here are this node's alone, no other node has
	 * them to share the pinging */
	if (w->lc->ctx->reg_conf != NULL && w->lc->ctx->reg_conf->federation) {
		if (w->catch_up)
			return false;
		dp_ping_share_count(p, self);
		return true;
	}
	if (p->mode == CFG_PING_OWNERSHIP)
		who = dp_ping_holder(p, t->tag, t->tag_len);
	else
		who = dp_ping_rendezvous(t->ident, p->set, p->n_set);
	if (w->catch_up) {              /* was a gone node's, is ours now */
		uint16_t was = dp_ping_rendezvous(t->ident, w->old_set, w->n_old);

		return who == self && dp_ping_listed(p->gone, p->n_gone, was);
	}
	dp_ping_share_count(p, who);
	return who == self;
}

/* Appending to a bounded buffer (the text of a ping): no snprintf on the worker's
 * path (it cost about two thirds of a ping). A full buffer sets len past cap. */
struct dp_ping_buf {
	char *p;
	size_t len, cap;
};

static inline void
dp_ping_put(struct dp_ping_buf *b, const char *s, size_t n)
{
	if (b->len + n <= b->cap)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define DP_PING_PUTS(b, lit) dp_ping_put((b), (lit), sizeof(lit) - 1)

static inline void
dp_ping_put_u64(struct dp_ping_buf *b, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	dp_ping_put(b, d + sizeof(d) - n, n);
}

static inline void
dp_ping_put_hex32(struct dp_ping_buf *b, uint32_t v)
{
	static const char hex[] = "0123456789abcdef";
	char d[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 4)
		d[i] = hex[v & 0xf];
	dp_ping_put(b, d, 8);
}

int
dp_ping_text(char *out, size_t cap, const struct reg_ping_target *t, const char *me,
	     uint16_t sport, uint16_t node, unsigned int shard, uint64_t seq)
{
	struct dp_ping_buf b = { out, 0, cap };
	size_t me_len = strlen(me);

	DP_PING_PUTS(&b, "OPTIONS ");
	dp_ping_put(&b, t->uri, t->uri_len);
	DP_PING_PUTS(&b, " SIP/2.0\r\nVia: SIP/2.0/UDP ");
	dp_ping_put(&b, me, me_len);
	DP_PING_PUTS(&b, ":");
	dp_ping_put_u64(&b, sport);
	DP_PING_PUTS(&b, ";branch=" DP_PING_BRANCH_PREFIX);
	dp_ping_put_u64(&b, node);
	DP_PING_PUTS(&b, "-");
	dp_ping_put_u64(&b, shard);
	DP_PING_PUTS(&b, "-");
	dp_ping_put_u64(&b, t->bi);
	DP_PING_PUTS(&b, "-");
	dp_ping_put_hex32(&b, (uint32_t)t->ident);
	DP_PING_PUTS(&b, ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:keepalive@");
	dp_ping_put(&b, me, me_len);
	DP_PING_PUTS(&b, ">;tag=ssnp");
	dp_ping_put_u64(&b, node);
	DP_PING_PUTS(&b, "\r\nTo: <");
	dp_ping_put(&b, t->uri, t->uri_len);
	DP_PING_PUTS(&b, ">\r\nCall-ID: ssnp-");
	dp_ping_put_u64(&b, node);
	DP_PING_PUTS(&b, "-");
	dp_ping_put_u64(&b, shard);
	DP_PING_PUTS(&b, "-");
	dp_ping_put_u64(&b, seq);
	DP_PING_PUTS(&b, "@");
	dp_ping_put(&b, me, me_len);
	DP_PING_PUTS(&b, "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	if (b.len >= cap)       /* as snprintf: room for a NUL too */
		return -1;
	out[b.len] = '\0';
	return (int)b.len;
}

/* reg_ping_send_fn: the ping, from our address and SIP port to where the
 * REGISTER came from. */
static int
dp_ping_send(void *arg, const struct reg_ping_target *t)
{
	struct dp_ping_walk *w = arg;
	struct dp_lcore *lc = w->lc;
	const struct dp_ctx *ctx = lc->ctx;
	uint16_t sport = rte_be_to_cpu_16(ctx->sip_port);
	char me[16];
	int n;

	if (t->family != 4)
		return -1;              /* IPv6 egress resolves no next hop yet */
	if (!w->p->track)
		return dp_egress_udp_to(lc, NULL, 4, t->addr, sport, t->port, "\r\n\r\n", 4);
	{
		rte_be32_t a = ctx->ports[0].ipv4;
		const uint8_t *b = (const uint8_t *)&a;

		snprintf(me, sizeof(me), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	}
	n = dp_ping_text(lc->reply, sizeof(lc->reply), t, me, sport, ctx->cfg->node_id, lc->idx,
			 ++w->p->seq);
	if (n < 0)
		return -1;
	return dp_egress_udp_to(lc, NULL, 4, t->addr, sport, t->port, lc->reply, (size_t)n);
}

/* Buckets [from, to) of the cycle, under WALK's rules. */
static unsigned int
dp_ping_range(struct dp_lcore *lc, struct dp_ping_walk *w, uint32_t from, uint32_t to)
{
	unsigned int sent = 0;
	uint32_t b;

	for (b = from; b < to; b++)
		sent += reg_shard_ping_bucket(lc->reg, (uint16_t)b, lc->now_ms, w->p->track,
					      w->p->max_failures, dp_ping_mine, dp_ping_send, w);
	return sent;
}

unsigned int
dp_ping_poll(struct dp_lcore *lc)
{
	struct dp_ping *p = &lc->ping;
	struct dp_ping_walk w = { lc, p, false, NULL, 0 };
	uint64_t wall, cycle;
	uint32_t target, to;
	unsigned int sent = 0;

	if (!p->on || lc->now_ms < p->next_ms)
		return 0;
	p->next_ms = lc->now_ms + 1;
	wall = dp_ping_wall_ms();
	cycle = wall / p->interval_ms;
	target = (uint32_t)((wall % p->interval_ms) * REG_DIGEST_BUCKETS / p->interval_ms);
	if (lc->now_ms >= p->view_ms) {
		uint16_t old[DP_PING_MAX_NODES];
		uint16_t n_old = p->n_set;

		memcpy(old, p->set, sizeof(old));
		dp_ping_view(lc, p, p->cycle == UINT64_MAX ? cycle : p->cycle);
		p->view_ms = lc->now_ms + DP_PING_VIEW_MS;
		if (p->n_gone > 0 && p->mode == CFG_PING_COOPERATION && p->cycle == cycle) {
			/* the gone nodes' share of the moments since they died */
			uint32_t back = (uint32_t)((uint64_t)(p->grace_ms + DP_PING_CATCHUP_SLACK_MS) *
						   REG_DIGEST_BUCKETS / p->interval_ms) + 1;
			uint32_t from = p->pos > back ? p->pos - back : 0;

			w.catch_up = true;
			w.old_set = old;
			w.n_old = n_old;
			if (back > p->pos)      /* ... the end of the last interval too */
				sent += dp_ping_range(lc, &w, REG_DIGEST_BUCKETS -
						      RTE_MIN(back - p->pos, (uint32_t)REG_DIGEST_BUCKETS),
						      REG_DIGEST_BUCKETS);
			sent += dp_ping_range(lc, &w, from, p->pos);
			w.catch_up = false;
		}
		p->n_gone = 0;
	}
	if (p->cycle != cycle) {        /* a new interval: finish the last one, switch */
		if (p->cycle != UINT64_MAX && p->cycle + 1 == cycle && p->pos < REG_DIGEST_BUCKETS) {
			to = RTE_MIN(p->pos + DP_PING_BUCKETS_PER_POLL, (uint32_t)REG_DIGEST_BUCKETS);
			sent += dp_ping_range(lc, &w, p->pos, to);
			p->pos = to;
			if (p->pos < REG_DIGEST_BUCKETS)
				return sent;    /* more of the last interval next poll */
		}
		p->pos = p->cycle == UINT64_MAX ? target : 0;
		p->last = p->cur;
		p->cur.n = 0;
		p->cycle = cycle;
		dp_ping_set_for(lc, p, cycle);
	}
	to = RTE_MIN(target + 1, p->pos + DP_PING_BUCKETS_PER_POLL);
	if (to > p->pos) {
		sent += dp_ping_range(lc, &w, p->pos, to);
		p->pos = to;
	}
	return sent;
}

bool
dp_ping_response(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct sip_hdr *h = sip_msg_hdr(&lc->msg, SIP_HDR_VIA);
	unsigned int node, shard, bi, ident;
	struct sip_via v;
	const char *next;
	char br[64];

	if (h == NULL || sip_via_parse(&v, h->value.p, h->value.p + h->value.len, &next) != 0 ||
	    v.branch.len <= DP_PING_BRANCH_PREFIX_LEN || v.branch.len >= sizeof(br) ||
	    memcmp(v.branch.p, DP_PING_BRANCH_PREFIX, DP_PING_BRANCH_PREFIX_LEN) != 0)
		return false;
	memcpy(br, v.branch.p, v.branch.len);
	br[v.branch.len] = '\0';
	if (sscanf(br + DP_PING_BRANCH_PREFIX_LEN, "%u-%u-%u-%x", &node, &shard, &bi, &ident) != 4 ||
	    node != lc->ctx->cfg->node_id || shard >= lc->ctx->n_workers) {
		DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
		rte_pktmbuf_free(m);
		return true;
	}
	if (shard != lc->idx) {
		dp_egress_steer(lc, (uint16_t)shard, m);
		return true;
	}
	if (lc->reg != NULL && lc->msg.status >= 200)
		reg_shard_ping_reply(lc->reg, bi, ident);
	rte_pktmbuf_free(m);
	return true;
}

/* ---- any thread: the summary ---- */

const char *
dp_ping_mode_name(unsigned int mode)
{
	return mode == CFG_PING_OWNERSHIP ? "ownership" : "cooperation";
}

static void
dp_ping_summary_add(struct dp_ping_summary *out, uint16_t id, uint64_t count)
{
	unsigned int i, k;

	for (i = 0; i < out->n && out->id[i] < id; i++)
		;
	if (i < out->n && out->id[i] == id) {
		out->count[i] += count;
		return;
	}
	if (out->n == DP_PING_MAX_NODES)
		return;
	for (k = out->n; k > i; k--) {
		out->id[k] = out->id[k - 1];
		out->count[k] = out->count[k - 1];
	}
	out->id[i] = id;
	out->count[i] = count;
	out->n++;
}

void
dp_ping_summary(const struct cfg *cfg, struct dp_lcore *const *lcores, unsigned int n_workers,
		struct dp_ping_summary *out)
{
	unsigned int w, i;

	memset(out, 0, sizeof(*out));
	out->on = cfg->reg.ping;
	out->mode = (uint8_t)cfg->reg.ping_mode;
	out->method = (uint8_t)cfg->reg.ping_method;
	out->interval_s = cfg->reg.ping_interval_s;
	for (w = 0; w < n_workers; w++) {
		const struct dp_lcore *lc = lcores[w];
		struct dp_ping_share sh;
		const struct reg_stats *rs;

		if (lc == NULL || lc->reg == NULL)
			continue;
		memcpy(&sh, &lc->ping.last, sizeof(sh));     /* racy: one interval's view */
		for (i = 0; i < sh.n && i < DP_PING_MAX_NODES; i++)
			dp_ping_summary_add(out, sh.id[i], sh.count[i]);
		rs = reg_shard_stats(lc->reg);
		out->sent += rs->c[REG_STAT_ping_sent];
		out->answered += rs->c[REG_STAT_ping_answered];
		out->failed += rs->c[REG_STAT_ping_missed];
		out->removed += rs->c[REG_STAT_ping_removed];
		out->others += rs->c[REG_STAT_ping_others];
	}
}
