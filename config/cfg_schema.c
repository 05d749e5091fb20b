/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration schema: one table row per YAML key (name, field, default,
 * range, help), the parsers of values that are not plain integers or strings,
 * and the cross-field rules. docs/config.md documents every row; the unit test
 * checks that it does, through cfg_schema_foreach().
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"
#include "config/cfg_schema.h"

#define FSIZE(st, f)    sizeof(((st *)0)->f)
#define NITEMS(st, f)   (sizeof(((st *)0)->f) / sizeof(((st *)0)->f[0]))

#define K_UINT(nm, st, f, lo, hi, d, fl, h) \
	{ .name = nm, .kind = CFG_K_UINT, .flags = (fl), .off = offsetof(st, f), \
	  .size = FSIZE(st, f), .min = (lo), .max = (hi), .def = (d), .help = h }
#define K_ENUM(nm, st, f, ch, d, h) \
	{ .name = nm, .kind = CFG_K_ENUM, .off = offsetof(st, f), .size = FSIZE(st, f), \
	  .choices = ch, .def = (d), .help = h }
#define K_STR(nm, st, f, d, fl, fn, h) \
	{ .name = nm, .kind = CFG_K_STR, .flags = (fl), .off = offsetof(st, f), \
	  .size = FSIZE(st, f), .def_str = d, .set = fn, .help = h }
#define K_ITEM_STR(st, f, fl, fn, h) \
	{ .name = "", .kind = CFG_K_STR, .flags = (fl), .off = 0, \
	  .size = FSIZE(st, f[0]), .set = fn, .help = h }
#define K_FN(nm, o, fl, fn, h) \
	{ .name = nm, .kind = CFG_K_FN, .flags = (fl), .off = (o), .set = fn, .help = h }
#define K_MAP(nm, o, fl, keys, chk, h) \
	{ .name = nm, .kind = CFG_K_MAP, .flags = (fl), .off = (o), .sub = keys, \
	  .check = chk, .help = h }
#define K_LIST(nm, st, f, nf, lo, item, fl, h) \
	{ .name = nm, .kind = CFG_K_LIST, .flags = (fl), .off = offsetof(st, f), \
	  .size = sizeof(((st *)0)->f[0]), .n_off = offsetof(st, nf), .min = (lo), \
	  .max = NITEMS(st, f), .sub = item, .help = h }
/* A boolean is an enum of two choices: `false` (0) and `true` (1), into a bool. */
#define K_BOOL(nm, st, f, d, h) K_ENUM(nm, st, f, cfg_bool_names, d, h)
#define K_END { .name = NULL }

#define REQ     CFG_F_REQUIRED
#define U16     65535
#define U31     2147483647
#define U32     4294967295LL

static const char *const cfg_idle_names[] = { "busy", "adaptive", NULL };
static const char *const cfg_algo_names[] = {
	"callid-hash", "weighted", "round-robin", NULL };
static const char *const cfg_mode_names[] = { "full-sharing", "federation", NULL };
static const char *const cfg_bool_names[] = { "false", "true", NULL };
static const char *const cfg_reg_full_names[] = { "reject", "evict-oldest", NULL };
static const char *const cfg_log_level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", NULL };
static const char *const cfg_log_target_names[] = { "stderr", "syslog", NULL };

/* ---- value parsers ---- */

/* Plain decimal without leading zeros, at most MAXD digits; advances *s. */
static int
cfg_dec(const char **s, int maxd, uint64_t *v)
{
	const char *p = *s;
	int n = 0;

	*v = 0;
	while (*p >= '0' && *p <= '9' && n < maxd) {
		*v = *v * 10 + (uint64_t)(*p - '0');
		p++;
		n++;
	}
	if (n == 0 || (n > 1 && **s == '0') || (*p >= '0' && *p <= '9'))
		return -1;
	*s = p;
	return 0;
}

/* "ADDR/P" into ADDR (inet_pton of FAMILY) and *prefix <= MAXP. */
static const char *
cfg_prefix_parse(const char *s, int family, void *addr, uint8_t *prefix,
		 unsigned maxp, const char *bad, const char *range)
{
	char a[64];
	const char *slash = strchr(s, '/'), *p;
	uint64_t v;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(a))
		return bad;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (inet_pton(family, a, addr) != 1)
		return bad;
	p = slash + 1;
	if (cfg_dec(&p, 3, &v) < 0 || *p != '\0')
		return bad;
	if (v > maxp)
		return range;
	*prefix = (uint8_t)v;
	return NULL;
}

const char *
cfg_listen_parse(const char *s, int *family, uint8_t addr[16], uint16_t *port)
{
	const char *colon, *p;
	char a[64];
	uint64_t v;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL || (size_t)(colon - s - 1) >= sizeof(a))
			return "is not ADDR:PORT (A.B.C.D:PORT or [IPv6]:PORT)";
		memcpy(a, s + 1, (size_t)(colon - s - 1));
		a[colon - s - 1] = '\0';
		*family = AF_INET6;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(a))
			return "is not ADDR:PORT (A.B.C.D:PORT or [IPv6]:PORT)";
		memcpy(a, s, (size_t)(colon - s));
		a[colon - s] = '\0';
		*family = AF_INET;
	}
	if (inet_pton(*family, a, addr) != 1)
		return *family == AF_INET ? "has no valid IPv4 address (A.B.C.D:PORT or [IPv6]:PORT)" :
					    "has no valid IPv6 address ([IPv6]:PORT)";
	p = colon + 1;
	if (cfg_dec(&p, 5, &v) < 0 || *p != '\0' || v < 1 || v > 65535)
		return "has a port out of range 1..65535";
	*port = (uint16_t)v;
	return NULL;
}

static const char *
cfg_set_listen(void *field, const char *s)
{
	uint8_t addr[16];
	uint16_t port;
	int family;

	(void)field;
	return cfg_listen_parse(s, &family, addr, &port);
}

static const char *
cfg_set_ipv4(void *field, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return "is not an IPv4 address";
	*(uint32_t *)field = ntohl(a.s_addr);
	return NULL;
}

