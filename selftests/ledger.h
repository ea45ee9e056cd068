/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event ledger: every actor (registrar, prober, collapser, toucher,
 * fault handler) appends what it did or saw, stamped before and after the
 * operation from one global sequence counter.  The oracle never trusts
 * wall-clock order: event A happened before event B only when A.t1 < B.t0.
 *
 * The ledger may live in MAP_SHARED memory so that forked actors append to
 * the same record.
 */
#ifndef UFFDC_LEDGER_H
#define UFFDC_LEDGER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum ev_kind {
	EV_REGISTER,	/* MISSING registration of [page, page + npages) via map */
	EV_UNREGISTER,	/* registration of [page, page + npages) via map removed */
	EV_PROBE,	/* value: PROBE_HOLE or PROBE_DATA, aux: enum probe_method */
	/*
	 * MISSING fault message for page via map, read at t1; value: the
	 * faulting thread's id (UFFD_FEATURE_THREAD_ID), 0 when not known
	 */
	EV_FAULT,
	EV_FILL,	/* we made page data: value is the content gen, aux: how */
	EV_REMOVE,	/* we made [page, page + npages) a hole again, aux: how */
	/*
	 * access through map; aux: enum touch_how; value: content seen by a
	 * load (a CONTENT_* code or a generation, see content.h), gen stored
	 */
	EV_TOUCH,
	EV_READ,	/* pread of page; value: content seen, as EV_TOUCH's */
	/*
	 * collapse attempt of [page, page + npages) by agent aux (agents.h); err: its
	 * result; value: the pages found collapsed (see COLLAPSE_UNKNOWN)
	 */
	EV_COLLAPSE,
	/*
	 * MADV_DONTNEED of [page, page + npages) through map: its page tables
	 * are dropped.  A shared mapping's pages stay in the file (the next
	 * access faults them in again, and owes no MISSING fault for data);
	 * a MAP_PRIVATE mapping loses its own copies (its UFFDIO_COPY pages,
	 * its stores) and sees the file again.  Not a removal.
	 */
	EV_ZAP,
	/*
	 * MADV_PAGEOUT of [page, page + npages) through map (a shared one):
	 * reclaim may write its pages to swap.  A swapped-out shmem page is a
	 * swap entry in the page cache: data for SEEK_DATA, swapped in by the
	 * next access, which owes no MISSING fault; only mincore calls it
	 * not resident (oracle_opts.mincore_hole_is_evidence).  Not a
	 * removal.  value: the pages measured pushed out (pageout_range()).
	 */
	EV_PAGEOUT,
	EV_NR_KINDS,
};

enum probe_result {
	PROBE_HOLE,
	PROBE_DATA,
};

enum probe_method {
	PM_SEEK_DATA,
	PM_SEEK_HOLE,
	PM_MINCORE,
	PM_PAGEMAP,
	/*
	 * Walks, as sparse-aware copiers (cp --sparse, tar, QEMU's block
	 * layer) walk a file: one lseek from page 'from' (struct ev), logged
	 * with what its answer claims; 'again' is the answer of the same call
	 * repeated at once.  Claims of data are not logged.
	 *   PM_WALK_HOLE  SEEK_HOLE answered 'page': the hole starts there
	 *   PM_WALK_DATA  SEEK_DATA answered page + npages (the file's end
	 *                 for ENXIO): [page, page + npages) are holes, and
	 *                 page == from
	 */
	PM_WALK_HOLE,
	PM_WALK_DATA,
	PM_NR,
};

/* An EV_PROBE of a walk (PM_WALK_*). */
static inline bool pm_is_walk(unsigned int m)
{
	return m == PM_WALK_HOLE || m == PM_WALK_DATA;
}

/* How a fill came about; only for the report. */
enum fill_how {
	FILL_PWRITE,
	FILL_STORE,
	FILL_FALLOCATE,		/* fallocate() of the page: zeros */
	FILL_POPULATE,		/* MADV_POPULATE_WRITE through a mapping: zeros */
	/* The fault handler's, last: aux >= FILL_UFFD_COPY is a resolution. */
	FILL_UFFD_COPY,
	FILL_UFFD_ZEROPAGE,
};

/*
 * A touch reads or writes the whole page through the mapping, by one of
 * the access paths a program has: the CPU, or the kernel on its behalf
 * (copy_to_user()/copy_from_user() in a system call, GUP in
 * process_vm_readv/writev, an io_uring request).  Each is a load of the
 * page or a store to it (touch_how_stores()); loads first, then stores.
 */
enum touch_how {
	TOUCH_LOAD,		/* the CPU loads it */
	TOUCH_STORE,		/* the CPU stores to it */
	TOUCH_PWRITE_FROM,	/* pwrite(2) of it into a scratch file */
	TOUCH_VM_READV,		/* process_vm_readv() of it */
	TOUCH_URING_WRITE_FROM,	/* an io_uring write of it into a scratch file */
	TOUCH_PREAD_INTO,	/* pread(2) from a scratch file into it */
	TOUCH_VM_WRITEV,	/* process_vm_writev() to it */
	TOUCH_URING_READ_INTO,	/* an io_uring read from a scratch file into it */
	TOUCH_NR,
};

