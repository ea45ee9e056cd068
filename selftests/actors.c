// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "actors.h"
#include "content.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

void touch_range(struct ledger *l, char *addr, uint32_t first_page, uint32_t n,
		 uint16_t map, uint16_t actor, enum touch_how how, int32_t gen)
{
	size_t ps = getpagesize();
	char *buf = malloc(ps);
	uint32_t p;

	if (!buf)
		return;
	for (p = 0; p < n; p++) {
		struct ev e = { .kind = EV_TOUCH, .aux = how, .npages = 1,
				.page = first_page + p, .map = map, .actor = actor,
				.value = gen };
		char *page = addr + (size_t)p * ps;

		if (how == TOUCH_STORE)
			content_fill(buf, ps, e.page, gen);
		e.t0 = ledger_stamp(l);
		if (how == TOUCH_STORE)
			memcpy(page, buf, ps);
		else
			memcpy(buf, page, ps);
		e.t1 = ledger_stamp(l);
		if (how == TOUCH_LOAD)
			e.value = content_decode(buf, ps, e.page);
		ledger_add(l, &e);
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

int collapse_range(struct ledger *l, char *addr, size_t len, uint32_t first_page,
		   enum collapse_agent agent, uint16_t actor)
{
	struct ev e = { .kind = EV_COLLAPSE, .aux = agent, .page = first_page,
			.npages = len / getpagesize(), .actor = actor };
	int ret;

	e.t0 = ledger_stamp(l);
	ret = madvise(addr, len, MADV_COLLAPSE);
	e.err = ret ? errno : 0;
	e.t1 = ledger_stamp(l);
	ledger_add(l, &e);
	return e.err;
}

int punch_range(struct ledger *l, struct backing *b, uint32_t first, uint32_t n,
		uint16_t actor)
{
	struct ev e = { .kind = EV_REMOVE, .aux = REMOVE_PUNCH, .page = first,
			.npages = n, .actor = actor };
	size_t ps = getpagesize();

	e.t0 = ledger_stamp(l);
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)first * ps, (off_t)n * ps))
		e.err = errno;
	e.t1 = ledger_stamp(l);
	ledger_add(l, &e);
	return -e.err;
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
