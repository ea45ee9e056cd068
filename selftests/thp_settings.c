// SPDX-License-Identifier: GPL-2.0
/*
 * THP sysfs settings and their ownership; see thp_settings.h for the
 * protocol.  Everything on a restore path is async-signal-safe: it runs
 * from signal handlers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "thp_settings.h"

#define THP_LOCK_FILE THP_STATE_DIR "/thp.lock"
#define THP_STATE_FILE THP_STATE_DIR "/thp.state"

/* Every per-size directory's two knobs are added at save time. */
static const char * const knobs[] = {
	"enabled",
	"defrag",
	"shmem_enabled",
	"use_zero_page",
	"khugepaged/defrag",
	"khugepaged/max_ptes_none",
	"khugepaged/max_ptes_swap",
	"khugepaged/max_ptes_shared",
	"khugepaged/pages_to_scan",
	"khugepaged/scan_sleep_millisecs",
	"khugepaged/alloc_sleep_millisecs",
};

#define MAX_SAVED 64
#define VAL_LEN 64
#define PATH_LEN 128
#define STATE_MAX 16384

struct saved_knob {
	char path[PATH_LEN];
	char value[VAL_LEN];
};

static struct saved_knob saved[MAX_SAVED];
static int nr_saved;
static pid_t saver_pid;		/* whose snapshot saved[] is */
static pid_t owner_pid;		/* the run's top-level owner: lock and state file */
static int lock_fd = -1;	/* inherited by children: they are the same run */
static bool guards_installed;

/* Set around fork() in the prepare handler; read in the child. */
static pid_t fork_parent;
static bool fork_from_main;
static bool spawning;

bool thp_available(void)
{
	return access(THP_SYSFS "/enabled", R_OK) == 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/* Only async-signal-safe calls: this runs from the signal guard. */
static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void selected_word(char *buf)
{
	char *l = strchr(buf, '['), *r;

	if (!l)
		return;
	r = strchr(l, ']');
	if (!r)
		return;
	*r = 0;
	memmove(buf, l + 1, r - l);
}

int thp_read(const char *knob, char *buf, size_t len)
{
	char path[160];
	int ret;

	snprintf(path, sizeof(path), THP_SYSFS "/%s", knob);
	ret = read_file(path, buf, len);
	if (!ret)
		selected_word(buf);
	return ret;
}

int thp_write(const char *knob, const char *value)
{
	char path[160];

	snprintf(path, sizeof(path), THP_SYSFS "/%s", knob);
	return write_file(path, value);
}

size_t thp_pmd_size(void)
{
	char buf[32];

	if (read_file(THP_SYSFS "/hpage_pmd_size", buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 0);
}

int thp_pmd_order(void)
{
	size_t ps = getpagesize(), pmd = thp_pmd_size();

	if (!pmd || pmd % ps || (pmd / ps) & (pmd / ps - 1))
		return -ENOENT;
	return __builtin_ctzl(pmd / ps);
}

static void save_one(const char *knob)
{
	struct saved_knob *s;

	if (nr_saved >= MAX_SAVED)
		return;
	s = &saved[nr_saved];
	if (thp_read(knob, s->value, sizeof(s->value)))
		return;	/* absent on this kernel: nothing to restore */
	snprintf(s->path, sizeof(s->path), THP_SYSFS "/%s", knob);
	nr_saved++;
}

/* The fixed knobs, then each hugepages-<size>kB/ directory's two (6.8+). */
static void save_all(void)
{
	char knob[300];
	struct dirent *de;
	size_t i;
	DIR *d;

	nr_saved = 0;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		save_one(knobs[i]);
	d = opendir(THP_SYSFS);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "hugepages-", 10) || strlen(de->d_name) > 40)
			continue;
		snprintf(knob, sizeof(knob), "%s/enabled", de->d_name);
		save_one(knob);
		snprintf(knob, sizeof(knob), "%s/shmem_enabled", de->d_name);
		save_one(knob);
	}
	if (d)
		closedir(d);
}

void thp_restore(void)
{
	int i;

	/* Forked children inherit the guards; only the saver restores. */
	if (!saver_pid || getpid() != saver_pid)
		return;
	for (i = 0; i < nr_saved; i++)
		write_file(saved[i].path, saved[i].value);
	if (getpid() == owner_pid)
		unlink(THP_STATE_FILE);
}

static void guard_signal(int sig)
{
	sigset_t set;

	thp_restore();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

/* Every signal whose default action ends the process and that can be caught. */
static void install_guards(void)
{
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE,
		SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU,
		SIGXFSZ, SIGVTALRM, SIGPROF, SIGSYS, SIGIO,
	};
	size_t i;

	if (guards_installed)
		return;
	guards_installed = true;
	atexit(thp_restore);
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction old, sa = { .sa_handler = guard_signal };

		/* A handler the program set before us stays its own. */
		if (sigaction(sigs[i], NULL, &old) || old.sa_handler != SIG_DFL)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

static void atfork_prepare(void)
{
	fork_parent = getpid();
	fork_from_main = syscall(SYS_gettid) == fork_parent;
}

/*
 * A child forked from a main thread dies with its parent, so no test child
 * (or its children) goes on changing the settings after a run was killed.
 * Children forked from other threads keep the default: a thread's exit
 * would kill them.
 */
static void atfork_child(void)
{
	if (!fork_from_main || spawning)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != fork_parent)
		raise(SIGKILL);
}

