/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry of SIP datagrams into the shard layer.
 *
 * dp_sip_input() receives every UDP datagram to the SIP port, on the lcore that
 * classified it or after it crossed a steering ring, and owns the mbuf from then
 * on. It parses the message once (sip_msg_parse: framing, header index, the
 * checks every message needs), counts it by method, response class or parser
 * verdict, and hands it to the service that handles it; what no service handles
 * yet is counted under SIP_UNHANDLED and freed, what the parser rejects under
 * SIP_INVALID (and sip_invalid by reason).
 */
#ifndef SIPSHARD_DATAPLANE_DP_SIP_H
#define SIPSHARD_DATAPLANE_DP_SIP_H

#include <rte_mbuf.h>

#include "dataplane/dp_types.h"

void dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m);

/* Answers a pending dp_shared query about this lcore's shard (contact counts, the
 * bindings of an AoR) into its query slot; cheap when there is none. Runs on the
 * shard's worker, once per loop pass: the shard's only reader-writer. */
void dp_sip_serve(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_DP_SIP_H */
