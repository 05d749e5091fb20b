/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshard-gen: DPDK SIP traffic generator for the benchmarks (perf/run.sh).
 *
 *   sipshard-gen -c GEN.yaml [-r RATE] [-d SECONDS] [--trials FILE] [--cdf FILE]
 *                [-q] [-- EAL-ARGS...]
 *
 * Loads GEN.yaml (gen_cfg.h; keys in docs/benchmarks.md), starts the EAL with the
 * YAML `eal` list, the port's --vdev and the command line's EAL arguments, brings
 * the port up, resolves the target's MAC by ARP (unless given), then runs the
 * workload on the main lcore (gen_run.h): either one run at `run.rate` for
 * `run.duration_s`, or, with a `search` section, a search for the highest rate
 * whose loss stays under `search.max_loss` (a closed-loop trial gives a first
 * estimate, then growth and bisection on the offered rate with short paced trials).
 * Progress: one line per second on stderr. Result: one JSON line on stdout (for a
 * search, the best passing trial). SIGINT/SIGTERM: stop sending, wait for the
 * replies in flight (a second signal: at once), print the result, exit 0.
 * Exit 1 when the EAL, the port or ARP fails, 2 on usage or configuration errors.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "dataplane/core/dp_eal.h"
#include "perf/gen_cfg.h"
#include "perf/gen_run.h"

#define GEN_EAL_ARGV_MAX    (GEN_CFG_EAL_MAX + 64)
#define GEN_NO_HUGE_MB      "512"
#define GEN_PREFILL_WINDOW  64      /* prefill: closed loop, this many in flight */

static volatile bool gen_stop_flag;
static volatile bool gen_abort_flag;

static void
on_signal(int sig)
{
	(void)sig;
	if (gen_stop_flag)
		gen_abort_flag = true;
	gen_stop_flag = true;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sipshard-gen -c GEN.yaml [options] [-- EAL-ARGS...]\n"
		   "  -c, --config FILE   generator configuration (YAML, see docs/benchmarks.md)\n"
		   "  -r, --rate N        override run.rate (requests/s, 0 = as fast as possible)\n"
		   "  -d, --duration S    override run.duration_s\n"
		   "  -w, --warmup S      override run.warmup_s (fixed rate: S seconds first, not measured)\n"
		   "      --trials FILE   append one JSON line per run or search trial to FILE\n"
		   "      --cdf FILE      write the latency CDF of the result (us fraction) to FILE\n"
		   "      --check-config  validate the file and exit (0 ok, 2 error); no EAL\n"
		   "  -q, --quiet         no progress lines\n"
		   "  -h, --help          this text\n");
}

static bool
has_arg(char **argv, int argc, const char *prefix)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* EAL argv: the YAML list, the port, the command line's, then what is missing. */
static int
eal_args(const struct gen_cfg *c, int extra_argc, char **extra, char **argv, char *vdev, size_t vlen)
{
	int argc = 0, i;
	unsigned int a, b, d, e;
	char tail;

	argv[argc++] = "sipshard-gen";
	for (i = 0; i < c->n_eal; i++)
		argv[argc++] = (char *)c->eal[i];
	if (sscanf(c->port.device, "%x:%x:%x.%x%c", &a, &b, &d, &e, &tail) == 4 ||
	    sscanf(c->port.device, "%x:%x.%x%c", &b, &d, &e, &tail) == 3)
		snprintf(vdev, vlen, "--allow=%s", c->port.device);
	else
		snprintf(vdev, vlen, "--vdev=%s", c->port.device);
	argv[argc++] = vdev;
	for (i = 0; i < extra_argc && argc < GEN_EAL_ARGV_MAX - 8; i++)
		argv[argc++] = extra[i];
	if (!has_arg(argv, argc, "-l") && !has_arg(argv, argc, "--lcores") &&
	    !has_arg(argv, argc, "-c")) {
		argv[argc++] = "-l";
		argv[argc++] = "0";
	}
	if (!has_arg(argv, argc, "--file-prefix") && !has_arg(argv, argc, "--in-memory"))
		argv[argc++] = "--in-memory";
	if (!has_arg(argv, argc, "--no-huge") && !dp_eal_hugepages_usable()) {
		fprintf(stderr, "sipshard-gen: no free huge pages: running with --no-huge -m %s\n",
			GEN_NO_HUGE_MB);
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = GEN_NO_HUGE_MB;
	}
	if (!has_arg(argv, argc, "--no-pci") && strncmp(vdev, "--vdev", 6) == 0)
		argv[argc++] = "--no-pci";
	argv[argc] = NULL;
	return argc;
}

