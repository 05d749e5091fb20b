/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshard-gen's request templates and reply scanning (perf/gen_sip.c, compiled
 * in here: the generator's modules are not in the library): every request
 * written from a template has a valid UDP checksum and the fields it was given,
 * and a reply's top Via branch, Call-ID and CSeq are read back.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "perf/gen_sip.c"

#define RUNID 0x1234abcdu

static void
mk_tpl(struct gen_tpl *t, enum gen_workload wl, uint32_t aors)
{
	static struct gen_cfg c;
	struct gen_net net = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 },
			       htonl(0xc6120065), htonl(0xc6120001), 5060, 5060 };

	memset(&c, 0, sizeof(c));
	c.wl.type = wl;
	c.wl.aors = aors;
	c.wl.expires = 3600;
	snprintf(c.wl.domain, sizeof(c.wl.domain), "example.com");
	assert_int_equal(gen_tpl_build(t, &c, &net, RUNID), 0);
}

/* The UDP checksum of frame F, checked the slow way: 0 when right. */
static uint16_t
udp_check(const uint8_t *f, uint16_t len)
{
	uint16_t ulen = (uint16_t)(len - GEN_UDP_OFF);
	uint32_t sum = gen_cksum_add(0, f + 26, 8, 0) + 17 + ulen;

	sum = gen_cksum_add(sum, f + GEN_UDP_OFF, ulen, 0);
	return (uint16_t)~gen_cksum_fold(sum);
}

static uint64_t
lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 11;
}

static void
checksums_and_fields(void **state)
{
	static const enum gen_workload wls[] = { GEN_WL_REGISTER, GEN_WL_INVITE, GEN_WL_OPTIONS };
	static struct gen_tpl t;
	uint8_t f[GEN_FRAME_MAX];
	uint64_t x = 42;
	unsigned int w, i;
	char want[64];

	(void)state;
	for (w = 0; w < 3; w++) {
		mk_tpl(&t, wls[w], 100000);
		for (i = 0; i < 20000; i++) {
			struct gen_req r = { lcg(&x), (uint32_t)lcg(&x), (uint32_t)(lcg(&x) % 100000),
					     lcg(&x), GEN_CSEQ_BASE + (uint32_t)(lcg(&x) % 100000000) };
			uint16_t len = gen_tpl_write(&t, f, &r);

			if (i < 4) {   /* the edges: all zeros and all nines / f */
				r.seq = i & 1 ? UINT64_MAX : 0;
				r.tag = i & 1 ? UINT32_MAX : 0;
				r.user = i & 1 ? 99999 : 0;
				r.callid = r.seq;
				r.cseq = i & 1 ? 999999999 : GEN_CSEQ_BASE;
				len = gen_tpl_write(&t, f, &r);
			}
			assert_int_equal(len, t.len);
			assert_int_equal(udp_check(f, len), 0);
			snprintf(want, sizeof(want), "branch=z9hG4bK-%08x-%016llx;", RUNID,
				 (unsigned long long)r.seq);
			assert_non_null(memmem(f, len, want, strlen(want)));
			snprintf(want, sizeof(want), "Call-ID: %016llx-", (unsigned long long)r.callid);
			assert_non_null(memmem(f, len, want, strlen(want)));
			snprintf(want, sizeof(want), "CSeq: %09u %s\r\n", r.cseq, t.method);
			assert_non_null(memmem(f, len, want, strlen(want)));
			snprintf(want, sizeof(want), ";tag=%08x\r\n", r.tag);
			assert_non_null(memmem(f, len, want, strlen(want)));
			if (wls[w] == GEN_WL_REGISTER) {
				snprintf(want, sizeof(want), "To: <sip:u%05u@", r.user);
				assert_non_null(memmem(f, len, want, strlen(want)));
			}
		}
	}
}

