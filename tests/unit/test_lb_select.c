/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend sets: member resolution at load, selection per algorithm (stickiness,
 * minimal disruption over 10k Call-IDs, weighted split over 100k), the probing
 * state machine on a fake clock, the probe text, the prober loop and the
 * telemetry view.
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

#include "config/cfg.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/sip/sip_hash.h"
#include "dataplane/sip/sip_parse.h"

#define N_STICKY   10000
#define N_SPLIT    100000

static struct cfg cfg;
static struct lb_sets sets;

static const char base_yaml[] =
	"node: {id: 1}\n"
	"dataplane:\n"
	"  ports: [{device: net_null0, ipv4: 198.18.0.1/24, ipv6: 2001:2::1/64}]\n";

/* Load base_yaml + extra into cfg and build the sets; returns lb_sets_init's rc. */
static int
lbt_load(const char *extra, char *err, size_t errlen)
{
	char yaml[4096], cerr[256];

	snprintf(yaml, sizeof(yaml), "%s%s", base_yaml, extra);
	if (cfg_load_buf("t.yaml", yaml, strlen(yaml), &cfg, cerr, sizeof(cerr)) != 0)
		fail_msg("config: %s", cerr);
	return lb_sets_init(&sets, &cfg, err, errlen);
}

static void
lbt_load_ok(const char *extra)
{
	char err[512] = "";

	if (lbt_load(extra, err, sizeof(err)) != 0)
		fail_msg("lb_sets_init: %s", err);
}

static uint64_t
lbt_callid(unsigned i)
{
	char id[64];
	int n = snprintf(id, sizeof(id), "%08x-%u@198.18.0.%u", i * 2654435761u, i, i % 250);

	return lb_callid_hash(id, (size_t)n);
}

/* ---- loading ---- */

static void
test_resolve(void **state)
{
	const struct lb_set *s;

	(void)state;
	lbt_load_ok("backends:\n"
		    "  - set: 7\n"
		    "    members:\n"
		    "      - {uri: \"sip:198.18.1.1\"}\n"
		    "      - {uri: \"sip:198.18.1.2:5070;transport=UDP\", weight: 3}\n"
		    "      - {uri: \"sip:[2001:2::9]:5080\"}\n"
		    "      - {uri: \"sip:pbx@198.18.1.4\", weight: 0}\n");
	assert_int_equal(sets.n, 1);
	assert_null(lb_set_find(&sets, 1));
	s = lb_set_find(&sets, 7);
	assert_non_null(s);
	assert_int_equal(s->n, 4);
	assert_int_equal(s->m[0].addr.family, 4);
	assert_int_equal(s->m[0].addr.port, 5060);
	assert_memory_equal(s->m[0].addr.addr, "\xc6\x12\x01\x01", 4);
	assert_int_equal(s->m[1].addr.port, 5070);
	assert_int_equal(s->m[1].weight, 3);
	assert_int_equal(s->m[2].addr.family, 6);
	assert_int_equal(s->m[2].addr.port, 5080);
	assert_int_equal(s->m[2].addr.addr[15], 9);
	assert_int_equal(s->eligible, 0x7);            /* weight 0: never selected */
	assert_int_equal(s->up, 0xf);
	assert_false(s->equal);
	assert_int_equal(sets.local4.port, 5060);
	assert_string_equal(sets.local4_text, "198.18.0.1:5060");
	assert_string_equal(sets.local6_text, "[2001:2::1]:5060");
}

