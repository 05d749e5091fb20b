/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the cluster topology state machine (control/topo/cp_topo).
 *
 * A small simulator runs up to SIM_MAX in-memory nodes on a fake clock: every
 * tick each live node runs cp_topo_cron(), and the actions every node returns are
 * built (cp_topo_msg), encoded and authenticated (msg_encode), "sent" through a
 * network that a test may cut per direction or per message type, decoded by the
 * receiver (msg_decode) and handed to its cp_topo_on_msg(), until no node has
 * anything left to send. Delivery is instantaneous; time only moves by ticks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "control/topo/cp_topo.h"
#include "proto/msg_codec.h"

#define SIM_MAX      5                  /* node ids 1..SIM_MAX */
#define SIM_IV       200                /* ping_interval_ms */
#define SIM_TIMEOUT  1000               /* node_timeout_ms */
#define SIM_TICK     10                 /* ms between two crons */
#define SIM_CLUSTER  7
#define SIM_PORT     5800
#define SIM_ADDR(id) (0xc6120000u | (uint32_t)(id))     /* 198.18.0.id */

static const char sim_key[] = "test key of the cluster bus, 32+";

struct sim;
typedef bool sim_drop_fn(const struct sim *s, int from, int to, uint8_t type);

struct sim_node {
	bool alive;                     /* false: crashed, neither cron nor network */
	struct cp_topo t;
	struct msg_codec codec;
	struct cp_actions out;
};

struct sim {
	int n;
	uint64_t now;
	sim_drop_fn *drop;
	struct sim_node node[SIM_MAX + 1];
	/* capture of one datagram from capture_from to capture_to (for replays) */
	int capture_from, capture_to;
	size_t captured_len;
	uint8_t captured[MSG_MAX_LEN];
	uint64_t delivered, dropped;
};

static struct sim sim;                  /* big: not on the stack */

/* ---- the simulator ---- */

static void
sim_conf(struct cp_topo_conf *conf, int id, uint64_t incarnation, unsigned int static_mask,
	 uint32_t seed)
{
	int j;

	memset(conf, 0, sizeof(*conf));
	conf->self_id = (uint16_t)id;
	conf->self_addr = SIM_ADDR(id);
	conf->port = SIM_PORT;
	conf->cluster_id = SIM_CLUSTER;
	conf->incarnation = incarnation;
	conf->ping_interval_ms = SIM_IV;
	conf->node_timeout_ms = SIM_TIMEOUT;
	for (j = 1; j <= SIM_MAX; j++) {
		if (j == id || !(static_mask & (1u << j)))
			continue;
		conf->nodes[conf->n_nodes].id = (uint16_t)j;
		conf->nodes[conf->n_nodes].addr = SIM_ADDR(j);
		conf->nodes[conf->n_nodes].port = SIM_PORT;
		conf->n_nodes++;
	}
	if (seed != 0)
		conf->seeds[conf->n_seeds++] = seed;
}

/* (Re)start node ID with INCARNATION, knowing the nodes of STATIC_MASK (bit i =
 * node i) and joining through SEED (0: none). */
static void
sim_start(struct sim *s, int id, uint64_t incarnation, unsigned int static_mask, uint32_t seed)
{
	struct sim_node *nd = &s->node[id];
	struct cp_topo_conf conf;

	sim_conf(&conf, id, incarnation, static_mask, seed);
	assert_int_equal(cp_topo_init(&nd->t, &conf, s->now), 0);
	msg_codec_init(&nd->codec, SIM_CLUSTER, (uint16_t)id);
	assert_int_equal(msg_codec_set_key(&nd->codec, sim_key, strlen(sim_key)), 0);
	nd->out.n = 0;
	nd->alive = true;
}

/* N nodes that all know each other statically. */
static void
sim_init_static(struct sim *s, int n)
{
	unsigned int mask = 0;
	int i;

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->now = 1000;                  /* any origin: the topology must not care */
	for (i = 1; i <= n; i++)
		mask |= 1u << i;
	for (i = 1; i <= n; i++)
		sim_start(s, i, 5000 + (uint64_t)i, mask, 0);
}

static int
sim_id_of_addr(uint32_t addr)
{
	int id = (int)(addr & 0xff);

	return (addr & 0xffffff00u) == 0xc6120000u && id >= 1 && id <= SIM_MAX ? id : 0;
}

/* Hand a datagram from node FROM to node TO; returns what cp_topo_on_msg said. */
static int
sim_deliver(struct sim *s, int from, int to, const uint8_t *buf, size_t len)
{
	struct sim_node *dst = &s->node[to];
	struct msg m;

	assert_int_equal(msg_decode(&dst->codec, buf, len, &m), MSG_REJECT_NONE);
	m.src_addr = SIM_ADDR(from);
	m.src_port = SIM_PORT;
	return cp_topo_on_msg(&dst->t, &m, s->now, &dst->out);
}

/* Send everything the nodes want to send, and what that provokes, until quiet. */
static void
sim_flush(struct sim *s)
{
	static struct cp_actions todo;
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int round, i, k, to, len;
	bool busy = true;

	for (round = 0; busy; round++) {
		assert_true(round < 100);
		busy = false;
		for (i = 1; i <= s->n; i++) {
			struct sim_node *nd = &s->node[i];

			if (nd->out.n == 0)
				continue;
			todo = nd->out;
			nd->out.n = 0;
			busy = true;
			if (!nd->alive)
				continue;
			for (k = 0; k < todo.n; k++) {
				const struct cp_action *a = &todo.a[k];

				assert_int_equal(cp_topo_msg(&nd->t, a, s->now, &m), 0);
				len = msg_encode(&nd->codec, &m, buf, sizeof(buf));
				assert_true(len > 0);
				to = sim_id_of_addr(a->dst_addr);
				assert_int_equal(a->dst_port, SIM_PORT);
				if (a->dst_id != 0)
					assert_int_equal(a->dst_id, to);
				if (to == 0 || to > s->n || !s->node[to].alive ||
				    (s->drop != NULL && s->drop(s, i, to, a->type))) {
					s->dropped++;
					continue;
				}
				if (i == s->capture_from && to == s->capture_to &&
				    a->type == MSG_T_HEARTBEAT && s->captured_len == 0) {
					memcpy(s->captured, buf, (size_t)len);
					s->captured_len = (size_t)len;
				}
				s->delivered++;
				sim_deliver(s, i, to, buf, (size_t)len);
			}
		}
	}
}

