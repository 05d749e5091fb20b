/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy, requests (see dataplane/proxy_req.h): checks, Route
 * processing, loop detection, next hop (Route, binding, dialog, backend), the
 * stateless branch and the rewritten copy; our own replies through sip_reply.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"
#include "dataplane/sip/sip_str.h"

#define PR_SEED_T   0x7472616e73616374ull   /* transaction part of the branch */
#define PR_SEED_L   0x6c6f6f7064657465ull   /* loop part */
#define PR_SEED_M   0x6d61632d6e6f6b65ull   /* unkeyed MAC stand-in */
#define PR_SEED_RR  0x7265636f72642d72ull   /* Record-Route MAC */
#define PR_COOKIE   "z9hG4bK"

/* A Route value: the element text and the URI inside <>. */
struct pr_route {
	struct sip_str text;
	struct sip_str uri;
};

/* What the Route processing and the Request-URI say, before the next hop. */
struct pr_plan {
	struct sip_uri ruri;            /* parsed current Request-URI */
	struct sip_str ruri_s;          /* its text */
	uint8_t ruri_changed;           /* not the received one */
	uint8_t own_removed;            /* a Route value of ours was removed */
	uint8_t strict;                 /* next hop is a strict router */
	uint8_t route_edit;             /* Route header fields must be rewritten */
	struct lb_addr own_vip;         /* a removed Route of ours named this VIP held here */
	int n_routes;
	int r_first, r_last;            /* kept values [r_first, r_last) */
	struct sip_str append;          /* a URI appended as last Route value */
	struct sip_str prepend;         /* values put before the kept ones (Path) */
	struct pr_route routes[PROXY_MAX_ROUTES];
};

/* ---- small helpers ---- */

/* 16 lower-case hex digits of v (sip_hex64(): one PSHUFB) */
static inline char *
pr_hex64(char *p, uint64_t v)
{
	sip_hex64(v, p);
	return p + 16;
}

static int
pr_is_domain(const struct proxy_conf *pc, const struct sip_str *host)
{
	int i;

	for (i = 0; i < pc->n_domains; i++)
		if (sip_str_lc_eq(host->p, host->len, pc->domains[i], pc->domain_len[i]))
			return 1;
	return 0;
}

/* ---- addresses of URIs ---- */

/* Where a sip/sips URI points: 0 with *dst (maddr, else host; port or 5060),
 * 1 when it names a host (or is not sip/sips), -1 when it is unusable. */
static int
pr_uri_dest(const struct sip_uri *u, struct lb_addr *dst)
{
	const struct sip_str *h = u->maddr.p != NULL ? &u->maddr : &u->host;

	if (u->type != SIP_URI_SIP && u->type != SIP_URI_SIPS)
		return 1;
	if (lb_addr_parse(h->p, h->len, dst) != 0)
		return 1;
	dst->port = u->port != 0 ? u->port : PROXY_DEFAULT_PORT;
	return lb_addr_unusable(dst) ? -1 : 0;
}

/* A VIP held here, with our SIP port. */
static int
pr_vip_held(const struct proxy_worker *w, const struct lb_addr *a)
{
	return w->vip != NULL && a->port == w->conf->port && w->vip(w->lookup_arg, a) == 1;
}

int
proxy_addr_is_ours(const struct proxy_worker *w, const struct lb_addr *a)
{
	return proxy_is_local(w->conf, a) || pr_vip_held(w, a);
}

/* Is this URI one of ours: our address and port (or a VIP held here: then
 * *vip, when given, is that VIP), or one of our domains (any port given must
 * be ours)? */
static int
pr_uri_is_ours(const struct proxy_worker *w, const struct sip_uri *u, struct lb_addr *vip)
{
	const struct proxy_conf *pc = w->conf;
	struct lb_addr a;

	if (u->type != SIP_URI_SIP && u->type != SIP_URI_SIPS)
		return 0;
	if (u->host_type == SIP_HOST_IPV4 || u->host_type == SIP_HOST_IPV6) {
		if (lb_addr_parse(u->host.p, u->host.len, &a) != 0)
			return 0;
		a.port = u->port != 0 ? u->port : PROXY_DEFAULT_PORT;
		if (proxy_is_local(pc, &a))
			return 1;
		if (!pr_vip_held(w, &a))
			return 0;
		if (vip != NULL && vip->family == 0)
			*vip = a;
		return 1;
	}
	return (u->port == 0 || u->port == pc->port) && pr_is_domain(pc, &u->host);
}

/* Sent-by of a Via is ours. */
static int
pr_via_is_ours(const struct proxy_worker *w, const struct sip_via *v)
{
	struct lb_addr a;

	if (lb_addr_parse(v->host.p, v->host.len, &a) != 0)
		return 0;
	a.port = v->port != 0 ? v->port : PROXY_DEFAULT_PORT;
	return proxy_addr_is_ours(w, &a);
}

/* ---- where we may send (no open relay) ---- */

/* A next hop named by a Route or an in-dialog Request-URI: a backend member, a
 * cluster peer (its SIP port), or inside proxy.allowed_destinations. */
int
proxy_dest_allowed(const struct proxy_conf *pc, const struct lb_addr *d)
{
	unsigned int i, j;

	for (i = 0; i < pc->n_allowed; i++)
		if (cfg_cidr_match(&pc->allowed[i], d->family, d->addr))
			return 1;
	for (i = 0; i < pc->n_peers; i++)
		if (lb_addr_eq(&pc->peers[i], d))
			return 1;
	for (i = 0; pc->sets != NULL && i < (unsigned int)pc->sets->n; i++)
		for (j = 0; j < pc->sets->set[i].n; j++)
			if (lb_addr_eq(&pc->sets->set[i].m[j].addr, d))
				return 1;
	return 0;
}

/* Is this address ours or a cluster peer's (with the SIP port)? */
static int
pr_addr_of_cluster(const struct proxy_conf *pc, const struct lb_addr *a)
{
	unsigned int i;

	if (proxy_is_local(pc, a))
		return 1;
	for (i = 0; i < pc->n_peers; i++)
		if (lb_addr_eq(&pc->peers[i], a))
			return 1;
	return 0;
}

/* A Route list that names one address of ours or of our peers twice bounces
 * between us (A,B,A,B...): a loop, not a spiral. */
static int
pr_route_bounces(const struct proxy_conf *pc, const struct pr_plan *pl)
{
	struct lb_addr seen[PROXY_MAX_ROUTES];
	int i, j, n = 0;

	for (i = 0; i < pl->n_routes; i++) {
		struct sip_uri u;
		struct lb_addr a;

		if (sip_uri_parse(&u, pl->routes[i].uri.p, pl->routes[i].uri.len) != 0 ||
		    pr_uri_dest(&u, &a) != 0 || !pr_addr_of_cluster(pc, &a))
			continue;
		for (j = 0; j < n; j++)
			if (lb_addr_eq(&seen[j], &a))
				return 1;
		seen[n++] = a;
	}
	return 0;
}

