/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Window widening for the race stress: knobs that make the kernel's
 * collapse, or what races it, take longer, so that a registration lands
 * inside the window more often.  Each knob is one entry of widen_knobs[]:
 * its name, what its level counts, its default and largest level, and its
 * setup and teardown.  Adding a knob is one enum value, one entry and its
 * two functions.
 *
 *   maps      extra MAP_SHARED mappings of the range's PMD of the file: the
 *             walk over the file's mappings (i_mmap) under its lock during
 *             a collapse (retract_page_tables(), and the userfaultfd check
 *             of fixed kernels) gets longer
 *   vmas      VMAs in the registering mm: an anonymous region split by
 *             alternate mprotect() (a registrar process inherits them)
 *   pmds      extra PMDs at the end of the file (every 8th page data when
 *             the file system has room, sparse otherwise): a bigger page
 *             cache tree
 *   faulter   threads that fault the round's data pages through another
 *             mapping (MADV_DONTNEED, then read again) while a round runs,
 *             holding off while a collapse attempt scans the range
 *   hogs      spinning threads per CPU other than the collapser's, at nice
 *             HOG_NICE (the actors' nice, if higher), only while a round
 *             runs
 *   pressure  a share (percent) of MemAvailable, at most 1 GiB, touched,
 *             every other 64 KiB given back (fragmented free memory) and
 *             the rest mlocked:
 *             huge page allocation has to compact; never past a floor of
 *             MemAvailable, and given back at the end of a round that finds
 *             MemAvailable below it
 *
 * Invariants:
 *  - Every knob is off (level 0) unless asked for.  A knob that cannot be
 *    set up here (no room, no file size, one CPU) stays off and says why;
 *    that is not a failure of the test.
 *  - Nothing a knob does changes what the oracle judges: no knob writes
 *    the range's pages, fills a hole or registers.  The faulter reads only
 *    pages that were data when the round began (data[], written by the
 *    main thread between rounds) and stops before the next punch:
 *    widen_round_end() returns only once no faulter is inside a pass.
 *  - Threads (faulter, hogs) run only between widen_round_begin() and
 *    widen_round_end(), and end at widen_destroy() or at the deadline,
 *    whichever is first; every wait here is bounded.
 *  - Functions return 0 or -errno and never exit; widen_destroy() undoes
 *    every setup (mappings unmapped, the file's size restored, memory
 *    given back, threads joined).
 */
#ifndef UFFDC_STRESS_WIDEN_H
#define UFFDC_STRESS_WIDEN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shmem_backing.h"

enum widen_knob { WK_MAPS, WK_VMAS, WK_PMDS, WK_FAULTER, WK_HOGS, WK_PRESSURE, WK_NR };

/* Levels of every knob; 0: off. */
struct widen_levels {
	uint32_t level[WK_NR];
};

/* --hunt raises the levels in this many steps, the first with none. */
#define WIDEN_HUNT_STEPS	5
#define WIDEN_MAX_THREADS	8
/* A hog's nice: it takes a share of a CPU from the actors, not all of it. */
#define HOG_NICE		5

struct widen;

struct widen_knob_def {
	const char *name;
	const char *unit;	/* what a level counts, for --help */
	uint32_t dflt;		/* --widen NAME alone */
	uint32_t max;
	bool hunt;		/* in --hunt's knobs when --widen names none */
	/* 0, or -errno with the knob left off and *why set. */
	int (*setup)(struct widen *w, uint32_t level, char *why, size_t len);
	void (*teardown)(struct widen *w);
};

extern const struct widen_knob_def widen_knobs[WK_NR];

/* What the knobs act on: the test's backing and its round. */
struct widen_env {
	struct backing *b;
	uint32_t hp;		/* pages in the range (one PMD) */
	size_t ps;
	const uint8_t *data;	/* per page: data when the round began */
	int nice;		/* the actors' nice */
	int collapser_cpu;	/* hogs and faulters keep off it */
	/*
	 * __atomic, the collapser's: when its attempt under way began (0:
	 * none) and how long one that stopped at the scan of the range takes.
	 * A faulter holds off while an attempt scans, as the probers do: a
	 * page it is faulting makes the scan stop (EAGAIN), before the window.
	 */
	const int64_t *attempt_ns;
	const long *scan_ns;
	/* mono_ns(): threads end by then; read when they look, not before */
	const int64_t *deadline_ns;
};

struct widen {
	struct widen_env env;
	struct widen_levels on;	/* what is set up now */
	int err[WK_NR];		/* why a knob asked for is off: -errno, 0 */
	char why[WK_NR][128];
	/* maps */
	void **maps;
	uint32_t nmaps;
	/* vmas */
	char *vma_region;
	size_t vma_len;
	/* pmds: the file's size before it grew */
	long long file_size0;
	/* faulter */
	char *fault_map;
	pthread_t faulter[WIDEN_MAX_THREADS];
	uint32_t nfaulters;
	/* hogs */
	pthread_t hog[WIDEN_MAX_THREADS];
	uint32_t nhogs;
	/* pressure */
	char *hold;
	size_t hold_len;
	long long floor_kb;	/* MemAvailable kept free, at least */
	/*
	 * __atomic: a round runs (threads work); threads must end; faulters
	 * inside a pass over the range (widen_round_end() waits for none).
	 */
	int active;
	int quit_faulters, quit_hogs;
	int busy;
	bool stuck;		/* a thread did not stop: w is never freed */
	uint64_t fault_reads;	/* __atomic: pages the faulters read */
	/* --hunt */
	bool hunt;
	struct widen_levels top;	/* the last step's levels */
	int64_t hunt_start_ns, hunt_step_ns;
	int step;			/* -1: none applied yet */
};

/*
 * Parse "KNOB[=LEVEL],..." (or "all": every knob at its default) into lv,
 * which it adds to.  0, or -EINVAL with one line in err.
 */
int widen_parse(const char *arg, struct widen_levels *lv, char *err, size_t len);

/* "maps=1000 hogs=1", or "none". */
void widen_format(const struct widen_levels *lv, char *buf, size_t len);

/* --hunt's knobs when --widen names none: each at its default. */
void widen_hunt_default(struct widen_levels *lv);

/* Any knob on in lv. */
bool widen_any(const struct widen_levels *lv);

/* The levels of hunt step 'step' (0 to WIDEN_HUNT_STEPS - 1) below top. */
void widen_hunt_levels(const struct widen_levels *top, int step, struct widen_levels *out);

/* A widening with nothing set up yet; NULL on ENOMEM. */
struct widen *widen_create(const struct widen_env *env);

/*
 * Set the knobs to lv: each knob whose level changes is torn down and set
 * up again at its new level.  Only between rounds.  Returns how many knobs
 * asked for could not be set up (their err[] and why[] say why), or
 * -errno when the widening itself cannot go on.
 */
int widen_apply(struct widen *w, const struct widen_levels *lv);

/*
 * --hunt: from now on, over duration_s, widen_next_round() raises the
 * levels step by step up to top.
 */
void widen_hunt_start(struct widen *w, const struct widen_levels *top, double duration_s);

/*
 * Before a round is set up: a hunt takes its next step when it is time.
 * Returns the step taken (>= 0), -1 when the levels did not change.
 */
int widen_next_round(struct widen *w);

/* A round begins (data[] is this round's): threads start working. */
void widen_round_begin(struct widen *w);

/*
 * The round ended: threads stop, and no faulter reads a page after this
 * returns 0.  -ETIMEDOUT when a faulter did not stop within a second.
 * Gives back the pressure knob's memory if MemAvailable fell below its
 * floor (err[WK_PRESSURE] then says so).
 */
int widen_round_end(struct widen *w);

/* Tear every knob down, join the threads (bounded), free w.  NULL is fine. */
void widen_destroy(struct widen *w);

/* "maps=1000: Cannot allocate memory (...); " for each knob left off. */
void widen_why_off(const struct widen *w, char *buf, size_t len);

/* MemAvailable in kB, or -errno. */
long long widen_mem_available_kb(void);

#endif
