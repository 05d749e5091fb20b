/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration schema, private to config/.
 *
 * The schema is a tree of `struct cfg_key` tables (cfg_schema.c): a mapping key
 * points to the NULL-terminated table of its children, a list key to the one key
 * that describes each item. Every key names a field by its offset in the struct
 * of the enclosing level (a mapping's own offset moves the base for its children,
 * a list's offset is its array and `n_off` its count), with its default, range
 * and one-line help. The walker (cfg.c) is the only code that reads YAML: it
 * applies the table to the document, and calls the `set` hook of a key for
 * values that need parsing (addresses, tags) and the `check` hook of a mapping
 * once it is complete (cross-field rules). Hooks report through cfg_walk_err().
 */
#ifndef SIPSHARD_CONFIG_CFG_SCHEMA_H
#define SIPSHARD_CONFIG_CFG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

enum cfg_kind {
	CFG_K_MAP,      /* mapping: children in `sub` */
	CFG_K_LIST,     /* sequence of `sub[0]`, `min`..`max` items, stride `size` */
	CFG_K_UINT,     /* unsigned integer of `size` bytes in `min`..`max` */
	CFG_K_ENUM,     /* one of `choices`, stored as an enum */
	CFG_K_STR,      /* char[`size`], then validated by `set` if any */
	CFG_K_FN,       /* string parsed into the field by `set` */
};

#define CFG_F_REQUIRED  0x01    /* no default: the key must be present */
#define CFG_F_POW2      0x02    /* integer must be a power of 2 */
#define CFG_F_LOWER     0x04    /* string is lower-cased */
#define CFG_F_UNIQUE    0x08    /* integer unique among the items of the list */

struct cfg_walk;

/* Parse or validate S into FIELD; NULL when fine, else why S is wrong ("is not..."). */
typedef const char *cfg_set_fn(void *field, const char *s);
/* Cross-field rules of a complete mapping at BASE; 0 or cfg_walk_err(). */
typedef int cfg_check_fn(struct cfg_walk *w, void *base, yaml_node_t *map);

struct cfg_key {
	const char *name;               /* NULL ends a table; "" for a list item */
	enum cfg_kind kind;
	unsigned flags;                 /* CFG_F_* */
	size_t off;                     /* field offset in the enclosing struct */
	size_t size;                    /* UINT/ENUM width, STR capacity, LIST stride */
	size_t n_off;                   /* LIST: offset of its int count */
	int64_t min, max;               /* UINT range, LIST item count */
	int64_t def;                    /* UINT default, ENUM default index */
	const char *def_str;            /* STR default */
	const char *const *choices;     /* ENUM names, NULL-terminated */
	const struct cfg_key *sub;      /* MAP children, LIST item */
	cfg_set_fn *set;
	cfg_check_fn *check;            /* MAP only */
	const char *help;
};

extern const struct cfg_key cfg_schema_root[];

/* Walker services for the hooks (cfg.c). */
int cfg_walk_err(struct cfg_walk *w, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The key node of KEY in MAP (value in *val), or NULL when absent or not a map. */
yaml_node_t *cfg_walk_key(struct cfg_walk *w, yaml_node_t *map, const char *key,
			  yaml_node_t **val);
/* Item I of the sequence SEQ, or NULL. */
yaml_node_t *cfg_walk_item(struct cfg_walk *w, yaml_node_t *seq, int i);
/* Of two key nodes, the one later in the document (either may be NULL). */
yaml_node_t *cfg_walk_later(yaml_node_t *a, yaml_node_t *b);

#endif /* SIPSHARD_CONFIG_CFG_SCHEMA_H */
