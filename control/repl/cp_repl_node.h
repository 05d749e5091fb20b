/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This node's registration replication, in full-sharing mode: the glue between
 * the shards of the dataplane, the per-peer streams (cp_repl) and the topology.
 *
 * Out: every shard emits a change event per binding change on its ring
 * ss_ev_s<i> (struct reg_event). cp_repl_node_events() drains them (bounded per
 * call): an event the shard made itself (not `remote`, not an expiry: each node
 * expires bindings itself) becomes a wire record (struct msg_rec: the socket's
 * address filled from our port table) appended to the stream of every known
 * peer that has not left; the event goes back to its shard's pool. A record too
 * large for one datagram within the cluster port's MTU is counted (rec_too_big)
 * and not sent.
 * In: a Repl from a peer goes through its stream (cp_repl_on_repl: each record
 * once per stream), then each record is turned into a struct reg_rec (from the
 * pool ss_rec), routed to the shard that owns its AoR (the dataplane's digest
 * seed, published in dp_shared) and put on that shard's ring ss_ap_s<i>; the
 * worker applies it (reg_shard_apply: the newer version wins). Before a Repl is
 * taken, there must be room for all its records (pool and rings): otherwise it
 * is left unprocessed (rx_backpressure) and comes back by retransmission, so no
 * record is ever lost between the stream and the shard.
 * Streams follow the topology: one per peer, created when the peer is first
 * known, reset when it restarts (a new incarnation: it gets a full sync),
 * dropped when it leaves.
 * cp_repl_node_poll() builds what is due (Repls, retransmits, ReplAcks) and
 * hands each message to the caller's send function.
 *
 * Full sync (struct cp_repl_sync) and this node's sync state (struct
 * cp_repl_rx_sync) below; anti-entropy (struct cp_repl_repair) in cp_repl_ae.h.
 * Single thread: the cp event loop.
 */
#ifndef SIPSHARD_CONTROL_REPL_CP_REPL_NODE_H
#define SIPSHARD_CONTROL_REPL_CP_REPL_NODE_H

#include <stdint.h>

#include "config/cfg_types.h"
#include "control/repl/cp_repl_ae.h"
#include "control/repl/cp_repl_bulk.h"
#include "control/repl/cp_repl_types.h"
#include "control/topo/cp_topo_types.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_types.h"
#include "proto/msg_types.h"

struct dp_shared;
struct rte_ring;
struct rte_mempool;

/* Node-level counters. X(name, help) */
#define CP_REPL_NODE_FOREACH_COUNTER(X) \
	X(events,          "change events taken from the shards") \
	X(events_remote,   "events of applied records (not sent again)") \
	X(events_expire,   "expiry events (each node expires by itself: not sent)") \
	X(events_lost,     "change events a shard could not queue (its ring full or pool empty; gaps in its numbers): the next anti-entropy round repairs them") \
	X(records_queued,  "records appended to a peer stream (once per peer)") \
	X(rec_too_big,     "records larger than one datagram: not replicated") \
	X(rec_bad,         "events or records that did not convert") \
	X(peer_behind,     "appends refused: the peer is behind (needs a full sync)") \
	X(rx_records,      "records received and handed to a shard") \
	X(rx_not_peer,     "replication messages from a node that is not a known peer") \
	X(rx_backpressure, "Repls left for retransmission: shard rings or pool full") \
	X(rx_bad_route,    "records whose AoR did not parse: dropped") \
	X(syncs_started,   "full syncs begun towards a peer (new, restarted or behind)") \
	X(syncs_done,      "full syncs whose every shard was emitted") \
	X(syncs_kept,      "peers behind again during their full sync: the sync went on (anti-entropy after)") \
	X(syncs_skipped,   "full syncs not given: the peer was synced while this node synced from it") \
	X(sync_records,    "full-sync copies queued for their peer") \
	X(sync_query_fail, "shard dump queries that failed (retried)") \
	X(sync_chunks,     "shard dump chunks emitted for full syncs (each up to CP_REPL_NODE_SYNC_CHUNK records)") \
	X(sync_done_sent,  "SyncDone messages sent to a peer whose sync ended") \
	X(sync_done_rx,    "SyncDone messages received") \
	X(sync_requests,   "SyncRequests received (a peer asked for a full sync)") \
	X(rx_bytes,        "replication bytes received (Repl and sync messages)") \
	X(digest_rounds,   "anti-entropy rounds begun (summaries sent to a peer)") \
	X(digest_postponed, "anti-entropy rounds put off a moment: records were in flight to or from the peer") \
	X(digest_rx,       "Digest messages received (summaries and bucket digests)") \
	X(digest_groups_differ, "summary groups found different: their buckets sent back") \
	X(digest_query_fail, "shard digest queries that failed (round skipped)") \
	X(buckets_differ,  "buckets found different by this node (pulled and pushed)") \
	X(buckets_pulled,  "buckets a peer asked this node for (BucketPull)") \
	X(buckets_repaired, "buckets whose bindings and tombstones were sent to a peer") \
	X(repair_records,  "records sent to repair a bucket (bindings and tombstones)") \
	X(repair_query_fail, "shard dump queries for a repair that failed (retried)") \
	X(sync_window_full, "full-sync chunks that found the channel's window full (lost: anti-entropy repairs)") \
	CP_BULK_FOREACH_COUNTER(X)

