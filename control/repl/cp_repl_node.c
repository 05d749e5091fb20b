/* SPDX-License-Identifier: BSD-3-Clause */
/* This node's registration replication: shards <-> streams <-> peers. See cp_repl_node.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "config/cfg.h"
#include "control/repl/cp_repl.h"
#include "control/repl/cp_repl_node.h"
#include "control/repl/cp_repl_snap.h"
#include "control/topo/cp_topo.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_shard.h"

#define CP_RN_COUNT(n, c) ((n)->counters[CP_REPL_NODE_C_##c]++)

static const char *const cp_repl_node_names[CP_REPL_NODE_COUNTER_MAX] = {
#define CP_REPL_NODE_C_NAME(name, help) [CP_REPL_NODE_C_##name] = #name,
	CP_REPL_NODE_FOREACH_COUNTER(CP_REPL_NODE_C_NAME)
#undef CP_REPL_NODE_C_NAME
};

/* Records in flight that put a round off by a quarter of the interval: more
 * than CP_RN_AE_BUSY unacked on the stream to the peer, or received in the last
 * quarter of an interval. At most CP_RN_AE_POSTPONE times in a row when this
 * node lost change events since its last round (events_lost), else at most
 * CP_RN_AE_POSTPONE_CLEAN times: in flight, nothing was lost, and the stream
 * is reliable; a difference that stays is repaired all the same, later. */
#define CP_RN_AE_BUSY         1024u
#define CP_RN_AE_POSTPONE     4u
#define CP_RN_AE_POSTPONE_CLEAN 60u
#define CP_RN_AE_NOW          UINT8_MAX   /* postponed: the next round does not wait */

/* ---- records: shard <-> wire ---- */

/* Counted text into a NUL-terminated field of CAP bytes: false when it does not fit. */
static bool
cp_rn_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static void
cp_rn_addr(struct msg_addr *a, uint8_t family, const uint8_t *addr, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->port = port;
	memcpy(a->addr, addr, family == 4 ? 4 : 16);
}

/* The wire record of a shard record. The socket of a binding received here is
 * our port's address and SIP port (the shard knows only the port index). */
static int
cp_rn_to_wire(struct cp_repl_node *n, const struct reg_rec *r, struct msg_rec *w)
{
	memset(w, 0, sizeof(*w));
	w->version = r->version;
	w->flags = r->tombstone ? MSG_REC_F_TOMBSTONE : 0;
	if (r->dir) {           /* federation: AoR, version, home, lifetime */
		w->flags |= MSG_REC_F_DIR;
		if (!cp_rn_str(w->aor, sizeof(w->aor), r->aor, r->aor_len))
			return -E2BIG;
		if (!r->tombstone) {
			w->sock_node = r->sock_node;
			w->expires_s = r->expires_s;
		}
		return 0;
	}
	if (!cp_rn_str(w->aor, sizeof(w->aor), r->aor, r->aor_len) ||
	    !cp_rn_str(w->key, sizeof(w->key), r->key, r->key_len))
		return -E2BIG;
	if (r->tombstone)
		return 0;
	w->cseq = r->cseq;
	w->expires_s = r->expires_s;
	w->q = r->q;
	w->reg_id = r->reg_id;
	w->call_id_hash = r->callid;
	w->sock_node = r->sock_node;
	w->sock_port_index = r->local_port;
	cp_rn_addr(&w->received, r->family, r->addr, r->port);
	if (r->sock_family != 0) {
		cp_rn_addr(&w->sock, r->sock_family, r->sock_addr, r->sock_port);
	} else if (r->local_port < n->sh->n_ports) {
		rte_be32_t a = n->sh->ports[r->local_port].ipv4;

		cp_rn_addr(&w->sock, 4, (const uint8_t *)&a, n->sip_port);
	}
	if (!cp_rn_str(w->uri, sizeof(w->uri), r->uri, r->uri_len) ||
	    !cp_rn_str(w->instance, sizeof(w->instance), r->instance, r->instance_len) ||
	    !cp_rn_str(w->path, sizeof(w->path), r->path, r->path_len) ||
	    !cp_rn_str(w->tag, sizeof(w->tag), r->tag, r->tag_len))
		return -E2BIG;
	return 0;
}

/* Text field of a wire record into a counted field of the shard record. */
static bool
cp_rn_text(char *dst, size_t cap, uint16_t *len, const char *src, size_t src_cap)
{
	size_t l = strnlen(src, src_cap);   /* bounded by the source array, not cap + 1 */

	if (l > cap)
		return false;
	memcpy(dst, src, l);
	*len = (uint16_t)l;
	return true;
}

static int
cp_rn_from_wire(const struct msg_rec *w, struct reg_rec *r)
{
	memset(r, 0, offsetof(struct reg_rec, aor));
	r->version = w->version;
	r->tombstone = (w->flags & MSG_REC_F_TOMBSTONE) != 0;
	if (w->flags & MSG_REC_F_DIR) {
		r->dir = 1;
		r->sock_node = w->sock_node;
		r->expires_s = w->expires_s;
		return cp_rn_text(r->aor, sizeof(r->aor), &r->aor_len, w->aor, sizeof(w->aor)) ? 0 : -EINVAL;
	}
	if (!cp_rn_text(r->aor, sizeof(r->aor), &r->aor_len, w->aor, sizeof(w->aor)) ||
	    !cp_rn_text(r->key, sizeof(r->key), &r->key_len, w->key, sizeof(w->key)))
		return -EINVAL;
	if (r->tombstone)
		return 0;
	r->family = w->received.family;
	r->port = w->received.port;
	memcpy(r->addr, w->received.addr, sizeof(r->addr));
	r->sock_family = w->sock.family;
	r->sock_port = w->sock.port;
	memcpy(r->sock_addr, w->sock.addr, sizeof(r->sock_addr));
	r->sock_node = w->sock_node;
	r->local_port = w->sock_port_index;
	r->q = w->q;
	r->cseq = w->cseq;
	r->expires_s = w->expires_s;
	r->reg_id = w->reg_id;
	r->callid = w->call_id_hash;
	if (!cp_rn_text(r->uri, sizeof(r->uri), &r->uri_len, w->uri, sizeof(w->uri)) ||
	    !cp_rn_text(r->instance, sizeof(r->instance), &r->instance_len, w->instance, sizeof(w->instance)) ||
	    !cp_rn_text(r->path, sizeof(r->path), &r->path_len, w->path, sizeof(w->path)) ||
	    !cp_rn_text(r->tag, sizeof(r->tag), &r->tag_len, w->tag, sizeof(w->tag)))
		return -EINVAL;
	return 0;
}

/* After a SyncDone: synced once every shard has applied what the cp handed it
 * (acked chunks and records may still wait on the apply rings: a node that
 * says synced must know every user the donor had). */
static void
cp_rn_drained(struct cp_repl_node *n, uint64_t now)
{
	struct cp_repl_rx_sync *rs = &n->rxs;
	unsigned int s;

	if (!rs->draining)
		return;
	cp_repl_node_rx_flush(n);
	for (s = 0; s < n->n_shards; s++)
		if (rte_ring_count(n->apply[s]) != 0 || rte_ring_count(n->apply_pack[s]) != 0)
			return;
	rs->draining = false;
	if (rs->state == MSG_CAP_SYNCED)
		return;
	rs->state = MSG_CAP_SYNCED;
	rs->bytes = n->counters[CP_REPL_NODE_C_rx_bytes] - rs->bytes_at_start;
	rs->done_ms = now;
}

/* ---- peers ---- */

