// SPDX-License-Identifier: MIT
/*
 * report_text.c - the human report, shaped like ThreadSanitizer's so
 * people and tools that know those reports read it at once:
 *
 *   ==================
 *   WARNING: hbtrace: lock-order-cycle (potential deadlock) (pid=42)
 *     Cycle in lock order graph: lock_a => lock_b => lock_a
 *
 *     Thread T2 acquires lock_b while holding lock_a:
 *       #0 t_first abba.c:12
 *
 *   SUMMARY: hbtrace: lock-order-cycle abba.c:12 in t_first
 *   ==================
 *
 * and one closing line per kind ("hbtrace: 1 lock-order-cycle").
 */
#include <string.h>

#include "findings.h"
#include "suppress_rules.h"

#define SEPARATOR "=================="

static const char *text_base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static void text_begin(struct report_ctx *ctx)
{
	(void)ctx;
}

/* "acquire lock_b ..." -> "acquires lock_b ...": the steps read as
 * sentences after "Thread T2". */
static void text_action(FILE *out, const char *action)
{
	size_t n = strcspn(action, " ");
	bool verb = n > 1 && action[n - 1] != 's' &&
		    !(n > 2 && !strncmp(action + n - 2, "ed", 2)) &&
		    !(n == 2 && !strncmp(action, "is", 2));

	if (verb)
		fprintf(out, "%.*ss%s", (int)n, action, action + n);
	else
		fputs(action, out);
}

static const struct finding_frame *text_top_frame(const struct finding *f)
{
	size_t i, j;

	for (i = 0; i < f->nsteps; i++)
		for (j = 0; j < f->steps[i].nframes; j++)
			if (f->steps[i].frames[j].file)
				return &f->steps[i].frames[j];
	return NULL;
}

static void text_finding(struct report_ctx *ctx, const struct finding *f)
{
	FILE *out = ctx->out;
	const struct finding_frame *top;
	size_t i, j;

	fprintf(out, SEPARATOR "\nWARNING: hbtrace: %s",
		finding_kind_name(f->kind));
	if (f->kind == FK_LOCK_ORDER_CYCLE)
		fputs(" (potential deadlock)", out);
	else if (f->detail)
		fprintf(out, " (%s)", f->detail);
	if (f->pid)
		fprintf(out, " (pid=%d)", f->pid);
	fputc('\n', out);
	if (f->message)
		fprintf(out, "  %s\n", f->message);
	for (i = 0; i < f->nsteps; i++) {
		const struct finding_step *s = &f->steps[i];

		fputs("\n  ", out);
		if (s->task)
			fprintf(out, "Task %s (thread %s) ", s->task,
				s->thread ? s->thread : "?");
		else
			fprintf(out, "Thread %s ", s->thread ? s->thread : "?");
		text_action(out, s->action ? s->action : "");
		fputs(":\n", out);
		if (!s->nframes)
			fputs("    (no stack recorded)\n", out);
		for (j = 0; j < s->nframes; j++) {
			const struct finding_frame *fr = &s->frames[j];

			fprintf(out, "    #%zu %s", j,
				fr->function ? fr->function : "??");
			if (fr->file)
				fprintf(out, " %s:%d", text_base(fr->file),
					fr->line);
			else if (fr->module)
				fprintf(out, " (%s)", text_base(fr->module));
			if (fr->inlined)
				fputs(" (inlined)", out);
			fputc('\n', out);
		}
	}
	if (f->nlocks) {
		fputs("\n  Locks:", out);
		for (i = 0; i < f->nlocks; i++)
			fprintf(out, "%s %s (%s)", i ? "," : "",
				f->locks[i].name ? f->locks[i].name : "?",
				f->locks[i].type ? f->locks[i].type : "?");
		fputc('\n', out);
	}
	fprintf(out, "\nSUMMARY: hbtrace: %s", finding_kind_name(f->kind));
	top = text_top_frame(f);
	if (top)
		fprintf(out, " %s:%d in %s", text_base(top->file), top->line,
			top->function ? top->function : "??");
	fputs("\n" SEPARATOR "\n", out);
}

static void text_end(struct report_ctx *ctx, const struct finding_list *all)
{
	size_t count[FK__COUNT] = {0}, i, total = 0;

	for (i = 0; i < all->n; i++) {
		if (all->items[i]->suppressed_by)
			continue;
		count[all->items[i]->kind]++;
		total++;
	}
	if (!total)
		fputs("hbtrace: no findings\n", ctx->out);
	for (i = 0; i < FK__COUNT; i++)
		if (count[i])
			fprintf(ctx->out, "hbtrace: %zu %s\n", count[i],
				finding_kind_name(i));
	/* "hbtrace: 2 findings suppressed: 1 by data-race:x, 1 by *:y" */
	suppress_print_summary(ctx->out, all);
}

const struct report_ops report_text_ops = {
	.name = "text",
	.begin = text_begin,
	.finding = text_finding,
	.end = text_end,
};
