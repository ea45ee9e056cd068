// SPDX-License-Identifier: GPL-2.0
/*
 * Typed THP settings and their stack; see thp_knobs.h.  Each knob is
 * described once (its file, its kind, where it lives in the struct), and
 * reading, checking and writing all walk that one description.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thp_knobs.h"
#include "thp_settings.h"
#include "util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

enum ts_kind {
	TS_ENABLED,
	TS_DEFRAG,
	TS_SHMEM,
	TS_BOOL,
	TS_UINT,
	TS_ULONG,
};

struct ts_knob {
	char name[48];		/* relative to THP_SYSFS */
	enum ts_kind kind;
	size_t off;		/* of the field in struct thp_settings */
};

#define TS_FIELD(name, kind, field) { name, kind, offsetof(struct thp_settings, field) }

/* Then, by order, hugepages-<size>kB/enabled and hugepages-<size>kB/shmem_enabled. */
static const struct ts_knob ts_fixed[] = {
	TS_FIELD("enabled", TS_ENABLED, thp_enabled),
	TS_FIELD("defrag", TS_DEFRAG, thp_defrag),
	TS_FIELD("shmem_enabled", TS_SHMEM, shmem_enabled),
	TS_FIELD("use_zero_page", TS_BOOL, use_zero_page),
	TS_FIELD("khugepaged/defrag", TS_BOOL, khugepaged.defrag),
	TS_FIELD("khugepaged/alloc_sleep_millisecs", TS_UINT, khugepaged.alloc_sleep_millisecs),
	TS_FIELD("khugepaged/scan_sleep_millisecs", TS_UINT, khugepaged.scan_sleep_millisecs),
	TS_FIELD("khugepaged/max_ptes_none", TS_UINT, khugepaged.max_ptes_none),
	TS_FIELD("khugepaged/max_ptes_swap", TS_UINT, khugepaged.max_ptes_swap),
	TS_FIELD("khugepaged/max_ptes_shared", TS_UINT, khugepaged.max_ptes_shared),
	TS_FIELD("khugepaged/pages_to_scan", TS_ULONG, khugepaged.pages_to_scan),
};

static const char * const ts_enabled_words[] = {
	[THP_NEVER] = "never",
	[THP_ALWAYS] = "always",
	[THP_INHERIT] = "inherit",
	[THP_MADVISE] = "madvise",
};

static const char * const ts_defrag_words[] = {
	[THP_DEFRAG_ALWAYS] = "always",
	[THP_DEFRAG_DEFER] = "defer",
	[THP_DEFRAG_DEFER_MADVISE] = "defer+madvise",
	[THP_DEFRAG_MADVISE] = "madvise",
	[THP_DEFRAG_NEVER] = "never",
};

static const char * const ts_shmem_words[] = {
	[SHMEM_NEVER] = "never",
	[SHMEM_ALWAYS] = "always",
	[SHMEM_WITHIN_SIZE] = "within_size",
	[SHMEM_ADVISE] = "advise",
	[SHMEM_INHERIT] = "inherit",
	[SHMEM_DENY] = "deny",
	[SHMEM_FORCE] = "force",
};

/* The i-th knob into *k; false past the last. */
static bool ts_knob_at(unsigned int i, struct ts_knob *k)
{
	unsigned long kb = (unsigned long)getpagesize() >> 10;
	unsigned int order;
	bool shmem;

	if (i < ARRAY_SIZE(ts_fixed)) {
		*k = ts_fixed[i];
		return true;
	}
	i -= ARRAY_SIZE(ts_fixed);
	order = i / 2;
	shmem = i % 2;
	if (order >= NR_ORDERS)
		return false;
	snprintf(k->name, sizeof(k->name), "hugepages-%lukB/%s", kb << order,
		 shmem ? "shmem_enabled" : "enabled");
	if (shmem) {
		k->kind = TS_SHMEM;
		k->off = offsetof(struct thp_settings, shmem_hugepages) +
			 order * sizeof(struct shmem_hugepages_settings) +
			 offsetof(struct shmem_hugepages_settings, enabled);
	} else {
		k->kind = TS_ENABLED;
		k->off = offsetof(struct thp_settings, hugepages) +
			 order * sizeof(struct hugepages_settings) +
			 offsetof(struct hugepages_settings, enabled);
	}
	return true;
}

/* The words of a choice knob, NULL for a number. */
static const char * const *ts_words(enum ts_kind kind, size_t *n)
{
	switch (kind) {
	case TS_ENABLED:
		*n = ARRAY_SIZE(ts_enabled_words);
		return ts_enabled_words;
	case TS_DEFRAG:
		*n = ARRAY_SIZE(ts_defrag_words);
		return ts_defrag_words;
	case TS_SHMEM:
		*n = ARRAY_SIZE(ts_shmem_words);
		return ts_shmem_words;
	default:
		*n = 0;
		return NULL;
	}
}

static unsigned long ts_get(const struct thp_settings *s, const struct ts_knob *k)
{
	const char *p = (const char *)s + k->off;

	switch (k->kind) {
	case TS_ENABLED:
		return *(const enum thp_enabled *)p;
	case TS_DEFRAG:
		return *(const enum thp_defrag *)p;
	case TS_SHMEM:
		return *(const enum shmem_enabled *)p;
	case TS_BOOL:
		return *(const bool *)p;
	case TS_UINT:
		return *(const unsigned int *)p;
	default:
		return *(const unsigned long *)p;
	}
}

