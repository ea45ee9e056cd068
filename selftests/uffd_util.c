// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd registration with ledger records, and the logging fault
 * handler thread: see uffd_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "content.h"
#include "uffd_util.h"

static int log_reg(int kind, int uffd, void *addr, size_t len, uint32_t first_page,
		   uint16_t map, struct ledger *l, uint16_t actor)
{
	struct ev e = { .kind = kind, .page = first_page,
			.npages = len / getpagesize(), .map = map, .actor = actor };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };
	int ret;

	e.t0 = ledger_stamp(l);
	if (kind == EV_REGISTER)
		ret = ioctl(uffd, UFFDIO_REGISTER, &reg);
	else
		ret = ioctl(uffd, UFFDIO_UNREGISTER, &range);
	e.err = ret ? errno : 0;
	e.t1 = ledger_stamp(l);
	ledger_add(l, &e);
	return -e.err;
}

int uffd_register_missing(int uffd, void *addr, size_t len, uint32_t first_page,
			  uint16_t map, struct ledger *l, uint16_t actor)
{
	return log_reg(EV_REGISTER, uffd, addr, len, first_page, map, l, actor);
}

int uffd_unregister(int uffd, void *addr, size_t len, uint32_t first_page,
		    uint16_t map, struct ledger *l, uint16_t actor)
{
	return log_reg(EV_UNREGISTER, uffd, addr, len, first_page, map, l, actor);
}

int uffd_handler_add_region(struct uffd_handler *h, void *addr, size_t len,
			    uint32_t first_page, uint16_t map)
{
	if (h->nregions >= UFFD_MAX_REGIONS)
		return -ENOSPC;
	h->region[h->nregions++] = (struct uffd_region){
		.addr = addr, .len = len, .first_page = first_page, .map = map,
	};
	return 0;
}

static const struct uffd_region *find_region(struct uffd_handler *h, uint64_t addr)
{
	int i;

	for (i = 0; i < h->nregions; i++)
		if (addr >= (uintptr_t)h->region[i].addr &&
		    addr < (uintptr_t)h->region[i].addr + h->region[i].len)
			return &h->region[i];
	return NULL;
}

/* The test hook's fill behind the handler's back: recorded nowhere. */
static void inject_hidden_fill(struct uffd_handler *h, int fd, uint64_t dst, void *buf)
{
	struct uffdio_copy copy = { .dst = dst, .src = (uintptr_t)buf,
				    .len = h->page_size, .mode = UFFDIO_COPY_MODE_DONTWAKE };

	if (h->inject_fault_loop)
		ioctl(fd, UFFDIO_COPY, &copy);
}

static void resolve(struct uffd_handler *h, int fd, const struct uffd_region *r,
		    uint16_t map, uint64_t addr, void *buf)
{
	uint64_t dst = addr & ~((uint64_t)h->page_size - 1);
	uint32_t page = r->first_page + (dst - (uintptr_t)r->addr) / h->page_size;
	struct ev e = { .kind = EV_FILL, .page = page, .npages = 1, .map = map,
			.actor = h->actor };
	struct uffdio_range wake = { .start = dst, .len = h->page_size };
	int ret;

	if (h->resolve == RESOLVE_COPY) {
		struct uffdio_copy copy = { .dst = dst, .src = (uintptr_t)buf,
					    .len = h->page_size };

		content_fill(buf, h->page_size, page, h->resolve_gen);
		inject_hidden_fill(h, fd, dst, buf);
		e.aux = FILL_UFFD_COPY;
		e.value = h->resolve_gen;
		e.t0 = ledger_stamp(h->l);
		ret = ioctl(fd, UFFDIO_COPY, &copy);
		e.err = ret ? errno : 0;
		e.t1 = ledger_stamp(h->l);
		h->copies += !ret;
	} else {
		struct uffdio_zeropage zp = { .range = wake };

		e.aux = FILL_UFFD_ZEROPAGE;
		e.t0 = ledger_stamp(h->l);
		ret = ioctl(fd, UFFDIO_ZEROPAGE, &zp);
		e.err = ret ? errno : 0;
		e.t1 = ledger_stamp(h->l);
		h->zeropages += !ret;
	}
	ledger_add(h->l, &e);
	if (h->on_event)
		h->on_event(h, &e, h->on_event_arg);
	if (ret && e.err == EEXIST) {
		/* Somebody filled it: the faulting thread still needs waking. */
		h->eexist++;
		if (h->inject_fault_loop)
			madvise((void *)(uintptr_t)dst, h->page_size, MADV_REMOVE);
		ioctl(fd, UFFDIO_WAKE, &wake);
	} else if (ret) {
		h->errors++;
		ioctl(fd, UFFDIO_WAKE, &wake);
	}
}

