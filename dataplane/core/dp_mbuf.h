/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The private area of every packet mbuf (DP_MBUF_PRIV_SIZE bytes, set when the
 * pool is created). A received SIP or cluster packet carries its struct
 * dp_pkt_info there (written by dp_pkt on the lcore that classified it, read by
 * whoever the mbuf is handed to: another lcore over a steering ring, the control
 * plane over ss_to_cp). A datagram the control plane sends carries its struct
 * dp_egress_desc there instead (written by sipshard-cp, read by the control
 * lcore's dp_egress). Only the current owner of the mbuf touches it. A leaf
 * header: any module may include it without creating an include cycle.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_MBUF_H
#define SIPSHARD_DATAPLANE_CORE_DP_MBUF_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

/* Private area size every packet mbuf pool must have. */
#define DP_MBUF_PRIV_SIZE \
	RTE_ALIGN(sizeof(struct dp_pkt_info) > sizeof(struct dp_egress_desc) ? \
		  sizeof(struct dp_pkt_info) : sizeof(struct dp_egress_desc), RTE_MBUF_PRIV_ALIGN)

static inline struct dp_pkt_info *
dp_pkt_info_of(struct rte_mbuf *m)
{
	return (struct dp_pkt_info *)rte_mbuf_to_priv(m);
}

static inline struct dp_egress_desc *
dp_egress_desc_of(struct rte_mbuf *m)
{
	return (struct dp_egress_desc *)rte_mbuf_to_priv(m);
}

#endif /* SIPSHARD_DATAPLANE_CORE_DP_MBUF_H */
