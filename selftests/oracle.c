// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle: judges a ledger against the userfaultfd MISSING contract,
 * by the orders its stamps prove, and reports what it found; see oracle.h.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "content.h"
#include "oracle.h"

static const char * const vnames[V_NR] = {
	[V_LOST_FAULT] = "lost-fault",
	[V_SPURIOUS_FAULT] = "spurious-fault",
	[V_DATA_VANISHED] = "data-vanished",
	[V_CONTENT] = "content",
	[V_COPY_EEXIST] = "copy-eexist",
	[V_FILL_ON_ALLOC] = "fill-on-alloc",
	[V_SEEK_FLICKER] = "seek-flicker",
	[V_FAULT_LOOP] = "fault-loop",
};

const char *violation_name(enum violation_kind k)
{
	return k < V_NR ? vnames[k] : "?";
}

static const char * const known_gaps[V_NR] = {
	[V_FILL_ON_ALLOC] = "docs/findings/fill-on-alloc.md",
	[V_SEEK_FLICKER] = "docs/findings/seek-hole-flicker.md",
};

const char *violation_known_gap(enum violation_kind k)
{
	return k < V_NR ? known_gaps[k] : NULL;
}

bool verdict_known_gaps_only(const struct verdict *v)
{
	unsigned int k, gaps = 0;

	for (k = 0; k < V_NR; k++)
		if (known_gaps[k])
			gaps += v->count[k];
	return v->total && gaps == v->total && !v->unjudgeable;
}

#define T_INF UINT64_MAX

/* Events touching each page, so every rule only scans one page's history. */
struct page_index {
	uint32_t npages;
	uint64_t *start;	/* npages + 1 offsets into idx */
	uint64_t *idx;		/* ledger indices */
};

static void pidx_free(struct page_index *pi)
{
	free(pi->start);
	free(pi->idx);
}

/* Probes can be thousands per page; "rare" indexes leave them out. */
static bool indexed(const struct ev *e, bool rare)
{
	return !rare || e->kind != EV_PROBE;
}

static int pidx_build(const struct ledger *l, struct page_index *pi, bool rare)
{
	uint64_t i, n = ledger_count(l), total = 0;
	uint64_t *fill;
	uint32_t p;

	memset(pi, 0, sizeof(*pi));
	for (i = 0; i < n; i++) {
		uint64_t end = (uint64_t)l->ev[i].page + (l->ev[i].npages ?: 1);

		if (end > pi->npages)
			pi->npages = end;
	}
	pi->start = calloc(pi->npages + 1, sizeof(*pi->start));
	if (!pi->start)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct ev *e = &l->ev[i];

		if (!indexed(e, rare))
			continue;
		for (p = e->page; p < e->page + (e->npages ?: 1); p++)
			pi->start[p + 1]++;
	}
	for (p = 0; p < pi->npages; p++)
		pi->start[p + 1] += pi->start[p];
	total = pi->start[pi->npages];
	pi->idx = malloc((total ?: 1) * sizeof(*pi->idx));
	fill = calloc(pi->npages + 1, sizeof(*fill));
	if (!pi->idx || !fill) {
		free(fill);
		pidx_free(pi);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct ev *e = &l->ev[i];

		if (!indexed(e, rare))
			continue;
		for (p = e->page; p < e->page + (e->npages ?: 1); p++)
			pi->idx[pi->start[p] + fill[p]++] = i;
	}
	free(fill);
	return 0;
}

#define for_each_page_ev(pi, l, page, k, e) \
	for (k = (pi)->start[page]; \
	     k < (pi)->start[(page) + 1] && ((e) = &(l)->ev[(pi)->idx[k]], 1); k++)

struct judge {
	const struct ledger *l;
	const struct oracle_opts *o;
	struct page_index pi;	/* every event of a page */
	struct page_index rare;	/* the same without probes */
	struct verdict *out;
};

/*
 * A registration of map on page covers the open interval (r.t1, end): it
 * ends at the start of the first unregistration that may have taken effect
 * after it began.  Is [a, b] wholly inside one such window?
 */
static const struct ev *registered_over(struct judge *j, uint32_t page,
					uint16_t map, uint64_t a, uint64_t b)
{
	const struct ev *r, *u;
	uint64_t k, m, end;

	for_each_page_ev(&j->rare, j->l, page, k, r) {
		if (r->kind != EV_REGISTER || r->err || r->map != map)
			continue;
		if (r->t1 >= a)
			continue;
		end = T_INF;
		for_each_page_ev(&j->rare, j->l, page, m, u) {
			if (u->kind == EV_UNREGISTER && u->map == map &&
			    u->t1 > r->t0 && u->t0 < end)
				end = u->t0;
		}
		if (b < end)
			return r;
	}
	return NULL;
}

/* A store through a mapping, by any path: an access, then a write of its gen. */
static bool is_store(const struct ev *e)
{
	return e->kind == EV_TOUCH && touch_how_stores(e->aux) && e->value != CONTENT_NONE;
}

