/* SPDX-License-Identifier: BSD-3-Clause */
/* One line per event, with a level and a subsystem, to stderr or syslog. See dp_log.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>

#include <rte_log.h>

#include "dataplane/core/dp_log.h"

#define DP_LOG_LINE 1024

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

static struct {
	enum cfg_log_target target;
	bool journal;                   /* stderr is journald's stream: "<N>" prefix */
	char pending[DP_LOG_LINE];      /* a line not ended yet (rte_log without \n) */
	size_t plen;
} dl;

const char *
dp_log_level_name(int level)
{
	return level >= 0 && level < 8 ? level_names[level] : "info";
}

/* The subsystem already leading MSG ("sipshard-dp: ..."): its length, else 0. */
static size_t
leading_subsystem(const char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 40; i++) {
		char ch = msg[i];

		if (ch == ':')
			return i > 0 && i + 1 < len && msg[i + 1] == ' ' ? i : 0;
		if (ch == ' ' || ch == '\n')
			return 0;
	}
	return 0;
}

/* The subsystem of a message without a leading "name: ": its log type's
 * (EAL's and the PMDs' static types by name; others "dpdk"). */
static const char *
type_subsystem(int type)
{
	switch (type) {
	case RTE_LOGTYPE_EAL: return "EAL";
	case RTE_LOGTYPE_PMD: return "PMD";
	case RTE_LOGTYPE_MEMPOOL: return "MEMPOOL";
	case RTE_LOGTYPE_RING: return "RING";
	case RTE_LOGTYPE_MBUF: return "MBUF";
	default: return "dpdk";
	}
}

static void
emit(const char *msg, size_t len)
{
	int lvl = rte_log_cur_msg_loglevel() - 1;   /* RTE_LOG_ERR 4 -> LOG_ERR 3 */
	size_t sub = leading_subsystem(msg, len);
	char line[DP_LOG_LINE + 128], pre[8] = "";
	const char *sep = sub != 0 ? "" : ": ";
	const char *name = sub != 0 ? "" : type_subsystem(rte_log_cur_msg_logtype());
	int n;

	if (lvl < 0 || lvl > 7)
		lvl = LOG_INFO;
	if (dl.target == CFG_LOG_SYSLOG) {
		syslog(lvl, "%s %s%s%.*s", level_names[lvl], name, sep, (int)len, msg);
		return;
	}
	if (dl.journal)
		snprintf(pre, sizeof(pre), "<%d>", lvl);
	n = snprintf(line, sizeof(line), "%s%s %s%s%.*s\n", pre, level_names[lvl], name, sep,
		     (int)len, msg);
	if (n > 0) {
		size_t w = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;

		line[w - 1] = '\n';
		if (write(STDERR_FILENO, line, w) < 0)
			return;   /* nowhere to report it */
	}
}

/* fopencookie writer: split into lines, each emitted with the current message's
 * level and type (rte_log writes one message per vfprintf). */
static ssize_t
log_write(void *cookie, const char *buf, size_t size)
{
	size_t i, start = 0;

	(void)cookie;
	for (i = 0; i < size; i++) {
		if (buf[i] != '\n')
			continue;
		if (dl.plen > 0) {
			size_t take = i - start < sizeof(dl.pending) - dl.plen ? i - start :
				      sizeof(dl.pending) - dl.plen;

			memcpy(dl.pending + dl.plen, buf + start, take);
			emit(dl.pending, dl.plen + take);
			dl.plen = 0;
		} else if (i > start) {
			emit(buf + start, i - start);
		}
		start = i + 1;
	}
	if (start < size) {   /* a line continued by the next write */
		size_t take = size - start < sizeof(dl.pending) - dl.plen ? size - start :
			      sizeof(dl.pending) - dl.plen;

		memcpy(dl.pending + dl.plen, buf + start, take);
		dl.plen += take;
	}
	return (ssize_t)size;
}

/* JOURNAL_STREAM is "DEV:INO" of the journal stream systemd gave us. */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* ---- main thread, before rte_eal_init ---- */

int
dp_log_init(const struct cfg_log *log, const char *program)
{
	static const cookie_io_functions_t io = { .write = log_write };
	FILE *f;
	uint32_t rte_level = (uint32_t)log->level + 1;   /* LOG_ERR 3 -> RTE_LOG_ERR 4 */

	dl.target = log->target;
	dl.journal = log->target == CFG_LOG_STDERR && stderr_is_journal();
	if (log->target == CFG_LOG_SYSLOG)
		openlog(program, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	f = fopencookie(NULL, "w", io);
	if (f == NULL)
		return -errno;
	setvbuf(f, NULL, _IONBF, 0);
	rte_log_set_global_level(rte_level);
	rte_log_set_level_pattern("sipshard.*", rte_level);
	return rte_openlog_stream(f);
}
