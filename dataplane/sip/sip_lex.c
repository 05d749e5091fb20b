/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP lexical layer: the character-class table (computed by the compiler from the
 * RFC 3261 ABNF sets below), quoted strings, decimal numbers and hosts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dataplane/sip/sip_lex.h"
#include "dataplane/sip/sip_parse.h"

/* ---- character classes, RFC 3261 §25.1 ---- */

#define CH_ALPHA(c)  (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define CH_DIGIT(c)  ((c) >= '0' && (c) <= '9')
#define CH_ALNUM(c)  (CH_ALPHA(c) || CH_DIGIT(c))
#define CH_HEX(c)    (CH_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define CH_MARK(c)   ((c) == '-' || (c) == '_' || (c) == '.' || (c) == '!' || (c) == '~' || \
		      (c) == '*' || (c) == '\'' || (c) == '(' || (c) == ')')
#define CH_UNRES(c)  (CH_ALNUM(c) || CH_MARK(c))
#define CH_TOKEN(c)  (CH_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '!' || (c) == '%' || \
		      (c) == '*' || (c) == '_' || (c) == '+' || (c) == '`' || (c) == '\'' || \
		      (c) == '~')
#define CH_LWS(c)    ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define CH_USER(c)   (CH_UNRES(c) || (c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || \
		      (c) == ',' || (c) == ';' || (c) == '?' || (c) == '/')
#define CH_PASS(c)   (CH_UNRES(c) || (c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || \
		      (c) == ',')
#define CH_PARAM(c)  (CH_UNRES(c) || (c) == '[' || (c) == ']' || (c) == '/' || (c) == ':' || \
		      (c) == '&' || (c) == '+' || (c) == '$')
#define CH_HNV(c)    (CH_UNRES(c) || (c) == '[' || (c) == ']' || (c) == '/' || (c) == '?' || \
		      (c) == ':' || (c) == '+' || (c) == '$')
#define CH_HOST(c)   (CH_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_')
#define CH_RESERVED(c) ((c) == ';' || (c) == '/' || (c) == '?' || (c) == ':' || (c) == '@' || \
			(c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || (c) == ',')
#define CH_URIC(c)   (CH_RESERVED(c) || CH_UNRES(c) || (c) == '[' || (c) == ']')
#define CH_WORD(c)   (CH_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '!' || (c) == '%' || \
		      (c) == '*' || (c) == '_' || (c) == '+' || (c) == '`' || (c) == '\'' || \
		      (c) == '~' || (c) == '(' || (c) == ')' || (c) == '<' || (c) == '>' || \
		      (c) == ':' || (c) == '\\' || (c) == '"' || (c) == '/' || (c) == '[' || \
		      (c) == ']' || (c) == '?' || (c) == '{' || (c) == '}')
#define CH_SCHEME(c) (CH_ALNUM(c) || (c) == '+' || (c) == '-' || (c) == '.')
#define CH_TEXT(c)   (((c) >= 0x21 && (c) <= 0x7e) || (c) >= 0x80)
#define CH_QDTEXT(c) ((c) == 0x21 || ((c) >= 0x23 && (c) <= 0x5b) || \
		      ((c) >= 0x5d && (c) <= 0x7e) || (c) >= 0x80)
#define CH_GENVAL(c) (CH_TOKEN(c) || (c) == ':' || (c) == '[' || (c) == ']')
#define CH_CTL(c)    ((c) < 0x20 || (c) == 0x7f)

#define F(c, CH, flag) (CH(c) ? (uint32_t)(flag) : 0u)
#define CC(c) (F(c, CH_TOKEN, SIP_C_TOKEN) | F(c, CH_LWS, SIP_C_LWS) |              \
	       F(c, CH_DIGIT, SIP_C_DIGIT) | F(c, CH_HEX, SIP_C_HEX) |                 \
	       F(c, CH_ALPHA, SIP_C_ALPHA) | F(c, CH_UNRES, SIP_C_UNRES) |             \
	       F(c, CH_USER, SIP_C_USER) | F(c, CH_PASS, SIP_C_PASS) |                 \
	       F(c, CH_PARAM, SIP_C_PARAM) | F(c, CH_HNV, SIP_C_HNV) |                 \
	       F(c, CH_HOST, SIP_C_HOST) | F(c, CH_URIC, SIP_C_URIC) |                 \
	       F(c, CH_WORD, SIP_C_WORD) | F(c, CH_SCHEME, SIP_C_SCHEME) |             \
	       F(c, CH_TEXT, SIP_C_TEXT) | F(c, CH_QDTEXT, SIP_C_QDTEXT) |             \
	       F(c, CH_GENVAL, SIP_C_GENVAL) | F(c, CH_CTL, SIP_C_CTL))
