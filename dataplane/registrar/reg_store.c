/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar store: byte strings split between a record and overflow blocks, the
 * AoR table (rte_hash of digests -> AoR records), binding records, the change
 * events, and the expiry of due bindings (reg_shard_tick: the wheel yields
 * them, the store removes them). Owning worker lcore only (see
 * dataplane/reg_shard.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "dataplane/registrar/reg_dir.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_store.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/registrar/reg_wheel.h"

/* ---- owning worker lcore: helpers ---- */

/* Walk [off, off + len) of a stored string, calling back per contiguous run. */
#define REG_STR_WALK(s, inl, cap, ext, off, len, RUN)                          \
	do {                                                                   \
		size_t _off = (off), _len = (len), _k;                         \
		uint32_t _blk = (ext);                                         \
		const char *_seg;                                              \
		if (_off < (cap)) {                                            \
			_k = (cap) - _off < _len ? (cap) - _off : _len;        \
			_seg = (inl) + _off;                                   \
			RUN(_seg, _k);                                         \
			_len -= _k;                                            \
			_off = 0;                                              \
		} else {                                                       \
			_off -= (cap);                                         \
		}                                                              \
		while (_len > 0 && _blk != REG_NONE) {                         \
			if (_off >= REG_EXT_DATA) {                            \
				_off -= REG_EXT_DATA;                          \
			} else {                                               \
				_k = REG_EXT_DATA - _off < _len ?              \
				     REG_EXT_DATA - _off : _len;               \
				_seg = (s)->ext[_blk].data + _off;             \
				RUN(_seg, _k);                                 \
				_len -= _k;                                    \
				_off = 0;                                      \
			}                                                      \
			_blk = (s)->ext[_blk].next;                            \
		}                                                              \
	} while (0)

static inline int
reg_key_compressed(const struct reg_key *k)
{
	return k->dom != REG_DOM_NONE && k->user_len < k->len;
}

/* ---- per-source counts ---- */

static uint32_t
reg_src_slot(const struct reg_shard *s, uint8_t family, const uint8_t *addr)
{
	return (uint32_t)sip_hash64(0x7372632d636e74ull ^ family, addr, family == 4 ? 4 : 16) &
	       s->src_mask;
}

static int
reg_src_is(const struct reg_srcent *e, uint8_t family, const uint8_t *addr)
{
	return e->count != 0 && e->family == family &&
	       memcmp(e->addr, addr, family == 4 ? 4 : 16) == 0;
}

uint32_t
reg_src_count(const struct reg_shard *s, uint8_t family, const uint8_t *addr)
{
	uint32_t i, n;

	if (s->src_tab == NULL || family == 0)
		return 0;
	for (i = reg_src_slot(s, family, addr), n = 0; n <= s->src_mask; i = (i + 1) & s->src_mask, n++) {
		if (s->src_tab[i].count == 0)
			return 0;
		if (reg_src_is(&s->src_tab[i], family, addr))
			return s->src_tab[i].count;
	}
	return 0;
}

/* +1 / -1 for (family, addr). The table has room for every binding twice over. */
static void
reg_src_adjust(struct reg_shard *s, uint8_t family, const uint8_t *addr, int delta)
{
	uint32_t i, j, k, n;
	struct reg_srcent *t = s->src_tab;

	if (t == NULL || family == 0)
		return;
	for (i = reg_src_slot(s, family, addr), n = 0; n <= s->src_mask; i = (i + 1) & s->src_mask, n++) {
		if (t[i].count == 0) {
			if (delta < 0)
				return;        /* not counted: nothing to undo */
			t[i].family = family;
			memset(t[i].addr, 0, sizeof(t[i].addr));
			memcpy(t[i].addr, addr, family == 4 ? 4 : 16);
			t[i].count = 1;
			return;
		}
		if (reg_src_is(&t[i], family, addr))
			break;
	}
	if (n > s->src_mask)
		return;
	if (delta > 0) {
		t[i].count++;
		return;
	}
	if (--t[i].count != 0)
		return;
	/* backward-shift deletion: pull up the entries displaced past slot i */
	for (j = (i + 1) & s->src_mask; t[j].count != 0; j = (j + 1) & s->src_mask) {
		k = reg_src_slot(s, t[j].family, t[j].addr);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			t[i] = t[j];
			t[j].count = 0;
			i = j;
		}
	}
}

