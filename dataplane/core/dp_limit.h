/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flood protection: a token bucket per source address in each worker (the
 * anchors' pike), `limits: {per_source_pps, burst, block_s}`.
 *
 * Algorithm. Every SIP datagram is charged to its source address (IPv4 or
 * IPv6, any port) by the lcore that received it, before it is parsed. A
 * bucket holds at most `burst` packets and refills at `per_source_pps`; a
 * packet that finds it empty blocks the source for `block_s` seconds: its
 * packets are dropped (RATE_LIMITED) and counted on its entry until then,
 * and the bucket starts full again after. Sources that never block: backend
 * members, static cluster peers, auth.trusted (checked only when a source
 * first runs dry, then remembered on the entry).
 *
 * Table: DP_LIMIT_SETS sets of DP_LIMIT_WAYS entries per worker, set chosen by
 * a hash of the address. A new source takes the way seen longest ago that is
 * not blocked; when every way of the set is blocked it is not tracked (not
 * limited): a flood from many addresses can fill a set, which bounds memory,
 * not the number of sources (docs/security.md). RSS spreads one source's
 * flows over workers by port, so a source may get up to `workers` buckets.
 *
 * Writers and readers: each table is written only by its worker (plain
 * stores); `sipshardctl limits` (the control plane) reads the entries through
 * dp_shared.lcores and accepts a torn entry now and then (it only lists).
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_LIMIT_H
#define SIPSHARD_DATAPLANE_CORE_DP_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

#define DP_LIMIT_WAYS   4
#define DP_LIMIT_SETS   1024            /* power of 2 */

struct dp_limit_ent {
	uint8_t addr[16];               /* IPv4 in the first 4 bytes */
	uint8_t family;                 /* 0: empty */
	uint8_t exempt;                 /* never limited (backend, peer, trusted) */
	uint16_t pad;
	uint32_t tokens;                /* thousandths of a packet */
	uint64_t last_ms;               /* last refill (and last seen) */
	uint64_t until_ms;              /* blocked until (0: not blocked) */
	uint64_t dropped;               /* packets dropped while blocked, ever */
};

struct dp_limit {
	uint32_t pps;
	uint32_t burst;
	uint32_t block_ms;
	uint32_t pad;
	struct dp_limit_ent ent[DP_LIMIT_SETS * DP_LIMIT_WAYS];
};

/* ---- primary, main thread ---- */

/* A table per worker when `limits` is configured. 0 or -ENOMEM. */
int dp_limit_create(struct dp_ctx *ctx);
void dp_limit_free(struct dp_ctx *ctx);

/* ---- worker lcore ---- */

/* Charge one SIP datagram of m's source: true when it must be dropped (counted
 * RATE_LIMITED by the caller). */
bool dp_limit_over(struct dp_lcore *lc, struct rte_mbuf *m);

/* A source never limited nor challenged (auth.methods other than REGISTER): a
 * backend member, a static peer or an allowed destination (any port), an
 * auth.trusted prefix. */
bool dp_source_exempt(const struct dp_lcore *lc, const struct dp_pkt_info *info);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_LIMIT_H */
