/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of SIP message framing (sip_msg_parse, sip_msg_validate): start
 * lines, header names and compact forms, folding, bounds, Content-Length, the
 * torture corpus with every splitter level, truncation at every offset.
 * Run from the repository root (reads tests/corpus/sip-torture).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/sip/sip_lex.h"
#include "dataplane/sip/sip_parse.h"

#define HDRS_MIN \
	"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n" \
	"From: <sip:a@example.com>;tag=1\r\n" \
	"To: <sip:b@example.com>\r\n" \
	"Call-ID: c1@h\r\n"

static const char reg[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-524287-1\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:alice@198.18.0.100:5060;transport=UDP>;expires=3600\r\n"
	"To: \"Alice\" <sip:alice@example.com>\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=5f2a9c1e\r\n"
	"Call-ID: ZDQ1YjY3ODkwMTIzNDU2Nzg5MGFi.\r\n"
	"CSeq: 2 REGISTER\r\n"
	"Expires: 3600\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static struct sip_msg msg;

/* Parse with every splitter level the CPU has; all must agree. Returns rc of
 * the full check (parse + validate) on `msg`; *prc gets the parse result. */
static int
parse_n(const char *buf, size_t len, int *prc)
{
	static struct sip_msg ref;
	int rc = 0;

	for (int isa = SIP_ISA_SCALAR; isa <= SIP_ISA_AVX512; isa++) {
		if ((int)sip_parse_set_isa((enum sip_isa)isa) != isa)
			break;
		rc = sip_msg_parse(&msg, buf, len);
		if (isa == SIP_ISA_SCALAR) {
			ref = msg;
			continue;
		}
		assert_int_equal(rc, -(int)ref.err);
		assert_int_equal(msg.err, ref.err);
		assert_int_equal(msg.err_hdr, ref.err_hdr);
		assert_int_equal(msg.err_off, ref.err_off);
		assert_int_equal(msg.n_hdrs, ref.n_hdrs);
		assert_int_equal(msg.body_off, ref.body_off);
		for (unsigned i = 0; i < msg.n_hdrs; i++) {
			assert_ptr_equal(msg.hdrs[i].value.p, ref.hdrs[i].value.p);
			assert_int_equal(msg.hdrs[i].value.len, ref.hdrs[i].value.len);
			assert_int_equal(msg.hdrs[i].id, ref.hdrs[i].id);
		}
	}
	sip_parse_set_isa(SIP_ISA_AVX512);
	if (prc)
		*prc = rc;
	if (rc)
		return rc;
	return sip_msg_validate(&msg);
}

static int
parse_s(const char *s)
{
	return parse_n(s, strlen(s), NULL);
}

static int
streq(const struct sip_str *s, const char *lit)
{
	return s->p && s->len == strlen(lit) && !memcmp(s->p, lit, s->len);
}

/* ---- start lines ---- */

static void
test_register(void **state)
{
	const struct sip_hdr *h;
	(void)state;

	assert_int_equal(parse_s(reg), 0);
	assert_true(msg.is_request);
	assert_int_equal(msg.method, SIP_METHOD_REGISTER);
	assert_true(streq(&msg.method_str, "REGISTER"));
	assert_true(streq(&msg.ruri, "sip:example.com"));
	assert_int_equal(msg.n_hdrs, 9);
	h = sip_msg_hdr(&msg, SIP_HDR_CSEQ);
	assert_non_null(h);
	assert_true(streq(&h->value, "2 REGISTER"));
	assert_true(streq(&h->name, "CSeq"));
	assert_null(sip_msg_hdr_next(&msg, h));
	assert_null(sip_msg_hdr(&msg, SIP_HDR_ROUTE));
	assert_int_equal(msg.body.len, 0);
	assert_int_equal(msg.body_off, sizeof(reg) - 1);
	assert_true(msg.seen & (1ull << SIP_HDR_EXPIRES));
}

static void
test_response(void **state)
{
	(void)state;
	assert_int_equal(parse_s("SIP/2.0 180 Ringing\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"), 0);
	assert_false(msg.is_request);
	assert_int_equal(msg.status, 180);
	assert_true(streq(&msg.reason, "Ringing"));
	/* empty reason, missing reason, version case */
	assert_int_equal(parse_s("SIP/2.0 100 \r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"), 0);
	assert_int_equal(parse_s("SIP/2.0 100\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"), 0);
	assert_int_equal(parse_s("sip/2.0 699 x\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"), 0);
	/* status code bounds */
	assert_int_equal(parse_s("SIP/2.0 099 x\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"),
			 -SIP_ERR_BAD_STATUS_CODE);
	assert_int_equal(parse_s("SIP/2.0 700 x\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"),
			 -SIP_ERR_BAD_STATUS_CODE);
	assert_int_equal(parse_s("SIP/2.0 2000 x\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"),
			 -SIP_ERR_BAD_STATUS_CODE);
	assert_int_equal(parse_s("SIP/2.0 20 x\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"),
			 -SIP_ERR_BAD_STATUS_CODE);
	assert_int_equal(parse_s("SIP/2.0 200 bad\001\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"),
			 -SIP_ERR_BAD_REASON_PHRASE);
	assert_int_equal(parse_s("SIP/3.0 200 OK\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"),
			 -SIP_ERR_VERSION_NOT_SUPPORTED);
	assert_int_equal(parse_s("SIP/2 200 OK\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n"),
			 -SIP_ERR_BAD_STATUS_LINE);
	/* a response's CSeq method is not compared with anything */
	assert_int_equal(parse_s("SIP/2.0 200 OK\r\n" HDRS_MIN "CSeq: 1 FOO\r\n\r\n"), 0);
}

static void
test_request_line(void **state)
{
	(void)state;
#define RQ(line, cseq) line "\r\n" HDRS_MIN "CSeq: 1 " cseq "\r\n\r\n"
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com SIP/2.0", "INVITE")), 0);
	assert_int_equal(msg.method, SIP_METHOD_INVITE);
	assert_int_equal(parse_s(RQ("FOO.bar-1 sip:b@example.com SIP/2.0", "FOO.bar-1")), 0);
	assert_int_equal(msg.method, SIP_METHOD_OTHER);
	assert_true(streq(&msg.method_str, "FOO.bar-1"));
	/* methods are case-sensitive: "invite" is an extension method */
	assert_int_equal(parse_s(RQ("invite sip:b@example.com SIP/2.0", "invite")), 0);
	assert_int_equal(msg.method, SIP_METHOD_OTHER);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com sip/2.0", "INVITE")), 0);
	assert_int_equal(parse_s(RQ("INVITE  sip:b@example.com SIP/2.0", "INVITE")),
			 -SIP_ERR_BAD_REQUEST_LINE);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com  SIP/2.0", "INVITE")),
			 -SIP_ERR_BAD_REQUEST_LINE);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com SIP/2.0 ", "INVITE")),
			 -SIP_ERR_BAD_REQUEST_LINE);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com", "INVITE")),
			 -SIP_ERR_BAD_REQUEST_LINE);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com SIP/2.1", "INVITE")),
			 -SIP_ERR_VERSION_NOT_SUPPORTED);
	assert_int_equal(sip_err_status(SIP_ERR_VERSION_NOT_SUPPORTED), 505);
	assert_int_equal(parse_s(RQ("IN\"VITE sip:b@example.com SIP/2.0", "INVITE")),
			 -SIP_ERR_BAD_METHOD);
	assert_int_equal(parse_s(RQ("INVITE sip:b@exa\001mple.com SIP/2.0", "INVITE")),
			 -SIP_ERR_BAD_REQUEST_URI);
	/* control octets anywhere in a long Request-URI (found 16 octets at a time) */
	assert_int_equal(parse_s(RQ("INVITE sip:bob@a-rather-long-host.example.com;transport=\177udp SIP/2.0",
				    "INVITE")), -SIP_ERR_BAD_REQUEST_URI);
	assert_int_equal(msg.err_off, strlen("INVITE sip:bob@a-rather-long-host.example.com;transport="));
	assert_int_equal(parse_s(RQ("INVITE sip:bob@a-rather-long-h\177ost.example.com;transport=udp SIP/2.0",
				    "INVITE")), -SIP_ERR_BAD_REQUEST_URI);
	assert_int_equal(msg.err_off, strlen("INVITE sip:bob@a-rather-long-h"));
	assert_int_equal(parse_s(RQ("INVITE sip:bob@a-rather-\037long-host.example.com;x=y SIP/2.0",
				    "INVITE")), -SIP_ERR_BAD_REQUEST_URI);
	assert_int_equal(msg.err_off, strlen("INVITE sip:bob@a-rather-"));
	assert_int_equal(parse_s(RQ("INVITE sip:bob@a-rather-long-host.example.com;transport=udp SIP/2.0",
				    "INVITE")), 0);
	assert_int_equal(parse_s(RQ("INVITE <sip:b@example.com> SIP/2.0", "INVITE")),
			 -SIP_ERR_BAD_REQUEST_URI);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com?Route=x SIP/2.0", "INVITE")),
			 -SIP_ERR_URI_HEADERS_FORBIDDEN);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com SIP/2.0", "ACK")),
			 -SIP_ERR_CSEQ_MISMATCH);
	assert_int_equal(parse_s(RQ("INVITE sip:b@example.com SIP/2.0", "invite")),
			 -SIP_ERR_CSEQ_MISMATCH);
	/* every known method */
	for (unsigned i = 1; i < SIP_METHOD__COUNT; i++) {
		const char *n = sip_method_name(i);
		assert_int_equal(sip_method_lookup(n, strlen(n)), i);
	}
	assert_int_equal(sip_method_lookup("REGISTE", 7), SIP_METHOD_OTHER);
