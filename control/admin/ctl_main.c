/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshardctl: the admin CLI of a sipshard node (docs/cluster.md, INTERFACES.md).
 *
 *   sipshardctl [-s SOCKET] [--json] COMMAND [ARGS...]
 *
 * Sends "COMMAND ARGS...\n" to the admin socket of sipshard-cp (default
 * /run/sipshard/sipshard.sock) and reads its one-line JSON answer. With --json it
 * prints that object without its "ok" member, byte for byte as received
 * otherwise; without, tables with a header row for lists of objects and
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
#include <sys/un.h>

#include "control/admin/cp_admin.h"

#define CTL_EXIT_OK          0
#define CTL_EXIT_FAILED      1
#define CTL_EXIT_USAGE       2
#define CTL_EXIT_UNREACHABLE 3
#define CTL_TIMEOUT_S        10
#define CTL_MAX_COLS         32
#define CTL_MAX_DEPTH        32

/* ---- a small JSON reader (the server's answer) ---- */

enum ctl_jtype { CTL_J_OBJ, CTL_J_ARR, CTL_J_STR, CTL_J_NUM, CTL_J_TRUE, CTL_J_FALSE, CTL_J_NULL };

struct ctl_jnode {
	enum ctl_jtype type;
	const char *raw;                /* the value as received (scalars) */
	size_t raw_len;
	const char *key;                /* member name as received, quotes included */
	size_t key_len;
	int child;                      /* first child, -1 */
	int last;                       /* last child, -1 */
	int next;                       /* next sibling, -1 */
};

struct ctl_json {
	const char *p;
	const char *end;
	struct ctl_jnode *nodes;
	int n;
	int cap;
};

static void
ctl_json_ws(struct ctl_json *js)
{
	while (js->p < js->end && (*js->p == ' ' || *js->p == '\t' || *js->p == '\r' ||
				   *js->p == '\n'))
		js->p++;
}

static int
ctl_json_new(struct ctl_json *js, enum ctl_jtype type)
{
	struct ctl_jnode *nn;

	if (js->n == js->cap) {
		js->cap = js->cap ? js->cap * 2 : 256;
		nn = realloc(js->nodes, (size_t)js->cap * sizeof(*nn));
		if (nn == NULL)
			return -1;
		js->nodes = nn;
	}
	js->nodes[js->n] = (struct ctl_jnode){ .type = type, .child = -1, .last = -1, .next = -1 };
	return js->n++;
}

/* A string token at js->p; *start and *len receive it, quotes included. */
static int
ctl_json_string(struct ctl_json *js, const char **start, size_t *len)
{
	const char *s = js->p;

	if (js->p >= js->end || *js->p != '"')
		return -1;
	for (js->p++; js->p < js->end; js->p++) {
		if (*js->p == '"') {
			js->p++;
			*start = s;
			*len = (size_t)(js->p - s);
			return 0;
		}
		if ((unsigned char)*js->p < 0x20)
			return -1;
		if (*js->p == '\\' && ++js->p >= js->end)
			return -1;
	}
	return -1;
}

static int ctl_json_value(struct ctl_json *js, int depth);

static int
ctl_json_add_child(struct ctl_json *js, int parent, int child)
{
	if (js->nodes[parent].last < 0)
		js->nodes[parent].child = child;
	else
		js->nodes[js->nodes[parent].last].next = child;
	js->nodes[parent].last = child;
	return 0;
}

static int
ctl_json_container(struct ctl_json *js, int depth, bool obj)
{
	const char *key = NULL;
	size_t key_len = 0;
	int self, child;

	self = ctl_json_new(js, obj ? CTL_J_OBJ : CTL_J_ARR);
	if (self < 0)
		return -1;
	js->p++;
	ctl_json_ws(js);
	if (js->p < js->end && *js->p == (obj ? '}' : ']')) {
		js->p++;
		return self;
	}
	for (;;) {
		ctl_json_ws(js);
		if (obj) {
			if (ctl_json_string(js, &key, &key_len) < 0)
				return -1;
			ctl_json_ws(js);
			if (js->p >= js->end || *js->p++ != ':')
				return -1;
		}
		child = ctl_json_value(js, depth + 1);
		if (child < 0)
			return -1;
		js->nodes[child].key = key;
		js->nodes[child].key_len = key_len;
		ctl_json_add_child(js, self, child);
		ctl_json_ws(js);
		if (js->p >= js->end)
			return -1;
		if (*js->p == ',') {
			js->p++;
			continue;
		}
		if (*js->p++ != (obj ? '}' : ']'))
			return -1;
		return self;
	}
}

