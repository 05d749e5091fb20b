/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the dataplane shares with the control plane of the same node.
 *
 * The primary reserves the memzone DP_SHARED_MZ at start; the control plane (a
 * secondary process, same virtual addresses) looks it up and reads the per-lcore
 * counters through `lcores`, exactly as telemetry does. Questions about a shard
 * (contacts of an AoR, counts) are asked through the shard's query slot: the asker
 * takes `query_lock` (never taken by a worker), fills the slot and bumps
 * `seq_req`; the worker sees seq_req != seq_done once per loop pass
 * (dp_sip_serve), answers into `out` and sets seq_done. So a shard's tables keep exactly one reader-writer, its
 * worker. Answers are binary records (below), never text: the worker does not
 * format or allocate; the asker (control plane, telemetry) builds the JSON.
 * The registrar and proxy counters are read the way dp_stats are, through
 * `lcores[i]` (`->reg` with reg_shard_stats(), `->proxy.st`): plain per-lcore
 * words written by their worker, summed by the reader, no lock. The control plane publishes its view of the cluster nodes in `nodes`
 * under a sequence lock (odd while writing) for the dataplane's telemetry.
 * Worker 0 (the backend prober, sole writer) publishes the backend members and
 * their health in `backends` the same way, every probe round (at most every
 * DP_BACKENDS_PUB_MS), for `sipshardctl backends`. The control plane also
 * publishes its replication counters in `repl` (names and values, the same as
 * the `replication` object of `sipshardctl stats`), every DP_REPL_PUB_MS, for
 * /sipshard/stats: the counters live in the control plane's process.
 * With a cluster, the control plane tells worker 0 in `bsets` which backend sets
 * it probes (their sharing tag is held here) and the member states the holder
 * replicated for the others; worker 0 re-reads it when bsets_seq moves.
 * Every packet lcore reads the VIPs of the tag view (dp_shared_vips(), bounded,
 * no lock) every DP_VIP_REFRESH_MS into its own copy (dp_vip.h).
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_SHARED_H
#define SIPSHARD_DATAPLANE_CORE_DP_SHARED_H

#include <stdint.h>

#include <rte_spinlock.h>

#include "dataplane/core/dp_types.h"

#define DP_SHARED_MZ        "ss_shared"
#define DP_SHARED_MAGIC     0x53535348u      /* "SSSH" */
#define DP_SHARED_VERSION   22u     /* 3: binary shard-query records; 4: ss_from_cp carries payload + dp_egress_desc; 5: stop handshake; 6: 64-bit binding versions; 7: replication rings, reg_sync, sync dumps; 8: digest queries, tag view; 9: priority rings for topology messages, replication counters; 10: tag VIPs; 11: node incarnations; 12: backend sets' probing control (bsets); 13: federation directory counts, DP_QUERY_CONTACT_WHERE; 14: auth reload, cp_pid; 15: arp_unsolicited, neigh_mac_kept counters; 16: neigh_held, neigh_released counters, cluster-port admission (cgate, drops); 17: admin slots (`ask`), nd_requests and nd_learnt counters; 18: a set of `ask` slots for sync dumps, the nodes' heard_wall_ms, the default tag's flag; 19: IPv6 VIPs (vip6), nd_vip_answered and una_sent counters; 20: the tag view's handover (prev_owner, switch_ms); 21: full-sync packs (DP_QUERY_SYNC_PACK, DP_RING_APPLY_PACK, DP_PACK_POOL); 22: the sync slots answer in sync_out (DP_SYNC_OUT) */
#define DP_CP_DETACH_MS     4000u    /* longest wait for the cp to detach (and exit) at stop */
#define DP_RING_FROM_CP     "ss_from_cp"     /* frames the control plane sends */
#define DP_RING_FROM_CP_PRIO "ss_from_cp_hi" /* ... its topology messages: sent first */
#define DP_RING_EVENTS      "ss_ev_s%u"      /* shard i -> cp: change events (struct reg_event *) */
#define DP_RING_APPLY       "ss_ap_s%u"      /* cp -> shard i: records to apply (struct reg_rec *) */
#define DP_REC_POOL         "ss_rec"         /* struct reg_rec objects for DP_RING_APPLY */
#define DP_RING_APPLY_PACK  "ss_apk_s%u"     /* cp -> shard i: full-sync packs (struct reg_pack_buf *) */
#define DP_PACK_POOL        "ss_pack"        /* struct reg_pack_buf objects for DP_RING_APPLY_PACK */
#define DP_QUERY_ARG        256
#define DP_QUERY_OUT        16384
/* The answer of a DP_ASK_SYNC slot: a full sync's dump of about 570 packed
 * records (a round trip to the shard each; 16 KB answers held the sync near
 * 0.37 M bindings/s, docs/benchmarks.md). A shard packs it in 30-60 us. */
