// SPDX-License-Identifier: GPL-2.0
/*
 * A finding as a standalone C program: the sequence as a table, one
 * commented line per operation, followed by the fuzzer's own executor,
 * model and replay code (fz_repro_lib, embedded at build time), so the
 * reproducer judges the kernel exactly as the fuzzer did.
 */
#include <stdio.h>

#include "fz.h"

static bool uses_uring(const struct fz_op *ops, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ops[i].kind == OP_TOUCH && ops[i].sub == VIA_URING)
			return true;
	return false;
}

/* For the header comment: printable, and no "*" "/" to end it early. */
static void comment_safe(const char *in, char *out, size_t len)
{
	size_t i, k = 0;

	for (i = 0; in[i] && k + 2 < len; i++) {
		out[k++] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
		if (in[i] == '*' && in[i + 1] == '/')
			out[k++] = ' ';
	}
	out[k] = 0;
}

int fz_repro_write(FILE *f, const struct fz_op *ops, unsigned int n,
		   const struct fz_finding *fd, uint64_t seed)
{
	bool uring = uses_uring(ops, n);
	char d[160], why[2 * sizeof(fd->why)];
	unsigned int i;

	comment_safe(fd->why, why, sizeof(why));
	fprintf(f, "// SPDX-License-Identifier: GPL-2.0\n/*\n"
		" * Reproducer written by uffd_collapse_fuzz (seed 0x%llx).\n"
		" * Finding: %s at operation %d: %s\n *\n"
		" * The sequence (file pages of 4 KiB; slots are shared mappings):\n",
		(unsigned long long)seed, fz_verdict_name(fd->kind), fd->op, why);
	for (i = 0; i < n; i++) {
		fz_op_format(&ops[i], d, sizeof(d));
		fprintf(f, " *   %2u: %s\n", i, d);
	}
	fprintf(f, " *\n * Build: cc -static -O2 -pthread%s -o repro repro.c%s\n"
		" * Run as root: exit 1 = the kernel broke the userfaultfd MISSING\n"
		" * contract, 0 = it kept it in 5 runs, 4 = cannot test here.\n"
		" * Known gaps (fill-on-alloc, seek-flicker): %s.\n */\n",
		uring ? " -DFZ_HAVE_LIBURING" : "", uring ? " -luring" : "",
		fz_verdict_known_gap(fd->kind) ? "this one is the finding: it fails" :
		"counted, not failed, unless UFFDC_STRICT=1");
	fputs(fz_repro_lib, f);
	fprintf(f, "\nstatic const struct fz_op repro_ops[] = {\n");
	for (i = 0; i < n; i++) {
		const struct fz_op *o = &ops[i];

		fz_op_format(o, d, sizeof(d));
		fprintf(f, "\t/* %u: %s */\n\t{ .kind = %s, .actor = %u, .async = %u, .slot = %u, "
			".file = %u, .sub = %u, .arg = %u, .page = %u, .npages = %u, .gen = %u },\n",
			i, d, fz_op_desc[o->kind < OP_NR_KINDS ? o->kind : 0].id, o->actor,
			o->async, o->slot, o->file, o->sub, o->arg, o->page, o->npages, o->gen);
	}
	/* a known gap's reproducer fails on it; any other, with $UFFDC_STRICT=1 */
	fprintf(f, "};\n\nint main(void)\n{\n"
		"\treturn fz_replay(repro_ops, sizeof(repro_ops) / sizeof(repro_ops[0]), 5, true,\n"
		"\t\t\t %s);\n"
		"}\n", fz_verdict_known_gap(fd->kind) ? "true" : "suite_strict()");
	return ferror(f) ? -1 : 0;
}
