// SPDX-License-Identifier: GPL-2.0
/*
 * Operations: their names, their text form (one per line in a sequence
 * file, replayable), and the structural state that decides which of them
 * apply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz.h"
#include "content.h"
#include "util.h"

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

/*
 * What the executor and the model accept in an operation's sub, arg and
 * gen fields, by kind; elsewhere these fields are 0 (gen: 0 to GEN_MAX).
 * A pattern of generation 0 or above GEN_MAX decodes as corrupt, which
 * would read as a kernel bug: an operation that writes or copies a
 * pattern needs a generation from 1 to GEN_MAX.
 */
struct field_limits {
	uint8_t sub_min, sub_max, arg_max;
	uint32_t gen_min;
};

static const struct field_limits kind_limits[OP_NR_KINDS] = {
	[OP_MADVISE] = { .sub_max = ADV_NR - 1 },
	[OP_FALLOCATE] = { .sub_max = FALLOC_NR - 1 },
	[OP_PWRITE] = { .gen_min = 1 },
	[OP_TOUCH] = { .sub_max = VIA_NR - 1,
		       .arg_max = FZ_TOUCH_STORE | FZ_TOUCH_ZEROPAGE, .gen_min = 1 },
	[OP_REGISTER] = { .sub_min = 1,
			  .sub_max = FZ_REG_MISSING | FZ_REG_WP | FZ_REG_MINOR },
	[OP_UFFDIO] = { .sub_max = UIO_NR - 1, .gen_min = 1 },
	[OP_PROBE] = { .sub_max = PRB_NR - 1 },
	/* the node is arg modulo the node count */
	[OP_NUMA] = { .sub_max = NUMA_NR - 1, .arg_max = UINT8_MAX },
};

/* The fields of an operation line, in the order fz_seq_write() writes them. */
enum { F_ACTOR, F_ASYNC, F_SLOT, F_FILE, F_SUB, F_ARG, F_PAGE, F_NPAGES, F_GEN, F_NR };
static const char field_keys[F_NR + 1] = "aysfurpng";

