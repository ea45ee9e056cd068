// SPDX-License-Identifier: GPL-2.0
/*
 * The reference model: what every page of every file may be, and so what
 * each observation may show.
 *
 * A page is a set of possibilities, not one state, because the kernel may
 * legally do several things: a collapse may or may not fill a hole, and
 * khugepaged may run between any two operations.  An observation narrows
 * the set to what it shows; an empty set is a finding.  The one rule the
 * kernel must keep is the userfaultfd contract: while a live MODE_MISSING
 * registration covers a hole, nothing but an explicit write (pwrite,
 * fallocate, UFFDIO_COPY/ZEROPAGE, a store that faulted) turns it into data.
 *
 * Data in such a hole is named after what could have put it there: a
 * large folio allocated through another mapping (fill-on-alloc, see
 * struct fz_ignored; a tie when a collapse asked for could have too, see
 * filled_kind()), else a collapse (lost-fault), else nothing (phantom).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fz.h"
#include "content.h"

/* Possibilities of one page, as bits. */
#define S_HOLE		0x01	/* not in the page cache */
#define S_FALLOC	0x02	/* allocated by fallocate, never written */
#define S_ZERO		0x04	/* data, all zero */
#define S_GEN		0x08	/* data, the pattern of generation gen */
#define S_ANY		0x10	/* data, content unknown (a failed write) */
#define S_DATA		(S_ZERO | S_GEN | S_ANY)
#define S_PRESENT	(S_FALLOC | S_DATA)

struct page_state {
	uint8_t s;
	/*
	 * A collapse could not fill this hole because MISSING covered it: data
	 * showing up later, however observed, is that registration's lost fault.
	 */
	bool kept_by_missing;
	/*
	 * ...and that collapse was one the sequence asked for (MADV_COLLAPSE,
	 * joined or not), not only khugepaged's standing possibility.
	 */
	bool kept_from_collapse;
	/*
	 * A large folio allocated through another mapping could not fill it
	 * because MISSING covered it: data showing up later is fill-on-alloc
	 * (a tie with kept_from_collapse, filled_kind()).
	 */
	bool kept_from_alloc;
	/*
	 * ...and the smallest such folio, in pages: any folio that filled the
	 * page is one of those allocations, aligned to its size, so it filled
	 * this aligned block of the page's too (0: none).
	 */
	uint16_t alloc_block;
	uint32_t gen;
};

struct model {
	struct fz_struct st;
	struct page_state pg[FZ_FILES][FZ_FILE_PAGES];
	/* khugepaged may collapse the PMD at any time: a VM_HUGEPAGE mapping had it */
	bool kh_possible[FZ_FILES][FZ_PMDS];
	/* some collapse may have left a huge folio there: a punch may only zero */
	bool maybe_huge[FZ_FILES][FZ_PMDS];
	/* asynchronous collapses not yet joined, per PMD */
	int pending_collapse[FZ_FILES][FZ_PMDS];
	/* ...of which may have filled (collapse_filled_nothing() is false) */
	int pending_may_fill[FZ_FILES][FZ_PMDS];
	/* an asynchronous operation not joined yet (it may map a folio meanwhile) */
	bool async_pending;
	/* userfaultfd write protection of each page of each slot: enum wp_state */
	uint8_t wp[FZ_PROCS][FZ_SLOTS][FZ_FILE_PAGES];
	/* events of the record an operation explained */
	bool ev_claimed[FZ_MAX_EVENTS];
	const struct fz_model_opts *o;
	struct fz_finding fd;
};

/*
 * Write protection, per page of each slot (a PTE's uffd-wp bit, or the
 * marker that stands for it while the PTE is none).  WP_ON: a successful
 * UFFDIO_WRITEPROTECT set it and nothing since can have cleared it, so a
 * store must raise a WP fault.  WP_MAYBE: it may or may not be set (a
 * protect that failed, a registration that dropped WP and may come back,
 * a truncation racing an asynchronous operation), so a WP fault is
 * allowed and not required.  The kernel keeps it across zapping (the
 * marker: MADV_DONTNEED, MADV_PAGEOUT, a punched hole, a collapse that
 * unmaps the small folios), moves it with mremap() when EVENT_REMAP is on,
 * and copies it to a fork with EVENT_FORK; it clears it on
 * UFFDIO_UNREGISTER, on the release of the userfaultfd, on a resolved WP
 * fault, on UFFDIO_WRITEPROTECT without MODE_WP, and where UFFDIO_COPY,
 * ZEROPAGE or CONTINUE (without MODE_WP) installs the PTE: a MISSING or
 * MINOR fault resolved so takes the protection with it (the comment in
 * mfill_atomic_install_pte(): "We allow to overwrite a pte marker").
 */
enum wp_state {
	WP_OFF,
	WP_ON,
	WP_MAYBE,
};

/*
 * Every kind of finding: its name, and whether it is a known gap (struct
 * fz_ignored): unless the run is strict, one is counted and judging goes
 * on, with the page taken as data (zeros) from then on when as_data, as
 * it was otherwise.
 */
static const struct {
	const char *name;
	bool known_gap;
	bool as_data;
} verdicts[FV_NR] = {
	[FV_NONE] = { "none" },
	[FV_LOST_FAULT] = { "lost-fault" },
	[FV_SPURIOUS_FAULT] = { "spurious-fault" },
	[FV_DATA_VANISHED] = { "data-vanished" },
	[FV_CONTENT] = { "content" },
	[FV_COPY_EEXIST] = { "copy-eexist" },
	[FV_PHANTOM] = { "phantom-data" },
	[FV_SIGBUS] = { "sigbus" },
	[FV_HANG] = { "hang" },
	[FV_FILL_ON_ALLOC] = { "fill-on-alloc", .known_gap = true, .as_data = true },
	[FV_SEEK_FLICKER] = { "seek-flicker", .known_gap = true },
	[FV_CRASH] = { "crash" },
	[FV_LOST_WP] = { "lost-wp-fault" },
	[FV_EVENT] = { "event" },
	[FV_INTERNAL] = { "internal" },
};

const char *fz_verdict_name(enum fz_verdict_kind k)
{
	return k < FV_NR && verdicts[k].name ? verdicts[k].name : "?";
}

const char *fz_signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGBUS, "SIGBUS" }, { SIGSEGV, "SIGSEGV" }, { SIGKILL, "SIGKILL" },
		{ SIGABRT, "SIGABRT" }, { SIGILL, "SIGILL" }, { SIGFPE, "SIGFPE" },
		{ SIGTRAP, "SIGTRAP" }, { SIGSYS, "SIGSYS" }, { SIGTERM, "SIGTERM" },
	};
	static char other[24];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(other, sizeof(other), "signal %d", sig);
	return other;
}

bool fz_verdict_known_gap(enum fz_verdict_kind k)
{
	return k < FV_NR && verdicts[k].known_gap;
}

static void states(uint8_t s, uint32_t gen, char *buf, size_t len)
{
	snprintf(buf, len, "{%s%s%s%s%s}", s & S_HOLE ? " hole" : "",
		 s & S_FALLOC ? " fallocated" : "", s & S_ZERO ? " zeros" : "",
		 s & S_GEN ? " gen" : "", s & S_ANY ? " any-data" : "");
	if (s & S_GEN) {
		size_t l = strlen(buf);

		snprintf(buf + l - 1, len - l + 1, "%u }", gen);
	}
}

/*
 * Fill-on-alloc seen at the page (a known gap, counted once): the folio
 * that filled it was allocated whole, so it filled the aligned block of
 * the page's smallest candidate allocation (page_state.alloc_block).  The
 * other holes there that would be judged fill-on-alloc if seen now are
 * the same event: data too, zeros as the allocation left them, and
 * counted (struct fz_ignored.n: the pages it filled).  Else a
 * later collapse asked over them, which finds the PMD full and returns 0,
 * would have them named its lost faults when they are seen (measured:
 * uffd_collapse_fuzz --seed 0x18ed3555740928ef --generate 71, on 6.12
 * and 6.18).  Returns the pages it made data, the page itself included.
 */
static int filled_by_alloc(struct model *m, int file, int page)
{
	struct page_state *p = &m->pg[file][page];
	int n = p->alloc_block, first = n ? page - page % n : page, i, filled = 0;

	for (i = first; i < first + (n ? n : 1); i++) {
		struct page_state *q = &m->pg[file][i];

		if (i != page && !(q->s == S_HOLE && q->kept_from_alloc))
			continue;
		q->s = S_ZERO;
		q->kept_from_alloc = false;
		q->alloc_block = 0;
		filled++;
	}
	return filled;
}

/*
 * Records the first finding; returns true when judging stops.  Unless
 * strict, a known gap is only counted (the first one kept for the
 * report) and judging goes on: a page that fill-on-alloc filled is then
 * data, zeros as the allocation left it.
 */
