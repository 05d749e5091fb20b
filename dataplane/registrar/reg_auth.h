/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Digest authentication of REGISTER (RFC 3261 §22, RFC 7616 and RFC 8760:
 * SHA-256 and MD5, qop=auth). Pure C and libcrypto, no DPDK: the dataplane,
 * the unit tests and the tools link it.
 *
 * Subscribers. A table of HA1s loaded from an htdigest file (lines
 * `user:realm:md5-HA1[:sha256-HA1]`, the format of Apache's htdigest with an
 * optional fourth field), never passwords. Only the lines of the configured
 * realm are kept. Open addressing on a 64-bit hash of the user name, at most
 * half full. A table is immutable once loaded: a reload builds a new one and
 * the dataplane swaps the pointer (dp_auth.h).
 *
 * Nonces are stateless: 16 hex digits of the UNIX time they were made, 16 of
 * a salt unique to the challenge (a per-worker counter from a random start:
 * two challenges of one second differ, which the replay window needs), then
 * 32 hex digits of HMAC-SHA256(secret, time || salt || realm) truncated to
 * 128 bits.
 * Any node holding the secret (derived from the cluster key, or random per
 * boot on a single node) verifies any node's nonce; a nonce older than
 * nonce_ttl_s is stale (401, stale=true), one whose MAC is wrong is refused.
 *
 * Replay. A nonce-count seen twice is refused by a small per-worker window: a
 * direct-mapped table of REG_AUTH_REPLAY_SLOTS slots keyed by a hash of the
 * nonce, holding the highest nc accepted with it; an nc not above it is a
 * replay. Limits (docs/security.md): an nc that arrives out of order is
 * refused too; a slot reused by another nonce forgets the first one, so a
 * replay of it within its lifetime is accepted once; the window is per worker
 * and per node (the AoR's owner worker sees every REGISTER of that AoR on this
 * node; another node has its own window).
 *
 * Threads: reg_auth_table_load/free run off the packet path (they allocate and
 * read files); the rest is reentrant and allocation-free on our side (the
 * libcrypto one-shot calls may allocate internally).
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_AUTH_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg_types.h"
#include "dataplane/sip/sip_reply.h"
#include "dataplane/sip/sip_types.h"

#define REG_AUTH_USER_MAX       64      /* user name bytes */
#define REG_AUTH_NONCE_LEN      64      /* hex: 16 of time, 16 of salt, 32 of MAC */
#define REG_AUTH_SECRET_LEN     32
#define REG_AUTH_REPLAY_SLOTS   4096    /* per worker, power of 2 */
#define REG_AUTH_SKEW_S         5       /* a nonce this far in the future is accepted */

/* Verdicts of reg_auth_check(); each is counted by the caller. */
#define REG_AUTH_FOREACH_VERDICT(X) \
	X(OK,            "ok", "credentials valid") \
	X(NONE,          "none", "no Authorization for our realm: challenged") \
	X(MALFORMED,     "malformed", "Authorization unparsable, unknown algorithm or qop, missing fields") \
	X(BAD_NONCE,     "bad_nonce", "nonce not made by this cluster (MAC wrong)") \
	X(STALE,         "stale", "nonce older than nonce_ttl_s: challenged with stale=true") \
	X(REPLAY,        "replay", "nonce-count not above the last one accepted with this nonce") \
	X(UNKNOWN_USER,  "unknown_user", "user not in the subscribers file (or no HA1 for the algorithm)") \
	X(BAD_RESPONSE,  "bad_response", "response wrong: wrong password") \
	X(USER_MISMATCH, "user_mismatch", "authenticated user is not the user of the To AoR")

enum reg_auth_verdict {
#define REG_AUTH_V_ENUM(n, lc, h) REG_AUTH_##n,
	REG_AUTH_FOREACH_VERDICT(REG_AUTH_V_ENUM)
#undef REG_AUTH_V_ENUM
	REG_AUTH__COUNT
};

struct reg_auth_user {
	uint64_t hash;                  /* 0: empty slot */
	uint8_t name_len;
	uint8_t has_md5;
	uint8_t has_sha256;
	char name[REG_AUTH_USER_MAX];
	uint8_t md5[16];
	uint8_t sha256[32];
};

struct reg_auth_table {
	uint32_t mask;                  /* slots - 1 */
	uint32_t n;                     /* users */
	struct reg_auth_user slot[];
};

