// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle on hand-written ledgers: each violation kind is flagged alone
 * where the ledger proves it, and nothing is flagged where the order of
 * events is ambiguous or where we ourselves explain what was seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include "agents.h"
#include "compat.h"
#include "content.h"
#include "ledger.h"
#include "oracle.h"
#include "util.h"

#define MAP 1
#define P 5

FIXTURE(oracle) {
	struct ledger *l;
	struct oracle_opts o;
	struct verdict v;
};

FIXTURE_SETUP(oracle)
{
	self->l = ledger_create(256);
	ASSERT_NE(NULL, self->l);
	self->o = (struct oracle_opts){ .mincore_hole_is_evidence = true,
					.page_size = 4096 };
}

FIXTURE_TEARDOWN(oracle)
{
	ledger_destroy(self->l);
}

static void ev(struct ledger *l, int kind, uint64_t t0, uint64_t t1, uint32_t page,
	       uint32_t npages, int aux, int map, int value, int err)
{
	struct ev e = { .kind = kind, .t0 = t0, .t1 = t1, .page = page,
			.npages = npages, .aux = aux, .map = map, .value = value,
			.err = err, .actor = 1 };

	ledger_add(l, &e);
}

/* Shorthands; every stamp is explicit so each test reads as a timeline. */
#define REG(t0, t1)		ev(self->l, EV_REGISTER, t0, t1, 0, 16, 0, MAP, 0, 0)
#define UNREG(t0, t1)		ev(self->l, EV_UNREGISTER, t0, t1, 0, 16, 0, MAP, 0, 0)
#define PROBE(t0, t1, m, v)	ev(self->l, EV_PROBE, t0, t1, P, 1, m, 0, v, 0)
#define TOUCH(t0, t1, v)	ev(self->l, EV_TOUCH, t0, t1, P, 1, 0, MAP, v, 0)
#define STORE(t0, t1, g)	ev(self->l, EV_TOUCH, t0, t1, P, 1, TOUCH_STORE, MAP, g, 0)
#define READ(t0, t1, v)		ev(self->l, EV_READ, t0, t1, P, 1, 0, 0, v, 0)
#define FAULT(t)		ev(self->l, EV_FAULT, t, t, P, 1, 0, MAP, 0, 0)
#define COPY(t0, t1, g, err)	ev(self->l, EV_FILL, t0, t1, P, 1, FILL_UFFD_COPY, MAP, g, err)
#define PWRITE(t0, t1, g)	ev(self->l, EV_FILL, t0, t1, P, 1, FILL_PWRITE, 0, g, 0)
#define PUNCH(t0, t1)		ev(self->l, EV_REMOVE, t0, t1, 0, 16, REMOVE_PUNCH, 0, 0, 0)
#define COLLAPSE(t0, t1, a, v, err) ev(self->l, EV_COLLAPSE, t0, t1, 0, 16, a, 0, v, err)

#define judge(self) oracle_judge((self)->l, &(self)->o, &(self)->v)

#define EXPECT_ONLY(kind) do { \
	ASSERT_EQ(1, judge(self)); \
	EXPECT_EQ(1, self->v.count[kind]); \
	EXPECT_EQ(P, self->v.v[0].page); \
	if (self->v.total) \
		oracle_report(stderr, self->l, &self->o, &self->v); \
} while (0)

#define EXPECT_CLEAN() do { \
	if (judge(self)) \
		oracle_report(stderr, self->l, &self->o, &self->v); \
	ASSERT_EQ(0, self->v.total); \
	ASSERT_FALSE(self->v.unjudgeable); \
} while (0)

/* The contract kept: hole seen, touched, faulted, copied, read back. */
TEST_F(oracle, clean_fault_and_copy)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	READ(15, 16, 7);
	EXPECT_CLEAN();
}

/* 6.1's bug: hole seen after registration, touch reads zeros, no fault. */
TEST_F(oracle, lost_fault)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_HOLE, PROBE_HOLE);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_ONLY(V_LOST_FAULT);
}

/* Another mapping's access of page q, between the stamps (fill agents). */
#define TOUCH_OTHER(t0, t1, q)	ev(self->l, EV_TOUCH, t0, t1, q, 1, 0, MAP + 1, CONTENT_ZERO, 0)
#define FILL_AT(t0, t1, q, how)	ev(self->l, EV_FILL, t0, t1, q, 1, how, 0, CONTENT_ZERO, 0)

/*
 * fill-on-alloc: the hole became data without a fault, no collapse ran,
 * and another mapping faulted in a page of the same block meanwhile.
 */
TEST_F(oracle, lost_fault_with_an_allocation_nearby_is_fill_on_alloc)
{
	self->o.block_pages = 16;
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH_OTHER(5, 6, P + 1);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_ONLY(V_FILL_ON_ALLOC);
	EXPECT_TRUE(verdict_only(&self->v, V_FILL_ON_ALLOC));
}

