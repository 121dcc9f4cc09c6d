/* SPDX-License-Identifier: MIT */
/*
 * tsan_abi.h - the __tsan_* entry points that gcc 12 and clang 14 emit
 * for -fsanitize=thread, generated once for two runtimes:
 *
 *  - instrument/stub/tsan_stub.c (build/libhbtrace-tsan.so), linked into
 *    every `hbtrace cc` binary so it runs on its own: atomics are
 *    performed, nothing is recorded;
 *  - instrument/tsan_rt.c inside build/libhbtrace.so, which LD_PRELOAD
 *    puts in front of the stub: the same atomics plus recording.
 *
 * The includer defines, before including this file:
 *   TSAN_HOOK_ACCESS(addr, size, is_write, pc)
 *   TSAN_HOOK_RANGE(addr, size, is_write, pc)
 *   TSAN_HOOK_ATOMIC_TICKET(addr, mo)  before a store or unconditional
 *     read-modify-write: returns the location's release count it makes
 *     (0 = none), so that a load seeing the new value never sees an
 *     older count
 *   TSAN_HOOK_ATOMIC(addr, size, op, mo, pc, ticket)  after the op
 *     (op: TSAN_OP_*, ticket: from above, 0 for loads and CAS)
 *   TSAN_HOOK_FUNC_ENTRY(pc), TSAN_HOOK_FUNC_EXIT(), TSAN_HOOK_INIT()
 *   TSAN_HOOK_IGNORE(delta)  __tsan_ignore_thread_begin (+1) / end (-1)
 * and gets every entry point defined with default visibility.
 *
 * Memory orders follow the C11 numbering (0 relaxed .. 5 seq_cst); gcc
 * may or in HLE bits above bit 15, which are dropped.  The operations
 * themselves always run seq_cst: stronger than asked is always correct
 * and keeps the builtins' order argument a constant.
 */
#ifndef HBT_TSAN_ABI_H
#define HBT_TSAN_ABI_H

#include <stdint.h>

/* MEM_ATOMIC op byte (hbt_format.h) */
#ifndef TSAN_OP_LOAD
#define TSAN_OP_LOAD  1
#define TSAN_OP_STORE 2
#define TSAN_OP_RMW   3
#define TSAN_OP_FENCE 4
#endif

#define TSAN_API  __attribute__((visibility("default")))
#define TSAN_PC() __builtin_return_address(0)

static inline int tsan_mo(int mo)
{
	mo &= 0xffff;
	return mo > 5 ? 5 : mo;
}

typedef uint8_t tsan_a8;
typedef uint16_t tsan_a16;
typedef uint32_t tsan_a32;
typedef uint64_t tsan_a64;
typedef unsigned __int128 tsan_a128;

/* ---- plain accesses --------------------------------------------------- */

#define TSAN_DEF_ACCESS(name, size, is_write)                      \
	TSAN_API void __tsan_##name(void *addr);                   \
	TSAN_API void __tsan_##name(void *addr)                    \
	{                                                          \
		TSAN_HOOK_ACCESS(addr, size, is_write, TSAN_PC()); \
	}