/* Record why the thread is about to end on its own. */
static void handler_failed(struct uffd_handler *h, const char *op, int err)
{
	h->exit_op = op;
	h->exit_err = err;
}

/*
 * A fork event: the new userfaultfd serves the child's copies of our
 * regions.  Keep the first when asked to (fork_map_offset), close others.
 */
static void take_fork(struct uffd_handler *h, int fd)
{
	h->forks++;
	if (h->fork_map_offset && h->fork_uffd < 0)
		h->fork_uffd = fd;
	else
		close(fd);
}

/*
 * Read what fd holds and handle it; map_off: added to the regions' map
 * ids (the forked userfaultfd's faults are the child's).  Returns 0, or
 * -errno when the thread must end (after handler_failed()).
 */
static int drain(struct uffd_handler *h, int fd, uint16_t map_off, void *buf)
{
	struct ev e = { .kind = EV_FAULT, .npages = 1, .actor = h->actor };
	struct uffd_msg msg[16];
	ssize_t n;
	int i;

	e.t0 = ledger_stamp(h->l);
	n = read(fd, msg, sizeof(msg));
	e.t1 = ledger_stamp(h->l);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		h->errors++;
		handler_failed(h, "read", -errno);
		return -errno;
	}
	for (i = 0; i < n / (ssize_t)sizeof(msg[0]); i++) {
		const struct uffd_region *r;
		uint64_t addr;

		if (msg[i].event == UFFD_EVENT_FORK) {
			take_fork(h, msg[i].arg.fork.ufd);
			continue;
		}
		if (msg[i].event != UFFD_EVENT_PAGEFAULT) {
			h->other_msgs++;
			continue;
		}
		addr = msg[i].arg.pagefault.address;
		r = find_region(h, addr);
		if (!r) {
			h->stray++;
			continue;
		}
		h->faults++;
		e.page = r->first_page + (addr - (uintptr_t)r->addr) / h->page_size;
		e.map = r->map + map_off;
		e.value = (int32_t)msg[i].arg.pagefault.feat.ptid;
		ledger_add(h->l, &e);
		if (h->faults == h->inject_exit_at_fault) {
			handler_failed(h, "injected exit (test hook)", -EIO);
			return -EIO;
		}
		if (h->on_event &&
		    h->on_event(h, &e, h->on_event_arg) == UFFD_FAULT_GIVE_UP) {
			handler_failed(h, "gave up on a fault that resolving cannot end", -ELOOP);
			return -ELOOP;
		}
		resolve(h, fd, r, e.map, addr, buf);
	}
	return 0;
}

