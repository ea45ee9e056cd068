// SPDX-License-Identifier: GPL-2.0
/*
 * fill-on-alloc - a shmem large folio allocated for one page by something
 * other than a userfaultfd MODE_MISSING registered mapping fills the holes
 * of the registered range: a fault through another mapping, write(2),
 * pwrite(2) or fallocate(2).
 *
 * A process that registered MODE_MISSING on a shmem range is owed a
 * UFFD_EVENT_PAGEFAULT for every page it saw missing after the
 * registration.  This program maps one file and registers mapping A
 * MISSING.  With every page of the range a hole, seen so by SEEK_DATA
 * after UFFDIO_REGISTER, it fills one page by --action: through mapping B
 * (not registered, MADV_HUGEPAGE: a load, a store, MADV_POPULATE_READ or
 * _WRITE), or through the file descriptor, as another process sharing the
 * file would (write, pwrite, fallocate).  Then it touches another page
 * through A.  If the kernel allocated a large folio for the fill, A's
 * holes were filled (with zeros, or left allocated but not uptodate by
 * fallocate, which the next fault zeroes) and A's touch raises no MISSING
 * fault.
 *
 * Before that, a control run does the same on a fresh file without any
 * registration, to show that the kernel does allocate a large folio there;
 * when it does not, nothing can be tested (exit 4).
 *
 * Build:  cc -static -O2 -pthread -o fill-on-alloc fill-on-alloc.c
 * Run as root:  ./fill-on-alloc [options]
 *
 *   --action A       how the page is filled (load):
 *                    through mapping B: load, store, populate-read,
 *                    populate-write (a load, a store, MADV_POPULATE_READ
 *                    or MADV_POPULATE_WRITE);
 *                    through the file descriptor, one page each: write
 *                    (lseek(2) and write(2)), pwrite, fallocate (mode 0)
 *   --backing memfd|tmpfs  the file: a memfd (its THP policy is the global
 *                    shmem_enabled knob, or hugepages-<N>kB/shmem_enabled
 *                    for --size NkB: changed for the run, restored after),
 *                    or a file on a tmpfs mounted with huge=POLICY in a
 *                    private mount namespace (no global change) (tmpfs)
 *   --huge always|within_size|advise|never  the THP policy (advise for the
 *                    mapping actions, always for the file descriptor ones:
 *                    a write has no VMA for advise to look at)
 *   --size pmd|NkB[,...]  the large folio sizes to enable: PMD and/or mTHP
 *                    sizes of N kB (mTHP: memfd only); the range is the
 *                    largest of them (pmd)
 *   --fill-page N    the page filled (0)
 *   --touch-page N   the page then touched through A (300 of 512, scaled)
 *   --register F-L   register only pages F to L of the range, e.g. 256-511
 *                    with --size pmd,1024kB: a fixed kernel then falls
 *                    back to a 1024kB folio that covers no registered page
 *                    (the whole range)
 *   --timeout S      how long to wait for the MISSING fault (5)
 *   --no-control     skip the control run
 *   -v, --verbose    say what each step saw
 *   -h, --help
 *
 * Exit: 0 the contract held (A's touch raised its MISSING fault), 1 the
 * kernel broke it (a hole A saw after registering was filled behind its
 * back, and the touch raised no fault), 2 bad usage, 3 the test could not
 * run as designed (an unexpected error, a timeout), 4 SKIP: the kernel or
 * the environment lacks something (root, THP, userfaultfd, the size, a
 * large folio in the control run); the reason is printed.
 *
 * Global THP knobs are changed only under an exclusive flock on
 * /run/uffd-collapse-suite/thp.lock (shared with the uffd-collapse suite),
 * saved first to /run/uffd-collapse-suite/thp.state (the suite's format,
 * so a later run of the suite restores them if this program is killed),
 * and restored at exit and on SIGINT, SIGTERM, SIGHUP and other fatal
 * signals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define PROG "fill-on-alloc"
#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define STATE_DIR "/run/uffd-collapse-suite"
#define LOCK_FILE STATE_DIR "/thp.lock"
#define STATE_FILE STATE_DIR "/thp.state"
#define LOCK_WAIT_S 600
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WATCHDOG_S 120

enum { KEPT = 0, BROKEN = 1, USAGE = 2, ERROR = 3, SKIP = 4 };

enum action { LOAD, STORE, POP_READ, POP_WRITE, WRITE, PWRITE, FALLOCATE, NR_ACTIONS };

/* The actions, as data: each fills one page, through B or the file. */
static const struct {
	const char *name;	/* --action */
	const char *text;	/* in messages */
	bool by_fd;		/* through the file descriptor, not mapping B */
} actions[NR_ACTIONS] = {
	[LOAD] = { "load", "a load", false },
	[STORE] = { "store", "a store", false },
	[POP_READ] = { "populate-read", "MADV_POPULATE_READ", false },
	[POP_WRITE] = { "populate-write", "MADV_POPULATE_WRITE", false },
	[WRITE] = { "write", "write(2)", true },
	[PWRITE] = { "pwrite", "pwrite(2)", true },
	[FALLOCATE] = { "fallocate", "fallocate(2)", true },
};

