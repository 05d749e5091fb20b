/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP message framing: start line, header section split and index, body.
 * The one pass of sip_msg_parse(); see dataplane/sip_parse.h for the design.
 */
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SIP_X86 1
#include <immintrin.h>
#else
#define SIP_X86 0
#endif

#include "dataplane/sip/sip_lex.h"
#include "dataplane/sip/sip_parse.h"

_Static_assert(SIP_HDR__COUNT <= 64, "header ids must fit the 64-bit seen mask");
_Static_assert(SIP_ERR__COUNT <= 256, "verdicts must fit in uint8_t");
_Static_assert(SIP_MAX_HDRS < SIP_HDR_NONE, "header index must fit in uint8_t");

/* ---- tables ---- */

struct hdr_def {
	const char *name;
	uint8_t compact;
	uint8_t flags;
};

static const struct hdr_def hdr_defs[SIP_HDR__COUNT] = {
#define SIP_HDR_DEF(id, name, compact, flags) { name, compact, flags },
	SIP_FOREACH_HDR(SIP_HDR_DEF)
#undef SIP_HDR_DEF
};

#define HDR_MASK(id, name, compact, flags) \
	| (((flags) & SIP_HF_S) ? (1ull << SIP_HDR_##id) : 0)
static const uint64_t hdr_single = 0 SIP_FOREACH_HDR(HDR_MASK);
#undef HDR_MASK
#define HDR_MASK(id, name, compact, flags) \
	| (((flags) & SIP_HF_Q) ? (1ull << SIP_HDR_##id) : 0)
static const uint64_t hdr_mandatory = 0 SIP_FOREACH_HDR(HDR_MASK);
#undef HDR_MASK

static const char *const method_names[SIP_METHOD__COUNT] = {
#define SIP_METHOD_NAME(n, s) s,
	SIP_FOREACH_METHOD(SIP_METHOD_NAME)
#undef SIP_METHOD_NAME
};

struct err_def {
	const char *name;
	const char *text;
	uint16_t status;
};

static const struct err_def err_defs[SIP_ERR__COUNT] = {
#define SIP_ERR_DEF(id, status, text) { #id, text, status },
	SIP_FOREACH_ERR(SIP_ERR_DEF)
#undef SIP_ERR_DEF
};

/*
 * Header-name hash: open addressing over 256 slots, filled at start-up from
 * hdr_defs; compact forms are a direct 256-entry table. A name is read as three
 * 64-bit words, zero past its end (name_words()); the slot comes from the first
 * word with 0x20 set in every octet, and the length (a multiply), and holds the
 * first two words of its name and the name's length, so that the usual lookup is
 * one slot read and one compare without a branch per word: (word | case_bits) ==
 * lower-case name word, where case_bits holds 0x20 at the letters of the name
 * only, so 'A' and 'a' match a letter and nothing else matches anything. Names
 * over 16 octets compare their third word from the per-id tables.
 */
#define HASH_SLOTS 256
#define NAME_MAX_LEN 24
struct hdr_slot {
	uint64_t word[2];                 /* the name's first two words, lower case */
	uint64_t fold[2];                 /* 0x20 at their letters */
	uint8_t len;                      /* 0 = empty */
	uint8_t id;
};
static struct hdr_slot hdr_slots[HASH_SLOTS];
static uint8_t hdr_compact[256];          /* id, by octet */
static uint64_t hdr_words[SIP_HDR__COUNT][3];
static uint64_t hdr_case[SIP_HDR__COUNT][3];

static inline unsigned
hdr_hash_key(uint64_t w0, size_t n)
{
	return (unsigned)(((w0 | 0x2020202020202020ull) ^ (uint64_t)n) *
			  0x9e3779b97f4a7c15ull >> 56);
}

static inline uint64_t
ld64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The octets of a name of n <= 16 octets in its two words: name_mask[n][0..1]
 * (a table: no branch on the length). */
static uint64_t name_mask[17][2];

/* The three words of p[0..n), 1 <= n <= 24, zero past n (a copy: reads only
 * p[0..n)). */
static void
name_words(const char *p, size_t n, uint64_t w[3])
{
	char t[24] = { 0 };

	memcpy(t, p, n);
	w[0] = ld64(t);
	w[1] = ld64(t + 8);
	w[2] = ld64(t + 16);
}

/* hdr_lookup() of a name of 1 octet (a compact form), of 17 to 24, or of one
 * that ends within 16 octets of the text's end. */
static __attribute__((noinline)) enum sip_hdr_id
hdr_lookup_rest(const char *p, size_t n)
{
	uint64_t w[3];
	unsigned h;

	if (n == 1)
		return (enum sip_hdr_id)hdr_compact[(uint8_t)p[0]];
	if (n < 2 || n > NAME_MAX_LEN)
		return SIP_HDR_OTHER;
	name_words(p, n, w);
	h = hdr_hash_key(w[0], n);
	for (;;) {
		const struct hdr_slot *s = &hdr_slots[h];

		if (s->len == n &&
		    (((w[0] | s->fold[0]) ^ s->word[0]) | ((w[1] | s->fold[1]) ^ s->word[1])) == 0 &&
		    (n <= 16 || (w[2] | hdr_case[s->id][2]) == hdr_words[s->id][2]))
			return (enum sip_hdr_id)s->id;
		if (s->len == 0)
			return SIP_HDR_OTHER;
		h = (h + 1) & (HASH_SLOTS - 1);
	}
}

/* The id of the header name [p, p + n), n >= 1; [p, end) is readable. The usual
 * name, 2 to 16 octets with 16 readable: two words read in place. */
static inline __attribute__((always_inline)) enum sip_hdr_id
hdr_lookup(const char *p, size_t n, const char *end)
{
	uint64_t w0, w1;
	unsigned h;

	if (__builtin_expect(n - 2 > 16 - 2 || end - p < 16, 0))
		return hdr_lookup_rest(p, n);
	w0 = ld64(p) & name_mask[n][0];
	w1 = ld64(p + 8) & name_mask[n][1];
	h = hdr_hash_key(w0, n);
	for (;;) {
		const struct hdr_slot *s = &hdr_slots[h];

		if (s->len == n &&
		    (((w0 | s->fold[0]) ^ s->word[0]) | ((w1 | s->fold[1]) ^ s->word[1])) == 0)
			return (enum sip_hdr_id)s->id;
		if (s->len == 0)
			return SIP_HDR_OTHER;
		h = (h + 1) & (HASH_SLOTS - 1);
	}
}

/* ---- start line ---- */

static inline enum sip_method
method_lookup(const char *p, size_t n)
{
	switch (n) {
	case 3:
		if (!memcmp(p, "ACK", 3))
			return SIP_METHOD_ACK;
		if (!memcmp(p, "BYE", 3))
			return SIP_METHOD_BYE;
		break;
	case 4:
		if (!memcmp(p, "INFO", 4))
			return SIP_METHOD_INFO;
		break;
	case 5:
		if (!memcmp(p, "PRACK", 5))
			return SIP_METHOD_PRACK;
		if (!memcmp(p, "REFER", 5))
			return SIP_METHOD_REFER;
		break;
	case 6:
		if (!memcmp(p, "INVITE", 6))
			return SIP_METHOD_INVITE;
		if (!memcmp(p, "CANCEL", 6))
			return SIP_METHOD_CANCEL;
		if (!memcmp(p, "UPDATE", 6))
			return SIP_METHOD_UPDATE;
		if (!memcmp(p, "NOTIFY", 6))
			return SIP_METHOD_NOTIFY;
		break;
	case 7:
		if (!memcmp(p, "OPTIONS", 7))
			return SIP_METHOD_OPTIONS;
		if (!memcmp(p, "MESSAGE", 7))
			return SIP_METHOD_MESSAGE;
		if (!memcmp(p, "PUBLISH", 7))
			return SIP_METHOD_PUBLISH;
		break;
	case 8:
		if (!memcmp(p, "REGISTER", 8))
			return SIP_METHOD_REGISTER;
		break;
	case 9:
		if (!memcmp(p, "SUBSCRIBE", 9))
			return SIP_METHOD_SUBSCRIBE;
		break;
	default:
		break;
	}
	return SIP_METHOD_OTHER;
}

static __attribute__((cold, noinline)) int
fail(struct sip_msg *m, int err, unsigned hdr, const char *at)
{
	m->err = (uint8_t)err;
	m->err_sub = SIP_ERR_OK;
	m->err_hdr = (uint8_t)hdr;
	m->err_off = (uint16_t)(at - m->buf);
	return -err;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT: 0 for 2.0, else the error. */
static int
version_check(const char *p, const char *e, int bad)
{
	const char *q;

	if (e - p == 7 && (((uint8_t)p[0] | 0x20) == 's') && (((uint8_t)p[1] | 0x20) == 'i') &&
	    (((uint8_t)p[2] | 0x20) == 'p') && !memcmp(p + 3, "/2.0", 4))
		return 0;
	if (e - p < 7 || !sip_lc_eq(p, "sip/", 4))
		return bad;
	q = sip_skip(p + 4, e, SIP_C_DIGIT);
	if (q == p + 4 || q >= e || *q != '.')
		return bad;
	p = q + 1;
	q = sip_skip(p, e, SIP_C_DIGIT);
	if (q == p || q != e)
		return bad;
	return SIP_ERR_VERSION_NOT_SUPPORTED;
}

/* Request-Line = Method SP Request-URI SP SIP-Version. Status-Line = SIP-Version
 * SP Status-Code SP Reason-Phrase (a missing SP Reason-Phrase is tolerated). */
static int
start_line(struct sip_msg *m, const char *p, const char *e)
{
	const char *q;
	int rc;

	q = sip_skip(p, e, SIP_C_TOKEN);
	if (q < e && *q == '/') {
		/* a status line: the first token of a request cannot hold '/' */
		const char *v = p;
		uint32_t code;

		m->is_request = 0;
		while (q < e && *q != ' ')
			q++;
		rc = version_check(v, q, SIP_ERR_BAD_STATUS_LINE);
		if (rc)
			return fail(m, rc, SIP_HDR_OTHER, v);
		if (q >= e)
			return fail(m, SIP_ERR_BAD_STATUS_LINE, SIP_HDR_OTHER, q);
		p = q + 1;
		q = sip_skip(p, e, SIP_C_DIGIT);
		if (q - p != 3 || (q < e && *q != ' '))
			return fail(m, SIP_ERR_BAD_STATUS_CODE, SIP_HDR_OTHER, p);
		code = (uint32_t)(p[0] - '0') * 100 + (uint32_t)(p[1] - '0') * 10 +
		       (uint32_t)(p[2] - '0');
		if (code < 100 || code > 699)
			return fail(m, SIP_ERR_BAD_STATUS_CODE, SIP_HDR_OTHER, p);
		m->status = (uint16_t)code;
		p = q < e ? q + 1 : q;
		for (q = p; q < e; q++)
			if (!(sip_cls(*q) & SIP_C_TEXT) && *q != ' ' && *q != '\t')
				return fail(m, SIP_ERR_BAD_REASON_PHRASE, SIP_HDR_OTHER, q);
		m->reason = sip_mkstr(p, e);
		return 0;
	}
	m->is_request = 1;
	if (q == p || q >= e || *q != ' ')
		return fail(m, q == p || q >= e ? SIP_ERR_BAD_REQUEST_LINE : SIP_ERR_BAD_METHOD,
			    SIP_HDR_OTHER, q);
	m->method_str = sip_mkstr(p, q);
	m->method = (uint8_t)method_lookup(p, (size_t)(q - p));
	p = q + 1;
	/* the Request-URI holds no SP and no control octet: the first of either,
	 * 16 octets at a time while they last */
	q = p;
#if SIP_X86
	while (e - q >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)q);
		unsigned mk = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
				     _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))),
			_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x)));

		if (mk != 0) {
			q += __builtin_ctz(mk);
			break;
		}
		q += 16;
	}
