// SPDX-License-Identifier: MIT
/*
 * test_export.c - the chrome and dot exports on a generated trace with
 * threads, a lock, a semaphore handoff and asyncio task steps.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "hbt_filewriter.h"

#define LOCK  0x1000
#define SEM   0x2000
#define ALOCK 0x3000

static void ev(struct hbt_filewriter *w, uint32_t thread, struct hbt_event e)
{
	cr_assert_eq(hbt_filewriter_event(w, thread, &e), 0);
}

/* T1 creates T2; T2 takes the lock and posts the semaphore; T1 waits on
 * the semaphore, takes the lock, runs two task steps, joins T2.  Python
 * kinds: in a trace with tasks, native pthread objects are hidden. */
static void make_trace(const char *path)
{
	struct hbt_filewriter *w;
	struct hbt_filewriter_opts o = {.pid = 77, .exe = "/bin/demo"};

	cr_assert_eq(hbt_filewriter_open(path, &o, &w), 0);
	cr_assert_eq(
		hbt_filewriter_obj_name(w, LOCK, HBT_OBJ_PY_LOCK, "state_lock"),
		0);
	cr_assert_eq(hbt_filewriter_task_name(w, 5, "Task-5", "worker"), 0);
	cr_assert_eq(hbt_filewriter_thread_name(w, 2, "producer"), 0);
	ev(w, 1, (struct hbt_event){.type = HBT_REC_THREAD_START});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_THREAD_CREATE, .obj = 2});
	ev(w, 2, (struct hbt_event){.type = HBT_REC_THREAD_START, .obj = 1});
	ev(w, 2,
	   (struct hbt_event){.type = HBT_REC_ACQUIRE,
			      .obj = LOCK,
			      .kind = HBT_OBJ_PY_LOCK,
			      .seq = 1});
	ev(w, 2,
	   (struct hbt_event){.type = HBT_REC_RELEASE,
			      .obj = LOCK,
			      .kind = HBT_OBJ_PY_LOCK});
	ev(w, 2,
	   (struct hbt_event){.type = HBT_REC_POST,
			      .obj = SEM,
			      .kind = HBT_OBJ_PY_SEM,
			      .seq = 1});
	ev(w, 2, (struct hbt_event){.type = HBT_REC_THREAD_END});
	ev(w, 1,
	   (struct hbt_event){.type = HBT_REC_REQUEST,
			      .obj = SEM,
			      .kind = HBT_OBJ_PY_SEM});
	ev(w, 1,
	   (struct hbt_event){.type = HBT_REC_ACQUIRE,
			      .obj = SEM,
			      .kind = HBT_OBJ_PY_SEM,
			      .op = HBT_OP_REQUESTED,
			      .seq = 1});
	ev(w, 1,
	   (struct hbt_event){.type = HBT_REC_ACQUIRE,
			      .obj = LOCK,
			      .kind = HBT_OBJ_PY_LOCK,
			      .seq = 2});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_TASK_CREATE, .obj = 5});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_TASK_STEP, .obj = 5});
	/* the task holds an asyncio lock across an await */
	ev(w, 1,
	   (struct hbt_event){.type = HBT_REC_ACQUIRE,
			      .obj = ALOCK,
			      .kind = HBT_OBJ_AIO_LOCK,
			      .seq = 1});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_TASK_SUSPEND, .obj = 5});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_TASK_STEP, .obj = 5});
	ev(w, 1,
	   (struct hbt_event){.type = HBT_REC_RELEASE,
			      .obj = ALOCK,
			      .kind = HBT_OBJ_AIO_LOCK});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_TASK_DONE, .obj = 5});
	ev(w, 1,
	   (struct hbt_event){.type = HBT_REC_RELEASE,
			      .obj = LOCK,
			      .kind = HBT_OBJ_PY_LOCK});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_JOIN_REQUEST, .obj = 2});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_JOIN, .obj = 2});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_THREAD_END});
	cr_assert_eq(hbt_filewriter_close(w), 0);
}

