/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipshard-parse: runs the dataplane SIP parser over message files.
 *
 *   sipshard-parse [--json] [--fast] FILE...
 *
 * One line per file: "FILE: valid request METHOD", "FILE: valid response CODE"
 * or "FILE: invalid: REASON" (--json: one JSON object per line instead, verdict
 * "valid", "invalid" or "error" for a file that cannot be read). The
 * verdict is sip_msg_parse() + sip_msg_validate(); --fast stops after
 * sip_msg_parse(). Exit 0 if all valid, 1 if any invalid, 2 on usage or I/O error.
 * The JSON is built with jansson and dumped ASCII-only: a byte >= 0x80 of a file
 * name or method reads as U+0080..U+00FF ("\u00e9"), whatever the encoding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dataplane/sip/sip_parse.h"

#define PARSE_JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII)

static void
usage(FILE *f)
{
	fprintf(f, "usage: sipshard-parse [--json] [--fast] FILE...\n"
		"  Parses each file as one SIP message (bytes as on the wire) and prints\n"
		"  FILE: valid request METHOD | valid response CODE | invalid: REASON\n"
		"  --json  one JSON object per line instead\n"
		"  --fast  framing only (sip_msg_parse), without sip_msg_validate\n"
		"  -h, --help  this text\n"
		"  exit: 0 all valid, 1 some invalid, 2 usage or I/O error\n");
}

/* Member KEY of O: the N bytes at P as a string, each byte one code point
 * (Latin-1), so that any bytes make valid JSON. */
static void
json_put_bytes(json_t *o, const char *key, const char *p, size_t n)
{
	char *u = malloc(2 * n + 1);
	size_t i, k = 0;

	if (u == NULL) {
		fprintf(stderr, "sipshard-parse: out of memory\n");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80) {
			u[k++] = (char)c;
		} else {
			u[k++] = (char)(0xc0 | c >> 6);
			u[k++] = (char)(0x80 | (c & 0x3f));
		}
	}
	json_object_set_new(o, key, json_stringn(u, k));
	free(u);
}

/* One line: O dumped, then O released. */
static void
json_print(json_t *o)
{
	char *line = json_dumps(o, PARSE_JSON_FLAGS);

	if (line == NULL) {
		fprintf(stderr, "sipshard-parse: out of memory\n");
		exit(2);
	}
	puts(line);
	free(line);
	json_decref(o);
}

/* Reads at most SIP_MAX_MSG + 1 octets: one more than a message may hold. */
static long
read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n;

	if (!f)
		return -1;
	errno = 0;
	n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		int e = errno ? errno : EIO;
		if (f != stdin)
			fclose(f);
		errno = e;
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return (long)n;
}

int
main(int argc, char **argv)
{
	static char buf[SIP_MAX_MSG + 1];
	struct sip_msg m;
	int json = 0, fast = 0, n_files = 0, any_invalid = 0, io_error = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--fast")) {
			fast = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "sipshard-parse: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			break;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (; i < argc; i++) {
		const char *path = argv[i];
		char reason[128];
		long n = read_file(path, buf, sizeof(buf));
		int rc;

		n_files++;
		if (n < 0) {
			const char *why = strerror(errno);
			fprintf(stderr, "sipshard-parse: %s: %s\n", path, why);
			if (json) {
				json_t *o = json_object();

				json_put_bytes(o, "file", path, strlen(path));
				json_object_set_new(o, "verdict", json_string("error"));
				json_put_bytes(o, "reason", why, strlen(why));
				json_print(o);
			}
			io_error = 1;
			continue;
		}
		rc = sip_msg_parse(&m, buf, (size_t)n);
		if (!rc && !fast)
			rc = sip_msg_validate(&m);
		if (rc)
			any_invalid = 1;
		sip_msg_reason(&m, reason, sizeof(reason));
		if (json) {
			json_t *o = json_object();

			json_put_bytes(o, "file", path, strlen(path));
			json_object_set_new(o, "verdict", json_string(rc ? "invalid" : "valid"));
			if (m.method_str.p || m.status) {
				if (m.is_request) {
					json_object_set_new(o, "kind", json_string("request"));
					json_put_bytes(o, "method", m.method_str.p, m.method_str.len);
				} else {
					json_object_set_new(o, "kind", json_string("response"));
					json_object_set_new(o, "code", json_integer(m.status));
				}
			}
			if (rc) {
				json_put_bytes(o, "reason", reason, strlen(reason));
				json_object_set_new(o, "error", json_string(sip_err_name(rc)));
				json_object_set_new(o, "status", json_integer(sip_err_status(rc)));
				json_object_set_new(o, "offset", json_integer(m.err_off));
			}
			json_print(o);
		} else if (rc) {
			printf("%s: invalid: %s\n", path, reason);
		} else if (m.is_request) {
			printf("%s: valid request %.*s\n", path, (int)m.method_str.len, m.method_str.p);
		} else {
			printf("%s: valid response %u\n", path, m.status);
		}
	}
	fflush(stdout);
	if (io_error)
		return 2;
	return any_invalid ? 1 : 0;
}
