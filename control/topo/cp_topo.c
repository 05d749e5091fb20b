/* SPDX-License-Identifier: BSD-3-Clause */
/* Cluster topology state machine (pure: clock injected, no I/O). See cp_topo.h. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/cfg_types.h"
#include "control/topo/cp_topo.h"

static_assert(CP_TOPO_MAX_PEERS <= MSG_MAX_NODES,
	      "a heartbeat or an adopt must be able to list every peer");

static const char *const cp_node_state_names[CP_NODE_STATE_MAX] = {
#define CP_NODE_STATE_NAME(NAME, name) [CP_NODE_##NAME] = name,
	CP_FOREACH_NODE_STATE(CP_NODE_STATE_NAME)
#undef CP_NODE_STATE_NAME
};

static const char *const cp_event_names[CP_EVENT_MAX] = {
#define CP_EVENT_NAME(NAME, name) [CP_EVENT_##NAME] = name,
	CP_FOREACH_EVENT(CP_EVENT_NAME)
#undef CP_EVENT_NAME
};

static const char *const cp_topo_counter_names[CP_TOPO_COUNTER_MAX] = {
#define CP_TOPO_COUNTER_NAME(name, help) [CP_TOPO_C_##name] = #name,
	CP_TOPO_FOREACH_COUNTER(CP_TOPO_COUNTER_NAME)
#undef CP_TOPO_COUNTER_NAME
};

/* ---- helpers ---- */

/* Milliseconds since T; CP_NEVER when T is CP_NEVER (never happened). */
static uint64_t
cp_age(uint64_t now, uint64_t t)
{
	if (t == CP_NEVER)
		return CP_NEVER;
	return now > t ? now - t : 0;
}

static void
cp_count(struct cp_topo *t, enum cp_topo_counter c)
{
	t->counters[c]++;
}

__attribute__((format(printf, 5, 6)))
static void
cp_event(struct cp_topo *t, uint64_t now, uint16_t node, enum cp_event_kind kind,
	 const char *fmt, ...)
{
	struct cp_event *ev = &t->history[t->n_events % CP_TOPO_HISTORY];
	va_list ap;

	ev->at = now;
	ev->node = node;
	ev->kind = kind;
	va_start(ap, fmt);
	vsnprintf(ev->reason, sizeof(ev->reason), fmt, ap);
	va_end(ap);
	t->n_events++;
	if (t->on_event != NULL)
		t->on_event(ev, t->on_event_arg);
}

static struct cp_peer *
cp_peer_find(struct cp_topo *t, uint16_t id)
{
	int i;

	for (i = 0; i < t->n_peers; i++)
		if (t->peers[i].node.id == id)
			return &t->peers[i];
	return NULL;
}

static void
cp_peer_set_state(struct cp_topo *t, struct cp_peer *p, enum cp_node_state s, uint64_t now)
{
	if (s == p->state)
		return;
	if (s == CP_NODE_UP)
		cp_count(t, CP_TOPO_C_ups);
	if (s == CP_NODE_DOWN || s == CP_NODE_LEFT) {
		if (p->state == CP_NODE_UP || s == CP_NODE_LEFT) {
			cp_count(t, CP_TOPO_C_downs);
			p->downs++;
		}
	}
	p->state = s;
	p->state_since = now;
}

/* Forget everything proven about P's previous run. */
static void
cp_peer_reset_run(struct cp_peer *p, uint64_t incarnation, uint64_t seq)
{
	p->incarnation = incarnation;
	p->rx_seq = seq;
	memset(p->win, 0, sizeof(p->win));
	p->acked_seq = 0;
	p->heard_at = CP_NEVER;
	p->proven_at = CP_NEVER;
	memset(p->caps, MSG_CAP_NOT_SYNCED, sizeof(p->caps));
}

static void
cp_peer_init(struct cp_peer *p, const struct msg_node *n, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->node = *n;
	p->dup_at = CP_NEVER;
	p->state = CP_NODE_PROBING;
	p->state_since = now;
	p->last_ping_at = CP_NEVER;
	p->next_ping_at = now;
	cp_peer_reset_run(p, 0, 0);
}

/* Make node N known (or refresh its address). WHY != NULL records a "joined"
 * event for a node that was not known. NULL when N is self or the table is full. */
