// SPDX-License-Identifier: MIT
/*
 * rt_core.c - the runtime's core: options, the trace file, per-thread
 * state and chunks, exit and fork handling.
 *
 * Writing: every thread owns the chunk it fills.  A new chunk is reserved
 * with one atomic fetch_add on the file offset, backed with fallocate()
 * (so a full disk is an error now, never a SIGBUS later), its zeros
 * written (rt_chunk_fill) and mapped MAP_SHARED; records are encoded
 * straight into the mapping.  Nothing is buffered in the process, so
 * kill -9 loses nothing already written, and the hot path takes no lock
 * and makes no system call.  The next chunk is mapped ahead at a moment
 * the thread holds no lock (rt_chunk_ahead).
 *
 * The header page stays mapped too; the exit path sets CLEAN_CLOSE,
 * end_offset and dropped_events in place.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rt_priv.h"

#define RT_CHUNK_MIN (64u << 10)
/* Thread table: serial -> state.  Reserved, touched as it fills. */
#define RT_MAX_THREADS (1u << 20)
/* The runtime keeps its trace fd out of the way of the program's fds. */
#define RT_FD_MIN 700
#ifdef MADV_POPULATE_WRITE
#define RT_MADV_POPULATE_WRITE MADV_POPULATE_WRITE
#else
#define RT_MADV_POPULATE_WRITE 23
#endif

int rt_active;
struct rt_options rt_opts;

RT_TLS __thread struct rt_thread *rt_self;
/* Set while this thread initializes the runtime or creates its state:
 * anything called meanwhile (dlsym -> calloc -> a malloc hook) passes. */
static RT_TLS __thread int rt_busy;

enum { RT_UNINIT, RT_INITIALIZING, RT_READY, RT_FAILED };
static int rt_state;

static int rt_fd = -1;
static struct hbt_file_header *rt_hdr;
static uint64_t rt_features; /* rt_add_features() before the header */
static uint64_t rt_off;	     /* next free file offset, atomic */
static uint64_t rt_dropped;  /* events lost after a write error, atomic */
static int rt_write_failed;  /* warned once */
static char rt_path[PATH_MAX];
static uint32_t rt_gen; /* exec generation */

static struct rt_thread **rt_threads; /* indexed by serial */
static uint32_t rt_next_serial = 1;   /* atomic */
static pthread_key_t rt_key;
static bool rt_key_ok;
static int rt_finalized;

/* ---- small helpers that must not allocate ----------------------------- */

void rt_write_err(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(2, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

int rt_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= size)
		n = (int)size - 1;
	return n;
}

