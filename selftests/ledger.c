// SPDX-License-Identifier: GPL-2.0
/*
 * The event ledger: shared-memory storage, the sequence clock, and the
 * text of an event for reports.  See ledger.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "agents.h"
#include "content.h"
#include "ledger.h"

static size_t ledger_bytes(uint64_t cap)
{
	return sizeof(struct ledger) + cap * sizeof(struct ev);
}

struct ledger *ledger_create(uint64_t cap)
{
	struct ledger *l;

	l = mmap(NULL, ledger_bytes(cap), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l == MAP_FAILED)
		return NULL;
	l->cap = cap;
	ledger_reset(l);
	return l;
}

void ledger_destroy(struct ledger *l)
{
	if (l)
		munmap(l, ledger_bytes(l->cap));
}

/*
 * The clock goes on across resets, so that an event left in a slot from
 * before has a t0 below the new base (ledger_published()).  Stamp 0 is
 * never handed out: 0 can mean "no bound" to the oracle.
 */
void ledger_reset(struct ledger *l)
{
	if (!__atomic_load_n(&l->seq, __ATOMIC_SEQ_CST))
		__atomic_store_n(&l->seq, 1, __ATOMIC_SEQ_CST);
	l->base = __atomic_load_n(&l->seq, __ATOMIC_SEQ_CST);
	l->kept = 0;
	__atomic_store_n(&l->len, 0, __ATOMIC_SEQ_CST);
}

void ledger_truncate(struct ledger *l, uint64_t n)
{
	if (n >= ledger_count(l))
		return;
	l->base = __atomic_load_n(&l->seq, __ATOMIC_SEQ_CST);
	l->kept = n;
	__atomic_store_n(&l->len, n, __ATOMIC_SEQ_CST);
}

uint64_t ledger_stamp(struct ledger *l)
{
	/* SEQ_CST so that a stamp orders the memory operations around it. */
	return __atomic_fetch_add(&l->seq, 1, __ATOMIC_SEQ_CST);
}

/* Write e into slot i, t0 last: until then the slot reads as unpublished. */
static void publish(struct ledger *l, uint64_t i, const struct ev *e)
{
	struct ev copy = *e;

	copy.t0 = 0;
	l->ev[i] = copy;
	__atomic_store_n(&l->ev[i].t0, e->t0, __ATOMIC_RELEASE);
}

bool ledger_add(struct ledger *l, const struct ev *e)
{
	uint64_t i = __atomic_fetch_add(&l->len, 1, __ATOMIC_SEQ_CST);

	if (i >= l->cap)
		return false;
	publish(l, i, e);
	return true;
}

uint64_t ledger_open(struct ledger *l, struct ev *e)
{
	uint64_t i = __atomic_fetch_add(&l->len, 1, __ATOMIC_SEQ_CST);

	e->t0 = ledger_stamp(l);
	e->t1 = LEDGER_OPEN;
	e->value = CONTENT_NONE;
	if (i >= l->cap)
		return UINT64_MAX;
	publish(l, i, e);
	return i;
}

void ledger_close(struct ledger *l, uint64_t i, int32_t value, int32_t err)
{
	uint64_t t1 = ledger_stamp(l);

	if (i >= l->cap)
		return;
	l->ev[i].value = value;
	l->ev[i].err = err;
	__atomic_store_n(&l->ev[i].t1, t1, __ATOMIC_RELEASE);
}

bool ledger_published(const struct ledger *l, uint64_t i, struct ev *out)
{
	uint64_t t0, t1;

	if (i >= l->cap)
		return false;
	t0 = __atomic_load_n(&l->ev[i].t0, __ATOMIC_ACQUIRE);
	if (i >= l->kept && t0 < l->base)
		return false;
	t1 = __atomic_load_n(&l->ev[i].t1, __ATOMIC_ACQUIRE);
	*out = l->ev[i];
	out->t0 = t0;
	out->t1 = t1;
	/* In flight: what the writer may be writing now is not read. */
	if (t1 == LEDGER_OPEN) {
		out->value = CONTENT_NONE;
		out->err = 0;
	}
	return true;
}

bool ledger_overflowed(const struct ledger *l)
{
	return __atomic_load_n(&l->len, __ATOMIC_SEQ_CST) > l->cap;
}

uint64_t ledger_count(const struct ledger *l)
{
	uint64_t n = __atomic_load_n(&l->len, __ATOMIC_SEQ_CST);

	return n > l->cap ? l->cap : n;
}

