/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cluster topology: which nodes exist, which links work, what each node can do.
 *
 * Algorithm. Every node sends a heartbeat to every known peer each
 * ping_interval_ms (silent down peers: every CP_TOPO_PROBE_FACTOR intervals). A
 * heartbeat lists the peers the sender hears, each with the peer's incarnation
 * and the highest header sequence received from it. A link to peer P is
 *   - proven inbound  when a message of P's current run arrived < node_timeout_ms ago;
 *   - proven outbound when P's heartbeat listed us with our incarnation and a
 *     sequence higher than before (it got something new from us) < node_timeout_ms ago;
 *   - up when both hold. A peer goes up as soon as both hold, down when either
 *     lapses ("timeout N ms": nothing heard; "not heard by the peer for N ms":
 *     asymmetric link), and a new peer that is not up within node_timeout_ms goes
 *     down too. Down peers keep being probed and come back up by themselves.
 * Incarnations (boot ids, larger on each start) tell runs apart: a message with a
 * larger incarnation is a restart (the link is proven again from scratch); one
 * with a smaller incarnation, or a sequence not above the last, is stale and
 * ignored (counted), unless the current run has been silent for node_timeout_ms
 * (the peer's clock went backwards). Leave (or a heartbeat flagged leaving) puts
 * a peer in `left` at once; only a newer run brings it back.
 * Dynamic join: a node with cluster.seeds sends Join to them every interval until
 * one answers Adopt (every member it knows, itself included); that seed also
 * sends Announce(newcomer) to every other member. A heartbeat from an unknown node
 * (it holds the cluster key) also makes it known, so a lost Announce heals.
 *
 * Purity. Every function is a function of (topology, input, now): no clock, no
 * I/O, no allocation, no logging inside. What to send is appended to a
 * `struct cp_actions` the caller owns (and clears after sending: it holds a
 * cron's and a join's worth, overflow is counted as actions_full); events are kept
 * in a bounded ring and passed to an optional callback. The cp event loop:
 *     rx:   msg_decode() -> m.src_addr/src_port = UDP source -> cp_topo_on_msg()
 *     tick: cp_topo_cron()
 *     then: for each action: cp_topo_msg() -> msg_encode() -> UDP to dst_addr:dst_port,
 *           and clear the actions (out.n = 0)
 * Single writer: the cp event loop thread; the admin socket reads in that thread.
 */
#ifndef SIPSHARD_CONTROL_TOPO_CP_TOPO_H
#define SIPSHARD_CONTROL_TOPO_CP_TOPO_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg_types.h"
#include "control/topo/cp_topo_types.h"
#include "proto/msg_types.h"

/* Fill *conf from a loaded config (cluster.enabled must be true): node.id,
 * dataplane.ports[0].ipv4, cluster.{id,port,nodes,seeds,ping_interval_ms,
 * node_timeout_ms}. 0, or -EINVAL when the cluster section is absent. */
int cp_topo_conf_from_cfg(struct cp_topo_conf *conf, const struct cfg *c,
			  uint64_t incarnation);

/* Start with the static peers probing and nothing heard. 0, or -EINVAL (self id
 * or incarnation 0, timeout not above interval, too many nodes, duplicate or
 * self id among them). */
int cp_topo_init(struct cp_topo *t, const struct cp_topo_conf *conf, uint64_t now);

/* FN is called for every event (after it is in the history), e.g. to log it. */
void cp_topo_set_event_fn(struct cp_topo *t, cp_topo_event_fn *fn, void *arg);

/* This node's capability state, carried in the next heartbeats. */
void cp_topo_set_cap(struct cp_topo *t, enum msg_cap cap, enum msg_cap_state state);

/* A decoded message (msg_decode() accepted it). Returns 0 when it was taken,
 * -ESTALE (old run, old sequence, run that left: counted), -ENOENT (unknown
 * sender that the message cannot introduce), -ENOSPC (peer table full),
 * -EINVAL (other cluster or type). Replies go to *out. */
int cp_topo_on_msg(struct cp_topo *t, const struct msg *m, uint64_t now,
		   struct cp_actions *out);
int cp_topo_on_heartbeat(struct cp_topo *t, const struct msg *m, uint64_t now,
			 struct cp_actions *out);
int cp_topo_on_join(struct cp_topo *t, const struct msg *m, uint64_t now,
		    struct cp_actions *out);
int cp_topo_on_adopt(struct cp_topo *t, const struct msg *m, uint64_t now,
		     struct cp_actions *out);
int cp_topo_on_announce(struct cp_topo *t, const struct msg *m, uint64_t now,
			struct cp_actions *out);
int cp_topo_on_leave(struct cp_topo *t, const struct msg *m, uint64_t now,
		     struct cp_actions *out);

/* The messages that are not the topology's (replication, tags, backend states;
 * class CP_FLOW_PRIO or CP_FLOW_BULK: they travel on different rings, so their
 * order against each other and against the topology's is not kept): 0 when M
 * is to be processed, -ESTALE when it is a replay or out of date, -ENOENT from
 * a node we do not know. Only the run the topology accepted (its incarnation)
 * is taken: an older one is counted stale_incarnation, a newer one early_run
 * (its heartbeat comes first). In that run each sequence is taken once, within
 * a window of CP_TOPO_WINDOW behind the highest (else `replayed`), and at most
 * the topology's bounded jump ahead (`seq_jump`). */
int cp_topo_accept_flow(struct cp_topo *t, const struct msg *m, enum cp_flow flow,
			uint64_t now);

/* The periodic step (call it every few ms; its result does not depend on how
 * often): link states are re-evaluated (timeouts) and the heartbeats and joins
 * that are due are appended to *out. */
void cp_topo_cron(struct cp_topo *t, uint64_t now, struct cp_actions *out);

/* Clean stop (SIGTERM): a Leave to every peer not left; later heartbeats carry
 * the leaving flag. REASON may be NULL. */
void cp_topo_leave(struct cp_topo *t, uint64_t now, const char *reason,
		   struct cp_actions *out);

/* Build the message of action A at NOW (header included: type, cluster, sender,
 * incarnation, next sequence). 0, or -EINVAL for an unknown action type. */
int cp_topo_msg(struct cp_topo *t, const struct cp_action *a, uint64_t now,
		struct msg *out);

/* The link state machine itself, pure: the state peer P should be in at NOW,
 * and when it leaves `up`/`probing` for `down` the reason, written to REASON. */
enum cp_node_state cp_topo_link_next(const struct cp_peer *p, uint64_t now,
				     uint32_t node_timeout_ms, char *reason, size_t len);

/* The next sequence of this node's datagrams, for messages built outside the
 * topology (replication): one counter, so every datagram of a run has its own. */
uint64_t cp_topo_seq_next(struct cp_topo *t);

/* Lookups. NULL when unknown (or ID is self). */
const struct cp_peer *cp_topo_peer(const struct cp_topo *t, uint16_t id);

/* History: count kept (<= CP_TOPO_HISTORY), and the I-th kept, 0 = oldest. */
unsigned int cp_topo_history_count(const struct cp_topo *t);
const struct cp_event *cp_topo_history_get(const struct cp_topo *t, unsigned int i);

/* Peers in a given state. */
int cp_topo_count(const struct cp_topo *t, enum cp_node_state state);

const char *cp_node_state_name(unsigned int state);
const char *cp_event_kind_name(unsigned int kind);
const char *cp_topo_counter_name(unsigned int counter);

/* A fresh incarnation for this start of the process: the wall clock in
 * microseconds (never 0). Not pure: for the cp main only. */
uint64_t cp_topo_new_incarnation(void);

/* The incarnation of a new run: max(WALL_US, the one stored in PATH + 1), stored
 * back into PATH (write to PATH.tmp, fsync, rename) so that it only grows even
 * when the clock steps back. PATH "" or NULL: WALL_US (at least 1). 0, or -errno
 * with "PATH: why" in ERR (unreadable, not a number, cannot write). */
int cp_topo_incarnation_next(const char *path, uint64_t wall_us, uint64_t *out, char *err,
			     size_t errlen);

/* Whether P was seen running twice (two live incarnations) within the last
 * node_timeout_ms (the alarm of sipshardctl nodes: "duplicate"). */
bool cp_topo_peer_duplicate(const struct cp_topo *t, const struct cp_peer *p, uint64_t now);

#endif /* SIPSHARD_CONTROL_TOPO_CP_TOPO_H */
