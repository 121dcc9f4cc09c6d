// SPDX-License-Identifier: MIT
/*
 * findings.c - the finding model: allocation, stable ids, lists, and the
 * table of report renderers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "findings.h"
#include "report_sarif.h"

extern const struct report_ops report_text_ops;
extern const struct report_ops report_json_ops;

/* Output formats, by name: one line per renderer. */
static const struct report_ops *const report_formats[] = {
	&report_text_ops,
	&report_json_ops,
	&report_sarif_ops,
	NULL,
};

static const char *const kind_names[FK__COUNT] = {
	[FK_DEADLOCK] = "deadlock",
	[FK_LOCK_ORDER_CYCLE] = "lock-order-cycle",
	[FK_DATA_RACE] = "data-race",
	[FK_LOST_UPDATE] = "lost-update",
	[FK_UNAWAITED_TASK] = "unawaited-task",
	[FK_UNJOINED_THREAD] = "unjoined-thread",
	[FK_API_MISUSE] = "api-misuse",
	[FK_LOOP_STALL] = "loop-stall",
};

const char *finding_kind_name(enum finding_kind k)
{
	return (unsigned)k < FK__COUNT ? kind_names[k] : "unknown";
}

int finding_kind_from_name(const char *name)
{
	int k;

	for (k = 0; k < FK__COUNT; k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return -1;
}

struct finding *finding_new(enum finding_kind kind)
{
	struct finding *f = calloc(1, sizeof(*f));

	if (f)
		f->kind = kind;
	return f;
}

static void frame_free(struct finding_frame *fr)
{
	free(fr->function);
	free(fr->file);
	free(fr->module);
}

void finding_free(struct finding *f)
{
	size_t i, j;

	if (!f)
		return;
	free(f->detail);
	free(f->message);
	for (i = 0; i < f->nlocks; i++) {
		free(f->locks[i].name);
		free(f->locks[i].type);
	}
	free(f->locks);
	for (i = 0; i < f->nthreads; i++) {
		free(f->threads[i].id);
		free(f->threads[i].name);
		free(f->threads[i].task);
	}
	free(f->threads);
	for (i = 0; i < f->nsteps; i++) {
		struct finding_step *s = &f->steps[i];

		free(s->thread);
		free(s->task);
		free(s->action);
		for (j = 0; j < s->nframes; j++)
			frame_free(&s->frames[j]);
		free(s->frames);
	}
	free(f->steps);
	free(f->trace);
	free(f->suppressed_by);
	free(f);
}

/* Append one zeroed element to a (ptr, n) array; exact-size realloc keeps
 * it simple, findings are small and built once. */
static void *array_add(void **arr, size_t *n, size_t size)
{
	char *p = realloc(*arr, (*n + 1) * size);

	if (!p)
		return NULL;
	*arr = p;
	p += *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

struct finding_lock *finding_add_lock(struct finding *f)
{
	return array_add((void **)&f->locks, &f->nlocks, sizeof(*f->locks));
}

struct finding_thread *finding_add_thread(struct finding *f)
{
	return array_add((void **)&f->threads, &f->nthreads,
			 sizeof(*f->threads));
}

struct finding_step *finding_add_step(struct finding *f)
{
	return array_add((void **)&f->steps, &f->nsteps, sizeof(*f->steps));
}

struct finding_frame *finding_step_add_frame(struct finding_step *s)
{
	return array_add((void **)&s->frames, &s->nframes, sizeof(*s->frames));
}

/* ---- stable ids -------------------------------------------------------- */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

static uint64_t fnv_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

/*
 * Hash a name without what changes between runs: line numbers after ':'
 * ("created at f (x.c:12)") and hex addresses ("mutex 0x55d0...").
 * A separator ends each field so "ab","c" and "a","bc" differ.
 */
static uint64_t fnv_name(uint64_t h, const char *s)
{
	const char *p = s ? s : "";

	while (*p) {
		if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
			continue;
		}
		if (p[0] == '0' && p[1] == 'x') {
			p += 2;
			while ((*p >= '0' && *p <= '9') ||
			       (*p >= 'a' && *p <= 'f') ||
			       (*p >= 'A' && *p <= 'F'))
				p++;
			continue;
		}
		h = fnv_byte(h, (unsigned char)*p++);
	}
	return fnv_byte(h, 0xff);
}

static const char *base_name(const char *path)
{
	const char *s;

	if (!path)
		return NULL;
	s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static uint64_t step_hash(const struct finding_step *s)
{
	uint64_t h = FNV_OFFSET;
	size_t i;

	for (i = 0; i < s->nframes; i++) {
		h = fnv_name(h, s->frames[i].function);
		h = fnv_name(h, base_name(s->frames[i].file));
	}
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Locks are hashed in the order the analysis gives them (a cycle is
 * rotated to a canonical start by its analysis, so direction counts but
 * the starting point does not); steps are hashed as a sorted multiset so
 * which thread the trace happened to show first does not matter.
 */
void findings_compute_id(struct finding *f)
{
	uint64_t h = FNV_OFFSET, stack_hashes[64];
	size_t i, n;

	h = fnv_name(h, finding_kind_name(f->kind));
	h = fnv_name(h, f->detail);
	for (i = 0; i < f->nlocks; i++)
		h = fnv_name(h, f->locks[i].name);
	n = f->nsteps < 64 ? f->nsteps : 64;
	for (i = 0; i < n; i++)
		stack_hashes[i] = step_hash(&f->steps[i]);
	qsort(stack_hashes, n, sizeof(*stack_hashes), cmp_u64);
	for (i = 0; i < n; i++) {
		int b;

		for (b = 0; b < 8; b++)
			h = fnv_byte(
				h, (unsigned char)(stack_hashes[i] >> (8 * b)));
	}
	snprintf(f->id, sizeof(f->id), "%016llx", (unsigned long long)h);
}

/* ---- lists ------------------------------------------------------------- */

int finding_list_add(struct finding_list *l, struct finding *f)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct finding **p = realloc(l->items, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->items = p;
		l->cap = cap;
	}
	l->items[l->n++] = f;
	return 0;
}

void finding_list_dedup(struct finding_list *l)
{
	struct u64map seen;
	size_t i, j = 0;
	bool created;

	u64map_init(&seen);
	for (i = 0; i < l->n; i++) {
		struct finding *f = l->items[i];
		uint64_t key = strtoull(f->id, NULL, 16);

		if (!u64map_put(&seen, key, 1, &created) || created)
			l->items[j++] = f;
		else
			finding_free(f);
	}
	l->n = j;
	u64map_free(&seen);
}

static int finding_cmp(const void *a, const void *b)
{
	const struct finding *x = *(struct finding *const *)a;
	const struct finding *y = *(struct finding *const *)b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->id, y->id);
}

void finding_list_sort(struct finding_list *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), finding_cmp);
}

