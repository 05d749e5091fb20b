/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the URI sub-parser (sip_uri_parse) and the host checks: SIP,
 * SIPS, tel and other schemes, user/password/host/port/params/headers, escapes,
 * IPv4 and IPv6 references (RFC 5118), every bound.
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

static struct sip_uri u;

static int
up(const char *s)
{
	return sip_uri_parse(&u, s, strlen(s));
}

static int
streq(const struct sip_str *s, const char *lit)
{
	return s->p && s->len == strlen(lit) && !memcmp(s->p, lit, s->len);
}

static void
test_sip_full(void **state)
{
	(void)state;
	assert_int_equal(up("sip:alice:secret@example.com:5070;transport=tcp;lr;maddr=239.255.255.1;"
			    "ttl=15;user=phone;method=INVITE;x-y=z?Subject=hi&Priority=urgent"), 0);
	assert_int_equal(u.type, SIP_URI_SIP);
	assert_true(streq(&u.scheme, "sip"));
	assert_true(streq(&u.user, "alice"));
	assert_true(streq(&u.password, "secret"));
	assert_true(streq(&u.host, "example.com"));
	assert_int_equal(u.host_type, SIP_HOST_NAME);
	assert_int_equal(u.port, 5070);
	assert_true(streq(&u.transport, "tcp"));
	assert_int_equal(u.lr, 1);
	assert_true(streq(&u.maddr, "239.255.255.1"));
	assert_int_equal(u.ttl, 15);
	assert_true(streq(&u.user_param, "phone"));
	assert_true(streq(&u.method, "INVITE"));
	assert_true(streq(&u.params, "transport=tcp;lr;maddr=239.255.255.1;ttl=15;user=phone;"
			  "method=INVITE;x-y=z"));
	assert_true(streq(&u.headers, "Subject=hi&Priority=urgent"));

	assert_int_equal(up("SIPS:example.com"), 0);
	assert_int_equal(u.type, SIP_URI_SIPS);
	assert_null(u.user.p);
	assert_int_equal(u.port, 0);
	assert_int_equal(u.ttl, -1);
	assert_null(u.params.p);
	assert_int_equal(up("sip:192.0.2.1"), 0);
	assert_int_equal(u.host_type, SIP_HOST_IPV4);
	assert_int_equal(up("sip:user@host.example.com."), 0);
}

