/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet classification on crafted mbufs: every answer built in place, every drop
 * reason, IPv4 reassembly (in order, reversed, duplicate, timeout), truncation at
 * every length and random frames, with mbuf leak checks against the pool.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "config/cfg.h"
#include "dataplane/core/dp_cgate.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_neigh.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_vip.h"

#define SIP_PORT     5060
#define CLUSTER_PORT 5800
#define POOL_SIZE    4095

static struct cfg cfg;
static struct dp_ctx ctx;
static struct dp_lcore *lc;
static struct rte_mempool *pool;

static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 0x64 }};
static const uint8_t our6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x01 };
static const uint8_t peer6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x64 };
#define OUR4  RTE_BE32(0xc6120001)   /* 198.18.0.1 */
#define PEER4 RTE_BE32(0xc6120064)   /* 198.18.0.100 */

/* ---- builders ---- */

static struct rte_mbuf *
mk(const void *bytes, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, bytes, len);
	m->port = 0;
	return m;
}

static uint32_t
eth(uint8_t *b, const struct rte_ether_addr *dst, uint16_t type)
{
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)b;

	e->dst_addr = *dst;
	e->src_addr = peer_mac;
	e->ether_type = rte_cpu_to_be_16(type);
	return sizeof(*e);
}

/* Ethernet + IPv4 + L4 bytes; returns the frame length. */
static uint32_t
ip4(uint8_t *b, uint8_t proto, rte_be32_t dst, const void *l4, uint32_t l4len,
    uint16_t frag_off, uint16_t id)
{
	uint32_t off = eth(b, &our_mac, RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + off);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4len));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = rte_cpu_to_be_16(frag_off);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = PEER4;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(ip + 1, l4, l4len);
	return off + (uint32_t)sizeof(*ip) + l4len;
}

/* UDP datagram (header + payload) with a correct checksum over IPv4. */
static uint32_t
udp4(uint8_t *out, uint16_t dport, const void *payload, uint32_t plen)
{
	uint8_t frame[9000];
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)out;
	struct rte_ipv4_hdr *ip;

	u->src_port = rte_cpu_to_be_16(5061);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + plen));
	u->dgram_cksum = 0;
	memcpy(u + 1, payload, plen);
	ip4(frame, IPPROTO_UDP, OUR4, out, (uint32_t)sizeof(*u) + plen, 0, 1);
	ip = (struct rte_ipv4_hdr *)(frame + sizeof(struct rte_ether_hdr));
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, (uint8_t *)(ip + 1));
	return (uint32_t)sizeof(*u) + plen;
}

static struct rte_mbuf *
mk_udp4(uint16_t dport, const char *payload)
{
	uint8_t l4[2048], frame[2100];
	uint32_t n = udp4(l4, dport, payload, (uint32_t)strlen(payload));

	return mk(frame, ip4(frame, IPPROTO_UDP, OUR4, l4, n, 0, 1));
}

static uint32_t
ip6(uint8_t *b, const struct rte_ether_addr *dmac, const uint8_t *src, const uint8_t *dst,
    uint8_t proto, uint8_t hops, const void *l4, uint32_t l4len)
{
	uint32_t off = eth(b, dmac, RTE_ETHER_TYPE_IPV6);
	struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)(b + off);
	uint8_t *p = (uint8_t *)(h + 1);

	memset(h, 0, sizeof(*h));
	h->vtc_flow = rte_cpu_to_be_32(6u << 28);
	h->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
	h->proto = proto;
	h->hop_limits = hops;
	memcpy(h->src_addr, src, 16);
	memcpy(h->dst_addr, dst, 16);
	memcpy(p, l4, l4len);
	if (proto == IPPROTO_ICMPV6) {
		p[2] = p[3] = 0;
		memcpy(p + 2, &(uint16_t){ rte_ipv6_udptcp_cksum(h, p) }, 2);
	} else if (proto == IPPROTO_UDP && l4len >= 8) {
		p[6] = p[7] = 0;
		memcpy(p + 6, &(uint16_t){ rte_ipv6_udptcp_cksum(h, p) }, 2);
	}
	return off + (uint32_t)sizeof(*h) + l4len;
}

static uint64_t
drops(enum dp_drop d)
{
	return lc->stats.drop[d];
}

static enum dp_pkt_action
run(struct rte_mbuf **m)
{
	return dp_pkt_classify(lc, m, rte_rdtsc());
}

/* Classify, expect a drop for reason d, free. */
static void
expect_drop(struct rte_mbuf *m, enum dp_drop d)
{
	uint64_t before = drops(d);

	assert_int_equal(run(&m), DP_PKT_DROP);
	assert_int_equal(drops(d), before + 1);
	rte_pktmbuf_free(m);
}

/* ---- fixtures ---- */

