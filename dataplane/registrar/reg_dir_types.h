/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the federation directory (see dataplane/registrar/reg_dir.h).
 *
 * One entry per AoR, 24 bytes, in an open-addressing table of exactly twice as
 * many slots as entries allowed (kept at most half full): 48 bytes per AoR of
 * capacity.
 *
 *   offset size field
 *   0      8    h          reg_digest_aor(AoR): XXH3-64 of the AoR text, the seed
 *                          every node uses (0 marks an empty slot: an AoR hashing
 *                          to 0 is stored as 1)
 *   8      8    counter    version of the entry: the hybrid-clock counter ...
 *   16     4    expires_s  monotonic second at which the entry goes
 *   20     2    origin     ... and origin node of the version
 *   22     2    home       node id holding the user's bindings; 0: removed
 *                          (a tombstone: kept until expires_s so that an older
 *                          record cannot bring the user back)
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_DIR_TYPES_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_DIR_TYPES_H

#include <stdint.h>

#include "dataplane/registrar/reg_digest_types.h"

#define REG_DIR_ENT_SIZE    24
#define REG_DIR_TICK_SLOTS  256u    /* slots the expiry sweep looks at per tick */

struct reg_dir_ent {
	uint64_t h;
	uint64_t counter;
	uint32_t expires_s;
	uint16_t origin;
	uint16_t home;
};

struct reg_dir {
	struct reg_dir_ent *slot;       /* NULL: no directory (full-sharing mode) */
	uint32_t nslots;                /* slots: 2 x max */
	uint32_t max;                   /* entries allowed (slots / 2) */
	uint32_t n;                     /* entries held, tombstones included */
	uint32_t live;                  /* entries with a home */
	uint32_t cursor;                /* expiry sweep position */
	uint64_t seed;                  /* slot = mix(h ^ seed): secret per process */
	uint64_t full;                  /* puts refused: table full */
	struct reg_digest digest;       /* of the live entries: (h, home) */
};

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_DIR_TYPES_H */
