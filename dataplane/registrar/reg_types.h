/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the registrar shards (see dataplane/reg_shard.h for the algorithm).
 *
 * Public: the configuration of a shard (`struct reg_conf`), where a REGISTER came
 * from (`struct reg_src`), the AoR key (`struct reg_key`), the read-side view of
 * one binding (`struct reg_contact`), the change event pushed to the control
 * plane (`struct reg_event`) and the counters (`struct reg_stats`, X-macro).
 *
 * Internal to dataplane/reg_*.c: the fixed-size records and the shard. Records
 * live in arrays allocated once and are linked by 32-bit indices (REG_NONE ends
 * a list), so a binding costs no pointer and no allocator header:
 *   - `struct reg_binding` (192 B): one Contact of one AoR; its URI, the
 *     +sip.instance and the Path are one byte string kept inline up to
 *     REG_BINDING_INLINE bytes, the rest in a chain of overflow blocks;
 *   - `struct reg_aor` (56 B): indexed by the rte_hash position of its digest;
 *     the text "user@host", stored as the user part alone when the host is one of
 *     conf.domains (the usual case), overflow blocks beyond REG_AOR_INLINE;
 *   - `struct reg_ext` (64 B): an overflow block;
 *   - `struct reg_tomb` (64 B): a tombstone (identity, version, expiry, links),
 *     its text (AoR, contact key) in a chain of reg_ext blocks of its own pool.
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_TYPES_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_TYPES_H

#include <stdint.h>

#include "config/cfg_types.h"
#include "dataplane/registrar/reg_digest_types.h"
#include "dataplane/registrar/reg_dir_types.h"
#include "dataplane/sip/sip_types.h"
#include "proto/msg_types.h"

struct rte_ring;
struct rte_hash;
struct rte_mempool;

/* ---- limits ---- */

#define REG_AOR_MAX         256     /* "user@host" after normalisation */
#define REG_URI_MAX         512     /* a Contact URI */
#define REG_PATH_MAX        512     /* the Path values of a REGISTER, ", "-joined */
#define REG_INST_MAX        255     /* +sip.instance value, quotes removed */
#define REG_KEY_MAX         (REG_URI_MAX + 16)  /* contact key text (normalised URI) */
#define REG_TAG_MAX         31      /* sharing tag name of a binding */
#define REG_REQ_CONTACTS    64      /* Contact values in one REGISTER */
#define REG_NONE            UINT32_MAX
#define REG_DOM_NONE        0xff

#define REG_WHEEL_SLOTS     65536u  /* timer wheel slots per shard (power of 2) */
#define REG_WHEEL_MS        10u     /* one slot: expiry at most this late */
#define REG_TICK_VISITS     8u      /* bindings looked at per reg_shard_tick(): a slice of a few us */
#define REG_TICK_SLOTS      8192u   /* slots stepped over per reg_shard_tick() */
#define REG_RETRY_AFTER_S   30u     /* Retry-After of a 503 */
#define REG_TICK_TOMBS      8u      /* tombstones expired per reg_shard_tick() */
#define REG_SYNC_BUCKETS    64u     /* digest buckets visited per reg_shard_sync_dump() */
#define REG_SYNC_VISIT      32768u  /* positions visited per reg_shard_sync_pack() */
#define REG_TOMB_TEXT_BLOCKS 2u     /* text blocks per tombstone slot */

#define REG_DEFAULT_MAX_AORS      65536u
#define REG_DEFAULT_MAX_BINDINGS  131072u
#define REG_DEFAULT_EVENTS        16384u  /* small events; a full-sync chunk takes up to half */
#define REG_DEFAULT_TOMBSTONE_S   600u
#define REG_MAX_TOMBSTONE_S       86400u

/* ---- configuration ---- */

enum reg_full_policy {
	REG_FULL_REJECT,                /* new contact over max_contacts: 503 */
	REG_FULL_EVICT_OLDEST,          /* remove the oldest binding(s) to make room */
};

