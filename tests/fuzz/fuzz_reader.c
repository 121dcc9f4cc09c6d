// SPDX-License-Identifier: MIT
/*
 * fuzz_reader.c - libFuzzer harness for the trace reader.
 *
 * The input is a whole .hbt file.  Everything a consumer can reach is
 * exercised: open, the definition scan, the merged event stream with every
 * id an event carries resolved (stack -> frames -> modules / Python frames
 * -> strings, thread info, object and task names), the truncation verdict,
 * and a rewind followed by a second full pass, which must give the same
 * number of events.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "hbt_reader.h"

/* Where a pass stops.  Not a bound on what the input can hold: one
 * 30-byte LOCK_REPEAT record legitimately stands for up to 2^33 events, so
 * a small input can describe billions of them (the 2026-12-06 campaign's
 * first "crash" was exactly that).  Stopping here keeps a pass inside the
 * timeout (a record is at least 2 bytes, so a 64 KiB input without
 * repeats stays far below it); the two passes must agree on where they
 * stopped. */
#define FUZZ_MAX_EVENTS (1u << 18)

static volatile size_t fuzz_sink;

static void touch_str(const char *s)
{
	if (s)
		fuzz_sink += strlen(s);
}

static void resolve_string(struct hbt_reader *r, uint64_t id)
{
	if (id <= UINT32_MAX)
		touch_str(hbt_reader_string(r, (uint32_t)id));
}

static void resolve_stack(struct hbt_reader *r, uint32_t id)
{
	const struct hbt_stack *st = hbt_reader_stack(r, id);
	uint32_t i;

	if (!st)
		return;
	for (i = 0; i < st->nframes; i++) {
		uint64_t f = st->frames[i];

		if (HBT_FRAME_IS_PY(f)) {
			const struct hbt_pyframe *pf;

			if (HBT_FRAME_PY_ID(f) > UINT32_MAX)
				continue;
			pf = hbt_reader_pyframe(r, (uint32_t)HBT_FRAME_PY_ID(f));
			if (pf) {
				touch_str(hbt_reader_string(r, pf->function));
				touch_str(hbt_reader_string(r, pf->file));
				fuzz_sink += pf->line;
			}
		} else {
			const struct hbt_module *m = hbt_reader_module_for(
				r, HBT_FRAME_NATIVE_PC(f));

			if (m) {
				touch_str(m->path);
				if (m->build_id_len)
					fuzz_sink += m->build_id[0] +
						     m->build_id[m->build_id_len - 1];
			}
		}
	}
}

static void resolve_event(struct hbt_reader *r, const struct hbt_event *ev)
{
	const struct hbt_thread_info *ti;
	uint32_t name = 0, coro = 0;

	resolve_stack(r, ev->stack);
	ti = hbt_reader_thread(r, ev->thread);
	if (ti)
		resolve_string(r, ti->name);
	resolve_string(r, hbt_reader_obj_name(r, ev->obj));
	resolve_string(r, hbt_reader_obj_name(r, ev->obj2));
	if (hbt_reader_task_name(r, ev->obj, &name, &coro) == 0) {
		resolve_string(r, name);
		resolve_string(r, coro);
	}
	/* arg is a string id for several record types; resolving a number
	 * that is not one must be harmless too. */
	resolve_string(r, ev->arg);
	resolve_string(r, ev->arg2);
	if (ev->data_len)
		fuzz_sink += ev->data[0] + ev->data[ev->data_len - 1];
	if (ev->data2_len)
		fuzz_sink += ev->data2[0] + ev->data2[ev->data2_len - 1];
	touch_str(hbt_record_type_name(ev->type));
	touch_str(hbt_obj_kind_name(ev->kind));
	touch_str(hbt_outcome_name(ev->outcome));
}

static int each_def(void *arg, const struct hbt_event *def)
{
	struct hbt_reader *r = arg;

	if (def->data_len)
		fuzz_sink += def->data[0] + def->data[def->data_len - 1];
	if (def->type == HBT_REC_STACK && def->obj <= UINT32_MAX)
		resolve_stack(r, (uint32_t)def->obj);
	return 0;
}

/* One full pass; returns the number of events, or -1 on a reader error. */
static long long pass(struct hbt_reader *r)
{
	struct hbt_event ev;
	long long n = 0;
	int rc;

	while ((rc = hbt_reader_next(r, &ev)) > 0) {
		if (ev.index != (uint64_t)n)
			abort(); /* merged indexes must count up from 0 */
		resolve_event(r, &ev);
		if (++n >= FUZZ_MAX_EVENTS)
			return n;
	}
	if (rc < 0) {
		touch_str(hbt_reader_error(r));
		return -1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hbt_thread_info *threads;
	const struct hbt_module *mods;
	struct hbt_reader *r = NULL;
	const char *path, *why = NULL;
	long long n1, n2;
	size_t i, n;

	path = fuzz_input_path(data, size);
	if (!path)
		return 0;
	if (hbt_reader_open(path, &r) < 0) {
		if (r)
			touch_str(hbt_reader_error(r));
		hbt_reader_close(r);
		return 0;
	}
	if (hbt_reader_header(r))
		fuzz_sink += hbt_reader_header(r)->flags;
	touch_str(hbt_reader_path(r));
	if (hbt_reader_load_definitions(r) < 0)
		touch_str(hbt_reader_error(r));
	hbt_reader_each_definition(r, each_def, r);

	n1 = pass(r);
	hbt_reader_truncated(r, &why);
	touch_str(why);
	fuzz_sink += hbt_reader_order_violations(r);

	n = hbt_reader_threads(r, &threads);
	for (i = 0; i < n; i++) {
		resolve_string(r, threads[i].name);
		fuzz_sink += threads[i].nevents;
	}
	n = hbt_reader_modules(r, &mods);
	for (i = 0; i < n; i++)
		touch_str(mods[i].path);

	if (hbt_reader_rewind(r) == 0) {
		n2 = pass(r);
		/* The merge is deterministic: a second pass sees the same
		 * stream (an error pass may stop at the same place). */
		if (n1 >= 0 && n2 != n1)
			abort();
	}
	hbt_reader_close(r);
	return 0;
}
