/* SPDX-License-Identifier: BSD-3-Clause */
/* Record order and the reliable per-peer stream. See cp_repl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/repl/cp_repl.h"
#include "dataplane/registrar/reg_pack.h"
#include "proto/msg_codec.h"

static const char *const cp_repl_counter_names[CP_REPL_COUNTER_MAX] = {
#define CP_REPL_COUNTER_NAME(name, help) [CP_REPL_C_##name] = #name,
	CP_REPL_FOREACH_COUNTER(CP_REPL_COUNTER_NAME)
#undef CP_REPL_COUNTER_NAME
};

static const char *const cp_repl_counter_helps[CP_REPL_COUNTER_MAX] = {
#define CP_REPL_COUNTER_HELP(name, help) [CP_REPL_C_##name] = help,
	CP_REPL_FOREACH_COUNTER(CP_REPL_COUNTER_HELP)
#undef CP_REPL_COUNTER_HELP
};

#define CP_REPL_COUNT(p, name, n) ((p)->counters[CP_REPL_C_##name] += (n))

/* ---- stream: helpers ---- */

void
cp_repl_msg_hdr(const struct cp_repl_peer *p, struct msg *out, uint8_t type)
{
	memset(&out->hdr, 0, sizeof(out->hdr));
	out->hdr.type = type;
	out->hdr.cluster_id = p->conf.cluster_id;
	out->hdr.sender = p->conf.self_id;
	out->hdr.incarnation = p->conf.incarnation;
	out->src_addr = 0;
	out->src_port = 0;
}

static void
cp_repl_tx_clear(struct cp_repl_tx *tx, uint32_t rto_ms)
{
	tx->base = tx->sent = tx->next = 1;
	tx->head = 0;
	tx->behind = false;
	tx->recover = tx->retx = 0;
	tx->dupacks = 0;
	tx->rto = rto_ms;
	tx->rto_at = CP_REPL_NEVER;
}

/* Forget the peer's stream; the next Repl starts one. */
static void
cp_repl_rx_clear(struct cp_repl_rx *rx, uint64_t incarnation, uint32_t epoch)
{
	memset(rx, 0, sizeof(*rx));
	rx->incarnation = incarnation;
	rx->epoch = epoch;
	rx->ack_at = CP_REPL_NEVER;
}

static bool
cp_repl_rx_bit(const struct cp_repl_rx *rx, uint64_t seq)
{
	uint32_t b = (uint32_t)(seq % CP_REPL_RX_WINDOW);

	return (rx->seen[b / 64] >> (b % 64)) & 1;
}

static void
cp_repl_rx_set(struct cp_repl_rx *rx, uint64_t seq, bool on)
{
	uint32_t b = (uint32_t)(seq % CP_REPL_RX_WINDOW);

	if (on)
		rx->seen[b / 64] |= 1ull << (b % 64);
	else
		rx->seen[b / 64] &= ~(1ull << (b % 64));
}

/* In recovery, the records of [retx, recover] within CP_REPL_RETX_BURST of the
 * oldest unacked one go again (retx follows base as acks advance). The first
 * due, or 0 when none is. */
static uint64_t
cp_repl_tx_retx_from(const struct cp_repl_tx *tx)
{
	uint64_t from = tx->retx > tx->base ? tx->retx : tx->base;

	if (tx->recover == 0 || from > tx->recover || from >= tx->base + CP_REPL_RETX_BURST)
		return 0;
	return from;
}

/* The lifetime of a record queued at AT, sent at NOW: what is left of it, at
 * least 1 s (0 stays 0: a tombstone or a delete). The wait counts in started
 * seconds: the live record already rounds its lifetime up (Expires: 3600 goes
 * as 3600), and a wait rounded down as well could stretch a copy by almost 2 s
 * (seen as a flake of tests/integration/replication.sh: a user registered
 * while a node was down had 2 s more on that node); rounded up, a copy lives
 * within 1 s of its origin either way and never longer by a whole second. */
static uint32_t
cp_repl_aged(uint32_t expires_s, uint64_t at, uint64_t now)
{
	uint64_t age_s = now > at ? (now - at + 999) / 1000 : 0;

	if (expires_s == 0 || age_s == 0)
		return expires_s;
	return expires_s > age_s ? expires_s - (uint32_t)age_s : 1;
}

/* Puts the records [from, end) that fit one pack message into OUT (REPL_PACK:
 * their bytes back to back, each lifetime aged); returns how many. */