/* S as an IPv4 or IPv6 unicast address of a link (no multicast, unspecified,
 * loopback, link-local, IPv4-mapped, 0/8, 127/8, 240/4): *v4 (host order, 0 for
 * IPv6) and v6 (network order, all 0 for IPv4). WHAT names the key in errors. */
static const char *
cfg_unicast_addr(const char *s, const char *what, uint32_t *v4, uint8_t v6[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static char err[160];
	struct in6_addr a6;
	struct in_addr a4;
	const char *why = NULL, *must = "must be a unicast address";
	uint32_t h;

	if (inet_pton(AF_INET6, s, &a6) == 1) {
		const uint8_t *b = a6.s6_addr;

		if (b[0] == 0xff)
			why = "is a multicast address";
		else if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_LOOPBACK(&a6))
			why = "is not a unicast address of a link";
		else if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
			why = "is link-local";
			must = "must be a global or unique local unicast address";
		}
		else if (memcmp(b, mapped, sizeof(mapped)) == 0)
			return "is an IPv4-mapped address: write the IPv4 address itself";
		if (why == NULL) {
			memcpy(v6, b, 16);
			*v4 = 0;
			return NULL;
		}
	} else if (inet_pton(AF_INET, s, &a4) != 1) {
		return "is not an IPv4 or IPv6 address";
	} else {
		h = ntohl(a4.s_addr);
		if ((h >> 28) == 0xe)
			why = "is a multicast address";
		else if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) == 0xf)
			why = "is not a unicast address of a link";
		if (why == NULL) {
			*v4 = h;
			memset(v6, 0, 16);
			return NULL;
		}
	}
	snprintf(err, sizeof(err), "%s: %s %s", why, what, must);
	return err;
}

/* tags[].vip: an IPv4 or IPv6 unicast address that follows the tag (ARP and
 * gratuitous ARP, or neighbour discovery and unsolicited neighbour
 * advertisements: dataplane/core/dp_vip.h). field: the struct cfg_tag. */
static const char *
cfg_set_vip(void *field, const char *s)
{
	struct cfg_tag *t = field;

	return cfg_unicast_addr(s, "a tag's vip", &t->vip, t->vip6);
}

/* registrar.nat_ping.source: the address every node sends its pings from (a
 * shared address: docs/cluster.md "Partitioned pinging"). field: the
 * struct cfg_registrar. */
static const char *
cfg_set_ping_source(void *field, const char *s)
{
	struct cfg_registrar *r = field;

	return cfg_unicast_addr(s, "nat_ping.source", &r->ping_source4, r->ping_source6);
}

static const char *
cfg_set_port_ipv4(void *field, const char *s)
{
	struct cfg_port *p = field;
	struct in_addr a;
	const char *why;

	why = cfg_prefix_parse(s, AF_INET, &a, &p->ipv4_prefix, 32,
			       "is not an IPv4 prefix (A.B.C.D/P)",
			       "has a prefix length out of range 0..32");
	if (why == NULL)
		p->ipv4 = ntohl(a.s_addr);
	return why;
}

static const char *
cfg_set_port_ipv6(void *field, const char *s)
{
	struct cfg_port *p = field;
	const char *why;

	why = cfg_prefix_parse(s, AF_INET6, p->ipv6, &p->ipv6_prefix, 128,
			       "is not an IPv6 prefix (ADDR/P)",
			       "has a prefix length out of range 0..128");
	p->has_ipv6 = why == NULL;
	return why;
}

static const char *
cfg_check_uri(void *field, const char *s)
{
	(void)field;
	if ((strncmp(s, "sip:", 4) == 0 && s[4] != '\0') ||
	    (strncmp(s, "sips:", 5) == 0 && s[5] != '\0'))
		return NULL;
	return "is not a SIP URI (sip:... or sips:...)";
}

/* "NAME/CLUSTER" into a tag's name and cluster; the rest of S (at *END) is left
 * to the caller. NULL, or why S is not that. */
static const char *
cfg_tag_name_parse(struct cfg_tag *t, const char *s, const char **end)
{
	const char *p = s;
	uint64_t v;

	while (*p != '\0' && *p != '/' &&
	       ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		(*p >= '0' && *p <= '9') || strchr("-.!%*_+`'~", *p) != NULL))
		p++;
	if (p == s || *p != '/')
		return "is not a tag name (NAME/CLUSTER, NAME of RFC 3261 token characters)";
	if ((size_t)(p - s) >= sizeof(t->name))
		return "has a NAME longer than 63 bytes";
	memcpy(t->name, s, (size_t)(p - s));
	t->name[p - s] = '\0';
	p++;
	if (cfg_dec(&p, 10, &v) < 0)
		return "is not a tag name (NAME/CLUSTER, CLUSTER a decimal number)";
	if (v < 1 || v > U32)
		return "has a cluster id out of range 1..4294967295";
	t->cluster = (uint32_t)v;
	*end = p;
	return NULL;
}

/* The map form's `name: NAME/CLUSTER`. */
static const char *
cfg_set_tag_name(void *field, const char *s)
{
	const char *end, *why = cfg_tag_name_parse(field, s, &end);

	if (why == NULL && *end != '\0')
		return "is not a tag name (NAME/CLUSTER)";
	return why;
}

/* The string form "NAME/CLUSTER=active|backup" of a whole tag (the other keys
 * keep their defaults). */
static const char *
cfg_set_tag_string(void *field, const char *s)
{
	static const char *const bad = "is not a tag (NAME/CLUSTER=active|backup)";
	struct cfg_tag *t = field;
	const char *end, *why = cfg_tag_name_parse(t, s, &end);

	if (why != NULL)
		return strstr(why, "out of range") != NULL ? why : bad;
	if (strcmp(end, "=active") == 0)
		t->state = CFG_TAG_ACTIVE;
	else if (strcmp(end, "=backup") == 0)
		t->state = CFG_TAG_BACKUP;
	else
		return bad;
	return NULL;
}

