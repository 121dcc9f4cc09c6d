// SPDX-License-Identifier: MIT
/*
 * test_import_std.c - RAPID STD import: the line parser (every operation,
 * every malformed-line case) and the converted trace read back.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hbt_reader.h"
#include "import_std.h"

static int parse(const char *line, struct std_line *l, char *err)
{
	return std_parse_line(line, strlen(line), l, err, 256);
}

static void assert_field(const char *p, size_t len, const char *want)
{
	cr_assert_eq(len, strlen(want), "'%.*s' vs '%s'", (int)len, p, want);
	cr_assert(!len || !memcmp(p, want, len), "'%.*s' vs '%s'", (int)len,
		  p ? p : "", want);
}

Test(import_std, parse_every_op)
{
	static const struct {
		const char *line;
		enum std_op op;
		const char *arg;
	} cases[] = {
		{"T0|acq(L1)|12", STD_ACQ, "L1"},
		{"T0|rel(L1)|12", STD_REL, "L1"},
		{"T0|r(V3)|12", STD_READ, "V3"},
		{"T0|w(V3)|12", STD_WRITE, "V3"},
		{"T0|fork(T1)|12", STD_FORK, "T1"},
		{"T0|join(T1)|12", STD_JOIN, "T1"},
		{"T0|begin(0)|12", STD_BEGIN, "0"},
		{"T0|end(0)|12", STD_END, "0"},
		{"T0|begin|12", STD_BEGIN, ""},
		{"T0|end|12", STD_END, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct std_line l;
		char err[256] = "";

		cr_assert_eq(parse(cases[i].line, &l, err), 1, "%s: %s",
			     cases[i].line, err);
		cr_assert_eq(l.op, cases[i].op, "%s", cases[i].line);
		assert_field(l.thread, l.thread_len, "T0");
		assert_field(l.arg, l.arg_len, cases[i].arg);
		assert_field(l.loc, l.loc_len, "12");
	}
}

Test(import_std, parse_blanks_comments_spaces)
{
	struct std_line l;
	char err[256] = "";

	cr_assert_eq(parse("", &l, err), 0);
	cr_assert_eq(parse("   \t", &l, err), 0);
	cr_assert_eq(parse("# comment", &l, err), 0);
	cr_assert_eq(parse("// comment", &l, err), 0);
	cr_assert_eq(parse(" main | acq( lock_a ) | Foo.java:23 \r", &l, err),
		     1, "%s", err);
	assert_field(l.thread, l.thread_len, "main");
	assert_field(l.arg, l.arg_len, "lock_a");
	assert_field(l.loc, l.loc_len, "Foo.java:23");
	/* no location: allowed, the line number stands in */
	cr_assert_eq(parse("T1|w(x)", &l, err), 1, "%s", err);
	cr_assert_eq(l.loc_len, 0);
}

#define BAD(line, msg)                                                     \
	do {                                                               \
		struct std_line l_;                                        \
		char err_[256] = "";                                       \
		cr_assert_eq(parse(line, &l_, err_), -EINVAL, "%s", line); \
		cr_assert_str_eq(err_, msg);                               \
	} while (0)

Test(import_std, parse_malformed)
{
	BAD("T0|xyz(L1)|12", "bad operation 'xyz'");
	BAD("T0|lock(L1)|12", "bad operation 'lock'");
	BAD("T0|req(L1)|12", "bad operation 'req'");
	BAD("T0|acq(L1|12", "bad operation 'acq(L1'");
	BAD("T0|acq(L(1))|12", "bad operation 'acq(L(1))'");
	BAD("T0|acq|12", "missing argument in 'acq'");
	BAD("T0|acq()|12", "missing argument in 'acq()'");
	BAD("T0|fork( )|12", "missing argument in 'fork( )'");
	BAD("T0 acq(L1) 12",
	    "expected 'THREAD|OP(ARG)|LOCATION', got 'T0 acq(L1) 12'");
	BAD("T0|acq(L1)|12|extra",
	    "expected 'THREAD|OP(ARG)|LOCATION', got 'T0|acq(L1)|12|extra'");
	BAD("|acq(L1)|12", "missing thread");
	BAD("T0|acq(L1)|", "empty location");
	BAD("T0||12", "bad operation ''");
}

/* Write 'text' to a temp file, import it; returns the importer's result. */
static long import_text(const char *text, char *in, char *out, char *err)
{
	int fd = mkstemp(in);
	long n;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(out, 64, "%s.hbt", in);
	n = import_std_file(in, out, err, 512);
	return n;
}

