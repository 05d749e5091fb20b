/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the admin socket (control/admin/cp_admin): the JSON helpers, the
 * command table, every command against fake callbacks (the nodes and events
 * answers come from a real cp_topo driven on a fake clock), and the server loop
 * over a socketpair and over a Unix socket in a temporary directory.
 *
 * `test_cp_admin --serve PATH` serves the same fake node on PATH until SIGTERM
 * (at most 120 s): tests/cli/sipshardctl.sh runs sipshardctl against it.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cmocka.h>

#include "control/admin/cp_admin.h"
#include "control/topo/cp_topo.h"
#include "dataplane/registrar/reg_shard.h"

/* ---- the fake node ---- */

struct fake {
	struct cp_topo topo;
	struct msg_codec codec;
	uint64_t now;
	int tag_calls;
	int show_later;                 /* contacts show: -EINPROGRESS this many calls */
	int show_calls;
};

static struct fake fake;

/* Node 1 with static peers 2 and 3: 2 up (heard at 1500), 3 never heard (down
 * at 2000); the clock reads 2000. */
static void
fake_init(struct fake *f)
{
	struct cp_topo_conf conf;
	struct cp_actions *out = malloc(sizeof(*out));
	struct msg m;
	int i;

	assert_non_null(out);
	memset(f, 0, sizeof(*f));
	memset(&conf, 0, sizeof(conf));
	conf.self_id = 1;
	conf.self_addr = 0xc6120001u;
	conf.port = 5800;
	conf.cluster_id = 7;
	conf.incarnation = 1001;
	conf.ping_interval_ms = 200;
	conf.node_timeout_ms = 1000;
	conf.n_nodes = 2;
	conf.nodes[0] = (struct msg_node){ 2, 0xc6120002u, 5800 };
	conf.nodes[1] = (struct msg_node){ 3, 0xc6120003u, 5800 };
	assert_int_equal(cp_topo_init(&f->topo, &conf, 1000), 0);
	cp_topo_set_cap(&f->topo, MSG_CAP_REGISTRATIONS, MSG_CAP_SYNCED);
	out->n = 0;
	cp_topo_cron(&f->topo, 1000, out);
	assert_int_equal(out->n, 2);
	for (i = 0; i < out->n; i++)
		assert_int_equal(cp_topo_msg(&f->topo, &out->a[i], 1000, &m), 0);
	memset(&m, 0, sizeof(m));
	m.hdr = (struct msg_hdr){ .type = MSG_T_HEARTBEAT, .cluster_id = 7, .sender = 2,
				  .incarnation = 2002, .seq = 1 };
	m.u.hb.node = conf.nodes[0];
	m.u.hb.incarnation = 2002;
	m.u.hb.cluster_id = 7;
	m.u.hb.caps[MSG_CAP_REGISTRATIONS] = MSG_CAP_SYNCING;
	m.u.hb.n_seen = 1;
	m.u.hb.seen[0] = (struct msg_seen){ 1, 1001, 1 };
	out->n = 0;
	assert_int_equal(cp_topo_on_msg(&f->topo, &m, 1500, out), 0);
	cp_topo_cron(&f->topo, 2000, out);
	f->now = 2000;
	msg_codec_init(&f->codec, 7, 1);
	f->codec.decoded = 12;
	f->codec.rejects[MSG_REJECT_BAD_HMAC] = 2;
	free(out);
}

static int
fake_status(void *arg, json_t *j, char *err, size_t errlen)
{
	struct fake *f = arg;
	json_t *o;

	(void)err;
	(void)errlen;
	cp_json_put_uint(j, "node_id", f->topo.conf.self_id);
	cp_json_put_uint(j, "cluster_id", f->topo.conf.cluster_id);
	cp_json_put_uint(j, "uptime_s", (f->now - f->topo.started_at) / 1000);
	cp_json_put_uint(j, "workers", 2);
	o = cp_json_put_obj(cp_json_put_arr(j, "ports"), NULL);
	cp_json_put_uint(o, "port", 0);
	cp_json_put_str(o, "device", "net_af_packet0,iface=ss-n1");
	cp_json_put_str(o, "link", "up");
	return 0;
}

static int
fake_nodes(void *arg, json_t *j, char *err, size_t errlen)
{
	struct fake *f = arg;

	(void)err;
	(void)errlen;
	cp_admin_json_nodes(j, &f->topo, f->now);
	return 0;
}

