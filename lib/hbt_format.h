/* SPDX-License-Identifier: MIT */
/*
 * hbt_format.h - the on-disk layout of an hbtrace trace (.hbt).
 *
 * This header is the single source of truth for the format; the prose
 * version is docs/trace-format.md and the two must agree.
 *
 * A trace is one file:
 *
 *   [file header, HBT_HEADER_SIZE bytes]
 *   [chunk][chunk][chunk]...
 *
 * Every chunk starts on a HBT_CHUNK_ALIGN boundary and belongs to exactly
 * one thread of the traced process.  A thread fills its chunks one after the
 * other; chunk_index numbers them per thread, so a reader restores each
 * thread's program order by sorting its chunks by chunk_index.  Chunks of
 * different threads interleave in the file in no particular order.
 *
 * Inside a chunk, records follow each other without padding.  A record
 * starts with one type byte.  Type 0 means "nothing more in this chunk":
 * the runtime writes a record's payload first and its type byte last, so a
 * record cut by kill -9 is never seen.  Unwritten space is zero because the
 * file is extended with fallocate().
 *
 * Multi-byte integers inside records are unsigned LEB128 varints ("uv")
 * unless noted; "sv" is a zigzag-encoded signed varint.  Fixed-size header
 * fields are little-endian.
 *
 * Record types 0x01..0x7f have a layout fixed by the format version: a
 * reader that does not know one must stop (min_reader_version protects it).
 * Record types 0x80..0xff are followed by a uv payload length and may be
 * skipped by readers that do not know them.
 */
#ifndef HBT_FORMAT_H
#define HBT_FORMAT_H

#include <stdint.h>

#define HBT_MAGIC	       "HBTRACE\0" /* 8 bytes at offset 0 */
#define HBT_VERSION	       3
/* 2: LOCK_REPEAT; 3: MUTEX_ACQUIRE, MUTEX_RELEASE, MUTEX_PAIR.  An older
 * reader would stop at them. */
#define HBT_MIN_READER_VERSION 3
#define HBT_HEADER_SIZE	       4096
#define HBT_CHUNK_ALIGN	       4096
#define HBT_CHUNK_MAGIC	       0x4b434248u /* "HBCK" little-endian */
#define HBT_CHUNK_HEADER_SIZE  48

/* Feature bits: what kinds of records this trace may contain. */
enum hbt_feature {
	HBT_FEAT_PTHREAD = 1u << 0, /* pthread / semaphore events */
	HBT_FEAT_STACKS = 1u << 1,  /* native stacks (libunwind) */
	HBT_FEAT_PYTHON = 1u << 2,  /* CPython / asyncio front-end was active */
	HBT_FEAT_MEMORY = 1u << 3,  /* memory accesses (TSan ABI runtime) */
	HBT_FEAT_PYACCESS = 1u << 4, /* Python shared-state accesses */
	HBT_FEAT_IMPORTED = 1u << 5, /* converted from another format */
};

/* hbt_file_header.flags */
enum hbt_header_flag {
	HBT_HDR_CLEAN_CLOSE = 1u << 0, /* runtime finalized the trace at exit */
	HBT_HDR_FORK_CHILD = 1u << 1,  /* process is a fork() child */
	HBT_HDR_EXEC_CHILD = 1u << 2,  /* process image came from exec*() */
	HBT_HDR_WRITE_ERROR = 1u << 3, /* runtime hit a write error (ENOSPC) */
	HBT_HDR_DEADLOCK = 1u << 4,    /* runtime saw a live deadlock */
};

/*
 * The file header: fixed layout, little-endian, HBT_HEADER_SIZE bytes with
 * the tail zero.  'flags' and 'end_offset' are updated in place by the
 * runtime (end_offset at clean close only; a reader never trusts it over
 * the file size).
 */
struct hbt_file_header {
	char magic[8];
	uint16_t version;
	uint16_t min_reader_version;
	uint32_t header_size;
	uint64_t features;
	uint64_t flags;
	uint64_t end_offset;
	int32_t pid;
	int32_t ppid;
	int32_t parent_trace_pid;    /* forking/exec'ing process, 0 if none */
	uint32_t exec_generation;    /* number of exec()s since the root */
	uint64_t start_realtime_ns;  /* CLOCK_REALTIME at start */
	uint64_t start_monotonic_ns; /* CLOCK_MONOTONIC at start */
	uint64_t dropped_events;     /* events lost (at clean close only) */
	char exe[256];		     /* /proc/self/exe, NUL-terminated, cut */
	char cmdline[512];	     /* argv joined by spaces, cut */
	char hostname[64];
	uint8_t reserved[HBT_HEADER_SIZE - 8 - 2 - 2 - 4 - 8 - 8 - 8 - 4 - 4 -
			 4 - 4 - 8 - 8 - 8 - 256 - 512 - 64];
};

