/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small utilities every module and program shares, each defined here
 * once: strict number parsing, the seed from the environment, the
 * monotonic clock (nanoseconds, and as a timespec for the waits that take
 * one), whether the system swaps and what of a file is in swap, and
 * opening a userfaultfd.
 * A leaf: it includes nothing of the suite's, so the fuzzer's reproducers
 * can embed it whole.
 *
 * Number parsing: one parser for every program, so that every number is
 * read the same way: the whole string, nothing before it or after it, no
 * sign, no "nan" or "inf", and a range the caller states.  The functions
 * return 0, or -EINVAL when the string is not a number of the kind asked,
 * or -ERANGE when it is one outside [min, max]; *out is written only on
 * success.  They print nothing and never exit: the caller says what was
 * wrong.
 */
#ifndef UFFDC_UTIL_H
#define UFFDC_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Decimal digits, or "0x" and hex digits. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Decimal notation only ([-]digits[.digits][e[+-]digits]), finite. */
int parse_double(const char *s, double min, double max, double *out);

/* A seed: any 64-bit value, decimal or 0x hex (as the programs print it). */
int parse_seed(const char *s, uint64_t *out);

/*
 * $UFFDC_SEED: 0 and the seed, -ENOENT when it is unset or empty, or
 * -EINVAL/-ERANGE when it is not a seed (parse_seed()).
 */
int env_seed(uint64_t *seed);

#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC	1000000000LL
#endif

/* CLOCK_MONOTONIC in nanoseconds: every deadline and duration. */
int64_t mono_ns(void);

/* A mono_ns() time (0 if negative) for the waits that take CLOCK_MONOTONIC. */
struct timespec ns_to_timespec(int64_t ns);

/* Does the system have swap?  mincore's HOLE is only evidence without. */
bool system_has_swap(void);

/*
 * Pages of the shmem file fd in [first, first + n) that are swapped out:
 * swap entries in its page cache, whether or not the page still sits in
 * the swap cache (mincore() calls such a page resident), from
 * cachestat(2)'s nr_evicted.  Returns the count, or -errno: -ENOSYS
 * before Linux 6.5.
 */
long shmem_swapped_pages(int fd, uint64_t first, uint64_t n);

enum uffd_how {
	UFFD_VIA_SYSCALL,
	UFFD_VIA_DEV,		/* /dev/userfaultfd, USERFAULTFD_IOC_NEW */
};

/*
 * Open a userfaultfd (O_CLOEXEC | O_NONBLOCK) and negotiate: the features
 * wanted that the kernel has are enabled; *got (may be NULL) says which.
 * Returns the fd or -errno.
 */
int uffd_open(enum uffd_how how, uint64_t want, uint64_t *got);

#endif
