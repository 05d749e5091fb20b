/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stateless proxy and the backend prober on a worker (the glue between
 * dp_sip's dispatch and dataplane/proxy).
 *
 * dp_proxy_request() takes a parsed request that is neither a REGISTER nor an
 * OPTIONS to us: when it needs the location service (proxy_request_aor) it is
 * steered to the shard owning its AoR first (dp_egress_steer), where the
 * lookup (dp_reg_lookup) and proxy_request() run. dp_proxy_response() runs
 * proxy_response() on a parsed response. The proxy writes its output into
 * lc->reply (a per-lcore buffer, not the received mbuf, which the parsed
 * message points into) and dp_egress sends it: a forward to its routed port
 * and the neighbour's MAC (dp_egress_udp_to), a reply of ours back the way
 * the request came (dp_egress_udp_reply). Probe replies are noted with
 * lb_reply_note(); what the proxy drops is counted by reason in its counters
 * and once under PROXY_DROP.
 *
 * The prober is worker 0 (dp_proxy_probe, once per loop pass): it sends the
 * OPTIONS probes from our address and SIP port through dp_egress and publishes
 * the backend view in dp_shared. With a cluster, it probes only the sets the
 * control plane names in dp_shared `bsets` (their sharing tag is held here) and
 * takes the others' member states from there (replicated by the holder);
 * until the control plane has said, it probes none.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_PROXY_H
#define SIPSHARD_DATAPLANE_CORE_DP_PROXY_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

/* ---- worker lcore ---- */

/* A request for the proxy, parsed into lc->msg; m is consumed. */
void dp_proxy_request(struct dp_lcore *lc, struct rte_mbuf *m);

/* A response, parsed into lc->msg (the proxy is configured); m is consumed. */
void dp_proxy_response(struct dp_lcore *lc, struct rte_mbuf *m);

/* Worker 0, once per loop pass: the backend prober (lb_prober_poll), probes
 * sent through this lcore's TX queues. */
void dp_proxy_probe(struct dp_lcore *lc);

/* ---- main lcore, before launch ---- */

/* The lcore's proxy_worker with its shard's lookup (dp_reg_lookup). */
void dp_proxy_init(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_PROXY_H */
