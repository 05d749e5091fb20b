/* SPDX-License-Identifier: BSD-3-Clause */
/* Federation directory: AoR -> home node. See reg_dir.h. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_dir.h"
#include "dataplane/sip/sip_hash.h"
#include "proto/msg_version.h"

static_assert(sizeof(struct reg_dir_ent) == REG_DIR_ENT_SIZE, "directory entry size");
static_assert(2 * REG_DIR_ENT_SIZE <= 48, "a directory entry costs at most 48 bytes per AoR");

#define REG_DIR_SEED_HOME 0x686f6d652d646972ull         /* "home-dir" */

/* Home slot: the mixed key reduced to 0..nslots-1 by multiply-shift (any size,
 * so a table is exactly 2 x its entries). */
static inline uint32_t
reg_dir_slot(const struct reg_dir *d, uint64_t h)
{
	uint64_t x = (h ^ d->seed) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(((x >> 32) * (uint64_t)d->nslots) >> 32);
}

static inline uint32_t
reg_dir_next(const struct reg_dir *d, uint32_t i)
{
	return i + 1 == d->nslots ? 0 : i + 1;
}

static inline uint16_t
reg_dir_bucket(uint64_t h)
{
	return (uint16_t)(h % REG_DIGEST_BUCKETS);
}

static void
reg_dir_fold(struct reg_dir *d, const struct reg_dir_ent *e, bool add)
{
	if (e->home == 0)
		return;
	if (add) {
		reg_digest_add_entry(&d->digest, reg_dir_bucket(e->h),
				     reg_dir_digest_entry(e->h, e->home));
		d->live++;
	} else {
		reg_digest_remove_entry(&d->digest, reg_dir_bucket(e->h),
					reg_dir_digest_entry(e->h, e->home));
		d->live--;
	}
}

/* Empty slot i, shifting the following run back (linear probing). */
static void
reg_dir_del(struct reg_dir *d, uint32_t i)
{
	uint32_t j = i, k;

	reg_dir_fold(d, &d->slot[i], false);
	d->n--;
	for (;;) {
		j = reg_dir_next(d, j);
		if (d->slot[j].h == 0)
			break;
		k = reg_dir_slot(d, d->slot[j].h);
		/* the entry at j may move to i iff its home slot k is not in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		d->slot[i] = d->slot[j];
		i = j;
	}
	memset(&d->slot[i], 0, sizeof(d->slot[i]));
}

/* ---- public ---- */

uint32_t
reg_dir_slots(uint32_t max_entries)
{
	uint64_t n = 2ull * max_entries;

	return n < 16 ? 16 : n > (1ull << 31) ? 1u << 31 : (uint32_t)n;
}

void
reg_dir_init(struct reg_dir *d, struct reg_dir_ent *slots, uint32_t nslots, uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	reg_digest_init(&d->digest);
	d->slot = slots;
	d->nslots = nslots;
	d->max = nslots / 2;
	d->seed = seed;
}

uint64_t
reg_dir_key(const char *aor, size_t len)
{
	/* the digest's bucket hash: the entry's bucket is h % 4096 */
	uint64_t h = sip_hash64(REG_DIGEST_SEED_BUCKET, aor, len);

	return h != 0 ? h : 1;
}

uint64_t
reg_dir_digest_entry(uint64_t h, uint16_t home)
{
	uint8_t b[10];
	int i;

	for (i = 0; i < 8; i++)         /* little-endian: part of the protocol */
		b[i] = (uint8_t)(h >> (8 * i));
	b[8] = (uint8_t)home;
	b[9] = (uint8_t)(home >> 8);
	return sip_hash64(REG_DIR_SEED_HOME, b, sizeof(b));
}

int
reg_dir_put(struct reg_dir *d, uint64_t h, const struct msg_version *v, uint16_t home,
	    uint32_t expires_s, bool allow_equal, uint16_t *old_home)
{
	uint32_t i, n;
	struct reg_dir_ent *e;

	if (old_home != NULL)
		*old_home = 0;
	if (h == 0)
		h = 1;
	for (i = reg_dir_slot(d, h), n = 0; n < d->nslots; i = reg_dir_next(d, i), n++) {
		e = &d->slot[i];
		if (e->h == h) {
			struct msg_version held = { e->counter, e->origin };
			int c = msg_version_cmp(v, home == 0, &held, e->home == 0);

			if (c < 0 || (c == 0 && !allow_equal))
				return 1;
			if (old_home != NULL)
				*old_home = e->home;
			reg_dir_fold(d, e, false);
			e->counter = v->counter;
			e->origin = v->origin;
			e->home = home;
			e->expires_s = c == 0 && expires_s < e->expires_s ? e->expires_s : expires_s;
			reg_dir_fold(d, e, true);
			return 0;
		}
		if (e->h == 0)
			break;
	}
	if (d->n >= d->max || n >= d->nslots) {
		d->full++;
		return -ENOSPC;
	}
	e = &d->slot[i];
	e->h = h;
	e->counter = v->counter;
	e->origin = v->origin;
	e->home = home;
	e->expires_s = expires_s;
	d->n++;
	reg_dir_fold(d, e, true);
	return 0;
}

const struct reg_dir_ent *
reg_dir_find(const struct reg_dir *d, uint64_t h, uint32_t now_s)
{
	uint32_t i, n;

	if (d->slot == NULL)
		return NULL;
	if (h == 0)
		h = 1;
	for (i = reg_dir_slot(d, h), n = 0; n < d->nslots; i = reg_dir_next(d, i), n++) {
		const struct reg_dir_ent *e = &d->slot[i];

		if (e->h == h)
			return e->home != 0 && e->expires_s > now_s ? e : NULL;
		if (e->h == 0)
			return NULL;
	}
	return NULL;
}

unsigned int
reg_dir_tick(struct reg_dir *d, uint32_t now_s)
{
	unsigned int removed = 0, k;

	if (d->slot == NULL || d->n == 0)
		return 0;
	for (k = 0; k < REG_DIR_TICK_SLOTS && k < d->nslots; k++) {
		uint32_t i = d->cursor;

		/* a removal may shift the next entry into i: look at i again */
		while (d->slot[i].h != 0 && d->slot[i].expires_s <= now_s && removed < d->nslots) {
			reg_dir_del(d, i);
			removed++;
		}
		d->cursor = reg_dir_next(d, i);
	}
	return removed;
}
