// SPDX-License-Identifier: GPL-2.0
/*
 * The race stress's actors: the threads of a round (stress.h).
 *
 * collapser: MADV_COLLAPSE on an unregistered mapping, again and again
 * while the registrar works, or, for khugepaged, watching whether the
 * range gets filled; registrar: a fresh userfaultfd, UFFDIO_REGISTER,
 * probe, wait for the collapse, probe, touch, UFFDIO_UNREGISTER, from a
 * thread or from a child process; probers: tight SEEK_DATA/SEEK_HOLE/
 * mincore loops; writer: pwrite of new generations into holes, and in a
 * pageout variant MADV_PAGEOUT of data pages to swap.  Each one
 * records what it did in the ledger, waits at 'start' and at 'end' around
 * each round, and stops when a barrier breaks or the run stops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actors.h"
#include "ledger.h"
#include "oracle.h"
#include "probe.h"
#include "rng.h"
#include "shmem_backing.h"
#include "stress.h"
#include "uffd_util.h"

#define PROBES_PER_ROUND 4096	/* per prober: bounds the ledger */
#define WALKS_PER_ROUND	32768	/* the same in a walk race, whose rounds are long */
#define REG_MAP		1
#define MAX_COLLAPSES_PER_ROUND 1024
#define GEN_STORE_BASE	2000000
#define PAGER_MAP	2
#define PAGEOUTS_PER_ROUND 32	/* at most, each over at most PAGEOUT_PAGES */
#define PAGEOUT_PAGES	64

/* Busy-wait: a sleep would hand the CPU away and lose the window. */
static void spin_ns(long ns)
{
	long end = mono_ns() + ns;

	while (mono_ns() < end)
		;
}

/* CPUs past the first 'skip' ones, at least 1. */
static int max_cpu(int skip)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	return ncpu > skip + 1 ? ncpu - skip : 1;
}

/*
 * khugepaged runs at nice 19 (MAX_NICE): beside actors that spin at nice 0
 * it gets a few percent of a CPU, and a scan that takes a millisecond of
 * CPU takes a second.  With an asynchronous agent every actor runs at its
 * nice (a thread's own; the handler thread it starts inherits it), so
 * that the kernel's collapser gets its share.
 */
#define KHUGEPAGED_NICE	19

