/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin socket of sipshard-cp: the server side of sipshardctl.
 *
 * Protocol (Unix SOCK_STREAM, admin.socket): the client writes one request line
 * "COMMAND [ARG...]\n" (words separated by spaces, at most CP_ADMIN_MAX_LINE
 * bytes); the server answers one line holding one JSON object, either
 * {"ok":true,...fields of the command...} or {"ok":false,"error":"message"}.
 * A connection may carry several requests, answered in order.
 *
 * Commands are the table cp_admin_commands() {name, usage, help, args, handler};
 * a handler checks its arguments and calls the callback the process registered
 * in `struct cp_admin_ops` (NULL: "not available"), which writes its fields with
 * the cp_json_* writer. The JSON of the cluster's own data is written here
 * (cp_admin_json_nodes/_events/_cluster_stats) so that every caller prints the
 * same fields; sipshardctl strips "ok" and prints the rest (INTERFACES.md).
 *
 * The server never blocks: cp_admin_poll(a, 0) from the cp event loop accepts,
 * reads, answers and flushes what it can. Callbacks run in that thread, so they
 * read the topology without locks. Single thread; no allocation except the
 * response buffers (bounded by CP_ADMIN_MAX_RESPONSE).
 */
#ifndef SIPSHARD_CONTROL_ADMIN_CP_ADMIN_H
#define SIPSHARD_CONTROL_ADMIN_CP_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/topo/cp_topo_types.h"
#include "proto/msg_codec.h"

#define CP_ADMIN_DEFAULT_SOCKET "/run/sipshard/sipshard.sock"
#define CP_ADMIN_MAX_LINE       4096            /* request line, '\n' included */
#define CP_ADMIN_MAX_ARGS       16              /* words of a request */
#define CP_ADMIN_MAX_CLIENTS    16              /* connections at once */
#define CP_ADMIN_MAX_RESPONSE   (16u << 20)     /* bytes of one response line */
#define CP_ADMIN_ERR            256             /* error message buffer */
#define CP_JSON_MAX_DEPTH       16

/* ---- JSON writer ---- */

/* Appends compact JSON to a growing buffer. `key` is the member name inside an
 * object, NULL inside an array or at the top. Errors (too deep, too long, out of
 * memory) are sticky: j->failed, and the text is then unusable. */
struct cp_json {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;                     /* limit of len */
	bool failed;
	int depth;
	bool first[CP_JSON_MAX_DEPTH + 1];      /* no member yet at this depth */
};

void cp_json_init(struct cp_json *j, size_t max);
void cp_json_reset(struct cp_json *j);
void cp_json_free(struct cp_json *j);
void cp_json_obj_open(struct cp_json *j, const char *key);
void cp_json_obj_close(struct cp_json *j);
void cp_json_arr_open(struct cp_json *j, const char *key);
void cp_json_arr_close(struct cp_json *j);
void cp_json_str(struct cp_json *j, const char *key, const char *s);
void cp_json_uint(struct cp_json *j, const char *key, uint64_t v);
void cp_json_int(struct cp_json *j, const char *key, int64_t v);
void cp_json_bool(struct cp_json *j, const char *key, bool v);
void cp_json_null(struct cp_json *j, const char *key);
/* A value that is already JSON (from a trusted producer), written as is. */
void cp_json_raw(struct cp_json *j, const char *key, const char *json);
/* A number with DECIMALS digits after the point: 1.0 for q, 0.25 for a ratio. */
void cp_json_fixed(struct cp_json *j, const char *key, double v, int decimals);
/* An IPv4 address (host byte order) as "A.B.C.D". */
void cp_json_ipv4(struct cp_json *j, const char *key, uint32_t addr);

/* ---- callbacks of the process ---- */

/* Each writes the fields of its answer into the open response object, returns
 * 0, or -errno with a message in err ("no such tag 'x/1'"). */
typedef int cp_admin_show_fn(void *arg, struct cp_json *j, char *err, size_t errlen);
typedef int cp_admin_tag_fn(void *arg, const char *name, uint32_t cluster,
			    struct cp_json *j, char *err, size_t errlen);
typedef int cp_admin_aor_fn(void *arg, const char *aor, struct cp_json *j,
			    char *err, size_t errlen);

