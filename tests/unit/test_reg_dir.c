/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Federation directory: the table (reg_dir: versions, tombstones, expiry with
 * backward-shift deletion, digests independent of the seed and the order) and
 * the shards in federation mode (a REGISTER makes a directory entry, its record
 * gives the user's home on another shard without any binding there, a later
 * REGISTER elsewhere moves the home and the old home drops its bindings, an
 * unregister removes the entry, binding records are refused).
 */
#include <errno.h>
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
#include <rte_ring.h>

#include "dataplane/registrar/reg_dir.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"

/* ---- the table ---- */

static struct reg_dir_ent *
slots_new(uint32_t n)
{
	struct reg_dir_ent *s = calloc(n, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void
test_put_find_versions(void **state)
{
	struct reg_dir d;
	struct reg_dir_ent *sl = slots_new(64);
	struct msg_version v5 = { 5, 1 }, v6 = { 6, 2 }, v6b = { 6, 1 };
	uint64_t h = reg_dir_key("alice@example.com", 17);
	uint16_t old;

	(void)state;
	assert_int_equal(reg_dir_slots(10), 20);
	assert_int_equal(reg_dir_slots(0), 16);
	reg_dir_init(&d, sl, 64, 42);
	assert_null(reg_dir_find(&d, h, 0));
	assert_int_equal(reg_dir_put(&d, h, &v5, 1, 100, false, &old), 0);
	assert_int_equal(old, 0);
	assert_int_equal(reg_dir_find(&d, h, 10)->home, 1);
	assert_null(reg_dir_find(&d, h, 100));                  /* expired */
	assert_int_equal(reg_dir_put(&d, h, &v5, 1, 200, false, NULL), 1);  /* equal: stale */
	assert_int_equal(reg_dir_put(&d, h, &v5, 1, 200, true, NULL), 0);   /* refresh */
	assert_int_equal(reg_dir_find(&d, h, 150)->home, 1);
	assert_int_equal(reg_dir_put(&d, h, &v6b, 3, 300, false, &old), 0); /* newer */
	assert_int_equal(old, 1);
	assert_int_equal(reg_dir_put(&d, h, &v6, 2, 300, false, &old), 0);  /* same counter, higher origin */
	assert_int_equal(old, 3);
	assert_int_equal(reg_dir_put(&d, h, &v5, 1, 300, false, NULL), 1);  /* older */
	assert_int_equal(reg_dir_find(&d, h, 10)->home, 2);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.live, 1);
	/* a removal at the same version wins the tie, and hides the user */
	assert_int_equal(reg_dir_put(&d, h, &v6, 0, 400, false, NULL), 0);
	assert_null(reg_dir_find(&d, h, 10));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.live, 0);
	/* ... and an older live record cannot bring it back */
	assert_int_equal(reg_dir_put(&d, h, &v5, 1, 500, false, NULL), 1);
	assert_int_equal(reg_dir_tick(&d, 400), 1);
	assert_int_equal(d.n, 0);
	free(sl);
}

/* Many entries with random lifetimes: after expiry sweeps (backward-shift
 * deletion), every entry still due is found and no expired one is. */
static void
test_expiry_shift(void **state)
{
	enum { N = 3000 };
	static uint32_t exp[N];
	struct reg_dir d;
	struct reg_dir_ent *sl = slots_new(8192);
	char aor[32];
	uint32_t i, t, k;

	(void)state;
	reg_dir_init(&d, sl, 8192, 7);
	srand(3);
	for (i = 0; i < N; i++) {
		struct msg_version v = { 1 + i, 1 };

		exp[i] = 1 + (uint32_t)(rand() % 100);
		snprintf(aor, sizeof(aor), "u%u@example.com", i);
		assert_int_equal(reg_dir_put(&d, reg_dir_key(aor, strlen(aor)), &v, 1, exp[i],
					     false, NULL), 0);
	}
	assert_int_equal(d.n, N);
	for (t = 0; t <= 100; t += 10) {
		for (k = 0; k < 8192 / REG_DIR_TICK_SLOTS; k++)
			reg_dir_tick(&d, t);
		for (i = 0; i < N; i++) {
			snprintf(aor, sizeof(aor), "u%u@example.com", i);
			if (exp[i] > t)
				assert_non_null(reg_dir_find(&d, reg_dir_key(aor, strlen(aor)), t));
		}
	}
	assert_int_equal(d.n, 0);
	assert_int_equal(d.live, 0);
	free(sl);
}

/* Two nodes (different seeds) that learn the same homes in another order have
 * the same digest; a different home shows in the AoR's bucket only. */
