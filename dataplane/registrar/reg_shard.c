/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar shard: creation from the config, RFC 3261 §10.3 REGISTER
 * processing with its response, and the read side (lookup, counters,
 * memory). See dataplane/reg_shard.h for the design.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "config/cfg_types.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_dir.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_store.h"
#include "dataplane/registrar/reg_wheel.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"

static_assert(sizeof(struct reg_binding) == REG_BINDING_SIZE, "binding record size");
static_assert(sizeof(struct reg_aor) == REG_AOR_SIZE, "AoR record size");
static_assert(sizeof(struct reg_ext) == REG_EXT_SIZE, "overflow block size");
static_assert(sizeof(struct reg_tomb) == REG_TOMB_SIZE, "tombstone record size");
static_assert(REG_INST_MAX <= UINT8_MAX && REG_TAG_MAX <= UINT8_MAX, "8-bit lengths");
static_assert(REG_KEY_MAX >= sizeof("reg-id=4294967295;") + REG_INST_MAX, "keyed contact key");
static_assert((REG_WHEEL_SLOTS & (REG_WHEEL_SLOTS - 1)) == 0, "wheel slots: power of 2");
static_assert(REG_URI_MAX + REG_INST_MAX + REG_PATH_MAX < UINT16_MAX, "data lengths");

#define REG_B_TOUCHED   0x40    /* matched by the request being applied */
#define REG_B_EVICT     0x80    /* chosen for eviction by the request being applied */

/* Date and Content-Length that end a 200 (for the 3x bound of unauthenticated replies). */
#define REG_REPLY_TAIL  (6 + SIP_REPLY_DATE_LEN + 2 + 21)

/* What one Contact of a request does. */
enum reg_act { REG_ACT_SKIP, REG_ACT_NOOP, REG_ACT_INSERT, REG_ACT_UPDATE, REG_ACT_DELETE };

struct reg_cand {
	const char *uri;
	const char *inst;               /* without quotes, NULL when none */
	uint16_t uri_len;
	uint16_t inst_len;
	uint32_t reg_id;
	uint32_t expires;               /* granted seconds, 0: remove */
	uint16_t q;
	uint64_t ident;                 /* reg_digest_ident(AoR, contact key) */
	uint32_t match;                 /* binding, REG_NONE */
	uint32_t known;                 /* the binding reg_known_uri() found, REG_NONE */
	uint8_t keyed;                  /* (instance, reg-id) */
	uint8_t same_data;              /* an update that leaves the stored strings as they are */
	uint8_t key_is_uri;             /* the contact key is the URI as sent */
	uint8_t act;                    /* enum reg_act */
};

/* One REGISTER being processed. */
struct reg_req {
	const struct reg_key *key;      /* the caller's, or own */
	struct reg_key own;
	uint64_t callid;
	uint32_t cseq;
	uint32_t min_expires_hit;       /* a contact asked 0 < e < min_expires */
	int star;
	int path_supported;
	unsigned n;
	uint32_t ai;                    /* the AoR, once ai_looked */
	uint8_t ai_looked;              /* reg_aor_find() done: ai and collision hold */
	uint8_t callid_ok;              /* callid holds the Call-ID's hash */
	uint8_t collision;
	uint16_t path_len;
	uint8_t has_path;
	const char *why;                /* reason phrase of an error, NULL: standard */
	unsigned n_unsup;               /* 420: option tags of Require we lack */
	struct sip_str unsup[8];
	struct reg_cand c[REG_REQ_CONTACTS];
	char reason[96];
	char path[REG_PATH_MAX];
};

static const char *const reg_stat_names[] = {
#define REG_STAT_NAME(n, h) #n,
	REG_FOREACH_STAT(REG_STAT_NAME)
#undef REG_STAT_NAME
};

static const char *const reg_stat_helps[] = {
#define REG_STAT_HELP(n, h) h,
	REG_FOREACH_STAT(REG_STAT_HELP)
#undef REG_STAT_HELP
};

static const char *const reg_event_names[] = {
#define REG_EV_NAME(n, s) s,
	REG_FOREACH_EVENT(REG_EV_NAME)
#undef REG_EV_NAME
};

/* ---- worker lcore: request checks ---- */

static int
reg_fail(struct reg_req *rq, int status, int err, enum sip_hdr_id id)
{
	sip_reason_build(rq->reason, sizeof(rq->reason), err, id);
	rq->why = rq->reason;
	return status;
}

static int
reg_fail_text(struct reg_req *rq, int status, const char *why)
{
	rq->why = why;
	return status;
}

static inline int
reg_tag_is(const struct sip_str *t, const char *lc, size_t n)
{
	size_t i;

	if (t->len != n)
		return 0;
	for (i = 0; i < n; i++)
		if ((t->p[i] | 0x20) != lc[i])
			return 0;
	return 1;
}

/* Why reg_aor_key() said 400: the parser's verdict on To when it has one. */
static int
reg_key_reason(struct reg_req *rq, const struct sip_msg *m)
{
	struct sip_nameaddr to;
	struct sip_uri u;
	int rc = -SIP_ERR_BAD_REQUEST_URI;

	if (m->ruri.p == NULL || (rc = sip_uri_parse(&u, m->ruri.p, m->ruri.len)) != 0)
		return reg_fail(rq, 400, rc, SIP_HDR_OTHER);
	if (m->ruri.len < 4 || memchr(m->ruri.p, ':', m->ruri.len) == NULL)
		return reg_fail(rq, 400, SIP_ERR_BAD_REQUEST_URI, SIP_HDR_OTHER);
	rc = sip_msg_to(m, &to);
	if (rc == 1)
		return reg_fail(rq, 400, SIP_ERR_MISSING_HEADER, SIP_HDR_TO);
	if (rc < 0 || (rc = sip_uri_parse(&u, to.uri.p, to.uri.len)) != 0)
		return reg_fail(rq, 400, rc, SIP_HDR_TO);
	if (u.type != SIP_URI_SIP && u.type != SIP_URI_SIPS)
		return reg_fail_text(rq, 400, "Bad Request: To is not a SIP or SIPS URI");
	return reg_fail_text(rq, 400, "Bad Request: AoR too long");
}

