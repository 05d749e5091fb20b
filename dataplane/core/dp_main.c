/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshard-dp: the dataplane, a DPDK primary process.
 *
 *   sipshard-dp -c FILE [--check-config] [-- EAL-ARGS...]
 *
 * Loads the YAML config (no EAL in --check-config mode), builds the EAL arguments
 * (file prefix, the YAML list, one --vdev/--allow per port, --no-huge when no huge
 * pages are free, then the command line's), creates the packet pool, the lcore
 * contexts, the rings and the ports, and launches one worker per worker lcore.
 * The main lcore polls the control queue when a port has one, otherwise waits.
 * SIGINT/SIGTERM stop the lcores, free the ports and exit 0.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <systemd/sd-daemon.h>

#include "config/cfg.h"
#include "config/cfg_machine.h"
#include "dataplane/core/dp_auth.h"
#include "dataplane/registrar/reg_auth.h"
#include "dataplane/core/dp_eal.h"
#include "dataplane/core/dp_limit.h"
#include "dataplane/core/dp_egress.h"
#include "dataplane/core/dp_log.h"
#include "dataplane/core/dp_ping.h"
#include "dataplane/core/dp_mbuf.h"
#include "dataplane/core/dp_pkt.h"
#include "dataplane/core/dp_port.h"
#include "dataplane/core/dp_proxy.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_steer.h"
#include "dataplane/core/dp_telemetry.h"
#include "dataplane/core/dp_worker.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_pack.h"
#include "dataplane/registrar/reg_shard.h"

RTE_LOG_REGISTER(dp_logtype, sipshard.dp, INFO);
#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, dp_logtype, "sipshard-dp: " fmt "\n", ##__VA_ARGS__)

static_assert(DP_MEMPOOL_CACHE >= DP_MAX_BURST, "mempool cache smaller than a burst");
static_assert(DP_MEMPOOL_CACHE <= RTE_MEMPOOL_CACHE_MAX_SIZE, "mempool cache too large");
static_assert(DP_MAX_LCORES <= 255, "lcore index must fit the ring names");
static_assert(CFG_MAX_PORTS <= UINT8_MAX, "port index is a uint8_t");
static_assert(DP_MBUF_PRIV_SIZE <= 64, "packet info must stay small");

#define EAL_ARGV_MAX (CFG_MAX_EAL_ARGS + CFG_MAX_PORTS + 64)
#define NO_HUGE_MEM_MB "512"

static struct dp_ctx ctx;

static void
on_signal(int sig)
{
	(void)sig;
	ctx.stop = true;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sipshard-dp -c FILE [--check-config] [-- EAL-ARGS...]\n"
		   "  -c, --config FILE   node configuration (YAML, see docs/config.md)\n"
		   "      --check-config  validate FILE and exit (0 ok, 2 error); no EAL\n"
		   "  -h, --help          this text\n"
		   "  -- EAL-ARGS         appended to dataplane.eal\n"
		   "  SIGINT/SIGTERM stop it cleanly (exit 0)\n");
}

/* A finding of cfg_machine_check: one line on stderr. */
static void
print_diag(bool error, const char *line, void *arg)
{
	(void)error;
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* rte_eal_init with standard output sent to /dev/null: on a bad argument the EAL
 * prints its whole usage text there (printf), while its error message goes
 * through rte_log, which dp_log sends to stderr or syslog. */
static int
eal_init_quiet(int argc, char **argv)
{
	int saved, null_fd, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null_fd >= 0)
		dup2(null_fd, STDOUT_FILENO);
	rc = rte_eal_init(argc, argv);
	fflush(stdout);
	if (saved >= 0 && null_fd >= 0)
		dup2(saved, STDOUT_FILENO);
	if (saved >= 0)
		close(saved);
	if (null_fd >= 0)
		close(null_fd);
	return rc;
}

static bool
has_arg(char **argv, int argc, const char *arg)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], arg) == 0)
			return true;
	return false;
}

/* argv for rte_eal_init; strings live in store. Returns argc or -1. */
static int
eal_args(const struct cfg *c, int extra_argc, char **extra, char **argv,
	 char store[][CFG_PATH + 64])
{
	int argc = 0, i, ns = 0;

	argv[argc++] = "sipshard-dp";
	argv[argc++] = "--file-prefix";
	argv[argc++] = (char *)c->dp.file_prefix;
	for (i = 0; i < c->dp.n_eal; i++)
		argv[argc++] = (char *)c->dp.eal[i];
	for (i = 0; i < c->dp.n_ports; i++) {
		if (dp_port_eal_arg(c, i, store[ns], CFG_PATH + 64) != 0)
			return -1;
		argv[argc++] = store[ns++];
	}
	for (i = 0; i < extra_argc && argc < EAL_ARGV_MAX - 4; i++)
		argv[argc++] = extra[i];
	if (!has_arg(argv, argc, "--no-huge") && !has_arg(argv, argc, "--in-memory") &&
	    !dp_eal_hugepages_usable()) {
		DP_LOG(NOTICE, "no free huge pages (or hugetlbfs not mounted): running with --no-huge -m %s",
		       NO_HUGE_MEM_MB);
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = NO_HUGE_MEM_MB;
	}
	argv[argc] = NULL;
	return argc;
}