#define DP_SYNC_OUT         65536
#define DP_MAX_NODES        64

enum dp_query_kind {
	DP_QUERY_NONE,
	DP_QUERY_CONTACTS_COUNT,    /* out: struct dp_contact_counts of the shard */
	DP_QUERY_CONTACT_SHOW,      /* arg: AoR; out: struct dp_contact_show, records */
	DP_QUERY_CONTACT_LIST,      /* arg: AoR; out: struct dp_contact_rec[] */
	DP_QUERY_SYNC_DUMP,         /* arg: "PEER BUCKET SKIP MAX [END]"; out: struct dp_sync_dump */
	DP_QUERY_DIGEST,            /* arg: "FIRST N"; out: N uint64_t bucket digests */
	DP_QUERY_CONTACT_WHERE,     /* arg: AoR; out: struct dp_contact_where (federation) */
	DP_QUERY_SYNC_PACK,         /* arg: "POS MAX"; out: struct dp_sync_dump (skip: the next
				     * POS, bucket REG_DIGEST_BUCKETS when done, else 0), then
				     * `emitted` records in the pack encoding (reg_pack.h) */
};

#define DP_DIGEST_PER_QUERY (DP_QUERY_OUT / 8)   /* buckets one DP_QUERY_DIGEST returns */

/* A DP_QUERY_SYNC_DUMP answer: the shard emitted `emitted` REG_EV_SYNC events
 * for the peer (reg_shard_sync_dump) and the cursor moved to (bucket, skip);
 * bucket == END (default REG_DIGEST_BUCKETS): done. */
struct dp_sync_dump {
	uint32_t bucket;
	uint32_t skip;
	uint32_t emitted;
};

/* A DP_QUERY_CONTACTS_COUNT answer. */
struct dp_contact_counts {
	uint64_t aors;
	uint64_t contacts;
	uint64_t directory;         /* federation: live directory entries; else 0 */
};

/* A DP_QUERY_CONTACT_WHERE answer: the home node of the AoR in the shard's
 * directory (0: none), and whether it has bindings here. */
struct dp_contact_where {
	char aor[DP_QUERY_ARG];     /* the AoR as normalised by the shard */
	uint16_t aor_len;
	uint16_t home;
	uint32_t local;             /* bindings of the AoR held here */
};

/* A DP_QUERY_CONTACT_SHOW answer (everything `sipshardctl contacts show` prints):
 * this head, then `n` records, each a struct dp_contact_ent followed by its
 * strings back to back (uri, instance, path; not NUL-terminated), padded to
 * DP_CONTACT_ENT_SIZE() bytes. -ENOSPC when they do not fit DP_QUERY_OUT. */
struct dp_contact_show {
	uint32_t n;
	uint16_t aor_len;
	char aor[DP_QUERY_ARG];     /* the AoR as normalised by the shard */
};

#define DP_CONTACT_F_INSTANCE 0x01  /* has a +sip.instance (instance_len may be 0) */
#define DP_CONTACT_F_PATH     0x02  /* has a Path */

struct dp_contact_ent {
	uint64_t version;           /* hybrid-clock counter of the origin */
	uint32_t expires_in;
	uint32_t cseq;
	uint32_t reg_id;            /* 0: none */
	uint16_t q;                 /* thousandths */
	uint16_t origin;            /* node id */
	uint16_t port;              /* source port it registered from */
	uint16_t uri_len;
	uint16_t instance_len;
	uint16_t path_len;
	uint8_t family;
	uint8_t local_port;         /* dataplane port index it arrived on */
	uint8_t flags;              /* DP_CONTACT_F_* */
	uint8_t pad;
	uint8_t addr[16];
};

