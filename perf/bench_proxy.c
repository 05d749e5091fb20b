/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy benchmark (perf/run.sh proxy): what one worker core does per
 * forwarded message, fed from memory: sip_msg_parse() + proxy_request() (checks,
 * Route, loop check, backend choice by Call-ID, branch, the rewritten copy into
 * an output buffer) for N pre-built INVITEs with SDP and distinct Call-IDs to a
 * backend set of 3 members. Median of repeated runs, TSC cycles per message.
 *
 *   bench_proxy [-r RUNS] [-i ITERATIONS] [-n MESSAGES]
 *
 * stdout: one JSON line per case (docs/interfaces.md; the first is the headline:
 * callid-hash, no Record-Route); stderr: a table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "config/cfg.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/sip/sip_parse.h"

#define MSG_CAP 2048

static const char invite_fmt[] =
	"INVITE sip:%u@pstn.example.org SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-524287-1---%016llx\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:alice@198.18.0.100:5060;transport=UDP>\r\n"
	"To: <sip:%u@pstn.example.org>\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=9a8b7c6d\r\n"
	"Call-ID: %016llx-NmY3ZDk0YzUzYjE2ZjI4MmE5MzQ4ZjAx@198.18.0.100\r\n"
	"CSeq: 1 INVITE\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
	"Content-Type: application/sdp\r\n"
	"Supported: replaces, 100rel, timer\r\n"
	"User-Agent: Zoiper rv2.10.8.2\r\n"
	"Content-Length: %zu\r\n"
	"\r\n"
	"%s";

static const char sdp[] =
	"v=0\r\n"
	"o=Z 1700000000 1 IN IP4 198.18.0.100\r\n"
	"s=Z\r\n"
	"c=IN IP4 198.18.0.100\r\n"
	"t=0 0\r\n"
	"m=audio 8000 RTP/AVP 106 9 98 101 0 8 3\r\n"
	"a=rtpmap:106 opus/48000/2\r\n"
	"a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1\r\n"
	"a=rtpmap:98 telephone-event/48000\r\n"
	"a=fmtp:98 0-16\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=sendrecv\r\n";

struct bench_case {
	const char *name;
	const char *algo;
	int weighted;                   /* members 2:1:1, else the default weight 1 */
	int record_route;
};

static char (*msgs)[MSG_CAP];
static size_t *lens;
static struct cfg cfg;
static struct lb_sets sets;
static struct proxy_conf pc;
static struct proxy_worker w;
static struct sip_msg m;
static char out[MSG_CAP + PROXY_GROWTH];
static volatile uint64_t sink;
static double last_min;         /* fastest run of the last measure(), for the table */