static int
fake_events(void *arg, json_t *j, char *err, size_t errlen)
{
	struct fake *f = arg;

	(void)err;
	(void)errlen;
	cp_admin_json_events(j, &f->topo, f->now);
	return 0;
}

static int
fake_tags(void *arg, json_t *j, char *err, size_t errlen)
{
	json_t *o = cp_json_put_obj(cp_json_put_arr(j, "tags"), NULL);

	(void)arg;
	(void)err;
	(void)errlen;
	cp_json_put_str(o, "name", "service");
	cp_json_put_uint(o, "cluster", 1);
	cp_json_put_str(o, "state", "active");
	cp_json_put_uint(o, "owner", 1);
	cp_json_put_uint(o, "term", 3);
	return 0;
}

static int
fake_tag_set_active(void *arg, const char *name, uint32_t cluster, json_t *j,
		    char *err, size_t errlen)
{
	struct fake *f = arg;

	(void)j;
	f->tag_calls++;
	if (strcmp(name, "service") != 0 || cluster != 1) {
		snprintf(err, errlen, "no such tag '%s/%u'", name, cluster);
		return -ENOENT;
	}
	return 0;
}

/* The claim is acknowledged by node 2 at once (sipshardctl's wait for acks). */
static int
fake_tag_status(void *arg, const char *name, uint32_t cluster, json_t *j, char *err,
		size_t errlen)
{
	(void)arg;
	if (strcmp(name, "service") != 0 || cluster != 1) {
		snprintf(err, errlen, "no such tag '%s/%u'", name, cluster);
		return -ENOENT;
	}
	cp_json_put_uint(cp_json_put_arr(j, "acked"), NULL, 2);
	cp_json_put_arr(j, "missing");
	cp_json_put_bool(j, "lost", false);
	return 0;
}

static int
fake_contacts_count(void *arg, json_t *j, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	cp_json_put_uint(j, "aors", 2);
	cp_json_put_uint(j, "contacts", 3);
	return 0;
}

static int
fake_contacts_show(void *arg, const char *aor, json_t *j, char *err, size_t errlen)
{
	json_t *list, *o;

	struct fake *f = arg;

	(void)err;
	(void)errlen;
	f->show_calls++;
	if (f->show_later > 0) {        /* the shards have not answered yet */
		f->show_later--;
		return -EINPROGRESS;
	}
	cp_json_put_str(j, "aor", aor);
	list = cp_json_put_arr(j, "contacts");
	if (strcmp(aor, "alice@example.com") == 0) {
		o = cp_json_put_obj(list, NULL);
		cp_json_put_str(o, "uri", "sip:alice@198.18.0.100:5060");
		cp_json_put_uint(o, "expires_in", 3599);
		cp_json_put_str(o, "received", "198.18.0.100:5060");
		cp_json_put(o, "q", json_real(1000 / 1000.0));
		cp_json_put_uint(o, "origin", 1);
	}
	return 0;
}

static int
fake_backends(void *arg, json_t *j, char *err, size_t errlen)
{
	json_t *o = cp_json_put_obj(cp_json_put_arr(j, "backends"), NULL);

	(void)arg;
	(void)err;
	(void)errlen;
	cp_json_put_uint(o, "set", 1);
	cp_json_put_str(o, "uri", "sip:198.18.1.1:5060");
	cp_json_put_uint(o, "weight", 1);
	cp_json_put_str(o, "state", "up");
	return 0;
}

static const char *
fake_reg_stat_name(unsigned int i)
{
	return reg_stat_name((enum reg_stat)i);
}

/* A node with one worker whose registrar answered 3 REGISTERs: two 200, one 423. */
static int
fake_stats(void *arg, json_t *j, char *err, size_t errlen)
{
	struct fake *f = arg;
	struct reg_stats reg = { 0 };
	json_t *o;

	(void)err;
	(void)errlen;
	o = cp_json_put_obj(cp_json_put_arr(j, "workers"), NULL);
	cp_json_put_uint(o, "worker", 0);
	cp_json_put_uint(o, "rx_pkts", 10);
	cp_json_put_uint(o, "tx_pkts", 9);
	cp_admin_json_cluster_stats(j, &f->topo, &f->codec);
	reg.c[REG_STAT_registers] = 3;
	reg.c[REG_STAT_reply_200] = 2;
	reg.c[REG_STAT_reply_423] = 1;
	reg.c[REG_STAT_inserts] = 2;
	cp_admin_json_table(j, "registrar", reg.c, REG_STAT_MAX, fake_reg_stat_name);
	return 0;
}

