/* SPDX-License-Identifier: BSD-3-Clause */
/* Checks of a loaded configuration against this machine. See cfg_machine.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config/cfg_machine.h"

/* EAL options of DPDK 22.11 (lib/eal/common/eal_common_options.c): the long
 * ones with whether they take a value, the short ones with ':' for a value. */
struct cfg_eal_opt {
	const char *name;
	int arg;                        /* 0 none, 1 required, 2 optional (=VALUE only) */
};

static const struct cfg_eal_opt cfg_eal_long[] = {
	{ "allow", 1 }, { "base-virtaddr", 1 }, { "block", 1 }, { "create-uio-dev", 0 },
	{ "file-prefix", 1 }, { "force-max-simd-bitwidth", 1 }, { "help", 0 },
	{ "huge-dir", 1 }, { "huge-unlink", 2 }, { "huge-worker-stack", 2 },
	{ "in-memory", 0 }, { "iova-mode", 1 }, { "lcores", 1 }, { "legacy-mem", 0 },
	{ "log-level", 1 }, { "main-lcore", 1 }, { "match-allocations", 0 },
	{ "mbuf-pool-ops-name", 1 }, { "no-hpet", 0 }, { "no-huge", 0 }, { "no-pci", 0 },
	{ "no-shconf", 0 }, { "no-telemetry", 0 }, { "proc-type", 1 },
	{ "service-corelist", 1 }, { "service-coremask", 1 }, { "single-file-segments", 0 },
	{ "socket-limit", 1 }, { "socket-mem", 1 }, { "syslog", 2 }, { "telemetry", 0 },
	{ "trace", 1 }, { "trace-bufsz", 1 }, { "trace-dir", 1 }, { "trace-mode", 1 },
	{ "vdev", 1 }, { "vfio-intr", 1 }, { "vfio-vf-token", 1 }, { "vmware-tsc-map", 0 },
	{ NULL, 0 },
};
static const char cfg_eal_short[] = "a:b:c:d:hl:m:n:r:s:S:v";

enum cfg_lcore_opt { LC_NONE, LC_LIST, LC_MASK, LC_MAP };

struct cfg_mcheck {
	const struct cfg *c;
	unsigned int flags;
	cfg_diag_fn *fn;
	void *arg;
	int errors;
	struct cfg_cpus allowed;
};

/* ---- positions ---- */

static yaml_node_t *
cfg_map_get(yaml_document_t *doc, yaml_node_t *map, const char *key, size_t klen)
{
	yaml_node_pair_t *p;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE && k->data.scalar.length == klen &&
		    memcmp(k->data.scalar.value, key, klen) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

void
cfg_key_position(const char *file, const char *key, int item, unsigned int *line,
		 unsigned int *col)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *n, *best;
	FILE *f = fopen(file, "r");
	const char *s = key;

	*line = 1;
	*col = 1;
	if (f == NULL)
		return;
	if (!yaml_parser_initialize(&p)) {
		fclose(f);
		return;
	}
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &doc))
		goto out_parser;
	best = n = yaml_document_get_root_node(&doc);
	while (n != NULL && *s != '\0') {
		size_t len = strcspn(s, ".");

		n = cfg_map_get(&doc, n, s, len);
		if (n != NULL)
			best = n;
		s += len + (s[len] == '.');
	}
	if (n != NULL && item >= 0 && n->type == YAML_SEQUENCE_NODE &&
	    item < n->data.sequence.items.top - n->data.sequence.items.start)
		best = yaml_document_get_node(&doc, n->data.sequence.items.start[item]);
	if (best != NULL) {
		*line = (unsigned int)best->start_mark.line + 1;
		*col = (unsigned int)best->start_mark.column + 1;
	}
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&p);
	fclose(f);
}

/* ---- findings ---- */

__attribute__((format(printf, 5, 6)))
static void
cfg_diag(struct cfg_mcheck *m, bool error, const char *key, int item, const char *fmt, ...)
{
	char msg[512], out[CFG_PATH + 600];
	unsigned int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_key_position(m->c->path, key, item, &line, &col);
	snprintf(out, sizeof(out), "%s:%u:%u: %s%s", m->c->path, line, col,
		 error ? "" : "warning: ", msg);
	if (error)
		m->errors++;
	m->fn(error, out, m->arg);
}

