/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots of this node's bindings to a file (registrar.snapshot), so that a
 * cluster whose every node stopped (an upgrade, a power cut) does not lose its
 * registrations.
 *
 * Writing: every interval_s, and once more on a clean stop, the control plane
 * dumps every shard as for a full sync, to itself: DP_QUERY_SYNC_DUMP with this
 * node's own id as the peer, one query of CP_REPL_NODE_SYNC_CHUNK per loop pass
 * (the dump yields when the shard's event ring is busy, as for a sync). Each
 * REG_EV_SYNC event for this node's id reaches cp_repl_snap_record() instead of
 * a peer stream, and is appended to PATH.tmp. When every shard is done the file
 * gets its trailer (record count, XXH3 of everything before), is fsync'ed and
 * renamed over PATH (and the directory fsync'ed): a reader sees the old complete
 * snapshot or the new complete one, never a mix.
 *
 * Format (native byte order, checked by a marker): "SSSNAP01", u32 0x01020304,
 * u16 node id, u16 0, u64 wall ms when the dump ended (the lifetimes' time);
 * records as u32 length + the fields of a struct msg_rec (numbers, then the
 * seven strings as u16 length + bytes); trailer "SSEND001", u64 count, u64 XXH3.
 *
 * Loading, at start, before the loop (so before the first sync): every record
 * goes to its shard's apply ring like a replicated one, its remaining lifetime
 * minus the time since the snapshot was written (expired ones are skipped);
 * tombstones as they are. Versions make the later full syncs and anti-entropy
 * reconcile it with the peers: a newer copy wins, an older one is ignored.
 */
#ifndef SIPSHARD_CONTROL_REPL_CP_REPL_SNAP_H
#define SIPSHARD_CONTROL_REPL_CP_REPL_SNAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/cfg_types.h"
#include "proto/msg_types.h"

struct cp_repl_node;

#define CP_REPL_SNAP_FOREACH_COUNTER(X) \
	X(written,       "snapshots written completely (renamed over the file)") \
	X(write_failed,  "snapshots abandoned: the file could not be written") \
	X(write_skipped, "records left out of a snapshot: not encodable (as on the wire)") \
	X(records,       "records in the last snapshot written") \
	X(loaded,        "records loaded at start") \
	X(load_expired,  "records of the loaded snapshot already expired: skipped") \
	X(load_bad,      "records of the loaded snapshot refused (malformed, no room)")

enum cp_repl_snap_counter {
#define CP_REPL_SNAP_C(name, help) CP_REPL_SNAP_C_##name,
	CP_REPL_SNAP_FOREACH_COUNTER(CP_REPL_SNAP_C)
#undef CP_REPL_SNAP_C
	CP_REPL_SNAP_COUNTER_MAX
};

struct cp_repl_snap {
	char path[CFG_PATH];
	char tmp[CFG_PATH + 8];
	uint32_t interval_ms;
	uint16_t self_id;
	uint64_t next_ms;               /* monotonic: the next snapshot begins */
	bool active;                    /* a dump is being written */
	uint16_t shard;
	uint32_t bucket, skip;
	uint32_t pending;               /* events the shards emitted, not taken yet */
	FILE *f;
	void *hash;                     /* XXH3_state_t of what was written */
	uint64_t n;                     /* records written so far */
	bool failed;                    /* a write failed: abandon at the end */
	uint64_t last_wall_ms;          /* when the last complete snapshot ended */
	uint64_t counters[CP_REPL_SNAP_COUNTER_MAX];
};

/* From cfg->reg.snapshot_*; the first snapshot interval_s after NOW (monotonic ms). */
void cp_repl_snap_init(struct cp_repl_snap *s, const struct cfg *cfg, uint64_t now);
void cp_repl_snap_fini(struct cp_repl_snap *s);

/* ---- cp loop ---- */

/* Begin a snapshot when due, else one dump query when the last chunk was
 * taken; finish it when every shard is done. Returns 1 when it did something. */
unsigned int cp_repl_snap_step(struct cp_repl_snap *s, struct cp_repl_node *n, uint64_t now,
			       uint64_t wall_ms);
/* One REG_EV_SYNC record for this node (NULL: one that did not convert). */
void cp_repl_snap_record(struct cp_repl_snap *s, const struct msg_rec *r);
/* Write a complete snapshot now (clean stop), within TIMEOUT_MS. 0 or -errno. */
int cp_repl_snap_now(struct cp_repl_snap *s, struct cp_repl_node *n, uint64_t timeout_ms);

/* Load the snapshot file into the shards (at start). Returns the records
 * loaded, 0 when there is no file, or -errno with a message in ERR. */
int cp_repl_snap_load(struct cp_repl_snap *s, struct cp_repl_node *n, uint64_t wall_ms,
		      char *err, size_t errlen);

const char *cp_repl_snap_counter_name(unsigned int c);
const char *cp_repl_snap_counter_help(unsigned int c);

#endif /* SIPSHARD_CONTROL_REPL_CP_REPL_SNAP_H */