static const struct cp_admin_ops fake_ops = {
	.arg = &fake,
	.status = fake_status,
	.nodes = fake_nodes,
	.events = fake_events,
	.tags = fake_tags,
	.tag_set_active = fake_tag_set_active,
	.tag_status = fake_tag_status,
	.contacts_count = fake_contacts_count,
	.contacts_show = fake_contacts_show,
	.backends = fake_backends,
	.stats = fake_stats,
};

#define FAKE_NODES_JSON \
	"{\"ok\":true,\"nodes\":[" \
	"{\"id\":1,\"address\":\"198.18.0.1\",\"state\":\"up\",\"self\":true," \
	"\"caps\":{\"registrations\":\"synced\",\"backends\":\"not-synced\",\"tags\":\"not-synced\"}," \
	"\"port\":5800,\"incarnation\":1001,\"last_heard_ms\":null,\"state_for_ms\":1000}," \
	"{\"id\":2,\"address\":\"198.18.0.2\",\"state\":\"up\",\"self\":false," \
	"\"caps\":{\"registrations\":\"syncing\",\"backends\":\"not-synced\",\"tags\":\"not-synced\"}," \
	"\"port\":5800,\"incarnation\":2002,\"last_heard_ms\":500,\"state_for_ms\":500,\"duplicate\":false}," \
	"{\"id\":3,\"address\":\"198.18.0.3\",\"state\":\"down\",\"self\":false," \
	"\"caps\":{\"registrations\":\"not-synced\",\"backends\":\"not-synced\",\"tags\":\"not-synced\"}," \
	"\"port\":5800,\"incarnation\":0,\"last_heard_ms\":null,\"state_for_ms\":0,\"duplicate\":false}]}"

static struct cp_admin admin;
static char *answer;             /* the last answer of ask() */

static int
setup(void **state)
{
	(void)state;
	fake_init(&fake);
	cp_admin_init(&admin, &fake_ops);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cp_admin_close(&admin);
	free(answer);
	answer = NULL;
	return 0;
}

static const char *
ask(const char *line)
{
	free(answer);
	answer = cp_admin_handle(&admin, line);
	assert_non_null(answer);
	assert_null(strchr(answer, '\n'));
	return answer;
}

/* ---- JSON helpers ---- */

static const char *
three_name(unsigned int i)
{
	static const char *const n[] = { "a", "", "c" };

	return n[i];
}

static void
test_json_helpers(void **state)
{
	static const uint64_t table[3] = { 1, 2, 3 };
	json_t *o = json_object(), *a, *x;
	char *s;

	(void)state;
	cp_json_put_str(o, "s", "a\"b\\c\n\t\x01 é \xff\xed\xa0\x80.");
	cp_json_put_uint(o, "u", UINT64_MAX);
	cp_json_put_bool(o, "t", true);
	cp_json_put_null(o, "n");
	cp_json_put(o, "q", json_real(1.0));
	cp_json_put(o, "r", json_real(0.125));
	cp_json_put(o, "q3", json_real(123 / 1000.0));
	cp_json_put_ipv4(o, "ip", 0xc6120001u);
	a = cp_json_put_arr(o, "a");
	cp_json_put_uint(a, NULL, 1);
	cp_json_put_obj(a, NULL);
	cp_json_put_arr(a, NULL);
	cp_admin_json_table(o, "tbl", table, 3, three_name);
	cp_json_put_str(o, "z", NULL);
	s = json_dumps(o, CP_ADMIN_JSON_FLAGS);
	assert_string_equal(s,
		"{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001 é \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.\","
		"\"u\":9223372036854775807,\"t\":true,\"n\":null,\"q\":1.0,\"r\":0.125,"
		"\"q3\":0.123,\"ip\":\"198.18.0.1\",\"a\":[1,{},[]],\"tbl\":{\"a\":1,\"c\":3},"
		"\"z\":\"\"}");
	free(s);
	/* NUL bytes and a cut sequence are not UTF-8 either */
	x = cp_json_text("a\0b\xc3", 4);
	assert_int_equal(json_string_length(x), 1 + 3 + 1 + 3);
	json_decref(x);
	json_decref(o);

	/* a failed insertion fails the answer: NULL parents and values are safe */
	cp_json_put(NULL, "k", json_integer(1));
	cp_json_put_uint(cp_json_put_obj(NULL, "x"), "k", 1);
	assert_null(cp_json_put_arr(NULL, NULL));
}