static int
setup(void **state)
{
	char *argv[] = { "test_dp_pkt", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=*:error", NULL };

	(void)state;
	if (rte_eal_init(9, argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("t_pkt", POOL_SIZE, 0, DP_MBUF_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return -1;
	cfg_defaults(&cfg);
	ctx.cfg = &cfg;
	ctx.n_workers = 1;
	ctx.n_ports = 1;
	ctx.pool = pool;
	ctx.sip_port = RTE_BE16(SIP_PORT);
	ctx.cluster_port = RTE_BE16(CLUSTER_PORT);
	ctx.ports[0].mac = our_mac;
	ctx.ports[0].ipv4 = OUR4;
	ctx.ports[0].has_ipv6 = true;
	memcpy(ctx.ports[0].ipv6, our6, 16);
	ctx.ports[0].ipv6_ll[0] = 0xfe;
	ctx.ports[0].ipv6_ll[1] = 0x80;
	ctx.ports[0].ipv6_ll[15] = 0x01;
	lc = rte_zmalloc("lc", sizeof(*lc), RTE_CACHE_LINE_SIZE);
	if (lc == NULL)
		return -1;
	lc->ctx = &ctx;
	ctx.lcores[0] = lc;
	return dp_pkt_frag_init(lc, 64, 500, SOCKET_ID_ANY);
}

static int
teardown(void **state)
{
	(void)state;
	dp_pkt_frag_fini(lc);
	rte_free(lc);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

/* Every test must give back every mbuf it took. */
static int
check_no_leak(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	return 0;
}

/* ---- ARP ---- */

static uint32_t
arp(uint8_t *b, uint16_t op, rte_be32_t tip)
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	uint32_t off = eth(b, &bcast, RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(b + off);

	memset(a, 0, sizeof(*a));
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = peer_mac;
	a->arp_data.arp_sip = PEER4;
	a->arp_data.arp_tip = tip;
	return off + (uint32_t)sizeof(*a);
}

static void
test_arp_request_answered(void **state)
{
	uint8_t b[64] = { 0 };
	struct rte_mbuf *m = mk(b, arp(b, RTE_ARP_OP_REQUEST, OUR4) + 18);   /* padded to 60 */
	struct rte_ether_hdr *e;
	struct rte_arp_hdr *a;

	(void)state;
	assert_int_equal(run(&m), DP_PKT_REPLY);
	e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	a = (struct rte_arp_hdr *)(e + 1);
	assert_true(rte_is_same_ether_addr(&e->dst_addr, &peer_mac));
	assert_true(rte_is_same_ether_addr(&e->src_addr, &our_mac));
	assert_int_equal(a->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_tha, &peer_mac));
	assert_int_equal(a->arp_data.arp_sip, OUR4);
	assert_int_equal(a->arp_data.arp_tip, PEER4);
	assert_int_equal(m->pkt_len, 42);
	assert_int_equal(lc->stats.cnt[DP_CNT_arp_replies], 1);
	rte_pktmbuf_free(m);
}

static void
test_arp_drops(void **state)
{
	uint8_t b[64];
	uint32_t n;

	(void)state;
	expect_drop(mk(b, arp(b, RTE_ARP_OP_REQUEST, PEER4)), DP_DROP_ARP_NOT_OURS);
	expect_drop(mk(b, arp(b, RTE_ARP_OP_REPLY, PEER4)), DP_DROP_ARP_OPCODE);
	n = arp(b, RTE_ARP_OP_REQUEST, OUR4);
	expect_drop(mk(b, n - 10), DP_DROP_ARP_MALFORMED);
	b[14 + 4] = 8;   /* hardware address length 8 */
	expect_drop(mk(b, n), DP_DROP_ARP_MALFORMED);
}

/* VIPs of sharing tags: a held VIP is answered like the port's address (from the
 * VIP), one held elsewhere never; its holder's gratuitous ARP is learnt. */
#define VIP_HELD  RTE_BE32(0xc6120032)   /* 198.18.0.50 */
#define VIP_OTHER RTE_BE32(0xc6120033)   /* 198.18.0.51 */

static void
test_vip(void **state)
{
	uint8_t icmp[64] = { RTE_IP_ICMP_ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
	uint64_t answered = lc->stats.cnt[DP_CNT_arp_vip_answered];
	struct rte_ipv4_hdr *ip;
	struct rte_arp_hdr *a;
	struct rte_mbuf *m;
	uint8_t b[128] = { 0 };

	(void)state;
	memset(&lc->vips, 0, sizeof(lc->vips));
	lc->vips.n = 2;
	lc->vips.v[0].family = 4;
	lc->vips.v[0].addr = VIP_HELD;
	lc->vips.v[0].held = 1;
	lc->vips.v[1].family = 4;
	lc->vips.v[1].addr = VIP_OTHER;

	m = mk(b, arp(b, RTE_ARP_OP_REQUEST, VIP_HELD));
	assert_int_equal(run(&m), DP_PKT_REPLY);
	a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	assert_int_equal(a->arp_data.arp_sip, VIP_HELD);
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
	assert_int_equal(a->arp_data.arp_tip, PEER4);
	assert_int_equal(lc->stats.cnt[DP_CNT_arp_vip_answered], answered + 1);
	rte_pktmbuf_free(m);
	expect_drop(mk(b, arp(b, RTE_ARP_OP_REQUEST, VIP_OTHER)), DP_DROP_VIP_NOT_HELD);

	/* gratuitous: another node announcing our VIP is not answered; the holder of
	 * a VIP we do not hold is learnt (and shared with the other lcores) */
	arp(b, RTE_ARP_OP_REQUEST, VIP_HELD);
	((struct rte_arp_hdr *)(b + sizeof(struct rte_ether_hdr)))->arp_data.arp_sip = VIP_HELD;
	expect_drop(mk(b, 42), DP_DROP_ARP_GRATUITOUS);
	arp(b, RTE_ARP_OP_REQUEST, VIP_OTHER);
	((struct rte_arp_hdr *)(b + sizeof(struct rte_ether_hdr)))->arp_data.arp_sip = VIP_OTHER;
	m = mk(b, 42);
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	rte_pktmbuf_free(m);

	/* ICMP echo: answered from the VIP it was sent to, only when held */
	memcpy(icmp + 2, &(uint16_t){ (uint16_t)~rte_raw_cksum(icmp, 12) }, 2);
	m = mk(b, ip4(b, IPPROTO_ICMP, VIP_HELD, icmp, 12, 0, 7));
	assert_int_equal(run(&m), DP_PKT_REPLY);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	assert_int_equal(ip->src_addr, VIP_HELD);
	assert_int_equal(ip->dst_addr, PEER4);
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	rte_pktmbuf_free(m);
	expect_drop(mk(b, ip4(b, IPPROTO_ICMP, VIP_OTHER, icmp, 12, 0, 7)), DP_DROP_VIP_NOT_HELD);
	expect_drop(mk(b, ip4(b, IPPROTO_ICMP, RTE_BE32(0xc6120034), icmp, 12, 0, 7)),
		    DP_DROP_IP4_NOT_OURS);
	memset(&lc->vips, 0, sizeof(lc->vips));
}

/* An ARP reply for us is learnt (and handed on for the other lcores); a miss
 * is reported once per retry interval. */
static void
test_arp_reply_learnt(void **state)
{
	uint8_t b[64];
	struct rte_mbuf *m;
	struct rte_ether_addr mac;

	(void)state;
	lc->now_ms = 1000;
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4 ^ RTE_BE32(0x100), &mac), -EAGAIN);
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4 ^ RTE_BE32(0x100), &mac), -ENOENT);
	assert_int_equal(lc->n_tx[0], 1);   /* the ARP request, queued */
	assert_int_equal(lc->stats.cnt[DP_CNT_arp_requests], 1);
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;
	m = mk(b, arp(b, RTE_ARP_OP_REPLY, OUR4));
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	rte_pktmbuf_free(m);
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
}

/* An ARP reply received by lcore 0 is handed to workers 1 and 2 (one
 * reference each, marked neigh_only); each learns it in its own table. */
static void
test_arp_reply_fanout(void **state)
{
	struct rte_ring *r[3] = { NULL };
	struct dp_lcore *other[3] = { NULL };
	uint8_t b[64];
	struct rte_mbuf *m, *got;
	struct rte_ether_addr mac;
	unsigned int j;

	(void)state;
	for (j = 1; j < 3; j++) {
		char name[16];

		snprintf(name, sizeof(name), "t_fan%u", j);
		r[j] = rte_ring_create(name, 16, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		other[j] = rte_zmalloc("lc2", sizeof(*lc), RTE_CACHE_LINE_SIZE);
		assert_non_null(r[j]);
		assert_non_null(other[j]);
		other[j]->ctx = &ctx;
		other[j]->idx = (uint16_t)j;
		lc->out[j] = r[j];
	}
	ctx.n_workers = 3;
	m = mk(b, arp(b, RTE_ARP_OP_REPLY, OUR4));
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	dp_egress_fanout(lc, m);
	dp_egress_flush(lc);   /* the shares leave in one burst per ring */
	for (j = 1; j < 3; j++) {
		assert_int_equal(rte_ring_dequeue(r[j], (void **)&got), 0);
		assert_ptr_equal(got, m);
		assert_true(dp_pkt_info_of(got)->neigh_only);
		assert_int_equal(dp_egress_neigh_resolve(other[j], 0, PEER4, &mac), -EAGAIN);
		other[j]->n_tx[0] = 0;   /* (the ARP request it queued is freed below) */
		rte_pktmbuf_free(other[j]->tx[0][0]);
		dp_neigh_input(other[j], got);
		assert_int_equal(dp_egress_neigh_resolve(other[j], 0, PEER4, &mac), 0);
		assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
	}
	ctx.n_workers = 1;
	for (j = 1; j < 3; j++) {
		lc->out[j] = NULL;
		rte_ring_free(r[j]);
		rte_free(other[j]);
	}
}

/* A frame for a neighbour being resolved is held, not dropped: it leaves with
 * the MAC once learnt; held too long, or past the per-address room, it is
 * dropped (NEIGH_MISS); while held, the address is asked again. Without hold
 * (the pinger, which retries itself) the frame is dropped at once. */
static void
test_neigh_hold(void **state)
{
	const rte_be32_t a = PEER4 ^ RTE_BE32(0x200), b2 = PEER4 ^ RTE_BE32(0x300);
	uint64_t miss = lc->stats.drop[DP_DROP_NEIGH_MISS];
	uint64_t asked = lc->stats.cnt[DP_CNT_arp_requests];
	unsigned int i;

	(void)state;
	ctx.ports[0].mtu = 1500;
	lc->now_ms = 50000;
	lc->n_tx[0] = 0;
	assert_int_equal(dp_egress_udp_to(lc, NULL, 4, (const uint8_t *)&a, 5060, 5070, "one", 3,
					  true), 0);
	assert_int_equal(dp_egress_udp_to(lc, NULL, 4, (const uint8_t *)&a, 5060, 5070, "two", 3,
					  true), 0);
	assert_int_equal(lc->n_tx[0], 1);   /* only the ARP request */
	assert_int_equal(lc->stats.cnt[DP_CNT_arp_requests], asked + 1);
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;
	assert_int_equal(lc->neigh_n_held, 2);

	/* still unresolved 100 ms on: asked again, frames kept */
	lc->now_ms += 100;
	dp_egress_neigh_sweep(lc);
	assert_int_equal(lc->stats.cnt[DP_CNT_arp_requests], asked + 2);
	assert_int_equal(lc->n_tx[0], 1);
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;

	/* learnt: both leave, in order, with the MAC */
	assert_int_equal(dp_neigh_learn(lc, 0, a, &peer_mac, DP_NEIGH_REPLY), 0);
	assert_int_equal(lc->n_tx[0], 2);
	for (i = 0; i < 2; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(lc->tx[0][i], struct rte_ether_hdr *);

		assert_true(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
		assert_memory_equal((char *)(eth + 1) + sizeof(struct rte_ipv4_hdr) +
				    sizeof(struct rte_udp_hdr), i == 0 ? "one" : "two", 3);
		rte_pktmbuf_free(lc->tx[0][i]);
	}
	lc->n_tx[0] = 0;
	assert_int_equal(lc->stats.cnt[DP_CNT_neigh_released], 2);
	assert_int_equal(lc->neigh_n_held, 0);
	assert_int_equal(lc->stats.drop[DP_DROP_NEIGH_MISS], miss);

	/* no room past DP_NEIGH_HOLD; the held expire after DP_NEIGH_HOLD_MS */
	for (i = 0; i < DP_NEIGH_HOLD + 1; i++)
		(void)dp_egress_udp_to(lc, NULL, 4, (const uint8_t *)&b2, 5060, 5070, "x", 1, true);
	assert_int_equal(lc->neigh_n_held, DP_NEIGH_HOLD);
	assert_int_equal(lc->stats.drop[DP_DROP_NEIGH_MISS], miss + 1);
	lc->now_ms += DP_NEIGH_HOLD_MS;
	dp_egress_neigh_sweep(lc);
	assert_int_equal(lc->neigh_n_held, 0);
	assert_int_equal(lc->stats.drop[DP_DROP_NEIGH_MISS], miss + 1 + DP_NEIGH_HOLD);

	/* without hold: dropped, -1 */
	lc->now_ms += DP_NEIGH_HOLD_MS;
	assert_int_equal(dp_egress_udp_to(lc, NULL, 4, (const uint8_t *)&b2, 5060, 5070, "x", 1,
					  false), -1);
	assert_int_equal(lc->stats.drop[DP_DROP_NEIGH_MISS], miss + 2 + DP_NEIGH_HOLD);
	for (i = 0; i < lc->n_tx[0]; i++)   /* the ARP requests */
		rte_pktmbuf_free(lc->tx[0][i]);
	lc->n_tx[0] = 0;
	ctx.ports[0].mtu = 0;
}

/* A forged ARP reply (one we did not ask for) for a known neighbour does not
 * redirect its traffic (arp_unsolicited), nor does an ARP request or an IPv4
 * packet from its address with another MAC (neigh_mac_kept); a reply to our own
 * request (the refresh of an old entry) does change it. */
static void
test_arp_unsolicited_kept(void **state)
{
	static const struct rte_ether_addr evil = {{ 0x02, 0, 0, 0, 0, 0x66 }};
	uint64_t unsol = lc->stats.cnt[DP_CNT_arp_unsolicited];
	uint64_t kept = lc->stats.cnt[DP_CNT_neigh_mac_kept];
	struct rte_arp_hdr *a;
	struct rte_mbuf *m;
	struct rte_ether_addr mac;
	uint8_t b[64];
	uint32_t n;

	(void)state;
	lc->now_ms = 500000;
	m = mk(b, arp(b, RTE_ARP_OP_REQUEST, OUR4));   /* the peer asks for us: learnt */
	assert_int_equal(run(&m), DP_PKT_REPLY);
	rte_pktmbuf_free(m);
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));

	n = arp(b, RTE_ARP_OP_REPLY, OUR4);            /* forged: PEER4 is at evil */
	a = (struct rte_arp_hdr *)(b + sizeof(struct rte_ether_hdr));
	a->arp_data.arp_sha = evil;
	m = mk(b, n);
	assert_int_equal(run(&m), DP_PKT_NEIGH);       /* still shown to the other lcores */
	rte_pktmbuf_free(m);
	assert_int_equal(lc->stats.cnt[DP_CNT_arp_unsolicited], unsol + 1);
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));

	n = arp(b, RTE_ARP_OP_REQUEST, OUR4);          /* an ARP request from evil */
	a = (struct rte_arp_hdr *)(b + sizeof(struct rte_ether_hdr));
	a->arp_data.arp_sha = evil;
	m = mk(b, n);
	assert_int_equal(run(&m), DP_PKT_REPLY);
	rte_pktmbuf_free(m);
	m = mk_udp4(SIP_PORT, "x");                    /* an IPv4 packet from evil */
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr = evil;
	(void)run(&m);
	rte_pktmbuf_free(m);
	assert_int_equal(lc->stats.cnt[DP_CNT_neigh_mac_kept], kept + 2);
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));

	lc->now_ms += 61000;                           /* old: used, and refreshed */
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	assert_int_equal(lc->n_tx[0], 1);              /* our ARP request */
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;
	n = arp(b, RTE_ARP_OP_REPLY, OUR4);            /* its answer: the peer moved */
	a = (struct rte_arp_hdr *)(b + sizeof(struct rte_ether_hdr));
	a->arp_data.arp_sha = evil;
	m = mk(b, n);
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	rte_pktmbuf_free(m);
	assert_int_equal(lc->stats.cnt[DP_CNT_arp_unsolicited], unsol + 1);
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &evil));

	lc->now_ms += 61000;                           /* back to the peer's MAC */
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;
	m = mk(b, arp(b, RTE_ARP_OP_REPLY, OUR4));
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	rte_pktmbuf_free(m);
	assert_int_equal(dp_egress_neigh_resolve(lc, 0, PEER4, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
}

/* A reply over the port MTU leaves as fragments of at most the MTU whose data,
 * in order, is the whole UDP datagram: IPv4 copied into one mbuf each (a port
 * without multi-segment TX), IPv6 as chains. */
static void
check_frags(uint8_t family, const uint8_t *payload, uint32_t plen, unsigned int want,
	    uint32_t mtu)
{
	static uint8_t got[4096];
	uint32_t off = 0, hl = family == 4 ? 20 : 48;
	unsigned int i;

	assert_int_equal(lc->n_tx[0], want);
	for (i = 0; i < lc->n_tx[0]; i++) {
		struct rte_mbuf *f = lc->tx[0][i];
		const struct rte_ether_hdr *e = rte_pktmbuf_mtod(f, const struct rte_ether_hdr *);
		uint32_t iplen = f->pkt_len - (uint32_t)sizeof(*e), fo, dlen;
		uint8_t ipb[48];
		const void *p;
		bool more;

		assert_true(rte_is_same_ether_addr(&e->dst_addr, &peer_mac));
		assert_true(iplen <= mtu);
		p = rte_pktmbuf_read(f, sizeof(*e), hl, ipb);
		assert_non_null(p);
		memmove(ipb, p, hl);
		if (family == 4) {
			const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)ipb;
			uint16_t v = rte_be_to_cpu_16(ip->fragment_offset);

			assert_int_equal(f->nb_segs, 1);
			assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
			assert_int_equal(rte_be_to_cpu_16(ip->total_length), iplen);
			fo = (uint32_t)(v & RTE_IPV4_HDR_OFFSET_MASK) * 8;
			more = (v & RTE_IPV4_HDR_MF_FLAG) != 0;
		} else {
			const struct rte_ipv6_fragment_ext *fh =
				(const struct rte_ipv6_fragment_ext *)(ipb + 40);
			uint16_t v = rte_be_to_cpu_16(fh->frag_data);

			assert_int_equal(ipb[6], IPPROTO_FRAGMENT);
			fo = (uint32_t)(v >> 3) * 8;
			more = (v & 1) != 0;
		}
		dlen = iplen - hl;
		assert_int_equal(fo, off);
		assert_true(i + 1 < want ? more && dlen % 8 == 0 : !more);
		assert_true(off + dlen <= sizeof(got));
		p = rte_pktmbuf_read(f, sizeof(*e) + hl, dlen, got + off);
		assert_non_null(p);
		memmove(got + off, p, dlen);
		off += dlen;
		rte_pktmbuf_free(f);
	}
	lc->n_tx[0] = 0;
	assert_int_equal(off, 8 + plen);   /* the UDP header, then the payload */
	assert_memory_equal(got + 8, payload, plen);
}

