/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sequence fuzzer's shared vocabulary: operations, the record of what
 * the kernel answered, and the entry points of each module.
 *
 * Data flows one way: fz_gen makes a sequence from a seed, fz_exec runs it
 * in a fresh process and fills a record (observations and fault messages)
 * in shared memory, fz_model judges the record, fz_minimize shrinks a
 * sequence that fails and fz_repro writes it out as a C program.
 *
 * Every page number is a file page index.  An operation that cannot apply
 * in the current structural state (slot not mapped, no child, page outside
 * the slot) is a no-op for both the executor and the model, decided by the
 * same function: removing any operation from a sequence leaves a valid
 * sequence, which is what the minimizer needs.
 */
#ifndef UFFDC_FZ_H
#define UFFDC_FZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compat.h"		/* ARRAY_SIZE, MADV_ and UFFD fallbacks */

#define FZ_FILES	2
#define FZ_PMDS		2		/* per file at its largest */
#define FZ_PMD_PAGES	512		/* 2 MiB of 4 KiB pages */
#define FZ_FILE_PAGES	(FZ_PMDS * FZ_PMD_PAGES)
#define FZ_SLOTS	4		/* mapping slots per process */
#define FZ_PROCS	2		/* main (actors 0, 1), child (actor 2) */
#define FZ_ACTORS	3
#define FZ_MAX_OPS	256
#define FZ_MAX_FAULTS	1024
#define FZ_MINCORE_MAX	64
#define FZ_LEAF_PAGES	64		/* an xarray leaf (XA_CHUNK_SIZE) of pages */
#define FZ_MAX_WALK_CALLS 4096		/* lseek calls of walk probes, per run */
#define FZ_WALK_FULL_CALLS 64		/* at most, per walk to EOF */
#define FZ_MAX_EVENTS	512		/* userfaultfd events kept, per run */
/*
 * Every slot has two fixed homes in one reservation, the same in every
 * process: slot s at s * FZ_SLOT_STRIDE pages from its base, or that plus
 * FZ_SLOT_ALT after an odd number of mremap()s.  Events name pages so.
 */
#define FZ_SLOT_STRIDE	2048		/* pages: 8 MiB, two PMDs rounded up */
#define FZ_SLOT_ALT	(FZ_SLOTS * FZ_SLOT_STRIDE)

#ifndef __aligned
#define __aligned(x)	__attribute__((aligned(x)))
#endif

enum fz_kind {
	OP_NOP,
	OP_MMAP,	/* slot, file; page: first page (PMD aligned); npages */
	OP_MUNMAP,	/* slot */
	OP_MREMAP,	/* slot: move between its two homes */
	OP_MADVISE,	/* slot, page, npages, sub: enum fz_advice */
	OP_FALLOCATE,	/* file, page, npages, sub: enum fz_falloc */
	OP_FTRUNCATE,	/* file, npages: the new size */
	OP_PWRITE,	/* file, page, npages, gen */
	OP_PREAD,	/* file, page */
	OP_TOUCH,	/* slot, page, sub: enum fz_via, arg: FZ_TOUCH_*, gen */
	OP_REGISTER,	/* slot, page, npages, sub: FZ_REG_* bits */
	OP_UNREGISTER,	/* slot, page, npages */
	OP_UFFDIO,	/* slot, page, sub: enum fz_uffdio, gen */
	OP_PROBE,	/* file or slot, page, npages, sub: enum fz_probe */
	OP_KHUGEPAGED,	/* wait for khugepaged to finish a scan */
	OP_FORK,	/* (re)create the child process from main */
	OP_NUMA,	/* slot, page, npages, sub: enum fz_numa, arg: node */
	OP_POPULATE,	/* slot, page, npages, sub: enum fz_populate, arg, gen: as OP_TOUCH */
	OP_WRITEPROTECT, /* slot, page, npages, sub: FZ_WP_* (UFFDIO_WRITEPROTECT) */
	OP_UFFD,	/* main's userfaultfd opened anew, sub: the FZ_EV_* events asked for */
	OP_MTHP,	/* one shmem mTHP size allowed, sub: its order, arg: FZ_MTHP_* */
	OP_PAGEOUT,	/* slot, page, npages: MADV_PAGEOUT to swap (FZ_PAGEOUT_*) */
	OP_JOIN,	/* wait for the asynchronous operations */
	OP_NR_KINDS,
};

/*
 * Every kind of operation, one entry each, by its enum (above): the names,
 * the generator's weights, the parser's limits, the reproducer's
 * identifiers and each module's function for the kind are all made from
 * this list.
 *
 *   [OP_KIND] = X(KIND, name, weight, limits, applies, advance, format,
 *		   gen, exec, model),
 *
 * KIND: the enum's, and the reproducer writes "OP_KIND".
 * name: the kind in a sequence file and in the coverage lines.
 * weight: how often the generator picks it (0: never by itself; OP_JOIN
 *	follows the asynchronous operations).  The generator picks in enum
 *	order: reordering or reweighting changes every seed's sequences.
 * limits: (sub_min, sub_max, arg_max, gen_min), what the parser accepts in
 *	sub, arg and gen (gen up to GEN_MAX); see struct fz_op_desc.
 * applies, advance, format: fz_ops.c (structural precondition and clamp,
 *	structural effect, human-readable text).
 * gen: fz_gen.c, the kind's fields.  exec: fz_exec.c, the system calls.
 * model: fz_model.c, what the kernel's answer may be and what it implies.
 *
 * Each file expands only its own column (FZ_TAKE() for it, FZ_SKIP() for
 * the others), so a function that is missing does not compile; a kind without an entry fails fuzz_test
 * (every_kind_goes_through_every_module).  Adding a kind: its enum value,
 * this entry and the functions it names (a weight above 0 changes what
 * every seed generates).  The enum stays written out because checkpatch
 * takes a list macro that starts with a designator, not bare X() calls.
 */
