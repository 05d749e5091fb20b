/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the replication stream (control/repl/cp_repl): version order, the
 * hybrid clock, and one stream pair between node A (1) and node B (2) on a fake
 * clock. Every datagram goes through msg_encode()/msg_decode() like on the wire;
 * the test decides which ones arrive, in which order, and when.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/repl/cp_repl.h"
#include "dataplane/registrar/reg_pack.h"
#include "proto/msg_codec.h"

#define T_CLUSTER   7
#define T_INC_A     1000
#define T_INC_B     2000
#define T_CAP       128
#define T_RTO       100
#define T_RTO_MAX   800
#define T_ACK_DELAY 10
#define T_ACK_EVERY 8
#define T_MAX_DGRAMS 256
#define T_MAX_RECS  8192

static const char t_key[] = "repl test key, at least 16 bytes";

struct t_node {
	struct msg_codec codec;
	struct cp_repl_conf conf;
	struct cp_repl_peer *p;         /* the stream pair with the other node */
};

/* Datagrams in flight, encoded. */
struct t_net {
	int n;
	size_t len[T_MAX_DGRAMS];
	uint8_t d[T_MAX_DGRAMS][MSG_MAX_LEN];
};

static struct t_node A, B;
static struct t_net net_ab;             /* A -> B Repls */
static struct msg m;
static uint64_t delivered[T_MAX_RECS];  /* counters of the records B delivered */
static int n_delivered;

static void
node_init(struct t_node *n, uint16_t self, uint16_t peer, uint64_t inc, uint32_t cap)
{
	msg_codec_init(&n->codec, T_CLUSTER, self);
	assert_int_equal(msg_codec_set_key(&n->codec, t_key, strlen(t_key)), 0);
	cp_repl_conf_default(&n->conf, self, T_CLUSTER, inc);
	n->conf.capacity = cap;
	n->conf.rto_ms = T_RTO;
	n->conf.rto_max_ms = T_RTO_MAX;
	n->conf.ack_delay_ms = T_ACK_DELAY;
	n->conf.ack_every = T_ACK_EVERY;
	n->conf.max_recs = MSG_REPL_MAX_RECS;   /* 32 a datagram, as the counts below expect */
	cp_repl_peer_free(n->p);
	n->p = cp_repl_peer_create(&n->conf, peer);
	assert_non_null(n->p);
}

static int
setup(void **state)
{
	(void)state;
	node_init(&A, 1, 2, T_INC_A, T_CAP);
	node_init(&B, 2, 1, T_INC_B, T_CAP);
	net_ab.n = 0;
	n_delivered = 0;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cp_repl_peer_free(A.p);
	cp_repl_peer_free(B.p);
	A.p = B.p = NULL;
	return 0;
}

static void
make_rec(struct msg_rec *r, uint64_t i)
{
	memset(r, 0, sizeof(*r));
	r->version = (struct msg_version){ .counter = i, .origin = 1 };
	r->expires_s = 3600;
	r->sock_node = 1;
	r->received = (struct msg_addr){ .family = 4, .port = 5060, .addr = { 192, 0, 2, 9 } };
	r->sock = (struct msg_addr){ .family = 4, .port = 5060, .addr = { 198, 18, 0, 1 } };
	snprintf(r->aor, sizeof(r->aor), "u%llu@example.com", (unsigned long long)i);
	snprintf(r->key, sizeof(r->key), "sip:u%llu@192.0.2.9", (unsigned long long)i);
	snprintf(r->uri, sizeof(r->uri), "sip:u%llu@192.0.2.9", (unsigned long long)i);
	strcpy(r->call_id, "c");
}

/* R packed as the streams carry it (reg_pack.h): the fields a stream test uses. */
static size_t
pack_of(const struct msg_rec *r, uint8_t *out, size_t cap)
{
	static struct reg_rec g;

	memset(&g, 0, sizeof(g));
	g.version = r->version;
	g.tombstone = (r->flags & MSG_REC_F_TOMBSTONE) != 0;
	g.expires_s = r->expires_s;
	g.sock_node = r->sock_node;
	g.q = r->q;
	g.family = r->received.family;
	g.port = r->received.port;
	memcpy(g.addr, r->received.addr, sizeof(g.addr));
	g.sock_family = r->sock.family;
	g.sock_port = r->sock.port;
	memcpy(g.sock_addr, r->sock.addr, sizeof(g.sock_addr));
	g.aor_len = (uint16_t)strlen(r->aor);
	memcpy(g.aor, r->aor, g.aor_len);
	g.key_len = (uint16_t)strlen(r->key);
	memcpy(g.key, r->key, g.key_len);
	g.uri_len = (uint16_t)strlen(r->uri);
	memcpy(g.uri, r->uri, g.uri_len);
	g.instance_len = (uint16_t)strlen(r->instance);
	memcpy(g.instance, r->instance, g.instance_len);
	g.path_len = (uint16_t)strlen(r->path);
	memcpy(g.path, r->path, g.path_len);
	return reg_pack_rec(&g, out, cap);
}