static bool finding(struct model *m, enum fz_verdict_kind k, int op, int file,
		    int page, const char *what)
{
	struct page_state *p = &m->pg[file][page];
	struct fz_ignored *ig = &m->fd.gap[k];
	char st[80];

	if (m->fd.kind != FV_NONE)
		return true;
	states(p->s, p->gen, st, sizeof(st));
	if (verdicts[k].known_gap && !m->o->strict) {
		ig->ties += k == FV_FILL_ON_ALLOC && p->kept_from_collapse;
		if (!ig->n++) {
			ig->op = op;
			ig->page = page;
			snprintf(ig->why, sizeof(ig->why), "file %d page %d: %s; model allowed %s",
				 file, page, what, st);
		}
		if (verdicts[k].as_data)
			ig->n += filled_by_alloc(m, file, page) - 1;
		return false;
	}
	m->fd.kind = k;
	m->fd.op = op;
	m->fd.page = page;
	snprintf(m->fd.why, sizeof(m->fd.why), "file %d page %d: %s; model allowed %s",
		 file, page, what, st);
	return true;
}

/*
 * A collapse of the PMD happening now: every hole or fallocated page that
 * no MISSING registration protects may become zeros.  asked: a collapse
 * of the sequence's (MADV_COLLAPSE) that may have filled the PMD, not
 * khugepaged's possibility.
 */
static void collapse_may_fill(struct model *m, int file, int pmd, bool asked)
{
	int i, first = pmd * FZ_PMD_PAGES;

	/* A huge folio may reach past EOF: 6.18 collapses a PMD that i_size cuts. */
	if (first >= m->st.size[file])
		return;
	m->maybe_huge[file][pmd] = true;
	for (i = first; i < first + FZ_PMD_PAGES; i++) {
		struct page_state *p = &m->pg[file][i];

		if ((p->s & S_FALLOC) || ((p->s & S_HOLE) && !fz_struct_missing(&m->st, file, i))) {
			p->s |= S_ZERO;
		} else if (p->s == S_HOLE) {
			p->kept_by_missing = true;
			p->kept_from_collapse |= asked;
		}
	}
}

/*
 * Before every operation: khugepaged and unjoined collapses may have run.
 * khugepaged alone does not make a hole kept_from_collapse: every
 * VM_HUGEPAGE mapping lets it run, and that is also what lets a fault
 * allocate the PMD, so it would explain every fill-on-alloc away.
 */
static void background(struct model *m)
{
	int f, d, p, s;

	/*
	 * 6.12 lets khugepaged collapse the PMDs of any shmem VMA whose
	 * per-size orders allow some size, not only the PMD's: its
	 * __thp_vma_allowable_orders() returns shmem_allowable_huge_orders()
	 * unmasked by the order asked for.  So while an OP_MTHP size is on
	 * for every mapping (always, within_size), khugepaged may run over
	 * every mapped PMD, VM_HUGEPAGE or not (measured in QEMU: 6.12.117
	 * collapsed a PMD of a mapping without MADV_HUGEPAGE, 8 kB always).
	 */
	if (m->st.mthp_order && (m->st.mthp_policy == FZ_MTHP_ALWAYS ||
				 m->st.mthp_policy == FZ_MTHP_WITHIN_SIZE))
		for (p = 0; p < FZ_PROCS; p++)
			for (s = 0; s < FZ_SLOTS; s++) {
				const struct fz_slot *sl = &m->st.slot[p][s];

				for (d = 0; sl->mapped && d < FZ_PMDS; d++)
					if (fz_slot_has(sl, d * FZ_PMD_PAGES) &&
					    fz_slot_has(sl, (d + 1) * FZ_PMD_PAGES - 1))
						m->kh_possible[sl->file][d] = true;
			}
	for (f = 0; f < FZ_FILES; f++)
		for (d = 0; d < FZ_PMDS; d++)
			if (m->kh_possible[f][d] || m->pending_collapse[f][d])
				collapse_may_fill(m, f, d, m->pending_may_fill[f][d]);
}

static bool allows_gen(const struct page_state *p, int32_t c)
{
	if (c == CONTENT_ZERO)
		return p->s & (S_ZERO | S_FALLOC | S_HOLE | S_ANY);
	if (c > 0)
		return (p->s & S_ANY) || ((p->s & S_GEN) && p->gen == (uint32_t)c);
	return false;
}

/* A read saw c: keep only what explains it. */
static void narrow_content(struct page_state *p, int32_t c)
{
	if (c == CONTENT_ZERO) {
		p->s &= S_ZERO | S_FALLOC | S_HOLE | S_ANY;
	} else {
		p->s = S_GEN;
		p->gen = c;
	}
}

static void set_gen(struct page_state *p, uint32_t gen)
{
	p->s = gen ? S_GEN : S_ZERO;
	p->gen = gen;
	p->kept_by_missing = false;
	p->kept_from_collapse = false;
	p->kept_from_alloc = false;
}

/*
 * A hole that only the MISSING contract kept a hole, now seen as present.
 * A large folio allocated through another mapping could have filled it:
 * fill-on-alloc, the known gap, even when a collapse asked for could have
 * too.  Both break the contract, and from outside they leave the same
 * page cache: a collapse that finds the allocation's full PMD returns 0
 * (SCAN_PTE_MAPPED_HUGEPAGE), and one cut by EOF or failing with EINVAL
 * proves nothing either way.  Calling that tie a lost fault failed 6.12.117
 * and 6.18, which skip collapses under MISSING (--seed 0x18ed372af851ea5d
 * --generate 2126, --seed 0x18ed37400791f0be --generate 215).  So the tie
 * is fenced with the known gap it may be, named as a tie, and strict runs
 * fail it; a hole no allocation could have filled is still a lost fault
 * by default (6.1.192 is caught so, at once).
 */
static enum fz_verdict_kind filled_kind(const struct model *m, int file, int page,
					enum fz_verdict_kind otherwise)
{
	const struct page_state *p = &m->pg[file][page];

	if (p->kept_from_alloc)
		return FV_FILL_ON_ALLOC;
	if (p->kept_by_missing || fz_struct_missing(&m->st, file, page))
		return FV_LOST_FAULT;
	return otherwise;
}

/* What filled a fill-on-alloc page, a tie named as such. */
static const char *alloc_cause(const struct model *m, int file, int page)
{
	if (m->pg[file][page].kept_from_collapse)
		return "a large folio allocated elsewhere filled it, or a collapse asked for did (a tie)";
	return "a large folio allocated elsewhere filled it";
}

static void filled_what(const struct model *m, enum fz_verdict_kind k, int file, int page,
			char *buf, size_t len)
{
	if (k == FV_LOST_FAULT)
		snprintf(buf, len, " in a hole a MISSING registration kept: its fault is lost");
	else if (k == FV_FILL_ON_ALLOC)
		snprintf(buf, len, " in a hole a MISSING registration kept: %s",
			 alloc_cause(m, file, page));
	else
		snprintf(buf, len, ", and nothing wrote it");
}

/* A probe said hole (is_hole) or data for the page. */
static bool probe_says(struct model *m, int opi, int file, int page, bool is_hole,
		       const char *how)
{
	struct page_state *p = &m->pg[file][page];
	char what[240];

	if (is_hole) {
		if (!(p->s & (S_HOLE | S_FALLOC))) {
			snprintf(what, sizeof(what), "%s reported a hole", how);
			return finding(m, FV_DATA_VANISHED, opi, file, page, what);
		}
		p->s &= S_HOLE | S_FALLOC;
		/*
		 * Nothing filled it so far: neither an allocation nor an asked
		 * collapse (one still unjoined is counted again before the next
		 * operation) can explain data seen in it later.
		 */
		p->kept_from_alloc = false;
		p->kept_from_collapse = false;
		return false;
	}
	if (!(p->s & S_PRESENT)) {
		enum fz_verdict_kind k = filled_kind(m, file, page, FV_PHANTOM);
		char cause[160];

		filled_what(m, k, file, page, cause, sizeof(cause));
		snprintf(what, sizeof(what), "%s reported data%s", how, cause);
		return finding(m, k, opi, file, page, what);
	}
	/* fallocated pages read as holes or data, depending on the kernel */
	p->s &= S_PRESENT;
	return false;
}

/*
 * A collapse of the PMD may be running now: khugepaged may (a VM_HUGEPAGE
 * mapping had it), or an asynchronous MADV_COLLAPSE was not joined yet.
 * It could have locked the page (EEXIST may pass), or be joining the
 * range under a walker (seek-flicker).
 */
static bool collapse_in_flight(const struct model *m, int file, int pmd)
{
	return m->kh_possible[file][pmd] || m->pending_collapse[file][pmd];
}

