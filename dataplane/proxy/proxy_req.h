/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy (RFC 3261 §16.11): one decision per message, no transaction
 * state, so any worker of any node can forward any message of a call.
 *
 * Requests, proxy_request(), in this order (first match decides):
 *   1. Malformed top Via, CSeq, Max-Forwards, Request-URI or Route: 400;
 *      Max-Forwards 0: 483 (§16.3.3); Proxy-Require: 420 (§16.3.5). From and
 *      To are not read for forwarding (they are copied as they are).
 *   2. Route (§16.4): when the Request-URI is a URI we put in a Record-Route
 *      (our address, no user, ;lr) a strict router preceded us: the last Route
 *      value becomes the Request-URI. Leading Route values that name us (our
 *      address and port, or one of sip.domains) are removed.
 *   3. Loop (§16.3.4): a Via with our sent-by whose branch carries the loop
 *      hash this request has now -> 482; with another loop hash it spirals.
 *   4. Next hop: the first remaining Route (loose: sent to its URI; without
 *      ;lr, a strict router (§16.6.6): it becomes the Request-URI and the old
 *      Request-URI the last Route value); else, for a user of sip.domains, the
 *      binding from the owning shard's lookup (Request-URI := Contact; sent to
 *      its Path when it has one, which is prepended as Route (RFC 3327); else
 *      to the Contact when its host is the address the REGISTER came from,
 *      else to that source address: NAT); none -> 404. The socket of a binding
 *      without Path (proxy_sock_path): a NATed phone takes packets only from
 *      the address it registered to, so when another node, up, received the
 *      REGISTER the request is relayed to that node's SIP address instead,
 *      Request-URI unchanged, our Via marked ;ss-relay; that node looks the
 *      binding up and sends from its socket. A relayed request is never relayed
 *      again: when the socket is not ours either, 480. Else, for an in-dialog
 *      request (To tag) that carried our own Route, its Request-URI when that
 *      is an IP address; else a member of proxy.default_set chosen by Call-ID
 *      (lb_select), 503 when none is up. A next hop named by hostname cannot
 *      be resolved here: the request goes to the backend set instead.
 *   5. The copy (§16.6): our Via on top, `SIP/2.0/UDP ADDR:PORT;branch=
 *      z9hG4bK-sss-<T>-<M>-<L>;rport`; the received top Via gets ;received= when
 *      the source differs from its sent-by or it has ;rport, and ;rport=PORT
 *      for a valueless rport (RFC 3581); Max-Forwards decremented (70 when
 *      absent); Record-Route <sip:ADDR:PORT;lr> first when proxy.record_route;
 *      Route rewritten as above; every other field and the body copied as
 *      received (Content-Length untouched: the body is not changed).
 *
 * Branch. T (16 hex) identifies the transaction: with an RFC 3261 top branch
 * (magic cookie) it is a hash of that branch and the top Via sent-by; without
 * one (RFC 2543) of the top via-parm, From tag, Call-ID, CSeq number and
 * Request-URI. L (16 hex) is the loop hash: Request-URI, From tag, Call-ID,
 * CSeq number, Route, Proxy-Require, Proxy-Authorization as received. Neither
 * contains the CSeq method nor the To tag, and a CANCEL or an ACK for a non-2xx
 * response carries the INVITE's top branch, Request-URI and Route (§9.1,
 * §17.1.1.3): they get the INVITE's branch, as do retransmissions. The hash key
 * is our advertised addresses. M (16 hex) is a MAC of T and L: SipHash-2-4
 * (libcrypto EVP_MAC, one context per worker keyed at start) with the key of
 * proxy_conf_set_mac_key() (the dataplane derives it from the cluster key, or
 * draws it at boot); without a key, an unkeyed hash (unit tests).
 *
 * Responses, proxy_response(): the top Via must be ours (sent-by one of our
 * addresses with our port, branch with our prefix) else drop (counted); its M
 * must be the MAC of its T, L and the destination the response would go to
 * (so it goes only to whoever sent the request), and, when the next Via has an RFC 3261
 * branch, T must be the transaction hash of that Via, else drop
 * (response_bad_mac): a response is relayed only for a request we forwarded,
 * to the Via that request came with. A
 * probe branch (z9hG4bK-sssp-) is a reply to lb_prober: PROXY_PROBE_REPLY. Else
 * the top via-parm is removed and the response goes to the next Via: its
 * received address (else its sent-by, which must be an IP address) and its
 * rport (else its port, else 5060). Broadcast, multicast, loopback: drop.
 *
 * Replies we make (400, 404, 420, 482, 483, 500, 503) are built by sip_reply:
 * every Via (the top one with received/rport), From, To with a tag, Call-ID,
 * CSeq, Content-Length; they go to the source address, to the source port when
 * the top Via has rport, else its sent-by port. An ACK is never answered, nor a
 * request whose Via, From, To, Call-ID or CSeq is malformed (a response would
 * copy it): those are dropped and counted, so every reply is valid SIP.
 *
 * Threads and memory: proxy_conf_init() on the main lcore; proxy_request() and
 * proxy_response() on any worker, with that worker's proxy_worker (counters)
 * and lookup. They read the parsed message (its buffer must stay valid) and
 * write at most `cap` octets into `out`, which must not overlap it; no
 * allocation, no lock, no system call, no logging; every loop is bounded by
 * the message. The destination is in res->dst; sending is the caller's.
 */
