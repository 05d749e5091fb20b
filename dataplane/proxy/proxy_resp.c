/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy, responses (see dataplane/proxy_req.h): the top Via must be
 * ours; probe replies go to the prober; others lose their top via-parm and go
 * to the next Via (received / rport honoured, RFC 3261 §18.2.2, RFC 3581).
 */
#include <string.h>

#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_str.h"

/* ---- small helpers ---- */

/* 16 hex digits (as pr_hex64 writes them) into *v; -1 when one is not hex. */
static int
rs_unhex64(const char *p, uint64_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 16; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	return 0;
}

/* Our branch z9hG4bK-sss-<T>-<M>-<L> of a request we forwarded: M is the MAC
 * of T and L, and T the transaction of the next Via when it has an RFC 3261
 * branch (a forged response, or ours with another next Via, fails). */
static int
rs_branch_ok(struct proxy_worker *w, const struct sip_via *top, const struct sip_via *nv,
	     const struct lb_addr *dst)
{
	const char *b = top->branch.p;
	uint64_t t, mac, l;

	if (b[PROXY_BRANCH_MAC_OFF - 1] != '-' || b[PROXY_BRANCH_MAC_OFF + 16] != '-' ||
	    rs_unhex64(b + PROXY_BRANCH_PREFIX_LEN, &t) != 0 ||
	    rs_unhex64(b + PROXY_BRANCH_MAC_OFF, &mac) != 0 ||
	    rs_unhex64(b + PROXY_BRANCH_MAC_OFF + 17, &l) != 0)
		return 0;
	if (mac != proxy_branch_mac(w, t, l, dst))
		return 0;
	if (nv->branch.p != NULL && nv->branch.len > 7 && memcmp(nv->branch.p, "z9hG4bK", 7) == 0 &&
	    t != proxy_txn_hash_3261(w->conf, nv))
		return 0;
	return 1;
}

/* The probe a reply answers, when it comes from that member. */
static int
rs_probe(struct proxy_worker *w, const struct sip_via *v, const struct lb_addr *src,
	 struct proxy_result *res)
{
	const struct lb_sets *sets = w->conf->sets;
	const struct lb_set *set;
	uint32_t set_id, seq;
	uint64_t token;
	unsigned member;

	if (lb_probe_branch_parse(v->branch.p, v->branch.len, &set_id, &member, &seq, &token) != 0)
		return proxy_result_drop(w, res, PROXY_C_response_bad_via);
	set = sets != NULL ? lb_set_find(sets, set_id) : NULL;
	if (set == NULL || member >= set->n)
		return proxy_result_drop(w, res, PROXY_C_response_bad_via);
	if (token != lb_probe_token(sets, set_id, member, seq))
		return proxy_result_drop(w, res, PROXY_C_probe_bad_token);
	if (src != NULL && !lb_addr_eq(&set->m[member].addr, src))
		return proxy_result_drop(w, res, PROXY_C_probe_bad_source);
	PROXY_INC(w, probe_replies);
	res->action = PROXY_PROBE_REPLY;
	res->set = set_id;
	res->member = (int16_t)member;
	res->seq = seq;
	return PROXY_PROBE_REPLY;
}

/* ---- worker lcores ---- */