#endif
	for (; q < e && *q != ' '; q++)
		if (sip_cls(*q) & SIP_C_CTL)
			return fail(m, SIP_ERR_BAD_REQUEST_URI, SIP_HDR_OTHER, q);
	if (q == p || q >= e)
		return fail(m, SIP_ERR_BAD_REQUEST_LINE, SIP_HDR_OTHER, q);
	m->ruri = sip_mkstr(p, q);
	p = q + 1;
	rc = version_check(p, e, SIP_ERR_BAD_REQUEST_LINE);
	if (rc)
		return fail(m, rc, SIP_HDR_OTHER, p);
	return 0;
}

/* ---- header section ---- */

/*
 * LF positions, 64 octets at a time. `mf` returns the LF bit mask of 64 readable
 * octets; NULL means no SIMD (memchr). A block that would cross `end` is loaded
 * end-aligned and its mask shifted; messages under 64 octets take the memchr()
 * path (sip_msg_parse()), so every load stays inside the message.
 */
typedef uint64_t lf_mask_fn(const char *p);

struct lf_iter {
	const char *blk;        /* base of the current block */
	const char *end;
	uint64_t bits;          /* LFs of the block not yet returned */
};

static inline __attribute__((always_inline)) uint64_t
lf_block(const struct lf_iter *it, const char *b, lf_mask_fn *mf)
{
	size_t left = (size_t)(it->end - b);

	if (left >= 64)
		return mf(b);
	return mf(it->end - 64) >> (64 - left);
}