static void
sim_tick(struct sim *s)
{
	int i;

	s->now += SIM_TICK;
	for (i = 1; i <= s->n; i++)
		if (s->node[i].alive)
			cp_topo_cron(&s->node[i].t, s->now, &s->node[i].out);
	sim_flush(s);
}

static void
sim_run(struct sim *s, uint64_t ms)
{
	uint64_t end = s->now + ms;

	while (s->now < end)
		sim_tick(s);
}

static int
sim_state(const struct sim *s, int viewer, int peer)
{
	const struct cp_peer *p = cp_topo_peer(&s->node[viewer].t, (uint16_t)peer);

	return p != NULL ? (int)p->state : -1;
}

static bool
sim_all_up(const struct sim *s)
{
	int i, j;

	for (i = 1; i <= s->n; i++)
		for (j = 1; j <= s->n; j++)
			if (i != j && s->node[i].alive && s->node[j].alive &&
			    sim_state(s, i, j) != CP_NODE_UP)
				return false;
	return true;
}

/* Events of KIND about node ABOUT in VIEWER's history (REASON: prefix, or NULL). */
static int
sim_events(const struct sim *s, int viewer, enum cp_event_kind kind, int about,
	   const char *reason)
{
	const struct cp_topo *t = &s->node[viewer].t;
	unsigned int i;
	int n = 0;

	for (i = 0; i < cp_topo_history_count(t); i++) {
		const struct cp_event *ev = cp_topo_history_get(t, i);

		if (ev->kind == kind && ev->node == about &&
		    (reason == NULL || strncmp(ev->reason, reason, strlen(reason)) == 0))
			n++;
	}
	return n;
}

static void
sim_expect_all_up(struct sim *s, uint64_t within)
{
	uint64_t end = s->now + within;

	while (!sim_all_up(s) && s->now < end)
		sim_tick(s);
	assert_true(sim_all_up(s));
}

/* ---- drop rules ---- */

static int sim_cut_node;                /* node whose links the rules cut */
static int sim_cut_from, sim_cut_to;    /* one direction */

static bool
drop_odd_intervals(const struct sim *s, int from, int to, uint8_t type)
{
	(void)type;
	return (from == sim_cut_node || to == sim_cut_node) && (s->now / SIM_IV) % 2 == 1;
}

/* on 1000 ms, off 1400 ms (> node_timeout_ms), repeating */
static bool
drop_long_gaps(const struct sim *s, int from, int to, uint8_t type)
{
	(void)type;
	return (from == sim_cut_node || to == sim_cut_node) && s->now % 2400 >= 1000;
}

static bool
drop_one_way(const struct sim *s, int from, int to, uint8_t type)
{
	(void)s;
	(void)type;
	return from == sim_cut_from && to == sim_cut_to;
}

static bool
drop_node(const struct sim *s, int from, int to, uint8_t type)
{
	(void)s;
	(void)type;
	return from == sim_cut_node || to == sim_cut_node;
}

static bool
drop_announces(const struct sim *s, int from, int to, uint8_t type)
{
	(void)s;
	(void)from;
	(void)to;
	return type == MSG_T_ANNOUNCE;
}

/* ---- tests ---- */

/* The link state machine alone, on hand-made peers. */
static void
test_link_next_pure(void **state)
{
	struct cp_peer p;
	char why[CP_EVENT_REASON];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.state = CP_NODE_PROBING;
	p.state_since = 100;
	p.heard_at = CP_NEVER;
	p.proven_at = CP_NEVER;
	assert_int_equal(cp_topo_link_next(&p, 100, 1000, why, sizeof(why)), CP_NODE_PROBING);
	assert_int_equal(cp_topo_link_next(&p, 1099, 1000, why, sizeof(why)), CP_NODE_PROBING);
	assert_int_equal(cp_topo_link_next(&p, 1100, 1000, why, sizeof(why)), CP_NODE_DOWN);
	assert_string_equal(why, "timeout 1000 ms");
	p.heard_at = 500;               /* inbound only: asymmetric */
	assert_int_equal(cp_topo_link_next(&p, 1100, 1000, why, sizeof(why)), CP_NODE_DOWN);
	assert_string_equal(why, "not heard by the peer for 1000 ms");
	p.proven_at = 600;              /* both ways */
	assert_int_equal(cp_topo_link_next(&p, 1100, 1000, why, sizeof(why)), CP_NODE_UP);
	p.state = CP_NODE_UP;
	assert_int_equal(cp_topo_link_next(&p, 1499, 1000, why, sizeof(why)), CP_NODE_UP);
	assert_int_equal(cp_topo_link_next(&p, 1500, 1000, why, sizeof(why)), CP_NODE_DOWN);
	assert_string_equal(why, "timeout 1000 ms");
	p.heard_at = 1400;              /* still heard, no longer acknowledged */
	assert_int_equal(cp_topo_link_next(&p, 1600, 1000, why, sizeof(why)), CP_NODE_DOWN);
	assert_string_equal(why, "not heard by the peer for 1000 ms");
	p.state = CP_NODE_DOWN;         /* down stays down until both ways work */
	assert_int_equal(cp_topo_link_next(&p, 1600, 1000, why, sizeof(why)), CP_NODE_DOWN);
	p.proven_at = 1550;
	assert_int_equal(cp_topo_link_next(&p, 1600, 1000, why, sizeof(why)), CP_NODE_UP);
	p.state = CP_NODE_LEFT;         /* left is final for a run */
	assert_int_equal(cp_topo_link_next(&p, 1600, 1000, why, sizeof(why)), CP_NODE_LEFT);
}

