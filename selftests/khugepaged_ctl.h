/* SPDX-License-Identifier: GPL-2.0 */
/* khugepaged control: fast scanning, and proof that it scanned. */
#ifndef UFFDC_KHUGEPAGED_CTL_H
#define UFFDC_KHUGEPAGED_CTL_H
#include <stdbool.h>

struct thp_settings;

/*
 * Scan often and far, collapse ranges with any number of holes: the
 * khugepaged part of settings, to push (thp_knobs.h).
 */
void khugepaged_fast_settings(struct thp_settings *settings);

/*
 * The same, written to sysfs now without a push.  A changed
 * scan_sleep_millisecs also wakes khugepaged.  Returns 0 or -errno.
 */
int khugepaged_fast(void);

/*
 * Put this mm on khugepaged's scan list.  MADV_HUGEPAGE on a shmem VMA
 * alone does not do it on every kernel (6.18 was seen not to), while a
 * touched MADV_HUGEPAGE anonymous region always does, and khugepaged then
 * scans every eligible VMA of the mm.  Returns 0 or -errno.
 */
int khugepaged_enlist(void);

/* A khugepaged counter (full_scans, pages_collapsed), or -errno. */
long khugepaged_counter(const char *name);

/*
 * Wake khugepaged now: a write of scan_sleep_millisecs resets its sleep
 * and wakes it (6.1 to 6.18).  With a long sleep it then scans when the
 * caller says, one full scan per wakeup when every mm on its list fits in
 * pages_to_scan.  scan_sleep_ms is what is written (the sleep that
 * follows).  Returns 0 or -errno.
 */
int khugepaged_kick(unsigned int scan_sleep_ms);

/*
 * A /proc/vmstat counter (thp_collapse_alloc: huge pages allocated for a
 * collapse, so collapses that got past the scan of their range), or
 * -errno.
 */
long thp_vmstat(const char *name);

/*
 * A per-size counter of the folio size page_size << order
 * (hugepages-<size>kB/stats/<name>, 6.10 and later: shmem_alloc counts
 * shmem folios allocated at that size), or -errno (-ENOENT: no such
 * counter on this kernel).
 */
long thp_size_stat(unsigned int order, const char *name);

/*
 * Does this kernel have a shmem policy for the folio size page_size <<
 * order (hugepages-<size>kB/shmem_enabled, 6.11 and later)?
 */
bool thp_shmem_size_offered(unsigned int order);

/*
 * Set that shmem policy ("always", "never", ...) outside the settings
 * stack (the stack's pop restores it); 0 or -errno.
 */
int thp_shmem_size_set(unsigned int order, const char *policy);

/*
 * Wait until full_scans has grown by n since `since`, polling, at most
 * timeout_ms.  Every mm on khugepaged's list has then been scanned whole
 * at least n - 1 times.  Returns 0, or -ETIMEDOUT.
 */
int khugepaged_wait_scans(long since, long n, unsigned int timeout_ms);

#endif
