/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replication side of the registrar shards, on fake clocks: version order
 * and the shard's hybrid clock, reg_shard_apply() (newer, older, equal, ties,
 * tombstones), tombstones (late inserts stay deleted, expiry after
 * tombstone_s, a full pool drops the oldest), lifetimes as remaining seconds,
 * per-bucket digests (order-free, one differing bucket, recomputed from the
 * bucket walks), the bucket walk, and the round trip local change on shard A
 * -> event -> record -> apply on shard B.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/sip/sip_parse.h"
#include "proto/msg_version.h"

#define WALL_A  1700000000ull          /* node A's wall clock, s */
#define WALL_B  1600000000ull          /* node B's: 3 years behind */
#define TA      1000000ull             /* A's monotonic clock, ms */
#define TB      77000000ull            /* B's */

static const char domains[1][CFG_STR] = { "example.com" };
static struct rte_ring *ring_a, *ring_b;
static struct reg_shard *sa, *sb;
static struct reg_conf conf_a, conf_b;
static struct reg_src src4 = { 4, 1, 40000, { 198, 18, 0, 100 }, 0, 0, { 0 }, 0, NULL, NULL };
static struct reg_rec rec;
static char msg[4096], out[8192];
static unsigned branch;

/* ---- helpers ---- */

static void
conf_for(struct reg_conf *c, uint16_t node, struct rte_ring *ring)
{
	memset(c, 0, sizeof(*c));
	c->default_expires = 3600;
	c->min_expires = 10;
	c->max_expires = 7200;
	c->max_contacts = 10;
	c->on_max_contacts = REG_FULL_REJECT;
	c->foreign_status = 403;
	c->max_aors = 256;
	c->max_bindings = 512;
	c->node_id = node;
	c->n_domains = 1;
	c->domains = domains;
	c->events = ring;
	c->hash_seed = 0x1234u + node;  /* different per node: nothing may depend on it */
}

static void
drain(struct rte_ring *r)
{
	void *ev;

	while (rte_ring_dequeue(r, &ev) == 0)
		reg_event_free(ev);
}

static void
shards_new(void)
{
	drain(ring_a);
	drain(ring_b);
	sa = reg_shard_create(&conf_a, 0, SOCKET_ID_ANY);
	sb = reg_shard_create(&conf_b, 0, SOCKET_ID_ANY);
	if (sa == NULL || sb == NULL)
		fail_msg("reg_shard_create: %s", rte_strerror(rte_errno));
}

static int
setup_shards(void **state)
{
	(void)state;
	conf_for(&conf_a, 1, ring_a);
	conf_for(&conf_b, 2, ring_b);
	shards_new();
	return 0;
}

static int
teardown_shards(void **state)
{
	(void)state;
	drain(ring_a);
	drain(ring_b);
	reg_shard_free(sa);
	reg_shard_free(sb);
	sa = sb = NULL;
	return 0;
}

static uint64_t
stat_of(const struct reg_shard *s, enum reg_stat i)
{
	return reg_shard_stats(s)->c[i];
}

#define STAT(s, n) stat_of(s, REG_STAT_##n)

/* A REGISTER for user@example.com on shard s. */
static int
reg(struct reg_shard *s, uint64_t now, uint64_t wall, const char *user, const char *callid,
    unsigned cseq, const char *hdrs)
{
	struct sip_msg m;
	size_t out_len;
	int n = snprintf(msg, sizeof(msg),
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-%u\r\n"
			 "From: <sip:%s@example.com>;tag=f\r\n"
			 "To: <sip:%s@example.com>\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: %u REGISTER\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 ++branch, user, user, callid, cseq, hdrs);

	assert_true(n > 0 && (size_t)n < sizeof(msg));
	assert_int_equal(sip_msg_parse(&m, msg, (size_t)n), 0);
	return reg_shard_register(s, &m, NULL, &src4, now, wall, out, sizeof(out), &out_len);
}

/* The next event of ring r (must be there), turned into rec; returns its type. */
static int
next_rec(struct rte_ring *r, struct reg_rec *rc, int *remote)
{
	struct reg_event *ev = NULL;
	int type;

	if (rte_ring_dequeue(r, (void **)&ev) != 0)
		fail_msg("no event");
	type = ev->type;
	if (remote != NULL)
		*remote = ev->remote;
	memset(rc, 0, sizeof(*rc));
	if (type != REG_EV_EXPIRE && !ev->remote)
		assert_int_equal(reg_event_to_rec(ev, rc), 0);
	else    /* an expiry, an applied record: counted by the cp, no record */
		assert_int_equal(reg_event_to_rec(ev, rc), -EINVAL);
	reg_event_free(ev);
	return type;
}

static void
no_event(struct rte_ring *r)
{
	assert_int_equal(rte_ring_count(r), 0);
}

#define SET(field, text) do { \
		memcpy(rec.field, text, strlen(text)); \
		rec.field##_len = (uint16_t)strlen(text); \
	} while (0)

/* A live record of (aor, uri) keyed by the URI (already normalised here). */
static struct reg_rec *
live(const char *aor, const char *uri, uint64_t counter, uint16_t origin, uint32_t expires_s)
{
	memset(&rec, 0, sizeof(rec));
	rec.version.counter = counter;
	rec.version.origin = origin;
	rec.expires_s = expires_s;
	rec.q = 1000;
	rec.cseq = 1;
	rec.callid = 0xca11;
	rec.family = 4;
	rec.port = 5060;
	memcpy(rec.addr, src4.addr, 4);
	rec.sock_node = origin;
	SET(aor, aor);
	SET(key, uri);
	SET(uri, uri);
	return &rec;
}

static struct reg_rec *
tomb(const char *aor, const char *key, uint64_t counter, uint16_t origin)
{
	memset(&rec, 0, sizeof(rec));
	rec.version.counter = counter;
	rec.version.origin = origin;
	rec.tombstone = 1;
	SET(aor, aor);
	SET(key, key);
	return &rec;
}

struct one {
	int n;
	struct reg_contact c;
	char uri[REG_URI_MAX + 1], inst[REG_INST_MAX + 1], path[REG_PATH_MAX + 1];
	char tag[REG_TAG_MAX + 1];
};

static int
one_fn(const struct reg_contact *c, void *arg)
{
	struct one *o = arg;

	if (o->n++ == 0) {
		o->c = *c;
		memcpy(o->uri, c->uri, c->uri_len);
		if (c->instance)
			memcpy(o->inst, c->instance, c->instance_len);
		if (c->path)
			memcpy(o->path, c->path, c->path_len);
		if (c->tag)
			memcpy(o->tag, c->tag, c->tag_len);
	}
	return 0;
}

static int
lookup(const struct reg_shard *s, const char *aor, uint64_t now, struct one *o)
{
	memset(o, 0, sizeof(*o));
	return reg_shard_lookup(s, aor, strlen(aor), now, one_fn, o);
}