static void
test_init_rejects(void **state)
{
	struct cp_topo_conf conf;
	static struct cp_topo t;

	(void)state;
	sim_conf(&conf, 1, 1, 0x6, 0);
	assert_int_equal(cp_topo_init(&t, &conf, 0), 0);
	assert_int_equal(t.n_peers, 1);
	assert_int_equal(cp_topo_peer(&t, 2)->state, CP_NODE_PROBING);
	assert_true(cp_topo_peer(&t, 2)->is_static);
	assert_null(cp_topo_peer(&t, 1));
	conf.incarnation = 0;
	assert_int_equal(cp_topo_init(&t, &conf, 0), -EINVAL);
	sim_conf(&conf, 1, 1, 0x6, 0);
	conf.node_timeout_ms = conf.ping_interval_ms;
	assert_int_equal(cp_topo_init(&t, &conf, 0), -EINVAL);
	sim_conf(&conf, 1, 1, 0xe, 0);
	conf.nodes[1].id = conf.nodes[0].id;       /* duplicate */
	assert_int_equal(cp_topo_init(&t, &conf, 0), -EINVAL);
	sim_conf(&conf, 1, 1, 0x6, 0);
	conf.nodes[0].id = 1;                       /* self */
	assert_int_equal(cp_topo_init(&t, &conf, 0), -EINVAL);
}

static void
test_static_three_up(void **state)
{
	int i, j;

	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 2 * SIM_IV);
	assert_true(sim_all_up(&sim));
	for (i = 1; i <= 3; i++)
		for (j = 1; j <= 3; j++)
			if (i != j)
				assert_int_equal(sim_events(&sim, i, CP_EVENT_UP, j, NULL), 1);
	/* steady: nothing changes over a while, heartbeats at the interval */
	sim_run(&sim, 10000);
	assert_true(sim_all_up(&sim));
	assert_int_equal(sim.node[1].t.counters[CP_TOPO_C_downs], 0);
	assert_true(cp_topo_peer(&sim.node[1].t, 2)->tx <= 10000 / SIM_IV + 2 * SIM_IV / SIM_TICK);
	assert_true(cp_topo_peer(&sim.node[1].t, 2)->tx >= 10000 / SIM_IV);
}

/* A crashed node is down within timeout + one interval, never before timeout. */
static void
test_kill_one(void **state)
{
	const struct cp_peer *p;
	uint64_t killed, heard, down_at = 0;
	int v;

	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	assert_true(sim_all_up(&sim));
	sim_run(&sim, 130);             /* not aligned on an interval */
	killed = sim.now;
	sim.node[3].alive = false;
	for (v = 1; v <= 2; v++) {
		p = cp_topo_peer(&sim.node[v].t, 3);
		heard = p->heard_at;
		assert_true(heard <= killed && killed - heard <= SIM_IV);
	}
	heard = cp_topo_peer(&sim.node[1].t, 3)->heard_at;
	while (sim.now < killed + SIM_TIMEOUT + SIM_IV + SIM_TICK) {
		sim_tick(&sim);
		if (down_at == 0 && sim_state(&sim, 1, 3) == CP_NODE_DOWN)
			down_at = sim.now;
		if (sim.now < heard + SIM_TIMEOUT)
			assert_int_equal(sim_state(&sim, 1, 3), CP_NODE_UP);
	}
	assert_true(down_at != 0);
	assert_true(down_at >= heard + SIM_TIMEOUT);
	assert_true(down_at <= killed + SIM_TIMEOUT + SIM_IV);
	assert_int_equal(sim_state(&sim, 2, 3), CP_NODE_DOWN);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 3, "timeout 1000 ms"), 1);
	assert_int_equal(sim_state(&sim, 1, 2), CP_NODE_UP);       /* the others stay up */
	/* the dead node keeps being probed, at the slower rate */
	{
		uint64_t tx0 = cp_topo_peer(&sim.node[1].t, 3)->tx;

		sim_run(&sim, 8 * SIM_IV * CP_TOPO_PROBE_FACTOR);
		assert_true(cp_topo_peer(&sim.node[1].t, 3)->tx - tx0 >= 7);
		assert_true(cp_topo_peer(&sim.node[1].t, 3)->tx - tx0 <= 9);
	}
}

/* A network cut: down on both sides, back up by itself when it heals. */
static void
test_cut_and_heal(void **state)
{
	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	assert_true(sim_all_up(&sim));
	sim_cut_node = 3;
	sim.drop = drop_node;
	sim_run(&sim, 3000);
	assert_int_equal(sim_state(&sim, 1, 3), CP_NODE_DOWN);
	assert_int_equal(sim_state(&sim, 3, 1), CP_NODE_DOWN);
	assert_int_equal(sim_state(&sim, 3, 2), CP_NODE_DOWN);
	sim.drop = NULL;
	sim_expect_all_up(&sim, 2 * SIM_IV * CP_TOPO_PROBE_FACTOR);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_UP, 3, NULL), 2);
	assert_int_equal(sim_events(&sim, 3, CP_EVENT_DOWN, 1, "timeout"), 1);
}

/* Packets only every other interval: silences shorter than the timeout. */
static void
test_flapping_within_timeout(void **state)
{
	int i;

	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	assert_true(sim_all_up(&sim));
	sim_cut_node = 3;
	sim.drop = drop_odd_intervals;
	sim_run(&sim, 20000);
	assert_true(sim.dropped > 50);
	assert_true(sim_all_up(&sim));
	for (i = 1; i <= 3; i++)
		assert_int_equal(sim.node[i].t.counters[CP_TOPO_C_downs], 0);
}

