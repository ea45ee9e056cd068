/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The oracle: judges a ledger against the userfaultfd MISSING contract.
 *
 * It must be sound before it is sharp: a false FAIL sends a bisection to
 * the wrong commit, so every rule only uses orders the stamps prove
 * (A.t1 < B.t0), and an observation that overlaps the operation it would
 * be judged against is not evidence.
 */
#ifndef UFFDC_ORACLE_H
#define UFFDC_ORACLE_H

#include <stdbool.h>
#include <stdio.h>

#include "ledger.h"

enum violation_kind {
	V_LOST_FAULT,		/* hole seen after registration, touched, no fault */
	V_SPURIOUS_FAULT,	/* fault for a page known to be data */
	V_DATA_VANISHED,	/* page known to be data probed as a hole */
	V_CONTENT,		/* bytes that no completed write explains */
	V_COPY_EEXIST,		/* kernel said missing, then filled it itself */
	/*
	 * A lost fault that no collapse explains, while something else
	 * allocated a page of the same huge block: a large folio allocated
	 * for that page covered this hole (docs/findings/fill-on-alloc.md).
	 */
	V_FILL_ON_ALLOC,
	/*
	 * A data page reported as a hole by a walk (SEEK_HOLE or SEEK_DATA
	 * from an offset) with the signature of the xarray leaf race while a
	 * collapse stores its huge folio (docs/findings/seek-hole-flicker.md).
	 */
	V_SEEK_FLICKER,
	/*
	 * A thread faulted on a page again after UFFDIO_COPY found the page
	 * present (EEXIST), and nothing of ours removed it: the kernel keeps
	 * reporting missing a page it holds, and the toucher may never get
	 * past it.
	 */
	V_FAULT_LOOP,
	V_NR,
};

#define ORACLE_MAX_EVIDENCE 4
#define ORACLE_MAX_KEPT 16
#define ORACLE_MAX_MAPS 256	/* map ids the private_maps bitmap covers */

struct violation {
	enum violation_kind kind;
	uint32_t page;
	uint16_t map;
	int nev;
	uint64_t ev[ORACLE_MAX_EVIDENCE];	/* ledger indices */
	char why[200];
};

struct oracle_opts {
	/*
	 * mincore() reports residency, not existence: a swapped-out shmem page
	 * reads as "not resident".  Its HOLE readings are evidence only when
	 * the system has no swap.
	 */
	bool mincore_hole_is_evidence;
	/* Page size, only for offsets in the report. */
	unsigned long page_size;
	/*
	 * Pages of the largest folio the kernel may allocate (the PMD size):
	 * a fill-on-alloc trigger lies in the same naturally aligned block as
	 * the hole.  0: anywhere in the file.
	 */
	uint32_t block_pages;
	/*
	 * The maps that are MAP_PRIVATE mappings of the file (a bit per map
	 * id, oracle_set_private_map()).  What goes into such a mapping stays
	 * in it: a UFFDIO_COPY or UFFDIO_ZEROPAGE through it installs an
	 * anonymous page and leaves the file's hole (6.12 mm/userfaultfd.c,
	 * mfill_atomic_pte(): "we'll generate anonymous memory directly
	 * without actually filling the hole"), a store copies the file's page
	 * on write (mm/memory.c, do_cow_fault()), and MADV_DONTNEED of the
	 * mapping (EV_ZAP) drops those pages, after which it reads the file
	 * again.  Such "local" pages are seen only through their mapping:
	 * never by pread, SEEK_DATA/SEEK_HOLE or another mapping, and a
	 * MISSING fault through the mapping is owed only when neither the
	 * file nor the mapping has the page.
	 */
	uint64_t private_maps[ORACLE_MAX_MAPS / 64];
};

static inline void oracle_set_private_map(struct oracle_opts *o, unsigned int map)
{
	if (map < ORACLE_MAX_MAPS)
		o->private_maps[map / 64] |= 1ULL << (map % 64);
}

static inline bool oracle_map_is_private(const struct oracle_opts *o, unsigned int map)
{
	return map < ORACLE_MAX_MAPS && (o->private_maps[map / 64] >> (map % 64) & 1);
}

struct verdict {
	unsigned int total;
	unsigned int count[V_NR];
	unsigned int kept;
	struct violation v[ORACLE_MAX_KEPT];
	unsigned int unattributed_faults;	/* faults no touch explains */
	bool unjudgeable;
	char reason[128];
};

const char *violation_name(enum violation_kind k);

/*
 * Known gaps: the kinds that current kernels are known to show, each with
 * its report (docs/findings/), or NULL for every other kind.  Programs
 * fence them unless UFFDC_STRICT=1 (kselftest XFAIL, counted, reported):
 * a kernel with a known gap stays usable for CI and bisection, and any
 * other kind still fails.
 */
const char *violation_known_gap(enum violation_kind k);

/* There is a violation and every one is of a known-gap kind. */
bool verdict_known_gaps_only(const struct verdict *v);

/* Every violation of the verdict is of kind k (and there is one). */
static inline bool verdict_only(const struct verdict *v, enum violation_kind k)
{
	return v->total && v->total == v->count[k] && !v->unjudgeable;
}

/* Returns the number of violations; 0 means the ledger keeps the contract. */
unsigned int oracle_judge(const struct ledger *l, const struct oracle_opts *o,
			  struct verdict *out);

/*
 * Print each kept violation: the page, the invariant and the events behind
 * it, then the ledger's other events for that page.  Every line starts with
 * "# " so the report is KTAP diagnostics.
 */
void oracle_report(FILE *f, const struct ledger *l, const struct oracle_opts *o,
		   const struct verdict *v);

/*
 * Online verdicts, for a fault handler to give the moment it reads a fault
 * (uffd_handler.on_event), while the other actors go on appending.  They
 * are oracle_judge()'s own rules for spurious-fault and fault-loop, run on
 * the events of the fault's page that the ledger has published so far
 * (ledger_published()), and only verdicts about that fault are kept.  Both
 * rules hold on a partial record because what could excuse a fault is
 * never missing from it: a touch and a removal of ours are recorded as
 * they begin (ledger_open()), so one that began before the fault was read
 * is there; a fault, a resolution and a fill that are not there yet only
 * hide evidence, and give no verdict.  A slot still being written when
 * the fault is judged could be a removal: the verdict waits for it (at
 * most a millisecond) or is not given.
 *
 * The index of the ledger's slots by page grows with each call; one
 * struct oracle_live per ledger generation (ledger_reset()).
 */
struct oracle_live;

struct oracle_live *oracle_live_create(const struct ledger *l, const struct oracle_opts *o);
void oracle_live_destroy(struct oracle_live *lv);

/* An online verdict: the violation, with copies of its evidence. */
struct online_verdict {
	struct violation v;	/* v.ev[] index evidence[] */
	struct ev evidence[ORACLE_MAX_EVIDENCE];
};

/*
 * Judge the fault f just recorded (EV_FAULT): returns its violation kind,
 * V_SPURIOUS_FAULT or V_FAULT_LOOP, with the evidence in out, or V_NR when
 * the ledger proves nothing (yet).
 */
enum violation_kind oracle_live_fault(struct oracle_live *lv, const struct ev *f,
				      struct online_verdict *out);

/*
 * "VIOLATION spurious-fault: page 3 (file offset 0x3000), map 1: <why>;
 * because: <event>; because: <event>", one line.
 */
void online_verdict_format(const struct online_verdict *ov, const struct oracle_opts *o,
			   char *buf, size_t len);

#endif
