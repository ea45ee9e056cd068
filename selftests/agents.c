// SPDX-License-Identifier: GPL-2.0
/*
 * The collapse agents' table (agents.h) and their operations.  Each
 * operation records what it did in the ledger and its tallies in the
 * context; none decides what a result means for the contract.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actors.h"
#include "agents.h"
#include "compat.h"
#include "content.h"
#include "khugepaged_ctl.h"
#include "thp_settings.h"

#define KHUGEPAGED_TIMEOUT_MS	10000
#define PROCESS_TIMEOUT_NS	(60 * 1000000000LL)
#define EAGAIN_PAUSE_US		2000

int collapse_range(struct ledger *l, char *addr, size_t len, uint32_t first_page,
		   enum collapse_agent agent, uint16_t actor)
{
	struct ev e = { .kind = EV_COLLAPSE, .aux = agent, .page = first_page,
			.npages = len / getpagesize(), .actor = actor };
	int ret;

	e.t0 = ledger_stamp(l);
	ret = madvise(addr, len, MADV_COLLAPSE);
	e.err = ret ? errno : 0;
	e.t1 = ledger_stamp(l);
	/* Success means the whole range is huge; a failure may still have collapsed. */
	e.value = ret ? COLLAPSE_UNKNOWN : (int32_t)e.npages;
	ledger_add(l, &e);
	return e.err;
}

const char *agent_name(enum collapse_agent a)
{
	return a < AGENT_NR ? collapse_agents[a].name : "?";
}

static size_t range_bytes(const struct agent_ctx *c)
{
	return (size_t)c->hp * c->b->page_size;
}

char *agent_other(struct agent_ctx *c)
{
	if (!c->other)
		c->other = backing_map(c->b, 0, c->b->size);
	return c->other;
}

void agent_ctx_reset(struct agent_ctx *c)
{
	if (c->other)
		backing_unmap(c->b, c->other, c->b->size);
	c->other = NULL;
	c->tries = 0;
	c->ok = 0;
	c->last_err = 0;
	c->scans = 0;
}

uint32_t agent_ranges_filled(struct agent_ctx *c)
{
	uint32_t range, n = 0;

	for (range = 0; range < c->nranges; range++)
		n += c->until_huge ? backing_huge(c->b, range * c->hp, c->hp) == 1 :
		     backing_filled(c->b, range * c->hp, c->hp);
	return n;
}

/* One MADV_COLLAPSE of range through mapping m (which starts at page 0). */
static int madv_once(struct agent_ctx *c, char *m, uint32_t range,
		     enum collapse_agent agent)
{
	if (!m)
		return -errno;
	c->tries++;
	return collapse_range(c->l, m + (size_t)range * range_bytes(c), range_bytes(c),
			      range * c->hp, agent, c->actor);
}

/*
 * EAGAIN is transient (a page not yet on the LRU, an elevated refcount):
 * retry a few times rather than give up on the range for it.
 */
static int madv_retry(struct agent_ctx *c, char *m, uint32_t range,
		      enum collapse_agent agent)
{
	int err, tries = 0;

	do {
		if (tries)
			usleep(EAGAIN_PAUSE_US);
		err = madv_once(c, m, range, agent);
	} while (err == EAGAIN && ++tries < c->eagain_tries);
	if (err < 0)
		return err;
	c->ok += !err;
	if (err)
		c->last_err = err;
	return 0;
}

static int madv_all(struct agent_ctx *c, char *m, enum collapse_agent agent)
{
	uint32_t range;
	int ret = 0;

	for (range = 0; range < c->nranges && !ret; range++)
		ret = madv_retry(c, m, range, agent);
	return ret;
}

static int other_attempt(struct agent_ctx *c, uint32_t range)
{
	return madv_once(c, agent_other(c), range, AGENT_MADV_OTHER);
}

static int other_collapse_all(struct agent_ctx *c)
{
	return madv_all(c, agent_other(c), AGENT_MADV_OTHER);
}

static int self_attempt(struct agent_ctx *c, uint32_t range)
{
	errno = EINVAL;
	return madv_once(c, c->self, range, AGENT_MADV_SELF);
}

static int self_collapse_all(struct agent_ctx *c)
{
	errno = EINVAL;
	return madv_all(c, c->self, AGENT_MADV_SELF);
}

/*
 * A process of its own maps the file and collapses: the kernel must find
 * the registration through the file, not in the collapser's mm.  Its
 * tallies stay in the child; the parent counts one attempt per range.
 */
