// SPDX-License-Identifier: GPL-2.0
/*
 * seek-hole-flicker: SEEK_HOLE / SEEK_DATA on a shmem file report a page
 * that holds data as a hole while MADV_COLLAPSE joins the small folios of
 * its PMD range into one huge folio.
 *
 * Layout: a file of --pmds PMD-sized ranges.  In each range the pages of
 * --punch FIRST:COUNT are a hole; every other page is written once with a
 * known pattern and never touched again (the "data pages").  One thread,
 * pinned to its own CPU, loops MADV_COLLAPSE of each range followed by a
 * FALLOC_FL_PUNCH_HOLE of the punch pages (which splits the new huge folio
 * and recreates the hole, so that the next collapse has work to do).
 * Another thread, pinned to the other CPU, walks the file as sparse-aware
 * copiers do:
 *
 *   hole-start   SEEK_HOLE from offset 0
 *   hole-inside  SEEK_HOLE from a random page inside a data run
 *   data-before  SEEK_DATA from a random hole page before a data run
 *                (offset 0 when the layout has no hole before data)
 *   full         SEEK_DATA / SEEK_HOLE pairs from 0 to EOF (cp --sparse)
 *
 * A SEEK_HOLE that returns the offset of a data page, or a SEEK_DATA that
 * returns past a data page (or ENXIO before one), is a finding: it is
 * printed with the walk, the offsets, an immediate re-check (SEEK_DATA /
 * SEEK_HOLE from the reported page, the same call again, pread of the page
 * against its pattern) and the signature it matches.  Pages of the punch
 * area are never judged: a collapse may legitimately fill them with zeros.
 *
 * Exit: 0 nothing seen within --duration, 1 a data page reported as a hole
 * (or a data page read back wrong), 2 bad usage, 3 error (a system call
 * failed, a thread stuck past the deadline), 4 SKIP (no THP / shmem huge
 * pages, not root, no collapse ever succeeded).
 *
 * Build: cc -static -O2 -pthread -o seek-hole-flicker seek-hole-flicker.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __noreturn	__attribute__((noreturn))

#define EXIT_NONE	0
#define EXIT_FOUND	1
#define EXIT_USAGE	2
#define EXIT_ERROR	3
#define EXIT_SKIP	4

#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define LOCK_DIR	"/run/uffd-collapse-suite"
#define LOCK_FILE	LOCK_DIR "/thp.lock"
#define STATE_FILE	LOCK_DIR "/thp.state"
#define DEBUGFS		"/sys/kernel/debug"
#define SPLIT_FILE	DEBUGFS "/split_huge_pages"

/* XA_CHUNK_SIZE: the fan-out of an xarray node (16 with CONFIG_BASE_SMALL). */
#define XA_LEAF_PAGES	64

#define MAX_PMDS	64
#define MAX_WALKERS	8
#define MAX_KNOBS	4
#define KNOB_PATH	128
#define KNOB_VAL	32
#define JOIN_WAIT_S	20
#define WATCHDOG_S	60

enum walk_kind { W_HOLE_START, W_HOLE_INSIDE, W_DATA_BEFORE, W_FULL, W_NR };

static const char *const walk_name[W_NR] = {
	"hole-start", "hole-inside", "data-before", "full",
};

enum backing { B_MEMFD, B_TMPFS };

static struct {
	unsigned int duration;
	uint64_t seed;
	unsigned int pmds;
	bool punch;
	unsigned int punch_first, punch_count;
	unsigned int inside_first, inside_count;
	unsigned int walk_mask;
	unsigned int mthp_kb;
	enum backing backing;
	bool collapse;
	bool split;
	bool rewrite;
	bool overwrite;
	bool keep_going;
	int cpu_collapse, cpu_walk;
	unsigned int walkers;
	unsigned int lock_wait;
	unsigned int jitter_us;
} opt = {
	.duration = 30,
	.seed = 1,
	.pmds = 1,
	.punch = true,
	.punch_first = 256,
	.punch_count = 256,
	.inside_count = UINT_MAX,
	.walk_mask = (1U << W_NR) - 1,
	.backing = B_MEMFD,
	.collapse = true,
	.cpu_collapse = 0,
	.cpu_walk = 1,
	.walkers = 1,
	.lock_wait = 600,
};

/* The file. */
static int fd = -1;
static char *map;
static long page_size;
static unsigned long pmd_pages;
static unsigned long npages;
static off_t file_size;
static bool *is_data;		/* never punched, written once at setup */
static long *next_data;		/* first data page >= i, or npages */
static unsigned long *data_pages, nr_data_pages;
static unsigned long *hole_before, nr_hole_before;

/* Progress, shared between the threads. */
static atomic_bool stop;
static atomic_ulong coll_started, coll_done, coll_ok, punches, splits;
static atomic_ulong coll_err[4];	/* EAGAIN, ENOMEM, EINVAL, other */
static atomic_ulong walks[W_NR], seeks;
static atomic_ulong findings, leaf_findings, corrupt, discarded;
/* --rewrite: odd while the data pages are punched and written again */
static atomic_ulong epoch;
static atomic_int fatal;		/* first errno of a failed syscall */
static const char *fatal_what;
static struct timespec t0;
static double first_finding_s = -1;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long *offset_hist;	/* findings by page within its PMD */

/* THP knobs we changed: restored at exit and from signal handlers. */
static struct knob {
	char path[KNOB_PATH];
	char old[KNOB_VAL];
} knobs[MAX_KNOBS];
static volatile sig_atomic_t nr_knobs;
static volatile sig_atomic_t restored;
static int lock_fd = -1;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void __noreturn usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("seek-hole-flicker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(EXIT_USAGE);
}