static void handler_main(struct uffd_handler *h)
{
	struct pollfd pfd[3] = {
		{ .fd = h->uffd, .events = POLLIN },
		{ .fd = h->stopfd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};
	bool stopping = false;
	void *buf = h->buf;

	for (;;) {
		/* Bounded: a stop request is seen within 100 ms. */
		pfd[2].fd = h->fork_uffd;
		if (poll(pfd, 3, 100) < 0 && errno != EINTR) {
			handler_failed(h, "poll", -errno);
			break;
		}
		if (pfd[1].revents & POLLIN)
			stopping = true;
		/* Both, every time: what a stop finds pending is drained first. */
		if (drain(h, h->uffd, 0, buf))
			break;
		if (h->fork_uffd >= 0 && drain(h, h->fork_uffd, h->fork_map_offset, buf))
			break;
		if (stopping && !(pfd[0].revents & POLLIN) && !(pfd[2].revents & POLLIN))
			break;
	}
}

int uffd_handler_release(struct uffd_handler *h)
{
	int i, ret, first = 0;

	for (i = 0; i < h->nregions; i++) {
		const struct uffd_region *r = &h->region[i];

		ret = log_reg(EV_UNREGISTER, h->uffd, r->addr, r->len, r->first_page,
			      r->map, h->l, h->actor);
		if (ret && !first)
			first = ret;
		/* The child's copy too: the ioctls act on the context's mm. */
		if (h->fork_uffd >= 0)
			log_reg(EV_UNREGISTER, h->fork_uffd, r->addr, r->len, r->first_page,
				r->map + h->fork_map_offset, h->l, h->actor);
	}
	return first;
}

/*
 * The thread's last act, however it ends (return or cancellation): a
 * handler that was not asked to stop is dead, and its faults would never
 * be resolved, so it unregisters its regions and the touches go on.
 */
static void handler_gone(void *arg)
{
	struct uffd_handler *h = arg;

	if (__atomic_load_n(&h->stop_asked, __ATOMIC_ACQUIRE) && !h->exit_err)
		return;
	if (!h->exit_err)
		handler_failed(h, "thread ended unasked", -ECANCELED);
	uffd_handler_release(h);
	__atomic_store_n(&h->died, 1, __ATOMIC_RELEASE);
}

static void *handler_thread(void *arg)
{
	pthread_cleanup_push(handler_gone, arg);
	handler_main(arg);
	pthread_cleanup_pop(1);
	return NULL;
}

bool uffd_handler_died(struct uffd_handler *h)
{
	return __atomic_load_n(&h->died, __ATOMIC_ACQUIRE);
}

void uffd_handler_why(struct uffd_handler *h, char *buf, size_t len)
{
	if (!uffd_handler_died(h)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "fault handler thread exited: %s: %s, after %llu fault(s)",
		 h->exit_op, strerror(-h->exit_err), (unsigned long long)h->faults);
}

int uffd_handler_start(struct uffd_handler *h)
{
	int ret;

	if (!h->page_size)
		h->page_size = getpagesize();
	h->exit_err = 0;
	h->exit_op = NULL;
	h->stop_asked = 0;
	h->died = 0;
	h->forks = 0;
	h->fork_uffd = -1;
	/*
	 * Allocated here, not in the thread: a fork() with EVENT_FORK waits
	 * in the kernel until this thread reads the fork event, while glibc
	 * holds malloc's locks across the fork.  The thread takes no libc
	 * lock at all (no allocation, no stdio), or it could wait for them.
	 */
	h->buf = aligned_alloc(h->page_size, h->page_size);
	if (!h->buf)
		return -ENOMEM;
	h->stopfd = eventfd(0, EFD_CLOEXEC);
	if (h->stopfd < 0) {
		free(h->buf);
		return -errno;
	}
	ret = pthread_create(&h->thread, NULL, handler_thread, h);
	if (ret) {
		close(h->stopfd);
		free(h->buf);
		return -ret;
	}
	h->running = true;
	return 0;
}

void uffd_handler_stop(struct uffd_handler *h)
{
	uint64_t one = 1;

	if (!h->running)
		return;
	__atomic_store_n(&h->stop_asked, 1, __ATOMIC_RELEASE);
	if (write(h->stopfd, &one, sizeof(one)) < 0)
		h->errors++;
	pthread_join(h->thread, NULL);
	close(h->stopfd);
	free(h->buf);
	h->buf = NULL;
	if (h->fork_uffd >= 0)
		close(h->fork_uffd);
	h->fork_uffd = -1;
	h->running = false;
}

void uffd_handler_forget(struct uffd_handler *h)
{
	h->running = false;
}
