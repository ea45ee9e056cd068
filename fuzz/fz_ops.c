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
static const char * const numa_names[NUMA_NR] = {
	"mbind", "set_mempolicy", "move_pages", "migrate_pages",
};

const char *fz_kind_name(enum fz_kind k)
{
	return k < OP_NR_KINDS ? fz_op_desc[k].name : "?";
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

/* --- text: what each kind looks like to a human ------------------------ */

static unsigned int last_page(const struct fz_op *op)
{
	return op->page + (op->npages ? op->npages : 1) - 1;
}

static void format_plain(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", who, fz_kind_name(op->kind));
}

static void format_mmap(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%smmap slot %u = file %u pages %u-%u", who,
		 op->slot, op->file, op->page, last_page(op));
}

static void format_slot(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s slot %u", who, fz_kind_name(op->kind), op->slot);
}

static void format_madvise(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s slot %u pages %u-%u", who,
		 pick(advice_names, ADV_NR, op->sub), op->slot, op->page, last_page(op));
}

static void format_fallocate(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%sfallocate %s file %u pages %u-%u", who,
		 op->sub == FALLOC_PUNCH ? "PUNCH_HOLE" : "allocate",
		 op->file, op->page, last_page(op));
}

static void format_ftruncate(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%sftruncate file %u to %u pages", who, op->file, op->npages);
}

static void format_pwrite(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%spwrite file %u pages %u-%u gen %u", who,
		 op->file, op->page, last_page(op), op->gen);
}

static void format_pread(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%spread file %u page %u", who, op->file, op->page);
}

static void format_touch(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	const char *via = pick(via_names, VIA_NR, op->sub);

	if (op->arg & FZ_TOUCH_STORE)
		snprintf(buf, len, "%sstore gen %u to slot %u page %u by %s%s",
			 who, op->gen, op->slot, op->page, via,
			 op->arg & FZ_TOUCH_ZEROPAGE ? ", faults by ZEROPAGE" : "");
	else if (op->arg & FZ_TOUCH_ZEROPAGE)
		snprintf(buf, len, "%sload slot %u page %u by %s (faults: ZEROPAGE)",
			 who, op->slot, op->page, via);
	else
		snprintf(buf, len, "%sload slot %u page %u by %s (faults: COPY gen %u)",
			 who, op->slot, op->page, via, op->gen);
}

static void format_register(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	char m[32];

	reg_modes(op->sub, m, sizeof(m));
	snprintf(buf, len, "%sUFFDIO_REGISTER %s slot %u pages %u-%u", who,
		 m, op->slot, op->page, last_page(op));
}

static void format_unregister(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%sUFFDIO_UNREGISTER slot %u pages %u-%u", who,
		 op->slot, op->page, last_page(op));
}

static void format_uffdio(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s slot %u page %u gen %u", who,
		 pick(uffdio_names, UIO_NR, op->sub), op->slot, op->page, op->gen);
}

static void format_probe(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	const struct fz_probe_desc *p = op->sub < PRB_NR ? &fz_probe_desc[op->sub] : NULL;

	if (!p)
		snprintf(buf, len, "%s?", who);
	else if (p->on == PRB_ON_SLOT)
		snprintf(buf, len, "%s%s slot %u pages %u-%u", who, p->text,
			 op->slot, op->page, last_page(op));
	else
		snprintf(buf, len, "%s%s file %u from page %u%s%s", who, p->text,
			 op->file, op->page, p->on == PRB_ON_FILE ? " to EOF" : "",
			 p->walk ? ", each call asked twice" : "");
}

static void format_numa(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s slot %u pages %u-%u node %u", who,
		 pick(numa_names, NUMA_NR, op->sub), op->slot, op->page,
		 last_page(op), op->arg);
}

