/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the sharing-tag term rules (control/tags/cp_tags) on a fake clock,
 * with nodes simulated as cp_tags tables that exchange their entries: concurrent
 * claims and a healed partition end with one holder everywhere whatever the
 * delivery order, a claim beats every term its claimant had seen, a holder steps
 * down on a better claim, configured-active tags are claimed once synced,
 * failover picks exactly the best up candidate, acknowledgements, the history.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/tags/cp_tags.h"

#define N_NODES 3

static struct cp_tags node[N_NODES + 1];        /* node[1..3] */
static struct cfg cfgs[N_NODES + 1];
static uint64_t wall = 1000000;

/* Node I with tag service/1 (STATE, FAILOVER, PRIORITY). */
static void
setup_node(int i, enum cfg_tag_state state, enum cfg_tag_failover fo, uint32_t prio)
{
	struct cfg *c = &cfgs[i];

	memset(c, 0, sizeof(*c));
	c->node_id = (uint16_t)i;
	c->n_tags = 1;
	strcpy(c->tags[0].name, "service");
	c->tags[0].cluster = 1;
	c->tags[0].state = state;
	c->tags[0].failover = fo;
	c->tags[0].priority = prio;
	cp_tags_init(&node[i], c);
}

/* Node FROM's table reaches node TO. */
static void
deliver(int from, int to, bool claim)
{
	struct msg_tag_entry e;
	int i;

	for (i = 0; i < node[from].n; i++) {
		cp_tags_entry(&node[from], i, &e);
		assert_true(cp_tags_on_entry(&node[to], (uint16_t)from, &e, claim, ++wall) >= 0);
	}
}

static void
gossip_all(void)
{
	int a, b;

	for (a = 1; a <= N_NODES; a++)
		for (b = 1; b <= N_NODES; b++)
			if (a != b)
				deliver(a, b, false);
}

/* Every node holds the same claim of service/1; returns its owner. */
static uint16_t
agreed_owner(void)
{
	int i, active = 0;
	const struct cp_tags_claim *ref = &node[1].tag[0].cur;

	for (i = 1; i <= N_NODES; i++) {
		const struct cp_tags_claim *c = &node[i].tag[0].cur;

		assert_int_equal(c->term, ref->term);
		assert_int_equal(c->owner, ref->owner);
		active += cp_tags_active(&node[i], 0);
	}
	assert_int_equal(active, 1);
	return ref->owner;
}

static void
all_nodes(enum cfg_tag_state s1, uint32_t p1, uint32_t p2, uint32_t p3)
{
	setup_node(1, s1, CFG_TAG_AUTO, p1);
	setup_node(2, CFG_TAG_BACKUP, CFG_TAG_AUTO, p2);
	setup_node(3, CFG_TAG_BACKUP, CFG_TAG_AUTO, p3);
}

static void
test_order(void **state)
{
	struct cp_tags_claim a = { .term = 5, .owner = 2 }, b = { .term = 4, .owner = 1, .priority = 255 },
			     c = { .term = 5, .owner = 1 }, d = { .term = 5, .owner = 3, .priority = 9 };

	(void)state;
	assert_true(cp_tags_better(&a, &b) > 0);        /* term first */
	assert_true(cp_tags_better(&c, &a) > 0);        /* same term: lower node id */
	assert_true(cp_tags_better(&d, &c) > 0);        /* ... after priority */
	assert_int_equal(cp_tags_better(&a, &a), 0);
}

/* Nodes 2 and 3 claim at the same instant (both saw term 1): in every delivery
 * order exactly one holds the tag afterwards, the same everywhere. */