/* Our own pwrite, fallocate or populate of a neighbour allocates too. */
TEST_F(oracle, our_fill_of_a_neighbour_is_a_fill_on_alloc_trigger)
{
	int how[] = { FILL_PWRITE, FILL_FALLOCATE, FILL_POPULATE, FILL_STORE };
	unsigned int i;

	self->o.block_pages = 16;
	for (i = 0; i < ARRAY_SIZE(how); i++) {
		ledger_reset(self->l);
		REG(1, 2);
		PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
		FILL_AT(5, 6, 0, how[i]);
		TOUCH(10, 11, CONTENT_ZERO);
		EXPECT_ONLY(V_FILL_ON_ALLOC);
	}
}

/* The fence never hides a collapse: with one in the window it is lost-fault. */
TEST_F(oracle, a_collapse_in_the_window_keeps_it_a_lost_fault)
{
	self->o.block_pages = 16;
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH_OTHER(5, 6, P + 1);
	COLLAPSE(7, 8, AGENT_MADV_OTHER, COLLAPSE_UNKNOWN, EINVAL);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_ONLY(V_LOST_FAULT);
}

/* Not triggers: the handler's UFFDIO_COPY, a page of another block, a failed access. */
TEST_F(oracle, order_zero_fills_and_other_blocks_are_no_trigger)
{
	self->o.block_pages = 16;
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FILL_AT(5, 6, P + 1, FILL_UFFD_COPY);
	TOUCH_OTHER(5, 6, P + 16);
	ev(self->l, EV_TOUCH, 5, 6, P + 2, 1, 0, MAP + 1, CONTENT_NONE, EFAULT);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_ONLY(V_LOST_FAULT);
}

/* Another mapping touched this very page: it is data by that access. */
TEST_F(oracle, the_page_itself_touched_elsewhere_is_legitimate_data)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH_OTHER(5, 6, P);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_CLEAN();
}

/*
 * Our fallocate of the page: allocated, never written, so SEEK_DATA may
 * call it a hole while a touch finds it: no fault owed, no data vanished.
 */
TEST_F(oracle, a_page_we_fallocated_may_read_as_a_hole)
{
	FILL_AT(1, 2, P, FILL_FALLOCATE);
	REG(3, 4);
	PROBE(5, 6, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_CLEAN();
}

/* A neighbour's fallocate: this page's later hole readings are no excuse. */
TEST_F(oracle, fill_on_alloc_counts_from_the_first_hole_reading)
{
	self->o.block_pages = 16;
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FILL_AT(5, 6, 0, FILL_FALLOCATE);
	PROBE(7, 8, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_ONLY(V_FILL_ON_ALLOC);
}

/* A store into a hole through the registered mapping must fault too. */
TEST_F(oracle, lost_fault_on_store)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	STORE(10, 11, 9);
	READ(12, 13, 9);
	EXPECT_ONLY(V_LOST_FAULT);
}

/* The store faulted, was resolved, and its bytes are what a read sees. */
TEST_F(oracle, store_after_fault_is_clean_and_its_bytes_count)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FAULT(11);
	COPY(12, 13, 7, 0);
	STORE(10, 14, 9);
	READ(15, 16, 9);
	EXPECT_CLEAN();
	READ(17, 18, 3);
	EXPECT_ONLY(V_CONTENT);
}

/* After our store the page is data: a hole reading is data vanishing. */
TEST_F(oracle, hole_after_store_is_data_vanished)
{
	REG(1, 2);
	STORE(3, 4, 9);
	PROBE(5, 6, PM_SEEK_HOLE, PROBE_HOLE);
	EXPECT_ONLY(V_DATA_VANISHED);
}

/* A probe overlapping UFFDIO_REGISTER is not "after registration". */
TEST_F(oracle, lost_fault_needs_probe_after_registration)
{
	REG(2, 5);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_CLEAN();
}

/* We filled the page ourselves between probe and touch: no fault due. */
TEST_F(oracle, lost_fault_not_when_we_filled)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	PWRITE(5, 6, 3);
	TOUCH(10, 11, 3);
	EXPECT_CLEAN();
}

/* A pwrite racing the probe still explains the data. */
TEST_F(oracle, lost_fault_not_when_fill_overlaps_probe)
{
	REG(1, 2);
	PWRITE(3, 9, 3);
	PROBE(4, 5, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH(10, 11, 3);
	EXPECT_CLEAN();
}

/* The touch may have run after unregistration took effect. */
TEST_F(oracle, lost_fault_not_after_unregister)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	UNREG(8, 9);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_CLEAN();
}

/* mincore's HOLE means "not resident": evidence only without swap. */
TEST_F(oracle, mincore_hole_needs_no_swap)
{
	self->o.mincore_hole_is_evidence = false;
	REG(1, 2);
	PROBE(3, 4, PM_MINCORE, PROBE_HOLE);
	TOUCH(10, 11, CONTENT_ZERO);
	EXPECT_CLEAN();
	self->o.mincore_hole_is_evidence = true;
	EXPECT_ONLY(V_LOST_FAULT);
}

