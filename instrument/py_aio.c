// SPDX-License-Identifier: MIT
/*
 * py_aio.c - C versions of the hottest asyncio wrappers of the bootstrap.
 *
 * Why: an asyncio program with many tasks spends the front-end's time in
 * the Python wrappers of uncontended lock, semaphore and queue operations
 * (each a Python frame, often a coroutine, plus dict work and the call of
 * ev()), not in recording.  `async with lock` natively runs two
 * coroutines (the mixin's __aenter__ awaiting acquire()); here the
 * uncontended case is done in C and returns an awaitable that completes at
 * once, so it costs less than the original.  Anything else (contention, a
 * subclass, a lock not yet named, a missing attribute) calls the original
 * Python code, which goes through the bootstrap's Python wrappers: the
 * records and the program's behaviour are those of the Python path.
 *
 * The fast paths replicate what Lock.acquire/release and
 * Semaphore.acquire/release do first in 3.8-3.13 when nobody waits (set or
 * clear _locked, or count _value); they only apply to the exact classes,
 * whose methods are known.  State lives in the instance __dict__, as the
 * bootstrap keeps it (_hbt_seq, _hbt_owner, _hbt_posts, _hbt_gets).
 */
#include <stdbool.h>
#include <string.h>

#include "py_rt.h"
#include "rt.h"

enum {
	S_NAMED,
	S_SEQ,
	S_OWNER,
	S_POSTS,
	S_GETS,
	S_JOIN,
	S_LOCKED,
	S_WAITERS,
	S_VALUE,
	S_TASK,
	S_MAX
};
static const char *const aio_str_names[S_MAX] = {
	"_hbt_named", "_hbt_seq", "_hbt_owner", "_hbt_posts", "_hbt_gets",
	"_hbt_join",  "_locked",  "_waiters",	"_value",     "task",
};
static py_object *aio_str[S_MAX];

/* The classes the fast paths are for, the originals the slow paths call,
 * the bootstrap's thread-local (its .task is the running task). */
static void *aio_lock_type, *aio_sem_type, *aio_bsem_type, *aio_queue_type;
static py_object *aio_tl;
static py_object *o_lock_aenter, *o_lock_aexit, *o_sem_aenter, *o_sem_aexit;
static py_object *o_put, *o_get, *o_tdone, *aio_join_key;
static py_object *aio_done; /* the awaitable that completes at once */

/* ---- an awaitable that is done ------------------------------------- */

/* __await__ returns the object itself; its first next() ends the
 * iteration with no exception set, which every SEND / YIELD_FROM of
 * 3.8-3.13 reads as "returned None". */
static py_object *aio_done_await(py_object *self)
{
	py_api.Py_IncRef(self);
	return self;
}

static py_object *aio_done_next(py_object *self)
{
	return NULL;
}

static bool aio_done_make(void)
{
	struct py_type_slot slots[] = {
		{PY_AM_AWAIT, (void *)aio_done_await},
		{PY_TP_ITER, (void *)aio_done_await},
		{PY_TP_ITERNEXT, (void *)aio_done_next},
		{0, NULL},
	};
	struct py_type_spec spec = {
		.name = "_hbtrace.done",
		.basicsize = (int)sizeof(py_object),
		.flags = PY_TPFLAGS_DEFAULT,
		.slots = slots,
	};
	py_object *type;

	if (aio_done)
		return true;
	type = py_api.PyType_FromSpec(&spec);
	if (!type)
		return false;
	aio_done = py_api.PyObject_CallFunctionObjArgs(type, NULL);
	py_api.Py_DecRef(type); /* the instance keeps its type alive */
	return aio_done != NULL;
}

static py_object *aio_ret_done(void)
{
	py_api.Py_IncRef(aio_done);
	return aio_done;
}

/* ---- helpers --------------------------------------------------------- */

static py_object *aio_dict(py_object *o)
{
	py_object *d = py_api.PyObject_GenericGetDict(o, NULL);

	if (!d)
		py_api.PyErr_Clear();
	return d;
}

/* d[name] as a non-negative count; 0 when absent; -1 when not an int. */
static long long aio_count(py_object *d, int name)
{
	py_object *v = py_api.PyDict_GetItem(d, aio_str[name]);
	long long r;

	if (!v)
		return 0;
	if (v->ob_type != py_api.long_type)
		return -1;
	r = py_api.PyLong_AsLongLong(v);
	if (r == -1 && py_api.PyErr_Occurred()) {
		py_api.PyErr_Clear();
		return -1;
	}
	return r;
}

