/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of digest authentication (reg_auth): the bytes as a SIP
 * message through reg_auth_check() (Authorization parsing, nonce check, digest,
 * replay window) and reg_auth_challenge() (its size bound), and the raw bytes
 * as a nonce. A fixed secret and clock, so the corpus can hold valid
 * credentials (tests/fuzz/corpus/fuzz_reg_auth). Built by `make
 * build/fuzz/fuzz_reg_auth` (clang, ASan + UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/registrar/reg_auth.h"
#include "dataplane/sip/sip_parse.h"

#define NOW 1700000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct reg_auth_conf conf;
static struct reg_auth_table *tbl;
static struct reg_auth_replay replay;

static void
init(void)
{
	/* alice / secret, realm example.com: MD5 and SHA-256 HA1s */
	static const char subs[] =
		"alice:example.com:b1726872c344b6dc8365b774f8fd6412:"
		"ed8925b20f9a77b8f8f8d5f8e4467fe32b866f7208ab9e4b20595e9821a0fdee\n"
		"bob:example.com:0123456789abcdef0123456789abcdef\n";
	struct cfg_auth a = { .nonce_ttl_s = 30 };
	uint8_t secret[REG_AUTH_SECRET_LEN];
	char path[64], err[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/fuzz_reg_auth.%d", (int)getpid());
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(subs, f);
	fclose(f);
	snprintf(a.realm, sizeof(a.realm), "example.com");
	memset(secret, 0x5a, sizeof(secret));
	reg_auth_conf_init(&conf, &a, secret);
	tbl = reg_auth_table_load(path, "example.com", NULL, err, sizeof(err));
	unlink(path);
	if (tbl == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m;
	static char out[8192];
	size_t len;
	int v;

	if (tbl == NULL)
		init();
	if (reg_auth_nonce_check(&conf, (const char *)data, size, NOW) >= REG_AUTH__COUNT)
		abort();
	if (size > 65535 || sip_msg_parse(&m, (const char *)data, size) != 0 || !m.is_request)
		return 0;
	v = reg_auth_check(&conf, tbl, &replay, &m, "alice", 5, NOW);
	if (v < 0 || v >= REG_AUTH__COUNT)
		abort();
	len = reg_auth_challenge(&conf, &m, v == REG_AUTH_STALE, NOW, 1, NULL, 3 * size, out,
				 sizeof(out));
	if (len > 3 * size || len > sizeof(out))
		abort();
	return 0;
}
