/* SPDX-License-Identifier: BSD-3-Clause */
/* The full-sync channel. See cp_repl_bulk.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/repl/cp_repl_bulk.h"

#define CP_BULK_COUNT(c, name) ((c)[CP_BULK_C_##name]++)

static const char *const cp_bulk_names[] = {
#define CP_BULK_NAME(n, h) #n,
	CP_BULK_FOREACH_COUNTER(CP_BULK_NAME)
#undef CP_BULK_NAME
};

const char *
cp_bulk_counter_name(unsigned int counter)
{
	return counter < CP_BULK_COUNTER_MAX ? cp_bulk_names[counter] : "?";
}

/* ---- sender ---- */

int
cp_bulk_tx_init(struct cp_bulk_tx *tx, uint32_t cap, uint64_t *counters)
{
	unsigned int i;

	memset(tx, 0, sizeof(*tx));
	if (cap == 0 || cap > MSG_PACK_MAX || counters == NULL)
		return -EINVAL;
	tx->mem = malloc((size_t)CP_BULK_WINDOW * cap);
	if (tx->mem == NULL)
		return -ENOMEM;
	tx->cap = cap;
	tx->counters = counters;
	for (i = 0; i < CP_BULK_WINDOW; i++)
		tx->slot[i].data = tx->mem + (size_t)i * cap;
	tx->base = tx->sent = tx->next = 1;
	tx->rto_at = CP_BULK_NEVER;
	tx->rto_ms = CP_BULK_RTO_MS;
	return 0;
}

void
cp_bulk_tx_free(struct cp_bulk_tx *tx)
{
	free(tx->mem);
	tx->mem = NULL;
}

void
cp_bulk_tx_begin(struct cp_bulk_tx *tx)
{
	tx->epoch++;
	tx->base = tx->sent = tx->next = 1;
	tx->retx = tx->retx_end = 1;
	tx->rto_at = CP_BULK_NEVER;
	tx->rto_ms = CP_BULK_RTO_MS;
	tx->dupacks = 0;
}

void
cp_bulk_tx_kick(struct cp_bulk_tx *tx, uint64_t now)
{
	if (tx->mem == NULL || tx->base >= tx->sent)
		return;
	tx->rto_ms = CP_BULK_RTO_MS;
	tx->rto_at = now;
}

uint32_t
cp_bulk_tx_room(const struct cp_bulk_tx *tx)
{
	return tx->mem == NULL ? 0 : CP_BULK_WINDOW - (uint32_t)(tx->next - tx->base);
}

bool
cp_bulk_tx_idle(const struct cp_bulk_tx *tx)
{
	return tx->base == tx->next;
}

int
cp_bulk_tx_add(struct cp_bulk_tx *tx, const uint8_t *data, uint32_t len, uint32_t count,
	       uint64_t made_ms)
{
	struct cp_bulk_slot *sl;

	if (tx->mem == NULL || tx->epoch == 0 || len == 0 || len > tx->cap || count == 0)
		return -EINVAL;
	if (cp_bulk_tx_room(tx) == 0)
		return -ENOBUFS;
	sl = &tx->slot[tx->next % CP_BULK_WINDOW];
	memcpy(sl->data, data, len);
	sl->len = len;
	sl->count = count;
	sl->made_ms = made_ms;
	tx->next++;
	return 0;
}

static void
cp_bulk_fill(const struct cp_bulk_tx *tx, uint64_t seq, uint64_t now, struct msg_pack *out)
{
	const struct cp_bulk_slot *sl = &tx->slot[seq % CP_BULK_WINDOW];
	uint64_t age = now > sl->made_ms ? now - sl->made_ms : 0;

	out->epoch = tx->epoch;
	out->seq = seq;
	out->age_ms = age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
	out->count = sl->count;
	out->len = sl->len;
	memcpy(out->data, sl->data, sl->len);
}

int
cp_bulk_tx_poll(struct cp_bulk_tx *tx, uint64_t now, struct msg_pack *out)
{
	if (tx->mem == NULL)
		return 0;
	if (tx->rto_at != CP_BULK_NEVER && now >= tx->rto_at && tx->base < tx->sent) {
		/* timeout: the oldest unacked ones again, the timeout doubled */
		CP_BULK_COUNT(tx->counters, sync_timeouts);
		tx->retx = tx->base;
		tx->retx_end = tx->base + CP_BULK_RETX_BURST < tx->sent ?
				       tx->base + CP_BULK_RETX_BURST : tx->sent;
		tx->rto_ms = tx->rto_ms * 2 < CP_BULK_RTO_MAX_MS ? tx->rto_ms * 2 : CP_BULK_RTO_MAX_MS;
		tx->rto_at = now + tx->rto_ms;
	}
	if (tx->retx < tx->base)
		tx->retx = tx->base;
	if (tx->retx < tx->retx_end) {
		cp_bulk_fill(tx, tx->retx++, now, out);
		CP_BULK_COUNT(tx->counters, sync_chunks_resent);
		return 1;
	}
	if (tx->sent < tx->next) {
		cp_bulk_fill(tx, tx->sent++, now, out);
		CP_BULK_COUNT(tx->counters, sync_chunks_sent);
		if (tx->rto_at == CP_BULK_NEVER)
			tx->rto_at = now + tx->rto_ms;
		return 1;
	}
	return 0;
}

