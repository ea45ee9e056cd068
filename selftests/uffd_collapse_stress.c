// SPDX-License-Identifier: GPL-2.0
/*
 * Race stress: collapse versus registration versus probing.
 *
 * The deterministic tests catch a kernel that never looks for userfaultfd.
 * The bugs that survive review are races: a registration completing while
 * a collapse is in flight, a data page that reads as a hole for a few
 * microseconds while the new huge page is not yet uptodate, a write into a
 * hole while the collapse copies.  Each round here starts the actors on a
 * barrier, pinned to different CPUs, with start delays swept across the
 * measured length of a collapse, so that the registration lands before,
 * inside and after the kernel's window in turn.  The oracle judges each
 * round's ledger; the first violation stops the run with its seed.
 *
 * Actors: collapser (MADV_COLLAPSE on an unregistered mapping, or
 * khugepaged), registrar (fresh userfaultfd, UFFDIO_REGISTER, probe, wait
 * for the collapse, probe, touch, UFFDIO_UNREGISTER), probers (tight
 * SEEK_DATA/SEEK_HOLE/mincore loops), writer (pwrite of new generations
 * into holes), the fault handler, and the punch that recreates the holes
 * between rounds.
 *
 * This file holds the kselftest fixture, its variants and the round loop,
 * the bare MADV_COLLAPSE loop and the command line.  The actors are in
 * stress_actors.c, the rounds' plan and time bounds in stress_round.c, the
 * counters' report in stress_report.c; stress.h is what they share.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "actors.h"
#include "agents.h"
#include "content.h"
#include "khugepaged_ctl.h"
#include "ledger.h"
#include "oracle.h"
#include "probe.h"
#include "rng.h"
#include "shmem_backing.h"
#include "stress.h"
#include "suite.h"
#include "thp_knobs.h"
#include "thp_settings.h"
#include "uffd_util.h"
#include "util.h"

#define LEDGER_CAP	(1 << 20)
/* khugepaged sleeps this long after a scan: it scans when woken (agents.c). */
#define KHUGEPAGED_SLEEP_MS	60000
/* The actors' nice with an asynchronous agent (stress_actors.c). */
#define ACTOR_NICE_ASYNC	19
#define INJECTIONS	"handler-exit, fault-loop, spurious-fault, handler-stall, actor-stall, registrar-crash"

static_assert(STRESS_EXIT_FAIL == KSFT_FAIL, "the watchdog exits as a failed test");

static struct stress_opts opt = {
	.duration = 1.0,
	.rounds = 1000000,
	.threads = 2,
};

FIXTURE(stress) {
	struct stress s;
	bool thp_pushed;	/* the setup's settings are on the stack */
};

/* THP sysfs as main() found it, pushed there once and never popped. */
static struct thp_settings thp_base;
static int thp_base_err;

FIXTURE_VARIANT(stress) {
	struct stress_variant v;
};

/*
 * The counters lines, logged here so that they carry this file's name as
 * every TH_LOG() line of the test does.
 */
static void print_counters(struct __test_metadata *_metadata, const struct counters *c,
			   double secs)
{
	char line[2048];

	format_rates(line, sizeof(line), c, secs);
	TH_LOG("%s", line);
	format_counters(line, sizeof(line), c);
	TH_LOG("%s", line);
}

/* What an mTHP variant allocated: rounds per size, blocks, folios. */
static void print_mthp(struct __test_metadata *_metadata, const struct stress *s,
		       const struct counters *c)
{
	char line[512], folios[64];
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < s->n_mthp; i++)
		n += snprintf(line + n, sizeof(line) - n, " %lukB=%u",
			      (s->ps >> 10) << s->mthp_orders[i], s->mthp_rounds[s->mthp_orders[i]]);
	if (c->mthp_folios_known)
		snprintf(folios, sizeof(folios), "%llu", (unsigned long long)c->mthp_folios);
	else
		snprintf(folios, sizeof(folios), "unknown (no stats/shmem_alloc)");
	TH_LOG("mthp: rounds per size:%s; data blocks stored=%llu, shmem folios allocated at the round's size=%s",
	       line, (unsigned long long)c->mthp_blocks, folios);
}

/*
 * --widen and --hunt: the knobs act on the backing and the round's data[],
 * keep off the collapser's CPU (0) and end at the deadline.  A knob that
 * cannot be set up here is logged and left off.
 */
