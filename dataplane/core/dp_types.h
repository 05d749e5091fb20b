/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the dataplane process (sipshard-dp, the DPDK primary).
 *
 * One `struct dp_ctx` per process holds the ports, the packet pool and one
 * `struct dp_lcore` per packet-handling lcore: workers 0..n_workers-1, each with
 * RX/TX queue i on every port and one registration shard, plus the control lcore
 * (index n_workers, the EAL main lcore) that polls the control queue when a port
 * has one. Everything in a dp_lcore is written only by its own lcore; the main
 * thread writes the ctx before launching the lcores and reads stats after.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_TYPES_H
#define SIPSHARD_DATAPLANE_CORE_DP_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip_frag.h>
#include <rte_ring.h>

#include "config/cfg_types.h"
#include "dataplane/core/dp_ping_types.h"
#include "dataplane/core/dp_stats.h"
#include "dataplane/proxy/proxy_types.h"
#include "dataplane/registrar/reg_types.h"
#include "dataplane/sip/sip_types.h"

#define DP_MAX_BURST        32
#define DP_MEMPOOL_CACHE    256
/* Fragments (mbufs) one lcore's reassembly may hold: one per table entry on
 * average; the pool is sized for it (dp_main.c pool_create). */
#define DP_FRAG_BUDGET(max_flows) (max_flows)
#define DP_REC_POOL_SIZE    4095                     /* replicated records in flight cp -> shards */
#define DP_REC_POOL_CACHE   32
#define DP_PACK_POOL_SIZE   511                      /* full-sync packs in flight cp -> shards */
#define DP_PACK_POOL_CACHE  16
#define DP_PACK_BURST       4                        /* packs a worker applies per poll */
#define DP_MAX_LCORES       (CFG_MAX_WORKERS + 1)   /* workers + control lcore */
#define DP_SIP_MAX          65535                    /* largest SIP datagram parsed */
#define DP_CTL_NONE         UINT16_MAX
#define DP_REPLY_MAX        8192                     /* largest SIP reply built */
#define DP_NEIGH_SLOTS      1024                     /* neighbour table of one lcore */
#define DP_NEIGH_HOLD       4                        /* frames held per unresolved neighbour */
#define DP_NEIGH_HOLD_MAX   32                       /* ... per lcore, all neighbours */
#define DP_NEIGH_HOLD_MS    1000                     /* held frames dropped after */
#define DP_VIP_MAX          32                       /* VIPs of sharing tags (one per tag) */
#define DP_VIP_GARPS        3                        /* gratuitous ARPs (unsolicited NAs) sent on a claim */

/* Stages of one worker loop pass whose longest run is recorded (dp_worker.c,
 * /sipshard/stalls): what a packet that arrives at the worst moment waits behind. */
#define DP_FOREACH_STAGE(X) \
	X(rx,     "receive and handle one burst (per port)") \
	X(rings,  "drain the rings from the other lcores") \
	X(flush,  "TX and ring flush after the rings") \
	X(cp_tx,  "control lcore: datagrams from the control plane") \
	X(serve,  "a control-plane query (dp_sip_serve)") \
	X(apply,  "replicated records applied to the shard") \
	X(ping,   "NAT keepalive pinging") \
	X(probe,  "backend probes (worker 0)") \
	X(tick,   "registrar timer wheel, tombstones, directory") \
	X(frag,   "reassembly expiry and death row") \
	X(misc,   "RCU quiescent state, VIP refresh") \
	X(pass,   "one whole loop pass without the idle wait")

enum dp_stage {
#define DP_STAGE_ENUM(name, help) DP_STAGE_##name,
	DP_FOREACH_STAGE(DP_STAGE_ENUM)
#undef DP_STAGE_ENUM
	DP_STAGE_MAX
};

/* Longest run of each stage in TSC cycles since the last reset, written by the
 * owning lcore; a reader asks for a reset by bumping reset_req. */
struct dp_stall {
	uint64_t max[DP_STAGE_MAX];
	uint16_t rx_max_burst;          /* burst size of the longest rx stage */
	uint32_t reset_seen;
	volatile uint32_t reset_req;
};