/* Column selectors for FZ_OPS: a module takes its column, skips the rest. */
#define FZ_TAKE(fn)	fn
#define FZ_SKIP(...)

#define FZ_OPS(D, G, E, M)						\
	[OP_NOP] = D(NOP, "nop", 0, (0, 0, 0, 0),			\
		applies_never, advance_none, format_plain)		\
		G(gen_none) E(exec_none) M(model_none),			\
	[OP_MMAP] = D(MMAP, "mmap", 6, (0, 0, 0, 0),			\
		applies_mmap, advance_mmap, format_mmap)		\
		G(gen_mmap) E(exec_mmap) M(model_none),			\
	[OP_MUNMAP] = D(MUNMAP, "munmap", 1, (0, 0, 0, 0),		\
		applies_mapped, advance_munmap, format_slot)		\
		G(gen_none) E(exec_munmap) M(model_none),		\
	[OP_MREMAP] = D(MREMAP, "mremap", 2, (0, 0, 0, 0),		\
		applies_mapped, advance_mremap, format_slot)		\
		G(gen_none) E(exec_mremap) M(model_none),		\
	[OP_MADVISE] = D(MADVISE, "madvise", 14, (0, ADV_NR - 1, 0, 0),	\
		applies_madvise, advance_madvise, format_madvise)	\
		G(gen_madvise) E(exec_madvise) M(model_madvise),	\
	[OP_FALLOCATE] = D(FALLOCATE, "fallocate", 3, (0, FALLOC_NR - 1, 0, 0),	\
		applies_fallocate, advance_fallocate, format_fallocate)	\
		G(gen_fallocate) E(exec_fallocate) M(model_fallocate),	\
	[OP_FTRUNCATE] = D(FTRUNCATE, "ftruncate", 1, (0, 0, 0, 0),	\
		applies_ftruncate, advance_ftruncate, format_ftruncate)	\
		G(gen_ftruncate) E(exec_ftruncate) M(model_ftruncate),	\
	[OP_PWRITE] = D(PWRITE, "pwrite", 8, (0, 0, 0, 1),		\
		applies_file_range, advance_pwrite, format_pwrite)	\
		G(gen_pwrite) E(exec_pwrite) M(model_pwrite),		\
	[OP_PREAD] = D(PREAD, "pread", 3, (0, 0, 0, 0),			\
		applies_file_page, advance_none, format_pread)		\
		G(gen_none) E(exec_pread) M(model_pread),		\
	[OP_TOUCH] = D(TOUCH, "touch", 14, (0, VIA_NR - 1, FZ_TOUCH_STORE | FZ_TOUCH_ZEROPAGE, 1),	\
		applies_touch, advance_none, format_touch)		\
		G(gen_touch) E(exec_touch) M(model_touch),		\
	[OP_REGISTER] = D(REGISTER, "register", 8, (1, FZ_REG_MISSING | FZ_REG_WP | FZ_REG_MINOR, 0, 0),	\
		applies_register, advance_register, format_register)	\
		G(gen_register) E(exec_register) M(model_none),		\
	[OP_UNREGISTER] = D(UNREGISTER, "unregister", 2, (0, 0, 0, 0),	\
		applies_unregister, advance_unregister, format_unregister)	\
		G(gen_unregister) E(exec_unregister) M(model_none),	\
	[OP_UFFDIO] = D(UFFDIO, "uffdio", 3, (0, UIO_NR - 1, 0, 1),	\
		applies_uffdio, advance_none, format_uffdio)		\
		G(gen_uffdio) E(exec_uffdio) M(model_uffdio),		\
	[OP_PROBE] = D(PROBE, "probe", 10, (0, PRB_NR - 1, 0, 0),	\
		applies_probe, advance_none, format_probe)		\
		G(gen_probe) E(exec_probe) M(model_probe),		\
	[OP_KHUGEPAGED] = D(KHUGEPAGED, "khugepaged", 1, (0, 0, 0, 0),	\
		applies_khugepaged, advance_none, format_plain)		\
		G(gen_khugepaged) E(exec_khugepaged) M(model_none),	\
	[OP_FORK] = D(FORK, "fork", 1, (0, 0, 0, 0),			\
		applies_fork, advance_fork, format_plain)		\
		G(gen_none) E(exec_fork) M(model_none),			\
	[OP_NUMA] = D(NUMA, "numa", 3, (0, NUMA_NR - 1, UINT8_MAX, 0),	\
		applies_numa, advance_none, format_numa)		\
		G(gen_numa) E(exec_numa) M(model_none),			\
	[OP_POPULATE] = D(POPULATE, "populate", 3, (0, POP_NR - 1, FZ_TOUCH_ZEROPAGE, 1), \
		applies_populate, advance_none, format_populate)	\
		G(gen_populate) E(exec_populate) M(model_populate),	\
	[OP_WRITEPROTECT] = D(WRITEPROTECT, "writeprotect", 3, (0, FZ_WP_PROTECT, 0, 0), \
		applies_writeprotect, advance_none, format_writeprotect) \
		G(gen_writeprotect) E(exec_writeprotect) M(model_writeprotect), \
	[OP_UFFD] = D(UFFD, "uffd", 1, (0, FZ_EV_ALL, 0, 0),		\
		applies_uffd, advance_uffd, format_uffd)		\
		G(gen_uffd) E(exec_uffd) M(model_none),			\
	[OP_MTHP] = D(MTHP, "mthp", 1, (1, FZ_MTHP_MAX_ORDER, FZ_MTHP_WITHIN_SIZE, 0), \
		applies_mthp, advance_mthp, format_mthp)		\
		G(gen_mthp) E(exec_mthp) M(model_none),			\
	[OP_PAGEOUT] = D(PAGEOUT, "pageout", 3, (0, 0, 0, 0),		\
		applies_pageout, advance_none, format_pageout)		\
		G(gen_pageout) E(exec_pageout) M(model_pageout),	\
	[OP_JOIN] = D(JOIN, "join", 0, (0, 0, 0, 0),			\
		applies_always, advance_none, format_plain)		\
		G(gen_none) E(exec_join) M(model_join),

