/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The race stress (uffd_collapse_stress): what its modules share.
 *
 * uffd_collapse_stress.c
 *	The kselftest fixture, its variants and the round loop (TEST_F),
 *	the bare MADV_COLLAPSE loop (--bare-collapse), the command line.
 *	The only file of the stress that includes kselftest_harness.h: the
 *	modules below know nothing of the harness, and what they report
 *	goes back to it as plain values and strings.
 * stress_actors.c
 *	The threads of a round: the collapser (the agent's attempts:
 *	MADV_COLLAPSE, or khugepaged woken and waited for), the registrar
 *	(a thread, or a child process per round) and the fault handler's
 *	online judge, the probers and the writer; start_actor() starts one.
 *	Each waits at 'start', does its part of the round and waits at
 *	'end'.  Attempts are made when they can reach the kernel's checks:
 *	not while the registrar's touches fill the holes, and the probers
 *	hold off while an attempt scans the range.
 * stress_round.c
 *	A round's plan and bookkeeping: the start delays (plan_round()), the
 *	punch and refill (reset_range()), the counts taken from the ledger
 *	(count_round()); and every bound on time: the failure record
 *	(stress_fail()), the deadline of spins (stress_overdue()) and
 *	barrier waits (stress_wait()), the watchdog (stress_watchdog()),
 *	which also fails a round in which an actor stopped making progress
 *	(STALL_S), naming it and the round's last fault.
 * stress_widen.c
 *	Window widening (--widen, --hunt): knobs that lengthen the kernel's
 *	collapse or load what races it, set up between rounds, their threads
 *	working only while a round runs (stress_widen.h).
 * stress_report.c
 *	The collapse results by errno bucket, the counters line and the
 *	--json summary line, from a snapshot of the counters.
 *
 * Invariants:
 *  - Nothing waits without a bound: every spin ends when stress_overdue()
 *    says so, every barrier wait goes through stress_wait(), and both end
 *    at deadline_ns.  What no deadline reaches, the watchdog does.
 *  - Every actor says it is alive (progress(), or at()) at least every
 *    STALL_S while a round runs, outside barrier waits: an actor that
 *    does not is stuck, and the watchdog fails the round within STALL_S
 *    instead of at the deadline.
 *  - The fault handler judges each fault as it reads it (oracle_live):
 *    a spurious fault or a fault loop fails the test then, not at the
 *    end of the round.
 *  - The main thread writes the per-round fields (round, the delays,
 *    data[], the per-round flags) only while every actor waits at
 *    'start'; an actor writes collapse_ns_avg and struct shared's
 *    per-round fields only between 'start' and 'end'.  The barriers order
 *    them.  What is read across that line (stop, the flags during a
 *    round, stage[], failed, round for the watchdog) uses __atomic
 *    builtins.
 *  - struct counters is added to by several threads at once (every
 *    prober adds to probes): every update is counter_add(), every read
 *    counter_get() or counters_snapshot().  A report may run while an
 *    actor is still going, after a barrier broke.
 *  - The first failure wins and is final: stress_fail() records one
 *    reason, stress_fail_why() returns it complete.
 *  - struct shared is MAP_SHARED: a registrar child process writes it.
 */
#ifndef UFFDC_STRESS_H
#define UFFDC_STRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "actors.h"
#include "agents.h"
#include "ledger.h"
#include "compat.h"
#include "oracle.h"
#include "rng.h"
#include "shmem_backing.h"
#include "thp_knobs.h"
#include "stress_widen.h"

#define MAX_PROBERS	8

/*
 * Bounds.  Every barrier, spin and wait of a test ends at its deadline:
 * --duration plus GRACE_S, more than the slowest round needs (a debug
 * kernel under TCG).  What no deadline reaches (an actor stuck inside the
 * kernel) the watchdog catches WATCHDOG_S later, and the harness kills
 * the test after HARNESS_MARGIN_S + 2 x --duration, the last backstop.
 */
#define GRACE_S		30
/* A walk race runs at most this much past --duration (struct walk_plan). */
#define WALK_EXTRA_S	120
#define WATCHDOG_S	10
#define HARNESS_MARGIN_S 60
/*
 * An actor that makes no progress for this long, outside a barrier wait,
 * is stuck: the round cannot finish, and the test fails then.  An actor
 * says it is alive at every step (a collapse attempt, a touched page, a
 * probe), each a few milliseconds at most even on a debug kernel under
 * TCG.
 */