/* How cluster traffic reaches the control plane (docs/dataplane.md, "Ports and the control queue"). */
enum dp_steering {
	DP_STEER_FLOW,       /* rte_flow rule: cluster UDP port -> control queue */
	DP_STEER_SOFTWARE,   /* workers classify it and hand it over a ring */
};

struct dp_port {
	uint16_t port_id;
	uint16_t n_queues;              /* RX = TX queues configured */
	uint16_t ctl_queue;             /* control queue index, or DP_CTL_NONE */
	enum dp_steering steering;
	bool ctl_rss_excluded;          /* RSS spreads over the worker queues only */
	struct rte_ether_addr mac;
	rte_be32_t ipv4;                /* network byte order */
	rte_be32_t ipv4_mask;
	rte_be32_t ipv4_bcast;          /* directed broadcast of the subnet */
	bool has_ipv6;
	uint8_t ipv6[16];               /* configured global address */
	uint8_t ipv6_prefix;            /* its prefix length: the on-link neighbours */
	uint8_t ipv6_ll[16];            /* link-local, EUI-64 from the MAC */
	uint16_t mtu;
	bool tx_multi_seg;              /* TX takes chained mbufs (else fragments are linearized) */
	const char *device;             /* points into the config */
	char name[64];                  /* ethdev name */
};

/* What classification decided for one packet. */
enum dp_pkt_action {
	DP_PKT_DROP,       /* counted under a reason; caller frees */
	DP_PKT_REPLY,      /* rewritten in place into a reply: send on the same port */
	DP_PKT_SIP,        /* UDP to the SIP port: info describes the payload */
	DP_PKT_CLUSTER,    /* UDP to the cluster port: for the control plane */
	DP_PKT_HELD,       /* kept by reassembly: caller must not touch it */
	DP_PKT_NEIGH,      /* ARP reply for us, learnt: caller shares it (dp_egress_fanout) */
};

/* Where the UDP payload of a SIP or cluster packet is, and who sent it. */
struct dp_pkt_info {
	uint8_t family;                 /* 4 or 6 */
	uint8_t port_idx;               /* index into ctx->ports */
	uint8_t steered;                /* crossed to another lcore: already counted */
	uint8_t neigh_only;             /* an ARP reply or neighbour advertisement shared for
					 * learning (dp_neigh; an NA's target in src, its MAC
					 * in dst) */
	uint16_t src_port;              /* host byte order */
	uint16_t dst_port;
	uint32_t payload_off;           /* from the start of the packet data */
	uint32_t payload_len;
	uint8_t src[16];                /* IPv4 in the first 4 bytes, network order */
	uint8_t dst[16];
	uint8_t neigh_how;              /* neigh_only, an NA: how it is learnt (enum dp_neigh_how) */
};

/* How the control plane asks for one UDP datagram to be sent: the mbuf holds the
 * payload only, this descriptor is in its private area (dp_mbuf.h); the control
 * lcore's dp_egress routes it, resolves the MAC and builds the frame. */
struct dp_egress_desc {
	rte_be32_t dst_addr;            /* IPv4, network order */
	uint16_t dst_port;              /* host byte order */
	uint16_t src_port;
	uint8_t port_idx;               /* index into ctx->ports; must have a control queue */
};

/* One neighbour of one lcore's table (dp_neigh.h). */
struct dp_neigh_entry {
	uint8_t addr[16];               /* IPv6, or IPv4 as ::ffff:a.b.c.d; all 0: empty */
	uint8_t port_idx;
	uint8_t valid;                  /* mac is known */
	struct rte_ether_addr mac;
	uint64_t learnt_ms;
	uint64_t asked_ms;              /* last ARP request sent for it, 0: never */
	uint64_t held_ms;               /* when the oldest held frame was held */
	uint8_t n_held;                 /* frames waiting for the MAC (unresolved only) */
	struct rte_mbuf *held[DP_NEIGH_HOLD];
};

