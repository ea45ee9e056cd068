/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fallbacks for what older C library and kernel headers lack (MADV_*,
 * UFFD_FEATURE_*), and ARRAY_SIZE, defined once for every module and
 * program.  A leaf: it includes only the system headers that would define
 * them, so that each fallback is checked after them.
 */
#ifndef UFFDC_COMPAT_H
#define UFFDC_COMPAT_H

#include <linux/userfaultfd.h>
#include <sys/mman.h>

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Linux 5.4 */
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/* Linux 5.14 */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif

/* Linux 6.1 */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* Linux 5.19; 0: never asked for, never reported as granted */
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM	0
#endif

#endif
