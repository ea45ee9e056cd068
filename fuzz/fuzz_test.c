// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's own tests: the model's judgement of hand-made records (each
 * violation kind flagged, each legal kernel choice accepted), the
 * generator's determinism, the text form, and the minimizer shrinking a
 * planted failure.  No kernel feature is needed, but for one test that
 * runs the executor (it skips without userfaultfd): a signal in a
 * sequence comes back as a crash.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "content.h"
#include "kselftest_harness.h"
#include "rng.h"
#include "suite.h"
#include "util.h"

static struct fz_record R;
static struct fz_model_opts MO = { .mincore_hole_is_evidence = true };

static void rec_reset(void)
{
	memset(&R, 0, sizeof(R));
}

static int add(struct fz_op op, int ret, int val, uint64_t bits)
{
	R.op[R.nops] = op;
	R.obs[R.nops] = (struct fz_obs){ .ret = ret, .val = val, .bits = bits, .done = 1 };
	return R.nops++;
}

static void fault(int op, int slot, int page, int flags, int how, int res)
{
	R.fault[R.nfaults++] = (struct fz_fault){
		.op = op, .slot = slot, .page = page, .flags = flags, .how = how, .res = res,
	};
}

static int mmap_slot(int slot, int file)
{
	return add((struct fz_op){ .kind = OP_MMAP, .slot = slot, .file = file,
				   .npages = FZ_PMD_PAGES }, 0, 0, 0);
}

static int reg(int slot, int first, int n, int modes)
{
	return add((struct fz_op){ .kind = OP_REGISTER, .slot = slot, .page = first,
				   .npages = n, .sub = modes }, 0, 0, 0);
}

static int pwrite_page(int file, int page, int gen)
{
	return add((struct fz_op){ .kind = OP_PWRITE, .file = file, .page = page,
				   .npages = 1, .gen = gen }, 4096, 0, 0);
}

static int load(int slot, int page, int gen, int seen)
{
	return add((struct fz_op){ .kind = OP_TOUCH, .slot = slot, .page = page,
				   .sub = VIA_USER, .gen = gen }, 0, seen, 0);
}

static int collapse(int slot, bool filled, int ret, bool async)
{
	return add((struct fz_op){ .kind = OP_MADVISE, .slot = slot, .sub = ADV_COLLAPSE,
				   .npages = FZ_PMD_PAGES, .async = async,
				   .actor = async ? 1 : 0 }, ret, filled ? FZ_PMD_PAGES : 0, 0);
}

static int seek(int file, int page, bool data, int result)
{
	return add((struct fz_op){ .kind = OP_PROBE, .file = file, .page = page,
				   .sub = data ? PRB_SEEK_DATA : PRB_SEEK_HOLE },
		   result < 0 ? result : 0, result, 0);
}

/* A userfaultfd event read while op ran (pages from the slots' base). */
static void event(int op, int proc, int type, unsigned int a, unsigned int b, unsigned int c)
{
	R.event[R.nevents++] = (struct fz_event){
		.op = op, .proc = proc, .type = type, .a = a, .b = b, .c = c,
	};
}

/* One call of a walk, in the record's log: what it asked, and both answers. */
static void walk_log(int op, int from, bool data, int ans, int again)
{
	R.walk[R.nwalks++] = (struct fz_walk){
		.op = op, .from = from, .data = data, .ans = { ans, again },
	};
}

/* A walk of one call (walk-hole, walk-data) from page `from` of the file. */
static int walk1(int file, int sub, int from, int ans, int again)
{
	int op = add((struct fz_op){ .kind = OP_PROBE, .file = file, .page = from, .sub = sub },
		     0, 0, 0);

	walk_log(op, from, sub == PRB_WALK_DATA, ans, again);
	return op;
}

/* A walk to EOF, its calls as pairs (answer, again), SEEK_DATA first, from 0. */
static int walk_full(int file, unsigned int n, const int (*pairs)[2])
{
	int op = add((struct fz_op){ .kind = OP_PROBE, .file = file, .sub = PRB_WALK_FULL },
		     0, 0, 0);
	unsigned int k;
	int from = 0;

	for (k = 0; k < n; k++) {
		walk_log(op, from, !(k % 2), pairs[k][0], pairs[k][1]);
		from = pairs[k][0];
	}
	return op;
}

/* pwrite of pages [first, first + n), 64 at a time as the executor clamps it */
static void pwrite_range(int file, int first, int n, int gen)
{
	struct fz_op op = { .kind = OP_PWRITE, .file = file, .gen = gen };

	for (op.page = first; op.page < first + n; op.page += op.npages) {
		op.npages = first + n - op.page < 64 ? first + n - op.page : 64;
		add(op, op.npages * 4096, 0, 0);
	}
}

/* An asynchronous MADV_COLLAPSE of file page 512 on, through slot 0. */
static int collapse_pmd1_async(void)
{
	struct fz_op op = { .kind = OP_MADVISE, .sub = ADV_COLLAPSE, .page = FZ_PMD_PAGES,
			    .npages = FZ_PMD_PAGES, .async = 1, .actor = 1 };

	return add(op, 0, 0, 0);
}

static enum fz_verdict_kind judge(int *op)
{
	struct fz_finding f = fz_judge(&R, &MO);

	if (op)
		*op = f.op;
	if (f.kind != FV_NONE)
		printf("# finding: %s at op %d: %s\n", fz_verdict_name(f.kind), f.op, f.why);
	return f.kind;
}

TEST(touch_without_fault_of_registered_hole_is_lost_fault)
{
	int op, t;

	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = load(0, 5, 7, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge(&op));
	ASSERT_EQ(t, op);
}

TEST(fault_resolved_by_copy_keeps_the_contract)
{
	int t;

	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = load(0, 5, 7, 7);
	fault(t, 0, 5, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* ...but the load must then see the copied generation */
	R.obs[t].val = 6;
	ASSERT_EQ(FV_CONTENT, judge(NULL));
}

TEST(collapse_filling_a_registered_hole_is_lost_fault)
{
	int op, c;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 0, 1);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	c = collapse(0, true, -EINVAL, false);
	ASSERT_EQ(FV_LOST_FAULT, judge(&op));
	ASSERT_EQ(c, op);
}

TEST(collapse_of_unregistered_range_may_fill)
{
	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 0, 1);
	collapse(0, true, 0, false);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
}

/*
 * A collapse's val is the pages of its PMD found collapsed, as the
 * ledger's EV_COLLAPSE.value: the whole PMD is "filled" whatever the
 * return value (6.1 says EINVAL and collapses); 0 or unknown is not.
 */
TEST(collapse_val_is_pages_found_collapsed)
{
	struct fz_cov c = { 0 };
	struct fz_op op = { .kind = OP_MADVISE, .sub = ADV_COLLAPSE,
			    .npages = FZ_PMD_PAGES };

	rec_reset();
	mmap_slot(0, 0);
	collapse(0, true, -EINVAL, false);
	collapse(0, false, -EINVAL, false);
	add(op, -EBUSY, FZ_COLLAPSE_UNKNOWN, 0);
	fz_cover(&R, &c);
	ASSERT_EQ(1, c.collapse[CR_FILLED][0]);
	ASSERT_EQ(1, c.collapse[CR_EINVAL][0]);
	ASSERT_EQ(1, c.collapse[CR_EBUSY][0]);

	/* only a PMD found collapsed makes a hole seen after it a vanishing */
	rec_reset();
	mmap_slot(0, 0);
	add(op, -EINVAL, FZ_COLLAPSE_UNKNOWN, 0);
	seek(0, 0, false, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.obs[1].val = FZ_PMD_PAGES;
	ASSERT_EQ(FV_DATA_VANISHED, judge(NULL));
}

TEST(hole_seen_after_registration_must_fault_even_after_earlier_collapse)
{
	int t;

	/* The collapse may or may not have filled page 5 before registration... */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 0, 1);
	collapse(0, false, -EINVAL, false);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = load(0, 5, 2, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* ...but once a probe after registration saw the hole, it must fault. */
	R.nops = t;
	seek(0, 5, false, 5);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
}

TEST(fault_for_a_written_page_is_spurious)
{
	int t;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 1);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = load(0, 5, 2, 2);
	fault(t, 0, 5, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
}

TEST(fault_while_nothing_touched_the_page_is_spurious)
{
	int w;

	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	w = pwrite_page(0, 9, 1);
	fault(w, 0, 9, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
}

TEST(written_page_seen_as_hole_is_data_vanished)
{
	rec_reset();
	pwrite_page(0, 5, 1);
	seek(0, 0, true, 6);
	ASSERT_EQ(FV_DATA_VANISHED, judge(NULL));
	R.nops--;
	seek(0, 0, true, 5);
	ASSERT_EQ(FV_NONE, judge(NULL));
}

TEST(pread_of_another_generation_is_content)
{
	int r;

	rec_reset();
	pwrite_page(1, 5, 3);
	r = add((struct fz_op){ .kind = OP_PREAD, .file = 1, .page = 5 }, 0, 2, 0);
	ASSERT_EQ(FV_CONTENT, judge(NULL));
	R.obs[r].val = 3;
	ASSERT_EQ(FV_NONE, judge(NULL));
}

TEST(data_nobody_wrote_is_phantom_unless_khugepaged_may_have_run)
{
	rec_reset();
	mmap_slot(0, 0);
	seek(0, 0, true, 7);
	ASSERT_EQ(FV_PHANTOM, judge(NULL));

	/* A VM_HUGEPAGE mapping lets khugepaged collapse at any time. */
	rec_reset();
	mmap_slot(0, 0);
	add((struct fz_op){ .kind = OP_MADVISE, .slot = 0, .sub = ADV_HUGEPAGE,
			    .npages = FZ_PMD_PAGES }, 0, 0, 0);
	pwrite_page(0, 0, 1);
	seek(0, 1, true, 7);
	ASSERT_EQ(FV_NONE, judge(NULL));

	/* ...but never over a live MISSING registration: once a hole is seen, it stays. */
	R.nops--;
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	seek(0, 1, false, 1);
	seek(0, 1, false, 9);
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
}

TEST(copy_eexist_then_data_is_copy_eexist)
{
	int t;

	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = load(0, 5, 2, 0);
	fault(t, 0, 5, FZ_FAULT_MISSING, UIO_COPY, -EEXIST);
	ASSERT_EQ(FV_COPY_EEXIST, judge(NULL));
}

TEST(fallocated_page_is_present_and_does_not_fault)
{
	rec_reset();
	mmap_slot(0, 0);
	add((struct fz_op){ .kind = OP_FALLOCATE, .file = 0, .page = 5, .npages = 1,
			    .sub = FALLOC_ALLOC }, 0, 0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
}

TEST(minor_fault_needs_a_page_in_the_cache)
{
	int t;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 4);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MINOR);
	t = load(0, 5, 2, 4);
	fault(t, 0, 5, FZ_FAULT_MINOR, UIO_CONTINUE, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.op[t].page = 6;
	R.obs[t].val = 0;
	R.fault[0].page = 6;
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
}

TEST(registering_a_subset_of_modes_keeps_missing)
{
	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING | FZ_REG_WP);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_WP);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
}

TEST(collapse_in_flight_linearizes_anywhere_but_after_registration)
{
	int t;

	/* Unjoined collapse, then registration: it may have filled before. */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 0, 1);
	collapse(0, false, 0, true);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = load(0, 5, 2, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* A hole seen after the registration pins it: no fill after that. */
	R.nops = t;
	seek(0, 5, false, 5);
	add((struct fz_op){ .kind = OP_JOIN }, 0, 0, 0);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
}

TEST(data_in_a_hole_missing_kept_is_lost_fault_however_seen)
{
	int t;

	/* Collapse under MISSING, then MINOR only: a MINOR fault shows the fill. */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 0, 1);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	collapse(0, false, -EINVAL, false);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MINOR);
	t = load(0, 9, 2, 0);
	fault(t, 0, 9, FZ_FAULT_MINOR, UIO_CONTINUE, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
	/* With no MISSING registration and no collapse, it is just spurious. */
	R.op[2] = R.op[3] = (struct fz_op){ .kind = OP_PREAD, .file = 0, .page = 1 };
	R.obs[2] = R.obs[3] = (struct fz_obs){ .done = 1 };
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
}

TEST(fault_through_vm_hugepage_may_fill_the_pmd)
{
	rec_reset();
	mmap_slot(0, 0);
	add((struct fz_op){ .kind = OP_MADVISE, .slot = 0, .sub = ADV_HUGEPAGE,
			    .npages = FZ_PMD_PAGES }, 0, 0, 0);
	load(0, 0, 1, 0);
	seek(0, 1, false, 9);
	ASSERT_EQ(FV_NONE, judge(NULL));
}

static int hugepage(int slot)
{
	return add((struct fz_op){ .kind = OP_MADVISE, .slot = slot, .sub = ADV_HUGEPAGE,
				   .npages = FZ_PMD_PAGES }, 0, 0, 0);
}

static struct fz_finding judge_full(bool strict)
{
	struct fz_finding f;
	unsigned int k;

	MO.strict = strict;
	f = fz_judge(&R, &MO);
	MO.strict = false;
	if (f.kind != FV_NONE)
		printf("# finding: %s at op %d: %s\n", fz_verdict_name(f.kind), f.op, f.why);
	for (k = 0; k < FV_NR; k++)
		if (f.gap[k].n)
			printf("# %s (ignored) x%u, first at op %d: %s\n", fz_verdict_name(k),
			       f.gap[k].n, f.gap[k].op, f.gap[k].why);
	return f;
}

/* The strict verdict, and whether the finding names a tie with a collapse */
static enum fz_verdict_kind judge_tie(int *op, bool *tie)
{
	struct fz_finding f = judge_full(true);

	if (op)
		*op = f.op;
	*tie = strstr(f.why, "(a tie)");
	return f.kind;
}

static enum fz_verdict_kind judge_strict(int *op)
{
	bool tie;

	return judge_tie(op, &tie);
}

/*
 * Slot 0 registered MISSING over PMD 0 of file 0; slot 1, another
 * mapping of it, VM_HUGEPAGE and unregistered, faults page 0 in: the
 * kernel may allocate a PMD folio there, which fills the other holes.
 */
static void alloc_elsewhere(void)
{
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	hugepage(1);
	load(1, 0, 1, 0);
}

TEST(fill_on_alloc_load_through_another_vm_hugepage_slot)
{
	int op, t;

	/* a load of another hole through the registered slot, with no fault */
	alloc_elsewhere();
	t = load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(&op));
	ASSERT_EQ(t, op);

	/* a store, or SEEK_DATA, mincore, a MINOR fault, UFFDIO_CONTINUE: the same */
	alloc_elsewhere();
	add((struct fz_op){ .kind = OP_TOUCH, .slot = 0, .page = 5, .sub = VIA_SYSCALL,
			    .arg = FZ_TOUCH_STORE, .gen = 2 }, 0, 0, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(NULL));
	alloc_elsewhere();
	seek(0, 1, true, 1);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(NULL));
	alloc_elsewhere();
	add((struct fz_op){ .kind = OP_PROBE, .slot = 0, .page = 0, .npages = 8,
			    .sub = PRB_MINCORE }, 0, 0, 0xff);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(NULL));
	alloc_elsewhere();
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING | FZ_REG_MINOR);
	t = load(0, 9, 2, 0);
	fault(t, 0, 9, FZ_FAULT_MINOR, UIO_CONTINUE, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(NULL));
	alloc_elsewhere();
	add((struct fz_op){ .kind = OP_UFFDIO, .slot = 0, .page = 9, .sub = UIO_CONTINUE },
	    0, 0, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(NULL));
}

