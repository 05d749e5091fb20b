/* SPDX-License-Identifier: BSD-3-Clause */
/* NAT keepalive pinging on a worker. See dp_ping.h. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <time.h>

#include <rte_byteorder.h>

#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_ping.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_stats.h"
#include "dataplane/core/dp_types.h"
#include "dataplane/core/dp_vip.h"
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
	if (cfg->reg.ping_source4 != 0) {
		rte_be32_t a = rte_cpu_to_be_32(cfg->reg.ping_source4);

		p->src_family = 4;
		memcpy(p->src, &a, 4);
	} else if (memcmp(cfg->reg.ping_source6, (uint8_t[16]){ 0 }, 16) != 0) {
		p->src_family = 6;
		memcpy(p->src, cfg->reg.ping_source6, 16);
	}
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
 * cluster, this node alone. With a cluster but no control plane's view yet
 * (the cp starts after the dp, and publishes its view a moment later), nobody:
 * a restarted node that pinged alone meanwhile doubled the pings of the
 * bindings its first sync had just brought (pinging.sh, 1 run in 3). */
static void
dp_ping_set_for(struct dp_lcore *lc, struct dp_ping *p, uint64_t cycle)
{
	unsigned int i, m = 0;

	for (i = 0; i < p->n_join; i++)
		if (p->join[i].cycle <= cycle)
			p->set[m++] = p->join[i].id;
	if (m == 0 && !p->viewed && !lc->ctx->cfg->cluster.enabled)
		p->set[m++] = lc->ctx->cfg->node_id;
	p->n_set = (uint16_t)m;
}

static bool
dp_ping_in(const struct dp_ping_join *nj, unsigned int k, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		if (nj[i].id == id)
			return true;
	return false;
}

/* When each node left the view (up and synced): the nodes of the last view
 * missing from NJ[K] are listed with the moment from which their pings may be
 * missing, the nodes in it are not. That moment is when it was last heard (it
 * pinged until then), less DP_PING_SKEW_MS for the clocks and its own lag; when
 * that is not known, when this node noticed, less the grace (node_timeout_ms)
 * and the delay of the views. */
uint64_t
dp_ping_left_at(uint64_t heard, uint64_t wall, uint32_t grace_ms)
{
	uint64_t back = (uint64_t)grace_ms + DP_PING_CATCHUP_SLACK_MS;
	uint64_t floor = wall - RTE_MIN(back, wall);
	uint64_t at = heard - RTE_MIN((uint64_t)DP_PING_SKEW_MS, heard);

	return heard == 0 ? floor : RTE_MIN(RTE_MAX(at, floor), wall);
}

static void
dp_ping_left(struct dp_ping *p, const struct dp_ping_join *nj, unsigned int k, uint64_t wall)
{
	unsigned int i, j;

	for (i = 0; i < p->n_join; i++) {
		if (dp_ping_in(nj, k, p->join[i].id))
			continue;
		for (j = 0; j < p->n_left && p->left[j].id != p->join[i].id; j++)
			;
		if (j == p->n_left) {
			if (p->n_left == DP_PING_MAX_NODES)
				continue;
			p->n_left++;
		}
		p->left[j].id = p->join[i].id;
		p->left[j].at = dp_ping_left_at(p->join[i].heard, wall, p->grace_ms);
	}
	for (j = 0; j < p->n_left;)
		if (dp_ping_in(nj, k, p->left[j].id))
			p->left[j] = p->left[--p->n_left];
		else
			j++;
}

/* Ownership mode: a tag that is ours now and was held by a node that is not in
 * the view (it died, or nobody held it) is caught up: its contacts whose moment
 * fell since the old holder was last heard (dp_ping_left) are pinged at once, as the cooperation
 * catch-up does. A tag handed over by a live holder (tag set-active) is not:
 * that holder pinged until it learnt the new term. */
