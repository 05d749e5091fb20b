/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-worker state of NAT keepalive pinging (dp_ping.h). */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_PING_TYPES_H
#define SIPSHARD_DATAPLANE_CORE_DP_PING_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#define DP_PING_BRANCH_PREFIX     "z9hG4bK-ssnp-"
#define DP_PING_BRANCH_PREFIX_LEN 13
#define DP_PING_VIEW_MS           100
#define DP_PING_BUCKETS_PER_POLL  64
#define DP_PING_MAX_NODES         64      /* DP_MAX_NODES */
#define DP_PING_MAX_TAGS          32      /* DP_MAX_TAGS */
#define DP_PING_JOIN_MS           10000   /* a run joins this long after it started */
#define DP_PING_CATCHUP_SLACK_MS  500     /* detection beyond node_timeout: views, publish */
#define DP_PING_SKEW_MS           50      /* a catch-up starts this long before the gone
					   * node was last heard: clocks, its lag */
#define DP_PING_MAX_RETRY         32      /* bucket ranges with pings that found no neighbour */
#define DP_PING_RETRY_MERGE       512     /* buckets: a failure this close joins a range */
#define DP_PING_RETRY_MS          20      /* first retry; then x4 */
#define DP_PING_RETRY_TRIES       3

/* The share of each node in the last complete interval, as this shard saw it. */
struct dp_ping_share {
	uint16_t n;
	uint16_t id[DP_PING_MAX_NODES];
	uint32_t count[DP_PING_MAX_NODES];
};

struct dp_ping {
	bool on;
	bool viewed;                    /* a control plane's node view was read */
	bool track;                     /* OPTIONS: replies matched, misses counted */
	uint8_t mode;                   /* enum cfg_ping_mode */
	uint8_t max_failures;
	uint32_t interval_ms;
	uint32_t grace_ms;              /* cluster.node_timeout_ms */
	uint64_t next_ms;               /* next poll (monotonic) */
	uint64_t cycle;                 /* interval number of the last poll */
	uint32_t pos;                   /* next bucket due in this cycle */
	uint64_t view_ms;               /* next re-read of the views */
	uint16_t n_set;                 /* the nodes that share the contacts now */
	uint16_t set[DP_PING_MAX_NODES];
	uint16_t n_join;                /* the nodes up and synced, with when they join */
	struct dp_ping_join {
		uint16_t id;
		uint64_t incarnation;   /* us */
		uint64_t cycle;         /* the interval from which it takes its share */
		uint64_t heard;         /* wall ms it was last heard (0: not known) */
	} join[DP_PING_MAX_NODES];
	uint16_t n_gone;                /* catch-up: nodes just declared down */
	uint16_t gone[DP_PING_MAX_NODES];
	uint16_t n_tags;
	struct dp_ping_tag {            /* the tag view: who holds each tag */
		char name[72];          /* "NAME/CLUSTER" */
		uint8_t len;
		uint8_t moved;          /* ours now, from a holder that is gone: catch up */
		uint8_t dflt;           /* the default tag (untagged bindings) */
		uint16_t owner;
		uint16_t prev_owner;    /* a handover: PREV_OWNER pings the moments before */
		uint64_t switch_ms;     /* this wall-clock ms, OWNER those from it on */
		uint64_t catch_from;    /* moved: the wall-clock ms the catch-up starts at */
	} tags[DP_PING_MAX_TAGS];
	uint8_t src_family;             /* nat_ping.source: 4 or 6, 0 none */
	uint8_t src[16];                /* ... network order: every node pings from it */
	uint16_t n_addr;                /* the nodes' addresses (the view): where a reply */
	struct dp_ping_addr {           /* to another node's ping is relayed */
		uint16_t id;
		rte_be32_t addr;
	} addr[DP_PING_MAX_NODES];
	uint16_t n_left;                /* nodes that left the view, and since when */
	struct dp_ping_left {
		uint16_t id;
		uint64_t at;            /* wall ms its pings may have stopped: last heard
					 * less DP_PING_SKEW_MS, else noticed less the
					 * grace and DP_PING_CATCHUP_SLACK_MS */
	} left[DP_PING_MAX_NODES];
	uint16_t n_retry;               /* buckets to walk again for pings without a MAC */
	struct dp_ping_retry {
		uint16_t from, to;      /* buckets [from, to] */
		uint8_t tries;
		uint64_t at_ms;         /* monotonic */
	} retry[DP_PING_MAX_RETRY];
	uint64_t retried, retry_lost;   /* pings retried after a neighbour miss; given up */
	uint64_t seq;                   /* Call-ID sequence */
	struct dp_ping_share cur, last; /* shares: this interval, the last complete one */
};

#endif /* SIPSHARD_DATAPLANE_CORE_DP_PING_TYPES_H */
