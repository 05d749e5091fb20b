/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_telemetry commands of the dataplane (dpdk-telemetry.py, or any client of
 * the telemetry socket of the node's file prefix):
 *   /sipshard/status        node, workers, idle mode, ports with link and steering
 *   /sipshard/stats[,N]     counters and drops by reason, summed or of lcore N; summed,
 *                           also "replication" (published by the control plane)
 * Callbacks run on the telemetry thread and only read the per-lcore counters.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_TELEMETRY_H
#define SIPSHARD_DATAPLANE_CORE_DP_TELEMETRY_H

#include "dataplane/core/dp_types.h"

int dp_telemetry_init(struct dp_ctx *ctx);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_TELEMETRY_H */