static void pin(struct stress *s, int index)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (s->agent->asynchronous)
		setpriority(PRIO_PROCESS, syscall(SYS_gettid), KHUGEPAGED_NICE);
	if (ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(index % ncpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * An asynchronous agent without attempt() collapses on its own schedule,
 * set up by its prepare(): this actor only records, while the registrar
 * works, whether the range got filled before our own touches could fill
 * it.  (khugepaged has an attempt(): a wakeup and the scan that follows.)
 */
static void watch_round(struct stress *s)
{
	struct ev e = { .kind = EV_COLLAPSE, .aux = s->v->agent,
			.npages = s->hp, .actor = ACT_COLLAPSER };
	bool filled = false;

	at(s, SLOT_COLLAPSER, "watching the asynchronous collapse agent");
	e.t0 = ledger_stamp(s->l);
	__atomic_store_n(&s->sh->collapse_first, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->sh->touching, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST) &&
	       !stress_overdue(s,
			       "the collapser (watching the agent until the registrar touches)")) {
		filled |= backing_filled(&s->b, 0, s->hp);
		progress(s, SLOT_COLLAPSER);
	}
	e.t1 = ledger_stamp(s->l);
	/* ledger.h: the pages found collapsed. */
	e.value = filled ? s->hp : 0;
	ledger_add(s->l, &e);
	counter_add(&s->c.collapse_tries, 1);
	counter_add(&s->c.ranges_filled, filled);
	__atomic_store_n(&s->collapse_done, 1, __ATOMIC_SEQ_CST);
}

/*
 * The walk race's round (struct walk_plan): collapse, then punch the same
 * pages again, so that every collapse joins the small folios that the
 * punch split off the previous huge one.
 */
static void walk_round(struct stress *s)
{
	const struct walk_plan *w = &s->v->walk;
	uint32_t i;
	int err;

	at(s, SLOT_COLLAPSER, "collapse and punch (walk race)");
	for (i = 0; i < w->collapses && !stress_overdue(s, "the collapser (walk race)"); i++) {
		err = s->agent->attempt(&s->ac, 0);
		progress(s, SLOT_COLLAPSER);
		counter_add(&s->c.collapse_tries, 1);
		counter_add(&s->c.collapse_res[errs_bucket(err < 0 ? -err : err)], 1);
		/* Judged by the file: 6.1 can collapse and say EINVAL. */
		counter_add(&s->c.ranges_filled, backing_filled(&s->b, 0, s->hp));
		err = punch_range(s->l, &s->b, w->punch_first, w->punch_count, ACT_COLLAPSER);
		if (err) {
			stress_fail(s, "round %llu: punch of pages %u-%u: %s",
				    (unsigned long long)s->round, w->punch_first,
				    w->punch_first + w->punch_count - 1, strerror(-err));
			break;
		}
	}
	__atomic_store_n(&s->collapse_done, 1, __ATOMIC_SEQ_CST);
}

/*
 * The registrar is touching and has not yet passed the round's last hole:
 * its faults and the handler's copies keep the pages it just filled off
 * the LRU (in per-CPU batches) and referenced, and a collapse attempt now
 * stops at the scan of the range, before the kernel's checks (EAGAIN):
 * 93% of the attempts of a 20 s run on 6.12 did (README, "Attempts that
 * count").  Once it has passed the last hole the range has none, and a
 * collapse (6.12 makes it, registered or not) races the touches of data
 * pages, the spurious-fault race: attempts go on then.
 */
static bool holes_being_touched(struct stress *s)
{
	return __atomic_load_n(&s->sh->touching, __ATOMIC_SEQ_CST) &&
	       s->last_hole >= 0 &&
	       __atomic_load_n(&s->sh->touch_page, __ATOMIC_RELAXED) <= (uint32_t)s->last_hole &&
	       !__atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST);
}

/*
 * The registrar has touched every page: what remains of its round (the
 * unregistration, a registrar process's exit and the unmapping of what it
 * touched) keeps pages referenced, and no attempt would race a touch.
 */
static bool touched_all(struct stress *s)
{
	return __atomic_load_n(&s->sh->touching, __ATOMIC_SEQ_CST) == TOUCHED_ALL;
}

static void wait_for_touched_holes(struct stress *s)
{
	at(s, SLOT_COLLAPSER, "waiting for the registrar to touch the last hole");
	while (holes_being_touched(s) &&
	       !stress_overdue(s, "the collapser (waiting for the touch of the last hole)"))
		progress(s, SLOT_COLLAPSER);
	at(s, SLOT_COLLAPSER, "collapse attempts");
}

