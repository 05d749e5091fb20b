/* SPDX-License-Identifier: BSD-3-Clause */
/* Port setup: queues, MTU, addresses and cluster-port steering. See dp_port.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_log.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dataplane/core/dp_eal.h"
#include "dataplane/core/dp_port.h"

RTE_LOG_REGISTER(dp_port_logtype, sipshard.port, INFO);
#define PORT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, dp_port_logtype, "sipshard.port: " fmt "\n", ##__VA_ARGS__)

/* ---- main thread ---- */

static bool
is_pci_address(const char *dev)
{
	unsigned int a, b, c, d;
	char tail;

	return sscanf(dev, "%x:%x:%x.%x%c", &a, &b, &c, &d, &tail) == 4 ||
	       sscanf(dev, "%x:%x.%x%c", &b, &c, &d, &tail) == 3;
}

int
dp_port_eal_arg(const struct cfg *c, int i, char *out, size_t len)
{
	const struct cfg_dataplane *dc = &c->dp;
	const char *dev = dc->ports[i].device;
	char extra[96] = "";
	int n;

	if (is_pci_address(dev)) {
		n = snprintf(out, len, "--allow=%s", dev);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	if (strncmp(dev, "net_af_packet", 13) == 0) {
		size_t used = 0;

		/* One socket per queue; frames as large as an mbuf holds (the
		 * kernel reassembles fragments before af_packet sees them). */
		if (strstr(dev, "qpairs=") == NULL)
			used += (size_t)snprintf(extra + used, sizeof(extra) - used, ",qpairs=%u",
						 dc->workers + (c->cluster.enabled &&
								(uint32_t)i == c->cluster.port_index ? 1u : 0u));
		if (strstr(dev, "framesz=") == NULL) {
			uint32_t frame = rte_align32prevpow2(dc->mbuf_size - RTE_PKTMBUF_HEADROOM);

			frame = RTE_MAX(frame, 2048u);
			snprintf(extra + used, sizeof(extra) - used, ",framesz=%u,blocksz=%u",
				 frame, RTE_MAX(frame, 4096u));
		}
	}
	n = snprintf(out, len, "--vdev=%s%s", dev, extra);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void
ipv6_link_local(uint8_t out[16], const struct rte_ether_addr *mac)
{
	const uint8_t *m = mac->addr_bytes;

	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = m[0] ^ 0x02;
	out[9] = m[1];
	out[10] = m[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = m[3];
	out[14] = m[4];
	out[15] = m[5];
}

static int
port_configure(struct dp_ctx *ctx, struct dp_port *p, uint16_t nq)
{
	const struct cfg_dataplane *dc = &ctx->cfg->dp;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nb_rxd = dc->rx_desc, nb_txd = dc->tx_desc, q;
	int socket = rte_eth_dev_socket_id(p->port_id), rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		return rc;
	memset(&conf, 0, sizeof(conf));
	/* Fragments (dp_egress) are two segments: a header and the payload's share. */
	p->tx_multi_seg = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	if (p->tx_multi_seg)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &conf);
	if (rc != 0) {
		PORT_LOG(ERR, "%s: cannot configure %u queues: %s", p->name, nq, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		return rc;
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned int)socket, NULL, ctx->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned int)socket, NULL);
		if (rc != 0) {
			PORT_LOG(ERR, "%s: queue %u setup failed: %s", p->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	p->n_queues = nq;
	return 0;
}

/* Cluster UDP port -> control queue. Returns 0 when the PMD created the rule. */
static int
flow_steer(struct dp_ctx *ctx, struct dp_port *p)
{
	struct rte_flow_attr attr = { .ingress = 1 };
	struct rte_flow_item_ipv4 ip_spec = { .hdr.dst_addr = p->ipv4 };
	struct rte_flow_item_ipv4 ip_mask = { .hdr.dst_addr = RTE_BE32(0xffffffff) };
	struct rte_flow_item_udp udp_spec = { .hdr.dst_port = ctx->cluster_port };
	struct rte_flow_item_udp udp_mask = { .hdr.dst_port = RTE_BE16(0xffff) };
	struct rte_flow_item pattern[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip_spec, .mask = &ip_mask },
		{ .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &udp_spec, .mask = &udp_mask },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	struct rte_flow_action_queue queue = { .index = p->ctl_queue };
	struct rte_flow_action actions[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &queue },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	struct rte_flow_error err;

	memset(&err, 0, sizeof(err));
	if (rte_flow_create(p->port_id, &attr, pattern, actions, &err) == NULL) {
		PORT_LOG(INFO, "%s: PMD cannot steer by rte_flow (%s)", p->name,
			 err.message != NULL ? err.message : "no reason given");
		return -ENOTSUP;
	}
	return 0;
}

/* RSS redirection table over the worker queues only (best effort). */
static int
rss_exclude_ctl(const struct dp_port *p)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_info info;
	unsigned int i;

	if (rte_eth_dev_info_get(p->port_id, &info) != 0 || info.reta_size == 0 ||
	    info.reta_size > RTE_ETH_RSS_RETA_SIZE_512)
		return -ENOTSUP;
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < info.reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % p->ctl_queue);
	}
	return rte_eth_dev_rss_reta_update(p->port_id, reta, info.reta_size);
}

