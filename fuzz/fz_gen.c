// SPDX-License-Identifier: GPL-2.0
/*
 * The generator: a sequence of operations from a seed, and nothing else.
 *
 * It walks the structural state as if every operation succeeded, so that
 * most operations name a slot that is mapped and a page inside it; pages
 * come mostly from a small pool (both ends of a PMD, its middle, a few odd
 * ones) so that registrations, holes, writes and collapses meet.
 */
#include <string.h>

#include "fz.h"
#include "rng.h"

struct weight {
	enum fz_kind kind;
	unsigned int w;
};

static const struct weight weights[] = {
	{ OP_MMAP, 6 }, { OP_MUNMAP, 1 }, { OP_MREMAP, 2 }, { OP_MADVISE, 14 },
	{ OP_FALLOCATE, 3 }, { OP_FTRUNCATE, 1 }, { OP_PWRITE, 8 }, { OP_PREAD, 3 },
	{ OP_TOUCH, 14 }, { OP_REGISTER, 8 }, { OP_UNREGISTER, 2 }, { OP_UFFDIO, 3 },
	{ OP_PROBE, 10 }, { OP_KHUGEPAGED, 1 }, { OP_FORK, 1 }, { OP_NUMA, 3 },
};

static const uint16_t page_pool[] = {
	0, 1, 2, 5, 37, 64, 255, 256, 257, 300, 448, 510, 511,
};

