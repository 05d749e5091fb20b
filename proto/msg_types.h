/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cluster bus messages in plain C, as the control plane uses them.
 *
 * proto/cluster.proto defines the bodies on the wire; proto/msg_codec.c is the only
 * file that sees the generated protobuf-c structs: it turns a `struct msg` into a
 * framed, authenticated datagram and back. Everything above it (control/topo/cp_topo,
 * the tests) works on these fixed-size structs: no allocation, bounded lists, host
 * byte order. A `struct msg` is a header (who sent it, which run of that node,
 * which sequence) plus one body chosen by hdr.type.
 */
#ifndef SIPSHARD_PROTO_MSG_TYPES_H
#define SIPSHARD_PROTO_MSG_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define MSG_MAGIC        0x53534842u    /* "SSHB" on the wire */
#define MSG_VERSION      2              /* 2: the HMAC covers the receiver id */
#define MSG_HDR_LEN      32             /* struct msg_wire_hdr */
#define MSG_HMAC_LEN     32             /* HMAC-SHA256 trailer */
#define MSG_MAX_BODY     8192           /* protobuf body, bytes */
#define MSG_MAX_LEN      (MSG_HDR_LEN + MSG_MAX_BODY + MSG_HMAC_LEN)
#define MSG_MAX_NODES    64             /* entries of any node list in a body */
#define MSG_REASON_MAX   64             /* Leave.reason, NUL included */

/* Header types (= cluster.proto MsgType). 26..63 and 67..127 are reserved for
 * replication and for sharing tags and pinging; a type not listed here is
 * rejected as unknown_type. X(NAME, name, value) */
#define MSG_FOREACH_TYPE(X) \
	X(HEARTBEAT,   heartbeat,   1) \
	X(JOIN,        join,        2) \
	X(ADOPT,       adopt,       3) \
	X(ANNOUNCE,    announce,    4) \
	X(LEAVE,       leave,       5) \
	X(REPL,        repl,        16) \
	X(REPL_ACK,    repl_ack,    17) \
	X(DIGEST,      digest,      18) \
	X(BUCKET_KEYS, bucket_keys, 19) \
	X(BUCKET_PULL, bucket_pull, 20) \
	X(SYNC_REQUEST, sync_request, 21) \
	X(SYNC_DONE,   sync_done,   22) \
	X(SYNC_CHUNK,  sync_chunk,  23) \
	X(SYNC_CHUNK_ACK, sync_chunk_ack, 24) \
	X(REPL_PACK,   repl_pack,   25) \
	X(TAG_TABLE,   tag_table,   64) \
	X(TAG_ACK,     tag_ack,     65) \
	X(BACKEND_STATES, backend_states, 66)

enum msg_type {
#define MSG_TYPE_ENUM(NAME, name, value) MSG_T_##NAME = value,
	MSG_FOREACH_TYPE(MSG_TYPE_ENUM)
#undef MSG_TYPE_ENUM
};

/* Topology messages (heartbeats, joins, adopts, announces, leaves: types below
 * MSG_T_REPL) and sharing-tag messages (64..127) go ahead of replication both
 * ways, in the dataplane's control lcore and in the control plane (heartbeats
 * first: a full sync never delays one). The dataplane reads the type from the
 * header before authentication: a forged type only moves a datagram to the
 * other queue, the HMAC still decides. */
static inline bool
msg_type_prio(unsigned int type)
{
	return (type >= MSG_T_HEARTBEAT && type < MSG_T_REPL) ||
	       (type >= MSG_T_TAG_TABLE && type < 128);
}

/* Capabilities of a node (cluster.proto Capability) and their sync states
 * (CapState); the names are those of sipshardctl nodes. */
#define MSG_FOREACH_CAP(X) \
	X(REGISTRATIONS, "registrations") \
	X(BACKENDS,      "backends") \
	X(TAGS,          "tags")

enum msg_cap {
#define MSG_CAP_ENUM(NAME, name) MSG_CAP_##NAME,
	MSG_FOREACH_CAP(MSG_CAP_ENUM)
#undef MSG_CAP_ENUM
	MSG_CAP_MAX
};

enum msg_cap_state {
	MSG_CAP_NOT_SYNCED,
	MSG_CAP_SYNCING,
	MSG_CAP_SYNCED,
	MSG_CAP_STATE_MAX
};

/* The framing header as it is on the wire: packed, network byte order.
 *   0 magic  4 version  5 type  6 flags  8 body_len  10 cluster_id  14 sender
 *  16 incarnation  24 seq  (32 bytes); then body_len bytes, then the HMAC. */
