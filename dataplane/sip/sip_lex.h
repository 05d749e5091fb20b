/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP lexical layer, private to dataplane/sip_*.c: character classes of the
 * RFC 3261 ABNF as one constant table, and the small scanners every sub-parser
 * shares. Each scanner takes [p, end) and never reads at or past end.
 *
 * Inside a header value the only CR and LF are those of line folding (the
 * splitter guarantees a CRLF there is followed by SP or HTAB), so value scanners
 * treat CR and LF as linear white space (class SIP_C_LWS). The LWS scanners,
 * the case-insensitive compare and sip_mkstr() are in sip_str.h, which modules
 * outside dataplane/sip include instead of this header.
 */
#ifndef SIPSHARD_DATAPLANE_SIP_SIP_LEX_H
#define SIPSHARD_DATAPLANE_SIP_SIP_LEX_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

#include "dataplane/sip/sip_str.h"
#include "dataplane/sip/sip_types.h"

enum {
	SIP_C_TOKEN  = 1u << 0,   /* token: alphanum - . ! % * _ + ` ' ~ */
	SIP_C_LWS    = 1u << 1,   /* SP HTAB CR LF */
	SIP_C_DIGIT  = 1u << 2,
	SIP_C_HEX    = 1u << 3,
	SIP_C_ALPHA  = 1u << 4,
	SIP_C_UNRES  = 1u << 5,   /* unreserved: alphanum mark */
	SIP_C_USER   = 1u << 6,   /* unreserved + user-unreserved & = + $ , ; ? / */
	SIP_C_PASS   = 1u << 7,   /* unreserved + & = + $ , */
	SIP_C_PARAM  = 1u << 8,   /* unreserved + param-unreserved [ ] / : & + $ */
	SIP_C_HNV    = 1u << 9,   /* unreserved + hnv-unreserved [ ] / ? : + $ */
	SIP_C_HOST   = 1u << 10,  /* alphanum - . _ (hostname octets) */
	SIP_C_URIC   = 1u << 11,  /* reserved + unreserved + [ ] */
	SIP_C_WORD   = 1u << 12,  /* Call-ID word */
	SIP_C_SCHEME = 1u << 13,  /* alphanum + - . */
	SIP_C_TEXT   = 1u << 14,  /* TEXT-UTF8char: %x21-7E and octets >= 0x80 */
	SIP_C_QDTEXT = 1u << 15,  /* qdtext less LWS: %x21 %x23-5B %x5D-7E >= 0x80 */
	SIP_C_GENVAL = 1u << 16,  /* gen-value token or host: token + : [ ] */
	SIP_C_CTL    = 1u << 17,  /* %x00-1F %x7F */
};

extern const uint32_t sip_cc[256];

/*
 * SIMD runs of a class (SSSE3 PSHUFB set membership): a byte b is in the set
 * when lo[class][b & 15] has bit (b >> 4) set; octets >= 0x80 never are. Only
 * where the compiler targets SSSE3 (the dataplane build: -march=corei7); 16
 * octets at a time and only while 16 remain before end, so nothing is read past
 * end. sip_skip_simd = 0 (sip_parse_set_isa(SIP_ISA_SCALAR)) forces the scalar
 * loops, for tests.
 */
enum { SIP_RUN_TOKEN, SIP_RUN_USER, SIP_RUN_PASS, SIP_RUN_PARAM, SIP_RUN_HNV, SIP_RUN_WORD,
       SIP_RUN_DIGIT, SIP_RUN_URIC, SIP_RUN_GENVAL, SIP_RUN__COUNT };
extern const uint8_t sip_run_lo[SIP_RUN__COUNT][16];
extern const uint8_t sip_run_hi[16];
extern uint8_t sip_skip_simd;

static inline int
sip_run_index(uint32_t cls)
{
	switch (cls) {
	case SIP_C_TOKEN:
		return SIP_RUN_TOKEN;
	case SIP_C_USER:
		return SIP_RUN_USER;
	case SIP_C_PASS:
		return SIP_RUN_PASS;
	case SIP_C_PARAM:
		return SIP_RUN_PARAM;
	case SIP_C_HNV:
		return SIP_RUN_HNV;
	case SIP_C_WORD:
		return SIP_RUN_WORD;
	case SIP_C_DIGIT:
		return SIP_RUN_DIGIT;
	case SIP_C_URIC:
		return SIP_RUN_URIC;
	case SIP_C_GENVAL:
		return SIP_RUN_GENVAL;
	default:
		return -1;
	}
}

