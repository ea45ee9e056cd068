// SPDX-License-Identifier: GPL-2.0
/*
 * The executor: runs a sequence in a fresh process and writes down what the
 * kernel answered.  It judges nothing.
 *
 * Actors: actor 0 is the run's main thread, actor 1 a worker thread of the
 * same process (it also runs the asynchronous operations, so that main goes
 * on while a collapse or a migration is in flight), actor 2 a child forked
 * by OP_FORK, with its own userfaultfd.  Each process has a fault handler
 * thread that records every message against the operation running and
 * resolves it the way that operation asked.
 *
 * Every mapping slot has two fixed, PMD-aligned homes inside one
 * reservation, the same in parent and child, so an address names a slot
 * and a file page without any lookup table to keep in sync.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fz.h"
#include "content.h"
#include "khugepaged_ctl.h"
#include "thp_knobs.h"
#include "thp_settings.h"
#include "util.h"

#define PS		4096UL
#define PMD_SIZE	(FZ_PMD_PAGES * PS)
#define SLOT_STRIDE	(8UL << 20)	/* two PMDs, rounded up */
#define ALT_OFFSET	(FZ_SLOTS * SLOT_STRIDE)
#define RESERVE		(2 * ALT_OFFSET)
#define OP_TIMEOUT_MS	20000

/* $UFFDC_INJECT, a test hook: see fz_run() in fz.h. */
enum inject {
	INJECT_NONE,
	INJECT_SIGBUS,
	INJECT_SIGSEGV,
	INJECT_SIGKILL,
	INJECT_CHILD_SIGKILL,
};

/* Per process: each process of a run has its own copy after fork. */
static struct {
	struct fz_record *r;
	struct fz_struct *st;		/* shared: main advances, all read */
	int proc;
	int fd[FZ_FILES];
	int scratch;
	char *base;
	int uffd;
	unsigned int events;		/* FZ_EV_* its userfaultfd negotiated */
	int stop[2];
	pthread_t handler;
	bool handler_up;
	/* main: the contexts forks handed over (EVENT_FORK), for the child's mm */
	pthread_mutex_t fk_lock;
	int forkfd[4];
	unsigned int nforks;
	int nodes;
	/* worker (main process only) */
	pthread_t worker;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int q[FZ_MAX_OPS], qhead, qtail;
	bool worker_up, worker_exit;
	/* child (main process only) */
	pid_t child;
	int cmd[2], ack[2];
	enum inject inject;		/* until it has fired (shared: once per run) */
	bool mthp_pushed;		/* OP_MTHP's settings are on the stack */
	uint64_t shmem_alloc[FZ_MTHP_ORDERS];	/* the counters when the run began */
	bool swap;			/* /proc/swaps listed a device when the run began */
} X;

static enum inject inject_from_env(void)
{
	static const char * const names[] = {
		[INJECT_SIGBUS] = "fuzz-sigbus", [INJECT_SIGSEGV] = "fuzz-sigsegv",
		[INJECT_SIGKILL] = "fuzz-sigkill", [INJECT_CHILD_SIGKILL] = "fuzz-child-sigkill",
	};
	const char *env = getenv("UFFDC_INJECT");
	unsigned int i;

	for (i = INJECT_SIGBUS; env && i < ARRAY_SIZE(names); i++)
		if (!strcmp(env, names[i]))
			return i;
	return INJECT_NONE;
}

static __thread sigjmp_buf bus_jmp;
static __thread volatile int bus_armed;

static void on_sigbus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static char *slot_addr(int proc, int slot)
{
	const struct fz_slot *sl = &X.st->slot[proc][slot];

	return X.base + slot * SLOT_STRIDE + (sl->alt ? ALT_OFFSET : 0);
}

static char *page_addr(int proc, int slot, unsigned int page)
{
	return slot_addr(proc, slot) + (page - X.st->slot[proc][slot].first) * PS;
}

static int ret_of(long r)
{
	return r < 0 ? -errno : 0;
}

/* The handler's half: which slot and file page an address of proc belongs to. */
static bool locate(int proc, unsigned long addr, uint8_t *slot, uint16_t *page)
{
	int s;

	for (s = 0; s < FZ_SLOTS; s++) {
		const struct fz_slot *sl = &X.st->slot[proc][s];
		unsigned long a = (unsigned long)slot_addr(proc, s);

		if (sl->mapped && addr >= a && addr < a + sl->npages * PS) {
			*slot = s;
			*page = sl->first + (addr - a) / PS;
			return true;
		}
	}
	return false;
}

static int uffd_range_ioctl(int uffd, unsigned long req, unsigned long addr)
{
	struct uffdio_range range = { .start = addr, .len = PS };

	return ret_of(ioctl(uffd, req, &range));
}

/* A fault on uffd, of process proc's mm: resolved as the running operation asks. */
static void resolve_fault(int uffd, int proc, const struct uffd_msg *msg)
{
	struct fz_record *r = X.r;
	unsigned long addr = msg->arg.pagefault.address & ~(PS - 1);
	uint64_t fl = msg->arg.pagefault.flags;
	unsigned int k = atomic_fetch_add((_Atomic uint32_t *)&r->nfaults, 1);
	struct fz_fault f = {
		.op = __atomic_load_n(&r->cur_op, __ATOMIC_ACQUIRE),
		.proc = proc, .slot = 0xff,
	};
	static char src[PS] __aligned(4096);
	int res;

	locate(proc, addr, &f.slot, &f.page);
	f.flags = fl & UFFD_PAGEFAULT_FLAG_WP ? FZ_FAULT_WP :
#ifdef UFFD_PAGEFAULT_FLAG_MINOR
		  fl & UFFD_PAGEFAULT_FLAG_MINOR ? FZ_FAULT_MINOR :
#endif
		  FZ_FAULT_MISSING;
	if (fl & UFFD_PAGEFAULT_FLAG_WRITE)
		f.flags |= FZ_FAULT_WRITE;

	if (f.flags & FZ_FAULT_WP) {
		struct uffdio_writeprotect wp = { .range = { addr, PS }, .mode = 0 };

		f.how = UIO_WAKE;
		res = ret_of(ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));
	} else if (f.flags & FZ_FAULT_MINOR) {
		struct uffdio_continue c = { .range = { addr, PS } };

		f.how = UIO_CONTINUE;
		res = ret_of(ioctl(uffd, UFFDIO_CONTINUE, &c));
	} else if (__atomic_load_n(&r->cur_zeropage, __ATOMIC_ACQUIRE)) {
		struct uffdio_zeropage z = { .range = { addr, PS } };

		f.how = UIO_ZEROPAGE;
		res = ret_of(ioctl(uffd, UFFDIO_ZEROPAGE, &z));
	} else {
		struct uffdio_copy c = { .dst = addr, .src = (unsigned long)src, .len = PS };

		f.how = UIO_COPY;
		content_fill(src, PS, f.page, __atomic_load_n(&r->cur_gen, __ATOMIC_ACQUIRE));
		res = ret_of(ioctl(uffd, UFFDIO_COPY, &c));
	}
	/* Whatever happened, the faulting thread must retry rather than hang. */
	if (res)
		uffd_range_ioctl(uffd, UFFDIO_WAKE, addr);
	f.res = res;
	if (k < FZ_MAX_FAULTS)
		r->fault[k] = f;
}