/* The digest recomputed from the bucket walks equals the one kept up to date. */
struct recompute {
	struct reg_digest d;
	uint16_t bucket;
};

static int
recompute_fn(const struct reg_keyver *kv, void *arg)
{
	struct recompute *rc = arg;

	assert_int_equal(reg_digest_bucket(kv->aor, kv->aor_len), rc->bucket);
	if (kv->tombstone)      /* tombstones are walked, not digested */
		return 0;
	reg_digest_add(&rc->d, kv->aor, kv->aor_len, kv->key, kv->key_len, &kv->version,
		       kv->tombstone);
	return 0;
}

static void
check_digest(const struct reg_shard *s)
{
	static struct recompute rc;
	const struct reg_digest *d = reg_shard_digest(s);
	uint64_t aors, bindings;
	uint32_t b;

	reg_digest_init(&rc.d);
	for (b = 0; b < REG_DIGEST_BUCKETS; b++) {
		rc.bucket = (uint16_t)b;
		assert_true(reg_shard_bucket_walk(s, (uint16_t)b, recompute_fn, &rc) >= 0);
	}
	assert_memory_equal(rc.d.bucket, d->bucket, sizeof(d->bucket));
	reg_shard_counts(s, &aors, &bindings);
	assert_int_equal(d->entries, bindings);
	assert_int_equal(rc.d.entries, d->entries);
	assert_int_equal(STAT(s, tombstones), reg_shard_tombstones(s));
}

static void
digests_equal(const struct reg_shard *a, const struct reg_shard *b)
{
	assert_memory_equal(reg_shard_digest(a)->bucket, reg_shard_digest(b)->bucket,
			    sizeof(reg_shard_digest(a)->bucket));
	assert_int_equal(reg_shard_digest(a)->entries, reg_shard_digest(b)->entries);
}

/* ---- version order and the shard's clock ---- */

static void
test_version_order_and_clock(void **state)
{
	const struct msg_version v5_1 = { 5, 1 }, v5_2 = { 5, 2 }, v6_1 = { 6, 1 };
	struct one o;
	uint64_t ahead = ((WALL_A * 1000ull + 3600000) << MSG_CLOCK_SHIFT) + 7;

	(void)state;
	assert_true(msg_version_cmp(&v6_1, false, &v5_2, false) > 0);     /* counter first */
	assert_true(msg_version_cmp(&v5_2, false, &v5_1, false) > 0);     /* then origin */
	assert_int_equal(msg_version_cmp(&v5_1, false, &v5_1, false), 0);
	assert_true(msg_version_cmp(&v5_1, true, &v5_1, false) > 0);      /* tombstone wins a tie */
	assert_true(msg_version_cmp(&v5_1, false, &v5_1, true) < 0);
	assert_true(msg_version_cmp(&v5_2, true, &v6_1, false) < 0);      /* only a tie */
	/* a local change takes max(last, wall_ms << 16) + 1 */
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 1, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(lookup(sa, "u@example.com", TA, &o), 1);
	assert_int_equal(o.c.version, ((WALL_A * 1000) << MSG_CLOCK_SHIFT) + 1);
	assert_int_equal(o.c.origin, 1);
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 2, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(lookup(sa, "u@example.com", TA, &o), 1);
	assert_int_equal(o.c.version, ((WALL_A * 1000) << MSG_CLOCK_SHIFT) + 2);
	/* a record from a node an hour ahead raises the clock: the next local change
	 * is above it, whatever the local wall clock says */
	assert_int_equal(reg_shard_apply(sa, live("v@example.com", "sip:v@h", ahead, 9, 60), TA),
			 0);
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 3, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(lookup(sa, "u@example.com", TA, &o), 1);
	assert_int_equal(o.c.version, ahead + 1);
	/* so is a refresh of the remote binding made here: it wins over the record */
	assert_int_equal(reg(sa, TA, WALL_A, "v", "c", 1, "Contact: <sip:v@h>\r\n"), 200);
	assert_int_equal(lookup(sa, "v@example.com", TA, &o), 1);
	assert_int_equal(o.c.version, ahead + 2);
	assert_int_equal(o.c.origin, 1);
	assert_int_equal(reg_shard_apply(sa, live("v@example.com", "sip:v@h", ahead, 9, 60), TA),
			 1);
	check_digest(sa);
}

/* ---- apply ---- */

static void
test_apply_newer_older_equal(void **state)
{
	struct reg_rec r;
	struct one o;
	int remote;

	(void)state;
	assert_int_equal(reg_shard_apply(sb, live("a@example.com", "sip:a@h", 100, 3, 600), TB),
			 0);
	assert_int_equal(next_rec(ring_b, &r, &remote), REG_EV_INSERT);
	assert_int_equal(remote, 1);    /* no record: the cp only counts it */
	assert_int_equal(lookup(sb, "a@example.com", TB, &o), 1);
	assert_int_equal(o.c.version, 100);
	assert_int_equal(o.c.origin, 3);
	assert_int_equal(o.c.sock_node, 3);
	/* older (counter), older (same counter, lower origin), equal: stale */
	assert_int_equal(reg_shard_apply(sb, live("a@example.com", "sip:a@h", 99, 9, 600), TB), 1);
	assert_int_equal(reg_shard_apply(sb, live("a@example.com", "sip:a@h", 100, 2, 600), TB), 1);
	assert_int_equal(reg_shard_apply(sb, live("a@example.com", "sip:a@h", 100, 3, 900), TB), 1);
	assert_int_equal(STAT(sb, stale), 3);
	no_event(ring_b);
	assert_int_equal(lookup(sb, "a@example.com", TB, &o), 1);
	assert_int_equal(o.c.expires_in, 600);
	/* newer by origin on an equal counter: replaces it */
	live("a@example.com", "sip:a@h", 100, 4, 900);
	rec.q = 250;
	assert_int_equal(reg_shard_apply(sb, &rec, TB), 0);
	assert_int_equal(next_rec(ring_b, &r, &remote), REG_EV_UPDATE);
	assert_int_equal(remote, 1);
	assert_int_equal(lookup(sb, "a@example.com", TB, &o), 1);
	assert_int_equal(o.c.q, 250);
	assert_int_equal(o.c.expires_in, 900);
	assert_int_equal(o.c.origin, 4);
	/* a tombstone of the same version wins the tie; then the live one is stale */
	assert_int_equal(reg_shard_apply(sb, tomb("a@example.com", "sip:a@h", 100, 4), TB), 0);
	assert_int_equal(next_rec(ring_b, &r, &remote), REG_EV_DELETE);
	assert_int_equal(remote, 1);
	assert_int_equal(lookup(sb, "a@example.com", TB, &o), 0);
	assert_int_equal(reg_shard_tombstones(sb), 1);
	assert_int_equal(reg_shard_apply(sb, live("a@example.com", "sip:a@h", 100, 4, 900), TB),
			 1);
	assert_int_equal(reg_shard_apply(sb, tomb("a@example.com", "sip:a@h", 100, 4), TB), 1);
	/* a newer live record replaces the tombstone */
	assert_int_equal(reg_shard_apply(sb, live("a@example.com", "sip:a@h", 101, 1, 900), TB),
			 0);
	assert_int_equal(reg_shard_tombstones(sb), 0);
	assert_int_equal(lookup(sb, "a@example.com", TB, &o), 1);
	assert_int_equal(STAT(sb, applied), 4);
	assert_int_equal(STAT(sb, stale), 5);
	check_digest(sb);
	/* max_contacts is the origin's business: not enforced here */
	teardown_shards(NULL);
	conf_for(&conf_a, 1, ring_a);
	conf_for(&conf_b, 2, ring_b);
	conf_b.max_contacts = 1;
	shards_new();
	assert_int_equal(reg_shard_apply(sb, live("m@example.com", "sip:m@h1", 10, 3, 60), TB), 0);
	assert_int_equal(reg_shard_apply(sb, live("m@example.com", "sip:m@h2", 11, 3, 60), TB), 0);
	assert_int_equal(reg_shard_apply(sb, live("m@example.com", "sip:m@h3", 12, 3, 60), TB), 0);
	assert_int_equal(lookup(sb, "m@example.com", TB, &o), 3);
	assert_int_equal(STAT(sb, evicted), 0);
}