static void
test_resolve_errors(void **state)
{
	static const struct {
		const char *uri;
		const char *expect;
	} bad[] = {
		{ "sip:backend.example.com:5060", "cannot resolve hostnames" },
		{ "sips:198.18.1.1:5061", "needs TLS" },
		{ "sip:198.18.1.1;transport=tcp", "transport other than udp" },
		{ "sip:255.255.255.255", "not a unicast address" },
		{ "sip:127.0.0.1", "not a unicast address" },
		{ "sip:198.18.1.1?X=1", "URI headers" },
	};
	char extra[512], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(extra, sizeof(extra),
			 "backends:\n  - set: 2\n    members:\n      - {uri: \"sip:198.18.1.9\"}\n"
			 "      - {uri: \"%s\"}\n", bad[i].uri);
		err[0] = '\0';
		assert_int_equal(lbt_load(extra, err, sizeof(err)), -EINVAL);
		if (strstr(err, bad[i].expect) == NULL || strstr(err, "t.yaml: backends[0] "
								 "(set 2): members[1].uri") == NULL)
			fail_msg("%s: got '%s'", bad[i].uri, err);
	}
	assert_int_equal(lbt_load("backends:\n  - set: 2\n    members:\n"
				  "      - {uri: \"sip:198.18.1.9\"}\n"
				  "      - {uri: \"sip:198.18.1.9:5060\"}\n", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "same backend as members[0]"));
	/* an IPv6 member needs an IPv6 address of ours */
	snprintf(extra, sizeof(extra), "node: {id: 1}\ndataplane:\n  ports: [{device: d, "
		 "ipv4: 198.18.0.1/24}]\nbackends:\n  - set: 1\n    members: [{uri: "
		 "\"sip:[2001:2::9]\"}]\n");
	assert_int_equal(cfg_load_buf("t.yaml", extra, strlen(extra), &cfg, err, sizeof(err)), 0);
	assert_int_equal(lb_sets_init(&sets, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no port has an IPv6 address"));
	/* the example configuration builds */
	assert_int_equal(cfg_load("config/example.yaml", &cfg, err, sizeof(err)), 0);
	if (lb_sets_init(&sets, &cfg, err, sizeof(err)) != 0)
		fail_msg("config/example.yaml: %s", err);
	assert_int_equal(sets.n, 2);
}

static void
test_addr(void **state)
{
	struct lb_addr a = { 0 };
	char s[LB_ADDR_STR_MAX];

	(void)state;
	assert_int_equal(lb_addr_parse("198.18.0.1", 10, &a), 0);
	assert_int_equal(a.family, 4);
	a.port = 5060;
	assert_int_equal(lb_addr_fmt(s, sizeof(s), &a), 15);
	assert_string_equal(s, "198.18.0.1:5060");
	assert_false(lb_addr_unusable(&a));
	assert_int_equal(lb_addr_parse("[2001:db8::1]", 13, &a), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(lb_addr_fmt(s, sizeof(s), &a), 18);
	assert_string_equal(s, "[2001:db8::1]:5060");
	assert_int_equal(lb_addr_parse("2001:db8::1", 11, &a), 0);
	assert_int_equal(lb_addr_parse("ff02::1", 7, &a), 0);
	assert_true(lb_addr_unusable(&a));
	assert_int_equal(lb_addr_parse("255.255.255.255", 15, &a), 0);
	assert_true(lb_addr_unusable(&a));
	assert_int_equal(lb_addr_parse("224.0.0.1", 9, &a), 0);
	assert_true(lb_addr_unusable(&a));
	assert_int_equal(lb_addr_parse("0.1.2.3", 7, &a), 0);
	assert_true(lb_addr_unusable(&a));
	assert_int_equal(lb_addr_parse("198.18.0.256", 12, &a), -1);
	assert_int_equal(lb_addr_parse("198.18.0", 8, &a), -1);
	assert_int_equal(lb_addr_parse("198.18.0.1.", 11, &a), -1);
	assert_int_equal(lb_addr_parse("host.example.com", 16, &a), -1);
	assert_int_equal(lb_addr_parse("[198.18.0.1]", 12, &a), -1);
	assert_int_equal(lb_addr_parse("", 0, &a), -1);
	/* hashing is deterministic and spreads */
	assert_int_equal(lb_callid_hash("abc", 3), lb_callid_hash("abc", 3));
	assert_true(lb_callid_hash("abc", 3) != lb_callid_hash("abd", 3));
	assert_true(sip_hash64(1, "", 0) != sip_hash64(2, "", 0));
}

/* ---- selection ---- */

static const char *const algos[] = { "callid-hash", "weighted", "round-robin" };

static void
lbt_load_algo(const char *algo, const char *weights[4])
{
	char extra[1024];

	snprintf(extra, sizeof(extra),
		 "backends:\n  - set: 1\n    algorithm: %s\n    members:\n"
		 "      - {uri: \"sip:198.18.1.1:5060\", weight: %s}\n"
		 "      - {uri: \"sip:198.18.1.2:5060\", weight: %s}\n"
		 "      - {uri: \"sip:198.18.1.3:5060\", weight: %s}\n"
		 "      - {uri: \"sip:198.18.1.4:5060\", weight: %s}\n",
		 algo, weights[0], weights[1], weights[2], weights[3]);
	lbt_load_ok(extra);
}

/* Same Call-ID, same member; down -> only that member's calls move, and
 * each moved call moves to a member up; up again -> all back. */
static void
test_sticky_minimal_disruption(void **state)
{
	static int before[N_STICKY], during[N_STICKY];
	const char *w[4] = { "1", "2", "1", "1" };
	unsigned a, i, moved, owned, count[4];
	struct lb_set *s;

	(void)state;
	for (a = 0; a < 3; a++) {
		lbt_load_algo(algos[a], w);
		s = &sets.set[0];
		memset(count, 0, sizeof(count));
		for (i = 0; i < N_STICKY; i++) {
			uint64_t h = lbt_callid(i);

			before[i] = lb_select(s, h);
			assert_true(before[i] >= 0 && before[i] < 4);
			assert_int_equal(lb_select(s, h), before[i]);      /* sticky */
			count[before[i]]++;
		}
		for (i = 0; i < 4; i++)
			assert_true(count[i] > N_STICKY / 10);
		lb_set_member_state(s, 1, LB_DOWN, 1000);
		assert_int_equal(s->up, 0xd);
		moved = owned = 0;
		for (i = 0; i < N_STICKY; i++) {
			during[i] = lb_select(s, lbt_callid(i));
			assert_true(during[i] != 1);
			if (before[i] == 1)
				owned++;
			if (during[i] != before[i]) {
				moved++;
				if (before[i] != 1)
					fail_msg("%s: call %u moved from member %d, which is up",
						 algos[a], i, before[i]);
			}
		}
		assert_int_equal(moved, owned);          /* only member 1's calls moved */
		print_message("%-12s member 1 down: %u of %u calls moved (all its own)\n",
			      algos[a], moved, N_STICKY);
		lb_set_member_state(s, 1, LB_UP, 2000);
		for (i = 0; i < N_STICKY; i++)
			assert_int_equal(lb_select(s, lbt_callid(i)), before[i]);
	}
}

/* The choice depends on the members, not on their order in the file. */
static void
test_member_order(void **state)
{
	static char first[N_STICKY][CFG_STR];
	const char *w[4] = { "1", "3", "1", "2" };
	char extra[1024];
	unsigned a, i;

	(void)state;
	for (a = 0; a < 3; a++) {
		lbt_load_algo(algos[a], w);
		for (i = 0; i < N_STICKY; i++)
			strcpy(first[i], sets.set[0].m[lb_select(&sets.set[0], lbt_callid(i))].uri);
		snprintf(extra, sizeof(extra),
			 "backends:\n  - set: 1\n    algorithm: %s\n    members:\n"
			 "      - {uri: \"sip:198.18.1.3:5060\", weight: 1}\n"
			 "      - {uri: \"sip:198.18.1.4:5060\", weight: 2}\n"
			 "      - {uri: \"sip:198.18.1.2:5060\", weight: 3}\n"
			 "      - {uri: \"sip:198.18.1.1:5060\", weight: 1}\n", algos[a]);
		lbt_load_ok(extra);
		for (i = 0; i < N_STICKY; i++)
			assert_string_equal(sets.set[0].m[lb_select(&sets.set[0],
								    lbt_callid(i))].uri, first[i]);
	}
}

static void
lbt_split(const char *algo, const char *w[4], const double *expect, double tol)
{
	unsigned count[4] = { 0 }, i;

	lbt_load_algo(algo, w);
	for (i = 0; i < N_SPLIT; i++) {
		int m = lb_select(&sets.set[0], lbt_callid(i + 7u * N_SPLIT));

		assert_true(m >= 0 && m < 4);
		count[m]++;
	}
	print_message("%-12s weights %s:%s:%s:%s -> %.4f %.4f %.4f %.4f (tolerance %.3f)\n",
		      algo, w[0], w[1], w[2], w[3], count[0] / (double)N_SPLIT,
		      count[1] / (double)N_SPLIT, count[2] / (double)N_SPLIT,
		      count[3] / (double)N_SPLIT, tol);
	for (i = 0; i < 4; i++) {
		double share = count[i] / (double)N_SPLIT;

		if (share < expect[i] - tol || share > expect[i] + tol)
			fail_msg("%s: member %u share %.4f, expected %.4f +- %.3f", algo, i, share,
				 expect[i], tol);
	}
}

/* Weighted split over 100k Call-IDs within 1 percentage point (the binomial
 * standard deviation is at most 0.16 point: > 6 sigma). */
static void
test_weighted_split(void **state)
{
	const char *w[4] = { "3", "1", "0", "4" };
	const double e[4] = { 3 / 8.0, 1 / 8.0, 0, 4 / 8.0 };
	const char *w2[4] = { "1", "1", "1", "1" };
	const double e2[4] = { 0.25, 0.25, 0.25, 0.25 };
	const char *w3[4] = { "1000", "1", "10", "100" };
	const double e3[4] = { 1000 / 1111.0, 1 / 1111.0, 10 / 1111.0, 100 / 1111.0 };

	(void)state;
	lbt_split("weighted", w, e, 0.01);
	lbt_split("callid-hash", w, e, 0.01);
	lbt_split("callid-hash", w2, e2, 0.01);
	lbt_split("weighted", w3, e3, 0.01);
	lbt_split("callid-hash", w3, e3, 0.01);
}

/* Round-robin: an even spread whatever the weights; weight 0 still excludes. */
static void
test_round_robin_spread(void **state)
{
	const char *w[4] = { "5", "1", "1", "1" };
	const double e[4] = { 0.25, 0.25, 0.25, 0.25 };
	const char *w0[4] = { "5", "0", "1", "1" };
	const double e0[4] = { 1 / 3.0, 0, 1 / 3.0, 1 / 3.0 };

	(void)state;
	lbt_split("round-robin", w, e, 0.01);
	lbt_split("round-robin", w0, e0, 0.01);
	/* consecutive slots rotate over the members */
	assert_int_equal(sets.set[0].slot[0] != sets.set[0].slot[1], 1);
}

static void
test_all_down(void **state)
{
	const char *w[4] = { "1", "1", "1", "1" };
	const char *wz[4] = { "0", "0", "0", "0" };
	unsigned a, i;

	(void)state;
	for (a = 0; a < 3; a++) {
		lbt_load_algo(algos[a], w);
		for (i = 0; i < 4; i++)
			lb_set_member_state(&sets.set[0], i, LB_DOWN, 5);
		assert_int_equal(lb_select(&sets.set[0], lbt_callid(1)), -1);
		lb_set_member_state(&sets.set[0], 2, LB_UP, 6);
		for (i = 0; i < 100; i++)
			assert_int_equal(lb_select(&sets.set[0], lbt_callid(i)), 2);
		lbt_load_algo(algos[a], wz);
		assert_int_equal(lb_select(&sets.set[0], lbt_callid(1)), -1);
	}
}

/* ---- probing ---- */

/* The state machine alone, on a fake clock: interval 1000 ms, threshold 3. */
static void
test_probe_state_machine(void **state)
{
	struct lb_health h = { .state = LB_UP };
	uint64_t now = 0;
	uint32_t seq = 0;
	int i;

	(void)state;
	assert_true(lb_probe_due(&h, now));
	/* three misses in a row: down at the third deadline */
	for (i = 1; i <= 3; i++) {
		lb_probe_sent(&h, ++seq, now, 1000);
		assert_false(lb_probe_due(&h, now + 999));
		assert_int_equal(lb_probe_timeout(&h, now + 999, 3), LB_CHANGE_NONE);
		now += 1000;
		assert_true(lb_probe_due(&h, now));
		assert_int_equal(lb_probe_timeout(&h, now, 3), i < 3 ? LB_CHANGE_NONE :
				 LB_CHANGE_DOWN);
		assert_int_equal(h.misses, i);
		assert_int_equal(h.state, i < 3 ? LB_UP : LB_DOWN);
	}
	assert_int_equal(h.changed_ms, 3000);
	/* a timeout with nothing outstanding changes nothing */
	assert_int_equal(lb_probe_timeout(&h, now + 5000, 3), LB_CHANGE_NONE);
	assert_int_equal(h.misses, 3);
	/* more misses while down: stays down */
	lb_probe_sent(&h, ++seq, now, 1000);
	now += 1000;
	assert_int_equal(lb_probe_timeout(&h, now, 3), LB_CHANGE_NONE);
	assert_int_equal(h.state, LB_DOWN);
	/* the first reply brings it up, even a late one of an earlier probe */
	lb_probe_sent(&h, ++seq, now, 1000);
	assert_int_equal(lb_probe_reply(&h, seq + 1, now + 10), LB_CHANGE_NONE);  /* never sent */
	assert_int_equal(lb_probe_reply(&h, 0, now + 10), LB_CHANGE_NONE);
	assert_int_equal(h.state, LB_DOWN);
	assert_int_equal(lb_probe_reply(&h, seq - 1, now + 20), LB_CHANGE_UP);
	assert_int_equal(h.state, LB_UP);
	assert_int_equal(h.misses, 0);
	assert_int_equal(h.last_reply_ms, now + 20);
	assert_int_equal(h.outstanding, 1);           /* probe seq still waits */
	assert_int_equal(lb_probe_reply(&h, seq, now + 30), LB_CHANGE_NONE);
	assert_int_equal(h.outstanding, 0);
	now += 1000;
	assert_int_equal(lb_probe_timeout(&h, now, 3), LB_CHANGE_NONE);  /* answered: no miss */
	assert_int_equal(h.misses, 0);
	/* misses below the threshold are forgiven by a reply */
	lb_probe_sent(&h, ++seq, now, 1000);
	now += 1000;
	lb_probe_timeout(&h, now, 3);
	lb_probe_sent(&h, ++seq, now, 1000);
	now += 1000;
	lb_probe_timeout(&h, now, 3);
	assert_int_equal(h.misses, 2);
	lb_probe_sent(&h, ++seq, now, 1000);
	assert_int_equal(lb_probe_reply(&h, seq, now + 1), LB_CHANGE_NONE);
	assert_int_equal(h.misses, 0);
	assert_int_equal(h.state, LB_UP);
	/* too old to count */
	seq += LB_PROBE_WINDOW + 1;
	lb_probe_sent(&h, seq, now, 1000);
	assert_int_equal(lb_probe_reply(&h, seq - LB_PROBE_WINDOW, now), LB_CHANGE_NONE);
	assert_int_equal(h.replies, 3);
	/* threshold 1: one miss is enough */
	now += 1000;
	assert_int_equal(lb_probe_timeout(&h, now, 1), LB_CHANGE_DOWN);
}

struct lbt_sent {
	int n;
	unsigned member[16];
	uint32_t set[16];
	char msg[16][LB_PROBE_MAX];
	size_t len[16];
	struct lb_addr dst[16];
};

static int
lbt_send(void *arg, const struct lb_set *set, unsigned member, const char *msg, size_t len,
	 const struct lb_addr *dst)
{
	struct lbt_sent *s = arg;

	if (s->n >= 16)
		return -1;
	s->set[s->n] = set->id;
	s->member[s->n] = member;
	memcpy(s->msg[s->n], msg, len);
	s->len[s->n] = len;
	s->dst[s->n] = *dst;
	s->n++;
	return 0;
}

/* The probe text is a valid OPTIONS whose branch names the probe. */
static void
test_probe_text(void **state)
{
	static struct sip_msg m;
	struct lb_set *s;
	struct sip_via v;
	uint32_t set_id, seq;
	uint64_t token;
	unsigned member;
	char buf[LB_PROBE_MAX], tok[17], want[96];
	size_t n;

	(void)state;
	lbt_load_ok("backends:\n  - set: 12\n    members:\n"
		    "      - {uri: \"sip:198.18.1.1:5070\"}\n"
		    "      - {uri: \"sip:[2001:2::9]\"}\n");
	s = &sets.set[0];
	n = lb_probe_build(&sets, s, 0, 42, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sip_msg_parse(&m, buf, n), 0);
	assert_int_equal(sip_msg_validate(&m), 0);
	assert_int_equal(m.method, SIP_METHOD_OPTIONS);
	assert_int_equal(sip_msg_top_via(&m, &v), 0);
	assert_int_equal(lb_probe_branch_parse(v.branch.p, v.branch.len, &set_id, &member, &seq,
					       &token), 0);
	assert_int_equal(set_id, 12);
	assert_int_equal(member, 0);
	assert_int_equal(seq, 42);
	assert_true(token == lb_probe_token(&sets, 12, 0, 42));
	assert_true(token != lb_probe_token(&sets, 12, 0, 43));
	snprintf(tok, sizeof(tok), "%016llx", (unsigned long long)token);
	assert_memory_equal(v.host.p, "198.18.0.1", 10);
	assert_int_equal(v.port, 5060);
	assert_non_null(strstr(buf, "OPTIONS sip:198.18.1.1:5070 SIP/2.0\r\n"));
	snprintf(want, sizeof(want), ";branch=z9hG4bK-sssp-12-0-42-%s;rport\r\n", tok);
	assert_non_null(strstr(buf, want));
	assert_null(strstr(buf, "Call-ID: sssp-12-"));   /* the Call-ID is a token too */
	n = lb_probe_build(&sets, s, 1, 7, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sip_msg_parse(&m, buf, n), 0);
	assert_int_equal(sip_msg_validate(&m), 0);
	assert_non_null(strstr(buf, "Via: SIP/2.0/UDP [2001:2::1]:5060;branch=z9hG4bK-sssp-12-1-7"));
	assert_int_equal(lb_probe_build(&sets, s, 0, 42, buf, 100), 0);   /* too small */
	assert_int_equal(lb_probe_build(&sets, s, 5, 42, buf, sizeof(buf)), 0);
	/* branch parsing is strict */
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sssp-1-2-3-0123456789abcdef", 35, &set_id,
					       &member, &seq, &token), 0);
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sssp-1-2-3-0123456789abcdeg", 35, &set_id,
					       &member, &seq, &token), -1);
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sssp-1-2-3-0123456789abcde", 34, &set_id,
					       &member, &seq, &token), -1);
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sssp-1-2-3", 18, &set_id, &member, &seq,
					       &token), -1);           /* no token */
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sssp-1-2-3x", 19, &set_id, &member, &seq,
					       &token), -1);
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sssp-1-99-3-0123456789abcdef", 36, &set_id,
					       &member, &seq, &token), -1);
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sss-1-2-3", 17, &set_id, &member, &seq,
					       &token), -1);
	assert_int_equal(lb_probe_branch_parse("z9hG4bK-sssp-1-2-99999999999-0123456789abcdef", 45,
					       &set_id, &member, &seq, &token), -1);
}

