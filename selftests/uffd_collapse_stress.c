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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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
#include "suite.h"
#include "thp_settings.h"
#include "uffd_util.h"
#include "util.h"

#define MAX_PROBERS	8
#define LEDGER_CAP	(1 << 20)
#define PROBES_PER_ROUND 4096	/* per prober: bounds the ledger */
#define REG_MAP		1
#define MAX_COLLAPSES_PER_ROUND 1024
#define GEN_STORE_BASE	2000000
#define NSEC		1000000000LL

/*
 * Bounds.  Every barrier, spin and wait of a test ends at its deadline:
 * --duration plus GRACE_S, more than the slowest round needs (a debug
 * kernel under TCG).  What no deadline reaches (an actor stuck inside the
 * kernel) the watchdog catches WATCHDOG_S later, and the harness kills
 * the test after HARNESS_MARGIN_S + 2 x --duration, the last backstop.
 */
#define GRACE_S		30
#define WATCHDOG_S	10
#define HARNESS_MARGIN_S 60

/* Options, shared by every test of the run. */
static struct {
	uint64_t seed;
	double duration;	/* seconds per test */
	long rounds;		/* at most, per test */
	int threads;		/* probers */
	int verbose;
	const char *json;
} opt = {
	.duration = 1.0,
	.rounds = 1000000,
	.threads = 2,
};

enum actor_id {
	ACT_MAIN = 1,
	ACT_COLLAPSER,
	ACT_REGISTRAR,
	ACT_HANDLER,
	ACT_WRITER,
	ACT_PROBER,	/* + prober index */
};

/* Where each thread is: struct shared's stage[], for a stuck report. */
enum { SLOT_MAIN, SLOT_COLLAPSER, SLOT_REGISTRAR, SLOT_WRITER, SLOT_PROBER };

enum { ERRS_OK, ERRS_EBUSY, ERRS_EAGAIN, ERRS_EINVAL, ERRS_ENOMEM, ERRS_OTHER, ERRS_NR };
static const char * const errs_names[ERRS_NR] = {
	"ok", "EBUSY", "EAGAIN", "EINVAL", "ENOMEM", "other",
};

struct counters {
	uint64_t rounds, collapse_tries, collapse_res[ERRS_NR], ranges_filled;
	uint64_t registrations, probes, faults, copies, eexist, writes, touches;
	uint64_t holes_seen_registered;	/* rounds where a registered hole was probed */
	uint64_t violations[V_NR];
};

struct stress;

/*
 * MAP_SHARED, so that a registrar running as a child process (its own mm,
 * like a VMM's) sees and sets them too.
 */
struct shared {
	int collapse_first;	/* this round: one collapse attempt made */
	int touching;		/* the registrar is filling holes itself */
	int setup_err;
	char why[256];
	int failed;		/* __atomic: the test fails, fail_why says why */
	char fail_why[1024];
	/* Where each actor is (SLOT_*, a string literal), for a stuck report. */
	const char *stage[SLOT_PROBER + MAX_PROBERS];
};

struct actor {
	struct stress *s;
	pthread_t thread;
	int index;
	int slot;		/* SLOT_* */
	char name[24];
	struct rng rng;
};

struct stress {
	const struct _fixture_variant_stress *v;
	struct backing b;
	struct ledger *l;
	size_t ps;
	uint32_t hp;
	char *other;		/* unregistered mapping: collapser, mincore */
	char *reg;		/* the mapping the registrar registers */
	uint8_t *data;		/* per page: populated this round */

	struct bbarrier start, end;
	struct bbarrier watchdog;	/* broken by the teardown to stop it */
	bool barriers;			/* initialized */
	pthread_t watchdog_thread;
	bool watchdog_running;
	int64_t deadline_ns;		/* mono_ns(): no wait goes past it */
	bool inject_handler_exit;	/* UFFDC_INJECT=handler-exit */
	bool inject_stall;		/* UFFDC_INJECT=actor-stall */
	int nactors;
	struct actor actors[4 + MAX_PROBERS];
	/* Flags, only touched with __atomic builtins. */
	int stop;		/* ends the run */
	int collapse_done;	/* this round: collapser finished */
	int registrar_done;
	struct shared *sh;	/* what a registrar process shares with us */

	/* per round choices */
	uint64_t round;
	long delay_collapse_ns, delay_register_ns, delay_write_ns;
	long collapse_ns_avg;	/* measured length of a collapse */

	struct counters c;
};

FIXTURE(stress) {
	struct stress s;
};