/* "A.B.C.D/P" or "ADDR6/P" into a struct cfg_cidr (host bits cleared). */
static const char *
cfg_set_cidr(void *field, const char *s)
{
	struct cfg_cidr *c = field;
	const char *why;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (strchr(s, ':') != NULL) {
		c->family = 6;
		why = cfg_prefix_parse(s, AF_INET6, c->addr, &c->prefix, 128,
				       "is not an IP prefix (A.B.C.D/P or ADDR6/P)",
				       "has a prefix length out of range 0..128");
	} else {
		c->family = 4;
		why = cfg_prefix_parse(s, AF_INET, c->addr, &c->prefix, 32,
				       "is not an IP prefix (A.B.C.D/P or ADDR6/P)",
				       "has a prefix length out of range 0..32");
	}
	if (why != NULL)
		return why;
	for (i = 0; i < 16; i++)
		if (i * 8u >= c->prefix)
			c->addr[i] &= i * 8u + 8u <= c->prefix ? 0xff :
				      (uint8_t)(0xff00u >> (c->prefix % 8u));
	return NULL;
}

/* auth.algorithms[]: "SHA-256" or "MD5" (RFC 8760 names). */
static const char *
cfg_set_auth_algo(void *field, const char *s)
{
	if (strcasecmp(s, "SHA-256") == 0)
		*(uint32_t *)field = CFG_AUTH_SHA256;
	else if (strcasecmp(s, "MD5") == 0)
		*(uint32_t *)field = CFG_AUTH_MD5;
	else
		return "is not a digest algorithm (SHA-256 or MD5)";
	return NULL;
}

/* auth.methods[]: the requests that must authenticate. REGISTER gets 401, the
 * others 407 (docs/security.md). */
static const char *
cfg_set_auth_method(void *field, const char *s)
{
	unsigned int i;

	if (strcmp(s, "ACK") == 0 || strcmp(s, "CANCEL") == 0)
		return "cannot be challenged (RFC 3261 section 22.1: ACK and CANCEL are never challenged)";
	for (i = 0; i < CFG_AUTH_N_METHODS; i++)
		if (strcmp(s, cfg_auth_method_name(i)) == 0) {
			*(uint32_t *)field = 1u << i;
			return NULL;
		}
	return "is not a SIP method that can be challenged (REGISTER, INVITE, MESSAGE, SUBSCRIBE, "
	       "NOTIFY, OPTIONS, REFER, PUBLISH, INFO, UPDATE, PRACK, BYE)";
}

/* ---- cross-field rules ---- */

/* auth: present means on; an algorithm at most once. */
static int
cfg_check_auth(struct cfg_walk *w, void *base, yaml_node_t *map)
{
	struct cfg_auth *a = base;
	yaml_node_t *algs = NULL;

	a->enabled = true;
	if (a->n_algorithms == 2 && a->algorithms[0] == a->algorithms[1]) {
		cfg_walk_key(w, map, "algorithms", &algs);
		return cfg_walk_err(w, algs != NULL ? cfg_walk_item(w, algs, 1) : map,
				    "auth.algorithms[1]: the same algorithm twice");
	}
	return 0;
}

static int
cfg_check_registrar(struct cfg_walk *w, void *base, yaml_node_t *map)
{
	struct cfg_registrar *r = base;
	yaml_node_t *kmin = cfg_walk_key(w, map, "min_expires", NULL);
	yaml_node_t *kdef = cfg_walk_key(w, map, "default_expires", NULL);
	yaml_node_t *kmax = cfg_walk_key(w, map, "max_expires", NULL);
	yaml_node_t *at;

	if (r->min_expires > r->default_expires) {
		at = cfg_walk_later(kmin, kdef);
		return cfg_walk_err(w, at ? at : map,
				    "registrar.min_expires (%u) must be <= "
				    "registrar.default_expires (%u)",
				    r->min_expires, r->default_expires);
	}
	if (r->default_expires > r->max_expires) {
		at = cfg_walk_later(kdef, kmax);
		return cfg_walk_err(w, at ? at : map,
				    "registrar.default_expires (%u) must be <= "
				    "registrar.max_expires (%u)",
				    r->default_expires, r->max_expires);
	}
	return 0;
}

static int
cfg_check_cluster(struct cfg_walk *w, void *base, yaml_node_t *map)
{
	struct cfg_cluster *cl = base;
	yaml_node_t *at;

	cl->enabled = true;
	cl->join_from_set = cfg_walk_key(w, map, "join_from", &at) != NULL;
	for (int i = 0; i < cl->n_join_from; i++)
		if (cl->join_from[i].family != 4)
			return cfg_walk_err(w, cfg_walk_item(w, at, i) ? cfg_walk_item(w, at, i) : map,
					    "cluster.join_from: the cluster bus is IPv4: IPv4 prefixes only");
	if (cl->node_timeout_ms <= cl->ping_interval_ms) {
		at = cfg_walk_later(cfg_walk_key(w, map, "ping_interval_ms", NULL),
				    cfg_walk_key(w, map, "node_timeout_ms", NULL));
		return cfg_walk_err(w, at ? at : map,
				    "cluster.node_timeout_ms (%u) must be > "
				    "cluster.ping_interval_ms (%u)",
				    cl->node_timeout_ms, cl->ping_interval_ms);
	}
	return 0;
}

/* proxy.default_set, when given, names one of backends[].set. */
static int
cfg_check_proxy_set(struct cfg_walk *w, struct cfg *c, yaml_node_t *root)
{
	yaml_node_t *px = NULL, *val = NULL;
	int i;

	cfg_walk_key(w, root, "proxy", &px);
	if (cfg_walk_key(w, px, "default_set", &val) == NULL || val == NULL)
		return 0;
	for (i = 0; i < c->n_sets; i++)
		if (c->sets[i].set == c->proxy.default_set)
			return 0;
	return cfg_walk_err(w, val, "proxy.default_set (%u) names no backends[].set",
			    c->proxy.default_set);
}

/* Each tag (NAME/CLUSTER) at most once. */
static int
cfg_check_tags_unique(struct cfg_walk *w, struct cfg *c, yaml_node_t *root)
{
	yaml_node_t *tags = NULL;
	int i, j;

	for (i = 1; i < c->n_tags; i++)
		for (j = 0; j < i; j++) {
			if (c->tags[i].cluster != c->tags[j].cluster ||
			    strcmp(c->tags[i].name, c->tags[j].name) != 0)
				continue;
			cfg_walk_key(w, root, "tags", &tags);
			return cfg_walk_err(w, tags != NULL ? cfg_walk_item(w, tags, i) : root,
					    "tags[%d]: %s/%u is already tags[%d]", i,
					    c->tags[i].name, c->tags[i].cluster, j);
		}
	return 0;
}

