/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TX batching of one lcore: packets to send (in-place replies, SIP replies,
 * forwarded messages, control-plane frames) wait in the lcore's per-port array
 * and leave in bursts on the lcore's own TX queue of that port (queue i for
 * worker i, the control queue for the control lcore), when a burst is full or at
 * dp_tx_flush(), which the loop calls after each stage. What the queue refuses is
 * freed and counted TX_FULL. Only the owning lcore touches its arrays.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_TX_H
#define SIPSHARD_DATAPLANE_CORE_DP_TX_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

/* Queue m for port port_idx (index into ctx->ports). */
void dp_tx(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf *m);

/* Send what waits, on every port. */
void dp_tx_flush(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_TX_H */
