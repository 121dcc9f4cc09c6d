// SPDX-License-Identifier: MIT
/*
 * rt_stack.c - native stacks, interned strings and the module list.
 *
 * Stacks and strings are interned by a 64-bit hash: a global open
 * addressing table maps the hash to the id, a per-thread direct-mapped
 * cache sits in front of it.  The thread that claims a slot writes the
 * definition record into its own chunk before it publishes the id, so
 * any event carrying the id follows its definition in some chunk.  A
 * thread that finds a slot claimed but not yet published defines the same
 * content under an id of its own rather than wait.
 */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/hbt_varint.h"
#include "rt_priv.h"

#define RT_INTERN_BITS	20
#define RT_INTERN_SLOTS (1u << RT_INTERN_BITS)
#define RT_MAX_FRAMES	64

struct rt_intern_slot {
	uint64_t hash; /* 0 = free */
	uint32_t id;   /* 0 = being defined */
};

static struct rt_intern_slot *rt_stacks, *rt_strings;
static uint32_t rt_next_stack = 1, rt_next_string = 1;
static uintptr_t rt_self_lo, rt_self_hi; /* our own text */
static int rt_mod_lock; /* our own spinlock: dlopen/dlclose only */

static struct rt_intern_slot *rt_intern_table(void)
{
	void *p = mmap(NULL, RT_INTERN_SLOTS * sizeof(struct rt_intern_slot),
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline uint64_t rt_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

/*
 * Look 'hash' up.  Returns the published id, or 0 with *claimed set when
 * the caller must define it (and then publish through *slot, which may be
 * NULL when the table is full or the slot belongs to a racing thread).
 */
static uint32_t rt_intern_lookup(struct rt_intern_slot *tab, uint64_t hash,
				 struct rt_intern_slot **slot)
{
	uint32_t i, n;

	*slot = NULL;
	if (!tab)
		return 0;
	i = (uint32_t)hash & (RT_INTERN_SLOTS - 1);
	for (n = 0; n < 64; n++) {
		struct rt_intern_slot *s = &tab[i];
		uint64_t h = __atomic_load_n(&s->hash, __ATOMIC_ACQUIRE);

		if (h == hash)
			return __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
		if (!h) {
			uint64_t zero = 0;

			if (__atomic_compare_exchange_n(&s->hash, &zero, hash,
							false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				*slot = s;
				return 0;
			}
			if (zero == hash)
				return __atomic_load_n(&s->id,
						       __ATOMIC_ACQUIRE);
		}
		i = (i + 1) & (RT_INTERN_SLOTS - 1);
	}
	return 0;
}

void rt_stack_reset_caches(void)
{
	/* after fork the new trace has none of the definitions */
	if (rt_stacks)
		munmap(rt_stacks,
		       RT_INTERN_SLOTS * sizeof(struct rt_intern_slot));
	if (rt_strings)
		munmap(rt_strings,
		       RT_INTERN_SLOTS * sizeof(struct rt_intern_slot));
	rt_stacks = rt_intern_table();
	rt_strings = rt_intern_table();
	rt_next_stack = 1;
	rt_next_string = 1;
	/* a thread of the parent may have held it at fork() */
	rt_mod_lock = 0;
}

struct rt_stack_def {
	uint32_t id, n;
	const uint64_t *frames;
};

static size_t rt_encode_stack(uint8_t *p, void *arg)
{
	struct rt_stack_def *d = arg;

	return hbt_encode_stack(p, d->id, d->frames, d->n);
}

static uint32_t rt_stack_define(struct rt_thread *t, uint64_t hash,
				const uint64_t *frames, uint32_t n)
{
	unsigned c = (unsigned)(hash >> 7) & 255;
	struct rt_intern_slot *slot;
	struct rt_stack_def d;
	uint32_t id;

	if (t->stcache[c].hash == hash)
		return t->stcache[c].id;
	id = rt_intern_lookup(rt_stacks, hash, &slot);
	if (!id) {
		id = __atomic_fetch_add(&rt_next_stack, 1, __ATOMIC_RELAXED);
		d.id = id;
		d.n = n;
		d.frames = frames;
		rt_emit_def(t, HBT_DEF_ROOM((size_t)n * HBT_UV_MAX),
			    rt_encode_stack, &d);
		if (slot)
			__atomic_store_n(&slot->id, id, __ATOMIC_RELEASE);
	}
	t->stcache[c].hash = hash;
	t->stcache[c].id = id;
	return id;
}

uint32_t rt_stack_intern(struct rt_thread *t, const uint64_t *frames,
			 uint32_t nframes)
{
	uint64_t h = 0x51ed270b;
	uint32_t i;

	if (!nframes)
		return 0;
	if (nframes > HBT_MAX_STACK_FRAMES)
		nframes = HBT_MAX_STACK_FRAMES;
	for (i = 0; i < nframes; i++)
		h = rt_mix(h, frames[i]);
	h = rt_mix(h, nframes);
	return rt_stack_define(t, h ? h : 1, frames, nframes);
}

/*
 * Call-site cache.  The frames of a stack are fixed by the return
 * addresses on it: when every return address slot of a cached capture
 * (found by unwinding once, at a fixed offset from the wrapper's CFA)
 * still holds the same pc, the chain of callers is the same and so is
 * the stack id.  Validating costs a few loads instead of an unwind.
 * The key (return address into the program, wrapper CFA) fixes the
 * first frame; each validated return address fixes the next frame's
 * code, and with it (for the usual SP-based CFI) where the next slot is.
 * A frame whose slot cannot be found (signal frame, odd CFI, a return
 * address not stored at SP-8) makes the capture uncacheable.
 * Limits: a frame whose CFA follows a frame pointer that varies at the
 * same pc and SP (variable alloca below a deeper frame) is only as safe
 * as the stale word at the old slot differing from the cached pc; and a
 * call site on a stack that was unmapped and mapped again smaller at the
 * same address (coroutines) would read past it.  HBTRACE_STACK_CACHE=0
 * turns the cache off.  The check is rt_scache_holds() (rt_priv.h),
 * shared with the mutex fast path, which needs the id but not the frames.
 */
#define RT_SCACHE_NONE UINT32_MAX /* entry.n of an uncacheable site */

static uint32_t rt_stack_finish(struct rt_thread *t, uint32_t k)
{
	uint64_t h = 0x51ed270b;
	uint32_t i;

	t->nsframes = k;
	if (!k)
		return 0;
	for (i = 0; i < k; i++)
		h = rt_mix(h, t->sframes[i]);
	h = rt_mix(h, k);
	return rt_stack_define(t, h ? h : 1, t->sframes, k);
}

/*
 * libunwind blocks every signal around each step of a cursor unwind (the
 * lock of its global register-state cache: Debian builds it without the
 * per-thread cache, so UNW_CACHE_PER_THREAD falls back to it), two
 * rt_sigprocmask system calls per frame, some 40 per cache fill in a
 * Python program.  The cursor unwind below blocks signals once for the
 * whole walk instead; while it runs, the calls libunwind makes land here
 * and change nothing, so no signal handler can run inside libunwind
 * either way.  Everyone else's calls go to glibc (sigprocmask is
 * pthread_sigmask there, errno aside).
 */
static RT_TLS __thread bool rt_in_cursor_unwind;

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int err;

	if (RT_UNLIKELY(rt_in_cursor_unwind)) {
		/* everything is blocked until the walk ends */
		if (old)
			sigfillset(old);
		return 0;
	}
	err = pthread_sigmask(how, set, old);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void rt_cursor_unwind_begin(sigset_t *saved)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, saved);
	rt_in_cursor_unwind = true;
}

static void rt_cursor_unwind_end(const sigset_t *saved)
{
	rt_in_cursor_unwind = false;
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* Full unwind from the wrapper's call site, filling a cache entry. */
static uint32_t rt_stack_unwind_site(struct rt_thread *t, uintptr_t ra,
				     uintptr_t cfa, int skip)
{
	struct rt_scache *e = &t->scache[rt_scache_slot(ra, cfa)];
	uint32_t depth = (uint32_t)rt_opts.stack_depth, k = 0, id;
	unw_context_t uc;
	unw_cursor_t cur;
	bool cacheable = skip <= 0 && depth <= RT_SCACHE_FRAMES;
	int32_t off[RT_SCACHE_FRAMES];
	uintptr_t pc[RT_SCACHE_FRAMES];
	sigset_t saved;

	rt_cursor_unwind_begin(&saved);
	if (unw_getcontext(&uc) < 0 || unw_init_local(&cur, &uc) < 0) {
		rt_cursor_unwind_end(&saved);
		return rt_stack_finish(t, 0);
	}
	do {
		unw_word_t ip = 0, sp = 0;

		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		if (ip >= rt_self_lo && ip < rt_self_hi && !k)
			continue; /* the runtime's own frames */
		if (skip > 0) {
			skip--;
			continue;
		}
		if (cacheable) {
			unw_get_reg(&cur, UNW_REG_SP, &sp);
			if (!k && (ip != ra || sp != cfa))
				cacheable = false;
			else if (unw_is_signal_frame(&cur) > 0 || sp < cfa ||
				 sp - cfa > INT32_MAX ||
				 *(const uintptr_t *)(sp - 8) != ip)
				cacheable = false;
			else {
				off[k] = (int32_t)(sp - cfa) - 8;
				pc[k] = ip;
			}
		}
		t->sframes[k++] = HBT_FRAME_FROM_PC(ip);
	} while (k < depth && unw_step(&cur) > 0);
	rt_cursor_unwind_end(&saved);
	id = rt_stack_finish(t, k);
	if (!cacheable || !id) {
		/* never try this site again: unw_backtrace from now on */
		e->id = 0;
		e->ra = ra;
		e->cfa = cfa;
		e->n = RT_SCACHE_NONE;
	} else {
		e->id = 0; /* invalid while being rewritten */
		e->ra = ra;
		e->cfa = cfa;
		e->n = k;
		memcpy(e->off, off, k * sizeof(off[0]));
		memcpy(e->pc, pc, k * sizeof(pc[0]));
		e->id = id;
	}
	return id;
}

static uint32_t rt_stack_capture(struct rt_thread *t, int skip);

/* libunwind takes locks of its own, through the wrappers: while it runs,
 * a wrapper call is not a signal handler's (rt_in_handler). */
uint32_t rt_stack_here(struct rt_thread *t, int skip)
{
	bool sig_off = t->sig_off;
	uint32_t id;

	t->sig_off = true;
	id = rt_stack_capture(t, skip);
	t->sig_off = sig_off;
	return id;
}

static uint32_t rt_stack_capture(struct rt_thread *t, int skip)
{
	void *pcs[RT_MAX_FRAMES + 8];
	uint64_t *frames = t->sframes;
	uintptr_t ra = t->site_ra, cfa = t->site_cfa;
	int n, i, first;
	uint32_t k = 0;

	if (!rt_opts.stacks)
		return 0;
	if (RT_LIKELY(ra && (ra < rt_self_lo || ra >= rt_self_hi) &&
		      rt_opts.stack_cache)) {
		struct rt_scache *e = &t->scache[rt_scache_slot(ra, cfa)];

		if (RT_LIKELY(skip <= 0 && rt_scache_holds(e, ra, cfa))) {
			uint32_t en = e->n;

			for (k = 0; k < en; k++)
				frames[k] = HBT_FRAME_FROM_PC(e->pc[k]);
			t->nsframes = en;
			return e->id;
		}
		if (e->id && e->ra == ra && e->cfa == cfa && skip <= 0) {
			/* another chain through the same site: refill a few
			 * times, then give the site up (unw_backtrace) */
			if (e->misses++ < 4)
				return rt_stack_unwind_site(t, ra, cfa, skip);
			e->id = 0;
			e->n = RT_SCACHE_NONE;
		}
		/* a cursor unwind costs far more than unw_backtrace (libunwind
		 * validates every address it reads): only a site seen twice
		 * gets one, once */
		if (e->ra == ra && e->cfa == cfa && !e->id) {
			if (e->n != RT_SCACHE_NONE && skip <= 0)
				return rt_stack_unwind_site(t, ra, cfa, skip);
		} else {
			e->id = 0;
			e->ra = ra;
			e->cfa = cfa;
			e->n = 0;
			e->misses = 0;
		}
	}
	n = unw_backtrace(pcs, rt_opts.stack_depth + 8);
	/* drop the runtime's own frames, then 'skip' more */
	for (first = 0; first < n; first++) {
		uintptr_t pc = (uintptr_t)pcs[first];

		if (pc < rt_self_lo || pc >= rt_self_hi)
			break;
	}
	first += skip > 0 ? skip : 0;
	k = 0;
	for (i = first; i < n && k < (uint32_t)rt_opts.stack_depth; i++)
		frames[k++] = HBT_FRAME_FROM_PC((uintptr_t)pcs[i]);
	return rt_stack_finish(t, k);
}

void rt_note_blocked_stack(struct rt_thread *t)
{
	uint32_t n = t->nsframes < 16 ? t->nsframes : 16;

	memcpy(t->bframes, t->sframes, n * sizeof(t->bframes[0]));
	t->nbframes = n;
}

/* ---- strings ------------------------------------------------------------ */

struct rt_string_def {
	uint32_t id;
	const char *s;
	size_t len;
};

static size_t rt_encode_string(uint8_t *p, void *arg)
{
	struct rt_string_def *d = arg;

	return hbt_encode_string(p, d->id, d->s, d->len);
}

uint32_t rt_string_intern(struct rt_thread *t, const char *s, size_t len)
{
	struct rt_intern_slot *slot;
	struct rt_string_def d;
	uint64_t h = 0x9ae16a3b2f90404full ^ len;
	uint32_t id;
	size_t i;

	if (len > HBT_MAX_STRING_LEN)
		len = HBT_MAX_STRING_LEN;
	for (i = 0; i < len; i++)
		h = rt_mix(h, (uint8_t)s[i]);
	if (!h)
		h = 1;
	id = rt_intern_lookup(rt_strings, h, &slot);
	if (id)
		return id;
	id = __atomic_fetch_add(&rt_next_string, 1, __ATOMIC_RELAXED);
	d.id = id;
	d.s = s;
	d.len = len;
	rt_emit_def(t, HBT_DEF_ROOM(len), rt_encode_string, &d);
	if (slot)
		__atomic_store_n(&slot->id, id, __ATOMIC_RELEASE);
	return id;
}

/* ---- modules ------------------------------------------------------------ */

#define RT_MAX_MODULES 4096

struct rt_module_seen {
	uint64_t start, end;
	uint32_t gen; /* scan that last saw it */
};

static struct rt_module_seen rt_mods[RT_MAX_MODULES];
static uint32_t rt_nmods, rt_scan_gen;

struct rt_scan {
	struct rt_thread *t;
	bool all; /* emit every module, not only new ones */
};

struct rt_module_def {
	uint64_t start, end, off;
	const uint8_t *bid;
	uint32_t bid_len;
	const char *path;
	size_t path_len;
};

static size_t rt_encode_module(uint8_t *p, void *arg)
{
	struct rt_module_def *d = arg;

	return hbt_encode_module(p, d->start, d->end, d->off, d->bid,
				 d->bid_len, d->path, d->path_len);
}

static const uint8_t *rt_build_id(struct dl_phdr_info *info, uint32_t *len)
{
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const void *)p;
			const uint8_t *name = p + sizeof(*nh);
			const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);