static bool aio_set(py_object *d, int name, py_object *v)
{
	if (py_api.PyDict_SetItem(d, aio_str[name], v) < 0) {
		py_api.PyErr_Clear();
		return false;
	}
	return true;
}

static bool aio_set_count(py_object *d, int name, long long n)
{
	py_object *v = py_api.PyLong_FromLongLong(n);
	bool ok;

	if (!v) {
		py_api.PyErr_Clear();
		return false;
	}
	ok = aio_set(d, name, v);
	py_api.Py_DecRef(v);
	return ok;
}

/* nobody waits: _waiters is None or an empty container */
static bool aio_no_waiters(py_object *d)
{
	py_object *w = py_api.PyDict_GetItem(d, aio_str[S_WAITERS]);
	int r;

	if (!w)
		return false;
	if (w == py_api.none)
		return true;
	r = py_api.PyObject_IsTrue(w);
	if (r < 0) {
		py_api.PyErr_Clear();
		return false;
	}
	return !r;
}

/* named by the bootstrap already (naming walks frames: Python does it) */
static bool aio_named(py_object *d)
{
	py_object *v = py_api.PyDict_GetItem(d, aio_str[S_NAMED]);

	return v && v != py_api.none && v != py_api.false_obj;
}

static void aio_emit(uint8_t type, py_object *obj, uint8_t kind, uint64_t seq,
		     bool with_stack)
{
	struct hbt_event ev = {.type = type};
	struct rt_thread *t;
	int e;

	ev.obj = (uint64_t)(uintptr_t)obj;
	ev.kind = kind;
	ev.seq = seq;
	t = rt_enter(&e);
	if (!t)
		return;
	if (with_stack)
		ev.stack = py_stack_here(t);
	rt_emit(t, &ev);
	rt_leave(t, e);
}

static py_object *aio_call(py_object *fn, py_object *self, py_object *const *a,
			   ssize_t n)
{
	switch (n) {
	case 0:
		return py_api.PyObject_CallFunctionObjArgs(fn, self, NULL);
	case 1:
		return py_api.PyObject_CallFunctionObjArgs(fn, self, a[0],
							   NULL);
	case 2:
		return py_api.PyObject_CallFunctionObjArgs(fn, self, a[0], a[1],
							   NULL);
	case 3:
		return py_api.PyObject_CallFunctionObjArgs(fn, self, a[0], a[1],
							   a[2], NULL);
	default: /* __aexit__ takes three: let the original say so */
		return py_api.PyObject_CallFunctionObjArgs(fn, self, a[0], a[1],
							   a[2], a[3], NULL);
	}
}

/* ---- asyncio.Lock ---------------------------------------------------- */

static py_object *aio_lock_aenter(py_object *self, py_object *unused)
{
	py_object *d = NULL, *locked, *task;
	long long seq;

	if (self->ob_type != aio_lock_type || !(d = aio_dict(self)))
		goto slow;
	locked = py_api.PyDict_GetItem(d, aio_str[S_LOCKED]);
	if (!aio_named(d) || locked != py_api.false_obj || !aio_no_waiters(d))
		goto slow;
	seq = aio_count(d, S_SEQ);
	if (seq < 0)
		goto slow;
	task = py_api.PyObject_GetAttr(aio_tl, aio_str[S_TASK]);
	if (!task) {
		py_api.PyErr_Clear();
		task = py_api.none;
		py_api.Py_IncRef(task);
	}
	/* the lock is taken first: what follows cannot fail the program */
	if (!aio_set(d, S_LOCKED, py_api.true_obj)) {
		py_api.Py_DecRef(task);
		goto slow;
	}
	aio_set_count(d, S_SEQ, seq + 1);
	aio_set(d, S_OWNER, task);
	py_api.Py_DecRef(task);
	py_api.Py_DecRef(d);
	aio_emit(HBT_REC_ACQUIRE, self, HBT_OBJ_AIO_LOCK, (uint64_t)seq + 1,
		 true);
	return aio_ret_done();
slow:
	if (d)
		py_api.Py_DecRef(d);
	return aio_call(o_lock_aenter, self, NULL, 0);
}

static py_object *aio_lock_aexit(py_object *self, py_object *const *a,
				 ssize_t n)
{
	py_object *d = NULL;

	if (n != 3 || self->ob_type != aio_lock_type || !(d = aio_dict(self)))
		goto slow;
	if (py_api.PyDict_GetItem(d, aio_str[S_LOCKED]) != py_api.true_obj ||
	    !aio_no_waiters(d) || !aio_set(d, S_LOCKED, py_api.false_obj))
		goto slow;
	aio_set(d, S_OWNER, py_api.none);
	py_api.Py_DecRef(d);
	aio_emit(HBT_REC_RELEASE, self, HBT_OBJ_AIO_LOCK, 0, false);
	return aio_ret_done();
slow:
	if (d)
		py_api.Py_DecRef(d);
	return aio_call(o_lock_aexit, self, a, n);
}