static int process_collapse_all(struct agent_ctx *c)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c->other = NULL;
		_exit(madv_all(c, agent_other(c), AGENT_MADV_PROCESS) ? 1 : 0);
	}
	ret = wait_child_until(pid, &status, mono_ns() + PROCESS_TIMEOUT_NS);
	if (ret)
		return ret;
	c->tries += c->nranges;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

/*
 * A fork of the registering process collapses through its copy of the
 * registered mapping.  Without UFFD_FEATURE_EVENT_FORK the copy is not
 * registered (fork drops the context), so the kernel must find the
 * parent's registration through the file, from the very same addresses.
 */
static int fork_collapse_all(struct agent_ctx *c)
{
	int status, ret;
	pid_t pid;

	if (!c->self)
		return -EINVAL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(madv_all(c, c->self, AGENT_MADV_FORK) ? 1 : 0);
	}
	ret = wait_child_until(pid, &status, mono_ns() + PROCESS_TIMEOUT_NS);
	if (ret)
		return ret;
	c->tries += c->nranges;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

/*
 * khugepaged collapses what an MADV_HUGEPAGE mapping of an mm on its list
 * covers: mark the unregistered mapping, enlist this mm, scan fast.
 */
static int khugepaged_prepare(struct agent_ctx *c)
{
	char *m = agent_other(c);
	char ms[16];
	int ret;

	if (!m)
		return -errno;
	if (madvise(m, c->nranges * range_bytes(c), MADV_HUGEPAGE))
		return -errno;
	ret = khugepaged_enlist();
	if (!ret)
		ret = khugepaged_fast();
	if (!ret && c->scan_sleep_ms) {
		snprintf(ms, sizeof(ms), "%u", c->scan_sleep_ms);
		ret = thp_write("khugepaged/scan_sleep_millisecs", ms);
	}
	return ret;
}

/*
 * Wait until either the ranges are filled or khugepaged has completed
 * min_scans full scans since (so it has looked at our mm), recorded as
 * one EV_COLLAPSE whose value is the pages of the ranges then found
 * filled; the full scans go to c->scans (ledger.h: not the event's).
 */
static int khugepaged_collapse_all(struct agent_ctx *c)
{
	long start = khugepaged_counter("full_scans"), now;
	struct ev e = { .kind = EV_COLLAPSE, .aux = AGENT_KHUGEPAGED,
			.page = 0, .npages = c->nranges * c->hp, .actor = c->actor };
	unsigned int timeout = c->timeout_ms ?: KHUGEPAGED_TIMEOUT_MS, waited;
	uint32_t filled = 0;
	int ret;

	e.t0 = ledger_stamp(c->l);
	ret = khugepaged_prepare(c);
	if (ret)
		return ret;
	for (waited = 0; waited < timeout; waited += 5) {
		now = khugepaged_counter("full_scans");
		filled = agent_ranges_filled(c);
		if (filled == c->nranges || (c->min_scans && now >= start + c->min_scans))
			break;
		usleep(5000);
	}
	e.t1 = ledger_stamp(c->l);
	e.value = filled * c->hp;
	if (waited >= timeout)
		e.err = ETIMEDOUT;
	ledger_add(c->l, &e);
	c->tries++;
	c->scans = khugepaged_counter("full_scans") - start;
	return e.err ? -ETIMEDOUT : 0;
}

/*
 * One attempt by khugepaged, at a time of the caller's choosing: wake it
 * (khugepaged_kick(); the caller set a long scan_sleep_ms, so that it
 * scans only then) and wait for the full scan that follows, waking it
 * again every KICK_RETRY_MS without one (a wakeup that came while it was
 * still finishing the last scan is lost), at most KICK_TIMEOUT_MS.  What
 * the scan did maps onto MADV_COLLAPSE's errnos, so the stress counts
 * both alike: 0, it collapsed (pages_collapsed grew: ours is the only
 * range it can collapse; or the range had holes and has none, which
 * 6.1.192 shows without counting a collapse); EBUSY, a huge page was allocated for a collapse
 * (thp_collapse_alloc grew: it got past the scan of the range into
 * collapse_file()) and none was made, so the collapse gave up there
 * (6.12: a MISSING registration); EAGAIN, the scan stopped before (a page
 * not on the LRU or with a reference it did not expect); ENODATA, no
 * collapse and no way to tell where it stopped (a kernel without VM event
 * counters); ETIMEDOUT, no scan came.  Recorded as an EV_COLLAPSE from
 * the wakeup to the end of the scan, its value the pages found filled.
 */
#define KICK_RETRY_MS	20
#define KICK_TIMEOUT_MS	250