/* ---- command table ---- */

static void
test_cmd_match(void **state)
{
	const struct cp_admin_cmd *cmd;
	char *a1[] = { "nodes" }, *a2[] = { "nodes", "x" }, *a3[] = { "contacts" };
	char *a4[] = { "contacts", "show" }, *a5[] = { "contacts", "show", "bob@x" };
	char *a6[] = { "contacts", "bogus" }, *a7[] = { "frobnicate", "1" };
	char *a8[] = { "tag", "set-active", "service/1" }, *a9[] = { "contacts", "count" };
	char *a10[] = { "tag" };
	int n, i;

	(void)state;
	assert_int_equal(cp_admin_cmd_match(1, a1, &cmd), CP_ADMIN_MATCH_OK);
	assert_string_equal(cmd->name, "nodes");
	assert_int_equal(cp_admin_cmd_match(2, a2, &cmd), CP_ADMIN_MATCH_BAD_ARGS);
	assert_int_equal(cp_admin_cmd_match(1, a3, &cmd), CP_ADMIN_MATCH_BAD_ARGS);
	assert_int_equal(cp_admin_cmd_match(2, a4, &cmd), CP_ADMIN_MATCH_BAD_ARGS);
	assert_string_equal(cmd->usage, "contacts show AOR");
	assert_int_equal(cp_admin_cmd_match(3, a5, &cmd), CP_ADMIN_MATCH_OK);
	assert_string_equal(cmd->name, "contacts show");
	assert_int_equal(cp_admin_cmd_match(2, a6, &cmd), CP_ADMIN_MATCH_BAD_ARGS);
	assert_int_equal(cp_admin_cmd_match(2, a7, &cmd), CP_ADMIN_MATCH_UNKNOWN);
	assert_null(cmd);
	assert_int_equal(cp_admin_cmd_match(3, a8, &cmd), CP_ADMIN_MATCH_OK);
	assert_int_equal(cp_admin_cmd_match(2, a9, &cmd), CP_ADMIN_MATCH_OK);
	assert_int_equal(cp_admin_cmd_match(1, a10, &cmd), CP_ADMIN_MATCH_BAD_ARGS);
	assert_int_equal(cp_admin_cmd_match(0, a1, &cmd), CP_ADMIN_MATCH_UNKNOWN);
	cmd = cp_admin_commands(&n);
	assert_true(n >= 10);
	for (i = 0; i < n; i++) {
		assert_non_null(cmd[i].handler);
		assert_true(strncmp(cmd[i].usage, cmd[i].name, strlen(cmd[i].name)) == 0);
		assert_true(strlen(cmd[i].help) > 5);
	}
}

static void
test_parse_tag(void **state)
{
	static const char *const bad[] = {
		"service", "/1", "service/", "service/0", "service/4294967296", "service/1x",
		"ser vice/1", "service/-1", "a\"b/1", "service/1/2",
		"0123456789012345678901234567890123456789012345678901234567890123/1",
	};
	char name[64];
	uint32_t cl;
	size_t i;

	(void)state;
	assert_int_equal(cp_admin_parse_tag("service/1", name, sizeof(name), &cl), 0);
	assert_string_equal(name, "service");
	assert_int_equal(cl, 1);
	assert_int_equal(cp_admin_parse_tag("a.b-c!%*_+`'~/4294967295", name, sizeof(name), &cl), 0);
	assert_int_equal(cl, 4294967295u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cp_admin_parse_tag(bad[i], name, sizeof(name), &cl), -EINVAL);
	assert_int_equal(cp_admin_parse_tag("service/1", name, 4, &cl), -EINVAL);
}

/* ---- every command ---- */

static void
test_nodes_exact(void **state)
{
	(void)state;
	assert_string_equal(ask("nodes"), FAKE_NODES_JSON);
	assert_string_equal(ask("  nodes\t\r"), FAKE_NODES_JSON);
}