/* Queue R on peer P's stream at NOW: cp_repl_tx_append's result. */
static int
append_rec(struct cp_repl_peer *p, const struct msg_rec *r, uint64_t now)
{
	static uint8_t b[REG_PACK_REC_MAX];
	size_t n = pack_of(r, b, sizeof(b));

	assert_true(n > 0);
	return cp_repl_tx_append(p, b, n, now);
}

/* Record I of the pack in M decoded into *R (only the fields a test reads). */
static void
pack_rec(const struct msg *pm, unsigned int i, struct reg_rec *r)
{
	const struct msg_pack *pk = &pm->u.pack;
	size_t at = 0, n = 0;
	unsigned int j;

	assert_int_equal(pm->hdr.type, MSG_T_REPL_PACK);
	assert_true(i < pk->count);
	for (j = 0; j <= i; j++, at += n) {
		n = reg_pack_unpack(pk->data + at, pk->len - at, r);
		assert_true(n > 0);
	}
}

/* A queues records FROM..TO (counters). */
static void
append(uint64_t from, uint64_t to)
{
	struct msg_rec r;
	uint64_t i;

	for (i = from; i <= to; i++) {
		make_rec(&r, i);
		assert_int_equal(append_rec(A.p, &r, 0), 0);
	}
}

/* A's datagrams due at NOW, encoded into net_ab; returns how many. */
static int
a_poll(uint64_t now)
{
	int k = 0, len;

	while (cp_repl_tx_poll(A.p, now, &m)) {
		m.hdr.seq = 1;
		m.hdr.to = B.codec.self_id;
		len = msg_encode(&A.codec, &m, net_ab.d[net_ab.n], MSG_MAX_LEN);
		assert_true(len > 0);
		net_ab.len[net_ab.n++] = (size_t)len;
		k++;
	}
	return k;
}

/* Datagram I of net_ab arrives at B: returns what on_repl returned. */
static int
deliver(int i, uint64_t now)
{
	static struct reg_rec r;
	uint16_t idx[MSG_PACK_MAX_RECS];
	int k, j;

	assert_true(i < net_ab.n);
	assert_int_equal(msg_decode(&B.codec, net_ab.d[i], net_ab.len[i], &m), MSG_REJECT_NONE);
	k = cp_repl_on_repl(B.p, &m, now, idx);
	for (j = 0; j < k; j++) {
		pack_rec(&m, idx[j], &r);
		delivered[n_delivered++] = r.version.counter;
	}
	return k;
}

/* B's ack at NOW, if due, goes to A: returns on_ack's result, or 1 for "no ack". */
static int
b_ack(uint64_t now)
{
	static uint8_t d[MSG_MAX_LEN];
	int len;

	if (!cp_repl_rx_poll(B.p, now, &m))
		return 1;
	assert_int_equal(m.hdr.type, MSG_T_REPL_ACK);
	m.hdr.seq = 1;
	m.hdr.to = A.codec.self_id;
	len = msg_encode(&B.codec, &m, d, sizeof(d));
	assert_true(len > 0);
	assert_int_equal(msg_decode(&A.codec, d, (size_t)len, &m), MSG_REJECT_NONE);
	return cp_repl_on_ack(A.p, &m, now);
}

static uint64_t
ctr(const struct t_node *n, enum cp_repl_counter c)
{
	return n->p->counters[c];
}

/* ---- version order and clock ---- */