static void
test_digest(void **state)
{
	struct reg_dir a, b;
	struct reg_dir_ent *sa = slots_new(1024), *sb = slots_new(1024);
	char aor[32];
	int i;

	(void)state;
	reg_dir_init(&a, sa, 1024, 1);
	reg_dir_init(&b, sb, 1024, 99);
	for (i = 0; i < 200; i++) {
		struct msg_version v = { 10 + (uint64_t)i, 1 };
		struct msg_version w = { 1000 + (uint64_t)i, 1 };   /* another version */
		int j = 199 - i;

		snprintf(aor, sizeof(aor), "u%d@example.com", i);
		reg_dir_put(&a, reg_dir_key(aor, strlen(aor)), &v, (uint16_t)(1 + i % 3), 60, false, NULL);
		snprintf(aor, sizeof(aor), "u%d@example.com", j);
		reg_dir_put(&b, reg_dir_key(aor, strlen(aor)), &w, (uint16_t)(1 + j % 3), 90, false, NULL);
	}
	assert_memory_equal(a.digest.bucket, b.digest.bucket, sizeof(a.digest.bucket));
	{
		struct msg_version v = { 5000, 2 };
		uint64_t h = reg_dir_key("u7@example.com", 14);
		int diff = 0;

		reg_dir_put(&b, h, &v, 3, 90, false, NULL);   /* u7 was at node 2 */
		for (i = 0; i < REG_DIGEST_BUCKETS; i++)
			if (a.digest.bucket[i] != b.digest.bucket[i]) {
				diff++;
				assert_int_equal(i, (int)(h % REG_DIGEST_BUCKETS));
			}
		assert_int_equal(diff, 1);
	}
	free(sa);
	free(sb);
}

static void
test_full(void **state)
{
	struct reg_dir d;
	struct reg_dir_ent *sl = slots_new(16);
	struct msg_version v = { 1, 1 };
	char aor[32];
	int i;

	(void)state;
	reg_dir_init(&d, sl, 16, 5);
	for (i = 0; i < 8; i++) {
		snprintf(aor, sizeof(aor), "u%d@x", i);
		assert_int_equal(reg_dir_put(&d, reg_dir_key(aor, strlen(aor)), &v, 1, 9, false, NULL), 0);
	}
	assert_int_equal(reg_dir_put(&d, reg_dir_key("more@x", 6), &v, 1, 9, false, NULL), -ENOSPC);
	assert_int_equal(d.full, 1);
	v.counter = 2;          /* an existing entry is still updated */
	assert_int_equal(reg_dir_put(&d, reg_dir_key("u3@x", 4), &v, 2, 9, false, NULL), 0);
	free(sl);
}

/* ---- federated shards ---- */

static const char domains[1][CFG_STR] = { "example.com" };
static struct rte_ring *ring_a, *ring_b;
static struct reg_shard *sa, *sb;
static struct reg_conf conf_a, conf_b;
static struct reg_src src4 = { .family = 4, .local_port = 1, .port = 40000, .addr = { 198, 18, 0, 100 } };
static struct reg_rec rec;
static char msg[4096], out[8192];
static unsigned branch;

static void
conf_for(struct reg_conf *c, uint16_t node, struct rte_ring *ring)
{
	memset(c, 0, sizeof(*c));
	c->default_expires = 3600;
	c->min_expires = 10;
	c->max_expires = 7200;
	c->max_contacts = 10;
	c->foreign_status = 403;
	c->max_aors = 64;
	c->max_bindings = 128;
	c->node_id = node;
	c->n_domains = 1;
	c->domains = domains;
	c->events = ring;
	c->hash_seed = 0x77u + node;
	c->federation = 1;
}

static void
drain(struct rte_ring *r)
{
	void *ev;

	while (rte_ring_dequeue(r, &ev) == 0)
		reg_event_free(ev);
}

static int
setup_shards(void **state)
{
	(void)state;
	conf_for(&conf_a, 1, ring_a);
	conf_for(&conf_b, 2, ring_b);
	sa = reg_shard_create(&conf_a, 0, SOCKET_ID_ANY);
	sb = reg_shard_create(&conf_b, 0, SOCKET_ID_ANY);
	return sa != NULL && sb != NULL ? 0 : -1;
}

static int
teardown_shards(void **state)
{
	(void)state;
	drain(ring_a);
	drain(ring_b);
	reg_shard_free(sa);
	reg_shard_free(sb);
	return 0;
}

