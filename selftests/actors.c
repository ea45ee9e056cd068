// SPDX-License-Identifier: GPL-2.0
/*
 * Actor steps that record what they did in the ledger, the bounded
 * barrier and the bounded child wait: see actors.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actors.h"
#include "compat.h"
#include "content.h"

/*
 * The kernel's access paths need a scratch file to copy through and, for
 * io_uring, a ring: set up once per touch_range().  A path the kernel
 * lacks (no io_uring) fails each touch with the reason.
 */
struct touch_io {
	size_t ps;
	int scratch;		/* memfd: pread/pwrite and io_uring copy through it */
	int ring_err;		/* 0, or why there is no ring */
	int ring;		/* io_uring fd */
	void *sq, *cq;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

/* A ring of two entries, by the raw system calls (no liburing). */
static int ring_setup(struct touch_io *io)
{
	struct io_uring_params p = { 0 };
	int fd;

	fd = syscall(__NR_io_uring_setup, 2, &p);
	if (fd < 0)
		return -errno;
	io->ring = fd;
	io->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	io->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	io->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	io->sq = mmap(NULL, io->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		      fd, IORING_OFF_SQ_RING);
	io->cq = mmap(NULL, io->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		      fd, IORING_OFF_CQ_RING);
	io->sqes = mmap(NULL, io->sqes_len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (io->sq == MAP_FAILED || io->cq == MAP_FAILED || io->sqes == MAP_FAILED)
		return -errno;
	io->sq_tail = (unsigned int *)((char *)io->sq + p.sq_off.tail);
	io->sq_mask = (unsigned int *)((char *)io->sq + p.sq_off.ring_mask);
	io->sq_array = (unsigned int *)((char *)io->sq + p.sq_off.array);
	io->cq_head = (unsigned int *)((char *)io->cq + p.cq_off.head);
	io->cq_tail = (unsigned int *)((char *)io->cq + p.cq_off.tail);
	io->cq_mask = (unsigned int *)((char *)io->cq + p.cq_off.ring_mask);
	io->cqes = (struct io_uring_cqe *)((char *)io->cq + p.cq_off.cqes);
	return 0;
}

static void touch_io_close(struct touch_io *io)
{
	if (io->sq && io->sq != MAP_FAILED)
		munmap(io->sq, io->sq_len);
	if (io->cq && io->cq != MAP_FAILED)
		munmap(io->cq, io->cq_len);
	if (io->sqes && io->sqes != MAP_FAILED)
		munmap(io->sqes, io->sqes_len);
	if (io->ring >= 0)
		close(io->ring);
	if (io->scratch >= 0)
		close(io->scratch);
}

static int touch_io_open(struct touch_io *io, enum touch_how how)
{
	memset(io, 0, sizeof(*io));
	io->ps = getpagesize();
	io->ring = -1;
	io->scratch = -1;
	if (how == TOUCH_LOAD || how == TOUCH_STORE ||
	    how == TOUCH_VM_READV || how == TOUCH_VM_WRITEV)
		return 0;
	io->scratch = memfd_create("uffdc-scratch", MFD_CLOEXEC);
	if (io->scratch < 0)
		return -errno;
	if (how == TOUCH_URING_WRITE_FROM || how == TOUCH_URING_READ_INTO)
		io->ring_err = ring_setup(io);
	return 0;
}

/* One read or write of len bytes at offset 0 of fd; bytes done or -errno. */
static long ring_rw(struct touch_io *io, int op, void *buf, unsigned int len)
{
	unsigned int tail, idx, head;
	struct io_uring_sqe *sqe;
	long ret;

	if (io->ring_err)
		return io->ring_err;
	tail = *io->sq_tail;
	idx = tail & *io->sq_mask;
	sqe = &io->sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = io->scratch;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	io->sq_array[idx] = idx;
	__atomic_store_n(io->sq_tail, tail + 1, __ATOMIC_RELEASE);
	ret = syscall(__NR_io_uring_enter, io->ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	if (ret < 0)
		return -errno;
	head = *io->cq_head;
	if (head == __atomic_load_n(io->cq_tail, __ATOMIC_ACQUIRE))
		return -EIO;
	ret = io->cqes[head & *io->cq_mask].res;
	__atomic_store_n(io->cq_head, head + 1, __ATOMIC_RELEASE);
	return ret;
}

/* The whole page moved, or -errno. */
static int whole(long n, size_t ps)
{
	if (n == (long)ps)
		return 0;
	return n < 0 ? (int)n : -EIO;
}

static int errno_whole(long n, size_t ps)
{
	return n < 0 ? -errno : whole(n, ps);
}

/*
 * Stage what a kernel store path will copy into the page: the scratch
 * file's first page (buf holds the pattern).
 */
static int stage(struct touch_io *io, const char *buf)
{
	return errno_whole(pwrite(io->scratch, buf, io->ps, 0), io->ps);
}

/*
 * One access of page by path how: a load leaves what it saw in buf, a
 * store copies buf in.  Only the access itself runs between the stamps
 * (at, then the caller's): staging and reading back happen outside.
 */
static int access_page(struct touch_io *io, enum touch_how how, char *page, char *buf,
		       struct ledger *l, uint64_t *t0)
{
	struct iovec local = { buf, io->ps }, remote = { page, io->ps };
	size_t ps = io->ps;
	int ret;

	switch (how) {
	case TOUCH_LOAD:
		*t0 = ledger_stamp(l);
		memcpy(buf, page, ps);
		return 0;
	case TOUCH_STORE:
		*t0 = ledger_stamp(l);
		memcpy(page, buf, ps);
		return 0;
	case TOUCH_PWRITE_FROM:
		*t0 = ledger_stamp(l);
		ret = errno_whole(pwrite(io->scratch, page, ps, 0), ps);
		return ret ?: errno_whole(pread(io->scratch, buf, ps, 0), ps);
	case TOUCH_VM_READV:
		*t0 = ledger_stamp(l);
		return errno_whole(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), ps);
	case TOUCH_URING_WRITE_FROM:
		*t0 = ledger_stamp(l);
		ret = whole(ring_rw(io, IORING_OP_WRITE, page, ps), ps);
		return ret ?: errno_whole(pread(io->scratch, buf, ps, 0), ps);
	case TOUCH_PREAD_INTO:
		ret = stage(io, buf);
		*t0 = ledger_stamp(l);
		return ret ?: errno_whole(pread(io->scratch, page, ps, 0), ps);
	case TOUCH_VM_WRITEV:
		*t0 = ledger_stamp(l);
		return errno_whole(process_vm_writev(getpid(), &local, 1, &remote, 1, 0), ps);
	case TOUCH_URING_READ_INTO:
		ret = stage(io, buf);
		*t0 = ledger_stamp(l);
		return ret ?: whole(ring_rw(io, IORING_OP_READ, page, ps), ps);
	default:
		*t0 = ledger_stamp(l);
		return -EINVAL;
	}
}

int touch_range(struct ledger *l, char *addr, uint32_t first_page, uint32_t n,
		uint16_t map, uint16_t actor, enum touch_how how, int32_t gen)
{
	size_t ps = getpagesize();
	char *buf = malloc(ps);
	struct touch_io io;
	int ret, first_err = 0;
	bool store = touch_how_stores(how);
	uint64_t slot, t0;
	uint32_t p;
	int32_t seen;

	if (!buf)
		return -ENOMEM;
	ret = touch_io_open(&io, how);
	if (ret) {
		free(buf);
		touch_io_close(&io);
		return ret;
	}
	for (p = 0; p < n; p++) {
		struct ev e = { .kind = EV_TOUCH, .aux = how, .npages = 1,
				.page = first_page + p, .map = map, .actor = actor };
		char *page = addr + (size_t)p * ps;

		if (store)
			content_fill(buf, ps, e.page, gen);
		/* In flight while it waits for a fault: the handler sees it. */
		slot = ledger_open(l, &e);
		ret = access_page(&io, how, page, buf, l, &t0);
		if (ret)
			seen = CONTENT_NONE;
		else
			seen = store ? gen : content_decode(buf, ps, e.page);
		ledger_close(l, slot, seen, -ret);
		if (ret && !first_err)
			first_err = ret;
	}
	touch_io_close(&io);
	free(buf);
	return first_err;
}

int zap_range(struct ledger *l, char *addr, uint32_t first_page, uint32_t n,
	      uint16_t map, uint16_t actor)
{
	struct ev e = { .kind = EV_ZAP, .page = first_page, .npages = n, .map = map,
			.actor = actor };

	e.t0 = ledger_stamp(l);
	if (madvise(addr, (size_t)n * getpagesize(), MADV_DONTNEED))
		e.err = errno;
	e.t1 = ledger_stamp(l);
	ledger_add(l, &e);
	return -e.err;
}

int pageout_range(struct ledger *l, int fd, char *addr, uint32_t first_page, uint32_t n,
		  const uint8_t *data, uint16_t map, uint16_t actor)
{
	struct ev e = { .kind = EV_PAGEOUT, .page = first_page, .npages = n, .map = map,
			.actor = actor };
	size_t len = (size_t)n * getpagesize();
	unsigned char *before = malloc(n), *after = malloc(n);
	long cs0, cs1;
	bool seen;
	uint32_t i;

	if (!before || !after) {
		free(before);
		free(after);
		return -ENOMEM;
	}
	cs0 = shmem_swapped_pages(fd, first_page, n);
	seen = cs0 < 0 && !mincore(addr, len, before);
	e.t0 = ledger_stamp(l);
	if (madvise(addr, len, MADV_PAGEOUT))
		e.err = errno;
	e.t1 = ledger_stamp(l);
	cs1 = shmem_swapped_pages(fd, first_page, n);
	seen = seen && !mincore(addr, len, after);
	for (i = 0; seen && i < n; i++)
		e.value += data[i] && (before[i] & 1) && !(after[i] & 1);
	/* a collapse may swap some in meanwhile: a floor */
	if (cs0 >= 0 && cs1 > cs0)
		e.value = cs1 - cs0;
	ledger_add(l, &e);
	free(before);
	free(after);
	return e.err ? -e.err : e.value;
}

void store_page(struct ledger *l, char *addr, uint32_t page, int32_t gen,
		uint16_t actor)
{
	size_t ps = getpagesize();
	struct ev e = { .kind = EV_FILL, .aux = FILL_STORE, .page = page,
			.npages = 1, .value = gen, .actor = actor };
	char *buf = malloc(ps);

	if (!buf)
		return;
	content_fill(buf, ps, page, gen);
	e.t0 = ledger_stamp(l);
	memcpy(addr, buf, ps);
	e.t1 = ledger_stamp(l);
	ledger_add(l, &e);
	free(buf);
}

int punch_range(struct ledger *l, struct backing *b, uint32_t first, uint32_t n,
		uint16_t actor)
{
	struct ev e = { .kind = EV_REMOVE, .aux = REMOVE_PUNCH, .page = first,
			.npages = n, .actor = actor };
	size_t ps = getpagesize();
	uint64_t slot;
	int err = 0;

	/* In flight from its start: no online verdict trusts a page under it. */
	slot = ledger_open(l, &e);
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)first * ps, (off_t)n * ps))
		err = errno;
	ledger_close(l, slot, 0, err);
	return -err;
}