static int setup_widen(struct __test_metadata *_metadata, struct stress *s)
{
	struct widen_env env = {
		.b = &s->b, .hp = s->hp, .ps = s->ps, .data = s->data,
		.nice = s->agent->asynchronous ? ACTOR_NICE_ASYNC : 0,
		.collapser_cpu = 0, .attempt_ns = &s->attempt_ns, .scan_ns = &s->scan_ns_avg,
		.deadline_ns = &s->deadline_ns,
	};
	char lv[160], off[6 * 160];

	if (!opt.hunt && !widen_any(&opt.widen))
		return 0;
	s->widen = widen_create(&env);
	if (!s->widen)
		return -ENOMEM;
	widen_format(&opt.widen, lv, sizeof(lv));
	if (opt.hunt) {
		widen_hunt_start(s->widen, &opt.widen, opt.duration);
		TH_LOG("hunt: %d steps of %.1f s up to %s", WIDEN_HUNT_STEPS,
		       opt.duration / WIDEN_HUNT_STEPS, lv);
		return 0;
	}
	widen_apply(s->widen, &opt.widen);
	widen_format(&s->widen->on, lv, sizeof(lv));
	widen_why_off(s->widen, off, sizeof(off));
	TH_LOG("widen: %s%s%s", lv, off[0] ? "; left off: " : "", off);
	return 0;
}

/* A hunt's next step, between rounds: log the levels it set. */
static void widen_step(struct __test_metadata *_metadata, struct stress *s, long start)
{
	char lv[160], off[6 * 160];
	int step;

	if (!s->widen)
		return;
	step = widen_next_round(s->widen);
	if (step < 0)
		return;
	widen_format(&s->widen->on, lv, sizeof(lv));
	widen_why_off(s->widen, off, sizeof(off));
	TH_LOG("hunt: step %d of %d at %.1f s, round %llu: %s%s%s", step + 1, WIDEN_HUNT_STEPS,
	       (mono_ns() - start) / 1e9, (unsigned long long)s->round, lv,
	       off[0] ? "; left off: " : "", off);
}