_Static_assert(sizeof(struct hbt_file_header) == HBT_HEADER_SIZE,
	       "header size");

/*
 * A chunk header.  'magic' is stored last when a chunk is opened; a chunk
 * whose magic is missing is skipped a HBT_CHUNK_ALIGN step at a time.
 * 'size' includes the header and is a multiple of HBT_CHUNK_ALIGN.
 * 'monotonic_ns' is taken when the chunk is opened: the only clock reads of
 * the pthread runtime, good for placing events on a timeline coarsely.
 */
struct hbt_chunk_header {
	uint32_t magic;
	uint32_t size;
	uint32_t thread;      /* thread serial, 1 = the first thread seen */
	uint32_t chunk_index; /* 0, 1, 2 ... per thread */
	int32_t tid;	      /* kernel thread id */
	uint32_t reserved0;
	uint64_t monotonic_ns;
	uint64_t reserved1[2];
};

_Static_assert(sizeof(struct hbt_chunk_header) == HBT_CHUNK_HEADER_SIZE,
	       "chunk header size");

/*
 * Object kinds: what a synchronization object is.  Stored as one byte.
 */
enum hbt_obj_kind {
	HBT_OBJ_NONE = 0,
	HBT_OBJ_MUTEX = 1,
	HBT_OBJ_RWLOCK = 2,
	HBT_OBJ_SPIN = 3,
	HBT_OBJ_COND = 4,
	HBT_OBJ_SEM = 5, /* unnamed or named POSIX semaphore */
	HBT_OBJ_BARRIER = 6,
	HBT_OBJ_THREAD = 7,
	/* CPython, threading module */
	HBT_OBJ_PY_LOCK = 16, /* threading.Lock / _thread.lock */
	HBT_OBJ_PY_RLOCK = 17,
	HBT_OBJ_PY_COND = 18,
	HBT_OBJ_PY_SEM = 19, /* Semaphore / BoundedSemaphore */
	HBT_OBJ_PY_EVENT = 20,
	HBT_OBJ_PY_QUEUE = 21,	/* queue.Queue and subclasses */
	HBT_OBJ_PY_FUTURE = 22, /* concurrent.futures future, work item */
	/* asyncio */
	HBT_OBJ_AIO_LOCK = 32,
	HBT_OBJ_AIO_SEM = 33,
	HBT_OBJ_AIO_EVENT = 34,
	HBT_OBJ_AIO_COND = 35,
	HBT_OBJ_AIO_QUEUE = 36,
	HBT_OBJ_AIO_FUTURE = 37,  /* a future or task awaited as an object */
	HBT_OBJ_AIO_HANDOFF = 38, /* call_soon_threadsafe & co. */
	/* memory (TSan ABI) */
	HBT_OBJ_ATOMIC = 48, /* an atomic variable used for synchronization */
	HBT_OBJ_KIND_MAX = 63,
};

/* Mutex/rwlock attributes (OBJ_INIT 'attr'), from pthread_mutexattr. */
enum hbt_mutex_type {
	HBT_MUTEX_NORMAL = 0,
	HBT_MUTEX_RECURSIVE = 1,
	HBT_MUTEX_ERRORCHECK = 2,
	HBT_MUTEX_DEFAULT = 3, /* PTHREAD_MUTEX_DEFAULT, or never initialized */
	HBT_MUTEX_ROBUST = 1u << 4,  /* or'ed in */
	HBT_MUTEX_PSHARED = 1u << 5, /* or'ed in */
};

/* Operation flags, one byte in every sync record ("op" below). */
enum hbt_op_flag {
	HBT_OP_READ = 1u << 0,	    /* shared mode (rwlock rdlock) */
	HBT_OP_TRY = 1u << 1,	    /* trylock / trywait / tryjoin */
	HBT_OP_TIMED = 1u << 2,	    /* timed or clock variant */
	HBT_OP_REQUESTED = 1u << 3, /* ACQUIRE: a REQUEST record preceded it */
	HBT_OP_BROADCAST = 1u << 4, /* POST: cond broadcast / Event.set */
	HBT_OP_RECURSIVE = 1u << 5, /* ACQUIRE/RELEASE by the owner, depth>1 */
	HBT_OP_INTERNAL = 1u
			  << 6, /* done by a library the user did not write */
};

