// SPDX-License-Identifier: MIT
/*
 * check.c - `hbtrace check`: analyze traces and gate CI on the findings.
 *
 * The order of work: validate every input that can be wrong (options,
 * --fail-on kinds, baseline, suppressions) before the traces are read, so a
 * typo costs no analysis time; then analyze all traces, add the cross-trace
 * lock-order cycles, deduplicate, suppress, gate, write the baseline,
 * render.  The verdict goes to stderr so stdout (or -o) holds only the
 * report in the requested format.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/lockorder_merge.h"
#include "analyze.h"
#include "baseline.h"
#include "cmds.h"
#include "findings.h"
#include "report_sarif.h"
#include "suppress_rules.h"

static const char check_usage[] =
	"usage: hbtrace check [--fail-on KIND,...] [--baseline FILE]\n"
	"                     [--write-baseline FILE] [--suppressions FILE]\n"
	"                     [--format text|json|sarif] [-o FILE] TRACE...\n"
	"\n"
	"Analyze the traces (a whole test suite's, children included) and\n"
	"exit 1 if a finding fails the gate, 0 if none does, 2 on bad input.\n"
	"A directory stands for the *.hbt files in it.\n"
	"\n"
	"  --fail-on KINDS        comma-separated kinds that fail the gate\n"
	"                         (default "
	"deadlock,lock-order-cycle,data-race,\n"
	"                         lost-update; 'all' or '*' for every kind)\n"
	"  --baseline FILE        findings listed in FILE do not fail the "
	"gate\n"
	"  --write-baseline FILE  write the findings' ids to FILE\n"
	"  --suppressions FILE    hide findings matched by kind:pattern rules\n"
	"  --format FORMAT        text (default), json or sarif\n"
	"  -o FILE                write the report to FILE instead of stdout\n"
	"  --no-merge             no cross-trace lock-order analysis\n"
	"A trace cut short, or missing events, gets a 'hbtrace: note:' line "
	"on stderr.\n";

struct check_opts {
	bool fail_on[FK__COUNT];
	const char *baseline;
	const char *write_baseline;
	const char *suppressions;
	const char *format;
	const char *output;
	bool no_merge;
	const char **paths;
	size_t npaths;
	char **owned; /* paths found in directories, freed at the end */
	size_t nowned;
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("hbtrace: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'hbtrace check --help')\n", stderr);
	return 2;
}

