// SPDX-License-Identifier: GPL-2.0
/*
 * The race stress's report (stress.h): collapse results by errno bucket,
 * the counters line the test logs, and the --json summary line.  Each
 * works on a snapshot of the counters (counters_snapshot()), so that the
 * numbers of one line agree with each other.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "oracle.h"
#include "stress.h"
#include "suite.h"

const char * const errs_names[ERRS_NR] = {
	"ok", "EBUSY", "EAGAIN", "EINVAL", "ENOMEM", "other",
};

int errs_bucket(int err)
{
	switch (err) {
	case 0: return ERRS_OK;
	case EBUSY: return ERRS_EBUSY;
	case EAGAIN: return ERRS_EAGAIN;
	case EINVAL: return ERRS_EINVAL;
	case ENOMEM: return ERRS_ENOMEM;
	}
	return ERRS_OTHER;
}

void counters_snapshot(const struct counters *c, struct counters *out)
{
	const uint64_t *from = (const uint64_t *)c;
	uint64_t *to = (uint64_t *)out;
	size_t i;

	static_assert(sizeof(*c) % sizeof(uint64_t) == 0, "struct counters: uint64_t only");
	for (i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		to[i] = counter_get(&from[i]);
}

void format_rates(char *buf, size_t len, const struct counters *c, double secs)
{
	snprintf(buf, len, "elapsed=%.2fs rounds/s=%.1f collapse attempts/s=%.0f", secs,
		 c->rounds / (secs ?: 1), c->collapse_tries / (secs ?: 1));
}

void format_counters(char *buf, size_t len, const struct counters *c)
{
	char res[160], past[64];
	int i, n = 0;
	size_t m;

	for (i = 0; i < ERRS_NR; i++)
		n += snprintf(res + n, sizeof(res) - n, "%s%s=%llu", i ? " " : "",
			      errs_names[i], (unsigned long long)c->collapse_res[i]);
	if (c->collapse_allocs_known)
		snprintf(past, sizeof(past), "%llu (%.0f%%)",
			 (unsigned long long)c->collapse_allocs,
			 100.0 * c->collapse_allocs / (c->collapse_tries ?: 1));
	else
		snprintf(past, sizeof(past), "unknown (no VM event counters)");
	m = snprintf(buf, len, "rounds=%llu collapses tried=%llu (%s) past the scan (thp_collapse_alloc)=%s khugepaged full scans=%llu ranges filled after collapse=%llu registrations=%llu probes=%llu walks=%llu rounds-with-registered-hole=%llu faults=%llu copies=%llu eexist=%llu writes=%llu touches=%llu pageouts=%llu swapped-out=%llu violations:",
		     (unsigned long long)c->rounds, (unsigned long long)c->collapse_tries, res,
		     past, (unsigned long long)c->khugepaged_scans,
		     (unsigned long long)c->ranges_filled,
		     (unsigned long long)c->registrations, (unsigned long long)c->probes,
		     (unsigned long long)c->walks,
		     (unsigned long long)c->holes_seen_registered,
		     (unsigned long long)c->faults, (unsigned long long)c->copies,
		     (unsigned long long)c->eexist, (unsigned long long)c->writes,
		     (unsigned long long)c->touches, (unsigned long long)c->pageouts,
		     (unsigned long long)c->swapped_out);
	/* Known gaps are counted, and said to be ignored unless strict. */
	for (i = 0; i < V_NR && m < len; i++)
		m += snprintf(buf + m, len - m, " %s=%llu%s", violation_name(i),
			      (unsigned long long)c->violations[i],
			      c->violations[i] && violation_known_gap(i) && !suite_strict() ?
			      " (known gap, ignored; UFFDC_STRICT=1 fails)" : "");
}

void write_json(const char *path, const char *test, uint64_t seed,
		const struct counters *c, bool test_failed)
{
	FILE *f;
	int i;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "{\"test\":\"%s\",\"seed\":%llu,\"failed\":%s,\"rounds\":%llu,"
		"\"collapse_tries\":%llu,\"collapse_results\":{",
		test, (unsigned long long)seed, test_failed ? "true" : "false",
		(unsigned long long)c->rounds, (unsigned long long)c->collapse_tries);
	for (i = 0; i < ERRS_NR; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", errs_names[i],
			(unsigned long long)c->collapse_res[i]);
	if (c->collapse_allocs_known)
		fprintf(f, "},\"collapse_allocs\":%llu,", (unsigned long long)c->collapse_allocs);
	else
		fprintf(f, "},\"collapse_allocs\":null,");
	fprintf(f, "\"khugepaged_scans\":%llu,"
		"\"ranges_filled\":%llu,\"registrations\":%llu,\"probes\":%llu,"
		"\"faults\":%llu,\"copies\":%llu,\"writes\":%llu,\"pageouts\":%llu,\"swapped_out\":%llu,\"violations\":{",
		(unsigned long long)c->khugepaged_scans, (unsigned long long)c->ranges_filled,
		(unsigned long long)c->registrations, (unsigned long long)c->probes,
		(unsigned long long)c->faults, (unsigned long long)c->copies,
		(unsigned long long)c->writes, (unsigned long long)c->pageouts,
		(unsigned long long)c->swapped_out);
	for (i = 0; i < V_NR; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", violation_name(i),
			(unsigned long long)c->violations[i]);
	fprintf(f, "}}\n");
	fclose(f);
}
