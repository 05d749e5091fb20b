/* SPDX-License-Identifier: BSD-3-Clause */
/* Sharing tags with terms. See cp_tags.h. */
#include <stdio.h>
#include <string.h>

#include "control/tags/cp_tags.h"

#define CP_TAGS_COUNT(t, c) ((t)->counters[CP_TAGS_C_##c]++)

static const char *const cp_tags_reason_names[CP_TAGS_R_MAX] = {
#define CP_TAGS_REASON_NAME(NAME, name) [CP_TAGS_R_##NAME] = name,
	CP_TAGS_FOREACH_REASON(CP_TAGS_REASON_NAME)
#undef CP_TAGS_REASON_NAME
};

static const char *const cp_tags_counter_names[CP_TAGS_COUNTER_MAX] = {
#define CP_TAGS_C_NAME(name, help) [CP_TAGS_C_##name] = #name,
	CP_TAGS_FOREACH_COUNTER(CP_TAGS_C_NAME)
#undef CP_TAGS_C_NAME
};

void
cp_tags_init(struct cp_tags *t, const struct cfg *cfg)
{
	int i;

	memset(t, 0, sizeof(*t));
	t->self = cfg->node_id;
	t->state = MSG_CAP_NOT_SYNCED;
	t->grace_ms = cfg->cluster.node_timeout_ms;
	snprintf(t->def_name, sizeof(t->def_name), "%s", cfg->default_tag.name);
	t->def_cluster = cfg->default_tag.cluster;
	for (i = 0; i < cfg->n_tags && i < CP_TAGS_MAX; i++) {
		struct cp_tag *g = &t->tag[t->n++];

		snprintf(g->name, sizeof(g->name), "%s", cfg->tags[i].name);
		g->cluster = cfg->tags[i].cluster;
		g->configured = true;
		g->conf = cfg->tags[i];
	}
}

int
cp_tags_better(const struct cp_tags_claim *a, const struct cp_tags_claim *b)
{
	if (a->term != b->term)
		return a->term > b->term ? 1 : -1;
	if (a->priority != b->priority)
		return a->priority > b->priority ? 1 : -1;
	if (a->owner != b->owner)
		return a->owner < b->owner ? 1 : -1;   /* the lower node id */
	return 0;
}

int
cp_tags_find(const struct cp_tags *t, const char *name, uint32_t cluster)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->tag[i].cluster == cluster && strcmp(t->tag[i].name, name) == 0)
			return i;
	return -1;
}

int
cp_tags_default(const struct cp_tags *t)
{
	if (t->def_cluster != 0)
		return cp_tags_find(t, t->def_name, t->def_cluster);
	return t->n > 0 ? 0 : -1;
}

bool
cp_tags_active(const struct cp_tags *t, int i)
{
	return i >= 0 && i < t->n && t->tag[i].cur.term != 0 && t->tag[i].cur.owner == t->self;
}

static void
cp_tags_record(struct cp_tags *t, int i, enum cp_tags_reason why, uint64_t wall_ms)
{
	struct cp_tags_event *ev = &t->hist[t->hist_next % CP_TAGS_HISTORY];

	ev->wall_ms = wall_ms;
	ev->tag = (uint8_t)i;
	ev->reason = (uint8_t)why;
	ev->owner = t->tag[i].cur.owner;
	ev->term = t->tag[i].cur.term;
	t->hist_next++;
}

/* Make C the held claim of tag I. */
static void
cp_tags_set(struct cp_tags *t, int i, const struct cp_tags_claim *c, enum cp_tags_reason why,
	    uint64_t wall_ms)
{
	struct cp_tag *g = &t->tag[i];

	if (g->cur.term != 0 && g->cur.owner == t->self && c->owner != t->self)
		CP_TAGS_COUNT(t, stepped_down);
	g->cur = *c;
	g->holder_heard_ms = t->now_ms; /* a holder just learned of gets its grace */
	if (c->term > g->max_term)
		g->max_term = c->term;
	cp_tags_record(t, i, why, wall_ms);
}

static uint8_t
cp_tags_my_priority(const struct cp_tag *g)
{
	return g->configured ? (uint8_t)g->conf.priority : 0;
}

static bool
cp_tags_is_up(uint16_t node, const uint16_t *up, int n)
{
	int j;

	for (j = 0; j < n; j++)
		if (up[j] == node)
			return true;
	return false;
}

void
cp_tags_set_up(struct cp_tags *t, const uint16_t *up, int n_up)
{
	t->n_up = n_up < CP_TAGS_UP_MAX ? n_up : CP_TAGS_UP_MAX;
	memcpy(t->up, up, sizeof(up[0]) * (size_t)t->n_up);
}

