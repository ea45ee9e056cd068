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
#include "content.h"
#include "khugepaged_ctl.h"
#include "ledger.h"
#include "oracle.h"
#include "probe.h"
#include "rng.h"
#include "shmem_backing.h"
#include "thp_settings.h"
#include "uffd_util.h"

#define MAX_PROBERS	8
#define LEDGER_CAP	(1 << 20)
#define PROBES_PER_ROUND 4096	/* per prober: bounds the ledger */
#define REG_MAP		1
#define MAX_COLLAPSES_PER_ROUND 1024
#define GEN_STORE_BASE	2000000

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
};

struct actor {
	struct stress *s;
	pthread_t thread;
	int index;
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

	pthread_barrier_t start, end;
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

	e.t0 = ledger_stamp(s->l);
	__atomic_store_n(&s->sh->collapse_first, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->sh->touching, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&s->registrar_done, __ATOMIC_SEQ_CST))
		filled |= range_has_no_hole(s->b.fd, 0, s->hp * s->ps);
	e.t1 = ledger_stamp(s->l);
	e.value = khugepaged_counter("full_scans") - scans;
	ledger_add(s->l, &e);
	s->c.collapse_tries++;
	s->c.ranges_filled += filled;
	__atomic_store_n(&s->collapse_done, 1, __ATOMIC_SEQ_CST);
	pthread_barrier_wait(&s->end);
}

static void *collapser(void *arg)
{
	struct actor *a = arg;
	struct stress *s = a->s;
	int err = 0, tries;

	pin(0);
	for (;;) {
		pthread_barrier_wait(&s->start);
		if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (s->v->agent == AGENT_KHUGEPAGED) {
			khugepaged_round(s);
			continue;
		}
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
		pthread_barrier_wait(&s->end);
	}
	return NULL;
}

static void registrar_round(struct actor *a)
{
	struct stress *s = a->s;
	struct uffd_handler h = { 0 };
	struct probe_target t;
	long holes;
	int uffd, ret;

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
				   .page_size = s->ps, .actor = ACT_HANDLER };
	uffd_handler_add_region(&h, s->reg, s->hp * s->ps, 0, REG_MAP);
	ret = uffd_handler_start(&h);
	if (ret) {
		s->sh->setup_err = ret;
		snprintf(s->sh->why, sizeof(s->sh->why), "handler thread: %s", strerror(-ret));
		close(uffd);
		return;
	}
	/* What userspace sees right after registering: the evidence. */
	probe_open(&t, s->b.fd, s->reg, 0, REG_MAP);
	holes = probe_range(&t, 1u << PM_SEEK_DATA, 0, s->hp, s->l, ACT_REGISTRAR);
	while (!__atomic_load_n(&s->sh->collapse_first, __ATOMIC_SEQ_CST))
		;
	if (s->v->agent == AGENT_KHUGEPAGED)
		khugepaged_wait_scans(khugepaged_counter("full_scans"), 2, 200);
	holes += probe_range(&t, 1u << PM_SEEK_HOLE, 0, s->hp, s->l, ACT_REGISTRAR);
	probe_close(&t);
	(void)holes;
	__atomic_store_n(&s->sh->touching, 1, __ATOMIC_SEQ_CST);
	/* Loads one round, stores the next: both must fault on a hole. */
	touch_range(s->l, s->reg, 0, s->hp, REG_MAP, ACT_REGISTRAR,
		    s->round & 1 ? TOUCH_STORE : TOUCH_LOAD,
		    GEN_STORE_BASE + (int32_t)(s->round % 100000));
	uffd_handler_stop(&h);
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
	int status;
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
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
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
		pthread_barrier_wait(&s->start);
		if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
		if (s->v->registrar_process)
			registrar_in_child(a);
		else
			registrar_round(a);
		__atomic_store_n(&s->registrar_done, 1, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&s->end);
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
		pthread_barrier_wait(&s->start);
		if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
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
		pthread_barrier_wait(&s->end);
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
		pthread_barrier_wait(&s->start);
		if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
			break;
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
		pthread_barrier_wait(&s->end);
	}
	return NULL;
}

static int start_actor(struct stress *s, void *(*fn)(void *), int index)
{
	struct actor *a = &s->actors[s->nactors++];

	a->s = s;
	a->index = index;
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
	ASSERT_EQ(0, pthread_barrier_init(&s->start, NULL, 4 + opt.threads));
	ASSERT_EQ(0, pthread_barrier_init(&s->end, NULL, 4 + opt.threads));
	ASSERT_EQ(0, start_actor(s, collapser, 0));
	ASSERT_EQ(0, start_actor(s, registrar, 1));
	ASSERT_EQ(0, start_actor(s, writer, 2));
	for (i = 0; i < opt.threads; i++)
		ASSERT_EQ(0, start_actor(s, prober, i));
}

FIXTURE_TEARDOWN(stress)
{
	struct stress *s = &self->s;
	int i;

	if (s->nactors) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&s->start);
		for (i = 0; i < s->nactors; i++)
			pthread_join(s->actors[i].thread, NULL);
	}
	ledger_destroy(s->l);
	munmap(s->sh, sizeof(*s->sh));
	free(s->data);
	backing_close(&s->b);
}

TEST_F_TIMEOUT(stress, race, 3600)
{
	struct stress *s = &self->s;
	struct oracle_opts oo = { .page_size = s->ps,
				  .mincore_hole_is_evidence = !system_has_swap() };
	struct verdict vd;
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
		ledger_reset(s->l);
		ASSERT_EQ(0, reset_range(s, &rng));
		plan_round(s, &rng);
		s->sh->collapse_first = 0;
		s->sh->touching = 0;
		s->collapse_done = 0;
		s->registrar_done = 0;
		if (!variant->writer)
			s->delay_write_ns = 0;
		pthread_barrier_wait(&s->start);
		pthread_barrier_wait(&s->end);
		if (s->sh->setup_err)
			break;
		s->c.rounds++;
		count_round(s);
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
	print_counters(_metadata, s, (now_ns() - start) / 1e9);
	write_json(variant->name, s, vd.total || vd.unjudgeable);
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

static int parse_num(const char *name, const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v < lo || v > hi) {
		fprintf(stderr, "error: %s must be a number from %g to %g, got '%s'\n",
			name, lo, hi, arg);
		return -1;
	}
	*out = v;
	return 0;
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
	char *end;
	double v;
	int c;

	opt.seed = rng_run_seed();
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			errno = 0;
			opt.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end) {
				fprintf(stderr, "error: --seed takes a number, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (parse_num("--duration", optarg, 0.01, 86400, &opt.duration))
				return 2;
			break;
		case 'r':
			if (parse_num("--rounds", optarg, 1, 1e12, &v))
				return 2;
			opt.rounds = (long)v;
			break;
		case 't':
			if (parse_num("--threads", optarg, 1, MAX_PROBERS, &v))
				return 2;
			opt.threads = (int)v;
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
			usage(stderr, argv[0]);
			return 2;
		}
	}
	/* What is left after "--" goes to the harness. */
	argv[optind - 1] = argv[0];
	argc -= optind - 1;
	argv += optind - 1;
	optind = 0;	/* the harness parses its own options with getopt too */
	thp_save();
	if (bare)
		return bare_collapse_loop(opt.duration);
	return test_harness_run(argc, argv);
}
