/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker loop: RX, classify, reply, steer, idle back-off. See dp_worker.h. */
#include <assert.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_pause.h>

#include "dataplane/core/dp_auth.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_ping.h"
#include "dataplane/core/dp_neigh.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_proxy.h"
#include "dataplane/core/dp_reg.h"
#include "dataplane/core/dp_sip.h"
#include "dataplane/core/dp_steer.h"
#include "dataplane/core/dp_vip.h"
#include "dataplane/core/dp_worker.h"
#include "dataplane/registrar/reg_shard.h"

static_assert(DP_MAX_BURST * (RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1) <= RTE_IP_FRAG_DEATH_ROW_MBUF_LEN,
	      "one burst of fragments must fit the reassembly death row");

#define CP_TX_PRIO_BURSTS 8      /* topology bursts per pass (a cluster's worth of heartbeats) */

/* ---- worker lcore ---- */

/* The control lcore owns no shard: SIP it receives goes to a worker, spread by sender. */
static void
sip_dispatch(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const struct dp_pkt_info *info;
	uint32_t h;

	if (!lc->is_ctl) {
		dp_sip_input(lc, m);
		return;
	}
	info = dp_pkt_info_of(m);
	h = rte_hash_crc(info->src, sizeof(info->src), info->src_port);
	dp_egress_handoff(lc, dp_steer_shard(lc->ctx, h), m);
}

void
dp_worker_rx_burst(struct dp_lcore *lc, uint16_t port_idx, struct rte_mbuf **pkts,
		   uint16_t n, uint64_t now_tsc)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		DP_STAT_INC(&lc->stats, rx_pkts);
		DP_STAT_ADD(&lc->stats, rx_bytes, m->pkt_len);
		switch (dp_pkt_classify(lc, &m, now_tsc)) {
		case DP_PKT_REPLY:
			dp_egress_tx(lc, port_idx, m);
			break;
		case DP_PKT_SIP:
			if (lc->is_ctl) {
				lc->ctl_sip_tsc = now_tsc;
				sip_dispatch(lc, m);
			} else
				dp_sip_stage_add(lc, m);
			break;
		case DP_PKT_CLUSTER:
			dp_steer_to_cp(lc, m);
			break;
		case DP_PKT_HELD:
			break;
		case DP_PKT_NEIGH:
			dp_egress_fanout(lc, m);
			break;
		case DP_PKT_DROP:
		default:
			rte_pktmbuf_free(m);
			break;
		}
	}
	dp_sip_stage_run(lc);
	dp_egress_flush(lc);
	/* A burst can fill the death row (RTE_IP_FRAG_DEATH_ROW_MBUF_LEN): empty it now. */
	dp_pkt_frag_housekeep(lc, now_tsc);
}

/* Control lcore: datagrams from the control plane, built by dp_egress and sent
 * out of their port's control queue. Topology messages first (ss_from_cp_hi,
 * up to CP_TX_PRIO_BURSTS bursts, flushed on their own), then one burst of the rest (replication):
 * a heartbeat never waits behind a sync. */
static unsigned int
cp_tx(struct dp_lcore *lc)
{
	struct rte_mbuf *pkts[DP_MAX_BURST];
	unsigned int n, i, k, total = 0;

	for (k = 0; k < CP_TX_PRIO_BURSTS; k++) {
		n = rte_ring_sc_dequeue_burst(lc->ctx->from_cp_prio, (void **)pkts, DP_MAX_BURST, NULL);
		if (n == 0)
			break;
		DP_STAT_ADD(&lc->stats, cp_tx_prio, n);
		if (!rte_ring_empty(lc->ctx->from_cp))
			DP_STAT_ADD(&lc->stats, cp_tx_prio_ahead, n);
		for (i = 0; i < n; i++)
			dp_egress_cp_send(lc, pkts[i]);
		dp_egress_flush(lc);
		total += n;
	}
	n = rte_ring_sc_dequeue_burst(lc->ctx->from_cp, (void **)pkts, DP_MAX_BURST, NULL);
	for (i = 0; i < n; i++)
		dp_egress_cp_send(lc, pkts[i]);
	dp_egress_flush(lc);
	return total + n;
}

/* The adaptive back-off, by time since the last pass that found work: plain
 * polls, then polls after a sched_yield(), then sleeps that start short and double up
 * to DP_IDLE_SLEEP_MAX_US. Pure, so the unit tests drive it with made-up clocks. */
uint32_t
dp_idle_step(uint64_t idle_cycles, uint64_t tsc_hz, uint32_t *sleep_us)
{
	uint64_t us = idle_cycles * 1000000u / tsc_hz;

	if (us < DP_IDLE_POLL_US)
		return DP_IDLE_POLL;
	if (us < DP_IDLE_PAUSE_US)
		return DP_IDLE_PAUSE;
	*sleep_us = *sleep_us == 0 ? DP_IDLE_SLEEP_MIN_US :
		    RTE_MIN(*sleep_us * 2, (uint32_t)DP_IDLE_SLEEP_MAX_US);
	return *sleep_us;
}