/* Silences longer than the timeout: the state follows, each time. */
static void
test_flapping_beyond_timeout(void **state)
{
	int downs, ups;

	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 2400 - sim.now % 2400);
	assert_true(sim_all_up(&sim));
	sim_cut_node = 3;
	sim.drop = drop_long_gaps;      /* cycles of 2400 ms */
	sim_run(&sim, 5 * 2400);
	downs = sim_events(&sim, 1, CP_EVENT_DOWN, 3, "timeout 1000 ms");
	ups = sim_events(&sim, 1, CP_EVENT_UP, 3, NULL);
	assert_true(downs >= 4);
	assert_true(ups >= downs);      /* it came back each time */
	assert_true(sim_events(&sim, 3, CP_EVENT_DOWN, 2, NULL) >= 4);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 2, NULL), 0);
}

/* A hears B, B does not hear A: neither side calls the link up. */
static void
test_asymmetric(void **state)
{
	(void)state;
	sim_init_static(&sim, 3);
	sim_cut_from = 1;
	sim_cut_to = 2;                 /* 1 -> 2 lost, 2 -> 1 fine */
	sim.drop = drop_one_way;
	sim_run(&sim, 3000);
	assert_int_equal(sim_state(&sim, 1, 2), CP_NODE_DOWN);
	assert_int_equal(sim_state(&sim, 2, 1), CP_NODE_DOWN);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_UP, 2, NULL), 0);
	assert_int_equal(sim_events(&sim, 2, CP_EVENT_UP, 1, NULL), 0);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 2, "not heard by the peer"), 1);
	assert_int_equal(sim_events(&sim, 2, CP_EVENT_DOWN, 1, "timeout"), 1);
	assert_true(cp_topo_peer(&sim.node[1].t, 2)->heard_at != CP_NEVER);
	assert_int_equal(sim_state(&sim, 3, 1), CP_NODE_UP);
	assert_int_equal(sim_state(&sim, 3, 2), CP_NODE_UP);
	assert_int_equal(sim_state(&sim, 1, 3), CP_NODE_UP);
	assert_int_equal(sim_state(&sim, 2, 3), CP_NODE_UP);

	/* heal, then break one direction of a link that is up */
	sim.drop = NULL;
	sim_expect_all_up(&sim, 2 * SIM_IV * CP_TOPO_PROBE_FACTOR);
	sim.drop = drop_one_way;
	sim_run(&sim, SIM_TIMEOUT + SIM_IV);
	assert_int_equal(sim_state(&sim, 1, 2), CP_NODE_DOWN);
	assert_int_equal(sim_state(&sim, 2, 1), CP_NODE_DOWN);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 2, "not heard by the peer"), 2);
}

/* Same id, new incarnation: a restart; the old run's messages are then stale. */
static void
test_restart_and_stale(void **state)
{
	const struct cp_peer *p;
	uint64_t stale0;
	char want[CP_EVENT_REASON];
	uint8_t old[MSG_MAX_LEN];
	size_t old_len;

	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	assert_true(sim_all_up(&sim));
	sim.capture_from = 2;
	sim.capture_to = 1;
	sim_run(&sim, SIM_IV);
	assert_true(sim.captured_len > 0);
	memcpy(old, sim.captured, sim.captured_len);
	old_len = sim.captured_len;

	/* a duplicate of a message already seen: stale sequence */
	assert_int_equal(sim_deliver(&sim, 2, 1, old, old_len), -ESTALE);
	assert_int_equal(sim.node[1].t.counters[CP_TOPO_C_stale_seq], 1);

	/* node 2 restarts at once (faster than the timeout) with a new run */
	sim_start(&sim, 2, 9000, 0xe, 0);
	sim_run(&sim, SIM_TICK);
	snprintf(want, sizeof(want), "restarted (incarnation %u->%u)", 5002, 9000);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 2, want), 1);
	assert_int_equal(sim_events(&sim, 3, CP_EVENT_DOWN, 2, want), 1);
	p = cp_topo_peer(&sim.node[1].t, 2);
	assert_int_equal(p->incarnation, 9000);
	assert_int_equal(p->restarts, 1);
	sim_expect_all_up(&sim, 3 * SIM_IV);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_UP, 2, NULL), 2);

	/* a message of the previous run arrives late: ignored and counted */
	stale0 = sim.node[1].t.counters[CP_TOPO_C_stale_incarnation];
	assert_int_equal(sim_deliver(&sim, 2, 1, old, old_len), -ESTALE);
	assert_int_equal(sim.node[1].t.counters[CP_TOPO_C_stale_incarnation], stale0 + 1);
	assert_int_equal(cp_topo_peer(&sim.node[1].t, 2)->incarnation, 9000);
	assert_int_equal(sim_state(&sim, 1, 2), CP_NODE_UP);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 2, NULL), 1);
	sim_run(&sim, 2000);
	assert_true(sim_all_up(&sim));
}

/* A restart slower than the timeout: down by timeout, then a restarted event. */
static void
test_restart_after_down(void **state)
{
	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	sim.node[3].alive = false;
	sim_run(&sim, 2000);
	assert_int_equal(sim_state(&sim, 1, 3), CP_NODE_DOWN);
	sim_start(&sim, 3, 7777, 0x6, 0);
	sim_expect_all_up(&sim, 2 * SIM_IV * CP_TOPO_PROBE_FACTOR);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_RESTARTED, 3, "incarnation 5003->7777"), 1);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_UP, 3, NULL), 2);
}

static void
check_full_mesh(int n)
{
	int i, j;

	for (i = 1; i <= n; i++) {
		assert_int_equal(sim.node[i].t.n_peers, n - 1);
		for (j = 1; j <= n; j++)
			if (i != j)
				assert_int_equal(sim_state(&sim, i, j), CP_NODE_UP);
	}
}

