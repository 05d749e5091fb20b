/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL helpers shared by the DPDK programs. Huge pages are usable when some are
 * free and hugetlbfs is mounted; otherwise the programs add --no-huge themselves
 * (scripts/deps.sh reserves them when it can), and say so.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_EAL_H
#define SIPSHARD_DATAPLANE_CORE_DP_EAL_H

#include <stdbool.h>

bool dp_eal_hugepages_usable(void);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_EAL_H */
