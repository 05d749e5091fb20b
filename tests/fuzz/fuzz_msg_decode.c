/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the cluster bus decoder (proto/msg_codec.c).
 *
 * Each input is decoded twice: as it is (almost everything stops at the HMAC,
 * which is what the network sees), and with its last 32 bytes replaced by the
 * right HMAC, so that the body length, sender, type, protobuf and field checks
 * behind the HMAC are fuzzed too. Whatever is accepted must encode again and
 * decode to exactly the same struct msg. Seeds: tests/fuzz/corpus/fuzz_msg_decode
 * (written by tests/unit/test_msg_codec.c with MSG_CODEC_WRITE_CORPUS=DIR).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proto/msg_codec.h"

/* Same values as the seed generator in tests/unit/test_msg_codec.c. */
#define FUZZ_CLUSTER 7
#define FUZZ_SELF    1
static const char fuzz_key[] = "sipshard fuzz key, 32 bytes long";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct msg_codec fuzz_codec;

/* Decoded twice, the same message: byte for byte, but for what msg_decode()
 * leaves unspecified in a Repl (records past n, string bytes past the NUL) and
 * in packed records (bytes past len). */
static bool
fuzz_same(const struct msg *a, const struct msg *b)
{
	size_t i;

	if (a->hdr.type == MSG_T_SYNC_CHUNK || a->hdr.type == MSG_T_REPL_PACK)
		return memcmp(a, b, offsetof(struct msg, u.pack.data)) == 0 &&
		       memcmp(a->u.pack.data, b->u.pack.data, a->u.pack.len) == 0;
	if (a->hdr.type != MSG_T_REPL)
		return memcmp(a, b, sizeof(*a)) == 0;
	if (memcmp(a, b, offsetof(struct msg, u.repl.recs)) != 0)
		return false;
	for (i = 0; i < a->u.repl.n; i++) {
		const struct msg_rec *x = &a->u.repl.recs[i], *y = &b->u.repl.recs[i];

		if (memcmp(x, y, offsetof(struct msg_rec, aor)) != 0 ||
		    strcmp(x->aor, y->aor) != 0 || strcmp(x->key, y->key) != 0 ||
		    strcmp(x->call_id, y->call_id) != 0 || strcmp(x->uri, y->uri) != 0 ||
		    strcmp(x->path, y->path) != 0 || strcmp(x->tag, y->tag) != 0 ||
		    strcmp(x->instance, y->instance) != 0 || x->reg_id != y->reg_id ||
		    x->call_id_hash != y->call_id_hash || x->sock_port_index != y->sock_port_index)
			return false;
	}
	return true;
}

static void
fuzz_roundtrip(const struct msg *m)
{
	static uint8_t buf[MSG_MAX_LEN];
	static struct msg again;
	int n;

	n = msg_encode(&fuzz_codec, m, buf, sizeof(buf));
	if (n <= 0)
		__builtin_trap();       /* a decoded message is always encodable */
	if (msg_decode(&fuzz_codec, buf, (size_t)n, &again) != MSG_REJECT_NONE)
		__builtin_trap();
	if (!fuzz_same(m, &again))
		__builtin_trap();
}

static void
fuzz_one(const uint8_t *data, size_t size)
{
	static struct msg m;
	enum msg_reject r;

	r = msg_decode(&fuzz_codec, data, size, &m);
	if ((unsigned int)r >= MSG_REJECT_MAX)
		__builtin_trap();
	if (r == MSG_REJECT_NONE)
		fuzz_roundtrip(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[MSG_MAX_LEN + 2];
	unsigned int mac_len;

	if (fuzz_codec.key_len == 0) {
		msg_codec_init(&fuzz_codec, FUZZ_CLUSTER, FUZZ_SELF);
		if (msg_codec_set_key(&fuzz_codec, fuzz_key, strlen(fuzz_key)) != 0)
			__builtin_trap();
	}
	fuzz_one(data, size);
	if (size >= MSG_HDR_LEN + MSG_HMAC_LEN && size + 2 <= sizeof(copy)) {
		/* the HMAC input is (receiver id | header | body): this node's id */
		copy[0] = FUZZ_SELF >> 8;
		copy[1] = FUZZ_SELF & 0xff;
		memcpy(copy + 2, data, size);
		HMAC(EVP_sha256(), fuzz_key, (int)strlen(fuzz_key), copy, size - MSG_HMAC_LEN + 2,
		     copy + 2 + size - MSG_HMAC_LEN, &mac_len);
		fuzz_one(copy + 2, size);
	}
	return 0;
}