/* An address as pages from the slots' reservation (struct fz_event). */
static uint32_t event_page(uint64_t addr)
{
	return (addr - (unsigned long)X.base) / PS;
}

/*
 * A non-cooperative event: written to the record against op, the
 * operation that ran when it was ready to read.  The kernel holds the
 * operation that caused it until it is read, and no longer: the reading
 * lets it go on, so the running operation is sampled before the read.  A
 * fork's event brings the new context's file descriptor, which this
 * handler reads from then on.
 */
static void record_event(int proc, unsigned int op, const struct uffd_msg *msg)
{
	struct fz_record *r = X.r;
	struct fz_event e = { .op = op, .proc = proc };
	unsigned int k;
	int ufd;

	switch (msg->event) {
	case UFFD_EVENT_FORK:
		e.type = FZE_FORK;
		ufd = (int)msg->arg.fork.ufd;
		e.a = ufd >= 0;
		pthread_mutex_lock(&X.fk_lock);
		if (ufd >= 0 && X.nforks < ARRAY_SIZE(X.forkfd))
			X.forkfd[X.nforks++] = ufd;
		else if (ufd >= 0)
			close(ufd);
		pthread_mutex_unlock(&X.fk_lock);
		break;
	case UFFD_EVENT_REMAP:
		e.type = FZE_REMAP;
		e.a = event_page(msg->arg.remap.from);
		e.b = event_page(msg->arg.remap.to);
		e.c = msg->arg.remap.len / PS;
		break;
	case UFFD_EVENT_REMOVE:
	case UFFD_EVENT_UNMAP:
		e.type = msg->event == UFFD_EVENT_REMOVE ? FZE_REMOVE : FZE_UNMAP;
		e.a = event_page(msg->arg.remove.start);
		e.b = event_page(msg->arg.remove.end);
		break;
	default:
		r->st.stray_msgs++;
		return;
	}
	__atomic_fetch_add(&r->st.events[e.type], 1, __ATOMIC_RELAXED);
	k = __atomic_fetch_add(&r->nevents, 1, __ATOMIC_RELAXED);
	if (k < FZ_MAX_EVENTS)
		r->event[k] = e;
}

/*
 * The process's fault handler: its own userfaultfd, and in main the
 * contexts that forks with EVENT_FORK handed over (faults and events of
 * the child's mm), until the stop pipe says so.
 */
static void *fault_handler_main(void *arg)
{
	struct pollfd p[2 + ARRAY_SIZE(X.forkfd)];
	int proc[ARRAY_SIZE(p)];
	struct uffd_msg msg;
	unsigned int n, i, op;

	for (;;) {
		p[0] = (struct pollfd){ X.stop[0], POLLIN, 0 };
		p[1] = (struct pollfd){ X.uffd, POLLIN, 0 };
		proc[1] = X.proc;
		pthread_mutex_lock(&X.fk_lock);
		for (n = 2, i = 0; i < X.nforks; i++, n++) {
			p[n] = (struct pollfd){ X.forkfd[i], POLLIN, 0 };
			proc[n] = 1;
		}
		pthread_mutex_unlock(&X.fk_lock);
		if (poll(p, n, 100) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		for (i = 1; i < n; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			op = __atomic_load_n(&X.r->cur_op, __ATOMIC_ACQUIRE);
			if (read(p[i].fd, &msg, sizeof(msg)) != sizeof(msg))
				continue;
			if (msg.event == UFFD_EVENT_PAGEFAULT)
				resolve_fault(p[i].fd, proc[i], &msg);
			else
				record_event(proc[i], op, &msg);
		}
	}
	return NULL;
}

/* What every userfaultfd of the run asks for, and the events wanted too. */
#define UFFD_BASE_FEATURES (UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MINOR_SHMEM | \
			    UFFD_FEATURE_WP_HUGETLBFS_SHMEM)

static uint64_t uffd_event_features(unsigned int ev)
{
	return (ev & FZ_EV_FORK ? UFFD_FEATURE_EVENT_FORK : 0) |
	       (ev & FZ_EV_REMAP ? UFFD_FEATURE_EVENT_REMAP : 0) |
	       (ev & FZ_EV_REMOVE ? UFFD_FEATURE_EVENT_REMOVE : 0) |
	       (ev & FZ_EV_UNMAP ? UFFD_FEATURE_EVENT_UNMAP : 0);
}

static unsigned int uffd_events_got(uint64_t got)
{
	return (got & UFFD_FEATURE_EVENT_FORK ? FZ_EV_FORK : 0) |
	       (got & UFFD_FEATURE_EVENT_REMAP ? FZ_EV_REMAP : 0) |
	       (got & UFFD_FEATURE_EVENT_REMOVE ? FZ_EV_REMOVE : 0) |
	       (got & UFFD_FEATURE_EVENT_UNMAP ? FZ_EV_UNMAP : 0);
}

/* A userfaultfd with the events asked for that this kernel has; *events: those. */
static int uffd_new(unsigned int want, unsigned int *events)
{
	uint64_t ask = UFFD_BASE_FEATURES | uffd_event_features(want), got = 0;
	int fd = uffd_open(UFFD_VIA_SYSCALL, ask, &got);

	if (fd < 0)
		return fd;
	/* UFFDIO_API answers with every feature the kernel has: ours are those asked */
	got &= ask;
	if (X.proc == 0)
		X.r->st.uffd_features_ok = !!(got & UFFD_FEATURE_MINOR_SHMEM) +
					   !!(got & UFFD_FEATURE_WP_HUGETLBFS_SHMEM);
	*events = uffd_events_got(got);
	return fd;
}

