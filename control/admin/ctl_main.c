/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshardctl: the admin CLI of a sipshard node (docs/cluster.md, docs/interfaces.md).
 *
 *   sipshardctl [-s SOCKET] [--json] COMMAND [ARGS...]
 *
 * Sends "COMMAND ARGS...\n" to the admin socket of sipshard-cp (default
 * /run/sipshard/sipshard.sock) and reads its one-line JSON answer (parsed with
 * jansson). With --json it prints that object without its "ok" member, dumped
 * with the server's flags (CP_ADMIN_JSON_FLAGS), hence the bytes the server
 * wrote; without, tables with a header row for lists of objects and
 * "key: value" lines for the rest. Commands it does not know are sent as they
 * are (the server may know them). Exit status: 0 done, 1 the command failed
 * (message on stderr), 2 usage error, 3 the socket cannot be reached.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>

#include <jansson.h>

#include "control/admin/cp_admin.h"
#include "control/cp_clock.h"

#define CTL_EXIT_OK          0
#define CTL_EXIT_FAILED      1
#define CTL_EXIT_USAGE       2
#define CTL_EXIT_UNREACHABLE 3
#define CTL_TIMEOUT_S        10
#define CTL_MAX_COLS         32

/* ---- text out ---- */

struct ctl_buf {
	char *s;
	size_t len;
	size_t cap;
};

static void
ctl_buf_put(struct ctl_buf *b, const char *s, size_t n)
{
	char *p;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		p = realloc(b->s, b->cap);
		if (p == NULL) {
			fprintf(stderr, "sipshardctl: out of memory\n");
			exit(CTL_EXIT_FAILED);
		}
		b->s = p;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
ctl_buf_puts(struct ctl_buf *b, const char *s)
{
	ctl_buf_put(b, s, strlen(s));
}

/* A string as text: \n \t \r \b \f as a space, other control characters '?'. */
static void
ctl_buf_text(struct ctl_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20)
			ctl_buf_put(b, s + i, 1);
		else
			ctl_buf_put(b, strchr("\n\t\r\b\f", c) != NULL && c != 0 ? " " : "?", 1);
	}
}

/* Human text of a value: strings as they are, yes/no, "-" for null, numbers as
 * in the JSON; objects as k=v,k=v; arrays as a,b. */