/* The prober loop: probes every interval, marks from workers, down and up. */
static void
test_prober_poll(void **state)
{
	struct lbt_sent sent;
	struct lb_set *s;
	uint64_t now = 0;
	int round;

	(void)state;
	lbt_load_ok("backends:\n  - set: 3\n    probe: {interval_ms: 500, threshold: 2}\n"
		    "    members:\n      - {uri: \"sip:198.18.1.1\"}\n"
		    "      - {uri: \"sip:198.18.1.2\"}\n");
	s = &sets.set[0];
	memset(&sent, 0, sizeof(sent));
	assert_int_equal(lb_prober_poll(&sets, now, lbt_send, &sent), 0);
	assert_int_equal(sent.n, 2);                  /* both probed at once */
	assert_int_equal(sent.set[0], 3);
	assert_int_equal(sent.member[1], 1);
	assert_int_equal(sent.dst[1].addr[3], 2);
	assert_non_null(strstr(sent.msg[0], "branch=z9hG4bK-sssp-3-0-1-"));
	/* nothing due before the interval */
	assert_int_equal(lb_prober_poll(&sets, now + 499, lbt_send, &sent), 0);
	assert_int_equal(sent.n, 2);
	/* member 0 answers every probe (seen by worker 3), member 1 never */
	for (round = 0; round < 3; round++) {
		lb_reply_note(&sets, 3, 3, 0, s->h[0].seq);
		now += 500;
		sent.n = 0;
		lb_prober_poll(&sets, now, lbt_send, &sent);
		assert_int_equal(sent.n, 2);
	}
	assert_int_equal(s->h[0].state, LB_UP);
	assert_int_equal(s->h[0].misses, 0);
	assert_int_equal(s->h[1].state, LB_DOWN);     /* 2 misses: down at t=1000 */
	assert_int_equal(s->h[1].changed_ms, 1000);
	assert_int_equal(s->up, 0x1);
	assert_int_equal(lb_select(s, lbt_callid(9)), 0);
	/* a reply to member 1's probe, seen by worker 0: up at the next poll */
	lb_reply_note(&sets, 0, 3, 1, s->h[1].seq);
	lb_reply_note(&sets, 0, 99, 1, 1);            /* unknown set: ignored */
	lb_reply_note(&sets, 99, 3, 1, 1);            /* unknown worker: ignored */
	assert_int_equal(lb_prober_poll(&sets, now + 1, lbt_send, &sent), 1);
	assert_int_equal(s->h[1].state, LB_UP);
	assert_int_equal(s->up, 0x3);
	/* a forged number far ahead is ignored */
	lb_reply_note(&sets, 1, 3, 0, 1000000);
	now += 500;
	lb_prober_poll(&sets, now, lbt_send, &sent);
	now += 500;
	lb_prober_poll(&sets, now, lbt_send, &sent);
	assert_int_equal(s->h[0].state, LB_DOWN);
}