#undef RQ
}

static void
test_leading_crlf_and_empty(void **state)
{
	char buf[512];
	int prc;
	(void)state;

	snprintf(buf, sizeof(buf), "\r\n\r\n%s", reg);
	assert_int_equal(parse_s(buf), 0);
	assert_int_equal(parse_n("\r\n\r\n", 4, &prc), -SIP_ERR_EMPTY);
	assert_int_equal(parse_n("", 0, &prc), -SIP_ERR_EMPTY);
	assert_int_equal(parse_n("\n", 1, &prc), -SIP_ERR_EMPTY);
}

/* ---- header fields ---- */

static void
test_compact_forms(void **state)
{
	static const struct { char c; enum sip_hdr_id id; } forms[] = {
		{ 'a', SIP_HDR_ACCEPT_CONTACT }, { 'b', SIP_HDR_REFERRED_BY },
		{ 'c', SIP_HDR_CONTENT_TYPE }, { 'd', SIP_HDR_REQUEST_DISPOSITION },
		{ 'e', SIP_HDR_CONTENT_ENCODING }, { 'f', SIP_HDR_FROM },
		{ 'i', SIP_HDR_CALL_ID }, { 'j', SIP_HDR_REJECT_CONTACT },
		{ 'k', SIP_HDR_SUPPORTED }, { 'l', SIP_HDR_CONTENT_LENGTH },
		{ 'm', SIP_HDR_CONTACT }, { 'n', SIP_HDR_IDENTITY_INFO },
		{ 'o', SIP_HDR_EVENT }, { 'r', SIP_HDR_REFER_TO },
		{ 's', SIP_HDR_SUBJECT }, { 't', SIP_HDR_TO },
		{ 'u', SIP_HDR_ALLOW_EVENTS }, { 'v', SIP_HDR_VIA },
		{ 'x', SIP_HDR_SESSION_EXPIRES }, { 'y', SIP_HDR_IDENTITY },
	};
	char c[2] = { 0, 0 };
	(void)state;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		c[0] = forms[i].c;
		assert_int_equal(sip_hdr_lookup(c, 1), forms[i].id);
		c[0] = (char)(forms[i].c - 'a' + 'A');
		assert_int_equal(sip_hdr_lookup(c, 1), forms[i].id);
	}
	assert_int_equal(sip_hdr_lookup("g", 1), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_lookup("z", 1), SIP_HDR_OTHER);
	/* a message written only with compact forms */
	assert_int_equal(parse_s("INVITE sip:b@example.com SIP/2.0\r\n"
				 "v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				 "f: <sip:a@example.com>;tag=1\r\n"
				 "t: sip:b@example.com\r\n"
				 "i: abc\r\n"
				 "CSeq: 1 INVITE\r\n"
				 "m: <sip:a@h>\r\n"
				 "k: 100rel\r\n"
				 "c: application/sdp\r\n"
				 "e: gzip\r\n"
				 "s: hi\r\n"
				 "o: presence\r\n"
				 "u: presence\r\n"
				 "r: <sip:c@example.com>\r\n"
				 "b: <sip:d@example.com>\r\n"
				 "x: 1800\r\n"
				 "y: abc\r\n"
				 "n: <http://x>\r\n"
				 "a: *;audio\r\n"
				 "j: *;video\r\n"
				 "d: proxy\r\n"
				 "l: 4\r\n"
				 "\r\nv=0\r\n"), 0);
	assert_int_equal(msg.n_hdrs, 21);
	assert_int_equal(msg.body.len, 4);
	for (unsigned i = 0; i < msg.n_hdrs; i++)
		assert_int_not_equal(msg.hdrs[i].id, SIP_HDR_OTHER);
}