static inline __attribute__((always_inline)) const char *
lf_next(struct lf_iter *it, lf_mask_fn *mf)
{
	if (!mf) {
		const char *q = memchr(it->blk, '\n', (size_t)(it->end - it->blk));
		if (q)
			it->blk = q + 1;
		return q;
	}
	while (it->bits == 0) {
		it->blk += 64;
		if (it->blk >= it->end)
			return NULL;
		it->bits = lf_block(it, it->blk, mf);
	}
	{
		unsigned i = (unsigned)__builtin_ctzll(it->bits);
		it->bits &= it->bits - 1;
		return it->blk + i;
	}
}

/* The first ':' in [p, lf), or lf. A 16-octet load when it stays before end. */
static inline const char *
colon_find(const char *p, const char *lf, const char *end)
{
#if SIP_X86
	static const uint8_t colons[16] __attribute__((aligned(16))) = {
		':', ':', ':', ':', ':', ':', ':', ':', ':', ':', ':', ':', ':', ':', ':', ':' };

	if (end - p >= 16) {
		unsigned mk = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			_mm_loadu_si128((const __m128i *)p), _mm_load_si128((const __m128i *)colons)));
		if (mk) {
			const char *c = p + __builtin_ctz(mk);
			return c < lf ? c : lf;
		}
		p += 16;
	}
