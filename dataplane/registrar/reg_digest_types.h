/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the per-bucket binding digests (dataplane/registrar/reg_digest.h).
 *
 * A `struct reg_digest` is one 64-bit digest per bucket of AoRs (4096 buckets,
 * whatever the shard count) and a count of the entries folded in. Plain data:
 * whoever owns the bindings it summarizes writes it (a shard for its own
 * bindings; the cp for the XOR of all shards), others read copies.
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_DIGEST_TYPES_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_DIGEST_TYPES_H

#include <stdint.h>

#include "proto/msg_types.h"

#define REG_DIGEST_BUCKETS      MSG_REPL_BUCKETS
/* Seeds of the two hashes: the same on every node, part of the protocol. */
#define REG_DIGEST_SEED_BUCKET  0x7369707368617264ull   /* "sipshard" */
#define REG_DIGEST_SEED_ENTRY   0x6469676573742d31ull   /* "digest-1" */

struct reg_digest {
	uint64_t entries;                       /* adds minus removes */
	uint64_t bucket[REG_DIGEST_BUCKETS];
};

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_DIGEST_TYPES_H */
