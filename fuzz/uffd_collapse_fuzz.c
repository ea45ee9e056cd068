// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_collapse_fuzz: random operation sequences over shmem files, their
 * mappings, userfaultfd registrations, collapses, NUMA moves and io_uring
 * transfers, each run in a fresh process and judged by a model of what the
 * kernel may do.  A disagreement is minimized and written out as a C
 * reproducer.  Output is KTAP: one test, "fuzz".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fz.h"
#include "rng.h"
#include "suite.h"
#include "util.h"

struct opts {
	uint64_t seed;
	double duration;
	uint64_t iterations;
	unsigned int nops;
	const char *findings;
	const char *replay;
	const char *write_repro;
	const char *check;
	const char *json;
	unsigned int runs;
	long generate;
	bool minimize;
	bool verbose;
	bool strict;			/* known gaps fail the run (--strict, UFFDC_STRICT=1) */
	unsigned int ignore;		/* bit per enum fz_verdict_kind */
	unsigned int min_nodes;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uffd_collapse_fuzz [options]\n"
		"  --seed N          seed of the whole run (default: from the clock, or $UFFDC_SEED)\n"
		"  --duration SECS   fuzz this long (default 30)\n"
		"  --iterations N    stop after N sequences (default: no limit)\n"
		"  --ops N           operations per sequence (default 48, at most %d)\n"
		"  --findings DIR    where findings go (default ./findings)\n"
		"  --no-minimize     save a finding as found\n"
		"  --min-nodes N     SKIP unless the machine has N NUMA nodes\n"
		"  --ignore K[,K]    count findings of these kinds (e.g. lost-fault) and go on\n"
		"  --strict          the known gaps fill-on-alloc and seek-flicker are findings (also\n"
		"                    $UFFDC_STRICT=1); by default they are counted and the model\n"
		"                    goes on judging the sequence\n"
		"  --json FILE       append a summary line\n"
		"  --generate ITER   print sequence ITER of --seed and exit\n"
		"  --replay FILE     run a sequence file (--runs times, default 5); exit 1 on a violation\n"
		"  --write-repro FILE  write the C reproducer of a sequence file to stdout\n"
		"  --check FILE      parse a sequence file and exit (0 valid, 2 not); runs nothing\n"
		"  -v, --verbose     print every sequence's verdict\n"
		"  -h, --help\n"
		"Exit: 0 no finding, 1 finding, 4 skip (nothing meaningful was exercised), 2 usage.\n",
		FZ_MAX_OPS);
}

/* One line on stderr for every usage error; the exit status is then 2. */
static int usage_error(const char *fmt, ...) __printf(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "uffd_collapse_fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int bad_value(const char *name, const char *arg, const char *what)
{
	return usage_error("%s: '%.40s' is not %s", name, arg, what);
}

static int parse_uint(const char *s, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char what[80];

	if (!parse_u64(s, lo, hi, out))
		return 0;
	snprintf(what, sizeof(what), "a whole number from %llu to %llu",
		 (unsigned long long)lo, (unsigned long long)hi);
	return bad_value(name, s, what);
}

/* "lost-fault,content" -> bits; a known bug must not hide the next one. */
static int parse_kinds(const char *arg, unsigned int *bits)
{
	const char *tok = arg;
	char kinds[200] = "";
	size_t n;
	int k;

	for (;;) {
		n = strcspn(tok, ",");
		for (k = 1; k < FV_NR; k++)
			if (strlen(fz_verdict_name(k)) == n && !strncmp(tok, fz_verdict_name(k), n))
				break;
		if (k == FV_NR) {
			for (k = 1; k < FV_NR; k++)
				snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds),
					 "%s%s", k > 1 ? ", " : "", fz_verdict_name(k));
			return usage_error("--ignore: '%.*s' is not one of %s",
					   (int)(n < 40 ? n : 40), tok, kinds);
		}
		*bits |= 1u << k;
		if (!tok[n])
			return 0;
		tok += n + 1;
	}
}

