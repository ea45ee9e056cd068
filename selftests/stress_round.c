// SPDX-License-Identifier: GPL-2.0
/*
 * The race stress's rounds (stress.h): the plan of each round and what is
 * counted after it, and the bounds on time that every actor goes through:
 * the failure record, the deadline of spins and barrier waits, and the
 * watchdog behind them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actors.h"
#include "khugepaged_ctl.h"
#include "ledger.h"
#include "rng.h"
#include "shmem_backing.h"
#include "stress.h"
#include "thp_settings.h"

/*
 * The first caller claims the record (failed 0 -> 1), writes its reason,
 * then publishes it (1 -> 2): failed() is true from the claim on, and
 * stress_fail_why() waits for the reason to be complete.
 */
void stress_fail(struct stress *s, const char *fmt, ...)
{
	int zero = 0;
	va_list ap;

	if (!__atomic_compare_exchange_n(&s->sh->failed, &zero, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	va_start(ap, fmt);
	vsnprintf(s->sh->fail_why, sizeof(s->sh->fail_why), fmt, ap);
	va_end(ap);
	__atomic_store_n(&s->sh->failed, 2, __ATOMIC_RELEASE);
}

/*
 * A vsnprintf() takes microseconds; a writer that never publishes (a
 * registrar process killed in the middle) costs one second, and what it
 * wrote so far is returned.
 */
const char *stress_fail_why(struct stress *s)
{
	int64_t until = mono_ns() + NSEC_PER_SEC;

	while (__atomic_load_n(&s->sh->failed, __ATOMIC_ACQUIRE) == 1 && mono_ns() < until)
		sched_yield();
	return s->sh->fail_why;
}

void stress_stages(struct stress *s, char *buf, size_t len)
{
	size_t n;
	int i;

	n = snprintf(buf, len, "main: %s", stage_of(s, SLOT_MAIN));
	for (i = 0; i < s->nactors && n < len; i++)
		n += snprintf(buf + n, len - n, ", %s: %s", s->actors[i].name,
			      stage_of(s, s->actors[i].slot));
}

bool stress_overdue(struct stress *s, const char *who)
{
	if (failed(s))
		return true;
	if (mono_ns() <= s->deadline_ns)
		return false;
	stress_fail(s, "round %llu: %s was still waiting at the deadline (--duration %.1f s + %d s)",
		    (unsigned long long)s->round, who, s->opt->duration, GRACE_S);
	return true;
}

/*
 * Every barrier wait ends at the test's deadline.  The wait that times out
 * fails the test, naming the barrier, how many had arrived and where every
 * actor is; it breaks the barrier, which releases the others.
 */
int stress_wait(struct stress *s, struct bbarrier *b, int slot)
{
	char why[128], where[768];
	int ret;

	at(s, slot, b == &s->start ? "at barrier 'start'" : "at barrier 'end'");
	ret = bbarrier_wait(b, s->deadline_ns);
	if (ret == -ETIMEDOUT) {
		bbarrier_why(b, why, sizeof(why));
		stress_stages(s, where, sizeof(where));
		stress_fail(s, "round %llu: %s at the deadline (--duration %.1f s + %d s); where each thread is: %s",
			    (unsigned long long)s->round, why, s->opt->duration, GRACE_S, where);
	}
	return ret;
}

void format_last_fault(struct stress *s, char *buf, size_t len)
{
	struct last_fault *f = &s->sh->last;
	uint64_t n = __atomic_load_n(&f->faults, __ATOMIC_ACQUIRE);
	int32_t tid = __atomic_load_n(&f->tid, __ATOMIC_RELAXED);
	int32_t res = __atomic_load_n(&f->resolved, __ATOMIC_RELAXED);
	char by[32] = "", how[80];

	if (!n) {
		snprintf(buf, len, "no fault was read this round");
		return;
	}
	if (tid)
		snprintf(by, sizeof(by), " by thread %d", tid);
	if (!res)
		snprintf(how, sizeof(how), "not resolved");
	else if (res > 0)
		snprintf(how, sizeof(how), "resolved by UFFDIO_COPY");
	else
		snprintf(how, sizeof(how), "UFFDIO_COPY failed: %s", strerror(-res));
	snprintf(buf, len, "the round's last fault (%llu read): page %u via map %u%s, read %.1f s ago, %s; %u fault(s) of that page this round",
		 (unsigned long long)n, __atomic_load_n(&f->page, __ATOMIC_RELAXED),
		 __atomic_load_n(&f->map, __ATOMIC_RELAXED), by,
		 (mono_ns() - __atomic_load_n(&f->read_ns, __ATOMIC_RELAXED)) / 1e9, how,
		 __atomic_load_n(&f->same_page, __ATOMIC_RELAXED));
}

static bool waiting_at_barrier(const char *stage)
{
	return !strncmp(stage, "at barrier", 10);
}

/*
 * An actor that neither made progress nor waited at a barrier for STALL_S
 * is stuck: fail the test naming it, where it is and the round's last
 * fault, and break the barriers so that the round loop and the others
 * stop now rather than at the deadline.
 */
static void check_stalls(struct stress *s, uint64_t *seen, int64_t *since, int64_t now)
{
	char where[768], fault[256], page[48] = "";
	const char *stage;
	uint64_t beat;
	int i, slot;

	for (i = 0; i < s->nactors; i++) {
		slot = s->actors[i].slot;
		beat = __atomic_load_n(&s->sh->beat[slot], __ATOMIC_RELAXED);
		stage = stage_of(s, slot);
		if (beat != seen[slot] || waiting_at_barrier(stage)) {
			seen[slot] = beat;
			since[slot] = now;
			continue;
		}
		if (now - since[slot] < STALL_S * NSEC_PER_SEC)
			continue;
		if (slot == SLOT_REGISTRAR && __atomic_load_n(&s->sh->touching, __ATOMIC_RELAXED))
			snprintf(page, sizeof(page), " (page %u)",
				 __atomic_load_n(&s->sh->touch_page, __ATOMIC_RELAXED));
		format_last_fault(s, fault, sizeof(fault));
		stress_stages(s, where, sizeof(where));
		__atomic_store_n(&s->stalled_slot, slot, __ATOMIC_RELAXED);
		stress_fail(s, "round %llu cannot finish: the %s made no progress for %.1f s, in: %s%s; %s; where each thread is: %s",
			    (unsigned long long)__atomic_load_n(&s->round, __ATOMIC_RELAXED),
			    s->actors[i].name, (now - since[slot]) / 1e9, stage, page, fault,
			    where);
		bbarrier_break(&s->start);
		bbarrier_break(&s->end);
		return;
	}
}

/*
 * Every 100 ms: the stall check while nothing has failed yet; and the
 * last resort, for a thread stuck where no deadline reaches (inside the
 * kernel, or the main thread itself): WATCHDOG_S after the deadline it
 * says where every thread is and ends the process, long before the
 * harness's timeout would kill it without a word.  The teardown stops it
 * (watchdog_stop).
 */
void *stress_watchdog(void *arg)
{
	struct stress *s = arg;
	uint64_t seen[SLOT_PROBER + MAX_PROBERS] = { 0 };
	int64_t since[SLOT_PROBER + MAX_PROBERS], now;
	struct timespec tick = { .tv_nsec = 100 * 1000000L };
	int64_t last = mono_ns();
	char where[768];
	int i;

	for (i = 0; i < SLOT_PROBER + MAX_PROBERS; i++)
		since[i] = last;
	while (!__atomic_load_n(&s->watchdog_stop, __ATOMIC_ACQUIRE)) {
		now = mono_ns();
		if (now > s->deadline_ns + WATCHDOG_S * NSEC_PER_SEC)
			break;
		/* Not run for a second: everyone was held (a loaded host), not one actor. */
		if (now - last > NSEC_PER_SEC)
			for (i = 0; i < SLOT_PROBER + MAX_PROBERS; i++)
				since[i] = now;
		last = now;
		if (!failed(s))
			check_stalls(s, seen, since, now);
		nanosleep(&tick, NULL);
	}
	if (__atomic_load_n(&s->watchdog_stop, __ATOMIC_ACQUIRE))
		return NULL;
	stress_stages(s, where, sizeof(where));
	fprintf(stderr, "# watchdog: %s still running %d s past its deadline (--duration %.1f s + %d s), round %llu; where each thread is: %s%s%s\n",
		s->v->name, WATCHDOG_S, s->opt->duration, GRACE_S,
		(unsigned long long)__atomic_load_n(&s->round, __ATOMIC_RELAXED),
		where, failed(s) ? "; failed first because: " : "",
		failed(s) ? stress_fail_why(s) : "");
	fflush(stderr);
	_exit(STRESS_EXIT_FAIL);
}

/*
 * Choose this round's start delays.  The registration sweeps from well
 * before to well after the collapse, in 33 steps across twice the measured
 * collapse length (for khugepaged, the time its attempt took to fill the
 * range: the attempt goes on well past that), with seeded jitter so
 * replays differ only in timing.  The steps come in an order that spreads
 * the first rounds across the whole window (13 is prime to 33), so a short
 * run samples all of it.
 */
#define SWEEP_STEPS	33
#define SWEEP_STRIDE	13

void plan_round(struct stress *s, struct rng *rng)
{
	long window = 2 * (s->filled_ns_avg ?: s->collapse_ns_avg ?: 200000);
	long step = window / (SWEEP_STEPS - 1);
	long pos = (long)(s->round * SWEEP_STRIDE % SWEEP_STEPS) * step;

	s->delay_collapse_ns = window / 2;
	s->delay_register_ns = pos + rng_below(rng, step + 1);
	s->delay_write_ns = rng_below(rng, window);
}

/*
 * An mTHP variant's data (stress_variant.mthp): the round's size is
 * chosen, each block of that size is data (pct percent of them, block 0
 * always) or a hole, and each data block is allocated by a store to its
 * first page through the fill mapping while that size alone is "always",
 * then its other pages are stored.  The stores are the ledger's fills.
 * The size's growth of stats/shmem_alloc says the kernel allocated them.
 */
static int fill_mthp_blocks(struct stress *s, struct rng *rng, uint32_t pct)
{
	unsigned int order = s->mthp_orders[rng_below(rng, s->n_mthp)];
	uint32_t bp = 1u << order, p, q;
	long before = thp_size_stat(order, "shmem_alloc"), after;
	int ret;

	s->mthp_order = order;
	s->mthp_rounds[order]++;
	ret = thp_shmem_size_set(order, "always");
	if (ret)
		return ret;
	for (p = 0; p < s->hp; p += bp) {
		bool data = !p || rng_below(rng, 100) < pct;

		for (q = p; q < p + bp; q++) {
			s->data[q] = data;
			if (data)
				store_page(s->l, s->fill + (size_t)q * s->ps, q, 1, ACT_MAIN);
			else
				s->last_hole = q;
		}
		counter_add(&s->c.mthp_blocks, data);
	}
	ret = thp_shmem_size_set(order, "never");
	after = thp_size_stat(order, "shmem_alloc");
	if (before >= 0 && after >= before)
		counter_add(&s->c.mthp_folios, after - before);
	else
		__atomic_store_n(&s->c.mthp_folios_known, 0, __ATOMIC_RELAXED);
	/* The fill mapping's page tables go: only the round's mappings map. */
	madvise(s->fill, (size_t)s->hp * s->ps, MADV_DONTNEED);
	return ret;
}

int reset_range(struct stress *s, struct rng *rng)
{
	const struct walk_plan *w = &s->v->walk;
	uint32_t pct, p;
	int ret;

	s->last_hole = -1;
	/* A walk race writes its data once: the collapser punches the rest. */
	if (w->collapses && s->round)
		return 0;
	ret = punch_range(s->l, &s->b, 0, s->hp, ACT_MAIN);
	if (ret)
		return ret;
	if (w->collapses) {
		for (p = 0; p < s->hp; p++) {
			s->data[p] = p < w->punch_first || p >= w->punch_first + w->punch_count;
			if (s->data[p]) {
				ret = backing_fill(&s->b, p, 1, s->l, ACT_MAIN);
				if (ret)
					return ret;
			}
		}
		return 0;
	}
	pct = s->v->data_pct_min +
	      rng_below(rng, s->v->data_pct_max - s->v->data_pct_min + 1);
	if (s->v->mthp)
		return fill_mthp_blocks(s, rng, pct);
	for (p = 0; p < s->hp; p++) {
		s->data[p] = rng_below(rng, 100) < pct;
		if (p == 0)
			s->data[p] = 1;	/* never an empty range */
		if (!s->data[p])
			s->last_hole = p;
		if (s->data[p]) {
			ret = backing_fill(&s->b, p, 1, s->l, ACT_MAIN);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Registrar-side counts come from the ledger: it may have been a child. */
void count_round(struct stress *s)
{
	uint64_t i, n = ledger_count(s->l);
	bool hole_seen = false;

	for (i = 0; i < n; i++) {
		const struct ev *e = &s->l->ev[i];

		switch (e->kind) {
		case EV_REGISTER:
			counter_add(&s->c.registrations, !e->err);
			break;
		case EV_FAULT:
			counter_add(&s->c.faults, 1);
			break;
		case EV_TOUCH:
			counter_add(&s->c.touches, 1);
			break;
		case EV_FILL:
			if (e->aux == FILL_UFFD_COPY) {
				counter_add(&s->c.copies, !e->err);
				counter_add(&s->c.eexist, e->err == EEXIST);
			}
			break;
		case EV_PROBE:
			hole_seen |= e->actor == ACT_REGISTRAR && e->value == PROBE_HOLE;
			break;
		}
	}
	counter_add(&s->c.holes_seen_registered, hole_seen);
}