static void
test_version_order(void **state)
{
	struct msg_version v5_1 = { 5, 1 }, v5_2 = { 5, 2 }, v6_1 = { 6, 1 }, v4_9 = { 4, 9 };
	struct msg_rec a, b;

	(void)state;
	assert_true(msg_version_cmp(&v6_1, false, &v5_2, false) > 0);     /* counter first */
	assert_true(msg_version_cmp(&v4_9, false, &v5_1, false) < 0);
	assert_true(msg_version_cmp(&v5_2, false, &v5_1, false) > 0);     /* then origin */
	assert_true(msg_version_cmp(&v5_1, false, &v5_2, false) < 0);
	assert_int_equal(msg_version_cmp(&v5_1, false, &v5_1, false), 0);
	assert_int_equal(msg_version_cmp(&v5_1, true, &v5_1, true), 0);
	assert_true(msg_version_cmp(&v5_1, true, &v5_1, false) > 0);      /* tombstone wins a tie */
	assert_true(msg_version_cmp(&v5_1, false, &v5_1, true) < 0);
	assert_true(msg_version_cmp(&v5_1, true, &v5_2, false) < 0);      /* ...only a tie */
	assert_true(msg_version_cmp(&v5_2, true, &v6_1, false) < 0);      /* an older delete loses */
	make_rec(&a, 7);
	make_rec(&b, 7);
	assert_int_equal(cp_repl_rec_cmp(&a, &b), 0);
	b.flags = MSG_REC_F_TOMBSTONE;
	assert_true(cp_repl_rec_cmp(&a, &b) < 0);
	assert_true(cp_repl_rec_cmp(&b, &a) > 0);
	a.version.origin = 2;
	assert_true(cp_repl_rec_cmp(&a, &b) > 0);
}

static void
test_clock(void **state)
{
	struct msg_clock c = { 0 };
	uint64_t v1, v2, v3, v4;

	(void)state;
	v1 = msg_clock_next(&c, 1000);
	assert_int_equal(v1, (1000ull << MSG_CLOCK_SHIFT) + 1);
	v2 = msg_clock_next(&c, 1000);                      /* same ms: logical +1 */
	assert_int_equal(v2, v1 + 1);
	v3 = msg_clock_next(&c, 500);                       /* wall clock stepped back */
	assert_int_equal(v3, v2 + 1);
	msg_clock_seen(&c, 9000ull << MSG_CLOCK_SHIFT); /* a node ahead of us */
	v4 = msg_clock_next(&c, 1001);
	assert_int_equal(v4, (9000ull << MSG_CLOCK_SHIFT) + 1);
	msg_clock_seen(&c, 5);                              /* older: no effect */
	assert_int_equal(msg_clock_next(&c, 1001), v4 + 1);
	assert_int_equal(msg_clock_next(&c, 20000), (20000ull << MSG_CLOCK_SHIFT) + 1);
}

/* ---- stream ---- */

static void
test_create_errors(void **state)
{
	struct cp_repl_conf c;
	struct msg_rec r;

	(void)state;
	cp_repl_conf_default(&c, 1, T_CLUSTER, 5);
	assert_null(cp_repl_peer_create(&c, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(cp_repl_peer_create(&c, 0));
	c.capacity = MSG_REPL_MAX_RECS - 1;
	assert_null(cp_repl_peer_create(&c, 2));
	cp_repl_conf_default(&c, 1, T_CLUSTER, 0);
	assert_null(cp_repl_peer_create(&c, 2));
	cp_repl_conf_default(&c, 1, T_CLUSTER, 5);
	c.rto_max_ms = c.rto_ms - 1;
	assert_null(cp_repl_peer_create(&c, 2));
	make_rec(&r, 1);
	{
		static uint8_t b[REG_PACK_REC_MAX];
		size_t n = pack_of(&r, b, sizeof(b));

		b[0]++;                 /* its length no longer adds up: not a record */
		assert_int_equal(cp_repl_tx_append(A.p, b, n, 0), -EINVAL);
		assert_int_equal(cp_repl_tx_append(A.p, b, 0, 0), -EINVAL);
	}
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	assert_string_equal(cp_repl_counter_name(CP_REPL_C_tx_behind), "tx_behind");
	assert_string_equal(cp_repl_counter_name(CP_REPL_COUNTER_MAX), "?");
}

static void
test_in_order(void **state)
{
	int i;

	(void)state;
	assert_int_equal(cp_repl_next_at(A.p), CP_REPL_NEVER);
	append(1, 100);
	assert_int_equal(cp_repl_next_at(A.p), 0);
	assert_int_equal(a_poll(0), 4);                 /* 32 + 32 + 32 + 4 */
	assert_int_equal(a_poll(0), 0);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_records), 100);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_datagrams), 4);
	assert_int_equal(cp_repl_next_at(A.p), T_RTO);
	for (i = 0; i < 4; i++)
		deliver(i, 1);
	assert_int_equal(n_delivered, 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(delivered[i], i + 1);
	assert_int_equal(cp_repl_tx_unacked(A.p), 100);
	assert_int_equal(B.p->rx.cum, 100);
	assert_int_equal(b_ack(1), 0);                  /* over ack_every: at once */
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	assert_int_equal(cp_repl_tx_room(A.p), T_CAP);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_acked), 100);
	assert_int_equal(ctr(&B, CP_REPL_C_rx_records), 100);
	assert_int_equal(ctr(&B, CP_REPL_C_rx_gaps), 0);
	assert_int_equal(cp_repl_next_at(A.p), CP_REPL_NEVER);
	assert_int_equal(a_poll(10000), 0);             /* nothing to retransmit */
}

