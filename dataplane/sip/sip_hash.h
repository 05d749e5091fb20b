/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one 64-bit hash of the dataplane: XXH3-64 with a seed (libxxhash), for
 * the To tags of our replies (sip_reply), the registrar's AoR digest, Contact
 * and Call-ID hashes (reg_*), the Call-ID draw and member seeds of the load
 * balancer and the stateless branch (lb_select, proxy_req).
 *
 * It lives in sip/, the lowest dataplane layer, so that every user reaches it
 * without an upward dependency and the parser's fuzz target stays DPDK-free
 * (it links -lxxhash). Not a cryptographic hash: where an attacker could aim
 * keys at one bucket the seed is secret (reg_conf.hash_seed, random per
 * process). Values are the same on every node for the same seed and input, and
 * change only with the xxHash release's XXH3 definition (stable since 0.8.0),
 * so nodes running the same build agree on shard owners, backends and branches.
 * Chaining is by seed: h = sip_hash64(h ^ salt, p, n).
 *
 * Pure function, any thread; p may be NULL when n is 0.
 *
 * The library's header-only mode (XXH_INLINE_ALL, xxhash.h): the hash is inlined
 * into each caller, where the short inputs of the packet path (a Call-ID, an AoR,
 * a contact key: 16-128 octets) cost a few dozen instructions, not a call through
 * the shared library's PLT plus its length dispatch. Same function, same values.
 */
#ifndef SIPSHARD_DATAPLANE_SIP_SIP_HASH_H
#define SIPSHARD_DATAPLANE_SIP_SIP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t
sip_hash64(uint64_t seed, const void *p, size_t n)
{
	return (uint64_t)XXH3_64bits_withSeed(p, n, (XXH64_hash_t)seed);
}

#endif /* SIPSHARD_DATAPLANE_SIP_SIP_HASH_H */
