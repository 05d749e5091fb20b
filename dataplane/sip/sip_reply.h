/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP response builder: a response to a parsed request, written into a caller
 * buffer. Pure C, no DPDK (the registrar, the proxy, the tools and the fuzz
 * target link it).
 *
 * Algorithm. sip_reply_begin() writes the status line and the fields a response
 * copies from its request (RFC 3261 §8.2.6.2): every Via in order (one Via line
 * per header field of the request, each value verbatim), From, To, Call-ID and
 * CSeq. Two changes are made on the way:
 *   - the top via-parm gets `;received=` and `;rport=` when the caller passes the
 *     source of the request (§18.2.1, RFC 3581): received is added when the
 *     sent-by host differs from the source address or when the Via carries
 *     rport; a valueless rport is given the source port; any received already
 *     in the top via-parm is replaced;
 *   - To gets `;tag=` when it has none and the status is not 100: 16 hex digits
 *     of a hash of the Call-ID, From and top Via values as received, so a
 *     retransmitted request gets the same tag (stateless servers need that) and
 *     another transaction another one.
 * The caller then appends its own header fields (sip_reply_add*(), or the raw
 * sip_reply_put*() for a field built piecewise) and sip_reply_end() closes the
 * header section with `Content-Length: 0`. The bounded writer (sip_reply_init,
 * sip_reply_put*) is also the proxy's, for the forwarded copy of a request.
 *
 * Invariants. No write ever goes past `cap`: a write that does not fit sets
 * `overflow`, every later write is ignored and sip_reply_end() returns 0. No
 * allocation, no locale, no formatting library, no system call: the Date is
 * formatted from the UNIX time the caller gives. Header values are copied as the
 * request carries them (folded values stay folded, which is valid SIP). Works
 * after a failed sip_msg_parse() too, with whatever header fields the parser had
 * indexed before the failure (a 400 needs the Vias of a broken request); without
 * a Via there is nowhere to send a response and sip_reply_begin() refuses.
 * Reentrant; any thread.
 */
#ifndef SIPSHARD_DATAPLANE_SIP_SIP_REPLY_H
#define SIPSHARD_DATAPLANE_SIP_SIP_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/sip/sip_types.h"

#define SIP_REPLY_DATE_LEN  29      /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define SIP_REPLY_TAG_LEN   16      /* generated To tag, hex digits */
#define SIP_ADDR_STR_MAX    46      /* INET6_ADDRSTRLEN */

/* A response being written. */
struct sip_reply {
	char *buf;
	size_t len;
	size_t cap;                     /* len from the first write that did not fit */
	int overflow;                   /* a write did not fit: the reply is unusable */
	/* sip_hash64(0, Call-ID value) when the caller has it already (the
	 * registrar does), for the To tag; sip_reply_init() clears it */
	int has_callid_hash;
	uint64_t callid_hash;
};

/* What the transport knows about the request (RFC 3261 §18.2.1, RFC 3581). */
struct sip_reply_via {
	const char *received;           /* source address as text (no brackets), NULL: none */
	uint16_t received_len;
	uint16_t rport;                 /* source port, for a valueless ;rport; 0: leave it */
	/* The request's top via-parm when the caller parsed it already
	 * (sip_msg_top_via_at() of the same message, 0) and top_next the end it
	 * gave: not parsed again; NULL: parsed here. */
	const struct sip_via *top;
	const char *top_next;
};

/* ---- any thread ---- */

void sip_reply_init(struct sip_reply *r, char *buf, size_t cap);

/* Status line ("SIP/2.0 404 Not Found"; reason NULL: the standard phrase), Vias,
 * From, To (+tag), Call-ID, CSeq. via may be NULL. Returns 0, or
 * -SIP_ERR_MISSING_HEADER when the request has no Via (nothing written). */
int sip_reply_begin(struct sip_reply *r, const struct sip_msg *m, unsigned status,
		    const char *reason, const struct sip_reply_via *via);

/* "Name: value\r\n". */
void sip_reply_add(struct sip_reply *r, const char *name, const char *value, size_t len);
void sip_reply_add_str(struct sip_reply *r, const char *name, const char *value);
void sip_reply_add_u32(struct sip_reply *r, const char *name, uint32_t v);
/* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" (RFC 1123 date, GMT). */
void sip_reply_add_date(struct sip_reply *r, uint64_t unix_s);

/* Raw pieces, for a header field built in parts (end it with sip_reply_crlf()). */
static inline void sip_reply_put(struct sip_reply *r, const char *p, size_t n);
static inline void sip_reply_put_str(struct sip_reply *r, const struct sip_str *s);
void sip_reply_put_u32(struct sip_reply *r, uint32_t v);

