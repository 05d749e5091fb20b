/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the backend sets (see dataplane/lb_select.h for the algorithms).
 *
 * `struct lb_sets` is one fixed-size block built once from `struct cfg` by
 * lb_sets_init(): up to LB_MAX_SETS sets of up to LB_MAX_MEMBERS members, each
 * member resolved at load to an address (`struct lb_addr`), plus its health.
 * Read-only after init except:
 *   - `struct lb_health`, `lb_set.up` and `lb_set.remote`: written by the prober
 *     only (one lcore);
 *     workers read `up` with one relaxed atomic load per selection;
 *   - `lb_sets.marks[w]`: written by worker w only (probe replies it saw), read
 *     by the prober.
 * Nothing here is allocated after init; no pointer inside points outside.
 */
#ifndef SIPSHARD_DATAPLANE_PROXY_LB_TYPES_H
#define SIPSHARD_DATAPLANE_PROXY_LB_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg_types.h"

#define LB_MAX_SETS         CFG_MAX_SETS
#define LB_MAX_MEMBERS      CFG_MAX_MEMBERS
#define LB_MAX_WORKERS      (CFG_MAX_WORKERS + 1)   /* workers + the control lcore */
#define LB_SLOT_BITS        14
#define LB_SLOTS            (1u << LB_SLOT_BITS)    /* weighted / round-robin table */
#define LB_PROBE_PREFIX     "z9hG4bK-sssp-"         /* branch of our OPTIONS probes */
#define LB_PROBE_PREFIX_LEN 13
#define LB_PROBE_MAX        1024                    /* longest probe text */
#define LB_PROBE_WINDOW     16u                     /* late replies still accepted */
#define LB_ADDR_STR_MAX     56                      /* "[v6]:port" + NUL */

_Static_assert(LB_MAX_MEMBERS <= 32, "lb_set.up is a 32-bit mask");
_Static_assert(LB_MAX_MEMBERS <= 255, "lb_set.slot holds a member index in a byte");

/* A UDP endpoint: family 4 (addr[0..4), network order) or 6; port host order. */
struct lb_addr {
	uint8_t family;                 /* 0: none */
	uint8_t pad;
	uint16_t port;
	uint8_t addr[16];
};

#define LB_FOREACH_STATE(X) \
	X(UP,   "up")   \
	X(DOWN, "down")

enum lb_state {
#define LB_STATE_ENUM(n, s) LB_##n,
	LB_FOREACH_STATE(LB_STATE_ENUM)
#undef LB_STATE_ENUM
	LB_STATE__COUNT
};

/* What a probe event did to a member. */
enum lb_change { LB_CHANGE_NONE, LB_CHANGE_UP, LB_CHANGE_DOWN };

/* Health of one member. Single writer: the prober. `state` is stored and loaded
 * with relaxed atomics (telemetry reads it from another thread); the rest is
 * the prober's bookkeeping, read by telemetry as plain aligned words. */
struct lb_health {
	uint8_t state;                  /* enum lb_state; LB_UP at start */
	uint8_t outstanding;            /* a probe waits for its reply */
	uint16_t misses;                /* probes in a row without reply */
	uint32_t seq;                   /* number of the last probe sent (0: none yet) */
	uint32_t acked;                 /* highest probe number answered */
	uint32_t pad;
	uint64_t next_ms;               /* the next probe is due */
	uint64_t deadline_ms;           /* the outstanding probe is missed from then on */
	uint64_t last_reply_ms;         /* 0: never answered */
	uint64_t changed_ms;            /* last state change */
	uint64_t probes, replies, downs;
};

struct lb_member {
	struct lb_addr addr;            /* resolved at load */
	uint32_t weight;                /* 0: never selected (still probed) */
	uint64_t seed;                  /* rendezvous key: hash of the address */
	double inv_weight;              /* 1 / weight (0 when weight is 0) */
	char uri[CFG_STR];              /* as configured */
};

struct lb_set {
	uint32_t id;                    /* backends[].set */
	uint8_t algo;                   /* enum cfg_lb_algo */
	uint8_t n;                      /* members */
	uint8_t equal;                  /* all eligible weights equal (no logarithm) */
	uint8_t remote;                 /* prober-written: another node probes this set
					 * (its tag is held there); states come from it */
	uint32_t eligible;              /* bit i: weight > 0 */
	uint32_t interval_ms;
	uint32_t threshold;
	struct lb_member m[LB_MAX_MEMBERS];
	/* prober-written */
	struct lb_health h[LB_MAX_MEMBERS] __attribute__((aligned(64)));
	uint32_t up __attribute__((aligned(64)));   /* bit i: member i up */
	/* weighted / round-robin: Call-ID hash slot -> member index */
	uint8_t slot[LB_SLOTS] __attribute__((aligned(64)));
};

/* Probe replies seen by one worker: highest probe number per (set, member). */
struct lb_marks {
	uint32_t seq[LB_MAX_SETS][LB_MAX_MEMBERS];
} __attribute__((aligned(64)));

struct lb_sets {
	int n;
	struct lb_addr local4;          /* probes to IPv4 members come from here */
	struct lb_addr local6;          /* ... to IPv6 members (family 0: none) */
	char local4_text[LB_ADDR_STR_MAX];
	char local6_text[LB_ADDR_STR_MAX];
	struct lb_set set[LB_MAX_SETS];
	struct lb_marks marks[LB_MAX_WORKERS];
	uint64_t probe_key;             /* drawn at init: probe branch and Call-ID tokens */
};

/* One member as the telemetry / JSON iterator shows it. */
struct lb_member_info {
	uint32_t set;
	unsigned member;
	const char *uri;
	uint32_t weight;
	enum lb_state state;
	uint16_t misses;
	uint64_t last_reply_ms;         /* 0: never */
	const struct lb_addr *addr;
};

struct lb_iter {
	int set;
	int member;
};

/* The prober hands each probe to the dataplane (UDP from local4/local6 to dst);
 * returns 0 when sent. */
typedef int lb_probe_send_fn(void *arg, const struct lb_set *set, unsigned member,
			     const char *msg, size_t len, const struct lb_addr *dst);

#endif /* SIPSHARD_DATAPLANE_PROXY_LB_TYPES_H */
