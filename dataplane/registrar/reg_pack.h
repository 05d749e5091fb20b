/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's pack encoding of a binding or tombstone: what a full sync
 * carries (SyncChunk.records, control/repl/cp_repl_bulk.h). The donor's shard
 * writes it straight from its store (reg_shard_sync_pack()), the receiving cp
 * only routes each record to its owning shard (reg_pack_peek(): length and AoR),
 * and that shard decodes it (reg_shard_apply_pack()). No per-record protobuf, no
 * conversion through the cp: a full sync costs the cps a copy per datagram.
 *
 * A record, little-endian, back to back with the next one:
 *   off  size
 *     0     2  total length of the record
 *     2     1  flags: REG_PACK_F_*
 *     3     1  family of the received-from address: 0, 4 or 6
 *     4     1  family of the local socket: 0, 4 or 6
 *     5     1  local port index (on sock_node)
 *     6     2  origin (node id of the version)
 *     8     8  counter (hybrid clock of the version)
 *    16     2  received-from UDP port
 *    18     2  local UDP port
 *    20     2  sock_node
 *    22     2  q (0..1000)
 *    24     4  CSeq
 *    28     4  seconds left (rounded down when packed; the chunk's age is
 *              subtracted by the receiver)
 *    32     4  reg-id
 *    36     8  hash of the Call-ID
 *    44     2  AoR length         46  2  URI length
 *    48     2  +sip.instance len  50  2  Path length
 *    52     2  contact key length (0 with REG_PACK_F_KEY_URI)
 *    54     1  tag length         55  1  0
 *    56        received-from address (0, 4 or 16 bytes by family), local
 *              address (idem), then AoR, URI, +sip.instance, Path, key, tag.
 * A tombstone has only the version, the AoR and the key.
 *
 * Everything is checked on decode (lengths within the registrar's limits and
 * within the record); the shard then checks the record as any replicated one
 * (reg_rec_check()). Pure functions, no allocation.
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_PACK_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/registrar/reg_types.h"

#define REG_PACK_HDR          56u
#define REG_PACK_F_TOMBSTONE  0x01u
#define REG_PACK_F_KEY_URI    0x02u   /* the contact key is the URI: not repeated */
#define REG_PACK_F_DIR        0x04u   /* a directory entry (federation, reg_rec.dir) */
/* The longest record: header, two IPv6 addresses, every string at its limit. */
#define REG_PACK_REC_MAX      (REG_PACK_HDR + 32u + REG_AOR_MAX + REG_URI_MAX + \
			       REG_INST_MAX + REG_PATH_MAX + REG_KEY_MAX + REG_TAG_MAX)

/* A pack of records for one shard (the cp -> shard ring DP_RING_APPLY_PACK):
 * LEN bytes of records, read AGE_MS after their lifetimes were. */
#define REG_PACK_BUF          8192u
struct reg_pack_buf {
	uint32_t len;
	uint32_t age_ms;
	uint8_t data[REG_PACK_BUF];
};

/* R encoded into OUT (CAP bytes): its length, or 0 when it does not fit or R's
 * lengths exceed the limits. */
size_t reg_pack_rec(const struct reg_rec *r, uint8_t *out, size_t cap);

/* The record at P (LEN bytes available): its length, and its AoR in *AOR,
 * *AOR_LEN; 0 when the framing is bad (too short, lengths that do not add up). */
size_t reg_pack_peek(const uint8_t *p, size_t len, const char **aor, uint16_t *aor_len);

/* The record at P decoded into R (only R's used bytes written): its length, or
 * 0 when malformed. */
size_t reg_pack_unpack(const uint8_t *p, size_t len, struct reg_rec *r);

/* The lifetime field of the (checked) record at P, and a tombstone's flag:
 * the record stream ages a queued record's lifetime when it sends it. */
static inline uint32_t
reg_pack_expires(const uint8_t *p)
{
	return (uint32_t)p[28] | (uint32_t)p[29] << 8 | (uint32_t)p[30] << 16 |
	       (uint32_t)p[31] << 24;
}

static inline void
reg_pack_set_expires(uint8_t *p, uint32_t s)
{
	p[28] = (uint8_t)s;
	p[29] = (uint8_t)(s >> 8);
	p[30] = (uint8_t)(s >> 16);
	p[31] = (uint8_t)(s >> 24);
}

/* R's strings back to back into OUT, in the order both the pack encoding and a
 * change event (struct reg_event) keep them: AOR (AOR_LEN bytes, which may be
 * R's own), URI, +sip.instance, Path, contact key (when KEY), tag. Their bytes. */
size_t reg_rec_strings(const struct reg_rec *r, const char *aor, size_t aor_len, bool key,
		       char *out);

/* ---- for the shard's encoder (reg_shard_sync_pack) ---- */

/* The bytes of the addresses of families F1, F2 (0, 4 or 16 each). */
static inline size_t
reg_pack_addr_len(uint8_t f)
{
	return f == 4 ? 4 : f == 6 ? 16 : 0;
}

/* Writes the header and addresses of R's fixed fields and the lengths into OUT
 * (room for REG_PACK_HDR + 32 bytes); the strings follow at the returned offset.
 * R's string buffers are not read. */
size_t reg_pack_head(const struct reg_rec *r, uint8_t flags, uint8_t *out);

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_PACK_H */
