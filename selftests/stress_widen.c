// SPDX-License-Identifier: GPL-2.0
/*
 * Window widening for the race stress (stress_widen.h): the knobs, their
 * table, the round hooks and --hunt's escalation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "shmem_backing.h"
#include "stress_widen.h"
#include "util.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT	0x01
#endif

/* The pressure knob never leaves less MemAvailable than this. */
#define PRESSURE_FLOOR_MIN_KB	(256LL << 10)
/* A knob's new VMAs stay under this share of vm.max_map_count. */
#define MAP_COUNT_SHARE		4
#define PMD_DATA_EVERY		8	/* pmds: one data page in this many */
/* pressure: at most this much (its setup's time is bounded too) */
#define PRESSURE_MAX_KB		(1LL << 20)
/* pressure: given back in every other chunk of this size */
#define PRESSURE_CHUNK		(64 << 10)
/* pressure: populated this much at a time, MemAvailable checked between */
#define PRESSURE_STEP		(64 << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

static void off_because(char *why, size_t len, const char *fmt, const char *what)
{
	snprintf(why, len, fmt, what);
}

static long long max_map_count(void)
{
	long long v = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = 65530;
		fclose(f);
	}
	return v;
}

long long widen_mem_available_kb(void)
{
	char line[128];
	long long kb = -ENOENT;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long long mem_total_kb(void)
{
	char line[128];
	long long kb = -ENOENT;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* maps: the range's PMD mapped again, level times (not into a fork). */
static void maps_teardown(struct widen *w)
{
	uint32_t i;

	for (i = 0; i < w->nmaps; i++)
		backing_unmap(w->env.b, w->maps[i], w->env.hp * w->env.ps);
	free(w->maps);
	w->maps = NULL;
	w->nmaps = 0;
}

static int maps_setup(struct widen *w, uint32_t level, char *why, size_t len)
{
	size_t pmd = w->env.hp * w->env.ps;
	int err;

	if (!backing_is_file(w->env.b)) {
		off_because(why, len, "%s", "the backing has no file to map again");
		return -EOPNOTSUPP;
	}
	if (level > max_map_count() / MAP_COUNT_SHARE) {
		off_because(why, len, "%s", "more than a quarter of vm.max_map_count");
		return -E2BIG;
	}
	w->maps = calloc(level, sizeof(*w->maps));
	if (!w->maps)
		return -ENOMEM;
	for (w->nmaps = 0; w->nmaps < level; w->nmaps++) {
		w->maps[w->nmaps] = backing_map(w->env.b, 0, pmd);
		if (!w->maps[w->nmaps] ||
		    madvise(w->maps[w->nmaps], pmd, MADV_DONTFORK)) {
			err = errno ? -errno : -ENOMEM;
			if (w->maps[w->nmaps])
				w->nmaps++;
			maps_teardown(w);
			off_because(why, len, "mmap: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/* vmas: an anonymous region of level pages, every other one read-only. */
static void vmas_teardown(struct widen *w)
{
	if (w->vma_region)
		munmap(w->vma_region, w->vma_len);
	w->vma_region = NULL;
	w->vma_len = 0;
}

static int vmas_setup(struct widen *w, uint32_t level, char *why, size_t len)
{
	size_t ps = w->env.ps;
	uint32_t i;
	int err;

	if (level > max_map_count() / MAP_COUNT_SHARE) {
		off_because(why, len, "%s", "more than a quarter of vm.max_map_count");
		return -E2BIG;
	}
	w->vma_len = (size_t)level * ps;
	w->vma_region = mmap(NULL, w->vma_len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w->vma_region == MAP_FAILED) {
		err = -errno;
		w->vma_region = NULL;
		off_because(why, len, "mmap: %s", strerror(-err));
		return err;
	}
	for (i = 1; i < level; i += 2) {
		if (mprotect(w->vma_region + (size_t)i * ps, ps, PROT_READ)) {
			err = -errno;
			vmas_teardown(w);
			off_because(why, len, "mprotect: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/* pmds: the file grows by level PMDs, some of their pages data. */
static void pmds_teardown(struct widen *w)
{
	if (w->file_size0 >= 0)
		(void)!ftruncate(w->env.b->fd, w->file_size0);
	w->file_size0 = -1;
}

static int pmds_setup(struct widen *w, uint32_t level, char *why, size_t len)
{
	size_t pmd = w->env.hp * w->env.ps, ps = w->env.ps;
	long long need = (long long)level * pmd / PMD_DATA_EVERY;
	char *page;
	struct statfs sf;
	struct stat st;
	size_t off;
	int err;

	if (!backing_is_file(w->env.b) || fstat(w->env.b->fd, &st) ||
	    st.st_size != (off_t)w->env.b->size) {
		off_because(why, len, "%s", "the backing's file cannot grow");
		return -EOPNOTSUPP;
	}
	w->file_size0 = st.st_size;
	if (ftruncate(w->env.b->fd, st.st_size + (off_t)level * pmd)) {
		err = -errno;
		w->file_size0 = -1;
		off_because(why, len, "ftruncate: %s", strerror(-err));
		return err;
	}
	/*
	 * Data only with room to spare (no f_blocks: no limit, the memfd
	 * mount): a collapse needs a PMD of its own.
	 */
	if (fstatfs(w->env.b->fd, &sf) ||
	    (sf.f_blocks && (long long)sf.f_bavail * sf.f_bsize < need + 8LL * pmd))
		return 0;
	page = malloc(ps);
	if (!page)
		return 0;
	memset(page, 0x5a, ps);
	for (off = st.st_size + ps; off < (size_t)st.st_size + (size_t)level * pmd;
	     off += PMD_DATA_EVERY * ps)
		if (pwrite(w->env.b->fd, page, ps, off) != (ssize_t)ps)
			break;
	free(page);
	return 0;
}

static void name_thread(const char *name)
{
	(void)!pthread_setname_np(pthread_self(), name);
}

/* What a knob's thread is started with: freed by the thread. */
struct thread_arg {
	struct widen *w;
	uint32_t idx;
	int *quit;		/* its kind's: the teardown sets it */
};

/* Start thread n of a kind; 0 or -errno. */
static int start_thread(struct widen *w, pthread_t *t, uint32_t idx, int *quit,
			void *(*fn)(void *))
{
	struct thread_arg *ta = malloc(sizeof(*ta));
	int err;

	if (!ta)
		return -ENOMEM;
	*ta = (struct thread_arg){ .w = w, .idx = idx, .quit = quit };
	err = pthread_create(t, NULL, fn, ta);
	if (err)
		free(ta);
	return -err;
}

/* Keep off the collapser's CPU: the 'i'th of the others. */
static void pin_other(struct widen *w, uint32_t i, int nice)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	long cpu;

	setpriority(PRIO_PROCESS, syscall(SYS_gettid), nice);
	if (ncpu < 2)
		return;
	cpu = (w->env.collapser_cpu + 1 + i % (ncpu - 1)) % ncpu;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static bool quitting(struct widen *w, int *quit)
{
	return __atomic_load_n(quit, __ATOMIC_SEQ_CST) || mono_ns() > *w->env.deadline_ns;
}

static void idle_ms(void)
{
	struct timespec ms = { .tv_nsec = 1000000 };

	nanosleep(&ms, NULL);
}

/*
 * Stop and join the threads of one kind, each within a second.  One that
 * does not stop (it cannot: every loop looks at quit) keeps w alive: it
 * is never freed (stuck).
 */
static void join_threads(struct widen *w, pthread_t *t, uint32_t *n, int *quit)
{
	struct timespec ts;
	uint32_t i;

	__atomic_store_n(quit, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < *n; i++) {
		ts = ns_to_timespec(mono_ns() + NSEC_PER_SEC);
		if (pthread_clockjoin_np(t[i], NULL, CLOCK_MONOTONIC, &ts)) {
			pthread_detach(t[i]);	/* it ends at the deadline */
			w->stuck = true;
		}
	}
	*n = 0;
	if (!w->stuck)
		__atomic_store_n(quit, 0, __ATOMIC_SEQ_CST);
}

/* As the probers' hold_off() (stress_actors.c): not while an attempt scans. */
static void hold_off(struct widen *w)
{
	int64_t began;
	long scan;

	if (!w->env.attempt_ns || !w->env.scan_ns)
		return;
	began = __atomic_load_n(w->env.attempt_ns, __ATOMIC_ACQUIRE);
	scan = __atomic_load_n(w->env.scan_ns, __ATOMIC_RELAXED);

	while (began && mono_ns() - began < scan &&
	       __atomic_load_n(w->env.attempt_ns, __ATOMIC_ACQUIRE) == began &&
	       __atomic_load_n(&w->active, __ATOMIC_RELAXED))
		;
}

/*
 * faulter: in a round, read each page that was data when it began through
 * a mapping of its own, then zap that mapping, so that the next pass
 * faults every page again.  busy is raised before active is read, and
 * widen_round_end() clears active before it reads busy (both SEQ_CST):
 * a pass that started after the round ended sees active clear.
 */
static void *faulter(void *arg)
{
	struct thread_arg *ta = arg;
	struct widen *w = ta->w;
	uint32_t idx = ta->idx;
	int *quit = ta->quit;
	size_t ps = w->env.ps, pmd = w->env.hp * ps;
	uint64_t reads;
	uint32_t p;

	free(ta);
	name_thread("widen-faulter");
	pin_other(w, idx, w->env.nice);
	while (!quitting(w, quit)) {
		__atomic_fetch_add(&w->busy, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&w->active, __ATOMIC_SEQ_CST)) {
			__atomic_fetch_sub(&w->busy, 1, __ATOMIC_SEQ_CST);
			idle_ms();
			continue;
		}
		reads = 0;
		for (p = 0; p < w->env.hp; p++) {
			if (!__atomic_load_n(&w->active, __ATOMIC_SEQ_CST))
				break;
			if (!w->env.data[p])
				continue;
			hold_off(w);
			(void)*(volatile char *)(w->fault_map + (size_t)p * ps);
			reads++;
		}
		madvise(w->fault_map, pmd, MADV_DONTNEED);
		__atomic_fetch_add(&w->fault_reads, reads, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&w->busy, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void faulter_teardown(struct widen *w)
{
	join_threads(w, w->faulter, &w->nfaulters, &w->quit_faulters);
	if (w->fault_map)
		backing_unmap(w->env.b, w->fault_map, w->env.hp * w->env.ps);
	w->fault_map = NULL;
}

static int faulter_setup(struct widen *w, uint32_t level, char *why, size_t len)
{
	int err;

	if (!backing_is_file(w->env.b)) {
		off_because(why, len, "%s", "the backing has no file to map again");
		return -EOPNOTSUPP;
	}
	w->fault_map = backing_map(w->env.b, 0, w->env.hp * w->env.ps);
	if (!w->fault_map)
		return -ENOMEM;
	madvise(w->fault_map, w->env.hp * w->env.ps, MADV_DONTFORK);
	while (w->nfaulters < level) {
		err = start_thread(w, &w->faulter[w->nfaulters], w->nfaulters,
				   &w->quit_faulters, faulter);
		if (err) {
			faulter_teardown(w);
			off_because(why, len, "pthread_create: %s", strerror(-err));
			return err;
		}
		w->nfaulters++;
	}
	return 0;
}

/* hogs: spin while a round runs, on the CPUs other than the collapser's. */
static void *hog(void *arg)
{
	struct thread_arg *ta = arg;
	struct widen *w = ta->w;
	uint32_t idx = ta->idx, n;
	int *quit = ta->quit;
	int nice = w->env.nice > HOG_NICE ? w->env.nice : HOG_NICE;

	free(ta);
	name_thread("widen-hog");
	pin_other(w, idx, nice);
	while (!quitting(w, quit)) {
		if (!__atomic_load_n(&w->active, __ATOMIC_RELAXED)) {
			idle_ms();
			continue;
		}
		for (n = 0; n < 100000 && __atomic_load_n(&w->active, __ATOMIC_RELAXED); n++)
			__asm__ __volatile__("" ::: "memory");
	}
	return NULL;
}

static void hogs_teardown(struct widen *w)
{
	join_threads(w, w->hog, &w->nhogs, &w->quit_hogs);
}

static int hogs_setup(struct widen *w, uint32_t level, char *why, size_t len)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t n = level * (ncpu > 1 ? ncpu - 1 : 0);
	int err;

	if (ncpu < 2) {
		off_because(why, len, "%s", "one CPU: no other CPU to load");
		return -EOPNOTSUPP;
	}
	if (n > WIDEN_MAX_THREADS)
		n = WIDEN_MAX_THREADS;
	while (w->nhogs < n) {
		err = start_thread(w, &w->hog[w->nhogs], w->nhogs, &w->quit_hogs, hog);
		if (err) {
			hogs_teardown(w);
			off_because(why, len, "pthread_create: %s", strerror(-err));
			return err;
		}
		w->nhogs++;
	}
	return 0;
}

/*
 * pressure: level percent of MemAvailable, at most PRESSURE_MAX_KB, never
 * below the floor (256 MiB, or an eighth of MemTotal if more), touched,
 * every other chunk given back (no free PMD-sized block among them) and
 * the rest locked where it is.
 */
static void pressure_teardown(struct widen *w)
{
	if (w->hold)
		munmap(w->hold, w->hold_len);
	w->hold = NULL;
	w->hold_len = 0;
}

static int pressure_setup(struct widen *w, uint32_t level, char *why, size_t len)
{
	long long avail = widen_mem_available_kb(), total = mem_total_kb();
	long long want_kb, room_kb;
	size_t ps = w->env.ps, off, p, chunk;
	int err;

	if (avail < 0 || total < 0) {
		off_because(why, len, "%s", "/proc/meminfo has no MemAvailable");
		return avail < 0 ? (int)avail : (int)total;
	}
	w->floor_kb = total / 8 > PRESSURE_FLOOR_MIN_KB ? total / 8 : PRESSURE_FLOOR_MIN_KB;
	want_kb = avail * level / 100;
	room_kb = avail - w->floor_kb;
	if (want_kb > room_kb)
		want_kb = room_kb;
	if (want_kb > PRESSURE_MAX_KB)
		want_kb = PRESSURE_MAX_KB;
	if (want_kb < 16LL << 10) {
		snprintf(why, len, "MemAvailable %lld MiB: no room above the floor of %lld MiB",
			 avail >> 10, w->floor_kb >> 10);
		return -ENOMEM;
	}
	w->hold_len = (size_t)want_kb << 10;
	w->hold = mmap(NULL, w->hold_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w->hold == MAP_FAILED) {
		err = -errno;
		w->hold = NULL;
		off_because(why, len, "mmap: %s", strerror(-err));
		return err;
	}
	madvise(w->hold, w->hold_len, MADV_NOHUGEPAGE);
	madvise(w->hold, w->hold_len, MADV_DONTFORK);
	/* 64 MiB at a time, stopping as soon as memory runs short. */
	for (off = 0; off < w->hold_len; off += chunk) {
		chunk = w->hold_len - off < PRESSURE_STEP ? w->hold_len - off : PRESSURE_STEP;
		if (off && widen_mem_available_kb() < w->floor_kb)
			break;
		if (!madvise(w->hold + off, chunk, MADV_POPULATE_WRITE))
			continue;
		for (p = 0; p < chunk; p += ps)
			w->hold[off + p] = 1;
	}
	for (off = PRESSURE_CHUNK; off + PRESSURE_CHUNK <= w->hold_len; off += 2 * PRESSURE_CHUNK)
		madvise(w->hold + off, PRESSURE_CHUNK, MADV_DONTNEED);
	if (syscall(SYS_mlock2, w->hold, w->hold_len, MLOCK_ONFAULT)) {
		err = -errno;
		pressure_teardown(w);
		off_because(why, len, "mlock2: %s", strerror(-err));
		return err;
	}
	return 0;
}

/*
 * --hunt's default set is the knobs that lengthen the kernel's own work
 * (maps, pmds, pressure), measured on 6.1.192 in QEMU and on 6.18
 * (scripts/bench, README): the faulter's faults keep the data pages
 * referenced and off the LRU, so attempts stop at the scan (EAGAIN; on
 * 6.18 the share past the scan fell from 99% to 53%, rounds/s from 19 to
 * 7); hogs slow the registrar, not the collapse (rounds/s 24 to 14, and
 * 6.1's first violation came a round later); vmas makes a registrar
 * process's fork copy every VMA each round (rounds/s 19 to 15).
 */
const struct widen_knob_def widen_knobs[WK_NR] = {
	[WK_MAPS] = { "maps", "extra mappings of the file's PMD", 1000, 8192, true,
		      maps_setup, maps_teardown },
	[WK_VMAS] = { "vmas", "VMAs in the registering mm", 1000, 16384, false,
		      vmas_setup, vmas_teardown },
	[WK_PMDS] = { "pmds", "extra PMDs of the file", 16, 128, true,
		      pmds_setup, pmds_teardown },
	[WK_FAULTER] = { "faulter", "threads faulting data pages", 1, 4, false,
			 faulter_setup, faulter_teardown },
	[WK_HOGS] = { "hogs", "spinning threads per other CPU", 1, 4, false,
		      hogs_setup, hogs_teardown },
	[WK_PRESSURE] = { "pressure", "percent of MemAvailable held", 25, 50, true,
			  pressure_setup, pressure_teardown },
};

int widen_parse(const char *arg, struct widen_levels *lv, char *err, size_t len)
{
	char buf[256], *tok, *save = NULL, *eq;
	const struct widen_knob_def *k;
	uint64_t v;
	int i;

	if (!arg || !*arg || strlen(arg) >= sizeof(buf)) {
		snprintf(err, len, "is empty or too long: a list of KNOB[=LEVEL]");
		return -EINVAL;
	}
	if (arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
		snprintf(err, len, "has an empty item: a list of KNOB[=LEVEL]");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq)
			*eq++ = '\0';
		if (!strcmp(tok, "all") && !eq) {
			for (i = 0; i < WK_NR; i++)
				lv->level[i] = widen_knobs[i].dflt;
			continue;
		}
		for (i = 0; i < WK_NR && strcmp(tok, widen_knobs[i].name); i++)
			;
		if (i == WK_NR) {
			snprintf(err, len, "has an unknown knob '%.40s' (see --help)", tok);
			return -EINVAL;
		}
		k = &widen_knobs[i];
		v = k->dflt;
		if (eq && parse_u64(eq, 0, k->max, &v)) {
			snprintf(err, len, "sets %s to '%.40s', not a whole number from 0 to %u",
				 k->name, eq, k->max);
			return -EINVAL;
		}
		lv->level[i] = v;
	}
	return 0;
}

void widen_format(const struct widen_levels *lv, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < WK_NR && n < len; i++)
		if (lv->level[i])
			n += snprintf(buf + n, len - n, "%s%s=%u", n ? " " : "",
				      widen_knobs[i].name, lv->level[i]);
	if (!n)
		snprintf(buf, len, "none");
}

void widen_hunt_default(struct widen_levels *lv)
{
	int i;

	for (i = 0; i < WK_NR; i++)
		lv->level[i] = widen_knobs[i].hunt ? widen_knobs[i].dflt : 0;
}

bool widen_any(const struct widen_levels *lv)
{
	int i;

	for (i = 0; i < WK_NR; i++)
		if (lv->level[i])
			return true;
	return false;
}

void widen_hunt_levels(const struct widen_levels *top, int step, struct widen_levels *out)
{
	int i;

	if (step < 0)
		step = 0;
	if (step > WIDEN_HUNT_STEPS - 1)
		step = WIDEN_HUNT_STEPS - 1;
	for (i = 0; i < WK_NR; i++)
		/* rounded up: every knob asked for is on from step 1 */
		out->level[i] = ((uint64_t)top->level[i] * step + WIDEN_HUNT_STEPS - 2) /
				(WIDEN_HUNT_STEPS - 1);
}

struct widen *widen_create(const struct widen_env *env)
{
	struct widen *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->env = *env;
	w->file_size0 = -1;
	w->step = -1;
	return w;
}

int widen_apply(struct widen *w, const struct widen_levels *lv)
{
	int i, ret, off = 0;

	for (i = 0; i < WK_NR; i++) {
		if (lv->level[i] == w->on.level[i] && !w->err[i])
			continue;
		if (w->on.level[i])
			widen_knobs[i].teardown(w);
		w->on.level[i] = 0;
		w->err[i] = 0;
		w->why[i][0] = '\0';
		if (!lv->level[i])
			continue;
		ret = widen_knobs[i].setup(w, lv->level[i], w->why[i], sizeof(w->why[i]));
		if (ret) {
			w->err[i] = ret;
			if (!w->why[i][0])
				snprintf(w->why[i], sizeof(w->why[i]), "%s", strerror(-ret));
			off++;
			continue;
		}
		w->on.level[i] = lv->level[i];
	}
	return off;
}

void widen_hunt_start(struct widen *w, const struct widen_levels *top, double duration_s)
{
	w->hunt = true;
	w->top = *top;
	w->hunt_start_ns = mono_ns();
	w->hunt_step_ns = (int64_t)(duration_s * NSEC_PER_SEC) / WIDEN_HUNT_STEPS;
	if (w->hunt_step_ns < 1)
		w->hunt_step_ns = 1;
	w->step = -1;
}

int widen_next_round(struct widen *w)
{
	struct widen_levels lv;
	int step;

	if (!w->hunt)
		return -1;
	step = (mono_ns() - w->hunt_start_ns) / w->hunt_step_ns;
	if (step > WIDEN_HUNT_STEPS - 1)
		step = WIDEN_HUNT_STEPS - 1;
	if (step <= w->step)
		return -1;
	w->step = step;
	widen_hunt_levels(&w->top, step, &lv);
	widen_apply(w, &lv);
	return step;
}

void widen_round_begin(struct widen *w)
{
	__atomic_store_n(&w->active, 1, __ATOMIC_SEQ_CST);
}

int widen_round_end(struct widen *w)
{
	int64_t until = mono_ns() + NSEC_PER_SEC;

	__atomic_store_n(&w->active, 0, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&w->busy, __ATOMIC_SEQ_CST)) {
		if (mono_ns() > until)
			return -ETIMEDOUT;
		sched_yield();
	}
	if (w->hold && widen_mem_available_kb() < w->floor_kb) {
		pressure_teardown(w);
		w->on.level[WK_PRESSURE] = 0;
		w->err[WK_PRESSURE] = -ENOMEM;
		snprintf(w->why[WK_PRESSURE], sizeof(w->why[WK_PRESSURE]),
			 "given back: MemAvailable fell below %lld MiB", w->floor_kb >> 10);
	}
	return 0;
}

void widen_why_off(const struct widen *w, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < WK_NR && n < len; i++)
		if (w->err[i])
			n += snprintf(buf + n, len - n, "%s%s: %s", n ? "; " : "",
				      widen_knobs[i].name, w->why[i]);
}

void widen_destroy(struct widen *w)
{
	int i;

	if (!w)
		return;
	__atomic_store_n(&w->active, 0, __ATOMIC_SEQ_CST);
	for (i = WK_NR - 1; i >= 0; i--)
		if (w->on.level[i])
			widen_knobs[i].teardown(w);
	/* A thread that would not stop may still read it: kept. */
	if (!w->stuck)
		free(w);
}
