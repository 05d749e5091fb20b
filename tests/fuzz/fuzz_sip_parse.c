/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the SIP parser: sip_msg_parse() with every splitter level
 * (their results must be identical), sip_msg_validate(), then every sub-parser
 * on every value it finds, and the sub-parsers once more directly on the raw
 * bytes. Built by `make build/fuzz/fuzz_sip_parse` (clang, ASan + UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/sip/sip_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
check_str(const struct sip_str *s, const char *buf, size_t len)
{
	if (!s->p)
		return;
	check(s->p >= buf && s->p + s->len <= buf + len);
}

static void
use_uri(const struct sip_str *s, const char *buf, size_t len)
{
	struct sip_uri u;
	struct sip_str v;

	if (!s->p)
		return;
	if (sip_uri_parse(&u, s->p, s->len) == 0) {
		check_str(&u.user, buf, len);
		check_str(&u.host, buf, len);
		check_str(&u.params, buf, len);
		check_str(&u.headers, buf, len);
		sip_param_find(&u.params, "transport", &v);
		sip_param_find(&u.params, "lr", &v);
	}
}

static void
use_msg(const struct sip_msg *m, const char *buf, size_t len)
{
	struct sip_iter it;
	struct sip_via v;
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct sip_str s;
	uint32_t u;
	int rc, guard;

	if (sip_msg_top_via(m, &v) == 0)
		check_str(&v.branch, buf, len);
	if (sip_msg_from(m, &na) == 0)
		use_uri(&na.uri, buf, len);
	if (sip_msg_to(m, &na) == 0)
		use_uri(&na.uri, buf, len);
	sip_msg_call_id(m, &s);
	sip_msg_cseq(m, &cs);
	sip_msg_expires(m, &u);
	sip_msg_max_forwards(m, &u);
	if (m->is_request)
		use_uri(&m->ruri, buf, len);

	sip_iter_init(&it, m, SIP_HDR_VIA);
	for (guard = 0; (rc = sip_via_next(&it, &v)) == 1; guard++) {
		check(guard < 65536);
		check_str(&v.host, buf, len);
		sip_param_find(&v.params, "branch", &s);
	}
	sip_iter_init(&it, m, SIP_HDR_CONTACT);
	for (guard = 0; (rc = sip_contact_next(&it, &na)) == 1; guard++) {
		check(guard < 65536);
		use_uri(&na.uri, buf, len);
		sip_param_find(&na.params, "expires", &s);
	}
	for (unsigned id = SIP_HDR_ROUTE; id <= SIP_HDR_PATH; id++) {
		sip_iter_init(&it, m, (enum sip_hdr_id)id);
		for (guard = 0; (rc = sip_route_next(&it, &na)) == 1; guard++) {
			check(guard < 65536);
			use_uri(&na.uri, buf, len);
		}
	}
	sip_iter_init(&it, m, SIP_HDR_SUPPORTED);
	for (guard = 0; sip_tag_next(&it, &s) == 1; guard++)
		check(guard < 65536);
	for (unsigned i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		struct sip_auth a;
		struct sip_ctype ct;
		check_str(&h->name, buf, len);
		check_str(&h->value, buf, len);
		sip_auth_parse(&a, &h->value);
		sip_ctype_parse(&ct, &h->value);
		sip_date_check(&h->value);
		sip_callid_check(&h->value);
		sip_cseq_parse(&cs, &h->value);
		sip_text_check(&h->value);
	}
}

static void
raw_subparsers(const char *p, size_t n)
{
	struct sip_uri u;
	struct sip_via v;
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct sip_auth a;
	struct sip_ctype ct;
	struct sip_str s = { p, (uint16_t)n }, val;
	const char *next, *end = p + n;
	uint32_t x;

	sip_uri_parse(&u, p, n);
	if (sip_via_parse(&v, p, end, &next) == 0)
		check(next >= p && next <= end);
	for (unsigned f = 0; f < 8; f++)
		if (sip_nameaddr_parse(&na, p, end, f, &next) == 0)
			check(next >= p && next <= end);
	sip_cseq_parse(&cs, &s);
	sip_callid_check(&s);
	sip_uint_parse(&s, UINT32_MAX, &x);
	sip_auth_parse(&a, &s);
	sip_ctype_parse(&ct, &s);
	sip_date_check(&s);
	sip_param_find(&s, "tag", &val);
	sip_ipv6_check(p, n);
	sip_ipv4_check(p, n);
	sip_hdr_lookup(p, n);
	sip_method_lookup(p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m, m2;
	const char *buf = (const char *)data;
	char reason[128];
	int rc, rc2;

	if (size > SIP_MAX_MSG + 16)
		return 0;
	sip_parse_set_isa(SIP_ISA_SCALAR);
	rc = sip_msg_parse(&m, buf, size);
	for (int isa = SIP_ISA_SSE2; isa <= SIP_ISA_AVX512; isa++) {
		if ((int)sip_parse_set_isa((enum sip_isa)isa) != isa)
			break;
		rc2 = sip_msg_parse(&m2, buf, size);
		check(rc == rc2 && m.err == m2.err && m.err_off == m2.err_off &&
		      m.n_hdrs == m2.n_hdrs && m.body_off == m2.body_off);
		for (unsigned i = 0; i < m.n_hdrs; i++)
			check(m.hdrs[i].value.p == m2.hdrs[i].value.p &&
			      m.hdrs[i].value.len == m2.hdrs[i].value.len &&
			      m.hdrs[i].id == m2.hdrs[i].id && m.hdrs[i].next == m2.hdrs[i].next);
	}
	if (rc == 0) {
		check(m.body.p >= buf && m.body.p + m.body.len <= buf + size);
		use_msg(&m, buf, size);
		rc = sip_msg_validate(&m);
	}
	sip_msg_reason(&m, reason, sizeof(reason));
	check(rc == 0 || m.err != 0);
	if (size <= SIP_MAX_MSG)
		raw_subparsers(buf, size);
	return 0;
}
