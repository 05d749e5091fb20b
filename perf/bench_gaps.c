/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The machine's own floor under every latency tail (perf/run.sh gaps, and
 * inside perf/run.sh wire): one thread pinned to each given CPU reads the TSC in
 * a tight loop, as a polling worker and the generator do, for the same time, and
 * notes every gap between two consecutive reads, i.e. every moment the thread did
 * not run: timer interrupts, other tasks, and on a virtual machine the hypervisor
 * taking the vCPU away. No packet waits less than the gap it arrives in, so on a
 * machine whose gaps reach milliseconds no p999 can be microseconds, whatever
 * the program. Reported per CPU and for the worst CPU: gaps over 10 us, 100 us
 * and 1 ms (per second), the longest gap, the share of the time lost in gaps
 * over 2 us.
 *
 *   bench_gaps [-s SECONDS] CPU [CPU...]
 *
 * stdout: one JSON line; stderr: a short table.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#define GAPS_MAX_CPUS 8

struct gaps_cpu {
	int cpu;
	double secs;
	double hz;
	uint64_t over_10us, over_100us, over_1ms;
	uint64_t max_cycles, lost_cycles;
	int err;
};

static pthread_barrier_t start_line;

static double
mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* TSC ticks per second, against CLOCK_MONOTONIC over 200 ms. */
static double
tsc_hz(void)
{
	double t0 = mono_s(), t1;
	uint64_t c0 = rte_rdtsc(), c1;

	do
		t1 = mono_s();
	while (t1 - t0 < 0.2);
	c1 = rte_rdtsc();
	return (double)(c1 - c0) / (t1 - t0);
}

static void *
spin(void *arg)
{
	struct gaps_cpu *g = arg;
	uint64_t c10 = (uint64_t)(g->hz / 1e5), c100 = (uint64_t)(g->hz / 1e4);
	uint64_t c1ms = (uint64_t)(g->hz / 1e3), c2 = (uint64_t)(g->hz / 5e5);
	uint64_t prev, end, now, d;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(g->cpu, &set);
	g->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(&start_line);
	if (g->err != 0)
		return NULL;
	prev = rte_rdtsc();
	end = prev + (uint64_t)(g->secs * g->hz);
	do {
		now = rte_rdtsc();
		d = now - prev;
		prev = now;
		if (d > c2) {
			g->lost_cycles += d;
			if (d > g->max_cycles)
				g->max_cycles = d;
			g->over_10us += d > c10;
			g->over_100us += d > c100;
			g->over_1ms += d > c1ms;
		}
	} while (now < end);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct gaps_cpu g[GAPS_MAX_CPUS];
	pthread_t th[GAPS_MAX_CPUS];
	double secs = 5, hz;
	int opt, n = 0, i, worst = 0;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's' || (secs = atof(optarg)) <= 0 || secs > 3600) {
			fprintf(stderr, "usage: bench_gaps [-s SECONDS] CPU [CPU...]\n");
			return 2;
		}
	}
	if (optind >= argc || argc - optind > GAPS_MAX_CPUS) {
		fprintf(stderr, "usage: bench_gaps [-s SECONDS] CPU [CPU...] (1 to %d CPUs)\n",
			GAPS_MAX_CPUS);
		return 2;
	}
	hz = tsc_hz();
	memset(g, 0, sizeof(g));
	pthread_barrier_init(&start_line, NULL, (unsigned)(argc - optind));
	for (i = optind; i < argc; i++, n++) {
		g[n].cpu = atoi(argv[i]);
		g[n].secs = secs;
		g[n].hz = hz;
	}
	for (i = 0; i < n; i++) {
		if (pthread_create(&th[i], NULL, spin, &g[i]) != 0) {
			fprintf(stderr, "bench_gaps: cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < n; i++) {
		if (g[i].err != 0) {
			fprintf(stderr, "bench_gaps: cannot pin a thread to CPU %d: %s\n", g[i].cpu,
				strerror(g[i].err));
			return 1;
		}
		if (g[i].max_cycles > g[worst].max_cycles)
			worst = i;
	}
	fprintf(stderr, "%-4s %12s %12s %12s %10s %10s\n", "cpu", ">10us /s", ">100us /s",
		">1ms /s", "max us", "lost");
	for (i = 0; i < n; i++)
		fprintf(stderr, "%-4d %12.1f %12.2f %12.2f %10.0f %9.2f%%\n", g[i].cpu,
			(double)g[i].over_10us / secs, (double)g[i].over_100us / secs,
			(double)g[i].over_1ms / secs, (double)g[i].max_cycles / hz * 1e6,
			100.0 * (double)g[i].lost_cycles / (secs * hz));
	printf("{\"bench\":\"gaps\",\"seconds\":%.1f,\"cpus\":\"", secs);
	for (i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", g[i].cpu);
	printf("\",\"gap_max_us\":%.0f,\"gaps_over_1ms_per_s\":%.2f,"
	       "\"gaps_over_100us_per_s\":%.2f,\"gaps_over_10us_per_s\":%.1f,\"lost_share\":%.4f",
	       (double)g[worst].max_cycles / hz * 1e6, (double)g[worst].over_1ms / secs,
	       (double)g[worst].over_100us / secs, (double)g[worst].over_10us / secs,
	       (double)g[worst].lost_cycles / (secs * hz));
	for (i = 0; i < n; i++)
		printf(",\"cpu%d_gap_max_us\":%.0f,\"cpu%d_gaps_over_1ms\":%lu", g[i].cpu,
		       (double)g[i].max_cycles / hz * 1e6, g[i].cpu, (unsigned long)g[i].over_1ms);
	printf(",\"tsc_hz\":%.0f}\n", hz);
	return 0;
}