/* The Path values, ", "-joined (RFC 3327). 0 or a status. */
static int
reg_path_read(const struct sip_msg *m, struct reg_req *rq)
{
	const struct sip_hdr *h;
	struct sip_nameaddr na;
	struct sip_iter it;
	size_t o = 0;
	int rc;

	sip_iter_init(&it, m, SIP_HDR_PATH);
	while ((rc = sip_route_next(&it, &na)) == 1)
		;
	if (rc < 0)
		return reg_fail(rq, 400, rc, SIP_HDR_PATH);
	for (h = sip_msg_hdr(m, SIP_HDR_PATH); h != NULL; h = sip_msg_hdr_next(m, h)) {
		if (o != 0) {
			if (o + 2 > sizeof(rq->path))
				goto too_long;
			memcpy(rq->path + o, ", ", 2);
			o += 2;
		}
		if (h->value.len > sizeof(rq->path) - o)
			goto too_long;
		memcpy(rq->path + o, h->value.p, h->value.len);
		o += h->value.len;
	}
	rq->path_len = (uint16_t)o;
	rq->has_path = o > 0;
	return 0;
too_long:
	return reg_fail_text(rq, 500, "Path too long");
}


/* Same URI under the normalisation of reg_uri_canon()? */
static int
reg_uri_same(const char *a, size_t alen, const char *b, size_t blen)
{
	char ca[REG_CANON_MAX], cb[REG_CANON_MAX];
	struct sip_uri ua, ub;
	size_t na, nb;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1;
	if (sip_uri_parse(&ua, a, alen) != 0 || sip_uri_parse(&ub, b, blen) != 0)
		return 0;
	na = reg_uri_canon(&ua, ca, sizeof(ca));
	nb = reg_uri_canon(&ub, cb, sizeof(cb));
	return na != 0 && na == nb && memcmp(ca, cb, na) == 0;
}

static int
reg_cand_same(const struct reg_cand *x, const struct reg_cand *y)
{
	if (x->keyed || y->keyed)
		return x->keyed && y->keyed && x->reg_id == y->reg_id &&
		       x->inst_len == y->inst_len && memcmp(x->inst, y->inst, x->inst_len) == 0;
	return x->ident == y->ident && reg_uri_same(x->uri, x->uri_len, y->uri, y->uri_len);
}

/* The AoR of the request, looked up once (reg_shard_register() uses it too). */
static uint32_t
reg_req_aor(const struct reg_shard *s, struct reg_req *rq)
{
	int collision;

	if (!rq->ai_looked) {
		rq->ai = reg_aor_find(s, rq->key, &collision);
		rq->collision = (uint8_t)(collision != 0);
		rq->ai_looked = 1;
	}
	return rq->collision ? REG_NONE : rq->ai;
}

/*
 * A binding of the AoR, not keyed by an instance, whose URI is octet for octet
 * the Contact's: a refresh, the usual REGISTER. The URI was parsed and checked
 * when the binding was stored, and its contact key and identity are functions of
 * those octets and the AoR alone, so they are taken from the binding instead of
 * parsing and normalising the URI again (bindings from peers carry the same key:
 * reg_b_set_rec()). REG_NONE: none, the URI is read in full.
 */
static uint32_t
reg_known_uri(const struct reg_shard *s, struct reg_req *rq, const struct sip_str *uri)
{
	uint32_t ai = reg_req_aor(s, rq), bi, n = 0;

	if (ai == REG_NONE)
		return REG_NONE;
	for (bi = s->aors[ai].head; bi != REG_NONE && n <= s->aors[ai].n;
	     bi = s->b[bi].next, n++) {
		const struct reg_binding *b = &s->b[bi];

		if (!(b->flags & REG_B_INSTANCE) && b->uri_len == uri->len &&
		    reg_str_eq(s, b->data, REG_BINDING_INLINE, b->ext, 0, uri->p, uri->len))
			return bi;
	}
	return REG_NONE;
}

/* The Contact values into rq->c. 0 or a status. */
static int
reg_contacts_read(struct reg_shard *s, const struct sip_msg *m, struct reg_req *rq,
		  int has_hdr_exp, uint32_t hdr_exp)
{
	const struct reg_conf *c = &s->conf;
	struct sip_nameaddr na;
	struct sip_iter it;
	struct sip_str v;
	struct sip_uri u;
	char canon[REG_CANON_MAX];
	unsigned total = 0, i;
	uint64_t aor_h = reg_digest_aor(rq->key->aor, rq->key->len);
	size_t canon_len;
	uint32_t e, known;
	int rc;

	sip_iter_init(&it, m, SIP_HDR_CONTACT);
	while ((rc = sip_contact_next(&it, &na)) == 1) {
		struct reg_cand *k;

		total++;
		if (na.star) {
			rq->star = 1;
			continue;
		}
		if (rq->n == REG_REQ_CONTACTS) {
			REG_STAT_INC(s, too_long);
			return reg_fail_text(rq, 500, "Too many contacts");
		}
		k = &rq->c[rq->n];
		known = reg_known_uri(s, rq, &na.uri);
		canon_len = 0;
		if (known != REG_NONE) {
			REG_STAT_INC(s, contact_known);
		} else {
			rc = sip_uri_parse(&u, na.uri.p, na.uri.len);
			if (rc != 0)
				return reg_fail(rq, 400, rc, SIP_HDR_CONTACT);
			canon_len = na.uri.len <= REG_URI_MAX ?
				    reg_uri_canon(&u, canon, sizeof(canon)) : 0;
			if (canon_len == 0) {
				REG_STAT_INC(s, too_long);
				return reg_fail_text(rq, 500, "Contact URI too long");
			}
		}
		k->uri = na.uri.p;
		k->uri_len = na.uri.len;
		k->q = na.q;
		k->inst = NULL;
		k->inst_len = 0;
		k->reg_id = 0;
		/* "+sip.instance" and "reg-id" each have an octet without case that
		 * the usual parameters (expires, q) lack: none of them, neither name */
		if (na.params.p != NULL && (memchr(na.params.p, '+', na.params.len) != NULL ||
					    memchr(na.params.p, '-', na.params.len) != NULL)) {
			if (sip_param_find(&na.params, "+sip.instance", &v) == 0 && v.p != NULL) {
				if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
					v.p++;
					v.len = (uint16_t)(v.len - 2);
				}
				if (v.len > REG_INST_MAX) {
					REG_STAT_INC(s, too_long);
					return reg_fail_text(rq, 500, "+sip.instance too long");
				}
				k->inst = v.p;
				k->inst_len = v.len;
			}
			if (sip_param_find(&na.params, "reg-id", &v) == 0 &&
			    (v.p == NULL || sip_uint_parse(&v, 2147483647u, &k->reg_id) != 0 ||
			     k->reg_id == 0))
				return reg_fail_text(rq, 400, "Bad reg-id");
		}
		k->keyed = k->inst != NULL && k->reg_id != 0;
		k->known = k->keyed ? REG_NONE : known;
		k->same_data = 0;
		if (k->keyed) {
			k->key_is_uri = 0;
			canon_len = reg_key_text_keyed(k->inst, k->inst_len, k->reg_id, canon);
			k->ident = reg_digest_ident(aor_h, canon, canon_len);
		} else if (known != REG_NONE) {
			k->key_is_uri = (s->b[known].flags & REG_B_KEY_URI) != 0;
			k->ident = s->b[known].ident;
		} else {
			k->key_is_uri = canon_len == na.uri.len &&
					memcmp(canon, na.uri.p, canon_len) == 0;
			k->ident = reg_digest_ident(aor_h, canon, canon_len);
		}
		/* expiry: contact param, else Expires header, else default (§10.3 step 6) */
		if (na.has_expires)
			e = na.has_expires == 1 ? na.expires : UINT32_MAX;
		else if (has_hdr_exp)
			e = hdr_exp;
		else
			e = c->default_expires;
		if (e != 0 && e < c->min_expires)
			rq->min_expires_hit = 1;
		if (e > c->max_expires)
			e = c->max_expires;
		k->expires = e;
		k->match = REG_NONE;
		k->act = REG_ACT_NOOP;
		for (i = 0; i < rq->n; i++)     /* the same binding twice: the last wins */
			if (rq->c[i].act != REG_ACT_SKIP && reg_cand_same(&rq->c[i], k))
				rq->c[i].act = REG_ACT_SKIP;
		rq->n++;
	}
	if (rc < 0)
		return reg_fail(rq, 400, rc, SIP_HDR_CONTACT);
	if (rq->star) {
		if (total != 1)
			return reg_fail(rq, 400, SIP_ERR_BAD_STAR, SIP_HDR_CONTACT);
		if (!has_hdr_exp || hdr_exp != 0)
			return reg_fail_text(rq, 400, "Contact * requires Expires: 0");
	}
	return 0;
}

