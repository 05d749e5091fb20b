/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP response builder: the copied fields in order, the generated To tag, the
 * top Via changes of RFC 3261 §18.2.1 / RFC 3581, the Date format against libc,
 * addresses against inet_ntop, bounded writes at every capacity, the parser's
 * reason in error responses. Every response built is parsed back.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"

static const char req_register[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-1;received=1.1.1.1\r\n"
	"v: SIP/2.0/UDP proxy.example.net;branch=z9hG4bK-2, SIP/2.0/TCP 198.18.0.7;branch=z9hG4bK-3\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=5f2a\r\n"
	"To: \"Alice\" <sip:alice@example.com>\r\n"
	"Call-ID: abc123@198.18.0.100\r\n"
	"CSeq: 7 REGISTER\r\n"
	"Contact: <sip:alice@198.18.0.100:5060>\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static struct sip_msg m, rm;
static char out[4096];

static void
parse_ok(struct sip_msg *msg, const char *text, size_t len)
{
	int rc = sip_msg_parse(msg, text, len);

	if (rc != 0) {
		char why[128];

		sip_msg_reason(msg, why, sizeof(why));
		fail_msg("does not parse (%s):\n%.*s", why, (int)len, text);
	}
}

/* Build a response to text and parse it back. With a via, also with the top
 * via-parm handed over parsed (via.top, as the registrar's caller does): the
 * same octets. */
static size_t
reply(const char *text, unsigned status, const char *reason,
      const struct sip_reply_via *via, int date)
{
	static char again[8192];
	struct sip_reply r;
	size_t n;
	int pass;

	parse_ok(&m, text, strlen(text));
	for (pass = 0; pass < (via != NULL ? 2 : 1); pass++) {
		struct sip_reply_via given;
		struct sip_via top;

		if (via != NULL) {
			given = *via;
			given.top = NULL;
			if (pass == 1)
				assert_int_equal(sip_msg_top_via_at(&m, &top, &given.top_next), 0);
			if (pass == 1)
				given.top = &top;
		}
		sip_reply_init(&r, pass == 0 ? out : again, sizeof(out) - 1);
		assert_int_equal(sip_reply_begin(&r, &m, status, reason, via != NULL ? &given : NULL),
				 0);
		sip_reply_add_str(&r, "Server", "sipshard");
		if (date)
			sip_reply_add_date(&r, 784111777);
		if (pass == 0) {
			n = sip_reply_end(&r);
		} else {
			assert_int_equal(sip_reply_end(&r), n);
			assert_memory_equal(again, out, n);
		}
	}
	assert_true(n > 0);
	out[n] = '\0';
	parse_ok(&rm, out, n);
	assert_false(rm.is_request);
	assert_int_equal(rm.status, status);
	return n;
}

static void
test_copied_fields(void **state)
{
	const char *p;

	(void)state;
	reply(req_register, 200, NULL, NULL, 1);
	assert_non_null(strstr(out, "SIP/2.0 200 OK\r\n"));
	assert_ptr_equal(strstr(out, "SIP/2.0 200 OK\r\n"), out);
	/* every Via, in order, each header field as it was */
	p = strstr(out, "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-1;received=1.1.1.1\r\n"
		   "Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bK-2, SIP/2.0/TCP 198.18.0.7;"
		   "branch=z9hG4bK-3\r\n"
		   "From: \"Alice\" <sip:alice@example.com>;tag=5f2a\r\n"
		   "To: \"Alice\" <sip:alice@example.com>;tag=");
	assert_non_null(p);
	assert_non_null(strstr(out, "\r\nCall-ID: abc123@198.18.0.100\r\nCSeq: 7 REGISTER\r\n"
			       "Server: sipshard\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			       "Content-Length: 0\r\n\r\n"));
	assert_null(strstr(out, "Contact"));
	assert_null(strstr(out, "Max-Forwards"));
}

static void
test_hex64(void **state)
{
	uint64_t x = 0x0123456789abcdefull;
	char got[17], want[17];

	(void)state;
	for (int i = 0; i < 100000; i++) {
		got[16] = '\0';
		sip_hex64(x, got);
		snprintf(want, sizeof(want), "%016llx", (unsigned long long)x);
		assert_string_equal(got, want);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if (i == 1)
			x = 0;
		if (i == 2)
			x = ~0ull;
	}
}

static void
test_to_tag(void **state)
{
	char t1[SIP_REPLY_TAG_LEN + 1], t2[SIP_REPLY_TAG_LEN + 1], *copy;
	struct sip_nameaddr to;
	size_t len = strlen(req_register);

	(void)state;
	reply(req_register, 404, NULL, NULL, 0);
	assert_int_equal(sip_msg_to(&rm, &to), 0);
	assert_int_equal(to.tag.len, SIP_REPLY_TAG_LEN);
	sip_reply_tag(&m, t1);
	assert_memory_equal(to.tag.p, t1, SIP_REPLY_TAG_LEN);
	/* deterministic: the same request (a retransmission) gets the same tag */
	reply(req_register, 200, NULL, NULL, 0);
	assert_int_equal(sip_msg_to(&rm, &to), 0);
	assert_memory_equal(to.tag.p, t1, SIP_REPLY_TAG_LEN);
	/* another Call-ID, another tag */
	copy = strdup(req_register);
	memcpy(strstr(copy, "abc123"), "abd123", 6);
	parse_ok(&m, copy, len);
	sip_reply_tag(&m, t2);
	assert_memory_not_equal(t1, t2, SIP_REPLY_TAG_LEN);
	/* 100 Trying: no tag */
	reply(copy, 100, NULL, NULL, 0);
	assert_int_equal(sip_msg_to(&rm, &to), 0);
	assert_null(to.tag.p);
	free(copy);
	/* a To with a tag keeps it */
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>;tag=xyz\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 486, NULL, NULL, 0);
	assert_int_equal(sip_msg_to(&rm, &to), 0);
	assert_int_equal(to.tag.len, 3);
	assert_memory_equal(to.tag.p, "xyz", 3);
	assert_non_null(strstr(out, "SIP/2.0 486 Busy Here\r\n"));
}

static void
test_via_received_rport(void **state)
{
	struct sip_reply_via v = { .received = "198.18.0.200", .received_len = 12, .rport = 40000 };
	struct sip_via top;

	(void)state;
	/* rport: value filled, received replaced, only the top Via touched */
	reply(req_register, 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 198.18.0.100:5060;rport=40000;"
			       "branch=z9hG4bK-1;received=198.18.0.200\r\n"
			       "Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bK-2, "
			       "SIP/2.0/TCP 198.18.0.7;branch=z9hG4bK-3\r\n"));
	assert_int_equal(sip_msg_top_via(&rm, &top), 0);
	assert_int_equal(top.rport, 40000);
	assert_int_equal(top.received.len, 12);
	/* no rport, sent-by is the source: nothing added (§18.2.1) */
	v.received = "198.18.0.100";
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.100:5062 ;branch=z9hG4bKx\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 198.18.0.100:5062 ;branch=z9hG4bKx\r\n"));
	/* sent-by is a name: received added; a comma list keeps its other values */
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP PC33.example.com , SIP/2.0/UDP x;branch=z9hG4bKy\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP PC33.example.com;received=198.18.0.100, "
			       "SIP/2.0/UDP x;branch=z9hG4bKy\r\n"));
	/* IPv6 sent-by equal to the source, with brackets */
	v.received = "2001:db8::1";
	v.received_len = 11;
	v.rport = 0;
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP [2001:DB8::1]:5060;branch=z9hG4bKz\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP [2001:DB8::1]:5060;branch=z9hG4bKz\r\n"));
	/* quoted parameter values with ';' inside survive */
	v.received = "198.18.0.9";
	v.received_len = 10;
	v.rport = 5060;
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;x=\"a;b\";rport;branch=z9hG4bKq\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP h;x=\"a;b\";rport=5060;branch=z9hG4bKq;"
			       "received=198.18.0.9\r\n"));
	/* received before rport, LWS around '=': both edits in either order */
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;received=1.2.3.4;rport;branch=z9hG4bKr\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 10.0.0.1;rport=5060;branch=z9hG4bKr;"
			       "received=198.18.0.9\r\n"));
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1 ; received = 1.2.3.4 ;branch=z9hG4bKs\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 10.0.0.1  ;branch=z9hG4bKs;"
			       "received=198.18.0.9\r\n"));
	/* an rport that has a value is left alone; sent-by equal to the source,
	 * rport present: received all the same (RFC 3581) */
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.9;rport=7;branch=z9hG4bKt\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 198.18.0.9;rport=7;branch=z9hG4bKt;"
			       "received=198.18.0.9\r\n"));
	/* only rport asked for (no source address): filled, nothing else */
	v.received = NULL;
	v.received_len = 0;
	reply("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x.example.com;rport;branch=z9hG4bKu\r\n"
	      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n"
	      "CSeq: 1 OPTIONS\r\n\r\n", 200, NULL, &v, 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP x.example.com;rport=5060;branch=z9hG4bKu\r\n"));
}