/* s as it may be shown in a message: printable, at most 32 characters. */
static const char *seq_shown(const char *s, size_t n, char *buf, size_t len)
{
	size_t i, max = n < 32 ? n : 32;

	for (i = 0; i < max && i + 4 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i < n && i + 3 < len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = 0;
	return buf;
}

/* The next blank-separated word of *p: its start, and its length in *n. */
static const char *seq_word(const char **p, size_t *n)
{
	const char *s = *p;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	*n = strcspn(s, " \t\r\n");
	*p = s + *n;
	return s;
}

static int __attribute__((format(printf, 4, 5)))
seq_fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* One field, "k=N": 0 and N in *v, or -errno and why. */
static int parse_field(const char *w, size_t n, int i, const char *kind, uint64_t lo,
		       uint64_t hi, uint64_t *v, char *why, size_t len)
{
	char tok[32], show[40];
	int err = -EINVAL;

	if (n < 2 || w[0] != field_keys[i] || w[1] != '=')
		return seq_fail(why, len, -EINVAL, "%s: expected %c=N, found '%s'", kind,
				field_keys[i],
				n ? seq_shown(w, n, show, sizeof(show)) : "end of line");
	if (n - 2 < sizeof(tok)) {
		memcpy(tok, w + 2, n - 2);
		tok[n - 2] = 0;
		err = parse_u64(tok, lo, hi, v);
	}
	if (err)
		return seq_fail(why, len, err, "%s %c=%s: %s (%llu to %llu)", kind, field_keys[i],
				seq_shown(w + 2, n - 2, show, sizeof(show)),
				err == -ERANGE ? "out of range" : "not a number",
				(unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

int fz_op_parse(const char *line, struct fz_op *op, char *why, size_t len)
{
	const struct field_limits *lim;
	uint64_t v[F_NR], lo[F_NR] = { 0 }, hi[F_NR];
	const char *p = line, *w;
	char show[40];
	size_t n;
	int i, k, err;

	memset(op, 0, sizeof(*op));
	w = seq_word(&p, &n);
	for (k = 0; k < OP_NR_KINDS; k++)
		if (strlen(op_kind_names[k]) == n && !strncmp(w, op_kind_names[k], n))
			break;
	if (k == OP_NR_KINDS)
		return seq_fail(why, len, -EINVAL, "'%s' is not an operation",
				seq_shown(w, n, show, sizeof(show)));
	lim = &kind_limits[k];
	hi[F_ACTOR] = FZ_ACTORS - 1;
	hi[F_ASYNC] = 1;
	hi[F_SLOT] = FZ_SLOTS - 1;
	hi[F_FILE] = FZ_FILES - 1;
	lo[F_SUB] = lim->sub_min;
	hi[F_SUB] = lim->sub_max;
	hi[F_ARG] = lim->arg_max;
	hi[F_PAGE] = FZ_FILE_PAGES - 1;
	hi[F_NPAGES] = FZ_FILE_PAGES;
	lo[F_GEN] = lim->gen_min;
	hi[F_GEN] = GEN_MAX;
	for (i = 0; i < F_NR; i++) {
		w = seq_word(&p, &n);
		err = parse_field(w, n, i, op_kind_names[k], lo[i], hi[i], &v[i], why, len);
		if (err)
			return err;
	}
	/* Then nothing, or a comment. */
	w = seq_word(&p, &n);
	if (n && w[0] != '#')
		return seq_fail(why, len, -EINVAL, "%s: unexpected '%s' after g=N",
				op_kind_names[k], seq_shown(w, n, show, sizeof(show)));
	op->kind = k;
	op->actor = v[F_ACTOR];
	op->async = v[F_ASYNC];
	op->slot = v[F_SLOT];
	op->file = v[F_FILE];
	op->sub = v[F_SUB];
	op->arg = v[F_ARG];
	op->page = v[F_PAGE];
	op->npages = v[F_NPAGES];
	op->gen = v[F_GEN];
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

/*
 * The first line may name the finding the sequence shows, as the fuzzer
 * writes it: "# [PREFIX: ]KIND at op N: WHY".  A first line that starts
 * so ("at op" and a number) must be whole; any other comment is free.
 */
static int parse_header(const char *line, struct fz_finding *fd, char *why, size_t len)
{
	const char *at = strstr(line, " at op "), *k, *p;
	char show[40], num[16];
	uint64_t op = 0;
	size_t n;
	int kind;

	if (line[0] != '#' || !at || !at[7] || !strchr("-0123456789", at[7]))
		return 0;
	for (k = at; k > line && k[-1] != ' '; k--)
		;
	for (kind = 0; kind < FV_NR; kind++)
		if (strlen(fz_verdict_name(kind)) == (size_t)(at - k) &&
		    !strncmp(k, fz_verdict_name(kind), at - k))
			break;
	p = at + 7;
	n = strspn(p, "-0123456789");
	if (n >= sizeof(num) || kind == FV_NR || k < line + 2 ||
	    (k[-2] != '#' && k[-2] != ':') || p[n] != ':')
		return seq_fail(why, len, -EINVAL,
				"line 1: finding header '%s' is not '# KIND at op N: WHY'",
				seq_shown(line, strlen(line), show, sizeof(show)));
	memcpy(num, p, n);
	num[n] = 0;
	if (strcmp(num, "-1") && parse_u64(num, 0, FZ_MAX_OPS - 1, &op))
		return seq_fail(why, len, -EINVAL,
				"line 1: finding header: op %s is not from -1 to %d",
				num, FZ_MAX_OPS - 1);
	p += n + 1;
	if (*p == ' ')
		p++;
	if (strlen(p) >= sizeof(fd->why))
		return seq_fail(why, len, -EINVAL,
				"line 1: finding header: a description longer than %zu characters",
				sizeof(fd->why) - 1);
	fd->kind = kind;
	fd->op = strcmp(num, "-1") ? (int)op : -1;
	/* printable only: it goes into a reproducer's comment */
	for (n = 0; p[n]; n++)
		fd->why[n] = p[n] >= 0x20 && p[n] < 0x7f ? p[n] : '?';
	fd->why[n] = 0;
	return 0;
}

/* Blank lines and lines starting with '#' are comments. */
int fz_seq_parse(const char *text, size_t size, struct fz_op *ops, unsigned int max,
		 struct fz_finding *fd, char *why, size_t len)
{
	char line[FZ_SEQ_MAX_LINE + 1], msg[200];
	const char *p = text, *end = text + size, *nl, *s;
	unsigned int n = 0, lineno = 0;
	struct fz_finding dummy;
	size_t l;
	int err;

	if (!fd)
		fd = &dummy;
	*fd = (struct fz_finding){ .kind = FV_NONE, .op = -1 };
	if (size > FZ_SEQ_MAX_BYTES)
		return seq_fail(why, len, -EFBIG, "larger than %d bytes", FZ_SEQ_MAX_BYTES);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		l = nl - p;
		if (++lineno > FZ_SEQ_MAX_LINES)
			return seq_fail(why, len, -EFBIG, "more than %d lines", FZ_SEQ_MAX_LINES);
		if (memchr(p, 0, l))
			return seq_fail(why, len, -EINVAL, "line %u: a NUL byte: not a text file",
					lineno);
		if (l > FZ_SEQ_MAX_LINE)
			return seq_fail(why, len, -EINVAL, "line %u: longer than %d characters",
					lineno, FZ_SEQ_MAX_LINE);
		memcpy(line, p, l);
		line[l] = 0;
		if (lineno == 1) {
			err = parse_header(line, fd, why, len);
			if (err)
				return err;
		}
		s = line + strspn(line, " \t\r");
		if (*s == '#' || !*s)
			continue;
		if (n == max)
			return seq_fail(why, len, -E2BIG, "line %u: more than %u operations",
					lineno, max);
		err = fz_op_parse(s, &ops[n], msg, sizeof(msg));
		if (err)
			return seq_fail(why, len, err, "line %u: %s", lineno, msg);
		n++;
	}
	if (!n)
		return seq_fail(why, len, -ENODATA, "no operations");
	return n;
}

int fz_seq_read(FILE *f, struct fz_op *ops, unsigned int max,
		struct fz_finding *fd, char *why, size_t len)
{
	char *buf = malloc(FZ_SEQ_MAX_BYTES + 1);
	size_t size;
	int ret;

	if (!buf)
		return seq_fail(why, len, -ENOMEM, "out of memory");
	size = fread(buf, 1, FZ_SEQ_MAX_BYTES + 1, f);
	if (ferror(f))
		ret = seq_fail(why, len, -EIO, "read error");
	else
		ret = fz_seq_parse(buf, size, ops, max, fd, why, len);
	free(buf);
	return ret;
}

int fz_seq_load(const char *path, struct fz_op *ops, unsigned int max,
		struct fz_finding *fd, char *why, size_t len)
{
	int fildes = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	FILE *f;
	int ret;

	if (fildes < 0) {
		ret = -errno;
		return seq_fail(why, len, ret, "%s", strerror(-ret));
	}
	ret = 0;
	if (fstat(fildes, &st) || !S_ISREG(st.st_mode))
		ret = seq_fail(why, len, -EINVAL, "not a regular file");
	else if (st.st_size > FZ_SEQ_MAX_BYTES)
		ret = seq_fail(why, len, -EFBIG, "larger than %d bytes", FZ_SEQ_MAX_BYTES);
	f = ret ? NULL : fdopen(fildes, "r");
	if (!f) {
		if (!ret)
			ret = seq_fail(why, len, -errno, "%s", strerror(errno));
		close(fildes);
		return ret;
	}
	/* a file that grows meanwhile is still read within the bound */
	ret = fz_seq_read(f, ops, max, fd, why, len);
	fclose(f);
	return ret;
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
