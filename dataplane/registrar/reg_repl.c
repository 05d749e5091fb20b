/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar shard, replication side: versions (the shard's hybrid clock),
 * tombstones, the per-bucket digest and its bucket index, applying a record
 * from the cluster, and the record of a change event. Owning worker lcore only,
 * except create / free (main lcore). See dataplane/reg_shard.h, "Replication".
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_dir.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_store.h"
#include "dataplane/registrar/reg_wheel.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"
#include "proto/msg_version.h"

#define REG_KEYED_PREFIX     "reg-id="
#define REG_KEYED_PREFIX_LEN (sizeof(REG_KEYED_PREFIX) - 1)

/* ---- owning worker lcore: helpers ---- */

static inline uint32_t
reg_tomb_slot(const struct reg_shard *s, uint64_t ident)
{
	/* keyed by the process's secret seed: identities are public hashes */
	return (uint32_t)sip_hash64(s->conf.hash_seed, &ident, sizeof(ident)) & s->tomb_hmask;
}

/* Text of a tombstone (AoR then key) into its own block chain; the blocks are
 * there (checked by the caller). */
static uint32_t
reg_tomb_text_write(struct reg_shard *s, const char *aor, size_t aor_len, const char *key,
		    size_t key_len)
{
	const struct reg_piece pc[2] = { { aor, aor_len }, { key, key_len } };
	uint32_t head;

	reg_blocks_write(s->tx, &s->tx_free, &s->tx_nfree, NULL, 0, &head, pc, 2);
	return head;
}

static void
reg_tomb_text_read(const struct reg_shard *s, uint32_t blk, size_t len, char *dst)
{
	size_t k;

	while (len > 0 && blk != REG_NONE) {
		k = len < REG_EXT_DATA ? len : REG_EXT_DATA;
		memcpy(dst, s->tx[blk].data, k);
		dst += k;
		len -= k;
		blk = s->tx[blk].next;
	}
}

/* Remove tombstone ti: lists, text, record (tombstones are not in the digest). */
static void
reg_tomb_del(struct reg_shard *s, uint32_t ti)
{
	struct reg_tomb *t = &s->tomb[ti];
	uint32_t *link, blk, next, n = 0;

	/* age list */
	if (t->fprev != REG_NONE)
		s->tomb[t->fprev].fnext = t->fnext;
	else
		s->t_oldest = t->fnext;
	if (t->fnext != REG_NONE)
		s->tomb[t->fnext].fprev = t->fprev;
	else
		s->t_newest = t->fprev;
	/* bucket list */
	if (t->bprev != REG_NONE)
		s->tomb[t->bprev].bnext = t->bnext;
	else
		s->bucket_tomb[t->bucket] = t->bnext;
	if (t->bnext != REG_NONE)
		s->tomb[t->bnext].bprev = t->bprev;
	/* identity chain */
	for (link = &s->tomb_hash[reg_tomb_slot(s, t->ident)];
	     *link != REG_NONE && n++ < s->conf.max_tombstones; link = &s->tomb[*link].hnext) {
		if (*link == ti) {
			*link = t->hnext;
			break;
		}
	}
	for (blk = t->ext, n = 0; blk != REG_NONE && n++ < s->max_tx; blk = next) {
		next = s->tx[blk].next;
		s->tx[blk].next = s->tx_free;
		s->tx_free = blk;
		s->tx_nfree++;
	}
	t->ext = REG_NONE;
	t->counter = 0;                 /* free (reg_shard_sync_pack) */
	t->fnext = s->t_free;
	t->fprev = REG_NONE;
	s->t_free = ti;
	s->n_tombs--;
	s->st.c[REG_STAT_tombstones] = s->n_tombs;
}

static uint32_t
reg_b_find_ident(const struct reg_shard *s, uint32_t ai, uint64_t ident)
{
	uint32_t bi, n = 0;

	for (bi = s->aors[ai].head; bi != REG_NONE && n <= s->aors[ai].n;
	     bi = s->b[bi].next, n++)
		if (s->b[bi].ident == ident)
			return bi;
	return REG_NONE;
}

static int
reg_family_ok(uint8_t f)
{
	return f == 0 || f == 4 || f == 6;
}

/* A record fit to apply: bounds, and a contact key that is what this shard
 * would compute from the URI or the instance (so that local REGISTERs match
 * the binding as they match their own). */
static int
reg_rec_check(const struct reg_rec *r)
{
	char canon[REG_KEY_MAX];
	struct sip_uri u;
	size_t n;

	if (r->version.counter == 0 || r->version.origin == 0 || r->aor_len == 0 ||
	    r->aor_len > REG_AOR_MAX || r->key_len == 0 || r->key_len > REG_KEY_MAX)
		return -EINVAL;
	if (r->tombstone)
		return 0;
	if (r->expires_s == 0 || r->expires_s > INT32_MAX || r->uri_len == 0 ||
	    r->uri_len > REG_URI_MAX || r->instance_len > REG_INST_MAX ||
	    r->path_len > REG_PATH_MAX || r->tag_len > REG_TAG_MAX || r->q > 1000 ||
	    !reg_family_ok(r->family) || !reg_family_ok(r->sock_family))
		return -EINVAL;
	if (sip_uri_parse(&u, r->uri, r->uri_len) != 0)
		return -EINVAL;
	if (r->reg_id != 0) {
		if (r->instance_len == 0)
			return -EINVAL;
		n = reg_key_text_keyed(r->instance, r->instance_len, r->reg_id, canon);
	} else {
		n = reg_uri_canon(&u, canon, sizeof(canon));
	}
	if (n == 0 || n != r->key_len || memcmp(canon, r->key, n) != 0)
		return -EINVAL;
	return 0;
}

/* Write a live record into binding bi (new, or emptied of its data chain). */
static void
reg_b_set_rec(struct reg_shard *s, uint32_t bi, const struct reg_rec *r, uint64_t ident,
	      uint64_t now_ms)
{
	struct reg_binding *b = &s->b[bi];
	const struct reg_piece pc[4] = {
		{ r->uri, r->uri_len }, { r->instance, r->instance_len },
		{ r->path, r->path_len }, { r->tag, r->tag_len },
	};

	b->expires_ms = now_ms + (uint64_t)r->expires_s * 1000;
	b->callid = r->callid;
	b->cseq = r->cseq;
	b->counter = r->version.counter;
	b->origin = r->version.origin;
	b->ident = ident;
	b->reg_id = r->reg_id;
	b->q = r->q;
	b->flags = (uint8_t)((b->flags & ~(REG_B_INSTANCE | REG_B_KEY_URI)) |
			     (r->reg_id != 0 ? REG_B_INSTANCE :
			      r->key_len == r->uri_len && memcmp(r->key, r->uri, r->uri_len) == 0 ?
			      REG_B_KEY_URI : 0));
	reg_b_set_src(s, b, r->family, r->addr);
	b->port = r->port;
	b->local_port = r->local_port;
	b->sock_node = r->sock_node;
	b->sock_family = r->sock_family;
	b->sock_port = r->sock_port;
	memcpy(b->sock_addr, r->sock_addr, sizeof(b->sock_addr));
	b->uri_len = r->uri_len;
	b->inst_len = (uint8_t)r->instance_len;
	b->path_len = r->path_len;
	b->tag_len = (uint8_t)r->tag_len;
	reg_str_write(s, b->data, REG_BINDING_INLINE, &b->ext, pc, 4);
	reg_wheel_add(s, bi);
	reg_b_digest_add(s, bi);
}

/* A live record: replace binding bi, or create it (bi REG_NONE). 0 or -errno. */
static int
reg_apply_live(struct reg_shard *s, uint32_t ai, uint32_t bi, const struct reg_rec *r,
	       const struct reg_key *k, uint64_t ident, uint64_t now_ms)
{
	size_t bytes = (size_t)r->uri_len + r->instance_len + r->path_len + r->tag_len;
	uint32_t need_x = reg_ext_need(bytes, REG_BINDING_INLINE), *link, n = 0;

	if (bi != REG_NONE) {
		if (need_x > s->x_nfree + reg_ext_chain_len(s, s->b[bi].ext))
			return -ENOBUFS;
		reg_b_digest_remove(s, bi);
		reg_wheel_del(s, bi);
		reg_ext_free_chain(s, s->b[bi].ext);
		s->b[bi].ext = REG_NONE;
		reg_b_set_rec(s, bi, r, ident, now_ms);
		reg_event_emit_rec(s, REG_EV_UPDATE, r);
		return 0;
	}
	if (ai == REG_NONE)
		need_x += reg_aor_ext_need(k);
	if (s->b_nfree == 0 || need_x > s->x_nfree)
		return -ENOBUFS;
	if (ai != REG_NONE && s->aors[ai].n == UINT16_MAX)
		return -ENOSPC;
	if (ai == REG_NONE && (ai = reg_aor_add(s, k)) == REG_NONE)
		return -ENOSPC;
	reg_tomb_forget(s, ident);
	bi = reg_b_alloc(s);
	s->b[bi].aor = ai;
	reg_b_set_rec(s, bi, r, ident, now_ms);
	for (link = &s->aors[ai].head; *link != REG_NONE && n <= s->aors[ai].n;
	     link = &s->b[*link].next, n++)
		;
	*link = bi;
	s->aors[ai].n++;
	reg_event_emit_rec(s, REG_EV_INSERT, r);
	return 0;
}

/* ---- owning worker lcore: internal API (reg_store.h) ---- */

uint64_t
reg_version_next(struct reg_shard *s)
{
	return msg_clock_next(&s->clock, s->wall_ms);
}

size_t
reg_key_text_keyed(const char *inst, size_t inst_len, uint32_t reg_id, char *out)
{
	int n = snprintf(out, REG_KEY_MAX, REG_KEYED_PREFIX "%u;", reg_id);

	memcpy(out + n, inst, inst_len);
	return (size_t)n + inst_len;
}

size_t
reg_b_key(const struct reg_shard *s, uint32_t bi, char *out)
{
	const struct reg_binding *b = &s->b[bi];
	char data[REG_URI_MAX + REG_INST_MAX];
	struct sip_uri u;
	size_t n;

	if (b->flags & REG_B_KEY_URI) {         /* the URI was its own key when stored */
		reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, 0, b->uri_len, out);
		return b->uri_len;
	}
	reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, 0,
		     (size_t)b->uri_len + b->inst_len, data);
	if (b->flags & REG_B_INSTANCE)
		return reg_key_text_keyed(data + b->uri_len, b->inst_len, b->reg_id, out);
	/* stored URIs parsed and normalised once already: this cannot fail */
	if (sip_uri_parse(&u, data, b->uri_len) == 0 &&
	    (n = reg_uri_canon(&u, out, REG_KEY_MAX)) != 0)
		return n;
	memcpy(out, data, b->uri_len);
	return b->uri_len;
}