static int
cp_rn_peer_idx(const struct cp_repl_node *n, uint16_t id)
{
	int i;

	for (i = 0; i < n->n_peers; i++)
		if (n->peer_id[i] == id)
			return i;
	return -1;
}

static void
cp_rn_peer_drop(struct cp_repl_node *n, int i)
{
	cp_repl_peer_free(n->peer[i]);
	n->n_peers--;
	n->peer[i] = n->peer[n->n_peers];
	n->peer_id[i] = n->peer_id[n->n_peers];
	n->peer_synced[i] = n->peer_synced[n->n_peers];
	n->was_up[i] = n->was_up[n->n_peers];
	n->sync[i] = n->sync[n->n_peers];
	n->repair[i] = n->repair[n->n_peers];
	n->done_rx[i] = n->done_rx[n->n_peers];
	n->done_rx[n->n_peers] = 0;
	cp_bulk_tx_free(&n->btx[i]);
	n->btx[i] = n->btx[n->n_peers];
	n->brx[i] = n->brx[n->n_peers];
	memset(&n->btx[n->n_peers], 0, sizeof(n->btx[0]));
}

static uint64_t *
cp_rn_bulk_counters(struct cp_repl_node *n)
{
	return &n->counters[CP_REPL_NODE_C_sync_chunks_sent];
}

static void
cp_rn_sync_start(struct cp_repl_node *n, int i, uint64_t incarnation, uint64_t now)
{
	memset(&n->sync[i], 0, sizeof(n->sync[i]));
	n->sync[i].active = true;
	n->sync[i].incarnation = incarnation;
	n->sync[i].started_ms = now;
	CP_RN_COUNT(n, syncs_started);
	if (!n->rconf.federation) {     /* packs on the sync channel (a new epoch) */
		if (n->btx[i].mem == NULL &&
		    cp_bulk_tx_init(&n->btx[i], n->chunk_cap, cp_rn_bulk_counters(n)) != 0)
			return;         /* no memory: cp_rn_sync_pass() tries again */
		cp_bulk_tx_begin(&n->btx[i]);
	}
}

/* The record of event EV into n->rrec: 0, or -1 (counted rec_bad when the
 * event does not convert). */
static int
cp_rn_event_rec(struct cp_repl_node *n, const struct reg_event *ev)
{
	if (reg_event_to_rec(ev, &n->rrec) != 0) {
		CP_RN_COUNT(n, rec_bad);
		return -1;
	}
	if (n->rconf.federation) {
		/* only the AoR's directory entry travels: this node is its home while
		 * the AoR has a binding here. A binding's tombstone in a sync copy says
		 * nothing of the AoR: not sent. */
		if (ev->type == REG_EV_SYNC && ev->tombstone)
			return -1;
		n->rrec.dir = 1;
		n->rrec.tombstone = ev->aor_expires == 0;
		n->rrec.expires_s = ev->aor_expires;
		n->rrec.sock_node = n->rconf.node_id;
	}
	return 0;
}

/* The protobuf record of event EV into n->rec (a snapshot's): 0, or -1 counted
 * (rec_bad, or rec_too_big when it exceeds the wire's bounds). */
static int
cp_rn_event_wire(struct cp_repl_node *n, const struct reg_event *ev)
{
	if (cp_rn_event_rec(n, ev) != 0)
		return -1;
	if (cp_rn_to_wire(n, &n->rrec, &n->rec) != 0) {
		CP_RN_COUNT(n, rec_too_big);
		return -1;
	}
	return 0;
}

/* The packed record of event EV (the streams') into n->out, n->out_len: the
 * shard's own bytes, or in federation mode its directory entry (n->pk). 0, or
 * -1 counted. */
static int
cp_rn_event_pack(struct cp_repl_node *n, const struct reg_event *ev)
{
	if (!n->rconf.federation) {
		if (ev->pk_len == 0) {
			CP_RN_COUNT(n, rec_bad);
			return -1;
		}
		n->out = ev->pk;
		n->out_len = ev->pk_len;
		return 0;
	}
	if (cp_rn_event_rec(n, ev) != 0)
		return -1;
	n->out = n->pk;
	n->out_len = (uint16_t)reg_pack_rec(&n->rrec, n->pk, sizeof(n->pk));
	if (n->out_len == 0) {
		CP_RN_COUNT(n, rec_bad);
		return -1;
	}
	return 0;
}

/* Append n->out to peer K's stream: true, or false with the reason counted. */
static bool
cp_rn_append(struct cp_repl_node *n, int k, uint64_t now)
{
	int rc = cp_repl_tx_append(n->peer[k], n->out, n->out_len, now);

	if (rc == 0)
		return true;
	if (rc == -ENOBUFS)
		CP_RN_COUNT(n, peer_behind);
	else if (rc == -E2BIG)
		CP_RN_COUNT(n, rec_too_big);
	else
		CP_RN_COUNT(n, rec_bad);
	return false;
}

/* A change made here: to every stream. */
static void
cp_rn_fanout(struct cp_repl_node *n, uint64_t now)
{
	int i;

	for (i = 0; i < n->n_peers; i++)
		if (cp_rn_append(n, i, now))
			CP_RN_COUNT(n, records_queued);
}

/* A full-sync copy: to its peer's stream only. */
static void
cp_rn_sync_copy(struct cp_repl_node *n, const struct reg_event *ev, uint64_t now)
{
	int k;

	if (n->snap != NULL && ev->sync_peer == n->conf.self_id) {   /* a snapshot's */
		cp_repl_snap_record(n->snap, cp_rn_event_wire(n, ev) == 0 ? &n->rec : NULL);
		return;
	}
	k = cp_rn_peer_idx(n, ev->sync_peer);

	if (k >= 0 && n->sync[k].pending > 0)
		n->sync[k].pending--;
	if (k < 0 || cp_rn_event_pack(n, ev) != 0)
		return;
	if (!cp_rn_append(n, k, now))
		return;
	if (n->sync[k].active) {
		CP_RN_COUNT(n, sync_records);
		n->sync[k].records++;
	} else {
		CP_RN_COUNT(n, repair_records);   /* a bucket repair (anti-entropy) */
	}
}

/* ---- public ---- */

int
cp_repl_node_init(struct cp_repl_node *n, const struct cfg *cfg, struct dp_shared *sh,
		  uint64_t incarnation, uint16_t mtu)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int i;

	memset(n, 0, offsetof(struct cp_repl_node, msg));
	cp_repl_conf_default(&n->conf, cfg->node_id, cfg->cluster.id, incarnation);
	/* One datagram within the port's MTU: IPv4 + UDP + our header and HMAC. */
	if (mtu > 28 + MSG_HDR_LEN + MSG_HMAC_LEN + MSG_REPL_BODY_MIN)
		n->conf.max_body = RTE_MIN((uint32_t)(mtu - 28 - MSG_HDR_LEN - MSG_HMAC_LEN),
					   (uint32_t)MSG_MAX_BODY);
	else
		n->conf.max_body = MSG_REPL_BODY_MIN;
	n->sh = sh;
	n->n_shards = sh->n_workers;
	n->alone_ms = 2 * cfg->cluster.node_timeout_ms;
	n->ping_ms = cfg->cluster.ping_interval_ms;
	n->ae_interval_ms = cfg->cluster.digest_interval_ms;
	n->digest_ms = CP_REPL_NEVER;
	n->rxs.state = MSG_CAP_NOT_SYNCED;
	n->rxs.alone_since_ms = CP_REPL_NEVER;
	n->sip_port = cfg->sip.port;
	reg_conf_from_cfg(&n->rconf, cfg, NULL);
	n->rconf.hash_seed = sh->reg_hash_seed;
	/* SyncChunk framing around the records: epoch, seq, age, count, bytes tag
	 * and length (at most 6 + 11 + 6 + 6 + 4) */
	n->chunk_cap = RTE_MIN(n->conf.max_body - 40, (uint32_t)MSG_PACK_MAX);
	n->chunk_cap = RTE_MIN(n->chunk_cap, (uint32_t)REG_PACK_BUF);
	n->rec_pool = rte_mempool_lookup(DP_REC_POOL);
	n->pack_pool = rte_mempool_lookup(DP_PACK_POOL);
	if (n->rec_pool == NULL || n->pack_pool == NULL)
		return -ENOENT;
	for (i = 0; i < CP_TOPO_MAX_PEERS; i++)
		cp_bulk_rx_init(&n->brx[i], cp_rn_bulk_counters(n));
	for (i = 0; i < n->n_shards; i++) {
		snprintf(name, sizeof(name), DP_RING_EVENTS, i);
		n->ev[i] = rte_ring_lookup(name);
		snprintf(name, sizeof(name), DP_RING_APPLY, i);
		n->apply[i] = rte_ring_lookup(name);
		snprintf(name, sizeof(name), DP_RING_APPLY_PACK, i);
		n->apply_pack[i] = rte_ring_lookup(name);
		if (n->ev[i] == NULL || n->apply[i] == NULL || n->apply_pack[i] == NULL)
			return -ENOENT;
	}
	return 0;
}

