/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's timer sweep as the worker loop sees it (perf/run.sh tick):
 * N bindings (default 100,000) all due in the same 10 ms slot (a burst of
 * registrations with the same Expires, e.g. after a restart), then
 * reg_shard_tick() called the way dp_worker calls it, once per loop pass, until
 * all have expired. Reported: the longest single call (what a packet arriving
 * at that moment waits behind; on a shared machine it includes preemption), the
 * 99th percentile and the median call while bindings were due, the
 * number of calls and the expiries per second of sweep time. With events on
 * (as with a control plane attached), each expiry also builds its event.
 *
 *   bench_tick [-n BINDINGS] [-- EAL-ARGS...]
 *
 * stdout: one JSON line; stderr: a short table.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"

static const char domains[1][CFG_STR] = { "example.com" };

static void
drain(struct rte_ring *ev)
{
	void *e[1024];
	unsigned int k, j;

	while ((k = rte_ring_dequeue_burst(ev, e, 1024, NULL)) != 0)
		for (j = 0; j < k; j++)
			reg_event_free(e[j]);
}

static uint64_t
bindings(const struct reg_shard *sh)
{
	uint64_t a, b;

	reg_shard_counts(sh, &a, &b);
	return b;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static char *defaults[] = { "bench_tick", "-l", "0", "--no-pci", "--in-memory",
				    "--log-level=*:warning", NULL };
	static struct sip_msg m;
	static char buf[640], out[2048];
	struct reg_src src = { 4, 0, 5060, { 198, 18, 0, 1 }, 0, 0, { 0 }, 0, NULL, NULL };
	struct reg_conf conf;
	struct reg_shard *sh;
	struct rte_ring *ev;
	struct reg_key key;
	uint64_t *calls, ncalls = 0, maxc = 0, sum = 0, hz, now_ms;
	uint32_t n = 100000, i, hash;
	size_t out_len;
	int opt, bad = 0;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			return 2;
		n = (uint32_t)strtoul(optarg, NULL, 10);
	}
	if (optind < argc) {
		argv[optind - 1] = argv[0];
		argc -= optind - 1;
		argv += optind - 1;
	} else {
		argc = 6;
		argv = defaults;
	}
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "bench_tick: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	hz = rte_get_tsc_hz();
	ev = rte_ring_create("bench_tick_ev", 1u << 21, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	conf = (struct reg_conf){
		.default_expires = 60, .min_expires = 60, .max_expires = 7200,
		.max_contacts = 10, .on_max_contacts = REG_FULL_REJECT,
		.foreign_status = 403, .node_id = 1,
		.max_aors = n + n / 8 + 16, .max_bindings = n + n / 8 + 16,
		.n_domains = 1, .domains = domains, .events = ev,
	};
	sh = reg_shard_create(&conf, 0, 0);
	calls = calloc(n + 1024, sizeof(*calls));
	if (sh == NULL || calls == NULL || ev == NULL) {
		fprintf(stderr, "bench_tick: no memory for %u bindings\n", n);
		return 1;
	}
	now_ms = 1000;
	reg_shard_tick(sh, now_ms);
	for (i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf),
				   "REGISTER sip:example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-%u\r\n"
				   "To: <sip:u%u@example.com>\r\nFrom: <sip:u%u@example.com>;tag=1\r\n"
				   "Call-ID: c%u\r\nCSeq: 1 REGISTER\r\n"
				   "Contact: <sip:u%u@198.18.0.1:5060>;expires=60\r\n"
				   "Content-Length: 0\r\n\r\n", i, i, i, i, i);

		if (sip_msg_parse(&m, buf, (size_t)len) != 0 ||
		    reg_aor_key(&conf, &m, &key, &hash) != 0 ||
		    reg_shard_register(sh, &m, &key, &src, now_ms, 1700000000, out, sizeof(out),
				       &out_len) != 200)
			bad++;
		if ((i & 1023) == 0)     /* the events a control plane would take */
			drain(ev);
	}
	drain(ev);
	/* all due at now + 60 s: sweep as the worker loop does, one call per pass */
	now_ms += 60000 + 20;
	while (bindings(sh) > 0 && ncalls < (uint64_t)n + 1024) {
		uint64_t c0 = rte_rdtsc(), c;

		reg_shard_tick(sh, now_ms);
		c = rte_rdtsc() - c0;
		calls[ncalls++] = c;
		sum += c;
		if (c > maxc)
			maxc = c;
		if (rte_ring_count(ev) > 1024)     /* outside the timing: the cp's side */
			drain(ev);
	}
	qsort(calls, ncalls, sizeof(*calls), cmp_u64);
	printf("{\"bench\":\"tick\",\"bindings\":%u,\"failed_registers\":%d,\"calls\":%llu,"
	       "\"max_call_cycles\":%llu,\"max_call_us\":%.2f,\"p99_call_us\":%.2f,\"median_call_cycles\":%llu,"
	       "\"expiries_per_s\":%.0f,\"visits_per_call\":%u,\"tsc_ghz\":%.3f}\n",
	       n, bad, (unsigned long long)ncalls, (unsigned long long)maxc, maxc * 1e6 / hz,
	       ncalls ? calls[ncalls * 99 / 100] * 1e6 / hz : 0.0,
	       (unsigned long long)(ncalls ? calls[ncalls / 2] : 0),
	       sum ? n / (sum / (double)hz) : 0.0, REG_TICK_VISITS, hz / 1e9);
	fprintf(stderr, "| tick | %u bindings due at once | %llu calls | longest %.2f us | p99 %.2f us | median %llu cycles | %.0f expiries/s |\n",
		n, (unsigned long long)ncalls, maxc * 1e6 / hz,
		ncalls ? calls[ncalls * 99 / 100] * 1e6 / hz : 0.0,
		(unsigned long long)(ncalls ? calls[ncalls / 2] : 0), sum ? n / (sum / (double)hz) : 0.0);
	rte_eal_cleanup();
	return bad != 0;
}
