/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy: Max-Forwards, Via / rport / received, the stateless branch
 * (retransmission, CANCEL, ACK), loops and spirals, loose and strict routing,
 * Record-Route, registered users (NAT, Path), backends, responses (Via
 * routing, probes), the RFC 4475 / 5118 torture messages, bounded output and
 * the proxy.* configuration keys. Every message the proxy writes is parsed
 * back and validated.
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
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "config/cfg.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/sip/sip_parse.h"
#include "dataplane/sip/sip_reply.h"

#define OUT_CAP (SIP_MAX_MSG + PROXY_GROWTH)

static struct cfg cfg;
static struct lb_sets sets;
static struct proxy_conf pc;
static struct proxy_worker w;
static struct sip_msg m, om;
static char in[SIP_MAX_MSG + 1], out[OUT_CAP], prev[OUT_CAP];
static size_t in_len, prev_len;
static struct proxy_result res;

/* ---- a fake location service ---- */

struct pt_binding {
	const char *aor;
	const char *uri;
	const char *path;
	const char *src;
	uint16_t port;
	int rc;
	uint16_t sock_node;     /* 0: unknown */
	const char *sock;       /* relay address (port 5060), NULL: none */
	uint8_t sock_up;
};

static const struct pt_binding pt_bindings[] = {
	{ "alice@example.com", "sip:alice@192.168.1.10:5060;ob", NULL, "203.0.113.7", 40000, 1,
	  0, NULL, 0 },
	{ "bob@example.com", "sip:bob@198.18.0.120:5070", NULL, "198.18.0.120", 33333, 1, 0, NULL,
	  0 },
	{ "carol@example.com", "sip:carol@10.0.0.5:5060", "<sip:198.18.3.3:5062;lr>, "
	  "<sip:198.18.3.4;lr>", "198.18.3.3", 5062, 1, 0, NULL, 0 },
	{ "erin@example.com", "sip:erin@10.0.0.6", "<sip:edge.example.net;lr>", "198.18.3.3",
	  5062, 1, 0, NULL, 0 },
	{ "broken@example.com", NULL, NULL, NULL, 0, -5, 0, NULL, 0 },
	{ "zero@example.com", "sip:zero@0.0.0.0:5060", NULL, "198.18.0.130", 5090, 1, 0, NULL,
	  0 },
	/* sockets: we are node 1 (198.18.0.1) */
	{ "own@example.com", "sip:own@10.1.1.0:5060", NULL, "203.0.113.8", 41000, 1, 1, NULL,
	  1 },
	{ "farah@example.com", "sip:farah@10.1.1.1:5060", NULL, "203.0.113.9", 42000, 1, 2,
	  "198.18.0.2", 1 },
	{ "gus@example.com", "sip:gus@10.1.1.2:5060", NULL, "203.0.113.10", 43000, 1, 2,
	  "198.18.0.2", 0 },
	{ "hal@example.com", "sip:hal@10.1.1.3:5060", NULL, "203.0.113.11", 44000, 1, 3, NULL, 1 },
	{ "ida@example.com", "sip:ida@10.1.1.4:5060", NULL, "203.0.113.12", 45000, 1, 3,
	  "198.18.0.1", 1 },
	{ "jo@example.com", "sip:jo@10.1.1.5:5060", "<sip:198.18.3.3:5062;lr>", "198.18.3.3", 5062,
	  1, 2, "198.18.0.2", 1 },
	/* received on the VIP 198.18.0.50 of a sharing tag held here (vera) and
	 * held by another node (walt): pt_lookup marks them */
	{ "vera@example.com", "sip:vera@10.1.1.6:5060", NULL, "203.0.113.13", 46000, 1, 2,
	  "198.18.0.50", 0 },
	{ "walt@example.com", "sip:walt@10.1.1.7:5060", NULL, "203.0.113.14", 47000, 1, 1,
	  "198.18.0.50", 1 },
	/* federation: homed on node 2 (up) and node 3 (down) */
	{ "kim@example.com", NULL, NULL, NULL, 0, PROXY_LOOKUP_HOME, 2, "198.18.0.2", 1 },
	{ "lou@example.com", NULL, NULL, NULL, 0, PROXY_LOOKUP_HOME, 3, "198.18.0.3", 0 },
};

static int pt_lookups;

static int
pt_lookup(void *arg, const char *aor, size_t len, struct proxy_binding *b)
{
	size_t i;

	(void)arg;
	pt_lookups++;
	for (i = 0; i < sizeof(pt_bindings) / sizeof(pt_bindings[0]); i++) {
		const struct pt_binding *pb = &pt_bindings[i];

		if (strlen(pb->aor) != len || strncasecmp(pb->aor, aor, len) != 0)
			continue;
		if (pb->rc == PROXY_LOOKUP_HOME) {
			memset(b, 0, sizeof(*b));
			b->sock_node = pb->sock_node;
			b->sock_up = pb->sock_up;
			assert_int_equal(lb_addr_parse(pb->sock, strlen(pb->sock), &b->sock), 0);
			b->sock.port = 5060;
			return PROXY_LOOKUP_HOME;
		}
		if (pb->rc != 1)
			return pb->rc;
		memset(b, 0, sizeof(*b));
		b->uri_len = (uint16_t)strlen(pb->uri);
		memcpy(b->uri, pb->uri, b->uri_len);
		if (pb->path != NULL) {
			b->path_len = (uint16_t)strlen(pb->path);
			memcpy(b->path, pb->path, b->path_len);
		}
		assert_int_equal(lb_addr_parse(pb->src, strlen(pb->src), &b->src), 0);
		b->src.port = pb->port;
		b->sock_node = pb->sock_node;
		b->sock_up = pb->sock_up;
		if (pb->sock != NULL) {
			assert_int_equal(lb_addr_parse(pb->sock, strlen(pb->sock), &b->sock), 0);
			b->sock.port = 5060;
			b->sock_vip = strcmp(pb->sock, "198.18.0.50") == 0;
			b->sock_held = b->sock_vip && strncmp(pb->aor, "vera@", 5) == 0;
		}
		return 1;
	}
	return 0;
}

/* ---- setup ---- */

/* Most tests route to anything in the lab ranges (no open-relay limit in the
 * way); test_no_open_relay narrows it. */
#define ALLOWED_ALL "allowed_destinations: [198.18.0.0/15, \"2001:2::/32\"]"