static struct cp_peer *
cp_peer_learn(struct cp_topo *t, const struct msg_node *n, uint64_t now, const char *why)
{
	struct cp_peer *p, *victim = NULL;
	int i;

	if (n->id == 0 || n->id == t->conf.self_id)
		return NULL;
	p = cp_peer_find(t, n->id);
	if (p != NULL) {
		if (n->addr != 0 && (p->node.addr != n->addr || p->node.port != n->port)) {
			if (p->is_static) {
				cp_count(t, CP_TOPO_C_static_addr);     /* configured: kept */
				return p;
			}
			p->node.addr = n->addr;
			p->node.port = n->port;
		}
		return p;
	}
	if (t->n_peers < CP_TOPO_MAX_PEERS) {
		p = &t->peers[t->n_peers++];
	} else {
		/* full: reuse the slot of the node that left longest ago */
		for (i = 0; i < t->n_peers; i++)
			if (t->peers[i].state == CP_NODE_LEFT && !t->peers[i].is_static &&
			    (victim == NULL || t->peers[i].state_since < victim->state_since))
				victim = &t->peers[i];
		if (victim == NULL) {
			cp_count(t, CP_TOPO_C_peers_full);
			return NULL;
		}
		p = victim;
	}
	cp_peer_init(p, n, now);
	if (why != NULL)
		cp_event(t, now, n->id, CP_EVENT_JOINED, "%s", why);
	return p;
}

/* A message of P's run was accepted now: the inbound direction is proven, and a
 * peer we hear gets heartbeats at the normal rate again, the next one soon. */
static void
cp_peer_heard(struct cp_topo *t, struct cp_peer *p, uint64_t now)
{
	uint64_t soon;

	p->heard_at = now;
	p->rx++;
	if (p->state != CP_NODE_UP) {
		soon = p->last_ping_at == CP_NEVER ? now :
		       p->last_ping_at + t->conf.ping_interval_ms;
		if (soon < p->next_ping_at)
			p->next_ping_at = soon;
	}
}

/* The largest sequence step accepted from a run: CP_TOPO_SEQ_JUMP plus
 * CP_TOPO_SEQ_PER_MS per ms since the run was last heard (a sender's sequence
 * counts every datagram it sends to anyone, so a long silence allows a long
 * jump). A key holder cannot push a run's sequence to the end of the space and
 * so silence it. */
static uint64_t
cp_seq_jump_max(const struct cp_peer *p, uint64_t now)
{
	uint64_t age = cp_age(now, p->heard_at);

	if (p->heard_at == CP_NEVER || age > UINT64_MAX / 2 / CP_TOPO_SEQ_PER_MS)
		return UINT64_MAX;
	return CP_TOPO_SEQ_JUMP + age * CP_TOPO_SEQ_PER_MS;
}

/* A message of an older run of P while its current run is alive: two runs
 * of one node id (a duplicate id, or a replay). Alarm (event, log) at most once
 * per node_timeout_ms. */
static void
cp_peer_duplicate(struct cp_topo *t, struct cp_peer *p, const struct msg_hdr *h, uint64_t now,
		  uint32_t src_addr)
{
	bool fresh = p->dup_at == CP_NEVER ||
		     cp_age(now, p->dup_at) >= t->conf.node_timeout_ms;

	cp_count(t, CP_TOPO_C_duplicate_id);
	p->dup_at = now;
	p->dup_incarnation = h->incarnation;
	p->dup_addr = src_addr;
	if (fresh)
		cp_event(t, now, p->node.id, CP_EVENT_DUPLICATE,
			 "two live runs of node %u: incarnations %" PRIu64 " and %" PRIu64,
			 p->node.id, p->incarnation, h->incarnation);
}

bool
cp_topo_peer_duplicate(const struct cp_topo *t, const struct cp_peer *p, uint64_t now)
{
	return p->dup_at != CP_NEVER && cp_age(now, p->dup_at) < t->conf.node_timeout_ms;
}

/* Check header H against what we know of P's runs. 0 when the message is to be
 * processed (P's incarnation and sequence updated, restart handled), -ESTALE.
 * Incarnations only grow: one below the run we know is never accepted (the
 * sender's clock is monotonic and persisted: cp_topo_new_incarnation()). */
