/* SPDX-License-Identifier: BSD-3-Clause */
/* The registrar's pack encoding of a record. See reg_pack.h. */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "dataplane/registrar/reg_pack.h"

static_assert(REG_PACK_REC_MAX < UINT16_MAX, "a record's length fits its 16-bit field");
static_assert(REG_PACK_BUF >= REG_PACK_REC_MAX, "a pack holds the longest record");

/* Little-endian fields, byte by byte: the same on every machine (no DPDK here,
 * so that a fuzz target can take this file alone). */
static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static inline uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

size_t
reg_pack_head(const struct reg_rec *r, uint8_t flags, uint8_t *out)
{
	size_t a1 = reg_pack_addr_len(r->family), a2 = reg_pack_addr_len(r->sock_family);
	size_t strings = (size_t)r->aor_len + r->uri_len + r->instance_len + r->path_len +
			 ((flags & REG_PACK_F_KEY_URI) ? 0 : r->key_len) + r->tag_len;

	put16(out + 0, (uint16_t)(REG_PACK_HDR + a1 + a2 + strings));
	out[2] = flags;
	out[3] = r->family;
	out[4] = r->sock_family;
	out[5] = r->local_port;
	put16(out + 6, r->version.origin);
	put64(out + 8, r->version.counter);
	put16(out + 16, r->port);
	put16(out + 18, r->sock_port);
	put16(out + 20, r->sock_node);
	put16(out + 22, r->q);
	put32(out + 24, r->cseq);
	put32(out + 28, r->expires_s);
	put32(out + 32, r->reg_id);
	put64(out + 36, r->callid);
	put16(out + 44, r->aor_len);
	put16(out + 46, r->uri_len);
	put16(out + 48, r->instance_len);
	put16(out + 50, r->path_len);
	put16(out + 52, (flags & REG_PACK_F_KEY_URI) ? 0 : r->key_len);
	out[54] = (uint8_t)r->tag_len;
	out[55] = 0;
	memcpy(out + REG_PACK_HDR, r->addr, a1);
	memcpy(out + REG_PACK_HDR + a1, r->sock_addr, a2);
	return REG_PACK_HDR + a1 + a2;
}

size_t
reg_pack_rec(const struct reg_rec *r, uint8_t *out, size_t cap)
{
	uint8_t flags = (r->tombstone ? REG_PACK_F_TOMBSTONE : 0) | (r->dir ? REG_PACK_F_DIR : 0);
	size_t off, need;

	if (r->aor_len > REG_AOR_MAX || r->uri_len > REG_URI_MAX ||
	    r->instance_len > REG_INST_MAX || r->path_len > REG_PATH_MAX ||
	    r->key_len > REG_KEY_MAX || r->tag_len > REG_TAG_MAX ||
	    (r->family != 0 && r->family != 4 && r->family != 6) ||
	    (r->sock_family != 0 && r->sock_family != 4 && r->sock_family != 6))
		return 0;
	if (!r->tombstone && r->uri_len != 0 && r->key_len == r->uri_len &&
	    memcmp(r->key, r->uri, r->key_len) == 0)
		flags |= REG_PACK_F_KEY_URI;
	need = REG_PACK_HDR + reg_pack_addr_len(r->family) + reg_pack_addr_len(r->sock_family) +
	       r->aor_len + r->uri_len + r->instance_len + r->path_len +
	       ((flags & REG_PACK_F_KEY_URI) ? 0 : r->key_len) + r->tag_len;
	if (need > cap)
		return 0;
	off = reg_pack_head(r, flags, out);
	return off + reg_rec_strings(r, r->aor, r->aor_len, !(flags & REG_PACK_F_KEY_URI),
				     (char *)out + off);
}

size_t
reg_rec_strings(const struct reg_rec *r, const char *aor, size_t aor_len, bool key, char *out)
{
	char *p = out;

	memcpy(p, aor, aor_len);
	p += aor_len;
	memcpy(p, r->uri, r->uri_len);
	p += r->uri_len;
	memcpy(p, r->instance, r->instance_len);
	p += r->instance_len;
	memcpy(p, r->path, r->path_len);
	p += r->path_len;
	if (key) {
		memcpy(p, r->key, r->key_len);
		p += r->key_len;
	}
	memcpy(p, r->tag, r->tag_len);
	p += r->tag_len;
	return (size_t)(p - out);
}