/*
 * The packet pool holds every mbuf that may be out at once, in the worst case,
 * with L = workers + 1 lcores (the control lcore has queues and a reassembly
 * table too) and P ports:
 *   RX descriptors       P x L x rx_desc          (each holds an mbuf)
 *   TX descriptors       P x L x tx_desc x 2      (a fragment we send is 2 mbufs)
 *   TX batch arrays      P x L x DP_MAX_BURST x 2
 *   steering rings       L x (L - 1) x (ring_size - 1)   (one SPSC ring per pair)
 *   control-plane rings  4 x (ring_size - 1)      (to/from the cp, each with a priority ring)
 *   reassembly           L x DP_FRAG_BUDGET(frag_max_flows)   (enforced: frag_over_budget)
 *   held for ARP         L x DP_NEIGH_HOLD_MAX                 (enforced: dp_neigh_hold)
 *   mempool caches       L x DP_MEMPOOL_CACHE x 3 / 2
 *   in hand              L x DP_MAX_BURST (a burst being handled) + 1024 (cp, probes)
 * dataplane.mbufs: 0 sizes the pool to that (as 2^k - 1, at least 8191); a smaller
 * explicit value is refused.
 */
static int
pool_create(struct dp_ctx *x)
{
	const struct cfg_dataplane *dc = &x->cfg->dp;
	unsigned int nlc = x->n_workers + 1u, ports = (unsigned int)dc->n_ports;
	unsigned int rx = ports * nlc * dc->rx_desc;
	unsigned int tx = ports * nlc * (dc->tx_desc + DP_MAX_BURST) * 2u;
	unsigned int rings = (nlc * (nlc - 1u) + 4u) * (dc->ring_size - 1u);
	unsigned int frag = nlc * DP_FRAG_BUDGET(dc->frag_max_flows);
	unsigned int held = nlc * DP_NEIGH_HOLD_MAX;
	unsigned int other = nlc * (DP_MEMPOOL_CACHE * 3 / 2 + DP_MAX_BURST) + 1024u;
	unsigned int need = rx + tx + rings + frag + held + other;

	uint32_t n = dc->mbufs;

	if (n == 0)   /* auto: all of the above, as a 2^k - 1 pool (best for rte_mempool) */
		n = RTE_MAX(rte_align32pow2(need + 1) - 1, 8191u);
	if (n < need) {
		DP_LOG(ERR, "%s: dataplane.mbufs: %u is too small; need at least %u = %u RX + %u TX descriptors and batches + %u in rings + %u for reassembly + %u held for ARP + %u in caches and in hand",
		       x->cfg->path, dc->mbufs, need, rx, tx, rings, frag, held, other);
		return -EINVAL;
	}
	x->pool = rte_pktmbuf_pool_create("ss_pkt", n, DP_MEMPOOL_CACHE, DP_MBUF_PRIV_SIZE,
					  (uint16_t)dc->mbuf_size, (int)rte_socket_id());
	if (x->pool == NULL) {
		DP_LOG(ERR, "cannot create the packet pool of %u mbufs of %u bytes: %s", n, dc->mbuf_size,
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	DP_LOG(INFO, "packet pool: %u mbufs of %u bytes (need %u: %u RX, %u TX, %u rings, %u reassembly, %u held for ARP, %u caches and in hand)",
	       n, dc->mbuf_size, need, rx, tx, rings, frag, held, other);
	return 0;
}

static int
lcores_create(struct dp_ctx *x)
{
	unsigned int lcore, w = 0, i;
	int rc;

	if (rte_lcore_count() < x->n_workers + 1u) {
		DP_LOG(ERR, "%s: dataplane.workers: %u worker(s) need %u lcores (one main + one per worker), the EAL has %u (see dataplane.eal -l)",
		       x->cfg->path, x->n_workers, x->n_workers + 1u, rte_lcore_count());
		return -EINVAL;
	}
	for (i = 0; i <= x->n_workers; i++) {
		struct dp_lcore *lc = rte_zmalloc("dp_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE);

		if (lc == NULL)
			return -ENOMEM;
		lc->ctx = x;
		lc->idx = (uint16_t)i;
		lc->queue = (uint16_t)i;
		lc->is_ctl = i == x->n_workers;
		lc->msg = &lc->msg_direct;
		x->lcores[i] = lc;
		dp_egress_init(lc);
		rc = dp_pkt_frag_init(lc, x->cfg->dp.frag_max_flows, x->cfg->dp.frag_timeout_ms,
				      (int)rte_socket_id());
		if (rc != 0) {
			DP_LOG(ERR, "cannot create the reassembly table (%u flows)", x->cfg->dp.frag_max_flows);
			return rc;
		}
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w == x->n_workers)
			break;
		x->lcores[w++]->lcore_id = lcore;
	}
	x->lcores[x->n_workers]->lcore_id = rte_get_main_lcore();
	return 0;
}

/* One registration shard per worker, each with its shard->cp event ring; one
 * digest seed for all (the receiving worker computes the owner). */
static int
shards_create(struct dp_ctx *x)
{
	static struct reg_conf base;
	unsigned int i;

	reg_conf_from_cfg(&base, x->cfg, NULL);
	x->reg_conf = &base;
	/* Replicated records from the control plane: one pool, one ring per shard. */
	x->rec_pool = rte_mempool_create(DP_REC_POOL, DP_REC_POOL_SIZE, sizeof(struct reg_rec),
					 DP_REC_POOL_CACHE, 0, NULL, NULL, NULL, NULL,
					 (int)rte_socket_id(), 0);
	if (x->rec_pool == NULL) {
		DP_LOG(ERR, "cannot create pool %s: %s", DP_REC_POOL, rte_strerror(rte_errno));
		return -rte_errno;
	}
	x->pack_pool = rte_mempool_create(DP_PACK_POOL, DP_PACK_POOL_SIZE,
					  sizeof(struct reg_pack_buf), DP_PACK_POOL_CACHE, 0, NULL,
					  NULL, NULL, NULL, (int)rte_socket_id(), 0);
	if (x->pack_pool == NULL) {
		DP_LOG(ERR, "cannot create pool %s: %s", DP_PACK_POOL, rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (i = 0; i < x->n_workers; i++) {
		struct dp_lcore *lc = x->lcores[i];
		struct reg_conf rc = base;
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), DP_RING_EVENTS, i);   /* both event pools */
		lc->reg_events = rte_ring_create(name, RTE_MAX(x->cfg->dp.ring_size,
							       2 * REG_DEFAULT_EVENTS),
						 (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (lc->reg_events == NULL) {
			DP_LOG(ERR, "cannot create ring %s: %s", name, rte_strerror(rte_errno));
			return -rte_errno;
		}
		snprintf(name, sizeof(name), DP_RING_APPLY, i);   /* about the whole record pool */
		lc->reg_apply = rte_ring_create(name, RTE_MAX(x->cfg->dp.ring_size, DP_REC_POOL_SIZE + 1),
						(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (lc->reg_apply == NULL) {
			DP_LOG(ERR, "cannot create ring %s: %s", name, rte_strerror(rte_errno));
			return -rte_errno;
		}
		snprintf(name, sizeof(name), DP_RING_APPLY_PACK, i);   /* about the whole pack pool */
		lc->reg_apply_pack = rte_ring_create(name, DP_PACK_POOL_SIZE + 1, (int)rte_socket_id(),
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (lc->reg_apply_pack == NULL) {
			DP_LOG(ERR, "cannot create ring %s: %s", name, rte_strerror(rte_errno));
			return -rte_errno;
		}
		rc.events = lc->reg_events;
		lc->reg = reg_shard_create(&rc, i, (int)rte_socket_id());
		if (lc->reg == NULL) {
			DP_LOG(ERR, "cannot create registration shard %u (registrar.max_aors %u, max_bindings %u): %s",
			       i, x->cfg->reg.max_aors, x->cfg->reg.max_bindings, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	for (i = 0; i < x->n_workers; i++)
		dp_ping_init(x->lcores[i]);
	DP_LOG(INFO, "%u registration shard(s), %zu bytes per binding", x->n_workers,
	       reg_shard_bytes_per_binding(x->lcores[0]->reg));
	if (x->cfg->cluster.enabled && x->cfg->cluster.mode == CFG_MODE_FEDERATION) {
		uint32_t entries;
		size_t bytes;

		reg_shard_dir_size(x->lcores[0]->reg, &entries, &bytes);
		DP_LOG(INFO, "federation: directory of %u entries per shard, %zu bytes (%.1f per AoR)",
		       entries, bytes, entries != 0 ? (double)bytes / entries : 0.0);
	}
	if (x->cfg->reg.ping)
		DP_LOG(INFO, "NAT pinging: every %u s, %s, %s", x->cfg->reg.ping_interval_s,
		       x->cfg->reg.ping_method == CFG_PING_OPTIONS ? "OPTIONS" : "CRLF",
		       x->cfg->reg.ping_mode == CFG_PING_OWNERSHIP ? "ownership" : "cooperation");
	return 0;
}

/* Backend sets (prober: worker 0) and the proxy configuration every worker reads. */
static int
proxy_create(struct dp_ctx *x)
{
	static struct proxy_conf pc;
	uint8_t key[REG_AUTH_SECRET_LEN];
	char err[256];
	unsigned int i;

	x->lb = lb_sets_create(x->cfg, err, sizeof(err));
	if (x->lb == NULL) {
		DP_LOG(ERR, "%s: %s", x->cfg->path, err);
		return -1;
	}
	if (proxy_conf_init(&pc, x->cfg, x->lb, err, sizeof(err)) != 0) {
		DP_LOG(ERR, "%s: %s", x->cfg->path, err);
		return -1;
	}
	/* the key of the MACs in our Via branches: the same on every node of the
	 * cluster (from the cluster key), else drawn at boot */
	if (reg_auth_secret(x->cfg->cluster.enabled ? x->cfg->cluster.key_file : NULL,
			    "sipshard via branch mac v1", key, err, sizeof(err)) != 0) {
		DP_LOG(WARNING, "proxy branch key: %s: a random one instead (responses are then "
		       "checked by this node only)", err);
		if (reg_auth_secret(NULL, "", key, err, sizeof(err)) != 0) {
			DP_LOG(ERR, "proxy branch key: %s", err);
			return -1;
		}
	}
	proxy_conf_set_mac_key(&pc, key);
	memset(key, 0, sizeof(key));
	x->proxy_conf = &pc;
	for (i = 0; i < x->n_workers; i++)
		dp_proxy_init(x->lcores[i]);
	DP_LOG(INFO, "proxy: %d backend set(s)", x->lb->n);
	return 0;
}

static void
shards_free(struct dp_ctx *x)
{
	unsigned int i;

	for (i = 0; i < x->n_workers; i++) {
		struct dp_lcore *lc = x->lcores[i];
		void *ev = NULL;

		if (lc == NULL)
			continue;
		if (lc->reg_events != NULL) {
			while (rte_ring_dequeue(lc->reg_events, &ev) == 0)
				reg_event_free(ev);
		}
		reg_shard_free(lc->reg);   /* after its events: they come from its pool */
		lc->reg = NULL;
		rte_ring_free(lc->reg_events);
		lc->reg_events = NULL;
		if (lc->reg_apply != NULL) {
			while (rte_ring_dequeue(lc->reg_apply, &ev) == 0)
				rte_mempool_put(x->rec_pool, ev);
		}
		rte_ring_free(lc->reg_apply);
		lc->reg_apply = NULL;
		if (lc->reg_apply_pack != NULL) {
			while (rte_ring_dequeue(lc->reg_apply_pack, &ev) == 0)
				rte_mempool_put(x->pack_pool, ev);
		}
		rte_ring_free(lc->reg_apply_pack);
		lc->reg_apply_pack = NULL;
	}
	rte_mempool_free(x->rec_pool);
	x->rec_pool = NULL;
	rte_mempool_free(x->pack_pool);
	x->pack_pool = NULL;
}

static void
lcores_free(struct dp_ctx *x)
{
	unsigned int i;

	for (i = 0; i <= x->n_workers; i++) {
		if (x->lcores[i] == NULL)
			continue;
		dp_pkt_frag_fini(x->lcores[i]);
		rte_free(x->lcores[i]);
		x->lcores[i] = NULL;
	}
}

/* The main lcore: control queue packet loop when a port has one, else just wait. */
static void
main_lcore_run(struct dp_ctx *x)
{
	uint16_t i;

	for (i = 0; i < x->n_ports; i++) {
		if (x->ports[i].ctl_queue != DP_CTL_NONE) {
			x->lcores[x->n_workers]->queue = x->ports[i].ctl_queue;
			dp_worker_main(x->lcores[x->n_workers]);
			return;
		}
	}
	while (!x->stop)
		rte_delay_us_sleep(100 * 1000);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cfg cfg;
	static char store[CFG_MAX_PORTS][CFG_PATH + 64];
	char *eal_argv[EAL_ARGV_MAX];
	char err[512];
	const char *path = NULL;
	bool check_only = false;
	int opt, eal_argc, rc, exit_code = 1;
	unsigned int i;

	while ((opt = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'k': check_only = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	rc = cfg_load(path, &cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	/* What this machine lacks: warnings under --check-config, errors (exit 2,
	 * before the EAL could print its usage) when starting. */
	if (cfg_machine_check(&cfg, argc - optind, argv + optind,
			      check_only ? 0 : CFG_MACHINE_START, print_diag, NULL) > 0)
		return 2;
	if (check_only) {
		printf("%s: ok\n", path);
		return 0;
	}

	if (dp_log_init(&cfg.log, "sipshard-dp") != 0)
		fprintf(stderr, "sipshard-dp: log: cannot install the log stream: %s\n", strerror(errno));
	eal_argc = eal_args(&cfg, argc - optind, argv + optind, eal_argv, store);
	if (eal_argc < 0) {
		fprintf(stderr, "%s: a dataplane.ports[].device string is too long\n", path);
		return 2;
	}
	rc = eal_init_quiet(eal_argc, eal_argv);
	if (rc < 0) {
		DP_LOG(ERR, "EAL initialisation failed: %s (a bad value in dataplane.eal, or another sipshard-dp, or its sipshard-cp, still running with file prefix '%s'?)",
		       rte_errno != 0 ? rte_strerror(rte_errno) : "see the EAL messages above", cfg.dp.file_prefix);
		return 1;
	}

	ctx.cfg = &cfg;
	ctx.n_workers = cfg.dp.workers;
	ctx.sip_port = rte_cpu_to_be_16(cfg.sip.port);
	ctx.cluster_port = cfg.cluster.enabled ? rte_cpu_to_be_16(cfg.cluster.port) : 0;
	ctx.cluster_port_idx = (uint16_t)cfg.cluster.port_index;
	ctx.start_tsc = rte_rdtsc();
	ctx.wall_base_s = (uint64_t)time(NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (lcores_create(&ctx) != 0 || pool_create(&ctx) != 0)
		goto free_lcores;
	if (shards_create(&ctx) != 0)
		goto free_shards;
	if (proxy_create(&ctx) != 0)
		goto free_shards;
	if (dp_auth_create(&ctx) != 0)
		goto free_shards;
	if (dp_limit_create(&ctx) != 0) {
		DP_LOG(ERR, "cannot allocate the per-source limit tables");
		goto free_shards;
	}
	if (dp_steer_init(&ctx) != 0) {
		DP_LOG(ERR, "cannot create the steering rings: %s", rte_strerror(rte_errno));
		goto free_rings;
	}
	if (dp_port_init_all(&ctx) != 0)
		goto close_ports;
	ctx.shared = dp_shared_create(&ctx);
	if (ctx.shared == NULL)
		DP_LOG(WARNING, "no shared memory zone for the control plane: %s", rte_strerror(rte_errno));
	if (dp_telemetry_init(&ctx) != 0)
		DP_LOG(WARNING, "telemetry commands not registered");
	if (rte_pdump_init() != 0)
		DP_LOG(NOTICE, "packet capture (dpdk-dumpcap) unavailable: %s", rte_strerror(rte_errno));

	for (i = 0; i < ctx.n_workers; i++)
		rte_eal_remote_launch(dp_worker_main, ctx.lcores[i], ctx.lcores[i]->lcore_id);
	dp_auth_start(&ctx);
	DP_LOG(NOTICE, "ready: node %u, %u worker(s), idle %s, %u port(s), file prefix %s",
	       cfg.node_id, ctx.n_workers, cfg_idle_name(cfg.dp.idle), ctx.n_ports, cfg.dp.file_prefix);
	/* Type=notify: systemd starts the cp (After=) only now, never while the EAL
	 * is still setting up the memory a secondary would map. No-op outside systemd. */
	sd_notify(0, "READY=1");
	if (!ctx.stop)
		main_lcore_run(&ctx);
	ctx.stop = true;
	rte_eal_mp_wait_lcore();
	DP_LOG(NOTICE, "stopping");
	sd_notify(0, "STOPPING=1");
	dp_shared_detach_cp(ctx.shared);
	exit_code = 0;
	rte_pdump_uninit();

close_ports:
	dp_port_fini_all(&ctx);
free_rings:
	dp_steer_fini(&ctx);
free_shards:
	dp_limit_free(&ctx);
	dp_auth_free(&ctx);
	shards_free(&ctx);
free_lcores:
	lcores_free(&ctx);
	lb_sets_free(ctx.lb);
	rte_mempool_free(ctx.pool);
	rte_eal_cleanup();
	return exit_code;
}
