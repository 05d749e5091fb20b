/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar keys: the AoR of a REGISTER (domain check, normalisation, keyed
 * 64-bit digest) and the normalised form of Contact URIs used to match bindings.
 * Pure functions of their inputs; any lcore.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_store.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_lex.h"
#include "dataplane/sip/sip_parse.h"

/* ---- any lcore: helpers ---- */

static inline int
reg_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2396 unreserved: alphanum and mark. */
static inline int
reg_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '!' || c == '~' || c == '*' ||
	       c == '\'' || c == '(' || c == ')';
}

static inline char
reg_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static size_t
reg_put(char *out, size_t cap, size_t o, const char *p, size_t n)
{
	if (o == SIZE_MAX || n > cap - o)
		return SIZE_MAX;
	memcpy(out + o, p, n);
	return o + n;
}

static size_t
reg_put_lower(char *out, size_t cap, size_t o, const char *p, size_t n)
{
	size_t i;

	if (o == SIZE_MAX || n > cap - o)
		return SIZE_MAX;
	for (i = 0; i < n; i++)
		out[o + i] = reg_lower(p[i]);
	return o + n;
}

/* "sip:" or "sips:", any case */
static int
reg_is_sip_scheme(const char *p, size_t n)
{
	if (n < 4 || reg_lower(p[0]) != 's' || reg_lower(p[1]) != 'i' || reg_lower(p[2]) != 'p')
		return 0;
	return p[3] == ':' || (n > 4 && reg_lower(p[3]) == 's' && p[4] == ':');
}

static int
reg_domain_index(const struct reg_conf *c, const char *host, size_t len)
{
	int i;

	if (len >= CFG_STR)
		return -1;
	for (i = 0; i < c->n_domains && i < REG_DOM_NONE; i++)
		if (c->domains[i][len] == '\0' && memcmp(c->domains[i], host, len) == 0)
			return i;
	return -1;
}

/* user (raw, may be absent) + host into key; 0 or -EINVAL. */
static int
reg_key_build(const struct reg_conf *c, const char *user, size_t ulen, int has_user,
	      const char *host, size_t hlen, struct reg_key *key)
{
	size_t o = 0, n;
	int d;

	if (hlen == 0)
		return -EINVAL;
	if (has_user) {
		n = reg_user_norm(user, ulen, key->aor, REG_AOR_MAX);
		if (n == SIZE_MAX || n + 1 > REG_AOR_MAX)
			return -EINVAL;
		key->aor[n] = '@';
		o = n + 1;
	}
	if (reg_put_lower(key->aor, REG_AOR_MAX, o, host, hlen) == SIZE_MAX)
		return -EINVAL;
	key->len = (uint16_t)(o + hlen);
	key->user_len = has_user ? (uint16_t)(o - 1) : key->len;
	d = reg_domain_index(c, key->aor + o, hlen);
	key->dom = d < 0 ? REG_DOM_NONE : (uint8_t)d;
	key->digest = sip_hash64(c->hash_seed, key->aor, key->len);
	key->hint_shard = NULL;
	return 0;
}

/* ---- any lcore: public ---- */

size_t
reg_user_norm(const char *p, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (memchr(p, '%', n) == NULL) {   /* the usual user: nothing to decode */
		if (n > cap)
			return SIZE_MAX;
		memcpy(out, p, n);
		return n;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return SIZE_MAX;
			hi = reg_hexval(p[i + 1]);
			lo = reg_hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return SIZE_MAX;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			if (!reg_unreserved(c)) {
				if (o + 3 > cap)
					return SIZE_MAX;
				out[o++] = '%';
				out[o++] = hex[c >> 4];
				out[o++] = hex[c & 15];
				continue;
			}
		}
		if (o + 1 > cap)
			return SIZE_MAX;
		out[o++] = (char)c;
	}
	return o;
}

