// SPDX-License-Identifier: MIT
/*
 * hbt_reader.c - validation, chunk index, definitions and the merged
 * event stream of a trace (see hbt_reader.h, docs/trace-format.md).
 *
 * The merge is a scheduler over per-thread cursors.  The running thread
 * keeps handing out events until its next event depends on something not
 * yet handed out (a lock still held, a post not yet made, a thread not yet
 * created or ended); it then parks on the object or thread it waits for
 * and the next ready thread runs.  Handing out an event that changes an
 * object wakes the threads parked on that object, so an event costs O(1)
 * apart from those wake-ups.  When every remaining thread is parked (a torn
 * trace, lost events) the oldest parked event is forced out and counted as
 * an order violation: the reader never hangs and never drops events.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hbt_codec.h"
#include "hbt_reader.h"

#define NIL UINT32_MAX
/* A wait ref names the list a parked thread is on: an index into the
 * object states, or a thread index with this bit (its create/end list). */
#define WAIT_THREAD 0x80000000u

/* ---- a small open-addressing map: u64 key -> u32 value ---------------- */

struct idmap {
	uint64_t *keys;
	uint32_t *vals; /* NIL = empty slot */
	uint32_t mask;	/* capacity - 1, capacity a power of two */
	uint32_t n;
};

static inline uint32_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

static int idmap_init(struct idmap *m, uint32_t cap)
{
	m->keys = malloc(sizeof(*m->keys) * cap);
	m->vals = malloc(sizeof(*m->vals) * cap);
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		m->keys = NULL;
		m->vals = NULL;
		return -ENOMEM;
	}
	memset(m->vals, 0xff, sizeof(*m->vals) * cap);
	m->mask = cap - 1;
	m->n = 0;
	return 0;
}

