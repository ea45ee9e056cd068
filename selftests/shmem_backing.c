// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "content.h"
#include "shmem_backing.h"
#include "thp_settings.h"

static const char * const names[BK_NR] = {
	[BK_MEMFD] = "memfd",
	[BK_TMPFS] = "tmpfs",
	[BK_SHM_ANON] = "shared-anon",
	[BK_ANON_PRIVATE] = "private-anon",
};

const char *backing_name(enum backing_kind k)
{
	return k < BK_NR ? names[k] : "?";
}

/*
 * PMD-aligned anonymous reservation of len bytes at an address congruent to
 * off modulo the PMD size; the caller maps over it with MAP_FIXED.
 */
static void *reserve_aligned(size_t len, size_t off, size_t pmd)
{
	size_t span = len + 2 * pmd;
	char *raw, *addr;

	raw = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	addr = (char *)(((uintptr_t)raw + pmd - 1) & ~(pmd - 1)) + (off & (pmd - 1));
	if (addr > raw)
		munmap(raw, addr - raw);
	if (raw + span > addr + len)
		munmap(addr + len, raw + span - (addr + len));
	return addr;
}

/* Mounts made by a test die with its mount namespace, whatever kills it. */
static int private_mount_ns(void)
{
	static pid_t done_in;

	if (done_in == getpid())
		return 0;
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	done_in = getpid();
	return 0;
}

static int open_tmpfs(struct backing *b, char *why, size_t whylen)
{
	char opts[64], path[96];
	int ret;

	ret = private_mount_ns();
	if (ret) {
		snprintf(why, whylen, "unshare(CLONE_NEWNS): %s", strerror(-ret));
		return ret;
	}
	snprintf(b->dir, sizeof(b->dir), "/tmp/uffdc-tmpfs.XXXXXX");
	if (!mkdtemp(b->dir)) {
		ret = -errno;
		snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
		b->dir[0] = 0;
		return ret;
	}
	snprintf(opts, sizeof(opts), "huge=never,size=%zu", b->size * 2);
	if (mount("uffdc", b->dir, "tmpfs", 0, opts)) {
		ret = -errno;
		snprintf(why, whylen, "mount tmpfs %s: %s", opts, strerror(errno));
		rmdir(b->dir);
		b->dir[0] = 0;
		return ret;
	}
	snprintf(path, sizeof(path), "%s/file", b->dir);
	b->fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (b->fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "open %s: %s", path, strerror(errno));
		return ret;
	}
	unlink(path);
	return 0;
}

