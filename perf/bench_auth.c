/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cost of the SIP-side security checks, fed from memory on one core: digest
 * verification of a REGISTER (reg_auth_check, SHA-256 and MD5), a 401 challenge
 * (reg_auth_challenge: nonce HMAC + response), and the MAC of a proxy Via
 * branch (proxy_branch_mac, SipHash through libcrypto). One JSON line per case:
 * {"bench":"auth","case":"check-sha256","ns_per_op":F,"ops":N}.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config/cfg.h"
#include "dataplane/proxy/proxy_req.h"
#include "dataplane/registrar/reg_auth.h"
#include "dataplane/sip/sip_parse.h"

#define NOW  1700000000ull
#define OPS  200000

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void
hexdig(const char *algo, const char *s, char *out)
{
	uint8_t md[64];
	unsigned int n, i;

	EVP_Digest(s, strlen(s), md, &n, strcmp(algo, "MD5") == 0 ? EVP_md5() : EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void
emit(const char *name, double ns)
{
	fprintf(stderr, "%-14s %10.1f ns/op\n", name, ns);
	printf("{\"bench\":\"auth\",\"case\":\"%s\",\"ns_per_op\":%.1f,\"ops\":%d}\n", name, ns, OPS);
	fflush(stdout);
}

int
main(void)
{
	struct cfg_auth a = { .nonce_ttl_s = 30 };
	struct reg_auth_conf conf;
	struct reg_auth_table *t;
	static struct sip_msg m;
	static char text[2048], out[4096];
	char ha1m[80], ha1s[80], path[64], err[256], nonce[REG_AUTH_NONCE_LEN + 1] = "";
	uint8_t secret[REG_AUTH_SECRET_LEN];
	const char *algos[2] = { "SHA-256", "MD5" };
	double t0, t1;
	FILE *f;
	int i, k, n, bad = 0;

	snprintf(path, sizeof(path), "/tmp/bench_auth.%d", (int)getpid());
	hexdig("MD5", "alice:example.com:secret", ha1m);
	hexdig("SHA-256", "alice:example.com:secret", ha1s);
	f = fopen(path, "w");
	if (f == NULL)
		return 1;
	fprintf(f, "alice:example.com:%s:%s\n", ha1m, ha1s);
	fclose(f);
	snprintf(a.realm, sizeof(a.realm), "example.com");
	memset(secret, 0x5a, sizeof(secret));
	reg_auth_conf_init(&conf, &a, secret);
	t = reg_auth_table_load(path, "example.com", NULL, err, sizeof(err));
	unlink(path);
	if (t == NULL) {
		fprintf(stderr, "bench_auth: %s\n", err);
		return 1;
	}
	reg_auth_nonce_make(&conf, NOW, 1, nonce);
	for (k = 0; k < 2; k++) {
		char ha1[80], ha2[80], resp[80], s[512], name[32];

		snprintf(s, sizeof(s), "alice:example.com:secret");
		hexdig(algos[k], s, ha1);
		hexdig(algos[k], "REGISTER:sip:example.com", ha2);
		snprintf(s, sizeof(s), "%s:%s:00000001:c0ffee:auth:%s", ha1, nonce, ha2);
		hexdig(algos[k], s, resp);
		n = snprintf(text, sizeof(text),
			     "REGISTER sip:example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.18.0.100:5060;rport;branch=z9hG4bK1\r\n"
			     "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n"
			     "Call-ID: x\r\nCSeq: 1 REGISTER\r\n"
			     "Contact: <sip:alice@198.18.0.100:5060>\r\n"
			     "Authorization: Digest username=\"alice\", realm=\"example.com\", "
			     "nonce=\"%s\", uri=\"sip:example.com\", response=\"%s\", algorithm=%s, "
			     "qop=auth, nc=00000001, cnonce=\"c0ffee\"\r\nContent-Length: 0\r\n\r\n",
			     nonce, resp, algos[k]);
		if (sip_msg_parse(&m, text, (size_t)n) != 0)
			return 1;
		t0 = now_ns();
		for (i = 0; i < OPS; i++)
			bad += reg_auth_check(&conf, t, NULL, &m, "alice", 5, NOW) != REG_AUTH_OK;
		t1 = now_ns();
		snprintf(name, sizeof(name), "check-%s", k == 0 ? "sha256" : "md5");
		emit(name, (t1 - t0) / OPS);
	}
	t0 = now_ns();
	for (i = 0; i < OPS; i++)
		bad += reg_auth_challenge(&conf, &m, false, NOW, (uint64_t)i, NULL, sizeof(out), out,
					  sizeof(out)) == 0;
	t1 = now_ns();
	emit("challenge", (t1 - t0) / OPS);
	{
		static struct cfg cfg;
		static struct proxy_conf pc;
		static struct proxy_worker w;
		static const char yaml[] = "node: {id: 1}\ndataplane:\n"
			"  ports: [{device: net_null0, ipv4: 198.18.0.1/24}]\n";
		struct lb_addr d = { .family = 4, .port = 5060, .addr = { 198, 18, 0, 100 } };
		uint64_t x = 0;

		if (cfg_load_buf("bench", yaml, strlen(yaml), &cfg, err, sizeof(err)) != 0 ||
		    proxy_conf_init(&pc, &cfg, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_auth: %s\n", err);
			return 1;
		}
		proxy_conf_set_mac_key(&pc, (const uint8_t *)"0123456789abcdef");
		proxy_worker_init(&w, &pc, NULL, NULL);
		t0 = now_ns();
		for (i = 0; i < OPS; i++)
			x ^= proxy_branch_mac(&w, (uint64_t)i, x, &d);
		t1 = now_ns();
		emit("branch-mac", (t1 - t0) / OPS);
		bad += x == 0;
	}
	reg_auth_table_free(t);
	if (bad != 0) {
		fprintf(stderr, "bench_auth: %d unexpected results\n", bad);
		return 1;
	}
	return 0;
}