static void
test_names_case_and_table(void **state)
{
	char up[64], lo[64], mix[64];
	(void)state;

	for (unsigned id = 1; id < SIP_HDR__COUNT; id++) {
		const char *n = sip_hdr_name(id);
		size_t len = strlen(n);
		for (size_t i = 0; i <= len; i++) {
			up[i] = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
			lo[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
			mix[i] = (char)(i & 1 ? up[i] : lo[i]);
		}
		assert_int_equal(sip_hdr_lookup(n, len), id);
		assert_int_equal(sip_hdr_lookup(up, len), id);
		assert_int_equal(sip_hdr_lookup(lo, len), id);
		assert_int_equal(sip_hdr_lookup(mix, len), id);
		/* one octet changed: not the same header */
		lo[len / 2] = '~';
		assert_int_not_equal(sip_hdr_lookup(lo, len), id);
		lo[len - 1] = '\r';
		assert_int_equal(sip_hdr_lookup(lo, len), SIP_HDR_OTHER);
	}
	assert_int_equal(sip_hdr_lookup("Call\rID", 7), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_lookup("Via ", 4), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_lookup("X-Unknown", 9), SIP_HDR_OTHER);
	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\r\n"
				 "vIA: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				 "FROM: <sip:a@example.com>;tag=1\r\n"
				 "tO: sip:b@example.com\r\n"
				 "CALL-ID: abc\r\n"
				 "cseq: 1 OPTIONS\r\n"
				 "mAX-fORWARDS: 70\r\n"
				 "CoNtEnT-lEnGtH: 0\r\n"
				 "\r\n"), 0);
	assert_int_equal(msg.seen & ~1ull,
			 (1ull << SIP_HDR_VIA) | (1ull << SIP_HDR_FROM) | (1ull << SIP_HDR_TO) |
			 (1ull << SIP_HDR_CALL_ID) | (1ull << SIP_HDR_CSEQ) |
			 (1ull << SIP_HDR_MAX_FORWARDS) | (1ull << SIP_HDR_CONTENT_LENGTH));
}