static void
test_concurrent_claims(void **state)
{
	static const int orders[][4] = { { 2, 3, 1, 0 }, { 3, 2, 1, 0 }, { 1, 3, 2, 0 } };
	size_t o;
	int k;

	(void)state;
	for (o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		all_nodes(CFG_TAG_ACTIVE, 0, 0, 0);
		for (k = 1; k <= N_NODES; k++)
			cp_tags_synced(&node[k], NULL, 0, ++wall);     /* node 1 claims term 1 */
		gossip_all();
		assert_int_equal(agreed_owner(), 1);
		cp_tags_claim(&node[2], 0, ++wall, CP_TAGS_R_COMMAND);
		cp_tags_claim(&node[3], 0, ++wall, CP_TAGS_R_COMMAND);
		assert_int_equal(node[2].tag[0].cur.term, 2);
		assert_int_equal(node[3].tag[0].cur.term, 2);
		for (k = 0; k < 3; k++) {
			int from = orders[o][k], to;

			for (to = 1; to <= N_NODES; to++)
				if (to != from)
					deliver(from, to, true);
		}
		gossip_all();
		assert_int_equal(agreed_owner(), 2);    /* same term and priority: lower id */
		assert_int_equal(node[3].counters[CP_TAGS_C_stepped_down], 1);
	}
}

/* Partition {1,2} | {3}; each side claims; the heal leaves one holder, the
 * highest term, and the history says why. */
static void
test_partition_heal(void **state)
{
	const struct cp_tags_event *ev;
	uint32_t len;

	(void)state;
	all_nodes(CFG_TAG_ACTIVE, 0, 0, 0);
	cp_tags_synced(&node[1], NULL, 0, ++wall);
	cp_tags_synced(&node[2], NULL, 0, ++wall);
	cp_tags_synced(&node[3], NULL, 0, ++wall);
	gossip_all();
	/* side {1,2}: node 2 claims twice (terms 2 and 3); side {3}: node 3 once (2) */
	cp_tags_claim(&node[2], 0, ++wall, CP_TAGS_R_COMMAND);
	deliver(2, 1, true);
	cp_tags_claim(&node[2], 0, ++wall, CP_TAGS_R_COMMAND);
	deliver(2, 1, true);
	cp_tags_claim(&node[3], 0, ++wall, CP_TAGS_R_COMMAND);
	assert_true(cp_tags_active(&node[2], 0) && cp_tags_active(&node[3], 0));  /* split */
	gossip_all();                                   /* heal */
	assert_int_equal(agreed_owner(), 2);
	assert_int_equal(node[2].tag[0].cur.term, 3);
	len = cp_tags_history_len(&node[3]);
	ev = cp_tags_history(&node[3], len - 1);
	assert_non_null(ev);
	assert_int_equal(ev->owner, 2);
	assert_int_equal(ev->term, 3);
	assert_string_equal(cp_tags_reason_name(ev->reason), "heal");
	/* a later claim by node 3 beats term 3: it has seen it */
	cp_tags_claim(&node[3], 0, ++wall, CP_TAGS_R_COMMAND);
	assert_int_equal(node[3].tag[0].cur.term, 4);
	gossip_all();
	assert_int_equal(agreed_owner(), 3);
}

/* Two nodes configured active: both claim term 1 once synced, one keeps it. */
static void
test_config_active_twice(void **state)
{
	(void)state;
	setup_node(1, CFG_TAG_ACTIVE, CFG_TAG_MANUAL, 0);
	setup_node(2, CFG_TAG_ACTIVE, CFG_TAG_MANUAL, 7);
	setup_node(3, CFG_TAG_BACKUP, CFG_TAG_MANUAL, 0);
	assert_int_equal(cp_tags_synced(&node[1], NULL, 0, ++wall), 1);
	assert_int_equal(cp_tags_synced(&node[2], NULL, 0, ++wall), 1);
	assert_int_equal(cp_tags_synced(&node[3], NULL, 0, ++wall), 0);
	gossip_all();
	assert_int_equal(agreed_owner(), 2);            /* priority 7 beats 0 at term 1 */
	/* a node that learned the holder before it synced does not claim */
	setup_node(1, CFG_TAG_ACTIVE, CFG_TAG_MANUAL, 0);
	deliver(2, 1, false);
	assert_string_equal(cp_tags_reason_name(cp_tags_history(&node[1], 0)->reason), "sync");
	assert_int_equal(cp_tags_synced(&node[1], NULL, 0, ++wall), 0);
	assert_int_equal(agreed_owner(), 2);
}

