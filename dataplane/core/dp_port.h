/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: from a `dataplane.ports[]` entry to a started ethdev.
 *
 * Each port gets one RX and one TX queue per worker, plus a control queue pair
 * (index n_workers) when a cluster is configured, polled by the control lcore:
 * its TX side carries what the control plane sends. The cluster UDP port is
 * steered to the control queue by an rte_flow rule when the PMD can create one
 * (DP_STEER_FLOW); otherwise (DP_STEER_SOFTWARE) whoever receives a cluster
 * packet hands it to the control-plane ring, and where the PMD lets us the RSS
 * table keeps other traffic off the control queue (else the control lcore hands
 * its share of SIP on to the workers). Which one is active is logged and shown by
 * telemetry. Runs on the main thread before the lcores start and after they stop.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_PORT_H
#define SIPSHARD_DATAPLANE_CORE_DP_PORT_H

#include <stddef.h>

#include "dataplane/core/dp_types.h"

/* EAL argument for dataplane.ports[i]: writes "--vdev=DEVARGS" or "--allow=PCI"
 * into out. net_af_packet gets qpairs (workers, + 1 with a cluster) and a frame
 * size that fills an mbuf unless the device string sets them. Returns 0 or
 * -ENAMETOOLONG. */
int dp_port_eal_arg(const struct cfg *c, int i, char *out, size_t len);

/* Resolves, configures and starts every configured port; fills ctx->ports. */
int dp_port_init_all(struct dp_ctx *ctx);

/* Removes flow rules, stops and closes every port. */
void dp_port_fini_all(struct dp_ctx *ctx);

const char *dp_port_steering_name(enum dp_steering s);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_PORT_H */