static void *collapser(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;
	int err = 0, tries;

	pin(s, 0);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (s->v->walk.collapses) {
			walk_round(s);
			if (stress_wait(s, &s->end, a->slot))
				break;
			continue;
		}
		if (!s->agent->attempt) {
			watch_round(s);
			if (stress_wait(s, &s->end, a->slot))
				break;
			continue;
		}
		at(s, a->slot, "collapse attempts");
		spin_ns(s->delay_collapse_ns);
		/*
		 * Keep collapsing while the registrar works: a refused or
		 * rolled-back collapse leaves the holes, so every attempt
		 * redoes the scan, copy and rollback the race needs.
		 */
		for (tries = 0; tries < MAX_COLLAPSES_PER_ROUND; tries++) {
			if (tries && (err == 0 || touched_all(s) ||
				      __atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST)))
				break;
			if (holes_being_touched(s)) {
				wait_for_touched_holes(s);
				tries--;
				continue;
			}
			long t = mono_ns();

			__atomic_store_n(&s->attempt_ns, t, __ATOMIC_RELEASE);
			err = s->agent->attempt(&s->ac, 0);
			t = mono_ns() - t;
			__atomic_store_n(&s->attempt_ns, 0, __ATOMIC_RELEASE);
			if (err == EAGAIN)
				__atomic_store_n(&s->scan_ns_avg, s->scan_ns_avg +
						 (t - s->scan_ns_avg) / 8, __ATOMIC_RELAXED);
			progress(s, a->slot);
			/*
			 * Judged by the file (6.1 can collapse and still say
			 * EINVAL), while our own touches cannot have filled it.
			 */
			if (!__atomic_load_n(&s->sh->touching, __ATOMIC_SEQ_CST))
				counter_add(&s->c.ranges_filled, backing_filled(&s->b, 0, s->hp));
			/* (the first attempt sets it: a round makes few) */
			s->collapse_ns_avg += s->collapse_ns_avg ? (t - s->collapse_ns_avg) / 8 :
					      t;
			if (s->ac.filled_ns)
				s->filled_ns_avg += s->filled_ns_avg ?
					(s->ac.filled_ns - s->filled_ns_avg) / 8 : s->ac.filled_ns;
			counter_add(&s->c.collapse_tries, 1);
			counter_add(&s->c.collapse_res[errs_bucket(err < 0 ? -err : err)], 1);
			__atomic_store_n(&s->sh->collapse_first, 1, __ATOMIC_SEQ_CST);
		}
		__atomic_store_n(&s->collapse_done, 1, __ATOMIC_SEQ_CST);
		if (stress_wait(s, &s->end, a->slot))
			break;
	}
	return NULL;
}

/* What the fault handler judges each fault with (its on_event()). */
struct fault_judge {
	struct stress *s;
	struct oracle_live *lv;
	struct oracle_opts oo;
	uint32_t *per_page;	/* faults of each page this round */
	bool stalled;		/* UFFDC_INJECT=handler-stall: done once */
};

/*
 * The handler's on_event(), in its thread: note the fault for a stuck
 * report, then judge it by what the ledger already proves.  A spurious
 * fault fails the test now and is resolved; a fault loop fails it now and
 * the handler gives up, releasing the range so that the touch returns.
 */
static int judge_fault(struct uffd_handler *h, const struct ev *e, void *arg)
{
	struct fault_judge *fj = arg;
	struct stress *s = fj->s;
	struct last_fault *lf = &s->sh->last;
	struct online_verdict ov;
	enum violation_kind k;
	char line[900];

	if (e->kind != EV_FAULT) {
		__atomic_store_n(&lf->resolved, e->err ? -e->err : 1, __ATOMIC_RELAXED);
		return UFFD_FAULT_RESOLVE;
	}
	__atomic_store_n(&lf->page, e->page, __ATOMIC_RELAXED);
	__atomic_store_n(&lf->map, e->map, __ATOMIC_RELAXED);
	__atomic_store_n(&lf->tid, e->value, __ATOMIC_RELAXED);
	__atomic_store_n(&lf->read_ns, mono_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&lf->resolved, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lf->same_page, e->page < s->hp ? ++fj->per_page[e->page] : 0,
			 __ATOMIC_RELAXED);
	__atomic_fetch_add(&lf->faults, 1, __ATOMIC_RELEASE);
	if (s->inject_handler_stall && !fj->stalled) {
		/* Test hook: a fault nobody answers, until the test fails. */
		fj->stalled = true;
		while (!failed(s) && mono_ns() < s->deadline_ns)
			usleep(10000);
	}
	k = oracle_live_fault(fj->lv, e, &ov);
	if (k == V_NR)
		return UFFD_FAULT_RESOLVE;
	__atomic_fetch_add(&s->sh->online[k], 1, __ATOMIC_RELAXED);
	online_verdict_format(&ov, &fj->oo, line, sizeof(line));
	fprintf(stderr, "# online verdict of the fault handler, round %llu: %s\n",
		(unsigned long long)s->round, line);
	stress_fail(s, "round %llu: the fault handler's online verdict: %s",
		    (unsigned long long)s->round, line);
	return k == V_FAULT_LOOP ? UFFD_FAULT_GIVE_UP : UFFD_FAULT_RESOLVE;
}

