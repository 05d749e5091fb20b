/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore TX batching on the lcore's own queue of each port. See dp_tx.h. */
#include <rte_ethdev.h>

#include "dataplane/core/dp_tx.h"

/* ---- worker lcore ---- */

static void
tx_flush(struct dp_lcore *lc, const struct dp_port *p, struct rte_mbuf **tx, uint16_t n)
{
	uint16_t sent, i;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		bytes += tx[i]->pkt_len;
	sent = rte_eth_tx_burst(p->port_id, lc->queue, tx, n);
	for (i = sent; i < n; i++) {
		bytes -= tx[i]->pkt_len;
		rte_pktmbuf_free(tx[i]);
	}
	DP_STAT_ADD(&lc->stats, tx_pkts, sent);
	DP_STAT_ADD(&lc->stats, tx_bytes, bytes);
	lc->stats.drop[DP_DROP_TX_FULL] += (uint64_t)(n - sent);
}

void
dp_tx(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf *m)
{
	if (lc->n_tx[port_idx] == DP_MAX_BURST) {
		tx_flush(lc, &lc->ctx->ports[port_idx], lc->tx[port_idx], DP_MAX_BURST);
		lc->n_tx[port_idx] = 0;
	}
	lc->tx[port_idx][lc->n_tx[port_idx]++] = m;
}

void
dp_tx_flush(struct dp_lcore *lc)
{
	uint16_t pi;

	for (pi = 0; pi < lc->ctx->n_ports; pi++) {
		if (lc->n_tx[pi] != 0) {
			tx_flush(lc, &lc->ctx->ports[pi], lc->tx[pi], lc->n_tx[pi]);
			lc->n_tx[pi] = 0;
		}
	}
}