/* Outcome of a failed or finished operation (FAIL, JOIN, COND_WAIT_END). */
enum hbt_outcome {
	HBT_OUT_OK = 0,
	HBT_OUT_BUSY = 1, /* EBUSY / EAGAIN from a try variant */
	HBT_OUT_TIMEDOUT = 2,
	HBT_OUT_ERROR = 3,	 /* 'err' carries the errno */
	HBT_OUT_INTERRUPTED = 4, /* EINTR (sem_wait) */
	HBT_OUT_CANCELLED = 5,	 /* asyncio: the waiter was cancelled */
};

/*
 * Record types.  Layouts: fields in order; "obj" is an sv delta against
 * the previous obj of the same chunk (starting at 0 in every chunk),
 * "stack" a uv stack id (0 = none), "op" one byte of hbt_op_flag, "kind"
 * one byte of hbt_obj_kind.
 */
enum hbt_record_type {
	HBT_REC_END = 0x00, /* nothing more in this chunk */

	/* -- definitions: id spaces are per trace; ids start at 1 ------- */
	/* STRING: uv id, uv len, len bytes (UTF-8, no NUL) */
	HBT_REC_STRING = 0x01,
	/* STACK: uv id, uv nframes, nframes x frame.  A frame is a uv; a
	 * native frame is its absolute pc, a Python frame is
	 * (pyframe_id << 1) | 1 with native pcs stored as pc << 1.
	 * Innermost frame first. */
	HBT_REC_STACK = 0x02,
	/* MODULE: uv start, uv end, uv file_offset, uv build_id_len,
	 * build_id bytes, uv path_len, path bytes.  One per executable
	 * mapping, from /proc/self/maps at start and from dlopen. */
	HBT_REC_MODULE = 0x03,
	/* MODULE_UNMAP: uv start, uv end (dlclose) */
	HBT_REC_MODULE_UNMAP = 0x04,
	/* THREAD_NAME: uv thread serial, uv string id */
	HBT_REC_THREAD_NAME = 0x05,
	/* OBJ_NAME: uv obj (absolute), kind, uv string id.  A name a
	 * front-end knows for an object (Python variable, asyncio lock). */
	HBT_REC_OBJ_NAME = 0x06,
	/* PYFRAME: uv id, uv function string id, uv file string id,
	 * uv line, uv first_line */
	HBT_REC_PYFRAME = 0x07,
	/* TASK_NAME: uv task id, uv name string id, uv coro string id */
	HBT_REC_TASK_NAME = 0x08,

