/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the stateless proxy (see dataplane/proxy_req.h for the algorithm).
 *
 * `struct proxy_conf` is built once from the config (proxy_conf_init) and only
 * read afterwards, by every worker. `struct proxy_worker` is one per lcore:
 * its counters and the location lookup of its shard; only that lcore writes it.
 * `struct proxy_result` says what to do with one message; the bytes to send are
 * in the caller's output buffer.
 */
#ifndef SIPSHARD_DATAPLANE_PROXY_PROXY_TYPES_H
#define SIPSHARD_DATAPLANE_PROXY_PROXY_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg_types.h"
#include "dataplane/proxy/lb_types.h"
#include "dataplane/sip/sip_types.h"

#define PROXY_BRANCH_PREFIX     "z9hG4bK-sss-"      /* branches of forwarded requests */
#define PROXY_BRANCH_PREFIX_LEN 12
/* z9hG4bK-sss-<T>-<M>-<L>: transaction, MAC, loop hash (16 hex digits each) */
#define PROXY_BRANCH_LEN        (PROXY_BRANCH_PREFIX_LEN + 16 + 1 + 16 + 1 + 16)
#define PROXY_BRANCH_MAC_OFF    (PROXY_BRANCH_PREFIX_LEN + 17)
#define PROXY_MAC_KEY_LEN       16                  /* SipHash-2-4 key */
#define PROXY_RR_PARAM          "ss"                /* <sip:US;lr;ss=MAC> in our Record-Route */
#define PROXY_MAX_LOCAL         (2 * CFG_MAX_PORTS) /* our addresses */
#define PROXY_MAX_ROUTES        32                  /* Route values of one request */
#define PROXY_URI_MAX           512                 /* = REG_URI_MAX */
#define PROXY_PATH_MAX          512                 /* = REG_PATH_MAX */
#define PROXY_AOR_MAX           256                 /* = REG_AOR_MAX */
#define PROXY_MAX_FORWARDS      70                  /* added when a request has none */
#define PROXY_DEFAULT_PORT      5060
/* Via parameter of a request relayed to the node holding a binding's socket
 * (on the relaying node's own Via): that node never relays it again. */
#define PROXY_RELAY_PARAM       "ss-relay"
/* A forwarded request is at most this much longer than the received one (our
 * Via, Record-Route, Max-Forwards, received/rport, a Request-URI and a Route
 * value from a binding or a Path): size the output buffer len + PROXY_GROWTH. */
#define PROXY_GROWTH            (2 * PROXY_URI_MAX + PROXY_PATH_MAX + 512)
#define PROXY_REPLY_MAX         (SIP_MAX_MSG)       /* a reply copies every Via */

/* ---- counters (per lcore, summed by the reader) ---- */