static const char *
wire_name(const char *dev)
{
	static const struct { const char *prefix, *name; } wires[] = {
		{ "net_memif", "memif" }, { "net_af_packet", "af_packet" },
		{ "net_af_xdp", "af_xdp" }, { "net_pcap", "pcap" }, { "net_tap", "tap" },
		{ "net_null", "null" }, { "net_ring", "ring" },
	};
	size_t i;

	for (i = 0; i < sizeof(wires) / sizeof(wires[0]); i++)
		if (strncmp(dev, wires[i].prefix, strlen(wires[i].prefix)) == 0)
			return wires[i].name;
	return "pci";
}

/* STR as a JSON string body (quotes and backslashes escaped, controls dropped). */
static void
json_str(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
}

static void
print_result(FILE *f, const struct gen_ctx *g, const struct gen_stats *st, uint64_t rate,
	     double rate_per_s, const char *extra)
{
	const struct gen_cfg *c = g->cfg;
	const struct gen_hist *h = &st->hist;

	fprintf(f, "{\"tool\":\"sipshard-gen\",\"workload\":\"%s\",", gen_workload_name(c->wl.type));
	if (c->wl.type == GEN_WL_REGISTER)
		fprintf(f, "\"mode\":\"%s\",", gen_mode_name(c->wl.mode));
	fprintf(f, "\"aors\":%u,\"wire\":\"%s\",\"device\":\"", c->wl.aors, wire_name(c->port.device));
	json_str(f, c->port.device);
	fprintf(f, "\",\"reflect\":%s,\"offered_rate\":%" PRIu64 ",\"duration_s\":%.3f,"
		   "\"scheduled\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"replies\":%" PRIu64
		   ",\"replies_ok\":%" PRIu64 ",\"replies_err\":%" PRIu64 ",\"provisional\":%" PRIu64
		   ",\"timeouts\":%" PRIu64 ",\"unexpected\":%" PRIu64 ",\"late\":%" PRIu64
		   ",\"requests_in\":%" PRIu64 ",\"tx_full\":%" PRIu64 ",\"rx_pkts\":%" PRIu64
		   ",\"rx_other\":%" PRIu64 ",\"arp_replies\":%" PRIu64,
		c->run.reflect ? "true" : "false", rate, gen_stats_duration(g, st), st->scheduled,
		st->sent, st->replies, st->ok, st->err, st->provisional, st->timeouts, st->unexpected,
		st->late, st->requests_in, st->tx_full, st->rx_pkts, st->rx_other, st->arp_replies);
	fprintf(f, ",\"codes\":{\"1xx\":%" PRIu64 ",\"2xx\":%" PRIu64 ",\"3xx\":%" PRIu64
		   ",\"4xx\":%" PRIu64 ",\"5xx\":%" PRIu64 ",\"6xx\":%" PRIu64 "}",
		st->cls[1], st->cls[2], st->cls[3], st->cls[4], st->cls[5], st->cls[6]);
	fprintf(f, ",\"rate_per_s\":%.0f,\"loss\":%.6f,\"shortfall\":%.6f,\"lat_p50_us\":%.1f,"
		   "\"lat_p90_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f,\"lat_max_us\":%.1f,"
		   "\"lat_mean_us\":%.1f%s}\n",
		rate_per_s >= 0 ? rate_per_s : gen_stats_rate(g, st), gen_stats_loss(st),
		gen_stats_shortfall(st),
		gen_hist_quantile(h, 0.5) / 1000.0, gen_hist_quantile(h, 0.9) / 1000.0,
		gen_hist_quantile(h, 0.99) / 1000.0, gen_hist_quantile(h, 0.999) / 1000.0,
		(double)h->max_ns / 1000.0, h->n ? (double)h->sum_ns / (double)h->n / 1000.0 : 0.0,
		extra != NULL ? extra : "");
	fflush(f);
}