size_t
reg_uri_canon(const struct sip_uri *u, char *out, size_t cap)
{
	size_t o = 0, n;
	char port[6];
	unsigned v;
	int i;

	o = reg_put_lower(out, cap, o, u->scheme.p, u->scheme.len);
	o = reg_put(out, cap, o, ":", 1);
	if (u->type != SIP_URI_SIP && u->type != SIP_URI_SIPS) {
		o = reg_put(out, cap, o, u->opaque.p, u->opaque.len);
		return o == SIZE_MAX ? 0 : o;
	}
	if (u->user.p != NULL && o != SIZE_MAX) {
		n = reg_user_norm(u->user.p, u->user.len, out + o, cap - o);
		o = n == SIZE_MAX ? SIZE_MAX : o + n;
		if (u->password.p != NULL) {
			o = reg_put(out, cap, o, ":", 1);
			o = reg_put(out, cap, o, u->password.p, u->password.len);
		}
		o = reg_put(out, cap, o, "@", 1);
	}
	o = reg_put_lower(out, cap, o, u->host.p, u->host.len);
	if (u->port != 0) {
		i = 6;
		v = u->port;
		do {
			port[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		port[--i] = ':';
		o = reg_put(out, cap, o, port + i, (size_t)(6 - i));
	}
	if (u->params.p != NULL) {
		o = reg_put(out, cap, o, ";", 1);
		o = reg_put(out, cap, o, u->params.p, u->params.len);
	}
	if (u->headers.p != NULL) {
		o = reg_put(out, cap, o, "?", 1);
		o = reg_put(out, cap, o, u->headers.p, u->headers.len);
	}
	return o == SIZE_MAX ? 0 : o;
}

/* The usual To URI, "sip:" (any case) user "@" host and nothing after the host,
 * the user without escapes: *user and *host as sip_uri_parse() would give them,
 * from one scan of each. 0: another shape, parsed in full. */
static int
reg_to_usual(const char *p, size_t n, struct sip_str *user, struct sip_str *host)
{
	const char *end = p + n, *at, *q;
	uint32_t w;
	int ht;

	if (n < 7)
		return 0;
	memcpy(&w, p, 4);
	if ((w | 0x00202020u) != 0x3a706973u)  /* "sip:", the letters in any case */
		return 0;
	at = sip_skip(p + 4, end, SIP_C_USER);
	if (at == p + 4 || at >= end || *at != '@')
		return 0;
	q = sip_host_scan_in(p, at + 1, end, &ht);
	if (q != end)
		return 0;
	*user = sip_mkstr(p + 4, at);
	*host = sip_mkstr(at + 1, end);
	return 1;
}

int
reg_aor_key(const struct reg_conf *c, const struct sip_msg *m, struct reg_key *key,
	    uint32_t *hash)
{
	struct sip_nameaddr to;
	struct sip_str user, host;
	struct sip_uri u;

	/* Request-URI: only its scheme matters to a registrar */
	if (m->ruri.p == NULL || m->ruri.len < 4)
		return 400;
	if (!reg_is_sip_scheme(m->ruri.p, m->ruri.len))
		return memchr(m->ruri.p, ':', m->ruri.len) != NULL ? 416 : 400;
	if (sip_msg_to(m, &to) != 0)
		return 400;
	if (reg_to_usual(to.uri.p, to.uri.len, &user, &host)) {
		if (reg_key_build(c, user.p, user.len, 1, host.p, host.len, key) != 0)
			return 400;
	} else {
		if (sip_uri_parse(&u, to.uri.p, to.uri.len) != 0)
			return 400;
		if (u.type != SIP_URI_SIP && u.type != SIP_URI_SIPS)
			return 400;         /* RFC 3261 §10.2, RFC 4475 §3.3.4 */
		if (reg_key_build(c, u.user.p, u.user.len, u.user.p != NULL, u.host.p,
				  u.host.len, key) != 0)
			return 400;
	}
	if (c->n_domains > 0 && key->dom == REG_DOM_NONE)
		return c->foreign_status != 0 ? c->foreign_status : 403;
	*hash = (uint32_t)key->digest;
	return 0;
}

int
reg_key_from_text(const struct reg_conf *c, const char *aor, size_t len, struct reg_key *key)
{
	const char *at = NULL;
	size_t i;

	if (len >= 4 && reg_lower(aor[0]) == 's' && reg_lower(aor[1]) == 'i' &&
	    reg_lower(aor[2]) == 'p') {
		if (aor[3] == ':') {
			aor += 4;
			len -= 4;
		} else if (len >= 5 && reg_lower(aor[3]) == 's' && aor[4] == ':') {
			aor += 5;
			len -= 5;
		}
	}
	for (i = len; i > 0; i--) {
		if (aor[i - 1] == '@') {
			at = aor + i - 1;
			break;
		}
	}
	if (at == NULL)
		return reg_key_build(c, NULL, 0, 0, aor, len, key);
	return reg_key_build(c, aor, (size_t)(at - aor), 1, at + 1,
			     (size_t)(aor + len - at - 1), key);
}