void
cp_repl_node_fini(struct cp_repl_node *n)
{
	unsigned int s;

	for (s = 0; s < n->n_shards; s++) {
		if (n->open[s] != NULL) {
			rte_mempool_put(n->pack_pool, n->open[s]);
			n->open[s] = NULL;
		}
		if (n->spare[s] != NULL) {
			rte_mempool_put(n->pack_pool, n->spare[s]);
			n->spare[s] = NULL;
		}
	}
	if (n->rec_spare != NULL) {
		rte_mempool_put(n->rec_pool, n->rec_spare);
		n->rec_spare = NULL;
	}
	while (n->n_peers > 0)
		cp_rn_peer_drop(n, n->n_peers - 1);
}

/* This node's own state follows who is known (see struct cp_repl_rx_sync). */
static void
cp_rn_rx_state(struct cp_repl_node *n, uint64_t now)
{
	struct cp_repl_rx_sync *rs = &n->rxs;

	if (n->n_peers > 0) {
		rs->alone_since_ms = CP_REPL_NEVER;
		if (rs->state == MSG_CAP_NOT_SYNCED) {
			rs->state = MSG_CAP_SYNCING;
			rs->started_ms = now;
			rs->bytes_at_start = n->counters[CP_REPL_NODE_C_rx_bytes];
		}
		return;
	}
	if (rs->alone_since_ms == CP_REPL_NEVER)
		rs->alone_since_ms = now;
	if (rs->state != MSG_CAP_SYNCED && now - rs->alone_since_ms >= n->alone_ms) {
		rs->state = MSG_CAP_SYNCED;     /* nobody to get anything from */
		rs->donor = 0;
		rs->records = 0;
		rs->bytes = 0;
		rs->done_ms = now;
	}
}

/* Federation: synced once every peer that is up has sent SyncDone for its
 * current run (its users are all here); a peer that is down is not waited for
 * (its users answer federation.home_down anyway). */
static void
cp_rn_fed_synced(struct cp_repl_node *n, const struct cp_topo *t, uint64_t now)
{
	int i, k, done = 0;

	for (i = 0; i < t->n_peers; i++) {
		const struct cp_peer *p = &t->peers[i];

		if (p->state != CP_NODE_UP)
			continue;
		k = cp_rn_peer_idx(n, p->node.id);
		if (k < 0 || n->done_rx[k] != p->incarnation)
			return;
		done++;
	}
	if (done == 0)
		return;
	n->rxs.state = MSG_CAP_SYNCED;
	n->rxs.bytes = n->counters[CP_REPL_NODE_C_rx_bytes] - n->rxs.bytes_at_start;
	n->rxs.done_ms = now;
}

void
cp_repl_node_peers(struct cp_repl_node *n, const struct cp_topo *t, uint64_t now)
{
	int i, k;

	for (i = 0; i < n->n_peers; i++) {   /* gone or left: its stream goes */
		const struct cp_peer *p = cp_topo_peer(t, n->peer_id[i]);

		if (p == NULL || p->state == CP_NODE_LEFT)
			cp_rn_peer_drop(n, i--);
	}
	for (i = 0; i < t->n_peers; i++) {
		const struct cp_peer *p = &t->peers[i];

		if (p->state == CP_NODE_LEFT || p->incarnation == 0)
			continue;
		k = cp_rn_peer_idx(n, p->node.id);
		if (k < 0) {
			if (n->n_peers == CP_TOPO_MAX_PEERS)
				continue;
			n->peer[n->n_peers] = cp_repl_peer_create(&n->conf, p->node.id);
			if (n->peer[n->n_peers] == NULL)
				continue;
			k = n->n_peers;
			n->done_rx[k] = 0;
			cp_bulk_rx_init(&n->brx[k], cp_rn_bulk_counters(n));
			n->peer_id[n->n_peers++] = p->node.id;
			cp_repl_peer_restart(n->peer[k], p->incarnation);
			cp_rn_sync_start(n, k, p->incarnation, now);   /* what it missed so far */
			continue;
		}
		/* A new run of the peer starts empty (its stream may have noticed first,
		 * from a Repl of the new run: the sync follows the topology's view). */
		if (n->sync[k].incarnation != p->incarnation) {
			cp_repl_peer_restart(n->peer[k], p->incarnation);
			cp_rn_sync_start(n, k, p->incarnation, now);
		} else if (cp_repl_tx_behind(n->peer[k]) && p->state == CP_NODE_UP) {
			/* lost the stream: a full sync once it can be delivered. One
			 * under way goes on where it is (started again, it would never
			 * end while the changes outrun the peer): the changes it had
			 * passed and the stream dropped come back by anti-entropy. */
			cp_repl_tx_reset(n->peer[k]);
			if (n->sync[k].active)
				CP_RN_COUNT(n, syncs_kept);
			else
				cp_rn_sync_start(n, k, p->incarnation, now);
		}
	}
	cp_rn_rx_state(n, now);
	if (n->rconf.federation && n->rxs.state == MSG_CAP_SYNCING)
		cp_rn_fed_synced(n, t, now);
	for (i = 0; i < t->n_peers; i++) {
		const struct cp_peer *p = &t->peers[i];
		struct cp_repl_repair *rp;
		bool eligible;

		k = cp_rn_peer_idx(n, p->node.id);
		if (k < 0)
			continue;
		n->peer_synced[k] = p->caps[MSG_CAP_REGISTRATIONS] == MSG_CAP_SYNCED;
		rp = &n->repair[k];
		eligible = p->state == CP_NODE_UP && n->rxs.state == MSG_CAP_SYNCED &&
			   p->caps[MSG_CAP_REGISTRATIONS] == MSG_CAP_SYNCED &&
			   !n->sync[k].active;
		if (eligible && !rp->eligible) {
			/* compare now; when the link came up, whatever is in flight (the
			 * end of a full sync is not a reason: the sync was the repair,
			 * and the stream carried the changes made meanwhile) */
			rp->next_round_ms = now;
			rp->postponed = n->was_up[k] ? 0 : CP_RN_AE_NOW;
		}
		rp->eligible = eligible;
		if (p->state == CP_NODE_UP && !n->was_up[k]) {
			/* back from down: what waits unacked goes now, not when the
			 * timeout, doubled all the while it was away, next expires */
			cp_repl_tx_kick(n->peer[k], now);
			cp_bulk_tx_kick(&n->btx[k], now);
		}
		n->was_up[k] = p->state == CP_NODE_UP;
	}
}