/* D knows only the address of seed A; the whole cluster adopts it. */
static void
test_dynamic_join(void **state)
{
	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	sim.n = 4;
	sim_start(&sim, 4, 4444, 0, SIM_ADDR(1));
	assert_int_equal(sim.node[4].t.n_peers, 0);
	assert_false(sim.node[4].t.adopted);
	sim_run(&sim, 2 * SIM_IV);
	check_full_mesh(4);
	assert_true(sim.node[4].t.adopted);
	assert_int_equal(sim_events(&sim, 4, CP_EVENT_ADOPTED, 4, "adopted by node 1 (3 members)"), 1);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_JOINED, 4, "joined through this node"), 1);
	assert_int_equal(sim_events(&sim, 2, CP_EVENT_JOINED, 4, "announced by node 1"), 1);
	assert_int_equal(sim_events(&sim, 3, CP_EVENT_JOINED, 4, "announced by node 1"), 1);
	assert_int_equal(sim.node[4].t.counters[CP_TOPO_C_tx_join], 1);
	/* adopted: no more joins */
	sim_run(&sim, 2000);
	assert_int_equal(sim.node[4].t.counters[CP_TOPO_C_tx_join], 1);
	check_full_mesh(4);
}

/* Announces lost: the newcomer's heartbeats introduce it anyway. */
static void
test_join_without_announce(void **state)
{
	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	sim.n = 5;
	sim.drop = drop_announces;
	sim_start(&sim, 4, 4444, 0, SIM_ADDR(2));
	sim_start(&sim, 5, 5555, 0, SIM_ADDR(4));   /* joins through the newcomer */
	sim_run(&sim, 3000);
	check_full_mesh(5);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_JOINED, 4, "heard from it"), 1);
}

/* A seed that is not up yet: the newcomer retries every interval. */
static void
test_join_retries(void **state)
{
	(void)state;
	sim_init_static(&sim, 2);
	sim.n = 3;
	sim_start(&sim, 3, 3333, 0, SIM_ADDR(1));
	sim_cut_node = 1;
	sim.drop = drop_node;
	sim_run(&sim, 1000);
	assert_false(sim.node[3].t.adopted);
	assert_true(sim.node[3].t.counters[CP_TOPO_C_tx_join] >= 4);
	sim.drop = NULL;
	sim_run(&sim, 3 * SIM_IV * CP_TOPO_PROBE_FACTOR);
	check_full_mesh(3);
}

/* SIGTERM path: the others see "left" at once, and stop probing it. */
static void
test_clean_leave(void **state)
{
	uint64_t tx;

	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	cp_topo_leave(&sim.node[3].t, sim.now, NULL, &sim.node[3].out);
	assert_int_equal(sim.node[3].out.n, 2);
	sim_flush(&sim);
	assert_int_equal(sim_state(&sim, 1, 3), CP_NODE_LEFT);
	assert_int_equal(sim_state(&sim, 2, 3), CP_NODE_LEFT);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 3, "left"), 1);
	assert_int_equal(cp_topo_history_get(&sim.node[1].t,
					     cp_topo_history_count(&sim.node[1].t) - 1)->at, sim.now);
	/* its heartbeats in flight (flagged leaving) change nothing */
	sim_run(&sim, SIM_IV);
	sim.node[3].alive = false;
	tx = cp_topo_peer(&sim.node[1].t, 3)->tx;
	sim_run(&sim, 3000);
	assert_int_equal(cp_topo_peer(&sim.node[1].t, 3)->tx, tx);
	assert_int_equal(sim_state(&sim, 1, 3), CP_NODE_LEFT);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 3, NULL), 1);
	assert_int_equal(sim_state(&sim, 1, 2), CP_NODE_UP);
	/* a new run comes back */
	sim_start(&sim, 3, 6000, 0x6, 0);
	sim_expect_all_up(&sim, 3 * SIM_IV);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_RESTARTED, 3, NULL), 1);
}

static void
test_leave_with_reason_and_flag(void **state)
{
	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	cp_topo_leave(&sim.node[2].t, sim.now, "shutdown", &sim.node[2].out);
	sim_flush(&sim);
	assert_int_equal(sim_events(&sim, 1, CP_EVENT_DOWN, 2, "left (shutdown)"), 1);
	/* a peer that missed the Leave learns it from the flagged heartbeats */
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	sim_cut_from = 2;
	sim_cut_to = 3;
	sim.drop = drop_one_way;
	cp_topo_leave(&sim.node[2].t, sim.now, NULL, &sim.node[2].out);
	sim_flush(&sim);
	assert_int_equal(sim_state(&sim, 3, 2), CP_NODE_UP);
	sim.drop = NULL;
	sim_run(&sim, SIM_IV);
	assert_int_equal(sim_state(&sim, 3, 2), CP_NODE_LEFT);
}

static void
test_capabilities(void **state)
{
	const struct cp_peer *p;

	(void)state;
	sim_init_static(&sim, 3);
	sim_run(&sim, 1000);
	p = cp_topo_peer(&sim.node[1].t, 2);
	assert_int_equal(p->caps[MSG_CAP_REGISTRATIONS], MSG_CAP_NOT_SYNCED);
	cp_topo_set_cap(&sim.node[2].t, MSG_CAP_REGISTRATIONS, MSG_CAP_SYNCED);
	cp_topo_set_cap(&sim.node[2].t, MSG_CAP_BACKENDS, MSG_CAP_SYNCING);
	cp_topo_set_cap(&sim.node[2].t, MSG_CAP_TAGS, 99);          /* ignored */
	sim_run(&sim, SIM_IV);
	assert_int_equal(p->caps[MSG_CAP_REGISTRATIONS], MSG_CAP_SYNCED);
	assert_int_equal(p->caps[MSG_CAP_BACKENDS], MSG_CAP_SYNCING);
	assert_int_equal(p->caps[MSG_CAP_TAGS], MSG_CAP_NOT_SYNCED);
	assert_int_equal(cp_topo_peer(&sim.node[3].t, 2)->caps[MSG_CAP_REGISTRATIONS],
			 MSG_CAP_SYNCED);
	/* a restarted node starts over */
	sim_start(&sim, 2, 9999, 0xa, 0);
	sim_run(&sim, SIM_TICK);
	assert_int_equal(p->caps[MSG_CAP_REGISTRATIONS], MSG_CAP_NOT_SYNCED);
}

