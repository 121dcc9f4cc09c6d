// SPDX-License-Identifier: MIT
/*
 * test_reader.c - filewriter -> reader round trips, the merge constraints,
 * torn and corrupted input, and the exact errors for bad files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hbt_codec.h"
#include "hbt_filewriter.h"
#include "hbt_reader.h"

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/hbt-rdr.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_expect_eq(system(cmd), 0);
}

static const char *tpath(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void ev_put(struct hbt_filewriter *w, uint32_t th, uint8_t type,
		   uint8_t kind, uint64_t obj, uint64_t seq)
{
	struct hbt_event ev = {
		.type = type, .kind = kind, .obj = obj, .seq = seq};

	cr_assert_eq(hbt_filewriter_event(w, th, &ev), 0);
}

static void put_start(struct hbt_filewriter *w, uint32_t th, uint32_t parent)
{
	struct hbt_event ev = {.type = HBT_REC_THREAD_START,
			       .obj = parent,
			       .arg = 1000 + th,
			       .arg2 = 0xabc0 + th};

	cr_assert_eq(hbt_filewriter_event(w, th, &ev), 0);
}

static void put_end(struct hbt_filewriter *w, uint32_t th)
{
	struct hbt_event ev = {.type = HBT_REC_THREAD_END};

	cr_assert_eq(hbt_filewriter_event(w, th, &ev), 0);
}

static void put_simple(struct hbt_filewriter *w, uint32_t th, uint8_t type,
		       uint64_t obj)
{
	struct hbt_event ev = {.type = type, .obj = obj};

	cr_assert_eq(hbt_filewriter_event(w, th, &ev), 0);
}

/* Read every event; returns the count, stores up to 'max' of them. */
static size_t read_all(struct hbt_reader *r, struct hbt_event *out, size_t max)
{
	struct hbt_event ev;
	size_t n = 0;
	int ret;

	while ((ret = hbt_reader_next(r, &ev)) == 1) {
		cr_assert_eq(ev.index, n);
		if (n < max)
			out[n] = ev;
		n++;
		cr_assert_lt(n, 10000000, "runaway reader");
	}
	cr_assert_eq(ret, 0, "next: %s", hbt_reader_error(r));
	return n;
}

TestSuite(reader, .init = setup, .fini = teardown);