void
reg_b_digest_add(struct reg_shard *s, uint32_t bi)
{
	const struct reg_binding *b = &s->b[bi];
	const struct msg_version v = { .counter = b->counter, .origin = b->origin };

	reg_digest_add_entry(&s->digest, s->aors[b->aor].bucket,
			     reg_digest_entry_ident(b->ident, &v, false));
}

void
reg_b_digest_remove(struct reg_shard *s, uint32_t bi)
{
	const struct reg_binding *b = &s->b[bi];
	const struct msg_version v = { .counter = b->counter, .origin = b->origin };

	reg_digest_remove_entry(&s->digest, s->aors[b->aor].bucket,
				reg_digest_entry_ident(b->ident, &v, false));
}

void
reg_bucket_link(struct reg_shard *s, uint32_t ai, const char *aor, size_t len)
{
	struct reg_aor *a = &s->aors[ai];
	uint32_t *head;

	a->bucket = reg_digest_bucket(aor, len);
	head = &s->bucket_aor[a->bucket];
	a->bprev = REG_NONE;
	a->bnext = *head;
	if (*head != REG_NONE)
		s->aors[*head].bprev = ai;
	*head = ai;
}

void
reg_bucket_unlink(struct reg_shard *s, uint32_t ai)
{
	struct reg_aor *a = &s->aors[ai];

	if (a->bprev != REG_NONE)
		s->aors[a->bprev].bnext = a->bnext;
	else
		s->bucket_aor[a->bucket] = a->bnext;
	if (a->bnext != REG_NONE)
		s->aors[a->bnext].bprev = a->bprev;
	a->bprev = a->bnext = REG_NONE;
}

