/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the reliable per-peer replication stream (control/repl/cp_repl.h).
 *
 * One `struct cp_repl_peer` per peer holds both directions of the stream with
 * that peer: what this node sends it (a bounded retransmit ring of records) and
 * what it receives from it (the cumulative ack and a bitmap of the records that
 * arrived above it). Plain data, written only by the cp event loop through the
 * cp_repl_* functions; times are milliseconds of the caller's monotonic clock
 * (`now`), CP_REPL_NEVER marks "no timer".
 */
#ifndef SIPSHARD_CONTROL_REPL_CP_REPL_TYPES_H
#define SIPSHARD_CONTROL_REPL_CP_REPL_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/msg_types.h"

#define CP_REPL_NEVER           UINT64_MAX
#define CP_REPL_RX_WINDOW       4096u   /* sequences tracked above the cumulative ack */
#define CP_REPL_CAPACITY_MAX    (1u << 20)

/* Defaults of struct cp_repl_conf (cp_repl_conf_default()). */
#define CP_REPL_DEFAULT_CAPACITY     65536u    /* records (~0.2 s at 400 k changes/s) */
#define CP_REPL_DEFAULT_RING_BYTES   (8u << 20) /* their bytes: ~75 k records of ~110 B */
#define CP_REPL_RING_BYTES_MAX       (1u << 30)
#define CP_REPL_DEFAULT_RTO_MS       100u
#define CP_REPL_DEFAULT_RTO_MAX_MS   3200u
#define CP_REPL_DEFAULT_ACK_DELAY_MS 10u
#define CP_REPL_DEFAULT_ACK_EVERY    64u
#define CP_REPL_RETX_BURST           CP_REPL_RX_WINDOW   /* records sent again ahead of an ack, in recovery */
#define CP_REPL_DUPACKS              3u        /* acks that do not advance: the oldest is lost */
#define CP_REPL_PACK_OVERHEAD        40u       /* a pack message's framing around its records */

/* Counters of one peer's stream, both directions. X(name, help) */
#define CP_REPL_FOREACH_COUNTER(X) \
	X(tx_records,     "records sent for the first time") \
	X(tx_retransmits, "records sent again (recovery after a timeout or repeated acks)") \
	X(tx_fast_retx,   "recoveries begun by repeated acks, before the timeout") \
	X(tx_datagrams,   "Repl datagrams built (first sends and retransmits)") \
	X(tx_acked,       "records released by a cumulative ack") \
	X(tx_behind,      "times the peer fell behind (ring full of unacked records)") \
	X(tx_dropped,     "records not queued: the peer is behind (it needs a full sync)") \
	X(tx_too_big,     "records not queued: larger than one datagram of the budget") \
	X(tx_resets,      "sending stream restarted (new epoch)") \
	X(tx_acks,        "ReplAcks built") \
	X(rx_acks,        "ReplAcks accepted") \
	X(rx_stale_acks,  "ReplAcks of another stream or run, ignored") \
	X(rx_bad_acks,    "ReplAcks acking records never sent, ignored") \
	X(rx_records,     "records delivered to the caller") \
	X(rx_duplicates,  "records received again (already delivered)") \
	X(rx_gaps,        "Repl datagrams that arrived ahead of a missing one") \
	X(rx_beyond,      "records too far ahead of the cumulative ack, dropped") \
	X(rx_stale,       "Repl datagrams of an older stream or run, ignored") \
	X(rx_resets,      "receiving stream restarted (new epoch or sender run)") \
	X(restarts,       "peer restarts seen (new incarnation)")

enum cp_repl_counter {
#define CP_REPL_COUNTER_ENUM(name, help) CP_REPL_C_##name,
	CP_REPL_FOREACH_COUNTER(CP_REPL_COUNTER_ENUM)
#undef CP_REPL_COUNTER_ENUM
	CP_REPL_COUNTER_MAX
};

struct cp_repl_conf {
	uint16_t self_id;
	uint32_t cluster_id;
	uint64_t incarnation;           /* this node's run, != 0 */
	uint32_t capacity;              /* retransmit ring, records: MSG_REPL_MAX_RECS.. */
	uint32_t ring_bytes;            /* ... and its bytes: max_body..CP_REPL_RING_BYTES_MAX */
	uint32_t max_body;              /* datagram body bytes: MSG_REPL_BODY_MIN..MSG_MAX_BODY */
	uint32_t max_recs;              /* records per datagram: 1..MSG_PACK_MAX_RECS */
	uint32_t rto_ms;                /* first retransmit timeout */
	uint32_t rto_max_ms;            /* the timeout doubles up to this */
	uint32_t ack_delay_ms;          /* an ack leaves at most this long after a record */
	uint32_t ack_every;             /* ... or as soon as this many records are unacked */
};

/* Sending side: stream sequences [base, sent) are in flight, [sent, next) queued.
 * A timeout, or CP_REPL_DUPACKS acks in a row that do not advance base, starts a
 * recovery: [base, recover] goes again (go-back-N), at most CP_REPL_RETX_BURST
 * records ahead of base, until an ack passes recover. */
struct cp_repl_tx {
	uint32_t epoch;                 /* stream id with conf.incarnation; +1 per reset */
	bool behind;                    /* ring overflowed: nothing queued until reset */
	uint64_t base;                  /* oldest unacked sequence (acked = base - 1) */
	uint64_t sent;                  /* first sequence never sent */
	uint64_t next;                  /* sequence of the next record appended */
	uint64_t recover;               /* recovery until base passes it; 0: none */
	uint64_t retx;                  /* in recovery: next sequence to send again */
	uint32_t dupacks;               /* acks in a row that did not advance base */
	uint32_t rto;                   /* current timeout, ms */
	uint64_t rto_at;                /* when base is sent again; CP_REPL_NEVER */
	/* The unacked records, packed (reg_pack.h), back to back in a byte ring:
	 * sequence s at off[s % capacity], len[s % capacity] bytes; a record that
	 * does not fit before the end starts at 0 again. */
	uint8_t *buf;
	uint32_t buf_size;              /* conf.ring_bytes */
	uint32_t head;                  /* where the next record goes */
	uint32_t max_len;               /* the largest sendable record */
	uint32_t *off;
	uint64_t *at;                   /* when each was queued (ms): its lifetime ages */
	uint16_t *len;
};

/* Receiving side: the stream (incarnation, epoch) of the peer; every sequence up
 * to cum arrived; seen marks those in (cum, cum + CP_REPL_RX_WINDOW], bit s % W. */
struct cp_repl_rx {
	uint64_t incarnation;           /* 0: no stream yet */
	uint32_t epoch;
	uint64_t cum;
	uint32_t unacked;               /* records delivered since the last ack */
	bool ack_now;                   /* a duplicate came: the last ack was lost */
	uint64_t ack_at;                /* delayed ack deadline; CP_REPL_NEVER */
	uint64_t seen[CP_REPL_RX_WINDOW / 64];
};

struct cp_repl_peer {
	struct cp_repl_conf conf;
	uint16_t id;                    /* the peer */
	uint64_t incarnation;           /* its run as last seen; 0 = unknown */
	struct cp_repl_tx tx;
	struct cp_repl_rx rx;
	uint64_t counters[CP_REPL_COUNTER_MAX];
};

#endif /* SIPSHARD_CONTROL_REPL_CP_REPL_TYPES_H */