/* One answer of lseek(SEEK_DATA or SEEK_HOLE), as the model reads it. */
struct lseek_answer {
	unsigned int from;	/* page asked from */
	bool data;		/* SEEK_DATA, else SEEK_HOLE */
	int32_t ans;		/* page, or -errno */
	bool walk;		/* a walk's call, asked again at once: */
	int32_t again;		/* ...what that second call answered */
};

/*
 * The xarray leaf flicker (docs/findings/seek-hole-flicker.md, "Signature")
 * and nothing else: a walk's answer called the data page `page` a hole
 * while a collapse of its PMD may have been in flight, the same call asked
 * again at once answered otherwise, and the offsets are those of a walker
 * that climbed out of a leaf onto the sibling entries of the new huge
 * folio.  SEEK_HOLE: page is the answer, at a leaf boundary that is not
 * the PMD's and past the walk's own start.  SEEK_DATA: page is the first
 * data page it skipped, whose leaf starts past the walk's start and not at
 * a PMD boundary, and the answer is the end of that page's PMD (a PMD
 * boundary) or ENXIO with that PMD the file's last.  6.1's uptodate
 * flicker (the walk's own start, the PMD's start, a repeat that agrees)
 * stays data-vanished.
 */
static bool leaf_flicker(const struct model *m, int file, unsigned int page,
			 const struct lseek_answer *a)
{
	unsigned int leaf = page - page % FZ_LEAF_PAGES, end;

	if (!a->walk || a->again == a->ans || !collapse_in_flight(m, file, page / FZ_PMD_PAGES))
		return false;
	if (!a->data)
		return page % FZ_LEAF_PAGES == 0 && page % FZ_PMD_PAGES && page > a->from;
	if (a->ans == -ENXIO)
		end = m->st.size[file];
	else if (a->ans > 0 && a->ans % FZ_PMD_PAGES == 0)
		end = a->ans;
	else
		return false;
	return leaf > a->from && leaf % FZ_PMD_PAGES &&
	       (end - 1) / FZ_PMD_PAGES == page / FZ_PMD_PAGES;
}

static void answer_text(int32_t ans, char *buf, size_t len)
{
	if (ans >= 0)
		snprintf(buf, len, "%d", ans);
	else
		snprintf(buf, len, "%s", ans == -ENXIO ? "ENXIO" : "an error");
}

/*
 * The answer calls `page` a hole, and the model knows it is data (what
 * probe_says() would call data-vanished): the answer is wrong, and none
 * of the rest of it is believed.  Returns true when judging stops.
 */
static bool lseek_vanished(struct model *m, int opi, int file, unsigned int page,
			   const struct lseek_answer *a, const char *how)
{
	char what[160], first[16], again[16];

	if (!a->walk)
		return probe_says(m, opi, file, page, true, how);
	answer_text(a->ans, first, sizeof(first));
	answer_text(a->again, again, sizeof(again));
	if (leaf_flicker(m, file, page, a)) {
		snprintf(what, sizeof(what), "%s from %u: %s, again %s, in a collapse: xarray leaf flicker",
			 how, a->from, first, again);
		return finding(m, FV_SEEK_FLICKER, opi, file, page, what);
	}
	snprintf(what, sizeof(what), "%s from page %u answered %s (at once again %s): a hole",
		 how, a->from, first, again);
	return finding(m, FV_DATA_VANISHED, opi, file, page, what);
}

/* A data page for the model: what a probe may not call a hole. */
static bool known_data(const struct model *m, int file, unsigned int page)
{
	return !(m->pg[file][page].s & (S_HOLE | S_FALLOC));
}

/*
 * What one lseek answer claims, page by page, as a single-page probe of
 * each would: SEEK_HOLE's h, that [from, h) is data and h a hole (EOF is
 * not a page); SEEK_DATA's d, that [from, d) are holes and d data, and
 * ENXIO that no page from `from` to EOF is data.  Beyond EOF nothing is
 * claimed.  Returns true when judging stops.
 */
static bool judge_lseek(struct model *m, int opi, int file, const struct lseek_answer *a,
			const char *how)
{
	unsigned int size = m->st.size[file], i, q;

	if (a->from >= size)
		return false;
	if (a->ans == -ENXIO && a->data) {
		q = size;
	} else {
		if (a->ans < 0 || (unsigned int)a->ans < a->from || (unsigned int)a->ans > size)
			return false;
		q = a->ans;
	}
	for (i = a->from; i < q; i++) {
		if (a->data && known_data(m, file, i))
			return lseek_vanished(m, opi, file, i, a, how);
		if (probe_says(m, opi, file, i, a->data, how))
			return true;
	}
	if (q == size)
		return false;
	if (!a->data && known_data(m, file, q))
		return lseek_vanished(m, opi, file, q, a, how);
	return probe_says(m, opi, file, q, !a->data, how);
}

static void model_seek(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	struct lseek_answer a = {
		.from = op->page, .data = op->sub == PRB_SEEK_DATA,
		.ans = ob->ret ? ob->ret : ob->val,
	};

	judge_lseek(m, opi, op->file, &a, a.data ? "lseek(SEEK_DATA)" : "lseek(SEEK_HOLE)");
}

static void model_mincore(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	const struct fz_slot *sl = &m->st.slot[fz_proc_of(op->actor)][op->slot];
	unsigned int i;

	if (ob->ret)
		return;
	for (i = 0; i < op->npages; i++) {
		unsigned int page = op->page + i;
		bool resident = ob->bits >> i & 1;

		if (page >= m->st.size[sl->file])
			continue;
		if (!resident && !m->o->mincore_hole_is_evidence)
			continue;
		if (probe_says(m, opi, sl->file, page, !resident, "mincore"))
			return;
	}
}

/*
 * A walk's calls, from its log: each answer is judged as a probe of its
 * own at the moment it was asked (a collapse or khugepaged may have run
 * before each).  The model asks the log only what the kernel answered:
 * what was asked must be what the probe asks, else it is our bug.
 * Returns the number of calls, or -1 after an internal finding.
 */
static int walk_calls(struct model *m, int opi, const struct fz_record *r,
		      const struct fz_walk **calls, unsigned int max)
{
	unsigned int k, n = 0, nw = r->nwalks < FZ_MAX_WALK_CALLS ? r->nwalks : FZ_MAX_WALK_CALLS;

	for (k = 0; k < nw; k++) {
		if (r->walk[k].op != opi)
			continue;
		if (n == max) {
			n = max + 1;
			break;
		}
		calls[n++] = &r->walk[k];
	}
	if (n <= max && (n || r->obs[opi].ret))
		return n;
	m->fd.kind = FV_INTERNAL;
	m->fd.op = opi;
	snprintf(m->fd.why, sizeof(m->fd.why),
		 "internal: op %d, a walk, logged %s%u calls", opi, n > max ? "more than " : "",
		 n > max ? max : n);
	return -1;
}

static bool walk_internal(struct model *m, int opi, unsigned int k, const struct fz_walk *w)
{
	m->fd.kind = FV_INTERNAL;
	m->fd.op = opi;
	snprintf(m->fd.why, sizeof(m->fd.why),
		 "internal: op %d's walk call %u asked %s from page %u, not what the walk asks",
		 opi, k, w->data ? "SEEK_DATA" : "SEEK_HOLE", w->from);
	return true;
}

/* Both answers of one call, the second after whatever may run in between. */
static bool judge_walk_call(struct model *m, int opi, int file, const struct fz_walk *w)
{
	const char *how = w->data ? "walk: lseek(SEEK_DATA)" : "walk: lseek(SEEK_HOLE)";
	struct lseek_answer a = {
		.from = w->from, .data = w->data, .walk = true,
		.ans = w->ans[0], .again = w->ans[1],
	};

	if (judge_lseek(m, opi, file, &a, how))
		return true;
	background(m);
	a.ans = w->ans[1];
	a.again = w->ans[0];
	if (judge_lseek(m, opi, file, &a, how))
		return true;
	background(m);
	return false;
}

/* One call, from the op's page: SEEK_HOLE (walk-hole) or SEEK_DATA (walk-data). */
static void model_walk_one(struct model *m, int opi, const struct fz_record *r, bool data)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_walk *w;
	int n = walk_calls(m, opi, r, &w, 1);

	if (n <= 0)
		return;
	if (w->from != op->page || w->data != data) {
		walk_internal(m, opi, 0, w);
		return;
	}
	judge_walk_call(m, opi, op->file, w);
}

static void model_walk_hole(struct model *m, int opi, const struct fz_record *r)
{
	model_walk_one(m, opi, r, false);
}

static void model_walk_data(struct model *m, int opi, const struct fz_record *r)
{
	model_walk_one(m, opi, r, true);
}

