// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic contract tests: userfaultfd MODE_MISSING versus THP
 * collapse of the range.
 *
 * Once UFFDIO_REGISTER(MISSING) has returned, a page that userspace sees as
 * a hole must raise a MISSING fault when touched through the registered
 * mapping, whatever MADV_COLLAPSE or khugepaged do meanwhile; a page seen
 * as data must never raise one; and no byte of data may change.  Kernels
 * without "mm/khugepaged: skip shmem with userfaultfd" fill the holes with
 * the new huge page and the fault is lost.
 *
 * Each variant is one scenario: a backing, a collapse agent, a geometry of
 * registered mappings and a hole pattern.  Each test first runs the
 * scenario without registration (the control): if the collapse does not
 * happen on this kernel there is nothing to test and the test is SKIP.
 * Then it runs it registered, records everything in the ledger, and hands
 * the ledger to the oracle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "actors.h"
#include "agents.h"
#include "compat.h"
#include "content.h"
#include "khugepaged_ctl.h"
#include "ledger.h"
#include "oracle.h"
#include "probe.h"
#include "rng.h"
#include "shmem_backing.h"
#include "suite.h"
#include "thp_knobs.h"
#include "thp_settings.h"
#include "uffd_util.h"
#include "util.h"

enum geometry {
	GEO_WHOLE,	/* one VMA covering the huge range */
	GEO_PARTIAL,	/* one VMA over part of it, not from its first page */
	GEO_SEVERAL,	/* three VMAs, two userfaultfds */
	GEO_SPAN,	/* one VMA across two huge ranges */
	GEO_OTHER_PROC,	/* the registration lives in another process */
};

enum holes {
	HOLES_ONE,	/* a single data page */
	HOLES_SPARSE,	/* few data pages */
	HOLES_DENSE,	/* few holes */
	HOLES_TAIL,	/* holes only at the end */
	HOLES_ALL,	/* no data: a large folio can only go into an empty block */
	HOLES_BUDDY,	/* data only next to the fill's block: no larger folio fits */
};

/*
 * How an mTHP fill scenario gets one size below PMD allocated, size after
 * size: an index into mthp_ways[].
 */
enum mthp_way {
	MTHP_NONE,	/* not an mTHP scenario: PMD size */
	MTHP_KNOBS,	/* hugepages-<size>kB/shmem_enabled: that size alone */
	MTHP_NEIGHBOUR,	/* huge= allows every size: data leaves that one free */
};

/* Actor ids in the ledger. */
enum {
	ACT_MAIN = 1,
	ACT_HANDLER_A,
	ACT_HANDLER_B,
	ACT_CHILD,
	ACT_COLLAPSER,
};

#define GEN_POPULATE	1
#define GEN_COPY	7
#define GEN_STORE	9
#define MAX_VMAS	3
#define LEDGER_CAP	(1 << 18)
#define COLLAPSE_EAGAIN_TRIES 8

struct vma_spec {
	uint32_t first, npages;	/* file pages */
	int uffd;		/* which of the two userfaultfds */
};

/* One scenario, as set up and observed. */
struct run {
	const struct _fixture_variant_contract *v;
	struct backing b;
	struct ledger *l;
	struct rng rng;
	uint64_t seed;
	size_t ps;
	uint32_t hp;		/* pages per huge range */
	uint32_t nranges;	/* huge ranges the agent collapses */
	int nvma;
	struct vma_spec vma[MAX_VMAS];
	char *vaddr[MAX_VMAS];
	struct agent_ctx ac;	/* the collapse agent's view and tallies */
	int uffd[2];
	struct uffd_handler h[2];
	bool registered;
	uint32_t trigger;	/* fill agents: the hole page they allocate */
	uint32_t block;		/* pages of the folio size under test */

	/* what happened, for the report */
	uint32_t ranges_filled;
	long holes_seen;
	char handler_why[160];	/* a fault handler that died on its own */
	char why[256];
};

FIXTURE(contract) {
	struct run r;
	bool thp_pushed;	/* the setup's settings are on the stack */
};

/*
 * THP sysfs as main() found it, pushed there once and never popped (as
 * mm's khugepaged.c does: mm's pop writes the push below the one it drops).
 * Every test's settings start from it.
 */
static struct thp_settings thp_base;
static int thp_base_err;

FIXTURE_VARIANT(contract) {
	enum backing_kind backing;
	const char *huge;		/* tmpfs huge= under test */
	enum collapse_agent agent;
	enum geometry geo;
	enum holes holes;
	enum uffd_how how;
	enum uffd_resolve resolve;
	bool store;			/* touch by storing, not loading */
	/*
	 * shmem_enabled once populated (memfd, shared anon), for agents that
	 * need more than advise: write(2) allocates huge only under always
	 * or within_size.  NULL: advise throughout.
	 */
	const char *shmem;
	/*
	 * Fill agents: run once per shmem mTHP size the kernel offers, below
	 * PMD, that size chosen the way mthp_ways[] says.
	 */
	enum mthp_way mthp;
};

