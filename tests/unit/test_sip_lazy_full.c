/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast (lazy) path and the full validation agree on every corpus message
 * (issue 16): the torture corpus (tests/corpus/sip-torture/<set>/) and the SIP
 * parser fuzz seeds (tests/fuzz/corpus/fuzz_sip_parse/), each message whole
 * and cut at every offset.
 *
 * "lazy" is what the dataplane runs per message: sip_msg_parse() and only the
 * accessors that message needs (REGISTER: Request-URI, top Via, From, To and
 * its URI, Call-ID, CSeq, Expires, every Contact and its URI; other requests:
 * Request-URI, top Via, From, To, Call-ID, CSeq, Max-Forwards; responses: the
 * Via list and CSeq). "full" is sip_msg_parse() + sip_msg_validate(). Checked:
 *   - full accepts => lazy accepts (the fast path never refuses a valid message:
 *     its checks are a subset of the full ones, so what it rejects, full rejects);
 *   - both accept   => every field the lazy accessors extract equals what the
 *     general sub-parsers (those sip_msg_validate() runs) extract from the same
 *     header value: top Via, From, To, Call-ID, CSeq, Expires, Max-Forwards,
 *     each Contact.
 * Run from the repository root (tests/run.sh does).
 */
#include <dirent.h>
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

#define MAX_FILE 65536

static struct sip_msg msg;
static char buf[MAX_FILE];
static unsigned n_msgs, n_full_ok, n_lazy_ok;

static int
str_eq(struct sip_str a, struct sip_str b)
{
	if (a.len != b.len)
		return 0;
	if (a.len == 0)
		return 1;
	return a.p == b.p || memcmp(a.p, b.p, a.len) == 0;
}

static int
na_eq(const struct sip_nameaddr *a, const struct sip_nameaddr *b)
{
	return str_eq(a->display, b->display) && str_eq(a->uri, b->uri) &&
	       str_eq(a->params, b->params) && str_eq(a->tag, b->tag) &&
	       a->expires == b->expires && a->q == b->q && a->bracketed == b->bracketed &&
	       a->has_expires == b->has_expires && a->has_q == b->has_q && a->star == b->star;
}

static int
via_eq(const struct sip_via *a, const struct sip_via *b)
{
	return str_eq(a->protocol, b->protocol) && str_eq(a->version, b->version) &&
	       str_eq(a->transport, b->transport) && str_eq(a->host, b->host) &&
	       str_eq(a->params, b->params) && str_eq(a->branch, b->branch) &&
	       str_eq(a->received, b->received) && str_eq(a->maddr, b->maddr) &&
	       str_eq(a->rport_str, b->rport_str) && a->port == b->port &&
	       a->rport == b->rport && a->tp == b->tp && a->host_type == b->host_type &&
	       a->ttl == b->ttl;
}

/* ---- the general extraction, header by header (what sip_msg_validate() parses) ---- */

static int
full_nameaddr(const struct sip_msg *m, enum sip_hdr_id id, struct sip_nameaddr *na)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	const char *next;

	if (h == NULL)
		return 1;
	return sip_nameaddr_parse(na, h->value.p, h->value.p + h->value.len, 0, &next);
}

static int
full_top_via(const struct sip_msg *m, struct sip_via *v)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	const char *next;

	if (h == NULL)
		return 1;
	return sip_via_parse(v, h->value.p, h->value.p + h->value.len, &next);
}