void
reg_b_set_src(struct reg_shard *s, struct reg_binding *b, uint8_t family, const uint8_t *addr)
{
	if (b->family != 0)
		reg_src_adjust(s, b->family, b->addr, -1);
	b->family = family;
	if (family != 0) {
		memcpy(b->addr, addr, sizeof(b->addr));
		reg_src_adjust(s, family, addr, +1);
	} else {
		memset(b->addr, 0, sizeof(b->addr));
	}
}

static void
reg_b_release(struct reg_shard *s, uint32_t bi)
{
	struct reg_binding *b = &s->b[bi];

	reg_b_set_src(s, b, 0, NULL);   /* a free binding counts for no source */
	reg_ext_free_chain(s, b->ext);
	b->ext = REG_NONE;
	b->aor = REG_NONE;
	b->next = s->b_free;
	s->b_free = bi;
	s->b_nfree++;
	s->n_bindings--;
}

/* A due binding of the wheel: counted and removed, with its AoR when last. */
static void
reg_b_expire(struct reg_shard *s, uint32_t bi, uint64_t now_ms)
{
	REG_STAT_INC(s, expired);
	reg_b_remove(s, bi, REG_EV_EXPIRE, now_ms, 1);
}

/* Enqueue a filled event for the control plane (or count it dropped). */
static void
reg_event_put(struct reg_shard *s, struct reg_event *ev)
{
	if (rte_ring_enqueue(s->conf.events, ev) != 0) {
		reg_event_free(ev);
		REG_STAT_INC(s, events_dropped);
		return;
	}
	REG_STAT_INC(s, events_sent);
}

/* ---- owning worker lcore: internal API (reg_store.h), byte strings ---- */

uint32_t
reg_ext_chain_len(const struct reg_shard *s, uint32_t head)
{
	uint32_t n = 0;

	while (head != REG_NONE && n < s->conf.max_ext) {
		head = s->ext[head].next;
		n++;
	}
	return n;
}

void
reg_ext_free_chain(struct reg_shard *s, uint32_t head)
{
	uint32_t next, n = 0;

	while (head != REG_NONE && n++ < s->conf.max_ext) {
		next = s->ext[head].next;
		s->ext[head].next = s->x_free;
		s->x_free = head;
		s->x_nfree++;
		head = next;
	}
}

void
reg_blocks_write(struct reg_ext *pool, uint32_t *free_head, uint32_t *nfree, char *inl,
		 size_t cap, uint32_t *ext, const struct reg_piece *pc, unsigned n)
{
	uint32_t *link = ext, blk = REG_NONE;
	size_t room = cap, k;
	char *dst = inl;
	unsigned i;

	*ext = REG_NONE;
	for (i = 0; i < n; i++) {
		const char *p = pc[i].p;
		size_t len = pc[i].n;

		while (len > 0) {
			if (room == 0) {
				/* next block (enough free ones checked by the caller) */
				blk = *free_head;
				*free_head = pool[blk].next;
				(*nfree)--;
				pool[blk].next = REG_NONE;
				*link = blk;
				link = &pool[blk].next;
				dst = pool[blk].data;
				room = REG_EXT_DATA;
			}
			k = len < room ? len : room;
			memcpy(dst, p, k);
			dst += k;
			p += k;
			len -= k;
			room -= k;
		}
	}
}

void
reg_str_write(struct reg_shard *s, char *inl, size_t cap, uint32_t *ext,
	      const struct reg_piece *pc, unsigned n)
{
	reg_blocks_write(s->ext, &s->x_free, &s->x_nfree, inl, cap, ext, pc, n);
}

void
reg_str_read(const struct reg_shard *s, const char *inl, size_t cap, uint32_t ext,
	     size_t off, size_t len, char *dst)
{
#define REG_RUN_COPY(seg, k) do { memcpy(dst, seg, k); dst += k; } while (0)
	REG_STR_WALK(s, inl, cap, ext, off, len, REG_RUN_COPY);
#undef REG_RUN_COPY
}

int
reg_str_eq(const struct reg_shard *s, const char *inl, size_t cap, uint32_t ext,
	   size_t off, const char *p, size_t len)
{
	int eq = 1;

#define REG_RUN_CMP(seg, k) do { \
		if (eq && memcmp(seg, p, k) != 0) \
			eq = 0; \
		p += k; \
	} while (0)
	REG_STR_WALK(s, inl, cap, ext, off, len, REG_RUN_CMP);
#undef REG_RUN_CMP
	return eq;
}

