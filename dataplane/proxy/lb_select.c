/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend sets (see dataplane/lb_select.h): building them from the config,
 * selection by Call-ID (rendezvous hashing, slot tables), the probing state
 * machine, the OPTIONS probe text and the telemetry view.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "dataplane/proxy/lb_select.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"

#define LB_SEED_CALLID  0x5c1d5ea1c0ffee01ull   /* fixed: same on every node */
#define LB_SEED_MEMBER  0x6d656d6265727321ull
#define LB_DEFAULT_PORT 5060

/* ---- hashing ---- */

uint64_t
lb_callid_hash(const char *callid, size_t len)
{
	return sip_hash64(LB_SEED_CALLID, callid, len);
}

/* splitmix64 finaliser: the per-member draw of rendezvous hashing */
static inline uint64_t
lb_fmix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* -ln(U) for U = (top 53 bits of v + 0.5) / 2^53, in (0, 37.5]: the exponential
 * draw of weighted rendezvous. ln(m) of the mantissa m in [sqrt(1/2), sqrt(2))
 * by the atanh series in t = (m-1)/(m+1), |t| < 0.172, to t^11: absolute error
 * < 1e-10; the same on every node (plain IEEE arithmetic, no libm). */
static inline double
lb_neg_ln(uint64_t v)
{
	double x = (double)(v >> 11) + 0.5, m, t, t2;
	uint64_t bits;
	int e;

	memcpy(&bits, &x, 8);
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & 0xfffffffffffffull) | 0x3ff0000000000000ull;
	memcpy(&m, &bits, 8);
	if (m > 1.4142135623730951) {           /* m in [sqrt(1/2), sqrt(2)) */
		m *= 0.5;
		e++;
	}
	t = (m - 1.0) / (m + 1.0);
	t2 = t * t;
	return (53 - e) * 0.6931471805599453 -
	       2.0 * t * (1.0 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 *
		     (1.0 / 9 + t2 * (1.0 / 11))))));
}

/* ---- addresses ---- */

int
lb_addr_parse(const char *p, size_t len, struct lb_addr *a)
{
	char tmp[48];
	unsigned part = 0, v = 0, digits = 0;
	size_t i;

	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
		if (memchr(p, ':', len) == NULL)
			return -1;
	}
	if (len == 0)
		return -1;
	if (memchr(p, ':', len) != NULL) {
		if (len >= sizeof(tmp))
			return -1;
		memcpy(tmp, p, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET6, tmp, a->addr) != 1)
			return -1;
		a->family = 6;
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			v = v * 10 + (unsigned)(p[i] - '0');
			if (++digits > 3 || v > 255)
				return -1;
		} else if (p[i] == '.' && digits > 0 && part < 3) {
			a->addr[part++] = (uint8_t)v;
			v = 0;
			digits = 0;
		} else {
			return -1;
		}
	}
	if (part != 3 || digits == 0)
		return -1;
	a->addr[3] = (uint8_t)v;
	a->family = 4;
	return 0;
}

size_t
lb_addr_fmt(char *out, size_t cap, const struct lb_addr *a)
{
	char host[SIP_ADDR_STR_MAX];
	size_t n = sip_addr_fmt(host, sizeof(host), a->family, a->addr);
	int k;

	if (n == 0)
		return 0;
	k = snprintf(out, cap, a->family == 6 ? "[%s]:%u" : "%s:%u", host, a->port);
	return k < 0 || (size_t)k >= cap ? 0 : (size_t)k;
}

bool
lb_addr_unusable(const struct lb_addr *a)
{
	static const uint8_t zero[16], loop6[16] = { [15] = 1 };

	if (a->port == 0)
		return true;
	if (a->family == 4)
		return a->addr[0] == 0 || a->addr[0] == 127 || a->addr[0] >= 224;
	if (a->family == 6)
		return memcmp(a->addr, zero, 16) == 0 || memcmp(a->addr, loop6, 16) == 0 ||
		       a->addr[0] == 0xff;
	return true;
}

/* ---- building the sets (main lcore) ---- */

