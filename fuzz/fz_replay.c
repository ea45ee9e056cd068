// SPDX-License-Identifier: GPL-2.0
/*
 * The environment a sequence runs in (THP sysfs settings, saved and
 * restored) and a replay: run one sequence a few times in fresh processes
 * and judge each run.  The fuzzer's --replay and every generated reproducer
 * use this same code, so a reproducer fails exactly when the fuzzer would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fz.h"
#include "suite.h"
#include "thp_knobs.h"
#include "thp_settings.h"
#include "util.h"

/*
 * Returns 0, or a reason the kernel cannot run sequences (a SKIP).  The
 * settings stay pushed until the process exits, which restores them.
 */
const char *fz_env_setup(void)
{
	static bool pushed;
	struct thp_settings s;
	const char *why;
	int code, order;

	if (getpagesize() != 4096 || thp_pmd_size() != 512 * 4096)
		return "needs 4 KiB pages and 2 MiB PMD THP";
	why = suite_claim(&code);
	if (why)
		return why;
	if (pushed)
		return NULL;
	if (thp_read_settings(&s))
		return "cannot read THP sysfs settings";
	s.thp_enabled = THP_MADVISE;
	s.thp_defrag = THP_DEFRAG_MADVISE;
	s.shmem_enabled = SHMEM_ADVISE;
	s.khugepaged.max_ptes_none = 511;
	s.khugepaged.pages_to_scan = 4096;
	/* khugepaged runs between and during operations: the model allows it */
	s.khugepaged.scan_sleep_millisecs = 20;
	s.khugepaged.alloc_sleep_millisecs = 20;
	/* The PMD size follows the top-level knobs (6.8+ have per-size ones). */
	order = thp_pmd_order();
	if (order >= 0 && order < NR_ORDERS) {
		s.hugepages[order].enabled = THP_INHERIT;
		s.shmem_hugepages[order].enabled = SHMEM_INHERIT;
	}
	if (thp_push_settings(&s))
		return "cannot write THP sysfs settings";
	pushed = true;
	return NULL;
}

/*
 * Replays ops up to `runs` times; exit status for a reproducer: 1 when a
 * run broke the contract, 0 when none did, 4 when nothing could run.
 * Unless strict, a known gap (fill-on-alloc, seek-flicker) is counted and
 * said, not a failure.
 */
int fz_replay(const struct fz_op *ops, unsigned int n, unsigned int runs, bool verbose,
	      bool strict)
{
	struct fz_model_opts mo = { .mincore_hole_is_evidence = !system_has_swap(),
				    .strict = strict };
	struct fz_exec_opts eo = { .timeout_ms = 60000 };
	struct fz_record *r = fz_record_alloc();
	const char *why = fz_env_setup();
	unsigned int i, k, gaps = 0;
	int ret;

	if (!r || why) {
		printf("SKIP: %s\n", why ? why : "out of memory");
		return 4;
	}
	for (i = 0; i < runs; i++) {
		struct fz_finding fd;
		bool gap = false;

		ret = fz_run(r, ops, n, &eo);
		if (ret && ret != -ETIMEDOUT && ret != -ECHILD) {
			printf("SKIP: the sequence cannot run here: %s\n", strerror(-ret));
			return 4;
		}
		fd = fz_judge(r, &mo);
		for (k = 0; k < FV_NR; k++) {
			if (!fd.gap[k].n)
				continue;
			gap = true;
			printf("run %u: %s at op %d (ignored; UFFDC_STRICT=1 to fail): %s\n",
			       i + 1, fz_verdict_name(k), fd.gap[k].op, fd.gap[k].why);
		}
		gaps += gap;
		if (fd.kind == FV_NONE) {
			if (verbose && !gap)
				printf("run %u: the kernel kept the contract\n", i + 1);
			continue;
		}
		printf("VIOLATION %s in run %u at op %d: %s\n", fz_verdict_name(fd.kind), i + 1,
		       fd.op, fd.why);
		for (k = 0; k < r->nops && (int)k <= fd.op; k++) {
			char d[160];

			fz_op_format(&r->op[k], d, sizeof(d));
			printf("  %2u: %-60s ret %d%s\n", k, d, r->obs[k].ret,
			       r->obs[k].nop ? " (no-op)" : "");
		}
		for (k = 0; k < r->nevents && k < FZ_MAX_EVENTS; k++)
			if ((int)r->event[k].op <= fd.op)
				printf("  event during op %u: %s, process %u, pages %u %u %u\n",
				       r->event[k].op, fz_event_name(r->event[k].type),
				       r->event[k].proc, r->event[k].a, r->event[k].b, r->event[k].c);
		return 1;
	}
	if (gaps)
		printf("no violation in %u runs; a known gap in %u, ignored (UFFDC_STRICT=1)\n",
		       runs, gaps);
	else
		printf("no violation in %u runs\n", runs);
	return 0;
}