/*
 * From page 0: SEEK_DATA, SEEK_HOLE from its answer, SEEK_DATA from that
 * one's, ..., each from the first answer of the call before, until an
 * answer that does not move forward (fz_walk_goes_on()), EOF's ENXIO, or
 * FZ_WALK_FULL_CALLS calls.
 */
static void model_walk_full(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_walk *w[FZ_WALK_FULL_CALLS];
	unsigned int from = 0;
	int n = walk_calls(m, opi, r, w, FZ_WALK_FULL_CALLS), k;

	for (k = 0; k < n; k++) {
		bool data = !(k % 2);

		if (w[k]->from != from || w[k]->data != data ||
		    (k && !fz_walk_goes_on(!data, w[k - 1]->from, w[k - 1]->ans[0]))) {
			walk_internal(m, opi, k, w[k]);
			return;
		}
		from = w[k]->ans[0];
	}
	for (k = 0; k < n; k++)
		if (judge_walk_call(m, opi, r->op[opi].file, w[k]))
			return;
}

/* Is the op's range the whole of a PMD that the file covers? */
static int op_pmd(const struct fz_op *op)
{
	return op->page / FZ_PMD_PAGES;
}

/*
 * An operation that can leave a hole where there was data, at page of
 * file: a punch or a shrink of that file reaching it; MADV_REMOVE or
 * MADV_PAGEOUT of that page through a slot, OP_MADVISE's or OP_PAGEOUT's
 * (of whichever file the slot mapped then: pages are file pages, so any
 * file's do).
 */
static bool may_free_at(const struct fz_op *op, int file, unsigned int page)
{
	bool covers = page >= op->page && page < op->page + op->npages;

	if (op->kind == OP_FALLOCATE)
		return op->sub == FALLOC_PUNCH && op->file == file && covers;
	if (op->kind == OP_FTRUNCATE)
		return op->file == file && op->npages <= page;
	if (op->kind == OP_PAGEOUT)
		return covers;
	return op->kind == OP_MADVISE && (op->sub == ADV_REMOVE || op->sub == ADV_PAGEOUT) &&
	       covers;
}

/*
 * A collapse is all or nothing: when it failed, or a hole was left in its
 * PMD (wholly inside the file) right after it returned, it put no huge
 * folio there and filled nothing, so it cannot explain data in a hole.
 * Failed: the op is one PMD, and madvise_collapse() returns 0 only when
 * every PMD of the range collapsed; a collapse_file() that fails rolls the
 * page cache back, its holes put back where they were (mm/khugepaged.c).
 * Except EINVAL, which 6.1 returns for a PMD it did collapse (and then
 * could not map: SCAN_PTE_MAPPED_HUGEPAGE), so that says nothing.  This
 * is what proves a collapse innocent when EOF cuts its PMD.  An asynchronous
 * one's SEEK_HOLE may also have seen a page that an operation of the main
 * thread or the child freed meanwhile: then the hole it found (obs bits,
 * its page + 1), or any page of the PMD when that is not known, must be
 * one that no operation before the join could have freed.
 */
static bool collapse_filled_nothing(const struct model *m, const struct fz_record *r,
				    int opi, int file)
{
	const struct fz_op *op = &r->op[opi];
	unsigned int i, first = op_pmd(op) * FZ_PMD_PAGES, hole = r->obs[opi].bits, p;

	if (r->obs[opi].ret < 0 && r->obs[opi].ret != -EINVAL)
		return true;
	if (r->obs[opi].val || first + FZ_PMD_PAGES > m->st.size[file])
		return false;
	for (i = opi + 1; op->async && i < r->nops && r->op[i].kind != OP_JOIN; i++) {
		if (r->obs[i].nop)
			continue;
		if (hole > first && hole <= first + FZ_PMD_PAGES) {
			if (may_free_at(&r->op[i], file, hole - 1))
				return false;
			continue;
		}
		for (p = first; p < first + FZ_PMD_PAGES; p++)
			if (may_free_at(&r->op[i], file, p))
				return false;
	}
	return true;
}

static void judge_collapse(struct model *m, int opi, const struct fz_op *op,
			   const struct fz_obs *ob, int file, bool may_fill)
{
	int pmd = op_pmd(op), i, first = pmd * FZ_PMD_PAGES;

	collapse_may_fill(m, file, pmd, may_fill);
	/* val: the PMD read as all data right after the collapse returned */
	if (ob->val != FZ_PMD_PAGES || first + FZ_PMD_PAGES > m->st.size[file])
		return;
	for (i = first; i < first + FZ_PMD_PAGES; i++)
		if (probe_says(m, opi, file, i, false, "after MADV_COLLAPSE, SEEK_HOLE"))
			return;
}

/*
 * A folio over the n pages from first may have been allocated for the
 * hole `page`: its other holes may become zeros, except those a live
 * MISSING registration protects (filling them would be fill-on-alloc,
 * which the model does not allow silently).  Only where the slot maps the
 * whole block (a fault allocates no folio its VMA cannot map).  Returns
 * true when it may have.
 */
static bool block_may_fill(struct model *m, const struct fz_slot *sl, int file, int page,
			   int first, int n)
{
	int i;

	/* a folio may reach past EOF: only its first page must be inside */
	if (first >= (int)m->st.size[file] || !fz_slot_has(sl, first) ||
	    !fz_slot_has(sl, first + n - 1))
		return false;
	/* a punch of part of it may only zero (a large folio that does not split) */
	m->maybe_huge[file][first / FZ_PMD_PAGES] = true;
	for (i = first; i < first + n; i++) {
		struct page_state *q = &m->pg[file][i];

		if (!(q->s & S_HOLE) || i == page)
			continue;
		if (!fz_struct_missing(&m->st, file, i)) {
			q->s |= S_ZERO;
		} else if (q->s == S_HOLE) {
			if (!q->kept_from_alloc || n < q->alloc_block)
				q->alloc_block = n;
			q->kept_from_alloc = true;
		}
	}
	return true;
}

/*
 * A fault through sl allocates the hole `page`: through VM_HUGEPAGE maybe
 * a folio over the whole PMD, and where the OP_MTHP size applies to the
 * slot maybe a folio of that size over its aligned block (the kernel
 * takes the largest order allowed whose block holds nothing yet).
 * Returns true when either may have been allocated.
 */
static bool fault_may_fill(struct model *m, const struct fz_slot *sl, int file, int page)
{
	int n = 1 << fz_struct_mthp(&m->st, sl);
	bool huge = false;

	if (sl->hugepage)
		huge = block_may_fill(m, sl, file, page, page - page % FZ_PMD_PAGES, FZ_PMD_PAGES);
	if (n > 1)
		huge |= block_may_fill(m, sl, file, page, page - page % n, n);
	return huge;
}

/*
 * The executor's SEEK_HOLE right after the fault found no hole in the PMD
 * (FZ_FULL_PMD) or the OP_MTHP size's block (FZ_FULL_MTHP), wholly inside
 * the file: every page of it was data then.  A hole that MISSING kept is
 * seen filled here, at the allocation, before any later collapse could be
 * blamed for it.
 */
static void judge_fault_fill(struct model *m, int opi, const struct fz_slot *sl, int page,
			     uint8_t full)
{
	int n = 1 << fz_struct_mthp(&m->st, sl), file = sl->file, i, first, k;

	for (k = 0; k < 2; k++) {
		int size = k ? n : FZ_PMD_PAGES;

		if (!(full & (k ? FZ_FULL_MTHP : FZ_FULL_PMD)) || size < 2)
			continue;
		first = page - page % size;
		if (first + size > (int)m->st.size[file])
			continue;
		for (i = first; i < first + size; i++)
			if (probe_says(m, opi, file, i, false, "SEEK_HOLE right after the fault"))
				return;
	}
}

/*
 * How one page went when operation opi accessed it through slot sl of
 * process proc (a touch, or a page of MADV_POPULATE_*): the faults read
 * for it while opi ran, then what the access may have done to the page.
 */
struct access {
	bool write;		/* a store, or MADV_POPULATE_WRITE: WP faults may come */
	uint8_t *wp;		/* the page's protection in the slot (enum wp_state) */
	uint8_t wp0;		/* ...when the access began */
	bool wp_fault;		/* a WP fault was read for it */
	bool unprotected;	/* a resolved MISSING or MINOR fault took the protection */
	bool eexist;		/* a MISSING fault's UFFDIO_COPY said EEXIST */
	bool huge;		/* the fault may have allocated a large folio */
};

static void access_init(struct model *m, struct access *a, int proc, unsigned int slot,
			int page, bool write)
{
	memset(a, 0, sizeof(*a));
	a->write = write;
	a->wp = &m->wp[proc][slot][page];
	a->wp0 = *a->wp;
}