static void
test_userinfo_and_escapes(void **state)
{
	(void)state;
	/* RFC 4475 intmeth: every legal user and password character */
	assert_int_equal(up("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*"
			    "pas$wo~d_too.(doesn't-it)@example.com"), 0);
	assert_true(streq(&u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
	assert_true(streq(&u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
	/* RFC 4475 esc01 / escnull / semiuri */
	assert_int_equal(up("sip:sips%3Auser%40example.com@example.net"), 0);
	assert_true(streq(&u.host, "example.net"));
	assert_int_equal(up("sip:null-%00-null@example.com"), 0);
	assert_int_equal(up("sip:user;par=u%40example.net@example.com"), 0);
	assert_true(streq(&u.user, "user;par=u%40example.net"));
	assert_int_equal(up("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31"), 0);
	assert_int_equal(u.lr, 0);              /* escaped names are not decoded */
	/* bad escapes and characters */
	assert_int_equal(up("sip:a%4@example.com"), -SIP_ERR_BAD_ESCAPE);
	assert_int_equal(up("sip:a%GG@example.com"), -SIP_ERR_BAD_ESCAPE);
	assert_int_equal(up("sip:a%"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:a%@h"), -SIP_ERR_BAD_ESCAPE);
	assert_int_equal(up("sip:@example.com"), -SIP_ERR_BAD_USERINFO);
	assert_int_equal(up("sip:a b@example.com"), -SIP_ERR_BAD_USERINFO);
	assert_int_equal(up("sip:a\"b@example.com"), -SIP_ERR_BAD_USERINFO);
	assert_int_equal(up("sip:a:p@ss@example.com"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:a:p;w@example.com"), -SIP_ERR_BAD_USERINFO);
	assert_int_equal(up("sip:h;p=%zz"), -SIP_ERR_BAD_ESCAPE);
	assert_int_equal(up("sip:h?a=%zz"), -SIP_ERR_BAD_ESCAPE);
}

static void
test_params_headers(void **state)
{
	struct sip_str v;
	(void)state;

	assert_int_equal(up("sip:h;a;b=c;LR"), 0);
	assert_int_equal(u.lr, 1);
	assert_int_equal(sip_param_find(&u.params, "b", &v), 0);
	assert_true(streq(&v, "c"));
	assert_int_equal(sip_param_find(&u.params, "a", &v), 0);
	assert_null(v.p);
	assert_int_equal(sip_param_find(&u.params, "lr", &v), 0);
	assert_int_equal(sip_param_find(&u.params, "zz", &v), 1);
	assert_int_equal(up("sip:h;"), -SIP_ERR_BAD_URI_PARAM);
	assert_int_equal(up("sip:h;;a"), -SIP_ERR_BAD_URI_PARAM);
	assert_int_equal(up("sip:h;a="), -SIP_ERR_BAD_URI_PARAM);
	assert_int_equal(up("sip:h;a=b c"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:h;ttl=255"), 0);
	assert_int_equal(u.ttl, 255);
	assert_int_equal(up("sip:h;ttl=256"), -SIP_ERR_BAD_URI_PARAM);
	assert_int_equal(up("sip:h;ttl=x"), -SIP_ERR_BAD_URI_PARAM);
	assert_int_equal(up("sip:h;maddr=bad..host"), -SIP_ERR_BAD_URI_PARAM);
	assert_int_equal(up("sip:h;maddr=[2001:db8::1]"), 0);
	/* RFC 4475 regescrt: escaped header inside a Contact URI */
	assert_int_equal(up("sip:user@example.com?Route=%3Csip:sip.example.com%3E"), 0);
	assert_true(streq(&u.headers, "Route=%3Csip:sip.example.com%3E"));
	assert_int_equal(up("sip:h?a=b&c="), 0);
	assert_int_equal(up("sip:h?a"), -SIP_ERR_BAD_URI_HEADER);
	assert_int_equal(up("sip:h?=b"), -SIP_ERR_BAD_URI_HEADER);
	assert_int_equal(up("sip:h?a=b&"), -SIP_ERR_BAD_URI_HEADER);
	assert_int_equal(up("sip:h?a=b<"), -SIP_ERR_BAD_URI_HEADER);
}

static void
test_port_bounds(void **state)
{
	(void)state;
	assert_int_equal(up("sip:h:1"), 0);
	assert_int_equal(u.port, 1);
	assert_int_equal(up("sip:h:65535"), 0);
	assert_int_equal(u.port, 65535);
	assert_int_equal(up("sip:h:065535"), 0);
	assert_int_equal(up("sip:h:65536"), -SIP_ERR_BAD_PORT);
	assert_int_equal(up("sip:h:0"), -SIP_ERR_BAD_PORT);
	assert_int_equal(up("sip:h:"), -SIP_ERR_BAD_PORT);
	assert_int_equal(up("sip:h:99999999999999999999"), -SIP_ERR_BAD_PORT);
	assert_int_equal(up("sip:h:5060x"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:h:5060:5060"), -SIP_ERR_BAD_PORT);
}

static void
test_hosts(void **state)
{
	(void)state;
	assert_int_equal(up("sip:a-b.c_d.example"), 0);
	assert_int_equal(up("sip:a..b"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:.a"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:u@"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:255.255.255.255"), 0);
	assert_int_equal(up("sip:256.1.1.1"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:1.2.3"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:1.2.3.4.5"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:0001.2.3.4"), -SIP_ERR_BAD_HOST);
	assert_int_equal(sip_ipv4_check("192.0.2.1", 9), 0);
	assert_int_equal(sip_ipv4_check("192.0.2.", 8), -SIP_ERR_BAD_HOST);
	assert_int_equal(sip_ipv4_check("", 0), -SIP_ERR_BAD_HOST);
}

/* sip_host_scan_in() (one 16-octet load) against sip_host_scan() (octet by
 * octet): the same end and verdict for hosts of every length 0..40 built from
 * host octets, digits, dots and stoppers, at every place in a 64-octet text,
 * with the readable text starting at, before or well before the host. */
static void
test_host_scan_in_agrees(void **state)
{
	static const char alpha[] = "0123456789..........aZ-_19x25.3:;>@[ \x80";
	char buf[128];
	unsigned int round, disagree = 0, ipv4 = 0, names = 0, bad = 0;

	(void)state;
	srand(16);
	for (round = 0; round < 200000; round++) {
		size_t len = (size_t)(rand() % 41), off = (size_t)(rand() % 24), tail, i;
		const char *lo, *p, *end, *a, *b;
		int ta = 0, tb = 0;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = alpha[rand() % (int)(sizeof(alpha) - 1)];
		if (round % 3 == 0) {   /* a dotted quad, sometimes off by a little */
			int n = snprintf(buf + 24 + off, 20, "%d.%d.%d.%d", rand() % 300,
					 rand() % 256, rand() % 256, rand() % 1100);
			buf[24 + off + (size_t)n] = (char)(rand() % 2 ? ':' : '.');
		}
		tail = (size_t)(rand() % 20);
		p = buf + 24 + off;
		end = p + len + tail > buf + sizeof(buf) ? buf + sizeof(buf) : p + len + tail;
		lo = rand() % 2 ? p : buf + (size_t)(rand() % (int)(24 + off));
		a = sip_host_scan(p, end, &ta);
		b = sip_host_scan_in(lo, p, end, &tb);
		if (a != b || ta != tb) {
			if (disagree++ < 5)
				print_message("disagree on \"%.*s\": %d %d / %d %d\n", (int)(end - p), p,
					      a ? (int)(a - p) : -1, ta, b ? (int)(b - p) : -1, tb);
		}
		ipv4 += tb == SIP_HOST_IPV4;
		names += tb == SIP_HOST_NAME;
		bad += tb < 0;
	}
	assert_int_equal(disagree, 0);
	/* every verdict was met many times */
	assert_true(ipv4 > 1000 && names > 1000 && bad > 1000);
}

static void
test_ipv6(void **state)
{
	static const char *const good[] = {
		"::", "::1", "1::", "2001:db8::10", "2001:db8::10:5070", "2001:db8::9:255",
		"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "::ffff:192.0.2.2",
		"2001:db8::192.0.2.1", "2001:db8:::192.0.2.1", "1:2:3:4:5:6:192.0.2.1",
		"FFFF:abcd::", "::192.0.2.1",
	};
	static const char *const bad[] = {
		"", ":", ":1", "1:", "1:::2", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
		"12345::", "g::", "1:2:3:4:5:6:7:192.0.2.1", "::ffff:192.0.2", "::ffff:1.2.3.256",
		"1::2:3:4:5:6:7:8", "2001:db8:::1", "[::1]",
	};
	char buf[64];
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (sip_ipv6_check(good[i], strlen(good[i])) != 0)
			fail_msg("IPv6 %s should be valid", good[i]);
		snprintf(buf, sizeof(buf), "sip:u@[%s]:5060", good[i]);
		assert_int_equal(up(buf), 0);
		assert_int_equal(u.host_type, SIP_HOST_IPV6);
		assert_int_equal(u.port, 5060);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip_ipv6_check(bad[i], strlen(bad[i])) == 0)
			fail_msg("IPv6 %s should be invalid", bad[i]);
		snprintf(buf, sizeof(buf), "sip:u@[%s]", bad[i]);
		assert_int_equal(up(buf), -SIP_ERR_BAD_IPV6);
	}
	/* RFC 5118 */
	assert_int_equal(up("sip:[2001:db8::10]"), 0);
	assert_true(streq(&u.host, "[2001:db8::10]"));
	assert_int_equal(up("sip:[2001:db8::10]:5070"), 0);
	assert_int_equal(u.port, 5070);
	assert_int_equal(up("sip:[2001:db8::10:5070]"), 0);
	assert_int_equal(u.port, 0);
	assert_int_equal(up("sip:2001:db8::10"), -SIP_ERR_BAD_HOST);
	assert_int_equal(up("sip:[2001:db8::10"), -SIP_ERR_BAD_IPV6);
	assert_int_equal(up("sip:[2001:db8::10]x"), -SIP_ERR_BAD_HOST);
}

static void
test_tel(void **state)
{
	(void)state;
	assert_int_equal(up("tel:+1-201-555-0123"), 0);
	assert_int_equal(u.type, SIP_URI_TEL);
	assert_true(streq(&u.user, "+1-201-555-0123"));
	assert_int_equal(up("tel:7042;phone-context=example.com"), 0);
	assert_true(streq(&u.user, "7042"));
	assert_true(streq(&u.params, "phone-context=example.com"));
	assert_int_equal(up("tel:*21#;phone-context=+1"), 0);
	assert_int_equal(up("TEL:+(1)555.0123"), 0);
	assert_int_equal(up("tel:+"), -SIP_ERR_BAD_USERINFO);
	assert_int_equal(up("tel:+12a"), -SIP_ERR_BAD_USERINFO);
	assert_int_equal(up("tel:12 3"), -SIP_ERR_BAD_USERINFO);
	assert_int_equal(up("tel:123;"), -SIP_ERR_BAD_URI_PARAM);
	assert_int_equal(up("tel:"), -SIP_ERR_BAD_URI);
}

static void
test_other_schemes(void **state)
{
	(void)state;
	/* RFC 4475 unkscm, novelsc, unksm2 */
	assert_int_equal(up("nobodyKnowsThisScheme:totallyopaquecontent"), 0);
	assert_int_equal(u.type, SIP_URI_OTHER);
	assert_true(streq(&u.scheme, "nobodyKnowsThisScheme"));
	assert_true(streq(&u.opaque, "totallyopaquecontent"));
	assert_int_equal(up("soap.beep://192.0.2.103:3002"), 0);
	assert_int_equal(up("isbn:2983792873"), 0);
	assert_int_equal(up("http://www.example.com"), 0);
	assert_int_equal(up("name:John_Smith"), 0);
	assert_int_equal(up("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"), 0);
	assert_int_equal(up("http://x/%41"), 0);
	assert_int_equal(up("http://x/%4"), -SIP_ERR_BAD_ESCAPE);
	assert_int_equal(up("http://x/a b"), -SIP_ERR_BAD_URI);
	assert_int_equal(up("x:"), -SIP_ERR_BAD_URI);
	assert_int_equal(up("<sip:a@b>"), -SIP_ERR_BAD_SCHEME);
	assert_int_equal(up("1sip:a"), -SIP_ERR_BAD_SCHEME);
	assert_int_equal(up("sip"), -SIP_ERR_BAD_SCHEME);
	assert_int_equal(up("s_p:x"), -SIP_ERR_BAD_SCHEME);
	assert_int_equal(up(""), -SIP_ERR_BAD_URI);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sip_full),
		cmocka_unit_test(test_userinfo_and_escapes),
		cmocka_unit_test(test_params_headers),
		cmocka_unit_test(test_port_bounds),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_host_scan_in_agrees),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_tel),
		cmocka_unit_test(test_other_schemes),
	};

	return cmocka_run_group_tests_name("sip_uri", tests, NULL, NULL);
}