/* Opened for appending now, so that a bad path fails before the run. */
static int check_writable(const char *path)
{
	FILE *f = fopen(path, "a");

	if (!f)
		return usage_error("--json: %.200s: %s", path, strerror(errno));
	fclose(f);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "ops", required_argument, NULL, 'n' },
		{ "findings", required_argument, NULL, 'f' },
		{ "no-minimize", no_argument, NULL, 'M' },
		{ "min-nodes", required_argument, NULL, 'N' },
		{ "json", required_argument, NULL, 'j' },
		{ "generate", required_argument, NULL, 'g' },
		{ "replay", required_argument, NULL, 'r' },
		{ "write-repro", required_argument, NULL, 'w' },
		{ "check", required_argument, NULL, 'c' },
		{ "ignore", required_argument, NULL, 'I' },
		{ "strict", no_argument, NULL, 'S' },
		{ "runs", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int modes = 0;
	uint64_t v;
	int c;

	*o = (struct opts){ .seed = rng_run_seed(), .duration = 30, .nops = 48,
			    .findings = "findings", .runs = 5, .generate = -1,
			    .minimize = true };
	if (suite_env_check())
		return usage_error("%s", suite_env_check());
	o->strict = suite_strict();
	opterr = 0;	/* getopt's own messages are not one line with ours */
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_seed(optarg, &o->seed))
				return bad_value("--seed", optarg,
						 "a seed (decimal or 0x hex, below 2^64)");
			break;
		case 'd':
			if (parse_double(optarg, 0.01, 1e6, &o->duration))
				return bad_value("--duration", optarg,
						 "a number of seconds from 0.01 to 1e6");
			break;
		case 'i':
			if (parse_uint(optarg, "--iterations", 1, 1000000000000ULL, &v))
				return 2;
			o->iterations = v;
			break;
		case 'n':
			if (parse_uint(optarg, "--ops", 1, FZ_MAX_OPS, &v))
				return 2;
			o->nops = v;
			break;
		case 'N':
			if (parse_uint(optarg, "--min-nodes", 1, 64, &v))
				return 2;
			o->min_nodes = v;
			break;
		case 'g':
			if (parse_uint(optarg, "--generate", 0, 1000000000000ULL, &v))
				return 2;
			o->generate = v;
			modes++;
			break;
		case 'R':
			if (parse_uint(optarg, "--runs", 1, 1000, &v))
				return 2;
			o->runs = v;
			break;
		case 'f':
			if (!*optarg)
				return usage_error("--findings: empty directory name");
			o->findings = optarg;
			break;
		case 'M':
			o->minimize = false;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'r':
			o->replay = optarg;
			modes++;
			break;
		case 'w':
			o->write_repro = optarg;
			modes++;
			break;
		case 'c':
			o->check = optarg;
			modes++;
			break;
		case 'I':
			if (parse_kinds(optarg, &o->ignore))
				return 2;
			break;
		case 'S':
			o->strict = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			/* a short option's letter, or the long option's word */
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				return usage_error("-%c: unknown option (see --help)", optopt);
			return usage_error("%.60s: unknown option, or a bad value (see --help)",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%.60s' (see --help)", argv[optind]);
	if (modes > 1)
		return usage_error("--generate, --replay, --write-repro, --check: one at a time");
	if (o->json && check_writable(o->json))
		return 2;
	return 0;
}

struct pred_ctx {
	struct fz_record *r;
	enum fz_verdict_kind kind;
	int detail;		/* a crash: the same signal */
	const struct fz_model_opts *mo;
};

/* Still failing the same way, in any of three fresh runs? */
static bool same_failure(const struct fz_op *ops, unsigned int n, void *arg)
{
	struct fz_exec_opts eo = { .timeout_ms = 60000 };
	struct pred_ctx *p = arg;
	struct fz_finding f;
	int t;

	for (t = 0; t < 3; t++) {
		fz_run(p->r, ops, n, &eo);
		f = fz_judge(p->r, p->mo);
		if (f.kind == p->kind && (f.kind != FV_CRASH || f.detail == p->detail))
			return true;
	}
	return false;
}

