/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry of SIP datagrams into the shard layer.
 *
 * dp_sip_input() receives every UDP datagram to the SIP port, on the lcore that
 * classified it or after it crossed a steering ring, and owns the mbuf from then
 * on. Until the SIP services (parser, registrar, proxy) are wired in, it counts
 * the datagram under SIP_UNHANDLED and frees it.
 */
#ifndef SIPSHARD_DATAPLANE_DP_SIP_H
#define SIPSHARD_DATAPLANE_DP_SIP_H

#include <rte_mbuf.h>

#include "dataplane/dp_types.h"

void dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m);

#endif /* SIPSHARD_DATAPLANE_DP_SIP_H */