/* Filled by the dataplane from struct cfg; read-only for the shard's lifetime
 * (the shard keeps a copy; `domains` must outlive it). */
struct reg_conf {
	uint32_t default_expires, min_expires, max_expires;
	uint32_t max_contacts;          /* bindings per AoR */
	enum reg_full_policy on_max_contacts;
	uint16_t foreign_status;        /* 403 or 404 for a To domain not served */
	uint16_t node_id;               /* origin of the changes made here */
	uint32_t max_aors;              /* AoR table size per shard (>= 16) */
	uint32_t max_bindings;          /* binding pool size per shard (>= 16) */
	uint32_t max_ext;               /* overflow blocks; 0: max_bindings / 4 */
	uint32_t max_events;            /* event pool size; 0: REG_DEFAULT_EVENTS */
	uint32_t tombstone_s;           /* tombstone lifetime; 0: REG_DEFAULT_TOMBSTONE_S */
	uint32_t max_tombstones;        /* tombstone pool; 0: max_bindings / 8 (>= 64) */
	uint64_t hash_seed;             /* AoR digest key: same for all shards of a process */
	int n_domains;                  /* 0: every domain is served */
	const char (*domains)[CFG_STR]; /* lower-case */
	struct rte_ring *events;        /* shard->cp ring of struct reg_event *, may be NULL */
	char tag[REG_TAG_MAX + 1];      /* registrar.tag "NAME/CLUSTER" of local bindings, "" none */
	uint8_t tag_len;
	uint8_t federation;             /* cluster.mode federation: keep a directory (reg_dir.h) */
	uint32_t max_dir;               /* directory entries; 0: 4 x max_aors */
	uint32_t max_per_source;        /* bindings per source address in this shard; 0: no cap */
};

/* Where a REGISTER came from (the NAT-facing address of the phone). */
struct reg_src {
	uint8_t family;                 /* 4 or 6 */
	uint8_t local_port;             /* dataplane port index it arrived on */
	uint16_t port;                  /* source UDP port, host order */
	uint8_t addr[16];               /* IPv4 in the first 4 bytes, network order */
	uint8_t sock_family;            /* 4: arrived on a VIP (sock_*); 0: the port's address */
	uint16_t sock_port;             /* ... our UDP port it arrived on, host order */
	uint8_t sock_addr[16];          /* ... the VIP, network order */
	uint8_t unauth;                 /* not authenticated: no binding list over 3x (docs/security.md) */
	/* the request's top via-parm when the caller parsed it (sip_msg_top_via_at()
	 * and its end): the 200 OK's received/rport edit reuses it; NULL: parsed there */
	const struct sip_via *top_via;
	const char *top_via_next;
};

/* The address of record of a REGISTER: "user@host", host lower-cased, user as
 * on the wire with %-escapes normalised (RFC 3261 §19.1.4: an escaped unreserved
 * character is decoded, any other escape is kept with upper-case hex). A To URI
 * without user part gives "host". */
struct reg_key {
	uint64_t digest;                /* keyed 64-bit hash of aor[0..len) */
	uint16_t len;
	uint16_t user_len;              /* bytes before '@'; len when there is no user */
	uint8_t dom;                    /* index of host in conf.domains, or REG_DOM_NONE */
	/* reg_shard_prefetch()'s lookup of this key, kept for reg_aor_find(): the
	 * AoR's position in hint_shard (-1: absent), valid while that shard's AoR
	 * table is unchanged (hint_gen == its aor_gen). reg_key_build() clears it. */
	int32_t hint_pos;
	uint32_t hint_gen;
	const struct reg_shard *hint_shard;
	char aor[REG_AOR_MAX];
};

/* ---- read side ---- */

