/* SPDX-License-Identifier: BSD-3-Clause */
/* Registrar and location lookup on a worker's shard. See dp_reg.h. */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dataplane/core/dp_auth.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_reg.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_vip.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"

/* ---- worker lcore ---- */

struct binding_pick {
	struct proxy_binding *out;
	int found;
	uint16_t q;
};

/* Highest q; among equals the most recent (the list is oldest first). */
static int
binding_pick(const struct reg_contact *c, void *arg)
{
	struct binding_pick *bp = arg;
	struct proxy_binding *b = bp->out;

	if (bp->found && c->q < bp->q)
		return 0;
	if (c->uri_len > sizeof(b->uri) || (c->path != NULL && c->path_len > sizeof(b->path)))
		return 0;
	bp->found = 1;
	bp->q = c->q;
	memcpy(b->uri, c->uri, c->uri_len);
	b->uri_len = c->uri_len;
	b->path_len = 0;
	if (c->path != NULL) {
		memcpy(b->path, c->path, c->path_len);
		b->path_len = c->path_len;
	}
	memset(&b->src, 0, sizeof(b->src));
	b->src.family = c->src.family;
	b->src.port = c->src.port;
	memcpy(b->src.addr, c->src.addr, sizeof(b->src.addr));
	memset(&b->sock, 0, sizeof(b->sock));
	b->sock_node = c->sock_node;
	b->sock_up = 0;
	b->sock_vip = 0;
	b->sock_held = 0;
	if (c->sock_family == 4 || c->sock_family == 6) {
		b->sock.family = c->sock_family;
		b->sock.port = c->sock_port;
		memcpy(b->sock.addr, c->sock_addr, c->sock_family == 4 ? 4 : 16);
	}
	return 0;
}

/* The socket of a binding another node received: is that node up in the
 * control plane's view, and (when the record carried no address) its address
 * there with our SIP port (the cluster's nodes share sip.port). A socket on a
 * VIP of a sharing tag goes with the tag: held here when the tag is active
 * here, else reachable through the VIP (its holder), whatever the node that
 * received the REGISTER became. */
static void
binding_sock_resolve(const struct dp_lcore *lc, struct proxy_binding *b)
{
	uint32_t a = 0;
	int rc = -ENOENT;

	if (b->sock.family == 4 || b->sock.family == 6) {
		int vip = dp_vip_state(lc, b->sock.family, b->sock.addr);

		if (vip >= 0) {
			b->sock_vip = 1;
			b->sock_held = vip > 0;
			b->sock_up = 1;
			return;
		}
	}

	if (lc->ctx->shared != NULL)
		rc = dp_shared_node_find(lc->ctx->shared, b->sock_node, &a);
	b->sock_up = rc == 1;
	if (b->sock.family == 0 && rc >= 0 && a != 0) {
		b->sock.family = 4;
		b->sock.port = rte_be_to_cpu_16(lc->ctx->sip_port);
		b->sock.addr[0] = (uint8_t)(a >> 24);
		b->sock.addr[1] = (uint8_t)(a >> 16);
		b->sock.addr[2] = (uint8_t)(a >> 8);
		b->sock.addr[3] = (uint8_t)a;
	}
}

/* Did the request arrive on a VIP, i.e. not on an address of the port (dp_pkt
 * let in nothing else: the port's addresses and the VIPs held here)? */
static bool
reg_on_vip(const struct dp_port *p, const struct dp_pkt_info *info)
{
	if (info->family == 4)
		return memcmp(info->dst, &p->ipv4, 4) != 0;
	return memcmp(info->dst, p->ipv6, 16) != 0 && memcmp(info->dst, p->ipv6_ll, 16) != 0;
}

bool
dp_reg_stage(struct dp_lcore *lc, struct dp_staged *st)
{
	st->reg = 1;
	st->reg_status = (int16_t)reg_aor_key(lc->ctx->reg_conf, lc->msg, &st->key, &st->hash);
	st->mine = st->reg_status == 0 &&
		   reg_key_shard(st->hash, lc->ctx->n_workers) == lc->idx;
	return st->mine;
}