static int
cp_peer_accept(struct cp_topo *t, struct cp_peer *p, const struct msg *m, uint64_t now)
{
	const struct msg_hdr *h = &m->hdr;
	enum cp_node_state was = p->state;
	uint64_t old = p->incarnation;

	if (old == 0) {                         /* first message from this node */
		p->incarnation = h->incarnation;
		p->rx_seq = h->seq;
		return 0;
	}
	if (h->incarnation == old) {
		if (was == CP_NODE_LEFT) {
			cp_count(t, CP_TOPO_C_after_leave);
			p->stale++;
			return -ESTALE;
		}
		if (h->seq <= p->rx_seq) {
			cp_count(t, CP_TOPO_C_stale_seq);
			p->stale++;
			return -ESTALE;
		}
		if (h->seq - p->rx_seq > cp_seq_jump_max(p, now)) {
			cp_count(t, CP_TOPO_C_seq_jump);
			p->stale++;
			return -ESTALE;
		}
		p->rx_seq = h->seq;
		return 0;
	}
	if (h->incarnation < old) {
		if (was == CP_NODE_LEFT)
			cp_count(t, CP_TOPO_C_after_leave);
		else
			cp_count(t, CP_TOPO_C_stale_incarnation);
		if (was != CP_NODE_LEFT && cp_age(now, p->heard_at) < t->conf.node_timeout_ms)
			cp_peer_duplicate(t, p, h, now, m->src_addr);
		p->stale++;
		return -ESTALE;
	}
	/* a new run of this node */
	cp_count(t, CP_TOPO_C_restarts);
	p->restarts++;
	cp_peer_reset_run(p, h->incarnation, h->seq);
	if (was == CP_NODE_UP) {
		cp_event(t, now, p->node.id, CP_EVENT_DOWN,
			 "restarted (incarnation %" PRIu64 "->%" PRIu64 ")", old, h->incarnation);
		cp_peer_set_state(t, p, CP_NODE_DOWN, now);
	} else {
		cp_event(t, now, p->node.id, CP_EVENT_RESTARTED,
			 "incarnation %" PRIu64 "->%" PRIu64, old, h->incarnation);
		cp_peer_set_state(t, p, was == CP_NODE_LEFT ? CP_NODE_PROBING : was, now);
		p->state_since = now;
	}
	return 0;
}

int
cp_topo_accept_flow(struct cp_topo *t, const struct msg *m, enum cp_flow flow, uint64_t now)
{
	const struct msg_hdr *h = &m->hdr;
	struct cp_peer *p = NULL;
	struct cp_seq_window *w;
	uint64_t base, s;
	int i;

	for (i = 0; i < t->n_peers && p == NULL; i++)
		if (t->peers[i].node.id == h->sender)
			p = &t->peers[i];
	if (p == NULL || flow >= CP_FLOW_MAX) {
		cp_count(t, CP_TOPO_C_unknown_sender);
		return -ENOENT;
	}
	if (h->incarnation != p->incarnation || p->incarnation == 0) {
		cp_count(t, p->incarnation != 0 && h->incarnation < p->incarnation ?
			    CP_TOPO_C_stale_incarnation : CP_TOPO_C_early_run);
		p->stale++;
		return -ESTALE;
	}
	w = &p->win[flow];
	if (h->seq > w->top) {
		base = w->top > p->rx_seq ? w->top : p->rx_seq;
		if (h->seq > base && h->seq - base > cp_seq_jump_max(p, now)) {
			cp_count(t, CP_TOPO_C_seq_jump);
			p->stale++;
			return -ESTALE;
		}
		/* forget the sequences that fall out of the window */
		if (h->seq - w->top >= CP_TOPO_WINDOW)
			memset(w->bits, 0, sizeof(w->bits));
		else
			for (s = w->top + 1; s < h->seq; s++)
				w->bits[(s % CP_TOPO_WINDOW) / 64] &= ~(1ull << (s % 64));
		w->top = h->seq;
	} else if (h->seq == 0 || w->top - h->seq >= CP_TOPO_WINDOW) {
		cp_count(t, CP_TOPO_C_replayed);
		p->stale++;
		return -ESTALE;
	} else if (w->bits[(h->seq % CP_TOPO_WINDOW) / 64] & (1ull << (h->seq % 64))) {
		cp_count(t, CP_TOPO_C_replayed);
		p->stale++;
		return -ESTALE;
	}
	w->bits[(h->seq % CP_TOPO_WINDOW) / 64] |= 1ull << (h->seq % 64);
	return 0;
}

