/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * URI sub-parser: SIP and SIPS URIs (RFC 3261 §19.1, §25.1), tel URIs (RFC 3966)
 * and any other absoluteURI (RFC 2396, scheme ":" uric). Validates the
 * characters and %-escapes of every part, never decodes.
 */
#include <stdint.h>
#include <string.h>

#include "dataplane/sip/sip_lex.h"
#include "dataplane/sip/sip_parse.h"

/* Field by field: a memset of the struct becomes a slow `rep stos`. */
static void
uri_init(struct sip_uri *u)
{
	u->scheme = SIP_STR_NONE;
	u->user = SIP_STR_NONE;
	u->password = SIP_STR_NONE;
	u->host = SIP_STR_NONE;
	u->params = SIP_STR_NONE;
	u->headers = SIP_STR_NONE;
	u->opaque = SIP_STR_NONE;
	u->transport = SIP_STR_NONE;
	u->maddr = SIP_STR_NONE;
	u->user_param = SIP_STR_NONE;
	u->method = SIP_STR_NONE;
	u->port = 0;
	u->type = SIP_URI_OTHER;
	u->host_type = SIP_HOST_NONE;
	u->lr = 0;
	u->ttl = -1;
}

/* Remember the uri-parameters routing looks at. */
static int
uri_param(struct sip_uri *u, const char *n, const char *ne, const char *v, const char *ve)
{
	size_t len = (size_t)(ne - n);

	switch (len) {
	case 2:
		if (sip_lc_eq(n, "lr", 2))
			u->lr = 1;
		break;
	case 3:
		if (sip_lc_eq(n, "ttl", 3)) {
			uint32_t t;
			if (!v || sip_dec_parse(v, ve, 255, &t) < 0)
				return -SIP_ERR_BAD_URI_PARAM;
			u->ttl = (int16_t)t;
		}
		break;
	case 4:
		if (sip_lc_eq(n, "user", 4))
			u->user_param = v ? sip_mkstr(v, ve) : sip_mkstr(ne, ne);
		break;
	case 5:
		if (sip_lc_eq(n, "maddr", 5)) {
			if (!v || sip_host_check(v, ve) < 0)
				return -SIP_ERR_BAD_URI_PARAM;
			u->maddr = sip_mkstr(v, ve);
		}
		break;
	case 6:
		if (sip_lc_eq(n, "method", 6))
			u->method = v ? sip_mkstr(v, ve) : sip_mkstr(ne, ne);
		break;
	case 9:
		if (sip_lc_eq(n, "transport", 9))
			u->transport = v ? sip_mkstr(v, ve) : sip_mkstr(ne, ne);
		break;
	default:
		break;
	}
	return 0;
}

/* *(";" pname ["=" pvalue]) starting at p == ';'; stops at '?' or end. */
static const char *
uri_params(struct sip_uri *u, const char *p, const char *end, int *err)
{
	while (p < end && *p == ';') {
		const char *n = p + 1, *ne, *v = NULL, *ve = NULL;
		ne = sip_skip_esc(n, end, SIP_C_PARAM);
		if (!ne || ne == n) {
			*err = ne ? SIP_ERR_BAD_URI_PARAM : SIP_ERR_BAD_ESCAPE;
			return NULL;
		}
		p = ne;
		if (p < end && *p == '=') {
			v = p + 1;
			ve = sip_skip_esc(v, end, SIP_C_PARAM);
			if (!ve || ve == v) {
				*err = ve ? SIP_ERR_BAD_URI_PARAM : SIP_ERR_BAD_ESCAPE;
				return NULL;
			}
			p = ve;
		}
		if ((*err = -uri_param(u, n, ne, v, ve)) != 0)
			return NULL;
	}
	return p;
}

/* "?" header *("&" header), header = hname "=" hvalue */
static int
uri_headers(const char *p, const char *end)
{
	for (;;) {
		const char *q = sip_skip_esc(p, end, SIP_C_HNV);
		if (!q)
			return -SIP_ERR_BAD_ESCAPE;
		if (q == p || q >= end || *q != '=')
			return -SIP_ERR_BAD_URI_HEADER;
		p = sip_skip_esc(q + 1, end, SIP_C_HNV);
		if (!p)
			return -SIP_ERR_BAD_ESCAPE;
		if (p == end)
			return 0;
		if (*p != '&')
			return -SIP_ERR_BAD_URI_HEADER;
		p++;
	}
}

/* userinfo = user [ ":" password ] "@": the common shapes in one scan each,
 * then memchr() for the rest, since '@' can only end a userinfo. *uend: where a
 * well-formed user ends (at '@' or the password's ':'), NULL when the scan did
 * not show one (the caller checks the userinfo then). */
static const char *
uri_at(const char *p, const char *end, const char **uend)
{
	const char *q = sip_skip_esc(p, end, SIP_C_USER);

	*uend = NULL;
	if (q && q < end) {
		if (*q == '@') {
			*uend = q;
			return q;
		}
		if (*q == ':') {
			const char *r = sip_skip_esc(q + 1, end, SIP_C_PASS);
			if (r && r < end && *r == '@') {
				*uend = q;
				return r;
			}
		}
	}
	return memchr(p, '@', (size_t)(end - p));
}

