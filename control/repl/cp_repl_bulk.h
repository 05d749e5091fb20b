/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The full-sync channel: reliable delivery of SyncChunk datagrams from a donor
 * to one peer, beside the record stream (cp_repl.h), which keeps carrying the
 * live changes meanwhile.
 *
 * A chunk is already-encoded records (the registrar's pack encoding,
 * dataplane/registrar/reg_pack.h), cut by the sender at record boundaries to fit
 * one datagram. Chunks are numbered from 1 within (sender incarnation, epoch);
 * each full sync opens a new epoch (cp_bulk_tx_begin()).
 *   Sender: cp_bulk_tx_add() keeps a copy of each chunk in a window of
 *   CP_BULK_WINDOW until a cumulative ack covers it; cp_bulk_tx_poll() sends the
 *   retransmissions due, then the new chunks. A chunk goes again when the
 *   timeout expires (the CP_BULK_RETX_BURST oldest unacked ones; the timeout
 *   doubles from rto_ms up to CP_BULK_RTO_MAX_MS, back to rto_ms when an ack
 *   advances) or when CP_BULK_DUPACKS acks in a row do not advance while later
 *   chunks are out (the oldest one only: fast retransmit). A chunk's age (ms
 *   since its records' lifetimes were read) travels with every sending of it,
 *   so that a late retransmission never lengthens a binding.
 *   Receiver: cp_bulk_rx_on_chunk() says whether to deliver a chunk: the first
 *   time it arrives within the window above the cumulative ack, in any order
 *   (versions make the order of records irrelevant), never twice within an
 *   epoch. The ack (cumulative) is due at once after a duplicate or a chunk out
 *   of order (the sender's fast retransmit), after CP_BULK_ACK_EVERY chunks, and
 *   CP_BULK_ACK_DELAY_MS after the first unacked one. A newer (incarnation,
 *   epoch) starts the receiver over; an older one is refused (-ESTALE).
 *
 * Purity: functions of (state, input, now); the only allocation is the
 * window's memory in cp_bulk_tx_init(). Single writer: the cp event loop.
 */
#ifndef SIPSHARD_CONTROL_REPL_CP_REPL_BULK_H
#define SIPSHARD_CONTROL_REPL_CP_REPL_BULK_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/msg_types.h"

/* Chunks sent and not acked, at most. A dump answer (DP_SYNC_OUT) needs up to
 * 96 free slots of 1,400 bytes before it is asked for; 1,024 keeps about ten
 * answers in flight, 1.4 MB per peer at MTU 1500 (9 MB with jumbo frames),
 * touched only as a sync uses it. */
#define CP_BULK_WINDOW       1024u
#define CP_BULK_RETX_BURST   32u      /* chunks sent again per timeout */
#define CP_BULK_DUPACKS      3u
#define CP_BULK_RTO_MS       20u
#define CP_BULK_RTO_MAX_MS   1000u
#define CP_BULK_ACK_EVERY    16u
#define CP_BULK_ACK_DELAY_MS 2u
#define CP_BULK_NEVER        UINT64_MAX

#define CP_BULK_FOREACH_COUNTER(X) \
	X(sync_chunks_sent,    "sync chunks sent (first time)") \
	X(sync_chunks_resent,  "sync chunks sent again (timeout or fast retransmit)") \
	X(sync_timeouts,       "sync channel timeouts") \
	X(sync_acks_rx,        "sync chunk acks received") \
	X(sync_acks_stale,     "sync chunk acks of another epoch or run") \
	X(sync_chunks_rx,      "sync chunks delivered") \
	X(sync_chunks_dup,     "sync chunks received twice (dropped)") \
	X(sync_chunks_ahead,   "sync chunks beyond the window (dropped)") \
	X(sync_chunks_stale,   "sync chunks of an older epoch or run (dropped)") \
	X(sync_acks_tx,        "sync chunk acks sent")

enum cp_bulk_counter {
#define CP_BULK_ENUM(n, h) CP_BULK_C_##n,
	CP_BULK_FOREACH_COUNTER(CP_BULK_ENUM)
#undef CP_BULK_ENUM
	CP_BULK_COUNTER_MAX
};

struct cp_bulk_slot {
	uint64_t made_ms;               /* when its records' lifetimes were read */
	uint32_t count;                 /* records */
	uint32_t len;                   /* bytes */
	uint8_t *data;                  /* cap bytes of the window's memory */
};

struct cp_bulk_tx {
	uint32_t epoch;                 /* 0 before the first cp_bulk_tx_begin() */
	uint32_t cap;                   /* bytes a chunk may carry */
	uint64_t base;                  /* oldest unacked chunk */
	uint64_t sent;                  /* next chunk to send for the first time */
	uint64_t next;                  /* next chunk to add */
	uint64_t retx, retx_end;        /* chunks [retx, retx_end) to send again */
	uint64_t rto_at;                /* CP_BULK_NEVER: nothing out */
	uint32_t rto_ms;
	uint32_t dupacks;
	uint8_t *mem;                   /* CP_BULK_WINDOW x cap */
	struct cp_bulk_slot slot[CP_BULK_WINDOW];
	uint64_t *counters;             /* CP_BULK_COUNTER_MAX, shared with the rx side */
};

struct cp_bulk_rx {
	uint64_t incarnation;           /* sender's run of the current epoch; 0: none yet */
	uint32_t epoch;
	uint64_t cum;                   /* every chunk up to it arrived */
	uint32_t unacked;               /* delivered since the last ack */
	bool ack_now;
	uint64_t ack_at;                /* CP_BULK_NEVER: no ack due */
	uint8_t have[CP_BULK_WINDOW];   /* chunk seq arrived, indexed seq % WINDOW (above cum) */
	uint64_t *counters;
};

/* CAP bytes per chunk (1..MSG_PACK_MAX): 0, or -EINVAL, -ENOMEM. COUNTERS:
 * CP_BULK_COUNTER_MAX values the tx and rx sides add to. */
int cp_bulk_tx_init(struct cp_bulk_tx *tx, uint32_t cap, uint64_t *counters);
void cp_bulk_tx_free(struct cp_bulk_tx *tx);

/* A new full sync: a new epoch, the window emptied. */
void cp_bulk_tx_begin(struct cp_bulk_tx *tx);

/* The peer is back: unacked chunks go again at the next poll. */
void cp_bulk_tx_kick(struct cp_bulk_tx *tx, uint64_t now);

/* Chunks that can still be added. */
uint32_t cp_bulk_tx_room(const struct cp_bulk_tx *tx);

/* Every chunk added has been acked. */
bool cp_bulk_tx_idle(const struct cp_bulk_tx *tx);

/* Queue a copy of a chunk (LEN bytes, COUNT records) whose lifetimes were read
 * at MADE_MS: 0; -ENOBUFS (window full), -EINVAL (len 0 or over cap, count 0, no
 * epoch begun). */
int cp_bulk_tx_add(struct cp_bulk_tx *tx, const uint8_t *data, uint32_t len, uint32_t count,
		   uint64_t made_ms);

/* The next chunk to send into *OUT (epoch, seq, age_ms, count, len, data): 1, or
 * 0 when none is due. Call until 0. */
int cp_bulk_tx_poll(struct cp_bulk_tx *tx, uint64_t now, struct msg_pack *out);

/* A cumulative ack CUM of EPOCH: 0; -ESTALE (another epoch), -EINVAL (acks a
 * chunk never sent). */
int cp_bulk_tx_on_ack(struct cp_bulk_tx *tx, uint32_t epoch, uint64_t cum, uint64_t now);

/* Earliest time cp_bulk_tx_poll() has something to do: 0 when chunks wait to
 * be sent, CP_BULK_NEVER when nothing is out. */
uint64_t cp_bulk_tx_next_at(const struct cp_bulk_tx *tx);

void cp_bulk_rx_init(struct cp_bulk_rx *rx, uint64_t *counters);

/* Chunk SEQ of (INCARNATION, EPOCH) arrived: 1 deliver it; 0 already had
 * (dropped); -ESTALE (an older epoch or run), -ENOSPC (beyond the window: it
 * comes again). Call it only when the chunk can be delivered. */
int cp_bulk_rx_on_chunk(struct cp_bulk_rx *rx, uint64_t incarnation, uint32_t epoch,
			uint64_t seq, uint64_t now);

/* The ack due into *ACK (stream_incarnation, epoch, cum_seq): 1, or 0. */
int cp_bulk_rx_poll(struct cp_bulk_rx *rx, uint64_t now, struct msg_repl_ack *ack);

const char *cp_bulk_counter_name(unsigned int counter);

#endif /* SIPSHARD_CONTROL_REPL_CP_REPL_BULK_H */