/* Apply the link state machine to P and record the transition. */
static void
cp_peer_eval(struct cp_topo *t, struct cp_peer *p, uint64_t now)
{
	char reason[CP_EVENT_REASON];
	enum cp_node_state next;

	next = cp_topo_link_next(p, now, t->conf.node_timeout_ms, reason, sizeof(reason));
	if (next == p->state)
		return;
	if (next == CP_NODE_UP)
		cp_event(t, now, p->node.id, CP_EVENT_UP, "both directions proven");
	else if (next == CP_NODE_DOWN)
		cp_event(t, now, p->node.id, CP_EVENT_DOWN, "%s", reason);
	cp_peer_set_state(t, p, next, now);
}

static void
cp_peer_left(struct cp_topo *t, struct cp_peer *p, uint64_t now, const char *why)
{
	if (p->state == CP_NODE_LEFT)
		return;
	if (why != NULL && why[0] != '\0')
		cp_event(t, now, p->node.id, CP_EVENT_DOWN, "left (%s)", why);
	else
		cp_event(t, now, p->node.id, CP_EVENT_DOWN, "left");
	cp_peer_set_state(t, p, CP_NODE_LEFT, now);
	p->proven_at = CP_NEVER;
}

static void
cp_push(struct cp_topo *t, struct cp_actions *out, uint8_t type, uint16_t dst_id,
	uint32_t addr, uint16_t port, uint16_t subject)
{
	struct cp_action *a;

	if (out->n < 0 || out->n >= CP_TOPO_MAX_ACTIONS) {
		cp_count(t, CP_TOPO_C_actions_full);
		return;
	}
	a = &out->a[out->n++];
	a->type = type;
	a->dst_id = dst_id;
	a->dst_addr = addr;
	a->dst_port = port;
	a->subject = subject;
}

static void
cp_push_peer(struct cp_topo *t, struct cp_actions *out, uint8_t type,
	     const struct cp_peer *p, uint16_t subject)
{
	if (p->node.addr == 0)
		return;                 /* nowhere to send it until it speaks */
	cp_push(t, out, type, p->node.id, p->node.addr, p->node.port, subject);
}

/* The sender's own address from a body, or the UDP source when it gave none. */
static struct msg_node
cp_node_or_src(const struct msg_node *n, const struct msg *m)
{
	struct msg_node r = *n;

	if (r.addr == 0) {
		r.addr = m->src_addr;
		if (m->src_port != 0)
			r.port = m->src_port;
	}
	return r;
}

/* ---- the link state machine (pure) ---- */

enum cp_node_state
cp_topo_link_next(const struct cp_peer *p, uint64_t now, uint32_t node_timeout_ms,
		  char *reason, size_t len)
{
	bool in_ok = cp_age(now, p->heard_at) < node_timeout_ms;
	bool out_ok = cp_age(now, p->proven_at) < node_timeout_ms;

	if (len > 0)
		reason[0] = '\0';
	if (p->state == CP_NODE_LEFT)
		return CP_NODE_LEFT;
	if (in_ok && out_ok)
		return CP_NODE_UP;
	if (p->state == CP_NODE_DOWN)
		return CP_NODE_DOWN;
	if (p->state == CP_NODE_PROBING &&
	    cp_age(now, p->state_since) < node_timeout_ms)
		return CP_NODE_PROBING;
	/* up, or probing for too long */
	if (!in_ok)
		snprintf(reason, len, "timeout %u ms", node_timeout_ms);
	else
		snprintf(reason, len, "not heard by the peer for %u ms", node_timeout_ms);
	return CP_NODE_DOWN;
}

/* ---- public: all called from the cp event loop thread ---- */

int
cp_topo_conf_from_cfg(struct cp_topo_conf *conf, const struct cfg *c, uint64_t incarnation)
{
	int i;

	memset(conf, 0, sizeof(*conf));
	if (!c->cluster.enabled)
		return -EINVAL;
	conf->self_id = c->node_id;
	conf->self_addr = c->dp.n_ports > 0 ? c->dp.ports[0].ipv4 : 0;
	conf->port = c->cluster.port;
	conf->cluster_id = c->cluster.id;
	conf->incarnation = incarnation;
	conf->ping_interval_ms = c->cluster.ping_interval_ms;
	conf->node_timeout_ms = c->cluster.node_timeout_ms;
	for (i = 0; i < c->cluster.n_nodes && i < CP_TOPO_MAX_PEERS; i++) {
		conf->nodes[i].id = c->cluster.nodes[i].id;
		conf->nodes[i].addr = c->cluster.nodes[i].address;
		conf->nodes[i].port = c->cluster.port;
	}
	conf->n_nodes = i;
	for (i = 0; i < c->cluster.n_seeds && i < CP_TOPO_MAX_SEEDS; i++)
		conf->seeds[i] = c->cluster.seeds[i];
	conf->n_seeds = i;
	return 0;
}

