// SPDX-License-Identifier: MIT
/*
 * test_lockorder_merge.c - lock-order cycles across traces: found when
 * the edges come from different traces, not when a gate lock covers them,
 * a single trace already holds the whole cycle, or locks are known by
 * address only.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/lockorder_merge.h"
#include "hbt_filewriter.h"

#define A 0x1000
#define B 0x2000
#define C 0x3000
#define G 0x4000

struct nest {
	uint64_t outer, inner, gate; /* gate 0 = none */
};

static void ev(struct hbt_filewriter *w, uint32_t thread, struct hbt_event e)
{
	cr_assert_eq(hbt_filewriter_event(w, thread, &e), 0);
}

static void lock(struct hbt_filewriter *w, uint64_t obj, uint64_t *seq)
{
	ev(w, 2,
	   (struct hbt_event){.type = HBT_REC_ACQUIRE,
			      .obj = obj,
			      .kind = HBT_OBJ_MUTEX,
			      .seq = ++seq[obj >> 12]});
}

static void unlock(struct hbt_filewriter *w, uint64_t obj)
{
	ev(w, 2,
	   (struct hbt_event){
		   .type = HBT_REC_RELEASE, .obj = obj, .kind = HBT_OBJ_MUTEX});
}

/* A trace where thread 2 does each nesting of 'n' in turn; locks are
 * named (OBJ_NAME) unless 'anonymous'. */
static char *make_trace(const struct nest *n, size_t count, bool anonymous)
{
	static int serial;
	struct hbt_filewriter *w;
	struct hbt_filewriter_opts o = {.pid = 100 + serial};
	uint64_t seq[8] = {0};
	char *path;

	cr_assert_geq(
		asprintf(&path, "/tmp/hbt-merge-%d-%d.hbt", getpid(), serial++),
		0);
	cr_assert_eq(hbt_filewriter_open(path, &o, &w), 0);
	if (!anonymous) {
		hbt_filewriter_obj_name(w, A, HBT_OBJ_MUTEX, "lock_a");
		hbt_filewriter_obj_name(w, B, HBT_OBJ_MUTEX, "lock_b");
		hbt_filewriter_obj_name(w, C, HBT_OBJ_MUTEX, "lock_c");
		hbt_filewriter_obj_name(w, G, HBT_OBJ_MUTEX, "gate");
	}
	ev(w, 1, (struct hbt_event){.type = HBT_REC_THREAD_START});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_THREAD_CREATE, .obj = 2});
	ev(w, 2, (struct hbt_event){.type = HBT_REC_THREAD_START, .obj = 1});
	for (size_t i = 0; i < count; i++) {
		if (n[i].gate)
			lock(w, n[i].gate, seq);
		lock(w, n[i].outer, seq);
		lock(w, n[i].inner, seq);
		unlock(w, n[i].inner);
		unlock(w, n[i].outer);
		if (n[i].gate)
			unlock(w, n[i].gate);
	}
	ev(w, 2, (struct hbt_event){.type = HBT_REC_THREAD_END});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_JOIN_REQUEST, .obj = 2});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_JOIN, .obj = 2});
	ev(w, 1, (struct hbt_event){.type = HBT_REC_THREAD_END});
	cr_assert_eq(hbt_filewriter_close(w), 0);
	return path;
}