void rt_warn(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, saved = errno;

	if (rt_opts.quiet) {
		errno = saved;
		return;
	}
	n = rt_fmt(buf, sizeof(buf), "==%d== hbtrace: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	rt_write_err(buf, (size_t)n);
	errno = saved;
}

void *rt_real_sym(const char *name, const char *ver)
{
	void *p;

	/* dlsym may call calloc, which a malloc hook may route back here */
	rt_busy++;
	p = ver ? dlvsym(RTLD_NEXT, name, ver) : NULL;
	if (!p)
		p = dlsym(RTLD_NEXT, name);
	rt_busy--;
	if (!p) {
		rt_write_err("hbtrace: fatal: cannot resolve ", 31);
		rt_write_err(name, strlen(name));
		rt_write_err("\n", 1);
		abort();
	}
	return p;
}

static uint64_t rt_clock(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int rt_gettid(void)
{
	return (int)syscall(SYS_gettid);
}

/* ---- options ----------------------------------------------------------- */

/*
 * CPUs the process may run on: its affinity mask (taskset, a container's
 * cpuset), not the machine's count.  Read once at start; a thread that
 * narrows its own mask later is not followed.
 */
static int rt_cpus_usable(void)
{
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		return CPU_COUNT(&cpus);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static int rt_env_int(const char *name, int def)
{
	const char *e = getenv(name);
	char *end;
	long v;

	if (!e || !*e)
		return def;
	v = strtol(e, &end, 10);
	if (*end || v < 0 || v > INT_MAX)
		return def;
	return (int)v;
}

static void rt_read_options(void)
{
	const char *e;

	e = getenv("HBTRACE_OUT");
	if (!e || !*e)
		e = "hbtrace.%p.hbt";
	snprintf(rt_opts.out_pattern, sizeof(rt_opts.out_pattern), "%s", e);
	rt_opts.stacks = rt_env_int("HBTRACE_STACKS", 1) != 0;
	rt_opts.stack_cache = rt_env_int("HBTRACE_STACK_CACHE", 1) != 0;
	rt_opts.mutex_spin = rt_cpus_usable() > 1;
	rt_opts.stack_depth = rt_env_int("HBTRACE_STACK_DEPTH", 16);
	if (rt_opts.stack_depth < 1)
		rt_opts.stack_depth = 1;
	if (rt_opts.stack_depth > 64)
		rt_opts.stack_depth = 64;
	e = getenv("HBTRACE_DEADLOCK");
	rt_opts.deadlock_action = RT_DEADLOCK_REPORT;
	if (e && (!strcmp(e, "exit") || !strcmp(e, "abort") || !strcmp(e, "1")))
		rt_opts.deadlock_action = RT_DEADLOCK_EXIT;
	else if (e && (!strcmp(e, "off") || !strcmp(e, "0")))
		rt_opts.deadlock_action = RT_DEADLOCK_OFF;
	rt_opts.deadlock_ms = rt_env_int("HBTRACE_DEADLOCK_MS", 1000);
	rt_opts.python = rt_env_int("HBTRACE_PYTHON", 1) != 0;
	rt_opts.quiet = rt_env_int("HBTRACE_QUIET", 0) != 0;
	rt_gen = (uint32_t)rt_env_int("HBTRACE_EXEC_GEN", 0);
}

uint32_t rt_exec_generation(void)
{
	return rt_gen;
}

const char *rt_trace_path(void)
{
	return rt_path;
}

/*
 * Expand the output pattern: %p is the pid.  A process that is not the
 * session's root gets ".<pid>" before the extension when the pattern has
 * no %p, and an exec'd image gets ".exec<N>" always, so no trace is ever
 * overwritten by a relative.
 */
static void rt_make_path(char *out, size_t size, bool root)
{
	const char *pat = rt_opts.out_pattern, *s;
	char tmp[PATH_MAX], ins[64];
	size_t n = 0, ilen = 0;
	bool has_pid = false;
	char *dot, *slash;

	for (s = pat; *s && n + 24 < sizeof(tmp); s++) {
		if (s[0] == '%' && s[1] == 'p') {
			n += (size_t)rt_fmt(tmp + n, sizeof(tmp) - n, "%d",
					    (int)getpid());
			has_pid = true;
			s++;
		} else if (s[0] == '%' && s[1] == '%') {
			tmp[n++] = '%';
			s++;
		} else {
			tmp[n++] = *s;
		}
	}
	tmp[n] = 0;
	if (!has_pid && !root)
		ilen += (size_t)rt_fmt(ins + ilen, sizeof(ins) - ilen, ".%d",
				       (int)getpid());
	if (rt_gen)
		ilen += (size_t)rt_fmt(ins + ilen, sizeof(ins) - ilen,
				       ".exec%u", rt_gen);
	if (!ilen) {
		snprintf(out, size, "%s", tmp);
		return;
	}
	slash = strrchr(tmp, '/');
	dot = strrchr(slash ? slash : tmp, '.');
	if (!dot || dot == (slash ? slash + 1 : tmp)) {
		snprintf(out, size, "%s", tmp);
		strncat(out, ins, size - 1 - strlen(out));
		return;
	}
	/* tmp is cut at the dot, then the insert and the extension follow */
	{
		size_t head = (size_t)(dot - tmp), k;

		k = head < size - 1 ? head : size - 1;
		memcpy(out, tmp, k);
		out[k] = 0;
		strncat(out, ins, size - 1 - strlen(out));
		strncat(out, dot, size - 1 - strlen(out));
	}
}

static void rt_list_append(void)
{
	const char *list = getenv("HBTRACE_LIST");
	char line[PATH_MAX + 2];
	int fd, n = 0;

	if (!list || !*list)
		return;
	if (rt_path[0] != '/') {
		if (!getcwd(line, sizeof(line) - 2))
			return;
		n = (int)strlen(line);
		if (n > 1)
			line[n++] = '/';
		else
			n = 1;
	}
	n += rt_fmt(line + n, sizeof(line) - (size_t)n, "%s\n", rt_path);
	fd = open(list, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* nothing to do: the trace exists, it is just not listed */
	}
	close(fd);
}

static void rt_read_file(const char *path, char *buf, size_t size,
			 bool nul_to_space)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, i;

	buf[0] = 0;
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (nul_to_space) {
		while (n > 0 && buf[n - 1] == 0)
			n--;
		for (i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = 0;
	}
}

/*
 * Create the trace file and map its header.  Returns 0 or -errno; on
 * failure the program runs untraced.
 */
static int rt_open_trace(uint64_t flags, int parent_pid)
{
	const char *rootenv = getenv("HBTRACE_ROOT_PID");
	bool root = !rootenv || atoi(rootenv) == (int)getpid();
	struct hbt_file_header *h;
	ssize_t n;
	int fd, hi;

	rt_make_path(rt_path, sizeof(rt_path), root && !parent_pid);
	fd = open(rt_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, RT_FD_MIN);
	if (hi >= 0) {
		close(fd);
		fd = hi;
	}
	if (fallocate(fd, 0, 0, HBT_HEADER_SIZE) < 0 &&
	    ftruncate(fd, HBT_HEADER_SIZE) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	h = mmap(NULL, HBT_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (h == MAP_FAILED) {
		int err = -errno;

		close(fd);
		return err;
	}
	memset(h, 0, sizeof(*h));
	h->version = HBT_VERSION;
	h->min_reader_version = HBT_MIN_READER_VERSION;
	h->header_size = HBT_HEADER_SIZE;
	h->features = HBT_FEAT_PTHREAD |
		      (rt_opts.stacks ? HBT_FEAT_STACKS : 0) |
		      __atomic_load_n(&rt_features, __ATOMIC_RELAXED);
	h->flags = flags | (rt_gen ? HBT_HDR_EXEC_CHILD : 0);
	h->pid = (int32_t)getpid();
	h->ppid = (int32_t)getppid();
	h->parent_trace_pid = parent_pid ? parent_pid
			      : rt_gen	 ? (int32_t)getpid()
					 : 0;
	h->exec_generation = rt_gen;
	h->start_realtime_ns = rt_clock(CLOCK_REALTIME);
	h->start_monotonic_ns = rt_clock(CLOCK_MONOTONIC);
	n = readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1);
	if (n < 0)
		h->exe[0] = 0;
	rt_read_file("/proc/self/cmdline", h->cmdline, sizeof(h->cmdline),
		     true);
	gethostname(h->hostname, sizeof(h->hostname) - 1);
	h->hostname[sizeof(h->hostname) - 1] = 0;
	/* the magic last: a header without it is not a trace yet */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(h->magic, HBT_MAGIC, 8);

	rt_fd = fd;
	rt_hdr = h;
	__atomic_store_n(&rt_off, HBT_HEADER_SIZE, __ATOMIC_RELAXED);
	__atomic_store_n(&rt_dropped, 0, __ATOMIC_RELAXED);
	rt_write_failed = 0;
	rt_finalized = 0;
	rt_list_append();
	return 0;
}

void rt_add_features(uint64_t features)
{
	__atomic_or_fetch(&rt_features, features, __ATOMIC_RELAXED);
	if (rt_hdr)
		__atomic_or_fetch(&rt_hdr->features, features,
				  __ATOMIC_RELAXED);
}

ssize_t rt_read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

void rt_header_flags(uint64_t set, uint64_t clear)
{
	if (!rt_hdr)
		return;
	__atomic_or_fetch(&rt_hdr->flags, set, __ATOMIC_RELAXED);
	__atomic_and_fetch(&rt_hdr->flags, ~clear, __ATOMIC_RELAXED);
}

/* Stop recording after a write error: one warning, the program goes on. */
static void rt_write_error(int err)
{
	if (__atomic_exchange_n(&rt_write_failed, 1, __ATOMIC_RELAXED))
		return;
	rt_header_flags(HBT_HDR_WRITE_ERROR, 0);
	__atomic_store_n(&rt_active, 0, __ATOMIC_RELEASE);
	rt_warn("cannot extend trace '%s': %s; recording stopped", rt_path,
		strerror(-err));
}

/* ---- chunks ------------------------------------------------------------ */

static void rt_chunk_close(struct rt_thread *t)
{
	if (!t->chunk)
		return;
	munmap(t->chunk, t->chunk_size);
	t->chunk = t->pos = t->limit = NULL;
}

/* Size of the chunk after the current one. */
static uint32_t rt_chunk_next_size(const struct rt_thread *t, size_t need)
{
	uint32_t size = t->chunk ? t->chunk_size * 2 : RT_CHUNK_MIN;

	if (size > RT_CHUNK_MAX)
		size = RT_CHUNK_MAX;
	while (size < need + HBT_CHUNK_HEADER_SIZE + 1)
		size *= 2;
	return size;
}

/* Never written: the zeros rt_chunk_fill() writes. */
static char rt_zeros[64u << 10];

/*
 * Write zeros over a chunk's space before mapping it.  Why: faulting in
 * pages of space that fallocate() left unwritten (read, zero, then make
 * each writable) costs about 1 ms a megabyte here; writing zeros puts
 * the pages in the page cache dirty and mapped by the file system in a
 * fourth of that, and making them writable afterwards is cheap.  In 64 KiB
 * writes, not one: a megabyte-sized write gets the page cache to use
 * large folios, and making a page of those writable walks every block of
 * the folio (a megabyte's pages cost five times more then).  Also extends
 * the file where fallocate() is not supported.
 */
static int rt_chunk_fill(uint64_t off, uint32_t size)
{
	uint32_t done = 0;

	while (done < size) {
		size_t n = size - done < sizeof(rt_zeros) ? size - done
							  : sizeof(rt_zeros);
		ssize_t w = pwrite(rt_fd, rt_zeros, n, (off_t)(off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (uint32_t)w;
	}
	return 0;
}

/* Reserve 'size' bytes of the file and map them, pages in the page cache
 * and writable.  NULL on error, recorded (the header says WRITE_ERROR and
 * recording stops) when 'report'. */
static void *rt_chunk_map(uint32_t size, uint64_t *offp, bool report)
{
	uint64_t off;
	void *p;
	int err;

	off = __atomic_fetch_add(&rt_off, size, __ATOMIC_RELAXED);
	/* the blocks first (a full disk is an error now, never a SIGBUS
	 * later), on file systems that can */
	err = fallocate(rt_fd, 0, (off_t)off, size) < 0 ? -errno : 0;
	if (err == -EOPNOTSUPP)
		err = 0;
	if (!err)
		err = rt_chunk_fill(off, size);
	if (err)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, rt_fd,
		 (off_t)off);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	/* one call makes every page writable, instead of a fault per page
	 * (Linux 5.14+; harmless EINVAL before) */
	madvise(p, size, RT_MADV_POPULATE_WRITE);
	*offp = off;
	return p;
fail:
	/* what a failed call may have allocated: nobody will write there */
	fallocate(rt_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		  size);
	if (report)
		rt_write_error(err);
	return NULL;
}

/* Drop the mapped-ahead chunk unused: its file space back (a reader
 * skips the zeros, as any chunk whose magic was never stored). */
static void rt_chunk_drop_spare(struct rt_thread *t, bool punch)
{
	if (!t->spare)
		return;
	munmap(t->spare, t->spare_size);
	if (punch)
		fallocate(rt_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)t->spare_off, (off_t)t->spare_size);
	t->spare = NULL;
}

static void rt_chunk_unmap_retired(struct rt_thread *t)
{
	if (!t->retired)
		return;
	munmap(t->retired, t->retired_size);
	t->retired = NULL;
}

void rt_chunk_drop_ahead(struct rt_thread *t)
{
	int saved = errno;

	if (!rt_own_process())
		return; /* a vfork child: the state and mappings are the
			 * parent's */
	rt_chunk_unmap_retired(t);
	rt_chunk_drop_spare(t, true);
	errno = saved;
}

void rt_chunk_ahead_slow(struct rt_thread *t)
{
	int saved = errno;

	rt_chunk_unmap_retired(t);
	/* a failure is not reported yet: the current chunk has room left,
	 * and opening the next one when it is full tries again (and says
	 * why recording stops) */
	if (!t->spare && !t->ahead_failed && t->chunk &&
	    __atomic_load_n(&rt_active, __ATOMIC_ACQUIRE) && rt_fd >= 0) {
		t->spare_size = rt_chunk_next_size(t, 0);
		t->spare = rt_chunk_map(t->spare_size, &t->spare_off, false);
		t->ahead_failed = !t->spare;
	}
	errno = saved;
}

/* Open the thread's next chunk with room for at least 'need' bytes. */
static int rt_chunk_next(struct rt_thread *t, size_t need)
{
	struct hbt_chunk_header *ch;
	uint32_t size;
	uint64_t off;
	void *p;

	if (!__atomic_load_n(&rt_active, __ATOMIC_ACQUIRE) || rt_fd < 0)
		return -EIO;
	if (t->spare && t->spare_size >= need + HBT_CHUNK_HEADER_SIZE + 1) {
		/* no system call now: the full chunk stays mapped until
		 * the thread next holds no lock */
		p = t->spare;
		size = t->spare_size;
		off = t->spare_off;
		t->spare = NULL;
		rt_chunk_unmap_retired(t);
		t->retired = t->chunk;
		t->retired_size = t->chunk_size;
		t->chunk = NULL;
	} else {
		rt_chunk_drop_spare(t, true);
		size = rt_chunk_next_size(t, need);
		p = rt_chunk_map(size, &off, true);
		if (!p)
			return -EIO;
	}
	rt_chunk_close(t);
	if (t->chunk_index || t->chunk_size)
		t->chunk_index++;
	t->chunk = p;
	t->chunk_size = size;
	t->chunk_off = off;
	ch = p;
	ch->size = size;
	ch->thread = t->serial;
	ch->chunk_index = t->chunk_index;
	ch->tid = t->tid;
	ch->monotonic_ns = rt_clock(CLOCK_MONOTONIC);
	__atomic_store_n(&ch->magic, HBT_CHUNK_MAGIC, __ATOMIC_RELEASE);
	t->pos = (uint8_t *)p + HBT_CHUNK_HEADER_SIZE;
	/* keep one zero byte at the end: the END marker of a full chunk */
	t->limit = (uint8_t *)p + size - 1;
	memset(&t->codec, 0, sizeof(t->codec));
	/* the only place t->pos enters a chunk (rt_chunk_close and the fork
	 * reset leave it NULL, and nothing is written without a chunk): a
	 * LOCK_REPEAT run never spans two */
	t->rep_end = t->rep_acq_end = t->rep_counts = NULL;
	t->ahead_failed = false;
	return 0;
}

void rt_emit(struct rt_thread *t, const struct hbt_event *ev)
{
	size_t need = HBT_EVENT_MAX_BYTES + ev->data_len;

	if (RT_UNLIKELY((size_t)(t->limit - t->pos) < need)) {
		if (rt_chunk_next(t, need) < 0) {
			rt_count_dropped();
			return;
		}
	}
	t->pos += hbt_encode_event(t->pos, &t->codec, ev);
}

bool rt_emit_room_slow(struct rt_thread *t, size_t need)
{
	int saved = errno;
	bool ok = true;

	if ((size_t)(t->limit - t->pos) >= need)
		return true;
	/* the mutex fast paths leave errno alone except here */
	if (rt_chunk_next(t, need) < 0) {
		rt_count_dropped();
		ok = false;
	}
	errno = saved;
	return ok;
}

void rt_emit_def(struct rt_thread *t, size_t room,
		 size_t (*encode)(uint8_t *p, void *arg), void *arg)
{
	if (RT_UNLIKELY((size_t)(t->limit - t->pos) < room)) {
		if (rt_chunk_next(t, room) < 0) {
			rt_count_dropped();
			return;
		}
	}
	t->pos += encode(t->pos, arg);
}

/* ---- thread state ------------------------------------------------------ */

static void rt_key_destructor(void *arg)
{
	struct rt_thread *t = arg;

	/* cleanup handlers and earlier destructors have run: the thread
	 * does nothing more we could see */
	if (t && t == rt_self && !t->ended) {
		t->in_runtime = 0;
		rt_thread_finish(t, t->exiting ? 1 : 0);
	}
}

/*
 * States of joined threads are reused, so a program that starts threads
 * all its life does not grow by one state per thread.  A joined thread
 * has run its TSD destructors and exited: nothing writes its state any
 * more.  The watchdog may still read one being reused; it only ever
 * reports what stays the same over several passes.  The free list is
 * guarded by a spinlock of our own, taken only at create and join.
 */
static struct rt_thread *rt_free_states;
static int rt_free_lock;

void rt_thread_recycle(struct rt_thread *t)
{
	if (!t || !t->ended || t->is_watchdog)
		return;
	if (t->serial < RT_MAX_THREADS &&
	    __atomic_load_n(&rt_threads[t->serial], __ATOMIC_ACQUIRE) == t)
		__atomic_store_n(&rt_threads[t->serial], NULL,
				 __ATOMIC_RELEASE);
	while (__atomic_exchange_n(&rt_free_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
	/* the first word of a free state links the list */
	t->start_arg = rt_free_states;
	rt_free_states = t;
	__atomic_store_n(&rt_free_lock, 0, __ATOMIC_RELEASE);
}

static struct rt_thread *rt_state_get(void)
{
	struct rt_thread *t;

	while (__atomic_exchange_n(&rt_free_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
	t = rt_free_states;
	if (t)
		rt_free_states = t->start_arg;
	__atomic_store_n(&rt_free_lock, 0, __ATOMIC_RELEASE);
	if (t) {
		memset(t, 0, sizeof(*t));
		return t;
	}
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return t == MAP_FAILED ? NULL : t;
}

struct rt_thread *rt_thread_alloc(uint32_t parent)
{
	struct rt_thread *t;
	uint32_t serial;

	t = rt_state_get();
	if (!t)
		return NULL;
	serial = __atomic_fetch_add(&rt_next_serial, 1, __ATOMIC_RELAXED);
	if (serial >= RT_MAX_THREADS) {
		munmap(t, sizeof(*t));
		return NULL;
	}
	t->serial = serial;
	t->parent = parent;
	__atomic_store_n(&rt_threads[serial], t, __ATOMIC_RELEASE);
	return t;
}

void rt_thread_attach(struct rt_thread *t)
{
	struct hbt_event ev = {0};

	t->tid = rt_gettid();
	t->pthread_self = (uint64_t)pthread_self();
	t->errnop = &errno;
	rt_self = t;
	if (rt_key_ok)
		pthread_setspecific(rt_key, t);
	ev.type = HBT_REC_THREAD_START;
	ev.obj = t->parent;
	ev.arg = (uint64_t)t->tid;
	ev.arg2 = t->pthread_self;
	t->in_runtime++;
	rt_emit(t, &ev);
	t->in_runtime--;
}

void rt_thread_finish(struct rt_thread *t, uint8_t op)
{
	struct hbt_event ev = {0};

	if (t->ended)
		return;
	ev.type = HBT_REC_THREAD_END;
	ev.arg = t->nheld + t->held_overflow;
	ev.op = op;
	if (t->sigq_n && !t->in_runtime)
		rt_sigq_flush(t);
	t->in_runtime++;
	rt_emit(t, &ev);
	t->ended = true;
	if (t->chunk) {
		/* give the unused tail of the last chunk back to the file
		 * system: a thousand short threads must not cost 64 MB */
		uint64_t used = (uint64_t)(t->pos - t->chunk) + 1;

		used = (used + HBT_CHUNK_ALIGN - 1) &
		       ~(uint64_t)(HBT_CHUNK_ALIGN - 1);
		if (used < t->chunk_size)
			fallocate(rt_fd,
				  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)(t->chunk_off + used),
				  (off_t)(t->chunk_size - used));
	}
	rt_chunk_close(t);
	rt_chunk_drop_ahead(t);
	t->in_runtime--;
}

bool rt_have_key(void)
{
	return rt_key_ok;
}

struct rt_thread *rt_self_get(void)
{
	return rt_self;
}

uint32_t rt_thread_count(void)
{
	uint32_t n = __atomic_load_n(&rt_next_serial, __ATOMIC_ACQUIRE);

	return n < RT_MAX_THREADS ? n : RT_MAX_THREADS;
}

/* Index i is a serial; slot 0 and serials still being created are NULL. */
struct rt_thread *rt_thread_at(uint32_t i)
{
	if (!rt_threads || i >= rt_thread_count())
		return NULL;
	return __atomic_load_n(&rt_threads[i], __ATOMIC_ACQUIRE);
}

struct rt_thread *rt_thread_by_serial(uint32_t serial)
{
	return rt_thread_at(serial);
}

struct rt_thread *rt_thread_by_pthread(uint64_t pt)
{
	uint32_t i = rt_thread_count();

	while (i-- > 1) {
		struct rt_thread *t = rt_thread_at(i);

		if (t && t->pthread_self == pt && !t->joined &&
		    !(t->detached && t->ended))
			return t;
	}
	return NULL;
}

/* ---- entering the runtime --------------------------------------------- */

static void rt_atexit(void);

static void rt_atfork_child(void);

bool rt_init_lazy(void)
{
	int expect = RT_UNINIT;
	int err;

	if (RT_LIKELY(__atomic_load_n(&rt_state, __ATOMIC_ACQUIRE) == RT_READY))
		return true;
	if (!__atomic_compare_exchange_n(&rt_state, &expect, RT_INITIALIZING,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false; /* another thread is at it, or it failed */
	rt_busy++;
	rt_read_options();
	if (!getenv("HBTRACE_ROOT_PID")) {
		char pid[16];

		rt_fmt(pid, sizeof(pid), "%d", (int)getpid());
		setenv("HBTRACE_ROOT_PID", pid, 0);
	}
	rt_threads = mmap(NULL, RT_MAX_THREADS * sizeof(*rt_threads),
			  PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rt_threads == MAP_FAILED) {
		rt_threads = NULL;
		err = -ENOMEM;
		goto fail;
	}
	rt_shadow_init();
	rt_self_range_init();
	err = rt_open_trace(0, 0);
	if (err < 0)
		goto fail;
	rt_key_ok = pthread_key_create(&rt_key, rt_key_destructor) == 0;
	pthread_atfork(NULL, NULL, rt_atfork_child);
	atexit(rt_atexit);
	__atomic_store_n(&rt_active, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&rt_state, RT_READY, __ATOMIC_RELEASE);
	rt_busy--;
	return true;
fail:
	rt_warn("cannot create trace '%s': %s; not recording",
		rt_path[0] ? rt_path : rt_opts.out_pattern, strerror(-err));
	__atomic_store_n(&rt_state, RT_FAILED, __ATOMIC_RELEASE);
	rt_busy--;
	return false;
}

/* First event of a thread the runtime has not seen (the main thread, or
 * one started before we were loaded). */
static struct rt_thread *rt_enter_slow(int *saved_errno)
{
	struct rt_thread *t;
	bool first;

	if (rt_busy || !rt_init_lazy())
		return NULL;
	rt_busy++;
	first = __atomic_load_n(&rt_next_serial, __ATOMIC_RELAXED) == 1;
	t = rt_thread_alloc(0);
	if (t) {
		rt_thread_attach(t);
		if (first) {
			/* malloc inside must not record into the chunk
			 * mid-record (TSan ABI allocator wrappers) */
			t->in_runtime++;
			rt_modules_emit(t);
			t->in_runtime--;
		}
	}
	rt_busy--;
	if (!t)
		return NULL;
	if (t->ended || !rt_active)
		return NULL;
	t->in_runtime++;
	t->sig_off = true; /* as rt_enter() */
	(void)saved_errno;
	return t;
}

struct rt_thread *rt_enter(int *saved_errno)
{
	struct rt_thread *t = rt_self;

	*saved_errno = errno;
	if (RT_LIKELY(t != NULL)) {
		if (RT_UNLIKELY(t->waiting) && !t->ended &&
		    __atomic_load_n(&rt_active, __ATOMIC_RELAXED)) {
			/* a signal handler's call while the thread blocks in
			 * a real wait: nothing is half written, so it records
			 * as any call; its leave resumes the wait */
			rt_wait_enter(t);
			t->in_runtime++;
			t->sig_off = true;
			return t;
		}
		if (RT_UNLIKELY(
			    t->in_runtime || t->ended ||
			    !__atomic_load_n(&rt_active, __ATOMIC_RELAXED))) {
			/* after a write error, or a signal handler's call
			 * this wrapper cannot keep for later */
			if (rt_write_failed || rt_in_handler(t))
				rt_count_dropped();
			return NULL;
		}
		t->in_runtime++;
		/* the callers (front-ends, thread and process wrappers) may
		 * call out while entered: their re-entries are their own */
		t->sig_off = true;
		return t;
	}
	return rt_enter_slow(saved_errno);
}

void rt_leave(struct rt_thread *t, int saved_errno)
{
	if (t) {
		t->sig_off = false;
		t->in_runtime--;
		t->site_ra = 0;
	}
	errno = saved_errno;
	if (t) {
		rt_sigq_check(t);
		rt_wait_resume(t);
	}
}

bool rt_own_call(void)
{
	const struct rt_thread *t = rt_self;

	return t && t->in_runtime && !t->waiting;
}

void rt_count_dropped(void)
{
	__atomic_fetch_add(&rt_dropped, 1, __ATOMIC_RELAXED);
}

/* ---- exit ---------------------------------------------------------------- */

void rt_header_sync(void)
{
	if (!rt_hdr)
		return;
	rt_hdr->dropped_events = __atomic_load_n(&rt_dropped, __ATOMIC_RELAXED);
	rt_hdr->end_offset = __atomic_load_n(&rt_off, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	rt_header_flags(HBT_HDR_CLEAN_CLOSE, 0);
}

void rt_ignore_thread(void)
{
	rt_busy = 1;
}

bool rt_own_process(void)
{
	/* a vfork() child shares our memory but must not touch the trace */
	return rt_hdr && rt_hdr->pid == (int32_t)getpid();
}

void rt_finalize(void)
{
	struct rt_thread *t = rt_self;

	if (!rt_own_process() ||
	    __atomic_exchange_n(&rt_finalized, 1, __ATOMIC_ACQ_REL))
		return;
	/* The exiting thread records its own end; threads still running
	 * have no THREAD_END and the reader takes them as running at exit
	 * (their chunks are theirs: we never write into them). */
	/* after a live deadlock the exiting thread may be a stuck one: it
	 * must not look as if it ended normally */
	if (t && !t->ended && rt_active &&
	    !(__atomic_load_n(&rt_hdr->flags, __ATOMIC_RELAXED) &
	      HBT_HDR_DEADLOCK)) {
		t->in_runtime = 0;
		rt_thread_finish(t, t->parent ? 2 : 0);
	}
	rt_header_sync();
}

static void rt_atexit(void)
{
	rt_finalize();
}

__attribute__((destructor)) static void rt_destructor(void)
{
	rt_finalize();
}

/* ---- fork -------------------------------------------------------------- */

/*
 * In the child only the forking thread survives.  Its state is reset
 * and it starts a new trace of its own; the parent's mappings are
 * dropped without a write (the child must never touch the parent's
 * chunks).  Other threads' states stay allocated but are marked ended.
 */
/*
 * Locks the forking thread held at fork() (an atfork prepare handler's,
 * typically) are still held in the child: the child's trace starts with
 * an ACQUIRE for each, so their unlocks are not misuse.
 */
static void rt_fork_inherit_locks(struct rt_thread *t)
{
	uint32_t i;

	t->in_runtime++;
	for (i = 0; i < t->nheld; i++) {
		struct rt_held_lock *h = &t->held[i];
		struct rt_shadow *sh = rt_shadow_get(h->obj, h->kind);
		struct hbt_event ev = {0};

		ev.type = HBT_REC_ACQUIRE;
		ev.obj = h->obj;
		ev.kind = h->kind;
		ev.op = h->op;
		if (sh)
			ev.seq = ++sh->acq_seq;
		h->stack = 0;
		rt_emit(t, &ev);
	}
	t->in_runtime--;
}

void rt_fork_child_reset(int parent_pid)
{
	struct rt_thread *self = rt_self;
	uint32_t i, n = rt_thread_count();

	if (__atomic_load_n(&rt_state, __ATOMIC_ACQUIRE) != RT_READY)
		return;
	__atomic_store_n(&rt_active, 0, __ATOMIC_RELEASE);
	for (i = 1; i < n; i++) {
		struct rt_thread *t = rt_thread_at(i);

		if (!t)
			continue;
		if (t->chunk)
			munmap(t->chunk, t->chunk_size);
		t->chunk = t->pos = t->limit = NULL;
		/* the parent's file: not ours to punch */
		rt_chunk_unmap_retired(t);
		rt_chunk_drop_spare(t, false);
		if (t != self)
			t->ended = true;
		__atomic_store_n(&rt_threads[i], NULL, __ATOMIC_RELAXED);
	}
	if (rt_hdr)
		munmap(rt_hdr, HBT_HEADER_SIZE);
	rt_hdr = NULL;
	if (rt_fd >= 0)
		close(rt_fd);
	rt_fd = -1;
	rt_free_lock = 0; /* a parent thread may have held it */
	rt_shadow_init();
	rt_stack_reset_caches();
	rt_watchdog_after_fork();
	if (rt_open_trace(HBT_HDR_FORK_CHILD, parent_pid) < 0) {
		rt_warn("cannot create trace for fork child; not recording");
		return;
	}
	__atomic_store_n(&rt_next_serial, 1, __ATOMIC_RELAXED);
	if (self) {
		uint32_t serial = 1;

		/* the surviving thread becomes thread 1 of the new trace */
		rt_next_serial = 2;
		self->serial = serial;
		self->parent = 0;
		self->chunk_index = 0;
		self->chunk_size = 0;
		self->blocked_on = 0;
		memset(self->shcache, 0, sizeof(self->shcache));
		memset(self->stcache, 0, sizeof(self->stcache));
		memset(self->scache, 0, sizeof(self->scache));
		rt_threads[serial] = self;
		__atomic_store_n(&rt_active, 1, __ATOMIC_RELEASE);
		rt_thread_attach(self);
		rt_modules_emit(self);
		rt_fork_inherit_locks(self);
	} else {
		__atomic_store_n(&rt_active, 1, __ATOMIC_RELEASE);
	}
}

static void rt_atfork_child(void)
{
	/* registered at init, so it runs before the program's own child
	 * handlers: what they lock is recorded in the child's new trace */
	rt_fork_child_reset((int)getppid());
}

/* The runtime starts when loaded; lazy init covers calls made earlier. */
__attribute__((constructor(101))) static void rt_constructor(void)
{
	int saved;
	struct rt_thread *t;

	t = rt_enter(&saved);
	rt_leave(t, saved);
}
