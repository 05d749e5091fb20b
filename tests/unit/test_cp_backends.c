/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of backend probing by sharing tag (control/tags/cp_backends): only
 * the holder of a set's tag (the first tag for a set without one) probes it and
 * sends its member states; the others apply them; after a tag move the new
 * holder's states win over the old holder's whatever the arrival order; the
 * capability sync; a set whose tag nobody holds is probed by nobody; a cluster
 * without tags probes everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/tags/cp_backends.h"

static struct cfg cfgs[4];
static struct cp_tags tags[4];
static struct cp_backends bk[4];
static struct msg sent[16];
static uint16_t sent_to[16];
static int n_sent;
static uint64_t now = 1000, wall = 1700000000000ull;

static void
capture(void *arg, uint16_t peer, struct msg *m)
{
	(void)arg;
	assert_true(n_sent < 16);
	sent[n_sent] = *m;
	sent_to[n_sent++] = peer;
}

/* Node I: tag service/1 (and, with TAGGED, set 2 tagged media/1), sets 1 and 2
 * of two members each; tags synced, nobody holding anything. */
static void
setup_node(int i, bool with_tags)
{
	struct cfg *c = &cfgs[i];
	int s;

	memset(c, 0, sizeof(*c));
	c->node_id = (uint16_t)i;
	if (with_tags) {
		c->n_tags = 1;
		strcpy(c->tags[0].name, "service");
		c->tags[0].cluster = 1;
	}
	c->n_sets = 2;
	for (s = 0; s < 2; s++) {
		c->sets[s].set = (uint32_t)s + 1;
		c->sets[s].n_members = 2;
	}
	strcpy(c->sets[1].tag.name, "media");
	c->sets[1].tag.cluster = 1;
	cp_tags_init(&tags[i], c);
	tags[i].state = MSG_CAP_SYNCED;
	cp_backends_init(&bk[i], c);
}

/* Every node believes OWNER holds service/1 under TERM. */
static void
held_by(uint16_t owner, uint64_t term)
{
	int i;

	for (i = 1; i <= 3; i++) {
		tags[i].tag[0].cur.owner = owner;
		tags[i].tag[0].cur.term = term;
	}
}

/* One cron of node I, its dataplane showing set 1 members (UP0, UP1). */
static void
cron(int i, bool up0, bool up1)
{
	static const uint16_t peers[4][2] = { { 0 }, { 2, 3 }, { 1, 3 }, { 1, 2 } };
	static const uint64_t inc[2] = { 7, 7 };
	struct cp_backends_member m[4] = {
		{ 1, up0 }, { 1, up1 }, { 2, true }, { 2, true },
	};

	now += 10;
	wall += 10;
	cp_backends_cron(&bk[i], &tags[i], peers[i], inc, 2, m, 4, now, wall, 7, 1, capture, NULL);
}

static void
deliver_all(void)
{
	int k;

	for (k = 0; k < n_sent; k++) {
		assert_int_equal(sent[k].hdr.type, MSG_T_BACKEND_STATES);
		cp_backends_on_msg(&bk[sent_to[k]], &tags[sent_to[k]], &sent[k]);
	}
	n_sent = 0;
}

static void
view(int i, int set, bool *probe, bool *known, uint32_t *up)
{
	cp_backends_view(&bk[i], set, probe, known, up);
}

/* A set whose tag's holder is down (failover: manual: nobody claims) is probed
 * by nobody: reported (unprobed) and counted once, until a node holds the tag. */