			if (desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID &&
			    nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
				*len = nh->n_descsz;
				return desc;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	*len = 0;
	return NULL;
}

static int rt_module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct rt_scan *sc = arg;
	char exe[PATH_MAX];
	const char *path = info->dlpi_name;
	struct rt_module_def d;
	int i;

	(void)size;
	if (!path || !*path) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		exe[n > 0 ? n : 0] = 0;
		path = exe;
	}
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint32_t k;
		bool known = false;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		d.start = info->dlpi_addr + ph->p_vaddr;
		d.end = d.start + ph->p_memsz;
		d.off = ph->p_offset;
		for (k = 0; k < rt_nmods; k++) {
			if (rt_mods[k].start == d.start &&
			    rt_mods[k].end == d.end) {
				rt_mods[k].gen = rt_scan_gen;
				known = true;
				break;
			}
		}
		if (!known && rt_nmods < RT_MAX_MODULES) {
			rt_mods[rt_nmods].start = d.start;
			rt_mods[rt_nmods].end = d.end;
			rt_mods[rt_nmods].gen = rt_scan_gen;
			rt_nmods++;
		}
		if (known && !sc->all)
			continue;
		d.bid = rt_build_id(info, &d.bid_len);
		d.path = path;
		d.path_len = strlen(path);
		rt_emit_def(sc->t, HBT_DEF_ROOM(d.path_len + d.bid_len),
			    rt_encode_module, &d);
	}
	return 0;
}