Test(reader, round_trip_threads_and_definitions)
{
	struct hbt_filewriter_opts o = {.pid = 4321,
					.exe = "/bin/demo",
					.start_monotonic_ns = 1000000,
					.features = HBT_FEAT_PTHREAD};
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[64];
	uint64_t frames[2] = {HBT_FRAME_FROM_PC(0x401000),
			      HBT_FRAME_FROM_PC(0x402000)};
	int sid, stk, stk2, pyf;

	cr_assert_eq(hbt_filewriter_open(tpath("a.hbt"), &o, &w), 0);
	sid = hbt_filewriter_string(w, "worker");
	cr_assert_gt(sid, 0);
	cr_expect_eq(hbt_filewriter_string(w, "worker"), sid, "interned");
	stk = hbt_filewriter_stack(w, frames, 2);
	cr_assert_gt(stk, 0);
	stk2 = hbt_filewriter_stack(w, frames, 1);
	cr_expect_neq(stk2, stk);
	cr_expect_eq(hbt_filewriter_stack(w, frames, 2), stk);
	pyf = hbt_filewriter_pyframe(w, "run", "app.py", 12, 10);
	cr_assert_gt(pyf, 0);
	cr_assert_eq(hbt_filewriter_module(w, 0x400000, 0x403000, 0, NULL, 0,
					   "/bin/demo"),
		     0);
	cr_assert_eq(hbt_filewriter_thread_name(w, 2, "worker"), 0);
	cr_assert_eq(hbt_filewriter_obj_name(w, 0x601040, HBT_OBJ_PY_LOCK,
					     "big_lock"),
		     0);
	cr_assert_eq(hbt_filewriter_task_name(w, 77, "Task-1", "main"), 0);
	cr_assert_eq(hbt_filewriter_thread(w, 2, 5555), 0);

	put_start(w, 1, 0);
	struct hbt_event cr = {.type = HBT_REC_THREAD_CREATE,
			       .obj = 2,
			       .stack = (uint32_t)stk};
	cr_assert_eq(hbt_filewriter_event(w, 1, &cr), 0);
	put_start(w, 2, 1);
	put_end(w, 2);
	struct hbt_event jn = {.type = HBT_REC_JOIN, .obj = 2};
	cr_assert_eq(hbt_filewriter_event(w, 1, &jn), 0);
	put_end(w, 1);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("a.hbt"), &r), 0, "%s",
		     hbt_reader_error(r));
	cr_expect_eq(hbt_reader_header(r)->pid, 4321);
	cr_expect_str_eq(hbt_reader_header(r)->exe, "/bin/demo");
	size_t n = read_all(r, evs, 64);
	cr_assert_eq(n, 6);
	/* program order and create->start, end->join */
	cr_expect_eq(evs[0].type, HBT_REC_THREAD_START);
	cr_expect_eq(evs[0].thread, 1);
	cr_expect_eq(evs[1].type, HBT_REC_THREAD_CREATE);
	cr_expect_eq(evs[1].stack, (uint32_t)stk);
	cr_expect_eq(evs[2].type, HBT_REC_THREAD_START);
	cr_expect_eq(evs[2].thread, 2);
	cr_expect_eq(evs[3].type, HBT_REC_THREAD_END);
	cr_expect_eq(evs[4].type, HBT_REC_JOIN);
	cr_expect_eq(evs[5].type, HBT_REC_THREAD_END);
	cr_expect_eq(hbt_reader_order_violations(r), 0);
	cr_expect_not(hbt_reader_truncated(r, NULL));

	cr_expect_str_eq(hbt_reader_string(r, (uint32_t)sid), "worker");
	const struct hbt_stack *st = hbt_reader_stack(r, (uint32_t)stk);
	cr_assert_not_null(st);
	cr_expect_eq(st->nframes, 2);
	cr_expect_eq(st->frames[1], frames[1]);
	const struct hbt_pyframe *pf = hbt_reader_pyframe(r, (uint32_t)pyf);
	cr_assert_not_null(pf);
	cr_expect_str_eq(hbt_reader_string(r, pf->function), "run");
	cr_expect_str_eq(hbt_reader_string(r, pf->file), "app.py");
	cr_expect_eq(pf->line, 12);
	const struct hbt_module *m = hbt_reader_module_for(r, 0x401234);
	cr_assert_not_null(m);
	cr_expect_str_eq(m->path, "/bin/demo");
	cr_expect_null(hbt_reader_module_for(r, 0x500000));
	cr_expect_str_eq(hbt_reader_string(r, hbt_reader_obj_name(r, 0x601040)),
			 "big_lock");
	uint32_t tn, tc;
	cr_assert_eq(hbt_reader_task_name(r, 77, &tn, &tc), 0);
	cr_expect_str_eq(hbt_reader_string(r, tn), "Task-1");
	cr_expect_str_eq(hbt_reader_string(r, tc), "main");

	const struct hbt_thread_info *ti;
	cr_assert_eq(hbt_reader_threads(r, &ti), 2);
	cr_expect_eq(ti[0].serial, 1);
	cr_expect_eq(ti[1].serial, 2);
	cr_expect_eq(ti[1].tid, 1002, "tid from THREAD_START");
	cr_expect_eq(ti[1].parent, 1);
	cr_expect_eq(ti[1].pthread, 0xabc2);
	cr_expect_str_eq(hbt_reader_string(r, ti[1].name), "worker");
	cr_expect_eq(ti[0].nevents, 4);
	cr_expect_eq(ti[1].nevents, 2);
	cr_expect(ti[1].ended);

	/* rewind: the same stream again, counts unchanged */
	struct hbt_event again[64];
	cr_assert_eq(hbt_reader_rewind(r), 0);
	cr_assert_eq(read_all(r, again, 64), 6);
	for (size_t i = 0; i < 6; i++) {
		cr_expect_eq(again[i].type, evs[i].type);
		cr_expect_eq(again[i].thread, evs[i].thread);
	}
	cr_expect_eq(ti[0].nevents, 4);
	hbt_reader_close(r);
}

/*
 * Thread 1's records come first in the file, but its acquisition of L is
 * the second one: the merge must hand out thread 2's critical section
 * first, whatever the file order.
 */
