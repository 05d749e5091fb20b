/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration loader: reads the file, checks the event stream for what the
 * schema never allows (anchors, aliases, tags, several documents), loads the
 * document with libyaml and walks it against the schema table of cfg_schema.c,
 * writing each value at its offset in `struct cfg`. The walker keeps the dotted
 * path of the value it is on for messages; the first error is formatted into the
 * caller's buffer as "FILE:LINE:COLUMN: message" and stops the walk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "config/cfg.h"
#include "config/cfg_schema.h"

#define CFG_FILE_MAX    (1 << 20)       /* larger is not a config file */
#define CFG_KEYS_MAX    32              /* keys in one schema table */
#define CFG_SHOW_MAX    40              /* bytes of a value quoted in a message */
#define CFG_HINT_DIST   2               /* edit distance of a "did you mean" */

struct cfg_walk {
	const char *name;               /* FILE of the messages */
	const char *buf;
	size_t len;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	char path[160];                 /* "backends[1].members[0].uri" */
	size_t plen;
};

/* ---- messages ---- */

__attribute__((format(printf, 4, 0)))
static int
cfg_verr(struct cfg_walk *w, size_t line, size_t col, const char *fmt, va_list ap)
{
	int n;

	if (w->err == NULL || w->errlen == 0)
		return -EINVAL;
	n = snprintf(w->err, w->errlen, "%s:%zu:%zu: ", w->name, line + 1, col + 1);
	if (n >= 0 && (size_t)n < w->errlen)
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4)))
static int
cfg_err_mark(struct cfg_walk *w, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cfg_verr(w, m.line, m.column, fmt, ap);
	va_end(ap);
	return rc;
}

int
cfg_walk_err(struct cfg_walk *w, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cfg_verr(w, at->start_mark.line, at->start_mark.column, fmt, ap);
	va_end(ap);
	return rc;
}

/* S (LEN bytes) fit for a message: control bytes as '?', long values cut. */
static const char *
cfg_show(const void *s, size_t len, char out[CFG_SHOW_MAX + 4])
{
	const unsigned char *p = s;
	size_t n = len > CFG_SHOW_MAX ? CFG_SHOW_MAX : len, i;

	if (n < len)
		while (n > 0 && (p[n] & 0xc0) == 0x80)  /* keep UTF-8 whole */
			n--;
	for (i = 0; i < n; i++)
		out[i] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
	strcpy(out + n, n < len ? "..." : "");
	return out;
}

static const char *
cfg_show_node(const yaml_node_t *n, char out[CFG_SHOW_MAX + 4])
{
	return cfg_show(n->data.scalar.value, n->data.scalar.length, out);
}

static int
cfg_type_err(struct cfg_walk *w, const yaml_node_t *v, const char *expected)
{
	char s[CFG_SHOW_MAX + 4];

	if (v->type == YAML_MAPPING_NODE)
		return cfg_walk_err(w, v, "expected %s for '%s', got a mapping",
				    expected, w->path);
	if (v->type == YAML_SEQUENCE_NODE)
		return cfg_walk_err(w, v, "expected %s for '%s', got a list",
				    expected, w->path);
	return cfg_walk_err(w, v, "expected %s for '%s', got %s'%s'", expected, w->path,
			    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ?
			    "" : "a quoted string ", cfg_show_node(v, s));
}

/* ---- document access ---- */

static yaml_node_t *
cfg_node(struct cfg_walk *w, int i)
{
	return yaml_document_get_node(w->doc, i);
}

static bool
cfg_scalar_is(const yaml_node_t *n, const char *s)
{
	size_t len = strlen(s);

	return n != NULL && n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.length == len && memcmp(n->data.scalar.value, s, len) == 0;
}

/* `key:`, `key: ~`, `key: null`: an empty section or list. */
static bool
cfg_is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (cfg_scalar_is(n, "") || cfg_scalar_is(n, "~") || cfg_scalar_is(n, "null"));
}