static int khugepaged_attempt(struct agent_ctx *c, uint32_t range)
{
	struct ev e = { .kind = EV_COLLAPSE, .aux = AGENT_KHUGEPAGED, .page = range * c->hp,
			.npages = c->hp, .actor = c->actor };
	unsigned int sleep_ms = c->scan_sleep_ms ?: 10;
	struct timespec poll = { 0, 200 * 1000 };
	long scans = khugepaged_counter("full_scans"), now = scans;
	long collapsed = khugepaged_counter("pages_collapsed");
	long allocs = thp_vmstat("thp_collapse_alloc"), allocs_now;
	bool holes = !backing_filled(c->b, range * c->hp, c->hp);
	int64_t start = mono_ns(), kicked = 0;
	int ret = 0;

	if (scans < 0 || collapsed < 0)
		return scans < 0 ? (int)scans : (int)collapsed;
	e.t0 = ledger_stamp(c->l);
	c->filled_ns = 0;
	while (now <= scans && !ret) {
		if (mono_ns() - start > KICK_TIMEOUT_MS * 1000000LL)
			break;
		if (!kicked || mono_ns() - kicked > KICK_RETRY_MS * 1000000LL) {
			ret = khugepaged_kick(sleep_ms);
			kicked = mono_ns();
		}
		nanosleep(&poll, NULL);
		now = khugepaged_counter("full_scans");
		if (holes && !c->filled_ns && backing_filled(c->b, range * c->hp, c->hp))
			c->filled_ns = mono_ns() - start;
	}
	if (backing_filled(c->b, range * c->hp, c->hp))
		e.value = c->hp;
	e.t1 = ledger_stamp(c->l);
	allocs_now = allocs >= 0 ? thp_vmstat("thp_collapse_alloc") : allocs;
	if (ret)
		e.err = -ret;
	else if (khugepaged_counter("pages_collapsed") > collapsed || (holes && e.value))
		e.err = 0;
	else if (now <= scans)
		e.err = ETIMEDOUT;
	else if (allocs < 0 || allocs_now < 0)
		e.err = ENODATA;
	else
		e.err = allocs_now > allocs ? EBUSY : EAGAIN;
	ledger_add(c->l, &e);
	c->tries++;
	c->ok += !e.err;
	c->scans += now > scans ? now - scans : 0;
	if (e.err)
		c->last_err = e.err;
	return ret ?: e.err;
}

/* Pages the file has allocated (st_blocks), -errno for a failure. */
static long file_pages(struct agent_ctx *c)
{
	struct stat st;

	if (!c->b->ops->file)
		return -EOPNOTSUPP;
	if (fstat(c->b->fd, &st))
		return -errno;
	return (long)(st.st_blocks * 512 / c->b->page_size);
}

int agent_act(struct agent_ctx *c, enum collapse_agent a)
{
	long before = file_pages(c), after;
	int ret = agent_ops(a)->act(c);

	after = file_pages(c);
	c->allocated = before >= 0 && after >= before ? after - before : -1;
	return ret;
}

bool agent_landed(struct agent_ctx *c, enum collapse_agent a)
{
	uint32_t block = c->block ?: c->hp;

	/*
	 * shmem charges a folio's every page to st_blocks when it allocates
	 * it, uptodate or not (fallocate's are not, and SEEK_DATA calls
	 * them holes): a fill that allocated a block's worth made a folio
	 * of the size under test.  More is another size (the kernel did not
	 * take the one the scenario allows), not a landing.  Without
	 * st_blocks, judge by the file.
	 */
	if (agent_ops(a)->fills)
		return c->allocated >= 0 ? c->allocated == block :
		       backing_filled(c->b, c->trigger / block * block, block);
	return agent_ranges_filled(c) == c->nranges;
}

/*
 * Fill agents.  Each allocates c->trigger once and records it: an access
 * through map AGENT_MAP (EV_TOUCH) or a fill of ours (EV_FILL); the oracle
 * takes either as the page's own data and as a possible trigger of a large
 * folio over its neighbours.
 */
static char *fill_mapping(struct agent_ctx *c)
{
	char *m = agent_other(c);

	/* advise: only a VM_HUGEPAGE mapping may get a large folio */
	if (m && madvise(m, c->b->size, MADV_HUGEPAGE))
		return NULL;
	return m;
}

static int fill_touch(struct agent_ctx *c, char *m, uint16_t map, enum touch_how how)
{
	if (!m)
		return -errno;
	c->tries++;
	touch_range(c->l, m + (size_t)c->trigger * c->b->page_size, c->trigger, 1, map,
		    c->actor, how, c->gen);
	c->ok++;
	return 0;
}

