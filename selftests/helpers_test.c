// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers on the running kernel: patterns decode, the ledger is shared
 * with forked actors, THP settings come back after SIGTERM, typed settings
 * push and pop exactly (asserted on sysfs itself), probes tell
 * holes from data, and the fault handler logs and resolves a real fault.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "actors.h"
#include "compat.h"
#include "content.h"
#include "ledger.h"
#include "oracle.h"
#include "probe.h"
#include "shmem_backing.h"
#include "stress_widen.h"
#include "suite.h"
#include "thp_knobs.h"
#include "thp_settings.h"
#include "uffd_util.h"
#include "util.h"

TEST(content_round_trip)
{
	size_t ps = getpagesize();
	char *a = malloc(ps);

	content_fill(a, ps, 12, 3);
	EXPECT_EQ(3, content_decode(a, ps, 12));
	/* The same bytes are not page 13's. */
	EXPECT_EQ(CONTENT_CORRUPT, content_decode(a, ps, 13));
	a[ps - 1] ^= 1;
	EXPECT_EQ(CONTENT_CORRUPT, content_decode(a, ps, 12));
	memset(a, 0, ps);
	EXPECT_EQ(CONTENT_ZERO, content_decode(a, ps, 12));
	a[100] = 1;
	EXPECT_EQ(CONTENT_CORRUPT, content_decode(a, ps, 12));
	free(a);
}

TEST(ledger_shared_with_children)
{
	struct ledger *l = ledger_create(4);
	struct ev e = { .kind = EV_PROBE };
	uint64_t a, b;
	pid_t pid;

	ASSERT_NE(NULL, l);
	a = ledger_stamp(l);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		e.t0 = ledger_stamp(l);
		ledger_add(l, &e);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	b = ledger_stamp(l);
	ASSERT_EQ(1, ledger_count(l));
	/* The child's stamp lies between the parent's two. */
	EXPECT_LT(a, l->ev[0].t0);
	EXPECT_GT(b, l->ev[0].t0);
	EXPECT_TRUE(ledger_add(l, &e));
	EXPECT_TRUE(ledger_add(l, &e));
	EXPECT_TRUE(ledger_add(l, &e));
	EXPECT_FALSE(ledger_add(l, &e));
	EXPECT_TRUE(ledger_overflowed(l));
	ledger_destroy(l);
}

/* A test killed by SIGTERM still puts sysfs back. */
/*
 * A reader during a round sees an event whole or not at all: a slot taken
 * and not yet written is unpublished, an operation recorded as it began
 * is in flight (t1 LEDGER_OPEN, value CONTENT_NONE) until it is closed,
 * and after a reset an old event in a slot is not taken for a new one;
 * what ledger_truncate() kept stays published.
 */
TEST(ledger_publishes_whole_events)
{
	struct ledger *l = ledger_create(8);
	struct ev e = { .kind = EV_TOUCH, .page = 3, .npages = 1, .value = 9 }, got;
	uint64_t slot, taken;

	ASSERT_NE(NULL, l);
	slot = ledger_open(l, &e);
	ASSERT_EQ(0, slot);
	ASSERT_TRUE(ledger_published(l, slot, &got));
	EXPECT_EQ(LEDGER_OPEN, got.t1);
	EXPECT_EQ(CONTENT_NONE, got.value);
	EXPECT_EQ(3, got.page);
	ledger_close(l, slot, 9, 0);
	ASSERT_TRUE(ledger_published(l, slot, &got));
	EXPECT_GT(got.t1, got.t0);
	EXPECT_EQ(9, got.value);
	taken = __atomic_fetch_add(&l->len, 1, __ATOMIC_SEQ_CST);
	EXPECT_FALSE(ledger_published(l, taken, &got));
	e.t0 = ledger_stamp(l);
	e.t1 = ledger_stamp(l);
	EXPECT_TRUE(ledger_add(l, &e));
	EXPECT_TRUE(ledger_published(l, 2, &got));
	/* The clock goes on; the old events are not this generation's. */
	ledger_truncate(l, 1);
	EXPECT_TRUE(ledger_published(l, 0, &got));
	EXPECT_FALSE(ledger_published(l, 1, &got));
	EXPECT_FALSE(ledger_published(l, 2, &got));
	ledger_reset(l);
	EXPECT_FALSE(ledger_published(l, 0, &got));
	EXPECT_GT(ledger_stamp(l), e.t1);
	ledger_destroy(l);
}

