/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP datagrams into the shard layer: parse, dispatch, registrar, replies. See dp_sip.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dataplane/core/dp_neigh.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_sip.h"
#include "dataplane/core/dp_steer.h"
#include "dataplane/core/dp_tx.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"

#define SIP_DEFAULT_PORT 5060

/* ---- worker lcore ---- */

/* Where a response to this request goes (RFC 3261 §18.2.2 for unreliable unicast,
 * RFC 3581): the source address; the source port when the top Via asks ;rport,
 * else the sent-by port, else 5060. (maddr is not honoured: no multicast.) */
static uint16_t
reply_port(const struct sip_msg *msg, const struct dp_pkt_info *info)
{
	struct sip_via via;

	if (sip_msg_top_via(msg, &via) != 0)
		return info->src_port;
	if (via.rport_str.p != NULL)
		return info->src_port;
	return via.port != 0 ? via.port : SIP_DEFAULT_PORT;
}

/* One UDP datagram payload[0..len) from src:sport to dst:dport, out of port
 * port_idx to dmac, queued with dp_tx. m is reused when the packet fits its
 * first segment (the payload must not be in m: it is in an lcore buffer), else
 * a fresh mbuf is taken; m may be NULL. On failure the packet is freed and
 * counted under too_big / no_mbuf. The one L2-L4 builder of every packet a
 * worker makes (replies, forwarded messages, probes). */
static int
udp_send(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t port_idx,
	 const struct rte_ether_addr *dmac, uint8_t family, const uint8_t *src,
	 const uint8_t *dst, uint16_t sport, uint16_t dport, const char *payload, size_t len,
	 enum dp_drop too_big, enum dp_drop no_mbuf)
{
	const struct dp_port *port = &lc->ctx->ports[port_idx];
	size_t l3 = family == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	size_t total = sizeof(struct rte_ether_hdr) + l3 + sizeof(struct rte_udp_hdr) + len;
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;
	char *p;

	if (len == 0 || l3 + sizeof(*udp) + len > port->mtu) {
		lc->stats.drop[too_big]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	if (m == NULL || m->nb_segs != 1 || total > (size_t)m->buf_len - RTE_PKTMBUF_HEADROOM) {
		struct rte_mbuf *n = rte_pktmbuf_alloc(lc->ctx->pool);

		rte_pktmbuf_free(m);
		if (n == NULL) {
			lc->stats.drop[no_mbuf]++;
			return -1;
		}
		m = n;
	}
	rte_pktmbuf_reset(m);
	p = rte_pktmbuf_append(m, (uint16_t)total);
	if (p == NULL) {
		lc->stats.drop[too_big]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	m->port = port->port_id;
	eth = (struct rte_ether_hdr *)p;
	eth->dst_addr = *dmac;
	eth->src_addr = port->mac;
	udp = (struct rte_udp_hdr *)(p + sizeof(*eth) + l3);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, payload, len);
	if (family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + sizeof(*udp) + len));
		ip->packet_id = rte_cpu_to_be_16(lc->ip_id++);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, src, 16);
		memcpy(ip6->dst_addr, dst, 16);
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	}
	dp_tx(lc, port_idx, m);
	return 0;
}

/* Turns m (the request) into the reply carrying lc->reply[0..len) and queues it
 * on the port it came from, to the MAC it came from. m is consumed. */
static void
send_reply(struct dp_lcore *lc, struct rte_mbuf *m, size_t len, unsigned int status)
{
	const struct dp_pkt_info info = *dp_pkt_info_of(m);
	struct rte_ether_addr peer = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;

	if (udp_send(lc, m, info.port_idx, &peer, info.family, info.dst, info.src, info.dst_port,
		     reply_port(&lc->msg, &info), lc->reply, len, DP_DROP_SIP_REPLY_TOO_BIG,
		     DP_DROP_SIP_REPLY_NO_MBUF) == 0)
		lc->stats.sip.reply[status / 100 < DP_SIP_CLASSES ? status / 100 : 0]++;
}

/* The port whose IPv4 subnet holds dst, else port 0. */
static uint16_t
route_port(const struct dp_ctx *ctx, rte_be32_t dst)
{
	uint16_t i;

	for (i = 0; i < ctx->n_ports; i++) {
		const struct dp_port *p = &ctx->ports[i];

		if (p->ipv4 != 0 && ((dst ^ p->ipv4) & p->ipv4_mask) == 0)
			return i;
	}
	return 0;
}

