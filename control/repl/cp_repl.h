/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registration replication: the record order and the reliable
 * per-peer stream of records (used by control/repl/cp_repl_node, the node glue).
 *
 * Version order and hybrid clock: proto/msg_version.h (msg_version_cmp(),
 * msg_clock_next(), msg_clock_seen()), shared with the shards, which stamp the
 * versions. A record is applied only when it is above what is held (the
 * registrar's Call-ID/CSeq rule is the registrar's, applied after this).
 *
 * Stream. Each direction of each peer pair is a stream of records, identified by
 * (sender incarnation, epoch) and numbered from 1.
 *   Sender: cp_repl_tx_append() gives each record the next sequence and keeps it
 *   in a ring of conf.capacity records (their packed bytes) until a cumulative ack covers it; a
 *   record's lifetime ages while it waits there (each datagram carries what is
 *   left, so a late retransmission does not lengthen the binding).
 *   cp_repl_tx_poll() builds the ReplPack datagrams: first, in recovery, records
 *   sent again; else the queued records, as many per datagram as fit
 *   conf.max_body bytes of body (MSG_PACK_MAX_RECS at most), back to back. Recovery (go-back-N): when the
 *   timeout expires, or CP_REPL_DUPACKS acks in a row do not advance (the peer
 *   keeps receiving, not the oldest: fast retransmit), every record sent so far goes again from the oldest
 *   unacked one, at most CP_REPL_RETX_BURST records ahead of it (more as acks
 *   advance), until an ack covers what was sent before the timeout; the timeout
 *   doubles from rto_ms up to rto_max_ms and is back to rto_ms whenever an ack
 *   advances. (One datagram per timeout, as before, took a timeout per lost
 *   datagram: a window lost at once took minutes to recover.)
 *   A record that finds the ring full of unacked records makes the peer *behind*: the ring is emptied, nothing is queued for it any more (counted as
 *   tx_dropped), and the caller arranges a full sync; cp_repl_tx_reset() (call it
 *   when that sync begins, so that later changes flow again) opens a new epoch.
 *   Receiver: cp_repl_on_repl() delivers every record of the current stream the
 *   first time it arrives, in arrival order, not stream order (a record behind a
 *   gap is delivered at once: versions make the order irrelevant), and never
 *   twice within a stream; across a new epoch or a sender restart a record may
 *   be delivered again (at-least-once overall): applying is idempotent by version.
 *   Records more than CP_REPL_RX_WINDOW ahead of the cumulative ack are dropped
 *   and come back by retransmission. The ack (ReplAck: cumulative sequence and
 *   the stream it is for) leaves from cp_repl_rx_poll() at most ack_delay_ms
 *   after the first unacked record, at once after ack_every records, after a
 *   duplicate (the previous ack was lost) and when a record filled a gap (the
 *   sender, in recovery, waits on that ack).
 *   A new incarnation of the peer (seen on its ReplPack or ReplAck, or told by
 *   cp_repl_peer_restart() from cp_topo's "restarted" event) resets both
 *   directions: the old run's records are gone, the peer needs a full sync.
 *
 * Purity. Functions of (peer, input, now): no clock, no I/O, no logging; the
 * only allocation is the ring in cp_repl_peer_create(). Built messages have
 * type, cluster id, sender and incarnation set and hdr.seq = 0: the caller stamps
 * the node's datagram sequence, encodes (msg_encode) and sends. The cp loop:
 *     change: for each up peer: cp_repl_tx_append()   (-ENOBUFS: needs a full sync)
 *     rx:     ReplPack -> cp_repl_on_repl() -> apply the records idx[i] of m.u.pack
 *             ReplAck -> cp_repl_on_ack()
 *     tick:   while (cp_repl_tx_poll()) send; if (cp_repl_rx_poll()) send
 * Single writer: the cp event loop thread.
 */
#ifndef SIPSHARD_CONTROL_REPL_CP_REPL_H
#define SIPSHARD_CONTROL_REPL_CP_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "control/repl/cp_repl_types.h"
#include "proto/msg_types.h"
#include "proto/msg_version.h"

/* ---- version order ---- */

/* msg_version_cmp() (proto/msg_version.h) of two records of one binding
 * (flags MSG_REC_F_TOMBSTONE). */
int cp_repl_rec_cmp(const struct msg_rec *a, const struct msg_rec *b);

/* ---- stream ---- */

/* The header of a message to P's peer: TYPE, cluster id, sender and incarnation
 * (hdr.seq 0: the caller stamps it). */
void cp_repl_msg_hdr(const struct cp_repl_peer *p, struct msg *out, uint8_t type);

/* Defaults (CP_REPL_DEFAULT_*) with the given identity. */
void cp_repl_conf_default(struct cp_repl_conf *conf, uint16_t self_id,
			  uint32_t cluster_id, uint64_t incarnation);

/* A stream pair with peer PEER_ID, epoch 1, nothing queued; NULL and errno
 * EINVAL (ids 0 or equal, incarnation 0, capacity outside MSG_REPL_MAX_RECS..
 * CP_REPL_CAPACITY_MAX, max_body outside MSG_REPL_BODY_MIN..MSG_MAX_BODY, rto 0
 * or above rto_max, ack_every 0) or ENOMEM. */
struct cp_repl_peer *cp_repl_peer_create(const struct cp_repl_conf *conf, uint16_t peer_id);
void cp_repl_peer_free(struct cp_repl_peer *p);

/* The peer runs as INCARNATION (from cp_topo). A new one (above a known one)
 * resets both directions and counts a restart; the first one is just learned. */
void cp_repl_peer_restart(struct cp_repl_peer *p, uint64_t incarnation);

/* Queue a copy of record REC (LEN bytes of the registrar's pack encoding,
 * dataplane/registrar/reg_pack.h), made at NOW. A record's lifetime counts from
 * then: every datagram that carries it later (the first, a retransmission)
 * carries what is left of it, at least 1 s. 0; -EINVAL (not one well-framed
 * record: not queued); -E2BIG (alone over a datagram of conf.max_body: never
 * sendable, not queued); -ENOBUFS (the peer is, or just became, behind). */
int cp_repl_tx_append(struct cp_repl_peer *p, const uint8_t *rec, size_t len, uint64_t now);

/* The peer is back (its link up again): records unacked go again at the next
 * poll, from the first timeout (not the one doubled while it was away). */
void cp_repl_tx_kick(struct cp_repl_peer *p, uint64_t now);

/* Records that can still be appended before the peer falls behind (a full sync
 * paces itself on this). 0 when behind. */
uint32_t cp_repl_tx_room(const struct cp_repl_peer *p);

/* Records appended and not yet acked. */
uint32_t cp_repl_tx_unacked(const struct cp_repl_peer *p);

bool cp_repl_tx_behind(const struct cp_repl_peer *p);

/* The peer was resynced (its full sync starts now): empty ring, new epoch, not
 * behind. */
void cp_repl_tx_reset(struct cp_repl_peer *p);

/* One ReplPack to send into *OUT: 1, or 0 when nothing is due. Call until 0. */
int cp_repl_tx_poll(struct cp_repl_peer *p, uint64_t now, struct msg *out);

/* A decoded ReplAck from this peer. 0 (taken, maybe old), -ESTALE (another
 * stream or an older run of the peer), -EINVAL (acks what was never sent, or
 * not a ReplAck of this peer). */
int cp_repl_on_ack(struct cp_repl_peer *p, const struct msg *m, uint64_t now);

/* A decoded ReplPack (or Repl, from a node of an older release) from this
 * peer. Returns how many of its records to apply and their indexes (the i-th
 * record of m->u.pack, or of m->u.repl.recs) in IDX (MSG_PACK_MAX_RECS
 * entries), or -ESTALE (older stream or run: nothing to apply), -EINVAL (not
 * one of this peer). */
int cp_repl_on_repl(struct cp_repl_peer *p, const struct msg *m, uint64_t now,
		    uint16_t *idx);

/* The ReplAck to send into *OUT: 1, or 0 when none is due. */
int cp_repl_rx_poll(struct cp_repl_peer *p, uint64_t now, struct msg *out);

/* Earliest time a poll has something to do (retransmit or ack), CP_REPL_NEVER
 * when nothing is pending; queued records make it "now" (0). */
uint64_t cp_repl_next_at(const struct cp_repl_peer *p);

const char *cp_repl_counter_name(unsigned int counter);
const char *cp_repl_counter_help(unsigned int counter);

#endif /* SIPSHARD_CONTROL_REPL_CP_REPL_H */