/* Everything that does not need the store. 0 or a status. */
static int
reg_req_read(struct reg_shard *s, const struct sip_msg *m, const struct reg_key *key,
	     struct reg_req *rq)
{
	const struct reg_conf *c = &s->conf;
	struct sip_str callid, tag;
	struct sip_cseq cseq;
	struct sip_iter it;
	uint32_t hash, hdr_exp = 0;
	int rc, has_hdr_exp = 0;

	rq->why = NULL;
	rq->n = 0;
	rq->ai_looked = 0;
	rq->callid_ok = 0;
	rq->star = 0;
	rq->min_expires_hit = 0;
	rq->has_path = 0;
	rq->path_len = 0;
	rq->path_supported = 0;
	rq->n_unsup = 0;
	if (!m->is_request || m->method != SIP_METHOD_REGISTER)
		return reg_fail_text(rq, 400, "Not a REGISTER");
	if (key == NULL) {
		rc = reg_aor_key(c, m, &rq->own, &hash);
		if (rc == 400)
			return reg_key_reason(rq, m);
		if (rc != 0)
			return rc;
		key = &rq->own;
	}
	rq->key = key;
	if ((rc = sip_msg_call_id(m, &callid)) != 0)
		return reg_fail(rq, 400, rc == 1 ? SIP_ERR_MISSING_HEADER : rc, SIP_HDR_CALL_ID);
	if ((rc = sip_msg_cseq(m, &cseq)) != 0)
		return reg_fail(rq, 400, rc == 1 ? SIP_ERR_MISSING_HEADER : rc, SIP_HDR_CSEQ);
	if (cseq.method_id != SIP_METHOD_REGISTER)
		return reg_fail(rq, 400, SIP_ERR_CSEQ_MISMATCH, SIP_HDR_CSEQ);
	rq->callid = sip_hash64(0, callid.p, callid.len);
	rq->callid_ok = 1;
	rq->cseq = cseq.seq;
	/* Require (§8.2.2.3): we support path only */
	if (sip_msg_hdr(m, SIP_HDR_REQUIRE) != NULL) {
		sip_iter_init(&it, m, SIP_HDR_REQUIRE);
		while ((rc = sip_tag_next(&it, &tag)) == 1)
			if (!reg_tag_is(&tag, "path", 4) && rq->n_unsup < 8)
				rq->unsup[rq->n_unsup++] = tag;
		if (rc < 0)
			return reg_fail(rq, 400, rc, SIP_HDR_REQUIRE);
		if (rq->n_unsup != 0)
			return 420;
	}
	rc = sip_msg_expires(m, &hdr_exp);
	if (rc == 0 || rc == -SIP_ERR_NUM_RANGE) {
		has_hdr_exp = 1;            /* out of range: UINT32_MAX, clamped to max */
		if (rc != 0)
			hdr_exp = UINT32_MAX;
	} else if (rc < 0) {
		return reg_fail(rq, 400, rc, SIP_HDR_EXPIRES);
	}
	if (sip_msg_hdr(m, SIP_HDR_PATH) != NULL) {
		if ((rc = reg_path_read(m, rq)) != 0) {
			if (rc == 500)
				REG_STAT_INC(s, too_long);
			return rc;
		}
		sip_iter_init(&it, m, SIP_HDR_SUPPORTED);
		while ((rc = sip_tag_next(&it, &tag)) == 1)
			if (reg_tag_is(&tag, "path", 4))
				rq->path_supported = 1;
	}
	rc = reg_contacts_read(s, m, rq, has_hdr_exp, hdr_exp);
	if (rc != 0)
		return rc;
	if (rq->min_expires_hit)
		return 423;
	return 0;
}

/* ---- worker lcore: applying ---- */

static void
reg_flags_clear(struct reg_shard *s, uint32_t ai)
{
	uint32_t bi, n = 0;

	if (ai == REG_NONE)
		return;
	for (bi = s->aors[ai].head; bi != REG_NONE && n <= s->aors[ai].n;
	     bi = s->b[bi].next, n++)
		s->b[bi].flags &= (uint8_t)~(REG_B_TOUCHED | REG_B_EVICT);
}

static uint32_t
reg_match(const struct reg_shard *s, uint32_t ai, const struct reg_cand *k)
{
	char uri[REG_URI_MAX];
	uint32_t bi, n = 0;

	for (bi = s->aors[ai].head; bi != REG_NONE && n <= s->aors[ai].n;
	     bi = s->b[bi].next, n++) {
		const struct reg_binding *b = &s->b[bi];

		if (k->keyed) {
			if ((b->flags & REG_B_INSTANCE) && b->reg_id == k->reg_id &&
			    b->inst_len == k->inst_len &&
			    reg_str_eq(s, b->data, REG_BINDING_INLINE, b->ext, b->uri_len,
				       k->inst, k->inst_len))
				return bi;
			continue;
		}
		if ((b->flags & REG_B_INSTANCE) || b->ident != k->ident)
			continue;
		if (b->uri_len == k->uri_len &&
		    reg_str_eq(s, b->data, REG_BINDING_INLINE, b->ext, 0, k->uri, k->uri_len))
			return bi;
		reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, 0, b->uri_len, uri);
		if (reg_uri_same(uri, b->uri_len, k->uri, k->uri_len))
			return bi;
	}
	return REG_NONE;
}

