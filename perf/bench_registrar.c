/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar benchmark (perf/run.sh registrar): REGISTERs per second on one and
 * two worker lcores fed from memory (no NIC), TSC cycles per REGISTER with its
 * 200 OK, and the bytes one binding costs.
 *
 *   bench_registrar [-1] [-e] [-n AORS] [-m TABLE] [-r RUNS] [-w WORKERS] [-- EAL-ARGS...]
 *
 * -m sizes the shards' tables (max_aors = max_bindings = TABLE / workers); the
 * default is the AoRs plus an eighth. rte_hash rounds its table up to a power of
 * two, so bytes per binding is lowest at a power-of-two TABLE.
 * -w 1 or -w 2 measures that many workers; without it, 1 then 2 when the EAL
 * has two lcores (default EAL arguments: -l 0-1 --no-pci --in-memory).
 *
 * N distinct REGISTER datagrams (~500 bytes, like a softphone's: Via with
 * rport, Contact with rinstance and transport, Allow, Supported, User-Agent)
 * are built in memory, one per AoR. A worker owns a shard and its share of the
 * AoRs (1 worker: all of them; 2 workers: half each, each thread with its own
 * shard, as the dataplane runs them). Per message it does what the owning worker
 * does with a REGISTER it received itself: sip_msg_parse(), reg_aor_key() (the
 * dispatch key, handed to the shard), the top Via parsed once (the reply's
 * received/rport and its port), reg_shard_register() with the reply written, and
 * reg_shard_tick() every 64 messages. (A REGISTER handed over by
 * another worker costs the owner one more reg_aor_key(), ~100 cycles.) The first pass
 * inserts every binding; each following pass refreshes them all (the CSeq of
 * every message is rewritten between passes, outside the timing). Reported: the
 * median pass, by the TSC (rate_per_s, cycles_per_msg) and by the thread's CPU
 * time (cpu_time_*: what a dedicated core does when the machine is shared).
 * "parse_cycles" is the same loop without reg_shard_register().
 * Messages go in bursts of 32, as the worker receives them: the burst is parsed
 * and keyed, reg_shard_prefetch() warms the AoRs' hash buckets and records, then
 * each is applied in order (dp_worker_rx_burst()). -1: one message at a time
 * with no prefetch, as before the staging ("staged":false in the JSON line).
 * -e: change events on (what a replicating node's worker pays per change): the
 * shard emits its events on a ring that the worker itself drains every 64
 * messages (reg_event_free(), as the cp would on its own core); the drain is in
 * the timing, so the figure is an upper bound of the worker's share.
 * stdout: one JSON line per worker count; stderr: a table.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"

#define MSG_MAX     640
#define MAX_RUNS    64
#define MAX_WORKERS 2

struct bench_msg {
	char buf[MSG_MAX];
	uint16_t len;
	uint16_t cseq_off;          /* 10 digits */
};

struct bench_worker {
	unsigned idx;
	struct reg_shard *shard;
	struct rte_ring *events;    /* -e; NULL otherwise */
	struct reg_conf conf;
	struct bench_msg *msgs;
	uint32_t n;
	int runs;
	volatile int *go;
	double insert_cyc;          /* per message, first pass */
	double cyc[MAX_RUNS];       /* per message, refresh passes (TSC) */
	double cpu_cyc[MAX_RUNS];   /* the same from the thread's CPU time */
	double parse_cyc;
	uint64_t bad;               /* statuses other than 200 */
	uint64_t reply_bytes;
} __rte_cache_aligned;

static const char domains[1][CFG_STR] = { "example.com" };
static volatile uint64_t sink;
static int with_events;              /* -e: change events on a ring, drained every 64 */
static uint32_t table;               /* -m: max_aors = max_bindings in all (0: AoRs + 1/8) */
static int staged = 1;               /* -1 clears it: one message at a time, no prefetch */
#define BURST 32                     /* the worker's receive burst (DP_MAX_BURST) */

/* ---- messages ---- */

static void
build_msg(struct bench_msg *bm, uint32_t i)
{
	int n = snprintf(bm->buf, sizeof(bm->buf),
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.18.%u.%u:5060;rport;branch=z9hG4bK-524287-1---%08x%08x\r\n"
			 "Max-Forwards: 70\r\n"
			 "Contact: <sip:u%07u@198.18.%u.%u:5060;rinstance=%08x%08x;transport=UDP>\r\n"
			 "To: <sip:u%07u@example.com>\r\n"
			 "From: <sip:u%07u@example.com>;tag=%08x\r\n"
			 "Call-ID: %08x%08x%08xZDQ1YjY3ODkwMTIzNDU2Nzg5MGFi.\r\n"
			 "CSeq: %010u REGISTER\r\n"
			 "Expires: 3600\r\n"
			 "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
			 "Supported: replaces, outbound, path\r\n"
			 "User-Agent: Zoiper rv2.10.8.2\r\n"
			 "Content-Length: 0\r\n"
			 "\r\n",
			 (i >> 8) & 0xff, i & 0xff, i * 2654435761u, i,
			 i, (i >> 8) & 0xff, i & 0xff, i * 40503u, ~i,
			 i, i, i * 2246822519u,
			 i * 3266489917u, i, ~i * 668265263u,
			 1u);
	const char *c = strstr(bm->buf, "CSeq: ");

	bm->len = (uint16_t)n;
	bm->cseq_off = (uint16_t)(c - bm->buf + 6);
}

static void
set_cseq(struct bench_msg *bm, uint32_t cseq)
{
	char *p = bm->buf + bm->cseq_off + 10;
	int k;

	for (k = 0; k < 10; k++) {
		*--p = (char)('0' + cseq % 10);
		cseq /= 10;
	}
}

/* ---- worker lcore ---- */

static double
thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One message: what the owning worker does once the REGISTER is parsed and keyed. */
static inline void
bench_one(struct bench_worker *w, const struct sip_msg *m, const struct reg_key *key, uint32_t i,
	  uint64_t now_ms, uint64_t *reply_bytes)
{
	static __thread char out[2048];
	struct reg_src src = { 4, 0, 5060, { 198, 18, 0, 1 }, 0, 0, { 0 }, 0, NULL, NULL };
	struct sip_via top;
	size_t out_len;

	src.addr[2] = (uint8_t)(i >> 8);
	src.addr[3] = (uint8_t)i;
	/* the top Via once, as dp_reg_input() does (the reply's port too) */
	src.top_via = sip_msg_top_via_at(m, &top, &src.top_via_next) == 0 ? &top : NULL;
	if (reg_shard_register(w->shard, m, key, &src, now_ms, 1700000000 + now_ms / 1000,
			       out, sizeof(out), &out_len) != 200)
		w->bad++;
	*reply_bytes += out_len;
}

/* Every 64 messages: the event drain (-e) and the expiry tick. */
static inline void
bench_every64(struct bench_worker *w, int with_register, uint64_t t0, uint64_t hz_ms,
	      uint64_t *now_ms)
{
	if (w->events != NULL) {
		void *evs[64];
		unsigned int got, e;

		while ((got = rte_ring_sc_dequeue_burst(w->events, evs, 64, NULL)) != 0)
			for (e = 0; e < got; e++)
				reg_event_free(evs[e]);
	}
	*now_ms = (rte_rdtsc() - t0) / hz_ms;
	if (with_register)
		reg_shard_tick(w->shard, *now_ms);
}

static double
bench_pass(struct bench_worker *w, int with_register, uint64_t t0, uint64_t hz_ms,
	   double *cpu_cyc)
{
	double ns0 = thread_ns();
	static __thread struct sip_msg m[BURST];
	static __thread struct reg_key key[BURST];
	struct reg_key *kp[BURST];
	uint64_t c0, c1, now_ms = 0, reply_bytes = 0;
	uint32_t i, j, k, nk, hash;

	c0 = rte_rdtsc();
	if (!staged || !with_register) {
		for (i = 0; i < w->n; i++) {
			const struct bench_msg *bm = &w->msgs[i];

			if ((i & 63) == 0)
				bench_every64(w, with_register, t0, hz_ms, &now_ms);
			if (sip_msg_parse(&m[0], bm->buf, bm->len) != 0 ||
			    reg_aor_key(&w->conf, &m[0], &key[0], &hash) != 0) {
				w->bad++;
				continue;
			}
			if (!with_register) {
				sink += hash;
				continue;
			}
			bench_one(w, &m[0], &key[0], i, now_ms, &reply_bytes);
		}
	} else {
		/* as dp_worker_rx_burst(): a burst parsed and keyed, its AoRs
		 * prefetched, then applied in order */
		for (i = 0; i < w->n; i += BURST) {
			uint32_t n = w->n - i < BURST ? w->n - i : BURST;
			uint8_t ok[BURST];

			if ((i & 63) == 0)
				bench_every64(w, with_register, t0, hz_ms, &now_ms);
			for (j = 0, nk = 0; j < n; j++) {
				const struct bench_msg *bm = &w->msgs[i + j];

				ok[j] = sip_msg_parse(&m[j], bm->buf, bm->len) == 0 &&
					reg_aor_key(&w->conf, &m[j], &key[j], &hash) == 0;
				if (ok[j])
					kp[nk++] = &key[j];
				else
					w->bad++;
			}
			reg_shard_prefetch(w->shard, kp, nk);
			for (k = 0; k < n; k++)
				if (ok[k])
					bench_one(w, &m[k], &key[k], i + k, now_ms, &reply_bytes);
		}
	}
	c1 = rte_rdtsc();
	if (cpu_cyc != NULL)
		*cpu_cyc = (thread_ns() - ns0) * ((double)rte_get_tsc_hz() / 1e9) / w->n;
	if (with_register)
		w->reply_bytes = reply_bytes;
	return (double)(c1 - c0) / w->n;
}

static int
bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;
	uint64_t t0 = rte_rdtsc(), hz_ms = rte_get_tsc_hz() / 1000;
	uint32_t i;
	int r;

	while (!*w->go)
		rte_pause();
	w->insert_cyc = bench_pass(w, 1, t0, hz_ms, NULL);
	for (r = 0; r < w->runs; r++) {
		for (i = 0; i < w->n; i++)
			set_cseq(&w->msgs[i], (uint32_t)r + 2);
		w->cyc[r] = bench_pass(w, 1, t0, hz_ms, &w->cpu_cyc[r]);
	}
	w->parse_cyc = bench_pass(w, 0, t0, hz_ms, NULL);
	return 0;
}