/* A WP fault: only a store to a page that may be write-protected raises one. */
static void access_wp_fault(struct model *m, int opi, const struct fz_slot *sl, int page,
			    const struct fz_fault *f, struct access *a)
{
	const char *why = NULL;

	if (!a->write)
		why = "WP fault for a load";
	else if (!(sl->reg[page] & FZ_REG_WP))
		why = "WP fault through a mapping not registered WP";
	else if (*a->wp == WP_OFF)
		why = "WP fault for a page that is not write-protected";
	if (why)
		finding(m, FV_SPURIOUS_FAULT, opi, sl->file, page, why);
	a->wp_fault = true;
	if (!f->res)
		*a->wp = WP_OFF;
}

/*
 * The faults for the page, in the order the handler read them.  Returns
 * true when judging stops.
 */
static bool access_faults(struct model *m, int opi, const struct fz_record *r, int proc,
			  const struct fz_slot *sl, int page, struct access *a)
{
	const struct fz_op *op = &r->op[opi];
	int file = sl->file;
	struct page_state *p = &m->pg[file][page];
	uint8_t reg = sl->reg[page];
	unsigned int k;

	for (k = 0; k < r->nfaults && m->fd.kind == FV_NONE; k++) {
		const struct fz_fault *f = &r->fault[k];

		if (f->op != opi || f->proc != proc || f->slot != op->slot || f->page != page)
			continue;
		if (f->flags & FZ_FAULT_MISSING) {
			if (!(reg & FZ_REG_MISSING))
				finding(m, FV_SPURIOUS_FAULT, opi, file, page,
					"MISSING fault through a mapping not registered MISSING");
			if (!(p->s & S_HOLE))
				finding(m, FV_SPURIOUS_FAULT, opi, file, page,
					"MISSING fault for a page that is not missing");
			if (!f->res) {
				set_gen(p, f->how == UIO_ZEROPAGE ? 0 : op->gen);
				*a->wp = WP_OFF;
				a->unprotected = true;
			} else if (f->res == -EEXIST) {
				a->eexist = true;
			}
		} else if (f->flags & FZ_FAULT_MINOR) {
			if (!(reg & FZ_REG_MINOR))
				finding(m, FV_SPURIOUS_FAULT, opi, file, page,
					"MINOR fault through a mapping not registered MINOR");
			if (!(p->s & S_PRESENT))
				finding(m, filled_kind(m, file, page, FV_SPURIOUS_FAULT), opi,
					file, page, "MINOR fault for a page that should not be in the page cache");
			p->s &= S_PRESENT;
			if (!f->res) {
				*a->wp = WP_OFF;
				a->unprotected = true;
			}
		} else if (f->flags & FZ_FAULT_WP) {
			access_wp_fault(m, opi, sl, page, f, a);
		}
	}
	return m->fd.kind != FV_NONE;
}

/*
 * The access completed: under MISSING the page must be present now (its
 * fault filled it, or it was data); elsewhere a hole became zeros, and a
 * fault through VM_HUGEPAGE may have filled its PMD.  Returns true when
 * judging stops.
 */
static bool access_done(struct model *m, int opi, const struct fz_slot *sl, unsigned int slot,
			int page, const char *how, struct access *a)
{
	int file = sl->file;
	struct page_state *p = &m->pg[file][page];
	char what[240];

	if (sl->reg[page] & FZ_REG_MISSING) {
		if (!(p->s & S_PRESENT)) {
			enum fz_verdict_kind k = a->eexist ? FV_COPY_EEXIST :
				filled_kind(m, file, page, FV_LOST_FAULT);

			snprintf(what, sizeof(what), "%s through the MISSING-registered slot %u %s%s",
				 how, slot,
				 a->eexist ? "faulted, UFFDIO_COPY said EEXIST, and the access then found data nobody wrote" :
				 k == FV_FILL_ON_ALLOC ? "completed with no MISSING fault: " :
				 "completed with no MISSING fault for a missing page",
				 k == FV_FILL_ON_ALLOC && !a->eexist ? alloc_cause(m, file, page) : "");
			if (finding(m, k, opi, file, page, what))
				return true;
		}
		p->s &= S_PRESENT;
	} else if (p->s & S_HOLE) {
		a->huge = fault_may_fill(m, sl, file, page);
		p->s = (p->s & ~S_HOLE) | S_ZERO;
		p->kept_from_alloc = false;
	}
	if (p->s & S_FALLOC)
		p->s = (p->s & ~S_FALLOC) | S_ZERO;
	/*
	 * A store to a page write-protected for sure must have raised a WP
	 * fault, unless a resolved MISSING or MINOR fault took the protection.
	 */
	if (a->write && a->wp0 == WP_ON && !a->wp_fault && !a->unprotected) {
		snprintf(what, sizeof(what), "%s through slot %u, write-protected by UFFDIO_WRITEPROTECT, completed with no WP fault",
			 how, slot);
		return finding(m, FV_LOST_WP, opi, file, page, what);
	}
	return false;
}

/*
 * An access that failed part way (an error, or a SIGBUS) may or may not
 * have reached the page: a hole outside MISSING may have become zeros.
 */
static void access_maybe(struct model *m, const struct fz_slot *sl, int page)
{
	struct page_state *p = &m->pg[sl->file][page];

	if ((sl->reg[page] & FZ_REG_MISSING) || !(p->s & (S_HOLE | S_FALLOC)))
		return;
	fault_may_fill(m, sl, sl->file, page);
	p->s |= S_ZERO;
}

static void model_touch(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	int proc = fz_proc_of(op->actor);
	const struct fz_slot *sl = &m->st.slot[proc][op->slot];
	int file = sl->file, page = op->page;
	struct page_state *p = &m->pg[file][page];
	bool store = op->arg & FZ_TOUCH_STORE;
	struct access a;
	char what[160];

	if (page >= m->st.size[file]) {
		/*
		 * Beyond EOF the access should SIGBUS.  6.12 and 6.18 let a store into a
		 * PMD-mapped folio that straddles i_size go through, and its bytes
		 * reappear when the file grows (counted, see fz_cover): the page
		 * is "any data" from then on, not a finding of this contract.
		 */
		if (store && !ob->sigbus && !ob->ret)
			p->s |= S_ANY;
		return;
	}
	if (ob->sigbus)
		finding(m, FV_SIGBUS, opi, file, page, "SIGBUS inside the file");
	access_init(m, &a, proc, op->slot, page, store);
	if (access_faults(m, opi, r, proc, sl, page, &a) || ob->sigbus)
		return;
	if (ob->ret) {
		/* the access failed part way: whatever it stored is unknown */
		if (store && (p->s & S_PRESENT))
			p->s |= S_ANY;
		return;
	}
	if (access_done(m, opi, sl, op->slot, page, store ? "store" : "load", &a))
		return;
	if (store) {
		set_gen(p, op->gen);
		if (a.huge && ob->pmd_full)
			judge_fault_fill(m, opi, sl, page, ob->pmd_full);
		return;
	}
	if (!allows_gen(p, ob->val)) {
		if (ob->val == CONTENT_CORRUPT)
			snprintf(what, sizeof(what), "load through slot %u read bytes of no generation",
				 op->slot);
		else
			snprintf(what, sizeof(what), "load through slot %u read generation %d",
				 op->slot, ob->val);
		finding(m, FV_CONTENT, opi, file, page, what);
		return;
	}
	narrow_content(p, ob->val);
	if (a.huge && ob->pmd_full)
		judge_fault_fill(m, opi, sl, page, ob->pmd_full);
}

/*
 * MADV_POPULATE_READ/WRITE faults every page of the range in, as a load
 * or a store that writes nothing would, in order, resolving MISSING
 * faults as the operation asks: each page is an access of its own.  On
 * an error it stopped somewhere: the pages it did not fault for may or
 * may not have been reached.  Beyond EOF nothing is claimed.
 */
static void model_populate(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	int proc = fz_proc_of(op->actor);
	const struct fz_slot *sl = &m->st.slot[proc][op->slot];
	unsigned int page;

	for (page = op->page; page < op->page + op->npages; page++) {
		struct access a;

		if (page >= m->st.size[sl->file])
			break;
		access_init(m, &a, proc, op->slot, page, op->sub == POP_WRITE);
		if (access_faults(m, opi, r, proc, sl, page, &a))
			return;
		if (ob->ret) {
			access_maybe(m, sl, page);
			continue;
		}
		if (access_done(m, opi, sl, op->slot, page, op->sub == POP_WRITE ?
				"MADV_POPULATE_WRITE" : "MADV_POPULATE_READ", &a))
			return;
	}
}