static void
test_delayed_ack(void **state)
{
	(void)state;
	append(1, 3);
	a_poll(50);
	deliver(0, 50);
	assert_int_equal(b_ack(50), 1);                 /* 3 < ack_every: wait */
	assert_int_equal(cp_repl_next_at(B.p), 50 + T_ACK_DELAY);
	assert_int_equal(b_ack(50 + T_ACK_DELAY - 1), 1);
	assert_int_equal(b_ack(50 + T_ACK_DELAY), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	assert_int_equal(b_ack(100), 1);                /* nothing new: no ack */
	append(4, 4 + T_ACK_EVERY - 1);                 /* ack_every records: at once */
	a_poll(200);
	deliver(1, 200);
	assert_int_equal(b_ack(200), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	assert_int_equal(ctr(&B, CP_REPL_C_tx_acks), 2);
}

static void
test_loss_and_retransmit(void **state)
{
	(void)state;
	append(1, 40);
	assert_int_equal(a_poll(0), 2);                 /* 1..32, 33..40 */
	/* the first datagram is lost */
	assert_int_equal(deliver(1, 1), 8);             /* delivered at once, behind a gap */
	assert_int_equal(ctr(&B, CP_REPL_C_rx_gaps), 1);
	assert_int_equal(B.p->rx.cum, 0);
	assert_int_equal(b_ack(1 + T_ACK_DELAY), 0);    /* acks 0: releases nothing */
	assert_int_equal(cp_repl_tx_unacked(A.p), 40);
	assert_int_equal(a_poll(T_RTO - 1), 0);
	assert_int_equal(a_poll(T_RTO), 2);             /* everything sent, from the oldest */
	assert_int_equal(ctr(&A, CP_REPL_C_tx_retransmits), 40);
	assert_int_equal(deliver(2, T_RTO), 32);
	assert_int_equal(B.p->rx.cum, 40);
	assert_int_equal(n_delivered, 40);
	assert_int_equal(b_ack(T_RTO + T_ACK_DELAY), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_acked), 40);
	assert_int_equal(cp_repl_next_at(A.p), CP_REPL_NEVER);
}

/* Every datagram of a window lost at once: one timeout sends them all again;
 * the record that fills a gap is acked at once and ends the recovery. */
static void
test_window_lost_recovery(void **state)
{
	int i;

	(void)state;
	B.p->conf.ack_every = 1000;                     /* only the gap makes it ack early */
	append(1, 100);
	assert_int_equal(a_poll(0), 4);                 /* all four lost */
	assert_int_equal(a_poll(T_RTO - 1), 0);
	assert_int_equal(cp_repl_next_at(A.p), T_RTO);
	assert_int_equal(a_poll(T_RTO), 4);             /* go-back-N: 1..100 again */
	assert_int_equal(ctr(&A, CP_REPL_C_tx_retransmits), 100);
	assert_int_equal(a_poll(T_RTO), 0);
	for (i = 5; i < 8; i++)                         /* the first one is lost again */
		deliver(i, T_RTO);
	assert_int_equal(b_ack(T_RTO), 1);              /* behind a gap: delayed */
	assert_int_equal(b_ack(T_RTO + T_ACK_DELAY), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 100);
	assert_int_equal(a_poll(T_RTO + T_ACK_DELAY), 0);
	assert_int_equal(a_poll(3 * T_RTO), 4);         /* timeout doubled; all again */
	assert_int_equal(deliver(8, 3 * T_RTO), 32);    /* fills the gap */
	assert_int_equal(ctr(&B, CP_REPL_C_rx_duplicates), 0);
	assert_int_equal(B.p->rx.cum, 100);
	assert_int_equal(b_ack(3 * T_RTO), 0);          /* at once */
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	assert_int_equal(cp_repl_next_at(A.p), CP_REPL_NEVER);
	assert_int_equal(a_poll(10 * T_RTO), 0);
	assert_int_equal(n_delivered, 100);
}

static void
test_rto_backoff(void **state)
{
	static const uint64_t at[] = { 100, 300, 700, 1500, 2300, 3100 };
	uint64_t now = 0;
	size_t i;

	(void)state;
	append(1, 1);
	assert_int_equal(a_poll(0), 1);                 /* every copy is lost */
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		for (; now < at[i]; now += 10)
			assert_int_equal(a_poll(now), 0);
		assert_int_equal(a_poll(now), 1);
		assert_int_equal(cp_repl_next_at(A.p), i + 1 < sizeof(at) / sizeof(at[0]) ?
				 at[i + 1] : at[i] + T_RTO_MAX);
	}
	assert_int_equal(ctr(&A, CP_REPL_C_tx_retransmits), 6);
	/* an ack brings the timeout back to rto_ms */
	assert_int_equal(deliver(net_ab.n - 1, now), 1);
	assert_int_equal(b_ack(now + T_ACK_DELAY), 0);
	append(2, 2);
	a_poll(now + 20);
	assert_int_equal(cp_repl_next_at(A.p), now + 20 + T_RTO);
}