yaml_node_t *
cfg_walk_key(struct cfg_walk *w, yaml_node_t *map, const char *key, yaml_node_t **val)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (val != NULL)
		*val = NULL;
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = cfg_node(w, p->key);
		if (cfg_scalar_is(k, key)) {
			if (val != NULL)
				*val = cfg_node(w, p->value);
			return k;
		}
	}
	return NULL;
}

yaml_node_t *
cfg_walk_item(struct cfg_walk *w, yaml_node_t *seq, int i)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE || i < 0 ||
	    i >= seq->data.sequence.items.top - seq->data.sequence.items.start)
		return NULL;
	return cfg_node(w, seq->data.sequence.items.start[i]);
}

yaml_node_t *
cfg_walk_later(yaml_node_t *a, yaml_node_t *b)
{
	if (a == NULL || b == NULL)
		return a != NULL ? a : b;
	return a->start_mark.index >= b->start_mark.index ? a : b;
}

/* ---- the walk ---- */

static size_t
cfg_push(struct cfg_walk *w, const char *name, int index)
{
	size_t old = w->plen, cap = sizeof(w->path) - old;
	int n;

	if (index >= 0)
		n = snprintf(w->path + old, cap, "[%d]", index);
	else
		n = snprintf(w->path + old, cap, "%s%s", old > 0 ? "." : "", name);
	w->plen = n < 0 ? old : (size_t)n >= cap ? sizeof(w->path) - 1 : old + (size_t)n;
	return old;
}

static void
cfg_pop(struct cfg_walk *w, size_t old)
{
	w->plen = old;
	w->path[old] = '\0';
}

static void
cfg_store(void *p, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

static uint64_t
cfg_fetch(const void *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t v;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&v, p, 8); return v;
	}
}

static void
cfg_apply_defaults(const struct cfg_key *keys, char *base)
{
	const struct cfg_key *k;

	for (k = keys; k->name != NULL; k++) {
		if (k->kind == CFG_K_UINT || k->kind == CFG_K_ENUM)
			cfg_store(base + k->off, k->size, (uint64_t)k->def);
		else if (k->kind == CFG_K_STR && k->def_str != NULL)
			snprintf(base + k->off, k->size, "%s", k->def_str);
		else if (k->kind == CFG_K_MAP)
			cfg_apply_defaults(k->sub, base + k->off);
	}
}

/* A plain decimal integer: -?(0|[1-9][0-9]*). *big when it has too many digits. */
static int
cfg_parse_int(const yaml_node_t *n, int64_t *v, bool *big)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length, i = 0, digits;
	bool neg = len > 0 && s[0] == '-';

	i = neg;
	digits = len - i;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || digits == 0 ||
	    (s[i] == '0' && (digits > 1 || neg)))
		return -1;
	*v = 0;
	*big = digits > 18;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (!*big)
			*v = *v * 10 + (s[i] - '0');
	}
	if (neg)
		*v = -*v;
	return 0;
}

static int
cfg_walk_uint(struct cfg_walk *w, const struct cfg_key *k, char *f, yaml_node_t *v)
{
	char s[CFG_SHOW_MAX + 4];
	int64_t x;
	bool big;

	if (cfg_parse_int(v, &x, &big) < 0)
		return cfg_type_err(w, v, "an integer");
	if (big || x < k->min || x > k->max)
		return cfg_walk_err(w, v, "%s: %s is out of range %lld..%lld", w->path,
				    cfg_show_node(v, s), (long long)k->min, (long long)k->max);
	if ((k->flags & CFG_F_POW2) && (x & (x - 1)) != 0)
		return cfg_walk_err(w, v, "%s: %lld is not a power of 2", w->path,
				    (long long)x);
	cfg_store(f, k->size, (uint64_t)x);
	return 0;
}

