/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the configuration loader: any bytes must give either a
 * loaded config or one "NAME:LINE:COLUMN: message" (or "NAME: message") error,
 * never a crash, a leak or undefined behaviour.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg c;
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = cfg_load_buf("fuzz", (const char *)data, size, &c, err, sizeof(err));
	if (rc == 0)
		return 0;
	/* an error always says where: NUL-terminated, prefixed with the name */
	if (rc != -EINVAL && rc != -ENOMEM)
		__builtin_trap();
	if (memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "fuzz:", 5) != 0)
		__builtin_trap();
	return 0;
}
