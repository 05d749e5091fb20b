/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the anti-entropy summaries and repair sets (control/repl/cp_repl_ae):
 * two digest arrays that differ in k buckets have summaries that differ in exactly
 * those buckets' groups, and comparing the groups' buckets finds exactly the k
 * buckets; a repair set hands its buckets out as runs, each once, in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/repl/cp_repl_ae.h"
#include "dataplane/registrar/reg_digest.h"

static uint64_t a[REG_DIGEST_BUCKETS], b[REG_DIGEST_BUCKETS];

static uint64_t t_rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	t_rng ^= t_rng >> 12;
	t_rng ^= t_rng << 25;
	t_rng ^= t_rng >> 27;
	return t_rng * 0x2545f4914f6cdd1dull;
}

/* The exchange of a round, as the two nodes run it: summaries, then the buckets
 * of each group that differs. Returns the buckets found (ascending) in OUT. */
static int
round_diff(const uint64_t *mine, const uint64_t *theirs, uint16_t *out)
{
	uint64_t sa[CP_AE_GROUPS], sb[CP_AE_GROUPS];
	uint16_t groups[CP_AE_GROUPS], found[CP_AE_SPAN];
	int ng, g, nb, i, n = 0;

	cp_ae_summary(mine, sa);
	cp_ae_summary(theirs, sb);
	ng = reg_digest_diff(sa, sb, 0, CP_AE_GROUPS, groups, CP_AE_GROUPS);
	for (g = 0; g < ng; g++) {
		uint32_t first = groups[g] * CP_AE_SPAN;

		nb = reg_digest_diff(&mine[first], &theirs[first], first, CP_AE_SPAN, found,
				     CP_AE_SPAN);
		assert_true(nb >= 1);   /* a group differs only through its buckets */
		for (i = 0; i < nb; i++)
			out[n++] = found[i];
	}
	return n;
}

static void
test_round_finds_exactly_the_buckets(void **state)
{
	static uint16_t want[REG_DIGEST_BUCKETS], got[REG_DIGEST_BUCKETS];
	static const int ks[] = { 0, 1, 2, 63, 64, 500, REG_DIGEST_BUCKETS };
	size_t t;
	int i, k, n;

	(void)state;
	for (t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
		k = ks[t];
		for (i = 0; i < REG_DIGEST_BUCKETS; i++)
			a[i] = b[i] = rnd();
		/* k distinct buckets differ: every (REG_DIGEST_BUCKETS / k)-th one */
		n = 0;
		for (i = 0; i < k; i++) {
			uint32_t bk = k == REG_DIGEST_BUCKETS ? (uint32_t)i :
				      ((uint32_t)i * (REG_DIGEST_BUCKETS / (uint32_t)k) +
				       (uint32_t)(rnd() % 7)) % REG_DIGEST_BUCKETS;

			b[bk] ^= rnd() | 1;
			want[n++] = (uint16_t)bk;
		}
		assert_int_equal(round_diff(a, b, got), k);
		assert_memory_equal(got, want, (size_t)k * sizeof(want[0]));
		assert_int_equal(round_diff(b, a, got), k);   /* the same from either side */
	}
}

/* An empty node (all zero) against a loaded one: every non-empty bucket. */
static void
test_fresh_node_differs_everywhere_loaded(void **state)
{
	static uint16_t got[REG_DIGEST_BUCKETS];
	int i, loaded = 0;

	(void)state;
	memset(a, 0, sizeof(a));
	for (i = 0; i < REG_DIGEST_BUCKETS; i++) {
		b[i] = i % 3 == 0 ? rnd() | 1 : 0;
		loaded += b[i] != 0;
	}
	assert_int_equal(round_diff(a, b, got), loaded);
	for (i = 0; i < loaded; i++)
		assert_int_equal(got[i] % 3, 0);
}

static void
test_set_runs(void **state)
{
	struct cp_ae_set s;
	uint32_t st, en, seen = 0;
	uint32_t from = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_false(cp_ae_set_next_run(&s, 0, 256, &st, &en));
	cp_ae_set_add(&s, 5);
	cp_ae_set_add(&s, 6);
	cp_ae_set_add(&s, 7);
	cp_ae_set_add(&s, 200);
	cp_ae_set_add(&s, REG_DIGEST_BUCKETS - 1);
	cp_ae_set_add(&s, REG_DIGEST_BUCKETS);          /* out of range: ignored */
	assert_int_equal(cp_ae_set_count(&s), 5);
	assert_true(cp_ae_set_next_run(&s, 0, 256, &st, &en));
	assert_int_equal(st, 5);
	assert_int_equal(en, 8);
	assert_true(cp_ae_set_next_run(&s, 0, 2, &st, &en));   /* at most 2 long */
	assert_int_equal(en - st, 2);
	assert_true(cp_ae_set_next_run(&s, 8, 256, &st, &en));
	assert_int_equal(st, 200);
	assert_int_equal(en, 201);
	cp_ae_set_clear(&s, 5, 8);
	assert_true(cp_ae_set_next_run(&s, 0, 256, &st, &en));
	assert_int_equal(st, 200);
	cp_ae_set_clear(&s, 200, 201);
	assert_true(cp_ae_set_next_run(&s, 0, 256, &st, &en));
	assert_int_equal(st, REG_DIGEST_BUCKETS - 1);
	assert_int_equal(en, REG_DIGEST_BUCKETS);
	cp_ae_set_clear(&s, st, en);
	assert_int_equal(cp_ae_set_count(&s), 0);

	/* every bucket: taken as runs of 256, each bucket once */
	memset(&s, 0xff, sizeof(s));
	while (cp_ae_set_next_run(&s, from, 256, &st, &en)) {
		assert_int_equal(st, seen);
		assert_true(en - st <= 256);
		seen = en;
		cp_ae_set_clear(&s, st, en);
	}
	assert_int_equal(seen, REG_DIGEST_BUCKETS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_finds_exactly_the_buckets),
		cmocka_unit_test(test_fresh_node_differs_everywhere_loaded),
		cmocka_unit_test(test_set_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