__attribute__((format(printf, 3, 4)))
static int
lb_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Resolve one member URI; NULL when fine, else why not. */
static const char *
lb_member_resolve(const char *uri, struct lb_addr *a)
{
	struct sip_uri u;
	struct sip_str tp;

	if (sip_uri_parse(&u, uri, strlen(uri)) != 0)
		return "is not a valid SIP URI";
	if (u.type == SIP_URI_SIPS)
		return "is a sips: URI, which needs TLS; the dataplane forwards over UDP "
		       "only (use sip:)";
	if (u.type != SIP_URI_SIP)
		return "is not a sip: URI";
	if (u.host_type != SIP_HOST_IPV4 && u.host_type != SIP_HOST_IPV6)
		return "names a host: the dataplane cannot resolve hostnames, give an IPv4 "
		       "address or an [IPv6] reference (sip:198.18.1.1:5060)";
	tp = u.transport;
	if (tp.p != NULL && !(tp.len == 3 && (tp.p[0] | 0x20) == 'u' &&
			      (tp.p[1] | 0x20) == 'd' && (tp.p[2] | 0x20) == 'p'))
		return "asks a transport other than udp, which the dataplane does not have";
	if (u.headers.p != NULL)
		return "has URI headers (?...), which a backend URI cannot carry";
	if (lb_addr_parse(u.host.p, u.host.len, a) != 0)
		return "has a host that is not an IP address";
	a->port = u.port != 0 ? u.port : LB_DEFAULT_PORT;
	if (lb_addr_unusable(a))
		return "is not a unicast address the dataplane can send to";
	return NULL;
}

/* Slot table: counts proportional to w[] (largest remainder), interleaved by
 * smooth weighted round robin so that every member's slots are spread. Members
 * are visited in the order of their seeds (ties too), so the table does not
 * depend on the order of the members in the file. */