void
reg_str_put(const struct reg_shard *s, struct sip_reply *r, const char *inl, size_t cap,
	    uint32_t ext, size_t off, size_t len)
{
#define REG_RUN_PUT(seg, k) sip_reply_put(r, seg, k)
	REG_STR_WALK(s, inl, cap, ext, off, len, REG_RUN_PUT);
#undef REG_RUN_PUT
}

/* ---- owning worker lcore: internal API, AoRs ---- */

uint32_t
reg_aor_ext_need(const struct reg_key *k)
{
	return reg_ext_need(reg_key_compressed(k) ? k->user_len : k->len, REG_AOR_INLINE);
}

uint32_t
reg_aor_find(const struct reg_shard *s, const struct reg_key *k, int *collision)
{
	const struct reg_aor *a;
	int32_t pos;
	uint16_t len;

	*collision = 0;
	if (k->hint_shard == s && k->hint_gen == s->aor_gen)
		pos = k->hint_pos;              /* reg_shard_prefetch() looked it up */
	else
		pos = rte_hash_lookup_with_hash(s->hash, &k->digest,
						(hash_sig_t)(k->digest >> 32));
	if (pos < 0)
		return REG_NONE;
	a = &s->aors[pos];
	len = reg_key_compressed(k) ? k->user_len : k->len;
	if (a->dom != (reg_key_compressed(k) ? k->dom : REG_DOM_NONE) || a->len != len ||
	    !reg_str_eq(s, a->text, REG_AOR_INLINE, a->ext, 0, k->aor, len)) {
		*collision = 1;
		return REG_NONE;
	}
	return (uint32_t)pos;
}

void
reg_shard_prefetch(const struct reg_shard *s, struct reg_key *const *keys, unsigned int n)
{
	const void *kp[REG_PREFETCH_MAX];
	hash_sig_t sig[REG_PREFETCH_MAX];
	int32_t pos[REG_PREFETCH_MAX];
	unsigned int i;

	if (n > REG_PREFETCH_MAX)
		n = REG_PREFETCH_MAX;
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		kp[i] = &keys[i]->digest;
		sig[i] = (hash_sig_t)(keys[i]->digest >> 32);
	}
	if (rte_hash_lookup_with_hash_bulk(s->hash, kp, sig, n, pos) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (pos[i] >= 0 && (uint32_t)pos[i] < s->conf.max_aors)
			rte_prefetch0(&s->aors[pos[i]]);
		/* the answer, kept for reg_aor_find() while the table stays as it is */
		keys[i]->hint_pos = pos[i] >= 0 ? pos[i] : -1;
		keys[i]->hint_gen = s->aor_gen;
		keys[i]->hint_shard = s;
	}
	for (i = 0; i < n; i++) {
		uint32_t head;

		if (pos[i] < 0 || (uint32_t)pos[i] >= s->conf.max_aors)
			continue;
		head = s->aors[pos[i]].head;
		if (head < s->conf.max_bindings)
			rte_prefetch0(&s->b[head]);
	}
}

uint32_t
reg_aor_add(struct reg_shard *s, const struct reg_key *k)
{
	struct reg_piece pc;
	struct reg_aor *a;
	int32_t pos;

	pos = rte_hash_add_key_with_hash(s->hash, &k->digest, (hash_sig_t)(k->digest >> 32));
	s->aor_gen++;                           /* the prefetched positions are stale */
	if (pos < 0 || (uint32_t)pos >= s->conf.max_aors) {
		if (pos >= 0)
			rte_hash_del_key_with_hash(s->hash, &k->digest,
						   (hash_sig_t)(k->digest >> 32));
		return REG_NONE;
	}
	a = &s->aors[pos];
	a->head = REG_NONE;
	a->n = 0;
	if (reg_key_compressed(k)) {
		a->dom = k->dom;
		pc.n = k->user_len;
	} else {
		a->dom = REG_DOM_NONE;
		pc.n = k->len;
	}
	pc.p = k->aor;
	a->len = (uint16_t)pc.n;
	reg_str_write(s, a->text, REG_AOR_INLINE, &a->ext, &pc, 1);
	reg_bucket_link(s, (uint32_t)pos, k->aor, k->len);
	s->n_aors++;
	return (uint32_t)pos;
}