static void
ctl_text(const json_t *v, struct ctl_buf *b)
{
	const char *key;
	json_t *m;
	size_t i;
	char *num;

	switch (json_typeof(v)) {
	case JSON_STRING:
		ctl_buf_text(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		num = json_dumps(v, JSON_ENCODE_ANY | CP_ADMIN_JSON_FLAGS);
		ctl_buf_puts(b, num != NULL ? num : "?");
		free(num);
		break;
	case JSON_TRUE:
		ctl_buf_puts(b, "yes");
		break;
	case JSON_FALSE:
		ctl_buf_puts(b, "no");
		break;
	case JSON_NULL:
		ctl_buf_puts(b, "-");
		break;
	case JSON_OBJECT:
		i = 0;
		json_object_foreach((json_t *)v, key, m) {
			if (i++ != 0)
				ctl_buf_puts(b, ",");
			ctl_buf_text(b, key, strlen(key));
			ctl_buf_puts(b, "=");
			ctl_text(m, b);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, m) {
			if (i != 0)
				ctl_buf_puts(b, ",");
			ctl_text(m, b);
		}
		break;
	}
}

static bool
ctl_is_table(const json_t *arr)
{
	const json_t *row;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return false;
	json_array_foreach(arr, i, row)
		if (!json_is_object(row))
			return false;
	return true;
}

/* Text of column COL of ROW (ROW NULL: the header, the name in capitals; "-"
 * for a missing member). */
static void
ctl_table_text(const json_t *row, const char *col, struct ctl_buf *cell)
{
	const json_t *m;
	size_t c;

	cell->len = 0;
	ctl_buf_puts(cell, "");
	if (row == NULL) {
		ctl_buf_text(cell, col, strlen(col));
		for (c = 0; c < cell->len; c++)
			cell->s[c] = (char)toupper((unsigned char)cell->s[c]);
		return;
	}
	m = json_object_get(row, col);
	if (m != NULL)
		ctl_text(m, cell);
	else
		ctl_buf_puts(cell, "-");
}

/* An array of objects as a table: one column per member name (first seen order),
 * a header row of the names in capitals, "-" for a missing member. */
static void
ctl_print_table(const json_t *arr, const char *indent)
{
	const char *col[CTL_MAX_COLS], *key;
	size_t width[CTL_MAX_COLS], w, r, n = json_array_size(arr);
	struct ctl_buf cell = { 0 }, line = { 0 };
	const json_t *row;
	int ncol = 0, k;
	json_t *m;

	json_array_foreach(arr, r, row)
		json_object_foreach((json_t *)row, key, m) {
			for (k = 0; k < ncol; k++)
				if (strcmp(col[k], key) == 0)
					break;
			if (k == ncol && ncol < CTL_MAX_COLS)
				col[ncol++] = key;
		}
	for (k = 0; k < ncol; k++) {
		ctl_table_text(NULL, col[k], &cell);
		width[k] = cell.len;
		json_array_foreach(arr, r, row) {
			ctl_table_text(row, col[k], &cell);
			if (cell.len > width[k])
				width[k] = cell.len;
		}
	}
	for (r = 0; r <= n; r++) {              /* the header first, then each row */
		row = r == 0 ? NULL : json_array_get(arr, r - 1);
		line.len = 0;
		ctl_buf_puts(&line, indent);
		for (k = 0; k < ncol; k++) {
			ctl_table_text(row, col[k], &cell);
			ctl_buf_put(&line, cell.s, cell.len);
			if (k + 1 < ncol)
				for (w = cell.len; w < width[k] + 2; w++)
					ctl_buf_put(&line, " ", 1);
		}
		puts(line.s);
	}
	free(cell.s);
	free(line.s);
}

/* "prefix: value" lines; objects recurse with "prefix.key", lists of objects
 * become tables under a "prefix:" line. */
static void
ctl_print_value(const json_t *v, const char *prefix)
{
	struct ctl_buf b = { 0 };
	const char *key;
	json_t *m;

	if (json_is_object(v) && json_object_size(v) != 0) {
		json_object_foreach((json_t *)v, key, m) {
			b.len = 0;
			ctl_buf_puts(&b, prefix);
			if (prefix[0] != '\0')
				ctl_buf_puts(&b, ".");
			ctl_buf_text(&b, key, strlen(key));
			ctl_print_value(m, b.s);
		}
	} else if (ctl_is_table(v)) {
		printf("%s:\n", prefix);
		ctl_print_table(v, "  ");
	} else {
		ctl_buf_puts(&b, "");
		if (json_is_array(v) && json_array_size(v) == 0)
			ctl_buf_puts(&b, "(none)");
		else
			ctl_text(v, &b);
		printf("%s: %s\n", prefix, b.s);
	}
	free(b.s);
}

/* The answer without its "ok" member. */
static void
ctl_print_human(const json_t *root)
{
	const json_t *only = NULL;
	const char *key;
	json_t *m;

	if (json_object_size(root) == 0) {
		puts("ok");
		return;
	}
	if (json_object_size(root) == 1) {
		json_object_foreach((json_t *)root, key, m)
			only = m;
		if (ctl_is_table(only)) {
			ctl_print_table(only, "");
			return;
		}
		if (json_is_array(only) && json_array_size(only) == 0) {
			puts("(none)");
			return;
		}
	}
	json_object_foreach((json_t *)root, key, m) {
		struct ctl_buf k = { 0 };

		ctl_buf_text(&k, key, strlen(key));
		ctl_print_value(m, k.s);
		free(k.s);
	}
}

/* ---- command line and socket ---- */

static void
ctl_usage(FILE *f)
{
	const struct cp_admin_cmd *cmds;
	int i, n;

	fprintf(f,
		"usage: sipshardctl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
		"  -s, --socket PATH   admin socket of sipshard-cp [%s]\n"
		"  -j, --json          print the answer as one JSON object\n"
		"  -t, --timeout SEC   wait at most SEC seconds for the answer [%d]\n"
		"  -h, --help          this help\n"
		"commands:\n", CP_ADMIN_DEFAULT_SOCKET, CTL_TIMEOUT_S);
	cmds = cp_admin_commands(&n);
	for (i = 0; i < n; i++)
		fprintf(f, "  %-28s %s\n", cmds[i].usage, cmds[i].help);
	fprintf(f, "exit status: 0 ok, 1 command failed, 2 usage error, 3 socket unreachable\n");
}

__attribute__((format(printf, 1, 2)))
static int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipshardctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(sipshardctl --help for usage)\n");
	return CTL_EXIT_USAGE;
}