static void
lb_fill_slots(struct lb_set *set, const uint32_t *w)
{
	uint64_t total = 0, cnt[LB_MAX_MEMBERS], rem[LB_MAX_MEMBERS], given = 0;
	int64_t cur[LB_MAX_MEMBERS];
	unsigned ord[LB_MAX_MEMBERS], i, j, k, best;

	for (i = 0; i < set->n; i++) {                  /* insertion sort by seed */
		for (j = i; j > 0 && set->m[ord[j - 1]].seed > set->m[i].seed; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
		total += w[i];
	}
	if (total == 0)
		return;
	for (i = 0; i < set->n; i++) {
		cnt[i] = (uint64_t)w[i] * LB_SLOTS / total;
		rem[i] = (uint64_t)w[i] * LB_SLOTS % total;
		given += cnt[i];
		cur[i] = 0;
	}
	while (given < LB_SLOTS) {              /* largest remainders first */
		best = ord[0];
		for (j = 1; j < set->n; j++)
			if (rem[ord[j]] > rem[best])
				best = ord[j];
		cnt[best]++;
		rem[best] = 0;
		given++;
	}
	for (k = 0; k < LB_SLOTS; k++) {
		best = LB_MAX_MEMBERS;
		for (j = 0; j < set->n; j++) {
			i = ord[j];
			cur[i] += (int64_t)cnt[i];
			if (cnt[i] > 0 && (best == LB_MAX_MEMBERS || cur[i] > cur[best]))
				best = i;
		}
		cur[best] -= LB_SLOTS;
		set->slot[k] = (uint8_t)best;
	}
}

static int
lb_set_build(struct lb_sets *s, struct lb_set *set, const struct cfg *c, int si, char *err,
	     size_t errlen)
{
	const struct cfg_backend_set *cs = &c->sets[si];
	uint32_t w[LB_MAX_MEMBERS], first = 0;
	const char *why;
	int i, j;

	set->id = cs->set;
	set->algo = (uint8_t)cs->algorithm;
	set->interval_ms = cs->probe_interval_ms ? cs->probe_interval_ms : 1000;
	set->threshold = cs->probe_threshold ? cs->probe_threshold : 1;
	if (cs->n_members < 1 || cs->n_members > LB_MAX_MEMBERS)
		return lb_err(err, errlen, "%s: backends[%d] (set %u): %d members (1..%d)",
			      c->path, si, cs->set, cs->n_members, LB_MAX_MEMBERS);
	set->n = (uint8_t)cs->n_members;
	set->equal = 1;
	for (i = 0; i < set->n; i++) {
		struct lb_member *m = &set->m[i];

		snprintf(m->uri, sizeof(m->uri), "%s", cs->members[i].uri);
		why = lb_member_resolve(m->uri, &m->addr);
		if (why != NULL)
			return lb_err(err, errlen, "%s: backends[%d] (set %u): members[%d].uri "
				      "'%s' %s", c->path, si, cs->set, i, m->uri, why);
		if ((m->addr.family == 4 ? s->local4.family : s->local6.family) == 0)
			return lb_err(err, errlen, "%s: backends[%d] (set %u): members[%d].uri "
				      "'%s' is IPv%u but no port has an IPv%u address to reach "
				      "it from", c->path, si, cs->set, i, m->uri,
				      m->addr.family, m->addr.family);
		for (j = 0; j < i; j++)
			if (lb_addr_eq(&set->m[j].addr, &m->addr) &&
			    set->m[j].addr.port == m->addr.port)
				return lb_err(err, errlen, "%s: backends[%d] (set %u): members[%d]"
					      ".uri '%s' is the same backend as members[%d]",
					      c->path, si, cs->set, i, m->uri, j);
		m->weight = cs->members[i].weight;
		m->inv_weight = m->weight > 0 ? 1.0 / m->weight : 0;
		m->seed = sip_hash64(LB_SEED_MEMBER, &m->addr, sizeof(m->addr));
		if (m->weight > 0) {
			if (set->eligible != 0 && m->weight != first)
				set->equal = 0;
			if (set->eligible == 0)
				first = m->weight;
			set->eligible |= 1u << i;
		}
		set->h[i].state = LB_UP;
	}
	for (i = 0; i < set->n; i++)
		w[i] = set->algo == CFG_LB_ROUND_ROBIN ? (set->m[i].weight > 0) :
			set->m[i].weight;
	lb_fill_slots(set, w);
	set->up = (set->n == 32 ? 0 : 1u << set->n) - 1u;
	return 0;
}

int
lb_sets_init(struct lb_sets *s, const struct cfg *c, char *err, size_t errlen)
{
	int i, j, rc;

	memset(s, 0, sizeof(*s));
	if (RAND_bytes((unsigned char *)&s->probe_key, sizeof(s->probe_key)) != 1)
		return lb_err(err, errlen, "no random bytes for the probe key");
	for (i = 0; i < c->dp.n_ports; i++) {
		const struct cfg_port *p = &c->dp.ports[i];

		if (s->local4.family == 0 && p->ipv4 != 0) {
			uint32_t be = htonl(p->ipv4);

			s->local4.family = 4;
			s->local4.port = c->sip.port;
			memcpy(s->local4.addr, &be, 4);
		}
		if (s->local6.family == 0 && p->has_ipv6) {
			s->local6.family = 6;
			s->local6.port = c->sip.port;
			memcpy(s->local6.addr, p->ipv6, 16);
		}
	}
	if (s->local4.family != 0)
		lb_addr_fmt(s->local4_text, sizeof(s->local4_text), &s->local4);
	if (s->local6.family != 0)
		lb_addr_fmt(s->local6_text, sizeof(s->local6_text), &s->local6);
	if (c->n_sets < 0 || c->n_sets > LB_MAX_SETS)
		return lb_err(err, errlen, "%s: %d backend sets (0..%d)", c->path, c->n_sets,
			      LB_MAX_SETS);
	for (i = 0; i < c->n_sets; i++) {
		for (j = 0; j < i; j++)
			if (c->sets[j].set == c->sets[i].set)
				return lb_err(err, errlen, "%s: backends[%d]: set %u is not unique",
					      c->path, i, c->sets[i].set);
		rc = lb_set_build(s, &s->set[i], c, i, err, errlen);
		if (rc != 0)
			return rc;
	}
	s->n = c->n_sets;
	return 0;
}

struct lb_sets *
lb_sets_create(const struct cfg *c, char *err, size_t errlen)
{
	size_t size = (sizeof(struct lb_sets) + 63) & ~(size_t)63;
	struct lb_sets *s = aligned_alloc(64, size);
	int rc;

	if (s == NULL) {
		lb_err(err, errlen, "backend sets: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rc = lb_sets_init(s, c, err, errlen);
	if (rc != 0) {
		free(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

void
lb_sets_free(struct lb_sets *s)
{
	free(s);
}

/* ---- worker lcores: selection ---- */

const struct lb_set *
lb_set_find(const struct lb_sets *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->set[i].id == id)
			return &s->set[i];
	return NULL;
}

/* Rendezvous over the members in `up`: the highest w / -ln(U) wins, or the
 * highest draw when the weights are equal (same order, no logarithm). */
static int
lb_hrw(const struct lb_set *set, uint64_t h, uint32_t up, int equal)
{
	int best = -1;
	uint64_t bestv = 0;
	double bests = 0;

	while (up != 0) {
		unsigned i = (unsigned)__builtin_ctz(up);
		uint64_t v = lb_fmix(h ^ set->m[i].seed);

		up &= up - 1;
		if (equal) {
			if (best < 0 || v > bestv) {
				best = (int)i;
				bestv = v;
			}
		} else {
			/* U in (0,1); minimise -ln(U) / w, i.e. maximise w / -ln(U) */
			double sc = lb_neg_ln(v) * set->m[i].inv_weight;

			if (best < 0 || sc < bests) {
				best = (int)i;
				bests = sc;
			}
		}
	}
	return best;
}

int
lb_select(const struct lb_set *set, uint64_t h)
{
	uint32_t up = __atomic_load_n(&set->up, __ATOMIC_RELAXED) & set->eligible;
	unsigned i;

	if (up == 0)
		return -1;
	if (set->algo == CFG_LB_CALLID_HASH)
		return lb_hrw(set, h, up, set->equal);
	i = set->slot[h >> (64 - LB_SLOT_BITS)];
	if (up >> i & 1u)
		return (int)i;
	return lb_hrw(set, h, up, set->algo == CFG_LB_ROUND_ROBIN || set->equal);
}

void
lb_reply_note(struct lb_sets *s, unsigned worker, uint32_t set_id, unsigned member,
	      uint32_t seq)
{
	int i;

	if (worker >= LB_MAX_WORKERS || member >= LB_MAX_MEMBERS)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->set[i].id == set_id) {
			if (member < s->set[i].n)
				__atomic_store_n(&s->marks[worker].seq[i][member], seq,
						 __ATOMIC_RELAXED);
			return;
		}
	}
}

/* ---- prober lcore: the state machine ---- */

void
lb_probe_sent(struct lb_health *h, uint32_t seq, uint64_t now_ms, uint32_t interval_ms)
{
	h->seq = seq;
	h->outstanding = 1;
	h->next_ms = now_ms + interval_ms;
	h->deadline_ms = now_ms + interval_ms;
	h->probes++;
}

static void
lb_health_set(struct lb_health *h, enum lb_state st, uint64_t now_ms)
{
	__atomic_store_n(&h->state, (uint8_t)st, __ATOMIC_RELAXED);
	h->changed_ms = now_ms;
}

enum lb_change
lb_probe_reply(struct lb_health *h, uint32_t seq, uint64_t now_ms)
{
	if (seq == 0 || seq > h->seq || h->seq - seq >= LB_PROBE_WINDOW)
		return LB_CHANGE_NONE;
	if (seq > h->acked)
		h->acked = seq;
	if (seq == h->seq)
		h->outstanding = 0;
	h->misses = 0;
	h->last_reply_ms = now_ms;
	h->replies++;
	if (h->state == LB_DOWN) {
		lb_health_set(h, LB_UP, now_ms);
		return LB_CHANGE_UP;
	}
	return LB_CHANGE_NONE;
}

enum lb_change
lb_probe_timeout(struct lb_health *h, uint64_t now_ms, uint32_t threshold)
{
	if (!h->outstanding || now_ms < h->deadline_ms)
		return LB_CHANGE_NONE;
	h->outstanding = 0;
	if (h->misses < UINT16_MAX)
		h->misses++;
	if (h->state == LB_UP && h->misses >= threshold) {
		lb_health_set(h, LB_DOWN, now_ms);
		h->downs++;
		return LB_CHANGE_DOWN;
	}
	return LB_CHANGE_NONE;
}

void
lb_set_publish(struct lb_set *set)
{
	uint32_t up = 0;
	unsigned i;

	for (i = 0; i < set->n; i++)
		if (__atomic_load_n(&set->h[i].state, __ATOMIC_RELAXED) == LB_UP)
			up |= 1u << i;
	__atomic_store_n(&set->up, up, __ATOMIC_RELAXED);
}

void
lb_sets_probe_here(struct lb_sets *s, int si, bool on, uint64_t now_ms)
{
	struct lb_set *set;
	unsigned i, w;

	if (si < 0 || si >= s->n)
		return;
	set = &s->set[si];
	if ((set->remote == 0) == on)
		return;
	for (i = 0; i < set->n; i++) {
		struct lb_health *h = &set->h[i];

		for (w = 0; w < LB_MAX_WORKERS; w++) {   /* replies to our old probes */
			uint32_t seq = __atomic_load_n(&s->marks[w].seq[si][i], __ATOMIC_RELAXED);

			if (seq > h->acked && seq <= h->seq)
				h->acked = seq;
		}
		h->outstanding = 0;
		h->misses = 0;
		h->next_ms = now_ms;
	}
	__atomic_store_n(&set->remote, (uint8_t)!on, __ATOMIC_RELAXED);
}

unsigned
lb_set_apply(struct lb_set *set, uint32_t up, uint64_t now_ms)
{
	unsigned i, changes = 0;

	if (!set->remote)
		return 0;
	for (i = 0; i < set->n; i++) {
		enum lb_state st = (up >> i) & 1u ? LB_UP : LB_DOWN;
		struct lb_health *h = &set->h[i];

		if (h->state == st)
			continue;
		lb_health_set(h, st, now_ms);
		if (st == LB_DOWN)
			h->downs++;
		changes++;
	}
	if (changes > 0)
		lb_set_publish(set);
	return changes;
}

void
lb_set_member_state(struct lb_set *set, unsigned member, enum lb_state st, uint64_t now_ms)
{
	if (member >= set->n)
		return;
	lb_health_set(&set->h[member], st, now_ms);
	if (st == LB_UP)
		set->h[member].misses = 0;
	lb_set_publish(set);
}

size_t
lb_probe_build(const struct lb_sets *s, const struct lb_set *set, unsigned member,
	       uint32_t seq, char *out, size_t cap)
{
	const struct lb_member *m;
	const struct lb_addr *l;
	const char *lt;
	char host[SIP_ADDR_STR_MAX];
	uint64_t tok;
	int n;

	if (member >= set->n)
		return 0;
	m = &set->m[member];
	l = m->addr.family == 6 ? &s->local6 : &s->local4;
	lt = m->addr.family == 6 ? s->local6_text : s->local4_text;
	if (l->family == 0 || sip_addr_fmt(host, sizeof(host), l->family, l->addr) == 0)
		return 0;
	tok = lb_probe_token(s, set->id, member, seq);
	n = snprintf(out, cap,
		     "OPTIONS %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s;branch=" LB_PROBE_PREFIX "%u-%u-%u-%016llx;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:sipshard@%s>;tag=sssp-%u-%u\r\n"
		     "To: <%s>\r\n"
		     "Call-ID: sssp-%016llx@%s%s%s\r\n"
		     "CSeq: %u OPTIONS\r\n"
		     "User-Agent: sipshard\r\n"
		     "Content-Length: 0\r\n"
		     "\r\n",
		     m->uri, lt, set->id, member, seq, (unsigned long long)tok, lt, set->id, member,
		     m->uri, (unsigned long long)sip_hash64(s->probe_key ^ 0x63616c6c6964ull, &tok,
							      sizeof(tok)),
		     l->family == 6 ? "[" : "", host, l->family == 6 ? "]" : "", seq);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static int
lb_dec(const char **pp, const char *end, uint32_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > UINT32_MAX)
			return -1;
		p++;
	}
	*v = (uint32_t)x;
	*pp = p;
	return 0;
}

uint64_t
lb_probe_token(const struct lb_sets *s, uint32_t set_id, unsigned member, uint32_t seq)
{
	uint32_t in[3] = { set_id, member, seq };

	return sip_hash64(s->probe_key, in, sizeof(in));
}

int
lb_probe_branch_parse(const char *p, size_t len, uint32_t *set_id, unsigned *member,
		      uint32_t *seq, uint64_t *token)
{
	const char *end = p + len;
	uint32_t m;
	int i;

	if (len <= LB_PROBE_PREFIX_LEN || memcmp(p, LB_PROBE_PREFIX, LB_PROBE_PREFIX_LEN) != 0)
		return -1;
	p += LB_PROBE_PREFIX_LEN;
	if (lb_dec(&p, end, set_id) < 0 || p >= end || *p++ != '-' ||
	    lb_dec(&p, end, &m) < 0 || p >= end || *p++ != '-' ||
	    lb_dec(&p, end, seq) < 0 || p >= end || *p++ != '-' || end - p != 16 ||
	    m >= LB_MAX_MEMBERS)
		return -1;
	*token = 0;
	for (i = 0; i < 16; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		*token = *token << 4 | (uint64_t)d;
	}
	*member = m;
	return 0;
}

unsigned
lb_prober_poll(struct lb_sets *s, uint64_t now_ms, lb_probe_send_fn *send, void *arg)
{
	char buf[LB_PROBE_MAX];
	unsigned changes = 0, w, i;
	int si;

	for (si = 0; si < s->n; si++) {
		struct lb_set *set = &s->set[si];
		unsigned before = changes;

		if (set->remote)        /* its tag's holder probes it */
			continue;
		for (i = 0; i < set->n; i++) {
			struct lb_health *h = &set->h[i];
			uint32_t seq;
			size_t len;

			for (w = 0; w < LB_MAX_WORKERS; w++) {
				seq = __atomic_load_n(&s->marks[w].seq[si][i], __ATOMIC_RELAXED);
				if (seq > h->acked)
					changes += lb_probe_reply(h, seq, now_ms) != LB_CHANGE_NONE;
			}
			if (lb_probe_timeout(h, now_ms, set->threshold) != LB_CHANGE_NONE)
				changes++;
			if (!lb_probe_due(h, now_ms))
				continue;
			if (h->seq == UINT32_MAX) {     /* wrapped: start the numbers again */
				h->seq = 0;
				h->acked = 0;
			}
			seq = h->seq + 1;
			len = lb_probe_build(s, set, i, seq, buf, sizeof(buf));
			if (len > 0 && send != NULL)
				send(arg, set, i, buf, len, &set->m[i].addr);
			lb_probe_sent(h, seq, now_ms, set->interval_ms);
		}
		if (changes != before)
			lb_set_publish(set);
	}
	return changes;
}

/* ---- any thread: views ---- */

const char *
lb_state_name(enum lb_state st)
{
	static const char *const names[] = {
#define LB_STATE_NAME(n, s) s,
		LB_FOREACH_STATE(LB_STATE_NAME)
#undef LB_STATE_NAME
	};

	return (unsigned)st < LB_STATE__COUNT ? names[st] : "?";
}

int
lb_member_next(const struct lb_sets *s, struct lb_iter *it, struct lb_member_info *info)
{
	const struct lb_set *set;
	const struct lb_health *h;

	while (it->set < s->n && it->member >= s->set[it->set].n) {
		it->set++;
		it->member = 0;
	}
	if (it->set >= s->n || it->set < 0 || it->member < 0)
		return 0;
	set = &s->set[it->set];
	h = &set->h[it->member];
	info->set = set->id;
	info->member = (unsigned)it->member;
	info->uri = set->m[it->member].uri;
	info->weight = set->m[it->member].weight;
	info->state = (enum lb_state)__atomic_load_n(&h->state, __ATOMIC_RELAXED);
	info->misses = __atomic_load_n(&h->misses, __ATOMIC_RELAXED);
	info->last_reply_ms = __atomic_load_n(&h->last_reply_ms, __ATOMIC_RELAXED);
	info->addr = &set->m[it->member].addr;
	it->member++;
	return 1;
}