static void
pt_setup(const char *proxy_yaml, const char *backends_yaml)
{
	char yaml[4096], err[512];

	snprintf(yaml, sizeof(yaml),
		 "node: {id: 1}\n"
		 "dataplane:\n"
		 "  ports: [{device: net_null0, ipv4: 198.18.0.1/24, ipv6: 2001:2::1/64}]\n"
		 "sip: {domains: [example.com]}\n"
		 "%s%s",
		 backends_yaml != NULL ? backends_yaml :
		 "backends:\n  - set: 1\n    members:\n"
		 "      - {uri: \"sip:198.18.1.1:5060\"}\n"
		 "      - {uri: \"sip:198.18.1.2:5060\"}\n"
		 "      - {uri: \"sip:198.18.1.3:5060\"}\n",
		 proxy_yaml != NULL ? proxy_yaml : "proxy: {" ALLOWED_ALL "}\n");
	if (cfg_load_buf("t.yaml", yaml, strlen(yaml), &cfg, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	if (lb_sets_init(&sets, &cfg, err, sizeof(err)) != 0)
		fail_msg("lb: %s", err);
	if (proxy_conf_init(&pc, &cfg, &sets, err, sizeof(err)) != 0)
		fail_msg("proxy: %s", err);
	proxy_conf_set_mac_key(&pc, (const uint8_t *)"0123456789abcdef");   /* SipHash MACs */
	proxy_worker_fini(&w);   /* the previous test's */
	proxy_worker_init(&w, &pc, pt_lookup, NULL);
	assert_non_null(w.mac_key);
	pt_lookups = 0;
}

static int
pt_setup_default(void **state)
{
	(void)state;
	pt_setup(NULL, NULL);
	return 0;
}

static struct lb_addr
A(const char *ip, uint16_t port)
{
	struct lb_addr a = { 0 };

	assert_int_equal(lb_addr_parse(ip, strlen(ip), &a), 0);
	a.port = port;
	return a;
}

/* ---- messages ---- */

/* printf into `in`, each LF of the header part made CRLF */
__attribute__((format(printf, 1, 2)))
static void
pt_msg(const char *fmt, ...)
{
	char tmp[8192];
	va_list ap;
	size_t i, n = 0;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	for (i = 0; tmp[i] != '\0' && n + 2 < sizeof(in); i++) {
		if (tmp[i] == '\n')
			in[n++] = '\r';
		in[n++] = tmp[i];
	}
	in[n] = '\0';
	in_len = n;
}

/* A request: method, Request-URI, top Via value, extra fields, To tag
 * ("" none), Call-ID, CSeq. */
static void
pt_req(const char *method, const char *ruri, const char *via, const char *extra,
       const char *totag, const char *callid, const char *cseq)
{
	pt_msg("%s %s SIP/2.0\n"
	       "Via: %s\n"
	       "%s"
	       "From: \"Alice\" <sip:alice@example.com>;tag=f1a2\n"
	       "To: <sip:bob@example.org>%s%s\n"
	       "Call-ID: %s\n"
	       "CSeq: %s\n"
	       "Contact: <sip:alice@198.18.0.100:5060>\n"
	       "Content-Length: 0\n"
	       "\n",
	       method, ruri, via, extra, totag[0] ? ";tag=" : "", totag, callid, cseq);
}

#define VIA_C   "SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-c1"
#define CALLID  "a84b4c76e66710@198.18.0.100"

static void
pt_check_out(void)
{
	char why[128];

	if (sip_msg_parse(&om, out, res.len) != 0 || sip_msg_validate(&om) != 0) {
		sip_msg_reason(&om, why, sizeof(why));
		fail_msg("output invalid (%s):\n%.*s", why, (int)res.len, out);
	}
}

/* Run the proxy on `in` from src; every message written is valid SIP. */
static int
pt_run(const struct lb_addr *src)
{
	int rc;

	if (sip_msg_parse(&m, in, in_len) != 0)
		fail_msg("test input does not parse:\n%s", in);
	memset(&res, 0xa5, sizeof(res));
	rc = m.is_request ? proxy_request(&w, &m, src, out, sizeof(out), &res) :
			    proxy_response(&w, &m, src, out, sizeof(out), &res);
	assert_int_equal(rc, res.action);
	if (rc == PROXY_FORWARD || rc == PROXY_REPLY) {
		assert_true(res.len > 0 && res.len <= sizeof(out));
		pt_check_out();
	}
	return rc;
}

static int
pt_run_from(const char *ip, uint16_t port)
{
	struct lb_addr a = A(ip, port);

	return pt_run(&a);
}

/* Value of the k-th field `id` of the output, NUL-terminated (static). */
static const char *
pt_hdr(enum sip_hdr_id id, int k)
{
	static char v[4][1024];
	static int turn;
	const struct sip_hdr *h = sip_msg_hdr(&om, id);
	char *s = v[turn++ & 3];

	while (h != NULL && k-- > 0)
		h = sip_msg_hdr_next(&om, h);
	if (h == NULL)
		return NULL;
	memcpy(s, h->value.p, h->value.len);
	s[h->value.len] = '\0';
	return s;
}

static const char *
pt_ruri(void)
{
	static char s[1024];

	memcpy(s, om.ruri.p, om.ruri.len);
	s[om.ruri.len] = '\0';
	return s;
}

/* Branch of the output's top Via. */
static const char *
pt_branch(void)
{
	static char b[4][128];
	static int turn;
	struct sip_via v;
	char *s = b[turn++ & 3];

	assert_int_equal(sip_msg_top_via(&om, &v), 0);
	assert_non_null(v.branch.p);
	memcpy(s, v.branch.p, v.branch.len);
	s[v.branch.len] = '\0';
	return s;
}

static void
pt_dst_is(const char *ip, uint16_t port)
{
	struct lb_addr a = A(ip, port);

	if (!lb_addr_eq(&res.dst, &a) || res.dst.port != port) {
		char s[LB_ADDR_STR_MAX];

		lb_addr_fmt(s, sizeof(s), &res.dst);
		fail_msg("destination %s, expected %s:%u", s, ip, port);
	}
}

#define C(n) (w.st.c[PROXY_C_##n])

/* ---- Max-Forwards ---- */

static void
test_max_forwards(void **state)
{
	(void)state;
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Max-Forwards: 0\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5062), PROXY_REPLY);
	assert_int_equal(res.status, 483);
	assert_int_equal(om.status, 483);
	assert_non_null(strstr(out, "SIP/2.0 483 Too Many Hops\r\n"));
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 0), "SIP/2.0/UDP 198.18.0.100:5060;rport=5062;"
			    "branch=z9hG4bK-c1;received=198.18.0.100");
	assert_non_null(strstr(pt_hdr(SIP_HDR_TO, 0), ";tag="));
	assert_string_equal(pt_hdr(SIP_HDR_CALL_ID, 0), CALLID);
	assert_string_equal(pt_hdr(SIP_HDR_CSEQ, 0), "1 INVITE");
	assert_non_null(pt_hdr(SIP_HDR_FROM, 0));
	assert_string_equal(pt_hdr(SIP_HDR_CONTENT_LENGTH, 0), "0");
	pt_dst_is("198.18.0.100", 5062);                /* rport: the source port */
	assert_int_equal(C(replied_483), 1);

	/* without rport the reply goes to the sent-by port */
	pt_req("OPTIONS", "sip:bob@example.org", "SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bKx",
	       "Max-Forwards: 0\n", "", CALLID, "1 OPTIONS");
	assert_int_equal(pt_run_from("198.18.0.100", 5062), PROXY_REPLY);
	pt_dst_is("198.18.0.100", 5070);

	/* decremented */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Max-Forwards: 70\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_MAX_FORWARDS, 0), "69");
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Max-Forwards: 1\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_MAX_FORWARDS, 0), "0");
	/* absent: added as 70 */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_MAX_FORWARDS, 0), "70");
	assert_null(pt_hdr(SIP_HDR_MAX_FORWARDS, 1));
	/* malformed: 400 */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Max-Forwards: many\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 400);
	assert_non_null(strstr(out, "Max-Forwards"));
	/* an ACK is never answered */
	pt_req("ACK", "sip:bob@example.org", VIA_C, "Max-Forwards: 0\n", "t9", CALLID, "1 ACK");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_ack_not_replied);
	assert_int_equal(C(ack_not_replied), 1);
}

/* ---- Via ---- */

static void
test_via_rport(void **state)
{
	(void)state;
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Max-Forwards: 70\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5062), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BACKEND);
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 1), "SIP/2.0/UDP 198.18.0.100:5060;rport=5062;"
			    "branch=z9hG4bK-c1;received=198.18.0.100");
	assert_null(pt_hdr(SIP_HDR_VIA, 2));
	{
		const char *v = pt_hdr(SIP_HDR_VIA, 0);
		const char *b = pt_branch();

		assert_int_equal(strncmp(v, "SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-sss-",
					 47), 0);
		assert_int_equal(strcmp(v + strlen(v) - 6, ";rport"), 0);
		assert_int_equal(strlen(b), PROXY_BRANCH_LEN);
	}
	/* the same request again: byte for byte the same output */
	prev_len = res.len;
	memcpy(prev, out, res.len);
	assert_int_equal(pt_run_from("198.18.0.100", 5062), PROXY_FORWARD);
	assert_int_equal(res.len, prev_len);
	assert_memory_equal(out, prev, prev_len);

	/* same host, no rport: the received Via is copied as it is */
	pt_req("INVITE", "sip:bob@example.org", "SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK-c2",
	       "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 1),
			    "SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK-c2");
	/* another source address: received */
	assert_int_equal(pt_run_from("203.0.113.9", 5060), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 1), "SIP/2.0/UDP 198.18.0.100:5060;"
			    "branch=z9hG4bK-c2;received=203.0.113.9");
	/* a hostname sent-by, an old received replaced, other params kept */
	pt_req("INVITE", "sip:bob@example.org",
	       "SIP/2.0/UDP pc33.example.com;received=1.2.3.4;branch=z9hG4bK-c3 ; rport ;x=\"a;b\"",
	       "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 1024), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 1), "SIP/2.0/UDP pc33.example.com;"
			    "branch=z9hG4bK-c3;rport=1024;x=\"a;b\";received=198.18.0.100");
	/* several via-parms in the top field: the first is rewritten, the rest kept */
	pt_req("INVITE", "sip:bob@example.org", "SIP/2.0/UDP 198.18.0.100:5060;rport;"
	       "branch=z9hG4bK-c4, SIP/2.0/UDP 198.18.9.9;branch=z9hG4bK-up", "", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 1), "SIP/2.0/UDP 198.18.0.100:5060;rport=5060;"
			    "branch=z9hG4bK-c4;received=198.18.0.100, SIP/2.0/UDP 198.18.9.9;"
			    "branch=z9hG4bK-up");
	/* an IPv6 source and sent-by */
	pt_req("INVITE", "sip:bob@example.org", "SIP/2.0/UDP [2001:db8::9]:5060;rport;"
	       "branch=z9hG4bK-c5", "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("2001:db8::9", 6000), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 1), "SIP/2.0/UDP [2001:db8::9]:5060;"
			    "rport=6000;branch=z9hG4bK-c5;received=2001:db8::9");
	/* a malformed top Via: no valid response could carry it; dropped, counted */
	pt_req("INVITE", "sip:bob@example.org", "SIP/2.0/UDP 198.18.0.100:99999;branch=z9hG4bKz",
	       "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5062), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_request_unanswerable);
}

/* ---- the stateless branch ---- */

static const char *
pt_fwd_branch(const char *method, const char *via, const char *totag, const char *cseq)
{
	pt_req(method, "sip:bob@example.org", via, "Max-Forwards: 70\n", totag, CALLID, cseq);
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	return pt_branch();
}

static void
test_branch(void **state)
{
	char inv[128], cancel[128], ack[128], ack2xx[128], bye[128];
	int member;

	(void)state;
	strcpy(inv, pt_fwd_branch("INVITE", VIA_C, "", "1 INVITE"));
	member = res.member;
	strcpy(cancel, pt_fwd_branch("CANCEL", VIA_C, "", "1 CANCEL"));
	assert_string_equal(cancel, inv);
	assert_int_equal(res.member, member);          /* same Call-ID, same backend */
	strcpy(ack, pt_fwd_branch("ACK", VIA_C, "a6c85cf", "1 ACK"));   /* non-2xx ACK */
	assert_string_equal(ack, inv);
	assert_int_equal(res.member, member);
	strcpy(ack2xx, pt_fwd_branch("ACK", "SIP/2.0/UDP 198.18.0.100:5060;rport;"
				     "branch=z9hG4bK-c9", "a6c85cf", "1 ACK"));
	assert_string_not_equal(ack2xx, inv);
	strcpy(bye, pt_fwd_branch("BYE", "SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK-cA",
				  "a6c85cf", "2 BYE"));
	assert_string_not_equal(bye, inv);
	assert_string_not_equal(bye, ack2xx);
	assert_int_equal(res.member, member);
	/* another client with the same branch value: another branch */
	assert_string_not_equal(pt_fwd_branch("INVITE", "SIP/2.0/UDP 198.18.0.101:5060;rport;"
					      "branch=z9hG4bK-c1", "", "1 INVITE"), inv);

	/* RFC 2543 clients (no magic cookie): the same rules from the other fields */
	strcpy(inv, pt_fwd_branch("INVITE", "SIP/2.0/UDP 198.18.0.100:5060;branch=77aa", "",
				  "5 INVITE"));
	strcpy(cancel, pt_fwd_branch("CANCEL", "SIP/2.0/UDP 198.18.0.100:5060;branch=77aa", "",
				     "5 CANCEL"));
	assert_string_equal(cancel, inv);
	strcpy(ack, pt_fwd_branch("ACK", "SIP/2.0/UDP 198.18.0.100:5060;branch=77aa", "x1",
				  "5 ACK"));
	assert_string_equal(ack, inv);
	strcpy(bye, pt_fwd_branch("BYE", "SIP/2.0/UDP 198.18.0.100:5060;branch=77aa", "x1",
				  "6 BYE"));
	assert_string_not_equal(bye, inv);
	strcpy(inv, pt_fwd_branch("INVITE", "SIP/2.0/UDP 198.18.0.100:5060", "", "5 INVITE"));
	assert_string_equal(pt_fwd_branch("INVITE", "SIP/2.0/UDP 198.18.0.100:5060", "",
					  "5 INVITE"), inv);
	assert_string_equal(pt_fwd_branch("CANCEL", "SIP/2.0/UDP 198.18.0.100:5060", "",
					  "5 CANCEL"), inv);
}

