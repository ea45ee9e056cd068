// SPDX-License-Identifier: GPL-2.0
/*
 * Operations: their names, their text form (one per line in a sequence
 * file, replayable), and the structural state that decides which of them
 * apply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"

static const char * const op_kind_names[OP_NR_KINDS] = {
	[OP_NOP] = "nop",
	[OP_MMAP] = "mmap",
	[OP_MUNMAP] = "munmap",
	[OP_MREMAP] = "mremap",
	[OP_MADVISE] = "madvise",
	[OP_FALLOCATE] = "fallocate",
	[OP_FTRUNCATE] = "ftruncate",
	[OP_PWRITE] = "pwrite",
	[OP_PREAD] = "pread",
	[OP_TOUCH] = "touch",
	[OP_REGISTER] = "register",
	[OP_UNREGISTER] = "unregister",
	[OP_UFFDIO] = "uffdio",
	[OP_PROBE] = "probe",
	[OP_KHUGEPAGED] = "khugepaged",
	[OP_FORK] = "fork",
	[OP_NUMA] = "numa",
	[OP_JOIN] = "join",
};

static const char * const advice_names[ADV_NR] = {
	"MADV_HUGEPAGE", "MADV_NOHUGEPAGE", "MADV_COLLAPSE", "MADV_DONTNEED",
	"MADV_REMOVE", "MADV_PAGEOUT",
};
static const char * const via_names[VIA_NR] = {
	"user access", "read/write(2)", "process_vm_*v", "io_uring",
};
static const char * const uffdio_names[UIO_NR] = {
	"UFFDIO_COPY", "UFFDIO_ZEROPAGE", "UFFDIO_CONTINUE", "UFFDIO_WAKE",
};
static const char * const probe_names[PRB_NR] = {
	"SEEK_DATA", "SEEK_HOLE", "mincore",
};
static const char * const numa_names[NUMA_NR] = {
	"mbind", "set_mempolicy", "move_pages", "migrate_pages",
};

const char *fz_kind_name(enum fz_kind k)
{
	return k < OP_NR_KINDS ? op_kind_names[k] : "?";
}

static const char *pick(const char * const *names, unsigned int n, unsigned int i)
{
	return i < n ? names[i] : "?";
}

static void reg_modes(unsigned int m, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", m & FZ_REG_MISSING ? "MISSING " : "",
		 m & FZ_REG_WP ? "WP " : "", m & FZ_REG_MINOR ? "MINOR " : "");
	if (*buf)
		buf[strlen(buf) - 1] = 0;
}

void fz_op_format(const struct fz_op *op, char *buf, size_t len)
{
	char who[32], m[32];
	unsigned int last = op->page + (op->npages ? op->npages : 1) - 1;

	snprintf(who, sizeof(who), "%s%s", op->actor == 2 ? "child: " :
		 op->actor == 1 ? "thread: " : "", op->async ? "async " : "");
	switch (op->kind) {
	case OP_MMAP:
		snprintf(buf, len, "%smmap slot %u = file %u pages %u-%u", who,
			 op->slot, op->file, op->page, last);
		break;
	case OP_MUNMAP:
	case OP_MREMAP:
		snprintf(buf, len, "%s%s slot %u", who, fz_kind_name(op->kind), op->slot);
		break;
	case OP_MADVISE:
		snprintf(buf, len, "%s%s slot %u pages %u-%u", who,
			 pick(advice_names, ADV_NR, op->sub), op->slot, op->page, last);
		break;
	case OP_FALLOCATE:
		snprintf(buf, len, "%sfallocate %s file %u pages %u-%u", who,
			 op->sub == FALLOC_PUNCH ? "PUNCH_HOLE" : "allocate",
			 op->file, op->page, last);
		break;
	case OP_FTRUNCATE:
		snprintf(buf, len, "%sftruncate file %u to %u pages", who, op->file,
			 op->npages);
		break;
	case OP_PWRITE:
		snprintf(buf, len, "%spwrite file %u pages %u-%u gen %u", who,
			 op->file, op->page, last, op->gen);
		break;
	case OP_PREAD:
		snprintf(buf, len, "%spread file %u page %u", who, op->file, op->page);
		break;
	case OP_TOUCH:
		if (op->arg & FZ_TOUCH_STORE)
			snprintf(buf, len, "%sstore gen %u to slot %u page %u by %s%s",
				 who, op->gen, op->slot, op->page,
				 pick(via_names, VIA_NR, op->sub),
				 op->arg & FZ_TOUCH_ZEROPAGE ? ", faults by ZEROPAGE" : "");
		else if (op->arg & FZ_TOUCH_ZEROPAGE)
			snprintf(buf, len, "%sload slot %u page %u by %s (faults: ZEROPAGE)",
				 who, op->slot, op->page, pick(via_names, VIA_NR, op->sub));
		else
			snprintf(buf, len, "%sload slot %u page %u by %s (faults: COPY gen %u)",
				 who, op->slot, op->page, pick(via_names, VIA_NR, op->sub), op->gen);
		break;
	case OP_REGISTER:
		reg_modes(op->sub, m, sizeof(m));
		snprintf(buf, len, "%sUFFDIO_REGISTER %s slot %u pages %u-%u", who,
			 m, op->slot, op->page, last);
		break;
	case OP_UNREGISTER:
		snprintf(buf, len, "%sUFFDIO_UNREGISTER slot %u pages %u-%u", who,
			 op->slot, op->page, last);
		break;
	case OP_UFFDIO:
		snprintf(buf, len, "%s%s slot %u page %u gen %u", who,
			 pick(uffdio_names, UIO_NR, op->sub), op->slot, op->page, op->gen);
		break;
	case OP_PROBE:
		if (op->sub == PRB_MINCORE)
			snprintf(buf, len, "%smincore slot %u pages %u-%u", who,
				 op->slot, op->page, last);
		else
			snprintf(buf, len, "%slseek %s file %u from page %u", who,
				 pick(probe_names, PRB_NR, op->sub), op->file, op->page);
		break;
	case OP_NUMA:
		snprintf(buf, len, "%s%s slot %u pages %u-%u node %u", who,
			 pick(numa_names, NUMA_NR, op->sub), op->slot, op->page,
			 last, op->arg);
		break;
	default:
		snprintf(buf, len, "%s%s", who, fz_kind_name(op->kind));
	}
}

int fz_op_parse(const char *line, struct fz_op *op)
{
	char name[24];
	unsigned int v[10];
	int i;

	memset(op, 0, sizeof(*op));
	if (sscanf(line, "%23s a=%u y=%u s=%u f=%u u=%u r=%u p=%u n=%u g=%u",
		   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8]) != 10)
		return -EINVAL;
	for (i = 0; i < OP_NR_KINDS; i++)
		if (!strcmp(name, op_kind_names[i]))
			break;
	if (i == OP_NR_KINDS || v[0] >= FZ_ACTORS || v[2] >= FZ_SLOTS ||
	    v[3] >= FZ_FILES || v[6] > 0xffff || v[7] > 0xffff)
		return -EINVAL;
	op->kind = i;
	op->actor = v[0];
	op->async = !!v[1];
	op->slot = v[2];
	op->file = v[3];
	op->sub = v[4];
	op->arg = v[5];
	op->page = v[6];
	op->npages = v[7];
	op->gen = v[8];
	return 0;
}

int fz_seq_write(FILE *f, const struct fz_op *ops, unsigned int n)
{
	char human[160];
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct fz_op *o = &ops[i];

		fz_op_format(o, human, sizeof(human));
		fprintf(f, "%s a=%u y=%u s=%u f=%u u=%u r=%u p=%u n=%u g=%u\t# %u: %s\n",
			fz_kind_name(o->kind), o->actor, o->async, o->slot, o->file,
			o->sub, o->arg, o->page, o->npages, o->gen, i, human);
	}
	return ferror(f) ? -EIO : 0;
}

/* Blank lines and lines starting with '#' are comments. */
int fz_seq_read(FILE *f, struct fz_op *ops, unsigned int max)
{
	char line[512];
	unsigned int n = 0, lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (n == max || fz_op_parse(p, &ops[n])) {
			fprintf(stderr, "sequence line %u: cannot parse: %s", lineno, line);
			return -EINVAL;
		}
		n++;
	}
	return n;
}