/*
 * A page pushed out to swap (EV_PAGEOUT) is still data: mincore calls it
 * not resident, which with swap is no evidence, SEEK_DATA calls it data,
 * and the touch that swaps it in owes no fault; one that faults is
 * spurious, as for any data page.
 */
TEST_F(oracle, swapped_out_page_is_data)
{
	self->o.mincore_hole_is_evidence = false;
	PWRITE(1, 2, 1);
	REG(3, 4);
	ev(self->l, EV_PAGEOUT, 5, 6, 0, 16, 0, 2, 1, 0);
	PROBE(7, 8, PM_MINCORE, PROBE_HOLE);
	PROBE(9, 10, PM_SEEK_DATA, PROBE_DATA);
	TOUCH(11, 12, 1);
	EXPECT_CLEAN();
	FAULT(14);
	COPY(15, 16, 7, EEXIST);
	TOUCH(13, 17, 1);
	ASSERT_EQ(1, judge(self));
	EXPECT_EQ(1, self->v.count[V_SPURIOUS_FAULT]);
}

/* The review thread's race: DATA after registration, then a fault. */
TEST_F(oracle, spurious_fault)
{
	PWRITE(1, 2, 1);
	REG(3, 4);
	PROBE(5, 6, PM_SEEK_DATA, PROBE_DATA);
	FAULT(11);
	COPY(12, 13, 7, EEXIST);
	TOUCH(10, 14, 1);
	ASSERT_EQ(1, judge(self));
	EXPECT_EQ(1, self->v.count[V_SPURIOUS_FAULT]);
}

/* Without our own fill, only the DATA probe after registration proves it. */
TEST_F(oracle, spurious_fault_from_probe_alone)
{
	REG(1, 2);
	PROBE(5, 6, PM_SEEK_HOLE, PROBE_DATA);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	EXPECT_ONLY(V_SPURIOUS_FAULT);
}

/* The touch began before the DATA probe ended: its fault may be older. */
TEST_F(oracle, spurious_fault_ambiguous_order_is_not_evidence)
{
	REG(1, 2);
	PROBE(5, 8, PM_SEEK_DATA, PROBE_DATA);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(6, 14, 7);
	EXPECT_CLEAN();
}

/* A DATA probe before registration says nothing about the registration. */
TEST_F(oracle, data_probe_before_registration_is_not_evidence)
{
	PROBE(1, 2, PM_SEEK_DATA, PROBE_DATA);
	REG(3, 4);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	EXPECT_CLEAN();
}

/* We punched the page after seeing it: a fault is due again. */
TEST_F(oracle, fault_after_our_punch_is_fine)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_DATA);
	PUNCH(5, 6);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	EXPECT_CLEAN();
}

/* One touch, two faults: the second one is for a page we just filled. */
TEST_F(oracle, duplicate_fault)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	FAULT(21);
	COPY(22, 23, 7, EEXIST);
	TOUCH(20, 24, 7);
	EXPECT_ONLY(V_SPURIOUS_FAULT);
}

/* 6.1's second bug: data reads as a hole while a collapse runs. */
TEST_F(oracle, data_vanished)
{
	PWRITE(1, 2, 1);
	PROBE(5, 6, PM_SEEK_DATA, PROBE_HOLE);
	EXPECT_ONLY(V_DATA_VANISHED);
}

TEST_F(oracle, data_vanished_after_data_probe)
{
	PROBE(1, 2, PM_MINCORE, PROBE_DATA);
	PROBE(5, 6, PM_SEEK_HOLE, PROBE_HOLE);
	EXPECT_ONLY(V_DATA_VANISHED);
}

TEST_F(oracle, hole_after_our_punch_is_fine)
{
	PWRITE(1, 2, 1);
	PUNCH(3, 4);
	PROBE(5, 6, PM_SEEK_DATA, PROBE_HOLE);
	EXPECT_CLEAN();
}

/* A punch still in flight when the probe ran explains the hole. */
TEST_F(oracle, hole_during_our_punch_is_fine)
{
	PWRITE(1, 2, 1);
	PUNCH(3, 8);
	PROBE(5, 6, PM_SEEK_DATA, PROBE_HOLE);
	EXPECT_CLEAN();
}

TEST_F(oracle, content_last_write)
{
	PWRITE(1, 2, 1);
	PWRITE(3, 4, 2);
	READ(5, 6, 2);
	EXPECT_CLEAN();
}

TEST_F(oracle, content_stale_write)
{
	PWRITE(1, 2, 1);
	PWRITE(3, 4, 2);
	READ(5, 6, 1);
	EXPECT_ONLY(V_CONTENT);
}

/* A write racing the read may or may not be seen: both are legal. */
TEST_F(oracle, content_racing_write)
{
	PWRITE(1, 2, 1);
	PWRITE(4, 8, 2);
	READ(5, 6, 1);
	READ(5, 7, 2);
	EXPECT_CLEAN();
}