static void
test_date_against_libc(void **state)
{
	static const uint64_t t[] = { 0, 784111777, 951782400, 951868800, 1234567890,
				      1700000000, 2147483647, 4102444800ull, 4107542400ull,
				      253402300799ull };
	char mine[SIP_REPLY_DATE_LEN + 1], libc[64];
	unsigned i;
	uint64_t x;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		time_t tt = (time_t)t[i];
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(libc, sizeof(libc), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		assert_int_equal(sip_reply_fmt_date(mine, t[i]), SIP_REPLY_DATE_LEN);
		assert_string_equal(mine, libc);
	}
	for (x = 0; x < 4102444800ull; x += 86400ull * 37 + 3607) {   /* every ~5 weeks to 2100 */
		time_t tt = (time_t)x;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(libc, sizeof(libc), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		sip_reply_fmt_date(mine, x);
		assert_string_equal(mine, libc);
	}
	/* what the parser accepts as a Date */
	{
		struct sip_str v = { mine, SIP_REPLY_DATE_LEN };

		sip_reply_fmt_date(mine, 1700000000);
		assert_int_equal(sip_date_check(&v), 0);
	}
}

static void
test_addr_fmt(void **state)
{
	static const char *const v6[] = {
		"::", "::1", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "2001:db8:0:1:1:1:1:1",
		"fe80::1:2", "1:2:3:4:5:6:7:8", "1::", "1:0:0:2:0:0:0:3", "0:0:1::",
		"2001:DB8:AA:BB:CC:DD:EE:FF",
	};
	char mine[SIP_ADDR_STR_MAX], libc[SIP_ADDR_STR_MAX];
	uint8_t a[16];
	unsigned i;

	(void)state;
	memcpy(a, (uint8_t[]){ 198, 18, 0, 100 }, 4);
	assert_int_equal(sip_addr_fmt(mine, sizeof(mine), 4, a), 12);
	assert_string_equal(mine, "198.18.0.100");
	memcpy(a, (uint8_t[]){ 0, 0, 0, 0 }, 4);
	sip_addr_fmt(mine, sizeof(mine), 4, a);
	assert_string_equal(mine, "0.0.0.0");
	memcpy(a, (uint8_t[]){ 255, 255, 255, 255 }, 4);
	sip_addr_fmt(mine, sizeof(mine), 4, a);
	assert_string_equal(mine, "255.255.255.255");
	assert_int_equal(sip_addr_fmt(mine, 15, 4, a), 0);       /* needs 16 with NUL */
	assert_int_equal(sip_addr_fmt(mine, 16, 4, a), 15);
	assert_int_equal(sip_addr_fmt(mine, sizeof(mine), 5, a), 0);
	/* every octet value in every place, against libc; with room for 16 (written
	 * straight) and with exactly the room it needs (through the bounded path) */
	for (i = 0; i < 4 * 256; i++) {
		unsigned k;
		size_t n;

		for (k = 0; k < 4; k++)
			a[k] = (uint8_t)rand();
		a[i / 256] = (uint8_t)i;
		inet_ntop(AF_INET, a, libc, sizeof(libc));
		n = strlen(libc);
		assert_int_equal(sip_addr_fmt(mine, sizeof(mine), 4, a), n);
		assert_string_equal(mine, libc);
		memset(mine, 'x', sizeof(mine));
		assert_int_equal(sip_addr_fmt(mine, n + 1, 4, a), n);
		assert_string_equal(mine, libc);
		assert_int_equal(sip_addr_fmt(mine, n, 4, a), 0);
	}
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, v6[i], a), 1);
		inet_ntop(AF_INET6, a, libc, sizeof(libc));
		sip_addr_fmt(mine, sizeof(mine), 6, a);
		assert_string_equal(mine, libc);
	}
	for (i = 0; i < 2000; i++) {                     /* random words, many zeros */
		unsigned k;

		for (k = 0; k < 16; k += 2) {
			unsigned w = (unsigned)rand() % 3 ? 0 : (unsigned)rand() & 0xffff;

			a[k] = (uint8_t)(w >> 8);
			a[k + 1] = (uint8_t)w;
		}
		if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 ||
		    (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0 &&
		     (a[12] | a[13]) != 0))
			continue;                /* libc prints these with a dotted quad */
		inet_ntop(AF_INET6, a, libc, sizeof(libc));
		sip_addr_fmt(mine, sizeof(mine), 6, a);
		assert_string_equal(mine, libc);
	}
}