/* ---- asyncio.Semaphore ----------------------------------------------- */

static py_object *aio_sem_aenter(py_object *self, py_object *unused)
{
	py_object *d = NULL;
	long long v, posts;

	if ((self->ob_type != aio_sem_type && self->ob_type != aio_bsem_type) ||
	    !(d = aio_dict(self)))
		goto slow;
	if (!aio_named(d) || !py_api.PyDict_GetItem(d, aio_str[S_VALUE]))
		goto slow;
	v = aio_count(d, S_VALUE);
	posts = aio_count(d, S_POSTS);
	if (v <= 0 || posts < 0 || !aio_no_waiters(d) ||
	    !aio_set_count(d, S_VALUE, v - 1))
		goto slow;
	py_api.Py_DecRef(d);
	aio_emit(HBT_REC_ACQUIRE, self, HBT_OBJ_AIO_SEM, (uint64_t)posts, true);
	return aio_ret_done();
slow:
	if (d)
		py_api.Py_DecRef(d);
	return aio_call(o_sem_aenter, self, NULL, 0);
}

/* BoundedSemaphore.release checks its bound first: the slow path */
static py_object *aio_sem_aexit(py_object *self, py_object *const *a, ssize_t n)
{
	py_object *d = NULL;
	long long v, posts;

	if (n != 3 || self->ob_type != aio_sem_type || !(d = aio_dict(self)))
		goto slow;
	if (!py_api.PyDict_GetItem(d, aio_str[S_VALUE]))
		goto slow;
	v = aio_count(d, S_VALUE);
	posts = aio_count(d, S_POSTS);
	if (v < 0 || posts < 0 || !aio_no_waiters(d) ||
	    !aio_set_count(d, S_VALUE, v + 1))
		goto slow;
	aio_set_count(d, S_POSTS, posts + 1);
	py_api.Py_DecRef(d);
	aio_emit(HBT_REC_POST, self, HBT_OBJ_AIO_SEM, (uint64_t)posts + 1,
		 false);
	return aio_ret_done();
slow:
	if (d)
		py_api.Py_DecRef(d);
	return aio_call(o_sem_aexit, self, a, n);
}

/* ---- asyncio.Queue ----------------------------------------------------
 * put_nowait / get_nowait / task_done: the original, then the record
 * (the one an exception from the original, QueueFull or QueueEmpty, must
 * not leave behind). */

static py_object *aio_q_count(py_object *self, int name, uint8_t type)
{
	py_object *d = aio_dict(self);
	long long k;

	if (!d)
		return NULL;
	k = aio_count(d, name);
	if (k >= 0 && aio_set_count(d, name, k + 1))
		aio_emit(type, self, HBT_OBJ_AIO_QUEUE, (uint64_t)k + 1, false);
	py_api.Py_DecRef(d);
	return NULL;
}

static py_object *aio_q_put(py_object *self, py_object *item)
{
	py_object *r =
		py_api.PyObject_CallFunctionObjArgs(o_put, self, item, NULL);

	if (r)
		aio_q_count(self, S_POSTS, HBT_REC_POST);
	return r;
}

static py_object *aio_q_get(py_object *self, py_object *unused)
{
	py_object *r = py_api.PyObject_CallFunctionObjArgs(o_get, self, NULL);

	if (r)
		aio_q_count(self, S_GETS, HBT_REC_ACQUIRE);
	return r;
}

/* task_done -> join returning: POST on the queue's join key (an object
 * the bootstrap's join_key() makes once per queue) */
static py_object *aio_q_task_done(py_object *self, py_object *unused)
{
	py_object *r = py_api.PyObject_CallFunctionObjArgs(o_tdone, self, NULL);
	py_object *d, *key;
	struct hbt_event ev = {.type = HBT_REC_POST};
	struct rt_thread *t;
	int e;

	if (!r)
		return NULL;
	d = aio_dict(self);
	key = d ? py_api.PyDict_GetItem(d, aio_str[S_JOIN]) : NULL;
	if (key) {
		py_api.Py_IncRef(key);
	} else {
		key = py_api.PyObject_CallFunctionObjArgs(aio_join_key, self,
							  NULL);
		if (!key)
			py_api.PyErr_Clear();
	}
	if (d)
		py_api.Py_DecRef(d);
	if (!key)
		return r;
	ev.obj = (uint64_t)(uintptr_t)key;
	ev.kind = HBT_OBJ_AIO_QUEUE;
	ev.op = HBT_OP_BROADCAST;
	ev.seq = 1;
	py_api.Py_DecRef(key); /* the queue keeps it */
	t = rt_enter(&e);
	if (t) {
		rt_emit(t, &ev);
		rt_leave(t, e);
	}
	return r;
}