/* ---- timing ---- */

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
	uint64_t c0 = __rdtsc(), c1;

	do {
		t1 = now_ns();
	} while (t1 - t0 < 100e6);
	c1 = __rdtsc();
	return (double)(c1 - c0) / (t1 - t0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- the work ---- */

static int
setup(const struct bench_case *bc)
{
	char yaml[1024], err[512];

	snprintf(yaml, sizeof(yaml),
		 "node: {id: 1}\n"
		 "dataplane: {ports: [{device: net_null0, ipv4: 198.18.0.1/24}]}\n"
		 "sip: {domains: [example.com]}\n"
		 "backends:\n"
		 "  - set: 1\n"
		 "    algorithm: %s\n"
		 "    members:\n"
		 "      - {uri: \"sip:198.18.1.1:5060\", weight: %d}\n"
		 "      - {uri: \"sip:198.18.1.2:5060\"}\n"
		 "      - {uri: \"sip:198.18.1.3:5060\"}\n"
		 "proxy: {record_route: %s}\n",
		 bc->algo, bc->weighted ? 2 : 1, bc->record_route ? "true" : "false");
	if (cfg_load_buf("bench", yaml, strlen(yaml), &cfg, err, sizeof(err)) != 0 ||
	    lb_sets_init(&sets, &cfg, err, sizeof(err)) != 0 ||
	    proxy_conf_init(&pc, &cfg, &sets, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_proxy: %s\n", err);
		return -1;
	}
	proxy_conf_set_mac_key(&pc, (const uint8_t *)"0123456789abcdef");   /* as the dp does */
	proxy_worker_init(&w, &pc, NULL, NULL);
	return 0;
}

static int parse_only;          /* 1: sip_msg_parse; 2: + the sub-parsers the proxy calls */

static inline uint64_t
forward_one(const char *buf, size_t len, const struct lb_addr *src)
{
	struct proxy_result res;

	if (sip_msg_parse(&m, buf, len) != 0)
		return 0;
	if (parse_only) {
		struct sip_via v;
		struct sip_cseq cs;
		struct sip_uri u;
		uint32_t mf = 0;

		if (parse_only == 2 && (sip_msg_top_via(&m, &v) != 0 || sip_msg_cseq(&m, &cs) != 0 ||
					sip_msg_max_forwards(&m, &mf) != 0 ||
					sip_uri_parse(&u, m.ruri.p, m.ruri.len) != 0))
			return 0;
		return m.n_hdrs + mf;
	}
	if (proxy_request(&w, &m, src, out, sizeof(out), &res) != PROXY_FORWARD)
		return 0;
	return res.len + (uint64_t)res.member;
}

/* Median over runs of the cycles per message of `iters` messages. */
static double
measure(unsigned n, int runs, long iters)
{
	const struct lb_addr src = { 4, 0, 5060, { 198, 18, 0, 100 } };
	double r[64];
	uint64_t acc = 0;
	long i;

	if (runs > 64)
		runs = 64;
	for (i = 0; i < iters / 10 + n; i++)            /* warm up */
		acc += forward_one(msgs[i % n], lens[i % n], &src);
	for (int k = 0; k < runs; k++) {
		uint64_t c0 = __rdtsc();
		unsigned j = 0;

		for (i = 0; i < iters; i++) {
			acc += forward_one(msgs[j], lens[j], &src);
			if (++j == n)
				j = 0;
		}
		r[k] = (double)(__rdtsc() - c0) / (double)iters;
	}
	sink += acc;
	qsort(r, (size_t)runs, sizeof(r[0]), cmp_double);
	last_min = r[0];
	return r[runs / 2];
}

int
main(int argc, char **argv)
{
	static const struct bench_case cases[] = {
		{ "invite", "callid-hash", 0, 0 },
		{ "invite-hash-2:1:1", "callid-hash", 1, 0 },
		{ "invite-weighted", "weighted", 1, 0 },
		{ "invite-round-robin", "round-robin", 0, 0 },
		{ "invite-record-route", "callid-hash", 0, 1 },
	};
	const struct lb_addr src = { 4, 0, 5060, { 198, 18, 0, 100 } };
	int runs = 11, opt;
	long iters = 1000000;
	unsigned n = 4096, i;
	double tpn;
	size_t bytes = 0;

	while ((opt = getopt(argc, argv, "r:i:n:")) != -1) {
		switch (opt) {
		case 'r':
			runs = atoi(optarg);
			break;
		case 'i':
			iters = atol(optarg);
			break;
		case 'n':
			n = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_proxy [-r RUNS] [-i ITERATIONS] [-n MESSAGES]\n");
			return 2;
		}
	}
	if (runs < 1 || iters < 1 || n < 1 || n > 1u << 20) {
		fprintf(stderr, "bench_proxy: RUNS, ITERATIONS and MESSAGES must be positive\n");
		return 2;
	}
	msgs = aligned_alloc(64, (size_t)n * MSG_CAP);
	lens = calloc(n, sizeof(*lens));
	if (msgs == NULL || lens == NULL) {
		fprintf(stderr, "bench_proxy: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		unsigned long long x = (unsigned long long)i * 0x9e3779b97f4a7c15ull;
		int k = snprintf(msgs[i], MSG_CAP, invite_fmt, 1000 + i, x, 1000 + i, x ^ 0xabcdef,
				 sizeof(sdp) - 1, sdp);

		lens[i] = (size_t)k;
		bytes += (size_t)k;
	}
	tpn = tsc_per_ns();
	fprintf(stderr, "TSC %.3f GHz, median of %d runs x %ld messages, %u distinct INVITEs "
		"of %zu bytes, backend set of 3 (weights w), parser %s\n", tpn, runs, iters, n, bytes / n,
		sip_isa_name(sip_parse_get_isa()));
	fprintf(stderr, "%-20s %-12s %3s %3s %9s %8s %10s %6s %8s\n", "case", "algorithm", "w",
		"rr", "cycles", "ns", "msgs/s", "out B", "min cyc");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bench_case *bc = &cases[i];
		struct proxy_result res;
		unsigned per[3] = { 0 }, j;
		double cyc, rate;

		if (setup(bc) != 0)
			return 1;
		for (j = 0; j < n; j++) {                /* every message is forwarded */
			if (sip_msg_parse(&m, msgs[j], lens[j]) != 0 ||
			    proxy_request(&w, &m, &src, out, sizeof(out), &res) != PROXY_FORWARD) {
				fprintf(stderr, "bench_proxy: message %u not forwarded\n", j);
				return 1;
			}
			per[res.member]++;
		}
		cyc = measure(n, runs, iters);
		rate = 1e9 / (cyc / tpn);
		fprintf(stderr, "%-20s %-12s %3s %3s %9.1f %8.1f %10.0f %6zu %8.1f  split %u/%u/%u\n",
			bc->name, bc->algo, bc->weighted ? "211" : "1", bc->record_route ? "yes" :
			"no", cyc, cyc / tpn, rate, res.len, last_min, per[0], per[1], per[2]);
		for (parse_only = 1; i == 0 && parse_only <= 2; parse_only++) {
			double pcyc = measure(n, runs, iters);  /* the parser's share */

			fprintf(stderr, "%-20s %-12s %3s %3s %9.1f %8.1f %10.0f %6s %8.1f\n",
				parse_only == 1 ? "(sip_msg_parse only)" : "(+ Via,CSeq,MF,R-URI)",
				"", "", "", pcyc, pcyc / tpn, 1e9 / (pcyc / tpn), "", last_min);
		}
		parse_only = 0;
		printf("{\"bench\":\"proxy\",\"workers\":1,\"rate_per_s\":%.0f,\"cycles_per_msg\":%.0f,"
		       "\"case\":\"%s\",\"algorithm\":\"%s\",\"weights\":\"%s\","
		       "\"record_route\":%s,\"ns_per_msg\":%.1f,"
		       "\"bytes_in\":%zu,\"bytes_out\":%zu,\"messages\":%u,\"runs\":%d,"
		       "\"iterations\":%ld}\n",
		       rate, cyc, bc->name, bc->algo, bc->weighted ? "2:1:1" : "1:1:1",
		       bc->record_route ? "true" : "false",
		       cyc / tpn, bytes / n, res.len, n, runs, iters);
		fflush(stdout);
	}
	free(msgs);
	free(lens);
	return 0;
}