static const struct mthp_way_ops {
	/*
	 * Push hugepages-<size>kB/shmem_enabled with that size alone allowed,
	 * under the variant's shmem policy (allow_only_order()), instead of
	 * writing shmem_enabled once populated.
	 */
	bool per_size_knobs;
	/* The SKIP reason when no size got a large folio in the control. */
	const char *none;
} mthp_ways[] = {
	[MTHP_NONE] = { false, NULL },
	[MTHP_KNOBS] = { true,
		"no size got a large folio with its hugepages-<size>kB/shmem_enabled alone allowing it: the per-size knobs govern faults on anonymous shmem (a memfd, shared anonymous memory, an unlinked tmpfs file); a linked tmpfs file's faults follow huge= alone, PMD size only" },
	/*
	 * tmpfs huge=always|within_size (and memfd under shmem_enabled=) lets
	 * write(2) and fallocate(2) take any order, PMD first, then the
	 * largest whose block holds no page yet; the per-size knobs play no
	 * part.  With data in the buddy of the block of that size
	 * (HOLES_BUDDY), that size is the largest that fits.
	 */
	[MTHP_NEIGHBOUR] = { false,
		"no write next to data got a folio below the PMD size: this kernel's huge= allocates PMD size or one page (6.12); falling back through the smaller sizes came with \"mm: shmem: fix the strategy for the tmpfs 'huge=' options\" (6.18 has it)" },
};

/*
 * The geometries, as data: each registered VMA starts and ends at a whole
 * number of eighths of a huge range plus a page offset.
 */
struct vma_shape {
	int first8, first_pages;	/* start: eighths of a range + pages */
	int len8, len_pages;		/* length, the same way */
	int uffd;			/* which of the two userfaultfds */
};

static const struct geometry_shape {
	const char *name;
	uint32_t nranges;		/* huge ranges the agent collapses */
	bool other_proc;		/* registered by a child process */
	int nvma;
	struct vma_shape vma[MAX_VMAS];
} geometries[] = {
	[GEO_WHOLE] = { "whole range", 1, false, 1, { { 0, 0, 8, 0, 0 } } },
	[GEO_PARTIAL] = { "part of the range", 1, false, 1, { { 0, 37, 8, -37, 0 } } },
	[GEO_SEVERAL] = { "several VMAs", 1, false, 3,
			  { { 0, 0, 2, 0, 0 }, { 3, 0, 2, 0, 1 }, { 6, 0, 2, 0, 0 } } },
	[GEO_SPAN] = { "VMA across two ranges", 2, false, 1, { { 4, 0, 8, 0, 0 } } },
	[GEO_OTHER_PROC] = { "registered in another process", 1, true, 1,
			     { { 0, 0, 8, 0, 0 } } },
};

/* Hole patterns: is page i of a range data?  one: a page inside every VMA. */
static bool data_one(struct run *r, uint32_t i, uint32_t one)
{
	return i == one;
}

static bool data_sparse(struct run *r, uint32_t i, uint32_t one)
{
	return i % 16 == 3 || rng_below(&r->rng, 32) == 0;
}

static bool data_dense(struct run *r, uint32_t i, uint32_t one)
{
	return i % 32 != 5 && rng_below(&r->rng, 64) != 0;
}

static bool data_tail_holes(struct run *r, uint32_t i, uint32_t one)
{
	return i < r->hp - r->hp / 8;
}

static bool data_none(struct run *r, uint32_t i, uint32_t one)
{
	return false;
}

/*
 * Only the last page of the buddy of the fill's block (the last r->block
 * pages of the range, where the trigger is): every larger block holds
 * data.  No data at PMD size.
 */
static bool data_buddy(struct run *r, uint32_t i, uint32_t one)
{
	return r->block < r->hp && i == r->hp - 1 - r->block;
}

static const struct hole_pattern {
	const char *name;
	bool (*is_data)(struct run *r, uint32_t i, uint32_t one);
} hole_patterns[] = {
	[HOLES_ONE] = { "one data page", data_one },
	[HOLES_SPARSE] = { "sparse data", data_sparse },
	[HOLES_DENSE] = { "dense data", data_dense },
	[HOLES_TAIL] = { "holes at the end", data_tail_holes },
	[HOLES_ALL] = { "no data", data_none },
	[HOLES_BUDDY] = { "one data page, in the buddy of the fill's block", data_buddy },
};

