/* SPDX-License-Identifier: MIT */
/*
 * hbt_reader.h - reading a trace back: validation, definitions and the
 * merged event stream.
 *
 * A reader maps the file read-only, indexes its chunks per thread and hands
 * out events one at a time in a *merged order*: one interleaving of the
 * per-thread streams that respects program order and every happens-before
 * edge the trace records (lock acquisition counters, post counters, thread
 * create/start and end/join, barrier generations).  Analyses may treat that
 * order as a real execution.
 *
 * Memory: the reader keeps per-thread cursors, per-object merge state and
 * the definition tables (strings, stacks, modules, Python frames, names);
 * it never holds the events themselves, so memory does not grow with the
 * number of events.
 *
 * Definitions (strings, stacks, ...) may appear in the file after their
 * first use.  They are guaranteed complete only once hbt_reader_next() has
 * returned 0; consumers keep ids and resolve them at the end.
 *
 * Functions return 0 or a positive count on success and a negative errno on
 * failure; hbt_reader_error() then holds a one-line, lowercase message
 * without the file name (the caller adds it).
 */
#ifndef HBT_READER_H
#define HBT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbt_format.h"

struct hbt_reader;

/* One decoded event.  Fields not used by a record type are zero. */
struct hbt_event {
	uint64_t index;	  /* position in the merged order, from 0 */
	uint32_t thread;  /* thread serial */
	uint8_t type;	  /* enum hbt_record_type */
	uint8_t kind;	  /* enum hbt_obj_kind */
	uint8_t op;	  /* enum hbt_op_flag bits (or record-specific byte) */
	uint8_t outcome;  /* enum hbt_outcome (or record-specific byte) */
	uint64_t obj;	  /* object address / task id / child serial ... */
	uint64_t obj2;	  /* second object: cond's mutex, awaited task ... */
	uint64_t seq;	  /* per-object counter (see ACQUIRE/POST/...) */
	uint64_t seq2;	  /* second counter: COND_WAKE mutex_seq */
	uint64_t arg;	  /* attr, size, count, pid, string id, duration ... */
	uint64_t arg2;	  /* second argument (PY_ACCESS name, ...) */
	int64_t err;	  /* errno-style value when the record has one */
	uint32_t stack;	  /* stack id, 0 = none */
	uint64_t time_ns; /* best known monotonic time, 0 = unknown */
	const uint8_t *data; /* EXEC path, STRING bytes ... (valid until
			      * the reader is closed) */
	uint32_t data_len;
	const uint8_t *data2; /* MODULE build id */
	uint32_t data2_len;
	/* Set by the merge, 0 elsewhere: a dense number (1, 2, ...) of
	 * 'obj' for lock REQUEST, ACQUIRE and RELEASE, the same for every event
	 * of that object within one pass, so an analysis can index an array
	 * instead of hashing the address again.  Not part of the file. */
	uint32_t objref;
};

struct hbt_frame {
	bool is_python;
	uint64_t pc;	  /* native: absolute pc */
	uint32_t pyframe; /* python: pyframe id */
};

struct hbt_stack {
	uint32_t id;
	uint32_t nframes;
	const uint64_t *frames; /* raw frames, see HBT_FRAME_* */
};

struct hbt_module {
	uint64_t start, end, file_offset;
	const char *path;
	const uint8_t *build_id;
	uint32_t build_id_len;
	bool unmapped; /* dlclose'd later (still used for older pcs) */
};

struct hbt_pyframe {
	uint32_t id;
	uint32_t function; /* string id */
	uint32_t file;	   /* string id */
	uint32_t line;
	uint32_t first_line;
};

struct hbt_thread_info {
	uint32_t serial;
	int32_t tid;
	uint32_t parent;  /* creating thread's serial, 0 = none */
	uint32_t name;	  /* string id, 0 = none */
	uint64_t pthread; /* pthread_t value */
	uint64_t nevents;
	bool ended; /* THREAD_END seen */
	bool torn;  /* its stream stops early (missing chunk, torn record) */
};

struct hbt_obj_name {
	uint64_t obj;
	uint8_t kind;
	uint32_t name; /* string id */
};

int hbt_reader_open(const char *path, struct hbt_reader **out);
/* When open fails, *out is still set so the message can be read; close it.
 */
const char *hbt_reader_error(const struct hbt_reader *r);
void hbt_reader_close(struct hbt_reader *r);

const struct hbt_file_header *hbt_reader_header(const struct hbt_reader *r);
/* Bytes of the trace file as opened. */
size_t hbt_reader_file_size(const struct hbt_reader *r);
const char *hbt_reader_path(const struct hbt_reader *r);

/* 1 = an event was stored, 0 = end of trace, <0 = error (message set). */
int hbt_reader_next(struct hbt_reader *r, struct hbt_event *ev);
/*
 * The same, without the copy: *ev points into the reader and stays valid
 * until the next call of hbt_reader_next(), _next_ref(), _rewind() or
 * _close().  For the analyses' hot loop.
 */
int hbt_reader_next_ref(struct hbt_reader *r, const struct hbt_event **ev);

/*
 * Load every definition now (one quick scan of the chunks, no merge), so
 * ids resolve before the merged pass: dump, symbolizer_new.  Idempotent.
 */
int hbt_reader_load_definitions(struct hbt_reader *r);

/*
 * Call fn for every definition record in the file (per thread, in file
 * order; 'thread' is set, the fields are as hbt_decode_record() fills
 * them).  Stops at and returns fn's first non-zero result.  For dump.
 */
int hbt_reader_each_definition(struct hbt_reader *r,
			       int (*fn)(void *arg,
					 const struct hbt_event *def),
			       void *arg);

/* Start again from the first event (definitions stay loaded). */
int hbt_reader_rewind(struct hbt_reader *r);

/*
 * After the end: was the trace cut (killed, crashed, still running, torn
 * record, missing chunk)?  'why' is a short reason, or NULL.
 */
bool hbt_reader_truncated(const struct hbt_reader *r, const char **why);
/* Events the merge had to place against a recorded order (torn traces). */
uint64_t hbt_reader_order_violations(const struct hbt_reader *r);

/* Definitions: NULL / 0 when unknown. */
const char *hbt_reader_string(const struct hbt_reader *r, uint32_t id);
const struct hbt_stack *hbt_reader_stack(const struct hbt_reader *r,
					 uint32_t id);
const struct hbt_pyframe *hbt_reader_pyframe(const struct hbt_reader *r,
					     uint32_t id);
const struct hbt_module *hbt_reader_module_for(const struct hbt_reader *r,
					       uint64_t pc);
size_t hbt_reader_modules(const struct hbt_reader *r,
			  const struct hbt_module **out);
size_t hbt_reader_threads(const struct hbt_reader *r,
			  const struct hbt_thread_info **out);
const struct hbt_thread_info *hbt_reader_thread(const struct hbt_reader *r,
						uint32_t serial);
/* Name of an object given by OBJ_NAME, string id or 0. */
uint32_t hbt_reader_obj_name(const struct hbt_reader *r, uint64_t obj);
/* TASK_NAME: name and coroutine string ids of a task, 0 if unknown. */
int hbt_reader_task_name(const struct hbt_reader *r, uint64_t task,
			 uint32_t *name, uint32_t *coro);

/* Human-readable names for dump and reports. */
const char *hbt_record_type_name(uint8_t type);
const char *hbt_obj_kind_name(uint8_t kind);
const char *hbt_outcome_name(uint8_t outcome);

#endif /* HBT_READER_H */