/* Every name as the splitter meets it: read in place (16 octets from the name,
 * when the text has them) or copied (near the end), in any case; one octet
 * changed or one less is another name. */
static void
test_names_in_place(void **state)
{
	static const char *const cases[] = { "as-is", "upper", "lower", "mixed" };
	char name[64], buf[512];
	(void)state;

	for (unsigned id = 1; id < SIP_HDR__COUNT; id++) {
		const char *n = sip_hdr_name(id);
		size_t len = strlen(n);

		for (unsigned c = 0; c < 4 * 3; c++) {
			unsigned where = c / 4;         /* 0: first, 1: last, 2: last, changed */
			const char *at_p;
			char *exact;
			int at, k, rc;

			for (size_t i = 0; i <= len; i++) {
				char up = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
				char lo = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
				name[i] = c % 4 == 0 ? n[i] : c % 4 == 1 ? up : c % 4 == 2 ? lo :
					  (i & 1 ? up : lo);
			}
			if (where == 2)
				name[len / 2] = '~';
			k = snprintf(buf, sizeof(buf), "OPTIONS sip:b@example.com SIP/2.0\r\n"
				     "%s%s" HDRS_MIN "CSeq: 1 OPTIONS\r\n%s%s\r\n",
				     where == 0 ? name : "", where == 0 ? ": 0\r\n" : "",
				     where != 0 ? name : "", where != 0 ? ": 0\r\n" : "");
			assert_true(k > 0 && (size_t)k < sizeof(buf));
			at = (int)(strstr(buf, "\r\n") - buf) + 2;
			if (where != 0)
				at = k - 2 - (int)len - 5;
			/* a heap copy of the exact size: a read past the end is an
			 * error under ASan (tests/run.sh unit-san) */
			exact = malloc((size_t)k);
			assert_non_null(exact);
			memcpy(exact, buf, (size_t)k);
			rc = sip_msg_parse(&msg, exact, (size_t)k);
			at_p = exact + at;
			if (rc != 0 && msg.err == SIP_ERR_DUP_HEADER) {
				/* a second From, To, Call-ID or CSeq */
				assert_true(where != 2);
				assert_int_equal(msg.err_hdr, id);
				free(exact);
				continue;
			}
			if (rc != 0)
				fail_msg("%s (%s, %u): verdict %d", n, cases[c % 4], where, rc);
			for (unsigned i = 0; i < msg.n_hdrs; i++) {
				if (msg.hdrs[i].name.p != at_p)
					continue;
				if (where == 2)
					assert_int_not_equal(msg.hdrs[i].id, id);
				else
					assert_int_equal(msg.hdrs[i].id, id);
				goto next;
			}
			fail_msg("%s (%s, %u): not indexed", n, cases[c % 4], where);
next:
			free(exact);
		}
		/* one octet less is not the name (nor its compact form) */
		if (len > 2) {
			int k = snprintf(buf, sizeof(buf), "OPTIONS sip:b@example.com SIP/2.0\r\n"
					 HDRS_MIN "CSeq: 1 OPTIONS\r\n%.*s: 0\r\n\r\n",
					 (int)len - 1, n);

			assert_int_equal(sip_msg_parse(&msg, buf, (size_t)k), 0);
			assert_int_not_equal(msg.hdrs[msg.n_hdrs - 1].id, id);
		}
	}
}