static void geometry_layout(struct run *r)
{
	const struct geometry_shape *g = &geometries[r->v->geo];
	uint32_t eighth = r->hp / 8;
	int i;

	r->nranges = g->nranges;
	r->nvma = g->nvma;
	for (i = 0; i < g->nvma; i++) {
		const struct vma_shape *v = &g->vma[i];

		r->vma[i] = (struct vma_spec){
			.first = v->first8 * eighth + v->first_pages,
			.npages = v->len8 * eighth + v->len_pages,
			.uffd = v->uffd,
		};
	}
}

static int populate(struct run *r)
{
	uint32_t range, i, one;
	int ret;

	for (range = 0; range < r->nranges; range++) {
		/* Inside every VMA layout, so each registration has data too. */
		one = 40 + rng_below(&r->rng, r->hp / 8);
		for (i = 0; i < r->hp; i++) {
			if (!hole_patterns[r->v->holes].is_data(r, i, one)) {
				/* A fill agent allocates the last hole of range 0. */
				if (!range)
					r->trigger = i;
				continue;
			}
			ret = backing_fill(&r->b, range * r->hp + i, GEN_POPULATE,
					   r->l, ACT_MAIN);
			if (ret)
				return ret;
		}
	}
	/*
	 * Only now: under always, the first pwrite would fill the range.
	 * (mTHP scenarios by per-size knobs set the policy of their one size
	 * instead.)
	 */
	if (r->v->shmem && !mthp_ways[r->v->mthp].per_size_knobs) {
		ret = thp_write("shmem_enabled", r->v->shmem);
		if (ret)
			return ret;
	}
	return backing_ready(&r->b);
}

static uint32_t ranges_filled(struct run *r)
{
	uint32_t range, n = 0;

	/* Collapse happened when the huge range has no hole left. */
	for (range = 0; range < r->nranges; range++)
		n += backing_filled(&r->b, range * r->hp, r->hp);
	return n;
}

static int map_vmas(struct run *r)
{
	int i;

	for (i = 0; i < r->nvma; i++) {
		r->vaddr[i] = backing_map(&r->b, (size_t)r->vma[i].first * r->ps,
					  (size_t)r->vma[i].npages * r->ps);
		if (!r->vaddr[i])
			return -errno;
	}
	return 0;
}

static int register_vmas(struct run *r, uint16_t actor)
{
	uint64_t want = UFFD_FEATURE_MISSING_SHMEM;
	int i, u, ret;

	for (u = 0; u < 2; u++) {
		r->uffd[u] = uffd_open(r->v->how, want, NULL);
		if (r->uffd[u] < 0) {
			snprintf(r->why, sizeof(r->why), "userfaultfd (%s): %s",
				 r->v->how == UFFD_VIA_DEV ? "/dev/userfaultfd" : "syscall",
				 strerror(-r->uffd[u]));
			return r->uffd[u];
		}
		r->h[u] = (struct uffd_handler){
			.uffd = r->uffd[u], .l = r->l, .resolve = r->v->resolve,
			.resolve_gen = GEN_COPY, .page_size = r->ps,
			.actor = u ? ACT_HANDLER_B : ACT_HANDLER_A,
			/* Test-only: the handler dies at its first fault. */
			.inject_exit_at_fault = !strcmp(getenv("UFFDC_INJECT") ?: "", "handler-exit"),
		};
	}
	for (i = 0; i < r->nvma; i++) {
		u = r->vma[i].uffd;
		ret = uffd_register_missing(r->uffd[u], r->vaddr[i],
					    (size_t)r->vma[i].npages * r->ps,
					    r->vma[i].first, i + 1, r->l, actor);
		if (ret) {
			snprintf(r->why, sizeof(r->why), "UFFDIO_REGISTER MISSING on %s: %s",
				 backing_name(r->b.kind), strerror(-ret));
			return ret;
		}
		uffd_handler_add_region(&r->h[u], r->vaddr[i],
					(size_t)r->vma[i].npages * r->ps,
					r->vma[i].first, i + 1);
	}
	for (u = 0; u < 2; u++) {
		ret = uffd_handler_start(&r->h[u]);
		if (ret)
			return ret;
	}
	r->registered = true;
	return 0;
}

static void stop_handlers(struct run *r)
{
	int u;

	if (!r->registered)
		return;
	for (u = 0; u < 2; u++) {
		uffd_handler_stop(&r->h[u]);
		/* After the join: a handler that died has said so by now. */
		if (uffd_handler_died(&r->h[u]) && !r->handler_why[0])
			uffd_handler_why(&r->h[u], r->handler_why, sizeof(r->handler_why));
		close(r->uffd[u]);
	}
	r->registered = false;
}

