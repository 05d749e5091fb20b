/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Version order and hybrid clock of replicated bindings: pure functions shared
 * by the shards (dataplane/registrar, which stamp and compare versions) and the
 * control plane (control/repl). Header only, no state beyond what the caller
 * passes.
 *
 * Order. Two versions of one binding (AoR, contact key) compare by counter, then
 * by origin node id; on equal (counter, origin) a tombstone wins over a live
 * record. The order is total, so every node picks the same winner whatever the
 * arrival order.
 *
 * Hybrid clock. counter = max(last issued or seen, wall_ms << MSG_CLOCK_SHIFT) +
 * 1: the wall clock (ms, injected) in the high 48 bits, a logical count in the
 * low 16. It never goes backwards (a wall clock stepping back only stops the
 * high part moving), and a clock that has seen counter v issues counters above
 * v, so a change made after seeing another node's record wins over it.
 * Owner: one per writer (a shard, the cp); not shared between threads.
 */
#ifndef SIPSHARD_PROTO_MSG_VERSION_H
#define SIPSHARD_PROTO_MSG_VERSION_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/msg_types.h"

/* < 0, 0, > 0 as version A (a tombstone when A_TOMB) is below, equal to or
 * above B. 0 only for the same counter, origin and tombstone-ness. */
static inline int
msg_version_cmp(const struct msg_version *a, bool a_tomb, const struct msg_version *b,
		bool b_tomb)
{
	if (a->counter != b->counter)
		return a->counter < b->counter ? -1 : 1;
	if (a->origin != b->origin)
		return a->origin < b->origin ? -1 : 1;
	return (int)a_tomb - (int)b_tomb;
}

/* Next counter of a change made here, at wall-clock time WALL_MS. */
static inline uint64_t
msg_clock_next(struct msg_clock *c, uint64_t wall_ms)
{
	uint64_t wall = wall_ms << MSG_CLOCK_SHIFT;

	if (wall_ms >> (64 - MSG_CLOCK_SHIFT))          /* not a wall clock in ms */
		wall = 0;
	if (wall > c->last)
		c->last = wall;
	if (c->last < UINT64_MAX)
		c->last++;
	return c->last;
}

/* A version counter seen in a record from elsewhere. */
static inline void
msg_clock_seen(struct msg_clock *c, uint64_t counter)
{
	if (counter > c->last)
		c->last = counter;
}

#endif /* SIPSHARD_PROTO_MSG_VERSION_H */
