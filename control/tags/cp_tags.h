/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sharing tags with terms: who holds each tag, the rules every node applies to
 * claims, and the history of transitions. Pure: the cp event loop feeds it the
 * configuration, the claims and tables heard from peers, which peers are up, and
 * the clock; it answers what to send (claims) and what this node holds.
 *
 * A tag NAME/CLUSTER is held by at most one node: `owner`, under a `term`. Every
 * claim carries (term, priority, owner); of two claims the higher term wins, then
 * the higher priority, then the lower node id (cp_tags_better()). Every node
 * keeps the best claim it has heard, so whatever the order in which claims and
 * tables arrive, all nodes that hear each other end with the same holder: two
 * concurrent claims, or a partition healed after each side claimed, end with
 * exactly one active node. A node claims with a term above every term it has
 * seen (cp_tags_claim()), so a claim made after hearing another beats it.
 *
 * When a node claims:
 *   - `tag set-active` (reason command): at once;
 *   - configured `state: active` (reason config), once it has learned the
 *     cluster's tags (the capability "tags" is synced: a table from every peer
 *     that is up, or nobody heard for the alone time) and nobody holds the tag;
 *   - `failover: auto` (reason failover): when the holder is not up (declared
 *     down, or unknown at sync), nothing came from it for grace_ms (a table or a
 *     claim from it proves it alive even before the topology says up again) and
 *     it has been the holder for grace_ms (a holder learned from a third node's
 *     table after a heal is not yet up in this node's view),
 *     and this node is the best candidate among the up nodes that declared
 *     themselves candidates (priority, then lower node id);
 *   - `preempt: true` (reason preempt): when another node holds the tag with a
 *     lower priority than this node's, grace_ms after this node synced
 *     (cp_tags_preempt()): a node of higher priority takes its tag back when it
 *     comes back.
 *     Every node computes the same best candidate from the same view; if views
 *     differ, terms settle it.
 * A node that hears a better claim than the one it holds steps down at once.
 *
 * History: the last CP_TAGS_HISTORY transitions (holder or term changed) with
 * the wall-clock time, the term, the new holder and the reason.
 * Single thread: the cp event loop. No allocation, no I/O.
 */
#ifndef SIPSHARD_CONTROL_TAGS_CP_TAGS_H
#define SIPSHARD_CONTROL_TAGS_CP_TAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg_types.h"
#include "proto/msg_types.h"

#define CP_TAGS_MAX        32      /* tags known (configured here or heard of) */
#define CP_TAGS_CANDIDATES 32      /* candidates remembered per tag */
#define CP_TAGS_UP_MAX     64      /* peers up remembered (CP_TOPO_MAX_PEERS) */
#define CP_TAGS_HISTORY    200
#define CP_TAGS_NAME       CFG_TAG_NAME

/* Why a tag changed hands. X(NAME, name) */
#define CP_TAGS_FOREACH_REASON(X) \
	X(CONFIG,   "config") \
	X(COMMAND,  "command") \
	X(PEER,     "peer claim") \
	X(FAILOVER, "failover") \
	X(HEAL,     "heal") \
	X(SYNC,     "sync") \
	X(RESTART,  "restart") \
	X(PREEMPT,  "preempt")

enum cp_tags_reason {
#define CP_TAGS_REASON_ENUM(NAME, name) CP_TAGS_R_##NAME,
	CP_TAGS_FOREACH_REASON(CP_TAGS_REASON_ENUM)
#undef CP_TAGS_REASON_ENUM
	CP_TAGS_R_MAX
};

/* Counters. X(name, help) */
#define CP_TAGS_FOREACH_COUNTER(X) \
	X(claims,        "claims made by this node (command, config, failover)") \
	X(claims_rx,     "claims heard from peers") \
	X(tables_rx,     "tag tables heard from peers") \
	X(adopted,       "better claims adopted (the holder or term changed)") \
	X(stale,         "claims and entries not better than the one held: ignored") \
	X(stepped_down,  "times this node lost a tag it held to a better claim") \
	X(failovers,     "claims made because the holder was not up") \
	X(preempts,      "claims made to take a tag back from a holder of lower priority") \
	X(handovers,     "claims from a live holder: its pinging goes on until a common moment") \
	X(unknown_full,  "tags heard of that did not fit the table")

enum cp_tags_counter {
#define CP_TAGS_C_ENUM(name, help) CP_TAGS_C_##name,
	CP_TAGS_FOREACH_COUNTER(CP_TAGS_C_ENUM)
#undef CP_TAGS_C_ENUM
	CP_TAGS_COUNTER_MAX
};

/* A claim: TERM 0 means nobody holds the tag. */
struct cp_tags_claim {
	uint64_t term;
	uint16_t owner;
	uint8_t priority;               /* the owner's priority for the tag */
	/* Taken from a live holder (command, preempt): PREV_OWNER keeps the
	 * tag's pinging until the wall-clock ms SWITCH_MS, OWNER takes it from
	 * then on; 0 / 0 when the claim takes effect at once. */
	uint16_t prev_owner;
	uint64_t switch_ms;
};

/* How far ahead of a claim from a live holder the pinging switches: longer than
 * the claim takes to reach the peers' dataplanes (the wire, the control plane's
 * publish every 100 ms, the workers' view every 100 ms). */
#define CP_TAGS_HANDOVER_MS 500

struct cp_tags_cand {
	uint16_t node;
	uint8_t priority;
};

struct cp_tag {
	char name[CP_TAGS_NAME];
	uint32_t cluster;
	bool configured;                /* in this node's tags: a candidate */
	struct cfg_tag conf;            /* when configured */
	struct cp_tags_claim cur;       /* the best claim heard */
	uint64_t max_term;              /* the highest term seen for the tag */
	uint64_t holder_heard_ms;       /* last table or claim from the holder (now_ms) */
	int n_cand;                     /* peers that declared themselves candidates */
	struct cp_tags_cand cand[CP_TAGS_CANDIDATES];
	/* this node's last claim and the peers that acknowledged it */
	uint64_t claim_term;
	uint64_t claim_ms;
	int n_acked;
	uint16_t acked[CP_TAGS_CANDIDATES];
};

struct cp_tags_event {
	uint64_t wall_ms;
	uint8_t tag;                    /* index in cp_tags.tag */
	uint8_t reason;                 /* enum cp_tags_reason */
	uint16_t owner;
	uint64_t term;
};

struct cp_tags {
	uint16_t self;
	uint64_t now_ms;                /* monotonic, set by the caller before each call */
	uint32_t grace_ms;              /* a holder heard this recently is not failed over */
	int n_up;                       /* the peers up (the caller's topology view): a */
	uint16_t up[CP_TAGS_UP_MAX];    /* claim hands over from a holder listed here */
	uint8_t state;                  /* enum msg_cap_state of the capability "tags" */
	uint64_t synced_ms;             /* now_ms when it became synced */
	int n;
	struct cp_tag tag[CP_TAGS_MAX];
	char def_name[CFG_TAG_NAME];    /* default_tag ("" with def_cluster 0: the first tag) */
	uint32_t def_cluster;
	uint32_t hist_next;             /* total events recorded */
	struct cp_tags_event hist[CP_TAGS_HISTORY];
	uint64_t counters[CP_TAGS_COUNTER_MAX];
};

/* The tags of CFG (self cfg->node_id), nobody holding any, not synced; grace_ms
 * cluster.node_timeout_ms. */
void cp_tags_init(struct cp_tags *t, const struct cfg *cfg);

/* The default tag, which owns untagged work (bindings without registrar.tag,
 * backend sets without tag): the index of `default_tag` (-1 while it is not
 * known here), else of the first tag (-1: no tag). Every node that configures
 * the same default_tag agrees, whatever the order of its `tags`. */
int cp_tags_default(const struct cp_tags *t);

/* > 0 when claim A beats claim B, < 0 when B beats A, 0 when equal. */
int cp_tags_better(const struct cp_tags_claim *a, const struct cp_tags_claim *b);

/* Index of NAME/CLUSTER, or -1. */
int cp_tags_find(const struct cp_tags *t, const char *name, uint32_t cluster);

/* True when this node holds tag I. */
bool cp_tags_active(const struct cp_tags *t, int i);

/* This node claims tag I with a term above every term seen (a tag it is not
 * configured with too: the operator's command). Records and returns the claim. */
/* The peers up, as the caller's topology sees them (a claim hands over from a
 * holder that is up: CP_TAGS_HANDOVER_MS). */
void cp_tags_set_up(struct cp_tags *t, const uint16_t *up, int n_up);

struct cp_tags_claim cp_tags_claim(struct cp_tags *t, int i, uint64_t wall_ms,
				   enum cp_tags_reason why);

/* An entry of a TagTable or a TagAck from node FROM: its view of the holder, and
 * whether FROM is a candidate. CLAIM: the entry is FROM's own claim (a TagTable
 * with `claim`). Returns the index of the tag (learned if new), -1 when the table
 * is full. The held claim changes when the entry's is better (reason: peer claim
 * for a claim, restart when it names this node as holder of a tag this node did
 * not know it held, sync before this node is synced, heal otherwise). */
int cp_tags_on_entry(struct cp_tags *t, uint16_t from, const struct msg_tag_entry *e,
		     bool claim, uint64_t wall_ms);

/* FROM acknowledged ENTRY (a TagAck): counts towards this node's claim when it
 * names that claim's term and this node. */
void cp_tags_on_ack(struct cp_tags *t, uint16_t from, const struct msg_tag_entry *e);

/* Peers of UP (N ids) that have not acknowledged this node's last claim of tag I
 * into MISSING (capacity N); returns how many. */
int cp_tags_claim_missing(const struct cp_tags *t, int i, const uint16_t *up, int n,
			  uint16_t *missing);

/* The entry of tag I as this node sends it (its held claim, and its own
 * candidacy). */
void cp_tags_entry(const struct cp_tags *t, int i, struct msg_tag_entry *e);

/* The capability "tags" became synced (tables from every peer that is up, or
 * alone): configured-active tags nobody holds are claimed, and failover runs.
 * Then cp_tags_failover(). Returns the number of claims made (see cp_tags_claims_since). */
int cp_tags_synced(struct cp_tags *t, const uint16_t *up, int n_up, uint64_t wall_ms);

/* Failover for every tag with `failover: auto` whose holder is neither this node
 * nor in UP (N ids): this node claims where it is the best candidate among the
 * up ones. Only once synced. Returns the number of claims made. */
int cp_tags_failover(struct cp_tags *t, const uint16_t *up, int n_up, uint64_t wall_ms);

/* Preemption for every tag with `preempt: true`: when another node holds it
 * with a priority below this node's, this node claims it (reason preempt), once
 * it has been synced for grace_ms (a node coming back first learns the cluster
 * and settles). Equal priorities never preempt; of several nodes preempting at
 * once the terms and priorities settle it, and the losers, now below the new
 * holder's priority, stop. Only once synced. Returns the number of claims made. */
int cp_tags_preempt(struct cp_tags *t, uint64_t wall_ms);

/* Event K of the history, 0 = the oldest kept; NULL past the end. */
const struct cp_tags_event *cp_tags_history(const struct cp_tags *t, uint32_t k);
uint32_t cp_tags_history_len(const struct cp_tags *t);

const char *cp_tags_reason_name(unsigned int reason);
const char *cp_tags_counter_name(unsigned int counter);

#endif /* SIPSHARD_CONTROL_TAGS_CP_TAGS_H */
