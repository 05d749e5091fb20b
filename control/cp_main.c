/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshard-cp: the control plane of a node, a DPDK secondary process of its
 * sipshard-dp (same dataplane.file_prefix).
 *
 *   sipshard-cp -c FILE [-- EAL-ARGS...]
 *
 * One thread, one event loop (Redis clusterCron style): cluster datagrams arrive
 * on the ring ss_to_cp (whoever received them in the dataplane: the control lcore
 * polling the control queue, or a worker that found one in its share); they are
 * decoded and authenticated (msg_codec) and fed to the topology state machine
 * (cp_topo); a cron every CRON_MS asks it what to send; datagrams (payload and
 * a dp_egress descriptor, no headers) go back to the dataplane on ss_from_cp,
 * where the control lcore's dp_egress resolves the peer's MAC, builds the frame
 * and sends it by the control queue's TX side, never a worker's.
 * Heartbeats first: topology messages travel on their own rings both ways
 * (ss_to_cp_hi, ss_from_cp_hi; the dataplane drains its one first). Each loop
 * pass takes every waiting topology message and runs the cron when due before
 * any replication, takes at most RX_BURST replication datagrams, and does the
 * topology step again between the replication stages (sync dumps, shard
 * events, stream output), each bounded, so a full sync of any size never
 * delays a heartbeat or the cron by more than one stage.
 * The admin socket (cp_admin) is served from the same loop, and the
 * node view and the replication counters are published in the shared memzone
 * for the dataplane's telemetry (/sipshard/nodes, /sipshard/stats). SIGTERM announces the leave to every peer, then exits 0.
 */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <systemd/sd-daemon.h>

#include "config/cfg.h"
#include "control/cp_clock.h"
#include "control/admin/cp_admin.h"
#include "control/admin/cp_metrics.h"
#include "control/repl/cp_repl.h"
#include "control/repl/cp_repl_node.h"
#include "control/tags/cp_backends.h"
#include "control/repl/cp_repl_snap.h"
#include "control/tags/cp_tags_node.h"
#include "control/topo/cp_topo.h"
#include "dataplane/core/dp_log.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_ping.h"
#include "dataplane/core/dp_limit.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_steer.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"
#include "proto/msg_codec.h"

RTE_LOG_REGISTER(cp_logtype, sipshard.cluster, INFO);
#define CP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, cp_logtype, "sipshard-cp: " fmt "\n", ##__VA_ARGS__)

#define CP_LCORE_ID   127     /* RTE_MAX_LCORE - 1 of the Debian build; see main() */
static_assert(CP_LCORE_ID < RTE_MAX_LCORE, "the cp lcore id must exist");
#define CRON_MS       10
#define DP_ALIVE_MS   100     /* how often the loop checks that the dataplane lives */
#define RX_BURST      32      /* replication datagrams taken per loop pass */
#define RX_PRIO_MAX   256     /* topology datagrams taken per topology step */
#define MAX_DGRAM     MSG_MAX_LEN
#define IDLE_SLEEP_NS 200000L
/* A pass that found less work than this sleeps too (IDLE_SLEEP_NS), unless a
 * full sync runs: live changes then go out in batches of a few hundred
 * microseconds' worth instead of one Repl per REGISTER, and the cp does not spin
 * on a CPU it may share with a worker or the SIP traffic (perf/run.sh
 * replication). Within the stream's ack delay (10 ms) by far. */
#define BATCH_MIN     32u

/* The admin socket's question to every shard (dp_shared_ask), in flight over
 * loop passes: one at a time; a handler that asks another while it is in flight
 * comes back later (-EINPROGRESS), unless nobody came back for it for
 * ADM_ASK_ABANDON_MS (its client went away). */
#define ADM_ASK_TIMEOUT_MS  1000    /* a shard that has not answered by then: error */
#define ADM_ASK_ABANDON_MS  100

struct adm_ask {
	bool active;
	enum dp_query_kind kind;
	char arg[DP_QUERY_ARG];
	uint64_t started_ms;
	uint64_t touched_ms;
	bool posted[CFG_MAX_WORKERS];
};

struct cp {
	struct cfg cfg;
	struct dp_shared *sh;
	struct rte_ring *rx, *tx;
	struct rte_ring *rx_prio, *tx_prio;   /* topology messages, ahead of rx / tx */
	struct rte_mempool *pool;
	const struct dp_port *port;     /* the port cluster traffic uses */
	uint8_t port_idx;               /* its index in the dataplane's ports */
	struct msg_codec codec;
	struct cp_topo topo;
	struct cp_actions acts;
	struct cp_admin admin;
	struct adm_ask ask;             /* the admin socket's shard question in flight */
	struct cp_metrics metrics;      /* admin.metrics_listen; polled every CRON_MS */
	bool cluster;
	struct cp_repl_node *repl;      /* full-sharing replication; NULL without a cluster */
	struct cp_repl_snap *snap;      /* registrar.snapshot; NULL without */
	struct cp_tags_node *tags;      /* sharing tags */
	struct cp_backends *backends;   /* who probes each backend set; their states */
	struct dp_bset_view bsets[DP_MAX_BSETS];   /* last published */
	unsigned int n_bsets;
	uint64_t tx_frames, tx_fail, rx_frames, rx_short;
	uint64_t tx_prio_frames, rx_prio_frames;   /* topology datagrams on the priority rings */
	uint64_t rx_deferred;           /* passes that left replication datagrams for the next */
	uint64_t cron_late_max_ms;      /* longest the cron ran after it was due */
	uint64_t pass_max_ms;           /* longest loop pass */
	uint64_t next_cron;
	uint8_t buf[MAX_DGRAM];
	struct msg rx_msg;              /* large (a Repl holds many records): not on a stack */
};

static volatile sig_atomic_t stop;
static struct cp cp;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- wire ---- */

/* One UDP datagram to dst:dport (host order) from our cluster port: only the
 * payload, with a struct dp_egress_desc in the mbuf private area, onto
 * ss_from_cp_hi (PRIO: topology messages) or ss_from_cp. The dataplane's control lcore routes it, resolves the peer's MAC
 * in its neighbour table (ARP on a miss: that datagram is dropped there,
 * NEIGH_MISS, and the next heartbeat goes through) and builds the frame
 * (dp_egress). tx_frames counts datagrams handed over, tx_failed those that
 * could not be (no mbuf, ring full, encoding failed). */
static void
send_datagram(struct cp *c, bool prio, uint32_t dst, uint16_t dport, const uint8_t *data,
	      size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->pool);
	struct dp_egress_desc *d;
	char *p;

	p = m != NULL ? rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (p == NULL) {
		c->tx_fail++;
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(p, data, len);
	d = dp_egress_desc_of(m);
	memset(d, 0, sizeof(*d));
	d->dst_addr = rte_cpu_to_be_32(dst);
	d->dst_port = dport;
	d->src_port = c->cfg.cluster.port;
	d->port_idx = c->port_idx;
	if (rte_ring_mp_enqueue(prio ? c->tx_prio : c->tx, m) != 0) {
		c->tx_fail++;
		rte_pktmbuf_free(m);
		return;
	}
	c->tx_frames++;
	if (prio)
		c->tx_prio_frames++;
}

/* cp_repl_send_fn: a replication or sharing-tag message to a peer of the topology
 * (tag messages on the priority ring, as topology messages: msg_type_prio()). */
static void
repl_send(void *arg, uint16_t peer_id, struct msg *m)
{
	struct cp *c = arg;
	const struct cp_peer *p = cp_topo_peer(&c->topo, peer_id);
	int n;

	if (p == NULL || p->node.addr == 0)
		return;
	m->hdr.seq = cp_topo_seq_next(&c->topo);
	m->hdr.to = peer_id;
	n = msg_encode(&c->codec, m, c->buf, sizeof(c->buf));
	if (n > 0)
		send_datagram(c, msg_type_prio(m->hdr.type), p->node.addr, p->node.port, c->buf,
			      (size_t)n);
	else
		c->tx_fail++;
}

static void
send_actions(struct cp *c, uint64_t now)
{
	int i;

	for (i = 0; i < c->acts.n; i++) {
		const struct cp_action *a = &c->acts.a[i];
		struct msg m;
		int n;

		if (cp_topo_msg(&c->topo, a, now, &m) != 0)
			continue;
		n = msg_encode(&c->codec, &m, c->buf, sizeof(c->buf));
		if (n > 0)
			send_datagram(c, true, a->dst_addr, a->dst_port, c->buf, (size_t)n);
		else
			c->tx_fail++;
	}
	c->acts.n = 0;
}

/* One received cluster datagram: decoded and given to the topology or to
 * replication by its type; freed. */