/* Does binding b, the Contact's by its URI octets, already hold the strings an
 * update would write (URI, no instance, no Path, this node's tag)? The usual
 * refresh: then they are not written again. */
static int
reg_same_data(const struct reg_shard *s, const struct reg_binding *b, const struct reg_cand *k,
	      const struct reg_req *rq)
{
	return k->match == k->known && k->inst_len == 0 && !rq->has_path &&
	       b->inst_len == 0 && b->path_len == 0 && b->tag_len == s->conf.tag_len &&
	       (s->conf.tag_len == 0 ||
		reg_str_eq(s, b->data, REG_BINDING_INLINE, b->ext, b->uri_len, s->conf.tag,
			   s->conf.tag_len));
}

/* Write what the request says into binding bi (new or updated; its strings
 * only when !k->same_data). */
static void
reg_b_set(struct reg_shard *s, uint32_t bi, const struct reg_cand *k, const struct reg_req *rq,
	  const struct reg_src *src, uint64_t now_ms)
{
	struct reg_binding *b = &s->b[bi];
	struct reg_piece pc[4] = {
		{ k->uri, k->uri_len }, { k->inst, k->inst_len },
		{ rq->path, rq->has_path ? rq->path_len : 0 },
		{ s->conf.tag, s->conf.tag_len },
	};

	b->expires_ms = now_ms + (uint64_t)k->expires * 1000;
	b->callid = rq->callid;
	b->cseq = rq->cseq;
	b->counter = reg_version_next(s);
	b->origin = s->conf.node_id;
	b->sock_node = s->conf.node_id;
	/* The local address: a VIP is recorded (it follows its tag); the port's
	 * address is left to the cp, which knows its ports. */
	b->sock_family = src != NULL ? src->sock_family : 0;
	b->sock_port = b->sock_family != 0 ? src->sock_port : 0;
	if (b->sock_family != 0)
		memcpy(b->sock_addr, src->sock_addr, sizeof(b->sock_addr));
	else
		memset(b->sock_addr, 0, sizeof(b->sock_addr));
	b->tag_len = s->conf.tag_len;
	b->q = k->q;
	b->reg_id = k->keyed ? k->reg_id : 0;
	b->ident = k->ident;
	b->flags = (uint8_t)((b->flags & ~(REG_B_INSTANCE | REG_B_KEY_URI)) |
			     (k->keyed ? REG_B_INSTANCE : 0) | (k->key_is_uri ? REG_B_KEY_URI : 0));
	if (src != NULL) {
		reg_b_set_src(s, b, src->family, src->addr);
		b->local_port = src->local_port;
		b->port = src->port;
	} else {
		reg_b_set_src(s, b, 0, NULL);
		b->local_port = 0;
		b->port = 0;
	}
	if (!k->same_data) {
		b->uri_len = k->uri_len;
		b->inst_len = (uint8_t)k->inst_len;
		b->path_len = (uint16_t)pc[2].n;
		reg_ext_free_chain(s, b->ext);
		reg_str_write(s, b->data, REG_BINDING_INLINE, &b->ext, pc, 4);
	}
	reg_wheel_add(s, bi);
	reg_tomb_forget(s, b->ident);
	reg_b_digest_add(s, bi);
}

static inline size_t
reg_cand_bytes(const struct reg_shard *s, const struct reg_cand *k, const struct reg_req *rq)
{
	return (size_t)k->uri_len + k->inst_len + (rq->has_path ? rq->path_len : 0) +
	       s->conf.tag_len;
}

/* Contact * with Expires: 0 (§10.3 step 6). 0 or a status. */
static int
reg_apply_star(struct reg_shard *s, uint32_t ai, struct reg_req *rq, uint64_t now_ms)
{
	uint32_t bi, next, n = 0;

	if (ai == REG_NONE)
		return 0;
	for (bi = s->aors[ai].head; bi != REG_NONE && n <= s->aors[ai].n;
	     bi = s->b[bi].next, n++) {
		if (s->b[bi].callid == rq->callid && rq->cseq <= s->b[bi].cseq) {
			REG_STAT_INC(s, cseq_stale);
			return reg_fail_text(rq, 500, "CSeq out of order");
		}
	}
	n = s->aors[ai].n;
	for (bi = s->aors[ai].head; bi != REG_NONE && n > 0; bi = next, n--) {
		next = s->b[bi].next;
		REG_STAT_INC(s, deletes);
		reg_b_remove(s, bi, REG_EV_DELETE, now_ms, 1);
	}
	return 0;
}

/* Contacts (§10.3 steps 5-7): check all, then apply all. 0 or a status; *aip is
 * the AoR afterwards (REG_NONE when it has no binding left). */