enum fz_advice {
	ADV_HUGEPAGE,
	ADV_NOHUGEPAGE,
	ADV_COLLAPSE,	/* always the whole PMD of page */
	ADV_DONTNEED,
	ADV_REMOVE,
	ADV_PAGEOUT,
	ADV_NR,
};

enum fz_falloc {
	FALLOC_PUNCH,
	FALLOC_ALLOC,
	FALLOC_NR,
};

/* How a touch reaches the page. */
enum fz_via {
	VIA_USER,	/* loads and stores from this thread */
	VIA_SYSCALL,	/* write(2) from it (load), read(2) into it (store) */
	VIA_PVM,	/* process_vm_readv / process_vm_writev */
	VIA_URING,	/* io_uring write from it (load), read into it (store) */
	VIA_NR,
};

#define FZ_TOUCH_STORE		0x1	/* else a load */
#define FZ_TOUCH_ZEROPAGE	0x2	/* resolve MISSING by ZEROPAGE, else COPY gen */

#define FZ_REG_MISSING	0x1
#define FZ_REG_WP	0x2
#define FZ_REG_MINOR	0x4

/*
 * OP_WRITEPROTECT's sub: UFFDIO_WRITEPROTECT's mode.  It applies to the
 * pages from `page` on that are registered WP (clamped to that run), so
 * the kernel is never asked about a page the model knows it refuses.  A
 * kernel without UFFD_FEATURE_WP_HUGETLBFS_SHMEM refuses every WP
 * registration of shmem (EINVAL): writeprotect is then always a no-op.
 */
#define FZ_WP_UNPROTECT	0
#define FZ_WP_PROTECT	1

/*
 * A registration that a fork copied into the child (UFFD_FEATURE_EVENT_
 * FORK): it belongs to the fork's userfaultfd context, which the main
 * process's handler reads, not to the child's own.  The child cannot
 * register over it (EBUSY); UFFDIO_UNREGISTER clears it like its own.
 */
#define FZ_REG_FORKED	0x80

/*
 * userfaultfd events (non-cooperative mode), OP_UFFD's sub and a process's
 * fz_struct.events: those its userfaultfd negotiated.  A run starts with
 * FZ_EV_REMAP (the executor always asked for it); OP_UFFD opens main's
 * userfaultfd anew with the events asked for that the kernel has, which
 * drops every registration of main (the release of the old one).  A child
 * forked later has main's events, on its own userfaultfd and on the
 * fork's context.
 */
#define FZ_EV_FORK	0x1	/* a fork copies the registrations (UFFD_EVENT_FORK) */
#define FZ_EV_REMAP	0x2	/* mremap() moves them (UFFD_EVENT_REMAP), else drops them */
#define FZ_EV_REMOVE	0x4	/* MADV_DONTNEED/REMOVE say so (UFFD_EVENT_REMOVE) */
#define FZ_EV_UNMAP	0x8	/* munmap() and MAP_FIXED over them say so (UFFD_EVENT_UNMAP) */
#define FZ_EV_ALL	0xf

/*
 * OP_MTHP: hugepages-<size>kB/shmem_enabled of one size below the PMD
 * (order 1, 8 kB, to FZ_MTHP_MAX_ORDER, 1 MiB) set to the policy in arg,
 * every other size below the PMD to never, pushed on the THP settings the
 * run found (thp_push_settings()) and popped when the run ends.  Faults of
 * memfd pages follow these per-size knobs (an unlinked shmem file's VMA is
 * anonymous shmem's); write(2), fallocate and UFFDIO_COPY do not.  A
 * kernel without the size's knob (6.1 has none) refuses: a no-op.
 */
