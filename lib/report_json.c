// SPDX-License-Identifier: MIT
/*
 * report_json.c - `report --format json`: exactly the object of
 * CONTRACT.md.  Missing strings are null; "summary" counts the reported
 * (not suppressed) findings per kind, kinds with none left out.
 */
#include "findings.h"
#include "gate_json.h"
#include "report_json.h"

/* One escaper for every JSON writer (SARIF, chrome, this). */
void json_put_string(FILE *out, const char *s)
{
	gate_json_str(out, s);
}

struct json_state {
	size_t nprinted;
};

static struct json_state json_st;

static void json_begin(struct report_ctx *ctx)
{
	FILE *out = ctx->out;
	size_t i;

	json_st.nprinted = 0;
	fputs("{\n  \"tool\": {\"name\": \"hbtrace\", \"version\": ", out);
#ifdef HBT_VERSION_STRING
	json_put_string(out, HBT_VERSION_STRING);
#else
	json_put_string(out, "unknown");
#endif
	fputs("},\n  \"traces\": [", out);
	for (i = 0; i < ctx->ntraces; i++) {
		if (i)
			fputs(", ", out);
		json_put_string(out, ctx->traces[i]);
	}
	fputs("],\n  \"findings\": [", out);
}

static void json_finding(struct report_ctx *ctx, const struct finding *f)
{
	FILE *out = ctx->out;
	size_t i, j;

	fputs(json_st.nprinted++ ? ",\n    {" : "\n    {", out);
	fputs("\n      \"kind\": ", out);
	json_put_string(out, finding_kind_name(f->kind));
	fputs(",\n      \"id\": ", out);
	json_put_string(out, f->id);
	fprintf(out, ",\n      \"severity\": \"%s\",\n      \"predicted\": %s",
		f->is_error ? "error" : "warning",
		f->predicted ? "true" : "false");
	fputs(",\n      \"detail\": ", out);
	json_put_string(out, f->detail);
	fputs(",\n      \"message\": ", out);
	json_put_string(out, f->message);
	fputs(",\n      \"locks\": [", out);
	for (i = 0; i < f->nlocks; i++) {
		fputs(i ? ", {\"name\": " : "{\"name\": ", out);
		json_put_string(out, f->locks[i].name);
		fputs(", \"type\": ", out);
		json_put_string(out, f->locks[i].type);
		fprintf(out, ", \"address\": \"0x%llx\"}",
			(unsigned long long)f->locks[i].address);
	}
	fputs("],\n      \"threads\": [", out);
	for (i = 0; i < f->nthreads; i++) {
		fputs(i ? ", {\"id\": " : "{\"id\": ", out);
		json_put_string(out, f->threads[i].id);
		fputs(", \"name\": ", out);
		json_put_string(out, f->threads[i].name);
		fputs(", \"task\": ", out);
		json_put_string(out, f->threads[i].task);
		fputc('}', out);
	}
	fputs("],\n      \"steps\": [", out);
	for (i = 0; i < f->nsteps; i++) {
		const struct finding_step *s = &f->steps[i];

		fputs(i ? ",\n        {\"thread\": "
			: "\n        {\"thread\": ",
		      out);
		json_put_string(out, s->thread);
		fputs(", \"task\": ", out);
		json_put_string(out, s->task);
		fputs(", \"action\": ", out);
		json_put_string(out, s->action);
		fputs(",\n         \"stack\": [", out);
		for (j = 0; j < s->nframes; j++) {
			const struct finding_frame *fr = &s->frames[j];

			fputs(j ? ", {\"function\": " : "{\"function\": ", out);
			json_put_string(out, fr->function);
			fputs(", \"file\": ", out);
			json_put_string(out, fr->file);
			fprintf(out, ", \"line\": %d}", fr->line);
		}
		fputs("]}", out);
	}
	fputs(f->nsteps ? "\n      ]\n    }" : "]\n    }", out);
}

static void json_end(struct report_ctx *ctx, const struct finding_list *all)
{
	size_t count[FK__COUNT] = {0}, i, n = 0;
	FILE *out = ctx->out;

	for (i = 0; i < all->n; i++)
		if (!all->items[i]->suppressed_by)
			count[all->items[i]->kind]++;
	fputs(json_st.nprinted ? "\n  ],\n" : "],\n", out);
	/* suppressed findings (an addition to CONTRACT.md's shape, only
	 * present when a suppressions file hid something): id and rule */
	for (i = 0; i < all->n; i++) {
		if (!all->items[i]->suppressed_by)
			continue;
		fputs(n++ ? ", {\"id\": " : "  \"suppressed\": [{\"id\": ",
		      out);
		json_put_string(out, all->items[i]->id);
		fputs(", \"rule\": ", out);
		json_put_string(out, all->items[i]->suppressed_by);
		fputs("}", out);
	}
	if (n)
		fputs("],\n", out);
	n = 0;
	fputs("  \"summary\": {", out);
	for (i = 0; i < FK__COUNT; i++) {
		if (!count[i])
			continue;
		fprintf(out, "%s\"%s\": %zu", n++ ? ", " : "",
			finding_kind_name(i), count[i]);
	}
	fputs("}\n}\n", out);
}

const struct report_ops report_json_ops = {
	.name = "json",
	.begin = json_begin,
	.finding = json_finding,
	.end = json_end,
};
