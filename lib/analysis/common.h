/* SPDX-License-Identifier: MIT */
/*
 * common.h - helpers shared by the analyses in lib/analysis/: a hash map
 * from 64-bit keys (object addresses, actor keys) to dense indexes, and
 * the naming of locks, threads and tasks when findings are built.
 */
#ifndef HBT_ANALYSIS_COMMON_H
#define HBT_ANALYSIS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "findings.h"
#include "hbt_reader.h"

/*
 * Open-addressing map uint64 key -> uint32 value.  Key 0 is allowed (kept
 * aside).  Grows at 1/2 load; lookups are O(1) amortized, no allocation
 * except when growing.
 */
struct u64map {
	uint64_t *keys;
	uint32_t *vals;
	uint32_t cap; /* power of two, 0 = empty */
	uint32_t n;
	bool has_zero;
	uint32_t zero_val;
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
static inline uint32_t u64map_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

/* Pointer to the value of 'key', or NULL if absent.  Inline: it is on the
 * per-event path of every analysis. */
static inline uint32_t *u64map_find(const struct u64map *m, uint64_t key)
{
	uint32_t i, mask;

	if (!key)
		return m->has_zero ? (uint32_t *)&m->zero_val : NULL;
	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = u64map_hash(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key)
			return &m->vals[i];
		if (!m->keys[i])
			return NULL;
	}
}
/* Insert 'key' with 'val' if absent; returns the value slot (existing or
 * new), NULL on ENOMEM.  *created tells which. */
uint32_t *u64map_put(struct u64map *m, uint64_t key, uint32_t val,
		     bool *created);

/*
 * The reader's dense object numbers (hbt_event.objref) -> an analysis's
 * own index + 1 (0 = not seen yet): an array look-up instead of a hash
 * probe for the objects the merge numbered.
 */
struct an_refmap {
	uint32_t *ix;
	uint32_t cap;
};

static inline uint32_t an_ref_get(const struct an_refmap *m, uint32_t ref)
{
	return ref && ref <= m->cap ? m->ix[ref - 1] : 0;
}
/* Remember ref -> idx; out of memory only costs the fast path. */
void an_ref_set(struct an_refmap *m, uint32_t ref, uint32_t idx);
void an_refmap_free(struct an_refmap *m);

/* Grow a malloc'ed array to hold at least 'need' elements of 'size'
 * bytes, zeroing the new room; 0 or -ENOMEM.  Doubles, so appends are
 * O(1) amortized. */
int an_grow_slow(void **arr, uint32_t *cap, uint32_t need, size_t size);
static inline int an_grow(void **arr, uint32_t *cap, uint32_t need, size_t size)
{
	return need <= *cap ? 0 : an_grow_slow(arr, cap, need, size);
}

/*
 * Find or append the element of a malloc'ed array that 'map' indexes by
 * 'key'.  The array grows before the map learns the key, so a failed
 * allocation never leaves the map pointing past the array.  A new element
 * is zeroed and *created set.  Returns its index, or -ENOMEM.
 */
int64_t an_intern(struct u64map *map, uint64_t key, void **arr, uint32_t *n,
		  uint32_t *cap, size_t size, bool *created);

/*
 * Actors: who holds and waits for locks.  A thread, or an asyncio task
 * while it runs on a thread (and while it is suspended: a task's locks
 * stay held across its awaits).  The key packs both: tasks have the top
 * bit set.
 */
#define AN_TASK_BIT (1ull << 63)

/*
 * Thread serials index arrays and vector clocks: a hostile or corrupt
 * trace could name serial 4 billion.  Events of threads past this bound
 * are ignored by the analyses (no real process gets near it).
 */
#define AN_MAX_SERIAL 65536u
static inline bool an_serial_ok(uint64_t serial)
{
	return serial <= AN_MAX_SERIAL;
}
static inline uint64_t an_actor_key(uint32_t thread, uint64_t task)
{
	return task ? (task | AN_TASK_BIT) : thread;
}

/*
 * Tracks which task runs on which thread (TASK_STEP .. TASK_SUSPEND /
 * TASK_DONE) so an analysis can tell the actor of an event.
 */
struct an_tasks {
	uint64_t *running; /* by thread serial: task id, 0 = none */
	uint32_t cap;
};

void an_tasks_free(struct an_tasks *t);
/* Feed an event; returns the actor key of the event's thread after it. */
void an_tasks_event(struct an_tasks *t, const struct hbt_event *ev);
static inline uint64_t an_task_of(const struct an_tasks *t, uint32_t thread)
{
	return thread < t->cap ? t->running[thread] : 0;
}

/* Is this kind a lock (mutual exclusion with an owner)?  Inline: asked
 * for every event. */
static inline bool an_kind_is_lock(uint8_t kind)
{
	return kind < 64 &&
	       ((1ull << kind) &
		((1ull << HBT_OBJ_MUTEX) | (1ull << HBT_OBJ_RWLOCK) |
		 (1ull << HBT_OBJ_SPIN) | (1ull << HBT_OBJ_PY_LOCK) |
		 (1ull << HBT_OBJ_PY_RLOCK) | (1ull << HBT_OBJ_AIO_LOCK)));
}
/* "pthread_mutex", "pthread_rwlock", "threading.Lock", "asyncio.Lock"... */
const char *an_kind_type(uint8_t kind);

/*
 * Name of a lock as a reader recognises it (malloc'ed, never NULL unless
 * out of memory): the OBJ_NAME of a front-end, else the symbol of a
 * static object, else "mutex created at f (x.c:12)" from 'site_stack'
 * (the OBJ_INIT stack, or its first acquisition), else "mutex 0x1234".
 */
char *an_lock_name(struct analysis_ctx *ctx, uint64_t obj, uint8_t kind,
		   uint32_t site_stack);

/* "T3" for thread serial 3 (malloc'ed). */
char *an_thread_id(uint32_t serial);
/* The name of an asyncio task ("Task-2"), malloc'ed, or NULL. */
char *an_task_name(struct analysis_ctx *ctx, uint64_t task);

/* Add a finding_thread for a thread (and task) unless already there. */
int an_add_thread(struct finding *f, struct analysis_ctx *ctx, uint32_t serial,
		  uint64_t task);
/*
 * Make equal names distinct ("mutex created at f (x.c:3) #1", "... #2"):
 * heap locks from one creation site share a name.  Names are replaced in
 * place (malloc'ed); 0 or -ENOMEM.
 */
int an_number_duplicates(char **names, size_t n);
/* Add a lock named 'name' (copied) unless already there (by address). */
int an_add_lock_named(struct finding *f, uint64_t obj, uint8_t kind,
		      const char *name);
/* Add a lock to f->locks unless already there (by address). */
int an_add_lock(struct finding *f, struct analysis_ctx *ctx, uint64_t obj,
		uint8_t kind, uint32_t site_stack);
/* Append a step with its symbolized stack.  'action' is copied. */
int an_add_step(struct finding *f, struct analysis_ctx *ctx, uint32_t serial,
		uint64_t task, const char *action, uint32_t stack);

/* Finish a finding (id, trace, pid) and hand it to ctx->out; frees it on
 * failure.  Returns 0 or -ENOMEM. */
int an_emit(struct analysis_ctx *ctx, struct finding *f);

#endif /* HBT_ANALYSIS_COMMON_H */