static void
test_commands(void **state)
{
	(void)state;
	assert_string_equal(ask("status"),
		"{\"ok\":true,\"node_id\":1,\"cluster_id\":7,\"uptime_s\":1,\"workers\":2,"
		"\"ports\":[{\"port\":0,\"device\":\"net_af_packet0,iface=ss-n1\",\"link\":\"up\"}]}");
	assert_string_equal(ask("events"),
		"{\"ok\":true,\"events\":["
		"{\"age_ms\":500,\"node\":2,\"event\":\"up\",\"reason\":\"both directions proven\"},"
		"{\"age_ms\":0,\"node\":3,\"event\":\"down\",\"reason\":\"timeout 1000 ms\"}]}");
	assert_string_equal(ask("tags"),
		"{\"ok\":true,\"tags\":[{\"name\":\"service\",\"cluster\":1,\"state\":\"active\","
		"\"owner\":1,\"term\":3}]}");
	assert_string_equal(ask("tag set-active service/1"), "{\"ok\":true}");
	assert_int_equal(fake.tag_calls, 1);
	assert_string_equal(ask("tag set-active other/2"),
			    "{\"ok\":false,\"error\":\"no such tag 'other/2'\"}");
	assert_string_equal(ask("tag set-active other"),
			    "{\"ok\":false,\"error\":\"'other' is not a tag NAME/CLUSTER\"}");
	assert_int_equal(fake.tag_calls, 2);
	assert_string_equal(ask("contacts count"), "{\"ok\":true,\"aors\":2,\"contacts\":3}");
	assert_string_equal(ask("contacts show alice@example.com"),
		"{\"ok\":true,\"aor\":\"alice@example.com\",\"contacts\":[{\"uri\":"
		"\"sip:alice@198.18.0.100:5060\",\"expires_in\":3599,\"received\":"
		"\"198.18.0.100:5060\",\"q\":1.0,\"origin\":1}]}");
	assert_string_equal(ask("contacts show bob@example.com"),
			    "{\"ok\":true,\"aor\":\"bob@example.com\",\"contacts\":[]}");
	assert_string_equal(ask("backends"),
		"{\"ok\":true,\"backends\":[{\"set\":1,\"uri\":\"sip:198.18.1.1:5060\","
		"\"weight\":1,\"state\":\"up\"}]}");
	assert_non_null(strstr(ask("stats"),
		"\"workers\":[{\"worker\":0,\"rx_pkts\":10,\"tx_pkts\":9}],\"cluster\":{"
		"\"rx_heartbeat\":1,"));
	assert_non_null(strstr(answer, "\"decoded\":12,\"rejects\":{\"short\":0,"));
	assert_non_null(strstr(answer, "\"bad_hmac\":2,"));
	assert_non_null(strstr(answer, "\"peers\":[{\"id\":2,\"rx\":1,"));
	assert_non_null(strstr(answer, ",\"registrar\":{\"registers\":3,\"fetches\":0,\"reply_200\":2,"));
	assert_non_null(strstr(answer, "\"reply_423\":1,"));
	assert_non_null(strstr(ask("help"), "{\"usage\":\"contacts show AOR\",\"help\":"));
	assert_int_equal(admin.failed, 2);
}

static void
test_errors(void **state)
{
	struct cp_admin bare;
	char line[CP_ADMIN_MAX_LINE + 10];

	(void)state;
	assert_string_equal(ask(""), "{\"ok\":false,\"error\":\"empty request (try 'help')\"}");
	assert_string_equal(ask("frobnicate now"),
		"{\"ok\":false,\"error\":\"unknown command 'frobnicate' (try 'help')\"}");
	assert_string_equal(ask("contacts"),
			    "{\"ok\":false,\"error\":\"usage: contacts count\"}");
	assert_string_equal(ask("contacts show"),
			    "{\"ok\":false,\"error\":\"usage: contacts show AOR\"}");
	assert_string_equal(ask("nodes all"), "{\"ok\":false,\"error\":\"usage: nodes\"}");
	assert_string_equal(ask("a b c d e f g h i j k l m n o p q"),
			    "{\"ok\":false,\"error\":\"too many words (max 16)\"}");
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_non_null(strstr(ask(line), "request too long"));
	assert_non_null(strstr(ask("\"quoted\\"), "unknown command '\\\"quoted\\\\'"));
	/* a process that registered nothing */
	cp_admin_init(&bare, NULL);
	free(answer);
	answer = cp_admin_handle(&bare, "nodes");
	assert_string_equal(answer,
		"{\"ok\":false,\"error\":\"'nodes' is not available on this node\"}");
	free(answer);
	answer = cp_admin_handle(&bare, "contacts show x");
	assert_string_equal(answer,
		"{\"ok\":false,\"error\":\"'contacts show' is not available on this node\"}");
	free(answer);
	answer = cp_admin_handle(&bare, "help");
	assert_non_null(strstr(answer, "{\"ok\":true,\"commands\":["));
	assert_int_equal(bare.requests, 3);
	assert_int_equal(bare.failed, 2);
}

