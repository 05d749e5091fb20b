/* SPDX-License-Identifier: BSD-3-Clause */
/* Admin socket server, command table and JSON of the answers. See cp_admin.h. */
#define _GNU_SOURCE             /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "control/admin/cp_admin.h"
#include "control/topo/cp_topo.h"

/* ---- JSON (jansson) ---- */

static unsigned int cp_json_failures;   /* of the answer being built */

void
cp_json_put(json_t *parent, const char *key, json_t *v)
{
	int rc;

	if (parent == NULL || v == NULL) {
		json_decref(v);
		cp_json_failures++;
		return;
	}
	rc = key != NULL ? json_object_set_new(parent, key, v) : json_array_append_new(parent, v);
	if (rc != 0)
		cp_json_failures++;
}

void
cp_json_put_str(json_t *parent, const char *key, const char *s)
{
	s = s != NULL ? s : "";
	cp_json_put(parent, key, cp_json_text(s, strlen(s)));
}

void
cp_json_put_uint(json_t *parent, const char *key, uint64_t v)
{
	cp_json_put(parent, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

void
cp_json_put_bool(json_t *parent, const char *key, bool v)
{
	cp_json_put(parent, key, json_boolean(v));
}

void
cp_json_put_null(json_t *parent, const char *key)
{
	cp_json_put(parent, key, json_null());
}

void
cp_json_put_ipv4(json_t *parent, const char *key, uint32_t addr)
{
	char s[INET_ADDRSTRLEN];
	uint32_t be = htonl(addr);

	inet_ntop(AF_INET, &be, s, sizeof(s));
	cp_json_put(parent, key, json_string(s));
}

json_t *
cp_json_put_obj(json_t *parent, const char *key)
{
	json_t *o = json_object();

	cp_json_put(parent, key, json_incref(o));
	json_decref(o);
	return parent != NULL ? o : NULL;
}

json_t *
cp_json_put_arr(json_t *parent, const char *key)
{
	json_t *a = json_array();

	cp_json_put(parent, key, json_incref(a));
	json_decref(a);
	return parent != NULL ? a : NULL;
}

/* Length of the well-formed UTF-8 sequence at S (N bytes left, N > 0), 0 when
 * ill-formed (RFC 3629: no overlong form, no surrogate, nothing over U+10FFFF). */
static size_t
cp_json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0x01 && s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

json_t *
cp_json_text(const char *s, size_t n)
{
	static const char repl[] = "\xef\xbf\xbd";  /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len = 0;
	json_t *v;
	char *buf;

	buf = malloc(3 * n + 1);
	if (buf == NULL)
		return NULL;
	while (i < n) {
		k = cp_json_utf8_len(p + i, n - i);
		if (k == 0) {
			memcpy(buf + len, repl, 3);
			len += 3;
			i++;
			continue;
		}
		memcpy(buf + len, p + i, k);
		len += k;
		i += k;
	}
	v = json_stringn_nocheck(buf, len);
	free(buf);
	return v;
}

/* ---- commands ---- */

static int
cp_admin_show(const struct cp_admin *a, cp_admin_show_fn *fn, const char *what,
	      json_t *j, char *err, size_t errlen)
{
	if (fn == NULL) {
		snprintf(err, errlen, "'%s' is not available on this node", what);
		return -ENOTSUP;
	}
	return fn(a->ops.arg, j, err, errlen);
}

#define CP_ADMIN_SHOW_HANDLER(name, field, what) \
static int \
cp_admin_do_##name(struct cp_admin *a, int argc, char **argv, json_t *j, \
		   char *err, size_t errlen) \
{ \
	(void)argc; \
	(void)argv; \
	return cp_admin_show(a, a->ops.field, what, j, err, errlen); \
}
CP_ADMIN_SHOW_HANDLER(status, status, "status")
CP_ADMIN_SHOW_HANDLER(nodes, nodes, "nodes")
CP_ADMIN_SHOW_HANDLER(events, events, "events")
CP_ADMIN_SHOW_HANDLER(tags, tags, "tags")
CP_ADMIN_SHOW_HANDLER(tags_history, tags_history, "tags history")
CP_ADMIN_SHOW_HANDLER(contacts_count, contacts_count, "contacts count")
CP_ADMIN_SHOW_HANDLER(backends, backends, "backends")
CP_ADMIN_SHOW_HANDLER(stats, stats, "stats")
CP_ADMIN_SHOW_HANDLER(sync, sync, "sync")
CP_ADMIN_SHOW_HANDLER(sync_start, sync_start, "sync start")
CP_ADMIN_SHOW_HANDLER(pinging, pinging, "pinging")
CP_ADMIN_SHOW_HANDLER(auth_reload, auth_reload, "auth reload")
CP_ADMIN_SHOW_HANDLER(limits, limits, "limits")
#undef CP_ADMIN_SHOW_HANDLER

/* A command on one tag NAME/CLUSTER (argv[0]) through FN. */
static int
cp_admin_tag_cmd(struct cp_admin *a, cp_admin_tag_fn *fn, const char *what, char **argv,
		 json_t *j, char *err, size_t errlen)
{
	char name[64];
	uint32_t cluster;

	if (cp_admin_parse_tag(argv[0], name, sizeof(name), &cluster) < 0) {
		snprintf(err, errlen, "'%.64s' is not a tag NAME/CLUSTER", argv[0]);
		return -EINVAL;
	}
	if (fn == NULL) {
		snprintf(err, errlen, "'%s' is not available on this node", what);
		return -ENOTSUP;
	}
	return fn(a->ops.arg, name, cluster, j, err, errlen);
}

static int
cp_admin_do_tag_set_active(struct cp_admin *a, int argc, char **argv, json_t *j,
			   char *err, size_t errlen)
{
	(void)argc;
	return cp_admin_tag_cmd(a, a->ops.tag_set_active, "tag set-active", argv, j, err, errlen);
}

static int
cp_admin_do_tag_status(struct cp_admin *a, int argc, char **argv, json_t *j,
		       char *err, size_t errlen)
{
	(void)argc;
	return cp_admin_tag_cmd(a, a->ops.tag_status, "tag status", argv, j, err, errlen);
}

static int
cp_admin_do_contacts_show(struct cp_admin *a, int argc, char **argv, json_t *j,
			  char *err, size_t errlen)
{
	(void)argc;
	if (a->ops.contacts_show == NULL) {
		snprintf(err, errlen, "'contacts show' is not available on this node");
		return -ENOTSUP;
	}
	return a->ops.contacts_show(a->ops.arg, argv[0], j, err, errlen);
}

static int
cp_admin_do_contacts_where(struct cp_admin *a, int argc, char **argv, json_t *j,
			   char *err, size_t errlen)
{
	(void)argc;
	if (a->ops.contacts_where == NULL) {
		snprintf(err, errlen, "'contacts where' is not available on this node");
		return -ENOTSUP;
	}
	return a->ops.contacts_where(a->ops.arg, argv[0], j, err, errlen);
}

static int cp_admin_do_help(struct cp_admin *a, int argc, char **argv, json_t *j,
			    char *err, size_t errlen);

static const struct cp_admin_cmd cp_admin_cmds[] = {
	{ "status", "status", "node id, cluster id, uptime, workers, ports with link state",
	  0, 0, cp_admin_do_status },
	{ "nodes", "nodes", "the nodes of the cluster, their state and capabilities",
	  0, 0, cp_admin_do_nodes },
	{ "events", "events", "recent node events (up, down and why, joined, ...)",
	  0, 0, cp_admin_do_events },
	/* "tags history" before "tags": the first name that matches wins */
	{ "tags history", "tags history",
	  "the last 200 tag transitions: time, tag, term, holder, reason",
	  0, 0, cp_admin_do_tags_history },
	{ "tags", "tags", "sharing tags, their state, owner and term", 0, 0, cp_admin_do_tags },
	{ "tag set-active", "tag set-active NAME/CLUSTER",
	  "activate a sharing tag on this node; the others step down (sipshardctl waits "
	  "until every peer that is up has acknowledged, at most --timeout)",
	  1, 1, cp_admin_do_tag_set_active },
	{ "tag status", "tag status NAME/CLUSTER",
	  "one tag: holder, term, and which up peers acknowledged this node's last claim",
	  1, 1, cp_admin_do_tag_status },
	{ "contacts count", "contacts count", "AoRs and contacts registered (local view; federation: and directory entries)",
	  0, 0, cp_admin_do_contacts_count },
	{ "contacts show", "contacts show AOR", "the contacts of one AoR",
	  1, 1, cp_admin_do_contacts_show },
	{ "contacts where", "contacts where AOR",
	  "federation: the home node of an AoR (the node holding its bindings)",
	  1, 1, cp_admin_do_contacts_where },
	{ "backends", "backends", "backend sets, members and their probe state",
	  0, 0, cp_admin_do_backends },
	{ "stats", "stats", "counters: workers, SIP, registrar, proxy, cluster",
	  0, 0, cp_admin_do_stats },
	/* "sync start" before "sync": the first name that matches wins */
	{ "sync start", "sync start", "ask every peer for a full sync of the registrations",
	  0, 0, cp_admin_do_sync_start },
	{ "sync", "sync", "this node's registrations sync: state, donor, records, bytes, seconds",
	  0, 0, cp_admin_do_sync },
	{ "pinging", "pinging",
	  "NAT keepalive pinging: mode, interval, each node's share of the contacts per interval, "
	  "pings sent, answered, failed", 0, 0, cp_admin_do_pinging },
	{ "auth reload", "auth reload",
	  "re-read auth.subscribers_file; the workers swap to the new table (no restart)",
	  0, 0, cp_admin_do_auth_reload },
	{ "limits", "limits",
	  "sources blocked now by the per-source limits: source, seconds left, packets dropped",
	  0, 0, cp_admin_do_limits },
	{ "help", "help", "the commands", 0, 0, cp_admin_do_help },
};

#define CP_ADMIN_N_CMDS ((int)(sizeof(cp_admin_cmds) / sizeof(cp_admin_cmds[0])))

static int
cp_admin_do_help(struct cp_admin *a, int argc, char **argv, json_t *j,
		 char *err, size_t errlen)
{
	json_t *cmds;
	int i;

	(void)a;
	(void)argc;
	(void)argv;
	(void)err;
	(void)errlen;
	cmds = cp_json_put_arr(j, "commands");
	for (i = 0; i < CP_ADMIN_N_CMDS; i++) {
		json_t *o = cp_json_put_obj(cmds, NULL);

		cp_json_put_str(o, "usage", cp_admin_cmds[i].usage);
		cp_json_put_str(o, "help", cp_admin_cmds[i].help);
	}
	return 0;
}

const struct cp_admin_cmd *
cp_admin_commands(int *n)
{
	*n = CP_ADMIN_N_CMDS;
	return cp_admin_cmds;
}

/* Words of NAME matched by ARGV: the count, or 0 when they differ. */
static int
cp_admin_name_words(const char *name, int argc, char *const *argv)
{
	const char *sp = strchr(name, ' ');
	size_t first = sp != NULL ? (size_t)(sp - name) : strlen(name);

	if (argc < 1 || strlen(argv[0]) != first || strncmp(argv[0], name, first) != 0)
		return 0;
	if (sp == NULL)
		return 1;
	return argc >= 2 && strcmp(argv[1], sp + 1) == 0 ? 2 : -1;
}

enum cp_admin_match
cp_admin_cmd_match(int argc, char *const *argv, const struct cp_admin_cmd **cmd)
{
	const struct cp_admin_cmd *partial = NULL;
	int i, w, nargs;

	*cmd = NULL;
	for (i = 0; i < CP_ADMIN_N_CMDS; i++) {
		w = cp_admin_name_words(cp_admin_cmds[i].name, argc, argv);
		if (w == -1 && partial == NULL)
			partial = &cp_admin_cmds[i];
		if (w <= 0)
			continue;
		*cmd = &cp_admin_cmds[i];
		nargs = argc - w;
		if (nargs < cp_admin_cmds[i].min_args || nargs > cp_admin_cmds[i].max_args)
			return CP_ADMIN_MATCH_BAD_ARGS;
		return CP_ADMIN_MATCH_OK;
	}
	if (partial != NULL) {
		*cmd = partial;
		return CP_ADMIN_MATCH_BAD_ARGS;
	}
	return CP_ADMIN_MATCH_UNKNOWN;
}

int
cp_admin_parse_tag(const char *s, char *name, size_t namelen, uint32_t *cluster)
{
	static const char token_extra[] = "-.!%*_+`'~";
	const char *slash = strchr(s, '/'), *p;
	unsigned long long v = 0;
	size_t n;

	if (slash == NULL || slash == s)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n >= namelen || n > 63)
		return -EINVAL;
	for (p = s; p < slash; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(token_extra, *p) != NULL))
			return -EINVAL;
	for (p = slash + 1; *p >= '0' && *p <= '9' && v <= UINT32_MAX; p++)
		v = v * 10 + (unsigned long long)(*p - '0');
	if (p == slash + 1 || *p != '\0' || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = '\0';
	*cluster = (uint32_t)v;
	return 0;
}

