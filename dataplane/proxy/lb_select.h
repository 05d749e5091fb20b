/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend sets: member selection by Call-ID, health probing, telemetry view.
 *
 * Selection. Every algorithm is a pure function of (Call-ID, set of members up):
 * no per-call or per-worker state, so every message of a call (INVITE, its
 * retransmissions, CANCEL, ACK, BYE, ...) reaches the same member on any worker
 * of any node for as long as that member is up. They differ in how the spread
 * is computed:
 *   - callid-hash: weighted rendezvous hashing (highest random weight). Member
 *     i scores w_i / -ln(U_i), U_i uniform in (0,1) from hash(Call-ID, seed_i)
 *     where seed_i hashes the member's address and port; the highest wins.
 *     P(i wins) = w_i / sum(w) over the members up; removing (or downing) a
 *     member changes the winner only of the calls it won: the others' scores
 *     are untouched. With equal weights the logarithm is skipped (argmax U).
 *   - weighted: a table of LB_SLOTS slots filled in proportion to the weights
 *     (largest remainder, interleaved); the Call-ID hash picks a slot. The
 *     split is exact to 1/LB_SLOTS and costs one load. When the slot's member
 *     is down, that call alone falls back to weighted rendezvous over the
 *     members up: only a down member's calls move, and they come back to it
 *     when it is up again.
 *   - round-robin: the same table, members in turn, weights ignored (weight 0
 *     still excludes): an even spread. A per-message counter would send the
 *     ACK or BYE of a call elsewhere than its INVITE, which the issue forbids,
 *     so the rotation runs over the Call-ID hash space, not over time.
 * The member seeds depend only on the member's address and port, the Call-ID
 * hash only on the Call-ID octets (fixed key): nodes with the same backends
 * configuration pick the same member for the same call, and reordering the
 * members in the file moves no call.
 *
 * Health. Members start up. The prober (one lcore, the only writer of the
 * health state) sends an OPTIONS to each member every probe.interval_ms; a
 * probe unanswered when the next one is due is a miss; `threshold` misses in a
 * row take the member down, any reply (any status, late ones of the last
 * LB_PROBE_WINDOW probes included) brings it up at once. The probe's branch is
 * "z9hG4bK-sssp-<set>-<member>-<seq>", so the worker that receives the reply
 * (proxy_response() returns PROXY_PROBE_REPLY) knows which probe it answers
 * and notes it with lb_reply_note() in its own mark array; the prober collects
 * the marks in lb_prober_poll(). lb_probe_due / sent / reply / timeout are the
 * state machine as pure functions of (health, event, now): tests drive them
 * on a fake clock. Down members get no new calls: lb_select() reads the up
 * mask the prober publishes (one relaxed atomic load).
 *
 * Threads: lb_sets_init() on the main lcore before the workers start;
 * lb_select(), lb_callid_hash(), lb_reply_note() on any worker (no lock, no
 * allocation, no system call, O(members)); lb_prober_poll() and the lb_probe_*
 * functions on the prober lcore only; the iterator on any
 * thread (telemetry), reading the state with atomic loads.
 */
#ifndef SIPSHARD_DATAPLANE_PROXY_LB_SELECT_H
#define SIPSHARD_DATAPLANE_PROXY_LB_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/cfg_types.h"
#include "dataplane/proxy/lb_types.h"

/* ---- any thread: hashing ---- */

/* The Call-ID hash every selection takes: sip_hash64() (dataplane/sip/sip_hash.h)
 * with a fixed key, the same on every node. */
uint64_t lb_callid_hash(const char *callid, size_t len);

/* ---- main lcore ---- */

/* Build the sets of c into *s (no allocation; sizeof(struct lb_sets)). Members
 * must be sip:IP[:PORT] (IPv4 or [IPv6]); a hostname, sips: or a transport
 * other than udp is refused. Returns 0, or -EINVAL with "FILE: backends[i]
 * (set N): members[j].uri 'X': why" in err. */
int lb_sets_init(struct lb_sets *s, const struct cfg *c, char *err, size_t errlen);

/* The same, allocated (cache-line aligned, zeroed); NULL with errno set. */
struct lb_sets *lb_sets_create(const struct cfg *c, char *err, size_t errlen);
void lb_sets_free(struct lb_sets *s);

/* ---- any lcore: selection ---- */

/* The set with id `id`, or NULL. */
const struct lb_set *lb_set_find(const struct lb_sets *s, uint32_t id);

/* Member index for a call, or -1 when no eligible member is up. */
int lb_select(const struct lb_set *set, uint64_t callid_hash);

static inline const struct lb_member *
lb_member(const struct lb_set *set, int i)
{
	return &set->m[i];
}

