/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP request templates and reply scanning of sipshard-gen. See gen_sip.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "perf/gen_sip.h"

#define GEN_ETH_LEN     14
#define GEN_IP_LEN      20
#define GEN_UDP_LEN     8
#define GEN_UDP_OFF     (GEN_ETH_LEN + GEN_IP_LEN)
#define GEN_SIP_OFF     (GEN_UDP_OFF + GEN_UDP_LEN)
#define GEN_SDP_MAX     512

static const char gen_hex[] = "0123456789abcdef";

/* ---- checksums (network order words) ---- */

uint32_t
gen_cksum_add(uint32_t sum, const uint8_t *buf, size_t len, size_t start_off)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += ((start_off + i) & 1) ? buf[i] : (uint32_t)buf[i] << 8;
	return sum;
}

uint16_t
gen_cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Two characters per table load, and what they add to the checksum: the
 * template holds '0' in every digit place, so a digit adds its character minus
 * '0' to the sum of its parity (even UDP offsets are the high byte of a 16-bit
 * word). hexd/decd: (first char - '0') << 16 | (second char - '0'). */
struct gen_digits {
	char hex2[512];
	char dec2[200];
	uint32_t hexd[256];
	uint32_t decd[100];
};

static const struct gen_digits *
gen_digits(void)
{
	static struct gen_digits d;
	static bool done;
	unsigned int i;

	if (done)
		return &d;
	for (i = 0; i < 256; i++) {
		d.hex2[2 * i] = gen_hex[i >> 4];
		d.hex2[2 * i + 1] = gen_hex[i & 15];
		d.hexd[i] = (uint32_t)(d.hex2[2 * i] - '0') << 16 | (uint32_t)(d.hex2[2 * i + 1] - '0');
	}
	for (i = 0; i < 100; i++) {
		d.dec2[2 * i] = (char)('0' + i / 10);
		d.dec2[2 * i + 1] = (char)('0' + i % 10);
		d.decd[i] = (i / 10) << 16 | (i % 10);
	}
	done = true;
	return &d;
}

/* ---- template building (main thread, once) ---- */

struct gen_sb {
	struct gen_tpl *t;
	char *p;                        /* payload start in t->frame */
	size_t len, cap;
	bool overflow;
};

__attribute__((format(printf, 2, 3)))
static void
sb_lit(struct gen_sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->overflow = true;
	else
		b->len += (size_t)n;
}

static void
sb_field(struct gen_sb *b, enum gen_field id, unsigned int width)
{
	struct gen_tpl *t = b->t;

	if (b->overflow || t->n_fields == GEN_TPL_FIELDS || width >= b->cap - b->len) {
		b->overflow = true;
		return;
	}
	t->f[t->n_fields].off = (uint16_t)(GEN_SIP_OFF + b->len);
	t->f[t->n_fields].width = (uint8_t)width;
	t->f[t->n_fields].id = (uint8_t)id;
	t->n_fields++;
	memset(b->p + b->len, '0', width);
	b->len += width;
	b->p[b->len] = '\0';
}

static unsigned int
dec_width(uint32_t max)
{
	unsigned int w = 1;

	while (max >= 10) {
		max /= 10;
		w++;
	}
	return w;
}