uint32_t
reg_tomb_find(const struct reg_shard *s, uint64_t ident)
{
	uint32_t ti, n = 0;

	for (ti = s->tomb_hash[reg_tomb_slot(s, ident)];
	     ti != REG_NONE && n++ < s->conf.max_tombstones; ti = s->tomb[ti].hnext)
		if (s->tomb[ti].ident == ident)
			return ti;
	return REG_NONE;
}

void
reg_tomb_put(struct reg_shard *s, uint64_t ident, const struct msg_version *v,
	     uint16_t bucket, const char *aor, size_t aor_len, const char *key, size_t key_len,
	     uint64_t now_ms)
{
	uint32_t ti = reg_tomb_find(s, ident), need, *head;
	struct reg_tomb *t;

	if (ti != REG_NONE)
		reg_tomb_del(s, ti);                    /* replaced by the newer one */
	need = reg_ext_need(aor_len + key_len, 0);
	while ((s->t_free == REG_NONE || s->tx_nfree < need) && s->t_oldest != REG_NONE) {
		reg_tomb_del(s, s->t_oldest);
		REG_STAT_INC(s, tombstones_dropped);
	}
	if (s->t_free == REG_NONE || s->tx_nfree < need) {
		REG_STAT_INC(s, tombstones_dropped);   /* a text larger than the pool */
		return;
	}
	ti = s->t_free;
	t = &s->tomb[ti];
	s->t_free = t->fnext;
	t->ident = ident;
	t->counter = v->counter;
	t->origin = v->origin;
	t->bucket = bucket % REG_DIGEST_BUCKETS;
	t->expires_ms = now_ms + (uint64_t)s->conf.tombstone_s * 1000;
	t->aor_len = (uint16_t)aor_len;
	t->key_len = (uint16_t)key_len;
	t->ext = reg_tomb_text_write(s, aor, aor_len, key, key_len);
	/* newest at the end of the age list: expiry order, as tombstone_s is fixed */
	t->fnext = REG_NONE;
	t->fprev = s->t_newest;
	if (s->t_newest != REG_NONE)
		s->tomb[s->t_newest].fnext = ti;
	else
		s->t_oldest = ti;
	s->t_newest = ti;
	head = &s->bucket_tomb[t->bucket];
	t->bprev = REG_NONE;
	t->bnext = *head;
	if (*head != REG_NONE)
		s->tomb[*head].bprev = ti;
	*head = ti;
	head = &s->tomb_hash[reg_tomb_slot(s, ident)];
	t->hnext = *head;
	*head = ti;
	s->n_tombs++;
	s->st.c[REG_STAT_tombstones] = s->n_tombs;
}