/* A worker saw the reply to probe `seq` of (set id, member): noted in its own
 * mark array for the prober. Out-of-range arguments are ignored. */
void lb_reply_note(struct lb_sets *s, unsigned worker, uint32_t set_id, unsigned member,
		   uint32_t seq);

/* ---- prober lcore: the state machine (pure functions of state, event, now) ---- */

static inline bool
lb_probe_due(const struct lb_health *h, uint64_t now_ms)
{
	return now_ms >= h->next_ms;
}

/* Probe `seq` left now: the next is due, and this one missed, at now + interval. */
void lb_probe_sent(struct lb_health *h, uint32_t seq, uint64_t now_ms, uint32_t interval_ms);

/* A reply to probe `seq`: any reply of the last LB_PROBE_WINDOW probes means
 * alive (misses reset, down -> up); a number never sent is ignored. */
enum lb_change lb_probe_reply(struct lb_health *h, uint32_t seq, uint64_t now_ms);

/* The outstanding probe's deadline has passed: one miss; `threshold` in a row
 * take the member down. No effect before the deadline or with no probe out. */
enum lb_change lb_probe_timeout(struct lb_health *h, uint64_t now_ms, uint32_t threshold);

/* The OPTIONS text of probe `seq` to member `member` of `set` into out.
 * Returns its length, 0 when cap is too small or there is no local address of
 * the member's family. */
size_t lb_probe_build(const struct lb_sets *s, const struct lb_set *set, unsigned member,
		      uint32_t seq, char *out, size_t cap);

/* Parse the branch of a probe ("z9hG4bK-sssp-<set>-<member>-<seq>-<token>",
 * token: 16 hex digits). 0 or -1. */
int lb_probe_branch_parse(const char *p, size_t len, uint32_t *set_id, unsigned *member,
			  uint32_t *seq, uint64_t *token);

/* The token of probe (set_id, member, seq): a hash keyed with s->probe_key, a
 * random number drawn at init, so that nobody who has not seen the probe can
 * answer it (its branch) or guess its Call-ID (docs/security.md). */
uint64_t lb_probe_token(const struct lb_sets *s, uint32_t set_id, unsigned member, uint32_t seq);

/* One prober turn: collect the workers' reply marks, count the misses, send
 * the probes that are due through send(), publish the up masks. Call it every
 * few milliseconds. Returns the number of state changes. */
unsigned lb_prober_poll(struct lb_sets *s, uint64_t now_ms, lb_probe_send_fn *send, void *arg);

/* Sharing tags (backends[].tag): set index SI is probed here (ON) or by the
 * node holding its tag (off: lb_prober_poll() skips it, lb_set_apply() sets its
 * states). Switching on drops the outstanding probes and the replies noted for
 * probes of the last turn here, and probes every member at once, starting from
 * the states the set had (those the other node replicated). Idempotent. */
void lb_sets_probe_here(struct lb_sets *s, int si, bool on, uint64_t now_ms);

/* States of a set probed elsewhere: bit i of UP is member i up. Publishes;
 * returns the number of members whose state changed (0 when the set is probed
 * here: the prober's own states win). */
unsigned lb_set_apply(struct lb_set *set, uint32_t up, uint64_t now_ms);

/* Recompute set->up from the members' states (after lb_probe_* calls). */
void lb_set_publish(struct lb_set *set);

/* Force a member's state (tests, operator override) and publish. */
void lb_set_member_state(struct lb_set *set, unsigned member, enum lb_state st,
			 uint64_t now_ms);

/* ---- any thread: views ---- */

const char *lb_state_name(enum lb_state st);   /* "up" */

/* Iterate every member of every set: it = {0, 0} first; 1 with *info, 0 at the end. */
int lb_member_next(const struct lb_sets *s, struct lb_iter *it, struct lb_member_info *info);

/* ---- any thread: addresses ---- */

/* An IP literal ("198.18.0.1", "[2001:db8::1]" or "2001:db8::1") into a->family
 * and a->addr (port untouched). 0, or -1 when it is not one. */
int lb_addr_parse(const char *p, size_t len, struct lb_addr *a);

/* "198.18.0.1:5060" / "[2001:db8::1]:5060" (NUL-terminated); length or 0. */
size_t lb_addr_fmt(char *out, size_t cap, const struct lb_addr *a);

/* Same family and address (ports not compared). */
static inline bool
lb_addr_eq(const struct lb_addr *a, const struct lb_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

/* Not a unicast destination we may send to: unspecified, broadcast, multicast,
 * loopback, class E (IPv4); unspecified, loopback, multicast (IPv6). */
bool lb_addr_unusable(const struct lb_addr *a);

#endif /* SIPSHARD_DATAPLANE_PROXY_LB_SELECT_H */
