/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Digest authentication (reg_auth): the htdigest loader (realms, errors with
 * their line), stateless nonces (fresh, stale, forged, from the future, made by
 * another node with the same secret), every verdict of reg_auth_check against
 * responses computed here with libcrypto (RFC 8760 SHA-256 and MD5, qop=auth),
 * the replay window, and the 3x bound of the challenge.
 */
#define _GNU_SOURCE             /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "config/cfg.h"
#include "dataplane/registrar/reg_auth.h"
#include "dataplane/sip/sip_parse.h"

#define NOW 1700000000ull

static char path[64];
static struct reg_auth_conf conf;
static struct reg_auth_table *tbl;
static struct reg_auth_replay replay;
static struct sip_msg msg;
static char text[4096];

static void
hexdig(const char *algo, const char *s, char *out)
{
	uint8_t md[64];
	unsigned int n, i;

	EVP_Digest(s, strlen(s), md, &n, strcmp(algo, "MD5") == 0 ? EVP_md5() : EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void
write_file(const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(body, f);
	fclose(f);
}

static int
setup(void **state)
{
	char ha1m[80], ha1s[80], body[512];
	struct cfg_auth a = { .nonce_ttl_s = 30 };
	uint8_t secret[REG_AUTH_SECRET_LEN];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sc-auth-%d", (int)getpid());
	hexdig("MD5", "alice:example.com:secret", ha1m);
	hexdig("SHA-256", "alice:example.com:secret", ha1s);
	snprintf(body, sizeof(body), "# comment\n\nalice:example.com:%s:%s\n"
		 "bob:example.com:%s\neve:elsewhere:%s\n", ha1m, ha1s, ha1m, ha1m);
	write_file(body);
	snprintf(a.realm, sizeof(a.realm), "example.com");
	memset(secret, 7, sizeof(secret));
	reg_auth_conf_init(&conf, &a, secret);
	tbl = reg_auth_table_load(path, "example.com", NULL, body, sizeof(body));
	assert_non_null(tbl);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	reg_auth_table_free(tbl);
	unlink(path);
	return 0;
}

static void
test_table(void **state)
{
	char err[256];
	unsigned int skipped = 0;
	struct reg_auth_table *t;

	(void)state;
	assert_int_equal(tbl->n, 2);
	assert_non_null(reg_auth_table_find(tbl, "alice", 5));
	assert_true(reg_auth_table_find(tbl, "alice", 5)->has_sha256);
	assert_false(reg_auth_table_find(tbl, "bob", 3)->has_sha256);
	assert_null(reg_auth_table_find(tbl, "eve", 3));
	assert_null(reg_auth_table_find(tbl, "alic", 4));
	t = reg_auth_table_load(path, "elsewhere", &skipped, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(t->n, 1);
	assert_int_equal(skipped, 2);
	reg_auth_table_free(t);
	write_file("a:example.com:0123456789abcdef0123456789abcdef\nb:example.com:xyz\n");
	assert_null(reg_auth_table_load(path, "example.com", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, ":2: "));
	write_file("a:example.com:0123456789abcdef0123456789abcdeg\n");
	assert_null(reg_auth_table_load(path, "example.com", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, ":1: an HA1 is not hex"));
	write_file("a:example.com:0123456789abcdef0123456789abcdef\na:example.com:0123456789abcdef0123456789abcdef\n");
	assert_null(reg_auth_table_load(path, "example.com", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, ":2: user listed twice"));
	assert_null(reg_auth_table_load("/nonexistent/x", "example.com", NULL, err, sizeof(err)));
}

static void
test_nonce(void **state)
{
	char n[REG_AUTH_NONCE_LEN], n2[REG_AUTH_NONCE_LEN];
	struct reg_auth_conf other = conf;

	(void)state;
	reg_auth_nonce_make(&conf, NOW, 1, n);
	reg_auth_nonce_make(&conf, NOW, 2, n2);
	assert_memory_not_equal(n, n2, sizeof(n));      /* same second, other salt */
	assert_int_equal(reg_auth_nonce_check(&conf, n, sizeof(n), NOW), REG_AUTH_OK);
	assert_int_equal(reg_auth_nonce_check(&conf, n, sizeof(n), NOW + 30), REG_AUTH_OK);
	assert_int_equal(reg_auth_nonce_check(&conf, n, sizeof(n), NOW + 31), REG_AUTH_STALE);
	assert_int_equal(reg_auth_nonce_check(&conf, n, sizeof(n), NOW - REG_AUTH_SKEW_S - 1),
			 REG_AUTH_BAD_NONCE);
	assert_int_equal(reg_auth_nonce_check(&other, n, sizeof(n), NOW), REG_AUTH_OK);
	other.secret[0] ^= 1;                            /* another cluster */
	assert_int_equal(reg_auth_nonce_check(&other, n, sizeof(n), NOW), REG_AUTH_BAD_NONCE);
	n[3] ^= 1;                                       /* time changed: MAC no longer fits */
	assert_int_equal(reg_auth_nonce_check(&conf, n, sizeof(n), NOW), REG_AUTH_BAD_NONCE);
	assert_int_equal(reg_auth_nonce_check(&conf, n, sizeof(n) - 1, NOW), REG_AUTH_BAD_NONCE);
}

/* A REGISTER for aor with credentials (user, password, algo, nonce, nc). */
static void
build(const char *aor, const char *user, const char *pw, const char *algo, const char *nonce,
      unsigned int nc, const char *realm)
{
	char ha1[80], ha2[80], resp[80], s[512];
	int n;

	snprintf(s, sizeof(s), "%s:%s:%s", user, realm, pw);
	hexdig(algo, s, ha1);
	hexdig(algo, "REGISTER:sip:example.com", ha2);
	snprintf(s, sizeof(s), "%s:%.64s:%08x:c0ffee:auth:%s", ha1, nonce, nc, ha2);
	hexdig(algo, s, resp);
	n = snprintf(text, sizeof(text),
		     "REGISTER sip:example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK1\r\n"
		     "From: <sip:%s@example.com>;tag=1\r\nTo: <sip:%s@example.com>\r\n"
		     "Call-ID: x\r\nCSeq: 1 REGISTER\r\n"
		     "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%.64s\", "
		     "uri=\"sip:example.com\", response=\"%s\", algorithm=%s, qop=auth, "
		     "nc=%08x, cnonce=\"c0ffee\"\r\nContent-Length: 0\r\n\r\n",
		     aor, aor, user, realm, nonce, resp, algo, nc);
	assert_int_equal(sip_msg_parse(&msg, text, (size_t)n), 0);
}

static enum reg_auth_verdict
check(const char *aor)
{
	return reg_auth_check(&conf, tbl, &replay, &msg, aor, strlen(aor), NOW);
}

static void
test_verdicts(void **state)
{
	char n[REG_AUTH_NONCE_LEN + 1] = "", n2[REG_AUTH_NONCE_LEN + 1] = "";

	(void)state;
	memset(&replay, 0, sizeof(replay));
	reg_auth_nonce_make(&conf, NOW, 10, n);
	reg_auth_nonce_make(&conf, NOW, 11, n2);
	build("alice", "alice", "secret", "SHA-256", n, 1, "example.com");
	assert_int_equal(check("alice"), REG_AUTH_OK);
	assert_int_equal(check("alice"), REG_AUTH_REPLAY);          /* same nc again */
	build("alice", "alice", "secret", "SHA-256", n, 2, "example.com");
	assert_int_equal(check("alice"), REG_AUTH_OK);
	build("alice", "alice", "secret", "MD5", n2, 1, "example.com");
	assert_int_equal(check("alice"), REG_AUTH_OK);
	build("alice", "alice", "wrong", "MD5", n2, 2, "example.com");
	assert_int_equal(check("alice"), REG_AUTH_BAD_RESPONSE);
	build("bob", "bob", "secret", "SHA-256", n2, 3, "example.com");
	assert_int_equal(check("bob"), REG_AUTH_UNKNOWN_USER);      /* no SHA-256 HA1 */
	build("carol", "carol", "secret", "MD5", n2, 3, "example.com");
	assert_int_equal(check("carol"), REG_AUTH_UNKNOWN_USER);
	build("bob", "alice", "secret", "MD5", n2, 4, "example.com");
	assert_int_equal(check("bob"), REG_AUTH_USER_MISMATCH);
	build("alice", "alice", "secret", "MD5", n2, 5, "other.realm");
	assert_int_equal(check("alice"), REG_AUTH_NONE);             /* not our realm */
	build("alice", "alice", "secret", "SHA-512-256", n2, 5, "example.com");
	assert_int_equal(check("alice"), REG_AUTH_MALFORMED);
	n[40] = n[40] == '0' ? '1' : '0';
	build("alice", "alice", "secret", "MD5", n, 9, "example.com");
	assert_int_equal(check("alice"), REG_AUTH_BAD_NONCE);
	reg_auth_nonce_make(&conf, NOW - 31, 12, n);
	build("alice", "alice", "secret", "MD5", n, 1, "example.com");
	assert_int_equal(check("alice"), REG_AUTH_STALE);
}

/* An INVITE from `from` with Proxy-Authorization (or, hdr "Authorization", in
 * the header a proxy must not read) answering nonce with nc 1. */
static void
build_invite(const char *from, const char *pw, const char *nonce, const char *hdr)
{
	char ha1[80], ha2[80], resp[80], s[512];
	int n;

	snprintf(s, sizeof(s), "%s:example.com:%s", from, pw);
	hexdig("SHA-256", s, ha1);
	hexdig("SHA-256", "INVITE:sip:bob@example.com", ha2);
	snprintf(s, sizeof(s), "%s:%.64s:00000001:c0ffee:auth:%s", ha1, nonce, ha2);
	hexdig("SHA-256", s, resp);
	n = snprintf(text, sizeof(text),
		     "INVITE sip:bob@example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK2\r\n"
		     "From: <sip:%s@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
		     "Call-ID: y\r\nCSeq: 1 INVITE\r\n"
		     "%s: Digest username=\"%s\", realm=\"example.com\", nonce=\"%.64s\", "
		     "uri=\"sip:bob@example.com\", response=\"%s\", algorithm=SHA-256, qop=auth, "
		     "nc=00000001, cnonce=\"c0ffee\"\r\nContent-Length: 0\r\n\r\n",
		     from, hdr, from, nonce, resp);
	assert_int_equal(sip_msg_parse(&msg, text, (size_t)n), 0);
}

/* Requests the proxy forwards (auth.methods beyond REGISTER): Proxy-Authorization
 * against the From user, with the request's method in HA2; a 407 with
 * Proxy-Authenticate. */
static void
test_proxy_auth(void **state)
{
	char n[REG_AUTH_NONCE_LEN + 1] = "", out[2048];
	struct cfg_auth a = { .nonce_ttl_s = 30, .n_methods = 2,
			      .methods = { 1u << 1, 1u << 2 } };   /* INVITE, MESSAGE */
	struct reg_auth_conf pc;
	uint8_t secret[REG_AUTH_SECRET_LEN];
	size_t len;

	(void)state;
	memset(&replay, 0, sizeof(replay));
	snprintf(a.realm, sizeof(a.realm), "example.com");
	memset(secret, 7, sizeof(secret));
	reg_auth_conf_init(&pc, &a, secret);
	assert_true(pc.method[SIP_METHOD_INVITE] && pc.method[SIP_METHOD_MESSAGE]);
	assert_false(pc.method[SIP_METHOD_REGISTER] || pc.method[SIP_METHOD_ACK] ||
		     pc.method[SIP_METHOD_BYE]);
	assert_true(conf.method[SIP_METHOD_REGISTER]);   /* no methods: REGISTER only */
	assert_false(conf.method[SIP_METHOD_INVITE]);
	reg_auth_nonce_make(&pc, NOW, 20, n);
	build_invite("alice", "secret", n, "Proxy-Authorization");
	assert_int_equal(reg_auth_check_proxy(&pc, tbl, &replay, &msg, "alice", 5, NOW),
			 REG_AUTH_OK);
	assert_int_equal(reg_auth_check_proxy(&pc, tbl, &replay, &msg, "alice", 5, NOW),
			 REG_AUTH_REPLAY);
	/* the From user must be the one that authenticated */
	assert_int_equal(reg_auth_check_proxy(&pc, tbl, NULL, &msg, "bob", 3, NOW),
			 REG_AUTH_USER_MISMATCH);
	build_invite("alice", "wrong", n, "Proxy-Authorization");
	assert_int_equal(reg_auth_check_proxy(&pc, tbl, NULL, &msg, "alice", 5, NOW),
			 REG_AUTH_BAD_RESPONSE);
	/* credentials in Authorization are not for the proxy */
	build_invite("alice", "secret", n, "Authorization");
	assert_int_equal(reg_auth_check_proxy(&pc, tbl, NULL, &msg, "alice", 5, NOW),
			 REG_AUTH_NONE);
	len = reg_auth_challenge_proxy(&pc, &msg, false, NOW, 1, NULL, sizeof(out), out,
				       sizeof(out));
	assert_true(len > 0);
	out[len] = '\0';
	assert_non_null(strstr(out, "SIP/2.0 407 Proxy Authentication Required\r\n"));
	assert_non_null(strstr(out, "\r\nProxy-Authenticate: Digest realm=\"example.com\", nonce=\""));
	assert_null(strstr(out, "WWW-Authenticate"));
}

static void
test_challenge(void **state)
{
	static const char small[] =
		"REGISTER sip:a SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx\r\n"
		"From: <sip:a@a>;tag=1\r\nTo: <sip:a@a>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n";
	struct sip_msg rm;
	char out[2048];
	size_t len, full;

	(void)state;
	assert_int_equal(sip_msg_parse(&msg, small, sizeof(small) - 1), 0);
	full = reg_auth_challenge(&conf, &msg, true, NOW, 1, NULL, sizeof(out), out, sizeof(out));
	assert_true(full > 0);
	assert_int_equal(sip_msg_parse(&rm, out, full), 0);
	assert_int_equal(rm.status, 401);
	assert_non_null(memmem(out, full, "algorithm=SHA-256, qop=\"auth\", stale=true", 41));
	assert_non_null(memmem(out, full, "algorithm=MD5", 13));
	/* 3x bound: one algorithm when both do not fit, nothing when one does not */
	len = reg_auth_challenge(&conf, &msg, true, NOW, 1, NULL, full - 1, out, sizeof(out));
	assert_true(len > 0 && len < full - 100);
	assert_null(memmem(out, len, "MD5", 3));
	assert_int_equal(reg_auth_challenge(&conf, &msg, true, NOW, 1, NULL, len - 30, out,
					    sizeof(out)), 0);
	/* this tiny request is answered, within 3x, with one challenge */
	len = reg_auth_challenge(&conf, &msg, false, NOW, 1, NULL, 3 * (sizeof(small) - 1), out,
				 sizeof(out));
	assert_true(len > 0 && len <= 3 * (sizeof(small) - 1));
	assert_null(memmem(out, len, "MD5", 3));
}

/* auth.trusted / proxy.allowed_destinations prefixes: IPv4 and IPv6, any prefix
 * length, host bits of the configured address ignored. */
static void
test_trusted_prefixes(void **state)
{
	static const char yaml[] =
		"node: {id: 1}\ndataplane:\n  ports: [{device: net_null0, ipv4: 198.18.0.1/24}]\n"
		"auth:\n  realm: r\n  subscribers_file: /x\n"
		"  trusted: [198.18.1.77/25, \"2001:db8:ab::1/45\", 10.0.0.9/32, 0.0.0.0/0]\n";
	static struct cfg cfg;
	struct reg_auth_conf c;
	uint8_t secret[REG_AUTH_SECRET_LEN] = { 0 };
	const uint8_t in4[4] = { 198, 18, 1, 5 }, out4[4] = { 198, 18, 1, 200 };
	uint8_t in6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xaf, [15] = 9 };
	uint8_t out6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xb0, [15] = 9 };
	char err[256];

	(void)state;
	assert_int_equal(cfg_load_buf("t.yaml", yaml, sizeof(yaml) - 1, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.auth.n_trusted, 4);
	assert_true(cfg_cidr_match(&cfg.auth.trusted[0], 4, in4));
	assert_false(cfg_cidr_match(&cfg.auth.trusted[0], 4, out4));
	assert_true(cfg_cidr_match(&cfg.auth.trusted[1], 6, in6));    /* /45: ab..af */
	assert_false(cfg_cidr_match(&cfg.auth.trusted[1], 6, out6));
	assert_false(cfg_cidr_match(&cfg.auth.trusted[1], 4, in4));   /* family */
	assert_true(cfg_cidr_match(&cfg.auth.trusted[3], 4, out4));   /* /0 */
	cfg.auth.n_trusted = 3;
	reg_auth_conf_init(&c, &cfg.auth, secret);
	assert_true(reg_auth_trusted(&c, 4, in4));
	assert_false(reg_auth_trusted(&c, 4, out4));
	assert_true(reg_auth_trusted(&c, 6, in6));
	assert_false(reg_auth_trusted(&c, 6, out6));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_proxy_auth),
		cmocka_unit_test(test_trusted_prefixes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
