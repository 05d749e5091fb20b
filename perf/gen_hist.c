/* SPDX-License-Identifier: BSD-3-Clause */
/* Log-linear latency histogram. See gen_hist.h. */
#include <string.h>

#include "perf/gen_hist.h"

static unsigned int
gen_hist_index(uint64_t v)
{
	unsigned int msb;

	if (v < GEN_HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	if (msb >= GEN_HIST_MAX_BITS)
		return GEN_HIST_BUCKETS - 1;
	return (msb - GEN_HIST_SUB_BITS + 1) * GEN_HIST_SUB +
	       (unsigned int)((v >> (msb - GEN_HIST_SUB_BITS)) & (GEN_HIST_SUB - 1));
}

/* Lower bound and width of bucket I. */
static void
gen_hist_bounds(unsigned int i, double *lo, double *width)
{
	unsigned int major = i / GEN_HIST_SUB, sub = i % GEN_HIST_SUB, msb;

	if (major == 0) {
		*lo = i;
		*width = 1;
		return;
	}
	msb = major + GEN_HIST_SUB_BITS - 1;
	*width = (double)(1ull << (msb - GEN_HIST_SUB_BITS));
	*lo = (double)(1ull << msb) + sub * *width;
}

void
gen_hist_reset(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
gen_hist_add(struct gen_hist *h, uint64_t ns)
{
	h->b[gen_hist_index(ns)]++;
	h->n++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	unsigned int i;

	for (i = 0; i < GEN_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

double
gen_hist_quantile(const struct gen_hist *h, double q)
{
	uint64_t rank, acc = 0;
	double lo, width, v;
	unsigned int i;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->n);
	if (rank >= h->n)
		rank = h->n - 1;
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc > rank)
			break;
	}
	if (i == GEN_HIST_BUCKETS)
		i--;
	gen_hist_bounds(i, &lo, &width);
	v = width <= 1 ? lo : lo + width / 2;
	return v > (double)h->max_ns ? (double)h->max_ns : v;
}
