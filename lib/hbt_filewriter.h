/* SPDX-License-Identifier: MIT */
/*
 * hbt_filewriter.h - write a trace file from ordinary code (not from inside
 * a traced process): unit tests, the STD importer, benchmark generators.
 *
 * Usage:
 *
 *	struct hbt_filewriter *w;
 *	struct hbt_filewriter_opts o = { .pid = 42, .exe = "/bin/demo" };
 *	struct hbt_event ev = { .type = HBT_REC_ACQUIRE, .obj = 0x1000,
 *				.kind = HBT_OBJ_MUTEX, .seq = 1 };
 *	int ret = hbt_filewriter_open("out.hbt", &o, &w);
 *	int sid = hbt_filewriter_string(w, "main");      // id > 0 or -errno
 *	hbt_filewriter_thread(w, 1, 1234);                // optional tid
 *	hbt_filewriter_event(w, 1, &ev);                  // thread serial 1
 *	ret = hbt_filewriter_close(w);                    // 0 or -errno
 *
 * Each thread (serial >= 1) gets its own in-memory chunk buffer; a full
 * buffer is written with pwrite() at the next free chunk offset, so chunks
 * of different threads interleave in the file exactly as in a recorded
 * trace.  The writer does not check the events: it writes what it is given
 * (tests build bad traces on purpose); fill the hbt_event fields that
 * hbt_format.h lists for the record type.  'index' and 'thread' of the
 * event are ignored; 'time_ns' (ns since start) of a chunk's first event
 * becomes the chunk's monotonic time.
 *
 * Definitions (strings, stacks, modules, ...) go into the chunk of the
 * thread that wrote the last event (thread 1 before any event).  Strings
 * and stacks are interned: the same content gives the same id.
 *
 * Errors are sticky: after a failure every call returns the same -errno
 * and close() reports it too.  The writer is not thread-safe.
 */
#ifndef HBT_FILEWRITER_H
#define HBT_FILEWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "hbt_reader.h"

struct hbt_filewriter;

struct hbt_filewriter_opts {
	int32_t pid, ppid;
	const char *exe; /* NULL = "" */
	const char *cmdline;
	uint64_t features;   /* enum hbt_feature bits */
	uint64_t flags;	     /* extra enum hbt_header_flag bits */
	bool no_clean_close; /* leave HBT_HDR_CLEAN_CLOSE unset at close */
	uint64_t start_monotonic_ns, start_realtime_ns;
	uint64_t dropped_events;
	uint32_t chunk_size; /* multiple of HBT_CHUNK_ALIGN, 0 = 64 KiB */
};

/* opts may be NULL.  On failure *out is NULL. */
int hbt_filewriter_open(const char *path,
			const struct hbt_filewriter_opts *opts,
			struct hbt_filewriter **out);

/* Flush every thread's buffer, write the header; frees w.  0 or -errno. */
int hbt_filewriter_close(struct hbt_filewriter *w);

/* Declare a thread's kernel tid (default: the serial).  0 or -errno. */
int hbt_filewriter_thread(struct hbt_filewriter *w, uint32_t serial,
			  int32_t tid);

/* Append one event record to thread 'serial' (>= 1).  0 or -errno. */
int hbt_filewriter_event(struct hbt_filewriter *w, uint32_t serial,
			 const struct hbt_event *ev);

/* Write the current chunk of 'serial' now, even if not full (tests use it
 * to control the chunk layout).  0 or -errno. */
int hbt_filewriter_flush_thread(struct hbt_filewriter *w, uint32_t serial);

/* Definitions.  The interning ones return the id (> 0) or -errno. */
int hbt_filewriter_string(struct hbt_filewriter *w, const char *s);
int hbt_filewriter_string_len(struct hbt_filewriter *w, const char *s,
			      size_t len);
/* frames: HBT_FRAME_* encoded, innermost first, at most
 * HBT_MAX_STACK_FRAMES. */
int hbt_filewriter_stack(struct hbt_filewriter *w, const uint64_t *frames,
			 uint32_t nframes);
/* Returns the new pyframe id. */
int hbt_filewriter_pyframe(struct hbt_filewriter *w, const char *function,
			   const char *file, uint32_t line,
			   uint32_t first_line);
/* The others return 0 or -errno. */
int hbt_filewriter_module(struct hbt_filewriter *w, uint64_t start,
			  uint64_t end, uint64_t file_offset,
			  const uint8_t *build_id, uint32_t build_id_len,
			  const char *path);
int hbt_filewriter_module_unmap(struct hbt_filewriter *w, uint64_t start,
				uint64_t end);
int hbt_filewriter_thread_name(struct hbt_filewriter *w, uint32_t serial,
			       const char *name);
int hbt_filewriter_obj_name(struct hbt_filewriter *w, uint64_t obj,
			    uint8_t kind, const char *name);
int hbt_filewriter_task_name(struct hbt_filewriter *w, uint64_t task,
			     const char *name, const char *coro);
int hbt_filewriter_note(struct hbt_filewriter *w, const char *key_value);

#endif /* HBT_FILEWRITER_H */