#define DP_CONTACT_ENT_SIZE(e) \
	RTE_ALIGN_CEIL(sizeof(struct dp_contact_ent) + (size_t)(e)->uri_len + \
		       (e)->instance_len + (e)->path_len, 8)

/* One binding in a DP_QUERY_CONTACT_LIST answer. */
struct dp_contact_rec {
	char uri[232];              /* cut to fit, NUL-terminated */
	uint32_t expires_in;
	uint16_t q;                 /* thousandths */
	uint16_t origin;            /* node id */
	uint16_t port;              /* source port it registered from */
	uint8_t family;
	uint8_t addr[16];
};

/* The sets of asynchronous query slots (struct dp_shared's `ask`). */
enum dp_ask_set {
	DP_ASK_ADMIN,               /* the admin socket's questions */
	DP_ASK_SYNC,                /* full-sync dump chunks */
	DP_ASK_SETS
};

struct dp_query {
	volatile uint32_t seq_req;
	volatile uint32_t seq_done;
	uint32_t kind;              /* enum dp_query_kind */
	int32_t rc;                 /* 0, or -errno */
	uint32_t len;               /* bytes in out */
	char arg[DP_QUERY_ARG];
	char out[DP_QUERY_OUT];
} __rte_cache_aligned;

/* One node as the control plane sees it (names are the sipshardctl strings). */
struct dp_node_view {
	uint16_t id;
	uint8_t self;
	uint32_t address;           /* IPv4, host order */
	char state[12];
	char caps[3][12];           /* registrations, backends, tags */
	uint64_t incarnation;       /* its run: wall-clock start, microseconds (0 unknown) */
	uint64_t heard_wall_ms;     /* wall clock of the last message accepted from it (0: never;
				     * this node: when published) */
};

/* One sharing tag as the control plane sees it (as `sipshardctl tags`). */
#define DP_MAX_TAGS         32
struct dp_tag_view {
	char name[64];
	uint32_t cluster;
	uint16_t owner;             /* 0: nobody holds it */
	uint8_t active;             /* held by this node */
	uint8_t dflt;               /* the default tag: owns untagged work (default_tag) */
	uint32_t vip;               /* IPv4, host order, from this node's config; 0: none */
	uint8_t vip6[16];           /* IPv6 (network order) instead; all 0: none */
	uint64_t term;
	uint16_t prev_owner;        /* a handover: PREV_OWNER pings the tag's contacts */
	uint64_t switch_ms;         /* until this wall-clock ms, OWNER from then; 0: none */
};

#define DP_MAX_REPL_COUNTERS 96        /* replication counters published */
#define DP_REPL_PUB_MS      100

enum dp_counter_group {
	DP_CG_REPL,                 /* "replication": the node's counters */
	DP_CG_REPL_STREAMS,         /* "replication.streams": summed over the peers */
};

/* One published counter (the name as sipshardctl stats prints it). */
struct dp_counter_view {
	char name[31];
	uint8_t group;              /* enum dp_counter_group */
	uint64_t value;
};

#define DP_MAX_BACKENDS     128        /* LB_MAX_SETS x members */
#define DP_BACKENDS_PUB_MS  100

/* One backend member as the prober last saw it. */
struct dp_backend_view {
	uint32_t set;
	uint32_t weight;
	uint64_t probes;            /* OPTIONS sent to it */
	uint64_t replies;           /* ... answered */
	uint64_t downs;             /* times it went down */
	uint16_t misses;
	char state[8];              /* "up", "down" */
	char uri[128];
};

/* One backend set as the control plane rules it (backends[].tag): probed here,
 * or by the holder of its tag, whose member states (`up`) apply when `known`. */
#define DP_MAX_BSETS        8          /* = CFG_MAX_SETS */
struct dp_bset_view {
	uint32_t set;               /* backends[].set */
	uint8_t probe;              /* 1: this node's tag: worker 0 probes it */
	uint8_t known;              /* 0: no states heard yet (keep the current ones) */
	uint16_t holder;            /* node holding the set's tag (0: nobody) */
	uint32_t up;                /* probe 0, known 1: bit i = member i up */
};