int
cp_topo_init(struct cp_topo *t, const struct cp_topo_conf *conf, uint64_t now)
{
	struct cp_peer *p;
	int i;

	memset(t, 0, sizeof(*t));
	if (conf->self_id == 0 || conf->incarnation == 0 || conf->port == 0 ||
	    conf->ping_interval_ms == 0 || conf->node_timeout_ms <= conf->ping_interval_ms ||
	    conf->n_nodes < 0 || conf->n_nodes > CP_TOPO_MAX_PEERS ||
	    conf->n_seeds < 0 || conf->n_seeds > CP_TOPO_MAX_SEEDS)
		return -EINVAL;
	t->conf = *conf;
	t->started_at = now;
	t->adopted = conf->n_seeds == 0;
	t->join_next_at = now;
	for (i = 0; i < conf->n_nodes; i++) {
		if (conf->nodes[i].id == 0 || conf->nodes[i].id == conf->self_id ||
		    cp_peer_find(t, conf->nodes[i].id) != NULL)
			return -EINVAL;
		p = cp_peer_learn(t, &conf->nodes[i], now, NULL);
		if (p == NULL)
			return -EINVAL;
		p->is_static = true;
	}
	return 0;
}

void
cp_topo_set_event_fn(struct cp_topo *t, cp_topo_event_fn *fn, void *arg)
{
	t->on_event = fn;
	t->on_event_arg = arg;
}

void
cp_topo_set_cap(struct cp_topo *t, enum msg_cap cap, enum msg_cap_state state)
{
	if ((unsigned int)cap < MSG_CAP_MAX && (unsigned int)state < MSG_CAP_STATE_MAX)
		t->caps[cap] = (uint8_t)state;
}

int
cp_topo_on_heartbeat(struct cp_topo *t, const struct msg *m, uint64_t now,
		     struct cp_actions *out)
{
	const struct msg_heartbeat *hb = &m->u.hb;
	struct msg_node n = cp_node_or_src(&hb->node, m);
	struct cp_peer *p;
	int i, rc;

	(void)out;
	if (m->hdr.type != MSG_T_HEARTBEAT || m->hdr.cluster_id != t->conf.cluster_id ||
	    hb->node.id != m->hdr.sender)
		return -EINVAL;
	p = cp_peer_find(t, m->hdr.sender);
	if (p == NULL) {
		if (hb->leaving) {
			cp_count(t, CP_TOPO_C_unknown_sender);
			return -ENOENT;
		}
		p = cp_peer_learn(t, &n, now, "heard from it");
		if (p == NULL)
			return n.id == t->conf.self_id ? -EINVAL : -ENOSPC;
	}
	rc = cp_peer_accept(t, p, m, now);
	if (rc < 0)
		return rc;
	cp_count(t, CP_TOPO_C_rx_heartbeat);
	if (hb->leaving) {
		p->rx++;
		cp_peer_left(t, p, now, NULL);
		return 0;
	}
	cp_peer_learn(t, &n, now, NULL);               /* address may have moved */
	memcpy(p->caps, hb->caps, sizeof(p->caps));
	cp_peer_heard(t, p, now);
	for (i = 0; i < hb->n_seen; i++) {
		const struct msg_seen *s = &hb->seen[i];

		if (s->id != t->conf.self_id)
			continue;
		if (s->incarnation == t->conf.incarnation && s->last_seq > p->acked_seq &&
		    s->last_seq <= t->tx_seq) {
			p->acked_seq = s->last_seq;
			p->proven_at = now;
		}
		break;
	}
	cp_peer_eval(t, p, now);
	return 0;
}