Test(reader, merge_follows_lock_order_not_file_order)
{
	struct hbt_filewriter_opts o = {.chunk_size = 4096};
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[64];
	const uint64_t L = 0x601040, S = 0x602000;

	cr_assert_eq(hbt_filewriter_open(tpath("m.hbt"), &o, &w), 0);
	/* T1: acquire L as the 2nd and 3rd acquisition (recursive relock),
	 * then wait on semaphore S for 1 post */
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, L, 2);
	struct hbt_event rec = {.type = HBT_REC_ACQUIRE,
				.kind = HBT_OBJ_MUTEX,
				.obj = L,
				.seq = 3,
				.op = HBT_OP_RECURSIVE};
	cr_assert_eq(hbt_filewriter_event(w, 1, &rec), 0);
	rec.type = HBT_REC_RELEASE;
	rec.seq = 0;
	cr_assert_eq(hbt_filewriter_event(w, 1, &rec), 0);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, L, 0);
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_SEM, S, 1);
	cr_assert_eq(hbt_filewriter_flush_thread(w, 1), 0);
	/* T2: acquisition 1 of L, then posts S, then acquisition 4 */
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, L, 1);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, L, 0);
	ev_put(w, 2, HBT_REC_POST, HBT_OBJ_SEM, S, 1);
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, L, 4);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, L, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("m.hbt"), &r), 0);
	cr_assert_eq(read_all(r, evs, 64), 10);
	const struct {
		uint32_t th;
		uint8_t type;
		uint64_t seq;
	} want[] = {
		{2, HBT_REC_ACQUIRE, 1},
		{2, HBT_REC_RELEASE, 0},
		{2, HBT_REC_POST, 1},
		/* T2's acquisition 4 must wait for T1's 2 and 3 */
		{1, HBT_REC_ACQUIRE, 2},
		{1, HBT_REC_ACQUIRE, 3},
		{1, HBT_REC_RELEASE, 0},
		{1, HBT_REC_RELEASE, 0},
	};
	/* T2 may run its POST before or after T1 starts: check the lock
	 * order and that the sem wait follows the post */
	size_t pos_acq[5] = {0}, post = 0, semwait = 0, lastrel1 = 0;
	for (size_t i = 0; i < 10; i++) {
		if (evs[i].type == HBT_REC_ACQUIRE &&
		    evs[i].kind == HBT_OBJ_MUTEX)
			pos_acq[evs[i].seq] = i;
		if (evs[i].type == HBT_REC_POST)
			post = i;
		if (evs[i].type == HBT_REC_ACQUIRE &&
		    evs[i].kind == HBT_OBJ_SEM)
			semwait = i;
		if (evs[i].type == HBT_REC_RELEASE && evs[i].thread == 1)
			lastrel1 = i;
	}
	cr_expect_lt(pos_acq[1], pos_acq[2]);
	cr_expect_lt(pos_acq[2], pos_acq[3]);
	cr_expect_lt(pos_acq[3], pos_acq[4]);
	cr_expect_lt(lastrel1, pos_acq[4], "acq 4 waits for the release");
	cr_expect_lt(pos_acq[1] + 1, pos_acq[2], "acq 2 waits for release 1");
	cr_expect_lt(post, semwait);
	cr_expect_eq(evs[0].thread, want[0].th);
	cr_expect_eq(evs[0].seq, want[0].seq);
	cr_expect_eq(hbt_reader_order_violations(r), 0);
	hbt_reader_close(r);
}

static void put_repeat(struct hbt_filewriter *w, uint32_t th, uint64_t obj,
		       uint64_t seq, uint32_t acq, uint32_t rel)
{
	struct hbt_event ev = {.type = HBT_REC_LOCK_REPEAT,
			       .kind = HBT_OBJ_MUTEX,
			       .obj = obj,
			       .seq = seq,
			       .stack = 0,
			       .arg = acq,
			       .arg2 = rel};

	cr_assert_eq(hbt_filewriter_event(w, th, &ev), 0);
}

/* LOCK_REPEAT reads as its ACQUIRE/RELEASE pairs, merged with others'
 * acquisitions of the lock by seq, and a trailing ACQUIRE when held */
Test(reader, lock_repeat_expands_in_lock_order)
{
	struct hbt_filewriter_opts o = {.chunk_size = 4096};
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[32];
	const uint64_t L = 0x601040;

	cr_assert_eq(hbt_filewriter_open(tpath("rep.hbt"), &o, &w), 0);
	put_start(w, 1, 0);
	put_repeat(w, 1, L, 1, 3, 3); /* acquisitions 1-3 */
	put_repeat(w, 1, L, 5, 2, 1); /* 5, 6 (held at the end) */
	cr_assert_eq(hbt_filewriter_flush_thread(w, 1), 0);
	put_start(w, 2, 0);
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, L, 4);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, L, 0);
	put_end(w, 2);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("rep.hbt"), &r), 0);
	size_t n = read_all(r, evs, 32);
	/* 2 starts, T1: 6 + 3, T2: 2 + end */
	cr_assert_eq(n, 2 + 9 + 3, "%zu events", n);
	uint64_t want_seq = 1;
	size_t last_t2_rel = 0, first_acq5 = 0;
	bool held = false;
	for (size_t i = 0; i < n; i++) {
		const struct hbt_event *e = &evs[i];

		if (e->type == HBT_REC_ACQUIRE) {
			cr_expect_eq(e->seq, want_seq, "event %zu", i);
			cr_expect_eq(e->obj, L);
			cr_expect_eq(e->kind, HBT_OBJ_MUTEX);
			cr_expect_eq(e->op, 0);
			cr_expect(!held, "acquired while held at %zu", i);
			if (e->seq == 5)
				first_acq5 = i;
			want_seq++;
			held = true;
		} else if (e->type == HBT_REC_RELEASE) {
			cr_expect_eq(e->obj, L);
			cr_expect(held, "released while free at %zu", i);
			held = false;
			if (e->thread == 2)
				last_t2_rel = i;
		}
	}
	cr_expect_eq(want_seq, 7);
	cr_expect(held, "acquisition 6 is still held");
	cr_expect_lt(last_t2_rel, first_acq5);
	cr_expect_eq(hbt_reader_order_violations(r), 0);
	hbt_reader_close(r);
}