/*
 * The MAP_PRIVATE mapping whose own page e made or saw (oracle.h,
 * private_maps), or -1 when e is about the file: a resolution or a store
 * through such a mapping, a mincore or pagemap reading through it.
 */
static int local_to(struct judge *j, const struct ev *e)
{
	bool local;

	if (e->map == MAP_FILE_LEVEL || !oracle_map_is_private(j->o, e->map))
		return -1;
	switch (e->kind) {
	case EV_FILL:
		local = true;
		break;
	case EV_TOUCH:
		local = touch_how_stores(e->aux);
		break;
	case EV_PROBE:
		local = e->aux == PM_MINCORE || e->aux == PM_PAGEMAP;
		break;
	default:
		local = false;
	}
	return local ? e->map : -1;
}

/* A zap of map over page may have taken effect in (a, b). */
static bool zap_maybe_between(struct judge *j, uint32_t page, int map, uint64_t a, uint64_t b)
{
	const struct ev *z;
	uint64_t k;

	for_each_page_ev(&j->rare, j->l, page, k, z)
		if (z->kind == EV_ZAP && !z->err && z->map == map && z->t1 > a && z->t0 < b)
			return true;
	return false;
}

/* A zap of map over page surely took effect in (a, b). */
static bool zap_surely_between(struct judge *j, uint32_t page, int map, uint64_t a, uint64_t b)
{
	const struct ev *z;
	uint64_t k;

	for_each_page_ev(&j->rare, j->l, page, k, z)
		if (z->kind == EV_ZAP && !z->err && z->map == map && z->t0 > a && z->t1 < b)
			return true;
	return false;
}

/*
 * Is data evidence e (a fill, a store, a DATA reading) evidence that page
 * is data as seen through map view at time t?  File-level evidence is seen
 * through every mapping; a private mapping's own page only through it,
 * and only while no zap of it may have dropped the page.
 */
static bool seen_through(struct judge *j, uint32_t page, const struct ev *e, int view,
			 uint64_t t)
{
	int m = local_to(j, e);

	return m < 0 || (m == view && !zap_maybe_between(j, page, m, e->t0, t));
}

/*
 * May the private mapping map hold a page of its own at t: a resolution
 * or store through it begun before t, not surely zapped since?  A touch
 * through it from t on then owes no fault, hole in the file or not.  (t
 * is the touch's start: a store makes its page only after its own fault.)
 */
static bool private_page_by(struct judge *j, uint32_t page, int map, uint64_t t)
{
	const struct ev *w;
	uint64_t k;

	if (!oracle_map_is_private(j->o, map))
		return false;
	for_each_page_ev(&j->rare, j->l, page, k, w)
		if (local_to(j, w) == map && !w->err && (w->kind == EV_FILL || is_store(w)) &&
		    w->t0 < t && !zap_surely_between(j, page, map, w->t1, t))
			return true;
	return false;
}

static bool we_removed_between(struct judge *j, uint32_t page, uint64_t a, uint64_t b);

/*
 * We fallocated page before t and did not remove it since: shmem keeps such
 * a page, allocated and never written, in the page cache (a touch finds
 * it, no fault is owed) while SEEK_DATA and mincore may call it a hole.
 */
static bool fallocated_before(struct judge *j, uint32_t page, uint64_t t)
{
	const struct ev *e;
	uint64_t k;

	for_each_page_ev(&j->rare, j->l, page, k, e)
		if (e->kind == EV_FILL && e->aux == FILL_FALLOCATE && !e->err && e->t1 < t &&
		    !we_removed_between(j, page, e->t0, t))
			return true;
	return false;
}

/* A HOLE reading of page (a walk's claim may cover many pages). */
static bool hole_probe_is_evidence(struct judge *j, uint32_t page, const struct ev *p)
{
	if (p->kind != EV_PROBE || p->value != PROBE_HOLE)
		return false;
	if (p->aux == PM_MINCORE && !j->o->mincore_hole_is_evidence)
		return false;
	return !fallocated_before(j, page, p->t0);
}

/* Did one of our own operations of this kind act on page in (a, b)? */
static bool we_did_between(struct judge *j, enum ev_kind kind, uint32_t page,
			   uint64_t a, uint64_t b)
{
	const struct ev *e;
	uint64_t k;

	for_each_page_ev(&j->rare, j->l, page, k, e)
		if (e->kind == kind && !e->err && e->t1 > a && e->t0 < b)
			return true;
	return false;
}

/* We, not the kernel, put data in page at some time in (a, b). */
static bool we_filled_between(struct judge *j, uint32_t page, uint64_t a, uint64_t b)
{
	return we_did_between(j, EV_FILL, page, a, b);
}

/*
 * An access through a mapping other than map completed on page in (a, b):
 * a fault there allocates the page (shmem has no zero page for shared
 * mappings), so the page may legitimately be data from then on.
 */
static const struct ev *touched_elsewhere(struct judge *j, uint32_t page, uint16_t map,
					  uint64_t a, uint64_t b)
{
	const struct ev *e;
	uint64_t k;

	for_each_page_ev(&j->rare, j->l, page, k, e)
		if (e->kind == EV_TOUCH && e->map != map && e->value != CONTENT_NONE &&
		    e->t1 > a && e->t0 < b)
			return e;
	return NULL;
}