/* ---- THP knobs: save, change, restore (async-signal-safe restore) ---- */

static int write_str(const char *path, const char *val)
{
	ssize_t n, len = strlen(val);
	int f = open(path, O_WRONLY | O_CLOEXEC);

	if (f < 0)
		return -1;
	n = write(f, val, len);
	close(f);
	return n == len ? 0 : -1;
}

static void restore_knobs(void)
{
	int i;

	if (restored)
		return;
	restored = 1;
	for (i = nr_knobs - 1; i >= 0; i--)
		write_str(knobs[i].path, knobs[i].old);
	if (nr_knobs)
		unlink(STATE_FILE);
	nr_knobs = 0;
}

/* The selected word of "a [b] c", or the whole first word. */
static int read_knob(const char *path, char *val, size_t len)
{
	char buf[256], *s, *e;
	ssize_t n;
	int f = open(path, O_RDONLY | O_CLOEXEC);

	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	s = strchr(buf, '[');
	if (s) {
		e = strchr(++s, ']');
	} else {
		s = buf;
		e = s + strcspn(s, " \n");
	}
	if (!e || e == s || (size_t)(e - s) >= len)
		return -1;
	memcpy(val, s, e - s);
	val[e - s] = 0;
	return 0;
}

/*
 * The suite's state file (THP sysfs as it was before a run changed it):
 * one left behind means its writer died (we hold the lock), so put those
 * values back first, exactly as the suite's own programs do.
 */
static void restore_stale_state(void)
{
	char line[512], *val;
	FILE *f = fopen(STATE_FILE, "re");

	if (!f)
		return;
	msg("# restoring THP settings left in %s by a run that died\n",
	    STATE_FILE);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !strncmp(line, "pid ", 4))
			continue;
		val = strchr(line, ' ');
		if (!val)
			continue;
		*val++ = 0;
		if (strncmp(line, THP_DIR "/", sizeof(THP_DIR)) ||
		    strstr(line, "..") || !*val || strpbrk(val, " \t"))
			continue;
		write_str(line, val);
	}
	fclose(f);
	unlink(STATE_FILE);
}

static int write_state(void)
{
	char tmp[] = STATE_FILE ".tmp";
	FILE *f = fopen(tmp, "we");
	int i;

	if (!f)
		return -1;
	fprintf(f, "# uffd-collapse-suite: THP sysfs as it was before pid %d changed it\n"
		"# (seek-hole-flicker; restored by any suite program or scripts/thp-restore)\n"
		"pid %d\n", getpid(), getpid());
	for (i = 0; i < nr_knobs; i++)
		fprintf(f, "%s %s\n", knobs[i].path, knobs[i].old);
	if (fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	return rename(tmp, STATE_FILE);
}

/* Bounded: poll for the suite's THP lock for at most --lock-wait seconds. */
static int take_lock(void)
{
	unsigned long waited_ms = 0;
	char pid[24];

	mkdir("/run", 0755);
	if (mkdir(LOCK_DIR, 0755) && errno != EEXIST)
		return -errno;
	lock_fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		       0644);
	if (lock_fd < 0)
		return -errno;
	while (flock(lock_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (!waited_ms)
			msg("# THP settings are held by another run: waiting up to %u s for %s\n",
			    opt.lock_wait, LOCK_FILE);
		if (waited_ms >= opt.lock_wait * 1000UL)
			return -EBUSY;
		usleep(100000);
		waited_ms += 100;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(lock_fd, 0) || pwrite(lock_fd, pid, strlen(pid), 0) < 0)
		pid[0] = 0;
	return 0;
}

/* Record, then change, one knob; values are written as plain words. */
static int set_knob(const char *path, const char *val)
{
	struct knob *k = &knobs[nr_knobs];

	if (nr_knobs >= MAX_KNOBS)
		return -1;
	if (read_knob(path, k->old, sizeof(k->old)))
		return -1;
	if (!strcmp(k->old, val))
		return 0;
	snprintf(k->path, sizeof(k->path), "%s", path);
	nr_knobs++;
	if (write_state())
		return -1;
	return write_str(path, val);
}

/* For signal handlers: write(2) of a constant message. */
static void say(const char *m, size_t len)
{
	ssize_t n = write(2, m, len);

	(void)n;
}

static void fatal_signal(int sig)
{
	static const char m[] = "seek-hole-flicker: signal: THP settings restored\n";

	restore_knobs();
	say(m, sizeof(m) - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void watchdog(int sig)
{
	static const char m[] =
		"seek-hole-flicker: still running 60 s past the deadline (a thread stuck in the kernel?)\n";

	restore_knobs();
	say(m, sizeof(m) - 1);
	_exit(EXIT_ERROR);
}

static void install_signals(void)
{
	static const int sigs[] = {
		SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGSEGV, SIGBUS,
		SIGABRT, SIGFPE, SIGILL, SIGUSR1, SIGUSR2,
	};
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = fatal_signal;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = watchdog;
	sigaction(SIGALRM, &sa, NULL);
}

/* ---- helpers ---- */

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (ULONG_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static unsigned long need_uint(const char *name, const char *s,
			       unsigned long min, unsigned long max)
{
	unsigned long v;

	if (!s)
		usage_error("%s needs a value", name);
	if (parse_uint(s, min, max, &v))
		usage_error("%s takes a whole number in [%lu, %lu], got '%s'",
			    name, min, max, s);
	return v;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void set_fatal(const char *what, int err)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&fatal, &zero, err))
		fatal_what = what;
	atomic_store(&stop, true);
}

/* The pattern of a data page: its index and the seed, word by word. */
static void fill_page(unsigned long page, uint64_t *buf)
{
	unsigned long i, n = page_size / sizeof(*buf);

	for (i = 0; i < n; i++)
		buf[i] = (opt.seed << 40) ^ ((uint64_t)page << 16) ^ i ^
			 0x5eec401e00000000ULL;
}

static bool page_intact(unsigned long page, uint64_t *buf, uint64_t *want)
{
	if (pread(fd, buf, page_size, (off_t)page * page_size) != page_size)
		return false;
	fill_page(page, want);
	return !memcmp(buf, want, page_size);
}

/* ---- the collapser ---- */

/*
 * Punch all of range r and write its data pages again: order-0 folios in
 * xarray leaves on any kernel, whatever its split does.  The data pages
 * are holes meanwhile, so walks that overlap this are not judged.
 */
static int rewrite_range(unsigned int r, uint64_t *buf)
{
	unsigned long p, first = r * pmd_pages;
	int err = 0;

	atomic_fetch_add(&epoch, 1);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)first * page_size, (off_t)pmd_pages * page_size))
		err = -1;
	for (p = first; !err && p < first + pmd_pages; p++) {
		if (!is_data[p])
			continue;
		fill_page(p, buf);
		if (pwrite(fd, buf, page_size, (off_t)p * page_size) != page_size)
			err = -1;
	}
	atomic_fetch_add(&epoch, 1);
	return err;
}