/* The ;ss= MAC of our Record-Route for a dialog (Call-ID hash). */
static uint64_t
pr_rr_mac(struct proxy_worker *w, uint64_t callid_hash)
{
	static const struct lb_addr none;

	return proxy_branch_mac(w, callid_hash, PR_SEED_RR, &none);
}

/* Did one of our Route values removed from the front carry our Record-Route
 * MAC for this dialog? (Then this node inserted it: the dialog went through us.) */
static int
pr_own_route_signed(struct proxy_worker *w, const struct pr_plan *pl, uint64_t callid_hash)
{
	char want[16];
	int i;

	pr_hex64(want, pr_rr_mac(w, callid_hash));
	for (i = 0; i < pl->r_first; i++) {
		struct sip_uri u;
		struct sip_param pa;
		const char *p, *end;

		if (sip_uri_parse(&u, pl->routes[i].uri.p, pl->routes[i].uri.len) != 0 ||
		    u.params.p == NULL)
			continue;
		p = u.params.p;
		end = u.params.p + u.params.len;
		while (sip_param_next(&p, end, &pa) == 1) {
			if (sip_str_lc_eq(pa.name.p, pa.name.len, PROXY_RR_PARAM, 2) &&
			    pa.value.p != NULL && pa.value.len == 16 && memcmp(pa.value.p, want, 16) == 0)
				return 1;
		}
	}
	return 0;
}

/* ---- Route processing (shared by proxy_request_aor and proxy_request) ---- */

static int
pr_routes_parse(const struct sip_msg *m, struct pr_plan *pl, const char **why)
{
	const struct sip_hdr *h;
	struct sip_nameaddr na;
	int rc;

	pl->n_routes = 0;
	for (h = sip_msg_hdr(m, SIP_HDR_ROUTE); h != NULL; h = sip_msg_hdr_next(m, h)) {
		const char *p = h->value.p, *end = h->value.p + h->value.len, *next, *s, *e;

		if (p >= end)
			return -SIP_ERR_EMPTY_VALUE;
		while (p < end) {
			s = sip_skip_lws(p, end);
			rc = sip_nameaddr_parse(&na, s, end, SIP_NA_LIST | SIP_NA_NEED_BRACKETS,
						&next);
			if (rc != 0)
				return rc;
			if (pl->n_routes >= PROXY_MAX_ROUTES) {
				*why = "Too many Route values";
				return -SIP_ERR_TOO_MANY_HEADERS;
			}
			e = na.params.p != NULL ? na.params.p + na.params.len :
			    na.uri.p + na.uri.len + 1;
			pl->routes[pl->n_routes].text = sip_mkstr(s, e);
			pl->routes[pl->n_routes].uri = na.uri;
			pl->n_routes++;
			if (next < end) {               /* at ',' */
				p = sip_skip_lws(next + 1, end);
				if (p >= end)
					return -SIP_ERR_EMPTY_ELEMENT;
			} else {
				p = end;
			}
		}
	}
	return 0;
}

/* Request-URI and Route per RFC 3261 §16.4. 0, or -SIP_ERR_* (400). */
static int
pr_plan_routes(const struct proxy_worker *w, const struct sip_msg *m, struct pr_plan *pl,
	       const char **why, enum sip_hdr_id *bad)
{
	struct sip_uri u;
	int rc;

	pl->ruri_changed = pl->own_removed = pl->strict = pl->route_edit = 0;
	pl->own_vip.family = 0;
	pl->append.p = pl->prepend.p = NULL;
	pl->append.len = pl->prepend.len = 0;
	pl->ruri_s = m->ruri;
	*bad = SIP_HDR_OTHER;
	rc = sip_uri_parse(&pl->ruri, m->ruri.p, m->ruri.len);
	if (rc != 0)
		return rc;
	*bad = SIP_HDR_ROUTE;
	if (m->seen & (1ull << SIP_HDR_ROUTE)) {
		rc = pr_routes_parse(m, pl, why);
		if (rc != 0)
			return rc;
	} else {
		pl->n_routes = 0;
	}
	pl->r_first = 0;
	pl->r_last = pl->n_routes;
	if (pl->n_routes == 0)
		return 0;
	/* a strict router put our Record-Route URI into the Request-URI */
	if (pl->ruri.user.p == NULL && pl->ruri.lr && pr_uri_is_ours(w, &pl->ruri, &pl->own_vip)) {
		struct sip_str last = pl->routes[pl->n_routes - 1].uri;

		if (sip_uri_parse(&u, last.p, last.len) != 0)
			return -SIP_ERR_BAD_URI;
		pl->ruri = u;
		pl->ruri_s = last;
		pl->ruri_changed = 1;
		pl->r_last--;
		pl->route_edit = 1;
	}
	/* our own Route values first in the list */
	while (pl->r_first < pl->r_last) {
		struct sip_str ru = pl->routes[pl->r_first].uri;

		if (sip_uri_parse(&u, ru.p, ru.len) != 0)
			return -SIP_ERR_BAD_URI;
		if (!pr_uri_is_ours(w, &u, &pl->own_vip))
			break;
		pl->r_first++;
		pl->own_removed = 1;
		pl->route_edit = 1;
	}
	return 0;
}

/* The AoR "user@host" of the current Request-URI when it is for a user of
 * our domains and no Route is left: its length; 0 when not; SIZE_MAX when it
 * is but does not fit cap (no such user can be registered: 404). */
static size_t
pr_aor(const struct proxy_conf *pc, const struct pr_plan *pl, char *aor, size_t cap)
{
	const struct sip_uri *u = &pl->ruri;
	size_t n;

	if (pl->r_first < pl->r_last || (u->type != SIP_URI_SIP && u->type != SIP_URI_SIPS) ||
	    u->user.p == NULL || u->user.len == 0 || !pr_is_domain(pc, &u->host))
		return 0;
	n = (size_t)u->user.len + 1 + u->host.len;
	if (n >= cap)
		return SIZE_MAX;
	memcpy(aor, u->user.p, u->user.len);
	aor[u->user.len] = '@';
	memcpy(aor + u->user.len + 1, u->host.p, u->host.len);
	aor[n] = '\0';
	return n;
}

/* ---- branch ---- */

/* Loop hash: the fields of the request as received that a loop leaves alone
 * (Request-URI, From, Call-ID through its hash, CSeq number, Route,
 * Proxy-Require, Proxy-Authorization). */
static uint64_t
pr_loop_hash(const struct proxy_conf *pc, const struct sip_msg *m, const struct sip_str *from,
	     uint64_t callid_hash, uint32_t cseq)
{
	const struct sip_hdr *h;
	uint64_t x = pc->seed ^ PR_SEED_L ^ callid_hash;

	x = sip_hash64(x ^ cseq, m->ruri.p, m->ruri.len);
	x = sip_hash64(x, from->p, from->len);
	if (m->seen & ((1ull << SIP_HDR_ROUTE) | (1ull << SIP_HDR_PROXY_REQUIRE) |
		       (1ull << SIP_HDR_PROXY_AUTHORIZATION))) {
		for (h = sip_msg_hdr(m, SIP_HDR_ROUTE); h != NULL; h = sip_msg_hdr_next(m, h))
			x = sip_hash64(x ^ 1, h->value.p, h->value.len);
		for (h = sip_msg_hdr(m, SIP_HDR_PROXY_REQUIRE); h; h = sip_msg_hdr_next(m, h))
			x = sip_hash64(x ^ 2, h->value.p, h->value.len);
		for (h = sip_msg_hdr(m, SIP_HDR_PROXY_AUTHORIZATION); h;
		     h = sip_msg_hdr_next(m, h))
			x = sip_hash64(x ^ 3, h->value.p, h->value.len);
	}
	return x;
}