static char *export_to_string(int (*fn)(const char *, FILE *, char *, size_t),
			      const char *path)
{
	char *buf = NULL, err[512] = "";
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int ret = fn(path, mem, err, sizeof(err));

	fclose(mem);
	cr_assert_eq(ret, 0, "%s", err);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(export, chrome_tracks_slices_flows)
{
	char path[] = "/tmp/hbt-export-XXXXXX";
	int fd = mkstemp(path);
	char *json;

	cr_assert_geq(fd, 0);
	close(fd);
	make_trace(path);
	json = export_to_string(export_chrome, path);
	cr_assert(strstr(json, "\"traceEvents\": ["), "%s", json);
	/* tracks: two threads (one named) and the task */
	cr_assert(strstr(json, "\"args\": {\"name\": \"T1\"}"), "%s", json);
	cr_assert(strstr(json, "\"args\": {\"name\": \"T2 producer\"}"), "%s",
		  json);
	cr_assert(strstr(json, "\"args\": {\"name\": \"Task-5\"}"), "%s", json);
	/* slices */
	cr_assert_eq(count(json, "\"name\": \"hold state_lock\""), 2, "%s",
		     json);
	cr_assert_eq(count(json, "\"cat\": \"wait\""), 2, "sem wait + join: %s",
		     json);
	cr_assert_eq(count(json, "\"cat\": \"task\", \"name\": \"step\""), 2,
		     "%s", json);
	/* flows: create-start, release-acquire, post-wait, end-join */
	cr_assert_eq(count(json, "\"ph\": \"s\""), 4, "%s", json);
	cr_assert_eq(count(json, "\"ph\": \"f\""), 4, "%s", json);
	cr_assert(strstr(json, "\"name\": \"post-wait\""), "%s", json);
	cr_assert(strstr(json, "\"name\": \"release-acquire\""), "%s", json);
	cr_assert(strstr(json, "\"name\": \"create-start\""), "%s", json);
	cr_assert(strstr(json, "\"name\": \"end-join\""), "%s", json);
	cr_assert(strstr(json, "\"pid\": 77"), "%s", json);
	/* the task's lock hold spans its await: on the task's lock track */
	cr_assert(strstr(json, "\"args\": {\"name\": \"Task-5 locks\"}"), "%s",
		  json);
	cr_assert(strstr(json, "\"tid\": 2000000, \"ts\""), "%s", json);
	cr_assert(
		strstr(json, "\"name\": \"hold lock 0x3000\"") ||
			strstr(json, "\"name\": \"hold asyncio.Lock 0x3000\""),
		"%s", json);
	free(json);
	unlink(path);
}

Test(export, dot_graph)
{
	char path[] = "/tmp/hbt-export-XXXXXX";
	int fd = mkstemp(path);
	char *dot;

	cr_assert_geq(fd, 0);
	close(fd);
	make_trace(path);
	dot = export_to_string(export_dot, path);
	cr_assert(strstr(dot, "digraph lockgraph {"), "%s", dot);
	cr_assert(strstr(dot, "label=\"state_lock\""), "%s", dot);
	cr_assert_null(strstr(dot, "-> n"), "no nesting, no edge: %s", dot);
	free(dot);
	unlink(path);
}

Test(export, missing_trace)
{
	char err[512] = "";
	FILE *devnull = fopen("/dev/null", "w");

	cr_assert_lt(
		export_chrome("/nonexistent.hbt", devnull, err, sizeof(err)),
		0);
	cr_assert(strstr(err, "/nonexistent.hbt"), "%s", err);
	err[0] = '\0';
	cr_assert_lt(export_dot("/nonexistent.hbt", devnull, err, sizeof(err)),
		     0);
	cr_assert(strstr(err, "/nonexistent.hbt"), "%s", err);
	fclose(devnull);
}