static void
test_reply_fragmented(void **state)
{
	static uint8_t payload[2000];
	uint64_t fragd = lc->stats.cnt[DP_CNT_ip_fragmented];
	uint64_t big = lc->stats.drop[DP_DROP_SIP_REPLY_TOO_BIG];
	uint8_t l4[64], frame[128];
	struct rte_mbuf *m;
	unsigned int i;
	uint32_t n;

	(void)state;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	ctx.ports[0].mtu = 576;
	m = mk_udp4(SIP_PORT, "OPTIONS");
	assert_int_equal(run(&m), DP_PKT_SIP);
	assert_int_equal(dp_egress_udp_reply(lc, m, 5060, (const char *)payload, sizeof(payload),
					     DP_DROP_SIP_REPLY_TOO_BIG, DP_DROP_SIP_REPLY_NO_MBUF), 0);
	check_frags(4, payload, sizeof(payload), 4, 576);   /* 2008 bytes: 552 x 3 + 352 */
	assert_int_equal(lc->stats.cnt[DP_CNT_ip_fragmented], fragd + 1);

	/* IPv6 needs an MTU of 1280 (RFC 8200): below, the datagram is not sent. */
	n = udp4(l4, SIP_PORT, "OPTIONS", 7);
	m = mk(frame, ip6(frame, &our_mac, peer6, our6, IPPROTO_UDP, 64, l4, n));
	assert_int_equal(run(&m), DP_PKT_SIP);
	assert_int_equal(dp_egress_udp_reply(lc, m, 5060, (const char *)payload, sizeof(payload),
					     DP_DROP_SIP_REPLY_TOO_BIG, DP_DROP_SIP_REPLY_NO_MBUF), -1);
	assert_int_equal(lc->n_tx[0], 0);
	assert_int_equal(lc->stats.drop[DP_DROP_SIP_REPLY_TOO_BIG], big + 1);
	ctx.ports[0].mtu = 1280;
	ctx.ports[0].tx_multi_seg = true;
	n = udp4(l4, SIP_PORT, "OPTIONS", 7);
	m = mk(frame, ip6(frame, &our_mac, peer6, our6, IPPROTO_UDP, 64, l4, n));
	assert_int_equal(run(&m), DP_PKT_SIP);
	assert_int_equal(dp_egress_udp_reply(lc, m, 5060, (const char *)payload, sizeof(payload),
					     DP_DROP_SIP_REPLY_TOO_BIG, DP_DROP_SIP_REPLY_NO_MBUF), 0);
	check_frags(6, payload, sizeof(payload), 2, 1280);   /* 1232 + 776 */
	assert_int_equal(lc->stats.cnt[DP_CNT_ip_fragmented], fragd + 2);
	ctx.ports[0].tx_multi_seg = false;
	ctx.ports[0].mtu = 0;
}

/* A frame held for ARP that exceeds the port MTU leaves as fragments, each with
 * the MAC learnt, when it is released. */
static void
test_held_fragmented(void **state)
{
	const rte_be32_t c = PEER4 ^ RTE_BE32(0x400);
	static uint8_t payload[1000];
	uint64_t fragd = lc->stats.cnt[DP_CNT_ip_fragmented];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 5 + 3);
	ctx.ports[0].mtu = 576;
	lc->now_ms = 90000;
	lc->n_tx[0] = 0;
	assert_int_equal(dp_egress_udp_to(lc, NULL, 4, (const uint8_t *)&c, 5060, 5070,
					  (const char *)payload, sizeof(payload), true), 0);
	assert_int_equal(lc->n_tx[0], 1);   /* the ARP request; the frame is held */
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;
	assert_int_equal(lc->neigh_n_held, 1);
	assert_int_equal(dp_neigh_learn(lc, 0, c, &peer_mac, DP_NEIGH_REPLY), 0);
	check_frags(4, payload, sizeof(payload), 2, 576);   /* 1008 bytes: 552 + 456 */
	assert_int_equal(lc->stats.cnt[DP_CNT_ip_fragmented], fragd + 1);
	assert_int_equal(lc->neigh_n_held, 0);
	ctx.ports[0].mtu = 0;
}