static int
sip_uri_rest(struct sip_uri *u, const char *lo, const char *p, const char *end)
{
	const char *uend, *at = uri_at(p, end, &uend), *q;
	int ht, err = 0;

	if (at) {
		q = uend != NULL ? uend : sip_skip_esc(p, at, SIP_C_USER);
		if (!q)
			return -SIP_ERR_BAD_ESCAPE;
		if (q == p)
			return -SIP_ERR_BAD_USERINFO;
		u->user = sip_mkstr(p, q);
		if (q < at) {
			const char *pw = q + 1;
			if (*q != ':')
				return -SIP_ERR_BAD_USERINFO;
			q = sip_skip_esc(pw, at, SIP_C_PASS);
			if (!q)
				return -SIP_ERR_BAD_ESCAPE;
			if (q != at)
				return -SIP_ERR_BAD_USERINFO;
			u->password = sip_mkstr(pw, at);
		}
		p = at + 1;
	}
	q = sip_host_scan_in(lo, p, end, &ht);
	if (!q)
		return ht;
	u->host = sip_mkstr(p, q);
	u->host_type = (uint8_t)ht;
	p = q;
	if (p < end && *p == ':') {
		uint32_t port;
		q = sip_skip(p + 1, end, SIP_C_DIGIT);
		if (sip_dec_parse(p + 1, q, 65535, &port) < 0 || port == 0)
			return -SIP_ERR_BAD_PORT;
		u->port = (uint16_t)port;
		p = q;
	}
	if (p < end && *p == ';') {
		const char *ps = p + 1;
		p = uri_params(u, p, end, &err);
		if (!p)
			return -err;
		u->params = sip_mkstr(ps, p);
	}
	if (p < end && *p == '?') {
		int rc = uri_headers(p + 1, end);
		if (rc)
			return rc;
		u->headers = sip_mkstr(p + 1, end);
		p = end;
	}
	if (p != end)
		return *p == ':' || *p == '[' || *p == ']' ? -SIP_ERR_BAD_PORT : -SIP_ERR_BAD_HOST;
	return 0;
}

/* RFC 3966: telephone-subscriber, then *(";" par) */
static int
sip_uri_tel(struct sip_uri *u, const char *p, const char *end)
{
	const char *s = p;
	int global = p < end && *p == '+', digits = 0;

	if (global)
		p++;
	for (; p < end && *p != ';'; p++) {
		char c = *p;
		if (c >= '0' && c <= '9')
			digits++;
		else if (c == '-' || c == '.' || c == '(' || c == ')')
			continue;
		else if (!global && ((sip_cls(c) & SIP_C_HEX) || c == '*' || c == '#'))
			digits++;
		else
			return -SIP_ERR_BAD_USERINFO;
	}
	if (!digits)
		return -SIP_ERR_BAD_USERINFO;
	u->user = sip_mkstr(s, p);
	if (p < end) {
		int err = 0;
		const char *ps = p + 1;
		p = uri_params(u, p, end, &err);
		if (!p)
			return -err;
		if (p != end)
			return -SIP_ERR_BAD_URI_PARAM;
		u->params = sip_mkstr(ps, p);
	}
	return 0;
}

/* ---- any thread ---- */

int
sip_uri_parse(struct sip_uri *u, const char *p, size_t len)
{
	const char *end, *q;
	size_t n;

	uri_init(u);
	if (len == 0 || !p)
		return -SIP_ERR_BAD_URI;
	end = p + len;
	if (!(sip_cls(*p) & SIP_C_ALPHA))
		return -SIP_ERR_BAD_SCHEME;
	q = sip_skip(p + 1, end, SIP_C_SCHEME);
	if (q >= end || *q != ':')
		return -SIP_ERR_BAD_SCHEME;
	u->scheme = sip_mkstr(p, q);
	n = (size_t)(q - p);
	if (n == 3 && sip_lc_eq(p, "sip", 3))
		u->type = SIP_URI_SIP;
	else if (n == 4 && sip_lc_eq(p, "sips", 4))
		u->type = SIP_URI_SIPS;
	else if (n == 3 && sip_lc_eq(p, "tel", 3))
		u->type = SIP_URI_TEL;
	else
		u->type = SIP_URI_OTHER;
	p = q + 1;
	u->opaque = sip_mkstr(p, end);
	if (p == end)
		return -SIP_ERR_BAD_URI;
	switch (u->type) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		return sip_uri_rest(u, u->scheme.p, p, end);
	case SIP_URI_TEL:
		return sip_uri_tel(u, p, end);
	default:
		q = sip_skip_esc(p, end, SIP_C_URIC);
		if (!q)
			return -SIP_ERR_BAD_ESCAPE;
		return q == end ? 0 : -SIP_ERR_BAD_URI;
	}
}