/*
 * Restore what a dead owner's state file holds, then remove it.  Call
 * with the lock held.  Returns the number of knobs written, or -errno.
 */
static int recover_locked(long *dead_pid)
{
	char buf[STATE_MAX], *line, *save, *val;
	int fd, n = 0;
	ssize_t len;

	*dead_pid = 0;
	fd = open(THP_STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (!strncmp(line, "pid ", 4)) {
			*dead_pid = strtol(line + 4, NULL, 10);
			continue;
		}
		val = strchr(line, ' ');
		if (!val)
			continue;
		*val++ = 0;
		/* Only THP knobs, only plain words: the file is under /run, but check. */
		if (strncmp(line, THP_SYSFS "/", sizeof(THP_SYSFS)) || strstr(line, "..") ||
		    !*val || strlen(val) >= VAL_LEN || strpbrk(val, " \t"))
			continue;
		if (!write_file(line, val))
			n++;
	}
	unlink(THP_STATE_FILE);
	return n;
}

static int write_state(void)
{
	static const char tmp[] = THP_STATE_FILE ".tmp";
	FILE *f;
	int i;

	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# uffd-collapse-suite: THP sysfs as it was before pid %d changed it\n"
		"# (restored by the next run of any suite program, or scripts/thp-restore)\n"
		"pid %d\n", getpid(), getpid());
	for (i = 0; i < nr_saved; i++)
		fprintf(f, "%s %s\n", saved[i].path, saved[i].value);
	if (fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, THP_STATE_FILE)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

static int open_lock(void)
{
	int fd;

	/* A minimal initramfs may have no /run yet. */
	mkdir("/run", 0755);
	if (mkdir(THP_STATE_DIR, 0755) && errno != EEXIST)
		return -errno;
	fd = open(THP_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	return fd < 0 ? -errno : fd;
}

long thp_lock_holder(void)
{
	char buf[32];

	if (read_file(THP_LOCK_FILE, buf, sizeof(buf)))
		return 0;
	return strtol(buf, NULL, 10);
}

bool thp_owned(void)
{
	return lock_fd >= 0;
}

/* Bounded: poll the lock, say once who holds it. */
static int take_lock(unsigned int wait_s)
{
	unsigned long waited_ms = 0;
	char pid[24];
	int fd = open_lock();

	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (!waited_ms)
			fprintf(stderr, "# THP settings are held by pid %ld (another run of this suite): waiting up to %u s\n",
				thp_lock_holder(), wait_s);
		if (waited_ms >= wait_s * 1000UL) {
			close(fd);
			return -EBUSY;
		}
		usleep(100000);
		waited_ms += 100;
	}
	if (waited_ms)
		fprintf(stderr, "# THP settings are ours after %lu s\n", waited_ms / 1000);
	/* The holder's pid, for the messages of whoever waits. */
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (!ftruncate(fd, 0) && pwrite(fd, pid, strlen(pid), 0) < 0)
		pid[0] = 0;
	lock_fd = fd;
	return 0;
}

/*
 * The supervisor: a grandchild of the owner in a session of its own, so it
 * outlives a SIGKILL of the owner (or of its process group).  It waits for
 * the lock, free once every process of the run is gone, restores whatever
 * the run left in the state file, and exits.
 */
static void supervise(pid_t owner)
{
	long dead;
	int fd, n;

	/* The inherited lock fd shares the owner's lock: never keep it. */
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	setsid();
	prctl(PR_SET_PDEATHSIG, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	fd = open_lock();
	if (fd < 0 || flock(fd, LOCK_EX))
		_exit(1);
	n = recover_locked(&dead);
	if (n > 0)
		fprintf(stderr, "uffd-collapse-suite: pid %d ended without restoring THP settings; restored %d knobs from %s\n",
			owner, n, THP_STATE_FILE);
	_exit(0);
}

static void spawn_supervisor(void)
{
	pid_t owner = getpid(), mid;

	fflush(NULL);
	spawning = true;
	mid = fork();
	if (!mid) {
		if (fork() == 0)
			supervise(owner);
		_exit(0);
	}
	spawning = false;
	if (mid > 0)
		waitpid(mid, NULL, 0);
}

int thp_save_wait(unsigned int lock_wait_s)
{
	static bool atfork_registered;
	long dead;
	int ret;

	if (!thp_available())
		return -ENOENT;
	if (saver_pid == getpid())
		return 0;
	if (lock_fd >= 0) {
		/* A forked child of the run: a nested snapshot in memory. */
		save_all();
		saver_pid = getpid();
		install_guards();
		return 0;
	}
	ret = take_lock(lock_wait_s);
	if (ret)
		return ret;
	ret = recover_locked(&dead);
	if (ret > 0)
		fprintf(stderr, "# restored %d THP settings that pid %ld (killed?) left changed\n",
			ret, dead);
	save_all();
	ret = write_state();
	if (ret) {
		close(lock_fd);
		lock_fd = -1;
		return ret;
	}
	saver_pid = owner_pid = getpid();
	spawn_supervisor();
	if (!atfork_registered) {
		atfork_registered = true;
		pthread_atfork(atfork_prepare, NULL, atfork_child);
	}
	install_guards();
	return 0;
}

int thp_save(void)
{
	return thp_save_wait(THP_LOCK_WAIT_S);
}