/* Transaction hash of a via-parm with an RFC 3261 branch: branch and sent-by. */
uint64_t
proxy_txn_hash_3261(const struct proxy_conf *pc, const struct sip_via *v)
{
	uint64_t x = sip_hash64(pc->seed ^ PR_SEED_T, v->branch.p, v->branch.len);

	return sip_hash64(x ^ v->port, v->host.p, v->host.len);
}

uint64_t
proxy_branch_mac(struct proxy_worker *w, uint64_t t, uint64_t l, const struct lb_addr *dst)
{
	uint8_t in[16 + 3 + 16], mac[crypto_shorthash_siphash24_BYTES];
	uint64_t r = 0;
	int i;

	for (i = 0; i < 8; i++) {
		in[i] = (uint8_t)(t >> (8 * i));
		in[8 + i] = (uint8_t)(l >> (8 * i));
	}
	in[16] = dst->family;
	in[17] = (uint8_t)(dst->port >> 8);
	in[18] = (uint8_t)dst->port;
	memset(in + 19, 0, 16);
	memcpy(in + 19, dst->addr, dst->family == 4 ? 4 : 16);
	if (w->mac_key == NULL)
		return sip_hash64(w->conf->seed ^ PR_SEED_M, in, sizeof(in));
	/* SipHash-2-4, 64-bit output (libsodium: one call, no context; OpenSSL's
	 * EVP_MAC "SIPHASH" gave the same octets at ~5x the instructions) */
	crypto_shorthash_siphash24(mac, in, sizeof(in), w->mac_key);
	for (i = 0; i < 8; i++)
		r |= (uint64_t)mac[i] << (8 * i);
	return r;
}

/* Transaction hash: the top branch with its sent-by (RFC 3261 cookie), else the
 * RFC 2543 fields (top via-parm, From, Call-ID, CSeq number, Request-URI).
 * Never the CSeq method, never the To tag. */
static uint64_t
pr_txn_hash(const struct proxy_conf *pc, const struct sip_msg *m, const struct sip_via *top,
	    const char *top_end, const struct sip_str *from, uint64_t callid_hash,
	    uint32_t cseq)
{
	const struct sip_str *b = &top->branch;
	const struct sip_hdr *vh = sip_msg_hdr(m, SIP_HDR_VIA);
	uint64_t x = pc->seed ^ PR_SEED_T;

	if (b->p != NULL && b->len > 7 && memcmp(b->p, PR_COOKIE, 7) == 0)
		return proxy_txn_hash_3261(pc, top);
	x = sip_hash64(x ^ callid_hash, vh->value.p, (size_t)(top_end - vh->value.p));
	x = sip_hash64(x ^ cseq, from->p, from->len);
	return sip_hash64(x ^ 0x2543, m->ruri.p, m->ruri.len);
}

/* Does any Via of ours carry loop hash `loop`? 1 loop, 0 none; *spiral when a
 * Via of ours has another loop hash. */
static int
pr_loop_check(const struct proxy_worker *w, const struct sip_msg *m, const struct sip_via *top,
	      const char *top_next, uint64_t loop, int *spiral)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	const struct sip_via *v = top;
	struct sip_via vb;
	const char *p = top_next, *end = h->value.p + h->value.len, *next;
	char want[16];
	unsigned guard = 0;

	pr_hex64(want, loop);
	*spiral = 0;
	for (;;) {
		if (v->branch.len == PROXY_BRANCH_LEN &&
		    memcmp(v->branch.p, PROXY_BRANCH_PREFIX, PROXY_BRANCH_PREFIX_LEN) == 0 &&
		    pr_via_is_ours(w, v)) {
			if (memcmp(v->branch.p + PROXY_BRANCH_LEN - 16, want, 16) == 0)
				return 1;
			*spiral = 1;
		}
		/* the next via-parm: in this header field after ',', or the next field */
		while (p >= end || *p != ',') {
			if (p < end)
				return 0;               /* junk: the parser let it through */
			h = sip_msg_hdr_next(m, h);
			if (h == NULL)
				return 0;
			p = h->value.p;
			end = h->value.p + h->value.len;
			if (p < end)
				goto parse;
		}
		p = sip_skip_lws(p + 1, end);
parse:
		if (++guard > SIP_MAX_HDRS * 8 || sip_via_parse(&vb, p, end, &next) != 0)
			return 0;
		v = &vb;
		p = next;
	}
}

/* ---- replies ---- */

/* A header value without a bare CR (folding is CRLF + WS). */
static int
pr_clean(const struct sip_str *v)
{
	const char *p = v->p, *end = v->p + v->len;

	while ((p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (p + 1 >= end || p[1] != '\n')
			return 0;
		p++;
	}
	return 1;
}

/* The fields a response copies (every Via, From, To, Call-ID, CSeq) are valid:
 * else no valid response can be built and the request is dropped. */
static int
pr_copyable(const struct sip_msg *m)
{
	static const uint8_t ids[] = { SIP_HDR_VIA, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID,
				       SIP_HDR_CSEQ };
	const struct sip_hdr *h;
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct sip_iter it;
	struct sip_via v;
	struct sip_uri u;
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(ids); i++)
		for (h = sip_msg_hdr(m, (enum sip_hdr_id)ids[i]); h; h = sip_msg_hdr_next(m, h))
			if (!pr_clean(&h->value))
				return 0;
	sip_iter_init(&it, m, SIP_HDR_VIA);
	while ((rc = sip_via_next(&it, &v)) == 1)
		;
	if (rc < 0)
		return 0;
	if (sip_msg_from(m, &na) != 0 || sip_uri_parse(&u, na.uri.p, na.uri.len) != 0 ||
	    sip_msg_to(m, &na) != 0 || sip_uri_parse(&u, na.uri.p, na.uri.len) != 0)
		return 0;
	h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	return h != NULL && sip_callid_check(&h->value) == 0 && sip_msg_cseq(m, &cs) == 0;
}

/* Our response to m (status, reason NULL: standard phrase), to the source per
 * the top Via; with `xname: ` + the values of every field `xid` of m joined by
 * ", " when xname is given. */
static int
pr_reply_x(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	   const struct sip_via *top, unsigned status, const char *reason, const char *xname,
	   enum sip_hdr_id xid, const char *line, size_t line_len, char *out, size_t cap,
	   struct proxy_result *res);

