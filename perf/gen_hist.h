/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram of sipshard-gen: log-linear buckets over nanoseconds, 16
 * sub-buckets per power of two (relative error under 1/32 at the bucket middle),
 * values from 0 to 2^40 ns. Recording is one bit scan and an increment; the
 * percentiles walk the buckets. One writer (the generator's lcore).
 */
#ifndef SIPSHARD_PERF_GEN_HIST_H
#define SIPSHARD_PERF_GEN_HIST_H

#include <stdint.h>

#define GEN_HIST_SUB_BITS   4
#define GEN_HIST_SUB        (1u << GEN_HIST_SUB_BITS)
#define GEN_HIST_MAX_BITS   40
#define GEN_HIST_BUCKETS    ((GEN_HIST_MAX_BITS - GEN_HIST_SUB_BITS + 1) * GEN_HIST_SUB)

struct gen_hist {
	uint64_t n;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t b[GEN_HIST_BUCKETS];
};

void gen_hist_reset(struct gen_hist *h);
void gen_hist_add(struct gen_hist *h, uint64_t ns);
/* Add every count of SRC into DST. */
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);
/* The value at quantile Q (0..1), in ns (middle of its bucket); 0 when empty. */
double gen_hist_quantile(const struct gen_hist *h, double q);

#endif /* SIPSHARD_PERF_GEN_HIST_H */