void fz_struct_init(struct fz_struct *s)
{
	int f;

	memset(s, 0, sizeof(*s));
	for (f = 0; f < FZ_FILES; f++)
		s->size[f] = FZ_FILE_PAGES;
}

bool fz_slot_has(const struct fz_slot *sl, unsigned int page)
{
	return sl->mapped && page >= sl->first && page < sl->first + sl->npages;
}

bool fz_struct_missing(const struct fz_struct *s, unsigned int file, unsigned int page)
{
	int p, i;

	for (p = 0; p < FZ_PROCS; p++)
		for (i = 0; i < FZ_SLOTS; i++) {
			const struct fz_slot *sl = &s->slot[p][i];

			if (sl->file == file && fz_slot_has(sl, page) &&
			    (sl->reg[page] & FZ_REG_MISSING))
				return true;
		}
	return false;
}

static unsigned int clamp_len(unsigned int page, unsigned int n, unsigned int end,
			      unsigned int max)
{
	if (!n)
		n = 1;
	if (n > max)
		n = max;
	if (page + n > end)
		n = end - page;
	return n;
}

/* Operations that touch a slot's pages need the page inside the slot. */
static bool slot_range(const struct fz_struct *s, struct fz_op *op, unsigned int max)
{
	const struct fz_slot *sl = &s->slot[fz_proc_of(op->actor)][op->slot];

	if (!fz_slot_has(sl, op->page))
		return false;
	op->npages = clamp_len(op->page, op->npages, sl->first + sl->npages, max);
	return true;
}