/* next_ref() hands out what next() copies, and numbers each lock once:
 * the analyses index arrays by that number instead of the address. */
Test(reader, next_ref_matches_next_and_numbers_locks)
{
	struct hbt_filewriter_opts o = {.chunk_size = 4096};
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[32], ev;
	const struct hbt_event *p;
	const uint64_t A = 0x601040, B = 0x601080, S = 0x602000;
	uint32_t ref_a = 0, ref_b = 0;
	size_t n, i;

	cr_assert_eq(hbt_filewriter_open(tpath("ref.hbt"), &o, &w), 0);
	ev_put(w, 1, HBT_REC_REQUEST, HBT_OBJ_MUTEX, A, 0);
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, A, 1);
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, B, 1);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, B, 0);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, A, 0);
	ev_put(w, 1, HBT_REC_POST, HBT_OBJ_SEM, S, 1);
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_SEM, S, 1);
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, B, 2);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, B, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("ref.hbt"), &r), 0);
	n = read_all(r, evs, 32);
	cr_assert_eq(n, 9);
	cr_assert_eq(hbt_reader_rewind(r), 0);
	for (i = 0; i < n; i++) {
		cr_assert_eq(hbt_reader_next_ref(r, &p), 1);
		ev = *p;
		/* field by field: padding bytes are not the event */
		cr_expect(ev.index == evs[i].index &&
				  ev.thread == evs[i].thread &&
				  ev.type == evs[i].type &&
				  ev.kind == evs[i].kind &&
				  ev.obj == evs[i].obj &&
				  ev.seq == evs[i].seq &&
				  ev.objref == evs[i].objref,
			  "event %zu differs", i);
		if (ev.kind != HBT_OBJ_MUTEX) {
			cr_expect_eq(ev.objref, 0, "only locks are numbered");
			continue;
		}
		cr_assert_neq(ev.objref, 0, "lock event %zu unnumbered", i);
		uint32_t *ref = ev.obj == A ? &ref_a : &ref_b;

		if (!*ref)
			*ref = ev.objref;
		cr_expect_eq(ev.objref, *ref, "one number per lock");
	}
	cr_expect_neq(ref_a, ref_b);
	cr_assert_eq(hbt_reader_next_ref(r, &p), 0);
	hbt_reader_close(r);
}