static void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static inline uint32_t idmap_get(const struct idmap *m, uint64_t key)
{
	uint32_t i;

	if (!m->keys)
		return NIL;
	for (i = hash64(key) & m->mask;; i = (i + 1) & m->mask) {
		if (m->vals[i] == NIL)
			return NIL;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

static int idmap_grow(struct idmap *m)
{
	struct idmap n;
	uint32_t cap = m->keys ? (m->mask + 1) * 2 : 64;

	if (cap == 0 || cap > (1u << 30))
		return -ENOMEM;
	if (idmap_init(&n, cap))
		return -ENOMEM;
	if (m->keys) {
		for (uint32_t i = 0; i <= m->mask; i++) {
			uint32_t j;

			if (m->vals[i] == NIL)
				continue;
			for (j = hash64(m->keys[i]) & n.mask; n.vals[j] != NIL;
			     j = (j + 1) & n.mask)
				;
			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
		}
		n.n = m->n;
	}
	idmap_free(m);
	*m = n;
	return 0;
}

/* Insert or replace. */
static int idmap_put(struct idmap *m, uint64_t key, uint32_t val)
{
	uint32_t i;

	if (!m->keys || (m->n + 1) * 4 > (m->mask + 1) * 3) {
		if (idmap_grow(m))
			return -ENOMEM;
	}
	for (i = hash64(key) & m->mask;; i = (i + 1) & m->mask) {
		if (m->vals[i] == NIL) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return 0;
		}
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	}
}

/* ---- reader state ------------------------------------------------------ */

struct chunk_ref {
	uint64_t off;
	uint32_t len; /* bytes readable (cut at the end of the file) */
	uint32_t thread;
	uint32_t index;
	int32_t tid;
	uint64_t monotonic_ns;
};

enum tstate { T_READY, T_RUNNING, T_PARKED, T_DONE };

struct rthread {
	uint32_t serial;
	struct chunk_ref *chunks; /* this thread's usable chunks, in order */
	uint32_t nchunks;
	bool gap; /* chunks missing: the stream stops early */

	/* cursor */
	uint32_t cur; /* index into chunks */
	const uint8_t *pos, *end;
	struct hbt_codec_state codec;
	uint64_t time_ns;
	bool have_pending;
	struct hbt_event pending;
	/* a LOCK_REPEAT being handed out as its ACQUIRE/RELEASE events */
	uint64_t rep_left; /* events still to come */
	uint64_t rep_seq;  /* seq of the next ACQUIRE */
	uint64_t rep_obj;
	uint32_t rep_stack;
	uint8_t rep_kind;
	bool rep_release_next;

	/* scheduling */
	enum tstate state;
	uint32_t link;	  /* next in the ready queue or a wait list */
	uint32_t wait_on; /* wait ref while parked, see WAIT_THREAD */
	uint64_t park_stamp;
	bool created;	  /* THREAD_CREATE of this thread handed out */
	bool ended_now;	  /* THREAD_END handed out (this pass) */
	uint32_t waiters; /* threads waiting for this one's create/end */
};

/* Merge state of one synchronization object. */
struct objstate {
	uint64_t obj;
	uint64_t last_acq; /* highest acquisition seq handed out */
	uint64_t posts;	   /* highest post seq handed out */
	uint64_t arrivals; /* barrier arrivals handed out */
	uint64_t count;	   /* barrier count, from BARRIER_ARRIVE */
	uint32_t owner;	   /* thread index + 1 of the exclusive holder */
	uint32_t readers;  /* shared holders */
	uint32_t waiters;  /* parked threads, NIL-terminated */
	uint32_t live;	   /* thread index + 1 that initialized (or last
			    * acquired) the pthread object now at this
			    * address, 0 after destroy */
};

struct named {
	uint64_t key;
	uint8_t kind;
	uint32_t a, b;
};

struct hbt_reader {
	char *path;
	char err[256];
	int fd;
	const uint8_t *map;
	size_t size;
	struct hbt_file_header hdr;

	struct chunk_ref *chunks;
	size_t nchunks;

	struct rthread *th;
	struct hbt_thread_info *info; /* same order as th: sorted by serial */
	uint32_t nthreads;
	struct idmap thread_by_serial;

	/* merge */
	struct objstate *objs;
	uint32_t nobjs, objcap;
	struct idmap obj_index;
	uint32_t ready_head, ready_tail;
	uint32_t running;
	uint32_t nlive; /* threads not done */
	uint64_t next_index;
	uint64_t park_clock;
	uint64_t violations;
	bool pass_done;
	bool counted;	    /* per-thread event counts are complete */
	uint64_t cache_key; /* last object looked up, and its index */
	uint32_t cache_ix;

	/* truncation */
	const char *why;
	char why_buf[128];

	/* definitions */
	struct idmap string_ix;
	char **strings;
	uint32_t nstrings, capstrings;
	struct idmap stack_ix;
	struct hbt_stack *stacks;
	uint32_t nstacks, capstacks;
	struct idmap pyframe_ix;
	struct hbt_pyframe *pyframes;
	uint32_t npyframes, cappyframes;
	struct hbt_module *modules;
	uint32_t nmodules, capmodules;
	struct idmap objname_ix;
	struct idmap taskname_ix;
	struct named *names;
	uint32_t nnames, capnames;
	bool defs_loaded;
};

static void set_error(struct hbt_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct hbt_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	/* messages are lowercase, strerror()'s are not */
	if (r->err[0] >= 'A' && r->err[0] <= 'Z' && r->err[1] >= 'a' &&
	    r->err[1] <= 'z')
		r->err[0] = (char)(r->err[0] - 'A' + 'a');
}

static void set_truncated(struct hbt_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keep the first reason: it is usually the cause of the others. */
static void set_truncated(struct hbt_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why)
		return;
	va_start(ap, fmt);
	vsnprintf(r->why_buf, sizeof(r->why_buf), fmt, ap);
	va_end(ap);
	r->why = r->why_buf;
}

/* Grow an array of 'size'-byte elements to hold at least n + 1. */
static int grow(void **arr, uint32_t *cap, uint32_t n, size_t size)
{
	uint32_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap <= n || ncap > (1u << 30))
		return -ENOMEM;
	p = realloc(*arr, (size_t)ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- names ------------------------------------------------------------- */

static const char *const record_type_names[256] = {
	[HBT_REC_END] = "END",
	[HBT_REC_STRING] = "STRING",
	[HBT_REC_STACK] = "STACK",
	[HBT_REC_MODULE] = "MODULE",
	[HBT_REC_MODULE_UNMAP] = "MODULE_UNMAP",
	[HBT_REC_THREAD_NAME] = "THREAD_NAME",
	[HBT_REC_OBJ_NAME] = "OBJ_NAME",
	[HBT_REC_PYFRAME] = "PYFRAME",
	[HBT_REC_TASK_NAME] = "TASK_NAME",
	[HBT_REC_OBJ_INIT] = "OBJ_INIT",
	[HBT_REC_OBJ_DESTROY] = "OBJ_DESTROY",
	[HBT_REC_REQUEST] = "REQUEST",
	[HBT_REC_ACQUIRE] = "ACQUIRE",
	[HBT_REC_FAIL] = "FAIL",
	[HBT_REC_RELEASE] = "RELEASE",
	[HBT_REC_POST] = "POST",
	[HBT_REC_COND_WAIT] = "COND_WAIT",
	[HBT_REC_COND_WAKE] = "COND_WAKE",
	[HBT_REC_BARRIER_ARRIVE] = "BARRIER_ARRIVE",
	[HBT_REC_BARRIER_LEAVE] = "BARRIER_LEAVE",
	[HBT_REC_LOCK_REPEAT] = "LOCK_REPEAT",
	[HBT_REC_MUTEX_ACQUIRE] = "MUTEX_ACQUIRE",
	[HBT_REC_MUTEX_RELEASE] = "MUTEX_RELEASE",
	[HBT_REC_MUTEX_PAIR] = "MUTEX_PAIR",
	[HBT_REC_THREAD_START] = "THREAD_START",
	[HBT_REC_THREAD_END] = "THREAD_END",
	[HBT_REC_THREAD_CREATE] = "THREAD_CREATE",
	[HBT_REC_JOIN_REQUEST] = "JOIN_REQUEST",
	[HBT_REC_JOIN] = "JOIN",
	[HBT_REC_DETACH] = "DETACH",
	[HBT_REC_FORK] = "FORK",
	[HBT_REC_EXEC] = "EXEC",
	[HBT_REC_DEADLOCK] = "DEADLOCK",
	[HBT_REC_TIME] = "TIME",
	[HBT_REC_MEM_READ] = "MEM_READ",
	[HBT_REC_MEM_WRITE] = "MEM_WRITE",
	[HBT_REC_MEM_ATOMIC] = "MEM_ATOMIC",
	[HBT_REC_MEM_RANGE] = "MEM_RANGE",
	[HBT_REC_ALLOC] = "ALLOC",
	[HBT_REC_FREE] = "FREE",
	[HBT_REC_TASK_CREATE] = "TASK_CREATE",
	[HBT_REC_TASK_STEP] = "TASK_STEP",
	[HBT_REC_TASK_SUSPEND] = "TASK_SUSPEND",
	[HBT_REC_TASK_DONE] = "TASK_DONE",
	[HBT_REC_TASK_AWAIT] = "TASK_AWAIT",
	[HBT_REC_TASK_RESULT_TAKEN] = "TASK_RESULT_TAKEN",
	[HBT_REC_TASK_LEFT] = "TASK_LEFT",
	[HBT_REC_PY_ACCESS] = "PY_ACCESS",
	[HBT_REC_LOOP_STALL] = "LOOP_STALL",
	[HBT_REC_NOTE] = "NOTE",
	[HBT_REC_STACK_FRAME] = "STACK_FRAME",
};

const char *hbt_record_type_name(uint8_t type)
{
	const char *name = record_type_names[type];

	return name ? name : (type >= HBT_REC_EXT_FIRST ? "EXT" : "UNKNOWN");
}

static const char *const obj_kind_names[256] = {
	[HBT_OBJ_NONE] = "none",
	[HBT_OBJ_MUTEX] = "pthread_mutex",
	[HBT_OBJ_RWLOCK] = "pthread_rwlock",
	[HBT_OBJ_SPIN] = "pthread_spinlock",
	[HBT_OBJ_COND] = "pthread_cond",
	[HBT_OBJ_SEM] = "sem",
	[HBT_OBJ_BARRIER] = "pthread_barrier",
	[HBT_OBJ_THREAD] = "thread",
	[HBT_OBJ_PY_LOCK] = "threading.Lock",
	[HBT_OBJ_PY_RLOCK] = "threading.RLock",
	[HBT_OBJ_PY_COND] = "threading.Condition",
	[HBT_OBJ_PY_SEM] = "threading.Semaphore",
	[HBT_OBJ_PY_EVENT] = "threading.Event",
	[HBT_OBJ_PY_QUEUE] = "queue.Queue",
	[HBT_OBJ_PY_FUTURE] = "concurrent.futures.Future",
	[HBT_OBJ_AIO_LOCK] = "asyncio.Lock",
	[HBT_OBJ_AIO_SEM] = "asyncio.Semaphore",
	[HBT_OBJ_AIO_EVENT] = "asyncio.Event",
	[HBT_OBJ_AIO_COND] = "asyncio.Condition",
	[HBT_OBJ_AIO_QUEUE] = "asyncio.Queue",
	[HBT_OBJ_AIO_FUTURE] = "asyncio.Future",
	[HBT_OBJ_AIO_HANDOFF] = "asyncio.handoff",
	[HBT_OBJ_ATOMIC] = "atomic",
};

const char *hbt_obj_kind_name(uint8_t kind)
{
	const char *name = obj_kind_names[kind];

	return name ? name : "unknown";
}

static const char *const outcome_names[256] = {
	[HBT_OUT_OK] = "ok",
	[HBT_OUT_BUSY] = "busy",
	[HBT_OUT_TIMEDOUT] = "timedout",
	[HBT_OUT_ERROR] = "error",
	[HBT_OUT_INTERRUPTED] = "interrupted",
	[HBT_OUT_CANCELLED] = "cancelled",
};

const char *hbt_outcome_name(uint8_t outcome)
{
	const char *name = outcome_names[outcome];

	return name ? name : "unknown";
}

/* ---- definitions ------------------------------------------------------- */

static int def_string(struct hbt_reader *r, const struct hbt_event *ev)
{
	uint32_t ix = idmap_get(&r->string_ix, ev->obj);
	char *s;

	if (ix != NIL)
		return 0; /* seen already (rewind, or a duplicate) */
	if (grow((void **)&r->strings, &r->capstrings, r->nstrings,
		 sizeof(*r->strings)))
		return -ENOMEM;
	s = malloc(ev->data_len + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, ev->data, ev->data_len);
	s[ev->data_len] = '\0';
	if (idmap_put(&r->string_ix, ev->obj, r->nstrings)) {
		free(s);
		return -ENOMEM;
	}
	r->strings[r->nstrings++] = s;
	return 0;
}

static int def_stack(struct hbt_reader *r, const struct hbt_event *ev)
{
	struct hbt_stack *st;
	uint64_t *frames = NULL;
	uint32_t n = (uint32_t)ev->arg;

	if (idmap_get(&r->stack_ix, ev->obj) != NIL)
		return 0;
	if (grow((void **)&r->stacks, &r->capstacks, r->nstacks,
		 sizeof(*r->stacks)))
		return -ENOMEM;
	if (n) {
		frames = malloc(sizeof(*frames) * n);
		if (!frames)
			return -ENOMEM;
		if (hbt_decode_frames(ev->data, ev->data_len, frames, n)) {
			free(frames);
			return 0; /* malformed: leave the stack unknown */
		}
	}
	if (idmap_put(&r->stack_ix, ev->obj, r->nstacks)) {
		free(frames);
		return -ENOMEM;
	}
	st = &r->stacks[r->nstacks++];
	st->id = (uint32_t)ev->obj;
	st->nframes = n;
	st->frames = frames;
	return 0;
}

static int def_module(struct hbt_reader *r, const struct hbt_event *ev)
{
	struct hbt_module *m;
	char *path;

	for (uint32_t i = 0; i < r->nmodules; i++) {
		m = &r->modules[i];
		if (m->start == ev->obj && m->end == ev->obj2 &&
		    m->file_offset == ev->arg &&
		    strlen(m->path) == ev->data_len &&
		    !memcmp(m->path, ev->data, ev->data_len))
			return 0;
	}
	if (grow((void **)&r->modules, &r->capmodules, r->nmodules,
		 sizeof(*r->modules)))
		return -ENOMEM;
	path = malloc(ev->data_len + 1);
	if (!path)
		return -ENOMEM;
	memcpy(path, ev->data, ev->data_len);
	path[ev->data_len] = '\0';
	m = &r->modules[r->nmodules++];
	memset(m, 0, sizeof(*m));
	m->start = ev->obj;
	m->end = ev->obj2;
	m->file_offset = ev->arg;
	m->path = path;
	/* the build id points into the mapping, which outlives the module */
	m->build_id = ev->data2;
	m->build_id_len = ev->data2_len;
	return 0;
}

static void def_module_unmap(struct hbt_reader *r, const struct hbt_event *ev)
{
	for (uint32_t i = 0; i < r->nmodules; i++)
		if (r->modules[i].start >= ev->obj &&
		    r->modules[i].end <= ev->obj2)
			r->modules[i].unmapped = true;
}

static int def_pyframe(struct hbt_reader *r, const struct hbt_event *ev)
{
	struct hbt_pyframe *f;

	if (idmap_get(&r->pyframe_ix, ev->obj) != NIL)
		return 0;
	if (grow((void **)&r->pyframes, &r->cappyframes, r->npyframes,
		 sizeof(*r->pyframes)))
		return -ENOMEM;
	if (idmap_put(&r->pyframe_ix, ev->obj, r->npyframes))
		return -ENOMEM;
	f = &r->pyframes[r->npyframes++];
	f->id = (uint32_t)ev->obj;
	f->function = (uint32_t)ev->arg;
	f->file = (uint32_t)ev->arg2;
	f->line = (uint32_t)ev->seq;
	f->first_line = (uint32_t)ev->seq2;
	return 0;
}

static int def_named(struct hbt_reader *r, struct idmap *ix, uint64_t key,
		     uint8_t kind, uint32_t a, uint32_t b)
{
	uint32_t i = idmap_get(ix, key);
	struct named *n;

	if (i == NIL) {
		if (grow((void **)&r->names, &r->capnames, r->nnames,
			 sizeof(*r->names)))
			return -ENOMEM;
		i = r->nnames;
		if (idmap_put(ix, key, i))
			return -ENOMEM;
		r->nnames++;
	}
	/* a later name replaces an earlier one (a renamed object) */
	n = &r->names[i];
	n->key = key;
	n->kind = kind;
	n->a = a;
	n->b = b;
	return 0;
}

static struct rthread *thread_by_serial(const struct hbt_reader *r,
					uint64_t serial)
{
	uint32_t i = idmap_get(&r->thread_by_serial, serial);

	return i == NIL ? NULL : &r->th[i];
}

static int load_definition(struct hbt_reader *r, const struct hbt_event *ev)
{
	struct rthread *t;

	switch (ev->type) {
	case HBT_REC_STRING:
		return def_string(r, ev);
	case HBT_REC_STACK:
		return def_stack(r, ev);
	case HBT_REC_MODULE:
		return def_module(r, ev);
	case HBT_REC_MODULE_UNMAP:
		def_module_unmap(r, ev);
		return 0;
	case HBT_REC_THREAD_NAME:
		t = thread_by_serial(r, ev->obj);
		if (t)
			r->info[t - r->th].name = (uint32_t)ev->arg;
		return 0;
	case HBT_REC_OBJ_NAME:
		return def_named(r, &r->objname_ix, ev->obj, ev->kind,
				 (uint32_t)ev->arg, 0);
	case HBT_REC_PYFRAME:
		return def_pyframe(r, ev);
	case HBT_REC_TASK_NAME:
		return def_named(r, &r->taskname_ix, ev->obj, 0,
				 (uint32_t)ev->arg, (uint32_t)ev->arg2);
	default:
		return 0; /* NOTE and unknown extensible records */
	}
}

/* ---- opening ----------------------------------------------------------- */

static int cmp_chunk(const void *a, const void *b)
{
	const struct chunk_ref *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int scan_chunks(struct hbt_reader *r)
{
	uint64_t off = r->hdr.header_size;
	uint32_t cap = 0, n = 0;
	bool bad_header = false;

	while (off + HBT_CHUNK_HEADER_SIZE <= r->size) {
		struct hbt_chunk_header ch;
		uint64_t len;

		memcpy(&ch, r->map + off, sizeof(ch));
		if (ch.magic != HBT_CHUNK_MAGIC) {
			off += HBT_CHUNK_ALIGN;
			continue;
		}
		if (ch.size < HBT_CHUNK_ALIGN || ch.size % HBT_CHUNK_ALIGN ||
		    ch.size > HBT_MAX_CHUNK_SIZE) {
			bad_header = true;
			off += HBT_CHUNK_ALIGN;
			continue;
		}
		len = ch.size;
		if (off + len > r->size) {
			len = r->size - off;
			set_truncated(r, "file ends inside a chunk");
		}
		if (grow((void **)&r->chunks, &cap, n, sizeof(*r->chunks)))
			return -ENOMEM;
		r->chunks[n].off = off;
		r->chunks[n].len = (uint32_t)len;
		r->chunks[n].thread = ch.thread;
		r->chunks[n].index = ch.chunk_index;
		r->chunks[n].tid = ch.tid;
		r->chunks[n].monotonic_ns = ch.monotonic_ns;
		n++;
		off += ch.size;
	}
	if (bad_header)
		set_truncated(r, "corrupt chunk header");
	if ((r->hdr.flags & HBT_HDR_CLEAN_CLOSE) && r->hdr.end_offset > r->size)
		set_truncated(r, "file is shorter than its header says");
	r->nchunks = n;
	if (n > 1)
		qsort(r->chunks, n, sizeof(*r->chunks), cmp_chunk);
	return 0;
}

/* Group the sorted chunks into threads; a missing chunk_index ends a
 * thread's stream there. */
static int build_threads(struct hbt_reader *r)
{
	uint32_t nth = 0;

	for (size_t i = 0; i < r->nchunks; i++)
		if (i == 0 || r->chunks[i].thread != r->chunks[i - 1].thread)
			nth++;
	r->th = calloc(nth ? nth : 1, sizeof(*r->th));
	r->info = calloc(nth ? nth : 1, sizeof(*r->info));
	if (!r->th || !r->info)
		return -ENOMEM;
	if (idmap_init(&r->thread_by_serial, 64))
		return -ENOMEM;
	r->nthreads = 0;
	for (size_t i = 0; i < r->nchunks;) {
		struct rthread *t = &r->th[r->nthreads];
		struct hbt_thread_info *info = &r->info[r->nthreads];
		size_t j = i + 1;
		uint32_t usable = 1;

		while (j < r->nchunks &&
		       r->chunks[j].thread == r->chunks[i].thread)
			j++;
		for (size_t k = i + 1; k < j; k++) {
			if (r->chunks[k].index == r->chunks[k - 1].index)
				continue; /* duplicate index: skipped below */
			if (r->chunks[k].index != r->chunks[k - 1].index + 1) {
				t->gap = true;
				break;
			}
			usable++;
		}
		/* compact away duplicate indexes inside the usable prefix */
		{
			uint32_t w = 1;

			for (size_t k = i + 1; k < j && w < usable; k++)
				if (r->chunks[k].index !=
				    r->chunks[i + w - 1].index)
					r->chunks[i + w++] = r->chunks[k];
		}
		if (r->chunks[i].index != 0)
			t->gap = true;
		t->serial = r->chunks[i].thread;
		t->chunks = &r->chunks[i];
		t->nchunks = usable;
		info->serial = t->serial;
		info->tid = r->chunks[i].tid;
		if (t->gap) {
			info->torn = true;
			set_truncated(r, "chunks of thread %u are missing",
				      t->serial);
		}
		if (idmap_put(&r->thread_by_serial, t->serial, r->nthreads))
			return -ENOMEM;
		r->nthreads++;
		i = j;
	}
	return 0;
}

static int validate_header(struct hbt_reader *r)
{
	const struct hbt_file_header *h = &r->hdr;

	if (r->size == 0) {
		set_error(r, "empty file");
		return -EINVAL;
	}
	if (r->size < sizeof(h->magic)) {
		if (!memcmp(r->map, HBT_MAGIC, r->size)) {
			set_error(r, "truncated header");
			return -EPROTO;
		}
		set_error(r, "not a trace file");
		return -EINVAL;
	}
	if (memcmp(r->map, HBT_MAGIC, sizeof(h->magic))) {
		set_error(r, "not a trace file");
		return -EINVAL;
	}
	if (r->size < HBT_HEADER_SIZE) {
		set_error(r, "truncated header");
		return -EPROTO;
	}
	memcpy(&r->hdr, r->map, sizeof(r->hdr));
	if (h->min_reader_version > HBT_VERSION) {
		set_error(r,
			  "trace format version %u is newer than this hbtrace "
			  "supports (%u)",
			  h->version, HBT_VERSION);
		return -ENOTSUP;
	}
	if (h->header_size < HBT_HEADER_SIZE ||
	    h->header_size % HBT_CHUNK_ALIGN || h->header_size > r->size) {
		set_error(r, "corrupt header (header size %u)", h->header_size);
		return -EPROTO;
	}
	r->hdr.exe[sizeof(r->hdr.exe) - 1] = '\0';
	r->hdr.cmdline[sizeof(r->hdr.cmdline) - 1] = '\0';
	r->hdr.hostname[sizeof(r->hdr.hostname) - 1] = '\0';
	return 0;
}

static int reset_merge(struct hbt_reader *r);

int hbt_reader_open(const char *path, struct hbt_reader **out)
{
	struct hbt_reader *r;
	struct stat st;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*out = r;
	r->fd = -1;
	r->path = strdup(path);
	if (!r->path) {
		set_error(r, "out of memory");
		return -ENOMEM;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st)) {
		ret = -errno;
		if (ret == -ENOENT)
			set_error(r, "no such file");
		else if (ret == -EACCES)
			set_error(r, "permission denied");
		else
			set_error(r, "%s", strerror(-ret));
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		set_error(r, "is a directory");
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		set_error(r, "not a regular file");
		return -EINVAL;
	}
	r->size = (size_t)st.st_size;
	if (r->size) {
		void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, r->fd, 0);

		if (m == MAP_FAILED) {
			ret = -errno;
			set_error(r, "cannot map: %s", strerror(-ret));
			return ret;
		}
		r->map = m;
	}
	ret = validate_header(r);
	if (ret)
		return ret;
	ret = scan_chunks(r);
	if (!ret)
		ret = build_threads(r);
	if (!ret)
		ret = idmap_init(&r->string_ix, 64);
	if (!ret)
		ret = idmap_init(&r->stack_ix, 64);
	if (!ret)
		ret = idmap_init(&r->pyframe_ix, 64);
	if (!ret)
		ret = idmap_init(&r->objname_ix, 64);
	if (!ret)
		ret = idmap_init(&r->taskname_ix, 64);
	if (!ret)
		ret = idmap_init(&r->obj_index, 1024);
	if (!ret)
		ret = reset_merge(r);
	if (ret) {
		set_error(r, "out of memory");
		return ret;
	}
	madvise((void *)r->map, r->size, MADV_WILLNEED);
	return 0;
}

const char *hbt_reader_error(const struct hbt_reader *r)
{
	return r && r->err[0] ? r->err : "unknown error";
}

void hbt_reader_close(struct hbt_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap((void *)r->map, r->size);
	if (r->fd >= 0)
		close(r->fd);
	for (uint32_t i = 0; i < r->nstrings; i++)
		free(r->strings[i]);
	free(r->strings);
	for (uint32_t i = 0; i < r->nstacks; i++)
		free((void *)r->stacks[i].frames);
	free(r->stacks);
	for (uint32_t i = 0; i < r->nmodules; i++)
		free((void *)r->modules[i].path);
	free(r->modules);
	free(r->pyframes);
	free(r->names);
	idmap_free(&r->string_ix);
	idmap_free(&r->stack_ix);
	idmap_free(&r->pyframe_ix);
	idmap_free(&r->objname_ix);
	idmap_free(&r->taskname_ix);
	idmap_free(&r->obj_index);
	idmap_free(&r->thread_by_serial);
	free(r->objs);
	free(r->th);
	free(r->info);
	free(r->chunks);
	free(r->path);
	free(r);
}

const struct hbt_file_header *hbt_reader_header(const struct hbt_reader *r)
{
	return &r->hdr;
}

size_t hbt_reader_file_size(const struct hbt_reader *r)
{
	return r->size;
}

const char *hbt_reader_path(const struct hbt_reader *r)
{
	return r->path;
}

/* ---- per-thread cursors ------------------------------------------------ */

static void cursor_enter_chunk(struct hbt_reader *r, struct rthread *t)
{
	const struct chunk_ref *c = &t->chunks[t->cur];

	t->pos = r->map + c->off + HBT_CHUNK_HEADER_SIZE;
	t->end = r->map + c->off + c->len;
	if (t->end < t->pos)
		t->end = t->pos;
	memset(&t->codec, 0, sizeof(t->codec));
	t->rep_left = 0;
	if (c->monotonic_ns >= r->hdr.start_monotonic_ns)
		t->time_ns = c->monotonic_ns - r->hdr.start_monotonic_ns;
}

/*
 * The next event of a LOCK_REPEAT: ACQUIRE and RELEASE by turns, the
 * ACQUIREs with consecutive seqs, exactly as the runtime would have
 * written them one by one (hbt_format.h).
 */
static void repeat_next(struct rthread *t)
{
	struct hbt_event *ev = &t->pending;

	if (t->rep_release_next)
		hbt_event_set(ev, HBT_REC_RELEASE, t->rep_kind, 0, t->rep_obj,
			      0, 0, 0, 0);
	else
		hbt_event_set(ev, HBT_REC_ACQUIRE, t->rep_kind, 0, t->rep_obj,
			      t->rep_seq++, 0, 0, t->rep_stack);
	t->rep_release_next = !t->rep_release_next;
	t->rep_left--;
}

/*
 * Decode the thread's next event into t->pending, loading definitions met
 * on the way.  Returns 1, 0 at the end of the stream, -ENOMEM.
 */
static int cursor_next(struct hbt_reader *r, struct rthread *t)
{
	for (;;) {
		ssize_t n;

		if (__builtin_expect(t->rep_left != 0, 0)) {
			repeat_next(t);
			break;
		}
		if (t->pos >= t->end) {
			if (t->cur + 1 >= t->nchunks)
				return 0;
			t->cur++;
			cursor_enter_chunk(r, t);
			continue;
		}
		n = hbt_decode_record(t->pos, t->end, &t->codec, &t->pending);
		if (n == 0) {
			t->pos = t->end; /* END: the rest of the chunk is unused
					  */
			continue;
		}
		if (n < 0) {
			struct hbt_thread_info *info = &r->info[t - r->th];

			info->torn = true;
			if (n == -ENOTSUP)
				set_truncated(r,
					      "unknown record type 0x%02x in "
					      "thread %u",
					      *t->pos, t->serial);
			else
				set_truncated(r, "torn record in thread %u",
					      t->serial);
			t->cur = t->nchunks;
			t->pos = t->end;
			return 0;
		}
		t->pos += n;
		if (hbt_record_is_definition(t->pending.type)) {
			if (load_definition(r, &t->pending))
				return -ENOMEM;
			continue;
		}
		switch (t->pending.type) {
		case HBT_REC_TIME:
		case HBT_REC_TASK_STEP:
		case HBT_REC_TASK_SUSPEND:
			if (t->pending.time_ns)
				t->time_ns = t->pending.time_ns;
			break;
		case HBT_REC_LOCK_REPEAT:
			t->rep_left = t->pending.arg + t->pending.arg2;
			t->rep_seq = t->pending.seq;
			t->rep_obj = t->pending.obj;
			t->rep_stack = t->pending.stack;
			t->rep_kind = t->pending.kind;
			t->rep_release_next = false;
			continue;
		}
		break;
	}
	t->pending.thread = t->serial;
	t->pending.time_ns = t->time_ns;
	return 1;
}

/* ---- merge ------------------------------------------------------------- */

static int reset_merge(struct hbt_reader *r)
{
	r->nobjs = 0;
	r->cache_ix = NIL;
	if (r->obj_index.keys) {
		memset(r->obj_index.vals, 0xff,
		       sizeof(uint32_t) * (r->obj_index.mask + 1));
		r->obj_index.n = 0;
	}
	r->ready_head = r->ready_tail = NIL;
	r->running = NIL;
	r->nlive = 0;
	r->next_index = 0;
	r->park_clock = 0;
	r->violations = 0;
	r->pass_done = false;
	for (uint32_t i = 0; i < r->nthreads; i++) {
		struct rthread *t = &r->th[i];

		t->cur = 0;
		t->have_pending = false;
		t->created = false;
		t->ended_now = false;
		t->waiters = NIL;
		t->link = NIL;
		t->time_ns = 0;
		/* a pass cut short by a rewind counted part of the events */
		if (!r->counted)
			r->info[i].nevents = 0;
		if (t->nchunks) {
			cursor_enter_chunk(r, t);
			t->state = T_READY;
			r->nlive++;
			if (r->ready_tail == NIL)
				r->ready_head = i;
			else
				r->th[r->ready_tail].link = i;
			r->ready_tail = i;
		} else {
			t->state = T_DONE;
		}
	}
	return 0;
}

int hbt_reader_rewind(struct hbt_reader *r)
{
	return reset_merge(r);
}

static struct objstate *obj_get_slow(struct hbt_reader *r, uint64_t obj)
	__attribute__((noinline));

/* blocked_on() and apply() ask for the same object back to back: the
 * repeat is a compare, inlined, and only a new object pays for the map */
static inline struct objstate *obj_get(struct hbt_reader *r, uint64_t obj)
{
	if (r->cache_ix != NIL && r->cache_key == obj)
		return &r->objs[r->cache_ix];
	return obj_get_slow(r, obj);
}

static struct objstate *obj_get_slow(struct hbt_reader *r, uint64_t obj)
{
	uint32_t i;
	struct objstate *o;

	i = idmap_get(&r->obj_index, obj);
	if (i != NIL) {
		r->cache_key = obj;
		r->cache_ix = i;
		return &r->objs[i];
	}
	if (grow((void **)&r->objs, &r->objcap, r->nobjs, sizeof(*r->objs)))
		return NULL;
	if (idmap_put(&r->obj_index, obj, r->nobjs))
		return NULL;
	r->cache_key = obj;
	r->cache_ix = r->nobjs;
	o = &r->objs[r->nobjs++];
	memset(o, 0, sizeof(*o));
	o->obj = obj;
	o->waiters = NIL;
	return o;
}

static void ready_push(struct hbt_reader *r, uint32_t i)
{
	r->th[i].state = T_READY;
	r->th[i].link = NIL;
	if (r->ready_tail == NIL)
		r->ready_head = i;
	else
		r->th[r->ready_tail].link = i;
	r->ready_tail = i;
}

static uint32_t ready_pop(struct hbt_reader *r)
{
	uint32_t i = r->ready_head;

	if (i != NIL) {
		r->ready_head = r->th[i].link;
		if (r->ready_head == NIL)
			r->ready_tail = NIL;
		r->th[i].link = NIL;
	}
	return i;
}

static void wake_list(struct hbt_reader *r, uint32_t *head)
{
	uint32_t i = *head;

	*head = NIL;
	while (i != NIL) {
		uint32_t next = r->th[i].link;

		ready_push(r, i);
		i = next;
	}
}

static inline void wake_obj(struct hbt_reader *r, struct objstate *o)
{
	if (o->waiters != NIL)
		wake_list(r, &o->waiters);
}

static inline uint32_t obj_ref(const struct hbt_reader *r,
			       const struct objstate *o)
{
	return (uint32_t)(o - r->objs);
}

static inline uint32_t thread_ref(const struct hbt_reader *r,
				  const struct rthread *t)
{
	return (uint32_t)(t - r->th) | WAIT_THREAD;
}

static uint32_t *wait_head(struct hbt_reader *r, uint32_t ref)
{
	if (ref & WAIT_THREAD)
		return &r->th[ref & ~WAIT_THREAD].waiters;
	return &r->objs[ref].waiters;
}

static void park(struct hbt_reader *r, uint32_t ti, uint32_t ref)
{
	struct rthread *t = &r->th[ti];
	uint32_t *head = wait_head(r, ref);

	t->state = T_PARKED;
	t->wait_on = ref;
	t->park_stamp = r->park_clock++;
	t->link = *head;
	*head = ti;
}

static bool kind_is_lock(uint8_t kind)
{
	switch (kind) {
	case HBT_OBJ_MUTEX:
	case HBT_OBJ_RWLOCK:
	case HBT_OBJ_SPIN:
	case HBT_OBJ_PY_LOCK:
	case HBT_OBJ_PY_RLOCK:
	case HBT_OBJ_PY_COND:
	case HBT_OBJ_AIO_LOCK:
		return true;
	default:
		return false;
	}
}

static bool kind_is_counting(uint8_t kind)
{
	switch (kind) {
	case HBT_OBJ_SEM:
	case HBT_OBJ_PY_SEM:
	case HBT_OBJ_PY_EVENT:
	case HBT_OBJ_PY_QUEUE:
	case HBT_OBJ_PY_FUTURE:
	case HBT_OBJ_AIO_SEM:
	case HBT_OBJ_AIO_EVENT:
	case HBT_OBJ_AIO_COND:
	case HBT_OBJ_AIO_QUEUE:
	case HBT_OBJ_AIO_FUTURE:
	case HBT_OBJ_AIO_HANDOFF:
		return true;
	default:
		return false;
	}
}

/* Objects of the pthread shim, whose address is their identity. */
static bool kind_is_pthread(uint8_t kind)
{
	return kind >= HBT_OBJ_MUTEX && kind <= HBT_OBJ_BARRIER;
}

/* Can an exclusive acquisition 'seq' of 'o' by thread ti go now? */
static inline bool lock_free_for(const struct objstate *o, uint64_t seq,
				 uint8_t op, uint32_t ti)
{
	if (seq && o->last_acq + 1 < seq)
		return false;
	if (op & HBT_OP_RECURSIVE)
		return true;
	if (op & HBT_OP_READ)
		return o->owner == 0 || o->owner == ti + 1;
	return (o->owner == 0 || o->owner == ti + 1) && o->readers == 0;
}

/* MEM_ATOMIC: a store or RMW with release order, whose seq is the
 * location's release count after it (outcome = memory order). */
static inline bool atomic_releases(const struct hbt_event *ev)
{
	return (ev->op == 2 || ev->op == 3) &&
	       (ev->outcome == 3 || ev->outcome == 4 || ev->outcome == 5);
}

/*
 * Check the constraint of t's pending event.  Returns NIL if it may go,
 * else the wait ref of the list to park on.  Allocation failure of object
 * state counts as "may go".
 */
static uint32_t blocked_on(struct hbt_reader *r, uint32_t ti)
{
	struct rthread *t = &r->th[ti];
	const struct hbt_event *ev = &t->pending;
	struct objstate *o;
	struct rthread *other;

	/* the commonest records wait for nothing: a compare each instead
	 * of the switch's indirect jump */
	if (ev->type == HBT_REC_RELEASE || ev->type == HBT_REC_REQUEST)
		return NIL;
	switch (ev->type) {
	case HBT_REC_ACQUIRE:
		if (kind_is_lock(ev->kind)) {
			if (!ev->seq)
				return NIL;
			o = obj_get(r, ev->obj);
			if (o && !lock_free_for(o, ev->seq, ev->op, ti))
				return obj_ref(r, o);
		} else if (kind_is_counting(ev->kind) && ev->seq) {
			o = obj_get(r, ev->obj);
			if (o && o->posts < ev->seq)
				return obj_ref(r, o);
		}
		return NIL;
	case HBT_REC_POST:
		if (ev->seq > 1) {
			o = obj_get(r, ev->obj);
			if (o && o->posts + 1 < ev->seq)
				return obj_ref(r, o);
		}
		return NIL;
	case HBT_REC_COND_WAKE:
		if (ev->seq) {
			o = obj_get(r, ev->obj);
			if (o && o->posts < ev->seq)
				return obj_ref(r, o);
		}
		if (ev->seq2) {
			o = obj_get(r, ev->obj2);
			if (o && !lock_free_for(o, ev->seq2, 0, ti))
				return obj_ref(r, o);
		}
		return NIL;
	case HBT_REC_BARRIER_LEAVE:
		o = obj_get(r, ev->obj);
		if (o && ev->seq && o->count) {
			uint64_t c = o->count;
			uint64_t need = ((ev->seq - 1) / c + 1) * c;

			if (o->arrivals < need)
				return obj_ref(r, o);
		}
		return NIL;
	case HBT_REC_THREAD_START:
		if (!ev->obj)
			return NIL;
		other = thread_by_serial(r, ev->obj);
		if (!other || other == t)
			return NIL;
		if (!t->created)
			return thread_ref(r, t);
		return NIL;
	case HBT_REC_MEM_ATOMIC:
		/* an atomic that observed release count k of its location
		 * comes after the release that made it k (race.c) */
		if (ev->seq) {
			uint64_t need =
				atomic_releases(ev) ? ev->seq - 1 : ev->seq;

			o = obj_get(r, ev->obj);
			if (o && o->posts < need)
				return obj_ref(r, o);
		}
		return NIL;
	case HBT_REC_OBJ_INIT:
		/* memory reused for another thread's object: what ordered
		 * the old object's destroy before this init (malloc's own
		 * lock, usually) is not recorded, so wait for the destroy,
		 * or for the end of the thread that made the old object (it
		 * may have freed it without destroying it) */
		if (!kind_is_pthread(ev->kind))
			return NIL;
		o = obj_get(r, ev->obj);
		if (o && o->live && o->live != ti + 1 &&
		    r->th[o->live - 1].state != T_DONE)
			return obj_ref(r, o);
		return NIL;
	case HBT_REC_JOIN:
		if (!ev->obj || ev->err || ev->outcome != HBT_OUT_OK)
			return NIL;
		other = thread_by_serial(r, ev->obj);
		if (!other || other == t || other->ended_now)
			return NIL;
		return thread_ref(r, other);
	default:
		return NIL;
	}
}

static void release_lock(struct objstate *o, uint32_t ti, uint8_t op,
			 int64_t err)
{
	if (err || (op & HBT_OP_RECURSIVE))
		return;
	if (o->owner == ti + 1)
		o->owner = 0;
	else if (o->readers)
		o->readers--;
	else
		o->owner = 0; /* unlock by a non-owner still unlocks */
}

/* The event of thread ti is handed out: update the merge state. */
static void apply(struct hbt_reader *r, uint32_t ti)
{
	struct rthread *t = &r->th[ti];
	const struct hbt_event *ev = &t->pending;
	struct objstate *o;
	struct rthread *other;

	switch (ev->type) {
	case HBT_REC_ACQUIRE:
		if (!kind_is_lock(ev->kind) && !kind_is_counting(ev->kind))
			break;
		o = obj_get(r, ev->obj);
		if (!o)
			break;
		if (kind_is_lock(ev->kind)) {
			t->pending.objref = obj_ref(r, o) + 1;
			/* seq 1 starts a new incarnation (re-initialized
			 * at the same address); else counters only grow */
			if (ev->seq > o->last_acq || ev->seq == 1)
				o->last_acq = ev->seq;
			/* the last acquirer is the one that may free it
			 * without destroying it and init a new one there */
			if (o->live)
				o->live = ti + 1;
			if (ev->op & HBT_OP_RECURSIVE)
				;
			else if (ev->op & HBT_OP_READ)
				o->readers++;
			else
				o->owner = ti + 1;
		}
		wake_obj(r, o);
		break;
	case HBT_REC_REQUEST:
		/* no merge state changes; numbered for the analyses only */
		if (!kind_is_lock(ev->kind))
			break;
		o = obj_get(r, ev->obj);
		if (o)
			t->pending.objref = obj_ref(r, o) + 1;
		break;
	case HBT_REC_RELEASE:
		if (!kind_is_lock(ev->kind))
			break;
		o = obj_get(r, ev->obj);
		if (!o)
			break;
		t->pending.objref = obj_ref(r, o) + 1;
		release_lock(o, ti, ev->op, ev->err);
		wake_obj(r, o);
		break;
	case HBT_REC_POST:
		o = obj_get(r, ev->obj);
		if (!o)
			break;
		if (ev->seq > o->posts || ev->seq == 1)
			o->posts = ev->seq;
		else if (!ev->seq)
			o->posts++;
		wake_obj(r, o);
		break;
	case HBT_REC_MEM_ATOMIC:
		if (!ev->seq || !atomic_releases(ev))
			break;
		o = obj_get(r, ev->obj);
		if (!o)
			break;
		if (ev->seq > o->posts)
			o->posts = ev->seq;
		wake_obj(r, o);
		break;
	case HBT_REC_COND_WAIT:
		o = obj_get(r, ev->obj2);
		if (!o)
			break;
		release_lock(o, ti, 0, 0);
		wake_obj(r, o);
		break;
	case HBT_REC_COND_WAKE:
		o = obj_get(r, ev->obj2);
		if (!o)
			break;
		if (ev->seq2 > o->last_acq || ev->seq2 == 1)
			o->last_acq = ev->seq2;
		o->owner = ti + 1;
		wake_obj(r, o);
		break;
	case HBT_REC_OBJ_DESTROY:
		if (ev->err || !kind_is_pthread(ev->kind))
			break;
		o = obj_get(r, ev->obj);
		if (!o)
			break;
		o->live = 0;
		wake_obj(r, o);
		break;
	case HBT_REC_OBJ_INIT:
		/* a new object at this address: nobody holds it */
		if (!kind_is_pthread(ev->kind) && !kind_is_lock(ev->kind))
			break;
		o = obj_get(r, ev->obj);
		if (!o)
			break;
		if (kind_is_pthread(ev->kind))
			o->live = ti + 1;
		if (!kind_is_lock(ev->kind) && ev->kind != HBT_OBJ_BARRIER)
			break;
		o->owner = 0;
		o->readers = 0;
		if (ev->kind == HBT_OBJ_BARRIER)
			o->arrivals = 0;
		wake_obj(r, o);
		break;
	case HBT_REC_BARRIER_ARRIVE:
		o = obj_get(r, ev->obj);
		if (!o)
			break;
		o->arrivals++;
		if (ev->arg)
			o->count = ev->arg;
		wake_obj(r, o);
		break;
	case HBT_REC_THREAD_CREATE:
		if (ev->err)
			break;
		other = thread_by_serial(r, ev->obj);
		if (other && !other->created) {
			other->created = true;
			if (other->waiters != NIL)
				wake_list(r, &other->waiters);
		}
		break;
	case HBT_REC_THREAD_START:
		r->info[ti].parent = (uint32_t)ev->obj;
		r->info[ti].tid = (int32_t)ev->arg;
		r->info[ti].pthread = ev->arg2;
		break;
	case HBT_REC_THREAD_END:
		t->ended_now = true;
		r->info[ti].ended = true;
		if (t->waiters != NIL)
			wake_list(r, &t->waiters);
		break;
	}
}

/* A thread parked on the OBJ_INIT rule, which no recorded order backs. */
static bool parked_on_init(const struct rthread *t)
{
	return t->state == T_PARKED && t->have_pending &&
	       t->pending.type == HBT_REC_OBJ_INIT;
}

/*
 * Every live thread is parked: pick the one parked first.  A thread
 * waiting only by the OBJ_INIT rule goes before any other (its old
 * object was freed without a destroy, or the thread that used it last
 * ended after it parked): letting it go breaks no recorded order, so
 * *soft is set and it does not count as a violation.
 */
static uint32_t force_oldest(struct hbt_reader *r, bool *soft)
{
	uint32_t best = NIL, best_init = NIL;

	for (uint32_t i = 0; i < r->nthreads; i++) {
		if (r->th[i].state != T_PARKED)
			continue;
		if (best == NIL || r->th[i].park_stamp < r->th[best].park_stamp)
			best = i;
		if (parked_on_init(&r->th[i]) &&
		    (best_init == NIL ||
		     r->th[i].park_stamp < r->th[best_init].park_stamp))
			best_init = i;
	}
	*soft = best_init != NIL;
	return *soft ? best_init : best;
}

static void unlink_parked(struct hbt_reader *r, uint32_t ti)
{
	uint32_t *p = wait_head(r, r->th[ti].wait_on);

	while (*p != NIL && *p != ti)
		p = &r->th[*p].link;
	if (*p == ti)
		*p = r->th[ti].link;
	r->th[ti].link = NIL;
	r->th[ti].state = T_RUNNING;
}

int hbt_reader_next(struct hbt_reader *r, struct hbt_event *ev)
{
	const struct hbt_event *e;
	int ret = hbt_reader_next_ref(r, &e);

	if (ret > 0)
		*ev = *e;
	return ret;
}

int hbt_reader_next_ref(struct hbt_reader *r, const struct hbt_event **ev)
{
	for (;;) {
		uint32_t ti = r->running;
		struct rthread *t;
		uint32_t wait;
		bool forced = false, soft = false;

		if (ti == NIL) {
			ti = ready_pop(r);
			if (ti == NIL) {
				if (r->nlive)
					ti = force_oldest(r, &soft);
				if (ti == NIL) {
					/* every stream was decoded to its end,
					 * so every definition is loaded */
					r->pass_done = true;
					r->counted = true;
					r->defs_loaded = true;
					return 0;
				}
				unlink_parked(r, ti);
				forced = true;
			}
			r->running = ti;
			r->th[ti].state = T_RUNNING;
		}
		t = &r->th[ti];
		if (!t->have_pending) {
			uint32_t cur = t->cur;
			int ret = cursor_next(r, t);

			if (ret < 0) {
				set_error(r, "out of memory");
				return ret;
			}
			if (ret == 0) {
				t->state = T_DONE;
				r->nlive--;
				r->running = NIL;
				continue;
			}
			t->have_pending = true;
			/* a new chunk: give the other threads a turn */
			if (t->cur != cur && r->ready_head != NIL) {
				ready_push(r, ti);
				r->running = NIL;
				continue;
			}
		}
		if (forced) {
			if (!soft)
				r->violations++;
		} else {
			wait = blocked_on(r, ti);
			if (wait != NIL) {
				park(r, ti, wait);
				r->running = NIL;
				continue;
			}
		}
		apply(r, ti);
		/* the pending slot stays untouched until the next call: the
		 * hot loop reads it in place instead of copying 120 bytes */
		t->have_pending = false;
		t->pending.index = r->next_index++;
		*ev = &t->pending;
		if (!r->counted)
			r->info[ti].nevents++;
		return 1;
	}
}

bool hbt_reader_truncated(const struct hbt_reader *r, const char **why)
{
	const char *w = r->why;

	if (!w && (r->hdr.flags & HBT_HDR_WRITE_ERROR))
		w = "the runtime hit a write error";
	if (!w && !(r->hdr.flags & HBT_HDR_CLEAN_CLOSE))
		w = "the program did not finish the trace (killed, crashed or "
		    "still running)";
	if (why)
		*why = w;
	return w != NULL;
}

uint64_t hbt_reader_order_violations(const struct hbt_reader *r)
{
	return r->violations;
}

/* ---- definition lookups ------------------------------------------------ */

/*
 * Read every chunk once, in file order per thread, loading definitions
 * only.  Lets a consumer (dump, the symbolizer) resolve ids before the
 * merged pass.
 */
/* Decode every chunk of every thread in order, calling fn for each
 * definition record; stops at the first non-zero return. */
static int scan_definitions(struct hbt_reader *r,
			    int (*fn)(void *arg, const struct hbt_event *def),
			    void *arg)
{
	for (uint32_t i = 0; i < r->nthreads; i++) {
		struct rthread *t = &r->th[i];

		for (uint32_t c = 0; c < t->nchunks; c++) {
			const struct chunk_ref *ch = &t->chunks[c];
			const uint8_t *p =
				r->map + ch->off + HBT_CHUNK_HEADER_SIZE;
			const uint8_t *end = r->map + ch->off + ch->len;
			struct hbt_codec_state cs = {0, 0};
			struct hbt_event ev;

			while (p < end) {
				ssize_t n = hbt_decode_record(p, end, &cs, &ev);
				int ret;

				if (n <= 0)
					break;
				p += n;
				if (!hbt_record_is_definition(ev.type))
					continue;
				ev.thread = t->serial;
				ret = fn(arg, &ev);
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

static int load_one(void *arg, const struct hbt_event *def)
{
	return load_definition(arg, def);
}

int hbt_reader_load_definitions(struct hbt_reader *r)
{
	int ret;

	if (r->defs_loaded)
		return 0;
	ret = scan_definitions(r, load_one, r);
	if (ret) {
		set_error(r, "out of memory");
		return ret;
	}
	r->defs_loaded = true;
	return 0;
}

int hbt_reader_each_definition(struct hbt_reader *r,
			       int (*fn)(void *arg,
					 const struct hbt_event *def),
			       void *arg)
{
	return scan_definitions(r, fn, arg);
}

const char *hbt_reader_string(const struct hbt_reader *r, uint32_t id)
{
	uint32_t i = id ? idmap_get(&r->string_ix, id) : NIL;

	return i == NIL ? NULL : r->strings[i];
}

const struct hbt_stack *hbt_reader_stack(const struct hbt_reader *r,
					 uint32_t id)
{
	uint32_t i = id ? idmap_get(&r->stack_ix, id) : NIL;

	return i == NIL ? NULL : &r->stacks[i];
}

const struct hbt_pyframe *hbt_reader_pyframe(const struct hbt_reader *r,
					     uint32_t id)
{
	uint32_t i = id ? idmap_get(&r->pyframe_ix, id) : NIL;

	return i == NIL ? NULL : &r->pyframes[i];
}

const struct hbt_module *hbt_reader_module_for(const struct hbt_reader *r,
					       uint64_t pc)
{
	/* the latest mapping wins: dlopen may reuse an unmapped range */
	for (uint32_t i = r->nmodules; i-- > 0;)
		if (pc >= r->modules[i].start && pc < r->modules[i].end)
			return &r->modules[i];
	return NULL;
}

size_t hbt_reader_modules(const struct hbt_reader *r,
			  const struct hbt_module **out)
{
	*out = r->modules;
	return r->nmodules;
}

size_t hbt_reader_threads(const struct hbt_reader *r,
			  const struct hbt_thread_info **out)
{
	*out = r->info;
	return r->nthreads;
}

const struct hbt_thread_info *hbt_reader_thread(const struct hbt_reader *r,
						uint32_t serial)
{
	uint32_t i = idmap_get(&r->thread_by_serial, serial);

	return i == NIL ? NULL : &r->info[i];
}

uint32_t hbt_reader_obj_name(const struct hbt_reader *r, uint64_t obj)
{
	uint32_t i = idmap_get(&r->objname_ix, obj);

	return i == NIL ? 0 : r->names[i].a;
}

int hbt_reader_task_name(const struct hbt_reader *r, uint64_t task,
			 uint32_t *name, uint32_t *coro)
{
	uint32_t i = idmap_get(&r->taskname_ix, task);

	if (i == NIL) {
		if (name)
			*name = 0;
		if (coro)
			*coro = 0;
		return -ENOENT;
	}
	if (name)
		*name = r->names[i].a;
	if (coro)
		*coro = r->names[i].b;
	return 0;
}