bool fz_struct_applies(const struct fz_struct *s, struct fz_op *op)
{
	const struct fz_slot *sl;
	bool async_ok = false;

	if (op->kind == OP_NOP || op->kind >= OP_NR_KINDS)
		return false;
	if (op->slot >= FZ_SLOTS || op->file >= FZ_FILES || op->actor >= FZ_ACTORS)
		return false;
	if (op->actor == 2 && !s->child)
		return false;
	sl = &s->slot[fz_proc_of(op->actor)][op->slot];

	switch (op->kind) {
	case OP_MMAP:
		if (sl->mapped || op->page >= FZ_FILE_PAGES)
			return false;
		op->page -= op->page % FZ_PMD_PAGES;
		op->npages = op->npages > FZ_PMD_PAGES ? 2 * FZ_PMD_PAGES : FZ_PMD_PAGES;
		if (op->page + op->npages > FZ_FILE_PAGES)
			op->npages = FZ_FILE_PAGES - op->page;
		break;
	case OP_MUNMAP:
	case OP_MREMAP:
		if (!sl->mapped)
			return false;
		break;
	case OP_MADVISE:
		if (op->sub >= ADV_NR || !fz_slot_has(sl, op->page))
			return false;
		if (op->sub == ADV_COLLAPSE) {
			op->page -= op->page % FZ_PMD_PAGES;
			op->npages = FZ_PMD_PAGES;
			if (!fz_slot_has(sl, op->page) ||
			    !fz_slot_has(sl, op->page + FZ_PMD_PAGES - 1))
				return false;
			async_ok = true;
		} else if (op->sub == ADV_HUGEPAGE || op->sub == ADV_NOHUGEPAGE) {
			/* Whole slot: VM_HUGEPAGE is then a property of the slot. */
			op->page = sl->first;
			op->npages = sl->npages;
		} else {
			slot_range(s, op, 64);
		}
		break;
	case OP_REGISTER:
		if (!(op->sub & 7))
			return false;
		op->sub &= 7;
		return slot_range(s, op, FZ_FILE_PAGES) && !op->async;
	case OP_UNREGISTER:
		return slot_range(s, op, FZ_FILE_PAGES) && !op->async;
	case OP_TOUCH:
		if (op->sub >= VIA_NR)
			return false;
		/* fall through */
	case OP_UFFDIO:
		if (op->kind == OP_UFFDIO && op->sub >= UIO_NR)
			return false;
		op->npages = 1;
		return slot_range(s, op, 1) && !op->async;
	case OP_PROBE:
		if (op->sub >= PRB_NR)
			return false;
		if (op->sub == PRB_MINCORE)
			return slot_range(s, op, FZ_MINCORE_MAX) && !op->async;
		if (op->page >= FZ_FILE_PAGES)
			return false;
		op->npages = 1;
		break;
	case OP_FALLOCATE:
		if (op->sub >= FALLOC_NR)
			return false;
		/* fall through */
	case OP_PWRITE:
		if (op->page >= FZ_FILE_PAGES)
			return false;
		op->npages = clamp_len(op->page, op->npages, FZ_FILE_PAGES, 64);
		break;
	case OP_PREAD:
		if (op->page >= FZ_FILE_PAGES)
			return false;
		op->npages = 1;
		break;
	case OP_FTRUNCATE:
		if (op->npages > FZ_FILE_PAGES)
			op->npages = FZ_FILE_PAGES;
		break;
	case OP_FORK:
		op->actor = 0;
		break;
	case OP_NUMA:
		if (op->sub >= NUMA_NR)
			return false;
		if (op->sub == NUMA_MBIND || op->sub == NUMA_MOVE_PAGES) {
			if (!slot_range(s, op, op->sub == NUMA_MOVE_PAGES ? 16 : FZ_FILE_PAGES))
				return false;
		}
		async_ok = true;
		break;
	case OP_KHUGEPAGED:
		async_ok = true;
		break;
	default:
		break;
	}
	if (op->async && !async_ok)
		return false;
	if (op->async)
		op->actor = 1;
	return true;
}