static void
receive_one(struct cp *c, struct rte_mbuf *m, uint64_t now)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct msg *msg = &c->rx_msg;
	const uint8_t *p;
	uint32_t src;

	c->rx_frames++;
	if (info->family != 4 || info->payload_len > sizeof(c->buf)) {
		c->rx_short++;
		rte_pktmbuf_free(m);
		return;
	}
	p = rte_pktmbuf_read(m, info->payload_off, info->payload_len, c->buf);
	memcpy(&src, info->src, 4);
	src = rte_be_to_cpu_32(src);
	if (p != NULL && msg_decode(&c->codec, p, info->payload_len, msg) == MSG_REJECT_NONE) {
		bool repl = cp_repl_node_msg_type(msg->hdr.type);
		bool flow = repl || cp_tags_node_msg_type(msg->hdr.type) ||
			    cp_backends_msg_type(msg->hdr.type);

		msg->src_addr = src;
		msg->src_port = info->src_port;
		/* not the topology's: its run and sequence checked here (replays) */
		if (flow && cp_topo_accept_flow(&c->topo, msg, msg_type_prio(msg->hdr.type) ?
						CP_FLOW_PRIO : CP_FLOW_BULK, now) != 0) {
			rte_pktmbuf_free(m);
			return;
		}
		if (repl) {
			/* from a node heard a moment ago: follow the topology at once,
			 * not at the next cron (a sync's first window) */
			if (c->repl != NULL &&
			    cp_repl_node_on_msg(c->repl, msg, info->payload_len, now, repl_send,
						c) == -ENOENT) {
				cp_repl_node_peers(c->repl, &c->topo, now);
				cp_repl_node_on_msg(c->repl, msg, info->payload_len, now, repl_send, c);
			}
		} else if (cp_tags_node_msg_type(msg->hdr.type)) {
			cp_tags_node_on_msg(c->tags, msg, now, cp_wall_ms(), repl_send, c);
		} else if (cp_backends_msg_type(msg->hdr.type)) {
			if (c->backends != NULL)
				cp_backends_on_msg(c->backends, &c->tags->tags, msg);
		} else {
			cp_topo_on_msg(&c->topo, msg, now, &c->acts);
			send_actions(c, now);
		}
	}
	rte_pktmbuf_free(m);
}

/* At most MAX datagrams from RING (ss_to_cp_hi or ss_to_cp). */
static unsigned int
receive(struct cp *c, struct rte_ring *ring, unsigned int max, uint64_t now)
{
	struct rte_mbuf *pkts[RX_BURST];
	unsigned int n, i, total = 0;

	do {
		n = rte_ring_sc_dequeue_burst(ring, (void **)pkts,
					      RTE_MIN(max - total, (unsigned int)RX_BURST), NULL);
		for (i = 0; i < n; i++)
			receive_one(c, pkts[i], now);
		total += n;
	} while (n == RX_BURST && total < max);
	if (ring == c->rx_prio)
		c->rx_prio_frames += total;
	return total;
}

/* Topology first: every topology message waiting (up to RX_PRIO_MAX), then the
 * cron when it is due. Called at the top of each loop pass and between its
 * replication stages. Returns the messages taken. */
static unsigned int
topo_step(struct cp *c)
{
	uint64_t now = cp_mono_ms();
	unsigned int work = receive(c, c->rx_prio, RX_PRIO_MAX, now);

	if (now < c->next_cron)
		return work;
	if (c->next_cron != 0 && now - c->next_cron > c->cron_late_max_ms)
		c->cron_late_max_ms = now - c->next_cron;
	cp_topo_cron(&c->topo, now, &c->acts);
	send_actions(c, now);
	if (c->repl != NULL) {
		cp_repl_node_peers(c->repl, &c->topo, now);
		cp_topo_set_cap(&c->topo, MSG_CAP_REGISTRATIONS,
				(enum msg_cap_state)c->repl->rxs.state);
		c->sh->reg_sync = c->repl->rxs.state;
	}
	c->next_cron = now + CRON_MS;
	return work;
}

/* ---- node view for the dataplane's telemetry ---- */

static void
publish_nodes(struct cp *c)
{
	struct dp_node_view v[DP_MAX_NODES];
	uint64_t wall = cp_wall_ms(), mono = cp_mono_ms();
	unsigned int n = 0, k;
	int i;

	memset(v, 0, sizeof(v));
	v[n].id = c->cfg.node_id;
	v[n].incarnation = c->cluster ? c->topo.conf.incarnation : 0;
	v[n].self = 1;
	v[n].heard_wall_ms = wall;
	v[n].address = rte_be_to_cpu_32(c->port->ipv4);
	snprintf(v[n].state, sizeof(v[n].state), "up");
	for (k = 0; k < 3 && k < MSG_CAP_MAX; k++)
		snprintf(v[n].caps[k], sizeof(v[n].caps[k]), "%s", msg_cap_state_name(c->topo.caps[k]));
	n++;
	for (i = 0; i < c->topo.n_peers && n < DP_MAX_NODES; i++, n++) {
		const struct cp_peer *p = &c->topo.peers[i];

		v[n].id = p->node.id;
		v[n].incarnation = p->incarnation;
		if (p->heard_at != CP_NEVER)   /* the pinging catch-up starts there (dp_ping.c) */
			v[n].heard_wall_ms = wall - RTE_MIN(wall, mono - RTE_MIN(mono, p->heard_at));
		v[n].address = p->node.addr;
		snprintf(v[n].state, sizeof(v[n].state), "%s", cp_node_state_name(p->state));
		for (k = 0; k < 3 && k < MSG_CAP_MAX; k++)
			snprintf(v[n].caps[k], sizeof(v[n].caps[k]), "%s", msg_cap_state_name(p->caps[k]));
	}
	dp_shared_publish_nodes(c->sh, v, n);
}

/* The VIP this node's config gives tag NAME/CLUSTER into v (vip, host order,
 * or vip6); left 0 when none. */
static void
tag_vip_of(const struct cfg *cfg, const char *name, uint32_t cluster, struct dp_tag_view *v)
{
	int k;

	for (k = 0; k < cfg->n_tags; k++)
		if (cfg->tags[k].cluster == cluster && strcmp(cfg->tags[k].name, name) == 0) {
			v->vip = cfg->tags[k].vip;
			memcpy(v->vip6, cfg->tags[k].vip6, sizeof(v->vip6));
			return;
		}
}

static void
publish_tags(struct cp *c)
{
	static struct dp_tag_view v[DP_MAX_TAGS];
	const struct cp_tags *t = &c->tags->tags;
	int i, n = 0, def = cp_tags_default(t);

	for (i = 0; i < t->n && n < DP_MAX_TAGS; i++, n++) {
		memset(&v[n], 0, sizeof(v[n]));
		v[n].dflt = i == def;
		snprintf(v[n].name, sizeof(v[n].name), "%s", t->tag[i].name);
		v[n].cluster = t->tag[i].cluster;
		v[n].owner = t->tag[i].cur.owner;
		v[n].term = t->tag[i].cur.term;
		v[n].prev_owner = t->tag[i].cur.prev_owner;
		v[n].switch_ms = t->tag[i].cur.switch_ms;
		v[n].active = cp_tags_active(t, i);
		tag_vip_of(&c->cfg, t->tag[i].name, t->tag[i].cluster, &v[n]);
	}
	dp_shared_publish_tags(c->sh, v, (unsigned int)n);
}

/* ---- backend sets: who probes, the states replicated (cp_backends.h) ---- */

/* cp_backends_send_fn */
static void
backends_send(void *arg, uint16_t peer_id, struct msg *m)
{
	repl_send(arg, peer_id, m);
}

/* One cron of cp_backends (the dataplane's member states in), then the
 * probing control published for worker 0 when it changed. */
static void
backends_step(struct cp *c, uint64_t now)
{
	static struct dp_backend_view v[DP_MAX_BACKENDS];
	static struct cp_backends_member mem[DP_MAX_BACKENDS];
	struct dp_bset_view bv[DP_MAX_BSETS];
	unsigned int n = dp_shared_backends(c->sh, v, DP_MAX_BACKENDS), i;
	int k;

	for (i = 0; i < n; i++) {
		mem[i].set = v[i].set;
		mem[i].up = strcmp(v[i].state, "up") == 0;
	}
	cp_backends_cron(c->backends, &c->tags->tags, c->tags->up, c->tags->up_inc, c->tags->n_up,
			 mem, (int)n, now, cp_wall_ms(), c->cfg.cluster.id, c->topo.conf.incarnation,
			 backends_send, c);
	cp_topo_set_cap(&c->topo, MSG_CAP_BACKENDS, (enum msg_cap_state)c->backends->state);
	for (k = 0; k < c->backends->n; k++) {  /* a set nobody probes: said loudly */
		static bool said[CFG_MAX_SETS];
		const struct cp_bset *s = &c->backends->set[k];

		if (s->unprobed && !said[k])
			CP_LOG(WARNING, "backend set %u is probed by nobody: its tag %s/%u is held by %s; "
			       "its members keep their last states until a node claims the tag "
			       "(sipshardctl tag set-active)", s->id, s->tag[0] ? s->tag : "(default)",
			       s->tag_cluster, s->holder ? "a node that is down" : "nobody");
		else if (!s->unprobed && said[k])
			CP_LOG(NOTICE, "backend set %u is probed again (by node %u)", s->id, s->holder);
		said[k] = s->unprobed;
	}
	memset(bv, 0, sizeof(bv));
	for (k = 0; k < c->backends->n && k < DP_MAX_BSETS; k++) {
		bool probe, known;

		cp_backends_view(c->backends, k, &probe, &known, &bv[k].up);
		bv[k].set = c->backends->set[k].id;
		bv[k].probe = probe;
		bv[k].known = known;
		bv[k].holder = c->backends->set[k].holder;
		if (!known)
			bv[k].up = 0;
	}
	if (c->sh->bsets_seq != 0 && (unsigned int)k == c->n_bsets &&
	    memcmp(bv, c->bsets, sizeof(bv[0]) * (size_t)k) == 0)
		return;
	memcpy(c->bsets, bv, sizeof(bv));
	c->n_bsets = (unsigned int)k;
	dp_shared_publish_bsets(c->sh, bv, (unsigned int)k);
}

