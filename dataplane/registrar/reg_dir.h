/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Federation directory: AoR -> home node, one table per registrar shard.
 *
 * In cluster.mode federation a node keeps the bindings of the REGISTERs it
 * received; the cluster replicates only a directory entry per AoR (AoR, home
 * node, version, remaining lifetime). Every node keeps the entries of the whole
 * cluster, each in the shard that owns the AoR there, so the lookup of a
 * request runs on the same worker as the binding lookup.
 *
 * Algorithm. Linear probing from slot mix(h ^ seed) (seed random per process,
 * so nobody can aim AoRs at one run of slots), deletion by backward shift (no
 * deleted markers, probe runs stay short). The table holds at most half its
 * slots (layout in reg_dir_types.h: 48 bytes per AoR of capacity). An entry is replaced
 * only by a higher version (msg_version_cmp(), a removal winning a tie);
 * a removal keeps the entry with home 0 until it expires (a tombstone). Every
 * entry expires by itself (the AoR's longest binding, or tombstone_s for a
 * removal): expiry is never replicated. reg_dir_tick() sweeps REG_DIR_TICK_SLOTS
 * slots per call. The digest (reg_digest, 4096 buckets of the AoR's bucket) XORs
 * a hash of (h, home) over the live entries: two nodes that agree on every
 * user's home have equal digests, whatever the versions.
 *
 * Threads: one writer, the shard's worker (pure functions of their arguments;
 * no allocation: the caller gives the slots).
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_DIR_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/registrar/reg_dir_types.h"
#include "proto/msg_types.h"

/* Slots for max_entries: 2 x max_entries (at least 16, at most 2^31). */
uint32_t reg_dir_slots(uint32_t max_entries);

/* Use SLOTS (nslots of them, zeroed) as an empty directory of nslots / 2 entries. */
void reg_dir_init(struct reg_dir *d, struct reg_dir_ent *slots, uint32_t nslots, uint64_t seed);

/* The key of an AoR text (its reg_digest_aor(), never 0). */
uint64_t reg_dir_key(const char *aor, size_t len);

/* Set the entry of H to (version V, HOME, expiry EXPIRES_S) when V is newer than
 * what is held (or equal with allow_equal, to refresh the expiry). HOME 0: a
 * removal. Returns 0 applied (*old_home: the home before, 0 none), 1 stale,
 * -ENOSPC table full. */
int reg_dir_put(struct reg_dir *d, uint64_t h, const struct msg_version *v, uint16_t home,
		uint32_t expires_s, bool allow_equal, uint16_t *old_home);

/* The live entry of H at NOW_S (home != 0, not expired), or NULL. */
const struct reg_dir_ent *reg_dir_find(const struct reg_dir *d, uint64_t h, uint32_t now_s);

/* Remove the expired entries of the next REG_DIR_TICK_SLOTS slots. Returns
 * the number removed. */
unsigned int reg_dir_tick(struct reg_dir *d, uint32_t now_s);

/* Entry hash of (h, home) in the digest. */
uint64_t reg_dir_digest_entry(uint64_t h, uint16_t home);

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_DIR_H */
