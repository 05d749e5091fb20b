/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the cluster bus codec (proto/msg_codec): the byte layout of the
 * header, round trips of every message type, and one test per rejection reason,
 * each checking that exactly that reason's counter moved. The key file loader is
 * tested on temporary files.
 *
 * With MSG_CODEC_WRITE_CORPUS=DIR the seed test also writes the fuzzing seeds
 * (valid datagrams under the fuzz target's key and cluster) into DIR; that is how
 * tests/fuzz/corpus/fuzz_msg_decode/ was made.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proto/cluster.pb-c.h"
#include "proto/msg_codec.h"

#define T_CLUSTER 7
#define T_SELF    1
static const char t_key[] = "0123456789abcdef-test-key";

/* Same values as tests/fuzz/fuzz_msg_decode.c. */
#define FUZZ_CLUSTER 7
#define FUZZ_SELF    1
static const char fuzz_key[] = "sipshard fuzz key, 32 bytes long";

static struct msg_codec rx, tx;         /* receiver (node 1), sender (node 2) */
static uint8_t buf[MSG_MAX_LEN + 64];
static struct msg in, out;

static int
setup(void **state)
{
	(void)state;
	msg_codec_init(&tx, T_CLUSTER, 2);
	msg_codec_init(&rx, T_CLUSTER, T_SELF);
	assert_int_equal(msg_codec_set_key(&tx, t_key, strlen(t_key)), 0);
	assert_int_equal(msg_codec_set_key(&rx, t_key, strlen(t_key)), 0);
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	return 0;
}

static void
hdr(struct msg *m, uint8_t type, uint16_t sender, uint64_t seq)
{
	m->hdr.type = type;
	m->hdr.cluster_id = T_CLUSTER;
	m->hdr.sender = sender;
	m->hdr.incarnation = 1700000000123456ull;
	m->hdr.seq = seq;
	m->hdr.to = T_SELF;             /* == FUZZ_SELF */
}

static void
make_heartbeat(struct msg *m, uint16_t sender, int n_seen)
{
	int i;

	memset(m, 0, sizeof(*m));
	hdr(m, MSG_T_HEARTBEAT, sender, 42);
	m->u.hb.node.id = sender;
	m->u.hb.node.addr = 0xc6120000u | sender;
	m->u.hb.node.port = 5800;
	m->u.hb.incarnation = m->hdr.incarnation;
	m->u.hb.cluster_id = T_CLUSTER;
	m->u.hb.caps[MSG_CAP_REGISTRATIONS] = MSG_CAP_SYNCED;
	m->u.hb.caps[MSG_CAP_BACKENDS] = MSG_CAP_SYNCING;
	for (i = 0; i < n_seen; i++) {
		m->u.hb.seen[i].id = (uint16_t)(100 + i);
		m->u.hb.seen[i].incarnation = 1000 + (uint64_t)i;
		m->u.hb.seen[i].last_seq = 1ull << (i % 40);
	}
	m->u.hb.n_seen = (uint16_t)n_seen;
}

/* Decode with the receiver and check that reason R, and only it, was counted. */
static void
expect_reject(const uint8_t *b, size_t len, enum msg_reject r)
{
	uint64_t before[MSG_REJECT_MAX];
	int i;

	memcpy(before, rx.rejects, sizeof(before));
	assert_int_equal(msg_decode(&rx, b, len, &out), r);
	for (i = 0; i < MSG_REJECT_MAX; i++)
		assert_int_equal(rx.rejects[i], before[i] + (i == (int)r));
}

static int
encode(struct msg_codec *c, const struct msg *m)
{
	int n = msg_encode(c, m, buf, sizeof(buf));

	assert_true(n > 0);
	return n;
}

/* ---- layout and round trips ---- */

static void
test_wire_layout(void **state)
{
	uint8_t mac[32];
	unsigned int mac_len;
	int n;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_LEAVE, 2, 0x0102030405060708ull);
	in.hdr.incarnation = 0x1112131415161718ull;
	in.hdr.flags = 0xa5a5;
	n = encode(&tx, &in);
	assert_int_equal(n, MSG_HDR_LEN + 0 + MSG_HMAC_LEN);      /* empty Leave body */
	assert_memory_equal(buf, "SSHB", 4);
	assert_int_equal(buf[4], MSG_VERSION);
	assert_int_equal(buf[5], MSG_T_LEAVE);
	assert_memory_equal(buf + 6, "\xa5\xa5", 2);
	assert_memory_equal(buf + 8, "\x00\x00", 2);                /* body length */
	assert_memory_equal(buf + 10, "\x00\x00\x00\x07", 4);       /* cluster */
	assert_memory_equal(buf + 14, "\x00\x02", 2);               /* sender */
	assert_memory_equal(buf + 16, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
	assert_memory_equal(buf + 24, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	/* the HMAC covers the receiver's id (2 bytes, not sent), then the header */
	{
		uint8_t in_mac[2 + MSG_HDR_LEN] = { 0, T_SELF };

		memcpy(in_mac + 2, buf, MSG_HDR_LEN);
		HMAC(EVP_sha256(), t_key, (int)strlen(t_key), in_mac, sizeof(in_mac), mac,
		     &mac_len);
	}
	assert_int_equal(mac_len, 32);
	assert_memory_equal(buf + MSG_HDR_LEN, mac, 32);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.flags, 0xa5a5);
	assert_int_equal(out.hdr.seq, 0x0102030405060708ull);
	assert_int_equal(out.hdr.incarnation, 0x1112131415161718ull);
	assert_string_equal(out.u.leave.reason, "");
	assert_int_equal(tx.encoded, 1);
	assert_int_equal(rx.decoded, 1);
}

static void
test_roundtrip_heartbeat(void **state)
{
	int n, i;

	(void)state;
	make_heartbeat(&in, 2, MSG_MAX_NODES);
	in.u.hb.leaving = true;
	n = encode(&tx, &in);
	assert_true(n < 1472);          /* a full heartbeat fits one Ethernet frame */
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.type, MSG_T_HEARTBEAT);
	assert_int_equal(out.hdr.sender, 2);
	assert_int_equal(out.hdr.seq, 42);
	assert_int_equal(out.hdr.cluster_id, T_CLUSTER);
	assert_int_equal(out.u.hb.node.id, 2);
	assert_int_equal(out.u.hb.node.addr, 0xc6120002u);
	assert_int_equal(out.u.hb.node.port, 5800);
	assert_int_equal(out.u.hb.incarnation, in.hdr.incarnation);
	assert_true(out.u.hb.leaving);
	assert_int_equal(out.u.hb.caps[MSG_CAP_REGISTRATIONS], MSG_CAP_SYNCED);
	assert_int_equal(out.u.hb.caps[MSG_CAP_BACKENDS], MSG_CAP_SYNCING);
	assert_int_equal(out.u.hb.caps[MSG_CAP_TAGS], MSG_CAP_NOT_SYNCED);
	assert_int_equal(out.u.hb.n_seen, MSG_MAX_NODES);
	for (i = 0; i < MSG_MAX_NODES; i++) {
		assert_int_equal(out.u.hb.seen[i].id, 100 + i);
		assert_int_equal(out.u.hb.seen[i].incarnation, 1000 + i);
		assert_int_equal(out.u.hb.seen[i].last_seq, 1ull << (i % 40));
	}
	assert_int_equal(out.src_addr, 0);
}

static void
test_roundtrip_join_adopt_announce_leave(void **state)
{
	int n, i;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_JOIN, 4, 1);
	in.u.join.node = (struct msg_node){ .id = 4, .addr = 0, .port = 5800 };
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.join.node.id, 4);
	assert_int_equal(out.u.join.node.addr, 0);

	for (i = 0; i < 2; i++) {
		memset(&in, 0, sizeof(in));
		hdr(&in, i == 0 ? MSG_T_ADOPT : MSG_T_ANNOUNCE, 2, 2);
		in.u.members.n = 3;
		in.u.members.nodes[0] = (struct msg_node){ 2, 0xc6120002u, 5800 };
		in.u.members.nodes[1] = (struct msg_node){ 3, 0xc6120003u, 5801 };
		in.u.members.nodes[2] = (struct msg_node){ 65535, 0xffffffffu, 65535 };
		n = encode(&tx, &in);
		assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
		assert_int_equal(out.hdr.type, in.hdr.type);
		assert_int_equal(out.u.members.n, 3);
		assert_memory_equal(&out.u.members.nodes[2], &in.u.members.nodes[2],
				    sizeof(struct msg_node));
		assert_int_equal(out.u.members.nodes[1].port, 5801);
	}
	/* an empty member list is valid */
	in.u.members.n = 0;
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.members.n, 0);

	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_LEAVE, 2, 3);
	strcpy(in.u.leave.reason, "shutdown");
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_string_equal(out.u.leave.reason, "shutdown");
}