static int
pr_reply(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	 const struct sip_via *top, unsigned status, const char *reason, const char *xname,
	 enum sip_hdr_id xid, char *out, size_t cap, struct proxy_result *res)
{
	return pr_reply_x(w, m, src, top, status, reason, xname, xid, NULL, 0, out, cap, res);
}

/* The same with one more header line LINE (without CRLF) when not NULL. */
static int
pr_reply_x(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	   const struct sip_via *top, unsigned status, const char *reason, const char *xname,
	   enum sip_hdr_id xid, const char *line, size_t line_len, char *out, size_t cap,
	   struct proxy_result *res)
{
	const struct sip_hdr *xh;
	char rcv[SIP_ADDR_STR_MAX];
	struct sip_reply_via rv = { .received = NULL };
	struct sip_reply r;
	size_t n, len;
	enum proxy_counter c;

	if (m->method == SIP_METHOD_ACK)
		return proxy_result_drop(w, res, PROXY_C_ack_not_replied);
	if (!pr_copyable(m))
		return proxy_result_drop(w, res, PROXY_C_request_unanswerable);
	n = sip_addr_fmt(rcv, sizeof(rcv), src->family, src->addr);
	if (n > 0) {
		rv.received = rcv;
		rv.received_len = (uint16_t)n;
		rv.rport = src->port;
	}
	sip_reply_init(&r, out, cap);
	if (sip_reply_begin(&r, m, status, reason, &rv) != 0)
		return proxy_result_drop(w, res, PROXY_C_reply_failed);
	if (xname != NULL) {
		sip_reply_puts(&r, xname);
		sip_reply_put(&r, ": ", 2);
		for (xh = sip_msg_hdr(m, xid); xh != NULL; xh = sip_msg_hdr_next(m, xh)) {
			if (xh != sip_msg_hdr(m, xid))
				sip_reply_put(&r, ", ", 2);
			sip_reply_put(&r, xh->value.p, xh->value.len);
		}
		sip_reply_crlf(&r);
	}
	if (line != NULL) {
		sip_reply_put(&r, line, line_len);
		sip_reply_crlf(&r);
	}
	len = sip_reply_end(&r);
	if (len == 0)
		return proxy_result_drop(w, res, PROXY_C_reply_failed);
	switch (status) {
	case 302: c = PROXY_C_replied_302; break;
	case 400: c = PROXY_C_replied_400; break;
	case 404: c = PROXY_C_replied_404; break;
	case 480: c = PROXY_C_replied_480; break;
	case 420: c = PROXY_C_replied_420; break;
	case 482: c = PROXY_C_replied_482; break;
	case 483: c = PROXY_C_replied_483; break;
	case 503: c = PROXY_C_replied_503; break;
	default: c = PROXY_C_replied_500; break;
	}
	w->st.c[c]++;
	res->action = PROXY_REPLY;
	res->status = (uint16_t)status;
	res->len = len;
	res->dst = *src;
	/* §18.2.2: the source port with rport, else the sent-by port */
	if (top != NULL && top->rport_str.p == NULL)
		res->dst.port = top->port != 0 ? top->port : PROXY_DEFAULT_PORT;
	return PROXY_REPLY;
}

static int
pr_status(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	  const struct sip_via *top, unsigned status, char *out, size_t cap,
	  struct proxy_result *res)
{
	return pr_reply(w, m, src, top, status, NULL, NULL, SIP_HDR_OTHER, out, cap, res);
}

static int
pr_reply_400(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	     const struct sip_via *top, int err, enum sip_hdr_id id, const char *why,
	     char *out, size_t cap, struct proxy_result *res)
{
	char reason[96];

	if (why == NULL) {
		sip_reason_build(reason, sizeof(reason), err, id);
		why = reason;
	}
	return pr_reply(w, m, src, top, 400, why, NULL, SIP_HDR_OTHER, out, cap, res);
}

/* Federation redirect: 302 with Contact <sip:USER@HOME:PORT>, USER the user
 * part of the AoR (none: the home's address alone). */
static int
pr_redirect(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	    const struct sip_via *top, const char *aor, size_t aor_len,
	    const struct lb_addr *home, char *out, size_t cap, struct proxy_result *res)
{
	char line[PROXY_AOR_MAX + LB_ADDR_STR_MAX + 32];
	const char *at = memchr(aor, '@', aor_len);
	size_t n = 0, u = at != NULL ? (size_t)(at - aor) : 0;
	char host[LB_ADDR_STR_MAX];
	size_t hl = sip_addr_fmt(host, sizeof(host), home->family, home->addr);

	if (hl == 0 || u + hl + 40 > sizeof(line))
		return pr_status(w, m, src, top, 500, out, cap, res);
	memcpy(line, "Contact: <sip:", 14);
	n = 14;
	if (u > 0) {
		memcpy(line + n, aor, u);
		n += u;
		line[n++] = '@';
	}
	memcpy(line + n, host, hl);
	n += hl;
	n += (size_t)snprintf(line + n, sizeof(line) - n, ":%u>", (unsigned)home->port);
	return pr_reply_x(w, m, src, top, 302, NULL, NULL, SIP_HDR_OTHER, line, n, out, cap,
			  res);
}

/* ---- the forwarded copy ---- */

/* The received top via-parm with ;received= and ;rport=PORT (RFC 3581). */
static void
pr_put_top_via(struct sip_reply *o, const struct sip_hdr *h, const struct sip_via *v,
	       const char *top_next, const struct sip_str *rcv, uint16_t rport,
	       int add_received)
{
	const char *vp = h->value.p, *e;

	if (v->received.p == NULL && v->params.p != NULL) {
		/* the usual case: no received yet; ;rport gets its value in place */
		e = v->params.p + v->params.len;
		if (v->rport_str.p != NULL && v->rport_str.len == 0) {
			sip_reply_put(o, vp, (size_t)(v->rport_str.p - vp));
			sip_reply_puts(o, "=");
			sip_reply_put_u32(o, rport);
			sip_reply_put(o, v->rport_str.p, (size_t)(e - v->rport_str.p));
		} else {
			sip_reply_put(o, vp, (size_t)(e - vp));
		}
	} else if (v->params.p == NULL) {
		e = sip_trim_lws(vp, top_next);
		sip_reply_put(o, vp, (size_t)(e - vp));
	} else {
		sip_reply_put(o, vp, (size_t)(v->params.p - 1 - vp));
		sip_reply_via_params(o, v, 1, rport, add_received);
	}
	if (add_received) {
		sip_reply_puts(o, ";received=");
		sip_reply_put_str(o, rcv);
	}
	if (top_next < vp + h->value.len)       /* ", next via-parm ..." */
		sip_reply_put(o, top_next, (size_t)(vp + h->value.len - top_next));
}

