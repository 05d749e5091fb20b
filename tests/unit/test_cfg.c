/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration loader (config/).
 *
 * Table-driven on fixture files, read relative to the repository root (where the
 * tests run): every tests/unit/cfg/good/NAME.yaml must load, and every
 * tests/unit/cfg/bad/NAME.yaml must fail with exactly the message of its first line,
 * "# expect: LINE:COLUMN: message", prefixed with the file's path. A few good
 * files have their values checked one by one, defaults included. The last test
 * keeps docs/config.md in step with the schema.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg.h"

#define CFG_TEST_DIR    "tests/unit/cfg"
#define CFG_TEST_MIN_BAD 25

static struct cfg cfg_test_c;   /* big: not on the stack */

static int
cfg_test_is_yaml(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

/* The sorted *.yaml of DIR; fails the test when there are none. */
static int
cfg_test_list(const char *dir, struct dirent ***names)
{
	int n = scandir(dir, names, cfg_test_is_yaml, alphasort);

	if (n <= 0)
		fail_msg("no fixtures in %s (run the test from the repository root)", dir);
	return n;
}

static void
cfg_test_free_list(struct dirent **names, int n)
{
	while (n-- > 0)
		free(names[n]);
	free(names);
}

static struct cfg *
cfg_test_load(const char *path)
{
	char err[512];
	int rc = cfg_load(path, &cfg_test_c, err, sizeof(err));

	if (rc != 0)
		fail_msg("%s: rc %d: %s", path, rc, err);
	return &cfg_test_c;
}

static void
test_good_files(void **state)
{
	struct dirent **names;
	char path[512];
	int n, i;

	(void)state;
	n = cfg_test_list(CFG_TEST_DIR "/good", &names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), CFG_TEST_DIR "/good/%s", names[i]->d_name);
		cfg_test_load(path);
		assert_string_equal(cfg_test_c.path, path);
	}
	cfg_test_free_list(names, n);
	print_message("%d good files\n", n);
}

static void
test_bad_files(void **state)
{
	char path[512], line[512], expect[1100], err[512];
	struct dirent **names;
	int n, i, rc, failed = 0;
	size_t len;
	FILE *f;

	(void)state;
	n = cfg_test_list(CFG_TEST_DIR "/bad", &names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), CFG_TEST_DIR "/bad/%s", names[i]->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (strncmp(line, "# expect: ", 10) != 0)
			fail_msg("%s: first line must be '# expect: LINE:COLUMN: message'", path);
		snprintf(expect, sizeof(expect), "%s:%s", path, line + 10);
		rc = cfg_load(path, &cfg_test_c, err, sizeof(err));
		if (rc != -EINVAL || strcmp(err, expect) != 0) {
			print_error("%s\n  expected: %s\n  got (%d): %s\n", path, expect, rc,
				    rc != 0 ? err : "success");
			failed++;
		}
	}
	cfg_test_free_list(names, n);
	print_message("%d bad files, %d wrong\n", n, failed);
	assert_int_equal(failed, 0);
	assert_true(n >= CFG_TEST_MIN_BAD);
}

static void
test_minimal_defaults(void **state)
{
	struct cfg *c = cfg_test_load(CFG_TEST_DIR "/good/minimal.yaml");

	(void)state;
	assert_int_equal(c->node_id, 7);
	assert_string_equal(c->dp.file_prefix, "sipshard");
	assert_int_equal(c->dp.n_eal, 0);
	assert_int_equal(c->dp.workers, 1);
	assert_int_equal(c->dp.idle, CFG_IDLE_ADAPTIVE);
	assert_int_equal(c->dp.n_ports, 1);
	assert_string_equal(c->dp.ports[0].device, "net_null0");
	assert_int_equal(c->dp.ports[0].ipv4, 0xc6120001);     /* 198.18.0.1 */
	assert_int_equal(c->dp.ports[0].ipv4_prefix, 24);
	assert_false(c->dp.ports[0].has_ipv6);
	assert_int_equal(c->dp.ports[0].mtu, 1500);
	assert_int_equal(c->dp.mbufs, 0);   /* auto */
	assert_int_equal(c->dp.rx_desc, 1024);
	assert_int_equal(c->dp.tx_desc, 1024);
	assert_int_equal(c->dp.frag_max_flows, 1024);
	assert_int_equal(c->dp.frag_timeout_ms, 2000);
	assert_int_equal(c->dp.ring_size, 1024);
	assert_int_equal(c->sip.port, 5060);
	assert_int_equal(c->sip.n_domains, 0);
	assert_int_equal(c->reg.default_expires, 3600);
	assert_int_equal(c->reg.min_expires, 60);
	assert_int_equal(c->reg.max_expires, 7200);
	assert_int_equal(c->reg.max_contacts, 10);
	assert_int_equal(c->n_sets, 0);
	assert_false(c->cluster.enabled);
	assert_int_equal(c->cluster.port, 5800);
	assert_int_equal(c->cluster.ping_interval_ms, 200);
	assert_int_equal(c->cluster.node_timeout_ms, 900);
	assert_int_equal(c->cluster.mode, CFG_MODE_FULL_SHARING);
	assert_int_equal(c->n_tags, 0);
	assert_string_equal(c->admin_socket, "/run/sipshard/sipshard.sock");
}