TEST(thp_settings_restored_on_sigterm)
{
	const char *knob = "khugepaged/pages_to_scan";
	char before[64], after[64];
	int status;
	pid_t pid;

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_EQ(0, thp_read(knob, before, sizeof(before)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char now[64];

		if (thp_save() || thp_write(knob, strcmp(before, "777") ? "777" : "778"))
			_exit(2);
		if (thp_read(knob, now, sizeof(now)) || !strcmp(now, before))
			_exit(3);
		raise(SIGTERM);
		_exit(4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGTERM, WTERMSIG(status));
	ASSERT_EQ(0, thp_read(knob, after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

/* "a [b] c" choices read back as the selected word. */
TEST(thp_read_selected_word)
{
	char buf[64];

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_EQ(0, thp_read("enabled", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strchr(buf, '['));
	EXPECT_TRUE(!strcmp(buf, "always") || !strcmp(buf, "madvise") ||
		    !strcmp(buf, "never"));
}

/* Every writable knob under THP sysfs, recursively: "path=value" lines. */
static void snap_dir(const char *dir, char *buf, size_t len, size_t *pos)
{
	char path[512], val[128];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	ssize_t n;
	int fd;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			snap_dir(path, buf, len, pos);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0200))
			continue;
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, val, sizeof(val) - 1);
		if (fd >= 0)
			close(fd);
		val[n < 0 ? 0 : n] = 0;
		if (*pos < len)
			*pos += snprintf(buf + *pos, len - *pos, "%s=%s", path, val);
	}
	if (d)
		closedir(d);
}

#define SNAP_LEN 16384

/* 0, or -ENOSPC when buf is too small.  readdir() order is stable on sysfs. */
static int thp_snapshot(char *buf)
{
	size_t pos = 0;

	buf[0] = 0;
	snap_dir(THP_SYSFS, buf, SNAP_LEN, &pos);
	return pos < SNAP_LEN ? 0 : -ENOSPC;
}

/* What sysfs shows for one knob, the selected word of a choice. */
static const char *knob_now(const char *knob)
{
	static char buf[8][64];
	static int next;
	char *b = buf[next++ % 8];

	if (thp_read(knob, b, sizeof(buf[0])))
		snprintf(b, sizeof(buf[0]), "(unreadable)");
	return b;
}

static bool knob_exists(const char *knob)
{
	char path[160];

	snprintf(path, sizeof(path), THP_SYSFS "/%s", knob);
	return access(path, F_OK) == 0;
}

/* The smallest anonymous mTHP size below the PMD size, or -1. */
static int mthp_order(char *knob, size_t len)
{
	int order, pmd = thp_pmd_order();

	for (order = 2; order < pmd; order++) {
		snprintf(knob, len, "hugepages-%lukB/enabled",
			 ((unsigned long)getpagesize() >> 10) << order);
		if (knob_exists(knob))
			return order;
	}
	return -1;
}

/*
 * A push writes what it is given and nothing else, and is visible in
 * sysfs; the pop puts back every writable knob exactly as it was.
 */
TEST(thp_push_changes_sysfs_pop_restores_exactly)
{
	char *before = malloc(SNAP_LEN), *during = malloc(SNAP_LEN);
	char *after = malloc(SNAP_LEN);
	int pmd = thp_pmd_order(), mthp;
	struct thp_settings s, got;
	bool madvise, advise;
	char pmd_shmem[64], mthp_knob[64];

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_TRUE(before && during && after);
	ASSERT_EQ(0, thp_snapshot(before));
	ASSERT_EQ(0, thp_read_settings(&s));
	EXPECT_EQ(NULL, thp_current_settings());
	EXPECT_EQ(strtoul(knob_now("khugepaged/pages_to_scan"), NULL, 10),
		  s.khugepaged.pages_to_scan);

	madvise = s.thp_enabled != THP_MADVISE;
	s.thp_enabled = madvise ? THP_MADVISE : THP_NEVER;
	advise = s.shmem_enabled != SHMEM_ADVISE;
	s.shmem_enabled = advise ? SHMEM_ADVISE : SHMEM_NEVER;
	s.use_zero_page = !s.use_zero_page;
	s.khugepaged.pages_to_scan = s.khugepaged.pages_to_scan == 4093 ? 4091 : 4093;
	s.khugepaged.scan_sleep_millisecs = 12345;
	s.khugepaged.max_ptes_swap = s.khugepaged.max_ptes_swap == 63 ? 62 : 63;
	snprintf(pmd_shmem, sizeof(pmd_shmem), "hugepages-%zukB/shmem_enabled",
		 thp_pmd_size() >> 10);
	if (pmd >= 0 && s.shmem_hugepages[pmd].enabled == SHMEM_INHERIT)
		s.shmem_hugepages[pmd].enabled = SHMEM_NEVER;
	else if (pmd >= 0)
		s.shmem_hugepages[pmd].enabled = SHMEM_INHERIT;
	mthp = mthp_order(mthp_knob, sizeof(mthp_knob));
	if (mthp >= 0)
		s.hugepages[mthp].enabled =
			s.hugepages[mthp].enabled == THP_NEVER ? THP_MADVISE : THP_NEVER;

	ASSERT_EQ(0, thp_push_settings(&s));
	EXPECT_STREQ(madvise ? "madvise" : "never", knob_now("enabled"));
	EXPECT_STREQ(advise ? "advise" : "never", knob_now("shmem_enabled"));
	EXPECT_STREQ(s.use_zero_page ? "1" : "0", knob_now("use_zero_page"));
	EXPECT_STREQ(s.khugepaged.pages_to_scan == 4093 ? "4093" : "4091",
		     knob_now("khugepaged/pages_to_scan"));
	EXPECT_STREQ("12345", knob_now("khugepaged/scan_sleep_millisecs"));
	EXPECT_STREQ(s.khugepaged.max_ptes_swap == 63 ? "63" : "62",
		     knob_now("khugepaged/max_ptes_swap"));
	if (knob_exists(pmd_shmem))
		EXPECT_STREQ(s.shmem_hugepages[pmd].enabled == SHMEM_INHERIT ? "inherit" : "never",
			     knob_now(pmd_shmem));
	if (mthp >= 0)
		EXPECT_STREQ(s.hugepages[mthp].enabled == THP_NEVER ? "never" : "madvise",
			     knob_now(mthp_knob));
	ASSERT_NE(NULL, thp_current_settings());
	EXPECT_EQ(s.khugepaged.pages_to_scan, thp_current_settings()->khugepaged.pages_to_scan);
	/* What sysfs holds now reads back as what was pushed. */
	ASSERT_EQ(0, thp_read_settings(&got));
	EXPECT_EQ(s.thp_enabled, got.thp_enabled);
	EXPECT_EQ(s.shmem_enabled, got.shmem_enabled);
	EXPECT_EQ(s.khugepaged.max_ptes_swap, got.khugepaged.max_ptes_swap);
	ASSERT_EQ(0, thp_snapshot(during));
	EXPECT_STRNE(before, during);

	ASSERT_EQ(0, thp_pop_settings());
	ASSERT_EQ(0, thp_snapshot(after));
	EXPECT_STREQ(before, after);
	EXPECT_EQ(NULL, thp_current_settings());
	EXPECT_EQ(-ENOENT, thp_pop_settings());
	free(before);
	free(during);
	free(after);
}

/* Each pop goes back one level, to exactly what that push found. */
TEST(thp_nested_pushes_pop_in_order)
{
	char *before = malloc(SNAP_LEN), *outer = malloc(SNAP_LEN), *now = malloc(SNAP_LEN);
	struct thp_settings a, b;

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_TRUE(before && outer && now);
	ASSERT_EQ(0, thp_snapshot(before));
	ASSERT_EQ(0, thp_read_settings(&a));
	a.khugepaged.pages_to_scan = 4001;
	a.khugepaged.alloc_sleep_millisecs = 54321;
	ASSERT_EQ(0, thp_push_settings(&a));
	ASSERT_EQ(0, thp_snapshot(outer));

	/* As mm's tests do: copy the current settings, change, push. */
	b = *thp_current_settings();
	b.khugepaged.pages_to_scan = 4002;
	b.khugepaged.scan_sleep_millisecs = 23456;
	ASSERT_EQ(0, thp_push_settings(&b));
	EXPECT_STREQ("4002", knob_now("khugepaged/pages_to_scan"));
	EXPECT_STREQ("23456", knob_now("khugepaged/scan_sleep_millisecs"));
	EXPECT_STREQ("54321", knob_now("khugepaged/alloc_sleep_millisecs"));
	EXPECT_EQ(4002, thp_current_settings()->khugepaged.pages_to_scan);

	ASSERT_EQ(0, thp_pop_settings());
	EXPECT_STREQ("4001", knob_now("khugepaged/pages_to_scan"));
	EXPECT_EQ(4001, thp_current_settings()->khugepaged.pages_to_scan);
	ASSERT_EQ(0, thp_snapshot(now));
	EXPECT_STREQ(outer, now);

	ASSERT_EQ(0, thp_pop_settings());
	ASSERT_EQ(0, thp_snapshot(now));
	EXPECT_STREQ(before, now);
	EXPECT_EQ(NULL, thp_current_settings());
	free(before);
	free(outer);
	free(now);
}

/* inotify sees every write to sysfs: count them, by file name. */
struct thp_watch {
	int fd;
	char names[512];
};

static int watch_start(struct thp_watch *w)
{
	char path[300];
	struct dirent *de;
	DIR *d;

	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return -errno;
	if (inotify_add_watch(w->fd, THP_SYSFS, IN_MODIFY) < 0 ||
	    inotify_add_watch(w->fd, THP_SYSFS "/khugepaged", IN_MODIFY) < 0)
		return -errno;
	d = opendir(THP_SYSFS);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "hugepages-", 10))
			continue;
		snprintf(path, sizeof(path), THP_SYSFS "/%s", de->d_name);
		if (inotify_add_watch(w->fd, path, IN_MODIFY) < 0) {
			closedir(d);
			return -errno;
		}
	}
	if (d)
		closedir(d);
	return 0;
}

