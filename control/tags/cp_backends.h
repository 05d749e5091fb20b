/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend probing by sharing tag (backends[].tag): which node probes each
 * backend set, and the replication of its member states to the other nodes.
 *
 *   - Holder. A set belongs to its `tag` (NAME/CLUSTER), or, without one, to the
 *     default tag (cp_tags_default(): `default_tag`, else the first tag of the
 *     node's table), as pinging does; never to every node. Only the node where that tag is
 *     active (and whose tags capability is synced) probes the set. A cluster
 *     with no sharing tag at all is the one exception: each node then probes
 *     for itself, as a single node does.
 *   - States. The prober (worker 0 of the holder's dataplane) publishes the
 *     members' states; this node, when it holds the set's tag, sends them as
 *     BackendStates (wire type 66) to every up peer: at once when they change
 *     or when it starts probing, to a peer that comes up or restarts, and again
 *     every CP_BACKENDS_GOSSIP_MS (what repairs a lost datagram).
 *   - Order. An entry carries the sender's term of the tag and its clock at the
 *     last change (`version`: wall ms, made to grow). A node keeps per set the
 *     best entry heard: the higher term, then, from the same sender, the higher
 *     version; at an equal term from another sender, the one its tag view names
 *     as holder. So the states of a node that lost the tag (a lower term) never
 *     overwrite the new holder's, whatever the arrival order.
 *   - Routing. Every node routes by the states: its own probes' where it holds
 *     the tag, the holder's elsewhere (cp_backends_view(): published to the
 *     dataplane's dp_shared `bsets`). A node taking a set over starts from the
 *     states it had (the old holder's) and probes at once.
 *   - Sync. The capability "backends" is not-synced until the tags are synced;
 *     then synced once every set held by an up peer has that peer's states
 *     (syncing meanwhile).
 * Single thread: the cp event loop. No allocation, no I/O: the caller passes
 * the clock, the tag table, the up peers and the dataplane's member states.
 */
#ifndef SIPSHARD_CONTROL_TAGS_CP_BACKENDS_H
#define SIPSHARD_CONTROL_TAGS_CP_BACKENDS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg_types.h"
#include "control/tags/cp_tags.h"
#include "proto/msg_types.h"

#define CP_BACKENDS_GOSSIP_MS 1000u
#define CP_BACKENDS_MAX_PEERS 64

/* Counters. X(name, help) */
#define CP_BACKENDS_FOREACH_COUNTER(X) \
	X(states_tx,   "backend set states sent (BackendStates entries)") \
	X(states_rx,   "backend set states heard") \
	X(adopted,     "states heard that replaced the ones held") \
	X(stale,       "states heard that were not newer: ignored") \
	X(unknown_set, "states of a set this node does not have") \
	X(takeovers,   "times this node started probing a set (its tag came here)") \
	X(handovers,   "times this node stopped probing a set (its tag left)") \
	X(unprobed,    "times a set became probed by nobody: its tag's holder is down or nobody holds it")

enum cp_backends_counter {
#define CP_BACKENDS_C_ENUM(name, help) CP_BACKENDS_C_##name,
	CP_BACKENDS_FOREACH_COUNTER(CP_BACKENDS_C_ENUM)
#undef CP_BACKENDS_C_ENUM
	CP_BACKENDS_COUNTER_MAX
};

struct cp_bset {
	uint32_t id;                    /* backends[].set */
	char tag[CP_TAGS_NAME];         /* "" : the default tag */
	uint32_t tag_cluster;
	uint8_t members;
	/* now */
	uint16_t holder;                /* node holding the tag (0: nobody / unknown) */
	uint64_t term;                  /* ... its term */
	bool probing;                   /* this node probes it */
	bool unprobed;                  /* nobody does: the holder is down, or none */
	uint64_t unprobed_since;        /* ... since (wall ms) */
	/* as prober: the dataplane's states, and what went out */
	bool own_known;
	uint32_t own_up;
	uint64_t version;
	bool dirty;                     /* changed since the last send */
	/* the best states heard */
	bool have;
	uint16_t from;
	uint64_t rterm, rversion;
	uint32_t rup;
};

struct cp_backends {
	uint16_t self;
	uint8_t state;                  /* enum msg_cap_state of "backends" */
	int n;
	struct cp_bset set[CFG_MAX_SETS];
	uint64_t clock;                 /* last version issued */
	uint64_t next_gossip_ms;
	int n_up;
	uint16_t up[CP_BACKENDS_MAX_PEERS];
	uint64_t up_inc[CP_BACKENDS_MAX_PEERS];
	uint64_t counters[CP_BACKENDS_COUNTER_MAX];
	struct msg msg;                 /* being built */
};

/* The dataplane's view of one member (dp_shared backends, in set/member order). */
struct cp_backends_member {
	uint32_t set;
	bool up;
};

/* Sends M (header complete but for hdr.seq) to peer PEER_ID. */
typedef void cp_backends_send_fn(void *arg, uint16_t peer_id, struct msg *m);

void cp_backends_init(struct cp_backends *b, const struct cfg *cfg);

bool cp_backends_msg_type(unsigned int type);

/* One cron: follow the tags (who probes what), read the dataplane's states of
 * the sets probed here (MEMBERS, N of them), send what changed, gossip, and
 * decide the sync state. UP / UP_INC: the peers up and their incarnations.
 * HDR: cluster id and incarnation for the messages. */
void cp_backends_cron(struct cp_backends *b, const struct cp_tags *tags, const uint16_t *up,
		      const uint64_t *up_inc, int n_up, const struct cp_backends_member *members,
		      int n, uint64_t now, uint64_t wall, uint32_t cluster_id, uint64_t incarnation,
		      cp_backends_send_fn *send, void *arg);

/* A decoded BackendStates from m->hdr.sender. */
void cp_backends_on_msg(struct cp_backends *b, const struct cp_tags *tags, const struct msg *m);

/* Set I as the dataplane must treat it: probe here, or apply UP (when KNOWN). */
void cp_backends_view(const struct cp_backends *b, int i, bool *probe, bool *known,
		      uint32_t *up);

const char *cp_backends_counter_name(unsigned int counter);

#endif /* SIPSHARD_CONTROL_TAGS_CP_BACKENDS_H */