#define FZ_MTHP_MAX_ORDER	8
#define FZ_MTHP_NEVER		0
#define FZ_MTHP_ADVISE		1	/* through a VM_HUGEPAGE mapping */
#define FZ_MTHP_ALWAYS		2
#define FZ_MTHP_WITHIN_SIZE	3	/* within i_size: every fault inside the file */
#define FZ_MTHP_ORDERS		10	/* orders counted in coverage: up to the PMD's */

/*
 * OP_PAGEOUT: MADV_PAGEOUT over up to FZ_PAGEOUT_MAX pages of a slot,
 * synchronously, then lseek(SEEK_DATA) from each page of the range.  Only
 * the pages this process maps with a PTE are reclaimed, and not all of
 * them: a folio mapped by another process, a large folio that does not
 * split, a write that fails, all leave the page resident.  Without swap
 * (/proc/swaps empty when the run began) the executor does not ask: the
 * operation is a counted no-op (obs val FZ_PAGEOUT_NO_SWAP); MADV_PAGEOUT
 * without swap stays covered by OP_MADVISE's ADV_PAGEOUT.  Its record:
 * bits, the pages of the range SEEK_DATA called data right after (bit i,
 * page + i); val 0, or FZ_PAGEOUT_NO_SWAP, or FZ_PAGEOUT_UNSEEN when an
 * lseek failed otherwise than ENXIO (no evidence); swapped, the pages
 * resident (mincore) before the call, not resident after it and data:
 * pushed out to swap, as measured.
 */
#define FZ_PAGEOUT_MAX		FZ_MINCORE_MAX
#define FZ_PAGEOUT_NO_SWAP	1
#define FZ_PAGEOUT_UNSEEN	2

/* What an event in the record is (struct fz_event). */
enum fz_event_type {
	FZE_FORK,
	FZE_REMAP,
	FZE_REMOVE,
	FZE_UNMAP,
	FZE_NR,
};

enum fz_uffdio {
	UIO_COPY,
	UIO_ZEROPAGE,
	UIO_CONTINUE,
	UIO_WAKE,
	UIO_NR,
};

enum fz_probe {
	PRB_SEEK_DATA,	/* on the file, from page */
	PRB_SEEK_HOLE,
	PRB_MINCORE,	/* through the slot, [page, page + npages) */
	PRB_WALK_HOLE,	/* SEEK_HOLE from page, asked twice */
	PRB_WALK_DATA,	/* SEEK_DATA from page, asked twice */
	PRB_WALK_FULL,	/* SEEK_DATA/SEEK_HOLE pairs from 0 to EOF, each asked twice */
	PRB_NR,
};

/*
 * Every kind of probe (OP_PROBE's sub), one entry each, by its enum, as
 * FZ_OPS lists the kinds of operation:
 *
 *   [PRB_KIND] = D(name, text, weight, on, walk) E(exec) M(model),
 *
 * name: in the coverage lines.  text: what the operation's text says.
 * weight: how often the generator picks it among probes (reweighting
 *	changes every seed's sequences).
 * on: PRB_ON_SLOT, the pages [page, page + npages) through the slot;
 *	PRB_ON_FILE_PAGE, the file from page; PRB_ON_FILE, the whole file
 *	(page is 0).
 * walk: a walk as programs do it (cp --sparse, tar, backup tools): every
 *	lseek is asked twice at once and both answers go to the record's
 *	walk log (struct fz_walk), which the model judges call by call.
 * exec: fz_exec.c.  model: fz_model.c.
 */
enum fz_probe_on {
	PRB_ON_SLOT,
	PRB_ON_FILE_PAGE,
	PRB_ON_FILE,
};

#define FZ_PROBES(D, E, M)						\
	[PRB_SEEK_DATA] = D("SEEK_DATA", "lseek SEEK_DATA", 4, PRB_ON_FILE_PAGE, false) \
		E(exec_seek) M(model_seek),				\
	[PRB_SEEK_HOLE] = D("SEEK_HOLE", "lseek SEEK_HOLE", 3, PRB_ON_FILE_PAGE, false) \
		E(exec_seek) M(model_seek),				\
	[PRB_MINCORE] = D("mincore", "mincore", 3, PRB_ON_SLOT, false)	\
		E(exec_mincore) M(model_mincore),			\
	[PRB_WALK_HOLE] = D("walk-hole", "walk SEEK_HOLE", 3, PRB_ON_FILE_PAGE, true) \
		E(exec_walk_hole) M(model_walk_hole),			\
	[PRB_WALK_DATA] = D("walk-data", "walk SEEK_DATA", 3, PRB_ON_FILE_PAGE, true) \
		E(exec_walk_data) M(model_walk_data),			\
	[PRB_WALK_FULL] = D("walk-full", "walk SEEK_DATA/SEEK_HOLE pairs", 2, PRB_ON_FILE, true) \
		E(exec_walk_full) M(model_walk_full),

