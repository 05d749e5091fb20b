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
#define MSG_VERSION      1
#define MSG_HDR_LEN      32             /* struct msg_wire_hdr */
#define MSG_HMAC_LEN     32             /* HMAC-SHA256 trailer */
#define MSG_MAX_BODY     8192           /* protobuf body, bytes */
#define MSG_MAX_LEN      (MSG_HDR_LEN + MSG_MAX_BODY + MSG_HMAC_LEN)
#define MSG_MAX_NODES    64             /* entries of any node list in a body */
#define MSG_REASON_MAX   64             /* Leave.reason, NUL included */

/* Header types (= cluster.proto MsgType). 16..63 and 64..127 are reserved for
 * replication and for sharing tags; a type not listed here is rejected as
 * unknown_type. X(NAME, name, value) */
#define MSG_FOREACH_TYPE(X) \
	X(HEARTBEAT, heartbeat, 1) \
	X(JOIN,      join,      2) \
	X(ADOPT,     adopt,     3) \
	X(ANNOUNCE,  announce,  4) \
	X(LEAVE,     leave,     5)

enum msg_type {
#define MSG_TYPE_ENUM(NAME, name, value) MSG_T_##NAME = value,
	MSG_FOREACH_TYPE(MSG_TYPE_ENUM)
#undef MSG_TYPE_ENUM
};

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
	} u;
};

#endif /* SIPSHARD_PROTO_MSG_TYPES_H */