void
reg_tomb_forget(struct reg_shard *s, uint64_t ident)
{
	uint32_t ti;

	if (s->n_tombs != 0 && (ti = reg_tomb_find(s, ident)) != REG_NONE)
		reg_tomb_del(s, ti);
}

void
reg_tomb_tick(struct reg_shard *s, uint64_t now_ms)
{
	unsigned n;

	for (n = 0; n < REG_TICK_TOMBS && s->t_oldest != REG_NONE &&
	     s->tomb[s->t_oldest].expires_ms <= now_ms; n++) {
		reg_tomb_del(s, s->t_oldest);
		REG_STAT_INC(s, tombstones_expired);
	}
}

/* ---- main lcore: internal API, create / free ---- */

int
reg_repl_create(struct reg_shard *s, int socket)
{
	uint32_t i, nt = s->conf.max_tombstones, slots = 1;
	size_t h0 = reg_heap_bytes();

	while (slots < nt)
		slots <<= 1;
	s->max_tx = nt * REG_TOMB_TEXT_BLOCKS;
	s->bucket_aor = rte_malloc_socket("reg_bucket_aor", REG_DIGEST_BUCKETS * sizeof(uint32_t),
					  RTE_CACHE_LINE_SIZE, socket);
	s->bucket_tomb = rte_malloc_socket("reg_bucket_tomb",
					   REG_DIGEST_BUCKETS * sizeof(uint32_t),
					   RTE_CACHE_LINE_SIZE, socket);
	s->tomb = rte_malloc_socket("reg_tombs", (size_t)nt * sizeof(*s->tomb),
				    RTE_CACHE_LINE_SIZE, socket);
	s->tomb_hash = rte_malloc_socket("reg_tomb_hash", (size_t)slots * sizeof(uint32_t),
					 RTE_CACHE_LINE_SIZE, socket);
	s->tx = rte_malloc_socket("reg_tomb_text", (size_t)s->max_tx * sizeof(*s->tx),
				  RTE_CACHE_LINE_SIZE, socket);
	if (s->bucket_aor == NULL || s->bucket_tomb == NULL || s->tomb == NULL ||
	    s->tomb_hash == NULL || s->tx == NULL)
		return -ENOMEM;
	s->repl_bytes = reg_heap_bytes() - h0;
	memset(s->bucket_aor, 0xff, REG_DIGEST_BUCKETS * sizeof(uint32_t));
	memset(s->bucket_tomb, 0xff, REG_DIGEST_BUCKETS * sizeof(uint32_t));
	memset(s->tomb_hash, 0xff, (size_t)slots * sizeof(uint32_t));
	s->tomb_hmask = slots - 1;
	for (i = 0; i < nt; i++) {
		memset(&s->tomb[i], 0, sizeof(s->tomb[i]));
		s->tomb[i].fnext = i + 1 < nt ? i + 1 : REG_NONE;
		s->tomb[i].ext = REG_NONE;
	}
	s->t_free = 0;
	s->t_oldest = s->t_newest = REG_NONE;
	s->n_tombs = 0;
	for (i = 0; i < s->max_tx; i++)
		s->tx[i].next = i + 1 < s->max_tx ? i + 1 : REG_NONE;
	s->tx_free = 0;
	s->tx_nfree = s->max_tx;
	reg_digest_init(&s->digest);
	s->clock.last = 0;
	return 0;
}

void
reg_repl_free(struct reg_shard *s)
{
	rte_free(s->tx);
	rte_free(s->tomb_hash);
	rte_free(s->tomb);
	rte_free(s->bucket_tomb);
	rte_free(s->bucket_aor);
}

/* ---- owning worker lcore: federation directory ---- */

uint32_t
reg_aor_left_s(const struct reg_shard *s, uint32_t ai, uint32_t except, uint64_t now_ms,
	       bool round_up)
{
	uint64_t best = 0;
	uint32_t bi, n = 0;

	if (ai == REG_NONE)
		return 0;
	for (bi = s->aors[ai].head; bi != REG_NONE && n++ <= s->aors[ai].n; bi = s->b[bi].next)
		if (bi != except && s->b[bi].expires_ms > now_ms &&
		    s->b[bi].expires_ms - now_ms > best)
			best = s->b[bi].expires_ms - now_ms;
	best = round_up ? (best + 999) / 1000 : best / 1000;
	return best > INT32_MAX ? INT32_MAX : (uint32_t)best;
}