static void
test_header_syntax(void **state)
{
	(void)state;
#define H(extra) "OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS_MIN "CSeq: 1 OPTIONS\r\n" extra "\r\n"
	assert_int_equal(parse_s(H("Subject   :  hello  \r\n")), 0);
	assert_true(streq(&sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->value, "hello"));
	assert_int_equal(parse_s(H("Subject:\r\n")), 0);
	assert_int_equal(sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->value.len, 0);
	/* every shape of the space around a value (the common one on its own path) */
	{
		static const char *const shapes[][2] = {
			{ "Subject: \r\n", "" }, { "Subject:  \r\n", "" }, { "Subject:\t\r\n", "" },
			{ "Subject: \n", "" }, { "Subject:\n", "" }, { "Subject:v\r\n", "v" },
			{ "Subject: v\r\n", "v" }, { "Subject:  v\r\n", "v" },
			{ "Subject:\tv\t\r\n", "v" }, { "Subject: v \r\n", "v" },
			{ "Subject: v\n", "v" }, { "Subject: a b\r\n", "a b" },
			{ "Subject : v\r\n", "v" }, { "Subject\t: v \t \r\n", "v" },
		};
		for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
			char buf[512];

			snprintf(buf, sizeof(buf), H("%s"), shapes[k][0]);
			assert_int_equal(parse_s(buf), 0);
			if (!streq(&sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->value, shapes[k][1]))
				fail_msg("\"%s\": value \"%.*s\"", shapes[k][0],
					 (int)sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->value.len,
					 sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->value.p);
			assert_true(streq(&sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->name, "Subject"));
		}
	}
	assert_int_equal(parse_s(H("X-Odd-!%*_+`'~.Name: v\r\n")), 0);
	assert_int_equal(parse_s(H("X Y: v\r\n")), -SIP_ERR_BAD_HEADER_NAME);
	assert_int_equal(parse_s(H(": v\r\n")), -SIP_ERR_BAD_HEADER_NAME);
	assert_int_equal(parse_s(H("X-\"q\": v\r\n")), -SIP_ERR_BAD_HEADER_NAME);
	assert_int_equal(parse_s(H("NoColonHere\r\n")), -SIP_ERR_NO_COLON);
	assert_int_equal(parse_s(H("Foobar roobar\r\n")), -SIP_ERR_NO_COLON);
	assert_int_equal(parse_s(H("X-Ctl: a\001b\r\n")), -SIP_ERR_BAD_CHAR);
	assert_int_equal(msg.err_hdr, SIP_HDR_OTHER);
	assert_int_equal(parse_s(H("Subject: a\001b\r\n")), -SIP_ERR_BAD_CHAR);
	assert_int_equal(msg.err_hdr, SIP_HDR_SUBJECT);
	/* UTF-8 in an unknown header is text */
	assert_int_equal(parse_s(H("X-Utf8: \xc3\xa9t\xc3\xa9\r\n")), 0);
	/* a bare CR inside the header section */
	assert_int_equal(parse_s(H("Subject: a\rb\r\n")), -SIP_ERR_BAD_LINE_END);
	/* continuation right after the start line */
	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\r\n x: y\r\n" HDRS_MIN
				 "CSeq: 1 OPTIONS\r\n\r\n"), -SIP_ERR_BAD_FOLDING);
	/* bare LF line ends are tolerated */
	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\n"
				 "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
				 "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\n"
				 "Call-ID: c\nCSeq: 1 OPTIONS\nl: 2\n\nab"), 0);
	assert_true(streq(&msg.body, "ab"));
#undef H
}

static void
test_folding(void **state)
{
	const struct sip_hdr *h;
	struct sip_via v;
	struct sip_cseq cs;
	struct sip_nameaddr na;
	(void)state;

	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP\r\n h;branch=z9hG4bK1\r\n"
				 "From:\r\n\t<sip:a@example.com>\r\n ;tag=1\r\n"
				 "To: <sip:b@example.com>\r\n"
				 "Call-ID: c1\r\n"
				 "CSeq: 1\r\n  OPTIONS\r\n"
				 "Subject: one\r\n two\r\n\tthree  \r\n"
				 "\r\n"), 0);
	h = sip_msg_hdr(&msg, SIP_HDR_SUBJECT);
	assert_true(streq(&h->value, "one\r\n two\r\n\tthree"));
	assert_int_equal(sip_msg_top_via(&msg, &v), 0);
	assert_true(streq(&v.host, "h"));
	assert_int_equal(sip_msg_cseq(&msg, &cs), 0);
	assert_true(streq(&cs.method, "OPTIONS"));
	assert_int_equal(sip_msg_from(&msg, &na), 0);
	assert_true(streq(&na.tag, "1"));
	assert_true(streq(&na.uri, "sip:a@example.com"));
	/* a fold after SP before the colon, a line of white space only, a value
	 * folded across 64-octet blocks */
	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS_MIN
				 "Subject : a\r\n b\r\n"
				 "Warning: 399 h \"x\"\r\n \r\n"
				 "X-Long: 0123456789012345678901234567890123456789012345678901234567890123"
				 "\r\n 4567890123456789012345678901234567890123456789012345678901234567"
				 "\r\n\t89\r\n"
				 "CSeq: 1 OPTIONS\r\n\r\n"), 0);
	h = sip_msg_hdr(&msg, SIP_HDR_SUBJECT);
	assert_true(streq(&h->name, "Subject"));
	assert_true(streq(&h->value, "a\r\n b"));
	h = sip_msg_hdr(&msg, SIP_HDR_WARNING);
	assert_true(streq(&h->value, "399 h \"x\""));
	h = &msg.hdrs[msg.n_hdrs - 2];
	assert_true(streq(&h->name, "X-Long"));
	assert_true(streq(&h->value,
			  "0123456789012345678901234567890123456789012345678901234567890123"
			  "\r\n 4567890123456789012345678901234567890123456789012345678901234567"
			  "\r\n\t89"));
	assert_int_equal(msg.hdrs[msg.n_hdrs - 1].id, SIP_HDR_CSEQ);
	/* no field before it to continue */
	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\r\n Via: SIP/2.0/UDP h\r\n"
				 HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n"), -SIP_ERR_BAD_FOLDING);
	/* a fold at the end of the message is not an end of headers */
	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS_MIN
				 "CSeq: 1 OPTIONS\r\n \r\n"), -SIP_ERR_NO_END_OF_HEADERS);
}