struct fz_probe_desc {
	const char *name;
	const char *text;
	unsigned int weight;
	enum fz_probe_on on;
	bool walk;
};

extern const struct fz_probe_desc fz_probe_desc[PRB_NR];

/*
 * A walk to EOF goes on after an answer only when it moved forward: data
 * at or after where SEEK_DATA asked from, a hole after where SEEK_HOLE
 * did.  The executor stops there and the model expects it to.
 */
static inline bool fz_walk_goes_on(bool data, unsigned int from, int32_t ans)
{
	return ans >= 0 && (data ? (unsigned int)ans >= from : (unsigned int)ans > from);
}

enum fz_populate {
	POP_READ,	/* MADV_POPULATE_READ */
	POP_WRITE,	/* MADV_POPULATE_WRITE */
	POP_NR,
};

enum fz_numa {
	NUMA_MBIND,
	NUMA_SET_MEMPOLICY,
	NUMA_MOVE_PAGES,
	NUMA_MIGRATE_PAGES,
	NUMA_NR,
};

struct fz_op {
	uint8_t kind;
	uint8_t actor;		/* 0 main thread, 1 worker thread, 2 child */
	uint8_t async;		/* run on the worker, main goes on (OP_JOIN waits) */
	uint8_t slot;
	uint8_t file;
	uint8_t sub;
	uint8_t arg;
	uint8_t pad;
	uint16_t page;
	uint16_t npages;
	uint32_t gen;
};

struct fz_struct;
struct fz_slot;
struct fz_obs;

/*
 * The parts of a kind that every module shares (fz_ops.c, from FZ_OPS).
 * Limits: what the executor and the model accept in an operation's sub,
 * arg and gen fields; elsewhere these fields are 0 (gen: 0 to GEN_MAX).
 * A pattern of generation 0 or above GEN_MAX decodes as corrupt, which
 * would read as a kernel bug: an operation that writes or copies a
 * pattern needs a generation from 1 to GEN_MAX.
 */
enum fz_applies {
	FZ_NOT_APPLICABLE,	/* a no-op here */
	FZ_APPLIES,		/* applies, synchronously only */
	FZ_APPLIES_ASYNC,	/* applies, and may run asynchronously */
};

struct fz_op_desc {
	enum fz_kind kind;	/* its own index (fuzz_test checks the list) */
	const char *name;	/* in sequence files */
	const char *id;		/* "OP_KIND", in reproducers */
	unsigned int weight;	/* the generator's */
	uint8_t sub_min, sub_max, arg_max;
	uint32_t gen_min;
	/* Clamp op in place; sl is the slot op names, in its actor's process. */
	enum fz_applies (*applies)(const struct fz_struct *s, const struct fz_slot *sl,
				   struct fz_op *op);
	void (*advance)(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			const struct fz_obs *ob);
	/* who: "thread: ", "child: async ", ... to start the text with */
	void (*format)(const struct fz_op *op, const char *who, char *buf, size_t len);
};

extern const struct fz_op_desc fz_op_desc[OP_NR_KINDS];

/*
 * What the kernel answered to one operation.  val: a load's or pread's
 * content (CONTENT_* or a generation, content.h); SEEK_DATA/SEEK_HOLE's
 * page (a walk's answers are in the record's walk log); for MADV_COLLAPSE
 * the pages of its PMD found collapsed right after it, as the ledger's
 * EV_COLLAPSE.value (ledger.h): FZ_PMD_PAGES when the PMD read without a
 * hole, 0 when a hole remained (and bits that hole's page + 1),
 * FZ_COLLAPSE_UNKNOWN when it could not be read.  pmd_full: FZ_FULL_PMD, a touch through a VM_HUGEPAGE slot found
 * its PMD without a hole (SEEK_HOLE) right after it; FZ_FULL_MTHP, a touch
 * through a slot the OP_MTHP size applies to found that size's aligned
 * block without a hole: either shows what the fault allocated
 * (fill-on-alloc, fz_model.c).
 */
#define FZ_COLLAPSE_UNKNOWN	(-1)
#define FZ_FULL_PMD		0x1
#define FZ_FULL_MTHP		0x2

struct fz_obs {
	int32_t ret;		/* 0, or -errno */
	int32_t val;		/* see above */
	uint64_t bits;		/* mincore residency, a bit per page */
	uint8_t done;
	uint8_t nop;
	uint8_t sigbus;
	uint8_t pmd_full;
	/*
	 * Pages found swapped out (data by SEEK_DATA/SEEK_HOLE, not resident
	 * by mincore): OP_PAGEOUT's, those it pushed out; MADV_COLLAPSE's,
	 * those of its PMD when it began (measured only once a pageout of the
	 * run pushed some out), which a collapse that succeeds swapped in.
	 */
	uint16_t swapped;
};

/*
 * One lseek of a walk probe, as the executor asked it and the kernel
 * answered, twice in a row (the second call at once, with nothing in
 * between).  The executor writes it down; the model judges both answers.
 */
struct fz_walk {
	uint16_t op;		/* the probe that asked */
	uint16_t from;		/* page asked from */
	uint8_t data;		/* SEEK_DATA, else SEEK_HOLE */
	uint8_t pad[3];
	int32_t ans[2];		/* page, or -errno; [1]: the same call again */
};