enum cp_repl_node_counter {
#define CP_REPL_NODE_C_ENUM(name, help) CP_REPL_NODE_C_##name,
	CP_REPL_NODE_FOREACH_COUNTER(CP_REPL_NODE_C_ENUM)
#undef CP_REPL_NODE_C_ENUM
	CP_REPL_NODE_COUNTER_MAX
};

#define CP_REPL_NODE_EVENT_BUDGET 1024u  /* events drained per shard per call (a sync chunk at once) */
#define CP_REPL_NODE_SYNC_CHUNK   256u   /* events a shard emits per dump query (~0.4 ms) */
#define CP_REPL_NODE_SYNC_PACK    4096u   /* records a shard packs per query at most (DP_SYNC_OUT bounds it first) */
#define CP_REPL_NODE_SYNC_QUERIES 8u     /* dump queries per syncing peer per call */
#define CP_REPL_NODE_DONE_TIMES   3u     /* SyncDone sent this many times (may be lost) */
#define CP_REPL_NODE_ROOM_WAIT_US 2000u  /* sync chunks of one receive burst wait this long for room, in all */
#define CP_REPL_NODE_DONE_EVERY_MS 200u

/* A full sync this node (the donor) is giving one peer: shard by shard, digest
 * bucket by bucket, paced by the room left in the peer's stream. */
struct cp_repl_sync {
	bool active;
	uint16_t shard;
	uint32_t bucket, skip;          /* cursor in that shard (struct dp_sync_dump) */
	uint64_t started_ms;
	uint64_t records;
	uint32_t pending;               /* copies the shards emitted, not taken from their rings yet */
	bool asked;                     /* a dump of `shard` for this sync is in flight */
	uint64_t incarnation;           /* the peer's run this sync (or the last) is for */
	bool done_pending;              /* all emitted: SyncDone once the stream acked end_seq */
	uint64_t end_seq;               /* last stream sequence of the sync */
	uint8_t done_sent;              /* SyncDone sent this many times (a few, it may be lost) */
	uint64_t done_next_ms;
	bool peer_had_all;              /* the peer was synced while this node synced */
	bool skipped;                   /* ... so the copy was not given (syncs_skipped) */
};

/* Anti-entropy with one peer (cp_repl_ae.h): when the next round starts, and
 * the buckets this node still has to send it, the one being sent shard by
 * shard. */
struct cp_repl_repair {
	bool eligible;                  /* up, both synced, no full sync towards it */
	uint64_t next_round_ms;
	uint8_t postponed;              /* rounds put off in a row (records in flight) */
	uint64_t lost_seen;             /* events_lost at the last round */
	uint64_t rx_seen, rx_seen_ms;   /* rx_records at the last look, and when */
	struct cp_ae_set want;          /* buckets to send this peer */
	bool running;
	uint32_t start, end;            /* the run being sent: buckets [start, end) */
	uint16_t shard;
	uint32_t bucket, skip;          /* cursor in that shard */
};

/* This node's own sync state (its capability "registrations"): not-synced at
 * start; syncing once a peer is known (every peer that is up gives this node a
 * full sync); synced at the first SyncDone (that peer is the donor), or when no
 * peer was heard for alone_ms (nothing to get: donor 0). `sync start` makes it
 * syncing again and asks every peer for a full sync. */