/* ---- the server loop ---- */

static char *read_lines_into(int fd, int n, char *buf, size_t cap);

/* Reads from FD, polling the server meanwhile, until N lines arrived. */
static char *
read_lines(int fd, int n)
{
	static char buf[1 << 16];

	return read_lines_into(fd, n, buf, sizeof(buf));
}

/* The same into a second buffer (two answers compared at once). */
static char *
read_lines_from(int fd, int n)
{
	static char buf[1 << 16];

	return read_lines_into(fd, n, buf, sizeof(buf));
}

static char *
read_lines_into(int fd, int n, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t r;
	int lines = 0, spins;
	char *p;

	for (spins = 0; lines < n && spins < 1000; spins++) {
		cp_admin_poll(&admin, 5);
		r = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (r > 0) {
			len += (size_t)r;
			buf[len] = '\0';
			for (lines = 0, p = buf; (p = strchr(p, '\n')) != NULL; p++)
				lines++;
		}
		if (r == 0)
			break;
	}
	buf[len] = '\0';
	return buf;
}

static void
test_socketpair(void **state)
{
	static const char req[] = "nodes\r\ncontacts count\n";
	char *got;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(cp_admin_add_client(&admin, sv[0]), 0);
	assert_int_equal(cp_admin_poll(&admin, 0), 0);                 /* nothing yet */
	/* two pipelined requests, the first split across writes */
	assert_int_equal(write(sv[1], req, 3), 3);
	assert_int_equal(cp_admin_poll(&admin, 50), 0);
	assert_int_equal(write(sv[1], req + 3, sizeof(req) - 4), (ssize_t)sizeof(req) - 4);
	got = read_lines(sv[1], 2);
	assert_string_equal(got, FAKE_NODES_JSON "\n{\"ok\":true,\"aors\":2,\"contacts\":3}\n");
	/* half-close after the request: still answered, then closed */
	assert_int_equal(write(sv[1], "tags\n", 5), 5);
	shutdown(sv[1], SHUT_WR);
	got = read_lines(sv[1], 1);
	assert_non_null(strstr(got, "\"term\":3}]}\n"));
	read_lines(sv[1], 1);
	assert_int_equal(admin.clients[0].fd, -1);
	close(sv[1]);
	assert_int_equal(admin.requests, 3);
}

/* A request whose handler waits for the shards (-EINPROGRESS) is asked again on
 * later polls without holding the loop: the other clients are answered
 * meanwhile, its own next request waits behind it (answers keep the order), and
 * it is counted once. */