Test(reader, merge_rwlock_barrier_cond)
{
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[64];
	const uint64_t RW = 0x1000, B = 0x2000, C = 0x3000, M = 0x4000;
	struct hbt_event e;

	cr_assert_eq(hbt_filewriter_open(tpath("x.hbt"), NULL, &w), 0);
	/* T1 (first in file): writer acquisition 3 of RW */
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_RWLOCK, RW, 3);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_RWLOCK, RW, 0);
	/* barrier of 2: T1 arrives 2nd, leaves */
	e = (struct hbt_event){
		.type = HBT_REC_BARRIER_ARRIVE, .obj = B, .arg = 2, .seq = 2};
	cr_assert_eq(hbt_filewriter_event(w, 1, &e), 0);
	e = (struct hbt_event){
		.type = HBT_REC_BARRIER_LEAVE, .obj = B, .seq = 2};
	cr_assert_eq(hbt_filewriter_event(w, 1, &e), 0);
	/* T1 waits on C with M: woken by post 1, reacquires M as acq 2 */
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, M, 1);
	e = (struct hbt_event){.type = HBT_REC_COND_WAIT,
			       .obj = C,
			       .obj2 = M,
			       .kind = HBT_OBJ_COND};
	cr_assert_eq(hbt_filewriter_event(w, 1, &e), 0);
	e = (struct hbt_event){.type = HBT_REC_COND_WAKE,
			       .obj = C,
			       .obj2 = M,
			       .kind = HBT_OBJ_COND,
			       .seq = 1,
			       .seq2 = 3};
	cr_assert_eq(hbt_filewriter_event(w, 1, &e), 0);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, M, 0);

	/* T2: two readers' acquisitions 1 and 2 overlap */
	e = (struct hbt_event){.type = HBT_REC_ACQUIRE,
			       .obj = RW,
			       .kind = HBT_OBJ_RWLOCK,
			       .op = HBT_OP_READ,
			       .seq = 1};
	cr_assert_eq(hbt_filewriter_event(w, 2, &e), 0);
	e.thread = 0;
	/* T3 reader acq 2 */
	e.seq = 2;
	cr_assert_eq(hbt_filewriter_event(w, 3, &e), 0);
	ev_put(w, 3, HBT_REC_RELEASE, HBT_OBJ_RWLOCK, RW, 0);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_RWLOCK, RW, 0);
	e = (struct hbt_event){
		.type = HBT_REC_BARRIER_ARRIVE, .obj = B, .arg = 2, .seq = 1};
	cr_assert_eq(hbt_filewriter_event(w, 2, &e), 0);
	e = (struct hbt_event){
		.type = HBT_REC_BARRIER_LEAVE, .obj = B, .seq = 1};
	cr_assert_eq(hbt_filewriter_event(w, 2, &e), 0);
	/* T2 takes M (acq 2) while T1 waits, signals, unlocks */
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, M, 2);
	ev_put(w, 2, HBT_REC_POST, HBT_OBJ_COND, C, 1);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, M, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("x.hbt"), &r), 0);
	size_t n = read_all(r, evs, 64);
	cr_assert_eq(n, 17);
	size_t wr = 0, rd1rel = 0, rd2rel = 0, leave1 = 0, leave2 = 0, arr1 = 0,
	       arr2 = 0, wake = 0, post = 0, m2rel = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hbt_event *x = &evs[i];

		if (x->obj == RW && x->type == HBT_REC_ACQUIRE && x->seq == 3)
			wr = i;
		if (x->obj == RW && x->type == HBT_REC_RELEASE &&
		    x->thread == 2)
			rd1rel = i;
		if (x->obj == RW && x->type == HBT_REC_RELEASE &&
		    x->thread == 3)
			rd2rel = i;
		if (x->type == HBT_REC_BARRIER_ARRIVE)
			*(x->thread == 1 ? &arr1 : &arr2) = i;
		if (x->type == HBT_REC_BARRIER_LEAVE)
			*(x->thread == 1 ? &leave1 : &leave2) = i;
		if (x->type == HBT_REC_COND_WAKE)
			wake = i;
		if (x->type == HBT_REC_POST)
			post = i;
		if (x->obj == M && x->type == HBT_REC_RELEASE && x->thread == 2)
			m2rel = i;
	}
	cr_expect_gt(wr, rd1rel, "writer waits for reader 1");
	cr_expect_gt(wr, rd2rel, "writer waits for reader 2");
	cr_expect_gt(leave1, arr2, "leave waits for the whole generation");
	cr_expect_gt(leave2, arr1);
	cr_expect_gt(wake, post, "wake after the signal");
	cr_expect_gt(wake, m2rel, "wake reacquires the mutex after release");
	cr_expect_eq(hbt_reader_order_violations(r), 0);
	hbt_reader_close(r);
}

/* Memory of a destroyed object reused by another thread (malloc, or an
 * atomic handoff, orders them; the trace does not): the two incarnations
 * never interleave.  The one met first (T1's, first in the file) keeps
 * the address until its destroy, or until the end of the thread that used
 * it last when it was freed without a destroy. */
Test(reader, init_at_reused_address_waits_for_old_object)
{
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[16];
	const uint64_t X = 0x7000, Y = 0x8000;
	size_t destroy_x = 0, end1 = 0, init2_x = 0, init2_y = 0;

	cr_assert_eq(hbt_filewriter_open(tpath("u.hbt"), NULL, &w), 0);
	/* T1: a semaphore at X, destroyed; a mutex at Y, only freed */
	ev_put(w, 1, HBT_REC_OBJ_INIT, HBT_OBJ_SEM, X, 0);
	ev_put(w, 1, HBT_REC_POST, HBT_OBJ_SEM, X, 1);
	ev_put(w, 1, HBT_REC_OBJ_DESTROY, HBT_OBJ_SEM, X, 0);
	ev_put(w, 1, HBT_REC_OBJ_INIT, HBT_OBJ_MUTEX, Y, 0);
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, Y, 1);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, Y, 0);
	put_end(w, 1);
	cr_assert_eq(hbt_filewriter_flush_thread(w, 1), 0);
	/* T2: a mutex at X, then one at Y */
	ev_put(w, 2, HBT_REC_OBJ_INIT, HBT_OBJ_MUTEX, X, 0);
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, X, 1);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, X, 0);
	ev_put(w, 2, HBT_REC_OBJ_INIT, HBT_OBJ_MUTEX, Y, 0);
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, Y, 1);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, Y, 0);
	put_end(w, 2);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("u.hbt"), &r), 0);
	cr_assert_eq(read_all(r, evs, 16), 14);
	for (size_t i = 0; i < 14; i++) {
		if (evs[i].type == HBT_REC_OBJ_INIT && evs[i].thread == 2)
			*(evs[i].obj == X ? &init2_x : &init2_y) = i;
		if (evs[i].type == HBT_REC_OBJ_DESTROY)
			destroy_x = i;
		if (evs[i].type == HBT_REC_THREAD_END && evs[i].thread == 1)
			end1 = i;
	}
	cr_expect_eq(evs[0].thread, 1);
	cr_expect_lt(destroy_x, init2_x);
	cr_expect_lt(end1, init2_y);
	cr_expect_eq(hbt_reader_order_violations(r), 0);
	hbt_reader_close(r);
}

