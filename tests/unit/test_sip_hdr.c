/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the header sub-parsers: Via, name-addr / addr-spec (From, To,
 * Contact, Route), CSeq, Call-ID, numbers, credentials, option tags,
 * Content-Type, Date, parameters; the message accessors and list iterators.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/sip/sip_parse.h"

static struct sip_msg msg;

static int
streq(const struct sip_str *s, const char *lit)
{
	return s->p && s->len == strlen(lit) && !memcmp(s->p, lit, s->len);
}

static struct sip_str
S(const char *s)
{
	struct sip_str r = { s, (uint16_t)strlen(s) };
	return r;
}

static int
via(const char *s, struct sip_via *v, const char **next)
{
	const char *n;
	int rc = sip_via_parse(v, s, s + strlen(s), next ? next : &n);
	if (!next && !rc && n != s + strlen(s))
		return 99;              /* a single value must be consumed whole */
	return rc;
}

static int
na(const char *s, unsigned flags, struct sip_nameaddr *a)
{
	const char *n;
	int rc = sip_nameaddr_parse(a, s, s + strlen(s), flags, &n);
	if (!rc && !(flags & SIP_NA_LIST) && n != s + strlen(s))
		return 99;
	return rc;
}

static int
msg_parse(const char *s)
{
	int rc = sip_msg_parse(&msg, s, strlen(s));
	return rc ? rc : sip_msg_validate(&msg);
}

/* ---- Via ---- */