/* Via, Max-Forwards, From, To, Call-ID and CSeq; FROM_USER/TO_USER: NULL = uNNN. */
static void
sb_common(struct gen_sb *b, const struct gen_cfg *c, const char *ip, uint16_t sport,
	  uint32_t runid, unsigned int uw, const char *from_user, const char *to_uri,
	  const char *method)
{
	sb_lit(b, "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-%08x-", ip, sport, runid);
	sb_field(b, GEN_F_SEQ, 16);
	sb_lit(b, ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:");
	if (from_user != NULL)
		sb_lit(b, "%s", from_user);
	else {
		sb_lit(b, "u");
		sb_field(b, GEN_F_USER, uw);
	}
	sb_lit(b, "@%s>;tag=", c->wl.domain);
	sb_field(b, GEN_F_TAG, 8);
	if (to_uri != NULL)
		sb_lit(b, "\r\nTo: <%s>\r\nCall-ID: ", to_uri);
	else {
		sb_lit(b, "\r\nTo: <sip:u");
		sb_field(b, GEN_F_USER, uw);
		sb_lit(b, "@%s>\r\nCall-ID: ", c->wl.domain);
	}
	sb_field(b, GEN_F_CALLID, 16);
	sb_lit(b, "-%08x@%s\r\nCSeq: ", runid, ip);
	sb_field(b, GEN_F_CSEQ, 9);
	sb_lit(b, " %s\r\n", method);
}

int
gen_tpl_build(struct gen_tpl *t, const struct gen_cfg *c, const struct gen_net *net,
	      uint32_t runid)
{
	struct gen_sb b = { .t = t, .cap = GEN_FRAME_MAX - GEN_SIP_OFF };
	char ip[INET_ADDRSTRLEN], dip[INET_ADDRSTRLEN], uri[96], sdp[GEN_SDP_MAX];
	unsigned int uw = dec_width(c->wl.aors - 1);
	uint8_t *f = t->frame;
	uint16_t udp_len, ip_len;
	uint32_t sum;
	int n;

	memset(t, 0, sizeof(*t));
	(void)gen_digits();             /* its tables, before any lcore writes requests */
	b.p = (char *)f + GEN_SIP_OFF;
	inet_ntop(AF_INET, &net->src_ip, ip, sizeof(ip));
	inet_ntop(AF_INET, &net->dst_ip, dip, sizeof(dip));

	switch (c->wl.type) {
	case GEN_WL_REGISTER:
		snprintf(t->method, sizeof(t->method), "REGISTER");
		sb_lit(&b, "REGISTER sip:%s SIP/2.0\r\n", c->wl.domain);
		sb_common(&b, c, ip, net->sport, runid, uw, NULL, NULL, "REGISTER");
		sb_lit(&b, "Contact: <sip:u");
		sb_field(&b, GEN_F_USER, uw);
		sb_lit(&b, "@%s:%u>\r\nExpires: %u\r\nUser-Agent: sipshard-gen\r\n"
			   "Content-Length: 0\r\n\r\n", ip, net->sport, c->wl.expires);
		break;
	case GEN_WL_INVITE:
		snprintf(t->method, sizeof(t->method), "INVITE");
		n = snprintf(sdp, sizeof(sdp),
			     "v=0\r\no=sipshard-gen 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
			     "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
			     "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
			     "a=fmtp:101 0-15\r\na=sendrecv\r\n", ip, ip);
		if (n < 0 || (size_t)n >= sizeof(sdp))
			return -EINVAL;
		sb_lit(&b, "INVITE sip:u");
		sb_field(&b, GEN_F_USER, uw);
		sb_lit(&b, "@%s SIP/2.0\r\n", c->wl.domain);
		sb_common(&b, c, ip, net->sport, runid, uw, "sipshard-gen", NULL, "INVITE");
		sb_lit(&b, "Contact: <sip:sipshard-gen@%s:%u>\r\nContent-Type: application/sdp\r\n"
			   "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nUser-Agent: sipshard-gen\r\n"
			   "Content-Length: %d\r\n\r\n%s", ip, net->sport, n, sdp);
		break;
	case GEN_WL_OPTIONS:
		snprintf(t->method, sizeof(t->method), "OPTIONS");
		snprintf(uri, sizeof(uri), "sip:%s:%u", dip, net->dport);
		sb_lit(&b, "OPTIONS %s SIP/2.0\r\n", uri);
		sb_common(&b, c, ip, net->sport, runid, uw, NULL, uri, "OPTIONS");
		sb_lit(&b, "Contact: <sip:u");
		sb_field(&b, GEN_F_USER, uw);
		sb_lit(&b, "@%s:%u>\r\nAccept: application/sdp\r\nUser-Agent: sipshard-gen\r\n"
			   "Content-Length: 0\r\n\r\n", ip, net->sport);
		break;
	default:
		return -EINVAL;
	}
	if (b.overflow || b.len > 1500 - GEN_IP_LEN - GEN_UDP_LEN)
		return -EINVAL;

	udp_len = (uint16_t)(GEN_UDP_LEN + b.len);
	ip_len = (uint16_t)(GEN_IP_LEN + udp_len);
	t->len = (uint16_t)(GEN_ETH_LEN + ip_len);
	t->udp_off = GEN_UDP_OFF;

	memcpy(f, net->dst_mac, 6);
	memcpy(f + 6, net->src_mac, 6);
	put16(f + 12, 0x0800);

	f[14] = 0x45;                           /* IPv4, 20-byte header */
	f[15] = 0;
	put16(f + 16, ip_len);
	put16(f + 18, 0);                       /* id: DF set, never fragmented */
	put16(f + 20, 0x4000);
	f[22] = 64;
	f[23] = 17;                             /* UDP */
	memcpy(f + 26, &net->src_ip, 4);
	memcpy(f + 30, &net->dst_ip, 4);
	put16(f + 24, (uint16_t)~gen_cksum_fold(gen_cksum_add(0, f + 14, GEN_IP_LEN, 0)));

	put16(f + GEN_UDP_OFF, net->sport);
	put16(f + GEN_UDP_OFF + 2, net->dport);
	put16(f + GEN_UDP_OFF + 4, udp_len);
	put16(f + GEN_UDP_OFF + 6, 0);

	/* Pseudo header (src, dst, 0, 17, length) + UDP header + payload. */
	sum = gen_cksum_add(0, f + 26, 8, 0);
	sum += 17 + udp_len;
	t->sum = gen_cksum_add(sum, f + GEN_UDP_OFF, udp_len, 0);
	return 0;
}

/* ---- per request (generator lcore) ---- */

/* v as w hex digits (w even) at p; s[0]/s[1]: what the digits at even/odd places
 * of the field (from its first character) add. */
static inline void
put_hex(const struct gen_digits *d, uint8_t *p, unsigned int w, uint64_t v, uint32_t s[2])
{
	uint32_t acc = 0;
	int j;

	for (j = (int)w - 2; j >= 0; j -= 2, v >>= 8) {
		unsigned int b = (unsigned int)(v & 0xff);

		memcpy(p + j, &d->hex2[2 * b], 2);
		acc += d->hexd[b];
	}
	s[0] += acc >> 16;
	s[1] += acc & 0xffff;
}

/* v as w decimal digits, zero-padded, at p; s as put_hex. */
static inline void
put_dec(const struct gen_digits *d, uint8_t *p, unsigned int w, uint64_t v, uint32_t s[2])
{
	uint32_t acc = 0;
	int j;

	for (j = (int)w - 2; j >= 0; j -= 2, v /= 100) {
		unsigned int b = (unsigned int)(v % 100);

		memcpy(p + j, &d->dec2[2 * b], 2);
		acc += d->decd[b];
	}
	/* the pairs start at w & 1: their first digits sit at that parity */
	s[w & 1] += acc >> 16;
	s[(w & 1) ^ 1] += acc & 0xffff;
	if (j == -1) {                  /* odd width: the leading digit */
		p[0] = (uint8_t)('0' + v % 10);
		s[0] += (uint32_t)(v % 10);
	}
}

uint16_t
gen_tpl_write(const struct gen_tpl *t, uint8_t *dst, const struct gen_req *r)
{
	const struct gen_digits *d = gen_digits();
	uint32_t sum = t->sum, user_s[2] = { 0, 0 };
	const uint8_t *user = NULL;
	unsigned int i, user_w = 0;
	uint16_t ck;

	memcpy(dst, t->frame, t->len);
	for (i = 0; i < t->n_fields; i++) {
		const struct gen_tpl_field *fl = &t->f[i];
		uint8_t *p = dst + fl->off;
		/* the parity of the field's first character from the UDP header */
		unsigned int odd = ((size_t)fl->off - t->udp_off) & 1;
		uint32_t s[2] = { 0, 0 };

		switch (fl->id) {
		case GEN_F_SEQ: put_hex(d, p, fl->width, r->seq, s); break;
		case GEN_F_TAG: put_hex(d, p, fl->width, r->tag, s); break;
		case GEN_F_CALLID: put_hex(d, p, fl->width, r->callid, s); break;
		case GEN_F_USER:
			/* the same user in From, To and Contact: its digits once */
			if (user != NULL && user_w == fl->width) {
				memcpy(p, user, fl->width);
				s[0] = user_s[0];
				s[1] = user_s[1];
				break;
			}
			put_dec(d, p, fl->width, r->user, s);
			user = p;
			user_w = fl->width;
			user_s[0] = s[0];
			user_s[1] = s[1];
			break;
		default: put_dec(d, p, fl->width, r->cseq, s); break;
		}
		sum += odd ? (s[1] << 8) + s[0] : (s[0] << 8) + s[1];
	}
	ck = (uint16_t)~gen_cksum_fold(sum);
	put16(dst + t->udp_off + 6, ck == 0 ? 0xffff : ck);
	return t->len;
}

/* ---- reply scanning (generator lcore) ---- */

/* A hex digit's value + 1, 0 for any other octet. */
static const uint8_t hexv1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

/* N hex digits at P (P + N <= end checked by the caller) into *v. */
static bool
hex_n(const char *p, unsigned int n, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int i, bad = 0;

	for (i = 0; i < n; i++) {
		unsigned int d = hexv1[(uint8_t)p[i]];

		bad |= d == 0;
		x = (x << 4) | (uint64_t)((d - 1) & 15);
	}
	*v = x;
	return bad == 0;
}

/* Header name [P, P+LEN) equals lower-case NAME, ignoring case. */
static bool
name_is(const char *p, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (name[i] == '\0' || ch != name[i])
			return false;
	}
	return name[len] == '\0';
}