/* The holder dies: only the best up candidate claims, with a new term. */
static void
test_failover(void **state)
{
	uint16_t up23[] = { 2, 3 }, up2[] = { 2 };

	(void)state;
	all_nodes(CFG_TAG_ACTIVE, 0, 10, 20);
	cp_tags_synced(&node[1], NULL, 0, ++wall);
	cp_tags_synced(&node[2], NULL, 0, ++wall);
	cp_tags_synced(&node[3], NULL, 0, ++wall);
	gossip_all();
	assert_int_equal(agreed_owner(), 1);
	/* node 1 down: 2 and 3 see each other up */
	assert_int_equal(cp_tags_failover(&node[2], up23, 2, ++wall), 0);
	assert_int_equal(cp_tags_failover(&node[3], up23, 2, ++wall), 1);
	assert_true(cp_tags_active(&node[3], 0));
	assert_int_equal(node[3].tag[0].cur.term, 2);
	assert_string_equal(cp_tags_reason_name(cp_tags_history(&node[3],
				cp_tags_history_len(&node[3]) - 1)->reason), "failover");
	deliver(3, 2, true);
	assert_int_equal(node[2].tag[0].cur.owner, 3);
	/* node 3 down too: node 2 alone claims */
	assert_int_equal(cp_tags_failover(&node[2], up2, 1, ++wall), 1);
	assert_int_equal(node[2].tag[0].cur.term, 3);
	/* a holder heard within grace_ms is alive, whatever the topology says yet */
	all_nodes(CFG_TAG_ACTIVE, 0, 10, 20);
	node[3].grace_ms = 900;
	node[3].now_ms = 5000;
	cp_tags_synced(&node[1], NULL, 0, ++wall);
	cp_tags_synced(&node[3], NULL, 0, ++wall);
	deliver(1, 3, false);                           /* at 5000 ms */
	node[3].now_ms = 5800;
	assert_int_equal(cp_tags_failover(&node[3], up23, 2, ++wall), 0);
	node[3].now_ms = 5901;
	assert_int_equal(cp_tags_failover(&node[3], up23, 2, ++wall), 1);
	/* manual tags never fail over */
	setup_node(2, CFG_TAG_BACKUP, CFG_TAG_MANUAL, 0);
	deliver(3, 2, false);
	cp_tags_synced(&node[2], NULL, 0, ++wall);
	assert_int_equal(cp_tags_failover(&node[2], up2, 1, ++wall), 0);
	assert_int_equal(node[2].tag[0].cur.owner, 3);	/* a holder learned from a third node's table (after a heal) gets the grace too */
	deliver(3, 1, false);                           /* node 1 sees term 2 first */
	cp_tags_claim(&node[1], 0, ++wall, CP_TAGS_R_COMMAND);
	deliver(1, 2, true);
	node[3].now_ms = 7000;
	deliver(2, 3, false);                           /* node 1 holds it, says node 2 */
	assert_int_equal(node[3].tag[0].cur.owner, 1);
	node[3].now_ms = 7500;
	assert_int_equal(cp_tags_failover(&node[3], up23, 2, ++wall), 0);
}

/* A claim that takes the tag from a live holder carries a handover: the holder
 * pings until a common moment CP_TAGS_HANDOVER_MS ahead, the claimer from then
 * on; the moment travels with the claim. A holder that is gone: no handover. */
