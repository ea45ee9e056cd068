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

/* By fz_op_desc[].weight: a kind of weight 0 is never picked. */
static enum fz_kind pick_kind(struct rng *r)
{
	unsigned int w[OP_NR_KINDS], i;

	for (i = 0; i < OP_NR_KINDS; i++)
		w[i] = fz_op_desc[i].weight;
	return pick_w(r, w, OP_NR_KINDS);
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

/*
 * The kind's own fields, after the common ones (actor, slot, file, page,
 * npages = 1): sl is the slot picked, in process proc.  The order of the
 * random draws is the sequence: changing it changes every seed's output.
 */
struct gen_ctx {
	struct rng *r;
	const struct fz_struct *s;
	const struct fz_slot *sl;
	int proc;
	uint32_t *gen;
};

static void gen_none(struct gen_ctx *g, struct fz_op *op)
{
}

static void gen_mmap(struct gen_ctx *g, struct fz_op *op)
{
	unsigned int i;

	op->file = rng_below(g->r, FZ_FILES);
	op->page = rng_below(g->r, 3) == 0 ? FZ_PMD_PAGES : 0;
	op->npages = op->page ? FZ_PMD_PAGES : (rng_below(g->r, 2) + 1) * FZ_PMD_PAGES;
	/* prefer a free slot */
	for (i = 0; i < FZ_SLOTS && g->s->slot[g->proc][op->slot].mapped; i++)
		op->slot = (op->slot + 1) % FZ_SLOTS;
}

static void gen_madvise(struct gen_ctx *g, struct fz_op *op)
{
	static const unsigned int adv_w[ADV_NR] = { 3, 1, 6, 1, 2, 1 };

	op->sub = pick_w(g->r, adv_w, ADV_NR);
	op->npages = 1 + rng_below(g->r, 64);
	if (op->sub == ADV_COLLAPSE && rng_below(g->r, 10) < 3) {
		op->async = 1;
		op->actor = 1;
	}
}

static void gen_fallocate(struct gen_ctx *g, struct fz_op *op)
{
	op->sub = rng_below(g->r, 3) ? FALLOC_PUNCH : FALLOC_ALLOC;
	op->npages = 1 + rng_below(g->r, 16);
}

static void gen_ftruncate(struct gen_ctx *g, struct fz_op *op)
{
	op->npages = (rng_below(g->r, 2) + 1) * FZ_PMD_PAGES;
}

static void gen_pwrite(struct gen_ctx *g, struct fz_op *op)
{
	op->npages = 1 + rng_below(g->r, 8);
	op->gen = ++*g->gen;
}

static void gen_touch(struct gen_ctx *g, struct fz_op *op)
{
	static const unsigned int via_w[VIA_NR] = { 11, 3, 3, 3 };

	op->sub = pick_w(g->r, via_w, VIA_NR);
	op->arg = (rng_below(g->r, 2) ? FZ_TOUCH_STORE : 0) |
		  (rng_below(g->r, 5) == 0 ? FZ_TOUCH_ZEROPAGE : 0);
	op->gen = ++*g->gen;
}

static void gen_unregister(struct gen_ctx *g, struct fz_op *op)
{
	unsigned int a = rng_below(g->r, 4);

	if (g->sl->mapped && a < 2) {
		op->page = g->sl->first;
		op->npages = g->sl->npages;
	} else if (a == 2) {
		op->page -= op->page % FZ_PMD_PAGES;
		op->npages = FZ_PMD_PAGES;
	} else {
		op->npages = 1 + rng_below(g->r, 16);
	}
}

static void gen_register(struct gen_ctx *g, struct fz_op *op)
{
	static const unsigned int reg_w[] = { 10, 3, 2, 2, 3 };
	static const uint8_t reg_modes[] = {
		FZ_REG_MISSING, FZ_REG_MISSING | FZ_REG_WP, FZ_REG_MINOR,
		FZ_REG_MISSING | FZ_REG_MINOR, FZ_REG_WP,
	};

	op->sub = reg_modes[pick_w(g->r, reg_w, ARRAY_SIZE(reg_w))];
	gen_unregister(g, op);
}

static void gen_uffdio(struct gen_ctx *g, struct fz_op *op)
{
	op->sub = rng_below(g->r, UIO_NR);
	op->gen = ++*g->gen;
}

/* By fz_probe_desc[].weight, like the kinds. */
static void gen_probe(struct gen_ctx *g, struct fz_op *op)
{
	unsigned int w[PRB_NR], i;

	for (i = 0; i < PRB_NR; i++)
		w[i] = fz_probe_desc[i].weight;
	op->sub = pick_w(g->r, w, PRB_NR);
	switch (fz_probe_desc[op->sub].on) {
	case PRB_ON_SLOT:
		op->npages = 1 + rng_below(g->r, FZ_MINCORE_MAX);
		break;
	case PRB_ON_FILE:
		op->page = 0;
		break;
	default:
		if (rng_below(g->r, 2))
			op->page -= op->page % FZ_PMD_PAGES;
	}
}

static void gen_khugepaged(struct gen_ctx *g, struct fz_op *op)
{
	if (rng_below(g->r, 3) == 0) {
		op->async = 1;
		op->actor = 1;
	}
}

static void gen_numa(struct gen_ctx *g, struct fz_op *op)
{
	op->sub = rng_below(g->r, NUMA_NR);
	op->arg = rng_below(g->r, 4);
	op->npages = 1 + rng_below(g->r, 16);
	if (rng_below(g->r, 2)) {
		op->async = 1;
		op->actor = 1;
	}
}

static void gen_populate(struct gen_ctx *g, struct fz_op *op)
{
	op->sub = rng_below(g->r, POP_NR);
	op->arg = rng_below(g->r, 5) == 0 ? FZ_TOUCH_ZEROPAGE : 0;
	op->npages = 1 + rng_below(g->r, 64);
	op->gen = ++*g->gen;
}

/*
 * Mostly protect, over a range chosen as for (un)registering; mostly from
 * the slot's first WP-registered page, where it applies.
 */
static void gen_writeprotect(struct gen_ctx *g, struct fz_op *op)
{
	unsigned int i;

	op->sub = rng_below(g->r, 4) ? FZ_WP_PROTECT : FZ_WP_UNPROTECT;
	gen_unregister(g, op);
	if (!g->sl->mapped || !rng_below(g->r, 4))
		return;
	for (i = g->sl->first; i < g->sl->first + g->sl->npages; i++)
		if (g->sl->reg[i] & FZ_REG_WP) {
			op->page = i;
			break;
		}
}

static void gen_uffd(struct gen_ctx *g, struct fz_op *op)
{
	op->sub = rng_below(g->r, FZ_EV_ALL + 1);
}

/* One of the sizes from 8 kB to 1 MiB, mostly allowed. */
static void gen_mthp(struct gen_ctx *g, struct fz_op *op)
{
	static const unsigned int policy_w[] = {
		[FZ_MTHP_NEVER] = 1, [FZ_MTHP_ADVISE] = 3, [FZ_MTHP_ALWAYS] = 4,
		[FZ_MTHP_WITHIN_SIZE] = 1,
	};

	op->sub = 1 + rng_below(g->r, FZ_MTHP_MAX_ORDER);
	op->arg = pick_w(g->r, policy_w, ARRAY_SIZE(policy_w));
}

/*
 * From a pool page over up to FZ_PAGEOUT_MAX: the pool pages that touches
 * and populates of this process mapped there are what can go out.
 */
static void gen_pageout(struct gen_ctx *g, struct fz_op *op)
{
	op->npages = 1 + rng_below(g->r, FZ_PAGEOUT_MAX);
}

static void (*const gen_fn[OP_NR_KINDS])(struct gen_ctx *g, struct fz_op *op) = {
	FZ_OPS(FZ_SKIP, FZ_TAKE, FZ_SKIP, FZ_SKIP)
};

bool fz_gen_has(enum fz_kind k)
{
	return k < OP_NR_KINDS && gen_fn[k];
}

static void fill_op(struct rng *r, const struct fz_struct *s, struct fz_op *op,
		    uint32_t *gen)
{
	unsigned int a = rng_below(r, 20);
	struct gen_ctx g = { .r = r, .s = s, .gen = gen };

	op->actor = a < 14 ? 0 : a < 17 ? 1 : (s->child ? 2 : 0);
	g.proc = fz_proc_of(op->actor);
	op->slot = pick_slot(r, s, g.proc);
	g.sl = &s->slot[g.proc][op->slot];
	op->file = g.sl->mapped ? g.sl->file : rng_below(r, FZ_FILES);
	op->page = g.sl->mapped ? pick_page_in(r, g.sl->first, g.sl->npages) :
		   pick_page_in(r, 0, FZ_FILE_PAGES);
	op->npages = 1;
	gen_fn[op->kind](&g, op);
}

uint64_t fz_iter_seed(uint64_t seed, uint64_t iter)
{
	uint64_t x = seed + (iter + 1) * 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * A third of the pageouts are followed at once by MADV_COLLAPSE of their
 * PMD, from the same actor, a third of those asynchronous: the pages they
 * pushed out are still swapped when collapse_file() meets them (a touch in
 * between would swap them in first).
 */
static bool follow_pageout(struct rng *r, const struct fz_op *op, struct fz_op *next)
{
	if (op->kind != OP_PAGEOUT || rng_below(r, 3))
		return false;
	*next = (struct fz_op){ .kind = OP_MADVISE, .sub = ADV_COLLAPSE, .actor = op->actor,
				.slot = op->slot, .file = op->file, .page = op->page,
				.npages = FZ_PMD_PAGES };
	if (op->actor != 2 && rng_below(r, 3) == 0) {
		next->async = 1;
		next->actor = 1;
	}
	return true;
}

unsigned int fz_generate(uint64_t seed, unsigned int nops, struct fz_op *ops)
{
	struct fz_obs ok = { .done = 1 };
	struct fz_op next = { 0 };
	bool follow = false;
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
		} else if (follow) {
			*op = next;
			follow = false;
		} else {
			op->kind = pick_kind(&r);
			fill_op(&r, &s, op, &gen);
			follow = follow_pageout(&r, op, &next);
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