static int
cfg_walk_enum(struct cfg_walk *w, const struct cfg_key *k, char *f, yaml_node_t *v)
{
	char s[CFG_SHOW_MAX + 4], list[128] = "";
	size_t n = 0;
	int i;

	for (i = 0; k->choices[i] != NULL; i++) {
		if (cfg_scalar_is(v, k->choices[i])) {
			cfg_store(f, k->size, (uint64_t)i);
			return 0;
		}
		if (n < sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
					      i > 0 ? ", " : "", k->choices[i]);
	}
	return cfg_walk_err(w, v, "%s: '%s' is not one of: %s", w->path,
			    cfg_show_node(v, s), list);
}

/* STR copies into the field, FN into a scratch string for its parser. */
static int
cfg_walk_string(struct cfg_walk *w, const struct cfg_key *k, char *f, yaml_node_t *v)
{
	char tmp[CFG_PATH], s[CFG_SHOW_MAX + 4];
	char *dst = k->kind == CFG_K_STR ? f : tmp;
	size_t cap = k->kind == CFG_K_STR ? k->size : sizeof(tmp);
	size_t len = v->data.scalar.length, i;
	const char *why;

	if (memchr(v->data.scalar.value, '\0', len) != NULL)
		return cfg_walk_err(w, v, "%s: string contains a NUL byte", w->path);
	if (len == 0 || cfg_is_null(v))      /* "", ~, null */
		return cfg_walk_err(w, v, "%s: must not be empty", w->path);
	if (len >= cap)
		return cfg_walk_err(w, v, "%s: string too long (%zu bytes, max %zu)",
				    w->path, len, cap - 1);
	memcpy(dst, v->data.scalar.value, len);
	dst[len] = '\0';
	if (k->flags & CFG_F_LOWER)
		for (i = 0; i < len; i++)
			if (dst[i] >= 'A' && dst[i] <= 'Z')
				dst[i] = (char)(dst[i] - 'A' + 'a');
	why = k->set != NULL ? k->set(f, dst) : NULL;
	if (why != NULL)
		return cfg_walk_err(w, v, "%s: '%s' %s", w->path, cfg_show_node(v, s), why);
	return 0;
}

/* Optimal string alignment distance of A (ALEN bytes) and B, capped. */
static int
cfg_distance(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), i, j;
	int d[3][34], *prev2 = d[0], *prev = d[1], *cur = d[2], *t, x;

	if (alen > 32 || blen > 32)
		return 99;
	for (j = 0; j <= blen; j++)
		prev[j] = (int)j;
	for (i = 1; i <= alen; i++) {
		cur[0] = (int)i;
		for (j = 1; j <= blen; j++) {
			x = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < x)
				x = prev[j] + 1;
			if (cur[j - 1] + 1 < x)
				x = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < x)
				x = prev2[j - 2] + 1;
			cur[j] = x;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[blen];
}

static int
cfg_unknown(struct cfg_walk *w, const struct cfg_key *keys, yaml_node_t *kn)
{
	const char *key = (const char *)kn->data.scalar.value, *best = NULL;
	size_t len = kn->data.scalar.length;
	char s[CFG_SHOW_MAX + 4], in[sizeof(w->path) + 8] = "", hint[64] = "";
	int bestd = CFG_HINT_DIST + 1, d;

	for (; keys->name != NULL; keys++) {
		d = cfg_distance(key, len, keys->name);
		if (strlen(keys->name) == len && strncasecmp(key, keys->name, len) == 0)
			d = 0;
		if (d < bestd) {
			bestd = d;
			best = keys->name;
		}
	}
	if (w->plen > 0)
		snprintf(in, sizeof(in), " in '%s'", w->path);
	if (best != NULL)
		snprintf(hint, sizeof(hint), " (did you mean '%s'?)", best);
	return cfg_walk_err(w, kn, "unknown key '%s'%s%s", cfg_show_node(kn, s), in, hint);
}

