/* SPDX-License-Identifier: BSD-3-Clause */
/* Digest authentication of REGISTER: subscribers, nonces, checks, challenges. See reg_auth.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "dataplane/registrar/reg_auth.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_str.h"

#define AUTH_HASH_SEED   0x61757468u         /* "auth" */
#define AUTH_CNONCE_MAX  128
#define AUTH_URI_MAX     1024
#define AUTH_LINE_MAX    512

static const char hexd[] = "0123456789abcdef";

static void
hex_put(char *out, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[b[i] >> 4];
		out[2 * i + 1] = hexd[b[i] & 15];
	}
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n bytes from 2n hex digits; -1 if any is not one. */
static int
hex_get(uint8_t *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Digests fetched once (reg_auth_conf_init, before the workers start): an
 * implicit fetch by name on every call costs more than the digest itself. */
static EVP_MD *md_md5, *md_sha256;

static void
md_fetch(void)
{
	if (md_md5 == NULL)
		md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	if (md_sha256 == NULL)
		md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
algo_md(uint8_t algo)
{
	if (algo == CFG_AUTH_MD5)
		return md_md5 != NULL ? md_md5 : EVP_md5();
	return md_sha256 != NULL ? md_sha256 : EVP_sha256();
}

static size_t
algo_len(uint8_t algo)
{
	return algo == CFG_AUTH_MD5 ? 16 : 32;
}

/* Lower-case hex digest of p[0..n) into out (2 * algo_len bytes). */
static int
digest_hex(uint8_t algo, const char *p, size_t n, char *out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(p, n, md, &len, algo_md(algo), NULL) != 1 || len != algo_len(algo))
		return -1;
	hex_put(out, md, len);
	return 0;
}

static uint64_t
user_hash(const char *name, size_t len)
{
	uint64_t h = sip_hash64(AUTH_HASH_SEED, name, len);

	return h != 0 ? h : 1;
}

/* ---- any thread, off the packet path ---- */

void
reg_auth_conf_init(struct reg_auth_conf *c, const struct cfg_auth *a, const uint8_t *secret)
{
	int i;

	md_fetch();
	memset(c, 0, sizeof(*c));
	memcpy(c->secret, secret, REG_AUTH_SECRET_LEN);
	snprintf(c->realm, sizeof(c->realm), "%s", a->realm);
	c->realm_len = (uint16_t)strlen(c->realm);
	c->ttl_s = a->nonce_ttl_s;
	if (a->n_algorithms == 0) {
		c->n_algos = 2;
		c->algos[0] = CFG_AUTH_SHA256;
		c->algos[1] = CFG_AUTH_MD5;
	} else {
		for (i = 0; i < a->n_algorithms && i < 2; i++)
			c->algos[c->n_algos++] = (uint8_t)a->algorithms[i];
	}
	for (i = 0; i < a->n_trusted && i < CFG_MAX_CIDRS; i++)
		c->trusted[c->n_trusted++] = a->trusted[i];
	if (a->n_methods == 0)
		c->method[SIP_METHOD_REGISTER] = true;
	for (i = 0; i < a->n_methods && i < CFG_AUTH_N_METHODS; i++) {
		unsigned int k, m;

		for (k = 0; k < CFG_AUTH_N_METHODS; k++)
			if (a->methods[i] == 1u << k)
				for (m = 1; m < SIP_METHOD__COUNT; m++)
					if (strcmp(sip_method_name(m), cfg_auth_method_name(k)) == 0)
						c->method[m] = true;
	}
}

int
reg_auth_secret(const char *key_file, const char *label, uint8_t out[REG_AUTH_SECRET_LEN],
		char *err, size_t errlen)
{
	uint8_t key[1024];
	unsigned int len = REG_AUTH_SECRET_LEN;
	size_t n;
	FILE *f;

	if (key_file == NULL) {
		if (RAND_bytes(out, REG_AUTH_SECRET_LEN) != 1) {
			snprintf(err, errlen, "no random bytes for the nonce secret");
			return -EIO;
		}
		return 0;
	}
	f = fopen(key_file, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", key_file, strerror(errno));
		return -errno;
	}
	n = fread(key, 1, sizeof(key), f);
	fclose(f);
	if (n == 0) {
		snprintf(err, errlen, "%s: empty", key_file);
		OPENSSL_cleanse(key, sizeof(key));
		return -EINVAL;
	}
	if (HMAC(EVP_sha256(), key, (int)n, (const uint8_t *)label, strlen(label), out,
		 &len) == NULL || len != REG_AUTH_SECRET_LEN) {
		snprintf(err, errlen, "HMAC failed");
		OPENSSL_cleanse(key, sizeof(key));
		return -EIO;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

static struct reg_auth_user *
table_slot(struct reg_auth_table *t, const char *name, size_t len, uint64_t h)
{
	uint32_t i = (uint32_t)h & t->mask;

	for (;;) {
		struct reg_auth_user *u = &t->slot[i];

		if (u->hash == 0 || (u->hash == h && u->name_len == len &&
				     memcmp(u->name, name, len) == 0))
			return u;
		i = (i + 1) & t->mask;
	}
}

/* One line "user:realm:md5[:sha256]" into t (NULL: count only). */
static const char *
table_line(struct reg_auth_table *t, char *line, const char *realm, unsigned int *skipped,
	   bool *used)
{
	char *f[5] = { NULL };
	int n = 0;
	char *p = line, *c;
	size_t ulen, l;
	struct reg_auth_user *u;
	uint64_t h;

	*used = false;
	l = strlen(line);
	while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
		line[--l] = '\0';
	if (l == 0 || line[0] == '#')
		return NULL;
	f[n++] = p;
	while ((c = strchr(p, ':')) != NULL && n < 5) {
		*c = '\0';
		p = c + 1;
		f[n++] = p;
	}
	if (n < 3 || n > 4)
		return "expected user:realm:md5-HA1[:sha256-HA1]";
	ulen = strlen(f[0]);
	if (ulen == 0 || ulen >= REG_AUTH_USER_MAX)
		return "user name empty or longer than 63 bytes";
	if (strcmp(f[1], realm) != 0) {
		(*skipped)++;
		return NULL;
	}
	if (strlen(f[2]) != 32 || (n == 4 && strlen(f[3]) != 64))
		return "an HA1 is not 32 (MD5) or 64 (SHA-256) hex digits";
	*used = true;
	if (t == NULL) {
		uint8_t tmp[32];

		if (hex_get(tmp, f[2], 16) < 0 || (n == 4 && hex_get(tmp, f[3], 32) < 0))
			return "an HA1 is not hex";
		return NULL;
	}
	h = user_hash(f[0], ulen);
	u = table_slot(t, f[0], ulen, h);
	if (u->hash != 0)
		return "user listed twice in this realm";
	u->hash = h;
	u->name_len = (uint8_t)ulen;
	memcpy(u->name, f[0], ulen);
	u->has_md5 = hex_get(u->md5, f[2], 16) == 0;
	u->has_sha256 = n == 4 && hex_get(u->sha256, f[3], 32) == 0;
	t->n++;
	return NULL;
}

struct reg_auth_table *
reg_auth_table_load(const char *path, const char *realm, unsigned int *skipped, char *err,
		    size_t errlen)
{
	struct reg_auth_table *t = NULL;
	char line[AUTH_LINE_MAX];
	unsigned int users = 0, lineno, pass, sk = 0;
	uint32_t slots = 16;
	const char *why;
	bool used;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (pass = 0; pass < 2; pass++) {   /* count and check, then fill */
		lineno = 0;
		sk = 0;
		rewind(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			lineno++;
			if (strchr(line, '\n') == NULL && !feof(f)) {
				snprintf(err, errlen, "%s:%u: line longer than %d bytes", path,
					 lineno, AUTH_LINE_MAX - 2);
				goto fail;
			}
			why = table_line(t, line, realm, &sk, &used);
			if (why != NULL) {
				snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
				goto fail;
			}
			if (pass == 0 && used)
				users++;
		}
		if (ferror(f)) {
			snprintf(err, errlen, "%s: read error", path);
			goto fail;
		}
		if (pass == 0) {
			while (slots < 2u * users && slots < (1u << 30))
				slots <<= 1;
			t = calloc(1, sizeof(*t) + (size_t)slots * sizeof(t->slot[0]));
			if (t == NULL) {
				snprintf(err, errlen, "%s: out of memory for %u users", path, users);
				goto fail;
			}
			t->mask = slots - 1;
		}
	}
	fclose(f);
	if (skipped != NULL)
		*skipped = sk;
	return t;
fail:
	fclose(f);
	reg_auth_table_free(t);
	return NULL;
}

void
reg_auth_table_free(struct reg_auth_table *t)
{
	if (t == NULL)
		return;
	OPENSSL_cleanse(t->slot, (size_t)(t->mask + 1) * sizeof(t->slot[0]));
	free(t);
}

/* ---- any thread ---- */

const struct reg_auth_user *
reg_auth_table_find(const struct reg_auth_table *t, const char *name, size_t len)
{
	uint64_t h;
	uint32_t i;

	if (t == NULL || len == 0 || len >= REG_AUTH_USER_MAX)
		return NULL;
	h = user_hash(name, len);
	for (i = (uint32_t)h & t->mask;; i = (i + 1) & t->mask) {
		const struct reg_auth_user *u = &t->slot[i];

		if (u->hash == 0)
			return NULL;
		if (u->hash == h && u->name_len == len && memcmp(u->name, name, len) == 0)
			return u;
	}
}

bool
reg_auth_trusted(const struct reg_auth_conf *c, uint8_t family, const uint8_t *src)
{
	unsigned int i;

	for (i = 0; i < c->n_trusted; i++)
		if (cfg_cidr_match(&c->trusted[i], family, src))
			return true;
	return false;
}

static void
be64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* 16 bytes of HMAC-SHA256(secret, be64(time) || be64(salt) || realm). */
static void
nonce_mac(const struct reg_auth_conf *c, uint64_t t, uint64_t salt, uint8_t out[16])
{
	uint8_t msg[16 + CFG_STR], mac[32];
	unsigned int len = sizeof(mac);

	be64_put(msg, t);
	be64_put(msg + 8, salt);
	memcpy(msg + 16, c->realm, c->realm_len);
	if (HMAC(algo_md(CFG_AUTH_SHA256), c->secret, REG_AUTH_SECRET_LEN, msg, 16u + c->realm_len, mac,
		 &len) == NULL)
		memset(mac, 0, sizeof(mac));
	memcpy(out, mac, 16);
}

void
reg_auth_nonce_make(const struct reg_auth_conf *c, uint64_t now_s, uint64_t salt, char *out)
{
	uint8_t b[16], mac[16];

	be64_put(b, now_s);
	be64_put(b + 8, salt);
	nonce_mac(c, now_s, salt, mac);
	hex_put(out, b, 16);
	hex_put(out + 32, mac, 16);
}

enum reg_auth_verdict
reg_auth_nonce_check(const struct reg_auth_conf *c, const char *nonce, size_t len,
		     uint64_t now_s)
{
	uint8_t b[16], mac[16], want[16];
	uint64_t t;

	if (len != REG_AUTH_NONCE_LEN || hex_get(b, nonce, 16) < 0 ||
	    hex_get(mac, nonce + 32, 16) < 0)
		return REG_AUTH_BAD_NONCE;
	t = be64_get(b);
	nonce_mac(c, t, be64_get(b + 8), want);
	if (CRYPTO_memcmp(mac, want, sizeof(mac)) != 0)
		return REG_AUTH_BAD_NONCE;
	if (t > now_s + REG_AUTH_SKEW_S)
		return REG_AUTH_BAD_NONCE;
	if (now_s > t && now_s - t > c->ttl_s)
		return REG_AUTH_STALE;
	return REG_AUTH_OK;
}

static bool
algo_offered(const struct reg_auth_conf *c, uint8_t algo)
{
	unsigned int i;

	for (i = 0; i < c->n_algos; i++)
		if (c->algos[i] == algo)
			return true;
	return false;
}

/* The credentials of m for our realm: 1 found (in *a), 0 none, -1 a header
 * for our realm is unparsable. */
static int
creds_find(const struct reg_auth_conf *c, const struct sip_msg *m, unsigned int hdr,
	   struct sip_auth *a)
{
	uint8_t h = m->first[hdr];
	int bad = 0;

	while (h != SIP_HDR_NONE && h < m->n_hdrs) {
		const struct sip_hdr *hd = &m->hdrs[h];

		if (sip_auth_parse(a, &hd->value) != 0)
			bad = 1;
		else if (a->digest && a->realm.len == c->realm_len &&
			 memcmp(a->realm.p, c->realm, c->realm_len) == 0)
			return 1;
		h = hd->next;
	}
	return bad ? -1 : 0;
}

/* The check of reg_auth_check(), on the header fields HDR. */
static enum reg_auth_verdict
auth_check(const struct reg_auth_conf *c, const struct reg_auth_table *t,
	   struct reg_auth_replay *rp, const struct sip_msg *m, unsigned int hdr,
	   const char *aor_user, size_t user_len, uint64_t now_s)
{
	struct sip_auth a;
	const struct reg_auth_user *u;
	enum reg_auth_verdict v;
	uint8_t algo, nc8[4];
	uint32_t nc;
	uint64_t key;
	char buf[AUTH_URI_MAX + 512], ha2[64], resp[64];
	const uint8_t *ha1;
	size_t hl, n, i;
	int rc;

	rc = creds_find(c, m, hdr, &a);
	if (rc == 0)
		return REG_AUTH_NONE;
	if (rc < 0 || a.username.p == NULL || a.nonce.p == NULL || a.uri.p == NULL ||
	    a.response.p == NULL || a.cnonce.p == NULL || a.nc.p == NULL || a.qop.p == NULL)
		return REG_AUTH_MALFORMED;
	if (a.algorithm.p == NULL || sip_str_lc_eq(a.algorithm.p, a.algorithm.len, "md5", 3))
		algo = CFG_AUTH_MD5;
	else if (sip_str_lc_eq(a.algorithm.p, a.algorithm.len, "sha-256", 7))
		algo = CFG_AUTH_SHA256;
	else
		return REG_AUTH_MALFORMED;
	if (!algo_offered(c, algo) || !sip_str_lc_eq(a.qop.p, a.qop.len, "auth", 4) ||
	    a.nc.len != 8 || hex_get(nc8, a.nc.p, 4) < 0 || a.cnonce.len > AUTH_CNONCE_MAX ||
	    a.uri.len > AUTH_URI_MAX || a.response.len != 2 * algo_len(algo))
		return REG_AUTH_MALFORMED;
	nc = (uint32_t)nc8[0] << 24 | (uint32_t)nc8[1] << 16 | (uint32_t)nc8[2] << 8 | nc8[3];
	v = reg_auth_nonce_check(c, a.nonce.p, a.nonce.len, now_s);
	if (v != REG_AUTH_OK)
		return v;
	u = reg_auth_table_find(t, a.username.p, a.username.len);
	if (u == NULL || (algo == CFG_AUTH_MD5 ? !u->has_md5 : !u->has_sha256))
		return REG_AUTH_UNKNOWN_USER;
	hl = algo_len(algo);
	ha1 = algo == CFG_AUTH_MD5 ? u->md5 : u->sha256;
	/* HA2 = H(method ":" digest-uri) */
	n = 0;
	memcpy(buf, m->method_str.p, m->method_str.len);
	n += m->method_str.len;
	buf[n++] = ':';
	memcpy(buf + n, a.uri.p, a.uri.len);
	n += a.uri.len;
	if (m->method_str.len > 32 || digest_hex(algo, buf, n, ha2) < 0)
		return REG_AUTH_MALFORMED;
	/* response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) */
	n = 0;
	hex_put(buf, ha1, hl);
	n += 2 * hl;
	buf[n++] = ':';
	memcpy(buf + n, a.nonce.p, a.nonce.len);
	n += a.nonce.len;
	buf[n++] = ':';
	memcpy(buf + n, a.nc.p, 8);
	n += 8;
	buf[n++] = ':';
	memcpy(buf + n, a.cnonce.p, a.cnonce.len);
	n += a.cnonce.len;
	memcpy(buf + n, ":auth:", 6);
	n += 6;
	memcpy(buf + n, ha2, 2 * hl);
	n += 2 * hl;
	rc = digest_hex(algo, buf, n, resp);
	OPENSSL_cleanse(buf, 2 * hl);
	if (rc < 0)
		return REG_AUTH_MALFORMED;
	for (i = 0; i < 2 * hl; i++)   /* the received hex, lower-cased */
		buf[i] = (char)(a.response.p[i] >= 'A' && a.response.p[i] <= 'F' ?
				a.response.p[i] + 32 : a.response.p[i]);
	if (CRYPTO_memcmp(buf, resp, 2 * hl) != 0)
		return REG_AUTH_BAD_RESPONSE;
	if (a.username.len != user_len || memcmp(a.username.p, aor_user, user_len) != 0)
		return REG_AUTH_USER_MISMATCH;
	key = sip_hash64(AUTH_HASH_SEED, a.nonce.p, a.nonce.len) | 1;
	if (rp != NULL) {
		uint32_t s = (uint32_t)(key >> 20) & (REG_AUTH_REPLAY_SLOTS - 1);

		if (rp->slot[s].key == key && nc <= rp->slot[s].nc)
			return REG_AUTH_REPLAY;
		rp->slot[s].key = key;
		rp->slot[s].nc = nc;
	}
	return REG_AUTH_OK;
}

enum reg_auth_verdict
reg_auth_check(const struct reg_auth_conf *c, const struct reg_auth_table *t,
	       struct reg_auth_replay *rp, const struct sip_msg *m, const char *aor_user,
	       size_t user_len, uint64_t now_s)
{
	return auth_check(c, t, rp, m, SIP_HDR_AUTHORIZATION, aor_user, user_len, now_s);
}

enum reg_auth_verdict
reg_auth_check_proxy(const struct reg_auth_conf *c, const struct reg_auth_table *t,
		     struct reg_auth_replay *rp, const struct sip_msg *m, const char *from_user,
		     size_t user_len, uint64_t now_s)
{
	return auth_check(c, t, rp, m, SIP_HDR_PROXY_AUTHORIZATION, from_user, user_len, now_s);
}

static void
challenge_add(struct sip_reply *r, const struct reg_auth_conf *c, const char *nonce,
	      uint8_t algo, bool stale, bool proxy)
{
	sip_reply_puts(r, proxy ? "Proxy-Authenticate: Digest realm=\"" :
				  "WWW-Authenticate: Digest realm=\"");
	sip_reply_put(r, c->realm, c->realm_len);
	sip_reply_puts(r, "\", nonce=\"");
	sip_reply_put(r, nonce, REG_AUTH_NONCE_LEN);
	sip_reply_puts(r, algo == CFG_AUTH_MD5 ? "\", algorithm=MD5, qop=\"auth\"" :
						 "\", algorithm=SHA-256, qop=\"auth\"");
	if (stale)
		sip_reply_puts(r, ", stale=true");
	sip_reply_crlf(r);
}

/* A 401 (WWW-Authenticate) or, PROXY, a 407 (Proxy-Authenticate). */
static size_t
auth_challenge(const struct reg_auth_conf *c, const struct sip_msg *m, bool stale, bool proxy,
	       uint64_t now_s, uint64_t salt, const struct sip_reply_via *via, size_t max_len,
	       char *out, size_t cap)
{
	char nonce[REG_AUTH_NONCE_LEN];
	unsigned int n_algos, i;
	size_t len;

	reg_auth_nonce_make(c, now_s, salt, nonce);
	if (cap > max_len)
		cap = max_len;
	for (n_algos = c->n_algos; n_algos >= 1; n_algos--) {
		struct sip_reply r;

		sip_reply_init(&r, out, cap);
		if (sip_reply_begin(&r, m, proxy ? 407 : 401, NULL, via) != 0)
			return 0;
		for (i = 0; i < n_algos; i++)
			challenge_add(&r, c, nonce, c->algos[i], stale, proxy);
		len = sip_reply_end(&r);
		if (len != 0)
			return len;
	}
	return 0;
}

size_t
reg_auth_challenge(const struct reg_auth_conf *c, const struct sip_msg *m, bool stale,
		   uint64_t now_s, uint64_t salt, const struct sip_reply_via *via, size_t max_len,
		   char *out, size_t cap)
{
	return auth_challenge(c, m, stale, false, now_s, salt, via, max_len, out, cap);
}

size_t
reg_auth_challenge_proxy(const struct reg_auth_conf *c, const struct sip_msg *m, bool stale,
			 uint64_t now_s, uint64_t salt, const struct sip_reply_via *via,
			 size_t max_len, char *out, size_t cap)
{
	return auth_challenge(c, m, stale, true, now_s, salt, via, max_len, out, cap);
}

static const char *const verdict_names[] = {
#define REG_AUTH_V_NAME(n, lc, h) lc,
	REG_AUTH_FOREACH_VERDICT(REG_AUTH_V_NAME)
#undef REG_AUTH_V_NAME
};
static const char *const verdict_helps[] = {
#define REG_AUTH_V_HELP(n, lc, h) h,
	REG_AUTH_FOREACH_VERDICT(REG_AUTH_V_HELP)
#undef REG_AUTH_V_HELP
};

const char *
reg_auth_verdict_name(enum reg_auth_verdict v)
{
	return (unsigned int)v < REG_AUTH__COUNT ? verdict_names[v] : "?";
}

const char *
reg_auth_verdict_help(enum reg_auth_verdict v)
{
	return (unsigned int)v < REG_AUTH__COUNT ? verdict_helps[v] : "?";
}
