// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's own tests: the model's judgement of hand-made records (each
 * violation kind flagged, each legal kernel choice accepted), the
 * generator's determinism, the text form, and the minimizer shrinking a
 * planted failure.  No kernel feature is needed: nothing here runs a
 * sequence.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "kselftest_harness.h"

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
				   .actor = async ? 1 : 0 }, ret, 0, filled);
}

static int seek(int file, int page, bool data, int result)
{
	return add((struct fz_op){ .kind = OP_PROBE, .file = file, .page = page,
				   .sub = data ? PRB_SEEK_DATA : PRB_SEEK_HOLE },
		   result < 0 ? result : 0, result, 0);
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

TEST(executor_and_model_must_agree_on_no_ops)
{
	int t;

	rec_reset();
	t = load(0, 5, 1, 0);	/* slot 0 is not mapped: a no-op */
	ASSERT_EQ(FV_INTERNAL, judge(NULL));
	R.obs[t].nop = 1;
	ASSERT_EQ(FV_NONE, judge(NULL));
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
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fz_seq_write(f, a, n));
	fclose(f);
	f = fmemopen(buf, len, "r");
	ASSERT_EQ((int)n, fz_seq_read(f, b, FZ_MAX_OPS));
	fclose(f);
	ASSERT_EQ(0, memcmp(a, b, n * sizeof(*a)));
	free(buf);
	ASSERT_EQ(-EINVAL, fz_op_parse("touch a=9 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=0", a));
	ASSERT_EQ(-EINVAL, fz_op_parse("bogus a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=1 g=0", a));
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
	free(buf);
}

TEST_HARNESS_MAIN