static int cfg_walk_value(struct cfg_walk *w, const struct cfg_key *k, char *base,
			  yaml_node_t *v);

static int
cfg_walk_map(struct cfg_walk *w, const struct cfg_key *k, char *base, yaml_node_t *map)
{
	yaml_node_t *seen[CFG_KEYS_MAX] = { NULL }, *kn, *vn;
	const struct cfg_key *keys = k->sub;
	char s[CFG_SHOW_MAX + 4];
	yaml_node_pair_t *p;
	size_t old;
	int i, rc;

	for (i = 0; keys[i].name != NULL; i++)
		if (i + 1 >= CFG_KEYS_MAX)
			return cfg_walk_err(w, map, "internal: schema table too large");
	if (map->type != YAML_MAPPING_NODE)     /* null: an empty mapping */
		goto complete;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		kn = cfg_node(w, p->key);
		vn = cfg_node(w, p->value);
		if (kn == NULL || vn == NULL)
			return cfg_walk_err(w, map, "internal: dangling node");
		if (kn->type != YAML_SCALAR_NODE)
			return cfg_walk_err(w, kn, "a key must be a string, not a %s",
					    kn->type == YAML_MAPPING_NODE ? "mapping" : "list");
		for (i = 0; keys[i].name != NULL; i++)
			if (cfg_scalar_is(kn, keys[i].name))
				break;
		if (keys[i].name == NULL)
			return cfg_unknown(w, keys, kn);
		if (seen[i] != NULL)
			return cfg_walk_err(w, kn, "duplicate key '%s' (first at %zu:%zu)",
					    cfg_show_node(kn, s), seen[i]->start_mark.line + 1,
					    seen[i]->start_mark.column + 1);
		seen[i] = kn;
		old = cfg_push(w, keys[i].name, -1);
		rc = cfg_walk_value(w, &keys[i], base, vn);
		cfg_pop(w, old);
		if (rc < 0)
			return rc;
	}
complete:
	for (i = 0; keys[i].name != NULL; i++) {
		if (!(keys[i].flags & CFG_F_REQUIRED) || seen[i] != NULL)
			continue;
		if (w->plen == 0)
			return cfg_walk_err(w, map, "missing required key '%s'", keys[i].name);
		return cfg_walk_err(w, map, "missing required key '%s' in '%s'",
				    keys[i].name, w->path);
	}
	return k->check != NULL ? k->check(w, base, map) : 0;
}

/* A CFG_F_UNIQUE key of item I equal to that of an earlier item is an error. */
static int
cfg_check_unique(struct cfg_walk *w, const struct cfg_key *k, char *arr, int i,
		 yaml_node_t *seq)
{
	const struct cfg_key *u;
	yaml_node_t *vi, *vj;
	uint64_t x;
	int j;

	if (k->sub->kind != CFG_K_MAP)
		return 0;
	for (u = k->sub->sub; u->name != NULL; u++) {
		if (!(u->flags & CFG_F_UNIQUE))
			continue;
		x = cfg_fetch(arr + (size_t)i * k->size + u->off, u->size);
		for (j = 0; j < i; j++) {
			if (cfg_fetch(arr + (size_t)j * k->size + u->off, u->size) != x)
				continue;
			cfg_walk_key(w, cfg_walk_item(w, seq, i), u->name, &vi);
			cfg_walk_key(w, cfg_walk_item(w, seq, j), u->name, &vj);
			if (vi == NULL || vj == NULL)   /* unique keys are required */
				return cfg_walk_err(w, seq, "internal: unique key not found");
			return cfg_walk_err(w, vi, "%s[%d].%s: %llu is not unique "
					    "(first at %zu:%zu)", w->path, i, u->name,
					    (unsigned long long)x, vj->start_mark.line + 1,
					    vj->start_mark.column + 1);
		}
	}
	return 0;
}

