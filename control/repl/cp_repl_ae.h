/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Anti-entropy, the pure part: summaries of the per-bucket digests and the set
 * of buckets to repair towards a peer. The node glue (cp_repl_node) fetches the
 * digests from the shards, sends and answers the messages and pushes the
 * buckets.
 *
 * A round between this node (A) and a peer (B), both synced, every
 * cluster.digest_interval_ms and at once when the link to B comes up:
 *   A -> B  Digest span 64: the summary, 64 digests, each the XOR of 64 buckets.
 *   B -> A  for each group whose summary differs: Digest span 1 with B's 64
 *           bucket digests of that group.
 *   A       compares them with its own: the buckets that differ go into A's
 *           repair set for B (A sends B every binding and tombstone of them) and
 *           into a BucketPull to B.
 *   B       puts the pulled buckets into its repair set for A.
 * Both directions are repaired in one and a half round trips plus the push;
 * the records travel on the reliable stream and apply by version, so a repair
 * crossing a live change or another repair is harmless. Lost Digest or
 * BucketPull messages only delay the repair to the next round.
 * Purity: functions of their arguments; no allocation, no I/O.
 */
#ifndef SIPSHARD_CONTROL_REPL_CP_REPL_AE_H
#define SIPSHARD_CONTROL_REPL_CP_REPL_AE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/registrar/reg_digest_types.h"

#define CP_AE_SPAN    64u                               /* buckets per summary digest */
#define CP_AE_GROUPS  (REG_DIGEST_BUCKETS / CP_AE_SPAN)  /* digests in a summary */

/* A set of digest buckets (to repair towards one peer). */
struct cp_ae_set {
	uint64_t bits[REG_DIGEST_BUCKETS / 64];
};

/* SUM[g] = XOR of BUCKETS[g * CP_AE_SPAN .. + CP_AE_SPAN - 1], g < CP_AE_GROUPS. */
void cp_ae_summary(const uint64_t *buckets, uint64_t *sum);

static inline void
cp_ae_set_add(struct cp_ae_set *s, uint32_t bucket)
{
	if (bucket < REG_DIGEST_BUCKETS)
		s->bits[bucket / 64] |= 1ull << (bucket % 64);
}

static inline bool
cp_ae_set_has(const struct cp_ae_set *s, uint32_t bucket)
{
	return bucket < REG_DIGEST_BUCKETS && (s->bits[bucket / 64] >> (bucket % 64) & 1);
}

/* Buckets in the set. */
uint32_t cp_ae_set_count(const struct cp_ae_set *s);

/* The first run of consecutive buckets in the set at or after FROM, at most
 * MAX long: true and [*start, *end), or false when there is none. */
bool cp_ae_set_next_run(const struct cp_ae_set *s, uint32_t from, uint32_t max,
			uint32_t *start, uint32_t *end);

/* Take buckets [start, end) out of the set. */
void cp_ae_set_clear(struct cp_ae_set *s, uint32_t start, uint32_t end);

#endif /* SIPSHARD_CONTROL_REPL_CP_REPL_AE_H */