/* Write range r's data pages again, in place, with the same bytes. */
static int overwrite_range(unsigned int r, uint64_t *buf)
{
	unsigned long p, first = r * pmd_pages;

	for (p = first; p < first + pmd_pages; p++) {
		if (!is_data[p])
			continue;
		fill_page(p, buf);
		if (pwrite(fd, buf, page_size, (off_t)p * page_size) != page_size)
			return -1;
	}
	return 0;
}

/* Split range r's huge folio to order 0 (uniformly), no hole made. */
static int split_range(unsigned int r)
{
	char cmd[96];
	int n, f;

	n = snprintf(cmd, sizeof(cmd), "/proc/%d/fd/%d,%lu,%lu,0", getpid(), fd,
		     r * pmd_pages, (r + 1) * pmd_pages);
	f = open(SPLIT_FILE, O_WRONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	if (write(f, cmd, n) != n) {
		close(f);
		return -1;
	}
	close(f);
	return 0;
}

/*
 * Busy-wait up to --jitter microseconds, so that the collapse does not
 * keep the same phase against the walker round after round.
 */
static void jitter(uint64_t *rng)
{
	struct timespec a, b;
	long ns;

	if (!opt.jitter_us)
		return;
	ns = rng_next(rng) % (opt.jitter_us * 1000UL + 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < ns);
}

static void *collapser(void *arg)
{
	size_t pmd_bytes = pmd_pages * page_size;
	uint64_t *buf = malloc(page_size);
	uint64_t rng = (opt.seed + 7) * 0xD1B54A32D192ED03ULL;
	unsigned int r;
	int err;

	if (!buf) {
		set_fatal("malloc", ENOMEM);
		return NULL;
	}
	pin(opt.cpu_collapse);
	while (!atomic_load(&stop)) {
		for (r = 0; r < opt.pmds && !atomic_load(&stop); r++) {
			jitter(&rng);
			if (opt.collapse) {
				atomic_fetch_add(&coll_started, 1);
				err = madvise(map + r * pmd_bytes, pmd_bytes,
					      MADV_COLLAPSE) ? errno : 0;
				atomic_fetch_add(&coll_done, 1);
				if (!err)
					atomic_fetch_add(&coll_ok, 1);
				else if (err == EAGAIN)
					atomic_fetch_add(&coll_err[0], 1);
				else if (err == ENOMEM)
					atomic_fetch_add(&coll_err[1], 1);
				else if (err == EINVAL)
					atomic_fetch_add(&coll_err[2], 1);
				else
					atomic_fetch_add(&coll_err[3], 1);
			}
			if (opt.split) {
				if (split_range(r)) {
					set_fatal("write " SPLIT_FILE, errno);
					break;
				}
				atomic_fetch_add(&splits, 1);
			}
			if (opt.rewrite) {
				if (rewrite_range(r, buf)) {
					set_fatal("punch and rewrite", errno);
					break;
				}
				atomic_fetch_add(&punches, 1);
				continue;
			}
			if (!opt.punch)
				continue;
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      ((off_t)r * pmd_pages + opt.punch_first) * page_size,
				      (off_t)opt.punch_count * page_size)) {
				set_fatal("fallocate(PUNCH_HOLE)", errno);
				break;
			}
			atomic_fetch_add(&punches, 1);
			if (opt.overwrite && overwrite_range(r, buf)) {
				set_fatal("pwrite", errno);
				break;
			}
		}
		/* Punch only: keep it from spinning on i_rwsem alone. */
		if (!opt.collapse)
			usleep(100);
	}
	free(buf);
	return NULL;
}

/* ---- the walkers ---- */

struct walker {
	int id;
	int cpu;
	uint64_t rng;
	uint64_t *buf, *want;
	/* collapse attempts started and finished when this walk began */
	unsigned long started, done;
	unsigned long epoch;	/* --rewrite epoch when this walk began */
};

/* False when a --rewrite overlapped this walk: its answers are void. */
static bool judged(struct walker *w)
{
	if (atomic_load(&epoch) == w->epoch)
		return true;
	atomic_fetch_add(&discarded, 1);
	return false;
}

static off_t seek(int whence, off_t from)
{
	off_t r = lseek(fd, from, whence);

	atomic_fetch_add(&seeks, 1);
	if (r < 0 && !(whence == SEEK_DATA && errno == ENXIO)) {
		set_fatal(whence == SEEK_DATA ? "lseek(SEEK_DATA)" :
			  "lseek(SEEK_HOLE)", errno);
		return -2;
	}
	return r < 0 ? -1 : r;
}