/* default_tag: one of `tags` when this node lists any (a node that lists none
 * learns the tags, the default among them, from its peers). */
static int
cfg_check_default_tag(struct cfg_walk *w, struct cfg *c, yaml_node_t *root)
{
	yaml_node_t *val = NULL;
	int i;

	if (c->default_tag.cluster == 0 || c->n_tags == 0)
		return 0;
	for (i = 0; i < c->n_tags; i++)
		if (c->tags[i].cluster == c->default_tag.cluster &&
		    strcmp(c->tags[i].name, c->default_tag.name) == 0)
			return 0;
	cfg_walk_key(w, root, "default_tag", &val);
	return cfg_walk_err(w, val != NULL ? val : root, "default_tag: %s/%u is not one of tags",
			    c->default_tag.name, c->default_tag.cluster);
}

/* An IPv6 vip needs a port with IPv6: it is answered on the port whose prefix
 * holds it (dataplane/core/dp_vip.h); without one nothing could answer it. */
static int
cfg_check_tag_vip6(struct cfg_walk *w, struct cfg *c, yaml_node_t *root)
{
	static const uint8_t none[16];
	yaml_node_t *tags = NULL, *val = NULL;
	char a[64];
	int i, p;

	for (p = 0; p < c->dp.n_ports; p++)
		if (c->dp.ports[p].has_ipv6)
			return 0;
	for (i = 0; i < c->n_tags; i++) {
		if (memcmp(c->tags[i].vip6, none, sizeof(none)) == 0)
			continue;
		cfg_walk_key(w, root, "tags", &tags);
		cfg_walk_key(w, cfg_walk_item(w, tags, i), "vip", &val);
		inet_ntop(AF_INET6, c->tags[i].vip6, a, sizeof(a));
		return cfg_walk_err(w, val != NULL ? val : root,
				    "tags[%d].vip: '%s' is an IPv6 address but no dataplane port has an ipv6 address",
				    i, a);
	}
	return 0;
}

/* Rules across sections, once the whole document is read. */
static int
cfg_check_root(struct cfg_walk *w, void *base, yaml_node_t *root)
{
	struct cfg *c = base;
	yaml_node_t *sip = NULL, *cl = NULL, *node = NULL, *nodes = NULL, *at;
	yaml_node_t *kid;
	int i;

	i = cfg_check_proxy_set(w, c, root);
	if (i == 0)
		i = cfg_check_default_tag(w, c, root);
	if (i == 0)
		i = cfg_check_tags_unique(w, c, root);
	if (i == 0)
		i = cfg_check_tag_vip6(w, c, root);
	if (i == 0 && c->reg.tag.cluster != 0) {
		char t[96];
		yaml_node_t *reg = NULL;

		if (snprintf(t, sizeof(t), "%s/%u", c->reg.tag.name, c->reg.tag.cluster) > 31) {
			cfg_walk_key(w, root, "registrar", &reg);
			i = cfg_walk_err(w, cfg_walk_key(w, reg, "tag", NULL) ?: root,
					 "registrar.tag: '%s' is longer than 31 bytes (it travels with every binding)",
					 t);
		}
	}
	if (i == 0 && c->reg.snapshot_path[0] != '\0' &&
	    (!c->cluster.enabled || c->cluster.mode != CFG_MODE_FULL_SHARING)) {
		yaml_node_t *reg = NULL;

		cfg_walk_key(w, root, "registrar", &reg);
		i = cfg_walk_err(w, cfg_walk_key(w, reg, "snapshot", NULL) ?: root,
				 "registrar.snapshot needs a cluster section in mode full-sharing (it is written and loaded by the replication of sipshard-cp)");
	}
	if (i != 0)
		return i;
	if (!c->cluster.enabled)
		return 0;
	cfg_walk_key(w, root, "sip", &sip);
	cfg_walk_key(w, root, "cluster", &cl);
	cfg_walk_key(w, root, "node", &node);
	if (c->cluster.port_index >= (uint32_t)c->dp.n_ports)
		return cfg_walk_err(w, cfg_walk_key(w, cl, "port_index", NULL),
				    "cluster.port_index (%u) names no port: dataplane.ports has %d",
				    c->cluster.port_index, c->dp.n_ports);
	if (c->cluster.port == c->sip.port) {
		at = cfg_walk_later(cfg_walk_key(w, sip, "port", NULL),
				    cfg_walk_key(w, cl, "port", NULL));
		return cfg_walk_err(w, at ? at : root,
				    "cluster.port (%u) must differ from sip.port (%u)",
				    c->cluster.port, c->sip.port);
	}
	cfg_walk_key(w, cl, "nodes", &nodes);
	kid = cfg_walk_key(w, node, "id", NULL);
	for (i = 0; i < c->cluster.n_nodes; i++) {
		if (c->cluster.nodes[i].id != c->node_id)
			continue;
		at = cfg_walk_later(kid, cfg_walk_key(w, cfg_walk_item(w, nodes, i),
						       "id", NULL));
		return cfg_walk_err(w, at ? at : root,
				    "cluster.nodes[%d].id (%u) must differ from node.id",
				    i, c->node_id);
	}
	return 0;
}

/* A net_memif port carries a frame larger than one memif buffer (its `bsize`,
 * 2048 by default) in several buffers, and DPDK 22.11's memif receive does not
 * hand such frames on whole: with MTU 9000 and 2048-byte buffers a receiver saw
 * 26 packets per datagram sent (docs/dataplane.md "Ports"). The MTU's frame
 * (Ethernet header included) must fit one buffer. */
