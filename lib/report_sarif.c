// SPDX-License-Identifier: MIT
/*
 * report_sarif.c - findings as SARIF 2.1.0 (see report_sarif.h).
 *
 * Paths: SARIF wants URIs, and code scanning wants them relative to the
 * repository.  A file under the current directory is written relative to
 * it with uriBaseId %SRCROOT% (declared in originalUriBaseIds as the cwd),
 * anything else as an absolute file:// URI.  Relative DWARF paths are
 * taken as relative to %SRCROOT% too: that is where the compiler ran in
 * the usual "make in the checkout" setup.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate_json.h"
#include "report_sarif.h"

#ifndef HBT_VERSION_STRING
#define HBT_VERSION_STRING "unknown"
#endif

struct sarif_rule {
	const char *name; /* PascalCase rule name */
	const char *short_desc;
	const char *help;
};

/* clang-format off */
static const struct sarif_rule sarif_rules[FK__COUNT] = {
	[FK_DEADLOCK] = {
		"Deadlock",
		"Threads or tasks blocked in a cycle",
		"Threads or tasks were blocked in a cycle when the trace "
		"ended: each waits for a lock, task or thread held by the "
		"next one, so none can proceed. This includes a thread "
		"relocking a non-recursive mutex it already holds. Fix by "
		"taking the locks in one global order, by not holding a lock "
		"while waiting for another thread or task, or by using a "
		"recursive lock where relocking is intended.",
	},
	[FK_LOCK_ORDER_CYCLE] = {
		"LockOrderCycle",
		"Locks taken in conflicting orders (potential deadlock)",
		"Locks were taken in orders that form a cycle (for example A "
		"then B in one thread, B then A in another) and nothing "
		"orders those critical sections, so another run can "
		"interleave them into a deadlock even if this one did not. "
		"Fix by choosing one global lock order (for example by "
		"address or by rank), or by never holding one of the locks "
		"while taking the other.",
	},
	[FK_DATA_RACE] = {
		"DataRace",
		"Unsynchronized conflicting accesses",
		"Two accesses to the same memory location, at least one a "
		"write, came from different threads with no happens-before "
		"relation between them (no common lock, no signal, no join). "
		"The result depends on timing and, in C, the behaviour is "
		"undefined. Protect the location with a lock, make it atomic,"
		" or hand it over through a synchronizing operation.",
	},
	[FK_LOST_UPDATE] = {
		"LostUpdate",
		"Read-modify-write can lose another update",
		"A read-modify-write computes its new value from a read that "
		"another thread or task may overwrite before the write: one "
		"of the two updates is lost. Typical causes are counter++ "
		"without a lock, a critical section split in two, or an await"
		" between the read and the write in a coroutine. Make the "
		"whole read-modify-write one critical section or one atomic "
		"operation.",
	},
	[FK_UNAWAITED_TASK] = {
		"UnawaitedTask",
		"asyncio task or coroutine never awaited",
		"An asyncio task or coroutine was never awaited: it was "
		"pending at exit, destroyed while pending, its exception was "
		"never retrieved, or a coroutine was called without await. "
		"Its work may silently not happen and its errors are lost. "
		"Keep a reference to every task and await it (or use a "
		"TaskGroup).",
	},
	[FK_UNJOINED_THREAD] = {
		"UnjoinedThread",
		"Thread neither joined nor detached",
		"A thread was neither joined nor detached: its resources leak"
		" and nothing orders its last actions before the program's "
		"end. Join it, or detach it if nobody needs its result.",
	},
	[FK_API_MISUSE] = {
		"ApiMisuse",
		"Wrong use of a lock API",
		"A lock API was used wrongly: unlocking a lock the caller "
		"does not hold, destroying a held lock, waiting on a "
		"condition with a mutex that is not held, and similar (the "
		"result's detail says which). The behaviour of such calls is "
		"undefined by POSIX or an error in Python; fix the call "
		"sequence.",
	},
	[FK_LOOP_STALL] = {
		"LoopStall",
		"Event loop blocked by one step",
		"One step of an asyncio task or callback ran longer than the "
		"threshold (100 ms by default) without yielding, blocking "
		"every other task on the loop: typically time.sleep, blocking"
		" I/O or a CPU-heavy loop inside a coroutine. Use the asyncio"
		" equivalent, run_in_executor, or split the work.",
	},
};
/* clang-format on */

