/* SPDX-License-Identifier: BSD-3-Clause */
/* Admin socket server, command table and JSON writer. See cp_admin.h. */
#define _GNU_SOURCE             /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "control/admin/cp_admin.h"
#include "control/topo/cp_topo.h"

/* ---- JSON writer ---- */

static void
cp_json_grow(struct cp_json *j, size_t more)
{
	size_t cap;
	char *p;

	if (j->failed)
		return;
	if (j->len + more + 1 > j->max) {
		j->failed = true;
		return;
	}
	if (j->len + more + 1 <= j->cap)
		return;
	cap = j->cap ? j->cap : 1024;
	while (cap < j->len + more + 1)
		cap *= 2;
	p = realloc(j->buf, cap);
	if (p == NULL) {
		j->failed = true;
		return;
	}
	j->buf = p;
	j->cap = cap;
}

static void
cp_json_put(struct cp_json *j, const char *s, size_t n)
{
	cp_json_grow(j, n);
	if (j->failed)
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void
cp_json_putf(struct cp_json *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->failed = true;
		return;
	}
	cp_json_put(j, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at S (N bytes left), 0 when invalid. */
static size_t
cp_json_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static void
cp_json_quote(struct cp_json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;

	cp_json_put(j, "\"", 1);
	while (i < n && !j->failed) {
		unsigned char ch = p[i];

		if (ch == '"' || ch == '\\') {
			cp_json_put(j, "\\", 1);
			cp_json_put(j, (const char *)&p[i], 1);
			i++;
		} else if (ch == '\n') {
			cp_json_put(j, "\\n", 2);
			i++;
		} else if (ch == '\t') {
			cp_json_put(j, "\\t", 2);
			i++;
		} else if (ch < 0x20 || ch == 0x7f) {
			cp_json_putf(j, "\\u%04x", ch);
			i++;
		} else if (ch < 0x80) {
			for (k = i; k < n && p[k] >= 0x20 && p[k] < 0x7f &&
				    p[k] != '"' && p[k] != '\\'; k++)
				;
			cp_json_put(j, (const char *)p + i, k - i);
			i = k;
		} else if ((k = cp_json_utf8_len(p + i, n - i)) != 0) {
			cp_json_put(j, (const char *)p + i, k);
			i += k;
		} else {
			cp_json_put(j, "\\ufffd", 6);           /* not UTF-8 */
			i++;
		}
	}
	cp_json_put(j, "\"", 1);
}

/* Comma and "key": before a value. */
static void
cp_json_member(struct cp_json *j, const char *key)
{
	if (!j->first[j->depth])
		cp_json_put(j, ",", 1);
	j->first[j->depth] = false;
	if (key != NULL) {
		cp_json_quote(j, key);
		cp_json_put(j, ":", 1);
	}
}

static void
cp_json_open(struct cp_json *j, const char *key, const char *bracket)
{
	cp_json_member(j, key);
	if (j->depth >= CP_JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	cp_json_put(j, bracket, 1);
	j->first[++j->depth] = true;
}

static void
cp_json_close(struct cp_json *j, const char *bracket)
{
	if (j->depth <= 0) {
		j->failed = true;
		return;
	}
	j->depth--;
	cp_json_put(j, bracket, 1);
}

void
cp_json_init(struct cp_json *j, size_t max)
{
	memset(j, 0, sizeof(*j));
	j->max = max;
	j->first[0] = true;
}

void
cp_json_reset(struct cp_json *j)
{
	j->len = 0;
	if (j->buf != NULL)
		j->buf[0] = '\0';
	j->failed = false;
	j->depth = 0;
	j->first[0] = true;
}

void
cp_json_free(struct cp_json *j)
{
	free(j->buf);
	cp_json_init(j, j->max);
}

void
cp_json_obj_open(struct cp_json *j, const char *key)
{
	cp_json_open(j, key, "{");
}

void
cp_json_obj_close(struct cp_json *j)
{
	cp_json_close(j, "}");
}

void
cp_json_arr_open(struct cp_json *j, const char *key)
{
	cp_json_open(j, key, "[");
}

void
cp_json_arr_close(struct cp_json *j)
{
	cp_json_close(j, "]");
}

void
cp_json_str(struct cp_json *j, const char *key, const char *s)
{
	cp_json_member(j, key);
	cp_json_quote(j, s != NULL ? s : "");
}

void
cp_json_uint(struct cp_json *j, const char *key, uint64_t v)
{
	cp_json_member(j, key);
	cp_json_putf(j, "%llu", (unsigned long long)v);
}

void
cp_json_int(struct cp_json *j, const char *key, int64_t v)
{
	cp_json_member(j, key);
	cp_json_putf(j, "%lld", (long long)v);
}

void
cp_json_bool(struct cp_json *j, const char *key, bool v)
{
	cp_json_member(j, key);
	cp_json_put(j, v ? "true" : "false", v ? 4 : 5);
}

void
cp_json_raw(struct cp_json *j, const char *key, const char *json)
{
	cp_json_member(j, key);
	cp_json_put(j, json, strlen(json));
}

void
cp_json_null(struct cp_json *j, const char *key)
{
	cp_json_member(j, key);
	cp_json_put(j, "null", 4);
}

void
cp_json_fixed(struct cp_json *j, const char *key, double v, int decimals)
{
	cp_json_member(j, key);
	if (!isfinite(v) || fabs(v) > 1e18) {
		cp_json_put(j, "null", 4);
		return;
	}
	if (decimals < 0 || decimals > 9)
		decimals = 3;
	cp_json_putf(j, "%.*f", decimals, v);
}

void
cp_json_ipv4(struct cp_json *j, const char *key, uint32_t addr)
{
	char s[INET_ADDRSTRLEN];
	uint32_t be = htonl(addr);

	inet_ntop(AF_INET, &be, s, sizeof(s));
	cp_json_str(j, key, s);
}

/* ---- commands ---- */

static int
cp_admin_show(const struct cp_admin *a, cp_admin_show_fn *fn, const char *what,
	      struct cp_json *j, char *err, size_t errlen)
{
	if (fn == NULL) {
		snprintf(err, errlen, "'%s' is not available on this node", what);
		return -ENOTSUP;
	}
	return fn(a->ops.arg, j, err, errlen);
}

#define CP_ADMIN_SHOW_HANDLER(name, field, what) \
static int \
cp_admin_do_##name(struct cp_admin *a, int argc, char **argv, struct cp_json *j, \
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
CP_ADMIN_SHOW_HANDLER(contacts_count, contacts_count, "contacts count")
CP_ADMIN_SHOW_HANDLER(backends, backends, "backends")
CP_ADMIN_SHOW_HANDLER(stats, stats, "stats")
#undef CP_ADMIN_SHOW_HANDLER

static int
cp_admin_do_tag_set_active(struct cp_admin *a, int argc, char **argv, struct cp_json *j,
			   char *err, size_t errlen)
{
	char name[64];
	uint32_t cluster;

	(void)argc;
	if (cp_admin_parse_tag(argv[0], name, sizeof(name), &cluster) < 0) {
		snprintf(err, errlen, "'%.64s' is not a tag NAME/CLUSTER", argv[0]);
		return -EINVAL;
	}
	if (a->ops.tag_set_active == NULL) {
		snprintf(err, errlen, "'tag set-active' is not available on this node");
		return -ENOTSUP;
	}
	return a->ops.tag_set_active(a->ops.arg, name, cluster, j, err, errlen);
}

static int
cp_admin_do_contacts_show(struct cp_admin *a, int argc, char **argv, struct cp_json *j,
			  char *err, size_t errlen)
{
	(void)argc;
	if (a->ops.contacts_show == NULL) {
		snprintf(err, errlen, "'contacts show' is not available on this node");
		return -ENOTSUP;
	}
	return a->ops.contacts_show(a->ops.arg, argv[0], j, err, errlen);
}

static int cp_admin_do_help(struct cp_admin *a, int argc, char **argv, struct cp_json *j,
			    char *err, size_t errlen);

static const struct cp_admin_cmd cp_admin_cmds[] = {
	{ "status", "status", "node id, cluster id, uptime, workers, ports with link state",
	  0, 0, cp_admin_do_status },
	{ "nodes", "nodes", "the nodes of the cluster, their state and capabilities",
	  0, 0, cp_admin_do_nodes },
	{ "events", "events", "recent node events (up, down and why, joined, ...)",
	  0, 0, cp_admin_do_events },
	{ "tags", "tags", "sharing tags, their state, owner and term", 0, 0, cp_admin_do_tags },
	{ "tag set-active", "tag set-active NAME/CLUSTER",
	  "activate a sharing tag on this node; the others step down",
	  1, 1, cp_admin_do_tag_set_active },
	{ "contacts count", "contacts count", "AoRs and contacts registered (local view)",
	  0, 0, cp_admin_do_contacts_count },
	{ "contacts show", "contacts show AOR", "the contacts of one AoR",
	  1, 1, cp_admin_do_contacts_show },
	{ "backends", "backends", "backend sets, members and their probe state",
	  0, 0, cp_admin_do_backends },
	{ "stats", "stats", "counters: workers, SIP, registrar, proxy, cluster",
	  0, 0, cp_admin_do_stats },
	{ "help", "help", "the commands", 0, 0, cp_admin_do_help },
};

#define CP_ADMIN_N_CMDS ((int)(sizeof(cp_admin_cmds) / sizeof(cp_admin_cmds[0])))

static int
cp_admin_do_help(struct cp_admin *a, int argc, char **argv, struct cp_json *j,
		 char *err, size_t errlen)
{
	int i;

	(void)a;
	(void)argc;
	(void)argv;
	(void)err;
	(void)errlen;
	cp_json_arr_open(j, "commands");
	for (i = 0; i < CP_ADMIN_N_CMDS; i++) {
		cp_json_obj_open(j, NULL);
		cp_json_str(j, "usage", cp_admin_cmds[i].usage);
		cp_json_str(j, "help", cp_admin_cmds[i].help);
		cp_json_obj_close(j);
	}
	cp_json_arr_close(j);
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

void
cp_admin_handle(struct cp_admin *a, const char *line, struct cp_json *j)
{
	char copy[CP_ADMIN_MAX_LINE], err[CP_ADMIN_ERR] = "";
	char *argv[CP_ADMIN_MAX_ARGS + 1], *save = NULL, *w;
	const struct cp_admin_cmd *cmd;
	int argc = 0, rc = 0, words;
	size_t n = strlen(line);

	a->requests++;
	cp_json_reset(j);
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
	cp_json_obj_open(j, NULL);
	cp_json_bool(j, "ok", true);
	rc = cmd->handler(a, argc - words, argv + words, j, err, sizeof(err));
	cp_json_obj_close(j);
	if (rc == 0 && !j->failed && j->depth == 0)
		return;
	if (rc == 0)
		snprintf(err, sizeof(err), "response too large or malformed");
	if (err[0] == '\0')
		snprintf(err, sizeof(err), "%s", strerror(rc < 0 ? -rc : EIO));
fail:
	a->failed++;
	cp_json_reset(j);
	cp_json_obj_open(j, NULL);
	cp_json_bool(j, "ok", false);
	cp_json_str(j, "error", err);
	cp_json_obj_close(j);
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

/* Read what is there and answer every complete line. Returns requests answered,
 * or -1 when the client is to be closed now. */
static int
cp_admin_client_read(struct cp_admin *a, struct cp_admin_client *c, struct cp_json *j)
{
	static const char too_long[] = "{\"ok\":false,\"error\":\"request line too long\"}";
	int answered = 0;
	char *nl;
	ssize_t n;
	size_t used;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0) {
		c->closing = true;      /* client done writing: answer, then close */
		return 0;
	}
	c->in_len += (size_t)n;
	while ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
		*nl = '\0';
		cp_admin_handle(a, c->in, j);
		answered++;
		if (j->failed || cp_admin_client_queue(c, j->buf, j->len) < 0)
			return -1;
		used = (size_t)(nl - c->in) + 1;
		memmove(c->in, nl + 1, c->in_len - used);
		c->in_len -= used;
	}
	if (c->in_len == sizeof(c->in)) {
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
	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++)
		a->clients[i].fd = -1;
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
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
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
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: bind: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	chmod(path, 0660);
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
	struct cp_json j;
	int n = 0, i, rc, answered = 0;

	if (a->listen_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = a->listen_fd, .events = POLLIN };
		slot[n++] = -1;
	}
	for (i = 0; i < CP_ADMIN_MAX_CLIENTS; i++) {
		struct cp_admin_client *c = &a->clients[i];

		if (c->fd < 0)
			continue;
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
	if (rc == 0)
		return 0;
	cp_json_init(&j, CP_ADMIN_MAX_RESPONSE);
	for (i = 0; i < n; i++) {
		struct cp_admin_client *c;

		if (pfd[i].revents == 0)
			continue;
		if (slot[i] < 0) {
			cp_admin_accept(a);
			continue;
		}
		c = &a->clients[slot[i]];
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = c->closing ? 0 : cp_admin_client_read(a, c, &j);
			if (rc < 0 || ((pfd[i].revents & POLLERR) && !(pfd[i].revents & POLLIN))) {
				cp_admin_client_close(c);
				continue;
			}
			answered += rc;
		}
		if (cp_admin_client_flush(c) < 0 ||
		    (c->closing && c->out_len == c->out_off))
			cp_admin_client_close(c);
	}
	cp_json_free(&j);
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
cp_admin_json_caps(struct cp_json *j, const uint8_t *caps)
{
	int c;

	cp_json_obj_open(j, "caps");
	for (c = 0; c < MSG_CAP_MAX; c++)
		cp_json_str(j, msg_cap_name((unsigned int)c), msg_cap_state_name(caps[c]));
	cp_json_obj_close(j);
}

void
cp_admin_json_nodes(struct cp_json *j, const struct cp_topo *t, uint64_t now)
{
	const struct cp_peer *sorted[CP_TOPO_MAX_PEERS];
	bool self_done = false;
	int i, n = t->n_peers;

	for (i = 0; i < n; i++)
		sorted[i] = &t->peers[i];
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cp_admin_cmp_peer);
	cp_json_arr_open(j, "nodes");
	for (i = 0; i <= n; i++) {
		const struct cp_peer *p = i < n ? sorted[i] : NULL;

		if (!self_done && (p == NULL || p->node.id > t->conf.self_id)) {
			self_done = true;
			cp_json_obj_open(j, NULL);
			cp_json_uint(j, "id", t->conf.self_id);
			cp_json_ipv4(j, "address", t->conf.self_addr);
			cp_json_str(j, "state", t->leaving ? "left" : "up");
			cp_json_bool(j, "self", true);
			cp_admin_json_caps(j, t->caps);
			cp_json_uint(j, "port", t->conf.port);
			cp_json_uint(j, "incarnation", t->conf.incarnation);
			cp_json_null(j, "last_heard_ms");
			cp_json_uint(j, "state_for_ms", now - t->started_at);
			cp_json_obj_close(j);
		}
		if (p == NULL)
			break;
		cp_json_obj_open(j, NULL);
		cp_json_uint(j, "id", p->node.id);
		cp_json_ipv4(j, "address", p->node.addr);
		cp_json_str(j, "state", cp_node_state_name(p->state));
		cp_json_bool(j, "self", false);
		cp_admin_json_caps(j, p->caps);
		cp_json_uint(j, "port", p->node.port);
		cp_json_uint(j, "incarnation", p->incarnation);
		if (p->heard_at == CP_NEVER)
			cp_json_null(j, "last_heard_ms");
		else
			cp_json_uint(j, "last_heard_ms", now > p->heard_at ? now - p->heard_at : 0);
		cp_json_uint(j, "state_for_ms", now > p->state_since ? now - p->state_since : 0);
		cp_json_obj_close(j);
	}
	cp_json_arr_close(j);
}

void
cp_admin_json_events(struct cp_json *j, const struct cp_topo *t, uint64_t now)
{
	unsigned int i, n = cp_topo_history_count(t);

	cp_json_arr_open(j, "events");
	for (i = 0; i < n; i++) {
		const struct cp_event *ev = cp_topo_history_get(t, i);

		cp_json_obj_open(j, NULL);
		cp_json_uint(j, "age_ms", now > ev->at ? now - ev->at : 0);
		cp_json_uint(j, "node", ev->node);
		cp_json_str(j, "event", cp_event_kind_name(ev->kind));
		cp_json_str(j, "reason", ev->reason);
		cp_json_obj_close(j);
	}
	cp_json_arr_close(j);
}

void
cp_admin_json_cluster_stats(struct cp_json *j, const struct cp_topo *t,
			    const struct msg_codec *c)
{
	int i;

	cp_json_obj_open(j, "cluster");
	for (i = 0; i < CP_TOPO_COUNTER_MAX; i++)
		cp_json_uint(j, cp_topo_counter_name((unsigned int)i), t->counters[i]);
	cp_json_uint(j, "events", t->n_events);
	if (c != NULL) {
		cp_json_uint(j, "encoded", c->encoded);
		cp_json_uint(j, "decoded", c->decoded);
		cp_json_obj_open(j, "rejects");
		for (i = 1; i < MSG_REJECT_MAX; i++)
			cp_json_uint(j, msg_reject_name(i), c->rejects[i]);
		cp_json_obj_close(j);
	}
	cp_json_arr_open(j, "peers");
	for (i = 0; i < t->n_peers; i++) {
		const struct cp_peer *p = &t->peers[i];

		cp_json_obj_open(j, NULL);
		cp_json_uint(j, "id", p->node.id);
		cp_json_uint(j, "rx", p->rx);
		cp_json_uint(j, "tx", p->tx);
		cp_json_uint(j, "stale", p->stale);
		cp_json_uint(j, "downs", p->downs);
		cp_json_uint(j, "restarts", p->restarts);
		cp_json_obj_close(j);
	}
	cp_json_arr_close(j);
	cp_json_obj_close(j);
}
