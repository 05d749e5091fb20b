/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus /metrics of sipshard-cp (libmicrohttpd, polled). See cp_metrics.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <rte_cycles.h>

#include "config/cfg.h"
#include "control/admin/cp_metrics.h"
#include "control/cp_clock.h"
#include "control/repl/cp_repl.h"
#include "control/repl/cp_repl_node.h"
#include "control/tags/cp_tags.h"
#include "control/topo/cp_topo.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/core/dp_stats.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_shard.h"
#include "dataplane/sip/sip_parse.h"
#include "proto/msg_codec.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- text format ---- */

__attribute__((format(printf, 2, 3)))
static void
prom_printf(struct cp_prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	for (;;) {
		size_t room = p->cap - p->len;

		va_start(ap, fmt);
		n = vsnprintf(p->buf != NULL ? p->buf + p->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->failed = true;
			return;
		}
		if ((size_t)n < room) {
			p->len += (size_t)n;
			return;
		}
		{
			size_t cap = p->cap ? p->cap * 2 : 16384;
			char *nb;

			while (cap < p->len + (size_t)n + 1)
				cap *= 2;
			if (cap > CP_METRICS_MAX_BODY || (nb = realloc(p->buf, cap)) == NULL) {
				p->failed = true;
				return;
			}
			p->buf = nb;
			p->cap = cap;
		}
	}
}