/* Events wait on some shard's ring. */
static bool
cp_rn_ev_queued(const struct cp_repl_node *n)
{
	unsigned int s;

	for (s = 0; s < n->n_shards; s++)
		if (rte_ring_count(n->ev[s]) != 0)
			return true;
	return false;
}

/* Peer K's full-sync channel takes LEN bytes of packed records (COUNT of them,
 * a shard's answer), cut at record boundaries into chunks of n->chunk_cap. */
static void
cp_rn_sync_chunks(struct cp_repl_node *n, int k, const uint8_t *data, size_t len,
		  uint32_t count, uint64_t now)
{
	struct cp_repl_sync *sy = &n->sync[k];
	size_t start = 0, at = 0, rec;
	uint32_t in = 0, seen = 0;
	const char *aor;
	uint16_t aor_len;

	while (at < len) {
		rec = reg_pack_peek(data + at, len - at, &aor, &aor_len);
		if (rec == 0) {                 /* cannot be: the shard wrote it */
			CP_RN_COUNT(n, rec_bad);
			break;
		}
		if ((at + rec - start > n->chunk_cap || in == MSG_PACK_MAX_RECS) && in > 0) {
			if (cp_bulk_tx_add(&n->btx[k], data + start, (uint32_t)(at - start), in,
					   now) != 0)
				CP_RN_COUNT(n, sync_window_full);
			start = at;
			in = 0;
		}
		seen++;
		if (rec > n->chunk_cap) {       /* alone over a datagram: not sent */
			CP_RN_COUNT(n, rec_too_big);
			at += rec;
			start = at;
			continue;
		}
		at += rec;
		in++;
		sy->records++;
		CP_RN_COUNT(n, sync_records);
	}
	if (in > 0 && cp_bulk_tx_add(&n->btx[k], data + start, (uint32_t)(at - start), in, now) != 0)
		CP_RN_COUNT(n, sync_window_full);
	if (seen != count)
		CP_RN_COUNT(n, rec_bad);
}

/* The answer of shard S's dump in flight, if it came: into the cursor of the
 * sync it was for (when that sync still waits for it: a sync restarted
 * meanwhile starts from its own cursor, and the copies of the old dump are
 * merely sent twice). 1 when the slot is free again. */
static int
cp_rn_sync_collect(struct cp_repl_node *n, unsigned int s, uint64_t now)
{
	struct dp_sync_dump d;
	const char *out;
	int k, rc;

	if (!n->sync_ask[s].busy)
		return 1;
	rc = dp_shared_answer(n->sh, DP_ASK_SYNC, s, &out);
	if (rc == -EINPROGRESS)
		return 0;
	n->sync_ask[s].busy = false;
	k = cp_rn_peer_idx(n, n->sync_ask[s].peer);
	if (k < 0 || !n->sync[k].asked || n->sync[k].shard != s)
		return 1;
	n->sync[k].asked = false;
	if (rc < (int)sizeof(d) || (n->rconf.federation && rc != (int)sizeof(d))) {
		CP_RN_COUNT(n, sync_query_fail);
		return 1;
	}
	memcpy(&d, out, sizeof(d));
	CP_RN_COUNT(n, sync_chunks);
	if (!n->rconf.federation)       /* packed records, not events */
		cp_rn_sync_chunks(n, k, (const uint8_t *)out + sizeof(d), (size_t)rc - sizeof(d),
				  d.emitted, now);
	else
		n->sync[k].pending += d.emitted;
	n->sync[k].bucket = d.bucket;
	n->sync[k].skip = d.skip;
	if (n->sync[k].bucket >= REG_DIGEST_BUCKETS) {
		n->sync[k].shard++;
		n->sync[k].bucket = 0;
		n->sync[k].skip = 0;
	}
	return 1;
}

/* Chunks one shard answer may need at most: every two consecutive chunks hold
 * more than a chunk's bytes, so 2 x the answer's bytes / chunk_cap, plus one. */
#define CP_RN_CHUNKS_PER_ANSWER(n) (2u * DP_SYNC_OUT / (n)->chunk_cap + 2u)
#define CP_RN_SYNC_LIVE_WINDOW     256u   /* chunks in flight while live changes flow */
#define CP_RN_LIVE_MS              100u   /* ... shard events this recent */
static_assert(CP_RN_SYNC_LIVE_WINDOW <= CP_BULK_WINDOW, "a part of the window");

/* Chunks peer K's sync channel may still take: its window (CP_BULK_WINDOW), or
 * CP_RN_SYNC_LIVE_WINDOW while live changes flow. The receiving
 * dataplane hands both to its cp through one ring (1,023 datagrams by default);
 * a full window of chunks on top of a loaded stream overflowed it while that cp
 * was preempted (perf/run.sh replication-cost at 500,000/s: cluster_ring_full
 * 6,355, 20 full syncs in 20 s, against 0 and 7-10 with 256). */
static uint32_t
cp_rn_sync_room(struct cp_repl_node *n, int k, uint64_t now)
{
	uint32_t room = cp_bulk_tx_room(&n->btx[k]);
	uint32_t off = CP_BULK_WINDOW - CP_RN_SYNC_LIVE_WINDOW;

	/* live: records unacked, or shard events in the last CP_RN_LIVE_MS (the
	 * stream of a peer that fell behind is empty, the changes go on) */
	if (cp_repl_tx_unacked(n->peer[k]) == 0 && now - n->events_ms >= CP_RN_LIVE_MS)
		return room;
	return room > off ? room - off : 0;
}

/* Per syncing peer whose stream has room, the next dump query to its shard,
 * without waiting: the shard dumps the next chunk while the cp sends the copies
 * of the last one (which frees the shard's events). Returns the events taken. */