struct msg_wire_hdr {
	uint32_t magic;
	uint8_t version;
	uint8_t type;
	uint16_t flags;                 /* none defined in version 1: sent 0, ignored */
	uint16_t body_len;              /* <= MSG_MAX_BODY */
	uint32_t cluster_id;
	uint16_t sender;                /* node id, 1..65535 */
	uint64_t incarnation;           /* boot id of the sender's run, != 0 */
	uint64_t seq;                   /* per sender incarnation, +1 per datagram */
} __attribute__((packed));

/* The header in host byte order (magic, version and length are the codec's). */
struct msg_hdr {
	uint8_t type;                   /* enum msg_type */
	uint16_t flags;
	uint32_t cluster_id;
	uint16_t sender;
	uint64_t incarnation;
	uint64_t seq;
	/* Receiver's node id: not on the wire, covered by the HMAC (version 2), so a
	 * frame made for node 2 fails at node 3. 0 = "whoever listens there": JOIN
	 * only (to a seed whose id is unknown). Set by the sender before
	 * msg_encode(); msg_decode() sets it to the id the HMAC matched. */
	uint16_t to;
};

/* Where a node listens: id, IPv4 (host order, 0 = unknown) and UDP port. */
struct msg_node {
	uint16_t id;
	uint32_t addr;
	uint16_t port;
};

/* "I hear node id (run incarnation); the newest of its sequences I got is last_seq." */
struct msg_seen {
	uint16_t id;
	uint64_t incarnation;
	uint64_t last_seq;
};

struct msg_heartbeat {
	struct msg_node node;           /* the sender */
	uint64_t incarnation;
	uint32_t cluster_id;
	bool leaving;
	uint8_t caps[MSG_CAP_MAX];      /* enum msg_cap_state; absent = not synced */
	uint16_t n_seen;
	struct msg_seen seen[MSG_MAX_NODES];
};

struct msg_join {
	struct msg_node node;           /* the newcomer */
};

/* Adopt (seed -> newcomer: all members, seed included) and Announce (seed ->
 * members: the newcomers) carry the same list. */
struct msg_members {
	uint16_t n;
	struct msg_node nodes[MSG_MAX_NODES];
};

struct msg_leave {
	char reason[MSG_REASON_MAX];    /* printable ASCII, NUL-terminated */
};

/* ---- replication (docs/cluster.md "Replication wire and stream") ---- */

/* Bounds of a record's strings, NUL included (so at most N - 1 characters). The
 * strings are printable ASCII (0x20..0x7e); longer ones are not replicated. */
#define MSG_REC_AOR_MAX      256        /* as the registrar's REG_AOR_MAX */
#define MSG_REC_KEY_MAX      544        /* "reg-id=N;INSTANCE" or the normalized URI */
#define MSG_REC_CALLID_MAX   128
#define MSG_REC_URI_MAX      512        /* as REG_URI_MAX */
#define MSG_REC_PATH_MAX     512        /* Path values, ", "-joined; as REG_PATH_MAX */
#define MSG_REC_INST_MAX     256        /* +sip.instance, quotes removed; REG_INST_MAX + 1 */
#define MSG_REC_TAG_MAX      32         /* sharing tag name */
#define MSG_REC_Q_MAX        1000
#define MSG_REC_F_TOMBSTONE  0x1u       /* the binding was removed at this version */
/* Federation: a directory entry (AoR, version, home = sock_node, expires_s),
 * contact key empty, no binding fields; with TOMBSTONE: the user was removed. */
#define MSG_REC_F_DIR        0x2u
#define MSG_REC_F_KNOWN      (MSG_REC_F_TOMBSTONE | MSG_REC_F_DIR)

#define MSG_REPL_MAX_RECS    32         /* records in one Repl (also bounded by bytes) */
#define MSG_REPL_BODY_MIN    1200       /* smallest Repl body budget a sender may use */
#define MSG_REPL_BUCKETS     4096       /* anti-entropy buckets: hash(AoR) % 4096 */
#define MSG_DIGEST_MAX       512        /* digests in one Digest */
#define MSG_KEYS_MAX         64         /* (key, version) entries in one BucketKeys */
#define MSG_PULL_KEYS_MAX    32         /* keys in one BucketPull */
#define MSG_PULL_BUCKETS_MAX 256        /* whole buckets in one BucketPull */

/* A binding's version: the origin's hybrid clock, then the origin node id.
 * Order and clock: proto/msg_version.h. */