/* {"ok":false,"error":ERR} */
static char *
cp_admin_error(const char *err)
{
	json_t *resp = json_object();
	char *out;

	cp_json_put_bool(resp, "ok", false);
	cp_json_put_str(resp, "error", err);
	out = json_dumps(resp, CP_ADMIN_JSON_FLAGS);
	json_decref(resp);
	return out;
}

static char *
cp_admin_handle_line(struct cp_admin *a, const char *line)
{
	char copy[CP_ADMIN_MAX_LINE], err[CP_ADMIN_ERR] = "";
	char *argv[CP_ADMIN_MAX_ARGS + 1], *save = NULL, *w, *out;
	const struct cp_admin_cmd *cmd;
	int argc = 0, rc = 0, words;
	size_t n = strlen(line);
	json_t *resp;

	if (n >= sizeof(copy)) {
		snprintf(err, sizeof(err), "request too long (max %d bytes)", CP_ADMIN_MAX_LINE - 1);
		rc = -EINVAL;
		goto fail;
	}
	memcpy(copy, line, n + 1);
	if (n > 0 && copy[n - 1] == '\r')
		copy[n - 1] = '\0';
	for (w = strtok_r(copy, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (argc == CP_ADMIN_MAX_ARGS) {
			snprintf(err, sizeof(err), "too many words (max %d)", CP_ADMIN_MAX_ARGS);
			rc = -E2BIG;
			goto fail;
		}
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	if (argc == 0) {
		snprintf(err, sizeof(err), "empty request (try 'help')");
		rc = -EINVAL;
		goto fail;
	}
	switch (cp_admin_cmd_match(argc, argv, &cmd)) {
	case CP_ADMIN_MATCH_UNKNOWN:
		snprintf(err, sizeof(err), "unknown command '%.64s' (try 'help')", argv[0]);
		rc = -ENOENT;
		goto fail;
	case CP_ADMIN_MATCH_BAD_ARGS:
		snprintf(err, sizeof(err), "usage: %s", cmd->usage);
		rc = -EINVAL;
		goto fail;
	case CP_ADMIN_MATCH_OK:
		break;
	}
	words = strchr(cmd->name, ' ') != NULL ? 2 : 1;
	cp_json_failures = 0;
	resp = json_object();
	cp_json_put_bool(resp, "ok", true);
	rc = cmd->handler(a, argc - words, argv + words, resp, err, sizeof(err));
	if (rc == -EINPROGRESS) {       /* waiting for the shards: ask again later */
		json_decref(resp);
		errno = EINPROGRESS;
		return NULL;
	}
	out = rc == 0 && cp_json_failures == 0 ? json_dumps(resp, CP_ADMIN_JSON_FLAGS) : NULL;
	json_decref(resp);
	if (out != NULL && strlen(out) < CP_ADMIN_MAX_RESPONSE)
		return out;
	free(out);
	if (rc == 0) {
		a->too_large++;
		snprintf(err, sizeof(err), "response too large or out of memory");
	}
	if (err[0] == '\0')
		snprintf(err, sizeof(err), "%s", strerror(rc < 0 ? -rc : EIO));
fail:
	a->failed++;
	return cp_admin_error(err);
}

char *
cp_admin_handle(struct cp_admin *a, const char *line)
{
	char *out = cp_admin_handle_line(a, line);

	if (out != NULL)
		a->requests++;
	else if (errno != EINPROGRESS)
		a->requests++, errno = ENOMEM;
	return out;
}

/* ---- server: the cp event loop thread ---- */

static void
cp_admin_client_close(struct cp_admin_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Send what is pending without blocking. 0, or -errno (connection gone). */
static int
cp_admin_client_flush(struct cp_admin_client *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		c->out_off += (size_t)n;
		if (c->out_off < c->out_len) {
			/* partial send: keep only what is left, at the front */
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
	}
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
	c->out_off = 0;
	return 0;
}

static int
cp_admin_client_queue(struct cp_admin_client *c, const char *s, size_t len)
{
	char *p;

	if (c->out_len - c->out_off + len + 1 > 2 * (size_t)CP_ADMIN_MAX_RESPONSE)
		return -ENOBUFS;        /* a client that sends without reading */
	p = realloc(c->out, c->out_len + len + 1);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p + c->out_len, s, len);
	p[c->out_len + len] = '\n';
	c->out = p;
	c->out_len += len + 1;
	return 0;
}

static uint64_t
cp_admin_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Answer the complete lines of C within the poll's budget (*LEFT requests, until
 * DEADLINE_US). Returns requests answered, or -1 when the client is to be closed. */
static int
cp_admin_client_answer(struct cp_admin *a, struct cp_admin_client *c, int *left,
		       uint64_t deadline_us)
{
	int answered = 0, rc;
	char *nl, *out;
	size_t used;

	while (*left > 0 && (nl = memchr(c->in, '\n', c->in_len)) != NULL) {
		if (*left < CP_ADMIN_POLL_BUDGET && cp_admin_now_us() >= deadline_us) {
			*left = 0;
			break;
		}
		(*left)--;
		*nl = '\0';
		out = cp_admin_handle(a, c->in);
		if (out == NULL && errno == EINPROGRESS) {
			/* the answer needs the shards: this line again next poll, and
			 * nothing after it before (answers keep the requests' order) */
			*nl = '\n';
			if (!c->waiting)
				a->waited++;
			c->waiting = true;
			break;
		}
		c->waiting = false;
		answered++;
		rc = out != NULL ? cp_admin_client_queue(c, out, strlen(out)) : -ENOMEM;
		free(out);
		if (rc < 0)
			return -1;
		used = (size_t)(nl - c->in) + 1;
		memmove(c->in, nl + 1, c->in_len - used);
		c->in_len -= used;
	}
	return answered;
}

static bool
cp_admin_client_pending(const struct cp_admin_client *c)
{
	return c->fd >= 0 && memchr(c->in, '\n', c->in_len) != NULL;
}

/* Read what is there and answer complete lines within the budget. Returns
 * requests answered, or -1 when the client is to be closed now. */
static int
cp_admin_client_read(struct cp_admin *a, struct cp_admin_client *c, int *left,
		     uint64_t deadline_us)
{
	static const char too_long[] = "{\"ok\":false,\"error\":\"request line too long\"}";
	int answered;
	ssize_t n;

	if (c->in_len < sizeof(c->in) && !cp_admin_client_pending(c)) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		if (n == 0) {
			c->closing = true;      /* client done writing: answer, then close */
			return cp_admin_client_answer(a, c, left, deadline_us);
		}
		c->in_len += (size_t)n;
	}
	answered = cp_admin_client_answer(a, c, left, deadline_us);
	if (answered < 0)
		return -1;
	if (c->in_len == sizeof(c->in) && !cp_admin_client_pending(c)) {
		a->requests++;
		a->failed++;
		c->in_len = 0;
		c->closing = true;
		if (cp_admin_client_queue(c, too_long, sizeof(too_long) - 1) < 0)
			return -1;
		answered++;
	}
	return answered;
}

