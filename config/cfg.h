/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict YAML configuration loader (libyaml), shared by every binary.
 *
 * cfg_load() reads the whole document, walks it against the schema table and
 * fills a `struct cfg` with defaults first, so every field has a value. Any
 * problem (syntax, unknown key, duplicate key, wrong type, out of range, missing
 * required key, inconsistent values) is reported as "FILE:LINE:COLUMN: message"
 * with 1-based positions; the first error stops the load. Anchors, aliases,
 * explicit tags and multi-document streams are rejected; integers are plain
 * (unquoted) decimal scalars; strings longer than their field are errors. An
 * empty value (`key:`) of a section or list means "empty". On error *c holds
 * defaults and whatever was read before the error: do not use it.
 */
#ifndef SIPSHARD_CONFIG_CFG_H
#define SIPSHARD_CONFIG_CFG_H

#include <stddef.h>
#include <stdint.h>
#include "cfg_types.h"

/* Load PATH into *c. Returns 0, or -EINVAL (bad content) / -errno (I/O) with a
 * "FILE:LINE:COLUMN: message" (or "FILE: message" for I/O) written to err. */
int cfg_load(const char *path, struct cfg *c, char *err, size_t errlen);

/* The same from a memory buffer; NAME is used as FILE in messages. */
int cfg_load_buf(const char *name, const char *buf, size_t len, struct cfg *c,
		 char *err, size_t errlen);

/* Fill *c with every default (what an empty mapping would give). */
void cfg_defaults(struct cfg *c);

/* The YAML names of the enum values ("?" when out of range). */
const char *cfg_idle_name(enum cfg_idle v);
const char *cfg_lb_algo_name(enum cfg_lb_algo v);
const char *cfg_cluster_mode_name(enum cfg_cluster_mode v);

/* "A.B.C.D:PORT" or "[IPv6]:PORT" (port 1..65535) into *family (AF_INET or
 * AF_INET6), addr (network order, 4 or 16 bytes) and *port (host order).
 * NULL when fine, else why S is wrong. */
const char *cfg_listen_parse(const char *s, int *family, uint8_t addr[16], uint16_t *port);

/* Call FN for every key of the schema, sections and lists included, in table
 * order, with its dotted name ("dataplane.ports[].device") and one-line help. */
typedef void cfg_key_fn(const char *dotted_key, const char *help, void *arg);
void cfg_schema_foreach(cfg_key_fn *fn, void *arg);

#endif /* SIPSHARD_CONFIG_CFG_H */