FIXTURE_VARIANT(stress) {
	const char *name;	/* for the JSON summary */
	enum backing_kind backing;
	const char *huge;
	enum collapse_agent agent;
	bool writer;		/* pwrite new generations into holes mid-round */
	bool registrar_process;	/* register from a child process */
	int data_pct_min, data_pct_max;	/* populated share of the range */
};

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Busy-wait: a sleep would hand the CPU away and lose the window. */
static void spin_ns(long ns)
{
	long end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static void pin(int index)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(index % ncpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int errs_bucket(int err)
{
	switch (err) {
	case 0: return ERRS_OK;
	case EBUSY: return ERRS_EBUSY;
	case EAGAIN: return ERRS_EAGAIN;
	case EINVAL: return ERRS_EINVAL;
	case ENOMEM: return ERRS_ENOMEM;
	}
	return ERRS_OTHER;
}

static void at(struct stress *s, int slot, const char *what)
{
	__atomic_store_n(&s->sh->stage[slot], what, __ATOMIC_RELAXED);
}

/*
 * The test fails, for the reason given: the first reason wins.  Any actor
 * may call it, a registrar process too; the round loop stops on it.
 */
static void __attribute__((format(printf, 2, 3)))
stress_fail(struct stress *s, const char *fmt, ...)
{
	int zero = 0;
	va_list ap;

	if (!__atomic_compare_exchange_n(&s->sh->failed, &zero, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	va_start(ap, fmt);
	vsnprintf(s->sh->fail_why, sizeof(s->sh->fail_why), fmt, ap);
	va_end(ap);
}

static bool failed(struct stress *s)
{
	return __atomic_load_n(&s->sh->failed, __ATOMIC_ACQUIRE);
}

/* "main: judge, collapser: MADV_COLLAPSE, registrar: touch, ..." */
static void stages(struct stress *s, char *buf, size_t len)
{
	const char *st;
	size_t n;
	int i;

	st = __atomic_load_n(&s->sh->stage[SLOT_MAIN], __ATOMIC_RELAXED);
	n = snprintf(buf, len, "main: %s", st ?: "-");
	for (i = 0; i < s->nactors && n < len; i++) {
		st = __atomic_load_n(&s->sh->stage[s->actors[i].slot], __ATOMIC_RELAXED);
		n += snprintf(buf + n, len - n, ", %s: %s", s->actors[i].name, st ?: "-");
	}
}

/*
 * For a spin: true when the test has failed already or, past the
 * deadline, after failing it because of who was still waiting.
 */
static bool overdue(struct stress *s, const char *who)
{
	if (failed(s))
		return true;
	if (mono_ns() <= s->deadline_ns)
		return false;
	stress_fail(s, "round %llu: %s was still waiting at the deadline (--duration %.1f s + %d s)",
		    (unsigned long long)s->round, who, opt.duration, GRACE_S);
	return true;
}

/*
 * Every barrier wait ends at the test's deadline.  The wait that times out
 * fails the test, naming the barrier, how many had arrived and where every
 * actor is; it breaks the barrier, which releases the others.
 */
static int stress_wait(struct stress *s, struct bbarrier *b, int slot)
{
	char why[128], where[768];
	int ret;

	at(s, slot, b == &s->start ? "at barrier 'start'" : "at barrier 'end'");
	ret = bbarrier_wait(b, s->deadline_ns);
	if (ret == -ETIMEDOUT) {
		bbarrier_why(b, why, sizeof(why));
		stages(s, where, sizeof(where));
		stress_fail(s, "round %llu: %s at the deadline (--duration %.1f s + %d s); where each thread is: %s",
			    (unsigned long long)s->round, why, opt.duration, GRACE_S, where);
	}
	return ret;
}

/*
 * khugepaged collapses on its own schedule (fast scan settings, the mm
 * enlisted at setup): this actor only records, while the registrar works,
 * whether the range got filled before our own touches could fill it.
 */
static void khugepaged_round(struct stress *s)
{
	struct ev e = { .kind = EV_COLLAPSE, .aux = AGENT_KHUGEPAGED,
			.npages = s->hp, .actor = ACT_COLLAPSER };
	long scans = khugepaged_counter("full_scans");
	bool filled = false;

	at(s, SLOT_COLLAPSER, "watching khugepaged");
	e.t0 = ledger_stamp(s->l);
	__atomic_store_n(&s->sh->collapse_first, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->sh->touching, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST) &&
	       !overdue(s, "the collapser (watching khugepaged until the registrar touches)"))
		filled |= range_has_no_hole(s->b.fd, 0, s->hp * s->ps);
	e.t1 = ledger_stamp(s->l);
	e.value = khugepaged_counter("full_scans") - scans;
	ledger_add(s->l, &e);
	s->c.collapse_tries++;
	s->c.ranges_filled += filled;
	__atomic_store_n(&s->collapse_done, 1, __ATOMIC_SEQ_CST);
}

static void *collapser(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;
	int err = 0, tries;

	pin(0);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (s->v->agent == AGENT_KHUGEPAGED) {
			khugepaged_round(s);
			if (stress_wait(s, &s->end, a->slot))
				break;
			continue;
		}
		at(s, a->slot, "MADV_COLLAPSE");
		spin_ns(s->delay_collapse_ns);
		/*
		 * Keep collapsing while the registrar works: a refused or
		 * rolled-back collapse leaves the holes, so every attempt
		 * redoes the scan, copy and rollback the race needs.
		 */
		for (tries = 0; tries < MAX_COLLAPSES_PER_ROUND; tries++) {
			if (tries && (err == 0 ||
				      __atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST)))
				break;
			long t = now_ns();

			err = collapse_range(s->l, s->other, s->hp * s->ps, 0,
					     AGENT_MADV_OTHER, ACT_COLLAPSER);
			t = now_ns() - t;
			/*
			 * Judged by the file (6.1 can collapse and still say
			 * EINVAL), while our own touches cannot have filled it.
			 */
			if (!__atomic_load_n(&s->sh->touching, __ATOMIC_SEQ_CST))
				s->c.ranges_filled += range_has_no_hole(s->b.fd, 0,
									s->hp * s->ps);
			s->collapse_ns_avg += (t - s->collapse_ns_avg) / 8;
			s->c.collapse_tries++;
			s->c.collapse_res[errs_bucket(err)]++;
			__atomic_store_n(&s->sh->collapse_first, 1, __ATOMIC_SEQ_CST);
		}
		__atomic_store_n(&s->collapse_done, 1, __ATOMIC_SEQ_CST);
		if (stress_wait(s, &s->end, a->slot))
			break;
	}
	return NULL;
}

static void registrar_round(struct actor *a)
{
	struct stress *s = a->s;
	struct uffd_handler h = { 0 };
	struct probe_target t;
	bool late = false;
	char why[160];
	long holes;
	int uffd, ret;

	at(s, SLOT_REGISTRAR, "UFFDIO_REGISTER");
	spin_ns(s->delay_register_ns);
	/* A fresh userfaultfd every round: registration state starts clean. */
	uffd = uffd_open(UFFD_VIA_SYSCALL, UFFD_FEATURE_MISSING_SHMEM, NULL);
	if (uffd < 0) {
		s->sh->setup_err = uffd;
		snprintf(s->sh->why, sizeof(s->sh->why), "userfaultfd: %s", strerror(-uffd));
		return;
	}
	ret = uffd_register_missing(uffd, s->reg, s->hp * s->ps, 0, REG_MAP, s->l,
				    ACT_REGISTRAR);
	if (ret) {
		s->sh->setup_err = ret;
		snprintf(s->sh->why, sizeof(s->sh->why), "UFFDIO_REGISTER: %s", strerror(-ret));
		close(uffd);
		return;
	}
	h = (struct uffd_handler){ .uffd = uffd, .l = s->l, .resolve = RESOLVE_COPY,
				   .resolve_gen = 1000 + (int32_t)(s->round % 1000000),
				   .page_size = s->ps, .actor = ACT_HANDLER,
				   .inject_exit_at_fault = s->inject_handler_exit };
	uffd_handler_add_region(&h, s->reg, s->hp * s->ps, 0, REG_MAP);
	ret = uffd_handler_start(&h);
	if (ret) {
		s->sh->setup_err = ret;
		snprintf(s->sh->why, sizeof(s->sh->why), "handler thread: %s", strerror(-ret));
		close(uffd);
		return;
	}
	/* What userspace sees right after registering: the evidence. */
	at(s, SLOT_REGISTRAR, "probe after UFFDIO_REGISTER");
	probe_open(&t, s->b.fd, s->reg, 0, REG_MAP);
	holes = probe_range(&t, 1u << PM_SEEK_DATA, 0, s->hp, s->l, ACT_REGISTRAR);
	at(s, SLOT_REGISTRAR, "waiting for the first collapse attempt");
	while (!__atomic_load_n(&s->sh->collapse_first, __ATOMIC_SEQ_CST) && !late)
		late = overdue(s, "the registrar (waiting for the first collapse attempt)");
	if (!late && s->v->agent == AGENT_KHUGEPAGED)
		khugepaged_wait_scans(khugepaged_counter("full_scans"), 2, 200);
	if (!late)
		holes += probe_range(&t, 1u << PM_SEEK_HOLE, 0, s->hp, s->l, ACT_REGISTRAR);
	probe_close(&t);
	(void)holes;
	__atomic_store_n(&s->sh->touching, 1, __ATOMIC_SEQ_CST);
	/* Loads one round, stores the next: both must fault on a hole. */
	at(s, SLOT_REGISTRAR, "touch of the registered range");
	if (!late)
		touch_range(s->l, s->reg, 0, s->hp, REG_MAP, ACT_REGISTRAR,
			    s->round & 1 ? TOUCH_STORE : TOUCH_LOAD,
			    GEN_STORE_BASE + (int32_t)(s->round % 100000));
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
}

/*
 * The registration from another process, as a VMM's would be: the kernel
 * must find it through the file's i_mmap, not in the collapser's mm.
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
	if (ret == -ETIMEDOUT) {
		stress_fail(s, "round %llu: the registrar process (pid %d) was still running at the deadline (--duration %.1f s + %d s), in: %s; killed",
			    (unsigned long long)s->round, pid, opt.duration, GRACE_S,
			    s->sh->stage[SLOT_REGISTRAR] ?: "-");
	} else if (ret || !WIFEXITED(status) || WEXITSTATUS(status)) {
		s->sh->setup_err = -ECHILD;
		snprintf(s->sh->why, sizeof(s->sh->why), "registrar process died (status 0x%x)",
			 status);
	}
}

static void *registrar(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;

	pin(1);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (s->v->registrar_process)
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
 * Probers watch populated pages (a hole reading is data vanishing) and
 * holes (a data reading is only information) until both the collapse and
 * the registrar are done.
 */
static void *prober(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;
	struct probe_target t;
	static const enum probe_method methods[] = {
		PM_SEEK_DATA, PM_SEEK_HOLE, PM_MINCORE,
	};
	uint32_t page;
	int n;

	pin(a->index);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		at(s, a->slot, "probing");
		probe_open(&t, s->b.fd, s->other, 0, 0);
		for (n = 0; n < PROBES_PER_ROUND; n++) {
			if (__atomic_load_n(&s->collapse_done, __ATOMIC_SEQ_CST) &&
			    __atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST))
				break;
			page = rng_below(&a->rng, s->hp);
			probe_page(&t, methods[n % 3], page, s->l, ACT_PROBER + a->index);
		}
		s->c.probes += n;
		probe_close(&t);
		if (stress_wait(s, &s->end, a->slot))
			break;
	}
	return NULL;
}