static unsigned int
cp_rn_sync_pass(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send, void *arg_)
{
	char arg[64];
	unsigned int work = 0, s;
	int i;

	for (s = 0; s < n->n_shards; s++)
		work += n->sync_ask[s].busy && cp_rn_sync_collect(n, s, now) ? 1 : 0;
	for (i = 0; i < n->n_peers; i++) {
		struct cp_repl_sync *sy = &n->sync[i];
		struct cp_repl_peer *p = n->peer[i];

		if (sy->done_pending && p->tx.base > sy->end_seq && now >= sy->done_next_ms) {
			cp_repl_msg_hdr(p, &n->msg, MSG_T_SYNC_DONE);
			n->msg.u.done.stream_incarnation = n->conf.incarnation;
			n->msg.u.done.epoch = p->tx.epoch;
			n->msg.u.done.records = sy->records;
			send(arg_, n->peer_id[i], &n->msg);
			CP_RN_COUNT(n, sync_done_sent);
			sy->done_next_ms = now + CP_REPL_NODE_DONE_EVERY_MS;
			if (++sy->done_sent >= CP_REPL_NODE_DONE_TIMES)
				sy->done_pending = false;
		}
		if (!sy->active || sy->asked)
			continue;
		/* This node is being synced itself and the peer is synced: what it
		 * holds here is (a part of) the peer's own, and what it has made here
		 * meanwhile is on the stream. The copy waits until this node is
		 * synced (and is sent then, for what the stream missed). The first
		 * two heartbeat intervals of a sync it waits also for a peer whose
		 * state is not known yet (heard before its first heartbeat); after
		 * that a peer that is not synced either (both restarted) gets it. */
		if (n->rxs.state != MSG_CAP_SYNCED) {
			sy->peer_had_all |= n->peer_synced[i];
			if (n->peer_synced[i] || now - n->rxs.started_ms < 2u * n->ping_ms)
				continue;
		} else if (sy->peer_had_all && !n->rconf.federation) {
			/* Synced now, from peers that had everything: this node holds
			 * their data and what the stream carried. The copy is not
			 * given; anti-entropy, which runs once no sync is under way,
			 * finds anything else either side lacks. */
			sy->active = false;
			sy->skipped = true;
			CP_RN_COUNT(n, syncs_skipped);
			continue;
		}
		if (n->rconf.federation ? cp_repl_tx_room(p) < 2 * CP_REPL_NODE_SYNC_CHUNK :
		    cp_rn_sync_room(n, i, now) < CP_RN_CHUNKS_PER_ANSWER(n))
			continue;
		if (sy->shard >= n->n_shards) {
			if (sy->pending > 0 && cp_rn_ev_queued(n))   /* last copies on a ring */
				continue;
			if (!n->rconf.federation && !cp_bulk_tx_idle(&n->btx[i]))
				continue;       /* chunks not all acked yet */
			sy->active = false;
			sy->done_pending = true;
			sy->end_seq = p->tx.next - 1;
			sy->done_sent = 0;
			sy->done_next_ms = 0;
			CP_RN_COUNT(n, syncs_done);
			continue;
		}
		if (n->sync_ask[sy->shard].busy)
			continue;       /* another peer's dump: next pass */
		if (n->rconf.federation)
			snprintf(arg, sizeof(arg), "%u %u %u %u", n->peer_id[i], sy->bucket,
				 sy->skip, CP_REPL_NODE_SYNC_CHUNK);
		else
			snprintf(arg, sizeof(arg), "%u %u", sy->skip, CP_REPL_NODE_SYNC_PACK);
		if (dp_shared_ask(n->sh, DP_ASK_SYNC, sy->shard,
				  n->rconf.federation ? DP_QUERY_SYNC_DUMP : DP_QUERY_SYNC_PACK,
				  arg) != 0) {
			CP_RN_COUNT(n, sync_query_fail);
			continue;
		}
		sy->asked = true;
		n->sync_ask[sy->shard].busy = true;
		n->sync_ask[sy->shard].peer = n->peer_id[i];
		work++;
	}
	work += cp_repl_node_events(n, now);
	cp_repl_node_poll(n, now, send, arg_);
	return work;
}

unsigned int
cp_repl_node_sync(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send, void *arg)
{
	unsigned int q, got, work = 0;

	for (q = 0; q < CP_REPL_NODE_SYNC_QUERIES; q++) {
		got = cp_rn_sync_pass(n, now, send, arg);
		if (got == 0)
			break;
		work += got;
	}
	return work;
}

unsigned int
cp_repl_node_events(struct cp_repl_node *n, uint64_t now)
{
	void *evs[64];
	unsigned int s, got, i, total = 0, taken;

	for (s = 0; s < n->n_shards; s++) {
		for (taken = 0; taken < CP_REPL_NODE_EVENT_BUDGET; taken += got) {
			got = rte_ring_sc_dequeue_burst(n->ev[s], evs, RTE_DIM(evs), NULL);
			if (got == 0)
				break;
			for (i = 0; i < got; i++) {
				struct reg_event *ev = evs[i];
				uint64_t *next = &n->ev_next[s];

				if (i + 2 < got) {      /* written by the worker, on its CPU */
					rte_prefetch0(evs[i + 2]);   /* its header and record */
					rte_prefetch0((const char *)evs[i + 2] + RTE_CACHE_LINE_SIZE);
					rte_prefetch0((const char *)evs[i + 2] + 2 * RTE_CACHE_LINE_SIZE);
				}
				CP_RN_COUNT(n, events);
				if (*next != 0 && ev->seq > *next)   /* a restarted shard starts again at 1 */
					n->counters[CP_REPL_NODE_C_events_lost] += ev->seq - *next;
				*next = ev->seq + 1;
				if (ev->type == REG_EV_SYNC) {
					cp_rn_sync_copy(n, ev, now);
				} else if (ev->remote) {
					CP_RN_COUNT(n, events_remote);
				} else if (ev->type == REG_EV_EXPIRE) {
					CP_RN_COUNT(n, events_expire);
				} else if (cp_rn_event_pack(n, ev) == 0) {
					cp_rn_fanout(n, now);
				}
				reg_event_free(ev);
			}
			total += got;
		}
	}
	if (total > 0)
		n->events_ms = now;
	return total;
}

/* Room for K records (struct reg_rec) on every shard's ring. The record objects
 * themselves are taken from rec_pool before the records are accepted: a count
 * of the pool also counts the workers' caches, which this process cannot get. */
static bool
cp_rn_room(struct cp_repl_node *n, unsigned int k)
{
	unsigned int s;

	for (s = 0; s < n->n_shards; s++)
		if (rte_ring_free_count(n->apply[s]) < k)
			return false;
	return true;
}

/* cp_rn_room() for one record, and its object in hand (rec_spare). */
static bool
cp_rn_rec_take(struct cp_repl_node *n, unsigned int k)
{
	void *obj;

	if (!cp_rn_room(n, k))
		return false;
	if (n->rec_spare == NULL) {
		if (rte_mempool_get(n->rec_pool, &obj) != 0)
			return false;
		n->rec_spare = obj;
	}
	return true;
}

/* Room for a datagram's records (at most a pack's bytes) on every shard: a
 * pack in hand for each (its spare, taken now if need be) and room on its ring.
 * A datagram accepted then never finds the pool empty (cp_rn_open()): a record
 * acknowledged and then dropped would be lost until anti-entropy. */
static bool
cp_rn_pack_room(struct cp_repl_node *n, unsigned int k)
{
	unsigned int s;
	void *obj;

	(void)k;
	for (s = 0; s < n->n_shards; s++) {
		if (n->spare[s] != NULL)
			continue;
		if (rte_mempool_get(n->pack_pool, &obj) != 0)
			return false;
		n->spare[s] = obj;
	}
	for (s = 0; s < n->n_shards; s++)
		if (rte_ring_free_count(n->apply_pack[s]) < 1)
			return false;
	return true;
}

/* Waits for ROOM (K) in naps of STEP_US, MAX_US at most: true once there is.
 * The time waited is added to *WAITED_US (when not NULL). */
static bool
cp_rn_wait_room(struct cp_repl_node *n, bool (*room)(struct cp_repl_node *, unsigned int),
		unsigned int k, unsigned int step_us, uint64_t max_us, uint64_t *waited)
{
	struct timespec ts = { 0, (long)step_us * 1000 };
	uint64_t waited_us = 0;
	bool ok = true;

	while (!room(n, k)) {
		if (waited_us >= max_us) {
			ok = false;
			break;
		}
		nanosleep(&ts, NULL);
		waited_us += step_us;
	}
	if (waited != NULL)
		*waited += waited_us;
	return ok;
}

/* One wire record to its owning shard, in OBJ (from rec_pool; given back when
 * the record goes nowhere). */
static void
cp_rn_apply(struct cp_repl_node *n, const struct msg_rec *w, void *obj)
{
	struct reg_key key;
	struct reg_rec *r = obj;
	unsigned int shard;

	if (cp_rn_from_wire(w, r) != 0) {
		CP_RN_COUNT(n, rec_bad);
		rte_mempool_put(n->rec_pool, obj);
		return;
	}
	if (reg_key_from_text(&n->rconf, r->aor, r->aor_len, &key) != 0) {
		CP_RN_COUNT(n, rx_bad_route);
		rte_mempool_put(n->rec_pool, obj);
		return;
	}
	shard = reg_key_shard((uint32_t)key.digest, n->n_shards);
	if (rte_ring_sp_enqueue(n->apply[shard], obj) != 0) {   /* idem */
		CP_RN_COUNT(n, rx_backpressure);
		rte_mempool_put(n->rec_pool, obj);
		return;
	}
	CP_RN_COUNT(n, rx_records);
}

