/* SPDX-License-Identifier: BSD-3-Clause */
/* Backend probing by sharing tag and member-state replication. See cp_backends.h. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "control/tags/cp_backends.h"

void
cp_backends_init(struct cp_backends *b, const struct cfg *cfg)
{
	int i;

	memset(b, 0, offsetof(struct cp_backends, msg));
	b->self = cfg->node_id;
	b->state = MSG_CAP_NOT_SYNCED;
	for (i = 0; i < cfg->n_sets && i < CFG_MAX_SETS; i++) {
		struct cp_bset *s = &b->set[b->n++];

		s->id = cfg->sets[i].set;
		s->members = (uint8_t)(cfg->sets[i].n_members < MSG_BSTATE_MEMBERS ?
				       cfg->sets[i].n_members : MSG_BSTATE_MEMBERS);
		if (cfg->sets[i].tag.cluster != 0) {
			snprintf(s->tag, sizeof(s->tag), "%s", cfg->sets[i].tag.name);
			s->tag_cluster = cfg->sets[i].tag.cluster;
		}
	}
}

bool
cp_backends_msg_type(unsigned int type)
{
	return type == MSG_T_BACKEND_STATES;
}

/* The tag of set S in TAGS: its own, or the default tag; -1: none known. */
static int
cp_bk_tag(const struct cp_tags *tags, const struct cp_bset *s)
{
	if (s->tag_cluster != 0)
		return cp_tags_find(tags, s->tag, s->tag_cluster);
	return cp_tags_default(tags);
}

static uint64_t
cp_bk_clock(struct cp_backends *b, uint64_t wall)
{
	b->clock = wall > b->clock ? wall : b->clock + 1;
	return b->clock;
}

/* The bits of N members. */
static uint32_t
cp_bk_all(unsigned int n)
{
	return n >= 32 ? UINT32_MAX : (1u << n) - 1;
}