static void
test_encode_errors(void **state)
{
	struct msg_codec nokey;

	(void)state;
	make_heartbeat(&in, 2, 1);
	msg_codec_init(&nokey, T_CLUSTER, 2);
	assert_int_equal(msg_encode(&nokey, &in, buf, sizeof(buf)), -ENOKEY);
	assert_int_equal(msg_encode(&tx, &in, buf, 40), -EMSGSIZE);
	assert_int_equal(msg_encode(&tx, &in, buf, 70), -EMSGSIZE);
	in.u.hb.n_seen = MSG_MAX_NODES + 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_heartbeat(&in, 2, 1);
	in.u.hb.caps[0] = MSG_CAP_STATE_MAX;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_heartbeat(&in, 2, 1);
	in.u.hb.node.port = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_heartbeat(&in, 2, 1);
	in.hdr.sender = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_heartbeat(&in, 2, 1);
	in.hdr.incarnation = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_heartbeat(&in, 2, 1);
	in.hdr.type = 23;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(msg_frame(&tx, &in.hdr, buf, MSG_MAX_BODY + 1, buf, sizeof(buf)),
			 -EMSGSIZE);
	assert_int_equal(tx.encoded, 0);
}

/* ---- one test per rejection ---- */

static void
test_reject_short(void **state)
{
	int n;

	(void)state;
	make_heartbeat(&in, 2, 1);
	n = encode(&tx, &in);
	expect_reject(buf, 0, MSG_REJECT_SHORT);
	expect_reject(buf, MSG_HDR_LEN + MSG_HMAC_LEN - 1, MSG_REJECT_SHORT);
	assert_true(n > MSG_HDR_LEN + MSG_HMAC_LEN);
	assert_string_equal(msg_reject_name(MSG_REJECT_SHORT), "short");
}

static void
test_reject_bad_magic(void **state)
{
	int n;

	(void)state;
	make_heartbeat(&in, 2, 1);
	n = encode(&tx, &in);
	buf[0] ^= 0x01;
	buf[10] ^= 0xff;                /* also the wrong cluster: magic is checked first */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_MAGIC);
	assert_string_equal(msg_reject_name(MSG_REJECT_BAD_MAGIC), "bad_magic");
}

static void
test_reject_bad_version(void **state)
{
	int n;

	(void)state;
	make_heartbeat(&in, 2, 1);
	n = encode(&tx, &in);
	buf[4] = MSG_VERSION + 1;
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_VERSION);
	buf[4] = 0;
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_VERSION);
}

/* Issue 14 item 9: the HMAC covers the receiver's id. A frame made for node 2
 * fails at node 3 (bad_hmac); only a JOIN may be addressed to "any" (0). */
static void
test_reject_other_receiver(void **state)
{
	struct msg_codec node3;
	int n;

	(void)state;
	make_heartbeat(&in, 2, 1);
	in.hdr.to = T_SELF + 2;                         /* for another node */
	n = encode(&tx, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_HMAC);
	msg_codec_init(&node3, T_CLUSTER, T_SELF + 2);  /* that node takes it */
	assert_int_equal(msg_codec_set_key(&node3, t_key, strlen(t_key)), 0);
	assert_int_equal(msg_decode(&node3, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.to, T_SELF + 2);
	in.hdr.to = 0;                                  /* "any": not a heartbeat */
	n = encode(&tx, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_HMAC);
	memset(&in, 0, sizeof(in));                     /* a join to a seed: any */
	hdr(&in, MSG_T_JOIN, 2, 1);
	in.hdr.to = 0;
	in.u.join.node.id = 2;
	in.u.join.node.addr = 0xc6120002;
	in.u.join.node.port = 5800;
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(msg_decode(&node3, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.to, 0);
	assert_int_equal(node3.rejects[MSG_REJECT_BAD_HMAC], 0);
	msg_codec_fini(&node3);
}

static void
test_reject_bad_length(void **state)
{
	int n;

	(void)state;
	make_heartbeat(&in, 2, 3);
	n = encode(&tx, &in);
	expect_reject(buf, (size_t)n - 1, MSG_REJECT_BAD_LENGTH);  /* truncated */
	buf[n] = 0;
	expect_reject(buf, (size_t)n + 1, MSG_REJECT_BAD_LENGTH);  /* trailing byte */
	buf[8] = 0xff;                                             /* over the maximum */
	buf[9] = 0xff;
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_LENGTH);
	buf[8] = (MSG_MAX_BODY + 1) >> 8;
	buf[9] = (MSG_MAX_BODY + 1) & 0xff;
	memset(buf + MSG_HDR_LEN, 0, MSG_MAX_BODY + 1 + MSG_HMAC_LEN);
	expect_reject(buf, MSG_HDR_LEN + MSG_MAX_BODY + 1 + MSG_HMAC_LEN, MSG_REJECT_BAD_LENGTH);
}

static void
test_reject_wrong_cluster(void **state)
{
	struct msg_codec other;
	int n;

	(void)state;
	msg_codec_init(&other, T_CLUSTER + 1, 2);
	assert_int_equal(msg_codec_set_key(&other, t_key, strlen(t_key)), 0);
	make_heartbeat(&in, 2, 1);
	in.hdr.cluster_id = T_CLUSTER + 1;
	in.u.hb.cluster_id = T_CLUSTER + 1;
	n = encode(&other, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_WRONG_CLUSTER);
}

static void
test_reject_bad_hmac(void **state)
{
	struct msg_codec other, nokey;
	static const char other_key[] = "another key of 16 bytes or more";
	int n;

	(void)state;
	make_heartbeat(&in, 2, 2);
	n = encode(&tx, &in);
	buf[MSG_HDR_LEN + 3] ^= 0x40;                       /* body altered */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_HMAC);
	buf[MSG_HDR_LEN + 3] ^= 0x40;
	buf[n - 1] ^= 0x01;                                 /* trailer altered */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_HMAC);
	buf[n - 1] ^= 0x01;
	buf[27] ^= 0x01;                                    /* header (seq) altered */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_HMAC);
	buf[27] ^= 0x01;
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);

	msg_codec_init(&other, T_CLUSTER, 2);              /* another key */
	assert_int_equal(msg_codec_set_key(&other, other_key, strlen(other_key)), 0);
	n = encode(&other, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_HMAC);

	msg_codec_init(&nokey, T_CLUSTER, 1);              /* no key: nothing verifies */
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&nokey, buf, (size_t)n, &out), MSG_REJECT_BAD_HMAC);
	assert_int_equal(nokey.rejects[MSG_REJECT_BAD_HMAC], 1);
}

static void
test_reject_bad_sender(void **state)
{
	int n;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_LEAVE, 0, 1);
	n = msg_frame(&tx, &in.hdr, NULL, 0, buf, sizeof(buf));
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_SENDER);
	hdr(&in, MSG_T_LEAVE, 2, 1);
	in.hdr.incarnation = 0;
	n = msg_frame(&tx, &in.hdr, NULL, 0, buf, sizeof(buf));
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_SENDER);
}

static void
test_reject_from_self(void **state)
{
	int n;

	(void)state;
	make_heartbeat(&in, T_SELF, 1);
	n = encode(&tx, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_FROM_SELF);
}

static void
test_reject_unknown_type(void **state)
{
	static const unsigned int types[] = { 0, 6, 15, 26, 63, 67, 127, 255 };
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&in, 0, sizeof(in));
		hdr(&in, (uint8_t)types[i], 2, 1);
		n = msg_frame(&tx, &in.hdr, "\x08\x01", 2, buf, sizeof(buf));
		expect_reject(buf, (size_t)n, MSG_REJECT_UNKNOWN_TYPE);
	}
	assert_string_equal(msg_type_name(26), "?");
	assert_string_equal(msg_type_name(MSG_T_REPL_PACK), "repl_pack");
	assert_string_equal(msg_type_name(MSG_T_SYNC_CHUNK), "sync_chunk");
	assert_string_equal(msg_type_name(MSG_T_BUCKET_PULL), "bucket_pull");
	assert_string_equal(msg_type_name(MSG_T_SYNC_DONE), "sync_done");
	assert_string_equal(msg_type_name(MSG_T_TAG_TABLE), "tag_table");
	assert_string_equal(msg_type_name(MSG_T_ANNOUNCE), "announce");
}