/* What every worker reads (set up once at start). */
struct reg_auth_conf {
	uint8_t secret[REG_AUTH_SECRET_LEN];
	char realm[CFG_STR];
	uint16_t realm_len;
	uint32_t ttl_s;
	uint8_t n_algos;
	uint8_t algos[2];               /* enum cfg_auth_algo, challenge order */
	uint8_t n_trusted;
	struct cfg_cidr trusted[CFG_MAX_CIDRS];
	bool method[SIP_METHOD__COUNT]; /* auth.methods: these are challenged */
};

struct reg_auth_replay {
	struct {
		uint64_t key;           /* hash of the nonce, 0: empty */
		uint32_t nc;            /* highest nonce-count accepted */
	} slot[REG_AUTH_REPLAY_SLOTS];
};

/* ---- any thread, off the packet path ---- */

/* conf from the config; secret is REG_AUTH_SECRET_LEN bytes. */
void reg_auth_conf_init(struct reg_auth_conf *c, const struct cfg_auth *a,
			const uint8_t *secret);

/* A secret for `label` (the nonce secret: REG_AUTH_NONCE_LABEL): HMAC-SHA256
 * of the label keyed with the contents of key_file (the cluster key), so that
 * every node of the cluster derives the same; with key_file NULL, random bytes
 * (a single node). 0 or -errno (err says why). */
#define REG_AUTH_NONCE_LABEL "sipshard digest nonce v1"
int reg_auth_secret(const char *key_file, const char *label, uint8_t out[REG_AUTH_SECRET_LEN],
		    char *err, size_t errlen);

/* Reads an htdigest file; keeps the lines of `realm`. NULL on error, with
 * "PATH:LINE: why" in err. *skipped counts lines of other realms. */
struct reg_auth_table *reg_auth_table_load(const char *path, const char *realm,
					   unsigned int *skipped, char *err, size_t errlen);
void reg_auth_table_free(struct reg_auth_table *t);

/* ---- any thread ---- */

const struct reg_auth_user *reg_auth_table_find(const struct reg_auth_table *t,
						const char *name, size_t len);

/* Is src (network order bytes, 4 or 16 by family) in a trusted prefix? */
bool reg_auth_trusted(const struct reg_auth_conf *c, uint8_t family, const uint8_t *src);

/* The nonce for UNIX time now_s and salt into out[REG_AUTH_NONCE_LEN] (not terminated). */
void reg_auth_nonce_make(const struct reg_auth_conf *c, uint64_t now_s, uint64_t salt,
			 char *out);

/* REG_AUTH_OK, REG_AUTH_BAD_NONCE or REG_AUTH_STALE. */
enum reg_auth_verdict reg_auth_nonce_check(const struct reg_auth_conf *c, const char *nonce,
					   size_t len, uint64_t now_s);

/* Checks the Authorization header fields of m (the one for our realm) against
 * the table; aor_user[0..user_len) is the user part of the To AoR, which the
 * authenticated user must be. The replay window is updated only on OK. */
enum reg_auth_verdict reg_auth_check(const struct reg_auth_conf *c,
				     const struct reg_auth_table *t,
				     struct reg_auth_replay *rp, const struct sip_msg *m,
				     const char *aor_user, size_t user_len, uint64_t now_s);

/* The same with the Proxy-Authorization header fields (a request the proxy
 * forwards; aor_user is the From user). */
enum reg_auth_verdict reg_auth_check_proxy(const struct reg_auth_conf *c,
					   const struct reg_auth_table *t,
					   struct reg_auth_replay *rp, const struct sip_msg *m,
					   const char *from_user, size_t user_len, uint64_t now_s);

/* A 407 to m with Proxy-Authenticate header fields, as reg_auth_challenge. */
size_t reg_auth_challenge_proxy(const struct reg_auth_conf *c, const struct sip_msg *m,
				bool stale, uint64_t now_s, uint64_t salt,
				const struct sip_reply_via *via, size_t max_len, char *out,
				size_t cap);

/* A 401 to m with one WWW-Authenticate per algorithm (stale=true when stale),
 * no larger than max_len: when all of them do not fit, only the first; when
 * that does not fit either, 0. Returns the length written into out. */
size_t reg_auth_challenge(const struct reg_auth_conf *c, const struct sip_msg *m, bool stale,
			  uint64_t now_s, uint64_t salt, const struct sip_reply_via *via,
			  size_t max_len, char *out, size_t cap);

/* Lower-case name and help of a verdict ("bad_response"). */
const char *reg_auth_verdict_name(enum reg_auth_verdict v);
const char *reg_auth_verdict_help(enum reg_auth_verdict v);

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_AUTH_H */