static int
reg_apply(struct reg_shard *s, uint32_t *aip, struct reg_req *rq, const struct reg_src *src,
	  uint64_t now_ms)
{
	uint32_t ai = *aip, n_ins = 0, n_del = 0, n_evict = 0, need_x = 0, free_x = 0;
	uint32_t cur, final, bi, next, n, i;

	for (i = 0; i < rq->n; i++) {
		struct reg_cand *k = &rq->c[i];
		struct reg_binding *b;

		if (k->act == REG_ACT_SKIP)
			continue;
		/* the binding whose URI is the Contact's, octet for octet, is the
		 * one reg_match() would find (an AoR never holds two bindings of
		 * one contact), unless the reap just removed it (aor REG_NONE) */
		if (ai == REG_NONE)
			k->match = REG_NONE;
		else if (k->known != REG_NONE && s->b[k->known].aor == ai)
			k->match = k->known;
		else
			k->match = reg_match(s, ai, k);
		if (k->match == REG_NONE) {
			k->act = k->expires == 0 ? REG_ACT_NOOP : REG_ACT_INSERT;
			if (k->act == REG_ACT_INSERT) {
				n_ins++;
				need_x += reg_ext_need(reg_cand_bytes(s, k, rq), REG_BINDING_INLINE);
			}
			continue;
		}
		b = &s->b[k->match];
		if (b->flags & REG_B_TOUCHED) {
			k->act = REG_ACT_SKIP;
			continue;
		}
		b->flags |= REG_B_TOUCHED;
		if (b->callid == rq->callid && rq->cseq < b->cseq) {
			reg_flags_clear(s, ai);
			REG_STAT_INC(s, cseq_stale);
			return reg_fail_text(rq, 500, "CSeq out of order");
		}
		if (b->callid == rq->callid && rq->cseq == b->cseq) {
			k->act = REG_ACT_NOOP;          /* retransmission */
			REG_STAT_INC(s, retransmits);
			continue;
		}
		free_x += reg_ext_chain_len(s, b->ext);
		if (k->expires == 0) {
			k->act = REG_ACT_DELETE;
			n_del++;
		} else {
			k->act = REG_ACT_UPDATE;
			need_x += reg_ext_need(reg_cand_bytes(s, k, rq), REG_BINDING_INLINE);
			k->same_data = reg_same_data(s, b, k, rq);
		}
	}
	/* max_contacts (only a request that adds bindings can be refused) */
	cur = ai != REG_NONE ? s->aors[ai].n : 0;
	final = cur - n_del + n_ins;
	if (n_ins > 0 && final > s->conf.max_contacts) {
		uint32_t want = final - s->conf.max_contacts;

		if (s->conf.on_max_contacts == REG_FULL_EVICT_OLDEST && ai != REG_NONE) {
			n = 0;
			for (bi = s->aors[ai].head; bi != REG_NONE && n_evict < want &&
			     n <= s->aors[ai].n; bi = s->b[bi].next, n++) {
				if (s->b[bi].flags & REG_B_TOUCHED)
					continue;
				s->b[bi].flags |= REG_B_EVICT;
				free_x += reg_ext_chain_len(s, s->b[bi].ext);
				n_evict++;
			}
		}
		if (n_evict < want) {
			reg_flags_clear(s, ai);
			REG_STAT_INC(s, max_contacts);
			return reg_fail_text(rq, 503, "Too many contacts");
		}
	}
	/* registrar.max_bindings_per_source (only new bindings are refused) */
	if (n_ins > 0 && s->src_tab != NULL && src != NULL && src->family != 0 &&
	    reg_src_count(s, src->family, src->addr) + n_ins > s->conf.max_per_source) {
		reg_flags_clear(s, ai);
		REG_STAT_INC(s, source_full);
		return reg_fail_text(rq, 403, "Too many bindings from this source");
	}
	/* room: records freed by this request are reused by it */
	if (n_ins > s->b_nfree + n_del + n_evict) {
		reg_flags_clear(s, ai);
		REG_STAT_INC(s, pool_full);
		return 503;
	}
	if (ai == REG_NONE && n_ins > 0)
		need_x += reg_aor_ext_need(rq->key);
	if (need_x > s->x_nfree + free_x) {
		reg_flags_clear(s, ai);
		REG_STAT_INC(s, ext_full);
		return 503;
	}
	if (ai == REG_NONE && n_ins > 0) {
		ai = reg_aor_add(s, rq->key);
		if (ai == REG_NONE) {
			REG_STAT_INC(s, aor_full);
			return 503;
		}
	}
	if (ai == REG_NONE)
		return 0;                               /* only removals of nothing */
	/* apply: removals first, so that inserts reuse their records */
	n = s->aors[ai].n;
	for (bi = s->aors[ai].head; bi != REG_NONE && n > 0 && n_evict > 0; bi = next, n--) {
		next = s->b[bi].next;
		if (s->b[bi].flags & REG_B_EVICT) {
			REG_STAT_INC(s, evicted);
			reg_b_remove(s, bi, REG_EV_EVICT, now_ms, 0);
			n_evict--;
		}
	}
	for (i = 0; i < rq->n; i++) {
		struct reg_cand *k = &rq->c[i];

		if (k->act == REG_ACT_DELETE) {
			REG_STAT_INC(s, deletes);
			reg_b_remove(s, k->match, REG_EV_DELETE, now_ms, 0);
		}
	}
	/* updates give back their overflow blocks before anything is written */
	for (i = 0; i < rq->n; i++) {
		struct reg_cand *k = &rq->c[i];

		if (k->act == REG_ACT_UPDATE) {
			reg_b_digest_remove(s, k->match);
			reg_wheel_del(s, k->match);
			if (!k->same_data) {
				reg_ext_free_chain(s, s->b[k->match].ext);
				s->b[k->match].ext = REG_NONE;
			}
		}
	}
	for (i = 0; i < rq->n; i++) {
		struct reg_cand *k = &rq->c[i];

		if (k->act == REG_ACT_UPDATE) {
			reg_b_set(s, k->match, k, rq, src, now_ms);
			REG_STAT_INC(s, refreshes);
			reg_event_emit(s, REG_EV_UPDATE, k->match, now_ms);
		}
	}
	for (i = 0; i < rq->n; i++) {
		struct reg_cand *k = &rq->c[i];
		uint32_t *link;

		if (k->act != REG_ACT_INSERT)
			continue;
		bi = reg_b_alloc(s);
		s->b[bi].aor = ai;
		reg_b_set(s, bi, k, rq, src, now_ms);
		n = 0;
		for (link = &s->aors[ai].head; *link != REG_NONE && n <= s->aors[ai].n;
		     link = &s->b[*link].next, n++)
			;
		*link = bi;
		s->aors[ai].n++;
		REG_STAT_INC(s, inserts);
		reg_event_emit(s, REG_EV_INSERT, bi, now_ms);
	}
	reg_flags_clear(s, ai);
	if (s->aors[ai].n == 0) {
		reg_aor_del(s, ai);
		ai = REG_NONE;
	}
	*aip = ai;
	return 0;
}

/* Bindings of the AoR whose time has come, before the wheel gets to them. */
uint32_t
reg_reap(struct reg_shard *s, uint32_t ai, uint64_t now_ms)
{
	uint32_t bi, next, n = s->aors[ai].n;

	for (bi = s->aors[ai].head; bi != REG_NONE && n > 0; bi = next, n--) {
		next = s->b[bi].next;
		if (s->b[bi].expires_ms <= now_ms) {
			REG_STAT_INC(s, expired);
			reg_b_remove(s, bi, REG_EV_EXPIRE, now_ms, 0);
		}
	}
	if (s->aors[ai].n == 0) {
		reg_aor_del(s, ai);
		return REG_NONE;
	}
	return ai;
}

/* ---- worker lcore: the response ---- */

static void
reg_put_q(struct sip_reply *r, uint16_t q)
{
	char t[5];
	int n = 1;

	t[0] = (char)('0' + q / 1000);
	q %= 1000;
	if (q != 0) {
		t[n++] = '.';
		t[n++] = (char)('0' + q / 100);
		if (q % 100) {
			t[n++] = (char)('0' + q / 10 % 10);
			if (q % 10)
				t[n++] = (char)('0' + q % 10);
		}
	}
	sip_reply_put(r, t, (size_t)n);
}