#define CC4(c)   CC(c), CC((c) + 1), CC((c) + 2), CC((c) + 3)
#define CC16(c)  CC4(c), CC4((c) + 4), CC4((c) + 8), CC4((c) + 12)
#define CC64(c)  CC16(c), CC16((c) + 16), CC16((c) + 32), CC16((c) + 48)

const uint32_t sip_cc[256] = { CC64(0), CC64(64), CC64(128), CC64(192) };

/* lo[b & 15]: bit h set when octet (h << 4 | (b & 15)) is in the class, h < 8 */
#define LOB(CH, l) ((CH((l)) ? 1 : 0) | (CH(0x10 | (l)) ? 2 : 0) | (CH(0x20 | (l)) ? 4 : 0) | \
		    (CH(0x30 | (l)) ? 8 : 0) | (CH(0x40 | (l)) ? 16 : 0) |                  \
		    (CH(0x50 | (l)) ? 32 : 0) | (CH(0x60 | (l)) ? 64 : 0) |                 \
		    (CH(0x70 | (l)) ? 128 : 0))
#define LOTBL(CH) { LOB(CH, 0), LOB(CH, 1), LOB(CH, 2), LOB(CH, 3), LOB(CH, 4), LOB(CH, 5), \
		    LOB(CH, 6), LOB(CH, 7), LOB(CH, 8), LOB(CH, 9), LOB(CH, 10), LOB(CH, 11),  \
		    LOB(CH, 12), LOB(CH, 13), LOB(CH, 14), LOB(CH, 15) }

const uint8_t sip_run_lo[SIP_RUN__COUNT][16] __attribute__((aligned(16))) = {
	[SIP_RUN_TOKEN] = LOTBL(CH_TOKEN),
	[SIP_RUN_USER] = LOTBL(CH_USER),
	[SIP_RUN_PASS] = LOTBL(CH_PASS),
	[SIP_RUN_PARAM] = LOTBL(CH_PARAM),
	[SIP_RUN_HNV] = LOTBL(CH_HNV),
	[SIP_RUN_WORD] = LOTBL(CH_WORD),
	[SIP_RUN_DIGIT] = LOTBL(CH_DIGIT),
	[SIP_RUN_URIC] = LOTBL(CH_URIC),
	[SIP_RUN_GENVAL] = LOTBL(CH_GENVAL),
};
const uint8_t sip_run_hi[16] __attribute__((aligned(16))) = {
	1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0
};
uint8_t sip_skip_simd = 1;

/* ---- quoted strings ---- */

const char *
sip_scan_quoted(const char *p, const char *end, int *err)
{
	p++;                                    /* the opening DQUOTE */
	while (p < end) {
		uint8_t c = (uint8_t)*p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) */
			if (p + 1 >= end)
				break;
			c = (uint8_t)p[1];
			if (c == '\r' || c == '\n' || c > 0x7f) {
				*err = SIP_ERR_BAD_CHAR;
				return NULL;
			}
			p += 2;
			continue;
		}
		if (!(sip_cc[c] & (SIP_C_QDTEXT | SIP_C_LWS))) {
			*err = SIP_ERR_BAD_CHAR;
			return NULL;
		}
		p++;
	}
	*err = SIP_ERR_UNTERMINATED_QUOTE;
	return NULL;
}

/* ---- numbers ---- */

int
sip_dec_parse(const char *p, const char *end, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	int over = 0;

	if (p >= end)
		return -SIP_ERR_BAD_NUMBER;
	for (; p < end; p++) {
		unsigned d = (unsigned)(uint8_t)*p - '0';
		if (d > 9)
			return -SIP_ERR_BAD_NUMBER;
		v = v * 10 + d;
		if (v > max) {
			over = 1;
			v = max;        /* keeps v bounded; keep checking syntax */
		}
	}
	*out = (uint32_t)v;
	return over ? -SIP_ERR_NUM_RANGE : 0;
}

