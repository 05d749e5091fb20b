/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header-field sub-parsers (RFC 3261 §20, §25.1): Via, name-addr / addr-spec
 * (From, To, Contact, Route, Record-Route, Path, ...), CSeq, Call-ID, numbers,
 * credentials, option-tag lists, Content-Type, Date; the lazy accessors and the
 * list iterators of a parsed message.
 */
#include <stdint.h>
#include <string.h>

#include "dataplane/sip/sip_lex.h"
#include "dataplane/sip/sip_parse.h"

/* ---- helpers ---- */

/* generic-param = token [ EQUAL gen-value ], gen-value = token / host / quoted-string */
struct hparam {
	const char *n, *ne;     /* name */
	const char *v, *ve;     /* value (quotes included), v NULL when absent */
	int tok;                /* the value is a token */
};

/* p at ';'. Returns the octet after the parameter, or NULL with *err. */
static inline const char *
hparam_next(const char *p, const char *end, struct hparam *hp, int *err)
{
	const char *q;

	p = sip_skip_lws(p + 1, end);
	hp->n = p;
	hp->ne = p = sip_skip(p, end, SIP_C_TOKEN);
	hp->v = hp->ve = NULL;
	hp->tok = 0;
	if (p == hp->n) {
		*err = (p >= end || *p == ';' || *p == ',') ? SIP_ERR_EMPTY_PARAM : SIP_ERR_BAD_PARAM;
		return NULL;
	}
	q = sip_skip_lws(p, end);
	if (q < end && *q == '=') {
		q = sip_skip_lws(q + 1, end);
		hp->v = q;
		if (q < end && *q == '"') {
			p = sip_scan_quoted(q, end, err);
		} else {
			p = sip_skip(q, end, SIP_C_TOKEN);
			hp->tok = p > q;
			if (p < end && (sip_cls(*p) & SIP_C_GENVAL)) {
				p = sip_skip(p, end, SIP_C_GENVAL);
				hp->tok = 0;
			}
		}
		if (!p)
			return NULL;
		if (p == q) {
			*err = SIP_ERR_BAD_PARAM;
			return NULL;
		}
		hp->ve = p;
	}
	return p;
}

static inline int
hp_is(const struct hparam *hp, const char *lc, size_t n)
{
	return (size_t)(hp->ne - hp->n) == n && sip_lc_eq(hp->n, lc, n);
}

/* Where a list element ends: at end or at ','; anything else is junk. */
static inline int
element_end(const char *p, const char *end, unsigned list, const char **next)
{
	p = sip_skip_lws(p, end);
	if (p < end && !(list && *p == ','))
		return -SIP_ERR_TRAILING_JUNK;
	*next = p;
	return 0;
}

static uint8_t
transport_id(const char *p, size_t n)
{
	switch (n) {
	case 2:
		return sip_lc_eq(p, "ws", 2) ? SIP_TP_WS : SIP_TP_OTHER;
	case 3:
		if (sip_lc_eq(p, "udp", 3))
			return SIP_TP_UDP;
		if (sip_lc_eq(p, "tcp", 3))
			return SIP_TP_TCP;
		if (sip_lc_eq(p, "tls", 3))
			return SIP_TP_TLS;
		return sip_lc_eq(p, "wss", 3) ? SIP_TP_WSS : SIP_TP_OTHER;
	case 4:
		return sip_lc_eq(p, "sctp", 4) ? SIP_TP_SCTP : SIP_TP_OTHER;
	default:
		return SIP_TP_OTHER;
	}
}

/* token SWS "/" SWS: the next protocol part */
static inline const char *
via_part(const char *p, const char *end, struct sip_str *out, int slash)
{
	const char *q = sip_skip(p, end, SIP_C_TOKEN);

	if (q == p)
		return NULL;
	*out = sip_mkstr(p, q);
	if (!slash)
		return q;
	q = sip_skip_lws(q, end);
	if (q >= end || *q != '/')
		return NULL;
	return sip_skip_lws(q + 1, end);
}

/* "SIP/2.0/" in any case, the usual start of a via-parm */
static inline int
via_is_sip20(const char *p)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w;

	memcpy(&w, p, 8);
	/* "sip/2.0/" as a little-endian word, 0x20 set at the three letters */
	return (w | 0x202020ull) == 0x2f302e322f706973ull;
#else
	return sip_lc_eq(p, "sip/2.0/", 8);
#endif
}