static void
test_index_multi(void **state)
{
	const struct sip_hdr *h;
	int n = 0;
	(void)state;

	assert_int_equal(parse_s("SIP/2.0 200 OK\r\n"
				 "Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
				 "From: <sip:a@example.com>;tag=1\r\n"
				 "v: SIP/2.0/UDP b;branch=z9hG4bK2, SIP/2.0/UDP c;branch=z9hG4bK3\r\n"
				 "To: <sip:b@example.com>\r\n"
				 "VIA: SIP/2.0/UDP d;branch=z9hG4bK4\r\n"
				 "Call-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n"), 0);
	for (h = sip_msg_hdr(&msg, SIP_HDR_VIA); h; h = sip_msg_hdr_next(&msg, h))
		n++;
	assert_int_equal(n, 3);
	assert_int_equal(msg.first[SIP_HDR_VIA], 0);
	assert_int_equal(msg.last[SIP_HDR_VIA], 4);
	assert_int_equal(msg.hdrs[0].next, 2);
	assert_int_equal(msg.hdrs[2].next, 4);
	assert_int_equal(msg.hdrs[4].next, SIP_HDR_NONE);
}

static void
test_duplicates_and_missing(void **state)
{
	static const char *const single[] = {
		"From: <sip:x@example.com>;tag=2\r\n", "To: <sip:y@example.com>\r\n",
		"Call-ID: other\r\n", "i: other\r\n", "CSeq: 2 OPTIONS\r\n",
		"Max-Forwards: 70\r\n", "Content-Length: 0\r\n", "l: 0\r\n",
		"Content-Type: text/plain\r\n", "Expires: 10\r\n",
	};
	static const char *const mand[] = { "Via:", "From:", "To:", "Call-ID:", "CSeq:" };
	static const enum sip_hdr_id mand_id[] = {
		SIP_HDR_VIA, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID, SIP_HDR_CSEQ
	};
	const char *base = "OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS_MIN
			   "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n"
			   "Content-Type: text/plain\r\nExpires: 10\r\n";
	char buf[1024];
	(void)state;

	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s\r\n", base, single[i]);
		assert_int_equal(parse_s(buf), -SIP_ERR_DUP_HEADER);
		assert_int_not_equal(msg.err_hdr, SIP_HDR_OTHER);
	}
	/* Via, Contact, Route, Supported may repeat */
	snprintf(buf, sizeof(buf), "%s%s\r\n", base,
		 "Via: SIP/2.0/UDP x;branch=z9hG4bK2\r\nContact: <sip:a@b>\r\nContact: <sip:a@c>\r\n"
		 "Route: <sip:r@x;lr>\r\nRoute: <sip:r@y;lr>\r\nSupported: a\r\nSupported: b\r\n");
	assert_int_equal(parse_s(buf), 0);
	/* each mandatory header missing */
	for (size_t i = 0; i < 5; i++) {
		char *p;
		snprintf(buf, sizeof(buf), "%s\r\n", base);
		p = strstr(buf, mand[i]);
		assert_non_null(p);
		p[0] = 'X';                     /* rename it to an unknown header */
		assert_int_equal(parse_s(buf), -SIP_ERR_MISSING_HEADER);
		assert_int_equal(msg.err_hdr, mand_id[i]);
	}
}

static void
test_too_many_headers(void **state)
{
	static char buf[8192];
	size_t at;
	(void)state;

	at = (size_t)snprintf(buf, sizeof(buf), "OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS_MIN
			      "CSeq: 1 OPTIONS\r\n");
	for (int i = 5; i < SIP_MAX_HDRS; i++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "X-H%d: %d\r\n", i, i);
	strcpy(buf + at, "\r\n");
	assert_int_equal(parse_s(buf), 0);
	assert_int_equal(msg.n_hdrs, SIP_MAX_HDRS);
	at += (size_t)snprintf(buf + at, sizeof(buf) - at, "X-Last: 1\r\n\r\n");
	assert_int_equal(parse_s(buf), -SIP_ERR_TOO_MANY_HEADERS);
}

static void
test_size_limit(void **state)
{
	static char buf[SIP_MAX_MSG + 2];
	const char *head = "MESSAGE sip:b@example.com SIP/2.0\r\n" HDRS_MIN "CSeq: 1 MESSAGE\r\n\r\n";
	size_t hl = strlen(head);
	int prc;
	(void)state;

	memcpy(buf, head, hl);
	memset(buf + hl, 'x', sizeof(buf) - hl);
	assert_int_equal(parse_n(buf, SIP_MAX_MSG, &prc), 0);
	assert_int_equal(msg.body.len, SIP_MAX_MSG - hl);
	assert_int_equal(parse_n(buf, SIP_MAX_MSG + 1, &prc), -SIP_ERR_TOO_LARGE);
	assert_int_equal(sip_err_status(SIP_ERR_TOO_LARGE), 513);
}

