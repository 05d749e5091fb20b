/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar shards on a fake clock: AoR keys and domains, RFC 3261 §10.3
 * (expiry rules, 423, Contact *, Call-ID/CSeq order, URI matching, q), RFC 5626
 * instance keys, RFC 3327 Path, max_contacts under both policies, pool
 * exhaustion without harm, expiry through the timer wheel (not a millisecond
 * early), change events with increasing versions, the read side, random and
 * damaged traffic with a full check of the store's invariants (the digest
 * recomputed from the bucket walks included), and the RFC 4475
 * REGISTER torture messages. Every response is parsed back.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "config/cfg.h"
#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_store.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"

#define WALL    1700000000ull          /* Tue, 14 Nov 2023 22:13:20 GMT */
#define T0      1000000ull             /* fake monotonic clock start, ms */
#define CORPUS  "tests/corpus/sip-torture/rfc4475/"
/* Version counter of the Nth change made on a fresh shard (hybrid clock at the
 * fake wall clock WALL: reg_shard_register() gets seconds). */
#define VER(n)  (((WALL * 1000ull) << 16) + (n))

static const char domains[3][CFG_STR] = { "example.com", "example.net", "example.org" };
static struct rte_ring *ring;
static struct reg_conf conf;
static struct reg_shard *sh;
static struct sip_msg pm, rm;
static char msg[8192], out[16384];
static size_t out_len;
static unsigned branch;
static struct reg_src src4 = { 4, 1, 40000, { 198, 18, 0, 100 }, 0, 0, { 0 }, 0, NULL, NULL };

/* ---- helpers ---- */

static void
conf_default(void)
{
	memset(&conf, 0, sizeof(conf));
	conf.default_expires = 3600;
	conf.min_expires = 60;
	conf.max_expires = 7200;
	conf.max_contacts = 10;
	conf.on_max_contacts = REG_FULL_REJECT;
	conf.foreign_status = 403;
	conf.max_aors = 64;
	conf.max_bindings = 128;
	conf.node_id = 7;
	conf.n_domains = 3;
	conf.domains = domains;
	conf.events = ring;
}

static void
drain(void)
{
	void *ev;

	while (rte_ring_dequeue(ring, &ev) == 0)
		reg_event_free(ev);
}

static void
shard_new(void)
{
	drain();
	sh = reg_shard_create(&conf, 0, SOCKET_ID_ANY);
	if (sh == NULL)
		fail_msg("reg_shard_create: %s", rte_strerror(rte_errno));
}

static int
setup_shard(void **state)
{
	(void)state;
	conf_default();
	shard_new();
	return 0;
}

static int
teardown_shard(void **state)
{
	(void)state;
	drain();
	reg_shard_free(sh);
	sh = NULL;
	return 0;
}

static uint64_t
stat_of(enum reg_stat i)
{
	return reg_shard_stats(sh)->c[i];
}

#define STAT(n) stat_of(REG_STAT_##n)

static void
parse_ok(struct sip_msg *m, const char *text, size_t len)
{
	int rc = sip_msg_parse(m, text, len);

	if (rc != 0) {
		char why[128];

		sip_msg_reason(m, why, sizeof(why));
		fail_msg("does not parse (%s):\n%.*s", why, (int)len, text);
	}
}

/* Feed raw bytes; the response is in out and parsed in rm. */
static int
feed(const char *text, size_t len, uint64_t now)
{
	int status;

	parse_ok(&pm, text, len);
	status = reg_shard_register(sh, &pm, NULL, &src4, now, WALL, out, sizeof(out) - 1, &out_len);
	assert_true(out_len > 0);
	out[out_len] = '\0';
	parse_ok(&rm, out, out_len);
	assert_false(rm.is_request);
	assert_int_equal(rm.status, status);
	{
		/* the To tag (from the Call-ID hash the shard has) is the one
		 * sip_reply_tag() gives the request */
		struct sip_nameaddr qto, rto;
		char tag[SIP_REPLY_TAG_LEN + 1];

		if (sip_msg_to(&pm, &qto) == 0 && qto.tag.p == NULL) {
			assert_int_equal(sip_msg_to(&rm, &rto), 0);
			sip_reply_tag(&pm, tag);
			assert_int_equal(rto.tag.len, SIP_REPLY_TAG_LEN);
			assert_memory_equal(rto.tag.p, tag, SIP_REPLY_TAG_LEN);
		}
	}
	if (getenv("REG_TEST_VERBOSE") != NULL)
		print_message("%s\n---\n%s\n===\n", text, out);
	return status;
}

