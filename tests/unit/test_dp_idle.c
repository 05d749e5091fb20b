/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The adaptive idle back-off of the worker loop (dp_idle_step): plain polls,
 * then rte_pause() polls, sleeps only after DP_IDLE_PAUSE_US without work,
 * short first and never longer than DP_IDLE_SLEEP_MAX_US, and back to plain
 * polling as soon as a pass finds work. Driven with made-up clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dataplane/core/dp_worker.h"

#define HZ 2600000000ull   /* a 2.6 GHz TSC */

static uint64_t
us(uint64_t n)
{
	return n * HZ / 1000000u;
}

static void
polls_then_pauses(void **state)
{
	uint32_t sl = 0;
	uint64_t t;

	(void)state;
	for (t = 0; t < DP_IDLE_POLL_US; t++)
		assert_int_equal(dp_idle_step(us(t), HZ, &sl), DP_IDLE_POLL);
	for (t = DP_IDLE_POLL_US; t < DP_IDLE_PAUSE_US; t++)
		assert_int_equal(dp_idle_step(us(t), HZ, &sl), DP_IDLE_PAUSE);
	assert_int_equal(sl, 0);    /* no sleep yet */
}

static void
sleeps_short_then_double_to_cap(void **state)
{
	uint32_t sl = 0, prev = 0, a;
	unsigned int i;

	(void)state;
	a = dp_idle_step(us(DP_IDLE_PAUSE_US), HZ, &sl);
	assert_int_equal(a, DP_IDLE_SLEEP_MIN_US);
	assert_true(a > DP_IDLE_PAUSE);
	for (i = 0; i < 40; i++) {
		prev = a;
		a = dp_idle_step(us(DP_IDLE_PAUSE_US + 10 + i * 100), HZ, &sl);
		assert_true(a > DP_IDLE_PAUSE);
		assert_true(a <= DP_IDLE_SLEEP_MAX_US);
		assert_true(a == DP_IDLE_SLEEP_MAX_US || a == prev * 2);
	}
	assert_int_equal(a, DP_IDLE_SLEEP_MAX_US);
	/* an hour of silence: still the cap */
	assert_int_equal(dp_idle_step(us(3600ull * 1000000u), HZ, &sl), DP_IDLE_SLEEP_MAX_US);
}

static void
work_resets(void **state)
{
	uint32_t sl = 0;

	(void)state;
	(void)dp_idle_step(us(5000), HZ, &sl);
	(void)dp_idle_step(us(6000), HZ, &sl);
	assert_true(sl > DP_IDLE_SLEEP_MIN_US);
	/* the worker loop's reset after a pass with work: idle_since = now, sleep 0 */
	sl = 0;
	assert_int_equal(dp_idle_step(0, HZ, &sl), DP_IDLE_POLL);
	assert_int_equal(dp_idle_step(us(DP_IDLE_POLL_US), HZ, &sl), DP_IDLE_PAUSE);
	assert_int_equal(dp_idle_step(us(DP_IDLE_PAUSE_US), HZ, &sl), DP_IDLE_SLEEP_MIN_US);
}

static void
traffic_never_sleeps(void **state)
{
	/* Packets with gaps up to just under DP_IDLE_PAUSE_US: every step of every
	 * gap polls (the loop resets at each packet), none sleeps. */
	uint32_t sl = 0;
	uint64_t gap, t;

	(void)state;
	for (gap = 1; gap < DP_IDLE_PAUSE_US; gap = gap * 3 + 1)
		for (t = 0; t <= gap && t < DP_IDLE_PAUSE_US; t++)
			assert_true(dp_idle_step(us(t), HZ, &sl) <= DP_IDLE_PAUSE);
	assert_int_equal(sl, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(polls_then_pauses),
		cmocka_unit_test(sleeps_short_then_double_to_cap),
		cmocka_unit_test(work_resets),
		cmocka_unit_test(traffic_never_sleeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