static struct {
	bool memfd;
	const char *huge;
	unsigned long sizes_kb[8];	/* 0: PMD */
	int nr_sizes;
	const char *sizes;
	long reg_first, reg_last;
	enum action action;
	long fill_page;
	long touch_page;
	unsigned int timeout_s;
	bool control;
	bool verbose;
} opt = {
	.nr_sizes = 1,
	.sizes = "pmd",
	.reg_first = -1,
	.fill_page = 0,
	.touch_page = -1,
	.timeout_s = 5,
	.control = true,
};

static size_t psize, pmd_size;
static size_t npages;			/* pages in the largest folio */
static bool want_pmd;			/* PMD among --size */
static char mnt_dir[64];

/* ---- messages -------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
finish(int code, const char *fmt, ...)
{
	static const char * const word[] = {
		[KEPT] = "KEPT", [BROKEN] = "BROKEN", [USAGE] = "USAGE",
		[ERROR] = "ERROR", [SKIP] = "SKIP",
	};
	va_list ap;

	va_start(ap, fmt);
	if (code == USAGE) {
		fprintf(stderr, PROG ": ");
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "\n");
	} else {
		printf("%s: ", word[code]);
		vprintf(fmt, ap);
		printf("\n");
	}
	va_end(ap);
	fflush(stdout);
	exit(code);
}

/* ---- THP sysfs: lock, save, state file, restore ------------------------ */

#define MAX_SAVED 32
#define VAL_LEN 32

static struct {
	char path[128];
	char value[VAL_LEN];
} saved[MAX_SAVED];
static volatile sig_atomic_t nr_saved;
static volatile sig_atomic_t state_written;
static pid_t saver;
static int lock_fd = -1;

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

/* Async-signal-safe. */
static int write_file(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The selected word of "a [b] c". */
static int read_choice(const char *path, char *buf, size_t len)
{
	char raw[256], *l, *r;
	int ret = read_file(path, raw, sizeof(raw));

	if (ret)
		return ret;
	l = strchr(raw, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r || (size_t)(r - l - 1) >= len)
		return -EINVAL;
	*r = 0;
	snprintf(buf, len, "%s", l + 1);
	return 0;
}

static void restore_thp(void)
{
	int i;

	if (saver != getpid())
		return;
	for (i = nr_saved - 1; i >= 0; i--)
		write_file(saved[i].path, saved[i].value);
	if (state_written) {
		unlink(STATE_FILE ".tmp");
		unlink(STATE_FILE);
	}
	nr_saved = 0;
	state_written = 0;
}

static void on_fatal(int sig)
{
	restore_thp();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_alarm(int sig)
{
	static const char msg[] = "ERROR: " PROG " timed out (watchdog)\n";

	restore_thp();
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(ERROR);
	_exit(ERROR);
}

static void install_guards(void)
{
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2,
		SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL,
	};
	struct sigaction sa = { .sa_handler = on_fatal };
	size_t i;

	saver = getpid();
	atexit(restore_thp);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGALRM, on_alarm);
	alarm(WATCHDOG_S + opt.timeout_s);
}

/* A state file left by a killed owner: put its values back first. */
static void recover_state(void)
{
	char buf[8192], *line, *save, *val;
	int fd, n = 0;
	ssize_t len;

	fd = open(STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return;
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		val = strchr(line, ' ');
		if (line[0] == '#' || !val)
			continue;
		*val++ = 0;
		if (strncmp(line, THP_DIR "/", sizeof(THP_DIR)) ||
		    strstr(line, "..") || strpbrk(val, " \t") || !*val)
			continue;
		if (!write_file(line, val))
			n++;
	}
	unlink(STATE_FILE);
	fprintf(stderr, PROG ": restored %d THP knobs left in %s by a killed run\n",
		n, STATE_FILE);
}

