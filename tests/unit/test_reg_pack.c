/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's pack encoding (dataplane/registrar/reg_pack.h): every field
 * round-trips, the contact key is left out when it is the URI, and a malformed
 * record (short, lengths that do not add up, over the limits, bad families) is
 * refused by peek and unpack alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/registrar/reg_pack.h"

static struct reg_rec in, out;
static uint8_t buf[2 * REG_PACK_REC_MAX];

static void
set(char *dst, uint16_t *len, const char *s)
{
	*len = (uint16_t)strlen(s);
	memcpy(dst, s, *len);
}

/* A binding with every field used: IPv6 both ways, instance, Path, tag. */
static void
make_big(struct reg_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->version.counter = 0x0123456789abcdefull;
	r->version.origin = 513;
	r->family = 6;
	r->sock_family = 6;
	r->local_port = 3;
	r->port = 40000;
	r->sock_port = 5060;
	r->sock_node = 7;
	r->q = 1000;
	r->cseq = 4000000000u;
	r->expires_s = 3600;
	r->reg_id = 2;
	r->callid = 0xfeedfacecafebeefull;
	for (unsigned int i = 0; i < 16; i++) {
		r->addr[i] = (uint8_t)(0x20 + i);
		r->sock_addr[i] = (uint8_t)(0x40 + i);
	}
	set(r->aor, &r->aor_len, "alice@example.com");
	set(r->uri, &r->uri_len, "sip:alice@[2001:db8::1]:5070;transport=udp");
	set(r->instance, &r->instance_len, "<urn:uuid:00000000-0000-0000-0000-000000000001>");
	set(r->path, &r->path_len, "<sip:edge.example.com;lr>");
	set(r->key, &r->key_len, "reg-id=2;<urn:uuid:00000000-0000-0000-0000-000000000001>");
	set(r->tag, &r->tag_len, "vip1/edge");
}

static void
same(const struct reg_rec *a, const struct reg_rec *b)
{
	assert_memory_equal(a, b, offsetof(struct reg_rec, aor));
	assert_memory_equal(a->aor, b->aor, a->aor_len);
	assert_memory_equal(a->key, b->key, a->key_len);
	assert_memory_equal(a->uri, b->uri, a->uri_len);
	assert_memory_equal(a->instance, b->instance, a->instance_len);
	assert_memory_equal(a->path, b->path, a->path_len);
	assert_memory_equal(a->tag, b->tag, a->tag_len);
}

static void
test_round_trip(void **state)
{
	const char *aor;
	uint16_t aor_len;
	size_t n, m;

	(void)state;
	make_big(&in);
	n = reg_pack_rec(&in, buf, sizeof(buf));
	assert_int_equal(n, REG_PACK_HDR + 32 + in.aor_len + in.uri_len + in.instance_len +
				    in.path_len + in.key_len + in.tag_len);
	assert_int_equal(reg_pack_peek(buf, n, &aor, &aor_len), n);
	assert_int_equal(aor_len, in.aor_len);
	assert_memory_equal(aor, in.aor, aor_len);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(reg_pack_unpack(buf, n, &out), n);
	same(&in, &out);
	/* one too short: refused; the next record follows back to back */
	assert_int_equal(reg_pack_unpack(buf, n - 1, &out), 0);
	assert_int_equal(reg_pack_peek(buf, n - 1, &aor, &aor_len), 0);
	m = reg_pack_rec(&in, buf + n, sizeof(buf) - n);
	assert_int_equal(reg_pack_unpack(buf + n, m, &out), m);
	/* no room: 0 */
	assert_int_equal(reg_pack_rec(&in, buf, n - 1), 0);
}

/* The usual binding: IPv4, no socket, the key is the URI: left out. */
static void
test_key_is_uri(void **state)
{
	size_t n;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.version.counter = 9;
	in.version.origin = 1;
	in.family = 4;
	memcpy(in.addr, "\xc6\x12\x00\x64", 4);
	in.port = 5060;
	in.expires_s = 60;
	set(in.aor, &in.aor_len, "bob@example.com");
	set(in.uri, &in.uri_len, "sip:bob@198.18.0.100:5060");
	set(in.key, &in.key_len, "sip:bob@198.18.0.100:5060");
	n = reg_pack_rec(&in, buf, sizeof(buf));
	assert_int_equal(n, REG_PACK_HDR + 4 + in.aor_len + in.uri_len);
	assert_int_equal(buf[2] & REG_PACK_F_KEY_URI, REG_PACK_F_KEY_URI);
	assert_int_equal(reg_pack_unpack(buf, n, &out), n);
	same(&in, &out);
	/* a tombstone: version, AoR and key */
	memset(&in, 0, sizeof(in));
	in.tombstone = 1;
	in.version.counter = 10;
	in.version.origin = 2;
	set(in.aor, &in.aor_len, "bob@example.com");
	set(in.key, &in.key_len, "sip:bob@198.18.0.100:5060");
	n = reg_pack_rec(&in, buf, sizeof(buf));
	assert_int_equal(n, REG_PACK_HDR + in.aor_len + in.key_len);
	assert_int_equal(buf[2], REG_PACK_F_TOMBSTONE);
	assert_int_equal(reg_pack_unpack(buf, n, &out), n);
	same(&in, &out);
}

