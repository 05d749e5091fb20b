/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT keepalive pinging cost on one worker (perf/run.sh ping): a shard holding
 * N contacts (-n, default 1,000,000, applied as replicated records), then whole
 * intervals walked as the worker walks them (reg_shard_ping_bucket() over the
 * 4096 digest buckets) with
 *   - every contact this node's (a single node, or ownership of everything):
 *     the OPTIONS text of each ping built by dp_ping_text(), as dp_ping sends
 *     it, and the binding's unanswered count kept (track);
 *   - no contact this node's (the others' share: the walk and the choice only).
 * The frame build and TX burst of each ping (dp_egress_udp_to) are not in the
 * figure. Reported: TSC cycles per contact pinged and per contact passed over
 * (median of -r runs), by the TSC and by the thread's CPU time, and the share
 * of a dedicated worker's cycles (CPU time) that pinging every contact once per
 * -i seconds (default 30) costs: that is the fraction of its REGISTER rate it
 * gives up.
 *
 *   bench_ping [-n CONTACTS] [-r RUNS] [-i INTERVAL_S] [-- EAL-ARGS...]
 * stdout: one JSON line; stderr: a table.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "dataplane/core/dp_ping.h"
#include "dataplane/registrar/reg_digest.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_store.h"
#include "dataplane/sip/sip_parse.h"

#define MAX_RUNS 32

static const char domains[1][CFG_STR] = { "example.com" };
static volatile uint64_t sink;

struct bench_ping {
	bool mine;
	uint64_t seq;
	uint64_t pinged;
	char out[1024];
};

static int
bp_mine(void *arg, const struct reg_ping_target *t)
{
	(void)t;
	return ((struct bench_ping *)arg)->mine ? REG_PING_MINE : REG_PING_OTHERS;
}

static int
bp_send(void *arg, const struct reg_ping_target *t)
{
	struct bench_ping *b = arg;
	int n = dp_ping_text(b->out, sizeof(b->out), t, "198.18.0.1", 5060, 1, 0, ++b->seq);

	if (n < 0)
		return -1;
	sink += (uint64_t)n + (uint8_t)b->out[n / 2];
	b->pinged++;
	return 0;
}

/* Contact i: user<i>@example.com at sip:user<i>@198.18.A.B:PORT. */
static int
bp_apply(struct reg_shard *s, uint32_t i)
{
	static struct reg_rec r;
	struct sip_uri u;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.version.counter = (uint64_t)i + 1;
	r.version.origin = 2;
	r.family = 4;
	r.port = (uint16_t)(5060 + i % 1000);
	r.sock_node = 2;
	r.q = 1000;
	r.cseq = 1;
	r.expires_s = 3600;
	r.callid = i;
	r.addr[0] = 198;
	r.addr[1] = 18 + (uint8_t)((i >> 16) & 1);
	r.addr[2] = (uint8_t)(i >> 8);
	r.addr[3] = (uint8_t)i;
	r.aor_len = (uint16_t)snprintf(r.aor, sizeof(r.aor), "user%u@example.com", i);
	r.uri_len = (uint16_t)snprintf(r.uri, sizeof(r.uri), "sip:user%u@%u.%u.%u.%u:%u", i,
				       r.addr[0], r.addr[1], r.addr[2], r.addr[3], r.port);
	if (sip_uri_parse(&u, r.uri, r.uri_len) != 0)
		return -1;
	n = reg_uri_canon(&u, r.key, sizeof(r.key));
	if (n == 0)
		return -1;
	r.key_len = (uint16_t)n;
	return reg_shard_apply(s, &r, 0);
}

static double
thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One interval's walk: TSC cycles per contact visited; *cpu: the same from the
 * thread's CPU time (what a dedicated core spends, when the machine is shared). */
