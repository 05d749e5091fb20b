/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser benchmark (perf/run.sh parse): TSC cycles and ns per message for a
 * typical REGISTER, an INVITE with SDP and a 200 OK, median of repeated runs.
 *
 *   bench_parse [-r RUNS] [-n ITERATIONS] [-a] [-c CASE]
 *
 * "lazy" is what the dataplane does per message: sip_msg_parse() plus the
 * sub-parsers that message type needs (REGISTER: top Via, From, To and its URI,
 * Call-ID, CSeq, Contact list with URIs, Expires). "full" is sip_msg_parse() +
 * sip_msg_validate(). stdout: one JSON line per case and path (docs/interfaces.md);
 * stderr: a table, with every SIMD level of the splitter when -a is given.
 * -c runs one case only (register, invite, response; with "-full": the full path
 * only), for a profile of that one path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "dataplane/sip/sip_parse.h"

static const char msg_register[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-524287-1---a4f1c2b35e6d7f80\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:alice@198.18.0.100:5060;rinstance=7b2c5d9e1f3a4b6c;transport=UDP>;expires=3600\r\n"
	"To: \"Alice\" <sip:alice@example.com>\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=5f2a9c1e\r\n"
	"Call-ID: ZDQ1YjY3ODkwMTIzNDU2Nzg5MGFi\r\n"
	"CSeq: 2 REGISTER\r\n"
	"Expires: 3600\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, NOTIFY\r\n"
	"Supported: replaces, outbound\r\n"
	"User-Agent: Zoiper 2.10\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char msg_invite[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-524287-1---7d3e9a1b2c4f6e80\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:alice@198.18.0.100:5060;transport=UDP>\r\n"
	"To: <sip:bob@example.com>\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=9a8b7c6d\r\n"
	"Call-ID: NmY3ZDk0YzUzYjE2ZjI4MmE5MzQ4ZjAxYmY2N2JlZGM.\r\n"
	"CSeq: 1 INVITE\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
	"Content-Type: application/sdp\r\n"
	"Supported: replaces, 100rel, timer\r\n"
	"User-Agent: Zoiper rv2.10.8.2\r\n"
	"Content-Length: 318\r\n"
	"\r\n"
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

static const char msg_response[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-sipshard-0a1b2c3d4e5f;received=198.18.0.1\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;rport=5060;branch=z9hG4bK-524287-1---7d3e9a1b2c4f6e80;"
	"received=198.18.0.100\r\n"
	"Record-Route: <sip:198.18.0.1;lr>\r\n"
	"Contact: <sip:bob@198.18.1.1:5060>\r\n"
	"To: <sip:bob@example.com>;tag=as6d7e8f9a\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=9a8b7c6d\r\n"
	"Call-ID: NmY3ZDk0YzUzYjE2ZjI4MmE5MzQ4ZjAxYmY2N2JlZGM.\r\n"
	"CSeq: 1 INVITE\r\n"
	"Server: FreeSWITCH\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 130\r\n"
	"\r\n"
	"v=0\r\n"
	"o=FreeSWITCH 1700000000 1700000001 IN IP4 198.18.1.1\r\n"
	"s=FreeSWITCH\r\n"
	"c=IN IP4 198.18.1.1\r\n"
	"t=0 0\r\n"
	"m=audio 16384 RTP/AVP 0\r\n"
	"a=sendrecv\r\n";

static volatile uint64_t sink;

/* ---- the per-message work ---- */

static int
lazy_register(struct sip_msg *m, const char *buf, size_t len)
{
	struct sip_via v;
	struct sip_nameaddr from, to, c;
	struct sip_uri aor, cu;
	struct sip_cseq cs;
	struct sip_str callid;
	struct sip_iter it;
	uint32_t expires = 0;
	uint64_t acc = 0;
	int rc;

	if ((rc = sip_msg_parse(m, buf, len)) ||
	    (rc = sip_msg_top_via(m, &v)) ||
	    (rc = sip_msg_from(m, &from)) ||
	    (rc = sip_msg_to(m, &to)) ||
	    (rc = sip_uri_parse(&aor, to.uri.p, to.uri.len)) ||
	    (rc = sip_msg_call_id(m, &callid)) ||
	    (rc = sip_msg_cseq(m, &cs)))
		return rc;
	if ((rc = sip_msg_expires(m, &expires)) < 0)
		return rc;
	sip_iter_init(&it, m, SIP_HDR_CONTACT);
	while ((rc = sip_contact_next(&it, &c)) == 1) {
		if ((rc = sip_uri_parse(&cu, c.uri.p, c.uri.len)))
			return rc;
		acc += cu.host.len + c.expires;
	}
	if (rc < 0)
		return rc;
	acc += v.branch.len + from.tag.len + aor.user.len + callid.len + cs.seq + expires;
	sink += acc;
	return 0;
}

static int
lazy_invite(struct sip_msg *m, const char *buf, size_t len)
{
	struct sip_via v;
	struct sip_nameaddr from, to;
	struct sip_uri ruri;
	struct sip_cseq cs;
	struct sip_str callid;
	uint32_t mf = 70;
	int rc;

	if ((rc = sip_msg_parse(m, buf, len)) ||
	    (rc = sip_uri_parse(&ruri, m->ruri.p, m->ruri.len)) ||
	    (rc = sip_msg_top_via(m, &v)) ||
	    (rc = sip_msg_from(m, &from)) ||
	    (rc = sip_msg_to(m, &to)) ||
	    (rc = sip_msg_call_id(m, &callid)) ||
	    (rc = sip_msg_cseq(m, &cs)))
		return rc;
	if ((rc = sip_msg_max_forwards(m, &mf)) < 0)
		return rc;
	sink += v.branch.len + from.tag.len + ruri.user.len + callid.len + cs.seq + mf +
		m->body.len;
	return 0;
}

static int
lazy_response(struct sip_msg *m, const char *buf, size_t len)
{
	struct sip_via v1, v2;
	struct sip_cseq cs;
	struct sip_iter it;
	int rc;

	if ((rc = sip_msg_parse(m, buf, len)))
		return rc;
	sip_iter_init(&it, m, SIP_HDR_VIA);
	if ((rc = sip_via_next(&it, &v1)) != 1 || (rc = sip_via_next(&it, &v2)) != 1)
		return rc < 0 ? rc : -1;
	if ((rc = sip_msg_cseq(m, &cs)))
		return rc;
	sink += v1.branch.len + v2.port + v2.host.len + cs.seq + m->status;
	return 0;
}

static int
full(struct sip_msg *m, const char *buf, size_t len)
{
	int rc = sip_msg_parse(m, buf, len);

	return rc ? rc : sip_msg_validate(m);
}

typedef int work_fn(struct sip_msg *m, const char *buf, size_t len);

struct bench_case {
	const char *name;
	const char *msg;
	size_t len;
	work_fn *lazy;
};

/* ---- timing ---- */

static double
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* TSC ticks per ns, against CLOCK_MONOTONIC over ~100 ms. */
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

/* Median over `runs` runs of the cycles per message of `iters` messages; the
 * fastest run in *min (a shared machine makes the median noisy). */
static double
measure(work_fn *fn, const char *buf, size_t len, int runs, long iters, double *min)
{
	static struct sip_msg m;
	double res[64];

	if (runs > 64)
		runs = 64;
	for (long i = 0; i < iters / 10; i++)           /* warm up */
		fn(&m, buf, len);
	for (int r = 0; r < runs; r++) {
		uint64_t c0 = __rdtsc();
		for (long i = 0; i < iters; i++)
			fn(&m, buf, len);
		res[r] = (double)(__rdtsc() - c0) / (double)iters;
	}
	qsort(res, (size_t)runs, sizeof(res[0]), cmp_double);
	*min = res[0];
	return res[runs / 2];
}

int
main(int argc, char **argv)
{
	static char bufs[3][4096] __attribute__((aligned(64)));
	struct bench_case cases[] = {
		{ "register", msg_register, sizeof(msg_register) - 1, lazy_register },
		{ "invite", msg_invite, sizeof(msg_invite) - 1, lazy_invite },
		{ "response", msg_response, sizeof(msg_response) - 1, lazy_response },
	};
	enum sip_isa best = sip_parse_get_isa();
	const char *only = NULL;
	int runs = 11, all_isa = 0, opt;
	long iters = 200000;
	double tpn;

	while ((opt = getopt(argc, argv, "r:n:ac:")) != -1) {
		switch (opt) {
		case 'r':
			runs = atoi(optarg);
			break;
		case 'n':
			iters = atol(optarg);
			break;
		case 'a':
			all_isa = 1;
			break;
		case 'c':
			only = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_parse [-r RUNS] [-n ITERATIONS] [-a] "
				"[-c CASE[-full]]\n");
			return 2;
		}
	}
	if (runs < 1 || iters < 1) {
		fprintf(stderr, "bench_parse: RUNS and ITERATIONS must be positive\n");
		return 2;
	}
	if (only) {
		size_t k;

		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			size_t nl = strlen(cases[k].name);

			if (!strncmp(only, cases[k].name, nl) &&
			    (only[nl] == '\0' || !strcmp(only + nl, "-full")))
				break;
		}
		if (k == sizeof(cases) / sizeof(cases[0])) {
			fprintf(stderr, "bench_parse: no case %s (register, invite, response, "
				"each with -full)\n", only);
			return 2;
		}
	}
	tpn = tsc_per_ns();
	fprintf(stderr, "TSC %.3f GHz, median of %d runs x %ld messages, splitter %s\n",
		tpn, runs, iters, sip_isa_name(best));
	fprintf(stderr, "%-10s %6s %-6s %-7s %10s %10s %10s\n", "case", "bytes", "path", "isa",
		"cycles", "ns", "min cyc");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bench_case *bc = &cases[i];
		static struct sip_msg m;
		char *buf = bufs[i];
		size_t nl = strlen(bc->name);
		int run_lazy = 1, run_full = 1;
		double cyc, mn;

		if (only) {
			if (strncmp(only, bc->name, nl) != 0 ||
			    (only[nl] != '\0' && strcmp(only + nl, "-full") != 0))
				continue;
			run_lazy = only[nl] == '\0';
			run_full = !run_lazy;
		}

		memcpy(buf, bc->msg, bc->len);
		if (bc->lazy(&m, buf, bc->len) || full(&m, buf, bc->len)) {
			char reason[128];
			sip_msg_reason(&m, reason, sizeof(reason));
			fprintf(stderr, "bench_parse: %s does not parse: %s\n", bc->name, reason);
			return 1;
		}
		for (int isa = all_isa ? SIP_ISA_SCALAR : (int)best; run_lazy && isa <= (int)best;
		     isa++) {
			if ((int)sip_parse_set_isa((enum sip_isa)isa) != isa)
				continue;
			cyc = measure(bc->lazy, buf, bc->len, runs, iters, &mn);
			fprintf(stderr, "%-10s %6zu %-6s %-7s %10.1f %10.1f %10.1f\n", bc->name,
				bc->len, "lazy", sip_isa_name((enum sip_isa)isa), cyc, cyc / tpn, mn);
			if (isa == (int)best)
				printf("{\"bench\":\"parse\",\"case\":\"%s\",\"bytes\":%zu,"
				       "\"cycles_per_msg\":%.0f,\"ns_per_msg\":%.1f,\"path\":\"lazy\","
				       "\"cycles_min\":%.0f,\"isa\":\"%s\",\"runs\":%d,"
				       "\"iterations\":%ld}\n",
				       bc->name, bc->len, cyc, cyc / tpn, mn, sip_isa_name(best), runs,
				       iters);
		}
		sip_parse_set_isa(best);
		if (!run_full)
			continue;
		cyc = measure(full, buf, bc->len, runs, iters, &mn);
		fprintf(stderr, "%-10s %6zu %-6s %-7s %10.1f %10.1f %10.1f\n", bc->name, bc->len,
			"full", sip_isa_name(best), cyc, cyc / tpn, mn);
		printf("{\"bench\":\"parse\",\"case\":\"%s-full\",\"bytes\":%zu,"
		       "\"cycles_per_msg\":%.0f,\"ns_per_msg\":%.1f,\"path\":\"full\","
		       "\"cycles_min\":%.0f,\"isa\":\"%s\",\"runs\":%d,\"iterations\":%ld}\n",
		       bc->name, bc->len, cyc, cyc / tpn, mn, sip_isa_name(best), runs, iters);
		fflush(stdout);
	}
	return 0;
}