/* ---- hosts ---- */

int
sip_ipv4_check(const char *p, size_t len)
{
	const char *e = p + len;
	int parts = 0;

	while (parts < 4) {
		unsigned v = 0, n = 0;
		while (p < e && n < 4 && *p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p - '0');
			p++;
			n++;
		}
		if (n == 0 || n > 3 || v > 255)
			return -SIP_ERR_BAD_HOST;
		parts++;
		if (parts == 4)
			break;
		if (p >= e || *p != '.')
			return -SIP_ERR_BAD_HOST;
		p++;
	}
	return p == e ? 0 : -SIP_ERR_BAD_HOST;
}

/*
 * RFC 3261: IPv6address = hexpart [ ":" IPv4address ], hexpart = hexseq /
 * hexseq "::" [ hexseq ] / "::" [ hexseq ]. That grammar yields "2001:db8:::1.2.3.4"
 * while RFC 4291 writes "2001:db8::1.2.3.4"; RFC 5118 §4.10 asks to accept both.
 * An embedded IPv4 counts as two groups; without "::" there must be 8 groups.
 */
int
sip_ipv6_check(const char *p, size_t len)
{
	const char *e = p + len;
	int groups = 0, dbl = 0;

	if (len < 2)
		return -SIP_ERR_BAD_IPV6;
	if (p[0] == ':') {
		if (p[1] != ':')
			return -SIP_ERR_BAD_IPV6;
		dbl = 1;
		p += 2;
		if (p == e)
			return 0;
		if (*p == ':') {
			p++;
			if (sip_ipv4_check(p, (size_t)(e - p)) < 0)
				return -SIP_ERR_BAD_IPV6;
			return 0;
		}
	}
	for (;;) {
		const char *q = p;
		while (q < e && q - p < 5 && (sip_cls(*q) & SIP_C_HEX))
			q++;
		if (q < e && *q == '.') {
			if (sip_ipv4_check(p, (size_t)(e - p)) < 0)
				return -SIP_ERR_BAD_IPV6;
			groups += 2;
			break;
		}
		if (q == p || q - p > 4)
			return -SIP_ERR_BAD_IPV6;
		groups++;
		p = q;
		if (p == e)
			break;
		if (*p != ':' || groups > 8)
			return -SIP_ERR_BAD_IPV6;
		p++;
		if (p == e)
			return -SIP_ERR_BAD_IPV6;
		if (*p == ':') {
			if (dbl)
				return -SIP_ERR_BAD_IPV6;
			dbl = 1;
			p++;
			if (p == e)
				break;
			if (*p == ':') {        /* the RFC 3261 three-colon form */
				p++;
				if (sip_ipv4_check(p, (size_t)(e - p)) < 0)
					return -SIP_ERR_BAD_IPV6;
				groups += 2;
				break;
			}
		}
	}
	if (dbl ? groups > 7 : groups != 8)
		return -SIP_ERR_BAD_IPV6;
	return 0;
}

const char *
sip_host_scan(const char *p, const char *end, int *type)
{
	const char *s = p;
	uint32_t nd = 0, v = 0, n = 0, dots = 0, bad = 0;
	int label = 0;

	if (p < end && *p == '[') {
		const char *q = memchr(p, ']', (size_t)(end - p));
		if (!q || sip_ipv6_check(p + 1, (size_t)(q - p - 1)) < 0) {
			*type = -SIP_ERR_BAD_IPV6;
			return NULL;
		}
		*type = SIP_HOST_IPV6;
		return q + 1;
	}
	/* hostname = *( domainlabel "." ) toplabel [ "." ], or IPv4address. The
	 * same pass keeps what sip_ipv4_check() would decide on an all-digit host
	 * (4 labels of 1 to 3 digits, each <= 255): no second pass (issue 16).
	 * v and n are meaningless once a label has a non-digit (nd set). */
	for (; p < end; p++) {
		uint32_t c = sip_cc[(uint8_t)*p];
		if (!(c & SIP_C_HOST))
			break;
		if (*p == '.') {
			if (!label)
				break;
			label = 0;
			dots++;
			bad |= (v > 255) | (n > 3);
			v = n = 0;
		} else {
			label = 1;
			nd |= ~c & SIP_C_DIGIT;
			v = v * 10 + (uint32_t)(uint8_t)(*p - '0');
			n++;
		}
	}
	if (p == s || (p < end && *p == '.')) {
		*type = -SIP_ERR_BAD_HOST;
		return NULL;
	}
	if (!nd) {
		bad |= (v > 255) | (n > 3);
		if (bad || dots != 3 || !label) {
			*type = -SIP_ERR_BAD_HOST;
			return NULL;
		}
		*type = SIP_HOST_IPV4;
	} else {
		*type = SIP_HOST_NAME;
	}
	return p;
}