static void
scan_reply(void **state)
{
	char suffix[64], msg[512];
	struct gen_sip_msg m;
	size_t sl;
	int n;

	(void)state;
	sl = gen_sip_callid_suffix(suffix, sizeof(suffix), RUNID, htonl(0xc6120065));
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.101:5060;branch=z9hG4bK-%08x-"
		     "00000000000000ff;rport=5060\r\nFrom: <sip:u1@example.com>;tag=1\r\n"
		     "To: <sip:u1@example.com>;tag=2\r\nCall-ID: 0123456789abcdef%s\r\n"
		     "CSeq: 100000007 REGISTER\r\nContact: <sip:u1@198.18.0.101:5060>;expires=3600\r\n"
		     "Content-Length: 0\r\n\r\n", RUNID, suffix);
	assert_int_equal(gen_sip_scan(msg, (size_t)n, RUNID, suffix, sl, &m), 0);
	assert_false(m.is_request);
	assert_int_equal(m.status, 200);
	assert_true(m.ours);
	assert_int_equal(m.seq, 0xff);
	assert_true(m.has_callid);
	assert_true(m.callid_ours);
	assert_int_equal(m.callid, 0x0123456789abcdefull);
	assert_int_equal(m.cseq, 100000007);
	assert_string_equal(m.cseq_method, "REGISTER");
	/* CSeq before Call-ID, compact forms */
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 401 Unauthorized\r\nv: SIP/2.0/UDP 198.18.0.101:5060;branch=z9hG4bK-%08x-"
		     "0000000000000010\r\nCSeq: 100000001 REGISTER\r\ni: 00000000000000aa%s\r\n\r\n",
		     RUNID, suffix);
	assert_int_equal(gen_sip_scan(msg, (size_t)n, RUNID, suffix, sl, &m), 0);
	assert_int_equal(m.status, 401);
	assert_int_equal(m.seq, 0x10);
	assert_int_equal(m.callid, 0xaa);
	assert_int_equal(m.cseq, 100000001);
	/* a reflected request: fields before the Via, fields starting with the
	 * same letters as ours (Contact, Content-Type), lower-case names */
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:example.com SIP/2.0\r\nMax-Forwards: 70\r\nX-Via: nothing\r\n"
		     "via: SIP/2.0/UDP 198.18.0.101:5060;branch=z9hG4bK-%08x-0000000000000abc;rport\r\n"
		     "Contact: <sip:u1@198.18.0.101>\r\nContent-Type: text/plain\r\n"
		     "From: <sip:u1@example.com>;tag=1\r\ncall-id: 00000000000000bb%s\r\n"
		     "cseq: 100000009 REGISTER\r\n\r\n", RUNID, suffix);
	assert_int_equal(gen_sip_scan(msg, (size_t)n, RUNID, suffix, sl, &m), 0);
	assert_true(m.is_request);
	assert_true(m.ours);
	assert_int_equal(m.seq, 0xabc);
	assert_true(m.callid_ours);
	assert_int_equal(m.callid, 0xbb);
	assert_int_equal(m.cseq, 100000009);
	assert_string_equal(m.cseq_method, "REGISTER");
	/* the branch parameter in any case, after LWS; "branch=" inside another
	 * parameter's value is not it; a digit that is not hex: not ours */
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;rport=1 ;  BRANCH=z9hG4bK-%08x-"
		     "00000000000000Fe\r\nCSeq: 1 REGISTER\r\n\r\n", RUNID);
	assert_int_equal(gen_sip_scan(msg, (size_t)n, RUNID, suffix, sl, &m), 0);
	assert_true(m.ours);
	assert_int_equal(m.seq, 0xfe);
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;x=branch=z9hG4bK-%08x-"
		     "00000000000000fe\r\nCSeq: 1 REGISTER\r\n\r\n", RUNID);
	assert_int_equal(gen_sip_scan(msg, (size_t)n, RUNID, suffix, sl, &m), 0);
	assert_false(m.ours);
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-%08x-"
		     "00000000000000fg\r\nCSeq: 1 REGISTER\r\n\r\n", RUNID);
	assert_int_equal(gen_sip_scan(msg, (size_t)n, RUNID, suffix, sl, &m), 0);
	assert_false(m.ours);
}