TEST_F(oracle, content_zeros_where_data_was)
{
	PWRITE(1, 2, 1);
	READ(5, 6, CONTENT_ZERO);
	EXPECT_ONLY(V_CONTENT);
}

TEST_F(oracle, content_corrupt)
{
	PWRITE(1, 2, 1);
	READ(5, 6, CONTENT_CORRUPT);
	EXPECT_ONLY(V_CONTENT);
}

/* A torn read racing a write is not corruption. */
TEST_F(oracle, content_torn_read_racing_write)
{
	PWRITE(1, 2, 1);
	PWRITE(4, 8, 2);
	READ(5, 6, CONTENT_CORRUPT);
	EXPECT_CLEAN();
}

/* Never written: zeros are the only legal content. */
TEST_F(oracle, content_never_written)
{
	READ(5, 6, CONTENT_ZERO);
	EXPECT_CLEAN();
	READ(7, 8, 3);
	EXPECT_ONLY(V_CONTENT);
}

/* The kernel reported the page missing, then filled it behind our back. */
TEST_F(oracle, copy_eexist)
{
	REG(1, 2);
	FAULT(11);
	COPY(12, 13, 7, EEXIST);
	TOUCH(10, 14, CONTENT_ZERO);
	EXPECT_ONLY(V_COPY_EEXIST);
}

TEST_F(oracle, copy_eexist_after_our_write_is_fine)
{
	REG(1, 2);
	FAULT(11);
	PWRITE(11, 12, 3);
	COPY(13, 14, 7, EEXIST);
	TOUCH(10, 15, 3);
	EXPECT_CLEAN();
}

TEST_F(oracle, overflow_is_unjudgeable)
{
	int i;

	for (i = 0; i < 300; i++)
		PWRITE(2 * i + 1, 2 * i + 2, 1);
	EXPECT_EQ(0, judge(self));
	EXPECT_TRUE(self->v.unjudgeable);
}

/* The report names the page, the invariant and the evidence. */
TEST_F(oracle, report_names_page_invariant_and_evidence)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	REG(1, 2);
	PROBE(3, 4, PM_SEEK_HOLE, PROBE_HOLE);
	TOUCH(10, 11, CONTENT_ZERO);
	ASSERT_EQ(1, judge(self));
	oracle_report(f, self->l, &self->o, &self->v);
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "VIOLATION lost-fault: page 5 (file offset 0x5000)"));
	EXPECT_NE(NULL, strstr(buf, "because: [seq 3..4 actor 1] SEEK_HOLE page 5: HOLE"));
	EXPECT_NE(NULL, strstr(buf, "UFFDIO_REGISTER MISSING map 1 pages 0-15"));
	EXPECT_NE(NULL, strstr(buf, "touch page 5 via map 1 saw zeros"));
	free(buf);
}

/*
 * A collapse event is context, never evidence: it changes no verdict, and
 * the report reads its value as the pages found collapsed, or unknown.
 */
TEST_F(oracle, collapse_value_is_pages_found_collapsed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	REG(1, 2);
	PROBE(3, 4, PM_SEEK_HOLE, PROBE_HOLE);
	COLLAPSE(5, 6, AGENT_MADV_OTHER, COLLAPSE_UNKNOWN, EINVAL);
	COLLAPSE(7, 8, AGENT_KHUGEPAGED, 16, 0);
	COLLAPSE(9, 10, AGENT_MADV_SELF, 0, 0);
	TOUCH(11, 12, CONTENT_ZERO);
	EXPECT_ONLY(V_LOST_FAULT);
	oracle_report(f, self->l, &self->o, &self->v);
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "pages 0-15: Invalid argument, collapsed: unknown"));
	EXPECT_NE(NULL, strstr(buf, "khugepaged pages 0-15: ok, 16 page(s) found collapsed"));
	EXPECT_NE(NULL, strstr(buf, "mapping) pages 0-15: ok, 0 page(s) found collapsed"));
	free(buf);
}

/*
 * Walks: a SEEK_HOLE or SEEK_DATA from an offset, and what its answer
 * claims (ledger.h).  In one huge block of 512 pages, leaves of 64.
 */
#define BLOCK	512

static void walk(struct ledger *l, uint64_t t0, uint64_t t1, int m, uint32_t from,
		 uint32_t answer, uint32_t again)
{
	struct ev e = { .kind = EV_PROBE, .t0 = t0, .t1 = t1, .aux = m, .from = from,
			.again = again, .value = PROBE_HOLE, .actor = 2 };

	e.page = m == PM_WALK_HOLE ? answer : from;
	e.npages = m == PM_WALK_HOLE ? 1 : answer - from;
	ledger_add(l, &e);
}

#define DATA_AT(t0, t1, page)	ev(self->l, EV_FILL, t0, t1, page, 1, FILL_PWRITE, 0, 1, 0)
#define COLLAPSE_BLOCK(t0, t1, first) \
	ev(self->l, EV_COLLAPSE, t0, t1, first, BLOCK, AGENT_MADV_OTHER, 0, BLOCK, 0)