void
reg_dir_note_local(struct reg_shard *s, const char *aor, size_t aor_len,
		   const struct msg_version *v, uint32_t aor_s, uint64_t now_ms)
{
	uint32_t now_s = (uint32_t)(now_ms / 1000);

	if (reg_dir_put(&s->dir, reg_dir_key(aor, aor_len), v,
			aor_s != 0 ? s->conf.node_id : 0,
			now_s + (aor_s != 0 ? aor_s : s->conf.tombstone_s), true, NULL) < 0)
		REG_STAT_INC(s, dir_full);
}

/* A directory record (federation): the user's home, set or removed. A newer
 * record from another node (a new home, or a removal there) supersedes the
 * bindings held here: they go, quietly: no tombstone, no event (nothing of
 * them was sent). */
static int
reg_apply_dir(struct reg_shard *s, const struct reg_rec *r, uint64_t now_ms)
{
	uint32_t now_s = (uint32_t)(now_ms / 1000), ai, bi, n = 0;
	struct reg_key k;
	uint16_t home;
	int rc, collision;

	if (!s->conf.federation || r->version.counter == 0 || r->version.origin == 0 ||
	    (!r->tombstone && (r->expires_s == 0 || r->expires_s > INT32_MAX ||
			       r->sock_node == 0)) ||
	    reg_key_from_text(&s->conf, r->aor, r->aor_len, &k) != 0) {
		REG_STAT_INC(s, apply_failed);
		return -EINVAL;
	}
	msg_clock_seen(&s->clock, r->version.counter);
	home = r->tombstone ? 0 : r->sock_node;
	rc = reg_dir_put(&s->dir, reg_dir_key(k.aor, k.len), &r->version, home,
			 now_s + (r->tombstone ? s->conf.tombstone_s : r->expires_s), false, NULL);
	if (rc == 1) {
		REG_STAT_INC(s, dir_stale);
		return 1;
	}
	if (rc < 0) {
		REG_STAT_INC(s, dir_full);
		REG_STAT_INC(s, apply_failed);
		return rc;
	}
	REG_STAT_INC(s, dir_applied);
	/* newer than anything this node did to the user: the user registered (or
	 * registered and left) at another node since; last writer wins */
	if (home == s->conf.node_id || r->version.origin == s->conf.node_id)
		return 0;
	ai = reg_aor_find(s, &k, &collision);
	if (ai == REG_NONE || collision)
		return 0;
	REG_STAT_INC(s, dir_moved);
	while ((bi = s->aors[ai].head) != REG_NONE && n++ < s->conf.max_contacts + 1024u) {
		bool last = s->aors[ai].n == 1;

		reg_b_remove_v(s, bi, REG_EV_EXPIRE, now_ms, 1, &r->version);
		if (last)
			break;
	}
	return 0;
}

int
reg_shard_dir_find(const struct reg_shard *s, const char *aor, size_t len, uint64_t now_ms,
		   uint16_t *home)
{
	const struct reg_dir_ent *e;
	struct reg_key k;

	*home = 0;
	if (s->dir.slot == NULL)
		return 0;
	if (reg_key_from_text(&s->conf, aor, len, &k) != 0)
		return -EINVAL;
	e = reg_dir_find(&s->dir, reg_dir_key(k.aor, k.len), (uint32_t)(now_ms / 1000));
	if (e == NULL)
		return 0;
	*home = e->home;
	return 1;
}

uint32_t
reg_shard_dir_count(const struct reg_shard *s)
{
	return s->dir.live;
}

void
reg_shard_dir_size(const struct reg_shard *s, uint32_t *entries, size_t *bytes)
{
	*entries = s->dir.slot != NULL ? s->dir.max : 0;
	*bytes = s->dir.slot != NULL ? (size_t)s->dir.nslots * sizeof(*s->dir.slot) : 0;
}

/* ---- owning worker lcore: public ---- */

/* reg_shard_apply() with the AoR's key already made from r->aor (KEY), or
 * made here (NULL). */