/* REGISTER for user@example.com with extra header lines hdrs (each "...\r\n"). */
static int
reg(uint64_t now, const char *user, const char *callid, unsigned cseq, const char *hdrs)
{
	unsigned br = ++branch;
	int n = snprintf(msg, sizeof(msg),
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-%u\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:%s@example.com>;tag=f%u\r\n"
			 "To: <sip:%s@example.com>\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: %u REGISTER\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 br, user, br, user, callid, cseq, hdrs);

	assert_true(n > 0 && (size_t)n < sizeof(msg));
	return feed(msg, (size_t)n, now);
}

/* Contacts listed by the last response. */
static int
n_contacts(void)
{
	int n = 0;
	const char *p = out;

	while ((p = strstr(p, "\r\nContact: ")) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* expires= of the Contact <uri> in the last response, -1 if not listed. */
static long
contact_expires(const char *uri)
{
	char key[600];
	const char *p;

	snprintf(key, sizeof(key), "\r\nContact: <%s>;expires=", uri);
	p = strstr(out, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static int
has_line(const char *line)
{
	char key[600];

	snprintf(key, sizeof(key), "\r\n%s\r\n", line);
	return strstr(out, key) != NULL;
}

struct seen {
	int n;
	struct reg_contact c[16];
	char uri[16][REG_URI_MAX + 1];
	char path[16][REG_PATH_MAX + 1];
	char inst[16][REG_INST_MAX + 1];
};

static int
seen_fn(const struct reg_contact *c, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->c[s->n] = *c;
		memcpy(s->uri[s->n], c->uri, c->uri_len);
		s->uri[s->n][c->uri_len] = '\0';
		s->path[s->n][0] = '\0';
		if (c->path) {
			memcpy(s->path[s->n], c->path, c->path_len);
			s->path[s->n][c->path_len] = '\0';
		}
		if (c->instance)
			memcpy(s->inst[s->n], c->instance, c->instance_len);
		s->inst[s->n][c->instance_len] = '\0';
		s->c[s->n].uri = s->uri[s->n];
		s->c[s->n].path = c->path ? s->path[s->n] : NULL;
		s->c[s->n].instance = c->instance ? s->inst[s->n] : NULL;
	}
	s->n++;
	return 0;
}

static int
lookup(const char *aor, uint64_t now, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return reg_shard_lookup(sh, aor, strlen(aor), now, seen_fn, s);
}

static uint64_t
n_bindings(void)
{
	uint64_t a, b;

	reg_shard_counts(sh, &a, &b);
	return b;
}

static uint64_t
n_aors(void)
{
	uint64_t a, b;

	reg_shard_counts(sh, &a, &b);
	return a;
}

/* Dequeue the next event (must be there). */
static struct reg_event *
next_event(void)
{
	void *ev = NULL;

	if (rte_ring_dequeue(ring, &ev) != 0)
		fail_msg("no event in the ring");
	return ev;
}

/* The record an event carries, decoded (a static: one at a time). */
static const struct reg_rec *
ev_rec(const struct reg_event *ev)
{
	static struct reg_rec r;

	memset(&r, 0, sizeof(r));
	if (reg_event_to_rec(ev, &r) != 0)
		fail_msg("event %s (%u bytes of record) does not decode",
			 reg_event_type_name(ev->type), ev->pk_len);
	return &r;
}

static void
expect_event(enum reg_event_type t, const char *uri, uint64_t version)
{
	struct reg_event *ev = next_event();
	const struct reg_rec *r = ev_rec(ev);

	if (ev->type != t || r->uri_len != strlen(uri) ||
	    memcmp(r->uri, uri, r->uri_len) != 0 || r->version.counter != version)
		fail_msg("event %s %.*s v%" PRIu64 ", expected %s %s v%" PRIu64,
			 reg_event_type_name(ev->type), r->uri_len, r->uri,
			 r->version.counter, reg_event_type_name(t), uri, version);
	reg_event_free(ev);
}

static void
expect_no_event(void)
{
	assert_int_equal(rte_ring_count(ring), 0);
}

/* ---- keys ---- */

static int
key_of(const char *to, const char *ruri, struct reg_key *k, uint32_t *h)
{
	int n = snprintf(msg, sizeof(msg),
			 "REGISTER %s SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKk\r\n"
			 "From: <sip:x@example.com>;tag=1\r\nTo: %s\r\nCall-ID: k\r\n"
			 "CSeq: 1 REGISTER\r\n\r\n", ruri, to);

	parse_ok(&pm, msg, (size_t)n);
	return reg_aor_key(&conf, &pm, k, h);
}

static void
test_aor_key(void **state)
{
	struct reg_key k, k2;
	uint32_t h, h2, shard_hits[2] = { 0, 0 };
	int i;

	(void)state;
	conf_default();
	assert_int_equal(key_of("<sip:Alice@EXAMPLE.com:5070;user=phone>", "sip:example.com", &k, &h), 0);
	assert_int_equal(k.len, 17);
	assert_memory_equal(k.aor, "Alice@example.com", 17);
	assert_int_equal(k.user_len, 5);
	assert_int_equal(k.dom, 0);
	assert_int_equal(h, (uint32_t)k.digest);
	/* escapes of unreserved characters are the characters (RFC 3261 §19.1.4) */
	assert_int_equal(key_of("sip:%41lice@example.com", "sip:example.com", &k2, &h2), 0);
	assert_int_equal(k2.digest, k.digest);
	assert_int_equal(key_of("sips:Alice@Example.Com", "sips:example.com", &k2, &h2), 0);
	assert_int_equal(k2.digest, k.digest);
	/* user is case-sensitive; reserved escapes stay escaped (upper-case hex) */
	assert_int_equal(key_of("sip:alice@example.com", "sip:example.com", &k2, &h2), 0);
	assert_true(k2.digest != k.digest);
	assert_int_equal(key_of("sip:a%3bb%2C%00@example.net", "sip:x", &k2, &h2), 0);
	assert_int_equal(k2.len, strlen("a%3Bb%2C%00@example.net"));
	assert_memory_equal(k2.aor, "a%3Bb%2C%00@example.net", k2.len);
	assert_int_equal(k2.dom, 1);
	/* domains */
	assert_int_equal(key_of("sip:bob@example.info", "sip:example.com", &k2, &h2), 403);
	conf.foreign_status = 404;
	assert_int_equal(key_of("sip:bob@example.info", "sip:example.com", &k2, &h2), 404);
	conf.n_domains = 0;
	assert_int_equal(key_of("sip:bob@example.info", "sip:example.com", &k2, &h2), 0);
	assert_int_equal(k2.dom, REG_DOM_NONE);
	conf_default();
	/* schemes: To must be sip/sips (400), the Request-URI too (416) */
	assert_int_equal(key_of("isbn:2983792873", "sip:example.com", &k2, &h2), 400);
	assert_int_equal(key_of("<tel:+14155551234>", "sip:example.com", &k2, &h2), 400);
	assert_int_equal(key_of("sip:bob@example.com", "tel:+1234", &k2, &h2), 416);
	assert_int_equal(key_of("sip:bob@example.com", "http://x.example.com", &k2, &h2), 416);
	/* no user part: the host is the AoR */
	assert_int_equal(key_of("sip:example.org", "sip:example.org", &k2, &h2), 0);
	assert_int_equal(k2.len, 11);
	assert_int_equal(k2.user_len, 11);
	/* text form, as an operator types it */
	assert_int_equal(reg_key_from_text(&conf, "sip:Alice@example.COM", 21, &k2), 0);
	assert_int_equal(k2.digest, k.digest);
	assert_int_equal(reg_key_from_text(&conf, "%41lice@example.com", 19, &k2), 0);
	assert_int_equal(k2.digest, k.digest);
	assert_int_equal(reg_key_from_text(&conf, "a%zz@example.com", 16, &k2), -EINVAL);
	/* shard choice spreads */
	for (i = 0; i < 1000; i++) {
		char to[64];

		snprintf(to, sizeof(to), "sip:user%d@example.com", i);
		assert_int_equal(key_of(to, "sip:example.com", &k2, &h2), 0);
		shard_hits[reg_key_shard(h2, 2)]++;
		assert_true(reg_key_shard(h2, 5) < 5);
	}
	assert_true(shard_hits[0] > 400 && shard_hits[1] > 400);
}

/* reg_aor_key() reads the usual To URI ("sip:" user "@" host) in one scan: its
 * verdict and key must be what the full URI parse gives (sip_uri_parse(), then
 * the key of "user@host" as an operator types it), on To values of every shape
 * and a few thousand random edits of them. */
static void
aor_key_same(const char *to, size_t len)
{
	struct sip_nameaddr na;
	struct reg_key k, want;
	struct sip_uri u;
	char text[600];
	uint32_t h;
	int rc, exp, n = snprintf(msg, sizeof(msg),
				  "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKk\r\n"
				  "From: <sip:x@example.com>;tag=1\r\nTo: %.*s\r\nCall-ID: k\r\n"
				  "CSeq: 1 REGISTER\r\n\r\n", (int)len, to);

	if (sip_msg_parse(&pm, msg, (size_t)n) != 0)
		return;
	rc = reg_aor_key(&conf, &pm, &k, &h);
	if (sip_msg_to(&pm, &na) != 0 || sip_uri_parse(&u, na.uri.p, na.uri.len) != 0 ||
	    (u.type != SIP_URI_SIP && u.type != SIP_URI_SIPS)) {
		exp = 400;
	} else {
		int tl = u.user.p != NULL ?
			 snprintf(text, sizeof(text), "%.*s@%.*s", u.user.len, u.user.p, u.host.len,
				  u.host.p) :
			 snprintf(text, sizeof(text), "%.*s", u.host.len, u.host.p);

		exp = reg_key_from_text(&conf, text, (size_t)tl, &want) != 0 ? 400 :
		      want.dom == REG_DOM_NONE ? (int)conf.foreign_status : 0;
	}
	if (rc != exp)
		fail_msg("To %.*s: %d, the full parse %d", (int)len, to, rc, exp);
	if (rc == 0 && (k.digest != want.digest || k.len != want.len ||
			k.user_len != want.user_len || k.dom != want.dom ||
			memcmp(k.aor, want.aor, k.len) != 0 || h != (uint32_t)k.digest))
		fail_msg("To %.*s: key %.*s, the full parse %.*s", (int)len, to, k.len, k.aor,
			 want.len, want.aor);
}

static void
test_aor_key_usual_agrees(void **state)
{
	static const char *const seeds[] = {
		"<sip:alice@example.com>", "\"Alice\" <sip:Alice@EXAMPLE.com>",
		"sip:bob@example.net", "<SIP:carol@Example.Org>", "<sips:dave@example.com>",
		"<sip:%41lice@example.com>", "<sip:u:pw@example.com>", "<sip:u@example.com:5060>",
		"<sip:u@example.com;transport=udp>", "<sip:u@example.com?subject=x>",
		"<sip:u@[2001:db8::1]>", "<sip:u@198.18.0.1>", "<sip:example.com>",
		"<tel:+14155551234>", "<sip:a;b=c&d+e$f,g?h/i@example.com>", "<sip:u@bad..host>",
		"<sip:u@example.info>", "<sip:@example.com>", "<sip:u@>",
	};
	static const char alphabet[] = "@:;%?.[]<>\"Ss1aA-_ =";
	char buf[128];
	uint32_t x = 88172645u;

	(void)state;
	conf_default();
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		size_t n = strlen(seeds[i]);

		aor_key_same(seeds[i], n);
		for (int r = 0; r < 1500; r++) {
			size_t len = n, at;
			char c;

			memcpy(buf, seeds[i], n);
			for (int e = 0; e <= r % 3; e++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				at = len ? x % len : 0;
				c = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
				if ((x >> 16) % 3 == 0 && len) {
					buf[at] = c;
				} else if ((x >> 16) % 3 == 1 && len + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = c;
					len++;
				} else if (len) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
			}
			aor_key_same(buf, len);
		}
	}
}

/* ---- §10.3 ---- */

static void
test_register_basic(void **state)
{
	struct sip_via v;
	struct sip_nameaddr to;
	struct seen s;

	(void)state;
	assert_int_equal(reg(T0, "alice", "c1", 1,
			     "Contact: <sip:alice@198.18.0.100:5060;transport=udp>\r\n"), 200);
	assert_int_equal(contact_expires("sip:alice@198.18.0.100:5060;transport=udp"), 3600);
	assert_int_equal(n_contacts(), 1);
	assert_true(has_line("Date: Tue, 14 Nov 2023 22:13:20 GMT"));
	assert_true(has_line("CSeq: 1 REGISTER"));
	assert_true(has_line("Content-Length: 0"));
	assert_int_equal(sip_msg_to(&rm, &to), 0);
	assert_int_equal(to.tag.len, 16);
	/* the top Via says where the request came from (RFC 3581) */
	assert_int_equal(sip_msg_top_via(&rm, &v), 0);
	assert_int_equal(v.rport, 40000);
	assert_int_equal(v.received.len, 12);
	assert_memory_equal(v.received.p, "198.18.0.100", 12);
	assert_int_equal(n_bindings(), 1);
	assert_int_equal(n_aors(), 1);
	assert_int_equal(lookup("alice@example.com", T0, &s), 1);
	assert_string_equal(s.c[0].uri, "sip:alice@198.18.0.100:5060;transport=udp");
	assert_int_equal(s.c[0].expires_in, 3600);
	assert_int_equal(s.c[0].q, 1000);
	assert_int_equal(s.c[0].src.family, 4);
	assert_int_equal(s.c[0].src.port, 40000);
	assert_int_equal(s.c[0].src.local_port, 1);
	assert_memory_equal(s.c[0].src.addr, src4.addr, 4);
	assert_int_equal(s.c[0].origin, 7);
	assert_int_equal(s.c[0].cseq, 1);
	assert_int_equal(s.c[0].version, VER(1));
	assert_int_equal(lookup("sip:alice@EXAMPLE.com", T0 + 1000, &s), 1);
	assert_int_equal(s.c[0].expires_in, 3599);
	assert_int_equal(lookup("bob@example.com", T0, &s), 0);
	assert_int_equal(reg_shard_lookup(sh, "%zz@x", 5, T0, seen_fn, &s), -EINVAL);
	/* a query: no Contact, every binding listed */
	assert_int_equal(reg(T0 + 10000, "alice", "other", 1, ""), 200);
	assert_int_equal(contact_expires("sip:alice@198.18.0.100:5060;transport=udp"), 3590);
	assert_int_equal(STAT(fetches), 1);
	assert_int_equal(STAT(inserts), 1);
	assert_int_equal(STAT(reply_200), 2);
	assert_int_equal(STAT(registers), 2);
	expect_event(REG_EV_INSERT, "sip:alice@198.18.0.100:5060;transport=udp", VER(1));
	expect_no_event();
}

static void
test_expires_rules(void **state)
{
	(void)state;
	/* contact param, else Expires header, else default; clamped to max */
	assert_int_equal(reg(T0, "u", "c", 1,
			     "Contact: <sip:a@h1>;expires=120, <sip:a@h2>\r\n"
			     "Contact: <sip:a@h3>;expires=99999\r\n"
			     "Expires: 300\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h1"), 120);
	assert_int_equal(contact_expires("sip:a@h2"), 300);
	assert_int_equal(contact_expires("sip:a@h3"), 7200);
	assert_int_equal(reg(T0, "v", "c", 1, "Contact: <sip:a@h4>\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h4"), 3600);
	/* 0 < e < min_expires: 423 with Min-Expires, nothing applied */
	assert_int_equal(reg(T0 + 1000, "u", "c", 2,
			     "Contact: <sip:a@h1>;expires=3000, <sip:a@h5>;expires=59\r\n"), 423);
	assert_true(has_line("Min-Expires: 60"));
	assert_non_null(strstr(out, "SIP/2.0 423 Interval Too Brief\r\n"));
	assert_int_equal(reg(T0 + 1000, "u", "c", 3, "Expires: 1\r\nContact: <sip:a@h9>\r\n"), 423);
	assert_int_equal(reg(T0 + 1000, "u", "c", 4, ""), 200);
	assert_int_equal(n_contacts(), 3);
	assert_int_equal(contact_expires("sip:a@h1"), 119);
	assert_int_equal(STAT(reply_423), 2);
	/* exactly min_expires is fine */
	assert_int_equal(reg(T0 + 1000, "u", "c", 5, "Contact: <sip:a@h5>;expires=60\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h5"), 60);
	/* RFC 4475 §3.1.2.4: an Expires or expires= beyond 2^32-1 is the maximum */
	assert_int_equal(reg(T0 + 1000, "w", "c", 1,
			     "Expires: 10000000000000000000000\r\nContact: <sip:a@h6>\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h6"), 7200);
	assert_int_equal(reg(T0 + 1000, "w", "c", 2,
			     "Contact: <sip:a@h7>;expires=280297596632815\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h7"), 7200);
	/* expires 0 removes, by param or by header */
	assert_int_equal(reg(T0 + 2000, "u", "c", 6, "Contact: <sip:a@h1>;expires=0\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h1"), -1);
	assert_int_equal(n_contacts(), 3);
	assert_int_equal(reg(T0 + 2000, "u", "c", 7,
			     "Expires: 0\r\nContact: <sip:a@h2>, <sip:a@h3>\r\n"), 200);
	assert_int_equal(n_contacts(), 1);
	assert_int_equal(reg(T0 + 2000, "u", "c", 8, "Contact: <sip:a@h5>;expires=0\r\n"), 200);
	assert_int_equal(n_contacts(), 0);
	/* removing what does not exist is fine, and creates nothing */
	assert_int_equal(reg(T0 + 2000, "nobody", "c", 1, "Contact: <sip:a@h1>;expires=0\r\n"), 200);
	assert_int_equal(n_aors(), 2);
	assert_int_equal(n_bindings(), 3);
	assert_int_equal(STAT(deletes), 4);
	/* a malformed Expires is a 400 */
	assert_int_equal(reg(T0 + 2000, "u", "c", 9, "Expires: soon\r\nContact: <sip:a@h1>\r\n"), 400);
	assert_int_equal(reg(T0 + 2000, "u", "c", 9, "Contact: <sip:a@h1>;expires=x\r\n"), 400);
}

static void
test_star(void **state)
{
	(void)state;
	assert_int_equal(reg(T0, "u", "c1", 10, "Contact: <sip:a@h1>, <sip:a@h2>\r\n"), 200);
	assert_int_equal(reg(T0, "u", "c2", 10, "Contact: <sip:a@h3>\r\n"), 200);
	drain();
	/* * only alone, only with Expires: 0 */
	assert_int_equal(reg(T0, "u", "c9", 1, "Contact: *\r\n"), 400);
	assert_int_equal(reg(T0, "u", "c9", 1, "Contact: *\r\nExpires: 60\r\n"), 400);
	assert_int_equal(reg(T0, "u", "c9", 1, "Contact: *, <sip:a@h4>\r\nExpires: 0\r\n"), 400);
	assert_int_equal(reg(T0, "u", "c9", 1, "Contact: *\r\nContact: <sip:a@h4>\r\nExpires: 0\r\n"),
			 400);
	/* same Call-ID as a binding with CSeq not higher: refused, nothing removed */
	assert_int_equal(reg(T0, "u", "c1", 10, "Contact: *\r\nExpires: 0\r\n"), 500);
	assert_int_equal(reg(T0, "u", "c2", 9, "Contact: *\r\nExpires: 0\r\n"), 500);
	assert_int_equal(n_bindings(), 3);
	expect_no_event();
	/* otherwise every binding goes */
	assert_int_equal(reg(T0 + 5, "u", "c2", 11, "Contact: *\r\nExpires: 0\r\n"), 200);
	assert_int_equal(n_contacts(), 0);
	assert_int_equal(n_bindings(), 0);
	assert_int_equal(n_aors(), 0);
	expect_event(REG_EV_DELETE, "sip:a@h1", VER(4));     /* a removal is a change */
	expect_event(REG_EV_DELETE, "sip:a@h2", VER(5));
	expect_event(REG_EV_DELETE, "sip:a@h3", VER(6));
	expect_no_event();
	/* * on an unknown AoR */
	assert_int_equal(reg(T0, "x", "c", 1, "Contact: *\r\nExpires: 0\r\n"), 200);
	assert_int_equal(STAT(deletes), 3);
	assert_int_equal(STAT(cseq_stale), 2);
}

static void
test_callid_cseq(void **state)
{
	struct seen s;

	(void)state;
	assert_int_equal(reg(T0, "u", "call-1", 5, "Contact: <sip:a@h1>;expires=600\r\n"), 200);
	/* same Call-ID, lower CSeq: 500, nothing applied */
	assert_int_equal(reg(T0 + 1000, "u", "call-1", 4, "Contact: <sip:a@h1>;expires=900\r\n"), 500);
	assert_non_null(strstr(out, "SIP/2.0 500 "));
	assert_int_equal(lookup("u@example.com", T0 + 1000, &s), 1);
	assert_int_equal(s.c[0].expires_in, 599);
	assert_int_equal(s.c[0].cseq, 5);
	/* same CSeq: a retransmission, answered with the bindings, not applied */
	assert_int_equal(reg(T0 + 2000, "u", "call-1", 5, "Contact: <sip:a@h1>;expires=900\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h1"), 598);
	assert_int_equal(STAT(retransmits), 1);
	/* higher CSeq: applied */
	assert_int_equal(reg(T0 + 3000, "u", "call-1", 6, "Contact: <sip:a@h1>;expires=900\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h1"), 900);
	/* another Call-ID, even with a lower CSeq: applied (a rebooted phone) */
	assert_int_equal(reg(T0 + 4000, "u", "call-2", 1, "Contact: <sip:a@h1>;expires=1200\r\n"), 200);
	assert_int_equal(contact_expires("sip:a@h1"), 1200);
	assert_int_equal(lookup("u@example.com", T0 + 4000, &s), 1);
	assert_int_equal(s.c[0].cseq, 1);
	assert_int_equal(s.c[0].version, VER(3));
	/* a lower CSeq of the new Call-ID on a removal: 500 too */
	assert_int_equal(reg(T0 + 5000, "u", "call-2", 0, "Contact: <sip:a@h1>;expires=0\r\n"), 500);
	assert_int_equal(n_bindings(), 1);
	assert_int_equal(STAT(cseq_stale), 2);
	assert_int_equal(STAT(refreshes), 2);
	/* one stale contact fails the whole request, the others are not applied either */
	assert_int_equal(reg(T0 + 6000, "u", "call-2", 0,
			     "Contact: <sip:a@h2>, <sip:a@h1>;expires=300\r\n"), 500);
	assert_int_equal(n_bindings(), 1);
	/* CSeq method must be REGISTER */
	{
		int n = snprintf(msg, sizeof(msg),
				 "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKm\r\n"
				 "From: <sip:u@example.com>;tag=1\r\nTo: <sip:u@example.com>\r\n"
				 "Call-ID: x\r\nCSeq: 1 INVITE\r\nContact: <sip:a@h3>\r\n\r\n");

		assert_int_equal(feed(msg, (size_t)n, T0), 400);
	}
}

static void
test_contact_matching(void **state)
{
	(void)state;
	assert_int_equal(reg(T0, "u", "c", 1, "Contact: <sip:bob@Host.Example.com:5060>\r\n"), 200);
	/* host case and escaped unreserved characters do not matter (§19.1.4) */
	assert_int_equal(reg(T0, "u", "c", 2, "Contact: <SIP:%62ob@host.example.COM:5060>;expires=100\r\n"),
			 200);
	assert_int_equal(n_bindings(), 1);
	assert_int_equal(n_contacts(), 1);
	/* the binding keeps the URI as the latest request wrote it */
	assert_int_equal(contact_expires("SIP:%62ob@host.example.COM:5060"), 100);
	/* the user's case does, and the port does */
	assert_int_equal(reg(T0, "u", "c", 3, "Contact: <sip:Bob@host.example.com:5060>\r\n"), 200);
	assert_int_equal(reg(T0, "u", "c", 4, "Contact: <sip:bob@host.example.com>\r\n"), 200);
	assert_int_equal(n_bindings(), 3);
	/* documented simplification: parameters are compared as written */
	assert_int_equal(reg(T0, "u", "c", 5, "Contact: <sip:bob@host.example.com;transport=udp>\r\n"), 200);
	assert_int_equal(n_bindings(), 4);
	/* the same contact twice in one request: one binding, the last value wins */
	assert_int_equal(reg(T0, "v", "c", 1,
			     "Contact: <sip:x@h>;expires=100, <sip:x@H>;expires=200\r\n"), 200);
	assert_int_equal(n_contacts(), 1);
	assert_int_equal(contact_expires("sip:x@H"), 200);
	/* addr-spec form and display names */
	assert_int_equal(reg(T0, "w", "c", 1,
			     "Contact: \"Phone\" <sip:w@h1>, sip:w@h2;expires=70\r\n"
			     "m: <sip:w@h3>;q=0.5\r\n"), 200);
	assert_int_equal(n_contacts(), 3);
	assert_int_equal(contact_expires("sip:w@h2"), 70);
	/* q: stored in thousandths, shown when not 1 */
	assert_true(has_line("Contact: <sip:w@h3>;expires=3600;q=0.5"));
	assert_true(has_line("Contact: <sip:w@h1>;expires=3600"));
	assert_int_equal(reg(T0, "w", "c", 2,
			     "Contact: <sip:w@h1>;q=0.25, <sip:w@h2>;q=0, <sip:w@h3>;q=0.125\r\n"), 200);
	assert_true(has_line("Contact: <sip:w@h1>;expires=3600;q=0.25"));
	assert_true(has_line("Contact: <sip:w@h2>;expires=3600;q=0"));
	assert_true(has_line("Contact: <sip:w@h3>;expires=3600;q=0.125"));
	/* a broken Contact is a 400 with the parser's reason */
	assert_int_equal(reg(T0, "w", "c", 3, "Contact: <sip:w@h1>;q=2\r\n"), 400);
	assert_non_null(strstr(out, "SIP/2.0 400 Bad q value: Contact"));
	assert_int_equal(reg(T0, "w", "c", 3, "Contact: <sip:w@[::1>\r\n"), 400);
	assert_int_equal(reg(T0, "w", "c", 3, "Contact: sip:w@h1?Route=x\r\n"), 400);
}

static void
test_instance_reg_id(void **state)
{
	struct seen s;

	(void)state;
	assert_int_equal(reg(T0, "u", "c", 1,
			     "Contact: <sip:u@198.18.0.100:5060;ob>;+sip.instance=\"<urn:uuid:0001>\";reg-id=1\r\n"),
			 200);
	assert_true(has_line("Contact: <sip:u@198.18.0.100:5060;ob>;expires=3600;"
			     "+sip.instance=\"<urn:uuid:0001>\";reg-id=1"));
	/* same (instance, reg-id), another URI (new NAT binding): replaces it */
	assert_int_equal(reg(T0, "u", "c", 2,
			     "Contact: <sip:u@198.18.0.200:6000;ob>;reg-id=1;+sip.instance=\"<urn:uuid:0001>\"\r\n"),
			 200);
	assert_int_equal(n_contacts(), 1);
	assert_int_equal(contact_expires("sip:u@198.18.0.200:6000;ob"), 3600);
	/* another reg-id of the same instance: a second flow */
	assert_int_equal(reg(T0, "u", "c", 3,
			     "Contact: <sip:u@198.18.0.200:6002;ob>;+sip.instance=\"<urn:uuid:0001>\";reg-id=2\r\n"),
			 200);
	assert_int_equal(n_contacts(), 2);
	/* the same URI without instance is another binding (URI-keyed) */
	assert_int_equal(reg(T0, "u", "c", 4, "Contact: <sip:u@198.18.0.200:6002;ob>\r\n"), 200);
	assert_int_equal(n_contacts(), 3);
	/* an instance without reg-id is keyed by URI, and shown */
	assert_int_equal(reg(T0, "u", "c", 5,
			     "Contact: <sip:u@198.18.0.200:6002;ob>;+sip.instance=\"<urn:uuid:0002>\"\r\n"),
			 200);
	assert_int_equal(n_contacts(), 3);
	assert_true(has_line("Contact: <sip:u@198.18.0.200:6002;ob>;expires=3600;"
			     "+sip.instance=\"<urn:uuid:0002>\""));
	assert_int_equal(lookup("u@example.com", T0, &s), 3);
	assert_int_equal(s.c[0].reg_id, 1);
	assert_int_equal(s.c[0].instance_len, 15);
	assert_memory_equal(s.c[0].instance, "<urn:uuid:0001>", 15);
	/* removing by instance key */
	assert_int_equal(reg(T0, "u", "c", 6,
			     "Contact: <sip:u@10.0.0.1>;+sip.instance=\"<urn:uuid:0001>\";reg-id=2;expires=0\r\n"),
			 200);
	assert_int_equal(n_contacts(), 2);
	assert_int_equal(reg(T0, "u", "c", 7, "Contact: <sip:u@h>;reg-id=0;+sip.instance=\"<x>\"\r\n"),
			 400);
}

static void check_invariants(void);

/* A refresh whose Contact URI is octet for octet a binding's takes the binding's
 * contact key and identity (contact_known) instead of parsing the URI again: the
 * outcome is the one of the full path, digests included. */
static void
test_refresh_known_contact(void **state)
{
	struct seen s;

	(void)state;
	assert_int_equal(reg(T0, "u", "c", 1,
			     "Contact: <sip:bob@Host.Example.com:5060;transport=udp>\r\n"), 200);
	assert_int_equal(STAT(contact_known), 0);
	assert_int_equal(reg(T0, "u", "c", 2,
			     "Contact: <sip:bob@Host.Example.com:5060;transport=udp>;expires=600\r\n"),
			 200);
	assert_int_equal(STAT(contact_known), 1);
	assert_int_equal(STAT(refreshes), 1);
	assert_int_equal(n_bindings(), 1);
	assert_int_equal(contact_expires("sip:bob@Host.Example.com:5060;transport=udp"), 600);
	/* the same binding by its normal form: parsed, matched, stored as written */
	assert_int_equal(reg(T0, "u", "c", 3,
			     "Contact: <SIP:%62ob@host.example.COM:5060;transport=udp>\r\n"), 200);
	assert_int_equal(STAT(contact_known), 1);
	assert_int_equal(n_bindings(), 1);
	assert_int_equal(reg(T0, "u", "c", 4,
			     "Contact: <SIP:%62ob@host.example.COM:5060;transport=udp>;expires=900\r\n"),
			 200);
	assert_int_equal(STAT(contact_known), 2);
	assert_int_equal(n_bindings(), 1);
	assert_int_equal(contact_expires("SIP:%62ob@host.example.COM:5060;transport=udp"), 900);
	check_invariants();
	/* a binding keyed by (instance, reg-id) lends nothing to a contact
	 * without them: the same URI makes a binding of its own */
	assert_int_equal(reg(T0, "k", "c", 1,
			     "Contact: <sip:k@198.18.0.1;ob>;+sip.instance=\"<urn:uuid:9>\";reg-id=1\r\n"),
			 200);
	assert_int_equal(reg(T0, "k", "c", 2, "Contact: <sip:k@198.18.0.1;ob>\r\n"), 200);
	assert_int_equal(STAT(contact_known), 2);
	assert_int_equal(lookup("k@example.com", T0, &s), 2);
	/* a keyed contact whose URI is the unkeyed binding's: still matched by
	 * its instance, to the keyed binding */
	assert_int_equal(reg(T0, "k", "c", 3,
			     "Contact: <sip:k@198.18.0.1;ob>;+sip.instance=\"<urn:uuid:9>\";reg-id=1;"
			     "expires=300\r\n"), 200);
	assert_int_equal(STAT(contact_known), 3);
	assert_int_equal(lookup("k@example.com", T0, &s), 2);
	assert_true(has_line("Contact: <sip:k@198.18.0.1;ob>;expires=300;"
			     "+sip.instance=\"<urn:uuid:9>\";reg-id=1"));
	assert_true(has_line("Contact: <sip:k@198.18.0.1;ob>;expires=3600"));
	/* and the unkeyed one refreshed by its URI */
	assert_int_equal(reg(T0, "k", "c", 4, "Contact: <sip:k@198.18.0.1;ob>;expires=400\r\n"), 200);
	assert_int_equal(STAT(contact_known), 4);
	assert_int_equal(lookup("k@example.com", T0, &s), 2);
	assert_true(has_line("Contact: <sip:k@198.18.0.1;ob>;expires=400"));
	/* another AoR's binding with the same URI is not this AoR's */
	assert_int_equal(reg(T0, "v", "c", 1, "Contact: <sip:k@198.18.0.1;ob>\r\n"), 200);
	assert_int_equal(STAT(contact_known), 4);
	check_invariants();
	/* the node's sharing tag is stored with a binding: a refresh by the same
	 * octets leaves the strings as they are, a tag that changed is written */
	strcpy(sh->conf.tag, "vip/1");
	sh->conf.tag_len = 5;
	assert_int_equal(reg(T0, "t", "c", 1, "Contact: <sip:t@198.18.0.5>\r\n"), 200);
	assert_int_equal(reg(T0, "t", "c", 2, "Contact: <sip:t@198.18.0.5>;expires=500\r\n"), 200);
	assert_int_equal(STAT(contact_known), 5);
	assert_int_equal(lookup("t@example.com", T0, &s), 1);
	assert_string_equal(s.uri[0], "sip:t@198.18.0.5");
	assert_int_equal(s.c[0].tag_len, 5);
	assert_memory_equal(s.c[0].tag, "vip/1", 5);
	assert_int_equal(s.c[0].expires_in, 500);
	strcpy(sh->conf.tag, "vip/22");
	sh->conf.tag_len = 6;
	assert_int_equal(reg(T0, "t", "c", 3, "Contact: <sip:t@198.18.0.5>\r\n"), 200);
	assert_int_equal(lookup("t@example.com", T0, &s), 1);
	assert_int_equal(s.c[0].tag_len, 6);
	assert_memory_equal(s.c[0].tag, "vip/22", 6);
	strcpy(sh->conf.tag, "vip/23");
	assert_int_equal(reg(T0, "t", "c", 4, "Contact: <sip:t@198.18.0.5>\r\n"), 200);
	assert_int_equal(lookup("t@example.com", T0, &s), 1);
	assert_memory_equal(s.c[0].tag, "vip/23", 6);
	sh->conf.tag[0] = '\0';
	sh->conf.tag_len = 0;
	assert_int_equal(reg(T0, "t", "c", 5, "Contact: <sip:t@198.18.0.5>\r\n"), 200);
	assert_int_equal(lookup("t@example.com", T0, &s), 1);
	assert_int_equal(s.c[0].tag_len, 0);
	assert_string_equal(s.uri[0], "sip:t@198.18.0.5");
	check_invariants();
	/* a binding whose time has come (the wheel not there yet) is found by its
	 * URI, then reaped before the request applies: the refresh is an insert */
	assert_int_equal(reg(T0, "e", "c", 1, "Contact: <sip:e@198.18.0.6>;expires=60\r\n"), 200);
	assert_int_equal(reg(T0, "e", "d", 1, "Contact: <sip:e2@198.18.0.6>;expires=600\r\n"), 200);
	assert_int_equal(reg(T0 + 61000, "e", "c", 2, "Contact: <sip:e@198.18.0.6>\r\n"), 200);
	assert_int_equal(lookup("e@example.com", T0 + 61000, &s), 2);
	assert_int_equal(s.c[0].expires_in + s.c[1].expires_in, 3600 + 539);
	/* a refresh by the same octets that brings a Path writes the strings */
	assert_int_equal(reg(T0, "p", "c", 1, "Contact: <sip:p@198.18.0.7>\r\n"), 200);
	assert_int_equal(reg(T0, "p", "c", 2, "Path: <sip:edge.example.net;lr>\r\n"
			     "Contact: <sip:p@198.18.0.7>\r\n"), 200);
	assert_int_equal(lookup("p@example.com", T0, &s), 1);
	assert_string_equal(s.path[0], "<sip:edge.example.net;lr>");
	assert_string_equal(s.uri[0], "sip:p@198.18.0.7");
	check_invariants();
}

static uint32_t rnd(void);

/* reg_shard_prefetch() keeps each key's lookup for the REGISTER that follows
 * (reg_key.hint_*). Bursts of REGISTERs over a few AoRs, with AoRs made and
 * removed inside a burst (the same new AoR twice, an AoR removed then made
 * again), applied with prefetched keys on sh and without keys on a reference
 * shard holding other AoRs too (other positions): every answer is the same,
 * octet for octet, and so is every AoR's set at the end. Some bursts are
 * prefetched on the reference shard instead: a hint from another shard is not
 * taken. */
static void
test_prefetch_hints(void **state)
{
	static struct sip_msg bm[REG_PREFETCH_MAX];
	static char text[REG_PREFETCH_MAX][512], ref_out[16384];
	static struct reg_key keys[REG_PREFETCH_MAX];
	struct reg_key *kp[REG_PREFETCH_MAX];
	struct reg_shard *ref;
	unsigned cseq[12] = { 0 }, round, j, n, u;
	size_t ref_len;
	uint32_t h;
	char user[16];
	int st, st_ref;

	(void)state;
	ref = reg_shard_create(&conf, 1, SOCKET_ID_ANY);
	assert_non_null(ref);
	for (u = 0; u < 20; u++) {              /* other AoRs first: other positions */
		int len = snprintf(text[0], sizeof(text[0]),
				   "REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 198.18.0.9;branch=z9hG4bK-pad%u\r\n"
				   "From: <sip:pad%u@example.com>;tag=p\r\nTo: <sip:pad%u@example.com>\r\n"
				   "Call-ID: pad\r\nCSeq: 1 REGISTER\r\n"
				   "Contact: <sip:pad@198.18.0.9>\r\nContent-Length: 0\r\n\r\n",
				   u, u, u);

		parse_ok(&bm[0], text[0], (size_t)len);
		assert_int_equal(reg_shard_register(ref, &bm[0], NULL, &src4, T0, WALL, ref_out,
						    sizeof(ref_out), &ref_len), 200);
	}
	for (round = 0; round < 400; round++) {
		n = 1 + rnd() % REG_PREFETCH_MAX;
		for (j = 0; j < n; j++) {
			unsigned del = rnd() % 4 == 0, c = rnd() % 2;
			int len;

			u = rnd() % 12;
			snprintf(user, sizeof(user), "h%u", u);
			len = snprintf(text[j], sizeof(text[j]),
				       "REGISTER sip:example.com SIP/2.0\r\n"
				       "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-%u-%u\r\n"
				       "From: <sip:%s@example.com>;tag=f\r\nTo: <sip:%s@example.com>\r\n"
				       "Call-ID: hint-%s\r\nCSeq: %u REGISTER\r\n"
				       "Contact: <sip:%s@198.18.0.%u:5060>%s\r\n"
				       "Content-Length: 0\r\n\r\n",
				       round, j, user, user, user, ++cseq[u], user, 1 + c,
				       del ? ";expires=0" : "");
			parse_ok(&bm[j], text[j], (size_t)len);
			assert_int_equal(reg_aor_key(&conf, &bm[j], &keys[j], &h), 0);
			assert_null(keys[j].hint_shard);
			kp[j] = &keys[j];
		}
		if (round % 5 == 4)     /* the same generation: only the shard differs */
			ref->aor_gen = sh->aor_gen;
		reg_shard_prefetch(round % 5 == 4 ? ref : sh, kp, n);
		for (j = 0; j < n; j++)
			assert_ptr_equal(keys[j].hint_shard, round % 5 == 4 ? ref : sh);
		for (j = 0; j < n; j++) {
			st = reg_shard_register(sh, &bm[j], &keys[j], &src4, T0 + round, WALL, out,
						sizeof(out), &out_len);
			st_ref = reg_shard_register(ref, &bm[j], NULL, &src4, T0 + round, WALL,
						    ref_out, sizeof(ref_out), &ref_len);
			assert_int_equal(st, st_ref);
			assert_int_equal(out_len, ref_len);
			assert_memory_equal(out, ref_out, out_len);
		}
		drain();
	}
	assert_true(STAT(inserts) > 100 && STAT(deletes) > 100);
	for (u = 0; u < 12; u++) {
		struct seen a, b;
		char aor[32];
		int i;

		snprintf(aor, sizeof(aor), "h%u@example.com", u);
		assert_int_equal(lookup(aor, T0 + round, &a), reg_shard_lookup(ref, aor, strlen(aor),
					T0 + round, seen_fn, memset(&b, 0, sizeof(b))));
		for (i = 0; i < a.n; i++)
			assert_string_equal(a.uri[i], b.uri[i]);
	}
	check_invariants();
	reg_shard_free(ref);
}

static void
test_path_require(void **state)
{
	struct seen s;

	(void)state;
	/* Path stored; reflected because the UA supports it */
	assert_int_equal(reg(T0, "u", "c", 1,
			     "Path: <sip:edge1.example.net;lr>\r\nPath: <sip:edge2.example.net;lr>\r\n"
			     "Supported: outbound, path\r\nContact: <sip:u@h1>\r\n"), 200);
	assert_true(has_line("Path: <sip:edge1.example.net;lr>, <sip:edge2.example.net;lr>"));
	assert_int_equal(lookup("u@example.com", T0, &s), 1);
	assert_string_equal(s.path[0], "<sip:edge1.example.net;lr>, <sip:edge2.example.net;lr>");
	/* without Supported: path the 200 carries no Path; the refresh replaces it */
	assert_int_equal(reg(T0, "u", "c", 2, "Path: <sip:edge3.example.net;lr>\r\nContact: <sip:u@h1>\r\n"),
			 200);
	assert_null(strstr(out, "\r\nPath:"));
	assert_int_equal(lookup("u@example.com", T0, &s), 1);
	assert_string_equal(s.path[0], "<sip:edge3.example.net;lr>");
	assert_int_equal(reg(T0, "u", "c", 3, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(lookup("u@example.com", T0, &s), 1);
	assert_null(s.c[0].path);
	/* a bad Path is a 400 */
	assert_int_equal(reg(T0, "u", "c", 4, "Path: sip:edge.example.net\r\nContact: <sip:u@h1>\r\n"), 400);
	/* Require: path is fine, anything else is 420 with Unsupported */
	assert_int_equal(reg(T0, "u", "c", 5, "Require: path\r\nContact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(reg(T0, "u", "c", 6, "Require: path, gruu\r\nRequire: foo\r\nContact: <sip:u@h1>\r\n"),
			 420);
	assert_true(has_line("Unsupported: gruu, foo"));
	assert_int_equal(STAT(reply_420), 1);
	/* a Path longer than REG_PATH_MAX is refused (500), nothing applied */
	{
		static char hdrs[2048];
		int o = 0, i;

		for (i = 0; i < 16; i++)
			o += snprintf(hdrs + o, sizeof(hdrs) - (size_t)o,
				      "Path: <sip:edge-number-%02d.example.net;lr>\r\n", i);
		snprintf(hdrs + o, sizeof(hdrs) - (size_t)o, "Contact: <sip:u@h9>\r\n");
		assert_int_equal(reg(T0, "u", "c", 7, hdrs), 500);
		assert_int_equal(n_bindings(), 1);
	}
}

static void
test_domains_and_schemes(void **state)
{
	int n;

	(void)state;
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:example.info SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKd\r\n"
		     "From: <sip:u@example.info>;tag=1\r\nTo: <sip:u@example.info>\r\n"
		     "Call-ID: d\r\nCSeq: 1 REGISTER\r\nContact: <sip:u@h>\r\n\r\n");
	assert_int_equal(feed(msg, (size_t)n, T0), 403);
	assert_non_null(strstr(out, "SIP/2.0 403 Forbidden\r\n"));
	teardown_shard(NULL);
	conf_default();
	conf.foreign_status = 404;
	shard_new();
	assert_int_equal(feed(msg, (size_t)n, T0), 404);
	assert_int_equal(STAT(reply_404), 1);
	assert_int_equal(n_bindings(), 0);
	n = snprintf(msg, sizeof(msg),
		     "REGISTER tel:+1234 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKd\r\n"
		     "From: <sip:u@example.com>;tag=1\r\nTo: <sip:u@example.com>\r\n"
		     "Call-ID: d\r\nCSeq: 1 REGISTER\r\nContact: <sip:u@h>\r\n\r\n");
	assert_int_equal(feed(msg, (size_t)n, T0), 416);
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKd\r\n"
		     "From: <sip:u@example.com>;tag=1\r\nTo: <mailto:u@example.com>\r\n"
		     "Call-ID: d\r\nCSeq: 1 REGISTER\r\nContact: <sip:u@h>\r\n\r\n");
	assert_int_equal(feed(msg, (size_t)n, T0), 400);
	assert_non_null(strstr(out, "To is not a SIP or SIPS URI"));
	/* not a REGISTER */
	n = snprintf(msg, sizeof(msg),
		     "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKd\r\n"
		     "From: <sip:u@example.com>;tag=1\r\nTo: <sip:u@example.com>\r\n"
		     "Call-ID: d\r\nCSeq: 1 OPTIONS\r\n\r\n");
	assert_int_equal(feed(msg, (size_t)n, T0), 400);
	/* a non-SIP Contact URI is a valid binding (RFC 3261 allows any scheme) */
	assert_int_equal(reg(T0, "u", "c", 1, "Contact: <tel:+14155551234>, <mailto:u@example.com>\r\n"),
			 200);
	assert_int_equal(n_contacts(), 2);
}

/* ---- limits ---- */

static void
test_max_contacts_reject(void **state)
{
	(void)state;
	teardown_shard(NULL);
	conf_default();
	conf.max_contacts = 2;
	shard_new();
	assert_int_equal(reg(T0, "u", "c", 1, "Contact: <sip:u@h1>, <sip:u@h2>\r\n"), 200);
	drain();
	assert_int_equal(reg(T0 + 1000, "u", "c", 2, "Contact: <sip:u@h3>\r\n"), 503);
	assert_true(has_line("Retry-After: 30"));
	assert_int_equal(n_bindings(), 2);
	expect_no_event();
	/* three new ones at once on an empty AoR: 503 too */
	assert_int_equal(reg(T0, "v", "c", 1, "Contact: <sip:v@h1>, <sip:v@h2>, <sip:v@h3>\r\n"), 503);
	assert_int_equal(n_aors(), 1);
	/* refreshes still work, and a swap (remove one, add one) fits */
	assert_int_equal(reg(T0 + 2000, "u", "c", 3, "Contact: <sip:u@h1>;expires=100\r\n"), 200);
	assert_int_equal(reg(T0 + 2000, "u", "c", 4,
			     "Contact: <sip:u@h2>;expires=0, <sip:u@h3>\r\n"), 200);
	assert_int_equal(n_contacts(), 2);
	assert_int_equal(contact_expires("sip:u@h3"), 3600);
	assert_int_equal(STAT(max_contacts), 2);
	assert_int_equal(STAT(reply_503), 2);
}

static void
test_max_contacts_evict(void **state)
{
	(void)state;
	teardown_shard(NULL);
	conf_default();
	conf.max_contacts = 2;
	conf.on_max_contacts = REG_FULL_EVICT_OLDEST;
	shard_new();
	assert_int_equal(reg(T0, "u", "c", 1, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(reg(T0 + 1, "u", "c", 2, "Contact: <sip:u@h2>\r\n"), 200);
	drain();
	/* h1 is the oldest: it goes, even if refreshed after h2 was added */
	assert_int_equal(reg(T0 + 2, "u", "c", 3, "Contact: <sip:u@h1>\r\n"), 200);
	drain();
	assert_int_equal(reg(T0 + 3, "u", "c", 4, "Contact: <sip:u@h3>\r\n"), 200);
	assert_int_equal(n_contacts(), 2);
	assert_int_equal(contact_expires("sip:u@h1"), -1);
	assert_int_equal(contact_expires("sip:u@h2"), 3600);
	assert_int_equal(contact_expires("sip:u@h3"), 3600);
	expect_event(REG_EV_EVICT, "sip:u@h1", VER(4));
	expect_event(REG_EV_INSERT, "sip:u@h3", VER(5));
	expect_no_event();
	/* a binding refreshed by the same request is not evicted: the other one is */
	assert_int_equal(reg(T0 + 4, "u", "c", 5, "Contact: <sip:u@h2>, <sip:u@h4>\r\n"), 200);
	assert_int_equal(contact_expires("sip:u@h2"), 3600);
	assert_int_equal(contact_expires("sip:u@h4"), 3600);
	assert_int_equal(contact_expires("sip:u@h3"), -1);
	/* more new contacts than max_contacts in one request: 503 */
	assert_int_equal(reg(T0 + 5, "u", "c", 6, "Contact: <sip:u@h5>, <sip:u@h6>, <sip:u@h7>\r\n"),
			 503);
	assert_int_equal(n_contacts(), 0);
	assert_int_equal(n_bindings(), 2);
	assert_int_equal(STAT(evicted), 2);
	assert_int_equal(n_aors(), 1);
}

/* A snapshot of every binding, to show that a refused request harmed nothing. */
struct snap {
	int n;
	char text[64][160];
};

static int
snap_fn(const struct reg_contact *c, void *arg)
{
	struct snap *sn = arg;

	if (sn->n < 64)
		snprintf(sn->text[sn->n], sizeof(sn->text[0]), "%.*s e%u v%" PRIu64 " c%u", c->uri_len,
			 c->uri, c->expires_in, c->version, c->cseq);
	sn->n++;
	return 0;
}

static void
snapshot(struct snap *sn, int users)
{
	char aor[64];
	int i;

	memset(sn, 0, sizeof(*sn));
	for (i = 0; i < users; i++) {
		snprintf(aor, sizeof(aor), "user%d@example.com", i);
		reg_shard_lookup(sh, aor, strlen(aor), T0 + 500, snap_fn, sn);
	}
}

static void
test_pool_exhaustion(void **state)
{
	struct snap before, after;
	char user[32], hdr[128];
	int i;

	(void)state;
	/* binding pool: 16 bindings, 64 AoRs */
	teardown_shard(NULL);
	conf_default();
	conf.max_bindings = 16;
	shard_new();
	for (i = 0; i < 16; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		snprintf(hdr, sizeof(hdr), "Contact: <sip:%s@198.18.0.%d:5060>\r\n", user, i + 1);
		assert_int_equal(reg(T0, user, "c", 1, hdr), 200);
	}
	snapshot(&before, 17);
	assert_int_equal(before.n, 16);
	drain();
	assert_int_equal(reg(T0 + 1, "user16", "c", 1, "Contact: <sip:x@h>\r\n"), 503);
	assert_int_equal(reg(T0 + 1, "user3", "c", 2, "Contact: <sip:user3@198.18.0.4:5060>, <sip:x@h>\r\n"),
			 503);
	assert_true(has_line("Retry-After: 30"));
	snapshot(&after, 17);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(STAT(pool_full), 2);
	assert_int_equal(n_aors(), 16);
	expect_no_event();
	/* a refresh needs no new record */
	assert_int_equal(reg(T0 + 1, "user3", "c", 3, "Contact: <sip:user3@198.18.0.4:5060>\r\n"), 200);
	/* a swap reuses the record it frees */
	assert_int_equal(reg(T0 + 1, "user3", "c", 4,
			     "Contact: <sip:user3@198.18.0.4:5060>;expires=0, <sip:y@h>\r\n"), 200);
	assert_int_equal(contact_expires("sip:y@h"), 3600);
	/* a removal makes room */
	assert_int_equal(reg(T0 + 1, "user5", "c", 2, "Contact: *\r\nExpires: 0\r\n"), 200);
	assert_int_equal(reg(T0 + 1, "user16", "c", 1, "Contact: <sip:x@h>\r\n"), 200);

	/* AoR table: 16 AoRs (extendable buckets: all of them fit) */
	teardown_shard(NULL);
	conf_default();
	conf.max_aors = 16;
	shard_new();
	for (i = 0; i < 16; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		assert_int_equal(reg(T0, user, "c", 1, "Contact: <sip:a@h>\r\n"), 200);
	}
	snapshot(&before, 17);
	assert_int_equal(reg(T0, "user16", "c", 1, "Contact: <sip:a@h>\r\n"), 503);
	assert_int_equal(STAT(aor_full), 1);
	snapshot(&after, 17);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(reg(T0, "user0", "c", 2, "Contact: <sip:b@h>\r\n"), 200);
	assert_int_equal(n_contacts(), 2);

	/* overflow blocks: long URIs */
	teardown_shard(NULL);
	conf_default();
	conf.max_ext = 4;
	shard_new();
	{
		static char longc[600];
		char uri[300];

		memset(uri, 'x', 150);
		memcpy(uri, "sip:", 4);
		memcpy(uri + 150, "@h", 3);                 /* 152-byte URI: 2 blocks */
		snprintf(longc, sizeof(longc), "Contact: <%s>\r\n", uri);
		assert_int_equal(reg(T0, "user0", "c", 1, longc), 200);
		assert_int_equal(contact_expires(uri), 3600);
		uri[5] = 'y';
		snprintf(longc, sizeof(longc), "Contact: <%s>\r\n", uri);
		assert_int_equal(reg(T0, "user1", "c", 1, longc), 200);
		snapshot(&before, 3);
		uri[5] = 'z';
		snprintf(longc, sizeof(longc), "Contact: <%s>\r\n", uri);
		assert_int_equal(reg(T0, "user2", "c", 1, longc), 503);
		assert_int_equal(STAT(ext_full), 1);
		snapshot(&after, 3);
		assert_memory_equal(&before, &after, sizeof(before));
		/* refreshing a long binding reuses its own blocks */
		uri[5] = 'y';
		snprintf(longc, sizeof(longc), "Contact: <%s>;expires=100\r\n", uri);
		assert_int_equal(reg(T0, "user1", "c", 2, longc), 200);
		assert_int_equal(contact_expires(uri), 100);
		assert_int_equal(reg(T0, "user0", "c", 2, "Contact: *\r\nExpires: 0\r\n"), 200);
		uri[5] = 'z';
		snprintf(longc, sizeof(longc), "Contact: <%s>\r\n", uri);
		assert_int_equal(reg(T0, "user2", "c", 1, longc), 200);
		assert_int_equal(contact_expires(uri), 3600);
	}
	/* a long AoR (beyond the inline part, domain not compressed) */
	{
		char lu[200];

		memset(lu, 'a', 120);
		lu[120] = '\0';
		assert_int_equal(reg(T0, lu, "c", 1, "Contact: <sip:l@h>\r\n"), 503);  /* no block */
		assert_int_equal(reg(T0, "user1", "c", 3, "Contact: *\r\nExpires: 0\r\n"), 200);
		assert_int_equal(reg(T0, lu, "c", 1, "Contact: <sip:l@h>\r\n"), 200);
		assert_int_equal(reg(T0, lu, "c", 2, ""), 200);
		assert_int_equal(contact_expires("sip:l@h"), 3600);
		strcat(lu, "@example.com");
		assert_int_equal(reg_shard_lookup(sh, lu, strlen(lu), T0, NULL, NULL), 1);
	}
}

/* ---- expiry ---- */

static void
test_expiry_wheel(void **state)
{
	struct seen s;
	struct reg_event *ev;
	uint64_t t;

	(void)state;
	/* registered at T0 for 60 s: there until T0 + 59999, gone at T0 + 60000 */
	assert_int_equal(reg(T0, "u", "c", 1, "Contact: <sip:u@h1>;expires=60\r\n"), 200);
	assert_int_equal(reg(T0, "v", "c", 1, "Contact: <sip:v@h1>;expires=120\r\n"), 200);
	drain();
	for (t = T0; t < T0 + 60000; t += 7)
		reg_shard_tick(sh, t);
	reg_shard_tick(sh, T0 + 59999);
	assert_int_equal(n_bindings(), 2);
	assert_int_equal(lookup("u@example.com", T0 + 59999, &s), 1);
	assert_int_equal(s.c[0].expires_in, 1);
	expect_no_event();
	/* readers hide it from the expiry on, before the wheel removes it */
	assert_int_equal(lookup("u@example.com", T0 + 60000, &s), 0);
	reg_shard_tick(sh, T0 + 60000);
	assert_int_equal(n_bindings(), 1);
	assert_int_equal(n_aors(), 1);
	ev = next_event();
	assert_int_equal(ev->type, REG_EV_EXPIRE);
	assert_int_equal(ev->tombstone, 0);
	assert_int_equal(ev->pk_len, 0);   /* each node expires by itself: nothing to send */
	reg_event_free(ev);
	expect_no_event();
	assert_int_equal(STAT(expired), 1);
	/* a refresh moves the expiry: the old slot does not remove it */
	assert_int_equal(reg(T0 + 100000, "v", "c", 2, "Contact: <sip:v@h1>;expires=3000\r\n"), 200);
	drain();
	for (t = T0 + 60000; t <= T0 + 200000; t += 10)
		reg_shard_tick(sh, t);
	assert_int_equal(n_bindings(), 1);
	/* expiry beyond one turn of the wheel (655 s): not removed early */
	assert_int_equal(reg(T0 + 200000, "w", "c", 1, "Contact: <sip:w@h1>;expires=7200\r\n"), 200);
	for (t = T0 + 200000; t < T0 + 200000 + 7200000; t += 1000)
		reg_shard_tick(sh, t);
	reg_shard_tick(sh, T0 + 200000 + 7199999);
	assert_int_equal(lookup("w@example.com", T0 + 200000 + 7199999, &s), 1);
	assert_int_equal(n_aors(), 1);        /* v expired on the way (T0 + 3100000) */
	reg_shard_tick(sh, T0 + 200000 + 7200000);
	assert_int_equal(n_bindings(), 0);
	assert_int_equal(n_aors(), 0);
	assert_int_equal(STAT(expired), 3);
}

static void
test_expiry_bounded_and_late_clock(void **state)
{
	char user[32], hdr[64];
	int i;

	(void)state;
	teardown_shard(NULL);
	conf_default();
	conf.max_aors = 2048;
	conf.max_bindings = 2048;
	conf.events = NULL;
	shard_new();
	for (i = 0; i < 1200; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		snprintf(hdr, sizeof(hdr), "Contact: <sip:%s@h>;expires=60\r\n", user);
		assert_int_equal(reg(T0, user, "c", 1, hdr), 200);
	}
	/* all due in the same slot: REG_TICK_VISITS per call, then the rest */
	reg_shard_tick(sh, T0 + 60000);
	assert_int_equal(n_bindings(), 1200 - REG_TICK_VISITS);
	reg_shard_tick(sh, T0 + 60000);
	assert_int_equal(n_bindings(), 1200 - 2 * REG_TICK_VISITS);
	/* the rest, REG_TICK_VISITS per call */
	for (i = 2 * REG_TICK_VISITS; i < 1200; i += REG_TICK_VISITS) {
		assert_int_equal(n_bindings(), 1200 - i);
		reg_shard_tick(sh, T0 + 60001);
	}
	assert_int_equal(n_bindings(), 0);
	assert_int_equal(n_aors(), 0);
	/* no ring: every event counted as dropped */
	assert_int_equal(STAT(events_dropped), 2400);
	assert_int_equal(STAT(events_sent), 0);
	/* a clock that jumps far ahead (a worker stalled for hours) */
	assert_int_equal(reg(T0 + 70000, "a", "c", 1, "Contact: <sip:a@h>;expires=100\r\n"), 200);
	assert_int_equal(reg(T0 + 70000, "b", "c", 1, "Contact: <sip:b@h>;expires=7200\r\n"), 200);
	for (i = 0; i < 64 && n_bindings() > 0; i++)
		reg_shard_tick(sh, T0 + 70000 + 10000000);
	assert_int_equal(n_bindings(), 0);
	/* a register is also where expired bindings of its AoR go */
	assert_int_equal(reg(T0 + 20000000, "c", "c", 1, "Contact: <sip:c@h1>;expires=100\r\n"), 200);
	assert_int_equal(reg(T0 + 20100000, "c", "c", 2, "Contact: <sip:c@h2>;expires=100\r\n"), 200);
	assert_int_equal(n_contacts(), 1);
	assert_int_equal(n_bindings(), 1);
}

/* ---- events ---- */

static void
test_events(void **state)
{
	const struct reg_rec *r;
	struct reg_event *ev;
	uint64_t seq;

	(void)state;
	assert_int_equal(reg(T0, "alice", "c", 1,
			     "Path: <sip:edge.example.net;lr>\r\n"
			     "Contact: <sip:alice@198.18.0.100:5060>;q=0.7;+sip.instance=\"<urn:uuid:1>\";reg-id=3\r\n"),
			 200);
	ev = next_event();
	r = ev_rec(ev);
	assert_int_equal(ev->type, REG_EV_INSERT);
	assert_string_equal(reg_event_type_name(ev->type), "insert");
	assert_int_equal(r->version.counter, VER(1));
	assert_int_equal(r->version.origin, 7);
	assert_int_equal(ev->shard, 0);
	assert_int_equal(ev->remote, 0);
	assert_int_equal(ev->tombstone, 0);
	assert_int_equal(r->tombstone, 0);
	assert_int_equal(r->sock_node, 7);
	assert_int_equal(r->key_len, 21);
	assert_memory_equal(r->key, "reg-id=3;<urn:uuid:1>", 21);
	assert_int_equal(r->tag_len, 0);
	assert_int_equal(r->expires_s, 3600);
	assert_int_equal(r->q, 700);
	assert_int_equal(r->cseq, 1);
	assert_int_equal(r->reg_id, 3);
	assert_int_equal(r->family, 4);
	assert_int_equal(r->port, 40000);
	assert_int_equal(r->local_port, 1);
	assert_memory_equal(r->addr, src4.addr, 4);
	assert_int_equal(r->aor_len, 17);
	assert_memory_equal(r->aor, "alice@example.com", 17);
	assert_int_equal(r->uri_len, 27);
	assert_memory_equal(r->uri, "sip:alice@198.18.0.100:5060", 27);
	assert_int_equal(r->instance_len, 12);
	assert_memory_equal(r->instance, "<urn:uuid:1>", 12);
	assert_int_equal(r->path_len, 25);
	assert_memory_equal(r->path, "<sip:edge.example.net;lr>", 25);
	assert_true(ev->pk_len <= REG_EV_PK_SMALL);   /* from the small pool */
	seq = ev->seq;
	reg_event_free(ev);
	/* versions and sequence numbers grow */
	assert_int_equal(reg(T0 + 1000, "alice", "c", 2,
			     "Contact: <sip:alice@x>;+sip.instance=\"<urn:uuid:1>\";reg-id=3;expires=600\r\n"),
			 200);
	ev = next_event();
	r = ev_rec(ev);
	assert_int_equal(ev->type, REG_EV_UPDATE);
	assert_int_equal(r->version.counter, VER(2));
	assert_int_equal(r->expires_s, 600);
	assert_int_equal(ev->seq, seq + 1);
	assert_int_equal(r->path_len, 0);
	reg_event_free(ev);
	assert_int_equal(reg(T0 + 2000, "alice", "c", 3,
			     "Contact: <sip:alice@x>;+sip.instance=\"<urn:uuid:1>\";reg-id=3\r\n"), 200);
	expect_event(REG_EV_UPDATE, "sip:alice@x", VER(3));
	assert_int_equal(reg(T0 + 3000, "alice", "c", 4,
			     "Contact: <sip:alice@x>;+sip.instance=\"<urn:uuid:1>\";reg-id=3;expires=0\r\n"),
			 200);
	ev = next_event();
	r = ev_rec(ev);
	assert_int_equal(ev->type, REG_EV_DELETE);
	assert_int_equal(r->version.counter, VER(4));
	assert_int_equal(ev->tombstone, 1);
	assert_int_equal(r->tombstone, 1);
	assert_int_equal(r->expires_s, 0);
	assert_int_equal(ev->seq, seq + 3);
	reg_event_free(ev);
	expect_no_event();
	assert_int_equal(STAT(events_sent), 4);
	assert_int_equal(STAT(events_dropped), 0);
	/* a record longer than a small event holds: an event of the large pool */
	{
		char hdrs[1024], path[420];

		memset(path, 'p', sizeof(path) - 1);
		path[sizeof(path) - 1] = '\0';
		snprintf(hdrs, sizeof(hdrs), "Path: <sip:%s.example.net;lr>\r\n"
			 "Contact: <sip:bob@198.18.0.100>\r\n", path);
		assert_int_equal(reg(T0 + 4000, "bob", "c2", 1, hdrs), 200);
		ev = next_event();
		r = ev_rec(ev);
		assert_true(ev->pk_len > REG_EV_PK_SMALL);
		assert_ptr_equal(rte_mempool_from_obj(ev), sh->ev_pool_large);
		assert_int_equal(r->path_len, strlen(path) + 21);   /* <sip: ... .example.net;lr> */
		assert_memory_equal(r->path + 5, path, strlen(path));
		assert_int_equal(ev->seq, seq + 4);
		reg_event_free(ev);
		expect_no_event();
		assert_int_equal(rte_mempool_avail_count(sh->ev_pool_large), REG_EV_LARGE);
	}
	/* a full ring: counted, the event goes back to its pool */
	{
		struct rte_ring *small = rte_ring_create("t_small", 4, SOCKET_ID_ANY,
							 RING_F_SP_ENQ | RING_F_SC_DEQ);
		char user[16];
		void *e;
		int i;

		assert_non_null(small);
		teardown_shard(NULL);
		conf_default();
		conf.events = small;
		conf.max_events = 16;
		shard_new();
		for (i = 0; i < 10; i++) {
			snprintf(user, sizeof(user), "u%d", i);
			assert_int_equal(reg(T0, user, "c", 1, "Contact: <sip:a@h>\r\n"), 200);
		}
		assert_int_equal(STAT(events_sent), 3);
		assert_int_equal(STAT(events_dropped), 7);
		while (rte_ring_dequeue(small, &e) == 0)
			reg_event_free(e);
		teardown_shard(NULL);
		rte_ring_free(small);
		conf_default();
		shard_new();
	}
}

/* ---- read side ---- */

/* What the read side gives the shard queries (dp_contact_ent: the control plane
 * builds `contacts show` from these fields): every field of one binding, the
 * IPv6 source, an unknown AoR. */
static void
test_read_side_and_ipv6(void **state)
{
	static const struct reg_src src6 = { 6, 0, 5062,
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 }, 0, 0, { 0 }, 0, NULL, NULL };
	struct seen s;
	int n;

	(void)state;
	assert_int_equal(reg(T0, "alice", "c", 1,
			     "Contact: <sip:alice@198.18.0.100:5060>;q=0.5\r\n"), 200);
	assert_int_equal(lookup("alice@example.com", T0 + 1000, &s), 1);
	assert_string_equal(s.c[0].uri, "sip:alice@198.18.0.100:5060");
	assert_int_equal(s.c[0].expires_in, 3599);
	assert_int_equal(s.c[0].src.family, 4);
	assert_memory_equal(s.c[0].src.addr, "\xc6\x12\x00\x64", 4);   /* 198.18.0.100 */
	assert_int_equal(s.c[0].src.port, 40000);
	assert_int_equal(s.c[0].src.local_port, 1);
	assert_int_equal(s.c[0].q, 500);
	assert_int_equal(s.c[0].origin, 7);
	assert_int_equal(s.c[0].version, VER(1));
	assert_int_equal(s.c[0].cseq, 1);
	assert_int_equal(s.c[0].reg_id, 0);
	assert_null(s.c[0].instance);
	assert_null(s.c[0].path);
	assert_int_equal(lookup("nobody@example.com", T0, &s), 0);
	assert_int_equal(s.n, 0);
	/* IPv6 source: received in the Via, the address in the binding */
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP [2001:db8::1]:5062;rport;branch=z9hG4bK6\r\n"
		     "From: <sip:bob@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
		     "Call-ID: 6\r\nCSeq: 1 REGISTER\r\nContact: <sip:bob@[2001:db8::1]:5062>\r\n\r\n");
	parse_ok(&pm, msg, (size_t)n);
	assert_int_equal(reg_shard_register(sh, &pm, NULL, &src6, T0, WALL, out, sizeof(out) - 1, &out_len),
			 200);
	out[out_len] = '\0';
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP [2001:db8::1]:5062;rport=5062;"
			       "branch=z9hG4bK6;received=2001:db8::1\r\n"));
	assert_int_equal(lookup("bob@example.com", T0, &s), 1);
	assert_int_equal(s.c[0].src.family, 6);
	assert_memory_equal(s.c[0].src.addr, src6.addr, 16);
	assert_int_equal(s.c[0].src.port, 5062);
	assert_int_equal(s.c[0].q, 1000);
	/* no source given: the Via is left as it is */
	assert_int_equal(reg_shard_register(sh, &pm, NULL, NULL, T0, WALL, out, sizeof(out) - 1, &out_len),
			 200);
	out[out_len] = '\0';
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP [2001:db8::1]:5062;rport;branch=z9hG4bK6\r\n"));
}

static void
test_reply_overflow(void **state)
{
	int n;

	(void)state;
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKo\r\n"
		     "From: <sip:o@example.com>;tag=1\r\nTo: <sip:o@example.com>\r\n"
		     "Call-ID: o\r\nCSeq: 1 REGISTER\r\nContact: <sip:o@h>\r\n\r\n");
	parse_ok(&pm, msg, (size_t)n);
	memset(out, 0x5a, 200);
	assert_int_equal(reg_shard_register(sh, &pm, NULL, &src4, T0, WALL, out, 100, &out_len), 200);
	assert_int_equal(out_len, 0);
	assert_int_equal((unsigned char)out[100], 0x5a);
	assert_int_equal(STAT(reply_overflow), 1);
	assert_int_equal(n_bindings(), 1);          /* applied all the same */
}

static void
test_create_and_memory(void **state)
{
	struct reg_conf bad;
	struct reg_mem mem;
	size_t bpb;

	(void)state;
	conf_default();
	bad = conf;
	bad.min_expires = 4000;
	assert_null(reg_shard_create(&bad, 1, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	bad = conf;
	bad.max_aors = 8;
	assert_null(reg_shard_create(&bad, 1, SOCKET_ID_ANY));
	bad = conf;
	bad.foreign_status = 500;
	assert_null(reg_shard_create(&bad, 1, SOCKET_ID_ANY));
	assert_null(reg_shard_create(NULL, 1, SOCKET_ID_ANY));
	reg_shard_free(NULL);
	/* the default sizes */
	teardown_shard(NULL);
	conf.max_aors = REG_DEFAULT_MAX_AORS;
	conf.max_bindings = REG_DEFAULT_MAX_BINDINGS;
	shard_new();
	bpb = reg_shard_bytes_per_binding(sh);
	reg_shard_mem(sh, &mem);
	print_message("bytes per binding %zu (hash %zu, aors %zu, bindings %zu, ext %zu, "
		      "wheel %zu, events %zu, repl %zu, total %zu)\n", bpb, mem.hash, mem.aors,
		      mem.bindings, mem.ext, mem.wheel, mem.events, mem.repl, mem.total);
	assert_true(bpb >= sizeof(struct reg_binding) + sizeof(struct reg_aor));
	assert_true(bpb <= 320);        /* replication metadata included */
	assert_true(mem.bindings >= (size_t)REG_DEFAULT_MAX_BINDINGS * REG_BINDING_SIZE);
	assert_true(mem.repl > 0);
	assert_true(mem.hash > 0 && mem.total > mem.bindings);
	assert_string_equal(reg_stat_name(REG_STAT_reply_423), "reply_423");
	assert_string_equal(reg_stat_name(REG_STAT_MAX), "?");
	assert_non_null(reg_stat_help(REG_STAT_pool_full));
}

/* The config keys reach the shard: tests/unit/cfg/good/registrar.yaml */
static void
test_conf_from_cfg(void **state)
{
	static struct cfg cfg;
	struct reg_conf rc, rc2;
	char err[256];
	int n;

	(void)state;
	assert_int_equal(cfg_load("tests/unit/cfg/good/registrar.yaml", &cfg, err, sizeof(err)), 0);
	reg_conf_from_cfg(&rc, &cfg, ring);
	reg_conf_from_cfg(&rc2, &cfg, NULL);
	assert_int_equal(rc.max_contacts, 1);
	assert_int_equal(rc.on_max_contacts, REG_FULL_EVICT_OLDEST);
	assert_int_equal(rc.foreign_status, 404);
	assert_int_equal(rc.max_aors, 16);
	assert_int_equal(rc.max_bindings, 16777216);
	assert_int_equal(rc.default_expires, 3600);
	assert_int_equal(rc.node_id, 1);
	assert_int_equal(rc.n_domains, 1);
	assert_string_equal(rc.domains[0], "example.com");
	assert_ptr_equal(rc.events, ring);
	assert_null(rc2.events);
	assert_true(rc.hash_seed != rc2.hash_seed);
	/* a shard from it behaves as configured (smaller pool for the test) */
	teardown_shard(NULL);
	conf = rc;
	conf.max_bindings = 64;
	shard_new();
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKc\r\n"
		     "From: <sip:u@example.org>;tag=1\r\nTo: <sip:u@example.org>\r\n"
		     "Call-ID: c\r\nCSeq: 1 REGISTER\r\nContact: <sip:u@h>\r\n\r\n");
	assert_int_equal(feed(msg, (size_t)n, T0), 404);
	assert_int_equal(reg(T0, "u", "c", 1, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(reg(T0, "u", "c", 2, "Contact: <sip:u@h2>\r\n"), 200);
	assert_int_equal(n_contacts(), 1);                /* max_contacts 1, evict-oldest */
	assert_int_equal(contact_expires("sip:u@h2"), 3600);
	assert_int_equal(STAT(evicted), 1);
}

static void
test_docs_list_every_counter(void **state)
{
	static char doc[1 << 16];
	char key[64];
	size_t n;
	FILE *f;
	int i;

	(void)state;
	f = fopen("docs/registrar.md", "r");
	if (f == NULL)
		fail_msg("docs/registrar.md missing (run from the repository root)");
	n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	for (i = 0; i < REG_STAT_MAX; i++) {
		snprintf(key, sizeof(key), "`%s`", reg_stat_name((enum reg_stat)i));
		if (strstr(doc, key) == NULL)
			fail_msg("counter %s missing from docs/registrar.md", key);
	}
	for (i = 0; i < REG_EV__COUNT; i++) {
		snprintf(key, sizeof(key), "`%s`", reg_event_type_name((enum reg_event_type)i));
		if (strstr(doc, key) == NULL)
			fail_msg("event type %s missing from docs/registrar.md", key);
	}
}

/* ---- random traffic, invariants ---- */

static struct reg_digest walked;

static int
walk_fn(const struct reg_keyver *kv, void *arg)
{
	(void)arg;
	if (kv->tombstone)      /* walked, not digested */
		return 0;
	reg_digest_add(&walked, kv->aor, kv->aor_len, kv->key, kv->key_len, &kv->version,
		       kv->tombstone);
	return 0;
}

/* The digest kept up to date equals the one recomputed from every bucket's walk
 * of live bindings (so every binding is in its bucket's list, once; tombstones
 * are walked but not digested), and the tombstone count is the gauge. */
static void
check_digest(void)
{
	const struct reg_digest *d = reg_shard_digest(sh);
	uint32_t b;

	reg_digest_init(&walked);
	for (b = 0; b < REG_DIGEST_BUCKETS; b++)
		assert_true(reg_shard_bucket_walk(sh, (uint16_t)b, walk_fn, NULL) >= 0);
	assert_memory_equal(walked.bucket, d->bucket, sizeof(d->bucket));
	assert_int_equal(walked.entries, d->entries);
	assert_int_equal(d->entries, sh->n_bindings);
	assert_int_equal(STAT(tombstones), reg_shard_tombstones(sh));
	assert_true(reg_shard_tombstones(sh) <= sh->conf.max_tombstones);
}

/* Every record accounted for: AoR lists, back links, wheel lists, free lists,
 * overflow chains, digest and bucket lists. */
static void
check_invariants(void)
{
	const struct reg_shard *s = sh;
	uint32_t i, bi, n, aors = 0, bindings = 0, wheel = 0, ext_used = 0, free_b = 0;
	uint32_t free_x = 0;

	for (i = 0; i < s->conf.max_aors; i++) {
		const struct reg_aor *a = &s->aors[i];

		if (a->n == 0)
			continue;
		aors++;
		n = 0;
		for (bi = a->head; bi != REG_NONE; bi = s->b[bi].next) {
			assert_true(bi < s->conf.max_bindings);
			assert_int_equal(s->b[bi].aor, i);
			assert_int_equal(s->b[bi].flags & 0xc0, 0);
			for (uint32_t x = s->b[bi].ext; x != REG_NONE; x = s->ext[x].next)
				ext_used++;
			assert_true(++n <= a->n);
		}
		assert_int_equal(n, a->n);
		bindings += n;
		for (uint32_t x = a->ext; x != REG_NONE; x = s->ext[x].next)
			ext_used++;
	}
	assert_int_equal(aors, s->n_aors);
	assert_int_equal(bindings, s->n_bindings);
	for (i = 0; i < REG_WHEEL_SLOTS; i++) {
		uint32_t prev = REG_NONE;

		for (bi = s->wheel.slots[i]; bi != REG_NONE; bi = s->b[bi].wnext) {
			assert_int_equal(s->b[bi].wprev, prev);
			assert_true(s->b[bi].aor != REG_NONE);
			prev = bi;
			assert_true(++wheel <= bindings);
		}
	}
	assert_int_equal(wheel, bindings);
	for (bi = s->b_free; bi != REG_NONE; bi = s->b[bi].next)
		assert_true(++free_b <= s->conf.max_bindings);
	assert_int_equal(free_b, s->b_nfree);
	assert_int_equal(free_b + bindings, s->conf.max_bindings);
	for (bi = s->x_free; bi != REG_NONE; bi = s->ext[bi].next)
		assert_true(++free_x <= s->conf.max_ext);
	assert_int_equal(free_x, s->x_nfree);
	assert_int_equal(free_x + ext_used, s->conf.max_ext);
	check_digest();
}

static uint32_t rnd_state = 12345;

static uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Random REGISTERs over a few AoRs and contacts, some with random damage, with
 * ticks in between: nothing crashes, every answer parses, the store stays whole. */
static void
test_random_traffic(void **state)
{
	static const char *const extra[] = {
		"", "Expires: 0\r\n", "Expires: 30\r\n", "Expires: 99999999999\r\n",
		"Path: <sip:e.example.net;lr>\r\nSupported: path\r\n", "Require: foo\r\n",
	};
	static char hdrs[2048], big[REG_URI_MAX + 64];
	uint64_t now = T0;
	char user[16], callid[16];
	int i, k, n, good = 0;

	(void)state;
	teardown_shard(NULL);
	conf_default();
	conf.max_aors = 16;
	conf.max_bindings = 24;
	conf.max_ext = 12;
	conf.max_contacts = 3;
	conf.on_max_contacts = REG_FULL_EVICT_OLDEST;
	shard_new();
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 20000; i++) {
		int o = 0, nc = (int)(rnd() % 4);

		snprintf(user, sizeof(user), "u%u", rnd() % 20);
		snprintf(callid, sizeof(callid), "c%u", rnd() % 3);
		for (k = 0; k < nc; k++) {
			unsigned which = rnd() % 8;

			if (which == 7)
				o += snprintf(hdrs + o, sizeof(hdrs) - (size_t)o,
					      "Contact: <sip:%.*s@h>\r\n", (int)(rnd() % 200), big);
			else
				o += snprintf(hdrs + o, sizeof(hdrs) - (size_t)o,
					      "Contact: <sip:x%u@h%u>%s%s\r\n", which, rnd() % 2,
					      rnd() % 4 ? "" : ";expires=0",
					      rnd() % 5 ? "" : ";+sip.instance=\"<urn:x>\";reg-id=1");
		}
		if (rnd() % 10 == 0)
			o += snprintf(hdrs + o, sizeof(hdrs) - (size_t)o, "Contact: *\r\n");
		snprintf(hdrs + o, sizeof(hdrs) - (size_t)o, "%s",
			 extra[rnd() % (sizeof(extra) / sizeof(extra[0]))]);
		n = snprintf(msg, sizeof(msg),
			     "REGISTER sip:example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-%d\r\n"
			     "From: <sip:%s@example.com>;tag=f\r\nTo: <sip:%s@example.com>\r\n"
			     "Call-ID: %s\r\nCSeq: %u REGISTER\r\n%sContent-Length: 0\r\n\r\n",
			     i, user, user, callid, rnd() % 50, hdrs);
		/* damage some: flip bytes, cut */
		if (rnd() % 4 == 0) {
			for (k = (int)(rnd() % 4); k >= 0; k--)
				msg[rnd() % (unsigned)n] = (char)(rnd() & 0xff);
			if (rnd() % 2)
				n = (int)(rnd() % (unsigned)n) + 1;
		}
		if (sip_msg_parse(&pm, msg, (size_t)n) == 0) {
			int st = reg_shard_register(sh, &pm, NULL, &src4, now, WALL, out,
						    sizeof(out) - 1, &out_len);

			assert_true(st >= 200 && st <= 599);
			assert_true(out_len > 0);
			out[out_len] = '\0';
			if (sip_msg_parse(&rm, out, out_len) != 0)
				fail_msg("response does not parse:\n%s\nto:\n%.*s", out, n, msg);
			assert_int_equal(rm.status, st);
			good += st == 200;
		}
		now += rnd() % 3000;
		reg_shard_tick(sh, now);
		drain();
		if (i % 500 == 0)
			check_invariants();
	}
	check_invariants();
	print_message("%d accepted of 20000, %lu inserts, %lu expired, %lu evicted, "
		      "%lu pool_full, %lu ext_full\n", good, (unsigned long)STAT(inserts),
		      (unsigned long)STAT(expired), (unsigned long)STAT(evicted),
		      (unsigned long)STAT(pool_full), (unsigned long)STAT(ext_full));
	assert_true(good > 1000);
	assert_true(STAT(expired) > 0 && STAT(evicted) > 0 && STAT(deletes) > 0);
	/* everything expires in the end */
	for (i = 0; i < 100 && n_bindings() > 0; i++)
		reg_shard_tick(sh, now + 8000000);
	assert_int_equal(n_bindings(), 0);
	assert_int_equal(n_aors(), 0);
	print_message("%lu tombstones held, %lu expired, %lu dropped\n",
		      (unsigned long)STAT(tombstones), (unsigned long)STAT(tombstones_expired),
		      (unsigned long)STAT(tombstones_dropped));
	reg_shard_tick(sh, now + 9000000);
	assert_int_equal(reg_shard_tombstones(sh), 0);      /* after tombstone_s, all gone */
	assert_true(STAT(tombstones_expired) > 0);
	check_invariants();
}

/* ---- RFC 4475 ---- */

/* The expected status of FILE in EXPECT.tsv: "registrar 200" / "REGISTRAR answers 400"
 * in the expected column, or 400 for an invalid verdict. */
static int
expect_of(const char *file)
{
	char line[1024];
	int status = -1;
	FILE *f = fopen(CORPUS "EXPECT.tsv", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t'), *exp, *p;

		if (tab == NULL || (size_t)(tab - line) != strlen(file) ||
		    strncmp(line, file, strlen(file)) != 0)
			continue;
		exp = strchr(strchr(tab + 1, '\t') + 1, '\t') + 1;
		if (strncmp(tab + 1, "invalid", 7) == 0)
			status = 400;
		else if (strncmp(exp, "accept", 6) == 0)
			status = 200;
		for (p = exp; *p != '\t' && *p != '\0'; p++) {
			if ((strncasecmp(p, "registrar 200", 13) == 0) ||
			    strncasecmp(p, "process (200)", 13) == 0)
				status = 200;
			if (strncasecmp(p, "REGISTRAR answers 400", 21) == 0)
				status = 400;
		}
	}
	fclose(f);
	return status;
}

static size_t
load(const char *file, char *buf, size_t cap)
{
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), CORPUS "%s", file);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: cannot open (run from the repository root)", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
test_rfc4475(void **state)
{
	static const char *const files[] = {
		"escnull.dat", "dblreq.dat", "cparam01.dat", "cparam02.dat", "regescrt.dat",
		"regaut01.dat", "unksm2.dat", "regbadct.dat",
	};
	struct reg_key key;
	struct seen s;
	uint32_t hash;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t n = load(files[i], msg, sizeof(msg));
		int want = expect_of(files[i]), got;

		assert_true(want == 200 || want == 400);
		if (sip_msg_parse(&pm, msg, n) != 0) {
			got = sip_err_status(pm.err);   /* the parser answers */
		} else {
			got = reg_aor_key(&conf, &pm, &key, &hash);
			if (got == 0) {
				got = reg_shard_register(sh, &pm, &key, &src4, T0, WALL, out,
							 sizeof(out) - 1, &out_len);
				assert_true(out_len > 0);
				out[out_len] = '\0';
				parse_ok(&rm, out, out_len);
				assert_int_equal(rm.status, got);
			}
		}
		print_message("%-14s expect %d got %d\n", files[i], want, got);
		assert_int_equal(got, want);
	}
	/* escnull: two bindings with escaped NULs, AoR kept printable */
	assert_int_equal(lookup("null-%00-null@example.com", T0, &s), 2);
	assert_string_equal(s.c[0].uri, "sip:%00@host5.example.com");
	assert_string_equal(s.c[1].uri, "sip:%00%00@host5.example.com");
	/* dblreq: the REGISTER only */
	assert_int_equal(lookup("j.user@example.com", T0, &s), 1);
	assert_string_equal(s.c[0].uri, "sip:j.user@host.example.com");
	/* cparam01: ;unknownparam is a contact parameter; cparam02: part of the URI.
	 * Same Call-ID prefix, different Call-IDs: the second is another binding. */
	assert_int_equal(lookup("watson@example.com", T0, &s), 2);
	assert_string_equal(s.c[0].uri, "sip:+19725552222@gw1.example.net");
	assert_string_equal(s.c[1].uri, "sip:+19725552222@gw1.example.net;unknownparam");
	/* regescrt: the escaped header stays in the bound URI */
	assert_int_equal(lookup("user@example.com", T0, &s), 1);
	assert_string_equal(s.c[0].uri, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
	/* regbadct was refused: nothing stored from it (user@example.com has 1) */
	assert_int_equal(n_aors(), 4);
}

/* ---- main ---- */

static int
setup(void **state)
{
	char *argv[] = { "test_reg_shard", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=*:error", NULL };

	(void)state;
	if (rte_eal_init(9, argv) < 0)
		return -1;
	ring = rte_ring_create("t_events", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	return ring == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	rte_ring_free(ring);
	rte_eal_cleanup();
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_shard, teardown_shard)

/* Pinging (reg_ping.c): a walk over every bucket with MINE and SEND chosen by
 * the test; counts the calls and whether the targets were marked for a retry. */
static int ping_mine_ret, ping_send_ret;
static unsigned int ping_sends, ping_retry_seen;

static int
ping_mine(void *arg, const struct reg_ping_target *t)
{
	(void)arg;
	if (t->retry)
		ping_retry_seen++;
	return ping_mine_ret;
}

static int
ping_send(void *arg, const struct reg_ping_target *t)
{
	(void)arg;
	(void)t;
	ping_sends++;
	return ping_send_ret;
}

static void
ping_walk(int mine, int send)
{
	unsigned int b;

	ping_mine_ret = mine;
	ping_send_ret = send;
	ping_sends = ping_retry_seen = 0;
	for (b = 0; b < REG_DIGEST_BUCKETS; b++)
		reg_shard_ping_bucket(sh, (uint16_t)b, 1000, true, 3, ping_mine, ping_send, NULL);
}

/* A ping without a neighbour MAC is marked for a retry (and leaves nothing
 * pending: no miss is counted for it); a SKIP walk (catch-up, retry) leaves a
 * contact's pending ping and misses alone, an OTHERS one clears them; an EXTRA
 * ping (catch-up, retry) counts no miss. */
static void
test_ping_retry_skip(void **state)
{
	(void)state;
	assert_int_equal(reg(1000, "alice", "c1", 1, "Contact: <sip:alice@198.18.0.100:6000>\r\n"), 200);
	ping_walk(REG_PING_MINE, REG_PING_NO_NEIGH);
	assert_int_equal(ping_sends, 1);
	assert_int_equal(STAT(ping_sent), 0);
	ping_walk(REG_PING_SKIP, 0);            /* the retry walk sees the mark */
	assert_int_equal(ping_retry_seen, 1);
	assert_int_equal(ping_sends, 0);
	ping_walk(REG_PING_MINE, 0);            /* the retry: sent, no miss counted */
	assert_int_equal(ping_retry_seen, 1);
	assert_int_equal(STAT(ping_sent), 1);
	assert_int_equal(STAT(ping_missed), 0);
	ping_walk(REG_PING_MINE, 0);            /* the mark is gone; the ping is out */
	assert_int_equal(ping_retry_seen, 0);
	assert_int_equal(STAT(ping_missed), 1);
	ping_walk(REG_PING_SKIP, 0);            /* skipped: still pending */
	ping_walk(REG_PING_MINE, 0);
	assert_int_equal(STAT(ping_missed), 2);
	ping_walk(REG_PING_OTHERS, 0);          /* another node's: cleared */
	ping_walk(REG_PING_MINE, 0);
	assert_int_equal(STAT(ping_missed), 2);
	assert_int_equal(STAT(ping_sent), 4);
	ping_walk(REG_PING_EXTRA, 0);           /* a catch-up: sent, no miss counted */
	assert_int_equal(ping_sends, 1);
	assert_int_equal(STAT(ping_missed), 2);
	assert_int_equal(STAT(ping_sent), 5);
}

/* An unauthenticated source (src.unauth: auth off, or not authenticated) gets
 * no binding list from a query, and none that would make the 200 larger than
 * 3x its request (docs/security.md); an authenticated one gets it all. */
static void
test_unauth_no_list(void **state)
{
	char hdrs[2048];
	int i, n = 0;

	(void)state;
	for (i = 0; i < 8; i++)
		n += snprintf(hdrs + n, sizeof(hdrs) - (size_t)n,
			      "Contact: <sip:victim@198.18.0.%d:5060;transport=udp;a-long-parameter="
			      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx>\r\n", 100 + i);
	assert_int_equal(reg(T0, "victim", "cid-u1", 1, hdrs), 200);
	assert_int_equal(n_contacts(), 8);
	src4.unauth = 1;
	assert_int_equal(reg(T0, "victim", "cid-u2", 1, ""), 200);      /* a query */
	assert_int_equal(n_contacts(), 0);
	assert_int_equal(STAT(list_withheld), 1);
	/* a small refresh: the 8-binding list would be over 3x the request */
	assert_int_equal(reg(T0, "victim", "cid-u1", 2,
			     "Contact: <sip:victim@198.18.0.100:5060;transport=udp;a-long-parameter="
			     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx>\r\n"), 200);
	assert_int_equal(n_contacts(), 0);
	assert_true(out_len <= 3 * pm.len);
	assert_int_equal(STAT(list_withheld), 2);
	src4.unauth = 0;
	assert_int_equal(reg(T0, "victim", "cid-u3", 1, ""), 200);
	assert_int_equal(n_contacts(), 8);
	assert_int_equal(STAT(list_withheld), 2);
}

/* registrar.max_bindings_per_source: a source holds at most that many bindings
 * in a shard (403 over, source_full); removals, expiry and a binding moving to
 * another source free its place; another source is not affected. */
static void
test_max_per_source(void **state)
{
	static const struct reg_src other = { 4, 1, 40000, { 198, 18, 0, 101 }, 0, 0, { 0 }, 0, NULL, NULL };
	struct reg_src keep = src4;
	char c[160], u[32];
	int i;

	(void)state;
	reg_shard_free(sh);
	conf.max_per_source = 3;
	shard_new();
	for (i = 0; i < 3; i++) {
		snprintf(u, sizeof(u), "u%d", i);
		snprintf(c, sizeof(c), "Contact: <sip:u%d@198.18.0.100:5060>\r\n", i);
		assert_int_equal(reg(T0, u, u, 1, c), 200);
	}
	assert_int_equal(reg(T0, "u3", "u3", 1, "Contact: <sip:u3@198.18.0.100:5060>\r\n"), 403);
	assert_int_equal(STAT(source_full), 1);
	/* a refresh of an existing binding is no new binding */
	assert_int_equal(reg(T0, "u0", "u0", 2, "Contact: <sip:u0@198.18.0.100:5060>\r\n"), 200);
	/* a removal frees a place */
	assert_int_equal(reg(T0, "u1", "u1", 2,
			     "Contact: <sip:u1@198.18.0.100:5060>\r\nExpires: 0\r\n"), 200);
	assert_int_equal(reg(T0, "u3", "u3", 2, "Contact: <sip:u3@198.18.0.100:5060>\r\n"), 200);
	assert_int_equal(reg_src_count(sh, 4, src4.addr), 3);
	/* another source registers; a binding refreshed from it moves its count */
	src4 = other;
	assert_int_equal(reg(T0, "v0", "v0", 1, "Contact: <sip:v0@198.18.0.101:5060>\r\n"), 200);
	assert_int_equal(reg(T0, "u0", "u0", 3, "Contact: <sip:u0@198.18.0.100:5060>\r\n"), 200);
	assert_int_equal(reg_src_count(sh, 4, other.addr), 2);
	src4 = keep;
	assert_int_equal(reg_src_count(sh, 4, src4.addr), 2);
	/* expiry frees the rest */
	for (i = 1; i <= 7300; i++)
		reg_shard_tick(sh, T0 + (uint64_t)i * 1000u);
	assert_int_equal(reg_src_count(sh, 4, src4.addr), 0);
	assert_int_equal(reg_src_count(sh, 4, other.addr), 0);
	/* many sources: counts stay exact through inserts and removals (the
	 * table's backward-shift deletion) */
	for (i = 0; i < 60; i++) {                      /* max_aors is 64 */
		src4.addr[3] = (uint8_t)(i % 30);
		snprintf(u, sizeof(u), "m%d", i);
		snprintf(c, sizeof(c), "Contact: <sip:m%d@198.18.0.1:5060>\r\n", i);
		assert_int_equal(reg(T0 + 7300000u, u, u, 1, c), 200);
	}
	for (i = 0; i < 60; i += 2) {
		src4.addr[3] = (uint8_t)(i % 30);
		snprintf(u, sizeof(u), "m%d", i);
		snprintf(c, sizeof(c), "Contact: <sip:m%d@198.18.0.1:5060>\r\nExpires: 0\r\n", i);
		assert_int_equal(reg(T0 + 7300000u, u, u, 2, c), 200);
	}
	for (i = 0; i < 30; i++) {
		uint8_t a[16] = { 198, 18, 0, (uint8_t)i };

		assert_int_equal(reg_src_count(sh, 4, a), i % 2 == 0 ? 0 : 2);
	}
	src4 = keep;
	conf.max_per_source = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aor_key),
		cmocka_unit_test(test_aor_key_usual_agrees),
		T(test_ping_retry_skip),
		T(test_register_basic),
		T(test_expires_rules),
		T(test_star),
		T(test_unauth_no_list),
		T(test_max_per_source),
		T(test_callid_cseq),
		T(test_contact_matching),
		T(test_instance_reg_id),
		T(test_refresh_known_contact),
		T(test_prefetch_hints),
		T(test_path_require),
		T(test_domains_and_schemes),
		T(test_max_contacts_reject),
		T(test_max_contacts_evict),
		T(test_pool_exhaustion),
		T(test_expiry_wheel),
		T(test_expiry_bounded_and_late_clock),
		T(test_events),
		T(test_read_side_and_ipv6),
		T(test_reply_overflow),
		T(test_create_and_memory),
		T(test_random_traffic),
		T(test_conf_from_cfg),
		T(test_rfc4475),
		cmocka_unit_test(test_docs_list_every_counter),
	};

	return cmocka_run_group_tests_name("reg_shard", tests, setup, teardown);
}