static const char *off_str(off_t off, char *buf, size_t len)
{
	if (off == -1)
		snprintf(buf, len, "ENXIO");
	else if (off % page_size)
		snprintf(buf, len, "0x%llx (inside page %llu)",
			 (unsigned long long)off,
			 (unsigned long long)(off / page_size));
	else
		snprintf(buf, len, "page %llu (0x%llx)",
			 (unsigned long long)(off / page_size),
			 (unsigned long long)off);
	return buf;
}

/*
 * A finding: SEEK_HOLE(from) = got with page @bad holding data, or
 * SEEK_DATA(from) = got (-1: ENXIO) beyond data page @bad.  Re-check at
 * once, then print.
 */
static void report(struct walker *w, enum walk_kind kind, int whence,
		   off_t from, off_t got, unsigned long bad)
{
	unsigned long from_page = from / page_size, pmd_off = bad % pmd_pages;
	off_t re_same, re_data, re_hole;
	bool intact, leaf, agree_later, overlap;
	char b1[64], b2[64], b3[64], b4[64], b5[64];
	double t;

	/* Evidence first, before anything else can change. */
	re_data = seek(SEEK_DATA, (off_t)bad * page_size);
	re_hole = seek(SEEK_HOLE, (off_t)bad * page_size);
	re_same = seek(whence, from);
	intact = page_intact(bad, w->buf, w->want);
	t = now_s();
	if (!judged(w))
		return;		/* a --rewrite ran under the re-check */
	/* In flight when the walk began, or started since. */
	overlap = w->started != w->done ||
		  atomic_load(&coll_started) != w->started;

	/*
	 * The leaf signature: the walk went past the start of an xarray leaf
	 * (64 pages) inside a PMD range, never at the walk's own start, and
	 * the reported page is data again when asked directly.
	 */
	if (whence == SEEK_HOLE)
		leaf = bad % XA_LEAF_PAGES == 0 && pmd_off != 0 &&
		       bad > from_page;
	else	/* skipped from a leaf boundary past from to the next PMD */
		leaf = (got == -1 || (got / page_size) % pmd_pages == 0) &&
		       bad >= (from_page / XA_LEAF_PAGES + 1) * XA_LEAF_PAGES;
	agree_later = re_data == (off_t)bad * page_size &&
		      re_hole > (off_t)bad * page_size;

	pthread_mutex_lock(&report_lock);
	atomic_fetch_add(&findings, 1);
	if (leaf && agree_later && intact)
		atomic_fetch_add(&leaf_findings, 1);
	if (!intact)
		atomic_fetch_add(&corrupt, 1);
	offset_hist[pmd_off]++;
	if (first_finding_s < 0)
		first_finding_s = t;
	if (atomic_load(&findings) <= 20 || !opt.keep_going) {
		msg("FLICKER: walk %s, %s from %s returned %s, but page %lu (page %lu of PMD range %lu) holds data\n",
		    walk_name[kind], whence == SEEK_HOLE ? "SEEK_HOLE" : "SEEK_DATA",
		    off_str(from, b1, sizeof(b1)), off_str(got, b2, sizeof(b2)),
		    bad, pmd_off, bad / pmd_pages);
		msg("  re-check: SEEK_DATA(page %lu) = %s, SEEK_HOLE(page %lu) = %s, same call again = %s, pread of page %lu: %s\n",
		    bad, off_str(re_data, b3, sizeof(b3)), bad,
		    off_str(re_hole, b4, sizeof(b4)),
		    off_str(re_same, b5, sizeof(b5)), bad,
		    intact ? "its data, intact" : "CONTENT MISMATCH (data loss, not a flicker)");
		msg("  at %.3f s, walker %d; a collapse %s this walk (%lu attempts done, %lu succeeded)\n",
		    t, w->id, overlap ? "overlapped" : "did NOT overlap",
		    atomic_load(&coll_done), atomic_load(&coll_ok));
		msg("  signature: %s\n", !intact ? "none: the data itself is wrong" :
		    leaf && agree_later ? (whence == SEEK_HOLE ?
			"xarray-leaf (page % 64 == 0 inside the PMD range, past the walk start, data again at once)" :
			"xarray-leaf (skipped from a 64-page leaf boundary past the walk start to the next PMD range, data again at once)") :
		    leaf ? "xarray-leaf offset, but the re-check still sees a hole" :
		    "other (not at a 64-page leaf boundary past the walk start: e.g. 6.1's not-uptodate huge folio)");
	}
	pthread_mutex_unlock(&report_lock);
	if (!opt.keep_going || !intact)
		atomic_store(&stop, true);
}

/* Check SEEK_HOLE(from) = got: the page at got must not be a data page. */
static bool check_hole(struct walker *w, enum walk_kind kind, off_t from,
		       off_t got)
{
	unsigned long p;

	if (got < 0)
		return false;
	if (got >= file_size)
		return true;
	p = got / page_size;
	if (is_data[p]) {
		if (judged(w))
			report(w, kind, SEEK_HOLE, from, got, p);
		return false;
	}
	return true;
}

/* Check SEEK_DATA(from) = got (-1: ENXIO): no data page in [from, got). */
static bool check_data(struct walker *w, enum walk_kind kind, off_t from,
		       off_t got)
{
	unsigned long fp = from / page_size;
	long nd;

	if (got == -2)
		return false;
	if (fp >= npages)
		return true;
	nd = next_data[fp];
	if (nd >= (long)npages)
		return true;
	if (got == -1 || got > (off_t)nd * page_size) {
		/* Data page nd, at or after from, was skipped. */
		if (judged(w))
			report(w, kind, SEEK_DATA, from, got, nd);
		return false;
	}
	return true;
}