/* Exactly one violation, of kind k at page. */
#define EXPECT_ONE_AT(k, pg) do { \
	self->o.block_pages = BLOCK; \
	ASSERT_EQ(1, judge(self)) \
		oracle_report(stderr, self->l, &self->o, &self->v); \
	EXPECT_EQ(1, self->v.count[k]); \
	EXPECT_EQ(pg, self->v.v[0].page); \
} while (0)

TEST_F(oracle, walk_hole_over_data_is_data_vanished)
{
	DATA_AT(1, 2, 100);
	walk(self->l, 3, 4, PM_WALK_HOLE, 0, 100, 300);
	EXPECT_ONE_AT(V_DATA_VANISHED, 100);
}

TEST_F(oracle, walk_data_skipping_data_is_data_vanished)
{
	DATA_AT(1, 2, 300);
	walk(self->l, 3, 4, PM_WALK_DATA, 200, BLOCK, 300);
	EXPECT_ONE_AT(V_DATA_VANISHED, 300);
}

TEST_F(oracle, walk_claims_over_holes_are_fine)
{
	DATA_AT(1, 2, 100);
	walk(self->l, 3, 4, PM_WALK_HOLE, 0, 101, 101);
	walk(self->l, 5, 6, PM_WALK_DATA, 101, BLOCK, BLOCK);
	walk(self->l, 7, 8, PM_WALK_DATA, 0, 100, 100);
	self->o.block_pages = BLOCK;
	EXPECT_CLEAN();
}

/* 6.12's leaf race: SEEK_HOLE answers the next leaf, and not again. */
TEST_F(oracle, seek_flicker_hole)
{
	DATA_AT(1, 2, 192);
	COLLAPSE_BLOCK(3, 10, 0);
	walk(self->l, 4, 5, PM_WALK_HOLE, 0, 192, 256);
	EXPECT_ONE_AT(V_SEEK_FLICKER, 192);
	EXPECT_TRUE(verdict_known_gaps_only(&self->v));
	EXPECT_NE(NULL, violation_known_gap(V_SEEK_FLICKER));
}

/* The same race for SEEK_DATA: from a hole leaf to the block's end. */
TEST_F(oracle, seek_flicker_data)
{
	DATA_AT(1, 2, 260);
	COLLAPSE_BLOCK(3, 10, 0);
	walk(self->l, 4, 5, PM_WALK_DATA, 10, BLOCK, 260);
	EXPECT_ONE_AT(V_SEEK_FLICKER, 260);
}

/* 6.1's uptodate flicker: the walk's own start is a hole. */
TEST_F(oracle, hole_at_the_walk_start_is_no_flicker)
{
	DATA_AT(1, 2, 192);
	COLLAPSE_BLOCK(3, 10, 0);
	walk(self->l, 4, 5, PM_WALK_HOLE, 192, 192, 256);
	EXPECT_ONE_AT(V_DATA_VANISHED, 192);
	EXPECT_FALSE(verdict_known_gaps_only(&self->v));
	EXPECT_EQ(NULL, violation_known_gap(V_DATA_VANISHED));
}

/* ... or the whole huge range, from its first page. */
TEST_F(oracle, hole_at_the_block_start_is_no_flicker)
{
	DATA_AT(1, 2, BLOCK);
	COLLAPSE_BLOCK(3, 10, BLOCK);
	walk(self->l, 4, 5, PM_WALK_HOLE, 0, BLOCK, BLOCK + 256);
	EXPECT_ONE_AT(V_DATA_VANISHED, BLOCK);
}

TEST_F(oracle, hole_that_stays_is_no_flicker)
{
	DATA_AT(1, 2, 192);
	COLLAPSE_BLOCK(3, 10, 0);
	walk(self->l, 4, 5, PM_WALK_HOLE, 0, 192, 192);
	EXPECT_ONE_AT(V_DATA_VANISHED, 192);
}

TEST_F(oracle, hole_inside_a_leaf_is_no_flicker)
{
	DATA_AT(1, 2, 100);
	COLLAPSE_BLOCK(3, 10, 0);
	walk(self->l, 4, 5, PM_WALK_HOLE, 0, 100, 256);
	EXPECT_ONE_AT(V_DATA_VANISHED, 100);
}

TEST_F(oracle, hole_without_a_collapse_is_no_flicker)
{
	DATA_AT(1, 2, 192);
	COLLAPSE_BLOCK(6, 10, 0);
	walk(self->l, 4, 5, PM_WALK_HOLE, 0, 192, 256);
	EXPECT_ONE_AT(V_DATA_VANISHED, 192);
}

TEST_F(oracle, skip_short_of_the_block_end_is_no_flicker)
{
	DATA_AT(1, 2, 260);
	COLLAPSE_BLOCK(3, 10, 0);
	walk(self->l, 4, 5, PM_WALK_DATA, 10, 300, 260);
	EXPECT_ONE_AT(V_DATA_VANISHED, 260);
}