/* Sends lc->reply[0..len) (or msg) from our address on the chosen port and the
 * SIP port to dst, its MAC from the neighbour table. m (may be NULL) is reused
 * or freed. IPv6 next hops are not resolved: counted NEIGH_MISS. */
static int
send_to(struct dp_lcore *lc, struct rte_mbuf *m, const struct lb_addr *dst, const char *msg,
	size_t len)
{
	rte_be32_t ip;
	uint16_t pi;
	struct rte_ether_addr mac;
	const struct dp_port *port;

	if (dst->family != 4) {
		DP_DROP_INC(&lc->stats, NEIGH_MISS);
		rte_pktmbuf_free(m);
		return -1;
	}
	memcpy(&ip, dst->addr, 4);
	pi = route_port(lc->ctx, ip);
	port = &lc->ctx->ports[pi];
	if (dp_neigh_resolve(lc, pi, ip, &mac) != 0) {
		DP_DROP_INC(&lc->stats, NEIGH_MISS);
		rte_pktmbuf_free(m);
		return -1;
	}
	return udp_send(lc, m, pi, &mac, 4, (const uint8_t *)&port->ipv4, dst->addr,
			rte_be_to_cpu_16(lc->ctx->sip_port), dst->port, msg, len,
			DP_DROP_FWD_TOO_BIG, DP_DROP_FWD_NO_MBUF);
}

/* received=/rport= for the top Via of a reply (RFC 3261 §18.2.1, RFC 3581). */
static void
reply_via(const struct dp_pkt_info *info, char *addr, size_t cap, struct sip_reply_via *v)
{
	inet_ntop(info->family == 4 ? AF_INET : AF_INET6, info->src, addr, (socklen_t)cap);
	v->received = addr;
	v->received_len = (uint16_t)strlen(addr);
	v->rport = info->src_port;
}

/* A reply built from the request alone (errors, OPTIONS to us). */
static void
reply_simple(struct dp_lcore *lc, struct rte_mbuf *m, unsigned int status)
{
	char addr[INET6_ADDRSTRLEN];
	struct sip_reply_via via;
	size_t len;

	reply_via(dp_pkt_info_of(m), addr, sizeof(addr), &via);
	len = sip_reply_error(&lc->msg, status, NULL, &via, lc->reply, sizeof(lc->reply));
	if (len == 0) {   /* no Via to answer to, or too long */
		DP_DROP_INC(&lc->stats, SIP_NO_REPLY);
		rte_pktmbuf_free(m);
		return;
	}
	send_reply(lc, m, len, status);
}

static void
registrar(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct reg_src src = {
		.family = info->family,
		.local_port = info->port_idx,
		.port = info->src_port,
	};
	struct reg_key key;
	uint32_t hash;
	unsigned int owner;
	size_t len = 0;
	int status;

	status = reg_aor_key(lc->ctx->reg_conf, &lc->msg, &key, &hash);
	if (status != 0) {
		reply_simple(lc, m, (unsigned int)status);
		return;
	}
	owner = reg_key_shard(hash, lc->ctx->n_workers);
	if (owner != lc->idx) {   /* one writer per shard: its worker */
		dp_steer_send(lc, (uint16_t)owner, m);
		return;
	}
	memcpy(src.addr, info->src, sizeof(src.addr));
	status = reg_shard_register(lc->reg, &lc->msg, &key, &src, lc->now_ms, lc->wall_s,
				    lc->reply, sizeof(lc->reply), &len);
	if (len == 0) {
		DP_DROP_INC(&lc->stats, SIP_REPLY_TOO_BIG);
		rte_pktmbuf_free(m);
		return;
	}
	send_reply(lc, m, len, (unsigned int)status);
}

static void
lb_src(const struct dp_pkt_info *info, struct lb_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = info->family;
	a->port = info->src_port;
	memcpy(a->addr, info->src, info->family == 4 ? 4 : 16);
}

/* What proxy_request/proxy_response decided: lc->reply holds the bytes. A
 * REPLY of ours goes back the way the request came (its port and MAC). */