/* The number of writes since the last call; their names in w->names. */
static int watch_count(struct thp_watch *w)
{
	union {
		struct inotify_event align;
		char buf[4096];
	} u;
	const struct inotify_event *e;
	ssize_t n, off;
	int count = 0;

	w->names[0] = 0;
	while ((n = read(w->fd, u.buf, sizeof(u.buf))) > 0) {
		for (off = 0; off < n; off += sizeof(*e) + e->len) {
			e = (const void *)(u.buf + off);
			count++;
			if (strlen(w->names) + e->len + 2 < sizeof(w->names)) {
				strcat(w->names, " ");
				strcat(w->names, e->len ? e->name : "?");
			}
		}
	}
	return count;
}

TEST(thp_writes_only_knobs_that_differ)
{
	struct thp_settings s, orig;
	struct thp_watch w;
	int ret;

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_EQ(0, thp_read_settings(&s));
	orig = s;
	ret = watch_start(&w);
	if (ret)
		SKIP(return, "inotify on THP sysfs: %s", strerror(-ret));
	/* Sanity: a write of the same value is seen. */
	ASSERT_EQ(0, thp_write("khugepaged/max_ptes_swap", knob_now("khugepaged/max_ptes_swap")));
	ASSERT_EQ(1, watch_count(&w));

	EXPECT_EQ(0, thp_write_settings(&s));
	EXPECT_EQ(0, watch_count(&w)) TH_LOG("written:%s", w.names);
	ASSERT_EQ(0, thp_push_settings(&s));
	EXPECT_EQ(0, watch_count(&w)) TH_LOG("written:%s", w.names);
	ASSERT_EQ(0, thp_pop_settings());
	EXPECT_EQ(0, watch_count(&w)) TH_LOG("written:%s", w.names);

	s.khugepaged.pages_to_scan = s.khugepaged.pages_to_scan == 4093 ? 4091 : 4093;
	ASSERT_EQ(0, thp_push_settings(&s));
	EXPECT_EQ(1, watch_count(&w)) TH_LOG("written:%s", w.names);
	EXPECT_STREQ(" pages_to_scan", w.names);
	/* Written behind the stack's back: the pop puts back both. */
	ASSERT_EQ(0, thp_write("khugepaged/scan_sleep_millisecs", "13579"));
	watch_count(&w);
	ASSERT_EQ(0, thp_pop_settings());
	EXPECT_EQ(2, watch_count(&w)) TH_LOG("written:%s", w.names);
	ASSERT_EQ(0, thp_read_settings(&s));
	EXPECT_EQ(orig.khugepaged.pages_to_scan, s.khugepaged.pages_to_scan);
	EXPECT_EQ(orig.khugepaged.scan_sleep_millisecs, s.khugepaged.scan_sleep_millisecs);

	/* thp_write_settings() says how many it wrote. */
	s.khugepaged.max_ptes_swap = s.khugepaged.max_ptes_swap == 63 ? 62 : 63;
	s.khugepaged.alloc_sleep_millisecs =
		s.khugepaged.alloc_sleep_millisecs == 54320 ? 54322 : 54320;
	EXPECT_EQ(2, thp_write_settings(&s));
	EXPECT_EQ(2, watch_count(&w)) TH_LOG("written:%s", w.names);
	EXPECT_EQ(2, thp_write_settings(&orig));
	EXPECT_EQ(0, thp_write_settings(&orig));
	close(w.fd);
}

/* A full stack refuses the next push, changes nothing, and pops whole. */
TEST(thp_push_overflow_is_an_error)
{
	char *before = malloc(SNAP_LEN), *full = malloc(SNAP_LEN), *now = malloc(SNAP_LEN);
	struct thp_settings s;
	int i;

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_TRUE(before && full && now);
	ASSERT_EQ(0, thp_snapshot(before));
	ASSERT_EQ(0, thp_read_settings(&s));
	for (i = 0; i < THP_SETTINGS_DEPTH; i++) {
		s.khugepaged.pages_to_scan = 4000 + i;
		ASSERT_EQ(0, thp_push_settings(&s)) TH_LOG("push %d", i + 1);
	}
	ASSERT_EQ(0, thp_snapshot(full));
	s.khugepaged.pages_to_scan = 3999;
	EXPECT_EQ(-ENOSPC, thp_push_settings(&s));
	ASSERT_EQ(0, thp_snapshot(now));
	EXPECT_STREQ(full, now);
	EXPECT_EQ(4000 + THP_SETTINGS_DEPTH - 1, thp_current_settings()->khugepaged.pages_to_scan);
	for (i = 0; i < THP_SETTINGS_DEPTH; i++)
		ASSERT_EQ(0, thp_pop_settings()) TH_LOG("pop %d", i + 1);
	EXPECT_EQ(-ENOENT, thp_pop_settings());
	ASSERT_EQ(0, thp_snapshot(now));
	EXPECT_STREQ(before, now);
	free(before);
	free(full);
	free(now);
}

/* A value no knob takes is refused before anything is written. */
TEST(thp_bad_value_writes_nothing)
{
	char *before = malloc(SNAP_LEN), *now = malloc(SNAP_LEN);
	struct thp_settings s;

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_TRUE(before && now);
	ASSERT_EQ(0, thp_snapshot(before));
	ASSERT_EQ(0, thp_read_settings(&s));
	s.khugepaged.pages_to_scan = s.khugepaged.pages_to_scan == 4093 ? 4091 : 4093;
	s.shmem_enabled = (enum shmem_enabled)42;
	EXPECT_EQ(-EINVAL, thp_write_settings(&s));
	EXPECT_EQ(-EINVAL, thp_push_settings(&s));
	EXPECT_EQ(NULL, thp_current_settings());
	ASSERT_EQ(0, thp_snapshot(now));
	EXPECT_STREQ(before, now);
	free(before);
	free(now);
}