static int
cfg_check_port(struct cfg_walk *w, void *base, yaml_node_t *map)
{
	const struct cfg_port *p = base;
	const char *b;
	unsigned long bsize = 2048;
	yaml_node_t *at;

	if (strncmp(p->device, "net_memif", 9) != 0)
		return 0;
	b = strstr(p->device, ",bsize=");
	if (b != NULL)
		bsize = strtoul(b + 7, NULL, 0);
	if ((unsigned long)p->mtu + 14 <= bsize)
		return 0;
	at = cfg_walk_key(w, map, "mtu", NULL);
	return cfg_walk_err(w, at != NULL ? at : map,
			    "dataplane.ports: mtu %u on net_memif needs memif buffers of at least "
			    "%u bytes: add ,bsize=%u (or more) to the device (it has %lu)",
			    p->mtu, p->mtu + 14u, p->mtu + 14u, bsize);
}

/* ---- the schema ---- */

static const struct cfg_key cfg_node_keys[] = {
	K_UINT("id", struct cfg, node_id, 1, U16, 0, REQ,
	       "this node's id, unique in the cluster"),
	K_END
};

static const struct cfg_key cfg_eal_item =
	K_ITEM_STR(struct cfg_dataplane, eal, 0, NULL, "an EAL argument");

static const struct cfg_key cfg_port_keys[] = {
	K_STR("device", struct cfg_port, device, NULL, REQ, NULL,
	      "DPDK vdev string or PCI address"),
	K_FN("ipv4", 0, REQ, cfg_set_port_ipv4,
	     "IPv4 address and prefix length of the port, A.B.C.D/P"),
	K_FN("ipv6", 0, 0, cfg_set_port_ipv6,
	     "IPv6 address and prefix length of the port, ADDR/P"),
	K_UINT("mtu", struct cfg_port, mtu, 576, 9000, 1500, 0, "IP MTU of the port"),
	K_END
};

static const struct cfg_key cfg_port_item =
	K_MAP("", 0, 0, cfg_port_keys, cfg_check_port, "a port");

static const struct cfg_key cfg_dp_keys[] = {
	K_STR("file_prefix", struct cfg_dataplane, file_prefix, "sipshard", 0, NULL,
	      "DPDK --file-prefix shared by the dp and cp of a node"),
	K_LIST("eal", struct cfg_dataplane, eal, n_eal, 0, &cfg_eal_item, 0,
	       "EAL arguments (those after -- on the command line are appended)"),
	K_UINT("workers", struct cfg_dataplane, workers, 1, CFG_MAX_WORKERS, 1, 0,
	       "worker lcores, one registration shard each"),
	K_ENUM("idle", struct cfg_dataplane, idle, cfg_idle_names, CFG_IDLE_ADAPTIVE,
	       "busy polls always; adaptive polls, pauses, sleeps only after 1 ms idle"),
	K_LIST("ports", struct cfg_dataplane, ports, n_ports, 1, &cfg_port_item, REQ,
	       "the network ports"),
	K_UINT("mbufs", struct cfg_dataplane, mbufs, 0, 1048575, 0, 0,
	       "mbufs in the packet pool; 0 sizes it from ports, queues and descriptors (at least 8191)"),
	K_UINT("mbuf_size", struct cfg_dataplane, mbuf_size, 2176, 65535, 2176, 0,
	       "data room of each mbuf (128 B headroom included); on net_af_packet ports it also sets the largest datagram received whole"),
	K_UINT("rx_desc", struct cfg_dataplane, rx_desc, 64, 16384, 1024, CFG_F_POW2,
	       "RX descriptors per queue"),
	K_UINT("tx_desc", struct cfg_dataplane, tx_desc, 64, 16384, 1024, CFG_F_POW2,
	       "TX descriptors per queue"),
	K_UINT("frag_max_flows", struct cfg_dataplane, frag_max_flows, 16, 65536, 1024,
	       0, "IPv4 reassembly table size per worker"),
	K_UINT("frag_timeout_ms", struct cfg_dataplane, frag_timeout_ms, 100, 60000,
	       2000, 0, "IPv4 reassembly timeout"),
	K_UINT("ring_size", struct cfg_dataplane, ring_size, 64, 1048576, 1024,
	       CFG_F_POW2, "size of each inter-lcore ring"),
	K_END
};

static const struct cfg_key cfg_domain_item =
	K_ITEM_STR(struct cfg_sip, domains, CFG_F_LOWER, NULL, "a domain");

static const struct cfg_key cfg_sip_keys[] = {
	K_UINT("port", struct cfg_sip, port, 1, U16, 5060, 0, "UDP port of SIP"),
	K_LIST("domains", struct cfg_sip, domains, n_domains, 0, &cfg_domain_item, 0,
	       "domains whose users register here (lower-cased)"),
	K_END
};

static const char *const cfg_ping_method_names[] = { "options", "crlf", NULL };
static const char *const cfg_ping_mode_names[] = { "cooperation", "ownership", NULL };

static const char *cfg_set_tag_name(void *field, const char *s);

/* registrar.nat_ping is present: pinging is on. */
static int
cfg_check_nat_ping(struct cfg_walk *w, void *base, yaml_node_t *map)
{
	(void)w;
	(void)map;
	((struct cfg_registrar *)base)->ping = true;
	return 0;
}

static const struct cfg_key cfg_nat_ping_keys[] = {
	K_UINT("interval_s", struct cfg_registrar, ping_interval_s, 1, 3600, 30, 0,
	       "each contact is pinged once per interval by the whole cluster, seconds"),
	K_ENUM("method", struct cfg_registrar, ping_method, cfg_ping_method_names,
	       CFG_PING_OPTIONS, "OPTIONS (answered, counted) or a CRLF keepalive"),
	K_ENUM("mode", struct cfg_registrar, ping_mode, cfg_ping_mode_names,
	       CFG_PING_COOPERATION,
	       "who pings a contact: rendezvous over the up, synced nodes, or its tag's holder"),
	K_UINT("max_failures", struct cfg_registrar, ping_max_failures, 0, 15, 0, 0,
	       "unanswered OPTIONS pings in a row that remove the binding everywhere; 0 never"),
	K_FN("source", 0, 0, cfg_set_ping_source,
	     "address every node sends its pings from (a shared address the phones registered "
	     "to; the replies reaching another node are relayed to the pinging one) [none: "
	     "the node's own, or the VIP a binding arrived on]"),
	K_END
};

