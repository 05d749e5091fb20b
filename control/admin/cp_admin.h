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
 * in `struct cp_admin_ops` (NULL: "not available"), which adds its members to
 * the answer, a jansson object (cp_json_put* below). The JSON of the cluster's
 * own data is built here (cp_admin_json_nodes/_events/_cluster_stats) so that
 * every caller prints the same fields; sipshardctl strips "ok" and prints the
 * rest (docs/interfaces.md). The answer is dumped with CP_ADMIN_JSON_FLAGS: compact,
 * members in insertion order, reals with at most 15 significant digits ("q":1.0,
 * "q":0.125); sipshardctl re-dumps what it parsed with the same flags, so both
 * ends print the same bytes.
 *
 * The server never blocks: cp_admin_poll(a, 0) from the cp event loop accepts,
 * reads, answers and flushes what it can. Callbacks run in that thread, so they
 * read the topology without locks. Single thread: the cp_json_put* helpers keep
 * a failure count of the answer being built in a file-local variable. Allocates
 * only the answer (bounded by CP_ADMIN_MAX_RESPONSE) and the output buffers.
 */
#ifndef SIPSHARD_CONTROL_ADMIN_CP_ADMIN_H
#define SIPSHARD_CONTROL_ADMIN_CP_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "control/topo/cp_topo_types.h"
#include "proto/msg_codec.h"

#define CP_ADMIN_DEFAULT_SOCKET "/run/sipshard/sipshard.sock"
#define CP_ADMIN_MAX_LINE       4096            /* request line, '\n' included */
#define CP_ADMIN_MAX_ARGS       16              /* words of a request */
#define CP_ADMIN_MAX_CLIENTS    16              /* connections at once */
#define CP_ADMIN_MAX_RESPONSE   (16u << 20)     /* bytes of one response line */
#define CP_ADMIN_ERR            256             /* error message buffer */

/* ---- JSON (jansson) ---- */

#define CP_ADMIN_JSON_FLAGS     (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Member KEY of object PARENT, or (KEY NULL) the next element of array PARENT:
 * V, whose reference is taken. A NULL V (a constructor that failed) or a failed
 * insertion fails the whole answer (cp_admin_handle() then answers an error);
 * a NULL PARENT too, so that calls can be chained without checks. */
void cp_json_put(json_t *parent, const char *key, json_t *v);
void cp_json_put_str(json_t *parent, const char *key, const char *s);  /* NULL: "" */
void cp_json_put_uint(json_t *parent, const char *key, uint64_t v);    /* > INT64_MAX: INT64_MAX */
void cp_json_put_bool(json_t *parent, const char *key, bool v);
void cp_json_put_null(json_t *parent, const char *key);
/* An IPv4 address (host byte order) as "A.B.C.D". */
void cp_json_put_ipv4(json_t *parent, const char *key, uint32_t addr);
/* A new object / array put into PARENT as above; returned borrowed (NULL on
 * failure, which cp_json_put* accept). */
json_t *cp_json_put_obj(json_t *parent, const char *key);
json_t *cp_json_put_arr(json_t *parent, const char *key);
/* A JSON string of the N bytes at S, whatever they are: bytes that are not
 * UTF-8 (or NUL) become U+FFFD. NULL when out of memory. */
json_t *cp_json_text(const char *s, size_t n);

/* ---- callbacks of the process ---- */

/* Each adds the members of its answer to the response object, returns
 * 0, or -errno with a message in err ("no such tag 'x/1'"). */
typedef int cp_admin_show_fn(void *arg, json_t *resp, char *err, size_t errlen);
typedef int cp_admin_tag_fn(void *arg, const char *name, uint32_t cluster,
			    json_t *resp, char *err, size_t errlen);
typedef int cp_admin_aor_fn(void *arg, const char *aor, json_t *resp,
			    char *err, size_t errlen);