static void
test_unprobed_reported(void **state)
{
	static const uint16_t only3[1] = { 3 };
	static const uint64_t inc[1] = { 7 };
	struct cp_backends_member m[4] = { { 1, true }, { 1, true }, { 2, true }, { 2, true } };

	(void)state;
	setup_node(2, true);
	held_by(1, 1);
	cron(2, true, true);                    /* node 1 up: it probes set 1 */
	assert_false(bk[2].set[0].unprobed);
	assert_true(bk[2].set[1].unprobed);     /* media/1: nobody holds it */
	assert_int_equal(bk[2].counters[CP_BACKENDS_C_unprobed], 1);
	now += 10;
	wall += 10;
	cp_backends_cron(&bk[2], &tags[2], only3, inc, 1, m, 4, now, wall, 7, 1, capture, NULL);
	assert_true(bk[2].set[0].unprobed);     /* node 1 down, nobody claims */
	assert_false(bk[2].set[0].probing);
	assert_int_equal(bk[2].set[0].unprobed_since, wall);
	assert_int_equal(bk[2].counters[CP_BACKENDS_C_unprobed], 2);
	now += 10;
	wall += 10;
	cp_backends_cron(&bk[2], &tags[2], only3, inc, 1, m, 4, now, wall, 7, 1, capture, NULL);
	assert_int_equal(bk[2].counters[CP_BACKENDS_C_unprobed], 2);   /* counted once */
	held_by(3, 2);                          /* node 3 claims */
	now += 10;
	wall += 10;
	cp_backends_cron(&bk[2], &tags[2], only3, inc, 1, m, 4, now, wall, 7, 1, capture, NULL);
	assert_false(bk[2].set[0].unprobed);
	assert_int_equal(bk[2].set[0].holder, 3);
	n_sent = 0;
}

static void
test_holder_probes_others_apply(void **state)
{
	bool probe, known;
	uint32_t up;
	int i;

	(void)state;
	for (i = 1; i <= 3; i++)
		setup_node(i, true);
	held_by(1, 1);
	cron(1, true, false);
	/* node 1 probes set 1 (no tag: the default tag service/1), not set 2 (media/1,
	 * held by nobody), and sends set 1's states to both peers */
	view(1, 0, &probe, &known, &up);
	assert_true(probe);
	view(1, 1, &probe, &known, &up);
	assert_false(probe);
	assert_false(known);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[0].u.bstates.n, 1);
	assert_int_equal(sent[0].u.bstates.e[0].set, 1);
	assert_int_equal(sent[0].u.bstates.e[0].term, 1);
	assert_int_equal(sent[0].u.bstates.e[0].up, 1);
	cron(2, true, true);
	cron(3, true, true);
	assert_int_equal(bk[2].state, MSG_CAP_SYNCING);        /* nothing heard from node 1 yet */
	n_sent = 0;                                             /* (they send nothing: they hold nothing) */
	cron(1, true, false);
	assert_int_equal(n_sent, 0);                            /* unchanged, no gossip due */
	now += CP_BACKENDS_GOSSIP_MS;
	cron(1, true, false);
	assert_int_equal(n_sent, 2);                            /* the gossip */
	deliver_all();
	for (i = 2; i <= 3; i++) {
		cron(i, true, true);
		view(i, 0, &probe, &known, &up);
		assert_false(probe);
		assert_true(known);
		assert_int_equal(up, 1);                        /* member 1 down, as node 1 saw it */
		assert_int_equal(bk[i].state, MSG_CAP_SYNCED);
		assert_int_equal(bk[i].set[0].holder, 1);
	}
	n_sent = 0;
	/* a change goes out at once */
	cron(1, false, false);
	assert_int_equal(n_sent, 2);
	deliver_all();
	view(3, 0, &probe, &known, &up);
	assert_int_equal(up, 0);
}