#else
	(void)end;
#endif
	while (p < lf && *p != ':')
		p++;
	return p;
}

/* The value of a field whose colon is at c and whose last line ends at lf, LWS
 * trimmed at both ends (c < lf: lf[-1] is readable). */
static inline __attribute__((always_inline)) void
value_trim(const char *c, const char *lf, const char **vsp, const char **vep)
{
	const char *vs = c + 1 + (c[1] == ' '), *ve = lf - (lf[-1] == '\r');

	if (vs < ve && (sip_is_lws(ve[-1]) | sip_is_lws(*vs))) {
		ve = sip_trim_lws(vs, ve);
		vs = sip_skip_lws(vs, ve);
	}
	if (vs > ve)
		vs = ve;   /* "Name:\r\n" or "Name: \n": empty */
	*vsp = vs;
	*vep = ve;
}

/* Does [p, e) hold an octet that no token has? */
static inline int
name_bad(const char *p, const char *e)
{
	return sip_skip(p, e, SIP_C_TOKEN) != e;
}

/* A failure inside the header section: the fields before it stay indexed;
 * an earlier start-line failure remains the verdict. */
static __attribute__((cold, noinline)) int
split_fail(struct sip_msg *m, unsigned n, uint64_t seen, int err, unsigned hdr, const char *at)
{
	m->n_hdrs = (uint8_t)n;
	m->seen = seen;
	if (m->err != SIP_ERR_OK)
		return -m->err;
	return fail(m, err, hdr, at);
}