static void
scan_via(const char *v, const char *end, uint32_t runid, struct gen_sip_msg *m)
{
	static const char key[] = "branch=";
	const char *comma = memchr(v, ',', (size_t)(end - v)), *p;
	uint64_t rid, seq;
	size_t i;

	if (comma != NULL)
		end = comma;
	/* the parameters: after each ';' (and LWS), "branch=" in any case */
	for (p = memchr(v, ';', (size_t)(end - v)); p != NULL;
	     p = memchr(p, ';', (size_t)(end - p))) {
		for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		if ((size_t)(end - p) < sizeof(key) - 1)
			return;
		for (i = 0; i < sizeof(key) - 1; i++)
			if ((p[i] | (key[i] == '=' ? 0 : 0x20)) != key[i])
				break;
		if (i == sizeof(key) - 1)
			break;
	}
	if (p == NULL)
		return;
	p += sizeof(key) - 1;
	/* z9hG4bK-RRRRRRRR-SSSSSSSSSSSSSSSS */
	if (end - p < 8 + 8 + 1 + 16 || memcmp(p, "z9hG4bK-", 8) != 0 || p[16] != '-')
		return;
	if (!hex_n(p + 8, 8, &rid) || rid != runid || !hex_n(p + 17, 16, &seq))
		return;
	p += 33;
	if (p < end && *p != ';' && *p != ' ' && *p != '\t')
		return;
	m->ours = true;
	m->seq = seq;
}

