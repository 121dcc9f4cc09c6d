// SPDX-License-Identifier: MIT
/*
 * tsan_malloc.c - allocator and mem* wrappers for the TSan ABI front-end.
 *
 * ALLOC/FREE records let the analysis forget the accesses to a block when
 * it is freed, so an address reused by a later allocation never shows up
 * as a race with the block that was there before.  They are written only
 * once __tsan_init ran (instrumented code is present): a plain pthread
 * program pays one branch per call and nothing else.
 *
 * clang turns memcpy/memset/memmove intrinsics of instrumented code into
 * plain calls and expects the runtime to intercept them (gcc emits
 * __tsan_read_range/__tsan_write_range or per-access calls instead);
 * they are recorded as MEM_RANGE.
 *
 * The real functions come from dlsym(RTLD_NEXT) on first use.  dlsym may
 * itself allocate: while it runs, allocations are served from a small
 * static buffer that is never freed (free() recognises and ignores it),
 * and mem* calls use byte loops.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "tsan_rt.h"

#define TSAN_BOOT_SIZE 16384

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_memcpy)(void *, const void *, size_t);
static void *(*real_memmove)(void *, const void *, size_t);
static void *(*real_memset)(void *, int, size_t);

static _Alignas(16) char tsan_boot[TSAN_BOOT_SIZE];
static size_t tsan_boot_used;
static int tsan_resolving;

static void *tsan_boot_alloc(size_t n)
{
	size_t start = (__atomic_fetch_add(&tsan_boot_used, (n + 15) & ~15ul,
					   __ATOMIC_RELAXED));

	if (start + n > TSAN_BOOT_SIZE)
		return NULL;
	return tsan_boot + start; /* static storage: already zero */
}

static int tsan_is_boot(const void *p)
{
	return (const char *)p >= tsan_boot &&
	       (const char *)p < tsan_boot + TSAN_BOOT_SIZE;
}

static void tsan_resolve(void)
{
	tsan_resolving = 1;
	real_memcpy = dlsym(RTLD_NEXT, "memcpy");
	real_memmove = dlsym(RTLD_NEXT, "memmove");
	real_memset = dlsym(RTLD_NEXT, "memset");
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_free = dlsym(RTLD_NEXT, "free");
	real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real_memalign = dlsym(RTLD_NEXT, "memalign");
	__atomic_store_n(&real_malloc, dlsym(RTLD_NEXT, "malloc"),
			 __ATOMIC_RELEASE);
	tsan_resolving = 0;
}

/* 0 = real functions usable; -1 = we are inside dlsym (use fallbacks). */
static inline int tsan_ready(void)
{
	if (RT_LIKELY(__atomic_load_n(&real_malloc, __ATOMIC_ACQUIRE) != NULL))
		return 0;
	if (tsan_resolving)
		return -1;
	tsan_resolve();
	return real_malloc ? 0 : -1;
}

static void tsan_record_block(int type, void *p, size_t n, uint64_t pc)
{
	struct hbt_event ev;
	struct rt_thread *t;
	int saved;

	if (!rt_active || rt_own_call())
		return;
	t = rt_enter(&saved);
	if (!t)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = (uint8_t)type;
	ev.obj = (uint64_t)(uintptr_t)p;
	ev.arg = n;
	ev.stack = tsan_stack_at(t, pc);
	tsan_emit_event(t, &ev);
	rt_leave(t, saved);
}

#define TSAN_CALLER() ((uint64_t)(uintptr_t)__builtin_return_address(0))
#define TSAN_ALLOCED(p, n)                                                     \
	do {                                                                   \
		if (RT_UNLIKELY(tsan_enabled) && (p))                          \
			tsan_record_block(HBT_REC_ALLOC, p, n, TSAN_CALLER()); \
	} while (0)

void *malloc(size_t n)
{
	void *p;

	if (RT_UNLIKELY(tsan_ready() < 0))
		return tsan_boot_alloc(n);
	p = real_malloc(n);
	TSAN_ALLOCED(p, n);
	return p;
}