static void
test_content_length(void **state)
{
	(void)state;
#define CL(cl, body) "MESSAGE sip:b@example.com SIP/2.0\r\n" HDRS_MIN "CSeq: 1 MESSAGE\r\n" \
		cl "\r\n" body
	assert_int_equal(parse_s(CL("Content-Length: 5\r\n", "hello")), 0);
	assert_true(streq(&msg.body, "hello"));
	assert_true(msg.has_body_len);
	/* extra octets are ignored (RFC 3261 §18.3) */
	assert_int_equal(parse_s(CL("Content-Length: 5\r\n", "hello world")), 0);
	assert_true(streq(&msg.body, "hello"));
	assert_int_equal(parse_s(CL("l: 0005\r\n", "hello")), 0);
	/* short body */
	assert_int_equal(parse_s(CL("Content-Length: 6\r\n", "hello")), -SIP_ERR_SHORT_BODY);
	assert_int_equal(parse_s(CL("Content-Length: 65536\r\n", "hello")), -SIP_ERR_NUM_RANGE);
	assert_int_equal(msg.err_hdr, SIP_HDR_CONTENT_LENGTH);
	assert_int_equal(parse_s(CL("Content-Length: -5\r\n", "hello")), -SIP_ERR_BAD_NUMBER);
	assert_int_equal(parse_s(CL("Content-Length: 5x\r\n", "hello")), -SIP_ERR_BAD_NUMBER);
	assert_int_equal(parse_s(CL("Content-Length:\r\n", "hello")), -SIP_ERR_BAD_NUMBER);
	assert_int_equal(parse_s(CL("Content-Length: 5\r\nl: 5\r\n", "hello")), -SIP_ERR_DUP_HEADER);
	/* no Content-Length: the body is the rest of the datagram */
	assert_int_equal(parse_s(CL("", "hello")), 0);
	assert_true(streq(&msg.body, "hello"));
	assert_false(msg.has_body_len);
#undef CL
}