/* The replication counters, as `stats` prints them under "replication" (the
 * node's, then the streams' summed over the peers, then peers and sync_bytes),
 * for /sipshard/stats; the dataplane adds what its shards count (applied,
 * stale, tombstones). Every counter of the two X-macros, whatever they hold. */
static void
publish_repl(struct cp *c)
{
	static_assert(CP_REPL_NODE_COUNTER_MAX + CP_REPL_COUNTER_MAX + 2 <= DP_MAX_REPL_COUNTERS,
		      "dp_shared has room for every replication counter");
	struct dp_counter_view v[DP_MAX_REPL_COUNTERS];
	uint64_t streams[CP_REPL_COUNTER_MAX];
	unsigned int n = 0, k;

	if (c->repl == NULL)
		return;
	memset(v, 0, sizeof(v));
	for (k = 0; k < CP_REPL_NODE_COUNTER_MAX; k++, n++) {
		snprintf(v[n].name, sizeof(v[n].name), "%s", cp_repl_node_counter_name(k));
		v[n].value = c->repl->counters[k];
	}
	snprintf(v[n].name, sizeof(v[n].name), "peers");
	v[n++].value = (uint64_t)c->repl->n_peers;
	snprintf(v[n].name, sizeof(v[n].name), "sync_bytes");
	v[n++].value = cp_repl_node_sync_bytes(c->repl);
	cp_repl_node_stream_totals(c->repl, streams);
	for (k = 0; k < CP_REPL_COUNTER_MAX; k++, n++) {
		snprintf(v[n].name, sizeof(v[n].name), "%s", cp_repl_counter_name(k));
		v[n].group = DP_CG_REPL_STREAMS;
		v[n].value = streams[k];
	}
	dp_shared_publish_repl(c->sh, v, n);
}

/* ---- admin callbacks ---- */

static int
adm_status(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	json_t *ports;
	uint16_t i;

	(void)err;
	(void)errlen;
	cp_json_put_uint(j, "node_id", c->cfg.node_id);
	cp_json_put_uint(j, "cluster_id", c->cluster ? c->cfg.cluster.id : 0);
	cp_json_put_uint(j, "uptime_s", (rte_rdtsc() - c->sh->start_tsc) / c->sh->tsc_hz);
	cp_json_put_uint(j, "workers", c->sh->n_workers);
	ports = cp_json_put_arr(j, "ports");
	for (i = 0; i < c->sh->n_ports; i++) {
		const struct dp_port *p = &c->sh->ports[i];
		struct rte_eth_link link;
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		json_t *o = cp_json_put_obj(ports, NULL);

		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(p->port_id, &link);
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		cp_json_put_str(o, "name", p->name);
		cp_json_put_str(o, "mac", mac);
		cp_json_put_ipv4(o, "ipv4", rte_be_to_cpu_32(p->ipv4));
		cp_json_put_str(o, "link", link.link_status ? "up" : "down");
		cp_json_put_uint(o, "speed_mbps", link.link_speed);
		cp_json_put_str(o, "steering", p->steering == DP_STEER_FLOW ? "rte_flow" : "software");
	}
	return 0;
}

static int
adm_nodes(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;

	(void)err;
	(void)errlen;
	cp_admin_json_nodes(j, &c->topo, cp_mono_ms());
	return 0;
}

static int
adm_events(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;

	(void)err;
	(void)errlen;
	cp_admin_json_events(j, &c->topo, cp_mono_ms());
	return 0;
}

static const char *
adm_method_name(unsigned int i)
{
	return i == SIP_METHOD_OTHER ? "other" : sip_method_name(i);
}

static const char *
adm_class_name(unsigned int i)
{
	static const char *const k[DP_SIP_CLASSES] = { "", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx" };

	return k[i];
}

/* Parser verdicts in lower case ("short_body"), as telemetry names them. */
static const char *
adm_sip_err_name(unsigned int i)
{
	static char names[SIP_ERR__COUNT][32];
	const char *s;
	size_t k;

	if (i == SIP_ERR_OK)
		return NULL;
	if (names[i][0] == '\0') {
		s = sip_err_name((int)i);
		for (k = 0; s[k] != '\0' && k < sizeof(names[i]) - 1; k++)
			names[i][k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] - 'A' + 'a' : s[k]);
	}
	return names[i];
}

static const char *
adm_proxy_name(unsigned int i)
{
	return proxy_counter_name((enum proxy_counter)i);
}

static const char *
adm_reg_name(unsigned int i)
{
	return reg_stat_name((enum reg_stat)i);
}

/* Per lcore: the dataplane counters and drops. Then summed over the
 * lcores: "sip" (requests by method, responses received and replies sent by
 * class, parser verdicts), "proxy", "registrar" (every shard); the control
 * plane's own, the admin server's, and the cluster's. Every dataplane word is
 * read racily, as telemetry does: a value a few packets old. */
static int
adm_stats(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	unsigned int nlc = c->sh->n_workers + 1u, i, k;
	struct dp_sip_stats ss;
	struct proxy_stats proxy;
	struct reg_stats reg;
	json_t *lcores, *o, *sip;

	(void)err;
	(void)errlen;
	memset(&ss, 0, sizeof(ss));
	memset(&proxy, 0, sizeof(proxy));
	memset(&reg, 0, sizeof(reg));
	lcores = cp_json_put_arr(j, "lcores");
	for (i = 0; i < nlc; i++) {
		const struct dp_lcore *lc = c->sh->lcores[i];
		const struct dp_stats *st = &lc->stats;
		json_t *lo = cp_json_put_obj(lcores, NULL);

		cp_json_put_uint(lo, "lcore", i);
		cp_json_put_str(lo, "role", i == c->sh->n_workers ? "control" : "worker");
		for (k = 0; k < DP_CNT_MAX; k++)
			cp_json_put_uint(lo, dp_counter_name(k), st->cnt[k]);
		o = cp_json_put_obj(lo, "drops");
		for (k = 0; k < DP_DROP_MAX; k++)
			if (st->drop[k] != 0)
				cp_json_put_uint(o, dp_drop_name(k), st->drop[k]);
		for (k = 0; k < SIP_METHOD__COUNT; k++)
			ss.req[k] += st->sip.req[k];
		for (k = 0; k < DP_SIP_CLASSES; k++) {
			ss.resp[k] += st->sip.resp[k];
			ss.reply[k] += st->sip.reply[k];
		}
		for (k = 0; k < SIP_ERR__COUNT; k++)
			ss.invalid[k] += st->sip.invalid[k];
		for (k = 0; k < PROXY_C__COUNT; k++)
			proxy.c[k] += lc->proxy.st.c[k];
		if (lc->reg != NULL) {
			const struct reg_stats *rs = reg_shard_stats(lc->reg);

			for (k = 0; k < REG_STAT_MAX; k++)
				reg.c[k] += rs->c[k];
		}
	}
	o = cp_json_put_obj(j, "control_plane");
	cp_json_put_uint(o, "rx_frames", c->rx_frames);
	cp_json_put_uint(o, "rx_not_ipv4", c->rx_short);
	cp_json_put_uint(o, "tx_frames", c->tx_frames);
	cp_json_put_uint(o, "tx_failed", c->tx_fail);
	cp_json_put_uint(o, "tx_prio_frames", c->tx_prio_frames);
	cp_json_put_uint(o, "rx_prio_frames", c->rx_prio_frames);
	cp_json_put_uint(o, "rx_deferred", c->rx_deferred);
	cp_json_put_uint(o, "cron_late_max_ms", c->cron_late_max_ms);
	cp_json_put_uint(o, "pass_max_ms", c->pass_max_ms);
	if (c->cluster)
		cp_admin_json_cluster_stats(j, &c->topo, &c->codec);
	sip = cp_json_put_obj(j, "sip");
	cp_admin_json_table(sip, "requests", ss.req, SIP_METHOD__COUNT, adm_method_name);
	cp_admin_json_table(sip, "responses", ss.resp, DP_SIP_CLASSES, adm_class_name);
	cp_admin_json_table(sip, "replies", ss.reply, DP_SIP_CLASSES, adm_class_name);
	cp_admin_json_table(sip, "invalid", ss.invalid, SIP_ERR__COUNT, adm_sip_err_name);
	cp_admin_json_table(j, "proxy", proxy.c, PROXY_C__COUNT, adm_proxy_name);
	cp_admin_json_table(j, "registrar", reg.c, REG_STAT_MAX, adm_reg_name);
	cp_admin_json_counters(j, &c->admin);
	if (c->repl != NULL) {   /* node counters, then the streams' summed over peers */
		uint64_t streams[CP_REPL_COUNTER_MAX];
		json_t *r;

		cp_repl_node_stream_totals(c->repl, streams);
		cp_admin_json_table(j, "replication", c->repl->counters, CP_REPL_NODE_COUNTER_MAX,
				    cp_repl_node_counter_name);
		r = json_object_get(j, "replication");
		if (r != NULL) {
			cp_admin_json_table(r, "streams", streams, CP_REPL_COUNTER_MAX,
					    cp_repl_counter_name);
			cp_json_put_uint(r, "peers", (uint64_t)c->repl->n_peers);
			cp_json_put_uint(r, "sync_bytes", cp_repl_node_sync_bytes(c->repl));
			/* what the shards count of it (also under "registrar") */
			cp_json_put_uint(r, "applied", reg.c[REG_STAT_applied]);
			cp_json_put_uint(r, "stale", reg.c[REG_STAT_stale]);
			cp_json_put_uint(r, "tombstones", reg.c[REG_STAT_tombstones]);
		}
	}
	return 0;
}