/* One binding as reg_shard_lookup() shows it (strings valid during the call). */
struct reg_contact {
	const char *uri;
	const char *instance;           /* without quotes, NULL when none */
	const char *path;               /* ", "-joined Path values, NULL when none */
	uint16_t uri_len, instance_len, path_len;
	uint16_t q;                     /* 0..1000 */
	uint32_t reg_id;                /* 0: none */
	uint32_t expires_in;            /* seconds left, >= 1 */
	uint32_t cseq;
	uint64_t version;               /* hybrid-clock counter of the last change */
	uint16_t origin;                /* node that made it */
	uint16_t sock_node;             /* node that received the REGISTER */
	uint8_t sock_family;            /* the local address it arrived on: 0 unknown */
	uint16_t sock_port;             /* ... its UDP port, host order */
	uint8_t sock_addr[16];          /* ... network order */
	uint64_t callid;                /* hash of the Call-ID */
	struct reg_src src;
	const char *tag;                /* sharing tag, NULL when none */
	uint16_t tag_len;
};

typedef int reg_binding_fn(const struct reg_contact *c, void *arg);  /* != 0 stops */

/* One entry of a digest bucket (reg_shard_bucket_walk(); text valid during the
 * call): a binding or a tombstone, with its version. */
struct reg_keyver {
	const char *aor;
	const char *key;
	uint16_t aor_len, key_len;
	uint8_t tombstone;
	struct msg_version version;
};

typedef int reg_keyver_fn(const struct reg_keyver *kv, void *arg);  /* != 0 stops */

/* ---- replicated records (cp -> shard) ---- */

/* A binding, or its tombstone, as the shard takes it from the cluster
 * (reg_shard_apply()) and gives it (reg_event_to_rec()). Identity: (aor, key),
 * key being the contact key as the shard matches contacts: "reg-id=N;INSTANCE"
 * for an RFC 5626 binding, else the normalised URI (reg_uri_canon()). Strings
 * are counted, not NUL-terminated. A tombstone needs aor, key and version only. */
struct reg_rec {
	struct msg_version version;
	uint8_t tombstone;
	uint8_t dir;                    /* a directory entry (federation): AoR, version,
					 * home = sock_node, expires_s; tombstone: removed */
	uint8_t family;                 /* received from: 4 or 6 */
	uint8_t local_port;             /* port index (on sock_node) it arrived on */
	uint8_t sock_family;            /* local address it arrived on: 0 unknown, 4, 6 */
	uint16_t port;                  /* received from: UDP port, host order */
	uint16_t sock_port;             /* local UDP port, host order */
	uint16_t sock_node;             /* node that received the REGISTER */
	uint16_t q;                     /* 0..1000 */
	uint32_t cseq;
	uint32_t expires_s;             /* remaining lifetime (>= 1), never a clock time */
	uint32_t reg_id;                /* 0: none */
	uint64_t callid;                /* sip_hash64(0, Call-ID): the same on every node */
	uint8_t addr[16];               /* received from, network order */
	uint8_t sock_addr[16];
	uint16_t aor_len, key_len, uri_len, instance_len, path_len, tag_len;
	char aor[REG_AOR_MAX];
	char key[REG_KEY_MAX];
	char uri[REG_URI_MAX];
	char instance[REG_INST_MAX];
	char path[REG_PATH_MAX];
	char tag[REG_TAG_MAX];
};

/* ---- change events (shard -> control plane) ---- */

#define REG_FOREACH_EVENT(X) \
	X(INSERT, "insert") \
	X(UPDATE, "update") \
	X(DELETE, "delete") \
	X(EXPIRE, "expire") \
	X(EVICT,  "evict") \
	X(SYNC,   "sync")    /* a full-sync copy for one peer (sync_peer), not a change */

enum reg_event_type {
#define REG_EV_ENUM(n, s) REG_EV_##n,
	REG_FOREACH_EVENT(REG_EV_ENUM)
#undef REG_EV_ENUM
	REG_EV__COUNT
};

/* One change of one binding, with the record the cluster sends for it already
 * in the pack encoding (reg_pack.h), written once by the shard from its store:
 * the cp appends pk to each peer's stream as it is. Allocated from one of the
 * shard's two event pools (REG_EV_PK_SMALL bytes of record, or the largest),
 * enqueued on conf.events; the consumer returns it with reg_event_free().
 * Expiry events and those of applied records (remote) carry no record. */