/* ---- main lcore ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	double tmp[MAX_RUNS];

	memcpy(tmp, v, sizeof(double) * (size_t)n);
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return tmp[n / 2];
}

static const char *
cpu_model(void)
{
	static char model[128] = "unknown";
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f == NULL)
		return model;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');

			if (p != NULL) {
				snprintf(model, sizeof(model), "%s", p + 2);
				model[strcspn(model, "\n")] = '\0';
			}
			break;
		}
	}
	fclose(f);
	return model;
}

static int
run(unsigned workers, uint32_t aors, int runs, struct bench_msg *all)
{
	struct bench_worker *w[MAX_WORKERS];
	static volatile int go;
	unsigned lcores[MAX_WORKERS], i, lc, n_lc = 0;
	double hz = (double)rte_get_tsc_hz(), rate = 0, cyc = 0, ins = 0, parse = 0;
	double cpu_cyc = 0, cpu_rate = 0;
	size_t bpb = 0;
	uint64_t bad = 0, reply = 0;

	/* workers on worker lcores first, the main lcore last */
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (n_lc < workers)
			lcores[n_lc++] = lc;
	}
	if (n_lc < workers)
		lcores[n_lc++] = rte_get_main_lcore();
	if (n_lc < workers) {
		fprintf(stderr, "bench_registrar: %u workers need %u lcores (EAL -l)\n", workers,
			workers);
		return -1;
	}
	go = 0;
	for (i = 0; i < workers; i++) {
		uint32_t first = aors / workers * i, j;

		w[i] = rte_zmalloc("bench_w", sizeof(*w[i]), RTE_CACHE_LINE_SIZE);
		if (w[i] == NULL)
			return -1;
		w[i]->idx = i;
		w[i]->n = aors / workers;
		w[i]->msgs = all + first;
		w[i]->runs = runs;
		w[i]->go = &go;
		w[i]->conf = (struct reg_conf){
			.default_expires = 3600, .min_expires = 60, .max_expires = 7200,
			.max_contacts = 10, .on_max_contacts = REG_FULL_REJECT,
			.foreign_status = 403, .node_id = 1,
			.max_aors = table != 0 ? table / workers : w[i]->n + w[i]->n / 8 + 16,
			.max_bindings = table != 0 ? table / workers : w[i]->n + w[i]->n / 8 + 16,
			.n_domains = 1, .domains = domains, .events = NULL,
		};
		if (with_events) {
			char rname[RTE_RING_NAMESIZE];

			snprintf(rname, sizeof(rname), "bench_ev%u", i);
			w[i]->events = rte_ring_create(rname, 4096, SOCKET_ID_ANY,
						       RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (w[i]->events == NULL)
				return -1;
			w[i]->conf.events = w[i]->events;
			w[i]->conf.max_events = 4096;
		}
		for (j = 0; j < w[i]->n; j++)
			set_cseq(&w[i]->msgs[j], 1);
		w[i]->shard = reg_shard_create(&w[i]->conf, i,
					       (int)rte_lcore_to_socket_id(lcores[i]));
		if (w[i]->shard == NULL) {
			fprintf(stderr, "bench_registrar: reg_shard_create: %s\n",
				rte_strerror(rte_errno));
			return -1;
		}
	}
	for (i = 0; i < workers; i++)
		if (lcores[i] != rte_get_main_lcore() &&
		    rte_eal_remote_launch(bench_worker_main, w[i], lcores[i]) != 0)
			return -1;
	go = 1;
	for (i = 0; i < workers; i++)
		if (lcores[i] == rte_get_main_lcore())
			bench_worker_main(w[i]);
	rte_eal_mp_wait_lcore();

	for (i = 0; i < workers; i++) {
		double c = median(w[i]->cyc, runs);

		double cc = median(w[i]->cpu_cyc, runs);

		rate += hz / c;                 /* workers run side by side */
		cyc += c / workers;
		cpu_rate += hz / cc;
		cpu_cyc += cc / workers;
		ins += w[i]->insert_cyc / workers;
		parse += w[i]->parse_cyc / workers;
		bad += w[i]->bad;
		reply += w[i]->reply_bytes;
	}
	bpb = reg_shard_bytes_per_binding(w[0]->shard);
	{
		struct reg_mem mem;
		uint64_t a, b;

		reg_shard_mem(w[0]->shard, &mem);
		reg_shard_counts(w[0]->shard, &a, &b);
		fprintf(stderr, "%-8u %10u %12.0f %10.0f %10.0f %10.0f %10.0f %8zu %9.1f %8lu\n",
			workers, aors, rate, cyc, cpu_cyc, ins, parse, bpb,
			(double)mem.total / 1048576.0, (unsigned long)bad);
		fprintf(stderr, "         shard 0: %lu AoRs, %lu bindings, %zu B hash + %zu B AoRs "
			"+ %zu B bindings + %zu B overflow + %zu B wheel; reply %.0f B avg\n",
			(unsigned long)a, (unsigned long)b, mem.hash, mem.aors, mem.bindings,
			mem.ext, mem.wheel, (double)reply / (aors / workers * workers));
	}
	printf("{\"bench\":\"registrar\",\"workers\":%u,\"rate_per_s\":%.0f,"
	       "\"cycles_per_msg\":%.0f,\"bytes_per_binding\":%zu,\"aors\":%u,"
	       "\"insert_cycles_per_msg\":%.0f,\"parse_cycles_per_msg\":%.0f,"
	       "\"cpu_time_cycles_per_msg\":%.0f,\"cpu_time_rate_per_s\":%.0f,"
	       "\"msg_bytes\":%u,\"events\":%s,\"staged\":%s,\"runs\":%d,\"errors\":%lu,\"tsc_hz\":%.0f,"
	       "\"cpu\":\"%s\"}\n",
	       workers, rate, cyc, bpb, aors, ins, parse, cpu_cyc, cpu_rate, all[0].len,
	       with_events ? "true" : "false", staged ? "true" : "false", runs,
	       (unsigned long)bad, hz, cpu_model());
	fflush(stdout);
	for (i = 0; i < workers; i++) {
		reg_shard_free(w[i]->shard);
		rte_ring_free(w[i]->events);
		rte_free(w[i]);
	}
	return bad != 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct bench_msg *msgs;
	uint32_t aors = 100000, i;
	unsigned only = 0, k;
	int runs = 7, opt, eal_argc, rc = 0;
	char *eal_argv[64];
	char *defaults[] = { "bench_registrar", "-l", "0-1", "--no-pci", "--in-memory",
			     "--log-level=*:error" };

	/* options before "--", EAL arguments after it */
	while ((opt = getopt(argc, argv, "1em:n:r:w:")) != -1) {
		switch (opt) {
		case '1':
			staged = 0;
			break;
		case 'e':
			with_events = 1;
			break;
		case 'm':
			table = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			aors = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'w':
			only = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_registrar [-1] [-e] [-n AORS] [-m TABLE] [-r RUNS] "
				"[-w WORKERS] [-- EAL-ARGS...]\n");
			return 2;
		}
	}
	if (aors < 64 || runs < 1 || runs > MAX_RUNS || only > MAX_WORKERS) {
		fprintf(stderr, "bench_registrar: -n >= 64, -r 1..%d, -w 1..%d\n", MAX_RUNS,
			MAX_WORKERS);
		return 2;
	}
	eal_argc = 0;
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
		fprintf(stderr, "bench_registrar: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	msgs = rte_malloc("bench_msgs", sizeof(*msgs) * aors, RTE_CACHE_LINE_SIZE);
	if (msgs == NULL) {
		fprintf(stderr, "bench_registrar: no memory for %u messages\n", aors);
		return 1;
	}
	for (i = 0; i < aors; i++)
		build_msg(&msgs[i], i);
	fprintf(stderr, "registrar: %s, TSC %.3f GHz, %u AoRs, %u-byte REGISTERs, median of %d "
		"refresh passes, splitter %s\n", cpu_model(), rte_get_tsc_hz() / 1e9, aors,
		msgs[0].len, runs, sip_isa_name(sip_parse_get_isa()));
	fprintf(stderr, "%-8s %10s %12s %10s %10s %10s %10s %8s %9s %8s\n", "workers", "aors",
		"REGISTER/s", "cyc/msg", "cpu cyc", "insert", "parse", "B/bind", "shard MB",
		"errors");
	for (k = 1; k <= MAX_WORKERS && rc == 0; k++) {
		if (only != 0 && k != only)
			continue;
		if (only == 0 && k > rte_lcore_count())
			break;
		rc = run(k, aors, runs, msgs);
	}
	rte_free(msgs);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