/* ---- installing them -------------------------------------------------- */

static struct py_method_def aio_defs[] = {
	{"__aenter__", (void *)aio_lock_aenter, PY_METH_NOARGS, NULL},
	{"__aexit__", (void *)aio_lock_aexit, PY_METH_FASTCALL, NULL},
	{"__aenter__", (void *)aio_sem_aenter, PY_METH_NOARGS, NULL},
	{"__aexit__", (void *)aio_sem_aexit, PY_METH_FASTCALL, NULL},
	{"put_nowait", (void *)aio_q_put, PY_METH_O, NULL},
	{"get_nowait", (void *)aio_q_get, PY_METH_NOARGS, NULL},
	{"task_done", (void *)aio_q_task_done, PY_METH_NOARGS, NULL},
};

/* which of Lock, Semaphore, BoundedSemaphore, Queue each is for */
static const int aio_def_type[] = {0, 0, 1, 1, 3, 3, 3};

static void aio_keep(py_object **slot, py_object *o)
{
	py_api.Py_IncRef(o);
	*slot = o;
}

/* A method descriptor of 'def' for 'type' (a method, bound like the
 * methods of C types: no bound-method object on a call through
 * LOAD_METHOD), or NULL with the error cleared. */
static py_object *aio_method(py_object *type, struct py_method_def *def)
{
	py_object *m = py_api.PyDescr_NewMethod(type, def);

	if (!m)
		py_api.PyErr_Clear();
	return m;
}

/*
 * aio_install(tl, Lock, Semaphore, BoundedSemaphore, Queue,
 *             lock_aenter, lock_aexit, sem_aenter, sem_aexit,
 *             put_nowait, get_nowait, task_done, join_key)
 *   -> (Lock.__aenter__, Lock.__aexit__, Semaphore.__aenter__,
 *       Semaphore.__aexit__, Queue.put_nowait, .get_nowait, .task_done)
 * The originals are what the slow paths call; the bootstrap sets the
 * returned methods on the classes.  None if the fast paths are
 * unavailable (the bootstrap keeps its Python wrappers).
 */
py_object *py_aio_install(py_object *self, py_object *const *a, ssize_t n)
{
	py_object *types[4], *out[7], *r;
	int i;

	if (n != 13 || aio_tl || !py_api.PyType_FromSpec ||
	    !py_api.PyDescr_NewMethod)
		goto none;
	for (i = 0; i < S_MAX; i++) {
		if (!aio_str[i])
			aio_str[i] = py_api.PyUnicode_InternFromString(
				aio_str_names[i]);
		if (!aio_str[i])
			goto fail;
	}
	if (!aio_done_make())
		goto fail;
	for (i = 0; i < 4; i++)
		types[i] = a[1 + i];
	for (i = 0; i < 7; i++) {
		out[i] = aio_method(types[aio_def_type[i]], &aio_defs[i]);
		if (!out[i]) {
			while (i--)
				py_api.Py_DecRef(out[i]);
			goto none;
		}
	}
	r = py_api.PyTuple_Pack(7, out[0], out[1], out[2], out[3], out[4],
				out[5], out[6]);
	for (i = 0; i < 7; i++)
		py_api.Py_DecRef(out[i]);
	if (!r)
		goto fail;
	aio_lock_type = a[1];
	aio_sem_type = a[2];
	aio_bsem_type = a[3];
	aio_queue_type = a[4];
	aio_keep(&aio_tl, a[0]);
	aio_keep(&o_lock_aenter, a[5]);
	aio_keep(&o_lock_aexit, a[6]);
	aio_keep(&o_sem_aenter, a[7]);
	aio_keep(&o_sem_aexit, a[8]);
	aio_keep(&o_put, a[9]);
	aio_keep(&o_get, a[10]);
	aio_keep(&o_tdone, a[11]);
	aio_keep(&aio_join_key, a[12]);
	for (i = 1; i <= 4; i++)
		py_api.Py_IncRef(a[i]); /* the type pointers above */
	return r;
fail:
	py_api.PyErr_Clear();
none:
	py_api.Py_IncRef(py_api.none);
	return py_api.none;
}