static void
test_reject_bad_protobuf(void **state)
{
	static const struct { uint8_t type; const char *body; size_t len; } cases[] = {
		{ MSG_T_HEARTBEAT, "\xff\xff\xff", 3 },         /* not protobuf */
		{ MSG_T_HEARTBEAT, "", 0 },                     /* required fields missing */
		{ MSG_T_JOIN, "", 0 },
		{ MSG_T_JOIN, "\x0a\x02\x08\x02", 4 },          /* NodeInfo without ipv4/port */
		{ MSG_T_ADOPT, "\x0a\x7f", 2 },                 /* length past the end */
		{ MSG_T_ANNOUNCE, "\x0b", 1 },                  /* group wire type */
		{ MSG_T_LEAVE, "\x0a\xff\xff\xff\xff\x0f", 6 }, /* huge string length */
	};
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&in, 0, sizeof(in));
		hdr(&in, cases[i].type, 2, 1);
		n = msg_frame(&tx, &in.hdr, cases[i].body, cases[i].len, buf, sizeof(buf));
		assert_true(n > 0);
		expect_reject(buf, (size_t)n, MSG_REJECT_BAD_PROTOBUF);
	}
}

/* Packs a protobuf-c heartbeat with the given values into a frame from node 2. */
static int
frame_pb_heartbeat(uint32_t node_id, uint32_t port, size_t n_hears, uint32_t hears_id,
		   uint32_t cap, uint32_t cap_state)
{
	static Cluster__PeerSeen seen[MSG_MAX_NODES + 2], *seenp[MSG_MAX_NODES + 2];
	Cluster__NodeInfo node = CLUSTER__NODE_INFO__INIT;
	Cluster__CapStatus cs = CLUSTER__CAP_STATUS__INIT, *csp = &cs;
	Cluster__Heartbeat hb = CLUSTER__HEARTBEAT__INIT;
	uint8_t body[MSG_MAX_BODY];
	size_t i, len;

	node.node_id = node_id;
	node.ipv4 = 1;
	node.port = port;
	hb.node = &node;
	hb.incarnation = 1700000000123456ull;
	hb.cluster_id = T_CLUSTER;
	for (i = 0; i < n_hears; i++) {
		cluster__peer_seen__init(&seen[i]);
		seen[i].node_id = hears_id;
		seenp[i] = &seen[i];
	}
	hb.n_hears = n_hears;
	hb.hears = seenp;
	cs.capability = cap;
	cs.state = cap_state;
	hb.n_caps = 1;
	hb.caps = &csp;
	len = cluster__heartbeat__pack(&hb, body);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_HEARTBEAT, 2, 1);
	return msg_frame(&tx, &in.hdr, body, len, buf, sizeof(buf));
}

static void
test_reject_bad_field(void **state)
{
	int n;

	(void)state;
	/* the reference: valid, and an unknown capability is ignored */
	n = frame_pb_heartbeat(2, 5800, 1, 3, 17, MSG_CAP_SYNCED);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	n = frame_pb_heartbeat(3, 5800, 1, 3, 0, 0);           /* body node != sender */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	n = frame_pb_heartbeat(65538, 5800, 1, 3, 0, 0);       /* id over 16 bits */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	n = frame_pb_heartbeat(2, 0, 1, 3, 0, 0);              /* port 0 */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	n = frame_pb_heartbeat(2, 70000, 1, 3, 0, 0);          /* port over 16 bits */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	n = frame_pb_heartbeat(2, 5800, MSG_MAX_NODES + 1, 3, 0, 0);   /* list too long */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	n = frame_pb_heartbeat(2, 5800, 1, 0, 0, 0);           /* hears node 0 */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	n = frame_pb_heartbeat(2, 5800, 1, 3, 0, 3);           /* unknown cap state */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);

	/* header and body disagree */
	make_heartbeat(&in, 2, 1);
	in.u.hb.incarnation++;
	n = encode(&tx, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	make_heartbeat(&in, 2, 1);
	in.u.hb.cluster_id++;
	n = encode(&tx, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_JOIN, 2, 1);
	in.u.join.node = (struct msg_node){ .id = 5, .port = 5800 };
	n = encode(&tx, &in);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
}

static void
test_leave_reason_sanitized(void **state)
{
	Cluster__Leave pb = CLUSTER__LEAVE__INIT;
	char reason[200];
	uint8_t body[256];
	size_t len;
	int n;

	(void)state;
	memset(reason, 'a', sizeof(reason));
	reason[3] = '\n';
	reason[4] = '\x1b';
	reason[sizeof(reason) - 1] = '\0';
	pb.reason = reason;
	len = cluster__leave__pack(&pb, body);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_LEAVE, 2, 1);
	n = msg_frame(&tx, &in.hdr, body, len, buf, sizeof(buf));
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(strlen(out.u.leave.reason), MSG_REASON_MAX - 1);
	assert_memory_equal(out.u.leave.reason, "aaa??aa", 7);
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 1; i < MSG_REJECT_MAX; i++) {
		assert_true(strcmp(msg_reject_name(i), "?") != 0);
		assert_true(strlen(msg_reject_help(i)) > 10);
	}
	assert_string_equal(msg_reject_name(MSG_REJECT_BAD_HMAC), "bad_hmac");
	assert_string_equal(msg_reject_name(MSG_REJECT_MAX), "?");
	assert_string_equal(msg_cap_name(MSG_CAP_TAGS), "tags");
	assert_string_equal(msg_cap_state_name(MSG_CAP_NOT_SYNCED), "not-synced");
	assert_string_equal(msg_cap_state_name(MSG_CAP_SYNCED), "synced");
	assert_string_equal(msg_cap_state_name(7), "?");
}


/* ---- replication bodies ---- */

/* A live record number I: IPv4 source, socket on node 2. */
static void
make_rec(struct msg_rec *r, int i)
{
	memset(r, 0, sizeof(*r));
	r->version = (struct msg_version){ .counter = 1000 + (uint64_t)i, .origin = 2 };
	r->cseq = 10 + (uint32_t)i;
	r->expires_s = 3600;
	r->q = 500;
	r->sock_node = 2;
	r->received = (struct msg_addr){ .family = 4, .port = 5060, .addr = { 192, 0, 2, 9 } };
	r->sock = (struct msg_addr){ .family = 4, .port = 5060, .addr = { 198, 18, 0, 2 } };
	snprintf(r->aor, sizeof(r->aor), "user%d@example.com", i);
	snprintf(r->key, sizeof(r->key), "<urn:uuid:00000000-0000-0000-0000-%012d>", i);
	snprintf(r->call_id, sizeof(r->call_id), "call-%d@192.0.2.9", i);
	snprintf(r->uri, sizeof(r->uri), "sip:user%d@192.0.2.9:5060;transport=udp", i);
}

/* Every string at its bound: the largest record there is. */
static void
make_big_rec(struct msg_rec *r, int i)
{
	make_rec(r, i);
	memset(r->aor, 'a', sizeof(r->aor) - 1);
	memset(r->key, 'k', sizeof(r->key) - 1);
	memset(r->call_id, 'c', sizeof(r->call_id) - 1);
	memset(r->uri, 'u', sizeof(r->uri) - 1);
	memset(r->path, 'p', sizeof(r->path) - 1);
	memset(r->tag, 't', sizeof(r->tag) - 1);
	r->aor[0] = (char)('A' + i % 26);
	r->version.counter = UINT64_MAX - (uint64_t)i;
	r->version.origin = 65535;
	r->cseq = UINT32_MAX;
	r->expires_s = UINT32_MAX;
	r->q = MSG_REC_Q_MAX;
	r->sock_node = 65535;
	r->received.family = 6;
	r->received.port = 65535;
	memset(r->received.addr, 0xfe, 16);
	r->sock.family = 6;
	r->sock.port = 65535;
	memset(r->sock.addr, 0xfd, 16);
	memset(r->instance, 'i', sizeof(r->instance) - 1);
	r->reg_id = UINT32_MAX;
	r->call_id_hash = UINT64_MAX;
	r->sock_port_index = UINT8_MAX;
}

static void
make_repl(struct msg *m, int n)
{
	int i;

	memset(m, 0, sizeof(*m));
	hdr(m, MSG_T_REPL, 2, 5);
	m->u.repl.epoch = 3;
	m->u.repl.first_seq = 77;
	m->u.repl.n = (uint16_t)n;
	for (i = 0; i < n; i++)
		make_rec(&m->u.repl.recs[i], i);
}

/* SyncRequest (no field) and SyncDone round trip; a SyncDone without a stream is refused. */
static void
test_roundtrip_sync(void **state)
{
	int n;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_SYNC_REQUEST, 3, 9);
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.type, MSG_T_SYNC_REQUEST);
	assert_int_equal(out.hdr.sender, 3);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_SYNC_DONE, 2, 10);
	in.u.done.stream_incarnation = 1700000000999ull;
	in.u.done.epoch = 4;
	in.u.done.records = 123456789012ull;
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.done.stream_incarnation, 1700000000999ull);
	assert_int_equal(out.u.done.epoch, 4);
	assert_int_equal(out.u.done.records, 123456789012ull);
	in.u.done.stream_incarnation = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
}