static int take_lock(void)
{
	unsigned int waited = 0;
	char pid[24];

	mkdir("/run", 0755);
	if (mkdir(STATE_DIR, 0755) && errno != EEXIST)
		return -errno;
	lock_fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lock_fd < 0)
		return -errno;
	while (flock(lock_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (!waited)
			fprintf(stderr, PROG ": %s is held by another run: waiting up to %d s\n",
				LOCK_FILE, LOCK_WAIT_S);
		if (waited++ >= LOCK_WAIT_S * 10)
			return -EBUSY;
		usleep(100000);
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(lock_fd, 0) || pwrite(lock_fd, pid, strlen(pid), 0) < 0)
		return 0;
	return 0;
}

/* Save a knob (once), to memory and to the state file, then write it. */
static int set_knob(const char *knob, const char *value)
{
	char path[128], old[VAL_LEN];
	FILE *f;
	int i, ret;

	snprintf(path, sizeof(path), THP_DIR "/%s", knob);
	ret = read_choice(path, old, sizeof(old));
	if (ret)
		return ret;
	for (i = 0; i < nr_saved; i++)
		if (!strcmp(saved[i].path, path))
			break;
	if (i == nr_saved) {
		if (nr_saved == MAX_SAVED)
			return -ENOSPC;
		snprintf(saved[i].path, sizeof(saved[i].path), "%s", path);
		snprintf(saved[i].value, sizeof(saved[i].value), "%s", old);
		/* In memory first: a signal from here on restores it. */
		nr_saved++;
		state_written = 1;
		f = fopen(STATE_FILE ".tmp", "we");
		if (!f)
			return -errno;
		fprintf(f, "# " PROG ": THP sysfs as it was before pid %d changed it\npid %d\n",
			getpid(), getpid());
		for (i = 0; i < nr_saved; i++)
			fprintf(f, "%s %s\n", saved[i].path, saved[i].value);
		if (fflush(f) || fsync(fileno(f))) {
			fclose(f);
			return -EIO;
		}
		fclose(f);
		if (rename(STATE_FILE ".tmp", STATE_FILE))
			return -errno;
	}
	if (!strcmp(old, value))
		return 0;
	info("%s: %s -> %s", knob, old, value);
	return write_file(path, value);
}

static bool size_wanted(unsigned long kb)
{
	int i;

	for (i = 0; i < opt.nr_sizes; i++)
		if (opt.sizes_kb[i] == kb)
			return true;
	return false;
}

/*
 * The policy for a memfd: the top-level shmem_enabled for PMD folios
 * (the PMD size's own knob following it), hugepages-<N>kB for each mTHP
 * size asked for; every other size off.
 */
static void setup_memfd_policy(void)
{
	char knob[64], dir[128];
	unsigned long kb, pmd_kb = pmd_size >> 10;
	int ret;

	ret = take_lock();
	if (ret == -EBUSY)
		finish(SKIP, "%s stayed locked by another run for %d s", LOCK_FILE,
		       LOCK_WAIT_S);
	if (ret)
		finish(ERROR, "cannot lock %s: %s", LOCK_FILE, strerror(-ret));
	recover_state();

	ret = set_knob("shmem_enabled", want_pmd ? opt.huge : "never");
	if (ret)
		finish(ret == -EINVAL ? SKIP : ERROR,
		       "cannot set shmem_enabled to %s: %s", opt.huge, strerror(-ret));
	for (kb = psize >> 9; kb <= pmd_kb; kb <<= 1) {
		const char *val;

		snprintf(knob, sizeof(knob), "hugepages-%lukB/shmem_enabled", kb);
		snprintf(dir, sizeof(dir), THP_DIR "/%s", knob);
		if (access(dir, F_OK))
			continue;
		if (kb == pmd_kb)
			val = want_pmd ? "inherit" : "never";
		else
			val = size_wanted(kb) ? opt.huge : "never";
		ret = set_knob(knob, val);
		if (ret)
			finish(ERROR, "cannot set %s to %s: %s", knob, val, strerror(-ret));
	}
}

/* ---- the file ---------------------------------------------------------- */

static void setup_tmpfs(void)
{
	static const char * const dirs[] = { "/tmp", "/mnt", "/dev/shm" };
	char data[64];
	size_t i;

	if (unshare(CLONE_NEWNS))
		finish(SKIP, "unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		finish(ERROR, "making / private: %s", strerror(errno));
	snprintf(data, sizeof(data), "huge=%s,size=%zuk", opt.huge,
		 (4 * npages * psize) >> 10);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!mount("tmpfs", dirs[i], "tmpfs", 0, data)) {
			snprintf(mnt_dir, sizeof(mnt_dir), "%s", dirs[i]);
			info("tmpfs mounted on %s with %s (private mount namespace)",
			     mnt_dir, data);
			return;
		}
		if (errno == EINVAL)
			finish(SKIP, "tmpfs refuses %s (no THP, or an old kernel)", data);
	}
	finish(SKIP, "cannot mount a tmpfs on /tmp, /mnt or /dev/shm: %s",
	       strerror(errno));
}