#define STALL_S		3

/* The watchdog's exit status: kselftest's KSFT_FAIL. */
#define STRESS_EXIT_FAIL 1

/* Options, shared by every test of the run. */
struct stress_opts {
	uint64_t seed;
	double duration;	/* seconds per test */
	long rounds;		/* at most, per test */
	int threads;		/* probers */
	const char *json;
	struct widen_levels widen;	/* --widen: the knobs' levels, or --hunt's top */
	bool hunt;			/* --hunt: raise them step by step */
};

/*
 * The walk race (docs/findings/seek-hole-flicker.md), when collapses is
 * set: nothing registers; the pages outside [punch_first, punch_first +
 * punch_count) are written once and never touched again; in every round
 * the collapser collapses the range and punches those pages, 'collapses'
 * times over (the punch splits the new huge folio, so that the next
 * collapse joins small folios again), while the probers only walk the
 * file.  The test goes on past --duration until min_stored collapses
 * have been stored, at most WALK_EXTRA_S longer: a count of kernel work,
 * not a time, decides how much was exercised.
 */
struct walk_plan {
	uint32_t punch_first, punch_count;
	uint32_t collapses;	/* per round; 0: not a walk race */
	uint32_t min_stored;
};

/* What a variant of the fixture chooses. */
struct stress_variant {
	const char *name;	/* the variant's name, for the JSON summary */
	enum backing_kind backing;
	const char *huge;
	enum collapse_agent agent;
	bool writer;		/* pwrite new generations into holes mid-round */
	bool registrar_process;	/* register from a child process */
	int data_pct_min, data_pct_max;	/* populated share of the range */
	struct walk_plan walk;
	/*
	 * Data in blocks of one shmem mTHP size per round (a size below the
	 * PMD that the kernel offers, chosen by the seed): each data block
	 * is allocated by one store through a fill mapping while only that
	 * size's shmem_enabled is "always", before the round starts; so
	 * the collapses of the round join large folios, not pages.  The
	 * policy is "never" again while the round runs: nothing else
	 * allocates at that size.  No writer (its pwrite could allocate a
	 * block into registered holes: fill-on-alloc).
	 */
	bool mthp;
	/*
	 * The writer thread also pushes data pages out to swap mid-round
	 * (MADV_PAGEOUT through a shared mapping of its own, the pager's),
	 * so that collapses swap them in and the registrar's touches find
	 * them swapped out.  SKIP without swap: nothing would go out.
	 */
	bool pageout;
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

/* Collapse results, by errno (errs_bucket()). */
enum { ERRS_OK, ERRS_EBUSY, ERRS_EAGAIN, ERRS_EINVAL, ERRS_ENOMEM, ERRS_OTHER, ERRS_NR };
extern const char * const errs_names[ERRS_NR];

/* Only uint64_t: counters_snapshot() copies them one by one, atomically. */
struct counters {
	uint64_t rounds, collapse_tries, collapse_res[ERRS_NR], ranges_filled;
	uint64_t registrations, probes, faults, copies, eexist, writes, touches;
	uint64_t walks;			/* lseeks of walks (probe_walk()) */
	uint64_t holes_seen_registered;	/* rounds where a registered hole was probed */
	/*
	 * Over the test, from /proc/vmstat and khugepaged's counters: huge
	 * pages allocated for a collapse (thp_collapse_alloc, so collapses
	 * that got past the scan of the range into collapse_file()), and
	 * khugepaged's full scans.
	 */
	uint64_t collapse_allocs, khugepaged_scans;
	uint64_t collapse_allocs_known;	/* 1: the kernel counts VM events */
	/*
	 * mTHP variants: data blocks stored, and shmem folios the kernel
	 * allocated at the round's size for them (stats/shmem_alloc growth,
	 * mthp_folios_known: 1 when every chosen size has that counter).
	 */
	uint64_t mthp_blocks, mthp_folios, mthp_folios_known;
	uint64_t pageouts;		/* MADV_PAGEOUT calls (a pageout variant) */
	uint64_t swapped_out;		/* ...pages they pushed out, as measured */
	uint64_t violations[V_NR];
};

struct stress;

#define TOUCHED_ALL	2	/* struct shared's touching: every page touched */

/*
 * The round's last fault, as the fault handler saw it, for a stuck
 * report.  __atomic fields: the handler (maybe in a registrar process)
 * writes them while the watchdog reads.
 */
struct last_fault {
	uint64_t faults;	/* this round, 0: none yet */
	int64_t read_ns;	/* mono_ns() when its message was read */
	uint32_t page;
	uint32_t map;
	int32_t tid;		/* the faulting thread, 0: not known */
	int32_t resolved;	/* 0: not yet; 1: resolved; -errno: its UFFDIO_COPY failed */
	uint32_t same_page;	/* faults of that page this round */
};

/*
 * MAP_SHARED, so that a registrar running as a child process (its own mm,
 * like a VMM's) sees and sets them too.
 */
struct shared {
	int collapse_first;	/* this round: one collapse attempt made */
	/* the registrar is filling holes itself: 1, or TOUCHED_ALL when done */
	int touching;
	int setup_err;
	char why[256];
	int failed;		/* __atomic: 0, 1 (being written) or 2; see stress_fail() */
	char fail_why[1024];
	/* Where each actor is (SLOT_*, a string literal), for a stuck report. */
	const char *stage[SLOT_PROBER + MAX_PROBERS];
	/* Each actor's progress (__atomic): the watchdog's stall detection. */
	uint64_t beat[SLOT_PROBER + MAX_PROBERS];
	uint32_t touch_page;	/* __atomic: the page the registrar touches */
	struct last_fault last;
	uint32_t online[V_NR];	/* __atomic: the fault handler's online verdicts */
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
	const struct stress_variant *v;
	const struct stress_opts *opt;
	struct backing b;
	struct ledger *l;
	size_t ps;
	uint32_t hp;
	const struct collapse_agent_ops *agent;	/* the variant's */
	struct agent_ctx ac;	/* what the agent sees; owns the unregistered mapping */
	char *other;		/* ac's unregistered mapping: collapser, mincore, writer */
	char *reg;		/* the mapping the registrar registers */
	char *pager;		/* a pageout variant's own shared mapping, else NULL */
	uint8_t *data;		/* per page: populated this round */