int
cp_topo_on_join(struct cp_topo *t, const struct msg *m, uint64_t now, struct cp_actions *out)
{
	struct msg_node n = cp_node_or_src(&m->u.join.node, m);
	struct cp_peer *p;
	int i, rc;

	if (m->hdr.type != MSG_T_JOIN || m->hdr.cluster_id != t->conf.cluster_id)
		return -EINVAL;
	if (t->leaving)
		return -ESTALE;
	p = cp_peer_learn(t, &n, now, "joined through this node");
	if (p == NULL)
		return n.id == t->conf.self_id ? -EINVAL : -ENOSPC;
	rc = cp_peer_accept(t, p, m, now);
	if (rc < 0)
		return rc;
	cp_count(t, CP_TOPO_C_rx_join);
	cp_peer_heard(t, p, now);
	cp_peer_eval(t, p, now);
	cp_push_peer(t, out, MSG_T_ADOPT, p, 0);
	for (i = 0; i < t->n_peers; i++) {
		const struct cp_peer *q = &t->peers[i];

		if (q != p && q->state != CP_NODE_LEFT)
			cp_push_peer(t, out, MSG_T_ANNOUNCE, q, p->node.id);
	}
	return 0;
}

/* Learn every member of an Adopt/Announce; the sender is taken as heard. */
static int
cp_topo_on_members(struct cp_topo *t, const struct msg *m, uint64_t now, const char *why)
{
	struct cp_peer *p, *sender;
	int i, rc;

	sender = cp_peer_find(t, m->hdr.sender);
	for (i = 0; i < m->u.members.n; i++)
		if (m->u.members.nodes[i].id == m->hdr.sender)
			sender = cp_peer_learn(t, &m->u.members.nodes[i], now, NULL);
	if (sender == NULL && m->src_addr != 0 && m->src_port != 0) {
		struct msg_node src = { m->hdr.sender, m->src_addr, m->src_port };

		sender = cp_peer_learn(t, &src, now, NULL);     /* known by its datagram */
	}
	if (sender == NULL) {
		cp_count(t, CP_TOPO_C_unknown_sender);
		return -ENOENT;
	}
	rc = cp_peer_accept(t, sender, m, now);
	if (rc < 0)
		return rc;
	cp_peer_heard(t, sender, now);
	for (i = 0; i < m->u.members.n; i++) {
		if (m->u.members.nodes[i].id == m->hdr.sender)
			continue;
		p = cp_peer_learn(t, &m->u.members.nodes[i], now, why);
		if (p != NULL && p->state != CP_NODE_UP && p->last_ping_at == CP_NEVER)
			p->next_ping_at = now;
	}
	cp_peer_eval(t, sender, now);
	return 0;
}

int
cp_topo_on_adopt(struct cp_topo *t, const struct msg *m, uint64_t now, struct cp_actions *out)
{
	int rc;

	(void)out;
	if (m->hdr.type != MSG_T_ADOPT || m->hdr.cluster_id != t->conf.cluster_id)
		return -EINVAL;
	rc = cp_topo_on_members(t, m, now, NULL);
	if (rc < 0)
		return rc;
	cp_count(t, CP_TOPO_C_rx_adopt);
	if (!t->adopted) {
		t->adopted = true;
		cp_event(t, now, t->conf.self_id, CP_EVENT_ADOPTED,
			 "adopted by node %u (%u members)", m->hdr.sender, m->u.members.n);
	}
	return 0;
}

int
cp_topo_on_announce(struct cp_topo *t, const struct msg *m, uint64_t now,
		    struct cp_actions *out)
{
	char why[CP_EVENT_REASON];
	int rc;

	(void)out;
	if (m->hdr.type != MSG_T_ANNOUNCE || m->hdr.cluster_id != t->conf.cluster_id)
		return -EINVAL;
	snprintf(why, sizeof(why), "announced by node %u", m->hdr.sender);
	rc = cp_topo_on_members(t, m, now, why);
	if (rc < 0)
		return rc;
	cp_count(t, CP_TOPO_C_rx_announce);
	return 0;
}

int
cp_topo_on_leave(struct cp_topo *t, const struct msg *m, uint64_t now, struct cp_actions *out)
{
	struct cp_peer *p;
	int rc;

	(void)out;
	if (m->hdr.type != MSG_T_LEAVE || m->hdr.cluster_id != t->conf.cluster_id)
		return -EINVAL;
	p = cp_peer_find(t, m->hdr.sender);
	if (p == NULL) {
		cp_count(t, CP_TOPO_C_unknown_sender);
		return -ENOENT;
	}
	rc = cp_peer_accept(t, p, m, now);
	if (rc < 0)
		return rc;
	cp_count(t, CP_TOPO_C_rx_leave);
	p->rx++;
	cp_peer_left(t, p, now, m->u.leave.reason);
	return 0;
}

