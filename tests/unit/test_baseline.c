// SPDX-License-Identifier: MIT
/*
 * test_baseline.c - baseline files: parsing (good input and every
 * malformed-line case), lookup and the write -> load round trip.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "gate_helpers.h"

static int parse(const char *text, struct baseline *b, char *err)
{
	return baseline_parse("base.txt", text, strlen(text), b, err, 256);
}

Test(baseline, parse_good)
{
	struct baseline b = {0};
	char err[256] = "";

	cr_assert_eq(parse("# header\n"
			   "\n"
			   "ffffffffffffffff  # deadlock: x\n"
			   "  0123456789ABCDEF\n"
			   "00000000000000aa# no blank before the comment\n"
			   "1111111111111111",
			   &b, err),
		     0, "%s", err);
	cr_assert_eq(b.n, 4);
	cr_assert(baseline_contains(&b, "0123456789abcdef"));
	cr_assert(baseline_contains(&b, "0123456789ABCDEF"), "any case");
	cr_assert(baseline_contains(&b, "ffffffffffffffff"));
	cr_assert(baseline_contains(&b, "00000000000000aa"));
	cr_assert(baseline_contains(&b, "1111111111111111"),
		  "no final newline");
	cr_assert(!baseline_contains(&b, "2222222222222222"));
	cr_assert(!baseline_contains(&b, "0123"));
	baseline_free(&b);
}

Test(baseline, parse_empty)
{
	struct baseline b = {0};
	char err[256] = "";

	cr_assert_eq(parse("", &b, err), 0);
	cr_assert_eq(b.n, 0);
	cr_assert(!baseline_contains(&b, "0123456789abcdef"));
}

Test(baseline, parse_short_id)
{
	struct baseline b = {0};
	char err[256] = "";

	cr_assert_eq(parse("0123456789abcdef\n0123abc\n", &b, err), -EINVAL);
	cr_assert_str_eq(err, "base.txt:2: bad finding id '0123abc' "
			      "(expected 16 hex digits)");
	baseline_free(&b);
}

Test(baseline, parse_long_id)
{
	struct baseline b = {0};
	char err[256] = "";

	cr_assert_eq(parse("0123456789abcdef0\n", &b, err), -EINVAL);
	cr_assert_str_eq(err, "base.txt:1: bad finding id '0123456789abcdef0' "
			      "(expected 16 hex digits)");
	baseline_free(&b);
}

Test(baseline, parse_not_hex)
{
	struct baseline b = {0};
	char err[256] = "";

	cr_assert_eq(parse("\n0123456789abcdeg\n", &b, err), -EINVAL);
	cr_assert_str_eq(err, "base.txt:2: bad finding id '0123456789abcdeg' "
			      "(expected 16 hex digits)");
	baseline_free(&b);
}

Test(baseline, parse_trailing_garbage)
{
	struct baseline b = {0};
	char err[256] = "";

	cr_assert_eq(parse("0123456789abcdef lock-order-cycle\n", &b, err),
		     -EINVAL);
	cr_assert_str_eq(err, "base.txt:1: bad finding id '0123456789abcdef' "
			      "(expected 16 hex digits)");
	baseline_free(&b);
}

Test(baseline, load_missing_file)
{
	struct baseline b = {0};
	char err[256] = "";

	cr_assert_lt(baseline_load("/nonexistent/b.txt", &b, err, sizeof(err)),
		     0);
	cr_assert_str_eq(err, "cannot open baseline '/nonexistent/b.txt': "
			      "No such file or directory");
}

Test(baseline, write_then_load)
{
	struct finding_list l = {0};
	struct baseline b = {0};
	char path[] = "/tmp/hbt-base-XXXXXX", err[256] = "", text[2048];
	int fd = mkstemp(path);
	FILE *f;
	size_t n;

	cr_assert_geq(fd, 0);
	close(fd);
	finding_list_add(&l, gate_finding(FK_DATA_RACE, "00000000000000b2",
					  NULL, "f", "a.c", 1));
	finding_list_add(&l,
			 gate_finding(FK_LOCK_ORDER_CYCLE, "00000000000000ff",
				      "lock_a", "f", "a.c", 1));
	finding_list_add(&l, gate_finding(FK_DATA_RACE, "00000000000000a1",
					  NULL, "f", "a.c", 1));
	finding_list_add(&l, gate_finding(FK_DATA_RACE, "00000000000000c3",
					  NULL, "f", "a.c", 1));
	l.items[3]->suppressed_by = strdup("data-race:f");
	free(l.items[1]->message);
	l.items[1]->message = strdup("two\nlines");

	cr_assert_eq(baseline_write(path, &l, err, sizeof(err)), 0, "%s", err);
	f = fopen(path, "r");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	/* sorted by kind then id, suppressed ones left out, one line each */
	cr_assert(strstr(text,
			 "00000000000000ff  # lock-order-cycle: two lines\n"
			 "00000000000000a1  # data-race: a test finding\n"
			 "00000000000000b2  # data-race: a test finding\n"),
		  "%s", text);
	cr_assert_null(strstr(text, "00000000000000c3"));

	cr_assert_eq(baseline_load(path, &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.n, 3);
	cr_assert(baseline_contains(&b, "00000000000000a1"));
	cr_assert(baseline_contains(&b, "00000000000000ff"));
	cr_assert(!baseline_contains(&b, "00000000000000c3"));
	baseline_free(&b);
	finding_list_free(&l);
	unlink(path);
}