/* The fields of m that both paths extract must be equal (m accepted by both). */
static void
fields_agree(const struct sip_msg *m, const char *name)
{
	struct sip_nameaddr a, b;
	struct sip_via va, vb;
	struct sip_cseq ca, cb;
	struct sip_str id;
	uint32_t ua, ub;
	const struct sip_hdr *h;
	int ra, rb;

	memset(&va, 0, sizeof(va));
	memset(&vb, 0, sizeof(vb));
	ra = sip_msg_top_via(m, &va);
	rb = full_top_via(m, &vb);
	if (ra != rb || (ra == 0 && !via_eq(&va, &vb)))
		fail_msg("%s: top Via differs (lazy %d, full %d)", name, ra, rb);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = sip_msg_from(m, &a);
	rb = full_nameaddr(m, SIP_HDR_FROM, &b);
	if (ra != rb || (ra == 0 && !na_eq(&a, &b)))
		fail_msg("%s: From differs (lazy %d, full %d)", name, ra, rb);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = sip_msg_to(m, &a);
	rb = full_nameaddr(m, SIP_HDR_TO, &b);
	if (ra != rb || (ra == 0 && !na_eq(&a, &b)))
		fail_msg("%s: To differs (lazy %d, full %d)", name, ra, rb);
	h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	ra = sip_msg_call_id(m, &id);
	if (h == NULL ? ra != 1 : (ra != 0 || !str_eq(id, h->value)))
		fail_msg("%s: Call-ID differs (lazy %d)", name, ra);
	h = sip_msg_hdr(m, SIP_HDR_CSEQ);
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	ra = sip_msg_cseq(m, &ca);
	rb = h == NULL ? 1 : sip_cseq_parse(&cb, &h->value);
	if (ra != rb || (ra == 0 && (ca.seq != cb.seq || !str_eq(ca.method, cb.method) ||
				     ca.method_id != cb.method_id)))
		fail_msg("%s: CSeq differs (lazy %d, full %d)", name, ra, rb);
	h = sip_msg_hdr(m, SIP_HDR_EXPIRES);
	ua = ub = 0;
	ra = sip_msg_expires(m, &ua);
	rb = h == NULL ? 1 : sip_uint_parse(&h->value, UINT32_MAX, &ub);
	if (ra != rb || ua != ub)
		fail_msg("%s: Expires differs (lazy %d %u, full %d %u)", name, ra, ua, rb, ub);
	h = sip_msg_hdr(m, SIP_HDR_MAX_FORWARDS);
	ua = ub = 0;
	ra = sip_msg_max_forwards(m, &ua);
	rb = h == NULL ? 1 : sip_uint_parse(&h->value, 255, &ub);
	if (ra != rb || ua != ub)
		fail_msg("%s: Max-Forwards differs (lazy %d %u, full %d %u)", name, ra, ua, rb, ub);
	/* every Contact: the iterator against the list walk of sip_msg_validate() */
	if (m->seen & (1ull << SIP_HDR_CONTACT)) {
		struct sip_iter it;
		unsigned k = 0;

		sip_iter_init(&it, m, SIP_HDR_CONTACT);
		for (h = sip_msg_hdr(m, SIP_HDR_CONTACT); h != NULL; h = sip_msg_hdr_next(m, h)) {
			const char *p = h->value.p, *end = h->value.p + h->value.len, *next;

			while (p < end) {
				memset(&a, 0, sizeof(a));
				memset(&b, 0, sizeof(b));
				ra = sip_contact_next(&it, &a);
				rb = sip_nameaddr_parse(&b, p, end, SIP_NA_LIST | SIP_NA_CONTACT,
							&next);
				if (ra != 1 || rb != 0 || !na_eq(&a, &b))
					fail_msg("%s: Contact %u differs (lazy %d, full %d)", name, k,
						 ra, rb);
				k++;
				if (next >= end)
					break;
				p = sip_skip_lws(next + 1, end);
			}
		}
		if (sip_contact_next(&it, &a) != 0)
			fail_msg("%s: Contact iterator gives more than %u values", name, k);
	}
}

/* ---- the fast path, as the dataplane runs it ---- */

static int
lazy_uri(const struct sip_str *s)
{
	struct sip_uri u;

	return sip_uri_parse(&u, s->p, s->len);
}