/* Test hook (UFFDC_INJECT=registrar-crash): the registrar process dies. */
static void inject_crash(struct stress *s)
{
	struct rlimit none = { 0, 0 };

	if (!s->inject_registrar_crash || !s->v->registrar_process)
		return;
	setrlimit(RLIMIT_CORE, &none);
	raise(SIGSEGV);
}

static void registrar_round(struct actor *a)
{
	struct stress *s = a->s;
	struct uffd_handler h = { 0 };
	struct fault_judge fj = { .s = s, .oo = { .page_size = s->ps, .block_pages = s->hp } };
	struct probe_target t;
	bool late = false;
	char why[160];
	int uffd, ret;
	uint32_t p;

	at(s, SLOT_REGISTRAR, "UFFDIO_REGISTER");
	spin_ns(s->delay_register_ns);
	fj.lv = oracle_live_create(s->l, &fj.oo);
	fj.per_page = calloc(s->hp, sizeof(*fj.per_page));
	if (!fj.lv || !fj.per_page) {
		s->sh->setup_err = -ENOMEM;
		snprintf(s->sh->why, sizeof(s->sh->why), "online judge: %s", strerror(ENOMEM));
		goto out_free;
	}
	/* A fresh userfaultfd every round: registration state starts clean. */
	uffd = uffd_open(UFFD_VIA_SYSCALL, UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_THREAD_ID,
			 NULL);
	if (uffd < 0) {
		s->sh->setup_err = uffd;
		snprintf(s->sh->why, sizeof(s->sh->why), "userfaultfd: %s", strerror(-uffd));
		goto out_free;
	}
	ret = uffd_register_missing(uffd, s->reg, s->hp * s->ps, 0, REG_MAP, s->l,
				    ACT_REGISTRAR);
	if (ret) {
		s->sh->setup_err = ret;
		snprintf(s->sh->why, sizeof(s->sh->why), "UFFDIO_REGISTER: %s", strerror(-ret));
		close(uffd);
		goto out_free;
	}
	inject_crash(s);
	h = (struct uffd_handler){ .uffd = uffd, .l = s->l, .resolve = RESOLVE_COPY,
				   .resolve_gen = 1000 + (int32_t)(s->round % 1000000),
				   .page_size = s->ps, .actor = ACT_HANDLER,
				   .on_event = judge_fault, .on_event_arg = &fj,
				   .inject_exit_at_fault = s->inject_handler_exit,
				   .inject_fault_loop = s->inject_fault_loop };
	uffd_handler_add_region(&h, s->reg, s->hp * s->ps, 0, REG_MAP);
	ret = uffd_handler_start(&h);
	if (ret) {
		s->sh->setup_err = ret;
		snprintf(s->sh->why, sizeof(s->sh->why), "handler thread: %s", strerror(-ret));
		close(uffd);
		goto out_free;
	}
	/* Test hook: page 0, always data, vanishes with no record of ours. */
	if (s->inject_spurious)
		madvise(s->reg, s->ps, MADV_REMOVE);
	/* What userspace sees right after registering: the evidence. */
	at(s, SLOT_REGISTRAR, "probe after UFFDIO_REGISTER");
	probe_open(&t, s->b.fd, s->reg, 0, REG_MAP);
	probe_range(&t, 1u << PM_SEEK_DATA, 0, s->hp, s->l, ACT_REGISTRAR);
	at(s, SLOT_REGISTRAR, "waiting for the first collapse attempt");
	while (!__atomic_load_n(&s->sh->collapse_first, __ATOMIC_SEQ_CST) && !late) {
		late = stress_overdue(s, "the registrar (waiting for the first collapse attempt)");
		progress(s, SLOT_REGISTRAR);
	}
	/* (A collapser that is done makes no more work to wait for.) */
	if (!late && s->agent->settle && !__atomic_load_n(&s->collapse_done, __ATOMIC_SEQ_CST))
		s->agent->settle(&s->ac);
	if (!late)
		probe_range(&t, 1u << PM_SEEK_HOLE, 0, s->hp, s->l, ACT_REGISTRAR);
	probe_close(&t);
	__atomic_store_n(&s->sh->touching, 1, __ATOMIC_SEQ_CST);
	/* Loads one round, stores the next: both must fault on a hole. */
	at(s, SLOT_REGISTRAR, "touch of the registered range");
	for (p = 0; !late && !failed(s) && p < s->hp; p++) {
		__atomic_store_n(&s->sh->touch_page, p, __ATOMIC_RELAXED);
		touch_range(s->l, s->reg + (size_t)p * s->ps, p, 1, REG_MAP, ACT_REGISTRAR,
			    s->round & 1 ? TOUCH_STORE : TOUCH_LOAD,
			    GEN_STORE_BASE + (int32_t)(s->round % 100000));
		progress(s, SLOT_REGISTRAR);
	}
	__atomic_store_n(&s->sh->touching, TOUCHED_ALL, __ATOMIC_SEQ_CST);
	at(s, SLOT_REGISTRAR, "stopping the fault handler, UFFDIO_UNREGISTER");
	uffd_handler_stop(&h);
	/* A dead handler unregistered the range: the touches came back. */
	if (uffd_handler_died(&h)) {
		uffd_handler_why(&h, why, sizeof(why));
		stress_fail(s, "round %llu: %s; it unregistered the range so the touches could return",
			    (unsigned long long)s->round, why);
	}
	uffd_unregister(uffd, s->reg, s->hp * s->ps, 0, REG_MAP, s->l, ACT_REGISTRAR);
	close(uffd);
out_free:
	oracle_live_destroy(fj.lv);
	free(fj.per_page);
}

