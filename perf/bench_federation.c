/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Federation benchmark (perf/run.sh federation): what one worker core does, fed
 * from memory, on a federated registrar shard holding L local users (bindings)
 * and a directory of N users homed on other nodes (directory records applied as
 * the cluster brings them):
 *   - lookup: reg_shard_dir_find() of a user homed elsewhere (AoR normalised,
 *     hashed, the directory probed), random users;
 *   - forward: sip_msg_parse() + proxy_request() of an INVITE for a user homed on
 *     node 2: the location lookup (no binding here), the directory, the copy
 *     with our Via marked, to node 2's address (what dp_reg_lookup() does, less
 *     the topology view's node table);
 *   - local: the same for an INVITE for a local user: the binding lookup and the
 *     copy to its contact.
 * Median of repeated runs, TSC cycles per operation.
 *
 *   bench_federation [-n DIRECTORY] [-l LOCAL] [-r RUNS] [-- EAL-ARGS...]
 *
 * stdout: one JSON line {"bench":"federation","lookup_per_s":..,
 * "forward_rate_per_s":..,"local_rate_per_s":..,...}; stderr: a table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "config/cfg.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_dir.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"

#define MSG_CAP 2048
#define MAX_RUNS 31
#define NOW_MS 1000000ull

static const char invite_fmt[] =
	"INVITE sip:%s@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-524287-1---%016llx\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:caller@198.18.0.100:5060;transport=UDP>\r\n"
	"To: <sip:%s@example.com>\r\n"
	"From: \"Caller\" <sip:caller@example.com>;tag=9a8b7c6d\r\n"
	"Call-ID: %016llx-NmY3ZDk0YzUzYjE2ZjI4MmE5MzQ4ZjAx@198.18.0.100\r\n"
	"CSeq: 1 INVITE\r\n"
	"User-Agent: bench\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char domains[1][CFG_STR] = { "example.com" };
