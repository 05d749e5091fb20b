/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the machine checks (config/cfg_machine.c) on a fake CPU set
 * {0, 1}: the lcore forms of dataplane.eal (-l, -c, --lcores with @ and groups,
 * the command line's after the file's), lcores against dataplane.workers,
 * unknown EAL options, the severity under --check-config and at start, and the
 * FILE:LINE:COLUMN of each finding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "config/cfg_machine.h"

static struct cfg tc;
static char tfile[64];
static char lines[8][512];
static int n_lines, n_errors;

static void
collect(bool error, const char *line, void *arg)
{
	(void)arg;
	if (n_lines < 8)
		snprintf(lines[n_lines++], sizeof(lines[0]), "%s", line);
	n_errors += error;
}

/* Load a config whose dataplane has EAL (a YAML flow list) and WORKERS, then
 * check it on CPUs {0, 1}; returns the errors. */
static int
run(const char *eal, unsigned int workers, unsigned int flags, int extra_argc, char **extra)
{
	struct cfg_cpus cpus = { { 0x3 } };
	char err[512];
	FILE *f;
	int fd, rc;

	snprintf(tfile, sizeof(tfile), "/tmp/test_cfg_machine.XXXXXX");
	fd = mkstemp(tfile);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "node: {id: 1}\ndataplane:\n  eal: %s\n  workers: %u\n"
		   "  ports: [{device: net_null0, ipv4: 198.18.0.1/24}]\n", eal, workers);
	fclose(f);
	assert_int_equal(cfg_load(tfile, &tc, err, sizeof(err)), 0);
	n_lines = 0;
	n_errors = 0;
	rc = cfg_machine_check_cpus(&tc, extra_argc, extra, flags, &cpus, collect, NULL);
	assert_int_equal(rc, n_errors);
	unlink(tfile);
	return n_errors;
}

static bool
has(const char *needle)
{
	int i;

	for (i = 0; i < n_lines; i++)
		if (strstr(lines[i], needle) != NULL)
			return true;
	return false;
}

static void
test_lcores_fit(void **state)
{
	(void)state;
	assert_int_equal(run("[\"-l\", \"0-1\"]", 1, CFG_MACHINE_START, 0, NULL), 0);
	assert_int_equal(n_lines, 0);
	assert_int_equal(run("[\"-l0,1\"]", 1, CFG_MACHINE_START, 0, NULL), 0);
	assert_int_equal(n_lines, 0);
	assert_int_equal(run("[\"-c\", \"0x3\"]", 1, CFG_MACHINE_START, 0, NULL), 0);
	assert_int_equal(n_lines, 0);
	/* three lcores on two CPUs, as the steering tests run them */
	assert_int_equal(run("[\"--lcores\", \"0@0,1@1,2@1\"]", 2, CFG_MACHINE_START, 0, NULL), 0);
	assert_int_equal(n_lines, 0);
	assert_int_equal(run("[\"--lcores=(0-2)@(0-1)\"]", 2, CFG_MACHINE_START, 0, NULL), 0);
	assert_int_equal(n_lines, 0);
	/* no lcore option: the EAL takes the 2 CPUs, enough for 1 worker */
	assert_int_equal(run("[\"--no-pci\"]", 1, CFG_MACHINE_START, 0, NULL), 0);
	assert_int_equal(n_lines, 0);
}

static void
test_lcores_beyond(void **state)
{
	(void)state;
	/* --check-config: a warning at the -l value (line 3, column 15) */
	assert_int_equal(run("[\"-l\", \"0-2\"]", 2, 0, 0, NULL), 0);
	assert_int_equal(n_lines, 1);
	assert_true(has(":3:15: warning: dataplane.eal: 0-2: CPU 2 is not available"));
	assert_true(has("(this machine allows CPUs 0-1)"));
	/* starting: the same is an error */
	assert_int_equal(run("[\"-l\", \"0-2\"]", 2, CFG_MACHINE_START, 0, NULL), 1);
	assert_true(has(":3:15: dataplane.eal: 0-2: CPU 2 is not available"));
	assert_int_equal(run("[\"-c\", \"0xc\"]", 1, CFG_MACHINE_START, 0, NULL), 1);
	assert_true(has("CPU 2-3 are not available"));
	assert_int_equal(run("[\"--lcores\", \"0@0,1@5\"]", 1, CFG_MACHINE_START, 0, NULL), 1);
	assert_true(has("CPU 5 is not available"));
	/* no lcore option and more workers than CPUs */
	assert_int_equal(run("[]", 4, 0, 0, NULL), 0);
	assert_true(has(":4:12: warning: dataplane.workers: 4 worker(s) need 5 lcores"));
}

static void
test_lcores_vs_workers(void **state)
{
	(void)state;
	/* an error in both modes: no machine has enough lcores in that list */
	assert_int_equal(run("[\"-l\", \"0-1\"]", 2, 0, 0, NULL), 1);
	assert_true(has(":4:12: dataplane.workers: 2 worker(s) need 3 lcores (one main + one per worker); dataplane.eal '0-1' gives 2"));
	assert_int_equal(run("[\"-l\", \"x\"]", 1, 0, 0, NULL), 1);
	assert_true(has("'x' is not a list of lcores"));
}

static void
test_command_line(void **state)
{
	char *extra[] = { "-l", "0" };
	char *extra_far[] = { "--lcores=0@0,1@9" };

	(void)state;
	/* the command line's -l comes after the file's: 1 lcore for 1 worker */
	assert_int_equal(run("[\"-l\", \"0-1\"]", 1, 0, 2, extra), 1);
	assert_true(has("the command line '0' gives 1"));
	assert_int_equal(run("[]", 1, CFG_MACHINE_START, 1, extra_far), 1);
	assert_true(has("command line: 0@0,1@9: CPU 9 is not available"));
}

static void
test_eal_options(void **state)
{
	(void)state;
	assert_int_equal(run("[\"--no-pci\", \"--log-level=*:info\", \"--vdev\", \"net_null1\", "
			     "\"--file-prefix=x\", \"-n\", \"4\", \"--huge-unlink\", \"--in-memory\"]",
			     1, CFG_MACHINE_START, 0, NULL), 0);
	assert_int_equal(n_lines, 0);
	assert_int_equal(run("[\"--no-pci\", \"--bogus\", \"-Z\", \"--help\"]", 1, 0, 0, NULL), 3);
	assert_true(has(":3:21: dataplane.eal[1]: unknown EAL option '--bogus' (DPDK 22.11)"));
	assert_true(has("dataplane.eal[2]: unknown EAL option '-Z'"));
	assert_true(has("dataplane.eal[3]: EAL option '--help' only prints the EAL usage: remove it"));
	/* an option's value is not an option */
	assert_int_equal(run("[\"--log-level\", \"-weird\", \"--no-pci\"]", 1, 0, 0, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lcores_fit),
		cmocka_unit_test(test_lcores_beyond),
		cmocka_unit_test(test_lcores_vs_workers),
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_eal_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