/*
 * A flicker's hole is not a hole: a touch of the page afterwards owes no
 * fault, and the fence covers it alone; with another violation the verdict
 * is no known gap.
 */
TEST_F(oracle, flicker_is_no_lost_fault_evidence)
{
	DATA_AT(1, 2, 192);
	ev(self->l, EV_REGISTER, 3, 4, 0, BLOCK, 0, MAP, 0, 0);
	COLLAPSE_BLOCK(5, 10, 0);
	walk(self->l, 6, 7, PM_WALK_HOLE, 0, 192, 256);
	ev(self->l, EV_TOUCH, 11, 12, 192, 1, TOUCH_LOAD, MAP, 1, 0);
	EXPECT_ONE_AT(V_SEEK_FLICKER, 192);
	DATA_AT(13, 14, 100);
	walk(self->l, 15, 16, PM_WALK_HOLE, 0, 100, 100);
	self->v = (struct verdict){ 0 };
	ASSERT_EQ(2, judge(self));
	EXPECT_FALSE(verdict_known_gaps_only(&self->v));
}

/* Faults raised by thread tid (UFFD_FEATURE_THREAD_ID). */
#define FAULT_BY(t, tid)	ev(self->l, EV_FAULT, t, t, P, 1, 0, MAP, tid, 0)

/*
 * Fault loop: thread 77 faulted, UFFDIO_COPY found the page present, and
 * thread 77 faulted on it again; the EEXISTs are copy-eexist besides.
 */
TEST_F(oracle, fault_loop)
{
	REG(1, 2);
	FAULT_BY(11, 77);
	COPY(12, 13, 7, EEXIST);
	FAULT_BY(21, 77);
	COPY(22, 23, 7, EEXIST);
	TOUCH(10, 30, CONTENT_ZERO);
	ASSERT_EQ(3, judge(self));
	EXPECT_EQ(1, self->v.count[V_FAULT_LOOP]);
	EXPECT_EQ(2, self->v.count[V_COPY_EEXIST]);
	oracle_report(stderr, self->l, &self->o, &self->v);
}

/* Another thread's fault, a removal of ours, or no thread id: no loop. */
TEST_F(oracle, fault_loop_needs_the_same_thread_and_no_removal)
{
	REG(1, 2);
	FAULT_BY(11, 77);
	COPY(12, 13, 7, EEXIST);
	FAULT_BY(21, 78);
	COPY(22, 23, 7, 0);
	judge(self);
	EXPECT_EQ(0, self->v.count[V_FAULT_LOOP]);

	ledger_reset(self->l);
	REG(1, 2);
	FAULT_BY(11, 77);
	COPY(12, 13, 7, EEXIST);
	PUNCH(15, 16);
	FAULT_BY(21, 77);
	COPY(22, 23, 7, 0);
	judge(self);
	EXPECT_EQ(0, self->v.count[V_FAULT_LOOP]);

	ledger_reset(self->l);
	REG(1, 2);
	FAULT(11);
	COPY(12, 13, 7, EEXIST);
	FAULT(21);
	COPY(22, 23, 7, 0);
	judge(self);
	EXPECT_EQ(0, self->v.count[V_FAULT_LOOP]);
}

/*
 * Online verdicts: the handler's view while the round goes on.  A touch
 * or a removal in flight is an open event (t1 LEDGER_OPEN, value
 * CONTENT_NONE), as ledger_open() records it.
 */
#define TOUCH_OPEN(t0)		ev(self->l, EV_TOUCH, t0, LEDGER_OPEN, P, 1, 0, MAP, CONTENT_NONE, 0)
#define PUNCH_OPEN(t0)		ev(self->l, EV_REMOVE, t0, LEDGER_OPEN, 0, 16, REMOVE_PUNCH, 0, \
				   CONTENT_NONE, 0)

/* The fault just recorded: the ledger's last event. */
static enum violation_kind live(struct oracle_live *lv, struct ledger *l,
				struct online_verdict *ov)
{
	return oracle_live_fault(lv, &l->ev[ledger_count(l) - 1], ov);
}

/* Our fill ended before the touch in flight began: spurious, at once. */
TEST_F(oracle, online_spurious_fault)
{
	struct oracle_live *lv = oracle_live_create(self->l, &self->o);
	struct online_verdict ov;
	char buf[1024];

	ASSERT_NE(NULL, lv);
	PWRITE(1, 2, 1);
	REG(3, 4);
	TOUCH_OPEN(10);
	FAULT_BY(11, 77);
	ASSERT_EQ(V_SPURIOUS_FAULT, live(lv, self->l, &ov));
	online_verdict_format(&ov, &self->o, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "VIOLATION spurious-fault: page 5 (file offset 0x5000), map 1: MISSING fault for a page already known to be data"))
		TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "because: [seq 1..2 actor 1] pwrite page 5 gen 1"))
		TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "because: [seq 11..11 actor 1] MISSING fault page 5 via map 1 by thread 77"))
		TH_LOG("%s", buf);
	/* The end-of-round oracle agrees once the touch is closed. */
	self->l->ev[2].t1 = 14;
	self->l->ev[2].value = 1;
	EXPECT_ONLY(V_SPURIOUS_FAULT);
	oracle_live_destroy(lv);
}