void fz_struct_advance(struct fz_struct *s, const struct fz_op *op,
		       const struct fz_obs *ob)
{
	int p = fz_proc_of(op->actor), i;
	struct fz_slot *sl = &s->slot[p][op->slot];
	unsigned int end = op->page + op->npages;

	switch (op->kind) {
	case OP_MMAP:
		if (ob->ret)
			break;
		memset(sl, 0, sizeof(*sl));
		sl->mapped = true;
		sl->file = op->file;
		sl->first = op->page;
		sl->npages = op->npages;
		break;
	case OP_MUNMAP:
		memset(sl, 0, sizeof(*sl));
		break;
	case OP_MREMAP:
		if (!ob->ret) {
			sl->alt = !sl->alt;
		} else {
			/* the executor mapped the slot afresh at its old home */
			memset(sl->reg, 0, sizeof(sl->reg));
			sl->hugepage = false;
		}
		break;
	case OP_MADVISE:
		if (!ob->ret && op->sub == ADV_HUGEPAGE)
			sl->hugepage = true;
		if (!ob->ret && op->sub == ADV_NOHUGEPAGE)
			sl->hugepage = false;
		break;
	case OP_REGISTER:
	case OP_UNREGISTER:
		if (ob->ret)
			break;
		/*
		 * The kernel skips a VMA that already has every requested mode,
		 * and replaces the modes of any other: MISSING|WP then WP alone
		 * stays MISSING|WP.
		 */
		for (i = op->page; i < end; i++)
			if (op->kind == OP_UNREGISTER || (sl->reg[i] & op->sub) != op->sub)
				sl->reg[i] = op->kind == OP_REGISTER ? op->sub : 0;
		break;
	case OP_FTRUNCATE:
		if (!ob->ret)
			s->size[op->file] = op->npages;
		break;
	case OP_PWRITE:
		if (ob->ret >= 0 && end > s->size[op->file])
			s->size[op->file] = end;
		break;
	case OP_FALLOCATE:
		if (!ob->ret && op->sub == FALLOC_ALLOC && end > s->size[op->file])
			s->size[op->file] = end;
		break;
	case OP_FORK:
		if (ob->ret)
			break;
		s->child = true;
		/* The child inherits the mappings, not the registrations. */
		for (i = 0; i < FZ_SLOTS; i++) {
			s->slot[1][i] = s->slot[0][i];
			memset(s->slot[1][i].reg, 0, sizeof(s->slot[1][i].reg));
		}
		break;
	default:
		break;
	}
}