static void
test_apply_invalid_and_limits(void **state)
{
	char aor[32];
	int i, rc;

	(void)state;
	/* the key must be the one this shard computes from the URI */
	assert_int_equal(reg_shard_apply(sb, live("a@example.com", "sip:a@h", 1, 1, 60), TB), 0);
	live("a@example.com", "sip:a@HOST", 2, 1, 60);      /* host is case-insensitive */
	assert_int_equal(reg_shard_apply(sb, &rec, TB), -EINVAL);
	live("a@example.com", "sip:a@host", 2, 1, 60);
	memcpy(rec.uri, "sip:a@HOST", 10);
	assert_int_equal(reg_shard_apply(sb, &rec, TB), 0);
	live("a@example.com", "sip:a@h", 3, 1, 0);          /* live without lifetime */
	assert_int_equal(reg_shard_apply(sb, &rec, TB), -EINVAL);
	live("a@example.com", "sip:a@h", 0, 1, 60);         /* version 0 */
	assert_int_equal(reg_shard_apply(sb, &rec, TB), -EINVAL);
	live("a@example.com", "sip:a@h", 3, 1, 60);
	rec.q = 1001;
	assert_int_equal(reg_shard_apply(sb, &rec, TB), -EINVAL);
	live("a@example.com", "sip:a@h", 3, 1, 60);         /* keyed: "reg-id=N;INSTANCE" */
	rec.reg_id = 1;
	SET(instance, "<urn:uuid:1>");
	assert_int_equal(reg_shard_apply(sb, &rec, TB), -EINVAL);
	SET(key, "reg-id=1;<urn:uuid:1>");
	assert_int_equal(reg_shard_apply(sb, &rec, TB), 0);
	assert_int_equal(STAT(sb, apply_failed), 5);
	/* pool full: -ENOBUFS, counted, nothing changed */
	for (i = 0, rc = 0; i < 1000 && rc == 0; i++) {
		snprintf(aor, sizeof(aor), "p%d@example.com", i);
		rc = reg_shard_apply(sb, live(aor, "sip:x@h", 5, 1, 60), TB);
	}
	assert_true(rc == -ENOBUFS || rc == -ENOSPC);
	assert_int_equal(STAT(sb, apply_failed), 6);
	check_digest(sb);
}

/* ---- tombstones ---- */

static void
test_delete_then_late_insert(void **state)
{
	struct reg_rec ins, del;
	struct one o;

	(void)state;
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 1, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &ins, NULL), REG_EV_INSERT);
	assert_int_equal(reg(sa, TA + 1000, WALL_A, "u", "c", 2,
			     "Contact: <sip:u@h1>;expires=0\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &del, NULL), REG_EV_DELETE);
	assert_int_equal(del.tombstone, 1);
	assert_true(del.version.counter > ins.version.counter);
	assert_int_equal(reg_shard_tombstones(sa), 1);
	/* B gets the delete first, then the insert late: it stays deleted */
	assert_int_equal(reg_shard_apply(sb, &del, TB), 0);
	assert_int_equal(reg_shard_tombstones(sb), 1);
	assert_int_equal(reg_shard_apply(sb, &ins, TB + 5), 1);
	assert_int_equal(lookup(sb, "u@example.com", TB + 5, &o), 0);
	assert_int_equal(STAT(sb, stale), 1);
	digests_equal(sa, sb);
	check_digest(sa);
	check_digest(sb);
	/* and the same for Contact: * */
	assert_int_equal(reg(sa, TA + 2000, WALL_A, "w", "c", 1, "Contact: <sip:w@h1>\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &ins, NULL), REG_EV_INSERT);
	assert_int_equal(reg(sa, TA + 3000, WALL_A, "w", "c", 2, "Contact: *\r\nExpires: 0\r\n"),
			 200);
	assert_int_equal(next_rec(ring_a, &del, NULL), REG_EV_DELETE);
	assert_int_equal(reg_shard_apply(sb, &del, TB + 10), 0);
	assert_int_equal(reg_shard_apply(sb, &ins, TB + 10), 1);
	assert_int_equal(lookup(sb, "w@example.com", TB + 10, &o), 0);
	digests_equal(sa, sb);
	/* a new local REGISTER of a deleted contact replaces its tombstone */
	assert_int_equal(reg(sb, TB + 20, WALL_B, "w", "c9", 1, "Contact: <sip:w@h1>\r\n"), 200);
	assert_int_equal(reg_shard_tombstones(sb), 1);
	assert_int_equal(lookup(sb, "w@example.com", TB + 20, &o), 1);
	/* B's clock saw A's versions: its change is newer although B's wall clock
	 * is years behind, and it wins on A */
	drain(ring_b);
	assert_int_equal(reg(sb, TB + 30, WALL_B, "w", "c9", 2, "Contact: <sip:w@h1>\r\n"), 200);
	assert_int_equal(next_rec(ring_b, &ins, NULL), REG_EV_UPDATE);
	assert_true(ins.version.counter > del.version.counter);
	assert_int_equal(reg_shard_apply(sa, &ins, TA + 4000), 0);
	assert_int_equal(lookup(sa, "w@example.com", TA + 4000, &o), 1);
	check_digest(sa);
	check_digest(sb);
}

static void
test_tombstone_expiry(void **state)
{
	struct reg_rec ins, del;
	struct one o;
	uint64_t t;

	(void)state;
	teardown_shards(NULL);
	conf_for(&conf_a, 1, ring_a);
	conf_for(&conf_b, 2, ring_b);
	conf_b.tombstone_s = 60;
	shards_new();
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 1, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &ins, NULL), REG_EV_INSERT);
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 2, "Contact: <sip:u@h1>;expires=0\r\n"),
			 200);
	assert_int_equal(next_rec(ring_a, &del, NULL), REG_EV_DELETE);
	assert_int_equal(reg_shard_apply(sb, &del, TB), 0);
	for (t = TB; t < TB + 60000; t += 100)
		reg_shard_tick(sb, t);
	assert_int_equal(reg_shard_tombstones(sb), 1);
	assert_int_equal(reg_shard_apply(sb, &ins, TB + 59999), 1);
	reg_shard_tick(sb, TB + 60000);
	assert_int_equal(reg_shard_tombstones(sb), 0);
	assert_int_equal(STAT(sb, tombstones_expired), 1);
	assert_int_equal(STAT(sb, tombstones), 0);
	check_digest(sb);
	/* the documented consequence: after tombstone_s the old insert applies again
	 * (anti-entropy with a node that still holds the tombstone removes it) */
	assert_int_equal(reg_shard_apply(sb, &ins, TB + 60001), 0);
	assert_int_equal(lookup(sb, "u@example.com", TB + 60001, &o), 1);
	assert_int_equal(reg_shard_apply(sb, &del, TB + 60002), 0);
	assert_int_equal(lookup(sb, "u@example.com", TB + 60002, &o), 0);
	/* expiry of a binding is not replicated and leaves no tombstone */
	drain(ring_b);
	assert_int_equal(reg_shard_apply(sb, live("e@example.com", "sip:e@h", 50, 3, 10),
					 TB + 70000), 0);
	assert_int_equal(reg_shard_tombstones(sb), 1);
	drain(ring_b);
	for (t = TB + 70000; t <= TB + 80000; t += 10)
		reg_shard_tick(sb, t);
	assert_int_equal(lookup(sb, "e@example.com", TB + 80000, &o), 0);
	assert_int_equal(STAT(sb, expired), 1);
	assert_int_equal(next_rec(ring_b, &ins, NULL), REG_EV_EXPIRE);
	assert_int_equal(reg_shard_tombstones(sb), 1);      /* u's, from the re-delete */
	check_digest(sb);
}