/* What the offline rule would not say, online does not say either. */
TEST_F(oracle, online_no_verdict_without_proof)
{
	struct oracle_live *lv;
	struct online_verdict ov;

	/* The touch began before our fill ended. */
	lv = oracle_live_create(self->l, &self->o);
	ASSERT_NE(NULL, lv);
	TOUCH_OPEN(1);
	PWRITE(2, 3, 1);
	FAULT_BY(11, 77);
	EXPECT_EQ(V_NR, live(lv, self->l, &ov));
	oracle_live_destroy(lv);

	/* A removal of ours is in flight. */
	ledger_reset(self->l);
	lv = oracle_live_create(self->l, &self->o);
	PWRITE(1, 2, 1);
	PUNCH_OPEN(5);
	TOUCH_OPEN(10);
	FAULT_BY(11, 77);
	EXPECT_EQ(V_NR, live(lv, self->l, &ov));
	oracle_live_destroy(lv);

	/* No touch waits for it: the fault cannot be placed in time. */
	ledger_reset(self->l);
	lv = oracle_live_create(self->l, &self->o);
	PWRITE(1, 2, 1);
	FAULT_BY(11, 77);
	EXPECT_EQ(V_NR, live(lv, self->l, &ov));
	oracle_live_destroy(lv);
}

/*
 * A slot still being written could be a removal: the verdict waits for
 * it, a millisecond at most, then is not given; once written, it is.
 */
TEST_F(oracle, online_waits_for_a_slot_being_written)
{
	struct oracle_live *lv = oracle_live_create(self->l, &self->o);
	struct online_verdict ov;
	struct ev f;
	uint64_t hole;
	int64_t t;

	ASSERT_NE(NULL, lv);
	PWRITE(1, 2, 1);
	TOUCH_OPEN(10);
	hole = __atomic_fetch_add(&self->l->len, 1, __ATOMIC_SEQ_CST);
	FAULT_BY(11, 77);
	f = self->l->ev[ledger_count(self->l) - 1];
	t = mono_ns();
	EXPECT_EQ(V_NR, oracle_live_fault(lv, &f, &ov));
	EXPECT_GE(mono_ns() - t, 1000000);
	self->l->ev[hole] = (struct ev){ .kind = EV_PROBE, .t0 = 5, .t1 = 6, .page = P,
					 .npages = 1, .actor = 1 };
	EXPECT_EQ(V_SPURIOUS_FAULT, oracle_live_fault(lv, &f, &ov));
	oracle_live_destroy(lv);
}

/* The loop is told at the second fault, not the first. */
TEST_F(oracle, online_fault_loop)
{
	struct oracle_live *lv = oracle_live_create(self->l, &self->o);
	struct online_verdict ov;
	char buf[1024];

	ASSERT_NE(NULL, lv);
	REG(1, 2);
	TOUCH_OPEN(10);
	FAULT_BY(11, 77);
	EXPECT_EQ(V_NR, live(lv, self->l, &ov));
	COPY(12, 13, 7, EEXIST);
	FAULT_BY(21, 77);
	ASSERT_EQ(V_FAULT_LOOP, live(lv, self->l, &ov));
	online_verdict_format(&ov, &self->o, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "VIOLATION fault-loop: page 5 (file offset 0x5000), map 1: thread 77 faulted on the page again after UFFDIO_COPY found it present (EEXIST)"))
		TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "because: [seq 12..13 actor 1] UFFDIO_COPY page 5 gen 7 failed: File exists"))
		TH_LOG("%s", buf);
	oracle_live_destroy(lv);
}

/*
 * Every kernel access path is a load or a store: a lost fault through a
 * store path says the store went through, and pread then sees its gen.
 */
TEST_F(oracle, every_store_path_is_a_store)
{
	int how[] = { TOUCH_STORE, TOUCH_PREAD_INTO, TOUCH_VM_WRITEV, TOUCH_URING_READ_INTO };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(how); i++) {
		ledger_reset(self->l);
		REG(1, 2);
		PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
		ev(self->l, EV_TOUCH, 10, 11, P, 1, how[i], MAP, 9, 0);
		READ(12, 13, 9);
		EXPECT_ONLY(V_LOST_FAULT);
		EXPECT_NE(NULL, strstr(self->v.v[0].why, "the store went through"));
	}
}

/* A load path that failed saw nothing: no evidence either way. */
TEST_F(oracle, a_failed_access_is_no_touch)
{
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	ev(self->l, EV_TOUCH, 10, 11, P, 1, TOUCH_URING_WRITE_FROM, MAP, CONTENT_NONE,
	   EOPNOTSUPP);
	EXPECT_CLEAN();
}

/*
 * A zap (MADV_DONTNEED) of a shared mapping leaves the file's page: a
 * fault through it afterwards is still spurious.
 */
