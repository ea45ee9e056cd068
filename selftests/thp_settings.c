// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thp_settings.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* The PMD-size per-size knobs are added at save time (their name has the size). */
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

#define MAX_SAVED 16
#define VAL_LEN 64

struct saved_knob {
	char path[128];
	char value[VAL_LEN];
};

static struct saved_knob saved[MAX_SAVED];
static int nr_saved;
static pid_t saver_pid;

bool thp_available(void)
{
	return access(THP_SYSFS "/enabled", R_OK) == 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

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
	int fd = open(path, O_WRONLY);
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

int thp_apply(const char * const *pairs)
{
	int ret;

	for (; pairs[0]; pairs += 2) {
		ret = thp_write(pairs[0], pairs[1]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Per-size controls (6.8+): let the PMD size follow the top-level knobs. */
void thp_pmd_follow_top(void)
{
	char knob[64];

	snprintf(knob, sizeof(knob), "hugepages-%zukB/shmem_enabled", thp_pmd_size() >> 10);
	thp_write(knob, "inherit");
	snprintf(knob, sizeof(knob), "hugepages-%zukB/enabled", thp_pmd_size() >> 10);
	thp_write(knob, "inherit");
}

size_t thp_pmd_size(void)
{
	char buf[32];

	if (read_file(THP_SYSFS "/hpage_pmd_size", buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 0);
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

void thp_restore(void)
{
	int i;

	/* Forked test children inherit the guard; only the saver restores. */
	if (!saver_pid || getpid() != saver_pid)
		return;
	for (i = 0; i < nr_saved; i++)
		write_file(saved[i].path, saved[i].value);
}

static void guard_signal(int sig)
{
	thp_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int thp_save(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	char knob[64];
	size_t i;

	if (!thp_available())
		return -ENOENT;
	/* A forked child may become a saver of its own. */
	if (saver_pid == getpid())
		return 0;
	nr_saved = 0;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		save_one(knobs[i]);
	snprintf(knob, sizeof(knob), "hugepages-%zukB/enabled", thp_pmd_size() >> 10);
	save_one(knob);
	snprintf(knob, sizeof(knob), "hugepages-%zukB/shmem_enabled", thp_pmd_size() >> 10);
	save_one(knob);
	saver_pid = getpid();
	atexit(thp_restore);
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction sa = { .sa_handler = guard_signal };

		sigaction(sigs[i], &sa, NULL);
	}
	return 0;
}