struct msg_version {
	uint64_t counter;               /* >= 1 */
	uint16_t origin;                /* node id, >= 1 */
};

#define MSG_CLOCK_SHIFT 16              /* hybrid clock: wall ms << 16 | logical */

/* Hybrid logical clock of a writer (a shard, the cp): proto/msg_version.h. */
struct msg_clock {
	uint64_t last;                  /* highest counter issued or seen */
};

/* An address and port; family 0 = absent, 4 or 6. addr in network byte order
 * (IPv4 in the first 4 bytes, the rest 0). */
struct msg_addr {
	uint8_t family;
	uint16_t port;                  /* host order, 1..65535 when present */
	uint8_t addr[16];
};

/* One binding (or its tombstone) as it travels between nodes. Identity: (aor,
 * key). A live record has uri, call_id, expires_s >= 1, received and socket; a
 * tombstone needs only aor, key and version (the rest may be empty or 0). */
struct msg_rec {
	struct msg_version version;
	uint32_t flags;                 /* MSG_REC_F_* */
	uint32_t cseq;
	uint32_t expires_s;             /* remaining lifetime, seconds: never a wall time */
	uint16_t q;                     /* 0..1000 */
	uint16_t sock_node;             /* node that received the REGISTER (0: tombstone) */
	struct msg_addr received;       /* source address and port of the REGISTER */
	struct msg_addr sock;           /* local address and port it arrived on */
	char aor[MSG_REC_AOR_MAX];
	char key[MSG_REC_KEY_MAX];
	char call_id[MSG_REC_CALLID_MAX];
	char uri[MSG_REC_URI_MAX];
	char path[MSG_REC_PATH_MAX];    /* "" = none */
	char tag[MSG_REC_TAG_MAX];      /* "" = none */
	char instance[MSG_REC_INST_MAX];   /* "" = none */
	uint32_t reg_id;                /* 0 = none */
	uint64_t call_id_hash;          /* sip_hash64(0, Call-ID); 0 = not sent */
	uint8_t sock_port_index;        /* dataplane port index on sock_node */
};

/* Repl: records first_seq, first_seq + 1, ... of the stream (hdr.incarnation, epoch). */
struct msg_repl {
	uint32_t epoch;
	uint64_t first_seq;             /* >= 1 */
	uint16_t n;                     /* 1..MSG_REPL_MAX_RECS */
	struct msg_rec recs[MSG_REPL_MAX_RECS];
};

/* ReplAck: every record of stream (stream_incarnation, epoch) up to cum_seq arrived. */
struct msg_repl_ack {
	uint64_t stream_incarnation;    /* the acked sender's incarnation, as seen here */
	uint32_t epoch;
	uint64_t cum_seq;
};

#define MSG_TAG_NAME         64         /* NAME of a tag NAME/CLUSTER, NUL included */
#define MSG_TAGS_MAX         12         /* entries in one TagTable / TagAck */

/* One sharing tag as a node sees it: the claim it holds (term 0: nobody), and
 * whether the sender is a candidate for the tag (failover auto) and its priority. */
struct msg_tag_entry {
	char name[MSG_TAG_NAME];
	uint32_t cluster;               /* 1.. */
	uint64_t term;
	uint16_t owner;                 /* 0 when term is 0 */
	uint8_t owner_priority;
	bool candidate;
	uint8_t priority;
	uint16_t prev_owner;            /* handover from a live holder: it pings until */
	uint64_t switch_ms;             /* this wall-clock ms; 0 / 0: none */
};

/* TagTable (claim: the sender's own claim, to acknowledge) and TagAck. */
struct msg_tags {
	uint16_t n;                     /* 1..MSG_TAGS_MAX */
	bool claim;
	struct msg_tag_entry e[MSG_TAGS_MAX];
};

#define MSG_BSTATES_MAX      8          /* sets in one BackendStates (= CFG_MAX_SETS) */
#define MSG_BSTATE_MEMBERS   32         /* members of a set: bits of `up` */

/* One backend set's member states as the prober (the holder of its tag) sees them. */
struct msg_bstate {
	uint32_t set;                   /* 1..65535 */
	uint64_t term;                  /* the sender's term of the set's tag, >= 1 */
	uint64_t version;               /* the sender's clock at the last change, >= 1 */
	uint8_t members;                /* 1..MSG_BSTATE_MEMBERS */
	uint32_t up;                    /* bit i: member i up */
};