void
cp_prom_escape(char *out, size_t len, const char *v)
{
	size_t o = 0;

	for (; *v != '\0' && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
}

void
cp_prom_family(struct cp_prom *p, const char *name, const char *type, const char *help)
{
	char h[256];
	size_t o = 0;

	for (; *help != '\0' && o + 3 < sizeof(h); help++) {   /* HELP escapes \ and newline */
		if (*help == '\\' || *help == '\n') {
			h[o++] = '\\';
			h[o++] = *help == '\n' ? 'n' : '\\';
		} else {
			h[o++] = *help;
		}
	}
	h[o] = '\0';
	prom_printf(p, "# HELP %s %s\n# TYPE %s %s\n", name, h, name, type);
}

void
cp_prom_u64(struct cp_prom *p, const char *name, const char *labels, uint64_t v)
{
	if (labels != NULL && labels[0] != '\0')
		prom_printf(p, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
	else
		prom_printf(p, "%s %llu\n", name, (unsigned long long)v);
}

void
cp_prom_f64(struct cp_prom *p, const char *name, const char *labels, double v)
{
	if (labels != NULL && labels[0] != '\0')
		prom_printf(p, "%s{%s} %.6f\n", name, labels, v);
	else
		prom_printf(p, "%s %.6f\n", name, v);
}

/* A family of one sample: sipshard_PREFIX_NAME_total (counter) or, when GAUGE,
 * sipshard_PREFIX_NAME. */
static void
prom_one(struct cp_prom *p, const char *prefix, const char *name, bool gauge, const char *help,
	 uint64_t v)
{
	char full[128];

	snprintf(full, sizeof(full), "sipshard_%s%s%s", prefix, name, gauge ? "" : "_total");
	cp_prom_family(p, full, gauge ? "gauge" : "counter", help);
	cp_prom_u64(p, full, NULL, v);
}

/* ---- the families ---- */

static const char *
lower(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[i] = '\0';
	return out;
}

static const char *const prom_classes[DP_SIP_CLASSES] = { "", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx" };

void
cp_metrics_dataplane(struct cp_prom *p, const struct dp_shared *sh)
{
	unsigned int nlc = sh->n_workers + 1u, i, k;
	struct dp_stats sum;
	struct proxy_stats proxy;
	struct reg_stats reg;
	char lab[96], name[64];

	memset(&sum, 0, sizeof(sum));
	memset(&proxy, 0, sizeof(proxy));
	memset(&reg, 0, sizeof(reg));
	for (i = 0; i < nlc; i++) {   /* plain per-lcore words, read racily like telemetry */
		const struct dp_lcore *lc = sh->lcores[i];

		if (lc == NULL)
			continue;
		for (k = 0; k < DP_CNT_MAX; k++)
			sum.cnt[k] += lc->stats.cnt[k];
		for (k = 0; k < DP_DROP_MAX; k++)
			sum.drop[k] += lc->stats.drop[k];
		for (k = 0; k < SIP_METHOD__COUNT; k++)
			sum.sip.req[k] += lc->stats.sip.req[k];
		for (k = 0; k < DP_SIP_CLASSES; k++) {
			sum.sip.resp[k] += lc->stats.sip.resp[k];
			sum.sip.reply[k] += lc->stats.sip.reply[k];
		}
		for (k = 0; k < SIP_ERR__COUNT; k++)
			sum.sip.invalid[k] += lc->stats.sip.invalid[k];
		for (k = 0; k < PROXY_C__COUNT; k++)
			proxy.c[k] += lc->proxy.st.c[k];
		if (lc->reg != NULL) {
			const struct reg_stats *rs = reg_shard_stats(lc->reg);

			for (k = 0; k < REG_STAT_MAX; k++)
				reg.c[k] += rs->c[k];
		}
	}
	for (k = 0; k < DP_CNT_MAX; k++)
		prom_one(p, "", dp_counter_name(k), false, dp_counter_help(k), sum.cnt[k]);

	cp_prom_family(p, "sipshard_drops_total", "counter",
		       "packets dropped by the dataplane, by reason (telemetry drops.REASON)");
	for (k = 0; k < DP_DROP_MAX; k++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"", dp_drop_name(k));
		cp_prom_u64(p, "sipshard_drops_total", lab, sum.drop[k]);
	}
	cp_prom_family(p, "sipshard_sip_requests_total", "counter",
		       "valid SIP requests received, by method");
	for (k = 0; k < SIP_METHOD__COUNT; k++) {
		snprintf(lab, sizeof(lab), "method=\"%s\"",
			 k == SIP_METHOD_OTHER ? "other" : sip_method_name(k));
		cp_prom_u64(p, "sipshard_sip_requests_total", lab, sum.sip.req[k]);
	}
	cp_prom_family(p, "sipshard_sip_responses_received_total", "counter",
		       "valid SIP responses received, by status class");
	for (k = 1; k < DP_SIP_CLASSES; k++) {
		snprintf(lab, sizeof(lab), "class=\"%s\"", prom_classes[k]);
		cp_prom_u64(p, "sipshard_sip_responses_received_total", lab, sum.sip.resp[k]);
	}
	cp_prom_family(p, "sipshard_sip_replies_sent_total", "counter",
		       "SIP responses built and sent by this node, by status class");
	for (k = 1; k < DP_SIP_CLASSES; k++) {
		snprintf(lab, sizeof(lab), "class=\"%s\"", prom_classes[k]);
		cp_prom_u64(p, "sipshard_sip_replies_sent_total", lab, sum.sip.reply[k]);
	}
	cp_prom_family(p, "sipshard_sip_invalid_total", "counter",
		       "SIP messages rejected by the parser, by verdict");
	for (k = 0; k < SIP_ERR__COUNT; k++) {
		if (k == SIP_ERR_OK)
			continue;
		snprintf(lab, sizeof(lab), "reason=\"%s\"", lower(sip_err_name((int)k), name, sizeof(name)));
		cp_prom_u64(p, "sipshard_sip_invalid_total", lab, sum.sip.invalid[k]);
	}
	for (k = 0; k < PROXY_C__COUNT; k++)
		prom_one(p, "proxy_", proxy_counter_name(k), false, proxy_counter_help(k), proxy.c[k]);
	for (k = 0; k < REG_STAT_MAX; k++)
		prom_one(p, "registrar_", reg_stat_name(k),
			 strstr(reg_stat_help(k), "(a gauge)") != NULL, reg_stat_help(k), reg.c[k]);
	cp_prom_family(p, "sipshard_workers", "gauge", "worker lcores (registration shards)");
	cp_prom_u64(p, "sipshard_workers", NULL, sh->n_workers);
	if (sh->tsc_hz != 0) {
		uint64_t now = rte_rdtsc();

		cp_prom_family(p, "sipshard_uptime_seconds", "gauge", "seconds since the dataplane started");
		cp_prom_f64(p, "sipshard_uptime_seconds", NULL,
			    now > sh->start_tsc ? (double)(now - sh->start_tsc) / (double)sh->tsc_hz : 0.0);
	}
}

static const char *const topo_helps[CP_TOPO_COUNTER_MAX] = {
#define TOPO_HELP(name, help) help,
	CP_TOPO_FOREACH_COUNTER(TOPO_HELP)
#undef TOPO_HELP
};

static const char *const repl_node_helps[CP_REPL_NODE_COUNTER_MAX] = {
#define REPL_HELP(name, help) help,
	CP_REPL_NODE_FOREACH_COUNTER(REPL_HELP)
#undef REPL_HELP
};

/* One gauge per state of NODE: 1 for STATE, 0 for the others. */
static void
node_states(struct cp_prom *p, uint16_t id, uint32_t addr, unsigned int state)
{
	char lab[128], a[INET_ADDRSTRLEN];
	uint32_t be = htonl(addr);
	unsigned int s;

	inet_ntop(AF_INET, &be, a, sizeof(a));
	for (s = 0; s < CP_NODE_STATE_MAX; s++) {
		snprintf(lab, sizeof(lab), "node=\"%u\",address=\"%s\",state=\"%s\"", id, a,
			 cp_node_state_name(s));
		cp_prom_u64(p, "sipshard_node_state", lab, s == state);
	}
}

static void
node_caps(struct cp_prom *p, uint16_t id, const uint8_t *caps)
{
	char lab[128];
	unsigned int k, s;

	for (k = 0; k < MSG_CAP_MAX; k++)
		for (s = 0; s < MSG_CAP_STATE_MAX; s++) {
			snprintf(lab, sizeof(lab), "node=\"%u\",capability=\"%s\",state=\"%s\"", id,
				 msg_cap_name(k), msg_cap_state_name(s));
			cp_prom_u64(p, "sipshard_node_capability_state", lab, caps[k] == s);
		}
}

void
cp_metrics_topo(struct cp_prom *p, const struct cp_topo *t, bool cluster)
{
	unsigned int k;
	int i;

	cp_prom_family(p, "sipshard_node_state", "gauge",
		       "state of each node of the cluster as this node sees it (1 for its state; self is up)");
	node_states(p, t->conf.self_id, t->conf.self_addr, CP_NODE_UP);
	for (i = 0; i < t->n_peers; i++)
		node_states(p, t->peers[i].node.id, t->peers[i].node.addr, t->peers[i].state);
	cp_prom_family(p, "sipshard_node_capability_state", "gauge",
		       "sync state of each capability of each node (1 for its state)");
	node_caps(p, t->conf.self_id, t->caps);
	for (i = 0; i < t->n_peers; i++)
		node_caps(p, t->peers[i].node.id, t->peers[i].caps);
	if (!cluster)
		return;
	for (k = 0; k < CP_TOPO_COUNTER_MAX; k++)
		prom_one(p, "cluster_", cp_topo_counter_name(k), false, topo_helps[k], t->counters[k]);
	prom_one(p, "cluster_", "events", false, "node events recorded (sipshardctl events)", t->n_events);
}

void
cp_metrics_tags(struct cp_prom *p, const struct cp_tags *t)
{
	char lab[160], esc[96], tag[96];
	unsigned int s;
	int i;

	cp_prom_family(p, "sipshard_tag_active", "gauge", "1 when the sharing tag is active on this node");
	for (i = 0; i < t->n; i++) {
		snprintf(tag, sizeof(tag), "%s/%u", t->tag[i].name, t->tag[i].cluster);
		cp_prom_escape(esc, sizeof(esc), tag);
		snprintf(lab, sizeof(lab), "tag=\"%s\"", esc);
		cp_prom_u64(p, "sipshard_tag_active", lab, cp_tags_active(t, i));
	}
	cp_prom_family(p, "sipshard_tag_owner_node", "gauge", "node id holding the sharing tag (0: nobody)");
	for (i = 0; i < t->n; i++) {
		snprintf(tag, sizeof(tag), "%s/%u", t->tag[i].name, t->tag[i].cluster);
		cp_prom_escape(esc, sizeof(esc), tag);
		snprintf(lab, sizeof(lab), "tag=\"%s\"", esc);
		cp_prom_u64(p, "sipshard_tag_owner_node", lab, t->tag[i].cur.owner);
	}
	cp_prom_family(p, "sipshard_tag_term", "gauge", "term of the claim that holds the sharing tag");
	for (i = 0; i < t->n; i++) {
		snprintf(tag, sizeof(tag), "%s/%u", t->tag[i].name, t->tag[i].cluster);
		cp_prom_escape(esc, sizeof(esc), tag);
		snprintf(lab, sizeof(lab), "tag=\"%s\"", esc);
		cp_prom_u64(p, "sipshard_tag_term", lab, t->tag[i].cur.term);
	}
	cp_prom_family(p, "sipshard_tags_sync_state", "gauge",
		       "this node's sync state of the cluster's tag table (1 for its state)");
	for (s = 0; s < MSG_CAP_STATE_MAX; s++) {
		snprintf(lab, sizeof(lab), "state=\"%s\"", msg_cap_state_name(s));
		cp_prom_u64(p, "sipshard_tags_sync_state", lab, t->state == s);
	}
}

void
cp_metrics_repl(struct cp_prom *p, const struct cp_repl_node *r)
{
	uint64_t streams[CP_REPL_COUNTER_MAX];
	char lab[64];
	unsigned int k;

	for (k = 0; k < CP_REPL_NODE_COUNTER_MAX; k++)
		prom_one(p, "replication_", cp_repl_node_counter_name(k), false, repl_node_helps[k],
			 r->counters[k]);
	cp_repl_node_stream_totals((struct cp_repl_node *)r, streams);
	for (k = 0; k < CP_REPL_COUNTER_MAX; k++) {
		char name[96];

		snprintf(name, sizeof(name), "stream_%s", cp_repl_counter_name(k));
		prom_one(p, "replication_", name, false, cp_repl_counter_help(k), streams[k]);
	}
	prom_one(p, "replication_", "peers", true, "peers with a replication stream", (uint64_t)r->n_peers);
	prom_one(p, "replication_", "sync_bytes", false, "bytes of full syncs given and received",
		 cp_repl_node_sync_bytes((struct cp_repl_node *)r));
	cp_prom_family(p, "sipshard_registrations_sync_state", "gauge",
		       "this node's registrations sync from its peers (1 for its state)");
	for (k = 0; k < MSG_CAP_STATE_MAX; k++) {
		snprintf(lab, sizeof(lab), "state=\"%s\"", msg_cap_state_name(k));
		cp_prom_u64(p, "sipshard_registrations_sync_state", lab, r->rxs.state == k);
	}
}

/* ---- HTTP ---- */

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								  MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct cp_metrics *m = cls;
	struct cp_prom p = { 0 };
	struct MHD_Response *r;
	enum MHD_Result ret;
	uint64_t t0;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size != 0) {   /* a body we do not want: swallow it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		m->errors++;
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	}
	if (strcmp(url, "/metrics") != 0) {
		m->errors++;
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	}
	t0 = cp_mono_us();
	m->render(m->arg, &p);
	if (p.failed || p.buf == NULL) {
		free(p.buf);
		m->errors++;
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics could not be rendered\n");
	}
	if (cp_mono_us() - t0 > m->render_us_max)
		m->render_us_max = cp_mono_us() - t0;
	if (p.len > m->bytes_max)
		m->bytes_max = p.len;
	r = MHD_create_response_from_buffer(p.len, p.buf, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(p.buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROM_CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	m->scrapes++;
	return ret;
}

/* ---- public functions ---- */

int
cp_metrics_listen(struct cp_metrics *m, const char *listen, cp_metrics_render_fn *fn, void *arg,
		  char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	uint8_t addr[16];
	uint16_t port;
	int family;
	const char *why = cfg_listen_parse(listen, &family, addr, &port);
	unsigned int flags = MHD_USE_ERROR_LOG;   /* external select: no thread of its own */

	memset(m, 0, sizeof(*m));
	if (why != NULL) {
		snprintf(err, errlen, "'%s' %s", listen, why);
		return -EINVAL;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
		flags |= MHD_USE_IPv6;
	}
	m->render = fn;
	m->arg = arg;
	m->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, m,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CP_METRICS_MAX_CONN,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CP_METRICS_TIMEOUT_S,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
				     MHD_OPTION_END);
	if (m->daemon == NULL) {
		int e = errno != 0 ? errno : EADDRINUSE;

		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(e));
		return -e;
	}
	return 0;
}

void
cp_metrics_poll(struct cp_metrics *m)
{
	if (m->daemon != NULL)
		MHD_run(m->daemon);
}

void
cp_metrics_close(struct cp_metrics *m)
{
	if (m->daemon != NULL)
		MHD_stop_daemon(m->daemon);
	m->daemon = NULL;
}