static void
dp_ping_moved(struct dp_lcore *lc, struct dp_ping *p, const struct dp_ping_tag *was,
	      unsigned int n_was, const struct dp_ping_join *nj, unsigned int k, uint64_t wall)
{
	uint16_t self = lc->ctx->cfg->node_id;
	uint64_t unknown = dp_ping_left_at(0, wall, p->grace_ms);   /* old holder not listed */
	unsigned int i, j, l;
	uint16_t old;

	if (p->mode != CFG_PING_OWNERSHIP)
		return;
	for (i = 0; i < p->n_tags; i++) {
		struct dp_ping_tag *t = &p->tags[i];
		uint64_t from = unknown;

		if (t->owner != self || t->moved)
			continue;
		for (j = 0; j < n_was; j++)
			if (was[j].len == t->len && memcmp(was[j].name, t->name, t->len) == 0)
				break;
		if (j == n_was || was[j].owner == self)
			continue;               /* new to the view, or ours already */
		old = was[j].owner;
		if (old != 0 && dp_ping_in(nj, k, old)) {
			/* handed over by a live holder, which pings until the switch
			 * moment; a switch learnt after it came: the moments since */
			if (t->switch_ms != 0 && t->prev_owner == old && t->switch_ms < wall) {
				t->moved = 1;
				t->catch_from = t->switch_ms;
				DP_STAT_INC(&lc->stats, ping_handover_late);
			}
			continue;
		}
		for (l = 0; old != 0 && l < p->n_left; l++)
			if (p->left[l].id == old) {
				from = p->left[l].at;
				break;
			}
		t->moved = 1;
		t->catch_from = from;
	}
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

	static __thread struct dp_ping_tag was[DP_PING_MAX_TAGS];
	unsigned int n_was;
	uint64_t wall = dp_ping_wall_ms();

	p->n_gone = 0;
	if (sh == NULL)
		return;
	n_was = p->n_tags;
	memcpy(was, p->tags, n_was * sizeof(was[0]));
	n = dp_shared_tags(sh, tv, DP_MAX_TAGS);
	p->n_tags = 0;
	for (i = 0; i < n && i < DP_PING_MAX_TAGS; i++) {
		len = snprintf(p->tags[i].name, sizeof(p->tags[i].name), "%s/%u", tv[i].name,
			       tv[i].cluster);
		p->tags[i].len = (uint8_t)(len > 0 ? len : 0);
		p->tags[i].owner = tv[i].owner;
		p->tags[i].prev_owner = tv[i].prev_owner;
		p->tags[i].switch_ms = tv[i].switch_ms;
		p->tags[i].dflt = tv[i].dflt;
		p->tags[i].moved = 0;
		p->tags[i].catch_from = 0;
		for (j = 0; j < n_was; j++)     /* a catch-up not done yet stays */
			if (was[j].len == p->tags[i].len &&
			    memcmp(was[j].name, p->tags[i].name, was[j].len) == 0 &&
			    was[j].owner == p->tags[i].owner && was[j].moved) {
				p->tags[i].moved = 1;
				p->tags[i].catch_from = was[j].catch_from;
			}
		p->n_tags++;
	}
	n = dp_shared_nodes(sh, v, DP_MAX_NODES);
	if (n == 0)
		return;                 /* no control plane: keep what we have */
	p->viewed = true;
	p->n_addr = 0;
	for (i = 0; i < n && p->n_addr < DP_PING_MAX_NODES; i++)
		if (!v[i].self && v[i].address != 0) {
			p->addr[p->n_addr].id = v[i].id;
			p->addr[p->n_addr++].addr = rte_cpu_to_be_32(v[i].address);
		}
	for (i = 0; i < n && k < DP_PING_MAX_NODES; i++) {
		if ((!v[i].self && strcmp(v[i].state, "up") != 0) ||
		    strcmp(v[i].caps[0], "synced") != 0)
			continue;               /* this node too: only once synced */
		nj[k].id = v[i].id;
		nj[k].incarnation = v[i].incarnation;
		nj[k].heard = v[i].heard_wall_ms;
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
	dp_ping_left(p, nj, k, wall);
	dp_ping_moved(lc, p, was, n_was, nj, k, wall);
	memcpy(p->join, nj, k * sizeof(nj[0]));
	p->n_join = (uint16_t)k;
	dp_ping_set_for(lc, p, cycle);
}

/* The index of a binding's tag in the view ("": the default tag), -1 when unknown. */
static int
dp_ping_tag_index(const struct dp_ping *p, const char *tag, size_t len)
{
	unsigned int i;

	for (i = 0; i < p->n_tags; i++)
		if (len == 0 ? p->tags[i].dflt != 0 :
		    p->tags[i].len == len && memcmp(p->tags[i].name, tag, len) == 0)
			return (int)i;
	return -1;
}

struct dp_ping_walk {
	struct dp_lcore *lc;
	struct dp_ping *p;
	bool catch_up;                  /* only the share of the gone nodes (tag) */
	bool retry;                     /* only ours marked for a retry */
	const uint16_t *old_set;
	unsigned int n_old;
	int tag;                        /* ownership catch-up: the moved tag */
	uint8_t cycle_back;             /* the buckets walked are of the interval before */
	uint16_t bucket;                /* being walked */
	uint8_t tries;                  /* of this walk (a retry: 1..) */
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

uint16_t
dp_ping_owner_at(const struct dp_ping_tag *t, uint64_t due_ms)
{
	return t->switch_ms != 0 && due_ms < t->switch_ms ? t->prev_owner : t->owner;
}

/* Who pings the contacts of tag T at the moment of the bucket being walked. */
static uint16_t
dp_ping_tag_owner(const struct dp_ping *p, const struct dp_ping_tag *t, const struct dp_ping_walk *w)
{
	if (t->switch_ms == 0 || p->cycle == UINT64_MAX)
		return t->owner;
	return dp_ping_owner_at(t, dp_ping_due_ms(p->interval_ms, p->cycle - w->cycle_back,
						  w->bucket));
}

/* reg_ping_mine_fn */
static int
dp_ping_mine(void *arg, const struct reg_ping_target *t)
{
	struct dp_ping_walk *w = arg;
	struct dp_ping *p = w->p;
	uint16_t self = w->lc->ctx->cfg->node_id, who;
	int ti = -1;

	/* federation: the bindings here are this node's alone, no other node has
	 * them to share the pinging */
	if (w->lc->ctx->reg_conf != NULL && w->lc->ctx->reg_conf->federation) {
		if (w->retry)
			return t->retry ? REG_PING_EXTRA : REG_PING_SKIP;
		if (w->catch_up)
			return REG_PING_SKIP;
		dp_ping_share_count(p, self);
		return REG_PING_MINE;
	}
	if (p->mode == CFG_PING_OWNERSHIP) {
		ti = dp_ping_tag_index(p, t->tag, t->tag_len);
		who = ti < 0 ? 0 : dp_ping_tag_owner(p, &p->tags[ti], w);
	} else {
		who = dp_ping_rendezvous(t->ident, p->set, p->n_set);
	}
	if (w->retry)                   /* its ping found no MAC: again, if still ours */
		return t->retry && who == self ? REG_PING_EXTRA : REG_PING_SKIP;
	if (w->catch_up) {              /* was a gone node's, is ours now */
		uint16_t was;

		if (t->pending)         /* this node pinged it already: not missed */
			return REG_PING_SKIP;
		if (p->mode == CFG_PING_OWNERSHIP)
			return ti == w->tag && who == self ? REG_PING_EXTRA : REG_PING_SKIP;
		was = dp_ping_rendezvous(t->ident, w->old_set, w->n_old);
		return who == self && dp_ping_listed(p->gone, p->n_gone, was) ? REG_PING_EXTRA :
			REG_PING_SKIP;
	}
	dp_ping_share_count(p, who);
	return who == self ? REG_PING_MINE : REG_PING_OTHERS;
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

/* The walked bucket is walked again later for the pings that found no MAC
 * (ARP was asked): a node that never sent to a contact's next hop, a restarted
 * one or the new holder of a tag, would lose its first ping otherwise. */
static void
dp_ping_retry_add(struct dp_ping_walk *w)
{
	struct dp_ping *p = w->p;
	unsigned int i;

	if (w->tries >= DP_PING_RETRY_TRIES) {
		p->retry_lost++;
		return;
	}
	for (i = 0; i < p->n_retry; i++) {     /* a range of the same try close by */
		struct dp_ping_retry *r = &p->retry[i];

		if (r->tries != w->tries + 1 || w->bucket + DP_PING_RETRY_MERGE < r->from ||
		    w->bucket > r->to + DP_PING_RETRY_MERGE)
			continue;
		r->from = RTE_MIN(r->from, w->bucket);
		r->to = RTE_MAX(r->to, w->bucket);
		return;
	}
	if (p->n_retry == DP_PING_MAX_RETRY) {
		p->retry_lost++;
		return;
	}
	p->retry[p->n_retry].from = w->bucket;
	p->retry[p->n_retry].to = w->bucket;
	p->retry[p->n_retry].tries = (uint8_t)(w->tries + 1);
	p->retry[p->n_retry].at_ms = w->lc->now_ms + ((uint64_t)DP_PING_RETRY_MS << (2 * w->tries));
	p->n_retry++;
}

/* One ping out: 0, REG_PING_NO_NEIGH (retried later), or -1. */
static int
dp_ping_out(struct dp_ping_walk *w, uint8_t family, const uint8_t *from, const uint8_t *addr,
	    uint16_t port, const char *text, size_t len)
{
	struct dp_lcore *lc = w->lc;
	uint64_t miss = lc->stats.drop[DP_DROP_NEIGH_MISS];

	if (dp_egress_udp_from(lc, NULL, family, from, addr, rte_be_to_cpu_16(lc->ctx->sip_port),
			       port, text, len, false) == 0)
		return 0;
	if (lc->stats.drop[DP_DROP_NEIGH_MISS] == miss)
		return -1;
	dp_ping_retry_add(w);
	return REG_PING_NO_NEIGH;
}

/* reg_ping_send_fn: the ping, from our address and SIP port to where the
 * REGISTER came from; from the VIP when the REGISTER arrived on a VIP (the NAT in
 * front of the phone takes packets from that address only), held here or not:
 * in a tag handover the old holder pings until the switch moment while the VIP
 * has moved already, and the reply, which reaches the VIP's holder, is relayed
 * back to us (dp_ping_relay_reply). */
static int
dp_ping_send(void *arg, const struct reg_ping_target *t)
{
	struct dp_ping_walk *w = arg;
	struct dp_lcore *lc = w->lc;
	const struct dp_ctx *ctx = lc->ctx;
	uint16_t sport = rte_be_to_cpu_16(ctx->sip_port);
	const uint8_t *from = NULL, *me_addr;
	char me[INET6_ADDRSTRLEN + 2];
	rte_be32_t a4 = ctx->ports[0].ipv4;
	int n;

	if (t->family != 4 && (t->family != 6 || !ctx->ports[0].has_ipv6))
		return -1;
	if (t->sock_family == t->family && t->sock_addr != NULL &&
	    dp_vip_state(lc, t->sock_family, t->sock_addr) >= 0)
		from = t->sock_addr;
	else if (w->p->src_family == t->family)
		from = w->p->src;       /* the shared address (nat_ping.source) */
	if (!w->p->track)
		return dp_ping_out(w, t->family, from, t->addr, t->port, "\r\n\r\n", 4);
	me_addr = from != NULL ? from : t->family == 6 ? ctx->ports[0].ipv6 : (const uint8_t *)&a4;
	if (t->family == 6) {   /* our address as a SIP host: [2001:db8::1] */
		me[0] = '[';
		inet_ntop(AF_INET6, me_addr, me + 1, INET6_ADDRSTRLEN);
		strcat(me, "]");
	} else {
		snprintf(me, sizeof(me), "%u.%u.%u.%u", me_addr[0], me_addr[1], me_addr[2], me_addr[3]);
	}
	n = dp_ping_text(lc->reply, sizeof(lc->reply), t, me, sport, ctx->cfg->node_id, lc->idx,
			 ++w->p->seq);
	if (n < 0)
		return -1;
	return dp_ping_out(w, t->family, from, t->addr, t->port, lc->reply, (size_t)n);
}

/* Buckets [from, to) of the cycle, under WALK's rules. */
static unsigned int
dp_ping_range(struct dp_lcore *lc, struct dp_ping_walk *w, uint32_t from, uint32_t to)
{
	unsigned int sent = 0;
	uint32_t b;

	for (b = from; b < to; b++) {
		w->bucket = (uint16_t)b;
		sent += reg_shard_ping_bucket(lc->reg, (uint16_t)b, lc->now_ms, w->p->track,
					      w->p->max_failures, dp_ping_mine, dp_ping_send, w);
	}
	return sent;
}

/* How far back the gone nodes' pings may be missing: from the earliest moment
 * of dp_ping_left() among them (ms before WALL). */
static uint64_t
dp_ping_gone_back(const struct dp_ping *p, uint64_t wall)
{
	uint64_t from = dp_ping_left_at(0, wall, p->grace_ms);      /* not listed in left[] */
	uint64_t earliest = wall;
	unsigned int g, l;

	for (g = 0; g < p->n_gone; g++) {
		for (l = 0; l < p->n_left && p->left[l].id != p->gone[g]; l++)
			;
		earliest = RTE_MIN(earliest, l < p->n_left ? p->left[l].at : from);
	}
	return wall - earliest;
}

/* A catch-up walk: the buckets of the last BACK_MS before the position (the end
 * of the last interval too), under WALK's rules. */
static unsigned int
dp_ping_catch_up(struct dp_lcore *lc, struct dp_ping_walk *w, uint64_t back_ms)
{
	struct dp_ping *p = w->p;
	uint32_t back = (uint32_t)RTE_MIN(back_ms * REG_DIGEST_BUCKETS / p->interval_ms + 1,
					  (uint64_t)REG_DIGEST_BUCKETS - 1);
	uint32_t from = p->pos > back ? p->pos - back : 0;
	unsigned int sent = 0;

	w->catch_up = true;
	if (back > p->pos) {            /* ... the end of the last interval too */
		w->cycle_back = 1;
		sent += dp_ping_range(lc, w, REG_DIGEST_BUCKETS - (back - p->pos),
				      REG_DIGEST_BUCKETS);
		w->cycle_back = 0;
	}
	sent += dp_ping_range(lc, w, from, p->pos);
	w->catch_up = false;
	return sent;
}

/* The retries that are due (dp_ping_retry_add). */
static unsigned int
dp_ping_retries(struct dp_lcore *lc, struct dp_ping_walk *w)
{
	struct dp_ping *p = w->p;
	struct dp_ping_retry r;
	unsigned int i = 0, sent = 0, s;

	while (i < p->n_retry) {
		if (lc->now_ms < p->retry[i].at_ms) {
			i++;
			continue;
		}
		r = p->retry[i];
		p->retry[i] = p->retry[--p->n_retry];
		w->retry = true;
		w->tries = r.tries;
		s = dp_ping_range(lc, w, r.from, r.to + 1u);
		p->retried += s;
		sent += s;
		w->retry = false;
		w->tries = 0;
	}
	return sent;
}

unsigned int
dp_ping_poll(struct dp_lcore *lc)
{
	struct dp_ping *p = &lc->ping;
	struct dp_ping_walk w = { .lc = lc, .p = p, .tag = -1 };
	uint64_t wall, cycle;
	uint32_t target, to;
	unsigned int sent = 0, i;

	if (!p->on || lc->now_ms < p->next_ms)
		return 0;
	p->next_ms = lc->now_ms + 1;
	if (p->n_retry > 0)
		sent += dp_ping_retries(lc, &w);
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
			w.old_set = old;
			w.n_old = n_old;
			sent += dp_ping_catch_up(lc, &w, dp_ping_gone_back(p, wall));
		}
		for (i = 0; i < p->n_tags; i++) {
			if (!p->tags[i].moved)
				continue;
			/* a tag that came to us from a gone holder: its contacts since
			 * (the buckets before the position, in the cycle being walked) */
			p->tags[i].moved = 0;
			if (p->cycle == UINT64_MAX)
				continue;
			w.tag = (int)i;
			sent += dp_ping_catch_up(lc, &w, wall - RTE_MIN(p->tags[i].catch_from, wall));
			w.tag = -1;
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

/* A reply to another node's ping (pings sent from a shared address come back to
 * whichever node holds it): to that node, at its address and our SIP port, once.
 * A reply that came from a node of the cluster is not sent on again (views that
 * differ would bounce it). 0: sent (m consumed), -1: not (m left to the caller). */
static int
dp_ping_relay_reply(struct dp_lcore *lc, struct rte_mbuf *m, unsigned int node)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct dp_ping *p = &lc->ping;
	uint16_t sport = rte_be_to_cpu_16(lc->ctx->sip_port);
	unsigned int i, k;

	for (i = 0; i < p->n_addr && p->addr[i].id != node; i++)
		;
	if (i == p->n_addr || lc->msg->len > sizeof(lc->reply))
		return -1;
	for (k = 0; info->family == 4 && k < p->n_addr; k++)
		if (memcmp(info->src, &p->addr[k].addr, 4) == 0)
			return -1;
	memcpy(lc->reply, lc->msg->buf, lc->msg->len);
	if (dp_egress_udp_to(lc, m, 4, (const uint8_t *)&p->addr[i].addr, sport, sport, lc->reply,
			     lc->msg->len, true) != 0)
		return 0;       /* counted and freed by the egress */
	DP_STAT_INC(&lc->stats, ping_replies_relayed);
	return 0;
}

bool
dp_ping_response(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct sip_hdr *h = sip_msg_hdr(lc->msg, SIP_HDR_VIA);
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
	    (node == lc->ctx->cfg->node_id && shard >= lc->ctx->n_workers)) {
		DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
		rte_pktmbuf_free(m);
		return true;
	}
	if (node != lc->ctx->cfg->node_id) {
		if (dp_ping_relay_reply(lc, m, node) != 0) {
			DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
			rte_pktmbuf_free(m);
		}
		return true;
	}
	if (shard != lc->idx) {
		dp_egress_steer(lc, (uint16_t)shard, m);
		return true;
	}
	if (lc->reg != NULL && lc->msg->status >= 200)
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
		out->retried += lc->ping.retried;
		out->retry_lost += lc->ping.retry_lost;
	}
}