/* File level SEEK probes of every page, and per mapping residency. */
static long probe_all(struct run *r, uint16_t actor)
{
	struct probe_target t;
	long holes = 0, n;
	int i;

	for (i = 0; i < r->nvma; i++) {
		unsigned int methods = backing_probes(&r->b);

		probe_open(&t, r->b.fd, r->vaddr[i], r->vma[i].first, i + 1);
		n = probe_range(&t, methods, r->vma[i].first, r->vma[i].npages,
				r->l, actor);
		probe_close(&t);
		if (n < 0)
			return n;
		holes += n;
	}
	return holes;
}

static void touch_all(struct run *r, uint16_t actor)
{
	int i;

	for (i = 0; i < r->nvma; i++)
		touch_range(r->l, r->vaddr[i], r->vma[i].first, r->vma[i].npages, i + 1,
			    actor, r->v->store ? TOUCH_STORE : TOUCH_LOAD, GEN_STORE);
}

static void read_all(struct run *r)
{
	read_range(r->l, &r->b, 0, r->nranges * r->hp, ACT_MAIN);
}

/*
 * The variant's agent over every huge range of the scenario; min_scans:
 * for khugepaged, the full scans to wait for at least (0: until filled).
 */
static int collapse(struct run *r, long min_scans)
{
	struct agent_ctx *c = &r->ac;

	c->l = r->l;
	c->b = &r->b;
	c->self = r->vaddr[0];
	c->hp = r->hp;
	c->nranges = r->nranges;
	c->actor = ACT_MAIN;
	c->eagain_tries = COLLAPSE_EAGAIN_TRIES;
	c->min_scans = min_scans;
	c->trigger = r->trigger;
	c->block = r->block;
	c->gen = GEN_STORE + 1;
	return agent_act(c, r->v->agent);
}

static void run_reset(struct run *r)
{
	int i;

	stop_handlers(r);
	for (i = 0; i < r->nvma; i++)
		backing_unmap(&r->b, r->vaddr[i], (size_t)r->vma[i].npages * r->ps);
	memset(r->vaddr, 0, sizeof(r->vaddr));
	agent_ctx_reset(&r->ac);
	backing_close(&r->b);
	if (r->v->shmem && !mthp_ways[r->v->mthp].per_size_knobs)
		thp_write("shmem_enabled", "advise");
	ledger_reset(r->l);
}

static int open_backing(struct run *r)
{
	return backing_open(&r->b, r->v->backing, r->v->huge,
			    2 * thp_pmd_size(), r->why, sizeof(r->why));
}

/*
 * The registered part of the scenario, as one process or, for
 * GEO_OTHER_PROC, as a child that registers, probes, waits for the
 * collapse, probes and touches.
 */
static int registered_child(struct run *r, int ready_fd, int go_fd)
{
	char c = 0;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ret = map_vmas(r);
	if (!ret)
		ret = register_vmas(r, ACT_CHILD);
	if (!ret)
		r->holes_seen = probe_all(r, ACT_CHILD);
	c = ret ? 'E' : 'R';
	if (write(ready_fd, &c, 1) != 1 || ret)
		_exit(2);
	if (read(go_fd, &c, 1) != 1)
		_exit(3);
	probe_all(r, ACT_CHILD);
	touch_all(r, ACT_CHILD);
	stop_handlers(r);
	/* The parent cannot see our counters: report them by exit code. */
	if (r->handler_why[0]) {
		fprintf(stderr, "# child: %s\n", r->handler_why);
		_exit(5);
	}
	_exit(r->holes_seen > 0 ? 0 : 4);
}

static int wait_byte(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	if (read(fd, &c, 1) != 1)
		return -EPIPE;
	return c;
}

FIXTURE_SETUP(contract)
{
	struct run *r = &self->r;
	struct thp_settings settings = thp_base;
	int order = thp_pmd_order(), ret;

	memset(r, 0, sizeof(*r));
	r->v = variant;
	r->b.fd = -1;
	r->ps = getpagesize();
	if (!thp_available())
		SKIP(return, "no THP sysfs: kernel built without TRANSPARENT_HUGEPAGE");
	if (thp_base_err)
		SKIP(return, "cannot take THP sysfs settings as the base: %s",
		     strerror(-thp_base_err));
	r->hp = thp_pmd_size() / r->ps;
	settings.thp_enabled = THP_MADVISE;
	settings.thp_defrag = THP_DEFRAG_MADVISE;
	settings.shmem_enabled = SHMEM_ADVISE;
	/*
	 * Other agents' tests must not race a fast khugepaged, nor a scan
	 * still running from a khugepaged test (our mm stays on its list):
	 * with max_ptes_none 0 it collapses no range with a hole, which
	 * MADV_COLLAPSE ignores.
	 */
	settings.khugepaged.scan_sleep_millisecs = 100000;
	settings.khugepaged.pages_to_scan = 8;
	settings.khugepaged.max_ptes_none = 0;
	/* The PMD size follows the top-level knobs (6.8+ have per-size ones). */
	if (order >= 0 && order < NR_ORDERS) {
		settings.hugepages[order].enabled = THP_INHERIT;
		settings.shmem_hugepages[order].enabled = SHMEM_INHERIT;
	}
	ret = thp_push_settings(&settings);
	if (ret)
		SKIP(return, "cannot write THP sysfs settings: %s", strerror(-ret));
	self->thp_pushed = true;
	r->l = ledger_create(LEDGER_CAP);
	ASSERT_NE(NULL, r->l);
	r->seed = rng_run_seed();
	rng_seed(&r->rng, r->seed);
	geometry_layout(r);
	r->block = r->hp;
}