void
cp_admin_init(struct cp_admin *a, const struct cp_admin_ops *ops)
{
	int i;

	memset(a, 0, sizeof(*a));
	if (ops != NULL)
		a->ops = *ops;
	a->listen_fd = -1;
	a->allow_gid = -1;
	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++)
		a->clients[i].fd = -1;
}

void
cp_admin_set_group(struct cp_admin *a, long gid)
{
	a->allow_gid = gid;
}

/* SO_PEERCRED of FD: root, our own uid, or the allowed group. */
static bool
cp_admin_peer_allowed(const struct cp_admin *a, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr))
		return false;
	return cr.uid == 0 || cr.uid == geteuid() ||
	       (a->allow_gid >= 0 && (long)cr.gid == a->allow_gid);
}

/* mkdir -p of the directory part of PATH. */
static int
cp_admin_mkdirs(const char *path)
{
	char dir[sizeof(((struct cp_admin *)0)->path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
cp_admin_listen(struct cp_admin *a, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, probe, rc;
	mode_t old_mask;

	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(a->path)) {
		snprintf(err, errlen, "%s: socket path too long (max %zu bytes)", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = cp_admin_mkdirs(path);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", path, strerror(-rc));
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: socket: %s", path, strerror(errno));
		return rc;
	}
	/* the file is created 0660 (umask), never reachable by others even for a moment */
	old_mask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old_mask);
	if (rc == -EADDRINUSE && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* a socket file: live if someone accepts on it, else stale */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			snprintf(err, errlen, "%s: already served by a running process", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
		old_mask = umask(0117);
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
		umask(old_mask);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: bind: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (a->allow_gid >= 0 && chown(path, (uid_t)-1, (gid_t)a->allow_gid) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: chown to group %ld: %s", path, a->allow_gid,
			 strerror(errno));
		close(fd);
		unlink(path);
		return rc;
	}
	if (listen(fd, 16) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: listen: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	a->listen_fd = fd;
	snprintf(a->path, sizeof(a->path), "%s", path);
	return 0;
}

int
cp_admin_add_client(struct cp_admin *a, int fd)
{
	int i;

	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++) {
		if (a->clients[i].fd >= 0)
			continue;
		cp_admin_client_close(&a->clients[i]);
		a->clients[i].fd = fd;
		return 0;
	}
	return -EMFILE;
}

static void
cp_admin_accept(struct cp_admin *a)
{
	int fd;

	for (;;) {
		fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;         /* EAGAIN, or an error to retry next poll */
		if (!cp_admin_peer_allowed(a, fd)) {
			static const char no[] = "{\"ok\":false,\"error\":\"permission denied\"}\n";

			a->denied++;
			(void)!send(fd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		if (cp_admin_add_client(a, fd) < 0) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many admin connections\"}\n";

			a->refused++;
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
		}
	}
}

int
cp_admin_poll(struct cp_admin *a, int timeout_ms)
{
	struct pollfd pfd[CP_ADMIN_MAX_CLIENTS + 1];
	int slot[CP_ADMIN_MAX_CLIENTS + 1];
	int n = 0, i, rc, answered = 0, left = CP_ADMIN_POLL_BUDGET;
	uint64_t deadline;

	if (a->listen_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = a->listen_fd, .events = POLLIN };
		slot[n++] = -1;
	}
	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++) {
		struct cp_admin_client *c = &a->clients[i];

		if (c->fd < 0)
			continue;
		if (cp_admin_client_pending(c) && !c->waiting)
			timeout_ms = 0;         /* requests left by the last poll's budget */
		else if (c->waiting && (timeout_ms < 0 || timeout_ms > 1))
			timeout_ms = 1;         /* an answer the shards have yet to give */
		pfd[n] = (struct pollfd){ .fd = c->fd };
		if (!c->closing)
			pfd[n].events |= POLLIN;
		if (c->out_len > c->out_off)
			pfd[n].events |= POLLOUT;
		slot[n++] = i;
	}
	if (n == 0)
		return 0;
	rc = poll(pfd, (nfds_t)n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	deadline = cp_admin_now_us() + CP_ADMIN_POLL_BUDGET_US;
	for (i = 0; i < n; i++) {
		struct cp_admin_client *c;

		if (slot[i] >= 0 && cp_admin_client_pending(&a->clients[slot[i]]))
			pfd[i].revents |= POLLIN;       /* answer what is left first */
		if (pfd[i].revents == 0)
			continue;
		if (slot[i] < 0) {
			cp_admin_accept(a);
			continue;
		}
		c = &a->clients[slot[i]];
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = c->closing && !cp_admin_client_pending(c) ? 0 :
			     cp_admin_client_read(a, c, &left, deadline);
			if (rc < 0 || ((pfd[i].revents & POLLERR) && !(pfd[i].revents & POLLIN))) {
				cp_admin_client_close(c);
				continue;
			}
			answered += rc;
		}
		if (cp_admin_client_flush(c) < 0 ||
		    (c->closing && c->out_len == c->out_off && !cp_admin_client_pending(c)))
			cp_admin_client_close(c);
	}
	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++)
		if (cp_admin_client_pending(&a->clients[i]) && !a->clients[i].waiting) {
			a->deferred++;
			break;
		}
	return answered;
}

void
cp_admin_close(struct cp_admin *a)
{
	int i;

	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++)
		if (a->clients[i].fd >= 0)
			cp_admin_client_close(&a->clients[i]);
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		a->listen_fd = -1;
		unlink(a->path);
	}
}