/* When everyone is parked, a thread held back only by the OBJ_INIT rule
 * (its old object freed without a destroy) goes first: that breaks no
 * recorded order, where forcing the oldest parked event would. */
Test(reader, init_wait_gives_way_before_recorded_order)
{
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[16];
	const uint64_t Y = 0x8000, Z = 0x9000;
	size_t acq1 = 0, acq2 = 0;

	cr_assert_eq(hbt_filewriter_open(tpath("g.hbt"), NULL, &w), 0);
	/* T1: a mutex at Y, never destroyed; then acquisition 2 of Z */
	ev_put(w, 1, HBT_REC_OBJ_INIT, HBT_OBJ_MUTEX, Y, 0);
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, Y, 1);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, Y, 0);
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, Z, 2);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, Z, 0);
	cr_assert_eq(hbt_filewriter_flush_thread(w, 1), 0);
	/* T2: a new mutex in Y's memory, then acquisition 1 of Z */
	ev_put(w, 2, HBT_REC_OBJ_INIT, HBT_OBJ_MUTEX, Y, 0);
	ev_put(w, 2, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, Z, 1);
	ev_put(w, 2, HBT_REC_RELEASE, HBT_OBJ_MUTEX, Z, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("g.hbt"), &r), 0);
	cr_assert_eq(read_all(r, evs, 16), 8);
	for (size_t i = 0; i < 8; i++)
		if (evs[i].type == HBT_REC_ACQUIRE && evs[i].obj == Z)
			*(evs[i].seq == 1 ? &acq1 : &acq2) = i;
	cr_expect_lt(acq1, acq2);
	cr_expect_eq(hbt_reader_order_violations(r), 0);
	hbt_reader_close(r);
}

