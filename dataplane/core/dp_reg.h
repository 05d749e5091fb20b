/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar and the location service on a worker's shard (the glue between
 * dp_sip's dispatch and dataplane/registrar).
 *
 * dp_reg_input() takes a parsed REGISTER (lc->msg, the mbuf's dp_pkt_info): it
 * computes the AoR key and its owning shard (reg_aor_key, reg_key_shard); a
 * REGISTER for another shard is steered to its worker (dp_egress_steer: one
 * writer per shard), one for this shard is applied (reg_shard_register) and
 * answered through dp_egress (dp_egress_sip_reply; a key error gets its error
 * reply, dp_egress_sip_error). dp_reg_lookup() is the proxy's location lookup
 * (proxy_lookup_fn) on the worker that owns the AoR: the binding of highest q,
 * most recent among equals, copied out of the shard, with its socket: the node
 * that received its REGISTER, whether the control plane's view has that node up
 * (dp_shared_node_find) and its SIP address (the replicated record's, else the
 * view's address with our sip.port). dp_reg_apply_poll() applies
 * what the cluster replicated (the control plane routes each record to the
 * shard owning its AoR: one writer per shard stays true). All run on the shard's
 * worker only.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_REG_H
#define SIPSHARD_DATAPLANE_CORE_DP_REG_H

#include <stddef.h>

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"
#include "dataplane/proxy/proxy_types.h"

/* ---- worker lcore ---- */

/* A REGISTER parsed into lc->msg; m is consumed. st: its stage, whose key
 * dp_reg_stage() computed in the burst's first stage, or NULL (computed here). */
void dp_reg_input(struct dp_lcore *lc, struct rte_mbuf *m, const struct dp_staged *st);

/* A burst's first stage for the REGISTER in lc->msg: its AoR key, hash and key
 * status into st (reg_aor_key()). True when this worker's shard will apply it:
 * its key is then worth a reg_shard_prefetch() before the burst is handled. */
bool dp_reg_stage(struct dp_lcore *lc, struct dp_staged *st);

/* Replicated records the control plane put on this shard's ring (DP_RING_APPLY,
 * struct reg_rec objects of the DP_REC_POOL pool): each applied to the shard
 * (reg_shard_apply: newer version wins, tombstones, remaining lifetime) and
 * returned to the pool. At most DP_MAX_BURST per call; returns how many. */
unsigned int dp_reg_apply_poll(struct dp_lcore *lc);

/* proxy_lookup_fn of a worker (arg: its struct dp_lcore): 1 with *out, 0 when the
 * AoR has no binding, or -errno. */
int dp_reg_lookup(void *arg, const char *aor, size_t len, struct proxy_binding *out);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_REG_H */
