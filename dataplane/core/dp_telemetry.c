/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry commands /sipshard/status and /sipshard/stats. See dp_telemetry.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "config/cfg.h"
#include "dataplane/core/dp_port.h"
#include "dataplane/core/dp_ping.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_telemetry.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"

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
	rte_tel_data_add_dict_int(d, "ctl_rss_excluded", p->ctl_rss_excluded);
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

/* name -> u64 dict container under key in d; names[i] NULL or "" are skipped. */
static int
add_table(struct rte_tel_data *d, const char *key, const uint64_t *v, unsigned int n,
	  const char *(*name)(unsigned int))
{
	struct rte_tel_data *t = rte_tel_data_alloc();
	unsigned int i;

	if (t == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(t);
	for (i = 0; i < n; i++) {
		const char *nm = name(i);

		if (nm != NULL && nm[0] != '\0')
			rte_tel_data_add_dict_u64(t, nm, v[i]);
	}
	return rte_tel_data_add_dict_container(d, key, t, 0);
}

static const char *
method_key(unsigned int i)
{
	return i == SIP_METHOD_OTHER ? "other" : sip_method_name(i);
}

static const char *
class_key(unsigned int i)
{
	static const char *const k[DP_SIP_CLASSES] = { "", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx" };

	return k[i];
}

static char err_names[SIP_ERR__COUNT][32];
static pthread_once_t err_names_once = PTHREAD_ONCE_INIT;

static void
err_names_init(void)
{
	unsigned int i;
	size_t k;

	for (i = 0; i < SIP_ERR__COUNT; i++) {
		const char *s = sip_err_name((int)i);

		for (k = 0; s[k] != '\0' && k < sizeof(err_names[i]) - 1; k++)
			err_names[i][k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] - 'A' + 'a' : s[k]);
	}
}

/* Parser verdicts in lower case ("short_body"), as the drop reasons. */
static const char *
err_key(unsigned int i)
{
	pthread_once(&err_names_once, err_names_init);
	return i == SIP_ERR_OK ? NULL : err_names[i];
}

static int
add_sip(struct rte_tel_data *d, const struct dp_sip_stats *s)
{
	int rc = add_table(d, "sip_requests", s->req, SIP_METHOD__COUNT, method_key);

	if (rc == 0)
		rc = add_table(d, "sip_responses", s->resp, DP_SIP_CLASSES, class_key);
	if (rc == 0)
		rc = add_table(d, "sip_replies", s->reply, DP_SIP_CLASSES, class_key);
	if (rc == 0)
		rc = add_table(d, "sip_invalid", s->invalid, SIP_ERR__COUNT, err_key);
	return rc;
}

/* "proxy": the proxy counters of lcore `one` (all lcores when one >= nlc). The
 * counters are plain per-lcore words: read without a lock, like dp_stats. */
static int
add_proxy(struct rte_tel_data *d, const struct dp_ctx *ctx, unsigned long one, unsigned int nlc)
{
	struct rte_tel_data *p = rte_tel_data_alloc();
	unsigned int k, i;

	if (p == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(p);
	for (k = 0; k < PROXY_C__COUNT; k++) {
		uint64_t v = 0;

		for (i = 0; i < nlc; i++)
			if (one >= nlc || i == one)
				v += ctx->lcores[i]->proxy.st.c[k];
		rte_tel_data_add_dict_u64(p, proxy_counter_name(k), v);
	}
	return rte_tel_data_add_dict_container(d, "proxy", p, 0);
}

static const char *
reg_key(unsigned int i)
{
	return reg_stat_name((enum reg_stat)i);
}

/* "registrar": the counters of the shard of lcore `one` (all shards when one >=
 * nlc), plain per-shard words written by their worker, read without a lock.
 * Their sum is left in *sum. */
static int
add_registrar(struct rte_tel_data *d, const struct dp_ctx *ctx, unsigned long one,
	      unsigned int nlc, struct reg_stats *sum)
{
	unsigned int k, i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < nlc; i++) {
		const struct reg_stats *st;

		if ((one < nlc && i != one) || ctx->lcores[i]->reg == NULL)
			continue;
		st = reg_shard_stats(ctx->lcores[i]->reg);
		for (k = 0; k < REG_STAT_MAX; k++)
			sum->c[k] += st->c[k];
	}
	return add_table(d, "registrar", sum->c, REG_STAT_MAX, reg_key);
}

/* "replication": the control plane's counters as it last published them
 * (dp_shared, every DP_REPL_PUB_MS), the node's and, under "streams", the
 * per-peer streams' summed; then what the shards count of it (registrar
 * applied, stale and tombstones held, summed over the shards in *reg), as in
 * `sipshardctl stats`. Absent without a control plane doing replication. */
static int
add_replication(struct rte_tel_data *d, const struct dp_ctx *ctx, const struct reg_stats *reg)
{
	struct dp_counter_view v[DP_MAX_REPL_COUNTERS];
	struct rte_tel_data *r, *st;
	unsigned int n, i;
	int rc;

	n = ctx->shared != NULL ? dp_shared_repl_counters(ctx->shared, v, DP_MAX_REPL_COUNTERS) : 0;
	if (n == 0)
		return 0;
	r = rte_tel_data_alloc();
	st = rte_tel_data_alloc();
	if (r == NULL || st == NULL) {
		rte_tel_data_free(r);
		rte_tel_data_free(st);
		return -ENOMEM;
	}
	rte_tel_data_start_dict(r);
	rte_tel_data_start_dict(st);
	for (i = 0; i < n; i++) {
		v[i].name[sizeof(v[i].name) - 1] = '\0';
		rte_tel_data_add_dict_u64(v[i].group == DP_CG_REPL_STREAMS ? st : r, v[i].name,
					  v[i].value);
	}
	rte_tel_data_add_dict_u64(r, "applied", reg->c[REG_STAT_applied]);
	rte_tel_data_add_dict_u64(r, "stale", reg->c[REG_STAT_stale]);
	rte_tel_data_add_dict_u64(r, "tombstones", reg->c[REG_STAT_tombstones]);
	rc = rte_tel_data_add_dict_container(r, "streams", st, 0);
	if (rc != 0) {
		rte_tel_data_free(st);
		rte_tel_data_free(r);
		return rc;
	}
	return rte_tel_data_add_dict_container(d, "replication", r, 0);
}

static int
tel_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct dp_ctx *ctx = tel_ctx;
	unsigned int nlc = ctx->n_workers + 1u, k;
	struct rte_tel_data *drops;
	struct reg_stats reg;
	struct dp_stats sum;
	unsigned long one = nlc;
	int rc;

	if (params != NULL && *params != '\0') {
		char *end;
		unsigned long i = strtoul(params, &end, 10);

		if (*end != '\0' || i >= nlc)
			return -EINVAL;
		one = i;
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
	rc = add_sip(d, &sum.sip);
	if (rc == 0 && ctx->proxy_conf != NULL)
		rc = add_proxy(d, ctx, one, nlc);
	if (rc == 0)
		rc = add_registrar(d, ctx, one, nlc, &reg);
	if (rc == 0 && one >= nlc)
		rc = add_replication(d, ctx, &reg);
	return rc;
}

/* Longest run of each worker loop stage per lcore, in ns (struct dp_stall).
 * Parameter "reset": read, then ask every lcore to start again from zero. */
static const char *const stage_names[] = {
#define DP_STAGE_NAME(name, help) #name "_ns",
	DP_FOREACH_STAGE(DP_STAGE_NAME)
#undef DP_STAGE_NAME
};

static int
tel_stalls(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct dp_ctx *ctx = tel_ctx;
	unsigned int nlc = ctx->n_workers + 1u, k, st;
	uint64_t hz = rte_get_tsc_hz();
	bool reset = false;

	if (params != NULL && *params != '\0') {
		if (strcmp(params, "reset") != 0)
			return -EINVAL;
		reset = true;
	}
	rte_tel_data_start_dict(d);
	for (k = 0; k < nlc; k++) {
		struct dp_lcore *lc = ctx->lcores[k];
		struct rte_tel_data *o = rte_tel_data_alloc();
		char key[16];

		if (o == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(o);
		for (st = 0; st < DP_STAGE_MAX; st++)
			rte_tel_data_add_dict_u64(o, stage_names[st],
						  lc->stall.max[st] * 1000000000u / hz);
		rte_tel_data_add_dict_u64(o, "rx_max_burst", lc->stall.rx_max_burst);
		rte_tel_data_add_dict_u64(o, "idle_sleeps", lc->stats.cnt[DP_CNT_idle_sleeps]);
		snprintf(key, sizeof(key), "%s%u", lc->is_ctl ? "ctl" : "worker", lc->is_ctl ? 0u : k);
		rte_tel_data_add_dict_container(d, key, o, 0);
		if (reset)
			lc->stall.reset_req++;
	}
	return 0;
}

/* The cluster as the control plane sees it (mirror of `sipshardctl nodes`). */
static int
tel_nodes(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	static const char *const caps[3] = { "registrations", "backends", "tags" };
	struct dp_node_view v[DP_MAX_NODES];
	unsigned int n = tel_ctx->shared != NULL ? dp_shared_nodes(tel_ctx->shared, v, DP_MAX_NODES) : 0;
	unsigned int i, k;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "n_nodes", (int)n);
	rte_tel_data_add_dict_string(d, "control_plane", n == 0 ? "absent" : "attached");
	for (i = 0; i < n; i++) {
		struct rte_tel_data *nd = rte_tel_data_alloc();
		char key[16], addr[INET_ADDRSTRLEN];
		uint32_t be = htonl(v[i].address);

		if (nd == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(nd);
		rte_tel_data_add_dict_int(nd, "id", v[i].id);
		inet_ntop(AF_INET, &be, addr, sizeof(addr));
		rte_tel_data_add_dict_string(nd, "address", addr);
		rte_tel_data_add_dict_string(nd, "state", v[i].state);
		rte_tel_data_add_dict_int(nd, "self", v[i].self);
		for (k = 0; k < 3; k++)
			rte_tel_data_add_dict_string(nd, caps[k], v[i].caps[k]);
		snprintf(key, sizeof(key), "node%u", v[i].id);
		rte_tel_data_add_dict_container(d, key, nd, 0);
	}
	return 0;
}

/* The sharing tags as the control plane sees them (mirror of `sipshardctl tags`):
 * {"n_tags":N,"service/1":{"name":"service","cluster":1,"state":"active","owner":1,
 * "term":3}, ...}. */
static int
tel_tags(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct dp_tag_view v[DP_MAX_TAGS];
	unsigned int n = tel_ctx->shared != NULL ? dp_shared_tags(tel_ctx->shared, v, DP_MAX_TAGS) : 0;
	unsigned int i;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "n_tags", (int)n);
	for (i = 0; i < n; i++) {
		struct rte_tel_data *td = rte_tel_data_alloc();
		char key[96];

		if (td == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(td);
		rte_tel_data_add_dict_string(td, "name", v[i].name);
		rte_tel_data_add_dict_u64(td, "cluster", v[i].cluster);
		rte_tel_data_add_dict_string(td, "state", v[i].active ? "active" : "backup");
		rte_tel_data_add_dict_int(td, "owner", v[i].owner);
		rte_tel_data_add_dict_u64(td, "term", v[i].term);
		snprintf(key, sizeof(key), "%.63s/%u", v[i].name, v[i].cluster);
		rte_tel_data_add_dict_container(d, key, td, 0);
	}
	return 0;
}

/* {"mode":"cooperation","interval_s":30,"share":{"1":N,...},"sent":N,"answered":N,
 * "failed":N,...}, as `sipshardctl pinging`; {"mode":"off"} without nat_ping. */
static int
tel_pinging(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct dp_ping_summary ps;
	struct rte_tel_data *share;
	unsigned int i;

	dp_ping_summary(tel_ctx->cfg, tel_ctx->lcores, tel_ctx->n_workers, &ps);
	rte_tel_data_start_dict(d);
	if (!ps.on) {
		rte_tel_data_add_dict_string(d, "mode", "off");
		return 0;
	}
	rte_tel_data_add_dict_string(d, "mode", dp_ping_mode_name(ps.mode));
	rte_tel_data_add_dict_u64(d, "interval_s", ps.interval_s);
	share = rte_tel_data_alloc();
	if (share == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(share);
	for (i = 0; i < ps.n; i++) {
		char id[8];

		snprintf(id, sizeof(id), "%u", ps.id[i]);
		rte_tel_data_add_dict_u64(share, id, ps.count[i]);
	}
	rte_tel_data_add_dict_container(d, "share", share, 0);
	rte_tel_data_add_dict_u64(d, "sent", ps.sent);
	rte_tel_data_add_dict_u64(d, "answered", ps.answered);
	rte_tel_data_add_dict_u64(d, "failed", ps.failed);
	rte_tel_data_add_dict_u64(d, "removed", ps.removed);
	rte_tel_data_add_dict_u64(d, "others", ps.others);
	rte_tel_data_add_dict_u64(d, "retried", ps.retried);
	rte_tel_data_add_dict_u64(d, "retry_lost", ps.retry_lost);
	return 0;
}

/* {"n_members":N,"m0":{"set":1,"uri":"sip:...","weight":2,"state":"up","misses":0,
 * "probes":N,"replies":N,"downs":N,"probed_here":0|1}, ...}: read from the backend sets with the
 * atomic loads lb_member_next() uses; the probe counters are the prober's plain
 * words, read without a lock like dp_stats. */
static int
tel_backends(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct lb_iter it = { 0, 0 };
	struct lb_member_info mi;
	int n = 0;

	rte_tel_data_start_dict(d);
	while (tel_ctx->lb != NULL && lb_member_next(tel_ctx->lb, &it, &mi) == 1) {
		struct rte_tel_data *md = rte_tel_data_alloc();
		const struct lb_health *h;
		char key[16];

		if (md == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(md);
		rte_tel_data_add_dict_int(md, "set", (int)mi.set);
		rte_tel_data_add_dict_string(md, "uri", mi.uri);
		rte_tel_data_add_dict_int(md, "weight", (int)mi.weight);
		rte_tel_data_add_dict_string(md, "state", lb_state_name(mi.state));
		rte_tel_data_add_dict_int(md, "misses", mi.misses);
		h = &tel_ctx->lb->set[it.set].h[mi.member];
		rte_tel_data_add_dict_u64(md, "probes", h->probes);
		rte_tel_data_add_dict_u64(md, "replies", h->replies);
		rte_tel_data_add_dict_u64(md, "downs", h->downs);
		rte_tel_data_add_dict_int(md, "probed_here",
					  !__atomic_load_n(&tel_ctx->lb->set[it.set].remote, __ATOMIC_RELAXED));
		snprintf(key, sizeof(key), "m%d", n++);
		rte_tel_data_add_dict_container(d, key, md, 0);
	}
	rte_tel_data_add_dict_int(d, "n_members", n);
	return 0;
}

/* Registrations: {"aors":N,"contacts":M} summed over the shards (each answers
 * for itself through its query slot: the shard tables have one reader, their worker). */
static int
tel_contacts(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	uint64_t aors = 0, contacts = 0;
	struct dp_contact_counts cnt;
	char out[sizeof(cnt) + 1];
	unsigned int s;

	if (tel_ctx->shared == NULL)
		return -ENOTSUP;
	for (s = 0; s < tel_ctx->n_workers; s++) {
		if (dp_shared_query(tel_ctx->shared, s, DP_QUERY_CONTACTS_COUNT, "", out, sizeof(out), 1000) !=
		    (int)sizeof(cnt))
			return -EIO;
		memcpy(&cnt, out, sizeof(cnt));
		aors += cnt.aors;
		contacts += cnt.contacts;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "aors", aors);
	rte_tel_data_add_dict_u64(d, "contacts", contacts);
	return 0;
}

/* /sipshard/contact,AOR: the bindings of one AoR, asked of its owning shard. */
static int
tel_contact(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	static char out[DP_QUERY_OUT];
	const struct dp_contact_rec *r = (const struct dp_contact_rec *)(void *)out;
	unsigned int s, i, n = 0;
	int rc = -ENOENT;

	if (tel_ctx->shared == NULL || params == NULL || *params == '\0')
		return -EINVAL;
	for (s = 0; s < tel_ctx->n_workers && rc == -ENOENT; s++)
		rc = dp_shared_query(tel_ctx->shared, s, DP_QUERY_CONTACT_LIST, params, out, sizeof(out), 1000);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc > 0)
		n = (unsigned int)rc / sizeof(*r);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "aor", params);
	rte_tel_data_add_dict_int(d, "n_contacts", (int)n);
	for (i = 0; i < n; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		char key[24], addr[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "uri", r[i].uri);
		rte_tel_data_add_dict_u64(c, "expires_in", r[i].expires_in);
		inet_ntop(r[i].family == 4 ? AF_INET : AF_INET6, r[i].addr, ip, sizeof(ip));
		snprintf(addr, sizeof(addr), r[i].family == 4 ? "%s:%u" : "[%s]:%u", ip, r[i].port);
		rte_tel_data_add_dict_string(c, "received", addr);
		snprintf(key, sizeof(key), "%u.%03u", r[i].q / 1000, r[i].q % 1000);
		rte_tel_data_add_dict_string(c, "q", key);
		rte_tel_data_add_dict_int(c, "origin", r[i].origin);
		snprintf(key, sizeof(key), "contact%u", i);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
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
		rc = rte_telemetry_register_cmd("/sipshard/contacts", tel_contacts,
						"Registered AoRs and contacts of this node. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/contact", tel_contact,
						"The bindings of one AoR. Parameter: AOR (user@domain)");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/backends", tel_backends,
						 "Backend members: set, uri, weight, state (up/down), misses");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/nodes", tel_nodes,
						"Cluster nodes as the control plane sees them. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/tags", tel_tags,
						"Sharing tags as the control plane sees them: state, owner, term. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/pinging", tel_pinging,
						"NAT keepalive pinging: mode, interval, share per node, sent, answered, failed. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/stalls", tel_stalls,
						"Longest run of each worker loop stage per lcore (ns) since the last reset. Parameter: none or reset");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipshard/stats", tel_stats,
						"Dataplane, SIP, proxy, registrar and replication counters, drops by reason. Parameters: none (all lcores) or an lcore index");
	return rc;
}
