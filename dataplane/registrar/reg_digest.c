/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-bucket XOR digests of bindings and tombstones. See reg_digest.h. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "dataplane/registrar/reg_digest.h"
#include "dataplane/sip/sip_hash.h"

static_assert((REG_DIGEST_BUCKETS & (REG_DIGEST_BUCKETS - 1)) == 0, "power of two buckets");

/* ---- public ---- */

void
reg_digest_init(struct reg_digest *d)
{
	memset(d, 0, sizeof(*d));
}

uint16_t
reg_digest_bucket(const char *aor, size_t aor_len)
{
	return (uint16_t)(sip_hash64(REG_DIGEST_SEED_BUCKET, aor, aor_len) %
			  REG_DIGEST_BUCKETS);
}

uint64_t
reg_digest_aor(const char *aor, size_t aor_len)
{
	return sip_hash64(REG_DIGEST_SEED_ENTRY, aor, aor_len);
}

uint64_t
reg_digest_ident(uint64_t aor_h, const char *key, size_t key_len)
{
	return sip_hash64(aor_h, key, key_len);
}

uint64_t
reg_digest_entry_ident(uint64_t ident, const struct msg_version *v, bool tombstone)
{
	uint8_t tail[11];
	int i;

	/* little-endian on every host: the hash is part of the protocol */
	for (i = 0; i < 8; i++)
		tail[i] = (uint8_t)(v->counter >> (8 * i));
	tail[8] = (uint8_t)v->origin;
	tail[9] = (uint8_t)(v->origin >> 8);
	tail[10] = tombstone ? 1 : 0;
	return sip_hash64(ident, tail, sizeof(tail));
}

uint64_t
reg_digest_entry(const char *aor, size_t aor_len, const char *key, size_t key_len,
		 const struct msg_version *v, bool tombstone)
{
	return reg_digest_entry_ident(reg_digest_ident(reg_digest_aor(aor, aor_len), key, key_len),
				      v, tombstone);
}

void
reg_digest_add(struct reg_digest *d, const char *aor, size_t aor_len, const char *key,
	      size_t key_len, const struct msg_version *v, bool tombstone)
{
	d->bucket[reg_digest_bucket(aor, aor_len)] ^=
		reg_digest_entry(aor, aor_len, key, key_len, v, tombstone);
	d->entries++;
}

void
reg_digest_remove(struct reg_digest *d, const char *aor, size_t aor_len, const char *key,
		 size_t key_len, const struct msg_version *v, bool tombstone)
{
	d->bucket[reg_digest_bucket(aor, aor_len)] ^=
		reg_digest_entry(aor, aor_len, key, key_len, v, tombstone);
	d->entries--;
}

void
reg_digest_add_rec(struct reg_digest *d, const struct msg_rec *r)
{
	reg_digest_add(d, r->aor, strnlen(r->aor, sizeof(r->aor)), r->key,
		      strnlen(r->key, sizeof(r->key)), &r->version,
		      (r->flags & MSG_REC_F_TOMBSTONE) != 0);
}

void
reg_digest_remove_rec(struct reg_digest *d, const struct msg_rec *r)
{
	reg_digest_remove(d, r->aor, strnlen(r->aor, sizeof(r->aor)), r->key,
			 strnlen(r->key, sizeof(r->key)), &r->version,
			 (r->flags & MSG_REC_F_TOMBSTONE) != 0);
}

void
reg_digest_update(struct reg_digest *d, const struct msg_rec *old_rec,
		 const struct msg_rec *new_rec)
{
	if (old_rec != NULL)
		reg_digest_remove_rec(d, old_rec);
	if (new_rec != NULL)
		reg_digest_add_rec(d, new_rec);
}

void
reg_digest_merge(struct reg_digest *dst, const struct reg_digest *src)
{
	uint32_t i;

	for (i = 0; i < REG_DIGEST_BUCKETS; i++)
		dst->bucket[i] ^= src->bucket[i];
	dst->entries += src->entries;
}

int
reg_digest_diff(const uint64_t *a, const uint64_t *b, uint32_t first, uint32_t n,
	       uint16_t *out, uint32_t cap)
{
	uint32_t i, k = 0;

	if (first > REG_DIGEST_BUCKETS || n > REG_DIGEST_BUCKETS - first)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (k < cap)
			out[k] = (uint16_t)(first + i);
		k++;
	}
	return (int)k;
}
