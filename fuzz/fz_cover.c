// SPDX-License-Identifier: GPL-2.0
/*
 * Coverage of the search: what the sequences made the kernel do, counted
 * from the records.  A fuzzer that never got a collapse in while a range
 * was registered has searched nothing that matters, and must say so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fz.h"

static const char * const via_names[VIA_NR] = { "user", "syscall", "pvm", "io_uring" };
static const char * const numa_names[NUMA_NR] = {
	"mbind", "set_mempolicy", "move_pages", "migrate_pages",
};
static const char * const cr_names[CR_NR] = {
	"filled", "ok-holes-left", "EINVAL", "EAGAIN", "EBUSY", "other",
};

static bool pmd_registered(const struct fz_struct *s, int file, int pmd)
{
	int i;

	for (i = pmd * FZ_PMD_PAGES; i < (pmd + 1) * FZ_PMD_PAGES; i++)
		if (fz_struct_missing(s, file, i))
			return true;
	return false;
}

static enum fz_collapse_result collapse_result(const struct fz_obs *ob)
{
	if (ob->val == FZ_PMD_PAGES)
		return CR_FILLED;
	switch (ob->ret) {
	case 0:
		return CR_OK_HOLES;
	case -EINVAL:
		return CR_EINVAL;
	case -EAGAIN:
		return CR_EAGAIN;
	case -EBUSY:
		return CR_EBUSY;
	default:
		return CR_OTHER;
	}
}

void fz_cover(const struct fz_record *r, struct fz_cov *c)
{
	/* an asynchronous collapse not joined yet, per file; walks that ran meanwhile */
	bool pending[FZ_FILES] = { false }, overlap[FZ_MAX_OPS] = { false };
	struct fz_struct s;
	unsigned int i;

	c->execs++;
	fz_struct_init(&s);
	for (i = 0; i < r->nops; i++) {
		struct fz_op op = r->op[i];
		const struct fz_obs *ob = &r->obs[i];

		if (!ob->done)
			break;
		if (ob->nop || !fz_struct_applies(&s, &op)) {
			c->nops++;
			continue;
		}
		c->ops++;
		c->kind[op.kind]++;
		if (ob->ret < 0)
			c->kind_err[op.kind]++;
		if (op.async)
			c->async_ops++;
		if (op.actor == 2)
			c->child_ops++;
		if (op.actor == 1)
			c->worker_ops++;
		if (op.kind == OP_TOUCH && !ob->ret)
			c->via[op.sub]++;
		if (op.kind == OP_TOUCH && !ob->ret && !ob->sigbus && (op.arg & FZ_TOUCH_STORE) &&
		    op.page >= s.size[s.slot[fz_proc_of(op.actor)][op.slot].file])
			c->stores_past_eof++;
		if (op.kind == OP_PROBE && !ob->ret)
			c->probe[op.sub]++;
		if (op.kind == OP_PROBE)
			overlap[i] = pending[op.file];
		if (op.kind == OP_MADVISE && op.sub == ADV_COLLAPSE && op.async)
			pending[s.slot[fz_proc_of(op.actor)][op.slot].file] = true;
		if (op.kind == OP_JOIN)
			memset(pending, 0, sizeof(pending));
		if (op.kind == OP_NUMA && ob->ret >= 0)
			c->numa[op.sub]++;
		if (op.kind == OP_MTHP && !ob->ret && op.arg != FZ_MTHP_NEVER &&
		    op.sub < FZ_MTHP_ORDERS)
			c->mthp_set[op.sub]++;
		if (op.kind == OP_TOUCH && (ob->pmd_full & FZ_FULL_MTHP) &&
		    s.mthp_order < FZ_MTHP_ORDERS)
			c->mthp_full[s.mthp_order]++;
		if (op.kind == OP_PAGEOUT) {
			c->pageout_noswap += ob->val == FZ_PAGEOUT_NO_SWAP;
			c->swapped_out += ob->swapped;
		}
		/* collapse_file() swaps the range's swapped pages in (max_ptes_swap is khugepaged's) */
		if (op.kind == OP_MADVISE && op.sub == ADV_COLLAPSE && !ob->ret && ob->swapped) {
			c->collapse_swapin++;
			c->collapse_swapin_pages += ob->swapped;
		}
		if (op.kind == OP_MADVISE && op.sub == ADV_COLLAPSE) {
			int file = s.slot[fz_proc_of(op.actor)][op.slot].file;

			c->collapse[collapse_result(ob)][pmd_registered(&s, file,
							op.page / FZ_PMD_PAGES)]++;
		}
		fz_struct_advance(&s, &op, ob);
	}
	for (i = 0; i < r->nwalks && i < FZ_MAX_WALK_CALLS; i++) {
		c->walk_calls++;
		c->walk_changed += r->walk[i].ans[0] != r->walk[i].ans[1];
		c->walk_in_collapse += r->walk[i].op < FZ_MAX_OPS && overlap[r->walk[i].op];
	}
	for (i = 0; i < r->nfaults && i < FZ_MAX_FAULTS; i++) {
		if (r->fault[i].flags & FZ_FAULT_WP)
			c->faults_wp++;
		else if (r->fault[i].flags & FZ_FAULT_MINOR)
			c->faults_minor++;
		else
			c->faults_missing++;
	}
}

