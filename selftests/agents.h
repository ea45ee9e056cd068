/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Agents: whatever makes a huge page appear over a range of the backing
 * while a registration watches it.  Collapse agents make one out of the
 * range (MADV_COLLAPSE, khugepaged); fill agents allocate one page of it
 * through something other than the registered mapping, where the kernel
 * may choose a large folio that covers the registered holes too
 * (fill-on-alloc, docs/findings/fill-on-alloc.md).  Each agent is one entry of
 * collapse_agents[], a name and a few operations, read by the contract,
 * the stress and the ledger's report alike; no program switches on the
 * agent.  Adding an agent is one enum value, one table entry and its
 * functions (README, "Extending").
 *
 * The operations see the scenario through struct agent_ctx: the backing,
 * its unregistered mapping (made on demand, unmapped by agent_ctx_reset()),
 * the registered one, and where to record.  Every collapse attempt is an
 * EV_COLLAPSE in the ledger with the agent in aux; a fill is the access or
 * the fill event it made, through map AGENT_MAP (never a registered one).  Operations return 0 or -errno and
 * never exit; the tallies in the context say what was tried.
 */
#ifndef UFFDC_AGENTS_H
#define UFFDC_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "shmem_backing.h"

/* Recorded in EV_COLLAPSE aux; an index into collapse_agents[]. */
enum collapse_agent {
	AGENT_MADV_OTHER,	/* MADV_COLLAPSE on an unregistered mapping */
	AGENT_MADV_SELF,	/* MADV_COLLAPSE on the registered mapping */
	AGENT_MADV_PROCESS,	/* MADV_COLLAPSE from another process */
	AGENT_KHUGEPAGED,	/* khugepaged, observed through its counters */
	AGENT_MADV_FORK,	/* MADV_COLLAPSE in a fork, on its copy of the registered VMA */
	/* Fill agents: allocate c->trigger through something else. */
	AGENT_FILL_LOAD,	/* a load through another VM_HUGEPAGE mapping */
	AGENT_FILL_STORE,	/* a store through another VM_HUGEPAGE mapping */
	AGENT_FILL_PROCESS,	/* a load in another process's VM_HUGEPAGE mapping */
	AGENT_FILL_PWRITE,	/* pwrite() of the page */
	AGENT_FILL_FALLOCATE,	/* fallocate() of the page */
	AGENT_FILL_POPULATE,	/* MADV_POPULATE_WRITE of it on another mapping */
	AGENT_NR,
};

/* Ledger map ids of the agents' own mappings (AGENT_MAP + 1: a child's). */
#define AGENT_MAP	200

struct agent_ctx {
	/* set by the caller */
	struct ledger *l;
	struct backing *b;
	char *self;		/* the registered mapping of the first range */
	uint32_t hp;		/* pages per huge range */
	uint32_t nranges;	/* huge ranges from file page 0 */
	uint16_t actor;		/* ledger actor of the calling thread */
	int eagain_tries;	/* attempts per range while EAGAIN; 0 means 1 */
	long min_scans;		/* khugepaged: full scans to wait for, 0: until filled */
	unsigned int timeout_ms;	/* asynchronous agents: longest wait */
	/*
	 * khugepaged: its sleep, 0: khugepaged_fast()'s.  attempt() wakes it,
	 * so a long sleep leaves its schedule to the caller.
	 */
	unsigned int scan_sleep_ms;
	uint32_t trigger;	/* fill agents: the file page they allocate */
	uint32_t block;		/* fill agents: pages of the folio size under test */
	int32_t gen;		/* fill agents: what a store or pwrite writes */
	/*
	 * The ranges have no hole to fill: a range is collapsed when it is
	 * one huge page (backing_huge()), not when it is filled.
	 */
	bool until_huge;

	/* owned by the agent */
	char *other;		/* unregistered mapping of the whole backing */

	/* what happened */
	int tries, ok, last_err;	/* attempts, successes, last errno */
	long scans;		/* khugepaged full scans seen by the last call */
	/*
	 * khugepaged's attempt(): from the wakeup to the range seen filled,
	 * when it had holes before; 0 when it was not filled.  Its attempt
	 * goes on well past that (the rest of its full scan), so the stress
	 * sweeps the registration across this time, not the attempt's.
	 */
	long filled_ns;
	long allocated;		/* agent_act(): pages the file grew by, -1 unknown */
};

struct collapse_agent_ops {
	const char *name;
	/* A fill agent: act() allocates c->trigger; no collapse is made. */
	bool fills;
	/*
	 * Asynchronous: the kernel collapses on its own schedule once
	 * prepare() ran, and act() waits for it.  Its attempt(), if any,
	 * makes the kernel act now (khugepaged: a wakeup and the full scan
	 * that follows); without one the caller watches the file.
	 */
	bool asynchronous;
	/* Once per backing, after it is populated: may be NULL. */
	int (*prepare)(struct agent_ctx *c);
	/*
	 * One attempt on huge range `range` from the calling thread, no
	 * retry.  Returns the attempt's errno (0: the kernel said it
	 * collapsed; 6.1 may say EINVAL and still have collapsed, so judge
	 * by the file), or -errno when it could not be made at all.  An
	 * asynchronous agent maps what it saw onto MADV_COLLAPSE's errnos
	 * (agents.c, khugepaged_attempt()).
	 */
	int (*attempt)(struct agent_ctx *c, uint32_t range);
	/*
	 * Collapse every range of the scenario, retrying what is transient;
	 * or, for a fill agent, allocate c->trigger.  Returns 0 (look at the
	 * file for the outcome) or -errno; -ETIMEDOUT when an asynchronous
	 * agent did not act in time.
	 */
	int (*act)(struct agent_ctx *c);
	/*
	 * After the first attempt of a round, wait a bounded while for an
	 * asynchronous agent's work to land; NULL for synchronous ones.
	 */
	void (*settle)(struct agent_ctx *c);
};

extern const struct collapse_agent_ops collapse_agents[AGENT_NR];

static inline const struct collapse_agent_ops *agent_ops(enum collapse_agent a)
{
	return a < AGENT_NR ? &collapse_agents[a] : NULL;
}

const char *agent_name(enum collapse_agent a);

/* The unregistered mapping of the whole backing, mapped on first use. */
char *agent_other(struct agent_ctx *c);

/* Unmap what the agent mapped and clear the tallies. */
void agent_ctx_reset(struct agent_ctx *c);

/*
 * How many ranges of the scenario hold no hole (judged by the backing), or
 * with until_huge, are one huge page.
 */
uint32_t agent_ranges_filled(struct agent_ctx *c);

/* The agent's act(), measuring what the file allocated meanwhile. */
int agent_act(struct agent_ctx *c, enum collapse_agent a);

/*
 * After agent_act(), did the agent make a huge page: every range filled, or for a fill agent
 * one folio of c->block pages, the naturally aligned block around c->trigger?
 */
bool agent_landed(struct agent_ctx *c, enum collapse_agent a);

/*
 * MADV_COLLAPSE of [addr, addr + len), recorded as an EV_COLLAPSE of
 * `agent` at first_page (value: the range's pages when it returned 0,
 * else COLLAPSE_UNKNOWN).  Returns errno, 0 on success.
 */
int collapse_range(struct ledger *l, char *addr, size_t len, uint32_t first_page,
		   enum collapse_agent agent, uint16_t actor);

#endif