static const char *const adm_sync_states[] = { "not-synced", "syncing", "synced" };

/* This node's registrations sync (the receiving side), and the syncs it gives. */
static int
adm_sync(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	const struct cp_repl_rx_sync *rs;
	uint64_t end, now = cp_mono_ms();
	json_t *arr;
	int i;

	if (c->repl == NULL) {
		snprintf(err, errlen, "no replication on this node (no cluster, or not full-sharing)");
		return -ENOTSUP;
	}
	rs = &c->repl->rxs;
	end = rs->state == MSG_CAP_SYNCED ? rs->done_ms : now;
	cp_json_put_str(j, "state", adm_sync_states[rs->state < 3 ? rs->state : 0]);
	cp_json_put_uint(j, "donor", rs->donor);
	cp_json_put_uint(j, "records", rs->records);
	cp_json_put_uint(j, "bytes", rs->bytes);
	cp_json_put(j, "seconds", json_real(rs->started_ms != 0 && end >= rs->started_ms ?
					    (double)(end - rs->started_ms) / 1000.0 : 0.0));
	arr = cp_json_put_arr(j, "giving");
	for (i = 0; i < c->repl->n_peers; i++) {
		const struct cp_repl_sync *sy = &c->repl->sync[i];
		json_t *o = cp_json_put_obj(arr, NULL);

		cp_json_put_uint(o, "peer", c->repl->peer_id[i]);
		cp_json_put_str(o, "state", sy->active ? "running" :
					    sy->done_pending ? "acking" :
					    sy->skipped ? "skipped" : "done");
		cp_json_put_uint(o, "records", sy->records);
	}
	return 0;
}

static int
adm_sync_start(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	int n;

	if (c->repl == NULL) {
		snprintf(err, errlen, "no replication on this node (no cluster, or not full-sharing)");
		return -ENOTSUP;
	}
	n = cp_repl_node_sync_start(c->repl, cp_mono_ms(), repl_send, c);
	if (n == 0) {
		snprintf(err, errlen, "no peer to sync from");
		return -EAGAIN;
	}
	cp_json_put_uint(j, "asked", (uint64_t)n);
	return 0;
}

/* ---- digest authentication ---- */

#define CP_AUTH_RELOAD_MS 3000   /* longest wait for the dataplane's reload thread */

/* Asks the dataplane to re-read auth.subscribers_file (dp_auth.h) and waits for
 * its answer, at most CP_AUTH_RELOAD_MS. */