static bool
cpu_has(const struct cfg_cpus *s, unsigned long i)
{
	return i < CFG_MACHINE_CPUS && (s->bits[i / 64] >> (i % 64)) & 1u;
}

static void
cpu_set_bit(struct cfg_cpus *s, unsigned long i)
{
	if (i < CFG_MACHINE_CPUS)
		s->bits[i / 64] |= 1ull << (i % 64);
}

static unsigned int
cpu_count(const struct cfg_cpus *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < CFG_MACHINE_CPUS / 64; i++)
		n += (unsigned int)__builtin_popcountll(s->bits[i]);
	return n;
}

/* "0-1,4" of the CPUs of S. */
static void
cpu_list_str(const struct cfg_cpus *s, char *out, size_t len)
{
	unsigned long i = 0, j;
	size_t used = 0;

	out[0] = '\0';
	while (i < CFG_MACHINE_CPUS) {
		if (!cpu_has(s, i)) {
			i++;
			continue;
		}
		for (j = i; j + 1 < CFG_MACHINE_CPUS && cpu_has(s, j + 1); j++)
			;
		if (used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%lu", used ? "," : "", i);
		if (j > i && used < len)
			used += (size_t)snprintf(out + used, len - used, "-%lu", j);
		i = j + 1;
	}
}

/* One CPU set of -l or --lcores: "N", "N-M", "(N,N-M,...)" into *s; advances
 * *p. 0, or -1 when it does not parse. */
static int
cpu_group_parse(const char **p, struct cfg_cpus *s)
{
	const char *q = *p;
	bool paren = *q == '(';
	char *end;

	if (paren)
		q++;
	for (;;) {
		unsigned long a, b;

		if (*q < '0' || *q > '9')
			return -1;
		a = strtoul(q, &end, 10);
		b = a;
		q = end;
		if (*q == '-') {
			q++;
			if (*q < '0' || *q > '9')
				return -1;
			b = strtoul(q, &end, 10);
			q = end;
		}
		if (b < a || b >= CFG_MACHINE_CPUS)
			return -1;
		for (; a <= b; a++)
			cpu_set_bit(s, a);
		if (!paren || *q != ',')
			break;
		q++;
	}
	if (paren) {
		if (*q != ')')
			return -1;
		q++;
	}
	*p = q;
	return 0;
}

/* -l LIST / --lcores MAP into the lcore ids and the CPUs they run on. */
static int
lcores_parse(const char *v, bool map, struct cfg_cpus *ids, struct cfg_cpus *cpus)
{
	const char *p = v;

	memset(ids, 0, sizeof(*ids));
	memset(cpus, 0, sizeof(*cpus));
	while (*p != '\0') {
		struct cfg_cpus l = { { 0 } }, c = { { 0 } };
		unsigned int k;

		if (cpu_group_parse(&p, &l) != 0)
			return -1;
		c = l;
		if (map && *p == '@') {
			p++;
			memset(&c, 0, sizeof(c));
			if (cpu_group_parse(&p, &c) != 0)
				return -1;
		}
		for (k = 0; k < CFG_MACHINE_CPUS / 64; k++) {
			ids->bits[k] |= l.bits[k];
			cpus->bits[k] |= c.bits[k];
		}
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
	}
	return cpu_count(ids) > 0 ? 0 : -1;
}

static int
coremask_parse(const char *v, struct cfg_cpus *ids)
{
	size_t len;
	unsigned long bit = 0;

	memset(ids, 0, sizeof(*ids));
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		v += 2;
	len = strlen(v);
	if (len == 0)
		return -1;
	while (len-- > 0) {
		char ch = v[len];
		int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
		int k;

		if (d < 0)
			return -1;
		for (k = 0; k < 4; k++, bit++)
			if (d & (1 << k))
				cpu_set_bit(ids, bit);
	}
	return cpu_count(ids) > 0 ? 0 : -1;
}

/* ---- EAL arguments ---- */

struct cfg_eal_scan {
	enum cfg_lcore_opt kind;
	const char *value;
	int item;                       /* its index in dataplane.eal, -1: command line */
};

static const struct cfg_eal_opt *
eal_long(const char *name, size_t len)
{
	const struct cfg_eal_opt *o;

	for (o = cfg_eal_long; o->name != NULL; o++)
		if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

/* Walk ARGV (items of the config when FROM_CFG): unknown options reported,
 * the last lcore option kept in *sc. */
static void
eal_scan(struct cfg_mcheck *m, int argc, char *const *argv, bool from_cfg,
	 struct cfg_eal_scan *sc)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		enum cfg_lcore_opt kind = LC_NONE;

		if (a[0] != '-' || a[1] == '\0')
			continue;       /* a value, or something EAL ignores */
		if (strcmp(a, "--") == 0)
			break;
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
			const struct cfg_eal_opt *o = eal_long(name, len);

			if (o == NULL || o->arg == 0 || strncmp(name, "help", 4) == 0) {
				if (from_cfg && (o == NULL || strcmp(o->name, "help") == 0))
					cfg_diag(m, true, "dataplane.eal", i, "dataplane.eal[%d]: %s '%s'%s",
						 i, o == NULL ? "unknown EAL option" : "EAL option",
						 a, o == NULL ? " (DPDK 22.11)" : " only prints the EAL usage: remove it");
				continue;
			}
			if (eq != NULL)
				val = eq + 1;
			else if (o->arg == 1 && i + 1 < argc)
				val = argv[++i];
			if (strcmp(o->name, "lcores") == 0)
				kind = LC_MAP;
		} else {
			const char *s = strchr(cfg_eal_short, a[1]);

			if (s == NULL || a[1] == ':' || a[1] == 'h') {
				if (from_cfg)
					cfg_diag(m, true, "dataplane.eal", i, "dataplane.eal[%d]: %s '%s'%s",
						 i, s == NULL ? "unknown EAL option" : "EAL option", a,
						 s == NULL ? " (DPDK 22.11)" : " only prints the EAL usage: remove it");
				continue;
			}
			if (s[1] == ':')
				val = a[2] != '\0' ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
			if (a[1] == 'l')
				kind = LC_LIST;
			else if (a[1] == 'c')
				kind = LC_MASK;
		}
		if (kind != LC_NONE && val != NULL) {
			sc->kind = kind;
			sc->value = val;
			sc->item = from_cfg ? i : -1;
		}
	}
}