static bool do_walk(struct walker *w, enum walk_kind kind)
{
	off_t from = 0, got, pos;
	bool ok = true;
	unsigned long i;

	w->done = atomic_load(&coll_done);
	w->started = atomic_load(&coll_started);
	w->epoch = atomic_load(&epoch);
	if (w->epoch & 1)
		return true;
	switch (kind) {
	case W_HOLE_START:
		got = seek(SEEK_HOLE, 0);
		ok = check_hole(w, kind, 0, got);
		break;
	case W_HOLE_INSIDE:
		i = data_pages[rng_next(&w->rng) % nr_data_pages];
		from = (off_t)i * page_size;
		got = seek(SEEK_HOLE, from);
		ok = check_hole(w, kind, from, got);
		break;
	case W_DATA_BEFORE:
		if (nr_hole_before)
			from = (off_t)hole_before[rng_next(&w->rng) %
						  nr_hole_before] * page_size;
		got = seek(SEEK_DATA, from);
		ok = check_data(w, kind, from, got);
		break;
	case W_FULL:
		pos = 0;
		while (ok && pos < file_size && !atomic_load(&stop)) {
			got = seek(SEEK_DATA, pos);
			ok = check_data(w, kind, pos, got);
			if (!ok || got < 0)
				break;
			pos = got;
			got = seek(SEEK_HOLE, pos);
			ok = check_hole(w, kind, pos, got);
			if (!ok || got <= pos)
				break;
			pos = got;
		}
		break;
	default:
		break;
	}
	atomic_fetch_add(&walks[kind], 1);
	return ok;
}

static void *walker_main(void *arg)
{
	struct walker *w = arg;
	unsigned int k = w->id;

	pin(w->cpu);
	while (!atomic_load(&stop)) {
		do
			k = (k + 1) % W_NR;
		while (!(opt.walk_mask & (1U << k)));
		do_walk(w, k);
	}
	return NULL;
}

/* ---- setup ---- */

static int read_ulong(const char *path, unsigned long *v)
{
	char buf[64];
	ssize_t n;
	int f = open(path, O_RDONLY | O_CLOEXEC);

	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return parse_uint(buf, 1, ULONG_MAX, v);
}

