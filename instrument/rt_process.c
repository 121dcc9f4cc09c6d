// SPDX-License-Identifier: MIT
/*
 * rt_process.c - threads and processes: create/join/detach/exit, names,
 * fork, the exec family and dlopen/dlclose.
 *
 * A thread's serial is assigned by its creator, which maps the child's
 * state and passes it to a trampoline; the child writes THREAD_START
 * before anything else.  THREAD_END comes from a thread-specific-data
 * destructor, i.e. after pthread_exit's cleanup handlers, so the unlocks
 * they do are still recorded.
 *
 * Wrappers that may run program code inside the real call (fork's atfork
 * handlers, dlopen's constructors, pthread_exit's cleanup handlers) leave
 * the runtime around that call so that code is recorded too.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_priv.h"

extern char **environ;

/* ---- threads ----------------------------------------------------------- */

static void *rt_trampoline(void *arg)
{
	struct rt_thread *c = arg;
	void *ret;

	rt_thread_attach(c);
	ret = c->start_fn(c->start_arg);
	/* THREAD_END (op 0) comes from the TSD destructor, if there is one */
	if (!rt_have_key())
		rt_thread_finish(c, 0);
	return ret;
}

int pthread_create(pthread_t *th, const pthread_attr_t *attr,
		   void *(*start)(void *), void *arg)
{
	RT_REAL(int, pthread_create, NULL, pthread_t *, const pthread_attr_t *,
		void *(*)(void *), void *);
	struct hbt_event ev = {0};
	struct rt_thread *t, *c;
	int saved, r, ds = PTHREAD_CREATE_JOINABLE;

	t = rt_enter(&saved);
	if (!t)
		return real_pthread_create(th, attr, start, arg);
	rt_watchdog_start();
	c = rt_thread_alloc(t->serial);
	if (!c) {
		rt_leave(t, saved);
		return real_pthread_create(th, attr, start, arg);
	}
	c->start_fn = start;
	c->start_arg = arg;
	if (attr && !pthread_attr_getdetachstate(attr, &ds) &&
	    ds == PTHREAD_CREATE_DETACHED)
		c->detached = true;
	ev.stack = rt_stack_here(t, 0);
	r = real_pthread_create(th, attr, rt_trampoline, c);
	if (!r)
		c->pthread_self = (uint64_t)*th;
	else
		c->ended = true;
	ev.type = HBT_REC_THREAD_CREATE;
	ev.obj = c->serial;
	ev.err = r;
	rt_emit(t, &ev);
	rt_leave(t, saved);
	return r;
}

static uint32_t rt_serial_of(pthread_t th, struct rt_thread **out)
{
	struct rt_thread *c = rt_thread_by_pthread((uint64_t)th);

	*out = c;
	return c ? c->serial : 0;
}

static void rt_emit_join(struct rt_thread *t, uint32_t serial, uint8_t op,
			 int r)
{
	struct hbt_event ev = {0};

	ev.type = HBT_REC_JOIN;
	ev.obj = serial;
	ev.op = op;
	ev.outcome = r == 0	      ? HBT_OUT_OK
		     : r == EBUSY     ? HBT_OUT_BUSY
		     : r == ETIMEDOUT ? HBT_OUT_TIMEDOUT
				      : HBT_OUT_ERROR;
	ev.err = r;
	rt_emit(t, &ev);
}

static void rt_emit_join_request(struct rt_thread *t, uint32_t serial,
				 uint8_t op, uint32_t stack)
{
	struct hbt_event ev = {0};

	ev.type = HBT_REC_JOIN_REQUEST;
	ev.obj = serial;
	ev.op = op;
	ev.stack = stack;
	rt_emit(t, &ev);
}

int pthread_join(pthread_t th, void **ret)
{
	RT_REAL(int, pthread_join, NULL, pthread_t, void **);
	struct rt_thread *t, *c;
	uint32_t serial, stack;
	int saved, r;
	struct rt_wait wait;

	t = rt_enter(&saved);
	if (!t)
		return real_pthread_join(th, ret);
	serial = rt_serial_of(th, &c);
	stack = rt_stack_here(t, 0);
	rt_emit_join_request(t, serial, 0, stack);
	if (serial) {
		rt_note_blocked_stack(t);
		t->blocked_kind = HBT_OBJ_THREAD;
		t->blocked_stack = stack;
		__atomic_add_fetch(&t->blocked_gen, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&t->blocked_on, serial, __ATOMIC_RELEASE);
	}
	wait = rt_wait_begin(t);
	r = real_pthread_join(th, ret);
	rt_wait_end(t, wait);
	__atomic_store_n(&t->blocked_on, 0, __ATOMIC_RELEASE);
	if (!r && c) {
		c->joined = true;
		rt_thread_recycle(c);
	}
	rt_emit_join(t, serial, 0, r);
	rt_leave(t, saved);
	return r;
}