#define REG_EV_PK_SMALL   360u      /* record bytes of an event of the small pool */
#define REG_EV_LARGE      512u      /* events of the large pool */

struct reg_event {
	uint8_t type;                   /* enum reg_event_type */
	uint8_t remote;                 /* made by reg_shard_apply(): not to be sent again */
	uint8_t tombstone;              /* the removal left a tombstone (delete, evict) */
	uint8_t pad0;
	uint16_t shard;
	uint16_t sync_peer;             /* REG_EV_SYNC: the node it is for */
	uint32_t aor_expires;           /* seconds left of the AoR's longest binding after
					 * the change (0: none left): its directory entry */
	uint16_t pk_len;                /* bytes of pk; 0: no record */
	uint16_t pad1;
	uint64_t seq;                   /* per-shard event number, from 1; a dropped event leaves a gap */
	uint8_t pk[];                   /* the record: lifetime rounded up for a change
					 * made now, down for a copy (sync, repair), 0 for removals */
};

/* ---- counters ---- */

#define REG_FOREACH_STAT(X) \
	X(registers,      "REGISTER requests processed") \
	X(fetches,        "REGISTERs without Contact (bindings listed)") \
	X(reply_200,      "200 OK sent") \
	X(reply_400,      "400 Bad Request: malformed field, bad To, * misuse") \
	X(reply_403,      "403 Forbidden: To domain not served (foreign_domain_status 403)") \
	X(reply_404,      "404 Not Found: To domain not served (foreign_domain_status 404)") \
	X(reply_416,      "416 Unsupported URI Scheme: Request-URI not sip/sips") \
	X(reply_420,      "420 Bad Extension: Require names an option not supported") \
	X(reply_423,      "423 Interval Too Brief: expiry below min_expires") \
	X(reply_500,      "500 Server Internal Error: CSeq out of order, limits, digest collision") \
	X(reply_503,      "503 Service Unavailable: max_contacts (reject) or pools full") \
	X(inserts,        "bindings added") \
	X(refreshes,      "bindings updated") \
	X(deletes,        "bindings removed by expires 0 or Contact *") \
	X(expired,        "bindings removed on expiry") \
	X(evicted,        "bindings removed to make room (max_contacts evict-oldest)") \
	X(retransmits,    "contacts not applied: same Call-ID and CSeq (retransmission)") \
	X(cseq_stale,     "REGISTERs refused: same Call-ID with a lower CSeq") \
	X(max_contacts,   "REGISTERs refused by max_contacts") \
	X(pool_full,      "REGISTERs refused: binding pool empty") \
	X(aor_full,       "REGISTERs refused: AoR table full") \
	X(ext_full,       "REGISTERs refused: overflow block pool empty") \
	X(too_long,       "REGISTERs refused: URI, Path, instance or AoR over the limits") \
	X(collisions,     "REGISTERs refused: another AoR has the same 64-bit digest") \
	X(events_sent,    "change events enqueued to the control plane") \
	X(events_dropped, "change events lost: no ring, ring full or event pool empty") \
	X(reply_overflow, "replies that did not fit the output buffer") \
	X(wheel_visits,   "bindings looked at by the timer wheel") \
	X(sync_events,    "full-sync copies emitted (bindings and tombstones, for one peer)") \
	X(applied,        "replicated records applied (binding created, replaced or removed)") \
	X(stale,          "replicated records ignored: not newer than the binding or tombstone held") \
	X(apply_failed,   "replicated records refused: invalid, digest collision, pools or AoR table full") \
	X(tombstones,     "tombstones held (a gauge)") \
	X(tombstones_expired, "tombstones removed after tombstone_s") \
	X(tombstones_dropped, "tombstones dropped before tombstone_s to make room (pool full)") \
	X(ping_sent,      "NAT keepalive pings sent to contacts (this node's share)") \
	X(ping_answered,  "OPTIONS pings answered by the contact") \
	X(ping_missed,    "OPTIONS pings left unanswered when the next one was due") \
	X(ping_removed,   "bindings removed after nat_ping.max_failures unanswered pings") \
	X(ping_others,    "contacts passed over: another node pings them") \
	X(dir_applied,    "federation: directory records applied (a user's home set or removed)") \
	X(dir_stale,      "federation: directory records ignored: not newer than the entry held") \
	X(dir_moved,      "federation: users whose bindings were dropped here: registered at another node since") \
	X(dir_full,       "federation: directory entries refused: table full") \
	X(dir_expired,    "federation: directory entries expired") \
	X(list_withheld,  "200s to unauthenticated REGISTERs without the binding list (a query, or a list over 3x the request)") \
	X(source_full,    "REGISTERs refused (403): registrar.max_bindings_per_source reached for their source") \
	X(contact_known,  "Contact URIs found stored octet for octet (a refresh: key and identity taken from the binding)")

