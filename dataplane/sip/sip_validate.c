/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Full validation of a framed message: every sub-parser over every known header
 * field, in message order, so the verdict names the first fault. What
 * sipshard-parse and the torture tests report; the fast path need not call it.
 */
#include <stdint.h>
#include <string.h>

#include "dataplane/sip/sip_lex.h"
#include "dataplane/sip/sip_parse.h"

static int
uri_check(const struct sip_str *s)
{
	struct sip_uri u;

	return sip_uri_parse(&u, s->p, s->len);
}

/* One name-addr list or single value: every element and its URI. */
static int
nameaddr_check(const struct sip_hdr *h, unsigned flags, int *star, int *n_addr)
{
	const char *p = h->value.p, *end = h->value.p + h->value.len, *next;
	struct sip_nameaddr na;
	int rc;

	if (h->value.len == 0)
		return -SIP_ERR_EMPTY_VALUE;
	for (;;) {
		rc = sip_nameaddr_parse(&na, p, end, flags, &next);
		if (rc)
			return rc;
		if (na.star) {
			(*star)++;
		} else {
			rc = uri_check(&na.uri);
			if (rc)
				return rc;
			(*n_addr)++;
		}
		if (next >= end)
			return 0;
		p = sip_skip_lws(next + 1, end);
		if (p >= end || *p == ',')
			return -SIP_ERR_EMPTY_ELEMENT;
	}
}

static int
via_check(const struct sip_hdr *h)
{
	const char *p = h->value.p, *end = h->value.p + h->value.len, *next;
	struct sip_via v;
	int rc;

	if (h->value.len == 0)
		return -SIP_ERR_EMPTY_VALUE;
	for (;;) {
		rc = sip_via_parse(&v, p, end, &next);
		if (rc)
			return rc;
		if (next >= end)
			return 0;
		p = sip_skip_lws(next + 1, end);
		if (p >= end || *p == ',')
			return -SIP_ERR_EMPTY_ELEMENT;
	}
}

/* A comma-separated token list (option-tags, methods, event types). */
static int
tokens_check(const struct sip_hdr *h, int need_one)
{
	const char *p = h->value.p, *end = h->value.p + h->value.len, *q;

	if (h->value.len == 0)
		return need_one ? -SIP_ERR_EMPTY_VALUE : 0;
	for (;;) {
		q = sip_skip(p, end, SIP_C_TOKEN);
		if (q == p)
			return *p == ',' ? -SIP_ERR_EMPTY_ELEMENT : -SIP_ERR_BAD_TOKEN;
		p = sip_skip_lws(q, end);
		if (p >= end)
			return 0;
		if (*p != ',')
			return -SIP_ERR_BAD_TOKEN;
		p = sip_skip_lws(p + 1, end);
		if (p >= end)
			return -SIP_ERR_EMPTY_ELEMENT;
	}
}

