/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The wide part of dp_cksum_raw() (dp_cksum.h): 64 octets per step with AVX2
 * where the CPU has it, chosen at the first call.
 */
#include <stddef.h>
#include <stdint.h>

#include "dataplane/core/dp_cksum.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* The sum of the 16-bit words of p[0..n), n a multiple of 64 (at most 1 MB:
 * each 32-bit lane gains at most 2 x 0xffff per step and per accumulator). */
static __attribute__((target("avx2"))) uint64_t
wide_avx2(const uint8_t *p, size_t n)
{
	const __m256i z = _mm256_setzero_si256();
	__m256i a = z, b = z;
	uint32_t lanes[8];
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < n; i += 64) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(p + i));
		__m256i y = _mm256_loadu_si256((const __m256i *)(p + i + 32));

		a = _mm256_add_epi32(a, _mm256_unpacklo_epi16(x, z));
		b = _mm256_add_epi32(b, _mm256_unpackhi_epi16(x, z));
		a = _mm256_add_epi32(a, _mm256_unpacklo_epi16(y, z));
		b = _mm256_add_epi32(b, _mm256_unpackhi_epi16(y, z));
	}
	/* two 32-bit lanes may not add up in 32 bits: widen before adding */
	_mm256_storeu_si256((__m256i *)lanes, a);
	for (i = 0; i < 8; i++)
		s += lanes[i];
	_mm256_storeu_si256((__m256i *)lanes, b);
	for (i = 0; i < 8; i++)
		s += lanes[i];
	return s;
}
#endif

static uint64_t
wide_pick(const uint8_t *p, size_t n);

dp_cksum_wide_fn *dp_cksum_wide = wide_pick;

/* The first call chooses for every later one (a race only stores the same). */
static uint64_t
wide_pick(const uint8_t *p, size_t n)
{
	dp_cksum_wide_fn *f = NULL;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		f = wide_avx2;
#endif
	__atomic_store_n(&dp_cksum_wide, f, __ATOMIC_RELAXED);
	if (f == NULL)
		return dp_cksum_narrow(p, n);
	return f(p, n);
}