/*
 * The registration from another process, as a VMM's would be: the kernel
 * must find it through the file's i_mmap, not in the collapser's mm.  A
 * process that dies of a signal, or exits with a status, fails the test:
 * only its setup failures, which it reports itself, are a SKIP.
 */
static void registrar_in_child(struct actor *a)
{
	struct stress *s = a->s;
	int status = 0, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		s->sh->setup_err = -errno;
		snprintf(s->sh->why, sizeof(s->sh->why), "fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		registrar_round(a);
		_exit(0);
	}
	ret = wait_child_until(pid, &status, s->deadline_ns);
	if (ret == -ETIMEDOUT)
		stress_fail(s, "round %llu: the registrar process (pid %d) was still running at the deadline (--duration %.1f s + %d s), in: %s; killed",
			    (unsigned long long)s->round, pid, s->opt->duration, GRACE_S,
			    stage_of(s, SLOT_REGISTRAR));
	else if (ret)
		stress_fail(s, "round %llu: waiting for the registrar process (pid %d): %s",
			    (unsigned long long)s->round, pid, strerror(-ret));
	else if (WIFSIGNALED(status))
		stress_fail(s, "round %llu: the registrar process (pid %d) was killed by signal %d (%s)%s, in: %s",
			    (unsigned long long)s->round, pid, WTERMSIG(status),
			    strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "",
			    stage_of(s, SLOT_REGISTRAR));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		stress_fail(s, "round %llu: the registrar process (pid %d) exited with status %d, in: %s",
			    (unsigned long long)s->round, pid, WEXITSTATUS(status),
			    stage_of(s, SLOT_REGISTRAR));
}

static void *registrar(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;

	pin(s, 1);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		/* A registration would keep the walk race's collapses away. */
		if (s->v->walk.collapses)
			at(s, a->slot, "nothing to register (walk race)");
		else if (s->v->registrar_process)
			registrar_in_child(a);
		else
			registrar_round(a);
		__atomic_store_n(&s->registrar_done, 1, __ATOMIC_SEQ_CST);
		if (stress_wait(s, &s->end, a->slot))
			break;
	}
	return NULL;
}

/*
 * Where a walk starts, as users start theirs: a page populated this round
 * (want_data: SEEK_HOLE from inside a data run), or a page not populated
 * with populated pages after it (SEEK_DATA from a hole before data); 0
 * when there is none.
 */