static void
test_move_new_holder_wins(void **state)
{
	struct msg old;
	bool probe, known;
	uint32_t up;
	int i;

	(void)state;
	for (i = 1; i <= 3; i++)
		setup_node(i, true);
	held_by(1, 1);
	cron(1, true, false);
	deliver_all();
	/* the tag moves to node 2 (term 2); node 1's last states under term 1 are
	 * still on the way when node 2's arrive */
	cron(1, false, false);                                  /* a change, term 1 */
	old = sent[1];                                          /* to node 3 */
	assert_int_equal(sent_to[1], 3);
	n_sent = 0;
	held_by(2, 2);
	cron(1, false, false);
	assert_false(bk[1].set[0].probing);
	assert_int_equal(bk[1].counters[CP_BACKENDS_C_handovers], 1);
	cron(2, true, false);                                   /* starts from what it applied */
	assert_true(bk[2].set[0].probing);
	assert_int_equal(bk[2].counters[CP_BACKENDS_C_takeovers], 1);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[0].u.bstates.e[0].term, 2);
	deliver_all();
	cp_backends_on_msg(&bk[3], &tags[3], &old);             /* late, lower term: ignored */
	assert_int_equal(bk[3].counters[CP_BACKENDS_C_stale], 1);
	view(3, 0, &probe, &known, &up);
	assert_true(known);
	assert_int_equal(up, 1);
	assert_int_equal(bk[3].set[0].from, 2);
	view(1, 0, &probe, &known, &up);                        /* node 1 routes by node 2's */
	assert_false(probe);
	assert_true(known);
	assert_int_equal(up, 1);
	/* same term from a node the tag view does not name: ignored */
	old.hdr.sender = 1;
	old.u.bstates.e[0].term = 2;
	old.u.bstates.e[0].version = UINT64_MAX;
	cp_backends_on_msg(&bk[3], &tags[3], &old);
	assert_int_equal(bk[3].set[0].from, 2);
}

static void
test_no_tags_each_probes(void **state)
{
	bool probe, known;
	uint32_t up;

	(void)state;
	setup_node(1, false);
	cron(1, true, true);
	view(1, 0, &probe, &known, &up);
	assert_true(probe);
	view(1, 1, &probe, &known, &up);
	assert_true(probe);
	assert_int_equal(n_sent, 0);                            /* nothing to replicate */
	assert_int_equal(bk[1].state, MSG_CAP_SYNCED);
}

static void
test_not_synced_probes_nothing(void **state)
{
	bool probe, known;
	uint32_t up;

	(void)state;
	setup_node(1, true);
	held_by(1, 1);
	tags[1].state = MSG_CAP_SYNCING;
	cron(1, true, true);
	view(1, 0, &probe, &known, &up);
	assert_false(probe);
	assert_int_equal(bk[1].state, MSG_CAP_NOT_SYNCED);
	assert_int_equal(n_sent, 0);
}

/* States from a node whose config has fewer members: the others stay up;
 * bits beyond this node's members are dropped. */
static void
test_member_count_mismatch(void **state)
{
	struct msg m;
	bool probe, known;
	uint32_t up;

	(void)state;
	setup_node(3, true);
	held_by(1, 1);
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_T_BACKEND_STATES;
	m.hdr.sender = 1;
	m.u.bstates.n = 1;
	m.u.bstates.e[0] = (struct msg_bstate){ .set = 1, .term = 1, .version = 5, .members = 1,
						.up = 0 };
	cp_backends_on_msg(&bk[3], &tags[3], &m);
	cron(3, true, true);
	view(3, 0, &probe, &known, &up);
	assert_true(known);
	assert_int_equal(up, 0x2);              /* member 0 down, member 1 unknown there: up */
	m.u.bstates.e[0] = (struct msg_bstate){ .set = 1, .term = 1, .version = 6, .members = 3,
						.up = 0x5 };
	cp_backends_on_msg(&bk[3], &tags[3], &m);
	view(3, 0, &probe, &known, &up);
	assert_int_equal(up, 0x1);
	m.u.bstates.e[0].set = 9;               /* a set this node does not have */
	m.u.bstates.e[0].version = 7;
	cp_backends_on_msg(&bk[3], &tags[3], &m);
	assert_int_equal(bk[3].counters[CP_BACKENDS_C_unknown_set], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holder_probes_others_apply),
		cmocka_unit_test(test_move_new_holder_wins),
		cmocka_unit_test(test_no_tags_each_probes),
		cmocka_unit_test(test_not_synced_probes_nothing),
		cmocka_unit_test(test_member_count_mismatch),
		cmocka_unit_test(test_unprobed_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