FIXTURE_TEARDOWN(contract)
{
	run_reset(&self->r);
	ledger_destroy(self->r.l);
	if (self->thp_pushed)
		EXPECT_EQ(0, thp_pop_settings());
}

static void print_exercised(struct __test_metadata *_metadata, struct run *r,
			    const char *phase, const struct verdict *vd)
{
	uint64_t c[EV_NR_KINDS], i, n = ledger_count(r->l);
	uint64_t copies = 0, eexist = 0;

	/* From the ledger: the registration may have lived in a child. */
	ledger_counts(r->l, c);
	for (i = 0; i < n; i++) {
		const struct ev *e = &r->l->ev[i];

		if (e->kind != EV_FILL || e->aux < FILL_UFFD_COPY)
			continue;
		copies += !e->err;
		eexist += e->err == EEXIST;
	}
	TH_LOG("%s: registrations=%llu probes=%llu (holes seen after registration: %ld) collapses tried=%d ok=%d (last error %s) ranges filled=%u/%u khugepaged full scans=%ld faults=%llu resolved=%llu eexist=%llu touches=%llu reads=%llu violations=%u",
	       phase, (unsigned long long)c[EV_REGISTER], (unsigned long long)c[EV_PROBE],
	       r->holes_seen, r->ac.tries, r->ac.ok,
	       r->ac.last_err ? strerror(r->ac.last_err) : "none",
	       r->ranges_filled, r->nranges, r->ac.scans,
	       (unsigned long long)c[EV_FAULT], (unsigned long long)copies,
	       (unsigned long long)eexist, (unsigned long long)c[EV_TOUCH],
	       (unsigned long long)c[EV_READ], vd ? vd->total : 0);
}

/* How one run of the scenario ended, when it did not fail (ASSERT). */
enum outcome {
	OUT_PASS,
	OUT_SKIP,		/* nothing to test; why in r->why */
	OUT_XFAIL,		/* only fill-on-alloc, and not strict */
};