size_t
reg_aor_text(const struct reg_shard *s, uint32_t ai, char *out)
{
	const struct reg_aor *a = &s->aors[ai];
	size_t n = a->len, d;

	reg_str_read(s, a->text, REG_AOR_INLINE, a->ext, 0, n, out);
	if (a->dom != REG_DOM_NONE && (int)a->dom < s->conf.n_domains) {
		d = strnlen(s->conf.domains[a->dom], CFG_STR);
		if (n + 1 + d <= REG_AOR_MAX) {
			out[n] = '@';
			memcpy(out + n + 1, s->conf.domains[a->dom], d);
			n += 1 + d;
		}
	}
	return n;
}

void
reg_aor_del(struct reg_shard *s, uint32_t ai)
{
	struct reg_aor *a = &s->aors[ai];
	uint64_t digest;
	void *key;

	if (rte_hash_get_key_with_position(s->hash, (int32_t)ai, &key) == 0) {
		memcpy(&digest, key, sizeof(digest));
		rte_hash_del_key_with_hash(s->hash, &digest, (hash_sig_t)(digest >> 32));
	}
	s->aor_gen++;
	reg_bucket_unlink(s, ai);
	reg_ext_free_chain(s, a->ext);
	a->ext = REG_NONE;
	a->head = REG_NONE;
	a->n = 0;
	a->len = 0;
	s->n_aors--;
}

/* ---- owning worker lcore: internal API, bindings ---- */

uint32_t
reg_b_alloc(struct reg_shard *s)
{
	uint32_t bi = s->b_free;
	struct reg_binding *b = &s->b[bi];

	s->b_free = b->next;
	s->b_nfree--;
	s->n_bindings++;
	b->next = REG_NONE;
	b->ext = REG_NONE;
	b->counter = 0;
	b->flags = 0;
	return bi;
}

void
reg_b_remove_v(struct reg_shard *s, uint32_t bi, enum reg_event_type t, uint64_t now_ms,
	       int drop_empty_aor, const struct msg_version *v)
{
	struct reg_binding *b = &s->b[bi];
	uint32_t ai = b->aor, *link, n = 0;
	struct reg_aor *a = &s->aors[ai];

	reg_b_digest_remove(s, bi);
	if (t == REG_EV_DELETE || t == REG_EV_EVICT) {
		/* the removal is a change of its own: a new version, kept as a tombstone */
		struct msg_version tv;
		char aor[REG_AOR_MAX], key[REG_KEY_MAX];
		size_t aor_len = reg_aor_text(s, ai, aor), key_len = reg_b_key(s, bi, key);

		if (v != NULL) {
			tv = *v;
		} else {
			tv.counter = reg_version_next(s);
			tv.origin = s->conf.node_id;
		}
		b->counter = tv.counter;
		b->origin = tv.origin;
		reg_tomb_put(s, b->ident, &tv, a->bucket, aor, aor_len, key, key_len, now_ms);
	}
	if (v == NULL)
		reg_event_emit(s, t, bi, now_ms);
	reg_wheel_del(s, bi);
	for (link = &a->head; *link != REG_NONE && n <= a->n; link = &s->b[*link].next, n++) {
		if (*link == bi) {
			*link = b->next;
			break;
		}
	}
	a->n--;
	reg_b_release(s, bi);
	if (a->n == 0 && drop_empty_aor)
		reg_aor_del(s, ai);
}

void
reg_b_remove(struct reg_shard *s, uint32_t bi, enum reg_event_type t, uint64_t now_ms,
	     int drop_empty_aor)
{
	reg_b_remove_v(s, bi, t, now_ms, drop_empty_aor, NULL);
}

void
reg_shard_tick(struct reg_shard *s, uint64_t now_ms)
{
	reg_wheel_advance(s, now_ms, reg_b_expire);
	reg_tomb_tick(s, now_ms);
	if (s->dir.slot != NULL)
		REG_STAT_ADD(s, dir_expired, reg_dir_tick(&s->dir, (uint32_t)(now_ms / 1000)));
}

/* ---- owning worker lcore: internal API, events ---- */

/* An event of the small pool, taken before its record is packed: a shard
 * whose events nobody drains (no cp) pays a failed get per change, no more.
 * NULL when there is none (counted). */
static struct reg_event *
reg_event_take(struct reg_shard *s)
{
	void *obj;

	if (s->conf.events == NULL || rte_mempool_get(s->ev_pool, &obj) != 0) {
		REG_STAT_INC(s, events_dropped);
		return NULL;
	}
	return obj;
}

/* EV (of the small pool) filled as an event T numbered SEQ with room for LEN
 * bytes of record: EV, or one of the large pool for a longer record (EV goes
 * back); NULL when there is none (counted). */