static const struct cfg_key cfg_snapshot_keys[] = {
	K_STR("path", struct cfg_registrar, snapshot_path, NULL, REQ, NULL,
	      "file of the bindings snapshot (written to PATH.tmp, then renamed)"),
	K_UINT("interval_s", struct cfg_registrar, snapshot_interval_s, 1, 86400, 60, 0,
	       "a snapshot is written this often, and when sipshard-cp stops cleanly"),
	K_END
};

static const struct cfg_key cfg_reg_keys[] = {
	K_UINT("default_expires", struct cfg_registrar, default_expires, 1, U31, 3600, 0,
	       "expiry granted when a REGISTER asks none, seconds"),
	K_UINT("min_expires", struct cfg_registrar, min_expires, 1, U31, 60, 0,
	       "shortest expiry accepted (423 below), seconds"),
	K_UINT("max_expires", struct cfg_registrar, max_expires, 1, U31, 7200, 0,
	       "longest expiry granted, seconds"),
	K_UINT("max_contacts", struct cfg_registrar, max_contacts, 1, 1000, 10, 0,
	       "contacts per address of record"),
	K_ENUM("max_contacts_policy", struct cfg_registrar, max_contacts_policy,
	       cfg_reg_full_names, CFG_REG_FULL_REJECT,
	       "a new contact over max_contacts: reject with 503, or evict the oldest binding"),
	K_UINT("foreign_domain_status", struct cfg_registrar, foreign_domain_status, 403, 404,
	       403, 0, "response to a REGISTER whose To domain is not in sip.domains"),
	K_UINT("max_aors", struct cfg_registrar, max_aors, 16, 8388608, 65536, 0,
	       "addresses of record per shard (AoR table size)"),
	K_UINT("max_bindings", struct cfg_registrar, max_bindings, 16, 16777216, 131072, 0,
	       "bindings (contacts) per shard (pool size)"),
	K_FN("tag", offsetof(struct cfg_registrar, tag), 0, cfg_set_tag_name,
	     "NAME/CLUSTER: the sharing tag of the bindings saved at this node"),
	K_MAP("nat_ping", 0, 0, cfg_nat_ping_keys, cfg_check_nat_ping,
	      "NAT keepalive pinging of the registered contacts (absent: none)"),
	K_MAP("snapshot", 0, 0, cfg_snapshot_keys, NULL,
	      "snapshots of the bindings to a file, loaded at start (absent: none; needs a full-sharing cluster)"),
	K_UINT("max_bindings_per_source", struct cfg_registrar, max_bindings_per_source, 0,
	       16777216, 0, 0, "bindings one source address may hold in each shard (403 over); 0: no cap"),
	K_END
};

static const struct cfg_key cfg_probe_keys[] = {
	K_UINT("interval_ms", struct cfg_backend_set, probe_interval_ms, 50, 600000, 1000,
	       0, "OPTIONS probe period"),
	K_UINT("threshold", struct cfg_backend_set, probe_threshold, 1, 100, 3, 0,
	       "probes in a row that change a member's state"),
	K_END
};

static const struct cfg_key cfg_member_keys[] = {
	K_STR("uri", struct cfg_member, uri, NULL, REQ, cfg_check_uri,
	      "SIP URI of the member (sip: or sips:)"),
	K_UINT("weight", struct cfg_member, weight, 0, 1000, 1, 0,
	       "relative weight (0: never chosen)"),
	K_END
};

static const struct cfg_key cfg_member_item =
	K_MAP("", 0, 0, cfg_member_keys, NULL, "a member");

static const struct cfg_key cfg_set_keys[] = {
	K_UINT("set", struct cfg_backend_set, set, 1, U16, 0, REQ | CFG_F_UNIQUE,
	       "set number, unique"),
	K_ENUM("algorithm", struct cfg_backend_set, algorithm, cfg_algo_names,
	       CFG_LB_CALLID_HASH, "how a member is chosen"),
	K_MAP("probe", 0, 0, cfg_probe_keys, NULL, "health probing of the members"),
	K_FN("tag", offsetof(struct cfg_backend_set, tag), 0, cfg_set_tag_name,
	     "NAME/CLUSTER: only the node holding this sharing tag probes the set (absent: the first tag)"),
	K_LIST("members", struct cfg_backend_set, members, n_members, 1, &cfg_member_item,
	       REQ, "the members of the set"),
	K_END
};

static const struct cfg_key cfg_set_item =
	K_MAP("", 0, 0, cfg_set_keys, NULL, "a backend set");

static const struct cfg_key cfg_cidr_item =
	K_FN("", 0, 0, cfg_set_cidr, "an IP prefix A.B.C.D/P or ADDR6/P");

static const struct cfg_key cfg_proxy_keys[] = {
	K_BOOL("record_route", struct cfg_proxy, record_route, 0,
	       "add Record-Route <sip:ADDR:PORT;lr> so in-dialog requests come back through us"),
	K_UINT("default_set", struct cfg_proxy, default_set, 1, U16, 1, 0,
	       "backend set of the requests that no Route, binding or dialog routes"),
	K_LIST("allowed_destinations", struct cfg_proxy, allowed, n_allowed, 0, &cfg_cidr_item, 0,
	       "IP prefixes a Route or an in-dialog Request-URI may send to, besides backends and bindings"),
	K_END
};

static const struct cfg_key cfg_peer_keys[] = {
	K_UINT("id", struct cfg_peer, id, 1, U16, 0, REQ | CFG_F_UNIQUE,
	       "node id of the peer, unique, not this node's"),
	K_FN("address", offsetof(struct cfg_peer, address), REQ, cfg_set_ipv4,
	     "IPv4 address of the peer"),
	K_END
};

static const struct cfg_key cfg_peer_item =
	K_MAP("", 0, 0, cfg_peer_keys, NULL, "a peer");

static const struct cfg_key cfg_seed_item =
	K_FN("", 0, 0, cfg_set_ipv4, "a seed address");

static const char *const cfg_fed_route_names[] = { "forward", "redirect", NULL };
static const char *const cfg_fed_down_names[] = { "480", "503", "404", NULL };

