// SPDX-License-Identifier: GPL-2.0
/* khugepaged control: fast scanning and scan counting, see khugepaged_ctl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <time.h>

#include "khugepaged_ctl.h"
#include "thp_knobs.h"
#include "thp_settings.h"
#include "util.h"

void khugepaged_fast_settings(struct thp_settings *settings)
{
	struct khugepaged_settings *k = &settings->khugepaged;

	k->defrag = true;
	k->max_ptes_none = 511;
	k->pages_to_scan = 8192;
	k->alloc_sleep_millisecs = 10;
	k->scan_sleep_millisecs = 10;
}

int khugepaged_fast(void)
{
	struct thp_settings settings;
	int ret = thp_read_settings(&settings);

	if (ret)
		return ret;
	khugepaged_fast_settings(&settings);
	ret = thp_write_settings(&settings);
	return ret < 0 ? ret : 0;
}

int khugepaged_enlist(void)
{
	static pid_t done_in;
	size_t pmd = thp_pmd_size();
	char *ticket;

	if (done_in == getpid())
		return 0;
	if (!pmd)
		return -ENOENT;
	ticket = mmap(NULL, 2 * pmd, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ticket == MAP_FAILED)
		return -errno;
	if (madvise(ticket, 2 * pmd, MADV_HUGEPAGE))
		return -errno;
	ticket[0] = 1;
	done_in = getpid();
	return 0;
}

long khugepaged_counter(const char *name)
{
	char knob[64], buf[32];
	int ret;

	snprintf(knob, sizeof(knob), "khugepaged/%s", name);
	ret = thp_read(knob, buf, sizeof(buf));
	if (ret)
		return ret;
	return strtol(buf, NULL, 10);
}

int khugepaged_kick(unsigned int scan_sleep_ms)
{
	char ms[16];

	snprintf(ms, sizeof(ms), "%u", scan_sleep_ms);
	return thp_write("khugepaged/scan_sleep_millisecs", ms);
}

long thp_vmstat(const char *name)
{
	char line[128], key[64];
	long value = -ENOENT, v;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name)) {
			value = v;
			break;
		}
	fclose(f);
	return value;
}

long thp_size_stat(unsigned int order, const char *name)
{
	char knob[96], buf[32];
	int ret;

	snprintf(knob, sizeof(knob), "hugepages-%lukB/stats/%s",
		 ((unsigned long)getpagesize() >> 10) << order, name);
	ret = thp_read(knob, buf, sizeof(buf));
	return ret ? ret : strtol(buf, NULL, 10);
}

bool thp_shmem_size_offered(unsigned int order)
{
	char knob[96], buf[32];

	snprintf(knob, sizeof(knob), "hugepages-%lukB/shmem_enabled",
		 ((unsigned long)getpagesize() >> 10) << order);
	return !thp_read(knob, buf, sizeof(buf));
}

int thp_shmem_size_set(unsigned int order, const char *policy)
{
	char knob[96];

	snprintf(knob, sizeof(knob), "hugepages-%lukB/shmem_enabled",
		 ((unsigned long)getpagesize() >> 10) << order);
	return thp_write(knob, policy);
}

int khugepaged_wait_scans(long since, long n, unsigned int timeout_ms)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	long long deadline = mono_ns() + timeout_ms * (NSEC_PER_SEC / 1000);

	do {
		if (khugepaged_counter("full_scans") >= since + n)
			return 0;
		nanosleep(&ts, NULL);
	} while (mono_ns() < deadline);
	return -ETIMEDOUT;
}
