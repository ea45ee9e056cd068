/* SPDX-License-Identifier: GPL-2.0 */
/*
 * THP sysfs settings: save once in the top-level process, change freely in
 * tests, and put everything back on every way out: normal exit, SIGINT,
 * SIGTERM, and a harness timeout that kills the test child (the parent
 * still restores at its exit).
 */
#ifndef UFFDC_THP_SETTINGS_H
#define UFFDC_THP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

/* Is THP sysfs present at all (CONFIG_TRANSPARENT_HUGEPAGE)? */
bool thp_available(void);

/* PMD size from sysfs, 0 when unknown. */
size_t thp_pmd_size(void);

/*
 * Save every knob this suite may touch and install the restore guard.
 * Returns 0, or -errno when sysfs cannot be read.
 */
int thp_save(void);

/* Put every saved knob back; async-signal-safe.  Idempotent. */
void thp_restore(void);

/* Write one knob, path relative to THP_SYSFS.  Returns 0 or -errno. */
int thp_write(const char *knob, const char *value);

/*
 * Read one knob into buf; for "a [b] c" choices, just the selected word.
 * Returns 0 or -errno.
 */
int thp_read(const char *knob, char *buf, size_t len);

/* Write each "knob", "value" pair; returns the first error. */
int thp_apply(const char * const *pairs);
/* hugepages-<PMD>kB/{enabled,shmem_enabled} = inherit, where they exist */
void thp_pmd_follow_top(void);

#endif