static uint32_t walk_from(struct stress *s, struct rng *rng, bool want_data)
{
	uint32_t p = rng_below(rng, s->hp), i, q, last = 0;

	for (q = 0; q < s->hp; q++)
		if (s->data[q])
			last = q;
	for (i = 0; i < s->hp; i++) {
		q = (p + i) % s->hp;
		if (!!s->data[q] == want_data && (want_data || q < last))
			return q;
	}
	return 0;
}

/*
 * Hold off while a collapse attempt scans the range: every probe takes a
 * reference on the page it looks at, and a scan that meets one stops
 * there (EAGAIN) before anything a prober watches for can happen; 10% of
 * the attempts of a 10 s run on 6.12 did, with no touch in the round
 * (README, "Attempts that count").  The scan lasts about as long as an
 * attempt that stopped at it; after that the probers watch collapse_file()
 * at work.
 */
static void hold_off(struct stress *s, int slot)
{
	int64_t began = __atomic_load_n(&s->attempt_ns, __ATOMIC_ACQUIRE);
	long scan = __atomic_load_n(&s->scan_ns_avg, __ATOMIC_RELAXED);

	while (began && mono_ns() - began < scan &&
	       __atomic_load_n(&s->attempt_ns, __ATOMIC_ACQUIRE) == began)
		progress(s, slot);
}

/*
 * Probers watch populated pages (a hole reading is data vanishing) and
 * holes (a data reading is only information) until both the collapse and
 * the registrar are done: page by page, and by walks as users walk a file
 * (SEEK_HOLE from the start or from inside a data run, SEEK_DATA from a
 * hole before data, and now and then the whole file as cp --sparse does);
 * in a walk race by walks only.  Every lseek counts against the round's
 * bound.
 */
static void *prober(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;
	struct probe_target t;
	static const enum probe_method mixed[] = {
		PM_SEEK_DATA, PM_SEEK_HOLE, PM_MINCORE, PM_WALK_HOLE, PM_WALK_DATA,
	};
	static const enum probe_method walks_only[] = { PM_WALK_HOLE, PM_WALK_DATA };
	bool walk_race = s->v->walk.collapses;
	const enum probe_method *methods = walk_race ? walks_only : mixed;
	unsigned int nm = walk_race ? ARRAY_SIZE(walks_only) : ARRAY_SIZE(mixed);
	long bound = walk_race ? WALKS_PER_ROUND : PROBES_PER_ROUND;
	long full_every = 64;
	uint16_t actor = ACT_PROBER + a->index;
	enum probe_method m;
	uint32_t page;
	long n, r, walks;

	/* A walk race leaves CPU 0 to the collapser. */
	pin(s, walk_race ? 1 + a->index % max_cpu(1) : a->index);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		at(s, a->slot, "probing");
		probe_open(&t, s->b.fd, s->other, 0, 0);
		walks = 0;
		for (n = 0; n < bound; n++) {
			if (__atomic_load_n(&s->collapse_done, __ATOMIC_SEQ_CST) &&
			    __atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST))
				break;
			if (!walk_race)
				hold_off(s, a->slot);
			page = rng_below(&a->rng, s->hp);
			m = methods[n % nm];
			if (n % full_every == full_every - 1) {
				r = probe_walk_file(&t, s->hp, s->l, actor);
				if (r > 0) {
					walks += r;
					n += r - 1;
				}
			} else if (pm_is_walk(m)) {
				/* Every other SEEK_HOLE walk from the start. */
				page = m == PM_WALK_HOLE && n / nm % 2 ? 0 :
				       walk_from(s, &a->rng, m == PM_WALK_HOLE);
				probe_walk(&t, m, page, s->hp, s->l, actor);
				walks++;
			} else {
				probe_page(&t, m, page, s->l, actor);
			}
			progress(s, a->slot);
		}
		counter_add(&s->c.probes, n);
		counter_add(&s->c.walks, walks);
		probe_close(&t);
		if (stress_wait(s, &s->end, a->slot))
			break;
	}
	return NULL;
}