	/* -- synchronization objects ----------------------------------- */
	/* OBJ_INIT: obj, kind, uv attr (hbt_mutex_type, sem value, barrier
	 * count), stack */
	HBT_REC_OBJ_INIT = 0x10,
	/* OBJ_DESTROY: obj, kind, uv err (return value of the call), stack */
	HBT_REC_OBJ_DESTROY = 0x11,
	/* REQUEST: obj, kind, op, stack.  The thread is about to block. */
	HBT_REC_REQUEST = 0x12,
	/* ACQUIRE: obj, kind, op, uv seq, stack (0 when op has REQUESTED:
	 * the REQUEST's stack applies).  'seq' orders the object's
	 * acquisitions: for mutex/rwlock/spin/python/asyncio locks it is
	 * the per-object acquisition counter (1, 2, ...), taken while the
	 * lock is held; for a semaphore/event/queue it is the number of
	 * POSTs of that object the acquirer has observed. */
	HBT_REC_ACQUIRE = 0x13,
	/* FAIL: obj, kind, op, outcome byte, uv err, stack */
	HBT_REC_FAIL = 0x14,
	/* RELEASE: obj, kind, op, uv err (0, or the errno the unlock call
	 * returned), stack (0 unless the runtime saw misuse) */
	HBT_REC_RELEASE = 0x15,
	/* POST: obj, kind, op, uv seq, stack.  sem_post, cond signal /
	 * broadcast, Event.set, Queue.put, handoffs: 'seq' is the object's
	 * post counter after this post (1, 2, ...). */
	HBT_REC_POST = 0x16,
	/* COND_WAIT: obj (cond), kind, sv mutex - cond, op, stack.  Begins
	 * a condition wait: the mutex is released. */
	HBT_REC_COND_WAIT = 0x17,
	/* COND_WAKE: obj (cond), kind, sv mutex - cond, op, outcome byte,
	 * uv err,
	 * uv cond_seq (posts observed), uv mutex_seq (the mutex's
	 * acquisition counter after reacquiring it) */
	HBT_REC_COND_WAKE = 0x18,
	/* BARRIER_ARRIVE: obj, uv count (barrier's count), uv arrival (1,
	 * 2, ...: arrival k belongs to generation (k-1)/count), stack */
	HBT_REC_BARRIER_ARRIVE = 0x19,
	/* BARRIER_LEAVE: obj, uv arrival, uv err (0 or
	 * PTHREAD_BARRIER_SERIAL_THREAD marker 1, else errno + 2) */
	HBT_REC_BARRIER_LEAVE = 0x1a,
	/* LOCK_REPEAT: obj, kind, uv seq, stack, then two 4-byte
	 * little-endian counts, acquired and released.  Stands for
	 * 'released' pairs ACQUIRE(obj, kind, op 0, seq + i, stack),
	 * RELEASE(obj, kind, op 0, err 0, stack 0), i = 0, 1, ..., and one
	 * more ACQUIRE when acquired = released + 1 (held when the stream
	 * ends).  The writer updates the counts in place after the record
	 * is published, acquired first, so a stream cut at any moment
	 * still reads exactly the pairs that happened. */
	HBT_REC_LOCK_REPEAT = 0x1b,
	/* The short forms of a plain mutex's records, what most of a
	 * lock-heavy trace is.  MUTEX_ACQUIRE: obj, uv seq, stack; stands
	 * for ACQUIRE(obj, kind mutex, op 0, seq, stack).  MUTEX_RELEASE:
	 * obj; stands for RELEASE(obj, kind mutex, op 0, err 0, stack 0).
	 * MUTEX_PAIR: as MUTEX_ACQUIRE, and stands for that ACQUIRE then
	 * the MUTEX_RELEASE of the same obj: the writer turns a
	 * MUTEX_ACQUIRE into one (its type byte only) when the thread
	 * releases the mutex with nothing recorded in between.  Decoded,
	 * a MUTEX_PAIR is a LOCK_REPEAT of one pair. */
	HBT_REC_MUTEX_ACQUIRE = 0x1c,
	HBT_REC_MUTEX_RELEASE = 0x1d,
	HBT_REC_MUTEX_PAIR = 0x1e,

	/* -- threads and processes ------------------------------------- */
	/* THREAD_START: uv parent serial (0 for the first thread), uv tid,
	 * uv pthread_self.  First record of every thread. */
	HBT_REC_THREAD_START = 0x20,
	/* THREAD_END: uv held (locks still held), op (HBT_OP_* unused, 1 =
	 * left through pthread_exit, 2 = process exit while running) */
	HBT_REC_THREAD_END = 0x21,
	/* THREAD_CREATE: uv child serial, uv err, stack */
	HBT_REC_THREAD_CREATE = 0x22,
	/* JOIN_REQUEST: uv child serial (0 if unknown), op, stack */
	HBT_REC_JOIN_REQUEST = 0x23,
	/* JOIN: uv child serial (0 if unknown), op, outcome byte, uv err */
	HBT_REC_JOIN = 0x24,
	/* DETACH: uv child serial (0 if unknown), uv err, stack */
	HBT_REC_DETACH = 0x25,
	/* FORK: sv result (child pid in the parent, 0 in the child,
	 * -errno on failure), stack */
	HBT_REC_FORK = 0x26,
	/* EXEC: uv err (0 = about to exec, else it failed), uv path len,
	 * path bytes, stack */
	HBT_REC_EXEC = 0x27,
	/* DEADLOCK: uv stuck thread serial, op (1 = part of a live deadlock
	 * cycle found by the runtime's watchdog), uv obj (absolute) it waits
	 * for.  Written by the watchdog into its own chunk, one per thread
	 * of the cycle. */
	HBT_REC_DEADLOCK = 0x28,
	/* TIME: uv monotonic ns since the header's start_monotonic_ns.
	 * Written by front-ends that can afford a clock read. */
	HBT_REC_TIME = 0x29,