static struct reg_event *
reg_event_fill(struct reg_shard *s, struct reg_event *ev, enum reg_event_type t, size_t len,
	       uint64_t seq)
{
	void *obj;

	if (len > REG_EV_PK_SMALL) {
		rte_mempool_put(s->ev_pool, ev);
		if (rte_mempool_get(s->ev_pool_large, &obj) != 0) {
			REG_STAT_INC(s, events_dropped);
			return NULL;
		}
		ev = obj;
	}
	ev->type = (uint8_t)t;
	ev->remote = 0;
	ev->tombstone = 0;
	ev->shard = (uint16_t)s->id;
	ev->sync_peer = t == REG_EV_SYNC ? s->sync_peer : 0;
	ev->aor_expires = 0;
	ev->pk_len = (uint16_t)len;
	ev->seq = seq;
	return ev;
}

void
reg_event_emit(struct reg_shard *s, enum reg_event_type t, uint32_t bi, uint64_t now_ms)
{
	const struct reg_binding *b = &s->b[bi];
	uint8_t pk[REG_PACK_REC_MAX];   /* the record, then copied into an event of its size */
	struct reg_event *ev;
	uint32_t aor_s = 0, left = 0;
	bool tomb = t == REG_EV_DELETE || t == REG_EV_EVICT;
	size_t len = 0;
	uint64_t seq;

	if (s->conf.federation) {
		/* the AoR's directory entry: its longest binding after the change */
		bool gone = tomb || t == REG_EV_EXPIRE;

		aor_s = reg_aor_left_s(s, b->aor, gone ? bi : REG_NONE, now_ms,
				       t != REG_EV_SYNC);
		if (t != REG_EV_SYNC) {
			char aor[REG_AOR_MAX];
			size_t aor_len = reg_aor_text(s, b->aor, aor);
			struct msg_version v = { b->counter, b->origin };

			reg_dir_note_local(s, aor, aor_len, &v, aor_s, now_ms);
		}
	}
	seq = ++s->ev_seq;      /* before: an event dropped leaves a gap the cp sees */
	ev = reg_event_take(s);
	if (ev == NULL)
		return;
	/* Remaining seconds: rounded up for a change made now (Expires: 3600 stays
	 * 3600), down for a copy (sync, repair), so that copies bounced between
	 * nodes never stretch a lifetime. An expiry is not sent: no record. */
	if ((t == REG_EV_INSERT || t == REG_EV_UPDATE) && b->expires_ms > now_ms)
		left = (uint32_t)((b->expires_ms - now_ms + 999) / 1000);
	else if (t == REG_EV_SYNC && b->expires_ms > now_ms)
		left = (uint32_t)((b->expires_ms - now_ms) / 1000);
	if (t != REG_EV_EXPIRE)
		len = reg_pack_binding(s, bi, left, tomb ? REG_PACK_F_TOMBSTONE : 0, pk);
	ev = reg_event_fill(s, ev, t, len, seq);
	if (ev == NULL)
		return;
	ev->aor_expires = aor_s;
	ev->tombstone = tomb;
	memcpy(ev->pk, pk, len);
	reg_event_put(s, ev);
}

void
reg_event_emit_rec(struct reg_shard *s, enum reg_event_type t, const struct reg_rec *r)
{
	uint8_t pk[REG_PACK_REC_MAX];
	struct reg_event *ev;
	size_t len = 0;
	uint64_t seq;

	if (s->quiet && t != REG_EV_SYNC)
		return;         /* a full sync's record: the cp would only count it */
	seq = ++s->ev_seq;      /* before: an event dropped leaves a gap the cp sees */
	ev = reg_event_take(s);
	if (ev == NULL)
		return;
	/* An applied record's event is only counted by the cp: no record. A sync
	 * copy (a tombstone of a repair) is sent, to its peer only. */
	if (t == REG_EV_SYNC) {
		len = reg_pack_rec(r, pk, sizeof(pk));
		if (len == 0) {         /* cannot be: the shard's own record, within limits */
			rte_mempool_put(s->ev_pool, ev);
			return;
		}
	}
	ev = reg_event_fill(s, ev, t, len, seq);
	if (ev == NULL)
		return;
	ev->remote = t != REG_EV_SYNC;
	ev->tombstone = r->tombstone;
	memcpy(ev->pk, pk, len);
	reg_event_put(s, ev);
}
