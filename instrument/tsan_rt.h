/* SPDX-License-Identifier: MIT */
/*
 * tsan_rt.h - what the TSan ABI front-end (tsan_rt.c) shares with its
 * allocator and mem* wrappers (tsan_malloc.c).
 */
#ifndef HBT_TSAN_RT_H
#define HBT_TSAN_RT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t in hbt_codec.h */

#include "rt.h"

/*
 * Set by __tsan_init: instrumented code is in the process.  Until then
 * the allocator and mem* wrappers only call through, so a program
 * without instrumentation pays one predictable branch for them.
 */
RT_HIDDEN extern int tsan_enabled;

/* Stack id for an event at 'pc' (a return address in the caller of the
 * wrapper) from the calling thread's shadow call stack. */
uint32_t tsan_stack_at(struct rt_thread *t, uint64_t pc) RT_HIDDEN;

/* rt_emit() for records that are not synchronization (ALLOC, FREE):
 * they do not end the access filter's epoch. */
void tsan_emit_event(struct rt_thread *t, const struct hbt_event *ev) RT_HIDDEN;

/* Record a range access (memset/memcpy/memmove from instrumented code). */
void tsan_record_range(const void *addr, size_t size, int is_write,
		       uint64_t pc) RT_HIDDEN;

#endif /* HBT_TSAN_RT_H */