/* ---- L2 / IPv4 ---- */

static void
test_l2_drops(void **state)
{
	static const struct rte_ether_addr other = {{ 0x02, 0, 0, 0, 0, 0x77 }};
	uint8_t b[64] = { 0 };

	(void)state;
	expect_drop(mk(b, 10), DP_DROP_L2_SHORT);
	eth(b, &other, RTE_ETHER_TYPE_IPV4);
	expect_drop(mk(b, 60), DP_DROP_L2_NOT_OURS);
	eth(b, &our_mac, RTE_ETHER_TYPE_VLAN);
	expect_drop(mk(b, 60), DP_DROP_L2_VLAN);
	eth(b, &our_mac, 0x88cc);   /* LLDP */
	expect_drop(mk(b, 60), DP_DROP_L2_ETHERTYPE);
}

static void
test_icmp_echo_answered(void **state)
{
	uint8_t icmp[64] = { RTE_IP_ICMP_ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
	uint8_t b[128];
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;

	(void)state;
	memcpy(icmp + 2, &(uint16_t){ (uint16_t)~rte_raw_cksum(icmp, 12) }, 2);
	m = mk(b, ip4(b, IPPROTO_ICMP, OUR4, icmp, 12, 0, 7));
	assert_int_equal(run(&m), DP_PKT_REPLY);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	assert_int_equal(ip->src_addr, OUR4);
	assert_int_equal(ip->dst_addr, PEER4);
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	assert_int_equal(((uint8_t *)(ip + 1))[0], RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(rte_raw_cksum(ip + 1, 12), 0xffff);
	assert_memory_equal((uint8_t *)(ip + 1) + 8, "ping", 4);
	rte_pktmbuf_free(m);

	icmp[2]++;   /* break the checksum */
	expect_drop(mk(b, ip4(b, IPPROTO_ICMP, OUR4, icmp, 12, 0, 7)), DP_DROP_ICMP_CKSUM);
	icmp[2]--;
	icmp[0] = 13;   /* timestamp request */
	icmp[2] = icmp[3] = 0;
	memcpy(icmp + 2, &(uint16_t){ (uint16_t)~rte_raw_cksum(icmp, 12) }, 2);
	expect_drop(mk(b, ip4(b, IPPROTO_ICMP, OUR4, icmp, 12, 0, 7)), DP_DROP_ICMP_TYPE);
	expect_drop(mk(b, ip4(b, IPPROTO_ICMP, OUR4, icmp, 4, 0, 7)), DP_DROP_ICMP_SHORT);
}

static void
test_ipv4_drops(void **state)
{
	uint8_t b[128], l4[8] = { 0 };
	uint32_t n;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);

	(void)state;
	n = ip4(b, IPPROTO_TCP, OUR4, l4, 8, 0, 1);
	expect_drop(mk(b, n), DP_DROP_IP4_PROTO);
	expect_drop(mk(b, 14 + 12), DP_DROP_IP4_SHORT);
	ip->hdr_checksum ^= 0x0101;
	expect_drop(mk(b, n), DP_DROP_IP4_CKSUM);
	n = ip4(b, IPPROTO_UDP, PEER4, l4, 8, 0, 1);
	expect_drop(mk(b, n), DP_DROP_IP4_NOT_OURS);
	ip->version_ihl = 0x55;
	expect_drop(mk(b, n), DP_DROP_IP4_VERSION);
	ip->version_ihl = 0x44;
	expect_drop(mk(b, n), DP_DROP_IP4_VERSION);
	n = ip4(b, IPPROTO_UDP, OUR4, l4, 8, 0, 1);
	ip->total_length = rte_cpu_to_be_16(200);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	expect_drop(mk(b, n), DP_DROP_IP4_LENGTH);
}

/* ---- UDP ---- */

static void
test_udp_sip_and_cluster(void **state)
{
	const char *sip = "OPTIONS sip:a@example.com SIP/2.0\r\n\r\n";
	struct rte_mbuf *m = mk_udp4(SIP_PORT, sip);
	const struct dp_pkt_info *info;

	(void)state;
	assert_int_equal(run(&m), DP_PKT_SIP);
	info = dp_pkt_info_of(m);
	assert_int_equal(info->family, 4);
	assert_int_equal(info->src_port, 5061);
	assert_int_equal(info->dst_port, SIP_PORT);
	assert_int_equal(info->payload_len, strlen(sip));
	assert_int_equal(info->payload_off, 14 + 20 + 8);
	assert_memory_equal(info->src, &(rte_be32_t){ PEER4 }, 4);
	assert_memory_equal(dp_pkt_payload(lc, m, info), sip, strlen(sip));
	rte_pktmbuf_free(m);

	m = mk_udp4(CLUSTER_PORT, "cluster");
	assert_int_equal(run(&m), DP_PKT_CLUSTER);
	assert_int_equal(dp_pkt_info_of(m)->payload_len, 7);
	rte_pktmbuf_free(m);
	expect_drop(mk_udp4(9, "discard"), DP_DROP_UDP_PORT);
	expect_drop(mk_udp4(SIP_PORT, ""), DP_DROP_SIP_EMPTY);
	/* The cluster bus on another port (cluster.port_index 1): what arrives for
	 * the cluster port here is dropped, SIP still passes. */
	ctx.cluster_port_idx = 1;
	expect_drop(mk_udp4(CLUSTER_PORT, "cluster"), DP_DROP_CLUSTER_WRONG_PORT);
	m = mk_udp4(SIP_PORT, sip);
	assert_int_equal(run(&m), DP_PKT_SIP);
	rte_pktmbuf_free(m);
	ctx.cluster_port_idx = 0;
}

/* Cluster-port admission (dp_cgate): a source that is no known node and not in
 * cluster.join_from is dropped; a static peer, a seed or a node of the control
 * plane's view passes within its bucket (source_pps, source_burst), then is
 * rate-limited until tokens come back; newcomers share one small bucket. */
static void
test_cluster_gate(void **state)
{
	struct dp_shared *sh = calloc(1, sizeof(*sh));
	struct cfg_cluster *cl = &cfg.cluster;
	struct rte_mbuf *m;
	unsigned int i, passed;

	(void)state;
	assert_non_null(sh);
	lc->now_ms = 1000000;
	cl->source_pps = 100;
	cl->source_burst = 10;
	/* join_from: [] and nobody known: not allowed */
	cl->join_from_set = true;
	cl->n_join_from = 0;
	expect_drop(mk_udp4(CLUSTER_PORT, "x"), DP_DROP_CLUSTER_NOT_ALLOWED);
	/* join_from: [198.18.0.96/28] takes 198.18.0.100 as a newcomer */
	cl->n_join_from = 1;
	cl->join_from[0] = (struct cfg_cidr){ .family = 4, .prefix = 28,
					      .addr = { 198, 18, 0, 96 } };
	for (passed = 0, i = 0; i < DP_CGATE_NEW_BURST + 5; i++) {
		m = mk_udp4(CLUSTER_PORT, "x");
		if (run(&m) == DP_PKT_CLUSTER)
			passed++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(passed, DP_CGATE_NEW_BURST);
	cl->join_from[0].prefix = 32;   /* 198.18.0.96/32: outside */
	expect_drop(mk_udp4(CLUSTER_PORT, "x"), DP_DROP_CLUSTER_NOT_ALLOWED);

	/* a static peer: its own bucket of 10, then 100/s */
	cl->n_nodes = 1;
	cl->nodes[0] = (struct cfg_peer){ .id = 2, .address = 0xc6120064 };
	for (passed = 0, i = 0; i < 15; i++) {
		m = mk_udp4(CLUSTER_PORT, "x");
		if (run(&m) == DP_PKT_CLUSTER)
			passed++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(passed, 10);
	assert_int_equal(drops(DP_DROP_CLUSTER_RATE_LIMITED) >= 5 + 5, true);
	expect_drop(mk_udp4(CLUSTER_PORT, "x"), DP_DROP_CLUSTER_RATE_LIMITED);
	lc->now_ms += 50;   /* 5 more */
	for (passed = 0, i = 0; i < 8; i++) {
		m = mk_udp4(CLUSTER_PORT, "x");
		if (run(&m) == DP_PKT_CLUSTER)
			passed++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(passed, 5);

	/* not configured, but in the control plane's view: known */
	cl->n_nodes = 0;
	ctx.shared = sh;
	expect_drop(mk_udp4(CLUSTER_PORT, "x"), DP_DROP_CLUSTER_NOT_ALLOWED);
	sh->n_nodes = 1;
	sh->nodes[0].id = 2;
	sh->nodes[0].address = 0xc6120064;
	sh->nodes_seq = 2;
	lc->now_ms += 1000;
	m = mk_udp4(CLUSTER_PORT, "x");
	assert_int_equal(run(&m), DP_PKT_CLUSTER);
	rte_pktmbuf_free(m);
	sh->nodes_seq = 3;   /* being written: the reader gives up, not known */
	expect_drop(mk_udp4(CLUSTER_PORT, "x"), DP_DROP_CLUSTER_NOT_ALLOWED);

	ctx.shared = NULL;
	free(sh);
	cl->join_from_set = false;
	cl->n_join_from = 0;
}

static void
test_udp_drops(void **state)
{
	uint8_t l4[128], b[256];
	uint32_t n = udp4(l4, SIP_PORT, "INVITE", 6);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;
	struct rte_mbuf *m;

	(void)state;
	u->dgram_cksum ^= 0x00ff;
	expect_drop(mk(b, ip4(b, IPPROTO_UDP, OUR4, l4, n, 0, 1)), DP_DROP_UDP_CKSUM);
	u->dgram_cksum = 0;   /* "no checksum" is legal over IPv4 */
	m = mk(b, ip4(b, IPPROTO_UDP, OUR4, l4, n, 0, 1));
	assert_int_equal(run(&m), DP_PKT_SIP);
	rte_pktmbuf_free(m);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(n + 4));
	expect_drop(mk(b, ip4(b, IPPROTO_UDP, OUR4, l4, n, 0, 1)), DP_DROP_UDP_LENGTH);
	expect_drop(mk(b, ip4(b, IPPROTO_UDP, OUR4, l4, 5, 0, 1)), DP_DROP_UDP_SHORT);
}

/* ---- IPv6 ---- */

static void
solicited(uint8_t out[16], const uint8_t *a)
{
	dp_pkt_ipv6_solicited(out, a);
}

static uint32_t
ns(uint8_t *b, const uint8_t *src, const uint8_t *target, uint8_t hops)
{
	static const struct rte_ether_addr mcast = {{ 0x33, 0x33, 0xff, 0, 0, 0x01 }};
	uint8_t icmp[32] = { 135, 0 }, dst[16];

	memcpy(icmp + 8, target, 16);
	icmp[24] = 1;   /* source link-layer address option */
	icmp[25] = 1;
	memcpy(icmp + 26, peer_mac.addr_bytes, 6);
	solicited(dst, target);
	return ip6(b, &mcast, src, dst, IPPROTO_ICMPV6, hops, icmp, 32);
}

static void
test_nd_answered(void **state)
{
	static const uint8_t unspec[16];
	uint8_t b[128], other[16];
	struct rte_mbuf *m = mk(b, ns(b, peer6, our6, 255));
	struct rte_ipv6_hdr *h;
	uint8_t *icmp;

	(void)state;
	assert_int_equal(run(&m), DP_PKT_REPLY);
	h = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	icmp = (uint8_t *)(h + 1);
	assert_int_equal(m->pkt_len, 14 + 40 + 32);
	assert_memory_equal(h->src_addr, our6, 16);
	assert_memory_equal(h->dst_addr, peer6, 16);
	assert_int_equal(h->hop_limits, 255);
	assert_int_equal(icmp[0], 136);
	assert_int_equal(icmp[4], 0x60);                 /* solicited + override */
	assert_memory_equal(icmp + 8, our6, 16);
	assert_int_equal(icmp[24], 2);                   /* target link-layer address */
	assert_memory_equal(icmp + 26, our_mac.addr_bytes, 6);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, icmp), 0);
	rte_pktmbuf_free(m);

	memcpy(other, our6, 16);
	other[15] = 0x09;
	expect_drop(mk(b, ns(b, peer6, other, 255)), DP_DROP_IP6_NOT_OURS);  /* not our group */
	expect_drop(mk(b, ns(b, peer6, our6, 64)), DP_DROP_ND_INVALID);
	expect_drop(mk(b, ns(b, unspec, our6, 255)), DP_DROP_ND_DAD);
}

/* A neighbour advertisement from src for target: flags S|O, with the target
 * link-layer address option (mac) unless mac is NULL. */
static uint32_t
na(uint8_t *b, const uint8_t *src, const uint8_t *target, const struct rte_ether_addr *mac)
{
	uint8_t icmp[32] = { 136, 0, 0, 0, 0x60 };

	memcpy(icmp + 8, target, 16);
	if (mac == NULL)
		return ip6(b, &our_mac, src, our6, IPPROTO_ICMPV6, 255, icmp, 24);
	icmp[24] = 2;
	icmp[25] = 1;
	memcpy(icmp + 26, mac->addr_bytes, 6);
	return ip6(b, &our_mac, src, our6, IPPROTO_ICMPV6, 255, icmp, 32);
}

/* IPv6 next hops by neighbour discovery: a datagram to an unknown neighbour is
 * held and a solicitation goes to its solicited-node group; the advertisement
 * releases it with the MAC (and is shared with the other lcores); an
 * advertisement nobody asked for does not move a known neighbour; one without
 * the target's link-layer address is refused; a solicitation's source is learnt. */
static void
test_nd_resolve(void **state)
{
	static const struct rte_ether_addr forged = {{ 0x02, 0, 0, 0, 0, 0x66 }};
	uint8_t far6[16], asker6[16], b[160], group[16];
	uint64_t sol = lc->stats.cnt[DP_CNT_nd_requests], rel = lc->stats.cnt[DP_CNT_neigh_released];
	struct rte_ether_addr mac;
	struct rte_ether_hdr *e;
	struct rte_ipv6_hdr *h;
	struct rte_mbuf *m;
	uint8_t *icmp;

	(void)state;
	memcpy(far6, peer6, 16);
	far6[15] = 0x77;
	memcpy(asker6, peer6, 16);
	asker6[15] = 0x78;
	ctx.ports[0].mtu = 1500;
	ctx.ports[0].ipv6_prefix = 64;
	lc->now_ms = 120000;
	lc->n_tx[0] = 0;
	assert_int_equal(dp_egress_udp_to(lc, NULL, 6, far6, 5060, 5070, "six", 3, true), 0);
	assert_int_equal(lc->n_tx[0], 1);                /* the solicitation; the frame is held */
	assert_int_equal(lc->neigh_n_held, 1);
	assert_int_equal(lc->stats.cnt[DP_CNT_nd_requests], sol + 1);
	e = rte_pktmbuf_mtod(lc->tx[0][0], struct rte_ether_hdr *);
	h = (struct rte_ipv6_hdr *)(e + 1);
	icmp = (uint8_t *)(h + 1);
	solicited(group, far6);
	assert_memory_equal(h->dst_addr, group, 16);     /* ff02::1:ff00:77 */
	assert_int_equal(e->dst_addr.addr_bytes[0], 0x33);
	assert_int_equal(e->dst_addr.addr_bytes[2], 0xff);
	assert_int_equal(e->dst_addr.addr_bytes[5], 0x77);
	assert_memory_equal(h->src_addr, our6, 16);
	assert_int_equal(h->hop_limits, 255);
	assert_int_equal(icmp[0], 135);
	assert_memory_equal(icmp + 8, far6, 16);
	assert_int_equal(icmp[24], 1);                   /* our link-layer address */
	assert_memory_equal(icmp + 26, our_mac.addr_bytes, 6);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, icmp), 0);
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;

	/* the advertisement: the held datagram leaves with the MAC */
	m = mk(b, na(b, far6, far6, &peer_mac));
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	assert_memory_equal(dp_pkt_info_of(m)->src, far6, 16);
	rte_pktmbuf_free(m);
	assert_int_equal(lc->n_tx[0], 1);
	e = rte_pktmbuf_mtod(lc->tx[0][0], struct rte_ether_hdr *);
	h = (struct rte_ipv6_hdr *)(e + 1);
	assert_true(rte_is_same_ether_addr(&e->dst_addr, &peer_mac));
	assert_int_equal(e->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV6));
	assert_memory_equal(h->dst_addr, far6, 16);
	assert_memory_equal((char *)(h + 1) + 8, "six", 3);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, h + 1), 0);
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;
	assert_int_equal(lc->stats.cnt[DP_CNT_neigh_released], rel + 1);
	assert_int_equal(lc->neigh_n_held, 0);

	/* an advertisement nobody asked for keeps the known MAC; known: sent at once */
	lc->now_ms += 5000;
	m = mk(b, na(b, far6, far6, &forged));
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	rte_pktmbuf_free(m);
	assert_int_equal(dp_egress_neigh_resolve_key(lc, 0, far6, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
	assert_int_equal(dp_egress_udp_to(lc, NULL, 6, far6, 5060, 5070, "now", 3, false), 0);
	assert_int_equal(lc->n_tx[0], 1);
	rte_pktmbuf_free(lc->tx[0][0]);
	lc->n_tx[0] = 0;
	/* without the target's link-layer address: refused */
	expect_drop(mk(b, na(b, far6, far6, NULL)), DP_DROP_ND_INVALID);
	/* the source of a solicitation for us is learnt */
	m = mk(b, ns(b, asker6, our6, 255));
	assert_int_equal(run(&m), DP_PKT_REPLY);
	rte_pktmbuf_free(m);
	assert_int_equal(dp_egress_neigh_resolve_key(lc, 0, asker6, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &peer_mac));
	lc->n_tx[0] = 0;
	ctx.ports[0].mtu = 0;
	ctx.ports[0].ipv6_prefix = 0;
}

static void
test_icmp6_and_udp6(void **state)
{
	uint8_t b[256], echo[16] = { 128, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g', '6' };
	uint8_t udp[64] = { 0x13, 0xc5, 0x13, 0xc4, 0, 8 + 7 };
	struct rte_mbuf *m = mk(b, ip6(b, &our_mac, peer6, our6, IPPROTO_ICMPV6, 64, echo, 13));
	struct rte_ipv6_hdr *h;
	uint32_t n;

	(void)state;
	assert_int_equal(run(&m), DP_PKT_REPLY);
	h = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	assert_int_equal(((uint8_t *)(h + 1))[0], 129);
	assert_memory_equal(h->dst_addr, peer6, 16);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, h + 1), 0);
	rte_pktmbuf_free(m);

	memcpy(udp + 8, "OPTIONS", 7);
	m = mk(b, ip6(b, &our_mac, peer6, our6, IPPROTO_UDP, 64, udp, 15));
	assert_int_equal(run(&m), DP_PKT_SIP);
	assert_int_equal(dp_pkt_info_of(m)->family, 6);
	assert_memory_equal(dp_pkt_info_of(m)->src, peer6, 16);
	assert_int_equal(dp_pkt_info_of(m)->payload_len, 7);
	rte_pktmbuf_free(m);

	n = ip6(b, &our_mac, peer6, our6, IPPROTO_UDP, 64, udp, 15);
	b[14 + 40 + 6] = b[14 + 40 + 7] = 0;   /* zero UDP checksum is illegal over IPv6 */
	expect_drop(mk(b, n), DP_DROP_UDP_CKSUM);
	n = ip6(b, &our_mac, peer6, our6, 44 /* fragment header */, 64, udp, 15);
	expect_drop(mk(b, n), DP_DROP_IP6_NEXTHDR);
	expect_drop(mk(b, 14 + 20), DP_DROP_IP6_SHORT);

	ctx.ports[0].has_ipv6 = false;
	expect_drop(mk(b, n), DP_DROP_IP6_DISABLED);
	ctx.ports[0].has_ipv6 = true;
}