Test(import_std, bad_line_names_file_and_line)
{
	char in[] = "/tmp/hbt-std-XXXXXX", out[64], err[512] = "", want[600];

	cr_assert_eq(
		import_text("T0|acq(L1)|1\n\nT0|xyz(L1)|3\n", in, out, err),
		-EINVAL);
	snprintf(want, sizeof(want), "%s:3: bad operation 'xyz'", in);
	cr_assert_str_eq(err, want);
	cr_assert_neq(access(out, F_OK), 0, "no trace left behind");
	unlink(in);
}

Test(import_std, semantic_errors)
{
	char in[] = "/tmp/hbt-std-XXXXXX", out[64], err[512] = "", want[600];

	cr_assert_eq(import_text("T0|fork(T0)|1\n", in, out, err), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: thread 'T0' cannot fork itself",
		 in);
	cr_assert_str_eq(err, want);
	unlink(in);

	strcpy(in, "/tmp/hbt-std-XXXXXX");
	cr_assert_eq(import_text("T0|fork(T1)|1\nT1|w(x)|2\nT0|join(T1)|3\n"
				 "T1|w(x)|4\n",
				 in, out, err),
		     -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:4: thread 'T1' has events after it was joined", in);
	cr_assert_str_eq(err, want);
	unlink(in);
}

Test(import_std, missing_input)
{
	char err[512] = "";

	cr_assert_lt(import_std_file("/nonexistent.std", "/tmp/x.hbt", err,
				     sizeof(err)),
		     0);
	cr_assert_str_eq(
		err,
		"cannot open '/nonexistent.std': No such file or directory");
}

Test(import_std, round_trip)
{
	char in[] = "/tmp/hbt-std-XXXXXX", out[64], err[512] = "";
	struct hbt_reader *r = NULL;
	struct hbt_event ev;
	int counts[256] = {0}, ret;
	uint64_t l1 = 0, acq_seq_max = 0;
	long n;

	n = import_text("T0|fork(T1)|1\n"
			"T1|acq(L1)|10\n"
			"T1|acq(L1)|11\n" /* reentrant: folded */
			"T1|w(V1)|12\n"
			"T1|rel(L1)|13\n"
			"T1|rel(L1)|14\n"
			"T0|acq(L1)|20\n"
			"T0|r(V1)|21\n"
			"T0|rel(L1)|22\n"
			"T0|begin|23\n"
			"T0|join(T1)|30\n",
			in, out, err);
	cr_assert_gt(n, 0, "%s", err);
	cr_assert_eq(hbt_reader_open(out, &r), 0, "%s",
		     r ? hbt_reader_error(r) : "");
	cr_assert(hbt_reader_header(r)->features & HBT_FEAT_IMPORTED);
	while ((ret = hbt_reader_next(r, &ev)) > 0) {
		counts[ev.type]++;
		if (ev.type == HBT_REC_ACQUIRE) {
			l1 = ev.obj;
			if (ev.seq > acq_seq_max)
				acq_seq_max = ev.seq;
		}
		if (ev.type == HBT_REC_MEM_READ ||
		    ev.type == HBT_REC_MEM_WRITE) {
			const struct hbt_stack *st =
				hbt_reader_stack(r, ev.stack);

			cr_assert_not_null(st);
			cr_assert_eq(st->nframes, 1);
			cr_assert(HBT_FRAME_IS_PY(st->frames[0]));
		}
	}
	cr_assert_eq(ret, 0, "%s", hbt_reader_error(r));
	cr_assert_eq(n, 14);
	cr_assert_eq(counts[HBT_REC_THREAD_START], 2);
	cr_assert_eq(counts[HBT_REC_THREAD_END], 2);
	cr_assert_eq(counts[HBT_REC_THREAD_CREATE], 1);
	cr_assert_eq(counts[HBT_REC_JOIN_REQUEST], 1);
	cr_assert_eq(counts[HBT_REC_JOIN], 1);
	cr_assert_eq(counts[HBT_REC_OBJ_INIT], 1);
	cr_assert_eq(counts[HBT_REC_ACQUIRE], 2);
	cr_assert_eq(counts[HBT_REC_RELEASE], 2);
	cr_assert_eq(counts[HBT_REC_MEM_WRITE], 1);
	cr_assert_eq(counts[HBT_REC_MEM_READ], 1);
	cr_assert_eq(acq_seq_max, 2);
	{
		uint32_t sid = hbt_reader_obj_name(r, l1);

		cr_assert_neq(sid, 0);
		cr_assert_str_eq(hbt_reader_string(r, sid), "L1");
	}
	{
		const struct hbt_thread_info *ti = hbt_reader_thread(r, 2);

		cr_assert_not_null(ti);
		cr_assert_eq(ti->parent, 1);
		cr_assert_str_eq(hbt_reader_string(r, ti->name), "T1");
	}
	hbt_reader_close(r);
	unlink(in);
	unlink(out);
}