static void
append_trial(const char *path, const struct gen_ctx *g, const struct gen_stats *st, uint64_t rate,
	     const char *extra)
{
	FILE *f;

	if (path == NULL)
		return;
	f = fopen(path, "a");
	if (f == NULL) {
		fprintf(stderr, "sipshard-gen: %s: %s\n", path, strerror(errno));
		return;
	}
	print_result(f, g, st, rate, -1, extra);
	fclose(f);
}

static void
write_cdf(const char *path, const struct gen_hist *h)
{
	static const double qs[] = { 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
				     0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 1.0 };
	FILE *f;
	size_t i;

	if (path == NULL)
		return;
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "sipshard-gen: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# latency_us fraction\n");
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		fprintf(f, "%.2f %.4f\n", (qs[i] >= 1.0 ? (double)h->max_ns : gen_hist_quantile(h, qs[i])) / 1000.0,
			qs[i]);
	fclose(f);
}

/* A trial passes when the loss stays under max_loss and the generator kept the
 * pace: every scheduled request sent, no more than 5 % late overall. */
static bool
trial_pass(const struct gen_ctx *g, const struct gen_stats *st)
{
	double sent_s = (double)(st->t_end - st->t_start) / (double)g->hz;

	return st->ok > 0 && gen_stats_loss(st) < g->cfg->search.max_loss &&
	       st->sent == st->scheduled && sent_s <= st->nominal_s * 1.05 + 0.01;
}

/* The highest offered rate that passes. Trial 0 runs closed loop (search.window
 * in flight) for a first estimate; then the rate grows by half until a trial
 * fails, and bisection narrows [pass, fail] to search.precision. Returns the rate
 * (0: none passed); *best holds the stats of its trial (or of the last one). */