static struct reg_shard *shard;
static struct cfg cfg;
static struct proxy_conf pc;
static struct proxy_worker w;
static struct sip_msg m;
static char out[MSG_CAP + PROXY_GROWTH];
static volatile uint64_t sink;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double
tsc_per_ns(void)
{
	double t0 = now_ns(), t1;
	uint64_t c0 = __rdtsc();

	do {
		t1 = now_ns();
	} while (t1 - t0 < 100e6);
	return (double)(__rdtsc() - c0) / (t1 - t0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- the location lookup of a worker, as dp_reg_lookup() ---- */

static int
pick(const struct reg_contact *c, void *arg)
{
	struct proxy_binding *b = arg;

	memcpy(b->uri, c->uri, c->uri_len);
	b->uri_len = c->uri_len;
	b->path_len = 0;
	memset(&b->src, 0, sizeof(b->src));
	b->src.family = c->src.family;
	b->src.port = c->src.port;
	memcpy(b->src.addr, c->src.addr, sizeof(b->src.addr));
	memset(&b->sock, 0, sizeof(b->sock));
	b->sock_node = c->sock_node;
	b->sock_up = b->sock_vip = b->sock_held = 0;
	return 0;
}

static int
lookup(void *arg, const char *aor, size_t len, struct proxy_binding *out_b)
{
	uint16_t home = 0;
	int rc;

	(void)arg;
	rc = reg_shard_lookup(shard, aor, len, NOW_MS, pick, out_b);
	if (rc != 0)
		return rc < 0 ? rc : 1;
	if (reg_shard_dir_find(shard, aor, len, NOW_MS, &home) == 1 && home != 1) {
		memset(&out_b->sock, 0, sizeof(out_b->sock));
		out_b->sock.family = 4;
		out_b->sock.port = 5060;
		out_b->sock.addr[0] = 198;
		out_b->sock.addr[1] = 18;
		out_b->sock.addr[3] = (uint8_t)home;
		out_b->sock_node = home;
		out_b->sock_up = 1;
		return PROXY_LOOKUP_HOME;
	}
	return 0;
}

/* ---- setup ---- */

static int
setup(uint32_t n_dir, uint32_t n_local)
{
	static char msg[1024], reply[4096];
	static struct reg_rec rec;
	const char *yaml = "node: {id: 1}\n"
			   "dataplane: {ports: [{device: net_null0, ipv4: 198.18.0.1/24}]}\n"
			   "sip: {domains: [example.com]}\n";
	struct reg_src src = { .family = 4, .port = 40000, .addr = { 198, 18, 0, 100 } };
	struct reg_conf rc;
	char err[512];
	uint32_t i;

	if (cfg_load_buf("bench", yaml, strlen(yaml), &cfg, err, sizeof(err)) != 0 ||
	    proxy_conf_init(&pc, &cfg, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_federation: %s\n", err);
		return -1;
	}
	proxy_worker_init(&w, &pc, lookup, NULL);
	memset(&rc, 0, sizeof(rc));
	rc.default_expires = 3600;
	rc.min_expires = 60;
	rc.max_expires = 7200;
	rc.max_contacts = 10;
	rc.foreign_status = 403;
	rc.node_id = 1;
	rc.max_aors = n_local + 16;
	rc.max_bindings = n_local + 16;
	rc.n_domains = 1;
	rc.domains = domains;
	rc.hash_seed = 0x5eed;
	rc.federation = 1;
	rc.max_dir = n_dir + n_local;
	shard = reg_shard_create(&rc, 0, SOCKET_ID_ANY);
	if (shard == NULL) {
		fprintf(stderr, "bench_federation: shard: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < n_local; i++) {
		struct sip_msg rm;
		size_t len;
		int k = snprintf(msg, sizeof(msg),
				 "REGISTER sip:example.com SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-%u\r\n"
				 "From: <sip:l%u@example.com>;tag=f\r\nTo: <sip:l%u@example.com>\r\n"
				 "Call-ID: c%u\r\nCSeq: 1 REGISTER\r\n"
				 "Contact: <sip:l%u@198.18.0.100:5060>\r\nContent-Length: 0\r\n\r\n",
				 i, i, i, i, i);

		if (sip_msg_parse(&rm, msg, (size_t)k) != 0 ||
		    reg_shard_register(shard, &rm, NULL, &src, NOW_MS, 1700000000ull, reply,
				       sizeof(reply), &len) != 200) {
			fprintf(stderr, "bench_federation: local user %u not registered\n", i);
			return -1;
		}
	}
	for (i = 0; i < n_dir; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.dir = 1;
		rec.version.counter = (1ull << 40) + i;
		rec.version.origin = (uint16_t)(2 + i % 3);
		rec.sock_node = rec.version.origin;
		rec.expires_s = 3600;
		rec.aor_len = (uint16_t)snprintf(rec.aor, sizeof(rec.aor), "r%u@example.com", i);
		if (reg_shard_apply(shard, &rec, NOW_MS) != 0) {
			fprintf(stderr, "bench_federation: directory record %u refused\n", i);
			return -1;
		}
	}
	return 0;
}

/* ---- the work ---- */

static uint64_t
request_one(const char *buf, size_t len)
{
	const struct lb_addr src = { 4, 0, 5060, { 198, 18, 0, 100 } };
	struct proxy_result res;

	if (sip_msg_parse(&m, buf, len) != 0 ||
	    proxy_request(&w, &m, &src, out, sizeof(out), &res) != PROXY_FORWARD)
		return 0;
	return res.len + res.target;
}

/* Median over runs of the cycles per operation; kind 0: directory lookups of
 * texts[], 1: requests msgs[]. */
static double
measure(int kind, char (*texts)[MSG_CAP], const size_t *lens, unsigned n, int runs, long iters,
	uint64_t *ok)
{
	double r[MAX_RUNS];
	uint64_t acc = 0, good = 0;
	long i;

	for (int k = -1; k < runs; k++) {
		uint64_t c0 = __rdtsc();
		unsigned j = 0;

		good = 0;
		for (i = 0; i < iters; i++) {
			if (kind == 0) {
				uint16_t home = 0;

				good += reg_shard_dir_find(shard, texts[j], lens[j], NOW_MS,
							   &home) == 1;
				acc += home;
			} else {
				uint64_t v = request_one(texts[j], lens[j]);

				good += v != 0;
				acc += v;
			}
			if (++j == n)
				j = 0;
		}
		if (k >= 0)
			r[k] = (double)(__rdtsc() - c0) / (double)iters;
	}
	sink += acc;
	*ok = good;
	qsort(r, (size_t)runs, sizeof(r[0]), cmp_double);
	return r[runs / 2];
}

int
main(int argc, char **argv)
{
	uint32_t n_dir = 1000000, n_local = 10000, i;
	unsigned n_msgs = 4096;
	int runs = 7, opt, eal_argc = 0;
	long iters = 1000000;
	char *eal_argv[64];
	char *defaults[] = { "bench_federation", "-l", "0", "--no-pci", "--in-memory",
			     "--log-level=*:error" };
	char (*aors)[MSG_CAP], (*fwd)[MSG_CAP], (*loc)[MSG_CAP];
	size_t *aor_len, *fwd_len, *loc_len;
	double tpn, c_lookup, c_fwd, c_loc;
	uint64_t ok_l, ok_f, ok_o;
	size_t mem_dir;

	while ((opt = getopt(argc, argv, "n:l:r:")) != -1) {
		switch (opt) {
		case 'n':
			n_dir = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			n_local = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_federation [-n DIRECTORY] [-l LOCAL] [-r RUNS] "
				"[-- EAL-ARGS...]\n");
			return 2;
		}
	}
	if (n_dir < 64 || n_local < 64 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "bench_federation: -n >= 64, -l >= 64, -r 1..%d\n", MAX_RUNS);
		return 2;
	}
	if (optind < argc) {
		eal_argv[eal_argc++] = argv[0];
		for (; optind < argc && eal_argc < 63; optind++)
			eal_argv[eal_argc++] = argv[optind];
	} else {
		for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			eal_argv[eal_argc++] = defaults[i];
	}
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "bench_federation: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (setup(n_dir, n_local) != 0)
		return 1;
	aors = calloc(n_msgs, sizeof(*aors));
	fwd = calloc(n_msgs, sizeof(*fwd));
	loc = calloc(n_msgs, sizeof(*loc));
	aor_len = calloc(n_msgs, sizeof(size_t));
	fwd_len = calloc(n_msgs, sizeof(size_t));
	loc_len = calloc(n_msgs, sizeof(size_t));
	if (aors == NULL || fwd == NULL || loc == NULL || aor_len == NULL || fwd_len == NULL ||
	    loc_len == NULL) {
		fprintf(stderr, "bench_federation: out of memory\n");
		return 1;
	}
	srand(7);
	for (i = 0; i < n_msgs; i++) {
		unsigned long long x = ((unsigned long long)rand() << 32) ^ (unsigned)rand();
		char user[32];

		aor_len[i] = (size_t)snprintf(aors[i], MSG_CAP, "r%u@example.com",
					      (unsigned)rand() % n_dir);
		snprintf(user, sizeof(user), "r%u", (unsigned)rand() % n_dir);
		fwd_len[i] = (size_t)snprintf(fwd[i], MSG_CAP, invite_fmt, user, x, user, x);
		snprintf(user, sizeof(user), "l%u", (unsigned)rand() % n_local);
		loc_len[i] = (size_t)snprintf(loc[i], MSG_CAP, invite_fmt, user, x, user, x);
	}
	tpn = tsc_per_ns();
	c_lookup = measure(0, aors, aor_len, n_msgs, runs, iters, &ok_l);
	c_fwd = measure(1, fwd, fwd_len, n_msgs, runs, iters / 4, &ok_f);
	c_loc = measure(1, loc, loc_len, n_msgs, runs, iters / 4, &ok_o);
	mem_dir = (size_t)reg_dir_slots(n_dir + n_local) * REG_DIR_ENT_SIZE;
	if (ok_l != (uint64_t)iters || ok_f != (uint64_t)(iters / 4) || ok_o != (uint64_t)(iters / 4) ||
	    w.st.c[PROXY_C_fed_forwarded] == 0 || w.st.c[PROXY_C_to_binding] == 0) {
		fprintf(stderr, "bench_federation: not every operation succeeded (%lu %lu %lu)\n",
			(unsigned long)ok_l, (unsigned long)ok_f, (unsigned long)ok_o);
		return 1;
	}
	fprintf(stderr, "TSC %.3f GHz, median of %d runs, directory %u users homed elsewhere, "
		"%u local users, %u distinct requests\n", tpn, runs, n_dir, n_local, n_msgs);
	fprintf(stderr, "%-34s %10s %8s %12s\n", "operation (1 worker, from memory)", "cycles",
		"ns", "per second");
	fprintf(stderr, "%-34s %10.0f %8.1f %12.0f\n", "directory lookup (reg_shard_dir_find)",
		c_lookup, c_lookup / tpn, 1e9 * tpn / c_lookup);
	fprintf(stderr, "%-34s %10.0f %8.1f %12.0f\n", "INVITE, user homed elsewhere: forward",
		c_fwd, c_fwd / tpn, 1e9 * tpn / c_fwd);
	fprintf(stderr, "%-34s %10.0f %8.1f %12.0f\n", "INVITE, local user: to its binding",
		c_loc, c_loc / tpn, 1e9 * tpn / c_loc);
	fprintf(stderr, "directory: %u entries, table of %u slots x %d B = %zu bytes: "
		"%.1f bytes per AoR of capacity\n", n_dir + n_local,
		reg_dir_slots(n_dir + n_local), REG_DIR_ENT_SIZE, mem_dir,
		(double)mem_dir / (n_dir + n_local));
	printf("{\"bench\":\"federation\",\"lookup_per_s\":%.0f,\"forward_rate_per_s\":%.0f,"
	       "\"local_rate_per_s\":%.0f,\"workers\":1,\"source\":\"memory\","
	       "\"lookup_cycles\":%.0f,\"forward_cycles\":%.0f,\"local_cycles\":%.0f,"
	       "\"directory\":%u,\"local_users\":%u,\"dir_bytes_per_aor\":%.1f,\"runs\":%d}\n",
	       1e9 * tpn / c_lookup, 1e9 * tpn / c_fwd, 1e9 * tpn / c_loc, c_lookup, c_fwd, c_loc,
	       n_dir, n_local,
	       (double)mem_dir / (n_dir + n_local), runs);
	reg_shard_free(shard);
	return 0;
}