static int open_file(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (opt.memfd) {
		fd = syscall(SYS_memfd_create, name, MFD_CLOEXEC);
		if (fd < 0 && errno == ENOSYS)
			finish(SKIP, "no memfd_create");
	} else {
		snprintf(path, sizeof(path), "%s/%s", mnt_dir, name);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		finish(ERROR, "creating the %s file: %s", name, strerror(errno));
	if (ftruncate(fd, npages * psize))
		finish(ERROR, "ftruncate: %s", strerror(errno));
	return fd;
}

/* A shared mapping of the whole range, aligned to the folio size. */
static char *map_aligned(int fd)
{
	size_t len = npages * psize;
	char *res, *p;

	res = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		finish(ERROR, "mmap: %s", strerror(errno));
	p = (char *)(((uintptr_t)res + len - 1) & ~(uintptr_t)(len - 1));
	if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != p)
		finish(ERROR, "mmap of the file: %s", strerror(errno));
	if (p > res)
		munmap(res, p - res);
	munmap(p + len, res + len - p);
	return p;
}

/* Pages that SEEK_DATA sees as data, as a bitmap of chars; returns the count. */
static size_t probe_data(int fd, char *data)
{
	off_t end = npages * psize, off = 0, d, h;
	size_t n = 0, p;

	memset(data, 0, npages);
	while (off < end) {
		d = lseek(fd, off, SEEK_DATA);
		if (d < 0 || d >= end)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || h > end)
			h = end;
		for (p = d / psize; p < (size_t)((h + psize - 1) / psize); p++) {
			data[p] = 1;
			n++;
		}
		off = h;
	}
	return n;
}

static size_t resident(char *map)
{
	unsigned char vec[npages];
	size_t n = 0, p;

	if (mincore(map, npages * psize, vec))
		finish(ERROR, "mincore: %s", strerror(errno));
	for (p = 0; p < npages; p++)
		n += vec[p] & 1;
	return n;
}

static size_t allocated(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		finish(ERROR, "fstat: %s", strerror(errno));
	return ((size_t)st.st_blocks * 512) / psize;
}

/* "a-b" ranges of the pages set in data[] other than skip. */
static void ranges(const char *data, long skip, char *buf, size_t len)
{
	size_t p = 0, q, used = 0;

	buf[0] = 0;
	while (p < npages && used < len) {
		if (!data[p] || (long)p == skip) {
			p++;
			continue;
		}
		for (q = p; q + 1 < npages && data[q + 1] && (long)q + 1 != skip; q++)
			;
		used += snprintf(buf + used, len - used, "%s%zu", used ? "," : "", p);
		if (q > p && used < len)
			used += snprintf(buf + used, len - used, "-%zu", q);
		p = q + 1;
	}
}

/* ---- the fill: one page, through mapping B or the file ------------------ */

/* " through B", for messages; nothing for the file descriptor actions. */
static const char *via(void)
{
	return actions[opt.action].by_fd ? "" :
	       " through an unregistered MADV_HUGEPAGE mapping";
}

static void fill(int fd, char *other)
{
	off_t off = opt.fill_page * psize;
	char *page = other ? other + off : NULL, buf[psize];
	ssize_t n = psize;
	int advice;

	memset(buf, 0x5a, psize);
	switch (opt.action) {
	case LOAD:
		(void)*(volatile char *)page;
		return;
	case STORE:
		*(volatile char *)page = 0x5a;
		return;
	case POP_READ:
	case POP_WRITE:
		advice = opt.action == POP_READ ? MADV_POPULATE_READ : MADV_POPULATE_WRITE;
		if (madvise(page, psize, advice))
			finish(errno == EINVAL ? SKIP : ERROR, "madvise(MADV_POPULATE_%s): %s",
			       opt.action == POP_READ ? "READ" : "WRITE", strerror(errno));
		return;
	case WRITE:
		if (lseek(fd, off, SEEK_SET) != off)
			finish(ERROR, "lseek: %s", strerror(errno));
		n = write(fd, buf, psize);
		break;
	case PWRITE:
		n = pwrite(fd, buf, psize, off);
		break;
	case FALLOCATE:
		if (fallocate(fd, 0, off, psize))
			finish(errno == EOPNOTSUPP ? SKIP : ERROR, "fallocate: %s",
			       strerror(errno));
		return;
	case NR_ACTIONS:
		break;
	}
	if (n != (ssize_t)psize)
		finish(ERROR, "%s: %s", actions[opt.action].text,
		       n < 0 ? strerror(errno) : "short write");
}