/* The peer back up: what waits unacked goes at the next poll, not when the
 * timeout doubled meanwhile expires; the timeout is back to rto_ms. */
static void
test_kick(void **state)
{
	uint64_t now;

	(void)state;
	cp_repl_tx_kick(A.p, 0);                        /* nothing out: nothing to do */
	assert_int_equal(cp_repl_next_at(A.p), CP_REPL_NEVER);
	append(1, 3);
	assert_int_equal(a_poll(0), 1);                 /* lost */
	for (now = 0; now <= 700; now += 10)            /* timeouts at 100, 300, 700 */
		a_poll(now);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_retransmits), 9);
	assert_int_equal(cp_repl_next_at(A.p), 700 + 8 * T_RTO);   /* doubled 3 times */
	cp_repl_tx_kick(A.p, 710);
	assert_int_equal(cp_repl_next_at(A.p), 710);
	assert_int_equal(a_poll(710), 1);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_retransmits), 12);
	assert_int_equal(deliver(net_ab.n - 1, 711), 3);
}

static void
test_duplicates_and_reorder(void **state)
{
	int i;

	(void)state;
	append(1, 70);
	assert_int_equal(a_poll(0), 3);                 /* 1..32, 33..64, 65..70 */
	assert_int_equal(deliver(2, 1), 6);
	assert_int_equal(deliver(0, 2), 32);
	assert_int_equal(B.p->rx.cum, 32);
	assert_int_equal(deliver(1, 3), 32);
	assert_int_equal(B.p->rx.cum, 70);
	assert_int_equal(deliver(0, 4), 0);             /* a duplicate datagram */
	assert_int_equal(deliver(2, 4), 0);
	assert_int_equal(ctr(&B, CP_REPL_C_rx_duplicates), 38);
	assert_int_equal(ctr(&B, CP_REPL_C_rx_gaps), 1);
	assert_int_equal(n_delivered, 70);              /* each record once */
	for (i = 0; i < 6; i++)
		assert_int_equal(delivered[i], 65 + i);
	assert_int_equal(delivered[6], 1);
	assert_int_equal(b_ack(4), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
}

static void
test_lost_ack(void **state)
{
	(void)state;
	append(1, 3);
	a_poll(0);
	deliver(0, 1);
	assert_true(cp_repl_rx_poll(B.p, 1 + T_ACK_DELAY, &m));   /* the ack is lost */
	assert_int_equal(b_ack(50), 1);
	assert_int_equal(a_poll(T_RTO), 1);             /* A sends again */
	assert_int_equal(deliver(1, T_RTO), 0);         /* a duplicate: nothing to apply... */
	assert_int_equal(b_ack(T_RTO), 0);              /* ...but an ack at once */
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	assert_int_equal(n_delivered, 3);
	/* the lost ack never reached A */
	assert_int_equal(ctr(&A, CP_REPL_C_rx_acks), 1);
}

static void
test_bad_acks(void **state)
{
	(void)state;
	append(1, 3);
	a_poll(0);
	memset(&m, 0, sizeof(m));
	m.hdr = (struct msg_hdr){ .type = MSG_T_REPL_ACK, .cluster_id = T_CLUSTER, .sender = 2,
				  .incarnation = T_INC_B, .seq = 1 };
	m.u.ack = (struct msg_repl_ack){ T_INC_A, 1, 4 };         /* never sent */
	assert_int_equal(cp_repl_on_ack(A.p, &m, 1), -EINVAL);
	m.u.ack = (struct msg_repl_ack){ T_INC_A + 1, 1, 2 };     /* another run of A */
	assert_int_equal(cp_repl_on_ack(A.p, &m, 1), -ESTALE);
	m.u.ack = (struct msg_repl_ack){ T_INC_A, 2, 2 };         /* another epoch */
	assert_int_equal(cp_repl_on_ack(A.p, &m, 1), -ESTALE);
	m.u.ack = (struct msg_repl_ack){ T_INC_A, 1, 2 };
	m.hdr.sender = 3;                                         /* not this peer */
	assert_int_equal(cp_repl_on_ack(A.p, &m, 1), -EINVAL);
	m.hdr.sender = 2;
	assert_int_equal(cp_repl_on_ack(A.p, &m, 1), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 1);
	assert_int_equal(ctr(&A, CP_REPL_C_rx_bad_acks), 1);
	assert_int_equal(ctr(&A, CP_REPL_C_rx_stale_acks), 2);
}

static void
test_behind_and_reset(void **state)
{
	struct msg_rec r;

	(void)state;
	append(1, T_CAP);
	assert_int_equal(cp_repl_tx_room(A.p), 0);
	a_poll(0);                                      /* all sent, none acked */
	make_rec(&r, T_CAP + 1);
	assert_int_equal(append_rec(A.p, &r, 0), -ENOBUFS);
	assert_true(cp_repl_tx_behind(A.p));
	assert_int_equal(ctr(&A, CP_REPL_C_tx_behind), 1);
	assert_int_equal(append_rec(A.p, &r, 0), -ENOBUFS);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_behind), 1);      /* one event... */
	assert_int_equal(ctr(&A, CP_REPL_C_tx_dropped), 2);     /* ...records counted */
	assert_int_equal(cp_repl_tx_room(A.p), 0);
	assert_int_equal(a_poll(T_RTO * 10), 0);        /* nothing is sent for it */
	assert_int_equal(cp_repl_next_at(A.p), CP_REPL_NEVER);

	/* B got the first datagram only */
	assert_int_equal(deliver(0, 1), 32);
	/* its full sync starts: a new epoch, from sequence 1 */
	cp_repl_tx_reset(A.p);
	assert_false(cp_repl_tx_behind(A.p));
	assert_int_equal(cp_repl_tx_room(A.p), T_CAP);
	append(500, 502);
	assert_int_equal(a_poll(2000), 1);
	assert_int_equal(deliver(net_ab.n - 1, 2000), 3);       /* not taken for duplicates */
	assert_int_equal(ctr(&B, CP_REPL_C_rx_resets), 1);
	assert_int_equal(B.p->rx.epoch, 2);
	assert_int_equal(B.p->rx.cum, 3);
	assert_int_equal(b_ack(2000 + T_ACK_DELAY), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	/* a late datagram of the old epoch is ignored */
	assert_int_equal(deliver(1, 2100), -ESTALE);
	assert_int_equal(ctr(&B, CP_REPL_C_rx_stale), 1);
}

