/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed THP settings: every knob of /sys/kernel/mm/transparent_hugepage
 * that the suite may change, as one struct, read and written whole, and
 * a small stack to push a test's settings on and pop them off.
 *
 * The names and the layout are those of tools/testing/selftests/mm's
 * thp_settings.h (a subset of its struct: no read_ahead_kb), so that code
 * written against this header builds against mm's: scripts/export-upstream
 * replaces this header by mm's and drops thp_knobs.c.  Keep it a mirror:
 * anything mm's header does not have belongs elsewhere.  The differences
 * are the error handling (0 or -errno here, where mm's exit), that
 * writes here touch only the knobs that exist and differ, and the pop:
 * here it puts back what its push found, even the state from before the
 * first push; mm's writes the push below it and exits when there is none.
 * Code meant for both pushes its base settings once and never pops them,
 * as mm's khugepaged.c does.
 *
 * This is layered on the ownership of thp_settings.h: a push needs this
 * run to own the settings (thp_save()), and whatever the stack holds, what
 * thp_restore() writes back on every way out is the state saved before the
 * run's first write.
 */
#ifndef UFFDC_THP_KNOBS_H
#define UFFDC_THP_KNOBS_H

#include <stdbool.h>

/* "enabled", and hugepages-<size>kB/enabled (where "inherit" is valid). */
enum thp_enabled {
	THP_NEVER,
	THP_ALWAYS,
	THP_INHERIT,
	THP_MADVISE,
};

enum thp_defrag {
	THP_DEFRAG_ALWAYS,
	THP_DEFRAG_DEFER,
	THP_DEFRAG_DEFER_MADVISE,
	THP_DEFRAG_MADVISE,
	THP_DEFRAG_NEVER,
};

/* "shmem_enabled" (deny, force) and hugepages-<size>kB/shmem_enabled (inherit). */
enum shmem_enabled {
	SHMEM_NEVER,
	SHMEM_ALWAYS,
	SHMEM_WITHIN_SIZE,
	SHMEM_ADVISE,
	SHMEM_INHERIT,
	SHMEM_DENY,
	SHMEM_FORCE,
};

/* Per-size entries are indexed by order: hugepages-<page size << order>kB. */
#define NR_ORDERS 20

struct hugepages_settings {
	enum thp_enabled enabled;
};

struct khugepaged_settings {
	bool defrag;
	unsigned int alloc_sleep_millisecs;
	unsigned int scan_sleep_millisecs;
	unsigned int max_ptes_none;
	unsigned int max_ptes_swap;
	unsigned int max_ptes_shared;
	unsigned long pages_to_scan;
};

struct shmem_hugepages_settings {
	enum shmem_enabled enabled;
};

/*
 * A knob this kernel does not have (6.1 has no hugepages-<size>kB/, no
 * size has both files) reads as never or 0 and is never written.
 */
struct thp_settings {
	enum thp_enabled thp_enabled;
	enum thp_defrag thp_defrag;
	enum shmem_enabled shmem_enabled;
	bool use_zero_page;
	struct khugepaged_settings khugepaged;
	struct hugepages_settings hugepages[NR_ORDERS];
	struct shmem_hugepages_settings shmem_hugepages[NR_ORDERS];
};

/* How many pushes the stack holds. */
#define THP_SETTINGS_DEPTH 8

/*
 * Read every knob.  Returns 0, -ENOENT without THP sysfs, -EINVAL for a
 * value this suite does not know, or another -errno.
 */
int thp_read_settings(struct thp_settings *settings);

/*
 * Write each knob that exists and differs from what sysfs holds, and no
 * other.  Every value is checked first: -EINVAL writes nothing.  Returns
 * the number of knobs written, or -errno (knobs before the failing one are
 * written).
 */
int thp_write_settings(const struct thp_settings *settings);

/*
 * Save what sysfs holds, then write settings over it.  Returns 0; -ENOLCK
 * when this run does not own the settings (thp_save() first); -ENOSPC
 * when THP_SETTINGS_DEPTH pushes are on the stack; or the -errno of the
 * read or the write, after putting back what a partial write changed.
 * Nothing is pushed on an error.
 */
int thp_push_settings(const struct thp_settings *settings);

/*
 * Put back exactly what the last push found, and drop it.  Returns 0,
 * -ENOENT with nothing pushed, or the write's -errno (dropped anyway).
 */
int thp_pop_settings(void);

/*
 * The settings of the last push, to copy, change and push, or NULL with
 * nothing pushed.  Written to sysfs by thp_write_settings() only.
 */
struct thp_settings *thp_current_settings(void);

/*
 * The orders that have a hugepages-<size>kB/shmem_enabled knob (mTHP for
 * shmem, 6.11 and later; the PMD order among them), as a bit mask; 0 on
 * kernels without per-size knobs.
 */
unsigned long thp_shmem_supported_orders(void);

#endif