static void
test_handover(void **state)
{
	uint16_t up13[] = { 1, 3 };
	uint64_t w;

	(void)state;
	all_nodes(CFG_TAG_ACTIVE, 0, 10, 20);
	for (int i = 1; i <= N_NODES; i++) {
		node[i].grace_ms = 900;
		node[i].now_ms = 10000;
		cp_tags_synced(&node[i], NULL, 0, ++wall);
	}
	gossip_all();
	assert_int_equal(agreed_owner(), 1);
	assert_int_equal(node[1].tag[0].cur.prev_owner, 0);
	/* tag set-active on node 2, node 1 heard 100 ms ago */
	node[2].now_ms = 10100;
	w = ++wall;
	cp_tags_claim(&node[2], 0, w, CP_TAGS_R_COMMAND);
	assert_int_equal(node[2].tag[0].cur.prev_owner, 1);
	assert_true(node[2].tag[0].cur.switch_ms == w + CP_TAGS_HANDOVER_MS);
	assert_int_equal(node[2].counters[CP_TAGS_C_handovers], 1);
	deliver(2, 1, true);
	deliver(2, 3, true);
	assert_int_equal(agreed_owner(), 2);
	for (int i = 1; i <= N_NODES; i++) {
		assert_int_equal(node[i].tag[0].cur.prev_owner, 1);
		assert_true(node[i].tag[0].cur.switch_ms == w + CP_TAGS_HANDOVER_MS);
	}
	/* node 3 claims before the moment: node 1 still pings, it hands over */
	node[3].now_ms = 10150;
	cp_tags_claim(&node[3], 0, w + 100, CP_TAGS_R_COMMAND);
	assert_int_equal(node[3].tag[0].cur.prev_owner, 1);
	assert_true(node[3].tag[0].cur.switch_ms == w + 100 + CP_TAGS_HANDOVER_MS);
	/* ... after it: node 2 pings */
	deliver(3, 1, true);
	node[1].now_ms = 10200;
	cp_tags_claim(&node[1], 0, w + 100 + CP_TAGS_HANDOVER_MS, CP_TAGS_R_COMMAND);
	assert_int_equal(node[1].tag[0].cur.prev_owner, 3);
	/* a holder not heard within the grace: the claim takes effect at once */
	deliver(1, 2, true);
	node[2].now_ms = node[2].tag[0].holder_heard_ms + 901;
	cp_tags_claim(&node[2], 0, ++wall, CP_TAGS_R_COMMAND);
	assert_int_equal(node[2].tag[0].cur.prev_owner, 0);
	assert_true(node[2].tag[0].cur.switch_ms == 0);
	/* failover never hands over */
	deliver(2, 1, true);
	deliver(2, 3, true);
	node[3].now_ms = node[3].tag[0].holder_heard_ms + 2000;
	assert_int_equal(cp_tags_failover(&node[3], up13, 2, ++wall), 1);
	assert_int_equal(node[3].tag[0].cur.prev_owner, 0);
	assert_int_equal(node[3].counters[CP_TAGS_C_handovers], 1);
	/* a holder not heard for longer than the grace (tables come every second)
	 * but up in the topology: a handover */
	deliver(3, 1, true);
	node[1].now_ms = node[1].tag[0].holder_heard_ms + 1000;
	cp_tags_set_up(&node[1], up13 + 1, 1);          /* node 3 up */
	cp_tags_claim(&node[1], 0, ++wall, CP_TAGS_R_COMMAND);
	assert_int_equal(node[1].tag[0].cur.prev_owner, 3);
}

static void
test_acks_and_restart(void **state)
{
	uint16_t up[] = { 2, 3 }, missing[2];
	struct msg_tag_entry e;

	(void)state;
	all_nodes(CFG_TAG_BACKUP, 0, 0, 0);
	cp_tags_claim(&node[1], 0, ++wall, CP_TAGS_R_COMMAND);
	assert_int_equal(cp_tags_claim_missing(&node[1], 0, up, 2, missing), 2);
	deliver(1, 2, true);
	cp_tags_entry(&node[2], 0, &e);                 /* node 2's ack */
	cp_tags_on_ack(&node[1], 2, &e);
	cp_tags_on_ack(&node[1], 2, &e);                /* twice: counted once */
	assert_int_equal(cp_tags_claim_missing(&node[1], 0, up, 2, missing), 1);
	assert_int_equal(missing[0], 3);
	/* node 1 restarts: it learns from node 2 that it holds the tag */
	setup_node(1, CFG_TAG_BACKUP, CFG_TAG_AUTO, 0);
	deliver(2, 1, false);
	assert_true(cp_tags_active(&node[1], 0));
	assert_string_equal(cp_tags_reason_name(cp_tags_history(&node[1], 0)->reason), "restart");
	/* a tag only a peer knows is learned, not a candidacy here */
	strcpy(e.name, "media");
	e.cluster = 9;
	assert_int_equal(cp_tags_on_entry(&node[1], 2, &e, false, ++wall), 1);
	assert_false(node[1].tag[1].configured);
}

