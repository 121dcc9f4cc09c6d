// SPDX-License-Identifier: MIT
/*
 * test_symbolize.c - the symbolizer on a real binary: this test program
 * itself, described to a trace by its MODULE records as the runtime would.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hbt_filewriter.h"
#include "hbt_reader.h"
#include "symbolize.h"

struct sym_account {
	long balance;
	pthread_mutex_t lock;
};

pthread_mutex_t sym_test_locks[4];
struct sym_account sym_test_acct;
pthread_mutex_t sym_test_single;

static int callee_line;

static __attribute__((noinline)) uint64_t sym_callee(void)
{
	uint64_t pc = (uint64_t)__builtin_return_address(0);

	__asm__ volatile("" ::: "memory");
	return pc;
}

static __attribute__((noinline)) uint64_t sym_caller(void)
{
	uint64_t pc;

	callee_line = __LINE__ + 1;
	pc = sym_callee();
	__asm__ volatile("" ::: "memory");
	return pc + 0 * (uint64_t)callee_line;
}

static int inl_line, outer_line;

static inline __attribute__((always_inline)) uint64_t sym_inlined(void)
{
	inl_line = __LINE__ + 1;
	return sym_callee();
}

static __attribute__((noinline)) uint64_t sym_outer(void)
{
	uint64_t pc;

	outer_line = __LINE__ + 1;
	pc = sym_inlined();
	__asm__ volatile("" ::: "memory");
	return pc;
}

/* Write a trace whose MODULE records are this process's mappings of its
 * own executable, plus one stack. */
static struct hbt_reader *trace_of_self(const char *path, uint64_t *frames,
					uint32_t nframes, int *stack_id)
{
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	char exe[PATH_MAX], line[PATH_MAX + 128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *maps = fopen("/proc/self/maps", "r");
	struct hbt_event ev = {.type = HBT_REC_THREAD_START};

	cr_assert_gt(n, 0);
	exe[n] = '\0';
	cr_assert_not_null(maps);
	cr_assert_eq(hbt_filewriter_open(path, NULL, &w), 0);
	cr_assert_eq(hbt_filewriter_event(w, 1, &ev), 0);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long start, end, off;
		char perms[8], file[PATH_MAX];

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &start,
			   &end, perms, &off, file) != 5)
			continue;
		if (perms[2] != 'x' || strcmp(file, exe))
			continue;
		cr_assert_eq(
			hbt_filewriter_module(w, start, end, off, NULL, 0, exe),
			0);
	}
	fclose(maps);
	*stack_id = hbt_filewriter_stack(w, frames, nframes);
	cr_assert_gt(*stack_id, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);
	cr_assert_eq(hbt_reader_open(path, &r), 0);
	return r;
}

static void free_step(struct finding_step *st)
{
	for (size_t i = 0; i < st->nframes; i++) {
		free(st->frames[i].function);
		free(st->frames[i].file);
		free(st->frames[i].module);
	}
	free(st->frames);
}

Test(symbolize, stack_data_and_python_frames)
{
	char path[] = "/tmp/hbt-sym.XXXXXX";
	int fd = mkstemp(path);
	uint64_t ret_addr = sym_caller();
	uint64_t frames[2] = {HBT_FRAME_FROM_PC(ret_addr),
			      HBT_FRAME_FROM_PC(0x10) /* no module */};
	struct finding_step step = {0};
	int sid;

	cr_assert_geq(fd, 0);
	close(fd);
	struct hbt_reader *r = trace_of_self(path, frames, 2, &sid);
	struct symbolizer *s = symbolizer_new(r);
	cr_assert_not_null(s);

	int n = symbolize_stack(s, (uint32_t)sid, &step);
	cr_assert_geq(n, 2);
	cr_assert_not_null(step.frames[0].function);
	cr_expect_str_eq(step.frames[0].function, "sym_caller");
	cr_assert_not_null(step.frames[0].file);
	cr_expect_not_null(strstr(step.frames[0].file, "test_symbolize.c"));
	cr_expect_eq(step.frames[0].line, callee_line);
	cr_expect_not_null(step.frames[0].module);
	cr_expect_null(step.frames[n - 1].function, "unknown pc");
	free_step(&step);

	char *site = symbolize_site(s, (uint32_t)sid);
	char want[64];
	snprintf(want, sizeof(want), "sym_caller (test_symbolize.c:%d)",
		 callee_line);
	cr_assert_not_null(site);
	cr_expect_str_eq(site, want);
	free(site);

	/* the cache gives the same answer twice */
	struct finding_frame f[4];
	int k = symbolize_pc(s, ret_addr - 1, f, 4);
	cr_assert_geq(k, 1);
	cr_expect_str_eq(f[0].function, "sym_caller");
	for (int i = 0; i < k; i++) {
		free(f[i].function);
		free(f[i].file);
		free(f[i].module);
	}

	char *d =
		symbolize_data(s, (uint64_t)&sym_test_locks[2], HBT_OBJ_MUTEX);
	cr_assert_not_null(d);
	cr_expect_str_eq(d, "sym_test_locks[2]");
	free(d);
	d = symbolize_data(s, (uint64_t)&sym_test_acct.lock, HBT_OBJ_MUTEX);
	cr_assert_not_null(d);
	cr_expect_str_eq(d, "sym_test_acct.lock");
	free(d);
	d = symbolize_data(s, (uint64_t)&sym_test_single, HBT_OBJ_MUTEX);
	cr_assert_not_null(d);
	cr_expect_str_eq(d, "sym_test_single");
	free(d);
	cr_expect_null(symbolize_data(s, 0x10, HBT_OBJ_MUTEX));

	symbolizer_free(s);
	hbt_reader_close(r);
	unlink(path);
}