static void
test_async(void **state)
{
	static const char req_a[] = "contacts show alice@example.com\nnodes\n";
	char buf[256];
	char *got;
	int sa[2], sb[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sa), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sb), 0);
	assert_int_equal(cp_admin_add_client(&admin, sa[0]), 0);
	assert_int_equal(cp_admin_add_client(&admin, sb[0]), 0);
	fake.show_later = 3;
	assert_int_equal(write(sa[1], req_a, sizeof(req_a) - 1), (ssize_t)sizeof(req_a) - 1);
	assert_int_equal(write(sb[1], "backends\n", 9), 9);
	assert_int_equal(cp_admin_poll(&admin, 10), 1);       /* B's, not A's */
	assert_int_equal(fake.show_calls, 1);
	assert_true(admin.clients[0].waiting);
	assert_int_equal(recv(sa[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	got = read_lines_from(sb[1], 1);
	assert_non_null(strstr(got, "\"backends\":[{\"set\":1,"));
	/* the poll asked again, without waiting for activity, until it answered */
	got = read_lines_from(sa[1], 2);
	assert_int_equal(fake.show_calls, 4);
	assert_string_equal(got, "{\"ok\":true,\"aor\":\"alice@example.com\",\"contacts\":[{"
			    "\"uri\":\"sip:alice@198.18.0.100:5060\",\"expires_in\":3599,"
			    "\"received\":\"198.18.0.100:5060\",\"q\":1.0,\"origin\":1}]}\n"
			    FAKE_NODES_JSON "\n");
	assert_false(admin.clients[0].waiting);
	assert_int_equal(admin.requests, 3);
	assert_int_equal(admin.waited, 1);
	assert_int_equal(admin.deferred, 0);
	close(sa[1]);
	close(sb[1]);
}

static void
test_line_too_long(void **state)
{
	static char big[CP_ADMIN_MAX_LINE + 100];
	char *got;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(cp_admin_add_client(&admin, sv[0]), 0);
	memset(big, 'n', sizeof(big));
	assert_int_equal(write(sv[1], big, sizeof(big)), (ssize_t)sizeof(big));
	got = read_lines(sv[1], 1);
	assert_string_equal(got, "{\"ok\":false,\"error\":\"request line too long\"}\n");
	close(sv[1]);
	cp_admin_poll(&admin, 10);
	cp_admin_poll(&admin, 10);
	assert_int_equal(admin.clients[0].fd, -1);
}

static void
test_peer_gone(void **state)
{
	int sv[2], i;

	(void)state;
	/* a client that asks and disappears: no crash, no SIGPIPE, slot freed */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(cp_admin_add_client(&admin, sv[0]), 0);
	assert_int_equal(write(sv[1], "stats\nstats\n", 12), 12);
	close(sv[1]);
	for (i = 0; i < 5; i++)
		cp_admin_poll(&admin, 10);
	assert_int_equal(admin.clients[0].fd, -1);
	/* the slots run out */
	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_int_equal(cp_admin_add_client(&admin, sv[0]), 0);
		close(sv[1]);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(cp_admin_add_client(&admin, sv[0]), -EMFILE);
	close(sv[0]);
	close(sv[1]);
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_unix_socket(void **state)
{
	char dir[] = "/tmp/sipshard-admin-XXXXXX", path[200], sub[128], err[256];
	struct cp_admin second;
	struct stat st;
	char *got;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/run/sipshard", dir);
	snprintf(path, sizeof(path), "%s/node1.sock", sub);
	assert_int_equal(cp_admin_listen(&admin, path, err, sizeof(err)), 0);  /* mkdir -p */
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);

	fd = connect_to(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "nodes\n", 6), 6);
	got = read_lines(fd, 1);
	assert_string_equal(got, FAKE_NODES_JSON "\n");
	close(fd);

	/* a second server on a live socket is refused */
	cp_admin_init(&second, &fake_ops);
	assert_int_equal(cp_admin_listen(&second, path, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "already served"));

	/* a stale socket file (its server gone) is replaced */
	close(admin.listen_fd);
	admin.listen_fd = -1;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(cp_admin_listen(&second, path, err, sizeof(err)), 0);
	fd = connect_to(path);
	assert_true(fd >= 0);
	close(fd);
	cp_admin_close(&second);
	assert_int_equal(stat(path, &st), -1);              /* removed on close */

	/* a regular file in the way is not removed */
	fclose(fopen(path, "w"));
	assert_int_equal(cp_admin_listen(&second, path, err, sizeof(err)), -EADDRINUSE);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	memset(sub, 'x', sizeof(sub) - 1);
	sub[sizeof(sub) - 1] = '\0';
	assert_int_equal(cp_admin_listen(&second, sub, err, sizeof(err)), -ENAMETOOLONG);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/run/sipshard", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/run", dir);
	rmdir(sub);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- --serve: the fake node for tests/cli/sipshardctl.sh ---- */

static volatile sig_atomic_t serve_stop;

static void
serve_on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

static int
serve(const char *path)
{
	time_t end = time(NULL) + 120;
	char err[256];

	signal(SIGTERM, serve_on_signal);
	signal(SIGINT, serve_on_signal);
	fake_init(&fake);
	cp_admin_init(&admin, &fake_ops);
	if (cp_admin_listen(&admin, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	while (!serve_stop && time(NULL) < end)
		cp_admin_poll(&admin, 100);
	cp_admin_close(&admin);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_helpers),
		cmocka_unit_test(test_cmd_match),
		cmocka_unit_test(test_parse_tag),
		cmocka_unit_test_setup_teardown(test_nodes_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socketpair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_socket, setup, teardown),
	};

	if (argc == 3 && strcmp(argv[1], "--serve") == 0)
		return serve(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