static void
test_history_wraps(void **state)
{
	uint32_t k;

	(void)state;
	setup_node(1, CFG_TAG_BACKUP, CFG_TAG_MANUAL, 0);
	for (k = 0; k < CP_TAGS_HISTORY + 50; k++)
		cp_tags_claim(&node[1], 0, ++wall, CP_TAGS_R_COMMAND);
	assert_int_equal(cp_tags_history_len(&node[1]), CP_TAGS_HISTORY);
	assert_int_equal(cp_tags_history(&node[1], 0)->term, 51);
	assert_int_equal(cp_tags_history(&node[1], CP_TAGS_HISTORY - 1)->term, CP_TAGS_HISTORY + 50);
	assert_null(cp_tags_history(&node[1], CP_TAGS_HISTORY));
}

/* preempt: node 1 (priority 30, preempt) comes back while node 2 (20) holds the
 * tag: it takes it back grace_ms after it synced; equal or lower priorities,
 * or preempt false, never do; two preempters at once settle on the higher. */
/* The default tag (untagged work): default_tag wherever it sits in the table,
 * not known yet (-1) on a node that has not learnt it, else the first tag. */
static void
test_default_tag(void **state)
{
	struct cp_tags t;
	struct msg_tag_entry e;
	struct cfg c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.node_id = 1;
	cp_tags_init(&t, &c);
	assert_int_equal(cp_tags_default(&t), -1);              /* no tag at all */
	c.n_tags = 2;
	strcpy(c.tags[0].name, "service");
	c.tags[0].cluster = 1;
	strcpy(c.tags[1].name, "media");
	c.tags[1].cluster = 2;
	cp_tags_init(&t, &c);
	assert_int_equal(cp_tags_default(&t), 0);               /* the first */
	strcpy(c.default_tag.name, "media");
	c.default_tag.cluster = 2;
	cp_tags_init(&t, &c);
	assert_int_equal(cp_tags_default(&t), 1);               /* named, second in the list */
	c.n_tags = 0;                                           /* lists none: learns it */
	cp_tags_init(&t, &c);
	assert_int_equal(cp_tags_default(&t), -1);
	memset(&e, 0, sizeof(e));                               /* a peer's table, no holder */
	strcpy(e.name, "service");
	e.cluster = 1;
	assert_int_equal(cp_tags_on_entry(&t, 2, &e, false, ++wall), 0);
	assert_int_equal(cp_tags_default(&t), -1);              /* another tag: still not */
	strcpy(e.name, "media");
	e.cluster = 2;
	assert_int_equal(cp_tags_on_entry(&t, 2, &e, false, ++wall), 1);
	assert_int_equal(cp_tags_default(&t), 1);
}