static void format_populate(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	char how[32];

	if (op->arg & FZ_TOUCH_ZEROPAGE)
		snprintf(how, sizeof(how), "ZEROPAGE");
	else
		snprintf(how, sizeof(how), "COPY gen %u", op->gen);
	snprintf(buf, len, "%sMADV_POPULATE_%s slot %u pages %u-%u (faults: %s)", who,
		 op->sub == POP_WRITE ? "WRITE" : "READ", op->slot, op->page, last_page(op), how);
}

static void format_writeprotect(const struct fz_op *op, const char *who, char *buf,
				size_t len)
{
	snprintf(buf, len, "%sUFFDIO_WRITEPROTECT %s slot %u pages %u-%u", who,
		 op->sub == FZ_WP_PROTECT ? "protect" : "unprotect", op->slot, op->page,
		 last_page(op));
}

/* "FORK REMAP", or "none" */
static void format_events(unsigned int ev, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", ev & FZ_EV_FORK ? "FORK " : "",
		 ev & FZ_EV_REMAP ? "REMAP " : "", ev & FZ_EV_REMOVE ? "REMOVE " : "",
		 ev & FZ_EV_UNMAP ? "UNMAP " : "");
	if (*buf)
		buf[strlen(buf) - 1] = 0;
	else
		snprintf(buf, len, "none");
}

static void format_uffd(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	char ev[32];

	format_events(op->sub, ev, sizeof(ev));
	snprintf(buf, len, "%suserfaultfd opened anew, events %s (drops its registrations)",
		 who, ev);
}

static void format_mthp(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	static const char * const policy[] = {
		[FZ_MTHP_NEVER] = "never", [FZ_MTHP_ADVISE] = "advise",
		[FZ_MTHP_ALWAYS] = "always", [FZ_MTHP_WITHIN_SIZE] = "within_size",
	};

	snprintf(buf, len, "%sshmem mTHP: hugepages-%ukB/shmem_enabled=%s, the other sizes below the PMD never",
		 who, 4u << op->sub, pick(policy, ARRAY_SIZE(policy), op->arg));
}

static void format_pageout(const struct fz_op *op, const char *who, char *buf, size_t len)
{
	snprintf(buf, len, "%sMADV_PAGEOUT slot %u pages %u-%u (to swap)", who, op->slot,
		 op->page, last_page(op));
}

void fz_op_format(const struct fz_op *op, char *buf, size_t len)
{
	char who[32];

	snprintf(who, sizeof(who), "%s%s", op->actor == 2 ? "child: " :
		 op->actor == 1 ? "thread: " : "", op->async ? "async " : "");
	if (op->kind < OP_NR_KINDS)
		fz_op_desc[op->kind].format(op, who, buf, len);
	else
		snprintf(buf, len, "%s?", who);
}

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

static int __printf(4, 5)
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
	const struct fz_op_desc *d;
	uint64_t v[F_NR], lo[F_NR] = { 0 }, hi[F_NR];
	const char *p = line, *w;
	char show[40];
	size_t n;
	int i, k, err;

	memset(op, 0, sizeof(*op));
	w = seq_word(&p, &n);
	for (k = 0; k < OP_NR_KINDS; k++)
		if (strlen(fz_op_desc[k].name) == n && !strncmp(w, fz_op_desc[k].name, n))
			break;
	if (k == OP_NR_KINDS)
		return seq_fail(why, len, -EINVAL, "'%s' is not an operation",
				seq_shown(w, n, show, sizeof(show)));
	d = &fz_op_desc[k];
	hi[F_ACTOR] = FZ_ACTORS - 1;
	hi[F_ASYNC] = 1;
	hi[F_SLOT] = FZ_SLOTS - 1;
	hi[F_FILE] = FZ_FILES - 1;
	lo[F_SUB] = d->sub_min;
	hi[F_SUB] = d->sub_max;
	hi[F_ARG] = d->arg_max;
	hi[F_PAGE] = FZ_FILE_PAGES - 1;
	hi[F_NPAGES] = FZ_FILE_PAGES;
	lo[F_GEN] = d->gen_min;
	hi[F_GEN] = GEN_MAX;
	for (i = 0; i < F_NR; i++) {
		w = seq_word(&p, &n);
		err = parse_field(w, n, i, d->name, lo[i], hi[i], &v[i], why, len);
		if (err)
			return err;
	}
	/* Then nothing, or a comment. */
	w = seq_word(&p, &n);
	if (n && w[0] != '#')
		return seq_fail(why, len, -EINVAL, "%s: unexpected '%s' after g=N",
				d->name, seq_shown(w, n, show, sizeof(show)));
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
	for (f = 0; f < FZ_PROCS; f++)
		s->events[f] = FZ_EV_REMAP;
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