/* The Route values to send: prepend, kept, append; 0 when none. */
static int
pr_put_routes(struct sip_reply *o, const struct pr_plan *pl)
{
	int i, n = 0;

	if (pl->prepend.p == NULL && pl->append.p == NULL && pl->r_first >= pl->r_last)
		return 0;
	sip_reply_puts(o, "Route: ");
	if (pl->prepend.p != NULL) {
		sip_reply_put_str(o, &pl->prepend);
		n++;
	}
	for (i = pl->r_first; i < pl->r_last; i++, n++) {
		if (n > 0)
			sip_reply_puts(o, ", ");
		sip_reply_put_str(o, &pl->routes[i].text);
	}
	if (pl->append.p != NULL) {
		if (n > 0)
			sip_reply_puts(o, ", ");
		sip_reply_puts(o, "<");
		sip_reply_put_str(o, &pl->append);
		sip_reply_puts(o, ">");
	}
	sip_reply_puts(o, "\r\n");
	return 1;
}

struct pr_fwd {
	const struct sip_via *top;
	const char *top_next;
	struct sip_str rcv;             /* received= text, when add_received */
	int add_received;
	int via_rewrite;
	uint32_t mf;
	int has_mf;
	const char *branch;             /* PROXY_BRANCH_LEN octets */
	uint16_t rport;                 /* source port, for a valueless ;rport */
	int family_idx;                 /* 0 IPv4, 1 IPv6 */
	int relay;                      /* our Via gets ;ss-relay (PROXY_T_RELAY) */
	char rr_mac[16];                /* ;ss= of our Record-Route */
	const char *self;               /* our address:port in Via and Record-Route */
	uint8_t self_len;
};

static size_t
pr_write(const struct proxy_conf *pc, const struct sip_msg *m, const struct pr_plan *pl,
	 const struct pr_fwd *f, char *out, size_t cap)
{
	struct sip_reply o;
	const char *from, *body_end = m->body.p + m->body.len;
	int first_via = m->first[SIP_HDR_VIA], first_route = m->first[SIP_HDR_ROUTE];
	int routes_done = 0;
	unsigned i;

	sip_reply_init(&o, out, cap);
	/* Request-Line */
	if (!pl->ruri_changed) {
		sip_reply_put(&o, m->method_str.p, (size_t)(m->hdrs[0].name.p - m->method_str.p));
	} else {
		sip_reply_put_str(&o, &m->method_str);
		sip_reply_puts(&o, " ");
		sip_reply_put_str(&o, &pl->ruri_s);
		sip_reply_puts(&o, " SIP/2.0\r\n");
	}
	/* our fields first: Via, Record-Route, Max-Forwards when absent */
	sip_reply_puts(&o, "Via: SIP/2.0/UDP ");
	sip_reply_put(&o, f->self, f->self_len);
	sip_reply_puts(&o, ";branch=");
	sip_reply_put(&o, f->branch, PROXY_BRANCH_LEN);
	sip_reply_puts(&o, f->relay ? ";rport;" PROXY_RELAY_PARAM "\r\n" : ";rport\r\n");
	if (pc->record_route) {
		sip_reply_puts(&o, "Record-Route: <sip:");
		sip_reply_put(&o, f->self, f->self_len);
		sip_reply_puts(&o, ";lr;" PROXY_RR_PARAM "=");
		sip_reply_put(&o, f->rr_mac, 16);
		sip_reply_puts(&o, ">\r\n");
	}
	if (!f->has_mf)
		sip_reply_puts(&o, "Max-Forwards: 70\r\n");
	if (pl->route_edit && first_route == SIP_HDR_NONE)
		routes_done = pr_put_routes(&o, pl) | 1;
	/* the received fields; unchanged runs in one copy */
	from = m->hdrs[0].name.p;
	for (i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];

		switch (h->id) {
		case SIP_HDR_VIA:
			if ((int)i != first_via || !f->via_rewrite)
				continue;
			sip_reply_put(&o, from, (size_t)(h->name.p - from));
			sip_reply_puts(&o, "Via: ");
			pr_put_top_via(&o, h, f->top, f->top_next, &f->rcv, f->rport,
				       f->add_received);
			sip_reply_puts(&o, "\r\n");
			break;
		case SIP_HDR_MAX_FORWARDS:
			sip_reply_put(&o, from, (size_t)(h->name.p - from));
			sip_reply_puts(&o, "Max-Forwards: ");
			sip_reply_put_u32(&o, f->mf - 1);
			sip_reply_puts(&o, "\r\n");
			break;
		case SIP_HDR_ROUTE:
			if (!pl->route_edit)
				continue;
			sip_reply_put(&o, from, (size_t)(h->name.p - from));
			if (!routes_done)
				routes_done = pr_put_routes(&o, pl) | 1;
			break;
		default:
			continue;
		}
		from = sip_msg_hdr_line_end(m, i);
	}
	sip_reply_put(&o, from, (size_t)(body_end - from));
	return o.overflow ? 0 : o.len;
}

/* The binding of the AoR: Request-URI, Path or destination. 0 on success,
 * else the status to answer (404, 500) or -1 to fall back to the backends. */
static int
pr_binding(struct proxy_worker *w, struct pr_plan *pl, const struct proxy_binding *b,
	   struct proxy_result *res)
{
	struct sip_nameaddr na;
	struct sip_uri u;
	struct lb_addr c;
	const char *next;
	int rc;

	pl->ruri_s = sip_mkstr(b->uri, b->uri + b->uri_len);
	pl->ruri_changed = 1;
	if (b->path_len > 0) {
		rc = sip_nameaddr_parse(&na, b->path, b->path + b->path_len,
					SIP_NA_LIST | SIP_NA_NEED_BRACKETS, &next);
		if (rc != 0 || sip_uri_parse(&u, na.uri.p, na.uri.len) != 0)
			return 500;
		pl->prepend = sip_mkstr(b->path, b->path + b->path_len);
		pl->route_edit = 1;
		rc = pr_uri_dest(&u, &res->dst);
		if (rc != 0)
			return rc > 0 ? -1 : 500;
		res->target = PROXY_T_PATH;
		PROXY_INC(w, to_path);
		return 0;
	}
	/* the Contact when it is the address the REGISTER came from; else NAT: the
	 * source address and port */
	res->dst = b->src;
	if (sip_uri_parse(&u, b->uri, b->uri_len) == 0 && pr_uri_dest(&u, &c) == 0 &&
	    lb_addr_eq(&c, &b->src))
		res->dst = c;
	res->target = PROXY_T_BINDING;
	PROXY_INC(w, to_binding);
	return 0;
}

/* Was this request relayed to us by a node of ours for a binding's socket: a
 * top Via written by a sipshard proxy (our branch form) with ;ss-relay. */
static int
pr_relayed(const struct sip_via *top)
{
	struct sip_str v;

	return top->branch.len == PROXY_BRANCH_LEN &&
	       memcmp(top->branch.p, PROXY_BRANCH_PREFIX, PROXY_BRANCH_PREFIX_LEN) == 0 &&
	       sip_param_find(&top->params, PROXY_RELAY_PARAM, &v) == 0;
}

/* ---- any thread ---- */

