// SPDX-License-Identifier: GPL-2.0
/*
 * The shared leaf utilities: see util.h.  Number parsing uses no locale,
 * no strtoull() (which takes a sign, leading blanks and octal), and
 * strtod() only on strings already known to be plain decimal notation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned int base = 10;
	bool overflow = false;
	uint64_t v = 0;
	int d;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -EINVAL;
	}
	for (; *s; s++) {
		d = digit_value(*s);
		if (d >= (int)base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	if (overflow || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * [-+]digits[.[digits]] or [-+].digits, then an optional exponent
 * e[-+]digits: what strtod() reads in the C locale, minus its blanks,
 * hex floats, "nan" and "inf".
 */
static bool decimal_notation(const char *s)
{
	size_t mant = 0;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		mant++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			mant++;
		}
	}
	if (!mant)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !decimal_notation(s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end)
		return -EINVAL;
	/* ERANGE: too big, or so small that it lost its precision */
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_seed(const char *s, uint64_t *out)
{
	return parse_u64(s, 0, UINT64_MAX, out);
}

int env_seed(uint64_t *seed)
{
	const char *env = getenv("UFFDC_SEED");

	if (!env || !*env)
		return -ENOENT;
	return parse_seed(env, seed);
}

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

struct timespec ns_to_timespec(int64_t ns)
{
	if (ns < 0)
		ns = 0;
	return (struct timespec){ .tv_sec = ns / NSEC_PER_SEC,
				  .tv_nsec = ns % NSEC_PER_SEC };
}

bool system_has_swap(void)
{
	char line[256];
	FILE *f = fopen("/proc/swaps", "r");
	int lines = 0;

	if (!f)
		return false;	/* no /proc/swaps: CONFIG_SWAP=n */
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;
}

/* Linux 6.5; the same number on every architecture. */
#ifndef __NR_cachestat
#define __NR_cachestat	451
#endif

/* include/uapi/linux/mman.h's, under names of our own (older headers lack them) */
struct uffdc_cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct uffdc_cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;		/* shmem: swap entries in the page cache */
	uint64_t nr_recently_evicted;
};

long shmem_swapped_pages(int fd, uint64_t first, uint64_t n)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct uffdc_cachestat_range r = { first * ps, n * ps };
	struct uffdc_cachestat cs = { 0 };

	if (syscall(__NR_cachestat, fd, &r, &cs, 0))
		return -errno;
	return (long)cs.nr_evicted;
}

static int uffd_raw_open(enum uffd_how how)
{
	int dev, fd;

	if (how == UFFD_VIA_SYSCALL) {
		fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		return fd < 0 ? -errno : fd;
	}
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = -errno;
	close(dev);
	return fd;
}

int uffd_open(enum uffd_how how, uint64_t want, uint64_t *got)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd, ret;

	/* UFFDIO_API works once per fd: ask what exists on a scratch fd. */
	fd = uffd_raw_open(how);
	if (fd < 0)
		return fd;
	if (ioctl(fd, UFFDIO_API, &api)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	close(fd);

	fd = uffd_raw_open(how);
	if (fd < 0)
		return fd;
	api.api = UFFD_API;
	api.features = want & api.features;
	if (ioctl(fd, UFFDIO_API, &api)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (got)
		*got = api.features;
	return fd;
}
