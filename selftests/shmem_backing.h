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
	BK_SHM_ANON,		/* MAP_SHARED | MAP_ANONYMOUS */
	BK_ANON_PRIVATE,	/* MAP_PRIVATE | MAP_ANONYMOUS: no file at all */
	BK_NR,
};

struct backing {
	enum backing_kind kind;
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
	return b->kind != BK_ANON_PRIVATE;
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
 * BK_ANON_PRIVATE there is one mapping only: the anchor.  NULL on error.
 */
void *backing_map(struct backing *b, size_t off, size_t len);

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