static void judge_uffdio(struct model *m, int opi, const struct fz_op *op,
			 const struct fz_obs *ob)
{
	const struct fz_slot *sl = &m->st.slot[fz_proc_of(op->actor)][op->slot];
	int file = sl->file, page = op->page;
	struct page_state *p = &m->pg[file][page];

	if (page >= m->st.size[file] || op->sub == UIO_WAKE)
		return;
	/* the PTE it installed carries no uffd-wp bit (no MODE_WP asked) */
	if (!ob->ret)
		m->wp[fz_proc_of(op->actor)][op->slot][page] = WP_OFF;
	if (op->sub == UIO_CONTINUE) {
		if (!ob->ret && !(p->s & S_PRESENT))
			finding(m, filled_kind(m, file, page, FV_PHANTOM), opi, file, page,
				"UFFDIO_CONTINUE succeeded on a page that should not be in the page cache");
		else if (!ob->ret)
			p->s &= S_PRESENT;
		return;
	}
	if (!ob->ret) {
		if (!(p->s & S_HOLE)) {
			finding(m, FV_CONTENT, opi, file, page,
				"UFFDIO_COPY/ZEROPAGE succeeded over a page that was present");
			return;
		}
		set_gen(p, op->sub == UIO_ZEROPAGE ? 0 : op->gen);
	} else if (ob->ret == -EEXIST) {
		if (!(p->s & S_PRESENT) && !collapse_in_flight(m, file, page / FZ_PMD_PAGES)) {
			finding(m, filled_kind(m, file, page, FV_PHANTOM),
				opi, file, page, "UFFDIO_COPY/ZEROPAGE said EEXIST for a hole");
			return;
		}
		if (!collapse_in_flight(m, file, page / FZ_PMD_PAGES))
			p->s &= S_PRESENT;
	}
}

static void punch(struct model *m, int file, unsigned int first, unsigned int n)
{
	unsigned int i;

	for (i = first; i < first + n && i < FZ_FILE_PAGES; i++) {
		struct page_state *p = &m->pg[file][i];

		/* part of a huge folio that cannot split is zeroed, not freed */
		p->s = S_HOLE | (m->maybe_huge[file][i / FZ_PMD_PAGES] ? S_ZERO : 0);
		p->kept_from_alloc = false;
	}
}

static void model_none(struct model *m, int opi, const struct fz_record *r)
{
}

/*
 * Reclaim may drop a page that holds nothing but zeros (6.18 does, with no
 * swap at all): such a page may be a hole again.  A page with a write in
 * it is data whatever reclaim does: written to swap, the page cache keeps
 * a swap entry for it (SEEK_DATA's data, a fault's swap-in, never a
 * MISSING fault); not written, it stays resident.
 */
static void pageout_may_drop(struct page_state *p)
{
	if (p->s & (S_ZERO | S_FALLOC))
		p->s |= S_HOLE;
}

/*
 * OP_PAGEOUT (fz.h): MADV_PAGEOUT may push any of the range's pages this
 * process maps out to swap, or none (a folio mapped by another process
 * is skipped, a large folio that does not split stays, a write to swap
 * may fail): each page is "resident" or "swapped", which the contract
 * cannot tell apart, never "hole" unless it was all zeros
 * (pageout_may_drop()).  Then the executor's SEEK_DATA from each page is
 * a probe of that page: data where it answered the page itself, a hole
 * otherwise.  A hole answer is believed only while no collapse of the PMD
 * may be in flight: during one 6.12 answers data pages as holes (the
 * xarray leaf race, docs/findings/seek-hole-flicker.md), which is a gap
 * of its own, not this operation's to find.
 */
static void model_pageout(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	const struct fz_slot *sl = &m->st.slot[fz_proc_of(op->actor)][op->slot];
	unsigned int i, page;
	bool data;

	if (ob->val == FZ_PAGEOUT_NO_SWAP)
		return;
	for (i = 0; i < op->npages && op->page + i < m->st.size[sl->file]; i++)
		pageout_may_drop(&m->pg[sl->file][op->page + i]);
	if (ob->val == FZ_PAGEOUT_UNSEEN)
		return;
	for (i = 0; i < op->npages; i++) {
		page = op->page + i;
		data = ob->bits >> i & 1;
		if (page >= m->st.size[sl->file])
			break;
		if (!data && collapse_in_flight(m, sl->file, page / FZ_PMD_PAGES))
			continue;
		if (probe_says(m, opi, sl->file, page, !data,
			       "after MADV_PAGEOUT, lseek(SEEK_DATA) from the page"))
			return;
	}
}

static void model_madvise(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	const struct fz_slot *sl = &m->st.slot[fz_proc_of(op->actor)][op->slot];
	unsigned int end = op->page + op->npages;
	int i;

	if (op->sub == ADV_HUGEPAGE && !ob->ret)
		for (i = sl->first; i < sl->first + sl->npages; i += FZ_PMD_PAGES)
			m->kh_possible[sl->file][i / FZ_PMD_PAGES] = true;
	if (op->sub == ADV_REMOVE && !ob->ret)
		punch(m, sl->file, op->page, op->npages);
	if (op->sub == ADV_PAGEOUT)
		for (i = op->page; i < end; i++)
			pageout_may_drop(&m->pg[sl->file][i]);
	if (op->sub == ADV_COLLAPSE) {
		bool may_fill = !collapse_filled_nothing(m, r, opi, sl->file);

		if (op->async) {
			m->pending_collapse[sl->file][op_pmd(op)]++;
			m->pending_may_fill[sl->file][op_pmd(op)] += may_fill;
		} else {
			judge_collapse(m, opi, op, ob, sl->file, may_fill);
		}
	}
}

static void model_fallocate(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	unsigned int end = op->page + op->npages;
	int i;

	if (r->obs[opi].ret)
		return;
	if (op->sub == FALLOC_PUNCH) {
		punch(m, op->file, op->page, op->npages);
		return;
	}
	for (i = op->page; i < end; i++)
		if (m->pg[op->file][i].s & S_HOLE)
			m->pg[op->file][i].s = (m->pg[op->file][i].s & ~S_HOLE) | S_FALLOC;
}

static void model_ftruncate(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	int i;

	if (r->obs[opi].ret)
		return;
	if (op->npages < m->st.size[op->file])
		for (i = op->npages; i < FZ_FILE_PAGES; i++) {
			m->pg[op->file][i].s = S_HOLE;
			m->pg[op->file][i].kept_from_alloc = false;
		}
	for (i = op->npages / FZ_PMD_PAGES; i < FZ_PMDS; i++)
		if ((unsigned int)i * FZ_PMD_PAGES >= op->npages)
			m->maybe_huge[op->file][i] = false;
}

static void model_pwrite(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	unsigned int end = op->page + op->npages;
	int i;

	if (ob->ret == (int)(op->npages * 4096)) {
		for (i = op->page; i < end; i++)
			set_gen(&m->pg[op->file][i], op->gen);
	} else if (ob->ret != -EFBIG) {
		for (i = op->page; i < end; i++)
			m->pg[op->file][i].s |= S_ANY;
	}
}

static void model_pread(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	struct page_state *p = &m->pg[op->file][op->page];

	if (ob->ret || op->page >= m->st.size[op->file])
		return;
	if (!allows_gen(p, ob->val)) {
		finding(m, FV_CONTENT, opi, op->file, op->page,
			ob->val == CONTENT_CORRUPT ? "pread saw bytes of no generation" :
			"pread saw another generation");
		return;
	}
	narrow_content(p, ob->val);
}

static void model_uffdio(struct model *m, int opi, const struct fz_record *r)
{
	judge_uffdio(m, opi, &r->op[opi], &r->obs[opi]);
}

static void (*const probe_model_fn[PRB_NR])(struct model *m, int opi,
					    const struct fz_record *r) = {
	FZ_PROBES(FZ_SKIP, FZ_SKIP, FZ_TAKE)
};

bool fz_model_probe_has(enum fz_probe p)
{
	return p < PRB_NR && probe_model_fn[p];
}

static void model_probe(struct model *m, int opi, const struct fz_record *r)
{
	probe_model_fn[r->op[opi].sub](m, opi, r);
}

/*
 * UFFDIO_WRITEPROTECT over WP-registered pages (fz_ops.c clamps it so):
 * done, each page is protected or not as asked; failed, it may have
 * stopped anywhere.
 */
static void model_writeprotect(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	uint8_t *wp = m->wp[fz_proc_of(op->actor)][op->slot];
	unsigned int i;

	for (i = op->page; i < op->page + op->npages; i++)
		wp[i] = r->obs[opi].ret ? WP_MAYBE : op->sub == FZ_WP_PROTECT ? WP_ON : WP_OFF;
}

static void model_join(struct model *m, int opi, const struct fz_record *r)
{
	memset(m->pending_collapse, 0, sizeof(m->pending_collapse));
	memset(m->pending_may_fill, 0, sizeof(m->pending_may_fill));
	m->async_pending = false;
}

static void (*const model_fn[OP_NR_KINDS])(struct model *m, int opi,
					   const struct fz_record *r) = {
	FZ_OPS(FZ_SKIP, FZ_SKIP, FZ_SKIP, FZ_TAKE)
};

