// SPDX-License-Identifier: MIT
/*
 * fuzz_suppress.c - libFuzzer harness for suppression files.
 *
 * The input is parsed as a suppressions file (exact-size buffer, no NUL),
 * and the rules are matched against a fixed set of findings with names of
 * every shape a rule meets (functions, files with and without directories,
 * modules, lock names, NULL fields).  The glob matcher is exercised
 * directly too: the first input line as pattern, the second as subject,
 * which is where an exponential matcher shows up as a timeout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "findings.h"
#include "suppress_rules.h"

static volatile size_t fuzz_sink;

static void add_frame(struct finding_step *s, const char *fn,
		      const char *file, const char *mod)
{
	struct finding_frame *fr = finding_step_add_frame(s);

	if (!fr)
		return;
	fr->function = fn ? strdup(fn) : NULL;
	fr->file = file ? strdup(file) : NULL;
	fr->module = mod ? strdup(mod) : NULL;
	fr->line = 12;
}

static void make_findings(struct finding_list *l)
{
	static const char *const fns[] = { "legacy_counter_inc", "main",
					   "worker", "", NULL };
	static const char *const files[] = { "third_party/x1.c", "abba.c",
					     "/usr/src/a/b/c.c", NULL, "" };
	int k;

	for (k = 0; k < FK__COUNT; k++) {
		struct finding *f = finding_new((enum finding_kind)k);
		struct finding_lock *lk;
		struct finding_step *s;
		int i;

		if (!f)
			return;
		f->message = strdup("fuzz finding");
		lk = finding_add_lock(f);
		if (lk) {
			lk->name = k % 2 ? strdup("lock_a") : NULL;
			lk->type = strdup("pthread_mutex");
		}
		s = finding_add_step(f);
		if (s) {
			s->thread = strdup("T1");
			s->action = strdup("acquire");
			for (i = 0; i < 5; i++)
				add_frame(s, fns[(i + k) % 5],
					  files[(i + 2 * k) % 5],
					  i % 2 ? "/usr/lib/libfoo.so.1" : NULL);
		}
		findings_compute_id(f);
		if (finding_list_add(l, f) < 0)
			finding_free(f);
	}
}

static void glob_lines(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *pat, *str;
	size_t plen;

	if (!nl)
		return;
	plen = (size_t)(nl - data);
	pat = fuzz_strdup(data, plen);
	str = fuzz_strdup(nl + 1, size - plen - 1);
	if (pat && str) {
		/* a pattern without '*' matches exactly itself */
		if (!strchr(pat, '*') && suppress_glob(pat, str) !=
						 (strcmp(pat, str) == 0))
			abort();
		/* every string matches itself when it has no '*' */
		if (!strchr(str, '*') && !suppress_glob(str, str))
			abort();
	}
	free(pat);
	free(str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct finding_list l = { 0 };
	struct suppress_set s = { 0 };
	char err[256];
	char *text;
	size_t i;

	glob_lines(data, size);
	text = fuzz_copy(data, size);
	if (!text)
		return 0;
	if (suppress_parse("fuzz.supp", text, size, &s, err, sizeof(err)) ==
	    0) {
		make_findings(&l);
		suppress_apply_set(&s, &l);
		for (i = 0; i < l.n; i++)
			if (l.items[i]->suppressed_by)
				fuzz_sink += strlen(l.items[i]->suppressed_by);
		suppress_free(&s);
		finding_list_free(&l);
	} else {
		suppress_free(&s);
	}
	free(text);
	return 0;
}