/* The renderer is driven one finding at a time; this is its only state. */
static struct {
	size_t nresults;
	char cwd[PATH_MAX];
	size_t cwd_len;
} sarif;

const char *sarif_rule_help(enum finding_kind k)
{
	if ((unsigned)k >= FK__COUNT)
		return NULL;
	return sarif_rules[k].help;
}

static bool kind_is_error(enum finding_kind k)
{
	return k == FK_DEADLOCK || k == FK_LOCK_ORDER_CYCLE ||
	       k == FK_DATA_RACE || k == FK_LOST_UPDATE;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* Code of the system (libc, libstdc++, Python's stdlib), not the user's. */
static bool frame_is_system(const struct finding_frame *fr)
{
	static const char *const lib_dirs[] = {"/lib/", "/lib64/", "/usr/lib/",
					       "/usr/lib64/", "/usr/libexec/"};

	for (size_t i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++)
		if (has_prefix(fr->module, lib_dirs[i]) ||
		    has_prefix(fr->file, lib_dirs[i]))
			return true;
	return has_prefix(fr->file, "/usr/include/");
}

/* A frame a user can act on: has a source line and is not system code. */
static bool frame_is_user(const struct finding_frame *fr)
{
	if (!fr->file || fr->line <= 0 || fr->file[0] == '<')
		return false;
	return !frame_is_system(fr);
}

static const struct finding_frame *step_user_frame(const struct finding_step *s)
{
	for (size_t i = 0; i < s->nframes; i++)
		if (frame_is_user(&s->frames[i]))
			return &s->frames[i];
	for (size_t i = 0; i < s->nframes; i++)
		if (s->frames[i].file)
			return &s->frames[i];
	return NULL;
}

static const struct finding_frame *finding_user_frame(const struct finding *f)
{
	for (size_t i = 0; i < f->nsteps; i++) {
		const struct finding_frame *fr = step_user_frame(&f->steps[i]);

		if (fr)
			return fr;
	}
	return NULL;
}

static void put_uri_chars(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("/-._~+", c))
			putc(c, out);
		else
			fprintf(out, "%%%02X", c);
	}
}

/* 'system': a relative path of system code (glibc's "nptl/...") is not
 * relative to the user's source root: leave it without a base. */
static void put_artifact(FILE *out, const char *file, bool system)
{
	fputs("{\"uri\": \"", out);
	while (file[0] == '.' && file[1] == '/')
		file += 2;
	if (file[0] != '/') {
		put_uri_chars(out, file);
		fputs(system ? "\"}" : "\", \"uriBaseId\": \"%SRCROOT%\"}",
		      out);
	} else if (sarif.cwd_len && !strncmp(file, sarif.cwd, sarif.cwd_len) &&
		   file[sarif.cwd_len] == '/') {
		put_uri_chars(out, file + sarif.cwd_len + 1);
		fputs("\", \"uriBaseId\": \"%SRCROOT%\"}", out);
	} else {
		fputs("file://", out);
		put_uri_chars(out, file);
		fputs("\"}", out);
	}
}

static void put_physical(FILE *out, const struct finding_frame *fr)
{
	fputs("\"physicalLocation\": {\"artifactLocation\": ", out);
	put_artifact(out, fr->file, frame_is_system(fr));
	if (fr->line > 0)
		fprintf(out, ", \"region\": {\"startLine\": %d}", fr->line);
	fputs("}", out);
}

/* A SARIF location object for a frame; 'msg' may be NULL. */
static void put_location(FILE *out, const struct finding_frame *fr,
			 const char *msg)
{
	bool comma = false;

	fputs("{", out);
	if (fr && fr->file) {
		put_physical(out, fr);
		comma = true;
	}
	if (fr && fr->function) {
		fprintf(out, "%s\"logicalLocations\": [{\"name\": ",
			comma ? ", " : "");
		gate_json_str(out, fr->function);
		fputs(", \"kind\": \"function\"}]", out);
		comma = true;
	}
	if (msg) {
		fprintf(out, "%s\"message\": {\"text\": ", comma ? ", " : "");
		gate_json_str(out, msg);
		fputs("}", out);
	}
	fputs("}", out);
}