struct dp_shared {
	uint32_t magic;
	uint32_t version;
	uint16_t node_id;
	uint16_t n_workers;
	uint16_t n_ports;
	uint64_t start_tsc;
	uint64_t tsc_hz;
	uint64_t reg_hash_seed;                   /* AoR digest seed: the cp routes records by it */
	struct dp_lcore *lcores[DP_MAX_LCORES];   /* workers, then the control lcore */
	struct dp_port ports[CFG_MAX_PORTS];      /* copies; .device is not valid here */
	rte_spinlock_t query_lock;
	struct dp_query query[CFG_MAX_WORKERS];   /* one slot per shard */
	/* More slots per shard, one set per asker of the control plane's loop (one
	 * thread, no lock): the admin socket, a full sync's dumps. It asks
	 * (dp_shared_ask) and comes back for the answer on later loop passes
	 * (dp_shared_answer), so that a shard query never holds the cp loop, and a
	 * shard dumps the next sync chunk while the cp sends the last one. */
	struct dp_query ask[DP_ASK_SETS][CFG_MAX_WORKERS];
	/* The DP_ASK_SYNC slots answer here, not in their own `out`. */
	char sync_out[CFG_MAX_WORKERS][DP_SYNC_OUT] __rte_cache_aligned;
	/* Stop handshake: the dataplane sets dp_stopping once its lcores have
	 * stopped and waits (at most DP_CP_DETACH_MS) for cp_attached to fall
	 * before it frees the rings and pools the control plane uses. */
	volatile uint32_t dp_stopping;            /* written by the dataplane */
	volatile uint32_t cp_attached;            /* written by the control plane */
	volatile int32_t cp_pid;                  /* ... its process, waited for too (its EAL
						   * must be gone before we free memory: a free
						   * asks every secondary to sync, and one in
						   * rte_eal_cleanup never answers) */
	/* Written by the control plane: this node's registrations sync state (enum
	 * msg_cap_state). Until synced, a request for an AoR without a binding here
	 * is answered 480, not 404 (dp_reg_lookup). */
	volatile uint32_t reg_sync;
	/* Written by the control plane. */
	volatile uint64_t cp_seen_tsc;            /* last cp loop pass */
	volatile uint32_t nodes_seq;              /* odd while being written */
	uint32_t n_nodes;
	struct dp_node_view nodes[DP_MAX_NODES];  /* as `sipshardctl nodes` */
	volatile uint32_t tags_seq;               /* odd while being written */
	uint32_t n_tags;
	struct dp_tag_view tags[DP_MAX_TAGS];     /* as `sipshardctl tags` */
	volatile uint32_t repl_seq;               /* odd while being written */
	uint32_t n_repl;
	struct dp_counter_view repl[DP_MAX_REPL_COUNTERS];
	/* Written by the control plane (cluster only): who probes each backend set. */
	volatile uint32_t bsets_seq;              /* odd while being written; 0: never */
	uint32_t n_bsets;
	struct dp_bset_view bsets[DP_MAX_BSETS];
	/* Written by worker 0 (the prober). */
	volatile uint32_t backends_seq;           /* odd while being written */
	uint32_t n_backends;
	struct dp_backend_view backends[DP_MAX_BACKENDS];
	/* `sipshardctl auth reload` (dp_auth.h): the control plane writes auth_req
	 * (one more than auth_done); the dataplane's reload thread re-reads the
	 * subscribers file, swaps the table, fills auth_rc (0 or -errno),
	 * auth_users and auth_err, then sets auth_done = auth_req. */
	volatile uint32_t auth_req;
	volatile uint32_t auth_done;
	volatile int32_t auth_rc;
	volatile uint32_t auth_users;
	char auth_err[256];
};

#define DP_NODE_FIND_TRIES  8       /* a worker's reads of `nodes` while it changes */

/* ---- primary, main thread ---- */
struct dp_shared *dp_shared_create(struct dp_ctx *ctx);

/* Main thread, at stop, after the lcores stopped: tell an attached control plane
 * and wait up to DP_CP_DETACH_MS for it to let go. sh may be NULL. */
void dp_shared_detach_cp(struct dp_shared *sh);