/* The reflect fast path reads what the scan reads, and gives way to the scan
 * (false) when an octet it relies on differs from the template. */
static void
reflected_fast_path(void **state)
{
	static const enum gen_workload wls[] = { GEN_WL_REGISTER, GEN_WL_INVITE, GEN_WL_OPTIONS };
	static struct gen_tpl t;
	char suffix[64];
	uint8_t f[GEN_FRAME_MAX];
	uint64_t x = 7;
	unsigned int w, i, k;
	size_t sl;

	(void)state;
	sl = gen_sip_callid_suffix(suffix, sizeof(suffix), RUNID, htonl(0xc6120065));
	for (w = 0; w < 3; w++) {
		mk_tpl(&t, wls[w], 100000);
		for (i = 0; i < 5000; i++) {
			struct gen_req r = { lcg(&x), (uint32_t)lcg(&x), (uint32_t)(lcg(&x) % 100000),
					     lcg(&x), GEN_CSEQ_BASE + (uint32_t)(lcg(&x) % 100000000) };
			struct gen_sip_msg fast, scan;
			uint16_t len = gen_tpl_write(&t, f, &r);
			uint8_t mac[6];

			memcpy(mac, f, 6);                      /* as testpmd macswap sends it back */
			memcpy(f, f + 6, 6);
			memcpy(f + 6, mac, 6);
			assert_true(gen_sip_reflected(&t, f, len, &fast));
			assert_int_equal(gen_sip_scan((const char *)f + GEN_UDP_OFF + 8,
						      len - GEN_UDP_OFF - 8, RUNID, suffix, sl, &scan), 0);
			assert_true(scan.ours && fast.ours && scan.is_request && fast.is_request);
			assert_int_equal(fast.seq, r.seq);
			assert_int_equal(scan.seq, r.seq);
			assert_true(scan.callid_ours && fast.callid_ours);
			assert_int_equal(fast.callid, r.callid);
			assert_int_equal(scan.callid, r.callid);
			assert_int_equal(fast.cseq, r.cseq);
			assert_int_equal(scan.cseq, r.cseq);
			assert_string_equal(fast.cseq_method, scan.cseq_method);
			if (i >= 8)
				continue;
			/* one octet changed where the fast path relies on the template:
			 * it gives way; in a field's digits: a non-digit is refused */
			for (k = 0; k < t.n_fields; k++) {
				const struct gen_tpl_field *fl = &t.f[k];
				uint8_t keep;

				if (fl->id != GEN_F_SEQ && fl->id != GEN_F_CALLID && fl->id != GEN_F_CSEQ)
					continue;
				keep = f[fl->off - 3];
				f[fl->off - 3] ^= 0x01;
				assert_false(gen_sip_reflected(&t, f, len, &fast));
				f[fl->off - 3] = keep;
				keep = f[fl->off + fl->width + 2];
				f[fl->off + fl->width + 2] ^= 0x01;
				assert_false(gen_sip_reflected(&t, f, len, &fast));
				f[fl->off + fl->width + 2] = keep;
				keep = f[fl->off + 1];
				f[fl->off + 1] = 'g';
				assert_false(gen_sip_reflected(&t, f, len, &fast));
				f[fl->off + 1] = keep;
			}
			assert_false(gen_sip_reflected(&t, f, len - 1u, &fast));   /* other length */
			f[GEN_UDP_OFF + 1] ^= 0x01;                      /* other port */
			assert_false(gen_sip_reflected(&t, f, len, &fast));
			f[GEN_UDP_OFF + 1] ^= 0x01;
			assert_true(gen_sip_reflected(&t, f, len, &fast));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checksums_and_fields),
		cmocka_unit_test(scan_reply),
		cmocka_unit_test(reflected_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