/* Shard S's open pack to its apply ring (or, cannot be, counted and dropped). */
static void
cp_rn_flush_one(struct cp_repl_node *n, unsigned int s)
{
	struct reg_pack_buf *pk = n->open[s];

	if (pk == NULL)
		return;
	n->open[s] = NULL;
	if (rte_ring_sp_enqueue(n->apply_pack[s], pk) != 0) {   /* it holds the whole pool */
		CP_RN_COUNT(n, rx_backpressure);
		rte_mempool_put(n->pack_pool, pk);
	}
}

void
cp_repl_node_rx_flush(struct cp_repl_node *n)
{
	unsigned int s;

	n->room_waited_us = 0;

	for (s = 0; s < n->n_shards; s++)
		cp_rn_flush_one(n, s);
}

/* Shard S's open pack with room for NEED bytes of records AGE_MS old (a pack
 * has one age): the one being filled, or a new one; NULL when the pool is empty. */
static struct reg_pack_buf *
cp_rn_open(struct cp_repl_node *n, unsigned int s, uint32_t age_ms, size_t need)
{
	struct reg_pack_buf *pk = n->open[s];
	void *obj;

	if (pk != NULL && (pk->age_ms != age_ms || pk->len + need > REG_PACK_BUF))
		cp_rn_flush_one(n, s);
	if (n->open[s] == NULL) {
		if (n->spare[s] != NULL) {      /* cp_rn_pack_room() took it */
			obj = n->spare[s];
			n->spare[s] = NULL;
		} else if (rte_mempool_get(n->pack_pool, &obj) != 0) {
			return NULL;
		}
		n->open[s] = obj;
		n->open[s]->len = 0;
		n->open[s]->age_ms = age_ms;
	}
	return n->open[s];
}

/* The records of pack C (those of IDX, NIDX of them, in increasing order; all
 * when IDX is NULL) into their owning shards' open packs: with one shard and
 * all records, C's bytes as they are (the shard checks every record), else
 * each record routed by its AoR. cp_repl_node_rx_flush() hands them over. */
static void
cp_rn_route(struct cp_repl_node *n, const struct msg_pack *c, const uint16_t *idx, int nidx)
{
	struct reg_pack_buf *pk;
	struct reg_key key;
	const char *aor;
	uint16_t aor_len;
	unsigned int shard, i = 0;
	size_t at = 0, rec;
	int want = 0;

	if (n->n_shards == 1 && idx == NULL) {
		pk = cp_rn_open(n, 0, c->age_ms, c->len);
		if (pk == NULL)         /* cannot be: room was checked */
			goto fail;
		memcpy(pk->data + pk->len, c->data, c->len);
		pk->len += c->len;
	} else {
		for (; at < c->len && (idx == NULL || want < nidx); at += rec, i++) {
			rec = reg_pack_peek(c->data + at, c->len - at, &aor, &aor_len);
			if (rec == 0) {
				CP_RN_COUNT(n, rec_bad);
				break;
			}
			if (idx != NULL) {
				if (idx[want] != i)
					continue;       /* had it already */
				want++;
			}
			if (n->n_shards == 1) {
				shard = 0;
			} else if (reg_key_from_text(&n->rconf, aor, aor_len, &key) != 0) {
				CP_RN_COUNT(n, rx_bad_route);
				continue;
			} else {
				shard = reg_key_shard((uint32_t)key.digest, n->n_shards);
			}
			pk = cp_rn_open(n, shard, c->age_ms, rec);
			if (pk == NULL)
				goto fail;
			memcpy(pk->data + pk->len, c->data + at, rec);
			pk->len += (uint32_t)rec;
		}
	}
	n->counters[CP_REPL_NODE_C_rx_records] += idx != NULL ? (uint64_t)nidx : c->count;
	return;
fail:
	CP_RN_COUNT(n, rx_backpressure);
}

/* A SyncChunk from peer K: delivered once, when the shards have room for it,
 * else left for retransmission. The chunks of one receive burst wait for room
 * CP_REPL_NODE_ROOM_WAIT_US in all (a dropped chunk costs the sender a timeout;
 * a cp that waited longer would leave the datagrams behind them to overflow
 * the ring from the dataplane). */
static int
cp_rn_on_chunk(struct cp_repl_node *n, int k, const struct msg *m, uint64_t now)
{
	uint64_t left = n->room_waited_us < CP_REPL_NODE_ROOM_WAIT_US ?
			CP_REPL_NODE_ROOM_WAIT_US - n->room_waited_us : 0;
	int rc;

	if (!cp_rn_wait_room(n, cp_rn_pack_room, 1, 50, left, &n->room_waited_us)) {
		CP_RN_COUNT(n, rx_backpressure);
		return -EAGAIN;
	}
	rc = cp_bulk_rx_on_chunk(&n->brx[k], m->hdr.incarnation, m->u.pack.epoch, m->u.pack.seq,
				 now);
	if (rc != 1)
		return rc < 0 ? rc : 0;
	cp_rn_route(n, &m->u.pack, NULL, 0);
	return 0;
}

int
cp_repl_node_apply_rec(struct cp_repl_node *n, const struct msg_rec *w, uint64_t wait_ms)
{
	void *obj;

	if (!cp_rn_wait_room(n, cp_rn_rec_take, 1, 100, wait_ms * 1000u, NULL))
		return -EAGAIN;
	obj = n->rec_spare;
	n->rec_spare = NULL;
	cp_rn_apply(n, w, obj);
	return 0;
}

/* ---- anti-entropy (cp_repl_ae.h) ---- */

#define CP_RN_DIGEST_FRESH_MS 20u    /* a merged digest this recent is reused */
#define CP_RN_REPAIR_RUN      256u   /* buckets a repair query range covers at most */
#define CP_RN_REPAIR_QUERIES  2u     /* shard dump queries per peer per call (each waits for the shard) */

/* The shards' digests merged into n->digest (reused when fresh): 0, or -1
 * counted when a shard did not answer. */
static int
cp_rn_digest_load(struct cp_repl_node *n, uint64_t now)
{
	static char out[DP_DIGEST_PER_QUERY * 8 + 1];   /* + the NUL dp_shared_query adds */
	char arg[32];
	unsigned int s, first, i, cnt;
	int rc;

	if (n->digest_ms != CP_REPL_NEVER && now - n->digest_ms < CP_RN_DIGEST_FRESH_MS)
		return 0;
	memset(n->digest, 0, sizeof(n->digest));
	for (s = 0; s < n->n_shards; s++) {
		for (first = 0; first < REG_DIGEST_BUCKETS; first += cnt) {
			const uint64_t *d = (const uint64_t *)(void *)out;

			cnt = RTE_MIN(DP_DIGEST_PER_QUERY, REG_DIGEST_BUCKETS - first);
			snprintf(arg, sizeof(arg), "%u %u", first, cnt);
			rc = dp_shared_query(n->sh, s, DP_QUERY_DIGEST, arg, out, sizeof(out), 100);
			if (rc != (int)(cnt * 8)) {
				CP_RN_COUNT(n, digest_query_fail);
				n->digest_ms = CP_REPL_NEVER;
				return -1;
			}
			for (i = 0; i < cnt; i++)
				n->digest[first + i] ^= d[i];
		}
	}
	n->digest_ms = now;
	return 0;
}