void fz_cov_print(FILE *f, const struct fz_cov *c, const struct fz_exec_stats *st)
{
	unsigned int k, reg;

	fprintf(f, "# coverage: %llu sequences, %llu operations run, %llu no-ops\n",
		(unsigned long long)c->execs, (unsigned long long)c->ops,
		(unsigned long long)c->nops);
	fprintf(f, "# ops:");
	for (k = 1; k < OP_NR_KINDS; k++)
		fprintf(f, " %s=%llu(%llu err)", fz_kind_name(k),
			(unsigned long long)c->kind[k], (unsigned long long)c->kind_err[k]);
	fprintf(f, "\n# actors: worker-thread=%llu child=%llu async=%llu\n",
		(unsigned long long)c->worker_ops, (unsigned long long)c->child_ops,
		(unsigned long long)c->async_ops);
	fprintf(f, "# probes:");
	for (k = 0; k < PRB_NR; k++)
		fprintf(f, " %s=%llu", fz_probe_desc[k].name, (unsigned long long)c->probe[k]);
	fprintf(f, "\n# walk calls=%llu (during an unjoined MADV_COLLAPSE=%llu), answered otherwise when asked again=%llu\n",
		(unsigned long long)c->walk_calls, (unsigned long long)c->walk_in_collapse,
		(unsigned long long)c->walk_changed);
	fprintf(f, "# touches done by:");
	for (k = 0; k < VIA_NR; k++)
		fprintf(f, " %s=%llu", via_names[k], (unsigned long long)c->via[k]);
	fprintf(f, "\n# numa ops done:");
	for (k = 0; k < NUMA_NR; k++)
		fprintf(f, " %s=%llu", numa_names[k], (unsigned long long)c->numa[k]);
	if (st)
		fprintf(f, " (nodes=%u, pages on the target node after move_pages=%u)\n# io_uring: %s, %u transfers; uffd MINOR/WP on shmem: %u of 2; khugepaged scans waited %u\n# uffd events read: FORK=%u REMAP=%u REMOVE=%u UNMAP=%u\n",
			st->numa_nodes, st->numa_pages_on_target,
			st->uring_ok ? "available" : "unavailable",
			st->uring_ops, st->uffd_features_ok, st->kh_scans,
			st->events[FZE_FORK], st->events[FZE_REMAP], st->events[FZE_REMOVE],
			st->events[FZE_UNMAP]);
	else
		fprintf(f, "\n");
	for (reg = 0; reg < 2; reg++) {
		fprintf(f, "# collapses %s a MISSING registration on the PMD:",
			reg ? "with" : "without");
		for (k = 0; k < CR_NR; k++)
			fprintf(f, " %s=%llu", cr_names[k], (unsigned long long)c->collapse[k][reg]);
		fprintf(f, "\n");
	}
	fprintf(f, "# shmem mTHP sizes allowed (mthp ops):");
	for (k = 1; k < FZ_MTHP_MAX_ORDER + 1; k++)
		fprintf(f, " %ukB=%llu", 4u << k, (unsigned long long)c->mthp_set[k]);
	fprintf(f, "\n# blocks of that size found filled right after a fault:");
	for (k = 1; k < FZ_MTHP_MAX_ORDER + 1; k++)
		fprintf(f, " %ukB=%llu", 4u << k, (unsigned long long)c->mthp_full[k]);
	if (st) {
		fprintf(f, "\n# shmem folios allocated during runs (hugepages-*/stats/shmem_alloc):");
		for (k = 1; k < FZ_MTHP_ORDERS; k++)
			fprintf(f, " %ukB=%u", 4u << k, st->shmem_alloc[k]);
	}
	fprintf(f, "\n");
	if (c->stores_past_eof)
		fprintf(f, "# note: %llu store(s) beyond EOF went through without SIGBUS (a PMD-mapped folio straddling i_size)\n",
			(unsigned long long)c->stores_past_eof);
	/* swap: the executor's view when stats are there, else what the pageouts said */
	if (st ? !st->swap_on : c->pageout_noswap && !c->swapped_out)
		fprintf(f, "# swap: off (no device in /proc/swaps): %llu pageout ops not asked\n",
			(unsigned long long)c->pageout_noswap);
	else
		fprintf(f, "# swap: on: %llu pageout ops, pages swapped out=%llu; MADV_COLLAPSE that swapped pages back in=%llu (pages=%llu)\n",
			(unsigned long long)c->kind[OP_PAGEOUT],
			(unsigned long long)c->swapped_out,
			(unsigned long long)c->collapse_swapin,
			(unsigned long long)c->collapse_swapin_pages);
	fprintf(f, "# faults: MISSING=%llu MINOR=%llu WP=%llu\n",
		(unsigned long long)c->faults_missing, (unsigned long long)c->faults_minor,
		(unsigned long long)c->faults_wp);
}