static void __noreturn skip(const char *fmt, ...)
{
	va_list ap;

	restore_knobs();
	fputs("1..0 # SKIP seek-hole-flicker: ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	exit(EXIT_SKIP);
}

static void __noreturn die(const char *what)
{
	int err = errno;

	restore_knobs();
	printf("seek-hole-flicker: error: %s: %s\n", what, strerror(err));
	exit(EXIT_ERROR);
}

/* Mounts made from here on are ours alone: nothing to undo at exit. */
static void private_mounts(void)
{
	static bool done;

	if (done)
		return;
	if (unshare(CLONE_NEWNS))
		skip("unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("mount(/, MS_PRIVATE)");
	done = true;
}

static void setup_split(void)
{
	if (!opt.split || !access(SPLIT_FILE, W_OK))
		return;
	private_mounts();
	if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
		skip("--split: cannot mount debugfs: %s", strerror(errno));
	if (access(SPLIT_FILE, W_OK))
		skip("--split: no %s (CONFIG_DEBUG_FS, CONFIG_TRANSPARENT_HUGEPAGE)",
		     SPLIT_FILE);
}

static int open_tmpfs_file(void)
{
	char dir[] = "/tmp/seek-hole-flicker.XXXXXX", opts[64];
	int f;

	private_mounts();
	mkdir("/tmp", 01777);
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(opts, sizeof(opts), "huge=advise,size=%lluk",
		 (unsigned long long)(file_size / 1024 * 2 + 1024));
	if (mount("seek-hole-flicker", dir, "tmpfs", 0, opts)) {
		rmdir(dir);
		skip("tmpfs with %s: %s", opts, strerror(errno));
	}
	if (chdir(dir))
		die("chdir");
	f = open("file", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (f < 0)
		die("open");
	unlink("file");
	if (chdir("/") || umount2(dir, MNT_DETACH) || rmdir(dir))
		msg("# note: could not tidy %s: %s\n", dir, strerror(errno));
	return f;
}

static void setup_file(void)
{
	size_t bytes = (size_t)file_size;
	unsigned long p;
	uint64_t *buf;
	char *raw;

	if (opt.backing == B_MEMFD) {
		fd = memfd_create("seek-hole-flicker", MFD_CLOEXEC);
		if (fd < 0)
			die("memfd_create");
	} else {
		fd = open_tmpfs_file();
	}
	if (ftruncate(fd, file_size))
		die("ftruncate");

	/* A PMD-aligned shared mapping, so that the ranges can collapse. */
	raw = mmap(NULL, bytes + pmd_pages * page_size, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap (reserve)");
	map = (char *)(((uintptr_t)raw + pmd_pages * page_size - 1) &
		       ~(uintptr_t)(pmd_pages * page_size - 1));
	if (mmap(map, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED)
		die("mmap (file)");
	if (madvise(map, bytes, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");

	buf = malloc(page_size);
	if (!buf)
		die("malloc");
	for (p = 0; p < npages; p++) {
		if (!is_data[p])
			continue;
		fill_page(p, buf);
		if (pwrite(fd, buf, page_size, (off_t)p * page_size) != page_size)
			die("pwrite");
	}
	free(buf);
}

static void setup_layout(void)
{
	unsigned long p, r;
	long nd;

	is_data = calloc(npages, sizeof(*is_data));
	next_data = calloc(npages + 1, sizeof(*next_data));
	data_pages = calloc(npages, sizeof(*data_pages));
	hole_before = calloc(npages, sizeof(*hole_before));
	offset_hist = calloc(pmd_pages, sizeof(*offset_hist));
	if (!is_data || !next_data || !data_pages || !hole_before ||
	    !offset_hist)
		die("calloc");
	for (p = 0; p < npages; p++) {
		r = p % pmd_pages;
		is_data[p] = !opt.punch || r < opt.punch_first ||
			     r >= opt.punch_first + opt.punch_count;
		if (is_data[p] && r >= opt.inside_first &&
		    r - opt.inside_first < opt.inside_count)
			data_pages[nr_data_pages++] = p;
	}
	if (!nr_data_pages)
		usage_error("no data page in the --inside range to start hole-inside walks from");
	nd = npages;
	next_data[npages] = nd;
	for (p = npages; p-- > 0;) {
		if (is_data[p])
			nd = p;
		next_data[p] = nd;
	}
	for (p = 0; p < npages; p++)
		if (!is_data[p] && next_data[p] < (long)npages)
			hole_before[nr_hole_before++] = p;
}

static void check_thp(void)
{
	char path[KNOB_PATH], val[KNOB_VAL];
	unsigned long pmd_size;

	page_size = sysconf(_SC_PAGESIZE);
	if (read_ulong(THP_DIR "/hpage_pmd_size", &pmd_size))
		skip("no THP (%s/hpage_pmd_size unreadable)", THP_DIR);
	if (read_knob(THP_DIR "/shmem_enabled", val, sizeof(val)))
		skip("no shmem THP (%s/shmem_enabled unreadable)", THP_DIR);
	if (!strcmp(val, "deny") || !strcmp(val, "force"))
		skip("shmem_enabled is '%s' (testing or emergency override in force)",
		     val);
	pmd_pages = pmd_size / page_size;
	if (opt.punch && opt.punch_first + opt.punch_count > pmd_pages)
		usage_error("--punch %u:%u goes past the %lu pages of a PMD",
			    opt.punch_first, opt.punch_count, pmd_pages);
	if (opt.mthp_kb) {
		snprintf(path, sizeof(path), THP_DIR "/hugepages-%ukB/shmem_enabled",
			 opt.mthp_kb);
		if (access(path, F_OK))
			skip("no per-size shmem THP control %s", path);
		if (opt.mthp_kb * 1024UL >= pmd_size)
			usage_error("--mthp %u is not below the PMD size (%lu kB)",
				    opt.mthp_kb, pmd_size / 1024);
	}
	npages = pmd_pages * opt.pmds;
	file_size = (off_t)npages * page_size;
}

static void setup_knobs(void)
{
	char path[KNOB_PATH];
	int err;

	if (opt.backing == B_TMPFS && !opt.mthp_kb)
		return;		/* nothing global to change */
	if (geteuid())
		skip("needs root to set THP sysfs (or use --backing tmpfs)");
	err = take_lock();
	if (err == -EBUSY)
		skip("%s held by another run for more than %u s", LOCK_FILE,
		     opt.lock_wait);
	if (err)
		skip("cannot take %s: %s", LOCK_FILE, strerror(-err));
	restore_stale_state();
	/* memfd huge pages follow the top-level shmem_enabled. */
	if (opt.backing == B_MEMFD &&
	    set_knob(THP_DIR "/shmem_enabled", "advise"))
		skip("cannot set %s/shmem_enabled to advise: %s", THP_DIR,
		     strerror(errno));
	if (opt.mthp_kb) {
		snprintf(path, sizeof(path), THP_DIR "/hugepages-%ukB/shmem_enabled",
			 opt.mthp_kb);
		if (set_knob(path, "always"))
			skip("cannot set %s to always: %s", path, strerror(errno));
	}
}

/* ---- options ---- */

static void help(void)
{
	printf("seek-hole-flicker - SEEK_HOLE/SEEK_DATA report a data page of a shmem file\n"
	       "as a hole while MADV_COLLAPSE collapses its PMD range\n\n"
	       "  seek-hole-flicker [options]\n\n"
	       "  --duration S      run for S seconds (30)\n"
	       "  --seed N          seeds the random walk starts (1)\n"
	       "  --pmds N          PMD-sized ranges in the file, 1..%d (1)\n"
	       "  --punch F:C|none  punch pages F..F+C-1 of every range after each\n"
	       "                    collapse; every other page holds data (256:256)\n"
	       "  --inside F:C      hole-inside walks start at data pages F..F+C-1 of a\n"
	       "                    range (every data page)\n"
	       "  --no-collapse     punch only, never MADV_COLLAPSE (a control)\n"
	       "  --split           after each collapse split the range to order 0 through\n"
	       "                    debugfs split_huge_pages (no hole needed; mounts debugfs\n"
	       "                    in a private mount namespace if needed)\n"
	       "  --rewrite         after each collapse punch the whole range and write its\n"
	       "                    data pages again (order-0 folios in xarray leaves on\n"
	       "                    any kernel); walks overlapping that are not judged\n"
	       "  --overwrite       after each punch write the data pages again in place\n"
	       "                    (same bytes, no hole: --rewrite's timing, the split's folios)\n"
	       "  --walk LIST       comma-separated: hole-start, hole-inside,\n"
	       "                    data-before, full, all (all)\n"
	       "  --mthp KB         also set hugepages-KBkB/shmem_enabled to always\n"
	       "  --backing B       memfd (sets shmem_enabled=advise under the suite's\n"
	       "                    THP lock, restored at exit) or tmpfs (a private\n"
	       "                    huge=advise mount, no global change) (memfd)\n"
	       "  --jitter US       wait a random 0..US microseconds before each collapse,\n"
	       "                    so that it does not stay in phase with the walker (0)\n"
	       "  --walkers N       walker threads, 1..%d (1)\n"
	       "  --cpus C,W        CPU of the collapser, first CPU of the walkers (0,1)\n"
	       "  --keep-going      count every finding until --duration, not just the first\n"
	       "  --lock-wait S     wait at most S s for %s (600)\n"
	       "  -h, --help\n\n"
	       "Exit: 0 no data page reported as a hole, 1 one was (or data read back\n"
	       "wrong), 2 usage, 3 error, 4 SKIP (no THP/shmem huge pages, no root,\n"
	       "no collapse succeeded).\n", MAX_PMDS, MAX_WALKERS, LOCK_FILE);
}

/* FIRST:COUNT, pages within a PMD range. */
static void parse_range(const char *name, const char *s, unsigned int *first,
			unsigned int *count)
{
	char buf[64], *colon;

	if (!s || strlen(s) >= sizeof(buf) || !strchr(s, ':'))
		usage_error("%s takes FIRST:COUNT%s, got '%s'", name,
			    strcmp(name, "--punch") ? "" : " or none",
			    s ? s : "nothing");
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	*colon = 0;
	*first = need_uint(name, buf, 0, 1U << 20);
	*count = need_uint(name, colon + 1, 1, 1U << 20);
}

static void parse_walk(const char *s)
{
	char buf[128], *tok, *save;
	unsigned int k, mask = 0;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		usage_error("--walk takes a list of walks");
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			mask |= (1U << W_NR) - 1;
			continue;
		}
		for (k = 0; k < W_NR; k++)
			if (!strcmp(tok, walk_name[k]))
				break;
		if (k == W_NR)
			usage_error("unknown walk '%s'", tok);
		mask |= 1U << k;
	}
	if (!mask)
		usage_error("--walk names no walk");
	opt.walk_mask = mask;
}

static void parse_cpus(const char *s)
{
	char buf[32], *comma;

	if (!s || strlen(s) >= sizeof(buf))
		usage_error("--cpus takes C,W");
	snprintf(buf, sizeof(buf), "%s", s);
	comma = strchr(buf, ',');
	if (!comma)
		usage_error("--cpus takes C,W, got '%s'", s);
	*comma = 0;
	opt.cpu_collapse = need_uint("--cpus C", buf, 0, CPU_SETSIZE - 1);
	opt.cpu_walk = need_uint("--cpus W", comma + 1, 0, CPU_SETSIZE - 1);
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help();
			exit(EXIT_NONE);
		} else if (!strcmp(a, "--duration")) {
			opt.duration = need_uint(a, v, 1, 86400);
			i++;
		} else if (!strcmp(a, "--seed")) {
			opt.seed = need_uint(a, v, 0, UINT32_MAX);
			i++;
		} else if (!strcmp(a, "--pmds")) {
			opt.pmds = need_uint(a, v, 1, MAX_PMDS);
			i++;
		} else if (!strcmp(a, "--punch")) {
			opt.punch = !v || strcmp(v, "none");
			if (opt.punch)
				parse_range(a, v, &opt.punch_first,
					    &opt.punch_count);
			i++;
		} else if (!strcmp(a, "--inside")) {
			parse_range(a, v, &opt.inside_first, &opt.inside_count);
			i++;
		} else if (!strcmp(a, "--no-collapse")) {
			opt.collapse = false;
		} else if (!strcmp(a, "--split")) {
			opt.split = true;
		} else if (!strcmp(a, "--rewrite")) {
			opt.rewrite = true;
		} else if (!strcmp(a, "--overwrite")) {
			opt.overwrite = true;
		} else if (!strcmp(a, "--walk")) {
			parse_walk(v);
			i++;
		} else if (!strcmp(a, "--mthp")) {
			opt.mthp_kb = need_uint(a, v, 8, 1U << 20);
			if (opt.mthp_kb & (opt.mthp_kb - 1))
				usage_error("--mthp takes a power of two, got '%s'", v);
			i++;
		} else if (!strcmp(a, "--backing")) {
			if (v && !strcmp(v, "memfd"))
				opt.backing = B_MEMFD;
			else if (v && !strcmp(v, "tmpfs"))
				opt.backing = B_TMPFS;
			else
				usage_error("--backing takes memfd or tmpfs");
			i++;
		} else if (!strcmp(a, "--walkers")) {
			opt.walkers = need_uint(a, v, 1, MAX_WALKERS);
			i++;
		} else if (!strcmp(a, "--cpus")) {
			parse_cpus(v);
			i++;
		} else if (!strcmp(a, "--jitter")) {
			opt.jitter_us = need_uint(a, v, 0, 1000000);
			i++;
		} else if (!strcmp(a, "--keep-going")) {
			opt.keep_going = true;
		} else if (!strcmp(a, "--lock-wait")) {
			opt.lock_wait = need_uint(a, v, 0, 86400);
			i++;
		} else {
			usage_error("unknown argument '%s'", a);
		}
	}
	if (!opt.collapse && !opt.punch)
		usage_error("--no-collapse with --punch none leaves nothing to race");
	if (!opt.collapse && (opt.split || opt.rewrite))
		usage_error("--split and --rewrite need the collapse");
}

/* ---- main ---- */

static int join_bounded(pthread_t t, const char *name)
{
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += JOIN_WAIT_S;
	if (pthread_timedjoin_np(t, NULL, &dl)) {
		msg("seek-hole-flicker: error: the %s thread is still in the kernel %d s after the deadline\n",
		    name, JOIN_WAIT_S);
		return -1;
	}
	return 0;
}

static void summary(void)
{
	unsigned long i, top, shown = 0;

	msg("# walks: hole-start %lu, hole-inside %lu, data-before %lu, full %lu; lseek calls %lu\n",
	    atomic_load(&walks[W_HOLE_START]), atomic_load(&walks[W_HOLE_INSIDE]),
	    atomic_load(&walks[W_DATA_BEFORE]), atomic_load(&walks[W_FULL]),
	    atomic_load(&seeks));
	msg("# collapses: %lu attempted, %lu succeeded, EAGAIN %lu, ENOMEM %lu, EINVAL %lu, other %lu; punches %lu, splits %lu\n",
	    atomic_load(&coll_done), atomic_load(&coll_ok),
	    atomic_load(&coll_err[0]), atomic_load(&coll_err[1]),
	    atomic_load(&coll_err[2]), atomic_load(&coll_err[3]),
	    atomic_load(&punches), atomic_load(&splits));
	msg("# findings: %lu (xarray-leaf signature %lu, content mismatch %lu)",
	    atomic_load(&findings), atomic_load(&leaf_findings),
	    atomic_load(&corrupt));
	if (opt.rewrite)
		msg(", %lu answer(s) not judged (a rewrite overlapped)",
		    atomic_load(&discarded));
	if (first_finding_s >= 0)
		msg(", first at %.3f s", first_finding_s);
	msg("\n");
	if (!atomic_load(&findings))
		return;
	msg("# findings by page within the PMD range:");
	for (;;) {
		top = pmd_pages;
		for (i = 0; i < pmd_pages; i++)
			if (offset_hist[i] &&
			    (top == pmd_pages || offset_hist[i] > offset_hist[top]))
				top = i;
		if (top == pmd_pages || shown++ == 12)
			break;
		msg(" %lu:%lu", top, offset_hist[top]);
		offset_hist[top] = 0;
	}
	msg("\n");
}

int main(int argc, char **argv)
{
	struct walker ws[MAX_WALKERS];
	pthread_t tc, tw[MAX_WALKERS];
	struct timespec dl;
	struct utsname u;
	sigset_t all, old;
	long ncpu;
	unsigned int i;
	int rc = EXIT_NONE;

	parse_args(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	install_signals();

	check_thp();
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (opt.cpu_collapse >= ncpu)
		opt.cpu_collapse = 0;
	if (opt.cpu_walk >= ncpu)
		opt.cpu_walk = ncpu > 1 ? 1 : 0;
	setup_layout();
	setup_knobs();
	setup_split();
	setup_file();

	uname(&u);
	msg("# seek-hole-flicker: kernel %s, %ld CPUs, seed %llu, %u s, %s, %u PMD range(s) of %lu pages, punch %s%u:%u, collapse %s%s, walks 0x%x, mthp %u kB, walkers %u\n",
	    u.release, ncpu, (unsigned long long)opt.seed, opt.duration,
	    opt.backing == B_MEMFD ? "memfd" : "tmpfs huge=advise", opt.pmds,
	    pmd_pages, opt.punch ? "" : "none ", opt.punch_first,
	    opt.punch_count, opt.collapse ? "on" : "off",
	    opt.split ? " + split to order 0" : opt.rewrite ? " + rewrite" :
	    opt.overwrite ? " + overwrite" : "",
	    opt.walk_mask,
	    opt.mthp_kb, opt.walkers);
	if (opt.jitter_us)
		msg("# collapse jitter: up to %u us\n", opt.jitter_us);

	alarm(opt.duration + WATCHDOG_S);
	/* Signals go to the main thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < opt.walkers; i++) {
		ws[i].id = i;
		ws[i].cpu = (opt.cpu_walk + i) % ncpu;
		if (ncpu > 1 && ws[i].cpu == opt.cpu_collapse)
			ws[i].cpu = (ws[i].cpu + 1) % ncpu;
		ws[i].rng = (opt.seed + 1) * 0x9E3779B97F4A7C15ULL + i;
		ws[i].buf = malloc(page_size);
		ws[i].want = malloc(page_size);
		if (!ws[i].buf || !ws[i].want)
			die("malloc");
		if (pthread_create(&tw[i], NULL, walker_main, &ws[i]))
			die("pthread_create");
	}
	if (pthread_create(&tc, NULL, collapser, NULL))
		die("pthread_create");
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += opt.duration;
	while (!atomic_load(&stop)) {
		struct timespec nap = { 0, 20 * 1000 * 1000 }, t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec > dl.tv_sec ||
		    (t.tv_sec == dl.tv_sec && t.tv_nsec >= dl.tv_nsec))
			break;
		nanosleep(&nap, NULL);
	}
	atomic_store(&stop, true);
	if (join_bounded(tc, "collapser"))
		rc = EXIT_ERROR;
	for (i = 0; i < opt.walkers; i++)
		if (join_bounded(tw[i], "walker"))
			rc = EXIT_ERROR;
	alarm(0);

	summary();
	restore_knobs();
	if (atomic_load(&findings)) {
		msg("result: FAIL: a data page was reported as a hole (%lu finding(s))\n",
		    atomic_load(&findings));
		return EXIT_FOUND;
	}
	if (atomic_load(&fatal)) {
		errno = atomic_load(&fatal);
		msg("seek-hole-flicker: error: %s: %s\n", fatal_what,
		    strerror(errno));
		return EXIT_ERROR;
	}
	if (rc)
		return rc;
	if (opt.collapse && !atomic_load(&coll_ok))
		skip("no MADV_COLLAPSE succeeded in %u s (EINVAL %lu, EAGAIN %lu, ENOMEM %lu)",
		     opt.duration, atomic_load(&coll_err[2]),
		     atomic_load(&coll_err[0]), atomic_load(&coll_err[1]));
	msg("result: PASS: no data page reported as a hole in %u s\n",
	    opt.duration);
	return EXIT_NONE;
}