#define PROXY_FOREACH_COUNTER(X) \
	X(forwarded_requests,   "requests forwarded") \
	X(forwarded_responses,  "responses forwarded to the next Via") \
	X(to_route,             "requests forwarded to the next Route (loose routing)") \
	X(strict_routes,        "requests forwarded to a strict router (Route without ;lr)") \
	X(to_binding,           "requests forwarded to a registered contact") \
	X(to_path,              "requests forwarded to a registered contact via its Path") \
	X(to_ruri,              "in-dialog requests forwarded to their Request-URI") \
	X(to_backend,           "requests forwarded to a backend member") \
	X(vip_routed,           "requests routed by a Route of ours naming a VIP held here, sent from that VIP") \
	X(sock_direct,          "requests for a binding sent from here: this node holds its socket") \
	X(sock_relayed,         "requests for a binding relayed to the node holding its socket") \
	X(sock_relay_failed,    "requests for a binding whose socket node is down or unknown: sent from here") \
	X(sock_relay_loop,      "relayed requests for a binding whose socket is not here either: 480") \
	X(fed_forwarded,        "federation: requests forwarded to the user's home node") \
	X(fed_redirected,       "federation: requests answered 302 with the user's home node") \
	X(fed_home_down,        "federation: requests for a user whose home node is down (federation.home_down)") \
	X(fed_loop,             "federation: forwarded requests whose user is not homed here either: 480") \
	X(replied_302,          "302 Moved Temporarily: federation redirect to the home node") \
	X(route_own_removed,    "Route values naming us removed (RFC 3261 16.4)") \
	X(route_hostname,       "next hops named by hostname: sent to the backend set") \
	X(spirals,              "requests seen before with another Request-URI or Route") \
	X(replied_400,          "400 Bad Request: malformed field a proxy needs") \
	X(replied_404,          "404 Not Found: user of our domain without a binding") \
	X(replied_480,          "480 Temporarily Unavailable: registrations not synced yet, or a relay loop") \
	X(replied_420,          "420 Bad Extension: Proxy-Require (we support no extension)") \
	X(replied_482,          "482 Loop Detected") \
	X(replied_483,          "483 Too Many Hops: Max-Forwards 0") \
	X(replied_500,          "500 Server Internal Error: location lookup failed") \
	X(replied_503,          "503 Service Unavailable: no backend member up") \
	X(no_set,               "requests for a backend set that does not exist (503)") \
	X(ack_not_replied,      "ACKs dropped where another request gets a reply") \
	X(reply_failed,         "replies not built: no Via, or the buffer too small") \
	X(request_unanswerable, "requests dropped: a field a reply copies is malformed") \
	X(bad_destination,      "requests dropped: next hop broadcast, multicast, loopback...") \
	X(relay_denied,         "403: next hop (Route, in-dialog Request-URI) not a backend, binding, peer or allowed destination") \
	X(route_loop,           "482: a Route list naming one of our (or our peers') addresses twice") \
	X(out_overflow,         "messages dropped: output buffer too small") \
	X(response_not_ours,    "responses dropped: top Via not ours") \
	X(response_bad_mac,     "responses dropped: our branch's MAC or transaction does not check (forged)") \
	X(response_bad_via,     "responses dropped: Via unreadable or next hop unusable") \
	X(response_no_next_via, "responses dropped: no Via after ours") \
	X(response_hostname,    "responses dropped: next Via names a host, not an address") \
	X(probe_replies,        "responses to our OPTIONS probes") \
	X(probe_bad_source,     "probe responses from another address than the member's") \
	X(probe_bad_token,      "probe responses whose branch token is not the probe's (forged)")

enum proxy_counter {
#define PROXY_COUNTER_ENUM(n, h) PROXY_C_##n,
	PROXY_FOREACH_COUNTER(PROXY_COUNTER_ENUM)
#undef PROXY_COUNTER_ENUM
	PROXY_C__COUNT
};

struct proxy_stats {
	uint64_t c[PROXY_C__COUNT];
};

#define PROXY_INC(w, n) ((w)->st.c[PROXY_C_##n]++)

/* ---- what to do ---- */

enum proxy_action {
	PROXY_DROP,             /* counted under res->drop; nothing to send */
	PROXY_FORWARD,          /* send out[0..len) to dst */
	PROXY_REPLY,            /* send the response out[0..len) to dst */
	PROXY_PROBE_REPLY,      /* a reply to our probe: lb_reply_note(set, member, seq) */
};

enum proxy_target {
	PROXY_T_NONE,
	PROXY_T_ROUTE,          /* next Route value */
	PROXY_T_BINDING,        /* registered contact (its source address when NATed) */
	PROXY_T_RELAY,          /* the node holding the binding's socket (Request-URI kept) */
	PROXY_T_HOME,           /* federation: the user's home node (Request-URI kept) */
	PROXY_T_PATH,           /* first Path value of the binding */
	PROXY_T_RURI,           /* Request-URI (in-dialog, after our own Route) */
	PROXY_T_BACKEND,        /* member `member` of set `set` */
	PROXY_T_VIA,            /* responses: the next Via */
};

struct proxy_result {
	uint8_t action;         /* enum proxy_action */
	uint8_t target;         /* enum proxy_target */
	uint16_t status;        /* PROXY_REPLY: the status code */
	uint16_t drop;          /* PROXY_DROP: enum proxy_counter that counted it */
	int16_t member;         /* BACKEND, PROBE_REPLY: member index, else -1 */
	uint32_t set;           /* BACKEND, PROBE_REPLY: set id */
	uint32_t seq;           /* PROBE_REPLY: probe number */
	size_t len;             /* FORWARD, REPLY: bytes written to out */
	struct lb_addr dst;     /* FORWARD, REPLY: UDP destination */
	struct lb_addr from;    /* FORWARD: the source address when not the port's: a
				 * VIP held here, to a binding received on it or for a
				 * request whose Route of ours named it; family 0 */
};