void read_range(struct ledger *l, struct backing *b, uint32_t first, uint32_t n,
		uint16_t actor)
{
	uint32_t p;

	if (!backing_is_file(b))
		return;
	for (p = first; p < first + n; p++)
		backing_read(b, p, l, actor);
}

int bbarrier_init(struct bbarrier *b, const char *name, unsigned int parties)
{
	pthread_condattr_t attr;
	int ret;

	if (!parties)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->parties = parties;
	ret = pthread_condattr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(&b->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (ret)
		return -ret;
	ret = pthread_mutex_init(&b->lock, NULL);
	if (ret) {
		pthread_cond_destroy(&b->cond);
		return -ret;
	}
	return 0;
}

void bbarrier_destroy(struct bbarrier *b)
{
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
}

/* Called with the lock held. */
static void bbarrier_break_locked(struct bbarrier *b, int why)
{
	if (b->broken)
		return;
	b->broken = why;
	b->arrived_at_break = b->arrived;
	pthread_cond_broadcast(&b->cond);
}

int bbarrier_wait(struct bbarrier *b, int64_t deadline_ns)
{
	struct timespec ts = ns_to_timespec(deadline_ns);
	unsigned int gen;
	int ret = 0, err;

	pthread_mutex_lock(&b->lock);
	if (b->broken) {
		ret = -EPIPE;
		goto out;
	}
	gen = b->generation;
	if (++b->arrived == b->parties) {
		b->arrived = 0;
		b->generation++;
		pthread_cond_broadcast(&b->cond);
		goto out;
	}
	while (gen == b->generation && !b->broken) {
		err = pthread_cond_timedwait(&b->cond, &b->lock, &ts);
		if (err && gen == b->generation && !b->broken) {
			/* ETIMEDOUT, or a condvar error: nobody may wait on. */
			bbarrier_break_locked(b, err == ETIMEDOUT ? -ETIMEDOUT : -err);
			ret = err == ETIMEDOUT ? -ETIMEDOUT : -err;
			goto out;
		}
	}
	if (gen == b->generation)
		ret = -EPIPE;
out:
	pthread_mutex_unlock(&b->lock);
	return ret;
}

void bbarrier_break(struct bbarrier *b)
{
	pthread_mutex_lock(&b->lock);
	bbarrier_break_locked(b, -ECANCELED);
	pthread_mutex_unlock(&b->lock);
}

void bbarrier_why(struct bbarrier *b, char *buf, size_t len)
{
	pthread_mutex_lock(&b->lock);
	if (!b->broken)
		snprintf(buf, len, "%s", "");
	else if (b->broken == -ECANCELED)
		snprintf(buf, len, "barrier '%s' was broken on purpose with %u of %u parties arrived",
			 b->name, b->arrived_at_break, b->parties);
	else
		snprintf(buf, len, "barrier '%s' %s with %u of %u parties arrived",
			 b->name, b->broken == -ETIMEDOUT ? "timed out" : strerror(-b->broken),
			 b->arrived_at_break, b->parties);
	pthread_mutex_unlock(&b->lock);
}

/*
 * Wait for the child to end, until deadline_ns: on a pidfd when the kernel
 * has pidfd_open() (5.3), else by polling waitpid(WNOHANG) every ms.
 * Returns 0 (reaped, *status set), -ETIMEDOUT or -errno.
 */
static int reap_until(pid_t pid, int pidfd, int *status, int64_t deadline_ns)
{
	struct timespec ms = { 0, 1000000 };
	int64_t left;
	pid_t got;

	for (;;) {
		got = waitpid(pid, status, WNOHANG);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -errno;
		left = deadline_ns - mono_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		if (pidfd >= 0) {
			struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
			int wait_ms = left / 1000000 + 1;

			if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR)
				return -errno;
		} else {
			nanosleep(&ms, NULL);
		}
	}
}

int wait_child_until(pid_t pid, int *status, int64_t deadline_ns)
{
	int pidfd = -1, ret;

#ifdef SYS_pidfd_open
	pidfd = syscall(SYS_pidfd_open, pid, 0);
#endif
	ret = reap_until(pid, pidfd, status, deadline_ns);
	if (ret == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		/* Dies at once unless the kernel holds it: bounded too. */
		reap_until(pid, pidfd, status, mono_ns() + 5 * NSEC_PER_SEC);
	}
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}