/* A collapse attempt of any agent covering page overlapped (a, b). */
static bool collapse_between(struct judge *j, uint32_t page, uint64_t a, uint64_t b)
{
	const struct ev *e;
	uint64_t k;

	for_each_page_ev(&j->rare, j->l, page, k, e)
		if (e->kind == EV_COLLAPSE && e->t1 > a && e->t0 < b)
			return true;
	return false;
}

/* XA_CHUNK_SIZE: the indices of one xarray node (CONFIG_BASE_SMALL off). */
#define XA_LEAF_PAGES	64

/*
 * The SEEK_HOLE flicker (docs/findings/seek-hole-flicker.md): a lockless
 * lseek inside an xarray leaf of the page cache, while a collapse stores
 * its huge folio over the leaves, climbs out into a parent slot that is
 * already a sibling entry, skips it and infers a hole at the next leaf.
 * Its signature, which nothing else we know of has (6.1's uptodate
 * flicker answers the walk's own start, or skips the whole huge range,
 * and usually still does when asked again):
 *  - a walk, overlapped by a collapse attempt covering the page;
 *  - the leaf where the wrong answer begins lies past the walk's start, at
 *    a leaf boundary inside the huge block, not at the block's start;
 *  - a SEEK_DATA walk skipped to the block's end, from inside that block;
 *  - the same call, repeated at once, answered differently.
 */
static bool seek_flicker(struct judge *j, uint32_t page, const struct ev *h)
{
	uint32_t bp = j->o->block_pages, leaf, answer;

	if (h->kind != EV_PROBE || !pm_is_walk(h->aux) || !bp || bp % XA_LEAF_PAGES)
		return false;
	if (!collapse_between(j, page, h->t0, h->t1))
		return false;
	if (h->aux == PM_WALK_HOLE) {
		answer = h->page;
		leaf = answer;
		if (leaf % XA_LEAF_PAGES)
			return false;
	} else {
		answer = h->page + h->npages;
		leaf = page / XA_LEAF_PAGES * XA_LEAF_PAGES;
		if (answer % bp || page / bp != (answer - 1) / bp)
			return false;
	}
	return leaf > h->from && leaf % bp && h->again != answer;
}

/*
 * Something other than the registered mapping made another page of page's
 * huge block present in (a, b), so the kernel allocated a folio there and
 * may have made it large: an access through another mapping, or one of our
 * own fills that allocates (pwrite, a store, fallocate, populate; not the
 * fault handler's resolutions, which are order 0).
 */
static const struct ev *alloc_trigger_between(struct judge *j, uint32_t page, uint16_t map,
					      uint64_t a, uint64_t b)
{
	uint32_t bp = j->o->block_pages ?: j->pi.npages;
	uint32_t q, first = page / bp * bp;
	const struct ev *e;
	uint64_t k;

	for (q = first; q < first + bp && q < j->rare.npages; q++) {
		if (q == page)
			continue;
		for_each_page_ev(&j->rare, j->l, q, k, e) {
			if (e->t1 <= a || e->t0 >= b)
				continue;
			if (e->kind == EV_TOUCH && e->map != map && e->value != CONTENT_NONE)
				return e;
			if (e->kind == EV_FILL && !e->err && e->aux < FILL_UFFD_COPY)
				return e;
		}
	}
	return NULL;
}

/* We made page a hole at some time in (a, b). */
static bool we_removed_between(struct judge *j, uint32_t page, uint64_t a, uint64_t b)
{
	return we_did_between(j, EV_REMOVE, page, a, b);
}

/*
 * The earliest time a fault can have been raised: the start of the
 * earliest touch of that page through that map still in flight when the
 * handler read the message (a touch waits for its fault to be resolved,
 * and the handler resolves only after reading).  0 when no touch explains
 * the fault: such a fault cannot be placed in time.
 */
static uint64_t fault_lower_bound(struct judge *j, const struct ev *f)
{
	const struct ev *x;
	uint64_t k, lb = T_INF;

	for_each_page_ev(&j->rare, j->l, f->page, k, x) {
		if (x->kind != EV_TOUCH || x->map != f->map)
			continue;
		if (x->t0 < f->t1 && x->t1 > f->t1 && x->t0 < lb)
			lb = x->t0;
	}
	return lb == T_INF ? 0 : lb;
}

static void add(struct judge *j, enum violation_kind kind, uint32_t page,
		uint16_t map, const struct ev **evs, int nev, const char *fmt, ...)
	__printf(7, 8);