/* A full-sync chunk and its ack: the bytes travel as they are; the framing is
 * checked both ways. */
static void
test_roundtrip_sync_chunk(void **state)
{
	size_t i;
	int n;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_SYNC_CHUNK, 2, 11);
	in.u.pack.epoch = 3;
	in.u.pack.seq = 1ull << 40;
	in.u.pack.age_ms = 1234;
	in.u.pack.count = 7;
	in.u.pack.len = MSG_PACK_MAX;
	for (i = 0; i < in.u.pack.len; i++)
		in.u.pack.data[i] = (uint8_t)(i * 7);
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.type, MSG_T_SYNC_CHUNK);
	assert_int_equal(out.u.pack.epoch, 3);
	assert_int_equal(out.u.pack.seq, 1ull << 40);
	assert_int_equal(out.u.pack.age_ms, 1234);
	assert_int_equal(out.u.pack.count, 7);
	assert_int_equal(out.u.pack.len, MSG_PACK_MAX);
	assert_memory_equal(out.u.pack.data, in.u.pack.data, MSG_PACK_MAX);
	in.u.pack.len = MSG_PACK_MAX + 1;        /* framing refused on encode */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.pack.len = 10;
	in.u.pack.seq = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.pack.seq = 1;
	in.u.pack.count = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);

	/* the stream's records packed: the same body, type REPL_PACK; count bounded */
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_REPL_PACK, 2, 13);
	in.u.pack.epoch = 2;
	in.u.pack.seq = 77;
	in.u.pack.count = MSG_PACK_MAX_RECS;
	in.u.pack.len = 4000;
	memset(in.u.pack.data, 0x5a, in.u.pack.len);
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.type, MSG_T_REPL_PACK);
	assert_int_equal(out.u.pack.seq, 77);
	assert_int_equal(out.u.pack.count, MSG_PACK_MAX_RECS);
	assert_memory_equal(out.u.pack.data, in.u.pack.data, 4000);
	in.u.pack.count = MSG_PACK_MAX_RECS + 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);

	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_SYNC_CHUNK_ACK, 3, 12);
	in.u.ack.stream_incarnation = 1700000000777ull;
	in.u.ack.epoch = 3;
	in.u.ack.cum_seq = 99;
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.type, MSG_T_SYNC_CHUNK_ACK);
	assert_int_equal(out.u.ack.stream_incarnation, 1700000000777ull);
	assert_int_equal(out.u.ack.epoch, 3);
	assert_int_equal(out.u.ack.cum_seq, 99);
}

static void
test_roundtrip_repl(void **state)
{
	struct msg_rec *t;
	int n, i;

	(void)state;
	make_repl(&in, 4);
	t = &in.u.repl.recs[1];                         /* a tombstone: key and version only */
	memset(t, 0, sizeof(*t));
	t->flags = MSG_REC_F_TOMBSTONE;
	t->version = (struct msg_version){ 5, 3 };
	strcpy(t->aor, "gone@example.com");
	strcpy(t->key, "sip:gone@192.0.2.1");
	make_big_rec(&in.u.repl.recs[2], 2);            /* IPv6, Path, tag, maxima */
	in.u.repl.recs[3].q = 0;                        /* zeros travel as absent */
	in.u.repl.recs[3].cseq = 0;
	n = encode(&tx, &in);
	assert_true(n <= MSG_MAX_LEN);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.type, MSG_T_REPL);
	assert_int_equal(out.u.repl.epoch, 3);
	assert_int_equal(out.u.repl.first_seq, 77);
	assert_int_equal(out.u.repl.n, 4);
	for (i = 0; i < 4; i++)
		assert_memory_equal(&out.u.repl.recs[i], &in.u.repl.recs[i], sizeof(struct msg_rec));
	assert_string_equal(out.u.repl.recs[2].tag + 30, "t");
	assert_int_equal(out.u.repl.recs[1].flags, MSG_REC_F_TOMBSTONE);
	assert_string_equal(out.u.repl.recs[1].uri, "");
}

/* One record alone (the snapshot file's form): packed and unpacked whole, and
 * the same bytes as the record's share of a Repl (msg_repl_rec_len). */
static void
test_rec_pack(void **state)
{
	static struct msg_rec r, back, copy;
	uint8_t b[4096], b2[4096];
	int n;

	(void)state;
	make_big_rec(&r, 3);
	n = msg_rec_pack(&r, b, sizeof(b));
	assert_true(n > 0);
	memset(&copy, 'x', sizeof(copy));               /* msg_rec_copy: the same record */
	msg_rec_copy(&copy, &r);
	assert_int_equal(msg_rec_pack(&copy, b2, sizeof(b2)), n);
	assert_memory_equal(b, b2, (size_t)n);
	assert_true(msg_repl_rec_len(&r) > (size_t)n);  /* + its tag and length */
	assert_int_equal(msg_rec_unpack(b, (size_t)n, &back), 0);
	assert_int_equal(back.version.counter, r.version.counter);
	assert_int_equal(back.version.origin, r.version.origin);
	assert_int_equal(back.expires_s, r.expires_s);
	assert_int_equal(back.q, r.q);
	assert_string_equal(back.aor, r.aor);
	assert_string_equal(back.key, r.key);
	assert_string_equal(back.uri, r.uri);
	assert_string_equal(back.path, r.path);
	assert_memory_equal(&back.received, &r.received, sizeof(r.received));
	assert_int_equal(msg_rec_pack(&r, b, (size_t)n - 1), -EMSGSIZE);
	assert_int_equal(msg_rec_unpack(b, (size_t)n - 1, &back), -EINVAL);   /* cut short */
	r.version.counter = 0;                          /* fails msg_rec_check */
	assert_int_equal(msg_rec_pack(&r, b, sizeof(b)), -EINVAL);
	memset(b, 0xff, 16);
	assert_int_equal(msg_rec_unpack(b, 16, &back), -EINVAL);
}

static void
test_repl_fit(void **state)
{
	static struct msg_rec recs[MSG_REPL_MAX_RECS + 8];
	int i, k, n;

	(void)state;
	/* small records: the count bound */
	for (i = 0; i < MSG_REPL_MAX_RECS + 8; i++)
		make_rec(&recs[i], i);
	assert_int_equal(msg_repl_fit(recs, 0, MSG_MAX_BODY), 0);
	assert_int_equal(msg_repl_fit(recs, 3, MSG_MAX_BODY), 3);
	assert_int_equal(msg_repl_fit(recs, MSG_REPL_MAX_RECS + 8, MSG_MAX_BODY), MSG_REPL_MAX_RECS);
	make_repl(&in, MSG_REPL_MAX_RECS);
	n = encode(&tx, &in);
	assert_true(n <= MSG_MAX_LEN);
	make_repl(&in, MSG_REPL_MAX_RECS);              /* over the count: refused */
	in.u.repl.n = MSG_REPL_MAX_RECS + 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);

	/* the largest records: the byte bound */
	for (i = 0; i < MSG_REPL_MAX_RECS; i++)
		make_big_rec(&recs[i], i);
	k = msg_repl_fit(recs, MSG_REPL_MAX_RECS, MSG_MAX_BODY);
	assert_true(k >= 1 && k < MSG_REPL_MAX_RECS);
	make_repl(&in, 0);
	in.u.repl.epoch = UINT32_MAX;                   /* widest header fields */
	in.u.repl.first_seq = UINT64_MAX - (uint64_t)k;
	in.u.repl.n = (uint16_t)k;
	memcpy(in.u.repl.recs, recs, (size_t)k * sizeof(recs[0]));
	n = encode(&tx, &in);
	assert_true(n <= MSG_MAX_LEN);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.repl.n, k);
	in.u.repl.n = (uint16_t)(k + 1);               /* one more does not fit */
	in.u.repl.first_seq = 1;
	memcpy(&in.u.repl.recs[k], &recs[k], sizeof(recs[0]));
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EMSGSIZE);

	/* the largest record alone fits the largest body, whatever the header fields;
	 * a budget too small for it says 0 (cp_repl refuses such a record) */
	make_repl(&in, 1);
	make_big_rec(&in.u.repl.recs[0], 0);
	in.u.repl.recs[0].flags = MSG_REC_F_TOMBSTONE;  /* a tombstone may carry it all */
	in.u.repl.epoch = UINT32_MAX;
	in.u.repl.first_seq = UINT64_MAX - 1;
	n = encode(&tx, &in);
	assert_int_equal(n - MSG_HDR_LEN - MSG_HMAC_LEN, 2382);
	assert_true(n - MSG_HDR_LEN - MSG_HMAC_LEN <= MSG_MAX_BODY);
	assert_int_equal(msg_repl_fit(recs, MSG_REPL_MAX_RECS, MSG_REPL_BODY_MIN), 0);
	assert_int_equal(msg_repl_fit(recs, MSG_REPL_MAX_RECS, 4096), 1);

	/* a body budget for a 1500-byte MTU: fewer small records, within the budget */
	for (i = 0; i < MSG_REPL_MAX_RECS; i++)
		make_rec(&recs[i], i);
	k = msg_repl_fit(recs, MSG_REPL_MAX_RECS, 1408);
	assert_true(k > 1 && k < MSG_REPL_MAX_RECS);
	make_repl(&in, k + 1);
	in.u.repl.epoch = UINT32_MAX;
	in.u.repl.first_seq = UINT64_MAX - (uint64_t)k - 1;
	in.u.repl.n = (uint16_t)k;
	n = encode(&tx, &in);
	assert_true(n - MSG_HDR_LEN - MSG_HMAC_LEN <= 1408);
	in.u.repl.n = (uint16_t)(k + 1);
	n = encode(&tx, &in);
	assert_true(n - MSG_HDR_LEN - MSG_HMAC_LEN > 1408);
	/* out of range budgets mean MSG_MAX_BODY */
	assert_int_equal(msg_repl_fit(recs, MSG_REPL_MAX_RECS, 100), MSG_REPL_MAX_RECS);
	assert_int_equal(msg_repl_fit(recs, MSG_REPL_MAX_RECS, MSG_MAX_BODY + 1),
			 MSG_REPL_MAX_RECS);

	/* a bad first record is an error, a bad later one ends the count */
	make_rec(&recs[0], 0);
	make_rec(&recs[1], 1);
	recs[2].q = 1001;
	assert_int_equal(msg_repl_fit(recs, 3, MSG_MAX_BODY), 2);
	assert_int_equal(msg_repl_fit(&recs[2], 1, MSG_MAX_BODY), -EINVAL);
}