static size_t rt_encode_unmap(uint8_t *p, void *arg)
{
	struct rt_module_seen *m = arg;

	return hbt_encode_module_unmap(p, m->start, m->end);
}

static void rt_modules_scan(struct rt_thread *t, bool all)
{
	struct rt_scan sc = {t, all};
	uint32_t k;

	while (__atomic_exchange_n(&rt_mod_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
	if (all)
		rt_nmods = 0;
	rt_scan_gen++;
	dl_iterate_phdr(rt_module_cb, &sc);
	/* what the scan did not see again was unmapped (dlclose) */
	for (k = 0; k < rt_nmods;) {
		if (rt_mods[k].gen != rt_scan_gen) {
			rt_emit_def(t, HBT_DEF_ROOM(20), rt_encode_unmap,
				    &rt_mods[k]);
			rt_mods[k] = rt_mods[--rt_nmods];
		} else {
			k++;
		}
	}
	__atomic_store_n(&rt_mod_lock, 0, __ATOMIC_RELEASE);
}

void rt_modules_emit(struct rt_thread *t)
{
	rt_modules_scan(t, true);
}

void rt_modules_rescan(struct rt_thread *t)
{
	rt_modules_scan(t, false);
}

static int rt_self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)arg, lo = UINTPTR_MAX, hi = 0;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (s < lo)
			lo = s;
		if (s + ph->p_memsz > hi)
			hi = s + ph->p_memsz;
	}
	if (me >= lo && me < hi) {
		rt_self_lo = lo;
		rt_self_hi = hi;
		return 1;
	}
	return 0;
}