#define FZ_FAULT_MISSING	0x1
#define FZ_FAULT_WP		0x2
#define FZ_FAULT_MINOR		0x4
#define FZ_FAULT_WRITE		0x8

struct fz_fault {
	uint16_t op;		/* operation running when it was read */
	uint8_t proc;
	uint8_t slot;		/* 0xff: address in no slot */
	uint16_t page;
	uint8_t flags;
	uint8_t how;		/* resolution: enum fz_uffdio */
	int32_t res;		/* resolution result, 0 or -errno */
};

/*
 * A userfaultfd event, as a handler read it: the operation running, the
 * process whose mm it is about (0 main, 1 the child, whether on its own
 * userfaultfd or the fork's context), and pages counted from the slots'
 * reservation (FZ_SLOT_STRIDE): REMOVE and UNMAP [a, b); REMAP from a to
 * b, c pages; FORK: a is 1 when a new context's file descriptor came.
 */
struct fz_event {
	uint16_t op;
	uint8_t proc;
	uint8_t type;		/* enum fz_event_type */
	uint32_t a, b, c;
};

/* Run-wide counters the executor keeps (coverage of the search). */
struct fz_exec_stats {
	uint32_t uffd_features_ok;	/* MINOR/WP on shmem negotiated */
	uint32_t numa_nodes;
	uint32_t uring_ok;
	uint32_t uring_ops;
	uint32_t numa_ops_ok;
	uint32_t numa_pages_on_target;	/* move_pages: pages then on the node asked */
	uint32_t events[FZE_NR];		/* userfaultfd events read, by type */
	/* shmem folios allocated during the run, by order (stats/shmem_alloc) */
	uint32_t shmem_alloc[FZ_MTHP_ORDERS];
	uint32_t stray_msgs;
	uint32_t kh_scans;
	uint32_t swap_on;		/* /proc/swaps listed a device when the run began */
	uint32_t swapped_out;		/* pages OP_PAGEOUT pushed out (obs swapped), run total */
};

struct fz_record {
	uint32_t nops;
	/* written by the run's main thread, read by fault handlers: __atomic */
	uint32_t cur_op;		/* the synchronous operation running */
	uint32_t cur_gen;		/* how its MISSING faults are resolved */
	uint32_t cur_zeropage;
	uint32_t nfaults;
	uint32_t nwalks;		/* may pass FZ_MAX_WALK_CALLS: the rest were refused */
	uint32_t nevents;		/* may pass FZ_MAX_EVENTS: not judged then */
	uint32_t events_off;		/* FZ_EV_* of the run's start that the kernel refused */
	uint32_t thp_dirty;		/* OP_MTHP pushed settings the run did not pop */
	int32_t setup_err;		/* the run could not start: -errno */
	char abort[160];		/* why the run stopped early, if it did */
	/*
	 * A process of the run died by a signal (fz_run() fills these in
	 * from the run process's wait status, or the run process from its
	 * child's): the signal, the process (0 main, 1 child), and the
	 * operation that was running.
	 */
	int32_t crash_sig;
	uint32_t crash_op;
	uint32_t crash_proc;
	struct fz_exec_stats st;
	struct fz_op op[FZ_MAX_OPS];
	struct fz_obs obs[FZ_MAX_OPS];
	struct fz_fault fault[FZ_MAX_FAULTS];
	struct fz_walk walk[FZ_MAX_WALK_CALLS];
	struct fz_event event[FZ_MAX_EVENTS];
};

/*
 * fz_ops.c: names, text form, structural preconditions.
 *
 * A sequence file is read whole, within these bounds, and every field of
 * every operation must be one the executor and the model accept (the
 * generator's output always is): the parser is the only gate between a
 * file and a run, so what it lets through must not be able to read as a
 * kernel bug.  The parsers return 0 (or the number of operations) or
 * -errno, with the reason, naming the line, in why.
 */
#define FZ_SEQ_MAX_BYTES	(1 << 20)
#define FZ_SEQ_MAX_LINES	8192
#define FZ_SEQ_MAX_LINE		1024	/* characters, without the newline */

struct fz_finding;

const char *fz_kind_name(enum fz_kind k);
void fz_op_format(const struct fz_op *op, char *buf, size_t len);
int fz_op_parse(const char *line, struct fz_op *op, char *why, size_t len);
int fz_seq_write(FILE *f, const struct fz_op *ops, unsigned int n);
/* fd (may be NULL): the finding the first line names ("# KIND at op N: WHY") */
int fz_seq_parse(const char *text, size_t size, struct fz_op *ops, unsigned int max,
		 struct fz_finding *fd, char *why, size_t len);
int fz_seq_read(FILE *f, struct fz_op *ops, unsigned int max,
		struct fz_finding *fd, char *why, size_t len);
/* A regular file only: a device or a FIFO could feed the parser forever. */
int fz_seq_load(const char *path, struct fz_op *ops, unsigned int max,
		struct fz_finding *fd, char *why, size_t len);

/*
 * The structural state: which slots are mapped where and how, file sizes,
 * whether the child exists.  Both the executor and the model keep one and
 * advance it with the same calls, so they agree on what is a no-op.
 */