static double
bp_walk(struct reg_shard *s, struct bench_ping *b, uint64_t now_ms, uint32_t contacts,
	double *cpu)
{
	double ns0 = thread_ns();
	uint64_t c0 = rte_rdtsc();
	unsigned int k;

	for (k = 0; k < REG_DIGEST_BUCKETS; k++)
		reg_shard_ping_bucket(s, (uint16_t)k, now_ms, true, 0, bp_mine, bp_send, b);
	*cpu = (thread_ns() - ns0) * ((double)rte_get_tsc_hz() / 1e9) / contacts;
	return (double)(rte_rdtsc() - c0) / contacts;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static struct bench_ping b;
	char *defaults[] = { "bench_ping", "-l", "0", "--no-pci", "--in-memory",
			     "--log-level=*:error" };
	char *eal_argv[64];
	double ping[MAX_RUNS], pass[MAX_RUNS], cping[MAX_RUNS], cpass[MAX_RUNS], hz, share;
	uint32_t contacts = 1000000, i, interval_s = 30;
	struct reg_conf conf;
	struct reg_shard *s;
	int runs = 5, opt, eal_argc = 0, r;
	unsigned int k;

	while ((opt = getopt(argc, argv, "n:r:i:")) != -1) {
		switch (opt) {
		case 'n': contacts = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': runs = atoi(optarg); break;
		case 'i': interval_s = (uint32_t)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: bench_ping [-n CONTACTS] [-r RUNS] [-i INTERVAL_S] "
				"[-- EAL-ARGS...]\n");
			return 2;
		}
	}
	if (contacts < 4096 || runs < 1 || runs > MAX_RUNS || interval_s < 1) {
		fprintf(stderr, "bench_ping: -n >= 4096, -r 1..%d, -i >= 1\n", MAX_RUNS);
		return 2;
	}
	if (optind < argc) {
		eal_argv[eal_argc++] = argv[0];
		for (; optind < argc && eal_argc < 63; optind++)
			eal_argv[eal_argc++] = argv[optind];
	} else {
		for (k = 0; k < sizeof(defaults) / sizeof(defaults[0]); k++)
			eal_argv[eal_argc++] = defaults[k];
	}
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "bench_ping: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	conf = (struct reg_conf){
		.default_expires = 3600, .min_expires = 60, .max_expires = 7200,
		.max_contacts = 10, .on_max_contacts = REG_FULL_REJECT, .foreign_status = 403,
		.node_id = 1, .max_aors = contacts + contacts / 8 + 16,
		.max_bindings = contacts + contacts / 8 + 16, .n_domains = 1, .domains = domains,
		.hash_seed = 0x5eed,
	};
	s = reg_shard_create(&conf, 0, (int)rte_socket_id());
	if (s == NULL) {
		fprintf(stderr, "bench_ping: reg_shard_create: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (i = 0; i < contacts; i++)
		if (bp_apply(s, i) != 0) {
			fprintf(stderr, "bench_ping: contact %u not applied\n", i);
			return 1;
		}
	hz = (double)rte_get_tsc_hz();
	for (r = 0; r < runs; r++) {
		b.mine = true;
		b.pinged = 0;
		ping[r] = bp_walk(s, &b, 1000 + (uint64_t)r * 2, contacts, &cping[r]);
		if (b.pinged != contacts) {
			fprintf(stderr, "bench_ping: %lu of %u contacts pinged\n",
				(unsigned long)b.pinged, contacts);
			return 1;
		}
		b.mine = false;
		pass[r] = bp_walk(s, &b, 1001 + (uint64_t)r * 2, contacts, &cpass[r]);
	}
	qsort(ping, (size_t)runs, sizeof(ping[0]), cmp_double);
	qsort(pass, (size_t)runs, sizeof(pass[0]), cmp_double);
	qsort(cping, (size_t)runs, sizeof(cping[0]), cmp_double);
	qsort(cpass, (size_t)runs, sizeof(cpass[0]), cmp_double);
	share = cping[runs / 2] * contacts / interval_s / hz;
	fprintf(stderr, "ping: TSC %.3f GHz, %u contacts on one shard, median of %d intervals\n",
		hz / 1e9, contacts, runs);
	fprintf(stderr, "  %-40s %8s %8s\n", "", "TSC", "CPU time");
	fprintf(stderr, "  %-40s %8.0f %8.0f\n  %-40s %8.0f %8.0f\n",
		"cycles per contact pinged", ping[runs / 2], cping[runs / 2],
		"cycles per contact passed over", pass[runs / 2], cpass[runs / 2]);
	fprintf(stderr, "  %-40s %.2f %% (CPU time; target <= 5 %%)\n",
		"worker share: every contact once / interval", share * 100);
	printf("{\"bench\":\"ping\",\"contacts\":%u,\"interval_s\":%u,\"cycles_per_ping\":%.0f,"
	       "\"cycles_per_contact_passed\":%.0f,\"cpu_cycles_per_ping\":%.0f,"
	       "\"cpu_cycles_per_contact_passed\":%.0f,\"worker_share\":%.5f,\"tsc_hz\":%.0f}\n",
	       contacts, interval_s, ping[runs / 2], pass[runs / 2], cping[runs / 2],
	       cpass[runs / 2], share, hz);
	reg_shard_free(s);
	rte_eal_cleanup();
	return 0;
}