/* The lengths of the record at P checked against LEN and the limits: its
 * length, or 0. */
static size_t
reg_pack_check(const uint8_t *p, size_t len)
{
	size_t rec, a1, a2, aor, uri, inst, path, key, tag;

	if (len < REG_PACK_HDR)
		return 0;
	rec = get16(p);
	if (rec < REG_PACK_HDR || rec > len || (p[3] != 0 && p[3] != 4 && p[3] != 6) ||
	    (p[4] != 0 && p[4] != 4 && p[4] != 6))
		return 0;
	a1 = reg_pack_addr_len(p[3]);
	a2 = reg_pack_addr_len(p[4]);
	aor = get16(p + 44);
	uri = get16(p + 46);
	inst = get16(p + 48);
	path = get16(p + 50);
	key = get16(p + 52);
	tag = p[54];
	if (aor > REG_AOR_MAX || uri > REG_URI_MAX || inst > REG_INST_MAX ||
	    path > REG_PATH_MAX || key > REG_KEY_MAX || tag > REG_TAG_MAX ||
	    ((p[2] & REG_PACK_F_KEY_URI) && (key != 0 || uri > REG_KEY_MAX)))
		return 0;
	if (REG_PACK_HDR + a1 + a2 + aor + uri + inst + path + key + tag != rec)
		return 0;
	return rec;
}

size_t
reg_pack_peek(const uint8_t *p, size_t len, const char **aor, uint16_t *aor_len)
{
	size_t rec = reg_pack_check(p, len);

	if (rec == 0)
		return 0;
	*aor = (const char *)p + REG_PACK_HDR + reg_pack_addr_len(p[3]) + reg_pack_addr_len(p[4]);
	*aor_len = get16(p + 44);
	return rec;
}

size_t
reg_pack_unpack(const uint8_t *p, size_t len, struct reg_rec *r)
{
	size_t rec = reg_pack_check(p, len), a1, a2;
	const uint8_t *s;

	if (rec == 0)
		return 0;
	a1 = reg_pack_addr_len(p[3]);
	a2 = reg_pack_addr_len(p[4]);
	memset(r, 0, offsetof(struct reg_rec, aor));
	r->tombstone = (p[2] & REG_PACK_F_TOMBSTONE) != 0;
	r->dir = (p[2] & REG_PACK_F_DIR) != 0;
	r->family = p[3];
	r->sock_family = p[4];
	r->local_port = p[5];
	r->version.origin = get16(p + 6);
	r->version.counter = get64(p + 8);
	r->port = get16(p + 16);
	r->sock_port = get16(p + 18);
	r->sock_node = get16(p + 20);
	r->q = get16(p + 22);
	r->cseq = get32(p + 24);
	r->expires_s = get32(p + 28);
	r->reg_id = get32(p + 32);
	r->callid = get64(p + 36);
	r->aor_len = get16(p + 44);
	r->uri_len = get16(p + 46);
	r->instance_len = get16(p + 48);
	r->path_len = get16(p + 50);
	r->key_len = get16(p + 52);
	r->tag_len = p[54];
	memcpy(r->addr, p + REG_PACK_HDR, a1);
	memcpy(r->sock_addr, p + REG_PACK_HDR + a1, a2);
	s = p + REG_PACK_HDR + a1 + a2;
	memcpy(r->aor, s, r->aor_len);
	s += r->aor_len;
	memcpy(r->uri, s, r->uri_len);
	s += r->uri_len;
	memcpy(r->instance, s, r->instance_len);
	s += r->instance_len;
	memcpy(r->path, s, r->path_len);
	s += r->path_len;
	if (p[2] & REG_PACK_F_KEY_URI) {
		memcpy(r->key, r->uri, r->uri_len);
		r->key_len = r->uri_len;
	} else {
		memcpy(r->key, s, r->key_len);
		s += r->key_len;
	}
	memcpy(r->tag, s, r->tag_len);
	return rec;
}
