/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userfaultfd: register/unregister with ledger records, and a handler
 * thread that logs every message and resolves MISSING faults.  Opening
 * one and negotiating its features is uffd_open(), in util.h.
 */
#ifndef UFFDC_UFFD_UTIL_H
#define UFFDC_UFFD_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "util.h"		/* uffd_open() */

/* Register [addr, addr + len) MODE_MISSING, logging EV_REGISTER. */
int uffd_register_missing(int uffd, void *addr, size_t len, uint32_t first_page,
			  uint16_t map, struct ledger *l, uint16_t actor);
int uffd_unregister(int uffd, void *addr, size_t len, uint32_t first_page,
		    uint16_t map, struct ledger *l, uint16_t actor);

enum uffd_resolve {
	RESOLVE_COPY,		/* UFFDIO_COPY a pattern of resolve_gen */
	RESOLVE_ZEROPAGE,	/* UFFDIO_ZEROPAGE */
};

#define UFFD_MAX_REGIONS 8

struct uffd_region {
	char *addr;
	size_t len;
	uint32_t first_page;	/* file page index of addr */
	uint16_t map;
};

/* What a handler's on_event() says to do with the fault it was shown. */
enum uffd_fault_action {
	UFFD_FAULT_RESOLVE,	/* resolve it as usual */
	/*
	 * Resolving cannot end it (a fault loop): the thread exits as a
	 * dead one does, releasing its regions so that the touches return.
	 */
	UFFD_FAULT_GIVE_UP,
};

struct uffd_handler {
	int uffd;
	struct ledger *l;
	uint16_t actor;
	enum uffd_resolve resolve;
	int32_t resolve_gen;
	size_t page_size;
	int nregions;
	struct uffd_region region[UFFD_MAX_REGIONS];

	/*
	 * Optional: called in the handler thread with each event it has
	 * just recorded, an EV_FAULT before resolving it (its return is an
	 * enum uffd_fault_action) and the EV_FILL of its resolution (return
	 * ignored), so that a program can judge a fault the moment it is
	 * read.  An EV_FAULT's value is the faulting thread's id when the
	 * userfaultfd has UFFD_FEATURE_THREAD_ID.
	 */
	int (*on_event)(struct uffd_handler *h, const struct ev *e, void *arg);
	void *on_event_arg;

	/*
	 * Test hook: on its Nth fault (1 = the first) the thread exits with
	 * -EIO without resolving it, as if read() had failed.  0: never.
	 */
	uint64_t inject_exit_at_fault;
	/*
	 * Test hook: every fault is answered as a kernel that keeps reporting
	 * missing a page it holds would make it look: an unrecorded
	 * UFFDIO_COPY (waking nobody) fills the page behind the handler's
	 * back, the recorded one finds it (EEXIST), and the page is removed
	 * again (unrecorded MADV_REMOVE) before the faulting thread is woken,
	 * so it faults again, forever.  RESOLVE_COPY only.
	 */
	bool inject_fault_loop;

	/*
	 * UFFD_FEATURE_EVENT_FORK: a fork copies the registered regions into
	 * the child, registered with a new userfaultfd that the fork event
	 * hands to this thread.  Non-zero: the thread serves the first such
	 * one too, logging its faults and resolutions as map + this offset
	 * (the child's map ids).  0: fork events are counted, their fd closed.
	 */
	uint16_t fork_map_offset;

	/* results, valid after uffd_handler_stop() */
	uint64_t faults, copies, zeropages, eexist, errors, other_msgs, stray, forks;
	/*
	 * Why the thread ended before it was asked to stop: -errno and the
	 * step that failed; 0 and NULL while it runs or when it was stopped.
	 */
	int exit_err;
	const char *exit_op;

	/* private */
	pthread_t thread;
	int stopfd;
	int fork_uffd;		/* the forked userfaultfd served, -1: none */
	void *buf;		/* a page to copy from */
	bool running;
	int stop_asked;		/* __atomic */
	int died;		/* __atomic: exit_err and exit_op are set */
};

int uffd_handler_add_region(struct uffd_handler *h, void *addr, size_t len,
			    uint32_t first_page, uint16_t map);
/*
 * Start the handler thread.  If it ends on its own (an allocation or
 * read() failure, a cancellation), it records why and, on its way out,
 * unregisters its regions (logging EV_UNREGISTER), which wakes every
 * thread blocked on a fault there and lets later touches through: a
 * dead handler never leaves a touch hanging.
 */
int uffd_handler_start(struct uffd_handler *h);
/* Drain what is pending, then stop the thread. */
void uffd_handler_stop(struct uffd_handler *h);

/*
 * In a child forked while the thread ran: the thread is not ours (fork
 * copies the calling thread alone), and its stop eventfd is the parent's.
 * Make uffd_handler_stop() a no-op here without touching either.
 */
void uffd_handler_forget(struct uffd_handler *h);

/* True once the thread has ended on its own; exit_err says why. */
bool uffd_handler_died(struct uffd_handler *h);

/*
 * Unregister every region of the handler (EV_UNREGISTER), waking the
 * threads blocked on their faults.  For a watchdog that finds the handler
 * gone; a dying handler does it itself.  Returns 0 or the first -errno.
 */
int uffd_handler_release(struct uffd_handler *h);

/*
 * "fault handler thread exited: read: Bad file descriptor, after 3
 * fault(s)" for a handler that died; empty otherwise.
 */
void uffd_handler_why(struct uffd_handler *h, char *buf, size_t len);

#endif