int pthread_tryjoin_np(pthread_t th, void **ret)
{
	RT_REAL(int, pthread_tryjoin_np, NULL, pthread_t, void **);
	struct rt_thread *t, *c;
	uint32_t serial;
	int saved, r;

	t = rt_enter(&saved);
	if (!t)
		return real_pthread_tryjoin_np(th, ret);
	serial = rt_serial_of(th, &c);
	r = real_pthread_tryjoin_np(th, ret);
	if (!r && c) {
		c->joined = true;
		rt_thread_recycle(c);
	}
	rt_emit_join(t, serial, HBT_OP_TRY, r);
	rt_leave(t, saved);
	return r;
}

int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *ts)
{
	RT_REAL(int, pthread_timedjoin_np, NULL, pthread_t, void **,
		const struct timespec *);
	struct rt_thread *t, *c;
	uint32_t serial;
	int saved, r;
	struct rt_wait wait;

	t = rt_enter(&saved);
	if (!t)
		return real_pthread_timedjoin_np(th, ret, ts);
	serial = rt_serial_of(th, &c);
	rt_emit_join_request(t, serial, HBT_OP_TIMED, rt_stack_here(t, 0));
	wait = rt_wait_begin(t);
	r = real_pthread_timedjoin_np(th, ret, ts);
	rt_wait_end(t, wait);
	if (!r && c) {
		c->joined = true;
		rt_thread_recycle(c);
	}
	rt_emit_join(t, serial, HBT_OP_TIMED, r);
	rt_leave(t, saved);
	return r;
}

int pthread_detach(pthread_t th)
{
	RT_REAL(int, pthread_detach, NULL, pthread_t);
	struct hbt_event ev = {0};
	struct rt_thread *t, *c;
	int saved, r;

	t = rt_enter(&saved);
	if (!t)
		return real_pthread_detach(th);
	ev.obj = rt_serial_of(th, &c);
	r = real_pthread_detach(th);
	if (!r && c)
		c->detached = true;
	ev.type = HBT_REC_DETACH;
	ev.err = r;
	ev.stack = rt_stack_here(t, 0);
	rt_emit(t, &ev);
	rt_leave(t, saved);
	return r;
}

void pthread_exit(void *ret)
{
	RT_REAL(void, pthread_exit, NULL, void *);
	struct rt_thread *t = rt_self_get();

	/* THREAD_END op 1 is written by the TSD destructor, after the
	 * cleanup handlers this call runs */
	if (t)
		t->exiting = true;
	real_pthread_exit(ret);
	__builtin_unreachable();
}

static size_t rt_encode_tname(uint8_t *p, void *arg)
{
	uint32_t *d = arg;

	return hbt_encode_thread_name(p, d[0], d[1]);
}

int pthread_setname_np(pthread_t th, const char *name)
{
	RT_REAL(int, pthread_setname_np, NULL, pthread_t, const char *);
	struct rt_thread *t, *c;
	uint32_t d[2];
	int saved, r;

	t = rt_enter(&saved);
	r = real_pthread_setname_np(th, name);
	if (t && !r) {
		d[0] = pthread_equal(th, pthread_self()) ? t->serial
							 : rt_serial_of(th, &c);
		if (d[0]) {
			d[1] = rt_string_intern(t, name, strlen(name));
			rt_emit_def(t, HBT_DEF_ROOM(16), rt_encode_tname, d);
		}
	}
	rt_leave(t, saved);
	return r;
}

/*
 * _exit skips atexit handlers; fork children use it all the time.  The
 * trace is finalized anyway: a child that ends this way finished.
 */
void _exit(int status)
{
	RT_REAL(void, _exit, NULL, int);

	rt_finalize();
	real__exit(status);
	__builtin_unreachable();
}

void _Exit(int status)
{
	RT_REAL(void, _Exit, NULL, int);

	rt_finalize();
	real__Exit(status);
	__builtin_unreachable();
}

/* ---- fork ------------------------------------------------------------- */

pid_t fork(void)
{
	RT_REAL(pid_t, fork, NULL, void);
	struct hbt_event ev = {0};
	struct rt_thread *t;
	int saved, err;
	pid_t pid;

	t = rt_enter(&saved);
	if (!t)
		return real_fork();
	/* atfork handlers of the program run inside: record them */
	rt_leave(t, saved);
	pid = real_fork();
	err = errno;
	/* in the child, the atfork handler has opened the child's trace */
	t = rt_enter(&saved);
	if (t) {
		ev.type = HBT_REC_FORK;
		ev.arg = pid < 0 ? (uint64_t)(int64_t)-err : (uint64_t)pid;
		ev.stack = rt_stack_here(t, 0);
		rt_emit(t, &ev);
	}
	rt_leave(t, pid < 0 ? err : saved);
	return pid;
}

/* ---- exec ------------------------------------------------------------- */

enum rt_exec_kind { RT_EXECVE, RT_EXECVPE };