/* One VIP of a sharing tag, as this lcore last read it (dp_vip.h). */
struct dp_vip {
	rte_be32_t addr;                /* IPv4, network order (family 4) */
	uint8_t family;                 /* 4 or 6 */
	uint8_t port_idx;               /* the port whose subnet (IPv6 prefix) holds it (else 0) */
	uint8_t held;                   /* its tag is active on this node */
	uint8_t garp_left;              /* worker 0: gratuitous ARPs (unsolicited NAs) still to send */
	uint8_t addr6[16];              /* IPv6 (family 6) */
	uint64_t garp_ms;               /* worker 0: when the next one is due */
};

/* This lcore's copy of the VIPs; read on the fast path, refreshed in its loop. */
struct dp_vips {
	uint16_t n;
	uint32_t seq;                   /* tag view sequence it was copied at */
	uint64_t next_ms;               /* next look at the tag view */
	struct dp_vip v[DP_VIP_MAX];
};

struct dp_ctx;
struct dp_shared;
struct lb_sets;
struct proxy_conf;
struct reg_shard;
struct reg_conf;
struct reg_auth_replay;
struct dp_auth;
struct dp_limit;

/* A cluster-port source's token bucket (dp_cgate.h). */
#define DP_CGATE_SLOTS      256     /* power of 2 */
struct dp_cgate_ent {
	rte_be32_t addr;                /* 0: empty */
	uint32_t tokens;                /* thousandths of a datagram */
	uint64_t last_ms;               /* last refill */
};

/* One SIP datagram of a receive burst between its parse and its handling:
 * dp_worker_rx_burst() parses (and keys) the whole burst first, prefetches what
 * the REGISTERs will touch in the shard, then handles each in order (issue 16:
 * stage by stage, so that the table misses of a burst overlap). */
struct dp_staged {
	struct rte_mbuf *m;
	uint32_t hash;                  /* reg_aor_key()'s, when reg */
	int16_t parse_rc;               /* dp_sip_parse()'s: 0 or -SIP_ERR_* */
	int16_t reg_status;             /* reg_aor_key()'s result, when reg */
	uint8_t reg;                    /* a REGISTER keyed for the registrar */
	uint8_t mine;                   /* ... that this worker's shard applies */
	struct reg_key key;
	struct sip_msg msg;
};

