/* SPDX-License-Identifier: BSD-3-Clause */
/* The control plane's clocks: monotonic for every timer and interval, wall-clock
 * only for what is shown to the operator or kept across a restart (snapshots,
 * tag history). */
#ifndef SIPSHARD_CP_CLOCK_H
#define SIPSHARD_CP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
cp_clock_ns(clockid_t which)
{
	struct timespec ts;

	clock_gettime(which, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
cp_mono_ms(void)
{
	return cp_clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

static inline uint64_t
cp_mono_us(void)
{
	return cp_clock_ns(CLOCK_MONOTONIC) / 1000u;
}

static inline uint64_t
cp_wall_ms(void)
{
	return cp_clock_ns(CLOCK_REALTIME) / 1000000u;
}

#endif