TEST_F(oracle, fault_after_zap_of_a_shared_mapping_is_spurious)
{
	PWRITE(1, 2, 1);
	REG(3, 4);
	ev(self->l, EV_ZAP, 5, 6, 0, 16, 0, MAP, 0, 0);
	FAULT(11);
	COPY(12, 13, 7, EEXIST);
	TOUCH(10, 14, 1);
	EXPECT_ONLY(V_SPURIOUS_FAULT);
}

#define PRIVATE(self)	oracle_set_private_map(&(self)->o, MAP)
#define ZAP(t0, t1)	ev(self->l, EV_ZAP, t0, t1, 0, 16, 0, MAP, 0, 0)

/*
 * MAP_PRIVATE: UFFDIO_COPY puts an anonymous page in the mapping and leaves
 * the file's hole: pread reads zeros, SEEK_DATA still says hole, the
 * mapping reads the copy.  A shared mapping's copy would be file data.
 */
TEST_F(oracle, private_copy_stays_in_its_mapping)
{
	PRIVATE(self);
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	READ(15, 16, CONTENT_ZERO);
	PROBE(17, 18, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH(19, 20, 7);
	EXPECT_CLEAN();

	/* Judged as a shared mapping, the second touch lost its fault too. */
	self->o.private_maps[0] = 0;
	ASSERT_EQ(3, judge(self));
	EXPECT_EQ(1, self->v.count[V_CONTENT]);
	EXPECT_EQ(1, self->v.count[V_DATA_VANISHED]);
	EXPECT_EQ(1, self->v.count[V_LOST_FAULT]);
}

/*
 * A store through a private mapping over a hole of the file owes a fault
 * before it makes a page of its own: without one it is a lost fault (the
 * store does not excuse itself).
 */
TEST_F(oracle, private_store_without_a_fault_is_lost)
{
	PRIVATE(self);
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	STORE(10, 11, 9);
	READ(12, 13, CONTENT_ZERO);
	EXPECT_ONLY(V_LOST_FAULT);
}

/* Its own page, copied before the hole was seen, owes no fault. */
TEST_F(oracle, private_mapping_with_its_own_page_owes_no_fault)
{
	PRIVATE(self);
	REG(1, 2);
	COPY(3, 4, 7, 0);
	PROBE(5, 6, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH(10, 11, 7);
	EXPECT_CLEAN();
}

/*
 * A zap drops the mapping's own page: the file's hole shows again and the
 * next touch must fault (not spurious); without the fault it is lost.
 */
TEST_F(oracle, private_zap_brings_the_hole_back)
{
	PRIVATE(self);
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	ZAP(15, 16);
	FAULT(21);
	COPY(22, 23, 8, 0);
	TOUCH(20, 24, 8);
	EXPECT_CLEAN();

	ledger_reset(self->l);
	REG(1, 2);
	PROBE(3, 4, PM_SEEK_DATA, PROBE_HOLE);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	ZAP(15, 16);
	PROBE(17, 18, PM_SEEK_DATA, PROBE_HOLE);
	TOUCH(20, 24, CONTENT_ZERO);
	EXPECT_ONLY(V_LOST_FAULT);
}

/* The file's data is seen through a private mapping: a fault is spurious. */
TEST_F(oracle, private_fault_on_file_data_is_spurious)
{
	PRIVATE(self);
	PWRITE(1, 2, 1);
	REG(3, 4);
	ZAP(5, 6);
	FAULT(11);
	COPY(12, 13, 7, 0);
	TOUCH(10, 14, 7);
	EXPECT_ONLY(V_SPURIOUS_FAULT);
}

/*
 * A store through a private mapping is seen there alone: pread and another
 * mapping read the file; after a zap, so does the mapping itself.
 */
TEST_F(oracle, private_store_is_seen_through_its_mapping_alone)
{
	PRIVATE(self);
	PWRITE(1, 2, 1);
	REG(3, 4);
	STORE(5, 6, 9);
	TOUCH(7, 8, 9);
	ev(self->l, EV_TOUCH, 9, 10, P, 1, TOUCH_LOAD, MAP + 1, 1, 0);
	READ(11, 12, 1);
	ZAP(13, 14);
	TOUCH(15, 16, 1);
	EXPECT_CLEAN();

	TOUCH(17, 18, 9);
	EXPECT_ONLY(V_CONTENT);
}

/*
 * Another mapping's private page is no evidence for this one: a fault
 * through this mapping where only that one has a page is owed.
 */
TEST_F(oracle, another_private_page_is_no_data_here)
{
	oracle_set_private_map(&self->o, MAP + 1);
	REG(1, 2);
	ev(self->l, EV_FILL, 3, 4, P, 1, FILL_UFFD_COPY, MAP + 1, 7, 0);
	FAULT(11);
	COPY(12, 13, 8, 0);
	TOUCH(10, 14, 8);
	EXPECT_CLEAN();
}

TEST_HARNESS_MAIN
