/* SPDX-License-Identifier: BSD-3-Clause */
/* sipshard-gen: port setup, ARP, and the send/receive/match loop. See gen_run.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dataplane/core/dp_eal.h"
#include "perf/gen_run.h"

#define GEN_RX_BURST        64
#define GEN_MAX_BURST       256
#define GEN_POOL_CACHE      256
#define GEN_LINK_WAIT_MS    10000
#define GEN_IDLE_PASSES     64
#define GEN_SLEEP_MAX_US    200
#define GEN_SLEEP_BUSY_US   20

/* ---- main lcore: setup ---- */

int
gen_port_init(struct gen_ctx *g)
{
	const struct gen_cfg *c = g->cfg;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	uint16_t nb_rxd = (uint16_t)c->port.rx_desc, nb_txd = (uint16_t)c->port.tx_desc;
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc, waited = 0;

	dp_eal_device_name(c->port.device, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &g->port_id) != 0) {
		if (rte_eth_dev_count_avail() == 0) {
			fprintf(stderr, "sipshard-gen: no port '%s' (is the device string right?)\n", name);
			return -ENODEV;
		}
		RTE_ETH_FOREACH_DEV(g->port_id)
			break;
	}
	g->pool = rte_pktmbuf_pool_create("gen_pool", c->port.mbufs, GEN_POOL_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (g->pool == NULL) {
		fprintf(stderr, "sipshard-gen: cannot create a pool of %u mbufs: %s\n", c->port.mbufs,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = rte_eth_dev_info_get(g->port_id, &info);
	if (rc != 0)
		return rc;
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(g->port_id, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(g->port_id, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(g->port_id, 0, nb_rxd, rte_eth_dev_socket_id(g->port_id),
					    NULL, g->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(g->port_id, 0, nb_txd, rte_eth_dev_socket_id(g->port_id),
					    NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(g->port_id);
	if (rc != 0) {
		fprintf(stderr, "sipshard-gen: cannot set up port %s: %s\n", name, rte_strerror(-rc));
		return rc;
	}
	if (c->port.has_mac)
		memcpy(g->net.src_mac, c->port.mac, 6);
	else if (rte_eth_macaddr_get(g->port_id, &mac) == 0)
		memcpy(g->net.src_mac, mac.addr_bytes, 6);
	rte_eth_promiscuous_enable(g->port_id);       /* best effort: some PMDs have none */

	/* memif: the link comes up when the peer connects. */
	for (;;) {
		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(g->port_id, &link);
		if (link.link_status == RTE_ETH_LINK_UP || *g->stop)
			break;
		if (waited >= GEN_LINK_WAIT_MS) {
			fprintf(stderr, "sipshard-gen: port %s: link still down after %d ms, going on\n",
				name, GEN_LINK_WAIT_MS);
			break;
		}
		rte_delay_us_sleep(10 * 1000);
		waited += 10;
	}
	fprintf(stderr, "sipshard-gen: port %s (%s) up, MAC " RTE_ETHER_ADDR_PRT_FMT "\n", name,
		info.driver_name, RTE_ETHER_ADDR_BYTES((struct rte_ether_addr *)g->net.src_mac));
	return 0;
}

void
gen_port_fini(struct gen_ctx *g)
{
	rte_eth_dev_stop(g->port_id);
	rte_eth_dev_close(g->port_id);
	free(g->table);
	g->table = NULL;
	rte_mempool_free(g->pool);
	g->pool = NULL;
}

/* ---- generator lcore ---- */

/* Answer an ARP request for our address in place, or learn the target's MAC. */
static bool
gen_arp_input(struct gen_ctx *g, struct rte_mbuf *m, struct gen_stats *st)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	uint32_t sip;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY)) {
		if (arp->arp_data.arp_sip == g->net.dst_ip && !g->mac_resolved) {
			memcpy(g->net.dst_mac, arp->arp_data.arp_sha.addr_bytes, 6);
			g->mac_resolved = true;
		}
		return false;
	}
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_data.arp_tip != g->net.src_ip)
		return false;
	sip = arp->arp_data.arp_sip;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = sip;
	memcpy(arp->arp_data.arp_sha.addr_bytes, g->net.src_mac, 6);
	arp->arp_data.arp_sip = g->net.src_ip;
	eth->dst_addr = eth->src_addr;
	memcpy(eth->src_addr.addr_bytes, g->net.src_mac, 6);
	if (rte_eth_tx_burst(g->port_id, 0, &m, 1) == 1) {
		if (st != NULL)
			st->arp_replies++;
		return true;
	}
	return false;
}

static void
gen_arp_request(struct gen_ctx *g)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, 6);
	memcpy(eth->src_addr.addr_bytes, g->net.src_mac, 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	memcpy(arp->arp_data.arp_sha.addr_bytes, g->net.src_mac, 6);
	arp->arp_data.arp_sip = g->net.src_ip;
	memset(&arp->arp_data.arp_tha, 0, 6);
	arp->arp_data.arp_tip = g->net.dst_ip;
	m->data_len = m->pkt_len = RTE_MAX((uint32_t)(sizeof(*eth) + sizeof(*arp)), 60u);
	memset((uint8_t *)(arp + 1), 0, m->data_len - sizeof(*eth) - sizeof(*arp));
	if (rte_eth_tx_burst(g->port_id, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

int
gen_arp_resolve(struct gen_ctx *g)
{
	uint64_t now = rte_rdtsc(), deadline, next = now;
	struct rte_mbuf *pkts[GEN_RX_BURST];
	uint16_t n, i;

	deadline = now + g->hz * g->cfg->target.arp_timeout_ms / 1000;
	while (!g->mac_resolved && !*g->stop) {
		now = rte_rdtsc();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (now >= next) {
			gen_arp_request(g);
			next = now + g->hz / 5;
		}
		n = rte_eth_rx_burst(g->port_id, 0, pkts, GEN_RX_BURST);
		for (i = 0; i < n; i++) {
			struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

			if (rte_pktmbuf_data_len(pkts[i]) >= sizeof(*eth) &&
			    eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) &&
			    gen_arp_input(g, pkts[i], NULL))
				continue;
			rte_pktmbuf_free(pkts[i]);
		}
		if (n == 0)
			rte_delay_us_sleep(1000);
	}
	return g->mac_resolved ? 0 : -EINTR;
}

int
gen_ctx_prepare(struct gen_ctx *g)
{
	uint64_t size = 1;
	int rc;

	while (size < g->cfg->run.max_in_flight)
		size <<= 1;
	g->table = calloc(size, sizeof(*g->table));
	if (g->table == NULL)
		return -ENOMEM;
	g->mask = size - 1;
	rc = gen_tpl_build(&g->tpl, g->cfg, &g->net, g->runid);
	if (rc != 0) {
		fprintf(stderr, "sipshard-gen: the %s request does not fit one frame (domain too long?)\n",
			gen_workload_name(g->cfg->wl.type));
		return rc;
	}
	g->suffix_len = gen_sip_callid_suffix(g->callid_suffix, sizeof(g->callid_suffix), g->runid,
					      g->net.src_ip);
	return 0;
}

/* Everything request K carries. */
static void
gen_req_of(const struct gen_ctx *g, uint64_t k, struct gen_req *r)
{
	const struct gen_cfg_workload *wl = &g->cfg->wl;
	uint64_t h = k * 0x9e3779b97f4a7c15ull;
	bool fresh;

	r->seq = k;
	r->tag = (uint32_t)(h >> 32) ^ g->runid;
	r->user = (uint32_t)(k % wl->aors);
	r->cseq = GEN_CSEQ_BASE + 1;
	if (wl->type != GEN_WL_REGISTER) {
		r->callid = k | (1ull << 62);
		return;
	}
	/* new: a new Call-ID each time; refresh: the AoR's Call-ID, CSeq + 1 per round. */
	fresh = wl->mode == GEN_MODE_NEW ||
		(wl->mode == GEN_MODE_MIX && k >= wl->aors && (h >> 40) % 100 < wl->mix_new_pct);
	if (fresh) {
		r->callid = k | (1ull << 63);
	} else {
		r->callid = r->user;
		r->cseq = GEN_CSEQ_BASE + 1 + (uint32_t)(k / wl->aors);
	}
}

static void
gen_match(struct gen_ctx *g, const struct gen_sip_msg *msg, uint64_t now, struct gen_stats *st)
{
	struct gen_slot *s;
	struct gen_req r;
	uint64_t ns;

	if (msg->is_request && !g->cfg->run.reflect) {
		st->requests_in++;
		return;
	}
	if (!msg->ours) {
		st->unexpected++;
		return;
	}
	s = &g->table[msg->seq & g->mask];
	if (s->seq1 != msg->seq + 1) {
		st->late++;
		return;
	}
	gen_req_of(g, msg->seq, &r);
	if (!msg->has_callid || !msg->callid_ours || msg->callid != r.callid ||
	    msg->cseq != r.cseq || strcmp(msg->cseq_method, g->tpl.method) != 0) {
		st->unexpected++;
		return;
	}
	if (!msg->is_request) {
		st->cls[msg->status / 100]++;
		if (msg->status < 200) {
			st->provisional++;
			return;
		}
	}
	ns = (now - s->tsc) * 1000000000ull / g->hz;
	gen_hist_add(&st->hist, ns);
	gen_hist_add(&g->sec, ns);
	st->replies++;
	if (msg->is_request || msg->status < 300)
		st->ok++;
	else
		st->err++;
	s->seq1 = 0;
	g->outstanding--;
}

/* A SIP datagram for us: Ethernet/IPv4/UDP checked (no options, no fragments). */
static void
gen_ip_input(struct gen_ctx *g, struct rte_mbuf *m, uint64_t now, struct gen_stats *st)
{
	uint32_t len = rte_pktmbuf_data_len(m), ihl, plen;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *udp;
	struct gen_sip_msg msg;

	if (len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*udp) || (ip->version_ihl >> 4) != 4 ||
	    ip->next_proto_id != IPPROTO_UDP || (ip->fragment_offset & rte_cpu_to_be_16(0x3fff)) != 0)
		goto other;
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < 20 || len < RTE_ETHER_HDR_LEN + ihl + sizeof(*udp))
		goto other;
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	if (!g->cfg->run.reflect &&
	    (ip->dst_addr != g->net.src_ip || udp->dst_port != rte_cpu_to_be_16(g->net.sport)))
		goto other;
	plen = rte_be_to_cpu_16(udp->dgram_len);
	if (plen < sizeof(*udp) || RTE_ETHER_HDR_LEN + ihl + plen > len)
		goto other;
	/* our own request sent back as it was: its fields where the template put them */
	if (g->cfg->run.reflect && gen_sip_reflected(&g->tpl, p, len, &msg)) {
		gen_match(g, &msg, now, st);
		return;
	}
	if (gen_sip_scan((const char *)(udp + 1), plen - sizeof(*udp), g->runid, g->callid_suffix,
			 g->suffix_len, &msg) != 0) {
		st->unexpected++;
		return;
	}
	gen_match(g, &msg, now, st);
	return;
other:
	st->rx_other++;
}

static uint16_t
gen_rx(struct gen_ctx *g, struct gen_stats *st)
{
	struct rte_mbuf *pkts[GEN_RX_BURST];
	uint16_t n, i;
	uint64_t now;

	n = rte_eth_rx_burst(g->port_id, 0, pkts, GEN_RX_BURST);
	if (n == 0)
		return 0;
	now = rte_rdtsc();
	st->rx_pkts += n;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (rte_pktmbuf_data_len(m) < sizeof(*eth)) {
			st->rx_other++;
		} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
			gen_ip_input(g, m, now, st);
		} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			if (gen_arp_input(g, m, st))
				continue;       /* sent back */
		} else {
			st->rx_other++;
		}
		rte_pktmbuf_free(m);
	}
	return n;
}

