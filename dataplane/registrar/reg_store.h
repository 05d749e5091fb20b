/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar internals shared by dataplane/reg_*.c (not for other modules): the
 * normalisation of keys and URIs (reg_key.c; digests are sip_hash64()), the
 * record pools and byte strings, the AoR table and the events (reg_store.c),
 * versions, tombstones, digests and the bucket index (reg_repl.c).
 * The timer wheel has its own header (reg_wheel.h), which this layer calls and
 * which calls nothing back. Everything here runs on the shard's owning lcore,
 * except where create/free say otherwise; see dataplane/reg_shard.h.
 *
 * A stored byte string (a binding's uri + instance + path, an AoR's text) is its
 * first `cap` bytes in the record, then a chain of reg_ext blocks of
 * REG_EXT_DATA bytes each: a string of n bytes needs reg_ext_need(n, cap)
 * blocks. Callers check that the blocks exist (x_nfree) before they write.
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_STORE_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/registrar/reg_types.h"
#include "dataplane/sip/sip_reply.h"

#define REG_CANON_MAX   (REG_URI_MAX + 16)

/* ---- reg_key.c ---- */

/* User part with %-escapes normalised into out; length, or SIZE_MAX when it does
 * not fit or an escape is broken. */
size_t reg_user_norm(const char *p, size_t n, char *out, size_t cap);
/* Normalised form of a URI for comparison (scheme and host lower-case, user
 * escapes normalised, port, parameters and headers as written). Length, or 0
 * when it does not fit. */
size_t reg_uri_canon(const struct sip_uri *u, char *out, size_t cap);

/* ---- reg_store.c: byte strings ---- */

struct reg_piece {
	const char *p;
	size_t n;
};

static inline uint32_t
reg_ext_need(size_t total, size_t cap)
{
	return total <= cap ? 0 : (uint32_t)((total - cap + REG_EXT_DATA - 1) / REG_EXT_DATA);
}

uint32_t reg_ext_chain_len(const struct reg_shard *s, uint32_t head);
void reg_ext_free_chain(struct reg_shard *s, uint32_t head);
/* Write the pieces back to back; *ext must be REG_NONE (chain freed). */
/* Pieces written after each other: CAP bytes inline at INL, the rest in blocks
 * taken from POOL's free list (*free_head, *nfree), chained from *ext. */
/* Bytes allocated from the DPDK heaps, all sockets (main lcore: create-time
 * accounting of bytes per binding). */
size_t reg_heap_bytes(void);

void reg_blocks_write(struct reg_ext *pool, uint32_t *free_head, uint32_t *nfree, char *inl,
		      size_t cap, uint32_t *ext, const struct reg_piece *pc, unsigned n);
void reg_str_write(struct reg_shard *s, char *inl, size_t cap, uint32_t *ext,
		   const struct reg_piece *pc, unsigned n);
void reg_str_read(const struct reg_shard *s, const char *inl, size_t cap, uint32_t ext,
		  size_t off, size_t len, char *dst);
int reg_str_eq(const struct reg_shard *s, const char *inl, size_t cap, uint32_t ext,
	       size_t off, const char *p, size_t len);
void reg_str_put(const struct reg_shard *s, struct sip_reply *r, const char *inl, size_t cap,
		 uint32_t ext, size_t off, size_t len);

/* ---- reg_store.c: AoRs and bindings ---- */

/* Index of the AoR of key k, REG_NONE when absent; *collision set when the
 * digest is taken by another AoR. */
uint32_t reg_aor_find(const struct reg_shard *s, const struct reg_key *k, int *collision);
uint32_t reg_aor_ext_need(const struct reg_key *k);
/* New AoR (x_nfree >= reg_aor_ext_need() checked): index, or REG_NONE when the
 * table is full. */
uint32_t reg_aor_add(struct reg_shard *s, const struct reg_key *k);
void reg_aor_del(struct reg_shard *s, uint32_t a);
/* The AoR text into out[REG_AOR_MAX]; its length. */
size_t reg_aor_text(const struct reg_shard *s, uint32_t a, char *out);

uint32_t reg_b_alloc(struct reg_shard *s);         /* b_nfree > 0 checked */
/* Set binding b's source address (family 0: none), keeping the per-source
 * counts (registrar.max_bindings_per_source) right. */
void reg_b_set_src(struct reg_shard *s, struct reg_binding *b, uint8_t family,
		   const uint8_t *addr);
