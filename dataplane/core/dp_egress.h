/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress: every packet the node sends, and every packet one lcore hands another.
 *
 * Route and next hop: a destination goes out of the port whose IPv4 subnet holds
 * it, else port 0; its MAC comes from the sending lcore's own neighbour table
 * (dp_neigh). A miss sends a broadcast ARP request (built here, at most one per
 * address per retry interval) and the packet is dropped, NEIGH_MISS: SIP over UDP
 * and the cluster heartbeats are resent. IPv6 next hops are not resolved
 * (NEIGH_MISS); replies go back to the MAC and port a request came from.
 *
 * One L2-L4 builder (Ethernet, IPv4 or IPv6, UDP, checksums in software) for
 * SIP replies, forwarded messages, backend probes and the control plane's
 * datagrams. Fragmentation: a datagram whose IP packet exceeds the port MTU
 * leaves as IPv4 or IPv6 fragments of at most the MTU (rte_ipv4_fragment_packet,
 * rte_ipv6_fragment_packet: a header mbuf and an indirect mbuf per fragment, from
 * the packet pool; counters ip_fragmented, frags_sent; no mbuf: FRAG_NO_MBUF); only
 * a datagram over what IP or the mbuf carries is dropped (the caller's TOO_BIG
 * reason). DF policy (IPv4): DF is never set. Our own packets fit our MTU; a
 * router on a narrower path may fragment them again, and the peer reassembles
 * (as we do). With DF set, such a path would need ICMP "fragmentation needed",
 * which we do not process, so large SIP messages would vanish silently. IPv4 ids
 * come from a per-lcore counter; lcores start apart (dp_egress_init).
 *
 * Batching: packets wait in the lcore's per-port TX array and leave in bursts on
 * the lcore's own TX queue of that port (queue i for worker i, the control queue
 * for the control lcore); packets for another lcore wait in a per-destination
 * array and cross its SPSC steering ring with rte_ring_sp_enqueue_burst. Both
 * leave when an array is full or at dp_egress_flush(), which the loop calls after
 * each stage. What a TX queue refuses is freed and counted TX_FULL, what a ring
 * refuses STEER_RING_FULL. Only the owning lcore touches its arrays and table.
 *
 * Control-plane datagrams: sipshard-cp puts an mbuf holding the UDP payload and a
 * struct dp_egress_desc (dp_mbuf.h) on ss_from_cp; the control lcore hands each
 * to dp_egress_cp_send(), which resolves the MAC in its own table and queues the
 * frame on the control queue of the port the descriptor names.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_EGRESS_H
#define SIPSHARD_DATAPLANE_CORE_DP_EGRESS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_types.h"

/* ---- main thread, before the lcores start ---- */

/* Per-lcore egress state (IPv4 id counters start apart on each lcore). */
void dp_egress_init(struct dp_lcore *lc);

/* ---- any thread ---- */

/* The port whose IPv6 prefix holds dst (else the first port with IPv6, else
 * port 0): where a packet to dst leaves. */
uint16_t dp_egress_port6(const struct dp_ctx *ctx, const uint8_t dst[16]);

/* ---- worker lcore (and the control lcore) ---- */

/* Queue a finished frame m for port port_idx (in-place ARP/ICMP/ND replies). */
void dp_egress_tx(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf *m);

/* Queue a whole frame m (Ethernet, IP, UDP) we built for port port_idx, as IP
 * fragments when it exceeds the port MTU (a frame held for ARP, released). */
void dp_egress_frame_tx(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf *m);

/* Hand m (a SIP datagram with its dp_pkt_info) to lcore dst; marks it steered. */
void dp_egress_steer(struct dp_lcore *lc, uint16_t dst, struct rte_mbuf *m);

/* Hand m, received by the control lcore and not looked at yet, to worker dst:
 * not marked steered, so the worker counts, rate-limits and parses it as its own. */
void dp_egress_handoff(struct dp_lcore *lc, uint16_t dst, struct rte_mbuf *m);

/* An ARP reply this lcore received and learnt (DP_PKT_NEIGH): one reference to
 * every other packet lcore (workers and the control lcore), marked neigh_only,
 * so each learns it in its own table (dp_neigh_input). */
void dp_egress_fanout(struct dp_lcore *lc, struct rte_mbuf *m);

/* Send what waits: every port's TX array, every steering array. */
void dp_egress_flush(struct dp_lcore *lc);

/* MAC of ip (network order) on port port_idx from this lcore's table: 0, or
 * -EAGAIN (unknown, an ARP request was queued) / -ENOENT (unknown, asked
 * recently). A stale hit is returned and refreshed by an ARP request. */
int dp_egress_neigh_resolve(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip,
			    struct rte_ether_addr *mac);
/* The same for a neighbour table key (dp_neigh_key4, or an IPv6 address: then a
 * neighbour solicitation is what is queued, counted nd_requests). */