static inline __attribute__((always_inline)) int
split(struct sip_msg *m, const char *p, const char *end, lf_mask_fn *mf)
{
	struct lf_iter it = { p, end, 0 };
	const char *lf, *le;
	uint64_t seen = 0;
	unsigned n = 0;
	int rc;

	if (mf)
		it.bits = lf_block(&it, p, mf);
	lf = lf_next(&it, mf);
	if (!lf)
		return fail(m, SIP_ERR_NO_END_OF_HEADERS, SIP_HDR_OTHER, end);
	le = (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
	/* a bad start line is the verdict, but the header fields are still
	 * indexed so that a 400 or 505 can copy Via, From, To, Call-ID, CSeq */
	rc = start_line(m, p, le);
	p = lf + 1;

	for (;;) {
		const char *name = p, *ne, *vs, *ve;
		unsigned id;
		uint64_t bit;

		if (p >= end)
			return split_fail(m, n, seen, SIP_ERR_NO_END_OF_HEADERS, SIP_HDR_OTHER, end);
		/* a line that starts with SP or less: the empty line, folding, or a
		 * control octet (a bad name, found below) */
		if (__builtin_expect((uint8_t)*p <= ' ', 0)) {
			if (*p == '\r' || *p == '\n') {
				if (*p == '\r') {
					if (p + 1 >= end || p[1] != '\n')
						return split_fail(m, n, seen, p + 1 >= end ?
								  SIP_ERR_NO_END_OF_HEADERS :
								  SIP_ERR_BAD_LINE_END,
								  SIP_HDR_OTHER, p);
					p++;
				}
				p++;
				break;
			}
			if (*p == ' ' || *p == '\t') {
				/* continuation lines: the field before goes on (none
				 * before the first field) */
				if (n == 0)
					return split_fail(m, n, seen, SIP_ERR_BAD_FOLDING,
							  SIP_HDR_OTHER, p);
				do {
					lf = lf_next(&it, mf);
					if (!lf)
						return split_fail(m, n, seen,
								  SIP_ERR_NO_END_OF_HEADERS,
								  SIP_HDR_OTHER, end);
				} while (lf + 1 < end && (lf[1] == ' ' || lf[1] == '\t'));
				/* its value again, from its colon (the first ':' after
				 * its name) to the end of the last line */
				name = m->hdrs[n - 1].name.p;
				p = colon_find(name, lf, end);
				value_trim(p, lf, &vs, &ve);
				m->hdrs[n - 1].value = sip_mkstr(vs, ve);
				p = lf + 1;
				continue;
			}
		}
		lf = lf_next(&it, mf);
		if (!lf)
			return split_fail(m, n, seen, SIP_ERR_NO_END_OF_HEADERS, SIP_HDR_OTHER, end);
		/* field-name HCOLON: token *(SP / HTAB) ":" */
		p = colon_find(name, lf, end);
		if (p >= lf)
			return split_fail(m, n, seen, SIP_ERR_NO_COLON, SIP_HDR_OTHER, name);
		ne = p;
		/* ne[-1] is readable: the start line is before the first field. SP or
		 * less there: an empty name, or SP/HTAB before the colon */
		if (__builtin_expect((uint8_t)ne[-1] <= ' ', 0)) {
			while (ne > name && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			if (ne == name)
				return split_fail(m, n, seen, SIP_ERR_BAD_HEADER_NAME,
						  SIP_HDR_OTHER, name);
		}
		/* continuation lines (a next line starting with SP or HTAB) are taken
		 * when that line comes, above */
		/* trim LWS. The common case: one SP after ':', CRLF at the end, and
		 * octets above SP inside them (p[1] == SP: p + 2 <= lf; lf[-1] == CR:
		 * lf - 2 >= p; both above SP: p + 2 < lf - 1) */
		if (__builtin_expect(p[1] == ' ' && lf[-1] == '\r' && (uint8_t)p[2] > ' ' &&
				     (uint8_t)lf[-2] > ' ', 1)) {
			vs = p + 2;
			ve = lf - 1;
		} else {
			value_trim(p, lf, &vs, &ve);
		}
		if (n >= SIP_MAX_HDRS)
			return split_fail(m, n, seen, SIP_ERR_TOO_MANY_HEADERS, SIP_HDR_OTHER, name);
		id = hdr_lookup(name, (size_t)(ne - name), end);
		/* a known name is a token by construction; check the others */
		if (id == SIP_HDR_OTHER && name_bad(name, ne))
			return split_fail(m, n, seen, SIP_ERR_BAD_HEADER_NAME, SIP_HDR_OTHER, name);
		bit = 1ull << id;
		if (seen & bit) {
			if (hdr_single & bit)
				return split_fail(m, n, seen, SIP_ERR_DUP_HEADER, id, name);
			m->hdrs[m->last[id]].next = (uint8_t)n;
		} else {
			m->first[id] = (uint8_t)n;
		}
		seen |= bit;
		m->last[id] = (uint8_t)n;
		m->hdrs[n].name = sip_mkstr(name, ne);
		m->hdrs[n].value = sip_mkstr(vs, ve);
		m->hdrs[n].id = (uint8_t)id;
		m->hdrs[n].next = SIP_HDR_NONE;
		n++;
		p = lf + 1;
	}
	m->n_hdrs = (uint8_t)n;
	m->seen = seen;
	m->body_off = (uint16_t)(p - m->buf);
	return rc;
}

#if SIP_X86
static inline __attribute__((always_inline)) uint64_t
lf_mask_sse2(const char *p)
{
	const __m128i nl = _mm_set1_epi8('\n');
	uint64_t r = 0;

	for (int i = 0; i < 4; i++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * i));
		r |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, nl)) << (16 * i);
	}
	return r;
}

