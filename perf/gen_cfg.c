/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshard-gen configuration loader: libyaml document, one key table per
 * mapping, strict values, "FILE:LINE:COLUMN: message" errors. See gen_cfg.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "perf/gen_cfg.h"

#define GEN_CFG_FILE_MAX (1 << 20)

enum gk_kind { GK_MAP, GK_UINT, GK_STR, GK_BOOL, GK_ENUM, GK_IPV4, GK_MAC, GK_FRAC, GK_EAL };

/* One key: field at `off` of the struct of its level (maps move the base). */
struct gk {
	const char *name;               /* NULL ends a table */
	enum gk_kind kind;
	size_t off, size;               /* UINT width / STR capacity */
	int64_t min, max;               /* UINT range */
	const char *const *choices;     /* ENUM names; MAC: the word meaning "none" */
	const struct gk *sub;           /* MAP children */
	ptrdiff_t flag_off;             /* MAC/MAP: bool set when present (-1: none) */
	bool required;
};

struct gen_walk {
	const char *name;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	char path[96];
};

#define F(st, f)        offsetof(st, f), sizeof(((st *)0)->f)
#define NOFLAG          (-1)
#define K_UINT(n, st, f, lo, hi) { n, GK_UINT, F(st, f), lo, hi, NULL, NULL, NOFLAG, false }
#define K_STR(n, st, f, req)     { n, GK_STR, F(st, f), 0, 0, NULL, NULL, NOFLAG, req }
#define K_BOOL(n, st, f)         { n, GK_BOOL, F(st, f), 0, 0, NULL, NULL, NOFLAG, false }
#define K_ENUM(n, st, f, ch)     { n, GK_ENUM, F(st, f), 0, 0, ch, NULL, NOFLAG, false }
#define K_IPV4(n, st, f, req)    { n, GK_IPV4, F(st, f), 0, 0, NULL, NULL, NOFLAG, req }
#define K_MAC(n, st, f, word, has) \
	{ n, GK_MAC, F(st, f), 0, 0, word, NULL, (ptrdiff_t)offsetof(st, has), false }
#define K_FRAC(n, st, f)         { n, GK_FRAC, F(st, f), 0, 0, NULL, NULL, NOFLAG, false }
#define K_MAP(n, st, f, keys, has, req) \
	{ n, GK_MAP, F(st, f), 0, 0, NULL, keys, has, req }
#define K_END { NULL, GK_MAP, 0, 0, 0, 0, NULL, NULL, NOFLAG, false }

static const char *const wl_names[] = { "register", "invite", "options", NULL };
static const char *const mode_names[] = { "new", "refresh", "mix", NULL };
static const char *const idle_names[] = { "busy", "adaptive", NULL };
static const char *const word_auto[] = { "auto", NULL };
static const char *const word_arp[] = { "arp", NULL };

static const struct gk keys_port[] = {
	K_STR("device", struct gen_cfg_port, device, true),
	K_MAC("mac", struct gen_cfg_port, mac, word_auto, has_mac),
	K_IPV4("ipv4", struct gen_cfg_port, ipv4, true),
	K_UINT("sip_port", struct gen_cfg_port, sip_port, 1, 65535),
	K_UINT("rx_desc", struct gen_cfg_port, rx_desc, 64, 16384),
	K_UINT("tx_desc", struct gen_cfg_port, tx_desc, 64, 16384),
	K_UINT("mbufs", struct gen_cfg_port, mbufs, 4095, 1048575),
	K_END,
};

static const struct gk keys_target[] = {
	K_IPV4("ipv4", struct gen_cfg_target, ipv4, true),
	K_UINT("port", struct gen_cfg_target, port, 1, 65535),
	K_MAC("mac", struct gen_cfg_target, mac, word_arp, has_mac),
	K_UINT("arp_timeout_ms", struct gen_cfg_target, arp_timeout_ms, 100, 60000),
	K_END,
};

static const struct gk keys_workload[] = {
	K_ENUM("type", struct gen_cfg_workload, type, wl_names),
	K_UINT("aors", struct gen_cfg_workload, aors, 1, 100000000),
	K_STR("domain", struct gen_cfg_workload, domain, false),
	K_ENUM("mode", struct gen_cfg_workload, mode, mode_names),
	K_UINT("mix_new_pct", struct gen_cfg_workload, mix_new_pct, 0, 100),
	K_UINT("expires", struct gen_cfg_workload, expires, 0, 2147483647),
	K_BOOL("prefill", struct gen_cfg_workload, prefill),
	K_END,
};

