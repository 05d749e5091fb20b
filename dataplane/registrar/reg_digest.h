/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-bucket digests of live bindings, for anti-entropy (each registrar shard
 * keeps one, reg_shard_digest(); control/repl/cp_repl_ae.c compares them).
 *
 * Algorithm (hashes: sip_hash64, the one XXH3-64 wrapper). The bucket of a
 * binding is XXH3-64(AoR, REG_DIGEST_SEED_BUCKET) % 4096: it depends on the AoR
 * only, so all contacts of a user share a bucket and a bucket means the same on
 * every node whatever its shard count. The digest of a bucket is the XOR, over
 * the bucket's live bindings, of an entry hash of (AoR, contact key, version
 * counter, origin): XXH3-64 chained over the AoR, the key and an 11-byte
 * little-endian encoding of the version and a tombstone flag. XOR makes it
 * order-free and incremental: a change is "remove the old entry, add the new
 * one" in O(1), and two nodes holding the same set of (key, version) have equal
 * digests. Equal digests may still hide a difference with probability about
 * 2^-64 per bucket.
 * Tombstones are not digested. A deletion still shows: the deleting node lacks
 * the binding the other holds, the bucket differs, and the repair (each side
 * sends the other every binding and tombstone of the bucket) carries the
 * tombstone. Keeping them out means a tombstone that expires a moment earlier
 * on one node than on another is no difference to repair (which would bring it
 * back, and back again).
 * Peers compare a summary (XOR of 64 buckets per group), then the 64 buckets of
 * each group that differs (Digest messages), and repair the buckets that differ
 * (reg_digest_diff) in both directions (BucketPull, then Repl). A fresh node has
 * all-zero digests: every non-empty bucket differs.
 * Purity: functions of their arguments; no allocation, no I/O.
 * Writers: the owner of the bindings, at every insert/update/delete/expiry; one
 * digest per shard, XORed together (reg_digest_merge) by the reader.
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_DIGEST_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/registrar/reg_digest_types.h"
#include "proto/msg_types.h"

/* All buckets 0 (the digest of nothing), no entries. */
void reg_digest_init(struct reg_digest *d);

/* Bucket of an AoR, 0..REG_DIGEST_BUCKETS-1. */
uint16_t reg_digest_bucket(const char *aor, size_t aor_len);

/* Identity of a binding (AoR, contact key): XXH3-64 of the key chained on
 * reg_digest_aor(AoR). A shard keeps it per binding and per tombstone, so that
 * an entry hash (and a match by identity) needs no text. */
uint64_t reg_digest_aor(const char *aor, size_t aor_len);
uint64_t reg_digest_ident(uint64_t aor_h, const char *key, size_t key_len);

/* Entry hash of an identity at a version; reg_digest_entry() is
 * reg_digest_entry_ident(reg_digest_ident(reg_digest_aor(AoR), key), ...). */
uint64_t reg_digest_entry_ident(uint64_t ident, const struct msg_version *v, bool tombstone);

/* Fold an entry hash in / out of bucket B. */
static inline void
reg_digest_add_entry(struct reg_digest *d, uint16_t b, uint64_t entry)
{
	d->bucket[b % REG_DIGEST_BUCKETS] ^= entry;
	d->entries++;
}

static inline void
reg_digest_remove_entry(struct reg_digest *d, uint16_t b, uint64_t entry)
{
	d->bucket[b % REG_DIGEST_BUCKETS] ^= entry;
	d->entries--;
}

/* Entry hash of one binding or tombstone. */
uint64_t reg_digest_entry(const char *aor, size_t aor_len, const char *key, size_t key_len,
			 const struct msg_version *v, bool tombstone);

/* Fold an entry in / out (the same XOR; the entry count moves up / down). */
void reg_digest_add(struct reg_digest *d, const char *aor, size_t aor_len, const char *key,
		   size_t key_len, const struct msg_version *v, bool tombstone);
void reg_digest_remove(struct reg_digest *d, const char *aor, size_t aor_len, const char *key,
		      size_t key_len, const struct msg_version *v, bool tombstone);

/* The same for a record (its AoR, key, version and MSG_REC_F_TOMBSTONE). */
void reg_digest_add_rec(struct reg_digest *d, const struct msg_rec *r);
void reg_digest_remove_rec(struct reg_digest *d, const struct msg_rec *r);

/* A binding changed from OLD to NEW (either may be NULL: insert, forget). */
void reg_digest_update(struct reg_digest *d, const struct msg_rec *old_rec,
		      const struct msg_rec *new_rec);

/* DST ^= SRC, bucket by bucket (the digests of two disjoint sets: shards). */
void reg_digest_merge(struct reg_digest *dst, const struct reg_digest *src);

/* Buckets FIRST .. FIRST + N - 1 of two digest arrays (each indexed from bucket
 * FIRST, as a Digest message carries them): writes the indexes of those that
 * differ, ascending, into OUT (at most CAP of them) and returns how many differ
 * (more than CAP: OUT holds the first CAP). -EINVAL when the range passes
 * REG_DIGEST_BUCKETS. */
int reg_digest_diff(const uint64_t *a, const uint64_t *b, uint32_t first, uint32_t n,
		   uint16_t *out, uint32_t cap);

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_DIGEST_H */