static void
test_rec_check(void **state)
{
	struct msg_rec r;

	(void)state;
	make_rec(&r, 1);
	assert_int_equal(msg_rec_check(&r), 0);
	/* a federation directory entry: AoR, version, home, lifetime; no key needed */
	memset(&r, 0, sizeof(r));
	r.version.counter = 5;
	r.version.origin = 2;
	r.flags = MSG_REC_F_DIR;
	strcpy(r.aor, "alice@example.com");
	r.sock_node = 2;
	r.expires_s = 300;
	assert_int_equal(msg_rec_check(&r), 0);
	r.sock_node = 0;
	assert_int_equal(msg_rec_check(&r), -EINVAL);          /* live: a home */
	r.flags |= MSG_REC_F_TOMBSTONE;
	assert_int_equal(msg_rec_check(&r), 0);                /* removed: none */
	r.aor[0] = '\0';
	assert_int_equal(msg_rec_check(&r), -EINVAL);
#define BAD(stmt) do { make_rec(&r, 1); stmt; assert_int_equal(msg_rec_check(&r), -EINVAL); } while (0)
	BAD(r.version.counter = 0);
	BAD(r.version.origin = 0);
	BAD(r.flags = 0x4);
	BAD(r.q = MSG_REC_Q_MAX + 1);
	BAD(r.aor[0] = '\0');
	BAD(r.key[0] = '\0');
	BAD(memset(r.aor, 'a', sizeof(r.aor)));         /* no NUL within the bound */
	BAD(r.uri[3] = '\n');
	BAD(r.path[0] = '\x80');
	BAD(r.uri[0] = '\0');                           /* live: URI, Call-ID, lifetime... */
	BAD(r.call_id[0] = '\0');
	BAD(r.expires_s = 0);
	BAD(r.sock_node = 0);
	BAD(memset(&r.received, 0, sizeof(r.received)));
	BAD(r.sock.family = 5);
	BAD(r.received.port = 0);
	BAD(r.received.addr[4] = 1);                    /* IPv4 with bytes past the 4th */
	BAD(r.sock.family = 0);                         /* absent but not zeroed */
#undef BAD
	/* a tombstone needs only its identity and version */
	memset(&r, 0, sizeof(r));
	r.flags = MSG_REC_F_TOMBSTONE;
	r.version = (struct msg_version){ 1, 1 };
	strcpy(r.aor, "a@b");
	strcpy(r.key, "k");
	assert_int_equal(msg_rec_check(&r), 0);
}

static void
test_roundtrip_ack_digest_keys_pull(void **state)
{
	int n, i;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_REPL_ACK, 2, 9);
	in.u.ack = (struct msg_repl_ack){ .stream_incarnation = 0x1122334455667788ull,
					  .epoch = 4, .cum_seq = 0 };
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_memory_equal(&out.u.ack, &in.u.ack, sizeof(in.u.ack));

	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_DIGEST, 2, 10);
	in.u.digest.first_bucket = MSG_REPL_BUCKETS - MSG_DIGEST_MAX;
	in.u.digest.n = MSG_DIGEST_MAX;
	in.u.digest.span = 1;
	for (i = 0; i < MSG_DIGEST_MAX; i++)
		in.u.digest.digests[i] = 0x9e3779b97f4a7c15ull * (uint64_t)i;
	n = encode(&tx, &in);
	assert_true(n <= MSG_MAX_LEN);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_memory_equal(&out.u.digest, &in.u.digest, sizeof(in.u.digest));
	/* the summary of a round: 64 digests of 64 buckets each */
	in.u.digest.first_bucket = 0;
	in.u.digest.n = 64;
	in.u.digest.span = 64;
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.digest.span, 64);
	assert_int_equal(out.u.digest.n, 64);
	assert_memory_equal(out.u.digest.digests, in.u.digest.digests, 64 * 8);

	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_BUCKET_KEYS, 2, 11);
	in.u.keys.bucket = MSG_REPL_BUCKETS - 1;
	in.u.keys.part = 2;
	in.u.keys.last = true;
	in.u.keys.n = MSG_KEYS_MAX;
	for (i = 0; i < MSG_KEYS_MAX; i++) {
		struct msg_keyver *k = &in.u.keys.keys[i];

		k->version = (struct msg_version){ 1 + (uint64_t)i, (uint16_t)(1 + i) };
		k->flags = (uint32_t)i & MSG_REC_F_TOMBSTONE;
		snprintf(k->aor, sizeof(k->aor), "u%d@example.com", i);
		snprintf(k->key, sizeof(k->key), "sip:u%d@192.0.2.1", i);
	}
	assert_int_equal(msg_keys_fit(in.u.keys.keys, MSG_KEYS_MAX, MSG_MAX_BODY), MSG_KEYS_MAX);
	n = encode(&tx, &in);
	assert_true(n <= MSG_MAX_LEN);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_memory_equal(&out.u.keys, &in.u.keys, sizeof(in.u.keys));
	in.u.keys.n = 0;                                /* an empty bucket */
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.keys.n, 0);
	assert_true(out.u.keys.last);

	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_BUCKET_PULL, 2, 12);
	in.u.pull.n_keys = MSG_PULL_KEYS_MAX;
	for (i = 0; i < MSG_PULL_KEYS_MAX; i++) {
		snprintf(in.u.pull.keys[i].aor, MSG_REC_AOR_MAX, "u%d@example.com", i);
		snprintf(in.u.pull.keys[i].key, MSG_REC_KEY_MAX, "sip:u%d@192.0.2.1", i);
	}
	in.u.pull.n_buckets = MSG_PULL_BUCKETS_MAX;
	for (i = 0; i < MSG_PULL_BUCKETS_MAX; i++)
		in.u.pull.buckets[i] = (uint16_t)(i * 16);
	n = encode(&tx, &in);
	assert_true(n <= MSG_MAX_LEN);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_memory_equal(&out.u.pull, &in.u.pull, sizeof(in.u.pull));
}

static void
test_repl_encode_errors(void **state)
{
	(void)state;
	make_repl(&in, 0);                              /* empty Repl */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_repl(&in, 2);
	in.u.repl.first_seq = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_repl(&in, 2);
	in.u.repl.first_seq = UINT64_MAX;               /* would wrap */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_repl(&in, 2);
	in.u.repl.recs[1].q = 2000;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	make_repl(&in, 2);
	assert_int_equal(msg_encode(&tx, &in, buf, 200), -EMSGSIZE);

	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_REPL_ACK, 2, 1);
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	hdr(&in, MSG_T_DIGEST, 2, 1);
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);     /* n = 0 */
	in.u.digest.n = 2;
	in.u.digest.first_bucket = MSG_REPL_BUCKETS - 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.digest.span = 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.digest.n = MSG_DIGEST_MAX + 1;
	in.u.digest.first_bucket = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.digest.n = 2;
	in.u.digest.span = 0;                           /* no span */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.digest.span = 3;                           /* not a power of two */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.digest.span = 64;
	in.u.digest.first_bucket = 32;                  /* not a multiple of the span */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.digest.first_bucket = MSG_REPL_BUCKETS - 64;   /* passes the last bucket */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	memset(&in.u, 0, sizeof(in.u));
	hdr(&in, MSG_T_BUCKET_KEYS, 2, 1);
	in.u.keys.bucket = MSG_REPL_BUCKETS;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.keys.bucket = 0;
	in.u.keys.n = 1;                                /* entry without a key */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.keys.n = MSG_KEYS_MAX + 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	memset(&in.u, 0, sizeof(in.u));
	hdr(&in, MSG_T_BUCKET_PULL, 2, 1);
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);     /* empty */
	in.u.pull.n_buckets = 1;
	in.u.pull.buckets[0] = MSG_REPL_BUCKETS;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.pull.buckets[0] = 1;
	in.u.pull.n_keys = MSG_PULL_KEYS_MAX + 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(tx.encoded, 0);
}

