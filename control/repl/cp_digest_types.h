/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the per-bucket binding digests (control/repl/cp_digest.h).
 *
 * A `struct cp_digest` is one 64-bit digest per bucket of AoRs (4096 buckets,
 * whatever the shard count) and a count of the entries folded in. Plain data:
 * whoever owns the bindings it summarizes writes it (a shard for its own
 * bindings; the cp for the XOR of all shards), others read copies.
 */
#ifndef SIPSHARD_CONTROL_REPL_CP_DIGEST_TYPES_H
#define SIPSHARD_CONTROL_REPL_CP_DIGEST_TYPES_H

#include <stdint.h>

#include "proto/msg_types.h"

#define CP_DIGEST_BUCKETS      MSG_REPL_BUCKETS
/* Seeds of the two hashes: the same on every node, part of the protocol. */
#define CP_DIGEST_SEED_BUCKET  0x7369707368617264ull   /* "sipshard" */
#define CP_DIGEST_SEED_ENTRY   0x6469676573742d31ull   /* "digest-1" */

struct cp_digest {
	uint64_t entries;                       /* adds minus removes */
	uint64_t bucket[CP_DIGEST_BUCKETS];
};

#endif /* SIPSHARD_CONTROL_REPL_CP_DIGEST_TYPES_H */
