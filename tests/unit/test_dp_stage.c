/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's receive burst in stages (dp_sip_stage_add(), dp_sip_stage_run():
 * parse and key the burst, prefetch the shard, then handle each in order) must
 * answer exactly as the same datagrams handled one at a time (dp_sip_input()):
 * byte for byte, in the same order, with the shard in the same state. The
 * bursts hold what would break a stage that ran ahead of the shard: a second
 * REGISTER of an AoR the same burst creates, a removal then a query of it,
 * datagrams that fail to parse, one in two pieces (linearised into the one
 * scratch buffer), and more datagrams than a stage holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "config/cfg.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_sip.h"
#include "dataplane/registrar/reg_shard.h"

#define SIP_PORT  5060
#define POOL_SIZE 4095
#define MAX_DGRAMS 80
#define OUR4  RTE_BE32(0xc6120001)   /* 198.18.0.1 */
#define PEER4 RTE_BE32(0xc6120064)   /* 198.18.0.100 */

static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 0x64 }};
static const char domains[1][CFG_STR] = { "example.com" };

static struct cfg cfg;
static struct dp_ctx ctx;
static struct dp_lcore *lc;
static struct rte_mempool *pool;
static struct reg_conf conf;

/* The replies of a run, in the order queued for the wire. */
struct replies {
	unsigned int n;
	char text[MAX_DGRAMS * 2][2048];
	size_t len[MAX_DGRAMS * 2];
};
static struct replies staged, direct;

/* ---- frames ---- */

/* Ethernet + IPv4 + UDP to the SIP port with payload, checksums right; in two
 * segments when split (the headers and the first split octets, then the rest). */
static struct rte_mbuf *
frame(const char *payload, uint16_t sport, size_t split)
{
	uint8_t b[2048];
	size_t plen = strlen(payload), len;
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	struct rte_mbuf *m, *m2;

	memset(b, 0, sizeof(*e) + sizeof(*ip) + sizeof(*u));
	e->dst_addr = our_mac;
	e->src_addr = peer_mac;
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*u) + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = PEER4;
	ip->dst_addr = OUR4;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = rte_cpu_to_be_16(sport);
	u->dst_port = rte_cpu_to_be_16(SIP_PORT);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + plen));
	memcpy(u + 1, payload, plen);
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	len = sizeof(*e) + sizeof(*ip) + sizeof(*u) + plen;

	m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	m->port = 0;
	if (split == 0) {
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), b, len);
		return m;
	}
	split += len - plen;
	memcpy(rte_pktmbuf_append(m, (uint16_t)split), b, split);
	m2 = rte_pktmbuf_alloc(pool);
	assert_non_null(m2);
	memcpy(rte_pktmbuf_append(m2, (uint16_t)(len - split)), b + split, len - split);
	assert_int_equal(rte_pktmbuf_chain(m, m2), 0);
	return m;
}

static char regs[MAX_DGRAMS][1024];

/* A REGISTER of user to contact host (NULL: a query), CSeq cseq, expires e (-1:
 * no Expires header field). */
static const char *
reg(unsigned int slot, const char *user, const char *contact, unsigned int cseq, int e)
{
	char c[256] = "", x[64] = "";

	if (contact != NULL)
		snprintf(c, sizeof(c), "Contact: <sip:%s@%s:5060;transport=udp>\r\n", user, contact);
	if (e >= 0)
		snprintf(x, sizeof(x), "Expires: %d\r\n", e);
	snprintf(regs[slot], sizeof(regs[slot]),
		 "REGISTER sip:example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-%s-%u-%u\r\n"
		 "Max-Forwards: 70\r\n"
		 "To: <sip:%s@example.com>\r\n"
		 "From: <sip:%s@example.com>;tag=f%u\r\n"
		 "Call-ID: call-%s@198.18.0.100\r\n"
		 "CSeq: %u REGISTER\r\n"
		 "%s%s"
		 "Content-Length: 0\r\n\r\n",
		 user, cseq, slot, user, user, slot, user, cseq, c, x);
	return regs[slot];
}

static const char options_to_us[] =
	"OPTIONS sip:198.18.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK-opt\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:198.18.0.1>\r\n"
	"From: <sip:mon@example.com>;tag=1\r\n"
	"Call-ID: opt-1\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

