// SPDX-License-Identifier: GPL-2.0
/*
 * Program entry: capabilities, then ownership of the THP settings.  See
 * suite.h.  Never exits: it returns what the program should do.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"
#include "thp_settings.h"
#include "util.h"

/* The lock wait from $UFFDC_LOCK_WAIT, or the default. */
static uint64_t lock_wait_s(void)
{
	const char *env = getenv("UFFDC_LOCK_WAIT");
	uint64_t v;

	return env && !parse_u64(env, 0, 86400, &v) ? v : THP_LOCK_WAIT_S;
}

const char *suite_env_check(void)
{
	static char why[120];
	const char *env = getenv("UFFDC_LOCK_WAIT");
	uint64_t v;
	int ret = env_seed(&v);

	if (ret && ret != -ENOENT) {
		snprintf(why, sizeof(why), "UFFDC_SEED=%.40s: not a seed (decimal or 0x hex, below 2^64)",
			 getenv("UFFDC_SEED"));
		return why;
	}
	if (env && parse_u64(env, 0, 86400, &v)) {
		snprintf(why, sizeof(why), "UFFDC_LOCK_WAIT=%.40s: not a number of seconds (0-86400)",
			 env);
		return why;
	}
	env = getenv("UFFDC_STRICT");
	if (env && *env && parse_u64(env, 0, 1, &v)) {
		snprintf(why, sizeof(why), "UFFDC_STRICT=%.40s: not 0 or 1", env);
		return why;
	}
	return NULL;
}

bool suite_strict(void)
{
	const char *env = getenv("UFFDC_STRICT");
	uint64_t v;

	return env && !parse_u64(env, 0, 1, &v) && v;
}

const char *suite_claim(int *code)
{
	static char why[160];
	uint64_t wait_s = lock_wait_s();
	const char *bad = suite_env_check();
	int fd, ret;

	if (bad) {
		*code = SUITE_EXIT_USAGE;
		return bad;
	}
	*code = SUITE_EXIT_SKIP;
	if (!thp_available())
		return "no THP sysfs: kernel built without CONFIG_TRANSPARENT_HUGEPAGE";
	if (geteuid() != 0 || access(THP_SYSFS "/shmem_enabled", W_OK))
		return "needs root: THP sysfs settings are not writable";
	fd = uffd_open(UFFD_VIA_SYSCALL, 0, NULL);
	if (fd < 0) {
		snprintf(why, sizeof(why), "no userfaultfd: %s%s", strerror(-fd),
			 fd == -ENOSYS ? " (kernel built without CONFIG_USERFAULTFD)" : "");
		return why;
	}
	close(fd);
	ret = thp_save_wait(wait_s);
	if (ret == -EBUSY) {
		snprintf(why, sizeof(why), "another run (pid %ld) held the THP settings for %llu s (UFFDC_LOCK_WAIT)",
			 thp_lock_holder(), (unsigned long long)wait_s);
		return why;
	}
	if (ret) {
		snprintf(why, sizeof(why), "cannot save THP settings under %s: %s",
			 THP_STATE_DIR, strerror(-ret));
		return why;
	}
	return NULL;
}

int suite_prepare(const char *prog)
{
	int code;
	const char *why = suite_claim(&code);

	if (!why)
		return 0;
	if (code == SUITE_EXIT_SKIP)
		printf("TAP version 13\n1..0 # SKIP %s\n", why);
	else
		fprintf(stderr, "%s: %s\n", prog, why);
	fflush(stdout);
	return code;
}