static void
reg_reply_bindings(const struct reg_shard *s, struct sip_reply *r, uint32_t ai,
		   uint64_t now_ms)
{
	uint32_t bi, n = 0;

	if (ai == REG_NONE)
		return;
	for (bi = s->aors[ai].head; bi != REG_NONE && n <= s->aors[ai].n;
	     bi = s->b[bi].next, n++) {
		const struct reg_binding *b = &s->b[bi];

		if (b->expires_ms <= now_ms)
			continue;
		sip_reply_put(r, "Contact: <", 10);
		reg_str_put(s, r, b->data, REG_BINDING_INLINE, b->ext, 0, b->uri_len);
		sip_reply_put(r, ">;expires=", 10);
		sip_reply_put_u32(r, (uint32_t)((b->expires_ms - now_ms + 999) / 1000));
		if (b->q != 1000) {
			sip_reply_put(r, ";q=", 3);
			reg_put_q(r, b->q);
		}
		if (b->inst_len != 0) {
			sip_reply_put(r, ";+sip.instance=\"", 16);
			reg_str_put(s, r, b->data, REG_BINDING_INLINE, b->ext, b->uri_len,
				    b->inst_len);
			sip_reply_put(r, "\"", 1);
		}
		if (b->flags & REG_B_INSTANCE) {
			sip_reply_put(r, ";reg-id=", 8);
			sip_reply_put_u32(r, b->reg_id);
		}
		sip_reply_crlf(r);
	}
}

static void
reg_count_status(struct reg_shard *s, int status)
{
	switch (status) {
	case 200: REG_STAT_INC(s, reply_200); break;
	case 400: REG_STAT_INC(s, reply_400); break;
	case 403: REG_STAT_INC(s, reply_403); break;
	case 404: REG_STAT_INC(s, reply_404); break;
	case 416: REG_STAT_INC(s, reply_416); break;
	case 420: REG_STAT_INC(s, reply_420); break;
	case 423: REG_STAT_INC(s, reply_423); break;
	case 503: REG_STAT_INC(s, reply_503); break;
	default: REG_STAT_INC(s, reply_500); break;
	}
}

/* ---- main lcore: create helpers ---- */

size_t
reg_heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	size_t total = 0;
	unsigned i;

	for (i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			total += st.heap_allocsz_bytes;
	return total;
}

/* rte_hash signature of a digest key: its high 32 bits (what we pass as sig). */
static uint32_t
reg_hash_sig(const void *key, uint32_t key_len, uint32_t init_val)
{
	uint64_t d;

	(void)key_len;
	(void)init_val;
	memcpy(&d, key, sizeof(d));
	return (uint32_t)(d >> 32);
}

/* Key compare of two digests (instead of memcmp through the PLT). The table is
 * only ever used by this process's worker: function pointers are fine. */
static int
reg_hash_cmp(const void *a, const void *b, size_t key_len)
{
	uint64_t x, y;

	(void)key_len;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

static int
reg_conf_check(const struct reg_conf *c)
{
	return c->max_aors >= 16 && c->max_aors <= (1u << 26) &&
	       c->max_bindings >= 16 && c->max_bindings <= (1u << 28) &&
	       c->max_ext <= (1u << 28) && c->max_events <= (1u << 24) &&
	       c->tombstone_s <= REG_MAX_TOMBSTONE_S && c->max_tombstones <= (1u << 26) &&
	       c->max_contacts >= 1 && c->min_expires >= 1 &&
	       c->min_expires <= c->default_expires && c->default_expires <= c->max_expires &&
	       c->max_expires <= INT32_MAX &&
	       (c->foreign_status == 0 || c->foreign_status == 403 ||
		c->foreign_status == 404) &&
	       c->n_domains >= 0 && c->n_domains <= CFG_MAX_DOMAINS &&
	       (c->n_domains == 0 || c->domains != NULL);
}

/* ---- worker lcore: public (fast path) ---- */

int
reg_shard_register(struct reg_shard *s, const struct sip_msg *m, const struct reg_key *key,
		   const struct reg_src *src, uint64_t now_ms, uint64_t wall_s, char *out,
		   size_t cap, size_t *out_len)
{
	struct reg_req rq;
	struct sip_reply_via via, *vp = NULL;
	char addr[SIP_ADDR_STR_MAX];
	struct sip_reply r;
	uint32_t ai = REG_NONE;
	int status;

	REG_STAT_INC(s, registers);
	reg_wheel_start(s, now_ms);
	s->wall_ms = wall_s * 1000;
	status = reg_req_read(s, m, key, &rq);
	if (status == 0) {
		ai = reg_req_aor(s, &rq);
		if (rq.collision) {
			REG_STAT_INC(s, collisions);
			status = reg_fail_text(&rq, 500, "AoR digest collision");
		} else {
			if (ai != REG_NONE)
				ai = reg_reap(s, ai, now_ms);
			if (rq.star)
				status = reg_apply_star(s, ai, &rq, now_ms);
			else if (rq.n == 0)
				REG_STAT_INC(s, fetches);
			else
				status = reg_apply(s, &ai, &rq, src, now_ms);
			if (rq.star && status == 0)
				ai = REG_NONE;
		}
		if (status == 0)
			status = 200;
	}
	reg_count_status(s, status);
	if (src != NULL) {
		via.received_len = (uint16_t)sip_addr_fmt(addr, sizeof(addr), src->family,
							  src->addr);
		via.received = via.received_len != 0 ? addr : NULL;
		via.rport = src->port;
		via.top = src->top_via;
		via.top_next = src->top_via_next;
		vp = &via;
	}
	sip_reply_init(&r, out, cap);
	if (rq.callid_ok) {                     /* the To tag's hash of it, done */
		r.has_callid_hash = 1;
		r.callid_hash = rq.callid;
	}
	if (sip_reply_begin(&r, m, (unsigned)status, rq.why, vp) != 0) {
		*out_len = 0;
		REG_STAT_INC(s, reply_overflow);
		return status;
	}
	switch (status) {
	case 200: {
		size_t mark = r.len;

		/* an unauthenticated source learns no bindings from a query, and
		 * never gets a list that would make the reply over 3x its request */
		if (src != NULL && src->unauth && rq.n == 0 && !rq.star) {
			REG_STAT_INC(s, list_withheld);
		} else {
			reg_reply_bindings(s, &r, ai, now_ms);
			if (src != NULL && src->unauth && !r.overflow &&
			    r.len + REG_REPLY_TAIL > 3u * m->len) {
				r.len = mark;
				REG_STAT_INC(s, list_withheld);
			}
		}
		if (rq.has_path && rq.path_supported)
			sip_reply_add(&r, "Path", rq.path, rq.path_len);
		if (wall_s != s->date_s || s->date[0] == '\0') {
			memcpy(s->date, "Date: ", 6);
			sip_reply_fmt_date(s->date + 6, wall_s);
			memcpy(s->date + 6 + SIP_REPLY_DATE_LEN, "\r\n", 2);
			s->date_s = wall_s;
		}
		sip_reply_put(&r, s->date, 6 + SIP_REPLY_DATE_LEN + 2);
		break;
	}
	case 420:
		sip_reply_put(&r, "Unsupported: ", 13);
		for (unsigned i = 0; i < rq.n_unsup; i++) {
			if (i != 0)
				sip_reply_put(&r, ", ", 2);
			sip_reply_put(&r, rq.unsup[i].p, rq.unsup[i].len);
		}
		sip_reply_crlf(&r);
		break;
	case 423:
		sip_reply_add_u32(&r, "Min-Expires", s->conf.min_expires);
		break;
	case 503:
		sip_reply_add_u32(&r, "Retry-After", REG_RETRY_AFTER_S);
		break;
	default:
		break;
	}
	*out_len = sip_reply_end(&r);
	if (*out_len == 0)
		REG_STAT_INC(s, reply_overflow);
	return status;
}

/* ---- owning worker: public read side ---- */

int
reg_shard_lookup(const struct reg_shard *s, const char *aor, size_t len, uint64_t now_ms,
		 reg_binding_fn *fn, void *arg)
{
	char data[REG_URI_MAX + REG_INST_MAX + REG_PATH_MAX + REG_TAG_MAX];
	struct reg_contact c;
	struct reg_key k;
	uint32_t ai, bi, n = 0;
	int collision, count = 0;

	if (reg_key_from_text(&s->conf, aor, len, &k) != 0)
		return -EINVAL;
	ai = reg_aor_find(s, &k, &collision);
	if (ai == REG_NONE)
		return 0;
	for (bi = s->aors[ai].head; bi != REG_NONE && n <= s->aors[ai].n;
	     bi = s->b[bi].next, n++) {
		const struct reg_binding *b = &s->b[bi];

		if (b->expires_ms <= now_ms)
			continue;
		reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, 0,
			     (size_t)b->uri_len + b->inst_len + b->path_len + b->tag_len, data);
		memset(&c, 0, sizeof(c));
		c.uri = data;
		c.uri_len = b->uri_len;
		c.instance = b->inst_len ? data + b->uri_len : NULL;
		c.instance_len = b->inst_len;
		c.path = b->path_len ? data + b->uri_len + b->inst_len : NULL;
		c.path_len = b->path_len;
		c.q = b->q;
		c.reg_id = b->reg_id;
		c.expires_in = (uint32_t)((b->expires_ms - now_ms + 999) / 1000);
		c.cseq = b->cseq;
		c.version = b->counter;
		c.origin = b->origin;
		c.sock_node = b->sock_node;
		c.sock_family = b->sock_family;
		c.sock_port = b->sock_port;
		memcpy(c.sock_addr, b->sock_addr, sizeof(c.sock_addr));
		c.tag = b->tag_len ? data + b->uri_len + b->inst_len + b->path_len : NULL;
		c.tag_len = b->tag_len;
		c.callid = b->callid;
		c.src.family = b->family;
		c.src.local_port = b->local_port;
		c.src.port = b->port;
		memcpy(c.src.addr, b->addr, sizeof(c.src.addr));
		count++;
		if (fn != NULL && fn(&c, arg) != 0)
			break;
	}
	return count;
}