/* The parameters of a parsed via-parm (v->params) one by one, each as ";" and
 * its text (sip_param_next()), except: a valueless ;rport becomes ;rport=RPORT
 * when fill_rport, and ;received is left out when drop_received. The slow path
 * of the Via rewrites (RFC 3261 §18.2.1, RFC 3581) of sip_reply_begin() and of
 * the proxy's forwarded requests. */
void sip_reply_via_params(struct sip_reply *r, const struct sip_via *v, int fill_rport,
			  uint16_t rport, int drop_received);

/* "Content-Length: 0\r\n\r\n". Returns the length of the response, or 0 when any
 * write did not fit. */
size_t sip_reply_end(struct sip_reply *r);

/* Whole response without body for a 3xx-6xx (or any status): reason NULL gives
 * the parser's verdict (sip_msg_reason()) when m holds one whose status is
 * `status`, else the standard phrase. Returns the length, 0 when it did not fit
 * or the request has no Via. */
size_t sip_reply_error(const struct sip_msg *m, unsigned status, const char *reason,
		       const struct sip_reply_via *via, char *out, size_t cap);

/* The standard reason phrase of a status ("Interval Too Brief"); a generic one
 * by class for codes it does not know. */
const char *sip_reply_phrase(unsigned status);

/* The To tag sip_reply_begin() adds: SIP_REPLY_TAG_LEN hex digits, then NUL.
 * It is a hash of the top Via's value seeded with sip_hash64(0, Call-ID value)
 * (of "" without a Call-ID): with the Call-ID hash the caller has, that is one
 * hash, not two (sip_reply_tag_from()). */
void sip_reply_tag(const struct sip_msg *m, char out[SIP_REPLY_TAG_LEN + 1]);
void sip_reply_tag_from(const struct sip_msg *m, uint64_t callid_hash,
			char out[SIP_REPLY_TAG_LEN + 1]);

/* x as 16 lower-case hex digits, most significant first (no NUL). */
void sip_hex64(uint64_t x, char out[16]);

/* RFC 1123 date of a UNIX time into out[SIP_REPLY_DATE_LEN + 1] (NUL-terminated). */
size_t sip_reply_fmt_date(char *out, uint64_t unix_s);

/* Address as text: family 4 (addr[0..4), dotted quad) or 6 (RFC 5952 form,
 * no brackets). Returns the length written (NUL-terminated), 0 when cap is too
 * small or the family is unknown. */
size_t sip_addr_fmt(char *out, size_t cap, uint8_t family, const uint8_t *addr);

/* ---- inline: the byte writer ---- */

static inline void
sip_reply_put(struct sip_reply *r, const char *p, size_t n)
{
	char *d;

	/* one test: after a write that did not fit, cap is len and every later
	 * write fails it too */
	if (n > r->cap - r->len) {
		r->overflow = 1;
		r->cap = r->len;
		return;
	}
	d = r->buf + r->len;
	r->len += n;
	if (n >= 8 && n <= 32) {
		/* short pieces (most of a response): overlapping word copies, no call */
		uint64_t a, b, c, e;

		if (n <= 16) {
			memcpy(&a, p, 8);
			memcpy(&e, p + n - 8, 8);
			memcpy(d, &a, 8);
			memcpy(d + n - 8, &e, 8);
		} else {
			memcpy(&a, p, 8);
			memcpy(&b, p + 8, 8);
			memcpy(&c, p + n - 16, 8);
			memcpy(&e, p + n - 8, 8);
			memcpy(d, &a, 8);
			memcpy(d + 8, &b, 8);
			memcpy(d + n - 16, &c, 8);
			memcpy(d + n - 8, &e, 8);
		}
	} else if (n < 8) {
		/* 1..7 octets: two overlapping copies of 4, or of 2, or one */
		if (n >= 4) {
			uint32_t a, e;

			memcpy(&a, p, 4);
			memcpy(&e, p + n - 4, 4);
			memcpy(d, &a, 4);
			memcpy(d + n - 4, &e, 4);
		} else if (n >= 2) {
			uint16_t a, e;

			memcpy(&a, p, 2);
			memcpy(&e, p + n - 2, 2);
			memcpy(d, &a, 2);
			memcpy(d + n - 2, &e, 2);
		} else if (n == 1) {
			*d = *p;
		}
	} else {
		memcpy(d, p, n);
	}
}

static inline void
sip_reply_puts(struct sip_reply *r, const char *s)
{
	sip_reply_put(r, s, strlen(s));
}

static inline void
sip_reply_put_str(struct sip_reply *r, const struct sip_str *s)
{
	sip_reply_put(r, s->p, s->len);
}

static inline void
sip_reply_crlf(struct sip_reply *r)
{
	sip_reply_put(r, "\r\n", 2);
}

#endif /* SIPSHARD_DATAPLANE_SIP_SIP_REPLY_H */
