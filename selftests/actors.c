// SPDX-License-Identifier: GPL-2.0
/*
 * Actor steps that record what they did in the ledger, the bounded
 * barrier and the bounded child wait: see actors.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actors.h"
#include "compat.h"
#include "content.h"

void touch_range(struct ledger *l, char *addr, uint32_t first_page, uint32_t n,
		 uint16_t map, uint16_t actor, enum touch_how how, int32_t gen)
{
	size_t ps = getpagesize();
	char *buf = malloc(ps);
	uint64_t slot;
	uint32_t p;
	int32_t seen;

	if (!buf)
		return;
	for (p = 0; p < n; p++) {
		struct ev e = { .kind = EV_TOUCH, .aux = how, .npages = 1,
				.page = first_page + p, .map = map, .actor = actor };
		char *page = addr + (size_t)p * ps;

		if (how == TOUCH_STORE)
			content_fill(buf, ps, e.page, gen);
		/* In flight while it waits for a fault: the handler sees it. */
		slot = ledger_open(l, &e);
		if (how == TOUCH_STORE)
			memcpy(page, buf, ps);
		else
			memcpy(buf, page, ps);
		seen = how == TOUCH_LOAD ? content_decode(buf, ps, e.page) : gen;
		ledger_close(l, slot, seen, 0);
	}
	free(buf);
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
