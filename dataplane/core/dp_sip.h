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
 *
 * A worker's receive burst goes through in stages (dp_worker_rx_burst()):
 * dp_sip_parse() of every datagram into a struct dp_staged slot (a REGISTER for the
 * registrar also keyed, dp_reg_stage()), one prefetch of the shard for all the
 * burst's REGISTERs (reg_shard_prefetch()), then dp_sip_handle() of each, in
 * the order received. dp_sip_input() is the two in one, for a datagram handled
 * as it comes.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_SIP_H
#define SIPSHARD_DATAPLANE_CORE_DP_SIP_H

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

void dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m);

/* Stage 1: the rate limit, then the parse into lc->msg. 1: dropped by the rate
 * limit (m consumed); else the parser's verdict (0 or -SIP_ERR_*) for
 * dp_sip_handle(), which answers a failure in its turn: answers leave in the
 * order the datagrams came. */
int dp_sip_parse(struct dp_lcore *lc, struct rte_mbuf *m);

/* Stage 3: count and hand on the message dp_sip_parse() put in lc->msg, rc its
 * verdict (a request that failed gets its 400/505 when it has a usable Via);
 * st: its stage when it went through one (a REGISTER's key is then taken from
 * it), or NULL. m is consumed. */
void dp_sip_handle(struct dp_lcore *lc, struct rte_mbuf *m, const struct dp_staged *st, int rc);

/* A worker's SIP datagram (classified, dp_pkt_info filled) into the burst's next
 * stage slot: parsed, a REGISTER keyed. One in pieces is linearised into
 * lc->scratch, which the next would overwrite: the slots so far are handled
 * first, then it as it comes (dp_sip_input()); a full stage is handled too. */
void dp_sip_stage_add(struct dp_lcore *lc, struct rte_mbuf *m);

/* The staged datagrams: one reg_shard_prefetch() for the REGISTERs this worker's
 * shard applies, then each handled (dp_sip_handle()) in the order received.
 * Leaves lc->msg at lc->msg_direct and the stage empty. */
void dp_sip_stage_run(struct dp_lcore *lc);

/* Answers a pending dp_shared query about this lcore's shard (contact counts, the
 * bindings of an AoR, a sync dump) into its query slot; cheap when there is none.
 * Runs on the shard's worker, once per loop pass: the shard's only reader-writer.
 * Returns 1 when it answered one (work: the asker may have more, e.g. the next
 * chunk of a full sync, so the worker does not back off into sleeping), else 0. */
unsigned int dp_sip_serve(struct dp_lcore *lc);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_SIP_H */