Test(symbolize, inlined_frames)
{
	char path[] = "/tmp/hbt-sym.XXXXXX";
	int fd = mkstemp(path);
	uint64_t ret_addr = sym_outer();
	uint64_t frames[1] = {HBT_FRAME_FROM_PC(ret_addr)};
	struct finding_step step = {0};
	int sid;

	cr_assert_geq(fd, 0);
	close(fd);
	struct hbt_reader *r = trace_of_self(path, frames, 1, &sid);
	struct symbolizer *s = symbolizer_new(r);
	cr_assert_not_null(s);
	cr_assert_eq(symbolize_stack(s, (uint32_t)sid, &step), 2);
	cr_expect_str_eq(step.frames[0].function, "sym_inlined");
	cr_expect_eq(step.frames[0].line, inl_line);
	cr_expect(step.frames[0].inlined);
	cr_expect_str_eq(step.frames[1].function, "sym_outer");
	cr_expect_eq(step.frames[1].line, outer_line);
	cr_expect_not(step.frames[1].inlined);
	cr_expect_not_null(strstr(step.frames[1].file, "test_symbolize.c"));
	free_step(&step);
	symbolizer_free(s);
	hbt_reader_close(r);
	unlink(path);
}

Test(symbolize, python_frames_and_missing_module)
{
	char path[] = "/tmp/hbt-sym.XXXXXX";
	int fd = mkstemp(path);
	struct hbt_filewriter *w;
	struct hbt_reader *r;
	struct finding_step step = {0};

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(hbt_filewriter_open(path, NULL, &w), 0);
	int pf = hbt_filewriter_pyframe(w, "worker", "/srv/app.py", 42, 40);
	cr_assert_gt(pf, 0);
	cr_assert_eq(hbt_filewriter_module(w, 0x400000, 0x401000, 0, NULL, 0,
					   "/nonexistent/libgone.so"),
		     0);
	uint64_t frames[2] = {HBT_FRAME_FROM_PY(pf),
			      HBT_FRAME_FROM_PC(0x400123)};
	int sid = hbt_filewriter_stack(w, frames, 2);
	cr_assert_gt(sid, 0);
	cr_assert_eq(hbt_filewriter_close(w), 0);
	cr_assert_eq(hbt_reader_open(path, &r), 0);
	struct symbolizer *s = symbolizer_new(r);
	cr_assert_not_null(s);

	cr_assert_eq(symbolize_stack(s, (uint32_t)sid, &step), 2);
	cr_expect_str_eq(step.frames[0].function, "worker");
	cr_expect_str_eq(step.frames[0].file, "/srv/app.py");
	cr_expect_eq(step.frames[0].line, 42);
	cr_expect_null(step.frames[1].function);
	cr_expect_str_eq(step.frames[1].module, "/nonexistent/libgone.so");
	cr_expect_eq(step.frames[1].pc, 0x400123);
	free_step(&step);
	char *site = symbolize_site(s, (uint32_t)sid);
	cr_expect_str_eq(site, "worker (app.py:42)");
	free(site);
	symbolizer_free(s);
	hbt_reader_close(r);
	unlink(path);
}