static void add(struct judge *j, enum violation_kind kind, uint32_t page,
		uint16_t map, const struct ev **evs, int nev, const char *fmt, ...)
{
	struct verdict *out = j->out;
	struct violation *v;
	va_list ap;
	int i;

	out->total++;
	out->count[kind]++;
	if (out->kept >= ORACLE_MAX_KEPT)
		return;
	v = &out->v[out->kept++];
	v->kind = kind;
	v->page = page;
	v->map = map;
	v->nev = 0;
	for (i = 0; i < nev && i < ORACLE_MAX_EVIDENCE; i++)
		if (evs[i])
			v->ev[v->nev++] = evs[i] - j->l->ev;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/*
 * Lost fault: after the registration completed, a probe saw page as a hole;
 * a later touch through the registered mapping, still inside the
 * registration, got no fault, and neither we nor an access through another
 * mapping filled the page in between.  When no collapse overlapped that
 * window but another page of the block was allocated by something else,
 * it is the same broken promise by another path: fill-on-alloc.
 */
static void check_lost_faults(struct judge *j, uint32_t page)
{
	const struct ev *x, *p, *f, *r, *best_p, *best_r, *first_p, *trig;
	uint64_t k, m;

	for_each_page_ev(&j->rare, j->l, page, k, x) {
		if (x->kind != EV_TOUCH || x->value == CONTENT_NONE)
			continue;
		best_p = NULL;
		best_r = NULL;
		first_p = NULL;
		for_each_page_ev(&j->pi, j->l, page, m, p) {
			/* (a flicker: the page was data all along) */
			if (!hole_probe_is_evidence(j, page, p) || p->t1 >= x->t0 ||
			    seek_flicker(j, page, p))
				continue;
			r = registered_over(j, page, x->map, p->t0, x->t1);
			if (!r)
				continue;
			if (!first_p || p->t0 < first_p->t0)
				first_p = p;
			if (best_p && best_p->t0 > p->t0)
				continue;
			best_p = p;
			best_r = r;
		}
		if (!best_p)
			continue;
		if (we_filled_between(j, page, best_p->t0, x->t1) ||
		    touched_elsewhere(j, page, x->map, best_p->t0, x->t1) ||
		    private_page_by(j, page, x->map, x->t0))
			continue;
		for_each_page_ev(&j->rare, j->l, page, m, f)
			if (f->kind == EV_FAULT && f->map == x->map && f->t1 > best_p->t0)
				break;
		if (m < j->rare.start[page + 1])
			continue;
		/*
		 * Since the first hole reading: a large folio allocated for
		 * a neighbour may leave this page unwritten, read as a hole
		 * by later probes as a fallocated page is.
		 */
		trig = collapse_between(j, page, first_p->t0, x->t1) ? NULL :
		       alloc_trigger_between(j, page, x->map, first_p->t0, x->t1);
		if (trig) {
			add(j, V_FILL_ON_ALLOC, page, x->map,
			    (const struct ev *[]){ best_r, best_p, trig, x }, 4,
			    "page seen as a hole by %s after UFFDIO_REGISTER completed became data with no MISSING fault; no collapse ran, but page %u of its huge block was %s meanwhile: a large folio allocated for it covered this hole",
			    probe_method_name(best_p->aux), trig->page,
			    trig->kind == EV_TOUCH ? "accessed through another mapping" :
			    "filled by us");
			continue;
		}
		add(j, V_LOST_FAULT, page, x->map, (const struct ev *[]){ best_r, best_p, x }, 3,
		    "page seen as a hole by %s after UFFDIO_REGISTER completed, then touched through the registered mapping: no MISSING fault was delivered and %s",
		    probe_method_name(best_p->aux),
		    touch_how_stores(x->aux) ? "the store went through" :
		    x->value == CONTENT_ZERO ? "the touch read zeros" : "the touch read data");
	}
}

/*
 * Evidence that page is data by time t as seen through map view: a
 * completed fill of ours, or a DATA probe (after registration when map is
 * given), with no removal by us since it began.  Returns the evidence
 * event, or NULL.
 */
static const struct ev *known_data_before(struct judge *j, uint32_t page,
					  uint64_t t, uint64_t until, int map, int view)
{
	const struct ev *e, *best = NULL;
	uint64_t k;

	for_each_page_ev(&j->pi, j->l, page, k, e) {
		bool data_probe = e->kind == EV_PROBE && e->value == PROBE_DATA;
		bool filled = (e->kind == EV_FILL && !e->err) || is_store(e);

		if (!data_probe && !filled)
			continue;
		if (e->t1 >= t)
			continue;
		if (!seen_through(j, page, e, view, until))
			continue;
		if (data_probe && map >= 0 && !registered_over(j, page, map, e->t0, until))
			continue;
		if (we_removed_between(j, page, e->t0, until))
			continue;
		if (!best || e->t1 > best->t1)
			best = e;
	}
	return best;
}

static bool is_resolution(const struct ev *c)
{
	return c->kind == EV_FILL && (c->aux == FILL_UFFD_COPY || c->aux == FILL_UFFD_ZEROPAGE);
}

/*
 * Fault loop: a resolution of page found it present (EEXIST), answering
 * the fault a thread raised last before it, and the same thread (the
 * fault's value, UFFD_FEATURE_THREAD_ID) faulted on the page again in a
 * message read after that: a thread raises one fault at a time, so the
 * second came after it was let go with the page present.  Only a removal
 * of ours, from the first fault on, could explain it.
 */
static void check_fault_loops(struct judge *j, uint32_t page)
{
	const struct ev *c, *f, *g, *again;
	uint64_t k, m;
	bool tied;

	for_each_page_ev(&j->rare, j->l, page, k, c) {
		if (!is_resolution(c) || c->err != EEXIST)
			continue;
		f = NULL;
		tied = false;
		for_each_page_ev(&j->rare, j->l, page, m, g) {
			if (g->kind != EV_FAULT || g->map != c->map || g->t1 >= c->t0)
				continue;
			/* (faults read together: which one it answered is unknown) */
			if (f && g->t1 == f->t1 && g->value != f->value)
				tied = true;
			if (!f || g->t1 > f->t1) {
				f = g;
				tied = false;
			}
		}
		if (!f || f->value <= 0 || tied)
			continue;
		again = NULL;
		for_each_page_ev(&j->rare, j->l, page, m, g)
			if (g->kind == EV_FAULT && g->map == c->map && g->value == f->value &&
			    g->t0 > c->t1 && (!again || g->t1 < again->t1))
				again = g;
		if (!again || we_removed_between(j, page, f->t0, again->t1))
			continue;
		add(j, V_FAULT_LOOP, page, c->map, (const struct ev *[]){ f, c, again }, 3,
		    "thread %d faulted on the page again after UFFDIO_%s found it present (EEXIST), and we removed nothing: the kernel reports missing a page it holds",
		    f->value, c->aux == FILL_UFFD_COPY ? "COPY" : "ZEROPAGE");
	}
}

static void check_faults(struct judge *j, uint32_t page)
{
	const struct ev *f, *e, *c, *g;
	uint64_t k, m, lb;

	for_each_page_ev(&j->rare, j->l, page, k, f) {
		if (f->kind != EV_FAULT)
			continue;
		lb = fault_lower_bound(j, f);
		if (!lb) {
			j->out->unattributed_faults++;
			continue;
		}
		e = known_data_before(j, page, lb, f->t1, f->map, f->map);
		if (e)
			add(j, V_SPURIOUS_FAULT, page, f->map, (const struct ev *[]){ e, f }, 2,
			    "MISSING fault for a page already known to be data (%s completed before the faulting touch began) and not removed since",
			    e->kind == EV_PROBE ? "a DATA probe after registration" : "our fill");
	}

	/* Copies that found the page already filled although it faulted. */
	for_each_page_ev(&j->rare, j->l, page, k, c) {
		const struct ev *fault = NULL;

		if (!is_resolution(c) || c->err != EEXIST)
			continue;
		for_each_page_ev(&j->rare, j->l, page, m, g)
			if (g->kind == EV_FAULT && g->map == c->map &&
			    g->t1 < c->t0 && (!fault || g->t1 > fault->t1))
				fault = g;
		if (!fault)
			continue;
		lb = fault_lower_bound(j, fault);
		if (!lb)
			continue;
		if (we_filled_between(j, page, lb, c->t1))
			continue;
		/* A fault for known data is spurious; its EEXIST follows from it. */
		if (known_data_before(j, page, lb, c->t1, -1, c->map))
			continue;
		if (!registered_over(j, page, c->map, lb, c->t1))
			continue;
		add(j, V_COPY_EEXIST, page, c->map, (const struct ev *[]){ fault, c }, 2,
		    "the kernel reported the page missing, then UFFDIO_COPY found it filled although we never filled it");
	}
	check_fault_loops(j, page);
}

struct evidence {
	uint64_t t1;		/* sort key */
	uint64_t best_t0;	/* max t0 over this and every earlier entry */
	const struct ev *best;
};

static int evidence_cmp(const void *a, const void *b)
{
	const struct evidence *x = a, *y = b;

	return x->t1 < y->t1 ? -1 : x->t1 > y->t1;
}

/*
 * Data vanished: a HOLE probe of a page known to be data.  Probes can
 * number in the thousands per page in a stress round, so the evidence is
 * sorted by end stamp with a running maximum of start stamps: the
 * evidence that began last is the one least likely to be undone by one of
 * our removals, so it alone decides.
 */
static void check_vanished(struct judge *j, uint32_t page)
{
	uint64_t k, n = 0, cap = j->pi.start[page + 1] - j->pi.start[page];
	struct evidence *ev;
	const struct ev *e, *h;
	long lo, hi, mid;

	ev = malloc((cap ?: 1) * sizeof(*ev));
	if (!ev) {
		j->out->unjudgeable = true;
		snprintf(j->out->reason, sizeof(j->out->reason), "out of memory");
		return;
	}
	for_each_page_ev(&j->pi, j->l, page, k, e) {
		/*
		 * (a fallocated page may read as a hole until written; a
		 * private mapping's own page is no file data)
		 */
		if (local_to(j, e) >= 0)
			continue;
		if ((e->kind == EV_PROBE && e->value == PROBE_DATA) ||
		    (e->kind == EV_FILL && !e->err && e->aux != FILL_FALLOCATE) || is_store(e))
			ev[n++] = (struct evidence){ .t1 = e->t1, .best_t0 = e->t0, .best = e };
	}
	qsort(ev, n, sizeof(*ev), evidence_cmp);
	for (k = 1; k < n; k++)
		if (ev[k - 1].best_t0 > ev[k].best_t0) {
			ev[k].best_t0 = ev[k - 1].best_t0;
			ev[k].best = ev[k - 1].best;
		}
	for_each_page_ev(&j->pi, j->l, page, k, h) {
		if (!hole_probe_is_evidence(j, page, h))
			continue;
		/* The last evidence that ended before the probe began. */
		lo = 0;
		hi = (long)n - 1;
		while (lo <= hi) {
			mid = (lo + hi) / 2;
			if (ev[mid].t1 < h->t0)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		if (hi < 0)
			continue;
		e = ev[hi].best;
		if (we_removed_between(j, page, e->t0, h->t1))
			continue;
		if (seek_flicker(j, page, h))
			add(j, V_SEEK_FLICKER, page, h->map, (const struct ev *[]){ e, h }, 2,
			    "%s reported a hole for a page that was data (%s) while a collapse of its range ran: at a leaf boundary past the walk's start, and answered differently at once",
			    probe_method_name(h->aux),
			    e->kind == EV_PROBE ? "seen as data" : "filled by us");
		else
			add(j, V_DATA_VANISHED, page, h->map, (const struct ev *[]){ e, h }, 2,
			    "%s reported a hole for a page that was data (%s) and that nobody removed",
			    probe_method_name(h->aux),
			    e->kind == EV_PROBE ? "seen as data" : "filled by us");
	}
	free(ev);
}

static bool writer(const struct ev *w)
{
	return ((w->kind == EV_FILL || w->kind == EV_REMOVE) && !w->err) || is_store(w);
}

static int32_t written_value(const struct ev *w)
{
	if (w->kind == EV_REMOVE || (w->kind == EV_FILL && w->aux == FILL_UFFD_ZEROPAGE))
		return CONTENT_ZERO;
	return w->value;
}

/*
 * Can a read through map view (MAP_FILE_LEVEL: pread) at c see write w?
 * A private mapping's own page only through it, until surely zapped.
 */
static bool visible(struct judge *j, uint32_t page, const struct ev *w, int view,
		    const struct ev *c)
{
	int m = local_to(j, w);

	return m < 0 || (m == view && !zap_surely_between(j, page, m, w->t1, c->t0));
}

/*
 * Content: a read may return the value of any write it can see (visible())
 * not provably overwritten before the read began (register
 * linearizability), or zeros when no such write provably completed before
 * it.  A write to the file is overwritten by a later write to the file, a
 * private mapping's own page by a later one of its own (a file write
 * after it stays possible: lenient).
 */
static void check_content(struct judge *j, uint32_t page)
{
	const struct ev *c, *w, *w2, *last;
	uint64_t k, m, n;
	int view;

	for_each_page_ev(&j->rare, j->l, page, k, c) {
		bool ok = false, any_done = false, overlap = false;

		if ((c->kind != EV_TOUCH && c->kind != EV_READ) || c->value == CONTENT_NONE ||
		    is_store(c))
			continue;
		view = c->kind == EV_READ ? MAP_FILE_LEVEL : c->map;
		last = NULL;
		for_each_page_ev(&j->rare, j->l, page, m, w) {
			bool superseded = false;

			if (!writer(w) || w->t0 >= c->t1 || !visible(j, page, w, view, c))
				continue;
			if (w->t1 < c->t0)
				any_done = true;
			if (w->t1 > c->t0)
				overlap = true;
			for_each_page_ev(&j->rare, j->l, page, n, w2)
				if (writer(w2) && w2->t0 > w->t1 && w2->t1 < c->t0 &&
				    local_to(j, w2) == local_to(j, w) &&
				    visible(j, page, w2, view, c))
					superseded = true;
			if (superseded)
				continue;
			if (written_value(w) == c->value)
				ok = true;
			if (!last || w->t1 > last->t1)
				last = w;
		}
		if (!any_done && c->value == CONTENT_ZERO)
			ok = true;
		if (c->value == CONTENT_CORRUPT && overlap)
			ok = true;	/* a read racing a write may see both */
		if (ok)
			continue;
		add(j, V_CONTENT, page, c->map, (const struct ev *[]){ last, c }, 2,
		    "%s saw %s%d, which no completed write explains (last write: %s gen %d)",
		    c->kind == EV_TOUCH ? "touch" : "pread",
		    c->value == CONTENT_CORRUPT ? "corrupt bytes " :
		    c->value == CONTENT_ZERO ? "zeros " : "gen ",
		    c->value > 0 ? c->value : 0,
		    last ? ev_kind_name(last->kind) : "none",
		    last ? written_value(last) : 0);
	}
}

unsigned int oracle_judge(const struct ledger *l, const struct oracle_opts *o,
			  struct verdict *out)
{
	struct judge j = { .l = l, .o = o, .out = out };
	uint32_t p;

	memset(out, 0, sizeof(*out));
	if (ledger_overflowed(l)) {
		out->unjudgeable = true;
		snprintf(out->reason, sizeof(out->reason),
			 "ledger overflowed (%llu events, capacity %llu)",
			 (unsigned long long)l->len, (unsigned long long)l->cap);
		return 0;
	}
	if (pidx_build(l, &j.pi, false) || pidx_build(l, &j.rare, true)) {
		pidx_free(&j.pi);
		out->unjudgeable = true;
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return 0;
	}
	for (p = 0; p < j.pi.npages; p++) {
		check_lost_faults(&j, p);
		check_faults(&j, p);
		check_vanished(&j, p);
		check_content(&j, p);
	}
	pidx_free(&j.pi);
	pidx_free(&j.rare);
	return out->total;
}

#define EXCERPT_MAX 24

void oracle_report(FILE *f, const struct ledger *l, const struct oracle_opts *o,
		   const struct verdict *v)
{
	unsigned long ps = o->page_size ?: 4096;
	char buf[256];
	unsigned int i;
	uint64_t k, n = ledger_count(l);
	int kind, shown;

	if (v->unjudgeable)
		fprintf(f, "# oracle: cannot judge: %s\n", v->reason);
	for (kind = 0; kind < V_NR; kind++)
		if (v->count[kind])
			fprintf(f, "# oracle: %u %s violation(s)\n", v->count[kind],
				violation_name(kind));
	for (i = 0; i < v->kept; i++) {
		const struct violation *x = &v->v[i];
		int e;

		fprintf(f, "# VIOLATION %s: page %u (file offset 0x%lx), map %u: %s\n",
			violation_name(x->kind), x->page, x->page * ps, x->map, x->why);
		for (e = 0; e < x->nev; e++) {
			ev_format(&l->ev[x->ev[e]], buf, sizeof(buf));
			fprintf(f, "#   because: %s\n", buf);
		}
		shown = 0;
		for (k = 0; k < n && shown < EXCERPT_MAX; k++) {
			const struct ev *e2 = &l->ev[k];

			if (x->page < e2->page || x->page >= e2->page + (e2->npages ?: 1))
				continue;
			ev_format(e2, buf, sizeof(buf));
			fprintf(f, "#   ledger:  %s\n", buf);
			shown++;
		}
	}
	if (v->total > v->kept)
		fprintf(f, "# oracle: %u more violation(s) not shown\n", v->total - v->kept);
}

/*
 * Online verdicts (oracle.h).  The index holds, per page, the slots of the
 * kinds the two rules read (touches, fills, removals, faults); probes,
 * registrations and collapses are left out, which only hides evidence.
 */
#define LIVE_WAIT_NS	1000000LL	/* for a slot still being written */
#define LIVE_MAX_PAGES	(1u << 20)

struct live_page {
	uint64_t *slot;
	uint32_t n, cap;
};

struct oracle_live {
	const struct ledger *l;
	const struct oracle_opts *o;
	uint64_t cursor;	/* every slot below is indexed or pending */
	uint64_t *pending;	/* slots not yet published when looked at */
	uint32_t npending, cap_pending;
	uint32_t npages;
	struct live_page *pages;
	struct ledger *scratch;	/* one page's events, judged by oracle_judge() */
	struct verdict vd;
};

struct oracle_live *oracle_live_create(const struct ledger *l, const struct oracle_opts *o)
{
	struct oracle_live *lv = calloc(1, sizeof(*lv));

	if (!lv)
		return NULL;
	lv->l = l;
	lv->o = o;
	lv->scratch = ledger_create(64);
	if (!lv->scratch) {
		free(lv);
		return NULL;
	}
	return lv;
}

void oracle_live_destroy(struct oracle_live *lv)
{
	uint32_t p;

	if (!lv)
		return;
	for (p = 0; p < lv->npages; p++)
		free(lv->pages[p].slot);
	free(lv->pages);
	free(lv->pending);
	ledger_destroy(lv->scratch);
	free(lv);
}

static bool live_kind(const struct ev *e)
{
	return e->kind == EV_TOUCH || e->kind == EV_FILL || e->kind == EV_REMOVE ||
	       e->kind == EV_FAULT;
}

/* Returns -ENOMEM when the index cannot grow: then nothing is judged. */
static int live_index(struct oracle_live *lv, uint64_t i, const struct ev *e)
{
	uint32_t p, end = e->page + (e->npages ?: 1);
	struct live_page *pg;

	if (!live_kind(e))
		return 0;
	if (end > LIVE_MAX_PAGES || end < e->page)
		return -ENOMEM;
	if (end > lv->npages) {
		pg = realloc(lv->pages, end * sizeof(*pg));
		if (!pg)
			return -ENOMEM;
		memset(pg + lv->npages, 0, (end - lv->npages) * sizeof(*pg));
		lv->pages = pg;
		lv->npages = end;
	}
	for (p = e->page; p < end; p++) {
		pg = &lv->pages[p];
		if (pg->n == pg->cap) {
			uint32_t cap = pg->cap ? 2 * pg->cap : 8;
			uint64_t *slot = realloc(pg->slot, cap * sizeof(*slot));

			if (!slot)
				return -ENOMEM;
			pg->slot = slot;
			pg->cap = cap;
		}
		pg->slot[pg->n++] = i;
	}
	return 0;
}

static int live_pend(struct oracle_live *lv, uint64_t i)
{
	if (lv->npending == lv->cap_pending) {
		uint32_t cap = lv->cap_pending ? 2 * lv->cap_pending : 16;
		uint64_t *p = realloc(lv->pending, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		lv->pending = p;
		lv->cap_pending = cap;
	}
	lv->pending[lv->npending++] = i;
	return 0;
}

/*
 * Index what was published since the last look.  Returns how many slots
 * below 'below' are still unpublished (0: the index holds every one of
 * them), or -ENOMEM.
 */
static int live_scan(struct oracle_live *lv, uint64_t below)
{
	uint64_t i, n = ledger_count(lv->l);
	uint32_t k, left = 0;
	int early = 0;
	struct ev e;

	for (k = 0; k < lv->npending; k++) {
		if (!ledger_published(lv->l, lv->pending[k], &e)) {
			early += lv->pending[k] < below;
			lv->pending[left++] = lv->pending[k];
		} else if (live_index(lv, lv->pending[k], &e)) {
			return -ENOMEM;
		}
	}
	lv->npending = left;
	for (i = lv->cursor; i < n; i++) {
		if (!ledger_published(lv->l, i, &e)) {
			if (live_pend(lv, i))
				return -ENOMEM;
			early += i < below;
		} else if (live_index(lv, i, &e)) {
			return -ENOMEM;
		}
	}
	lv->cursor = n > lv->cursor ? n : lv->cursor;
	return early;
}

static int64_t live_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The published events of page, in the scratch ledger as page 0 (the
 * judge then looks at one page, not at every page below it).
 */
static int live_gather(struct oracle_live *lv, uint32_t page)
{
	const struct live_page *pg = &lv->pages[page];
	struct ev e;
	uint32_t k;

	if (pg->n > lv->scratch->cap) {
		struct ledger *bigger = ledger_create(2 * pg->n);

		if (!bigger)
			return -ENOMEM;
		ledger_destroy(lv->scratch);
		lv->scratch = bigger;
	}
	ledger_reset(lv->scratch);
	for (k = 0; k < pg->n; k++) {
		if (!ledger_published(lv->l, pg->slot[k], &e))
			return -EAGAIN;
		e.page = 0;
		e.npages = 1;
		ledger_add(lv->scratch, &e);
	}
	return 0;
}

enum violation_kind oracle_live_fault(struct oracle_live *lv, const struct ev *f,
				      struct online_verdict *out)
{
	uint64_t below = ledger_count(lv->l);
	int64_t until = live_now() + LIVE_WAIT_NS;
	const struct violation *v;
	struct ev here = *f;
	unsigned int i;
	int k, left;

	here.page = 0;
	memset(out, 0, sizeof(*out));
	if (f->kind != EV_FAULT || ledger_overflowed(lv->l))
		return V_NR;
	/*
	 * A slot taken before the fault was read and still being written may
	 * be a removal: wait for it, or say nothing.  A slot taken since
	 * holds an operation that began after the fault was read, which the
	 * rules do not need.
	 */
	while ((left = live_scan(lv, below)) > 0 && live_now() < until)
		sched_yield();
	if (left || f->page >= lv->npages || live_gather(lv, f->page))
		return V_NR;
	oracle_judge(lv->scratch, lv->o, &lv->vd);
	for (i = 0; i < lv->vd.kept; i++) {
		v = &lv->vd.v[i];
		if (v->kind != V_SPURIOUS_FAULT && v->kind != V_FAULT_LOOP)
			continue;
		for (k = 0; k < v->nev; k++)
			if (!memcmp(&lv->scratch->ev[v->ev[k]], &here, sizeof(here)))
				break;
		if (k == v->nev)
			continue;
		out->v = *v;
		out->v.page = f->page;
		/* Evidence of these two rules is of the page alone. */
		for (k = 0; k < v->nev; k++) {
			out->evidence[k] = lv->scratch->ev[v->ev[k]];
			out->evidence[k].page = f->page;
			out->v.ev[k] = k;
		}
		return v->kind;
	}
	return V_NR;
}

void online_verdict_format(const struct online_verdict *ov, const struct oracle_opts *o,
			   char *buf, size_t len)
{
	unsigned long ps = o->page_size ?: 4096;
	const struct violation *v = &ov->v;
	size_t n;
	int k;

	n = snprintf(buf, len, "VIOLATION %s: page %u (file offset 0x%lx), map %u: %s",
		     violation_name(v->kind), v->page, v->page * ps, v->map, v->why);
	for (k = 0; k < v->nev && n + 1 < len; k++) {
		n += snprintf(buf + n, len - n, "; because: ");
		if (n + 1 >= len)
			break;
		ev_format(&ov->evidence[k], buf + n, len - n);
		n += strlen(buf + n);
	}
}