/*
 * Mapping B, MADV_HUGEPAGE, for the mapping actions; for the file
 * descriptor ones a plain mapping (control) or none (registered run).
 */
static char *map_other(int fd, bool control)
{
	char *other;

	if (actions[opt.action].by_fd)
		return control ? map_aligned(fd) : NULL;
	other = map_aligned(fd);
	if (madvise(other, npages * psize, MADV_HUGEPAGE))
		finish(SKIP, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
	return other;
}

/* ---- userfaultfd -------------------------------------------------------- */

struct handler {
	int uffd;
	int stop[2];
	char *area;
	char *src;
	unsigned long faults;
	unsigned long fault_page;	/* the first fault's page */
	int err;
};

static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 && errno == EPERM)
		uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		finish(errno == ENOSYS ? SKIP : ERROR, "userfaultfd: %s", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api))
		finish(SKIP, "UFFDIO_API: %s", strerror(errno));
	return uffd;
}

static void uffd_register(int uffd, char *area)
{
	struct uffdio_register reg = {
		.range = {
			.start = (uintptr_t)area + opt.reg_first * psize,
			.len = (opt.reg_last - opt.reg_first + 1) * psize,
		},
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		finish(errno == EINVAL ? SKIP : ERROR,
		       "UFFDIO_REGISTER MISSING on shmem: %s", strerror(errno));
}

/*
 * Answer MISSING faults with UFFDIO_COPY until told to stop.  Bounded: on
 * a timeout or an error, unregister, which wakes any blocked touch.
 */
static void *handler_main(void *arg)
{
	struct handler *h = arg;
	struct pollfd pfd[2] = {
		{ .fd = h->uffd, .events = POLLIN },
		{ .fd = h->stop[0], .events = POLLIN },
	};
	struct uffdio_range range = {
		.start = (uintptr_t)h->area + opt.reg_first * psize,
		.len = (opt.reg_last - opt.reg_first + 1) * psize,
	};
	struct uffd_msg msg;
	int left_ms = opt.timeout_s * 1000, ret;

	while (left_ms > 0) {
		ret = poll(pfd, 2, 100);
		if (ret < 0 && errno != EINTR) {
			h->err = errno;
			break;
		}
		if (ret <= 0) {
			left_ms -= 100;
			continue;
		}
		if (pfd[1].revents)
			return NULL;
		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EAGAIN)
				continue;
			h->err = errno;
			break;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (!h->faults++)
			h->fault_page = (msg.arg.pagefault.address - (uintptr_t)h->area) / psize;
		{
			struct uffdio_copy copy = {
				.dst = msg.arg.pagefault.address & ~(psize - 1),
				.src = (uintptr_t)h->src,
				.len = psize,
			};

			if (ioctl(h->uffd, UFFDIO_COPY, &copy) && errno != EEXIST) {
				h->err = errno;
				break;
			}
			if (copy.copy == -EEXIST) {
				struct uffdio_range wake = { .start = copy.dst, .len = psize };

				ioctl(h->uffd, UFFDIO_WAKE, &wake);
			}
		}
	}
	if (!h->err)
		h->err = ETIMEDOUT;
	ioctl(h->uffd, UFFDIO_UNREGISTER, &range);
	return NULL;
}

/* ---- the runs ----------------------------------------------------------- */

struct observed {
	size_t holes;		/* after registration (or at start) */
	size_t alloc;		/* pages allocated after the fill */
	size_t data;		/* pages that read as data after the fill */
	size_t res;		/* pages resident after the fill */
	char filled[64];	/* registered holes that turned into data */
};

static size_t control_run(void)
{
	int fd = open_file("control");
	char *other = map_other(fd, true);
	size_t n;

	fill(fd, other);
	n = allocated(fd);
	info("control (no registration): %s of page %ld%s allocated %zu page(s)",
	     actions[opt.action].text, opt.fill_page, via(), n);
	munmap(other, npages * psize);
	close(fd);
	return n;
}

