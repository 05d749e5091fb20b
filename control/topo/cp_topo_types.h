/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the control plane's cluster topology (control/cp_topo.h).
 *
 * A `struct cp_topo` is this node's picture of the cluster: itself, a bounded
 * table of peers with the state of the link to each, the events that changed
 * it, and counters. It is plain data, written only by the cp event loop through
 * the cp_topo_* functions and read by the admin socket in the same thread. All
 * times are milliseconds of a monotonic clock that the caller passes in (`now`);
 * CP_NEVER marks "not yet".
 */
#ifndef SIPSHARD_CONTROL_TOPO_CP_TOPO_TYPES_H
#define SIPSHARD_CONTROL_TOPO_CP_TOPO_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg_types.h"
#include "proto/msg_types.h"

#define CP_TOPO_MAX_PEERS    64         /* peers, self excluded */
#define CP_TOPO_MAX_SEEDS    CFG_MAX_SEEDS
#define CP_TOPO_HISTORY      128        /* node events kept (ring) */
#define CP_TOPO_PROBE_FACTOR 4          /* silent down peers: one probe per 4 intervals */
#define CP_TOPO_MAX_ACTIONS  (2 * CP_TOPO_MAX_PEERS + CP_TOPO_MAX_SEEDS)
#define CP_EVENT_REASON      96
#define CP_NEVER             UINT64_MAX
#define CP_TOPO_SEQ_JUMP     (1u << 20) /* sequence step accepted at once... */
#define CP_TOPO_SEQ_PER_MS   1000u      /* ...plus this per ms of silence */

/* Replay window over the sequences of one class of a peer's messages
 * (cp_topo_accept_flow): bit (seq % CP_TOPO_WINDOW) is set for every sequence
 * accepted in (top - CP_TOPO_WINDOW, top]. */
#define CP_TOPO_WINDOW      1024
enum cp_flow {
	CP_FLOW_PRIO,                   /* tag messages: the priority rings */
	CP_FLOW_BULK,                   /* replication, backend states */
	CP_FLOW_MAX
};
struct cp_seq_window {
	uint64_t top;                   /* highest sequence accepted; 0 = none yet */
	uint64_t bits[CP_TOPO_WINDOW / 64];
};

/* State of a peer as this node sees it. X(NAME, name) */
#define CP_FOREACH_NODE_STATE(X) \
	X(PROBING, "probing")   /* learned, link not proven yet */ \
	X(UP,      "up")        /* both directions proven within node_timeout_ms */ \
	X(DOWN,    "down")      /* was up, or never came up in time; still probed */ \
	X(LEFT,    "left")      /* announced it stopped; not probed */

enum cp_node_state {
#define CP_NODE_STATE_ENUM(NAME, name) CP_NODE_##NAME,
	CP_FOREACH_NODE_STATE(CP_NODE_STATE_ENUM)
#undef CP_NODE_STATE_ENUM
	CP_NODE_STATE_MAX
};

/* Node events kept in the history. X(NAME, name) */
#define CP_FOREACH_EVENT(X) \
	X(UP,        "up") \
	X(DOWN,      "down") \
	X(JOINED,    "joined") \
	X(ADOPTED,   "adopted") \
	X(RESTARTED, "restarted") \
	X(DUPLICATE, "duplicate")

enum cp_event_kind {
#define CP_EVENT_ENUM(NAME, name) CP_EVENT_##NAME,
	CP_FOREACH_EVENT(CP_EVENT_ENUM)
#undef CP_EVENT_ENUM
	CP_EVENT_MAX
};

struct cp_event {
	uint64_t at;                    /* now of the call that caused it */
	uint16_t node;                  /* the node it is about (self for adopted) */
	enum cp_event_kind kind;
	char reason[CP_EVENT_REASON];   /* "timeout 1000 ms", "left", ... */
};

/* Counters of the whole topology. X(name, help) */
#define CP_TOPO_FOREACH_COUNTER(X) \
	X(rx_heartbeat,      "heartbeats accepted") \
	X(rx_join,           "joins accepted (we are the seed)") \
	X(rx_adopt,          "adopts accepted") \
	X(rx_announce,       "announces accepted") \
	X(rx_leave,          "leaves accepted") \
	X(tx_heartbeat,      "heartbeats built") \
	X(tx_join,           "joins built") \
	X(tx_adopt,          "adopts built") \
	X(tx_announce,       "announces built") \
	X(tx_leave,          "leaves built") \
	X(stale_incarnation, "messages of an older run of a live peer, ignored") \
	X(stale_seq,         "messages with a sequence already seen, ignored") \
	X(after_leave,       "messages of a run that has left, ignored") \
	X(unknown_sender,    "messages from a node we cannot learn, ignored") \
	X(peers_full,        "nodes not learned: peer table full") \
	X(actions_full,      "messages not sent: action list full") \
	X(ups,               "peers that came up") \
	X(downs,             "peers that went down from up, or left") \
	X(restarts,          "peer restarts seen (new incarnation)") \
	X(seq_jump,          "messages whose sequence jumps too far ahead, ignored") \
	X(static_addr,       "address changes of a static peer refused") \
	X(duplicate_id,      "messages of a second live run of one node id (alarm)") \
	X(early_run,         "replication/tag messages of a run the topology has not accepted yet, ignored") \
	X(replayed,          "replication/tag messages whose sequence was seen or is too old, ignored")