static int merge(char **paths, size_t n, struct finding_list *out)
{
	struct analysis_options opts = {0};
	char err[512] = "";
	int ret = lockorder_merge_traces((const char *const *)paths, n, &opts,
					 out, err, sizeof(err));

	cr_assert_geq(ret, 0, "%s", err);
	for (size_t i = 0; i < n; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	return ret;
}

Test(lockorder_merge, ab_in_one_ba_in_other)
{
	struct nest ab = {A, B, 0}, ba = {B, A, 0};
	char *p[2] = {make_trace(&ab, 1, false), make_trace(&ba, 1, false)};
	struct finding_list l = {0};
	struct finding *f;

	cr_assert_eq(merge(p, 2, &l), 1);
	f = l.items[0];
	cr_assert_eq(f->kind, FK_LOCK_ORDER_CYCLE);
	cr_assert(f->predicted);
	cr_assert_str_eq(f->detail, "cross-trace");
	cr_assert_eq(f->nlocks, 2);
	cr_assert_str_eq(f->locks[0].name, "lock_a");
	cr_assert_str_eq(f->locks[1].name, "lock_b");
	cr_assert_eq(f->nsteps, 4);
	cr_assert_str_eq(f->steps[1].action,
			 "acquire lock_b while holding lock_a");
	cr_assert_str_eq(f->steps[1].thread, "T2 (pid 100)");
	cr_assert_str_eq(f->steps[3].thread, "T2 (pid 101)");
	cr_assert_eq(strlen(f->id), 16);
	finding_list_free(&l);
}

Test(lockorder_merge, single_trace_is_not_merged)
{
	struct nest ab = {A, B, 0};
	char *p[1] = {make_trace(&ab, 1, false)};
	struct finding_list l = {0};

	cr_assert_eq(merge(p, 1, &l), 0);
}

Test(lockorder_merge, gate_lock_in_both)
{
	struct nest ab = {A, B, G}, ba = {B, A, G};
	char *p[2] = {make_trace(&ab, 1, false), make_trace(&ba, 1, false)};
	struct finding_list l = {0};

	cr_assert_eq(merge(p, 2, &l), 0);
}

Test(lockorder_merge, gate_lock_in_one_only)
{
	struct nest ab = {A, B, G}, ba = {B, A, 0};
	char *p[2] = {make_trace(&ab, 1, false), make_trace(&ba, 1, false)};
	struct finding_list l = {0};

	cr_assert_eq(merge(p, 2, &l), 1);
	finding_list_free(&l);
}

Test(lockorder_merge, one_trace_already_has_the_cycle)
{
	/* trace 1's own analysis judged A->B and B->A (one thread: fine) */
	struct nest both[2] = {{A, B, 0}, {B, A, 0}}, ba = {B, A, 0};
	char *p[2] = {make_trace(both, 2, false), make_trace(&ba, 1, false)};
	struct finding_list l = {0};

	cr_assert_eq(merge(p, 2, &l), 0);
}

Test(lockorder_merge, address_names_do_not_match)
{
	struct nest ab = {A, B, 0}, ba = {B, A, 0};
	char *p[2] = {make_trace(&ab, 1, true), make_trace(&ba, 1, true)};
	struct finding_list l = {0};

	cr_assert_eq(merge(p, 2, &l), 0);
}

Test(lockorder_merge, three_traces_three_locks)
{
	struct nest ab = {A, B, 0}, bc = {B, C, 0}, ca = {C, A, 0};
	char *p[3] = {make_trace(&ab, 1, false), make_trace(&bc, 1, false),
		      make_trace(&ca, 1, false)};
	struct finding_list l = {0};

	cr_assert_eq(merge(p, 3, &l), 1);
	cr_assert_eq(l.items[0]->nlocks, 3);
	cr_assert_str_eq(
		l.items[0]->message,
		"lock-order cycle across 3 traces: lock_a -> lock_b -> "
		"lock_c -> lock_a");
	finding_list_free(&l);
}

Test(lockorder_merge, id_independent_of_trace_order)
{
	struct nest ab = {A, B, 0}, ba = {B, A, 0};
	char *p1[2] = {make_trace(&ab, 1, false), make_trace(&ba, 1, false)};
	char *p2[2] = {make_trace(&ba, 1, false), make_trace(&ab, 1, false)};
	struct finding_list l1 = {0}, l2 = {0};

	cr_assert_eq(merge(p1, 2, &l1), 1);
	cr_assert_eq(merge(p2, 2, &l2), 1);
	cr_assert_str_eq(l1.items[0]->id, l2.items[0]->id);
	finding_list_free(&l1);
	finding_list_free(&l2);
}