/* No write past cap, whatever cap: 0 until the whole response fits. */
static void
test_bounded_at_every_cap(void **state)
{
	static char buf[2048];
	struct sip_reply_via v = { .received = "198.18.0.200", .received_len = 12, .rport = 40000 };
	struct sip_reply r;
	size_t full, cap, n;

	(void)state;
	full = reply(req_register, 200, NULL, &v, 1);
	for (cap = 0; cap <= full + 8; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		sip_reply_init(&r, buf, cap);
		assert_int_equal(sip_reply_begin(&r, &m, 200, NULL, &v), 0);
		sip_reply_add_str(&r, "Server", "sipshard");
		sip_reply_add_date(&r, 784111777);
		n = sip_reply_end(&r);
		assert_int_equal(n, cap >= full ? full : 0);
		for (size_t i = cap; i < sizeof(buf); i++)
			if (buf[i] != 0x5a)
				fail_msg("cap %zu: byte %zu written", cap, i);
		if (n)
			assert_memory_equal(buf, out, full);
	}
	sip_reply_init(&r, NULL, 100);
	assert_int_equal(sip_reply_begin(&r, &m, 200, NULL, NULL), 0);
	assert_int_equal(sip_reply_end(&r), 0);
}

static void
test_error_reason(void **state)
{
	static const char bad_cl[] =
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.100;branch=z9hG4bK-9\r\n"
		"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
		"Call-ID: 9\r\nCSeq: 9 REGISTER\r\nContent-Length: abc\r\n\r\n";
	static const char bad_line[] = "OPTIONS sip:a@example.com SIP/2.0\r\nTo: <sip:a@example.com>\r\n\r\n";
	char why[128];
	size_t n;

	(void)state;
	assert_true(sip_msg_parse(&m, bad_cl, sizeof(bad_cl) - 1) < 0);
	sip_msg_reason(&m, why, sizeof(why));
	n = sip_reply_error(&m, 400, NULL, NULL, out, sizeof(out) - 1);
	assert_true(n > 0);
	out[n] = '\0';
	assert_true(strncmp(out, "SIP/2.0 400 ", 12) == 0);
	assert_true(strncmp(out + 12, why, strlen(why)) == 0);
	assert_non_null(strstr(out, "\r\nVia: SIP/2.0/UDP 198.18.0.100;branch=z9hG4bK-9\r\n"));
	assert_non_null(strstr(out, "\r\nCall-ID: 9\r\nCSeq: 9 REGISTER\r\nContent-Length: 0\r\n\r\n"));
	parse_ok(&rm, out, n);
	assert_int_equal(rm.status, 400);
	/* another status than the verdict's: the standard phrase */
	n = sip_reply_error(&m, 503, NULL, NULL, out, sizeof(out) - 1);
	out[n] = '\0';
	assert_true(strncmp(out, "SIP/2.0 503 Service Unavailable\r\n", 33) == 0);
	n = sip_reply_error(&m, 483, "Loops", NULL, out, sizeof(out) - 1);
	out[n] = '\0';
	assert_true(strncmp(out, "SIP/2.0 483 Loops\r\n", 19) == 0);
	/* no Via at all (the parser indexes what it can, even after a bad start
	 * line, so that a 400/505 can be sent): nothing to answer to */
	assert_true(sip_msg_parse(&m, bad_line, sizeof(bad_line) - 1) < 0);
	assert_int_equal(sip_reply_error(&m, 400, NULL, NULL, out, sizeof(out)), 0);
	/* too small */
	parse_ok(&m, req_register, strlen(req_register));
	assert_int_equal(sip_reply_error(&m, 400, NULL, NULL, out, 40), 0);
}