static int registered_run(struct observed *o)
{
	char before[npages], after[npages], src_buf[2 * psize];
	struct handler h = { .faults = 0 };
	pthread_t thread;
	int fd = open_file("registered");
	char *other = map_other(fd, false);
	char *area = map_aligned(fd);
	char value;
	size_t p;

	h.uffd = uffd_open();
	uffd_register(h.uffd, area);
	o->holes = npages - probe_data(fd, before);
	info("registered MISSING on mapping A (pages %ld-%ld); SEEK_DATA then sees %zu hole(s), mincore %zu resident",
	     opt.reg_first, opt.reg_last, o->holes, resident(area));
	if (before[opt.touch_page])
		finish(ERROR, "page %ld was data before the fill", opt.touch_page);

	fill(fd, other);
	o->alloc = allocated(fd);
	o->data = probe_data(fd, after);
	o->res = resident(area);
	for (p = 0; p < npages; p++)
		after[p] = after[p] && !before[p] &&
			   (long)p >= opt.reg_first && (long)p <= opt.reg_last;
	ranges(after, opt.fill_page, o->filled, sizeof(o->filled));
	info("after %s of page %ld%s: %zu page(s) allocated, %zu data (SEEK_DATA), %zu resident (mincore on A)",
	     actions[opt.action].text, opt.fill_page,
	     actions[opt.action].by_fd ? "" : " through mapping B", o->alloc, o->data, o->res);

	h.area = area;
	h.src = (char *)(((uintptr_t)src_buf + psize - 1) & ~(psize - 1));
	memset(h.src, 0xa5, psize);
	if (pipe(h.stop))
		finish(ERROR, "pipe: %s", strerror(errno));
	if (pthread_create(&thread, NULL, handler_main, &h))
		finish(ERROR, "pthread_create failed");
	value = *(volatile char *)(area + opt.touch_page * psize);
	if (write(h.stop[1], "x", 1) != 1)
		finish(ERROR, "write: %s", strerror(errno));
	pthread_join(thread, NULL);
	if (h.err && h.err != ETIMEDOUT)
		finish(ERROR, "fault handler: %s", strerror(h.err));
	if (h.err == ETIMEDOUT)
		finish(ERROR, "the touch of page %ld blocked for %u s with no fault read",
		       opt.touch_page, opt.timeout_s);
	info("touch of page %ld through A: %lu MISSING fault(s)%s, read 0x%02x",
	     opt.touch_page, h.faults, h.faults ? "" : " (none)", (unsigned char)value);
	if (h.faults && h.fault_page != (unsigned long)opt.touch_page)
		finish(ERROR, "a MISSING fault for page %lu, not %ld", h.fault_page,
		       opt.touch_page);
	munmap(area, npages * psize);
	if (other)
		munmap(other, npages * psize);
	close(h.uffd);
	close(fd);
	return h.faults ? KEPT : BROKEN;
}

/* ---- options ------------------------------------------------------------ */

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--action ACTION] [--backing memfd|tmpfs]\n"
		"       [--huge always|within_size|advise|never] [--size pmd|NkB[,...]]\n"
		"       [--fill-page N] [--touch-page N] [--register F-L] [--timeout S]\n"
		"       [--no-control] [-v]\n"
		"\n"
		"Registers userfaultfd MODE_MISSING on mapping A of a shmem file whose\n"
		"range is all holes, fills one page without A (through mapping B,\n"
		"MADV_HUGEPAGE and not registered, or through the file descriptor), then\n"
		"touches another page through A.  Exit 1 if A's touch raised no MISSING\n"
		"fault: the fill allocated a large folio that filled A's holes.  Exit 0\n"
		"if it did; 2 bad usage; 3 error; 4 SKIP.\n"
		"\n"
		"  --action ACTION         how the page is filled (load):\n"
		"                          through B: load, store, populate-read, populate-write;\n"
		"                          through the file: write, pwrite, fallocate\n"
		"  --backing memfd|tmpfs   memfd (global shmem_enabled, or\n"
		"                          hugepages-NkB/shmem_enabled; restored after) or\n"
		"                          tmpfs huge=POLICY in a private mount namespace (tmpfs)\n"
		"  --huge POLICY           always, within_size, advise or never (advise through\n"
		"                          B, always through the file)\n"
		"  --size pmd|NkB[,...]    PMD and/or mTHP sizes (mTHP: memfd only); the range\n"
		"                          is the largest (pmd)\n"
		"  --fill-page N           the page filled (0)\n"
		"  --touch-page N          the page A then touches (300 of 512, scaled)\n"
		"  --register F-L          register only pages F-L of the range (all)\n"
		"  --timeout S             wait for the MISSING fault at most S s (5)\n"
		"  --no-control            skip the control run without registration\n"
		"  -v, --verbose           say what each step saw\n");
}

static long parse_number(const char *opt_name, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max || !(*s >= '0' && *s <= '9'))
		finish(USAGE, "%s: not a number in 0-%ld: '%s'", opt_name, max, s);
	return v;
}