Test(reader, lost_events_are_forced_and_counted)
{
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event evs[8];

	cr_assert_eq(hbt_filewriter_open(tpath("f.hbt"), NULL, &w), 0);
	/* acquisition 1 was lost: acquisition 2 can never be satisfied */
	ev_put(w, 1, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, 0x10, 2);
	ev_put(w, 1, HBT_REC_RELEASE, HBT_OBJ_MUTEX, 0x10, 0);
	/* join of a thread that never ends */
	put_simple(w, 2, HBT_REC_JOIN, 3);
	put_start(w, 3, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);
	cr_assert_eq(hbt_reader_open(tpath("f.hbt"), &r), 0);
	cr_expect_eq(read_all(r, evs, 8), 4);
	cr_expect_eq(hbt_reader_order_violations(r), 2);
	hbt_reader_close(r);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	void *buf;

	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void expect_open_error(const char *path, const char *msg)
{
	struct hbt_reader *r = NULL;

	cr_expect_lt(hbt_reader_open(path, &r), 0);
	cr_assert_not_null(r);
	cr_expect_str_eq(hbt_reader_error(r), msg);
	hbt_reader_close(r);
}

Test(reader, bad_input_errors)
{
	struct hbt_filewriter *w;
	struct hbt_file_header h;
	char junk[5000];
	size_t len;
	uint8_t *buf;

	expect_open_error(tpath("missing.hbt"), "no such file");
	write_file(tpath("empty.hbt"), "", 0);
	expect_open_error(tpath("empty.hbt"), "empty file");
	memset(junk, 'x', sizeof(junk));
	write_file(tpath("junk.hbt"), junk, sizeof(junk));
	expect_open_error(tpath("junk.hbt"), "not a trace file");
	write_file(tpath("short.hbt"), HBT_MAGIC "\x01\x00", 10);
	expect_open_error(tpath("short.hbt"), "truncated header");
	write_file(tpath("tiny.hbt"), "HBT", 3);
	expect_open_error(tpath("tiny.hbt"), "truncated header");
	expect_open_error(tmpdir, "is a directory");

	cr_assert_eq(hbt_filewriter_open(tpath("new.hbt"), NULL, &w), 0);
	put_start(w, 1, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);
	buf = slurp(tpath("new.hbt"), &len);
	memcpy(&h, buf, sizeof(h));
	h.version = HBT_VERSION + 1;
	h.min_reader_version = HBT_VERSION + 1;
	memcpy(buf, &h, sizeof(h));
	write_file(tpath("new.hbt"), buf, len);
	expect_open_error(tpath("new.hbt"), "trace format version 4 is newer "
					    "than this hbtrace supports (3)");
	free(buf);
}

/* A small trace of three threads over several 4 KiB chunks. */
static size_t make_small_trace(const char *path)
{
	struct hbt_filewriter_opts o = {.chunk_size = 4096};
	struct hbt_filewriter *w;
	size_t n = 0;

	cr_assert_eq(hbt_filewriter_open(path, &o, &w), 0);
	cr_assert_gt(hbt_filewriter_string(w, "a string definition"), 0);
	put_start(w, 1, 0);
	n++;
	for (uint32_t t = 2; t <= 3; t++) {
		struct hbt_event cr = {.type = HBT_REC_THREAD_CREATE, .obj = t};

		cr_assert_eq(hbt_filewriter_event(w, 1, &cr), 0);
		put_start(w, t, 1);
		n += 2;
	}
	for (uint64_t i = 1; i <= 600; i++) {
		uint32_t t = 1 + (uint32_t)(i % 3);

		ev_put(w, t, HBT_REC_ACQUIRE, HBT_OBJ_MUTEX, 0x601040, i);
		ev_put(w, t, HBT_REC_RELEASE, HBT_OBJ_MUTEX, 0x601040, 0);
		ev_put(w, t, HBT_REC_POST, HBT_OBJ_SEM, 0x602000 + 8 * t, i);
		n += 3;
	}
	cr_assert_eq(hbt_filewriter_close(w), 0);
	return n;
}

Test(reader, torn_at_every_offset, .timeout = 60)
{
	size_t total = make_small_trace(tpath("full.hbt")), len;
	size_t prev = SIZE_MAX, at_last_chunk = 0;
	uint8_t *buf = slurp(tpath("full.hbt"), &len);
	struct hbt_reader *r;
	int fd;

	cr_assert_gt(len, 3 * 4096, "several chunks");
	cr_assert_eq(hbt_reader_open(tpath("full.hbt"), &r), 0);
	cr_assert_eq(read_all(r, NULL, 0), total);
	hbt_reader_close(r);

	/* cut the file shorter and shorter: ftruncate only, no rewrites */
	write_file(tpath("cut.hbt"), buf, len);
	fd = open(tpath("cut.hbt"), O_WRONLY);
	cr_assert_geq(fd, 0);
	for (size_t cut = len - 1; cut != (size_t)-1; cut--) {
		/* inside the header only the boundaries matter */
		if (cut > 16 && cut < HBT_HEADER_SIZE - 2)
			continue;
		cr_assert_eq(ftruncate(fd, (off_t)cut), 0);
		int ret = hbt_reader_open(tpath("cut.hbt"), &r);
		if (cut < HBT_HEADER_SIZE) {
			cr_assert_lt(ret, 0, "cut %zu opens", cut);
			hbt_reader_close(r);
			continue;
		}
		cr_assert_eq(ret, 0, "cut %zu: %s", cut, hbt_reader_error(r));
		size_t n = read_all(r, NULL, 0);
		cr_assert_leq(n, prev, "cut %zu found more events", cut);
		cr_assert(hbt_reader_truncated(r, NULL), "cut %zu", cut);
		if (cut == len - 1)
			at_last_chunk = n;
		prev = n;
		hbt_reader_close(r);
	}
	close(fd);
	cr_expect_gt(at_last_chunk, total / 2, "events before the cut");
	free(buf);
}

Test(reader, random_corruption_never_crashes, .timeout = 60)
{
	size_t len;
	struct hbt_reader *r;

	make_small_trace(tpath("full.hbt"));
	uint8_t *orig = slurp(tpath("full.hbt"), &len);
	uint8_t *buf = malloc(len);
	unsigned seed = 12345;

	for (int iter = 0; iter < 400; iter++) {
		memcpy(buf, orig, len);
		int flips = 1 + rand_r(&seed) % 16;
		for (int k = 0; k < flips; k++) {
			size_t at = HBT_HEADER_SIZE - 64 +
				    (size_t)rand_r(&seed) %
					    (len - HBT_HEADER_SIZE + 64);
			if (iter % 4 == 0) /* aim at chunk headers */
				at = HBT_HEADER_SIZE +
				     4096 * ((size_t)rand_r(&seed) % 4) +
				     (size_t)rand_r(&seed) % 48;
			if (at >= len)
				at = len - 1;
			buf[at] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		}
		write_file(tpath("bad.hbt"), buf, len);
		if (hbt_reader_open(tpath("bad.hbt"), &r) == 0) {
			struct hbt_event ev;
			size_t n = 0;

			while (hbt_reader_next(r, &ev) == 1)
				cr_assert_lt(++n, 100000, "runaway");
		}
		hbt_reader_close(r);
	}
	free(buf);
	free(orig);
}

static int count_defs(void *arg, const struct hbt_event *def)
{
	size_t *n = arg;

	cr_expect(hbt_record_is_definition(def->type));
	(*n)++;
	return 0;
}

Test(reader, big_definitions_late_definitions_and_partial_rewind)
{
	struct hbt_filewriter_opts o = {.chunk_size = 4096};
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct hbt_event ev;
	size_t big = 3 * 4096 + 17, ndefs = 0;
	char *s = malloc(big + 1);

	memset(s, 'q', big);
	s[big] = '\0';
	cr_assert_eq(hbt_filewriter_open(tpath("big.hbt"), &o, &w), 0);
	for (int i = 0; i < 50; i++) {
		struct hbt_event e = {.type = HBT_REC_ACQUIRE,
				      .kind = HBT_OBJ_MUTEX,
				      .obj = 0x40,
				      .seq = (uint64_t)i + 1,
				      .stack = 1};

		cr_assert_eq(hbt_filewriter_event(w, 2, &e), 0);
		e.type = HBT_REC_RELEASE;
		cr_assert_eq(hbt_filewriter_event(w, 2, &e), 0);
	}
	/* the stack used above is defined only now, after a big string */
	int sid = hbt_filewriter_string(w, s);
	cr_assert_gt(sid, 0);
	uint64_t fr = HBT_FRAME_FROM_PC(0x1234);
	cr_assert_eq(hbt_filewriter_stack(w, &fr, 1), 1);
	cr_assert_eq(hbt_filewriter_close(w), 0);

	cr_assert_eq(hbt_reader_open(tpath("big.hbt"), &r), 0);
	cr_expect_null(hbt_reader_stack(r, 1), "not loaded before the pass");
	cr_assert_eq(hbt_reader_load_definitions(r), 0);
	cr_assert_not_null(hbt_reader_stack(r, 1));
	cr_assert_not_null(hbt_reader_string(r, (uint32_t)sid));
	cr_expect_eq(strlen(hbt_reader_string(r, (uint32_t)sid)), big);
	cr_assert_eq(hbt_reader_each_definition(r, count_defs, &ndefs), 0);
	cr_expect_eq(ndefs, 2);
	/* read half, rewind, read all */
	for (int i = 0; i < 30; i++)
		cr_assert_eq(hbt_reader_next(r, &ev), 1);
	cr_assert_eq(hbt_reader_rewind(r), 0);
	cr_expect_eq(read_all(r, NULL, 0), 100);
	cr_expect_eq(hbt_reader_thread(r, 2)->nevents, 100,
		     "counted once despite the partial pass");
	cr_expect_eq(hbt_reader_order_violations(r), 0);
	cr_expect_not(hbt_reader_truncated(r, NULL));
	hbt_reader_close(r);
	free(s);
}

Test(reader, unclean_close_and_missing_chunk_are_cut)
{
	struct hbt_filewriter_opts o = {.chunk_size = 4096,
					.no_clean_close = true};
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	const char *why = NULL;
	size_t len;

	cr_assert_eq(hbt_filewriter_open(tpath("u.hbt"), &o, &w), 0);
	put_start(w, 1, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);
	cr_assert_eq(hbt_reader_open(tpath("u.hbt"), &r), 0);
	cr_expect_eq(read_all(r, NULL, 0), 1);
	cr_expect(hbt_reader_truncated(r, &why));
	cr_expect_not_null(why);
	hbt_reader_close(r);

	/* three chunks of thread 1; wipe the magic of the middle one */
	o.no_clean_close = false;
	cr_assert_eq(hbt_filewriter_open(tpath("g.hbt"), &o, &w), 0);
	for (int c = 0; c < 3; c++) {
		put_start(w, 1, 0);
		cr_assert_eq(hbt_filewriter_flush_thread(w, 1), 0);
	}
	cr_assert_eq(hbt_filewriter_close(w), 0);
	uint8_t *buf = slurp(tpath("g.hbt"), &len);
	cr_assert_eq(len, 4096 * 4);
	memset(buf + 2 * 4096, 0, 4);
	write_file(tpath("g.hbt"), buf, len);
	cr_assert_eq(hbt_reader_open(tpath("g.hbt"), &r), 0);
	cr_expect_eq(read_all(r, NULL, 0), 1, "stream stops at the gap");
	cr_expect(hbt_reader_truncated(r, &why));
	cr_expect_str_eq(why, "chunks of thread 1 are missing");
	const struct hbt_thread_info *ti = hbt_reader_thread(r, 1);
	cr_assert_not_null(ti);
	cr_expect(ti->torn);
	hbt_reader_close(r);
	free(buf);
}