static const struct cfg_key cfg_fed_keys[] = {
	K_ENUM("route", struct cfg_cluster, fed_route, cfg_fed_route_names, CFG_FED_FORWARD,
	       "a request for a user homed on another node: forwarded there, or 302 to it"),
	K_ENUM("home_down", struct cfg_cluster, fed_home_down, cfg_fed_down_names,
	       CFG_FED_DOWN_480, "answer for a user whose home node is down"),
	K_UINT("directory_size", struct cfg_cluster, fed_directory, 0, 33554432, 0, 0,
	       "directory entries per shard (AoRs of the whole cluster); 0: 4 x max_aors"),
	K_END
};

static const struct cfg_key cfg_cluster_keys[] = {
	K_UINT("id", struct cfg_cluster, id, 1, U32, 0, REQ, "cluster id"),
	K_UINT("port", struct cfg_cluster, port, 1, U16, 5800, 0,
	       "UDP port of the cluster bus, not sip.port"),
	K_STR("key_file", struct cfg_cluster, key_file, NULL, REQ, NULL,
	      "file holding the shared key of the cluster bus"),
	K_STR("incarnation_file", struct cfg_cluster, incarnation_file, NULL, 0, NULL,
	      "file keeping the last incarnation, so that a new one is always larger"),
	K_LIST("nodes", struct cfg_cluster, nodes, n_nodes, 0, &cfg_peer_item, 0,
	       "static peers"),
	K_LIST("seeds", struct cfg_cluster, seeds, n_seeds, 0, &cfg_seed_item, 0,
	       "IPv4 addresses of members to join through"),
	K_UINT("ping_interval_ms", struct cfg_cluster, ping_interval_ms, 10, 60000, 200,
	       0, "period of the pings to each peer"),
	K_UINT("node_timeout_ms", struct cfg_cluster, node_timeout_ms, 50, 600000, 900,
	       0, "silence after which a peer is down, > ping_interval_ms"),
	K_ENUM("mode", struct cfg_cluster, mode, cfg_mode_names, CFG_MODE_FULL_SHARING,
	       "how the nodes of the cluster share registrations"),
	K_UINT("port_index", struct cfg_cluster, port_index, 0, CFG_MAX_PORTS - 1, 0, 0,
	       "which dataplane.ports entry carries the cluster bus"),
	K_UINT("tombstone_s", struct cfg_cluster, tombstone_s, 1, 86400, 600, 0,
	       "seconds a deleted binding's tombstone is kept"),
	K_UINT("digest_interval_ms", struct cfg_cluster, digest_interval_ms, 100, 3600000,
	       2000, 0, "period of the anti-entropy digest comparison with each peer"),
	K_LIST("join_from", struct cfg_cluster, join_from, n_join_from, 0, &cfg_cidr_item, 0,
	       "IPv4 prefixes a node not yet known may join from (absent: the cluster port's subnet; [] none)"),
	K_UINT("source_pps", struct cfg_cluster, source_pps, 100, 10000000, 200000, 0,
	       "cluster-port datagrams per second accepted from one known node, per lcore"),
	K_UINT("source_burst", struct cfg_cluster, source_burst, 10, 1000000, 20000, 0,
	       "datagrams one known node may send at once above source_pps, per lcore"),
	K_END
};

static const char *const cfg_tag_state_names[] = { "backup", "active", NULL };
static const char *const cfg_tag_failover_names[] = { "manual", "auto", NULL };

static const struct cfg_key cfg_tag_keys[] = {
	K_FN("name", 0, REQ, cfg_set_tag_name, "NAME/CLUSTER of the tag"),
	K_ENUM("state", struct cfg_tag, state, cfg_tag_state_names, CFG_TAG_BACKUP,
	       "state at start, until the cluster says who holds the tag"),
	K_ENUM("failover", struct cfg_tag, failover, cfg_tag_failover_names, CFG_TAG_MANUAL,
	       "auto: the best surviving candidate claims the tag when its holder is down"),
	K_UINT("priority", struct cfg_tag, priority, 0, 255, 0, 0,
	       "rank of this node among the candidates (higher first, then node id)"),
	K_BOOL("preempt", struct cfg_tag, preempt, 0,
	       "claim the tag back from a holder of lower priority when this node comes up"),
	K_FN("vip", 0, 0, cfg_set_vip,
	     "IPv4 or IPv6 address that follows the tag (answered only where it is active)"),
	K_END
};

/* A list item that is a mapping, or a string parsed by `set` (the short form). */
static const struct cfg_key cfg_tag_item = {
	.name = "", .kind = CFG_K_MAP, .off = 0, .sub = cfg_tag_keys,
	.set = cfg_set_tag_string, .help = "a tag" };


static const struct cfg_key cfg_auth_algo_item =
	K_FN("", 0, 0, cfg_set_auth_algo, "SHA-256 or MD5");
static const struct cfg_key cfg_auth_method_item =
	K_FN("", 0, 0, cfg_set_auth_method, "a method (REGISTER, INVITE, MESSAGE, ...)");

static const struct cfg_key cfg_auth_keys[] = {
	K_STR("realm", struct cfg_auth, realm, NULL, REQ, NULL,
	      "realm of the challenges and of the subscribers file lines used"),
	K_STR("subscribers_file", struct cfg_auth, subscribers_file, NULL, REQ, NULL,
	      "htdigest file user:realm:md5-HA1[:sha256-HA1], re-read by sipshardctl auth reload"),
	K_LIST("algorithms", struct cfg_auth, algorithms, n_algorithms, 1, &cfg_auth_algo_item,
	       0, "digest algorithms offered, in this order (default SHA-256, MD5)"),
	K_UINT("nonce_ttl_s", struct cfg_auth, nonce_ttl_s, 1, 86400, 30, 0,
	       "lifetime of a nonce; an older one gets 401 with stale=true, seconds"),
	K_LIST("methods", struct cfg_auth, methods, n_methods, 1, &cfg_auth_method_item, 0,
	       "requests that must authenticate: REGISTER (401), others (407) from untrusted sources"),
	K_LIST("trusted", struct cfg_auth, trusted, n_trusted, 0, &cfg_cidr_item, 0,
	       "IP prefixes whose requests are not challenged"),
	K_END
};