enum reg_stat {
#define REG_STAT_ENUM(n, h) REG_STAT_##n,
	REG_FOREACH_STAT(REG_STAT_ENUM)
#undef REG_STAT_ENUM
	REG_STAT_MAX
};

struct reg_stats {
	uint64_t c[REG_STAT_MAX];
};

#define REG_STAT_INC(s, n)      ((s)->st.c[REG_STAT_##n]++)
#define REG_STAT_ADD(s, n, v)   ((s)->st.c[REG_STAT_##n] += (v))

/* ---- internal records (dataplane/reg_*.c only) ---- */

#define REG_B_INSTANCE      0x01    /* keyed by (+sip.instance, reg-id), RFC 5626 */
#define REG_B_PING_PENDING  0x02    /* an OPTIONS ping is out, not answered yet */
#define REG_B_PING_RETRY    0x04    /* its ping found no neighbour MAC: retry it */
#define REG_B_KEY_URI       0x08    /* contact key == the stored URI (reg_b_key() copies it) */
#define REG_B_MISS_SHIFT    4       /* bits 4..7: unanswered pings in a row */
#define REG_B_MISS_MASK     0xf0
#define REG_BINDING_SIZE    192
#define REG_BINDING_INLINE  80
#define REG_AOR_SIZE        56
#define REG_AOR_INLINE      33
#define REG_EXT_SIZE        64
#define REG_EXT_DATA        60
#define REG_TOMB_SIZE       64

struct reg_binding {
	uint32_t next;                  /* next binding of the AoR (oldest first) / free list */
	uint32_t aor;                   /* owning AoR */
	uint32_t wprev, wnext;          /* timer wheel slot list */
	uint64_t expires_ms;            /* absolute, on the caller's monotonic clock */
	uint64_t callid;                /* hash of the Call-ID last applied */
	uint64_t counter;               /* version: hybrid-clock counter ... */
	uint64_t ident;                 /* reg_digest_ident(AoR, contact key): match, digest */
	uint32_t cseq;                  /* CSeq last applied */
	uint32_t ext;                   /* overflow chain of data, REG_NONE */
	uint32_t reg_id;
	uint16_t port;                  /* source port */
	uint16_t q;
	uint16_t origin;                /* ... and origin node */
	uint16_t uri_len;
	uint16_t path_len;
	uint16_t sock_node;             /* node that received the REGISTER */
	uint16_t sock_port;             /* local address it arrived on (0: unknown) */
	uint8_t inst_len;
	uint8_t tag_len;
	uint8_t family;
	uint8_t local_port;             /* port index (on sock_node) */
	uint8_t sock_family;
	uint8_t flags;                  /* REG_B_* */
	uint8_t addr[16];
	uint8_t sock_addr[16];
	char data[REG_BINDING_INLINE];  /* uri, instance, path, tag: first bytes */
};