static FILE *open_in(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "w");
}

/* Save, minimize, write the reproducer; returns the minimized length. */
static unsigned int save_finding(const struct opts *o, uint64_t iter, struct fz_op *ops,
				 unsigned int n, const struct fz_finding *fd,
				 struct fz_record *r, const struct fz_model_opts *mo)
{
	struct pred_ctx pc = { .r = r, .kind = fd->kind, .detail = fd->detail, .mo = mo };
	struct fz_finding mfd = *fd;
	unsigned int runs = 0, m = n, k;
	bool verified = false;
	char dir[400];
	FILE *f;

	mkdir(o->findings, 0755);
	snprintf(dir, sizeof(dir), "%s/seed-0x%llx-iter-%llu", o->findings,
		 (unsigned long long)o->seed, (unsigned long long)iter);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		printf("# cannot create %s: %s\n", dir, strerror(errno));
		return n;
	}
	f = open_in(dir, "sequence.txt");
	if (f) {
		fprintf(f, "# seed 0x%llx iteration %llu: %s at op %d: %s\n",
			(unsigned long long)o->seed, (unsigned long long)iter,
			fz_verdict_name(fd->kind), fd->op, fd->why);
		fz_seq_write(f, ops, n);
		fclose(f);
	}
	if (o->minimize && fd->kind != FV_INTERNAL) {
		/* Nothing after the disagreement can matter. */
		if (fd->op >= 0 && (unsigned int)fd->op + 1 < m)
			m = fd->op + 1;
		if (!same_failure(ops, m, &pc))
			m = n;
		m = fz_minimize(ops, m, same_failure, &pc, &runs);
		/* A race may not come back: say so rather than pass off a guess. */
		for (k = 0; k < 3 && !verified; k++)
			verified = same_failure(ops, m, &pc);
		if (verified) {
			/* write the operations as they ran: clamped, no-ops as given */
			mfd = fz_judge(r, mo);
			for (k = 0; k < m; k++)
				if (!r->obs[k].nop)
					ops[k] = r->op[k];
		}
		printf("# minimized: %u -> %u operations in %u reruns%s\n", n, m, runs,
		       verified ? "" : "; it did not fail again in 9 more: racy, see sequence.txt");
		f = open_in(dir, "minimized.txt");
		if (f) {
			fprintf(f, "# %s%s at op %d: %s\n", verified ? "" : "racy, not seen again: ",
				fz_verdict_name(mfd.kind), mfd.op, mfd.why);
			fz_seq_write(f, ops, m);
			fclose(f);
		}
	}
	f = open_in(dir, "repro.c");
	if (f) {
		fz_repro_write(f, ops, m, &mfd, o->seed);
		fclose(f);
	}
	printf("# saved: %s/{sequence.txt,%srepro.c}\n", dir, o->minimize ? "minimized.txt," : "");
	return m;
}

static void print_seq(const struct fz_record *r, int upto)
{
	unsigned int k;

	for (k = 0; k < r->nops && (int)k <= upto; k++) {
		char d[160];

		fz_op_format(&r->op[k], d, sizeof(d));
		printf("#   %2u: %-64s ret %d val %d%s\n", k, d, r->obs[k].ret, r->obs[k].val,
		       r->obs[k].nop ? " (no-op)" : "");
	}
	for (k = 0; k < r->nevents && k < FZ_MAX_EVENTS; k++)
		if ((int)r->event[k].op <= upto)
			printf("#   event during op %u: %s, process %u, pages %u %u %u\n",
			       r->event[k].op, fz_event_name(r->event[k].type), r->event[k].proc,
			       r->event[k].a, r->event[k].b, r->event[k].c);
}

