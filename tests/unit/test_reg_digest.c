/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the per-bucket binding digests (dataplane/registrar/reg_digest): the
 * incremental digest equals the one recomputed from scratch, two sets that differ
 * in k bindings differ in exactly those bindings' buckets, a tombstone is not its
 * live binding, and the hashes are pinned (they are part of the protocol).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/registrar/reg_digest.h"
#include "proto/msg_types.h"

#define T_N 3000                        /* bindings of the model */

static struct msg_rec model[T_N];
static bool present[T_N];
static struct reg_digest d1, d2;

/* A small deterministic generator (xorshift64*). */
static uint64_t t_rng = 0x2545f4914f6cdd1dull;

static uint64_t
rnd(void)
{
	t_rng ^= t_rng >> 12;
	t_rng ^= t_rng << 25;
	t_rng ^= t_rng >> 27;
	return t_rng * 0x2545f4914f6cdd1dull;
}

/* Binding I: 400 users with several contacts each. */
static void
make_binding(struct msg_rec *r, int i)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->aor, sizeof(r->aor), "user%d@example.com", i % 400);
	snprintf(r->key, sizeof(r->key), "<urn:uuid:%08d-0000-0000-0000-000000000000>", i);
	r->version = (struct msg_version){ .counter = 1 + rnd() % 1000000, .origin = 1 + i % 3 };
}

static void
recompute(struct reg_digest *d)
{
	int i;

	reg_digest_init(d);
	for (i = 0; i < T_N; i++)
		if (present[i])
			reg_digest_add_rec(d, &model[i]);
}

static void
test_incremental_equals_recomputed(void **state)
{
	struct msg_rec next;
	int i, step, op;

	(void)state;
	reg_digest_init(&d1);
	for (i = 0; i < T_N; i++) {
		make_binding(&model[i], i);
		present[i] = true;
		reg_digest_update(&d1, NULL, &model[i]);
	}
	/* 20000 random changes: refresh (new version), delete (tombstone), forget */
	for (step = 0; step < 20000; step++) {
		i = (int)(rnd() % T_N);
		op = (int)(rnd() % 4);
		next = model[i];
		next.version.counter += 1 + rnd() % 5;
		next.version.origin = (uint16_t)(1 + rnd() % 3);
		next.flags = 0;
		if (!present[i]) {                              /* back again */
			present[i] = true;
			model[i] = next;
			reg_digest_update(&d1, NULL, &model[i]);
			continue;
		}
		if (op == 0) {                                  /* forget (tombstone expired) */
			reg_digest_update(&d1, &model[i], NULL);
			present[i] = false;
			continue;
		}
		if (op == 1)
			next.flags = MSG_REC_F_TOMBSTONE;
		reg_digest_update(&d1, &model[i], &next);
		model[i] = next;
	}
	recompute(&d2);
	assert_memory_equal(d1.bucket, d2.bucket, sizeof(d1.bucket));
	assert_int_equal(d1.entries, d2.entries);

	/* the order of the additions does not matter */
	reg_digest_init(&d2);
	for (i = T_N - 1; i >= 0; i--)
		if (present[i])
			reg_digest_add_rec(&d2, &model[i]);
	assert_memory_equal(d1.bucket, d2.bucket, sizeof(d1.bucket));

	/* removing everything gives the empty digest back */
	for (i = 0; i < T_N; i++)
		if (present[i])
			reg_digest_remove_rec(&d1, &model[i]);
	reg_digest_init(&d2);
	assert_memory_equal(d1.bucket, d2.bucket, sizeof(d1.bucket));
	assert_int_equal(d1.entries, 0);
}