void
dp_reg_input(struct dp_lcore *lc, struct rte_mbuf *m, const struct dp_staged *st)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct reg_src src = {
		.family = info->family,
		.local_port = info->port_idx,
		.port = info->src_port,
	};
	struct reg_key own;
	const struct reg_key *key = &own;
	struct sip_via top;
	const char *top_next;
	uint32_t hash;
	unsigned int owner;
	size_t len = 0;
	bool authed;
	int status;

	if (st != NULL) {   /* keyed in the burst's first stage */
		status = st->reg_status;
		key = &st->key;
		hash = st->hash;
	} else {
		status = reg_aor_key(lc->ctx->reg_conf, lc->msg, &own, &hash);
	}
	if (status != 0) {
		if (dp_egress_sip_error(lc, m, (unsigned int)status) != 0) {   /* no usable Via */
			DP_DROP_INC(&lc->stats, SIP_NO_REPLY);
			rte_pktmbuf_free(m);
		}
		return;
	}
	owner = reg_key_shard(hash, lc->ctx->n_workers);
	if (owner != lc->idx) {   /* one writer per shard: its worker */
		dp_egress_steer(lc, (uint16_t)owner, m);
		return;
	}
	if (dp_auth_register(lc, m, key, &authed))
		return;   /* challenged or refused */
	src.unauth = !authed;
	memcpy(src.addr, info->src, sizeof(src.addr));
	if (reg_on_vip(&lc->ctx->ports[info->port_idx], info)) {
		src.sock_family = info->family;   /* arrived on a VIP: its socket */
		src.sock_port = info->dst_port;
		memcpy(src.sock_addr, info->dst, info->family == 4 ? 4 : 16);
	}
	/* the top Via once: the 200 OK's received/rport and where it goes */
	if (sip_msg_top_via_at(lc->msg, &top, &top_next) == 0) {
		src.top_via = &top;
		src.top_via_next = top_next;
	}
	status = reg_shard_register(lc->reg, lc->msg, key, &src, lc->now_ms, lc->wall_s,
				    lc->reply, sizeof(lc->reply), &len);
	if (len == 0) {
		DP_DROP_INC(&lc->stats, SIP_REPLY_TOO_BIG);
		rte_pktmbuf_free(m);
		return;
	}
	if (!authed && len > 3u * lc->msg->len) {   /* no amplification (docs/security.md) */
		DP_DROP_INC(&lc->stats, SIP_REPLY_AMPLIFY);
		rte_pktmbuf_free(m);
		return;
	}
	dp_egress_sip_reply_to(lc, m, dp_egress_reply_port(src.top_via, info->src_port), len,
			       (unsigned int)status);
}

/* proxy_lookup_fn of a worker: its own shard (the request was steered to it). */
int
dp_reg_lookup(void *arg, const char *aor, size_t len, struct proxy_binding *out)
{
	struct dp_lcore *lc = arg;
	struct binding_pick bp = { out, 0, 0 };
	int rc;

	if (lc->reg == NULL)
		return 0;
	rc = reg_shard_lookup(lc->reg, aor, len, lc->now_ms, binding_pick, &bp);
	if (rc < 0)
		return rc;
	if (!bp.found && lc->ctx->reg_conf->federation) {
		uint16_t home = 0;

		/* federation: a user of another node, which holds its bindings */
		if (reg_shard_dir_find(lc->reg, aor, len, lc->now_ms, &home) == 1 &&
		    home != lc->ctx->reg_conf->node_id) {
			memset(&out->sock, 0, sizeof(out->sock));
			out->sock_node = home;
			out->sock_vip = 0;
			out->sock_held = 0;
			out->uri_len = 0;
			out->path_len = 0;
			binding_sock_resolve(lc, out);
			return PROXY_LOOKUP_HOME;
		}
	}
	if (!bp.found && lc->ctx->cluster_port != 0 && lc->ctx->shared != NULL &&
	    lc->ctx->shared->reg_sync != MSG_CAP_SYNCED)
		return -EAGAIN;   /* not synced yet: the user may be registered elsewhere */
	if (bp.found && ((out->sock_node != 0 && out->sock_node != lc->ctx->reg_conf->node_id) ||
			 out->sock.family != 0))
		binding_sock_resolve(lc, out);
	return bp.found;
}

unsigned int
dp_reg_apply_poll(struct dp_lcore *lc)
{
	void *recs[DP_MAX_BURST];
	unsigned int n, m, i;

	if (lc->reg_apply == NULL || lc->reg_apply_pack == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(lc->reg_apply, recs, DP_MAX_BURST, NULL);
	for (i = 0; i < n; i++)   /* counted by the shard: applied, stale, apply_failed */
		(void)reg_shard_apply(lc->reg, recs[i], lc->now_ms);
	if (n != 0)
		rte_mempool_put_bulk(lc->ctx->rec_pool, recs, n);
	/* full-sync packs: up to DP_PACK_BURST (a pack is at most ~8 KB of records,
	 * ~100 us of the worker) */
	m = rte_ring_sc_dequeue_burst(lc->reg_apply_pack, recs, DP_PACK_BURST, NULL);
	for (i = 0; i < m; i++) {
		const struct reg_pack_buf *pk = recs[i];

		n += reg_shard_apply_pack(lc->reg, pk->data, pk->len, pk->age_ms, lc->now_ms);
	}
	if (m != 0)
		rte_mempool_put_bulk(lc->ctx->pack_pool, recs, m);
	return n;
}
