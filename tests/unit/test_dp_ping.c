/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the NAT keepalive helpers of dataplane/core/dp_ping: the OPTIONS
 * text of a ping (byte for byte what the snprintf form gave, bounded), the
 * rendezvous choice, and the mode names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/core/dp_ping.h"
#include "dataplane/registrar/reg_shard.h"

static void
test_text(void **state)
{
	static const char uri[] = "sip:alice@198.18.0.100:6000;ob";
	struct reg_ping_target t;
	char out[1024], want[1024];
	int n, w;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.bi = 4294967295u;
	t.ident = 0x123456789abcdef0ull;
	t.uri = uri;
	t.uri_len = (uint16_t)strlen(uri);
	n = dp_ping_text(out, sizeof(out), &t, "198.18.0.1", 5060, 65535, 15, 18446744073709551615ull);
	w = snprintf(want, sizeof(want),
		     "OPTIONS %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-ssnp-65535-15-4294967295-9abcdef0;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:keepalive@198.18.0.1>;tag=ssnp65535\r\n"
		     "To: <%s>\r\n"
		     "Call-ID: ssnp-65535-15-18446744073709551615@198.18.0.1\r\n"
		     "CSeq: 1 OPTIONS\r\n"
		     "Content-Length: 0\r\n\r\n", uri, uri);
	assert_int_equal(n, w);
	assert_string_equal(out, want);
	t.ident = 0x5;
	t.bi = 0;
	n = dp_ping_text(out, sizeof(out), &t, "198.18.0.1", 5060, 1, 0, 0);
	assert_true(n > 0);
	assert_non_null(strstr(out, "branch=z9hG4bK-ssnp-1-0-0-00000005;rport\r\n"));
	assert_non_null(strstr(out, "Call-ID: ssnp-1-0-0@198.18.0.1\r\n"));
	/* too small: -1, nothing written past cap */
	memset(want, 'x', sizeof(want));
	assert_int_equal(dp_ping_text(want, (size_t)n, &t, "198.18.0.1", 5060, 1, 0, 0), -1);
	assert_int_equal(want[n], 'x');
	assert_int_equal(dp_ping_text(want, (size_t)n + 1, &t, "198.18.0.1", 5060, 1, 0, 0), n);
}

/* Where the catch-up of a node that left the view starts. */
static void
test_left_at(void **state)
{
	const uint64_t wall = 1000000;

	(void)state;
	/* heard 1.0 s ago (node_timeout 900 + the views): from then, less the skew */
	assert_int_equal(dp_ping_left_at(wall - 1000, wall, 900), wall - 1000 - DP_PING_SKEW_MS);
	/* not known: the whole grace and slack back */
	assert_int_equal(dp_ping_left_at(0, wall, 900), wall - 900 - DP_PING_CATCHUP_SLACK_MS);
	/* heard long before (a stale view): never further back than that */
	assert_int_equal(dp_ping_left_at(wall - 60000, wall, 900),
			 wall - 900 - DP_PING_CATCHUP_SLACK_MS);
	/* heard "after" now (clocks): now */
	assert_int_equal(dp_ping_left_at(wall + 5000, wall, 900), wall);
	/* near the epoch: no wrap */
	assert_int_equal(dp_ping_left_at(10, 20, 900), 0);
}

static void
test_rendezvous(void **state)
{
	uint16_t set3[] = { 1, 2, 3 }, set2[] = { 1, 2 };
	unsigned int k, count[4] = { 0 }, moved = 0;

	(void)state;
	for (k = 0; k < 3000; k++) {
		uint16_t a = dp_ping_rendezvous(k * 0x9e3779b97f4a7c15ull, set3, 3);
		uint16_t b = dp_ping_rendezvous(k * 0x9e3779b97f4a7c15ull, set2, 2);

		assert_true(a >= 1 && a <= 3);
		count[a]++;
		if (a != 3)
			assert_int_equal(a, b);         /* only node 3's share moves */
		else
			moved++;
	}
	for (k = 1; k <= 3; k++)
		assert_true(count[k] > 800 && count[k] < 1200);
	assert_int_equal(moved, count[3]);
	assert_int_equal(dp_ping_rendezvous(7, NULL, 0), 0);
	assert_string_equal(dp_ping_mode_name(CFG_PING_OWNERSHIP), "ownership");
	assert_string_equal(dp_ping_mode_name(CFG_PING_COOPERATION), "cooperation");
}

/* A handover: two nodes that walk the same bucket at different times (before and
 * after their views learnt of the claim) pick the same pinger for it, the old
 * holder before the switch moment and the new one from it on; each bucket of the
 * interval has exactly one. */
static void
test_handover_owner(void **state)
{
	struct dp_ping_tag t = { .owner = 2, .prev_owner = 1 };
	const uint32_t iv = 2000;
	const uint64_t cycle = 898000000ull;      /* some interval of 2026 */
	uint64_t sw = dp_ping_due_ms(iv, cycle, 1000) + 3;
	unsigned int b, by1 = 0, by2 = 0;

	(void)state;
	assert_true(dp_ping_due_ms(iv, cycle, 0) == cycle * iv);
	assert_true(dp_ping_due_ms(iv, cycle, REG_DIGEST_BUCKETS - 1) < (cycle + 1) * iv);
	assert_true(dp_ping_due_ms(iv, cycle, REG_DIGEST_BUCKETS / 2) == cycle * iv + iv / 2);
	t.switch_ms = sw;
	for (b = 0; b < REG_DIGEST_BUCKETS; b++) {
		uint16_t who = dp_ping_owner_at(&t, dp_ping_due_ms(iv, cycle, b));

		assert_true(who == 1 || who == 2);
		if (who == 1)
			by1++;
		else
			by2++;
		/* bucket 1000 is due at 488 ms, the switch at 491: buckets up to 1005 (490 ms) */
		assert_int_equal(who, b <= 1005 ? 1 : 2);
	}
	assert_int_equal(by1 + by2, REG_DIGEST_BUCKETS);
	/* the next interval: the new holder alone */
	for (b = 0; b < REG_DIGEST_BUCKETS; b++)
		assert_int_equal(dp_ping_owner_at(&t, dp_ping_due_ms(iv, cycle + 1, b)), 2);
	t.switch_ms = 0;                                 /* no handover: the owner */
	t.prev_owner = 0;
	assert_int_equal(dp_ping_owner_at(&t, 0), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_rendezvous),
		cmocka_unit_test(test_left_at),
		cmocka_unit_test(test_handover_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
