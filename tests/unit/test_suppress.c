// SPDX-License-Identifier: MIT
/*
 * test_suppress.c - suppression files: the glob, the parser (good input
 * and every malformed-line case) and matching against findings.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gate_helpers.h"
#include "suppress.h"
#include "suppress_rules.h"

static int parse(const char *text, struct suppress_set *s, char *err)
{
	return suppress_parse("sup.txt", text, strlen(text), s, err, 256);
}

Test(suppress, glob)
{
	cr_assert(suppress_glob("foo", "foo"));
	cr_assert(!suppress_glob("foo", "foobar"));
	cr_assert(suppress_glob("foo*", "foobar"));
	cr_assert(suppress_glob("*bar", "foobar"));
	cr_assert(suppress_glob("*", ""));
	cr_assert(suppress_glob("f*o*r", "foobar"));
	cr_assert(!suppress_glob("f*o*z", "foobar"));
	cr_assert(suppress_glob("*/third_party/*", "/src/third_party/x.c"));
	cr_assert(suppress_glob("a**b", "ab"));
	cr_assert(!suppress_glob("", "a"));
	cr_assert(suppress_glob("", ""));
}

Test(suppress, parse_good)
{
	struct suppress_set s = {0};
	char err[256] = "";

	cr_assert_eq(parse("# a comment\n"
			   "\n"
			   "   \t\n"
			   "data-race:counter_*\n"
			   "  *:third_party/*.c  \n"
			   "lock-order-cycle : lock_a\n"
			   "deadlock:mutex created at f (x.c:12)",
			   &s, err),
		     0, "%s", err);
	cr_assert_eq(s.n, 4);
	cr_assert_eq(s.rules[0].kind, FK_DATA_RACE);
	cr_assert_str_eq(s.rules[0].pattern, "counter_*");
	cr_assert_str_eq(s.rules[0].text, "data-race:counter_*");
	cr_assert_eq(s.rules[0].line, 4);
	cr_assert_eq(s.rules[1].kind, -1);
	cr_assert_str_eq(s.rules[1].pattern, "third_party/*.c");
	cr_assert_eq(s.rules[2].kind, FK_LOCK_ORDER_CYCLE);
	cr_assert_str_eq(s.rules[2].pattern, "lock_a");
	/* the first ':' splits: patterns may hold more */
	cr_assert_str_eq(s.rules[3].pattern, "mutex created at f (x.c:12)");
	suppress_free(&s);
}

Test(suppress, parse_every_kind)
{
	for (int k = 0; k < FK__COUNT; k++) {
		struct suppress_set s = {0};
		char text[64], err[256] = "";

		snprintf(text, sizeof(text), "%s:x\n", finding_kind_name(k));
		cr_assert_eq(parse(text, &s, err), 0, "%s", err);
		cr_assert_eq(s.rules[0].kind, k);
		suppress_free(&s);
	}
}

Test(suppress, parse_no_colon)
{
	struct suppress_set s = {0};
	char err[256] = "";

	cr_assert_eq(parse("data-race:ok\nrace counter\n", &s, err), -EINVAL);
	cr_assert_str_eq(
		err, "sup.txt:2: expected 'kind:pattern', got 'race counter'");
	suppress_free(&s);
}

Test(suppress, parse_unknown_kind)
{
	struct suppress_set s = {0};
	char err[256] = "";

	cr_assert_eq(parse("\n\nrace:counter\n", &s, err), -EINVAL);
	cr_assert_str_eq(
		err,
		"sup.txt:3: unknown kind 'race' (want a finding kind or '*')");
	suppress_free(&s);
}

Test(suppress, parse_empty_kind)
{
	struct suppress_set s = {0};
	char err[256] = "";

	cr_assert_eq(parse(":counter\n", &s, err), -EINVAL);
	cr_assert_str_eq(
		err, "sup.txt:1: unknown kind '' (want a finding kind or '*')");
	suppress_free(&s);
}

Test(suppress, parse_empty_pattern)
{
	struct suppress_set s = {0};
	char err[256] = "";

	cr_assert_eq(parse("# x\ndata-race:   \n", &s, err), -EINVAL);
	cr_assert_str_eq(err, "sup.txt:2: empty pattern");
	suppress_free(&s);
}