unsigned int fz_struct_mthp(const struct fz_struct *s, const struct fz_slot *sl)
{
	switch (s->mthp_policy) {
	case FZ_MTHP_ALWAYS:
	case FZ_MTHP_WITHIN_SIZE:
		return s->mthp_order;
	case FZ_MTHP_ADVISE:
		return sl->hugepage ? s->mthp_order : 0;
	default:
		return 0;
	}
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

/* --- structure: when each kind applies, and what it changes ------------- */

static enum fz_applies applies_never(const struct fz_struct *s, const struct fz_slot *sl,
				     struct fz_op *op)
{
	return FZ_NOT_APPLICABLE;
}

static enum fz_applies applies_always(const struct fz_struct *s, const struct fz_slot *sl,
				      struct fz_op *op)
{
	return FZ_APPLIES;
}

static enum fz_applies applies_mmap(const struct fz_struct *s, const struct fz_slot *sl,
				    struct fz_op *op)
{
	if (sl->mapped || op->page >= FZ_FILE_PAGES)
		return FZ_NOT_APPLICABLE;
	op->page -= op->page % FZ_PMD_PAGES;
	op->npages = op->npages > FZ_PMD_PAGES ? 2 * FZ_PMD_PAGES : FZ_PMD_PAGES;
	if (op->page + op->npages > FZ_FILE_PAGES)
		op->npages = FZ_FILE_PAGES - op->page;
	return FZ_APPLIES;
}

static enum fz_applies applies_mapped(const struct fz_struct *s, const struct fz_slot *sl,
				      struct fz_op *op)
{
	return sl->mapped ? FZ_APPLIES : FZ_NOT_APPLICABLE;
}

static enum fz_applies applies_madvise(const struct fz_struct *s, const struct fz_slot *sl,
				       struct fz_op *op)
{
	if (op->sub >= ADV_NR || !fz_slot_has(sl, op->page))
		return FZ_NOT_APPLICABLE;
	if (op->sub == ADV_COLLAPSE) {
		op->page -= op->page % FZ_PMD_PAGES;
		op->npages = FZ_PMD_PAGES;
		if (!fz_slot_has(sl, op->page) ||
		    !fz_slot_has(sl, op->page + FZ_PMD_PAGES - 1))
			return FZ_NOT_APPLICABLE;
		return FZ_APPLIES_ASYNC;
	}
	if (op->sub == ADV_HUGEPAGE || op->sub == ADV_NOHUGEPAGE) {
		/* Whole slot: VM_HUGEPAGE is then a property of the slot. */
		op->page = sl->first;
		op->npages = sl->npages;
	} else {
		slot_range(s, op, 64);
	}
	return FZ_APPLIES;
}

static enum fz_applies applies_register(const struct fz_struct *s, const struct fz_slot *sl,
					struct fz_op *op)
{
	if (!(op->sub & 7))
		return FZ_NOT_APPLICABLE;
	op->sub &= 7;
	return slot_range(s, op, FZ_FILE_PAGES) ? FZ_APPLIES : FZ_NOT_APPLICABLE;
}

static enum fz_applies applies_unregister(const struct fz_struct *s, const struct fz_slot *sl,
					  struct fz_op *op)
{
	return slot_range(s, op, FZ_FILE_PAGES) ? FZ_APPLIES : FZ_NOT_APPLICABLE;
}

/* One page of a slot. */
static enum fz_applies applies_slot_page(const struct fz_struct *s, struct fz_op *op)
{
	op->npages = 1;
	return slot_range(s, op, 1) ? FZ_APPLIES : FZ_NOT_APPLICABLE;
}

static enum fz_applies applies_touch(const struct fz_struct *s, const struct fz_slot *sl,
				     struct fz_op *op)
{
	if (op->sub >= VIA_NR)
		return FZ_NOT_APPLICABLE;
	return applies_slot_page(s, op);
}

static enum fz_applies applies_uffdio(const struct fz_struct *s, const struct fz_slot *sl,
				      struct fz_op *op)
{
	if (op->sub >= UIO_NR)
		return FZ_NOT_APPLICABLE;
	return applies_slot_page(s, op);
}

static enum fz_applies applies_populate(const struct fz_struct *s, const struct fz_slot *sl,
					struct fz_op *op)
{
	if (op->sub >= POP_NR)
		return FZ_NOT_APPLICABLE;
	return slot_range(s, op, 64) ? FZ_APPLIES : FZ_NOT_APPLICABLE;
}

/* The run of WP-registered pages from op->page, within the slot. */
static enum fz_applies applies_writeprotect(const struct fz_struct *s,
					    const struct fz_slot *sl, struct fz_op *op)
{
	unsigned int n;

	if (op->sub > FZ_WP_PROTECT || !slot_range(s, op, FZ_FILE_PAGES))
		return FZ_NOT_APPLICABLE;
	for (n = 0; n < op->npages && (sl->reg[op->page + n] & FZ_REG_WP); n++)
		;
	if (!n)
		return FZ_NOT_APPLICABLE;
	op->npages = n;
	return FZ_APPLIES;
}

/* Synchronous only: its SEEK_DATA answers are judged where it stands. */
static enum fz_applies applies_pageout(const struct fz_struct *s, const struct fz_slot *sl,
				       struct fz_op *op)
{
	return slot_range(s, op, FZ_PAGEOUT_MAX) ? FZ_APPLIES : FZ_NOT_APPLICABLE;
}

static enum fz_applies applies_probe(const struct fz_struct *s, const struct fz_slot *sl,
				     struct fz_op *op)
{
	if (op->sub >= PRB_NR)
		return FZ_NOT_APPLICABLE;
	if (fz_probe_desc[op->sub].on == PRB_ON_SLOT)
		return slot_range(s, op, FZ_MINCORE_MAX) ? FZ_APPLIES : FZ_NOT_APPLICABLE;
	if (fz_probe_desc[op->sub].on == PRB_ON_FILE)
		op->page = 0;
	if (op->page >= FZ_FILE_PAGES)
		return FZ_NOT_APPLICABLE;
	op->npages = 1;
	return FZ_APPLIES;
}

static enum fz_applies applies_file_range(const struct fz_struct *s, const struct fz_slot *sl,
					  struct fz_op *op)
{
	if (op->page >= FZ_FILE_PAGES)
		return FZ_NOT_APPLICABLE;
	op->npages = clamp_len(op->page, op->npages, FZ_FILE_PAGES, 64);
	return FZ_APPLIES;
}

static enum fz_applies applies_fallocate(const struct fz_struct *s, const struct fz_slot *sl,
					 struct fz_op *op)
{
	if (op->sub >= FALLOC_NR)
		return FZ_NOT_APPLICABLE;
	return applies_file_range(s, sl, op);
}

static enum fz_applies applies_file_page(const struct fz_struct *s, const struct fz_slot *sl,
					 struct fz_op *op)
{
	if (op->page >= FZ_FILE_PAGES)
		return FZ_NOT_APPLICABLE;
	op->npages = 1;
	return FZ_APPLIES;
}

static enum fz_applies applies_ftruncate(const struct fz_struct *s, const struct fz_slot *sl,
					 struct fz_op *op)
{
	if (op->npages > FZ_FILE_PAGES)
		op->npages = FZ_FILE_PAGES;
	return FZ_APPLIES;
}

/* main's own userfaultfd, from its main thread */
static enum fz_applies applies_uffd(const struct fz_struct *s, const struct fz_slot *sl,
				   struct fz_op *op)
{
	op->sub &= FZ_EV_ALL;
	op->actor = 0;
	return FZ_APPLIES;
}

/* THP sysfs, from the run process's main thread */
static enum fz_applies applies_mthp(const struct fz_struct *s, const struct fz_slot *sl,
				   struct fz_op *op)
{
	if (op->sub < 1 || op->sub > FZ_MTHP_MAX_ORDER || op->arg > FZ_MTHP_WITHIN_SIZE)
		return FZ_NOT_APPLICABLE;
	op->actor = 0;
	return FZ_APPLIES;
}

static enum fz_applies applies_fork(const struct fz_struct *s, const struct fz_slot *sl,
				    struct fz_op *op)
{
	op->actor = 0;
	return FZ_APPLIES;
}

static enum fz_applies applies_numa(const struct fz_struct *s, const struct fz_slot *sl,
				    struct fz_op *op)
{
	if (op->sub >= NUMA_NR)
		return FZ_NOT_APPLICABLE;
	if (op->sub == NUMA_MBIND || op->sub == NUMA_MOVE_PAGES) {
		if (!slot_range(s, op, op->sub == NUMA_MOVE_PAGES ? 16 : FZ_FILE_PAGES))
			return FZ_NOT_APPLICABLE;
	}
	return FZ_APPLIES_ASYNC;
}

static enum fz_applies applies_khugepaged(const struct fz_struct *s, const struct fz_slot *sl,
					  struct fz_op *op)
{
	return FZ_APPLIES_ASYNC;
}

bool fz_struct_applies(const struct fz_struct *s, struct fz_op *op)
{
	enum fz_applies a;

	if (op->kind >= OP_NR_KINDS)
		return false;
	if (op->slot >= FZ_SLOTS || op->file >= FZ_FILES || op->actor >= FZ_ACTORS)
		return false;
	if (op->actor == 2 && !s->child)
		return false;
	a = fz_op_desc[op->kind].applies(s, &s->slot[fz_proc_of(op->actor)][op->slot], op);
	if (a == FZ_NOT_APPLICABLE || (op->async && a != FZ_APPLIES_ASYNC))
		return false;
	if (op->async)
		op->actor = 1;
	return true;
}

static void advance_none(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			 const struct fz_obs *ob)
{
}

static void advance_mmap(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			 const struct fz_obs *ob)
{
	if (ob->ret)
		return;
	memset(sl, 0, sizeof(*sl));
	sl->mapped = true;
	sl->file = op->file;
	sl->first = op->page;
	sl->npages = op->npages;
}

static void advance_munmap(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			   const struct fz_obs *ob)
{
	memset(sl, 0, sizeof(*sl));
}

static void advance_mremap(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			   const struct fz_obs *ob)
{
	if (!ob->ret) {
		sl->alt = !sl->alt;
		/* without EVENT_REMAP the kernel drops the moved registration */
		if (!(s->events[fz_proc_of(op->actor)] & FZ_EV_REMAP))
			memset(sl->reg, 0, sizeof(sl->reg));
	} else {
		/* the executor mapped the slot afresh at its old home */
		memset(sl->reg, 0, sizeof(sl->reg));
		sl->hugepage = false;
	}
}

static void advance_madvise(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			    const struct fz_obs *ob)
{
	if (!ob->ret && op->sub == ADV_HUGEPAGE)
		sl->hugepage = true;
	if (!ob->ret && op->sub == ADV_NOHUGEPAGE)
		sl->hugepage = false;
}

static void advance_register(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			     const struct fz_obs *ob)
{
	unsigned int i;

	if (ob->ret)
		return;
	/*
	 * The kernel skips a VMA that already has every requested mode,
	 * and replaces the modes of any other: MISSING|WP then WP alone
	 * stays MISSING|WP.
	 */
	for (i = op->page; i < op->page + op->npages; i++)
		if ((sl->reg[i] & op->sub) != op->sub)
			sl->reg[i] = op->sub;
}

static void advance_unregister(struct fz_struct *s, struct fz_slot *sl,
			       const struct fz_op *op, const struct fz_obs *ob)
{
	if (!ob->ret)
		memset(sl->reg + op->page, 0, op->npages * sizeof(sl->reg[0]));
}

static void advance_ftruncate(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			      const struct fz_obs *ob)
{
	if (!ob->ret)
		s->size[op->file] = op->npages;
}

static void advance_pwrite(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			   const struct fz_obs *ob)
{
	unsigned int end = op->page + op->npages;

	if (ob->ret >= 0 && end > s->size[op->file])
		s->size[op->file] = end;
}

static void advance_fallocate(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			      const struct fz_obs *ob)
{
	unsigned int end = op->page + op->npages;

	if (!ob->ret && op->sub == FALLOC_ALLOC && end > s->size[op->file])
		s->size[op->file] = end;
}

static void advance_fork(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			 const struct fz_obs *ob)
{
	int i, k;

	if (ob->ret)
		return;
	s->child = true;
	s->events[1] = s->events[0];
	/*
	 * The child inherits the mappings; the registrations only with
	 * EVENT_FORK, under the fork's context.
	 */
	for (i = 0; i < FZ_SLOTS; i++) {
		s->slot[1][i] = s->slot[0][i];
		for (k = 0; k < FZ_FILE_PAGES; k++)
			s->slot[1][i].reg[k] = !(s->events[0] & FZ_EV_FORK) ? 0 :
				s->slot[0][i].reg[k] ? s->slot[0][i].reg[k] | FZ_REG_FORKED : 0;
	}
}

static void advance_mthp(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			 const struct fz_obs *ob)
{
	if (ob->ret)
		return;
	s->mthp_order = op->sub;
	s->mthp_policy = op->arg;
}

/* The release of main's old userfaultfd unregisters all of main's ranges. */
static void advance_uffd(struct fz_struct *s, struct fz_slot *sl, const struct fz_op *op,
			 const struct fz_obs *ob)
{
	int i;

	if (ob->ret)
		return;
	s->events[0] = ob->val & FZ_EV_ALL;
	for (i = 0; i < FZ_SLOTS; i++)
		memset(s->slot[0][i].reg, 0, sizeof(s->slot[0][i].reg));
}

void fz_struct_advance(struct fz_struct *s, const struct fz_op *op,
		       const struct fz_obs *ob)
{
	if (op->kind < OP_NR_KINDS)
		fz_op_desc[op->kind].advance(s, &s->slot[fz_proc_of(op->actor)][op->slot], op, ob);
}

/* --- the table ---------------------------------------------------------- */

#define FZ_DESC_LIMITS(smin, smax, amax, gmin) \
	.sub_min = (smin), .sub_max = (smax), .arg_max = (amax), .gen_min = (gmin)
#define FZ_DESC(K, nm, w, lim, app, adv, fmt)	\
	{						\
		.kind = OP_##K,				\
		.name = nm,				\
		.id = "OP_" #K,				\
		.weight = w,				\
		FZ_DESC_LIMITS lim,			\
		.applies = app,				\
		.advance = adv,				\
		.format = fmt,				\
	}

const struct fz_op_desc fz_op_desc[OP_NR_KINDS] = {
	FZ_OPS(FZ_DESC, FZ_SKIP, FZ_SKIP, FZ_SKIP)
};

#define FZ_PROBE_DESC(nm, txt, w, where, is_walk)	\
	{						\
		.name = nm,				\
		.text = txt,				\
		.weight = w,				\
		.on = where,				\
		.walk = is_walk,			\
	}

const struct fz_probe_desc fz_probe_desc[PRB_NR] = {
	FZ_PROBES(FZ_PROBE_DESC, FZ_SKIP, FZ_SKIP)
};

/* struct fz_op keeps the kind in a uint8_t */
_Static_assert(OP_NR_KINDS <= 256, "too many kinds of operation");