/* As seed 2 iteration 1406 found it on 6.18: the child's fault fills the parent's holes. */
TEST(fill_on_alloc_fault_from_another_process)
{
	int op, t;

	rec_reset();
	add((struct fz_op){ .kind = OP_MMAP, .file = 1, .npages = FZ_FILE_PAGES }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_FORK }, 0, 0, 0);
	reg(0, FZ_PMD_PAGES, FZ_PMD_PAGES, FZ_REG_MISSING | FZ_REG_MINOR);
	add((struct fz_op){ .kind = OP_MADVISE, .actor = 2, .sub = ADV_HUGEPAGE,
			    .npages = FZ_FILE_PAGES }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_TOUCH, .actor = 2, .page = 769, .sub = VIA_SYSCALL,
			    .gen = 9 }, 0, 0, 0);
	t = add((struct fz_op){ .kind = OP_TOUCH, .page = 549, .sub = VIA_SYSCALL,
				.arg = FZ_TOUCH_STORE, .gen = 10 }, 0, 0, 0);
	fault(t, 0, 549, FZ_FAULT_MINOR | FZ_FAULT_WRITE, UIO_CONTINUE, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(&op));
	ASSERT_EQ(t, op);
	/* the child's mapping is not VM_HUGEPAGE: nothing explains the MINOR fault */
	R.op[3].sub = ADV_NOHUGEPAGE;
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
}

/*
 * A collapse whose PMD could not be read after it, and whose EINVAL says
 * nothing (6.1 returns it for a PMD it collapsed): it may have filled it.
 */
static int collapse_unread(int slot)
{
	return add((struct fz_op){ .kind = OP_MADVISE, .slot = slot, .sub = ADV_COLLAPSE,
				   .npages = FZ_PMD_PAGES }, -EINVAL, FZ_COLLAPSE_UNKNOWN, 0);
}

/*
 * An allocation and a collapse asked for could both have filled the hole:
 * a tie, fenced as fill-on-alloc (counted by default, a finding when
 * strict) and named a tie (filled_kind() says why).
 */
TEST(fill_on_alloc_that_a_collapse_could_explain_is_a_tie)
{
	bool tie;
	int op, t;

	/* a collapse between the allocation and the load: it may have filled */
	alloc_elsewhere();
	collapse_unread(1);
	t = load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(&op, &tie));
	ASSERT_TRUE(tie);
	ASSERT_EQ(t, op);
	/* ...counted by default */
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
	ASSERT_EQ(FZ_PMD_PAGES - 1, judge_full(false).gap[FV_FILL_ON_ALLOC].n);
	/* a collapse that reports the PMD full shows the fill at once */
	alloc_elsewhere();
	t = collapse(1, true, 0, false);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(&op, &tie));
	ASSERT_TRUE(tie);
	ASSERT_EQ(t, op);
	/* before the allocation: the same */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	hugepage(1);
	collapse_unread(1);
	load(1, 0, 1, 0);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_TRUE(tie);
	/* not joined yet, and a page freed while it ran: its hole proves nothing */
	alloc_elsewhere();
	collapse(1, false, 0, true);
	add((struct fz_op){ .kind = OP_FALLOCATE, .file = 0, .page = 400, .npages = 1,
			    .sub = FALLOC_PUNCH }, 0, 0, 0);
	t = load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(&op, &tie));
	ASSERT_TRUE(tie);
	ASSERT_EQ(t, op);
	/* with no allocation elsewhere, the collapse's fill is a lost fault */
	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	collapse_unread(0);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge_full(false).kind);
}

/*
 * A collapse is all or nothing: one that left a hole in its PMD filled
 * nothing, and cannot explain the data (the hole is the allocation's):
 * fill-on-alloc, and no tie.
 */
TEST(collapse_that_left_a_hole_does_not_explain_fill_on_alloc)
{
	bool tie;

	alloc_elsewhere();
	collapse(1, false, -EINVAL, false);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_FALSE(tie);
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
	/* asynchronous, joined, nothing freed meanwhile: the same */
	alloc_elsewhere();
	collapse(1, false, 0, true);
	add((struct fz_op){ .kind = OP_JOIN }, 0, 0, 0);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_FALSE(tie);
	/* but with no allocation elsewhere, that hole is still a lost fault */
	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	collapse(0, false, -EINVAL, false);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	/* and a PMD that i_size cuts proves nothing: the hole is beyond EOF */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	hugepage(1);
	add((struct fz_op){ .kind = OP_FTRUNCATE, .file = 0, .npages = 300 }, 0, 0, 0);
	load(1, 0, 1, 0);
	collapse(1, false, -EINVAL, false);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_TRUE(tie);
	R.op[4].npages = FZ_PMD_PAGES;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_FALSE(tie);
}

/*
 * The executor's SEEK_HOLE right after a fault through a VM_HUGEPAGE slot
 * (pmd_full) shows the fill at the allocation itself, before a later
 * collapse could be blamed for it; a collapse before it makes a tie.
 */
TEST(fill_on_alloc_seen_right_after_the_fault)
{
	bool tie;
	int op, t;

	alloc_elsewhere();
	t = R.nops - 1;
	R.obs[t].pmd_full = 1;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(&op));
	ASSERT_EQ(t, op);
	/* a collapse after it: the hole was already filled, by the allocation */
	collapse(1, true, 0, false);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(&op));
	ASSERT_EQ(t, op);
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
	ASSERT_EQ(FZ_PMD_PAGES - 1, judge_full(false).gap[FV_FILL_ON_ALLOC].n);
	/* a collapse before it may have filled first */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	hugepage(1);
	collapse_unread(1);
	t = load(1, 0, 1, 0);
	R.obs[t].pmd_full = 1;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(&op, &tie));
	ASSERT_TRUE(tie);
	ASSERT_EQ(t, op);
	/* ...unless the hole was seen after it: then it filled nothing there */
	R.nops = t;
	seek(0, 0, true, -ENXIO);
	t = load(1, 0, 1, 0);
	R.obs[t].pmd_full = 1;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(&op, &tie));
	ASSERT_FALSE(tie);
	ASSERT_EQ(t, op);
	/* through a slot that is not VM_HUGEPAGE, pmd_full proves nothing new */
	alloc_elsewhere();
	R.op[3].sub = ADV_NOHUGEPAGE;
	R.obs[4].pmd_full = 1;
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
	/* nor for a PMD that i_size cuts */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	hugepage(1);
	add((struct fz_op){ .kind = OP_FTRUNCATE, .file = 0, .npages = 300 }, 0, 0, 0);
	t = load(1, 0, 1, 0);
	R.obs[t].pmd_full = 1;
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
}

TEST(missing_hole_filled_with_no_allocation_elsewhere_is_lost_fault)
{
	/* the other slot is not VM_HUGEPAGE: its fault allocates one page */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	load(1, 0, 1, 0);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	ASSERT_EQ(FV_LOST_FAULT, judge_full(false).kind);
	/* VM_HUGEPAGE but no fault through it: only khugepaged, a collapse */
	R.op[3] = (struct fz_op){ .kind = OP_MADVISE, .slot = 1, .sub = ADV_HUGEPAGE,
				  .npages = FZ_PMD_PAGES };
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	/* a fault into an already-present page allocates nothing */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	hugepage(1);
	pwrite_page(0, 0, 1);
	load(1, 0, 1, 1);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	/* a hole seen after the allocation was not filled by it */
	alloc_elsewhere();
	seek(0, 5, false, 5);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	/* an allocation before the registration may fill: nothing to report */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	hugepage(1);
	load(1, 0, 1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	load(0, 5, 2, 0);
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
}

TEST(fill_on_alloc_is_counted_and_ignored_unless_strict)
{
	struct fz_finding f;
	int t, t2, w;

	alloc_elsewhere();
	t = load(0, 5, 2, 0);
	t2 = load(0, 6, 2, 0);
	/*
	 * by default: no finding, the first kept, and the PMD's holes
	 * counted at once (one folio filled them all: page 6 is no news)
	 */
	f = judge_full(false);
	ASSERT_EQ(FV_NONE, f.kind);
	ASSERT_EQ(FZ_PMD_PAGES - 1, f.gap[FV_FILL_ON_ALLOC].n);
	ASSERT_EQ(t, f.gap[FV_FILL_ON_ALLOC].op);
	ASSERT_EQ(5, f.gap[FV_FILL_ON_ALLOC].page);
	ASSERT_NE(NULL, strstr(f.gap[FV_FILL_ON_ALLOC].why, "allocated elsewhere"));
	/* strict: the first is the finding, nothing is counted */
	f = judge_full(true);
	ASSERT_EQ(FV_FILL_ON_ALLOC, f.kind);
	ASSERT_EQ(t, f.op);
	ASSERT_EQ(0, f.gap[FV_FILL_ON_ALLOC].n);
	/* ignored, the page is data from then on, and the rest is still judged */
	w = pwrite_page(0, 7, 3);
	add((struct fz_op){ .kind = OP_PREAD, .file = 0, .page = 7 }, 0, 4, 0);
	f = judge_full(false);
	ASSERT_EQ(FV_CONTENT, f.kind);
	ASSERT_EQ(w + 1, f.op);
	ASSERT_EQ(FZ_PMD_PAGES - 1, f.gap[FV_FILL_ON_ALLOC].n);
	R.nops = t2 + 1;
	seek(0, 5, false, 5);
	f = judge_full(false);
	ASSERT_EQ(FV_DATA_VANISHED, f.kind);
	/* ...also where only the allocation's block says it is data */
	R.nops = t2 + 1;
	seek(0, 300, false, 300);
	f = judge_full(false);
	ASSERT_EQ(FV_DATA_VANISHED, f.kind);
	/* a page of that block is not a lost fault of a later collapse */
	R.nops = t2 + 1;
	collapse_unread(1);
	load(0, 7, 2, 0);
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
	/* a lost fault after an ignored fill-on-alloc is still found (a hole again) */
	R.nops = t2 + 1;
	add((struct fz_op){ .kind = OP_FALLOCATE, .file = 0, .page = 7, .npages = 1,
			    .sub = FALLOC_PUNCH }, 0, 0, 0);
	seek(0, 7, false, 7);
	collapse_unread(1);
	load(0, 7, 2, 0);
	f = judge_full(false);
	ASSERT_EQ(FV_LOST_FAULT, f.kind);
	ASSERT_EQ(FZ_PMD_PAGES - 1, f.gap[FV_FILL_ON_ALLOC].n);
}

/*
 * Walks, judged call by call as a single-page probe of each page would
 * be at that moment: a data page called a hole is data-vanished.
 */
TEST(walk_reading_over_known_data_is_data_vanished)
{
	static const int full_ok[][2] = { { 0, 0 }, { 256, 256 }, { -ENXIO, -ENXIO } };
	static const int full_bad[][2] = { { 0, 0 }, { 128, 128 }, { -ENXIO, -ENXIO } };
	int op, t;

	/* SEEK_HOLE from 0 over data 0-255: 256 is right, 64 is not */
	rec_reset();
	pwrite_range(0, 0, 256, 1);
	t = walk1(0, PRB_WALK_HOLE, 0, 256, 256);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.walk[0].ans[0] = 64;
	ASSERT_EQ(FV_DATA_VANISHED, judge(&op));
	ASSERT_EQ(t, op);
	ASSERT_EQ(64, fz_judge(&R, &MO).page);
	/* the second answer is judged too */
	R.walk[0].ans[0] = 256;
	R.walk[0].ans[1] = 0;
	ASSERT_EQ(FV_DATA_VANISHED, judge(NULL));
	ASSERT_EQ(0, fz_judge(&R, &MO).page);

	/* SEEK_DATA from 0 skipping the data: every page of [0, d) was a hole */
	rec_reset();
	pwrite_range(0, 100, 10, 1);
	walk1(0, PRB_WALK_DATA, 0, 100, 100);
	walk1(0, PRB_WALK_DATA, 110, -ENXIO, -ENXIO);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.walk[0].ans[1] = 512;
	ASSERT_EQ(FV_DATA_VANISHED, judge(NULL));
	ASSERT_EQ(100, fz_judge(&R, &MO).page);
	R.walk[0].ans[1] = -ENXIO;
	ASSERT_EQ(FV_DATA_VANISHED, judge(NULL));
	/* and data where nothing was written is phantom, as for any probe */
	R.walk[0].ans[1] = 100;
	R.walk[1].ans[1] = 600;
	ASSERT_EQ(FV_PHANTOM, judge(NULL));

	/* a walk to EOF: every call of it */
	rec_reset();
	pwrite_range(0, 0, 256, 1);
	walk_full(0, ARRAY_SIZE(full_ok), full_ok);
	ASSERT_EQ(FV_NONE, judge(NULL));
	rec_reset();
	pwrite_range(0, 0, 256, 1);
	t = walk_full(0, ARRAY_SIZE(full_bad), full_bad);
	ASSERT_EQ(FV_DATA_VANISHED, judge(&op));
	ASSERT_EQ(t, op);
	ASSERT_EQ(128, fz_judge(&R, &MO).page);
	/* a call after the walk's end, or from elsewhere: the executor's bug */
	rec_reset();
	pwrite_range(0, 0, 256, 1);
	t = walk_full(0, ARRAY_SIZE(full_ok), full_ok);
	walk_log(t, 0, false, 256, 256);
	ASSERT_EQ(FV_INTERNAL, judge(NULL));
	R.nwalks--;
	R.walk[2].from = 255;
	ASSERT_EQ(FV_INTERNAL, judge(NULL));
	/* the log is checked whole before a call is judged */
	R.walk[1].ans[1] = 128;
	ASSERT_EQ(FV_INTERNAL, judge(NULL));
	R.walk[2].from = 256;
	ASSERT_EQ(FV_DATA_VANISHED, judge(NULL));
}

/*
 * The signature of the xarray leaf flicker (docs/findings/seek-hole-flicker.md):
 * data 0-255, a collapse of the PMD in flight, a walk's SEEK_HOLE from 0
 * says 64 and asked again at once says 256.  Counted, not failed, unless
 * strict; the answer is not believed, and the rest is still judged.
 */
TEST(walk_with_the_leaf_signature_is_seek_flicker)
{
	static const int full[][2] = {
		{ 0, 0 }, { 192, 256 }, { 192, 192 }, { 256, 256 }, { -ENXIO, -ENXIO },
	};
	struct fz_finding f;
	int op, t, h;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_range(0, 0, 256, 1);
	collapse(0, false, 0, true);
	t = walk1(0, PRB_WALK_HOLE, 0, 64, 256);
	f = judge_full(false);
	ASSERT_EQ(FV_NONE, f.kind);
	ASSERT_EQ(1, f.gap[FV_SEEK_FLICKER].n);
	ASSERT_EQ(t, f.gap[FV_SEEK_FLICKER].op);
	ASSERT_EQ(64, f.gap[FV_SEEK_FLICKER].page);
	ASSERT_NE(NULL, strstr(f.gap[FV_SEEK_FLICKER].why, "xarray leaf flicker"));
	ASSERT_EQ(0, f.gap[FV_FILL_ON_ALLOC].n);
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(&op));
	ASSERT_EQ(t, op);
	/* any leaf boundary inside the PMD past the walk's start */
	for (h = 64; h < 256; h += 64) {
		R.walk[0].from = h == 64 ? 5 : 0;
		R.op[t].page = R.walk[0].from;
		R.walk[0].ans[0] = h;
		ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(NULL)) TH_LOG("h %d", h);
	}
	/* the second answer flickers, the first is right */
	R.walk[0].ans[0] = 256;
	R.walk[0].ans[1] = 128;
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(NULL));
	/* khugepaged's standing possibility counts as a collapse in flight */
	rec_reset();
	mmap_slot(0, 0);
	hugepage(0);
	pwrite_range(0, 0, 256, 1);
	walk1(0, PRB_WALK_HOLE, 0, 128, 256);
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(NULL));
	ASSERT_EQ(1, judge_full(false).gap[FV_SEEK_FLICKER].n);

	/* SEEK_DATA: holes 0-255, data 256-511; the walker skips to the next PMD */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_range(0, 256, 256, 1);
	collapse(0, false, 0, true);
	t = walk1(0, PRB_WALK_DATA, 0, 512, 256);
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(&op));
	ASSERT_EQ(t, op);
	ASSERT_EQ(256, fz_judge(&R, &MO).gap[FV_SEEK_FLICKER].page);
	/* ...or to EOF when that PMD is the file's last */
	R.walk[0].ans[0] = -ENXIO;
	ASSERT_EQ(FV_DATA_VANISHED, judge_strict(NULL));
	R.nops = 0;
	R.nwalks = 0;
	add((struct fz_op){ .kind = OP_FTRUNCATE, .file = 0, .npages = FZ_PMD_PAGES }, 0, 0, 0);
	mmap_slot(0, 0);
	pwrite_range(0, 256, 256, 1);
	collapse(0, false, 0, true);
	walk1(0, PRB_WALK_DATA, 0, -ENXIO, 256);
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(NULL));
	ASSERT_EQ(FV_NONE, judge_full(false).kind);

	/* in a walk to EOF: counted, and the walk goes on being judged */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_range(0, 0, 256, 1);
	collapse(0, false, 0, true);
	walk_full(0, ARRAY_SIZE(full), full);
	f = judge_full(false);
	ASSERT_EQ(FV_NONE, f.kind);
	ASSERT_EQ(1, f.gap[FV_SEEK_FLICKER].n);
	/* a later read of the page still sees the data: the model did not believe the hole */
	add((struct fz_op){ .kind = OP_PREAD, .file = 0, .page = 192 }, 0, 1, 0);
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
	R.obs[R.nops - 1].val = CONTENT_ZERO;
	f = judge_full(false);
	ASSERT_EQ(FV_CONTENT, f.kind);
	ASSERT_EQ(1, f.gap[FV_SEEK_FLICKER].n);
	/* and a real vanishing later in the walk is still found */
	R.nops--;
	R.walk[R.nwalks - 2].ans[1] = 200;
	f = judge_full(false);
	ASSERT_EQ(FV_DATA_VANISHED, f.kind);
	ASSERT_EQ(1, f.gap[FV_SEEK_FLICKER].n);
}