static int open_shm_anon(struct backing *b, char *why, size_t whylen)
{
	char path[96];

	b->anchor = reserve_aligned(b->size, 0, b->pmd_size);
	if (!b->anchor ||
	    mmap(b->anchor, b->size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
		snprintf(why, whylen, "mmap shared anonymous: %s", strerror(errno));
		return -errno;
	}
	/* The shmem file behind the mapping, for lseek and pwrite. */
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)b->anchor, (unsigned long)b->anchor + b->size);
	b->fd = open(path, O_RDWR);
	if (b->fd < 0) {
		snprintf(why, whylen, "open %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int backing_open(struct backing *b, enum backing_kind kind, const char *huge,
		 size_t size, char *why, size_t whylen)
{
	int ret = 0;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->huge = huge;
	b->fd = -1;
	b->size = size;
	b->page_size = getpagesize();
	b->pmd_size = thp_pmd_size();
	if (!b->pmd_size) {
		snprintf(why, whylen, "no THP PMD size in sysfs");
		return -ENOENT;
	}

	switch (kind) {
	case BK_MEMFD:
		b->fd = memfd_create("uffdc", 0);
		if (b->fd < 0) {
			ret = -errno;
			snprintf(why, whylen, "memfd_create: %s", strerror(errno));
		}
		break;
	case BK_TMPFS:
		ret = open_tmpfs(b, why, whylen);
		break;
	case BK_SHM_ANON:
		ret = open_shm_anon(b, why, whylen);
		break;
	case BK_ANON_PRIVATE:
		b->anchor = reserve_aligned(size, 0, b->pmd_size);
		if (!b->anchor ||
		    mmap(b->anchor, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
			ret = -errno;
			snprintf(why, whylen, "mmap private anonymous: %s", strerror(errno));
		} else if (madvise(b->anchor, size, MADV_NOHUGEPAGE)) {
			/* Or the first store would fault in a whole huge page. */
			ret = -errno;
			snprintf(why, whylen, "MADV_NOHUGEPAGE: %s", strerror(errno));
		}
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret && b->fd >= 0 && kind != BK_SHM_ANON && ftruncate(b->fd, size)) {
		ret = -errno;
		snprintf(why, whylen, "ftruncate: %s", strerror(errno));
	}
	if (ret)
		backing_close(b);
	return ret;
}

void *backing_map(struct backing *b, size_t off, size_t len)
{
	void *addr;

	if (!backing_is_file(b))
		return off == 0 && len == b->size ? b->anchor : NULL;
	addr = reserve_aligned(len, off, b->pmd_size);
	if (!addr)
		return NULL;
	if (mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 b->fd, off) == MAP_FAILED) {
		munmap(addr, len);
		return NULL;
	}
	return addr;
}

int backing_fill(struct backing *b, uint32_t page, int32_t gen,
		 struct ledger *l, uint16_t actor)
{
	char *buf = malloc(b->page_size);
	struct ev e = { .kind = EV_FILL, .page = page, .npages = 1,
			.value = gen, .actor = actor };
	ssize_t n = 0;

	if (!buf)
		return -ENOMEM;
	content_fill(buf, b->page_size, page, gen);
	e.t0 = ledger_stamp(l);
	if (backing_is_file(b)) {
		e.aux = FILL_PWRITE;
		n = pwrite(b->fd, buf, b->page_size, (off_t)page * b->page_size);
		if (n != (ssize_t)b->page_size)
			e.err = n < 0 ? errno : EIO;
	} else {
		e.aux = FILL_STORE;
		memcpy((char *)b->anchor + (size_t)page * b->page_size, buf, b->page_size);
	}
	e.t1 = ledger_stamp(l);
	free(buf);
	ledger_add(l, &e);
	return -e.err;
}

int backing_ready(struct backing *b)
{
	char opts[64];
	int ret = 0;

	if (b->kind == BK_ANON_PRIVATE)
		return madvise(b->anchor, b->size, MADV_HUGEPAGE) ? -errno : 0;
	if (b->kind != BK_TMPFS || !b->dir[0])
		return 0;
	snprintf(opts, sizeof(opts), "huge=%s", b->huge ?: "advise");
	if (mount(NULL, b->dir, NULL, MS_REMOUNT, opts))
		ret = -errno;
	/* The open file keeps the instance alive; nothing is left to clean. */
	umount2(b->dir, MNT_DETACH);
	rmdir(b->dir);
	b->dir[0] = 0;
	return ret;
}

int32_t backing_read(struct backing *b, uint32_t page, struct ledger *l, uint16_t actor)
{
	char *buf = malloc(b->page_size);
	struct ev e = { .kind = EV_READ, .page = page, .npages = 1, .actor = actor };
	ssize_t n;

	if (!buf)
		return CONTENT_NONE;
	e.t0 = ledger_stamp(l);
	if (backing_is_file(b)) {
		n = pread(b->fd, buf, b->page_size, (off_t)page * b->page_size);
		if (n != (ssize_t)b->page_size)
			e.err = n < 0 ? errno : EIO;
	} else {
		/* A load would fault in a private hole; only files have pread. */
		e.err = EOPNOTSUPP;
	}
	e.t1 = ledger_stamp(l);
	e.value = e.err ? CONTENT_NONE : content_decode(buf, b->page_size, page);
	free(buf);
	ledger_add(l, &e);
	return e.value;
}

void backing_close(struct backing *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	if (b->dir[0]) {
		umount2(b->dir, MNT_DETACH);
		rmdir(b->dir);
		b->dir[0] = 0;
	}
	if (b->anchor)
		munmap(b->anchor, b->size);
	b->anchor = NULL;
}