/* "pmd" or "NkB", comma separated. */
static void parse_sizes(const char *arg)
{
	char buf[128], num[16], *tok, *save;
	unsigned long kb;
	size_t len;

	if (strlen(arg) >= sizeof(buf))
		finish(USAGE, "--size: too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	opt.nr_sizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		len = strlen(tok);
		if (!strcmp(tok, "pmd")) {
			kb = 0;
		} else {
			if (len < 3 || len > 10 || strcmp(tok + len - 2, "kB"))
				finish(USAGE, "--size: pmd or NkB (e.g. 64kB), not '%s'", tok);
			memcpy(num, tok, len - 2);
			num[len - 2] = 0;
			kb = parse_number("--size", num, 1L << 20);
			if (kb < 8 || (kb & (kb - 1)))
				finish(USAGE, "--size: N must be a power of two of at least 8, not '%s'",
				       tok);
		}
		if (opt.nr_sizes == 8)
			finish(USAGE, "--size: at most 8 sizes");
		opt.sizes_kb[opt.nr_sizes++] = kb;
	}
	if (!opt.nr_sizes)
		finish(USAGE, "--size: pmd or NkB (e.g. 64kB), not '%s'", arg);
}

/* "F-L": two page numbers, F <= L. */
static void parse_range(const char *arg, long *first, long *last)
{
	char buf[48], *dash;

	if (strlen(arg) >= sizeof(buf) || !strchr(arg, '-'))
		finish(USAGE, "--register: FIRST-LAST (e.g. 256-511), not '%s'", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	dash = strchr(buf, '-');
	*dash = 0;
	*first = parse_number("--register", buf, 1L << 20);
	*last = parse_number("--register", dash + 1, 1L << 20);
	if (*first > *last)
		finish(USAGE, "--register: FIRST-LAST with FIRST <= LAST, not '%s'", arg);
}

static const char *opt_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		finish(USAGE, "%s needs a value (see --help)", argv[*i]);
	return argv[++*i];
}

static void parse(int argc, char **argv)
{
	static const char * const huge[] = { "always", "within_size", "advise", "never" };
	const char *v;
	size_t k;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_help(stdout);
			exit(0);
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			opt.verbose = true;
		} else if (!strcmp(a, "--no-control")) {
			opt.control = false;
		} else if (!strcmp(a, "--backing")) {
			v = opt_value(argc, argv, &i);
			if (strcmp(v, "memfd") && strcmp(v, "tmpfs"))
				finish(USAGE, "--backing: memfd or tmpfs, not '%s'", v);
			opt.memfd = !strcmp(v, "memfd");
		} else if (!strcmp(a, "--huge")) {
			v = opt_value(argc, argv, &i);
			for (k = 0; k < 4 && strcmp(v, huge[k]); k++)
				;
			if (k == 4)
				finish(USAGE, "--huge: always, within_size, advise or never, not '%s'", v);
			opt.huge = huge[k];
		} else if (!strcmp(a, "--size")) {
			opt.sizes = opt_value(argc, argv, &i);
			parse_sizes(opt.sizes);
		} else if (!strcmp(a, "--register")) {
			v = opt_value(argc, argv, &i);
			parse_range(v, &opt.reg_first, &opt.reg_last);
		} else if (!strcmp(a, "--action")) {
			v = opt_value(argc, argv, &i);
			for (k = 0; k < NR_ACTIONS && strcmp(v, actions[k].name); k++)
				;
			if (k == NR_ACTIONS)
				finish(USAGE, "--action: load, store, populate-read, populate-write, write, pwrite or fallocate, not '%s'",
				       v);
			opt.action = k;
		} else if (!strcmp(a, "--fill-page")) {
			opt.fill_page = parse_number(a, opt_value(argc, argv, &i), 1L << 20);
		} else if (!strcmp(a, "--touch-page")) {
			opt.touch_page = parse_number(a, opt_value(argc, argv, &i), 1L << 20);
		} else if (!strcmp(a, "--timeout")) {
			opt.timeout_s = parse_number(a, opt_value(argc, argv, &i), 600);
			if (!opt.timeout_s)
				finish(USAGE, "--timeout: at least 1 s");
		} else {
			finish(USAGE, "unknown argument '%s' (see --help)", a);
		}
	}
}

