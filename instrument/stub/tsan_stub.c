// SPDX-License-Identifier: MIT
/*
 * tsan_stub.c - build/libhbtrace-tsan.so, the runtime every `hbtrace cc`
 * binary is linked against instead of libtsan.  It performs the atomics
 * and records nothing, so the binary runs normally on its own; under
 * `hbtrace run`, LD_PRELOAD puts libhbtrace.so and its recording
 * __tsan_* functions in front of these.
 *
 * Built by its own Makefile rule, never into libhbtrace.so.
 */
#define TSAN_HOOK_ACCESS(addr, size, is_write, pc)	 ((void)(addr))
#define TSAN_HOOK_RANGE(addr, size, is_write, pc)	 ((void)(addr))
#define TSAN_HOOK_ATOMIC_TICKET(addr, mo)		 ((void)(addr), (uint64_t)0)
#define TSAN_HOOK_ATOMIC(addr, size, op, mo, pc, ticket) ((void)(ticket))
#define TSAN_HOOK_FUNC_ENTRY(pc)			 ((void)(pc))
#define TSAN_HOOK_FUNC_EXIT()				 ((void)0)
#define TSAN_HOOK_INIT()				 ((void)0)
#define TSAN_HOOK_IGNORE(delta)				 ((void)0)

#include "../tsan_abi.h"
