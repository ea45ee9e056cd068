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
#include "probe.h"
#include "shmem_backing.h"
#include "thp_settings.h"

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

static int open_tmpfs(struct backing *b, bool linked, char *why, size_t whylen)
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
	if (!linked)
		unlink(path);
	return 0;
}

static int open_memfd(struct backing *b, char *why, size_t whylen)
{
	int ret;

	b->fd = memfd_create("uffdc", 0);
	if (b->fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "memfd_create: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static int open_shm_anon(struct backing *b, char *why, size_t whylen)
{
	char path[96];
	int ret;

	b->anchor = reserve_aligned(b->size, 0, b->pmd_size);
	if (!b->anchor ||
	    mmap(b->anchor, b->size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
		ret = -errno;
		snprintf(why, whylen, "mmap shared anonymous: %s", strerror(-ret));
		return ret;
	}
	/* The shmem file behind the mapping, for lseek and pwrite. */
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)b->anchor, (unsigned long)b->anchor + b->size);
	b->fd = open(path, O_RDWR);
	if (b->fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "open %s: %s", path, strerror(-ret));
		return ret;
	}
	return 0;
}

static int open_anon_private(struct backing *b, char *why, size_t whylen)
{
	int ret;

	b->anchor = reserve_aligned(b->size, 0, b->pmd_size);
	if (!b->anchor ||
	    mmap(b->anchor, b->size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
		ret = -errno;
		snprintf(why, whylen, "mmap private anonymous: %s", strerror(-ret));
		return ret;
	}
	/* Or the first store would fault in a whole huge page. */
	if (madvise(b->anchor, b->size, MADV_NOHUGEPAGE)) {
		ret = -errno;
		snprintf(why, whylen, "MADV_NOHUGEPAGE: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* A file we create has no size yet; the shared anonymous one has. */
static int size_file(struct backing *b, char *why, size_t whylen)
{
	int ret;

	if (ftruncate(b->fd, b->size)) {
		ret = -errno;
		snprintf(why, whylen, "ftruncate: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static int open_memfd_sized(struct backing *b, char *why, size_t whylen)
{
	return open_memfd(b, why, whylen) ?: size_file(b, why, whylen);
}

static int open_tmpfs_sized(struct backing *b, char *why, size_t whylen)
{
	return open_tmpfs(b, false, why, whylen) ?: size_file(b, why, whylen);
}

/* Linked: freed with the instance, once detached (ready_tmpfs()) and closed. */
static int open_tmpfs_linked_sized(struct backing *b, char *why, size_t whylen)
{
	return open_tmpfs(b, true, why, whylen) ?: size_file(b, why, whylen);
}

/* tmpfs: remount with the huge= option under test, then let go of it. */
static int ready_tmpfs(struct backing *b)
{
	char opts[64];
	int ret = 0;

	if (!b->dir[0])
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

static int ready_anon_private(struct backing *b)
{
	return madvise(b->anchor, b->size, MADV_HUGEPAGE) ? -errno : 0;
}

static void *map_file(struct backing *b, size_t off, size_t len)
{
	void *addr = reserve_aligned(len, off, b->pmd_size);

	if (!addr)
		return NULL;
	if (mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 b->fd, off) == MAP_FAILED) {
		munmap(addr, len);
		return NULL;
	}
	return addr;
}

static void unmap_file(struct backing *b, void *addr, size_t len)
{
	munmap(addr, len);
}

/* Private anonymous memory has one mapping: parts of the anchor. */
static void *map_anchor(struct backing *b, size_t off, size_t len)
{
	if (off > b->size || len > b->size - off) {
		errno = EINVAL;
		return NULL;
	}
	return (char *)b->anchor + off;
}

static void unmap_anchor(struct backing *b, void *addr, size_t len)
{
}

static int write_file(struct backing *b, uint32_t page, const void *buf, int *how)
{
	ssize_t n = pwrite(b->fd, buf, b->page_size, (off_t)page * b->page_size);

	*how = FILL_PWRITE;
	if (n == (ssize_t)b->page_size)
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int write_anchor(struct backing *b, uint32_t page, const void *buf, int *how)
{
	*how = FILL_STORE;
	memcpy((char *)b->anchor + (size_t)page * b->page_size, buf, b->page_size);
	return 0;
}

static int read_file(struct backing *b, uint32_t page, void *buf)
{
	ssize_t n = pread(b->fd, buf, b->page_size, (off_t)page * b->page_size);

	if (n == (ssize_t)b->page_size)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* A load would fault in a private hole; only files have pread. */
static int read_anchor(struct backing *b, uint32_t page, void *buf)
{
	return -EOPNOTSUPP;
}

static bool filled_file(struct backing *b, uint32_t first, uint32_t n)
{
	return range_has_no_hole(b->fd, (size_t)first * b->page_size,
				 (size_t)n * b->page_size);
}

/* Without a file, present in the page table is what "not a hole" means. */
static bool filled_anchor(struct backing *b, uint32_t first, uint32_t n)
{
	uintptr_t va = (uintptr_t)b->anchor + (size_t)first * b->page_size;
	bool ok = true;
	uint64_t ent;
	uint32_t i;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return false;
	for (i = 0; i < n && ok; i++, va += b->page_size) {
		if (pread(fd, &ent, sizeof(ent), va / b->page_size * sizeof(ent)) !=
		    sizeof(ent) || !(ent >> 63))
			ok = false;
	}
	close(fd);
	return ok;
}

#define FILE_OPS							\
	.file = true, .probes = PROBE_SEEK | PROBE_MINCORE,		\
	.map = map_file, .unmap = unmap_file, .write = write_file,	\
	.read = read_file, .filled = filled_file

const struct backing_ops backing_kinds[BK_NR] = {
	[BK_MEMFD] = {
		.name = "memfd", FILE_OPS,
		.open = open_memfd_sized,
	},
	[BK_TMPFS] = {
		.name = "tmpfs", FILE_OPS,
		.open = open_tmpfs_sized, .ready = ready_tmpfs,
	},
	[BK_TMPFS_LINKED] = {
		.name = "tmpfs-linked", FILE_OPS,
		.open = open_tmpfs_linked_sized, .ready = ready_tmpfs,
	},
	[BK_SHM_ANON] = {
		.name = "shared-anon", FILE_OPS,
		.open = open_shm_anon,
	},
	[BK_ANON_PRIVATE] = {
		.name = "private-anon", .file = false, .probes = PROBE_PAGEMAP,
		.open = open_anon_private, .ready = ready_anon_private,
		.map = map_anchor, .unmap = unmap_anchor, .write = write_anchor,
		.read = read_anchor, .filled = filled_anchor,
	},
};

void *backing_reserve(struct backing *b, size_t off, size_t len)
{
	return reserve_aligned(len, off, b->pmd_size);
}

void *backing_map_private(struct backing *b, size_t off, size_t len)
{
	void *addr;

	if (!backing_is_file(b)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	addr = reserve_aligned(len, off, b->pmd_size);
	if (!addr)
		return NULL;
	if (mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		 b->fd, off) == MAP_FAILED) {
		munmap(addr, len);
		return NULL;
	}
	return addr;
}

void *backing_anchor(struct backing *b, size_t off, size_t len)
{
	if (!b->anchor) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	return map_anchor(b, off, len);
}

#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define PM_PFN_MASK		((1ULL << 55) - 1)

/* The page frame and its /proc/kpageflags of the page at va; -errno. */
static int page_frame(int pagemap, int kpageflags, uintptr_t va, size_t ps,
		      uint64_t *pfn, uint64_t *flags)
{
	uint64_t ent;

	if (pread(pagemap, &ent, sizeof(ent), va / ps * sizeof(ent)) != sizeof(ent))
		return -EIO;
	*pfn = ent & PM_PFN_MASK;
	if (!(ent >> 63))
		return -ENOENT;
	if (!*pfn)
		return -EPERM;	/* PFNs hidden: not CAP_SYS_ADMIN */
	if (pread(kpageflags, flags, sizeof(*flags), *pfn * sizeof(*flags)) != sizeof(*flags))
		return -EIO;
	return 0;
}

int backing_huge(struct backing *b, uint32_t first, uint32_t n)
{
	size_t ps = b->page_size, len = (size_t)n * ps;
	uint64_t pfn0 = 0, pfn, flags;
	int pagemap, kpageflags, ret = 1;
	bool mapped;
	char *m;
	uint32_t i;

	/* Mapping a hole and reading it would fill it: data only. */
	if (!backing_filled(b, first, n))
		return 0;
	mapped = backing_is_file(b);
	m = mapped ? map_file(b, (size_t)first * ps, len) :
		     (char *)b->anchor + (size_t)first * ps;
	if (!m)
		return -errno;
	/* Page table entries, for pagemap's page frames. */
	if (madvise(m, len, MADV_POPULATE_READ)) {
		ret = -errno;
		if (mapped)
			munmap(m, len);
		return ret;
	}
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0 || kpageflags < 0)
		ret = -errno;
	for (i = 0; i < n && ret == 1; i++) {
		ret = page_frame(pagemap, kpageflags, (uintptr_t)m + (size_t)i * ps, ps,
				 &pfn, &flags);
		if (ret)
			break;
		if (!i)
			pfn0 = pfn;
		ret = !i ? !!(flags & 1ULL << KPF_COMPOUND_HEAD) :
		      (flags & 1ULL << KPF_COMPOUND_TAIL) && pfn == pfn0 + i;
	}
	if (pagemap >= 0)
		close(pagemap);
	if (kpageflags >= 0)
		close(kpageflags);
	if (mapped)
		munmap(m, len);
	return ret;
}

const char *backing_name(enum backing_kind k)
{
	return k < BK_NR ? backing_kinds[k].name : "?";
}

int backing_open(struct backing *b, enum backing_kind kind, const char *huge,
		 size_t size, char *why, size_t whylen)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->huge = huge;
	b->fd = -1;
	b->size = size;
	b->page_size = getpagesize();
	b->pmd_size = thp_pmd_size();
	if (kind >= BK_NR) {
		snprintf(why, whylen, "no backing kind %d", kind);
		return -EINVAL;
	}
	b->ops = &backing_kinds[kind];
	if (!b->pmd_size) {
		snprintf(why, whylen, "no THP PMD size in sysfs");
		return -ENOENT;
	}
	ret = b->ops->open(b, why, whylen);
	if (ret)
		backing_close(b);
	return ret;
}

void *backing_map(struct backing *b, size_t off, size_t len)
{
	return b->ops->map(b, off, len);
}

void backing_unmap(struct backing *b, void *addr, size_t len)
{
	if (addr && b->ops)
		b->ops->unmap(b, addr, len);
}

bool backing_filled(struct backing *b, uint32_t first, uint32_t n)
{
	return b->ops->filled(b, first, n);
}

int backing_fill(struct backing *b, uint32_t page, int32_t gen,
		 struct ledger *l, uint16_t actor)
{
	char *buf = malloc(b->page_size);
	struct ev e = { .kind = EV_FILL, .page = page, .npages = 1,
			.value = gen, .actor = actor };
	int how = 0;

	if (!buf)
		return -ENOMEM;
	content_fill(buf, b->page_size, page, gen);
	e.t0 = ledger_stamp(l);
	e.err = -b->ops->write(b, page, buf, &how);
	e.t1 = ledger_stamp(l);
	e.aux = how;
	free(buf);
	ledger_add(l, &e);
	return -e.err;
}

int backing_ready(struct backing *b)
{
	return b->ops->ready ? b->ops->ready(b) : 0;
}

int32_t backing_read(struct backing *b, uint32_t page, struct ledger *l, uint16_t actor)
{
	char *buf = malloc(b->page_size);
	struct ev e = { .kind = EV_READ, .page = page, .npages = 1, .actor = actor };

	if (!buf)
		return CONTENT_NONE;
	e.t0 = ledger_stamp(l);
	e.err = -b->ops->read(b, page, buf);
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