static int
ctl_json_value(struct ctl_json *js, int depth)
{
	const char *s;
	size_t len;
	int i;

	ctl_json_ws(js);
	if (js->p >= js->end || depth > CTL_MAX_DEPTH)
		return -1;
	s = js->p;
	switch (*js->p) {
	case '{':
		return ctl_json_container(js, depth, true);
	case '[':
		return ctl_json_container(js, depth, false);
	case '"':
		if (ctl_json_string(js, &s, &len) < 0 || (i = ctl_json_new(js, CTL_J_STR)) < 0)
			return -1;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };
		static const enum ctl_jtype lt[] = { CTL_J_TRUE, CTL_J_FALSE, CTL_J_NULL };
		int k = *s == 't' ? 0 : *s == 'f' ? 1 : 2;

		len = strlen(lit[k]);
		if ((size_t)(js->end - s) < len || memcmp(s, lit[k], len) != 0 ||
		    (i = ctl_json_new(js, lt[k])) < 0)
			return -1;
		js->p += len;
		break;
	}
	default:
		if (*js->p == '-')
			js->p++;
		if (js->p >= js->end || !isdigit((unsigned char)*js->p))
			return -1;
		while (js->p < js->end && (isdigit((unsigned char)*js->p) || *js->p == '.' ||
					   *js->p == 'e' || *js->p == 'E' || *js->p == '+' ||
					   *js->p == '-'))
			js->p++;
		len = (size_t)(js->p - s);
		if ((i = ctl_json_new(js, CTL_J_NUM)) < 0)
			return -1;
		break;
	}
	js->nodes[i].raw = s;
	js->nodes[i].raw_len = len;
	return i;
}

/* Member KEY of object node OBJ, -1 when absent. */
static int
ctl_json_get(const struct ctl_json *js, int obj, const char *key)
{
	size_t n = strlen(key);
	int c;

	for (c = js->nodes[obj].child; c >= 0; c = js->nodes[c].next)
		if (js->nodes[c].key_len == n + 2 && memcmp(js->nodes[c].key + 1, key, n) == 0)
			return c;
	return -1;
}

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

static void
ctl_utf8(struct ctl_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	ctl_buf_put(b, u, n);
}

static unsigned long
ctl_hex4(const char *p)
{
	char h[5];

	memcpy(h, p, 4);
	h[4] = '\0';
	return strtoul(h, NULL, 16);
}

/* The text of a JSON string token (quotes included), unescaped; control
 * characters shown as '?'. */
static void
ctl_unescape(struct ctl_buf *b, const char *s, size_t len)
{
	const char *p = s + 1, *end = s + len - 1;
	unsigned long cp, lo;

	while (p < end) {
		if (*p != '\\') {
			ctl_buf_put(b, (unsigned char)*p < 0x20 ? "?" : p, 1);
			p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': case 't': case 'r': case 'b': case 'f':
			ctl_buf_put(b, " ", 1);
			p++;
			break;
		case 'u':
			if (end - p < 5) {
				p = end;
				break;
			}
			cp = ctl_hex4(p + 1);
			p += 5;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u' && (lo = ctl_hex4(p + 2)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			if (cp < 0x20)
				cp = '?';
			ctl_utf8(b, cp);
			break;
		default:                        /* \" \\ \/ */
			ctl_buf_put(b, p, 1);
			p++;
			break;
		}
	}
}

/* Compact JSON of node I as received; at the top, without the "ok" member. */
static void
ctl_json_write(const struct ctl_json *js, int i, struct ctl_buf *b, bool top)
{
	const struct ctl_jnode *nd = &js->nodes[i];
	bool first = true;
	int c;

	if (nd->type != CTL_J_OBJ && nd->type != CTL_J_ARR) {
		ctl_buf_put(b, nd->raw, nd->raw_len);
		return;
	}
	ctl_buf_put(b, nd->type == CTL_J_OBJ ? "{" : "[", 1);
	for (c = nd->child; c >= 0; c = js->nodes[c].next) {
		const struct ctl_jnode *cn = &js->nodes[c];

		if (top && cn->key_len == 4 && memcmp(cn->key, "\"ok\"", 4) == 0)
			continue;
		if (!first)
			ctl_buf_put(b, ",", 1);
		first = false;
		if (cn->key != NULL) {
			ctl_buf_put(b, cn->key, cn->key_len);
			ctl_buf_put(b, ":", 1);
		}
		ctl_json_write(js, c, b, false);
	}
	ctl_buf_put(b, nd->type == CTL_J_OBJ ? "}" : "]", 1);
}

