/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The full-sync channel (control/repl/cp_repl_bulk.h) on a fake clock: chunks
 * delivered once in any order, cumulative acks, the window, timeouts and fast
 * retransmit, the age of a chunk, epochs and runs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/repl/cp_repl_bulk.h"

static uint64_t ctx[CP_BULK_COUNTER_MAX], crx[CP_BULK_COUNTER_MAX];
static struct cp_bulk_tx tx;
static struct cp_bulk_rx rx;
static struct msg_pack ch;
static struct msg_repl_ack ack;

#define INC 1700000000123ull    /* the sender's run */

static int
setup(void **state)
{
	(void)state;
	memset(ctx, 0, sizeof(ctx));
	memset(crx, 0, sizeof(crx));
	assert_int_equal(cp_bulk_tx_init(&tx, 1000, ctx), 0);
	cp_bulk_rx_init(&rx, crx);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cp_bulk_tx_free(&tx);
	return 0;
}

static void
add(unsigned int n, uint64_t now)
{
	uint8_t data[8];

	for (unsigned int i = 0; i < n; i++) {
		memset(data, (int)i, sizeof(data));
		assert_int_equal(cp_bulk_tx_add(&tx, data, sizeof(data), 1, now), 0);
	}
}

/* Sends everything due at NOW into the receiver (losing the first sending of
 * the chunks whose seq is in DROP, a 0-terminated list); returns the chunks
 * sent. */
static unsigned int
pump(uint64_t now, const uint64_t *drop)
{
	static uint64_t lost_once[8];
	unsigned int sent = 0, i;

	if (drop == NULL)
		memset(lost_once, 0, sizeof(lost_once));
	while (cp_bulk_tx_poll(&tx, now, &ch) == 1) {
		bool lost = false;

		sent++;
		for (i = 0; drop != NULL && drop[i] != 0 && i < 8; i++)
			if (drop[i] == ch.seq && lost_once[i] == 0) {
				lost_once[i] = 1;
				lost = true;
			}
		if (!lost)
			(void)cp_bulk_rx_on_chunk(&rx, INC, ch.epoch, ch.seq, now);
		if (cp_bulk_rx_poll(&rx, now, &ack) == 1) {
			assert_int_equal(ack.stream_incarnation, INC);
			(void)cp_bulk_tx_on_ack(&tx, ack.epoch, ack.cum_seq, now);
		}
	}
	return sent;
}

static void
test_args(void **state)
{
	struct cp_bulk_tx t;
	uint8_t b = 0;

	(void)state;
	assert_int_equal(cp_bulk_tx_init(&t, 0, ctx), -EINVAL);
	assert_int_equal(cp_bulk_tx_init(&t, MSG_PACK_MAX + 1, ctx), -EINVAL);
	/* no epoch begun yet, empty, too big, no records */
	assert_int_equal(cp_bulk_tx_add(&tx, &b, 1, 1, 0), -EINVAL);
	cp_bulk_tx_begin(&tx);
	assert_int_equal(cp_bulk_tx_add(&tx, &b, 0, 1, 0), -EINVAL);
	assert_int_equal(cp_bulk_tx_add(&tx, &b, 1001, 1, 0), -EINVAL);
	assert_int_equal(cp_bulk_tx_add(&tx, &b, 1, 0, 0), -EINVAL);
	assert_true(cp_bulk_tx_idle(&tx));
	assert_int_equal(cp_bulk_tx_next_at(&tx), CP_BULK_NEVER);
}

