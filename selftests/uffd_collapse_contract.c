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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
	GEO_PRIVATE,	/* MAP_PRIVATE of the file */
	GEO_ANCHOR,	/* the MAP_SHARED | MAP_ANONYMOUS mapping itself */
	GEO_MOVED,	/* registered after mremap() moved it */
	GEO_GROWN,	/* registered after mremap() grew it in place */
	GEO_SPLIT,	/* registered across the three VMAs mprotect() made */
	GEO_FORK,	/* registered by a child on its copy, after fork() */
	GEO_FORK_EVENT,	/* a child's copy, registered by fork() (EVENT_FORK) */
};

/*
 * How the registered VMAs are made: an index into map_ways[].  The
 * registration comes after all of it.
 */
enum map_way {
	MW_SHARED,	/* mmap(MAP_SHARED) of the file (backing_map()) */
	MW_PRIVATE,	/* mmap(MAP_PRIVATE) of the file */
	MW_ANCHOR,	/* the anchor: the MAP_SHARED | MAP_ANONYMOUS VMA itself */
	MW_MOVED,	/* MAP_SHARED, then moved by mremap() to another address */
	MW_GROWN,	/* MAP_SHARED of its first half, grown in place by mremap() */
	MW_SPLIT,	/* MAP_SHARED, its middle quarter mprotect()ed PROT_EXEC */
};

/* Who holds the registration that is judged. */
enum registrar {
	REG_HERE,	/* this process, on the VMAs it mapped */
	REG_OTHER_PROC,	/* a child that maps and registers VMAs of its own */
	/*
	 * A child forked after we registered without UFFD_FEATURE_EVENT_FORK
	 * (the kernel drops the registration from its copies, 6.12
	 * dup_userfaultfd()) registers its copies itself; then we unregister
	 * ours, so that only the child's registration keeps the holes.
	 */
	REG_FORK,
	/*
	 * We registered with UFFD_FEATURE_EVENT_FORK: fork() registers the
	 * child's copies with a new userfaultfd that the fork event hands to
	 * our handler, which serves the child's faults; then we unregister
	 * ours, so that only the inherited registration keeps the holes.
	 */
	REG_FORK_EVENT,
};

/*
 * The spurious-fault side: the range has no hole when the collapse runs,
 * so the collapse must succeed, and then no access through the registered
 * mapping, by any path, may raise a MISSING fault.
 */
enum spurious {
	SPUR_NO,	/* the lost-fault side: holes, collapse, touch */
	SPUR_NOHOLE,	/* populated without a hole */
	SPUR_COPIED,	/* its holes filled by UFFDIO_COPY after registration */
};

enum holes {
	HOLES_ONE,	/* a single data page */
	HOLES_SPARSE,	/* few data pages */
	HOLES_DENSE,	/* few holes */
	HOLES_TAIL,	/* holes only at the end */
	HOLES_ALL,	/* no data: a large folio can only go into an empty block */
	HOLES_BUDDY,	/* data only next to the fill's block: no larger folio fits */
	HOLES_NONE,	/* every page data */
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
#define CHILD_MAP_BASE	100	/* a forked child's map ids: ours + this */
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
	uint8_t *hole;		/* per file page: populate() left it a hole */
	uint16_t map_base;	/* map ids are map_base + VMA index + 1 */
	uint64_t fork_t0;	/* stamp before fork(): inherited registrations began */

