/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This node's sharing tags on the cluster bus: the glue between the term rules
 * (cp_tags.h), the topology and the wire.
 *
 *   - Tables. Every CP_TAGS_NODE_GOSSIP_MS, and at once to a peer that comes up
 *     (or restarts), this node sends each up peer its table (TagTable: every tag
 *     it knows, the claim it holds and its own candidacy). Tables are what heals
 *     a partition and what a restarted node learns the holders from.
 *   - Sync. The capability "tags" is not-synced at start; synced once a table
 *     has come from every peer that is up (or no peer was heard for alone_ms).
 *     Only then does this node claim its configured-active tags nobody holds,
 *     and take part in failover: it never acts on a tag before it knows who
 *     holds it.
 *   - Claims. A claim (command, config, failover) goes at once to every up peer
 *     as a TagTable with `claim`, again every CP_TAGS_NODE_RESEND_MS to the
 *     peers that have not acknowledged it, for CP_TAGS_NODE_CLAIM_MS. A peer
 *     acknowledges with a TagAck holding its view after taking the claim.
 *   - Failover. Each cron, tags with `failover: auto` whose holder is not up are
 *     claimed here when this node is the best up candidate (cp_tags_failover).
 * Single thread: the cp event loop.
 */
#ifndef SIPSHARD_CONTROL_TAGS_CP_TAGS_NODE_H
#define SIPSHARD_CONTROL_TAGS_CP_TAGS_NODE_H

#include <stdint.h>

#include "control/tags/cp_tags.h"
#include "control/topo/cp_topo_types.h"
#include "proto/msg_types.h"

#define CP_TAGS_NODE_GOSSIP_MS 1000u
#define CP_TAGS_NODE_RESEND_MS 100u
#define CP_TAGS_NODE_CLAIM_MS  5000u

struct cp_tags_node {
	struct cp_tags tags;
	uint32_t cluster_id;
	uint64_t incarnation;
	uint32_t alone_ms;
	uint64_t started_ms;
	uint64_t next_gossip_ms;
	int n_up;
	uint16_t up[CP_TOPO_MAX_PEERS];          /* peers up at the last cron */
	uint64_t up_inc[CP_TOPO_MAX_PEERS];      /* ... and their incarnations */
	int n_heard;
	uint16_t heard[CP_TOPO_MAX_PEERS];       /* peers whose table came (this run) */
	uint64_t resend_ms[CP_TAGS_MAX];         /* next resend of a pending claim */
	struct msg msg;                          /* being built */
};

/* Sends M (header complete but for hdr.seq) to peer PEER_ID. */
typedef void cp_tags_send_fn(void *arg, uint16_t peer_id, struct msg *m);

void cp_tags_node_init(struct cp_tags_node *n, const struct cfg *cfg, uint64_t incarnation,
		       uint64_t now);

/* Follow the topology (up peers, restarts), gossip the table, resend pending
 * claims, decide sync and failover. NOW: monotonic ms; WALL: wall-clock ms (the
 * history's times). */
void cp_tags_node_cron(struct cp_tags_node *n, const struct cp_topo *t, uint64_t now,
		       uint64_t wall, cp_tags_send_fn *send, void *arg);

bool cp_tags_node_msg_type(unsigned int type);

/* A decoded TagTable or TagAck. */
void cp_tags_node_on_msg(struct cp_tags_node *n, const struct msg *m, uint64_t now,
			 uint64_t wall, cp_tags_send_fn *send, void *arg);

/* `tag set-active`: claim NAME/CLUSTER here and send the claim. Returns the
 * tag's index, or -ENOENT (no such tag known here and the table is full). */
int cp_tags_node_set_active(struct cp_tags_node *n, const char *name, uint32_t cluster,
			    uint64_t now, uint64_t wall, cp_tags_send_fn *send, void *arg);

/* Peers up that have not acknowledged this node's last claim of tag I. */
int cp_tags_node_missing(const struct cp_tags_node *n, int i, uint16_t *missing);

#endif /* SIPSHARD_CONTROL_TAGS_CP_TAGS_NODE_H */