static int events_seen;

static void
count_event(const struct cp_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	events_seen++;
}

/* The history keeps the last CP_TOPO_HISTORY events, oldest first. */
static void
test_history_bounded(void **state)
{
	static struct cp_topo t;
	struct cp_topo_conf conf;
	struct cp_actions *out = &sim.node[0].out;
	struct msg m;
	const struct cp_event *ev;
	unsigned int i;

	(void)state;
	sim_conf(&conf, 1, 1, 0x4, 0);
	assert_int_equal(cp_topo_init(&t, &conf, 0), 0);
	cp_topo_set_event_fn(&t, count_event, NULL);
	events_seen = 0;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_T_HEARTBEAT;
	m.hdr.cluster_id = SIM_CLUSTER;
	m.hdr.sender = 2;
	m.hdr.seq = 1;
	m.u.hb.node.id = 2;
	m.u.hb.node.addr = SIM_ADDR(2);
	m.u.hb.node.port = SIM_PORT;
	m.u.hb.cluster_id = SIM_CLUSTER;
	for (i = 1; i <= 300; i++) {
		out->n = 0;
		m.hdr.incarnation = i;
		m.u.hb.incarnation = i;
		assert_int_equal(cp_topo_on_msg(&t, &m, i, out), 0);
	}
	assert_int_equal(t.n_events, 299);         /* the first is not a restart */
	assert_int_equal(events_seen, 299);
	assert_int_equal(cp_topo_history_count(&t), CP_TOPO_HISTORY);
	ev = cp_topo_history_get(&t, CP_TOPO_HISTORY - 1);
	assert_string_equal(ev->reason, "incarnation 299->300");
	ev = cp_topo_history_get(&t, 0);
	assert_int_equal(ev->at, 300 - CP_TOPO_HISTORY + 1);
	assert_null(cp_topo_history_get(&t, CP_TOPO_HISTORY));
	assert_string_equal(cp_event_kind_name(ev->kind), "restarted");
	/* incarnations only grow: an older run is never believed, even after
	 * silence (issue 14 item 9); while the current run is alive it is an alarm */
	m.hdr.incarnation = 5;
	m.u.hb.incarnation = 5;
	assert_int_equal(cp_topo_on_msg(&t, &m, 301, out), -ESTALE);
	assert_true(cp_topo_peer_duplicate(&t, cp_topo_peer(&t, 2), 301));
	assert_int_equal(cp_topo_on_msg(&t, &m, 300 + SIM_TIMEOUT, out), -ESTALE);
	assert_int_equal(cp_topo_on_msg(&t, &m, 300 + 100 * SIM_TIMEOUT, out), -ESTALE);
	assert_int_equal(cp_topo_peer(&t, 2)->incarnation, 300);
	assert_false(cp_topo_peer_duplicate(&t, cp_topo_peer(&t, 2), 300 + 100 * SIM_TIMEOUT));
}

/* Issue 14 item 9: a sequence may not jump more than CP_TOPO_SEQ_JUMP (plus
 * CP_TOPO_SEQ_PER_MS per ms of silence) ahead; a static peer's address is
 * not moved by messages; incarnations persisted in a file only grow. */