/* Which way a request for a binding leaves (proxy_sock_path()). */
enum proxy_sock_path {
	PROXY_SOCK_DIRECT,      /* this node holds the socket: to the contact from here */
	PROXY_SOCK_RELAY,       /* another node, up, holds it: relay to binding.sock */
	PROXY_SOCK_FALLBACK,    /* its node is down or unknown: from here all the same */
	PROXY_SOCK_LOOP,        /* relayed to us, but not ours either: 480 */
};

/* One binding of a user of our domains, as the location lookup returns it. */
struct proxy_binding {
	struct lb_addr src;     /* where its REGISTER came from (NAT-facing address) */
	/* The socket: the node that received its REGISTER and where to relay to
	 * reach it (that node's SIP address; family 0: none known). sock_up: the
	 * topology view has sock_node up (the lookup fills it). */
	struct lb_addr sock;
	uint16_t sock_node;     /* 0: unknown (sent from here) */
	uint8_t sock_up;
	uint8_t sock_vip;       /* the socket is a VIP of a sharing tag: it follows the tag */
	uint8_t sock_held;      /* ... and the tag is active here (the lookup fills both) */
	uint16_t uri_len;       /* the Contact URI: the new Request-URI */
	uint16_t path_len;      /* ", "-joined Path values, 0: none */
	char uri[PROXY_URI_MAX];
	char path[PROXY_PATH_MAX];
};

/* Location lookup of the AoR "user@host" (as in the Request-URI) on the owning
 * shard: 1 with *out filled (the binding to use), 0 when the user has none,
 * -EAGAIN when it has none here yet but this node's registrations are not synced
 * (answered 480: the binding may exist in the cluster), < 0 on error. Runs on the
 * worker that calls proxy_request(). */
typedef int proxy_lookup_fn(void *arg, const char *aor, size_t len, struct proxy_binding *out);
/* Federation: the user has no binding here, its home is out->sock_node (its SIP
 * address in out->sock, family 0 when unknown; out->sock_up: up in our view). */
#define PROXY_LOOKUP_HOME 2

/* Is a (with the SIP port) a VIP of a sharing tag: 1 held here, 0 held by
 * another node or none, -1 not a VIP. Runs on the worker (its own view). */
typedef int proxy_vip_fn(void *arg, const struct lb_addr *a);

/* Read-only after proxy_conf_init(). */
struct proxy_conf {
	uint16_t port;                          /* sip.port */
	uint16_t node_id;                       /* node.id: whose sockets are ours */
	uint8_t record_route;
	uint8_t n_local;
	struct lb_addr local[PROXY_MAX_LOCAL];  /* every address of ours, port = sip.port */
	struct lb_addr adv[2];                  /* [0] IPv4, [1] IPv6: in our Via / RR */
	char adv_text[2][LB_ADDR_STR_MAX];      /* "198.18.0.1:5060", "[2001:db8::1]:5060" */
	uint8_t adv_len[2];
	int n_domains;
	char domains[CFG_MAX_DOMAINS][CFG_STR]; /* lower-case */
	uint16_t domain_len[CFG_MAX_DOMAINS];
	uint32_t default_set;
	const struct lb_sets *sets;             /* may be NULL: no backends */
	const struct lb_set *default_lb;        /* NULL: no such set (503) */
	uint64_t seed;                          /* branch hash key: our addresses */
	uint8_t fed_redirect;                   /* federation.route redirect: 302, not forward */
	uint16_t fed_home_down;                 /* federation.home_down: 480, 503 or 404 */
	uint8_t mac_on;                         /* mac_key set: SipHash MACs in branches */
	uint8_t n_allowed;
	uint8_t n_peers;
	struct cfg_cidr allowed[CFG_MAX_CIDRS]; /* proxy.allowed_destinations */
	struct lb_addr peers[CFG_MAX_NODES];    /* cluster.nodes with our SIP port */
	uint8_t mac_key[PROXY_MAC_KEY_LEN];     /* secret (proxy_conf_set_mac_key) */
};

/* Per lcore. */
struct proxy_worker {
	const struct proxy_conf *conf;
	proxy_lookup_fn *lookup;                /* NULL: every user is unknown (404) */
	void *lookup_arg;
	proxy_vip_fn *vip;                      /* NULL: no VIPs (proxy_worker_set_vip) */
	struct proxy_stats st;
	struct proxy_binding binding;           /* scratch of the lookup */
	const uint8_t *mac_key;                 /* conf->mac_key when MACs are on, else NULL */
};

#endif /* SIPSHARD_DATAPLANE_PROXY_PROXY_TYPES_H */