static int
reg_shard_apply_key(struct reg_shard *s, const struct reg_rec *r, const struct reg_key *key,
		    uint64_t now_ms)
{
	struct msg_version held;
	struct reg_key own;
	const struct reg_key *k = key;
	uint32_t ai, bi = REG_NONE, ti = REG_NONE;
	uint64_t ident;
	bool held_tomb = false, have = false;
	int collision, rc;

	reg_wheel_start(s, now_ms);
	if (r->dir || s->conf.federation) {
		if (!r->dir) {          /* federation replicates directory entries only */
			REG_STAT_INC(s, apply_failed);
			return -EINVAL;
		}
		return reg_apply_dir(s, r, now_ms);
	}
	if (reg_rec_check(r) != 0 ||
	    (k == NULL && reg_key_from_text(&s->conf, r->aor, r->aor_len, &own) != 0)) {
		REG_STAT_INC(s, apply_failed);
		return -EINVAL;
	}
	if (k == NULL)
		k = &own;
	msg_clock_seen(&s->clock, r->version.counter);
	ident = reg_digest_ident(reg_digest_aor(k->aor, k->len), r->key, r->key_len);
	ai = reg_aor_find(s, k, &collision);
	if (collision) {
		REG_STAT_INC(s, apply_failed);
		return -EEXIST;
	}
	if (ai != REG_NONE)
		ai = reg_reap(s, ai, now_ms);
	if (ai != REG_NONE)
		bi = reg_b_find_ident(s, ai, ident);
	if (bi != REG_NONE) {
		held.counter = s->b[bi].counter;
		held.origin = s->b[bi].origin;
		have = true;
	} else if (s->n_tombs != 0 && (ti = reg_tomb_find(s, ident)) != REG_NONE) {
		held.counter = s->tomb[ti].counter;
		held.origin = s->tomb[ti].origin;
		held_tomb = have = true;
	}
	if (have && msg_version_cmp(&r->version, r->tombstone, &held, held_tomb) <= 0) {
		REG_STAT_INC(s, stale);
		return 1;
	}
	if (r->tombstone) {
		if (bi != REG_NONE)
			reg_b_remove_v(s, bi, REG_EV_DELETE, now_ms, 1, &r->version);
		else
			reg_tomb_put(s, ident, &r->version, reg_digest_bucket(k->aor, k->len),
				     k->aor, k->len, r->key, r->key_len, now_ms);
		reg_event_emit_rec(s, REG_EV_DELETE, r);
	} else if ((rc = reg_apply_live(s, ai, bi, r, k, ident, now_ms)) != 0) {
		REG_STAT_INC(s, apply_failed);
		return rc;
	}
	REG_STAT_INC(s, applied);
	return 0;
}

int
reg_shard_apply(struct reg_shard *s, const struct reg_rec *r, uint64_t now_ms)
{
	return reg_shard_apply_key(s, r, NULL, now_ms);
}

const struct reg_digest *
reg_shard_digest(const struct reg_shard *s)
{
	/* federation: what the nodes must agree on is the directory */
	return s->conf.federation ? &s->dir.digest : &s->digest;
}

int
reg_shard_bucket_walk(const struct reg_shard *s, uint16_t bucket, reg_keyver_fn *fn,
		      void *arg)
{
	char aor[REG_AOR_MAX], key[REG_KEY_MAX], text[REG_AOR_MAX + REG_KEY_MAX];
	struct reg_keyver kv;
	uint32_t ai, bi, ti, na = 0, nb, nt = 0;
	int count = 0;

	if (bucket >= REG_DIGEST_BUCKETS)
		return -EINVAL;
	for (ai = s->bucket_aor[bucket]; ai != REG_NONE && na++ < s->conf.max_aors;
	     ai = s->aors[ai].bnext) {
		kv.aor = aor;
		kv.aor_len = (uint16_t)reg_aor_text(s, ai, aor);
		kv.tombstone = 0;
		nb = 0;
		for (bi = s->aors[ai].head; bi != REG_NONE && nb++ <= s->aors[ai].n;
		     bi = s->b[bi].next) {
			kv.key = key;
			kv.key_len = (uint16_t)reg_b_key(s, bi, key);
			kv.version.counter = s->b[bi].counter;
			kv.version.origin = s->b[bi].origin;
			count++;
			if (fn != NULL && fn(&kv, arg) != 0)
				return count;
		}
	}
	for (ti = s->bucket_tomb[bucket]; ti != REG_NONE && nt++ < s->conf.max_tombstones;
	     ti = s->tomb[ti].bnext) {
		const struct reg_tomb *t = &s->tomb[ti];

		reg_tomb_text_read(s, t->ext, (size_t)t->aor_len + t->key_len, text);
		kv.aor = text;
		kv.aor_len = t->aor_len;
		kv.key = text + t->aor_len;
		kv.key_len = t->key_len;
		kv.tombstone = 1;
		kv.version.counter = t->counter;
		kv.version.origin = t->origin;
		count++;
		if (fn != NULL && fn(&kv, arg) != 0)
			return count;
	}
	return count;
}

/* Room for sync events: the pools and the ring all less than half used. Asked
 * every 32 events (an rte_mempool_avail_count() reads every lcore's cache). */
static bool
reg_sync_room(const struct reg_shard *s)
{
	return s->conf.events != NULL &&
	       rte_mempool_avail_count(s->ev_pool) > s->conf.max_events / 2 &&
	       rte_mempool_avail_count(s->ev_pool_large) > REG_EV_LARGE / 2 &&
	       rte_ring_free_count(s->conf.events) > rte_ring_get_capacity(s->conf.events) / 2;
}