FIXTURE_SETUP(stress)
{
	struct stress *s = &self->s;
	struct thp_settings ts = thp_base;
	const char *inject;
	int i, ret;

	memset(s, 0, sizeof(*s));
	s->v = &variant->v;
	s->opt = &opt;
	s->sh = mmap(NULL, sizeof(*s->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->sh);
	s->b.fd = -1;
	s->ps = getpagesize();
	if (!thp_available())
		SKIP(return, "no THP sysfs: kernel built without TRANSPARENT_HUGEPAGE");
	if (thp_base_err)
		SKIP(return, "cannot read THP sysfs settings: %s", strerror(-thp_base_err));
	ts.thp_enabled = THP_MADVISE;
	ts.thp_defrag = THP_DEFRAG_MADVISE;
	ts.shmem_enabled = SHMEM_ADVISE;
	/* Only an agent's prepare() makes khugepaged fast; the pop undoes it. */
	ts.khugepaged.scan_sleep_millisecs = 100000;
	/* mTHP: no size below the PMD allocates but the round's, at its fill. */
	for (i = 1; variant->v.mthp && i < thp_pmd_order() && i < NR_ORDERS; i++)
		ts.shmem_hugepages[i].enabled = SHMEM_NEVER;
	ret = thp_push_settings(&ts);
	if (ret)
		SKIP(return, "cannot write THP sysfs settings: %s", strerror(-ret));
	self->thp_pushed = true;
	s->hp = thp_pmd_size() / s->ps;
	if (backing_open(&s->b, variant->v.backing, variant->v.huge, thp_pmd_size(),
			 s->sh->why, sizeof(s->sh->why)))
		SKIP(return, "%s backing: %s", backing_name(variant->v.backing), s->sh->why);
	ASSERT_EQ(0, backing_ready(&s->b));
	s->reg = backing_map(&s->b, 0, thp_pmd_size());
	ASSERT_NE(NULL, s->reg);
	if (variant->v.mthp) {
		/*
		 * A size is used only if its knob takes "always" and goes
		 * back to "never": a knob this kernel refuses is a missing
		 * feature, not a failure of the round that writes it.
		 */
		for (i = 1; i < thp_pmd_order() && i < NR_ORDERS; i++) {
			if (!thp_shmem_size_offered(i))
				continue;
			ret = thp_shmem_size_set(i, "always");
			if (thp_shmem_size_set(i, "never") || ret)
				continue;
			s->mthp_orders[s->n_mthp++] = i;
		}
		if (!s->n_mthp)
			SKIP(return, "no shmem mTHP size below the PMD whose knob takes always and never (hugepages-<size>kB/shmem_enabled, 6.11 and later)");
		s->c.mthp_folios_known = 1;
		for (i = 0; i < (int)s->n_mthp; i++)
			if (thp_size_stat(s->mthp_orders[i], "shmem_alloc") < 0)
				s->c.mthp_folios_known = 0;
		s->fill = backing_map(&s->b, 0, thp_pmd_size());
		ASSERT_NE(NULL, s->fill);
	}
	if (variant->v.pageout) {
		/* mincore's HOLE is no evidence then: the oracle is told below */
		if (!system_has_swap())
			SKIP(return, "no swap (/proc/swaps): MADV_PAGEOUT has nowhere to put a page (swapon, or scripts/vmtest --swap MB)");
		s->pager = backing_map(&s->b, 0, thp_pmd_size());
		ASSERT_NE(NULL, s->pager);
	}
	s->data = calloc(s->hp, 1);
	s->l = ledger_create(LEDGER_CAP);
	ASSERT_NE(NULL, s->l);
	ASSERT_NE(NULL, s->data);
	s->agent = agent_ops(variant->v.agent);
	/* A round needs attempts from the collapser, or a schedule to watch. */
	ASSERT_TRUE(s->agent && (s->agent->attempt || s->agent->asynchronous));
	s->ac = (struct agent_ctx){ .l = s->l, .b = &s->b, .self = s->reg,
				    .hp = s->hp, .nranges = 1, .actor = ACT_COLLAPSER,
				    /* khugepaged: it scans when the collapser wakes it */
				    .scan_sleep_ms = KHUGEPAGED_SLEEP_MS };
	s->other = agent_other(&s->ac);
	ASSERT_NE(NULL, s->other);
	if (s->agent->prepare)
		ASSERT_EQ(0, s->agent->prepare(&s->ac));
	/* Before the deadline is set: its setup does not count against it. */
	s->deadline_ns = INT64_MAX;
	ASSERT_EQ(0, setup_widen(_metadata, s));
	s->deadline_ns = mono_ns() + (int64_t)(opt.duration * NSEC_PER_SEC) +
			 (GRACE_S + (variant->v.walk.collapses ? WALK_EXTRA_S : 0)) * NSEC_PER_SEC;
	s->stalled_slot = -1;
	inject = getenv("UFFDC_INJECT");
	if (inject) {
		/* Test-only: make the test fail on purpose, to see that it does. */
		s->inject_handler_exit = !strcmp(inject, "handler-exit");
		s->inject_stall = !strcmp(inject, "actor-stall");
		s->inject_fault_loop = !strcmp(inject, "fault-loop");
		s->inject_spurious = !strcmp(inject, "spurious-fault");
		s->inject_handler_stall = !strcmp(inject, "handler-stall");
		s->inject_registrar_crash = !strcmp(inject, "registrar-crash");
		ASSERT_TRUE(s->inject_handler_exit || s->inject_stall || s->inject_fault_loop ||
			    s->inject_spurious || s->inject_handler_stall ||
			    s->inject_registrar_crash)
			TH_LOG("UFFDC_INJECT=%s: not one of %s", inject, INJECTIONS);
		/* A hook with nothing to act on: nothing is tested. */
		if (variant->v.walk.collapses && !s->inject_stall)
			SKIP(return, "UFFDC_INJECT=%s: nothing registers in a walk race", inject);
		if (s->inject_registrar_crash && !variant->v.registrar_process)
			SKIP(return, "UFFDC_INJECT=%s: no registrar process", inject);
		TH_LOG("UFFDC_INJECT=%s: this test is meant to fail", inject);
	}
	ASSERT_EQ(0, bbarrier_init(&s->start, "start", 4 + opt.threads));
	ASSERT_EQ(0, bbarrier_init(&s->end, "end", 4 + opt.threads));
	s->barriers = true;
	ASSERT_EQ(0, pthread_create(&s->watchdog_thread, NULL, stress_watchdog, s));
	s->watchdog_running = true;
	ASSERT_EQ(0, start_actor(s, SLOT_COLLAPSER, 0));
	ASSERT_EQ(0, start_actor(s, SLOT_REGISTRAR, 1));
	ASSERT_EQ(0, start_actor(s, SLOT_WRITER, 2));
	for (i = 0; i < opt.threads; i++)
		ASSERT_EQ(0, start_actor(s, SLOT_PROBER, i));
}

FIXTURE_TEARDOWN(stress)
{
	struct stress *s = &self->s;
	/* A stuck actor, already named, is given a second, not five. */
	int stalled = __atomic_load_n(&s->stalled_slot, __ATOMIC_RELAXED);
	struct timespec ts = ns_to_timespec(mono_ns() + 5 * NSEC_PER_SEC);
	struct timespec brief = ns_to_timespec(mono_ns() + NSEC_PER_SEC);
	int i, stuck = 0;

	/* Broken barriers release the actors, wherever they wait. */
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	if (s->barriers) {
		bbarrier_break(&s->start);
		bbarrier_break(&s->end);
	}
	for (i = 0; i < s->nactors; i++) {
		if (!pthread_clockjoin_np(s->actors[i].thread, NULL, CLOCK_MONOTONIC,
					  s->actors[i].slot == stalled ? &brief : &ts))
			continue;
		TH_LOG("%s did not stop within 5 s, in: %s", s->actors[i].name,
		       stage_of(s, s->actors[i].slot));
		stuck++;
	}
	if (s->watchdog_running) {
		__atomic_store_n(&s->watchdog_stop, 1, __ATOMIC_RELEASE);
		pthread_join(s->watchdog_thread, NULL);
	}
	/* Its threads stop within a second each; its mappings go. */
	widen_destroy(s->widen);
	s->widen = NULL;
	if (self->thp_pushed)
		EXPECT_EQ(0, thp_pop_settings());
	/* A stuck actor may still use what follows: the process exits now. */
	if (stuck)
		return;
	if (s->barriers) {
		bbarrier_destroy(&s->start);
		bbarrier_destroy(&s->end);
	}
	ledger_destroy(s->l);
	munmap(s->sh, sizeof(*s->sh));
	free(s->data);
	agent_ctx_reset(&s->ac);
	if (s->pager)
		backing_unmap(&s->b, s->pager, s->hp * s->ps);
	backing_unmap(&s->b, s->reg, s->hp * s->ps);
	backing_unmap(&s->b, s->fill, s->hp * s->ps);
	backing_close(&s->b);
}

/* The knobs' levels now (a hunt's step too) and the faulters' reads. */
static void log_widen(struct __test_metadata *_metadata, struct stress *s, const char *when,
		      long start)
{
	uint64_t reads;
	char lv[160], step[40] = "", fr[48] = "";

	if (!s->widen)
		return;
	widen_format(&s->widen->on, lv, sizeof(lv));
	if (s->widen->hunt)
		snprintf(step, sizeof(step), " step %d of %d:", s->widen->step + 1,
			 WIDEN_HUNT_STEPS);
	reads = __atomic_load_n(&s->widen->fault_reads, __ATOMIC_RELAXED);
	if (reads)
		snprintf(fr, sizeof(fr), "; faulter reads=%llu", (unsigned long long)reads);
	TH_LOG("%s: %s after %.3f s:%s %s%s", s->widen->hunt ? "hunt" : "widen", when,
	       (mono_ns() - start) / 1e9, step, lv, fr);
}

/*
 * A walk race goes on past the duration while fewer than min_stored
 * collapses were stored, up to WALK_EXTRA_S.
 */
static bool walk_goes_on(struct stress *s, long end)
{
	return s->v->walk.collapses && mono_ns() < end + WALK_EXTRA_S * NSEC_PER_SEC &&
	       counter_get(&s->c.ranges_filled) < s->v->walk.min_stored;
}

/*
 * The harness's timeout, HARNESS_MARGIN_S + 2 x --duration (+ what a
 * walk race may add): main() sizes
 * it (size_harness_timeout()) before the run; this is the default's.
 */
TEST_F_TIMEOUT(stress, race, HARNESS_MARGIN_S + 2 + WALK_EXTRA_S)
{
	struct stress *s = &self->s;
	struct oracle_opts oo = { .page_size = s->ps, .block_pages = s->hp,
				  .mincore_hole_is_evidence = !system_has_swap() };
	struct verdict vd = { 0 };
	struct counters c;
	struct rng rng;
	long start = mono_ns(), last_progress = start;
	long end = start + (long)(opt.duration * 1e9);
	const struct walk_plan *w = &variant->v.walk;
	bool strict = suite_strict();
	long allocs0 = thp_vmstat("thp_collapse_alloc");
	long scans0 = khugepaged_counter("full_scans");
	unsigned int gap_reported = 0;
	uint64_t kept = 0, gaps = 0;
	char gap_line[256] = "";
	int i;

	TH_LOG("seed=%llu backing=%s agent=%s writer=%s pageout=%s data=%d-%d%% probers=%d duration=%.1fs rounds<=%ld",
	       (unsigned long long)opt.seed, backing_name(variant->v.backing),
	       agent_name(variant->v.agent), variant->v.writer ? "yes" : "no",
	       variant->v.pageout ? "yes" : "no",
	       variant->v.data_pct_min, variant->v.data_pct_max, opt.threads,
	       opt.duration, opt.rounds);
	/* UFFDC_INJECT=handler-exit tests the handler: a walk race has none. */
	if (w->collapses && s->inject_handler_exit)
		SKIP(return, "walk race: nothing registers, no fault handler to kill (UFFDC_INJECT=handler-exit)");
	if (w->collapses)
		TH_LOG("walk race: pages %u-%u punched after each of %u collapses per round, the rest data; walks only; until %u collapses stored (at most %d s past the duration)",
		       w->punch_first, w->punch_first + w->punch_count - 1, w->collapses,
		       w->min_stored, WALK_EXTRA_S);
	rng_seed(&rng, opt.seed);
	for (__atomic_store_n(&s->round, 0, __ATOMIC_RELAXED);
	     s->round < (uint64_t)opt.rounds && (mono_ns() < end || walk_goes_on(s, end));
	     __atomic_store_n(&s->round, s->round + 1, __ATOMIC_RELAXED)) {
		at(s, SLOT_MAIN, "punch and refill");
		widen_step(_metadata, s, start);
		/* A walk race's layout is written once: its fills stay evidence. */
		if (w->collapses && s->round)
			ledger_truncate(s->l, kept);
		else
			ledger_reset(s->l);
		ASSERT_EQ(0, reset_range(s, &rng));
		if (w->collapses && !s->round)
			kept = ledger_count(s->l);
		plan_round(s, &rng);
		memset(&s->sh->last, 0, sizeof(s->sh->last));
		s->sh->touch_page = 0;
		s->sh->collapse_first = 0;
		s->sh->touching = 0;
		s->collapse_done = 0;
		s->registrar_done = 0;
		if (!variant->v.writer)
			s->delay_write_ns = 0;
		if (s->widen)
			widen_round_begin(s->widen);
		if (stress_wait(s, &s->start, SLOT_MAIN) || stress_wait(s, &s->end, SLOT_MAIN)) {
			if (!failed(s))
				stress_fail(s, "round %llu: a barrier broke", (unsigned long long)s->round);
			break;
		}
		/* No faulter reads a page once this returns: the punch may come. */
		if (s->widen && widen_round_end(s->widen)) {
			stress_fail(s, "round %llu: a widening faulter did not stop within 1 s",
				    (unsigned long long)s->round);
			break;
		}
		if (s->sh->setup_err || failed(s))
			break;
		counter_add(&s->c.rounds, 1);
		count_round(s);
		at(s, SLOT_MAIN, "read back and judge");
		read_range(s->l, &s->b, 0, s->hp, ACT_MAIN);

		oracle_judge(s->l, &oo, &vd);
		for (i = 0; i < V_NR; i++)
			counter_add(&s->c.violations[i], vd.count[i]);
		/* Known gaps, fenced: counted, reported once, not a failure. */
		if (verdict_known_gaps_only(&vd) && !strict) {
			if (!gap_reported++) {
				TH_LOG("seed=%llu round=%llu: known gap (ignored; UFFDC_STRICT=1 fails):",
				       (unsigned long long)opt.seed, (unsigned long long)s->round);
				oracle_report(stderr, s->l, &oo, &vd);
			}
			vd.total = 0;
		}
		if (vd.total || vd.unjudgeable) {
			TH_LOG("seed=%llu round=%llu: %u violation(s) after %.3f s%s%s",
			       (unsigned long long)opt.seed, (unsigned long long)s->round,
			       vd.total, (mono_ns() - start) / 1e9,
			       vd.unjudgeable ? ", cannot judge: " : "",
			       vd.unjudgeable ? vd.reason : "");
			oracle_report(stderr, s->l, &oo, &vd);
			log_widen(_metadata, s, "at the violation", start);
			break;
		}
		if (opt.duration > 3 && mono_ns() - last_progress > 1000000000L) {
			last_progress = mono_ns();
			fprintf(stderr, "# progress: %s round %llu, %.0f s left, %llu collapses ok, no violation\n",
				variant->v.name, (unsigned long long)s->round,
				(end - last_progress) / 1e9,
				(unsigned long long)counter_get(&s->c.collapse_res[ERRS_OK]));
		}
	}
	at(s, SLOT_MAIN, "verdict");
	if (allocs0 >= 0 && thp_vmstat("thp_collapse_alloc") >= allocs0) {
		counter_add(&s->c.collapse_allocs, thp_vmstat("thp_collapse_alloc") - allocs0);
		counter_add(&s->c.collapse_allocs_known, 1);
	}
	if (scans0 >= 0 && khugepaged_counter("full_scans") >= scans0)
		counter_add(&s->c.khugepaged_scans, khugepaged_counter("full_scans") - scans0);
	/* The fault handler's own verdicts (a registrar process's too). */
	for (i = 0; i < V_NR; i++)
		counter_add(&s->c.violations[i], __atomic_load_n(&s->sh->online[i], __ATOMIC_RELAXED));
	counters_snapshot(&s->c, &c);
	print_counters(_metadata, &c, (mono_ns() - start) / 1e9);
	if (variant->v.mthp)
		print_mthp(_metadata, s, &c);
	if (!vd.total)
		log_widen(_metadata, s, "at the end", start);
	write_json(opt.json, variant->v.name, opt.seed, &c,
		   vd.total || vd.unjudgeable || failed(s));
	ASSERT_FALSE(failed(s))
		TH_LOG("FAIL: %s", stress_fail_why(s));
	if (s->sh->setup_err)
		SKIP(return, "%s", s->sh->why);
	ASSERT_FALSE(vd.unjudgeable);
	ASSERT_EQ(0, vd.total);
	/* Known gaps were seen and ignored: an expected failure, named. */
	for (i = 0; i < V_NR; i++) {
		if (!violation_known_gap(i) || !c.violations[i])
			continue;
		gaps += c.violations[i];
		snprintf(gap_line + strlen(gap_line), sizeof(gap_line) - strlen(gap_line),
			 "%s%s=%llu (%s)", gap_line[0] ? ", " : "", violation_name(i),
			 (unsigned long long)c.violations[i], violation_known_gap(i));
	}
	if (gaps)
		XFAIL(return, "known gap: %s; UFFDC_STRICT=1 fails", gap_line);
	/* No vacuous pass: the races must have been run for real. */
	if (w->collapses && !c.ranges_filled)
		SKIP(return, "walk race: no collapse was stored in %llu attempts: nothing raced",
		     (unsigned long long)c.collapse_tries);
	if (w->collapses && !c.walks)
		SKIP(return, "walk race: no walk ran");
	if (w->collapses)
		return;
	if (variant->v.mthp && c.mthp_folios_known && !c.mthp_folios)
		SKIP(return, "no shmem mTHP folio was allocated by %llu data blocks' fills: the kernel's fault path does not allocate at these sizes",
		     (unsigned long long)c.mthp_blocks);
	if (!c.collapse_res[ERRS_OK] && !c.ranges_filled)
		SKIP(return, "no collapse succeeded in %llu rounds: nothing raced",
		     (unsigned long long)c.rounds);
	if (!c.holes_seen_registered)
		SKIP(return, "no hole was seen after registration in %llu rounds",
		     (unsigned long long)c.rounds);
}

/*
 * The harness arms alarm(timeout) in its own process around each test,
 * from the test's metadata; TEST_F_TIMEOUT only takes a constant, so the
 * timeout is sized here from --duration, before the run.
 */
static void size_harness_timeout(void)
{
	struct __test_metadata *t;

	/* 6.10's harness keeps a pointer to the metadata, older ones the struct. */
	t = __builtin_choose_expr(__builtin_types_compatible_p(typeof(_stress_race_object),
							       struct __test_metadata *),
				  *(struct __test_metadata **)&_stress_race_object,
				  (struct __test_metadata *)&_stress_race_object);
	t->timeout = HARNESS_MARGIN_S + 2 * (int)(opt.duration + 0.999) + WALK_EXTRA_S;
}

FIXTURE_VARIANT_ADD(stress, memfd_madv) {
	.v = {
		.name = "memfd_madv",
		.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
		.data_pct_min = 5, .data_pct_max = 95,
	},
};

/* Collapses of ranges made of shmem mTHP folios (stress_variant.mthp). */
FIXTURE_VARIANT_ADD(stress, memfd_madv_mthp) {
	.v = {
		.name = "memfd_madv_mthp",
		.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
		.data_pct_min = 5, .data_pct_max = 95, .mthp = true,
	},
};

FIXTURE_VARIANT_ADD(stress, memfd_madv_writer) {
	.v = {
		.name = "memfd_madv_writer",
		.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .writer = true,
		.data_pct_min = 50, .data_pct_max = 99,
	},
};

FIXTURE_VARIANT_ADD(stress, tmpfs_advise_madv) {
	.v = {
		.name = "tmpfs_advise_madv",
		.backing = BK_TMPFS, .huge = "advise", .agent = AGENT_MADV_OTHER,
		.writer = true, .data_pct_min = 5, .data_pct_max = 95,
	},
};

FIXTURE_VARIANT_ADD(stress, memfd_madv_registrar_process) {
	.v = {
		.name = "memfd_madv_registrar_process",
		.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .registrar_process = true,
		.data_pct_min = 5, .data_pct_max = 95,
	},
};

FIXTURE_VARIANT_ADD(stress, memfd_khugepaged) {
	.v = {
		.name = "memfd_khugepaged",
		.backing = BK_MEMFD, .agent = AGENT_KHUGEPAGED,
		.data_pct_min = 5, .data_pct_max = 95,
	},
};

/*
 * Swap (struct stress_variant's pageout): data pages pushed out while the
 * collapse runs (collapse_file() swaps them in) and before the
 * registrar's touches (a swap-in through the registration, no MISSING
 * fault); khugepaged takes a range with up to max_ptes_swap of them.
 */
FIXTURE_VARIANT_ADD(stress, memfd_madv_pageout) {
	.v = {
		.name = "memfd_madv_pageout",
		.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .pageout = true,
		.data_pct_min = 30, .data_pct_max = 95,
	},
};

FIXTURE_VARIANT_ADD(stress, memfd_khugepaged_pageout) {
	.v = {
		.name = "memfd_khugepaged_pageout",
		.backing = BK_MEMFD, .agent = AGENT_KHUGEPAGED, .pageout = true,
		.data_pct_min = 30, .data_pct_max = 95,
	},
};

FIXTURE_VARIANT_ADD(stress, shm_anon_madv) {
	.v = {
		.name = "shm_anon_madv",
		.backing = BK_SHM_ANON, .agent = AGENT_MADV_OTHER, .writer = true,
		.data_pct_min = 80, .data_pct_max = 99,
	},
};

/*
 * Walk races (struct walk_plan): data that a collapse must keep, walked as
 * sparse-aware copiers walk it; data first, then the punched half (SEEK_HOLE
 * answers inside the data), and the other way round (SEEK_DATA crosses the
 * hole into the data).
 */
FIXTURE_VARIANT_ADD(stress, memfd_walk_data_hole) {
	.v = {
		.name = "memfd_walk_data_hole",
		.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
		.walk = { .punch_first = 256, .punch_count = 256, .collapses = 8,
			  .min_stored = 2000 },
	},
};

FIXTURE_VARIANT_ADD(stress, memfd_walk_hole_data) {
	.v = {
		.name = "memfd_walk_hole_data",
		.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
		.walk = { .punch_first = 0, .punch_count = 256, .collapses = 8,
			  .min_stored = 2000 },
	},
};

/*
 * The benchmark's yardstick: MADV_COLLAPSE in a bare loop on the same kind
 * of range the collapser works on (holes, a MISSING registration on another
 * mapping), refilled whenever a collapse succeeds, so every attempt does
 * the same kernel work as the collapser's.
 */
static int bare_collapse_loop(double secs)
{
	struct ledger *l = ledger_create(1 << 16);
	uint64_t res[ERRS_NR] = { 0 }, tries = 0, refills = 0;
	size_t ps = getpagesize(), pmd = thp_pmd_size();
	long start, end;
	struct backing b;
	char why[128];
	char *other, *reg;
	uint32_t p;
	int uffd, err, i;

	if (!l || !pmd || backing_open(&b, BK_MEMFD, NULL, pmd, why, sizeof(why))) {
		fprintf(stderr, "bare loop: cannot set up: %s\n", pmd ? why : "no THP");
		return 4;
	}
	thp_write("shmem_enabled", "advise");
	other = backing_map(&b, 0, pmd);
	reg = backing_map(&b, 0, pmd);
	uffd = uffd_open(UFFD_VIA_SYSCALL, UFFD_FEATURE_MISSING_SHMEM, NULL);
	if (!other || !reg || uffd < 0 ||
	    uffd_register_missing(uffd, reg, pmd, 0, 1, l, 1)) {
		fprintf(stderr, "bare loop: cannot map or register\n");
		return 4;
	}
	start = mono_ns();
	end = start + (long)(secs * 1e9);
	while (mono_ns() < end) {
		if (range_has_no_hole(b.fd, 0, pmd) || !tries) {
			ledger_reset(l);
			punch_range(l, &b, 0, pmd / ps, 1);
			for (p = 0; p < pmd / ps; p += 2)
				backing_fill(&b, p, 1, l, 1);
			refills++;
		}
		ledger_reset(l);
		err = collapse_range(l, other, pmd, 0, AGENT_MADV_OTHER, 1);
		res[errs_bucket(err)]++;
		tries++;
	}
	secs = (mono_ns() - start) / 1e9;
	printf("# bare MADV_COLLAPSE loop: attempts=%llu in %.2fs: %.0f/s (refills %llu;",
	       (unsigned long long)tries, secs, tries / secs, (unsigned long long)refills);
	for (i = 0; i < ERRS_NR; i++)
		printf(" %s=%llu", errs_names[i], (unsigned long long)res[i]);
	printf(")\n");
	close(uffd);
	backing_close(&b);
	ledger_destroy(l);
	return 0;
}

static void usage(FILE *f, const char *prog)
{
	char knobs[1024], hunt[160];
	struct widen_levels lv = { 0 };
	size_t n = 0;
	int i;

	for (i = 0; i < WK_NR; i++)
		n += snprintf(knobs + n, sizeof(knobs) - n,
			      "                   %-9s %s (default %u, at most %u)\n",
			      widen_knobs[i].name, widen_knobs[i].unit, widen_knobs[i].dflt,
			      widen_knobs[i].max);
	widen_hunt_default(&lv);
	widen_format(&lv, hunt, sizeof(hunt));
	fprintf(f,
		"usage: %s [options] [-- harness options]\n"
		"Race MADV_COLLAPSE against UFFDIO_REGISTER, probes and writes on shmem;\n"
		"judge every round against the userfaultfd MISSING contract.\n\n"
		"  --seed N       seed for every random choice (default: from the clock;\n"
		"                 also $UFFDC_SEED); printed, so a run can be replayed\n"
		"  --duration S   seconds per test (default %.1f)\n"
		"  --rounds N     at most N rounds per test (default %ld)\n"
		"  --threads N    prober threads, 1-%d (default %d)\n"
		"  --json FILE    append one JSON summary line per test to FILE\n"
		"  --widen KNOB[=LEVEL],...  widen the race's window (off by default;\n"
		"                 'all': every knob at its default level):\n"
		"%s"
		"  --hunt         raise the knobs over --duration in %d steps (the first with\n"
		"                 none), printing each step; stop at the first violation and\n"
		"                 report the time and levels then.  The knobs are --widen's,\n"
		"                 or without it: %s\n"
		"  --bare-collapse  no tests: time a bare MADV_COLLAPSE loop for --duration\n"
		"                 (the benchmark's yardstick for the collapser's rate)\n"
		"  -h, --help     this text\n\n"
		"Harness options after --, e.g. -- -v memfd_madv (run one variant), -- -l (list).\n"
		"Exit: 0 pass, 1 violation or error, 4 skip.\n",
		prog, opt.duration, opt.rounds, MAX_PROBERS, opt.threads, knobs,
		WIDEN_HUNT_STEPS, hunt);
}

/* A usage error: one line on stderr, exit status 2. */
static int usage_error(const char *what, const char *arg, const char *must)
{
	fprintf(stderr, "uffd_collapse_stress: %s: '%.60s' %s\n", what, arg, must);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "bare-collapse", no_argument, NULL, 'b' },
		{ "widen", required_argument, NULL, 'w' },
		{ "hunt", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool bare = false;
	char must[100];
	uint64_t v;
	int c, ret;
	FILE *f;

	if (suite_env_check()) {
		fprintf(stderr, "uffd_collapse_stress: %s\n", suite_env_check());
		return 2;
	}
	opt.seed = rng_run_seed();
	opterr = 0;	/* getopt's own messages are not one line with ours */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_seed(optarg, &opt.seed))
				return usage_error("--seed", optarg,
						   "is not a seed (decimal or 0x hex, below 2^64)");
			break;
		case 'd':
			if (parse_double(optarg, 0.01, 86400, &opt.duration))
				return usage_error("--duration", optarg,
						   "is not a number of seconds from 0.01 to 86400");
			break;
		case 'r':
			if (parse_u64(optarg, 1, 1000000000000ULL, &v))
				return usage_error("--rounds", optarg,
						   "is not a whole number from 1 to 1000000000000");
			opt.rounds = v;
			break;
		case 't':
			if (parse_u64(optarg, 1, MAX_PROBERS, &v)) {
				snprintf(must, sizeof(must), "is not a whole number from 1 to %d",
					 MAX_PROBERS);
				return usage_error("--threads", optarg, must);
			}
			opt.threads = v;
			break;
		case 'j':
			opt.json = optarg;
			break;
		case 'b':
			bare = true;
			break;
		case 'w':
			if (widen_parse(optarg, &opt.widen, must, sizeof(must)))
				return usage_error("--widen", optarg, must);
			break;
		case 'H':
			opt.hunt = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			/* a short option's letter, or the long option's word */
			if (optopt && strncmp(argv[optind - 1], "--", 2)) {
				snprintf(must, sizeof(must), "-%c", optopt);
				return usage_error("option", must, "is unknown (see --help)");
			}
			return usage_error("option", argv[optind - 1],
					   "is unknown, or its value is missing or not taken (see --help)");
		}
	}
	if (opt.hunt && !widen_any(&opt.widen))
		widen_hunt_default(&opt.widen);
	/* Opened now, so that a bad path fails before the run. */
	if (opt.json) {
		f = fopen(opt.json, "a");
		if (!f) {
			snprintf(must, sizeof(must), "cannot be opened for appending: %s",
				 strerror(errno));
			return usage_error("--json", opt.json, must);
		}
		fclose(f);
	}
	/* What is left after "--" goes to the harness. */
	argv[optind - 1] = argv[0];
	argc -= optind - 1;
	argv += optind - 1;
	optind = 0;	/* the harness parses its own options with getopt too */
	opterr = 1;
	ret = suite_prepare("uffd_collapse_stress");
	if (ret)
		return ret;
	if (bare)
		return bare_collapse_loop(opt.duration);
	thp_base_err = thp_read_settings(&thp_base);
	if (!thp_base_err)
		thp_base_err = thp_push_settings(&thp_base);
	size_harness_timeout();
	return test_harness_run(argc, argv);
}