/*
 * What the signature leaves out stays data-vanished: 6.1's uptodate
 * flicker (the walk's own start, the start of the PMD, a repeat that
 * agrees), an offset off the leaf boundary, no collapse in flight.
 */
TEST(walk_without_the_leaf_signature_stays_data_vanished)
{
	int t, c;

	rec_reset();
	add((struct fz_op){ .kind = OP_MMAP, .npages = FZ_FILE_PAGES }, 0, 0, 0);
	pwrite_range(0, 0, 700, 1);
	collapse(0, false, 0, true);
	c = collapse_pmd1_async();
	t = walk1(0, PRB_WALK_HOLE, 64, 64, 700);
	/* h == from */
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	ASSERT_EQ(FV_DATA_VANISHED, judge_strict(NULL));
	/* h a multiple of the PMD size */
	R.walk[0].from = 0;
	R.op[t].page = R.walk[0].from;
	R.walk[0].ans[0] = 512;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* the walk's own start, the PMD's start */
	R.walk[0].ans[0] = 0;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* off a leaf boundary */
	R.walk[0].ans[0] = 100;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* the repeat agrees */
	R.walk[0].ans[0] = 64;
	R.walk[0].ans[1] = 64;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* the signature, to show that it is the one thing that changed */
	R.walk[0].ans[1] = 700;
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
	/* no collapse in flight: joined before the walk */
	R.op[t + 1] = R.op[t];
	R.obs[t + 1] = R.obs[t];
	R.op[t] = (struct fz_op){ .kind = OP_JOIN };
	R.walk[0].op = t + 1;
	R.nops++;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* a collapse of the other PMD only */
	R.op[t] = R.op[c];
	R.obs[t] = R.obs[c];
	R.op[c] = (struct fz_op){ .kind = OP_JOIN };
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);

	/* SEEK_DATA from a data page itself (6.1: b == s), data 256-511, collapse in flight */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_range(0, 256, 256, 1);
	collapse(0, false, 0, true);
	t = walk1(0, PRB_WALK_DATA, 256, 512, 256);
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* from inside the first data page's leaf */
	R.walk[0].from = 200;
	R.op[t].page = R.walk[0].from;
	R.walk[0].ans[1] = 256;
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(NULL));
	R.walk[0].from = 256 - 1;
	R.op[t].page = R.walk[0].from;
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(NULL));
	R.walk[0].from = 0;
	R.op[t].page = R.walk[0].from;
	/* not at a PMD boundary, or ENXIO with more file after that PMD */
	R.walk[0].ans[0] = 300;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	R.walk[0].ans[0] = -ENXIO;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* the repeat agrees */
	R.walk[0].ans[0] = 512;
	R.walk[0].ans[1] = 512;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	/* the first data page at a PMD boundary, or a PMD away from the answer */
	rec_reset();
	add((struct fz_op){ .kind = OP_MMAP, .npages = FZ_FILE_PAGES }, 0, 0, 0);
	pwrite_range(0, 256, 64, 1);
	pwrite_range(0, 512, 64, 1);
	collapse(0, false, 0, true);
	collapse_pmd1_async();
	t = walk1(0, PRB_WALK_DATA, 400, -ENXIO, 512);
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	R.walk[0].from = 0;
	R.op[t].page = R.walk[0].from;
	R.walk[0].ans[1] = 256;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	R.walk[0].ans[0] = 1024;
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
	R.walk[0].ans[0] = 512;
	ASSERT_EQ(FV_SEEK_FLICKER, judge_strict(NULL));
	/* and a plain SEEK_HOLE probe, with no repeat, is never fenced */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_range(0, 0, 256, 1);
	collapse(0, false, 0, true);
	seek(0, 0, false, 64);
	ASSERT_EQ(FV_DATA_VANISHED, judge_full(false).kind);
}

/*
 * A walk's claims over pages that a collapse (asked for, or khugepaged's)
 * may fill, fallocated pages and pages beyond EOF are no findings, as for
 * a single-page probe; the answers may change between the two calls.
 */
TEST(walk_claims_over_pages_a_collapse_may_fill_are_not_findings)
{
	/* the collapse joins between the two calls of SEEK_HOLE(0) */
	static const int full[][2] = {
		{ 0, 0 }, { 1, 512 }, { 1, 1 }, { 512, 512 }, { -ENXIO, -ENXIO },
	};

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 0, 1);
	collapse(0, false, 0, true);
	walk1(0, PRB_WALK_DATA, 1, -ENXIO, -ENXIO);
	walk1(0, PRB_WALK_HOLE, 0, 1, 1);
	walk_full(0, ARRAY_SIZE(full), full);
	walk1(0, PRB_WALK_HOLE, 0, 512, 512);
	walk1(0, PRB_WALK_DATA, 1, 1, 1);
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
	/* the same under khugepaged's possibility instead */
	R.op[2] = (struct fz_op){ .kind = OP_MADVISE, .slot = 0, .sub = ADV_HUGEPAGE,
				  .npages = FZ_PMD_PAGES };
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
	/* with neither, data nobody wrote is phantom */
	R.op[2] = (struct fz_op){ .kind = OP_JOIN };
	ASSERT_EQ(FV_PHANTOM, judge_strict(NULL));
	/* and once filled, data stays: a hole after the fill has vanished */
	R.op[2] = (struct fz_op){ .kind = OP_MADVISE, .slot = 0, .sub = ADV_HUGEPAGE,
				  .npages = FZ_PMD_PAGES };
	walk1(0, PRB_WALK_HOLE, 0, 256, 256);
	ASSERT_EQ(FV_DATA_VANISHED, judge_strict(NULL));

	/* fallocated pages read either way; beyond EOF nothing is claimed */
	rec_reset();
	add((struct fz_op){ .kind = OP_FALLOCATE, .file = 1, .page = 10, .npages = 10,
			    .sub = FALLOC_ALLOC }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_FTRUNCATE, .file = 1, .npages = 300 }, 0, 0, 0);
	pwrite_page(1, 299, 2);
	walk1(1, PRB_WALK_DATA, 10, 299, 10);
	walk1(1, PRB_WALK_HOLE, 10, 20, 10);
	walk1(1, PRB_WALK_DATA, 20, 299, 299);
	walk1(1, PRB_WALK_HOLE, 299, 300, 300);
	walk1(1, PRB_WALK_DATA, 400, -ENXIO, 700);
	walk1(1, PRB_WALK_HOLE, 400, -ENXIO, 400);
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
	/* the same walks as single-page probes would: a hole at 299 has vanished */
	R.walk[R.nwalks - 3].ans[1] = 299;
	ASSERT_EQ(FV_DATA_VANISHED, judge_strict(NULL));
}

/* Coverage: probes by kind, walk calls, those during a collapse, answers that changed. */
TEST(walk_coverage_counts_calls)
{
	static const int full[][2] = { { 0, 0 }, { 1, 512 }, { -ENXIO, -ENXIO } };
	struct fz_cov c = { 0 };

	rec_reset();
	mmap_slot(0, 0);
	walk1(0, PRB_WALK_HOLE, 0, 0, 0);
	collapse(0, false, 0, true);
	walk1(0, PRB_WALK_DATA, 0, -ENXIO, 0);
	walk1(1, PRB_WALK_DATA, 0, -ENXIO, -ENXIO);
	walk_full(0, ARRAY_SIZE(full), full);
	add((struct fz_op){ .kind = OP_JOIN }, 0, 0, 0);
	seek(0, 0, true, 0);
	fz_cover(&R, &c);
	ASSERT_EQ(1, c.probe[PRB_WALK_HOLE]);
	ASSERT_EQ(2, c.probe[PRB_WALK_DATA]);
	ASSERT_EQ(1, c.probe[PRB_WALK_FULL]);
	ASSERT_EQ(1, c.probe[PRB_SEEK_DATA]);
	ASSERT_EQ(6, c.walk_calls);
	ASSERT_EQ(4, c.walk_in_collapse);
	ASSERT_EQ(2, c.walk_changed);
}

/*
 * The fuzzer is strict as every program is (suite_strict()): unset, empty
 * or 0 is not, 1 is; anything else is a usage error (suite_env_check()).
 */
TEST(strict_comes_from_uffdc_strict)
{
	static const char * const bad[] = { "2", "yes", "-1", " 1", "1 ", "0x2", "nan", "1x" };
	char *old = getenv("UFFDC_STRICT");
	unsigned int i;

	old = old ? strdup(old) : NULL;
	unsetenv("UFFDC_STRICT");
	ASSERT_FALSE(suite_strict());
	ASSERT_EQ(NULL, suite_env_check());
	setenv("UFFDC_STRICT", "", 1);
	ASSERT_FALSE(suite_strict());
	ASSERT_EQ(NULL, suite_env_check());
	setenv("UFFDC_STRICT", "1", 1);
	ASSERT_TRUE(suite_strict());
	ASSERT_EQ(NULL, suite_env_check());
	setenv("UFFDC_STRICT", "0", 1);
	ASSERT_FALSE(suite_strict());
	ASSERT_EQ(NULL, suite_env_check());
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		setenv("UFFDC_STRICT", bad[i], 1);
		ASSERT_FALSE(suite_strict()) TH_LOG("'%s'", bad[i]);
		ASSERT_NE(NULL, suite_env_check()) TH_LOG("'%s'", bad[i]);
	}
	if (old)
		setenv("UFFDC_STRICT", old, 1);
	else
		unsetenv("UFFDC_STRICT");
	free(old);
}

TEST(store_past_eof_that_went_through_may_show_after_growth)
{
	int r;

	rec_reset();
	add((struct fz_op){ .kind = OP_FTRUNCATE, .file = 0, .npages = 4 }, 0, 0, 0);
	mmap_slot(0, 0);
	add((struct fz_op){ .kind = OP_TOUCH, .slot = 0, .page = 9, .sub = VIA_USER,
			    .arg = FZ_TOUCH_STORE, .gen = 6 }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_FTRUNCATE, .file = 0, .npages = FZ_PMD_PAGES }, 0, 0, 0);
	r = add((struct fz_op){ .kind = OP_PREAD, .file = 0, .page = 9 }, 0, 6, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* the store SIGBUSed as it should: the page stays a hole */
	R.obs[2].sigbus = 1;
	R.obs[2].ret = -EFAULT;
	ASSERT_EQ(FV_CONTENT, judge(NULL));
	R.obs[r].val = 0;
	ASSERT_EQ(FV_NONE, judge(NULL));
}

TEST(mincore_hole_counts_only_without_swap)
{
	int m;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 3, 1);
	m = add((struct fz_op){ .kind = OP_PROBE, .slot = 0, .page = 0, .npages = 8,
				.sub = PRB_MINCORE }, 0, 0, 0x08);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.obs[m].bits = 0;
	ASSERT_EQ(FV_DATA_VANISHED, judge(NULL));
	MO.mincore_hole_is_evidence = false;
	ASSERT_EQ(FV_NONE, judge(NULL));
	MO.mincore_hole_is_evidence = true;
}

/* OP_PAGEOUT of slot's [page, page + n): bits, SEEK_DATA's data pages after it. */
static int pageout(int slot, int page, int n, int val, uint64_t bits, int swapped)
{
	int t = add((struct fz_op){ .kind = OP_PAGEOUT, .slot = slot, .page = page,
				    .npages = n }, 0, val, bits);

	R.obs[t].swapped = swapped;
	return t;
}

/*
 * A page pushed out to swap is still data: SEEK_DATA says so, a load
 * through a MISSING registration raises no fault and reads its content.
 */