/* Digest of N entries from FIRST, each covering SPAN buckets, to peer K. */
static void
cp_rn_digest_send(struct cp_repl_node *n, int k, uint32_t first, uint32_t cnt, uint32_t span,
		  const uint64_t *digests, cp_repl_send_fn *send, void *arg)
{
	cp_repl_msg_hdr(n->peer[k], &n->msg, MSG_T_DIGEST);
	n->msg.u.digest.first_bucket = (uint16_t)first;
	n->msg.u.digest.n = (uint16_t)cnt;
	n->msg.u.digest.span = (uint16_t)span;
	memcpy(n->msg.u.digest.digests, digests, (size_t)cnt * 8);
	send(arg, n->peer_id[k], &n->msg);
}

/* A summary from peer K: our 64 bucket digests of every group that differs. */
static void
cp_rn_on_summary(struct cp_repl_node *n, int k, const struct msg_digest *d, uint64_t now,
		 cp_repl_send_fn *send, void *arg)
{
	uint64_t sum[CP_AE_GROUPS];
	uint16_t diff[CP_AE_GROUPS];
	int nd, i;

	if (d->first_bucket != 0 || d->n != CP_AE_GROUPS || cp_rn_digest_load(n, now) < 0)
		return;
	cp_ae_summary(n->digest, sum);
	nd = reg_digest_diff(d->digests, sum, 0, CP_AE_GROUPS, diff, CP_AE_GROUPS);
	for (i = 0; i < nd; i++) {
		uint32_t first = (uint32_t)diff[i] * CP_AE_SPAN;

		CP_RN_COUNT(n, digest_groups_differ);
		cp_rn_digest_send(n, k, first, CP_AE_SPAN, 1, &n->digest[first], send, arg);
	}
}

/* Bucket digests from peer K: the buckets that differ are sent to it and
 * pulled from it. */
static void
cp_rn_on_buckets(struct cp_repl_node *n, int k, const struct msg_digest *d, uint64_t now,
		 cp_repl_send_fn *send, void *arg)
{
	uint16_t diff[MSG_DIGEST_MAX];
	struct msg_bucket_pull *pull = &n->msg.u.pull;
	int nd, i;

	if (cp_rn_digest_load(n, now) < 0)
		return;
	nd = reg_digest_diff(d->digests, &n->digest[d->first_bucket], d->first_bucket, d->n,
			     diff, MSG_DIGEST_MAX);
	if (nd <= 0)
		return;
	cp_repl_msg_hdr(n->peer[k], &n->msg, MSG_T_BUCKET_PULL);
	pull->n_keys = 0;
	pull->n_buckets = 0;
	for (i = 0; i < nd; i++) {
		cp_ae_set_add(&n->repair[k].want, diff[i]);
		CP_RN_COUNT(n, buckets_differ);
		pull->buckets[pull->n_buckets++] = diff[i];
		if (pull->n_buckets == MSG_PULL_BUCKETS_MAX || i == nd - 1) {
			send(arg, n->peer_id[k], &n->msg);
			cp_repl_msg_hdr(n->peer[k], &n->msg, MSG_T_BUCKET_PULL);
			pull->n_keys = 0;
			pull->n_buckets = 0;
		}
	}
}

/* Send peer K the buckets of its repair set: shard by shard over one run of
 * consecutive buckets at a time, paced by the room in its stream. */
static void
cp_rn_repair_push(struct cp_repl_node *n, int k)
{
	struct cp_repl_repair *rp = &n->repair[k];
	struct cp_repl_peer *p = n->peer[k];
	struct dp_sync_dump dd;
	char arg[80], out[sizeof(dd) + 1];
	unsigned int q;
	int rc;

	for (q = 0; q < CP_RN_REPAIR_QUERIES; q++) {
		if (n->sync[k].active || cp_repl_tx_behind(p) ||
		    cp_repl_tx_room(p) < 2 * CP_REPL_NODE_SYNC_CHUNK)
			return;
		if (!rp->running) {
			if (!cp_ae_set_next_run(&rp->want, 0, CP_RN_REPAIR_RUN, &rp->start, &rp->end))
				return;
			cp_ae_set_clear(&rp->want, rp->start, rp->end);
			rp->running = true;
			rp->shard = 0;
			rp->bucket = rp->start;
			rp->skip = 0;
		}
		snprintf(arg, sizeof(arg), "%u %u %u %u %u", n->peer_id[k], rp->bucket, rp->skip,
			 CP_REPL_NODE_SYNC_CHUNK, rp->end);
		rc = dp_shared_query(n->sh, rp->shard, DP_QUERY_SYNC_DUMP, arg, out, sizeof(out),
				     100);
		if (rc != (int)sizeof(dd)) {
			CP_RN_COUNT(n, repair_query_fail);
			return;
		}
		memcpy(&dd, out, sizeof(dd));
		rp->bucket = dd.bucket;
		rp->skip = dd.skip;
		if (rp->bucket < rp->end)
			continue;
		if (++rp->shard < n->n_shards) {
			rp->bucket = rp->start;
			rp->skip = 0;
			continue;
		}
		n->counters[CP_REPL_NODE_C_buckets_repaired] += rp->end - rp->start;
		rp->running = false;
	}
}

/* Records in flight between this node and peer K (CP_RN_AE_BUSY). Received
 * records are counted for all peers: any change in flight makes buckets differ. */
static bool
cp_rn_ae_busy(struct cp_repl_node *n, struct cp_repl_repair *rp, int k, uint64_t now)
{
	uint64_t rx = n->counters[CP_REPL_NODE_C_rx_records];
	uint64_t got = rx - rp->rx_seen, ms = now - rp->rx_seen_ms, quarter = n->ae_interval_ms / 4;
	bool busy = cp_repl_tx_unacked(n->peer[k]) > CP_RN_AE_BUSY ||
		    (rp->rx_seen_ms != 0 && got * RTE_MAX(quarter, (uint64_t)1) >
		     (uint64_t)CP_RN_AE_BUSY * RTE_MAX(ms, (uint64_t)1));

	rp->rx_seen = rx;
	rp->rx_seen_ms = now;
	return busy;
}

void
cp_repl_node_ae(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send, void *arg)
{
	uint64_t sum[CP_AE_GROUPS];
	bool loaded = false;
	int k;

	for (k = 0; k < n->n_peers; k++) {
		struct cp_repl_repair *rp = &n->repair[k];

		cp_rn_repair_push(n, k);
		if (!rp->eligible || now < rp->next_round_ms)
			continue;
		/* Changes in flight on the stream make buckets differ that will
		 * agree a moment later: while it carries many, the round waits a
		 * little (a few times at most: under a load that never ends,
		 * what the stream dropped must still be repaired). */
		if (cp_rn_ae_busy(n, rp, k, now) &&
		    rp->postponed < (n->counters[CP_REPL_NODE_C_events_lost] != rp->lost_seen ?
				     CP_RN_AE_POSTPONE : CP_RN_AE_POSTPONE_CLEAN)) {
			rp->postponed++;
			rp->next_round_ms = now + n->ae_interval_ms / 4;
			CP_RN_COUNT(n, digest_postponed);
			continue;
		}
		rp->postponed = 0;
		rp->lost_seen = n->counters[CP_REPL_NODE_C_events_lost];
		rp->next_round_ms = now + n->ae_interval_ms;
		if (!loaded) {
			if (cp_rn_digest_load(n, now) < 0)
				return;
			cp_ae_summary(n->digest, sum);
			loaded = true;
		}
		CP_RN_COUNT(n, digest_rounds);
		cp_rn_digest_send(n, k, 0, CP_AE_GROUPS, CP_AE_SPAN, sum, send, arg);
	}
}

