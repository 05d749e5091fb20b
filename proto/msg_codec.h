/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Framing codec of the cluster bus: struct msg <-> authenticated UDP payload.
 *
 * A datagram is  header (32 bytes, struct msg_wire_hdr, network byte order)
 *              | body (hdr.body_len bytes: the protobuf-c message of hdr.type)
 *              | HMAC-SHA256(cluster key, to | header | body) (32 bytes),
 * where `to` (2 bytes, big-endian, not sent) is the receiver's node id
 * (hdr.to): the receiver puts its own id there, and 0 for a JOIN only (sent to
 * a seed whose id is unknown). A frame replayed to another node fails its HMAC.
 * Version 1 (no `to`) and version 2 nodes reject each other's frames as
 * bad_version: upgrade every node of a cluster together.
 * msg_encode() fills magic, version and length, packs the body and appends the
 * HMAC; the caller owns every other header field (cp_topo_msg() fills them).
 * msg_decode() checks, in this order and stopping at the first failure: length,
 * magic, version, body length, cluster id, HMAC (constant-time), sender, type,
 * protobuf, field values; each failure is one reason of MSG_FOREACH_REJECT and is
 * counted in the codec. Nothing from the network is trusted before the HMAC
 * check, and nothing is believed after it that was not range-checked: a decoded
 * struct msg has ids in 1..65535, lists within MSG_MAX_NODES, body node id =
 * header sender where both exist.
 *
 * Replication bodies (Repl, ReplAck, Digest, BucketKeys, BucketPull) are held to
 * the same rule: every record passes msg_rec_check() (bounded printable strings,
 * version >= (1, 1), q <= 1000, addresses of family 4/6 with the right length,
 * what a live record needs), every list is within its MSG_*_MAX and non-empty
 * where an empty one means nothing (Repl, Digest, BucketPull), bucket indexes are
 * below MSG_REPL_BUCKETS, stream sequences do not wrap. A sender splits a batch
 * with msg_repl_fit() / msg_keys_fit(): a Repl built from what they accept
 * always encodes within the body size it asked for (at most MSG_MAX_BODY).
 *
 * The key is the whole content of cluster.key_file (any bytes, 16..4096). One
 * codec per process, used by one thread (the cp event loop): it holds the key
 * and the counters, which the admin socket reads from the same thread.
 */
#ifndef SIPSHARD_PROTO_MSG_CODEC_H
#define SIPSHARD_PROTO_MSG_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/msg_types.h"

#define MSG_KEY_MIN      16
#define MSG_KEY_MAX      4096

/* Why a datagram was dropped, in the order the decoder checks.
 * X(NAME, name, help) */
#define MSG_FOREACH_REJECT(X) \
	X(SHORT,         short,         "datagram shorter than header + HMAC") \
	X(BAD_MAGIC,     bad_magic,     "magic is not SSHB") \
	X(BAD_VERSION,   bad_version,   "framing version not supported") \
	X(BAD_LENGTH,    bad_length,    "body length over the maximum or not the datagram's") \
	X(WRONG_CLUSTER, wrong_cluster, "cluster id of another cluster") \
	X(BAD_HMAC,      bad_hmac,      "HMAC-SHA256 mismatch (other key, or altered)") \
	X(BAD_SENDER,    bad_sender,    "sender node id 0 or incarnation 0") \
	X(FROM_SELF,     from_self,     "sender is this node's id (loop or duplicate id)") \
	X(UNKNOWN_TYPE,  unknown_type,  "message type unknown to this version") \
	X(BAD_PROTOBUF,  bad_protobuf,  "body is not a valid protobuf of its type") \
	X(BAD_FIELD,     bad_field,     "value out of range or inconsistent with the header")

enum msg_reject {
	MSG_REJECT_NONE = 0,            /* accepted */
#define MSG_REJECT_ENUM(NAME, name, help) MSG_REJECT_##NAME,
	MSG_FOREACH_REJECT(MSG_REJECT_ENUM)
#undef MSG_REJECT_ENUM
	MSG_REJECT_MAX
};

struct msg_codec {
	uint32_t cluster_id;
	uint16_t self_id;
	size_t key_len;                 /* 0 until a key is set: nothing verifies */
	uint8_t key[MSG_KEY_MAX];
	uint64_t encoded;               /* datagrams produced */
	uint64_t decoded;               /* datagrams accepted */
	uint64_t rejects[MSG_REJECT_MAX];
};

/* Identity used by the decoder's checks (cluster id, from_self); no key yet. */
void msg_codec_init(struct msg_codec *c, uint32_t cluster_id, uint16_t self_id);