static void
test_via(void **state)
{
	struct sip_via v;
	const char *next;
	(void)state;

	assert_int_equal(via("SIP/2.0/UDP 198.18.0.1:5060;rport;branch=z9hG4bK776;received=192.0.2.1;"
			     "maddr=224.2.0.1;ttl=16;x=y", &v, NULL), 0);
	assert_true(streq(&v.protocol, "SIP"));
	assert_true(streq(&v.version, "2.0"));
	assert_true(streq(&v.transport, "UDP"));
	assert_int_equal(v.tp, SIP_TP_UDP);
	assert_true(streq(&v.host, "198.18.0.1"));
	assert_int_equal(v.host_type, SIP_HOST_IPV4);
	assert_int_equal(v.port, 5060);
	assert_true(streq(&v.branch, "z9hG4bK776"));
	assert_true(streq(&v.received, "192.0.2.1"));
	assert_true(streq(&v.maddr, "224.2.0.1"));
	assert_int_equal(v.ttl, 16);
	assert_non_null(v.rport_str.p);
	assert_int_equal(v.rport_str.len, 0);
	assert_int_equal(v.rport, 0);
	assert_true(streq(&v.params, "rport;branch=z9hG4bK776;received=192.0.2.1;maddr=224.2.0.1;"
			  "ttl=16;x=y"));
	/* RFC 4475 wsinv: LWS and folding everywhere */
	assert_int_equal(via("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", &v, NULL), 0);
	assert_true(streq(&v.transport, "UDP"));
	assert_true(streq(&v.host, "192.0.2.2"));
	assert_true(streq(&v.branch, "390skdjuw"));
	assert_int_equal(via("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ",
			     &v, NULL), 0);
	assert_true(streq(&v.branch, "z9hG4bK9ikj8"));
	assert_int_equal(v.tp, SIP_TP_TCP);
	/* transports */
	assert_int_equal(via("SIP/2.0/tls h", &v, NULL), 0);
	assert_int_equal(v.tp, SIP_TP_TLS);
	assert_int_equal(via("SIP/2.0/SCTP h", &v, NULL), 0);
	assert_int_equal(v.tp, SIP_TP_SCTP);
	assert_int_equal(via("SIP/2.0/WSS h", &v, NULL), 0);
	assert_int_equal(v.tp, SIP_TP_WSS);
	assert_int_equal(via("SIP/2.0/WS h", &v, NULL), 0);
	assert_int_equal(v.tp, SIP_TP_WS);
	assert_int_equal(via("SIP/2.0/UNKNOWN h", &v, NULL), 0);
	assert_int_equal(v.tp, SIP_TP_OTHER);
	/* rport value, port bounds */
	assert_int_equal(via("SIP/2.0/UDP h:65535;rport=65535", &v, NULL), 0);
	assert_int_equal(v.rport, 65535);
	assert_int_equal(v.port, 65535);
	assert_int_equal(via("SIP/2.0/UDP h;rport=65536", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h:65536", &v, NULL), -SIP_ERR_BAD_PORT);
	assert_int_equal(via("SIP/2.0/UDP h : 5060", &v, NULL), 0);
	assert_int_equal(v.port, 5060);
	assert_int_equal(via("SIP/2.0/UDP h;ttl=256", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h;branch", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h;branch=a:b", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h;branch=\"q\"", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h;x=\"quoted;,\"", &v, NULL), 0);
	/* RFC 5118 */
	assert_int_equal(via("SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;branch=z9hG4bKas3",
			     &v, NULL), 0);
	assert_int_equal(v.host_type, SIP_HOST_IPV6);
	assert_true(streq(&v.host, "[2001:db8::9:1]"));
	assert_int_equal(v.port, 6050);
	assert_true(streq(&v.received, "2001:db8::9:255"));
	assert_int_equal(via("SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255]", &v, NULL), 0);
	assert_true(streq(&v.received, "[2001:db8::9:255]"));
	assert_int_equal(via("SIP/2.0/UDP h;received=nothost", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP 2001:db8::1", &v, NULL), -SIP_ERR_BAD_HOST);
	/* RFC 4475 badinv01 and other malformed values */
	assert_int_equal(via("SIP/2.0/UDP 192.0.2.15;;,;,,", &v, NULL), -SIP_ERR_EMPTY_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h;", &v, NULL), -SIP_ERR_EMPTY_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h;=x", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP h;x=", &v, NULL), -SIP_ERR_BAD_PARAM);
	assert_int_equal(via("SIP/2.0/UDP", &v, NULL), -SIP_ERR_BAD_PROTOCOL);
	assert_int_equal(via("SIP/2.0 h", &v, NULL), -SIP_ERR_BAD_PROTOCOL);
	assert_int_equal(via("SIP/2.0/UDPh", &v, NULL), -SIP_ERR_BAD_PROTOCOL);
	assert_int_equal(via("SIP/2.0/UDP h x", &v, NULL), -SIP_ERR_TRAILING_JUNK);
	assert_int_equal(via("", &v, NULL), -SIP_ERR_EMPTY_ELEMENT);
	assert_int_equal(via("SIP/2.0/UDP bad..host", &v, NULL), -SIP_ERR_BAD_HOST);
	/* a list: next stops at the comma */
	assert_int_equal(via("SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/TCP b", &v, &next), 0);
	assert_int_equal(*next, ',');
	assert_int_equal(via(next + 1, &v, NULL), 0);
	assert_true(streq(&v.host, "b"));
}

static void
test_via_iterator(void **state)
{
	struct sip_iter it;
	struct sip_via v;
	int n = 0, rc;
	(void)state;

	assert_int_equal(msg_parse("SIP/2.0 200 OK\r\n"
				   "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				   "v: SIP/2.0/TCP c\r\n"
				   "Call-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n"), 0);
	sip_iter_init(&it, &msg, SIP_HDR_VIA);
	while ((rc = sip_via_next(&it, &v)) == 1) {
		static const char *const hosts[] = { "a", "b", "c" };
		assert_true(streq(&v.host, hosts[n]));
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 3);
	assert_int_equal(sip_msg_top_via(&msg, &v), 0);
	assert_true(streq(&v.branch, "z9hG4bK1"));
	/* trailing comma, empty element */
	{
		static const char m2[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a,\r\n"
					 "From: <sip:a@x>\r\nTo: <sip:b@x>\r\nCall-ID: c\r\n"
					 "CSeq: 1 A\r\n\r\n";
		assert_int_equal(sip_msg_parse(&msg, m2, sizeof(m2) - 1), 0);
	}
	sip_iter_init(&it, &msg, SIP_HDR_VIA);
	assert_int_equal(sip_via_next(&it, &v), 1);
	assert_int_equal(sip_via_next(&it, &v), -SIP_ERR_EMPTY_ELEMENT);
	assert_int_equal(sip_msg_validate(&msg), -SIP_ERR_EMPTY_ELEMENT);
	assert_int_equal(msg.err_hdr, SIP_HDR_VIA);
	/* an empty Via value */
	assert_int_equal(msg_parse("SIP/2.0 200 OK\r\nVia:\r\nFrom: <sip:a@x>\r\nTo: <sip:b@x>\r\n"
				   "Call-ID: c\r\nCSeq: 1 A\r\n\r\n"), -SIP_ERR_EMPTY_VALUE);
	sip_iter_init(&it, &msg, SIP_HDR_VIA);
	assert_int_equal(sip_via_next(&it, &v), -SIP_ERR_EMPTY_VALUE);
	/* no Via at all */
	sip_iter_init(&it, &msg, SIP_HDR_ROUTE);
	assert_int_equal(sip_via_next(&it, &v), 0);
}

/* ---- name-addr / addr-spec ---- */

/* sip_via_parse() tries a one-pass path for the usual via-parm first: it must
 * give what the general path gives, fields, end and verdict, on the values
 * above and on a few thousand random edits of them (each parsed from a heap
 * copy of its exact size, so that a read past the end fails under ASan). */
static void
via_same(const char *s, size_t len)
{
	char *c = test_malloc(len ? len : 1);
	struct sip_via a, b;
	const char *na = NULL, *nb = NULL;
	int ra, rb;

	memcpy(c, s, len);
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	ra = sip_via_parse(&a, c, c + len, &na);
	rb = sip_via_parse_general(&b, c, c + len, &nb);
	if (ra != rb)
		fail_msg("\"%.*s\": %d, the general path %d", (int)len, s, ra, rb);
	if (ra == 0) {
		const struct sip_str *fa[] = { &a.protocol, &a.version, &a.transport, &a.host,
					       &a.params, &a.branch, &a.received, &a.maddr,
					       &a.rport_str };
		const struct sip_str *fb[] = { &b.protocol, &b.version, &b.transport, &b.host,
					       &b.params, &b.branch, &b.received, &b.maddr,
					       &b.rport_str };

		for (size_t i = 0; i < sizeof(fa) / sizeof(fa[0]); i++)
			if (fa[i]->p != fb[i]->p || fa[i]->len != fb[i]->len)
				fail_msg("\"%.*s\": field %zu differs", (int)len, s, i);
		if (a.port != b.port || a.rport != b.rport || a.tp != b.tp ||
		    a.host_type != b.host_type || a.ttl != b.ttl || na != nb)
			fail_msg("\"%.*s\": port/rport/tp/host type/ttl/next differ", (int)len, s);
	}
	test_free(c);
}

static void
test_via_fast_agrees(void **state)
{
	static const char *const seeds[] = {
		"SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-524287-1---a4f1c2b35e6d7f80",
		"SIP/2.0/UDP 198.18.0.1:5060;rport;branch=z9hG4bK776;received=192.0.2.1;ttl=3",
		"SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74bf9;maddr=198.18.0.7",
		"sip/2.0/tls h.example.net;branch=z9hG4bKx;rport=5061;x=y;flag",
		"SIP/2.0/UDP h;rport=65535;branch=a,SIP/2.0/UDP b:1;branch=c",
		"SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;branch=z9hG4bKas3",
		"SIP/2.0/UDP h;x=\"quoted;,\";branch=z9hG4bK1",
		"SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ",
		"SIP/2.0/UDP 192.0.2.15;;,;,,",
		"SIP/2.0/UDP 10.0.0.1:05060;RPORT=0;BRANCH=z9hG4bK.a-b_c!d~e*f'g%h`i+j",
		"SIP/2.0/SCTP h:1;branch=x",
		"SIP/2.0/UDP host:99999;branch=x",
		"SIP/2.0/UDP h;rport=65536;branch=x",
		"SIP/2.0/UDP h:65536;branch=x",
		"SIP/2.0/UDP h:0;branch=x",
		"SIP/2.0/UDP h;received=nothost;branch=x",
		"SIP/2.0/UDP h;branch=a:b",
		"SIP/2.0/UDP h;ttl=256;branch=x",
		"SIP/2.0/UDP h;maddr=bad..host;branch=x",
		"SIP/2.0/UDP h;received=198.18.0.300;branch=x",
	};
	static const char alphabet[] = " \t;=:,\"[]./0159aAbBrRpPtTuUdD-%\r\n";
	char buf[160];
	uint32_t x = 2463534242u;

	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		size_t n = strlen(seeds[i]);

		via_same(seeds[i], n);
		for (size_t k = 0; k <= n; k++)
			via_same(seeds[i], k);                  /* every prefix */
		for (int r = 0; r < 2000; r++) {
			size_t len = n;
			int edits = 1 + r % 3;

			memcpy(buf, seeds[i], n);
			while (edits-- > 0) {
				size_t at;
				char c;

				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				at = len ? x % len : 0;
				c = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
				switch ((x >> 16) % 3) {
				case 0:                         /* replace */
					if (len)
						buf[at] = c;
					break;
				case 1:                         /* insert */
					if (len + 1 < sizeof(buf)) {
						memmove(buf + at + 1, buf + at, len - at);
						buf[at] = c;
						len++;
					}
					break;
				default:                        /* delete */
					if (len) {
						memmove(buf + at, buf + at + 1, len - at - 1);
						len--;
					}
					break;
				}
			}
			via_same(buf, len);
		}
	}
}

static void
test_nameaddr(void **state)
{
	struct sip_nameaddr a;
	(void)state;

	assert_int_equal(na("\"Alice \\\"A\\\" Smith\" <sip:alice@example.com>;tag=abc;x=\"y;z\"", 0, &a), 0);
	assert_true(streq(&a.display, "\"Alice \\\"A\\\" Smith\""));
	assert_true(streq(&a.uri, "sip:alice@example.com"));
	assert_true(streq(&a.tag, "abc"));
	assert_true(streq(&a.params, "tag=abc;x=\"y;z\""));
	assert_int_equal(a.bracketed, 1);
	/* token display names, with and without LWS before < (RFC 4475 lwsdisp) */
	assert_int_equal(na("A. Bell <sip:a.g.bell@example.com>;tag=x", 0, &a), 0);
	assert_true(streq(&a.display, "A. Bell"));
	assert_int_equal(na("caller<sip:caller@example.com>;tag=323", 0, &a), 0);
	assert_true(streq(&a.display, "caller"));
	assert_int_equal(na("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>", 0, &a), 0);
	/* addr-spec: the parameters belong to the header */
	assert_int_equal(na("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", 0, &a), 0);
	assert_true(streq(&a.uri, "sip:vivekg@chair-dnrc.example.com"));
	assert_true(streq(&a.tag, "1918181833n"));
	assert_int_equal(a.bracketed, 0);
	assert_null(a.display.p);
	assert_int_equal(na("isbn:2983792873", 0, &a), 0);
	/* quoted display names with escapes and controls (RFC 4475 intmeth) */
	{
		static const char s[] = "\"BEL:\\\a NUL:\\\0 DEL:\\\x7f\" <sip:x@example.com>";
		const char *n;
		assert_int_equal(sip_nameaddr_parse(&a, s, s + sizeof(s) - 1, 0, &n), 0);
		assert_int_equal(a.display.len, 22);
	}
	assert_int_equal(na("\"utf8 \xc3\xa9\" <sip:x@example.com>", 0, &a), 0);
	/* malformed */
	assert_int_equal(na("\"Mr. J. User <sip:j.user@example.com>", 0, &a), -SIP_ERR_UNTERMINATED_QUOTE);
	assert_int_equal(na("\"a\\", 0, &a), -SIP_ERR_UNTERMINATED_QUOTE);
	assert_int_equal(na("\"a\001\" <sip:x@y>", 0, &a), -SIP_ERR_BAD_CHAR);
	assert_int_equal(na("\"Watson, Thomas\" < sip:t.watson@example.org >", 0, &a),
			 -SIP_ERR_LWS_IN_BRACKETS);
	assert_int_equal(na("<sip:t.watson@example.org >", 0, &a), -SIP_ERR_LWS_IN_BRACKETS);
	assert_int_equal(na("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", 0, &a),
			 -SIP_ERR_BAD_DISPLAY_NAME);
	assert_int_equal(na("\"x\" sip:a@b", 0, &a), -SIP_ERR_BAD_DISPLAY_NAME);
	assert_int_equal(na("<sip:a@b", 0, &a), -SIP_ERR_MISSING_RAQUOT);
	assert_int_equal(na("<>", 0, &a), -SIP_ERR_BAD_URI);
	assert_int_equal(na("sip:user@example.com?Route=%3Csip:sip.example.com%3E", 0, &a),
			 -SIP_ERR_URI_NEEDS_BRACKETS);
	assert_int_equal(na("noscheme", 0, &a), -SIP_ERR_BAD_URI);
	assert_int_equal(na("<sip:a@b>;", 0, &a), -SIP_ERR_EMPTY_PARAM);
	assert_int_equal(na("<sip:a@b>;;;;", 0, &a), -SIP_ERR_EMPTY_PARAM);
	assert_int_equal(na("<sip:a@b>;tag", 0, &a), -SIP_ERR_BAD_PARAM);
	assert_int_equal(na("<sip:a@b>;tag=a:b", 0, &a), -SIP_ERR_BAD_PARAM);
	assert_int_equal(na("<sip:a@b> x", 0, &a), -SIP_ERR_TRAILING_JUNK);
	assert_int_equal(na("<sip:a@b>, <sip:c@d>", 0, &a), -SIP_ERR_TRAILING_JUNK);
	assert_int_equal(na("", 0, &a), -SIP_ERR_EMPTY_ELEMENT);
	assert_int_equal(na("sip:a@b", SIP_NA_NEED_BRACKETS, &a), -SIP_ERR_NEEDS_NAME_ADDR);
	assert_int_equal(na("*", 0, &a), -SIP_ERR_BAD_URI);
}

static void
test_contact_params(void **state)
{
	struct sip_nameaddr a;
	(void)state;

	assert_int_equal(na("<sip:a@b>;expires=3600;q=0.7", SIP_NA_CONTACT, &a), 0);
	assert_int_equal(a.has_expires, 1);
	assert_int_equal(a.expires, 3600);
	assert_int_equal(a.has_q, 1);
	assert_int_equal(a.q, 700);
	assert_int_equal(na("<sip:a@b>", SIP_NA_CONTACT, &a), 0);
	assert_int_equal(a.has_q, 0);
	assert_int_equal(a.q, 1000);
	assert_int_equal(a.has_expires, 0);
	/* q bounds */
	static const struct { const char *q; int ok; uint16_t v; } qs[] = {
		{ "0", 1, 0 }, { "1", 1, 1000 }, { "0.", 1, 0 }, { "0.5", 1, 500 },
		{ "0.33", 1, 330 }, { "0.999", 1, 999 }, { "1.0", 1, 1000 }, { "1.000", 1, 1000 },
		{ "0.1234", 0, 0 }, { "1.001", 0, 0 }, { "2", 0, 0 }, { ".5", 0, 0 },
		{ "1.0000", 0, 0 }, { "0.a", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "<sip:a@b>;q=%s", qs[i].q);
		if (qs[i].ok) {
			assert_int_equal(na(buf, SIP_NA_CONTACT, &a), 0);
			assert_int_equal(a.q, qs[i].v);
		} else {
			assert_int_equal(na(buf, SIP_NA_CONTACT, &a), -SIP_ERR_BAD_QVALUE);
		}
	}
	/* expires bounds: past 2^32-1 saturates and is flagged (RFC 4475 scalar02) */
	assert_int_equal(na("<sip:a@b>;expires=4294967295", SIP_NA_CONTACT, &a), 0);
	assert_int_equal(a.expires, UINT32_MAX);
	assert_int_equal(a.has_expires, 1);
	assert_int_equal(na("<sip:user@host129.example.com>\r\n  ;expires=280297596632815",
			    SIP_NA_CONTACT, &a), 0);
	assert_int_equal(a.expires, UINT32_MAX);
	assert_int_equal(a.has_expires, 2);
	assert_int_equal(na("<sip:a@b>;expires=soon", SIP_NA_CONTACT, &a), -SIP_ERR_BAD_PARAM);
	/* wsinv's Contact */
	assert_int_equal(na("\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"
			    "      newvalue ;\r\n  secondparam ; q = 0.33", SIP_NA_CONTACT, &a), 0);
	assert_int_equal(a.q, 330);
	/* star */
	assert_int_equal(na("*", SIP_NA_CONTACT, &a), 0);
	assert_int_equal(a.star, 1);
	assert_int_equal(na(" * ", SIP_NA_CONTACT, &a), 0);
	assert_int_equal(a.star, 1);
	/* addr-spec parameters go to the header (RFC 4475 cparam01/02) */
	assert_int_equal(na("sip:+19725552222@gw1.example.net;unknownparam", SIP_NA_CONTACT, &a), 0);
	assert_true(streq(&a.uri, "sip:+19725552222@gw1.example.net"));
	assert_true(streq(&a.params, "unknownparam"));
	assert_int_equal(na("<sip:+19725552222@gw1.example.net;unknownparam>", SIP_NA_CONTACT, &a), 0);
	assert_true(streq(&a.uri, "sip:+19725552222@gw1.example.net;unknownparam"));
	assert_null(a.params.p);
}

static void
test_contact_iterator(void **state)
{
	struct sip_iter it;
	struct sip_nameaddr c;
	int n = 0, rc;
	(void)state;

	assert_int_equal(msg_parse("REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 REGISTER\r\n"
				   "Contact: <sip:a@h1>;expires=60, \"B\" <sip:a@h2>;q=0.5\r\n"
				   "m: sip:a@h3;expires=10\r\n"
				   "\r\n"), 0);
	sip_iter_init(&it, &msg, SIP_HDR_CONTACT);
	while ((rc = sip_contact_next(&it, &c)) == 1) {
		static const char *const uris[] = { "sip:a@h1", "sip:a@h2", "sip:a@h3" };
		assert_true(streq(&c.uri, uris[n]));
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 3);
	/* star alone is fine, star with addresses is not */
	assert_int_equal(msg_parse("REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\n\r\n"), 0);
	sip_iter_init(&it, &msg, SIP_HDR_CONTACT);
	assert_int_equal(sip_contact_next(&it, &c), 1);
	assert_int_equal(c.star, 1);
	assert_int_equal(sip_contact_next(&it, &c), 0);
	assert_int_equal(msg_parse("REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@b>, *\r\n\r\n"),
			 -SIP_ERR_BAD_STAR);
	assert_int_equal(msg_parse("REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@b>,,<sip:c@d>\r\n\r\n"),
			 -SIP_ERR_EMPTY_ELEMENT);
	/* RFC 4475 esc02: "C%6Fntact" is not Contact */
	assert_int_equal(msg_parse("RE%47IST%45R sip:registrar.example.com SIP/2.0\r\n"
				   "To: \"%Z%45\" <sip:resource@example.com>\r\n"
				   "From: \"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23\r\n"
				   "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\r\n"
				   "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234\r\n"
				   "CSeq: 29344 RE%47IST%45R\r\n"
				   "Max-Forwards: 70\r\n"
				   "Contact: <sip:alias1@host1.example.com>\r\n"
				   "C%6Fntact: <sip:alias2@host2.example.com>\r\n"
				   "Contact: <sip:alias3@host3.example.com>\r\n"
				   "l: 0\r\n\r\n"), 0);
	assert_int_equal(msg.method, SIP_METHOD_OTHER);
	sip_iter_init(&it, &msg, SIP_HDR_CONTACT);
	for (n = 0; sip_contact_next(&it, &c) == 1; n++)
		;
	assert_int_equal(n, 2);
}

static void
test_route_iterator(void **state)
{
	struct sip_iter it;
	struct sip_nameaddr r;
	struct sip_uri u;
	int n = 0;
	(void)state;

	assert_int_equal(msg_parse("INVITE sip:b@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 INVITE\r\n"
				   "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
				   "Record-Route: <sip:p3.example.com;lr>\r\n"
				   "Path: <sip:p4.example.com;lr;ob>\r\n"
				   "Route: \"P5\" <sip:[2001:db8::5]:5070;lr>\r\n\r\n"), 0);
	sip_iter_init(&it, &msg, SIP_HDR_ROUTE);
	while (sip_route_next(&it, &r) == 1) {
		assert_int_equal(sip_uri_parse(&u, r.uri.p, r.uri.len), 0);
		assert_int_equal(u.lr, 1);
		n++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(u.port, 5070);
	sip_iter_init(&it, &msg, SIP_HDR_PATH);
	assert_int_equal(sip_route_next(&it, &r), 1);
	assert_true(streq(&r.uri, "sip:p4.example.com;lr;ob"));
	assert_int_equal(msg_parse("INVITE sip:b@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 INVITE\r\nRecord-Route: sip:p1;lr\r\n\r\n"),
			 -SIP_ERR_NEEDS_NAME_ADDR);
	assert_int_equal(msg.err_hdr, SIP_HDR_RECORD_ROUTE);
	assert_int_equal(msg_parse("INVITE sip:b@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 INVITE\r\nRoute: <sip:bad..host;lr>\r\n\r\n"),
			 -SIP_ERR_BAD_HOST);
}

/* ---- single values ---- */

static void
test_cseq(void **state)
{
	struct sip_cseq c;
	struct sip_str s;
	(void)state;

	s = S("4294967295 REGISTER");
	assert_int_equal(sip_cseq_parse(&c, &s), 0);
	assert_int_equal(c.seq, UINT32_MAX);
	assert_int_equal(c.method_id, SIP_METHOD_REGISTER);
	s = S("0009\r\n  INVITE");
	assert_int_equal(sip_cseq_parse(&c, &s), 0);
	assert_int_equal(c.seq, 9);
	assert_true(streq(&c.method, "INVITE"));
	s = S("1 !interesting-Method0123456789_*+`.%indeed'~");
	assert_int_equal(sip_cseq_parse(&c, &s), 0);
	assert_int_equal(c.method_id, SIP_METHOD_OTHER);
	s = S("4294967296 REGISTER");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_NUM_RANGE);
	s = S("9999999999 REGISTER");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_NUM_RANGE);
	/* the one-pass shape and the others give the same fields */
	s = S("314159 BYE");
	assert_int_equal(sip_cseq_parse(&c, &s), 0);
	assert_int_equal(c.seq, 314159);
	assert_int_equal(c.method_id, SIP_METHOD_BYE);
	assert_true(streq(&c.method, "BYE"));
	s = S("314159 \t BYE");
	assert_int_equal(sip_cseq_parse(&c, &s), 0);
	assert_int_equal(c.seq, 314159);
	assert_true(streq(&c.method, "BYE"));
	s = S("01234567890 BYE");
	assert_int_equal(sip_cseq_parse(&c, &s), 0);
	assert_int_equal(c.seq, 1234567890);
	s = S("1 BYE ");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_TRAILING_JUNK);
	s = S("1 @");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_BAD_METHOD);
	s = S("36893488147419103232 REGISTER");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_NUM_RANGE);
	s = S("REGISTER");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_BAD_NUMBER);
	s = S("1");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_BAD_METHOD);
	s = S("1REGISTER");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_BAD_NUMBER);
	s = S("1 REG ISTER");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_TRAILING_JUNK);
	s = S("-1 A");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_BAD_NUMBER);
	s = S("");
	assert_int_equal(sip_cseq_parse(&c, &s), -SIP_ERR_BAD_NUMBER);
}