static int
via_param(struct sip_via *v, const struct hparam *hp)
{
	const char *val = hp->v, *ve = hp->ve;
	uint32_t n;

	switch (hp->ne - hp->n) {
	case 3:
		if (hp_is(hp, "ttl", 3)) {
			if (!val || sip_dec_parse(val, ve, 255, &n) < 0)
				return -SIP_ERR_BAD_PARAM;
			v->ttl = (int16_t)n;
		}
		break;
	case 5:
		if (hp_is(hp, "rport", 5)) {
			v->rport_str = val ? sip_mkstr(val, ve) : sip_mkstr(hp->ne, hp->ne);
			if (val) {
				if (sip_dec_parse(val, ve, 65535, &n) < 0)
					return -SIP_ERR_BAD_PARAM;
				v->rport = (uint16_t)n;
			}
		} else if (hp_is(hp, "maddr", 5)) {
			if (!val || sip_host_check(val, ve) < 0)
				return -SIP_ERR_BAD_PARAM;
			v->maddr = sip_mkstr(val, ve);
		}
		break;
	case 6:
		if (hp_is(hp, "branch", 6)) {
			if (!val || !hp->tok)
				return -SIP_ERR_BAD_PARAM;
			v->branch = sip_mkstr(val, ve);
		}
		break;
	case 8:
		if (hp_is(hp, "received", 8)) {
			/* IPv4address / IPv6address, or an IPv6reference (RFC 5118 §4.5) */
			if (!val)
				return -SIP_ERR_BAD_PARAM;
			if (*val == '[' ? sip_host_check(val, ve) != SIP_HOST_IPV6 :
			    (sip_ipv4_check(val, (size_t)(ve - val)) < 0 &&
			     sip_ipv6_check(val, (size_t)(ve - val)) < 0))
				return -SIP_ERR_BAD_PARAM;
			v->received = sip_mkstr(val, ve);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths */
static int
qvalue_parse(const char *p, const char *e, uint16_t *q)
{
	unsigned v, scale = 100;

	if (p >= e || (*p != '0' && *p != '1'))
		return -SIP_ERR_BAD_QVALUE;
	v = (unsigned)(*p - '0') * 1000;
	p++;
	if (p < e) {
		if (*p != '.' || e - p > 4)
			return -SIP_ERR_BAD_QVALUE;
		for (p++; p < e; p++, scale /= 10) {
			if (*p < '0' || *p > '9' || (v == 1000 && *p != '0'))
				return -SIP_ERR_BAD_QVALUE;
			v += (unsigned)(*p - '0') * scale;
		}
	}
	*q = (uint16_t)v;
	return 0;
}

static int
na_param(struct sip_nameaddr *na, const struct hparam *hp)
{
	switch (hp->ne - hp->n) {
	case 1:
		if ((*hp->n | 0x20) == 'q') {
			if (!hp->v || qvalue_parse(hp->v, hp->ve, &na->q) < 0)
				return -SIP_ERR_BAD_QVALUE;
			na->has_q = 1;
		}
		break;
	case 3:
		if (hp_is(hp, "tag", 3)) {
			if (!hp->v || !hp->tok)
				return -SIP_ERR_BAD_PARAM;
			na->tag = sip_mkstr(hp->v, hp->ve);
		}
		break;
	case 7:
		if (hp_is(hp, "expires", 7)) {
			int rc;
			if (!hp->v)
				return -SIP_ERR_BAD_PARAM;
			rc = sip_dec_parse(hp->v, hp->ve, UINT32_MAX, &na->expires);
			if (rc == -SIP_ERR_BAD_NUMBER)
				return -SIP_ERR_BAD_PARAM;
			na->has_expires = rc ? 2 : 1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
msg_nameaddr(const struct sip_msg *m, enum sip_hdr_id id, struct sip_nameaddr *na)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	const char *next;

	if (!h)
		return 1;
	if (h->value.len == 0)
		return -SIP_ERR_EMPTY_VALUE;
	return sip_nameaddr_parse(na, h->value.p, h->value.p + h->value.len, 0, &next);
}

static void
iter_load(struct sip_iter *it)
{
	const struct sip_hdr *h = &it->m->hdrs[it->hdr];

	it->p = h->value.p;
	it->end = h->value.p + h->value.len;
}

/*
 * Position on the next element: 1 when there is one at it->p, 0 at the end,
 * or an error for an empty header value (allow_empty: skip it).
 */
static int
iter_advance(struct sip_iter *it, int allow_empty)
{
	for (;;) {
		if (it->hdr == SIP_HDR_NONE)
			return 0;
		if (it->p < it->end)
			return 1;
		if (it->more)
			return -SIP_ERR_EMPTY_ELEMENT;
		if (it->p == it->m->hdrs[it->hdr].value.p && !allow_empty)
			return -SIP_ERR_EMPTY_VALUE;
		it->hdr = it->m->hdrs[it->hdr].next;
		if (it->hdr != SIP_HDR_NONE)
			iter_load(it);
	}
}

/* After an element ending at `next` (end or ','): step over the separator; an
 * empty element after it fails on the next call. */
static int
iter_step(struct sip_iter *it, const char *next)
{
	it->more = next < it->end;
	if (it->more)
		next = sip_skip_lws(next + 1, it->end);
	it->p = next;
	return 1;
}

static int
na_next(struct sip_iter *it, struct sip_nameaddr *na, unsigned flags)
{
	const char *next;
	int rc = iter_advance(it, 0);

	if (rc <= 0)
		return rc;
	rc = sip_nameaddr_parse(na, it->p, it->end, flags | SIP_NA_LIST, &next);
	return rc ? rc : iter_step(it, next);
}

/* ---- any thread: Via ---- */

/* The optional parts of a via-parm, absent (the others are always set on
 * success); field by field, since a memset of the struct becomes a slow
 * `rep stos`. */
static inline void
via_clear(struct sip_via *v)
{
	v->params = SIP_STR_NONE;
	v->branch = SIP_STR_NONE;
	v->received = SIP_STR_NONE;
	v->maddr = SIP_STR_NONE;
	v->rport_str = SIP_STR_NONE;
	v->port = 0;
	v->rport = 0;
	v->ttl = -1;
}

/* The usual via-parm in one pass, the same fields as sip_via_parse_general():
 * "SIP/2.0/" UDP, TCP or TLS (any case), one SP, the host, ":" and 1 to 5
 * digits, then ";" name ["=" value] parameters of token octets only, ending at
 * end or ','; no LWS anywhere. rport, branch, received, maddr and ttl are taken
 * with the checks via_param() makes; any other name is skipped as there. 0: not
 * that shape, or a value via_param() would refuse: left to the general path,
 * which gives the verdict; 1: parsed. */
static __attribute__((noinline)) int
via_fast(struct sip_via *v, const char *p, const char *end, const char **next)
{
	const char *lo = p, *q, *n, *ps;
	uint32_t w, port;
	int ht;

	if (end - p <= 12 || !via_is_sip20(p))
		return 0;
	memcpy(&w, p + 8, 4);
	w |= 0x00202020u;                       /* the three letters, any case */
	if (w == 0x20706475u)                   /* "udp " */
		v->tp = SIP_TP_UDP;
	else if (w == 0x20706374u)              /* "tcp " */
		v->tp = SIP_TP_TCP;
	else if (w == 0x20736c74u)              /* "tls " */
		v->tp = SIP_TP_TLS;
	else
		return 0;
	q = sip_host_scan_in(lo, p + 12, end, &ht);
	if (q == NULL || q == p + 12)
		return 0;
	via_clear(v);
	v->protocol = sip_mkstr(p, p + 3);
	v->version = sip_mkstr(p + 4, p + 7);
	v->transport = sip_mkstr(p + 8, p + 11);
	v->host = sip_mkstr(p + 12, q);
	v->host_type = (uint8_t)ht;
	if (q < end && *q == ':') {
		for (n = ++q, port = 0; q < end && q - n < 5 && (unsigned)(*q - '0') <= 9; q++)
			port = port * 10 + (uint32_t)(*q - '0');
		if (q == n || port == 0 || port > 65535)
			return 0;
		v->port = (uint16_t)port;
	}
	ps = q + 1;
	while (q < end && *q == ';') {
		const char *val = NULL, *ve;
		size_t len;

		n = q + 1;
		for (q = n; q < end && (sip_cc[(uint8_t)*q] & SIP_C_TOKEN); q++)
			;
		len = (size_t)(q - n);
		if (len == 0)
			return 0;
		ve = q;
		if (q < end && *q == '=') {
			val = q + 1;
			ve = q = sip_skip(val, end, SIP_C_TOKEN);
			if (q == val)
				return 0;
		}
		if (len == 6 && sip_lc_eq(n, "branch", 6)) {
			if (val == NULL)
				return 0;
			v->branch = sip_mkstr(val, ve);
		} else if (len == 5 && sip_lc_eq(n, "rport", 5)) {
			v->rport_str = sip_mkstr(val != NULL ? val : ve, ve);
			v->rport = 0;
			if (val != NULL) {
				if (sip_dec_parse(val, ve, 65535, &port) < 0)
					return 0;
				v->rport = (uint16_t)port;
			}
		} else if (len == 8 && sip_lc_eq(n, "received", 8)) {
			/* a token value: an IPv4address (an IPv6 one has ':') */
			if (val == NULL || (sip_ipv4_check(val, (size_t)(ve - val)) < 0 &&
					    sip_ipv6_check(val, (size_t)(ve - val)) < 0))
				return 0;
			v->received = sip_mkstr(val, ve);
		} else if (len == 5 && sip_lc_eq(n, "maddr", 5)) {
			if (val == NULL || sip_host_check(val, ve) < 0)
				return 0;
			v->maddr = sip_mkstr(val, ve);
		} else if (len == 3 && sip_lc_eq(n, "ttl", 3)) {
			if (val == NULL || sip_dec_parse(val, ve, 255, &port) < 0)
				return 0;
			v->ttl = (int16_t)port;
		}
	}
	if (q < end && *q != ',')
		return 0;
	if (ps <= q)
		v->params = sip_mkstr(ps, q);
	*next = q;
	return 1;
}

int
sip_via_parse(struct sip_via *v, const char *p, const char *end, const char **next)
{
	if (via_fast(v, p, end, next))
		return 0;
	return sip_via_parse_general(v, p, end, next);
}

int
sip_via_parse_general(struct sip_via *v, const char *p, const char *end, const char **next)
{
	const char *lo = p, *q;
	int rc, err = 0;

	via_clear(v);
	p = sip_skip_lws(p, end);
	if (p >= end || *p == ',')
		return -SIP_ERR_EMPTY_ELEMENT;
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	if (end - p > 8 && via_is_sip20(p)) {
		v->protocol = sip_mkstr(p, p + 3);
		v->version = sip_mkstr(p + 4, p + 7);
		p += 8;
	} else if (!(p = via_part(p, end, &v->protocol, 1)) ||
		   !(p = via_part(p, end, &v->version, 1))) {
		return -SIP_ERR_BAD_PROTOCOL;
	}
	if (!(p = via_part(p, end, &v->transport, 0)))
		return -SIP_ERR_BAD_PROTOCOL;
	v->tp = transport_id(v->transport.p, v->transport.len);
	q = sip_skip_lws(p, end);
	if (q == p)
		return -SIP_ERR_BAD_PROTOCOL;
	/* sent-by = host [ COLON port ] */
	p = sip_host_scan_in(lo, q, end, &rc);
	if (!p)
		return rc;
	v->host = sip_mkstr(q, p);
	v->host_type = (uint8_t)rc;
	q = sip_skip_lws(p, end);
	if (q < end && *q == ':') {
		uint32_t port;
		q = sip_skip_lws(q + 1, end);
		p = sip_skip(q, end, SIP_C_DIGIT);
		if (sip_dec_parse(q, p, 65535, &port) < 0 || port == 0)
			return -SIP_ERR_BAD_PORT;
		v->port = (uint16_t)port;
	}
	/* *( SEMI via-params ) */
	q = sip_skip_lws(p, end);
	if (q < end && *q == ';') {
		const char *ps = q + 1;
		while (q < end && *q == ';') {
			struct hparam hp;
			p = hparam_next(q, end, &hp, &err);
			if (!p)
				return -err;
			rc = via_param(v, &hp);
			if (rc)
				return rc;
			q = sip_skip_lws(p, end);
		}
		v->params = sip_mkstr(ps, p);
	}
	if (q < end && *q != ',') {
		if (*q == ':' || *q == '[' || *q == ']')
			return -SIP_ERR_BAD_HOST;
		return -SIP_ERR_TRAILING_JUNK;
	}
	*next = q;
	return 0;
}

/* ---- any thread: name-addr / addr-spec ---- */

int
sip_nameaddr_parse(struct sip_nameaddr *na, const char *p, const char *end,
		   unsigned flags, const char **next)
{
	const char *q;
	int err = 0, rc;

	na->display = SIP_STR_NONE;
	na->uri = SIP_STR_NONE;
	na->params = SIP_STR_NONE;
	na->tag = SIP_STR_NONE;
	na->expires = 0;
	na->q = 1000;
	na->bracketed = 0;
	na->has_expires = 0;
	na->has_q = 0;
	na->star = 0;
	p = sip_skip_lws(p, end);
	if (p >= end || *p == ',')
		return -SIP_ERR_EMPTY_ELEMENT;
	if ((flags & SIP_NA_CONTACT) && *p == '*') {
		q = sip_skip_lws(p + 1, end);
		if (q >= end || *q == ',') {
			na->star = 1;
			*next = q;
			return 0;
		}
	}
	if (*p == '"') {
		q = sip_scan_quoted(p, end, &err);
		if (!q)
			return -err;
		na->display = sip_mkstr(p, q);
		p = sip_skip_lws(q, end);
		if (p >= end || *p != '<')
			return -SIP_ERR_BAD_DISPLAY_NAME;
	} else if (*p != '<') {
		/* *(token LWS) before '<', or else an addr-spec */
		const char *last = p;
		q = p;
		for (;;) {
			const char *t = sip_skip(q, end, SIP_C_TOKEN);
			if (t == q)
				break;
			last = t;
			q = sip_skip_lws(t, end);
		}
		if (q < end && *q == '<') {
			na->display = sip_mkstr(p, last);
			p = q;
		} else {
			if (flags & SIP_NA_NEED_BRACKETS)
				return -SIP_ERR_NEEDS_NAME_ADDR;
			/* addr-spec: no ';' '?' ',' or LWS inside (RFC 3261 §20) */
			for (q = p; q < end && !(sip_cls(*q) & SIP_C_LWS) && *q != ';' && *q != ','; q++) {
				if (*q == '?')
					return -SIP_ERR_URI_NEEDS_BRACKETS;
				if (*q == '<' || *q == '>' || *q == '"')
					return -SIP_ERR_BAD_DISPLAY_NAME;
			}
			if (!memchr(p, ':', (size_t)(q - p)))
				return memchr(p, '<', (size_t)(end - p)) ? -SIP_ERR_BAD_DISPLAY_NAME :
				       -SIP_ERR_BAD_URI;
			na->uri = sip_mkstr(p, q);
			p = q;
		}
	}
	if (!na->uri.p) {
		/* p at '<': LAQUOT addr-spec RAQUOT, no LWS inside */
		p++;
		q = memchr(p, '>', (size_t)(end - p));
		if (!q)
			return -SIP_ERR_MISSING_RAQUOT;
		if (q == p)
			return -SIP_ERR_BAD_URI;
		if ((sip_cls(*p) | sip_cls(q[-1])) & SIP_C_LWS)
			return -SIP_ERR_LWS_IN_BRACKETS;
		na->uri = sip_mkstr(p, q);
		na->bracketed = 1;
		p = q + 1;
	}
	/* *( SEMI param ) */
	q = sip_skip_lws(p, end);
	if (q < end && *q == ';') {
		const char *ps = q + 1;
		while (q < end && *q == ';') {
			struct hparam hp;
			p = hparam_next(q, end, &hp, &err);
			if (!p)
				return -err;
			rc = na_param(na, &hp);
			if (rc)
				return rc;
			q = sip_skip_lws(p, end);
		}
		na->params = sip_mkstr(ps, p);
	}
	rc = element_end(q, end, flags & SIP_NA_LIST, next);
	if (rc && !na->bracketed && memchr(q, '<', (size_t)(end - q)))
		return -SIP_ERR_BAD_DISPLAY_NAME;
	return rc;
}

/* ---- any thread: single values ---- */

int
sip_cseq_parse(struct sip_cseq *c, const struct sip_str *v)
{
	const char *p = v->p, *end, *q;
	int rc;

	if (!v->p)
		return -SIP_ERR_EMPTY_VALUE;
	end = v->p + v->len;

	/* the usual shape in one pass: 1 to 10 digits, one SP, the method to the
	 * end; anything else is read again below */
	{
		uint64_t seq = 0;

		for (q = p; q < end && q - p < 10 && (unsigned)(*q - '0') <= 9; q++)
			seq = seq * 10 + (uint64_t)(*q - '0');
		if (q > p && seq <= UINT32_MAX && end - q >= 2 && *q == ' ' &&
		    (sip_cls(q[1]) & SIP_C_TOKEN)) {
			const char *ms = q + 1, *me = sip_skip(ms, end, SIP_C_TOKEN);

			if (me == end) {
				c->seq = (uint32_t)seq;
				c->method = sip_mkstr(ms, me);
				c->method_id = (uint8_t)sip_method_lookup(ms, (size_t)(me - ms));
				return 0;
			}
		}
	}
	q = sip_skip(p, end, SIP_C_DIGIT);
	rc = sip_dec_parse(p, q, UINT32_MAX, &c->seq);
	if (rc)
		return rc;
	p = sip_skip_lws(q, end);
	if (p == q)
		return q == end ? -SIP_ERR_BAD_METHOD : -SIP_ERR_BAD_NUMBER;
	q = sip_skip(p, end, SIP_C_TOKEN);
	if (q == p)
		return -SIP_ERR_BAD_METHOD;
	if (q != end)
		return -SIP_ERR_TRAILING_JUNK;
	c->method = sip_mkstr(p, q);
	c->method_id = (uint8_t)sip_method_lookup(p, (size_t)(q - p));
	return 0;
}

int
sip_callid_check(const struct sip_str *v)
{
	const char *p = v->p, *end, *q;

	if (!v->p)
		return -SIP_ERR_EMPTY_VALUE;
	end = v->p + v->len;

	q = sip_skip(p, end, SIP_C_WORD);
	if (q == p)
		return v->len ? -SIP_ERR_BAD_CALL_ID : -SIP_ERR_EMPTY_VALUE;
	if (q < end && *q == '@') {
		p = q + 1;
		q = sip_skip(p, end, SIP_C_WORD);
		if (q == p)
			return -SIP_ERR_BAD_CALL_ID;
	}
	return q == end ? 0 : -SIP_ERR_BAD_CALL_ID;
}

int
sip_uint_parse(const struct sip_str *v, uint32_t max, uint32_t *out)
{
	if (v->len == 0)
		return -SIP_ERR_EMPTY_VALUE;
	return sip_dec_parse(v->p, v->p + v->len, max, out);
}

int
sip_text_check(const struct sip_str *v)
{
	const char *p = v->p, *end;

	if (!v->p)
		return -SIP_ERR_EMPTY_VALUE;
	end = v->p + v->len;

	for (; p < end; p++)
		if (!(sip_cls(*p) & (SIP_C_TEXT | SIP_C_LWS)))
			return -SIP_ERR_BAD_CHAR;
	return 0;
}

/* credentials / challenge: auth-scheme LWS auth-param *(COMMA auth-param) */
int
sip_auth_parse(struct sip_auth *a, const struct sip_str *v)
{
	const char *p = v->p, *end, *q;
	int err = 0;

	if (!v->p)
		return -SIP_ERR_EMPTY_VALUE;
	end = v->p + v->len;

	memset(a, 0, sizeof(*a));
	q = sip_skip(p, end, SIP_C_TOKEN);
	if (q == p)
		return v->len ? -SIP_ERR_BAD_CREDENTIALS : -SIP_ERR_EMPTY_VALUE;
	a->scheme = sip_mkstr(p, q);
	a->digest = q - p == 6 && sip_lc_eq(p, "digest", 6);
	p = sip_skip_lws(q, end);
	if (p == q || p >= end)
		return -SIP_ERR_BAD_CREDENTIALS;
	a->params = sip_mkstr(p, end);
	for (;;) {
		const char *n = p, *ne, *val, *ve;
		struct sip_str *dst = NULL;
		size_t len;

		ne = sip_skip(p, end, SIP_C_TOKEN);
		if (ne == n)
			return -SIP_ERR_BAD_CREDENTIALS;
		p = sip_skip_lws(ne, end);
		if (p >= end || *p != '=')
			return -SIP_ERR_BAD_CREDENTIALS;
		p = sip_skip_lws(p + 1, end);
		if (p < end && *p == '"') {
			q = sip_scan_quoted(p, end, &err);
			if (!q)
				return -err;
			val = p + 1;
			ve = q - 1;
		} else {
			q = sip_skip(p, end, SIP_C_TOKEN);
			if (q == p)
				return -SIP_ERR_BAD_CREDENTIALS;
			val = p;
			ve = q;
		}
		len = (size_t)(ne - n);
		if (len == 2 && sip_lc_eq(n, "nc", 2))
			dst = &a->nc;
		else if (len == 3 && sip_lc_eq(n, "uri", 3))
			dst = &a->uri;
		else if (len == 3 && sip_lc_eq(n, "qop", 3))
			dst = &a->qop;
		else if (len == 5 && sip_lc_eq(n, "realm", 5))
			dst = &a->realm;
		else if (len == 5 && sip_lc_eq(n, "nonce", 5))
			dst = &a->nonce;
		else if (len == 6 && sip_lc_eq(n, "cnonce", 6))
			dst = &a->cnonce;
		else if (len == 6 && sip_lc_eq(n, "opaque", 6))
			dst = &a->opaque;
		else if (len == 8 && sip_lc_eq(n, "username", 8))
			dst = &a->username;
		else if (len == 8 && sip_lc_eq(n, "response", 8))
			dst = &a->response;
		else if (len == 9 && sip_lc_eq(n, "algorithm", 9))
			dst = &a->algorithm;
		if (dst)
			*dst = sip_mkstr(val, ve);
		p = sip_skip_lws(q, end);
		if (p >= end)
			return 0;
		if (*p != ',')
			return -SIP_ERR_BAD_CREDENTIALS;
		p = sip_skip_lws(p + 1, end);
		if (p >= end)
			return -SIP_ERR_EMPTY_ELEMENT;
	}
}

/* media-type = m-type SLASH m-subtype *(SEMI m-parameter) */
int
sip_ctype_parse(struct sip_ctype *ct, const struct sip_str *v)
{
	const char *p = v->p, *end, *q;
	int err = 0;

	if (!v->p)
		return -SIP_ERR_EMPTY_VALUE;
	end = v->p + v->len;

	memset(ct, 0, sizeof(*ct));
	q = sip_skip(p, end, SIP_C_TOKEN);
	if (q == p)
		return v->len ? -SIP_ERR_BAD_MEDIA_TYPE : -SIP_ERR_EMPTY_VALUE;
	ct->type = sip_mkstr(p, q);
	p = sip_skip_lws(q, end);
	if (p >= end || *p != '/')
		return -SIP_ERR_BAD_MEDIA_TYPE;
	p = sip_skip_lws(p + 1, end);
	q = sip_skip(p, end, SIP_C_TOKEN);
	if (q == p)
		return -SIP_ERR_BAD_MEDIA_TYPE;
	ct->subtype = sip_mkstr(p, q);
	q = sip_skip_lws(q, end);
	if (q < end && *q == ';') {
		const char *ps = q + 1;
		while (q < end && *q == ';') {
			struct hparam hp;
			p = hparam_next(q, end, &hp, &err);
			if (!p)
				return -err;
			if (!hp.v)
				return -SIP_ERR_BAD_PARAM;
			q = sip_skip_lws(p, end);
		}
		ct->params = sip_mkstr(ps, p);
	}
	return q == end ? 0 : -SIP_ERR_TRAILING_JUNK;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 §20.17) */
int
sip_date_check(const struct sip_str *v)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = v->p;
	int ok = 0;

	/* "Sat, 13 Nov 2010 23:29:00 GMT" */
	if (v->len != 29)
		return -SIP_ERR_BAD_DATE;
	for (int i = 0; i < 7; i++)
		if (!memcmp(p, days + 3 * i, 3))
			ok = 1;
	if (!ok || memcmp(p + 3, ", ", 2) || p[7] != ' ' || p[11] != ' ' || p[16] != ' ' ||
	    p[19] != ':' || p[22] != ':' || memcmp(p + 25, " GMT", 4))
		return -SIP_ERR_BAD_DATE;
	ok = 0;
	for (int i = 0; i < 12; i++)
		if (!memcmp(p + 8, months + 3 * i, 3))
			ok = 1;
	if (!ok)
		return -SIP_ERR_BAD_DATE;
	{
		static const uint8_t dig[] = { 5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24 };
		for (size_t i = 0; i < sizeof(dig); i++)
			if (p[dig[i]] < '0' || p[dig[i]] > '9')
				return -SIP_ERR_BAD_DATE;
	}
	if ((p[5] - '0') * 10 + (p[6] - '0') > 31 || (p[17] - '0') * 10 + (p[18] - '0') > 23 ||
	    (p[20] - '0') * 10 + (p[21] - '0') > 59 || (p[23] - '0') * 10 + (p[24] - '0') > 60)
		return -SIP_ERR_BAD_DATE;
	return 0;
}

int
sip_param_next(const char **pos, const char *end, struct sip_param *pa)
{
	const char *s = *pos, *q, *ne, *pe, *v;
	int inq = 0;

	if (s == NULL || s >= end)
		return 0;
	s = sip_skip_lws(s, end);
	for (q = s; q < end; q++) {     /* the parameter ends at an unquoted ';' */
		if (*q == '\\' && inq && q + 1 < end)
			q++;
		else if (*q == '"')
			inq = !inq;
		else if (*q == ';' && !inq)
			break;
	}
	pe = sip_trim_lws(s, q);
	for (ne = s; ne < pe && *ne != '=' && !sip_is_lws(*ne); ne++)
		;
	pa->text = sip_mkstr(s, pe);
	pa->name = sip_mkstr(s, ne);
	v = sip_skip_lws(ne, q);
	if (v < q && *v == '=') {
		v = sip_skip_lws(v + 1, q);
		pa->value = sip_mkstr(v, sip_trim_lws(v, q));
	} else {
		pa->value = SIP_STR_NONE;
	}
	*pos = q < end ? q + 1 : end;
	return 1;
}

int
sip_param_find(const struct sip_str *params, const char *name, struct sip_str *value)
{
	const char *p = params->p, *end;
	size_t n = strlen(name);
	struct sip_param pa;

	if (p == NULL)
		return 1;
	end = p + params->len;
	while (sip_param_next(&p, end, &pa))
		if (sip_str_lc_eq(pa.name.p, pa.name.len, name, n)) {
			*value = pa.value;
			return 0;
		}
	return 1;
}

/* ---- any thread: lazy accessors ---- */

int
sip_msg_top_via_at(const struct sip_msg *m, struct sip_via *v, const char **next)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);

	if (!h)
		return 1;
	if (h->value.len == 0)
		return -SIP_ERR_EMPTY_VALUE;
	return sip_via_parse(v, h->value.p, h->value.p + h->value.len, next);
}

int
sip_msg_top_via(const struct sip_msg *m, struct sip_via *v)
{
	const char *next;

	return sip_msg_top_via_at(m, v, &next);
}

int
sip_msg_from(const struct sip_msg *m, struct sip_nameaddr *na)
{
	return msg_nameaddr(m, SIP_HDR_FROM, na);
}

int
sip_msg_to(const struct sip_msg *m, struct sip_nameaddr *na)
{
	return msg_nameaddr(m, SIP_HDR_TO, na);
}

int
sip_msg_call_id(const struct sip_msg *m, struct sip_str *id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);

	if (!h)
		return 1;
	if (h->value.len == 0)
		return -SIP_ERR_EMPTY_VALUE;
	*id = h->value;
	return 0;
}

int
sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *c)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CSEQ);

	return h ? sip_cseq_parse(c, &h->value) : 1;
}