/* A request the parser refuses (no CSeq): answered 400 from its Via. */
static const char no_cseq[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK-bad\r\n"
	"To: <sip:zed@example.com>\r\n"
	"From: <sip:zed@example.com>;tag=1\r\n"
	"Call-ID: bad-1\r\n"
	"Content-Length: 0\r\n\r\n";

/* Not SIP at all: dropped without an answer. */
static const char junk[] = "\x01\x02 this is not SIP";

/* A REGISTER for a domain that is not ours: answered 403 at the key stage. */
static const char foreign[] =
	"REGISTER sip:example.org SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK-foreign\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:eve@example.org>\r\n"
	"From: <sip:eve@example.org>;tag=1\r\n"
	"Call-ID: foreign-1\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:eve@198.18.0.100>\r\n"
	"Content-Length: 0\r\n\r\n";

struct dgram {
	const char *text;
	size_t split;           /* 0: one segment */
};

/* ---- runs ---- */

static void
take_replies(struct replies *r)
{
	unsigned int i;

	for (i = 0; i < lc->n_tx[0]; i++) {
		struct rte_mbuf *m = lc->tx[0][i];
		size_t off = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
			     sizeof(struct rte_udp_hdr);

		assert_true(r->n < MAX_DGRAMS * 2);
		assert_true(m->pkt_len > off && m->pkt_len - off < sizeof(r->text[0]));
		const char *p;

		r->len[r->n] = m->pkt_len - off;
		p = rte_pktmbuf_read(m, (uint32_t)off, (uint32_t)r->len[r->n], r->text[r->n]);
		assert_non_null(p);
		if (p != r->text[r->n])
			memcpy(r->text[r->n], p, r->len[r->n]);
		r->text[r->n][r->len[r->n]] = '\0';
		r->n++;
		rte_pktmbuf_free(m);
	}
	lc->n_tx[0] = 0;
}

static void
shard_fresh(void)
{
	if (lc->reg != NULL)
		reg_shard_free(lc->reg);
	lc->reg = reg_shard_create(&conf, 0, SOCKET_ID_ANY);
	assert_non_null(lc->reg);
}

/* Every datagram classified, then staged (staging) or handled as it comes,
 * replies collected as they are queued (a stage holds DP_MAX_BURST). */
static void
run(const struct dgram *d, unsigned int n, int staging, struct replies *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	shard_fresh();
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = frame(d[i].text, (uint16_t)(40000 + i), d[i].split);

		assert_int_equal(dp_pkt_classify(lc, &m, 0), DP_PKT_SIP);
		if (staging)
			dp_sip_stage_add(lc, m);
		else
			dp_sip_input(lc, m);
		if (lc->n_tx[0] >= DP_MAX_BURST - 2)
			take_replies(r);   /* (before dp_egress would flush) */
	}
	if (staging)
		dp_sip_stage_run(lc);
	take_replies(r);
	assert_int_equal(lc->n_stage, 0);
	assert_ptr_equal(lc->msg, &lc->msg_direct);
}

static void
assert_same(void)
{
	unsigned int i;

	assert_int_equal(staged.n, direct.n);
	for (i = 0; i < staged.n; i++) {
		if (staged.len[i] != direct.len[i] ||
		    memcmp(staged.text[i], direct.text[i], staged.len[i]) != 0)
			fail_msg("reply %u differs:\n--- staged\n%s\n--- one at a time\n%s", i,
				 staged.text[i], direct.text[i]);
	}
}

static unsigned int
count_of(const char *s, const char *what)
{
	unsigned int n = 0;

	for (s = strstr(s, what); s != NULL; s = strstr(s + 1, what))
		n++;
	return n;
}

/* ---- tests ---- */

/* One burst: what the second REGISTER of an AoR created in the same burst, a
 * removal and the query after it, and the failures in between answer. */
static void
test_burst_in_order(void **state)
{
	struct dgram d[] = {
		{ reg(0, "alice", "198.18.0.100", 1, 600), 0 },
		{ reg(1, "alice", "198.18.0.101", 2, 600), 0 },   /* same AoR, same burst */
		{ reg(2, "bob", "198.18.0.102", 1, 600), 0 },
		{ junk, 0 },
		{ options_to_us, 0 },
		{ no_cseq, 0 },
		{ foreign, 0 },
		{ reg(3, "alice", "198.18.0.100", 3, 0), 0 },     /* removes the first */
		{ reg(4, "alice", "198.18.0.101", 4, -1), 0 },    /* refresh: lists the bindings */
		{ reg(5, "bob", "198.18.0.102", 2, 0), 0 },
		{ reg(6, "bob", NULL, 3, -1), 0 },                /* a query (no list: unauth) */
	};
	unsigned int n = sizeof(d) / sizeof(d[0]);

	(void)state;
	run(d, n, 1, &staged);
	run(d, n, 0, &direct);
	assert_same();
	assert_int_equal(staged.n, n - 1);   /* all but the junk answered */
	assert_non_null(strstr(staged.text[0], "SIP/2.0 200 "));
	assert_int_equal(count_of(staged.text[0], "Contact: "), 1);
	/* the second REGISTER saw the binding the first made in the same burst */
	assert_int_equal(count_of(staged.text[1], "Contact: "), 2);
	assert_non_null(strstr(staged.text[1], "sip:alice@198.18.0.100"));
	assert_non_null(strstr(staged.text[1], "sip:alice@198.18.0.101"));
	assert_non_null(strstr(staged.text[3], "SIP/2.0 200 "));       /* OPTIONS */
	assert_non_null(strstr(staged.text[4], "SIP/2.0 400 "));       /* no CSeq */
	assert_non_null(strstr(staged.text[5], "SIP/2.0 403 "));       /* foreign */
	/* after the removal in the same burst, the refresh lists one binding */
	assert_int_equal(count_of(staged.text[7], "Contact: "), 1);
	assert_non_null(strstr(staged.text[7], "sip:alice@198.18.0.101"));
	assert_null(strstr(staged.text[7], "sip:alice@198.18.0.100"));
	assert_int_equal(count_of(staged.text[9], "Contact: "), 0);
}

