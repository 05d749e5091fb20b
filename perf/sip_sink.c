/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip-sink: the backend of the proxy benchmarks (perf/run.sh kamailio-proxy): a
 * minimal stateless UAS on a kernel UDP socket. Every request but ACK gets a
 * 200 OK built from its Via, From, To (a To tag added when missing), Call-ID and
 * CSeq lines; ACK and responses are swallowed. No retransmissions, no dialogs:
 * it never waits for an ACK. The reply goes to the source of the request (with a
 * stateless proxy in front that is the proxy, whose Via is the top one).
 * Batches of 64 with recvmmsg/sendmmsg; one thread. Plain C, no DPDK.
 *
 *   sip-sink -a ADDR [-p PORT]      (SIGINT/SIGTERM: counters on stderr, exit 0)
 */
#define _GNU_SOURCE     /* recvmmsg, sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define SINK_BATCH      64
#define SINK_MSG_MAX    8192
#define SINK_REPLY_MAX  4096

static volatile sig_atomic_t sink_stop;

static void
on_signal(int sig)
{
	(void)sig;
	sink_stop = 1;
}

/* Header name of LINE (LEN bytes, up to the colon) is one of the two names. */
static bool
hdr_is(const char *line, size_t len, const char *name, const char *compact)
{
	const char *colon = memchr(line, ':', len);
	size_t n;

	if (colon == NULL)
		return false;
	n = (size_t)(colon - line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	return (n == strlen(name) && strncasecmp(line, name, n) == 0) ||
	       (compact != NULL && n == strlen(compact) && strncasecmp(line, compact, n) == 0);
}

static bool
has_tag(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if (strncasecmp(line + i, "tag=", 4) == 0 && i > 0 && (line[i - 1] == ';' || line[i - 1] == ' '))
			return true;
	return false;
}

/* The 200 OK for request REQ (LEN bytes) into OUT; its length, 0 for none. */
static size_t
sink_reply(const char *req, size_t len, char *out, const char *contact)
{
	const char *end = req + len, *line, *eol;
	size_t n = 0, ll;
	bool invite;
	int w;

	if (len < 8 || memcmp(req, "SIP/2.0 ", 8) == 0 || memcmp(req, "ACK ", 4) == 0)
		return 0;
	invite = memcmp(req, "INVITE ", 7) == 0;
	n = (size_t)snprintf(out, SINK_REPLY_MAX, "SIP/2.0 200 OK\r\n");
	eol = memchr(req, '\n', len);
	for (line = eol ? eol + 1 : end; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		ll = (size_t)(eol - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		if (!hdr_is(line, ll, "via", "v") && !hdr_is(line, ll, "from", "f") &&
		    !hdr_is(line, ll, "to", "t") && !hdr_is(line, ll, "call-id", "i") &&
		    !hdr_is(line, ll, "cseq", NULL))
			continue;
		if (n + ll + 32 >= SINK_REPLY_MAX)
			return 0;
		memcpy(out + n, line, ll);
		n += ll;
		if (hdr_is(line, ll, "to", "t") && !has_tag(line, ll)) {
			memcpy(out + n, ";tag=sink1", 10);
			n += 10;
		}
		out[n++] = '\r';
		out[n++] = '\n';
		if (eol == end)
			break;
	}
	w = snprintf(out + n, SINK_REPLY_MAX - n, "%s%s%sServer: sip-sink\r\nContent-Length: 0\r\n\r\n",
		     invite ? "Contact: <" : "", invite ? contact : "", invite ? ">\r\n" : "");
	if (w < 0 || (size_t)w >= SINK_REPLY_MAX - n)
		return 0;
	return n + (size_t)w;
}

int
main(int argc, char **argv)
{
	static char rx[SINK_BATCH][SINK_MSG_MAX], tx[SINK_BATCH][SINK_REPLY_MAX];
	struct mmsghdr rmsg[SINK_BATCH], smsg[SINK_BATCH];
	struct iovec riov[SINK_BATCH], siov[SINK_BATCH];
	struct sockaddr_in from[SINK_BATCH], addr;
	unsigned long long n_rx = 0, n_tx = 0, n_skip = 0;
	const char *ip = NULL;
	char contact[96];
	int port = 5060, opt, fd, n, i, k, rcvbuf = 8 << 20;
	struct sigaction sa;

	while ((opt = getopt(argc, argv, "a:p:h")) != -1) {
		switch (opt) {
		case 'a': ip = optarg; break;
		case 'p': port = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: sip-sink -a ADDR [-p PORT]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (ip == NULL || port <= 0 || port > 65535 || inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
		fprintf(stderr, "usage: sip-sink -a ADDR [-p PORT]\n");
		return 2;
	}
	snprintf(contact, sizeof(contact), "sip:sink@%s:%d", ip, port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "sip-sink: %s:%d: %s\n", ip, port, strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;             /* no SA_RESTART: recvmmsg returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (i = 0; i < SINK_BATCH; i++) {
		riov[i].iov_base = rx[i];
		riov[i].iov_len = sizeof(rx[i]);
		siov[i].iov_base = tx[i];
	}
	fprintf(stderr, "sip-sink: listening on %s:%d\n", ip, port);
	while (!sink_stop) {
		memset(rmsg, 0, sizeof(rmsg));
		for (i = 0; i < SINK_BATCH; i++) {
			rmsg[i].msg_hdr.msg_iov = &riov[i];
			rmsg[i].msg_hdr.msg_iovlen = 1;
			rmsg[i].msg_hdr.msg_name = &from[i];
			rmsg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, rmsg, SINK_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		n_rx += (unsigned long long)n;
		memset(smsg, 0, sizeof(smsg));
		for (i = 0, k = 0; i < n; i++) {
			size_t len = sink_reply(rx[i], rmsg[i].msg_len, tx[k], contact);

			if (len == 0) {
				n_skip++;
				continue;
			}
			siov[k].iov_len = len;
			smsg[k].msg_hdr.msg_iov = &siov[k];
			smsg[k].msg_hdr.msg_iovlen = 1;
			smsg[k].msg_hdr.msg_name = &from[i];
			smsg[k].msg_hdr.msg_namelen = rmsg[i].msg_hdr.msg_namelen;
			/* tx[k] must not be overwritten before it is sent: k <= i. */
			k++;
		}
		for (i = 0; i < k;) {
			int s = sendmmsg(fd, smsg + i, (unsigned int)(k - i), 0);

			if (s <= 0)
				break;
			i += s;
		}
		n_tx += (unsigned long long)i;
	}
	fprintf(stderr, "sip-sink: %llu received, %llu answered, %llu not answered (ACK/responses/bad)\n",
		n_rx, n_tx, n_skip);
	close(fd);
	return 0;
}