/* New generations into holes while the collapse may be copying. */
static void *writer(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;
	uint32_t page, i;

	int32_t gen;

	pin(2);
	for (;;) {
		if (stress_wait(s, &s->start, a->slot) ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (s->inject_stall) {
			/* Test hook: an actor that never arrives at 'end'. */
			at(s, a->slot, "stalled on purpose (UFFDC_INJECT=actor-stall)");
			while (mono_ns() < s->deadline_ns + NSEC)
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
			s->c.writes++;
		}
		if (stress_wait(s, &s->end, a->slot))
			break;
	}
	return NULL;
}

static int start_actor(struct stress *s, void *(*fn)(void *), int slot, int index)
{
	struct actor *a = &s->actors[s->nactors++];
	static const char * const names[] = {
		[SLOT_COLLAPSER] = "collapser", [SLOT_REGISTRAR] = "registrar",
		[SLOT_WRITER] = "writer", [SLOT_PROBER] = "prober",
	};

	a->s = s;
	a->index = index;
	a->slot = slot + (slot == SLOT_PROBER ? index : 0);
	if (slot == SLOT_PROBER)
		snprintf(a->name, sizeof(a->name), "prober %d", index);
	else
		snprintf(a->name, sizeof(a->name), "%s", names[slot]);
	rng_seed(&a->rng, opt.seed ^ ((uint64_t)s->nactors << 48));
	return pthread_create(&a->thread, NULL, fn, a);
}

/*
 * Choose this round's start delays.  The registration sweeps from well
 * before to well after the collapse, in 32 steps across twice the measured
 * collapse length, with seeded jitter so replays differ only in timing.
 */
static void plan_round(struct stress *s, struct rng *rng)
{
	/* khugepaged wakes every millisecond: sweep across a few scans. */
	long window = s->v->agent == AGENT_KHUGEPAGED ? 20000000 :
		      2 * (s->collapse_ns_avg ?: 200000);
	long step = window / 32, pos = (long)(s->round % 33) * step - window / 2;

	s->delay_collapse_ns = window / 2;
	s->delay_register_ns = s->delay_collapse_ns + pos + rng_below(rng, step + 1);
	if (s->delay_register_ns < 0)
		s->delay_register_ns = 0;
	s->delay_write_ns = rng_below(rng, window);
}

/* Punch the range (the huge page too), then populate a random share. */
static int reset_range(struct stress *s, struct rng *rng)
{
	uint32_t pct, p;
	int ret;

	ret = punch_range(s->l, &s->b, 0, s->hp, ACT_MAIN);
	if (ret)
		return ret;
	pct = s->v->data_pct_min +
	      rng_below(rng, s->v->data_pct_max - s->v->data_pct_min + 1);
	for (p = 0; p < s->hp; p++) {
		s->data[p] = rng_below(rng, 100) < pct;
		if (p == 0)
			s->data[p] = 1;	/* never an empty range */
		if (s->data[p]) {
			ret = backing_fill(&s->b, p, 1, s->l, ACT_MAIN);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Registrar-side counts come from the ledger: it may have been a child. */
static void count_round(struct stress *s)
{
	uint64_t i, n = ledger_count(s->l);
	bool hole_seen = false;

	for (i = 0; i < n; i++) {
		const struct ev *e = &s->l->ev[i];

		switch (e->kind) {
		case EV_REGISTER:
			s->c.registrations += !e->err;
			break;
		case EV_FAULT:
			s->c.faults++;
			break;
		case EV_TOUCH:
			s->c.touches++;
			break;
		case EV_FILL:
			if (e->aux == FILL_UFFD_COPY) {
				s->c.copies += !e->err;
				s->c.eexist += e->err == EEXIST;
			}
			break;
		case EV_PROBE:
			hole_seen |= e->actor == ACT_REGISTRAR && e->value == PROBE_HOLE;
			break;
		}
	}
	s->c.holes_seen_registered += hole_seen;
}

static void print_counters(struct __test_metadata *_metadata, struct stress *s,
			   double secs)
{
	char res[160];
	int i, n = 0;

	for (i = 0; i < ERRS_NR; i++)
		n += snprintf(res + n, sizeof(res) - n, "%s%s=%llu", i ? " " : "",
			      errs_names[i], (unsigned long long)s->c.collapse_res[i]);
	TH_LOG("elapsed=%.2fs rounds/s=%.1f collapse attempts/s=%.0f", secs,
	       s->c.rounds / (secs ?: 1), s->c.collapse_tries / (secs ?: 1));
	TH_LOG("rounds=%llu collapses tried=%llu (%s) ranges filled after collapse=%llu registrations=%llu probes=%llu rounds-with-registered-hole=%llu faults=%llu copies=%llu eexist=%llu writes=%llu touches=%llu violations: lost-fault=%llu spurious-fault=%llu data-vanished=%llu content=%llu copy-eexist=%llu",
	       (unsigned long long)s->c.rounds, (unsigned long long)s->c.collapse_tries, res,
	       (unsigned long long)s->c.ranges_filled,
	       (unsigned long long)s->c.registrations, (unsigned long long)s->c.probes,
	       (unsigned long long)s->c.holes_seen_registered,
	       (unsigned long long)s->c.faults, (unsigned long long)s->c.copies,
	       (unsigned long long)s->c.eexist, (unsigned long long)s->c.writes,
	       (unsigned long long)s->c.touches,
	       (unsigned long long)s->c.violations[V_LOST_FAULT],
	       (unsigned long long)s->c.violations[V_SPURIOUS_FAULT],
	       (unsigned long long)s->c.violations[V_DATA_VANISHED],
	       (unsigned long long)s->c.violations[V_CONTENT],
	       (unsigned long long)s->c.violations[V_COPY_EEXIST]);
}

static void write_json(const char *test, struct stress *s, bool failed)
{
	FILE *f;
	int i;

	if (!opt.json)
		return;
	f = fopen(opt.json, "a");
	if (!f)
		return;
	fprintf(f, "{\"test\":\"%s\",\"seed\":%llu,\"failed\":%s,\"rounds\":%llu,"
		"\"collapse_tries\":%llu,\"collapse_results\":{",
		test, (unsigned long long)opt.seed, failed ? "true" : "false",
		(unsigned long long)s->c.rounds, (unsigned long long)s->c.collapse_tries);
	for (i = 0; i < ERRS_NR; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", errs_names[i],
			(unsigned long long)s->c.collapse_res[i]);
	fprintf(f, "},\"ranges_filled\":%llu,\"registrations\":%llu,\"probes\":%llu,"
		"\"faults\":%llu,\"copies\":%llu,\"writes\":%llu,\"violations\":{",
		(unsigned long long)s->c.ranges_filled,
		(unsigned long long)s->c.registrations, (unsigned long long)s->c.probes,
		(unsigned long long)s->c.faults, (unsigned long long)s->c.copies,
		(unsigned long long)s->c.writes);
	for (i = 0; i < V_NR; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", violation_name(i),
			(unsigned long long)s->c.violations[i]);
	fprintf(f, "}}\n");
	fclose(f);
}

/*
 * The last resort, for a thread stuck where no deadline reaches (inside
 * the kernel, or the main thread itself): WATCHDOG_S after the deadline it
 * says where every thread is and fails the test, long before the
 * harness's timeout would kill it without a word.  The teardown breaks
 * its barrier to stop it.
 */
static void *watch_deadline(void *arg)
{
	struct stress *s = arg;
	char where[768];

	if (bbarrier_wait(&s->watchdog, s->deadline_ns + WATCHDOG_S * NSEC) != -ETIMEDOUT)
		return NULL;
	stages(s, where, sizeof(where));
	fprintf(stderr, "# watchdog: %s still running %d s past its deadline (--duration %.1f s + %d s), round %llu; where each thread is: %s%s%s\n",
		s->v->name, WATCHDOG_S, opt.duration, GRACE_S, (unsigned long long)s->round,
		where, failed(s) ? "; failed first because: " : "",
		failed(s) ? s->sh->fail_why : "");
	fflush(stderr);
	_exit(KSFT_FAIL);
}

FIXTURE_SETUP(stress)
{
	struct stress *s = &self->s;
	static const char * const base[] = {
		"enabled", "madvise",
		"defrag", "madvise",
		"shmem_enabled", "advise",
		"khugepaged/scan_sleep_millisecs", "100000",
		NULL,
	};
	const char *inject;
	int i;

	memset(s, 0, sizeof(*s));
	s->v = variant;
	s->sh = mmap(NULL, sizeof(*s->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->sh);
	s->b.fd = -1;
	s->ps = getpagesize();
	if (!thp_available())
		SKIP(return, "no THP sysfs: kernel built without TRANSPARENT_HUGEPAGE");
	if (thp_apply(base))
		SKIP(return, "cannot write THP sysfs settings (not root?)");
	s->hp = thp_pmd_size() / s->ps;
	if (backing_open(&s->b, variant->backing, variant->huge, thp_pmd_size(),
			 s->sh->why, sizeof(s->sh->why)))
		SKIP(return, "%s backing: %s", backing_name(variant->backing), s->sh->why);
	ASSERT_EQ(0, backing_ready(&s->b));
	s->other = backing_map(&s->b, 0, thp_pmd_size());
	s->reg = backing_map(&s->b, 0, thp_pmd_size());
	ASSERT_NE(NULL, s->other);
	ASSERT_NE(NULL, s->reg);
	if (variant->agent == AGENT_KHUGEPAGED) {
		ASSERT_EQ(0, madvise(s->other, thp_pmd_size(), MADV_HUGEPAGE));
		ASSERT_EQ(0, khugepaged_enlist());
		ASSERT_EQ(0, khugepaged_fast());
		ASSERT_EQ(0, thp_write("khugepaged/scan_sleep_millisecs", "1"));
	}
	s->data = calloc(s->hp, 1);
	s->l = ledger_create(LEDGER_CAP);
	ASSERT_NE(NULL, s->l);
	ASSERT_NE(NULL, s->data);
	s->deadline_ns = mono_ns() + (int64_t)(opt.duration * NSEC) + GRACE_S * NSEC;
	inject = getenv("UFFDC_INJECT");
	if (inject) {
		/* Test-only: make the test fail on purpose, to see that it does. */
		s->inject_handler_exit = !strcmp(inject, "handler-exit");
		s->inject_stall = !strcmp(inject, "actor-stall");
		ASSERT_TRUE(s->inject_handler_exit || s->inject_stall)
			TH_LOG("UFFDC_INJECT=%s: not handler-exit or actor-stall", inject);
		TH_LOG("UFFDC_INJECT=%s: this test is meant to fail", inject);
	}
	ASSERT_EQ(0, bbarrier_init(&s->start, "start", 4 + opt.threads));
	ASSERT_EQ(0, bbarrier_init(&s->end, "end", 4 + opt.threads));
	ASSERT_EQ(0, bbarrier_init(&s->watchdog, "watchdog", 2));
	s->barriers = true;
	ASSERT_EQ(0, pthread_create(&s->watchdog_thread, NULL, watch_deadline, s));
	s->watchdog_running = true;
	ASSERT_EQ(0, start_actor(s, collapser, SLOT_COLLAPSER, 0));
	ASSERT_EQ(0, start_actor(s, registrar, SLOT_REGISTRAR, 1));
	ASSERT_EQ(0, start_actor(s, writer, SLOT_WRITER, 2));
	for (i = 0; i < opt.threads; i++)
		ASSERT_EQ(0, start_actor(s, prober, SLOT_PROBER, i));
}

FIXTURE_TEARDOWN(stress)
{
	struct stress *s = &self->s;
	int64_t by = mono_ns() + 5 * NSEC;
	struct timespec ts = { by / NSEC, by % NSEC };
	int i, stuck = 0;

	/* Broken barriers release the actors, wherever they wait. */
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	if (s->barriers) {
		bbarrier_break(&s->start);
		bbarrier_break(&s->end);
	}
	for (i = 0; i < s->nactors; i++) {
		if (!pthread_clockjoin_np(s->actors[i].thread, NULL, CLOCK_MONOTONIC, &ts))
			continue;
		TH_LOG("%s did not stop within 5 s, in: %s", s->actors[i].name,
		       s->sh->stage[s->actors[i].slot] ?: "-");
		stuck++;
	}
	if (s->watchdog_running) {
		bbarrier_break(&s->watchdog);
		pthread_join(s->watchdog_thread, NULL);
	}
	/* A stuck actor may still use what follows: the process exits now. */
	if (stuck)
		return;
	if (s->barriers) {
		bbarrier_destroy(&s->start);
		bbarrier_destroy(&s->end);
		bbarrier_destroy(&s->watchdog);
	}
	ledger_destroy(s->l);
	munmap(s->sh, sizeof(*s->sh));
	free(s->data);
	backing_close(&s->b);
}

/*
 * The harness's timeout, HARNESS_MARGIN_S + 2 x --duration: main() sizes
 * it (size_harness_timeout()) before the run; this is the default's.
 */
TEST_F_TIMEOUT(stress, race, HARNESS_MARGIN_S + 2)
{
	struct stress *s = &self->s;
	struct oracle_opts oo = { .page_size = s->ps,
				  .mincore_hole_is_evidence = !system_has_swap() };
	struct verdict vd = { 0 };
	struct rng rng;
	long start = now_ns(), last_progress = start;
	long end = start + (long)(opt.duration * 1e9);
	int i;

	TH_LOG("seed=%llu backing=%s agent=%s writer=%s data=%d-%d%% probers=%d duration=%.1fs rounds<=%ld",
	       (unsigned long long)opt.seed, backing_name(variant->backing),
	       agent_name(variant->agent), variant->writer ? "yes" : "no",
	       variant->data_pct_min, variant->data_pct_max, opt.threads,
	       opt.duration, opt.rounds);
	rng_seed(&rng, opt.seed);
	for (s->round = 0; s->round < (uint64_t)opt.rounds && now_ns() < end; s->round++) {
		at(s, SLOT_MAIN, "punch and refill");
		ledger_reset(s->l);
		ASSERT_EQ(0, reset_range(s, &rng));
		plan_round(s, &rng);
		s->sh->collapse_first = 0;
		s->sh->touching = 0;
		s->collapse_done = 0;
		s->registrar_done = 0;
		if (!variant->writer)
			s->delay_write_ns = 0;
		if (stress_wait(s, &s->start, SLOT_MAIN) || stress_wait(s, &s->end, SLOT_MAIN)) {
			if (!failed(s))
				stress_fail(s, "round %llu: a barrier broke", (unsigned long long)s->round);
			break;
		}
		if (s->sh->setup_err || failed(s))
			break;
		s->c.rounds++;
		count_round(s);
		at(s, SLOT_MAIN, "read back and judge");
		read_range(s->l, &s->b, 0, s->hp, ACT_MAIN);

		oracle_judge(s->l, &oo, &vd);
		for (i = 0; i < V_NR; i++)
			s->c.violations[i] += vd.count[i];
		if (vd.total || vd.unjudgeable) {
			TH_LOG("seed=%llu round=%llu: %u violation(s) after %.3f s%s%s",
			       (unsigned long long)opt.seed, (unsigned long long)s->round,
			       vd.total, (now_ns() - start) / 1e9,
			       vd.unjudgeable ? ", cannot judge: " : "",
			       vd.unjudgeable ? vd.reason : "");
			oracle_report(stderr, s->l, &oo, &vd);
			break;
		}
		if (opt.duration > 3 && now_ns() - last_progress > 1000000000L) {
			last_progress = now_ns();
			fprintf(stderr, "# progress: %s round %llu, %.0f s left, %llu collapses ok, no violation\n",
				_metadata->name, (unsigned long long)s->round,
				(end - last_progress) / 1e9,
				(unsigned long long)s->c.collapse_res[ERRS_OK]);
		}
	}
	at(s, SLOT_MAIN, "verdict");
	print_counters(_metadata, s, (now_ns() - start) / 1e9);
	write_json(variant->name, s, vd.total || vd.unjudgeable || failed(s));
	ASSERT_FALSE(failed(s))
		TH_LOG("FAIL: %s", s->sh->fail_why);
	if (s->sh->setup_err)
		SKIP(return, "%s", s->sh->why);
	ASSERT_FALSE(vd.unjudgeable);
	ASSERT_EQ(0, vd.total);
	/* No vacuous pass: the races must have been run for real. */
	if (!s->c.collapse_res[ERRS_OK] && !s->c.ranges_filled)
		SKIP(return, "no collapse succeeded in %llu rounds: nothing raced",
		     (unsigned long long)s->c.rounds);
	if (!s->c.holes_seen_registered)
		SKIP(return, "no hole was seen after registration in %llu rounds",
		     (unsigned long long)s->c.rounds);
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
	t->timeout = HARNESS_MARGIN_S + 2 * (int)(opt.duration + 0.999);
}

FIXTURE_VARIANT_ADD(stress, memfd_madv) {
	.name = "memfd_madv",
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER,
	.data_pct_min = 5, .data_pct_max = 95,
};

FIXTURE_VARIANT_ADD(stress, memfd_madv_writer) {
	.name = "memfd_madv_writer",
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .writer = true,
	.data_pct_min = 50, .data_pct_max = 99,
};

FIXTURE_VARIANT_ADD(stress, tmpfs_advise_madv) {
	.name = "tmpfs_advise_madv",
	.backing = BK_TMPFS, .huge = "advise", .agent = AGENT_MADV_OTHER,
	.writer = true, .data_pct_min = 5, .data_pct_max = 95,
};

FIXTURE_VARIANT_ADD(stress, memfd_madv_registrar_process) {
	.name = "memfd_madv_registrar_process",
	.backing = BK_MEMFD, .agent = AGENT_MADV_OTHER, .registrar_process = true,
	.data_pct_min = 5, .data_pct_max = 95,
};

FIXTURE_VARIANT_ADD(stress, memfd_khugepaged) {
	.name = "memfd_khugepaged",
	.backing = BK_MEMFD, .agent = AGENT_KHUGEPAGED,
	.data_pct_min = 5, .data_pct_max = 95,
};

FIXTURE_VARIANT_ADD(stress, shm_anon_madv) {
	.name = "shm_anon_madv",
	.backing = BK_SHM_ANON, .agent = AGENT_MADV_OTHER, .writer = true,
	.data_pct_min = 80, .data_pct_max = 99,
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
	start = now_ns();
	end = start + (long)(secs * 1e9);
	while (now_ns() < end) {
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
	secs = (now_ns() - start) / 1e9;
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
		"  --bare-collapse  no tests: time a bare MADV_COLLAPSE loop for --duration\n"
		"                 (the benchmark's yardstick for the collapser's rate)\n"
		"  -v             more output\n"
		"  -h, --help     this text\n\n"
		"Harness options after --, e.g. -- -v memfd_madv (run one variant), -- -l (list).\n"
		"Exit: 0 pass, 1 violation or error, 4 skip.\n",
		prog, opt.duration, opt.rounds, MAX_PROBERS, opt.threads);
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
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
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
		case 'v':
			opt.verbose++;
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
	size_harness_timeout();
	return test_harness_run(argc, argv);
}