/* Send up to N requests (the window permitting). Returns how many left. */
static uint32_t
gen_tx(struct gen_ctx *g, uint32_t n, struct gen_stats *st)
{
	struct rte_mbuf *pkts[GEN_MAX_BURST];
	uint64_t avail, now;
	uint16_t sent, i;
	struct gen_req r;

	avail = g->window > g->outstanding ? g->window - g->outstanding : 0;
	avail = RTE_MIN(avail, g->mask + 1 - (g->next_seq - g->cursor));
	if (n > avail)
		n = (uint32_t)avail;
	if (n > GEN_MAX_BURST)
		n = GEN_MAX_BURST;
	if (n == 0 || rte_pktmbuf_alloc_bulk(g->pool, pkts, n) != 0)
		return 0;
	now = rte_rdtsc();
	for (i = 0; i < n; i++) {
		uint64_t k = g->next_seq + i;
		struct gen_slot *s = &g->table[k & g->mask];

		gen_req_of(g, k, &r);
		pkts[i]->data_len = gen_tpl_write(&g->tpl, rte_pktmbuf_mtod(pkts[i], uint8_t *), &r);
		pkts[i]->pkt_len = pkts[i]->data_len;
		s->seq1 = k + 1;
		s->tsc = now;
	}
	sent = rte_eth_tx_burst(g->port_id, 0, pkts, (uint16_t)n);
	if (sent < n) {
		st->tx_full++;
		for (i = sent; i < n; i++) {
			g->table[(g->next_seq + i) & g->mask].seq1 = 0;
			rte_pktmbuf_free(pkts[i]);
		}
	}
	g->next_seq += sent;
	g->outstanding += sent;
	st->sent += sent;
	return sent;
}