int
cp_topo_on_msg(struct cp_topo *t, const struct msg *m, uint64_t now, struct cp_actions *out)
{
	switch (m->hdr.type) {
	case MSG_T_HEARTBEAT:
		return cp_topo_on_heartbeat(t, m, now, out);
	case MSG_T_JOIN:
		return cp_topo_on_join(t, m, now, out);
	case MSG_T_ADOPT:
		return cp_topo_on_adopt(t, m, now, out);
	case MSG_T_ANNOUNCE:
		return cp_topo_on_announce(t, m, now, out);
	case MSG_T_LEAVE:
		return cp_topo_on_leave(t, m, now, out);
	default:
		return -EINVAL;
	}
}

void
cp_topo_cron(struct cp_topo *t, uint64_t now, struct cp_actions *out)
{
	uint64_t iv = t->conf.ping_interval_ms, period;
	int i;

	for (i = 0; i < t->n_peers; i++) {
		struct cp_peer *p = &t->peers[i];

		cp_peer_eval(t, p, now);
		if (p->state == CP_NODE_LEFT || p->node.addr == 0 || now < p->next_ping_at)
			continue;
		period = iv;
		if (p->state == CP_NODE_DOWN && cp_age(now, p->heard_at) >= t->conf.node_timeout_ms)
			period = iv * CP_TOPO_PROBE_FACTOR;
		cp_push_peer(t, out, MSG_T_HEARTBEAT, p, 0);
		p->last_ping_at = now;
		p->next_ping_at = now + period;
	}
	if (!t->adopted && !t->leaving && now >= t->join_next_at) {
		for (i = 0; i < t->conf.n_seeds; i++)
			if (t->conf.seeds[i] != 0 && t->conf.seeds[i] != t->conf.self_addr)
				cp_push(t, out, MSG_T_JOIN, 0, t->conf.seeds[i], t->conf.port, 0);
		t->join_next_at = now + iv;
	}
}

void
cp_topo_leave(struct cp_topo *t, uint64_t now, const char *reason, struct cp_actions *out)
{
	int i;

	(void)now;
	t->leaving = true;
	for (i = 0; i < t->n_peers; i++)
		if (t->peers[i].state != CP_NODE_LEFT)
			cp_push_peer(t, out, MSG_T_LEAVE, &t->peers[i], 0);
	if (reason != NULL)
		snprintf(t->leave_reason, sizeof(t->leave_reason), "%s", reason);
}

int
cp_topo_msg(struct cp_topo *t, const struct cp_action *a, uint64_t now, struct msg *out)
{
	struct msg_heartbeat *hb;
	struct msg_members *mb;
	struct cp_peer *p, *dst = cp_peer_find(t, a->dst_id);
	int i;

	memset(&out->hdr, 0, sizeof(out->hdr));
	out->src_addr = 0;
	out->src_port = 0;
	switch (a->type) {
	case MSG_T_HEARTBEAT:
		hb = &out->u.hb;
		memset(hb, 0, offsetof(struct msg_heartbeat, seen));
		hb->node.id = t->conf.self_id;
		hb->node.addr = t->conf.self_addr;
		hb->node.port = t->conf.port;
		hb->incarnation = t->conf.incarnation;
		hb->cluster_id = t->conf.cluster_id;
		hb->leaving = t->leaving;
		memcpy(hb->caps, t->caps, sizeof(hb->caps));
		for (i = 0; i < t->n_peers; i++) {
			p = &t->peers[i];
			if (p->state == CP_NODE_LEFT || p->incarnation == 0 ||
			    cp_age(now, p->heard_at) >= t->conf.node_timeout_ms)
				continue;
			hb->seen[hb->n_seen].id = p->node.id;
			hb->seen[hb->n_seen].incarnation = p->incarnation;
			hb->seen[hb->n_seen].last_seq = p->rx_seq;
			hb->n_seen++;
		}
		cp_count(t, CP_TOPO_C_tx_heartbeat);
		break;
	case MSG_T_JOIN:
		out->u.join.node.id = t->conf.self_id;
		out->u.join.node.addr = t->conf.self_addr;
		out->u.join.node.port = t->conf.port;
		cp_count(t, CP_TOPO_C_tx_join);
		break;
	case MSG_T_ADOPT:
		mb = &out->u.members;
		mb->n = 0;
		mb->nodes[mb->n].id = t->conf.self_id;
		mb->nodes[mb->n].addr = t->conf.self_addr;
		mb->nodes[mb->n].port = t->conf.port;
		mb->n++;
		for (i = 0; i < t->n_peers && mb->n < MSG_MAX_NODES; i++) {
			p = &t->peers[i];
			if (p->node.id != a->dst_id && p->state != CP_NODE_LEFT && p->node.addr != 0)
				mb->nodes[mb->n++] = p->node;
		}
		cp_count(t, CP_TOPO_C_tx_adopt);
		break;
	case MSG_T_ANNOUNCE:
		mb = &out->u.members;
		mb->n = 0;
		p = cp_peer_find(t, a->subject);
		if (p == NULL)
			return -EINVAL;
		mb->nodes[mb->n++] = p->node;
		cp_count(t, CP_TOPO_C_tx_announce);
		break;
	case MSG_T_LEAVE:
		snprintf(out->u.leave.reason, sizeof(out->u.leave.reason), "%s", t->leave_reason);
		cp_count(t, CP_TOPO_C_tx_leave);
		break;
	default:
		return -EINVAL;
	}
	out->hdr.type = a->type;
	out->hdr.cluster_id = t->conf.cluster_id;
	out->hdr.sender = t->conf.self_id;
	out->hdr.incarnation = t->conf.incarnation;
	out->hdr.seq = ++t->tx_seq;
	out->hdr.to = a->dst_id;
	if (dst != NULL)
		dst->tx++;
	return 0;
}