int
sip_msg_expires(const struct sip_msg *m, uint32_t *out)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_EXPIRES);

	return h ? sip_uint_parse(&h->value, UINT32_MAX, out) : 1;
}

int
sip_msg_max_forwards(const struct sip_msg *m, uint32_t *out)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_MAX_FORWARDS);

	return h ? sip_uint_parse(&h->value, 255, out) : 1;
}

/* ---- any thread: iterators ---- */

void
sip_iter_init(struct sip_iter *it, const struct sip_msg *m, enum sip_hdr_id id)
{
	it->m = m;
	it->id = (uint8_t)id;
	it->hdr = m->first[id];
	it->more = 0;
	it->p = it->end = NULL;
	if (it->hdr != SIP_HDR_NONE)
		iter_load(it);
}

int
sip_via_next(struct sip_iter *it, struct sip_via *v)
{
	const char *next;
	int rc = iter_advance(it, 0);

	if (rc <= 0)
		return rc;
	rc = sip_via_parse(v, it->p, it->end, &next);
	return rc ? rc : iter_step(it, next);
}

int
sip_contact_next(struct sip_iter *it, struct sip_nameaddr *c)
{
	return na_next(it, c, SIP_NA_CONTACT);
}

int
sip_route_next(struct sip_iter *it, struct sip_nameaddr *r)
{
	return na_next(it, r, SIP_NA_NEED_BRACKETS);
}

int
sip_tag_next(struct sip_iter *it, struct sip_str *tag)
{
	const char *q;
	int rc = iter_advance(it, 1);

	if (rc <= 0)
		return rc;
	it->p = sip_skip_lws(it->p, it->end);
	if (it->p < it->end && *it->p == ',')
		return -SIP_ERR_EMPTY_ELEMENT;
	q = sip_skip(it->p, it->end, SIP_C_TOKEN);
	if (q == it->p)
		return -SIP_ERR_BAD_TOKEN;
	*tag = sip_mkstr(it->p, q);
	rc = element_end(q, it->end, 1, &q);
	if (rc)
		return -SIP_ERR_BAD_TOKEN;
	return iter_step(it, q);
}