static void
test_sender_restart(void **state)
{
	struct cp_repl_peer *old;
	int k;

	(void)state;
	append(1, 10);
	a_poll(0);
	deliver(0, 1);
	assert_int_equal(B.p->rx.cum, 10);
	/* B also streams to A, so that its reset is visible */
	{
		struct msg_rec r;

		make_rec(&r, 77);
		assert_int_equal(append_rec(B.p, &r, 0), 0);
	}
	/* A restarts: a new run, a new stream from sequence 1 */
	old = A.p;
	A.p = NULL;
	node_init(&A, 1, 2, T_INC_A + 1, T_CAP);
	append(1, 5);
	a_poll(100);
	k = deliver(net_ab.n - 1, 101);
	assert_int_equal(k, 5);                         /* sequences 1..5 again, all new */
	assert_int_equal(ctr(&B, CP_REPL_C_restarts), 1);
	assert_int_equal(B.p->incarnation, T_INC_A + 1);
	assert_int_equal(B.p->rx.cum, 5);
	assert_int_equal(cp_repl_tx_unacked(B.p), 0);   /* B's stream to A restarted too */
	assert_int_equal(B.p->tx.epoch, 2);
	/* a late datagram of the old run is stale */
	assert_int_equal(deliver(0, 102), -ESTALE);
	assert_int_equal(b_ack(101 + T_ACK_DELAY), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	cp_repl_peer_free(old);
}

static void
test_receiver_restart(void **state)
{
	(void)state;
	append(1, 10);
	a_poll(0);
	deliver(0, 1);
	assert_int_equal(b_ack(1), 0);                  /* A learns B's run from the ack */
	append(11, 12);
	a_poll(2);
	/* B restarts; A's next datagram starts at 11 on a stream B does not know */
	node_init(&B, 2, 1, T_INC_B + 1, T_CAP);
	assert_int_equal(deliver(1, 3), 2);
	assert_int_equal(B.p->rx.cum, 0);               /* it waits for 1..10 */
	/* its ack shows a new run: A restarts its stream (B needs a full sync) */
	assert_int_equal(b_ack(3 + T_ACK_DELAY), -ESTALE);
	assert_int_equal(ctr(&A, CP_REPL_C_restarts), 1);
	assert_int_equal(A.p->tx.epoch, 2);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	append(13, 13);
	a_poll(20);
	assert_int_equal(deliver(net_ab.n - 1, 20), 1);
	assert_int_equal(B.p->rx.cum, 1);
	assert_int_equal(b_ack(20 + T_ACK_DELAY), 0);
	assert_int_equal(cp_repl_tx_unacked(A.p), 0);
	/* cp_topo's restart event does the same; an older or equal run does nothing */
	cp_repl_peer_restart(A.p, T_INC_B + 1);
	cp_repl_peer_restart(A.p, T_INC_B);
	assert_int_equal(ctr(&A, CP_REPL_C_restarts), 1);
	cp_repl_peer_restart(A.p, T_INC_B + 2);
	assert_int_equal(ctr(&A, CP_REPL_C_restarts), 2);
}

/* Datagrams kept within a 1500-byte MTU: more of them, every record delivered. */
static void
test_mtu_budget(void **state)
{
	int i, n;

	(void)state;
	A.conf.max_body = 1408;
	cp_repl_peer_free(A.p);
	A.p = cp_repl_peer_create(&A.conf, 2);
	assert_non_null(A.p);
	append(1, 100);
	n = a_poll(0);
	assert_true(n > 4);
	for (i = 0; i < n; i++) {
		assert_true(net_ab.len[i] <= 1408 + MSG_HDR_LEN + MSG_HMAC_LEN);
		deliver(i, 1);
	}
	assert_int_equal(n_delivered, 100);
	assert_int_equal(B.p->rx.cum, 100);
	/* a record that no datagram of this budget can hold is refused, not queued
	 * (it would block the stream), and counted */
	{
		static struct msg_rec big;
		uint32_t unacked = cp_repl_tx_unacked(A.p);

		make_rec(&big, 101);
		memset(big.uri, 'u', 500);      /* within the registrar's limits, */
		memset(big.path, 'p', 500);     /* over 1408 bytes together */
		memset(big.instance, 'i', 200);
		memset(big.key, 'k', 500);
		assert_int_equal(append_rec(A.p, &big, 0), -E2BIG);
		assert_int_equal(ctr(&A, CP_REPL_C_tx_too_big), 1);
		assert_int_equal(cp_repl_tx_unacked(A.p), unacked);
	}
	A.conf.max_body = MSG_REPL_BODY_MIN - 1;
	assert_null(cp_repl_peer_create(&A.conf, 2));
}

static void
test_beyond_window(void **state)
{
	uint16_t idx[MSG_PACK_MAX_RECS];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.hdr = (struct msg_hdr){ .type = MSG_T_REPL, .cluster_id = T_CLUSTER, .sender = 1,
				  .incarnation = T_INC_A, .seq = 1 };
	m.u.repl.epoch = 1;
	m.u.repl.first_seq = CP_REPL_RX_WINDOW;         /* the last in the window, then past */
	m.u.repl.n = 2;
	make_rec(&m.u.repl.recs[0], 1);
	make_rec(&m.u.repl.recs[1], 2);
	assert_int_equal(cp_repl_on_repl(B.p, &m, 0, idx), 1);
	assert_int_equal(idx[0], 0);
	assert_int_equal(ctr(&B, CP_REPL_C_rx_beyond), 1);
	m.hdr.sender = 3;
	assert_int_equal(cp_repl_on_repl(B.p, &m, 0, idx), -EINVAL);
}

/* The sender never runs further ahead of the oldest unacked record than the
 * receiver keeps track of (CP_REPL_RX_WINDOW): what it sent beyond would be
 * dropped there (rx_beyond). The rest goes once an ack moves the window. */
static void
test_send_window(void **state)
{
	int i, first;

	(void)state;
	node_init(&A, 1, 2, T_INC_A, 2 * CP_REPL_RX_WINDOW);
	node_init(&B, 2, 1, T_INC_B, 2 * CP_REPL_RX_WINDOW);
	append(1, CP_REPL_RX_WINDOW + 904);
	first = a_poll(0);
	assert_int_equal(first, CP_REPL_RX_WINDOW / 32);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_records), CP_REPL_RX_WINDOW);
	assert_int_equal(a_poll(1), 0);                 /* the window is full */
	for (i = 0; i < first; i++)
		assert_int_equal(deliver(i, 1), 32);
	assert_int_equal(B.p->rx.cum, CP_REPL_RX_WINDOW);
	assert_int_equal(b_ack(1), 0);
	assert_int_equal(a_poll(2), 29);                /* 904 = 28 x 32 + 8 */
	for (i = first; i < net_ab.n; i++)
		deliver(i, 2);
	assert_int_equal(B.p->rx.cum, CP_REPL_RX_WINDOW + 904);
	assert_int_equal(ctr(&B, CP_REPL_C_rx_beyond), 0);
	assert_int_equal(ctr(&A, CP_REPL_C_tx_retransmits), 0);
}