#ifndef SIPSHARD_DATAPLANE_PROXY_PROXY_REQ_H
#define SIPSHARD_DATAPLANE_PROXY_PROXY_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg_types.h"
#include "dataplane/proxy/proxy_types.h"
#include "dataplane/sip/sip_types.h"

/* ---- main lcore ---- */

/* Our addresses (every port's IPv4/IPv6 with sip.port), domains, proxy.* keys;
 * sets may be NULL (no backends). 0, or -EINVAL with a message in err. */
int proxy_conf_init(struct proxy_conf *pc, const struct cfg *c, const struct lb_sets *sets,
		    char *err, size_t errlen);

/* The branch MAC key (before any proxy_worker_init()). */
void proxy_conf_set_mac_key(struct proxy_conf *pc, const uint8_t key[PROXY_MAC_KEY_LEN]);

void proxy_worker_init(struct proxy_worker *w, const struct proxy_conf *pc,
		       proxy_lookup_fn *lookup, void *lookup_arg);

/* The VIP view of this worker (lookup_arg is its argument): a Route of ours,
 * a Via of ours may name a VIP held here; a request routed by such a Route
 * leaves from the VIP, and a request sent from a VIP names it in our Via and
 * Record-Route. */
void proxy_worker_set_vip(struct proxy_worker *w, proxy_vip_fn *vip);

/* Frees what proxy_worker_init() allocated (the MAC context); w may be re-inited. */
void proxy_worker_fini(struct proxy_worker *w);

/* ---- worker lcores ---- */

/* Does this request need the location service? Returns the length of the AoR
 * "user@host" written to aor (its owning shard must run proxy_request()), 0
 * when any worker can handle it, -1 when it is malformed (any worker answers). */
int proxy_request_aor(const struct proxy_worker *w, const struct sip_msg *m, char *aor,
		      size_t cap);

/* Decide for one parsed request (sip_msg_parse() == 0) that came from src.
 * Returns res->action: FORWARD (out[0..res->len) to res->dst), REPLY (the
 * response out[0..res->len) to res->dst) or DROP (res->drop says why). Size out
 * m->len + PROXY_GROWTH for a forward; a reply copies the Vias. */
int proxy_request(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
		  char *out, size_t cap, struct proxy_result *res);

/* Decide for one parsed response: FORWARD (out[0..res->len), top Via removed,
 * to res->dst), PROBE_REPLY (res->set, res->member, res->seq) or DROP. src is
 * where it came from (probe replies must come from the member). */
int proxy_response(struct proxy_worker *w, const struct sip_msg *m, const struct lb_addr *src,
		   char *out, size_t cap, struct proxy_result *res);

/* Start of proxy_request() / proxy_response(): nothing decided yet. */
static inline void
proxy_result_init(struct proxy_result *res, uint16_t status)
{
	res->action = PROXY_DROP;
	res->target = PROXY_T_NONE;
	res->status = status;
	res->drop = 0;
	res->member = -1;
	res->set = 0;
	res->seq = 0;
	res->len = 0;
	res->from.family = 0;
}

/* Count drop reason `why` on w and make res that drop; returns PROXY_DROP. */
static inline int
proxy_result_drop(struct proxy_worker *w, struct proxy_result *res, enum proxy_counter why)
{
	w->st.c[why]++;
	res->action = PROXY_DROP;
	res->drop = (uint16_t)why;
	res->len = 0;
	return PROXY_DROP;
}

/* ---- any thread ---- */

const char *proxy_counter_name(enum proxy_counter c);   /* "forwarded_requests" */
const char *proxy_counter_help(enum proxy_counter c);

/* Which way a request for binding b leaves: DIRECT when this node holds its
 * socket (b->sock_node is us or unknown, or b->sock is one of our addresses),
 * else LOOP when the request was relayed to us already (relayed != 0), else
 * RELAY to b->sock when its node is up (b->sock_up) with an address known, else
 * FALLBACK (from here: the node is down, nothing better to do). Pure. */
enum proxy_sock_path proxy_sock_path(const struct proxy_conf *pc,
				     const struct proxy_binding *b, int relayed);

/* The transaction hash T of a via-parm with an RFC 3261 branch (the top Via
 * of a request we forward; the next Via of its response). */
uint64_t proxy_txn_hash_3261(const struct proxy_conf *pc, const struct sip_via *v);

/* M of our branch: the MAC of T, L and dst (where the response goes: the
 * request's source address, at its rport or sent-by port) with w's key. */
uint64_t proxy_branch_mac(struct proxy_worker *w, uint64_t t, uint64_t l,
			  const struct lb_addr *dst);

/* d may be named by a Route or an in-dialog Request-URI: a backend member, a
 * cluster peer, or inside proxy.allowed_destinations (no open relay). */
int proxy_dest_allowed(const struct proxy_conf *pc, const struct lb_addr *d);

/* a (with port) is one of our addresses with our SIP port. */
int proxy_is_local(const struct proxy_conf *pc, const struct lb_addr *a);

/* The same, or a VIP held here (w's VIP view) with our SIP port. */
int proxy_addr_is_ours(const struct proxy_worker *w, const struct lb_addr *a);

#endif /* SIPSHARD_DATAPLANE_PROXY_PROXY_REQ_H */
