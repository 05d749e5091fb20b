/* SPDX-License-Identifier: BSD-3-Clause */
/* This node's sharing tags on the cluster bus. See cp_tags_node.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "control/tags/cp_tags_node.h"

static void
cp_tn_hdr(struct cp_tags_node *n, uint8_t type)
{
	memset(&n->msg.hdr, 0, sizeof(n->msg.hdr));
	n->msg.hdr.type = type;
	n->msg.hdr.cluster_id = n->cluster_id;
	n->msg.hdr.sender = n->tags.self;
	n->msg.hdr.incarnation = n->incarnation;
	n->msg.src_addr = 0;
	n->msg.src_port = 0;
}

/* The entries of tags FIRST.. whose bit is set in WHICH (NULL: all) to PEER, as
 * TYPE (claim: a TagTable to acknowledge), MSG_TAGS_MAX per message. */
static void
cp_tn_send_tags(struct cp_tags_node *n, uint16_t peer, uint8_t type, bool claim,
		const bool *which, cp_tags_send_fn *send, void *arg)
{
	struct msg_tags *mt = &n->msg.u.tags;
	int i;

	cp_tn_hdr(n, type);
	mt->n = 0;
	mt->claim = claim;
	for (i = 0; i < n->tags.n; i++) {
		if (which != NULL && !which[i])
			continue;
		cp_tags_entry(&n->tags, i, &mt->e[mt->n++]);
		if (mt->n == MSG_TAGS_MAX) {
			send(arg, peer, &n->msg);
			cp_tn_hdr(n, type);
			mt->n = 0;
			mt->claim = claim;
		}
	}
	if (mt->n > 0)
		send(arg, peer, &n->msg);
}