void
reg_shard_counts(const struct reg_shard *s, uint64_t *aors, uint64_t *bindings)
{
	*aors = s->n_aors;
	*bindings = s->n_bindings;
}

const struct reg_stats *
reg_shard_stats(const struct reg_shard *s)
{
	return &s->st;
}

const char *
reg_stat_name(enum reg_stat i)
{
	return (unsigned)i < REG_STAT_MAX ? reg_stat_names[i] : "?";
}

const char *
reg_stat_help(enum reg_stat i)
{
	return (unsigned)i < REG_STAT_MAX ? reg_stat_helps[i] : "?";
}

const char *
reg_event_type_name(enum reg_event_type t)
{
	return (unsigned)t < REG_EV__COUNT ? reg_event_names[t] : "?";
}

size_t
reg_shard_bytes_per_binding(const struct reg_shard *s)
{
	double b = (double)(s->b_bytes + s->repl_bytes) / s->conf.max_bindings +
		   (double)(s->aor_bytes + s->hash_bytes) / s->conf.max_aors;

	return (size_t)(b + 0.5);
}

void
reg_shard_mem(const struct reg_shard *s, struct reg_mem *mem)
{
	mem->hash = s->hash_bytes;
	mem->aors = s->aor_bytes;
	mem->bindings = s->b_bytes;
	mem->ext = s->x_bytes;
	mem->wheel = s->wheel_bytes;
	mem->events = s->ev_bytes;
	mem->repl = s->repl_bytes;
	mem->total = s->hash_bytes + s->aor_bytes + s->b_bytes + s->x_bytes + s->wheel_bytes +
		     s->ev_bytes + s->repl_bytes + sizeof(*s);
}

/* ---- main lcore: public create / free ---- */

void
reg_conf_from_cfg(struct reg_conf *rc, const struct cfg *cfg, struct rte_ring *events)
{
	memset(rc, 0, sizeof(*rc));
	rc->default_expires = cfg->reg.default_expires;
	rc->min_expires = cfg->reg.min_expires;
	rc->max_expires = cfg->reg.max_expires;
	rc->max_contacts = cfg->reg.max_contacts;
	rc->on_max_contacts = cfg->reg.max_contacts_policy == CFG_REG_FULL_EVICT_OLDEST ?
			      REG_FULL_EVICT_OLDEST : REG_FULL_REJECT;
	rc->foreign_status = cfg->reg.foreign_domain_status;
	rc->node_id = cfg->node_id;
	rc->max_aors = cfg->reg.max_aors;
	rc->max_bindings = cfg->reg.max_bindings;
	rc->hash_seed = rte_rand();
	rc->n_domains = cfg->sip.n_domains;
	rc->domains = cfg->sip.domains;
	rc->events = events;
	rc->tombstone_s = cfg->cluster.enabled ? cfg->cluster.tombstone_s : 0;
	rc->federation = cfg->cluster.enabled && cfg->cluster.mode == CFG_MODE_FEDERATION;
	rc->max_dir = cfg->cluster.fed_directory;
	rc->max_per_source = cfg->reg.max_bindings_per_source;
	if (cfg->reg.tag.cluster != 0) {
		int n = snprintf(rc->tag, sizeof(rc->tag), "%s/%u", cfg->reg.tag.name,
				 cfg->reg.tag.cluster);

		rc->tag_len = n > 0 && (size_t)n < sizeof(rc->tag) ? (uint8_t)n : 0;
	}
}

void
reg_shard_free(struct reg_shard *s)
{
	if (s == NULL)
		return;
	rte_hash_free(s->hash);
	rte_free(s->dir.slot);
	rte_mempool_free(s->ev_pool);
	rte_mempool_free(s->ev_pool_large);
	reg_repl_free(s);
	rte_free(s->wheel.slots);
	rte_free(s->ext);
	rte_free(s->b);
	rte_free(s->aors);
	rte_free(s->src_tab);
	rte_free(s);
}