/* Close the trace as if the process ended; reopened by a failed exec. */
static void rt_exec_mark(struct rt_thread *t, const char *path, int err)
{
	struct hbt_event ev = {0};

	ev.type = HBT_REC_EXEC;
	ev.err = err;
	ev.data = (const uint8_t *)path;
	ev.data_len = (uint32_t)strnlen(path, 4096);
	ev.stack = rt_stack_here(t, 0);
	rt_emit(t, &ev);
	if (!err) {
		rt_chunk_drop_ahead(t);
		rt_header_sync();
	} else
		rt_header_flags(0, HBT_HDR_CLEAN_CLOSE);
}

static int rt_do_exec(enum rt_exec_kind kind, const char *path,
		      char *const argv[], char *const envp[])
{
	RT_REAL(int, execve, NULL, const char *, char *const[], char *const[]);
	RT_REAL(int, execvpe, NULL, const char *, char *const[], char *const[]);
	char gen[40], root[40];
	const char *rootenv;
	struct rt_thread *t;
	size_t n = 0, i, k = 0;
	int saved, r, err;

	t = rt_enter(&saved);
	if (t && !rt_own_process()) {
		rt_leave(t, saved);
		t = NULL;
	}
	if (!t) {
		if (kind == RT_EXECVPE)
			return real_execvpe(path, argv, envp);
		return real_execve(path, argv, envp);
	}
	while (envp && envp[n])
		n++;
	{
		char *nenv[n + 3];

		for (i = 0; i < n; i++) {
			if (!strncmp(envp[i], "HBTRACE_EXEC_GEN=", 17) ||
			    !strncmp(envp[i], "HBTRACE_ROOT_PID=", 17))
				continue;
			nenv[k++] = envp[i];
		}
		/* the new image knows it is one exec further from the root */
		rt_fmt(gen, sizeof(gen), "HBTRACE_EXEC_GEN=%u",
		       rt_exec_generation() + 1);
		rootenv = getenv("HBTRACE_ROOT_PID");
		rt_fmt(root, sizeof(root), "HBTRACE_ROOT_PID=%d",
		       rootenv ? atoi(rootenv) : (int)getpid());
		nenv[k++] = gen;
		nenv[k++] = root;
		nenv[k] = NULL;
		rt_exec_mark(t, path, 0);
		if (kind == RT_EXECVPE)
			r = real_execvpe(path, argv, nenv);
		else
			r = real_execve(path, argv, nenv);
	}
	err = errno;
	rt_exec_mark(t, path, err);
	rt_leave(t, err);
	return r;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	return rt_do_exec(RT_EXECVE, path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
	return rt_do_exec(RT_EXECVE, path, argv, environ);
}

int execvp(const char *file, char *const argv[])
{
	return rt_do_exec(RT_EXECVPE, file, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return rt_do_exec(RT_EXECVPE, file, argv, envp);
}

/* execl*: count the arguments, then gather them on the stack. */
#define RT_EXECL(kind, path, arg0, with_env)                       \
	do {                                                       \
		va_list ap;                                        \
		size_t n = 1, i;                                   \
		char *const *envp = environ;                       \
                                                                   \
		va_start(ap, arg0);                                \
		while (va_arg(ap, char *))                         \
			n++;                                       \
		va_end(ap);                                        \
		{                                                  \
			char *argv[n + 1];                         \
                                                                   \
			argv[0] = (char *)(arg0);                  \
			va_start(ap, arg0);                        \
			for (i = 1; i <= n; i++)                   \
				argv[i] = va_arg(ap, char *);      \
			if (with_env)                              \
				envp = va_arg(ap, char *const *);  \
			va_end(ap);                                \
			return rt_do_exec(kind, path, argv, envp); \
		}                                                  \
	} while (0)

int execl(const char *path, const char *arg, ...)
{
	RT_EXECL(RT_EXECVE, path, arg, 0);
}

int execlp(const char *file, const char *arg, ...)
{
	RT_EXECL(RT_EXECVPE, file, arg, 0);
}

int execle(const char *path, const char *arg, ...)
{
	RT_EXECL(RT_EXECVE, path, arg, 1);
}

/* ---- dlopen / dlclose -------------------------------------------------- */

void *dlopen(const char *file, int mode)
{
	RT_REAL(void *, dlopen, NULL, const char *, int);
	struct rt_thread *t;
	void *h;
	int saved;

	/* constructors of the library run inside: not in the runtime */
	h = real_dlopen(file, mode);
	t = rt_enter(&saved);
	if (t && h)
		rt_modules_rescan(t);
	rt_leave(t, saved);
	return h;
}

int dlclose(void *handle)
{
	RT_REAL(int, dlclose, NULL, void *);
	struct rt_thread *t;
	int saved, r;

	r = real_dlclose(handle);
	t = rt_enter(&saved);
	if (t && !r)
		rt_modules_rescan(t);
	rt_leave(t, saved);
	return r;
}
