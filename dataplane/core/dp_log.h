/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging of the sipshard programs (sipshard-dp, sipshard-cp): DPDK's rte_log,
 * with every message written as one line "LEVEL SUBSYSTEM: message" to stderr or
 * to syslog, as the config's `log: {level, target}` says.
 *
 * dp_log_init() runs on the main thread before rte_eal_init(), so the EAL's own
 * messages take the same path. It sets the global level and that of every
 * sipshard.* log type (an explicit --log-level in dataplane.eal still wins: the
 * EAL parses it later), and installs a stream (fopencookie) whose writer takes
 * the level and log type of the message being written (rte_log_cur_msg_*). The
 * SUBSYSTEM is the message's own leading "name: " (sipshard-dp, sipshard-cp,
 * sipshard.port, EAL, ...) or else the log type's name. Under systemd, when
 * stderr is the journal (JOURNAL_STREAM names it), each line also starts with
 * the "<N>" priority prefix that journald parses.
 *
 * Threads: rte_log may be called from any thread; lines are written whole (one
 * write per line on stderr, one syslog() call). The fast path never logs.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_LOG_H
#define SIPSHARD_DATAPLANE_CORE_DP_LOG_H

#include "config/cfg_types.h"

/* Route rte_log as LOG says; PROGRAM is the syslog ident. 0 or -errno. */
int dp_log_init(const struct cfg_log *log, const char *program);

/* The name of a level ("notice"), as written in the lines and the config. */
const char *dp_log_level_name(int syslog_level);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_LOG_H */