/* A datagram in two pieces in the middle of a burst: it is linearised into the
 * scratch buffer, so the slots before it are handled first; the order of the
 * answers stays that of the datagrams. */
static void
test_pieces_keep_order(void **state)
{
	struct dgram d[] = {
		{ reg(0, "carol", "198.18.0.110", 1, 600), 0 },
		{ reg(1, "dave", "198.18.0.111", 1, 600), 0 },
		{ reg(2, "carol", "198.18.0.112", 2, 600), 60 },   /* in two pieces */
		{ reg(3, "carol", "198.18.0.110", 3, 600), 0 },
		{ reg(4, "dave", "198.18.0.111", 2, 600), 150 },    /* in two pieces */
		{ reg(5, "erin", "198.18.0.113", 1, 600), 0 },
	};
	unsigned int n = sizeof(d) / sizeof(d[0]);

	(void)state;
	run(d, n, 1, &staged);
	run(d, n, 0, &direct);
	assert_same();
	assert_int_equal(staged.n, n);
	assert_int_equal(count_of(staged.text[2], "Contact: "), 2);
	assert_int_equal(count_of(staged.text[3], "Contact: "), 2);
	assert_int_equal(count_of(staged.text[4], "Contact: "), 1);
	assert_non_null(strstr(staged.text[4], "sip:dave@198.18.0.111"));
}

/* More datagrams than a stage holds (a burst of reassembled or steered
 * traffic can do that): the full stage is handled and the next one begins. */
static void
test_more_than_a_stage(void **state)
{
	struct dgram d[MAX_DGRAMS];
	char users[MAX_DGRAMS][16];
	unsigned int i, n = DP_MAX_BURST * 2 + 5;

	(void)state;
	for (i = 0; i < n; i++) {
		/* each user twice, the second time in the next stage or the same */
		snprintf(users[i], sizeof(users[i]), "u%u", i % 40);
		d[i].text = reg(i, users[i], i < 40 ? "198.18.1.1" : "198.18.1.2", i + 1, 600);
		d[i].split = 0;
	}
	run(d, n, 1, &staged);
	run(d, n, 0, &direct);
	assert_same();
	assert_int_equal(staged.n, n);
	for (i = 40; i < n; i++)
		assert_int_equal(count_of(staged.text[i], "Contact: "), 2);
}

/* ---- fixtures ---- */

static int
setup(void **state)
{
	char *argv[] = { "test_dp_stage", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=*:error", NULL };

	(void)state;
	if (rte_eal_init(9, argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("t_stage", POOL_SIZE, 0, DP_MBUF_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return -1;
	cfg_defaults(&cfg);
	conf = (struct reg_conf){
		.default_expires = 3600, .min_expires = 60, .max_expires = 7200,
		.max_contacts = 10, .on_max_contacts = REG_FULL_REJECT,
		.foreign_status = 403, .node_id = 1, .max_aors = 256, .max_bindings = 512,
		.n_domains = 1, .domains = domains, .events = NULL,
	};
	ctx.cfg = &cfg;
	ctx.reg_conf = &conf;
	ctx.n_workers = 1;
	ctx.n_ports = 1;
	ctx.pool = pool;
	ctx.sip_port = RTE_BE16(SIP_PORT);
	ctx.ports[0].mac = our_mac;
	ctx.ports[0].ipv4 = OUR4;
	lc = rte_zmalloc("lc", sizeof(*lc), RTE_CACHE_LINE_SIZE);
	if (lc == NULL)
		return -1;
	lc->ctx = &ctx;
	lc->msg = &lc->msg_direct;
	lc->now_ms = 5000;
	lc->wall_s = 1700000000;
	ctx.lcores[0] = lc;
	return dp_pkt_frag_init(lc, 64, 500, SOCKET_ID_ANY);
}

static int
teardown(void **state)
{
	(void)state;
	reg_shard_free(lc->reg);
	dp_pkt_frag_fini(lc);
	rte_free(lc);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

/* Every test gives back every mbuf it took. */
static int
check_no_leak(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_burst_in_order, check_no_leak),
		cmocka_unit_test_teardown(test_pieces_keep_order, check_no_leak),
		cmocka_unit_test_teardown(test_more_than_a_stage, check_no_leak),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