/* IPv6 VIPs (dp_vip.h): a held VIP answers neighbour solicitations (to its
 * solicited-node group or to itself) with S|O and our MAC, takes ICMPv6 echo and
 * SIP; one held elsewhere is never answered; its holder's unsolicited
 * advertisement is learnt over a known MAC (DP_NEIGH_ANNOUNCE), another node's
 * for a VIP held here is not; on a claim worker 0 sends the unsolicited
 * advertisements to ff02::1 at 0, 100 and 300 ms. */
static const uint8_t vip6_held[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x50 };
static const uint8_t vip6_other[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x51 };
static const uint8_t all_nodes6[16] = { 0xff, 0x02, [15] = 0x01 };

/* A neighbour solicitation for target sent to dst (a group or a unicast address). */
static uint32_t
ns_to(uint8_t *b, const uint8_t *dst, const uint8_t *target)
{
	struct rte_ether_addr dmac = {{ 0x33, 0x33, dst[12], dst[13], dst[14], dst[15] }};
	uint8_t icmp[32] = { 135, 0 };

	if (dst[0] != 0xff)
		dmac = our_mac;
	memcpy(icmp + 8, target, 16);
	icmp[24] = 1;
	icmp[25] = 1;
	memcpy(icmp + 26, peer_mac.addr_bytes, 6);
	return ip6(b, &dmac, peer6, dst, IPPROTO_ICMPV6, 255, icmp, 32);
}

