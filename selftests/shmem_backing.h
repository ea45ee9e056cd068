/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Backings: the memory whose holes the contract is about.  Every shmem
 * backing hands out a file descriptor (SEEK_DATA/SEEK_HOLE and pwrite need
 * one), and mappings placed so that PMD-aligned file offsets land on
 * PMD-aligned addresses, the precondition for any collapse.
 */
#ifndef UFFDC_SHMEM_BACKING_H
#define UFFDC_SHMEM_BACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

enum backing_kind {
	BK_MEMFD,		/* memfd_create(): the internal shm mount */
	BK_TMPFS,		/* a private tmpfs mount with a huge= option */
	/*
	 * The same with the file left linked: shmem maps an unlinked file
	 * as anonymous shared memory, whose faults follow the per-size
	 * knobs; a linked one's faults follow huge= alone.
	 */
	BK_TMPFS_LINKED,
	BK_SHM_ANON,		/* MAP_SHARED | MAP_ANONYMOUS */
	BK_ANON_PRIVATE,	/* MAP_PRIVATE | MAP_ANONYMOUS: no file at all */
	BK_NR,
};

struct backing;

/*
 * One entry of backing_kinds[] per kind: how it is created and made ready
 * for huge pages, and how its pages are reached.  Adding a backing is one
 * enum value, one entry and its functions; callers use the backing_*()
 * functions below, which read the entry, and never test the kind.
 */
struct backing_ops {
	const char *name;
	bool file;		/* has a file: lseek, pread, pwrite, punch */
	unsigned int probes;	/* probe methods (probe.h) that see its holes */
	/* Create the empty backing (size and page sizes are set). */
	int (*open)(struct backing *b, char *why, size_t whylen);
	/* Populated: allow huge pages from now on.  May be NULL. */
	int (*ready)(struct backing *b);
	/* Map [off, off + len) MAP_SHARED, PMD-aligned; NULL on error. */
	void *(*map)(struct backing *b, size_t off, size_t len);
	void (*unmap)(struct backing *b, void *addr, size_t len);
	/* Make page hold the bytes of buf; 0 or -errno.  *how: enum fill_how */
	int (*write)(struct backing *b, uint32_t page, const void *buf, int *how);
	/* Read page into buf without faulting it in; 0 or -errno. */
	int (*read)(struct backing *b, uint32_t page, void *buf);
	/* Is [first, first + n) free of holes (a collapse filled it)? */
	bool (*filled)(struct backing *b, uint32_t first, uint32_t n);
};

extern const struct backing_ops backing_kinds[BK_NR];

struct backing {
	enum backing_kind kind;
	const struct backing_ops *ops;
	const char *huge;	/* tmpfs: huge= once populated */
	int fd;			/* -1 for BK_ANON_PRIVATE */
	size_t size;
	size_t page_size;
	size_t pmd_size;
	void *anchor;		/* the mapping that owns anonymous memory */
	char dir[64];		/* tmpfs mount point, empty once detached */
};

const char *backing_name(enum backing_kind k);

static inline bool backing_is_file(const struct backing *b)
{
	return b->ops && b->ops->file;
}

/* The probe methods that see this backing's holes (probe.h masks). */
static inline unsigned int backing_probes(const struct backing *b)
{
	return b->ops->probes;
}

/*
 * Create an empty backing of size bytes (a multiple of the PMD size).
 * Backings are created so that populating leaves holes (tmpfs huge=never,
 * private anon MADV_NOHUGEPAGE); backing_ready() then allows huge pages.  Returns 0 or
 * -errno, with a reason in why.
 */
int backing_open(struct backing *b, enum backing_kind kind, const char *huge,
		 size_t size, char *why, size_t whylen);

/*
 * Map [off, off + len) of the backing MAP_SHARED, PMD-aligned.  For
 * BK_ANON_PRIVATE there is one mapping only, the anchor: this returns the
 * part of it at off.  NULL on error.
 */
void *backing_map(struct backing *b, size_t off, size_t len);

/* Undo backing_map(); nothing for the anchor's parts. */
void backing_unmap(struct backing *b, void *addr, size_t len);

/*
 * An inaccessible reservation of len bytes placed as backing_map() places
 * file offset off (PMD-aligned offsets on PMD-aligned addresses), to map
 * or mremap over with MAP_FIXED; munmap() what is left of it.
 */
void *backing_reserve(struct backing *b, size_t off, size_t len);

/*
 * Map [off, off + len) of a file backing MAP_PRIVATE, placed the same
 * way: the file's pages, copied on write.  NULL with errno (EOPNOTSUPP
 * without a file).  munmap() it.
 */
void *backing_map_private(struct backing *b, size_t off, size_t len);

/*
 * The part at off of the mapping that owns anonymous memory: for
 * BK_SHM_ANON, the MAP_SHARED | MAP_ANONYMOUS mapping itself (backing_map()
 * maps its file again, a second VMA).  NULL with errno when there is none;
 * never unmapped alone.
 */
void *backing_anchor(struct backing *b, size_t off, size_t len);

/*
 * Are pages [first, first + n) one compound page, from its head: the huge
 * page a collapse made?  Read from /proc/self/pagemap and /proc/kpageflags
 * through a mapping of our own (root: page frames are hidden otherwise).
 * A range with a hole is not (and is not touched).  1, 0, or -errno when
 * it cannot tell.
 */
int backing_huge(struct backing *b, uint32_t first, uint32_t n);

/* No hole in pages [first, first + n): the holes were filled (collapsed). */
bool backing_filled(struct backing *b, uint32_t first, uint32_t n);

/* Make page hold pattern gen, logging a FILL.  Returns 0 or -errno. */
int backing_fill(struct backing *b, uint32_t page, int32_t gen,
		 struct ledger *l, uint16_t actor);

/*
 * Populated: from now on huge pages are allowed (tmpfs: remount with the
 * huge= option under test; private anon: MADV_HUGEPAGE).  0 or -errno.
 */
int backing_ready(struct backing *b);

/* pread-and-decode one page, logging a READ.  Returns the content value. */
int32_t backing_read(struct backing *b, uint32_t page, struct ledger *l, uint16_t actor);

void backing_close(struct backing *b);

#endif