	/* what happened, for the report */
	uint32_t ranges_filled;
	uint32_t ranges_huge;	/* spurious: ranges found one huge page */
	long holes_seen;
	char paths[320];	/* spurious: the access paths run (faults), and missing */
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
	enum spurious spurious;
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
	enum registrar who;		/* who registers */
	enum map_way way;		/* how the VMAs are made */
	int nvma;
	struct vma_shape vma[MAX_VMAS];
} geometries[] = {
	[GEO_WHOLE] = { "whole range", 1, REG_HERE, MW_SHARED, 1, { { 0, 0, 8, 0, 0 } } },
	[GEO_PARTIAL] = { "part of the range", 1, REG_HERE, MW_SHARED, 1,
			  { { 0, 37, 8, -37, 0 } } },
	[GEO_SEVERAL] = { "several VMAs", 1, REG_HERE, MW_SHARED, 3,
			  { { 0, 0, 2, 0, 0 }, { 3, 0, 2, 0, 1 }, { 6, 0, 2, 0, 0 } } },
	[GEO_SPAN] = { "VMA across two ranges", 2, REG_HERE, MW_SHARED, 1,
		       { { 4, 0, 8, 0, 0 } } },
	[GEO_OTHER_PROC] = { "registered in another process", 1, REG_OTHER_PROC, MW_SHARED, 1,
			     { { 0, 0, 8, 0, 0 } } },
	[GEO_PRIVATE] = { "MAP_PRIVATE", 1, REG_HERE, MW_PRIVATE, 1, { { 0, 0, 8, 0, 0 } } },
	[GEO_ANCHOR] = { "the MAP_SHARED|MAP_ANONYMOUS VMA", 1, REG_HERE, MW_ANCHOR, 1,
			 { { 0, 0, 8, 0, 0 } } },
	[GEO_MOVED] = { "moved by mremap", 1, REG_HERE, MW_MOVED, 1, { { 0, 0, 8, 0, 0 } } },
	[GEO_GROWN] = { "grown by mremap", 1, REG_HERE, MW_GROWN, 1, { { 0, 0, 8, 0, 0 } } },
	[GEO_SPLIT] = { "split by mprotect", 1, REG_HERE, MW_SPLIT, 1, { { 0, 0, 8, 0, 0 } } },
	[GEO_FORK] = { "a fork's copy, registered by the child", 1, REG_FORK, MW_SHARED, 1,
		       { { 0, 0, 8, 0, 0 } } },
	[GEO_FORK_EVENT] = { "a fork's copy, registered by EVENT_FORK", 1, REG_FORK_EVENT,
			     MW_SHARED, 1, { { 0, 0, 8, 0, 0 } } },
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

static bool data_all(struct run *r, uint32_t i, uint32_t one)
{
	return true;
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
	[HOLES_NONE] = { "no hole", data_all },
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

/*
 * The ways to make the registered VMAs (map_ways[]): each maps file pages
 * [off, off + len) somewhere and returns the address, or NULL with errno.
 * Each placement keeps PMD-aligned file offsets on PMD-aligned addresses.
 */
static void *map_shared(struct run *r, size_t off, size_t len)
{
	return backing_map(&r->b, off, len);
}

static void *map_private(struct run *r, size_t off, size_t len)
{
	return backing_map_private(&r->b, off, len);
}

static void *map_anchor(struct run *r, size_t off, size_t len)
{
	return backing_anchor(&r->b, off, len);
}

/* Mapped, then moved whole to a new place by mremap(MREMAP_FIXED). */
static void *map_moved(struct run *r, size_t off, size_t len)
{
	char *old = backing_map(&r->b, off, len), *dst, *got;

	if (!old)
		return NULL;
	dst = backing_reserve(&r->b, off, len);
	if (!dst) {
		backing_unmap(&r->b, old, len);
		return NULL;
	}
	got = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (got == MAP_FAILED) {
		backing_unmap(&r->b, old, len);
		munmap(dst, len);
		return NULL;
	}
	return got;
}

/* Its first half mapped, then grown in place to len by mremap() (no MAYMOVE). */
static void *map_grown(struct run *r, size_t off, size_t len)
{
	size_t half = len / 2 / r->ps * r->ps;
	char *addr = backing_reserve(&r->b, off, len);

	if (!addr)
		return NULL;
	if (mmap(addr, half, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, r->b.fd,
		 off) == MAP_FAILED)
		goto fail;
	/* Room to grow into: nothing else of ours maps meanwhile. */
	munmap(addr + half, len - half);
	if (mremap(addr, half, len, 0) != addr)
		goto fail;
	return addr;
fail:
	munmap(addr, len);
	return NULL;
}

/*
 * Mapped, then its pages from 3/8 to 5/8 mprotect()ed PROT_EXEC (still
 * writable, as every access path needs): three VMAs, one registration.
 */
static void *map_split(struct run *r, size_t off, size_t len)
{
	size_t pages = len / r->ps;
	char *addr = backing_map(&r->b, off, len);

	if (!addr)
		return NULL;
	if (mprotect(addr + pages * 3 / 8 * r->ps, (pages * 5 / 8 - pages * 3 / 8) * r->ps,
		     PROT_READ | PROT_WRITE | PROT_EXEC)) {
		backing_unmap(&r->b, addr, len);
		return NULL;
	}
	return addr;
}

static void unmap_backing(struct run *r, void *addr, size_t len)
{
	backing_unmap(&r->b, addr, len);
}

static void unmap_munmap(struct run *r, void *addr, size_t len)
{
	munmap(addr, len);
}

/* The anchor goes with the backing (backing_close()). */
static void unmap_none(struct run *r, void *addr, size_t len)
{
}

/*
 * What MISSING means on each mapping, as modelled here (6.12.117 code):
 *
 * - Registration: vma_can_userfault() (include/linux/userfaultfd_k.h)
 *   accepts any vma_is_shmem() VMA, shared or private: shmem_mmap() gives
 *   every mapping of a shmem file shmem_vm_ops (linked) or
 *   shmem_anon_vm_ops (unlinked: a memfd), and shmem_zero_setup() gives
 *   MAP_SHARED | MAP_ANONYMOUS the latter; mremap() and mprotect() keep
 *   them, and UFFDIO_REGISTER may span the VMAs mprotect() split.
 * - The fault: read faults (do_read_fault()), shared write faults
 *   (do_shared_fault()) and private write faults (do_cow_fault()) all call
 *   shmem_fault(), which raises MISSING when the page cache has no folio at
 *   that offset (shmem_get_folio_gfp(), mm/shmem.c: "if (vma &&
 *   userfaultfd_missing(vma)) ... handle_userfault(vmf, VM_UFFD_MISSING)").
 *   On a MAP_PRIVATE mapping a page is therefore missing when both the
 *   page table entry is empty and the file has a hole there; a page the
 *   mapping holds already (the file's, mapped by a read, or its own copy
 *   after a write) never faults, until MADV_DONTNEED drops it.
 * - The resolution: on a MAP_PRIVATE mapping UFFDIO_COPY and
 *   UFFDIO_ZEROPAGE install an anonymous page and leave the file's hole
 *   (mfill_atomic_pte(), mm/userfaultfd.c: "we'll generate anonymous
 *   memory directly without actually filling the hole"); on a shared one
 *   they fill the file (shmem_mfill_atomic_pte()).  The oracle is told
 *   which maps are private (oracle.h).
 * - The collapse: collapse_file() (mm/khugepaged.c) rolls back when a VMA
 *   of mapping->i_mmap over the range has userfaultfd_missing() and the
 *   range has a hole.  i_mmap holds every file VMA, private ones, the
 *   shared anonymous one (vma_link_file() after shmem_zero_setup()), moved,
 *   grown or split ones, and a fork's copies (dup_mmap()), so each of them
 *   must keep its holes there; and a range without holes collapses
 *   whatever is registered (the check is under "if (nr_none)").
 * - fork(): dup_userfaultfd() (fs/userfaultfd.c) drops the registration
 *   from the child's copy unless the context has UFFD_FEATURE_EVENT_FORK;
 *   with it, the copy is registered with a new context, handed to the
 *   parent's reader as UFFD_EVENT_FORK (the fork waits until it is read).
 *   A shared shmem VMA's page tables are not copied (vma_needs_copy()),
 *   so the child meets every page through the fault path.
 */
static const struct map_way_ops {
	const char *name;
	/*
	 * MAP_PRIVATE: a UFFDIO_COPY or a store puts a page in this mapping
	 * alone, the file keeps its hole (oracle.h, private_maps).
	 */
	bool private;
	void *(*map)(struct run *r, size_t off, size_t len);
	void (*unmap)(struct run *r, void *addr, size_t len);
} map_ways[] = {
	[MW_SHARED] = { "MAP_SHARED", false, map_shared, unmap_backing },
	[MW_PRIVATE] = { "MAP_PRIVATE", true, map_private, unmap_munmap },
	[MW_ANCHOR] = { "MAP_SHARED|MAP_ANONYMOUS itself", false, map_anchor, unmap_none },
	[MW_MOVED] = { "MAP_SHARED, moved by mremap", false, map_moved, unmap_munmap },
	[MW_GROWN] = { "MAP_SHARED, grown by mremap", false, map_grown, unmap_munmap },
	[MW_SPLIT] = { "MAP_SHARED, split by mprotect", false, map_split, unmap_munmap },
};

static const struct map_way_ops *way_of(const struct run *r)
{
	return &map_ways[geometries[r->v->geo].way];
}

static enum registrar registrar_of(const struct run *r)
{
	return geometries[r->v->geo].who;
}

/* The ledger's map id of VMA i, in this process. */
static uint16_t map_id(const struct run *r, int i)
{
	return r->map_base + i + 1;
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
				r->hole[range * r->hp + i] = 1;
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
		r->vaddr[i] = way_of(r)->map(r, (size_t)r->vma[i].first * r->ps,
					     (size_t)r->vma[i].npages * r->ps);
		if (!r->vaddr[i]) {
			snprintf(r->why, sizeof(r->why), "%s of pages %u-%u: %s",
				 way_of(r)->name, r->vma[i].first,
				 r->vma[i].first + r->vma[i].npages - 1, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* A test hook: UFFDC_INJECT names it (README, "The race stress"). */
static bool injected(const char *hook)
{
	return !strcmp(getenv("UFFDC_INJECT") ?: "", hook);
}

static int register_vmas(struct run *r, uint16_t actor)
{
	/* Our own registration before a fork that hands it on. */
	bool event_fork = registrar_of(r) == REG_FORK_EVENT && !r->map_base;
	uint64_t want = UFFD_FEATURE_MISSING_SHMEM, got = 0;
	int i, u, ret;

	if (event_fork)
		want |= UFFD_FEATURE_EVENT_FORK;
	for (u = 0; u < 2; u++) {
		r->uffd[u] = uffd_open(r->v->how, want, &got);
		if (r->uffd[u] < 0) {
			snprintf(r->why, sizeof(r->why), "userfaultfd (%s): %s",
				 r->v->how == UFFD_VIA_DEV ? "/dev/userfaultfd" : "syscall",
				 strerror(-r->uffd[u]));
			return r->uffd[u];
		}
		if (event_fork && !(got & UFFD_FEATURE_EVENT_FORK)) {
			snprintf(r->why, sizeof(r->why), "userfaultfd has no UFFD_FEATURE_EVENT_FORK");
			close(r->uffd[u]);
			r->uffd[u] = -1;
			return -ENOENT;
		}
		r->h[u] = (struct uffd_handler){
			.uffd = r->uffd[u], .l = r->l, .resolve = r->v->resolve,
			.resolve_gen = GEN_COPY, .page_size = r->ps,
			.actor = u ? ACT_HANDLER_B : ACT_HANDLER_A,
			/* Test-only: the handler dies at its first fault. */
			.inject_exit_at_fault = injected("handler-exit"),
			.fork_map_offset = event_fork ? CHILD_MAP_BASE : 0,
		};
	}
	for (i = 0; i < r->nvma; i++) {
		u = r->vma[i].uffd;
		ret = uffd_register_missing(r->uffd[u], r->vaddr[i],
					    (size_t)r->vma[i].npages * r->ps,
					    r->vma[i].first, map_id(r, i), r->l, actor);
		if (ret) {
			snprintf(r->why, sizeof(r->why), "UFFDIO_REGISTER MISSING on %s (%s): %s",
				 backing_name(r->b.kind), way_of(r)->name, strerror(-ret));
			return ret;
		}
		uffd_handler_add_region(&r->h[u], r->vaddr[i],
					(size_t)r->vma[i].npages * r->ps,
					r->vma[i].first, map_id(r, i));
	}
	for (u = 0; u < 2; u++) {
		ret = uffd_handler_start(&r->h[u]);
		if (ret)
			return ret;
	}
	r->registered = true;
	return 0;
}

/* Our VMAs' registrations, after a fork handed them on or made new ones. */
static int unregister_vmas(struct run *r, uint16_t actor)
{
	int i, ret;

	for (i = 0; i < r->nvma; i++) {
		ret = uffd_unregister(r->uffd[r->vma[i].uffd], r->vaddr[i],
				      (size_t)r->vma[i].npages * r->ps, r->vma[i].first,
				      map_id(r, i), r->l, actor);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * In the child of REG_FORK_EVENT: fork() registered our copies of the
 * VMAs, between the stamp taken before it and now (dup_userfaultfd()
 * runs in dup_mmap(), before the child first runs).
 */
static void log_inherited(struct run *r, uint16_t actor)
{
	uint64_t now = ledger_stamp(r->l);
	int i;

	for (i = 0; i < r->nvma; i++) {
		struct ev e = { .kind = EV_REGISTER, .t0 = r->fork_t0, .t1 = now,
				.page = r->vma[i].first, .npages = r->vma[i].npages,
				.map = map_id(r, i), .actor = actor };

		ledger_add(r->l, &e);
	}
}

/*
 * SPUR_COPIED: fill every hole of the registered VMAs by UFFDIO_COPY,
 * before any fault (as post-copy migration pushes pages in the background).
 */
static int copy_holes(struct run *r, uint16_t actor)
{
	char *buf = aligned_alloc(r->ps, r->ps);
	uint32_t p, page;
	int i, ret = 0;

	if (registrar_of(r) == REG_FORK_EVENT && r->map_base) {
		snprintf(r->why, sizeof(r->why), "an inherited registration's userfaultfd is the parent's: no UFFDIO_COPY from the child");
		free(buf);
		return -EOPNOTSUPP;
	}
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < r->nvma && !ret; i++) {
		for (p = 0; p < r->vma[i].npages && !ret; p++) {
			struct ev e = { .kind = EV_FILL, .aux = FILL_UFFD_COPY, .npages = 1,
					.map = map_id(r, i), .value = GEN_COPY, .actor = actor };
			struct uffdio_copy copy = {
				.dst = (uintptr_t)r->vaddr[i] + (size_t)p * r->ps,
				.src = (uintptr_t)buf, .len = r->ps,
			};

			page = r->vma[i].first + p;
			if (!r->hole[page])
				continue;
			e.page = page;
			content_fill(buf, r->ps, page, GEN_COPY);
			e.t0 = ledger_stamp(r->l);
			if (ioctl(r->uffd[r->vma[i].uffd], UFFDIO_COPY, &copy))
				e.err = errno;
			e.t1 = ledger_stamp(r->l);
			ledger_add(r->l, &e);
			ret = -e.err;
		}
	}
	free(buf);
	if (ret)
		snprintf(r->why, sizeof(r->why), "UFFDIO_COPY into a hole: %s", strerror(-ret));
	return ret;
}

/* The control of SPUR_COPIED: the same holes filled, by pwrite. */
static int pwrite_holes(struct run *r)
{
	uint32_t page;
	int ret;

	for (page = 0; page < r->nranges * r->hp; page++) {
		if (!r->hole[page])
			continue;
		ret = backing_fill(&r->b, page, GEN_COPY, r->l, ACT_MAIN);
		if (ret)
			return ret;
	}
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

		probe_open(&t, r->b.fd, r->vaddr[i], r->vma[i].first, map_id(r, i));
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
		touch_range(r->l, r->vaddr[i], r->vma[i].first, r->vma[i].npages, map_id(r, i),
			    actor, r->v->store ? TOUCH_STORE : TOUCH_LOAD, GEN_STORE);
}

/*
 * The spurious-fault side's touches: every access path (ledger.h), each
 * after a zap of every registered VMA so that it is the first access of
 * each page and goes through the fault path; loads first, then stores (a
 * store into a MAP_PRIVATE mapping makes a page of its own, which the next
 * zap drops).  A path this kernel lacks is listed in r->paths and left
 * out.  Returns 0, or -errno with r->why.
 */
static int touch_every_path(struct run *r, uint16_t actor)
{
	int32_t gen = GEN_STORE;
	int stores, how, i, ret;
	struct rusage ru;
	long flt;
	size_t n = 0;

	for (stores = 0; stores < 2; stores++) {
		for (how = 0; how < TOUCH_NR; how++) {
			if (touch_how_stores(how) != stores)
				continue;
			gen += stores;
			for (i = 0, ret = 0; i < r->nvma && !ret; i++)
				ret = zap_range(r->l, r->vaddr[i], r->vma[i].first,
						r->vma[i].npages, map_id(r, i), actor);
			getrusage(RUSAGE_SELF, &ru);
			flt = ru.ru_minflt + ru.ru_majflt;
			for (i = 0; i < r->nvma && !ret; i++)
				ret = touch_range(r->l, r->vaddr[i], r->vma[i].first,
						  r->vma[i].npages, map_id(r, i), actor, how, gen);
			getrusage(RUSAGE_SELF, &ru);
			flt = ru.ru_minflt + ru.ru_majflt - flt;
			/* A path this kernel lacks (no io_uring: ENOSYS, EPERM). */
			if (ret && ret != -ENOSYS && ret != -EPERM && ret != -EOPNOTSUPP) {
				snprintf(r->why, sizeof(r->why), "%s through the registered mapping: %s",
					 touch_how_name(how), strerror(-ret));
				return ret;
			}
			/* What each did: the faults taken meanwhile, or why it could not. */
			if (ret)
				n += snprintf(r->paths + n, sizeof(r->paths) - n, "%s%s (%s)",
					      n ? ", " : "", touch_how_name(how), strerror(-ret));
			else
				n += snprintf(r->paths + n, sizeof(r->paths) - n, "%s%s (%ld faults)",
					      n ? ", " : "", touch_how_name(how), flt);
			if (n >= sizeof(r->paths))
				n = sizeof(r->paths) - 1;
		}
	}
	return 0;
}

/*
 * The registered side, before the collapse (after the registration):
 * fill the holes by UFFDIO_COPY for SPUR_COPIED, and probe.
 */
static int registered_before(struct run *r, uint16_t actor)
{
	int ret;

	if (r->v->spurious == SPUR_COPIED) {
		ret = copy_holes(r, actor);
		if (ret)
			return ret;
	}
	r->holes_seen = probe_all(r, actor);
	return r->holes_seen < 0 ? (int)r->holes_seen : 0;
}

/* And after it: probe, then touch (every path, for the spurious side). */
static int registered_after(struct run *r, uint16_t actor)
{
	probe_all(r, actor);
	if (r->v->spurious)
		return touch_every_path(r, actor);
	touch_all(r, actor);
	return 0;
}

/*
 * How many ranges are one huge page now (backing_huge()), or -errno when
 * this kernel does not let us tell.
 */
static long count_huge(struct run *r)
{
	uint32_t range, n = 0;
	int ret;

	for (range = 0; range < r->nranges; range++) {
		ret = backing_huge(&r->b, range * r->hp, r->hp);
		if (ret < 0)
			return ret;
		n += ret;
	}
	return n;
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
	/* Nothing to fill: done when the range is one huge page. */
	c->until_huge = r->v->spurious != SPUR_NO;
	return agent_act(c, r->v->agent);
}

static void run_reset(struct run *r)
{
	int i;

	stop_handlers(r);
	for (i = 0; i < r->nvma; i++)
		if (r->vaddr[i])
			way_of(r)->unmap(r, r->vaddr[i], (size_t)r->vma[i].npages * r->ps);
	memset(r->vaddr, 0, sizeof(r->vaddr));
	if (r->hole)
		memset(r->hole, 0, (size_t)r->nranges * r->hp);
	r->map_base = 0;
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

/* How a registered child ends: its exit code. */
enum {
	CHILD_HOLES = 0,	/* ran; saw a hole after registration */
	CHILD_NO_HOLE = 4,	/* ran; saw none */
	CHILD_NOT_READY = 2,	/* could not register (said why) */
	CHILD_NO_GO = 3,	/* the parent never said go */
	CHILD_HANDLER = 5,	/* its fault handler died (said why) */
	CHILD_ACCESS = 6,	/* an access path failed (said why) */
};

/*
 * The registered part of the scenario in a child: for REG_OTHER_PROC one
 * that maps and registers VMAs of its own; for REG_FORK and
 * REG_FORK_EVENT the fork of a process that had mapped and registered
 * them, whose registration the child makes again or inherits.  It
 * registers, probes, waits for the collapse, probes and touches.
 */
static int registered_child(struct run *r, int ready_fd, int go_fd)
{
	int u, ret = 0;
	char c = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (registrar_of(r) != REG_OTHER_PROC) {
		/* Our parent's handler threads did not come along. */
		for (u = 0; u < 2 && r->registered; u++) {
			uffd_handler_forget(&r->h[u]);
			close(r->uffd[u]);
		}
		r->registered = false;
		r->map_base = CHILD_MAP_BASE;
	}
	switch (registrar_of(r)) {
	case REG_OTHER_PROC:
		ret = map_vmas(r);
		if (!ret)
			ret = register_vmas(r, ACT_CHILD);
		break;
	case REG_FORK:
		ret = register_vmas(r, ACT_CHILD);
		break;
	case REG_FORK_EVENT:
		log_inherited(r, ACT_CHILD);
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret)
		ret = registered_before(r, ACT_CHILD);
	if (ret)
		fprintf(stderr, "# child: %s\n", r->why);
	c = ret ? 'E' : 'R';
	if (write(ready_fd, &c, 1) != 1 || ret)
		_exit(CHILD_NOT_READY);
	if (read(go_fd, &c, 1) != 1)
		_exit(CHILD_NO_GO);
	ret = registered_after(r, ACT_CHILD);
	stop_handlers(r);
	if (r->paths[0])
		fprintf(stderr, "# child: access paths: %s\n", r->paths);
	/* The parent cannot see our counters: report them by exit code. */
	if (r->handler_why[0]) {
		fprintf(stderr, "# child: %s\n", r->handler_why);
		_exit(CHILD_HANDLER);
	}
	if (ret) {
		fprintf(stderr, "# child: %s\n", r->why);
		_exit(CHILD_ACCESS);
	}
	_exit(r->holes_seen > 0 ? CHILD_HOLES : CHILD_NO_HOLE);
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
	r->hole = calloc((size_t)r->nranges * r->hp, 1);
	ASSERT_NE(NULL, r->hole);
}

FIXTURE_TEARDOWN(contract)
{
	run_reset(&self->r);
	ledger_destroy(self->r.l);
	free(self->r.hole);
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

/* The SKIP reason when a spurious scenario's range is not one huge page. */
static enum outcome not_huge(struct run *r, const char *phase, long huge, long err)
{
	if (huge < 0)
		return out(r, OUT_SKIP, "%s: cannot tell whether %s made a huge page: /proc/self/pagemap, /proc/kpageflags: %s",
			   phase, agent_name(r->v->agent), strerror((int)-huge));
	return out(r, OUT_SKIP, "%s: %s left %ld of %u huge ranges without one huge page, with no hole in them (last error: %s): nothing collapsed, so no access can be judged against a collapse",
		   phase, agent_name(r->v->agent), r->nranges - huge, r->nranges,
		   r->ac.last_err ? strerror(r->ac.last_err) :
		   err == -ETIMEDOUT ? "timed out" : err ? strerror((int)-err) : "none");
}

/*
 * The control, then the registered run, judged.  A failure ends the test
 * from here (ASSERT); a skip or a fenced gap is returned with its reason.
 */
static enum outcome run_scenario(struct __test_metadata *_metadata,
				 const FIXTURE_VARIANT(contract) *variant, struct run *r,
				 struct verdict *vd)
{
	struct oracle_opts oo = { .page_size = r->ps };
	enum registrar who = registrar_of(r);
	uint64_t counts[EV_NR_KINDS];
	long scans, ret, err, huge;
	int ready[2], go[2], status, c, i;
	pid_t child = 0;

	rng_seed(&r->rng, r->seed);
	if (variant->spurious && injected("handler-exit"))
		return out(r, OUT_SKIP, "UFFDC_INJECT=handler-exit: a range without holes raises no fault for the handler to die on");

	/* (d) The control: does this kernel collapse the scenario at all? */
	ret = open_backing(r);
	if (ret)
		return out(r, OUT_SKIP, "control: cannot create %s backing: %s",
			   backing_name(variant->backing), r->why);
	ASSERT_EQ(0, populate(r));
	/* What UFFDIO_COPY will fill in the registered run, pwrite fills here. */
	if (variant->spurious == SPUR_COPIED)
		ASSERT_EQ(0, pwrite_holes(r));
	ASSERT_EQ(0, map_vmas(r)) TH_LOG("%s", r->why);
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
	/* No hole to fill: only the huge page itself proves the collapse. */
	if (variant->spurious) {
		huge = count_huge(r);
		TH_LOG("control (no registration): huge ranges=%ld/%u", huge, r->nranges);
		if (huge != r->nranges)
			return not_huge(r, "control (no registration)", huge, err);
	}
	run_reset(r);
	rng_seed(&r->rng, r->seed);

	/* The registered run. */
	ASSERT_EQ(0, open_backing(r));
	ASSERT_EQ(0, populate(r));
	if (who != REG_OTHER_PROC) {
		ASSERT_EQ(0, map_vmas(r)) TH_LOG("%s", r->why);
		ret = register_vmas(r, ACT_MAIN);
		if (ret == -EINVAL || ret == -ENOSYS || ret == -EPERM || ret == -ENOENT)
			return out(r, OUT_SKIP, "%s", r->why);
		ASSERT_EQ(0, ret) TH_LOG("%s", r->why);
	}
	if (who != REG_HERE) {
		ASSERT_EQ(0, pipe(ready));
		ASSERT_EQ(0, pipe(go));
		r->fork_t0 = ledger_stamp(r->l);
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
		/* The child's registration alone keeps the holes from now on. */
		if (who != REG_OTHER_PROC)
			ASSERT_EQ(0, unregister_vmas(r, ACT_MAIN));
	} else {
		ASSERT_EQ(0, registered_before(r, ACT_MAIN)) TH_LOG("%s", r->why);
	}

	/*
	 * Wait at least one full scan longer than the control needed; or,
	 * with no hole to keep it from collapsing, until it did (or its
	 * timeout).
	 */
	ret = collapse(r, variant->spurious ? 0 : scans > 0 ? scans + 1 : 2);
	if (agent_ops(variant->agent)->asynchronous && ret == -ETIMEDOUT) {
		if (child) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
		}
		return out(r, OUT_SKIP, "%s did not act within its timeout",
		     agent_name(variant->agent));
	}
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", agent_name(variant->agent), strerror(-ret));
	r->ranges_filled = ranges_filled(r);
	if (variant->spurious) {
		huge = count_huge(r);
		r->ranges_huge = huge > 0 ? huge : 0;
		if (huge != r->nranges) {
			if (child) {
				kill(child, SIGKILL);
				waitpid(child, NULL, 0);
			}
			return not_huge(r, "registered run", huge, ret);
		}
		/*
		 * Test-only: a page punched out behind the ledger's back
		 * faults at its first access, a fault the ledger can only
		 * call spurious: every spurious scenario must then fail.
		 */
		if (injected("spurious-punch"))
			ASSERT_EQ(0, fallocate(r->b.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					       (off_t)(r->vma[0].first + r->vma[0].npages / 2) * r->ps,
					       r->ps));
	}

	if (child) {
		ASSERT_EQ(1, write(go[1], "G", 1));
		ASSERT_EQ(child, waitpid(child, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_NE(CHILD_NOT_READY, WEXITSTATUS(status));
		/* Its fault handler died: touches went unresolved, judge nothing. */
		ASSERT_NE(CHILD_HANDLER, WEXITSTATUS(status));
		ASSERT_NE(CHILD_ACCESS, WEXITSTATUS(status)) TH_LOG("an access path failed in the child: see its log");
		r->holes_seen = WEXITSTATUS(status) == CHILD_HOLES ? 1 : 0;
		/* REG_FORK_EVENT: our handler served the child's faults. */
		stop_handlers(r);
		ASSERT_EQ(0, r->handler_why[0]) TH_LOG("%s", r->handler_why);
	} else {
		ret = registered_after(r, ACT_MAIN);
		stop_handlers(r);
		if (r->handler_why[0])
			TH_LOG("%s", r->handler_why);
		ASSERT_EQ(0, r->handler_why[0]);
		ASSERT_EQ(0, ret) TH_LOG("%s", r->why);
	}
	read_all(r);
	if (r->paths[0])
		TH_LOG("access paths: %s", r->paths);

	oo.mincore_hole_is_evidence = !system_has_swap();
	oo.block_pages = r->hp;
	for (i = 0; i < r->nvma && way_of(r)->private; i++) {
		oracle_set_private_map(&oo, i + 1);
		oracle_set_private_map(&oo, CHILD_MAP_BASE + i + 1);
	}
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
	if (variant->spurious) {
		/* No hole anywhere: a fault the oracle could not place is spurious too. */
		ledger_counts(r->l, counts);
		ASSERT_EQ(0, counts[EV_FAULT])
			TH_LOG("%llu MISSING fault(s) in a range without a hole, %u of them not explained by any touch",
			       (unsigned long long)counts[EV_FAULT], vd->unattributed_faults);
		return OUT_PASS;
	}
	if (!r->holes_seen)
		return out(r, OUT_SKIP, "no page was seen as a hole after registration: nothing to test");
	return OUT_PASS;
}

static void log_scenario(struct __test_metadata *_metadata, struct run *r,
			 const FIXTURE_VARIANT(contract) *variant)
{
	static const char * const spurious[] = {
		[SPUR_NO] = "", [SPUR_NOHOLE] = " (spurious-fault side)",
		[SPUR_COPIED] = ", filled by UFFDIO_COPY (spurious-fault side)",
	};

	TH_LOG("seed=%llu backing=%s%s%s agent=%s geometry=%s (%s) holes=%s%s uffd=%s resolve=%s folio=%u KiB",
	       (unsigned long long)r->seed, backing_name(variant->backing),
	       variant->huge ? " huge=" : "", variant->huge ?: "",
	       agent_name(variant->agent), geometries[variant->geo].name,
	       map_ways[geometries[variant->geo].way].name,
	       hole_patterns[variant->holes].name, spurious[variant->spurious],
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
		o = run_scenario(_metadata, variant, r, &vd);
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
		o = run_scenario(_metadata, variant, r, &vd);
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

/*
 * Every registration the kernel accepts over a shmem file, one geometry
 * each (geometries[]): a MAP_PRIVATE mapping (of a memfd, and of a linked
 * tmpfs file, which shmem maps with its other vm_ops), the
 * MAP_SHARED | MAP_ANONYMOUS VMA itself, VMAs moved or grown by mremap()
 * or split by mprotect() before the registration, and a child's copy
 * after fork(), registered by the child or inherited (EVENT_FORK).
 */
FIXTURE_VARIANT_ADD(contract, memfd_madv_other_private_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_PRIVATE,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_private_sparse_store) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_PRIVATE,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.store = true,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_linked_advise_madv_other_private_dense) {
	.backing = BK_TMPFS_LINKED, .huge = "advise", .agent = AGENT_MADV_OTHER,
	.geo = GEO_PRIVATE, .holes = HOLES_DENSE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, shm_anon_madv_other_anchor_sparse) {
	.backing = BK_SHM_ANON, .agent = AGENT_MADV_OTHER, .geo = GEO_ANCHOR,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_moved_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_MOVED,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_grown_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_GROWN,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_split_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_SPLIT,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_fork_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_FORK,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_forkevent_sparse) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_FORK_EVENT,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
};

/*
 * The spurious-fault side (names *_spurious_*): the range has no hole
 * when it collapses, from the start or because UFFDIO_COPY filled its
 * holes; the collapse must succeed (the control and the registered run
 * both check it made one huge page, else SKIP), and then no access by any
 * path may fault.  Nothing is left for a collapse to lose, so these pass
 * on kernels with and without "mm/khugepaged: skip shmem with
 * userfaultfd" alike (scripts/diff-gate).
 */
FIXTURE_VARIANT_ADD(contract, memfd_madv_other_whole_spurious_nohole) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_WHOLE,
	.holes = HOLES_NONE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_NOHOLE,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_whole_spurious_copied) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_WHOLE,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_self_whole_spurious_copied) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_SELF, .geo = GEO_WHOLE,
	.holes = HOLES_DENSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

FIXTURE_VARIANT_ADD(contract, memfd_khugepaged_whole_spurious_nohole) {
	.backing = BK_MEMFD, .agent = AGENT_KHUGEPAGED, .geo = GEO_WHOLE,
	.holes = HOLES_NONE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_NOHOLE,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_otherproc_spurious_copied) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_OTHER_PROC,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

/* A private mapping's copies stay out of the file: no hole may be copied. */
FIXTURE_VARIANT_ADD(contract, memfd_madv_other_private_spurious_nohole) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_PRIVATE,
	.holes = HOLES_NONE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_NOHOLE,
};

FIXTURE_VARIANT_ADD(contract, tmpfs_linked_advise_madv_other_private_spurious_nohole) {
	.backing = BK_TMPFS_LINKED, .huge = "advise", .agent = AGENT_MADV_OTHER,
	.geo = GEO_PRIVATE, .holes = HOLES_NONE, .how = UFFD_VIA_SYSCALL,
	.resolve = RESOLVE_COPY, .spurious = SPUR_NOHOLE,
};

FIXTURE_VARIANT_ADD(contract, shm_anon_madv_other_anchor_spurious_copied) {
	.backing = BK_SHM_ANON, .agent = AGENT_MADV_OTHER, .geo = GEO_ANCHOR,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_moved_spurious_copied) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_MOVED,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_grown_spurious_copied) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_GROWN,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_split_spurious_copied) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_SPLIT,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

FIXTURE_VARIANT_ADD(contract, memfd_madv_other_fork_spurious_copied) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_FORK,
	.holes = HOLES_SPARSE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_COPIED,
};

/* The inherited userfaultfd is our handler's, not the child's: no copy. */
FIXTURE_VARIANT_ADD(contract, memfd_madv_other_forkevent_spurious_nohole) {
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .geo = GEO_FORK_EVENT,
	.holes = HOLES_NONE, .how = UFFD_VIA_SYSCALL, .resolve = RESOLVE_COPY,
	.spurious = SPUR_NOHOLE,
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