static int fill_load(struct agent_ctx *c)
{
	return fill_touch(c, fill_mapping(c), AGENT_MAP, TOUCH_LOAD);
}

static int fill_store(struct agent_ctx *c)
{
	return fill_touch(c, fill_mapping(c), AGENT_MAP, TOUCH_STORE);
}

/* Another process, as a second mapper (a vhost-user backend) would be. */
static int fill_process(struct agent_ctx *c)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c->other = NULL;
		_exit(fill_touch(c, fill_mapping(c), AGENT_MAP + 1, TOUCH_LOAD) ? 1 : 0);
	}
	ret = wait_child_until(pid, &status, mono_ns() + PROCESS_TIMEOUT_NS);
	if (ret)
		return ret;
	c->tries++;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

static int fill_pwrite(struct agent_ctx *c)
{
	c->tries++;
	return backing_fill(c->b, c->trigger, c->gen, c->l, c->actor);
}

/* A fill of ours that leaves zeros: fallocate or populate. */
static int fill_zeros(struct agent_ctx *c, int how, char *m)
{
	struct ev e = { .kind = EV_FILL, .aux = how, .page = c->trigger, .npages = 1,
			.map = how == FILL_POPULATE ? AGENT_MAP : MAP_FILE_LEVEL,
			.value = CONTENT_ZERO, .actor = c->actor };
	size_t ps = c->b->page_size;
	int ret;

	if (how == FILL_POPULATE && !m)
		return -errno;
	c->tries++;
	e.t0 = ledger_stamp(c->l);
	if (how == FILL_FALLOCATE)
		ret = fallocate(c->b->fd, 0, (off_t)c->trigger * ps, ps);
	else
		ret = madvise(m + (size_t)c->trigger * ps, ps, MADV_POPULATE_WRITE);
	e.err = ret ? errno : 0;
	e.t1 = ledger_stamp(c->l);
	ledger_add(c->l, &e);
	c->ok += !e.err;
	return -e.err;
}

static int fill_fallocate(struct agent_ctx *c)
{
	return fill_zeros(c, FILL_FALLOCATE, NULL);
}

static int fill_populate(struct agent_ctx *c)
{
	return fill_zeros(c, FILL_POPULATE, fill_mapping(c));
}

/* Give khugepaged two more full scans, at most 200 ms. */
static void khugepaged_settle(struct agent_ctx *c)
{
	khugepaged_wait_scans(khugepaged_counter("full_scans"), 2, 200);
}

const struct collapse_agent_ops collapse_agents[AGENT_NR] = {
	[AGENT_MADV_OTHER] = {
		.name = "MADV_COLLAPSE(other mapping)",
		.attempt = other_attempt,
		.act = other_collapse_all,
	},
	[AGENT_MADV_SELF] = {
		.name = "MADV_COLLAPSE(registered mapping)",
		.attempt = self_attempt,
		.act = self_collapse_all,
	},
	[AGENT_MADV_PROCESS] = {
		.name = "MADV_COLLAPSE(other process)",
		.act = process_collapse_all,
	},
	[AGENT_KHUGEPAGED] = {
		.name = "khugepaged",
		.asynchronous = true,
		.prepare = khugepaged_prepare,
		.attempt = khugepaged_attempt,
		.act = khugepaged_collapse_all,
		.settle = khugepaged_settle,
	},
	[AGENT_MADV_FORK] = {
		.name = "MADV_COLLAPSE(forked copy of the registered mapping)",
		.act = fork_collapse_all,
	},
	[AGENT_FILL_LOAD] = {
		.name = "load through another VM_HUGEPAGE mapping",
		.fills = true, .act = fill_load,
	},
	[AGENT_FILL_STORE] = {
		.name = "store through another VM_HUGEPAGE mapping",
		.fills = true, .act = fill_store,
	},
	[AGENT_FILL_PROCESS] = {
		.name = "load in another process",
		.fills = true, .act = fill_process,
	},
	[AGENT_FILL_PWRITE] = {
		.name = "pwrite",
		.fills = true, .act = fill_pwrite,
	},
	[AGENT_FILL_FALLOCATE] = {
		.name = "fallocate",
		.fills = true, .act = fill_fallocate,
	},
	[AGENT_FILL_POPULATE] = {
		.name = "MADV_POPULATE_WRITE on another mapping",
		.fills = true, .act = fill_populate,
	},
};