bool
cp_repl_node_msg_type(unsigned int type)
{
	return type == MSG_T_REPL || type == MSG_T_REPL_ACK || type == MSG_T_SYNC_REQUEST ||
	       type == MSG_T_SYNC_DONE || type == MSG_T_DIGEST || type == MSG_T_BUCKET_PULL ||
	       type == MSG_T_SYNC_CHUNK || type == MSG_T_SYNC_CHUNK_ACK || type == MSG_T_REPL_PACK;
}

int
cp_repl_node_on_msg(struct cp_repl_node *n, const struct msg *m, size_t len, uint64_t now,
		    cp_repl_send_fn *send, void *arg)
{
	uint16_t idx[MSG_PACK_MAX_RECS];
	void *objs[MSG_REPL_MAX_RECS];
	int k, i, got;

	k = cp_rn_peer_idx(n, m->hdr.sender);
	if (k < 0) {
		CP_RN_COUNT(n, rx_not_peer);
		return -ENOENT;
	}
	n->counters[CP_REPL_NODE_C_rx_bytes] += len;
	if (m->hdr.type == MSG_T_REPL_ACK)
		return cp_repl_on_ack(n->peer[k], m, now);
	if (m->hdr.type == MSG_T_SYNC_CHUNK_ACK) {
		if (m->u.ack.stream_incarnation != n->conf.incarnation)
			return -ESTALE;
		return cp_bulk_tx_on_ack(&n->btx[k], m->u.ack.epoch, m->u.ack.cum_seq, now);
	}
	if (m->hdr.type == MSG_T_SYNC_CHUNK)
		return cp_rn_on_chunk(n, k, m, now);
	if (m->hdr.type == MSG_T_DIGEST) {
		CP_RN_COUNT(n, digest_rx);
		if (m->u.digest.span == CP_AE_SPAN)
			cp_rn_on_summary(n, k, &m->u.digest, now, send, arg);
		else if (m->u.digest.span == 1)
			cp_rn_on_buckets(n, k, &m->u.digest, now, send, arg);
		return 0;
	}
	if (m->hdr.type == MSG_T_BUCKET_PULL) {
		for (i = 0; i < m->u.pull.n_buckets; i++) {
			cp_ae_set_add(&n->repair[k].want, m->u.pull.buckets[i]);
			CP_RN_COUNT(n, buckets_pulled);
		}
		return 0;
	}
	if (m->hdr.type == MSG_T_SYNC_REQUEST) {
		CP_RN_COUNT(n, sync_requests);
		cp_rn_sync_start(n, k, n->sync[k].incarnation, now);
		return 0;
	}
	if (m->hdr.type == MSG_T_SYNC_DONE) {
		struct cp_repl_rx_sync *rs = &n->rxs;

		CP_RN_COUNT(n, sync_done_rx);
		if (n->rconf.federation) {
			/* one part of the directory: cp_rn_fed_synced() decides */
			n->done_rx[k] = m->hdr.incarnation;
			if (rs->state != MSG_CAP_SYNCED) {
				rs->donor = m->hdr.sender;
				rs->records += m->u.done.records;
			}
			return 0;
		}
		if (rs->state != MSG_CAP_SYNCED && !rs->draining) {
			rs->draining = true;    /* cp_rn_drained() ends it */
			rs->donor = m->hdr.sender;
			rs->records = m->u.done.records;
		}
		cp_rn_drained(n, now);
		return 0;
	}
	if (m->hdr.type == MSG_T_REPL_PACK) {
		if (!cp_rn_pack_room(n, 1)) {
			CP_RN_COUNT(n, rx_backpressure);
			return -EAGAIN;
		}
		got = cp_repl_on_repl(n->peer[k], m, now, idx);
		if (got > 0)
			cp_rn_route(n, &m->u.pack, idx, got);
		return got < 0 ? got : 0;
	}
	if (m->hdr.type != MSG_T_REPL)  /* Repl: from a node of an older release */
		return -EINVAL;
	if (!cp_rn_room(n, m->u.repl.n) ||
	    rte_mempool_get_bulk(n->rec_pool, objs, m->u.repl.n) != 0) {
		CP_RN_COUNT(n, rx_backpressure);
		return -EAGAIN;
	}
	got = cp_repl_on_repl(n->peer[k], m, now, idx);
	for (i = 0; i < got; i++)
		cp_rn_apply(n, &m->u.repl.recs[idx[i]], objs[i]);
	if (got < (int)m->u.repl.n)
		rte_mempool_put_bulk(n->rec_pool, objs + RTE_MAX(got, 0),
				     m->u.repl.n - (unsigned int)RTE_MAX(got, 0));
	return got < 0 ? got : 0;
}

int
cp_repl_node_sync_start(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send, void *arg)
{
	struct cp_repl_rx_sync *rs = &n->rxs;
	int i;

	rs->state = MSG_CAP_SYNCING;
	rs->draining = false;
	rs->donor = 0;
	rs->records = 0;
	rs->bytes = 0;
	rs->started_ms = now;
	rs->done_ms = 0;
	rs->bytes_at_start = n->counters[CP_REPL_NODE_C_rx_bytes];
	for (i = 0; i < n->n_peers; i++) {
		n->done_rx[i] = 0;
		cp_repl_msg_hdr(n->peer[i], &n->msg, MSG_T_SYNC_REQUEST);
		send(arg, n->peer_id[i], &n->msg);
	}
	return n->n_peers;
}

void
cp_repl_node_poll(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send, void *arg)
{
	int i;

	cp_rn_drained(n, now);
	for (i = 0; i < n->n_peers; i++) {
		while (cp_repl_tx_poll(n->peer[i], now, &n->msg) == 1)
			send(arg, n->peer_id[i], &n->msg);
		if (cp_repl_rx_poll(n->peer[i], now, &n->msg) == 1)
			send(arg, n->peer_id[i], &n->msg);
		for (;;) {
			cp_repl_msg_hdr(n->peer[i], &n->msg, MSG_T_SYNC_CHUNK);
			if (cp_bulk_tx_poll(&n->btx[i], now, &n->msg.u.pack) != 1)
				break;
			send(arg, n->peer_id[i], &n->msg);
		}
		cp_repl_msg_hdr(n->peer[i], &n->msg, MSG_T_SYNC_CHUNK_ACK);
		if (cp_bulk_rx_poll(&n->brx[i], now, &n->msg.u.ack) == 1)
			send(arg, n->peer_id[i], &n->msg);
	}
}

void
cp_repl_node_stream_totals(const struct cp_repl_node *n, uint64_t *out)
{
	unsigned int c;
	int i;

	memset(out, 0, CP_REPL_COUNTER_MAX * sizeof(*out));
	for (i = 0; i < n->n_peers; i++)
		for (c = 0; c < CP_REPL_COUNTER_MAX; c++)
			out[c] += n->peer[i]->counters[c];
}

bool
cp_repl_node_syncing(const struct cp_repl_node *n)
{
	int i;

	if (n->rxs.state == MSG_CAP_SYNCING)
		return true;
	for (i = 0; i < n->n_peers; i++)
		if (n->sync[i].active || n->sync[i].done_pending)
			return true;
	return false;
}

uint64_t
cp_repl_node_sync_bytes(const struct cp_repl_node *n)
{
	if (n->rxs.state == MSG_CAP_SYNCING)
		return n->counters[CP_REPL_NODE_C_rx_bytes] - n->rxs.bytes_at_start;
	return n->rxs.bytes;
}

const char *
cp_repl_node_counter_name(unsigned int counter)
{
	return counter < CP_REPL_NODE_COUNTER_MAX ? cp_repl_node_names[counter] : "?";
}
