/* SPDX-License-Identifier: BSD-3-Clause */
/* Anti-entropy summaries and repair sets. See cp_repl_ae.h. */
#include "control/repl/cp_repl_ae.h"

void
cp_ae_summary(const uint64_t *buckets, uint64_t *sum)
{
	uint32_t g, i;

	for (g = 0; g < CP_AE_GROUPS; g++) {
		uint64_t x = 0;

		for (i = 0; i < CP_AE_SPAN; i++)
			x ^= buckets[g * CP_AE_SPAN + i];
		sum[g] = x;
	}
}

uint32_t
cp_ae_set_count(const struct cp_ae_set *s)
{
	uint32_t i, n = 0;

	for (i = 0; i < REG_DIGEST_BUCKETS / 64; i++)
		n += (uint32_t)__builtin_popcountll(s->bits[i]);
	return n;
}

bool
cp_ae_set_next_run(const struct cp_ae_set *s, uint32_t from, uint32_t max, uint32_t *start,
		   uint32_t *end)
{
	uint32_t b = from, e;

	while (b < REG_DIGEST_BUCKETS && !cp_ae_set_has(s, b)) {
		if (s->bits[b / 64] >> (b % 64) == 0)
			b = (b / 64 + 1) * 64;          /* nothing more in this word */
		else
			b++;
	}
	if (b >= REG_DIGEST_BUCKETS || max == 0)
		return false;
	for (e = b + 1; e < REG_DIGEST_BUCKETS && e - b < max && cp_ae_set_has(s, e); e++)
		;
	*start = b;
	*end = e;
	return true;
}

void
cp_ae_set_clear(struct cp_ae_set *s, uint32_t start, uint32_t end)
{
	uint32_t b;

	for (b = start; b < end && b < REG_DIGEST_BUCKETS; b++)
		s->bits[b / 64] &= ~(1ull << (b % 64));
}