/* Tombstone T as a record (version, AoR, contact key) into *R. */
static void
reg_tomb_rec(const struct reg_shard *s, const struct reg_tomb *t, struct reg_rec *r)
{
	char text[REG_AOR_MAX + REG_KEY_MAX];

	reg_tomb_text_read(s, t->ext, (size_t)t->aor_len + t->key_len, text);
	memset(r, 0, offsetof(struct reg_rec, aor));
	r->tombstone = 1;
	r->version.counter = t->counter;
	r->version.origin = t->origin;
	r->aor_len = t->aor_len;
	memcpy(r->aor, text, t->aor_len);
	r->key_len = t->key_len;
	memcpy(r->key, text + t->aor_len, t->key_len);
}

unsigned int
reg_shard_sync_dump(struct reg_shard *s, uint16_t peer, uint32_t *bucket, uint32_t *skip,
		    uint32_t end, unsigned int max, uint64_t now_ms)
{
	struct reg_rec tomb;            /* ~2.7 KB on the worker's stack */
	unsigned int emitted = 0, visited = 0;

	s->sync_peer = peer;
	if (end > REG_DIGEST_BUCKETS)
		end = REG_DIGEST_BUCKETS;
	while (*bucket < end && visited < REG_SYNC_BUCKETS) {
		uint32_t i = 0, ai, bi, ti, na = 0, nb, nt = 0;

		for (ai = s->bucket_aor[*bucket]; ai != REG_NONE && na++ < s->conf.max_aors;
		     ai = s->aors[ai].bnext) {
			nb = 0;
			for (bi = s->aors[ai].head; bi != REG_NONE && nb++ <= s->aors[ai].n;
			     bi = s->b[bi].next, i++) {
				/* under a second left: a copy would carry 0 s */
				if (i < *skip || s->b[bi].expires_ms < now_ms + 1000)
					continue;
				if (emitted == max || (emitted % 32 == 0 && !reg_sync_room(s))) {
					*skip = i;
					return emitted;
				}
				reg_event_emit(s, REG_EV_SYNC, bi, now_ms);
				REG_STAT_INC(s, sync_events);
				emitted++;
			}
		}
		for (ti = s->bucket_tomb[*bucket]; ti != REG_NONE && nt++ < s->conf.max_tombstones;
		     ti = s->tomb[ti].bnext, i++) {
			const struct reg_tomb *t = &s->tomb[ti];

			if (i < *skip)
				continue;
			if (emitted == max || (emitted % 32 == 0 && !reg_sync_room(s))) {
				*skip = i;
				return emitted;
			}
			reg_tomb_rec(s, t, &tomb);
			reg_event_emit_rec(s, REG_EV_SYNC, &tomb);
			REG_STAT_INC(s, sync_events);
			emitted++;
		}
		(*bucket)++;
		*skip = 0;
		visited++;
	}
	return emitted;
}

size_t
reg_pack_binding(const struct reg_shard *s, uint32_t bi, uint32_t expires_s, uint8_t flags,
		 uint8_t *out)
{
	const struct reg_binding *b = &s->b[bi];
	struct reg_rec h;
	size_t off = REG_PACK_HDR + reg_pack_addr_len(b->family) +
		     reg_pack_addr_len(b->sock_family);
	size_t data_len = (size_t)b->uri_len + b->inst_len + b->path_len;
	uint8_t *p = out + off;
	size_t key_len;

	memset(&h, 0, offsetof(struct reg_rec, aor));
	h.version.counter = b->counter;
	h.version.origin = b->origin;
	h.family = b->family;
	h.local_port = b->local_port;
	h.sock_family = b->sock_family;
	h.port = b->port;
	h.sock_port = b->sock_port;
	h.sock_node = b->sock_node;
	h.q = b->q;
	h.cseq = b->cseq;
	h.expires_s = expires_s;
	h.reg_id = b->reg_id;
	h.callid = b->callid;
	memcpy(h.addr, b->addr, sizeof(h.addr));
	memcpy(h.sock_addr, b->sock_addr, sizeof(h.sock_addr));
	h.aor_len = (uint16_t)reg_aor_text(s, b->aor, (char *)p);
	p += h.aor_len;
	h.uri_len = b->uri_len;
	h.instance_len = b->inst_len;
	h.path_len = b->path_len;
	h.tag_len = b->tag_len;
	reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, 0, data_len, (char *)p);
	key_len = reg_b_key(s, bi, (char *)p + data_len);
	if (key_len == b->uri_len && memcmp(p + data_len, p, key_len) == 0)
		flags |= REG_PACK_F_KEY_URI;    /* the usual case: not repeated */
	h.key_len = (uint16_t)key_len;
	p += data_len + ((flags & REG_PACK_F_KEY_URI) ? 0 : key_len);
	reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, data_len, b->tag_len, (char *)p);
	p += b->tag_len;
	reg_pack_head(&h, flags, out);
	return (size_t)(p - out);
}