void
dp_worker_idle(struct dp_lcore *lc, uint64_t now_tsc)
{
	uint64_t idle;
	uint32_t act;

	if (lc->ctx->cfg->dp.idle == CFG_IDLE_BUSY) {
		rte_pause();
		return;
	}
	idle = now_tsc - lc->idle_since;
	if (lc->is_ctl) {
		/* Cluster and neighbour traffic only: one sleep of DP_IDLE_CTL_SLEEP_US
		 * per pass without work, not polls nor short sleeps. Each wake-up is a
		 * context switch, and in a stream of datagrams tens of microseconds
		 * apart short sleeps woke several times per datagram. Having handed
		 * on SIP in the last second (a control queue that also gets a share
		 * of the SIP traffic: software steering, RSS not kept off it), it
		 * takes the short sleeps at once instead. */
		if (now_tsc - lc->ctl_sip_tsc > rte_get_tsc_hz()) {   /* 0: never */
			DP_STAT_INC(&lc->stats, idle_sleeps);
			rte_delay_us_sleep(DP_IDLE_CTL_SLEEP_US);
			return;
		}
		idle += rte_get_tsc_hz() / 1000000 * DP_IDLE_PAUSE_US;
	}
	act = dp_idle_step(idle, rte_get_tsc_hz(), &lc->idle_sleep_us);
	if (act == DP_IDLE_POLL)
		return;
	if (act == DP_IDLE_PAUSE) {
		/* Alone on its CPU the worker is back at once; sharing it (a
		 * control plane, another node in a lab) it lets the other run
		 * instead of spinning through its time slice. */
		sched_yield();
		return;
	}
	DP_STAT_INC(&lc->stats, idle_sleeps);
	rte_delay_us_sleep(act);
}

static inline void
stall_note(struct dp_lcore *lc, enum dp_stage st, uint64_t *t0)
{
	uint64_t t1 = rte_rdtsc();

	if (t1 - *t0 > lc->stall.max[st])
		lc->stall.max[st] = t1 - *t0;
	*t0 = t1;
}

int
dp_worker_main(void *arg)
{
	struct dp_lcore *lc = arg;
	struct dp_ctx *ctx = lc->ctx;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	unsigned int nlc = ctx->n_workers + 1u;
	uint64_t tsc_per_ms = RTE_MAX(rte_get_tsc_hz() / 1000, (uint64_t)1);

	/* The kernel's default 50 us timer slack would stretch every short sleep. */
	if (ctx->cfg->dp.idle == CFG_IDLE_ADAPTIVE)
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	lc->idle_since = rte_rdtsc();
	while (!ctx->stop) {
		uint64_t now = rte_rdtsc(), t = now;
		unsigned int work = 0, j;
		uint16_t pi, n, k;

		if (unlikely(lc->stall.reset_req != lc->stall.reset_seen)) {
			lc->stall.reset_seen = lc->stall.reset_req;
			memset(lc->stall.max, 0, sizeof(lc->stall.max));
			lc->stall.rx_max_burst = 0;
		}
		lc->now_ms = (now - ctx->start_tsc) / tsc_per_ms;
		lc->wall_s = ctx->wall_base_s + lc->now_ms / 1000;
		dp_auth_quiescent(lc);
		dp_vip_refresh(lc);
		stall_note(lc, DP_STAGE_misc, &t);

		for (pi = 0; pi < ctx->n_ports; pi++) {
			const struct dp_port *p = &ctx->ports[pi];

			if (lc->is_ctl && p->ctl_queue == DP_CTL_NONE)
				continue;
			n = rte_eth_rx_burst(p->port_id, lc->queue, pkts, DP_MAX_BURST);
			if (n != 0) {
				uint64_t t1;

				dp_worker_rx_burst(lc, pi, pkts, n, now);
				work += n;
				t1 = rte_rdtsc();
				if (t1 - t > lc->stall.max[DP_STAGE_rx]) {
					lc->stall.max[DP_STAGE_rx] = t1 - t;
					lc->stall.rx_max_burst = n;
				}
				t = t1;
			}
		}
		t = rte_rdtsc();
		for (j = 0; j < nlc; j++) {
			if (lc->in[j] == NULL)
				continue;
			n = (uint16_t)rte_ring_sc_dequeue_burst(lc->in[j], (void **)pkts, DP_MAX_BURST, NULL);
			DP_STAT_ADD(&lc->stats, steer_in, n);
			/* a worker stages what other workers steered to it, as
			 * what it receives itself (dp_sip.h) */
			for (k = 0; k < n; k++) {
				if (dp_pkt_info_of(pkts[k])->neigh_only)
					dp_neigh_input(lc, pkts[k]);
				else if (lc->is_ctl)
					sip_dispatch(lc, pkts[k]);
				else
					dp_sip_stage_add(lc, pkts[k]);
			}
			dp_sip_stage_run(lc);
			work += n;
		}
		stall_note(lc, DP_STAGE_rings, &t);
		dp_egress_neigh_sweep(lc);
		dp_egress_flush(lc);
		stall_note(lc, DP_STAGE_flush, &t);
		if (lc->is_ctl) {
			work += cp_tx(lc);
			stall_note(lc, DP_STAGE_cp_tx, &t);
		} else {
			work += dp_sip_serve(lc);
			stall_note(lc, DP_STAGE_serve, &t);
			work += dp_reg_apply_poll(lc);
			stall_note(lc, DP_STAGE_apply, &t);
			work += dp_ping_poll(lc);
			stall_note(lc, DP_STAGE_ping, &t);
			dp_proxy_probe(lc);
			stall_note(lc, DP_STAGE_probe, &t);
			if (lc->reg != NULL)
				reg_shard_tick(lc->reg, lc->now_ms);
			stall_note(lc, DP_STAGE_tick, &t);
		}
		dp_pkt_frag_housekeep(lc, now);
		stall_note(lc, DP_STAGE_frag, &t);
		if (t - now > lc->stall.max[DP_STAGE_pass])
			lc->stall.max[DP_STAGE_pass] = t - now;
		if (work == 0) {
			dp_worker_idle(lc, t);
		} else {
			lc->idle_since = t;
			lc->idle_sleep_us = 0;
		}
	}
	dp_neigh_fini(lc);
	return 0;
}