static void
scan_callid(const char *v, const char *end, const char *suffix, size_t slen,
	    struct gen_sip_msg *m)
{
	if (end - v < 16 || !hex_n(v, 16, &m->callid))
		return;
	m->has_callid = true;
	m->callid_ours = (size_t)(end - v - 16) == slen && memcmp(v + 16, suffix, slen) == 0;
}

static void
scan_cseq(const char *v, const char *end, struct gen_sip_msg *m)
{
	uint64_t n = 0;
	size_t i = 0;

	while (v < end && *v >= '0' && *v <= '9' && n < 0xffffffffu)
		n = n * 10 + (uint64_t)(*v++ - '0');
	m->cseq = (uint32_t)n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (v < end && i < sizeof(m->cseq_method) - 1 && *v != ' ' && *v != '\t')
		m->cseq_method[i++] = *v++;
	m->cseq_method[i] = '\0';
}

int
gen_sip_scan(const char *p, size_t len, uint32_t runid, const char *callid_suffix,
	     size_t suffix_len, struct gen_sip_msg *m)
{
	const char *end = p + len, *line, *eol, *colon, *ne, *v, *ve;
	bool via_seen = false, cseq_seen = false;
	size_t ll;

	memset(m, 0, sizeof(*m));
	eol = memchr(p, '\n', len);
	if (eol == NULL || len < 12)
		return -1;
	if (memcmp(p, "SIP/2.0 ", 8) == 0) {
		if (p[8] < '1' || p[8] > '6' || p[9] < '0' || p[9] > '9' || p[10] < '0' || p[10] > '9')
			return -1;
		m->status = (uint16_t)((p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0'));
	} else {
		m->is_request = true;
	}
	for (line = eol + 1; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		ll = (size_t)(eol - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;                  /* end of the headers */
		/* only Via (v), Call-ID (i) and CSeq are read: any other first
		 * letter is a field we skip without looking further */
		switch (line[0] | 0x20) {
		case 'v': case 'c': case 'i': break;
		default: continue;
		}
		colon = memchr(line, ':', ll);
		if (colon == NULL)
			continue;
		for (ne = colon; ne > line && (ne[-1] == ' ' || ne[-1] == '\t'); ne--)
			;
		for (v = colon + 1; v < line + ll && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = line + ll; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		if (!via_seen && (name_is(line, (size_t)(ne - line), "via") ||
				  name_is(line, (size_t)(ne - line), "v"))) {
			via_seen = true;
			scan_via(v, ve, runid, m);
		} else if (name_is(line, (size_t)(ne - line), "call-id") ||
			   name_is(line, (size_t)(ne - line), "i")) {
			scan_callid(v, ve, callid_suffix, suffix_len, m);
		} else if (name_is(line, (size_t)(ne - line), "cseq")) {
			scan_cseq(v, ve, m);
			cseq_seen = true;
		}
		/* all we match on is known: the rest of the headers need not be read */
		if (eol == end || (via_seen && m->has_callid && cseq_seen))
			break;
	}
	return 0;
}

/* The template's octets [a, b) of frame f, within the frame. */
static bool
same_as_tpl(const struct gen_tpl *t, const uint8_t *f, long a, long b)
{
	if (a < GEN_SIP_OFF)
		a = GEN_SIP_OFF;
	if (b > (long)t->len)
		b = (long)t->len;
	return a >= b || memcmp(f + a, t->frame + a, (size_t)(b - a)) == 0;
}

_Static_assert(sizeof(((struct gen_tpl *)0)->method) ==
	       sizeof(((struct gen_sip_msg *)0)->cseq_method), "method copied whole");

bool
gen_sip_reflected(const struct gen_tpl *t, const uint8_t *f, size_t len, struct gen_sip_msg *m)
{
	const struct gen_tpl_field *seq = NULL, *cid = NULL, *cs = NULL;
	uint64_t v;
	unsigned int i;
	uint32_t n = 0;

	if (len != t->len || memcmp(f + GEN_ETH_LEN, t->frame + GEN_ETH_LEN,
				    GEN_IP_LEN + GEN_UDP_LEN - 2) != 0)
		return false;
	for (i = 0; i < t->n_fields; i++) {
		const struct gen_tpl_field *fl = &t->f[i];

		if (fl->id == GEN_F_SEQ && seq == NULL)
			seq = fl;
		else if (fl->id == GEN_F_CALLID && cid == NULL)
			cid = fl;
		else if (fl->id == GEN_F_CSEQ && cs == NULL)
			cs = fl;
	}
	if (seq == NULL || cid == NULL || cs == NULL || seq->width != 16 || cid->width != 16 ||
	    cs->off < cid->off + 16)
		return false;
	/* "branch=z9hG4bK-RUNID-" before the seq, the Call-ID's suffix and the
	 * CSeq's method after theirs: as in the template */
	if (!same_as_tpl(t, f, (long)seq->off - 24, seq->off) ||
	    !same_as_tpl(t, f, seq->off + 16, seq->off + 16 + 8) ||     /* ";rport\r\n" */
	    !same_as_tpl(t, f, (long)cid->off - 9, cid->off) ||   /* "Call-ID: " */
	    !same_as_tpl(t, f, cid->off + 16, cs->off) ||    /* "-RUNID@ADDR\r\nCSeq: " */
	    !same_as_tpl(t, f, cs->off + cs->width, (long)cs->off + cs->width + 16))
		return false;
	memset(m, 0, sizeof(*m));
	if (!hex_n((const char *)f + seq->off, 16, &m->seq) ||
	    !hex_n((const char *)f + cid->off, 16, &v))
		return false;
	for (i = 0; i < cs->width; i++) {
		uint8_t ch = f[cs->off + i];

		if (ch < '0' || ch > '9')
			return false;
		n = n * 10 + (uint32_t)(ch - '0');
	}
	m->is_request = true;
	m->ours = true;
	m->has_callid = true;
	m->callid_ours = true;
	m->callid = v;
	m->cseq = n;
	memcpy(m->cseq_method, t->method, sizeof(m->cseq_method));
	return true;
}

size_t
gen_sip_callid_suffix(char *out, size_t cap, uint32_t runid, uint32_t src_ip)
{
	char ip[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &src_ip, ip, sizeof(ip));
	n = snprintf(out, cap, "-%08x@%s", runid, ip);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