/* Network input: every inconsistency is refused, never read past the record. */
static void
test_malformed(void **state)
{
	uint8_t bad[sizeof(buf)];
	const char *aor;
	uint16_t aor_len;
	size_t n;

	(void)state;
	make_big(&in);
	n = reg_pack_rec(&in, buf, sizeof(buf));
	assert_int_equal(reg_pack_unpack(buf, REG_PACK_HDR - 1, &out), 0);
#define BROKEN(off, val) do { \
		memcpy(bad, buf, n); \
		bad[off] = (uint8_t)(val); \
		assert_int_equal(reg_pack_unpack(bad, n, &out), 0); \
		assert_int_equal(reg_pack_peek(bad, n, &aor, &aor_len), 0); \
	} while (0)
	BROKEN(0, buf[0] + 1);          /* total length off by one */
	BROKEN(1, 0xff);                /* total length beyond what is there */
	BROKEN(3, 5);                   /* family 5 */
	BROKEN(4, 1);                   /* socket family 1 */
	BROKEN(3, 4);                   /* IPv4: the lengths no longer add up */
	BROKEN(44, in.aor_len + 1);     /* AoR length off by one */
	BROKEN(45, 0x7f);               /* AoR over REG_AOR_MAX */
	BROKEN(54, REG_TAG_MAX + 1);    /* tag over its limit */
	BROKEN(2, REG_PACK_F_KEY_URI);  /* "key is the URI" with a key given */
#undef BROKEN
	/* limits on encode as well */
	in.aor_len = REG_AOR_MAX + 1;
	assert_int_equal(reg_pack_rec(&in, buf, sizeof(buf)), 0);
	make_big(&in);
	in.family = 5;
	assert_int_equal(reg_pack_rec(&in, buf, sizeof(buf)), 0);
}

/* The longest record fits REG_PACK_REC_MAX (the shard's room check). */
static void
test_longest(void **state)
{
	(void)state;
	make_big(&in);
	in.aor_len = REG_AOR_MAX;
	in.uri_len = REG_URI_MAX;
	in.instance_len = REG_INST_MAX;
	in.path_len = REG_PATH_MAX;
	in.key_len = REG_KEY_MAX;
	in.tag_len = REG_TAG_MAX;
	assert_int_equal(reg_pack_rec(&in, buf, REG_PACK_REC_MAX), REG_PACK_REC_MAX);
	assert_int_equal(reg_pack_unpack(buf, REG_PACK_REC_MAX, &out), REG_PACK_REC_MAX);
	same(&in, &out);
}

/* The fuzzer's seeds are records of today's encoding: "several" is four of
 * them back to back (a usual binding, a tombstone, every field, a directory
 * entry). Run from the tree's top (as tests/run.sh does). */
static void
test_seeds(void **state)
{
	static uint8_t seed[4096];
	FILE *f = fopen("tests/fuzz/corpus/fuzz_reg_pack/several", "rb");
	size_t len, at = 0, n;
	unsigned int count = 0;

	(void)state;
	assert_non_null(f);
	len = fread(seed, 1, sizeof(seed), f);
	fclose(f);
	assert_true(len > REG_PACK_HDR);
	while (at < len && (n = reg_pack_unpack(seed + at, len - at, &out)) != 0) {
		at += n;
		count++;
		if (count == 2)
			assert_int_equal(out.tombstone, 1);
		if (count == 3)
			assert_int_equal(out.family, 6);
		if (count == 4)
			assert_int_equal(out.dir, 1);
	}
	assert_int_equal(at, len);
	assert_int_equal(count, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_key_is_uri),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_longest),
		cmocka_unit_test(test_seeds),
	};

	return cmocka_run_group_tests_name("reg_pack", tests, NULL, NULL);
}