bool fz_model_has(enum fz_kind k)
{
	return k < OP_NR_KINDS && model_fn[k];
}

/* An operation that truncates page cache: a punch, MADV_REMOVE, a shrink. */
static bool truncates(const struct fz_op *op)
{
	return (op->kind == OP_FALLOCATE && op->sub == FALLOC_PUNCH) || op->kind == OP_FTRUNCATE ||
	       (op->kind == OP_MADVISE && op->sub == ADV_REMOVE);
}

/*
 * Write protection after op changed the structure (was: before it).  A
 * mapping made afresh has none.  UFFDIO_UNREGISTER, the release of the
 * userfaultfd and mremap() without EVENT_REMAP clear it where the VMA was
 * registered WP; a registration that replaced WP by other modes leaves
 * the bits in the page tables, unseen until WP is registered again.  A
 * fork copies it with the registrations (EVENT_FORK).  A truncation
 * clears the markers of a folio that is mapped when it is truncated
 * (unmap_mapping_folio(), ZAP_FLAG_DROP_MARKER): with an asynchronous
 * collapse or migration in flight, which may map it meanwhile, every
 * protection of the file's PMDs it touched may be gone.
 */
static void wp_follow(struct model *m, const struct fz_struct *was, const struct fz_op *op,
		      const struct fz_obs *ob)
{
	unsigned int p, s, i, pmd;

	for (p = 0; p < FZ_PROCS; p++)
		for (s = 0; s < FZ_SLOTS; s++) {
			const struct fz_slot *o = &was->slot[p][s], *n = &m->st.slot[p][s];
			uint8_t *wp = m->wp[p][s];

			if (!n->mapped || !o->mapped || o->file != n->file || o->first != n->first ||
			    (op->kind == OP_FORK && p == 1)) {
				memset(wp, WP_OFF, sizeof(m->wp[p][s]));
				continue;
			}
			for (i = n->first; i < n->first + n->npages; i++) {
				if (!n->reg[i] && (o->reg[i] & FZ_REG_WP))
					wp[i] = WP_OFF;
				else if (!(n->reg[i] & FZ_REG_WP) && wp[i] == WP_ON)
					wp[i] = WP_MAYBE;
			}
		}
	if (op->kind == OP_FORK && !ob->ret)
		for (s = 0; s < FZ_SLOTS; s++)
			for (i = 0; i < FZ_FILE_PAGES; i++)
				if (m->st.slot[1][s].reg[i] & FZ_REG_WP)
					m->wp[1][s][i] = m->wp[0][s][i];
	if (!m->async_pending || !truncates(op))
		return;
	for (p = 0; p < FZ_PROCS; p++)
		for (s = 0; s < FZ_SLOTS; s++) {
			const struct fz_slot *n = &m->st.slot[p][s];
			unsigned int file = op->kind == OP_MADVISE ? was->slot[fz_proc_of(op->actor)][op->slot].file :
					    op->file;

			if (!n->mapped || n->file != file)
				continue;
			for (i = n->first; i < n->first + n->npages; i++) {
				pmd = i / FZ_PMD_PAGES;
				if (m->wp[p][s][i] == WP_ON &&
				    (op->kind == OP_FTRUNCATE ? i >= op->npages - op->npages % FZ_PMD_PAGES :
				     pmd >= op->page / FZ_PMD_PAGES &&
				     pmd <= (op->page + op->npages - 1) / FZ_PMD_PAGES))
					m->wp[p][s][i] = WP_MAYBE;
			}
		}
}

/* --- userfaultfd events ----------------------------------------------- */

static const char * const event_type_names[FZE_NR] = { "FORK", "REMAP", "REMOVE", "UNMAP" };

const char *fz_event_name(unsigned int type)
{
	return type < FZE_NR ? event_type_names[type] : "?";
}

/* Where slot s of a process is now, in pages from the reservation. */
static unsigned int slot_home(const struct fz_slot *sl, unsigned int s)
{
	return s * FZ_SLOT_STRIDE + (sl->alt ? FZ_SLOT_ALT : 0);
}

/*
 * The userfaultfd contexts that registered pages of the slot: its
 * process's own, and the fork's (FZ_REG_FORKED); each sends its own
 * UNMAP event.  Returns how many.
 */
static unsigned int slot_contexts(const struct fz_slot *sl)
{
	bool own = false, forked = false;
	unsigned int i;

	for (i = sl->first; i < sl->first + sl->npages; i++) {
		own |= sl->reg[i] && !(sl->reg[i] & FZ_REG_FORKED);
		forked |= !!(sl->reg[i] & FZ_REG_FORKED);
	}
	return own + forked;
}

static bool event_finding(struct model *m, int opi, int page, const char *fmt, ...)
	__printf(4, 5);

static bool event_finding(struct model *m, int opi, int page, const char *fmt, ...)
{
	va_list ap;

	if (m->fd.kind != FV_NONE)
		return true;
	m->fd.kind = FV_EVENT;
	m->fd.op = opi;
	m->fd.page = page;
	va_start(ap, fmt);
	vsnprintf(m->fd.why, sizeof(m->fd.why), fmt, ap);
	va_end(ap);
	return true;
}

/*
 * MADV_DONTNEED or MADV_REMOVE of [page, page + npages) through the slot:
 * one REMOVE event per VMA with a userfaultfd context (any mode), for
 * that VMA's part of the range (userfaultfd_remove()).  VMAs may split
 * where the model does not look (mbind), so: the events are disjoint,
 * inside the range, over registered pages only, and when the call
 * succeeded they cover every registered page of it.
 */
static void judge_remove_events(struct model *m, int opi, const struct fz_record *r,
				const struct fz_slot *sl, unsigned int home, int proc)
{
	const struct fz_op *op = &r->op[opi];
	unsigned int base = home + op->page - sl->first, k, j;
	bool covered[64] = { false };

	for (k = 0; k < r->nevents; k++) {
		const struct fz_event *e = &r->event[k];

		if (e->op != opi || e->type != FZE_REMOVE || e->proc != proc)
			continue;
		m->ev_claimed[k] = true;
		if (!(m->st.events[proc] & FZ_EV_REMOVE) || e->a >= e->b || e->a < base ||
		    e->b > base + op->npages) {
			event_finding(m, opi, -1, "REMOVE event for pages %u-%u (from the slots' base) that %s",
				      e->a, e->b - 1, m->st.events[proc] & FZ_EV_REMOVE ?
				      "the madvise() did not cover" : "a userfaultfd without EVENT_REMOVE sent");
			return;
		}
		for (j = e->a; j < e->b; j++) {
			unsigned int page = op->page + j - base;

			if (!sl->reg[page] || covered[j - base]) {
				event_finding(m, opi, page, "REMOVE event for page %u, %s", page,
					      covered[j - base] ? "twice" : "which no registration covered");
				return;
			}
			covered[j - base] = true;
		}
	}
	if (r->obs[opi].ret || !(m->st.events[proc] & FZ_EV_REMOVE))
		return;
	for (j = 0; j < op->npages; j++)
		if (sl->reg[op->page + j] && !covered[j]) {
			event_finding(m, opi, op->page + j,
				      "no REMOVE event for page %u, registered, which the madvise() zapped",
				      op->page + j);
			return;
		}
}

/* How many events of op opi are of this type, process and pages; claims them. */
static unsigned int events_like(struct model *m, int opi, const struct fz_record *r,
				unsigned int type, int proc, uint32_t a, uint32_t b, uint32_t c)
{
	unsigned int k, n = 0;

	for (k = 0; k < r->nevents; k++) {
		const struct fz_event *e = &r->event[k];

		if (e->op != opi || e->type != type || e->proc != proc || m->ev_claimed[k])
			continue;
		if (type != FZE_FORK && (e->a != a || e->b != b || e->c != c))
			continue;
		m->ev_claimed[k] = true;
		n++;
	}
	return n;
}

static void expect_events(struct model *m, int opi, const struct fz_record *r,
			  unsigned int type, int proc, uint32_t a, uint32_t b, uint32_t c,
			  unsigned int want, bool exact)
{
	unsigned int n = events_like(m, opi, r, type, proc, a, b, c);

	if (n == want || (!exact && n <= want))
		return;
	if (type == FZE_FORK)
		event_finding(m, opi, -1, "%u FORK event(s), expected %u%s", n, want,
			      exact ? "" : " at most");
	else
		event_finding(m, opi, -1, "%u %s event(s) for pages %u-%u (from the slots' base), expected %u%s",
			      n, event_type_names[type], a, b - 1, want, exact ? "" : " at most");
}

/*
 * A refused mremap() may have moved part of the slot first (6.17+ move
 * VMA by VMA): REMAP events, if any, each for a part of the slot moved by
 * the distance between its homes.
 */
