// SPDX-License-Identifier: GPL-2.0
/*
 * Probes of one page by SEEK_DATA, SEEK_HOLE, mincore or pagemap, and
 * walks by SEEK_HOLE / SEEK_DATA from an offset, each logged as EV_PROBE:
 * see probe.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)

int probe_open(struct probe_target *t, int fd, void *addr, uint32_t addr_page,
	       uint16_t map)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->addr = addr;
	t->addr_page = addr_page;
	t->map = map;
	t->page_size = getpagesize();
	t->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	return 0;
}

void probe_close(struct probe_target *t)
{
	if (t->pagemap_fd >= 0)
		close(t->pagemap_fd);
	t->pagemap_fd = -1;
}

static int probe_raw(struct probe_target *t, enum probe_method m, uint32_t page)
{
	off_t off = (off_t)page * t->page_size, r;
	char *va = t->addr + ((long)page - (long)t->addr_page) * (long)t->page_size;
	unsigned char vec;
	uint64_t ent;

	switch (m) {
	case PM_SEEK_DATA:
		r = lseek(t->fd, off, SEEK_DATA);
		if (r < 0)
			return errno == ENXIO ? PROBE_HOLE : -errno;
		return r == off ? PROBE_DATA : PROBE_HOLE;
	case PM_SEEK_HOLE:
		r = lseek(t->fd, off, SEEK_HOLE);
		if (r < 0)
			return -errno;
		return r == off ? PROBE_HOLE : PROBE_DATA;
	case PM_MINCORE:
		if (mincore(va, t->page_size, &vec))
			return -errno;
		return vec & 1 ? PROBE_DATA : PROBE_HOLE;
	case PM_PAGEMAP:
		if (pread(t->pagemap_fd, &ent, sizeof(ent),
			  (uintptr_t)va / t->page_size * sizeof(ent)) != sizeof(ent))
			return -EIO;
		return ent & (PM_PRESENT | PM_SWAP) ? PROBE_DATA : PROBE_HOLE;
	default:
		return -EINVAL;
	}
}

int probe_page(struct probe_target *t, enum probe_method m, uint32_t page,
	       struct ledger *l, uint16_t actor)
{
	struct ev e = { .kind = EV_PROBE, .aux = m, .page = page, .npages = 1,
			.actor = actor };
	int r;

	/* Address-based probes carry their map; SEEK_* is file level. */
	if (m == PM_MINCORE || m == PM_PAGEMAP)
		e.map = t->map;
	e.t0 = ledger_stamp(l);
	r = probe_raw(t, m, page);
	e.t1 = ledger_stamp(l);
	if (r < 0)
		return r;
	e.value = r;
	ledger_add(l, &e);
	return r;
}

long probe_range(struct probe_target *t, unsigned int methods, uint32_t first,
		 uint32_t n, struct ledger *l, uint16_t actor)
{
	long holes = 0;
	uint32_t p;
	int m, r;

	for (p = first; p < first + n; p++) {
		for (m = 0; m < PM_NR; m++) {
			if (!(methods & (1u << m)))
				continue;
			r = probe_page(t, m, p, l, actor);
			if (r < 0)
				return r;
			holes += r == PROBE_HOLE;
		}
	}
	return holes;
}

/* The page lseek answers from 'from' (file_pages for ENXIO), or -errno. */
static long walk_raw(struct probe_target *t, enum probe_method m, uint32_t from,
		     uint32_t file_pages)
{
	off_t r = lseek(t->fd, (off_t)from * t->page_size,
			m == PM_WALK_HOLE ? SEEK_HOLE : SEEK_DATA);

	if (r < 0)
		return errno == ENXIO && m == PM_WALK_DATA ? (long)file_pages : -errno;
	r /= t->page_size;
	return r < file_pages ? (long)r : (long)file_pages;
}

long probe_walk(struct probe_target *t, enum probe_method m, uint32_t from,
		uint32_t file_pages, struct ledger *l, uint16_t actor)
{
	struct ev e = { .kind = EV_PROBE, .aux = m, .from = from, .value = PROBE_HOLE,
			.actor = actor };
	long a, b;

	if (!pm_is_walk(m) || from >= file_pages)
		return -EINVAL;
	e.t0 = ledger_stamp(l);
	a = walk_raw(t, m, from, file_pages);
	b = walk_raw(t, m, from, file_pages);
	e.t1 = ledger_stamp(l);
	if (a < 0)
		return a;
	e.again = b < 0 ? UINT32_MAX : (uint32_t)b;
	if (m == PM_WALK_HOLE && a < file_pages) {
		e.page = a;
		e.npages = 1;
		ledger_add(l, &e);
	} else if (m == PM_WALK_DATA && a > from) {
		e.page = from;
		e.npages = a - from;
		ledger_add(l, &e);
	}
	return a;
}

long probe_walk_file(struct probe_target *t, uint32_t file_pages, struct ledger *l,
		     uint16_t actor)
{
	uint32_t pos = 0;
	long a, n = 0;

	while (pos < file_pages) {
		a = probe_walk(t, PM_WALK_DATA, pos, file_pages, l, actor);
		n++;
		if (a < 0)
			return a;
		if (a >= file_pages)
			break;
		pos = a > pos ? a : pos;
		a = probe_walk(t, PM_WALK_HOLE, pos, file_pages, l, actor);
		n++;
		if (a < 0)
			return a;
		/* A hole where SEEK_DATA just found data: go on past it. */
		pos = a > pos ? a : pos + 1;
	}
	return n;
}

bool range_has_no_hole(int fd, size_t off, size_t len)
{
	off_t r = lseek(fd, off, SEEK_HOLE);

	return r >= (off_t)(off + len);
}