static void
proxy_out(struct dp_lcore *lc, struct rte_mbuf *m, const struct proxy_result *res)
{
	switch (res->action) {
	case PROXY_FORWARD:
		if (send_to(lc, m, &res->dst, lc->reply, res->len) == 0)
			DP_STAT_INC(&lc->stats, sip_forwarded);
		return;
	case PROXY_REPLY: {
		const struct dp_pkt_info info = *dp_pkt_info_of(m);
		struct rte_ether_addr peer = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;

		if (res->dst.family == info.family &&
		    memcmp(res->dst.addr, info.src, info.family == 4 ? 4 : 16) == 0) {
			if (udp_send(lc, m, info.port_idx, &peer, info.family, info.dst, info.src,
				     info.dst_port, res->dst.port, lc->reply, res->len,
				     DP_DROP_SIP_REPLY_TOO_BIG, DP_DROP_SIP_REPLY_NO_MBUF) == 0)
				lc->stats.sip.reply[res->status / 100 < DP_SIP_CLASSES ? res->status / 100 : 0]++;
			return;
		}
		send_to(lc, m, &res->dst, lc->reply, res->len);
		return;
	}
	case PROXY_PROBE_REPLY:
		if (lc->ctx->lb != NULL && res->member >= 0)
			lb_reply_note(lc->ctx->lb, lc->idx, res->set, (unsigned)res->member, res->seq);
		rte_pktmbuf_free(m);
		return;
	default:
		DP_DROP_INC(&lc->stats, PROXY_DROP);
		rte_pktmbuf_free(m);
		return;
	}
}

/* A request for the proxy: to the shard owning its AoR when it needs the
 * location service (one writer per shard: the lookup runs there), then one
 * stateless decision. */
static void
proxy_req(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	struct proxy_result res;
	struct lb_addr src;
	char aor[PROXY_AOR_MAX];
	int n;

	n = proxy_request_aor(lc->ctx->proxy_conf, &lc->msg, aor, sizeof(aor));
	if (n > 0 && lc->reg != NULL) {
		struct reg_key key;

		if (reg_key_from_text(lc->ctx->reg_conf, aor, (size_t)n, &key) == 0) {
			unsigned int owner = reg_key_shard((uint32_t)key.digest, lc->ctx->n_workers);

			if (owner != lc->idx) {
				dp_steer_send(lc, (uint16_t)owner, m);
				return;
			}
		}
	}
	lb_src(info, &src);
	proxy_request(&lc->proxy, &lc->msg, &src, lc->reply, sizeof(lc->reply), &res);
	proxy_out(lc, m, &res);
}

/* OPTIONS to this node itself (no user part): the keepalive operators expect. */
static bool
options_to_us(const struct sip_msg *msg)
{
	struct sip_uri u;

	return msg->method == SIP_METHOD_OPTIONS &&
	       sip_uri_parse(&u, msg->ruri.p, msg->ruri.len) == 0 &&
	       (u.type == SIP_URI_SIP || u.type == SIP_URI_SIPS) && u.user.p == NULL;
}

void
dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);
	const uint8_t *p = dp_pkt_payload(lc, m, info);
	struct sip_msg *msg = &lc->msg;
	int rc;

	rc = p == NULL ? -SIP_ERR_EMPTY : sip_msg_parse(msg, (const char *)p, info->payload_len);
	if (rc != 0) {   /* (only the receiving lcore parses a message that fails) */
		lc->stats.sip.invalid[(unsigned int)-rc < SIP_ERR__COUNT ? -rc : 0]++;
		DP_DROP_INC(&lc->stats, SIP_INVALID);
		/* A request we can answer gets its 400/505 (RFC 3261 §8.2, §16.3);
		 * a broken response is dropped silently. */
		if (p != NULL && msg->is_request && sip_err_status(rc) >= 400) {
			char addr[INET6_ADDRSTRLEN];
			struct sip_reply_via via;
			size_t len;

			reply_via(info, addr, sizeof(addr), &via);
			len = sip_reply_error(msg, sip_err_status(rc), NULL, &via, lc->reply, sizeof(lc->reply));
			if (len != 0) {
				send_reply(lc, m, len, sip_err_status(rc));
				return;
			}
		}
		rte_pktmbuf_free(m);
		return;
	}
	if (!msg->is_request) {
		struct proxy_result res;
		struct lb_addr src;

		lc->stats.sip.resp[msg->status / 100 < DP_SIP_CLASSES ? msg->status / 100 : 0]++;
		if (lc->ctx->proxy_conf == NULL) {
			DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
			rte_pktmbuf_free(m);
			return;
		}
		lb_src(info, &src);
		proxy_response(&lc->proxy, msg, &src, lc->reply, sizeof(lc->reply), &res);
		proxy_out(lc, m, &res);
		return;
	}
	if (!info->steered)   /* counted once, by the lcore that received it */
		lc->stats.sip.req[msg->method < SIP_METHOD__COUNT ? msg->method : 0]++;
	if (msg->method == SIP_METHOD_REGISTER && lc->reg != NULL) {
		registrar(lc, m);
		return;
	}
	if (options_to_us(msg)) {
		reply_simple(lc, m, 200);
		return;
	}
	if (lc->ctx->proxy_conf != NULL) {
		proxy_req(lc, m);
		return;
	}
	DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
	rte_pktmbuf_free(m);
}

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
	return 0;
}