uint64_t
cp_topo_seq_next(struct cp_topo *t)
{
	return ++t->tx_seq;
}

const struct cp_peer *
cp_topo_peer(const struct cp_topo *t, uint16_t id)
{
	int i;

	for (i = 0; i < t->n_peers; i++)
		if (t->peers[i].node.id == id)
			return &t->peers[i];
	return NULL;
}

unsigned int
cp_topo_history_count(const struct cp_topo *t)
{
	return t->n_events < CP_TOPO_HISTORY ? (unsigned int)t->n_events : CP_TOPO_HISTORY;
}

const struct cp_event *
cp_topo_history_get(const struct cp_topo *t, unsigned int i)
{
	unsigned int n = cp_topo_history_count(t);

	if (i >= n)
		return NULL;
	return &t->history[(t->n_events - n + i) % CP_TOPO_HISTORY];
}

int
cp_topo_count(const struct cp_topo *t, enum cp_node_state state)
{
	int i, n = 0;

	for (i = 0; i < t->n_peers; i++)
		n += t->peers[i].state == state;
	return n;
}

const char *
cp_node_state_name(unsigned int state)
{
	return state < CP_NODE_STATE_MAX ? cp_node_state_names[state] : "?";
}

const char *
cp_event_kind_name(unsigned int kind)
{
	return kind < CP_EVENT_MAX ? cp_event_names[kind] : "?";
}

const char *
cp_topo_counter_name(unsigned int counter)
{
	return counter < CP_TOPO_COUNTER_MAX ? cp_topo_counter_names[counter] : "?";
}

/* ---- process helper (not pure) ---- */

uint64_t
cp_topo_new_incarnation(void)
{
	struct timespec ts;
	uint64_t us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	return us != 0 ? us : 1;
}

int
cp_topo_incarnation_next(const char *path, uint64_t wall_us, uint64_t *out, char *err,
			 size_t errlen)
{
	char buf[32], tmp[CFG_PATH + 8], *end;
	unsigned long long stored = 0;
	uint64_t inc = wall_us != 0 ? wall_us : 1;
	ssize_t n;
	int fd, rc;

	if (path == NULL || path[0] == '\0') {
		*out = inc;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		rc = n < 0 ? -errno : 0;
		close(fd);
		if (rc != 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
			return rc;
		}
		buf[n] = '\0';
		errno = 0;
		stored = strtoull(buf, &end, 10);
		if (end == buf || (*end != '\0' && *end != '\n') || errno != 0 ||
		    stored == UINT64_MAX) {
			snprintf(err, errlen, "%s: not an incarnation number", path);
			return -EINVAL;
		}
		if (stored >= inc)
			inc = stored + 1;
	} else if (errno != ENOENT) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", inc);
	errno = 0;
	rc = write(fd, buf, (size_t)n) == n && fsync(fd) == 0 ? 0 : (errno != 0 ? -errno : -EIO);
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	*out = inc;
	return 0;
}