static inline __attribute__((target("avx2"), always_inline)) uint64_t
lf_mask_avx2(const char *p)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	uint64_t a = (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)p), nl));
	uint64_t b = (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + 32)), nl));
	return a | (b << 32);
}

static inline __attribute__((target("avx512f,avx512bw"), always_inline)) uint64_t
lf_mask_avx512(const char *p)
{
	return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)p), _mm512_set1_epi8('\n'));
}

static int
split_sse2(struct sip_msg *m, const char *p, const char *end)
{
	return split(m, p, end, lf_mask_sse2);
}

static __attribute__((target("avx2"))) int
split_avx2(struct sip_msg *m, const char *p, const char *end)
{
	return split(m, p, end, lf_mask_avx2);
}

static __attribute__((target("avx2,avx512f,avx512bw"))) int
split_avx512(struct sip_msg *m, const char *p, const char *end)
{
	return split(m, p, end, lf_mask_avx512);
}
#endif

static int
split_scalar(struct sip_msg *m, const char *p, const char *end)
{
	return split(m, p, end, NULL);
}

typedef int split_fn(struct sip_msg *m, const char *p, const char *end);
static split_fn *split_impl = split_scalar;
static enum sip_isa split_isa = SIP_ISA_SCALAR;

/* ---- start-up ---- */

static enum sip_isa
isa_best(void)
{
#if SIP_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f"))
		return SIP_ISA_AVX512;
	if (__builtin_cpu_supports("avx2"))
		return SIP_ISA_AVX2;
	return SIP_ISA_SSE2;
#else
	return SIP_ISA_SCALAR;
#endif
}

static size_t
append(char *buf, size_t n, size_t at, const char *s)
{
	while (*s && at + 1 < n)
		buf[at++] = *s++;
	return at;
}