/* proxy_lookup_fn of a worker: its own shard (the request was steered to it). */
static int
sip_lookup(void *arg, const char *aor, size_t len, struct proxy_binding *out)
{
	struct dp_lcore *lc = arg;
	struct binding_pick bp = { out, 0, 0 };
	int rc;

	if (lc->reg == NULL)
		return 0;
	rc = reg_shard_lookup(lc->reg, aor, len, lc->now_ms, binding_pick, &bp);
	if (rc < 0)
		return rc;
	return bp.found;
}

/* lb_probe_send_fn: worker 0 sends the probe from our address and SIP port. */
static int
probe_send(void *arg, const struct lb_set *set, unsigned member, const char *msg, size_t len,
	   const struct lb_addr *dst)
{
	struct dp_lcore *lc = arg;

	(void)set;
	(void)member;
	if (send_to(lc, NULL, dst, msg, len) != 0)
		return -1;
	DP_STAT_INC(&lc->stats, probes_sent);
	return 0;
}

void
dp_sip_probe(struct dp_lcore *lc)
{
	unsigned int changes;

	if (lc->ctx->lb == NULL || lc->idx != 0 || lc->is_ctl)
		return;
	changes = lb_prober_poll(lc->ctx->lb, lc->now_ms, probe_send, lc);
	if (lc->ctx->shared != NULL && (changes != 0 || lc->now_ms >= lc->backends_pub_ms)) {
		dp_shared_publish_backends(lc->ctx->shared, lc->ctx->lb);
		lc->backends_pub_ms = lc->now_ms + DP_BACKENDS_PUB_MS;
	}
}

/* ---- main lcore ---- */

void
dp_sip_proxy_init(struct dp_lcore *lc)
{
	if (lc->ctx->proxy_conf != NULL)
		proxy_worker_init(&lc->proxy, lc->ctx->proxy_conf, sip_lookup, lc);
}

/* ---- worker lcore ---- */

struct contact_list {
	struct dp_contact_rec *rec;
	size_t cap, n;
};

static int
contact_rec(const struct reg_contact *c, void *arg)
{
	struct contact_list *cl = arg;
	struct dp_contact_rec *r;
	size_t n;

	if (cl->n == cl->cap)
		return 1;
	r = &cl->rec[cl->n++];
	memset(r, 0, sizeof(*r));
	n = RTE_MIN((size_t)c->uri_len, sizeof(r->uri) - 1);
	memcpy(r->uri, c->uri, n);
	r->expires_in = c->expires_in;
	r->q = c->q;
	r->origin = c->origin;
	r->port = c->src.port;
	r->family = c->src.family;
	memcpy(r->addr, c->src.addr, sizeof(r->addr));
	return 0;
}

/* DP_QUERY_CONTACT_SHOW records appended at out[len..cap). */
struct contact_show {
	char *out;
	size_t cap, len;
	struct dp_contact_show *head;
	bool overflow;
};

_Static_assert(REG_AOR_MAX <= DP_QUERY_ARG, "a normalised AoR fits dp_contact_show.aor");
_Static_assert(sizeof(struct dp_contact_show) % 8 == 0 && sizeof(struct dp_contact_ent) % 8 == 0,
	      "contact records stay 8-byte aligned");