void finding_list_free(struct finding_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		finding_free(l->items[i]);
	free(l->items);
	for (i = 0; i < l->nnotes; i++)
		free(l->notes[i]);
	free(l->notes);
	memset(l, 0, sizeof(*l));
}

int finding_list_note(struct finding_list *l, const char *fmt, ...)
{
	char **p, *note;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&note, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -ENOMEM;
	p = realloc(l->notes, (l->nnotes + 1) * sizeof(*p));
	if (!p) {
		free(note);
		return -ENOMEM;
	}
	l->notes = p;
	l->notes[l->nnotes++] = note;
	return 0;
}

void finding_list_print_notes(const struct finding_list *l, FILE *f)
{
	size_t i;

	for (i = 0; i < l->nnotes; i++)
		fprintf(f, "hbtrace: note: %s\n", l->notes[i]);
}

/* ---- renderers --------------------------------------------------------- */

const struct report_ops *report_ops_by_name(const char *name)
{
	size_t i;

	for (i = 0; report_formats[i]; i++)
		if (!strcmp(report_formats[i]->name, name))
			return report_formats[i];
	return NULL;
}

void report_render(const struct report_ops *ops, struct report_ctx *ctx,
		   const struct finding_list *l)
{
	size_t i, nsup = 0;

	for (i = 0; i < l->n; i++)
		if (l->items[i]->suppressed_by)
			nsup++;
	if (nsup > ctx->nsuppressed)
		ctx->nsuppressed = nsup;
	if (ops->begin)
		ops->begin(ctx);
	for (i = 0; i < l->n; i++)
		if (!l->items[i]->suppressed_by && ops->finding)
			ops->finding(ctx, l->items[i]);
	if (ops->end)
		ops->end(ctx, l);
}