/* An unsolicited advertisement (Override) from target to ff02::1 with mac. */
static uint32_t
una(uint8_t *b, const uint8_t *target, const struct rte_ether_addr *mac)
{
	static const struct rte_ether_addr mcast = {{ 0x33, 0x33, 0, 0, 0, 0x01 }};
	uint8_t icmp[32] = { 136, 0, 0, 0, 0x20 };

	memcpy(icmp + 8, target, 16);
	icmp[24] = 2;
	icmp[25] = 1;
	memcpy(icmp + 26, mac->addr_bytes, 6);
	return ip6(b, &mcast, target, all_nodes6, IPPROTO_ICMPV6, 255, icmp, 32);
}

/* The frame at lc->tx[0][k] is our unsolicited advertisement for vip6_held. */
static void
check_una(unsigned int k)
{
	struct rte_ether_hdr *e = rte_pktmbuf_mtod(lc->tx[0][k], struct rte_ether_hdr *);
	struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)(e + 1);
	const uint8_t *icmp = (const uint8_t *)(h + 1);
	static const struct rte_ether_addr mcast = {{ 0x33, 0x33, 0, 0, 0, 0x01 }};

	assert_true(rte_is_same_ether_addr(&e->dst_addr, &mcast));
	assert_true(rte_is_same_ether_addr(&e->src_addr, &our_mac));
	assert_int_equal(e->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV6));
	assert_int_equal(lc->tx[0][k]->pkt_len, 14 + 40 + 32);
	assert_memory_equal(h->src_addr, vip6_held, 16);
	assert_memory_equal(h->dst_addr, all_nodes6, 16);
	assert_int_equal(h->hop_limits, 255);
	assert_int_equal(h->proto, IPPROTO_ICMPV6);
	assert_int_equal(icmp[0], 136);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], 0x20);                 /* override; not solicited, not router */
	assert_memory_equal(icmp + 8, vip6_held, 16);
	assert_int_equal(icmp[24], 2);                   /* target link-layer address */
	assert_int_equal(icmp[25], 1);
	assert_memory_equal(icmp + 26, our_mac.addr_bytes, 6);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, icmp), 0);
}

static void
test_vip6(void **state)
{
	static const struct rte_ether_addr holder = {{ 0x02, 0, 0, 0, 0, 0x02 }};
	static const struct rte_ether_addr next = {{ 0x02, 0, 0, 0, 0, 0x03 }};
	uint8_t b[256], group[16], echo[16] = { 128, 0, 0, 0, 0, 1, 0, 1, 'v', 'i', 'p' };
	uint8_t udp[64] = { 0x13, 0xc5, 0x13, 0xc4, 0, 8 + 7 };
	uint64_t answered = lc->stats.cnt[DP_CNT_nd_vip_answered];
	struct rte_ether_addr mac;
	struct rte_ipv6_hdr *h;
	struct rte_mbuf *m;
	uint8_t *icmp;
	unsigned int k;

	(void)state;
	memset(lc->neigh, 0, sizeof(lc->neigh));   /* earlier tests' neighbours: no collision */
	memset(&lc->vips, 0, sizeof(lc->vips));
	lc->vips.n = 2;
	lc->vips.v[0].family = 6;
	memcpy(lc->vips.v[0].addr6, vip6_held, 16);
	lc->vips.v[0].held = 1;
	lc->vips.v[1].family = 6;
	memcpy(lc->vips.v[1].addr6, vip6_other, 16);
	assert_int_equal(dp_vip_state(lc, 6, vip6_held), 1);
	assert_int_equal(dp_vip_state(lc, 6, vip6_other), 0);
	assert_int_equal(dp_vip_state(lc, 6, our6), -1);

	/* solicitations: to the VIP's group and to the VIP itself, answered from it */
	for (k = 0; k < 2; k++) {
		solicited(group, vip6_held);
		m = mk(b, ns_to(b, k == 0 ? group : vip6_held, vip6_held));
		assert_int_equal(run(&m), DP_PKT_REPLY);
		h = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
		icmp = (uint8_t *)(h + 1);
		assert_int_equal(m->pkt_len, 14 + 40 + 32);
		assert_memory_equal(h->src_addr, vip6_held, 16);
		assert_memory_equal(h->dst_addr, peer6, 16);
		assert_int_equal(h->hop_limits, 255);
		assert_int_equal(icmp[0], 136);
		assert_int_equal(icmp[4], 0x60);             /* solicited + override */
		assert_memory_equal(icmp + 8, vip6_held, 16);
		assert_int_equal(icmp[24], 2);
		assert_memory_equal(icmp + 26, our_mac.addr_bytes, 6);
		assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, icmp), 0);
		assert_true(rte_is_same_ether_addr(
			&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, &peer_mac));
		rte_pktmbuf_free(m);
	}
	assert_int_equal(lc->stats.cnt[DP_CNT_nd_vip_answered], answered + 2);
	/* held elsewhere: never answered, whichever way it is asked */
	solicited(group, vip6_other);
	expect_drop(mk(b, ns_to(b, group, vip6_other)), DP_DROP_VIP_NOT_HELD);
	expect_drop(mk(b, ns_to(b, vip6_other, vip6_other)), DP_DROP_VIP_NOT_HELD);
	/* a solicitation in the VIP's group for an address that is not ours */
	solicited(group, vip6_held);
	expect_drop(mk(b, ns_to(b, group, peer6)), DP_DROP_ND_NOT_OURS);
	/* truncated: counted, not answered */
	expect_drop(mk(b, ns_to(b, group, vip6_held) - 16), DP_DROP_IP6_LENGTH);
	assert_int_equal(lc->stats.cnt[DP_CNT_nd_vip_answered], answered + 2);

	/* ICMPv6 echo and SIP to the held VIP; neither to the other */
	m = mk(b, ip6(b, &our_mac, peer6, vip6_held, IPPROTO_ICMPV6, 64, echo, 11));
	assert_int_equal(run(&m), DP_PKT_REPLY);
	h = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	assert_int_equal(((uint8_t *)(h + 1))[0], 129);
	assert_memory_equal(h->src_addr, vip6_held, 16);
	rte_pktmbuf_free(m);
	memcpy(udp + 8, "OPTIONS", 7);
	m = mk(b, ip6(b, &our_mac, peer6, vip6_held, IPPROTO_UDP, 64, udp, 15));
	assert_int_equal(run(&m), DP_PKT_SIP);
	assert_int_equal(dp_pkt_info_of(m)->family, 6);
	assert_memory_equal(dp_pkt_info_of(m)->dst, vip6_held, 16);
	rte_pktmbuf_free(m);
	expect_drop(mk(b, ip6(b, &our_mac, peer6, vip6_other, IPPROTO_UDP, 64, udp, 15)),
		    DP_DROP_VIP_NOT_HELD);
	expect_drop(mk(b, ip6(b, &our_mac, peer6, vip6_other, IPPROTO_ICMPV6, 64, echo, 11)),
		    DP_DROP_VIP_NOT_HELD);

	/* the other VIP's holder announces it: learnt, then its next holder's
	 * announcement moves the known MAC (an answer nobody asked for would not) */
	lc->now_ms = 500000;
	m = mk(b, una(b, vip6_other, &holder));
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	assert_int_equal(dp_pkt_info_of(m)->neigh_how, DP_NEIGH_ANNOUNCE);
	assert_memory_equal(dp_pkt_info_of(m)->src, vip6_other, 16);
	rte_pktmbuf_free(m);
	assert_int_equal(dp_egress_neigh_resolve_key(lc, 0, vip6_other, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &holder));
	lc->now_ms += 5000;
	m = mk(b, una(b, vip6_other, &next));
	assert_int_equal(run(&m), DP_PKT_NEIGH);
	rte_pktmbuf_free(m);
	assert_int_equal(dp_egress_neigh_resolve_key(lc, 0, vip6_other, &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &next));
	/* another node announcing the VIP held here: not learnt */
	expect_drop(mk(b, una(b, vip6_held, &holder)), DP_DROP_ND_VIP_HELD);
	assert_int_equal(dp_egress_neigh_resolve_key(lc, 0, vip6_held, &mac), -EAGAIN);
	for (k = 0; k < lc->n_tx[0]; k++)   /* the solicitation that miss sent */
		rte_pktmbuf_free(lc->tx[0][k]);
	lc->n_tx[0] = 0;
	memset(&lc->vips, 0, sizeof(lc->vips));
}