/* ---- JSON of the cluster's own data ---- */

static int
cp_admin_cmp_peer(const void *x, const void *y)
{
	const struct cp_peer *a = *(const struct cp_peer *const *)x;
	const struct cp_peer *b = *(const struct cp_peer *const *)y;

	return (int)a->node.id - (int)b->node.id;
}

static void
cp_admin_json_caps(json_t *node, const uint8_t *caps)
{
	json_t *o = cp_json_put_obj(node, "caps");
	int c;

	for (c = 0; c < MSG_CAP_MAX; c++)
		cp_json_put_str(o, msg_cap_name((unsigned int)c), msg_cap_state_name(caps[c]));
}

void
cp_admin_json_nodes(json_t *resp, const struct cp_topo *t, uint64_t now)
{
	const struct cp_peer *sorted[CP_TOPO_MAX_PEERS];
	json_t *arr = cp_json_put_arr(resp, "nodes"), *o;
	bool self_done = false;
	int i, n = t->n_peers;

	for (i = 0; i < n; i++)
		sorted[i] = &t->peers[i];
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cp_admin_cmp_peer);
	for (i = 0; i <= n; i++) {
		const struct cp_peer *p = i < n ? sorted[i] : NULL;

		if (!self_done && (p == NULL || p->node.id > t->conf.self_id)) {
			self_done = true;
			o = cp_json_put_obj(arr, NULL);
			cp_json_put_uint(o, "id", t->conf.self_id);
			cp_json_put_ipv4(o, "address", t->conf.self_addr);
			cp_json_put_str(o, "state", t->leaving ? "left" : "up");
			cp_json_put_bool(o, "self", true);
			cp_admin_json_caps(o, t->caps);
			cp_json_put_uint(o, "port", t->conf.port);
			cp_json_put_uint(o, "incarnation", t->conf.incarnation);
			cp_json_put_null(o, "last_heard_ms");
			cp_json_put_uint(o, "state_for_ms", now - t->started_at);
		}
		if (p == NULL)
			break;
		o = cp_json_put_obj(arr, NULL);
		cp_json_put_uint(o, "id", p->node.id);
		cp_json_put_ipv4(o, "address", p->node.addr);
		cp_json_put_str(o, "state", cp_node_state_name(p->state));
		cp_json_put_bool(o, "self", false);
		cp_admin_json_caps(o, p->caps);
		cp_json_put_uint(o, "port", p->node.port);
		cp_json_put_uint(o, "incarnation", p->incarnation);
		if (p->heard_at == CP_NEVER)
			cp_json_put_null(o, "last_heard_ms");
		else
			cp_json_put_uint(o, "last_heard_ms", now > p->heard_at ? now - p->heard_at : 0);
		cp_json_put_uint(o, "state_for_ms", now > p->state_since ? now - p->state_since : 0);
		/* alarm: two live runs of this node id (issue 14 item 9) */
		cp_json_put_bool(o, "duplicate", cp_topo_peer_duplicate(t, p, now));
		if (p->dup_at != CP_NEVER) {
			cp_json_put_uint(o, "duplicate_incarnation", p->dup_incarnation);
			cp_json_put_ipv4(o, "duplicate_address", p->dup_addr);
			cp_json_put_uint(o, "duplicate_ms", now > p->dup_at ? now - p->dup_at : 0);
		}
	}
}