/*
 * A pageout variant: load the data pages of a random run through the
 * pager's mapping (only pages it maps can go out; a hole is never
 * touched, a load there would fill it) and MADV_PAGEOUT the run, again
 * and again until the collapser and the registrar are done.  The pages
 * loaded are the round's populated ones, data for the whole round: the
 * loads' content and every probe of them judge the swap-out and the
 * swap-in (a collapse's, a touch's through the registration).
 */
static void pager_round(struct actor *a)
{
	struct stress *s = a->s;
	uint32_t first, n, p, k;
	int swapped;

	at(s, a->slot, "MADV_PAGEOUT of data pages");
	for (k = 0; k < PAGEOUTS_PER_ROUND && !failed(s); k++) {
		if (__atomic_load_n(&s->collapse_done, __ATOMIC_SEQ_CST) &&
		    __atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST))
			break;
		first = rng_below(&a->rng, s->hp);
		n = 1 + rng_below(&a->rng, PAGEOUT_PAGES);
		if (n > s->hp - first)
			n = s->hp - first;
		for (p = first; p < first + n; p++)
			if (s->data[p])
				touch_range(s->l, s->pager + (size_t)p * s->ps, p, 1, PAGER_MAP,
					    ACT_WRITER, TOUCH_LOAD, 0);
		swapped = pageout_range(s->l, s->b.fd, s->pager + (size_t)first * s->ps, first, n,
					s->data + first, PAGER_MAP, ACT_WRITER);
		counter_add(&s->c.pageouts, 1);
		if (swapped > 0)
			counter_add(&s->c.swapped_out, swapped);
		progress(s, a->slot);
	}
}

/* New generations into holes while the collapse may be copying. */
static void *writer(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;
	uint32_t page, i;
	int32_t gen;

	pin(s, 2);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (s->inject_stall) {
			/* Test hook: an actor that never arrives at 'end'. */
			at(s, a->slot, "stalled on purpose (UFFDC_INJECT=actor-stall)");
			while (mono_ns() < s->deadline_ns + NSEC_PER_SEC)
				usleep(10000);
		}
		at(s, a->slot, "pwrite and stores into holes");
		spin_ns(s->delay_write_ns);
		for (i = 0; s->v->writer && i < 8; i++) {
			page = rng_below(&a->rng, s->hp);
			if (s->data[page])
				continue;
			/* A generation per round and write: stale bytes show. */
			gen = 2 + (int32_t)(s->round % 100000) * 8 + i;
			if (i & 1)
				store_page(s->l, s->other + (size_t)page * s->ps, page,
					   gen, ACT_WRITER);
			else
				backing_fill(&s->b, page, gen, s->l, ACT_WRITER);
			counter_add(&s->c.writes, 1);
			progress(s, a->slot);
		}
		if (s->pager)
			pager_round(a);
		if (stress_wait(s, &s->end, a->slot))
			break;
	}
	return NULL;
}

int start_actor(struct stress *s, int slot, int index)
{
	struct actor *a = &s->actors[s->nactors++];
	static const char * const names[] = {
		[SLOT_COLLAPSER] = "collapser", [SLOT_REGISTRAR] = "registrar",
		[SLOT_WRITER] = "writer", [SLOT_PROBER] = "prober",
	};
	static void *(* const fns[])(void *) = {
		[SLOT_COLLAPSER] = collapser, [SLOT_REGISTRAR] = registrar,
		[SLOT_WRITER] = writer, [SLOT_PROBER] = prober,
	};

	a->s = s;
	a->index = index;
	a->slot = slot + (slot == SLOT_PROBER ? index : 0);
	if (slot == SLOT_PROBER)
		snprintf(a->name, sizeof(a->name), "prober %d", index);
	else
		snprintf(a->name, sizeof(a->name), "%s", names[slot]);
	rng_seed(&a->rng, s->opt->seed ^ ((uint64_t)s->nactors << 48));
	return pthread_create(&a->thread, NULL, fns[slot], a);
}
