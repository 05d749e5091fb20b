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

uint16_t
gen_tpl_write(const struct gen_tpl *t, uint8_t *dst, const struct gen_req *r)
{
	uint32_t sum = t->sum;
	uint16_t ck;
	unsigned int i;
	int j;

	memcpy(dst, t->frame, t->len);
	for (i = 0; i < t->n_fields; i++) {
		const struct gen_tpl_field *fl = &t->f[i];
		uint8_t *p = dst + fl->off;
		/* odd offsets from the UDP header are the low byte of a 16-bit word */
		unsigned int odd = ((size_t)fl->off + fl->width - 1 - t->udp_off) & 1;
		uint32_t s[2] = { 0, 0 };   /* digit sums at even / odd UDP offsets */
		uint64_t v;

		/* Constant divisors (a shift, a multiply): a division per digit by a
		 * variable base cost more than the rest of the request. */
		switch (fl->id) {
		case GEN_F_SEQ: v = r->seq; goto hex;
		case GEN_F_TAG: v = r->tag; goto hex;
		case GEN_F_CALLID: v = r->callid; goto hex;
		case GEN_F_USER: v = r->user; break;
		default: v = r->cseq; break;
		}
		for (j = fl->width - 1; j >= 0; j--, odd ^= 1) {
			uint8_t ch = (uint8_t)('0' + v % 10);

			v /= 10;
			p[j] = ch;
			s[odd] += (uint32_t)(ch - '0');
		}
		goto add;
hex:
		for (j = fl->width - 1; j >= 0; j--, odd ^= 1) {
			uint8_t ch = (uint8_t)gen_hex[v & 15];

			v >>= 4;
			p[j] = ch;
			s[odd] += (uint32_t)(ch - '0');
		}
add:
		sum += (s[0] << 8) + s[1];
	}
	ck = (uint16_t)~gen_cksum_fold(sum);
	put16(dst + t->udp_off + 6, ck == 0 ? 0xffff : ck);
	return t->len;
}

/* ---- reply scanning (generator lcore) ---- */

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* N hex digits at P (P + N <= end checked by the caller) into *v. */
static bool
hex_n(const char *p, unsigned int n, uint64_t *v)
{
	unsigned int i;
	int d;

	*v = 0;
	for (i = 0; i < n; i++) {
		d = hexval(p[i]);
		if (d < 0)
			return false;
		*v = (*v << 4) | (uint64_t)d;
	}
	return true;
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
	for (p = v; p + sizeof(key) - 1 <= end; p++) {
		for (i = 0; i < sizeof(key) - 1; i++) {
			char ch = p[i];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch != key[i])
				break;
		}
		if (i == sizeof(key) - 1)
			break;
	}
	if (p + sizeof(key) - 1 > end)
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

size_t
gen_sip_callid_suffix(char *out, size_t cap, uint32_t runid, uint32_t src_ip)
{
	char ip[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &src_ip, ip, sizeof(ip));
	n = snprintf(out, cap, "-%08x@%s", runid, ip);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