int
proxy_response(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
	       char *out, size_t cap, struct proxy_result *res)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA), *h2;
	const char *vend, *next, *rest, *start, *body_end, *line_end;
	struct sip_via top, nv;
	struct lb_addr a;
	size_t n, room;
	char *o;

	proxy_result_init(res, m->status);
	if (m->is_request || h == NULL || h->value.len == 0)
		return proxy_result_drop(w, res, PROXY_C_response_bad_via);
	vend = h->value.p + h->value.len;
	if (sip_via_parse(&top, h->value.p, vend, &next) != 0)
		return proxy_result_drop(w, res, PROXY_C_response_bad_via);

	/* ours: our sent-by and one of our branch prefixes */
	if (top.branch.p == NULL || top.branch.len < PROXY_BRANCH_PREFIX_LEN ||
	    memcmp(top.branch.p, PROXY_BRANCH_PREFIX, PROXY_BRANCH_PREFIX_LEN - 1) != 0 ||
	    lb_addr_parse(top.host.p, top.host.len, &a) != 0)
		return proxy_result_drop(w, res, PROXY_C_response_not_ours);
	a.port = top.port != 0 ? top.port : PROXY_DEFAULT_PORT;
	if (!proxy_addr_is_ours(w, &a))
		return proxy_result_drop(w, res, PROXY_C_response_not_ours);
	if (top.branch.len > LB_PROBE_PREFIX_LEN &&
	    memcmp(top.branch.p, LB_PROBE_PREFIX, LB_PROBE_PREFIX_LEN) == 0)
		return rs_probe(w, &top, src, res);
	if (top.branch.len != PROXY_BRANCH_LEN || top.branch.p[PROXY_BRANCH_PREFIX_LEN - 1] != '-')
		return proxy_result_drop(w, res, PROXY_C_response_not_ours);

	/* the next via-parm: after ',' in this field, else the next Via field */
	rest = NULL;
	if (next < vend) {                      /* at ',' */
		rest = sip_skip_lws(next + 1, vend);
		if (sip_via_parse(&nv, rest, vend, &next) != 0)
			return proxy_result_drop(w, res, PROXY_C_response_bad_via);
	} else {
		h2 = sip_msg_hdr_next(m, h);
		if (h2 == NULL)
			return proxy_result_drop(w, res, PROXY_C_response_no_next_via);
		if (h2->value.len == 0 ||
		    sip_via_parse(&nv, h2->value.p, h2->value.p + h2->value.len, &next) != 0)
			return proxy_result_drop(w, res, PROXY_C_response_bad_via);
	}
	if (nv.received.p != NULL) {
		if (lb_addr_parse(nv.received.p, nv.received.len, &res->dst) != 0)
			return proxy_result_drop(w, res, PROXY_C_response_bad_via);
	} else if (lb_addr_parse(nv.host.p, nv.host.len, &res->dst) != 0) {
		return proxy_result_drop(w, res, PROXY_C_response_hostname);
	}
	res->dst.port = nv.rport != 0 ? nv.rport : nv.port != 0 ? nv.port : PROXY_DEFAULT_PORT;
	if (lb_addr_unusable(&res->dst))
		return proxy_result_drop(w, res, PROXY_C_response_bad_via);
	if (!rs_branch_ok(w, &top, &nv, &res->dst))
		return proxy_result_drop(w, res, PROXY_C_response_bad_mac);

	/* the copy without our via-parm: [start, h) + rest of the field + [line_end, body_end) */
	start = m->buf;
	while (start < m->buf + m->len && (*start == '\r' || *start == '\n'))
		start++;
	body_end = m->body.p + m->body.len;
	line_end = sip_msg_hdr_line_end(m, m->first[SIP_HDR_VIA]);
	n = (size_t)(h->name.p - start) + (size_t)(body_end - line_end);
	if (rest != NULL)
		n += 5 + (size_t)(vend - rest) + 2;
	if (n > cap)
		return proxy_result_drop(w, res, PROXY_C_out_overflow);
	o = out;
	room = (size_t)(h->name.p - start);
	memcpy(o, start, room);
	o += room;
	if (rest != NULL) {
		memcpy(o, "Via: ", 5);
		o += 5;
		memcpy(o, rest, (size_t)(vend - rest));
		o += vend - rest;
		memcpy(o, "\r\n", 2);
		o += 2;
	}
	memcpy(o, line_end, (size_t)(body_end - line_end));
	o += body_end - line_end;
	PROXY_INC(w, forwarded_responses);
	res->action = PROXY_FORWARD;
	res->target = PROXY_T_VIA;
	res->len = (size_t)(o - out);
	return PROXY_FORWARD;
}
