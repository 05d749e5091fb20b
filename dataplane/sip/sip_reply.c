/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP response builder (see dataplane/sip_reply.h): status line, the fields
 * copied from the request with the §18.2.1 / RFC 3581 changes to the top Via
 * and a generated To tag, caller fields, Content-Length. Bounded writes only.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"
#include "dataplane/sip/sip_str.h"

/* ---- any thread: helpers ---- */

static char *
rp_u32(char *end, uint32_t v)
{
	/* two digits at a time from a table */
	static const char d2[201] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";

	while (v >= 100) {
		uint32_t r = v % 100;

		v /= 100;
		end -= 2;
		memcpy(end, d2 + 2 * r, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, d2 + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

static char *
rp_hex16(char *p, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	int shift, started = 0;

	for (shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xf;

		if (d != 0 || started || shift == 0) {
			*p++ = hex[d];
			started = 1;
		}
	}
	return p;
}

struct rp_phrase {
	uint16_t status;
	const char *text;
};

static const struct rp_phrase rp_phrases[] = {
	{ 100, "Trying" }, { 180, "Ringing" }, { 181, "Call Is Being Forwarded" },
	{ 182, "Queued" }, { 183, "Session Progress" },
	{ 200, "OK" }, { 202, "Accepted" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Moved Temporarily" }, { 305, "Use Proxy" }, { 380, "Alternative Service" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" }, { 410, "Gone" }, { 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Long" }, { 415, "Unsupported Media Type" },
	{ 416, "Unsupported URI Scheme" }, { 420, "Bad Extension" },
	{ 421, "Extension Required" }, { 423, "Interval Too Brief" },
	{ 480, "Temporarily Unavailable" }, { 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" }, { 483, "Too Many Hops" }, { 484, "Address Incomplete" },
	{ 485, "Ambiguous" }, { 486, "Busy Here" }, { 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" }, { 491, "Request Pending" },
	{ 493, "Undecipherable" },
	{ 500, "Server Internal Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Server Time-out" }, { 505, "Version Not Supported" },
	{ 513, "Message Too Large" },
	{ 600, "Busy Everywhere" }, { 603, "Decline" },
	{ 604, "Does Not Exist Anywhere" }, { 606, "Not Acceptable" },
};

/* Might the To value carry a tag? (no ';' or no "tag" anywhere: certainly not;
 * most To values of a request have no parameter at all, and memchr() is wide) */
static int
rp_maybe_tag(const struct sip_str *v)
{
	size_t i;

	if (memchr(v->p, ';', v->len) == NULL)
		return 0;
	for (i = 0; i + 3 <= v->len; i++)
		if ((v->p[i] | 0x20) == 't' && (v->p[i + 1] | 0x20) == 'a' &&
		    (v->p[i + 2] | 0x20) == 'g')
			return 1;
	return 0;
}

/* Does the sent-by host name the same address as the received text? */
static int
rp_host_is(const struct sip_str *host, const char *addr, size_t n)
{
	const char *p = host->p;
	size_t len = host->len;

	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char a = p[i], b = addr[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (char)(b + 32);
		if (a != b)
			return 0;
	}
	return 1;
}

/* Where ";received=VALUE" starts, from the parsed value: NULL if not recognised. */
static const char *
rp_received_start(const struct sip_via *v)
{
	const char *q = v->received.p, *lo = v->params.p;

	q = sip_trim_lws(lo, q);
	if (q <= lo || q[-1] != '=')
		return NULL;
	q = sip_trim_lws(lo, q - 1);
	if (q - lo < 8 || !sip_str_lc_eq(q - 8, 8, "received", 8))
		return NULL;
	q = sip_trim_lws(lo, q - 8);
	return q > lo && q[-1] == ';' ? q - 1 : (q == lo && lo[-1] == ';' ? lo - 1 : NULL);
}

/* The top via-parm with received/rport set, then the rest of its header field. */
static void
rp_top_via(struct sip_reply *r, const struct sip_hdr *h, const struct sip_reply_via *via)
{
	const char *vp = h->value.p, *vend = h->value.p + h->value.len, *next, *e;
	const char *fill = NULL, *cut = NULL, *cut_end = NULL, *p;
	struct sip_via v;
	int add_received;

	if (via->top != NULL) {
		v = *via->top;
		next = via->top_next;
	} else if (sip_via_parse(&v, vp, vend, &next) != 0) {
		sip_reply_put(r, vp, h->value.len);    /* keep what we cannot read */
		return;
	}
	add_received = via->received != NULL &&
		       (v.rport_str.p != NULL ||
			!rp_host_is(&v.host, via->received, via->received_len));
	if (v.params.p == NULL) {
		e = sip_trim_lws(vp, next);
		sip_reply_put(r, vp, (size_t)(e - vp));
		goto tail;
	}
	e = v.params.p + v.params.len;
	/* fast path: at most two edits at places the parser found */
	if (via->rport != 0 && v.rport_str.p != NULL && v.rport_str.len == 0) {
		fill = v.rport_str.p;
		if (fill - 5 < v.params.p || fill > e || !sip_str_lc_eq(fill - 5, 5, "rport", 5))
			goto slow;
	}
	if (add_received && v.received.p != NULL) {
		cut = rp_received_start(&v);
		cut_end = v.received.p + v.received.len;
		if (cut == NULL || cut_end > e)
			goto slow;
	}
	p = vp;
	if (fill != NULL && (cut == NULL || fill < cut)) {
		sip_reply_put(r, p, (size_t)(fill - p));
		sip_reply_put(r, "=", 1);
		sip_reply_put_u32(r, via->rport);
		p = fill;
		fill = NULL;
	}
	if (cut != NULL) {
		sip_reply_put(r, p, (size_t)(cut - p));
		p = cut_end;
	}
	if (fill != NULL) {
		sip_reply_put(r, p, (size_t)(fill - p));
		sip_reply_put(r, "=", 1);
		sip_reply_put_u32(r, via->rport);
		p = fill;
	}
	sip_reply_put(r, p, (size_t)(e - p));
	goto tail;
slow:
	sip_reply_put(r, vp, (size_t)(v.params.p - 1 - vp));
	sip_reply_via_params(r, &v, via->rport != 0, via->rport, add_received);
tail:
	if (add_received) {
		sip_reply_puts(r, ";received=");
		sip_reply_put(r, via->received, via->received_len);
	}
	if (next < vend)                               /* ", next via-parm..." */
		sip_reply_put(r, next, (size_t)(vend - next));
}

/* A field copied from the request: head is "Name: ", its length n. */
static void
rp_copy(struct sip_reply *r, const struct sip_msg *m, enum sip_hdr_id id, const char *head,
	size_t n)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);

	if (h != NULL) {
		sip_reply_put(r, head, n);
		sip_reply_put(r, h->value.p, h->value.len);
		sip_reply_crlf(r);
	}
}
#define RP_COPY(r, m, id, head) rp_copy(r, m, id, head, sizeof(head) - 1)

/* ---- any thread: public ---- */

void
sip_reply_init(struct sip_reply *r, char *buf, size_t cap)
{
	r->buf = buf;
	r->len = 0;
	r->cap = buf != NULL ? cap : 0;
	r->overflow = 0;
	r->has_callid_hash = 0;
}

void
sip_reply_put_u32(struct sip_reply *r, uint32_t v)
{
	char tmp[10], *s = rp_u32(tmp + sizeof(tmp), v);

	sip_reply_put(r, s, (size_t)(tmp + sizeof(tmp) - s));
}

void
sip_reply_add(struct sip_reply *r, const char *name, const char *value, size_t len)
{
	sip_reply_puts(r, name);
	sip_reply_put(r, ": ", 2);
	sip_reply_put(r, value, len);
	sip_reply_crlf(r);
}

void
sip_reply_add_str(struct sip_reply *r, const char *name, const char *value)
{
	sip_reply_add(r, name, value, strlen(value));
}

void
sip_reply_add_u32(struct sip_reply *r, const char *name, uint32_t v)
{
	sip_reply_puts(r, name);
	sip_reply_put(r, ": ", 2);
	sip_reply_put_u32(r, v);
	sip_reply_crlf(r);
}

void
sip_reply_via_params(struct sip_reply *r, const struct sip_via *v, int fill_rport,
		     uint16_t rport, int drop_received)
{
	const char *p = v->params.p;
	struct sip_param pa;

	while (sip_param_next(&p, v->params.p + v->params.len, &pa)) {
		if (fill_rport && pa.name.len == pa.text.len &&
		    sip_str_lc_eq(pa.name.p, pa.name.len, "rport", 5)) {
			sip_reply_puts(r, ";rport=");
			sip_reply_put_u32(r, rport);
		} else if (!(drop_received &&
			     sip_str_lc_eq(pa.name.p, pa.name.len, "received", 8))) {
			sip_reply_put(r, ";", 1);
			sip_reply_put(r, pa.text.p, pa.text.len);
		}
	}
}

size_t
sip_reply_fmt_date(char *out, uint64_t unix_s)
{
	static const char wday[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	uint64_t days = unix_s / 86400, sod = unix_s % 86400;
	/* civil_from_days (H. Hinnant), for days >= 0 */
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9;
	uint32_t h = (uint32_t)(sod / 3600), mi = (uint32_t)(sod / 60 % 60);
	uint32_t s = (uint32_t)(sod % 60);
	char *p = out;

	if (m <= 2)
		y++;
	if (y > 9999)
		y = 9999;
	memcpy(p, wday[(days + 4) % 7], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	*p++ = (char)('0' + d / 10);
	*p++ = (char)('0' + d % 10);
	*p++ = ' ';
	memcpy(p, mon[m - 1], 3);
	p += 3;
	*p++ = ' ';
	*p++ = (char)('0' + y / 1000);
	*p++ = (char)('0' + y / 100 % 10);
	*p++ = (char)('0' + y / 10 % 10);
	*p++ = (char)('0' + y % 10);
	*p++ = ' ';
	*p++ = (char)('0' + h / 10);
	*p++ = (char)('0' + h % 10);
	*p++ = ':';
	*p++ = (char)('0' + mi / 10);
	*p++ = (char)('0' + mi % 10);
	*p++ = ':';
	*p++ = (char)('0' + s / 10);
	*p++ = (char)('0' + s % 10);
	memcpy(p, " GMT", 4);
	p += 4;
	*p = '\0';
	return (size_t)(p - out);
}

void
sip_reply_add_date(struct sip_reply *r, uint64_t unix_s)
{
	char d[SIP_REPLY_DATE_LEN + 8];

	sip_reply_fmt_date(d, unix_s);
	sip_reply_add(r, "Date", d, SIP_REPLY_DATE_LEN);
}

/* Dotted quad of a (network order) at p, no NUL; returns its end. Digits by
 * constant divisions (multiplies), no table, no loop over a temporary. */
static inline char *
rp_v4(char *p, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (i > 0)
			*p++ = '.';
		if (v >= 100) {
			*p++ = (char)('0' + v / 100);
			v %= 100;
			*p++ = (char)('0' + v / 10);
		} else if (v >= 10) {
			*p++ = (char)('0' + v / 10);
		}
		*p++ = (char)('0' + v % 10);
	}
	return p;
}

size_t
sip_addr_fmt(char *out, size_t cap, uint8_t family, const uint8_t *addr)
{
	char tmp[SIP_ADDR_STR_MAX], *p = tmp;
	size_t n;
	int i;

	if (family == 4 && cap >= 16) {         /* the common case: straight to out */
		n = (size_t)(rp_v4(out, addr) - out);
		out[n] = '\0';
		return n;
	}
	if (family == 4) {
		p = rp_v4(p, addr);
	} else if (family == 6) {
		unsigned w[8];
		int best = -1, best_len = 0, run = -1, run_len = 0;

		for (i = 0; i < 8; i++)
			w[i] = (unsigned)addr[2 * i] << 8 | addr[2 * i + 1];
		/* RFC 5952: the longest run of >= 2 zero words becomes "::" (first wins) */
		for (i = 0; i < 8; i++) {
			if (w[i] == 0) {
				if (run < 0)
					run = i;
				run_len = i - run + 1;
				if (run_len > best_len) {
					best = run;
					best_len = run_len;
				}
			} else {
				run = -1;
			}
		}
		if (best_len < 2)
			best = -1;
		for (i = 0; i < 8; i++) {
			if (i == best) {
				*p++ = ':';
				*p++ = ':';
				i += best_len - 1;
				continue;
			}
			if (i > 0 && i != best + best_len)
				*p++ = ':';
			p = rp_hex16(p, w[i]);
		}
	} else {
		return 0;
	}
	n = (size_t)(p - tmp);
	if (n + 1 > cap)
		return 0;
	memcpy(out, tmp, n);
	out[n] = '\0';
	return n;
}

const char *
sip_reply_phrase(unsigned status)
{
	static const char *const by_class[] = {
		"Unknown", "Provisional", "Success", "Redirection", "Client Error",
		"Server Error", "Global Failure" };
	size_t lo = 0, hi = sizeof(rp_phrases) / sizeof(rp_phrases[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rp_phrases[mid].status == status)
			return rp_phrases[mid].text;
		if (rp_phrases[mid].status < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return status >= 100 && status < 700 ? by_class[status / 100] : by_class[0];
}

void
sip_reply_tag_from(const struct sip_msg *m, uint64_t callid_hash,
		   char out[SIP_REPLY_TAG_LEN + 1])
{
	/* the top Via's branch names the transaction (RFC 3261 §8.1.1.7), the
	 * Call-ID the call even for a client without one; the raw values: the
	 * same in a retransmission, no parsing needed; XXH3 avalanches, so close
	 * inputs give unrelated tags */
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	uint64_t x = h != NULL ? sip_hash64(callid_hash, h->value.p, h->value.len) :
		     sip_hash64(callid_hash, "", 0);

	sip_hex64(x, out);
	out[SIP_REPLY_TAG_LEN] = '\0';
}

void
sip_reply_tag(const struct sip_msg *m, char out[SIP_REPLY_TAG_LEN + 1])
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);

	sip_reply_tag_from(m, h != NULL ? sip_hash64(0, h->value.p, h->value.len) :
			   sip_hash64(0, "", 0), out);
}

void
sip_hex64(uint64_t x, char out[16])
{
#ifdef __SSSE3__
	/* the octets most significant first, each split into its two nibbles,
	 * the nibbles looked up 16 at a time (PSHUFB) */
	const __m128i digits = _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
					     'a', 'b', 'c', 'd', 'e', 'f');
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i v = _mm_cvtsi64_si128((long long)__builtin_bswap64(x));
	__m128i n = _mm_unpacklo_epi8(_mm_and_si128(_mm_srli_epi16(v, 4), nib),
				      _mm_and_si128(v, nib));

	_mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(digits, n));
#else
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < 16; i++)
		out[i] = hex[(x >> (60 - 4 * i)) & 0xf];
#endif
}

int
sip_reply_begin(struct sip_reply *r, const struct sip_msg *m, unsigned status,
		const char *reason, const struct sip_reply_via *via)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	struct sip_nameaddr to;
	char tag[SIP_REPLY_TAG_LEN + 1];
	int top;

	if (h == NULL)
		return -SIP_ERR_MISSING_HEADER;
	if (status < 100 || status > 699)
		status = 500;
	if (status == 200 && reason == NULL) {
		sip_reply_put(r, "SIP/2.0 200 OK\r\n", 16);   /* most of them */
	} else {
		char sl[13] = "SIP/2.0 000 ";

		sl[8] = (char)('0' + status / 100);
		sl[9] = (char)('0' + status / 10 % 10);
		sl[10] = (char)('0' + status % 10);
		sip_reply_put(r, sl, 12);
		sip_reply_puts(r, reason != NULL ? reason : sip_reply_phrase(status));
		sip_reply_crlf(r);
	}
	for (top = 1; h != NULL; h = sip_msg_hdr_next(m, h), top = 0) {
		sip_reply_put(r, "Via: ", 5);
		if (top && via != NULL && (via->received != NULL || via->rport != 0))
			rp_top_via(r, h, via);
		else
			sip_reply_put(r, h->value.p, h->value.len);
		sip_reply_crlf(r);
	}
	RP_COPY(r, m, SIP_HDR_FROM, "From: ");
	h = sip_msg_hdr(m, SIP_HDR_TO);
	if (h != NULL) {
		sip_reply_put(r, "To: ", 4);
		sip_reply_put(r, h->value.p, h->value.len);
		if (status != 100 &&
		    (!rp_maybe_tag(&h->value) || (sip_msg_to(m, &to) == 0 && to.tag.p == NULL))) {
			if (r->has_callid_hash)
				sip_reply_tag_from(m, r->callid_hash, tag);
			else
				sip_reply_tag(m, tag);
			sip_reply_put(r, ";tag=", 5);
			sip_reply_put(r, tag, SIP_REPLY_TAG_LEN);
		}
		sip_reply_crlf(r);
	}
	RP_COPY(r, m, SIP_HDR_CALL_ID, "Call-ID: ");
	RP_COPY(r, m, SIP_HDR_CSEQ, "CSeq: ");
	return 0;
}

size_t
sip_reply_end(struct sip_reply *r)
{
	sip_reply_puts(r, "Content-Length: 0\r\n\r\n");
	return r->overflow ? 0 : r->len;
}

size_t
sip_reply_error(const struct sip_msg *m, unsigned status, const char *reason,
		const struct sip_reply_via *via, char *out, size_t cap)
{
	struct sip_reply r;
	char why[128];

	if (reason == NULL && m->err != SIP_ERR_OK && sip_err_status(m->err) == status) {
		sip_msg_reason(m, why, sizeof(why));
		reason = why;
	}
	sip_reply_init(&r, out, cap);
	if (sip_reply_begin(&r, m, status, reason, via) != 0)
		return 0;
	return sip_reply_end(&r);
}