/* A set probed by another node (backends[].tag): no probes, its states set
 * from outside; probed here again: every member at once, from those states. */
static void
test_probe_elsewhere(void **state)
{
	struct lbt_sent sent;
	struct lb_set *s;
	uint64_t now = 1000;

	(void)state;
	lbt_load_ok("backends:\n  - set: 4\n    probe: {interval_ms: 500, threshold: 2}\n"
		    "    members:\n      - {uri: \"sip:198.18.1.1\"}\n"
		    "      - {uri: \"sip:198.18.1.2\"}\n");
	s = &sets.set[0];
	memset(&sent, 0, sizeof(sent));
	lb_prober_poll(&sets, now, lbt_send, &sent);
	assert_int_equal(sent.n, 2);
	/* the tag goes elsewhere: an outstanding probe is dropped, none sent */
	lb_sets_probe_here(&sets, 0, false, now);
	assert_int_equal(s->remote, 1);
	lb_sets_probe_here(&sets, 5, false, now);               /* no such set: ignored */
	sent.n = 0;
	now += 5000;
	assert_int_equal(lb_prober_poll(&sets, now, lbt_send, &sent), 0);
	assert_int_equal(sent.n, 0);
	assert_int_equal(s->h[0].state, LB_UP);                 /* no miss counted */
	assert_int_equal(s->h[0].misses, 0);
	/* the holder's states apply */
	assert_int_equal(lb_set_apply(s, 0x1, now), 1);
	assert_int_equal(s->h[1].state, LB_DOWN);
	assert_int_equal(s->up, 0x1);
	assert_int_equal(lb_select(s, lbt_callid(7)), 0);
	assert_int_equal(lb_set_apply(s, 0x1, now), 0);        /* unchanged */
	/* the tag comes back: both probed at once; member 1 stays down until it answers */
	lb_sets_probe_here(&sets, 0, true, now);
	assert_int_equal(s->remote, 0);
	assert_int_equal(lb_set_apply(s, 0x3, now), 0);        /* ignored while probed here */
	assert_int_equal(s->h[1].state, LB_DOWN);
	lb_prober_poll(&sets, now, lbt_send, &sent);
	assert_int_equal(sent.n, 2);
	lb_reply_note(&sets, 0, 4, 1, s->h[1].seq);
	assert_int_equal(lb_prober_poll(&sets, now + 1, lbt_send, &sent), 1);
	assert_int_equal(s->h[1].state, LB_UP);
	assert_int_equal(s->up, 0x3);
}

