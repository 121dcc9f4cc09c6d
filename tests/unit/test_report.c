// SPDX-License-Identifier: MIT
/*
 * test_report.c - the text and JSON renderers, ids and the report entry
 * point on a generated ABBA trace.
 */
#include <errno.h>

#include "an_trace.h"
#include "report.h"
#include "report_json.h"

static void abba_trace(struct tw *t)
{
	tw_open(t);
	tw_start(t, 1, 0);
	tw_create(t, 1, 2);
	tw_create(t, 1, 3);
	TW_LOCK(t, 2, 0x10); TW_LOCK(t, 2, 0x20); TW_UNLOCK(t, 2, 0x20); TW_UNLOCK(t, 2, 0x10);
	TW_LOCK(t, 3, 0x20); TW_LOCK(t, 3, 0x10); TW_UNLOCK(t, 3, 0x10); TW_UNLOCK(t, 3, 0x20);
	tw_end(t, 2, 0);
	tw_end(t, 3, 0);
	tw_join(t, 1, 2);
	tw_join(t, 1, 3);
	tw_end(t, 1, 0);
	cr_assert_eq(hbt_filewriter_close(t->w), 0);
	t->w = NULL;
}

static char *run_report(const char *path, const char *format, int *ret)
{
	const char *paths[1] = { path };
	struct report_request req = { .paths = paths, .npaths = 1,
				      .format = format };
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	*ret = report_run(&req, out, err, sizeof(err));
	fclose(out);
	return buf;
}

Test(report, json_shape)
{
	struct tw t;
	char *s;
	int ret;

	abba_trace(&t);
	s = run_report(t.path, "json", &ret);
	unlink(t.path);
	cr_assert_eq(ret, 1);
	cr_assert(strstr(s, "\"tool\": {\"name\": \"hbtrace\""));
	cr_assert(strstr(s, "\"kind\": \"lock-order-cycle\""));
	cr_assert(strstr(s, "\"severity\": \"error\""));
	cr_assert(strstr(s, "\"predicted\": true"));
	cr_assert(strstr(s, "\"summary\": {\"lock-order-cycle\": 1}"), "%s", s);
	free(s);
}

Test(report, text_shape)
{
	struct tw t;
	char *s;
	int ret;

	abba_trace(&t);
	s = run_report(t.path, NULL, &ret);
	unlink(t.path);
	cr_assert_eq(ret, 1);
	cr_assert(strstr(s, "==================\nWARNING: hbtrace: "
			    "lock-order-cycle (potential deadlock) (pid=4242)"),
		  "%s", s);
	cr_assert(strstr(s, "  Thread T2 acquires "), "%s", s);
	cr_assert(strstr(s, "SUMMARY: hbtrace: lock-order-cycle"), "%s", s);
	cr_assert(strstr(s, "hbtrace: 1 lock-order-cycle\n"), "%s", s);
	free(s);
}

Test(report, bad_input)
{
	char *s;
	int ret;

	s = run_report("/nonexistent.hbt", "json", &ret);
	cr_assert_lt(ret, 0);
	free(s);
	s = run_report("/nonexistent.hbt", "nosuch", &ret);
	cr_assert_eq(ret, -EINVAL);
	free(s);
}

Test(report, json_escape)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	json_put_string(out, "a\"b\\c\n\x01é");
	json_put_string(out, NULL);
	fclose(out);
	cr_assert_str_eq(buf, "\"a\\\"b\\\\c\\n\\u0001é\"null");
	free(buf);
}

Test(report, id_ignores_lines)
{
	struct finding *a = finding_new(FK_API_MISUSE);
	struct finding *b = finding_new(FK_API_MISUSE);
	struct finding_lock *l;

	l = finding_add_lock(a);
	l->name = strdup("mutex created at f (x.c:12)");
	l = finding_add_lock(b);
	l->name = strdup("mutex created at f (x.c:14)");
	findings_compute_id(a);
	findings_compute_id(b);
	cr_assert_str_eq(a->id, b->id);
	finding_free(a);
	finding_free(b);
}

/* A trace written with these writer options: one thread, one lock pair. */
static void gap_trace(const char *path, const struct hbt_filewriter_opts *o)
{
	struct hbt_filewriter *w;
	struct hbt_event ev = { .type = HBT_REC_THREAD_START };

	cr_assert_eq(hbt_filewriter_open(path, o, &w), 0);
	hbt_filewriter_event(w, 1, &ev);
	ev = (struct hbt_event){ .type = HBT_REC_ACQUIRE, .obj = 0x10,
				 .kind = HBT_OBJ_MUTEX, .seq = 1 };
	hbt_filewriter_event(w, 1, &ev);
	ev = (struct hbt_event){ .type = HBT_REC_RELEASE, .obj = 0x10,
				 .kind = HBT_OBJ_MUTEX };
	hbt_filewriter_event(w, 1, &ev);
	cr_assert_eq(hbt_filewriter_close(w), 0);
}

static struct finding_list gap_notes(const char *path)
{
	const char *paths[1] = { path };
	struct finding_list l = { 0 };
	char err[256] = "";

	cr_assert_eq(analyze_traces(paths, 1, NULL, &l, err, sizeof(err)), 0,
		     "%s", err);
	return l;
}

Test(report, notes_say_what_a_trace_misses)
{
	struct hbt_filewriter_opts o = { .pid = 4242, .exe = "/test" };
	char path[128];
	struct finding_list l;

	snprintf(path, sizeof(path), "/tmp/hbt-ut-gap-%d.hbt", (int)getpid());
	gap_trace(path, &o);
	l = gap_notes(path);
	cr_assert_eq(l.nnotes, 0, "%s", l.nnotes ? l.notes[0] : "");
	finding_list_free(&l);

	o.no_clean_close = true;
	gap_trace(path, &o);
	l = gap_notes(path);
	cr_assert_eq(l.nnotes, 1);
	cr_assert(strstr(l.notes[0], "was cut: the program did not finish"),
		  "%s", l.notes[0]);
	finding_list_free(&l);

	o.no_clean_close = false;
	o.dropped_events = 7;
	gap_trace(path, &o);
	l = gap_notes(path);
	cr_assert_eq(l.nnotes, 1);
	cr_assert(strstr(l.notes[0], ": 7 events were not recorded"), "%s",
		  l.notes[0]);
	finding_list_free(&l);
	unlink(path);
}
