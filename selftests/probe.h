/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probes: what userspace can see of a page without touching it.  Each probe
 * is one syscall, stamped before and after, logged as EV_PROBE.
 *
 *   SEEK_DATA / SEEK_HOLE  file level, page cache presence (swap is data)
 *   mincore                page cache residency through a mapping
 *   pagemap                PTE presence: existence only for private anon
 *
 * Walks (probe_walk()) ask, as users do, where the next hole or data is
 * from an offset; what the answer claims is logged.
 */
#ifndef UFFDC_PROBE_H
#define UFFDC_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "util.h"		/* system_has_swap(): when mincore's HOLE is evidence */

#define PROBE_SEEK	(1u << PM_SEEK_DATA | 1u << PM_SEEK_HOLE)
#define PROBE_MINCORE	(1u << PM_MINCORE)
#define PROBE_PAGEMAP	(1u << PM_PAGEMAP)

struct probe_target {
	int fd;			/* for SEEK_*; -1 if none */
	char *addr;		/* mapping for mincore/pagemap; NULL if none */
	uint32_t addr_page;	/* file page index at addr */
	uint16_t map;		/* map id of addr */
	int pagemap_fd;		/* /proc/self/pagemap, opened by probe_open */
	size_t page_size;
};

int probe_open(struct probe_target *t, int fd, void *addr, uint32_t addr_page,
	       uint16_t map);
void probe_close(struct probe_target *t);

/* One probe of one page; returns PROBE_HOLE, PROBE_DATA, or -errno. */
int probe_page(struct probe_target *t, enum probe_method m, uint32_t page,
	       struct ledger *l, uint16_t actor);

/*
 * Probe [first, first + n) with every method in the methods mask.
 * Returns the number of HOLE readings, or -errno on the first failure.
 */
long probe_range(struct probe_target *t, unsigned int methods, uint32_t first,
		 uint32_t n, struct ledger *l, uint16_t actor);

/*
 * One step of a walk (PM_WALK_HOLE or PM_WALK_DATA, ledger.h): lseek from
 * page 'from' (< file_pages) with SEEK_HOLE or SEEK_DATA, the same call
 * again at once, logged when the answer claims a hole.  file_pages is the
 * file's size in pages: the answer of an ENXIO.  Returns the answer (a page
 * index), or -errno.
 */
long probe_walk(struct probe_target *t, enum probe_method m, uint32_t from,
		uint32_t file_pages, struct ledger *l, uint16_t actor);

/*
 * A whole-file walk as cp --sparse walks: SEEK_DATA and SEEK_HOLE in turn
 * from page 0 to file_pages, each a probe_walk().  Returns the number of
 * lseeks, or -errno.
 */
long probe_walk_file(struct probe_target *t, uint32_t file_pages, struct ledger *l,
		     uint16_t actor);

/* No hole in [off, off + len) of fd: the holes were filled (collapsed). */
bool range_has_no_hole(int fd, size_t off, size_t len);

#endif