static int
cfg_walk_list(struct cfg_walk *w, const struct cfg_key *k, char *base, yaml_node_t *v)
{
	int *count = (int *)(void *)(base + k->n_off), n = 0, i, rc;
	char *arr = base + k->off, *item;
	size_t old;

	*count = 0;
	if (v->type == YAML_SEQUENCE_NODE)
		n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
	else if (!cfg_is_null(v))
		return cfg_type_err(w, v, "a list");
	for (i = 0; i < n; i++) {
		if (i >= k->max)
			return cfg_walk_err(w, cfg_walk_item(w, v, i),
					    "%s: too many items (max %lld)", w->path,
					    (long long)k->max);
		item = arr + (size_t)i * k->size;
		memset(item, 0, k->size);
		if (k->sub->kind == CFG_K_MAP)
			cfg_apply_defaults(k->sub->sub, item);
		old = cfg_push(w, NULL, i);
		rc = cfg_walk_value(w, k->sub, item, cfg_walk_item(w, v, i));
		cfg_pop(w, old);
		if (rc < 0)
			return rc;
		*count = i + 1;
		rc = cfg_check_unique(w, k, arr, i, v);
		if (rc < 0)
			return rc;
	}
	if (n < k->min)
		return cfg_walk_err(w, v, "%s: needs at least %lld item%s", w->path,
				    (long long)k->min, k->min > 1 ? "s" : "");
	return 0;
}

static int
cfg_walk_value(struct cfg_walk *w, const struct cfg_key *k, char *base, yaml_node_t *v)
{
	if (v == NULL)
		return -EINVAL;         /* not from libyaml */
	if (k->kind == CFG_K_MAP) {
		if (v->type == YAML_SCALAR_NODE && k->set != NULL && !cfg_is_null(v))
			return cfg_walk_string(w, k, base + k->off, v);   /* the short form */
		if (v->type != YAML_MAPPING_NODE && !cfg_is_null(v))
			return cfg_type_err(w, v, "a mapping");
		return cfg_walk_map(w, k, base + k->off, v);
	}
	if (k->kind == CFG_K_LIST)
		return cfg_walk_list(w, k, base, v);
	if (v->type != YAML_SCALAR_NODE)
		return cfg_type_err(w, v, k->kind == CFG_K_UINT ? "an integer" : "a string");
	if (k->kind == CFG_K_UINT)
		return cfg_walk_uint(w, k, base + k->off, v);
	if (k->kind == CFG_K_ENUM)
		return cfg_walk_enum(w, k, base + k->off, v);
	return cfg_walk_string(w, k, base + k->off, v);
}

/* ---- parsing ---- */

static int
cfg_syntax_err(struct cfg_walk *w, yaml_parser_t *p)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "cannot parse";
	size_t i;

	if (p->error == YAML_MEMORY_ERROR) {
		cfg_err_mark(w, m, "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {    /* only a byte offset */
		memset(&m, 0, sizeof(m));
		for (i = 0; i < p->problem_offset && i < w->len; i++) {
			m.column++;
			if (w->buf[i] == '\n') {
				m.line++;
				m.column = 0;
			}
		}
	}
	if (p->context != NULL)
		return cfg_err_mark(w, m, "syntax error: %s (%s at %zu:%zu)", problem,
				    p->context, p->context_mark.line + 1,
				    p->context_mark.column + 1);
	return cfg_err_mark(w, m, "syntax error: %s", problem);
}