/* "load", "pread(2) into", ...: for reports. */
const char *touch_how_name(unsigned int how);

/* Does this access path write the page (else it reads it)? */
bool touch_how_stores(unsigned int how);

/* How a hole was made; only for the report. */
enum remove_how {
	REMOVE_PUNCH,
	REMOVE_MADV_REMOVE,
	REMOVE_TRUNCATE,
	REMOVE_DONTNEED,
};

/*
 * EV_COLLAPSE.value: how many pages of [page, page + npages) the recorder
 * found collapsed by t1, or COLLAPSE_UNKNOWN when it cannot tell.  Found
 * collapsed: MADV_COLLAPSE returned 0 (the kernel says the whole range is
 * now backed by huge pages: npages), or the range was seen without a hole
 * (khugepaged: the pages of every huge range seen filled, 0 when none
 * was).  A failed MADV_COLLAPSE is COLLAPSE_UNKNOWN, not 0: 6.1 fails with
 * EINVAL after it collapsed.  Nothing else goes there: how long khugepaged
 * was watched (its full scans) is the program's counter to report, not the
 * event's, and so is khugepaged's system-wide pages_collapsed.  The oracle
 * judges no collapse event; they are context in its reports.
 */
#define COLLAPSE_UNKNOWN	(-1)

#define MAP_FILE_LEVEL	0	/* map id of file-level observations */

struct ev {
	uint64_t t0, t1;	/* sequence stamps around the operation */
	uint32_t page;		/* first page (file page index) */
	uint32_t npages;	/* for ranges; 1 otherwise */
	uint16_t kind;		/* enum ev_kind */
	uint16_t aux;		/* method, agent or how; per kind */
	uint16_t map;		/* mapping id, MAP_FILE_LEVEL for the file */
	uint16_t actor;		/* who appended it, for the report */
	int32_t value;		/* per kind, see above */
	int32_t err;		/* errno of the operation, 0 on success */
	uint32_t from;		/* walks: the page the lseek started from */
	uint32_t again;		/* walks: the answer of the same lseek at once */
};

/*
 * An event recorded when its operation begins (ledger_open()) has this t1
 * until ledger_close() gives it its end: it is in flight.
 */
#define LEDGER_OPEN	UINT64_MAX

struct ledger {
	uint64_t seq;		/* the global clock */
	uint64_t len;		/* events appended (may exceed cap) */
	uint64_t cap;
	/*
	 * What a reader during a round may trust (ledger_published()): the
	 * first 'kept' events, kept by ledger_truncate(), and every slot
	 * whose t0 was published since the last reset or truncation, that
	 * is, t0 >= base.  The clock never goes back, so a slot's stale
	 * event from before has t0 < base.
	 */
	uint64_t base;
	uint64_t kept;
	struct ev ev[];
};

/* Allocates in MAP_SHARED memory so forked actors share it. */
struct ledger *ledger_create(uint64_t cap);
void ledger_destroy(struct ledger *l);
void ledger_reset(struct ledger *l);

/*
 * Keep only the first n events (nobody may be appending): what they record
 * stays evidence for the events appended next.  The clock goes on.
 */
void ledger_truncate(struct ledger *l, uint64_t n);

/* A stamp; call before and after the operation being recorded. */
uint64_t ledger_stamp(struct ledger *l);

/*
 * Append an event.  Returns false when the ledger is full: the caller must
 * then treat the round as unjudgeable rather than judge a partial record.
 * Its t0 is written last (release), so that a reader during the round sees
 * it whole or not at all (ledger_published()).
 */
bool ledger_add(struct ledger *l, const struct ev *e);

/*
 * Record an operation as it begins, for readers during the round (the
 * fault handler's online verdicts) to see it in flight: the slot is taken
 * first, then t0 is stamped, and the event is published with t1 =
 * LEDGER_OPEN and value CONTENT_NONE.  So an operation whose t0 is below
 * a stamp s has its slot below any ledger_count() read after s.  Returns
 * the slot for ledger_close(), or UINT64_MAX when the ledger is full
 * (it is then overflowed, as for ledger_add()).
 */
uint64_t ledger_open(struct ledger *l, struct ev *e);

/* The operation of slot i ended: stamp t1, record value and err. */
void ledger_close(struct ledger *l, uint64_t i, int32_t value, int32_t err);

/*
 * Slot i (below ledger_count()) during a round: a copy of its event when
 * it is published, false when its writer has not finished writing it.  A
 * copy's t1 is LEDGER_OPEN while the operation is in flight.
 */
bool ledger_published(const struct ledger *l, uint64_t i, struct ev *out);
bool ledger_overflowed(const struct ledger *l);
uint64_t ledger_count(const struct ledger *l);

const char *ev_kind_name(enum ev_kind k);
const char *probe_method_name(enum probe_method m);
void ev_format(const struct ev *e, char *buf, size_t len);

/* Per-kind counts for "what did this run exercise" lines. */
void ledger_counts(const struct ledger *l, uint64_t counts[EV_NR_KINDS]);

#endif