/* Human text of a value: strings unescaped, yes/no, "-" for null; objects as
 * k=v,k=v; arrays as a,b. */
static void
ctl_text(const struct ctl_json *js, int i, struct ctl_buf *b)
{
	const struct ctl_jnode *nd = &js->nodes[i];
	int c;

	switch (nd->type) {
	case CTL_J_STR:
		ctl_unescape(b, nd->raw, nd->raw_len);
		break;
	case CTL_J_NUM:
		ctl_buf_put(b, nd->raw, nd->raw_len);
		break;
	case CTL_J_TRUE:
		ctl_buf_puts(b, "yes");
		break;
	case CTL_J_FALSE:
		ctl_buf_puts(b, "no");
		break;
	case CTL_J_NULL:
		ctl_buf_puts(b, "-");
		break;
	case CTL_J_OBJ:
	case CTL_J_ARR:
		for (c = nd->child; c >= 0; c = js->nodes[c].next) {
			if (c != nd->child)
				ctl_buf_puts(b, ",");
			if (nd->type == CTL_J_OBJ) {
				ctl_unescape(b, js->nodes[c].key, js->nodes[c].key_len);
				ctl_buf_puts(b, "=");
			}
			ctl_text(js, c, b);
		}
		break;
	}
}

static bool
ctl_is_table(const struct ctl_json *js, int arr)
{
	int c;

	if (js->nodes[arr].type != CTL_J_ARR || js->nodes[arr].child < 0)
		return false;
	for (c = js->nodes[arr].child; c >= 0; c = js->nodes[c].next)
		if (js->nodes[c].type != CTL_J_OBJ)
			return false;
	return true;
}

/* Member of row object ROW with the raw name of COL, -1 when absent. */
static int
ctl_table_cell(const struct ctl_json *js, int row, const struct ctl_jnode *col)
{
	int m;

	for (m = js->nodes[row].child; m >= 0; m = js->nodes[m].next)
		if (js->nodes[m].key_len == col->key_len &&
		    memcmp(js->nodes[m].key, col->key, col->key_len) == 0)
			return m;
	return -1;
}

/* Text of column K of ROW (ROW -1: the header, the name in capitals). */
static void
ctl_table_text(const struct ctl_json *js, int row, const struct ctl_jnode *col,
	       struct ctl_buf *cell)
{
	size_t c;
	int m;

	cell->len = 0;
	ctl_buf_puts(cell, "");
	if (row < 0) {
		ctl_unescape(cell, col->key, col->key_len);
		for (c = 0; c < cell->len; c++)
			cell->s[c] = (char)toupper((unsigned char)cell->s[c]);
		return;
	}
	m = ctl_table_cell(js, row, col);
	if (m >= 0)
		ctl_text(js, m, cell);
	else
		ctl_buf_puts(cell, "-");
}

/* An array of objects as a table: one column per member name (first seen order),
 * a header row of the names in capitals, "-" for a missing member. */
static void
ctl_print_table(const struct ctl_json *js, int arr, const char *indent)
{
	const struct ctl_jnode *col[CTL_MAX_COLS];
	size_t width[CTL_MAX_COLS], w;
	struct ctl_buf cell = { 0 }, line = { 0 };
	int ncol = 0, k, r, m;

	for (r = js->nodes[arr].child; r >= 0; r = js->nodes[r].next)
		for (m = js->nodes[r].child; m >= 0; m = js->nodes[m].next) {
			for (k = 0; k < ncol; k++)
				if (col[k]->key_len == js->nodes[m].key_len &&
				    memcmp(col[k]->key, js->nodes[m].key, col[k]->key_len) == 0)
					break;
			if (k == ncol && ncol < CTL_MAX_COLS)
				col[ncol++] = &js->nodes[m];
		}
	for (k = 0; k < ncol; k++) {
		ctl_table_text(js, -1, col[k], &cell);
		width[k] = cell.len;
		for (r = js->nodes[arr].child; r >= 0; r = js->nodes[r].next) {
			ctl_table_text(js, r, col[k], &cell);
			if (cell.len > width[k])
				width[k] = cell.len;
		}
	}
	r = -1;                                 /* the header first, then each row */
	for (;;) {
		line.len = 0;
		ctl_buf_puts(&line, indent);
		for (k = 0; k < ncol; k++) {
			ctl_table_text(js, r, col[k], &cell);
			ctl_buf_put(&line, cell.s, cell.len);
			if (k + 1 < ncol)
				for (w = cell.len; w < width[k] + 2; w++)
					ctl_buf_put(&line, " ", 1);
		}
		puts(line.s);
		r = r < 0 ? js->nodes[arr].child : js->nodes[r].next;
		if (r < 0)
			break;
	}
	free(cell.s);
	free(line.s);
}