struct cp_admin_ops {
	void *arg;                      /* passed to every callback */
	cp_admin_show_fn *status;       /* node_id, cluster_id, uptime_s, workers, ports */
	cp_admin_show_fn *nodes;        /* "nodes": cp_admin_json_nodes() */
	cp_admin_show_fn *events;       /* "events": cp_admin_json_events() */
	cp_admin_show_fn *tags;         /* "tags":[{name,cluster,state,owner,term}] */
	cp_admin_tag_fn *tag_set_active;        /* "tag","term","owner","waiting":[ids] */
	cp_admin_tag_fn *tag_status;    /* "tag","term","owner","state","acked","missing","lost" */
	cp_admin_show_fn *tags_history; /* "history":[{time,tag,term,owner,reason}] */
	cp_admin_show_fn *contacts_count;       /* "aors", "contacts" (+ "directory") */
	cp_admin_aor_fn *contacts_show; /* "aor", "contacts":[{uri,expires_in,...}] */
	cp_admin_aor_fn *contacts_where;        /* federation: "aor", "home" */
	cp_admin_show_fn *backends;     /* "backends":[{set,uri,weight,state}] */
	cp_admin_show_fn *stats;        /* counters; cp_admin_json_cluster_stats() */
	cp_admin_show_fn *sync;         /* "state","donor","records","bytes","seconds",... */
	cp_admin_show_fn *sync_start;   /* asks the peers for a full sync */
	cp_admin_show_fn *pinging;      /* "mode","interval_s","share":{id:N},"sent","answered","failed" */
	cp_admin_show_fn *auth_reload;  /* "users": subscribers loaded (the dp re-reads the file) */
	cp_admin_show_fn *limits;       /* "blocked":[{source,until_s,dropped}] */
};

/* ---- command table ---- */

struct cp_admin;
typedef int cp_admin_cmd_fn(struct cp_admin *a, int argc, char **argv, json_t *resp,
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
	bool waiting;                   /* its first line waits for the shards */
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
	uint64_t too_large;             /* answers over CP_ADMIN_MAX_RESPONSE or out of memory */
	uint64_t denied;                /* connections whose peer credentials are not allowed */
	uint64_t deferred;              /* polls that left complete requests for the next one */
	uint64_t waited;                /* requests answered on a later poll, after the shards */
	long allow_gid;                 /* group allowed besides root and our uid; -1 none */
};

/* Requests answered per cp_admin_poll() at most (all clients together), and the
 * time after which a poll stops answering (the rest waits for the next poll,
 * which then does not wait): no client delays the cp loop much over 1 ms. */
#define CP_ADMIN_POLL_BUDGET    16
#define CP_ADMIN_POLL_BUDGET_US 1000

/* Who may use the socket: connections whose SO_PEERCRED uid is 0 or this
 * process's effective uid, or whose gid is GID (admin.group; -1: none), are
 * served; others get one error line and are closed (denied). The socket file
 * gets GID as its group (mode 0660) when cp_admin_listen() runs after this. */
void cp_admin_set_group(struct cp_admin *a, long gid);

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

/* Answer one request line (no '\n'): the whole {"ok":...} object as one line of
 * compact JSON without '\n', to free(). NULL with errno EINPROGRESS when the
 * command's handler returned -EINPROGRESS (it asked the shards and has no answer
 * yet: call again with the same line, later); NULL with ENOMEM when out of memory.
 * Handlers never wait for a shard: they return -EINPROGRESS until it answered. */
char *cp_admin_handle(struct cp_admin *a, const char *line);

/* KEY:{name:value,...} of the counters V[0..N): NAME(i) NULL or "" skips i. */
void cp_admin_json_table(json_t *resp, const char *key, const uint64_t *v, unsigned int n,
			 const char *(*name)(unsigned int));

/* "admin":{"requests","failed","refused","too_large"}: the server's counters. */
void cp_admin_json_counters(json_t *resp, const struct cp_admin *a);

/* Close every connection and the listening socket, remove the socket file. */
void cp_admin_close(struct cp_admin *a);

/* ---- JSON of the cluster's own data ---- */

/* "nodes":[{"id","address","state","self","caps":{...},"port","incarnation",
 *           "last_heard_ms","state_for_ms"}] sorted by id, self included. */
void cp_admin_json_nodes(json_t *resp, const struct cp_topo *t, uint64_t now);

/* "events":[{"age_ms","node","event","reason"}] oldest first. */
void cp_admin_json_events(json_t *resp, const struct cp_topo *t, uint64_t now);

/* "cluster":{topology counters..., "encoded", "decoded", "rejects":{reason: n}} */
void cp_admin_json_cluster_stats(json_t *resp, const struct cp_topo *t,
				 const struct msg_codec *c);

#endif /* SIPSHARD_CONTROL_ADMIN_CP_ADMIN_H */