struct reg_aor {
	uint32_t head;                  /* oldest binding */
	uint32_t ext;                   /* overflow chain of text, REG_NONE */
	uint32_t bprev, bnext;          /* AoRs of the same digest bucket */
	uint16_t n;                     /* bindings */
	uint16_t len;                   /* length of text */
	uint16_t bucket;                /* reg_digest_bucket(AoR) */
	uint8_t dom;                    /* text is the user part of user@domains[dom] */
	char text[REG_AOR_INLINE];
};

/* A removed binding's version, kept tombstone_s so that an older record of it
 * cannot bring it back. Text (AoR, then contact key) in s->tx blocks. */
struct reg_tomb {
	uint32_t fprev, fnext;          /* age list, oldest first / free list (fnext) */
	uint32_t hnext;                 /* identity hash chain */
	uint32_t bprev, bnext;          /* tombstones of the same digest bucket */
	uint32_t ext;                   /* text chain in s->tx */
	uint64_t ident;                 /* reg_digest_ident(AoR, contact key) */
	uint64_t counter;
	uint64_t expires_ms;
	uint16_t origin;
	uint16_t bucket;
	uint16_t aor_len, key_len;
	uint8_t pad[8];
};

struct reg_ext {
	uint32_t next;
	char data[REG_EXT_DATA];
};

struct reg_wheel {
	uint32_t *slots;                /* REG_WHEEL_SLOTS list heads */
	uint64_t cur;                   /* next absolute slot to process */
	uint32_t cursor;                /* where to resume inside slot cur */
	uint8_t resume;                 /* cursor is valid */
	uint8_t started;
};

/* One source address and its live bindings in a shard. */
struct reg_srcent {
	uint32_t count;                 /* 0: empty */
	uint8_t family;
	uint8_t addr[16];
};

struct reg_shard {
	struct reg_conf conf;
	unsigned id;
	struct rte_hash *hash;          /* digest -> position = AoR index */
	struct reg_aor *aors;
	struct reg_binding *b;
	struct reg_ext *ext;
	uint32_t b_free, b_nfree;       /* free lists */
	uint32_t x_free, x_nfree;
	uint32_t n_aors, n_bindings;    /* in use */
	uint32_t aor_gen;               /* + 1 at every change of hash (reg_key.hint_gen) */
	struct reg_wheel wheel;
	struct rte_mempool *ev_pool;    /* events with up to REG_EV_PK_SMALL bytes of record */
	struct rte_mempool *ev_pool_large;   /* REG_EV_LARGE events for the largest */
	uint64_t ev_seq;
	uint16_t sync_peer;             /* REG_EV_SYNC events being emitted are for it */
	uint8_t quiet;                  /* applying a full-sync pack: no `remote` events */
	/* replication (reg_repl.c) */
	struct msg_clock clock;         /* versions of the changes made here */
	uint64_t wall_ms;               /* wall clock of the REGISTER being applied */
	uint32_t *bucket_aor;           /* REG_DIGEST_BUCKETS heads: AoRs by bucket */
	uint32_t *bucket_tomb;          /* ... tombstones by bucket */
	struct reg_tomb *tomb;
	uint32_t *tomb_hash;            /* identity -> tombstone chains */
	uint32_t tomb_hmask;
	uint32_t t_free, t_oldest, t_newest, n_tombs;
	struct reg_ext *tx;             /* tombstone text blocks */
	uint32_t tx_free, tx_nfree, max_tx;
	struct reg_digest digest;
	struct reg_dir dir;             /* federation: AoR -> home (slot NULL otherwise) */
	uint64_t date_s;                /* Date header cache: UNIX second ... */
	char date[48];                  /* ... and its line, "Date: ...\r\n" */
	size_t hash_bytes, aor_bytes, b_bytes, x_bytes, wheel_bytes, ev_bytes, repl_bytes, dir_bytes;
	struct reg_stats st;
	/* bindings per source address (registrar.max_bindings_per_source): open
	 * addressing, linear probing, backward-shift deletion; NULL when no cap */
	struct reg_srcent *src_tab;
	uint32_t src_mask;
};

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_TYPES_H */