static inline uint32_t
sip_cls(char c)
{
	return sip_cc[(uint8_t)c];
}

static inline const char *
sip_skip(const char *p, const char *end, uint32_t cls)
{
#ifdef __SSSE3__
	int t = sip_run_index(cls);

	if (t >= 0 && end - p >= 16 && sip_skip_simd) {
		const __m128i lo_tbl = _mm_loadu_si128((const __m128i *)sip_run_lo[t]);
		const __m128i hi_tbl = _mm_loadu_si128((const __m128i *)sip_run_hi);
		const __m128i nib = _mm_set1_epi8(0x0f);
		do {
			__m128i x = _mm_loadu_si128((const __m128i *)p);
			__m128i a = _mm_and_si128(
				_mm_shuffle_epi8(lo_tbl, _mm_and_si128(x, nib)),
				_mm_shuffle_epi8(hi_tbl, _mm_and_si128(_mm_srli_epi16(x, 4), nib)));
			unsigned out = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi8(a, _mm_setzero_si128()));
			if (out)
				return p + __builtin_ctz(out);
			p += 16;
		} while (end - p >= 16);
	}
#endif
	while (p < end && (sip_cc[(uint8_t)*p] & cls))
		p++;
	return p;
}

static inline int
sip_hexval(char c)
{
	uint8_t u = (uint8_t)c;
	if (u >= '0' && u <= '9')
		return u - '0';
	u |= 0x20;
	if (u >= 'a' && u <= 'f')
		return u - 'a' + 10;
	return -1;
}

/* p points at '%': is it followed by two hex digits before end? */
static inline int
sip_escape_ok(const char *p, const char *end)
{
	return end - p >= 3 && (sip_cls(p[1]) & SIP_C_HEX) && (sip_cls(p[2]) & SIP_C_HEX);
}

/*
 * Skip octets of class `cls` and %HH escapes. Returns where it stopped, or NULL
 * on a '%' that is not a valid escape.
 */
static inline const char *
sip_skip_esc(const char *p, const char *end, uint32_t cls)
{
	while (p < end) {
		p = sip_skip(p, end, cls);
		if (p >= end)
			break;
		if (*p == '%') {
			if (!sip_escape_ok(p, end))
				return NULL;
			p += 3;
		} else {
			break;
		}
	}
	return p;
}

/* p at '"': returns the octet after the closing quote, or NULL when the string
 * is unterminated or holds an illegal octet (*err says which). */
const char *sip_scan_quoted(const char *p, const char *end, int *err);

/* Decimal digits [p, end) into *out; 0, -SIP_ERR_BAD_NUMBER (not 1*DIGIT) or
 * -SIP_ERR_NUM_RANGE (> max, *out = max). */
int sip_dec_parse(const char *p, const char *end, uint32_t max, uint32_t *out);

/* A host (hostname, IPv4address or IPv6reference) starting at p, in one pass:
 * returns where it ends with *type = enum sip_host_type, or NULL with *type =
 * -SIP_ERR_*. */
const char *sip_host_scan(const char *p, const char *end, int *type);

/* The same verdict and end as sip_host_scan(), where [lo, end) is readable and
 * lo <= p: a host of up to 15 octets is classified in one 16-octet load (at p,
 * or ending at end when fewer than 16 octets follow p), the octets one by one
 * only when it is longer or the text too short; an all-digit host is an IPv4
 * address by the places of its dots. (tests/unit/test_sip_uri.c compares the two.) */
const char *sip_host_scan_in(const char *lo, const char *p, const char *end, int *type);

/* Exactly a host [p, end): enum sip_host_type or -SIP_ERR_*. */
int sip_host_check(const char *p, const char *end);

#endif /* SIPSHARD_DATAPLANE_SIP_SIP_LEX_H */