static void
test_callid_numbers(void **state)
{
	struct sip_str s;
	uint32_t v;
	(void)state;

	s = S("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	assert_int_equal(sip_callid_check(&s), 0);
	s = S("abc");
	assert_int_equal(sip_callid_check(&s), 0);
	s = S("a@b@c");
	assert_int_equal(sip_callid_check(&s), -SIP_ERR_BAD_CALL_ID);
	s = S("a@");
	assert_int_equal(sip_callid_check(&s), -SIP_ERR_BAD_CALL_ID);
	s = S("a b");
	assert_int_equal(sip_callid_check(&s), -SIP_ERR_BAD_CALL_ID);
	s = S("");
	assert_int_equal(sip_callid_check(&s), -SIP_ERR_EMPTY_VALUE);
	/* Max-Forwards 0..255 */
	s = S("255");
	assert_int_equal(sip_uint_parse(&s, 255, &v), 0);
	assert_int_equal(v, 255);
	s = S("0068");
	assert_int_equal(sip_uint_parse(&s, 255, &v), 0);
	assert_int_equal(v, 68);
	s = S("256");
	assert_int_equal(sip_uint_parse(&s, 255, &v), -SIP_ERR_NUM_RANGE);
	assert_int_equal(v, 255);
	s = S("1e3");
	assert_int_equal(sip_uint_parse(&s, 255, &v), -SIP_ERR_BAD_NUMBER);
	s = S("");
	assert_int_equal(sip_uint_parse(&s, 255, &v), -SIP_ERR_EMPTY_VALUE);
	/* Expires up to 2^32-1 */
	s = S("4294967295");
	assert_int_equal(sip_uint_parse(&s, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	s = S("10000000000000000000000000000000000000000");
	assert_int_equal(sip_uint_parse(&s, UINT32_MAX, &v), -SIP_ERR_NUM_RANGE);
	assert_int_equal(v, UINT32_MAX);
}

static void
test_msg_accessors(void **state)
{
	struct sip_via v;
	struct sip_nameaddr a;
	struct sip_cseq c;
	struct sip_str id;
	uint32_t x;
	(void)state;

	assert_int_equal(msg_parse("REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-1\r\n"
				   "Max-Forwards: 70\r\n"
				   "To: \"Alice\" <sip:alice@example.com>\r\n"
				   "From: \"Alice\" <sip:alice@example.com>;tag=5f2a\r\n"
				   "Call-ID: abc@h\r\nCSeq: 2 REGISTER\r\nExpires: 3600\r\n\r\n"), 0);
	assert_int_equal(sip_msg_top_via(&msg, &v), 0);
	assert_int_equal(v.port, 5060);
	assert_int_equal(sip_msg_from(&msg, &a), 0);
	assert_true(streq(&a.tag, "5f2a"));
	assert_int_equal(sip_msg_to(&msg, &a), 0);
	assert_null(a.tag.p);
	assert_int_equal(sip_msg_call_id(&msg, &id), 0);
	assert_true(streq(&id, "abc@h"));
	assert_int_equal(sip_msg_cseq(&msg, &c), 0);
	assert_int_equal(c.seq, 2);
	assert_int_equal(sip_msg_expires(&msg, &x), 0);
	assert_int_equal(x, 3600);
	assert_int_equal(sip_msg_max_forwards(&msg, &x), 0);
	assert_int_equal(x, 70);
	/* absent: 1, output untouched */
	assert_int_equal(msg_parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@x>\r\n"
				   "To: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 A\r\n\r\n"), 0);
	x = 7;
	assert_int_equal(sip_msg_expires(&msg, &x), 1);
	assert_int_equal(sip_msg_max_forwards(&msg, &x), 1);
	assert_int_equal(x, 7);
	/* RFC 4475 scalar02: Expires overflow is tolerated by validate, flagged by the accessor */
	assert_int_equal(msg_parse("REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/TCP h;branch=z9hG4bK342sdfoi3\r\n"
				   "To: <sip:user@example.com>\r\nFrom: <sip:user@example.com>;tag=2\r\n"
				   "CSeq: 1 REGISTER\r\nCall-ID: s\r\nExpires: 99999999999999999\r\n\r\n"), 0);
	assert_int_equal(sip_msg_expires(&msg, &x), -SIP_ERR_NUM_RANGE);
	assert_int_equal(x, UINT32_MAX);
	assert_int_equal(msg_parse("REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/TCP h;branch=z9hG4bK342sdfoi3\r\n"
				   "To: <sip:user@example.com>\r\nFrom: <sip:user@example.com>;tag=2\r\n"
				   "CSeq: 1 REGISTER\r\nCall-ID: s\r\nMax-Forwards: 256\r\n\r\n"),
			 -SIP_ERR_NUM_RANGE);
	assert_int_equal(msg.err_hdr, SIP_HDR_MAX_FORWARDS);
}

static void
test_auth(void **state)
{
	struct sip_auth a;
	struct sip_str s;
	(void)state;

	s = S("Digest username=\"alice\", realm=\"example.com\",\r\n nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\","
	      " uri=\"sip:example.com\", response=\"dfe56131d1958046689d83306477ecc\", algorithm=MD5,"
	      " cnonce=\"0a4f113b\", opaque=\"\", qop=auth, nc=00000001");
	assert_int_equal(sip_auth_parse(&a, &s), 0);
	assert_int_equal(a.digest, 1);
	assert_true(streq(&a.username, "alice"));
	assert_true(streq(&a.realm, "example.com"));
	assert_true(streq(&a.nonce, "ea9c8e88df84f1cec4341ae6cbe5a359"));
	assert_true(streq(&a.uri, "sip:example.com"));
	assert_true(streq(&a.response, "dfe56131d1958046689d83306477ecc"));
	assert_true(streq(&a.algorithm, "MD5"));
	assert_true(streq(&a.cnonce, "0a4f113b"));
	assert_non_null(a.opaque.p);
	assert_int_equal(a.opaque.len, 0);
	assert_true(streq(&a.qop, "auth"));
	assert_true(streq(&a.nc, "00000001"));
	/* RFC 4475 regaut01 */
	s = S("NoOneKnowsThisScheme opaque-data=here");
	assert_int_equal(sip_auth_parse(&a, &s), 0);
	assert_int_equal(a.digest, 0);
	assert_true(streq(&a.scheme, "NoOneKnowsThisScheme"));
	s = S("Digest");
	assert_int_equal(sip_auth_parse(&a, &s), -SIP_ERR_BAD_CREDENTIALS);
	s = S("Digest username");
	assert_int_equal(sip_auth_parse(&a, &s), -SIP_ERR_BAD_CREDENTIALS);
	s = S("Digest username=\"a");
	assert_int_equal(sip_auth_parse(&a, &s), -SIP_ERR_UNTERMINATED_QUOTE);
	s = S("Digest a=b,");
	assert_int_equal(sip_auth_parse(&a, &s), -SIP_ERR_EMPTY_ELEMENT);
	s = S("Digest a=b c=d");
	assert_int_equal(sip_auth_parse(&a, &s), -SIP_ERR_BAD_CREDENTIALS);
	s = S("");
	assert_int_equal(sip_auth_parse(&a, &s), -SIP_ERR_EMPTY_VALUE);
}

static void
test_tags_ctype_date_text(void **state)
{
	struct sip_iter it;
	struct sip_str s, t;
	struct sip_ctype ct;
	int n = 0;
	(void)state;

	assert_int_equal(msg_parse("OPTIONS sip:b@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
				   "Supported: replaces , 100rel\r\nk:\r\nSupported: timer\r\n"
				   "Require: nothingSupportsThis, nothingSupportsThisEither\r\n"
				   "Proxy-Require: noProxiesSupportThis\r\n"
				   "Allow: INVITE, ACK\r\n\r\n"), 0);
	sip_iter_init(&it, &msg, SIP_HDR_SUPPORTED);
	while (sip_tag_next(&it, &t) == 1) {
		static const char *const tags[] = { "replaces", "100rel", "timer" };
		assert_true(streq(&t, tags[n]));
		n++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(msg_parse("OPTIONS sip:b@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nRequire:\r\n\r\n"), -SIP_ERR_EMPTY_VALUE);
	assert_int_equal(msg_parse("OPTIONS sip:b@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				   "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				   "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nSupported: a,,b\r\n\r\n"),
			 -SIP_ERR_EMPTY_ELEMENT);
	sip_iter_init(&it, &msg, SIP_HDR_SUPPORTED);
	assert_int_equal(sip_tag_next(&it, &t), 1);
	assert_int_equal(sip_tag_next(&it, &t), -SIP_ERR_EMPTY_ELEMENT);
	/* Content-Type */
	s = S("multipart/mixed;boundary=7a9cbec02ceef655");
	assert_int_equal(sip_ctype_parse(&ct, &s), 0);
	assert_true(streq(&ct.type, "multipart"));
	assert_true(streq(&ct.subtype, "mixed"));
	assert_true(streq(&ct.params, "boundary=7a9cbec02ceef655"));
	s = S("application / sdp ; charset = \"utf-8\"");
	assert_int_equal(sip_ctype_parse(&ct, &s), 0);
	s = S("application");
	assert_int_equal(sip_ctype_parse(&ct, &s), -SIP_ERR_BAD_MEDIA_TYPE);
	s = S("application/");
	assert_int_equal(sip_ctype_parse(&ct, &s), -SIP_ERR_BAD_MEDIA_TYPE);
	s = S("a/b;c");
	assert_int_equal(sip_ctype_parse(&ct, &s), -SIP_ERR_BAD_PARAM);
	s = S("a/b x");
	assert_int_equal(sip_ctype_parse(&ct, &s), -SIP_ERR_TRAILING_JUNK);
	/* Date */
	s = S("Sat, 15 Oct 2005 04:44:56 GMT");
	assert_int_equal(sip_date_check(&s), 0);
	s = S("Fri, 01 Jan 2010 16:00:00 EST");
	assert_int_equal(sip_date_check(&s), -SIP_ERR_BAD_DATE);
	s = S("Fri, 01 Jan 2010 24:00:00 GMT");
	assert_int_equal(sip_date_check(&s), -SIP_ERR_BAD_DATE);
	s = S("Fry, 01 Jan 2010 16:00:00 GMT");
	assert_int_equal(sip_date_check(&s), -SIP_ERR_BAD_DATE);
	s = S("Fri, 01 Jam 2010 16:00:00 GMT");
	assert_int_equal(sip_date_check(&s), -SIP_ERR_BAD_DATE);
	s = S("Fri, 1 Jan 2010 16:00:00 GMT");
	assert_int_equal(sip_date_check(&s), -SIP_ERR_BAD_DATE);
	/* text */
	s = S("any \xe2\x82\xac text\r\n folded");
	assert_int_equal(sip_text_check(&s), 0);
	s = S("nul\0");
	s.len = 4;
	assert_int_equal(sip_text_check(&s), -SIP_ERR_BAD_CHAR);
}

static void
test_param_find(void **state)
{
	struct sip_str p, v;
	(void)state;

	p = S("tag = x ; Expires=60;q=0.5;flag;d=\"a;b\"");
	assert_int_equal(sip_param_find(&p, "tag", &v), 0);
	assert_true(streq(&v, "x"));
	assert_int_equal(sip_param_find(&p, "expires", &v), 0);
	assert_true(streq(&v, "60"));
	assert_int_equal(sip_param_find(&p, "flag", &v), 0);
	assert_null(v.p);
	assert_int_equal(sip_param_find(&p, "d", &v), 0);
	assert_true(streq(&v, "\"a;b\""));
	assert_int_equal(sip_param_find(&p, "b\"", &v), 1);
	assert_int_equal(sip_param_find(&p, "ta", &v), 1);
	p.p = NULL;
	p.len = 0;
	assert_int_equal(sip_param_find(&p, "tag", &v), 1);
}

/* Absent values (p NULL) and NULL buffers: an error, never a dereference. */
static void
test_absent_inputs(void **state)
{
	struct sip_str none = { NULL, 0 };
	struct sip_cseq c;
	struct sip_auth a;
	struct sip_ctype ct;
	struct sip_uri u;
	uint32_t x;
	(void)state;

	assert_int_equal(sip_cseq_parse(&c, &none), -SIP_ERR_EMPTY_VALUE);
	assert_int_equal(sip_callid_check(&none), -SIP_ERR_EMPTY_VALUE);
	assert_int_equal(sip_uint_parse(&none, 10, &x), -SIP_ERR_EMPTY_VALUE);
	assert_int_equal(sip_auth_parse(&a, &none), -SIP_ERR_EMPTY_VALUE);
	assert_int_equal(sip_ctype_parse(&ct, &none), -SIP_ERR_EMPTY_VALUE);
	assert_int_equal(sip_date_check(&none), -SIP_ERR_BAD_DATE);
	assert_int_equal(sip_text_check(&none), -SIP_ERR_EMPTY_VALUE);
	assert_int_equal(sip_uri_parse(&u, NULL, 0), -SIP_ERR_BAD_URI);
	assert_int_equal(sip_msg_parse(&msg, NULL, 0), -SIP_ERR_EMPTY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_via),
		cmocka_unit_test(test_via_iterator),
		cmocka_unit_test(test_via_fast_agrees),
		cmocka_unit_test(test_nameaddr),
		cmocka_unit_test(test_contact_params),
		cmocka_unit_test(test_contact_iterator),
		cmocka_unit_test(test_route_iterator),
		cmocka_unit_test(test_cseq),
		cmocka_unit_test(test_callid_numbers),
		cmocka_unit_test(test_msg_accessors),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_tags_ctype_date_text),
		cmocka_unit_test(test_param_find),
		cmocka_unit_test(test_absent_inputs),
	};

	return cmocka_run_group_tests_name("sip_hdr", tests, NULL, NULL);
}