/* The byte ring: records of varying sizes wrap around it many times, each
 * delivered once and intact; with nothing acked it fills up by bytes before
 * its record capacity, and the peer is behind. */
static void
test_byte_ring(void **state)
{
	static struct reg_rec g;
	uint64_t i, t = 0, n = 0;
	int d, j, k;

	(void)state;
	A.conf.max_body = 1408;
	A.conf.ring_bytes = 2048;               /* some 20 records */
	cp_repl_peer_free(A.p);
	A.p = cp_repl_peer_create(&A.conf, 2);
	assert_non_null(A.p);
	for (i = 0; i < 40; i++) {
		append(n + 1, n + 7 + i % 5);   /* 7..11 records a round */
		n += 7 + i % 5;
		d = net_ab.n;
		assert_true(a_poll(t) >= 1);
		for (j = d; j < net_ab.n; j++) {
			assert_int_equal(msg_decode(&B.codec, net_ab.d[j], net_ab.len[j], &m),
					 MSG_REJECT_NONE);
			for (k = 0; k < (int)m.u.pack.count; k++) {     /* intact */
				char want[64];
				int wl;

				pack_rec(&m, (unsigned int)k, &g);
				wl = snprintf(want, sizeof(want), "u%llu@example.com",
					      (unsigned long long)g.version.counter);
				assert_int_equal(g.aor_len, wl);
				assert_memory_equal(g.aor, want, (size_t)wl);
			}
			deliver(j, t);
		}
		t += T_ACK_DELAY;
		assert_int_equal(b_ack(t), 0);
		assert_int_equal(cp_repl_tx_unacked(A.p), 0);
		net_ab.n = 0;
	}
	assert_int_equal(n_delivered, (int)n);
	for (i = 0; i < n; i++)
		assert_int_equal(delivered[i], i + 1);
	/* nothing acked: full by bytes long before T_CAP records */
	for (i = 1; i <= T_CAP; i++) {
		struct msg_rec r;

		make_rec(&r, n + i);
		if (append_rec(A.p, &r, t) == -ENOBUFS)
			break;
	}
	assert_true(i > 10 && i < 40);
	assert_true(cp_repl_tx_behind(A.p));
	A.conf.ring_bytes = A.conf.max_body - 1;        /* must hold the largest record */
	assert_null(cp_repl_peer_create(&A.conf, 2));
}