enum proxy_sock_path
proxy_sock_path(const struct proxy_conf *pc, const struct proxy_binding *b, int relayed)
{
	/* Held here: received by this node (or by no node we know of), on an
	 * address of ours; a socket on a VIP (sock_vip) is held by the node where
	 * its sharing tag is active (sock_held), whichever node took the REGISTER:
	 * elsewhere it is relayed to the VIP, i.e. to its holder. */
	if (b->sock_held || (!b->sock_vip &&
	    (b->sock_node == 0 || b->sock_node == pc->node_id ||
	     (b->sock.family != 0 && proxy_is_local(pc, &b->sock)))))
		return PROXY_SOCK_DIRECT;
	if (relayed)
		return PROXY_SOCK_LOOP;         /* never a second relay hop */
	if (!b->sock_up || b->sock.family == 0 || lb_addr_unusable(&b->sock))
		return PROXY_SOCK_FALLBACK;
	return PROXY_SOCK_RELAY;
}

int
proxy_is_local(const struct proxy_conf *pc, const struct lb_addr *a)
{
	unsigned i;

	if (a->port != pc->port)
		return 0;
	for (i = 0; i < pc->n_local; i++)
		if (lb_addr_eq(&pc->local[i], a))
			return 1;
	return 0;
}

const char *
proxy_counter_name(enum proxy_counter c)
{
	static const char *const names[] = {
#define PROXY_COUNTER_NAME(n, h) #n,
		PROXY_FOREACH_COUNTER(PROXY_COUNTER_NAME)
#undef PROXY_COUNTER_NAME
	};

	return (unsigned)c < PROXY_C__COUNT ? names[c] : "?";
}

const char *
proxy_counter_help(enum proxy_counter c)
{
	static const char *const help[] = {
#define PROXY_COUNTER_HELP(n, h) h,
		PROXY_FOREACH_COUNTER(PROXY_COUNTER_HELP)
#undef PROXY_COUNTER_HELP
	};

	return (unsigned)c < PROXY_C__COUNT ? help[c] : "?";
}

/* ---- main lcore ---- */

int
proxy_conf_init(struct proxy_conf *pc, const struct cfg *c, const struct lb_sets *sets,
		char *err, size_t errlen)
{
	int i;

	memset(pc, 0, sizeof(*pc));
	pc->port = c->sip.port;
	pc->node_id = c->node_id;
	pc->fed_redirect = c->cluster.fed_route == CFG_FED_REDIRECT;
	pc->fed_home_down = c->cluster.fed_home_down == CFG_FED_DOWN_503 ? 503 :
			    c->cluster.fed_home_down == CFG_FED_DOWN_404 ? 404 : 480;
	for (i = 0; i < c->dp.n_ports; i++) {
		const struct cfg_port *p = &c->dp.ports[i];
		struct lb_addr a = { .port = c->sip.port };

		if (p->ipv4 != 0 && pc->n_local < PROXY_MAX_LOCAL) {
			uint32_t v = p->ipv4;

			a.family = 4;
			a.addr[0] = (uint8_t)(v >> 24);
			a.addr[1] = (uint8_t)(v >> 16);
			a.addr[2] = (uint8_t)(v >> 8);
			a.addr[3] = (uint8_t)v;
			pc->local[pc->n_local++] = a;
			if (pc->adv[0].family == 0)
				pc->adv[0] = a;
		}
		if (p->has_ipv6 && pc->n_local < PROXY_MAX_LOCAL) {
			a.family = 6;
			memcpy(a.addr, p->ipv6, 16);
			pc->local[pc->n_local++] = a;
			if (pc->adv[1].family == 0)
				pc->adv[1] = a;
		}
	}
	if (pc->n_local == 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: proxy: no port has an address", c->path);
		return -EINVAL;
	}
	for (i = 0; i < 2; i++)
		if (pc->adv[i].family != 0)
			pc->adv_len[i] = (uint8_t)lb_addr_fmt(pc->adv_text[i],
							      sizeof(pc->adv_text[i]), &pc->adv[i]);
	pc->n_domains = c->sip.n_domains;
	for (i = 0; i < c->sip.n_domains && i < CFG_MAX_DOMAINS; i++) {
		memcpy(pc->domains[i], c->sip.domains[i], CFG_STR);
		pc->domain_len[i] = (uint16_t)strnlen(c->sip.domains[i], CFG_STR);
	}
	pc->record_route = c->proxy.record_route;
	pc->default_set = c->proxy.default_set;
	for (i = 0; i < c->proxy.n_allowed && i < CFG_MAX_CIDRS; i++)
		pc->allowed[pc->n_allowed++] = c->proxy.allowed[i];
	for (i = 0; c->cluster.enabled && i < c->cluster.n_nodes && i < CFG_MAX_NODES; i++) {
		struct lb_addr *a = &pc->peers[pc->n_peers++];

		memset(a, 0, sizeof(*a));
		a->family = 4;
		a->port = c->sip.port;
		a->addr[0] = (uint8_t)(c->cluster.nodes[i].address >> 24);
		a->addr[1] = (uint8_t)(c->cluster.nodes[i].address >> 16);
		a->addr[2] = (uint8_t)(c->cluster.nodes[i].address >> 8);
		a->addr[3] = (uint8_t)c->cluster.nodes[i].address;
	}
	pc->sets = sets;
	pc->default_lb = sets != NULL ? lb_set_find(sets, pc->default_set) : NULL;
	pc->seed = sip_hash64(sip_hash64(0x7373737373737373ull, pc->adv_text[0], pc->adv_len[0]),
			   pc->adv_text[1], pc->adv_len[1]);
	return 0;
}

void
proxy_conf_set_mac_key(struct proxy_conf *pc, const uint8_t key[PROXY_MAC_KEY_LEN])
{
	memcpy(pc->mac_key, key, PROXY_MAC_KEY_LEN);
	pc->mac_on = 1;
}

void
proxy_worker_set_vip(struct proxy_worker *w, proxy_vip_fn *vip)
{
	w->vip = vip;
}

void
proxy_worker_init(struct proxy_worker *w, const struct proxy_conf *pc,
		  proxy_lookup_fn *lookup, void *lookup_arg)
{
	_Static_assert(PROXY_MAC_KEY_LEN == crypto_shorthash_siphash24_KEYBYTES, "SipHash key");
	memset(w, 0, sizeof(*w));
	w->conf = pc;
	w->lookup = lookup;
	w->lookup_arg = lookup_arg;
	w->vip = NULL;
	/* sodium_init(): idempotent and thread-safe; < 0 only when it cannot run */
	if (pc->mac_on && sodium_init() >= 0)
		w->mac_key = pc->mac_key;
}

void
proxy_worker_fini(struct proxy_worker *w)
{
	w->mac_key = NULL;
}

/* ---- worker lcores ---- */

int
proxy_request_aor(const struct proxy_worker *w, const struct sip_msg *m, char *aor, size_t cap)
{
	struct pr_plan pl;
	const char *why = NULL;
	enum sip_hdr_id bad;

	size_t n;

	if (!m->is_request || pr_plan_routes(w, m, &pl, &why, &bad) != 0)
		return -1;
	n = pr_aor(w->conf, &pl, aor, cap);
	return n == SIZE_MAX ? 0 : (int)n;
}