static void
test_tombstone_pool_full(void **state)
{
	char aor[32];
	int i;

	(void)state;
	teardown_shards(NULL);
	conf_for(&conf_a, 1, ring_a);
	conf_for(&conf_b, 2, ring_b);
	conf_b.max_tombstones = 64;
	shards_new();
	for (i = 0; i < 70; i++) {
		snprintf(aor, sizeof(aor), "t%d@example.com", i);
		assert_int_equal(reg_shard_apply(sb, tomb(aor, "sip:t@h", 1000 + (unsigned)i, 3),
						 TB + (unsigned)i), 0);
	}
	assert_int_equal(reg_shard_tombstones(sb), 64);
	assert_int_equal(STAT(sb, tombstones), 64);
	assert_int_equal(STAT(sb, tombstones_dropped), 6);
	/* the oldest six went: an older insert of those applies, of the others not */
	for (i = 0; i < 70; i++) {
		snprintf(aor, sizeof(aor), "t%d@example.com", i);
		assert_int_equal(reg_shard_apply(sb, live(aor, "sip:t@h", 500, 3, 60), TB + 100),
				 i < 6 ? 0 : 1);
	}
	check_digest(sb);
	/* long texts take several blocks: still bounded, still the oldest first */
	{
		char key[REG_URI_MAX];

		memset(key, 'k', sizeof(key));
		memcpy(key, "sip:", 4);
		key[sizeof(key) - 1] = '\0';
		for (i = 0; i < 40; i++) {
			snprintf(aor, sizeof(aor), "l%d@example.com", i);
			assert_int_equal(reg_shard_apply(sb, tomb(aor, key, 5000 + (unsigned)i, 3),
							 TB + 200), 0);
		}
		assert_true(reg_shard_tombstones(sb) <= 64);
		assert_true(STAT(sb, tombstones_dropped) > 6);
		check_digest(sb);
	}
}

/* ---- lifetimes ---- */

static void
test_lifetime_remaining(void **state)
{
	struct one o;
	uint64_t t;

	(void)state;
	/* 30 s remaining on arrival: 30 s on B's own clock, whatever the wall clocks */
	assert_int_equal(reg_shard_apply(sb, live("r@example.com", "sip:r@h", 77, 3, 30), TB), 0);
	assert_int_equal(lookup(sb, "r@example.com", TB, &o), 1);
	assert_int_equal(o.c.expires_in, 30);
	for (t = TB; t < TB + 30000; t += 10)
		reg_shard_tick(sb, t);
	assert_int_equal(lookup(sb, "r@example.com", TB + 29999, &o), 1);
	assert_int_equal(o.c.expires_in, 1);
	assert_int_equal(lookup(sb, "r@example.com", TB + 30000, &o), 0);
	reg_shard_tick(sb, TB + 30000);
	assert_int_equal(STAT(sb, expired), 1);
	assert_int_equal(reg_shard_tombstones(sb), 0);
	check_digest(sb);
	/* an expired binding is no obstacle: the same version applies again */
	assert_int_equal(reg_shard_apply(sb, live("r@example.com", "sip:r@h", 77, 3, 30),
					 TB + 40000), 0);
}

/* ---- digests and the bucket walk ---- */

static const char *const users[] = { "al", "bo", "cy", "di", "ed", "fi", "gu", "ha" };

static void
make_recs(struct reg_rec *v, int *n)
{
	char aor[32], uri[32];
	int i, j;

	*n = 0;
	for (i = 0; i < 8; i++) {
		snprintf(aor, sizeof(aor), "%s@example.com", users[i]);
		for (j = 0; j < 3; j++) {
			snprintf(uri, sizeof(uri), "sip:%s@h%d", users[i], j);
			v[(*n)++] = *live(aor, uri, 10 + (unsigned)j, 3, 600);
			v[(*n)++] = *live(aor, uri, 20 + (unsigned)i, 4, 600);    /* update */
			if (j == 1)
				v[(*n)++] = *tomb(aor, uri, 40, 3);                /* delete */
		}
	}
}