/* A record's lifetime ages while it waits in the ring: the first datagram and
 * every retransmission carry what is left, the wait in started seconds (at
 * least 1 s left); a tombstone keeps 0. */
static void
test_lifetime_ages(void **state)
{
	struct msg_rec r;

	(void)state;
	make_rec(&r, 1);
	assert_int_equal(append_rec(A.p, &r, 10000), 0);
	make_rec(&r, 2);
	r.flags = MSG_REC_F_TOMBSTONE;
	r.expires_s = 0;
	assert_int_equal(append_rec(A.p, &r, 10000), 0);
	static struct reg_rec g;

	assert_int_equal(cp_repl_tx_poll(A.p, 12500, &m), 1);
	assert_int_equal(m.u.pack.count, 2);
	pack_rec(&m, 0, &g);
	assert_int_equal(g.expires_s, 3597);   /* 2.5 s waited: 3 s less */
	pack_rec(&m, 1, &g);
	assert_int_equal(g.expires_s, 0);
	assert_int_equal(g.tombstone, 1);
	/* unacked: after the timeout the same records go again, older */
	assert_int_equal(cp_repl_tx_poll(A.p, 12500 + 60000, &m), 1);
	assert_int_equal(m.u.pack.seq, 1);
	pack_rec(&m, 0, &g);
	assert_int_equal(g.expires_s, 3597 - 60);
	pack_rec(&m, 1, &g);
	assert_int_equal(g.expires_s, 0);
	assert_int_equal(cp_repl_tx_poll(A.p, 10000 + 4000 * 1000, &m), 1);
	pack_rec(&m, 0, &g);
	assert_int_equal(g.expires_s, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_clock),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delayed_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_and_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_lost_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rto_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_reorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_behind_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sender_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receiver_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtu_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_beyond_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_ages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