int
proxy_request(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	      char *out, size_t cap, struct proxy_result *res)
{
	const struct proxy_conf *pc = w->conf;
	const struct sip_hdr *vh, *fh;
	struct sip_via top;
	struct sip_cseq cs;
	struct sip_str callid;
	struct pr_plan pl;
	struct pr_fwd f;
	struct lb_addr sb, rdst;
	char branch[PROXY_BRANCH_LEN], rcv[SIP_ADDR_STR_MAX], aor[PROXY_AOR_MAX];
	char vtext[LB_ADDR_STR_MAX];
	const char *top_next, *why = NULL;
	enum sip_hdr_id bad;
	uint64_t loop, ch, th;
	size_t n;
	int rc, spiral, fam;

	proxy_result_init(res, 0);
	if (!m->is_request)
		return proxy_result_drop(w, res, PROXY_C_reply_failed);

	/* 1. the fields a proxy needs */
	vh = sip_msg_hdr(m, SIP_HDR_VIA);
	if (vh == NULL)
		return proxy_result_drop(w, res, PROXY_C_reply_failed);
	rc = vh->value.len == 0 ? -SIP_ERR_EMPTY_VALUE :
	     sip_via_parse(&top, vh->value.p, vh->value.p + vh->value.len, &top_next);
	if (rc != 0)
		return pr_reply_400(w, m, src, NULL, -rc, SIP_HDR_VIA, NULL, out, cap, res);
	fh = sip_msg_hdr(m, SIP_HDR_FROM);
	if (fh == NULL)
		return pr_reply_400(w, m, src, &top, SIP_ERR_MISSING_HEADER, SIP_HDR_FROM, NULL,
				    out, cap, res);
	if ((rc = sip_msg_call_id(m, &callid)) != 0)
		return pr_reply_400(w, m, src, &top, rc < 0 ? -rc : SIP_ERR_MISSING_HEADER,
				    SIP_HDR_CALL_ID, NULL, out, cap, res);
	if ((rc = sip_msg_cseq(m, &cs)) != 0)
		return pr_reply_400(w, m, src, &top, rc < 0 ? -rc : SIP_ERR_MISSING_HEADER,
				    SIP_HDR_CSEQ, NULL, out, cap, res);
	f.relay = 0;
	f.has_mf = 0;
	f.mf = PROXY_MAX_FORWARDS + 1;
	rc = sip_msg_max_forwards(m, &f.mf);
	if (rc == 0 || rc == -SIP_ERR_NUM_RANGE)
		f.has_mf = 1;
	else if (rc < 0)
		return pr_reply_400(w, m, src, &top, -rc, SIP_HDR_MAX_FORWARDS, NULL, out, cap,
				    res);
	if (f.has_mf && f.mf == 0)
		return pr_status(w, m, src, &top, 483, out, cap, res);
	if (f.mf > 255)
		f.mf = 255;
	rc = pr_plan_routes(w, m, &pl, &why, &bad);
	if (rc != 0)
		return pr_reply_400(w, m, src, &top, -rc, bad, why, out, cap, res);
	/* §16.3.5: we support no option-tag a proxy must understand */
	if (m->seen & (1ull << SIP_HDR_PROXY_REQUIRE)) {
		const struct sip_hdr *pr;
		struct sip_iter it;
		struct sip_str tag;
		int tags = 0;

		sip_iter_init(&it, m, SIP_HDR_PROXY_REQUIRE);
		while ((rc = sip_tag_next(&it, &tag)) == 1)
			tags++;
		for (pr = sip_msg_hdr(m, SIP_HDR_PROXY_REQUIRE); pr; pr = sip_msg_hdr_next(m, pr))
			if (pr->value.len == 0 || !pr_clean(&pr->value))
				rc = -SIP_ERR_EMPTY_VALUE;
		if (rc < 0)
			return pr_reply_400(w, m, src, &top, -rc, SIP_HDR_PROXY_REQUIRE, NULL,
					    out, cap, res);
		if (tags > 0)
			return pr_reply(w, m, src, &top, 420, NULL, "Unsupported",
					SIP_HDR_PROXY_REQUIRE, out, cap, res);
	}

	/* 3. loops */
	ch = lb_callid_hash(callid.p, callid.len);
	loop = pr_loop_hash(pc, m, &fh->value, ch, cs.seq);
	if (pr_loop_check(w, m, &top, top_next, loop, &spiral))
		return pr_status(w, m, src, &top, 482, out, cap, res);
	if (pl.n_routes > 1 && pr_route_bounces(pc, &pl)) {
		PROXY_INC(w, route_loop);
		return pr_status(w, m, src, &top, 482, out, cap, res);
	}
	if (spiral)
		PROXY_INC(w, spirals);

	/* 4. the next hop */
	if (pl.route_edit && pl.r_first > 0)
		w->st.c[PROXY_C_route_own_removed] += (uint64_t)pl.r_first;
	rc = 1;                                  /* 1: not decided yet */
	if (pl.r_first < pl.r_last) {
		struct sip_uri u;
		struct sip_str ru = pl.routes[pl.r_first].uri;

		if (sip_uri_parse(&u, ru.p, ru.len) != 0)
			return pr_reply_400(w, m, src, &top, SIP_ERR_BAD_URI, SIP_HDR_ROUTE, NULL,
					    out, cap, res);
		if (!u.lr) {
			/* strict router: it becomes the Request-URI, the Request-URI
			 * the last Route value (§16.6.6) */
			const char *q = memchr(ru.p, '?', ru.len);

			pl.append = pl.ruri_s;
			pl.ruri_s = q != NULL ? sip_mkstr(ru.p, q) : ru;
			pl.ruri_changed = 1;
			pl.route_edit = 1;
			pl.r_first++;
			pl.strict = 1;
		}
		rc = pr_uri_dest(&u, &res->dst);
		if (rc < 0)
			return proxy_result_drop(w, res, PROXY_C_bad_destination);
		if (rc == 0 && !proxy_dest_allowed(pc, &res->dst) &&
		    !pr_own_route_signed(w, &pl, lb_callid_hash(callid.p, callid.len))) {
			PROXY_INC(w, relay_denied);
			return pr_status(w, m, src, &top, 403, out, cap, res);
		}
		if (rc == 0) {
			res->target = PROXY_T_ROUTE;
			if (pl.strict)
				PROXY_INC(w, strict_routes);
			else
				PROXY_INC(w, to_route);
		} else {
			PROXY_INC(w, route_hostname);
		}
	} else if ((n = pr_aor(pc, &pl, aor, sizeof(aor))) > 0) {
		struct proxy_binding *b = &w->binding;

		rc = w->lookup != NULL && n != SIZE_MAX ? w->lookup(w->lookup_arg, aor, n, b) : 0;
		if (rc == -EAGAIN)      /* unknown, but this node's registrations are not synced */
			return pr_status(w, m, src, &top, 480, out, cap, res);
		if (rc == PROXY_LOOKUP_HOME) {
			/* federation: the user lives on another node, which looks it up */
			if (pr_relayed(&top)) {
				PROXY_INC(w, fed_loop);     /* one hop only */
				return pr_status(w, m, src, &top, 480, out, cap, res);
			}
			if (!b->sock_up || b->sock.family == 0 || lb_addr_unusable(&b->sock)) {
				PROXY_INC(w, fed_home_down);
				return pr_status(w, m, src, &top, pc->fed_home_down, out, cap, res);
			}
			if (pc->fed_redirect) {
				PROXY_INC(w, fed_redirected);
				return pr_redirect(w, m, src, &top, aor, n, &b->sock, out, cap, res);
			}
			res->dst = b->sock;
			res->target = PROXY_T_HOME;
			f.relay = 1;
			PROXY_INC(w, fed_forwarded);
			rc = 0;
		} else {
			if (rc < 0)
				return pr_status(w, m, src, &top, 500, out, cap, res);
			if (rc == 0)
				return pr_status(w, m, src, &top, 404, out, cap, res);
			if (b->uri_len == 0 || b->uri_len > sizeof(b->uri) ||
			    b->path_len > sizeof(b->path))
				return pr_status(w, m, src, &top, 500, out, cap, res);
			/* the socket (no Path: the contact itself is the next hop) */
			switch (b->path_len > 0 ? PROXY_SOCK_DIRECT :
				proxy_sock_path(pc, b, pr_relayed(&top))) {
			case PROXY_SOCK_LOOP:
				PROXY_INC(w, sock_relay_loop);
				return pr_status(w, m, src, &top, 480, out, cap, res);
			case PROXY_SOCK_RELAY:
				/* Request-URI kept: the socket's node looks the binding up */
				res->dst = b->sock;
				res->target = PROXY_T_RELAY;
				f.relay = 1;
				PROXY_INC(w, sock_relayed);
				rc = 0;
				break;
			case PROXY_SOCK_FALLBACK:
				PROXY_INC(w, sock_relay_failed);
				rc = pr_binding(w, &pl, b, res);
				break;
			default:
				if (b->path_len == 0)
					PROXY_INC(w, sock_direct);
				/* received on a VIP held here: from the VIP, the only
				 * address the phone's NAT takes packets from */
				if (b->path_len == 0 && b->sock_vip && b->sock_held)
					res->from = b->sock;
				rc = pr_binding(w, &pl, b, res);
				break;
			}
		}
		if (rc > 1)
			return pr_status(w, m, src, &top, (unsigned)rc, out, cap, res);
		if (rc < 0) {
			PROXY_INC(w, route_hostname);
			rc = 1;
		}
	} else if (pl.own_removed && pl.ruri.host_type != SIP_HOST_NAME &&
		   pr_uri_dest(&pl.ruri, &res->dst) == 0 && !proxy_addr_is_ours(w, &res->dst)) {
		struct sip_nameaddr to;

		/* in-dialog (To tag) and routed by our Record-Route: the remote target,
		 * when our Route carries our MAC for this dialog or the target is allowed */
		if (sip_msg_to(m, &to) == 0 && to.tag.p != NULL) {
			if (!pr_own_route_signed(w, &pl, ch) && !proxy_dest_allowed(pc, &res->dst)) {
				PROXY_INC(w, relay_denied);
				return pr_status(w, m, src, &top, 403, out, cap, res);
			}
			res->target = PROXY_T_RURI;
			PROXY_INC(w, to_ruri);
			rc = 0;
		}
	}
	if (rc != 0) {
		const struct lb_set *set = pc->default_lb;
		int i;

		if (set == NULL) {
			PROXY_INC(w, no_set);
			return pr_status(w, m, src, &top, 503, out, cap, res);
		}
		i = lb_select(set, ch);
		if (i < 0)
			return pr_status(w, m, src, &top, 503, out, cap, res);
		res->dst = set->m[i].addr;
		res->target = PROXY_T_BACKEND;
		res->set = set->id;
		res->member = (int16_t)i;
		PROXY_INC(w, to_backend);
	}
	if (lb_addr_unusable(&res->dst))
		return proxy_result_drop(w, res, PROXY_C_bad_destination);
	fam = res->dst.family == 6 ? 1 : 0;
	if (pc->adv[fam].family == 0)
		return proxy_result_drop(w, res, PROXY_C_bad_destination);
	/* routed by a Route of ours naming a VIP held here (the Record-Route we
	 * put when the dialog began from that VIP): on from the VIP, the only
	 * address a phone's NAT behind it takes packets from */
	if (res->from.family == 0 && pl.own_vip.family == res->dst.family &&
	    (res->target == PROXY_T_ROUTE || res->target == PROXY_T_RURI)) {
		res->from = pl.own_vip;
		PROXY_INC(w, vip_routed);
	}
	/* sent from a VIP: our Via and Record-Route name it, so that the
	 * response and the dialog's requests come back to it, whoever holds it */
	f.self = pc->adv_text[fam];
	f.self_len = pc->adv_len[fam];
	if (res->from.family == res->dst.family) {
		struct lb_addr self = res->from;

		self.port = pc->port;
		f.self = vtext;
		f.self_len = (uint8_t)lb_addr_fmt(vtext, sizeof(vtext), &self);
	}

	/* 5. the copy */
	f.top = &top;
	f.top_next = top_next;
	f.family_idx = fam;
	f.add_received = top.rport_str.p != NULL ||
			 lb_addr_parse(top.host.p, top.host.len, &sb) != 0 ||
			 !lb_addr_eq(&sb, src);
	f.via_rewrite = f.add_received || (top.rport_str.p != NULL && top.rport_str.len == 0);
	f.rcv.p = rcv;
	f.rcv.len = 0;
	if (f.add_received)
		f.rcv.len = (uint16_t)sip_addr_fmt(rcv, sizeof(rcv), src->family, src->addr);
	memcpy(branch, PROXY_BRANCH_PREFIX, PROXY_BRANCH_PREFIX_LEN);
	th = pr_txn_hash(pc, m, &top, top_next, &fh->value, ch, cs.seq);
	pr_hex64(branch + PROXY_BRANCH_PREFIX_LEN, th);
	branch[PROXY_BRANCH_PREFIX_LEN + 16] = '-';
	/* where the response will go: the source, at its rport or sent-by port */
	rdst = *src;
	rdst.port = top.rport_str.p != NULL ? (top.rport != 0 ? top.rport : src->port) :
		    top.port != 0 ? top.port : PROXY_DEFAULT_PORT;
	pr_hex64(branch + PROXY_BRANCH_MAC_OFF, proxy_branch_mac(w, th, loop, &rdst));
	branch[PROXY_BRANCH_MAC_OFF + 16] = '-';
	pr_hex64(branch + PROXY_BRANCH_MAC_OFF + 17, loop);
	f.branch = branch;
	f.rport = src->port;
	if (pc->record_route)
		pr_hex64(f.rr_mac, pr_rr_mac(w, ch));
	n = pr_write(pc, m, &pl, &f, out, cap);
	if (n == 0)
		return proxy_result_drop(w, res, PROXY_C_out_overflow);
	PROXY_INC(w, forwarded_requests);
	res->action = PROXY_FORWARD;
	res->len = n;
	return PROXY_FORWARD;
}