static bool
cp_tn_listed(const uint16_t *ids, int n, uint16_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Tag I's claim to every up peer that has not acknowledged it. */
static void
cp_tn_send_claim(struct cp_tags_node *n, int i, uint64_t now, cp_tags_send_fn *send, void *arg)
{
	bool which[CP_TAGS_MAX] = { false };
	uint16_t missing[CP_TOPO_MAX_PEERS];
	int k, m;

	which[i] = true;
	m = cp_tags_claim_missing(&n->tags, i, n->up, n->n_up, missing);
	for (k = 0; k < m; k++)
		cp_tn_send_tags(n, missing[k], MSG_T_TAG_TABLE, true, which, send, arg);
	n->resend_ms[i] = now + CP_TAGS_NODE_RESEND_MS;
}

/* The claims this node made since its claim count was CLAIMS0 go out. */
static void
cp_tn_send_new_claims(struct cp_tags_node *n, uint64_t claims0, uint64_t now,
		      cp_tags_send_fn *send, void *arg)
{
	int i;

	if (n->tags.counters[CP_TAGS_C_claims] == claims0)
		return;
	for (i = 0; i < n->tags.n; i++)
		if (cp_tags_active(&n->tags, i) && n->tags.tag[i].claim_term == n->tags.tag[i].cur.term &&
		    n->tags.tag[i].n_acked == 0)
			cp_tn_send_claim(n, i, now, send, arg);
}

void
cp_tags_node_init(struct cp_tags_node *n, const struct cfg *cfg, uint64_t incarnation,
		  uint64_t now)
{
	memset(n, 0, offsetof(struct cp_tags_node, msg));
	cp_tags_init(&n->tags, cfg);
	n->cluster_id = cfg->cluster.id;
	n->incarnation = incarnation;
	n->alone_ms = 2 * cfg->cluster.node_timeout_ms;
	n->started_ms = now;
}

void
cp_tags_node_cron(struct cp_tags_node *n, const struct cp_topo *t, uint64_t now, uint64_t wall,
		  cp_tags_send_fn *send, void *arg)
{
	uint16_t up[CP_TOPO_MAX_PEERS];
	uint64_t inc[CP_TOPO_MAX_PEERS], claims0 = n->tags.counters[CP_TAGS_C_claims];
	bool gossip = now >= n->next_gossip_ms;
	int i, k, n_up = 0, known = 0;

	n->tags.now_ms = now;
	for (i = 0; i < t->n_peers; i++) {
		const struct cp_peer *p = &t->peers[i];

		if (p->state != CP_NODE_LEFT && p->incarnation != 0)
			known++;
		if (p->state != CP_NODE_UP)
			continue;
		up[n_up] = p->node.id;
		inc[n_up++] = p->incarnation;
	}
	/* a peer that came up or restarted gets our table now */
	for (k = 0; k < n_up; k++) {
		bool was = false;

		for (i = 0; i < n->n_up; i++)
			if (n->up[i] == up[k] && n->up_inc[i] == inc[k])
				was = true;
		if (!was && !gossip)
			cp_tn_send_tags(n, up[k], MSG_T_TAG_TABLE, false, NULL, send, arg);
	}
	memcpy(n->up, up, sizeof(up[0]) * (size_t)n_up);
	memcpy(n->up_inc, inc, sizeof(inc[0]) * (size_t)n_up);
	n->n_up = n_up;
	cp_tags_set_up(&n->tags, up, n_up);
	if (gossip) {
		for (k = 0; k < n_up; k++)
			cp_tn_send_tags(n, up[k], MSG_T_TAG_TABLE, false, NULL, send, arg);
		n->next_gossip_ms = now + CP_TAGS_NODE_GOSSIP_MS;
	}
	if (n->tags.state != MSG_CAP_SYNCED) {
		bool all = true;

		for (k = 0; k < n_up; k++)
			if (!cp_tn_listed(n->heard, n->n_heard, up[k]))
				all = false;
		if ((n_up > 0 && all) || (known == 0 && now - n->started_ms >= n->alone_ms))
			cp_tags_synced(&n->tags, n->up, n->n_up, wall);
		else if (n_up > 0)
			n->tags.state = MSG_CAP_SYNCING;
	} else {
		cp_tags_failover(&n->tags, n->up, n->n_up, wall);
		cp_tags_preempt(&n->tags, wall);
	}
	cp_tn_send_new_claims(n, claims0, now, send, arg);
	for (i = 0; i < n->tags.n; i++) {
		const struct cp_tag *g = &n->tags.tag[i];

		if (cp_tags_active(&n->tags, i) && g->claim_term == g->cur.term &&
		    now >= n->resend_ms[i] && wall - g->claim_ms < CP_TAGS_NODE_CLAIM_MS)
			cp_tn_send_claim(n, i, now, send, arg);
	}
}

bool
cp_tags_node_msg_type(unsigned int type)
{
	return type == MSG_T_TAG_TABLE || type == MSG_T_TAG_ACK;
}

void
cp_tags_node_on_msg(struct cp_tags_node *n, const struct msg *m, uint64_t now, uint64_t wall,
		    cp_tags_send_fn *send, void *arg)
{
	const struct msg_tags *mt = &m->u.tags;
	bool which[CP_TAGS_MAX] = { false };
	int i, k;

	n->tags.now_ms = now;
	if (m->hdr.type == MSG_T_TAG_ACK) {
		for (i = 0; i < mt->n; i++)
			cp_tags_on_ack(&n->tags, m->hdr.sender, &mt->e[i]);
		return;
	}
	n->tags.counters[CP_TAGS_C_tables_rx]++;
	if (!cp_tn_listed(n->heard, n->n_heard, m->hdr.sender) && n->n_heard < CP_TOPO_MAX_PEERS)
		n->heard[n->n_heard++] = m->hdr.sender;
	for (i = 0; i < mt->n; i++) {
		k = cp_tags_on_entry(&n->tags, m->hdr.sender, &mt->e[i], mt->claim, wall);
		if (k >= 0)
			which[k] = true;
	}
	if (mt->claim)
		cp_tn_send_tags(n, m->hdr.sender, MSG_T_TAG_ACK, false, which, send, arg);
}

int
cp_tags_node_set_active(struct cp_tags_node *n, const char *name, uint32_t cluster,
			uint64_t now, uint64_t wall, cp_tags_send_fn *send, void *arg)
{
	struct msg_tag_entry e;
	int i = cp_tags_find(&n->tags, name, cluster);

	n->tags.now_ms = now;
	if (i < 0) {            /* a tag only the operator names: learn it */
		memset(&e, 0, sizeof(e));
		snprintf(e.name, sizeof(e.name), "%s", name);
		e.cluster = cluster;
		i = cp_tags_on_entry(&n->tags, n->tags.self, &e, false, wall);
		if (i < 0)
			return -ENOENT;
	}
	cp_tags_claim(&n->tags, i, wall, CP_TAGS_R_COMMAND);
	cp_tn_send_claim(n, i, now, send, arg);
	return i;
}

int
cp_tags_node_missing(const struct cp_tags_node *n, int i, uint16_t *missing)
{
	return cp_tags_claim_missing(&n->tags, i, n->up, n->n_up, missing);
}