static void add_stats(struct fz_exec_stats *a, const struct fz_exec_stats *b)
{
	unsigned int k;

	a->uffd_features_ok = b->uffd_features_ok;
	if (b->numa_nodes > a->numa_nodes)
		a->numa_nodes = b->numa_nodes;
	a->uring_ok |= b->uring_ok;
	a->uring_ops += b->uring_ops;
	a->numa_ops_ok += b->numa_ops_ok;
	a->numa_pages_on_target += b->numa_pages_on_target;
	for (k = 0; k < FZE_NR; k++)
		a->events[k] += b->events[k];
	for (k = 0; k < FZ_MTHP_ORDERS; k++)
		a->shmem_alloc[k] += b->shmem_alloc[k];
	a->stray_msgs += b->stray_msgs;
	a->kh_scans += b->kh_scans;
	a->swap_on |= b->swap_on;
	a->swapped_out += b->swapped_out;
}

/* Known gaps the model let through (not strict), by kind: how often, and the first. */
struct gap_count {
	uint64_t seqs, pages, ties, iter;
	struct fz_ignored first;
};

static void count_gaps(struct gap_count *gc, const struct fz_finding *fd, uint64_t iter,
		       bool verbose)
{
	unsigned int k;

	for (k = 0; k < FV_NR; k++) {
		const struct fz_ignored *ig = &fd->gap[k];

		if (!ig->n)
			continue;
		if (!gc[k].seqs++) {
			gc[k].iter = iter;
			gc[k].first = *ig;
		}
		gc[k].pages += ig->n;
		gc[k].ties += !!ig->ties;
		if (verbose)
			printf("# iteration %llu: %s (ignored) at op %d: %s\n",
			       (unsigned long long)iter, fz_verdict_name(k), ig->op, ig->why);
	}
}

/* "fill-on-alloc, seek-flicker": the known gaps, for messages */
static const char *gap_names(void)
{
	static char names[100];
	unsigned int k;

	if (names[0])
		return names;
	for (k = 0; k < FV_NR; k++)
		if (fz_verdict_known_gap(k))
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", fz_verdict_name(k));
	return names;
}

static void print_gaps(const struct gap_count *gc, const struct opts *o)
{
	unsigned int k;

	if (o->strict) {
		printf("# %s: findings (strict)\n", gap_names());
		return;
	}
	for (k = 0; k < FV_NR; k++) {
		if (!fz_verdict_known_gap(k))
			continue;
		printf("# %s=%llu (ignored; UFFDC_STRICT=1 or --strict to fail): %llu pages",
		       fz_verdict_name(k), (unsigned long long)gc[k].seqs,
		       (unsigned long long)gc[k].pages);
		if (k == FV_FILL_ON_ALLOC)
			printf("; in %llu of those sequences a collapse asked for could have filled too (a tie)",
			       (unsigned long long)gc[k].ties);
		printf("\n");
		if (gc[k].seqs)
			printf("# first %s: iteration %llu (seed 0x%llx), op %d: %s\n",
			       fz_verdict_name(k), (unsigned long long)gc[k].iter,
			       (unsigned long long)o->seed, gc[k].first.op, gc[k].first.why);
	}
}