static int handler_start(void)
{
	if (pipe(X.stop))
		return -errno;
	if (pthread_create(&X.handler, NULL, fault_handler_main, NULL)) {
		close(X.stop[0]);
		close(X.stop[1]);
		return -EAGAIN;
	}
	X.handler_up = true;
	return 0;
}

static void handler_stop(void)
{
	if (!X.handler_up)
		return;
	if (write(X.stop[1], "x", 1) == 1)
		pthread_join(X.handler, NULL);
	close(X.stop[0]);
	close(X.stop[1]);
	X.handler_up = false;
}

/* The process's userfaultfd, with the events asked for, and its handler. */
static int uffd_setup(unsigned int want)
{
	int ret = uffd_new(want, &X.events);

	if (ret < 0)
		return ret;
	X.uffd = ret;
	return handler_start();
}

static void uffd_teardown(void)
{
	handler_stop();
}

/* The fork contexts of a child that is gone: their release ends them. */
static void forks_close(void)
{
	unsigned int i;

	pthread_mutex_lock(&X.fk_lock);
	for (i = 0; i < X.nforks; i++)
		close(X.forkfd[i]);
	X.nforks = 0;
	pthread_mutex_unlock(&X.fk_lock);
}

/* --- operations ------------------------------------------------------ */

static int exec_none(const struct fz_op *op, struct fz_obs *ob)
{
	return 0;
}

/* The n pages from first read without a hole (SEEK_HOLE) right now. */
static bool block_full(int fd, unsigned int first, unsigned int n)
{
	off_t h = lseek(fd, (off_t)first * PS, SEEK_HOLE);

	return h >= (off_t)(first + n) * PS;
}

/*
 * After a touch: does the PMD read without a hole, through a VM_HUGEPAGE
 * slot (FZ_FULL_PMD)?  Does the block of the OP_MTHP size, through a slot
 * it applies to (FZ_FULL_MTHP)?  A fault there may have allocated a
 * folio over all of it.
 */
static uint8_t full_after(const struct fz_op *op)
{
	const struct fz_slot *sl = &X.st->slot[X.proc][op->slot];
	unsigned int order = fz_struct_mthp(X.st, sl), n = 1u << order;
	uint8_t full = 0;

	if (sl->hugepage && block_full(X.fd[sl->file], op->page - op->page % FZ_PMD_PAGES,
				       FZ_PMD_PAGES))
		full |= FZ_FULL_PMD;
	if (order && block_full(X.fd[sl->file], op->page - op->page % n, n))
		full |= FZ_FULL_MTHP;
	return full;
}

/*
 * The test hook: what no model expects, in the process that runs the
 * first touch of the sequence (the child only, for fuzz-child-sigkill).
 * Nothing here is guarded: the signal must reach the run as a kernel's
 * would.
 */
static void inject_fire(void)
{
	char *p;
	int fd;

	if (X.inject == INJECT_NONE || (X.inject == INJECT_CHILD_SIGKILL && X.proc != 1))
		return;
	switch (X.inject) {
	case INJECT_SIGBUS:
		/* one page of file, two mapped: the second is beyond EOF */
		fd = memfd_create("uffdc-inject", 0);
		if (fd < 0 || ftruncate(fd, PS))
			break;
		p = mmap(NULL, 2 * PS, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			__atomic_load_n(p + PS, __ATOMIC_RELAXED);
		break;
	case INJECT_SIGSEGV:
		/* the never-mapped tail of slot 0's stride, PROT_NONE */
		__atomic_load_n(X.base + SLOT_STRIDE - PS, __ATOMIC_RELAXED);
		break;
	default:
		raise(SIGKILL);
	}
	X.inject = INJECT_NONE;
}

static int exec_touch(const struct fz_op *op, struct fz_obs *ob)
{
	static char buf[PS] __aligned(4096);	/* synchronous ops run one at a time */
	char *addr = page_addr(X.proc, op->slot, op->page);
	bool store = op->arg & FZ_TOUCH_STORE;
	struct iovec local = { buf, PS }, remote = { addr, PS };
	long n;
	int ret = 0;

	if (store)
		content_fill(buf, PS, op->page, op->gen);
	inject_fire();
	switch (op->sub) {
	case VIA_USER:
		bus_armed = 1;
		if (sigsetjmp(bus_jmp, 1)) {
			bus_armed = 0;
			ob->sigbus = 1;
			return -EFAULT;
		}
		if (store)
			memcpy(addr, buf, PS);
		else
			memcpy(buf, (const char *)addr, PS);
		bus_armed = 0;
		break;
	case VIA_SYSCALL:
		if (store) {
			if (pwrite(X.scratch, buf, PS, 0) != PS)
				return -EIO;
			n = pread(X.scratch, addr, PS, 0);
		} else {
			n = pwrite(X.scratch, addr, PS, 0);
		}
		ret = n == PS ? 0 : n < 0 ? -errno : -EIO;
		break;
	case VIA_PVM:
		n = store ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0) :
			    process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		ret = n == PS ? 0 : n < 0 ? -errno : -EIO;
		break;
	case VIA_URING:
		if (store && pwrite(X.scratch, buf, PS, 0) != PS)
			return -EIO;
		ret = fz_uring_rw(X.scratch, addr, PS, store);
		if (ret == -ENOSYS || ret == -EPERM || ret == -EOPNOTSUPP)
			return ret;
		X.r->st.uring_ops++;
		break;
	}
	if (!ret)
		ob->pmd_full = full_after(op);
	if (ret || store)
		return ret;
	if (op->sub == VIA_SYSCALL || op->sub == VIA_URING) {
		if (pread(X.scratch, buf, PS, 0) != PS)
			return -EIO;
	}
	ob->val = content_decode(buf, PS, op->page);
	return 0;
}

/*
 * The pages of [first, first + n), mapped at addr, that are swapped out
 * right now: swap entries in the page cache (cachestat(2)); before 6.5,
 * data by SEEK_DATA/SEEK_HOLE and not resident by mincore() (which calls
 * a page still in the swap cache resident: fewer).  For coverage only:
 * the model never reads it.
 */
static unsigned int swapped_now(int fd, char *addr, unsigned int first, unsigned int n)
{
	static __thread unsigned char vec[FZ_PMD_PAGES];
	unsigned int p = first, end = first + n, i, count = 0;
	long cs = shmem_swapped_pages(fd, first, n);
	off_t d, h;

	if (cs >= 0)
		return cs;
	if (n > FZ_PMD_PAGES || mincore(addr, (size_t)n * PS, vec))
		return 0;
	while (p < end) {
		d = lseek(fd, (off_t)p * PS, SEEK_DATA);
		if (d < 0 || d >= (off_t)end * PS)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			break;
		for (i = d / PS; i < end && i < h / PS; i++)
			count += !(vec[i - first] & 1);
		p = h / PS;
	}
	return count;
}