void *calloc(size_t nmemb, size_t size)
{
	void *p;

	if (RT_UNLIKELY(tsan_ready() < 0 || !real_calloc)) {
		if (size && nmemb > (size_t)-1 / size)
			return NULL;
		return tsan_boot_alloc(nmemb * size);
	}
	p = real_calloc(nmemb, size);
	TSAN_ALLOCED(p, nmemb * size);
	return p;
}

void free(void *p)
{
	if (!p || tsan_is_boot(p))
		return;
	if (RT_UNLIKELY(tsan_ready() < 0))
		return; /* cannot happen: only boot blocks exist yet */
	if (RT_UNLIKELY(tsan_enabled))
		tsan_record_block(HBT_REC_FREE, p, 0, TSAN_CALLER());
	real_free(p);
}

void *realloc(void *old, size_t n)
{
	void *p;

	if (RT_UNLIKELY(tsan_ready() < 0 || tsan_is_boot(old))) {
		/* a boot block grows by copying into a new one */
		p = tsan_ready() < 0 ? tsan_boot_alloc(n) : malloc(n);
		if (p && old) {
			size_t room = (size_t)(tsan_boot + TSAN_BOOT_SIZE -
					       (char *)old);
			size_t len = n < room ? n : room;

			for (size_t i = 0; i < len; i++)
				((volatile char *)p)[i] = ((char *)old)[i];
		}
		return p;
	}
	if (RT_UNLIKELY(tsan_enabled) && old)
		tsan_record_block(HBT_REC_FREE, old, 0, TSAN_CALLER());
	p = real_realloc(old, n);
	TSAN_ALLOCED(p, n);
	return p;
}

int posix_memalign(void **out, size_t align, size_t n)
{
	int err;

	if (RT_UNLIKELY(tsan_ready() < 0 || !real_posix_memalign))
		return ENOMEM;
	err = real_posix_memalign(out, align, n);
	if (err == 0)
		TSAN_ALLOCED(*out, n);
	return err;
}

void *aligned_alloc(size_t align, size_t n)
{
	void *p;

	if (RT_UNLIKELY(tsan_ready() < 0 || !real_aligned_alloc))
		return NULL;
	p = real_aligned_alloc(align, n);
	TSAN_ALLOCED(p, n);
	return p;
}

void *memalign(size_t align, size_t n)
{
	void *p;

	if (RT_UNLIKELY(tsan_ready() < 0 || !real_memalign))
		return NULL;
	p = real_memalign(align, n);
	TSAN_ALLOCED(p, n);
	return p;
}

/* ---- mem* ---------------------------------------------------------------
 * The fallbacks use volatile byte loops so the compiler cannot turn them
 * back into calls of the functions being defined. */

void *memcpy(void *dst, const void *src, size_t n)
{
	if (RT_UNLIKELY(tsan_ready() < 0 || !real_memcpy)) {
		for (size_t i = 0; i < n; i++)
			((volatile char *)dst)[i] = ((const char *)src)[i];
		return dst;
	}
	real_memcpy(dst, src, n);
	if (RT_UNLIKELY(tsan_enabled)) {
		tsan_record_range(src, n, 0, TSAN_CALLER());
		tsan_record_range(dst, n, 1, TSAN_CALLER());
	}
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	if (RT_UNLIKELY(tsan_ready() < 0 || !real_memmove)) {
		if ((char *)dst < (const char *)src)
			for (size_t i = 0; i < n; i++)
				((volatile char *)dst)[i] =
					((const char *)src)[i];
		else
			for (size_t i = n; i > 0; i--)
				((volatile char *)dst)[i - 1] =
					((const char *)src)[i - 1];
		return dst;
	}
	real_memmove(dst, src, n);
	if (RT_UNLIKELY(tsan_enabled)) {
		tsan_record_range(src, n, 0, TSAN_CALLER());
		tsan_record_range(dst, n, 1, TSAN_CALLER());
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	if (RT_UNLIKELY(tsan_ready() < 0 || !real_memset)) {
		for (size_t i = 0; i < n; i++)
			((volatile char *)dst)[i] = (char)c;
		return dst;
	}
	real_memset(dst, c, n);
	if (RT_UNLIKELY(tsan_enabled))
		tsan_record_range(dst, n, 1, TSAN_CALLER());
	return dst;
}