/* Live bindings of source (family, addr) in this shard (0 when not counted). */
uint32_t reg_src_count(const struct reg_shard *s, uint8_t family, const uint8_t *addr);
/* Remove binding bi for reason t (DELETE, EXPIRE, EVICT): digest, tombstone
 * (DELETE and EVICT, at a new version of this node), event, wheel, AoR list,
 * records; with drop_empty_aor the AoR goes with its last binding. */
void reg_b_remove(struct reg_shard *s, uint32_t bi, enum reg_event_type t, uint64_t now_ms,
		  int drop_empty_aor);
/* The same at version v from elsewhere (reg_shard_apply: the tombstone gets v,
 * no event: the caller emits it from the record). */
void reg_b_remove_v(struct reg_shard *s, uint32_t bi, enum reg_event_type t, uint64_t now_ms,
		    int drop_empty_aor, const struct msg_version *v);
/* Expired bindings of AoR ai removed before the wheel gets to them; the AoR, or
 * REG_NONE when none is left (reg_shard.c). */
uint32_t reg_reap(struct reg_shard *s, uint32_t ai, uint64_t now_ms);

void reg_event_emit(struct reg_shard *s, enum reg_event_type t, uint32_t bi, uint64_t now_ms);
/* An event of an applied record (remote = 1, no record: the cp counts it), or
 * of a tombstone a sync dump copies (REG_EV_SYNC: R packed, sent to the peer). */
void reg_event_emit_rec(struct reg_shard *s, enum reg_event_type t, const struct reg_rec *r);

/* ---- reg_repl.c ---- */

/* Binding BI in the pack encoding into OUT (room for REG_PACK_REC_MAX), with
 * EXPIRES_S seconds left and FLAGS (REG_PACK_F_TOMBSTONE for a removal): its
 * length. */
size_t reg_pack_binding(const struct reg_shard *s, uint32_t bi, uint32_t expires_s, uint8_t flags,
			uint8_t *out);

/* Pools of create / free: bucket heads, tombstones, their text (bytes into
 * s->repl_bytes). 0 or -ENOMEM. */
int reg_repl_create(struct reg_shard *s, int socket);
void reg_repl_free(struct reg_shard *s);

/* Version counter of a change made here now (s->wall_ms). */
uint64_t reg_version_next(struct reg_shard *s);

/* Contact key text of binding bi into out[REG_KEY_MAX]: "reg-id=N;INSTANCE"
 * (RFC 5626 binding) or the normalised URI. Its length. */
size_t reg_b_key(const struct reg_shard *s, uint32_t bi, char *out);
/* The same from parts: keyed (instance, reg_id) or canon. */
size_t reg_key_text_keyed(const char *inst, size_t inst_len, uint32_t reg_id, char *out);

/* Fold binding bi (its identity and current version) in / out of the digest. */
void reg_b_digest_add(struct reg_shard *s, uint32_t bi);
void reg_b_digest_remove(struct reg_shard *s, uint32_t bi);

/* Link AoR ai into / out of its digest bucket's list (reg_aor_add / _del). */
void reg_bucket_link(struct reg_shard *s, uint32_t ai, const char *aor, size_t len);
void reg_bucket_unlink(struct reg_shard *s, uint32_t ai);

/* Tombstone of identity ident: REG_NONE when none. */
uint32_t reg_tomb_find(const struct reg_shard *s, uint64_t ident);
/* Create (or replace) the tombstone of ident at version v, for tombstone_s from
 * now_ms; drops the oldest tombstones when the pool is full. */
void reg_tomb_put(struct reg_shard *s, uint64_t ident, const struct msg_version *v,
		  uint16_t bucket, const char *aor, size_t aor_len, const char *key,
		  size_t key_len, uint64_t now_ms);
/* A live binding of ident exists again: its tombstone (if any) goes. */
void reg_tomb_forget(struct reg_shard *s, uint64_t ident);
/* Federation: the seconds left of AoR ai's longest live binding other than
 * EXCEPT (REG_NONE: all), rounded up or down; 0 when none. */
uint32_t reg_aor_left_s(const struct reg_shard *s, uint32_t ai, uint32_t except,
			uint64_t now_ms, bool round_up);
/* Federation: a change made here to AoR ai (AOR text) at version V: this
 * node's directory entry for it (home here while AOR_S > 0, else removed). */
void reg_dir_note_local(struct reg_shard *s, const char *aor, size_t aor_len,
			const struct msg_version *v, uint32_t aor_s, uint64_t now_ms);
/* Expire the tombstones whose time has come (bounded). */
void reg_tomb_tick(struct reg_shard *s, uint64_t now_ms);

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_STORE_H */