/* Pushed settings do not survive a SIGTERM: the saved original comes back. */
TEST(thp_pushed_settings_restored_on_sigterm)
{
	char *before = malloc(SNAP_LEN), *after = malloc(SNAP_LEN);
	int status;
	pid_t pid;

	if (!thp_available())
		SKIP(return, "no THP sysfs");
	ASSERT_TRUE(before && after);
	ASSERT_EQ(0, thp_snapshot(before));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct thp_settings s;

		if (thp_save() || thp_read_settings(&s))
			_exit(2);
		s.khugepaged.pages_to_scan = 4011;
		if (thp_push_settings(&s))
			_exit(3);
		s.khugepaged.pages_to_scan = 4012;
		s.thp_enabled = s.thp_enabled == THP_NEVER ? THP_MADVISE : THP_NEVER;
		if (thp_push_settings(&s) || strcmp(knob_now("khugepaged/pages_to_scan"), "4012"))
			_exit(4);
		raise(SIGTERM);
		_exit(5);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("child exited %d", WEXITSTATUS(status));
	EXPECT_EQ(SIGTERM, WTERMSIG(status));
	ASSERT_EQ(0, thp_snapshot(after));
	EXPECT_STREQ(before, after);
	free(before);
	free(after);
}

static struct ledger *scratch(void)
{
	return ledger_create(1 << 12);
}

TEST(probes_tell_hole_from_data)
{
	struct ledger *l = scratch();
	struct probe_target t;
	struct backing b;
	char why[128];
	char *m;
	int m_;

	if (!thp_pmd_size())
		SKIP(return, "no THP: backings need the PMD size");
	ASSERT_EQ(0, backing_open(&b, BK_MEMFD, NULL, 2 * thp_pmd_size(), why, sizeof(why)));
	ASSERT_EQ(0, backing_fill(&b, 3, 1, l, 1));
	m = backing_map(&b, 0, thp_pmd_size());
	ASSERT_NE(NULL, m);
	EXPECT_EQ(0, (uintptr_t)m % thp_pmd_size());
	probe_open(&t, b.fd, m, 0, 1);
	for (m_ = PM_SEEK_DATA; m_ <= PM_MINCORE; m_++) {
		EXPECT_EQ(PROBE_DATA, probe_page(&t, m_, 3, l, 1));
		EXPECT_EQ(PROBE_HOLE, probe_page(&t, m_, 2, l, 1));
		EXPECT_EQ(PROBE_HOLE, probe_page(&t, m_, 4, l, 1));
	}
	EXPECT_EQ(2, probe_range(&t, PROBE_SEEK, 2, 2, l, 1));
	probe_close(&t);
	EXPECT_FALSE(range_has_no_hole(b.fd, 0, thp_pmd_size()));
	EXPECT_EQ(1, backing_read(&b, 3, l, 1));
	EXPECT_EQ(CONTENT_ZERO, backing_read(&b, 2, l, 1));
	munmap(m, thp_pmd_size());
	backing_close(&b);
	ledger_destroy(l);
}

/*
 * Walks log what their answers claim: data 3-4 and 8 in a file of 16
 * pages, so SEEK_HOLE from 3 says 5, SEEK_DATA from 5 says 8 (5-7 holes),
 * SEEK_DATA from 9 meets the end (9-15 holes); the whole-file walk asks
 * 0, 3, 5, 8, 9 and logs the hole claims 0-2, 5, 5-7, 9 and 9-15.
 */
TEST(walks_log_their_claims)
{
	static const struct { int m; uint32_t page, npages, from; } want[] = {
		{ PM_WALK_HOLE, 5, 1, 3 }, { PM_WALK_DATA, 5, 3, 5 },
		{ PM_WALK_DATA, 9, 7, 9 },
		{ PM_WALK_DATA, 0, 3, 0 }, { PM_WALK_HOLE, 5, 1, 3 },
		{ PM_WALK_DATA, 5, 3, 5 }, { PM_WALK_HOLE, 9, 1, 8 },
		{ PM_WALK_DATA, 9, 7, 9 },
	};
	struct ledger *l = scratch();
	struct probe_target t;
	struct backing b;
	char why[128];
	uint64_t first;
	unsigned int i;

	if (!thp_pmd_size())
		SKIP(return, "no THP: backings need the PMD size");
	ASSERT_EQ(0, backing_open(&b, BK_MEMFD, NULL, 16 * getpagesize(), why, sizeof(why)));
	ASSERT_EQ(0, backing_fill(&b, 3, 1, l, 1));
	ASSERT_EQ(0, backing_fill(&b, 4, 1, l, 1));
	ASSERT_EQ(0, backing_fill(&b, 8, 1, l, 1));
	first = ledger_count(l);
	probe_open(&t, b.fd, NULL, 0, 0);
	EXPECT_EQ(5, probe_walk(&t, PM_WALK_HOLE, 3, 16, l, 1));
	EXPECT_EQ(8, probe_walk(&t, PM_WALK_DATA, 5, 16, l, 1));
	EXPECT_EQ(16, probe_walk(&t, PM_WALK_DATA, 9, 16, l, 1));
	/* Data at the start claims no hole: nothing logged. */
	EXPECT_EQ(3, probe_walk(&t, PM_WALK_DATA, 3, 16, l, 1));
	EXPECT_EQ(-EINVAL, probe_walk(&t, PM_WALK_HOLE, 16, 16, l, 1));
	EXPECT_EQ(-EINVAL, probe_walk(&t, PM_SEEK_HOLE, 0, 16, l, 1));
	EXPECT_EQ(5, probe_walk_file(&t, 16, l, 1));
	probe_close(&t);
	ASSERT_EQ(ARRAY_SIZE(want), ledger_count(l) - first);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct ev *e = &l->ev[first + i];

		EXPECT_EQ(EV_PROBE, e->kind);
		EXPECT_EQ(want[i].m, e->aux);
		EXPECT_EQ(PROBE_HOLE, e->value);
		EXPECT_EQ(want[i].page, e->page);
		EXPECT_EQ(want[i].npages, e->npages);
		EXPECT_EQ(want[i].from, e->from);
		/* Nothing changed the file: the repeat agrees. */
		EXPECT_EQ(e->page + (e->aux == PM_WALK_DATA ? e->npages : 0), e->again);
	}
	backing_close(&b);
	ledger_destroy(l);
}

