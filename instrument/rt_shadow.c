// SPDX-License-Identifier: MIT
/*
 * rt_shadow.c - per-object state (counters, owner) and the per-thread
 * held-lock lists.
 *
 * The shadow table is open addressing over a large MAP_NORESERVE mapping:
 * a slot is claimed with one CAS on its key and never freed, so lookups
 * need no lock and an entry's address never changes.  An object destroyed
 * and re-created at the same address keeps its counters, which stay
 * monotonic as the reader expects.  Each thread keeps a direct-mapped
 * cache in front of it, so a lock taken in a loop costs one compare.
 */
#include <string.h>
#include <sys/mman.h>

#include "rt_priv.h"

/* 2M slots: a million live objects stay at 50% load (~112 MB touched). */
#define RT_SHADOW_BITS	21
#define RT_SHADOW_SLOTS (1ull << RT_SHADOW_BITS)
/* A lookup gives up after this many slots: the table is full. */
#define RT_SHADOW_PROBE 4096

static struct rt_shadow *rt_shadow_tab;

void rt_shadow_init(void)
{
	void *p;

	if (rt_shadow_tab) {
		/* after fork: the child's trace starts every counter at
		 * zero again (a fresh mapping is cheaper than clearing) */
		munmap(rt_shadow_tab,
		       RT_SHADOW_SLOTS * sizeof(struct rt_shadow));
		rt_shadow_tab = NULL;
	}
	p = mmap(NULL, RT_SHADOW_SLOTS * sizeof(struct rt_shadow),
		 PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED)
		rt_shadow_tab = p;
}

static inline uint64_t rt_shadow_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static struct rt_shadow *rt_shadow_lookup(uint64_t obj, uint8_t kind,
					  bool create)
{
	uint64_t i, n;

	if (RT_UNLIKELY(!rt_shadow_tab || !obj))
		return NULL;
	i = rt_shadow_hash(obj) & (RT_SHADOW_SLOTS - 1);
	for (n = 0; n < RT_SHADOW_PROBE; n++) {
		struct rt_shadow *s = &rt_shadow_tab[i];
		uint64_t k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);

		if (k == obj)
			return s;
		if (!k) {
			uint64_t zero = 0;

			if (!create)
				return NULL;
			if (__atomic_compare_exchange_n(&s->key, &zero, obj,
							false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				s->kind = kind;
				s->mutex_type = HBT_MUTEX_DEFAULT;
				return s;
			}
			if (zero == obj)
				return s;
		}
		i = (i + 1) & (RT_SHADOW_SLOTS - 1);
	}
	return NULL;
}

struct rt_shadow *rt_shadow_get(uint64_t obj, uint8_t kind)
{
	struct rt_thread *t = rt_self_get();
	unsigned h = (unsigned)(obj >> 3) & 63;

	if (RT_LIKELY(t && t->shcache[h].key == obj))
		return t->shcache[h].sh;
	return rt_shadow_get_miss(t, obj, kind);
}

struct rt_shadow *rt_shadow_get_miss(struct rt_thread *t, uint64_t obj,
				     uint8_t kind)
{
	unsigned h = (unsigned)(obj >> 3) & 63;
	struct rt_shadow *s;

	s = rt_shadow_lookup(obj, kind, true);
	if (t && s) {
		t->shcache[h].key = obj;
		t->shcache[h].sh = s;
		t->shcache[h].busy = 0;
		t->shcache[h].seen = 0;
	}
	return s;
}

struct rt_shadow *rt_shadow_find(uint64_t obj)
{
	return rt_shadow_lookup(obj, 0, false);
}

/* ---- held locks -------------------------------------------------------- */

struct rt_held_lock *rt_held_find(struct rt_thread *t, uint64_t obj)
{
	uint32_t i = t->nheld;

	while (i--)
		if (t->held[i].obj == obj)
			return &t->held[i];
	return NULL;
}

void rt_held_push(struct rt_thread *t, uint64_t obj, uint8_t kind, uint8_t op,
		  uint32_t stack)
{
	struct rt_held_lock *h;

	if (t->nheld >= RT_MAX_HELD) {
		t->held_overflow++;
		return;
	}
	h = &t->held[t->nheld];
	h->obj = obj;
	h->kind = kind;
	h->op = op;
	h->depth = 1;
	h->stack = stack;
	/* the watchdog reads held[] racily: entry first, then the count */
	__atomic_store_n(&t->nheld, t->nheld + 1, __ATOMIC_RELEASE);
}

int rt_held_pop(struct rt_thread *t, uint64_t obj)
{
	struct rt_held_lock *h = rt_held_find(t, obj);

	return rt_held_pop_at(t, h);
}

int rt_held_pop_at(struct rt_thread *t, struct rt_held_lock *h)
{
	uint32_t i, depth;

	if (!h) {
		if (t->held_overflow) {
			t->held_overflow--;
			return 1;
		}
		return -1;
	}
	depth = h->depth;
	if (depth > 1) {
		h->depth--;
		return (int)depth;
	}
	i = (uint32_t)(h - t->held);
	/* locks are mostly released in reverse order: the top is cheap */
	if (i + 1 < t->nheld) {
		struct rt_held_lock *p = h;

		/* not memmove: a program's memmove may be interposed */
		for (; i + 1 < t->nheld; i++, p++)
			p[0] = p[1];
	}
	__atomic_store_n(&t->nheld, t->nheld - 1, __ATOMIC_RELEASE);
	return 1;
}