/* Parse "a,b,c" into opts->fail_on; 0 or 2 after printing the error. */
static int parse_fail_on(struct check_opts *o, const char *list)
{
	const char *p = list;

	memset(o->fail_on, 0, sizeof(o->fail_on));
	while (*p) {
		size_t n = strcspn(p, ",");
		char kind[64];
		int k;

		if (n == 0 || n >= sizeof(kind)) {
			if (n == 0) {
				p++;
				continue;
			}
			return usage_error("--fail-on: unknown kind '%s'", p);
		}
		memcpy(kind, p, n);
		kind[n] = '\0';
		if (!strcmp(kind, "all") || !strcmp(kind, "*")) {
			for (k = 0; k < FK__COUNT; k++)
				o->fail_on[k] = true;
		} else if (!strcmp(kind, "none")) {
			/* report only: nothing fails */
		} else {
			k = finding_kind_from_name(kind);
			if (k < 0)
				return usage_error(
					"--fail-on: unknown kind '%s'", kind);
			o->fail_on[k] = true;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* "--name VALUE" or "--name=VALUE"; advances *i.  1 = matched. */
static int opt_value(int argc, const char **argv, int *i, const char *name,
		     const char **val, int *err)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc) {
		*err = usage_error("option '%s' needs a value", name);
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

static int parse_args(int argc, const char **argv, struct check_opts *o)
{
	int err = 0;

	o->fail_on[FK_DEADLOCK] = o->fail_on[FK_LOCK_ORDER_CYCLE] = true;
	o->fail_on[FK_DATA_RACE] = o->fail_on[FK_LOST_UPDATE] = true;
	o->paths = calloc((size_t)argc + 1, sizeof(*o->paths));
	if (!o->paths) {
		fprintf(stderr, "hbtrace: error: %s\n", strerror(ENOMEM));
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (opt_value(argc, argv, &i, "--fail-on", &v, &err)) {
			if (err || (err = parse_fail_on(o, v)))
				return err;
		} else if (opt_value(argc, argv, &i, "--baseline", &o->baseline,
				     &err) ||
			   opt_value(argc, argv, &i, "--write-baseline",
				     &o->write_baseline, &err) ||
			   opt_value(argc, argv, &i, "--suppressions",
				     &o->suppressions, &err) ||
			   opt_value(argc, argv, &i, "--format", &o->format,
				     &err) ||
			   opt_value(argc, argv, &i, "-o", &o->output, &err) ||
			   opt_value(argc, argv, &i, "--output", &o->output,
				     &err)) {
			if (err)
				return err;
		} else if (!strcmp(a, "--no-merge")) {
			o->no_merge = true;
		} else if (!strcmp(a, "--")) {
			while (++i < argc)
				o->paths[o->npaths++] = argv[i];
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else {
			o->paths[o->npaths++] = a;
		}
	}
	if (!o->npaths)
		return usage_error("%s", "no trace given");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A directory stands for the *.hbt files in it (sorted): a test suite's
 * thousands of traces need not fit on one command line.  0, or 2 after
 * printing the error.
 */
static int expand_dirs(struct check_opts *o)
{
	const char **paths = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < o->npaths; i++) {
		struct stat st;
		struct dirent *de;
		size_t first = o->nowned;
		DIR *d;

		if (stat(o->paths[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				paths = realloc(paths, cap * sizeof(*paths));
				if (!paths)
					goto nomem;
			}
			paths[n++] = o->paths[i];
			continue;
		}
		d = opendir(o->paths[i]);
		if (!d) {
			fprintf(stderr,
				"hbtrace: error: cannot read directory '%s': "
				"%s\n",
				o->paths[i], strerror(errno));
			free(paths);
			return 2;
		}
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			char **owned;

			if (len < 5 || strcmp(de->d_name + len - 4, ".hbt"))
				continue;
			owned = realloc(o->owned,
					(o->nowned + 1) * sizeof(*owned));
			if (!owned) {
				closedir(d);
				goto nomem;
			}
			o->owned = owned;
			if (asprintf(&o->owned[o->nowned], "%s/%s", o->paths[i],
				     de->d_name) < 0) {
				closedir(d);
				goto nomem;
			}
			o->nowned++;
		}
		closedir(d);
		if (o->nowned > first)
			qsort(o->owned + first, o->nowned - first,
			      sizeof(*o->owned), cmp_str);
		for (size_t j = first; j < o->nowned; j++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				paths = realloc(paths, cap * sizeof(*paths));
				if (!paths)
					goto nomem;
			}
			paths[n++] = o->owned[j];
		}
	}
	if (!n) {
		free(paths);
		return usage_error("%s", "no trace found");
	}
	free(o->paths);
	o->paths = paths;
	o->npaths = n;
	return 0;
nomem:
	fprintf(stderr, "hbtrace: error: %s\n", strerror(ENOMEM));
	free(paths);
	return 2;
}

/* The same path twice would look like two processes to the merge. */
static void drop_duplicate_paths(struct check_opts *o)
{
	size_t n = 0;

	for (size_t i = 0; i < o->npaths; i++) {
		bool dup = false;

		for (size_t j = 0; j < n && !dup; j++)
			dup = !strcmp(o->paths[j], o->paths[i]);
		if (!dup)
			o->paths[n++] = o->paths[i];
	}
	o->npaths = n;
}

static const struct report_ops *find_ops(const char *format)
{
	const struct report_ops *ops = report_ops_by_name(format);

	if (!ops && !strcmp(format, "sarif"))
		ops = &report_sarif_ops;
	return ops;
}

int cmd_check(int argc, const char **argv)
{
	struct check_opts o = {0};
	struct baseline base = {0};
	struct suppress_set sup = {0};
	struct finding_list l = {0};
	struct analysis_options aopts = {0};
	struct report_ctx ctx = {0};
	const struct report_ops *ops;
	size_t nfail = 0, nbase = 0, nsup = 0, fail_count[FK__COUNT] = {0};
	char err[1024] = "";
	FILE *out = stdout;
	int ret = 2;

	if (cmd_wants_help(argc, argv)) {
		fputs(check_usage, stdout);
		return 0;
	}
	ret = parse_args(argc, argv, &o);
	if (ret)
		goto out;
	ret = expand_dirs(&o);
	if (ret)
		goto out;
	ret = 2;
	drop_duplicate_paths(&o);
	ops = find_ops(o.format ? o.format : "text");
	if (!ops) {
		usage_error("unknown format '%s' (want text, json or sarif)",
			    o.format);
		goto out;
	}
	if (o.baseline &&
	    baseline_load(o.baseline, &base, err, sizeof(err)) < 0)
		goto input_error;
	if (o.suppressions &&
	    suppress_load(o.suppressions, &sup, err, sizeof(err)) < 0)
		goto input_error;

	aopts.loop_stall_ns = 100000000ull;
	if (analyze_traces(o.paths, o.npaths, &aopts, &l, err, sizeof(err)) < 0)
		goto input_error;
	if (!o.no_merge && o.npaths > 1) {
		if (lockorder_merge_traces(o.paths, o.npaths, &aopts, &l, err,
					   sizeof(err)) < 0)
			goto input_error;
		finding_list_dedup(&l);
		finding_list_sort(&l);
	}
	if (o.suppressions && suppress_apply_set(&sup, &l) < 0) {
		snprintf(err, sizeof(err), "%s", strerror(ENOMEM));
		goto input_error;
	}

	for (size_t i = 0; i < l.n; i++) {
		const struct finding *f = l.items[i];

		if (f->suppressed_by)
			nsup++;
		else if (baseline_contains(&base, f->id))
			nbase++;
		else if (o.fail_on[f->kind]) {
			nfail++;
			fail_count[f->kind]++;
		}
	}

	if (o.write_baseline &&
	    baseline_write(o.write_baseline, &l, err, sizeof(err)) < 0)
		goto input_error;

	if (o.output) {
		out = fopen(o.output, "w");
		if (!out) {
			snprintf(err, sizeof(err), "cannot write '%s': %s",
				 o.output, strerror(errno));
			out = stdout;
			goto input_error;
		}
	}
	ctx.out = out;
	ctx.traces = o.paths;
	ctx.ntraces = o.npaths;
	ctx.nsuppressed = nsup;
	report_render(ops, &ctx, &l);
	if (out != stdout) {
		if (fclose(out) != 0) {
			out = stdout;
			snprintf(err, sizeof(err), "cannot write '%s': %s",
				 o.output, strerror(errno));
			goto input_error;
		}
		out = stdout;
	} else {
		fflush(stdout);
	}
	finding_list_print_notes(&l, stderr);

	/* The verdict: one line a script or a human can read in a CI log
	 * (the text report has the suppression line already). */
	if (ops != report_ops_by_name("text"))
		suppress_print_summary(stderr, &l);
	if (nfail) {
		fprintf(stderr,
			"hbtrace check: FAILED: %zu finding%s fail%s the gate "
			"(",
			nfail, nfail == 1 ? "" : "s", nfail == 1 ? "s" : "");
		for (int k = 0, first = 1; k < FK__COUNT; k++) {
			if (!fail_count[k])
				continue;
			fprintf(stderr, "%s%s %zu", first ? "" : ", ",
				finding_kind_name(k), fail_count[k]);
			first = 0;
		}
		fputs(")", stderr);
	} else {
		fprintf(stderr,
			"hbtrace check: passed: no finding fails the gate");
	}
	fprintf(stderr,
		"; %zu finding%s in total, %zu in the baseline, "
		"%zu suppressed\n",
		l.n, l.n == 1 ? "" : "s", nbase, nsup);
	ret = nfail ? 1 : 0;
	goto out;

input_error:
	fflush(stdout);
	fprintf(stderr, "hbtrace: error: %s\n", err[0] ? err : "bad input");
	ret = 2;
out:
	if (out != stdout)
		fclose(out);
	finding_list_free(&l);
	baseline_free(&base);
	suppress_free(&sup);
	free(o.paths);
	for (size_t i = 0; i < o.nowned; i++)
		free(o.owned[i]);
	free(o.owned);
	return ret;
}