static bool
cp_bk_listed(const uint16_t *ids, int n, uint16_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The sets probed here whose bit is set in WHICH (NULL: all) to PEER. */
static void
cp_bk_send(struct cp_backends *b, uint16_t peer, const bool *which, uint32_t cluster_id,
	   uint64_t incarnation, cp_backends_send_fn *send, void *arg)
{
	struct msg_bstates *ms = &b->msg.u.bstates;
	int i;

	memset(&b->msg.hdr, 0, sizeof(b->msg.hdr));
	b->msg.hdr.type = MSG_T_BACKEND_STATES;
	b->msg.hdr.cluster_id = cluster_id;
	b->msg.hdr.sender = b->self;
	b->msg.hdr.incarnation = incarnation;
	b->msg.src_addr = 0;
	b->msg.src_port = 0;
	ms->n = 0;
	for (i = 0; i < b->n && ms->n < MSG_BSTATES_MAX; i++) {
		const struct cp_bset *s = &b->set[i];
		struct msg_bstate *e;

		if (!s->probing || !s->own_known || s->term == 0 || (which != NULL && !which[i]))
			continue;
		e = &ms->e[ms->n++];
		e->set = s->id;
		e->term = s->term;
		e->version = s->version;
		e->members = s->members;
		e->up = s->own_up;
	}
	if (ms->n == 0)
		return;
	b->counters[CP_BACKENDS_C_states_tx] += ms->n;
	send(arg, peer, &b->msg);
}

/* Bit i: member i of set ID up, from the dataplane's list. Returns the members found. */
static int
cp_bk_mask(const struct cp_backends_member *m, int n, uint32_t id, uint32_t *up)
{
	int i, k = 0;

	*up = 0;
	for (i = 0; i < n; i++) {
		if (m[i].set != id)
			continue;
		if (k < MSG_BSTATE_MEMBERS && m[i].up)
			*up |= 1u << k;
		k++;
	}
	return k;
}

void
cp_backends_cron(struct cp_backends *b, const struct cp_tags *tags, const uint16_t *up,
		 const uint64_t *up_inc, int n_up, const struct cp_backends_member *members,
		 int n, uint64_t now, uint64_t wall, uint32_t cluster_id, uint64_t incarnation,
		 cp_backends_send_fn *send, void *arg)
{
	bool dirty[CFG_MAX_SETS] = { false }, any_dirty = false, all = true;
	bool gossip = now >= b->next_gossip_ms;
	int i, k;

	if (n_up > CP_BACKENDS_MAX_PEERS)
		n_up = CP_BACKENDS_MAX_PEERS;
	for (i = 0; i < b->n; i++) {
		struct cp_bset *s = &b->set[i];
		int ti = cp_bk_tag(tags, s);
		bool was = s->probing;
		uint32_t mask;

		if (tags->n == 0) {             /* no tag in the cluster: each node its own */
			s->holder = b->self;
			s->term = 0;
			s->probing = true;
		} else if (ti < 0) {
			s->holder = 0;
			s->term = 0;
			s->probing = false;
		} else {
			s->holder = tags->tag[ti].cur.owner;
			s->term = tags->tag[ti].cur.term;
			s->probing = tags->state == MSG_CAP_SYNCED && cp_tags_active(tags, ti);
		}
		/* probed by nobody (failover: manual with its holder dead, a tag nobody
		 * holds, or the moments before a failover): reported, counted */
		if (!s->probing && tags->n != 0 && tags->state == MSG_CAP_SYNCED &&
		    (s->holder == 0 || (s->holder != b->self && !cp_bk_listed(up, n_up, s->holder)))) {
			if (!s->unprobed) {
				s->unprobed = true;
				s->unprobed_since = wall;
				b->counters[CP_BACKENDS_C_unprobed]++;
			}
		} else {
			s->unprobed = false;
		}
		if (s->probing && !was) {
			b->counters[CP_BACKENDS_C_takeovers]++;
			s->own_known = false;
		} else if (!s->probing && was) {
			b->counters[CP_BACKENDS_C_handovers]++;
		}
		if (!s->probing)
			continue;
		if (cp_bk_mask(members, n, s->id, &mask) == 0)
			continue;               /* the dataplane has not published it yet */
		if (!s->own_known || mask != s->own_up) {
			s->own_known = true;
			s->own_up = mask;
			s->version = cp_bk_clock(b, wall);
			s->dirty = true;
		}
		if (s->term == 0)
			continue;
		/* what this node probes is the best it knows: kept for after a handover */
		s->have = true;
		s->from = b->self;
		s->rterm = s->term;
		s->rversion = s->version;
		s->rup = s->own_up;
		if (s->dirty) {
			dirty[i] = true;
			any_dirty = true;
			s->dirty = false;
		}
	}
	for (k = 0; k < n_up; k++) {
		bool known = false;

		for (i = 0; i < b->n_up; i++)
			if (b->up[i] == up[k] && b->up_inc[i] == up_inc[k])
				known = true;
		if (gossip || !known)           /* everything, to a peer new or restarted */
			cp_bk_send(b, up[k], NULL, cluster_id, incarnation, send, arg);
		else if (any_dirty)
			cp_bk_send(b, up[k], dirty, cluster_id, incarnation, send, arg);
	}
	memcpy(b->up, up, sizeof(up[0]) * (size_t)n_up);
	memcpy(b->up_inc, up_inc, sizeof(up_inc[0]) * (size_t)n_up);
	b->n_up = n_up;
	if (gossip)
		b->next_gossip_ms = now + CP_BACKENDS_GOSSIP_MS;
	if (b->state == MSG_CAP_SYNCED)
		return;
	if (tags->state != MSG_CAP_SYNCED)
		return;
	for (i = 0; i < b->n; i++) {
		const struct cp_bset *s = &b->set[i];

		if (s->probing || s->holder == 0 || s->holder == b->self ||
		    !cp_bk_listed(up, n_up, s->holder))
			continue;
		if (!s->have || s->from != s->holder || s->rterm < s->term)
			all = false;
	}
	b->state = all ? MSG_CAP_SYNCED : MSG_CAP_SYNCING;
}

void
cp_backends_on_msg(struct cp_backends *b, const struct cp_tags *tags, const struct msg *m)
{
	const struct msg_bstates *ms = &m->u.bstates;
	uint16_t from = m->hdr.sender;
	int i, k;

	for (k = 0; k < ms->n; k++) {
		const struct msg_bstate *e = &ms->e[k];
		struct cp_bset *s = NULL;
		bool take;

		b->counters[CP_BACKENDS_C_states_rx]++;
		for (i = 0; i < b->n; i++)
			if (b->set[i].id == e->set)
				s = &b->set[i];
		if (s == NULL) {
			b->counters[CP_BACKENDS_C_unknown_set]++;
			continue;
		}
		if (!s->have || e->term > s->rterm) {
			take = true;
		} else if (e->term < s->rterm) {
			take = false;
		} else if (from == s->from) {
			take = e->version > s->rversion;
		} else {        /* same term, two senders: the one our tag view names */
			int ti = cp_bk_tag(tags, s);

			take = ti >= 0 && tags->tag[ti].cur.owner == from;
		}
		if (!take) {
			b->counters[CP_BACKENDS_C_stale]++;
			continue;
		}
		b->counters[CP_BACKENDS_C_adopted]++;
		s->have = true;
		s->from = from;
		s->rterm = e->term;
		s->rversion = e->version;
		/* members the sender does not have (another config): left up */
		s->rup = (e->up | ~cp_bk_all(e->members)) & cp_bk_all(s->members);
	}
}

void
cp_backends_view(const struct cp_backends *b, int i, bool *probe, bool *known, uint32_t *up)
{
	const struct cp_bset *s = &b->set[i];

	*probe = s->probing;
	*known = !s->probing && s->have;
	*up = s->rup;
}

const char *
cp_backends_counter_name(unsigned int counter)
{
	static const char *const names[] = {
#define CP_BACKENDS_C_NAME(name, help) #name,
		CP_BACKENDS_FOREACH_COUNTER(CP_BACKENDS_C_NAME)
#undef CP_BACKENDS_C_NAME
	};

	return counter < CP_BACKENDS_COUNTER_MAX ? names[counter] : "?";
}