TEST(swapped_out_page_is_data)
{
	int t, op;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 3);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	/* pages 4-7: only 5 is data */
	pageout(0, 4, 4, 0, 1 << 1, 1);
	t = load(0, 5, 9, 3);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* swapped in with other bytes */
	R.obs[t].val = CONTENT_ZERO;
	ASSERT_EQ(FV_CONTENT, judge(NULL));
	R.obs[t].val = 3;
	/* a MISSING fault for it: it was never missing */
	fault(t, 0, 5, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(&op));
	ASSERT_EQ(t, op);
	R.nfaults = 0;
	/* SEEK_DATA after the pageout calls it a hole: it vanished */
	R.obs[3].bits = 0;
	ASSERT_EQ(FV_DATA_VANISHED, judge(&op));
	ASSERT_EQ(3, op);
	/* ...or calls a hole under MISSING data: a fault was lost */
	R.obs[3].bits = 1 << 1 | 1 << 2;
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
	/* no swap: the operation was not asked, its record claims nothing */
	R.obs[3].val = FZ_PAGEOUT_NO_SWAP;
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* an lseek failed: no evidence either */
	R.obs[3].val = FZ_PAGEOUT_UNSEEN;
	ASSERT_EQ(FV_NONE, judge(NULL));
}

/*
 * MADV_PAGEOUT may do nothing (resident stays resident) and may drop a page
 * of zeros (6.18 does): that page may be a hole afterwards, and only that.
 */
TEST(pageout_may_keep_pages_and_drop_zeros)
{
	int t;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 3);
	load(0, 6, 0, CONTENT_ZERO);	/* a hole outside MISSING: zeros now */
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	pageout(0, 5, 2, 0, 1 << 0, 0);
	t = load(0, 6, 4, 4);
	fault(t, 0, 6, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* resident or not, page 5 was data: its fault is spurious */
	t = load(0, 5, 4, 3);
	fault(t, 0, 5, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
}

/* During a collapse of the PMD, 6.12's SEEK_DATA may flicker: a hole is not believed. */
TEST(pageout_seek_hole_in_a_collapse_is_not_evidence)
{
	int op;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 3);
	collapse(0, true, 0, true);
	pageout(0, 5, 1, 0, 0, 0);
	add((struct fz_op){ .kind = OP_JOIN }, 0, 0, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* with no collapse in flight it is a vanishing */
	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 3);
	pageout(0, 5, 1, 0, 0, 0);
	ASSERT_EQ(FV_DATA_VANISHED, judge(&op));
	ASSERT_EQ(2, op);
}

/* Coverage: pages swapped out, and collapses that swapped some back in. */
TEST(swap_coverage_counts_pageouts_and_swapin_collapses)
{
	struct fz_cov c = { 0 };
	int t;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 3);
	pageout(0, 5, 1, 0, 1, 1);
	pageout(0, 5, 1, FZ_PAGEOUT_NO_SWAP, 0, 0);
	t = collapse(0, true, 0, false);
	R.obs[t].swapped = 1;
	t = collapse(0, true, -EINVAL, false);
	R.obs[t].swapped = 1;
	fz_cover(&R, &c);
	ASSERT_EQ(2, c.kind[OP_PAGEOUT]);
	ASSERT_EQ(1, c.pageout_noswap);
	ASSERT_EQ(1, c.swapped_out);
	ASSERT_EQ(1, c.collapse_swapin);
	ASSERT_EQ(1, c.collapse_swapin_pages);
}