static void
test_reason_strings(void **state)
{
	char buf[128];
	(void)state;

	for (int e = 0; e < SIP_ERR__COUNT; e++) {
		assert_non_null(sip_err_str(e));
		assert_true(strlen(sip_err_str(e)) > 0);
		assert_true(strlen(sip_err_name(e)) > 0);
		assert_true(sip_err_status(e) == 0 || sip_err_status(e) >= 400);
		assert_string_equal(sip_err_str(e), sip_err_str(-e));
	}
	assert_string_equal(sip_err_name(-SIP_ERR_SHORT_BODY), "SHORT_BODY");
	assert_int_equal(sip_reason_build(buf, sizeof(buf), -SIP_ERR_DUP_HEADER, SIP_HDR_CALL_ID),
			 strlen("Duplicate header: Call-ID"));
	assert_string_equal(buf, "Duplicate header: Call-ID");
	sip_reason_build(buf, 10, SIP_ERR_DUP_HEADER, SIP_HDR_CALL_ID);
	assert_string_equal(buf, "Duplicate");
	assert_int_equal(parse_s("OPTIONS x SIP/2.0\r\n" HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n"),
			 -SIP_ERR_BAD_REQUEST_URI);
	sip_msg_reason(&msg, buf, sizeof(buf));
	assert_string_equal(buf, "Bad Request-URI (Bad URI scheme)");
	assert_int_equal(parse_s("OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS_MIN
				 "CSeq: 4294967296 OPTIONS\r\n\r\n"), -SIP_ERR_NUM_RANGE);
	sip_msg_reason(&msg, buf, sizeof(buf));
	assert_string_equal(buf, "Number out of range: CSeq");
	assert_string_equal(sip_isa_name(SIP_ISA_SCALAR), "scalar");
}

/* After a failure the fields before the fault stay indexed (a 400 or 505
 * copies Via, From, To, Call-ID and CSeq); a bad start line does not stop the
 * header section from being indexed, and stays the verdict. */
static void
test_index_after_failure(void **state)
{
	int prc;
	static const char bad_version[] = "OPTIONS sip:b@example.com SIP/7.0\r\n" HDRS_MIN
					  "CSeq: 1 OPTIONS\r\nX: \"unterminated\r\nBad Line\r\n\r\n";
	static const char bad_header[] = "OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS_MIN
					 "Bad Line\r\nCSeq: 1 OPTIONS\r\n\r\n";
	(void)state;

	assert_int_equal(parse_n(bad_version, sizeof(bad_version) - 1, &prc),
			 -SIP_ERR_VERSION_NOT_SUPPORTED);
	assert_true(msg.is_request);
	assert_true(streq(&msg.method_str, "OPTIONS"));
	assert_int_equal(msg.n_hdrs, 6);
	assert_non_null(sip_msg_hdr(&msg, SIP_HDR_VIA));
	assert_non_null(sip_msg_hdr(&msg, SIP_HDR_CSEQ));
	assert_int_equal(parse_n(bad_header, sizeof(bad_header) - 1, &prc), -SIP_ERR_NO_COLON);
	assert_int_equal(msg.n_hdrs, 4);
	assert_true(streq(&sip_msg_hdr(&msg, SIP_HDR_CALL_ID)->value, "c1@h"));
	assert_null(sip_msg_hdr(&msg, SIP_HDR_CSEQ));
	assert_true(msg.seen & (1ull << SIP_HDR_VIA));
}

/* ---- torture corpus, every splitter level ---- */

static long
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static void
test_torture_corpus(void **state)
{
	static const char *const sets[] = { "rfc4475", "rfc5118" };
	static char buf[SIP_MAX_MSG + 1];
	int checked = 0;
	(void)state;

	for (size_t s = 0; s < 2; s++) {
		char path[512], line[1024];
		FILE *t;
		snprintf(path, sizeof(path), "tests/corpus/sip-torture/%s/EXPECT.tsv", sets[s]);
		t = fopen(path, "r");
		assert_non_null(t);
		while (fgets(line, sizeof(line), t)) {
			char *file = strtok(line, "\t\n"), *verdict = strtok(NULL, "\t\n");
			long n;
			int rc;
			if (!file || !verdict || file[0] == '#' || !strcmp(file, "file"))
				continue;
			snprintf(path, sizeof(path), "tests/corpus/sip-torture/%s/%s", sets[s], file);
			n = slurp(path, buf, sizeof(buf));
			if (n < 0)
				continue;       /* torture.sh reports listed-but-missing files */
			rc = parse_n(buf, (size_t)n, NULL);
			if ((rc == 0) != !strcmp(verdict, "valid"))
				fail_msg("%s: expected %s, got rc %d (%s)", path, verdict, rc,
					 sip_err_str(rc));
			checked++;
		}
		fclose(t);
	}
	assert_true(checked >= 60);
}

/* Every prefix of a valid message: a verdict, no crash, never "valid" before
 * the end of the header section; with every splitter level. */
static void
test_truncation(void **state)
{
	static const char *const msgs[] = {
		reg,
		"INVITE sip:bob@example.com SIP/2.0\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n"
		"Subject: folded\r\n value\r\nContent-Length: 10\r\n\r\n0123456789",
		"SIP/2.0 200 OK\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n",
	};
	(void)state;

	for (size_t k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++) {
		size_t len = strlen(msgs[k]);
		for (size_t n = 0; n <= len; n++) {
			char *copy = malloc(n ? n : 1);   /* exact size: ASan sees overreads */
			int prc, rc;
			assert_non_null(copy);
			memcpy(copy, msgs[k], n);
			rc = parse_n(copy, n, &prc);
			if (n < len)
				assert_int_not_equal(rc, 0);
			else
				assert_int_equal(rc, 0);
			assert_true(rc == 0 || msg.err != SIP_ERR_OK);
			free(copy);
		}
	}
}

/* Random mutations of the corpus: all splitter levels agree (parse_n asserts). */
static void
test_isa_agreement_random(void **state)
{
	static char buf[4096];
	uint32_t seed = 12345;
	size_t len = strlen(reg);
	(void)state;

	for (int round = 0; round < 20000; round++) {
		memcpy(buf, reg, len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			static const char pick[] = "\r\n :;,<>\"\\ \t@[]%x0";
			buf[at] = pick[(seed >> 8) % (sizeof(pick) - 1)];
		}
		seed = seed * 1103515245u + 12345u;
		parse_n(buf, len - (seed >> 8) % 8, NULL);
	}
}

/* The SSSE3 class scanners agree with the class table, for every octet at
 * every position of a 16-octet block, and with the scalar loop. */
static void
test_class_scanners(void **state)
{
	static const uint32_t classes[] = {
		SIP_C_TOKEN, SIP_C_USER, SIP_C_PASS, SIP_C_PARAM, SIP_C_HNV, SIP_C_WORD,
		SIP_C_DIGIT, SIP_C_URIC, SIP_C_GENVAL,
	};
	char buf[48];
	(void)state;

	for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
		uint32_t cls = classes[k];
		assert_true(sip_run_index(cls) >= 0);
		for (int b = 0; b < 256; b++) {
			int member = (sip_cc[b] & cls) != 0;
			for (int at = 0; at < 20; at += 3) {
				memset(buf, '1', sizeof(buf));  /* a digit: in every class above */
				buf[at] = (char)b;
				for (int simd = 0; simd < 2; simd++) {
					const char *q;
					sip_skip_simd = (uint8_t)simd;
					q = sip_skip(buf, buf + sizeof(buf), cls);
					assert_ptr_equal(q, member ? buf + sizeof(buf) : buf + at);
					q = sip_skip(buf, buf + at + 1, cls);
					assert_ptr_equal(q, buf + at + (member ? 1 : 0));
				}
			}
		}
	}
	sip_skip_simd = 1;
	/* escapes inside a run */
	{
		const char *s = "abcdefghij%41klmnopqrstuvwxyz%4";
		assert_ptr_equal(sip_skip_esc(s, s + 29, SIP_C_USER), s + 29);
		assert_null(sip_skip_esc(s, s + strlen(s), SIP_C_USER));
	}
	sip_parse_set_isa(SIP_ISA_SCALAR);
	assert_int_equal(sip_skip_simd, 0);
	sip_parse_set_isa(SIP_ISA_AVX512);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_leading_crlf_and_empty),
		cmocka_unit_test(test_compact_forms),
		cmocka_unit_test(test_names_case_and_table),
		cmocka_unit_test(test_names_in_place),
		cmocka_unit_test(test_header_syntax),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_index_multi),
		cmocka_unit_test(test_duplicates_and_missing),
		cmocka_unit_test(test_too_many_headers),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_reason_strings),
		cmocka_unit_test(test_index_after_failure),
		cmocka_unit_test(test_torture_corpus),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_isa_agreement_random),
		cmocka_unit_test(test_class_scanners),
	};

	return cmocka_run_group_tests_name("sip_parse", tests, NULL, NULL);
}