struct dp_lcore {
	struct dp_ctx *ctx;
	unsigned int lcore_id;
	uint16_t idx;                   /* worker index; n_workers for the control lcore */
	uint16_t queue;                 /* RX/TX queue it polls on every port */
	bool is_ctl;
	struct rte_ip_frag_tbl *frag_tbl;
	struct rte_ip_frag_death_row death_row;
	uint64_t frag_next_expire;      /* tsc of the next expiry sweep */
	uint32_t frag_held;             /* fragments (mbufs) its reassembly table holds now */
	uint32_t frag_budget;           /* at most this many: DP_FRAG_BUDGET(frag_max_flows) */
	/* Rings: in[j] carries packets from lcore j to this one (SPSC), out[j] the reverse. */
	struct rte_ring *in[DP_MAX_LCORES];
	struct rte_ring *out[DP_MAX_LCORES];
	/* Adaptive idle (dp_worker_idle). */
	uint64_t idle_since;            /* tsc of the last pass that found work */
	uint32_t idle_sleep_us;         /* next sleep; 0 until the first one */
	uint64_t ctl_sip_tsc;           /* control lcore: tsc of the last SIP it handed on */
	struct dp_stall stall;          /* longest run per stage */
	struct dp_stats stats;
	struct reg_shard *reg;          /* registration shard (workers only) */
	struct rte_ring *reg_events;    /* shard -> cp change events */
	struct rte_ring *reg_apply;     /* cp -> shard replicated records (struct reg_rec *) */
	struct rte_ring *reg_apply_pack; /* cp -> shard full-sync packs (struct reg_pack_buf *) */
	uint16_t ip_id;                 /* IPv4 id of the packets it builds */
	/* dp_egress batches: frames per port, packets per destination lcore. */
	uint16_t n_tx[CFG_MAX_PORTS];   /* packets waiting in tx[] per port */
	struct rte_mbuf *tx[CFG_MAX_PORTS][DP_MAX_BURST];
	uint16_t n_steer[DP_MAX_LCORES];   /* packets waiting in steer[] per lcore */
	struct rte_mbuf *steer[DP_MAX_LCORES][DP_MAX_BURST];
	uint64_t now_ms;                /* monotonic, updated once per loop pass */
	uint64_t wall_s;                /* UNIX time of now_ms, for Date */
	uint64_t backends_pub_ms;       /* worker 0: next backend view for dp_shared */
	uint32_t bsets_seq;             /* worker 0: dp_shared bsets last applied */
	uint8_t bsets_init;             /* worker 0: cluster sets held back until the cp says */
	uint64_t neigh_warm_ms;         /* worker 0: next ARP refresh of the members probed elsewhere */
	struct dp_neigh_entry neigh[DP_NEIGH_SLOTS];   /* written by this lcore only */
	uint16_t neigh_n_held;          /* frames held in neigh[] (at most DP_NEIGH_HOLD_MAX) */
	uint64_t neigh_sweep_ms;        /* next pass over the held frames (dp_egress) */
	struct dp_vips vips;            /* VIPs held here or elsewhere (dp_vip.h) */
	struct proxy_worker proxy;      /* counters + location lookup of this shard */
	struct dp_ping ping;            /* NAT keepalive pinging of this shard's contacts */
	struct reg_auth_replay *auth_replay;   /* digest nonce-counts seen (dp_auth.h) */
	uint64_t auth_salt;             /* salt of the next nonce (dp_auth.h) */
	struct dp_limit *limit;         /* per-source token buckets (dp_limit.h), NULL: off */
	struct dp_cgate_ent cgate[DP_CGATE_SLOTS];   /* cluster-port sources (dp_cgate.h) */
	struct dp_cgate_ent cgate_new;  /* newcomers' shared bucket */
	struct sip_msg *msg;            /* the message being handled: msg_direct or a stage's */
	struct sip_msg msg_direct;      /* one handled as it comes (steered, in pieces) */
	uint16_t n_stage;               /* datagrams in stage[] (dp_worker_rx_burst) */
	struct dp_staged stage[DP_MAX_BURST];
	char reply[DP_REPLY_MAX];       /* the SIP reply being built */
	uint8_t scratch[DP_SIP_MAX];    /* linearised multi-segment datagrams */
} __rte_cache_aligned;

struct dp_ctx {
	const struct cfg *cfg;
	uint16_t n_workers;
	uint16_t n_ports;
	struct dp_port ports[CFG_MAX_PORTS];
	uint8_t port_idx[RTE_MAX_ETHPORTS];   /* ethdev port id -> index in ports */
	struct rte_mempool *pool;
	struct rte_ring *to_cp;               /* cluster packets for the control plane */
	struct rte_ring *to_cp_prio;          /* ... its topology messages (heartbeats first) */
	const struct reg_conf *reg_conf;      /* digest seed + domains, same for every shard */
	struct rte_mempool *rec_pool;         /* struct reg_rec objects, cp -> shards */
	struct rte_mempool *pack_pool;        /* struct reg_pack_buf objects, cp -> shards */
	uint64_t wall_base_s;                 /* UNIX time at start_tsc */
	rte_be16_t sip_port;                  /* network byte order */
	rte_be16_t cluster_port;              /* 0 when no cluster */
	uint16_t cluster_port_idx;            /* the port of the cluster bus (cluster.port_index) */
	uint64_t start_tsc;
	volatile bool stop;
	struct dp_shared *shared;             /* memzone shared with the control plane */
	struct rte_ring *from_cp;             /* frames the control plane sends */
	struct rte_ring *from_cp_prio;        /* ... its topology messages, sent first */
	struct dp_lcore *lcores[DP_MAX_LCORES];   /* 0..n_workers (ctl last) */
	struct lb_sets *lb;                   /* backend sets (NULL: none); prober = worker 0 */
	const struct proxy_conf *proxy_conf;
	struct dp_auth *auth;                 /* digest authentication (NULL: off) */
};

#endif /* SIPSHARD_DATAPLANE_CORE_DP_TYPES_H */
