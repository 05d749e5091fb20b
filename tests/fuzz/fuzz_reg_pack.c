/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the registrar's pack encoding
 * (dataplane/registrar/reg_pack.c): what a peer's SyncChunk and ReplPack carry.
 *
 * The input is walked as records back to back, as a shard does with a pack:
 * peek and unpack must agree on every record's length and never read past the
 * input (ASan), and every record accepted must encode again and decode to the
 * same fields and strings. Seeds: tests/fuzz/corpus/fuzz_reg_pack (a usual
 * binding, one with every field, a tombstone, several back to back).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/registrar/reg_pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct reg_rec a, b;
static uint8_t again[REG_PACK_REC_MAX];

static bool
same(const struct reg_rec *x, const struct reg_rec *y)
{
	return memcmp(x, y, offsetof(struct reg_rec, aor)) == 0 &&
	       memcmp(x->aor, y->aor, x->aor_len) == 0 && memcmp(x->key, y->key, x->key_len) == 0 &&
	       memcmp(x->uri, y->uri, x->uri_len) == 0 &&
	       memcmp(x->instance, y->instance, x->instance_len) == 0 &&
	       memcmp(x->path, y->path, x->path_len) == 0 && memcmp(x->tag, y->tag, x->tag_len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at = 0, n, m, k;
	const char *aor;
	uint16_t aor_len;

	while (at < size) {
		/* a copy of exactly what is left: ASan sees any read past it */
		uint8_t *rest = malloc(size - at);

		if (rest == NULL)
			return 0;
		memcpy(rest, data + at, size - at);
		n = reg_pack_peek(rest, size - at, &aor, &aor_len);
		m = reg_pack_unpack(rest, size - at, &a);
		if (n != m)
			abort();                /* peek and unpack disagree */
		if (n == 0) {
			free(rest);
			break;
		}
		if (aor_len != a.aor_len || memcmp(aor, a.aor, aor_len) != 0)
			abort();
		k = reg_pack_rec(&a, again, sizeof(again));
		if (k == 0 || reg_pack_unpack(again, k, &b) != k || !same(&a, &b))
			abort();                /* accepted, but does not round-trip */
		free(rest);
		at += n;
	}
	return 0;
}