static void
test_digest_order_free(void **state)
{
	static struct reg_rec v[64];
	uint16_t diff[8];
	uint32_t seed = 7;
	int n, i, k;

	(void)state;
	make_recs(v, &n);
	for (i = 0; i < n; i++)
		assert_true(reg_shard_apply(sa, &v[i], TA) >= 0);
	/* B in another order (reversed, then shuffled pairs): the same state */
	for (i = n - 1; i >= 0; i--) {
		seed = seed * 1103515245u + 12345u;
		k = (int)(seed % (unsigned)n);
		assert_true(reg_shard_apply(sb, &v[k], TB) >= 0);
		assert_true(reg_shard_apply(sb, &v[i], TB) >= 0);
	}
	for (i = 0; i < n; i++)                 /* everything at least once */
		assert_true(reg_shard_apply(sb, &v[i], TB) >= 0);
	digests_equal(sa, sb);
	check_digest(sa);
	check_digest(sb);
	assert_int_equal(reg_shard_tombstones(sa), 8);
	/* one binding differs: exactly its bucket */
	assert_int_equal(reg_shard_apply(sb, live("ed@example.com", "sip:ed@h0", 99, 3, 600), TB),
			 0);
	assert_int_equal(reg_digest_diff(reg_shard_digest(sa)->bucket, reg_shard_digest(sb)->bucket,
					 0, REG_DIGEST_BUCKETS, diff, 8), 1);
	assert_int_equal(diff[0], reg_digest_bucket("ed@example.com", 14));
	/* a tombstone on one side only: its bucket differs */
	assert_int_equal(reg_shard_apply(sa, live("ed@example.com", "sip:ed@h0", 99, 3, 600), TA),
			 0);
	digests_equal(sa, sb);
	assert_int_equal(reg_shard_apply(sa, tomb("fi@example.com", "sip:fi@h0", 300, 1), TA), 0);
	assert_int_equal(reg_digest_diff(reg_shard_digest(sa)->bucket, reg_shard_digest(sb)->bucket,
					 0, REG_DIGEST_BUCKETS, diff, 8), 1);
	assert_int_equal(diff[0], reg_digest_bucket("fi@example.com", 14));
}

struct listing {
	int n;
	char what[32][96];
};

static int
list_fn(const struct reg_keyver *kv, void *arg)
{
	struct listing *l = arg;

	if (l->n < 32)
		snprintf(l->what[l->n], sizeof(l->what[0]), "%.*s %.*s %" PRIu64 "/%u%s",
			 kv->aor_len, kv->aor, kv->key_len, kv->key, kv->version.counter,
			 kv->version.origin, kv->tombstone ? " tomb" : "");
	l->n++;
	return 0;
}

static int
listing_has(const struct listing *l, const char *what)
{
	int i;

	for (i = 0; i < l->n && i < 32; i++)
		if (strcmp(l->what[i], what) == 0)
			return 1;
	return 0;
}

static void
test_bucket_walk(void **state)
{
	static struct reg_rec v[64];
	struct listing l;
	char want[96];
	uint32_t b, total = 0;
	uint16_t bk;
	int n, i, j, expect;

	(void)state;
	make_recs(v, &n);
	for (i = 0; i < n; i++)
		assert_true(reg_shard_apply(sa, &v[i], TA) >= 0);
	/* every user's bucket lists exactly its two bindings and its tombstone,
	 * plus those of any other user in the same bucket */
	for (i = 0; i < 8; i++) {
		char aor[32];

		snprintf(aor, sizeof(aor), "%s@example.com", users[i]);
		bk = reg_digest_bucket(aor, strlen(aor));
		memset(&l, 0, sizeof(l));
		expect = 0;
		for (j = 0; j < 8; j++) {
			char other[32];

			snprintf(other, sizeof(other), "%s@example.com", users[j]);
			if (reg_digest_bucket(other, strlen(other)) == bk)
				expect += 3;
		}
		assert_int_equal(reg_shard_bucket_walk(sa, bk, list_fn, &l), expect);
		assert_int_equal(l.n, expect);
		snprintf(want, sizeof(want), "%s sip:%s@h0 %d/4", aor, users[i], 20 + i);
		assert_true(listing_has(&l, want));
		snprintf(want, sizeof(want), "%s sip:%s@h2 %d/4", aor, users[i], 20 + i);
		assert_true(listing_has(&l, want));
		snprintf(want, sizeof(want), "%s sip:%s@h1 40/3 tomb", aor, users[i]);
		assert_true(listing_has(&l, want));
	}
	for (b = 0; b < REG_DIGEST_BUCKETS; b++)
		total += (uint32_t)reg_shard_bucket_walk(sa, (uint16_t)b, NULL, NULL);
	assert_int_equal(total, 24);
	assert_int_equal(reg_shard_bucket_walk(sa, REG_DIGEST_BUCKETS, NULL, NULL), -EINVAL);
	/* keyed bindings are listed by "reg-id=N;INSTANCE" */
	assert_int_equal(reg(sa, TA, WALL_A, "k", "c", 1,
			     "Contact: <sip:k@h>;+sip.instance=\"<urn:uuid:9>\";reg-id=2\r\n"), 200);
	memset(&l, 0, sizeof(l));
	assert_true(reg_shard_bucket_walk(sa, reg_digest_bucket("k@example.com", 13), list_fn, &l) >=
		    1);
	snprintf(want, sizeof(want), "k@example.com reg-id=2;<urn:uuid:9> %" PRIu64 "/1",
		 (uint64_t)(((WALL_A * 1000) << MSG_CLOCK_SHIFT) + 1));
	assert_true(listing_has(&l, want));
	check_digest(sa);
}

/* ---- events: the round trip ---- */