/* BackendStates. */
struct msg_bstates {
	uint16_t n;                     /* 1..MSG_BSTATES_MAX */
	struct msg_bstate e[MSG_BSTATES_MAX];
};

/* Digest: n digests from bucket first_bucket, each the XOR of `span` consecutive
 * buckets (span a power of two, first_bucket a multiple of it, first_bucket +
 * n * span <= MSG_REPL_BUCKETS). */
struct msg_digest {
	uint16_t first_bucket;
	uint16_t n;                     /* 1..MSG_DIGEST_MAX */
	uint16_t span;                  /* 1..MSG_REPL_BUCKETS */
	uint64_t digests[MSG_DIGEST_MAX];
};

struct msg_keyver {
	struct msg_version version;
	uint32_t flags;                 /* MSG_REC_F_TOMBSTONE */
	char aor[MSG_REC_AOR_MAX];
	char key[MSG_REC_KEY_MAX];
};

/* BucketKeys: part `part` of the (key, version) list of one bucket; `last` on the
 * final part (an empty bucket is one part with n = 0 and last). */
struct msg_bucket_keys {
	uint16_t bucket;
	uint16_t n;
	uint32_t part;
	bool last;
	struct msg_keyver keys[MSG_KEYS_MAX];
};

struct msg_key {
	char aor[MSG_REC_AOR_MAX];
	char key[MSG_REC_KEY_MAX];
};

/* SyncDone: the full sync the sender gave is complete (all of it acknowledged on
 * its stream (stream_incarnation, epoch)); records: how many it sent. */
struct msg_sync_done {
	uint64_t stream_incarnation;
	uint32_t epoch;
	uint64_t records;
};

/* Packed records (body SyncChunk): COUNT records of the registrar's pack
 * encoding (dataplane/registrar/reg_pack.h), LEN bytes. MSG_T_SYNC_CHUNK: chunk
 * SEQ of the full-sync channel, read AGE_MS ago. MSG_T_REPL_PACK: the record
 * stream's records SEQ .. SEQ + COUNT - 1 (age 0: each record's lifetime is
 * already aged). The codec checks only the framing (seq >= 1, 1 <= count <=
 * MSG_PACK_MAX_RECS, count <= len <= MSG_PACK_MAX). */
#define MSG_PACK_MAX      (MSG_MAX_BODY - 32)
#define MSG_PACK_MAX_RECS 160           /* records in one pack message */
struct msg_pack {
	uint32_t epoch;
	uint32_t age_ms;
	uint64_t seq;
	uint32_t count;
	uint32_t len;
	uint8_t data[MSG_PACK_MAX];
};

/* BucketPull: the full records of these keys and of every key of these buckets. */
struct msg_bucket_pull {
	uint16_t n_keys;
	uint16_t n_buckets;             /* n_keys + n_buckets >= 1 */
	struct msg_key keys[MSG_PULL_KEYS_MAX];
	uint16_t buckets[MSG_PULL_BUCKETS_MAX];
};

struct msg {
	struct msg_hdr hdr;
	/* UDP source of a received datagram, filled by the receiver (0 = unknown);
	 * not on the wire. Used when a body gives no address. */
	uint32_t src_addr;
	uint16_t src_port;
	union {
		struct msg_heartbeat hb;        /* MSG_T_HEARTBEAT */
		struct msg_join join;           /* MSG_T_JOIN */
		struct msg_members members;     /* MSG_T_ADOPT, MSG_T_ANNOUNCE */
		struct msg_leave leave;         /* MSG_T_LEAVE */
		struct msg_repl repl;           /* MSG_T_REPL */
		struct msg_repl_ack ack;        /* MSG_T_REPL_ACK */
		struct msg_digest digest;       /* MSG_T_DIGEST */
		struct msg_bucket_keys keys;    /* MSG_T_BUCKET_KEYS */
		struct msg_bucket_pull pull;    /* MSG_T_BUCKET_PULL */
		struct msg_sync_done done;      /* MSG_T_SYNC_DONE (SYNC_REQUEST has no field) */
		struct msg_pack pack;           /* MSG_T_SYNC_CHUNK, MSG_T_REPL_PACK */
		/* MSG_T_SYNC_CHUNK_ACK: `ack` (stream_incarnation, epoch, cum_seq) */
		struct msg_tags tags;           /* MSG_T_TAG_TABLE, MSG_T_TAG_ACK */
		struct msg_bstates bstates;     /* MSG_T_BACKEND_STATES */
	} u;
};

#endif /* SIPSHARD_PROTO_MSG_TYPES_H */
