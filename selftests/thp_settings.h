/* SPDX-License-Identifier: GPL-2.0 */
/*
 * THP sysfs settings: saved once by the process that owns them, changed
 * freely by tests, and put back on every way out.
 *
 * Ownership, across processes and runs (one run at a time):
 * - thp_save() in a process that does not own them yet takes an exclusive
 *   flock on THP_STATE_DIR/thp.lock, waiting up to a bound with a message
 *   while another run holds it.  Holding the lock means every earlier
 *   owner is gone, so a state file left behind (an owner killed by SIGKILL
 *   or the OOM killer) is restored first; only then are the values saved,
 *   to memory and to THP_STATE_DIR/thp.state, before the first write.
 * - The owner restores at exit(), on every fatal catchable signal (SIGPIPE
 *   included) and removes the state file.  A supervisor process, detached
 *   from the owner, waits for the lock: when the owner's whole process
 *   tree is gone without restoring, it restores from the state file.  A
 *   later run, or scripts/thp-restore, does the same if the supervisor
 *   was killed too.
 * - Children forked from an owner's main thread die with their parent
 *   (PR_SET_PDEATHSIG): a test child never outlives a killed run.
 * - A forked child that calls thp_save() again saves a nested snapshot in
 *   memory and restores it at its own exit; the run's state file and lock
 *   stay the top-level owner's.
 *
 * Tests set knobs through the typed settings of thp_knobs.h, pushed and
 * popped on top of this; thp_write() is for single knobs.
 */
#ifndef UFFDC_THP_SETTINGS_H
#define UFFDC_THP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"
#define THP_STATE_DIR "/run/uffd-collapse-suite"

/* Is THP sysfs present at all (CONFIG_TRANSPARENT_HUGEPAGE)? */
bool thp_available(void);

/* PMD size from sysfs, 0 when unknown. */
size_t thp_pmd_size(void);

/*
 * The PMD size's order (hugepages-<page size << order>kB), the index of
 * struct thp_settings' per-size entries for it; -ENOENT when unknown.
 */
int thp_pmd_order(void);

/*
 * Take ownership (lock, recovery, state file, supervisor) and save every
 * knob this suite may touch; install the restore guards.  Waits at most
 * lock_wait_s seconds for another run.  Returns 0, -ENOENT without THP
 * sysfs, -EBUSY when another run kept the lock (see thp_lock_holder()),
 * or another -errno (e.g. -EACCES: /run not writable).
 */
int thp_save_wait(unsigned int lock_wait_s);
/* thp_save_wait() with the default bound, THP_LOCK_WAIT_S. */
int thp_save(void);
#define THP_LOCK_WAIT_S 1800

/* The pid recorded by the run holding the lock, 0 when unknown. */
long thp_lock_holder(void);

/* Does this process belong to the run that owns the settings? */
bool thp_owned(void);

/* Put every saved knob back; async-signal-safe.  Idempotent. */
void thp_restore(void);

/* Write one knob, path relative to THP_SYSFS.  Returns 0 or -errno. */
int thp_write(const char *knob, const char *value);

/*
 * Read one knob into buf; for "a [b] c" choices, just the selected word.
 * Returns 0 or -errno.
 */
int thp_read(const char *knob, char *buf, size_t len);

#endif
