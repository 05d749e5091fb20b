/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generator loop of sipshard-gen: one lcore sends, receives, matches and
 * times out, on one port with one RX and one TX queue.
 *
 * Requests are numbered by a 64-bit sequence k that never restarts in a process
 * (trials of a search continue it, so a late reply of a previous trial can never
 * be taken for a current one). Everything a request carries derives from k (user
 * k mod aors, Call-ID, CSeq, tag), so the in-flight table only keeps k+1 and the
 * send time: slot k & mask, checked against the k+1 stored there. A reply is
 * matched by the k in its Via branch and verified by its Call-ID, CSeq number and
 * method; anything else is counted "unexpected", a reply for a k no longer in
 * flight "late". Timeouts: k is sent in increasing order, so a cursor walking from
 * the oldest k expires requests in order, O(1) amortised; the window (k - cursor)
 * never exceeds the table. Rate: the number due at time t is rate * (t - t0),
 * sent in bursts; 0 means "as fast as the window allows" (closed loop). Idle:
 * adaptive sleeps (1 us doubling to 200 us, 20 us while requests are in flight,
 * never past the next send time) after 64 empty passes.
 * One writer for everything here: the generator's lcore (the main lcore).
 */
#ifndef SIPSHARD_PERF_GEN_RUN_H
#define SIPSHARD_PERF_GEN_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "perf/gen_cfg.h"
#include "perf/gen_hist.h"
#include "perf/gen_sip.h"

struct rte_mempool;

struct gen_stats {
	uint64_t scheduled;             /* requests due at the offered rate */
	uint64_t sent;
	uint64_t replies;               /* matched final responses (or reflected requests) */
	uint64_t ok;                    /* 2xx, or reflected requests */
	uint64_t err;                   /* 3xx..6xx */
	uint64_t cls[7];                /* matched responses by class, 1xx..6xx */
	uint64_t provisional;           /* matched 1xx (the request stays in flight) */
	uint64_t timeouts;
	uint64_t unexpected;            /* not ours, unreadable, or Call-ID/CSeq mismatch */
	uint64_t late;                  /* ours, but no longer in flight */
	uint64_t requests_in;           /* SIP requests received (not in reflect mode) */
	uint64_t tx_full;               /* bursts the TX queue did not take whole */
	uint64_t rx_pkts;
	uint64_t rx_other;              /* frames that are not SIP for us (ARP excluded) */
	uint64_t arp_replies;           /* ARP requests for our address answered */
	uint64_t t_start, t_end;        /* TSC of the sending period */
	uint64_t t_drained;             /* TSC when the last request was answered or expired */
	bool paced;                     /* fixed rate (else window-limited) */
	double nominal_s;               /* the duration the phase should have taken */
	struct gen_hist hist;
};

struct gen_slot {
	uint64_t seq1;                  /* k + 1 while k is in flight, else 0 */
	uint64_t tsc;
};

struct gen_ctx {
	const struct gen_cfg *cfg;
	uint16_t port_id;
	struct rte_mempool *pool;
	struct gen_net net;
	struct gen_tpl tpl;
	uint32_t runid;
	char callid_suffix[64];
	size_t suffix_len;
	uint64_t hz;

	struct gen_slot *table;
	uint64_t mask;
	uint64_t next_seq;              /* k of the next request */
	uint64_t cursor;                /* oldest k possibly in flight */
	uint64_t outstanding;
	uint64_t window;                /* in-flight limit of the current phase */
	uint64_t fail_limit;            /* stop sending after more timeouts + errors (0: never) */

	bool mac_resolved;
	volatile bool *stop;            /* SIGINT: stop sending, drain */
	volatile bool *abort;           /* second SIGINT: stop at once */
	bool progress;
	const char *label;              /* progress line prefix */
	struct gen_hist sec;            /* latencies of the current second */
};

/* Port, pool, table and template (after gen_port_init and ARP). 0 or -errno. */
int gen_port_init(struct gen_ctx *g);
void gen_port_fini(struct gen_ctx *g);
/* Resolve the target's MAC by ARP when the config gives none. 0 or -ETIMEDOUT. */
int gen_arp_resolve(struct gen_ctx *g);
int gen_ctx_prepare(struct gen_ctx *g);

/* One phase: RATE * DURATION_S requests paced at RATE (0: as many as a window of
 * WINDOW requests in flight allows in DURATION_S; WINDOW 0: run.max_in_flight),
 * at most MAX_REQ (0: no limit), then wait for the replies (at most the timeout). */
void gen_phase(struct gen_ctx *g, uint64_t rate, double duration_s, uint64_t max_req,
	       uint32_t window, struct gen_stats *st);

/* Derived figures of a phase. */
double gen_stats_duration(const struct gen_ctx *g, const struct gen_stats *st);
double gen_stats_loss(const struct gen_stats *st);
double gen_stats_shortfall(const struct gen_stats *st);
double gen_stats_rate(const struct gen_ctx *g, const struct gen_stats *st);

#endif /* SIPSHARD_PERF_GEN_RUN_H */
