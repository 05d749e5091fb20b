/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counted-string helpers of the SIP layer that other dataplane modules use too
 * (proxy, registrar): linear white space, case-insensitive compare against a
 * lower-case literal, a sip_str from two pointers. The lexer (sip_lex.h, private
 * to dataplane/sip) builds on them; everyone else includes this header, never
 * sip_lex.h.
 *
 * LWS here is SP, HTAB, CR and LF: inside a header value the only CR and LF are
 * those of line folding (the splitter guarantees a CRLF there is followed by SP
 * or HTAB), so value scanners treat them as white space. The lexer's class
 * SIP_C_LWS is the same set. Every scanner takes [p, end) (or [lo, e)) and never
 * reads outside it. Pure functions, any thread.
 */
#ifndef SIPSHARD_DATAPLANE_SIP_SIP_STR_H
#define SIPSHARD_DATAPLANE_SIP_SIP_STR_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/sip/sip_types.h"

static inline int
sip_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The first octet of [p, end) that is not LWS (end when none). */
static inline const char *
sip_skip_lws(const char *p, const char *end)
{
	while (p < end && sip_is_lws(*p))
		p++;
	return p;
}

/* e with the LWS before it removed, never below lo. */
static inline const char *
sip_trim_lws(const char *lo, const char *e)
{
	while (e > lo && sip_is_lws(e[-1]))
		e--;
	return e;
}

/* Case-insensitive compare of p[0..n) with a lower-case literal of length n.
 * Only A-Z fold (an OR with 0x20 would also match CR against '-'). */
static inline int
sip_lc_eq(const char *p, const char *lc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)lc[i])
			return 0;
	}
	return 1;
}

static inline int
sip_str_lc_eq(const char *p, size_t len, const char *lc, size_t n)
{
	return len == n && sip_lc_eq(p, lc, n);
}

#define SIP_STR_NONE ((struct sip_str){ NULL, 0 })

static inline struct sip_str
sip_mkstr(const char *p, const char *e)
{
	struct sip_str s = { p, (uint16_t)(e - p) };
	return s;
}

#endif /* SIPSHARD_DATAPLANE_SIP_SIP_STR_H */