static void remap_parts(struct model *m, int opi, const struct fz_record *r, int proc,
			unsigned int home, unsigned int alt, unsigned int npages, bool remap)
{
	unsigned int k;

	for (k = 0; k < r->nevents; k++) {
		const struct fz_event *e = &r->event[k];

		if (e->op != opi || e->type != FZE_REMAP || e->proc != proc || m->ev_claimed[k])
			continue;
		m->ev_claimed[k] = true;
		if (remap && e->a >= home && e->c && e->a + e->c <= home + npages &&
		    e->b == e->a - home + alt)
			continue;
		event_finding(m, opi, -1, "REMAP event for pages %u-%u to %u, which %s",
			      e->a, e->a + e->c - 1, e->b, remap ? "is no part of the slot's move" :
			      "a userfaultfd without EVENT_REMAP sent");
		return;
	}
}

/*
 * The events op opi must have sent, and may have, as what they mean for
 * the registrations: FORK, the child has them (FZ_REG_FORKED); REMAP,
 * they moved with the mapping; REMOVE, the range was zapped and they
 * stay; UNMAP, they are gone with the mapping.  Called before the
 * structure advances: m->st is what the operation found.
 */
static void judge_events(struct model *m, int opi, const struct fz_record *r)
{
	const struct fz_op *op = &r->op[opi];
	const struct fz_obs *ob = &r->obs[opi];
	int proc = fz_proc_of(op->actor);
	const struct fz_slot *sl = &m->st.slot[proc][op->slot];
	unsigned int ev = m->st.events[proc], home = slot_home(sl, op->slot), s, ctx;
	unsigned int alt = op->slot * FZ_SLOT_STRIDE + (sl->alt ? 0 : FZ_SLOT_ALT);
	bool registered = false;

	ctx = sl->mapped ? slot_contexts(sl) : 0;
	switch (op->kind) {
	case OP_FORK:
		for (s = 0; s < FZ_SLOTS; s++)
			registered |= m->st.slot[0][s].mapped && slot_contexts(&m->st.slot[0][s]);
		expect_events(m, opi, r, FZE_FORK, 0, 0, 0, 0,
			      !ob->ret && (ev & FZ_EV_FORK) && registered, !ob->ret);
		break;
	case OP_MUNMAP:
		expect_events(m, opi, r, FZE_UNMAP, proc, home, home + FZ_SLOT_STRIDE, 0,
			      ev & FZ_EV_UNMAP ? ctx : 0, !ob->ret);
		break;
	case OP_MREMAP:
		if (!ob->ret) {
			/* one VMA, one context: moved, then the source unmapped */
			expect_events(m, opi, r, FZE_REMAP, proc, home, alt, sl->npages,
				      (ev & FZ_EV_REMAP) && ctx, true);
			expect_events(m, opi, r, FZE_UNMAP, proc, home, home + sl->npages, 0,
				      (ev & FZ_EV_UNMAP) ? ctx : 0, true);
			break;
		}
		/*
		 * Refused, or moved in part (6.17+): the executor then maps
		 * the slot afresh at its old home, unmapping what is left at
		 * either.  What moved is not known: any of these may come.
		 */
		remap_parts(m, opi, r, proc, home, alt, sl->npages, ev & FZ_EV_REMAP);
		expect_events(m, opi, r, FZE_UNMAP, proc, alt, alt + FZ_SLOT_STRIDE, 0,
			      ev & FZ_EV_UNMAP ? ctx : 0, false);
		expect_events(m, opi, r, FZE_UNMAP, proc, home, home + sl->npages, 0,
			      ev & FZ_EV_UNMAP ? ctx : 0, false);
		break;
	case OP_MADVISE:
		if (op->sub == ADV_DONTNEED || op->sub == ADV_REMOVE)
			judge_remove_events(m, opi, r, sl, home, proc);
		break;
	}
}

/* Events that no operation explains: after every operation was judged. */
static void stray_events(struct model *m, const struct fz_record *r, unsigned int judged)
{
	unsigned int k;

	for (k = 0; k < r->nevents && k < FZ_MAX_EVENTS; k++) {
		const struct fz_event *e = &r->event[k];

		if (m->ev_claimed[k] || e->op >= judged)
			continue;
		event_finding(m, e->op, -1, "%s event (process %u, pages %u-%u from the slots' base) during op %u, which cannot send one",
			      e->type < FZE_NR ? event_type_names[e->type] : "?", e->proc, e->a, e->b,
			      e->op);
		return;
	}
}

/* Faults no touch explains: while a non-touch ran, or for another page. */
static void stray_faults(struct model *m, const struct fz_record *r)
{
	unsigned int k;

	for (k = 0; k < r->nfaults && m->fd.kind == FV_NONE; k++) {
		const struct fz_fault *f = &r->fault[k];
		const struct fz_op *op = f->op < r->nops ? &r->op[f->op] : NULL;
		char what[120];

		if (op && op->kind == OP_TOUCH && f->slot == op->slot &&
		    f->page == op->page && f->proc == fz_proc_of(op->actor))
			continue;
		if (op && op->kind == OP_POPULATE && f->slot == op->slot &&
		    f->page >= op->page && f->page < op->page + op->npages &&
		    f->proc == fz_proc_of(op->actor))
			continue;
		snprintf(what, sizeof(what), "%s fault (slot %u, process %u) during op %u, which did not access that page",
			 f->flags & FZ_FAULT_WP ? "WP" : f->flags & FZ_FAULT_MINOR ? "MINOR" : "MISSING",
			 f->slot, f->proc, f->op);
		m->fd.kind = FV_SPURIOUS_FAULT;
		m->fd.op = f->op < r->nops ? f->op : 0;
		m->fd.page = f->page;
		snprintf(m->fd.why, sizeof(m->fd.why), "page %u: %s", f->page, what);
	}
}

struct fz_finding fz_judge(const struct fz_record *r, const struct fz_model_opts *o)
{
	static struct fz_struct was;
	static struct model m;
	unsigned int i;
	int f;

	memset(&m, 0, sizeof(m));
	m.o = o;
	fz_struct_init(&m.st);
	for (f = 0; f < FZ_FILES; f++)
		for (i = 0; i < FZ_FILE_PAGES; i++)
			m.pg[f][i].s = S_HOLE;
	m.fd.kind = FV_NONE;
	m.fd.op = -1;
	m.fd.page = -1;
	/* Faults past the log's room were not kept: judging would invent losses. */
	if (r->nfaults > FZ_MAX_FAULTS || r->nevents > FZ_MAX_EVENTS) {
		snprintf(m.fd.why, sizeof(m.fd.why),
			 "internal: %u faults and %u events, the record keeps %u and %u: cannot judge the sequence",
			 r->nfaults, r->nevents, FZ_MAX_FAULTS, FZ_MAX_EVENTS);
		m.fd.kind = FV_INTERNAL;
		return m.fd;
	}
	for (f = 0; f < FZ_PROCS; f++)
		m.st.events[f] &= ~r->events_off;

	for (i = 0; i < r->nops && m.fd.kind == FV_NONE; i++) {
		struct fz_op op = r->op[i];
		const struct fz_obs *ob = &r->obs[i];
		bool applies = fz_struct_applies(&m.st, &op);

		if (!ob->done)
			break;
		if (!applies != !!ob->nop) {
			snprintf(m.fd.why, sizeof(m.fd.why),
				 "internal: model and executor disagree on whether op %u applies", i);
			m.fd.kind = FV_INTERNAL;
			m.fd.op = i;
			break;
		}
		if (!applies)
			continue;
		background(&m);
		model_fn[op.kind](&m, i, r);
		if (m.fd.kind == FV_NONE)
			judge_events(&m, i, r);
		was = m.st;
		fz_struct_advance(&m.st, &op, ob);
		wp_follow(&m, &was, &op, ob);
		if (op.async)
			m.async_pending = true;
	}
	if (m.fd.kind == FV_NONE)
		stray_faults(&m, r);
	if (m.fd.kind == FV_NONE)
		stray_events(&m, r, i);
	/* A process of the run died by a signal: the crash, where it happened. */
	if (m.fd.kind == FV_NONE && r->crash_sig) {
		m.fd.kind = FV_CRASH;
		m.fd.op = r->crash_op < r->nops ? (int)r->crash_op : -1;
		m.fd.detail = r->crash_sig;
		snprintf(m.fd.why, sizeof(m.fd.why), "the %s process died by %s during op %u",
			 r->crash_proc ? "child" : "run", fz_signal_name(r->crash_sig), r->crash_op);
	}
	if (m.fd.kind == FV_NONE && r->abort[0]) {
		m.fd.kind = FV_HANG;
		m.fd.op = r->cur_op;
		snprintf(m.fd.why, sizeof(m.fd.why), "%s", r->abort);
	}
	return m.fd;
}
