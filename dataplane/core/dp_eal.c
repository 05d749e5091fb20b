/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL helpers shared by the DPDK programs (sipshard-dp, sipshard-gen). See dp_eal.h. */
#include <stdio.h>
#include <string.h>

#include "dataplane/core/dp_eal.h"

/* ---- main thread, before rte_eal_init ---- */

bool
dp_eal_hugepages_usable(void)
{
	char line[256];
	long free_pages = 0;
	bool mounted = false;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
				break;
		fclose(f);
	}
	f = fopen("/proc/mounts", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, " hugetlbfs ") != NULL)
				mounted = true;
		fclose(f);
	}
	return free_pages > 0 && mounted;
}

/* ---- main thread ---- */

void
dp_eal_device_name(const char *dev, char *out, size_t len)
{
	size_t n = strcspn(dev, ",");

	if (n >= len)
		n = len - 1;
	memcpy(out, dev, n);
	out[n] = '\0';
}