TEST(mapping_at_unaligned_offset_keeps_congruence)
{
	struct backing b;
	char why[128];
	char *m;

	if (!thp_pmd_size())
		SKIP(return, "no THP");
	ASSERT_EQ(0, backing_open(&b, BK_MEMFD, NULL, 2 * thp_pmd_size(), why, sizeof(why)));
	m = backing_map(&b, 37 * getpagesize(), thp_pmd_size());
	ASSERT_NE(NULL, m);
	EXPECT_EQ(37 * getpagesize(), (uintptr_t)m % thp_pmd_size());
	munmap(m, thp_pmd_size());
	backing_close(&b);
}

TEST(tmpfs_backing_leaves_no_mount)
{
	struct backing b;
	char why[128], dir[64];

	if (!thp_pmd_size())
		SKIP(return, "no THP");
	if (backing_open(&b, BK_TMPFS, "within_size", 2 * thp_pmd_size(), why, sizeof(why)))
		SKIP(return, "tmpfs: %s", why);
	snprintf(dir, sizeof(dir), "%s", b.dir);
	EXPECT_EQ(0, access(dir, F_OK));
	EXPECT_EQ(0, backing_ready(&b));
	EXPECT_NE(0, access(dir, F_OK));
	/* The file outlives its detached mount. */
	EXPECT_EQ(4, pwrite(b.fd, "abcd", 4, 0));
	backing_close(&b);
}

/* A real MISSING fault: logged with its page and map, resolved by copy. */
/*
 * A memfd mapping of 16 pages, MISSING-registered as map 9, and a fault
 * handler set up to answer with UFFDIO_COPY of generation 5 (not started:
 * each test adjusts it first).
 */
FIXTURE(registered) {
	struct ledger *l;
	struct backing b;
	struct uffd_handler h;
	size_t ps;
	char *m;
	int uffd;
};

FIXTURE_SETUP(registered)
{
	char why[128];

	self->uffd = -1;
	self->b.fd = -1;
	self->ps = getpagesize();
	self->l = scratch();
	ASSERT_NE(NULL, self->l);
	if (!thp_pmd_size())
		SKIP(return, "no THP");
	ASSERT_EQ(0, backing_open(&self->b, BK_MEMFD, NULL, 2 * thp_pmd_size(), why,
				  sizeof(why))) TH_LOG("%s", why);
	self->m = backing_map(&self->b, 0, 16 * self->ps);
	ASSERT_NE(NULL, self->m);
	self->uffd = uffd_open(UFFD_VIA_SYSCALL,
			       UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_THREAD_ID, NULL);
	if (self->uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(-self->uffd));
	ASSERT_EQ(0, uffd_register_missing(self->uffd, self->m, 16 * self->ps, 0, 9,
					   self->l, 1));
	self->h = (struct uffd_handler){ .uffd = self->uffd, .l = self->l,
					 .resolve = RESOLVE_COPY, .resolve_gen = 5,
					 .page_size = self->ps, .actor = 2 };
	ASSERT_EQ(0, uffd_handler_add_region(&self->h, self->m, 16 * self->ps, 0, 9));
}

FIXTURE_TEARDOWN(registered)
{
	if (self->uffd >= 0)
		close(self->uffd);
	backing_unmap(&self->b, self->m, 16 * self->ps);
	backing_close(&self->b);
	ledger_destroy(self->l);
}

/* A fault is logged, resolved with the handler's generation, and logged. */
TEST_F(registered, handler_logs_and_resolves)
{
	size_t ps = self->ps;
	uint64_t i, faults = 0, copies = 0;

	ASSERT_EQ(0, uffd_handler_start(&self->h));
	EXPECT_EQ(5, content_decode(self->m + 6 * ps, ps, 6));
	uffd_handler_stop(&self->h);
	EXPECT_EQ(1, self->h.faults);
	EXPECT_EQ(1, self->h.copies);
	for (i = 0; i < ledger_count(self->l); i++) {
		const struct ev *e = &self->l->ev[i];

		if (e->kind == EV_FAULT && e->page == 6 && e->map == 9)
			faults++;
		if (e->kind == EV_FILL && e->aux == FILL_UFFD_COPY && e->page == 6 &&
		    !e->err && e->value == 5)
			copies++;
	}
	EXPECT_EQ(1, faults);
	EXPECT_EQ(1, copies);
}

/*
 * Every access path (ledger.h) goes through the registered mapping's
 * fault path: a first access of a hole faults once, is resolved, and
 * then reads the copy or leaves its store in the file.
 */