/* ---- loops ---- */

static void
test_loop(void **state)
{
	(void)state;
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Max-Forwards: 70\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	/* the backend sends it back unchanged: a loop */
	memcpy(in, out, res.len);
	in_len = res.len;
	prev_len = res.len;
	memcpy(prev, out, res.len);
	assert_int_equal(pt_run_from("198.18.1.1", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 482);
	assert_int_equal(om.status, 482);
	assert_int_equal(C(replied_482), 1);
	/* the same with another Request-URI: a spiral, forwarded */
	{
		char *p = strstr(prev, "sip:bob@example.org SIP/2.0");

		assert_non_null(p);
		memcpy(p, "sip:bob@example.net", 19);
		memcpy(in, prev, prev_len);
		in_len = prev_len;
	}
	assert_int_equal(pt_run_from("198.18.1.1", 5060), PROXY_FORWARD);
	assert_int_equal(C(spirals), 1);
	assert_non_null(pt_hdr(SIP_HDR_VIA, 2));
	/* our branch under another sent-by is not ours: no loop */
	{
		char *p;

		memcpy(in, prev, prev_len);
		in_len = prev_len;
		p = strstr(in, "Via: SIP/2.0/UDP 198.18.0.1:5060;");
		assert_non_null(p);
		memcpy(p + 17, "198.18.0.2", 10);
		memcpy(strstr(in, "sip:bob@example.net SIP"), "sip:bob@example.org", 19);
	}
	assert_int_equal(pt_run_from("198.18.1.1", 5060), PROXY_FORWARD);
	assert_int_equal(C(replied_482), 1);
	/* the loop is found below the top Via too */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Max-Forwards: 70\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	{
		char *p = out + (strstr(out, "\r\n") - out) + 2;   /* after the request line */
		size_t head = (size_t)(p - out);

		memcpy(in, out, head);
		in_len = head;
		in_len += (size_t)sprintf(in + in_len, "Via: SIP/2.0/UDP 198.18.1.1;branch=z9hG4bK-b1,"
					  " SIP/2.0/UDP 198.18.1.7;branch=z9hG4bK-b2\r\n");
		memcpy(in + in_len, p, res.len - head);
		in_len += res.len - head;
	}
	assert_int_equal(pt_run_from("198.18.1.1", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 482);
}

/* ---- Route ---- */

static void
test_route(void **state)
{
	(void)state;
	/* our Route removed, the next one honoured */
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C,
	       "Route: <sip:198.18.0.1:5060;lr>, <sip:198.18.5.5:5070;lr>\n", "t1", CALLID,
	       "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_ROUTE);
	pt_dst_is("198.18.5.5", 5070);
	assert_string_equal(pt_hdr(SIP_HDR_ROUTE, 0), "<sip:198.18.5.5:5070;lr>");
	assert_null(pt_hdr(SIP_HDR_ROUTE, 1));
	assert_string_equal(pt_ruri(), "sip:bob@198.18.0.150:5080");
	assert_int_equal(C(to_route), 1);
	assert_int_equal(C(route_own_removed), 1);
	/* in two fields, port absent (5060 is ours), parameters on the value */
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C,
	       "Route: <sip:198.18.0.1;lr>\nRoute: \"x\" <sip:198.18.5.5;lr>;foo=bar\n", "t1",
	       CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.5.5", 5060);
	assert_string_equal(pt_hdr(SIP_HDR_ROUTE, 0), "\"x\" <sip:198.18.5.5;lr>;foo=bar");
	assert_null(pt_hdr(SIP_HDR_ROUTE, 1));
	/* our domain names us too; then nothing is left */
	pt_req("INVITE", "sip:1234@pstn.example.org", VIA_C, "Route: <sip:example.com;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BACKEND);
	assert_null(pt_hdr(SIP_HDR_ROUTE, 0));
	/* another port of our address is not us */
	pt_req("INVITE", "sip:1234@pstn.example.org", VIA_C, "Route: <sip:198.18.0.1:5070;lr>\n",
	       "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_ROUTE);
	pt_dst_is("198.18.0.1", 5070);
	/* a strict router (no ;lr): it becomes the Request-URI, the Request-URI the last
	 * Route value (RFC 3261 16.6 step 6) */
	pt_req("INVITE", "sip:bob@example.org", VIA_C,
	       "Route: <sip:198.18.0.1;lr>, <sip:198.18.5.5;foo>, <sip:198.18.6.6;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_ROUTE);
	pt_dst_is("198.18.5.5", 5060);
	assert_string_equal(pt_ruri(), "sip:198.18.5.5;foo");
	assert_string_equal(pt_hdr(SIP_HDR_ROUTE, 0),
			    "<sip:198.18.6.6;lr>, <sip:bob@example.org>");
	assert_int_equal(C(strict_routes), 1);
	/* a strict router before us put our Record-Route URI in the Request-URI
	 * (RFC 3261 16.4): the last Route value is the real Request-URI */
	pt_req("BYE", "sip:198.18.0.1:5060;lr", VIA_C,
	       "Route: <sip:198.18.7.7;lr>, <sip:bob@198.18.0.150:5080>\n", "t1", CALLID,
	       "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_string_equal(pt_ruri(), "sip:bob@198.18.0.150:5080");
	assert_string_equal(pt_hdr(SIP_HDR_ROUTE, 0), "<sip:198.18.7.7;lr>");
	pt_dst_is("198.18.7.7", 5060);
	/* a hostname cannot be resolved here: the backend set gets it, Route kept */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Route: <sip:proxy.example.org;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BACKEND);
	assert_string_equal(pt_hdr(SIP_HDR_ROUTE, 0), "<sip:proxy.example.org;lr>");
	assert_int_equal(C(route_hostname), 1);
	/* never to a broadcast address */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Route: <sip:255.255.255.255;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_bad_destination);
	/* a malformed Route: 400 */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Route: sip:198.18.5.5;lr\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 400);
	/* maddr wins over the host */
	pt_req("INVITE", "sip:bob@example.org", VIA_C,
	       "Route: <sip:proxy.example.org;maddr=198.18.8.8;lr>\n", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.8.8", 5060);
}

/* In-dialog requests routed by our Record-Route go to their Request-URI. */
static void
test_in_dialog(void **state)
{
	(void)state;
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C, "Route: <sip:198.18.0.1;lr>\n", "t1",
	       CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_RURI);
	pt_dst_is("198.18.0.150", 5080);
	assert_null(pt_hdr(SIP_HDR_ROUTE, 0));
	assert_int_equal(C(to_ruri), 1);
	/* no To tag, or no Route of ours: not a dialog we routed -> backends */
	pt_req("INVITE", "sip:bob@198.18.0.150:5080", VIA_C, "Route: <sip:198.18.0.1;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BACKEND);
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C, "", "t1", CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BACKEND);
}

static void
test_record_route(void **state)
{
	struct sip_nameaddr na;
	struct sip_iter it;

	(void)state;
	pt_setup("proxy: {record_route: true, " ALLOWED_ALL "}\n", NULL);
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Record-Route: <sip:198.18.9.9;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	sip_iter_init(&it, &om, SIP_HDR_RECORD_ROUTE);
	assert_int_equal(sip_route_next(&it, &na), 1);
	assert_int_equal(na.uri.len, strlen("sip:198.18.0.1:5060;lr;ss=") + 16);
	assert_memory_equal(na.uri.p, "sip:198.18.0.1:5060;lr;ss=", na.uri.len - 16);
	assert_int_equal(sip_route_next(&it, &na), 1);
	assert_memory_equal(na.uri.p, "sip:198.18.9.9;lr", na.uri.len);
	assert_int_equal(sip_route_next(&it, &na), 0);
	/* towards an IPv6 next hop: our IPv6 address in Via and Record-Route */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Route: <sip:[2001:2::99]:5062;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("2001:2::99", 5062);
	assert_int_equal(strncmp(pt_hdr(SIP_HDR_RECORD_ROUTE, 0), "<sip:[2001:2::1]:5060;lr;ss=", 28), 0);
	assert_int_equal(strncmp(pt_hdr(SIP_HDR_VIA, 0), "SIP/2.0/UDP [2001:2::1]:5060;branch=",
				 36), 0);
	/* off: none added */
	pt_setup(NULL, NULL);
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_null(pt_hdr(SIP_HDR_RECORD_ROUTE, 0));
}

/* No open relay: a Route, a maddr or an in-dialog Request-URI may name only a
 * backend member, a peer or proxy.allowed_destinations (else 403); an
 * in-dialog request carrying our own signed Record-Route may go to its
 * Request-URI; a Route list bouncing between our addresses is a loop. */
static void
test_no_open_relay(void **state)
{
	char rr[128], route[160];
	const char *p;

	(void)state;
	pt_setup("proxy: {record_route: true, allowed_destinations: [198.18.2.0/24]}\n", NULL);
	pt_req("INVITE", "sip:x@example.org", VIA_C, "Route: <sip:203.0.113.5;lr>\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 403);
	pt_req("INVITE", "sip:x@example.org", VIA_C,
	       "Route: <sip:proxy.example.org;maddr=203.0.113.5;lr>\n", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 403);
	pt_req("INVITE", "sip:x@example.org", VIA_C, "Route: <sip:203.0.113.5>\n", "", CALLID,
	       "1 INVITE");                            /* strict router */
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 403);
	assert_int_equal(C(relay_denied), 3);
	/* allowed: a prefix of allowed_destinations, a backend member */
	pt_req("INVITE", "sip:x@example.org", VIA_C, "Route: <sip:198.18.2.7;lr>\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.2.7", 5060);
	pt_req("INVITE", "sip:x@example.org", VIA_C, "Route: <sip:198.18.1.2;lr>\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.1.2", 5060);
	/* in-dialog to a Request-URI outside: only with our signed Route */
	p = pt_hdr(SIP_HDR_RECORD_ROUTE, 0);
	assert_non_null(p);
	snprintf(rr, sizeof(rr), "%s", p);
	pt_req("BYE", "sip:bob@203.0.113.9:5080", VIA_C, "Route: <sip:198.18.0.1;lr>\n", "t1",
	       CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 403);
	snprintf(route, sizeof(route), "Route: %s\n", rr);
	pt_req("BYE", "sip:bob@203.0.113.9:5080", VIA_C, route, "t1", CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_RURI);
	pt_dst_is("203.0.113.9", 5080);
	pt_req("BYE", "sip:bob@203.0.113.9:5080", VIA_C, route, "t1", "other-call", "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);   /* another dialog */
	assert_int_equal(res.status, 403);
	assert_int_equal(C(relay_denied), 5);
	/* A,B,A,B: our address twice in the Route list */
	pt_req("INVITE", "sip:x@example.org", VIA_C, "Route: <sip:198.18.0.1;lr>, "
	       "<sip:198.18.2.7;lr>, <sip:198.18.0.1;lr>, <sip:198.18.2.7;lr>\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 482);
	assert_int_equal(C(route_loop), 1);
}

/* ---- registered users ---- */

static void
test_binding(void **state)
{
	char aor[PROXY_AOR_MAX];

	(void)state;
	/* NATed: to the address the REGISTER came from; Request-URI := Contact */
	pt_req("INVITE", "sip:alice@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BINDING);
	pt_dst_is("203.0.113.7", 40000);
	assert_string_equal(pt_ruri(), "sip:alice@192.168.1.10:5060;ob");
	assert_string_equal(pt_hdr(SIP_HDR_TO, 0), "<sip:bob@example.org>");
	assert_int_equal(C(to_binding), 1);
	/* host matching the source (port not: a non-symmetric phone): the Contact */
	pt_req("INVITE", "sip:bob@EXAMPLE.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.0.120", 5070);
	/* a Contact no one can send to: the source address */
	pt_req("INVITE", "sip:zero@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.0.130", 5090);
	/* Path: to its first URI, the Path values prepended as Route */
	pt_req("INVITE", "sip:carol@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_PATH);
	pt_dst_is("198.18.3.3", 5062);
	assert_string_equal(pt_ruri(), "sip:carol@10.0.0.5:5060");
	assert_string_equal(pt_hdr(SIP_HDR_ROUTE, 0),
			    "<sip:198.18.3.3:5062;lr>, <sip:198.18.3.4;lr>");
	/* Path with our own Route before: ours removed, Path prepended */
	pt_req("INVITE", "sip:carol@example.com", VIA_C, "Route: <sip:198.18.0.1;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
	assert_string_equal(pt_hdr(SIP_HDR_ROUTE, 0),
			    "<sip:198.18.3.3:5062;lr>, <sip:198.18.3.4;lr>");
	assert_null(pt_hdr(SIP_HDR_ROUTE, 1));
	/* a Path by hostname: the backend set resolves it */
	pt_req("INVITE", "sip:erin@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BACKEND);
	/* no binding: 404 */
	pt_req("INVITE", "sip:dave@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 404);
	assert_non_null(strstr(out, "SIP/2.0 404 Not Found\r\n"));
	assert_non_null(strstr(pt_hdr(SIP_HDR_TO, 0), ";tag="));
	assert_int_equal(C(replied_404), 1);
	/* lookup failure: 500 */
	pt_req("INVITE", "sip:broken@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 500);
	/* another domain: no lookup */
	pt_lookups = 0;
	pt_req("INVITE", "sip:alice@example.org", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BACKEND);
	assert_int_equal(pt_lookups, 0);
	/* which requests need the owning shard */
	pt_req("INVITE", "sip:alice@Example.COM;transport=udp", VIA_C,
	       "Route: <sip:198.18.0.1;lr>\n", "", CALLID, "1 INVITE");
	assert_int_equal(sip_msg_parse(&m, in, in_len), 0);
	assert_int_equal(proxy_request_aor(&w, &m, aor, sizeof(aor)), 17);
	assert_string_equal(aor, "alice@Example.COM");
	assert_int_equal(proxy_request_aor(&w, &m, aor, 10), 0);
	pt_req("INVITE", "sip:alice@example.com", VIA_C, "Route: <sip:198.18.5.5;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(sip_msg_parse(&m, in, in_len), 0);
	assert_int_equal(proxy_request_aor(&w, &m, aor, sizeof(aor)), 0);
	pt_req("INVITE", "sip:example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(sip_msg_parse(&m, in, in_len), 0);
	assert_int_equal(proxy_request_aor(&w, &m, aor, sizeof(aor)), 0);
	pt_req("INVITE", "sip:alice@example.com", VIA_C, "Route: sip:x\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(sip_msg_parse(&m, in, in_len), 0);
	assert_int_equal(proxy_request_aor(&w, &m, aor, sizeof(aor)), -1);
	/* no lookup function: every user is unknown */
	proxy_worker_fini(&w);
	proxy_worker_init(&w, &pc, NULL, NULL);
	pt_req("INVITE", "sip:alice@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 404);
}

/* ---- the socket of a binding ---- */

/* proxy_sock_path: which way for which binding (we are node 1, 198.18.0.1:5060). */
static void
test_sock_path(void **state)
{
	struct proxy_binding b;
	int relayed;

	(void)state;
	assert_int_equal(pc.node_id, 1);
	for (relayed = 0; relayed < 2; relayed++) {
		memset(&b, 0, sizeof(b));
		/* no socket node known (a single node, an old record): from here */
		assert_int_equal(proxy_sock_path(&pc, &b, relayed), PROXY_SOCK_DIRECT);
		/* received here */
		b.sock_node = 1;
		assert_int_equal(proxy_sock_path(&pc, &b, relayed), PROXY_SOCK_DIRECT);
		/* received by node 2, up, at 198.18.0.2:5060: relay, unless relayed already */
		b.sock_node = 2;
		b.sock_up = 1;
		b.sock = A("198.18.0.2", 5060);
		assert_int_equal(proxy_sock_path(&pc, &b, relayed),
				 relayed ? PROXY_SOCK_LOOP : PROXY_SOCK_RELAY);
		/* node 2 down or not in the view: from here (counted) */
		b.sock_up = 0;
		assert_int_equal(proxy_sock_path(&pc, &b, relayed),
				 relayed ? PROXY_SOCK_LOOP : PROXY_SOCK_FALLBACK);
		/* up but no address to relay to */
		b.sock_up = 1;
		memset(&b.sock, 0, sizeof(b.sock));
		assert_int_equal(proxy_sock_path(&pc, &b, relayed),
				 relayed ? PROXY_SOCK_LOOP : PROXY_SOCK_FALLBACK);
		/* an address no one can send to */
		b.sock = A("127.0.0.1", 5060);
		assert_int_equal(proxy_sock_path(&pc, &b, relayed),
				 relayed ? PROXY_SOCK_LOOP : PROXY_SOCK_FALLBACK);
		/* another node's id but an address of ours (our SIP port): held here */
		b.sock = A("198.18.0.1", 5060);
		assert_int_equal(proxy_sock_path(&pc, &b, relayed), PROXY_SOCK_DIRECT);
		b.sock = A("2001:2::1", 5060);
		assert_int_equal(proxy_sock_path(&pc, &b, relayed), PROXY_SOCK_DIRECT);
		/* our address, another port: not ours */
		b.sock = A("198.18.0.1", 5070);
		assert_int_equal(proxy_sock_path(&pc, &b, relayed),
				 relayed ? PROXY_SOCK_LOOP : PROXY_SOCK_RELAY);
		/* a VIP of a sharing tag: held here when its tag is active here,
		 * whichever node took the REGISTER (node 2, down, or this node) */
		b.sock = A("198.18.0.50", 5060);
		b.sock_vip = 1;
		b.sock_held = 1;
		b.sock_up = 0;
		assert_int_equal(proxy_sock_path(&pc, &b, relayed), PROXY_SOCK_DIRECT);
		/* held elsewhere: relayed to the VIP (its holder), even when the
		 * REGISTER came in here */
		b.sock_held = 0;
		b.sock_up = 1;
		b.sock_node = 1;
		assert_int_equal(proxy_sock_path(&pc, &b, relayed),
				 relayed ? PROXY_SOCK_LOOP : PROXY_SOCK_RELAY);
	}
}

#define VIA_N2  "SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-sss-0123456789abcdef-" \
		"0123456789abcdef-0123456789abcdef;rport;ss-relay"

static void
test_sock_relay(void **state)
{
	char via[256];

	(void)state;
	/* our own socket: to the contact (NAT: its source), counted direct */
	pt_req("INVITE", "sip:own@example.com", VIA_C, "Max-Forwards: 10\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BINDING);
	pt_dst_is("203.0.113.8", 41000);
	assert_int_equal(C(sock_direct), 1);
	assert_null(strstr(pt_hdr(SIP_HDR_VIA, 0), PROXY_RELAY_PARAM));
	/* node 2 holds it: relayed there, Request-URI kept, our Via marked,
	 * Max-Forwards decremented */
	pt_req("INVITE", "sip:farah@example.com", VIA_C, "Max-Forwards: 10\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_RELAY);
	pt_dst_is("198.18.0.2", 5060);
	assert_string_equal(pt_ruri(), "sip:farah@example.com");
	snprintf(via, sizeof(via), "%s", pt_hdr(SIP_HDR_VIA, 0));
	assert_non_null(strstr(via, "SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-sss-"));
	assert_non_null(strstr(via, ";rport;ss-relay"));
	assert_string_equal(pt_hdr(SIP_HDR_MAX_FORWARDS, 0), "9");
	assert_int_equal(C(sock_relayed), 1);
	assert_int_equal(C(to_binding), 1);     /* only own@ */
	/* the same request relayed back to us (its top Via is ours, marked): node 2
	 * would have sent it; seen here, the loop rules answer, never a relay */
	memcpy(prev, out, res.len);
	prev_len = res.len;
	memcpy(in, prev, prev_len);
	in_len = prev_len;
	in[in_len] = '\0';
	assert_int_equal(pt_run_from("198.18.0.2", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 482);
	/* relayed to us by node 2 for a binding whose socket is node 2's: 480 */
	pt_req("INVITE", "sip:farah@example.com", VIA_N2, "Max-Forwards: 9\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.2", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 480);
	assert_int_equal(C(sock_relay_loop), 1);
	assert_int_equal(C(sock_relayed), 1);
	/* relayed to us for a binding we hold: to the phone, counted direct */
	pt_req("INVITE", "sip:own@example.com", VIA_N2, "Max-Forwards: 9\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.2", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BINDING);
	pt_dst_is("203.0.113.8", 41000);
	assert_string_equal(pt_ruri(), "sip:own@10.1.1.0:5060");
	assert_string_equal(pt_hdr(SIP_HDR_MAX_FORWARDS, 0), "8");
	assert_null(strstr(pt_hdr(SIP_HDR_VIA, 0), PROXY_RELAY_PARAM));
	assert_int_equal(C(sock_direct), 2);
	/* the mark counts only on a Via of our branch form */
	pt_req("INVITE", "sip:farah@example.com",
	       "SIP/2.0/UDP 198.18.0.100:5060;branch=z9hG4bK-c9;ss-relay", "", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_RELAY);
	/* Max-Forwards 0 is answered before any relay */
	pt_req("INVITE", "sip:farah@example.com", VIA_C, "Max-Forwards: 0\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 483);
	/* node 2 down: from here, counted */
	pt_req("INVITE", "sip:gus@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BINDING);
	pt_dst_is("203.0.113.10", 43000);
	assert_int_equal(C(sock_relay_failed), 1);
	/* node 3 up but no address known: from here */
	pt_req("INVITE", "sip:hal@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("203.0.113.11", 44000);
	assert_int_equal(C(sock_relay_failed), 2);
	/* node 3's record naming our address: held here */
	pt_req("INVITE", "sip:ida@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("203.0.113.12", 45000);
	assert_int_equal(C(sock_direct), 3);
	/* a Path: to the Path, whatever the socket */
	pt_req("INVITE", "sip:jo@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_PATH);
	pt_dst_is("198.18.3.3", 5062);
	assert_int_equal(C(sock_relayed), 2);   /* the marked foreign Via above */
	assert_int_equal(C(sock_direct), 3);
	assert_int_equal(res.from.family, 0);   /* from the port's address */
	/* received on a VIP held here: to the phone from the VIP (its NAT takes
	 * packets from that address only), whichever node took the REGISTER */
	pt_req("INVITE", "sip:vera@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BINDING);
	pt_dst_is("203.0.113.13", 46000);
	assert_int_equal(res.from.family, 4);
	assert_memory_equal(res.from.addr, ((uint8_t[]){ 198, 18, 0, 50 }), 4);
	assert_int_equal(C(sock_direct), 4);
	/* ... held by another node: relayed to the VIP, from our own address */
	pt_req("INVITE", "sip:walt@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_RELAY);
	pt_dst_is("198.18.0.50", 5060);
	assert_int_equal(res.from.family, 0);
	/* own@ (received on our own address): from it, no source named */
	pt_req("INVITE", "sip:own@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.from.family, 0);
}

/* Federation: a user homed on another node is forwarded there (Request-URI
 * kept, our Via marked so that the home never forwards it again), or redirected
 * with 302 to the home; the home down: federation.home_down; relayed to us for a
 * user not homed here either: 480. */
static void
test_federation(void **state)
{
	(void)state;
	pt_req("INVITE", "sip:kim@example.com", VIA_C, "Max-Forwards: 10\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_HOME);
	pt_dst_is("198.18.0.2", 5060);
	assert_string_equal(pt_ruri(), "sip:kim@example.com");
	assert_non_null(strstr(pt_hdr(SIP_HDR_VIA, 0), ";rport;ss-relay"));
	assert_string_equal(pt_hdr(SIP_HDR_MAX_FORWARDS, 0), "9");
	assert_int_equal(C(fed_forwarded), 1);
	/* forwarded to us by node 2, and not ours either: one hop only */
	pt_req("INVITE", "sip:kim@example.com", VIA_N2, "Max-Forwards: 9\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.2", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 480);
	assert_int_equal(C(fed_loop), 1);
	/* the home is down: 480 by default */
	pt_req("INVITE", "sip:lou@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 480);
	assert_int_equal(C(fed_home_down), 1);
	pc.fed_home_down = 503;
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 503);
	pc.fed_home_down = 404;
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 404);
	assert_int_equal(C(fed_home_down), 3);
	/* redirect: 302, Contact the user at the home's address */
	pc.fed_redirect = 1;
	pt_req("INVITE", "sip:kim@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 302);
	assert_string_equal(pt_hdr(SIP_HDR_CONTACT, 0), "<sip:kim@198.18.0.2:5060>");
	assert_int_equal(C(fed_redirected), 1);
	assert_int_equal(C(replied_302), 1);
	assert_int_equal(C(fed_forwarded), 1);
	/* an ACK is never answered */
	pt_req("ACK", "sip:kim@example.com", VIA_C, "", "", CALLID, "1 ACK");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_DROP);
	pc.fed_redirect = 0;
	pc.fed_home_down = 480;
}

/* ---- backends ---- */

static void
test_backend(void **state)
{
	const struct lb_set *s = lb_set_find(&sets, 1);
	char cid[64];
	unsigned i, per[3] = { 0 };

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(cid, sizeof(cid), "call-%u@198.18.0.100", i);
		pt_req("INVITE", "sip:1234@pstn.example.org", VIA_C, "", "", cid, "1 INVITE");
		assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
		assert_int_equal(res.target, PROXY_T_BACKEND);
		assert_int_equal(res.set, 1);
		assert_int_equal(res.member, lb_select(s, lb_callid_hash(cid, strlen(cid))));
		assert_true(lb_addr_eq(&res.dst, &s->m[res.member].addr));
		assert_int_equal(res.dst.port, 5060);
		assert_string_equal(pt_ruri(), "sip:1234@pstn.example.org");
		per[res.member]++;
	}
	assert_true(per[0] > 50 && per[1] > 50 && per[2] > 50);
	assert_int_equal(C(to_backend), 300);
	/* every member down: 503 */
	for (i = 0; i < 3; i++)
		lb_set_member_state(&sets.set[0], i, LB_DOWN, 1);
	pt_req("INVITE", "sip:1234@pstn.example.org", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 503);
	assert_non_null(strstr(out, "SIP/2.0 503 Service Unavailable\r\n"));
	assert_int_equal(C(replied_503), 1);
	/* no such set: 503 too, counted */
	pt_setup(NULL, "backends:\n  - set: 2\n    members: [{uri: \"sip:198.18.1.1\"}]\n");
	pt_req("INVITE", "sip:1234@pstn.example.org", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 503);
	assert_int_equal(C(no_set), 1);
	pt_setup("proxy: {default_set: 2, " ALLOWED_ALL "}\n",
		 "backends:\n  - set: 2\n    members: [{uri: \"sip:198.18.1.1:5090\"}]\n");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.1.1", 5090);
	assert_int_equal(res.set, 2);
}

/* ---- responses ---- */

/* A response to the forwarded request in `out` (our Via on top). */
static void
pt_resp_from_out(const char *extra_vias)
{
	const struct sip_hdr *h;
	char vias[2048] = "";
	size_t n = 0;

	for (h = sip_msg_hdr(&om, SIP_HDR_VIA); h != NULL; h = sip_msg_hdr_next(&om, h))
		n += (size_t)snprintf(vias + n, sizeof(vias) - n, "Via: %.*s\n", h->value.len,
				      h->value.p);
	pt_msg("SIP/2.0 180 Ringing\n%s%s"
	       "From: \"Alice\" <sip:alice@example.com>;tag=f1a2\n"
	       "To: <sip:bob@example.org>;tag=b0b\n"
	       "Call-ID: " CALLID "\n"
	       "CSeq: 1 INVITE\n"
	       "Content-Length: 0\n\n", vias, extra_vias);
}

/* `ours`: our via-parm on a request forwarded for a client with top Via `via`
 * that sent it from ip:port. */
static void
pt_ours_for(const char *via, const char *ip, uint16_t port, char *ours)
{
	const char *v;
	size_t l;

	pt_req("INVITE", "sip:bob@example.org", via, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from(ip, port), PROXY_FORWARD);
	pt_resp_from_out("");
	v = strstr(in, "Via: SIP/2.0/UDP 198.18.0.1:");
	assert_non_null(v);
	l = strcspn(v, "\r\n");
	memcpy(ours, v + 5, l - 5);
	ours[l - 5] = '\0';
}

static void
test_response(void **state)
{
	(void)state;
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5062), PROXY_FORWARD);
	pt_resp_from_out("");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_VIA);
	pt_dst_is("198.18.0.100", 5062);                 /* received + rport */
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 0), "SIP/2.0/UDP 198.18.0.100:5060;rport=5062;"
			    "branch=z9hG4bK-c1;received=198.18.0.100");
	assert_null(pt_hdr(SIP_HDR_VIA, 1));
	assert_int_equal(om.status, 180);
	assert_int_equal(res.len, in_len - (strstr(in, "Via: SIP/2.0/UDP 198.18.0.100") -
					    strstr(in, "Via: SIP/2.0/UDP 198.18.0.1:")));
	assert_int_equal(C(forwarded_responses), 1);
	/* our via-parm first in a field with the next one */
	{
		char ours[256];

		pt_ours_for("SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bK-c1", "198.18.0.100", 5070,
			    ours);
		pt_msg("SIP/2.0 200 OK\nVia: %s, SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bK-c1\n"
		       "From: <sip:alice@example.com>;tag=f1a2\nTo: <sip:bob@example.org>;tag=b\n"
		       "Call-ID: x\nCSeq: 1 INVITE\nContent-Length: 5\n\nabcde", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
		pt_dst_is("198.18.0.100", 5070);         /* sent-by port, no rport */
		assert_string_equal(pt_hdr(SIP_HDR_VIA, 0),
				    "SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bK-c1");
		assert_int_equal(om.body.len, 5);
		assert_memory_equal(om.body.p, "abcde", 5);
		/* forged: our branch pushed towards another next hop (port, address,
		 * or the next Via's branch changed), or its MAC altered */
		pt_msg("SIP/2.0 200 OK\nVia: %s, SIP/2.0/UDP 198.18.0.100:5071;branch=z9hG4bK-c1\n"
		       "From: <sip:alice@example.com>;tag=f1a2\nTo: <sip:bob@example.org>;tag=b\n"
		       "Call-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_response_bad_mac);
		pt_msg("SIP/2.0 200 OK\nVia: %s, SIP/2.0/UDP 198.18.0.100:5070;branch=c1;received=198.18.9.9\n"
		       "From: <sip:alice@example.com>;tag=f1a2\nTo: <sip:bob@example.org>;tag=b\n"
		       "Call-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_response_bad_mac);
		pt_msg("SIP/2.0 200 OK\nVia: %s, SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bK-c2\n"
		       "From: <sip:alice@example.com>;tag=f1a2\nTo: <sip:bob@example.org>;tag=b\n"
		       "Call-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_response_bad_mac);
		ours[strlen("SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-sss-") + 20] ^= 1;
		pt_msg("SIP/2.0 200 OK\nVia: %s, SIP/2.0/UDP 198.18.0.100:5070;branch=z9hG4bK-c1\n"
		       "From: <sip:alice@example.com>;tag=f1a2\nTo: <sip:bob@example.org>;tag=b\n"
		       "Call-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_response_bad_mac);
		assert_int_equal(C(response_bad_mac), 4);
		/* the next Via by hostname without received: cannot be sent */
		pt_ours_for("SIP/2.0/UDP ua.example.com;branch=z9hG4bK-c1", "198.18.0.77", 5060, ours);
		pt_msg("SIP/2.0 200 OK\nVia: %s\nVia: SIP/2.0/UDP ua.example.com;branch=z9hG4bK-c1\n"
		       "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.org>;tag=b\n"
		       "Call-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_response_hostname);
		/* ... with received it can */
		pt_msg("SIP/2.0 200 OK\nVia: %s\nVia: SIP/2.0/UDP ua.example.com;branch=z9hG4bK-c1;"
		       "received=198.18.0.77\nFrom: <sip:a@example.com>;tag=1\n"
		       "To: <sip:b@example.org>;tag=b\nCall-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_FORWARD);
		pt_dst_is("198.18.0.77", 5060);
		/* no Via after ours */
		pt_msg("SIP/2.0 200 OK\nVia: %s\nFrom: <sip:a@example.com>;tag=1\n"
		       "To: <sip:b@example.org>;tag=b\nCall-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_response_no_next_via);
		/* a next Via of 255.255.255.255 is never a destination */
		pt_msg("SIP/2.0 200 OK\nVia: %s\nVia: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1\n"
		       "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.org>;tag=b\n"
		       "Call-ID: x\nCSeq: 1 INVITE\n\n", ours);
		assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_response_bad_via);
	}
	/* not ours: another branch, or our branch from another sent-by */
	pt_msg("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 198.18.0.1;branch=z9hG4bK-other\n"
	       "Via: " VIA_C "\nFrom: <sip:a@example.com>;tag=1\nTo: <sip:b@example.org>;tag=b\n"
	       "Call-ID: x\nCSeq: 1 INVITE\n\n");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_response_not_ours);
	pt_msg("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 198.18.0.9;branch=z9hG4bK-sss-0123456789abcdef-"
	       "0123456789abcdef\nVia: " VIA_C "\nFrom: <sip:a@example.com>;tag=1\n"
	       "To: <sip:b@example.org>;tag=b\nCall-ID: x\nCSeq: 1 INVITE\n\n");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_response_not_ours);
	assert_int_equal(C(response_not_ours), 2);
}

/* The fake VIP view: 198.18.0.50 held here, 198.18.0.51 held by another node. */
static int
pt_vip(void *arg, const struct lb_addr *a)
{
	(void)arg;
	if (a->family != 4 || a->addr[0] != 198 || a->addr[1] != 18 || a->addr[2] != 0)
		return -1;
	return a->addr[3] == 50 ? 1 : a->addr[3] == 51 ? 0 : -1;
}

/* A dialog that began from a VIP held here stays on it: the request to the
 * phone names the VIP in our Via and Record-Route; a request routed by that
 * Record-Route (in-dialog, either way) leaves from the VIP; a response to our
 * VIP Via is ours; a VIP held elsewhere is only a next hop. */
static void
test_vip_dialog(void **state)
{
	char rr[160];

	(void)state;
	pt_setup("proxy: {record_route: true, " ALLOWED_ALL "}\n", NULL);
	proxy_worker_set_vip(&w, pt_vip);
	/* the initial INVITE to a phone registered through the VIP */
	pt_req("INVITE", "sip:vera@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_BINDING);
	assert_int_equal(res.from.family, 4);
	assert_memory_equal(res.from.addr, ((uint8_t[]){ 198, 18, 0, 50 }), 4);
	assert_int_equal(strncmp(pt_hdr(SIP_HDR_VIA, 0), "SIP/2.0/UDP 198.18.0.50:5060;branch=",
				 36), 0);
	snprintf(rr, sizeof(rr), "%s", pt_hdr(SIP_HDR_RECORD_ROUTE, 0));
	assert_int_equal(strncmp(rr, "<sip:198.18.0.50:5060;lr;ss=", 28), 0);
	assert_int_equal(C(vip_routed), 0);
	/* its response comes back to the VIP: our Via */
	pt_resp_from_out("");
	assert_int_equal(pt_run_from("203.0.113.13", 46000), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_VIA);
	pt_dst_is("198.18.0.100", 5060);
	/* the caller's BYE, routed by that Record-Route: to the phone from the VIP
	 * (its Request-URI is not an allowed destination: our signed Route lets it) */
	{
		char extra[256];

		snprintf(extra, sizeof(extra), "Route: %s\n", rr);
		pt_req("BYE", "sip:vera@203.0.113.13:46000", VIA_C, extra, "t1", CALLID, "2 BYE");
	}
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_RURI);
	pt_dst_is("203.0.113.13", 46000);
	assert_int_equal(res.from.family, 4);
	assert_memory_equal(res.from.addr, ((uint8_t[]){ 198, 18, 0, 50 }), 4);
	assert_int_equal(strncmp(pt_hdr(SIP_HDR_VIA, 0), "SIP/2.0/UDP 198.18.0.50:5060;branch=",
				 36), 0);
	assert_null(pt_hdr(SIP_HDR_ROUTE, 0));
	assert_int_equal(C(vip_routed), 1);
	/* the phone's request the other way: on to the next Route, from the VIP */
	pt_req("BYE", "sip:alice@198.18.0.100:5060", "SIP/2.0/UDP 203.0.113.13:46000;branch=z9hG4bK-p1",
	       "Route: <sip:198.18.0.50;lr>, <sip:198.18.7.7;lr>\n", "t1", CALLID, "3 BYE");
	assert_int_equal(pt_run_from("203.0.113.13", 46000), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_ROUTE);
	pt_dst_is("198.18.7.7", 5060);
	assert_int_equal(res.from.family, 4);
	assert_memory_equal(res.from.addr, ((uint8_t[]){ 198, 18, 0, 50 }), 4);
	assert_int_equal(C(vip_routed), 2);
	/* a Route naming our own address: from it, as before */
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C, "Route: <sip:198.18.0.1;lr>\n", "t1",
	       CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.from.family, 0);
	assert_int_equal(strncmp(pt_hdr(SIP_HDR_VIA, 0), "SIP/2.0/UDP 198.18.0.1:5060;branch=",
				 35), 0);
	/* a VIP held by another node is not ours: the next hop */
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C, "Route: <sip:198.18.0.51;lr>\n", "t1",
	       CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(res.target, PROXY_T_ROUTE);
	pt_dst_is("198.18.0.51", 5060);
	assert_int_equal(res.from.family, 0);
	/* ... on another port than ours, neither */
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C, "Route: <sip:198.18.0.50:5070;lr>\n",
	       "t1", CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.0.50", 5070);
	assert_int_equal(C(vip_routed), 2);
	/* a response whose top Via names a VIP held elsewhere is not ours */
	pt_msg("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 198.18.0.51;branch=z9hG4bK-sss-0123456789abcdef-"
	       "0123456789abcdef\nVia: " VIA_C "\nFrom: <sip:a@example.com>;tag=1\n"
	       "To: <sip:b@example.org>;tag=b\nCall-ID: x\nCSeq: 1 INVITE\n\n");
	assert_int_equal(pt_run_from("198.18.1.2", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_response_not_ours);
	/* without a VIP view the VIP is only a next hop too */
	proxy_worker_set_vip(&w, NULL);
	pt_req("BYE", "sip:bob@198.18.0.150:5080", VIA_C, "Route: <sip:198.18.0.50;lr>\n", "t1",
	       CALLID, "2 BYE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_dst_is("198.18.0.50", 5060);
	assert_int_equal(res.from.family, 0);
}

/* The branch and Record-Route MAC is SipHash-2-4 with the cluster's key, 64-bit
 * output read little-endian, over T and L (little-endian), the family, the port
 * (big-endian) and the address (16 octets, zero-padded): the same octets as
 * OpenSSL's EVP_MAC "SIPHASH" gives, which the proxy used before, so nodes of
 * both kinds in one cluster accept each other's branches. */
static void
test_branch_mac_siphash(void **state)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx;
	size_t sz = 8, n;
	OSSL_PARAM params[2] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &sz),
				 OSSL_PARAM_END };
	unsigned i, k;

	(void)state;
	assert_non_null(mac);
	ctx = EVP_MAC_CTX_new(mac);
	assert_non_null(ctx);
	for (i = 0; i < 2000; i++) {
		uint64_t t = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
		uint64_t l = ((uint64_t)rand() << 31) ^ (uint64_t)rand() ^ ((uint64_t)i << 50);
		struct lb_addr d = A(i & 1 ? "2001:2::1234" : "198.18.7.9", (uint16_t)rand());
		uint8_t msg[35] = { 0 }, mo[8];
		uint64_t want = 0;

		for (k = 0; k < 8; k++) {
			msg[k] = (uint8_t)(t >> (8 * k));
			msg[8 + k] = (uint8_t)(l >> (8 * k));
		}
		msg[16] = d.family;
		msg[17] = (uint8_t)(d.port >> 8);
		msg[18] = (uint8_t)d.port;
		memcpy(msg + 19, d.addr, d.family == 4 ? 4 : 16);
		assert_int_equal(EVP_MAC_init(ctx, (const uint8_t *)"0123456789abcdef", 16, params), 1);
		assert_int_equal(EVP_MAC_update(ctx, msg, sizeof(msg)), 1);
		assert_int_equal(EVP_MAC_final(ctx, mo, &n, sizeof(mo)), 1);
		assert_int_equal(n, 8);
		for (k = 0; k < 8; k++)
			want |= (uint64_t)mo[k] << (8 * k);
		assert_int_equal(proxy_branch_mac(&w, t, l, &d), want);
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

/* Replies to our OPTIONS probes are handed to the prober. */
static void
test_probe_reply(void **state)
{
	static struct sip_msg pm;
	char probe[LB_PROBE_MAX];
	size_t n;
	struct lb_set *s = &sets.set[0];

	(void)state;
	n = lb_probe_build(&sets, s, 2, 77, probe, sizeof(probe));
	assert_true(n > 0);
	assert_int_equal(sip_msg_parse(&pm, probe, n), 0);
	in_len = sip_reply_error(&pm, 200, NULL, NULL, in, sizeof(in));
	assert_true(in_len > 0);
	assert_int_equal(pt_run_from("198.18.1.3", 5060), PROXY_PROBE_REPLY);
	assert_int_equal(res.set, 1);
	assert_int_equal(res.member, 2);
	assert_int_equal(res.seq, 77);
	assert_int_equal(C(probe_replies), 1);
	/* the reply handed to the prober brings a down member up */
	lb_set_member_state(s, 2, LB_DOWN, 0);
	lb_probe_sent(&s->h[2], 77, 0, 1000);
	lb_reply_note(&sets, 0, res.set, (unsigned)res.member, res.seq);
	assert_int_equal(lb_prober_poll(&sets, 10, NULL, NULL), 1);
	assert_int_equal(s->h[2].state, LB_UP);
	/* from another address than the member's: not believed */
	assert_int_equal(pt_run_from("198.18.1.1", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_probe_bad_source);
	/* a 503 is a reply too: any reply means alive */
	in_len = sip_reply_error(&pm, 503, NULL, NULL, in, sizeof(in));
	assert_int_equal(pt_run_from("198.18.1.3", 5060), PROXY_PROBE_REPLY);
	/* a member that does not exist */
	n = lb_probe_build(&sets, s, 2, 78, probe, sizeof(probe));
	memcpy(strstr(probe, "sssp-1-2-78"), "sssp-1-9-78", 11);
	assert_int_equal(sip_msg_parse(&pm, probe, n), 0);
	in_len = sip_reply_error(&pm, 200, NULL, NULL, in, sizeof(in));
	assert_int_equal(pt_run_from("198.18.1.3", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_response_bad_via);
	/* a forged reply: the member's address, a guessed token -> not believed */
	n = lb_probe_build(&sets, s, 2, 79, probe, sizeof(probe));
	{
		char *t = strstr(probe, "sssp-1-2-79-") + strlen("sssp-1-2-79-");

		t[0] = t[0] == '0' ? '1' : '0';
	}
	assert_int_equal(sip_msg_parse(&pm, probe, n), 0);
	in_len = sip_reply_error(&pm, 200, NULL, NULL, in, sizeof(in));
	assert_int_equal(pt_run_from("198.18.1.3", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_probe_bad_token);
	assert_int_equal(C(probe_bad_token), 1);
}

/* ---- the torture corpus ---- */

static size_t
pt_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		fail_msg("%s: %s (run from the repository root)", path, strerror(errno));
	n = fread(in, 1, sizeof(in) - 1, f);
	fclose(f);
	in_len = n;
	return n;
}

static void
test_torture_named(void **state)
{
	(void)state;
	/* zeromf.dat: OPTIONS with Max-Forwards 0 -> 483 */
	pt_read("tests/corpus/sip-torture/rfc4475/zeromf.dat");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 483);
	/* host1.example.com cannot be resolved: the reply goes to the source */
	pt_dst_is("198.18.0.100", 5060);
	/* bcast.dat: a response whose 2nd Via is 255.255.255.255: the top Via is not
	 * ours, so it is dropped, never sent there */
	pt_read("tests/corpus/sip-torture/rfc4475/bcast.dat");
	assert_int_equal(pt_run_from("192.0.2.198", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_response_not_ours);
}

/* Every torture message through the proxy: no crash; every reply valid SIP,
 * every forwarded copy of a valid message valid (an invalid one whose faults
 * the proxy does not need to read goes on as it came, and must still parse). */
static void
pt_corpus_dir(const char *dir, unsigned *files, unsigned *outputs)
{
	struct dirent *de;
	char path[512], why[128];
	DIR *d = opendir(dir);
	int rc, valid;

	if (d == NULL)
		fail_msg("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".dat") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		pt_read(path);
		(*files)++;
		if (sip_msg_parse(&m, in, in_len) != 0)
			continue;
		valid = sip_msg_validate(&m) == 0;
		if (sip_msg_parse(&m, in, in_len) != 0)
			fail_msg("%s: parse not repeatable", path);
		{
			struct lb_addr src = A("198.18.0.100", 5060);

			rc = m.is_request ? proxy_request(&w, &m, &src, out, sizeof(out), &res) :
					    proxy_response(&w, &m, &src, out, sizeof(out), &res);
		}
		if (rc != PROXY_FORWARD && rc != PROXY_REPLY)
			continue;
		(*outputs)++;
		if (sip_msg_parse(&om, out, res.len) != 0 ||
		    ((valid || rc == PROXY_REPLY) && sip_msg_validate(&om) != 0)) {
			sip_msg_reason(&om, why, sizeof(why));
			fail_msg("%s: %s output invalid (%s):\n%.*s", path,
				 rc == PROXY_REPLY ? "reply" : "forwarded", why, (int)res.len, out);
		}
	}
	closedir(d);
}

static void
test_torture_all(void **state)
{
	unsigned files = 0, outputs = 0;

	(void)state;
	pt_setup("proxy: {record_route: true, " ALLOWED_ALL "}\n", NULL);
	pt_corpus_dir("tests/corpus/sip-torture/rfc4475", &files, &outputs);
	pt_corpus_dir("tests/corpus/sip-torture/rfc5118", &files, &outputs);
	print_message("%u torture messages, %u outputs checked\n", files, outputs);
	assert_true(files >= 50);
	assert_true(outputs >= 20);
}

/* Random damage to a request and to a response (fixed seed): never a crash,
 * never a write past the buffer, every reply valid. */
static void
test_mutations(void **state)
{
	static char base[2][2048], outb[4096];
	size_t blen[2], cap;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned i, k, forwarded = 0, replied = 0;
	struct lb_addr src = A("198.18.0.100", 5060);
	int rc;

	(void)state;
	pt_setup("proxy: {record_route: true, " ALLOWED_ALL "}\n", NULL);
	pt_req("INVITE", "sip:carol@example.com", VIA_C, "Route: <sip:198.18.0.1;lr>, "
	       "<sip:198.18.5.5;lr>\nMax-Forwards: 5\n", "", CALLID, "1 INVITE");
	memcpy(base[0], in, in_len);
	blen[0] = in_len;
	assert_int_equal(pt_run(&src), PROXY_FORWARD);
	pt_resp_from_out("Via: SIP/2.0/UDP 198.18.9.9;branch=z9hG4bK-x\n");
	memcpy(base[1], in, in_len);
	blen[1] = in_len;
	for (i = 0; i < 40000; i++) {
		unsigned which = i & 1, n;

		memcpy(in, base[which], blen[which]);
		in_len = blen[which];
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (n = 1 + (unsigned)(x % 4), k = 0; k < n; k++) {
			uint64_t r = x >> (8 * k);
			size_t at = (size_t)(r % in_len);
			static const char pool[] = ";,:<>@\"= \r\n\t0[]z";

			in[at] = (r >> 40) & 1 ? pool[(r >> 32) % (sizeof(pool) - 1)] : (char)(r >> 24);
		}
		if ((x >> 60) == 0)
			in_len = (size_t)(x % in_len);          /* cut short */
		if (sip_msg_parse(&m, in, in_len) != 0)
			continue;
		cap = (x >> 20) & 1 ? sizeof(outb) - 1 : (size_t)((x >> 21) % sizeof(outb));
		outb[cap] = 0x5a;
		rc = m.is_request ? proxy_request(&w, &m, &src, outb, cap, &res) :
				    proxy_response(&w, &m, &src, outb, cap, &res);
		assert_int_equal((unsigned char)outb[cap], 0x5a);
		if (rc == PROXY_FORWARD || rc == PROXY_REPLY) {
			assert_true(res.len <= cap);
			if (sip_msg_parse(&om, outb, res.len) != 0)
				fail_msg("iteration %u: output does not parse", i);
			if (rc == PROXY_REPLY) {
				if (sip_msg_validate(&om) != 0)
					fail_msg("iteration %u: reply invalid:\n%.*s", i, (int)res.len,
						 outb);
				replied++;
			} else {
				forwarded++;
			}
		}
	}
	print_message("40000 damaged messages: %u forwarded, %u replies\n", forwarded, replied);
	assert_true(forwarded > 1000);
}

/* ---- limits, extensions, names, configuration ---- */

static void
test_bounded_output(void **state)
{
	size_t full, cap;

	(void)state;
	pt_req("INVITE", "sip:carol@example.com", VIA_C, "Route: <sip:198.18.0.1;lr>\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	full = res.len;
	/* every smaller buffer: dropped and counted, never a write past cap */
	for (cap = 0; cap < full; cap++) {
		memset(out, 0x5a, sizeof(out));
		assert_int_equal(sip_msg_parse(&m, in, in_len), 0);
		assert_int_equal(proxy_request(&w, &m, &(struct lb_addr){ 4, 0, 5060,
					       { 198, 18, 0, 100 } }, out, cap, &res), PROXY_DROP);
		assert_int_equal(res.drop, PROXY_C_out_overflow);
		assert_int_equal((unsigned char)out[cap], 0x5a);
	}
	assert_int_equal(C(out_overflow), full);
	assert_int_equal(proxy_request(&w, &m, &(struct lb_addr){ 4, 0, 5060,
				       { 198, 18, 0, 100 } }, out, full, &res), PROXY_FORWARD);
	/* a reply that does not fit */
	pt_req("INVITE", "sip:dave@example.com", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(sip_msg_parse(&m, in, in_len), 0);
	assert_int_equal(proxy_request(&w, &m, &(struct lb_addr){ 4, 0, 5060,
				       { 198, 18, 0, 100 } }, out, 64, &res), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_reply_failed);
	/* a response that does not fit */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "", "", CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	pt_resp_from_out("");
	assert_int_equal(sip_msg_parse(&m, in, in_len), 0);
	assert_int_equal(proxy_response(&w, &m, NULL, out, 100, &res), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_out_overflow);
}

static void
test_body_and_fields_kept(void **state)
{
	static const char body[] = "v=0\r\no=- 1 1 IN IP4 198.18.0.100\r\ns=-\r\n";

	(void)state;
	pt_msg("INVITE sip:bob@example.org SIP/2.0\n"
	       "v: " VIA_C "\n"
	       "Max-Forwards: 10\n"
	       "f: <sip:alice@example.com>;tag=1\n"
	       "t: <sip:bob@example.org>\n"
	       "i: " CALLID "\n"
	       "CSeq: 1 INVITE\n"
	       "X-Custom:   spaced   value\n"
	       "Subject: folded\n  over two lines\n"
	       "c: application/sdp\n"
	       "l: %zu\n\n", sizeof(body) - 1);
	memcpy(in + in_len, body, sizeof(body) - 1);
	in_len += sizeof(body) - 1;
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_FORWARD);
	assert_int_equal(om.body.len, sizeof(body) - 1);
	assert_memory_equal(om.body.p, body, sizeof(body) - 1);
	assert_non_null(strstr(out, "\r\nX-Custom:   spaced   value\r\n"));
	assert_non_null(strstr(out, "\r\nSubject: folded\r\n  over two lines\r\n"));
	{
		char l[32];

		snprintf(l, sizeof(l), "\r\nl: %zu\r\n", sizeof(body) - 1);
		assert_non_null(strstr(out, l));
	}
	assert_string_equal(pt_hdr(SIP_HDR_MAX_FORWARDS, 0), "9");
	assert_string_equal(pt_hdr(SIP_HDR_VIA, 1), "SIP/2.0/UDP 198.18.0.100:5060;rport=5060;"
			    "branch=z9hG4bK-c1;received=198.18.0.100");
	/* the copy differs from the input only by the lines we add or change */
	assert_int_equal(res.len, in_len + strlen("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=;"
						  "rport\r\n") + PROXY_BRANCH_LEN +
			 strlen("Via: ") - strlen("v: ") + strlen("=5060;received=198.18.0.100") -
			 strlen("10") + strlen("9"));
}

static void
test_proxy_require(void **state)
{
	(void)state;
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Proxy-Require: foo, bar\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 420);
	assert_string_equal(pt_hdr(SIP_HDR_UNSUPPORTED, 0), "foo, bar");
	assert_int_equal(C(replied_420), 1);
	/* malformed fields a proxy needs: 400 with the reason */
	pt_msg("INVITE sip:bob@example.org SIP/2.0\nVia: " VIA_C "\nFrom: <sip:a@example.com>;tag=1\n"
	       "To: <sip:b@example.org>\nCall-ID: x\nCSeq: one INVITE\n\n");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_DROP);
	assert_int_equal(res.drop, PROXY_C_request_unanswerable);
	/* ... a Route is not copied into the reply: 400 */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Route: <sip:198.18.0.1;lr>,\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 400);
	assert_non_null(strstr(out, "SIP/2.0 400 Empty list element: Route\r\n"));
	/* a malformed Proxy-Require: 400, two fields: one Unsupported list */
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Proxy-Require: a b\n", "", CALLID,
	       "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_int_equal(res.status, 400);
	pt_req("INVITE", "sip:bob@example.org", VIA_C, "Proxy-Require: a\nProxy-Require: b\n", "",
	       CALLID, "1 INVITE");
	assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
	assert_string_equal(pt_hdr(SIP_HDR_UNSUPPORTED, 0), "a, b");
	pt_msg("INVITE sip:bob@example.org;x=\"y SIP/2.0\nVia: " VIA_C "\n"
	       "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.org>\nCall-ID: x\n"
	       "CSeq: 1 INVITE\n\n");
	if (sip_msg_parse(&m, in, in_len) == 0) {
		assert_int_equal(pt_run_from("198.18.0.100", 5060), PROXY_REPLY);
		assert_int_equal(res.status, 400);
	}
	assert_int_equal(C(replied_400), C(replied_400));
}

static void
test_names(void **state)
{
	unsigned i;

	(void)state;
	assert_string_equal(proxy_counter_name(PROXY_C_forwarded_requests), "forwarded_requests");
	assert_string_equal(proxy_counter_name(PROXY_C_response_not_ours), "response_not_ours");
	for (i = 0; i < PROXY_C__COUNT; i++) {
		assert_true(proxy_counter_name((enum proxy_counter)i)[0] != '\0');
		assert_true(proxy_counter_help((enum proxy_counter)i)[0] != '\0');
	}
	assert_string_equal(proxy_counter_name(PROXY_C__COUNT), "?");
}

static void
test_config_keys(void **state)
{
	char err[256];
	static const char head[] = "node: {id: 1}\ndataplane: {ports: [{device: d, ipv4: "
				   "198.18.0.1/24}]}\n";
	char yaml[1024];

	(void)state;
	snprintf(yaml, sizeof(yaml), "%s", head);
	assert_int_equal(cfg_load_buf("p.yaml", yaml, strlen(yaml), &cfg, err, sizeof(err)), 0);
	assert_false(cfg.proxy.record_route);
	assert_int_equal(cfg.proxy.default_set, 1);
	snprintf(yaml, sizeof(yaml), "%sbackends: [{set: 4, members: [{uri: \"sip:198.18.1.1\"}]}]"
		 "\nproxy:\n  record_route: true\n  default_set: 4\n", head);
	assert_int_equal(cfg_load_buf("p.yaml", yaml, strlen(yaml), &cfg, err, sizeof(err)), 0);
	assert_true(cfg.proxy.record_route);
	assert_int_equal(cfg.proxy.default_set, 4);
	snprintf(yaml, sizeof(yaml), "%sproxy:\n  record_route: yes\n", head);
	assert_int_equal(cfg_load_buf("p.yaml", yaml, strlen(yaml), &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "p.yaml:4:17: proxy.record_route: 'yes' is not one of: false, true");
	snprintf(yaml, sizeof(yaml), "%sbackends: [{set: 4, members: [{uri: \"sip:198.18.1.1\"}]}]"
		 "\nproxy:\n  default_set: 9\n", head);
	assert_int_equal(cfg_load_buf("p.yaml", yaml, strlen(yaml), &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "p.yaml:5:16: proxy.default_set (9) names no backends[].set");
	snprintf(yaml, sizeof(yaml), "%sproxy:\n  default_set: 0\n", head);
	assert_int_equal(cfg_load_buf("p.yaml", yaml, strlen(yaml), &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(cfg_load("config/example.yaml", &cfg, err, sizeof(err)), 0);
	assert_false(cfg.proxy.record_route);
	assert_int_equal(cfg.proxy.default_set, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_max_forwards, pt_setup_default),
		cmocka_unit_test_setup(test_via_rport, pt_setup_default),
		cmocka_unit_test_setup(test_branch, pt_setup_default),
		cmocka_unit_test_setup(test_loop, pt_setup_default),
		cmocka_unit_test_setup(test_route, pt_setup_default),
		cmocka_unit_test_setup(test_in_dialog, pt_setup_default),
		cmocka_unit_test_setup(test_record_route, pt_setup_default),
		cmocka_unit_test_setup(test_no_open_relay, pt_setup_default),
		cmocka_unit_test_setup(test_binding, pt_setup_default),
		cmocka_unit_test_setup(test_sock_path, pt_setup_default),
		cmocka_unit_test_setup(test_sock_relay, pt_setup_default),
		cmocka_unit_test_setup(test_vip_dialog, pt_setup_default),
		cmocka_unit_test_setup(test_branch_mac_siphash, pt_setup_default),
		cmocka_unit_test_setup(test_federation, pt_setup_default),
		cmocka_unit_test_setup(test_backend, pt_setup_default),
		cmocka_unit_test_setup(test_response, pt_setup_default),
		cmocka_unit_test_setup(test_probe_reply, pt_setup_default),
		cmocka_unit_test_setup(test_torture_named, pt_setup_default),
		cmocka_unit_test_setup(test_torture_all, pt_setup_default),
		cmocka_unit_test_setup(test_mutations, pt_setup_default),
		cmocka_unit_test_setup(test_bounded_output, pt_setup_default),
		cmocka_unit_test_setup(test_body_and_fields_kept, pt_setup_default),
		cmocka_unit_test_setup(test_proxy_require, pt_setup_default),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