static void put_stack(FILE *out, const struct finding_step *s)
{
	fputs("\"stack\": {\"frames\": [", out);
	for (size_t i = 0; i < s->nframes; i++) {
		const struct finding_frame *fr = &s->frames[i];

		fputs(i ? ", {\"location\": " : "{\"location\": ", out);
		put_location(out, fr, NULL);
		if (fr->module) {
			fputs(", \"module\": ", out);
			gate_json_str(out, fr->module);
		}
		fputs("}", out);
	}
	fputs("]}", out);
}

static const struct finding_thread *find_thread(const struct finding *f,
						const char *id)
{
	for (size_t i = 0; i < f->nthreads; i++)
		if (f->threads[i].id && id && !strcmp(f->threads[i].id, id))
			return &f->threads[i];
	return NULL;
}

static bool same_thread(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* One threadFlow per thread, in the order threads first act. */
static void put_code_flows(FILE *out, const struct finding *f)
{
	bool first_flow = true;

	fputs("\"codeFlows\": [{\"threadFlows\": [", out);
	for (size_t i = 0; i < f->nsteps; i++) {
		const char *tid = f->steps[i].thread;
		const struct finding_thread *th;
		bool seen = false, first_loc = true;

		for (size_t j = 0; j < i && !seen; j++)
			seen = same_thread(f->steps[j].thread, tid);
		if (seen)
			continue;
		fputs(first_flow ? "{" : ", {", out);
		first_flow = false;
		if (tid) {
			fputs("\"id\": ", out);
			gate_json_str(out, tid);
			fputs(", ", out);
		}
		th = find_thread(f, tid);
		fputs("\"message\": {\"text\": ", out);
		{
			char buf[512];

			snprintf(buf, sizeof(buf), "Thread %s%s%s%s%s%s",
				 tid ? tid : "?", th && th->name ? " (" : "",
				 th && th->name ? th->name : "",
				 th && th->name ? ")" : "",
				 f->steps[i].task ? ", task " : "",
				 f->steps[i].task ? f->steps[i].task : "");
			gate_json_str(out, buf);
		}
		fputs("}, \"locations\": [", out);
		for (size_t j = i; j < f->nsteps; j++) {
			const struct finding_step *s = &f->steps[j];

			if (!same_thread(s->thread, tid))
				continue;
			fputs(first_loc ? "{" : ", {", out);
			first_loc = false;
			fputs("\"location\": ", out);
			put_location(out, step_user_frame(s),
				     s->action ? s->action : "step");
			fprintf(out,
				", \"executionOrder\": %zu, "
				"\"nestingLevel\": 0, ",
				j + 1);
			put_stack(out, s);
			fputs("}", out);
		}
		fputs("]}", out);
	}
	fputs("]}]", out);
}

static void put_result(FILE *out, const struct finding *f)
{
	const struct finding_frame *fr = finding_user_frame(f);

	if (sarif.nresults++)
		fputs(",\n", out);
	fputs("        {\"ruleId\": ", out);
	gate_json_str(out, finding_kind_name(f->kind));
	fprintf(out,
		", \"ruleIndex\": %d, \"kind\": \"fail\", \"level\": \"%s\", ",
		(int)f->kind, f->is_error ? "error" : "warning");
	fputs("\"message\": {\"text\": ", out);
	gate_json_str(out,
		      f->message ? f->message : finding_kind_name(f->kind));
	fputs("}, ", out);
	if (fr) {
		fputs("\"locations\": [", out);
		put_location(out, fr, NULL);
		fputs("], ", out);
	}
	fputs("\"partialFingerprints\": {\"hbtraceId/v1\": ", out);
	gate_json_str(out, f->id);
	fputs("}, ", out);
	if (f->nsteps) {
		put_code_flows(out, f);
		fputs(", ", out);
	}
	if (f->suppressed_by) {
		fputs("\"suppressions\": [{\"kind\": \"external\", "
		      "\"justification\": ",
		      out);
		{
			char buf[600];

			snprintf(buf, sizeof(buf),
				 "hbtrace suppression rule %s",
				 f->suppressed_by);
			gate_json_str(out, buf);
		}
		fputs("}], ", out);
	}
	fputs("\"properties\": {\"id\": ", out);
	gate_json_str(out, f->id);
	fprintf(out, ", \"predicted\": %s", f->predicted ? "true" : "false");
	if (f->detail) {
		fputs(", \"detail\": ", out);
		gate_json_str(out, f->detail);
	}
	if (f->trace) {
		fputs(", \"trace\": ", out);
		gate_json_str(out, f->trace);
	}
	if (f->nlocks) {
		fputs(", \"locks\": [", out);
		for (size_t i = 0; i < f->nlocks; i++) {
			if (i)
				fputs(", ", out);
			gate_json_str(out, f->locks[i].name);
		}
		fputs("]", out);
	}
	fputs("}}", out);
}

static void sarif_begin(struct report_ctx *ctx)
{
	FILE *out = ctx->out;

	sarif.nresults = 0;
	sarif.cwd_len = 0;
	if (getcwd(sarif.cwd, sizeof(sarif.cwd)))
		sarif.cwd_len = strlen(sarif.cwd);
	if (sarif.cwd_len == 1) /* "/" */
		sarif.cwd_len = 0;

	fputs("{\n  \"$schema\": "
	      "\"https://json.schemastore.org/sarif-2.1.0.json\",\n"
	      "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n",
	      out);
	fputs("      \"tool\": {\"driver\": {\"name\": \"hbtrace\", "
	      "\"version\": \"" HBT_VERSION_STRING "\", "
	      "\"semanticVersion\": \"" HBT_VERSION_STRING "\", \"rules\": [\n",
	      out);
	for (int k = 0; k < FK__COUNT; k++) {
		const struct sarif_rule *r = &sarif_rules[k];

		fputs("        {\"id\": ", out);
		gate_json_str(out, finding_kind_name(k));
		fputs(", \"name\": ", out);
		gate_json_str(out, r->name);
		fputs(", \"shortDescription\": {\"text\": ", out);
		gate_json_str(out, r->short_desc);
		fputs("}, \"fullDescription\": {\"text\": ", out);
		gate_json_str(out, r->help);
		fputs("}, \"help\": {\"text\": ", out);
		gate_json_str(out, r->help);
		fprintf(out,
			"}, \"defaultConfiguration\": {\"level\": \"%s\"}, "
			"\"properties\": {\"tags\": [\"concurrency\", "
			"\"reliability\"], \"precision\": \"high\", "
			"\"problem.severity\": \"%s\"}}%s\n",
			kind_is_error(k) ? "error" : "warning",
			kind_is_error(k) ? "error" : "warning",
			k + 1 < FK__COUNT ? "," : "");
	}
	fputs("      ]}},\n", out);
	if (sarif.cwd_len) {
		fputs("      \"originalUriBaseIds\": {\"%SRCROOT%\": {\"uri\": "
		      "\"file://",
		      out);
		put_uri_chars(out, sarif.cwd);
		fputs("/\"}},\n", out);
	}
	fputs("      \"invocations\": [{\"executionSuccessful\": true}],\n",
	      out);
	if (ctx->ntraces) {
		fputs("      \"artifacts\": [", out);
		for (size_t i = 0; i < ctx->ntraces; i++) {
			fputs(i ? ", {\"location\": " : "{\"location\": ", out);
			put_artifact(out, ctx->traces[i], false);
			fputs(", \"roles\": [\"analysisTarget\"]}", out);
		}
		fputs("],\n", out);
	}
	fputs("      \"results\": [\n", out);
}

static void sarif_finding(struct report_ctx *ctx, const struct finding *f)
{
	put_result(ctx->out, f);
}

static void sarif_end(struct report_ctx *ctx, const struct finding_list *all)
{
	FILE *out = ctx->out;
	size_t nsup = 0;

	/* report_render() passes only unsuppressed findings one by one;
	 * the suppressed ones go here, marked, so viewers can show them. */
	for (size_t i = 0; all && i < all->n; i++) {
		if (all->items[i]->suppressed_by) {
			put_result(out, all->items[i]);
			nsup++;
		}
	}
	fprintf(out,
		"\n      ],\n      \"properties\": {\"suppressed\": %zu}\n"
		"    }\n  ]\n}\n",
		nsup > ctx->nsuppressed ? nsup : ctx->nsuppressed);
}

const struct report_ops report_sarif_ops = {
	.name = "sarif",
	.begin = sarif_begin,
	.finding = sarif_finding,
	.end = sarif_end,
};