/* Frames a protobuf-c message as type TYPE from node 2. */
static int
frame_pb(uint8_t type, const ProtobufCMessage *pb)
{
	static uint8_t body[4 * MSG_MAX_BODY];
	size_t len = protobuf_c_message_get_packed_size(pb);

	assert_true(len <= sizeof(body));
	protobuf_c_message_pack(pb, body);
	memset(&in, 0, sizeof(in));
	hdr(&in, type, 2, 1);
	return msg_frame(&tx, &in.hdr, body, len, buf, sizeof(buf));
}

/* A protobuf Record that decodes: live, IPv4. */
static void
pb_rec(Cluster__Record *r, Cluster__Addr *a)
{
	static uint8_t ip[4] = { 192, 0, 2, 1 };

	cluster__record__init(r);
	cluster__addr__init(a);
	a->family = 4;
	a->addr.data = ip;
	a->addr.len = 4;
	a->port = 5060;
	r->aor = "a@example.com";
	r->contact_key = "sip:a@192.0.2.1";
	r->counter = 1;
	r->origin = 2;
	r->call_id = "c1";
	r->has_expires_s = 1;
	r->expires_s = 60;
	r->uri = "sip:a@192.0.2.1";
	r->received = a;
	r->has_socket_node = 1;
	r->socket_node = 2;
	r->socket = a;
}

static void
test_repl_reject_bad_field(void **state)
{
	static Cluster__Record recs[MSG_REPL_MAX_RECS + 1], *recp[MSG_REPL_MAX_RECS + 1];
	static Cluster__Addr addrs[MSG_REPL_MAX_RECS + 1];
	static uint64_t digests[MSG_DIGEST_MAX + 1];
	static char longs[MSG_REC_KEY_MAX + 1];
	static uint8_t ip16[16];
	Cluster__Repl repl = CLUSTER__REPL__INIT;
	Cluster__ReplAck ack = CLUSTER__REPL_ACK__INIT;
	Cluster__Digest dg = CLUSTER__DIGEST__INIT;
	Cluster__BucketKeys bk = CLUSTER__BUCKET_KEYS__INIT;
	Cluster__KeyVersion kv = CLUSTER__KEY_VERSION__INIT, *kvp = &kv;
	Cluster__BucketPull pull = CLUSTER__BUCKET_PULL__INIT;
	uint32_t bucket = MSG_REPL_BUCKETS;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < MSG_REPL_MAX_RECS + 1; i++) {
		pb_rec(&recs[i], &addrs[i]);
		recp[i] = &recs[i];
	}
	repl.epoch = 1;
	repl.first_seq = 1;
	repl.records = recp;
	repl.n_records = MSG_REPL_MAX_RECS;             /* the reference: accepted */
	n = frame_pb(MSG_T_REPL, &repl.base);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.repl.n, MSG_REPL_MAX_RECS);

#define REPL_BAD(stmt, undo) do { stmt; n = frame_pb(MSG_T_REPL, &repl.base); \
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD); undo; } while (0)
	REPL_BAD(repl.n_records = MSG_REPL_MAX_RECS + 1, repl.n_records = 1);
	REPL_BAD(repl.n_records = 0, repl.n_records = 1);
	REPL_BAD(repl.first_seq = 0, repl.first_seq = 1);
	REPL_BAD(repl.first_seq = UINT64_MAX, repl.first_seq = 1);
	REPL_BAD(recs[0].q = 1001; recs[0].has_q = 1, recs[0].has_q = 0);
	REPL_BAD(recs[0].origin = 70000, recs[0].origin = 2);
	REPL_BAD(recs[0].origin = 0, recs[0].origin = 2);
	REPL_BAD(recs[0].counter = 0, recs[0].counter = 1);
	REPL_BAD(recs[0].socket_node = 70000, recs[0].socket_node = 2);
	memset(longs, 'x', MSG_REC_AOR_MAX);            /* one over the AoR bound */
	REPL_BAD(recs[0].aor = longs, recs[0].aor = "a@example.com");
	memset(longs, 'x', MSG_REC_KEY_MAX);
	REPL_BAD(recs[0].contact_key = longs, recs[0].contact_key = "k");
	REPL_BAD(recs[0].aor = "", recs[0].aor = "a@example.com");
	REPL_BAD(recs[0].uri = "sip:\x01", recs[0].uri = "sip:a@192.0.2.1");
	REPL_BAD(recs[0].uri = NULL, recs[0].uri = "sip:a@192.0.2.1");  /* live without URI */
	REPL_BAD(recs[0].has_expires_s = 0, recs[0].has_expires_s = 1);
	REPL_BAD(recs[0].received = NULL, recs[0].received = &addrs[0]);
	REPL_BAD(addrs[0].family = 6, addrs[0].family = 4);           /* 6 with 4 bytes */
	REPL_BAD(addrs[0].addr.data = ip16; addrs[0].addr.len = 16,
		 addrs[0].addr.len = 4; addrs[0].addr.data = addrs[1].addr.data);
	REPL_BAD(addrs[0].port = 0, addrs[0].port = 5060);
	REPL_BAD(addrs[0].port = 65536, addrs[0].port = 5060);