static int
adm_auth_reload(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	struct dp_shared *sh = c->sh;
	uint32_t req;
	unsigned int waited;

	if (!c->cfg.auth.enabled) {
		snprintf(err, errlen, "no auth section in %s", c->cfg.path);
		return -ENOTSUP;
	}
	if (sh == NULL) {
		snprintf(err, errlen, "no dataplane attached");
		return -ENOTCONN;
	}
	req = sh->auth_done + 1;
	rte_smp_wmb();
	sh->auth_req = req;
	for (waited = 0; sh->auth_done != req; waited++) {
		if (waited >= CP_AUTH_RELOAD_MS) {
			snprintf(err, errlen, "the dataplane did not answer in %u ms", CP_AUTH_RELOAD_MS);
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(1000);
	}
	rte_smp_rmb();
	if (sh->auth_rc != 0) {
		snprintf(err, errlen, "%s (the previous table stays)", sh->auth_err);
		return sh->auth_rc;
	}
	cp_json_put_uint(j, "users", sh->auth_users);
	cp_json_put_str(j, "file", c->cfg.auth.subscribers_file);
	return 0;
}

/* ---- flood protection ---- */

/* The sources the workers' buckets block now (dp_limit.h), one line per
 * source: seconds left (the longest over the workers), packets dropped since
 * it was first blocked (summed). Read without lock: a torn entry is skipped
 * or shown a moment old. */
static int
adm_limits(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	struct dp_shared *sh = c->sh;
	struct { uint8_t family, addr[16]; uint64_t left_ms, dropped; } out[256];
	unsigned int n = 0, i, k, e;
	json_t *arr;

	if (!c->cfg.limits.enabled) {
		snprintf(err, errlen, "no limits section in %s", c->cfg.path);
		return -ENOTSUP;
	}
	if (sh == NULL) {
		snprintf(err, errlen, "no dataplane attached");
		return -ENOTCONN;
	}
	for (i = 0; i < sh->n_workers; i++) {
		const struct dp_lcore *lc = sh->lcores[i];
		const struct dp_limit *t = lc != NULL ? lc->limit : NULL;
		uint64_t now = lc != NULL ? lc->now_ms : 0;

		for (e = 0; t != NULL && e < DP_LIMIT_SETS * DP_LIMIT_WAYS; e++) {
			struct dp_limit_ent x = t->ent[e];
			size_t alen = x.family == 4 ? 4 : 16;

			if (x.family == 0 || x.until_ms <= now)
				continue;
			for (k = 0; k < n; k++)
				if (out[k].family == x.family && memcmp(out[k].addr, x.addr, alen) == 0)
					break;
			if (k == n) {
				if (n == sizeof(out) / sizeof(out[0]))
					continue;
				memset(&out[n], 0, sizeof(out[n]));
				out[n].family = x.family;
				memcpy(out[n].addr, x.addr, alen);
				n++;
			}
			out[k].left_ms = RTE_MAX(out[k].left_ms, x.until_ms - now);
			out[k].dropped += x.dropped;
		}
	}
	arr = cp_json_put_arr(j, "blocked");
	for (k = 0; k < n; k++) {
		json_t *o = cp_json_put_obj(arr, NULL);
		char a[INET6_ADDRSTRLEN];

		inet_ntop(out[k].family == 4 ? AF_INET : AF_INET6, out[k].addr, a, sizeof(a));
		cp_json_put_str(o, "source", a);
		cp_json_put_uint(o, "until_s", (out[k].left_ms + 999) / 1000);
		cp_json_put_uint(o, "dropped", out[k].dropped);
	}
	return 0;
}

/* ---- sharing tags ---- */

static void
adm_tag_fields(json_t *o, const struct cp_tags *t, int i)
{
	const struct cp_tag *g = &t->tag[i];

	cp_json_put_str(o, "name", g->name);
	cp_json_put_uint(o, "cluster", g->cluster);
	cp_json_put_str(o, "state", cp_tags_active(t, i) ? "active" : "backup");
	cp_json_put_uint(o, "owner", g->cur.owner);
	cp_json_put_uint(o, "term", g->cur.term);
}

static int
adm_tags(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	const struct cp_tags *t = &c->tags->tags;
	json_t *arr, *cnt;
	int i;

	(void)err;
	(void)errlen;
	arr = cp_json_put_arr(j, "tags");
	for (i = 0; i < t->n; i++) {
		const struct cp_tag *g = &t->tag[i];
		json_t *o = cp_json_put_obj(arr, NULL);

		adm_tag_fields(o, t, i);
		cp_json_put_bool(o, "configured", g->configured);
		cp_json_put_str(o, "failover", g->configured && g->conf.failover == CFG_TAG_AUTO ?
					       "auto" : "manual");
		cp_json_put_uint(o, "priority", g->configured ? g->conf.priority : 0);
		if (g->cur.switch_ms != 0) {    /* the claim's handover (docs/cluster.md) */
			cp_json_put_uint(o, "handover_from", g->cur.prev_owner);
			cp_json_put_uint(o, "handover_wall_ms", g->cur.switch_ms);
		}
	}
	cp_json_put_str(j, "sync", adm_sync_states[t->state < 3 ? t->state : 0]);
	cnt = cp_json_put_obj(j, "counters");
	for (i = 0; i < CP_TAGS_COUNTER_MAX; i++)
		cp_json_put_uint(cnt, cp_tags_counter_name((unsigned int)i), t->counters[i]);
	return 0;
}

static void
adm_put_ids(json_t *j, const char *key, const uint16_t *ids, int n)
{
	json_t *arr = cp_json_put_arr(j, key);
	int k;

	for (k = 0; k < n; k++)
		cp_json_put_uint(arr, NULL, ids[k]);
}

static int
adm_tag_set_active(void *arg, const char *name, uint32_t cluster, json_t *j, char *err,
		   size_t errlen)
{
	struct cp *c = arg;
	uint16_t missing[CP_TOPO_MAX_PEERS];
	int i, m;

	i = cp_tags_node_set_active(c->tags, name, cluster, cp_mono_ms(), cp_wall_ms(), repl_send, c);
	if (i < 0) {
		snprintf(err, errlen, "too many tags known: cannot add %s/%u", name, cluster);
		return i;
	}
	cp_json_put_str(j, "tag", "");
	json_object_set_new(j, "tag", json_sprintf("%s/%u", name, cluster));
	adm_tag_fields(j, &c->tags->tags, i);
	m = cp_tags_node_missing(c->tags, i, missing);
	adm_put_ids(j, "waiting", missing, m);
	return 0;
}

static int
adm_tag_status(void *arg, const char *name, uint32_t cluster, json_t *j, char *err,
	       size_t errlen)
{
	struct cp *c = arg;
	const struct cp_tags *t = &c->tags->tags;
	uint16_t missing[CP_TOPO_MAX_PEERS];
	int i = cp_tags_find(t, name, cluster), m;

	if (i < 0) {
		snprintf(err, errlen, "no such tag '%s/%u'", name, cluster);
		return -ENOENT;
	}
	json_object_set_new(j, "tag", json_sprintf("%s/%u", name, cluster));
	adm_tag_fields(j, t, i);
	cp_json_put_uint(j, "claim_term", t->tag[i].claim_term);
	adm_put_ids(j, "acked", t->tag[i].acked, t->tag[i].n_acked);
	m = cp_tags_node_missing(c->tags, i, missing);
	adm_put_ids(j, "missing", missing, m);
	/* this node's last claim was beaten (or it never claimed) */
	cp_json_put_bool(j, "lost", t->tag[i].claim_term == 0 || !cp_tags_active(t, i) ||
				    t->tag[i].cur.term != t->tag[i].claim_term);
	return 0;
}

static int
adm_tags_history(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	const struct cp_tags *t = &c->tags->tags;
	json_t *arr = cp_json_put_arr(j, "history");
	uint32_t k, n = cp_tags_history_len(t);

	(void)err;
	(void)errlen;
	for (k = 0; k < n; k++) {
		const struct cp_tags_event *ev = cp_tags_history(t, k);
		const struct cp_tag *g = &t->tag[ev->tag];
		json_t *o = cp_json_put_obj(arr, NULL);
		char when[40];
		time_t sec = (time_t)(ev->wall_ms / 1000);
		struct tm tm;

		gmtime_r(&sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		json_object_set_new(o, "time", json_sprintf("%s.%03uZ", when,
							    (unsigned int)(ev->wall_ms % 1000)));
		json_object_set_new(o, "tag", json_sprintf("%s/%u", g->name, g->cluster));
		cp_json_put_uint(o, "term", ev->term);
		cp_json_put_uint(o, "owner", ev->owner);
		cp_json_put_str(o, "reason", cp_tags_reason_name(ev->reason));
	}
	return 0;
}

/* The backend view worker 0 (the prober) publishes in dp_shared. */
static int
adm_backends(void *arg, json_t *j, char *err, size_t errlen)
{
	static struct dp_backend_view v[DP_MAX_BACKENDS];
	struct cp *c = arg;
	unsigned int n = dp_shared_backends(c->sh, v, DP_MAX_BACKENDS), i;
	json_t *arr;

	(void)err;
	(void)errlen;
	arr = cp_json_put_arr(j, "backends");
	for (i = 0; i < n; i++) {
		json_t *o = cp_json_put_obj(arr, NULL);

		cp_json_put_uint(o, "set", v[i].set);
		cp_json_put_str(o, "uri", v[i].uri);
		cp_json_put_uint(o, "weight", v[i].weight);
		cp_json_put_str(o, "state", v[i].state);
		cp_json_put_uint(o, "misses", v[i].misses);
		cp_json_put_uint(o, "probes", v[i].probes);
		cp_json_put_uint(o, "replies", v[i].replies);
		cp_json_put_uint(o, "downs", v[i].downs);
		if (c->backends != NULL) {      /* who probes it (backends[].tag) */
			int k;

			for (k = 0; k < c->backends->n && c->backends->set[k].id != v[i].set; k++)
				;
			if (k < c->backends->n) {
				cp_json_put_uint(o, "prober", c->backends->set[k].holder);
				cp_json_put_bool(o, "probed_here", c->backends->set[k].probing);
				cp_json_put_bool(o, "unprobed", c->backends->set[k].unprobed);
			}
		}
	}
	if (c->backends != NULL) {
		json_t *cnt = cp_json_put_obj(j, "states");
		unsigned int k;

		cp_json_put_str(j, "sync", adm_sync_states[c->backends->state < 3 ?
							   c->backends->state : 0]);
		for (k = 0; k < CP_BACKENDS_COUNTER_MAX; k++)
			cp_json_put_uint(cnt, cp_backends_counter_name(k), c->backends->counters[k]);
	}
	return 0;
}

/* NAT keepalive pinging: the shards' shares of the last complete interval and
 * the registrar's ping counters (dp_ping_summary). */
static int
adm_pinging(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	struct dp_ping_summary ps;
	json_t *share;
	unsigned int i;

	dp_ping_summary(&c->cfg, c->sh->lcores, c->sh->n_workers, &ps);
	if (!ps.on) {
		snprintf(err, errlen, "no pinging on this node (registrar.nat_ping is not configured)");
		return -ENOTSUP;
	}
	cp_json_put_str(j, "mode", dp_ping_mode_name(ps.mode));
	cp_json_put_uint(j, "interval_s", ps.interval_s);
	share = cp_json_put_obj(j, "share");
	for (i = 0; i < ps.n; i++) {
		char id[8];

		snprintf(id, sizeof(id), "%u", ps.id[i]);
		cp_json_put_uint(share, id, ps.count[i]);
	}
	cp_json_put_uint(j, "sent", ps.sent);
	cp_json_put_uint(j, "answered", ps.answered);
	cp_json_put_uint(j, "failed", ps.failed);
	cp_json_put_str(j, "method", ps.method == CFG_PING_CRLF ? "crlf" : "options");
	cp_json_put_uint(j, "removed", ps.removed);
	cp_json_put_uint(j, "others", ps.others);
	cp_json_put_uint(j, "retried", ps.retried);
	cp_json_put_uint(j, "retry_lost", ps.retry_lost);
	share = cp_json_put_arr(j, "nodes");     /* the share again, as a table */
	for (i = 0; i < ps.n; i++) {
		json_t *o = cp_json_put_obj(share, NULL);

		cp_json_put_uint(o, "node", ps.id[i]);
		cp_json_put_uint(o, "contacts_per_interval", ps.count[i]);
		cp_json_put_bool(o, "self", ps.id[i] == c->cfg.node_id);
	}
	return 0;
}

/* Asks every shard KIND ARG, or looks whether they all answered: 0 once they
 * have (read the answers with dp_shared_answer(), then adm_ask_done()),
 * -EINPROGRESS until then (the admin socket asks again on a later pass), or an
 * error in ERR. Never waits. */
static int
adm_ask_all(struct cp *c, enum dp_query_kind kind, const char *arg, char *err, size_t errlen)
{
	struct adm_ask *q = &c->ask;
	uint64_t now = cp_mono_ms();
	unsigned int s, late = UINT_MAX;
	const char *out;
	int rc;

	if (c->sh == NULL) {
		snprintf(err, errlen, "no dataplane attached");
		return -ENOTCONN;
	}
	if (q->active && (q->kind != kind || strcmp(q->arg, arg) != 0)) {
		if (now - q->touched_ms < ADM_ASK_ABANDON_MS)
			return -EINPROGRESS;    /* another client's question first */
		q->active = false;              /* nobody came back for it */
	}
	if (!q->active) {
		if (strlen(arg) >= sizeof(q->arg)) {
			snprintf(err, errlen, "argument too long (max %zu bytes)", sizeof(q->arg) - 1);
			return -EINVAL;
		}
		memset(q, 0, sizeof(*q));
		q->active = true;
		q->kind = kind;
		strcpy(q->arg, arg);
		q->started_ms = now;
	}
	q->touched_ms = now;
	for (s = 0; s < c->sh->n_workers; s++) {
		if (!q->posted[s]) {
			rc = dp_shared_ask(c->sh, DP_ASK_ADMIN, s, kind, q->arg);
			if (rc < 0 && rc != -EBUSY) {
				q->active = false;
				snprintf(err, errlen, "shard %u: %s", s, strerror(-rc));
				return rc;
			}
			q->posted[s] = rc == 0; /* -EBUSY: its last question is unanswered */
		}
		if ((!q->posted[s] || dp_shared_answer(c->sh, DP_ASK_ADMIN, s, &out) == -EINPROGRESS) &&
		    late == UINT_MAX)
			late = s;
	}
	if (late == UINT_MAX)
		return 0;
	if (now - q->started_ms >= ADM_ASK_TIMEOUT_MS) {
		q->active = false;
		snprintf(err, errlen, "shard %u did not answer in %u ms", late, ADM_ASK_TIMEOUT_MS);
		return -ETIMEDOUT;
	}
	return -EINPROGRESS;
}

static void
adm_ask_done(struct cp *c)
{
	c->ask.active = false;
}

/* Every shard answers for its own AoRs (struct dp_contact_counts): sum them. */
static int
adm_contacts_count(void *arg, json_t *j, char *err, size_t errlen)
{
	struct cp *c = arg;
	uint64_t aors = 0, contacts = 0, directory = 0;
	unsigned int s;
	int rc = adm_ask_all(c, DP_QUERY_CONTACTS_COUNT, "", err, errlen);

	if (rc < 0)
		return rc;
	adm_ask_done(c);
	for (s = 0; s < c->sh->n_workers; s++) {
		struct dp_contact_counts cnt;
		const char *out = NULL;

		rc = dp_shared_answer(c->sh, DP_ASK_ADMIN, s, &out);
		if (rc != (int)sizeof(cnt)) {
			snprintf(err, errlen, "shard %u did not answer: %s", s,
				 rc < 0 ? strerror(-rc) : "bad answer");
			return rc < 0 ? rc : -EIO;
		}
		memcpy(&cnt, out, sizeof(cnt));
		aors += cnt.aors;
		contacts += cnt.contacts;
		directory += cnt.directory;
	}
	cp_json_put_uint(j, "aors", aors);
	cp_json_put_uint(j, "contacts", contacts);
	if (c->cfg.cluster.enabled && c->cfg.cluster.mode == CFG_MODE_FEDERATION)
		cp_json_put_uint(j, "directory", directory);
	return 0;
}

/* Federation: the home node of an AoR, from the shard that owns it here. */
static int
adm_contacts_where(void *arg, const char *aor, json_t *j, char *err, size_t errlen)
{
	struct dp_contact_where wh;
	struct cp *c = arg;
	unsigned int s;
	int rc;

	if (!c->cfg.cluster.enabled || c->cfg.cluster.mode != CFG_MODE_FEDERATION) {
		snprintf(err, errlen, "'contacts where' needs cluster.mode federation");
		return -ENOTSUP;
	}
	rc = adm_ask_all(c, DP_QUERY_CONTACT_WHERE, aor, err, errlen);
	if (rc < 0)
		return rc;
	adm_ask_done(c);
	for (s = 0; s < c->sh->n_workers; s++) {
		const char *out = NULL;

		rc = dp_shared_answer(c->sh, DP_ASK_ADMIN, s, &out);
		if (rc == -ENOENT)
			continue;
		if (rc < 0) {
			snprintf(err, errlen, "shard %u did not answer: %s", s, strerror(-rc));
			return rc;
		}
		memset(&wh, 0, sizeof(wh));
		memcpy(&wh, out, RTE_MIN((size_t)rc, sizeof(wh)));
		if ((size_t)rc != sizeof(wh) || wh.aor_len > sizeof(wh.aor)) {
			snprintf(err, errlen, "shard %u: bad answer", s);
			return -EIO;
		}
		if (wh.home == 0) {
			snprintf(err, errlen, "%.*s is not in the directory", (int)wh.aor_len,
				 wh.aor);
			return -ENOENT;
		}
		cp_json_put(j, "aor", cp_json_text(wh.aor, wh.aor_len));
		cp_json_put_uint(j, "home", wh.home);
		return 0;
	}
	snprintf(err, errlen, "bad AoR %s", aor);
	return -EINVAL;
}

/* One record of a DP_QUERY_CONTACT_SHOW answer as a `contacts show` object:
 * uri, expires_in, received, q, origin, version, cseq, port_idx, then instance,
 * reg_id and path when the binding has them. */
static void
adm_contact(json_t *list, const struct dp_contact_ent *e, const char *str)
{
	char addr[SIP_ADDR_STR_MAX + 8];
	json_t *o = cp_json_put_obj(list, NULL);
	size_t n = 0;

	cp_json_put(o, "uri", cp_json_text(str, e->uri_len));
	cp_json_put_uint(o, "expires_in", e->expires_in);
	if (e->family == 6)
		addr[n++] = '[';
	n += sip_addr_fmt(addr + n, sizeof(addr) - n - 8, e->family, e->addr);
	if (e->family == 6)
		addr[n++] = ']';
	snprintf(addr + n, sizeof(addr) - n, ":%u", e->port);
	cp_json_put_str(o, "received", addr);
	cp_json_put(o, "q", json_real(e->q / 1000.0));
	cp_json_put_uint(o, "origin", e->origin);
	cp_json_put_uint(o, "version", e->version);
	cp_json_put_uint(o, "cseq", e->cseq);
	cp_json_put_uint(o, "port_idx", e->local_port);
	if (e->flags & DP_CONTACT_F_INSTANCE)
		cp_json_put(o, "instance", cp_json_text(str + e->uri_len, e->instance_len));
	if (e->reg_id != 0)
		cp_json_put_uint(o, "reg_id", e->reg_id);
	if (e->flags & DP_CONTACT_F_PATH)
		cp_json_put(o, "path", cp_json_text(str + e->uri_len + e->instance_len, e->path_len));
}

/* The owning shard answers (the others say -ENOENT). */
static int
adm_contacts_show(void *arg, const char *aor, json_t *j, char *err, size_t errlen)
{
	static char out[DP_QUERY_OUT] __rte_aligned(8);
	const struct dp_contact_show *head = (const struct dp_contact_show *)(void *)out;
	struct cp *c = arg;
	unsigned int s, i;
	json_t *list;
	size_t off;
	int rc = adm_ask_all(c, DP_QUERY_CONTACT_SHOW, aor, err, errlen);

	if (rc < 0)
		return rc;
	adm_ask_done(c);
	for (s = 0; s < c->sh->n_workers; s++) {
		const char *ans = NULL;

		rc = dp_shared_answer(c->sh, DP_ASK_ADMIN, s, &ans);
		if (rc == -ENOENT)
			continue;
		if (rc < 0) {
			snprintf(err, errlen, "shard %u did not answer: %s", s, strerror(-rc));
			return rc;
		}
		memcpy(out, ans, (size_t)rc);   /* aligned for the records */
		if ((size_t)rc < sizeof(*head) || head->aor_len > sizeof(head->aor)) {
			snprintf(err, errlen, "shard %u: bad answer", s);
			return -EIO;
		}
		cp_json_put(j, "aor", cp_json_text(head->aor, head->aor_len));
		list = cp_json_put_arr(j, "contacts");
		off = sizeof(*head);
		for (i = 0; i < head->n; i++) {
			const struct dp_contact_ent *e = (const struct dp_contact_ent *)(void *)(out + off);

			if ((size_t)rc - off < sizeof(*e) || (size_t)rc - off < DP_CONTACT_ENT_SIZE(e)) {
				snprintf(err, errlen, "shard %u: bad answer", s);
				return -EIO;
			}
			adm_contact(list, e, (const char *)(e + 1));
			off += DP_CONTACT_ENT_SIZE(e);
		}
		return 0;
	}
	snprintf(err, errlen, "no contacts for %s", aor);
	return -ENOENT;
}

/* ---- registrar snapshot ---- */

/* Load the snapshot (before the loop, so before the first sync), then write one
 * every interval from the loop. */
static int
snapshot_start(struct cp *c)
{
	char err[CFG_PATH + 128] = "";
	int n;

	c->snap = calloc(1, sizeof(*c->snap));
	if (c->snap == NULL) {
		CP_LOG(ERR, "registrar.snapshot: out of memory");
		return -ENOMEM;
	}
	cp_repl_snap_init(c->snap, &c->cfg, cp_mono_ms());
	n = cp_repl_snap_load(c->snap, c->repl, cp_wall_ms(), err, sizeof(err));
	if (n < 0)
		CP_LOG(WARNING, "registrar.snapshot: not loaded: %s", err);
	else if (n == 0 && c->snap->counters[CP_REPL_SNAP_C_load_expired] == 0)
		CP_LOG(NOTICE, "registrar.snapshot: no snapshot at %s: starting empty", c->snap->path);
	else
		CP_LOG(NOTICE, "registrar.snapshot: loaded %d binding(s) and tombstone(s) from %s, %llu expired while down, %llu refused%s%s",
		       n, c->snap->path,
		       (unsigned long long)c->snap->counters[CP_REPL_SNAP_C_load_expired],
		       (unsigned long long)c->snap->counters[CP_REPL_SNAP_C_load_bad],
		       err[0] != '\0' ? ": " : "", err);
	c->repl->snap = c->snap;
	return 0;
}

static void
snapshot_stop(struct cp *c)
{
	int rc;

	if (c->snap == NULL)
		return;
	rc = cp_repl_snap_now(c->snap, c->repl, 5000);
	if (rc == 0)
		CP_LOG(NOTICE, "registrar.snapshot: %llu record(s) written to %s",
		       (unsigned long long)c->snap->counters[CP_REPL_SNAP_C_records], c->snap->path);
	else
		CP_LOG(ERR, "registrar.snapshot: the final snapshot failed (%s): %s keeps the previous one",
		       strerror(-rc), c->snap->path);
}

/* The dataplane is gone without stopping (kill -9, a crash): it no longer holds
 * the lock on its DPDK config file (logged). */
static bool
dp_dead(const struct cp *c)
{
	if (rte_eal_primary_proc_alive(NULL))
		return false;
	CP_LOG(ERR, "the dataplane '%s' died: detaching", c->cfg.dp.file_prefix);
	return true;
}

/* ---- Prometheus /metrics (cp_metrics, on this thread) ---- */

static void
metrics_render(void *arg, struct cp_prom *p)
{
	static const struct { const char *name, *help; size_t off; bool gauge_ms; } cpc[] = {
		{ "rx_frames", "cluster datagrams taken from the dataplane", offsetof(struct cp, rx_frames), false },
		{ "rx_not_ipv4", "datagrams from the dataplane too short or not IPv4", offsetof(struct cp, rx_short), false },
		{ "tx_frames", "datagrams handed to the dataplane", offsetof(struct cp, tx_frames), false },
		{ "tx_failed", "datagrams that could not be handed over (no mbuf, ring full)", offsetof(struct cp, tx_fail), false },
		{ "tx_prio_frames", "topology datagrams sent on the priority ring", offsetof(struct cp, tx_prio_frames), false },
		{ "rx_prio_frames", "topology datagrams taken from the priority ring", offsetof(struct cp, rx_prio_frames), false },
		{ "rx_deferred", "loop passes that left replication datagrams for the next", offsetof(struct cp, rx_deferred), false },
		{ "cron_late_max", "longest delay of the cron after it was due", offsetof(struct cp, cron_late_max_ms), true },
		{ "pass_max", "longest pass of the control-plane loop", offsetof(struct cp, pass_max_ms), true },
	};
	struct cp *c = arg;
	char name[96];
	unsigned int k;

	cp_metrics_dataplane(p, c->sh);
	for (k = 0; k < sizeof(cpc) / sizeof(cpc[0]); k++) {
		uint64_t v = *(const uint64_t *)((const char *)c + cpc[k].off);

		snprintf(name, sizeof(name), "sipshard_cp_%s%s", cpc[k].name,
			 cpc[k].gauge_ms ? "_seconds" : "_total");
		cp_prom_family(p, name, cpc[k].gauge_ms ? "gauge" : "counter", cpc[k].help);
		if (cpc[k].gauge_ms)
			cp_prom_f64(p, name, NULL, (double)v / 1000.0);
		else
			cp_prom_u64(p, name, NULL, v);
	}
	cp_metrics_topo(p, &c->topo, c->cluster);
	if (c->cluster) {
		cp_prom_family(p, "sipshard_cluster_rejects_total", "counter",
			       "cluster datagrams refused by the codec, by reason (hmac: wrong key)");
		for (k = 1; k < MSG_REJECT_MAX; k++) {
			snprintf(name, sizeof(name), "reason=\"%s\"", msg_reject_name(k));
			cp_prom_u64(p, "sipshard_cluster_rejects_total", name, c->codec.rejects[k]);
		}
	}
	cp_metrics_tags(p, &c->tags->tags);
	if (c->repl != NULL)
		cp_metrics_repl(p, c->repl);
	for (k = 0; c->snap != NULL && k < CP_REPL_SNAP_COUNTER_MAX; k++) {
		bool gauge = k == CP_REPL_SNAP_C_records || k == CP_REPL_SNAP_C_loaded ||
			     k == CP_REPL_SNAP_C_load_expired || k == CP_REPL_SNAP_C_load_bad;

		snprintf(name, sizeof(name), "sipshard_snapshot_%s%s", cp_repl_snap_counter_name(k),
			 gauge ? "" : "_total");
		cp_prom_family(p, name, gauge ? "gauge" : "counter", cp_repl_snap_counter_help(k));
		cp_prom_u64(p, name, NULL, c->snap->counters[k]);
	}
	cp_prom_family(p, "sipshard_admin_requests_total", "counter", "admin socket requests answered");
	cp_prom_u64(p, "sipshard_admin_requests_total", NULL, c->admin.requests);
	cp_prom_family(p, "sipshard_metrics_scrapes_total", "counter", "/metrics requests answered before this one");
	cp_prom_u64(p, "sipshard_metrics_scrapes_total", NULL, c->metrics.scrapes);
	cp_prom_family(p, "sipshard_metrics_render_max_seconds", "gauge", "longest rendering of /metrics");
	cp_prom_f64(p, "sipshard_metrics_render_max_seconds", NULL, (double)c->metrics.render_us_max / 1e6);
}

static void
log_event(const struct cp_event *ev, void *arg)
{
	(void)arg;
	CP_LOG(NOTICE, "node %u %s: %s", ev->node, cp_event_kind_name(ev->kind), ev->reason);
}

/* ---- main ---- */

static void
usage(FILE *f)
{
	fprintf(f, "usage: sipshard-cp -c FILE [-- EAL-ARGS...]\n"
		   "  attaches to the sipshard-dp of the same dataplane.file_prefix as a DPDK\n"
		   "  secondary process, serves admin.socket and admin.metrics_listen\n"
		   "  (see docs/cluster.md, docs/operations.md)\n"
		   "  -c, --config FILE   node configuration (YAML, see docs/config.md), the dp's\n"
		   "  -h, --help          this text\n"
		   "  -- EAL-ARGS         more EAL arguments (it runs as --proc-type=secondary)\n"
		   "  SIGTERM announces the leave to the peers and exits 0\n");
}

static int
attach(struct cp *c)
{
	unsigned int i;

	c->sh = dp_shared_lookup();
	c->rx = rte_ring_lookup(DP_RING_TO_CP);
	c->tx = rte_ring_lookup(DP_RING_FROM_CP);
	c->rx_prio = rte_ring_lookup(DP_RING_TO_CP_PRIO);
	c->tx_prio = rte_ring_lookup(DP_RING_FROM_CP_PRIO);
	c->pool = rte_mempool_lookup("ss_pkt");
	if (c->sh == NULL || c->rx == NULL || c->tx == NULL || c->rx_prio == NULL ||
	    c->tx_prio == NULL || c->pool == NULL) {
		CP_LOG(ERR, "the dataplane of file prefix '%s' has no %s: is sipshard-dp of the same version running?",
		       c->cfg.dp.file_prefix, c->sh == NULL ? "shared zone" : "control-plane rings or pool");
		return -ENOENT;
	}
	if (c->sh->node_id != c->cfg.node_id) {
		CP_LOG(ERR, "the dataplane is node %u, the config says node %u", c->sh->node_id, c->cfg.node_id);
		return -EINVAL;
	}
	for (i = 0; i <= c->sh->n_workers; i++) {
		if (c->sh->lcores[i] != NULL && c->sh->lcores[i]->lcore_id == rte_lcore_id()) {
			CP_LOG(ERR, "the dataplane runs an lcore as id %u, which sipshard-cp uses: "
			       "give the dataplane lcore ids below %u", rte_lcore_id(), CP_LCORE_ID);
			return -EBUSY;
		}
	}
	if (c->sh->dp_stopping) {
		CP_LOG(ERR, "the dataplane is stopping");
		return -ESHUTDOWN;
	}
	c->sh->cp_pid = (int32_t)getpid();
	c->sh->cp_attached = 1;
	c->port_idx = (uint16_t)c->cfg.cluster.port_index;
	if (c->port_idx >= c->sh->n_ports) {
		CP_LOG(ERR, "cluster.port_index %u: the dataplane has %u port(s)", c->port_idx, c->sh->n_ports);
		return -EINVAL;
	}
	c->port = &c->sh->ports[c->port_idx];
	return 0;
}

/* The cp's EAL --lcores value: lcore CP_LCORE_ID on CPU 0, or on the CPUs
 * SIPSHARD_CP_CPUS names ("1", "0-1", "2,3": digits, ',' and '-' only), e.g. to
 * keep it off the CPU of the SIP traffic or of another node's cp. */
static char *
cp_lcores_arg(void)
{
	static char arg[64];
	static char dflt[] = RTE_STR(CP_LCORE_ID) "@0";
	const char *v = getenv("SIPSHARD_CP_CPUS");

	if (v == NULL || *v == '\0' || strlen(v) > 40 || strspn(v, "0123456789,-") != strlen(v)) {
		if (v != NULL && *v != '\0')
			fprintf(stderr, "sipshard-cp: SIPSHARD_CP_CPUS '%s' ignored (digits, ',' "
				"and '-' only): CPU 0\n", v);
		return dflt;
	}
	snprintf(arg, sizeof(arg), "%u@(%s)", CP_LCORE_ID, v);
	return arg;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cp *c = &cp;
	struct cp_topo_conf conf;
	struct cp_admin_ops ops;
	char *eal_argv[64];
	char err[512];
	const char *path = NULL;
	int opt, eal_argc = 0, i, exit_code = 1;
	uint64_t next_publish = 0, next_tags = 0, next_metrics = 0, next_alive = 0, next_admin = 0;
	bool dp_gone = false, dp_died = false;

	while ((opt = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	if (cfg_load(path, &c->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	c->cluster = c->cfg.cluster.enabled;
	if (c->cluster) {
		msg_codec_init(&c->codec, c->cfg.cluster.id, c->cfg.node_id);
		if (msg_codec_load_key(&c->codec, c->cfg.cluster.key_file, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s: cluster.key_file: %s\n", path, err);
			return 2;
		}
	}

	if (dp_log_init(&c->cfg.log, "sipshard-cp") != 0)
		fprintf(stderr, "sipshard-cp: log: cannot install the log stream: %s\n", strerror(errno));
	eal_argv[eal_argc++] = "sipshard-cp";
	eal_argv[eal_argc++] = "--proc-type=secondary";
	eal_argv[eal_argc++] = "--file-prefix";
	eal_argv[eal_argc++] = c->cfg.dp.file_prefix;
	/* An lcore id the dataplane does not use (checked in attach): the packet pool's
	 * per-lcore caches live in shared memory, and two processes running as the same
	 * lcore id would share one cache without a lock. */
	eal_argv[eal_argc++] = "--lcores";
	eal_argv[eal_argc++] = cp_lcores_arg();
	eal_argv[eal_argc++] = "--no-pci";
	for (i = optind; i < argc && eal_argc < 62; i++)
		eal_argv[eal_argc++] = argv[i];
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		CP_LOG(ERR, "cannot attach to the dataplane '%s' (%s): it must be running, "
		       "with huge pages (a --no-huge dataplane has no secondary processes)",
		       c->cfg.dp.file_prefix, rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (attach(c) != 0)
		goto cleanup;
	if (c->cluster) {
		uint64_t inc;

		if (cp_topo_incarnation_next(c->cfg.cluster.incarnation_file,
					     cp_topo_new_incarnation(), &inc, err, sizeof(err)) != 0) {
			CP_LOG(ERR, "cluster.incarnation_file: %s", err);
			goto cleanup;
		}
		if (cp_topo_conf_from_cfg(&conf, &c->cfg, inc) != 0) {
			CP_LOG(ERR, "%s: bad cluster section", path);
			goto cleanup;
		}
		conf.self_addr = rte_be_to_cpu_32(c->port->ipv4);
		cp_topo_init(&c->topo, &conf, cp_mono_ms());
		cp_topo_set_event_fn(&c->topo, log_event, NULL);
		{
			/* full-sharing: every binding travels; federation: only each
			 * AoR's directory entry (the shards and cp_repl_node decide) */
			int rc;

			c->repl = calloc(1, sizeof(*c->repl));
			rc = c->repl == NULL ? -ENOMEM :
			     cp_repl_node_init(c->repl, &c->cfg, c->sh, conf.incarnation, c->port->mtu);
			if (rc != 0) {
				CP_LOG(ERR, "replication: cannot attach to the shards' rings: %s",
				       strerror(-rc));
				goto cleanup;
			}
			CP_LOG(INFO, "replication: %s, %u shard(s), %u-byte record budget per datagram",
			       cfg_cluster_mode_name(c->cfg.cluster.mode), c->repl->n_shards,
			       c->repl->conf.max_body);
			if (c->cfg.reg.snapshot_path[0] != '\0' && snapshot_start(c) != 0)
				goto cleanup;
		}
	} else {
		memset(&c->topo, 0, sizeof(c->topo));
		c->topo.conf.self_id = c->cfg.node_id;
		c->topo.conf.self_addr = rte_be_to_cpu_32(c->port->ipv4);
	}
	c->tags = calloc(1, sizeof(*c->tags));
	if (c->tags == NULL) {
		CP_LOG(ERR, "out of memory");
		goto cleanup;
	}
	cp_tags_node_init(c->tags, &c->cfg, c->cluster ? c->topo.conf.incarnation : 1, cp_mono_ms());
	if (c->cluster) {
		c->backends = calloc(1, sizeof(*c->backends));
		if (c->backends == NULL) {
			CP_LOG(ERR, "out of memory");
			goto cleanup;
		}
		cp_backends_init(c->backends, &c->cfg);
	}

	memset(&ops, 0, sizeof(ops));
	ops.arg = c;
	ops.status = adm_status;
	ops.nodes = adm_nodes;
	ops.events = adm_events;
	ops.stats = adm_stats;
	ops.contacts_count = adm_contacts_count;
	ops.contacts_where = adm_contacts_where;
	ops.backends = adm_backends;
	ops.contacts_show = adm_contacts_show;
	ops.sync = adm_sync;
	ops.sync_start = adm_sync_start;
	ops.auth_reload = adm_auth_reload;
	ops.limits = adm_limits;
	ops.tags = adm_tags;
	ops.tag_set_active = adm_tag_set_active;
	ops.tag_status = adm_tag_status;
	ops.tags_history = adm_tags_history;
	ops.pinging = adm_pinging;
	cp_admin_init(&c->admin, &ops);
	if (c->cfg.admin_group[0] != '\0') {
		const struct group *gr = getgrnam(c->cfg.admin_group);

		if (gr == NULL) {
			CP_LOG(ERR, "admin.group: no group '%s'", c->cfg.admin_group);
			goto cleanup;
		}
		cp_admin_set_group(&c->admin, (long)gr->gr_gid);
	}
	if (cp_admin_listen(&c->admin, c->cfg.admin_socket, err, sizeof(err)) != 0) {
		CP_LOG(ERR, "admin.socket: %s", err);
		goto cleanup;
	}
	if (c->cfg.metrics_listen[0] != '\0') {
		if (cp_metrics_listen(&c->metrics, c->cfg.metrics_listen, metrics_render, c, err,
				      sizeof(err)) != 0) {
			CP_LOG(ERR, "admin.metrics_listen: %s", err);
			cp_admin_close(&c->admin);
			goto cleanup;
		}
		CP_LOG(INFO, "metrics: http://%s/metrics", c->cfg.metrics_listen);
	}
	CP_LOG(NOTICE, "ready: node %u attached to dataplane '%s', %s, admin socket %s",
	       c->cfg.node_id, c->cfg.dp.file_prefix,
	       c->cluster ? "cluster steering through the dataplane rings" : "no cluster configured",
	       c->cfg.admin_socket);
	sd_notify(0, "READY=1");   /* Type=notify; a no-op outside systemd */

	while (!stop) {
		uint64_t now;
		unsigned int work;

		if (c->sh->dp_stopping) {   /* its rings and pools are about to go */
			CP_LOG(NOTICE, "the dataplane is stopping: detaching");
			dp_gone = true;
			break;
		}
		now = cp_mono_ms();
		if (now >= next_alive) {
			/* A dataplane killed (-9, a crash) never sets dp_stopping. Its
			 * config file lock is gone with it: detach at once, or this
			 * process keeps its memory mapped and a new dataplane with the
			 * same file prefix cannot start (EAL: Cannot init memzone). */
			if (dp_dead(c)) {
				dp_gone = dp_died = true;
				break;
			}
			next_alive = now + DP_ALIVE_MS;
		}
		work = 0;
		if (c->cluster) {   /* topology first, then a bounded share of replication */
			work += topo_step(c);
			work += receive(c, c->rx, RX_BURST, now);
			if (c->repl != NULL)
				cp_repl_node_rx_flush(c->repl);
			if (!rte_ring_empty(c->rx))
				c->rx_deferred++;
		}
		if (now >= next_tags) {
			cp_tags_node_cron(c->tags, &c->topo, now, cp_wall_ms(), repl_send, c);
			cp_topo_set_cap(&c->topo, MSG_CAP_TAGS, (enum msg_cap_state)c->tags->tags.state);
			if (c->backends != NULL)
				backends_step(c, now);
			next_tags = now + CRON_MS;
		}
		if (c->repl != NULL) {   /* each stage bounded; topology again between them */
			work += topo_step(c);
			work += cp_repl_node_sync(c->repl, cp_mono_ms(), repl_send, c);
			work += topo_step(c);
			cp_repl_node_ae(c->repl, cp_mono_ms(), repl_send, c);
			work += topo_step(c);
			work += cp_repl_node_events(c->repl, cp_mono_ms());
			work += topo_step(c);
			cp_repl_node_poll(c->repl, cp_mono_ms(), repl_send, c);
			if (c->snap != NULL)
				work += cp_repl_snap_step(c->snap, c->repl, cp_mono_ms(), cp_wall_ms());
		}
		if (now >= next_publish) {
			publish_nodes(c);
			publish_tags(c);
			publish_repl(c);
			next_publish = now + DP_REPL_PUB_MS;
		}
		c->sh->cp_seen_tsc = rte_rdtsc();
		if (now >= next_admin) {        /* a poll() each: at most once a millisecond */
			cp_admin_poll(&c->admin, 0);
			next_admin = now + 1;
		}
		if (now >= next_metrics) {
			cp_metrics_poll(&c->metrics);
			next_metrics = now + CRON_MS;
		}
		if (cp_mono_ms() - now > c->pass_max_ms)
			c->pass_max_ms = cp_mono_ms() - now;
		if (work == 0 ||
		    (work < BATCH_MIN && (c->repl == NULL || !cp_repl_node_syncing(c->repl)))) {
			struct timespec ts = { 0, IDLE_SLEEP_NS };

			nanosleep(&ts, NULL);
		}
	}
	if (!dp_gone && dp_dead(c))
		dp_gone = dp_died = true;
	if (!dp_gone)
		snapshot_stop(c);   /* before the leave: the dataplane's shards are still here */
	if (c->cluster && !dp_gone) {
		cp_topo_leave(&c->topo, cp_mono_ms(), "shutdown", &c->acts);
		send_actions(c, cp_mono_ms());
	}
	if (dp_died && c->snap != NULL)
		CP_LOG(NOTICE, "registrar.snapshot: no final snapshot without the dataplane: %s keeps the last periodic one",
		       c->snap->path);
	CP_LOG(NOTICE, "stopping%s", c->cluster && !dp_gone ? " (leave announced)" : "");
	exit_code = dp_died ? 1 : 0;
	cp_admin_close(&c->admin);
cleanup:
	free(c->backends);
	c->backends = NULL;
	cp_metrics_close(&c->metrics);
	if (c->snap != NULL) {
		if (c->repl != NULL)
			c->repl->snap = NULL;
		cp_repl_snap_fini(c->snap);
		free(c->snap);
		c->snap = NULL;
	}
	free(c->tags);
	c->tags = NULL;
	if (c->repl != NULL) {
		cp_repl_node_fini(c->repl);
		free(c->repl);
		c->repl = NULL;
	}
	if (c->sh != NULL)
		c->sh->cp_attached = 0;
	if (c->cluster)
		msg_codec_fini(&c->codec);
	rte_eal_cleanup();
	return exit_code;
}