/* Sends LINE, reads one answer line into *resp. 0, or an exit status. */
static int
ctl_exchange(const char *path, const char *line, int timeout_s, struct ctl_buf *resp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_s };
	size_t len = strlen(line), off = 0;
	char chunk[65536], *nl;
	ssize_t n;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sipshardctl: cannot reach %s: %s (is sipshard-cp running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CTL_EXIT_UNREACHABLE;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "sipshardctl: %s: send: %s\n", path, strerror(errno));
			close(fd);
			return CTL_EXIT_UNREACHABLE;
		}
		off += (size_t)n;
	}
	for (;;) {
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "sipshardctl: %s: %s\n", path,
				n == 0 ? "connection closed without an answer" :
				errno == EAGAIN ? "no answer in time" : strerror(errno));
			close(fd);
			return CTL_EXIT_UNREACHABLE;
		}
		ctl_buf_put(resp, chunk, (size_t)n);
		nl = memchr(resp->s, '\n', resp->len);
		if (nl != NULL) {
			*nl = '\0';
			resp->len = (size_t)(nl - resp->s);
			break;
		}
		if (resp->len > 2 * (size_t)CP_ADMIN_MAX_RESPONSE) {
			fprintf(stderr, "sipshardctl: %s: answer too long\n", path);
			close(fd);
			return CTL_EXIT_FAILED;
		}
	}
	close(fd);
	return 0;
}