static int
cp_repl_tx_fill(struct cp_repl_peer *p, uint64_t from, uint64_t end, uint64_t now,
		struct msg *out)
{
	struct msg_pack *pk = &out->u.pack;
	uint32_t budget = p->conf.max_body - CP_REPL_PACK_OVERHEAD, len = 0;
	uint64_t n = end - from, i, s;
	uint8_t *rec;

	if (n > p->conf.max_recs)
		n = p->conf.max_recs;
	if (budget > MSG_PACK_MAX)
		budget = MSG_PACK_MAX;
	cp_repl_msg_hdr(p, out, MSG_T_REPL_PACK);
	for (i = 0; i < n; i++) {
		s = (from + i) % p->conf.capacity;
		if (len + p->tx.len[s] > budget)
			break;          /* the first always fits: append checked it */
		rec = pk->data + len;
		memcpy(rec, p->tx.buf + p->tx.off[s], p->tx.len[s]);
		if (!(rec[2] & REG_PACK_F_TOMBSTONE))
			reg_pack_set_expires(rec, cp_repl_aged(reg_pack_expires(rec), p->tx.at[s], now));
		len += p->tx.len[s];
	}
	pk->epoch = p->tx.epoch;
	pk->seq = from;
	pk->age_ms = 0;
	pk->count = (uint32_t)i;
	pk->len = len;
	CP_REPL_COUNT(p, tx_datagrams, 1);
	return (int)i;
}

/* A message's sender run: -ESTALE when older than the peer's known run; a newer
 * run resets both directions. */
static int
cp_repl_check_run(struct cp_repl_peer *p, uint64_t incarnation)
{
	if (p->incarnation != 0 && incarnation < p->incarnation)
		return -ESTALE;
	cp_repl_peer_restart(p, incarnation);
	return 0;
}

/* ---- version order ---- */

int
cp_repl_rec_cmp(const struct msg_rec *a, const struct msg_rec *b)
{
	return msg_version_cmp(&a->version, (a->flags & MSG_REC_F_TOMBSTONE) != 0,
			       &b->version, (b->flags & MSG_REC_F_TOMBSTONE) != 0);
}

/* ---- stream ---- */

void
cp_repl_conf_default(struct cp_repl_conf *conf, uint16_t self_id, uint32_t cluster_id,
		     uint64_t incarnation)
{
	memset(conf, 0, sizeof(*conf));
	conf->self_id = self_id;
	conf->cluster_id = cluster_id;
	conf->incarnation = incarnation;
	conf->capacity = CP_REPL_DEFAULT_CAPACITY;
	conf->ring_bytes = CP_REPL_DEFAULT_RING_BYTES;
	conf->max_body = MSG_MAX_BODY;
	conf->max_recs = MSG_PACK_MAX_RECS;
	conf->rto_ms = CP_REPL_DEFAULT_RTO_MS;
	conf->rto_max_ms = CP_REPL_DEFAULT_RTO_MAX_MS;
	conf->ack_delay_ms = CP_REPL_DEFAULT_ACK_DELAY_MS;
	conf->ack_every = CP_REPL_DEFAULT_ACK_EVERY;
}