static const struct gk keys_run[] = {
	K_UINT("rate", struct gen_cfg_run, rate, 0, 100000000),
	K_UINT("duration_s", struct gen_cfg_run, duration_s, 1, 86400),
	K_UINT("warmup_s", struct gen_cfg_run, warmup_s, 0, 3600),
	K_UINT("timeout_ms", struct gen_cfg_run, timeout_ms, 1, 60000),
	K_UINT("max_in_flight", struct gen_cfg_run, max_in_flight, 1, 4194304),
	K_UINT("burst", struct gen_cfg_run, burst, 1, 256),
	K_ENUM("idle", struct gen_cfg_run, idle, idle_names),
	K_BOOL("reflect", struct gen_cfg_run, reflect),
	K_BOOL("progress", struct gen_cfg_run, progress),
	K_END,
};

static const struct gk keys_search[] = {
	K_FRAC("max_loss", struct gen_cfg_search, max_loss),
	K_UINT("trial_s", struct gen_cfg_search, trial_s, 1, 3600),
	K_FRAC("precision", struct gen_cfg_search, precision),
	K_UINT("max_trials", struct gen_cfg_search, max_trials, 1, 100),
	K_UINT("window", struct gen_cfg_search, window, 1, 4194304),
	K_UINT("start_rate", struct gen_cfg_search, start_rate, 0, 100000000),
	K_UINT("retries", struct gen_cfg_search, retries, 0, 10),
	K_END,
};

static const struct gk keys_root[] = {
	{ "eal", GK_EAL, 0, 0, 0, 0, NULL, NULL, NOFLAG, false },
	K_MAP("port", struct gen_cfg, port, keys_port, NOFLAG, true),
	K_MAP("target", struct gen_cfg, target, keys_target, NOFLAG, true),
	K_MAP("workload", struct gen_cfg, wl, keys_workload, NOFLAG, false),
	K_MAP("run", struct gen_cfg, run, keys_run, NOFLAG, false),
	K_MAP("search", struct gen_cfg, search, keys_search,
	      (ptrdiff_t)offsetof(struct gen_cfg_search, enabled), false),
	K_END,
};

const char *
gen_workload_name(enum gen_workload w)
{
	return (unsigned int)w < 3 ? wl_names[w] : "?";
}

const char *
gen_mode_name(enum gen_mode m)
{
	return (unsigned int)m < 3 ? mode_names[m] : "?";
}

static void
gen_cfg_defaults(struct gen_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->port.sip_port = 5060;
	c->port.rx_desc = 1024;
	c->port.tx_desc = 1024;
	c->port.mbufs = 16383;
	c->target.port = 5060;
	c->target.arp_timeout_ms = 3000;
	c->wl.type = GEN_WL_REGISTER;
	c->wl.aors = 10000;
	snprintf(c->wl.domain, sizeof(c->wl.domain), "example.com");
	c->wl.mode = GEN_MODE_NEW;
	c->wl.mix_new_pct = 10;
	c->wl.expires = 3600;
	c->wl.prefill = true;
	c->run.rate = 1000;
	c->run.duration_s = 10;
	c->run.timeout_ms = 500;
	c->run.max_in_flight = 65536;
	c->run.burst = 32;
	c->run.idle = GEN_IDLE_ADAPTIVE;
	c->run.progress = true;
	c->search.max_loss = 0.001;
	c->search.trial_s = 2;
	c->search.precision = 0.02;
	c->search.max_trials = 16;
	c->search.window = 128;
	c->search.retries = 1;
}

/* ---- messages ---- */

