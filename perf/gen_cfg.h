/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshard-gen configuration: a strict YAML file read with libyaml.
 *
 * gen_cfg_load() fills every field with its default, then walks the document
 * against a key table (gen_cfg.c). Unknown or duplicate keys, wrong types, values
 * out of range, anchors/aliases/tags and several documents are errors reported as
 * "FILE:LINE:COLUMN: message". The keys are documented in docs/benchmarks.md.
 * Pure C (no DPDK): addresses are kept in network byte order.
 */
#ifndef SIPSHARD_PERF_GEN_CFG_H
#define SIPSHARD_PERF_GEN_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_CFG_EAL_MAX     32
#define GEN_CFG_EAL_LEN     128
#define GEN_CFG_STR         256
#define GEN_CFG_DOMAIN      128

enum gen_workload { GEN_WL_REGISTER, GEN_WL_INVITE, GEN_WL_OPTIONS };
enum gen_mode { GEN_MODE_NEW, GEN_MODE_REFRESH, GEN_MODE_MIX };
enum gen_idle { GEN_IDLE_BUSY, GEN_IDLE_ADAPTIVE };

struct gen_cfg_port {
	char device[GEN_CFG_STR];       /* DPDK vdev string (or PCI address) */
	bool has_mac;                   /* else: the port's own MAC */
	uint8_t mac[6];
	uint32_t ipv4;                  /* network order */
	uint32_t sip_port;
	uint32_t rx_desc, tx_desc, mbufs;
};

struct gen_cfg_target {
	uint32_t ipv4;                  /* network order */
	uint32_t port;
	bool has_mac;                   /* else: ARP resolution at start */
	uint8_t mac[6];
	uint32_t arp_timeout_ms;
};

struct gen_cfg_workload {
	enum gen_workload type;
	uint32_t aors;                  /* distinct users u0..u(aors-1) */
	char domain[GEN_CFG_DOMAIN];
	enum gen_mode mode;             /* REGISTER only */
	uint32_t mix_new_pct;           /* mode mix: share of new registrations, % */
	uint32_t expires;
	bool prefill;                   /* refresh/mix: register every AoR first */
};

struct gen_cfg_run {
	uint64_t rate;                  /* requests/s; 0 = as fast as the window allows */
	uint32_t duration_s;
	uint32_t warmup_s;              /* fixed rate: sent first at the same rate, not measured */
	uint32_t timeout_ms;
	uint32_t max_in_flight;
	uint32_t burst;
	enum gen_idle idle;
	bool reflect;                   /* our own requests coming back count as replies */
	bool progress;                  /* one line per second on stderr */
};

struct gen_cfg_search {
	bool enabled;                   /* the `search` section is present */
	double max_loss;                /* a trial passes below this loss */
	uint32_t trial_s;
	double precision;               /* stop when (hi - lo) / hi is below */
	uint32_t max_trials;
	uint32_t window;                /* in flight during the closed-loop trial */
	uint64_t start_rate;            /* 0: from the closed-loop trial */
	uint32_t retries;               /* runs more before a failure counts */
};

struct gen_cfg {
	char path[GEN_CFG_STR];
	int n_eal;
	char eal[GEN_CFG_EAL_MAX][GEN_CFG_EAL_LEN];
	struct gen_cfg_port port;
	struct gen_cfg_target target;
	struct gen_cfg_workload wl;
	struct gen_cfg_run run;
	struct gen_cfg_search search;
};

/* Load PATH into *c (defaults first). 0, or -EINVAL/-errno with the message in err. */
int gen_cfg_load(const char *path, struct gen_cfg *c, char *err, size_t errlen);

const char *gen_workload_name(enum gen_workload w);
const char *gen_mode_name(enum gen_mode m);

#endif /* SIPSHARD_PERF_GEN_CFG_H */