/* Reject in the event stream what the document API would hide or resolve. */
static int
cfg_prescan(struct cfg_walk *w)
{
	char s[CFG_SHOW_MAX + 4];
	yaml_char_t *anchor, *tag;
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, docs = 0;
	bool end;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)w->buf, w->len);
	do {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = cfg_syntax_err(w, &p);
			break;
		}
		anchor = tag = NULL;
		if (ev.type == YAML_SCALAR_EVENT) {
			anchor = ev.data.scalar.anchor;
			tag = ev.data.scalar.tag;
		} else if (ev.type == YAML_SEQUENCE_START_EVENT) {
			anchor = ev.data.sequence_start.anchor;
			tag = ev.data.sequence_start.tag;
		} else if (ev.type == YAML_MAPPING_START_EVENT) {
			anchor = ev.data.mapping_start.anchor;
			tag = ev.data.mapping_start.tag;
		}
		if (ev.type == YAML_ALIAS_EVENT)
			rc = cfg_err_mark(w, ev.start_mark, "aliases are not supported");
		else if (anchor != NULL)
			rc = cfg_err_mark(w, ev.start_mark, "anchors are not supported");
		else if (tag != NULL)
			rc = cfg_err_mark(w, ev.start_mark, "tags are not supported ('%s')",
					  cfg_show(tag, strlen((char *)tag), s));
		else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			rc = cfg_err_mark(w, ev.start_mark, "only one YAML document is allowed");
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	} while (rc == 0 && !end);
	yaml_parser_delete(&p);
	return rc;
}

static int
cfg_parse(struct cfg_walk *w, struct cfg *c)
{
	yaml_document_t doc;
	yaml_parser_t p;
	yaml_node_t *root;
	int rc;

	rc = cfg_prescan(w);
	if (rc < 0)
		return rc;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)w->buf, w->len);
	if (!yaml_parser_load(&p, &doc)) {
		rc = cfg_syntax_err(w, &p);
		goto out_parser;
	}
	w->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || cfg_is_null(root)) {
		yaml_mark_t start = { 0, 0, 0 };

		rc = cfg_err_mark(w, root != NULL ? root->start_mark : start,
				  "empty configuration (expected a mapping with 'node' "
				  "and 'dataplane')");
	} else if (root->type != YAML_MAPPING_NODE) {
		rc = cfg_walk_err(w, root, "top level must be a mapping, not a %s",
				  root->type == YAML_SEQUENCE_NODE ? "list" : "scalar");
	} else {
		rc = cfg_walk_map(w, &cfg_schema_root[0], (char *)c, root);
	}
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&p);
	return rc;
}

/* ---- public functions ---- */

__attribute__((format(printf, 3, 4)))
static void
cfg_file_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	cfg_apply_defaults(cfg_schema_root, (char *)c);
}

int
cfg_load_buf(const char *name, const char *buf, size_t len, struct cfg *c,
	     char *err, size_t errlen)
{
	struct cfg_walk w = {
		.name = name, .buf = buf != NULL ? buf : "", .len = buf != NULL ? len : 0,
		.err = err, .errlen = errlen,
	};

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	cfg_defaults(c);
	if (strlen(name) >= sizeof(c->path)) {
		cfg_file_err(err, errlen, "%s: path too long (max %zu bytes)", name,
			     sizeof(c->path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(c->path, name);
	return cfg_parse(&w, c);
}

int
cfg_load(const char *path, struct cfg *c, char *err, size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf, *nbuf;
	ssize_t n;
	int fd, rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		cfg_file_err(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	buf = malloc(cap);
	if (buf == NULL) {
		rc = -ENOMEM;
		cfg_file_err(err, errlen, "%s: out of memory", path);
		goto out_fd;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= CFG_FILE_MAX) {
				rc = -EFBIG;
				cfg_file_err(err, errlen, "%s: file too large (max %d bytes)",
					     path, CFG_FILE_MAX);
				goto out_buf;
			}
			nbuf = realloc(buf, cap * 2);
			if (nbuf == NULL) {
				rc = -ENOMEM;
				cfg_file_err(err, errlen, "%s: out of memory", path);
				goto out_buf;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			cfg_file_err(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
			goto out_buf;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = cfg_load_buf(path, buf, len, c, err, errlen);
out_buf:
	free(buf);
out_fd:
	close(fd);
	return rc;
}