	struct bbarrier start, end;
	bool barriers;			/* initialized */
	pthread_t watchdog_thread;
	bool watchdog_running;
	int watchdog_stop;		/* __atomic: the teardown stops it */
	int64_t deadline_ns;		/* mono_ns(): no wait goes past it */
	int stalled_slot;		/* __atomic: the stuck actor's slot, -1: none */
	/* Test hooks (UFFDC_INJECT=...): each must make the test fail. */
	bool inject_handler_exit;	/* handler-exit */
	bool inject_stall;		/* actor-stall: the writer stops */
	bool inject_fault_loop;		/* fault-loop: the handler's test hook */
	bool inject_spurious;		/* spurious-fault: a data page punched unrecorded */
	bool inject_handler_stall;	/* handler-stall: a fault left unanswered */
	bool inject_registrar_crash;	/* registrar-crash: its process dies of SIGSEGV */
	int nactors;
	struct actor actors[4 + MAX_PROBERS];
	/*
	 * Flags: the actors use __atomic builtins; the main thread resets
	 * them while every actor waits at 'start'.
	 */
	int stop;		/* ends the run */
	int collapse_done;	/* this round: collapser finished */
	int registrar_done;
	struct shared *sh;	/* what a registrar process shares with us */
	struct widen *widen;	/* --widen, --hunt (stress_widen.h); NULL: none */

	/* per round choices */
	uint64_t round;		/* the watchdog reads it: __atomic stores */
	long delay_collapse_ns, delay_register_ns, delay_write_ns;
	int last_hole;		/* the round's last page not populated, -1: none */
	long collapse_ns_avg;	/* measured length of a collapse */
	long filled_ns_avg;	/* khugepaged: measured time to fill the range */
	/*
	 * __atomic: when the collapser's attempt under way began (mono_ns(),
	 * 0: none), and the measured length of an attempt that stopped at
	 * the scan of the range (EAGAIN): the probers hold off that long
	 * after an attempt begins (stress_actors.c, hold_off()).
	 */
	int64_t attempt_ns;
	long scan_ns_avg;

