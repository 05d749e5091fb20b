/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar shards: the bindings of a worker's share of the AoRs, RFC 3261 §10.3
 * processing of REGISTER, and the 200 OK (or error) text.
 *
 * Dispatch. The receiving worker calls reg_aor_key() on a parsed REGISTER: it
 * checks the Request-URI scheme (416), the To URI (400 unless sip/sips) and its
 * domain against conf.domains (conf.foreign_status), and returns the AoR
 * "user@host" with a keyed 64-bit digest. reg_key_shard(hash, n) names the
 * owning worker; the message goes there over the SPSC ring and that worker calls
 * reg_shard_register(), which recomputes the key (the message is re-parsed on
 * the owner anyway) unless the caller passes the one it has. The low 32 bits of
 * the digest pick the shard, the high 32 bits are the rte_hash signature, so a
 * shard's AoRs spread over all its buckets. The digest is keyed by
 * conf.hash_seed (random per process) so that nobody can aim AoRs at one bucket.
 *
 * Store. Per shard, everything is allocated by reg_shard_create() from the
 * config and never grows:
 *   - an rte_hash (extendable buckets, so every one of max_aors keys fits) maps the
 *     8-byte digest to a position, which indexes the AoR array; the AoR record
 *     holds the AoR text, checked on every lookup (a different AoR with the same
 *     digest is refused with 500 and counted, never merged);
 *   - the bindings of an AoR are a singly linked list of binding records, oldest
 *     first (eviction takes the head); a binding's URI, +sip.instance and Path
 *     are stored inline up to REG_BINDING_INLINE bytes, then in 64-byte overflow
 *     blocks. Free records are linked through their `next` index.
 * A typical binding (one contact per AoR, URI + instance <= 80 bytes, no Path)
 * costs one binding (192 B) + one AoR record (56 B) + one hash entry (measured at
 * create, ~41 B) + its share of the tombstone pool and bucket index (~24 B):
 * reg_shard_bytes_per_binding().
 *
 * REGISTER (RFC 3261 §10.3, RFC 3327, RFC 5626). Validation first, then every
 * contact is matched to a binding, by (+sip.instance, reg-id) when both are
 * present, else by URI (scheme and host case-insensitive, user and the rest
 * exact after %-escape normalisation: stricter than §19.1.4 on parameters, a
 * URI with an extra parameter is a new binding). The whole request is checked
 * (423, Call-ID/CSeq order, max_contacts, pool room) before anything changes,
 * then applied at once: a request either applies completely or leaves the shard
 * as it was. The reply is written into the caller's buffer in the same call.
 *
 * Expiry. A timer wheel of REG_WHEEL_SLOTS slots of REG_WHEEL_MS: a binding sits
 * in slot ceil(expires_ms / REG_WHEEL_MS), doubly linked, so a refresh or delete
 * moves it in O(1). reg_shard_tick() walks the slots that are due, at most
 * REG_TICK_VISITS bindings and REG_TICK_SLOTS slots per call, and resumes where
 * it stopped; a binding in a due slot with a later expiry (a later turn of the
 * wheel) stays. A binding is never removed before its expiry and at most one
 * slot after it; readers (200 OK, lookup) hide a binding from its expiry on, so
 * what a phone or an operator sees is exact to the millisecond.
 *
 * Events. Every insert, update, delete, expiry and eviction allocates a
 * struct reg_event from the shard's event mempool and enqueues it on
 * conf.events with the binding's version, its contact key and a per-shard
 * sequence number; with no ring, a full ring or an empty pool it is counted in
 * events_dropped. reg_event_to_rec() turns an event into the record the cluster
 * carries; events of reg_shard_apply() are marked remote (only the origin of a
 * change sends it: full mesh).
 *
 * Replication (reg_repl.c; records from the cluster arrive through dp_reg_apply_poll). A binding's
 * version is (counter, origin node): the counter comes from the shard's hybrid
 * clock (proto/msg_version.h: max(last, wall_ms << 16) + 1 for a change made
 * here: insert, refresh, delete, eviction; a record applied from elsewhere
 * raises `last` to its counter). Its identity is (AoR, contact key), the key
 * being "reg-id=N;INSTANCE" for an RFC 5626 binding, else the normalised URI;
 * the binding keeps reg_digest_ident() of it. reg_shard_apply() applies a
 * record iff its version is above what the shard holds for that identity,
 * binding or tombstone (msg_version_cmp(): counter, then origin, and a
 * tombstone wins an exact tie); else it is counted stale and ignored. A live
 * record creates or replaces the binding, expiring its remaining lifetime
 * after now_ms (never a clock time from elsewhere); max_contacts is not
 * enforced (the origin did; its evictions arrive as tombstones). A tombstone
 * record removes the binding. Removals by delete (expires 0, `*`), eviction or
 * an applied tombstone leave a tombstone (identity, version, AoR and key text)
 * for conf.tombstone_s, so that an older record arriving late cannot bring the
 * binding back; after that, it can (the documented limit: tombstone_s must
 * exceed the longest replication delay, a partition included). Expiry is not
 * replicated and leaves no tombstone. Tombstones are a fixed pool
 * (conf.max_tombstones records, REG_TOMB_TEXT_BLOCKS text blocks each) in an
 * age list: they expire from its head in reg_shard_tick() (bounded), and when
 * the pool is full the oldest is dropped (tombstones_dropped). A shard keeps a
 * struct reg_digest of its bindings and tombstones, updated by XOR on every
 * change, and lists per digest bucket its AoRs and its tombstones (doubly
 * linked), so that reg_shard_bucket_walk() visits one bucket's entries only.
 *
 * Threads. One writer per shard: its worker lcore calls register, tick, apply,
 * the bucket walk and the read functions (a telemetry thread must ask the worker); nothing is locked. Create and free run on the main lcore
 * before and after the workers. The fast path (register, tick) does not
 * allocate, log, lock or make system calls, and every loop is bounded by the
 * message length, max_contacts or the tick budget.
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_SHARD_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "dataplane/registrar/reg_types.h"
#include "dataplane/sip/sip_types.h"