static uint64_t
gen_search(struct gen_ctx *g, struct gen_stats *best, const char *trials, uint64_t *upper,
	   int *n_trials)
{
	const struct gen_cfg_search *s = &g->cfg->search;
	static struct gen_stats st;
	uint64_t lo = 0, hi = 0, rate, pass_rate = 0;
	char extra[96], label[48];
	bool pass = false, have_best = false;
	uint32_t r;
	int t;

	g->label = "[search closed-loop]";
	gen_phase(g, 0, s->trial_s, 0, s->window, &st);
	snprintf(extra, sizeof(extra), ",\"trial\":0,\"pass\":false");
	append_trial(trials, g, &st, 0, extra);
	*upper = (uint64_t)gen_stats_rate(g, &st);
	fprintf(stderr, "[search] trial 0: closed loop (%u in flight): %" PRIu64 "/s answered, loss %.4f\n",
		s->window, *upper, gen_stats_loss(&st));
	*best = st;
	*n_trials = 1;
	rate = s->start_rate != 0 ? s->start_rate : *upper;
	if (rate == 0 || gen_stop_flag)
		return 0;
	for (t = 1; t <= (int)s->max_trials && !gen_stop_flag; t++) {
		snprintf(label, sizeof(label), "[search %" PRIu64 "/s]", rate);
		g->label = label;
		/* A failure is confirmed by up to `retries` more runs at the same rate:
		 * on a shared machine a moment of interference must not end the search. */
		for (r = 0; r <= s->retries && !gen_stop_flag; r++) {
			rte_delay_us_sleep(200 * 1000); /* let the system under test settle */
			/* Fail fast: once the loss allowed for the whole trial is spent. */
			g->fail_limit = (uint64_t)((double)rate * s->trial_s * s->max_loss) + 1;
			gen_phase(g, rate, s->trial_s, 0, 0, &st);
			g->fail_limit = 0;
			pass = trial_pass(g, &st);
			if (pass)
				break;
			if (r < s->retries)
				fprintf(stderr, "[search] trial %d: offered %" PRIu64 "/s failed (loss %.5f), once more\n",
					t, rate, gen_stats_loss(&st));
		}
		*n_trials = t + 1;
		snprintf(extra, sizeof(extra), ",\"trial\":%d,\"pass\":%s", t, pass ? "true" : "false");
		append_trial(trials, g, &st, rate, extra);
		fprintf(stderr, "[search] trial %d: offered %" PRIu64 "/s, sent %" PRIu64 "/%" PRIu64
			" in %.2fs, answered %.0f/s, loss %.5f, timeouts %" PRIu64 ": %s\n", t, rate,
			st.sent, st.scheduled, (double)(st.t_end - st.t_start) / (double)g->hz,
			gen_stats_rate(g, &st), gen_stats_loss(&st), st.timeouts, pass ? "pass" : "fail");
		if (pass) {
			lo = rate;
			pass_rate = rate;
			*best = st;
			have_best = true;
		} else {
			hi = rate;
			if (!have_best)
				*best = st;
			if (st.replies == 0)
				break;                  /* nothing answers: no point going on */
		}
		if (hi == 0)
			rate += rate / 2;               /* no failure yet: grow */
		else if (lo == 0)
			rate = hi / 2;                  /* no pass yet: halve */
		else
			rate = (lo + hi) / 2;
		if (lo != 0 && hi != 0 && (double)(hi - lo) / (double)hi < s->precision)
			break;
		if (rate == 0)
			break;
	}
	return pass_rate;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "trials", required_argument, NULL, 't' },
		{ "cdf", required_argument, NULL, 'C' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen_cfg cfg;
	static struct gen_ctx g;
	static struct gen_stats st, pre;
	char *eal_argv[GEN_EAL_ARGV_MAX + 1], vdev[GEN_CFG_STR + 16], err[512], extra[160];
	const char *path = NULL, *trials = NULL, *cdf = NULL;
	long long rate_opt = -1, dur_opt = -1, warm_opt = -1;
	bool check_only = false, quiet = false;
	int opt, eal_argc, rc, exit_code = 1, n_trials = 0;
	uint64_t rate, upper = 0;
	char *end;

	while ((opt = getopt_long(argc, argv, "+c:r:d:w:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'r':
		case 'd':
			errno = 0;
			if (opt == 'r')
				rate_opt = strtoll(optarg, &end, 10);
			else
				dur_opt = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    (opt == 'r' ? rate_opt < 0 || rate_opt > 100000000 : dur_opt < 1 || dur_opt > 86400)) {
				fprintf(stderr, "sipshard-gen: -%c: bad value '%s'\n", opt, optarg);
				return 2;
			}
			break;
		case 'w':
			errno = 0;
			warm_opt = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || warm_opt < 0 || warm_opt > 3600) {
				fprintf(stderr, "sipshard-gen: -w: bad value '%s'\n", optarg);
				return 2;
			}
			break;
		case 't': trials = optarg; break;
		case 'C': cdf = optarg; break;
		case 'k': check_only = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	rc = gen_cfg_load(path, &cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (rate_opt >= 0)
		cfg.run.rate = (uint64_t)rate_opt;
	if (dur_opt > 0)
		cfg.run.duration_s = (uint32_t)dur_opt;
	if (warm_opt >= 0)
		cfg.run.warmup_s = (uint32_t)warm_opt;
	if (quiet)
		cfg.run.progress = false;
	if (check_only) {
		printf("%s: ok\n", path);
		return 0;
	}

	eal_argc = eal_args(&cfg, argc - optind, argv + optind, eal_argv, vdev, sizeof(vdev));
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "sipshard-gen: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);   /* 1 us: idle sleeps stay short */

	g.cfg = &cfg;
	g.hz = rte_get_tsc_hz();
	g.stop = &gen_stop_flag;
	g.abort = &gen_abort_flag;
	g.progress = cfg.run.progress;
	g.label = "[gen]";
	g.runid = (uint32_t)(rte_rdtsc() ^ ((uint64_t)getpid() << 16));
	g.net.src_ip = cfg.port.ipv4;
	g.net.dst_ip = cfg.target.ipv4;
	g.net.sport = (uint16_t)cfg.port.sip_port;
	g.net.dport = (uint16_t)cfg.target.port;
	if (gen_port_init(&g) != 0)
		goto out_eal;
	if (cfg.target.has_mac) {
		memcpy(g.net.dst_mac, cfg.target.mac, 6);
		g.mac_resolved = true;
	} else if (gen_arp_resolve(&g) != 0) {
		fprintf(stderr, "sipshard-gen: no ARP reply from the target in %u ms\n",
			cfg.target.arp_timeout_ms);
		goto out_port;
	} else {
		fprintf(stderr, "sipshard-gen: target MAC " RTE_ETHER_ADDR_PRT_FMT " (ARP)\n",
			RTE_ETHER_ADDR_BYTES((struct rte_ether_addr *)g.net.dst_mac));
	}
	if (gen_ctx_prepare(&g) != 0)
		goto out_port;
	fprintf(stderr, "sipshard-gen: %s%s%s, %u AoRs, %u-byte frames, run id %08x, lcore %u\n",
		gen_workload_name(cfg.wl.type), cfg.wl.type == GEN_WL_REGISTER ? " " : "",
		cfg.wl.type == GEN_WL_REGISTER ? gen_mode_name(cfg.wl.mode) : "", cfg.wl.aors,
		g.tpl.len, g.runid, rte_lcore_id());

	if (cfg.wl.type == GEN_WL_REGISTER && cfg.wl.mode != GEN_MODE_NEW && cfg.wl.prefill &&
	    !cfg.run.reflect) {
		g.label = "[prefill]";
		gen_phase(&g, 0, 3600, cfg.wl.aors, GEN_PREFILL_WINDOW, &pre);
		fprintf(stderr, "sipshard-gen: prefill: %" PRIu64 " REGISTERs, %" PRIu64 " 2xx, %" PRIu64
			" timeouts\n", pre.sent, pre.ok, pre.timeouts);
	}

	if (cfg.search.enabled) {
		rate = gen_search(&g, &st, trials, &upper, &n_trials);
		snprintf(extra, sizeof(extra), ",\"search\":true,\"search_trials\":%d,\"max_loss\":%g,"
			 "\"closed_loop_rate_per_s\":%" PRIu64 ",\"best_rate_per_s\":%" PRIu64,
			 n_trials, cfg.search.max_loss, upper, rate);
		print_result(stdout, &g, &st, rate, rate > 0 ? gen_stats_rate(&g, &st) : 0, extra);
	} else {
		rate = cfg.run.rate;
		if (cfg.run.warmup_s > 0 && rate != 0) {
			/* the same traffic first, unmeasured: the measured phase follows
			 * with no gap, so the system under test has not gone idle */
			const char *label = g.label;

			g.label = "[warmup]";
			gen_phase(&g, rate, cfg.run.warmup_s, 0, 0, &pre);
			g.label = label;
		}
		gen_phase(&g, rate, cfg.run.duration_s, 0, 0, &st);
		append_trial(trials, &g, &st, rate, NULL);
		print_result(stdout, &g, &st, rate, -1, NULL);
	}
	write_cdf(cdf, &st.hist);
	exit_code = 0;
out_port:
	gen_port_fini(&g);
out_eal:
	rte_eal_cleanup();
	return exit_code;
}