struct cp_tags_claim
cp_tags_claim(struct cp_tags *t, int i, uint64_t wall_ms, enum cp_tags_reason why)
{
	struct cp_tag *g = &t->tag[i];
	struct cp_tags_claim c = { .term = g->max_term + 1, .owner = t->self,
				   .priority = cp_tags_my_priority(g) };
	uint16_t pinging = g->cur.switch_ms > wall_ms ? g->cur.prev_owner : g->cur.owner;

	/* From a live holder (up, or heard within the grace), which pings the
	 * tag's contacts: it goes on until a common moment, this node starts then
	 * (a holder that is gone: at once, the dataplane catches up). */
	if ((why == CP_TAGS_R_COMMAND || why == CP_TAGS_R_PREEMPT) && g->cur.term != 0 &&
	    pinging != 0 && pinging != t->self &&
	    (cp_tags_is_up(pinging, t->up, t->n_up) || t->now_ms - g->holder_heard_ms <= t->grace_ms)) {
		c.prev_owner = pinging;
		c.switch_ms = wall_ms + CP_TAGS_HANDOVER_MS;
		CP_TAGS_COUNT(t, handovers);
	}
	CP_TAGS_COUNT(t, claims);
	if (why == CP_TAGS_R_FAILOVER)
		CP_TAGS_COUNT(t, failovers);
	if (why == CP_TAGS_R_PREEMPT)
		CP_TAGS_COUNT(t, preempts);
	cp_tags_set(t, i, &c, why, wall_ms);
	g->claim_term = c.term;
	g->claim_ms = wall_ms;
	g->n_acked = 0;
	return c;
}

/* Tag NAME/CLUSTER, learned (not configured) when new: -1 when full. */
static int
cp_tags_get(struct cp_tags *t, const char *name, uint32_t cluster)
{
	int i = cp_tags_find(t, name, cluster);
	struct cp_tag *g;

	if (i >= 0)
		return i;
	if (t->n == CP_TAGS_MAX) {
		CP_TAGS_COUNT(t, unknown_full);
		return -1;
	}
	g = &t->tag[t->n];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->cluster = cluster;
	return t->n++;
}

static void
cp_tags_candidate(struct cp_tag *g, uint16_t node, bool is, uint8_t priority)
{
	int k;

	for (k = 0; k < g->n_cand; k++)
		if (g->cand[k].node == node)
			break;
	if (!is) {
		if (k < g->n_cand)
			g->cand[k] = g->cand[--g->n_cand];
		return;
	}
	if (k == g->n_cand) {
		if (g->n_cand == CP_TAGS_CANDIDATES)
			return;
		g->n_cand++;
	}
	g->cand[k].node = node;
	g->cand[k].priority = priority;
}

int
cp_tags_on_entry(struct cp_tags *t, uint16_t from, const struct msg_tag_entry *e, bool claim,
		 uint64_t wall_ms)
{
	struct cp_tags_claim c = { e->term, e->owner, e->owner_priority, e->prev_owner, e->switch_ms };
	enum cp_tags_reason why;
	struct cp_tag *g;
	int i;

	i = cp_tags_get(t, e->name, e->cluster);
	if (i < 0)
		return -1;
	g = &t->tag[i];
	if (claim)
		CP_TAGS_COUNT(t, claims_rx);
	cp_tags_candidate(g, from, e->candidate, e->priority);
	if (e->term > g->max_term)
		g->max_term = e->term;
	if (from == e->owner && e->term != 0)   /* the holder itself: alive */
		g->holder_heard_ms = t->now_ms;
	if (e->term == 0 || cp_tags_better(&c, &g->cur) <= 0) {
		CP_TAGS_COUNT(t, stale);
		return i;
	}
	if (from == c.owner)
		g->holder_heard_ms = t->now_ms;
	if (claim)
		why = CP_TAGS_R_PEER;
	else if (c.owner == t->self)
		why = CP_TAGS_R_RESTART;        /* held here before this run */
	else if (t->state != MSG_CAP_SYNCED)
		why = CP_TAGS_R_SYNC;
	else
		why = CP_TAGS_R_HEAL;
	CP_TAGS_COUNT(t, adopted);
	cp_tags_set(t, i, &c, why, wall_ms);
	return i;
}

void
cp_tags_on_ack(struct cp_tags *t, uint16_t from, const struct msg_tag_entry *e)
{
	int i = cp_tags_find(t, e->name, e->cluster), k;
	struct cp_tag *g;

	if (i < 0)
		return;
	g = &t->tag[i];
	if (g->claim_term == 0 || e->term != g->claim_term || e->owner != t->self)
		return;
	for (k = 0; k < g->n_acked; k++)
		if (g->acked[k] == from)
			return;
	if (g->n_acked < CP_TAGS_CANDIDATES)
		g->acked[g->n_acked++] = from;
}