static int
lazy(struct sip_msg *m, const char *p, size_t len)
{
	struct sip_nameaddr from, to, c;
	struct sip_via v;
	struct sip_cseq cs;
	struct sip_str id;
	struct sip_iter it;
	uint32_t u;
	int rc;

	if ((rc = sip_msg_parse(m, p, len)) != 0)
		return rc;
	if (!m->is_request) {
		sip_iter_init(&it, m, SIP_HDR_VIA);
		while ((rc = sip_via_next(&it, &v)) == 1)
			;
		if (rc < 0)
			return rc;
		return sip_msg_cseq(m, &cs) < 0 ? -1 : 0;
	}
	if ((rc = lazy_uri(&m->ruri)) != 0 || (rc = sip_msg_top_via(m, &v)) < 0 ||
	    (rc = sip_msg_from(m, &from)) < 0 || (rc = sip_msg_to(m, &to)) < 0 ||
	    (rc = sip_msg_call_id(m, &id)) < 0 || (rc = sip_msg_cseq(m, &cs)) < 0)
		return rc;
	if (m->method != SIP_METHOD_REGISTER)
		return (rc = sip_msg_max_forwards(m, &u)) < 0 ? rc : 0;
	if ((rc = lazy_uri(&to.uri)) != 0)
		return rc;
	/* a value past 2^32-1 is tolerated (RFC 4475 §3.1.2.4): the default expiry */
	if ((rc = sip_msg_expires(m, &u)) < 0 && rc != -SIP_ERR_NUM_RANGE)
		return rc;
	sip_iter_init(&it, m, SIP_HDR_CONTACT);
	while ((rc = sip_contact_next(&it, &c)) == 1)
		if (!c.star && (rc = lazy_uri(&c.uri)) != 0)
			return rc;
	return rc;
}

static void
check_one(const char *name, const char *p, size_t len)
{
	int rl, rf;

	rl = lazy(&msg, p, len);
	rf = sip_msg_parse(&msg, p, len);
	if (rf == 0)
		rf = sip_msg_validate(&msg);
	n_msgs++;
	n_full_ok += rf == 0;
	n_lazy_ok += rl == 0;
	if (rf == 0 && rl != 0)
		fail_msg("%s (%zu octets): full accepts, lazy rejects (%d %s)", name, len, rl,
			 sip_err_name(rl));
	if (rl == 0 && rf == 0) {
		assert_int_equal(sip_msg_parse(&msg, p, len), 0);
		fields_agree(&msg, name);
	}
}

static int
is_msg_file(const char *n)
{
	size_t l = strlen(n);

	if (n[0] == '.' || strcmp(n, "EXPECT.tsv") == 0)
		return 0;
	return l < 3 || strcmp(n + l - 3, ".md") != 0;
}

static unsigned
check_dir(const char *dir)
{
	char path[1024];
	struct dirent *de;
	unsigned files = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		fail_msg("cannot open %s (run from the repository root)", dir);
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		size_t len, cut;

		if (!is_msg_file(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;           /* a directory */
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		files++;
		for (cut = 0; cut <= len; cut++)
			check_one(path, buf, cut);
	}
	closedir(d);
	return files;
}

static void
test_torture(void **state)
{
	static const char *const sets[] = { "tests/corpus/sip-torture/rfc4475",
					    "tests/corpus/sip-torture/rfc5118" };
	unsigned files = 0, i;

	(void)state;
	n_msgs = n_full_ok = n_lazy_ok = 0;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		files += check_dir(sets[i]);
	print_message("torture: %u files, %u messages with their cuts, %u accepted by full, "
		      "%u by lazy\n", files, n_msgs, n_full_ok, n_lazy_ok);
	assert_true(files >= 40);
	assert_true(n_full_ok > 0);
}

static void
test_fuzz_seeds(void **state)
{
	unsigned files;

	(void)state;
	n_msgs = n_full_ok = n_lazy_ok = 0;
	files = check_dir("tests/fuzz/corpus/fuzz_sip_parse");
	print_message("fuzz seeds: %u files, %u messages with their cuts, %u accepted by full, "
		      "%u by lazy\n", files, n_msgs, n_full_ok, n_lazy_ok);
	assert_true(files >= 10);
	assert_true(n_full_ok > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torture),
		cmocka_unit_test(test_fuzz_seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