int dp_egress_neigh_resolve_key(struct dp_lcore *lc, uint16_t port_idx, const uint8_t key[16],
				struct rte_ether_addr *mac);

/* Every DP_NEIGH_RETRY_MS while frames are held: drop the expired, ask again
 * for the rest (dp_neigh_sweep). Each loop pass. */
void dp_egress_neigh_sweep(struct dp_lcore *lc);

/* Keep addr (IPv4 in 4 bytes or IPv6, network order, routed as a packet to it
 * would be) in this lcore's neighbour table: an ARP request or a neighbour
 * solicitation when it is unknown or stale (so that the first packet to a
 * backend another node probes is not a NEIGH_MISS). */
void dp_egress_neigh_warm(struct dp_lcore *lc, uint8_t family, const uint8_t *addr);

/* A gratuitous ARP for ip (network order: a VIP this node just claimed) on port
 * port_idx: a broadcast request with sender = target = ip and our MAC, which
 * updates the neighbour caches of the segment. 0, or -ENOBUFS. */
int dp_egress_garp(struct dp_lcore *lc, uint16_t port_idx, rte_be32_t ip);

/* Its IPv6 counterpart (RFC 4861 §7.2.6) for addr (an IPv6 VIP this node just
 * claimed) on port port_idx: an unsolicited neighbour advertisement from addr
 * to ff02::1, Override set, Solicited clear, target addr with our MAC in the
 * target link-layer address option (counted una_sent). 0, or -ENOBUFS (no
 * mbuf, or the port has no IPv6). */
int dp_egress_una(struct dp_lcore *lc, uint16_t port_idx, const uint8_t addr[16]);

/* UDP payload[0..len) back to the sender of m (its port and MAC, addresses
 * swapped), from the port it was sent to, to port dport. m is reused when the
 * frame fits its first segment (the payload must not be in m), else freed and
 * a fresh mbuf taken. Returns 0, or -1 with the packet freed and counted
 * under too_big / no_mbuf. */
int dp_egress_udp_reply(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t dport,
			const char *payload, size_t len, enum dp_drop too_big,
			enum dp_drop no_mbuf);

/* UDP payload[0..len) from our address on the routed port and sport to
 * addr:dport (family 4; 6 is counted NEIGH_MISS). m (may be NULL) is reused or
 * freed as for dp_egress_udp_reply; drops count FWD_TOO_BIG / FWD_NO_MBUF /
 * NEIGH_MISS. Forwarded SIP messages and probes. With hold, a frame for a
 * neighbour being resolved is held until it answers (dp_neigh_hold: 0 is
 * returned); without, it is dropped (NEIGH_MISS, -1: the caller retries). */
int dp_egress_udp_to(struct dp_lcore *lc, struct rte_mbuf *m, uint8_t family,
		     const uint8_t *addr, uint16_t sport, uint16_t dport, const char *payload,
		     size_t len, bool hold);

/* The same from the source address src (family's length, network order) instead
 * of the port's: a VIP held here, for a binding received on it (its NAT takes
 * packets from that address only). NULL: the port's address. */
int dp_egress_udp_from(struct dp_lcore *lc, struct rte_mbuf *m, uint8_t family,
		       const uint8_t *src, const uint8_t *addr, uint16_t sport, uint16_t dport,
		       const char *payload, size_t len, bool hold);

/* The SIP reply lc->reply[0..len) to the request in m (parsed in lc->msg): to
 * its source address, on the port and to the MAC it came from, to the port RFC
 * 3261 §18.2.2 / RFC 3581 name (source port with ;rport, else the Via sent-by
 * port, else 5060). Counted by class (status) when queued; drops count
 * SIP_REPLY_TOO_BIG / SIP_REPLY_NO_MBUF. m is consumed. */
int dp_egress_sip_reply(struct dp_lcore *lc, struct rte_mbuf *m, size_t len,
			unsigned int status);

/* The same to UDP port dport, when the caller has the request's top Via parsed
 * already: dport = dp_egress_reply_port(top, source port) (the source port when
 * top is NULL: no readable Via). */
int dp_egress_sip_reply_to(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t dport, size_t len,
			   unsigned int status);
uint16_t dp_egress_reply_port(const struct sip_via *top, uint16_t src_port);

/* A reply built from the request alone (errors, OPTIONS to us), with
 * received=/rport= in its top Via, sent as dp_egress_sip_reply. -ENOMSG when none
 * can be built (no usable Via, too long): m is then left to the caller. */
int dp_egress_sip_error(struct dp_lcore *lc, struct rte_mbuf *m, unsigned int status);

/* ---- control lcore ---- */

/* A datagram from the control plane (payload in m, struct dp_egress_desc in its
 * private area): built and queued on the control queue of the port the
 * descriptor names. Drops: CP_TX_NO_QUEUE, NEIGH_MISS, CP_TX_TOO_BIG. */
void dp_egress_cp_send(struct dp_lcore *lc, struct rte_mbuf *m);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_EGRESS_H */