enum cp_topo_counter {
#define CP_TOPO_COUNTER_ENUM(name, help) CP_TOPO_C_##name,
	CP_TOPO_FOREACH_COUNTER(CP_TOPO_COUNTER_ENUM)
#undef CP_TOPO_COUNTER_ENUM
	CP_TOPO_COUNTER_MAX
};

struct cp_peer {
	struct msg_node node;           /* id, address, cluster port */
	bool is_static;                 /* from cluster.nodes */
	enum cp_node_state state;
	uint64_t state_since;
	uint64_t incarnation;           /* of its current run; 0 = never heard */
	uint64_t heard_at;              /* last message accepted from this run */
	uint64_t proven_at;             /* last time it proved it hears us */
	uint64_t rx_seq;                /* highest sequence of a topology message of this run */
	struct cp_seq_window win[CP_FLOW_MAX];  /* the other messages of this run */
	uint64_t acked_seq;             /* highest of our sequences it listed */
	uint64_t last_ping_at;          /* last heartbeat built for it */
	uint64_t next_ping_at;
	uint8_t caps[MSG_CAP_MAX];      /* enum msg_cap_state, from its heartbeats */
	uint64_t rx;                    /* messages accepted */
	uint64_t tx;                    /* messages built for it */
	uint64_t stale;                 /* messages ignored as stale */
	uint64_t downs;                 /* times it went down */
	uint64_t restarts;              /* new incarnations seen */
	/* Duplicate id alarm: a message of another run (lower incarnation) while this
	 * run is alive. Raised while dup_at is within node_timeout_ms. */
	uint64_t dup_at;                /* CP_NEVER when never */
	uint64_t dup_incarnation;       /* the other run's incarnation */
	uint32_t dup_addr;              /* its UDP source (IPv4 host order) */
};

/* What cp_topo_init() needs; cp_topo_conf_from_cfg() fills it from the YAML. */
struct cp_topo_conf {
	uint16_t self_id;
	uint32_t self_addr;             /* IPv4 host order, 0 = let peers use the source */
	uint16_t port;                  /* cluster.port, also the peers' port */
	uint32_t cluster_id;
	uint64_t incarnation;           /* != 0, larger on every start of this node */
	uint32_t ping_interval_ms;
	uint32_t node_timeout_ms;       /* > ping_interval_ms */
	int n_nodes;                    /* static peers (cluster.nodes) */
	struct msg_node nodes[CP_TOPO_MAX_PEERS];
	int n_seeds;                    /* cluster.seeds: addresses to join through */
	uint32_t seeds[CP_TOPO_MAX_SEEDS];
};

/* One message to send: its type, where to, and for an announce whom it is about.
 * cp_topo_msg() turns it into a struct msg. dst_id is 0 for a join to a seed
 * (known by address only). */
struct cp_action {
	uint8_t type;                   /* enum msg_type */
	uint16_t dst_id;
	uint32_t dst_addr;              /* IPv4 host order */
	uint16_t dst_port;
	uint16_t subject;               /* MSG_T_ANNOUNCE: the newcomer */
};

struct cp_actions {
	int n;
	struct cp_action a[CP_TOPO_MAX_ACTIONS];
};

typedef void cp_topo_event_fn(const struct cp_event *ev, void *arg);

struct cp_topo {
	struct cp_topo_conf conf;
	uint8_t caps[MSG_CAP_MAX];      /* this node's capability states */
	bool adopted;                   /* true without seeds; else after an Adopt */
	bool leaving;                   /* cp_topo_leave() was called */
	char leave_reason[MSG_REASON_MAX];
	uint64_t started_at;
	uint64_t tx_seq;                /* last sequence used */
	uint64_t join_next_at;
	int n_peers;
	struct cp_peer peers[CP_TOPO_MAX_PEERS];
	uint64_t counters[CP_TOPO_COUNTER_MAX];
	uint64_t n_events;              /* ever recorded; history keeps the last ones */
	struct cp_event history[CP_TOPO_HISTORY];
	cp_topo_event_fn *on_event;     /* called for each event (logging), may be NULL */
	void *on_event_arg;
};

#endif /* SIPSHARD_CONTROL_TOPO_CP_TOPO_TYPES_H */