static void
test_phrases(void **state)
{
	(void)state;
	assert_string_equal(sip_reply_phrase(200), "OK");
	assert_string_equal(sip_reply_phrase(100), "Trying");
	assert_string_equal(sip_reply_phrase(403), "Forbidden");
	assert_string_equal(sip_reply_phrase(416), "Unsupported URI Scheme");
	assert_string_equal(sip_reply_phrase(420), "Bad Extension");
	assert_string_equal(sip_reply_phrase(423), "Interval Too Brief");
	assert_string_equal(sip_reply_phrase(483), "Too Many Hops");
	assert_string_equal(sip_reply_phrase(503), "Service Unavailable");
	assert_string_equal(sip_reply_phrase(606), "Not Acceptable");
	assert_string_equal(sip_reply_phrase(499), "Client Error");
	assert_string_equal(sip_reply_phrase(299), "Success");
	assert_string_equal(sip_reply_phrase(99), "Unknown");
	assert_string_equal(sip_reply_phrase(700), "Unknown");
	/* an out-of-range status is answered as 500 */
	reply(req_register, 500, NULL, NULL, 0);
	parse_ok(&m, req_register, strlen(req_register));
	assert_int_equal(sip_reply_error(&m, 42, NULL, NULL, out, sizeof(out) - 1) > 0, 1);
	assert_true(strncmp(out, "SIP/2.0 500 Server Internal Error\r\n", 35) == 0);
}