void ledger_counts(const struct ledger *l, uint64_t counts[EV_NR_KINDS])
{
	uint64_t i, n = ledger_count(l);

	memset(counts, 0, sizeof(uint64_t) * EV_NR_KINDS);
	for (i = 0; i < n; i++)
		if (l->ev[i].kind < EV_NR_KINDS)
			counts[l->ev[i].kind]++;
}

static const char * const kind_names[EV_NR_KINDS] = {
	[EV_REGISTER] = "register",
	[EV_UNREGISTER] = "unregister",
	[EV_PROBE] = "probe",
	[EV_FAULT] = "fault",
	[EV_FILL] = "fill",
	[EV_REMOVE] = "remove",
	[EV_TOUCH] = "touch",
	[EV_READ] = "read",
	[EV_COLLAPSE] = "collapse",
	[EV_ZAP] = "zap",
	[EV_PAGEOUT] = "pageout",
};

const char *ev_kind_name(enum ev_kind k)
{
	return k < EV_NR_KINDS ? kind_names[k] : "?";
}

static const struct {
	const char *name;
	bool stores;
} touch_hows[TOUCH_NR] = {
	[TOUCH_LOAD] = { "load", false },
	[TOUCH_STORE] = { "store", true },
	[TOUCH_PWRITE_FROM] = { "pwrite(2) from", false },
	[TOUCH_VM_READV] = { "process_vm_readv", false },
	[TOUCH_URING_WRITE_FROM] = { "io_uring write from", false },
	[TOUCH_PREAD_INTO] = { "pread(2) into", true },
	[TOUCH_VM_WRITEV] = { "process_vm_writev", true },
	[TOUCH_URING_READ_INTO] = { "io_uring read into", true },
};

const char *touch_how_name(unsigned int how)
{
	return how < TOUCH_NR ? touch_hows[how].name : "?";
}

bool touch_how_stores(unsigned int how)
{
	return how < TOUCH_NR && touch_hows[how].stores;
}

static const char * const method_names[PM_NR] = {
	[PM_SEEK_DATA] = "SEEK_DATA",
	[PM_SEEK_HOLE] = "SEEK_HOLE",
	[PM_MINCORE] = "mincore",
	[PM_PAGEMAP] = "pagemap",
	[PM_WALK_HOLE] = "SEEK_HOLE walk",
	[PM_WALK_DATA] = "SEEK_DATA walk",
};

const char *probe_method_name(enum probe_method m)
{
	return m < PM_NR ? method_names[m] : "?";
}

static const char *fill_how_name(int how)
{
	switch (how) {
	case FILL_PWRITE: return "pwrite";
	case FILL_STORE: return "store";
	case FILL_FALLOCATE: return "fallocate";
	case FILL_POPULATE: return "MADV_POPULATE_WRITE";
	case FILL_UFFD_COPY: return "UFFDIO_COPY";
	case FILL_UFFD_ZEROPAGE: return "UFFDIO_ZEROPAGE";
	}
	return "?";
}

static const char *remove_how_name(int how)
{
	switch (how) {
	case REMOVE_PUNCH: return "PUNCH_HOLE";
	case REMOVE_MADV_REMOVE: return "MADV_REMOVE";
	case REMOVE_TRUNCATE: return "ftruncate";
	case REMOVE_DONTNEED: return "MADV_DONTNEED";
	}
	return "?";
}

static void content_format(int32_t v, char *buf, size_t len)
{
	if (v == CONTENT_ZERO)
		snprintf(buf, len, "zeros");
	else if (v == CONTENT_CORRUPT)
		snprintf(buf, len, "CORRUPT bytes");
	else if (v == CONTENT_NONE)
		snprintf(buf, len, "nothing (access failed)");
	else
		snprintf(buf, len, "gen %d", v);
}