int
cp_tags_claim_missing(const struct cp_tags *t, int i, const uint16_t *up, int n,
		      uint16_t *missing)
{
	const struct cp_tag *g = &t->tag[i];
	int j, k, m = 0;

	for (j = 0; j < n; j++) {
		for (k = 0; k < g->n_acked && g->acked[k] != up[j]; k++)
			;
		if (k == g->n_acked)
			missing[m++] = up[j];
	}
	return m;
}

void
cp_tags_entry(const struct cp_tags *t, int i, struct msg_tag_entry *e)
{
	const struct cp_tag *g = &t->tag[i];

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", g->name);
	e->cluster = g->cluster;
	e->term = g->cur.term;
	e->owner = g->cur.owner;
	e->owner_priority = g->cur.priority;
	e->prev_owner = g->cur.prev_owner;
	e->switch_ms = g->cur.switch_ms;
	e->candidate = g->configured && g->conf.failover == CFG_TAG_AUTO;
	e->priority = cp_tags_my_priority(g);
}


/* This node is the best candidate of G among the up ones. */
static bool
cp_tags_best_here(const struct cp_tags *t, const struct cp_tag *g, const uint16_t *up, int n)
{
	uint8_t mine = cp_tags_my_priority(g);
	int k;

	for (k = 0; k < g->n_cand; k++) {
		const struct cp_tags_cand *c = &g->cand[k];

		if (c->node == t->self || !cp_tags_is_up(c->node, up, n))
			continue;
		if (c->priority > mine || (c->priority == mine && c->node < t->self))
			return false;
	}
	return true;
}

int
cp_tags_failover(struct cp_tags *t, const uint16_t *up, int n_up, uint64_t wall_ms)
{
	int i, made = 0;

	if (t->state != MSG_CAP_SYNCED)
		return 0;
	for (i = 0; i < t->n; i++) {
		struct cp_tag *g = &t->tag[i];

		if (!g->configured || g->conf.failover != CFG_TAG_AUTO || g->cur.term == 0 ||
		    g->cur.owner == t->self || cp_tags_is_up(g->cur.owner, up, n_up) ||
		    (g->holder_heard_ms != 0 && t->now_ms - g->holder_heard_ms < t->grace_ms) ||
		    !cp_tags_best_here(t, g, up, n_up))
			continue;
		cp_tags_claim(t, i, wall_ms, CP_TAGS_R_FAILOVER);
		made++;
	}
	return made;
}

int
cp_tags_synced(struct cp_tags *t, const uint16_t *up, int n_up, uint64_t wall_ms)
{
	int i, made = 0;

	t->state = MSG_CAP_SYNCED;
	t->synced_ms = t->now_ms;
	for (i = 0; i < t->n; i++) {
		struct cp_tag *g = &t->tag[i];

		if (!g->configured || g->cur.term != 0)
			continue;
		if (g->conf.state == CFG_TAG_ACTIVE) {
			cp_tags_claim(t, i, wall_ms, CP_TAGS_R_CONFIG);
			made++;
		}
	}
	return made + cp_tags_failover(t, up, n_up, wall_ms);
}

int
cp_tags_preempt(struct cp_tags *t, uint64_t wall_ms)
{
	int i, made = 0;

	if (t->state != MSG_CAP_SYNCED || t->now_ms - t->synced_ms < t->grace_ms)
		return 0;
	for (i = 0; i < t->n; i++) {
		struct cp_tag *g = &t->tag[i];

		if (!g->configured || !g->conf.preempt || g->cur.term == 0 ||
		    g->cur.owner == t->self || g->cur.priority >= cp_tags_my_priority(g))
			continue;
		cp_tags_claim(t, i, wall_ms, CP_TAGS_R_PREEMPT);
		made++;
	}
	return made;
}

uint32_t
cp_tags_history_len(const struct cp_tags *t)
{
	return t->hist_next < CP_TAGS_HISTORY ? t->hist_next : CP_TAGS_HISTORY;
}

const struct cp_tags_event *
cp_tags_history(const struct cp_tags *t, uint32_t k)
{
	uint32_t len = cp_tags_history_len(t);

	if (k >= len)
		return NULL;
	return &t->hist[(t->hist_next - len + k) % CP_TAGS_HISTORY];
}

const char *
cp_tags_reason_name(unsigned int reason)
{
	return reason < CP_TAGS_R_MAX ? cp_tags_reason_names[reason] : "?";
}

const char *
cp_tags_counter_name(unsigned int counter)
{
	return counter < CP_TAGS_COUNTER_MAX ? cp_tags_counter_names[counter] : "?";
}