__attribute__((constructor)) static void
sip_parse_init(void)
{
	for (unsigned n = 0; n <= 16; n++) {
		name_mask[n][0] = n >= 8 ? ~0ull : n == 0 ? 0 : ~0ull >> (64 - 8 * n);
		name_mask[n][1] = n >= 16 ? ~0ull : n <= 8 ? 0 : ~0ull >> (128 - 8 * n);
	}
	for (unsigned id = 1; id < SIP_HDR__COUNT; id++) {
		const char *nm = hdr_defs[id].name;
		size_t n = strlen(nm);
		char lc[NAME_MAX_LEN], cb[NAME_MAX_LEN];
		unsigned h;

		for (size_t i = 0; i < n && i < NAME_MAX_LEN; i++) {
			int letter = (nm[i] | 0x20) >= 'a' && (nm[i] | 0x20) <= 'z';
			lc[i] = (char)(letter ? nm[i] | 0x20 : nm[i]);
			cb[i] = (char)(letter ? 0x20 : 0);
		}
		name_words(lc, n, hdr_words[id]);
		name_words(cb, n, hdr_case[id]);
		h = hdr_hash_key(hdr_words[id][0], n);
		while (hdr_slots[h].len != 0)
			h = (h + 1) & (HASH_SLOTS - 1);
		hdr_slots[h] = (struct hdr_slot){ { hdr_words[id][0], hdr_words[id][1] },
						  { hdr_case[id][0], hdr_case[id][1] }, (uint8_t)n,
						  (uint8_t)id };
		if (hdr_defs[id].compact) {
			hdr_compact[hdr_defs[id].compact] = (uint8_t)id;
			hdr_compact[hdr_defs[id].compact & ~0x20] = (uint8_t)id;
		}
	}
	sip_parse_set_isa(SIP_ISA_AVX512);
}

/* ---- any thread (sip_parse_set_isa: before the workers start) ---- */

enum sip_isa
sip_parse_set_isa(enum sip_isa isa)
{
	enum sip_isa best = isa_best();

	if (isa > best)
		isa = best;
	switch (isa) {
#if SIP_X86
	case SIP_ISA_AVX512:
		split_impl = split_avx512;
		break;
	case SIP_ISA_AVX2:
		split_impl = split_avx2;
		break;
	case SIP_ISA_SSE2:
		split_impl = split_sse2;
		break;
#endif
	default:
		isa = SIP_ISA_SCALAR;
		split_impl = split_scalar;
		break;
	}
	split_isa = isa;
	sip_skip_simd = isa != SIP_ISA_SCALAR;
	return isa;
}

enum sip_isa
sip_parse_get_isa(void)
{
	return split_isa;
}

const char *
sip_isa_name(enum sip_isa isa)
{
	switch (isa) {
	case SIP_ISA_SSE2:
		return "sse2";
	case SIP_ISA_AVX2:
		return "avx2";
	case SIP_ISA_AVX512:
		return "avx512";
	default:
		return "scalar";
	}
}

