/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL helpers shared by the DPDK programs (sipshard-dp, sipshard-gen). Huge
 * pages are usable when some are free and hugetlbfs is mounted; otherwise the
 * programs add --no-huge themselves (scripts/deps.sh reserves them when it can),
 * and say so. A configured device string ("net_af_packet0,iface=veth0,...") names
 * its ethdev by the part before the first comma.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_EAL_H
#define SIPSHARD_DATAPLANE_CORE_DP_EAL_H

#include <stdbool.h>
#include <stddef.h>

bool dp_eal_hugepages_usable(void);

/* The ethdev name of a configured device string into out[len] (len >= 1):
 * the text before the first comma, cut to len - 1 octets. */
void dp_eal_device_name(const char *dev, char *out, size_t len);

#endif /* SIPSHARD_DATAPLANE_CORE_DP_EAL_H */
