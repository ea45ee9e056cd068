/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The entry every suite program that changes THP settings goes through
 * before it runs anything: it checks what the program needs (root, THP
 * sysfs, userfaultfd) and takes ownership of the settings (thp_save(): one
 * run at a time, saved where a later run can restore them).  A missing
 * capability is a skip with its reason, never a crash or a failure.
 */
#ifndef UFFDC_SUITE_H
#define UFFDC_SUITE_H

#include <stdbool.h>

/* Exit codes, as kselftest's. */
#define SUITE_EXIT_USAGE 2
#define SUITE_EXIT_SKIP 4

/*
 * The environment the programs read ($UFFDC_SEED, $UFFDC_LOCK_WAIT,
 * $UFFDC_STRICT): NULL when it is valid, else what is wrong, for a usage
 * error.
 */
const char *suite_env_check(void);

/*
 * $UFFDC_STRICT=1: known contract gaps (violation_known_gap(): fill-on-
 * alloc, seek-flicker) fail like any other finding instead of being
 * reported as expected failures (XFAIL).
 */
bool suite_strict(void);

/*
 * For a test of a program that includes kselftest_harness.h: kselftest
 * XFAIL with its reason, as SKIP() does for a skip: the test met a known
 * contract gap, which is fenced.
 */
#define XFAIL(statement, fmt, ...) do { \
	snprintf(_metadata->results->reason, \
		 sizeof(_metadata->results->reason), fmt, ##__VA_ARGS__); \
	TH_LOG("XFAIL %s", _metadata->results->reason); \
	_metadata->exit_code = KSFT_XFAIL; \
	statement; \
} while (0)

/*
 * NULL when this process may run the suite, THP settings owned and saved;
 * else why not, with *code SUITE_EXIT_SKIP (a capability is missing) or
 * SUITE_EXIT_USAGE (a bad $UFFDC_LOCK_WAIT or $UFFDC_SEED).
 */
const char *suite_claim(int *code);

/*
 * suite_claim() for a kselftest program's main(): 0 when it may go on;
 * else the exit code, after printing a KTAP plan that skips everything
 * ("1..0 # SKIP why") or a one-line error on stderr.
 */
int suite_prepare(const char *prog);

#endif