#undef REPL_BAD
	/* a tombstone without URI and addresses is fine; unknown flag bits are ignored */
	cluster__record__init(&recs[0]);
	recs[0].aor = "a@example.com";
	recs[0].contact_key = "k";
	recs[0].counter = 9;
	recs[0].origin = 3;
	recs[0].has_flags = 1;
	recs[0].flags = 0x80000001u;
	n = frame_pb(MSG_T_REPL, &repl.base);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.repl.recs[0].flags, MSG_REC_F_TOMBSTONE);

	n = frame_pb(MSG_T_REPL_ACK, &ack.base);        /* stream incarnation 0 */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);

	dg.digests = digests;
	dg.n_digests = MSG_DIGEST_MAX + 1;
	n = frame_pb(MSG_T_DIGEST, &dg.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	dg.n_digests = 0;
	n = frame_pb(MSG_T_DIGEST, &dg.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	dg.n_digests = 2;
	dg.first_bucket = MSG_REPL_BUCKETS - 1;
	n = frame_pb(MSG_T_DIGEST, &dg.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	dg.first_bucket = UINT32_MAX;                   /* no wrap to a small sum */
	n = frame_pb(MSG_T_DIGEST, &dg.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	dg.first_bucket = 0;
	dg.has_span = 1;
	dg.span = UINT32_MAX;                           /* a span beyond the buckets */
	n = frame_pb(MSG_T_DIGEST, &dg.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	dg.span = 2048;                                 /* 2 x 2048 buckets: all, fine */
	n = frame_pb(MSG_T_DIGEST, &dg.base);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	dg.span = 4096;                                 /* 2 x 4096: past the end */
	n = frame_pb(MSG_T_DIGEST, &dg.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	dg.has_span = 0;

	bk.bucket = MSG_REPL_BUCKETS;
	n = frame_pb(MSG_T_BUCKET_KEYS, &bk.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	bk.bucket = 1;
	kv.aor = "a@b";
	kv.contact_key = "k";
	kv.counter = 1;
	kv.origin = 0;                                  /* origin 0 */
	bk.keys = &kvp;
	bk.n_keys = 1;
	n = frame_pb(MSG_T_BUCKET_KEYS, &bk.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);

	n = frame_pb(MSG_T_BUCKET_PULL, &pull.base);    /* asks for nothing */
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	pull.buckets = &bucket;
	pull.n_buckets = 1;
	n = frame_pb(MSG_T_BUCKET_PULL, &pull.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);

	/* SyncChunk: seq 0, no records, more records than bytes */
	{
		static uint8_t bytes[4] = { 1, 2, 3, 4 };
		Cluster__SyncChunk ch;

		cluster__sync_chunk__init(&ch);
		ch.epoch = 1;
		ch.seq = 0;
		ch.count = 1;
		ch.records.data = bytes;
		ch.records.len = sizeof(bytes);
		n = frame_pb(MSG_T_SYNC_CHUNK, &ch.base);
		expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
		ch.seq = 1;
		ch.count = 5;
		n = frame_pb(MSG_T_SYNC_CHUNK, &ch.base);
		expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
		ch.count = 1;
		ch.records.len = 0;
		n = frame_pb(MSG_T_SYNC_CHUNK, &ch.base);
		expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
		ch.records.len = sizeof(bytes);
		n = frame_pb(MSG_T_SYNC_CHUNK, &ch.base);
		assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
		assert_int_equal(out.u.pack.len, 4);
	}
}

static void
test_repl_reject_bad_protobuf(void **state)
{
	static uint8_t body[MSG_MAX_BODY];
	static const uint8_t types[] = { MSG_T_REPL, MSG_T_REPL_ACK, MSG_T_DIGEST,
					 MSG_T_BUCKET_KEYS };
	size_t i, body_len, cut;
	int n;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {           /* required fields missing */
		memset(&in, 0, sizeof(in));
		hdr(&in, types[i], 2, 1);
		n = msg_frame(&tx, &in.hdr, NULL, 0, buf, sizeof(buf));
		expect_reject(buf, (size_t)n, MSG_REJECT_BAD_PROTOBUF);
	}
	/* a valid Repl cut anywhere inside its last record, re-authenticated */
	make_repl(&in, 3);
	n = encode(&tx, &in);
	body_len = (size_t)n - MSG_HDR_LEN - MSG_HMAC_LEN;
	memcpy(body, buf + MSG_HDR_LEN, body_len);
	for (cut = body_len - 40; cut < body_len; cut += 7) {
		n = msg_frame(&tx, &in.hdr, body, cut, buf, sizeof(buf));
		expect_reject(buf, (size_t)n, MSG_REJECT_BAD_PROTOBUF);
	}
	/* a Record without its version */
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_REPL, 2, 1);
	n = msg_frame(&tx, &in.hdr, "\x08\x01\x10\x01\x1a\x03\x0a\x01\x61", 9, buf, sizeof(buf));
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_PROTOBUF);
}

/* ---- key file ---- */

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

static void
test_key_file(void **state)
{
	char dir[] = "/tmp/sipshard-key-XXXXXX", path[64], err[256];
	static uint8_t big[MSG_KEY_MAX + 1];
	struct msg_codec c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	msg_codec_init(&c, 1, 1);

	write_file(path, "short key", 9);
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), -EINVAL);
	assert_true(strstr(err, path) == err);
	assert_non_null(strstr(err, "key too short (9 bytes, need at least 16)"));
	assert_int_equal(c.key_len, 0);

	write_file(path, "", 0);
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "(0 bytes"));

	write_file(path, big, sizeof(big));
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key too long"));

	write_file(path, "\x00\x01\x02 binary key bytes\n", 22);     /* any bytes */
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.key_len, 22);
	assert_memory_equal(c.key, "\x00\x01\x02 binary", 10);
	msg_codec_fini(&c);
	assert_int_equal(c.key_len, 0);

	write_file(path, big, MSG_KEY_MAX);
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.key_len, MSG_KEY_MAX);

	/* a key others may read is refused, whatever its content */
	msg_codec_fini(&c);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), -EPERM);
	assert_true(strstr(err, path) == err);
	assert_non_null(strstr(err, "group or others may access it (mode 0640)"));
	assert_int_equal(c.key_len, 0);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "(mode 0604)"));
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), 0);

	unlink(path);
	assert_int_equal(msg_codec_load_key(&c, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	rmdir(dir);
	assert_int_equal(msg_codec_set_key(&c, "x", 1), -EINVAL);
}

/* ---- fuzzing seeds ---- */

static void
seed(const char *dir, const char *name, struct msg_codec *c, const struct msg *m)
{
	char path[512];
	int n = msg_encode(c, m, buf, sizeof(buf));
	struct msg_codec fz;

	assert_true(n > 0);
	msg_codec_init(&fz, FUZZ_CLUSTER, FUZZ_SELF);
	assert_int_equal(msg_codec_set_key(&fz, fuzz_key, strlen(fuzz_key)), 0);
	assert_int_equal(msg_decode(&fz, buf, (size_t)n, &out), MSG_REJECT_NONE);
	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, buf, (size_t)n);
}

static void
test_fuzz_seeds(void **state)
{
	const char *dir = getenv("MSG_CODEC_WRITE_CORPUS");
	struct msg_codec c;

	(void)state;
	msg_codec_init(&c, FUZZ_CLUSTER, 2);
	assert_int_equal(msg_codec_set_key(&c, fuzz_key, strlen(fuzz_key)), 0);
	make_heartbeat(&in, 2, 3);
	seed(dir, "heartbeat", &c, &in);
	make_heartbeat(&in, 2, 0);
	in.u.hb.leaving = true;
	seed(dir, "heartbeat-leaving", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_JOIN, 4, 1);
	in.u.join.node = (struct msg_node){ 4, 0xc6120004u, 5800 };
	seed(dir, "join", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_ADOPT, 2, 7);
	in.u.members.n = 2;
	in.u.members.nodes[0] = (struct msg_node){ 2, 0xc6120002u, 5800 };
	in.u.members.nodes[1] = (struct msg_node){ 3, 0xc6120003u, 5800 };
	seed(dir, "adopt", &c, &in);
	in.hdr.type = MSG_T_ANNOUNCE;
	in.u.members.n = 1;
	seed(dir, "announce", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_LEAVE, 3, 9);
	strcpy(in.u.leave.reason, "shutdown");
	seed(dir, "leave", &c, &in);
	make_repl(&in, 3);
	in.u.repl.recs[1].flags = MSG_REC_F_TOMBSTONE;
	make_big_rec(&in.u.repl.recs[2], 2);
	seed(dir, "repl", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_REPL_ACK, 3, 10);
	in.u.ack = (struct msg_repl_ack){ 1700000000123456ull, 1, 40 };
	seed(dir, "repl_ack", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_DIGEST, 3, 11);
	in.u.digest.first_bucket = 8;
	in.u.digest.n = 4;
	in.u.digest.span = 1;
	in.u.digest.digests[1] = 0x0123456789abcdefull;
	seed(dir, "digest", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_BUCKET_KEYS, 3, 12);
	in.u.keys.bucket = 9;
	in.u.keys.last = true;
	in.u.keys.n = 1;
	in.u.keys.keys[0].version = (struct msg_version){ 7, 2 };
	strcpy(in.u.keys.keys[0].aor, "a@example.com");
	strcpy(in.u.keys.keys[0].key, "sip:a@192.0.2.1");
	seed(dir, "bucket_keys", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_BUCKET_PULL, 3, 13);
	in.u.pull.n_keys = 1;
	strcpy(in.u.pull.keys[0].aor, "a@example.com");
	strcpy(in.u.pull.keys[0].key, "sip:a@192.0.2.1");
	in.u.pull.n_buckets = 2;
	in.u.pull.buckets[0] = 9;
	in.u.pull.buckets[1] = 4095;
	seed(dir, "bucket_pull", &c, &in);
	/* packed records: the fuzz corpus of reg_pack's "several" seed is what a
	 * real pack holds; here any bytes do (the codec checks the framing only) */
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_SYNC_CHUNK, 3, 11);
	in.u.pack = (struct msg_pack){ .epoch = 1, .seq = 7, .age_ms = 15, .count = 2, .len = 120 };
	memset(in.u.pack.data, 'r', in.u.pack.len);
	seed(dir, "sync_chunk", &c, &in);
	in.hdr.type = MSG_T_REPL_PACK;
	in.u.pack.age_ms = 0;
	seed(dir, "repl_pack", &c, &in);
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_SYNC_CHUNK_ACK, 3, 12);
	in.u.ack = (struct msg_repl_ack){ 1700000000123456ull, 1, 7 };
	seed(dir, "sync_chunk_ack", &c, &in);
}

/* ---- sharing tags ---- */

static void
tag_entry(struct msg_tag_entry *e, const char *name, uint32_t cluster, uint64_t term,
	  uint16_t owner)
{
	memset(e, 0, sizeof(*e));
	strcpy(e->name, name);
	e->cluster = cluster;
	e->term = term;
	e->owner = owner;
}