/* ---- receiving worker: dispatch ---- */

/* AoR of a parsed REGISTER. Returns 0 with *key and *hash (low 32 bits of the
 * digest), or the SIP status to answer: 400 (To missing, malformed, not
 * sip/sips, AoR over REG_AOR_MAX), 416 (Request-URI not sip/sips), or
 * c->foreign_status (To domain not in c->domains). */
int reg_aor_key(const struct reg_conf *c, const struct sip_msg *m, struct reg_key *key,
		uint32_t *hash);

/* The same key from text as an operator types it ("alice@Example.com", an
 * optional "sip:"/"sips:" prefix). No domain check. 0 or -EINVAL. */
int reg_key_from_text(const struct reg_conf *c, const char *aor, size_t len,
		      struct reg_key *key);

/* Owning shard of a key hash among n (multiply-shift, no division). */
static inline unsigned
reg_key_shard(uint32_t hash, unsigned n)
{
	return (unsigned)(((uint64_t)hash * n) >> 32);
}

/* ---- main lcore ---- */

struct cfg;

/* A shard configuration from the node's config: registrar.*, sip.domains (kept by
 * pointer: cfg must outlive the shards), node.id, a random digest seed
 * (rte_rand()), and the shard->cp ring (may be NULL). */
void reg_conf_from_cfg(struct reg_conf *rc, const struct cfg *cfg, struct rte_ring *events);

/* NULL with rte_errno set (EINVAL bad conf, ENOMEM, EEXIST). */
struct reg_shard *reg_shard_create(const struct reg_conf *c, unsigned shard, int socket);
void reg_shard_free(struct reg_shard *s);

/* ---- owning worker: fast path ---- */

/* Warm the cache for the REGISTERs of a burst before they are applied one by
 * one (issue 16: stage by stage): one rte_hash bulk lookup of the n keys, whose
 * bucket and key reads overlap instead of each stalling in turn, then the AoR
 * records found and their first bindings are prefetched. Each key keeps what the
 * lookup found (reg_key.hint_*), and the later reg_shard_register() or apply
 * with that key takes it instead of looking it up again, as long as no AoR was
 * added to or removed from the shard in between (then it looks up again).
 * Changes nothing in the shard, so any order of the later calls stays correct;
 * n is cut to REG_PREFETCH_MAX. */
#define REG_PREFETCH_MAX 32
void reg_shard_prefetch(const struct reg_shard *s, struct reg_key *const *keys, unsigned int n);

/* Apply one parsed REGISTER (sip_msg_parse() succeeded) and write the whole
 * response (status line .. blank line, Content-Length: 0) into out. key: what
 * reg_aor_key() gave for m with this shard's conf when the caller has it at hand
 * (the receiving worker is the owner), else NULL and it is computed here. The
 * top Via of the response carries received/rport from src (RFC 3261 §18.2.1,
 * RFC 3581; src NULL: Via copied as is). Returns the status code; *out_len is
 * the length written, 0 only when cap is too small (counted in reply_overflow;
 * the request is applied all the same). now_ms: monotonic milliseconds, never
 * going back; wall_s: UNIX time for Date. */