static int
reg(struct reg_shard *s, uint64_t now, const char *user, const char *callid, unsigned cseq,
    const char *hdrs)
{
	struct sip_msg m;
	size_t out_len;
	int n = snprintf(msg, sizeof(msg),
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-%u\r\n"
			 "From: <sip:%s@example.com>;tag=f\r\nTo: <sip:%s@example.com>\r\n"
			 "Call-ID: %s\r\nCSeq: %u REGISTER\r\n%sContent-Length: 0\r\n\r\n",
			 ++branch, user, user, callid, cseq, hdrs);

	assert_int_equal(sip_msg_parse(&m, msg, (size_t)n), 0);
	return reg_shard_register(s, &m, NULL, &src4, now, 1700000000ull, out, sizeof(out),
				  &out_len);
}

/* The last event of ring r as the control plane sends it in federation mode
 * (cp_repl_node: the AoR's directory entry, home = the node). */
static struct reg_rec *
last_dir_rec(struct rte_ring *r, uint16_t node)
{
	struct reg_event *ev = NULL, *last = NULL;

	while (rte_ring_dequeue(r, (void **)&ev) == 0) {
		if (last != NULL)
			reg_event_free(last);
		last = ev;
	}
	assert_non_null(last);
	assert_int_equal(reg_event_to_rec(last, &rec), 0);
	rec.dir = 1;
	rec.tombstone = last->aor_expires == 0;
	rec.expires_s = last->aor_expires;
	rec.sock_node = node;
	reg_event_free(last);
	return &rec;
}

static uint16_t
home_of(const struct reg_shard *s, const char *aor, uint64_t now)
{
	uint16_t h = 0;

	return reg_shard_dir_find(s, aor, strlen(aor), now, &h) == 1 ? h : 0;
}

static void
test_shards_home_move(void **state)
{
	uint64_t aors, bindings;

	(void)state;
	/* alice registers at node 1: an entry there, and on node 2 from its record */
	assert_int_equal(reg(sa, 1000, "alice", "c1", 1, "Contact: <sip:alice@198.18.0.51>\r\nExpires: 300\r\n"), 200);
	assert_int_equal(home_of(sa, "alice@example.com", 1000), 1);
	assert_int_equal(reg_shard_apply(sb, last_dir_rec(ring_a, 1), 5000), 0);
	assert_int_equal(rec.expires_s, 300);
	assert_int_equal(home_of(sb, "alice@example.com", 5000), 1);
	assert_int_equal(home_of(sb, "Alice@Example.COM", 5000), 0);   /* user part is case-sensitive */
	reg_shard_counts(sb, &aors, &bindings);
	assert_int_equal(bindings, 0);
	assert_int_equal(reg_shard_dir_count(sb), 1);
	/* the same record again: stale */
	assert_int_equal(reg_shard_apply(sb, &rec, 5000), 1);
	/* it lives its remaining lifetime on node 2, by node 2's clock */
	assert_int_equal(home_of(sb, "alice@example.com", 5000 + 299000), 1);
	assert_int_equal(home_of(sb, "alice@example.com", 5000 + 300000), 0);

	/* alice registers at node 2: node 2 becomes the home, node 1 drops her binding */
	assert_int_equal(reg(sb, 6000, "alice", "c2", 1, "Contact: <sip:alice@198.18.0.52>\r\nExpires: 600\r\n"), 200);
	assert_int_equal(home_of(sb, "alice@example.com", 6000), 2);
	assert_int_equal(reg_shard_apply(sa, last_dir_rec(ring_b, 2), 2000), 0);
	assert_int_equal(home_of(sa, "alice@example.com", 2000), 2);
	reg_shard_counts(sa, &aors, &bindings);
	assert_int_equal(aors, 0);
	assert_int_equal(bindings, 0);
	assert_int_equal(reg_shard_stats(sa)->c[REG_STAT_dir_moved], 1);
	assert_int_equal(rte_ring_count(ring_a), 0);    /* dropped quietly: nothing to send */

	/* alice unregisters at node 2: removed from the directory everywhere */
	assert_int_equal(reg(sb, 7000, "alice", "c2", 2, "Contact: <sip:alice@198.18.0.52>\r\nExpires: 0\r\n"), 200);
	assert_int_equal(home_of(sb, "alice@example.com", 7000), 0);
	assert_int_equal(reg_shard_apply(sa, last_dir_rec(ring_b, 2), 3000), 0);
	assert_true(rec.tombstone);
	assert_int_equal(home_of(sa, "alice@example.com", 3000), 0);
	assert_int_equal(reg_shard_dir_count(sa), 0);
}