/* Expire the requests older than the timeout, oldest first. */
static void
gen_sweep(struct gen_ctx *g, uint64_t now, uint64_t timeout, struct gen_stats *st)
{
	while (g->cursor < g->next_seq) {
		struct gen_slot *s = &g->table[g->cursor & g->mask];

		if (s->seq1 == g->cursor + 1) {
			if ((int64_t)(now - s->tsc) < (int64_t)timeout)
				break;
			s->seq1 = 0;
			g->outstanding--;
			st->timeouts++;
		}
		g->cursor++;
	}
}

static void
gen_progress(struct gen_ctx *g, const struct gen_stats *st, struct gen_stats *prev, uint64_t now)
{
	double t = (double)(now - st->t_start) / (double)g->hz;

	fprintf(stderr, "%s t=%.0fs sent=%" PRIu64 " (+%" PRIu64 ") replies=%" PRIu64 " (+%" PRIu64
		") ok=%" PRIu64 " inflight=%" PRIu64 " timeouts=%" PRIu64 " unexpected=%" PRIu64
		" late=%" PRIu64 " p50=%.1fus p99=%.1fus\n", g->label, t, st->sent, st->sent - prev->sent,
		st->replies, st->replies - prev->replies, st->ok, g->outstanding, st->timeouts,
		st->unexpected, st->late, gen_hist_quantile(&g->sec, 0.5) / 1000.0,
		gen_hist_quantile(&g->sec, 0.99) / 1000.0);
	prev->sent = st->sent;
	prev->replies = st->replies;
	gen_hist_reset(&g->sec);
}