	/* -- memory accesses (TSan ABI runtime) ------------------------ */
	/* MEM_READ/MEM_WRITE: sv addr delta (against the previous access of
	 * the chunk), uv size, uv stack.  Low bit of type = write. */
	HBT_REC_MEM_READ = 0x40,
	HBT_REC_MEM_WRITE = 0x41,
	/* MEM_ATOMIC: sv addr delta, uv size, op byte (1 load, 2 store, 3
	 * rmw, 4 fence), order byte (C11 memory_order), uv seq (store/rmw:
	 * the location's release counter after it; load: counter observed),
	 * uv stack */
	HBT_REC_MEM_ATOMIC = 0x42,
	/* MEM_RANGE: like READ/WRITE for ranges: sv addr delta, uv size,
	 * op byte (0 read, 1 write), uv stack */
	HBT_REC_MEM_RANGE = 0x43,
	/* ALLOC: uv addr, uv size, stack.  FREE: uv addr, stack */
	HBT_REC_ALLOC = 0x44,
	HBT_REC_FREE = 0x45,

	/* -- CPython / asyncio ----------------------------------------- */
	/* TASK_CREATE: uv task id, uv parent task id (0 = none), uv loop
	 * id, stack */
	HBT_REC_TASK_CREATE = 0x60,
	/* TASK_STEP: uv task id, uv monotonic ns since start_monotonic_ns:
	 * the task starts running a step on this thread */
	HBT_REC_TASK_STEP = 0x61,
	/* TASK_SUSPEND: uv task id, uv awaited object id (0 = yield/sleep),
	 * kind of the awaited object, uv monotonic ns, stack (where it
	 * awaits) */
	HBT_REC_TASK_SUSPEND = 0x62,
	/* TASK_DONE: uv task id, outcome byte (0 result, 3 exception, 5
	 * cancelled), uv exception type string id */
	HBT_REC_TASK_DONE = 0x63,
	/* TASK_AWAIT: uv awaiter task id (0 = the loop's caller), uv awaited
	 * task id, op (1 = gather/wait/TaskGroup, 2 = shield, 4 = wait_for),
	 * stack */
	HBT_REC_TASK_AWAIT = 0x64,
	/* TASK_RESULT_TAKEN: uv task id (result or exception retrieved) */
	HBT_REC_TASK_RESULT_TAKEN = 0x65,
	/* TASK_LEFT: uv task id, byte (1 pending at loop close, 2 pending
	 * at exit, 3 destroyed while pending, 4 exception never retrieved,
	 * 5 coroutine never awaited: then the id is a coroutine id),
	 * stack */
	HBT_REC_TASK_LEFT = 0x66,
	/* PY_ACCESS: op byte (1 read, 2 write, 3 container mutation, 4
	 * read-then-write in one bytecode), target byte (1 global, 2
	 * attribute, 3 item, 4 container), uv object id, uv name string
	 * id, uv task id (0 = none), stack.  Decoded as op, outcome, obj,
	 * arg, obj2, stack. */
	HBT_REC_PY_ACCESS = 0x67,
	/* LOOP_STALL: uv task id (0 = a plain callback), uv duration ns,
	 * stack (where the step suspended or ended) */
	HBT_REC_LOOP_STALL = 0x68,

	/* -- extensible records: type, uv length, payload ---------------- */
	HBT_REC_EXT_FIRST = 0x80,
	/* NOTE: uv length, uv string id of a "key=value" note */
	HBT_REC_NOTE = 0x80,
	/* STACK_FRAME (TSan ABI runtime): uv length, uv sp, uv stack.  A
	 * frame of the writing thread's stack that a recorded access fell
	 * in: sp is the function's stack pointer after its prologue (at its
	 * call of __tsan_func_entry), the stack's first frame the return
	 * address of that call (inside the function), then its callers.
	 * Lets a reader name stack variables from DWARF.  Decoded as obj =
	 * sp, stack. */
	HBT_REC_STACK_FRAME = 0x81,
};

/* Python frame tagging inside STACK records. */
#define HBT_FRAME_IS_PY(f)     ((f)&1)
#define HBT_FRAME_PY_ID(f)     ((f) >> 1)
#define HBT_FRAME_NATIVE_PC(f) ((f) >> 1)
#define HBT_FRAME_FROM_PC(pc)  ((uint64_t)(pc) << 1)
#define HBT_FRAME_FROM_PY(id)  (((uint64_t)(id) << 1) | 1)

/* Limits that bound a reader against hostile input. */
#define HBT_MAX_STACK_FRAMES 256
#define HBT_MAX_STRING_LEN   (1u << 20)
#define HBT_MAX_CHUNK_SIZE   (64u << 20)

#endif /* HBT_FORMAT_H */
