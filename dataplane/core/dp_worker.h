/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet loop of a worker lcore (and of the control lcore).
 *
 * Each pass: receive a burst from the lcore's queue on every port, classify each
 * packet (dp_pkt), queue the in-place replies (dp_egress), hand SIP datagrams to
 * the shard layer (dp_sip) or to the owning lcore, hand cluster packets to the
 * control plane, share learnt ARP replies with the other lcores; flush (one TX
 * burst per port, one ring burst per destination lcore); then drain the rings
 * from the other lcores (and on the control lcore ss_from_cp_hi, then ss_from_cp:
 * topology messages before replication, whose datagrams
 * dp_egress builds and sends), flush again, and expire reassembly state. No allocation, syscall, lock or log on this path; the
 * only syscall is the adaptive idle sleep after a long silence. Each pass records
 * the longest run of every stage (struct dp_stall, /sipshard/stalls).
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_WORKER_H
#define SIPSHARD_DATAPLANE_CORE_DP_WORKER_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

/* lcore entry point (rte_eal_remote_launch); arg is the struct dp_lcore. */
int dp_worker_main(void *arg);

/* Handles one received burst (also used by tests on crafted mbufs). */
void dp_worker_rx_burst(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf **pkts,
			uint16_t n, uint64_t now_tsc);

/* Adaptive idle (dataplane.idle: adaptive), by the time since the last pass
 * that found work: plain polls for DP_IDLE_POLL_US, then polls after a
 * sched_yield() (immediate when the CPU is the worker's alone) up to
 * DP_IDLE_PAUSE_US, then sleeps of DP_IDLE_SLEEP_MIN_US doubling up to
 * DP_IDLE_SLEEP_MAX_US (the most a packet after a long silence waits). The first
 * pass with work goes back to plain polling. Traffic with gaps shorter than
 * DP_IDLE_PAUSE_US never sleeps. The control lcore (cluster and neighbour
 * traffic only) goes to the short sleeps at once. */
#define DP_IDLE_POLL_US       50u
#define DP_IDLE_PAUSE_US      1000u
#define DP_IDLE_SLEEP_MIN_US  4u
#define DP_IDLE_SLEEP_MAX_US  100u
#define DP_IDLE_CTL_SLEEP_US  500u
#define DP_IDLE_POLL          0u    /* dp_idle_step(): poll again now */
#define DP_IDLE_PAUSE         1u    /* ... yield the CPU then poll; >= 2: sleep that many us */

/* One back-off decision after idle_cycles of TSC without work; *sleep_us is the
 * last sleep (0: none yet since the last work). */
uint32_t dp_idle_step(uint64_t idle_cycles, uint64_t tsc_hz, uint32_t *sleep_us);

/* Called after a pass that found no work, at now_tsc. */
void dp_worker_idle(struct dp_lcore *lc, uint64_t now_tsc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_WORKER_H */