/*
 * libunwind checks addresses it is unsure of (frames without unwind
 * tables) by reading and writing one byte through a pipe of its own,
 * opened at its first use on the lowest free descriptors.  A program that
 * later dup2()s onto those numbers (a shell's `exec 4>&1`) gets the probe
 * bytes in its own file, or loses input to them: xz's xzdiff got garbage
 * in a command substitution.  Start libunwind now, with every free
 * descriptor below RT_UNW_FD_MIN held, so its pipe lands out of the way.
 */
#define RT_UNW_FD_MIN 100

static void rt_unwind_init_high(void)
{
	int held[RT_UNW_FD_MIN], n = 0, fd, nul, saved = errno;
	unw_context_t uc;
	unw_cursor_t cur;

	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	while (nul >= 0 && nul < RT_UNW_FD_MIN && n < RT_UNW_FD_MIN) {
		fd = fcntl(nul, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (fd >= RT_UNW_FD_MIN) {
			close(fd);
			break;
		}
		held[n++] = fd;
	}
	if (!unw_getcontext(&uc))
		unw_init_local(&cur, &uc);
	while (n > 0)
		close(held[--n]);
	if (nul >= 0)
		close(nul);
	errno = saved;
}

void rt_self_range_init(void)
{
	if (rt_opts.stacks)
		rt_unwind_init_high();
	if (!rt_stacks)
		rt_stacks = rt_intern_table();
	if (!rt_strings)
		rt_strings = rt_intern_table();
	if (!rt_self_hi)
		dl_iterate_phdr(rt_self_cb,
				(void *)(uintptr_t)rt_self_range_init);
	/* the global cache masks signals around every lookup */
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}
