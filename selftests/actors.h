/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Actor steps shared by the contract and stress tests: each does one thing
 * to the range and records it in the ledger.
 */
#ifndef UFFDC_ACTORS_H
#define UFFDC_ACTORS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ledger.h"
#include "shmem_backing.h"
#include "util.h"		/* mono_ns(): every wait below ends at a deadline on it */

/*
 * Touch every page of [addr, addr + n pages) through the mapping
 * (EV_TOUCH), by the access path how (ledger.h): a load that decodes what
 * it saw, or a store of pattern gen.  Either must fault where there is a
 * hole in a registered range, and must not where there is data.  Each
 * touch is recorded as it begins (ledger_open()), so that the fault
 * handler can see which touch waits for the fault it reads.  Returns 0, or
 * the first -errno of a touch (each failed touch is logged with its errno
 * and no content: -ENOSYS, -EPERM and the like when the kernel lacks the
 * path).
 */
int touch_range(struct ledger *l, char *addr, uint32_t first_page, uint32_t n,
		uint16_t map, uint16_t actor, enum touch_how how, int32_t gen);

/*
 * MADV_DONTNEED of the mapping's n pages from addr (EV_ZAP): the next
 * access of each goes through the fault path again.  Returns -errno.
 */
int zap_range(struct ledger *l, char *addr, uint32_t first_page, uint32_t n,
	      uint16_t map, uint16_t actor);

/*
 * MADV_PAGEOUT of the n pages from addr of a shared mapping of the shmem
 * file fd (EV_PAGEOUT).  Only pages this process maps with a PTE can go
 * out.  Measures what went: the swap entries the range gained
 * (cachestat(2)), or before 6.5, of the pages with data[page -
 * first_page] set, those resident (mincore) before the call and not
 * after it.  Returns that count, or -errno when the call failed.
 */
int pageout_range(struct ledger *l, int fd, char *addr, uint32_t first_page, uint32_t n,
		  const uint8_t *data, uint16_t map, uint16_t actor);

/* Store pattern gen into the page at addr through a mapping (EV_FILL). */
void store_page(struct ledger *l, char *addr, uint32_t page, int32_t gen,
		uint16_t actor);

/*
 * Punch [first, first + n) out of the file (EV_REMOVE, recorded as it
 * begins).  Returns -errno.
 */
int punch_range(struct ledger *l, struct backing *b, uint32_t first, uint32_t n,
		uint16_t actor);

/* pread every page of [first, first + n) of a file backing (EV_READ). */
void read_range(struct ledger *l, struct backing *b, uint32_t first, uint32_t n,
		uint16_t actor);

/*
 * A barrier whose waits end at a deadline.  A pthread barrier waits
 * forever, so an actor that never arrives hangs the test; here the first
 * wait that reaches its deadline breaks the barrier, and every wait on a
 * broken barrier, under way or later, returns at once.  One stuck actor
 * cannot hold the others, and the test can say which barrier broke and
 * how many had arrived.
 */
struct bbarrier {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* on CLOCK_MONOTONIC */
	const char *name;
	unsigned int parties;
	unsigned int arrived;		/* in the current generation */
	unsigned int generation;
	int broken;			/* 0, -ETIMEDOUT or -ECANCELED */
	unsigned int arrived_at_break;	/* parties there when it broke */
};

/* Returns 0 or -errno. */
int bbarrier_init(struct bbarrier *b, const char *name, unsigned int parties);
void bbarrier_destroy(struct bbarrier *b);

/*
 * Wait until every party has arrived, or until deadline_ns (mono_ns()).
 * Returns 0 when all arrived, -ETIMEDOUT when this wait reached its
 * deadline (it breaks the barrier), -EPIPE when the barrier was or got
 * broken by another wait or by bbarrier_break().
 */
int bbarrier_wait(struct bbarrier *b, int64_t deadline_ns);

/* Break the barrier: every wait returns -EPIPE (a stop, a teardown). */
void bbarrier_break(struct bbarrier *b);

/*
 * Why the barrier broke, for a failure message: "barrier 'end' timed out
 * with 3 of 6 parties arrived".  Empty when it is not broken.
 */
void bbarrier_why(struct bbarrier *b, char *buf, size_t len);

/*
 * waitpid() a child until deadline_ns (mono_ns()).  Returns 0 with its
 * status, or -errno; -ETIMEDOUT when it was still running at the deadline:
 * it has then been sent SIGKILL and reaped (if it would not die within 5 s
 * more, it is left unreaped).  Never waits past the deadline + 5 s.
 */
int wait_child_until(pid_t pid, int *status, int64_t deadline_ns);

#endif