struct cp_admin_ops {
	void *arg;                      /* passed to every callback */
	cp_admin_show_fn *status;       /* node_id, cluster_id, uptime_s, workers, ports */
	cp_admin_show_fn *nodes;        /* "nodes": cp_admin_json_nodes() */
	cp_admin_show_fn *events;       /* "events": cp_admin_json_events() */
	cp_admin_show_fn *tags;         /* "tags":[{name,cluster,state,owner,term}] */
	cp_admin_tag_fn *tag_set_active;
	cp_admin_show_fn *contacts_count;       /* "aors", "contacts" */
	cp_admin_aor_fn *contacts_show; /* "aor", "contacts":[{uri,expires_in,...}] */
	cp_admin_show_fn *backends;     /* "backends":[{set,uri,weight,state}] */
	cp_admin_show_fn *stats;        /* counters; cp_admin_json_cluster_stats() */
};

/* ---- command table ---- */

struct cp_admin;
typedef int cp_admin_cmd_fn(struct cp_admin *a, int argc, char **argv, struct cp_json *j,
			    char *err, size_t errlen);

struct cp_admin_cmd {
	const char *name;               /* one or two words: "contacts show" */
	const char *usage;              /* "contacts show AOR" */
	const char *help;
	int min_args;                   /* arguments after the name */
	int max_args;
	cp_admin_cmd_fn *handler;
};

enum cp_admin_match {
	CP_ADMIN_MATCH_OK,              /* *cmd found, arguments count right */
	CP_ADMIN_MATCH_BAD_ARGS,        /* known command (*cmd), wrong arguments */
	CP_ADMIN_MATCH_UNKNOWN,
};

/* The table, and its size in *n. */
const struct cp_admin_cmd *cp_admin_commands(int *n);

/* Which command ARGV (the request words) names; *cmd is set unless UNKNOWN (for
 * a known first word with a wrong second one, the first command of that word). */
enum cp_admin_match cp_admin_cmd_match(int argc, char *const *argv,
				       const struct cp_admin_cmd **cmd);

/* "NAME/CLUSTER": NAME of RFC 3261 token characters (1..63 bytes), CLUSTER
 * 1..4294967295. 0, or -EINVAL. */
int cp_admin_parse_tag(const char *s, char *name, size_t namelen, uint32_t *cluster);

/* ---- server ---- */

struct cp_admin_client {
	int fd;                         /* -1: free slot */
	bool closing;                   /* close once the output is flushed */
	size_t in_len;
	char in[CP_ADMIN_MAX_LINE];
	char *out;
	size_t out_len;
	size_t out_off;
};

struct cp_admin {
	struct cp_admin_ops ops;
	int listen_fd;                  /* -1 when not listening */
	char path[108];
	struct cp_admin_client clients[CP_ADMIN_MAX_CLIENTS];
	uint64_t requests;
	uint64_t failed;                /* answered {"ok":false} */
	uint64_t refused;               /* connections over CP_ADMIN_MAX_CLIENTS */
};

void cp_admin_init(struct cp_admin *a, const struct cp_admin_ops *ops);

/* Listen on PATH (its directory is created if missing; a stale socket file is
 * replaced, a live one is -EADDRINUSE). 0, or -errno with "PATH: message". */
int cp_admin_listen(struct cp_admin *a, const char *path, char *err, size_t errlen);

/* Serve an already connected stream socket (tests: one end of a socketpair).
 * 0, or -EMFILE when every slot is taken. The fd is owned by a from now on. */
int cp_admin_add_client(struct cp_admin *a, int fd);

/* Wait up to TIMEOUT_MS (0: do not wait) for activity, then accept, read, answer
 * and flush without blocking. Returns the number of requests answered, or -errno
 * when poll() failed. */
int cp_admin_poll(struct cp_admin *a, int timeout_ms);

/* Answer one request line (no '\n') into j: the whole {"ok":...} object. */
void cp_admin_handle(struct cp_admin *a, const char *line, struct cp_json *j);

/* Close every connection and the listening socket, remove the socket file. */
void cp_admin_close(struct cp_admin *a);

/* ---- JSON of the cluster's own data ---- */

/* "nodes":[{"id","address","state","self","caps":{...},"port","incarnation",
 *           "last_heard_ms","state_for_ms"}] sorted by id, self included. */
void cp_admin_json_nodes(struct cp_json *j, const struct cp_topo *t, uint64_t now);

/* "events":[{"age_ms","node","event","reason"}] oldest first. */
void cp_admin_json_events(struct cp_json *j, const struct cp_topo *t, uint64_t now);

/* "cluster":{topology counters..., "encoded", "decoded", "rejects":{reason: n}} */
void cp_admin_json_cluster_stats(struct cp_json *j, const struct cp_topo *t,
				 const struct msg_codec *c);

#endif /* SIPSHARD_CONTROL_ADMIN_CP_ADMIN_H */