static void
check_lcores(struct cfg_mcheck *m, const struct cfg_eal_scan *sc)
{
	const struct cfg *c = m->c;
	bool err = (m->flags & CFG_MACHINE_START) != 0;
	struct cfg_cpus ids, cpus, bad;
	char allowed[128], badl[128];
	unsigned int n, k, need = c->dp.workers + 1u;
	int rc;

	cpu_list_str(&m->allowed, allowed, sizeof(allowed));
	if (sc->kind == LC_NONE) {   /* the EAL takes every CPU of the affinity */
		n = cpu_count(&m->allowed);
		if (n < need)
			cfg_diag(m, err, "dataplane.workers", -1,
				 "dataplane.workers: %u worker(s) need %u lcores (one main + one per worker); this machine lets the EAL use %u (CPUs %s)",
				 c->dp.workers, need, n, allowed);
		return;
	}
	rc = sc->kind == LC_MASK ? coremask_parse(sc->value, &ids) :
	     lcores_parse(sc->value, sc->kind == LC_MAP, &ids, &cpus);
	if (sc->kind == LC_MASK)
		cpus = ids;
	if (rc != 0) {
		if (sc->item >= 0)
			cfg_diag(m, true, "dataplane.eal", sc->item,
				 "dataplane.eal[%d]: '%s' is not a list of lcores (like 0-1 or 0,2)",
				 sc->item, sc->value);
		return;
	}
	for (k = 0; k < CFG_MACHINE_CPUS / 64; k++)
		bad.bits[k] = cpus.bits[k] & ~m->allowed.bits[k];
	if (cpu_count(&bad) > 0) {
		cpu_list_str(&bad, badl, sizeof(badl));
		cfg_diag(m, err, "dataplane.eal", sc->item,
			 "%s%s: CPU %s %s not available to this process (this machine allows CPUs %s)",
			 sc->item >= 0 ? "dataplane.eal: " : "command line: ", sc->value, badl,
			 cpu_count(&bad) > 1 ? "are" : "is", allowed);
	}
	n = cpu_count(&ids);
	if (n < need)
		cfg_diag(m, true, "dataplane.workers", -1,
			 "dataplane.workers: %u worker(s) need %u lcores (one main + one per worker); %s '%s' gives %u",
			 c->dp.workers, need, sc->item >= 0 ? "dataplane.eal" : "the command line",
			 sc->value, n);
}

/* ---- ports and files ---- */