/* Wipes the key. */
void msg_codec_fini(struct msg_codec *c);

/* Use LEN bytes as the key: 0, or -EINVAL when not 16..4096 bytes. */
int msg_codec_set_key(struct msg_codec *c, const void *key, size_t len);

/* Read the key from PATH (the whole file). 0, or -errno with "PATH: message"
 * in err: cannot open/read, "key too short (N bytes, need at least 16)",
 * "key too long (more than 4096 bytes)"; -EPERM "group or others may access it
 * (mode 0644)..." when any group/other permission bit is set (nothing read). */
int msg_codec_load_key(struct msg_codec *c, const char *path, char *err, size_t errlen);

/* Encode M into BUF: returns the datagram length (> 0), -EINVAL (unknown type,
 * list over its maximum, id 0, a record failing msg_rec_check(), empty Repl), -EMSGSIZE (body over MSG_MAX_BODY or CAP too
 * small), -ENOKEY (no key). */
int msg_encode(struct msg_codec *c, const struct msg *m, uint8_t *buf, size_t cap);

/* 0 when R is a record msg_encode() accepts and msg_decode() returns as it is,
 * else -EINVAL. */
int msg_rec_check(const struct msg_rec *r);

/* How many of RECS[0..n) fit, in order, in one Repl body of at most MAX_BODY
 * bytes (MSG_REPL_BODY_MIN..MSG_MAX_BODY; another value means MSG_MAX_BODY) and
 * MSG_REPL_MAX_RECS records, whatever epoch and first_seq: >= 1 when n >= 1 (a
 * single record always fits MSG_REPL_BODY_MIN), 0 when n == 0, -EINVAL when
 * RECS[0] fails msg_rec_check() (a later bad record ends the count before it).
 * MAX_BODY lets a sender keep datagrams within the path MTU (1408 bytes of body
 * for a 1500-byte MTU: 1500 - 20 IP - 8 UDP - 32 header - 32 HMAC). */
int msg_repl_fit(const struct msg_rec *recs, int n, size_t max_body);
/* The same count done from each record's msg_repl_rec_len(), for a sender that
 * keeps it with the record: the bytes R takes in a Repl body (0 when it fails
 * msg_rec_check()), an upper bound for R with a smaller expires_s; and what a
 * Repl body takes besides its records, at most. */
size_t msg_repl_rec_len(const struct msg_rec *r);

/* One record alone, as the Record message of a Repl (the bindings snapshot's
 * portable form): msg_rec_pack returns the bytes written to OUT, -EINVAL (R fails
 * msg_rec_check()) or -EMSGSIZE (CAP); msg_rec_unpack fills *r in full from LEN
 * bytes at P: 0, or -EINVAL (not a Record, or one msg_decode() would refuse). */
int msg_rec_pack(const struct msg_rec *r, uint8_t *out, size_t cap);
/* *dst = *src for what a record means: the fixed fields and each string up to
 * its NUL (bytes past a NUL are left as they were), not the 2.3 KB of buffers. */
void msg_rec_copy(struct msg_rec *dst, const struct msg_rec *src);
int msg_rec_unpack(const uint8_t *p, size_t len, struct msg_rec *r);
#define MSG_REPL_FIXED_LEN  (1 + 5 + 1 + 10)

/* The same for the entries of one BucketKeys (MSG_KEYS_MAX). */
int msg_keys_fit(const struct msg_keyver *keys, int n, size_t max_body);

/* Frame an arbitrary BODY under header H (tests, fuzzing, future types): same
 * return values as msg_encode(). */
int msg_frame(struct msg_codec *c, const struct msg_hdr *h, const void *body,
	      size_t body_len, uint8_t *buf, size_t cap);

/* Decode LEN bytes at BUF into *out. Returns MSG_REJECT_NONE (0) and fills *out
 * (src_addr/src_port zeroed: the caller sets them), or the reason, counted in c.
 * Never reads outside BUF[0..LEN). In a Repl, records past n and string bytes
 * past a NUL are left as they were (a datagram does not zero 32 records). */
enum msg_reject msg_decode(struct msg_codec *c, const uint8_t *buf, size_t len,
			   struct msg *out);

/* Names: "short", "bad_magic"...; "heartbeat"...; "registrations"...;
 * "not-synced" | "syncing" | "synced". "?" when out of range. */
const char *msg_reject_name(enum msg_reject r);
const char *msg_reject_help(enum msg_reject r);
const char *msg_type_name(unsigned int type);
const char *msg_cap_name(unsigned int cap);
const char *msg_cap_state_name(unsigned int state);

#endif /* SIPSHARD_PROTO_MSG_CODEC_H */