/* A weighted pick from a table of weights, in order. */
static unsigned int pick_w(struct rng *r, const unsigned int *w, unsigned int n)
{
	unsigned int i, total = 0, x;

	for (i = 0; i < n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static enum fz_kind pick_kind(struct rng *r)
{
	unsigned int w[ARRAY_SIZE(weights)], i;

	for (i = 0; i < ARRAY_SIZE(weights); i++)
		w[i] = weights[i].w;
	return weights[pick_w(r, w, i)].kind;
}

static uint16_t pick_page_in(struct rng *r, unsigned int first, unsigned int n)
{
	unsigned int pmd, off;

	if (!n)
		return first;
	if (rng_below(r, 10) == 0)
		return first + rng_below(r, n);
	pmd = rng_below(r, (n + FZ_PMD_PAGES - 1) / FZ_PMD_PAGES);
	off = page_pool[rng_below(r, ARRAY_SIZE(page_pool))];
	if (pmd * FZ_PMD_PAGES + off >= n)
		return first;
	return first + pmd * FZ_PMD_PAGES + off;
}

/* A mapped slot of the actor's process, or a random one. */
static uint8_t pick_slot(struct rng *r, const struct fz_struct *s, int proc)
{
	uint8_t mapped[FZ_SLOTS];
	unsigned int n = 0, i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (s->slot[proc][i].mapped)
			mapped[n++] = i;
	if (!n || rng_below(r, 16) == 0)
		return rng_below(r, FZ_SLOTS);
	return mapped[rng_below(r, n)];
}

static void fill_op(struct rng *r, const struct fz_struct *s, struct fz_op *op,
		    uint32_t *gen)
{
	static const unsigned int adv_w[ADV_NR] = { 3, 1, 6, 1, 2, 1 };
	static const unsigned int reg_w[] = { 12, 2, 2, 2, 2 };
	static const uint8_t reg_modes[] = {
		FZ_REG_MISSING, FZ_REG_MISSING | FZ_REG_WP, FZ_REG_MINOR,
		FZ_REG_MISSING | FZ_REG_MINOR, FZ_REG_WP,
	};
	static const unsigned int via_w[VIA_NR] = { 11, 3, 3, 3 };
	static const unsigned int probe_w[PRB_NR] = { 4, 3, 3 };
	unsigned int a = rng_below(r, 20);
	const struct fz_slot *sl;
	int proc;

	op->actor = a < 14 ? 0 : a < 17 ? 1 : (s->child ? 2 : 0);
	proc = fz_proc_of(op->actor);
	op->slot = pick_slot(r, s, proc);
	sl = &s->slot[proc][op->slot];
	op->file = sl->mapped ? sl->file : rng_below(r, FZ_FILES);
	op->page = sl->mapped ? pick_page_in(r, sl->first, sl->npages) :
		   pick_page_in(r, 0, FZ_FILE_PAGES);
	op->npages = 1;

	switch (op->kind) {
	case OP_MMAP:
		op->file = rng_below(r, FZ_FILES);
		op->page = rng_below(r, 3) == 0 ? FZ_PMD_PAGES : 0;
		op->npages = op->page ? FZ_PMD_PAGES : (rng_below(r, 2) + 1) * FZ_PMD_PAGES;
		/* prefer a free slot */
		for (a = 0; a < FZ_SLOTS && s->slot[proc][op->slot].mapped; a++)
			op->slot = (op->slot + 1) % FZ_SLOTS;
		break;
	case OP_MADVISE:
		op->sub = pick_w(r, adv_w, ADV_NR);
		op->npages = 1 + rng_below(r, 64);
		if (op->sub == ADV_COLLAPSE && rng_below(r, 10) < 3) {
			op->async = 1;
			op->actor = 1;
		}
		break;
	case OP_FALLOCATE:
		op->sub = rng_below(r, 3) ? FALLOC_PUNCH : FALLOC_ALLOC;
		op->npages = 1 + rng_below(r, 16);
		break;
	case OP_FTRUNCATE:
		op->npages = (rng_below(r, 2) + 1) * FZ_PMD_PAGES;
		break;
	case OP_PWRITE:
		op->npages = 1 + rng_below(r, 8);
		op->gen = ++*gen;
		break;
	case OP_TOUCH:
		op->sub = pick_w(r, via_w, VIA_NR);
		op->arg = (rng_below(r, 2) ? FZ_TOUCH_STORE : 0) |
			  (rng_below(r, 5) == 0 ? FZ_TOUCH_ZEROPAGE : 0);
		op->gen = ++*gen;
		break;
	case OP_REGISTER:
		op->sub = reg_modes[pick_w(r, reg_w, ARRAY_SIZE(reg_w))];
		/* fall through */
	case OP_UNREGISTER:
		a = rng_below(r, 4);
		if (sl->mapped && a < 2) {
			op->page = sl->first;
			op->npages = sl->npages;
		} else if (a == 2) {
			op->page -= op->page % FZ_PMD_PAGES;
			op->npages = FZ_PMD_PAGES;
		} else {
			op->npages = 1 + rng_below(r, 16);
		}
		break;
	case OP_UFFDIO:
		op->sub = rng_below(r, UIO_NR);
		op->gen = ++*gen;
		break;
	case OP_PROBE:
		op->sub = pick_w(r, probe_w, PRB_NR);
		if (op->sub == PRB_MINCORE)
			op->npages = 1 + rng_below(r, FZ_MINCORE_MAX);
		else if (rng_below(r, 2))
			op->page -= op->page % FZ_PMD_PAGES;
		break;
	case OP_KHUGEPAGED:
		if (rng_below(r, 3) == 0) {
			op->async = 1;
			op->actor = 1;
		}
		break;
	case OP_NUMA:
		op->sub = rng_below(r, NUMA_NR);
		op->arg = rng_below(r, 4);
		op->npages = 1 + rng_below(r, 16);
		if (rng_below(r, 2)) {
			op->async = 1;
			op->actor = 1;
		}
		break;
	default:
		break;
	}
}

uint64_t fz_iter_seed(uint64_t seed, uint64_t iter)
{
	uint64_t x = seed + (iter + 1) * 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

unsigned int fz_generate(uint64_t seed, unsigned int nops, struct fz_op *ops)
{
	struct fz_obs ok = { .done = 1 };
	struct fz_struct s;
	unsigned int i = 0, pending = 0, join_in = 0;
	uint32_t gen = 0;
	struct rng r;

	if (nops > FZ_MAX_OPS)
		nops = FZ_MAX_OPS;
	rng_seed(&r, seed);
	fz_struct_init(&s);
	while (i < nops) {
		struct fz_op *op = &ops[i];

		memset(op, 0, sizeof(*op));
		if (pending && !--join_in) {
			op->kind = OP_JOIN;
			pending = 0;
		} else {
			op->kind = pick_kind(&r);
			fill_op(&r, &s, op, &gen);
		}
		i++;
		if (op->async && !pending) {
			pending = 1;
			join_in = 1 + rng_below(&r, 4);
		}
		{
			struct fz_op c = *op;

			if (fz_struct_applies(&s, &c))
				fz_struct_advance(&s, &c, &ok);
		}
	}
	return i;
}