/* v is in range: ts_parse() checked it. */
static void ts_set(struct thp_settings *s, const struct ts_knob *k, unsigned long v)
{
	char *p = (char *)s + k->off;

	switch (k->kind) {
	case TS_ENABLED:
		*(enum thp_enabled *)p = v;
		break;
	case TS_DEFRAG:
		*(enum thp_defrag *)p = v;
		break;
	case TS_SHMEM:
		*(enum shmem_enabled *)p = v;
		break;
	case TS_BOOL:
		*(bool *)p = v;
		break;
	case TS_UINT:
		*(unsigned int *)p = v;
		break;
	default:
		*(unsigned long *)p = v;
		break;
	}
}

/* What sysfs says into s; -EINVAL for a word or number we do not know. */
static int ts_parse(struct thp_settings *s, const struct ts_knob *k, const char *text)
{
	static const unsigned long max[] = {
		[TS_BOOL] = 1, [TS_UINT] = UINT_MAX, [TS_ULONG] = ULONG_MAX,
	};
	const char * const *words;
	uint64_t v;
	size_t i, n;
	int ret;

	words = ts_words(k->kind, &n);
	if (words) {
		for (i = 0; i < n; i++) {
			if (!strcmp(text, words[i])) {
				ts_set(s, k, i);
				return 0;
			}
		}
		return -EINVAL;
	}
	ret = parse_u64(text, 0, max[k->kind], &v);
	if (ret)
		return -EINVAL;
	ts_set(s, k, v);
	return 0;
}

/* The text of the knob's value in s; -EINVAL when the value is no word. */
static int ts_format(const struct thp_settings *s, const struct ts_knob *k, char *buf, size_t len)
{
	unsigned long v = ts_get(s, k);
	const char * const *words;
	size_t n;

	words = ts_words(k->kind, &n);
	if (!words) {
		snprintf(buf, len, "%lu", v);
		return 0;
	}
	if (v >= n)
		return -EINVAL;
	snprintf(buf, len, "%s", words[v]);
	return 0;
}

int thp_read_settings(struct thp_settings *settings)
{
	struct thp_settings s;
	struct ts_knob k;
	char text[64];
	unsigned int i;
	int ret;

	if (!thp_available())
		return -ENOENT;
	/* Absent knobs stay never or 0; padding too, so that memcmp() works. */
	memset(&s, 0, sizeof(s));
	for (i = 0; ts_knob_at(i, &k); i++) {
		ret = thp_read(k.name, text, sizeof(text));
		if (ret == -ENOENT)
			continue;
		if (!ret)
			ret = ts_parse(&s, &k, text);
		if (ret)
			return ret;
	}
	*settings = s;
	return 0;
}

int thp_write_settings(const struct thp_settings *settings)
{
	char want[64], have[64];
	struct ts_knob k;
	unsigned int i;
	int ret, n = 0;

	if (!thp_available())
		return -ENOENT;
	for (i = 0; ts_knob_at(i, &k); i++)
		if (ts_format(settings, &k, want, sizeof(want)))
			return -EINVAL;
	for (i = 0; ts_knob_at(i, &k); i++) {
		ts_format(settings, &k, want, sizeof(want));
		ret = thp_read(k.name, have, sizeof(have));
		if (ret == -ENOENT)
			continue;
		if (ret)
			return ret;
		if (!strcmp(have, want))
			continue;
		ret = thp_write(k.name, want);
		if (ret)
			return ret;
		n++;
	}
	return n;
}

/* What each push wrote, and what it found there before. */
static struct {
	struct thp_settings pushed;
	struct thp_settings below;
} ts_stack[THP_SETTINGS_DEPTH];
static unsigned int ts_depth;

int thp_push_settings(const struct thp_settings *settings)
{
	int ret;

	if (!thp_owned())
		return -ENOLCK;
	if (ts_depth >= THP_SETTINGS_DEPTH)
		return -ENOSPC;
	ret = thp_read_settings(&ts_stack[ts_depth].below);
	if (ret)
		return ret;
	ts_stack[ts_depth].pushed = *settings;
	ret = thp_write_settings(settings);
	if (ret < 0) {
		/* Best effort: the caller hears of the first error. */
		thp_write_settings(&ts_stack[ts_depth].below);
		return ret;
	}
	ts_depth++;
	return 0;
}

int thp_pop_settings(void)
{
	int ret;

	if (!ts_depth)
		return -ENOENT;
	ts_depth--;
	ret = thp_write_settings(&ts_stack[ts_depth].below);
	return ret < 0 ? ret : 0;
}

struct thp_settings *thp_current_settings(void)
{
	return ts_depth ? &ts_stack[ts_depth - 1].pushed : NULL;
}

unsigned long thp_shmem_supported_orders(void)
{
	unsigned long kb = getpagesize() / 1024, orders = 0;
	char path[128];
	int order;

	for (order = 0; order < NR_ORDERS; order++) {
		snprintf(path, sizeof(path), THP_SYSFS "/hugepages-%lukB/shmem_enabled",
			 kb << order);
		if (!access(path, F_OK))
			orders |= 1UL << order;
	}
	return orders;
}