/* Sizes and pages; the checks that need the kernel's answers. */
static void check_setup(void)
{
	unsigned long pmd, largest = 0, kb;
	char buf[128];
	int i;

	psize = sysconf(_SC_PAGESIZE);
	/* advise needs a VMA's MADV_HUGEPAGE, which a write does not have. */
	if (!opt.huge)
		opt.huge = actions[opt.action].by_fd ? "always" : "advise";
	for (i = 0; i < opt.nr_sizes; i++)
		if (opt.sizes_kb[i] && !opt.memfd)
			finish(USAGE, "--size NkB needs --backing memfd (tmpfs huge= has no per-size knob)");
	if (geteuid())
		finish(SKIP, "needs root (THP sysfs, mount namespace)");
	if (read_file(THP_DIR "/hpage_pmd_size", buf, sizeof(buf)))
		finish(SKIP, "no %s/hpage_pmd_size (no CONFIG_TRANSPARENT_HUGEPAGE)", THP_DIR);
	pmd = strtoul(buf, NULL, 10);
	if (!pmd || pmd % psize)
		finish(ERROR, "odd hpage_pmd_size '%s'", buf);
	pmd_size = pmd;
	for (i = 0; i < opt.nr_sizes; i++) {
		kb = opt.sizes_kb[i];
		if (kb == pmd >> 10)
			opt.sizes_kb[i] = kb = 0;
		if (!kb) {
			want_pmd = true;
			largest = pmd;
			continue;
		}
		snprintf(buf, sizeof(buf), THP_DIR "/hugepages-%lukB/shmem_enabled", kb);
		if (access(buf, F_OK))
			finish(SKIP, "this kernel offers no %lukB shmem folios (no %s)", kb, buf);
		if ((kb << 10) <= psize || (kb << 10) > pmd)
			finish(SKIP, "%lukB is not a large folio size here", kb);
		if ((kb << 10) > largest)
			largest = kb << 10;
	}
	npages = largest / psize;
	if (opt.reg_first < 0) {
		opt.reg_first = 0;
		opt.reg_last = npages - 1;
	}
	if ((size_t)opt.reg_last >= npages)
		finish(USAGE, "--register: pages must be below %zu", npages);
	if (opt.touch_page < 0) {
		opt.touch_page = npages * 300 / 512;
		if (opt.touch_page < opt.reg_first || opt.touch_page > opt.reg_last ||
		    opt.touch_page == opt.fill_page)
			opt.touch_page = opt.reg_last != opt.fill_page ? opt.reg_last : opt.reg_first;
	}
	if ((size_t)opt.fill_page >= npages || (size_t)opt.touch_page >= npages)
		finish(USAGE, "--fill-page and --touch-page must be below %zu", npages);
	if (opt.touch_page < opt.reg_first || opt.touch_page > opt.reg_last ||
	    opt.touch_page == opt.fill_page)
		finish(USAGE, "--touch-page must be a registered page other than --fill-page");
}

int main(int argc, char **argv)
{
	struct observed o = { 0 };
	char size[48];
	struct utsname u;
	size_t ctl = 0;
	int ret;

	parse(argc, argv);
	check_setup();
	uname(&u);
	snprintf(size, sizeof(size), "%s", opt.sizes);
	printf("# " PROG ": Linux %s, %s huge=%s, %s (%zu pages), register pages %ld-%ld, %s of page %ld%s, touch page %ld via the registered one\n",
	       u.release, opt.memfd ? "memfd" : "tmpfs", opt.huge, size, npages,
	       opt.reg_first, opt.reg_last, actions[opt.action].name, opt.fill_page,
	       actions[opt.action].by_fd ? " via the file descriptor" :
	       " via a second MADV_HUGEPAGE mapping", opt.touch_page);
	fflush(stdout);
	close(uffd_open());

	install_guards();
	if (opt.memfd)
		setup_memfd_policy();
	else
		setup_tmpfs();

	if (opt.control) {
		ctl = control_run();
		if (ctl <= 1)
			finish(SKIP, "without a registration, %s of page %ld allocated %zu page(s): no large folio to test (%s huge=%s, %s)",
			       actions[opt.action].text, opt.fill_page, ctl,
			       opt.memfd ? "memfd" : "tmpfs", opt.huge, size);
	}
	ret = registered_run(&o);
	if (ret == BROKEN)
		finish(BROKEN, "%s of page %ld%s allocated %zu page(s) and filled registered holes (%s%s); touching page %ld through the MISSING-registered mapping raised no fault",
		       actions[opt.action].text, opt.fill_page, via(), o.alloc,
		       o.filled[0] ? "now data: pages " :
		       "allocated but not uptodate, so SEEK_DATA still sees holes",
		       o.filled, opt.touch_page);
	if (opt.control)
		snprintf(size, sizeof(size), " (%zu without a registration)", ctl);
	else
		size[0] = 0;
	finish(KEPT, "%s of page %ld allocated %zu page(s)%s; touching page %ld through the MISSING-registered mapping raised its fault",
	       actions[opt.action].text, opt.fill_page, o.alloc, size, opt.touch_page);
}
