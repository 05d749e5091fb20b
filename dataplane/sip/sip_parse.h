/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP message parser: zero copy, bounded, lazy.
 *
 * Algorithm. sip_msg_parse() makes one pass over the start line and the header
 * section. Line ends are found 64 octets at a time as a bit mask (AVX-512BW, AVX2
 * or SSE2, chosen once at start-up from the CPU; memchr() where there is no SIMD)
 * and walked with count-trailing-zeros. Each header field is cut into a name and a
 * trimmed value (line folding kept inside the value), its name is looked up in a
 * hash of the known names and compact forms (case-insensitive), and the field is
 * appended to `hdrs[]` and linked into a per-id index (`first[]`, `next`), so any
 * known header is found in O(1). The same pass checks what framing needs:
 * start line, duplicate single-valued fields (From, To, Call-ID, CSeq,
 * Max-Forwards, Content-Length, ...), the mandatory fields (Via, From, To,
 * Call-ID, CSeq) and the body against Content-Length (a short body is invalid,
 * extra octets are ignored, RFC 3261 §18.3; without Content-Length the body is
 * the rest of the datagram).
 *
 * Nothing else is looked at until asked: the sub-parsers (sip_uri_parse,
 * sip_via_parse, sip_nameaddr_parse, sip_contact_next, sip_cseq_parse, ...)
 * parse one value when the caller needs it and return 0 or -SIP_ERR_*; they
 * skip runs of a character class 16 octets at a time (SSSE3 PSHUFB) where the
 * build targets SSSE3.
 * sip_msg_validate() runs every sub-parser over every known field plus the
 * generic checks (the whole RFC 3261 grammar that routing depends on); it is the
 * verdict of sipshard-parse and of the torture tests.
 *
 * Which call for what (dataplane): sip_msg_parse() on every datagram (drop or 400
 * on error); then only the sub-parsers the request needs (a REGISTER: top Via,
 * From, To + its URI, Call-ID, CSeq, Contact list, Expires), answering 400 with
 * sip_reason_build() when one fails. sip_msg_validate() costs about 1.4 times
 * the lazy REGISTER path (docs/sip-parser.md) and is for offline checks, a
 * strict mode and tests.
 *
 * Invariants. Every read is inside [buf, buf + len): loops test `p < end`
 * before each dereference and the SIMD loads never cross the end (the last
 * block is loaded end-aligned; a message under 64 octets takes the memchr()
 * path; the class scanners load 16 octets only while 16 remain). Every loop
 * advances by at least one octet, so work is linear in the input. No
 * allocation, no global state written after start-up; the structures are fixed
 * size (SIP_MAX_HDRS header fields; more is an error). Strings point into the
 * caller's buffer, which must outlive the parsed structures. All functions are
 * reentrant; any lcore may call them.
 */
#ifndef SIPSHARD_DATAPLANE_SIP_SIP_PARSE_H
#define SIPSHARD_DATAPLANE_SIP_SIP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/sip/sip_types.h"

/* ---- any thread: messages ---- */

/* Frame and index one message (bytes as on the wire). Returns 0, or -SIP_ERR_*
 * with m->err, m->err_hdr and m->err_off set (the first fault found). After a
 * failure the header fields before the fault stay indexed, and a bad start line
 * does not stop the header section from being indexed, so that a 400 or 505
 * can copy Via, From, To, Call-ID and CSeq. */
int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len);

/* Full check of a message that sip_msg_parse() accepted: Request-URI, every
 * value of every known header field, CSeq method against the Request-Line,
 * generic text of the other fields. Returns 0 or -SIP_ERR_* (recorded in m). */
int sip_msg_validate(struct sip_msg *m);

/* Record a failure of a sub-parser in m (first failure wins). Returns rc. */
int sip_msg_set_err(struct sip_msg *m, int rc, enum sip_hdr_id id, const char *at);

/* "Reason phrase[: Header-Name]" of m's verdict into buf (NUL-terminated, cut to
 * n - 1 octets). Returns the length written. No formatting library involved. */
size_t sip_msg_reason(const struct sip_msg *m, char *buf, size_t n);
size_t sip_reason_build(char *buf, size_t n, int err, enum sip_hdr_id id);

/* Tables. err may be SIP_ERR_x or -SIP_ERR_x. */
const char *sip_err_str(int err);
const char *sip_err_name(int err);          /* "SHORT_BODY" */
uint16_t sip_err_status(int err);           /* 400, 505, 513 */
const char *sip_hdr_name(unsigned id);      /* canonical name, "" for OTHER */
const char *sip_method_name(unsigned method);
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len);
enum sip_method sip_method_lookup(const char *p, size_t len);

/* First / next header field of an id (NULL when none). O(1). */
static inline const struct sip_hdr *
sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	uint8_t i = m->first[id];
	return i == SIP_HDR_NONE ? NULL : &m->hdrs[i];
}

static inline const struct sip_hdr *
sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
	return h->next == SIP_HDR_NONE ? NULL : &m->hdrs[h->next];
}

/* End of the line of header field i (after its LF; for the last field, where
 * its line ends before the body): what a copy that leaves the field out
 * resumes from. */
static inline const char *
sip_msg_hdr_line_end(const struct sip_msg *m, unsigned i)
{
	const char *p, *end;

	if (i + 1u < m->n_hdrs)
		return m->hdrs[i + 1].name.p;
	p = m->hdrs[i].value.p + m->hdrs[i].value.len;
	end = m->buf + m->body_off;
	while (p < end && *p != '\n')
		p++;
	return p < end ? p + 1 : end;
}