/* An outcome with its reason in r->why, which the reason may quote. */
static enum outcome __printf(3, 4)
out(struct run *r, enum outcome o, const char *fmt, ...)
{
	char why[2 * sizeof(r->why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	memcpy(r->why, why, sizeof(r->why) - 1);
	r->why[sizeof(r->why) - 1] = 0;
	return o;
}

/*
 * The control, then the registered run, judged.  A failure ends the test
 * from here (ASSERT); a skip or a fenced gap is returned with its reason.
 */
static enum outcome run_scenario(struct __test_metadata *_metadata, struct run *r,
				 const FIXTURE_VARIANT(contract) *variant, struct verdict *vd)
{
	struct oracle_opts oo = { .page_size = r->ps };
	long scans, ret, err;
	int ready[2], go[2], status, c;
	pid_t child = 0;

	rng_seed(&r->rng, r->seed);

	/* (d) The control: does this kernel collapse the scenario at all? */
	ret = open_backing(r);
	if (ret)
		return out(r, OUT_SKIP, "control: cannot create %s backing: %s",
			   backing_name(variant->backing), r->why);
	ASSERT_EQ(0, populate(r));
	ASSERT_EQ(0, map_vmas(r));
	err = collapse(r, 0);
	scans = r->ac.scans;
	r->ranges_filled = ranges_filled(r);
	print_exercised(_metadata, r, "control (no registration)", NULL);
	if (agent_ops(variant->agent)->fills && !agent_landed(&r->ac, variant->agent))
		return out(r, OUT_SKIP, "control: %s of page %u allocated %ld page(s), not one %u KiB folio around it, without any registration (%s): this kernel does not allocate one here, nothing to test",
		     agent_name(variant->agent), r->trigger, r->ac.allocated,
		     r->block * (unsigned int)(r->ps / 1024),
		     err ? strerror(-err) : "no error");
	if (r->ranges_filled < r->nranges && !agent_ops(variant->agent)->fills)
		return out(r, OUT_SKIP, "control: %s filled %u of %u huge ranges without any registration (last error: %s): this kernel does not collapse the scenario, nothing to test",
		     agent_name(variant->agent), r->ranges_filled, r->nranges,
		     r->ac.last_err ? strerror(r->ac.last_err) :
		     err == -ETIMEDOUT ? "timed out" : err ? strerror(-err) : "none");
	run_reset(r);
	rng_seed(&r->rng, r->seed);

	/* The registered run. */
	ASSERT_EQ(0, open_backing(r));
	ASSERT_EQ(0, populate(r));
	if (geometries[variant->geo].other_proc) {
		ASSERT_EQ(0, pipe(ready));
		ASSERT_EQ(0, pipe(go));
		child = fork();
		ASSERT_LE(0, child);
		if (!child)
			registered_child(r, ready[1], go[0]);
		c = wait_byte(ready[0], 20000);
		if (c != 'R') {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			return out(r, OUT_SKIP, "registration in the child failed (%d): see its log", c);
		}
	} else {
		ASSERT_EQ(0, map_vmas(r));
		ret = register_vmas(r, ACT_MAIN);
		if (ret == -EINVAL || ret == -ENOSYS || ret == -EPERM || ret == -ENOENT)
			return out(r, OUT_SKIP, "%s", r->why);
		ASSERT_EQ(0, ret) TH_LOG("%s", r->why);
		r->holes_seen = probe_all(r, ACT_MAIN);
		ASSERT_LE(0, r->holes_seen);
	}

	/* Wait at least one full scan longer than the control needed. */
	ret = collapse(r, scans > 0 ? scans + 1 : 2);
	if (agent_ops(variant->agent)->asynchronous && ret == -ETIMEDOUT)
		return out(r, OUT_SKIP, "%s did not act within its timeout",
		     agent_name(variant->agent));
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", agent_name(variant->agent), strerror(-ret));
	r->ranges_filled = ranges_filled(r);

	if (child) {
		ASSERT_EQ(1, write(go[1], "G", 1));
		ASSERT_EQ(child, waitpid(child, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_NE(2, WEXITSTATUS(status));
		/* Its fault handler died: touches went unresolved, judge nothing. */
		ASSERT_NE(5, WEXITSTATUS(status));
		r->holes_seen = WEXITSTATUS(status) == 0 ? 1 : 0;
	} else {
		probe_all(r, ACT_MAIN);
		touch_all(r, ACT_MAIN);
		stop_handlers(r);
		if (r->handler_why[0])
			TH_LOG("%s", r->handler_why);
		ASSERT_EQ(0, r->handler_why[0]);
	}
	read_all(r);

	oo.mincore_hole_is_evidence = !system_has_swap();
	oo.block_pages = r->hp;
	oracle_judge(r->l, &oo, vd);
	print_exercised(_metadata, r, "registered run", vd);
	if (vd->total || vd->unjudgeable)
		oracle_report(stderr, r->l, &oo, vd);
	ASSERT_FALSE(vd->unjudgeable);
	/* A known gap, fenced: expected to fail, unless UFFDC_STRICT=1. */
	if (verdict_only(vd, V_FILL_ON_ALLOC) && !suite_strict())
		return out(r, OUT_XFAIL, "%u registered hole(s) filled with no MISSING fault by a %u KiB folio allocated for page %u (%s)",
		    vd->count[V_FILL_ON_ALLOC], r->block * (unsigned int)(r->ps / 1024),
		    r->trigger, agent_name(variant->agent));
	ASSERT_EQ(0, vd->total);
	if (!r->holes_seen)
		return out(r, OUT_SKIP, "no page was seen as a hole after registration: nothing to test");
	return OUT_PASS;
}

static void log_scenario(struct __test_metadata *_metadata, struct run *r,
			 const FIXTURE_VARIANT(contract) *variant)
{
	TH_LOG("seed=%llu backing=%s%s%s agent=%s geometry=%s holes=%s uffd=%s resolve=%s folio=%u KiB",
	       (unsigned long long)r->seed, backing_name(variant->backing),
	       variant->huge ? " huge=" : "", variant->huge ?: "",
	       agent_name(variant->agent), geometries[variant->geo].name,
	       hole_patterns[variant->holes].name,
	       variant->how == UFFD_VIA_DEV ? "/dev/userfaultfd" : "syscall",
	       variant->resolve == RESOLVE_COPY ? "UFFDIO_COPY" : "UFFDIO_ZEROPAGE",
	       r->block * (unsigned int)(r->ps / 1024));
}

/*
 * Only the shmem folio size of this order allowed, under the variant's
 * shmem policy (advise unless it says otherwise).
 */
static int allow_only_order(const FIXTURE_VARIANT(contract) *variant, int order)
{
	struct thp_settings ts = *thp_current_settings();
	enum shmem_enabled policy = SHMEM_ADVISE;
	int o;

	if (variant->shmem && !strcmp(variant->shmem, "always"))
		policy = SHMEM_ALWAYS;
	else if (variant->shmem && !strcmp(variant->shmem, "within_size"))
		policy = SHMEM_WITHIN_SIZE;
	for (o = 0; o < NR_ORDERS; o++)
		ts.shmem_hugepages[o].enabled = o == order ? policy : SHMEM_NEVER;
	return thp_push_settings(&ts);
}

TEST_F_TIMEOUT(contract, missing_faults, 300)
{
	struct run *r = &self->r;
	const struct mthp_way_ops *way = &mthp_ways[variant->mthp];
	unsigned long orders = variant->mthp ? thp_shmem_supported_orders() : 0;
	unsigned int tried = 0, xfails = 0, kb;
	char done[512] = "", skipped[512] = "";
	enum outcome o;
	struct verdict vd;
	int order;

	if (!variant->mthp) {
		log_scenario(_metadata, r, variant);
		o = run_scenario(_metadata, r, variant, &vd);
		if (o == OUT_SKIP)
			SKIP(return, "%s", r->why);
		if (o == OUT_XFAIL)
			XFAIL(return, "fill-on-alloc: %s; docs/findings/fill-on-alloc.md, UFFDC_STRICT=1 fails",
			      r->why);
		return;
	}
	/* Every shmem mTHP size the kernel offers, one after the other. */
	orders &= ~(1UL << thp_pmd_order()) & ~1UL;
	if (!orders)
		SKIP(return, "no hugepages-<size>kB/shmem_enabled below the PMD size: this kernel has no shmem mTHP");
	for (order = 1; order < NR_ORDERS; order++) {
		if (!(orders & (1UL << order)))
			continue;
		kb = (r->ps / 1024) << order;
		if (way->per_size_knobs)
			ASSERT_EQ(0, allow_only_order(variant, order));
		run_reset(r);
		r->block = 1u << order;
		log_scenario(_metadata, r, variant);
		o = run_scenario(_metadata, r, variant, &vd);
		if (way->per_size_knobs)
			ASSERT_EQ(0, thp_pop_settings());
		if (o == OUT_SKIP) {
			TH_LOG("%u KiB: SKIP %s", kb, r->why);
			snprintf(skipped + strlen(skipped), sizeof(skipped) - strlen(skipped),
				 " %u", kb);
			continue;
		}
		tried++;
		xfails += o == OUT_XFAIL;
		TH_LOG("%u KiB: %s%s", kb, o == OUT_XFAIL ? "XFAIL fill-on-alloc: " : "PASS",
		       o == OUT_XFAIL ? r->why : "");
		snprintf(done + strlen(done), sizeof(done) - strlen(done), " %u%s", kb,
			 o == OUT_XFAIL ? "(fill-on-alloc)" : "");
	}
	if (!tried)
		SKIP(return, "%s (control, KiB:%s)", way->none, skipped);
	if (xfails)
		XFAIL(return, "fill-on-alloc at %u of %u mTHP sizes (KiB:%s%s%s); docs/findings/fill-on-alloc.md, UFFDC_STRICT=1 fails",
		      xfails, tried, done, skipped[0] ? "; no large folio at" : "", skipped);
}

/*
 * The variant table: every axis value appears at least once with the
 * others at their most common setting, plus the combinations that differ
 * in how the kernel finds the registration (partial, several, spanning,
 * another process).
 */
FIXTURE_VARIANT_ADD(contract, memfd_madv_other_whole_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_whole_one) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_ONE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_whole_dense) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_DENSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_whole_tail) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_TAIL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_self_whole_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_SELF,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_process_whole_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_PROCESS,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_khugepaged_whole_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_KHUGEPAGED,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_fork_whole_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_FORK,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

/*
 * Fill agents: the huge page comes from an allocation of one hole page
 * through something other than the registered mapping (fill-on-alloc).
 */
FIXTURE_VARIANT_ADD(contract, memfd_fill_load) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_LOAD,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_fill_store) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_STORE,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_fill_process) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_PROCESS,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_fill_populate) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_POPULATE,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_always_fill_pwrite) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_PWRITE,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY, .shmem = "always",
};