__attribute__((format(printf, 3, 4)))
static int
gen_err(struct gen_walk *w, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(w->err, w->errlen, "%s:%zu:%zu: ", w->name,
		     at != NULL ? at->start_mark.line + 1 : 1,
		     at != NULL ? at->start_mark.column + 1 : 1);
	if (n >= 0 && (size_t)n < w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* ---- values ---- */

static int
gen_uint(struct gen_walk *w, const struct gk *k, char *f, yaml_node_t *v)
{
	const char *s = scalar(v);
	size_t len = v->data.scalar.length, i;
	uint64_t x = 0;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    len == 0 || len > 12 || (s[0] == '0' && len > 1))
		return gen_err(w, v, "expected an integer for '%s'", w->path);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return gen_err(w, v, "expected an integer for '%s', got '%s'", w->path, s);
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if ((int64_t)x < k->min || (int64_t)x > k->max)
		return gen_err(w, v, "%s: %s is out of range %lld..%lld", w->path, s,
			       (long long)k->min, (long long)k->max);
	if (k->size == sizeof(uint64_t))
		*(uint64_t *)(void *)f = x;
	else
		*(uint32_t *)(void *)f = (uint32_t)x;
	return 0;
}

static int
gen_frac(struct gen_walk *w, char *f, yaml_node_t *v)
{
	char *end;
	double x;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return gen_err(w, v, "expected a number for '%s'", w->path);
	errno = 0;
	x = strtod(scalar(v), &end);
	if (errno != 0 || end == scalar(v) || *end != '\0')
		return gen_err(w, v, "expected a number for '%s', got '%s'", w->path, scalar(v));
	if (!(x > 0.0 && x < 1.0))
		return gen_err(w, v, "%s: %s is out of range (0, 1)", w->path, scalar(v));
	*(double *)(void *)f = x;
	return 0;
}

static int
gen_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int
gen_scalar_value(struct gen_walk *w, const struct gk *k, char *base, yaml_node_t *v)
{
	char *f = base + k->off;
	const char *s;
	int i;

	if (v->type != YAML_SCALAR_NODE)
		return gen_err(w, v, "expected a scalar for '%s'", w->path);
	s = scalar(v);
	if (v->data.scalar.length == 0 || strlen(s) != v->data.scalar.length)
		return gen_err(w, v, "%s: must not be empty", w->path);
	switch (k->kind) {
	case GK_UINT:
		return gen_uint(w, k, f, v);
	case GK_FRAC:
		return gen_frac(w, f, v);
	case GK_STR:
		if (v->data.scalar.length >= k->size)
			return gen_err(w, v, "%s: string too long (%zu bytes, max %zu)", w->path,
				       v->data.scalar.length, k->size - 1);
		memcpy(f, s, v->data.scalar.length + 1);
		return 0;
	case GK_BOOL:
		if (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		    (strcmp(s, "true") != 0 && strcmp(s, "false") != 0))
			return gen_err(w, v, "%s: '%s' is not true or false", w->path, s);
		*(bool *)(void *)f = strcmp(s, "true") == 0;
		return 0;
	case GK_ENUM:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(s, k->choices[i]) == 0) {
				*(uint32_t *)(void *)f = (uint32_t)i;
				return 0;
			}
		}
		return gen_err(w, v, "%s: '%s' is not one of: %s%s%s%s%s", w->path, s,
			       k->choices[0], k->choices[1] ? ", " : "",
			       k->choices[1] ? k->choices[1] : "", k->choices[1] && k->choices[2] ? ", " : "",
			       k->choices[1] && k->choices[2] ? k->choices[2] : "");
	case GK_IPV4:
		if (inet_pton(AF_INET, s, f) != 1)
			return gen_err(w, v, "%s: '%s' is not an IPv4 address (A.B.C.D)", w->path, s);
		return 0;
	case GK_MAC:
		if (strcmp(s, k->choices[0]) == 0) {
			*(bool *)(void *)(base + k->flag_off) = false;
			return 0;
		}
		if (gen_mac_parse(s, (uint8_t *)f) != 0)
			return gen_err(w, v, "%s: '%s' is not a MAC address (xx:xx:xx:xx:xx:xx) or '%s'",
				       w->path, s, k->choices[0]);
		*(bool *)(void *)(base + k->flag_off) = true;
		return 0;
	default:
		return gen_err(w, v, "internal: bad key kind");
	}
}

static int
gen_eal(struct gen_walk *w, struct gen_cfg *c, yaml_node_t *v)
{
	yaml_node_item_t *it;
	yaml_node_t *n;

	if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return gen_err(w, v, "expected a list of strings for 'eal'");
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		n = yaml_document_get_node(w->doc, *it);
		if (n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0)
			return gen_err(w, n, "eal[%d]: expected a non-empty string", c->n_eal);
		if (c->n_eal == GEN_CFG_EAL_MAX)
			return gen_err(w, n, "eal: more than %d arguments", GEN_CFG_EAL_MAX);
		if (n->data.scalar.length >= GEN_CFG_EAL_LEN)
			return gen_err(w, n, "eal[%d]: string too long (max %d)", c->n_eal,
				       GEN_CFG_EAL_LEN - 1);
		memcpy(c->eal[c->n_eal++], scalar(n), n->data.scalar.length + 1);
	}
	return 0;
}

/* ---- mappings ---- */

