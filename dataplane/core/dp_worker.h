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
 * only syscall is the adaptive idle sleep when nothing arrived.
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

/* Adaptive idle: called after a pass that found no work. */
void dp_worker_idle(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_WORKER_H */