static int
contact_ent(const struct reg_contact *c, void *arg)
{
	struct contact_show *cs = arg;
	struct dp_contact_ent e = {
		.expires_in = c->expires_in, .cseq = c->cseq, .version = c->version,
		.reg_id = c->reg_id, .q = c->q, .origin = c->origin, .port = c->src.port,
		.uri_len = c->uri_len, .family = c->src.family, .local_port = c->src.local_port,
	};
	char *p;

	if (c->instance != NULL) {
		e.flags |= DP_CONTACT_F_INSTANCE;
		e.instance_len = c->instance_len;
	}
	if (c->path != NULL) {
		e.flags |= DP_CONTACT_F_PATH;
		e.path_len = c->path_len;
	}
	memcpy(e.addr, c->src.addr, sizeof(e.addr));
	if (DP_CONTACT_ENT_SIZE(&e) > cs->cap - cs->len) {
		cs->overflow = true;
		return 1;
	}
	p = cs->out + cs->len;
	memset(p, 0, DP_CONTACT_ENT_SIZE(&e));
	memcpy(p, &e, sizeof(e));
	p += sizeof(e);
	memcpy(p, c->uri, e.uri_len);
	p += e.uri_len;
	if (e.instance_len != 0)
		memcpy(p, c->instance, e.instance_len);
	p += e.instance_len;
	if (e.path_len != 0)
		memcpy(p, c->path, e.path_len);
	cs->len += DP_CONTACT_ENT_SIZE(&e);
	cs->head->n++;
	return 0;
}

/* Shard queries: only the owner of an AoR answers for it (-ENOENT elsewhere).
 * The answers are binary records (dp_shared.h). */
static int
sip_query(struct dp_lcore *lc, uint32_t kind, const char *arg, char *out, size_t cap,
	     uint32_t *len)
{
	struct reg_key key;
	size_t n;

	*len = 0;
	if (lc->reg == NULL)
		return -ENOTSUP;
	switch (kind) {
	case DP_QUERY_CONTACTS_COUNT: {
		struct dp_contact_counts cnt;

		if (cap < sizeof(cnt))
			return -ENOSPC;
		reg_shard_counts(lc->reg, &cnt.aors, &cnt.contacts);
		memcpy(out, &cnt, sizeof(cnt));
		n = sizeof(cnt);
		break;
	}
	case DP_QUERY_CONTACT_SHOW:
	case DP_QUERY_CONTACT_LIST:
		if (reg_key_from_text(lc->ctx->reg_conf, arg, strlen(arg), &key) != 0)
			return -EINVAL;
		if (reg_key_shard((uint32_t)key.digest, lc->ctx->n_workers) != lc->idx)
			return -ENOENT;
		if (kind == DP_QUERY_CONTACT_SHOW) {
			struct contact_show cs = { out, cap, sizeof(struct dp_contact_show),
						   (struct dp_contact_show *)(void *)out, false };

			if (cap < sizeof(struct dp_contact_show))
				return -ENOSPC;
			memset(cs.head, 0, sizeof(*cs.head));
			cs.head->aor_len = key.len;
			memcpy(cs.head->aor, key.aor, key.len);
			reg_shard_lookup(lc->reg, key.aor, key.len, lc->now_ms, contact_ent, &cs);
			if (cs.overflow)
				return -ENOSPC;
			n = cs.len;
		} else {
			struct contact_list cl = { (struct dp_contact_rec *)(void *)out,
						   cap / sizeof(struct dp_contact_rec), 0 };

			reg_shard_lookup(lc->reg, key.aor, key.len, lc->now_ms, contact_rec, &cl);
			n = cl.n * sizeof(struct dp_contact_rec);
		}
		break;
	default:
		return -EINVAL;
	}
	*len = (uint32_t)n;
	return 0;
}

void
dp_sip_serve(struct dp_lcore *lc)
{
	struct dp_shared *sh = lc->ctx->shared;
	struct dp_query *q;
	uint32_t seq;

	if (sh == NULL || lc->is_ctl)
		return;
	q = &sh->query[lc->idx];
	seq = q->seq_req;
	if (likely(seq == q->seq_done))
		return;
	rte_smp_rmb();
	q->rc = sip_query(lc, q->kind, q->arg, q->out, sizeof(q->out), &q->len);
	rte_smp_wmb();
	q->seq_done = seq;
}