struct cp_repl_rx_sync {
	uint8_t state;                  /* enum msg_cap_state */
	uint16_t donor;
	uint64_t records;               /* as the donor counted them */
	uint64_t bytes;                 /* replication bytes received meanwhile */
	uint64_t started_ms, done_ms;
	uint64_t bytes_at_start;
	uint64_t alone_since_ms;        /* no peer known since; CP_REPL_NEVER: some */
	bool draining;                  /* SyncDone came: synced once the shards have
					 * applied what waits on their rings */
};

struct cp_repl_snap;

struct cp_repl_node {
	struct cp_repl_conf conf;
	uint16_t n_shards;
	uint16_t sip_port;              /* the socket of local bindings: our SIP port */
	uint32_t alone_ms;              /* no peer heard this long: synced alone */
	uint32_t ping_ms;               /* cluster.ping_interval_ms: a heartbeat at least this often */
	uint32_t ae_interval_ms;        /* cluster.digest_interval_ms */
	struct cp_repl_rx_sync rxs;
	struct dp_shared *sh;           /* port addresses, shard queries */
	struct rte_ring *ev[CFG_MAX_WORKERS];
	struct rte_ring *apply[CFG_MAX_WORKERS];
	struct rte_mempool *rec_pool;
	struct reg_conf rconf;          /* AoR keys as the dataplane computes them */
	uint16_t peer_id[CP_TOPO_MAX_PEERS];
	struct cp_repl_peer *peer[CP_TOPO_MAX_PEERS];
	struct cp_repl_sync sync[CP_TOPO_MAX_PEERS];
	/* Each shard's sync-dump slot (DP_ASK_SYNC): busy while a dump for peer
	 * `peer` is in flight; the shard dumps it while the cp sends the last. */
	struct {
		bool busy;
		uint16_t peer;
	} sync_ask[CFG_MAX_WORKERS];
	struct cp_repl_repair repair[CP_TOPO_MAX_PEERS];
	uint64_t ev_next[CFG_MAX_WORKERS];     /* each shard's next event number (0: none yet) */
	/* full-sharing: the full-sync channel to and from each peer (packs) */
	struct cp_bulk_tx btx[CP_TOPO_MAX_PEERS];
	struct cp_bulk_rx brx[CP_TOPO_MAX_PEERS];
	struct rte_ring *apply_pack[CFG_MAX_WORKERS];
	/* each shard's pack being filled: the records of several datagrams go to
	 * a shard in one pack (cp_repl_node_rx_flush() hands them over) */
	struct reg_pack_buf *open[CFG_MAX_WORKERS];
	uint64_t room_waited_us;        /* for the shards' room, this receive burst */
	uint64_t events_ms;             /* when the shards last gave events (cp_rn_sync_room) */
	/* each shard's next pack, taken before a datagram is accepted (cp_rn_pack_room):
	 * rte_mempool_avail_count() also counts the packs in the workers' caches,
	 * which this process cannot get, so a count is no promise */
	struct reg_pack_buf *spare[CFG_MAX_WORKERS];
	void *rec_spare;                /* ... and a record object (cp_repl_node_apply_rec) */
	struct rte_mempool *pack_pool;
	uint32_t chunk_cap;             /* bytes of records a SyncChunk carries */
	bool peer_synced[CP_TOPO_MAX_PEERS];   /* its registrations are synced (heartbeats) */
	bool was_up[CP_TOPO_MAX_PEERS];        /* up at the last cp_repl_node_peers() */
	/* federation: the run of each peer whose SyncDone arrived (0: none). Each
	 * node gives only its own users, so this node is synced once every peer
	 * that is up has given its part, not at the first SyncDone. */
	uint64_t done_rx[CP_TOPO_MAX_PEERS];
	int n_peers;
	uint64_t digest[REG_DIGEST_BUCKETS];   /* the shards' merged, as of digest_ms */
	uint64_t digest_ms;             /* CP_REPL_NEVER: not loaded */
	uint64_t counters[CP_REPL_NODE_COUNTER_MAX];
	struct msg msg;                 /* one message being built (large: not on a stack) */
	struct msg_rec rec;
	struct reg_rec rrec;
	uint8_t pk[REG_PACK_REC_MAX];   /* rrec packed (reg_pack.h), federation's */
	const uint8_t *out;             /* the record the streams get: an event's, or pk */
	uint16_t out_len;
	struct cp_repl_snap *snap;      /* registrar.snapshot: gets the sync copies for self */
};