static void
test_k_differences(void **state)
{
	static const int changed[] = { 5, 17, 401, 999, 2500, 2999 };
	uint16_t want[8], got[REG_DIGEST_BUCKETS];
	int i, j, n_want = 0, n;
	uint16_t b;

	(void)state;
	reg_digest_init(&d1);
	reg_digest_init(&d2);
	for (i = 0; i < T_N; i++) {
		make_binding(&model[i], i);
		reg_digest_add_rec(&d1, &model[i]);
	}
	/* d2: the same set, but binding 5 and 17 newer, 401 deleted, 999 missing,
	 * 2500 from another origin, 2999 a tombstone of the same version */
	for (i = 0; i < T_N; i++) {
		struct msg_rec r = model[i];

		if (i == 5 || i == 17)
			r.version.counter++;
		if (i == 401) {
			r.version.counter++;
			r.flags = MSG_REC_F_TOMBSTONE;
		}
		if (i == 999)
			continue;
		if (i == 2500)
			r.version.origin = 9;
		if (i == 2999)
			r.flags = MSG_REC_F_TOMBSTONE;
		reg_digest_add_rec(&d2, &r);
	}
	for (i = 0; i < (int)(sizeof(changed) / sizeof(changed[0])); i++) {
		b = reg_digest_bucket(model[changed[i]].aor, strlen(model[changed[i]].aor));
		for (j = 0; j < n_want && want[j] != b; j++)
			;
		if (j == n_want)
			want[n_want++] = b;
	}
	/* ascending, as reg_digest_diff lists them */
	for (i = 1; i < n_want; i++)
		for (j = i; j > 0 && want[j - 1] > want[j]; j--) {
			b = want[j];
			want[j] = want[j - 1];
			want[j - 1] = b;
		}
	n = reg_digest_diff(d1.bucket, d2.bucket, 0, REG_DIGEST_BUCKETS, got, REG_DIGEST_BUCKETS);
	assert_int_equal(n, n_want);
	assert_memory_equal(got, want, (size_t)n_want * sizeof(want[0]));
	assert_int_equal(d1.entries, d2.entries + 1);

	/* the same through a range, as a Digest message carries it */
	n = reg_digest_diff(d1.bucket + want[0], d2.bucket + want[0], want[0], 1, got, 4);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], want[0]);
	/* more differences than room: the count, and the first ones */
	n = reg_digest_diff(d1.bucket, d2.bucket, 0, REG_DIGEST_BUCKETS, got, 1);
	assert_int_equal(n, n_want);
	assert_int_equal(got[0], want[0]);
	assert_int_equal(reg_digest_diff(d1.bucket, d2.bucket, 1, REG_DIGEST_BUCKETS, got, 1),
			 -EINVAL);
	assert_int_equal(reg_digest_diff(d1.bucket, d2.bucket, REG_DIGEST_BUCKETS + 1, 0, got, 1),
			 -EINVAL);
	assert_int_equal(reg_digest_diff(d1.bucket, d1.bucket, 0, REG_DIGEST_BUCKETS, got, 0), 0);
}

static void
test_tombstone_differs(void **state)
{
	struct msg_version v = { 42, 2 };
	const char *aor = "alice@example.com", *key = "sip:alice@192.0.2.1";
	uint16_t got[4];

	(void)state;
	assert_true(reg_digest_entry(aor, strlen(aor), key, strlen(key), &v, false) !=
		    reg_digest_entry(aor, strlen(aor), key, strlen(key), &v, true));
	reg_digest_init(&d1);
	reg_digest_init(&d2);
	reg_digest_add(&d1, aor, strlen(aor), key, strlen(key), &v, false);
	reg_digest_add(&d2, aor, strlen(aor), key, strlen(key), &v, true);
	assert_int_equal(reg_digest_diff(d1.bucket, d2.bucket, 0, REG_DIGEST_BUCKETS, got, 4), 1);
	assert_int_equal(got[0], reg_digest_bucket(aor, strlen(aor)));
	/* nor does moving bytes between AoR and key give the same entry */
	assert_true(reg_digest_entry("ab", 2, "c", 1, &v, false) !=
		    reg_digest_entry("a", 1, "bc", 2, &v, false));
}

static void
test_buckets(void **state)
{
	static uint32_t count[REG_DIGEST_BUCKETS];
	char aor[64];
	uint32_t i, min = UINT32_MAX, max = 0;
	int len;

	(void)state;
	/* the bucket is the AoR's: every contact of a user in one bucket */
	assert_int_equal(reg_digest_bucket("bob@example.com", 15),
			 reg_digest_bucket("bob@example.com", 15));
	for (i = 0; i < 100000; i++) {
		len = snprintf(aor, sizeof(aor), "%u@example.com", i);
		count[reg_digest_bucket(aor, (size_t)len)]++;
	}
	for (i = 0; i < REG_DIGEST_BUCKETS; i++) {
		min = count[i] < min ? count[i] : min;
		max = count[i] > max ? count[i] : max;
	}
	assert_true(min >= 5);          /* ~24 per bucket: even enough */
	assert_true(max <= 60);
}

static void
test_merge(void **state)
{
	static struct reg_digest shard[2];
	int i;

	(void)state;
	reg_digest_init(&d1);
	reg_digest_init(&shard[0]);
	reg_digest_init(&shard[1]);
	for (i = 0; i < 500; i++) {
		make_binding(&model[i], i);
		reg_digest_add_rec(&d1, &model[i]);
		reg_digest_add_rec(&shard[i % 2], &model[i]);
	}
	reg_digest_init(&d2);
	reg_digest_merge(&d2, &shard[0]);
	reg_digest_merge(&d2, &shard[1]);
	assert_memory_equal(d1.bucket, d2.bucket, sizeof(d1.bucket));
	assert_int_equal(d2.entries, 500);
}

/* The values every node must compute alike (xxHash XXH3-64, our seeds and layout). */
static void
test_pinned_values(void **state)
{
	struct msg_version v = { 0x0102030405060708ull, 0x0a0b };

	(void)state;
	assert_int_equal(reg_digest_bucket("alice@example.com", 17), 2056);
	assert_int_equal(reg_digest_entry("alice@example.com", 17, "k", 1, &v, true),
			 0x387df80c30b23b22ull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incremental_equals_recomputed),
		cmocka_unit_test(test_k_differences),
		cmocka_unit_test(test_tombstone_differs),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_pinned_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