static int
hdr_check(struct sip_msg *m, const struct sip_hdr *h, int *star, int *n_contact)
{
	int n = 0;
	uint32_t u;

	switch (h->id) {
	case SIP_HDR_VIA:
		return via_check(h);
	case SIP_HDR_FROM:
	case SIP_HDR_TO:
	case SIP_HDR_REFER_TO:
	case SIP_HDR_REFERRED_BY:
		return nameaddr_check(h, 0, &n, &n);
	case SIP_HDR_P_ASSERTED_IDENTITY:
	case SIP_HDR_P_PREFERRED_IDENTITY:
		return nameaddr_check(h, SIP_NA_LIST | SIP_NA_NEED_BRACKETS, &n, &n);
	case SIP_HDR_CONTACT:
		return nameaddr_check(h, SIP_NA_LIST | SIP_NA_CONTACT, star, n_contact);
	case SIP_HDR_ROUTE:
	case SIP_HDR_RECORD_ROUTE:
	case SIP_HDR_PATH:
		return nameaddr_check(h, SIP_NA_LIST | SIP_NA_NEED_BRACKETS, &n, &n);
	case SIP_HDR_CALL_ID:
		return sip_callid_check(&h->value);
	case SIP_HDR_CSEQ: {
		struct sip_cseq c;
		int rc = sip_cseq_parse(&c, &h->value);
		if (rc)
			return rc;
		if (m->is_request && (c.method.len != m->method_str.len ||
				      memcmp(c.method.p, m->method_str.p, c.method.len)))
			return -SIP_ERR_CSEQ_MISMATCH;
		return 0;
	}
	case SIP_HDR_MAX_FORWARDS:
		return sip_uint_parse(&h->value, 255, &u);
	case SIP_HDR_EXPIRES:
	case SIP_HDR_MIN_EXPIRES: {
		/* a value past 2^32-1 is tolerated (RFC 4475 §3.1.2.4) */
		int rc = sip_uint_parse(&h->value, UINT32_MAX, &u);
		return rc == -SIP_ERR_NUM_RANGE ? 0 : rc;
	}
	case SIP_HDR_CONTENT_LENGTH:
		return 0;               /* checked by sip_msg_parse() */
	case SIP_HDR_CONTENT_TYPE: {
		struct sip_ctype ct;
		return sip_ctype_parse(&ct, &h->value);
	}
	case SIP_HDR_AUTHORIZATION:
	case SIP_HDR_PROXY_AUTHORIZATION:
	case SIP_HDR_WWW_AUTHENTICATE:
	case SIP_HDR_PROXY_AUTHENTICATE: {
		struct sip_auth a;
		return sip_auth_parse(&a, &h->value);
	}
	case SIP_HDR_REQUIRE:
	case SIP_HDR_PROXY_REQUIRE:
		return tokens_check(h, 1);
	case SIP_HDR_SUPPORTED:
	case SIP_HDR_UNSUPPORTED:
	case SIP_HDR_ALLOW:
	case SIP_HDR_ALLOW_EVENTS:
		return tokens_check(h, 0);
	case SIP_HDR_DATE:
		return sip_date_check(&h->value);
	default:
		return sip_text_check(&h->value);
	}
}

/* ---- any thread ---- */

int
sip_msg_validate(struct sip_msg *m)
{
	const char *p, *hend;
	int star = 0, n_contact = 0, rc;

	if (m->err != SIP_ERR_OK)
		return -m->err;
	/* a CR is only allowed as part of CRLF */
	hend = m->buf + m->body_off;
	for (p = m->buf; p < hend; p++) {
		p = memchr(p, '\r', (size_t)(hend - p));
		if (!p)
			break;
		if (p + 1 >= hend || p[1] != '\n')
			return sip_msg_set_err(m, -SIP_ERR_BAD_LINE_END, SIP_HDR_OTHER, p);
	}
	if (m->is_request) {
		struct sip_uri u;
		rc = sip_uri_parse(&u, m->ruri.p, m->ruri.len);
		if (rc) {
			sip_msg_set_err(m, -SIP_ERR_BAD_REQUEST_URI, SIP_HDR_OTHER, m->ruri.p);
			m->err_sub = (uint8_t)-rc;
			return -SIP_ERR_BAD_REQUEST_URI;
		}
		if ((u.type == SIP_URI_SIP || u.type == SIP_URI_SIPS) && u.headers.p)
			return sip_msg_set_err(m, -SIP_ERR_URI_HEADERS_FORBIDDEN, SIP_HDR_OTHER,
					       u.headers.p);
	}
	for (unsigned i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		if (h->id == SIP_HDR_OTHER) {
			rc = sip_text_check(&h->value);
		} else {
			rc = hdr_check(m, h, &star, &n_contact);
			if (!rc && h->id == SIP_HDR_CONTACT && star && (star > 1 || n_contact))
				rc = -SIP_ERR_BAD_STAR;
		}
		if (rc)
			return sip_msg_set_err(m, rc, (enum sip_hdr_id)h->id, h->value.p);
	}
	return 0;
}