struct fz_slot {
	bool mapped;
	bool alt;		/* at its second home (after an odd mremap) */
	bool hugepage;		/* VM_HUGEPAGE */
	uint8_t file;
	uint16_t first, npages;
	uint8_t reg[FZ_FILE_PAGES];	/* FZ_REG_* per file page */
};

struct fz_struct {
	uint32_t size[FZ_FILES];	/* pages */
	uint8_t events[FZ_PROCS];	/* FZ_EV_* its userfaultfd negotiated */
	uint8_t mthp_order, mthp_policy;	/* OP_MTHP's: order 0, none */
	bool child;
	struct fz_slot slot[FZ_PROCS][FZ_SLOTS];
};

static inline int fz_proc_of(unsigned int actor)
{
	return actor == 2 ? 1 : 0;
}

void fz_struct_init(struct fz_struct *s);
/* Clamps op's page range in place; returns false when op is a no-op. */
bool fz_struct_applies(const struct fz_struct *s, struct fz_op *op);
/* Advance the structure after op ran with result ob (op already clamped). */
void fz_struct_advance(struct fz_struct *s, const struct fz_op *op,
		       const struct fz_obs *ob);
/* The slot's page range holds file page `page`. */
bool fz_slot_has(const struct fz_slot *sl, unsigned int page);
/* A live MODE_MISSING registration covers the file page, in any process. */
bool fz_struct_missing(const struct fz_struct *s, unsigned int file, unsigned int page);
/* A fault through sl may allocate a folio of the OP_MTHP size (its order, or 0). */
unsigned int fz_struct_mthp(const struct fz_struct *s, const struct fz_slot *sl);

/* fz_gen.c */
unsigned int fz_generate(uint64_t seed, unsigned int nops, struct fz_op *ops);
uint64_t fz_iter_seed(uint64_t seed, uint64_t iter);
/* Each module has a function for every kind (tests: none is missing). */
bool fz_gen_has(enum fz_kind k);
bool fz_exec_has(enum fz_kind k);
bool fz_model_has(enum fz_kind k);
/* ...and for every kind of probe. */
bool fz_exec_probe_has(enum fz_probe p);
bool fz_model_probe_has(enum fz_probe p);

/* fz_model.c */
enum fz_verdict_kind {
	FV_NONE,
	FV_LOST_FAULT,		/* hole under MISSING became data with no fault */
	FV_SPURIOUS_FAULT,	/* fault for a page that cannot be missing */
	FV_DATA_VANISHED,	/* a data page read as a hole */
	FV_CONTENT,		/* bytes no write explains */
	FV_COPY_EEXIST,		/* kernel said missing, then filled it itself */
	FV_PHANTOM,		/* hole became data, nobody wrote it */
	FV_SIGBUS,		/* SIGBUS inside the file */
	FV_HANG,		/* an operation did not finish */
	FV_FILL_ON_ALLOC,	/* hole under MISSING filled by a large folio allocated elsewhere */
	FV_SEEK_FLICKER,	/* a walk saw a data page as a hole: the xarray leaf race */
	FV_CRASH,		/* a process of the run died by a signal (detail: its number) */
	FV_LOST_WP,		/* a store to a write-protected page went through with no WP fault */
	FV_EVENT,		/* a userfaultfd event missing, or one nothing explains */
	FV_INTERNAL,		/* the model and the executor disagree: our bug */
	FV_NR,
};

/*
 * Known gaps: breaks of the contract that are understood and fenced, so
 * that a run goes on to find the next thing (fz_verdict_known_gap()).
 * fill-on-alloc: a large folio allocated by something other than the
 * registered mapping (a fault through another VM_HUGEPAGE mapping, in any
 * process) filled a hole that a live MODE_MISSING registration covered,
 * and no collapse can explain the data; every kernel measured does it
 * (docs/findings/fill-on-alloc.md).  seek-flicker: a walk's SEEK_HOLE or
 * SEEK_DATA answer called a data page a hole, with the offsets of 6.12's
 * xarray leaf race while a collapse of its PMD was in flight, and the same
 * call asked again at once disagreed (docs/findings/seek-hole-flicker.md,
 * "Signature").  Unless the run is strict, the model counts each in the
 * finding's gap[kind] and goes on judging: a filled page is data from then
 * on, a flickering answer is not believed.
 */
struct fz_ignored {
	unsigned int n;		/* pages let through (fill-on-alloc: its block's) */
	unsigned int ties;	/* of the times seen, those a collapse could explain too */
	int op, page;		/* the first one */
	char why[256];
};

struct fz_finding {
	enum fz_verdict_kind kind;
	int op;			/* index of the operation that disagreed */
	int page;
	int detail;		/* FV_CRASH: the signal; a rerun must show the same */
	char why[256];
	struct fz_ignored gap[FV_NR];	/* known gaps seen while not strict, by kind */
};

struct fz_model_opts {
	bool mincore_hole_is_evidence;	/* false when the system has swap */
	bool strict;			/* known gaps are findings, not counts */
};