/* Without loss: every chunk once, in order, acked; the window bounds the adds. */
static void
test_flow(void **state)
{
	unsigned int i;

	(void)state;
	cp_bulk_tx_begin(&tx);
	assert_int_equal(cp_bulk_tx_room(&tx), CP_BULK_WINDOW);
	add(CP_BULK_WINDOW, 100);
	assert_int_equal(cp_bulk_tx_room(&tx), 0);
	assert_int_equal(cp_bulk_tx_add(&tx, (const uint8_t *)"x", 1, 1, 100), -ENOBUFS);
	assert_int_equal(cp_bulk_tx_next_at(&tx), 0);
	assert_int_equal(pump(100, NULL), CP_BULK_WINDOW);
	/* an ack every CP_BULK_ACK_EVERY chunks: the window is a multiple of it */
	assert_true(cp_bulk_tx_idle(&tx));
	i = (unsigned int)ctx[CP_BULK_C_sync_acks_rx];
	assert_int_equal(i, CP_BULK_WINDOW / CP_BULK_ACK_EVERY);
	/* a tail of 5: acked CP_BULK_ACK_DELAY_MS after the first of them */
	add(5, 200);
	assert_int_equal(pump(200, NULL), 5);
	assert_false(cp_bulk_tx_idle(&tx));
	assert_int_equal(cp_bulk_rx_poll(&rx, 200 + CP_BULK_ACK_DELAY_MS - 1, &ack), 0);
	assert_int_equal(cp_bulk_rx_poll(&rx, 200 + CP_BULK_ACK_DELAY_MS, &ack), 1);
	assert_int_equal(cp_bulk_tx_on_ack(&tx, ack.epoch, ack.cum_seq, 202), 0);
	assert_true(cp_bulk_tx_idle(&tx));
	/* all delivered exactly once */
	assert_int_equal(crx[CP_BULK_C_sync_chunks_rx], CP_BULK_WINDOW + 5);
	assert_int_equal(crx[CP_BULK_C_sync_chunks_dup], 0);
	assert_int_equal(ctx[CP_BULK_C_sync_chunks_resent], 0);
	assert_int_equal(rx.cum, CP_BULK_WINDOW + 5);
}

/* A chunk lost: the receiver delivers the later ones at once and acks the gap;
 * three acks that do not advance send the oldest again (fast retransmit); the
 * ack then covers the whole window. */
static void
test_fast_retransmit(void **state)
{
	static const uint64_t drop[] = { 5, 0 };
	unsigned int i;

	(void)state;
	cp_bulk_tx_begin(&tx);
	add(40, 10);
	pump(10, drop);
	/* the third ack that did not advance sent chunk 5 again at once, in the
	 * same pump: all 40 delivered, 5 twice sent, nothing timed out */
	assert_int_equal(crx[CP_BULK_C_sync_chunks_rx], 40);
	assert_int_equal(ctx[CP_BULK_C_sync_chunks_resent], 1);
	assert_int_equal(ctx[CP_BULK_C_sync_timeouts], 0);
	assert_int_equal(rx.cum, 40);
	for (i = 0; i < 3 && !cp_bulk_tx_idle(&tx); i++)
		if (cp_bulk_rx_poll(&rx, 10 + CP_BULK_ACK_DELAY_MS, &ack) == 1)
			assert_int_equal(cp_bulk_tx_on_ack(&tx, ack.epoch, ack.cum_seq, 12), 0);
	assert_true(cp_bulk_tx_idle(&tx));
}

/* Everything lost for a while: the timeout sends the oldest CP_BULK_RETX_BURST
 * again, doubling; an ack that advances brings it back to CP_BULK_RTO_MS. A
 * chunk's age grows while it waits. */
static void
test_timeout_and_age(void **state)
{
	uint64_t t = 1000;
	unsigned int n = 0;

	(void)state;
	cp_bulk_tx_begin(&tx);
	add(100, t);
	while (cp_bulk_tx_poll(&tx, t, &ch) == 1)       /* all lost */
		n++;
	assert_int_equal(n, 100);
	assert_int_equal(cp_bulk_tx_next_at(&tx), t + CP_BULK_RTO_MS);
	assert_int_equal(cp_bulk_tx_poll(&tx, t + CP_BULK_RTO_MS - 1, &ch), 0);
	t += CP_BULK_RTO_MS;
	for (n = 0; cp_bulk_tx_poll(&tx, t, &ch) == 1; n++) {
		assert_int_equal(ch.seq, n + 1);
		assert_int_equal(ch.age_ms, CP_BULK_RTO_MS);
	}
	assert_int_equal(n, CP_BULK_RETX_BURST);
	assert_int_equal(ctx[CP_BULK_C_sync_timeouts], 1);
	assert_int_equal(tx.rto_ms, 2 * CP_BULK_RTO_MS);
	/* the peer got chunks 1..10 late: cum ack 10 resets the timeout */
	assert_int_equal(cp_bulk_tx_on_ack(&tx, tx.epoch, 10, t), 0);
	assert_int_equal(tx.rto_ms, CP_BULK_RTO_MS);
	assert_int_equal(tx.base, 11);
	/* an ack of what was never sent, or of another epoch */
	assert_int_equal(cp_bulk_tx_on_ack(&tx, tx.epoch, 101, t), -EINVAL);
	assert_int_equal(cp_bulk_tx_on_ack(&tx, tx.epoch + 1, 50, t), -ESTALE);
	assert_int_equal(ctx[CP_BULK_C_sync_acks_stale], 1);
	/* the peer back: the unacked go at once, the timeout back to the first */
	assert_true(tx.rto_ms > CP_BULK_RTO_MS || tx.rto_at > t);
	cp_bulk_tx_kick(&tx, t + 1);
	assert_int_equal(tx.rto_ms, CP_BULK_RTO_MS);
	assert_int_equal(cp_bulk_tx_poll(&tx, t + 1, &ch), 1);
	assert_int_equal(ch.seq, 11);
}