static int
port_init(struct dp_ctx *ctx, unsigned int idx, const struct cfg_port *cp)
{
	struct dp_port *p = &ctx->ports[idx];
	struct rte_eth_dev_info info;
	uint16_t want, workers = ctx->n_workers;
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	memset(p, 0, sizeof(*p));
	p->device = cp->device;
	dp_eal_device_name(cp->device, name, sizeof(name));
	rc = rte_eth_dev_get_port_by_name(name, &p->port_id);
	if (rc != 0) {
		PORT_LOG(ERR, "dataplane.ports[%u]: device '%s' not found (is it a valid vdev or PCI address?)",
			 idx, cp->device);
		return -ENODEV;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	ctx->port_idx[p->port_id] = (uint8_t)idx;
	p->ipv4 = rte_cpu_to_be_32(cp->ipv4);
	p->ipv4_mask = cp->ipv4_prefix == 0 ? 0 : rte_cpu_to_be_32(0xffffffffu << (32 - cp->ipv4_prefix));
	p->ipv4_bcast = p->ipv4 | ~p->ipv4_mask;
	p->has_ipv6 = cp->has_ipv6;
	memcpy(p->ipv6, cp->ipv6, 16);
	p->ipv6_prefix = cp->ipv6_prefix;
	p->mtu = cp->mtu;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		return rc;
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc != 0)
		return rc;
	ipv6_link_local(p->ipv6_ll, &p->mac);

	/* One queue pair per worker, plus the control queue on the port of the
	 * cluster bus (cluster.port_index) when there is a cluster. */
	want = (uint16_t)(workers + (ctx->cluster_port != 0 && idx == ctx->cluster_port_idx ? 1 : 0));
	if (info.max_rx_queues < want || info.max_tx_queues < want) {
		PORT_LOG(ERR, "%s: %u workers%s need %u queue pairs, the device has %u RX / %u TX",
			 p->name, workers, want > workers ? " and the control queue" : "",
			 want, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	p->ctl_queue = want > workers ? workers : DP_CTL_NONE;

	rc = port_configure(ctx, p, want);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_set_mtu(p->port_id, p->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		PORT_LOG(WARNING, "%s: cannot set MTU %u: %s", p->name, p->mtu, rte_strerror(-rc));
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		PORT_LOG(ERR, "%s: cannot start: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	rte_eth_allmulticast_enable(p->port_id);   /* IPv6 ND multicast; best effort */

	p->steering = DP_STEER_SOFTWARE;
	if (p->ctl_queue != DP_CTL_NONE) {
		if (flow_steer(ctx, p) == 0)
			p->steering = DP_STEER_FLOW;
		/* Keep RSS off the control queue where the PMD lets us: then only the
		 * flow rule (if any) feeds it. Its TX side always carries the cp's sends. */
		p->ctl_rss_excluded = rss_exclude_ctl(p) == 0;
	}
	PORT_LOG(NOTICE, "%s: port %u mac " RTE_ETHER_ADDR_PRT_FMT " queues %u, cluster steering: %s%s",
		 p->name, p->port_id, RTE_ETHER_ADDR_BYTES(&p->mac), p->n_queues,
		 dp_port_steering_name(p->steering),
		 ctx->cluster_port == 0 ? " (no cluster configured)" :
		 p->ctl_queue == DP_CTL_NONE ? " (not the cluster port: cluster packets dropped here)" :
		 p->steering == DP_STEER_FLOW ? " (rte_flow rule to the control queue)" :
		 p->ctl_rss_excluded ? " (workers hand cluster packets to the control-plane ring)" :
		 " (workers and the control lcore hand cluster packets to the control-plane ring; "
		 "the control queue also gets a share of other traffic, handed on to the workers)");
	return 0;
}

int
dp_port_init_all(struct dp_ctx *ctx)
{
	int i, rc;

	if (rte_eth_dev_count_avail() < (unsigned int)ctx->cfg->dp.n_ports) {
		PORT_LOG(ERR, "%d port(s) configured, %u found by the EAL",
			 ctx->cfg->dp.n_ports, rte_eth_dev_count_avail());
	}
	for (i = 0; i < ctx->cfg->dp.n_ports; i++) {
		rc = port_init(ctx, (unsigned int)i, &ctx->cfg->dp.ports[i]);
		if (rc != 0)
			return rc;
		ctx->n_ports++;
	}
	return 0;
}

void
dp_port_fini_all(struct dp_ctx *ctx)
{
	struct rte_flow_error err;
	uint16_t i;

	for (i = 0; i < ctx->n_ports; i++) {
		struct dp_port *p = &ctx->ports[i];

		if (p->steering == DP_STEER_FLOW)
			rte_flow_flush(p->port_id, &err);
		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
	}
	ctx->n_ports = 0;
}

const char *
dp_port_steering_name(enum dp_steering s)
{
	return s == DP_STEER_FLOW ? "rte_flow" : "software";
}