static void
test_preempt(void **state)
{
	const struct cp_tags_event *ev;
	int i;

	(void)state;
	setup_node(1, CFG_TAG_BACKUP, CFG_TAG_AUTO, 30);
	setup_node(2, CFG_TAG_ACTIVE, CFG_TAG_AUTO, 20);
	setup_node(3, CFG_TAG_BACKUP, CFG_TAG_AUTO, 20);
	cfgs[1].tags[0].preempt = true;
	cfgs[3].tags[0].preempt = true;                 /* equal to the holder: never */
	cp_tags_init(&node[1], &cfgs[1]);
	cp_tags_init(&node[3], &cfgs[3]);
	for (i = 1; i <= N_NODES; i++) {
		node[i].grace_ms = 900;
		node[i].now_ms = 10000;
	}
	cp_tags_synced(&node[2], NULL, 0, ++wall);      /* node 2 claims (config) */
	cp_tags_synced(&node[3], NULL, 0, ++wall);
	gossip_all();
	assert_int_equal(agreed_owner(), 2);
	/* node 1 comes back: learns the holder, syncs, waits grace_ms */
	deliver(2, 1, false);
	cp_tags_synced(&node[1], NULL, 0, ++wall);
	assert_int_equal(agreed_owner(), 2);
	assert_int_equal(cp_tags_preempt(&node[1], ++wall), 0);
	node[1].now_ms = 10899;
	assert_int_equal(cp_tags_preempt(&node[1], ++wall), 0);
	node[1].now_ms = 10900;
	assert_int_equal(cp_tags_preempt(&node[3], ++wall), 0);    /* 20 is not above 20 */
	assert_int_equal(cp_tags_preempt(&node[1], ++wall), 1);
	assert_int_equal(node[1].tag[0].cur.term, 2);
	assert_int_equal(node[1].counters[CP_TAGS_C_preempts], 1);
	for (i = 2; i <= N_NODES; i++)
		deliver(1, i, true);
	assert_int_equal(agreed_owner(), 1);
	ev = cp_tags_history(&node[2], cp_tags_history_len(&node[2]) - 1);
	assert_int_equal(ev->owner, 1);
	ev = cp_tags_history(&node[1], cp_tags_history_len(&node[1]) - 1);
	assert_string_equal(cp_tags_reason_name(ev->reason), "preempt");
	/* the holder now has the highest priority: nobody preempts any more */
	for (i = 1; i <= N_NODES; i++)
		assert_int_equal(cp_tags_preempt(&node[i], ++wall), 0);
	/* a command moves it to node 2 (priority 20): node 1 takes it back */
	cp_tags_claim(&node[2], 0, ++wall, CP_TAGS_R_COMMAND);
	gossip_all();
	assert_int_equal(agreed_owner(), 2);
	assert_int_equal(cp_tags_preempt(&node[1], ++wall), 1);
	gossip_all();
	assert_int_equal(agreed_owner(), 1);

	/* two preempters above the holder at once: the higher priority keeps it,
	 * the other stops */
	setup_node(1, CFG_TAG_BACKUP, CFG_TAG_MANUAL, 30);
	setup_node(2, CFG_TAG_BACKUP, CFG_TAG_MANUAL, 25);
	setup_node(3, CFG_TAG_ACTIVE, CFG_TAG_MANUAL, 5);
	cfgs[1].tags[0].preempt = true;
	cfgs[2].tags[0].preempt = true;
	cp_tags_init(&node[1], &cfgs[1]);
	cp_tags_init(&node[2], &cfgs[2]);
	cp_tags_synced(&node[3], NULL, 0, ++wall);
	deliver(3, 1, false);
	deliver(3, 2, false);
	cp_tags_synced(&node[1], NULL, 0, ++wall);
	cp_tags_synced(&node[2], NULL, 0, ++wall);
	assert_int_equal(cp_tags_preempt(&node[1], ++wall), 1);   /* grace 0 here */
	assert_int_equal(cp_tags_preempt(&node[2], ++wall), 1);
	gossip_all();
	assert_int_equal(agreed_owner(), 1);            /* same term 2: priority 30 */
	assert_int_equal(cp_tags_preempt(&node[2], ++wall), 0);
	/* preempt false: never */
	setup_node(1, CFG_TAG_BACKUP, CFG_TAG_AUTO, 200);
	deliver(3, 1, false);
	deliver(2, 1, false);
	cp_tags_synced(&node[1], NULL, 0, ++wall);
	assert_int_equal(cp_tags_preempt(&node[1], ++wall), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_concurrent_claims),
		cmocka_unit_test(test_partition_heal),
		cmocka_unit_test(test_config_active_twice),
		cmocka_unit_test(test_preempt),
		cmocka_unit_test(test_default_tag),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_handover),
		cmocka_unit_test(test_acks_and_restart),
		cmocka_unit_test(test_history_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