/* "prefix: value" lines; objects recurse with "prefix.key", lists of objects
 * become tables under a "prefix:" line. */
static void
ctl_print_value(const struct ctl_json *js, int i, const char *prefix)
{
	const struct ctl_jnode *nd = &js->nodes[i];
	struct ctl_buf b = { 0 };
	int c;

	if (nd->type == CTL_J_OBJ && nd->child >= 0) {
		for (c = nd->child; c >= 0; c = js->nodes[c].next) {
			b.len = 0;
			ctl_buf_puts(&b, prefix);
			if (prefix[0] != '\0')
				ctl_buf_puts(&b, ".");
			ctl_unescape(&b, js->nodes[c].key, js->nodes[c].key_len);
			ctl_print_value(js, c, b.s);
		}
	} else if (ctl_is_table(js, i)) {
		printf("%s:\n", prefix);
		ctl_print_table(js, i, "  ");
	} else {
		ctl_buf_puts(&b, "");
		if (nd->type == CTL_J_ARR && nd->child < 0)
			ctl_buf_puts(&b, "(none)");
		else
			ctl_text(js, i, &b);
		printf("%s: %s\n", prefix, b.s);
	}
	free(b.s);
}

static void
ctl_print_human(const struct ctl_json *js)
{
	int c, n = 0, only = -1;

	for (c = js->nodes[0].child; c >= 0; c = js->nodes[c].next)
		if (!(js->nodes[c].key_len == 4 && memcmp(js->nodes[c].key, "\"ok\"", 4) == 0)) {
			n++;
			only = c;
		}
	if (n == 0) {
		puts("ok");
		return;
	}
	if (n == 1 && ctl_is_table(js, only)) {
		ctl_print_table(js, only, "");
		return;
	}
	if (n == 1 && js->nodes[only].type == CTL_J_ARR && js->nodes[only].child < 0) {
		puts("(none)");
		return;
	}
	for (c = js->nodes[0].child; c >= 0; c = js->nodes[c].next) {
		struct ctl_buf k = { 0 };

		if (js->nodes[c].key_len == 4 && memcmp(js->nodes[c].key, "\"ok\"", 4) == 0)
			continue;
		ctl_unescape(&k, js->nodes[c].key, js->nodes[c].key_len);
		ctl_print_value(js, c, k.s);
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

int
main(int argc, char **argv)
{
	const char *sock = CP_ADMIN_DEFAULT_SOCKET;
	struct ctl_buf line = { 0 }, resp = { 0 }, out = { 0 };
	struct ctl_json js = { 0 };
	bool json = false;
	int i, rc, root, ok, err, timeout_s = CTL_TIMEOUT_S;
	char *end;

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
	for (; i < argc; i++) {
		ctl_buf_puts(&line, argv[i]);
		ctl_buf_puts(&line, i + 1 < argc ? " " : "\n");
	}
	if (line.len >= CP_ADMIN_MAX_LINE) {
		rc = ctl_usage_error("command line too long (max %d bytes)", CP_ADMIN_MAX_LINE - 1);
		goto out;
	}
	rc = ctl_exchange(sock, line.s, timeout_s, &resp);
	if (rc != 0)
		goto out;
	js.p = resp.s;
	js.end = resp.s + resp.len;
	root = ctl_json_value(&js, 0);
	ctl_json_ws(&js);
	if (root != 0 || js.p != js.end || js.nodes[0].type != CTL_J_OBJ ||
	    (ok = ctl_json_get(&js, 0, "ok")) < 0) {
		fprintf(stderr, "sipshardctl: %s: malformed answer: %.200s\n", sock, resp.s);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	if (js.nodes[ok].type != CTL_J_TRUE) {
		err = ctl_json_get(&js, 0, "error");
		if (err >= 0)
			ctl_text(&js, err, &out);
		else
			ctl_buf_puts(&out, "command failed");
		fprintf(stderr, "sipshardctl: %s\n", out.s);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	if (json) {
		ctl_json_write(&js, 0, &out, true);
		puts(out.s);
	} else {
		ctl_print_human(&js);
	}
	rc = fflush(stdout) != 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
out:
	free(js.nodes);
	free(line.s);
	free(resp.s);
	free(out.s);
	return rc;
}