struct cp_repl_peer *
cp_repl_peer_create(const struct cp_repl_conf *conf, uint16_t peer_id)
{
	struct cp_repl_peer *p;

	if (conf->self_id == 0 || peer_id == 0 || peer_id == conf->self_id ||
	    conf->incarnation == 0 || conf->capacity < MSG_REPL_MAX_RECS ||
	    conf->capacity > CP_REPL_CAPACITY_MAX || conf->rto_ms == 0 ||
	    conf->max_body < MSG_REPL_BODY_MIN || conf->max_body > MSG_MAX_BODY ||
	    conf->rto_max_ms < conf->rto_ms || conf->ack_every == 0 || conf->max_recs == 0 ||
	    conf->ring_bytes < conf->max_body || conf->ring_bytes > CP_REPL_RING_BYTES_MAX ||
	    conf->max_recs > MSG_PACK_MAX_RECS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto err;
	p->tx.max_len = conf->max_body - CP_REPL_PACK_OVERHEAD < REG_PACK_REC_MAX ?
			conf->max_body - CP_REPL_PACK_OVERHEAD : REG_PACK_REC_MAX;
	p->tx.buf_size = conf->ring_bytes;
	p->tx.buf = malloc(conf->ring_bytes);
	p->tx.off = calloc(conf->capacity, sizeof(p->tx.off[0]));
	p->tx.at = calloc(conf->capacity, sizeof(p->tx.at[0]));
	p->tx.len = calloc(conf->capacity, sizeof(p->tx.len[0]));
	if (p->tx.buf == NULL || p->tx.off == NULL || p->tx.at == NULL || p->tx.len == NULL)
		goto err_free_peer;
	p->conf = *conf;
	p->id = peer_id;
	p->tx.epoch = 1;
	cp_repl_tx_clear(&p->tx, conf->rto_ms);
	cp_repl_rx_clear(&p->rx, 0, 0);
	return p;
err_free_peer:
	free(p->tx.buf);
	free(p->tx.off);
	free(p->tx.at);
	free(p->tx.len);
	free(p);
err:
	errno = ENOMEM;
	return NULL;
}

void
cp_repl_peer_free(struct cp_repl_peer *p)
{
	if (p == NULL)
		return;
	free(p->tx.buf);
	free(p->tx.off);
	free(p->tx.at);
	free(p->tx.len);
	free(p);
}

void
cp_repl_peer_restart(struct cp_repl_peer *p, uint64_t incarnation)
{
	if (p->incarnation == 0 || incarnation <= p->incarnation) {
		if (p->incarnation == 0)
			p->incarnation = incarnation;
		return;
	}
	p->incarnation = incarnation;
	CP_REPL_COUNT(p, restarts, 1);
	cp_repl_tx_reset(p);
	cp_repl_rx_clear(&p->rx, 0, 0);
}

/* Where a record of LEN bytes goes in the byte ring, or -1 when it is full
 * (see struct cp_repl_tx: used bytes run from the oldest unacked record's
 * offset to head, wrapping; head never catches up with that offset). */
static int64_t
cp_repl_tx_place(const struct cp_repl_tx *tx, uint32_t capacity, uint32_t len)
{
	uint32_t tail;

	if (tx->next == tx->base)
		return 0;
	tail = tx->off[tx->base % capacity];
	if (tx->head > tail) {
		if ((uint64_t)tx->head + len <= tx->buf_size)
			return tx->head;
		return len < tail ? 0 : -1;     /* wraps: the end's bytes wait */
	}
	return (uint64_t)tx->head + len < tail ? (int64_t)tx->head : -1;
}

int
cp_repl_tx_append(struct cp_repl_peer *p, const uint8_t *rec, size_t len, uint64_t now)
{
	struct cp_repl_tx *tx = &p->tx;
	const char *aor;
	uint16_t aor_len;
	int64_t place = 0;

	if (len == 0 || reg_pack_peek(rec, len, &aor, &aor_len) != len)
		return -EINVAL;
	if (len > p->tx.max_len) {      /* never sendable in this budget */
		CP_REPL_COUNT(p, tx_too_big, 1);
		return -E2BIG;
	}
	if (tx->behind) {
		CP_REPL_COUNT(p, tx_dropped, 1);
		return -ENOBUFS;
	}
	if (tx->next - tx->base >= p->conf.capacity ||
	    (place = cp_repl_tx_place(tx, p->conf.capacity, (uint32_t)len)) < 0) {
		tx->behind = true;
		tx->base = tx->sent = tx->next;         /* it gets everything by a sync */
		tx->recover = tx->retx = 0;
		tx->rto_at = CP_REPL_NEVER;
		CP_REPL_COUNT(p, tx_behind, 1);
		CP_REPL_COUNT(p, tx_dropped, 1);
		return -ENOBUFS;
	}
	memcpy(tx->buf + place, rec, len);
	tx->off[tx->next % p->conf.capacity] = (uint32_t)place;
	tx->head = (uint32_t)place + (uint32_t)len;
	tx->at[tx->next % p->conf.capacity] = now;
	tx->len[tx->next % p->conf.capacity] = (uint16_t)len;
	tx->next++;
	return 0;
}

void
cp_repl_tx_kick(struct cp_repl_peer *p, uint64_t now)
{
	struct cp_repl_tx *tx = &p->tx;

	if (tx->behind || tx->base >= tx->sent)
		return;
	tx->rto = p->conf.rto_ms;
	tx->rto_at = now;
}

uint32_t
cp_repl_tx_room(const struct cp_repl_peer *p)
{
	uint32_t recs, tail, bytes;

	if (p->tx.behind)
		return 0;
	recs = p->conf.capacity - (uint32_t)(p->tx.next - p->tx.base);
	if (p->tx.next == p->tx.base)
		return recs;
	/* records of the largest size that surely still fit */
	tail = p->tx.off[p->tx.base % p->conf.capacity];
	if (p->tx.head > tail)
		bytes = p->tx.buf_size - p->tx.head > tail ? p->tx.buf_size - p->tx.head : tail;
	else
		bytes = tail - p->tx.head;
	return bytes / p->tx.max_len < recs ? bytes / p->tx.max_len : recs;
}

uint32_t
cp_repl_tx_unacked(const struct cp_repl_peer *p)
{
	return (uint32_t)(p->tx.next - p->tx.base);
}

bool
cp_repl_tx_behind(const struct cp_repl_peer *p)
{
	return p->tx.behind;
}

void
cp_repl_tx_reset(struct cp_repl_peer *p)
{
	p->tx.epoch++;
	cp_repl_tx_clear(&p->tx, p->conf.rto_ms);
	CP_REPL_COUNT(p, tx_resets, 1);
}

int
cp_repl_tx_poll(struct cp_repl_peer *p, uint64_t now, struct msg *out)
{
	struct cp_repl_tx *tx = &p->tx;
	uint64_t from, end;
	int k;

	if (tx->behind)
		return 0;
	if (tx->base < tx->sent && now >= tx->rto_at) {
		/* timeout: recovery, everything sent so far goes again from the oldest */
		tx->recover = tx->sent - 1;
		tx->retx = tx->base;
		tx->rto = tx->rto * 2 <= p->conf.rto_max_ms ? tx->rto * 2 : p->conf.rto_max_ms;
		tx->rto_at = now + tx->rto;
	}
	if ((from = cp_repl_tx_retx_from(tx)) != 0) {
		end = tx->recover + 1 < tx->base + CP_REPL_RETX_BURST ?
		      tx->recover + 1 : tx->base + CP_REPL_RETX_BURST;
		k = cp_repl_tx_fill(p, from, end, now, out);
		tx->retx = from + (uint64_t)k;
		CP_REPL_COUNT(p, tx_retransmits, (uint64_t)k);
		return 1;
	}
	/* never further ahead of the oldest unacked than the receiver keeps
	 * track of (CP_REPL_RX_WINDOW): beyond, it drops what arrives */
	end = tx->next < tx->base + CP_REPL_RX_WINDOW ? tx->next : tx->base + CP_REPL_RX_WINDOW;
	if (tx->sent < end) {
		k = cp_repl_tx_fill(p, tx->sent, end, now, out);
		tx->sent += (uint64_t)k;
		CP_REPL_COUNT(p, tx_records, (uint64_t)k);
		if (tx->rto_at == CP_REPL_NEVER)
			tx->rto_at = now + tx->rto;
		return 1;
	}
	return 0;
}

int
cp_repl_on_ack(struct cp_repl_peer *p, const struct msg *m, uint64_t now)
{
	const struct msg_repl_ack *a = &m->u.ack;
	struct cp_repl_tx *tx = &p->tx;

	if (m->hdr.type != MSG_T_REPL_ACK || m->hdr.sender != p->id)
		return -EINVAL;
	if (cp_repl_check_run(p, m->hdr.incarnation) < 0 ||
	    a->stream_incarnation != p->conf.incarnation || a->epoch != tx->epoch) {
		CP_REPL_COUNT(p, rx_stale_acks, 1);
		return -ESTALE;
	}
	if (a->cum_seq >= tx->sent) {
		CP_REPL_COUNT(p, rx_bad_acks, 1);
		return -EINVAL;
	}
	CP_REPL_COUNT(p, rx_acks, 1);
	if (a->cum_seq + 1 == tx->base && tx->base < tx->sent && tx->recover == 0 &&
	    ++tx->dupacks >= CP_REPL_DUPACKS) {
		/* the peer keeps receiving but not the oldest: lost, no need to wait
		 * for the timeout (fast retransmit) */
		tx->recover = tx->sent - 1;
		tx->retx = tx->base;
		tx->dupacks = 0;
		CP_REPL_COUNT(p, tx_fast_retx, 1);
	}
	if (a->cum_seq < tx->base)      /* nothing new (an older ack, or a repeat) */
		return 0;
	tx->dupacks = 0;
	CP_REPL_COUNT(p, tx_acked, a->cum_seq + 1 - tx->base);
	tx->base = a->cum_seq + 1;
	if (tx->base > tx->recover)     /* everything sent before the timeout arrived */
		tx->recover = tx->retx = 0;
	tx->rto = p->conf.rto_ms;
	tx->rto_at = tx->base < tx->sent ? now + tx->rto : CP_REPL_NEVER;
	return 0;
}

int
cp_repl_on_repl(struct cp_repl_peer *p, const struct msg *m, uint64_t now, uint16_t *idx)
{
	struct cp_repl_rx *rx = &p->rx;
	uint64_t inc = m->hdr.incarnation, seq, cum0, first;
	uint32_t epoch, n;
	bool dup = false;
	int i, k = 0;

	if (m->hdr.type == MSG_T_REPL_PACK) {
		first = m->u.pack.seq;
		n = m->u.pack.count;
		epoch = m->u.pack.epoch;
	} else {                        /* Repl: from a node of an older release */
		first = m->u.repl.first_seq;
		n = m->u.repl.n;
		epoch = m->u.repl.epoch;
	}
	if ((m->hdr.type != MSG_T_REPL && m->hdr.type != MSG_T_REPL_PACK) ||
	    m->hdr.sender != p->id || n > MSG_PACK_MAX_RECS ||
	    (m->hdr.type == MSG_T_REPL && n > MSG_REPL_MAX_RECS))
		return -EINVAL;
	if (cp_repl_check_run(p, inc) < 0 || (rx->incarnation == inc && epoch < rx->epoch)) {
		CP_REPL_COUNT(p, rx_stale, 1);
		return -ESTALE;
	}
	if (rx->incarnation != inc || rx->epoch != epoch) {            /* a new stream */
		if (rx->incarnation != 0)
			CP_REPL_COUNT(p, rx_resets, 1);
		cp_repl_rx_clear(rx, inc, epoch);
	}
	cum0 = rx->cum;
	if (first > rx->cum + 1)
		CP_REPL_COUNT(p, rx_gaps, 1);
	for (i = 0; i < (int)n; i++) {
		seq = first + (uint64_t)i;
		if (seq <= rx->cum || (seq - rx->cum <= CP_REPL_RX_WINDOW && cp_repl_rx_bit(rx, seq))) {
			dup = true;
			CP_REPL_COUNT(p, rx_duplicates, 1);
		} else if (seq - rx->cum > CP_REPL_RX_WINDOW) {
			CP_REPL_COUNT(p, rx_beyond, 1);
		} else {
			cp_repl_rx_set(rx, seq, true);
			idx[k++] = (uint16_t)i;
		}
	}
	while (cp_repl_rx_bit(rx, rx->cum + 1)) {
		cp_repl_rx_set(rx, rx->cum + 1, false);
		rx->cum++;
	}
	CP_REPL_COUNT(p, rx_records, (uint64_t)k);
	if (k > 0 && rx->unacked == 0)
		rx->ack_at = now + p->conf.ack_delay_ms;
	rx->unacked += (uint32_t)k;
	/* at once after a duplicate (our ack was lost), after ack_every records, and
	 * when this filled a gap (the sender waits on it, in recovery) */
	if (dup || rx->unacked >= p->conf.ack_every || rx->cum - cum0 > (uint64_t)k)
		rx->ack_now = true;
	return k;
}

int
cp_repl_rx_poll(struct cp_repl_peer *p, uint64_t now, struct msg *out)
{
	struct cp_repl_rx *rx = &p->rx;

	if (rx->incarnation == 0 || !(rx->ack_now || (rx->unacked > 0 && now >= rx->ack_at)))
		return 0;
	cp_repl_msg_hdr(p, out, MSG_T_REPL_ACK);
	out->u.ack.stream_incarnation = rx->incarnation;
	out->u.ack.epoch = rx->epoch;
	out->u.ack.cum_seq = rx->cum;
	rx->unacked = 0;
	rx->ack_now = false;
	rx->ack_at = CP_REPL_NEVER;
	CP_REPL_COUNT(p, tx_acks, 1);
	return 1;
}

uint64_t
cp_repl_next_at(const struct cp_repl_peer *p)
{
	uint64_t at = CP_REPL_NEVER;

	if (!p->tx.behind) {
		if (p->tx.sent < p->tx.next || cp_repl_tx_retx_from(&p->tx) != 0)
			return 0;
		if (p->tx.base < p->tx.sent)
			at = p->tx.rto_at;
	}
	if (p->rx.ack_now)
		return 0;
	if (p->rx.unacked > 0 && p->rx.ack_at < at)
		at = p->rx.ack_at;
	return at;
}

const char *
cp_repl_counter_name(unsigned int counter)
{
	return counter < CP_REPL_COUNTER_MAX ? cp_repl_counter_names[counter] : "?";
}

const char *
cp_repl_counter_help(unsigned int counter)
{
	return counter < CP_REPL_COUNTER_MAX ? cp_repl_counter_helps[counter] : "?";
}
