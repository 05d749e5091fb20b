/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registrar shard, NAT keepalive pinging: which bindings of a digest bucket are
 * due, their unanswered pings and removal. The caller (dataplane/core/dp_ping)
 * decides the schedule, whose share a contact is, and sends. See reg_shard.h.
 */
#include <errno.h>
#include <string.h>

#include "dataplane/registrar/reg_shard.h"
#include "dataplane/registrar/reg_store.h"

unsigned int
reg_shard_ping_bucket(struct reg_shard *s, uint16_t bucket, uint64_t now_ms, bool track,
		      uint8_t max_failures, reg_ping_mine_fn *mine, reg_ping_send_fn *send,
		      void *arg)
{
	char data[REG_URI_MAX + REG_TAG_MAX + 1];
	struct reg_ping_target t;
	uint32_t ai, nai, bi, next, na = 0, nb;
	unsigned int sent = 0;
	int r;

	if (bucket >= REG_DIGEST_BUCKETS)
		return 0;
	/* nai is taken first: a binding removed below may take its AoR with it */
	for (ai = s->bucket_aor[bucket]; ai != REG_NONE && na++ < s->conf.max_aors; ai = nai) {
		nai = s->aors[ai].bnext;
		nb = 0;
		for (bi = s->aors[ai].head; bi != REG_NONE && nb++ <= s->aors[ai].n; bi = next) {
			struct reg_binding *b = &s->b[bi];
			size_t off = (size_t)b->uri_len + b->inst_len + b->path_len;
			uint8_t miss;

			next = b->next;
			if (b->expires_ms <= now_ms || b->family == 0)
				continue;
			reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, 0, b->uri_len, data);
			reg_str_read(s, b->data, REG_BINDING_INLINE, b->ext, off, b->tag_len,
				     data + b->uri_len);
			t.bi = bi;
			t.ident = b->ident;
			t.family = b->family;
			t.local_port = b->local_port;
			t.port = b->port;
			t.addr = b->addr;
			t.sock_family = b->sock_family;
			t.sock_addr = b->sock_addr;
			t.uri = data;
			t.uri_len = b->uri_len;
			t.tag = data + b->uri_len;
			t.tag_len = b->tag_len;
			t.retry = (b->flags & REG_B_PING_RETRY) != 0;
			t.pending = (b->flags & REG_B_PING_PENDING) != 0;
			r = mine(arg, &t);
			if (r == REG_PING_SKIP)
				continue;
			if (r != REG_PING_MINE && r != REG_PING_EXTRA) {   /* another node's share: its misses, not ours */
				REG_STAT_INC(s, ping_others);
				b->flags &= (uint8_t)~(REG_B_PING_PENDING | REG_B_PING_RETRY |
						       REG_B_MISS_MASK);
				continue;
			}
			b->flags &= (uint8_t)~REG_B_PING_RETRY;
			if (track && r == REG_PING_MINE && (b->flags & REG_B_PING_PENDING)) {
				miss = (uint8_t)((b->flags & REG_B_MISS_MASK) >> REG_B_MISS_SHIFT);
				if (miss < 15)
					miss++;
				REG_STAT_INC(s, ping_missed);
				b->flags = (uint8_t)((b->flags & ~REG_B_MISS_MASK) |
						     (miss << REG_B_MISS_SHIFT));
				if (max_failures != 0 && miss >= max_failures) {
					bool last = s->aors[ai].n == 1;

					REG_STAT_INC(s, ping_removed);
					reg_b_remove(s, bi, REG_EV_DELETE, now_ms, 1);
					if (last)
						break;          /* the AoR went with it */
					continue;
				}
			}
			r = send(arg, &t);
			if (r != 0) {   /* not sent: nothing is out (a miss was counted above) */
				b->flags &= (uint8_t)~REG_B_PING_PENDING;
				if (r == REG_PING_NO_NEIGH)
					b->flags |= REG_B_PING_RETRY;
				continue;
			}
			REG_STAT_INC(s, ping_sent);
			sent++;
			if (track)
				b->flags |= REG_B_PING_PENDING;
		}
	}
	return sent;
}

int
reg_shard_ping_reply(struct reg_shard *s, uint32_t bi, uint32_t ident_lo)
{
	struct reg_binding *b;

	if (bi >= s->conf.max_bindings)
		return -ENOENT;
	b = &s->b[bi];
	if (b->family == 0 || (uint32_t)b->ident != ident_lo)
		return -ENOENT;
	b->flags &= (uint8_t)~(REG_B_PING_PENDING | REG_B_MISS_MASK);
	REG_STAT_INC(s, ping_answered);
	return 0;
}
