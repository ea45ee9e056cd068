// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring and NUMA behind small wrappers, so the executor reads the same
 * whether or not liburing is linked in (a reproducer may be built without
 * it).  NUMA calls are raw system calls: they need no library, and the
 * fuzzer's main program asks libnuma for the topology.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fz.h"

#ifdef FZ_HAVE_LIBURING
#include <liburing.h>

static struct io_uring ring;
static pid_t ring_pid;	/* a ring is not usable across fork */

int fz_uring_setup(void)
{
	int ret;

	if (ring_pid == getpid())
		return 0;
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return ret;
	ring_pid = getpid();
	return 0;
}

void fz_uring_teardown(void)
{
	if (ring_pid == getpid())
		io_uring_queue_exit(&ring);
	ring_pid = 0;
}

/* One read (fd -> buf) or write (buf -> fd) at offset 0, waited for. */
int fz_uring_rw(int fd, void *buf, unsigned int len, bool read_into_buf)
{
	struct __kernel_timespec ts = { .tv_sec = 20 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	ret = fz_uring_setup();
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(&ring);
	if (!sqe)
		return -EBUSY;
	if (read_into_buf)
		io_uring_prep_read(sqe, fd, buf, len, 0);
	else
		io_uring_prep_write(sqe, fd, buf, len, 0);
	ret = io_uring_submit(&ring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return ret == (int)len ? 0 : ret < 0 ? ret : -EIO;
}
#else
int fz_uring_setup(void)
{
	return -EOPNOTSUPP;	/* built without liburing */
}

void fz_uring_teardown(void)
{
}

int fz_uring_rw(int fd, void *buf, unsigned int len, bool read_into_buf)
{
	return -EOPNOTSUPP;
}
#endif

static long ret_errno(long r)
{
	return r < 0 ? -errno : r;
}

long fz_mbind(void *addr, unsigned long len, int mode, unsigned long nodemask)
{
	/* MPOL_MF_MOVE: migrate what is mapped, while collapses run */
	return ret_errno(syscall(SYS_mbind, addr, len, mode,
				 mode ? &nodemask : NULL, mode ? 64 : 0, 1u << 1));
}

long fz_set_mempolicy(int mode, unsigned long nodemask)
{
	return ret_errno(syscall(SYS_set_mempolicy, mode, mode ? &nodemask : NULL,
				 mode ? 64 : 0));
}

long fz_move_pages(int pid, unsigned long n, void **pages, const int *nodes,
		   int *status)
{
	return ret_errno(syscall(SYS_move_pages, pid, n, pages, nodes, status, 0));
}

long fz_migrate_pages(int pid, unsigned long from, unsigned long to)
{
	return ret_errno(syscall(SYS_migrate_pages, pid, 64, &from, &to));
}

/* Nodes that have memory, counted from sysfs (no library needed). */
int fz_numa_nodes(void)
{
	char path[64];
	int n = 0;

	while (n < 64) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK))
			break;
		n++;
	}
	return n ? n : 1;
}
