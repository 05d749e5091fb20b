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
	HMAC(EVP_sha256(), t_key, (int)strlen(t_key), buf, MSG_HDR_LEN, mac, &mac_len);
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
	in.hdr.type = 16;
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
	static const unsigned int types[] = { 0, 6, 16, 63, 64, 255 };
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&in, 0, sizeof(in));
		hdr(&in, (uint8_t)types[i], 2, 1);
		n = msg_frame(&tx, &in.hdr, "\x08\x01", 2, buf, sizeof(buf));
		expect_reject(buf, (size_t)n, MSG_REJECT_UNKNOWN_TYPE);
	}
	assert_string_equal(msg_type_name(16), "?");
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

/* ---- key file ---- */

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
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
		cmocka_unit_test_setup(test_reject_bad_length, setup),
		cmocka_unit_test_setup(test_reject_wrong_cluster, setup),
		cmocka_unit_test_setup(test_reject_bad_hmac, setup),
		cmocka_unit_test_setup(test_reject_bad_sender, setup),
		cmocka_unit_test_setup(test_reject_from_self, setup),
		cmocka_unit_test_setup(test_reject_unknown_type, setup),
		cmocka_unit_test_setup(test_reject_bad_protobuf, setup),
		cmocka_unit_test_setup(test_reject_bad_field, setup),
		cmocka_unit_test_setup(test_leave_reason_sanitized, setup),
		cmocka_unit_test_setup(test_names, setup),
		cmocka_unit_test_setup(test_key_file, setup),
		cmocka_unit_test_setup(test_fuzz_seeds, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