#define TSAN_DEF_ACCESSES(size)                         \
	TSAN_DEF_ACCESS(read##size, size, 0)            \
	TSAN_DEF_ACCESS(write##size, size, 1)           \
	TSAN_DEF_ACCESS(unaligned_read##size, size, 0)  \
	TSAN_DEF_ACCESS(unaligned_write##size, size, 1) \
	TSAN_DEF_ACCESS(volatile_read##size, size, 0)   \
	TSAN_DEF_ACCESS(volatile_write##size, size, 1)

TSAN_DEF_ACCESS(read1, 1, 0)
TSAN_DEF_ACCESS(write1, 1, 1)
TSAN_DEF_ACCESS(volatile_read1, 1, 0)
TSAN_DEF_ACCESS(volatile_write1, 1, 1)
TSAN_DEF_ACCESSES(2)
TSAN_DEF_ACCESSES(4)
TSAN_DEF_ACCESSES(8)
TSAN_DEF_ACCESSES(16)

TSAN_API void __tsan_read_range(void *addr, unsigned long size);
TSAN_API void __tsan_read_range(void *addr, unsigned long size)
{
	TSAN_HOOK_RANGE(addr, size, 0, TSAN_PC());
}

TSAN_API void __tsan_write_range(void *addr, unsigned long size);
TSAN_API void __tsan_write_range(void *addr, unsigned long size)
{
	TSAN_HOOK_RANGE(addr, size, 1, TSAN_PC());
}

/* C++ virtual table pointers: an update is a write, a read a read. */
TSAN_API void __tsan_vptr_update(void **vptr_p, void *new_val);
TSAN_API void __tsan_vptr_update(void **vptr_p, void *new_val)
{
	/* Constructors rewrite the vptr with the same value: not a write
	 * that can race (ThreadSanitizer skips it too). */
	if (*vptr_p != new_val)
		TSAN_HOOK_ACCESS(vptr_p, sizeof(void *), 1, TSAN_PC());
}

TSAN_API void __tsan_vptr_read(void **vptr_p);
TSAN_API void __tsan_vptr_read(void **vptr_p)
{
	TSAN_HOOK_ACCESS(vptr_p, sizeof(void *), 0, TSAN_PC());
}

TSAN_API void __tsan_func_entry(void *call_pc);
TSAN_API void __tsan_func_entry(void *call_pc)
{
	TSAN_HOOK_FUNC_ENTRY(call_pc);
}

TSAN_API void __tsan_func_exit(void);
TSAN_API void __tsan_func_exit(void)
{
	TSAN_HOOK_FUNC_EXIT();
}

TSAN_API void __tsan_init(void);
TSAN_API void __tsan_init(void)
{
	TSAN_HOOK_INIT();
}

/*
 * Annotations from <sanitizer/tsan_interface.h> that programs call by
 * hand: a release/acquire pair on an address is recorded as a releasing
 * read-modify-write and an acquiring load of it; ignored regions are not
 * recorded.
 */
TSAN_API void __tsan_release(void *addr);
TSAN_API void __tsan_release(void *addr)
{
	uint64_t ticket = TSAN_HOOK_ATOMIC_TICKET(addr, 4);

	TSAN_HOOK_ATOMIC(addr, 1, TSAN_OP_RMW, 4, TSAN_PC(), ticket);
}

TSAN_API void __tsan_acquire(void *addr);
TSAN_API void __tsan_acquire(void *addr)
{
	TSAN_HOOK_ATOMIC(addr, 1, TSAN_OP_LOAD, 2, TSAN_PC(), 0);
}

TSAN_API void __tsan_ignore_thread_begin(void);
TSAN_API void __tsan_ignore_thread_begin(void)
{
	TSAN_HOOK_IGNORE(1);
}

TSAN_API void __tsan_ignore_thread_end(void);
TSAN_API void __tsan_ignore_thread_end(void)
{
	TSAN_HOOK_IGNORE(-1);
}

/* ---- atomics ---------------------------------------------------------- */

/*
 * 128-bit atomics would need libatomic or cmpxchg16b; a small table of
 * spinlocks keyed by address is enough (every atomic access of such a
 * location goes through here) and ThreadSanitizer does the same.
 */
static volatile int tsan_lock128[64];

static inline volatile int *tsan_lock_for(const volatile void *a)
{
	return &tsan_lock128[((uintptr_t)a >> 4) & 63];
}

static inline void tsan_lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void tsan_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#define TSAN_SC __ATOMIC_SEQ_CST

/* Operations on sizes the hardware does natively. */
#define TSAN_NAT_LOAD(a)     __atomic_load_n(a, TSAN_SC)
#define TSAN_NAT_STORE(a, v) __atomic_store_n(a, v, TSAN_SC)
#define TSAN_NAT_XCHG(a, v)  __atomic_exchange_n(a, v, TSAN_SC)
#define TSAN_NAT_ADD(a, v)   __atomic_fetch_add(a, v, TSAN_SC)
#define TSAN_NAT_SUB(a, v)   __atomic_fetch_sub(a, v, TSAN_SC)
#define TSAN_NAT_AND(a, v)   __atomic_fetch_and(a, v, TSAN_SC)
#define TSAN_NAT_OR(a, v)    __atomic_fetch_or(a, v, TSAN_SC)
#define TSAN_NAT_XOR(a, v)   __atomic_fetch_xor(a, v, TSAN_SC)
#define TSAN_NAT_NAND(a, v)  __atomic_fetch_nand(a, v, TSAN_SC)
#define TSAN_NAT_CAS(a, c, v, weak) \
	__atomic_compare_exchange_n(a, c, v, weak, TSAN_SC, TSAN_SC)

#define TSAN_DEF_RMW(bits, name, NATOP, expr)                              \
	TSAN_API tsan_a##bits __tsan_atomic##bits##_##name(                \
		volatile tsan_a##bits *a, tsan_a##bits v, int mo);         \
	TSAN_API tsan_a##bits __tsan_atomic##bits##_##name(                \
		volatile tsan_a##bits *a, tsan_a##bits v, int mo)          \
	{                                                                  \
		tsan_a##bits old;                                          \
		uint64_t ticket = TSAN_HOOK_ATOMIC_TICKET(a, tsan_mo(mo)); \
		if (bits == 128) {                                         \
			volatile int *l = tsan_lock_for(a);                \
			tsan_lock(l);                                      \
			old = *a;                                          \
			*a = (expr);                                       \
			tsan_unlock(l);                                    \
		} else {                                                   \
			old = NATOP(a, v);                                 \
		}                                                          \
		TSAN_HOOK_ATOMIC(a, bits / 8, TSAN_OP_RMW, tsan_mo(mo),    \
				 TSAN_PC(), ticket);                       \
		return old;                                                \
	}

/* For 128 bits the native branch is dead code that must still compile
 * without libatomic: the TSAN_*128 macros below make it trivial. */
#define TSAN_DEF_SIZE(bits)                                                    \
	TSAN_API tsan_a##bits __tsan_atomic##bits##_load(                      \
		const volatile tsan_a##bits *a, int mo);                       \
	TSAN_API tsan_a##bits __tsan_atomic##bits##_load(                      \
		const volatile tsan_a##bits *a, int mo)                        \
	{                                                                      \
		tsan_a##bits v;                                                \
		if (bits == 128) {                                             \
			volatile int *l = tsan_lock_for(a);                    \
			tsan_lock(l);                                          \
			v = *a;                                                \
			tsan_unlock(l);                                        \
		} else {                                                       \
			v = TSAN_LOAD##bits(a);                                \
		}                                                              \
		TSAN_HOOK_ATOMIC(a, bits / 8, TSAN_OP_LOAD, tsan_mo(mo),       \
				 TSAN_PC(), 0);                                \
		return v;                                                      \
	}                                                                      \
	TSAN_API void __tsan_atomic##bits##_store(volatile tsan_a##bits *a,    \
						  tsan_a##bits v, int mo);     \
	TSAN_API void __tsan_atomic##bits##_store(volatile tsan_a##bits *a,    \
						  tsan_a##bits v, int mo)      \
	{                                                                      \
		uint64_t ticket = TSAN_HOOK_ATOMIC_TICKET(a, tsan_mo(mo));     \
		if (bits == 128) {                                             \
			volatile int *l = tsan_lock_for(a);                    \
			tsan_lock(l);                                          \
			*a = v;                                                \
			tsan_unlock(l);                                        \
		} else {                                                       \
			TSAN_STORE##bits(a, v);                                \
		}                                                              \
		TSAN_HOOK_ATOMIC(a, bits / 8, TSAN_OP_STORE, tsan_mo(mo),      \
				 TSAN_PC(), ticket);                           \
	}                                                                      \
	TSAN_DEF_RMW(bits, exchange, TSAN_XCHG##bits, v)                       \
	TSAN_DEF_RMW(bits, fetch_add, TSAN_ADD##bits, old + v)                 \
	TSAN_DEF_RMW(bits, fetch_sub, TSAN_SUB##bits, old - v)                 \
	TSAN_DEF_RMW(bits, fetch_and, TSAN_AND##bits, old &v)                  \
	TSAN_DEF_RMW(bits, fetch_or, TSAN_OR##bits, old | v)                   \
	TSAN_DEF_RMW(bits, fetch_xor, TSAN_XOR##bits, old ^ v)                 \
	TSAN_DEF_RMW(bits, fetch_nand, TSAN_NAND##bits, ~(old & v))            \
	static inline int tsan_cas##bits(volatile tsan_a##bits *a,             \
					 tsan_a##bits *c, tsan_a##bits v,      \
					 int weak)                             \
	{                                                                      \
		int ok;                                                        \
		if (bits == 128) {                                             \
			volatile int *l = tsan_lock_for(a);                    \
			tsan_lock(l);                                          \
			ok = *a == *c;                                         \
			if (ok)                                                \
				*a = v;                                        \
			else                                                   \
				*c = *a;                                       \
			tsan_unlock(l);                                        \
		} else {                                                       \
			ok = TSAN_CAS##bits(a, c, v, weak);                    \
		}                                                              \
		return ok;                                                     \
	}                                                                      \
	TSAN_API int __tsan_atomic##bits##_compare_exchange_strong(            \
		volatile tsan_a##bits *a, tsan_a##bits *c, tsan_a##bits v,     \
		int mo, int fmo);                                              \
	TSAN_API int __tsan_atomic##bits##_compare_exchange_strong(            \
		volatile tsan_a##bits *a, tsan_a##bits *c, tsan_a##bits v,     \
		int mo, int fmo)                                               \
	{                                                                      \
		int ok = tsan_cas##bits(a, c, v, 0);                           \
		TSAN_HOOK_ATOMIC(a, bits / 8, ok ? TSAN_OP_RMW : TSAN_OP_LOAD, \
				 tsan_mo(ok ? mo : fmo), TSAN_PC(), 0);        \
		return ok;                                                     \
	}                                                                      \
	TSAN_API int __tsan_atomic##bits##_compare_exchange_weak(              \
		volatile tsan_a##bits *a, tsan_a##bits *c, tsan_a##bits v,     \
		int mo, int fmo);                                              \
	TSAN_API int __tsan_atomic##bits##_compare_exchange_weak(              \
		volatile tsan_a##bits *a, tsan_a##bits *c, tsan_a##bits v,     \
		int mo, int fmo)                                               \
	{                                                                      \
		int ok = tsan_cas##bits(a, c, v, 1);                           \
		TSAN_HOOK_ATOMIC(a, bits / 8, ok ? TSAN_OP_RMW : TSAN_OP_LOAD, \
				 tsan_mo(ok ? mo : fmo), TSAN_PC(), 0);        \
		return ok;                                                     \
	}                                                                      \
	TSAN_API tsan_a##bits __tsan_atomic##bits##_compare_exchange_val(      \
		volatile tsan_a##bits *a, tsan_a##bits c, tsan_a##bits v,      \
		int mo, int fmo);                                              \
	TSAN_API tsan_a##bits __tsan_atomic##bits##_compare_exchange_val(      \
		volatile tsan_a##bits *a, tsan_a##bits c, tsan_a##bits v,      \
		int mo, int fmo)                                               \
	{                                                                      \
		int ok = tsan_cas##bits(a, &c, v, 0);                          \
		(void)ok;                                                      \
		TSAN_HOOK_ATOMIC(a, bits / 8, ok ? TSAN_OP_RMW : TSAN_OP_LOAD, \
				 tsan_mo(ok ? mo : fmo), TSAN_PC(), 0);        \
		return c;                                                      \
	}

/* Native operations per size. */
#define TSAN_LOAD8   TSAN_NAT_LOAD
#define TSAN_LOAD16  TSAN_NAT_LOAD
#define TSAN_LOAD32  TSAN_NAT_LOAD
#define TSAN_LOAD64  TSAN_NAT_LOAD
#define TSAN_STORE8  TSAN_NAT_STORE
#define TSAN_STORE16 TSAN_NAT_STORE
#define TSAN_STORE32 TSAN_NAT_STORE
#define TSAN_STORE64 TSAN_NAT_STORE
#define TSAN_XCHG8   TSAN_NAT_XCHG
#define TSAN_XCHG16  TSAN_NAT_XCHG
#define TSAN_XCHG32  TSAN_NAT_XCHG
#define TSAN_XCHG64  TSAN_NAT_XCHG
#define TSAN_ADD8    TSAN_NAT_ADD
#define TSAN_ADD16   TSAN_NAT_ADD
#define TSAN_ADD32   TSAN_NAT_ADD
#define TSAN_ADD64   TSAN_NAT_ADD
#define TSAN_SUB8    TSAN_NAT_SUB
#define TSAN_SUB16   TSAN_NAT_SUB
#define TSAN_SUB32   TSAN_NAT_SUB
#define TSAN_SUB64   TSAN_NAT_SUB
#define TSAN_AND8    TSAN_NAT_AND
#define TSAN_AND16   TSAN_NAT_AND
#define TSAN_AND32   TSAN_NAT_AND
#define TSAN_AND64   TSAN_NAT_AND
#define TSAN_OR8     TSAN_NAT_OR
#define TSAN_OR16    TSAN_NAT_OR
#define TSAN_OR32    TSAN_NAT_OR
#define TSAN_OR64    TSAN_NAT_OR
#define TSAN_XOR8    TSAN_NAT_XOR
#define TSAN_XOR16   TSAN_NAT_XOR
#define TSAN_XOR32   TSAN_NAT_XOR
#define TSAN_XOR64   TSAN_NAT_XOR
#define TSAN_NAND8   TSAN_NAT_NAND
#define TSAN_NAND16  TSAN_NAT_NAND
#define TSAN_NAND32  TSAN_NAT_NAND
#define TSAN_NAND64  TSAN_NAT_NAND
#define TSAN_CAS8    TSAN_NAT_CAS
#define TSAN_CAS16   TSAN_NAT_CAS
#define TSAN_CAS32   TSAN_NAT_CAS
#define TSAN_CAS64   TSAN_NAT_CAS
/* 128: dead code behind 'bits == 128', kept valid without libatomic. */
#define TSAN_LOAD128(a)		   (*(a))
#define TSAN_STORE128(a, v)	   (*(a) = (v))
#define TSAN_XCHG128(a, v)	   (*(a))
#define TSAN_ADD128(a, v)	   (*(a))
#define TSAN_SUB128(a, v)	   (*(a))
#define TSAN_AND128(a, v)	   (*(a))
#define TSAN_OR128(a, v)	   (*(a))
#define TSAN_XOR128(a, v)	   (*(a))
#define TSAN_NAND128(a, v)	   (*(a))
#define TSAN_CAS128(a, c, v, weak) 0

TSAN_DEF_SIZE(8)
TSAN_DEF_SIZE(16)
TSAN_DEF_SIZE(32)
TSAN_DEF_SIZE(64)
TSAN_DEF_SIZE(128)

TSAN_API void __tsan_atomic_thread_fence(int mo);
TSAN_API void __tsan_atomic_thread_fence(int mo)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	TSAN_HOOK_ATOMIC((void *)0, 0, TSAN_OP_FENCE, tsan_mo(mo), TSAN_PC(),
			 0);
}

TSAN_API void __tsan_atomic_signal_fence(int mo);
TSAN_API void __tsan_atomic_signal_fence(int mo)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

#endif /* HBT_TSAN_ABI_H */