static void
test_bus_hardening(void **state)
{
	static struct cp_topo t;
	struct cp_topo_conf conf;
	struct cp_actions *out = &sim.node[0].out;
	char dir[] = "/tmp/sipshard-inc-XXXXXX", path[64], err[256];
	struct msg m;
	uint64_t inc = 0;
	FILE *f;

	(void)state;
	sim_conf(&conf, 1, 1, 0x4, 0);                  /* node 2 static */
	assert_int_equal(cp_topo_init(&t, &conf, 0), 0);
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_T_HEARTBEAT;
	m.hdr.cluster_id = SIM_CLUSTER;
	m.hdr.sender = 2;
	m.hdr.incarnation = 7;
	m.hdr.seq = 10;
	m.u.hb.node.id = 2;
	m.u.hb.node.addr = SIM_ADDR(2);
	m.u.hb.node.port = SIM_PORT;
	m.u.hb.cluster_id = SIM_CLUSTER;
	m.u.hb.incarnation = 7;
	out->n = 0;
	assert_int_equal(cp_topo_on_msg(&t, &m, 100, out), 0);
	/* the jump to the end of the sequence space (silences the run) is refused */
	m.hdr.seq = UINT64_MAX - 1;
	assert_int_equal(cp_topo_on_msg(&t, &m, 101, out), -ESTALE);
	assert_int_equal(t.counters[CP_TOPO_C_seq_jump], 1);
	m.hdr.seq = 10 + CP_TOPO_SEQ_JUMP + 1000 + 1;   /* 1 ms: 1 over the bound */
	assert_int_equal(cp_topo_on_msg(&t, &m, 101, out), -ESTALE);
	assert_int_equal(t.counters[CP_TOPO_C_seq_jump], 2);
	m.hdr.seq = 10 + CP_TOPO_SEQ_JUMP + 1000;       /* at the bound: taken */
	assert_int_equal(cp_topo_on_msg(&t, &m, 101, out), 0);
	assert_int_equal(cp_topo_peer(&t, 2)->rx_seq, m.hdr.seq);
	/* a long silence allows a long jump */
	m.hdr.seq += CP_TOPO_SEQ_JUMP + 60000ull * CP_TOPO_SEQ_PER_MS;
	assert_int_equal(cp_topo_on_msg(&t, &m, 101 + 60000, out), 0);

	/* a static peer keeps its configured address whatever a message says */
	m.hdr.seq++;
	m.u.hb.node.addr = SIM_ADDR(9);
	assert_int_equal(cp_topo_on_msg(&t, &m, 60200, out), 0);
	assert_int_equal(cp_topo_peer(&t, 2)->node.addr, SIM_ADDR(2));
	assert_true(t.counters[CP_TOPO_C_static_addr] >= 1);
	/* an announce of node 2 at another address by node 3 changes nothing */
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_T_ANNOUNCE;
	m.hdr.cluster_id = SIM_CLUSTER;
	m.hdr.sender = 3;
	m.hdr.incarnation = 9;
	m.hdr.seq = 1;
	m.u.members.n = 2;
	m.u.members.nodes[0] = (struct msg_node){ 3, SIM_ADDR(3), SIM_PORT };
	m.u.members.nodes[1] = (struct msg_node){ 2, SIM_ADDR(8), SIM_PORT };
	assert_int_equal(cp_topo_on_msg(&t, &m, 60300, out), 0);
	assert_int_equal(cp_topo_peer(&t, 2)->node.addr, SIM_ADDR(2));

	/* incarnations: clock only, then persisted: a clock that steps back
	 * still gets a larger one */
	assert_int_equal(cp_topo_incarnation_next("", 5000, &inc, err, sizeof(err)), 0);
	assert_int_equal(inc, 5000);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/inc", dir);
	assert_int_equal(cp_topo_incarnation_next(path, 5000, &inc, err, sizeof(err)), 0);
	assert_int_equal(inc, 5000);
	assert_int_equal(cp_topo_incarnation_next(path, 4000, &inc, err, sizeof(err)), 0);
	assert_int_equal(inc, 5001);                    /* clock went back */
	assert_int_equal(cp_topo_incarnation_next(path, 9000, &inc, err, sizeof(err)), 0);
	assert_int_equal(inc, 9000);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("garbage\n", f);
	fclose(f);
	assert_int_equal(cp_topo_incarnation_next(path, 9000, &inc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not an incarnation number"));
	unlink(path);
	rmdir(dir);
}

/* Replication and tag messages (cp_topo_accept_flow): only the run the
 * topology accepted, each sequence once, reordering within the window allowed
 * per class, replays and out-of-date sequences refused and counted. */
static void
test_accept_flow(void **state)
{
	static struct cp_topo t;
	struct cp_topo_conf conf;
	struct cp_actions *out = &sim.node[0].out;
	struct msg hb, m;

	(void)state;
	sim_conf(&conf, 1, 1, 0x4, 0);                  /* node 2 static */
	assert_int_equal(cp_topo_init(&t, &conf, 0), 0);
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_T_REPL;
	m.hdr.cluster_id = SIM_CLUSTER;
	m.hdr.sender = 2;
	m.hdr.incarnation = 7;
	m.hdr.seq = 5;
	/* before any heartbeat of that run: not taken */
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 50), -ESTALE);
	assert_int_equal(t.counters[CP_TOPO_C_early_run], 1);
	memset(&hb, 0, sizeof(hb));
	hb.hdr = (struct msg_hdr){ .type = MSG_T_HEARTBEAT, .cluster_id = SIM_CLUSTER,
				   .sender = 2, .incarnation = 7, .seq = 10 };
	hb.u.hb.node = (struct msg_node){ 2, SIM_ADDR(2), SIM_PORT };
	hb.u.hb.cluster_id = SIM_CLUSTER;
	hb.u.hb.incarnation = 7;
	out->n = 0;
	assert_int_equal(cp_topo_on_msg(&t, &hb, 100, out), 0);
	/* older than the heartbeat but new to its class (another ring): taken once */
	m.hdr.seq = 8;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), 0);
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), -ESTALE);
	assert_int_equal(t.counters[CP_TOPO_C_replayed], 1);
	m.hdr.seq = 20;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), 0);
	/* reordered within the window: each taken once */
	m.hdr.seq = 15;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), 0);
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), -ESTALE);
	m.hdr.seq = 9;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), 0);
	/* the classes keep their own windows: 9 is new to the tags' */
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_PRIO, 100), 0);
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_PRIO, 100), -ESTALE);
	/* a window further on: 20 is forgotten, so refused as too old */
	m.hdr.seq = 20 + CP_TOPO_WINDOW + 5;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), 0);
	m.hdr.seq = 20;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), -ESTALE);
	m.hdr.seq = 20 + 6;                             /* just inside: new */
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), 0);
	assert_int_equal(t.counters[CP_TOPO_C_replayed], 4);
	/* a jump beyond the topology's bound: refused */
	m.hdr.seq = UINT64_MAX - 1;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), -ESTALE);
	assert_int_equal(t.counters[CP_TOPO_C_seq_jump], 1);
	/* an older run: refused; a stranger: refused */
	m.hdr.seq = 30 + CP_TOPO_WINDOW;
	m.hdr.incarnation = 6;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), -ESTALE);
	assert_int_equal(t.counters[CP_TOPO_C_stale_incarnation], 1);
	m.hdr.incarnation = 7;
	m.hdr.sender = 4;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 100), -ENOENT);
	/* node 2 restarts: the new run's windows start empty, the old run's refused */
	hb.hdr.incarnation = hb.u.hb.incarnation = 8;
	hb.hdr.seq = 3;
	assert_int_equal(cp_topo_on_msg(&t, &hb, 200, out), 0);
	m.hdr.sender = 2;
	m.hdr.incarnation = 8;
	m.hdr.seq = 2;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 200), 0);
	m.hdr.incarnation = 7;
	m.hdr.seq = 40 + CP_TOPO_WINDOW;
	assert_int_equal(cp_topo_accept_flow(&t, &m, CP_FLOW_BULK, 200), -ESTALE);
	assert_int_equal(t.counters[CP_TOPO_C_stale_incarnation], 2);
}