/* ---- any process, not a worker ---- */
struct dp_shared *dp_shared_lookup(void);
/* Asks shard `shard` and waits up to timeout_ms for the answer (copied to out,
 * NUL-terminated). Returns the length, or -ETIMEDOUT / -EINVAL / the worker's rc. */
int dp_shared_query(struct dp_shared *sh, unsigned int shard, enum dp_query_kind kind,
		    const char *arg, char *out, size_t cap, unsigned int timeout_ms);
/* The control plane's asynchronous slots (`ask`, set `set`), without waiting.
 * dp_shared_ask posts a question to shard `shard`: 0, -EBUSY while the shard
 * has not answered the previous one of that set, -EINVAL. dp_shared_answer:
 * -EINPROGRESS until it answered, then the worker's rc, or the length of the
 * answer, which *out points to (valid until the next dp_shared_ask to that
 * shard and set). */
int dp_shared_ask(struct dp_shared *sh, enum dp_ask_set set, unsigned int shard,
		  enum dp_query_kind kind, const char *arg);
int dp_shared_answer(const struct dp_shared *sh, enum dp_ask_set set, unsigned int shard,
		     const char **out);
/* Copies the node view the control plane published: the number of nodes (0 when
 * there is no control plane). */
unsigned int dp_shared_nodes(const struct dp_shared *sh, struct dp_node_view *out,
			     unsigned int cap);
/* Any lcore, workers included (bounded, one entry copied): node `id` of the published
 * view; 1 when it is up, 0 when it is listed in another state (*address: its
 * IPv4, host order, both cases), -ENOENT when it is not listed (or there is no
 * control plane), -EBUSY when the view kept changing under the reader. */
int dp_shared_node_find(const struct dp_shared *sh, uint16_t id, uint32_t *address);
/* Any lcore (bounded, one entry copied): 0 when a node of the published view has IPv4
 * address (host order), whatever its state; -ENOENT when none has (or there is
 * no control plane), -EBUSY when the view kept changing under the reader. */
int dp_shared_node_addr_find(const struct dp_shared *sh, uint32_t address);
/* Copies the backend view worker 0 published: the number of members. */
unsigned int dp_shared_backends(const struct dp_shared *sh, struct dp_backend_view *out,
				unsigned int cap);
/* Worker 0: publish the members of the backend sets and their state. */
struct lb_sets;
void dp_shared_publish_backends(struct dp_shared *sh, const struct lb_sets *s);
/* Control plane: publish its view. */
void dp_shared_publish_nodes(struct dp_shared *sh, const struct dp_node_view *v, unsigned int n);
/* The same for the sharing tags; dp_shared_tags() copies them out. */
void dp_shared_publish_tags(struct dp_shared *sh, const struct dp_tag_view *v, unsigned int n);
unsigned int dp_shared_tags(const struct dp_shared *sh, struct dp_tag_view *out, unsigned int cap);
/* Copies the replication counters the control plane published: how many (0
 * without a control plane doing replication). */
unsigned int dp_shared_repl_counters(const struct dp_shared *sh, struct dp_counter_view *out,
				     unsigned int cap);
/* Control plane: publish its replication counters (at most DP_MAX_REPL_COUNTERS). */
void dp_shared_publish_repl(struct dp_shared *sh, const struct dp_counter_view *v, unsigned int n);
/* Control plane: publish the backend sets' probing control (at most DP_MAX_BSETS). */
void dp_shared_publish_bsets(struct dp_shared *sh, const struct dp_bset_view *v, unsigned int n);
/* Worker 0 (bounded, no lock): copy it into out (at most cap). Returns how many,
 * -ENOENT when never published, -EBUSY when it kept changing; *seq: the
 * sequence number read. */
int dp_shared_bsets(const struct dp_shared *sh, struct dp_bset_view *out, unsigned int cap,
		    uint32_t *seq);
/* Any lcore, workers included (bounded, no lock): the VIPs of the tag view into
 * out[] (family, addr or addr6, held: its tag is active here; the rest zero),
 * at most cap. Returns how many, 0 when nothing was published, -EBUSY when the
 * view kept changing under the reader; *seq: the view's sequence number read. */
int dp_shared_vips(const struct dp_shared *sh, struct dp_vip *out, unsigned int cap,
		   uint32_t *seq);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_SHARED_H */