/* sip_reply_put_u32() (two digits at a time) writes what printf writes. */
static void
test_put_u32(void **state)
{
	static const uint32_t edge[] = { 0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000,
					 65535, 99999, 100000, 4294967295u };
	char buf[32], want[16];
	struct sip_reply r;
	uint32_t x = 1;

	(void)state;
	for (unsigned i = 0; i < 100016; i++) {
		uint32_t v = i < 16 ? edge[i] : i < 10016 ? i - 16 : (x = x * 1103515245u + 12345u);
		int n = snprintf(want, sizeof(want), "%u", v);

		sip_reply_init(&r, buf, sizeof(buf));
		sip_reply_put_u32(&r, v);
		assert_int_equal(r.len, n);
		assert_memory_equal(buf, want, (size_t)n);
	}
	/* too long for the room: nothing written, overflow */
	sip_reply_init(&r, buf, 3);
	sip_reply_put_u32(&r, 1234);
	assert_int_equal(r.overflow, 1);
	assert_int_equal(r.len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_u32),
		cmocka_unit_test(test_copied_fields),
		cmocka_unit_test(test_hex64),
		cmocka_unit_test(test_to_tag),
		cmocka_unit_test(test_via_received_rport),
		cmocka_unit_test(test_date_against_libc),
		cmocka_unit_test(test_addr_fmt),
		cmocka_unit_test(test_bounded_at_every_cap),
		cmocka_unit_test(test_error_reason),
		cmocka_unit_test(test_phrases),
	};

	return cmocka_run_group_tests_name("sip_reply", tests, NULL, NULL);
}
