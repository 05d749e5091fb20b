/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint of sipshard-cp: `GET /metrics` on admin.metrics_listen,
 * in the text exposition format 0.0.4 (# HELP, # TYPE, one sample a line).
 *
 * Threading: none of its own. libmicrohttpd runs in "external select" mode and
 * the control plane's loop calls cp_metrics_poll() every cron tick; MHD_run()
 * there never blocks (zero-timeout select, non-blocking sockets), so a scrape,
 * a slow reader or an idle connection costs the loop one bounded step, never a
 * wait. The request handler therefore runs on the cp thread and renders from
 * the same state the admin socket reads (dataplane counters racily, as
 * telemetry does; topology, tags and replication directly), with no lock and
 * no copy kept between scrapes. Connections are capped (CP_METRICS_MAX_CONN)
 * and an idle one is closed after CP_METRICS_TIMEOUT_S.
 *
 * Names follow the Prometheus conventions: prefix sipshard_, counters end in
 * _total, units in the name (_bytes, _seconds), states as one gauge per state
 * (0 or 1) with a `state` label. docs/operations.md lists the families.
 */
#ifndef SIPSHARD_CONTROL_ADMIN_CP_METRICS_H
#define SIPSHARD_CONTROL_ADMIN_CP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_METRICS_MAX_CONN   16
#define CP_METRICS_TIMEOUT_S  5
#define CP_METRICS_MAX_BODY   (1u << 20)   /* a render larger than this fails (500) */

/* A growing text buffer of samples. */
struct cp_prom {
	char *buf;
	size_t len, cap;
	bool failed;                    /* out of memory or over CP_METRICS_MAX_BODY */
};

/* # HELP and # TYPE lines of family NAME (TYPE "counter" or "gauge"). */
void cp_prom_family(struct cp_prom *p, const char *name, const char *type, const char *help);
/* One sample: NAME{LABELS} V. LABELS: NULL, or `k="v",k2="v2"` already escaped. */
void cp_prom_u64(struct cp_prom *p, const char *name, const char *labels, uint64_t v);
void cp_prom_f64(struct cp_prom *p, const char *name, const char *labels, double v);
/* V escaped for a label value (\\, \", \n) into OUT. */
void cp_prom_escape(char *out, size_t len, const char *v);

struct cp_metrics;
/* Append every sample of the node to P (cp thread). */
typedef void cp_metrics_render_fn(void *arg, struct cp_prom *p);

struct cp_metrics {
	struct MHD_Daemon *daemon;      /* NULL: off */
	cp_metrics_render_fn *render;
	void *arg;
	uint64_t scrapes;               /* /metrics answered 200 */
	uint64_t errors;                /* other paths or methods, failed renders */
	uint64_t render_us_max;         /* longest render, microseconds */
	uint64_t bytes_max;             /* largest body */
};

/* Listen on LISTEN ("A.B.C.D:PORT" or "[IPv6]:PORT"). 0, or -errno with a message. */
int cp_metrics_listen(struct cp_metrics *m, const char *listen, cp_metrics_render_fn *fn,
		      void *arg, char *err, size_t errlen);
/* Accept, read, answer and write what can be without blocking (cp loop). */
void cp_metrics_poll(struct cp_metrics *m);
void cp_metrics_close(struct cp_metrics *m);

/* ---- the families, each appended to P ---- */
struct dp_shared;
struct cp_topo;
struct cp_tags;
struct cp_repl_node;

/* Every counter of telemetry /sipshard/stats that the dataplane keeps: its
 * counters and drop reasons, SIP requests by method, responses and replies by
 * class, parser verdicts, proxy and registrar counters, summed over the lcores. */
void cp_metrics_dataplane(struct cp_prom *p, const struct dp_shared *sh);
/* Node states (self included) and their capabilities' sync states, cluster counters. */
void cp_metrics_topo(struct cp_prom *p, const struct cp_topo *t, bool cluster);
/* Sharing tags: active here, owner, term; the tags' sync state. */
void cp_metrics_tags(struct cp_prom *p, const struct cp_tags *t);
/* Replication counters (node and streams), peers, this node's registrations sync. */
void cp_metrics_repl(struct cp_prom *p, const struct cp_repl_node *r);

#endif /* SIPSHARD_CONTROL_ADMIN_CP_METRICS_H */