	struct counters c;	/* counter_add(), counter_get() only */

	/* mTHP variants (stress_variant.mthp): set up once, main thread only. */
	char *fill;			/* unregistered, no MADV_HUGEPAGE: the fills */
	unsigned int mthp_orders[NR_ORDERS];	/* the sizes offered below the PMD */
	unsigned int n_mthp;
	unsigned int mthp_order;	/* this round's */
	uint32_t mthp_rounds[NR_ORDERS];	/* rounds per order */
};

static inline void counter_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* This thread of slot is alive: it did one more step. */
static inline void progress(struct stress *s, int slot)
{
	__atomic_fetch_add(&s->sh->beat[slot], 1, __ATOMIC_RELAXED);
}

/* Say where this thread is (SLOT_*), for a stuck report: progress too. */
static inline void at(struct stress *s, int slot, const char *what)
{
	__atomic_store_n(&s->sh->stage[slot], what, __ATOMIC_RELAXED);
	progress(s, slot);
}

/* Where the thread of slot is, "-" before it said. */
static inline const char *stage_of(struct stress *s, int slot)
{
	return __atomic_load_n(&s->sh->stage[slot], __ATOMIC_RELAXED) ?: "-";
}

/* The test has failed: stress_fail() was called. */
static inline bool failed(struct stress *s)
{
	return __atomic_load_n(&s->sh->failed, __ATOMIC_ACQUIRE);
}

/* stress_actors.c */

/*
 * Start the actor of slot (SLOT_COLLAPSER, SLOT_REGISTRAR, SLOT_WRITER, or
 * SLOT_PROBER with its index) as a thread.  Returns 0 or an errno.
 */
int start_actor(struct stress *s, int slot, int index);

/* stress_round.c */

/*
 * The test fails, for the reason given: the first reason wins.  Any actor
 * may call it, a registrar process too; the round loop stops on it.
 */
void stress_fail(struct stress *s, const char *fmt, ...)
	__printf(2, 3);

/* The first reason stress_fail() was given, once it is written out. */
const char *stress_fail_why(struct stress *s);

/* "main: judge, collapser: MADV_COLLAPSE, registrar: touch, ..." */
void stress_stages(struct stress *s, char *buf, size_t len);

/*
 * For a spin: true when the test has failed already or, past the
 * deadline, after failing it because of who was still waiting.
 */
bool stress_overdue(struct stress *s, const char *who);

/*
 * Wait at barrier b (&s->start or &s->end) until the deadline: 0, or
 * -errno when it broke.  A wait that times out fails the test.
 */
int stress_wait(struct stress *s, struct bbarrier *b, int slot);

/*
 * The watchdog thread: pthread_create(..., stress_watchdog, s); it ends
 * when watchdog_stop is set.  Every 100 ms it looks for an actor stuck
 * for STALL_S (the test fails, naming it, where it is and the round's
 * last fault, and the barriers break so the round loop ends), and
 * WATCHDOG_S past the deadline it ends the process.
 */
void *stress_watchdog(void *arg);

/* "its last fault: page 17 via map 1 by thread 812, read 3.0 s ago, not resolved" */
void format_last_fault(struct stress *s, char *buf, size_t len);

/* Choose this round's start delays. */
void plan_round(struct stress *s, struct rng *rng);

/*
 * Punch the range (the huge page too), then populate a random share; a
 * walk race populates its fixed layout in round 0 and then leaves it be.
 */
int reset_range(struct stress *s, struct rng *rng);

/* Add this round's registrar-side counts, from the ledger. */
void count_round(struct stress *s);

/* stress_report.c */

/* ERRS_* for a collapse's errno. */
int errs_bucket(int err);

/* Every counter, each read atomically. */
void counters_snapshot(const struct counters *c, struct counters *out);

/* "elapsed=1.00s rounds/s=31.8 collapse attempts/s=3371" */
void format_rates(char *buf, size_t len, const struct counters *c, double secs);

/* "rounds=32 collapses tried=... violations: lost-fault=0 ..." */
void format_counters(char *buf, size_t len, const struct counters *c);

/* Append the summary line of test to the file path (--json). */
void write_json(const char *path, const char *test, uint64_t seed,
		const struct counters *c, bool test_failed);

#endif