static int do_collapse(const struct fz_op *op, struct fz_obs *ob)
{
	const struct fz_slot *sl = &X.st->slot[X.proc][op->slot];
	char *addr = page_addr(X.proc, op->slot, op->page);
	int ret, tries = 0;
	off_t h;

	/* only once some went out: runs that swap nothing keep their timing */
	if (__atomic_load_n(&X.r->st.swapped_out, __ATOMIC_RELAXED))
		ob->swapped = swapped_now(X.fd[sl->file], addr, op->page, FZ_PMD_PAGES);
	do {
		ret = ret_of(madvise(addr, PMD_SIZE, MADV_COLLAPSE));
	} while (ret == -EAGAIN && ++tries < 4);
	/* Judge by the file, not the return value: 6.1 says EINVAL and collapses. */
	h = lseek(X.fd[sl->file], op->page * PS, SEEK_HOLE);
	if (h < 0)
		ob->val = FZ_COLLAPSE_UNKNOWN;
	else
		ob->val = h >= (off_t)((op->page + FZ_PMD_PAGES) * PS) ? FZ_PMD_PAGES : 0;
	/* which hole: an operation that could not have freed it proves nothing filled */
	if (h >= 0 && !ob->val)
		ob->bits = h / PS + 1;
	return ret;
}

static int exec_madvise(const struct fz_op *op, struct fz_obs *ob)
{
	static const int advice[ADV_NR] = {
		MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_COLLAPSE, MADV_DONTNEED,
		MADV_REMOVE, MADV_PAGEOUT,
	};

	if (op->sub == ADV_COLLAPSE)
		return do_collapse(op, ob);
	return ret_of(madvise(page_addr(X.proc, op->slot, op->page), op->npages * PS,
			      advice[op->sub]));
}

/* Faults resolve as the operation asks (arg, gen), as for a touch. */
static int exec_populate(const struct fz_op *op, struct fz_obs *ob)
{
	return ret_of(madvise(page_addr(X.proc, op->slot, op->page), op->npages * PS,
			      op->sub == POP_WRITE ? MADV_POPULATE_WRITE : MADV_POPULATE_READ));
}

/*
 * MADV_PAGEOUT, with swap only (fz.h, OP_PAGEOUT): the range's swap
 * entries before and after it (cachestat(2)) measure what went out, or
 * before 6.5 its residency (mincore: pages resident before, not after,
 * and data); lseek(SEEK_DATA) from each page right after it is the
 * model's evidence that a swapped-out page is still data.
 */
static int exec_pageout(const struct fz_op *op, struct fz_obs *ob)
{
	const struct fz_slot *sl = &X.st->slot[X.proc][op->slot];
	unsigned char before[FZ_PAGEOUT_MAX], after[FZ_PAGEOUT_MAX];
	char *addr = page_addr(X.proc, op->slot, op->page);
	size_t len = (size_t)op->npages * PS;
	int fd = X.fd[sl->file];
	long cs0, cs1;
	unsigned int i;
	bool seen;
	off_t d;
	int ret;

	if (!X.swap) {
		ob->val = FZ_PAGEOUT_NO_SWAP;
		return 0;
	}
	cs0 = shmem_swapped_pages(fd, op->page, op->npages);
	seen = cs0 < 0 && !mincore(addr, len, before);
	ret = ret_of(madvise(addr, len, MADV_PAGEOUT));
	cs1 = shmem_swapped_pages(fd, op->page, op->npages);
	seen = seen && !mincore(addr, len, after);
	for (i = 0; i < op->npages; i++) {
		d = lseek(fd, (off_t)(op->page + i) * PS, SEEK_DATA);
		if (d < 0 && errno != ENXIO) {
			ob->val = FZ_PAGEOUT_UNSEEN;
			ob->bits = 0;
			break;
		}
		if (d != (off_t)(op->page + i) * PS)
			continue;
		ob->bits |= 1ULL << i;
		if (seen && (before[i] & 1) && !(after[i] & 1))
			ob->swapped++;
	}
	/* an asynchronous collapse may swap some in meanwhile: a floor */
	if (cs0 >= 0 && cs1 >= 0)
		ob->swapped = cs1 > cs0 ? cs1 - cs0 : 0;
	if (ob->val == FZ_PAGEOUT_UNSEEN)
		ob->swapped = 0;
	__atomic_add_fetch(&X.r->st.swapped_out, ob->swapped, __ATOMIC_RELAXED);
	return ret;
}

static int exec_uffdio(const struct fz_op *op, struct fz_obs *ob)
{
	static char src[PS] __aligned(4096);
	unsigned long addr = (unsigned long)page_addr(X.proc, op->slot, op->page);
	struct uffdio_copy c = { .dst = addr, .src = (unsigned long)src, .len = PS };
	struct uffdio_zeropage z = { .range = { addr, PS } };
	struct uffdio_continue cont = { .range = { addr, PS } };

	switch (op->sub) {
	case UIO_COPY:
		content_fill(src, PS, op->page, op->gen);
		return ret_of(ioctl(X.uffd, UFFDIO_COPY, &c));
	case UIO_ZEROPAGE:
		return ret_of(ioctl(X.uffd, UFFDIO_ZEROPAGE, &z));
	case UIO_CONTINUE:
		return ret_of(ioctl(X.uffd, UFFDIO_CONTINUE, &cont));
	default:	/* UIO_WAKE */
		return uffd_range_ioctl(X.uffd, UFFDIO_WAKE, addr);
	}
}

