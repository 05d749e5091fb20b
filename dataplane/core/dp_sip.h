/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry of SIP datagrams into the shard layer: parse once, count, dispatch.
 *
 * dp_sip_input() receives every UDP datagram to the SIP port, on the lcore that
 * classified it or after it crossed a steering ring, and owns the mbuf from then
 * on. It parses the message once (sip_msg_parse: framing, header index, the
 * checks every message needs), counts it by method, response class or parser
 * verdict, and hands it to the service that handles it: REGISTER to the
 * registrar (dp_reg, which steers it to the owning shard), OPTIONS to us
 * answered 200, every other request and every response to the stateless proxy
 * (dp_proxy). Replies, forwards and probes leave through dp_egress. Without a
 * proxy configuration non-REGISTER requests and responses are SIP_UNHANDLED;
 * what the parser rejects is counted under SIP_INVALID (and sip_invalid by
 * reason), and a rejected request gets its 400/505 when it has a usable Via.
 * dp_sip_serve() answers the shard queries of dp_shared on the shard's worker.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_SIP_H
#define SIPSHARD_DATAPLANE_CORE_DP_SIP_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

void dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m);

/* Answers a pending dp_shared query about this lcore's shard (contact counts, the
 * bindings of an AoR, a sync dump) into its query slot; cheap when there is none.
 * Runs on the shard's worker, once per loop pass: the shard's only reader-writer.
 * Returns 1 when it answered one (work: the asker may have more, e.g. the next
 * chunk of a full sync, so the worker does not back off into sleeping), else 0. */
unsigned int dp_sip_serve(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_SIP_H */