static void
test_full_values(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
	struct cfg *c = cfg_test_load(CFG_TEST_DIR "/good/full.yaml");
	struct cfg_backend_set *s;

	(void)state;
	assert_int_equal(c->node_id, 65535);
	assert_string_equal(c->dp.file_prefix, "node-full");
	assert_int_equal(c->dp.n_eal, 4);
	assert_string_equal(c->dp.eal[2], "--no-pci");
	assert_string_equal(c->dp.eal[3], "--log-level=sipshard.cluster:debug");
	assert_int_equal(c->dp.workers, 16);
	assert_int_equal(c->dp.idle, CFG_IDLE_BUSY);
	assert_int_equal(c->dp.n_ports, 2);
	assert_string_equal(c->dp.ports[0].device, "net_af_packet0,iface=ss-n1");
	assert_true(c->dp.ports[0].has_ipv6);
	assert_memory_equal(c->dp.ports[0].ipv6, v6, 16);
	assert_int_equal(c->dp.ports[0].ipv6_prefix, 64);
	assert_int_equal(c->dp.ports[0].mtu, 9000);
	assert_string_equal(c->dp.ports[1].device, "0000:03:00.0");
	assert_int_equal(c->dp.ports[1].ipv4, 0xc613fffe);
	assert_int_equal(c->dp.ports[1].ipv4_prefix, 15);
	assert_false(c->dp.ports[1].has_ipv6);
	assert_int_equal(c->dp.ports[1].mtu, 576);
	assert_int_equal(c->dp.mbufs, 1048575);
	assert_int_equal(c->dp.rx_desc, 16384);
	assert_int_equal(c->dp.tx_desc, 64);
	assert_int_equal(c->dp.ring_size, 1048576);
	assert_int_equal(c->sip.port, 5070);
	assert_int_equal(c->sip.n_domains, 2);
	assert_string_equal(c->sip.domains[0], "example.com");
	assert_int_equal(c->reg.max_expires, 2147483647);
	assert_int_equal(c->n_sets, 2);
	s = &c->sets[0];
	assert_int_equal(s->set, 10);
	assert_int_equal(s->algorithm, CFG_LB_ROUND_ROBIN);
	assert_int_equal(s->probe_interval_ms, 600000);
	assert_int_equal(s->probe_threshold, 100);
	assert_int_equal(s->n_members, 2);
	assert_string_equal(s->members[0].uri, "sips:198.18.1.1:5061;transport=tls");
	assert_int_equal(s->members[0].weight, 0);
	assert_int_equal(s->members[1].weight, 1000);
	s = &c->sets[1];
	assert_int_equal(s->algorithm, CFG_LB_WEIGHTED);
	assert_int_equal(s->probe_interval_ms, 1000);  /* defaults inside items */
	assert_int_equal(s->probe_threshold, 3);
	assert_int_equal(s->members[0].weight, 1);
	assert_true(c->cluster.enabled);
	assert_int_equal(c->cluster.id, 4294967295u);
	assert_int_equal(c->cluster.port, 65535);
	assert_string_equal(c->cluster.key_file, "/etc/sipshard/cluster.key");
	assert_int_equal(c->cluster.n_nodes, 2);
	assert_int_equal(c->cluster.nodes[1].id, 65534);
	assert_int_equal(c->cluster.nodes[1].address, 0xc6130003);
	assert_int_equal(c->cluster.n_seeds, 2);
	assert_int_equal(c->cluster.seeds[1], 0xc6120003);
	assert_int_equal(c->cluster.mode, CFG_MODE_FEDERATION);
	assert_int_equal(c->cluster.fed_route, CFG_FED_REDIRECT);
	assert_int_equal(c->cluster.fed_home_down, CFG_FED_DOWN_404);
	assert_int_equal(c->cluster.fed_directory, 1000);
	assert_string_equal(c->reg.tag.name, "media");
	assert_int_equal(c->reg.tag.cluster, 7);
	assert_true(c->reg.ping);
	assert_int_equal(c->reg.ping_interval_s, 3600);
	assert_int_equal(c->reg.ping_method, CFG_PING_CRLF);
	assert_int_equal(c->reg.ping_mode, CFG_PING_OWNERSHIP);
	assert_int_equal(c->reg.ping_max_failures, 15);
	assert_int_equal(c->n_tags, 3);
	assert_string_equal(c->tags[0].name, "service");
	assert_int_equal(c->tags[0].state, CFG_TAG_BACKUP);
	assert_string_equal(c->tags[2].name, "media");
	assert_int_equal(c->tags[2].cluster, 2);
	assert_int_equal(c->tags[2].state, CFG_TAG_ACTIVE);
	assert_int_equal(c->tags[2].failover, CFG_TAG_AUTO);
	assert_int_equal(c->tags[2].priority, 200);
	assert_true(c->tags[2].preempt);
	assert_int_equal(c->tags[2].vip, 0xc6120032);
	assert_string_equal(c->default_tag.name, "media");
	assert_int_equal(c->default_tag.cluster, 2);
	assert_string_equal(c->tags[1].name, "a-b.c!%*_+`'~");
	assert_int_equal(c->tags[1].cluster, 4294967295u);
	assert_int_equal(c->tags[1].state, CFG_TAG_ACTIVE);
	assert_int_equal(c->tags[1].failover, CFG_TAG_MANUAL);
	assert_string_equal(c->admin_socket, "/tmp/sipshard-full.sock");
}