static int
gen_map(struct gen_walk *w, const struct gk *keys, char *base, yaml_node_t *map, struct gen_cfg *c)
{
	const yaml_node_t *seen[16] = { NULL };
	size_t plen = strlen(w->path);
	yaml_node_pair_t *p;
	yaml_node_t *kn, *vn;
	int i, rc;

	if (map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0 &&
	    map->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		goto required;          /* "section:" alone: defaults */
	if (map->type != YAML_MAPPING_NODE)
		return gen_err(w, map, "expected a mapping for '%s'", plen ? w->path : "the document");
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		kn = yaml_document_get_node(w->doc, p->key);
		vn = yaml_document_get_node(w->doc, p->value);
		if (kn->type != YAML_SCALAR_NODE)
			return gen_err(w, kn, "keys must be plain strings");
		for (i = 0; keys[i].name != NULL; i++)
			if (strcmp(keys[i].name, scalar(kn)) == 0)
				break;
		if (keys[i].name == NULL)
			return gen_err(w, kn, "unknown key '%s'%s%s%s", scalar(kn),
				       plen ? " in '" : "", plen ? w->path : "", plen ? "'" : "");
		if (seen[i] != NULL)
			return gen_err(w, kn, "duplicate key '%s' (first at %zu:%zu)", scalar(kn),
				       seen[i]->start_mark.line + 1, seen[i]->start_mark.column + 1);
		seen[i] = kn;
		snprintf(w->path + plen, sizeof(w->path) - plen, "%s%s", plen ? "." : "", keys[i].name);
		if (keys[i].kind == GK_EAL)
			rc = gen_eal(w, c, vn);
		else if (keys[i].kind == GK_MAP) {
			if (keys[i].flag_off != NOFLAG)
				*(bool *)(void *)(base + keys[i].off + keys[i].flag_off) = true;
			rc = gen_map(w, keys[i].sub, base + keys[i].off, vn, c);
		} else
			rc = gen_scalar_value(w, &keys[i], base, vn);
		w->path[plen] = '\0';
		if (rc != 0)
			return rc;
	}
required:
	for (i = 0; keys[i].name != NULL; i++)
		if (keys[i].required && seen[i] == NULL)
			return gen_err(w, map, "missing required key '%s'%s%s%s", keys[i].name,
				       plen ? " in '" : "", plen ? w->path : "", plen ? "'" : "");
	return 0;
}

/* Cross-field rules. */
static int
gen_check(struct gen_walk *w, struct gen_cfg *c, yaml_node_t *root)
{
	if (c->run.max_in_flight < c->run.burst)
		return gen_err(w, root, "run.max_in_flight (%u) must be >= run.burst (%u)",
			       c->run.max_in_flight, c->run.burst);
	if (c->run.reflect && !c->target.has_mac)
		return gen_err(w, root, "run.reflect needs target.mac (a reflector answers no ARP)");
	return 0;
}

/* Anchors, aliases, tags and multi-document streams are refused up front. */
static int
gen_prescan(struct gen_walk *w, const unsigned char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	yaml_node_t at;
	int rc = 0, docs = 0;
	bool end = false;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, buf, len);
	while (rc == 0 && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			memset(&at, 0, sizeof(at));
			at.start_mark = p.problem_mark;
			rc = gen_err(w, &at, "syntax error: %s", p.problem ? p.problem : "cannot parse");
			break;
		}
		memset(&at, 0, sizeof(at));
		at.start_mark = ev.start_mark;
		if (ev.type == YAML_ALIAS_EVENT ||
		    (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) ||
		    (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor) ||
		    (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.anchor))
			rc = gen_err(w, &at, "anchors and aliases are not supported");
		else if ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.tag) ||
			 (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.tag) ||
			 (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.tag))
			rc = gen_err(w, &at, "tags are not supported");
		else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			rc = gen_err(w, &at, "only one YAML document is allowed");
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

int
gen_cfg_load(const char *path, struct gen_cfg *c, char *err, size_t errlen)
{
	struct gen_walk w = { .name = path, .err = err, .errlen = errlen };
	yaml_document_t doc;
	yaml_parser_t p;
	yaml_node_t *root, empty;
	unsigned char *buf;
	size_t len;
	FILE *f;
	int rc;

	gen_cfg_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(GEN_CFG_FILE_MAX);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = fread(buf, 1, GEN_CFG_FILE_MAX, f);
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc != 0 || len == GEN_CFG_FILE_MAX) {
		snprintf(err, errlen, "%s: cannot read: %s", path, rc ? "I/O error" : "file too large");
		free(buf);
		return rc ? rc : -EFBIG;
	}
	rc = gen_prescan(&w, buf, len);
	if (rc != 0)
		goto out_buf;
	if (!yaml_parser_initialize(&p)) {
		rc = -ENOMEM;
		goto out_buf;
	}
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &doc)) {
		memset(&empty, 0, sizeof(empty));
		empty.start_mark = p.problem_mark;
		rc = gen_err(&w, &empty, "syntax error: %s", p.problem ? p.problem : "cannot parse");
		goto out_parser;
	}
	w.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = gen_err(&w, NULL, "empty file: missing required key 'port'");
		goto out_doc;
	}
	rc = gen_map(&w, keys_root, (char *)c, root, c);
	if (rc == 0)
		rc = gen_check(&w, c, root);
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&p);
out_buf:
	free(buf);
	return rc;
}
