/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A full sync's cost on the shards, from memory (perf/run.sh sync-shard): what
 * the donor's worker spends packing a binding (reg_shard_sync_pack(), 16 KB
 * answers as DP_QUERY_SYNC_PACK gives) and what the receiving worker spends
 * applying it (reg_shard_apply_pack() into an empty shard), per binding, with
 * N bindings (default 1,000,000) in tables of N + N/8. No cp, no wire: the two
 * figures bound what one worker on each side can do (1e9 / ns per binding).
 *
 *   bench_sync_shard [-n BINDINGS] [-r RUNS] [-- PROG EAL-ARGS...]
 *
 * The donor shard is filled by applying made-up records (a softphone's
 * binding: IPv4, URI in normal form, no Path). Each run packs the whole donor
 * shard, then applies every pack into a new empty shard; the median run is
 * reported. stdout: one JSON line; stderr: a table.
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

#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_shard.h"

#define ANSWER    65536u        /* DP_SYNC_OUT, less the answer's head */
#define MAX_RUNS  16

static const char domains[1][CFG_STR] = { "example.com" };

struct answer {
	uint32_t len;
	uint8_t data[ANSWER];
};

static void
conf_of(struct reg_conf *c, uint16_t node, uint32_t max)
{
	*c = (struct reg_conf){
		.default_expires = 3600, .min_expires = 60, .max_expires = 7200,
		.max_contacts = 10, .on_max_contacts = REG_FULL_REJECT,
		.foreign_status = 403, .node_id = node, .max_aors = max, .max_bindings = max,
		.n_domains = 1, .domains = domains, .hash_seed = 0x5eed0000u + node,
	};
}

static void
rec_of(struct reg_rec *r, uint32_t i)
{
	memset(r, 0, offsetof(struct reg_rec, aor));
	r->version.counter = ((uint64_t)1700000000000 << 16) + i;
	r->version.origin = 1;
	r->family = 4;
	r->addr[0] = 198;
	r->addr[1] = 18;
	r->addr[2] = (uint8_t)(i >> 8);
	r->addr[3] = (uint8_t)i;
	r->port = 5060;
	r->sock_node = 1;
	r->q = 1000;
	r->cseq = 1;
	r->expires_s = 3600;
	r->callid = 0x9e3779b97f4a7c15ull * (i + 1);
	r->aor_len = (uint16_t)snprintf(r->aor, sizeof(r->aor), "u%07u@example.com", i);
	r->uri_len = (uint16_t)snprintf(r->uri, sizeof(r->uri), "sip:u%07u@198.18.%u.%u:5060", i,
					(i >> 8) & 0xff, i & 0xff);
	memcpy(r->key, r->uri, r->uri_len);
	r->key_len = r->uri_len;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static struct reg_rec rec;
	struct reg_conf ca, cb;
	struct reg_shard *a, *b;
	struct answer *ans;
	double pack_ns[MAX_RUNS], apply_ns[MAX_RUNS], hz;
	uint32_t n = 1000000, max, i, pos, nans, maxans;
	uint64_t t0, t1, packed, applied, bytes = 0;
	uint64_t now = 1000000;
	int runs = 3, opt, r, rc;
	size_t used;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			n = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			runs = atoi(optarg);
		else {
			fprintf(stderr, "usage: bench_sync_shard [-n BINDINGS] [-r RUNS] "
				"[-- PROG EAL-ARGS...]\n");
			return 2;
		}
	}
	if (n == 0 || runs < 1 || runs > MAX_RUNS)
		return 2;
	rc = rte_eal_init(argc - optind, argv + optind);
	if (rc < 0) {
		fprintf(stderr, "bench_sync_shard: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	hz = (double)rte_get_tsc_hz();
	max = n + n / 8 + 16;
	maxans = n / 256 + 64;          /* a 64 KB answer holds well over 256 bindings */
	ans = malloc((size_t)maxans * sizeof(*ans));
	conf_of(&ca, 1, max);
	a = reg_shard_create(&ca, 0, SOCKET_ID_ANY);
	if (ans == NULL || a == NULL) {
		fprintf(stderr, "bench_sync_shard: no memory for %u bindings\n", n);
		return 1;
	}
	for (i = 0; i < n; i++) {
		rec_of(&rec, i);
		if (reg_shard_apply(a, &rec, now) != 0) {
			fprintf(stderr, "bench_sync_shard: filling the donor failed at %u\n", i);
			return 1;
		}
	}
	for (r = 0; r < runs; r++) {
		conf_of(&cb, 2, max);
		b = reg_shard_create(&cb, 1, SOCKET_ID_ANY);
		if (b == NULL) {
			fprintf(stderr, "bench_sync_shard: no memory for the receiver\n");
			return 1;
		}
		pos = 0;
		nans = 0;
		packed = 0;
		t0 = rte_rdtsc();
		while (pos < reg_shard_sync_end(a) && nans < maxans) {
			packed += reg_shard_sync_pack(a, &pos, 4096, ans[nans].data, ANSWER, &used, now);
			ans[nans++].len = (uint32_t)used;
		}
		t1 = rte_rdtsc();
		pack_ns[r] = (double)(t1 - t0) * 1e9 / hz / (double)(packed ? packed : 1);
		bytes = 0;
		applied = 0;
		t0 = rte_rdtsc();
		for (i = 0; i < nans; i++) {
			applied += reg_shard_apply_pack(b, ans[i].data, ans[i].len, 0, now);
			bytes += ans[i].len;
		}
		t1 = rte_rdtsc();
		apply_ns[r] = (double)(t1 - t0) * 1e9 / hz / (double)(applied ? applied : 1);
		if (packed != n || applied != n) {
			fprintf(stderr, "bench_sync_shard: packed %lu, applied %lu of %u\n",
				(unsigned long)packed, (unsigned long)applied, n);
			return 1;
		}
		reg_shard_free(b);
	}
	qsort(pack_ns, (size_t)runs, sizeof(double), cmp_dbl);
	qsort(apply_ns, (size_t)runs, sizeof(double), cmp_dbl);
	printf("{\"bench\":\"sync-shard\",\"bindings\":%u,\"pack_ns\":%.1f,\"apply_ns\":%.1f,"
	       "\"pack_per_s\":%.0f,\"apply_per_s\":%.0f,\"bytes_per_binding\":%.1f,\"runs\":%d}\n",
	       n, pack_ns[runs / 2], apply_ns[runs / 2], 1e9 / pack_ns[runs / 2],
	       1e9 / apply_ns[runs / 2], (double)bytes / n, runs);
	fprintf(stderr, "| bench=sync-shard | bindings=%u | pack_ns=%.1f | apply_ns=%.1f | "
		"pack_per_s=%.0f | apply_per_s=%.0f |\n", n, pack_ns[runs / 2], apply_ns[runs / 2],
		1e9 / pack_ns[runs / 2], 1e9 / apply_ns[runs / 2]);
	reg_shard_free(a);
	free(ans);
	rte_eal_cleanup();
	return 0;
}