FIXTURE_VARIANT_ADD(contract, memfd_within_size_fill_pwrite) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_PWRITE,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY, .shmem = "within_size",
};

FIXTURE_VARIANT_ADD(contract, memfd_always_fill_fallocate) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_FALLOCATE,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY, .shmem = "always",
};

FIXTURE_VARIANT_ADD(contract, tmpfs_always_fill_pwrite) {
	.backing = BK_TMPFS, .huge = "always", .agent = AGENT_FILL_PWRITE,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_within_size_fill_fallocate) {
	.backing = BK_TMPFS, .huge = "within_size", .agent = AGENT_FILL_FALLOCATE,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_advise_fill_load) {
	.backing = BK_TMPFS, .huge = "advise", .agent = AGENT_FILL_LOAD,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_mthp_fill_load) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_LOAD, .mthp = MTHP_KNOBS,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

/* tmpfs: the size by the per-size knobs (faults) or by neighbouring data (writes). */
FIXTURE_VARIANT_ADD(contract, tmpfs_advise_mthp_fill_load) {
	.backing = BK_TMPFS, .huge = "advise", .agent = AGENT_FILL_LOAD,
	.mthp = MTHP_KNOBS, .geo = GEO_WHOLE, .holes = HOLES_ALL,
	.how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_linked_advise_fill_load) {
	.backing = BK_TMPFS_LINKED, .huge = "advise", .agent = AGENT_FILL_LOAD,
	.geo = GEO_WHOLE, .holes = HOLES_ALL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_linked_advise_mthp_fill_load) {
	.backing = BK_TMPFS_LINKED, .huge = "advise", .agent = AGENT_FILL_LOAD,
	.mthp = MTHP_KNOBS, .geo = GEO_WHOLE, .holes = HOLES_ALL,
	.how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_always_mthp_fill_pwrite) {
	.backing = BK_TMPFS, .huge = "always", .agent = AGENT_FILL_PWRITE,
	.mthp = MTHP_NEIGHBOUR, .geo = GEO_WHOLE, .holes = HOLES_BUDDY,
	.how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_within_size_mthp_fill_fallocate) {
	.backing = BK_TMPFS, .huge = "within_size", .agent = AGENT_FILL_FALLOCATE,
	.mthp = MTHP_NEIGHBOUR, .geo = GEO_WHOLE, .holes = HOLES_BUDDY,
	.how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_always_mthp_fill_pwrite) {
	.backing = BK_MEMFD, .agent = AGENT_FILL_PWRITE, .shmem = "always",
	.mthp = MTHP_NEIGHBOUR, .geo = GEO_WHOLE, .holes = HOLES_BUDDY,
	.how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_partial_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_PARTIAL, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_several_dense) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_SEVERAL, .holes = HOLES_DENSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_span_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_SPAN, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_otherproc_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_OTHER_PROC, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_process_otherproc_one) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_PROCESS,
	.geo = GEO_OTHER_PROC, .holes = HOLES_ONE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_whole_sparse_store) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_WHOLE,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.store = true,
};