/* Checks a command the table knows; 0 or CTL_EXIT_USAGE (message printed). */
static int
ctl_check_command(int argc, char **argv)
{
	const struct cp_admin_cmd *cmd;
	char name[64];
	uint32_t cluster;
	int i;

	for (i = 0; i < argc; i++) {
		const char *p;

		if (argv[i][0] == '\0')
			return ctl_usage_error("empty argument");
		for (p = argv[i]; *p != '\0'; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				return ctl_usage_error("argument '%s' contains a space or a control character",
						       argv[i]);
	}
	switch (cp_admin_cmd_match(argc, argv, &cmd)) {
	case CP_ADMIN_MATCH_UNKNOWN:
		return 0;               /* the server may know it */
	case CP_ADMIN_MATCH_BAD_ARGS:
		return ctl_usage_error("usage: sipshardctl [-s SOCKET] [--json] %s", cmd->usage);
	case CP_ADMIN_MATCH_OK:
		break;
	}
	if (strcmp(cmd->name, "tag set-active") == 0 &&
	    cp_admin_parse_tag(argv[2], name, sizeof(name), &cluster) < 0)
		return ctl_usage_error("'%s' is not a tag NAME/CLUSTER (e.g. service/1)", argv[2]);
	return 0;
}

/* After `tag set-active TAG` was taken (its answer ROOT, sent at T0): poll `tag
 * status TAG` until every peer that is up acknowledged the claim, a better claim
 * beat it, or TIMEOUT_S passed. Adds "acked" and "ms" to ROOT. 0, or an exit
 * status (message printed). */
static int
ctl_wait_claim(const char *sock, const char *tag, int timeout_s, double t0, json_t *root)
{
	struct ctl_buf line = { 0 }, resp = { 0 }, ids = { 0 };
	json_t *st = NULL, *missing, *v;
	double deadline = t0 + timeout_s * 1000.0;
	size_t k;
	int rc;

	ctl_buf_puts(&line, "tag status ");
	ctl_buf_puts(&line, tag);
	ctl_buf_puts(&line, "\n");
	for (;;) {
		resp.len = 0;
		rc = ctl_exchange(sock, line.s, timeout_s, &resp);
		if (rc != 0)
			break;
		json_decref(st);
		st = json_loadb(resp.s, resp.len, 0, NULL);
		missing = json_object_get(st, "missing");
		if (!json_is_true(json_object_get(st, "ok")) || !json_is_array(missing)) {
			fprintf(stderr, "sipshardctl: tag %s: malformed status: %.200s\n", tag, resp.s);
			rc = CTL_EXIT_FAILED;
			break;
		}
		if (json_is_true(json_object_get(st, "lost"))) {
			fprintf(stderr, "sipshardctl: tag %s: a better claim won (owner %lld, term %lld)\n",
				tag, (long long)json_integer_value(json_object_get(st, "owner")),
				(long long)json_integer_value(json_object_get(st, "term")));
			rc = CTL_EXIT_FAILED;
			break;
		}
		if (json_array_size(missing) == 0) {
			json_object_set(root, "acked", json_object_get(st, "acked"));
			json_object_set_new(root, "ms", json_real((double)(long long)((((double)cp_clock_ns(CLOCK_MONOTONIC) / 1e6) - t0) * 1000.0) / 1000.0));
			json_object_del(root, "waiting");
			rc = 0;
			break;
		}
		if (((double)cp_clock_ns(CLOCK_MONOTONIC) / 1e6) >= deadline) {
			json_array_foreach(missing, k, v) {
				char num[24];

				snprintf(num, sizeof(num), "%s%lld", k ? ", " : "", (long long)json_integer_value(v));
				ctl_buf_puts(&ids, num);
			}
			fprintf(stderr, "sipshardctl: tag %s: claimed, but not acknowledged by node(s) %s within %d s\n",
				tag, ids.s, timeout_s);
			rc = CTL_EXIT_FAILED;
			break;
		}
		usleep(1000);
	}
	json_decref(st);
	free(line.s);
	free(resp.s);
	free(ids.s);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *sock = CP_ADMIN_DEFAULT_SOCKET;
	struct ctl_buf line = { 0 }, resp = { 0 }, out = { 0 };
	json_t *root = NULL, *ok, *err;
	json_error_t jerr;
	bool json = false;
	int i, rc, timeout_s = CTL_TIMEOUT_S, first;
	char *end, *dump;
	double t0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		} else if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0 ||
			   strcmp(a, "-t") == 0 || strcmp(a, "--timeout") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error("option %s needs a value", a);
			val = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0 || strncmp(a, "--timeout=", 10) == 0) {
			val = strchr(a, '=') + 1;
		} else if ((strncmp(a, "-s", 2) == 0 || strncmp(a, "-t", 2) == 0) && a[2] != '\0') {
			val = a + 2;
		} else {
			return ctl_usage_error("unknown option '%s'", a);
		}
		if (val == NULL)
			continue;
		if (a[1] == 's' || strncmp(a, "--socket", 8) == 0) {
			if (val[0] == '\0' || strlen(val) >= sizeof(((struct sockaddr_un *)0)->sun_path))
				return ctl_usage_error("socket path '%s' empty or too long", val);
			sock = val;
		} else {
			errno = 0;
			timeout_s = (int)strtol(val, &end, 10);
			if (errno != 0 || *end != '\0' || timeout_s < 1 || timeout_s > 3600)
				return ctl_usage_error("timeout '%s' is not 1..3600 seconds", val);
		}
	}
	if (i >= argc) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	rc = ctl_check_command(argc - i, argv + i);
	if (rc != 0)
		return rc;
	first = i;
	for (; i < argc; i++) {
		ctl_buf_puts(&line, argv[i]);
		ctl_buf_puts(&line, i + 1 < argc ? " " : "\n");
	}
	if (line.len >= CP_ADMIN_MAX_LINE) {
		rc = ctl_usage_error("command line too long (max %d bytes)", CP_ADMIN_MAX_LINE - 1);
		goto out;
	}
	t0 = ((double)cp_clock_ns(CLOCK_MONOTONIC) / 1e6);
	rc = ctl_exchange(sock, line.s, timeout_s, &resp);
	if (rc != 0)
		goto out;
	root = json_loadb(resp.s, resp.len, JSON_REJECT_DUPLICATES, &jerr);
	ok = json_object_get(root, "ok");
	if (!json_is_object(root) || !json_is_boolean(ok)) {
		fprintf(stderr, "sipshardctl: %s: malformed answer: %.200s\n", sock, resp.s);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	if (!json_is_true(ok)) {
		err = json_object_get(root, "error");
		if (err != NULL)
			ctl_text(err, &out);
		else
			ctl_buf_puts(&out, "command failed");
		fprintf(stderr, "sipshardctl: %s\n", out.s);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	json_object_del(root, "ok");
	if (argc - first == 3 && strcmp(argv[first], "tag") == 0 &&
	    strcmp(argv[first + 1], "set-active") == 0) {
		rc = ctl_wait_claim(sock, argv[first + 2], timeout_s, t0, root);
		if (rc != 0)
			goto out;
	}
	if (json) {
		dump = json_dumps(root, CP_ADMIN_JSON_FLAGS);
		if (dump == NULL) {
			fprintf(stderr, "sipshardctl: out of memory\n");
			rc = CTL_EXIT_FAILED;
			goto out;
		}
		puts(dump);
		free(dump);
	} else {
		ctl_print_human(root);
	}
	rc = fflush(stdout) != 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
out:
	json_decref(root);
	free(line.s);
	free(resp.s);
	free(out.s);
	return rc;
}