static void
test_empty_values(void **state)
{
	struct cfg *c = cfg_test_load(CFG_TEST_DIR "/good/empty_values.yaml");

	(void)state;
	assert_int_equal(c->dp.n_eal, 0);
	assert_int_equal(c->dp.ports[0].ipv4_prefix, 32);
	assert_int_equal(c->reg.default_expires, 3600);
	assert_int_equal(c->n_sets, 0);
	assert_int_equal(c->n_tags, 0);
	assert_false(c->cluster.enabled);
	c = cfg_test_load(CFG_TEST_DIR "/good/flow_crlf.yaml");
	assert_int_equal(c->node_id, 2);
	assert_int_equal(c->dp.ports[0].ipv4_prefix, 0);
	assert_true(c->cluster.enabled);
	assert_string_equal(c->cluster.key_file, "k");
}

/* A tag's vip is IPv4 or IPv6: each in its own field, the other left empty. */
static void
test_tag_vip6(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x50 };
	static const uint8_t none[16];
	struct cfg *c = cfg_test_load(CFG_TEST_DIR "/good/tag_vip6.yaml");

	(void)state;
	assert_int_equal(c->n_tags, 2);
	assert_memory_equal(c->tags[0].vip6, v6, 16);
	assert_int_equal(c->tags[0].vip, 0);
	assert_int_equal(c->tags[1].vip, 0xc6120032);
	assert_memory_equal(c->tags[1].vip6, none, 16);
}

static void
test_example(void **state)
{
	struct cfg *c = cfg_test_load("config/example.yaml");

	(void)state;
	assert_int_equal(c->node_id, 1);
	assert_string_equal(c->dp.file_prefix, "node1");
	assert_int_equal(c->dp.n_ports, 1);
	assert_true(c->dp.ports[0].has_ipv6);
	assert_string_equal(c->sip.domains[1], "example.net");
	assert_int_equal(c->n_sets, 2);
	assert_true(c->cluster.enabled);
	assert_int_equal(c->n_tags, 1);
}