/* A claim seen in the tag view: worker 0 copies it and sends the unsolicited
 * advertisements at 0, 100 and 300 ms, on the port whose prefix holds the VIP;
 * the other VIP (not held) and the IPv4 one are copied too. */
static void
test_vip6_claim(void **state)
{
	struct dp_shared *sh = calloc(1, sizeof(*sh));
	struct dp_tag_view tv[3];
	uint64_t sent = lc->stats.cnt[DP_CNT_una_sent], t0;
	unsigned int k;

	(void)state;
	assert_non_null(sh);
	memset(tv, 0, sizeof(tv));
	snprintf(tv[0].name, sizeof(tv[0].name), "service");
	tv[0].cluster = 1;
	memcpy(tv[0].vip6, vip6_held, 16);
	snprintf(tv[1].name, sizeof(tv[1].name), "media");
	tv[1].cluster = 2;
	memcpy(tv[1].vip6, vip6_other, 16);
	snprintf(tv[2].name, sizeof(tv[2].name), "v4");
	tv[2].cluster = 3;
	tv[2].vip = 0xc6120032;
	ctx.shared = sh;
	ctx.ports[0].ipv6_prefix = 64;
	memset(&lc->vips, 0, sizeof(lc->vips));
	lc->idx = 0;
	lc->is_ctl = false;
	lc->n_tx[0] = 0;
	t0 = lc->now_ms = 900000;

	dp_shared_publish_tags(sh, tv, 3);   /* nothing held: copied, nothing sent */
	dp_vip_refresh(lc);
	assert_int_equal(lc->vips.n, 3);
	assert_int_equal(lc->vips.v[0].family, 6);
	assert_int_equal(lc->vips.v[2].family, 4);
	assert_int_equal(dp_vip_state(lc, 6, vip6_held), 0);
	assert_int_equal(lc->n_tx[0], 0);

	tv[0].active = 1;                    /* claimed here */
	dp_shared_publish_tags(sh, tv, 3);
	lc->now_ms += DP_VIP_REFRESH_MS;
	dp_vip_refresh(lc);
	assert_int_equal(dp_vip_state(lc, 6, vip6_held), 1);
	assert_int_equal(dp_vip_state(lc, 6, vip6_other), 0);
	assert_int_equal(lc->n_tx[0], 1);
	check_una(0);
	for (k = 1; k < 40; k++) {           /* 400 ms: the other two, at 100 and 300 ms */
		lc->now_ms += DP_VIP_REFRESH_MS;
		dp_vip_refresh(lc);
		if (lc->now_ms - t0 - DP_VIP_REFRESH_MS < 100)
			assert_int_equal(lc->n_tx[0], 1);
		else if (lc->now_ms - t0 - DP_VIP_REFRESH_MS < 300)
			assert_int_equal(lc->n_tx[0], 2);
	}
	assert_int_equal(lc->n_tx[0], DP_VIP_GARPS);
	for (k = 0; k < lc->n_tx[0]; k++) {
		check_una(k);
		rte_pktmbuf_free(lc->tx[0][k]);
	}
	lc->n_tx[0] = 0;
	assert_int_equal(lc->stats.cnt[DP_CNT_una_sent], sent + DP_VIP_GARPS);

	/* still held at the next publication: no new announcement */
	dp_shared_publish_tags(sh, tv, 3);
	lc->now_ms += DP_VIP_REFRESH_MS;
	dp_vip_refresh(lc);
	assert_int_equal(lc->n_tx[0], 0);

	ctx.shared = NULL;
	ctx.ports[0].ipv6_prefix = 0;
	memset(&lc->vips, 0, sizeof(lc->vips));
	free(sh);
}

/* ---- IPv4 reassembly ---- */

#define BIG 3500

/* Fragments of one UDP datagram to the SIP port, 1480 payload bytes each. */
static unsigned int
fragments(struct rte_mbuf **out, uint16_t id, uint8_t *payload)
{
	static uint8_t l4[BIG + 8];
	uint8_t b[1600];
	uint32_t n, off;
	unsigned int k = 0;

	for (n = 0; n < BIG; n++)
		payload[n] = (uint8_t)('a' + n % 26);
	n = udp4(l4, SIP_PORT, payload, BIG);
	for (off = 0; off < n; off += 1480) {
		uint32_t len = RTE_MIN(1480u, n - off);
		uint16_t fo = (uint16_t)(off / 8) | (off + len < n ? RTE_IPV4_HDR_MF_FLAG : 0);

		out[k++] = mk(b, ip4(b, IPPROTO_UDP, OUR4, l4 + off, len, fo, id));
	}
	return k;
}

static void
check_reassembled(struct rte_mbuf *m, const uint8_t *payload)
{
	const struct dp_pkt_info *info = dp_pkt_info_of(m);

	assert_int_equal(info->payload_len, BIG);
	assert_memory_equal(dp_pkt_payload(lc, m, info), payload, BIG);
	rte_pktmbuf_free(m);
}

static void
test_reassembly_in_order_and_reversed(void **state)
{
	static uint8_t payload[BIG];
	struct rte_mbuf *f[8];
	unsigned int k, i;
	uint64_t done = lc->stats.cnt[DP_CNT_frag_reassembled];

	(void)state;
	k = fragments(f, 100, payload);
	assert_int_equal(k, 3);
	for (i = 0; i + 1 < k; i++)
		assert_int_equal(run(&f[i]), DP_PKT_HELD);
	assert_int_equal(run(&f[k - 1]), DP_PKT_SIP);
	check_reassembled(f[k - 1], payload);

	k = fragments(f, 101, payload);
	for (i = k - 1; i > 0; i--)
		assert_int_equal(run(&f[i]), DP_PKT_HELD);
	assert_int_equal(run(&f[0]), DP_PKT_SIP);
	check_reassembled(f[0], payload);
	assert_int_equal(lc->stats.cnt[DP_CNT_frag_reassembled], done + 2);
	dp_pkt_frag_housekeep(lc, rte_rdtsc());
}

static void
test_reassembly_timeout_and_duplicates(void **state)
{
	static uint8_t payload[BIG];
	struct rte_mbuf *f[8];
	unsigned int k, i;
	uint64_t timeouts = drops(DP_DROP_FRAG_TIMEOUT), failed = drops(DP_DROP_FRAG_FAILED);

	(void)state;
	/* One fragment alone: held, then freed by the timeout sweep. */
	k = fragments(f, 200, payload);
	assert_int_equal(run(&f[0]), DP_PKT_HELD);
	for (i = 1; i < k; i++)
		rte_pktmbuf_free(f[i]);
	lc->frag_next_expire = 0;
	dp_pkt_frag_housekeep(lc, rte_rdtsc() + rte_get_tsc_hz() * 10);
	assert_int_equal(drops(DP_DROP_FRAG_TIMEOUT), timeouts + 1);

	/* The first fragment twice: the flow is invalid and every held mbuf freed. */
	k = fragments(f, 201, payload);
	{
		struct rte_mbuf *dup = mk(rte_pktmbuf_mtod(f[0], void *), f[0]->pkt_len);

		assert_int_equal(run(&f[0]), DP_PKT_HELD);
		assert_int_equal(run(&f[1]), DP_PKT_HELD);
		assert_int_equal(run(&dup), DP_PKT_HELD);
	}
	assert_int_equal(drops(DP_DROP_FRAG_FAILED), failed + 3);
	rte_pktmbuf_free(f[2]);
	lc->frag_next_expire = 0;
	dp_pkt_frag_housekeep(lc, rte_rdtsc() + rte_get_tsc_hz() * 20);
}