TEST_F(registered, every_access_path_faults_once)
{
	size_t ps = self->ps;
	uint64_t i, faults;
	int how, ret;

	ASSERT_EQ(0, uffd_handler_start(&self->h));
	for (how = 0; how < TOUCH_NR; how++) {
		faults = self->h.faults;
		ret = touch_range(self->l, self->m + (2 + how) * ps, 2 + how, 1, 9, 1, how, 11);
		if (ret == -ENOSYS || ret == -EPERM) {
			TH_LOG("%s: %s, not tested", touch_how_name(how), strerror(-ret));
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", touch_how_name(how), strerror(-ret));
		EXPECT_EQ(faults + 1, __atomic_load_n(&self->h.faults, __ATOMIC_ACQUIRE))
			TH_LOG("%s", touch_how_name(how));
		EXPECT_EQ(touch_how_stores(how) ? 11 : 5,
			  backing_read(&self->b, 2 + how, self->l, 1))
			TH_LOG("%s", touch_how_name(how));
	}
	uffd_handler_stop(&self->h);
	for (i = 0; i < ledger_count(self->l); i++) {
		const struct ev *e = &self->l->ev[i];

		if (e->kind == EV_TOUCH && !e->err && !touch_how_stores(e->aux))
			EXPECT_EQ(5, e->value) TH_LOG("%s", touch_how_name(e->aux));
	}
}

/*
 * UFFD_FEATURE_EVENT_FORK: the child's copy is registered by fork(), and
 * the handler takes the new userfaultfd from the fork event and serves the
 * child's fault, logged with the child's map id.
 */
TEST_F(registered, fork_event_hands_the_child_to_the_handler)
{
	size_t ps = self->ps;
	uint64_t got = 0, i, faults = 0;
	int uffd, status;
	pid_t pid;

	uffd = uffd_open(UFFD_VIA_SYSCALL, UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_EVENT_FORK,
			 &got);
	if (uffd < 0 || !(got & UFFD_FEATURE_EVENT_FORK))
		SKIP(return, "no UFFD_FEATURE_EVENT_FORK: %s", strerror(uffd < 0 ? -uffd : ENOENT));
	ASSERT_EQ(0, uffd_unregister(self->uffd, self->m, 16 * ps, 0, 9, self->l, 1));
	ASSERT_EQ(0, uffd_register_missing(uffd, self->m, 16 * ps, 0, 9, self->l, 1));
	self->h.uffd = uffd;
	self->h.fork_map_offset = 100;
	ASSERT_EQ(0, uffd_handler_start(&self->h));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(content_decode(self->m + 7 * ps, ps, 7) == 5 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	uffd_handler_stop(&self->h);
	close(uffd);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(1, self->h.forks);
	for (i = 0; i < ledger_count(self->l); i++) {
		const struct ev *e = &self->l->ev[i];

		faults += e->kind == EV_FAULT && e->page == 7 && e->map == 109;
	}
	EXPECT_EQ(1, faults);
}

/*
 * backing_huge(): a range of small pages is not one huge page, the same
 * range after MADV_COLLAPSE is, and a range with a hole is not (and stays
 * a hole).
 */
TEST(backing_huge_tells_a_collapsed_range)
{
	struct ledger *l = scratch();
	size_t pmd = thp_pmd_size(), ps = getpagesize();
	uint32_t hp = pmd / ps, i;
	struct backing b;
	char why[128];
	char *m;
	int ret;

	if (!pmd)
		SKIP(return, "no THP: backings need the PMD size");
	ASSERT_EQ(0, backing_open(&b, BK_MEMFD, NULL, 2 * pmd, why, sizeof(why)));
	for (i = 0; i < hp; i++)
		ASSERT_EQ(0, backing_fill(&b, i, 1, l, 1));
	ASSERT_EQ(0, backing_fill(&b, hp, 1, l, 1));
	ret = backing_huge(&b, 0, hp);
	if (ret < 0)
		SKIP(return, "cannot read page frames and flags: %s", strerror(-ret));
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, backing_huge(&b, hp, hp));
	EXPECT_FALSE(range_has_no_hole(b.fd, pmd, pmd));
	m = backing_map(&b, 0, pmd);
	ASSERT_NE(NULL, m);
	if (madvise(m, pmd, MADV_COLLAPSE))
		SKIP(return, "MADV_COLLAPSE: %s", strerror(errno));
	EXPECT_EQ(1, backing_huge(&b, 0, hp));
	munmap(m, pmd);
	backing_close(&b);
	ledger_destroy(l);
}

struct barrier_party {
	struct bbarrier *b;
	int64_t deadline_ns;
	int rounds, ret;
};

static void *barrier_party(void *arg)
{
	struct barrier_party *p = arg;
	int i;

	for (i = 0; i < p->rounds && !p->ret; i++)
		p->ret = bbarrier_wait(p->b, p->deadline_ns);
	return NULL;
}

/* Two parties pass a bounded barrier many times, none waits to its deadline. */
TEST(bbarrier_passes)
{
	struct bbarrier b;
	struct barrier_party p;
	int64_t deadline = mono_ns() + 20 * 1000000000LL;
	pthread_t t;
	int i, ret = 0;

	ASSERT_EQ(0, bbarrier_init(&b, "pass", 2));
	p = (struct barrier_party){ .b = &b, .deadline_ns = deadline, .rounds = 1000 };
	ASSERT_EQ(0, pthread_create(&t, NULL, barrier_party, &p));
	for (i = 0; i < 1000 && !ret; i++)
		ret = bbarrier_wait(&b, deadline);
	pthread_join(t, NULL);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, p.ret);
	bbarrier_destroy(&b);
}

/*
 * A party that never comes: the wait ends at its deadline, says which
 * barrier and how many arrived, and releases the party already waiting.
 */
TEST(bbarrier_times_out)
{
	struct bbarrier b;
	struct barrier_party p;
	int64_t deadline;
	char why[128];
	pthread_t t;

	ASSERT_EQ(0, bbarrier_init(&b, "end", 3));
	p = (struct barrier_party){ .b = &b, .rounds = 1,
				    .deadline_ns = mono_ns() + 60 * 1000000000LL };
	ASSERT_EQ(0, pthread_create(&t, NULL, barrier_party, &p));
	while (__atomic_load_n(&b.arrived, __ATOMIC_SEQ_CST) < 1)
		usleep(1000);
	deadline = mono_ns() + 200 * 1000000LL;
	EXPECT_EQ(-ETIMEDOUT, bbarrier_wait(&b, deadline));
	/* Its contract, not its speed: it did not give up before the deadline. */
	EXPECT_LE(deadline, mono_ns());
	pthread_join(t, NULL);
	EXPECT_EQ(-EPIPE, p.ret);
	/* Broken for good: a later wait returns at once. */
	EXPECT_EQ(-EPIPE, bbarrier_wait(&b, mono_ns() + 60 * 1000000000LL));
	bbarrier_why(&b, why, sizeof(why));
	EXPECT_STREQ("barrier 'end' timed out with 2 of 3 parties arrived", why);
	bbarrier_destroy(&b);
}

/* A child that does not end is killed at the deadline, and reaped. */
TEST(wait_child_until_kills_at_deadline)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pause();
		_exit(0);
	}
	EXPECT_EQ(-ETIMEDOUT, wait_child_until(pid, &status, mono_ns() + 200 * 1000000LL));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_EQ(-1, waitpid(pid, NULL, WNOHANG));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(3);
	EXPECT_EQ(0, wait_child_until(pid, &status, mono_ns() + 10 * 1000000000LL));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

struct toucher {
	char *addr;
	size_t len;
	int sum;
};

