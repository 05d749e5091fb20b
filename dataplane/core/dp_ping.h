/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT keepalive pinging of the registered contacts (registrar.nat_ping), on each
 * worker over its own shard: docs/cluster.md "Partitioned pinging".
 *
 * Schedule. A contact's moment in the interval is its AoR's digest bucket:
 * bucket b is due at wall-clock time t with (t mod interval) = b * interval /
 * 4096. The bucket depends on the AoR only and the clock is the wall clock, so
 * every node computes the same moment for a contact, and pings are spread
 * evenly over the interval (no bursts). Each poll visits the buckets whose
 * moment passed since the last poll (at most DP_PING_BUCKETS_PER_POLL).
 *
 * Share. At its moment, the contact is pinged by exactly one node:
 *   cooperation: the node of highest rendezvous hash sip_hash64(ident, node id)
 *     among this node and the peers that are up with registrations synced (the
 *     control plane's node view, re-read every DP_PING_VIEW_MS);
 *   ownership: the holder of the binding's sharing tag (untagged bindings: the
 *     default tag, flagged in the view; none while it is not known), from the
 *     tag view.
 * A node that joins the set does so at the next interval boundary (the others
 * switch at the same wall-clock moment). A node that leaves it (declared down)
 * is left at once, and its share of the contacts whose moment fell since it was
 * last heard (the control plane's heard_wall_ms, less DP_PING_SKEW_MS for the
 * clocks and its lag; not known: node_timeout_ms + DP_PING_CATCHUP_SLACK_MS
 * before it was noticed) is pinged at once, late: nobody misses a ping; a
 * contact whose moment fell between the dead node's last message and its death
 * (less than a heartbeat interval, plus DP_PING_SKEW_MS) may get two.
 * A node pings nothing until its own registrations are synced. Ownership mode:
 * a tag that comes to this node from a holder that left the view (or from
 * nobody) is caught up the same way, from when the old holder was last heard.
 *
 * Neighbour misses. A ping dropped because the next hop's MAC is not known yet
 * (ARP asked) marks its binding (REG_B_PING_RETRY); the bucket range is walked
 * again DP_PING_RETRY_MS later (x4 per try, DP_PING_RETRY_TRIES tries), sending
 * only the marked bindings that are still ours.
 *
 * Replies. An OPTIONS ping's branch is z9hG4bK-ssnp-NODE-SHARD-BINDING-IDENT; a
 * reply is steered to that shard, which clears the binding's unanswered count
 * (reg_shard_ping_reply). max_failures unanswered pings in a row remove it.
 * Owner: the worker of the shard; no allocation on the path.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_PING_H
#define SIPSHARD_DATAPLANE_CORE_DP_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>


#include "dataplane/core/dp_ping_types.h"
#include "dataplane/registrar/reg_digest_types.h"
#include "config/cfg_types.h"

struct dp_lcore;

/* From the configuration (off when registrar.nat_ping is absent). */
void dp_ping_init(struct dp_lcore *lc);

/* Worker loop: the buckets that are due. Returns the pings sent. */
unsigned int dp_ping_poll(struct dp_lcore *lc);

/* Pure, for the tests: the wall-clock ms from which a node that left the view
 * may have stopped pinging: HEARD (when it was last heard; 0: not known) less
 * DP_PING_SKEW_MS, never before WALL - (GRACE_MS + DP_PING_CATCHUP_SLACK_MS)
 * (what is assumed when HEARD is not known) nor after WALL. */
uint64_t dp_ping_left_at(uint64_t heard, uint64_t wall, uint32_t grace_ms);

/* Pure, for the tests: the wall-clock ms at which bucket BUCKET of interval CYCLE
 * is due (the contacts of a bucket are pinged at that moment of each interval). */
static inline uint64_t
dp_ping_due_ms(uint32_t interval_ms, uint64_t cycle, uint32_t bucket)
{
	return cycle * interval_ms + (uint64_t)bucket * interval_ms / REG_DIGEST_BUCKETS;
}

/* Pure, for the tests: who pings the contacts of tag T due at DUE_MS (ownership
 * mode). In a handover (tag set-active, preempt: a claim from a live holder)
 * the old holder until the switch moment, the new one from then on: every node
 * decides alike, by the wall clock, whenever its view learnt of the claim. */
uint16_t dp_ping_owner_at(const struct dp_ping_tag *t, uint64_t due_ms);

/* A response whose top Via branch is ours (DP_PING_BRANCH_PREFIX): true when it
 * was a ping reply (m consumed: applied here, or steered to its shard). */
bool dp_ping_response(struct dp_lcore *lc, struct rte_mbuf *m);

/* What `sipshardctl pinging` and /sipshard/pinging show, summed over the
 * shards: the share of each node in the last complete interval (the contacts
 * whose moment fell in it, by the node this node's view chose for each) and the
 * registrar's ping counters. */
struct dp_ping_summary {
	bool on;                        /* registrar.nat_ping configured */
	uint8_t mode;                   /* enum cfg_ping_mode */
	uint8_t method;                 /* enum cfg_ping_method */
	uint32_t interval_s;
	uint16_t n;
	uint16_t id[DP_PING_MAX_NODES]; /* ascending */
	uint64_t count[DP_PING_MAX_NODES];
	uint64_t sent, answered, failed, removed, others;
	uint64_t retried, retry_lost;      /* pings sent again after a neighbour miss; given up */
};

/* Any thread (the control plane, telemetry): read the N_WORKERS workers of
 * LCORES racily, as counters are read (a value one interval old at most). */
void dp_ping_summary(const struct cfg *cfg, struct dp_lcore *const *lcores,
		     unsigned int n_workers, struct dp_ping_summary *out);

const char *dp_ping_mode_name(unsigned int mode);        /* "cooperation", "ownership" */

/* The OPTIONS ping of T, from ME:SPORT (node NODE, shard SHARD, Call-ID
 * sequence SEQ), into out: its length, or -1 when it does not fit. */
struct reg_ping_target;
int dp_ping_text(char *out, size_t cap, const struct reg_ping_target *t, const char *me,
		 uint16_t sport, uint16_t node, unsigned int shard, uint64_t seq);

/* The rendezvous choice among SET (N ids) for a contact identity: pure. */
uint16_t dp_ping_rendezvous(uint64_t ident, const uint16_t *set, unsigned int n);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_PING_H */