static int fuzz(const struct opts *o)
{
	struct fz_model_opts mo = { .mincore_hole_is_evidence = !system_has_swap(),
				    .strict = o->strict };
	struct fz_exec_opts eo = { .timeout_ms = 60000 };
	static struct fz_op ops[FZ_MAX_OPS];
	struct fz_exec_stats agg = { 0 };
	struct fz_finding fd = { .kind = FV_NONE };
	struct fz_record *r = fz_record_alloc();
	struct fz_cov cov = { 0 };
	struct gap_count gc[FV_NR] = { 0 };
	uint64_t ignored[FV_NR] = { 0 }, under = 0, filled;
	bool skipped;
	double t0 = mono_ns() / 1e9, first = -1, el;
	const char *why;
	uint64_t iter;
	unsigned int n = 0, m = 0, k;
	int nodes = numa_available() < 0 ? 1 : numa_num_configured_nodes();
	char skip[200] = "";
	FILE *j;
	int ret;

	printf("TAP version 13\n1..1\n");
	printf("# uffd_collapse_fuzz: seed 0x%llx, %g s, %u ops per sequence, "
	       "NUMA nodes %d (libnuma), swap %s, %s %s\n", (unsigned long long)o->seed,
	       o->duration, o->nops, nodes, mo.mincore_hole_is_evidence ? "off" : "on",
	       gap_names(), o->strict ? "fail (strict)" : "counted");
	printf("# replay one sequence: uffd_collapse_fuzz --seed 0x%llx --generate ITER > seq.txt; "
	       "uffd_collapse_fuzz --replay seq.txt\n", (unsigned long long)o->seed);
	fflush(stdout);
	why = r ? fz_env_setup() : "out of memory";
	if (!why && o->min_nodes && nodes < (int)o->min_nodes)
		why = "fewer NUMA nodes than --min-nodes";
	if (why) {
		printf("ok 1 fuzz # SKIP %s\n", why);
		return 4;
	}
	/* --duration is fuzzing time: waiting for another run's THP settings is not */
	t0 = mono_ns() / 1e9;
	for (iter = 0; !o->iterations || iter < o->iterations; iter++) {
		if (mono_ns() / 1e9 - t0 >= o->duration)
			break;
		n = fz_generate(fz_iter_seed(o->seed, iter), o->nops, ops);
		ret = fz_run(r, ops, n, &eo);
		if (ret && ret != -ETIMEDOUT && ret != -ECHILD) {
			snprintf(skip, sizeof(skip), "a sequence cannot run here: %s",
				 strerror(-ret));
			break;
		}
		fd = fz_judge(r, &mo);
		count_gaps(gc, &fd, iter, o->verbose);
		fz_cover(r, &cov);
		add_stats(&agg, &r->st);
		skipped = fd.kind != FV_NONE && (o->ignore >> fd.kind & 1);
		if (o->verbose || skipped)
			printf("# iteration %llu: %s%s%s\n", (unsigned long long)iter,
			       fz_verdict_name(fd.kind), skipped ? " (ignored): " : "",
			       skipped ? fd.why : "");
		if (skipped) {
			ignored[fd.kind]++;
			fd.kind = FV_NONE;
			continue;
		}
		if (fd.kind != FV_NONE)
			break;
	}
	el = mono_ns() / 1e9 - t0;
	if (fd.kind != FV_NONE) {
		first = el;
		printf("# VIOLATION %s: iteration %llu (seed 0x%llx), op %d, after %.3f s: %s\n",
		       fz_verdict_name(fd.kind), (unsigned long long)iter,
		       (unsigned long long)o->seed, fd.op, el, fd.why);
		print_seq(r, fd.op);
		m = save_finding(o, iter, ops, n, &fd, r, &mo);
	}
	/* collapses that filled a range; collapses tried under a MISSING registration */
	filled = cov.collapse[CR_FILLED][0] + cov.collapse[CR_FILLED][1];
	for (k = 0; k < CR_NR; k++)
		under += cov.collapse[k][1];
	fz_cov_print(stdout, &cov, &agg);
	print_gaps(gc, o);
	for (k = 1; k < FV_NR; k++)
		if (ignored[k])
			printf("# ignored findings: %s=%llu\n", fz_verdict_name(k),
			       (unsigned long long)ignored[k]);
	printf("# %llu sequences in %.1f s: %.1f execs/s\n", (unsigned long long)cov.execs, el,
	       cov.execs / (el > 0 ? el : 1));
	if (o->json) {
		j = fopen(o->json, "a");
		if (j) {
			fprintf(j, "{\"seed\":%llu,\"seconds\":%.3f,\"execs\":%llu,\"execs_per_s\":%.2f,"
				"\"finding\":\"%s\",\"first_finding_s\":%.3f,\"minimized_ops\":%u,"
				"\"collapses_filled\":%llu,\"collapses_under_registration\":%llu,"
				"\"numa_nodes\":%u,\"numa_ops\":%u,\"uring_ops\":%u,",
				(unsigned long long)o->seed, el, (unsigned long long)cov.execs,
				cov.execs / (el > 0 ? el : 1), fz_verdict_name(fd.kind), first, m,
				(unsigned long long)filled, (unsigned long long)under,
				agg.numa_nodes, agg.numa_ops_ok, agg.uring_ops);
			/* "fill_on_alloc":N, "seek_flicker":N: sequences with one */
			for (k = 0; k < FV_NR; k++) {
				const char *c;

				if (!fz_verdict_known_gap(k))
					continue;
				fputc('"', j);
				for (c = fz_verdict_name(k); *c; c++)
					fputc(*c == '-' ? '_' : *c, j);
				fprintf(j, "\":%llu,", (unsigned long long)gc[k].seqs);
			}
			fprintf(j, "\"strict\":%s}\n", o->strict ? "true" : "false");
			fclose(j);
		}
	}
	if (fd.kind != FV_NONE) {
		printf("not ok 1 fuzz\n");
		return 1;
	}
	if (!skip[0]) {
		if (!cov.execs)
			snprintf(skip, sizeof(skip), "no sequence ran");
		else if (!filled)
			snprintf(skip, sizeof(skip), "no collapse ever filled a range");
		else if (!under)
			snprintf(skip, sizeof(skip),
				 "no collapse was tried while a MISSING registration covered its range");
		else if (!cov.faults_missing)
			snprintf(skip, sizeof(skip), "no MISSING fault was ever delivered");
		if (!cov.collapse[CR_FILLED][1])
			printf("# no collapse succeeded while a MISSING registration covered its range "
			       "(on a fixed kernel only a range without holes can)\n");
	}
	if (skip[0]) {
		printf("ok 1 fuzz # SKIP %s\n", skip);
		return 4;
	}
	printf("ok 1 fuzz\n");
	return 0;
}