static void
test_round_trip(void **state)
{
	struct reg_rec r;
	struct one oa, ob;
	int remote;

	(void)state;
	assert_int_equal(reg(sa, TA, WALL_A, "alice", "call-1", 7,
			     "Path: <sip:edge.example.net;lr>\r\nSupported: path\r\n"
			     "Contact: <sip:alice@198.18.0.100:5060>;q=0.7;expires=1800;"
			     "+sip.instance=\"<urn:uuid:1>\";reg-id=3\r\n"
			     "Contact: <sip:alice@198.18.0.101>;q=0.2\r\n"), 200);
	while (rte_ring_count(ring_a) > 0) {
		assert_int_equal(next_rec(ring_a, &r, &remote), REG_EV_INSERT);
		assert_int_equal(remote, 0);
		assert_int_equal(reg_shard_apply(sb, &r, TB), 0);
	}
	assert_int_equal(lookup(sa, "alice@example.com", TA, &oa), 2);
	assert_int_equal(lookup(sb, "alice@example.com", TB, &ob), 2);
	assert_string_equal(ob.uri, oa.uri);
	assert_string_equal(ob.inst, "<urn:uuid:1>");
	assert_string_equal(ob.path, "<sip:edge.example.net;lr>");
	assert_int_equal(ob.c.q, 700);
	assert_int_equal(ob.c.reg_id, 3);
	assert_int_equal(ob.c.cseq, 7);
	assert_int_equal(ob.c.callid, oa.c.callid);
	assert_int_equal(ob.c.expires_in, 1800);
	assert_int_equal(ob.c.version, oa.c.version);
	assert_int_equal(ob.c.origin, 1);
	assert_int_equal(ob.c.sock_node, 1);
	assert_int_equal(ob.c.src.family, 4);
	assert_int_equal(ob.c.src.port, 40000);
	assert_int_equal(ob.c.src.local_port, 1);
	assert_memory_equal(ob.c.src.addr, src4.addr, 4);
	digests_equal(sa, sb);
	/* B's events are remote: the cp does not send them again */
	assert_int_equal(next_rec(ring_b, &r, &remote), REG_EV_INSERT);
	assert_int_equal(remote, 1);
	drain(ring_b);
	/* an update, then a removal, travel the same way */
	assert_int_equal(reg(sa, TA + 1000, WALL_A, "alice", "call-1", 8,
			     "Contact: <sip:alice@198.18.0.101>;q=0.9;expires=60\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &r, NULL), REG_EV_UPDATE);
	assert_int_equal(r.expires_s, 60);
	assert_int_equal(reg_shard_apply(sb, &r, TB + 5000), 0);
	assert_int_equal(reg(sa, TA + 2000, WALL_A, "alice", "call-1", 9,
			     "Contact: <sip:alice@198.18.0.100:5060>;+sip.instance=\"<urn:uuid:1>\";"
			     "reg-id=3;expires=0\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &r, NULL), REG_EV_DELETE);
	assert_int_equal(r.tombstone, 1);
	assert_int_equal(reg_shard_apply(sb, &r, TB + 6000), 0);
	assert_int_equal(lookup(sb, "alice@example.com", TB + 6000, &ob), 1);
	assert_int_equal(ob.c.q, 900);
	assert_int_equal(ob.c.expires_in, 59);   /* 60 s from B's TB + 5000 */
	digests_equal(sa, sb);
	check_digest(sa);
	check_digest(sb);
	/* a tag travels with the binding */
	live("tg@example.com", "sip:tg@h", 5, 3, 60);
	SET(tag, "edge/cluster1");
	assert_int_equal(reg_shard_apply(sb, &rec, TB), 0);
	assert_int_equal(lookup(sb, "tg@example.com", TB, &ob), 1);
	assert_string_equal(ob.tag, "edge/cluster1");
	drain(ring_b);
}

static void
test_evict_leaves_tombstone(void **state)
{
	struct reg_rec r;
	struct one o;

	(void)state;
	teardown_shards(NULL);
	conf_for(&conf_a, 1, ring_a);
	conf_for(&conf_b, 2, ring_b);
	conf_a.max_contacts = 1;
	conf_a.on_max_contacts = REG_FULL_EVICT_OLDEST;
	shards_new();
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 1, "Contact: <sip:u@h1>\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &r, NULL), REG_EV_INSERT);
	assert_int_equal(reg_shard_apply(sb, &r, TB), 0);
	assert_int_equal(reg(sa, TA, WALL_A, "u", "c", 2, "Contact: <sip:u@h2>\r\n"), 200);
	assert_int_equal(next_rec(ring_a, &r, NULL), REG_EV_EVICT);
	assert_int_equal(r.tombstone, 1);
	assert_memory_equal(r.key, "sip:u@h1", 8);
	assert_int_equal(reg_shard_tombstones(sa), 1);
	assert_int_equal(reg_shard_apply(sb, &r, TB), 0);
	assert_int_equal(next_rec(ring_a, &r, NULL), REG_EV_INSERT);
	assert_int_equal(reg_shard_apply(sb, &r, TB), 0);
	assert_int_equal(lookup(sb, "u@example.com", TB, &o), 1);
	assert_string_equal(o.uri, "sip:u@h2");
	digests_equal(sa, sb);
	check_digest(sa);
	check_digest(sb);
}

/* Random records in random order on two shards: whatever arrives when, both
 * end in the same state (same digests, same lookups), and the digests always
 * match the bucket walks. */
static void
test_random_convergence(void **state)
{
	static struct reg_rec v[400];
	char aor[32], uri[32];
	uint32_t x = 99;
	int i, k;

	(void)state;
	for (i = 0; i < 400; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		snprintf(aor, sizeof(aor), "r%u@example.com", x % 13);
		snprintf(uri, sizeof(uri), "sip:r@h%u", (x >> 8) % 4);
		if ((x >> 16) % 4 == 0)
			v[i] = *tomb(aor, uri, (x >> 20) % 50 + 1, (uint16_t)((x >> 4) % 3 + 1));
		else
			v[i] = *live(aor, uri, (x >> 20) % 50 + 1, (uint16_t)((x >> 4) % 3 + 1),
				     (x >> 2) % 100 + 100);
	}
	for (i = 0; i < 400; i++)
		assert_true(reg_shard_apply(sa, &v[i], TA) >= 0);
	for (i = 399; i >= 0; i--) {
		x = x * 1103515245u + 12345u;
		k = (int)(x % 400);
		assert_true(reg_shard_apply(sb, &v[k], TB) >= 0);
		assert_true(reg_shard_apply(sb, &v[i], TB) >= 0);
	}
	digests_equal(sa, sb);
	check_digest(sa);
	check_digest(sb);
	assert_int_equal(reg_shard_tombstones(sa), reg_shard_tombstones(sb));
}

/* Local REGISTERs (inserts, refreshes, deletes, Contact *, evictions), applied
 * records (newer and older, live and tombstones, keyed and by URI) and ticks
 * mixed at random on one small shard: the digest always matches the bucket
 * walks, and a record applied then looked up is what was applied. */
static void
test_random_mixed(void **state)
{
	char user[16], aor[32], uri[32], h[128], key[160];
	uint64_t now = TA, wall = WALL_A;
	uint32_t x = 4242;
	unsigned cseq = 1;
	int i, rc, applied = 0;

	(void)state;
	teardown_shards(NULL);
	conf_for(&conf_a, 1, ring_a);
	conf_for(&conf_b, 2, ring_b);
	conf_a.max_contacts = 3;
	conf_a.on_max_contacts = REG_FULL_EVICT_OLDEST;
	conf_a.max_aors = 16;
	conf_a.max_bindings = 32;
	conf_a.max_tombstones = 64;
	conf_a.tombstone_s = 30;
	shards_new();
	for (i = 0; i < 5000; i++) {
		unsigned u, c, k;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		u = x % 6;
		c = (x >> 4) % 4;
		k = (x >> 8) % 8;
		snprintf(user, sizeof(user), "m%u", u);
		snprintf(aor, sizeof(aor), "m%u@example.com", u);
		if (k < 4) {
			switch (k == 3 ? 3 + (x >> 12) % 3 : k) {
			case 0:
				snprintf(h, sizeof(h), "Contact: <sip:m@h%u>\r\n", c);
				break;
			case 1:
				snprintf(h, sizeof(h), "Contact: <sip:m@h%u>;expires=0\r\n", c);
				break;
			case 2:
				snprintf(h, sizeof(h), "Contact: <sip:m@h%u>;+sip.instance="
					 "\"<urn:uuid:%u>\";reg-id=1\r\n", c, c);
				break;
			case 3:
				snprintf(h, sizeof(h), "Contact: <sip:m@h%u>;expires=20\r\n", c);
				break;
			case 4:
				snprintf(h, sizeof(h), "Contact: <sip:m@h%u>;expires=0;"
					 "+sip.instance=\"<urn:uuid:%u>\";reg-id=1\r\n", c, c);
				break;
			default:
				snprintf(h, sizeof(h), "Contact: *\r\nExpires: 0\r\n");
				break;
			}
			rc = reg(sa, now, wall, user, "cid", cseq++, h);
			assert_true(rc == 200 || rc == 503 || rc == 500);
		} else if (k < 7) {
			uint64_t ver = ((x >> 12) % 2) ? sa->clock.last + 1 + (x >> 20) % 3 :
				       (x >> 20) % 1000 + 1;

			snprintf(uri, sizeof(uri), "sip:m@h%u", c);
			if (k == 6) {
				snprintf(key, sizeof(key), "%s", uri);
				rc = reg_shard_apply(sa, tomb(aor, key, ver, 2), now);
			} else {
				live(aor, uri, ver, 2, 5 + (x >> 24) % 50);
				if (k == 5) {
					rec.reg_id = 1;
					snprintf(h, sizeof(h), "<urn:uuid:%u>", c);
					SET(instance, h);
					snprintf(key, sizeof(key), "reg-id=1;%s", h);
					SET(key, key);
				}
				rc = reg_shard_apply(sa, &rec, now);
				if (rc == 0) {
					struct one o;

					assert_true(lookup(sa, aor, now, &o) >= 1);
					applied++;
				}
			}
			assert_true(rc == 0 || rc == 1 || rc == -ENOBUFS || rc == -ENOSPC);
		} else {
			now += (x >> 12) % 4000;
			wall += (x >> 16) % 3;
			reg_shard_tick(sa, now);
		}
		drain(ring_a);
		if (i % 250 == 0)
			check_digest(sa);
	}
	check_digest(sa);
	print_message("%d applied, %lu stale, %lu tombstones (%lu expired, %lu dropped), "
		      "%lu evicted\n", applied, (unsigned long)STAT(sa, stale),
		      (unsigned long)STAT(sa, tombstones), (unsigned long)STAT(sa, tombstones_expired),
		      (unsigned long)STAT(sa, tombstones_dropped), (unsigned long)STAT(sa, evicted));
	assert_true(applied > 100 && STAT(sa, stale) > 100 && STAT(sa, evicted) > 0);
	assert_true(STAT(sa, tombstones_expired) > 0);
}

static void
test_docs(void **state)
{
	static char doc[1 << 16];
	size_t n;
	FILE *f;

	(void)state;
	f = fopen("docs/registrar.md", "r");
	if (f == NULL)
		fail_msg("docs/registrar.md missing (run from the repository root)");
	n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	assert_non_null(strstr(doc, "reg_shard_apply("));
	assert_non_null(strstr(doc, "tombstone_s"));
	assert_non_null(strstr(doc, "reg_shard_bucket_walk("));
	assert_non_null(strstr(doc, "reg_event_to_rec()"));
}

/* ---- main ---- */

static int
setup(void **state)
{
	char *argv[] = { "test_reg_repl", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=*:error", NULL };

	(void)state;
	if (rte_eal_init(9, argv) < 0)
		return -1;
	ring_a = rte_ring_create("t_ring_a", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ring_b = rte_ring_create("t_ring_b", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	return ring_a != NULL && ring_b != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	rte_ring_free(ring_a);
	rte_ring_free(ring_b);
	rte_eal_cleanup();
	return 0;
}

/* Full sync, donor side: a shard's dump, taken in small chunks, carries every live
 * binding and every tombstone exactly once, as sync events for the one peer; applied
 * to an empty shard it gives the same digests. */
static void
test_sync_dump(void **state)
{
	char user[16], hdr[64];
	uint32_t bucket = 0, skip = 0;
	unsigned int i, calls = 0, live = 0, tombs = 0, n;
	uint64_t aors, bindings;
	struct reg_event *ev;

	(void)state;
	for (i = 0; i < 100; i++) {
		snprintf(user, sizeof(user), "u%u", i);
		snprintf(hdr, sizeof(hdr), "Contact: <sip:u%u@h>\r\n", i);
		assert_int_equal(reg(sa, TA, WALL_A, user, "c", 1, hdr), 200);
	}
	for (i = 0; i < 10; i++) {
		snprintf(user, sizeof(user), "u%u", i);
		snprintf(hdr, sizeof(hdr), "Contact: <sip:u%u@h>\r\nExpires: 0\r\n", i);
		assert_int_equal(reg(sa, TA, WALL_A, user, "c", 2, hdr), 200);
	}
	drain(ring_a);
	do {
		n = reg_shard_sync_dump(sa, 7, &bucket, &skip, REG_DIGEST_BUCKETS, 16, TA + 1);
		assert_true(n <= 16);
		while (rte_ring_dequeue(ring_a, (void **)&ev) == 0) {
			assert_int_equal(ev->type, REG_EV_SYNC);
			assert_int_equal(ev->sync_peer, 7);
			assert_int_equal(ev->remote, 0);
			assert_int_equal(reg_event_to_rec(ev, &rec), 0);
			if (rec.tombstone)
				tombs++;
			else
				live++;
			assert_int_equal(reg_shard_apply(sb, &rec, TB), 0);
			reg_event_free(ev);
		}
		assert_true(++calls < 1000);
	} while (bucket < REG_DIGEST_BUCKETS);
	assert_int_equal(live, 90);
	assert_int_equal(tombs, 10);
	assert_int_equal(stat_of(sa, REG_STAT_sync_events), 100);
	reg_shard_counts(sb, &aors, &bindings);
	assert_int_equal(aors, 90);
	assert_int_equal(bindings, 90);
	assert_memory_equal(reg_shard_digest(sa)->bucket, reg_shard_digest(sb)->bucket,
			    sizeof(reg_shard_digest(sa)->bucket));
	/* a finished cursor emits nothing more */
	assert_int_equal(reg_shard_sync_dump(sa, 7, &bucket, &skip, REG_DIGEST_BUCKETS, 16, TA + 1), 0);
}

/* Full sync with packs: a shard's bindings and tombstones packed in small
 * answers (the cursor across calls) carry each record exactly once; applied to
 * an empty shard (quietly: no events) they give the same digests; the chunk's
 * age comes off the lifetimes; a malformed record ends a pack, counted. */
static void
test_sync_pack(void **state)
{
	static uint8_t buf[REG_PACK_REC_MAX + 300];
	char user[16], hdr[160];
	uint32_t pos = 0;
	unsigned int i, calls = 0, total = 0, n;
	uint64_t aors, bindings;
	size_t used;
	struct one o;

	(void)state;
	for (i = 0; i < 100; i++) {
		snprintf(user, sizeof(user), "u%u", i);
		if (i == 50)            /* not in normal form: the key travels apart */
			snprintf(hdr, sizeof(hdr), "Contact: <sip:u%u@H.Example>\r\n", i);
		else if (i == 51)       /* RFC 5626: instance and reg-id */
			snprintf(hdr, sizeof(hdr), "Contact: <sip:u%u@h>;reg-id=2;"
				 "+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000051>\"\r\n", i);
		else
			snprintf(hdr, sizeof(hdr), "Contact: <sip:u%u@h>\r\n", i);
		assert_int_equal(reg(sa, TA, WALL_A, user, "c", 1, hdr), 200);
	}
	for (i = 0; i < 10; i++) {
		snprintf(user, sizeof(user), "u%u", i);
		snprintf(hdr, sizeof(hdr), "Contact: <sip:u%u@h>\r\nExpires: 0\r\n", i);
		assert_int_equal(reg(sa, TA, WALL_A, user, "c", 2, hdr), 200);
	}
	drain(ring_a);
	drain(ring_b);
	do {
		n = reg_shard_sync_pack(sa, &pos, 16, buf, sizeof(buf), &used, TA + 1);
		assert_true(n <= 16 && used <= sizeof(buf));
		assert_int_equal(reg_shard_apply_pack(sb, buf, used, 0, TB), n);
		total += n;
		assert_true(++calls < 1000);
	} while (pos < reg_shard_sync_end(sa));
	assert_int_equal(total, 100);   /* 90 bindings, 10 tombstones */
	assert_int_equal(STAT(sa, sync_events), 100);
	assert_int_equal(STAT(sb, applied), 100);
	assert_int_equal(rte_ring_count(ring_b), 0);    /* no `remote` events */
	reg_shard_counts(sb, &aors, &bindings);
	assert_int_equal(aors, 90);
	assert_int_equal(bindings, 90);
	assert_int_equal(reg_shard_tombstones(sb), 10);
	digests_equal(sa, sb);
	check_digest(sb);
	assert_int_equal(lookup(sb, "u50@example.com", TB, &o), 1);
	assert_int_equal(lookup(sb, "u51@example.com", TB, &o), 1);
	/* a finished cursor packs nothing more */
	assert_int_equal(reg_shard_sync_pack(sa, &pos, 16, buf, sizeof(buf), &used, TA + 1), 0);
	assert_int_equal(used, 0);

	/* the age: 3600 s left, packed, applied 5.5 s later: 3594 s left */
	teardown_shards(NULL);
	setup_shards(NULL);
	assert_int_equal(reg(sa, TA, WALL_A, "old", "c", 1, "Contact: <sip:old@h>\r\n"), 200);
	pos = 0;
	n = reg_shard_sync_pack(sa, &pos, 16, buf, sizeof(buf), &used, TA);
	assert_int_equal(n, 1);
	assert_int_equal(reg_shard_apply_pack(sb, buf, used, 5500, TB), 1);
	assert_int_equal(lookup(sb, "old@example.com", TB, &o), 1);
	assert_int_equal(o.c.expires_in, 3594);

	/* a truncated record: the pack stops there, counted */
	teardown_shards(NULL);
	setup_shards(NULL);
	assert_int_equal(reg(sa, TA, WALL_A, "a", "c", 1, "Contact: <sip:a@h>\r\n"), 200);
	assert_int_equal(reg(sa, TA, WALL_A, "b", "c", 1, "Contact: <sip:b@h>\r\n"), 200);
	pos = 0;
	n = reg_shard_sync_pack(sa, &pos, 16, buf, sizeof(buf), &used, TA);
	assert_int_equal(n, 2);
	assert_int_equal(reg_shard_apply_pack(sb, buf, used - 1, 0, TB), 1);
	assert_int_equal(STAT(sb, applied), 1);
	assert_int_equal(STAT(sb, apply_failed), 1);
}

/* The contact key of an event: the URI itself when it is already normalised
 * (kept from when it was stored, REG_B_KEY_URI), its normal form otherwise;
 * the same at a node that got the binding by replication. */
static void
test_event_key(void **state)
{
	static const char *const uris[] = { "sip:u1@h", "sip:u2@H.Example" };
	static const char *const keys[] = { "sip:u1@h", "sip:u2@h.example" };
	uint32_t bucket = 0, skip = 0;
	char user[16], hdr[96];
	struct reg_event *ev;
	unsigned int i, seen = 0;

	(void)state;
	for (i = 0; i < 2; i++) {
		snprintf(user, sizeof(user), "u%u", i + 1);
		snprintf(hdr, sizeof(hdr), "Contact: <%s>\r\n", uris[i]);
		assert_int_equal(reg(sa, TA, WALL_A, user, "c", 1, hdr), 200);
		assert_int_equal(next_rec(ring_a, &rec, NULL), REG_EV_INSERT);
		assert_int_equal(rec.uri_len, strlen(uris[i]));
		assert_memory_equal(rec.uri, uris[i], rec.uri_len);
		assert_int_equal(rec.key_len, strlen(keys[i]));
		assert_memory_equal(rec.key, keys[i], rec.key_len);
		assert_int_equal(reg_shard_apply(sb, &rec, TB), 0);
	}
	drain(ring_b);
	while (bucket < REG_DIGEST_BUCKETS) {
		reg_shard_sync_dump(sb, 7, &bucket, &skip, REG_DIGEST_BUCKETS, 16, TB + 1);
		while (rte_ring_dequeue(ring_b, (void **)&ev) == 0) {
			assert_int_equal(reg_event_to_rec(ev, &rec), 0);
			i = rec.uri_len == strlen(uris[0]) ? 0 : 1;
			assert_memory_equal(rec.uri, uris[i], rec.uri_len);
			assert_int_equal(rec.key_len, strlen(keys[i]));
			assert_memory_equal(rec.key, keys[i], rec.key_len);
			seen |= 1u << i;
			reg_event_free(ev);
		}
	}
	assert_int_equal(seen, 3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_shards, teardown_shards)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_version_order_and_clock),
		T(test_apply_newer_older_equal),
		T(test_apply_invalid_and_limits),
		T(test_delete_then_late_insert),
		T(test_tombstone_expiry),
		T(test_tombstone_pool_full),
		T(test_lifetime_remaining),
		T(test_digest_order_free),
		T(test_bucket_walk),
		T(test_round_trip),
		T(test_evict_leaves_tombstone),
		T(test_random_convergence),
		T(test_random_mixed),
		T(test_sync_dump),
		T(test_sync_pack),
		T(test_event_key),
		cmocka_unit_test(test_docs),
	};

	return cmocka_run_group_tests_name("reg_repl", tests, setup, teardown);
}
