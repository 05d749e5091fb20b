/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Digest authentication of REGISTER on the workers (the checks: reg_auth.h).
 *
 * Where: dp_reg_input() calls dp_auth_register() on the AoR's owner worker,
 * after steering, so that every REGISTER of one AoR on this node meets the same
 * replay window. A source in auth.trusted is not challenged.
 *
 * Replies: no credentials, unusable credentials or a nonce not made by the
 * cluster get 401 with a fresh challenge (one WWW-Authenticate per algorithm);
 * an expired nonce 401 with stale=true; a replayed nonce-count 401 with a fresh
 * nonce; an unknown user or a wrong response 403 (the same answer, so that it
 * does not tell which users exist); a user other than the AoR's 403. A 401 is
 * never more than 3x the size of the request (reg_auth_challenge() drops the
 * second algorithm, then answers nothing: SIP_REPLY_TOO_BIG). Every verdict is
 * counted (auth_* counters of `sipshardctl stats`).
 *
 * The subscribers table is swapped by pointer, RCU-style: the reload thread
 * (a plain pthread of sipshard-dp, never a worker) reads the file, publishes
 * the new table with a release store, waits with rte_rcu_qsbr until every
 * worker has passed a quiescent state (the top of its loop), then frees the
 * old one. Workers take the pointer once per REGISTER with an acquire load: no
 * lock on the fast path. The control plane asks for a reload through
 * dp_shared.auth_req (`sipshardctl auth reload`).
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_AUTH_H
#define SIPSHARD_DATAPLANE_CORE_DP_AUTH_H

#include <stdbool.h>

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"
#include "dataplane/registrar/reg_types.h"

/* ---- primary, main thread ---- */

/* Loads auth.subscribers_file, derives the nonce secret, gives each worker its
 * replay window; nothing when auth is off. 0 or -errno (logged). */
int dp_auth_create(struct dp_ctx *ctx);
/* Starts the reload thread (after the workers were launched). */
int dp_auth_start(struct dp_ctx *ctx);
/* Stops the thread and frees everything (after the workers stopped). */
void dp_auth_free(struct dp_ctx *ctx);

/* ---- worker lcore ---- */

/* Top of each loop pass: a quiescent state for the table swap. */
void dp_auth_quiescent(struct dp_lcore *lc);

/* A request other than REGISTER that the proxy is about to handle: when its
 * method is in auth.methods, it starts a dialog or stands alone (no To tag),
 * and its source is not exempt (dp_source_exempt: auth.trusted, backend
 * members, static peers, allowed destinations), its Proxy-Authorization must
 * check against the From user (RFC 3261 §22.3): else 407 with a challenge (no
 * or stale credentials), or 403. True when it was answered (or dropped) here. */
bool dp_auth_request(struct dp_lcore *lc, struct rte_mbuf *m);

/* REGISTER m of AoR key on its owner worker: true when it was answered (or
 * dropped) here, false when the registrar goes on with it; *authed then says
 * whether its source is authenticated (valid credentials, or auth.trusted),
 * false whenever auth is off. */
bool dp_auth_register(struct dp_lcore *lc, struct rte_mbuf *m, const struct reg_key *key,
		      bool *authed);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_AUTH_H */