/* A sequence file; its first comment line may name the finding ("# KIND at op N: WHY"). */
static int read_seq(const char *path, struct fz_op *ops, struct fz_finding *fd)
{
	char why[240];
	int n = fz_seq_load(path, ops, FZ_MAX_OPS, fd, why, sizeof(why));

	if (n < 0) {
		usage_error("%.200s: %s", path, why);
		return -1;
	}
	return n;
}

/* A saved known gap (fill-on-alloc, seek-flicker) replays strict: it is what the file shows. */
static int replay(const struct opts *o)
{
	static struct fz_op ops[FZ_MAX_OPS];
	struct fz_finding fd;
	int n = read_seq(o->replay, ops, &fd);

	return n < 0 ? 2 : fz_replay(ops, n, o->runs, o->verbose,
				     o->strict || fz_verdict_known_gap(fd.kind));
}

static int check(const struct opts *o)
{
	static struct fz_op ops[FZ_MAX_OPS];
	struct fz_finding fd;
	int n = read_seq(o->check, ops, &fd);

	if (n < 0)
		return 2;
	printf("%s: %d operations%s%s\n", o->check, n, fd.kind != FV_NONE ? ", finding: " : "",
	       fd.kind != FV_NONE ? fz_verdict_name(fd.kind) : "");
	return 0;
}

static int write_repro(const struct opts *o)
{
	static struct fz_op ops[FZ_MAX_OPS];
	struct fz_finding fd;
	int n = read_seq(o->write_repro, ops, &fd);

	return n < 0 ? 2 : fz_repro_write(stdout, ops, n, &fd, o->seed) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct fz_op ops[FZ_MAX_OPS];
	struct opts o;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.generate >= 0) {
		unsigned int n = fz_generate(fz_iter_seed(o.seed, o.generate), o.nops, ops);

		printf("# seed 0x%llx iteration %ld\n", (unsigned long long)o.seed, o.generate);
		return fz_seq_write(stdout, ops, n) ? 1 : 0;
	}
	if (o.replay)
		return replay(&o);
	if (o.write_repro)
		return write_repro(&o);
	if (o.check)
		return check(&o);
	return fuzz(&o);
}