struct reg_shard *
reg_shard_create(const struct reg_conf *c, unsigned shard, int socket)
{
	static uint32_t serial;
	struct rte_hash_parameters hp = { 0 };
	struct reg_shard *s;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t i, id, cache;
	size_t h0;
	int err = ENOMEM;

	if (c == NULL || !reg_conf_check(c)) {
		rte_errno = EINVAL;
		return NULL;
	}
	id = __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED);
	s = rte_zmalloc_socket("reg_shard", sizeof(*s), RTE_CACHE_LINE_SIZE, socket);
	if (s == NULL)
		goto fail;
	s->conf = *c;
	s->id = shard;
	if (s->conf.max_ext == 0)
		s->conf.max_ext = s->conf.max_bindings / 4 > 64 ? s->conf.max_bindings / 4 : 64;
	if (s->conf.max_events == 0)
		s->conf.max_events = REG_DEFAULT_EVENTS;
	if (s->conf.foreign_status == 0)
		s->conf.foreign_status = 403;
	if (s->conf.tombstone_s == 0)
		s->conf.tombstone_s = REG_DEFAULT_TOMBSTONE_S;
	if (s->conf.max_tombstones == 0)
		s->conf.max_tombstones = s->conf.max_bindings / 8 > 64 ?
					 s->conf.max_bindings / 8 : 64;

	snprintf(name, sizeof(name), "reg_h%u_%u", shard, id);
	hp.name = name;
	hp.entries = s->conf.max_aors;
	hp.key_len = sizeof(uint64_t);
	hp.hash_func = reg_hash_sig;
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	h0 = reg_heap_bytes();
	s->hash = rte_hash_create(&hp);
	if (s->hash == NULL) {
		err = rte_errno != 0 ? rte_errno : ENOMEM;
		goto fail;
	}
	s->hash_bytes = reg_heap_bytes() - h0;
	rte_hash_set_cmp_func(s->hash, reg_hash_cmp);

	h0 = reg_heap_bytes();
	s->aors = rte_zmalloc_socket("reg_aors", (size_t)s->conf.max_aors * sizeof(*s->aors),
				     RTE_CACHE_LINE_SIZE, socket);
	s->aor_bytes = reg_heap_bytes() - h0;
	h0 = reg_heap_bytes();
	s->b = rte_malloc_socket("reg_bindings", (size_t)s->conf.max_bindings * sizeof(*s->b),
				 RTE_CACHE_LINE_SIZE, socket);
	s->b_bytes = reg_heap_bytes() - h0;
	h0 = reg_heap_bytes();
	s->ext = rte_malloc_socket("reg_ext", (size_t)s->conf.max_ext * sizeof(*s->ext),
				   RTE_CACHE_LINE_SIZE, socket);
	s->x_bytes = reg_heap_bytes() - h0;
	h0 = reg_heap_bytes();
	s->wheel.slots = rte_malloc_socket("reg_wheel", REG_WHEEL_SLOTS * sizeof(uint32_t),
					   RTE_CACHE_LINE_SIZE, socket);
	s->wheel_bytes = reg_heap_bytes() - h0;
	if (s->aors == NULL || s->b == NULL || s->ext == NULL || s->wheel.slots == NULL)
		goto fail;
	for (i = 0; i < s->conf.max_aors; i++) {
		s->aors[i].head = REG_NONE;
		s->aors[i].ext = REG_NONE;
	}
	for (i = 0; i < s->conf.max_bindings; i++) {
		memset(&s->b[i], 0, sizeof(s->b[i]));
		s->b[i].next = i + 1 < s->conf.max_bindings ? i + 1 : REG_NONE;
		s->b[i].ext = REG_NONE;
		s->b[i].aor = REG_NONE;
		s->b[i].wprev = s->b[i].wnext = REG_NONE;
	}
	s->b_free = 0;
	s->b_nfree = s->conf.max_bindings;
	if (s->conf.max_per_source != 0) {
		uint32_t slots = 16;

		while (slots < 2u * s->conf.max_bindings)
			slots <<= 1;
		s->src_tab = rte_zmalloc_socket("reg_src", (size_t)slots * sizeof(*s->src_tab),
						RTE_CACHE_LINE_SIZE, socket);
		if (s->src_tab == NULL)
			goto fail;
		s->src_mask = slots - 1;
	}
	for (i = 0; i < s->conf.max_ext; i++)
		s->ext[i].next = i + 1 < s->conf.max_ext ? i + 1 : REG_NONE;
	s->x_free = 0;
	s->x_nfree = s->conf.max_ext;
	memset(s->wheel.slots, 0xff, REG_WHEEL_SLOTS * sizeof(uint32_t));
	if (reg_repl_create(s, socket) != 0)
		goto fail;
	if (s->conf.federation) {
		uint32_t max = s->conf.max_dir != 0 ? s->conf.max_dir :
			       (s->conf.max_aors > UINT32_MAX / 4 ? UINT32_MAX / 2 :
				4 * s->conf.max_aors);
		uint32_t slots = reg_dir_slots(max);
		struct reg_dir_ent *ds;

		h0 = reg_heap_bytes();
		ds = rte_zmalloc_socket("reg_dir", (size_t)slots * sizeof(*ds),
					RTE_CACHE_LINE_SIZE, socket);
		s->dir_bytes = reg_heap_bytes() - h0;
		if (ds == NULL)
			goto fail;
		reg_dir_init(&s->dir, ds, slots, s->conf.hash_seed);
	}

	if (s->conf.events != NULL) {
		snprintf(name, sizeof(name), "reg_ev%u_%u", shard, id);
		cache = s->conf.max_events / 8;
		if (cache > 64)
			cache = 64;
		h0 = reg_heap_bytes();
		s->ev_pool = rte_mempool_create(name, s->conf.max_events,
						sizeof(struct reg_event) + REG_EV_PK_SMALL, cache, 0,
						NULL, NULL, NULL, NULL, socket, 0);
		snprintf(name, sizeof(name), "reg_evl%u_%u", shard, id);
		s->ev_pool_large = rte_mempool_create(name, REG_EV_LARGE,
						      sizeof(struct reg_event) + REG_PACK_REC_MAX,
						      0, 0, NULL, NULL, NULL, NULL, socket, 0);
		if (s->ev_pool == NULL || s->ev_pool_large == NULL) {
			err = rte_errno != 0 ? rte_errno : ENOMEM;
			goto fail;
		}
		s->ev_bytes = reg_heap_bytes() - h0;
	}
	return s;
fail:
	reg_shard_free(s);
	rte_errno = err;
	return NULL;
}