static bool
is_pci(const char *dev, char *norm, size_t len)
{
	unsigned int a = 0, b, c, d;
	char tail;

	if (sscanf(dev, "%x:%x:%x.%x%c", &a, &b, &c, &d, &tail) != 4 &&
	    sscanf(dev, "%x:%x.%x%c", &b, &c, &d, &tail) != 3)
		return false;
	snprintf(norm, len, "%04x:%02x:%02x.%x", a, b, c, d);
	return true;
}

static void
check_ports(struct cfg_mcheck *m)
{
	const struct cfg *c = m->c;
	bool err = (m->flags & CFG_MACHINE_START) != 0;
	char path[96], pci[32], ifname[IF_NAMESIZE + 1];
	int i;

	for (i = 0; i < c->dp.n_ports; i++) {
		const char *dev = c->dp.ports[i].device, *p;

		if (is_pci(dev, pci, sizeof(pci))) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", pci);
			if (access(path, F_OK) != 0)
				cfg_diag(m, err, "dataplane.ports", i,
					 "dataplane.ports[%d].device: no PCI device %s on this machine", i, pci);
			continue;
		}
		if (strncmp(dev, "net_af_packet", 13) != 0 && strncmp(dev, "net_af_xdp", 10) != 0)
			continue;
		p = strstr(dev, "iface=");
		if (p == NULL) {
			cfg_diag(m, true, "dataplane.ports", i,
				 "dataplane.ports[%d].device: '%s' names no iface=", i, dev);
			continue;
		}
		p += 6;
		snprintf(ifname, sizeof(ifname), "%.*s", (int)strcspn(p, ","), p);
		if (if_nametoindex(ifname) == 0)
			cfg_diag(m, err, "dataplane.ports", i,
				 "dataplane.ports[%d].device: no interface '%s' in this network namespace%s",
				 i, ifname, err ? "" : " (run sipshard-dp where it exists, e.g. ip netns exec)");
	}
}

static void
check_files(struct cfg_mcheck *m)
{
	const struct cfg *c = m->c;
	struct stat st;

	if (c->cluster.enabled && access(c->cluster.key_file, R_OK) != 0)
		cfg_diag(m, false, "cluster.key_file", -1,
			 "cluster.key_file: cannot read %s: %s (sipshard-cp needs it)",
			 c->cluster.key_file, strerror(errno));
	else if (c->cluster.enabled && stat(c->cluster.key_file, &st) == 0 &&
		 (st.st_mode & (S_IRWXG | S_IRWXO)))
		cfg_diag(m, true, "cluster.key_file", -1,
			 "cluster.key_file: group or others may access %s (mode %04o): "
			 "sipshard-cp refuses it (chmod 600)",
			 c->cluster.key_file, (unsigned int)(st.st_mode & 07777));
}

/* ---- public functions ---- */

int
cfg_machine_check_cpus(const struct cfg *c, int extra_argc, char *const *extra,
		       unsigned int flags, const struct cfg_cpus *cpus, cfg_diag_fn *fn, void *arg)
{
	struct cfg_mcheck m = { .c = c, .flags = flags, .fn = fn, .arg = arg };
	struct cfg_eal_scan sc = { .kind = LC_NONE, .item = -1 };
	char *argv[CFG_MAX_EAL_ARGS];
	int i;

	if (cpus != NULL) {
		m.allowed = *cpus;
	} else {
		cpu_set_t set;
		unsigned long k;

		CPU_ZERO(&set);
		if (sched_getaffinity(0, sizeof(set), &set) == 0) {
			for (k = 0; k < CPU_SETSIZE && k < CFG_MACHINE_CPUS; k++)
				if (CPU_ISSET(k, &set))
					cpu_set_bit(&m.allowed, k);
		}
	}
	for (i = 0; i < c->dp.n_eal; i++)
		argv[i] = (char *)c->dp.eal[i];
	eal_scan(&m, c->dp.n_eal, argv, true, &sc);
	eal_scan(&m, extra_argc, extra, false, &sc);
	if (cpu_count(&m.allowed) > 0)
		check_lcores(&m, &sc);
	check_ports(&m);
	check_files(&m);
	return m.errors;
}

int
cfg_machine_check(const struct cfg *c, int extra_argc, char *const *extra, unsigned int flags,
		  cfg_diag_fn *fn, void *arg)
{
	return cfg_machine_check_cpus(c, extra_argc, extra, flags, NULL, fn, arg);
}