int reg_shard_register(struct reg_shard *s, const struct sip_msg *m, const struct reg_key *key,
		       const struct reg_src *src, uint64_t now_ms, uint64_t wall_s, char *out,
		       size_t cap, size_t *out_len);

/* Expire the due bindings and tombstones (bounded work; call it every loop turn). */
void reg_shard_tick(struct reg_shard *s, uint64_t now_ms);

/* Apply a record from the cluster (rules above). 0 applied, 1 stale (older or
 * equal: ignored), -EINVAL (malformed record, or a contact key that is not the
 * one this shard computes from its URI / instance), -EEXIST (another AoR has
 * the same digest), -ENOBUFS (binding pool or overflow blocks exhausted),
 * -ENOSPC (AoR table full); the errors count in apply_failed. The record's
 * AoR must belong to this shard (reg_key_shard()). */
int reg_shard_apply(struct reg_shard *s, const struct reg_rec *r, uint64_t now_ms);

/* Full sync and bucket repair, sending side: emit a REG_EV_SYNC event
 * (sync_peer = PEER) for each binding (with at least a second left at NOW_MS:
 * copies carry whole seconds, rounded down) and tombstone from the cursor
 * (*bucket, *skip: digest bucket, entries of it already emitted) up to bucket
 * END (exclusive; REG_DIGEST_BUCKETS for the whole shard), advancing the
 * cursor; the cp sends each to PEER only. Bounded work: stops after MAX events,
 * after REG_SYNC_BUCKETS buckets, or while the event pool or ring is more than
 * half used (live changes keep their room). Returns the events emitted;
 * *bucket == END when the range has been emitted. */
unsigned int reg_shard_sync_dump(struct reg_shard *s, uint16_t peer, uint32_t *bucket,
				 uint32_t *skip, uint32_t end, unsigned int max,
				 uint64_t now_ms);

/* A full sync's copies of the shard's bindings and tombstones written into
 * OUT (CAP bytes) in the pack encoding (reg_pack.h), from position *POS: the
 * binding array in index order (sequential memory, unlike the digest buckets
 * of reg_shard_sync_dump(): the order of a full sync is irrelevant), then the
 * tombstones. Returns the records packed (their bytes in *USED) and moves
 * *POS; stops at MAX records, when the longest record might not fit, or after
 * REG_SYNC_VISIT positions (a sparse table never stalls the worker). Done when
 * *POS reaches reg_shard_sync_end(). Lifetimes rounded down, as a copy's. */
unsigned int reg_shard_sync_pack(struct reg_shard *s, uint32_t *pos, unsigned int max,
				 uint8_t *out, size_t cap, size_t *used, uint64_t now_ms);
uint32_t reg_shard_sync_end(const struct reg_shard *s);

/* Applies every record of a pack (LEN bytes, reg_pack.h) read AGE_MS after
 * their lifetimes were (subtracted, rounded up, at least 1 s left) as
 * reg_shard_apply() does: the records taken; a malformed one ends the pack
 * (counted apply_failed). */
unsigned int reg_shard_apply_pack(struct reg_shard *s, const uint8_t *data, size_t len,
				  uint32_t age_ms, uint64_t now_ms);

/* ---- owning worker: NAT keepalive pinging (reg_ping.c) ---- */

/* A binding due for a ping (text valid during the call). */
struct reg_ping_target {
	uint32_t bi;                    /* binding index: the reply names it */
	uint64_t ident;                 /* reg_digest_ident(AoR, contact key) */
	uint8_t family;                 /* 4 or 6: where the REGISTER came from */
	uint8_t local_port;             /* our port it arrived on */
	uint16_t port;
	const uint8_t *addr;
	uint8_t sock_family;            /* the local address it arrived on: 0 unknown */
	const uint8_t *sock_addr;       /* ... network order (a VIP: pinged from it) */
	const char *uri;                /* the Contact URI */
	uint16_t uri_len;
	const char *tag;                /* the binding's sharing tag, "" none */
	uint8_t tag_len;
	bool retry;                     /* its last ping found no neighbour (REG_PING_NO_NEIGH) */
	bool pending;                   /* a ping of this node is out, not answered yet */
};

/* Whether this node pings the contact: REG_PING_OTHERS (another node's share:
 * its miss count is cleared), REG_PING_MINE, REG_PING_SKIP (not in this walk:
 * left untouched; a catch-up or retry walk), or REG_PING_EXTRA (a ping out of
 * its moment, a catch-up or a retry: sent, no miss counted for it). */