int
sip_host_check(const char *p, const char *end)
{
	int type;
	const char *q = sip_host_scan(p, end, &type);

	if (!q)
		return type;
	return q == end ? type : (*p == '[' ? -SIP_ERR_BAD_IPV6 : -SIP_ERR_BAD_HOST);
}

/* [p, p + len) holds only digits and dots, the dots at the bits of dm: is it an
 * IPv4address (sip_ipv4_check()'s verdict, from the dots' places)? */
static inline int
ipv4_dots(const char *p, unsigned len, unsigned dm)
{
	unsigned s = 0, k;

	if (__builtin_popcount(dm) != 3)
		return -1;
	for (k = 0; k < 4; k++) {
		unsigned e = k < 3 ? (unsigned)__builtin_ctz(dm) : len, n = e - s, v;

		if (n == 0 || n > 3)
			return -1;
		v = (unsigned)(p[s] - '0');
		if (n > 1)
			v = v * 10 + (unsigned)(p[s + 1] - '0');
		if (n > 2)
			v = v * 10 + (unsigned)(p[s + 2] - '0');
		if (v > 255)
			return -1;
		dm &= dm - 1;
		s = e + 1;
	}
	return 0;
}

const char *
sip_host_scan_in(const char *lo, const char *p, const char *end, int *type)
{
#ifdef __SSE2__
	if (p < end && *p != '[' && (end - p >= 16 || end - lo >= 16)) {
		const char *base = end - p >= 16 ? p : end - 16;
		unsigned sh = (unsigned)(p - base), avail = 16 - sh, hm, dm, gm, stop, len, m;
		__m128i x = _mm_loadu_si128((const __m128i *)base);
		__m128i lc = _mm_or_si128(x, _mm_set1_epi8(0x20));
		__m128i dig = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8('0')), x),
					    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8('9')), x));
		__m128i alpha = _mm_and_si128(
			_mm_cmpeq_epi8(_mm_max_epu8(lc, _mm_set1_epi8('a')), lc),
			_mm_cmpeq_epi8(_mm_min_epu8(lc, _mm_set1_epi8('z')), lc));
		__m128i dot = _mm_cmpeq_epi8(x, _mm_set1_epi8('.'));
		__m128i other = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')),
					     _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));

		hm = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(dig, alpha),
							      _mm_or_si128(dot, other))) >> sh;
		dm = (unsigned)_mm_movemask_epi8(dot) >> sh;
		gm = (unsigned)_mm_movemask_epi8(dig) >> sh;
		stop = ~hm & ((1u << avail) - 1);
		if (stop != 0 || base + 16 == end) {   /* the host ends in the window */
			len = stop != 0 ? (unsigned)__builtin_ctz(stop) : avail;
			m = (1u << len) - 1;
			dm &= m;
			/* empty, a leading '.' or ".." (an empty label): not a host */
			if (len == 0 || (dm & 1) || (dm & (dm >> 1))) {
				*type = -SIP_ERR_BAD_HOST;
				return NULL;
			}
			if (((gm | dm) & m) == m) {        /* all digits and dots */
				if (ipv4_dots(p, len, dm) < 0) {
					*type = -SIP_ERR_BAD_HOST;
					return NULL;
				}
				*type = SIP_HOST_IPV4;
			} else {
				*type = SIP_HOST_NAME;
			}
			return p + len;
		}
	}
#else
	(void)lo;
#endif
	return sip_host_scan(p, end, type);
}
