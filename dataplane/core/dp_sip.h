/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry of SIP datagrams into the shard layer.
 *
 * dp_sip_input() receives every UDP datagram to the SIP port, on the lcore that
 * classified it or after it crossed a steering ring, and owns the mbuf from then
 * on. It parses the message once (sip_msg_parse: framing, header index, the
 * checks every message needs), counts it by method, response class or parser
 * verdict, and hands it to the service that handles it: REGISTER to the
 * registrar on the owning shard, OPTIONS to us answered 200, every other
 * request and every response to the stateless proxy (proxy_req.h). A request
 * whose AoR needs the location service is steered to the owning shard first
 * (dp_steer_send, like a REGISTER), where the lookup (reg_shard_lookup: the
 * binding of highest q, most recent among equals) and proxy_request() run.
 * The proxy writes its output into lc->reply (a per-lcore buffer, not the
 * received mbuf, which the parsed message points into); dp_egress copies it
 * behind fresh L2-L4 headers into the received mbuf when it fits its first
 * segment, else into a new mbuf, and resolves destination MACs (a miss sends
 * ARP and drops the packet, NEIGH_MISS). Probe replies are noted with lb_reply_note(); what the proxy
 * drops is counted by reason in its counters and once under PROXY_DROP. Without
 * a proxy configuration non-REGISTER requests and responses are SIP_UNHANDLED;
 * what the parser rejects is counted under SIP_INVALID (and sip_invalid by
 * reason).
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_SIP_H
#define SIPSHARD_DATAPLANE_CORE_DP_SIP_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

void dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m);

/* Answers a pending dp_shared query about this lcore's shard (contact counts, the
 * bindings of an AoR) into its query slot; cheap when there is none. Runs on the
 * shard's worker, once per loop pass: the shard's only reader-writer. */
void dp_sip_serve(struct dp_lcore *lc);

/* Worker 0, once per loop pass: the backend prober (lb_prober_poll), probes
 * sent through this lcore's TX queues. */
void dp_sip_probe(struct dp_lcore *lc);

/* Main lcore, before launch: the lcore's proxy_worker with its shard's lookup. */
void dp_sip_proxy_init(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_SIP_H */