const char *fz_verdict_name(enum fz_verdict_kind k);
/* "FORK", "REMAP", "REMOVE", "UNMAP" (enum fz_event_type) */
const char *fz_event_name(unsigned int type);
/* "SIGBUS", "SIGSEGV", ..., else "signal N" */
const char *fz_signal_name(int sig);
/* Counted and ignored unless strict: fill-on-alloc, seek-flicker. */
bool fz_verdict_known_gap(enum fz_verdict_kind k);
/* Returns the first disagreement (kind FV_NONE if none). */
struct fz_finding fz_judge(const struct fz_record *r, const struct fz_model_opts *o);

/* Coverage, counted from a judged record. */
enum fz_collapse_result {
	CR_FILLED,	/* range had no hole after it */
	CR_OK_HOLES,	/* returned 0, holes remain */
	CR_EINVAL,
	CR_EAGAIN,
	CR_EBUSY,
	CR_OTHER,
	CR_NR,
};

struct fz_cov {
	uint64_t execs, ops, nops;
	uint64_t kind[OP_NR_KINDS];
	uint64_t kind_err[OP_NR_KINDS];
	uint64_t via[VIA_NR];
	uint64_t numa[NUMA_NR];
	uint64_t collapse[CR_NR][2];	/* [result][MISSING registered on PMD] */
	uint64_t faults_missing, faults_minor, faults_wp;
	uint64_t registered_holes_probed;
	uint64_t async_ops;
	uint64_t stores_past_eof;	/* a store beyond i_size that did not SIGBUS */
	uint64_t child_ops;
	uint64_t worker_ops;
	uint64_t probe[PRB_NR];		/* probes that ran, by kind */
	uint64_t walk_calls;		/* lseek calls of walks, each asked twice */
	uint64_t walk_changed;		/* ...whose second answer was not the first */
	uint64_t walk_in_collapse;	/* ...while an asynchronous collapse of the file ran */
	uint64_t mthp_set[FZ_MTHP_ORDERS];	/* OP_MTHP that allowed the size, by order */
	uint64_t mthp_full[FZ_MTHP_ORDERS];	/* touches that found its block filled */
	uint64_t pageout_noswap;	/* OP_PAGEOUT not asked: no swap */
	uint64_t swapped_out;		/* pages OP_PAGEOUT pushed out to swap */
	uint64_t collapse_swapin;	/* MADV_COLLAPSE returned 0 over swapped pages */
	uint64_t collapse_swapin_pages;	/* ...the swapped pages of those ranges */
};

void fz_cover(const struct fz_record *r, struct fz_cov *c);
void fz_cov_print(FILE *f, const struct fz_cov *c, const struct fz_exec_stats *st);

/* fz_exec.c */
struct fz_exec_opts {
	unsigned int timeout_ms;	/* bound on the whole sequence */
};

/*
 * Runs ops in a fresh process and fills r (from fz_record_alloc(): the
 * caller's own memory).  The run process writes its record into a sealed
 * memfd that only it maps; the caller reads it back with pread(2), so
 * nothing the kernel does to the run's memory can signal the caller.
 * Returns 0; -ETIMEDOUT when the run hung (r->abort says where); -ECHILD
 * when a process of the run died (r->crash_sig: by a signal); or another
 * -errno when the run could not start.
 *
 * Test hook, $UFFDC_INJECT (never set by the programs themselves):
 * fuzz-sigbus, fuzz-sigsegv, fuzz-sigkill make the first touch of the
 * sequence, in whichever process runs it, load beyond the EOF of a
 * mapping of its own, load from the PROT_NONE reservation, or SIGKILL
 * itself; fuzz-child-sigkill does the last in the child only.
 */
int fz_run(struct fz_record *r, const struct fz_op *ops, unsigned int n,
	   const struct fz_exec_opts *o);
struct fz_record *fz_record_alloc(void);
void fz_record_free(struct fz_record *r);

/* fz_sys.c: io_uring and NUMA, behind small wrappers */
int fz_uring_setup(void);
int fz_uring_rw(int fd, void *buf, unsigned int len, bool read_into_buf);
void fz_uring_teardown(void);
int fz_numa_nodes(void);
long fz_mbind(void *addr, unsigned long len, int mode, unsigned long nodemask);
long fz_set_mempolicy(int mode, unsigned long nodemask);
long fz_move_pages(int pid, unsigned long n, void **pages, const int *nodes,
		   int *status);
long fz_migrate_pages(int pid, unsigned long from, unsigned long to);

/* fz_replay.c */
const char *fz_env_setup(void);
/* strict: known gaps fail the replay (struct fz_model_opts, suite_strict()) */
int fz_replay(const struct fz_op *ops, unsigned int n, unsigned int runs, bool verbose,
	      bool strict);

/* fz_minimize.c */
typedef bool (*fz_pred)(const struct fz_op *ops, unsigned int n, void *ctx);
unsigned int fz_minimize(struct fz_op *ops, unsigned int n, fz_pred pred,
			 void *ctx, unsigned int *runs);

/* fz_repro.c */
int fz_repro_write(FILE *f, const struct fz_op *ops, unsigned int n,
		   const struct fz_finding *fd, uint64_t seed);
extern const char fz_repro_lib[];

#endif