FIXTURE_VARIANT_ADD(contract, memfd_dev_zeropage_whole_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_DEV,
	.resolve = RESOLVE_ZEROPAGE,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_advise_madv_other_whole_sparse) {
	.backing = BK_TMPFS, .huge = "advise", .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_within_size_madv_other_whole_tail) {
	.backing = BK_TMPFS, .huge = "within_size", .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_TAIL, .how = UFFD_VIA_DEV,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_always_madv_self_whole_dense) {
	.backing = BK_TMPFS, .huge = "always", .agent = AGENT_MADV_SELF,
	.geo = GEO_WHOLE, .holes = HOLES_DENSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_advise_khugepaged_partial_one) {
	.backing = BK_TMPFS, .huge = "advise", .agent = AGENT_KHUGEPAGED,
	.geo = GEO_PARTIAL, .holes = HOLES_ONE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, shm_anon_madv_other_whole_sparse) {
	.backing = BK_SHM_ANON, .agent = AGENT_MADV_OTHER,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, shm_anon_madv_self_whole_dense) {
	.backing = BK_SHM_ANON, .agent = AGENT_MADV_SELF,
	.geo = GEO_WHOLE, .holes = HOLES_DENSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, shm_anon_khugepaged_several_tail) {
	.backing = BK_SHM_ANON, .agent = AGENT_KHUGEPAGED,
	.geo = GEO_SEVERAL, .holes = HOLES_TAIL, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, private_anon_madv_self_whole_sparse) {
	.backing = BK_ANON_PRIVATE, .agent = AGENT_MADV_SELF,
	.geo = GEO_WHOLE, .holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, private_anon_khugepaged_whole_dense) {
	.backing = BK_ANON_PRIVATE, .agent = AGENT_KHUGEPAGED,
	.geo = GEO_WHOLE, .holes = HOLES_DENSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

int main(int argc, char **argv)
{
	/* Owned and saved once here, restored on every way out (thp_settings.h). */
	int ret = suite_prepare("uffd_collapse_contract");

	if (ret)
		return ret;
	thp_base_err = thp_read_settings(&thp_base);
	if (!thp_base_err)
		thp_base_err = thp_push_settings(&thp_base);
	return test_harness_run(argc, argv);
}
