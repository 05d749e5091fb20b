/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a loaded configuration needs of the machine it runs on.
 *
 * cfg_load() checks a file against the schema only, so a config stays portable;
 * cfg_machine_check() then looks at this machine: the lcores of dataplane.eal
 * (-l, -c, --lcores) against the CPUs this process may run on and against
 * dataplane.workers, the EAL options against the ones DPDK 22.11 knows (a bad
 * one would make rte_eal_init print its whole usage text), the ports
 * (net_af_packet interfaces in this network namespace, PCI devices in sysfs)
 * and the files (cluster.key_file). Each finding is one line
 * "FILE:LINE:COLUMN: [warning: ]message" (positions of the YAML node concerned,
 * found again in FILE), handed to a callback.
 *
 * Severity: an unknown EAL option is always an error. Lcores and ports that
 * this machine lacks are warnings under --check-config (the file may be meant
 * for another machine or namespace) and errors when the dataplane starts
 * (CFG_MACHINE_START), so it stops with exit status 2 before the EAL runs.
 * Files are warnings (only sipshard-cp reads the key, and says so itself).
 */
#ifndef SIPSHARD_CONFIG_CFG_MACHINE_H
#define SIPSHARD_CONFIG_CFG_MACHINE_H

#include <stdbool.h>
#include "cfg_types.h"

#define CFG_MACHINE_START  0x01     /* the dataplane is about to start: lacks are errors */

#define CFG_MACHINE_CPUS   1024     /* CPU ids looked at */

/* One finding: LINE is the whole message ("FILE:L:C: warning: ..."). */
typedef void cfg_diag_fn(bool error, const char *line, void *arg);

/* The CPUs this process may run on, as a bitmap of CFG_MACHINE_CPUS bits
 * (tests pass their own to cfg_machine_check_cpus). */
struct cfg_cpus {
	uint64_t bits[CFG_MACHINE_CPUS / 64];
};

/* Check *C (loaded from C->path) against this machine; EXTRA are the EAL
 * arguments of the command line, appended after the file's. Returns the number
 * of errors reported through FN. */
int cfg_machine_check(const struct cfg *c, int extra_argc, char *const *extra,
		      unsigned int flags, cfg_diag_fn *fn, void *arg);

/* The same with the CPU set given (NULL: sched_getaffinity). */
int cfg_machine_check_cpus(const struct cfg *c, int extra_argc, char *const *extra,
			   unsigned int flags, const struct cfg_cpus *cpus,
			   cfg_diag_fn *fn, void *arg);

/* Position (1-based) of the node of the dotted KEY ("dataplane.eal") in FILE,
 * item ITEM of it when it is a list and ITEM >= 0. The nearest existing parent
 * when KEY is absent; 1:1 when FILE cannot be read. */
void cfg_key_position(const char *file, const char *key, int item,
		      unsigned int *line, unsigned int *col);

#endif /* SIPSHARD_CONFIG_CFG_MACHINE_H */