static void *toucher(void *arg)
{
	struct toucher *t = arg;
	size_t off;

	for (off = 0; off < t->len; off += getpagesize())
		t->sum += __atomic_load_n(&t->addr[off], __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Touch in a thread, joined within 5 s, so that a touch that hangs fails
 * the test instead of hanging it; closing the userfaultfd releases it.
 */
static bool touch_bounded(struct toucher *tt, int uffd)
{
	struct timespec ts = ns_to_timespec(mono_ns() + 5 * NSEC_PER_SEC);
	pthread_t t;

	if (pthread_create(&t, NULL, toucher, tt))
		return false;
	if (!pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &ts))
		return true;
	close(uffd);
	pthread_join(t, NULL);
	return false;
}

/*
 * A handler that dies with a fault pending (the test hook makes it exit
 * on its first fault without resolving it) says why, and unregisters its
 * range on the way out: the touch blocked on that fault returns, and so
 * do later ones, instead of hanging forever.
 */
TEST_F(registered, handler_death_releases_touches)
{
	struct toucher tt = { 0 };
	size_t ps = self->ps;
	uint64_t i, unreg = 0;
	char why[160];

	self->h.inject_exit_at_fault = 1;
	ASSERT_EQ(0, uffd_handler_start(&self->h));
	tt = (struct toucher){ .addr = self->m + 6 * ps, .len = 2 * ps };
	ASSERT_TRUE(touch_bounded(&tt, self->uffd))
		TH_LOG("the touch was still blocked 5 s after the handler died");
	EXPECT_EQ(0, tt.sum);
	/* Not a fault any more: the range is no longer registered. */
	tt = (struct toucher){ .addr = self->m + 9 * ps, .len = ps };
	ASSERT_TRUE(touch_bounded(&tt, self->uffd))
		TH_LOG("a later touch blocked: the range is still registered");
	uffd_handler_stop(&self->h);
	EXPECT_TRUE(uffd_handler_died(&self->h));
	EXPECT_EQ(-EIO, self->h.exit_err);
	EXPECT_EQ(0, self->h.copies);
	uffd_handler_why(&self->h, why, sizeof(why));
	EXPECT_STREQ("fault handler thread exited: injected exit (test hook): Input/output error, after 1 fault(s)",
		     why);
	for (i = 0; i < ledger_count(self->l); i++)
		unreg += self->l->ev[i].kind == EV_UNREGISTER && self->l->ev[i].actor == 2 &&
			 !self->l->ev[i].err;
	EXPECT_EQ(1, unreg);
}

struct judged {
	struct oracle_live *lv;
	enum violation_kind kind;
	uint64_t at_fault;	/* the handler's fault count when it was judged */
};

static int judge_online(struct uffd_handler *h, const struct ev *e, void *arg)
{
	struct judged *j = arg;
	struct online_verdict ov;

	if (e->kind != EV_FAULT || j->kind != V_NR)
		return UFFD_FAULT_RESOLVE;
	j->kind = oracle_live_fault(j->lv, e, &ov);
	j->at_fault = h->faults;
	return j->kind == V_FAULT_LOOP ? UFFD_FAULT_GIVE_UP : UFFD_FAULT_RESOLVE;
}

struct ledger_toucher {
	struct ledger *l;
	char *addr;
	uint32_t page;
};

static void *ledger_toucher(void *arg)
{
	struct ledger_toucher *t = arg;

	touch_range(t->l, t->addr, t->page, 1, 9, 3, TOUCH_LOAD, 0);
	return NULL;
}

/*
 * A real fault loop (the test hook keeps the page missing after each
 * EEXIST) is judged at its second fault by the oracle's online rule, from
 * the faulting thread's id; the handler gives up, releases the range, and
 * the touch returns.
 */
TEST_F(registered, fault_loop_is_judged_at_its_second_fault)
{
	struct oracle_opts oo = { .page_size = self->ps };
	struct judged j = { .kind = V_NR };
	struct ledger_toucher t = { .l = self->l, .addr = self->m + 6 * self->ps, .page = 6 };
	struct timespec ts = ns_to_timespec(mono_ns() + 5 * NSEC_PER_SEC);
	pthread_t th;
	char why[160];

	j.lv = oracle_live_create(self->l, &oo);
	ASSERT_NE(NULL, j.lv);
	self->h.on_event = judge_online;
	self->h.on_event_arg = &j;
	self->h.inject_fault_loop = true;
	ASSERT_EQ(0, uffd_handler_start(&self->h));
	ASSERT_EQ(0, pthread_create(&th, NULL, ledger_toucher, &t));
	if (pthread_clockjoin_np(th, NULL, CLOCK_MONOTONIC, &ts)) {
		close(self->uffd);
		self->uffd = -1;
		pthread_join(th, NULL);
		ASSERT_TRUE(false) TH_LOG("the touch was still looping after 5 s");
	}
	uffd_handler_stop(&self->h);
	EXPECT_EQ(V_FAULT_LOOP, j.kind);
	EXPECT_EQ(2, j.at_fault);
	EXPECT_EQ(2, self->h.faults);
	EXPECT_EQ(1, self->h.eexist);
	EXPECT_TRUE(uffd_handler_died(&self->h));
	uffd_handler_why(&self->h, why, sizeof(why));
	EXPECT_STREQ("fault handler thread exited: gave up on a fault that resolving cannot end: Too many levels of symbolic links, after 2 fault(s)",
		     why);
	oracle_live_destroy(j.lv);
}

/* A handler asked to stop is not dead, and leaves its range registered. */
TEST_F(registered, handler_stopped_is_not_dead)
{
	char why[128];
	uint64_t i;

	ASSERT_EQ(0, uffd_handler_start(&self->h));
	uffd_handler_stop(&self->h);
	EXPECT_FALSE(uffd_handler_died(&self->h));
	EXPECT_EQ(0, self->h.exit_err);
	uffd_handler_why(&self->h, why, sizeof(why));
	EXPECT_STREQ("", why);
	for (i = 0; i < ledger_count(self->l); i++)
		EXPECT_NE(EV_UNREGISTER, self->l->ev[i].kind);
}

/* --widen's lists: every knob by name, levels in range, one line why not. */
TEST(widen_parse_lists)
{
	static const char * const bad[] = {
		"", ",", "maps,", ",maps", "maps,,hogs", "bogus", "maps=", "maps=x",
		"maps=-1", "maps=1e3", "maps=8193", "pressure=51", "hogs=0x", "all=1",
		"maps=1=2", "MAPS",
	};
	struct widen_levels lv = { 0 }, step;
	char err[128];
	unsigned int i;
	int k;

	ASSERT_EQ(0, widen_parse("maps=10,hogs", &lv, err, sizeof(err)));
	EXPECT_EQ(10, lv.level[WK_MAPS]);
	EXPECT_EQ(widen_knobs[WK_HOGS].dflt, lv.level[WK_HOGS]);
	EXPECT_EQ(0, lv.level[WK_PRESSURE]);
	EXPECT_TRUE(widen_any(&lv));
	ASSERT_EQ(0, widen_parse("maps=0,hogs=0", &lv, err, sizeof(err)));
	EXPECT_FALSE(widen_any(&lv));
	widen_format(&lv, err, sizeof(err));
	EXPECT_STREQ("none", err);
	ASSERT_EQ(0, widen_parse("all", &lv, err, sizeof(err)));
	for (k = 0; k < WK_NR; k++) {
		EXPECT_EQ(widen_knobs[k].dflt, lv.level[k]);
		EXPECT_LE(widen_knobs[k].dflt, widen_knobs[k].max);
	}
	ASSERT_EQ(0, widen_parse("pressure=50,maps=8192", &lv, err, sizeof(err)));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&lv, 0, sizeof(lv));
		err[0] = '\0';
		EXPECT_EQ(-EINVAL, widen_parse(bad[i], &lv, err, sizeof(err)))
			TH_LOG("'%s' was taken", bad[i]);
		EXPECT_NE('\0', err[0]);
		EXPECT_EQ(NULL, strchr(err, '\n'));
	}
	/* A hunt starts with nothing and ends at its top, never going down. */
	ASSERT_EQ(0, widen_parse("maps=1000,hogs=1,vmas=3", &lv, err, sizeof(err)));
	widen_hunt_levels(&lv, 0, &step);
	EXPECT_FALSE(widen_any(&step));
	widen_hunt_levels(&lv, 1, &step);
	EXPECT_EQ(1, step.level[WK_HOGS]);
	EXPECT_EQ(0, step.level[WK_PRESSURE]);
	EXPECT_EQ(250, step.level[WK_MAPS]);
	widen_hunt_levels(&lv, WIDEN_HUNT_STEPS - 1, &step);
	EXPECT_EQ(0, memcmp(&lv, &step, sizeof(lv)));
}