/* limits: present means on. */
static int
cfg_check_limits(struct cfg_walk *w, void *base, yaml_node_t *map)
{
	(void)w;
	(void)map;
	((struct cfg_limits *)base)->enabled = true;
	return 0;
}

static const struct cfg_key cfg_limits_keys[] = {
	K_UINT("per_source_pps", struct cfg_limits, per_source_pps, 1, 10000000, 200, 0,
	       "SIP datagrams per second a source may send (per worker), sustained"),
	K_UINT("burst", struct cfg_limits, burst, 1, 10000000, 400, 0,
	       "datagrams a source may send at once (its bucket)"),
	K_UINT("block_s", struct cfg_limits, block_s, 1, 86400, 30, 0,
	       "seconds a source that exceeded its bucket is dropped"),
	K_END
};

static const struct cfg_key cfg_admin_keys[] = {
	K_STR("socket", struct cfg, admin_socket, "/run/sipshard/sipshard.sock", 0, NULL,
	      "path of the admin socket served by sipshard-cp"),
	K_STR("group", struct cfg, admin_group, NULL, 0, NULL,
	      "group allowed on the admin socket besides root (absent: root only)"),
	K_STR("metrics_listen", struct cfg, metrics_listen, NULL, 0, cfg_set_listen,
	      "address and port of the Prometheus /metrics endpoint of sipshard-cp (absent: off)"),
	K_END
};

static const struct cfg_key cfg_log_keys[] = {
	K_ENUM("level", struct cfg_log, level, cfg_log_level_names, CFG_LOG_INFO,
	       "the least severe messages written (syslog levels)"),
	K_ENUM("target", struct cfg_log, target, cfg_log_target_names, CFG_LOG_STDERR,
	       "stderr (one line per event; journald under systemd) or syslog (facility daemon)"),
	K_END
};

static const struct cfg_key cfg_root_keys[] = {
	K_MAP("node", 0, REQ, cfg_node_keys, NULL, "this node"),
	K_MAP("dataplane", offsetof(struct cfg, dp), REQ, cfg_dp_keys, NULL,
	      "the DPDK dataplane"),
	K_MAP("sip", offsetof(struct cfg, sip), 0, cfg_sip_keys, NULL, "SIP service"),
	K_MAP("registrar", offsetof(struct cfg, reg), 0, cfg_reg_keys, cfg_check_registrar,
	      "the registrar"),
	K_LIST("backends", struct cfg, sets, n_sets, 0, &cfg_set_item, 0,
	       "backend sets that requests are proxied to"),
	K_MAP("proxy", offsetof(struct cfg, proxy), 0, cfg_proxy_keys, NULL,
	      "the stateless proxy"),
	K_MAP("cluster", offsetof(struct cfg, cluster), 0, cfg_cluster_keys,
	      cfg_check_cluster, "the cluster (absent: single node)"),
	K_MAP("federation", offsetof(struct cfg, cluster), 0, cfg_fed_keys, NULL,
	      "cluster.mode federation: routing to a user's home node"),
	K_LIST("tags", struct cfg, tags, n_tags, 0, &cfg_tag_item, 0,
	       "sharing tags: NAME/CLUSTER=active|backup, or the map form"),
	K_FN("default_tag", offsetof(struct cfg, default_tag), 0, cfg_set_tag_name,
	     "NAME/CLUSTER: the tag of untagged work (bindings, backend sets); absent: the first of tags"),
	K_MAP("admin", 0, 0, cfg_admin_keys, NULL, "the admin interface"),
	K_MAP("log", offsetof(struct cfg, log), 0, cfg_log_keys, NULL,
	      "logging of sipshard-dp and sipshard-cp"),
	K_MAP("auth", offsetof(struct cfg, auth), 0, cfg_auth_keys, cfg_check_auth,
	      "digest authentication of REGISTER (absent: none)"),
	K_MAP("limits", offsetof(struct cfg, limits), 0, cfg_limits_keys, cfg_check_limits,
	      "per-source flood protection (absent: none)"),
	K_END
};

const struct cfg_key cfg_schema_root[] = {
	K_MAP("", 0, 0, cfg_root_keys, cfg_check_root, "the configuration"),
	K_END
};

/* ---- public functions ---- */

static const char *
cfg_choice(const char *const *names, size_t n, unsigned v)
{
	return v < n - 1 ? names[v] : "?";
}

const char *
cfg_idle_name(enum cfg_idle v)
{
	return cfg_choice(cfg_idle_names, sizeof(cfg_idle_names) / sizeof(char *), v);
}

const char *
cfg_lb_algo_name(enum cfg_lb_algo v)
{
	return cfg_choice(cfg_algo_names, sizeof(cfg_algo_names) / sizeof(char *), v);
}

const char *
cfg_cluster_mode_name(enum cfg_cluster_mode v)
{
	return cfg_choice(cfg_mode_names, sizeof(cfg_mode_names) / sizeof(char *), v);
}

static void
cfg_foreach_in(const struct cfg_key *keys, char *path, size_t plen, size_t cap,
	       cfg_key_fn *fn, void *arg)
{
	const struct cfg_key *k;
	int n;

	for (k = keys; k->name != NULL; k++) {
		n = snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", k->name);
		if (n < 0 || (size_t)n >= cap - plen)
			continue;
		fn(path, k->help, arg);
		if (k->kind == CFG_K_MAP)
			cfg_foreach_in(k->sub, path, plen + (size_t)n, cap, fn, arg);
		else if (k->kind == CFG_K_LIST && k->sub->kind == CFG_K_MAP &&
			 plen + (size_t)n + 2 < cap) {
			strcpy(path + plen + n, "[]");
			cfg_foreach_in(k->sub->sub, path, plen + (size_t)n + 2, cap, fn, arg);
		}
		path[plen] = '\0';
	}
}

void
cfg_schema_foreach(cfg_key_fn *fn, void *arg)
{
	char path[128] = "";

	cfg_foreach_in(cfg_schema_root[0].sub, path, 0, sizeof(path), fn, arg);
}