/* Receiver: once per epoch, any order, window bound; a new epoch or run starts
 * over, an older one is refused. */
static void
test_receiver(void **state)
{
	(void)state;
	assert_int_equal(cp_bulk_rx_poll(&rx, 0, &ack), 0);   /* nothing yet */
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 3, 0), 1);
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 3, 0), 0);      /* twice */
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 1, 0), 1);
	assert_int_equal(rx.cum, 1);
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 2, 0), 1);
	assert_int_equal(rx.cum, 3);
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 1, 0), 0);      /* below cum */
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 3 + CP_BULK_WINDOW + 1, 0), -ENOSPC);
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 3 + CP_BULK_WINDOW, 0), 1);
	assert_int_equal(rx.cum, 3);
	assert_int_equal(cp_bulk_rx_poll(&rx, 0, &ack), 1);
	assert_int_equal(ack.cum_seq, 3);
	assert_int_equal(ack.epoch, 1);
	/* a new epoch: starts over; the old one is refused */
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 2, 1, 0), 1);
	assert_int_equal(rx.cum, 1);
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC, 1, 4, 0), -ESTALE);
	/* an older run refused, a newer one starts over */
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC - 1, 9, 1, 0), -ESTALE);
	assert_int_equal(cp_bulk_rx_on_chunk(&rx, INC + 1, 1, 2, 0), 1);
	assert_int_equal(rx.cum, 0);
	assert_int_equal(crx[CP_BULK_C_sync_chunks_stale], 2);
	assert_int_equal(crx[CP_BULK_C_sync_chunks_ahead], 1);
	assert_int_equal(crx[CP_BULK_C_sync_chunks_dup], 2);
}

/* Random loss on both ways over many chunks: everything is delivered exactly
 * once and the sender ends idle. */
static void
test_random_loss(void **state)
{
	uint64_t t = 0, seed = 12345;
	unsigned int added = 0, total = 3000, i;

	(void)state;
	cp_bulk_tx_begin(&tx);
	for (i = 0; i < 100000 && !(added == total && cp_bulk_tx_idle(&tx)); i++, t++) {
		while (added < total && cp_bulk_tx_room(&tx) > 0) {
			add(1, t);
			added++;
		}
		while (cp_bulk_tx_poll(&tx, t, &ch) == 1) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if ((seed >> 33) % 10 != 0)     /* 10 % lost */
				(void)cp_bulk_rx_on_chunk(&rx, INC, ch.epoch, ch.seq, t);
		}
		if (cp_bulk_rx_poll(&rx, t, &ack) == 1) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if ((seed >> 33) % 10 != 0)
				(void)cp_bulk_tx_on_ack(&tx, ack.epoch, ack.cum_seq, t);
		}
	}
	assert_true(cp_bulk_tx_idle(&tx));
	assert_int_equal(crx[CP_BULK_C_sync_chunks_rx], total);
	assert_int_equal(rx.cum, total);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receiver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_loss, setup, teardown),
	};

	return cmocka_run_group_tests_name("cp_repl_bulk", tests, NULL, NULL);
}