Test(suppress, load_missing_file)
{
	struct suppress_set s = {0};
	char err[256] = "";

	cr_assert_lt(
		suppress_load("/nonexistent/sup.txt", &s, err, sizeof(err)), 0);
	cr_assert_str_eq(err,
			 "cannot open suppressions '/nonexistent/sup.txt': "
			 "No such file or directory");
}

Test(suppress, match_function_file_lock)
{
	struct suppress_set s = {0};
	struct finding *f =
		gate_finding(FK_DATA_RACE, "0123456789abcdef", "stats_lock",
			     "update_counter", "/src/app/counter.c", 12);
	char err[256] = "";

	cr_assert_eq(parse("data-race:update_*\n", &s, err), 0);
	cr_assert_not_null(suppress_match(&s, f));
	suppress_free(&s);

	cr_assert_eq(parse("data-race:counter.c\n", &s, err), 0);
	cr_assert_not_null(suppress_match(&s, f), "basename matches");
	suppress_free(&s);

	cr_assert_eq(parse("data-race:/src/app/*\n", &s, err), 0);
	cr_assert_not_null(suppress_match(&s, f), "full path matches");
	suppress_free(&s);

	cr_assert_eq(parse("*:stats_*\n", &s, err), 0);
	cr_assert_not_null(suppress_match(&s, f), "lock name matches");
	suppress_free(&s);

	cr_assert_eq(parse("data-race:prog\n", &s, err), 0);
	cr_assert_not_null(suppress_match(&s, f), "module basename matches");
	suppress_free(&s);

	cr_assert_eq(parse("lock-order-cycle:update_*\n", &s, err), 0);
	cr_assert_null(suppress_match(&s, f), "other kind");
	suppress_free(&s);

	cr_assert_eq(parse("data-race:update\n", &s, err), 0);
	cr_assert_null(suppress_match(&s, f), "whole-name match only");
	suppress_free(&s);
	finding_free(f);
}

Test(suppress, apply_counts_by_rule)
{
	struct finding_list l = {0};
	char path[] = "/tmp/hbt-sup-XXXXXX", err[256] = "";
	int fd = mkstemp(path);
	FILE *mem;
	char *buf = NULL;
	size_t len = 0;

	cr_assert_geq(fd, 0);
	{
		static const char text[] =
			"# test\ndata-race:update_*\n*:lock_b\n";

		cr_assert_eq(write(fd, text, strlen(text)),
			     (ssize_t)strlen(text));
	}
	close(fd);
	finding_list_add(&l, gate_finding(FK_DATA_RACE, "0000000000000001",
					  NULL, "update_a", "a.c", 1));
	finding_list_add(&l, gate_finding(FK_DATA_RACE, "0000000000000002",
					  NULL, "update_b", "a.c", 2));
	finding_list_add(&l,
			 gate_finding(FK_LOCK_ORDER_CYCLE, "0000000000000003",
				      "lock_b", "f", "b.c", 3));
	finding_list_add(&l,
			 gate_finding(FK_LOCK_ORDER_CYCLE, "0000000000000004",
				      "lock_c", "f", "b.c", 3));
	cr_assert_eq(suppressions_apply(path, &l, err, sizeof(err)), 3, "%s",
		     err);
	cr_assert_str_eq(l.items[0]->suppressed_by, "data-race:update_*");
	cr_assert_str_eq(l.items[1]->suppressed_by, "data-race:update_*");
	cr_assert_str_eq(l.items[2]->suppressed_by, "*:lock_b");
	cr_assert_null(l.items[3]->suppressed_by);

	mem = open_memstream(&buf, &len);
	suppress_print_summary(mem, &l);
	fclose(mem);
	cr_assert_str_eq(
		buf, "hbtrace: 3 findings suppressed: 2 by data-race:update_*, "
		     "1 by *:lock_b\n");
	free(buf);
	finding_list_free(&l);
	unlink(path);
}

Test(suppress, apply_bad_file_names_line)
{
	struct finding_list l = {0};
	char path[] = "/tmp/hbt-sup-XXXXXX", err[256] = "", want[300];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "data-race:x\nbogus\n", 18), 18);
	close(fd);
	cr_assert_eq(suppressions_apply(path, &l, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: expected 'kind:pattern', got 'bogus'", path);
	cr_assert_str_eq(err, want);
	unlink(path);
}