static void
test_roundtrip_tags(void **state)
{
	int n, i;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_TAG_TABLE, 2, 30);
	in.u.tags.n = MSG_TAGS_MAX;
	in.u.tags.claim = true;
	for (i = 0; i < MSG_TAGS_MAX; i++) {
		char name[MSG_TAG_NAME];

		snprintf(name, sizeof(name), "service-%d", i);
		tag_entry(&in.u.tags.e[i], name, 4294967295u - (uint32_t)i, (uint64_t)i,
			  (uint16_t)(i ? 65535 - i : 0));
		in.u.tags.e[i].owner_priority = (uint8_t)(i ? 255 : 0);
		in.u.tags.e[i].candidate = i % 2;
		in.u.tags.e[i].priority = (uint8_t)(i * 20);
		if (i % 2 == 1) {       /* a handover: the holder pings until then */
			in.u.tags.e[i].prev_owner = (uint16_t)(65535 - i - 1);
			in.u.tags.e[i].switch_ms = 1796000000000ull + (uint64_t)i;
		}
	}
	n = encode(&tx, &in);
	assert_true(n <= MSG_HDR_LEN + 1408 + MSG_HMAC_LEN);   /* one datagram at MTU 1500 */
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_memory_equal(&out.u.tags, &in.u.tags, sizeof(in.u.tags));
	in.hdr.type = MSG_T_TAG_ACK;
	in.u.tags.claim = false;
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_memory_equal(&out.u.tags, &in.u.tags, sizeof(in.u.tags));

	/* what a sender may not build */
	in.hdr.type = MSG_T_TAG_TABLE;
	in.u.tags.n = 1;
	tag_entry(&in.u.tags.e[0], "bad name", 1, 1, 1);
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	tag_entry(&in.u.tags.e[0], "", 1, 1, 1);
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	tag_entry(&in.u.tags.e[0], "s", 0, 1, 1);               /* cluster 0 */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	tag_entry(&in.u.tags.e[0], "s", 1, 1, 0);               /* a term without owner */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	tag_entry(&in.u.tags.e[0], "s", 1, 0, 3);               /* an owner without term */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	tag_entry(&in.u.tags.e[0], "s", 1, 1, 3);               /* a handover without moment */
	in.u.tags.e[0].prev_owner = 2;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.tags.e[0].prev_owner = 0;                          /* a moment without holder */
	in.u.tags.e[0].switch_ms = 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.tags.n = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.tags.n = MSG_TAGS_MAX + 1;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
}

/* Tag bodies from the network: every field checked. */
static void
test_tags_reject_bad_field(void **state)
{
	Cluster__TagEntry e = CLUSTER__TAG_ENTRY__INIT, *ep = &e;
	Cluster__TagTable t = CLUSTER__TAG_TABLE__INIT;
	char longname[MSG_TAG_NAME + 1];
	int n;

	(void)state;
	t.n_tags = 1;
	t.tags = &ep;
	e.name = "service";
	e.cluster = 1;
	e.term = 3;
	e.has_owner = 1;
	e.owner = 2;
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_string_equal(out.u.tags.e[0].name, "service");
	e.owner = 70000;                                        /* not a node id */
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	e.owner = 2;
	e.has_prev_owner = 1;                                   /* a handover ... */
	e.prev_owner = 1;
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);    /* ... without its moment */
	e.has_switch_wall_ms = 1;
	e.switch_wall_ms = 1796000000000ull;
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.u.tags.e[0].prev_owner, 1);
	assert_true(out.u.tags.e[0].switch_ms == 1796000000000ull);
	e.prev_owner = 70000;                                   /* not a node id */
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	e.has_prev_owner = e.has_switch_wall_ms = 0;
	e.prev_owner = 0;
	e.switch_wall_ms = 0;
	e.has_priority = 1;
	e.priority = 256;
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	e.priority = 0;
	memset(longname, 'a', MSG_TAG_NAME);
	longname[MSG_TAG_NAME] = '\0';
	e.name = longname;
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	e.name = "service";
	t.n_tags = 0;                                           /* nothing */
	n = frame_pb(MSG_T_TAG_TABLE, &t.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
}

/* ---- backend member states ---- */

static void
test_roundtrip_bstates(void **state)
{
	Cluster__BackendState e = CLUSTER__BACKEND_STATE__INIT, *ep = &e;
	Cluster__BackendStates bs = CLUSTER__BACKEND_STATES__INIT;
	int n, i;

	(void)state;
	memset(&in, 0, sizeof(in));
	hdr(&in, MSG_T_BACKEND_STATES, 3, 40);
	in.u.bstates.n = MSG_BSTATES_MAX;
	for (i = 0; i < MSG_BSTATES_MAX; i++) {
		struct msg_bstate *b = &in.u.bstates.e[i];

		b->set = i ? 65535u - (uint32_t)i : 1;
		b->term = (uint64_t)i + 1;
		b->version = UINT64_MAX - (uint64_t)i;
		b->members = (uint8_t)(i ? 32 : 1);
		b->up = i ? 0xffffffffu >> i : 1;
	}
	n = encode(&tx, &in);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	assert_int_equal(out.hdr.type, MSG_T_BACKEND_STATES);
	assert_memory_equal(&out.u.bstates, &in.u.bstates, sizeof(in.u.bstates));
	assert_string_equal(msg_type_name(MSG_T_BACKEND_STATES), "backend_states");
	assert_true(msg_type_prio(MSG_T_BACKEND_STATES));

	/* what a sender may not build */
	in.u.bstates.n = 1;
	in.u.bstates.e[0].members = 3;
	in.u.bstates.e[0].up = 8;                       /* a member it does not have */
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.bstates.e[0].up = 7;
	in.u.bstates.e[0].term = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.bstates.e[0].term = 1;
	in.u.bstates.e[0].set = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);
	in.u.bstates.e[0].set = 1;
	in.u.bstates.n = 0;
	assert_int_equal(msg_encode(&tx, &in, buf, sizeof(buf)), -EINVAL);

	/* ... nor what the network may send */
	bs.n_sets = 1;
	bs.sets = &ep;
	e.set = 2;
	e.term = 1;
	e.version = 1;
	e.members = 2;
	e.up = 3;
	n = frame_pb(MSG_T_BACKEND_STATES, &bs.base);
	assert_int_equal(msg_decode(&rx, buf, (size_t)n, &out), MSG_REJECT_NONE);
	e.members = 33;
	n = frame_pb(MSG_T_BACKEND_STATES, &bs.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	e.members = 2;
	e.up = 4;
	n = frame_pb(MSG_T_BACKEND_STATES, &bs.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	e.up = 3;
	e.set = 70000;
	n = frame_pb(MSG_T_BACKEND_STATES, &bs.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	e.set = 2;
	e.version = 0;
	n = frame_pb(MSG_T_BACKEND_STATES, &bs.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
	bs.n_sets = 0;
	n = frame_pb(MSG_T_BACKEND_STATES, &bs.base);
	expect_reject(buf, (size_t)n, MSG_REJECT_BAD_FIELD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_wire_layout, setup),
		cmocka_unit_test_setup(test_roundtrip_heartbeat, setup),
		cmocka_unit_test_setup(test_roundtrip_join_adopt_announce_leave, setup),
		cmocka_unit_test_setup(test_encode_errors, setup),
		cmocka_unit_test_setup(test_reject_short, setup),
		cmocka_unit_test_setup(test_reject_bad_magic, setup),
		cmocka_unit_test_setup(test_reject_bad_version, setup),
		cmocka_unit_test_setup(test_reject_other_receiver, setup),
		cmocka_unit_test_setup(test_reject_bad_length, setup),
		cmocka_unit_test_setup(test_reject_wrong_cluster, setup),
		cmocka_unit_test_setup(test_reject_bad_hmac, setup),
		cmocka_unit_test_setup(test_reject_bad_sender, setup),
		cmocka_unit_test_setup(test_reject_from_self, setup),
		cmocka_unit_test_setup(test_reject_unknown_type, setup),
		cmocka_unit_test_setup(test_reject_bad_protobuf, setup),
		cmocka_unit_test_setup(test_reject_bad_field, setup),
		cmocka_unit_test_setup(test_leave_reason_sanitized, setup),
		cmocka_unit_test_setup(test_roundtrip_repl, setup),
		cmocka_unit_test_setup(test_roundtrip_sync, setup),
		cmocka_unit_test_setup(test_roundtrip_sync_chunk, setup),
		cmocka_unit_test_setup(test_repl_fit, setup),
		cmocka_unit_test_setup(test_rec_pack, setup),
		cmocka_unit_test_setup(test_rec_check, setup),
		cmocka_unit_test_setup(test_roundtrip_ack_digest_keys_pull, setup),
		cmocka_unit_test_setup(test_repl_encode_errors, setup),
		cmocka_unit_test_setup(test_repl_reject_bad_field, setup),
		cmocka_unit_test_setup(test_repl_reject_bad_protobuf, setup),
		cmocka_unit_test_setup(test_roundtrip_tags, setup),
		cmocka_unit_test_setup(test_tags_reject_bad_field, setup),
		cmocka_unit_test_setup(test_roundtrip_bstates, setup),
		cmocka_unit_test_setup(test_names, setup),
		cmocka_unit_test_setup(test_key_file, setup),
		cmocka_unit_test_setup(test_fuzz_seeds, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