/* Announce/Adopt from a node we do not know: learned from the list or the
 * datagram's source, else ignored and counted. */
static void
test_members_from_unknown(void **state)
{
	static struct cp_topo t;
	struct cp_topo_conf conf;
	struct cp_actions *out = &sim.node[0].out;
	struct msg m;

	(void)state;
	sim_conf(&conf, 1, 1, 0, 0);
	assert_int_equal(cp_topo_init(&t, &conf, 0), 0);
	memset(&m, 0, sizeof(m));
	m.hdr = (struct msg_hdr){ .type = MSG_T_ANNOUNCE, .cluster_id = SIM_CLUSTER,
				  .sender = 2, .incarnation = 9, .seq = 1 };
	m.u.members.n = 1;
	m.u.members.nodes[0] = (struct msg_node){ 4, SIM_ADDR(4), SIM_PORT };
	out->n = 0;
	assert_int_equal(cp_topo_on_msg(&t, &m, 10, out), -ENOENT);
	assert_int_equal(t.counters[CP_TOPO_C_unknown_sender], 1);
	assert_null(cp_topo_peer(&t, 4));
	m.src_addr = SIM_ADDR(2);
	m.src_port = SIM_PORT;
	assert_int_equal(cp_topo_on_msg(&t, &m, 20, out), 0);
	assert_int_equal(cp_topo_peer(&t, 2)->node.addr, SIM_ADDR(2));
	assert_int_equal(cp_topo_peer(&t, 2)->incarnation, 9);
	assert_int_equal(cp_topo_peer(&t, 4)->state, CP_NODE_PROBING);
	assert_int_equal(t.counters[CP_TOPO_C_rx_announce], 1);
	/* other cluster, or a message type the topology does not handle */
	m.hdr.cluster_id = SIM_CLUSTER + 1;
	assert_int_equal(cp_topo_on_msg(&t, &m, 30, out), -EINVAL);
	m.hdr.cluster_id = SIM_CLUSTER;
	m.hdr.type = 16;
	assert_int_equal(cp_topo_on_msg(&t, &m, 30, out), -EINVAL);
	assert_int_equal(out->n, 0);
}

static void
test_conf_from_cfg(void **state)
{
	static const char yaml[] =
		"node: {id: 1}\n"
		"dataplane:\n"
		"  ports: [{device: net_null0, ipv4: 198.18.0.1/24}]\n"
		"cluster:\n"
		"  id: 9\n"
		"  key_file: /tmp/k\n"
		"  nodes: [{id: 2, address: 198.18.0.2}, {id: 3, address: 198.18.0.3}]\n"
		"  seeds: [198.18.0.4]\n"
		"  node_timeout_ms: 600\n";
	static struct cfg c;
	struct cp_topo_conf conf;
	static struct cp_topo t;
	char err[256];

	(void)state;
	assert_int_equal(cfg_load_buf("t.yaml", yaml, strlen(yaml), &c, err, sizeof(err)), 0);
	assert_int_equal(cp_topo_conf_from_cfg(&conf, &c, 42), 0);
	assert_int_equal(conf.self_id, 1);
	assert_int_equal(conf.self_addr, 0xc6120001u);
	assert_int_equal(conf.port, 5800);
	assert_int_equal(conf.cluster_id, 9);
	assert_int_equal(conf.ping_interval_ms, 200);
	assert_int_equal(conf.node_timeout_ms, 600);
	assert_int_equal(conf.n_nodes, 2);
	assert_int_equal(conf.nodes[1].id, 3);
	assert_int_equal(conf.nodes[1].addr, 0xc6120003u);
	assert_int_equal(conf.nodes[1].port, 5800);
	assert_int_equal(conf.n_seeds, 1);
	assert_int_equal(conf.seeds[0], 0xc6120004u);
	assert_int_equal(cp_topo_init(&t, &conf, 0), 0);
	assert_false(t.adopted);
	cfg_defaults(&c);
	assert_int_equal(cp_topo_conf_from_cfg(&conf, &c, 42), -EINVAL);
	assert_true(cp_topo_new_incarnation() > 1600000000000000ull);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(cp_node_state_name(CP_NODE_UP), "up");
	assert_string_equal(cp_node_state_name(CP_NODE_PROBING), "probing");
	assert_string_equal(cp_node_state_name(CP_NODE_LEFT), "left");
	assert_string_equal(cp_node_state_name(99), "?");
	assert_string_equal(cp_event_kind_name(CP_EVENT_ADOPTED), "adopted");
	assert_string_equal(cp_topo_counter_name(CP_TOPO_C_stale_incarnation),
			    "stale_incarnation");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_next_pure),
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_static_three_up),
		cmocka_unit_test(test_kill_one),
		cmocka_unit_test(test_cut_and_heal),
		cmocka_unit_test(test_flapping_within_timeout),
		cmocka_unit_test(test_flapping_beyond_timeout),
		cmocka_unit_test(test_asymmetric),
		cmocka_unit_test(test_restart_and_stale),
		cmocka_unit_test(test_restart_after_down),
		cmocka_unit_test(test_dynamic_join),
		cmocka_unit_test(test_join_without_announce),
		cmocka_unit_test(test_join_retries),
		cmocka_unit_test(test_clean_leave),
		cmocka_unit_test(test_leave_with_reason_and_flag),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_history_bounded),
		cmocka_unit_test(test_members_from_unknown),
		cmocka_unit_test(test_conf_from_cfg),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bus_hardening),
		cmocka_unit_test(test_accept_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