void ev_format(const struct ev *e, char *buf, size_t len)
{
	char c[48];
	int n;

	if (e->t1 == LEDGER_OPEN)
		n = snprintf(buf, len, "[seq %llu.. (in flight) actor %u] ",
			     (unsigned long long)e->t0, e->actor);
	else
		n = snprintf(buf, len, "[seq %llu..%llu actor %u] ",
			     (unsigned long long)e->t0, (unsigned long long)e->t1,
			     e->actor);
	if (n < 0 || (size_t)n >= len)
		return;
	buf += n;
	len -= n;

	switch (e->kind) {
	case EV_REGISTER:
	case EV_UNREGISTER:
		snprintf(buf, len, "UFFDIO_%s MISSING map %u pages %u-%u%s%s",
			 e->kind == EV_REGISTER ? "REGISTER" : "UNREGISTER",
			 e->map, e->page, e->page + e->npages - 1,
			 e->err ? " failed: " : "", e->err ? strerror(e->err) : "");
		break;
	case EV_PROBE:
		if (e->aux == PM_WALK_HOLE)
			snprintf(buf, len, "SEEK_HOLE from page %u: page %u (same call at once: page %u)",
				 e->from, e->page, e->again);
		else if (e->aux == PM_WALK_DATA)
			snprintf(buf, len, "SEEK_DATA from page %u: page %u, so pages %u-%u HOLE (same call at once: page %u)",
				 e->from, e->page + e->npages, e->page,
				 e->page + e->npages - 1, e->again);
		else if (e->map)
			snprintf(buf, len, "%s page %u via map %u: %s",
				 probe_method_name(e->aux), e->page, e->map,
				 e->value == PROBE_HOLE ? "HOLE" : "DATA");
		else
			snprintf(buf, len, "%s page %u: %s", probe_method_name(e->aux),
				 e->page, e->value == PROBE_HOLE ? "HOLE" : "DATA");
		break;
	case EV_FAULT:
		if (e->value > 0)
			snprintf(buf, len, "MISSING fault page %u via map %u by thread %d (message read)",
				 e->page, e->map, e->value);
		else
			snprintf(buf, len, "MISSING fault page %u via map %u (message read)",
				 e->page, e->map);
		break;
	case EV_FILL:
		snprintf(buf, len, "%s page %u gen %d%s%s", fill_how_name(e->aux),
			 e->page, e->value, e->err ? " failed: " : "",
			 e->err ? strerror(e->err) : "");
		break;
	case EV_REMOVE:
		snprintf(buf, len, "%s pages %u-%u%s%s", remove_how_name(e->aux),
			 e->page, e->page + e->npages - 1, e->err ? " failed: " : "",
			 e->err ? strerror(e->err) : "");
		break;
	case EV_TOUCH:
	case EV_READ:
		content_format(e->value, c, sizeof(c));
		if (e->kind == EV_TOUCH && e->aux == TOUCH_STORE)
			snprintf(buf, len, "store to page %u via map %u of gen %d",
				 e->page, e->map, e->value);
		else if (e->kind == EV_TOUCH && touch_how_stores(e->aux))
			snprintf(buf, len, "%s page %u via map %u of gen %d%s%s",
				 touch_how_name(e->aux), e->page, e->map, e->value,
				 e->err ? " failed: " : "", e->err ? strerror(e->err) : "");
		else if (e->kind == EV_TOUCH && e->aux != TOUCH_LOAD)
			snprintf(buf, len, "%s page %u via map %u saw %s%s%s",
				 touch_how_name(e->aux), e->page, e->map, c,
				 e->err ? ": " : "", e->err ? strerror(e->err) : "");
		else if (e->kind == EV_TOUCH)
			snprintf(buf, len, "touch page %u via map %u saw %s",
				 e->page, e->map, c);
		else
			snprintf(buf, len, "pread page %u saw %s", e->page, c);
		break;
	case EV_COLLAPSE:
		if (e->value == COLLAPSE_UNKNOWN)
			snprintf(c, sizeof(c), "collapsed: unknown");
		else
			snprintf(c, sizeof(c), "%d page(s) found collapsed", e->value);
		snprintf(buf, len, "%s pages %u-%u: %s, %s",
			 agent_name(e->aux), e->page, e->page + e->npages - 1,
			 e->err ? strerror(e->err) : "ok", c);
		break;
	case EV_ZAP:
		snprintf(buf, len, "MADV_DONTNEED pages %u-%u via map %u%s%s",
			 e->page, e->page + e->npages - 1, e->map,
			 e->err ? " failed: " : "", e->err ? strerror(e->err) : "");
		break;
	case EV_PAGEOUT:
		snprintf(buf, len, "MADV_PAGEOUT pages %u-%u via map %u%s%s: %d swapped out",
			 e->page, e->page + e->npages - 1, e->map,
			 e->err ? " failed: " : "", e->err ? strerror(e->err) : "", e->value);
		break;
	default:
		snprintf(buf, len, "unknown event kind %u", e->kind);
	}
}