/* One record to its owning shard's apply ring, as a replicated one, waiting up
 * to WAIT_MS for room (the snapshot load, before the loop). 0 or -errno. */
int cp_repl_node_apply_rec(struct cp_repl_node *n, const struct msg_rec *w, uint64_t wait_ms);

/* Sends M (header complete but for hdr.seq) to peer PEER_ID. */
typedef void cp_repl_send_fn(void *arg, uint16_t peer_id, struct msg *m);

/* Attach to the dataplane's rings and pool (names in dp_shared.h). 0, -ENOENT
 * (a ring or the pool is missing: not the same version of sipshard-dp). */
int cp_repl_node_init(struct cp_repl_node *n, const struct cfg *cfg, struct dp_shared *sh,
		      uint64_t incarnation, uint16_t mtu);
void cp_repl_node_fini(struct cp_repl_node *n);

/* Follow the topology: a stream per known peer that has not left, reset on a
 * new incarnation, freed when it left. A peer first heard, restarted, or fallen
 * behind gets a full sync from this node (cp_repl_node_sync drives it). */
void cp_repl_node_peers(struct cp_repl_node *n, const struct cp_topo *t, uint64_t now);

/* Drive the full syncs this node gives: per syncing peer, while its stream has
 * room, up to CP_REPL_NODE_SYNC_QUERIES shard dump queries (at most
 * CP_REPL_NODE_SYNC_CHUNK events each, a shard stalls well under 1 ms per
 * chunk), each followed by cp_repl_node_events (which queues the copies for that
 * peer only) and cp_repl_node_poll (which sends them). Returns the events taken
 * (work: the caller's loop does not sleep while a sync runs). */
unsigned int cp_repl_node_sync(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send,
			       void *arg);

/* Drain the shards' change events into the streams, queued at NOW (ms, the
 * lifetimes they carry age from then); returns the events taken. */
unsigned int cp_repl_node_events(struct cp_repl_node *n, uint64_t now);

/* A decoded replication message (Repl, ReplAck, SyncRequest, SyncDone, Digest,
 * BucketPull) of LEN bytes on the wire; SEND answers a Digest. 0, or -ENOENT (not from a known peer), -EAGAIN (left for
 * retransmission), -ESTALE / -EINVAL from the stream. */
int cp_repl_node_on_msg(struct cp_repl_node *n, const struct msg *m, size_t len, uint64_t now,
			cp_repl_send_fn *send, void *arg);

/* `sync start`: become syncing and ask every known peer for a full sync (one
 * SyncRequest each through SEND). Returns the peers asked. */
int cp_repl_node_sync_start(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send,
			    void *arg);

/* True when M's type belongs to replication (cp_repl_node_on_msg takes it). */
bool cp_repl_node_msg_type(unsigned int type);

/* Anti-entropy: start the rounds that are due (a summary to each eligible peer
 * every ae_interval_ms, and at once when a peer becomes eligible) and send the
 * buckets to repair (a few shard dump queries per call, paced like a sync). */
void cp_repl_node_ae(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send, void *arg);

/* Hands the packs being filled to their shards, and gives the next burst its
 * time to wait for room (CP_REPL_NODE_ROOM_WAIT_US): after each receive burst. */
void cp_repl_node_rx_flush(struct cp_repl_node *n);

/* Build what is due on every stream and pass each message to SEND. */
void cp_repl_node_poll(struct cp_repl_node *n, uint64_t now, cp_repl_send_fn *send, void *arg);

/* Sums of the per-peer stream counters (CP_REPL_COUNTER_MAX entries) into OUT. */
void cp_repl_node_stream_totals(const struct cp_repl_node *n, uint64_t *out);

/* A full sync runs here, given to a peer or received (the cp loop then never
 * sleeps between passes). */
bool cp_repl_node_syncing(const struct cp_repl_node *n);

/* Replication bytes of this node's last full sync (received so far while syncing). */
uint64_t cp_repl_node_sync_bytes(const struct cp_repl_node *n);

const char *cp_repl_node_counter_name(unsigned int counter);

#endif /* SIPSHARD_CONTROL_REPL_CP_REPL_NODE_H */