TEST(populate_of_a_registered_hole_must_fault_like_a_touch)
{
	struct fz_op pop = { .kind = OP_POPULATE, .slot = 0, .page = 4, .npages = 3,
			     .sub = POP_READ, .gen = 9 };
	int t;

	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 5, 1);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = add(pop, 0, 0, 0);
	fault(t, 0, 4, FZ_FAULT_MISSING, UIO_COPY, 0);
	fault(t, 0, 6, FZ_FAULT_MISSING, UIO_COPY, 0);
	load(0, 6, 2, 9);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* page 6 was a hole under MISSING: populated without its fault, it is lost */
	R.nfaults = 1;
	R.nops--;
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
	/* page 5 held data: a fault for it is spurious */
	R.nfaults = 2;
	fault(t, 0, 5, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	/* a fault for a page outside the range is spurious too */
	R.nfaults = 2;
	fault(t, 0, 7, FZ_FAULT_MISSING, UIO_COPY, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	/* failed part way: page 6 was not reached, and that is no loss */
	R.nfaults = 1;
	R.obs[t].ret = -EFAULT;
	ASSERT_EQ(FV_NONE, judge(NULL));

	/* without a registration, holes become zeros and nothing faults */
	rec_reset();
	mmap_slot(0, 0);
	pop.sub = POP_WRITE;
	add(pop, 0, 0, 0);
	load(0, 6, 2, CONTENT_ZERO);
	seek(0, 4, false, 7);
	ASSERT_EQ(FV_NONE, judge(NULL));

	/* through another VM_HUGEPAGE mapping it may fill the registered holes */
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	hugepage(1);
	pop.slot = 1;
	add(pop, 0, 0, 0);
	load(0, 300, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(NULL));
}

static int store(int slot, int page, int gen)
{
	return add((struct fz_op){ .kind = OP_TOUCH, .slot = slot, .page = page,
				   .sub = VIA_USER, .arg = FZ_TOUCH_STORE, .gen = gen }, 0, 0, 0);
}

static int wprotect(int slot, int first, int n, bool on, int ret)
{
	return add((struct fz_op){ .kind = OP_WRITEPROTECT, .slot = slot, .page = first,
				   .npages = n, .sub = on ? FZ_WP_PROTECT : FZ_WP_UNPROTECT },
		   ret, 0, 0);
}

/* Slot 0 over PMD 0 of file 0, registered WP, page 7 written, all protected. */
static void wp_setup(int modes)
{
	rec_reset();
	mmap_slot(0, 0);
	pwrite_page(0, 7, 1);
	reg(0, 0, FZ_PMD_PAGES, modes);
	wprotect(0, 0, FZ_PMD_PAGES, true, 0);
}

TEST(wp_fault_is_owed_by_a_store_to_a_protected_page_and_nothing_else)
{
	int t;

	/* a store to a protected page, data or hole, raises one WP fault */
	wp_setup(FZ_REG_WP);
	t = store(0, 7, 2);
	fault(t, 0, 7, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	t = store(0, 3, 3);
	fault(t, 0, 3, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	/* resolved: the page is writable again */
	store(0, 3, 4);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* ...so a second WP fault for it is spurious */
	fault(R.nops - 1, 0, 3, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));

	/* no WP fault for a protected page: lost */
	wp_setup(FZ_REG_WP);
	t = store(0, 7, 2);
	ASSERT_EQ(FV_LOST_WP, judge(&t));
	ASSERT_EQ(4, t);
	/* a load never raises one */
	wp_setup(FZ_REG_WP);
	t = load(0, 7, 2, 1);
	fault(t, 0, 7, FZ_FAULT_WP, UIO_WAKE, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	/* nor an operation that does not touch the page */
	wp_setup(FZ_REG_WP);
	t = pwrite_page(0, 9, 2);
	fault(t, 0, 9, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	/* nor a page never protected, or unprotected */
	wp_setup(FZ_REG_WP);
	wprotect(0, 0, 16, false, 0);
	t = store(0, 7, 2);
	fault(t, 0, 7, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	R.nfaults = 0;
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* a protect that failed may or may not have protected: both pass */
	wp_setup(FZ_REG_WP);
	R.obs[R.nops - 1].ret = -EAGAIN;
	t = store(0, 7, 2);
	ASSERT_EQ(FV_NONE, judge(NULL));
	fault(t, 0, 7, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));

	/* MADV_POPULATE_WRITE owes one per protected page, READ none */
	wp_setup(FZ_REG_WP);
	t = add((struct fz_op){ .kind = OP_POPULATE, .slot = 0, .page = 6, .npages = 2,
				.sub = POP_WRITE, .gen = 5 }, 0, 0, 0);
	fault(t, 0, 6, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_LOST_WP, judge(NULL));
	fault(t, 0, 7, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.op[t].sub = POP_READ;
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	R.nfaults = 0;
	ASSERT_EQ(FV_NONE, judge(NULL));
}

TEST(wp_protection_lives_as_the_kernel_keeps_it)
{
	static const struct fz_op zaps[] = {
		{ .kind = OP_MADVISE, .sub = ADV_DONTNEED, .page = 7, .npages = 1 },
		{ .kind = OP_MADVISE, .sub = ADV_PAGEOUT, .page = 7, .npages = 1 },
		{ .kind = OP_MADVISE, .sub = ADV_REMOVE, .page = 7, .npages = 1 },
		{ .kind = OP_FALLOCATE, .sub = FALLOC_PUNCH, .page = 7, .npages = 1 },
		{ .kind = OP_MADVISE, .sub = ADV_COLLAPSE, .page = 0, .npages = FZ_PMD_PAGES },
	};
	unsigned int i;
	int t;

	/* zapping keeps it (the uffd-wp PTE marker): still owed */
	for (i = 0; i < ARRAY_SIZE(zaps); i++) {
		wp_setup(FZ_REG_WP);
		add(zaps[i], zaps[i].kind == OP_MADVISE && zaps[i].sub == ADV_COLLAPSE ? -EINVAL : 0,
		    0, 0);
		store(0, 7, 2);
		ASSERT_EQ(FV_LOST_WP, judge(NULL)) TH_LOG("zap %u", i);
	}
	/* ...unless an asynchronous operation may map the folio being truncated */
	wp_setup(FZ_REG_WP);
	add((struct fz_op){ .kind = OP_NUMA, .sub = NUMA_MIGRATE_PAGES, .async = 1, .actor = 1 },
	    0, 0, 0);
	add(zaps[3], 0, 0, 0);
	store(0, 7, 2);
	ASSERT_EQ(FV_NONE, judge(NULL));

	/* a resolved MISSING fault installs a PTE without it: nothing owed */
	wp_setup(FZ_REG_WP | FZ_REG_MISSING);
	t = store(0, 9, 2);
	fault(t, 0, 9, FZ_FAULT_MISSING | FZ_FAULT_WRITE, UIO_COPY, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	fault(t, 0, 9, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	/* ...nor after UFFDIO_COPY */
	wp_setup(FZ_REG_WP | FZ_REG_MISSING);
	add((struct fz_op){ .kind = OP_UFFDIO, .slot = 0, .page = 9, .sub = UIO_COPY, .gen = 3 },
	    0, 0, 0);
	store(0, 9, 2);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* ...but a load of a protected hole outside MISSING keeps it */
	wp_setup(FZ_REG_WP);
	load(0, 9, 2, CONTENT_ZERO);
	store(0, 9, 3);
	ASSERT_EQ(FV_LOST_WP, judge(NULL));

	/* UFFDIO_UNREGISTER clears it: a fault after registering again is spurious */
	wp_setup(FZ_REG_WP);
	add((struct fz_op){ .kind = OP_UNREGISTER, .slot = 0, .npages = FZ_PMD_PAGES }, 0, 0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_WP);
	t = store(0, 7, 2);
	fault(t, 0, 7, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	/* modes replaced without WP leave the bits: maybe, after WP comes back */
	wp_setup(FZ_REG_WP);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_WP);
	t = store(0, 7, 2);
	ASSERT_EQ(FV_NONE, judge(NULL));
	fault(t, 0, 7, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* a mapping made afresh has none */
	wp_setup(FZ_REG_WP);
	add((struct fz_op){ .kind = OP_MUNMAP, .slot = 0 }, 0, 0, 0);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_WP);
	t = store(0, 7, 2);
	fault(t, 0, 7, FZ_FAULT_WP | FZ_FAULT_WRITE, UIO_WAKE, 0);
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
	/* a fork's child has none of it without EVENT_FORK */
	wp_setup(FZ_REG_WP);
	add((struct fz_op){ .kind = OP_FORK }, 0, 0, 0);
	t = add((struct fz_op){ .kind = OP_TOUCH, .actor = 2, .page = 7, .sub = VIA_USER,
				.arg = FZ_TOUCH_STORE, .gen = 2 }, 0, 0, 0);
	R.fault[R.nfaults++] = (struct fz_fault){ .op = t, .proc = 1, .page = 7,
						   .flags = FZ_FAULT_WP | FZ_FAULT_WRITE };
	ASSERT_EQ(FV_SPURIOUS_FAULT, judge(NULL));
}

/* main's userfaultfd opened anew with these events, all granted */
static int reopen(unsigned int ev)
{
	return add((struct fz_op){ .kind = OP_UFFD, .sub = ev }, 0, ev, 0);
}

static int madv(int slot, int sub, int first, int n)
{
	return add((struct fz_op){ .kind = OP_MADVISE, .slot = slot, .sub = sub, .page = first,
				   .npages = n }, 0, 0, 0);
}

TEST(remove_events_cover_the_registered_pages_zapped)
{
	int t;

	/* MADV_DONTNEED of pages 5-9, registered: one event, or one per VMA */
	rec_reset();
	reopen(FZ_EV_ALL);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = madv(0, ADV_DONTNEED, 5, 5);
	event(t, 0, FZE_REMOVE, 5, 10, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.nevents = 0;
	event(t, 0, FZE_REMOVE, 5, 7, 0);
	event(t, 0, FZE_REMOVE, 7, 10, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* one short, twice, or beyond the range: not what happened */
	R.nevents = 1;
	ASSERT_EQ(FV_EVENT, judge(NULL));
	event(t, 0, FZE_REMOVE, 6, 10, 0);
	ASSERT_EQ(FV_EVENT, judge(NULL));
	R.nevents = 0;
	event(t, 0, FZE_REMOVE, 5, 11, 0);
	ASSERT_EQ(FV_EVENT, judge(NULL));
	/* without EVENT_REMOVE, none may come */
	R.op[0].sub = FZ_EV_UNMAP;
	R.obs[0].val = FZ_EV_UNMAP;
	R.nevents = 0;
	ASSERT_EQ(FV_NONE, judge(NULL));
	event(t, 0, FZE_REMOVE, 5, 10, 0);
	ASSERT_EQ(FV_EVENT, judge(NULL));

	/* only registered pages: pages 0-6 registered, MADV_REMOVE of 5-9 */
	rec_reset();
	reopen(FZ_EV_REMOVE);
	mmap_slot(0, 0);
	reg(0, 0, 7, FZ_REG_WP);
	t = madv(0, ADV_REMOVE, 5, 5);
	event(t, 0, FZE_REMOVE, 5, 7, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.event[0].b = 10;
	ASSERT_EQ(FV_EVENT, judge(NULL));
	/* an event while an operation that sends none ran */
	rec_reset();
	reopen(FZ_EV_ALL);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = pwrite_page(0, 5, 1);
	event(t, 0, FZE_UNMAP, 0, FZ_SLOT_STRIDE, 0);
	ASSERT_EQ(FV_EVENT, judge(NULL));
}

TEST(unmap_and_remap_events_follow_the_mapping)
{
	int t;

	/* munmap of a registered slot: UNMAP of what slot_release() maps over */
	rec_reset();
	reopen(FZ_EV_ALL);
	mmap_slot(1, 0);
	reg(1, 0, 16, FZ_REG_MISSING);
	t = add((struct fz_op){ .kind = OP_MUNMAP, .slot = 1 }, 0, 0, 0);
	event(t, 0, FZE_UNMAP, FZ_SLOT_STRIDE, 2 * FZ_SLOT_STRIDE, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.nevents = 0;
	ASSERT_EQ(FV_EVENT, judge(NULL));
	/* nothing registered, nothing said */
	R.nops = 2;
	t = add((struct fz_op){ .kind = OP_MUNMAP, .slot = 1 }, 0, 0, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));

	/* mremap of a registered slot: REMAP, then UNMAP of the source */
	rec_reset();
	reopen(FZ_EV_ALL);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = add((struct fz_op){ .kind = OP_MREMAP, .slot = 0 }, 0, 0, 0);
	event(t, 0, FZE_REMAP, 0, FZ_SLOT_ALT, FZ_PMD_PAGES);
	event(t, 0, FZE_UNMAP, 0, FZ_PMD_PAGES, 0);
	/* the registration moved with it: a hole still owes its fault */
	load(0, 5, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
	R.nops--;
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.nevents = 1;
	ASSERT_EQ(FV_EVENT, judge(NULL));
	/* without EVENT_REMAP it is dropped: no event, and the hole owes nothing */
	rec_reset();
	reopen(FZ_EV_UNMAP);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = add((struct fz_op){ .kind = OP_MREMAP, .slot = 0 }, 0, 0, 0);
	event(t, 0, FZE_UNMAP, 0, FZ_PMD_PAGES, 0);
	load(0, 5, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_NONE, judge(NULL));
	event(t, 0, FZE_REMAP, 0, FZ_SLOT_ALT, FZ_PMD_PAGES);
	ASSERT_EQ(FV_EVENT, judge(NULL));
	/* refused: the executor maps the slot afresh; what moved is unknown */
	rec_reset();
	reopen(FZ_EV_ALL);
	mmap_slot(0, 0);
	reg(0, 0, 8, FZ_REG_MISSING);
	t = add((struct fz_op){ .kind = OP_MREMAP, .slot = 0 }, -EFAULT, 0, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	event(t, 0, FZE_UNMAP, 0, FZ_PMD_PAGES, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	event(t, 0, FZE_UNMAP, 0, FZ_PMD_PAGES + 1, 0);
	ASSERT_EQ(FV_EVENT, judge(NULL));
	/* ...and a part that moved says so, by the distance between the homes */
	R.nevents = 1;
	event(t, 0, FZE_REMAP, 8, FZ_SLOT_ALT + 8, 100);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.event[1].b++;
	ASSERT_EQ(FV_EVENT, judge(NULL));
}

TEST(fork_event_hands_the_registrations_to_the_child)
{
	int t;

	/* EVENT_FORK: one FORK event, and the child's holes owe their faults */
	rec_reset();
	reopen(FZ_EV_FORK);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = add((struct fz_op){ .kind = OP_FORK }, 0, 0, 0);
	event(t, 0, FZE_FORK, 1, 0, 0);
	t = add((struct fz_op){ .kind = OP_TOUCH, .actor = 2, .page = 5, .sub = VIA_USER,
				.gen = 2 }, 0, 2, 0);
	R.fault[R.nfaults++] = (struct fz_fault){ .op = t, .proc = 1, .page = 5,
						   .flags = FZ_FAULT_MISSING, .how = UIO_COPY };
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.nfaults = 0;
	R.obs[t].val = CONTENT_ZERO;
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
	/* no FORK event, or two: not what a fork of a registered process sends */
	R.nops = t;
	R.nevents = 0;
	ASSERT_EQ(FV_EVENT, judge(NULL));
	event(t - 1, 0, FZE_FORK, 1, 0, 0);
	event(t - 1, 0, FZE_FORK, 1, 0, 0);
	ASSERT_EQ(FV_EVENT, judge(NULL));
	/* the child cannot register over them (EBUSY), and may unregister them */
	R.nevents = 1;
	t = add((struct fz_op){ .kind = OP_REGISTER, .actor = 2, .page = 0, .npages = 8,
				.sub = FZ_REG_MINOR }, -EBUSY, 0, 0);
	t = add((struct fz_op){ .kind = OP_UNREGISTER, .actor = 2, .page = 0, .npages = 8 },
		0, 0, 0);
	add((struct fz_op){ .kind = OP_TOUCH, .actor = 2, .page = 5, .sub = VIA_USER, .gen = 2 },
	    0, CONTENT_ZERO, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* a child's munmap: one UNMAP per context, its own and the fork's */
	rec_reset();
	reopen(FZ_EV_FORK | FZ_EV_UNMAP);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	t = add((struct fz_op){ .kind = OP_FORK }, 0, 0, 0);
	event(t, 0, FZE_FORK, 1, 0, 0);
	add((struct fz_op){ .kind = OP_UNREGISTER, .actor = 2, .page = 0, .npages = 8 }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_REGISTER, .actor = 2, .page = 0, .npages = 8,
			    .sub = FZ_REG_MINOR }, 0, 0, 0);
	t = add((struct fz_op){ .kind = OP_MUNMAP, .actor = 2 }, 0, 0, 0);
	event(t, 1, FZE_UNMAP, 0, FZ_SLOT_STRIDE, 0);
	ASSERT_EQ(FV_EVENT, judge(NULL));
	event(t, 1, FZE_UNMAP, 0, FZ_SLOT_STRIDE, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* without EVENT_FORK the child has none: no event, and its holes owe nothing */
	rec_reset();
	reopen(FZ_EV_UNMAP);
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	add((struct fz_op){ .kind = OP_FORK }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_TOUCH, .actor = 2, .page = 5, .sub = VIA_USER, .gen = 2 },
	    0, CONTENT_ZERO, 0);
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* and opening main's userfaultfd anew drops its registrations */
	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	reopen(0);
	load(0, 5, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_NONE, judge(NULL));
	R.nops = 2;
	load(0, 5, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_LOST_FAULT, judge(NULL));
}

static int mthp(int order, int policy)
{
	return add((struct fz_op){ .kind = OP_MTHP, .sub = order, .arg = policy }, 0, 0, 0);
}

/*
 * Slot 0 registered MISSING, slot 1 another mapping, not VM_HUGEPAGE;
 * then 64 kB shmem mTHP allowed (order 4: blocks of 16 pages).
 */
static void mthp_setup(int policy)
{
	rec_reset();
	mmap_slot(0, 0);
	mmap_slot(1, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	mthp(4, policy);
}

/*
 * One allocation fills its whole block: once fill-on-alloc is seen at a
 * page, the block's other holes are data too, and a collapse asked later,
 * which finds the PMD full and returns 0, filled none of them (found by
 * uffd_collapse_fuzz --seed 0x18ed3555740928ef --generate 71 on 6.12:
 * it called a page of that block the collapse's lost fault).  The block
 * is the smallest candidate's, so an mTHP one bounds it.
 */
TEST(fill_on_alloc_fills_its_block_for_later_collapses)
{
	int op;

	alloc_elsewhere();
	load(0, 5, 2, 0);
	collapse(1, true, 0, true);
	add((struct fz_op){ .kind = OP_JOIN }, 0, 0, 0);
	load(0, 300, 2, 0);
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
	ASSERT_EQ(FZ_PMD_PAGES - 1, judge_full(false).gap[FV_FILL_ON_ALLOC].n);
	/* strict: the first fill is the finding, as before */
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(&op));
	ASSERT_EQ(R.nops - 4, op);
	/* a 64 kB block (pages 0-15) says nothing of page 20 */
	mthp_setup(FZ_MTHP_ALWAYS);
	load(1, 5, 1, CONTENT_ZERO);
	load(0, 9, 2, CONTENT_ZERO);
	collapse_unread(1);
	load(0, 20, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_LOST_FAULT, judge_full(false).kind);
	ASSERT_EQ(15, judge_full(false).gap[FV_FILL_ON_ALLOC].n);
	/* ...and a page inside it is no lost fault of that collapse */
	R.nops--;
	load(0, 12, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_NONE, judge_full(false).kind);
}

TEST(mthp_fault_may_fill_its_block_and_no_more)
{
	bool tie;
	int t, op;

	/* a fault through slot 1 may allocate 64 kB over pages 0-15: fill-on-alloc */
	mthp_setup(FZ_MTHP_ALWAYS);
	load(1, 5, 1, CONTENT_ZERO);
	t = load(0, 9, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(&op));
	ASSERT_EQ(t, op);
	/* counted and ignored unless strict */
	ASSERT_EQ(FV_NONE, judge(NULL));
	/* seen at the allocation itself: the block read without a hole */
	mthp_setup(FZ_MTHP_ALWAYS);
	t = load(1, 5, 1, CONTENT_ZERO);
	R.obs[t].pmd_full = FZ_FULL_MTHP;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_strict(&op));
	ASSERT_EQ(t, op);
	/* page 20 is in the next block: its data is a lost fault */
	mthp_setup(FZ_MTHP_WITHIN_SIZE);
	load(1, 5, 1, CONTENT_ZERO);
	load(0, 20, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	/* advise applies through VM_HUGEPAGE only; never, nowhere */
	mthp_setup(FZ_MTHP_ADVISE);
	load(1, 5, 1, CONTENT_ZERO);
	load(0, 9, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	mthp_setup(FZ_MTHP_NEVER);
	load(1, 5, 1, CONTENT_ZERO);
	load(0, 9, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	/* a size the kernel refused changes nothing */
	mthp_setup(FZ_MTHP_ALWAYS);
	R.obs[R.nops - 1].ret = -EOPNOTSUPP;
	load(1, 5, 1, CONTENT_ZERO);
	load(0, 9, 2, CONTENT_ZERO);
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));
	/*
	 * An asynchronous collapse of the registered PMD that left a hole
	 * there filled nothing, even with a punch of another PMD before the
	 * join: the data is the mTHP fault's (as found by seed 0xb).
	 */
	rec_reset();
	add((struct fz_op){ .kind = OP_MMAP, .slot = 3, .file = 1, .npages = FZ_FILE_PAGES },
	    0, 0, 0);
	add((struct fz_op){ .kind = OP_REGISTER, .slot = 3, .npages = FZ_PMD_PAGES,
			    .sub = FZ_REG_MISSING }, 0, 0, 0);
	mthp(3, FZ_MTHP_ALWAYS);
	add((struct fz_op){ .kind = OP_MADVISE, .slot = 3, .sub = ADV_COLLAPSE,
			    .npages = FZ_PMD_PAGES, .async = 1, .actor = 1 }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_FALLOCATE, .file = 1, .sub = FALLOC_PUNCH,
			    .page = FZ_PMD_PAGES, .npages = 16 }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_MMAP, .file = 1, .npages = FZ_PMD_PAGES }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_POPULATE, .page = 511, .npages = 1, .sub = POP_READ,
			    .gen = 1 }, 0, 0, 0);
	walk1(1, PRB_WALK_HOLE, 510, FZ_PMD_PAGES, FZ_PMD_PAGES);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_FALSE(tie);
	/* ...but a punch of its own PMD could have hidden a collapse that filled */
	R.op[4].page = 100;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_TRUE(tie);
	/* ...unless the hole the collapse found (page 0) is not one it punched */
	R.obs[3].bits = 0 + 1;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_FALSE(tie);
	R.obs[3].bits = 105 + 1;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_TRUE(tie);

	/*
	 * A collapse that failed filled nothing, though EOF cuts its PMD so
	 * that no hole after it can show it (as found by seed 1, iteration
	 * 1338): the data is the mTHP fault's.  Its success, or 6.1's
	 * EINVAL after a collapse, leaves it a suspect: a tie.
	 */
	rec_reset();
	add((struct fz_op){ .kind = OP_MMAP, .slot = 3, .file = 1, .npages = FZ_FILE_PAGES },
	    0, 0, 0);
	add((struct fz_op){ .kind = OP_REGISTER, .slot = 3, .npages = FZ_PMD_PAGES,
			    .sub = FZ_REG_MISSING }, 0, 0, 0);
	mthp(3, FZ_MTHP_ALWAYS);
	add((struct fz_op){ .kind = OP_FTRUNCATE, .file = 1, .npages = 300 }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_MADVISE, .slot = 3, .sub = ADV_COLLAPSE,
			    .npages = FZ_PMD_PAGES }, -EBUSY, 0, 0);
	add((struct fz_op){ .kind = OP_MMAP, .file = 1, .npages = FZ_PMD_PAGES }, 0, 0, 0);
	add((struct fz_op){ .kind = OP_POPULATE, .page = 199, .npages = 1, .sub = POP_READ,
			    .gen = 1 }, 0, 0, 0);
	walk1(1, PRB_WALK_HOLE, 198, 200, 200);
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_FALSE(tie);
	R.obs[4].ret = -EAGAIN;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_FALSE(tie);
	R.obs[4].ret = 0;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_TRUE(tie);
	R.obs[4].ret = -EINVAL;
	ASSERT_EQ(FV_FILL_ON_ALLOC, judge_tie(NULL, &tie));
	ASSERT_TRUE(tie);

	/*
	 * A size on for every mapping lets khugepaged collapse any mapped
	 * PMD (6.12): a hole no registration covers any more may be data.
	 */
	rec_reset();
	mmap_slot(0, 0);
	reg(0, 0, FZ_PMD_PAGES, FZ_REG_MISSING);
	collapse(0, false, -EINVAL, false);
	reopen(0);
	t = mthp(1, FZ_MTHP_ALWAYS);
	seek(0, 0, false, 1);
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
	R.op[t].arg = FZ_MTHP_ADVISE;
	ASSERT_EQ(FV_LOST_FAULT, judge_strict(NULL));

	/* without a registration the block's holes may just be zeros */
	rec_reset();
	mthp(4, FZ_MTHP_ALWAYS);
	mmap_slot(1, 0);
	t = load(1, 5, 1, CONTENT_ZERO);
	R.obs[t].pmd_full = FZ_FULL_MTHP;
	seek(0, 0, true, 0);
	seek(0, 0, false, 16);
	ASSERT_EQ(FV_NONE, judge_strict(NULL));
}

TEST(executor_and_model_must_agree_on_no_ops)
{
	int t;

	rec_reset();
	t = load(0, 5, 1, 0);	/* slot 0 is not mapped: a no-op */
	ASSERT_EQ(FV_INTERNAL, judge(NULL));
	R.obs[t].nop = 1;
	ASSERT_EQ(FV_NONE, judge(NULL));
}

/* A process of the run that died by a signal is a crash, named by the signal. */
TEST(crash_record_is_a_crash_finding_with_its_signal)
{
	struct fz_finding f;
	int t;

	rec_reset();
	mmap_slot(0, 0);
	t = load(0, 5, 1, CONTENT_ZERO);
	R.obs[t].done = 0;	/* it never finished */
	R.crash_sig = SIGBUS;
	R.crash_op = t;
	R.cur_op = t;
	snprintf(R.abort, sizeof(R.abort), "the run process died by signal %d", SIGBUS);
	f = fz_judge(&R, &MO);
	ASSERT_EQ(FV_CRASH, f.kind);
	ASSERT_EQ(t, f.op);
	ASSERT_EQ(SIGBUS, f.detail);
	ASSERT_NE(NULL, strstr(f.why, "the run process died by SIGBUS during op 1")) TH_LOG("%s", f.why);
	R.crash_proc = 1;
	R.crash_sig = SIGKILL;
	f = fz_judge(&R, &MO);
	ASSERT_EQ(SIGKILL, f.detail);
	ASSERT_NE(NULL, strstr(f.why, "the child process died by SIGKILL")) TH_LOG("%s", f.why);
	/* a run that stopped without a signal is still a hang */
	R.crash_sig = 0;
	ASSERT_EQ(FV_HANG, judge(NULL));
	ASSERT_STREQ("crash", fz_verdict_name(FV_CRASH));
	ASSERT_STREQ("signal 99", fz_signal_name(99));
}

/*
 * The executor for real: a signal in a sequence (the test hook
 * $UFFDC_INJECT) ends the run process, or its child, and comes back as a
 * crash of the operation that ran; this process goes on.
 */
TEST(executor_contains_a_signal_in_the_sequence)
{
	static const struct {
		const char *inject;
		int sig, op;
	} cases[] = {
		{ "fuzz-sigbus", SIGBUS, 1 }, { "fuzz-sigsegv", SIGSEGV, 1 },
		{ "fuzz-sigkill", SIGKILL, 1 }, { "fuzz-child-sigkill", SIGKILL, 2 },
	};
	struct fz_op ops[3] = {
		{ .kind = OP_MMAP, .npages = FZ_PMD_PAGES },
		{ .kind = OP_FORK },
		{ .kind = OP_TOUCH, .actor = 2, .page = 7, .sub = VIA_USER, .gen = 1 },
	};
	struct fz_record *r = fz_record_alloc();
	struct fz_finding f;
	unsigned int i;
	int ret;

	ASSERT_NE(NULL, r);
	ret = fz_run(r, ops, 3, NULL);
	if (r->setup_err || (ret && ret != -ECHILD && ret != -ETIMEDOUT))
		SKIP(fz_record_free(r); return, "the executor cannot run here: %s",
		     strerror(r->setup_err ? -r->setup_err : -ret));
	ASSERT_EQ(0, ret) TH_LOG("%s", r->abort);
	ASSERT_EQ(FV_NONE, fz_judge(r, &MO).kind);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		/* the main thread touches, but for the child's injection */
		ops[2].actor = 2 * (cases[i].op == 2);
		setenv("UFFDC_INJECT", cases[i].inject, 1);
		ret = fz_run(r, ops, 3, NULL);
		unsetenv("UFFDC_INJECT");
		ASSERT_EQ(-ECHILD, ret) TH_LOG("%s: %s", cases[i].inject, r->abort);
		ASSERT_EQ(cases[i].sig, r->crash_sig) TH_LOG("%s", cases[i].inject);
		f = fz_judge(r, &MO);
		ASSERT_EQ(FV_CRASH, f.kind) TH_LOG("%s: %s", cases[i].inject, f.why);
		ASSERT_EQ(cases[i].sig, f.detail);
		ASSERT_EQ(2, f.op) TH_LOG("%s: %s", cases[i].inject, f.why);
		ASSERT_EQ(cases[i].op == 2, r->crash_proc) TH_LOG("%s", cases[i].inject);
	}
	fz_record_free(r);
}

TEST(generator_is_a_function_of_the_seed)
{
	static struct fz_op a[FZ_MAX_OPS], b[FZ_MAX_OPS];
	unsigned int n;

	n = fz_generate(fz_iter_seed(42, 3), 64, a);
	ASSERT_EQ(64, n);
	ASSERT_EQ(64, fz_generate(fz_iter_seed(42, 3), 64, b));
	ASSERT_EQ(0, memcmp(a, b, n * sizeof(*a)));
	fz_generate(fz_iter_seed(42, 4), 64, b);
	ASSERT_NE(0, memcmp(a, b, n * sizeof(*a)));
	fz_generate(fz_iter_seed(43, 3), 64, b);
	ASSERT_NE(0, memcmp(a, b, n * sizeof(*a)));
}

TEST(generated_sequences_mostly_apply)
{
	static struct fz_op ops[FZ_MAX_OPS];
	struct fz_obs ok = { .done = 1 };
	unsigned int i, it, applied = 0, total = 0;

	for (it = 0; it < 50; it++) {
		struct fz_struct s;
		unsigned int n = fz_generate(fz_iter_seed(7, it), 48, ops);

		fz_struct_init(&s);
		for (i = 0; i < n; i++) {
			struct fz_op c = ops[i], c2;

			total++;
			if (!fz_struct_applies(&s, &c))
				continue;
			/* clamping is idempotent: the record's ops re-clamp to themselves */
			c2 = c;
			ASSERT_TRUE(fz_struct_applies(&s, &c2));
			ASSERT_EQ(0, memcmp(&c, &c2, sizeof(c)));
			applied++;
			fz_struct_advance(&s, &c, &ok);
		}
	}
	TH_LOG("%u of %u generated operations apply", applied, total);
	ASSERT_GT(applied * 10, total * 7);
}

TEST(text_form_round_trips)
{
	static struct fz_op a[FZ_MAX_OPS], b[FZ_MAX_OPS];
	unsigned int n = fz_generate(99, 100, a);
	char *buf = NULL, why[200];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fz_seq_write(f, a, n));
	fclose(f);
	f = fmemopen(buf, len, "r");
	ASSERT_EQ((int)n, fz_seq_read(f, b, FZ_MAX_OPS, NULL, why, sizeof(why)));
	fclose(f);
	ASSERT_EQ(0, memcmp(a, b, n * sizeof(*a)));
	free(buf);
	ASSERT_EQ(-ERANGE, fz_op_parse("touch a=9 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=1", a, NULL, 0));
	ASSERT_EQ(-EINVAL, fz_op_parse("bogus a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=0", a, NULL, 0));
}

/* Every sequence the fuzzer writes, as generated or as it ran (clamped), reads back. */
TEST(generated_and_clamped_sequences_pass_the_strict_parser)
{
	static struct fz_op a[FZ_MAX_OPS], b[FZ_MAX_OPS];
	struct fz_obs ok = { .done = 1 };
	unsigned int seed, i, n, total = 0;
	char why[200];

	for (seed = 0; seed < 300; seed++) {
		struct fz_struct s;
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		n = fz_generate(fz_iter_seed(seed, seed), seed % 2 ? FZ_MAX_OPS : 48, a);
		fz_struct_init(&s);
		for (i = 0; i < n; i++) {
			struct fz_op c = a[i];

			if (seed % 3 == 0 && fz_struct_applies(&s, &c)) {
				fz_struct_advance(&s, &c, &ok);
				a[i] = c;
			}
		}
		ASSERT_EQ(0, fz_seq_write(f, a, n));
		fclose(f);
		ASSERT_EQ((int)n, fz_seq_parse(buf, len, b, FZ_MAX_OPS, NULL, why, sizeof(why)))
			TH_LOG("seed %u: %s", seed, why);
		ASSERT_EQ(0, memcmp(a, b, n * sizeof(*a)));
		total += n;
		free(buf);
	}
	TH_LOG("%u operations read back", total);
}

struct num_case {
	const char *s;
	int err;
	uint64_t v;
};

TEST(parse_u64_takes_whole_unsigned_numbers_only)
{
	static const struct num_case c[] = {
		{ "0", 0, 0 }, { "1000", 0, 1000 }, { "007", 0, 7 }, { "0x1F", 0, 31 },
		{ "0XfF", 0, 255 }, { "18446744073709551615", 0, UINT64_MAX },
		{ "0xffffffffffffffff", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 }, { "0x10000000000000000", -ERANGE, 0 },
		{ "99999999999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 }, { "1x", -EINVAL, 0 }, { "0x", -EINVAL, 0 },
		{ "x1", -EINVAL, 0 },
		{ "nan", -EINVAL, 0 }, { "inf", -EINVAL, 0 }, { "1e3", -EINVAL, 0 },
		{ "1.0", -EINVAL, 0 },
		{ "12\n", -EINVAL, 0 }, { "0x-1", -EINVAL, 0 },
		{ "99999999999999999999x", -EINVAL, 0 },
	};
	uint64_t v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		v = 12345;
		ASSERT_EQ(c[i].err, parse_u64(c[i].s, 0, UINT64_MAX, &v)) TH_LOG("'%s'", c[i].s);
		ASSERT_EQ(c[i].err ? 12345 : c[i].v, v) TH_LOG("'%s'", c[i].s);
	}
	ASSERT_EQ(-ERANGE, parse_u64("0", 1, 10, &v));
	ASSERT_EQ(-ERANGE, parse_u64("11", 1, 10, &v));
	ASSERT_EQ(0, parse_u64("10", 1, 10, &v));
	ASSERT_EQ(10, v);
	ASSERT_EQ(-EINVAL, parse_u64(NULL, 0, 1, &v));
	ASSERT_EQ(0, parse_seed("0xdeadbeefcafef00d", &v));
	ASSERT_EQ(0xdeadbeefcafef00dULL, v);
	ASSERT_EQ(-EINVAL, parse_seed("abc", &v));
	ASSERT_EQ(-EINVAL, parse_seed("", &v));
	ASSERT_EQ(-EINVAL, parse_seed("-5", &v));
}

TEST(parse_double_takes_finite_decimal_numbers_only)
{
	static const struct {
		const char *s;
		int err;
		double v;
	} c[] = {
		{ "30", 0, 30 }, { "0.5", 0, 0.5 }, { ".5", 0, 0.5 }, { "5.", 0, 5 },
		{ "1e3", 0, 1000 }, { "2.5E-1", 0, 0.25 }, { "+7", 0, 7 }, { "1e+2", 0, 100 },
		{ "-1", -ERANGE, 0 }, { "1e400", -ERANGE, 0 }, { "1e-400", -ERANGE, 0 },
		{ "2e6", -ERANGE, 0 },
		{ "nan", -EINVAL, 0 }, { "NAN", -EINVAL, 0 }, { "-nan", -EINVAL, 0 },
		{ "inf", -EINVAL, 0 },
		{ "infinity", -EINVAL, 0 }, { "-inf", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 }, { "1s", -EINVAL, 0 }, { "0x10", -EINVAL, 0 },
		{ "0x1p3", -EINVAL, 0 },
		{ ".", -EINVAL, 0 }, { "-", -EINVAL, 0 }, { "e5", -EINVAL, 0 },
		{ "1e", -EINVAL, 0 },
		{ "1e+", -EINVAL, 0 }, { "1..2", -EINVAL, 0 }, { "1,5", -EINVAL, 0 },
	};
	unsigned int i;
	double v;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		v = -42;
		ASSERT_EQ(c[i].err, parse_double(c[i].s, 0, 1e6, &v)) TH_LOG("'%s'", c[i].s);
		ASSERT_TRUE(c[i].err ? v == -42 : v == c[i].v) TH_LOG("'%s'", c[i].s);
	}
	ASSERT_EQ(0, parse_double("-0.5", -1, 1, &v));
	ASSERT_EQ(-ERANGE, parse_double("0.001", 0.01, 1, &v));
	ASSERT_EQ(-EINVAL, parse_double(NULL, 0, 1, &v));
}

/* Every field: what the executor and the model accept, and nothing else. */
TEST(op_parser_checks_every_field)
{
	static const struct {
		const char *line;
		int err;
	} c[] = {
		{ "pwrite a=0 y=0 s=0 f=1 u=0 r=0 p=1023 n=1024 g=2147483647", 0 },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=1\t# 3: a comment", 0 },
		{ "  touch a=2 y=1 s=3 f=0 u=3 r=3 p=5 n=1 g=9", 0 },
		{ "register a=0 y=0 s=0 f=0 u=7 r=0 p=0 n=0 g=0", 0 },
		{ "numa a=1 y=1 s=0 f=0 u=3 r=255 p=0 n=16 g=0", 0 },
		{ "madvise a=0 y=0 s=0 f=0 u=5 r=0 p=0 n=64 g=0", 0 },
		{ "uffdio a=0 y=0 s=0 f=0 u=3 r=0 p=0 n=1 g=0x7fffffff", 0 },
		{ "join a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=0 g=0", 0 },
		/* generations: 0 and >= 2^31 decode as corrupt patterns */
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=0", -ERANGE },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=2147483648", -ERANGE },
		{ "uffdio a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=0", -ERANGE },
		{ "touch a=0 y=0 s=0 f=0 u=0 r=1 p=0 n=1 g=0", -ERANGE },
		{ "touch a=0 y=0 s=0 f=0 u=0 r=1 p=0 n=1 g=4294967297", -ERANGE },
		{ "mmap a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=512 g=2147483648", -ERANGE },
		/* structure */
		{ "mmap a=3 y=0 s=0 f=0 u=0 r=0 p=0 n=512 g=0", -ERANGE },
		{ "mmap a=0 y=2 s=0 f=0 u=0 r=0 p=0 n=512 g=0", -ERANGE },
		{ "mmap a=0 y=0 s=4 f=0 u=0 r=0 p=0 n=512 g=0", -ERANGE },
		{ "mmap a=0 y=0 s=0 f=2 u=0 r=0 p=0 n=512 g=0", -ERANGE },
		{ "mmap a=0 y=0 s=0 f=0 u=0 r=0 p=1024 n=512 g=0", -ERANGE },
		{ "mmap a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1025 g=0", -ERANGE },
		{ "mmap a=0 y=0 s=0 f=0 u=0 r=0 p=65536 n=512 g=0", -ERANGE },
		{ "mmap a=256 y=0 s=0 f=0 u=0 r=0 p=0 n=512 g=0", -ERANGE },
		/* enums */
		{ "mmap a=0 y=0 s=0 f=0 u=1 r=0 p=0 n=512 g=0", -ERANGE },
		{ "mmap a=0 y=0 s=0 f=0 u=0 r=1 p=0 n=512 g=0", -ERANGE },
		{ "madvise a=0 y=0 s=0 f=0 u=6 r=0 p=0 n=1 g=0", -ERANGE },
		{ "fallocate a=0 y=0 s=0 f=0 u=2 r=0 p=0 n=1 g=0", -ERANGE },
		{ "touch a=0 y=0 s=0 f=0 u=4 r=0 p=0 n=1 g=1", -ERANGE },
		{ "touch a=0 y=0 s=0 f=0 u=0 r=4 p=0 n=1 g=1", -ERANGE },
		{ "register a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=0", -ERANGE },
		{ "register a=0 y=0 s=0 f=0 u=8 r=0 p=0 n=1 g=0", -ERANGE },
		{ "uffdio a=0 y=0 s=0 f=0 u=4 r=0 p=0 n=1 g=1", -ERANGE },
		{ "probe a=0 y=0 s=0 f=0 u=5 r=0 p=0 n=1 g=0", 0 },
		{ "probe a=0 y=0 s=0 f=0 u=6 r=0 p=0 n=1 g=0", -ERANGE },
		{ "numa a=0 y=0 s=0 f=0 u=4 r=0 p=0 n=1 g=0", -ERANGE },
		{ "numa a=0 y=0 s=0 f=0 u=0 r=256 p=0 n=1 g=0", -ERANGE },
		/* syntax */
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=-1", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=+1", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=1x", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=nan", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=1 x", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=1 g=2", -EINVAL },
		{ "pwrite y=0 a=0 s=0 f=0 u=0 r=0 p=0 n=1 g=1", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p = 0 n=1 g=1", -EINVAL },
		{ "pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=00000000000000000000000000000000001",
		  -EINVAL },
		{ "Pwrite a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=1", -EINVAL },
		{ "", -EINVAL },
	};
	struct fz_op op;
	char why[200];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		why[0] = 0;
		ASSERT_EQ(c[i].err, fz_op_parse(c[i].line, &op, why, sizeof(why)))
			TH_LOG("'%s': %s", c[i].line, why);
		if (c[i].err)
			ASSERT_NE(0, why[0]);
		ASSERT_EQ(NULL, strchr(why, '\n'));
	}
	ASSERT_EQ(0, fz_op_parse(c[0].line, &op, NULL, 0));
	ASSERT_EQ(OP_PWRITE, op.kind);
	ASSERT_EQ(1, op.file);
	ASSERT_EQ(1023, op.page);
	ASSERT_EQ(1024, op.npages);
	ASSERT_EQ(2147483647u, op.gen);
}

static int seqn(const char *text, size_t size, struct fz_finding *fd, char *why)
{
	static struct fz_op ops[FZ_MAX_OPS];

	why[0] = 0;
	return fz_seq_parse(text, size, ops, FZ_MAX_OPS, fd, why, 200);
}

static int seq(const char *text, struct fz_finding *fd, char *why)
{
	return seqn(text, strlen(text), fd, why);
}

#define OPLINE "mmap a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=512 g=0\n"

TEST(sequence_parser_bounds_its_input_and_checks_the_header)
{
	struct fz_finding fd;
	char why[200], *big;
	size_t i;

	ASSERT_EQ(1, seq("# lost-fault at op 3: the why\n" OPLINE, &fd, why));
	ASSERT_EQ(FV_LOST_FAULT, fd.kind);
	ASSERT_EQ(3, fd.op);
	ASSERT_STREQ("the why", fd.why);
	ASSERT_EQ(1, seq("# seed 0x1 iteration 4: content at op 0: x: y\n" OPLINE, &fd, why));
	ASSERT_EQ(FV_CONTENT, fd.kind);
	ASSERT_STREQ("x: y", fd.why);
	ASSERT_EQ(1, seq("# racy, not seen again: hang at op 12:\n" OPLINE, &fd, why));
	ASSERT_EQ(FV_HANG, fd.kind);
	ASSERT_STREQ("", fd.why);
	ASSERT_EQ(1, seq("# seed 0x7 iteration 12\n" OPLINE, &fd, why));
	ASSERT_EQ(FV_NONE, fd.kind);
	ASSERT_EQ(-1, fd.op);
	ASSERT_EQ(1, seq("# we look at op codes\n" OPLINE, &fd, why));
	/* blank lines, blanks only, and comments (not the first line: no header) */
	ASSERT_EQ(2, seq(OPLINE "\n\x20\x20\n# lost-fault at op 3\n\t# c\n" OPLINE, &fd, why));
	ASSERT_EQ(1, seq("# lost-fault at op 3: \x1b[31m*/\n" OPLINE, &fd, why));
	ASSERT_EQ(NULL, strchr(fd.why, '\x1b'));
	/* the user's crash: a header without its colon */
	ASSERT_EQ(-EINVAL, seq("# lost-fault at op 3\n" OPLINE, &fd, why));
	ASSERT_NE(NULL, strstr(why, "line 1"));
	ASSERT_EQ(-EINVAL, seq("# lost-fault at op 3 because\n" OPLINE, &fd, why));
	ASSERT_EQ(-EINVAL, seq("# bogus at op 3: x\n" OPLINE, &fd, why));
	ASSERT_EQ(-EINVAL, seq("# lost-fault at op 256: x\n" OPLINE, &fd, why));
	ASSERT_EQ(-EINVAL, seq("# lost-fault at op 99999999999999999999: x\n" OPLINE, &fd, why));
	ASSERT_EQ(-EINVAL, seq("#lost-fault at op 3: x\n" OPLINE, &fd, why));
	ASSERT_EQ(1, seq("# lost-fault at op -1: x\n" OPLINE, &fd, why));
	/* a 399-character header: the description is longer than a finding holds */
	big = malloc(2 * FZ_SEQ_MAX_BYTES + 100);
	ASSERT_NE(NULL, big);
	i = snprintf(big, 100, "# lost-fault at op 3: ");
	memset(big + i, 'x', 399 - i);
	snprintf(big + 399, 100, "\n" OPLINE);
	ASSERT_EQ(-EINVAL, seq(big, &fd, why));
	snprintf(big + i + sizeof(fd.why) - 1, 100, "\n" OPLINE);
	ASSERT_EQ(1, seq(big, &fd, why)) TH_LOG("%s", why);
	ASSERT_EQ(sizeof(fd.why) - 1, strlen(fd.why));
	/* no operations */
	ASSERT_EQ(-ENODATA, seq("", &fd, why));
	ASSERT_EQ(-ENODATA, seq("# only\n\n", &fd, why));
	/* a NUL byte, a line too long, too many lines, operations, bytes */
	ASSERT_EQ(-EINVAL, seqn(OPLINE "\0" OPLINE, 2 * strlen(OPLINE) + 1, &fd, why));
	ASSERT_NE(NULL, strstr(why, "line 2"));
	memset(big, 'a', FZ_SEQ_MAX_LINE + 1);
	big[FZ_SEQ_MAX_LINE + 1] = 0;
	ASSERT_EQ(-EINVAL, seq(big, &fd, why));
	big[0] = '#';
	ASSERT_EQ(-EINVAL, seq(big, &fd, why));
	big[FZ_SEQ_MAX_LINE] = 0;
	ASSERT_EQ(-ENODATA, seq(big, &fd, why));
	memset(big, '\n', FZ_SEQ_MAX_LINES + 1);
	snprintf(big + FZ_SEQ_MAX_LINES + 1, 100, OPLINE);
	ASSERT_EQ(-EFBIG, seq(big, &fd, why));
	for (i = 0; i <= FZ_MAX_OPS; i++)
		memcpy(big + i * strlen(OPLINE), OPLINE, strlen(OPLINE) + 1);
	ASSERT_EQ(-E2BIG, seq(big, &fd, why));
	memset(big, '#', FZ_SEQ_MAX_BYTES + 1);
	ASSERT_EQ(-EFBIG, seqn(big, FZ_SEQ_MAX_BYTES + 1, &fd, why));
	free(big);
	/* a device or a FIFO is refused, not read forever */
	ASSERT_EQ(-EINVAL, fz_seq_load("/dev/zero", NULL, 0, &fd, why, sizeof(why)));
	ASSERT_STREQ("not a regular file", why);
	ASSERT_EQ(-ENOENT, fz_seq_load("/nonexistent/x", NULL, 0, &fd, why, sizeof(why)));
}

/*
 * 500 mutations of a valid sequence (byte flips, truncation, duplicated,
 * dropped and swapped lines, big numbers, random fields, other kinds):
 * each is rejected with one line saying why, or accepted with every field
 * in the executor's and the model's range, so that it writes back as it
 * read and its generations survive a write and a read of a page.
 */
TEST(sequence_parser_survives_500_mutations)
{
	static const char * const numbers[] = {
		"0", "1", "2", "3", "255", "256", "511", "512", "1023", "1024", "1025",
		"65535", "65536", "2147483647", "2147483648", "4294967295", "4294967296",
		"18446744073709551615", "18446744073709551616", "-1", "nan", "inf", "", "0x10",
		"1e3", "99999999999999999999999999999",
	};
	static struct fz_op ops[FZ_MAX_OPS], back[FZ_MAX_OPS];
	static char text[64 * 1024], mut[64 * 1024], tmp[64 * 1024], page[4096];
	unsigned int it, accepted = 0, rejected = 0, m, i;
	struct fz_finding fd;
	struct rng r;
	size_t len, size;
	char why[200];
	int n;

	{
		char *buf = NULL;
		FILE *f = open_memstream(&buf, &len);

		n = fz_generate(fz_iter_seed(1, 3), 48, ops);
		fprintf(f, "# seed 0x1 iteration 3: lost-fault at op 7: planted\n");
		fz_seq_write(f, ops, n);
		fclose(f);
		ASSERT_LT(len, sizeof(text));
		memcpy(text, buf, len);
		free(buf);
	}
	rng_seed(&r, 20250610);
	for (it = 0; it < 500; it++) {
		memcpy(mut, text, len);
		size = len;
		for (m = 0; m <= rng_below(&r, 3); m++) {
			size_t a = size ? rng_below(&r, size) : 0, b, e, l2;
			const char *num;

			switch (rng_below(&r, 8)) {
			case 0:	/* a byte flip */
				if (size)
					mut[a] ^= 1 << rng_below(&r, 8);
				break;
			case 1:	/* a random byte */
				if (size)
					mut[a] = rng_below(&r, 256);
				break;
			case 2:	/* truncation */
				size = a;
				break;
			case 3:	/* a line duplicated, dropped or swapped with the next */
			case 4:
				while (a && mut[a - 1] != '\n')
					a--;
				e = a;
				while (e < size && mut[e] != '\n')
					e++;
				e = e < size ? e + 1 : e;
				l2 = e - a;
				if (rng_below(&r, 3) == 0 && size + l2 < sizeof(mut)) {
					memmove(mut + e + l2, mut + e, size - e);
					memcpy(mut + e, mut + a, l2);
					size += l2;
				} else if (rng_below(&r, 2)) {
					memmove(mut + a, mut + e, size - e);
					size -= l2;
				} else {
					b = e;
					while (b < size && mut[b] != '\n')
						b++;
					b = b < size ? b + 1 : b;
					memcpy(tmp, mut + a, l2);
					memmove(mut + a, mut + e, b - e);
					memcpy(mut + a + (b - e), tmp, l2);
				}
				break;
			case 5:	/* a field's value: big, odd or random */
			case 6:
				while (a < size && mut[a] != '=')
					a++;
				if (a == size)
					break;
				e = ++a;
				while (e < size && !strchr(" \t\n", mut[e]))
					e++;
				if (rng_below(&r, 2)) {
					num = numbers[rng_below(&r, ARRAY_SIZE(numbers))];
				} else {
					snprintf(tmp, 32, "%u", rng_below(&r, 1100));
					num = tmp;
				}
				l2 = strlen(num);
				if (size - (e - a) + l2 >= sizeof(mut))
					break;
				memmove(mut + a + l2, mut + e, size - e);
				memcpy(mut + a, num, l2);
				size = size - (e - a) + l2;
				break;
			default: /* another kind of operation */
				while (a && mut[a - 1] != '\n')
					a--;
				e = a;
				while (e < size && mut[e] >= 'a' && mut[e] <= 'z')
					e++;
				num = fz_kind_name(rng_below(&r, OP_NR_KINDS));
				l2 = strlen(num);
				if (e == a || size - (e - a) + l2 >= sizeof(mut))
					break;
				memmove(mut + a + l2, mut + e, size - e);
				memcpy(mut + a, num, l2);
				size = size - (e - a) + l2;
				break;
			}
		}
		why[0] = 0;
		n = fz_seq_parse(mut, size, ops, FZ_MAX_OPS, &fd, why, sizeof(why));
		if (n < 0) {
			rejected++;
			ASSERT_NE(0, why[0]);
			ASSERT_EQ(NULL, strchr(why, '\n'));
			continue;
		}
		accepted++;
		ASSERT_GT(n, 0);
		ASSERT_LE(n, FZ_MAX_OPS);
		ASSERT_LT(fd.kind, FV_NR);
		ASSERT_EQ(NULL, strstr(fd.why, "\n"));
		for (i = 0; i < (unsigned int)n; i++) {
			const struct fz_op *o = &ops[i];

			ASSERT_LT(o->kind, OP_NR_KINDS);
			ASSERT_LT(o->actor, FZ_ACTORS);
			ASSERT_LE(o->async, 1);
			ASSERT_LT(o->slot, FZ_SLOTS);
			ASSERT_LT(o->file, FZ_FILES);
			ASSERT_LT(o->page, FZ_FILE_PAGES);
			ASSERT_LE(o->npages, FZ_FILE_PAGES);
			ASSERT_LE(o->gen, GEN_MAX);
			if (o->kind == OP_PWRITE || o->kind == OP_TOUCH || o->kind == OP_UFFDIO) {
				/* the pattern it writes reads back as its generation */
				content_fill(page, sizeof(page), o->page, o->gen);
				ASSERT_EQ((int32_t)o->gen,
					  content_decode(page, sizeof(page), o->page));
			}
		}
		{
			char *buf = NULL;
			size_t l;
			FILE *f = open_memstream(&buf, &l);

			fz_seq_write(f, ops, n);
			fclose(f);
			ASSERT_EQ(n, fz_seq_parse(buf, l, back, FZ_MAX_OPS, NULL, why,
						  sizeof(why)));
			ASSERT_EQ(0, memcmp(ops, back, n * sizeof(*ops)));
			free(buf);
		}
	}
	TH_LOG("500 mutations: %u rejected, %u accepted", rejected, accepted);
	ASSERT_GT(rejected, 100);
	ASSERT_GT(accepted, 20);
}

/* A planted bug: it shows only when REGISTER, COLLAPSE and TOUCH come in that order. */
static bool planted(const struct fz_op *ops, unsigned int n, void *ctx)
{
	unsigned int i, stage = 0;

	(*(unsigned int *)ctx)++;
	for (i = 0; i < n; i++) {
		if (stage == 0 && ops[i].kind == OP_REGISTER)
			stage = 1;
		else if (stage == 1 && ops[i].kind == OP_MADVISE && ops[i].sub == ADV_COLLAPSE)
			stage = 2;
		else if (stage == 2 && ops[i].kind == OP_TOUCH)
			return true;
	}
	return false;
}

TEST(minimizer_shrinks_a_planted_failure_to_its_cause)
{
	static struct fz_op ops[FZ_MAX_OPS], cand[FZ_MAX_OPS];
	unsigned int n, m, i, calls = 0, runs = 0;
	uint64_t seed;

	for (seed = 1; seed < 100; seed++) {
		n = fz_generate(seed, 120, ops);
		if (planted(ops, n, &calls))
			break;
	}
	ASSERT_TRUE(planted(ops, n, &calls));
	m = fz_minimize(ops, n, planted, &calls, &runs);
	TH_LOG("seed %llu: %u -> %u operations in %u runs", (unsigned long long)seed, n, m, runs);
	ASSERT_EQ(3, m);
	ASSERT_EQ(OP_REGISTER, ops[0].kind);
	ASSERT_EQ(OP_MADVISE, ops[1].kind);
	ASSERT_EQ(OP_TOUCH, ops[2].kind);
	/* 1-minimal: dropping any one operation loses the failure */
	for (i = 0; i < m; i++) {
		unsigned int k, j = 0;

		for (k = 0; k < m; k++)
			if (k != i)
				cand[j++] = ops[k];
		ASSERT_FALSE(planted(cand, j, &calls));
	}
	ASSERT_GT(runs, 0);
}

TEST(repro_embeds_the_sequence_and_the_runtime)
{
	struct fz_finding fd = { .kind = FV_LOST_FAULT, .op = 1, .why = "test" };
	struct fz_op ops[2] = {
		{ .kind = OP_MMAP, .npages = FZ_PMD_PAGES },
		{ .kind = OP_TOUCH, .page = 3, .sub = VIA_URING, .gen = 5 },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_EQ(0, fz_repro_write(f, ops, 2, &fd, 0x1234));
	fclose(f);
	ASSERT_NE(NULL, strstr(buf, "seed 0x1234"));
	ASSERT_NE(NULL, strstr(buf, "-DFZ_HAVE_LIBURING"));
	ASSERT_NE(NULL, strstr(buf, "{ .kind = OP_TOUCH, .actor = 0"));
	ASSERT_NE(NULL, strstr(buf, "int fz_replay("));
	ASSERT_NE(NULL, strstr(buf, "struct fz_finding fz_judge("));
	ASSERT_EQ(NULL, strstr(buf, "#include \""));
	/* only what a replay calls into: no ledger, probes, handler or rng */
	ASSERT_EQ(NULL, strstr(buf, "bool ledger_add("));
	ASSERT_EQ(NULL, strstr(buf, "int probe_page("));
	ASSERT_EQ(NULL, strstr(buf, "int uffd_handler_start("));
	ASSERT_EQ(NULL, strstr(buf, "rng_next("));
	free(buf);
}

/* op as fz_seq_write() writes it (in line), parsed back into back */
static int text_round_trip(const struct fz_op *op, struct fz_op *back, char *line, size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = fz_seq_write(f, op, 1);
	fclose(f);
	snprintf(line, size, "%s", buf);
	if (!ret)
		ret = fz_op_parse(buf, back, NULL, 0);
	free(buf);
	return ret;
}

/*
 * Every kind of operation, through every module: its descriptor is whole,
 * it reads back from its text, the generator makes it, it applies to a
 * structure made for it, the model judges it without disagreeing with the
 * executor, and the reproducer names it by its enum.  Every kind of probe,
 * the same way, and a walk's log is checked against what it asks.  Every
 * kind of finding: it has a name of its own, a sequence file's header
 * naming it reads back, and its reproducer says it (and fails on a known
 * gap, fill-on-alloc or seek-flicker, whether or not UFFDC_STRICT is set).
 */
TEST(every_kind_goes_through_every_module)
{
	static struct fz_op gen[FZ_MAX_OPS];
	struct fz_op seen[OP_NR_KINDS] = { 0 }, back;
	bool generated[OP_NR_KINDS] = { false }, probed[PRB_NR] = { false };
	struct fz_obs ok = { .done = 1 };
	unsigned int k, j, it, n, i;
	struct fz_finding fd = { .kind = FV_NONE, .op = -1 }, hd;
	char line[256], human[160], id[32], want[64], why[200];

	/* the generator: 200 sequences of 48 operations make every kind */
	for (it = 0; it < 200; it++) {
		n = fz_generate(fz_iter_seed(11, it), 48, gen);
		for (i = 0; i < n; i++) {
			ASSERT_LT(gen[i].kind, OP_NR_KINDS);
			if (!generated[gen[i].kind])
				seen[gen[i].kind] = gen[i];
			generated[gen[i].kind] = true;
			if (gen[i].kind == OP_PROBE && gen[i].sub < PRB_NR)
				probed[gen[i].sub] = true;
		}
	}
	for (k = 0; k < OP_NR_KINDS; k++) {
		const struct fz_op_desc *d = &fz_op_desc[k];
		struct fz_op op = seen[k], c;
		struct fz_struct s;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		/* the descriptor, and each module's function */
		ASSERT_NE(NULL, d->name) TH_LOG("kind %u has no entry in FZ_OPS", k);
		ASSERT_EQ(k, d->kind);
		ASSERT_NE(0, d->name[0]);
		ASSERT_NE(NULL, d->applies);
		ASSERT_NE(NULL, d->advance);
		ASSERT_NE(NULL, d->format);
		ASSERT_TRUE(fz_gen_has(k)) TH_LOG("%s", d->name);
		ASSERT_TRUE(fz_exec_has(k)) TH_LOG("%s", d->name);
		ASSERT_TRUE(fz_model_has(k)) TH_LOG("%s", d->name);
		ASSERT_STREQ(d->name, fz_kind_name(k));
		for (j = 0; j < k && strcmp(fz_op_desc[j].name, d->name); j++)
			;
		ASSERT_EQ(k, j) TH_LOG("two kinds are called %s", d->name);
		ASSERT_LE(d->sub_min, d->sub_max);
		ASSERT_LE(d->gen_min, 1);
		/* the reproducer's identifier is the enum's: OP_ and the name */
		snprintf(id, sizeof(id), "OP_%s", d->name);
		for (j = 3; id[j]; j++)
			id[j] = id[j] >= 'a' && id[j] <= 'z' ? id[j] - 'a' + 'A' : id[j];
		ASSERT_STREQ(id, d->id);

		/*
		 * The generator makes every kind but OP_NOP (weight 0, for hand-
		 * written sequences: the minimizer's simplest operation); OP_JOIN
		 * has weight 0 too, and follows the asynchronous operations.
		 */
		if (k == OP_NOP) {
			ASSERT_FALSE(generated[k]);
			ASSERT_EQ(0, d->weight);
			op = (struct fz_op){ .kind = OP_NOP };
		} else {
			ASSERT_TRUE(generated[k]) TH_LOG("%s", d->name);
			ASSERT_EQ(k == OP_JOIN ? 0u : 1u, !!d->weight);
		}

		/* the text: written as a line, read back to the same operation */
		ASSERT_EQ(0, text_round_trip(&op, &back, line, sizeof(line))) TH_LOG("%s", line);
		ASSERT_EQ(0, strncmp(line, d->name, strlen(d->name)));
		ASSERT_EQ(0, memcmp(&op, &back, sizeof(op)));
		fz_op_format(&op, human, sizeof(human));
		ASSERT_NE(0, human[0]);
		ASSERT_EQ(NULL, strchr(human, '?')) TH_LOG("%s", human);

		/*
		 * The structure and the model: slot 0 maps both PMDs of file 0,
		 * registered WP (nothing protected yet), and a child exists; the
		 * operation, on the first slot where it applies, with every field
		 * at its lowest accepted value.
		 */
		rec_reset();
		add((struct fz_op){ .kind = OP_MMAP, .npages = FZ_FILE_PAGES }, 0, 0, 0);
		add((struct fz_op){ .kind = OP_REGISTER, .npages = FZ_FILE_PAGES,
				    .sub = FZ_REG_WP }, 0, 0, 0);
		add((struct fz_op){ .kind = OP_FORK }, 0, 0, 0);
		fz_struct_init(&s);
		for (i = 0; i < R.nops; i++) {
			ASSERT_TRUE(fz_struct_applies(&s, &R.op[i]));
			fz_struct_advance(&s, &R.op[i], &R.obs[i]);
		}
		for (j = 0; j < FZ_SLOTS; j++) {
			op = (struct fz_op){ .kind = k, .slot = j, .page = 5, .npages = 1,
					     .sub = d->sub_min, .gen = d->gen_min };
			c = op;
			if (fz_struct_applies(&s, &c))
				break;
		}
		/* OP_NOP never applies: it is what an operation becomes when it cannot */
		if (k == OP_NOP) {
			ASSERT_EQ(FZ_SLOTS, j);
			add(op, 0, 0, 0);
			R.obs[R.nops - 1].nop = 1;
		} else {
			ASSERT_LT(j, FZ_SLOTS) TH_LOG("%s applies nowhere", d->name);
			add(c, c.kind == OP_PWRITE ? c.npages * 4096 : 0, 0, 0);
			/* the registered slot moved: EVENT_REMAP (a run's default) says so */
			if (c.kind == OP_MREMAP)
				event(R.nops - 1, 0, FZE_REMAP, 0, FZ_SLOT_ALT, FZ_FILE_PAGES);
			/* clamping is idempotent, and the clamped form reads back */
			ASSERT_TRUE(fz_struct_applies(&s, &op));
			ASSERT_EQ(0, memcmp(&op, &c, sizeof(c)));
			ASSERT_EQ(0, text_round_trip(&c, &back, line, sizeof(line)))
				TH_LOG("%s", line);
			ASSERT_EQ(0, memcmp(&c, &back, sizeof(c)));
			fz_struct_advance(&s, &c, &ok);
		}
		ASSERT_EQ(FV_NONE, judge(NULL)) TH_LOG("%s", d->name);
		/* and the model sees the executor's no-op as a disagreement */
		R.obs[R.nops - 1].nop = !R.obs[R.nops - 1].nop;
		ASSERT_EQ(FV_INTERNAL, judge(NULL));

		/* the reproducer's table names it */
		buf = NULL;
		f = open_memstream(&buf, &len);
		ASSERT_NE(NULL, f);
		ASSERT_EQ(0, fz_repro_write(f, &R.op[R.nops - 1], 1, &fd, 1));
		fclose(f);
		snprintf(want, sizeof(want), "{ .kind = %s, .actor = ", d->id);
		ASSERT_NE(NULL, strstr(buf, want));
		free(buf);
	}

	/* every kind of probe: its entry, its text, the model and the reproducer */
	for (k = 0; k < PRB_NR; k++) {
		const struct fz_probe_desc *p = &fz_probe_desc[k];
		struct fz_op op, c;
		struct fz_struct s;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;
		int o;

		ASSERT_NE(NULL, p->name) TH_LOG("probe %u has no entry in FZ_PROBES", k);
		ASSERT_NE(NULL, p->text);
		ASSERT_NE(0, p->name[0]);
		for (j = 0; j < k && strcmp(fz_probe_desc[j].name, p->name); j++)
			;
		ASSERT_EQ(k, j) TH_LOG("two probes are called %s", p->name);
		ASSERT_TRUE(fz_exec_probe_has(k)) TH_LOG("%s", p->name);
		ASSERT_TRUE(fz_model_probe_has(k)) TH_LOG("%s", p->name);
		ASSERT_NE(0, p->weight) TH_LOG("%s", p->name);
		ASSERT_TRUE(probed[k]) TH_LOG("the generator never made %s", p->name);

		rec_reset();
		add((struct fz_op){ .kind = OP_MMAP, .npages = FZ_FILE_PAGES }, 0, 0, 0);
		add((struct fz_op){ .kind = OP_FORK }, 0, 0, 0);
		fz_struct_init(&s);
		for (i = 0; i < R.nops; i++)
			fz_struct_advance(&s, &R.op[i], &R.obs[i]);
		op = (struct fz_op){ .kind = OP_PROBE, .file = 1, .page = 5, .npages = 1,
				     .sub = k };
		c = op;
		ASSERT_TRUE(fz_struct_applies(&s, &c)) TH_LOG("%s", p->name);
		ASSERT_EQ(p->on == PRB_ON_FILE ? 0 : 5, c.page);
		op = c;
		ASSERT_TRUE(fz_struct_applies(&s, &op));
		ASSERT_EQ(0, memcmp(&op, &c, sizeof(c)));
		ASSERT_EQ(0, text_round_trip(&c, &back, line, sizeof(line))) TH_LOG("%s", line);
		ASSERT_EQ(0, memcmp(&c, &back, sizeof(c)));
		fz_op_format(&c, human, sizeof(human));
		ASSERT_NE(NULL, strstr(human, p->text)) TH_LOG("%s", human);
		ASSERT_EQ(NULL, strchr(human, '?')) TH_LOG("%s", human);

		/* the file is empty: SEEK_HOLE finds page 5 itself, SEEK_DATA nothing */
		o = add(c, 0, 0, 0);
		if (k == PRB_SEEK_HOLE)
			R.obs[o].val = 5;
		else if (k == PRB_SEEK_DATA)
			R.obs[o].ret = -ENXIO;
		if (p->walk)
			walk_log(o, c.page, k != PRB_WALK_HOLE, k == PRB_WALK_HOLE ? 5 : -ENXIO,
				 k == PRB_WALK_HOLE ? 5 : -ENXIO);
		ASSERT_EQ(FV_NONE, judge(NULL)) TH_LOG("%s", p->name);
		R.obs[o].nop = 1;
		ASSERT_EQ(FV_INTERNAL, judge(NULL)) TH_LOG("%s", p->name);
		R.obs[o].nop = 0;
		if (p->walk) {
			/* the model judges what the log says was asked, not what it expects */
			R.walk[0].from++;
			ASSERT_EQ(FV_INTERNAL, judge(NULL)) TH_LOG("%s", p->name);
			R.walk[0].from--;
			R.walk[0].data = !R.walk[0].data;
			ASSERT_EQ(FV_INTERNAL, judge(NULL)) TH_LOG("%s", p->name);
			R.walk[0].data = !R.walk[0].data;
			R.nwalks = 0;
			ASSERT_EQ(FV_INTERNAL, judge(NULL)) TH_LOG("%s", p->name);
			/* ...unless the log was full and nothing was asked */
			R.obs[o].ret = -ENOSPC;
			ASSERT_EQ(FV_NONE, judge(NULL)) TH_LOG("%s", p->name);
		}

		f = open_memstream(&buf, &len);
		ASSERT_NE(NULL, f);
		ASSERT_EQ(0, fz_repro_write(f, &c, 1, &fd, 1));
		fclose(f);
		snprintf(want, sizeof(want), ".sub = %u, .arg = 0, .page = %u,", k, c.page);
		ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("%s", p->name);
		ASSERT_NE(NULL, strstr(buf, human)) TH_LOG("%s", p->name);
		free(buf);
	}

	ASSERT_STREQ("fill-on-alloc", fz_verdict_name(FV_FILL_ON_ALLOC));
	ASSERT_STREQ("seek-flicker", fz_verdict_name(FV_SEEK_FLICKER));
	ASSERT_STREQ("?", fz_verdict_name(FV_NR));
	/* the known gaps, and nothing else, are counted unless strict */
	for (k = FV_NONE; k <= FV_NR; k++)
		ASSERT_EQ(k == FV_FILL_ON_ALLOC || k == FV_SEEK_FLICKER, fz_verdict_known_gap(k))
			TH_LOG("%s", fz_verdict_name(k));
	for (k = FV_NONE + 1; k < FV_NR; k++) {
		const char *name = fz_verdict_name(k);
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		ASSERT_NE(NULL, name) TH_LOG("finding kind %u has no name", k);
		ASSERT_STRNE("?", name);
		for (j = 0; j < k && strcmp(fz_verdict_name(j), name); j++)
			;
		ASSERT_EQ(k, j) TH_LOG("two kinds of finding are called %s", name);
		snprintf(line, sizeof(line), "# seed 0x1 iteration 2: %s at op 0: why\n" OPLINE,
			 name);
		ASSERT_EQ(1, seq(line, &hd, why)) TH_LOG("%s", why);
		ASSERT_EQ(k, hd.kind);
		f = open_memstream(&buf, &len);
		ASSERT_NE(NULL, f);
		ASSERT_EQ(0, fz_repro_write(f, R.op, 1, &hd, 1));
		fclose(f);
		snprintf(want, sizeof(want), " * Finding: %s at operation 0: why\n", name);
		ASSERT_NE(NULL, strstr(buf, want)) TH_LOG("%s", name);
		ASSERT_NE(NULL, strstr(buf, fz_verdict_known_gap(k) ? "5, true,\n\t\t\t true);" :
				       "5, true,\n\t\t\t suite_strict());")) TH_LOG("%s", name);
		free(buf);
	}
}

TEST_HARNESS_MAIN