static int exec_writeprotect(const struct fz_op *op, struct fz_obs *ob)
{
	struct uffdio_writeprotect wp = {
		.range = { (unsigned long)page_addr(X.proc, op->slot, op->page),
			   op->npages * PS },
		.mode = op->sub == FZ_WP_PROTECT ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ret_of(ioctl(X.uffd, UFFDIO_WRITEPROTECT, &wp));
}

static int exec_unregister(const struct fz_op *op, struct fz_obs *ob)
{
	struct uffdio_range range = {
		(unsigned long)page_addr(X.proc, op->slot, op->page), op->npages * PS,
	};

	return ret_of(ioctl(X.uffd, UFFDIO_UNREGISTER, &range));
}

static int exec_register(const struct fz_op *op, struct fz_obs *ob)
{
	struct uffdio_register reg = {
		.range = { (unsigned long)page_addr(X.proc, op->slot, op->page),
			   op->npages * PS },
	};

	if (op->sub & FZ_REG_MISSING)
		reg.mode |= UFFDIO_REGISTER_MODE_MISSING;
	if (op->sub & FZ_REG_WP)
		reg.mode |= UFFDIO_REGISTER_MODE_WP;
#ifdef UFFDIO_REGISTER_MODE_MINOR
	if (op->sub & FZ_REG_MINOR)
		reg.mode |= UFFDIO_REGISTER_MODE_MINOR;
#endif
	return ret_of(ioctl(X.uffd, UFFDIO_REGISTER, &reg));
}

static int exec_mincore(const struct fz_op *op, struct fz_obs *ob)
{
	unsigned char vec[FZ_MINCORE_MAX];
	unsigned int i;

	if (mincore(page_addr(X.proc, op->slot, op->page), op->npages * PS, vec))
		return -errno;
	for (i = 0; i < op->npages; i++)
		ob->bits |= (uint64_t)(vec[i] & 1) << i;
	return 0;
}

static int exec_seek(const struct fz_op *op, struct fz_obs *ob)
{
	off_t o = lseek(X.fd[op->file], op->page * PS,
			op->sub == PRB_SEEK_DATA ? SEEK_DATA : SEEK_HOLE);

	if (o < 0)
		return -errno;
	ob->val = o / PS;
	return 0;
}

static int32_t seek_page(int fd, unsigned int from, bool data)
{
	off_t o = lseek(fd, (off_t)from * PS, data ? SEEK_DATA : SEEK_HOLE);

	return o < 0 ? -errno : (int32_t)(o / PS);
}

/*
 * One lseek of a walk, asked twice with nothing in between, written to
 * the walk log: the first answer (a page, or -errno), or -ENOSPC when
 * the log is full and nothing was asked.
 */
static int32_t walk_call(const struct fz_op *op, struct fz_obs *ob, unsigned int from,
			 bool data)
{
	unsigned int k = atomic_fetch_add((_Atomic uint32_t *)&X.r->nwalks, 1);
	int fd = X.fd[op->file];
	struct fz_walk *w;

	if (k >= FZ_MAX_WALK_CALLS)
		return -ENOSPC;
	w = &X.r->walk[k];
	w->ans[0] = seek_page(fd, from, data);
	w->ans[1] = seek_page(fd, from, data);
	w->op = ob - X.r->obs;
	w->from = from;
	w->data = data;
	return w->ans[0];
}

static int exec_walk_hole(const struct fz_op *op, struct fz_obs *ob)
{
	return walk_call(op, ob, op->page, false) == -ENOSPC ? -ENOSPC : 0;
}

static int exec_walk_data(const struct fz_op *op, struct fz_obs *ob)
{
	return walk_call(op, ob, op->page, true) == -ENOSPC ? -ENOSPC : 0;
}

/* As cp --sparse copies: SEEK_DATA, then SEEK_HOLE from the data, until EOF. */
static int exec_walk_full(const struct fz_op *op, struct fz_obs *ob)
{
	unsigned int from = 0, k;
	int32_t a;

	for (k = 0; k < FZ_WALK_FULL_CALLS; k++) {
		a = walk_call(op, ob, from, !(k % 2));
		if (a == -ENOSPC)
			return k ? 0 : -ENOSPC;
		if (!fz_walk_goes_on(!(k % 2), from, a))
			break;
		from = a;
	}
	return 0;
}

static int (*const probe_exec_fn[PRB_NR])(const struct fz_op *op, struct fz_obs *ob) = {
	FZ_PROBES(FZ_SKIP, FZ_TAKE, FZ_SKIP)
};

bool fz_exec_probe_has(enum fz_probe p)
{
	return p < PRB_NR && probe_exec_fn[p];
}

static int exec_probe(const struct fz_op *op, struct fz_obs *ob)
{
	return probe_exec_fn[op->sub](op, ob);
}

static int exec_numa(const struct fz_op *op, struct fz_obs *ob)
{
	unsigned int node = op->arg % X.nodes, i;
	unsigned long all = (1UL << X.nodes) - 1, one = 1UL << node;
	void *pages[16];
	int nodes[16] = { 0 }, status[16] = { 0 };
	long ret;

	switch (op->sub) {
	case NUMA_MBIND:
		/* 2: MPOL_BIND, 3: MPOL_INTERLEAVE, 1: MPOL_PREFERRED */
		ret = fz_mbind(page_addr(X.proc, op->slot, op->page), op->npages * PS,
			       op->arg & 1 ? 3 : 2, op->arg & 1 ? all : one);
		break;
	case NUMA_SET_MEMPOLICY:
		ret = fz_set_mempolicy(op->arg == 3 ? 0 : 1, one);
		break;
	case NUMA_MOVE_PAGES:
		for (i = 0; i < op->npages && i < 16; i++) {
			pages[i] = page_addr(X.proc, op->slot, op->page + i);
			nodes[i] = node;
		}
		ret = fz_move_pages(0, i, pages, nodes, status);
		while (ret >= 0 && i--)
			X.r->st.numa_pages_on_target += status[i] == (int)node;
		break;
	default:
		ret = fz_migrate_pages(0, all, one);
		break;
	}
	if (ret >= 0)
		X.r->st.numa_ops_ok++;
	return ret < 0 ? ret : 0;
}

/* Give a slot's range back to the PROT_NONE reservation rather than unmap it. */
static void *slot_release(char *addr)
{
	return mmap(addr, SLOT_STRIDE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

static int exec_mmap(const struct fz_op *op, struct fz_obs *ob)
{
	void *p = mmap(slot_addr(X.proc, op->slot), op->npages * PS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, X.fd[op->file], op->page * PS);

	return p == MAP_FAILED ? -errno : 0;
}

static int exec_munmap(const struct fz_op *op, struct fz_obs *ob)
{
	return slot_release(slot_addr(X.proc, op->slot)) == MAP_FAILED ? -errno : 0;
}

static int exec_mremap(const struct fz_op *op, struct fz_obs *ob)
{
	struct fz_slot *sl = &X.st->slot[X.proc][op->slot];
	char *old = slot_addr(X.proc, op->slot), *to;
	void *p;
	int ret;

	to = X.base + op->slot * SLOT_STRIDE + (sl->alt ? 0 : ALT_OFFSET);
	p = mremap(old, sl->npages * PS, sl->npages * PS, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (p != MAP_FAILED) {
		slot_release(old);
		return 0;
	}
	/*
	 * A slot split into several VMAs may be refused, or (6.17+) moved
	 * in part.  Either way, start the slot afresh at its old home, so
	 * that the structure stays known: fz_struct_advance() agrees.
	 */
	ret = -errno;
	slot_release(to);
	p = mmap(old, sl->npages * PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 X.fd[sl->file], sl->first * PS);
	return p == MAP_FAILED ? -ENOMEM : ret;
}

static char file_buf[64 * PS] __aligned(4096);	/* pwrite, pread */

static int exec_fallocate(const struct fz_op *op, struct fz_obs *ob)
{
	return ret_of(fallocate(X.fd[op->file], op->sub == FALLOC_PUNCH ?
				FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : 0,
				op->page * PS, op->npages * PS));
}

static int exec_ftruncate(const struct fz_op *op, struct fz_obs *ob)
{
	return ret_of(ftruncate(X.fd[op->file], op->npages * PS));
}

static int exec_pwrite(const struct fz_op *op, struct fz_obs *ob)
{
	unsigned int i;
	ssize_t n;

	for (i = 0; i < op->npages; i++)
		content_fill(file_buf + i * PS, PS, op->page + i, op->gen);
	n = pwrite(X.fd[op->file], file_buf, op->npages * PS, op->page * PS);
	return n < 0 ? -errno : n;
}

static int exec_pread(const struct fz_op *op, struct fz_obs *ob)
{
	ssize_t n = pread(X.fd[op->file], file_buf, PS, op->page * PS);

	if (n != PS)
		return n < 0 ? -errno : -ENODATA;
	ob->val = content_decode(file_buf, PS, op->page);
	return 0;
}

static int exec_khugepaged(const struct fz_op *op, struct fz_obs *ob)
{
	long since = khugepaged_counter("full_scans");
	int ret;

	if (since < 0)
		return since;
	ret = khugepaged_wait_scans(since, 1, 500);
	if (!ret)
		X.r->st.kh_scans++;
	return ret;
}

/*
 * main's userfaultfd anew, with the events asked for that the kernel has
 * (ob->val): the old one's release unregisters all of main's ranges.
 */
static int exec_uffd(const struct fz_op *op, struct fz_obs *ob)
{
	unsigned int events;
	int fd = uffd_new(op->sub, &events);

	if (fd < 0)
		return fd;
	handler_stop();
	close(X.uffd);
	X.uffd = fd;
	X.events = events;
	ob->val = events;
	return handler_start();
}

/*
 * One shmem mTHP size at the policy asked, the others below the PMD
 * never, on top of the settings the run found (the fuzzer's push).  The
 * record says so before anything is written, so that a run that dies
 * here is put right by its caller (fz_run()).
 */
static int exec_mthp(const struct fz_op *op, struct fz_obs *ob)
{
	static const enum shmem_enabled policy[] = {
		[FZ_MTHP_NEVER] = SHMEM_NEVER, [FZ_MTHP_ADVISE] = SHMEM_ADVISE,
		[FZ_MTHP_ALWAYS] = SHMEM_ALWAYS, [FZ_MTHP_WITHIN_SIZE] = SHMEM_WITHIN_SIZE,
	};
	int pmd = thp_pmd_order(), o, ret;
	struct thp_settings s;

	if (!thp_current_settings())
		return -ENOLCK;		/* not a run that owns THP (a unit test) */
	if (pmd <= op->sub || !(thp_shmem_supported_orders() & (1UL << op->sub)))
		return -EOPNOTSUPP;
	if (X.mthp_pushed && thp_pop_settings())
		return -EIO;
	X.mthp_pushed = false;
	s = *thp_current_settings();
	for (o = 1; o < pmd && o < NR_ORDERS; o++)
		s.shmem_hugepages[o].enabled = SHMEM_NEVER;
	s.shmem_hugepages[op->sub].enabled = policy[op->arg];
	X.r->thp_dirty = 1;
	ret = thp_push_settings(&s);
	X.mthp_pushed = !ret;
	return ret;
}

/* Each order's stats/shmem_alloc, from 8 kB to the PMD (0 where there is none). */
static void shmem_alloc_read(uint64_t *n)
{
	unsigned int o;
	long v;

	for (o = 0; o < FZ_MTHP_ORDERS; o++) {
		v = thp_size_stat(o, "shmem_alloc");
		n[o] = v > 0 ? v : 0;
	}
}

/* What the run allocated, by order: the counters' growth since it began. */
static void shmem_alloc_count(struct fz_record *r)
{
	uint64_t now[FZ_MTHP_ORDERS];
	unsigned int o;

	shmem_alloc_read(now);
	for (o = 0; o < FZ_MTHP_ORDERS; o++)
		r->st.shmem_alloc[o] = now[o] > X.shmem_alloc[o] ? now[o] - X.shmem_alloc[o] : 0;
}

static int exec_fork(const struct fz_op *op, struct fz_obs *ob);
static int exec_join(const struct fz_op *op, struct fz_obs *ob);

static int (*const exec_fn[OP_NR_KINDS])(const struct fz_op *op, struct fz_obs *ob) = {
	FZ_OPS(FZ_SKIP, FZ_SKIP, FZ_TAKE, FZ_SKIP)
};

bool fz_exec_has(enum fz_kind k)
{
	return k < OP_NR_KINDS && exec_fn[k];
}

static void exec_op(unsigned int i)
{
	const struct fz_op *op = &X.r->op[i];
	struct fz_obs *ob = &X.r->obs[i];

	ob->ret = exec_fn[op->kind](op, ob);
	atomic_thread_fence(memory_order_seq_cst);
	ob->done = 1;
}

/* --- the worker thread and the child --------------------------------- */

static void *worker_main(void *arg)
{
	pthread_mutex_lock(&X.lock);
	for (;;) {
		unsigned int i;

		while (X.qhead == X.qtail && !X.worker_exit)
			pthread_cond_wait(&X.cond, &X.lock);
		if (X.qhead == X.qtail)
			break;
		i = X.q[X.qhead % FZ_MAX_OPS];
		pthread_mutex_unlock(&X.lock);
		exec_op(i);
		pthread_mutex_lock(&X.lock);
		X.qhead++;
		pthread_cond_broadcast(&X.cond);
	}
	pthread_mutex_unlock(&X.lock);
	return NULL;
}

static void deadline_in(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Queue op i on the worker; wait for the queue to drain unless async. */
static int worker_run(int i, bool wait)
{
	struct timespec ts;
	int ret = 0;

	pthread_mutex_lock(&X.lock);
	if (i >= 0) {
		X.q[X.qtail % FZ_MAX_OPS] = i;
		X.qtail++;
		pthread_cond_broadcast(&X.cond);
	}
	deadline_in(&ts, OP_TIMEOUT_MS);
	while (wait && X.qhead != X.qtail && !ret)
		ret = pthread_cond_timedwait(&X.cond, &X.lock, &ts);
	pthread_mutex_unlock(&X.lock);
	return ret ? -ETIMEDOUT : 0;
}

static void child_main(void)
{
	unsigned int i;

	X.proc = 1;
	close(X.cmd[1]);
	close(X.ack[0]);
	close(X.uffd);
	X.handler_up = false;
	X.worker_up = false;
	/* main's fork contexts are main's (and none is open at a fork) */
	X.nforks = 0;
	if (uffd_setup(X.events))
		_exit(3);
	while (read(X.cmd[0], &i, sizeof(i)) == sizeof(i)) {
		if (i >= FZ_MAX_OPS)
			break;
		exec_op(i);
		if (write(X.ack[1], &i, sizeof(i)) != sizeof(i))
			break;
	}
	uffd_teardown();
	_exit(0);
}

static void child_stop(void)
{
	int i, status;

	if (!X.child) {
		forks_close();
		return;
	}
	close(X.cmd[1]);
	close(X.ack[0]);
	for (i = 0; i < 2000; i++) {
		if (waitpid(X.child, &status, WNOHANG) == X.child)
			break;
		usleep(1000);
	}
	if (i == 2000) {
		kill(X.child, SIGKILL);
		waitpid(X.child, &status, 0);
	}
	X.child = 0;
	forks_close();
}

static int exec_fork(const struct fz_op *op, struct fz_obs *ob)
{
	pid_t pid;

	child_stop();
	if (pipe(X.cmd) || pipe(X.ack))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child_main();
	close(X.cmd[0]);
	close(X.ack[1]);
	X.child = pid;
	return 0;
}

/* Main waits for the worker, whichever actor the operation names. */
static int exec_join(const struct fz_op *op, struct fz_obs *ob)
{
	return worker_run(-1, true);
}

/*
 * The child's pipe broke: if it died by a signal, that is the run's crash
 * (the child is reaped, so child_stop() has nothing left to do).
 */
static int child_lost(unsigned int i)
{
	int status;

	if (waitpid(X.child, &status, 0) == X.child) {
		X.child = 0;
		if (WIFSIGNALED(status)) {
			X.r->crash_sig = WTERMSIG(status);
			X.r->crash_op = i;
			X.r->crash_proc = 1;
		}
	}
	return -EPIPE;
}

static int child_run(unsigned int i)
{
	struct pollfd p = { X.ack[0], POLLIN, 0 };
	unsigned int got;

	if (write(X.cmd[1], &i, sizeof(i)) != sizeof(i))
		return child_lost(i);
	if (poll(&p, 1, OP_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	if (read(X.ack[0], &got, sizeof(got)) != sizeof(got) || got != i)
		return child_lost(i);
	return 0;
}

/* --- the run --------------------------------------------------------- */

static int setup(struct fz_record *r)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	unsigned long b;
	int f, ret;

	memset(&X, 0, sizeof(X));
	X.r = r;
	X.inject = inject_from_env();
	shmem_alloc_read(X.shmem_alloc);
	X.nodes = fz_numa_nodes();
	r->st.numa_nodes = X.nodes;
	X.swap = system_has_swap();
	r->st.swap_on = X.swap;
	sigaction(SIGBUS, &sa, NULL);
	/* a dead child's pipe is an error to read, not a signal */
	signal(SIGPIPE, SIG_IGN);
	X.st = mmap(NULL, sizeof(*X.st), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (X.st == MAP_FAILED)
		return -errno;
	fz_struct_init(X.st);
	for (f = 0; f < FZ_FILES; f++) {
		X.fd[f] = memfd_create("uffdc-fuzz", 0);
		if (X.fd[f] < 0 || ftruncate(X.fd[f], FZ_FILE_PAGES * PS))
			return -errno;
	}
	X.scratch = memfd_create("uffdc-scratch", 0);
	if (X.scratch < 0 || ftruncate(X.scratch, PS))
		return -errno;
	b = (unsigned long)mmap(NULL, RESERVE + PMD_SIZE, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if ((void *)b == MAP_FAILED)
		return -errno;
	X.base = (char *)((b + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	pthread_mutex_init(&X.fk_lock, NULL);
	/* A run starts with EVENT_REMAP (fz_struct_init()); the model hears if not. */
	ret = uffd_setup(FZ_EV_REMAP);
	if (ret)
		return ret;
	r->events_off = FZ_EV_REMAP & ~X.events;
	X.st->events[0] = X.st->events[1] = X.events;
	r->st.uring_ok = fz_uring_setup() == 0;
	khugepaged_enlist();
	pthread_mutex_init(&X.lock, NULL);
	pthread_cond_init(&X.cond, NULL);
	if (pthread_create(&X.worker, NULL, worker_main, NULL))
		return -EAGAIN;
	X.worker_up = true;
	return 0;
}

static void abort_run(struct fz_record *r, unsigned int i, const char *what)
{
	char d[100];

	fz_op_format(&r->op[i], d, sizeof(d));
	snprintf(r->abort, sizeof(r->abort), "op %u (%s) %s", i, d, what);
}

static int run_main(struct fz_record *r)
{
	unsigned int i;
	int ret;

	ret = setup(r);
	if (ret) {
		r->setup_err = ret;
		return 3;
	}
	for (i = 0; i < r->nops; i++) {
		struct fz_op op = r->op[i];
		struct fz_obs *ob = &r->obs[i];

		if (!fz_struct_applies(X.st, &op)) {
			ob->nop = 1;
			ob->done = 1;
			continue;
		}
		r->op[i] = op;
		if (!op.async) {
			__atomic_store_n(&r->cur_gen, op.gen, __ATOMIC_RELEASE);
			__atomic_store_n(&r->cur_zeropage, !!(op.arg & FZ_TOUCH_ZEROPAGE),
					 __ATOMIC_RELEASE);
			__atomic_store_n(&r->cur_op, i, __ATOMIC_RELEASE);
		}
		ret = 0;
		if (op.kind == OP_JOIN) {
			ret = exec_join(&op, ob);
			ob->done = 1;
		} else if (op.actor == 1) {
			ret = worker_run(i, !op.async);
		} else if (op.actor == 2) {
			ret = child_run(i);
		} else {
			exec_op(i);
		}
		if (ret && r->crash_sig) {
			snprintf(r->abort, sizeof(r->abort), "op %u: the child died by signal %d",
				 i, r->crash_sig);
			_exit(5);
		}
		if (ret) {
			abort_run(r, i, ret == -ETIMEDOUT ? "did not finish in 20 s" :
				  "lost its actor");
			_exit(2);
		}
		fz_struct_advance(X.st, &op, ob);
	}
	if (worker_run(-1, true)) {
		snprintf(r->abort, sizeof(r->abort),
			 "asynchronous operations did not finish in 20 s");
		_exit(2);
	}
	pthread_mutex_lock(&X.lock);
	X.worker_exit = true;
	pthread_cond_broadcast(&X.cond);
	pthread_mutex_unlock(&X.lock);
	pthread_join(X.worker, NULL);
	child_stop();
	uffd_teardown();
	fz_uring_teardown();
	shmem_alloc_count(r);
	if (X.mthp_pushed && !thp_pop_settings())
		r->thp_dirty = 0;
	return 0;
}

/* The caller's own copy: private memory that nothing of a run shares. */
struct fz_record *fz_record_alloc(void)
{
	void *p = mmap(NULL, sizeof(struct fz_record), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void fz_record_free(struct fz_record *r)
{
	munmap(r, sizeof(*r));
}

/*
 * The run process: maps the record's memfd (the caller never does), runs
 * the sequence into it, and exits.  No core file: a crash is a finding,
 * already recorded by the caller from the wait status.
 */
static void run_process(int rfd)
{
	struct rlimit no_core = { 0, 0 };
	struct fz_record *r;

	setrlimit(RLIMIT_CORE, &no_core);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	if (r == MAP_FAILED)
		_exit(3);
	close(rfd);
	_exit(run_main(r));
}

/* Every count the model and coverage index by is within its array. */
static bool record_sane(const struct fz_record *r, unsigned int n)
{
	return r->nops == n && r->cur_op < FZ_MAX_OPS && r->crash_op < FZ_MAX_OPS &&
	       r->crash_proc < FZ_PROCS && memchr(r->abort, 0, sizeof(r->abort));
}

/* The record back from the memfd, by read(2): an error, never a signal. */
static int record_read(int rfd, struct fz_record *r, unsigned int n)
{
	size_t done = 0;
	ssize_t k;

	while (done < sizeof(*r)) {
		k = pread(rfd, (char *)r + done, sizeof(*r) - done, done);
		if (k <= 0)
			break;
		done += k;
	}
	if (done == sizeof(*r) && record_sane(r, n))
		return 0;
	memset(r, 0, sizeof(*r));
	r->nops = n;
	snprintf(r->abort, sizeof(r->abort), "the run's record could not be read back (%s)",
		 done == sizeof(*r) ? "corrupt" : "short read");
	return -EIO;
}

/* A record file of the run's own: sealed so that it cannot shrink under a mapping. */
static int record_file(const struct fz_record *r)
{
	int fd = memfd_create("uffdc-record", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (pwrite(fd, r, sizeof(*r), 0) != (ssize_t)sizeof(*r) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/*
 * Waits for the run process, at most timeout ms; kills it after that.
 * Returns 0 with its wait status, or -ETIMEDOUT.
 */
static int run_wait(pid_t pid, unsigned int timeout, int *status)
{
	unsigned int waited = 0;
	int pidfd = syscall(SYS_pidfd_open, pid, 0), ret = 0;

	/* A pidfd wakes us the moment the run ends; without one, poll. */
	while (waitpid(pid, status, WNOHANG) != pid) {
		if (pidfd >= 0 && waited < timeout) {
			struct pollfd p = { pidfd, POLLIN, 0 };
			int slice = timeout - waited < 1000 ? timeout - waited : 1000;

			if (poll(&p, 1, slice) == 0)
				waited += slice;
			continue;
		}
		if (waited >= timeout) {
			kill(pid, SIGKILL);
			/* A task stuck in the kernel may never be reaped: stay bounded. */
			for (waited = 0; waited < 5000; waited += 10) {
				if (waitpid(pid, status, WNOHANG) == pid)
					break;
				usleep(10000);
			}
			ret = -ETIMEDOUT;
			break;
		}
		usleep(waited < 100 ? 200 : 2000);
		waited += waited < 100 ? 1 : 2;
	}
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}

int fz_run(struct fz_record *r, const struct fz_op *ops, unsigned int n,
	   const struct fz_exec_opts *o)
{
	unsigned int timeout = o && o->timeout_ms ? o->timeout_ms : 60000;
	int status = 0, rfd, ret, lost;
	pid_t pid;

	if (n > FZ_MAX_OPS)
		n = FZ_MAX_OPS;
	memset(r, 0, sizeof(*r));
	memcpy(r->op, ops, n * sizeof(*ops));
	r->nops = n;
	rfd = record_file(r);
	if (rfd < 0)
		return rfd;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(rfd);
		return ret;
	}
	if (!pid)
		run_process(rfd);
	ret = run_wait(pid, timeout, &status);
	lost = record_read(rfd, r, n);
	if (lost && !ret)
		ret = -ECHILD;
	close(rfd);
	/* OP_MTHP's settings, if the run died before it popped them */
	if ((lost || r->thp_dirty) && thp_current_settings())
		thp_write_settings(thp_current_settings());
	if (ret == -ETIMEDOUT) {
		if (!r->abort[0])
			abort_run(r, r->cur_op, "was running when the sequence timed out");
		return ret;
	}
	if (WIFSIGNALED(status)) {
		r->crash_sig = WTERMSIG(status);
		r->crash_op = r->cur_op;
		r->crash_proc = 0;
		snprintf(r->abort, sizeof(r->abort), "the run process died by signal %d at op %u",
			 r->crash_sig, r->cur_op);
		return -ECHILD;
	}
	if (r->crash_sig || ret)
		return -ECHILD;
	if (r->abort[0])
		return -ETIMEDOUT;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		return r->setup_err ? r->setup_err : -EIO;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(r->abort, sizeof(r->abort), "run process died (status 0x%x) at op %u",
			 status, r->cur_op);
		return -ECHILD;
	}
	return 0;
}