int
sip_msg_parse(struct sip_msg *m, const char *buf, size_t len)
{
	const char *p, *end;
	const struct sip_hdr *cl;
	int rc;

	if (!buf) {
		static const char none[1];
		buf = none;
		len = 0;
	}
	p = buf;
	end = buf + len;

	m->buf = buf;
	m->len = (uint16_t)(len > SIP_MAX_MSG ? SIP_MAX_MSG : len);
	m->err = SIP_ERR_OK;
	m->err_sub = SIP_ERR_OK;
	m->err_hdr = SIP_HDR_OTHER;
	m->err_off = 0;
	m->n_hdrs = 0;
	m->seen = 0;
	m->method = SIP_METHOD_OTHER;
	m->status = 0;
	m->has_body_len = 0;
	m->method_str.p = m->ruri.p = m->reason.p = m->body.p = NULL;
	m->method_str.len = m->ruri.len = m->reason.len = m->body.len = 0;
	memset(m->first, SIP_HDR_NONE, sizeof(m->first));
	if (len > SIP_MAX_MSG) {
		m->len = 0;
		return fail(m, SIP_ERR_TOO_LARGE, SIP_HDR_OTHER, buf);
	}
	/* CRLFs before the start line are ignored (RFC 3261 §7.5) */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if (p == end)
		return fail(m, SIP_ERR_EMPTY, SIP_HDR_OTHER, p);
	rc = end - p >= 64 ? split_impl(m, p, end) : split_scalar(m, p, end);
	if (rc)
		return rc;
	if ((m->seen & hdr_mandatory) != hdr_mandatory) {
		uint64_t miss = hdr_mandatory & ~m->seen;
		return fail(m, SIP_ERR_MISSING_HEADER, (unsigned)__builtin_ctzll(miss), end);
	}
	p = buf + m->body_off;
	cl = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
	if (cl) {
		uint32_t n;
		rc = sip_dec_parse(cl->value.p, cl->value.p + cl->value.len, SIP_MAX_MSG, &n);
		if (rc)
			return fail(m, -rc, SIP_HDR_CONTENT_LENGTH, cl->value.p);
		if (n > (size_t)(end - p))
			return fail(m, SIP_ERR_SHORT_BODY, SIP_HDR_OTHER, end);
		m->has_body_len = 1;
		m->body = sip_mkstr(p, p + n);
	} else {
		m->body = sip_mkstr(p, end);
	}
	return 0;
}

int
sip_msg_set_err(struct sip_msg *m, int rc, enum sip_hdr_id id, const char *at)
{
	if (rc >= 0 || m->err != SIP_ERR_OK)
		return rc;
	if (!at || at < m->buf || at > m->buf + m->len)
		at = m->buf;
	fail(m, -rc, id, at);
	return rc;
}

const char *
sip_err_str(int err)
{
	if (err < 0)
		err = -err;
	return err < SIP_ERR__COUNT ? err_defs[err].text : "Unknown error";
}

const char *
sip_err_name(int err)
{
	if (err < 0)
		err = -err;
	return err < SIP_ERR__COUNT ? err_defs[err].name : "UNKNOWN";
}

uint16_t
sip_err_status(int err)
{
	if (err < 0)
		err = -err;
	return err < SIP_ERR__COUNT ? err_defs[err].status : 400;
}

const char *
sip_hdr_name(unsigned id)
{
	return id < SIP_HDR__COUNT ? hdr_defs[id].name : "";
}

const char *
sip_method_name(unsigned method)
{
	return method < SIP_METHOD__COUNT ? method_names[method] : "";
}

enum sip_hdr_id
sip_hdr_lookup(const char *name, size_t len)
{
	if (len == 0 || sip_skip(name, name + len, SIP_C_TOKEN) != name + len)
		return SIP_HDR_OTHER;
	return hdr_lookup(name, len, name + len);
}

enum sip_method
sip_method_lookup(const char *p, size_t len)
{
	return method_lookup(p, len);
}

size_t
sip_reason_build(char *buf, size_t n, int err, enum sip_hdr_id id)
{
	size_t at = 0;

	if (n == 0)
		return 0;
	at = append(buf, n, at, sip_err_str(err));
	if (id != SIP_HDR_OTHER && (unsigned)id < SIP_HDR__COUNT) {
		at = append(buf, n, at, ": ");
		at = append(buf, n, at, hdr_defs[id].name);
	}
	buf[at] = '\0';
	return at;
}

size_t
sip_msg_reason(const struct sip_msg *m, char *buf, size_t n)
{
	size_t at = sip_reason_build(buf, n, m->err, (enum sip_hdr_id)m->err_hdr);

	if (m->err_sub != SIP_ERR_OK && n > 0) {
		at = append(buf, n, at, " (");
		at = append(buf, n, at, sip_err_str(m->err_sub));
		at = append(buf, n, at, ")");
		buf[at] = '\0';
	}
	return at;
}