void
gen_phase(struct gen_ctx *g, uint64_t rate, double duration_s, uint64_t max_req, uint32_t window,
	  struct gen_stats *st)
{
	const struct gen_cfg_run *rc = &g->cfg->run;
	uint64_t hz = g->hz, timeout = hz * rc->timeout_ms / 1000;
	uint64_t t0, t_end, t_cap, now, next_progress, due, target, backoff = 1, sleep_us;
	struct gen_stats prev;
	unsigned int idle = 0;
	uint32_t sent;
	uint16_t nrx;
	bool sending = true;

	memset(st, 0, sizeof(*st));
	memset(&prev, 0, sizeof(prev));
	gen_hist_reset(&g->sec);
	g->window = window != 0 ? window : rc->max_in_flight;
	/* Fixed rate: exactly rate * duration requests (or max_req), paced; a late
	 * generator catches up in bursts and the trial takes longer (at most twice).
	 * Rate 0: as many as the window allows until the duration (or max_req). */
	target = rate != 0 ? (uint64_t)((double)rate * duration_s + 0.5) : UINT64_MAX;
	if (max_req != 0 && max_req < target)
		target = max_req;
	st->paced = rate != 0;
	st->nominal_s = rate != 0 ? (double)target / (double)rate : duration_s;
	t0 = rte_rdtsc();
	t_end = t0 + (uint64_t)(duration_s * (double)hz);
	t_cap = rate != 0 ? t0 + 2 * (t_end - t0) + hz : t_end;
	st->t_start = t0;
	next_progress = t0 + hz;
	for (;;) {
		now = rte_rdtsc();
		if (sending && (st->sent >= target || now >= t_cap || *g->stop ||
				(rate == 0 && now >= t_end) ||
				(g->fail_limit != 0 && st->timeouts + st->err > g->fail_limit))) {
			sending = false;
			st->t_end = now;
			st->scheduled = rate != 0 ? target : st->sent;
		}
		if (!sending && (g->outstanding == 0 || *g->abort))
			break;
		sent = 0;
		if (sending) {
			if (rate == 0) {
				due = rc->burst;
			} else {
				due = (uint64_t)((double)(now - t0) * (double)rate / (double)hz) + 1;
				due = RTE_MIN(due, target);
				due = due > st->sent ? due - st->sent : 0;
				if (due > rc->burst)
					due = rc->burst;
			}
			if (due > target - st->sent)
				due = target - st->sent;
			if (due > 0)
				sent = gen_tx(g, (uint32_t)due, st);
		}
		nrx = gen_rx(g, st);
		gen_sweep(g, rte_rdtsc(), timeout, st);
		if (now >= next_progress) {
			if (g->progress)
				gen_progress(g, st, &prev, now);
			next_progress += hz;
		}
		if (rc->idle == GEN_IDLE_BUSY || nrx != 0 || sent != 0) {
			idle = 0;
			backoff = 1;
			continue;
		}
		if (++idle < GEN_IDLE_PASSES)
			continue;
		sleep_us = backoff;
		if (g->outstanding > 0 && sleep_us > GEN_SLEEP_BUSY_US)
			sleep_us = GEN_SLEEP_BUSY_US;
		if (sending && rate != 0) {
			uint64_t next_tsc = t0 + (uint64_t)((double)(st->sent + 1) * (double)hz / (double)rate);
			uint64_t until = next_tsc > now ? (next_tsc - now) * 1000000 / hz : 0;

			if (until < sleep_us)
				sleep_us = until;
		}
		if (sleep_us > 0)
			rte_delay_us_sleep((unsigned int)sleep_us);
		if (backoff < GEN_SLEEP_MAX_US)
			backoff *= 2;
	}
	st->t_drained = rte_rdtsc();
	if (st->t_end == 0)
		st->t_end = st->t_drained;
}

double
gen_stats_duration(const struct gen_ctx *g, const struct gen_stats *st)
{
	double d = st->t_end > st->t_start ? (double)(st->t_end - st->t_start) / (double)g->hz : 0;

	/* Paced: the last request leaves 1/rate before the nominal end. */
	return st->paced && d < st->nominal_s ? st->nominal_s : d;
}

double
gen_stats_loss(const struct gen_stats *st)
{
	return st->sent == 0 ? 1.0 : 1.0 - (double)st->ok / (double)st->sent;
}

double
gen_stats_shortfall(const struct gen_stats *st)
{
	return st->scheduled == 0 ? 0 : 1.0 - (double)st->sent / (double)st->scheduled;
}

double
gen_stats_rate(const struct gen_ctx *g, const struct gen_stats *st)
{
	double d = gen_stats_duration(g, st);

	return d > 0 ? (double)st->ok / d : 0;
}