static void
test_member_iter(void **state)
{
	struct lb_iter it = { 0, 0 };
	struct lb_member_info mi;
	char out[2048];

	(void)state;
	lbt_load_ok("backends:\n  - set: 1\n    members:\n"
		    "      - {uri: \"sip:198.18.1.1:5060\"}\n"
		    "  - set: 2\n    algorithm: weighted\n    members:\n"
		    "      - {uri: \"sip:198.18.2.1:5060\", weight: 3}\n"
		    "      - {uri: \"sip:[2001:2::7]\", weight: 1}\n");
	lb_set_member_state(&sets.set[1], 1, LB_DOWN, 1);
	assert_int_equal(lb_member_next(&sets, &it, &mi), 1);
	assert_int_equal(mi.set, 1);
	assert_string_equal(mi.uri, "sip:198.18.1.1:5060");
	assert_int_equal(lb_member_next(&sets, &it, &mi), 1);
	assert_int_equal(mi.set, 2);
	assert_int_equal(mi.weight, 3);
	assert_int_equal(lb_member_next(&sets, &it, &mi), 1);
	assert_int_equal(mi.state, LB_DOWN);
	assert_int_equal(lb_member_next(&sets, &it, &mi), 0);
	/* Each member's resolved address, as telemetry and sipshardctl show it. */
	{
		static const char *const want[] = { "198.18.1.1:5060", "198.18.2.1:5060",
						    "[2001:2::7]:5060" };
		struct lb_iter it2 = { 0, 0 };
		unsigned int i = 0;

		while (lb_member_next(&sets, &it2, &mi)) {
			assert_true(i < 3);
			assert_true(lb_addr_fmt(out, sizeof(out), mi.addr) > 0);
			assert_string_equal(out, want[i]);
			i++;
		}
		assert_int_equal(i, 3);
	}
	assert_string_equal(lb_state_name(LB_UP), "up");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_sticky_minimal_disruption),
		cmocka_unit_test(test_member_order),
		cmocka_unit_test(test_weighted_split),
		cmocka_unit_test(test_round_robin_spread),
		cmocka_unit_test(test_all_down),
		cmocka_unit_test(test_probe_state_machine),
		cmocka_unit_test(test_probe_text),
		cmocka_unit_test(test_prober_poll),
		cmocka_unit_test(test_probe_elsewhere),
		cmocka_unit_test(test_member_iter),
	};

	return cmocka_run_group_tests_name("lb_select", tests, NULL, NULL);
}