static void
test_defaults(void **state)
{
	static struct cfg d;

	(void)state;
	memset(&d, 0xa5, sizeof(d));
	cfg_defaults(&d);
	assert_int_equal(d.node_id, 0);
	assert_int_equal(d.dp.n_ports, 0);
	assert_int_equal(d.dp.workers, 1);
	assert_int_equal(d.dp.idle, CFG_IDLE_ADAPTIVE);
	assert_string_equal(d.dp.file_prefix, "sipshard");
	assert_int_equal(d.sip.port, 5060);
	assert_false(d.reg.ping);                       /* no nat_ping: no pinging */
	assert_int_equal(d.reg.tag.cluster, 0);
	assert_int_equal(d.cluster.port, 5800);
	assert_false(d.cluster.enabled);
	assert_string_equal(d.admin_socket, "/run/sipshard/sipshard.sock");
}

static void
test_buf_and_io(void **state)
{
	static const char ok[] = "node: {id: 3}\ndataplane: {ports: [{device: d, ipv4: 198.18.0.9/24}]}\n";
	char err[256], tiny[8];
	int rc;

	(void)state;
	assert_int_equal(cfg_load_buf("mem", ok, strlen(ok), &cfg_test_c, err, sizeof(err)), 0);
	assert_int_equal(cfg_test_c.node_id, 3);
	assert_string_equal(cfg_test_c.path, "mem");
	/* the length bounds the input: the same text cut before dataplane */
	rc = cfg_load_buf("mem", ok, 14, &cfg_test_c, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "mem:1:1: missing required key 'dataplane'");
	rc = cfg_load_buf("mem", NULL, 0, &cfg_test_c, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "mem:1:1: empty configuration (expected a mapping with "
			    "'node' and 'dataplane')");
	/* a NUL byte in the input is a reader error, not the end */
	rc = cfg_load_buf("mem", "node: {id: 1}\0x", 15, &cfg_test_c, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "mem:1:14: syntax error: control characters are not allowed");
	/* messages are cut to the buffer, or not written at all */
	assert_int_equal(cfg_load_buf("mem", "x: 1", 4, &cfg_test_c, tiny, sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "mem:1:1");
	assert_int_equal(cfg_load_buf("mem", "x: 1", 4, &cfg_test_c, NULL, 0), -EINVAL);
	rc = cfg_load(CFG_TEST_DIR "/nonexistent.yaml", &cfg_test_c, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_string_equal(err, CFG_TEST_DIR "/nonexistent.yaml: cannot open: "
			    "No such file or directory");
	rc = cfg_load(CFG_TEST_DIR, &cfg_test_c, err, sizeof(err));
	assert_int_equal(rc, -EISDIR);
	assert_string_equal(err, CFG_TEST_DIR ": cannot read: Is a directory");
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(cfg_idle_name(CFG_IDLE_BUSY), "busy");
	assert_string_equal(cfg_idle_name(CFG_IDLE_ADAPTIVE), "adaptive");
	assert_string_equal(cfg_lb_algo_name(CFG_LB_CALLID_HASH), "callid-hash");
	assert_string_equal(cfg_lb_algo_name(CFG_LB_ROUND_ROBIN), "round-robin");
	assert_string_equal(cfg_cluster_mode_name(CFG_MODE_FEDERATION), "federation");
	assert_string_equal(cfg_idle_name((enum cfg_idle)7), "?");
}

struct cfg_test_doc {
	const char *text;
	int keys;
	int missing;
	int found_nested;
};

static void
cfg_test_doc_key(const char *key, const char *help, void *arg)
{
	struct cfg_test_doc *d = arg;
	char quoted[160];

	assert_non_null(help);
	assert_true(help[0] != '\0');
	d->keys++;
	if (strcmp(key, "dataplane.ports[].device") == 0 ||
	    strcmp(key, "backends[].probe.interval_ms") == 0)
		d->found_nested++;
	snprintf(quoted, sizeof(quoted), "`%s`", key);
	if (strstr(d->text, quoted) == NULL) {
		print_error("docs/config.md does not document %s\n", quoted);
		d->missing++;
	}
}

static void
test_docs_cover_schema(void **state)
{
	struct cfg_test_doc d = { 0 };
	static char text[1 << 17];
	size_t n;
	FILE *f;

	(void)state;
	f = fopen("docs/config.md", "r");
	if (f == NULL)
		fail_msg("docs/config.md: %s (run from the repository root)", strerror(errno));
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	d.text = text;
	cfg_schema_foreach(cfg_test_doc_key, &d);
	assert_true(d.keys > 40);
	assert_int_equal(d.found_nested, 2);
	assert_int_equal(d.missing, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_files),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full_values),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_tag_vip6),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_buf_and_io),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_docs_cover_schema),
	};

	return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