void
cp_admin_json_events(json_t *resp, const struct cp_topo *t, uint64_t now)
{
	json_t *arr = cp_json_put_arr(resp, "events");
	unsigned int i, n = cp_topo_history_count(t);

	for (i = 0; i < n; i++) {
		const struct cp_event *ev = cp_topo_history_get(t, i);
		json_t *o = cp_json_put_obj(arr, NULL);

		cp_json_put_uint(o, "age_ms", now > ev->at ? now - ev->at : 0);
		cp_json_put_uint(o, "node", ev->node);
		cp_json_put_str(o, "event", cp_event_kind_name(ev->kind));
		cp_json_put_str(o, "reason", ev->reason);
	}
}

void
cp_admin_json_cluster_stats(json_t *resp, const struct cp_topo *t,
			    const struct msg_codec *c)
{
	json_t *cl = cp_json_put_obj(resp, "cluster"), *o, *peers;
	int i;

	for (i = 0; i < CP_TOPO_COUNTER_MAX; i++)
		cp_json_put_uint(cl, cp_topo_counter_name((unsigned int)i), t->counters[i]);
	cp_json_put_uint(cl, "events", t->n_events);
	if (c != NULL) {
		cp_json_put_uint(cl, "encoded", c->encoded);
		cp_json_put_uint(cl, "decoded", c->decoded);
		o = cp_json_put_obj(cl, "rejects");
		for (i = 1; i < MSG_REJECT_MAX; i++)
			cp_json_put_uint(o, msg_reject_name(i), c->rejects[i]);
	}
	peers = cp_json_put_arr(cl, "peers");
	for (i = 0; i < t->n_peers; i++) {
		const struct cp_peer *p = &t->peers[i];

		o = cp_json_put_obj(peers, NULL);
		cp_json_put_uint(o, "id", p->node.id);
		cp_json_put_uint(o, "rx", p->rx);
		cp_json_put_uint(o, "tx", p->tx);
		cp_json_put_uint(o, "stale", p->stale);
		cp_json_put_uint(o, "downs", p->downs);
		cp_json_put_uint(o, "restarts", p->restarts);
	}
}

void
cp_admin_json_table(json_t *resp, const char *key, const uint64_t *v, unsigned int n,
		    const char *(*name)(unsigned int))
{
	json_t *o = cp_json_put_obj(resp, key);
	unsigned int i;

	for (i = 0; i < n; i++) {
		const char *nm = name(i);

		if (nm != NULL && nm[0] != '\0')
			cp_json_put_uint(o, nm, v[i]);
	}
}

void
cp_admin_json_counters(json_t *resp, const struct cp_admin *a)
{
	json_t *o = cp_json_put_obj(resp, "admin");

	cp_json_put_uint(o, "requests", a->requests);
	cp_json_put_uint(o, "failed", a->failed);
	cp_json_put_uint(o, "refused", a->refused);
	cp_json_put_uint(o, "too_large", a->too_large);
	cp_json_put_uint(o, "denied", a->denied);
	cp_json_put_uint(o, "deferred", a->deferred);
	cp_json_put_uint(o, "waited", a->waited);
}