enum { REG_PING_OTHERS = 0, REG_PING_MINE = 1, REG_PING_SKIP = 2, REG_PING_EXTRA = 3 };
typedef int reg_ping_mine_fn(void *arg, const struct reg_ping_target *t);
/* The send: 0 sent; REG_PING_NO_NEIGH when the next hop's MAC is not known yet
 * (the binding is marked for a retry walk, t->retry); another value: not sent. */
#define REG_PING_NO_NEIGH 1
typedef int reg_ping_send_fn(void *arg, const struct reg_ping_target *t);

/* Ping the live bindings of digest bucket BUCKET that MINE says are this node's:
 * with TRACK (OPTIONS), a binding whose last ping is still unanswered counts a
 * miss, and MAX_FAILURES misses in a row (0: never) remove it (a delete with a
 * tombstone, replicated like any delete) instead of pinging it again. Returns
 * the pings sent. Bounded by the bucket: about bindings / 4096 per call. */
unsigned int reg_shard_ping_bucket(struct reg_shard *s, uint16_t bucket, uint64_t now_ms,
				   bool track, uint8_t max_failures, reg_ping_mine_fn *mine,
				   reg_ping_send_fn *send, void *arg);

/* A reply to the ping of binding BI whose identity's low 32 bits are IDENT_LO:
 * the binding is answered (its miss count cleared). 0, or -ENOENT when the
 * binding is gone or is another one now. */
int reg_shard_ping_reply(struct reg_shard *s, uint32_t bi, uint32_t ident_lo);

/* ---- owning worker: read side ---- */

/* Call fn for each current binding of AOR (text as reg_key_from_text() takes
 * it), oldest first. Returns the number of bindings reported (0: unknown AoR),
 * or -EINVAL. */
int reg_shard_lookup(const struct reg_shard *s, const char *aor, size_t len, uint64_t now_ms,
		     reg_binding_fn *fn, void *arg);

void reg_shard_counts(const struct reg_shard *s, uint64_t *aors, uint64_t *bindings);

/* Federation: the home node of AOR (text as reg_key_from_text() takes it) in the
 * directory: 1 with *home, 0 when no live entry (or no directory), -EINVAL. */
int reg_shard_dir_find(const struct reg_shard *s, const char *aor, size_t len, uint64_t now_ms,
		       uint16_t *home);
/* Federation: live directory entries of the shard (every node's users). */
uint32_t reg_shard_dir_count(const struct reg_shard *s);
/* Federation: entries the directory can hold and the bytes of its table (0, 0
 * without a directory). */
void reg_shard_dir_size(const struct reg_shard *s, uint32_t *entries, size_t *bytes);
uint32_t reg_shard_tombstones(const struct reg_shard *s);

/* The shard's per-bucket digest of its bindings and tombstones (the cp merges
 * the shards' with reg_digest_merge()). */
const struct reg_digest *reg_shard_digest(const struct reg_shard *s);

/* Call fn for every binding (expired ones the wheel has not removed yet
 * included: they are in the digest) and every tombstone of digest bucket
 * BUCKET. Cost: that bucket's AoRs, bindings and tombstones only (per shard
 * about entries / REG_DIGEST_BUCKETS), a URI normalisation per binding. Returns
 * the number reported, -EINVAL for a bucket out of range. */
int reg_shard_bucket_walk(const struct reg_shard *s, uint16_t bucket, reg_keyver_fn *fn,
			  void *arg);
const struct reg_stats *reg_shard_stats(const struct reg_shard *s);
const char *reg_stat_name(enum reg_stat i);     /* "reply_200" */
const char *reg_stat_help(enum reg_stat i);

/* Memory of one typical binding: binding record + AoR record + hash entry, each
 * measured from what create allocated divided by its capacity. */
size_t reg_shard_bytes_per_binding(const struct reg_shard *s);

/* What create allocated, in bytes (heap measurements). */
struct reg_mem {
	size_t hash, aors, bindings, ext, wheel, events, repl, total;
};
void reg_shard_mem(const struct reg_shard *s, struct reg_mem *mem);

/* ---- control plane: events ---- */

const char *reg_event_type_name(enum reg_event_type t);   /* "insert" */

/* The record of a change event decoded (what the cp sends is ev->pk as it is,
 * unless ev->remote). 0, or -EINVAL for an event without a record (expiry,
 * applied record) or a record that does not decode. */
int reg_event_to_rec(const struct reg_event *ev, struct reg_rec *r);

/* Give a consumed event back to its shard's pool (any process, any thread). */
static inline void
reg_event_free(struct reg_event *ev)
{
	rte_mempool_put(rte_mempool_from_obj(ev), ev);
}

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_SHARD_H */