unsigned int
reg_shard_sync_pack(struct reg_shard *s, uint32_t *pos, unsigned int max, uint8_t *out,
		    size_t cap, size_t *used, uint64_t now_ms)
{
	struct reg_rec tomb;            /* ~2.7 KB on the worker's stack */
	const uint32_t nb = s->conf.max_bindings, nt = s->conf.max_tombstones;
	uint32_t p = *pos, stop;
	unsigned int packed = 0;
	size_t at = 0;

	*used = 0;
	stop = p + REG_SYNC_VISIT < nb + nt ? p + REG_SYNC_VISIT : nb + nt;
	/* the binding array in order: the hardware prefetches it; the AoR of
	 * the binding two ahead is prefetched here (a random access) */
	for (; p < stop && p < nb; p++) {
		const struct reg_binding *b = &s->b[p];

		if (p + 2 < nb && s->b[p + 2].aor != REG_NONE)
			rte_prefetch0(&s->aors[s->b[p + 2].aor]);
		/* free, or under a second left: a copy would carry 0 s */
		if (b->aor == REG_NONE || b->expires_ms < now_ms + 1000)
			continue;
		if (packed == max || cap - at < REG_PACK_REC_MAX)
			goto out;
		at += reg_pack_binding(s, p, (uint32_t)((b->expires_ms - now_ms) / 1000), 0,
					 out + at);
		REG_STAT_INC(s, sync_events);
		packed++;
	}
	for (; p < stop; p++) {
		const struct reg_tomb *t = &s->tomb[p - nb];

		if (t->counter == 0)            /* free */
			continue;
		if (packed == max || cap - at < REG_PACK_REC_MAX)
			goto out;
		reg_tomb_rec(s, t, &tomb);
		at += reg_pack_rec(&tomb, out + at, cap - at);
		REG_STAT_INC(s, sync_events);
		packed++;
	}
out:
	*pos = p;
	*used = at;
	return packed;
}

uint32_t
reg_shard_sync_end(const struct reg_shard *s)
{
	return s->conf.max_bindings + s->conf.max_tombstones;
}

unsigned int
reg_shard_apply_pack(struct reg_shard *s, const uint8_t *data, size_t len, uint32_t age_ms,
		     uint64_t now_ms)
{
	struct reg_rec r;               /* ~2.7 KB on the worker's stack; decode writes what it uses */
	struct reg_key keys[REG_PREFETCH_MAX];   /* ~9 KB */
	struct reg_key *kp[REG_PREFETCH_MAX];
	uint32_t at[REG_PREFETCH_MAX];
	bool keyed[REG_PREFETCH_MAX];
	uint32_t age_s = (age_ms + 999) / 1000;
	unsigned int n = 0, m, nk, i;
	size_t off = 0, used;
	bool bad = false;

	s->quiet = 1;
	/* By groups of REG_PREFETCH_MAX records: the AoR keys of the group made
	 * first and its hash buckets, AoRs and bindings prefetched at once
	 * (reg_shard_prefetch()), then each record applied in order with its key. */
	while (off < len && !bad) {
		const char *aor;
		uint16_t aor_len;

		for (m = 0, nk = 0; m < REG_PREFETCH_MAX && off < len; m++) {
			used = reg_pack_peek(data + off, len - off, &aor, &aor_len);
			if (used == 0) {
				bad = true;
				break;
			}
			at[m] = (uint32_t)off;
			off += used;
			/* a key that does not make: apply finds out (and counts) why */
			keyed[m] = !s->conf.federation &&
				   reg_key_from_text(&s->conf, aor, aor_len, &keys[m]) == 0;
			if (keyed[m])
				kp[nk++] = &keys[m];
		}
		reg_shard_prefetch(s, kp, nk);
		for (i = 0; i < m; i++) {
			if (reg_pack_unpack(data + at[i], len - at[i], &r) == 0) {
				bad = true;
				break;
			}
			if (!r.tombstone)
				r.expires_s = r.expires_s > age_s ? r.expires_s - age_s : 1;
			/* counted: applied, stale, apply_failed */
			(void)reg_shard_apply_key(s, &r, keyed[i] ? &keys[i] : NULL, now_ms);
			n++;
		}
	}
	if (bad)
		REG_STAT_INC(s, apply_failed);
	s->quiet = 0;
	return n;
}

uint32_t
reg_shard_tombstones(const struct reg_shard *s)
{
	return s->n_tombs;
}

/* ---- control plane: events ---- */

int
reg_event_to_rec(const struct reg_event *ev, struct reg_rec *r)
{
	if (ev->pk_len == 0 || reg_pack_unpack(ev->pk, ev->pk_len, r) != ev->pk_len)
		return -EINVAL;
	return 0;
}