/* A user with two contacts: removing one keeps the entry (with the other's
 * lifetime), removing the last removes it. */
static void
test_shards_two_contacts(void **state)
{
	(void)state;
	assert_int_equal(reg(sa, 1000, "bob", "c1", 1, "Contact: <sip:bob@198.18.0.1>;expires=100\r\nContact: <sip:bob@198.18.0.2>;expires=500\r\n"), 200);
	assert_int_equal(reg_shard_apply(sb, last_dir_rec(ring_a, 1), 1000), 0);
	assert_int_equal(rec.expires_s, 500);
	assert_int_equal(reg(sa, 2000, "bob", "c1", 2, "Contact: <sip:bob@198.18.0.2>;expires=0\r\n"), 200);
	assert_int_equal(reg_shard_apply(sb, last_dir_rec(ring_a, 1), 2000), 0);
	assert_false(rec.tombstone);
	assert_int_equal(rec.expires_s, 99);
	assert_int_equal(home_of(sb, "bob@example.com", 2000), 1);
	assert_int_equal(reg(sa, 3000, "bob", "c1", 3, "Contact: *\r\nExpires: 0\r\n"), 200);
	assert_int_equal(reg_shard_apply(sb, last_dir_rec(ring_a, 1), 3000), 0);
	assert_true(rec.tombstone);
	assert_int_equal(home_of(sb, "bob@example.com", 3000), 0);
}

/* A removal made at another node after our last change (the user registered
 * there and left; its live record may arrive later, or never) supersedes our
 * bindings too: last writer wins. */
static void
test_shards_removed_elsewhere(void **state)
{
	uint64_t aors, bindings;

	(void)state;
	assert_int_equal(reg(sa, 1000, "dave", "c1", 1, "Contact: <sip:dave@198.18.0.7>\r\n"), 200);
	drain(ring_a);
	memset(&rec, 0, sizeof(rec));
	rec.dir = 1;
	rec.tombstone = 1;
	rec.version.counter = UINT64_C(1) << 62;
	rec.version.origin = 2;
	rec.aor_len = (uint16_t)strlen("dave@example.com");
	memcpy(rec.aor, "dave@example.com", rec.aor_len);
	assert_int_equal(reg_shard_apply(sa, &rec, 1000), 0);
	assert_int_equal(home_of(sa, "dave@example.com", 1000), 0);
	reg_shard_counts(sa, &aors, &bindings);
	assert_int_equal(bindings, 0);
	/* the older live record of that node, arriving late: stale */
	rec.tombstone = 0;
	rec.version.counter--;
	rec.sock_node = 2;
	rec.expires_s = 60;
	assert_int_equal(reg_shard_apply(sa, &rec, 1000), 1);
	assert_int_equal(home_of(sa, "dave@example.com", 1000), 0);
}

/* Federation replicates directory entries only: a binding record is refused. */
static void
test_shards_refuse_bindings(void **state)
{
	(void)state;
	assert_int_equal(reg(sa, 1000, "carol", "c1", 1, "Contact: <sip:carol@198.18.0.9>\r\n"), 200);
	drain(ring_a);
	memset(&rec, 0, sizeof(rec));
	rec.version.counter = 1ull << 40;
	rec.version.origin = 1;
	rec.expires_s = 60;
	rec.aor_len = (uint16_t)strlen("carol@example.com");
	memcpy(rec.aor, "carol@example.com", rec.aor_len);
	rec.key_len = 3;
	memcpy(rec.key, "sip", 3);
	assert_int_equal(reg_shard_apply(sb, &rec, 1000), -EINVAL);
	rec.dir = 1;                    /* a live entry needs a home */
	assert_int_equal(reg_shard_apply(sb, &rec, 1000), -EINVAL);
	rec.sock_node = 1;
	assert_int_equal(reg_shard_apply(sb, &rec, 1000), 0);
	assert_int_equal(home_of(sb, "carol@example.com", 1000), 1);
}

static int
setup(void **state)
{
	char *argv[] = { "test_reg_dir", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=*:error", NULL };

	(void)state;
	if (rte_eal_init(9, argv) < 0)
		return -1;
	ring_a = rte_ring_create("t_dir_a", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ring_b = rte_ring_create("t_dir_b", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_shards, teardown_shards)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_find_versions),
		cmocka_unit_test(test_expiry_shift),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_full),
		T(test_shards_home_move),
		T(test_shards_two_contacts),
		T(test_shards_removed_elsewhere),
		T(test_shards_refuse_bindings),
	};

	return cmocka_run_group_tests_name("reg_dir", tests, setup, teardown);
}