static long count_lines(const char *path)
{
	char line[512];
	long n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strchr(line, '\n');
	fclose(f);
	return n;
}

/* A "Name:   value kB" line of /proc/self/status. */
static long status_field(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Each knob's setup shows (VMAs, the file's size, threads, locked memory)
 * and its teardown undoes it exactly; the faulter reads only the pages
 * that were data, fills no hole, and is stopped when the round ends.
 */
TEST(widen_knobs_set_up_and_torn_down)
{
	struct ledger *l = scratch();
	struct backing b;
	int64_t deadline = mono_ns() + 60 * NSEC_PER_SEC;
	struct widen_levels lv = { 0 }, none = { 0 };
	struct widen_env env = { .ps = getpagesize(), .deadline_ns = &deadline };
	uint8_t *data;
	struct widen *w;
	long maps0, threads0, maps1;
	char why[128];
	struct stat st;
	uint32_t hp;
	uint64_t reads;
	int i;

	if (!thp_pmd_size())
		SKIP(return, "no THP: backings need the PMD size");
	ASSERT_EQ(0, backing_open(&b, BK_MEMFD, NULL, thp_pmd_size(), why, sizeof(why)));
	hp = thp_pmd_size() / getpagesize();
	data = calloc(hp, 1);
	ASSERT_NE(NULL, data);
	env.b = &b;
	env.hp = hp;
	env.data = data;
	w = widen_create(&env);
	ASSERT_NE(NULL, w);
	maps0 = count_lines("/proc/self/maps");
	threads0 = status_field("Threads");
	/* Mappings and the file's size (thread stacks stay cached: apart). */
	lv.level[WK_MAPS] = 40;
	lv.level[WK_VMAS] = 40;
	lv.level[WK_PMDS] = 2;
	ASSERT_EQ(0, widen_apply(w, &lv));
	EXPECT_EQ(0, memcmp(&lv, &w->on, sizeof(lv)));
	maps1 = count_lines("/proc/self/maps");
	EXPECT_EQ(80, maps1 - maps0);
	ASSERT_EQ(0, fstat(b.fd, &st));
	EXPECT_EQ((off_t)(3 * thp_pmd_size()), st.st_size);
	EXPECT_EQ((off_t)thp_pmd_size() + getpagesize(),
		  lseek(b.fd, thp_pmd_size(), SEEK_DATA));
	/* Levels change: torn down and set up again. */
	lv.level[WK_MAPS] = 10;
	ASSERT_EQ(0, widen_apply(w, &lv));
	EXPECT_EQ(maps1 - 30, count_lines("/proc/self/maps"));
	ASSERT_EQ(0, widen_apply(w, &none));
	EXPECT_EQ(maps0, count_lines("/proc/self/maps"));
	ASSERT_EQ(0, fstat(b.fd, &st));
	EXPECT_EQ((off_t)thp_pmd_size(), st.st_size);
	/* Threads: a faulter, and a hog per CPU but the collapser's. */
	lv = none;
	lv.level[WK_FAULTER] = 1;
	/* (one CPU: no other CPU for a hog, and the knob says so) */
	lv.level[WK_HOGS] = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	ASSERT_EQ(0, widen_apply(w, &lv));
	EXPECT_EQ(threads0 + (sysconf(_SC_NPROCESSORS_ONLN) > 1 ?
			      sysconf(_SC_NPROCESSORS_ONLN) : 1), status_field("Threads"));
	/* A round with no data page: the faulter reads nothing, fills nothing. */
	widen_round_begin(w);
	usleep(20000);
	EXPECT_EQ(0, widen_round_end(w));
	EXPECT_EQ(0, __atomic_load_n(&w->fault_reads, __ATOMIC_RELAXED));
	EXPECT_EQ(-1, lseek(b.fd, 0, SEEK_DATA));
	/* Page 5 is data: read, and still the only data page of the range. */
	ASSERT_EQ(0, backing_fill(&b, 5, 1, l, 1));
	data[5] = 1;
	widen_round_begin(w);
	for (i = 0; i < 200 && !__atomic_load_n(&w->fault_reads, __ATOMIC_RELAXED); i++)
		usleep(5000);
	EXPECT_EQ(0, widen_round_end(w));
	reads = __atomic_load_n(&w->fault_reads, __ATOMIC_RELAXED);
	EXPECT_LT(0, reads);
	/* Stopped: nothing more is read after the round's end. */
	usleep(20000);
	EXPECT_EQ(reads, __atomic_load_n(&w->fault_reads, __ATOMIC_RELAXED));
	EXPECT_EQ((off_t)5 * getpagesize(), lseek(b.fd, 0, SEEK_DATA));
	EXPECT_EQ((off_t)6 * getpagesize(), lseek(b.fd, 5 * getpagesize(), SEEK_HOLE));
	ASSERT_EQ(0, widen_apply(w, &none));
	EXPECT_EQ(threads0, status_field("Threads"));
	/* pressure: locked while on, given back when off. */
	lv = none;
	lv.level[WK_PRESSURE] = 1;
	if (widen_apply(w, &lv)) {
		TH_LOG("pressure left off: %s", w->why[WK_PRESSURE]);
	} else {
		EXPECT_LT(0, status_field("VmLck"));
		ASSERT_EQ(0, widen_apply(w, &none));
		EXPECT_EQ(0, status_field("VmLck"));
	}
	/* destroy tears down what is on */
	lv.level[WK_HOGS] = 2;
	lv.level[WK_MAPS] = 5;
	widen_apply(w, &lv);
	widen_destroy(w);
	EXPECT_EQ(threads0, status_field("Threads"));
	EXPECT_EQ(0, status_field("VmLck"));
	free(data);
	backing_close(&b);
	ledger_destroy(l);
}

int main(int argc, char **argv)
{
	int ret = suite_prepare("helpers_test");

	if (ret)
		return ret;
	return test_harness_run(argc, argv);
}