/* A flood of fragments that never complete: the lcore's reassembly holds at most
 * DP_FRAG_BUDGET(64) of them, the rest are dropped (frag_over_budget) while an
 * unfragmented datagram is still classified; the timeout sweep gives them all
 * back, and a new fragment is taken again. */
static void
test_reassembly_budget(void **state)
{
	uint8_t b[128], l4[64] = { 0 };
	uint64_t over = drops(DP_DROP_FRAG_OVER_BUDGET);
	struct rte_mbuf *m;
	unsigned int i, held = 0;

	(void)state;
	assert_int_equal(lc->frag_held, 0);
	assert_int_equal(lc->frag_budget, 64);
	for (i = 0; i < 200; i++) {   /* 100 flows x 2 fragments, "more" set on both */
		uint16_t id = (uint16_t)(1000 + i / 2);

		m = mk(b, ip4(b, IPPROTO_UDP, OUR4, l4, 64, RTE_IPV4_HDR_MF_FLAG | (i % 2) * 8, id));
		if (run(&m) == DP_PKT_HELD) {
			held++;
			continue;
		}
		rte_pktmbuf_free(m);
	}
	assert_int_equal(held, 64);
	assert_int_equal(lc->frag_held, 64);
	assert_int_equal(drops(DP_DROP_FRAG_OVER_BUDGET), over + 136);
	m = mk_udp4(SIP_PORT, "OPTIONS");
	assert_int_equal(run(&m), DP_PKT_SIP);
	rte_pktmbuf_free(m);

	lc->frag_next_expire = 0;
	dp_pkt_frag_housekeep(lc, rte_rdtsc() + rte_get_tsc_hz() * 30);
	assert_int_equal(lc->frag_held, 0);
	m = mk(b, ip4(b, IPPROTO_UDP, OUR4, l4, 64, RTE_IPV4_HDR_MF_FLAG, 3000));
	assert_int_equal(run(&m), DP_PKT_HELD);
	assert_int_equal(lc->frag_held, 1);
	lc->frag_next_expire = 0;
	dp_pkt_frag_housekeep(lc, rte_rdtsc() + rte_get_tsc_hz() * 40);
	assert_int_equal(lc->frag_held, 0);
}

static void
test_fragment_not_udp(void **state)
{
	uint8_t b[128], l4[64] = { 0 };

	(void)state;
	expect_drop(mk(b, ip4(b, IPPROTO_ICMP, OUR4, l4, 64, RTE_IPV4_HDR_MF_FLAG, 9)),
		    DP_DROP_FRAG_NOT_UDP);
}

/* ---- robustness ---- */

static uint64_t
accounted(void)
{
	return dp_stats_drops(&lc->stats);
}

/* A valid SIP frame cut at every length: never a crash, always exactly one drop. */
static void
test_truncation_at_every_length(void **state)
{
	uint8_t l4[256], b[300];
	uint32_t n = ip4(b, IPPROTO_UDP, OUR4, l4, udp4(l4, SIP_PORT, "REGISTER sip:x SIP/2.0\r\n", 24), 0, 1);
	uint32_t len;

	(void)state;
	for (len = 0; len < n; len++) {
		struct rte_mbuf *m = mk(b, len);
		uint64_t before = accounted();

		assert_int_equal(run(&m), DP_PKT_DROP);
		assert_int_equal(accounted(), before + 1);
		rte_pktmbuf_free(m);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Random frames, many with our MAC/IP and valid-looking headers: every one is
 * answered, handed on, held or dropped for a reason, and no mbuf leaks. */
static void
test_random_frames(void **state)
{
	uint8_t b[1600];
	unsigned int i;
	uint64_t outcome[DP_PKT_HELD + 1] = { 0 };

	(void)state;
	for (i = 0; i < 200000; i++) {
		uint32_t len = rnd() % 1514, k;
		struct rte_mbuf *m;
		enum dp_pkt_action a;
		uint64_t before = accounted();

		for (k = 0; k < len; k++)
			b[k] = (uint8_t)rnd();
		if (len >= 34 && (i & 1)) {   /* steer most of them deep into the parsers */
			static const uint16_t types[] = { RTE_ETHER_TYPE_IPV4, RTE_ETHER_TYPE_IPV6,
							  RTE_ETHER_TYPE_ARP };
			eth(b, &our_mac, types[rnd() % 3]);
			if (b[13] == 0x00) {
				struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);

				ip->version_ihl = RTE_IPV4_VHL_DEF;
				ip->dst_addr = OUR4;
				ip->next_proto_id = (rnd() & 1) ? IPPROTO_UDP : IPPROTO_ICMP;
				if (rnd() & 1)
					ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
				ip->hdr_checksum = 0;
				ip->hdr_checksum = rte_ipv4_cksum(ip);
			}
		}
		m = mk(b, len);
		a = run(&m);
		outcome[a]++;
		if (a == DP_PKT_DROP)
			assert_int_equal(accounted(), before + 1);
		else if (a != DP_PKT_HELD)   /* a fragment may free its flow: FRAG_FAILED */
			assert_int_equal(accounted(), before);
		if (a != DP_PKT_HELD)
			rte_pktmbuf_free(m);
		dp_pkt_frag_housekeep(lc, rte_rdtsc());   /* what the worker does per burst */
	}
	assert_true(outcome[DP_PKT_DROP] > 100000);
	lc->frag_next_expire = 0;
	dp_pkt_frag_housekeep(lc, rte_rdtsc() + rte_get_tsc_hz() * 60);
}

static void
test_drop_names(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < DP_DROP_MAX; i++) {
		const char *n = dp_drop_name(i);

		assert_true(strlen(n) > 2);
		for (j = 0; n[j] != '\0'; j++)
			assert_true((n[j] >= 'a' && n[j] <= 'z') || (n[j] >= '0' && n[j] <= '9') || n[j] == '_');
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, dp_drop_name(j));
		assert_true(strlen(dp_drop_help(i)) > 10);
	}
	assert_string_equal(dp_drop_name(DP_DROP_L2_SHORT), "l2_short");
	assert_string_equal(dp_counter_name(DP_CNT_rx_pkts), "rx_pkts");
}

/* docs/dataplane.md lists every counter and drop reason as `name`. */
static void
test_docs_list_every_counter(void **state)
{
	static char doc[64 * 1024];
	char key[64];
	FILE *f = fopen("docs/dataplane.md", "r");
	size_t n;
	unsigned int i;

	(void)state;
	assert_non_null(f);
	n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	for (i = 0; i < DP_DROP_MAX; i++) {
		snprintf(key, sizeof(key), "`%s`", dp_drop_name(i));
		if (strstr(doc, key) == NULL)
			fail_msg("drop reason %s missing from docs/dataplane.md", key);
	}
	for (i = 0; i < DP_CNT_MAX; i++) {
		snprintf(key, sizeof(key), "`%s`", dp_counter_name(i));
		if (strstr(doc, key) == NULL)
			fail_msg("counter %s missing from docs/dataplane.md", key);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_arp_request_answered, check_no_leak),
		cmocka_unit_test_teardown(test_arp_drops, check_no_leak),
		cmocka_unit_test_teardown(test_arp_reply_learnt, check_no_leak),
		cmocka_unit_test_teardown(test_arp_reply_fanout, check_no_leak),
		cmocka_unit_test_teardown(test_neigh_hold, check_no_leak),
		cmocka_unit_test_teardown(test_arp_unsolicited_kept, check_no_leak),
		cmocka_unit_test_teardown(test_reply_fragmented, check_no_leak),
		cmocka_unit_test_teardown(test_held_fragmented, check_no_leak),
		cmocka_unit_test_teardown(test_l2_drops, check_no_leak),
		cmocka_unit_test_teardown(test_icmp_echo_answered, check_no_leak),
		cmocka_unit_test_teardown(test_ipv4_drops, check_no_leak),
		cmocka_unit_test_teardown(test_udp_sip_and_cluster, check_no_leak),
		cmocka_unit_test_teardown(test_cluster_gate, check_no_leak),
		cmocka_unit_test_teardown(test_udp_drops, check_no_leak),
		cmocka_unit_test_teardown(test_nd_answered, check_no_leak),
		cmocka_unit_test_teardown(test_nd_resolve, check_no_leak),
		cmocka_unit_test_teardown(test_icmp6_and_udp6, check_no_leak),
		cmocka_unit_test_teardown(test_reassembly_in_order_and_reversed, check_no_leak),
		cmocka_unit_test_teardown(test_reassembly_timeout_and_duplicates, check_no_leak),
		cmocka_unit_test_teardown(test_reassembly_budget, check_no_leak),
		cmocka_unit_test_teardown(test_fragment_not_udp, check_no_leak),
		cmocka_unit_test_teardown(test_truncation_at_every_length, check_no_leak),
		cmocka_unit_test_teardown(test_random_frames, check_no_leak),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_vip),
		cmocka_unit_test_teardown(test_vip6, check_no_leak),
		cmocka_unit_test_teardown(test_vip6_claim, check_no_leak),
		cmocka_unit_test(test_docs_list_every_counter),
	};

	return cmocka_run_group_tests_name("dp_pkt", tests, setup, teardown);
}