int
cp_bulk_tx_on_ack(struct cp_bulk_tx *tx, uint32_t epoch, uint64_t cum, uint64_t now)
{
	if (epoch != tx->epoch || tx->epoch == 0) {
		CP_BULK_COUNT(tx->counters, sync_acks_stale);
		return -ESTALE;
	}
	if (cum >= tx->sent)
		return -EINVAL;
	CP_BULK_COUNT(tx->counters, sync_acks_rx);
	if (cum >= tx->base) {          /* advances */
		tx->base = cum + 1;
		tx->dupacks = 0;
		tx->rto_ms = CP_BULK_RTO_MS;
		tx->rto_at = tx->base < tx->sent ? now + tx->rto_ms : CP_BULK_NEVER;
		return 0;
	}
	if (tx->base < tx->sent && ++tx->dupacks >= CP_BULK_DUPACKS) {
		/* the peer receives, not the oldest: that one again */
		tx->dupacks = 0;
		if (tx->retx >= tx->retx_end) {
			tx->retx = tx->base;
			tx->retx_end = tx->base + 1;
		}
	}
	return 0;
}

uint64_t
cp_bulk_tx_next_at(const struct cp_bulk_tx *tx)
{
	if (tx->mem == NULL)
		return CP_BULK_NEVER;
	if (tx->sent < tx->next || tx->retx < tx->retx_end)
		return 0;
	return tx->base < tx->sent ? tx->rto_at : CP_BULK_NEVER;
}

/* ---- receiver ---- */

void
cp_bulk_rx_init(struct cp_bulk_rx *rx, uint64_t *counters)
{
	memset(rx, 0, sizeof(*rx));
	rx->ack_at = CP_BULK_NEVER;
	rx->counters = counters;
}

static void
cp_bulk_rx_due(struct cp_bulk_rx *rx, uint64_t now)
{
	if (rx->ack_at == CP_BULK_NEVER)
		rx->ack_at = now + CP_BULK_ACK_DELAY_MS;
}

int
cp_bulk_rx_on_chunk(struct cp_bulk_rx *rx, uint64_t incarnation, uint32_t epoch, uint64_t seq,
		    uint64_t now)
{
	if (incarnation < rx->incarnation ||
	    (incarnation == rx->incarnation && epoch < rx->epoch) || seq == 0) {
		CP_BULK_COUNT(rx->counters, sync_chunks_stale);
		return -ESTALE;
	}
	if (incarnation != rx->incarnation || epoch != rx->epoch) {   /* a new sync */
		rx->incarnation = incarnation;
		rx->epoch = epoch;
		rx->cum = 0;
		rx->unacked = 0;
		rx->ack_now = false;
		rx->ack_at = CP_BULK_NEVER;
		memset(rx->have, 0, sizeof(rx->have));
	}
	if (seq <= rx->cum || (seq - rx->cum <= CP_BULK_WINDOW && rx->have[seq % CP_BULK_WINDOW])) {
		CP_BULK_COUNT(rx->counters, sync_chunks_dup);
		rx->ack_now = true;     /* our ack may have been lost */
		return 0;
	}
	if (seq - rx->cum > CP_BULK_WINDOW) {
		CP_BULK_COUNT(rx->counters, sync_chunks_ahead);
		return -ENOSPC;
	}
	rx->have[seq % CP_BULK_WINDOW] = 1;
	if (seq != rx->cum + 1)
		rx->ack_now = true;     /* a gap: the sender's fast retransmit */
	while (rx->have[(rx->cum + 1) % CP_BULK_WINDOW]) {
		rx->have[(rx->cum + 1) % CP_BULK_WINDOW] = 0;
		rx->cum++;
	}
	CP_BULK_COUNT(rx->counters, sync_chunks_rx);
	if (++rx->unacked >= CP_BULK_ACK_EVERY)
		rx->ack_now = true;
	cp_bulk_rx_due(rx, now);
	return 1;
}

int
cp_bulk_rx_poll(struct cp_bulk_rx *rx, uint64_t now, struct msg_repl_ack *ack)
{
	if (rx->incarnation == 0 || (!rx->ack_now && (rx->ack_at == CP_BULK_NEVER || now < rx->ack_at)))
		return 0;
	ack->stream_incarnation = rx->incarnation;
	ack->epoch = rx->epoch;
	ack->cum_seq = rx->cum;
	rx->ack_now = false;
	rx->ack_at = CP_BULK_NEVER;
	rx->unacked = 0;
	CP_BULK_COUNT(rx->counters, sync_acks_tx);
	return 1;
}
