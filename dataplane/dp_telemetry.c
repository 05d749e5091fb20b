/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry commands /sipshard/status and /sipshard/stats. See dp_telemetry.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "config/cfg.h"
#include "dataplane/dp_port.h"
#include "dataplane/dp_telemetry.h"

static struct dp_ctx *tel_ctx;

/* ---- telemetry thread ---- */

static void
add_port(struct rte_tel_data *d, const struct dp_port *p)
{
	struct rte_eth_link link;
	char buf[INET6_ADDRSTRLEN + 8];

	rte_tel_data_add_dict_string(d, "device", p->device);
	rte_tel_data_add_dict_string(d, "name", p->name);
	rte_tel_data_add_dict_int(d, "port_id", p->port_id);
	snprintf(buf, sizeof(buf), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&p->mac));
	rte_tel_data_add_dict_string(d, "mac", buf);
	inet_ntop(AF_INET, &p->ipv4, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "ipv4", buf);
	if (p->has_ipv6) {
		inet_ntop(AF_INET6, p->ipv6, buf, sizeof(buf));
		rte_tel_data_add_dict_string(d, "ipv6", buf);
	}
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(p->port_id, &link);
	rte_tel_data_add_dict_string(d, "link", link.link_status ? "up" : "down");
	rte_tel_data_add_dict_u64(d, "speed_mbps", link.link_speed);
	rte_tel_data_add_dict_int(d, "mtu", p->mtu);
	rte_tel_data_add_dict_int(d, "queues", p->n_queues);
	rte_tel_data_add_dict_int(d, "ctl_queue", p->ctl_queue == DP_CTL_NONE ? -1 : p->ctl_queue);
	rte_tel_data_add_dict_string(d, "steering", dp_port_steering_name(p->steering));
}

static int
tel_status(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct dp_ctx *ctx = tel_ctx;
	char key[16];
	uint16_t i;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "node_id", ctx->cfg->node_id);
	rte_tel_data_add_dict_int(d, "pid", getpid());
	rte_tel_data_add_dict_u64(d, "uptime_s", (rte_rdtsc() - ctx->start_tsc) / rte_get_tsc_hz());
	rte_tel_data_add_dict_int(d, "workers", ctx->n_workers);
	rte_tel_data_add_dict_string(d, "idle", cfg_idle_name(ctx->cfg->dp.idle));
	rte_tel_data_add_dict_int(d, "sip_port", ctx->cfg->sip.port);
	rte_tel_data_add_dict_int(d, "cluster_port", ctx->cfg->cluster.enabled ? ctx->cfg->cluster.port : 0);
	rte_tel_data_add_dict_int(d, "n_ports", ctx->n_ports);
	for (i = 0; i < ctx->n_ports; i++) {
		struct rte_tel_data *pd = rte_tel_data_alloc();

		if (pd == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(pd);
		add_port(pd, &ctx->ports[i]);
		snprintf(key, sizeof(key), "port%u", i);
		rte_tel_data_add_dict_container(d, key, pd, 0);
	}
	return 0;
}

static int
tel_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct dp_ctx *ctx = tel_ctx;
	unsigned int nlc = ctx->n_workers + 1u, k;
	struct rte_tel_data *drops;
	struct dp_stats sum;

	if (params != NULL && *params != '\0') {
		char *end;
		unsigned long i = strtoul(params, &end, 10);

		if (*end != '\0' || i >= nlc)
			return -EINVAL;
		sum = ctx->lcores[i]->stats;
	} else {
		struct dp_stats *all = calloc(nlc, sizeof(*all));

		if (all == NULL)
			return -ENOMEM;
		for (k = 0; k < nlc; k++)
			all[k] = ctx->lcores[k]->stats;
		dp_stats_sum(&sum, all, nlc);
		free(all);
	}
	drops = rte_tel_data_alloc();
	if (drops == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	for (k = 0; k < DP_CNT_MAX; k++)
		rte_tel_data_add_dict_u64(d, dp_counter_name(k), sum.cnt[k]);
	rte_tel_data_add_dict_u64(d, "drops_total", dp_stats_drops(&sum));
	rte_tel_data_start_dict(drops);
	for (k = 0; k < DP_DROP_MAX; k++)
		rte_tel_data_add_dict_u64(drops, dp_drop_name(k), sum.drop[k]);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	return 0;
}

/* ---- main thread ---- */

int
dp_telemetry_init(struct dp_ctx *ctx)
{
	int rc;

	tel_ctx = ctx;
	rc = rte_telemetry_register_cmd("/sipshard/status", tel_status,
					"Node, workers, ports with link and cluster steering. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/stats", tel_stats,
						"Dataplane counters and drops by reason. Parameters: none (all lcores) or an lcore index");
	return rc;
}
