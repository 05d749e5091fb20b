/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar timer wheel, private to dataplane/registrar: one doubly linked list
 * of bindings per slot of REG_WHEEL_MS (through reg_binding.wprev / wnext), a
 * binding in slot ceil(expires_ms / REG_WHEEL_MS) modulo REG_WHEEL_SLOTS.
 * Absolute slot `cur` is the next one to process; every slot before it has
 * been walked.
 *
 * The wheel only keeps time: it knows bindings by index and their expires_ms,
 * never what removing one means. reg_wheel_advance() walks the due slots (at
 * most REG_TICK_VISITS bindings and REG_TICK_SLOTS slots per call, resuming
 * where it stopped) and hands each binding whose expiry has come to the
 * caller's expire callback, which must take it off the wheel (reg_wheel_del(),
 * as reg_b_remove() does). So the dependency goes one way: the store and the
 * shard (reg_store.c, reg_shard.c) call the wheel, the wheel calls nobody.
 *
 * Owning worker lcore only.
 */
#ifndef SIPSHARD_DATAPLANE_REGISTRAR_REG_WHEEL_H
#define SIPSHARD_DATAPLANE_REGISTRAR_REG_WHEEL_H

#include <stdint.h>

#include "dataplane/registrar/reg_types.h"

/* Called for a due binding bi; must reg_wheel_del() it (may delete others too). */
typedef void reg_wheel_expire_fn(struct reg_shard *s, uint32_t bi, uint64_t now_ms);

void reg_wheel_start(struct reg_shard *s, uint64_t now_ms);
void reg_wheel_add(struct reg_shard *s, uint32_t bi);     /* by b[bi].expires_ms */
void reg_wheel_del(struct reg_shard *s, uint32_t bi);     /* before expires_ms changes */
/* Walk the slots due at now_ms (bounded work), expire() on every binding whose
 * expires_ms <= now_ms. The first call only starts the wheel. */
void reg_wheel_advance(struct reg_shard *s, uint64_t now_ms, reg_wheel_expire_fn *expire);

#endif /* SIPSHARD_DATAPLANE_REGISTRAR_REG_WHEEL_H */