/* ---- any thread: lazy accessors of one message ---- */

/* Each returns 0, 1 when the header field is absent (output untouched), or
 * -SIP_ERR_* when its value is malformed. */
int sip_msg_top_via(const struct sip_msg *m, struct sip_via *v);
/* The same, and *next: the end of that via-parm in the first Via field (its ','
 * or the value's end), as sip_via_parse() gives it. */
int sip_msg_top_via_at(const struct sip_msg *m, struct sip_via *v, const char **next);
int sip_msg_from(const struct sip_msg *m, struct sip_nameaddr *na);
int sip_msg_to(const struct sip_msg *m, struct sip_nameaddr *na);
int sip_msg_call_id(const struct sip_msg *m, struct sip_str *id);
int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *c);
/* -SIP_ERR_NUM_RANGE leaves *out = UINT32_MAX: RFC 4475 §3.1.2.4 lets a
 * registrar use its default expiry instead. */
int sip_msg_expires(const struct sip_msg *m, uint32_t *out);
int sip_msg_max_forwards(const struct sip_msg *m, uint32_t *out);

/* Iterate the values of all header fields of one id, in order. The *_next
 * functions return 1 with the next value, 0 at the end, or -SIP_ERR_*. */
void sip_iter_init(struct sip_iter *it, const struct sip_msg *m, enum sip_hdr_id id);
int sip_via_next(struct sip_iter *it, struct sip_via *v);
int sip_contact_next(struct sip_iter *it, struct sip_nameaddr *c);
int sip_route_next(struct sip_iter *it, struct sip_nameaddr *r);  /* Route, Record-Route, Path */
int sip_tag_next(struct sip_iter *it, struct sip_str *tag);       /* option-tags, tokens */

/* ---- any thread: sub-parsers of one value ---- */

/* A whole URI: sip, sips, tel, or any absoluteURI (scheme ":" uric). */
int sip_uri_parse(struct sip_uri *u, const char *p, size_t len);

/* Flags of sip_nameaddr_parse(). */
#define SIP_NA_LIST       1u   /* a list: stop at a top-level ',' */
#define SIP_NA_NEED_BRACKETS 2u /* name-addr only (Route, Record-Route, Path) */
#define SIP_NA_CONTACT    4u   /* accept "*" */

/* One element of a list value starting at p (leading LWS allowed). On success
 * *next is after the element, its trailing LWS and a ',' separator if any (end
 * when the list is over); with a ',' followed by nothing the next call fails
 * with EMPTY_ELEMENT. The URI is only delimited, not parsed. */
int sip_via_parse(struct sip_via *v, const char *p, const char *end, const char **next);
/* The same without the one-pass path for the usual via-parm that
 * sip_via_parse() tries first (the tests hold the two to the same answers). */
int sip_via_parse_general(struct sip_via *v, const char *p, const char *end,
			  const char **next);
int sip_nameaddr_parse(struct sip_nameaddr *na, const char *p, const char *end,
		       unsigned flags, const char **next);

/* Single values (the trimmed value of a header field). */
int sip_cseq_parse(struct sip_cseq *c, const struct sip_str *v);
int sip_callid_check(const struct sip_str *v);
/* Decimal 1*DIGIT up to max; -SIP_ERR_NUM_RANGE sets *out = max. */
int sip_uint_parse(const struct sip_str *v, uint32_t max, uint32_t *out);
int sip_auth_parse(struct sip_auth *a, const struct sip_str *v);
int sip_ctype_parse(struct sip_ctype *ct, const struct sip_str *v);
int sip_date_check(const struct sip_str *v);          /* rfc1123-date, GMT */
int sip_text_check(const struct sip_str *v);          /* TEXT-UTF8 and LWS only */

/* The one walker of a raw parameter string such as sip_uri.params,
 * sip_via.params or sip_nameaddr.params (the text after the first ';'), for
 * those who look parameters up or rewrite them (sip_param_find, the Via
 * rewrites of sip_reply and the proxy); the sub-parsers check the grammar with
 * their own scanner. *pos starts at params.p (NULL: no parameters) and end is
 * params.p + params.len. Returns 1 with the next parameter in *pa (it ends at
 * an unquoted ';'; an empty one between two ';' has an empty text), 0 at the
 * end. Tolerant: it never fails, whatever the octets. */
int sip_param_next(const char **pos, const char *end, struct sip_param *pa);

/* Find parameter `name` (case-insensitive) in a raw parameter string: 0 and
 * *value (absent p for a parameter without value; quotes kept), or 1 when it
 * is not there. */
int sip_param_find(const struct sip_str *params, const char *name, struct sip_str *value);

/* IPv6 reference check (RFC 3261 ABNF, also the RFC 5118 §4.10 forms). p/len
 * without the brackets. */
int sip_ipv6_check(const char *p, size_t len);
int sip_ipv4_check(const char *p, size_t len);

/* ---- start-up / tests ---- */

/* Force the splitter's SIMD level (tests, benchmarks); returns the level in use,
 * which may be lower than asked when the CPU lacks it. SIP_ISA_SCALAR also turns
 * off the SSSE3 class scanners of the sub-parsers. Not thread-safe: call before
 * the workers start. */
enum sip_isa sip_parse_set_isa(enum sip_isa isa);
enum sip_isa sip_parse_get_isa(void);
const char *sip_isa_name(enum sip_isa isa);

#endif /* SIPSHARD_DATAPLANE_SIP_SIP_PARSE_H */
