/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar timer wheel (see dataplane/registrar/reg_wheel.h): slot lists of
 * bindings by expiry, and the bounded walk of the due slots. Owning worker
 * lcore only.
 */
#include <stddef.h>
#include <stdint.h>

#include "dataplane/registrar/reg_types.h"
#include "dataplane/registrar/reg_wheel.h"

#define REG_WHEEL_MASK (REG_WHEEL_SLOTS - 1)

static inline uint64_t
reg_wheel_abs(uint64_t expires_ms)
{
	return (expires_ms + REG_WHEEL_MS - 1) / REG_WHEEL_MS;
}

/* ---- worker lcore ---- */

void
reg_wheel_start(struct reg_shard *s, uint64_t now_ms)
{
	if (s->wheel.started)
		return;
	s->wheel.started = 1;
	s->wheel.cur = now_ms / REG_WHEEL_MS;
	s->wheel.resume = 0;
}

void
reg_wheel_add(struct reg_shard *s, uint32_t bi)
{
	struct reg_binding *b = &s->b[bi];
	uint32_t *head = &s->wheel.slots[reg_wheel_abs(b->expires_ms) & REG_WHEEL_MASK];

	b->wprev = REG_NONE;
	b->wnext = *head;
	if (*head != REG_NONE)
		s->b[*head].wprev = bi;
	*head = bi;
}

void
reg_wheel_del(struct reg_shard *s, uint32_t bi)
{
	struct reg_binding *b = &s->b[bi];

	if (s->wheel.resume && s->wheel.cursor == bi)
		s->wheel.cursor = b->wnext;
	if (b->wprev != REG_NONE)
		s->b[b->wprev].wnext = b->wnext;
	else
		s->wheel.slots[reg_wheel_abs(b->expires_ms) & REG_WHEEL_MASK] = b->wnext;
	if (b->wnext != REG_NONE)
		s->b[b->wnext].wprev = b->wprev;
	b->wprev = b->wnext = REG_NONE;
}

void
reg_wheel_advance(struct reg_shard *s, uint64_t now_ms, reg_wheel_expire_fn *expire)
{
	struct reg_wheel *w = &s->wheel;
	uint64_t target = now_ms / REG_WHEEL_MS;
	uint32_t visits = 0, steps = 0, bi, next;

	if (!w->started) {
		reg_wheel_start(s, now_ms);
		return;
	}
	if (target < w->cur)
		return;
	if (target - w->cur >= REG_WHEEL_SLOTS) {
		/* far behind: one pass over every slot covers every residue */
		w->cur = target - REG_WHEEL_SLOTS + 1;
		w->resume = 0;
	}
	while (w->cur <= target) {
		bi = w->resume ? w->cursor : w->slots[w->cur & REG_WHEEL_MASK];
		w->resume = 0;
		while (bi != REG_NONE) {
			if (visits == REG_TICK_VISITS) {
				w->cursor = bi;
				w->resume = 1;
				REG_STAT_ADD(s, wheel_visits, visits);
				return;
			}
			visits++;
			next = s->b[bi].wnext;
			if (s->b[bi].expires_ms <= now_ms)
				expire(s, bi, now_ms);
			bi = next;
		}
		w->cur++;
		if (++steps == REG_TICK_SLOTS)
			break;
	}
	REG_STAT_ADD(s, wheel_visits, visits);
}
