// SPDX-License-Identifier: MIT
/*
 * py_mod.c - the _hbtrace extension module: the recording primitives the
 * Python bootstrap (py_boot.c) calls, and Python stack capture.
 *
 * Every function here runs with the GIL held, so the caches below need no
 * lock of their own: the GIL is the lock.  Functions take plain ints
 * (METH_FASTCALL, no tuple or keyword parsing) because they sit on the hot
 * path of every task step and lock operation.
 *
 * Python stacks: frames are walked with PyEval_GetFrame / PyFrame_GetBack /
 * PyFrame_GetCode (3.9+; 3.8 has no getters, there the PyFrameObject
 * layout is fixed: f_back and f_code follow the var-object header).  Only
 * frames of user code are kept (not the standard library, site-packages or
 * the bootstrap), so a report shows the program, not asyncio's insides; if
 * no user frame is found the innermost frame stays, so a stack is never
 * empty.  A (code object, line) pair becomes one PYFRAME definition; code
 * objects are kept alive by a reference from the cache so their address
 * cannot be reused for another code object.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "py_rt.h"
#include "rt.h"
/* The one exception to "front-ends use rt.h only": ending a deadlocked
 * run must take the watchdog's path (header flag, header sync, status
 * RT_DEADLOCK_STATUS), and task times count from the header's start. */
#include "rt_priv.h"

#define PY_MAX_WALK 48 /* frames looked at */
#define PY_MAX_KEEP 16 /* frames kept in a stack */

/* ---- per-code-object cache ------------------------------------------ */

struct py_code_info {
	py_object *code;     /* NULL = free slot (a reference is held) */
	uint32_t file, func; /* string ids */
	uint32_t first_line;
	bool user;
};

static struct py_code_info *py_codes;
static uint32_t py_codes_cap, py_codes_n;

struct py_frame_key {
	py_object *code; /* NULL = free */
	uint32_t line;
	uint32_t id; /* PYFRAME id */
};

static struct py_frame_key *py_frames;
static uint32_t py_frames_cap, py_frames_n, py_frames_next = 1;

/* str object -> string id (names of accessed variables, lock names) */
struct py_str_key {
	py_object *s;
	uint32_t id;
};

static struct py_str_key *py_strs;
static uint32_t py_strs_cap, py_strs_n;

/* Paths that are not user code (stdlib, site-packages) and paths tracked
 * anyway (HBTRACE_TRACK), set by the bootstrap. */
#define PY_MAX_PREFIX 16
static char *py_excl[PY_MAX_PREFIX], *py_incl[PY_MAX_PREFIX];
static int py_nexcl, py_nincl;

static uint64_t py_t0;	     /* CLOCK_MONOTONIC when the module was made */
static uint64_t py_stall_ns; /* loop-stall threshold, 0 = off */

static inline uint64_t py_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static uint64_t py_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Grow an open-addressing table to twice its size: rehash with 'rehash'. */
static bool py_code_grow(void)
{
	uint32_t ncap = py_codes_cap ? py_codes_cap * 2 : 1024, i;
	struct py_code_info *n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (i = 0; i < py_codes_cap; i++) {
		struct py_code_info *o = &py_codes[i];
		uint32_t j;

		if (!o->code)
			continue;
		j = (uint32_t)py_hash((uintptr_t)o->code) & (ncap - 1);
		while (n[j].code)
			j = (j + 1) & (ncap - 1);
		n[j] = *o;
	}
	free(py_codes);
	py_codes = n;
	py_codes_cap = ncap;
	return true;
}

static bool py_frame_grow(void)
{
	uint32_t ncap = py_frames_cap ? py_frames_cap * 2 : 4096, i;
	struct py_frame_key *n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (i = 0; i < py_frames_cap; i++) {
		struct py_frame_key *o = &py_frames[i];
		uint32_t j;

		if (!o->code)
			continue;
		j = (uint32_t)py_hash((uintptr_t)o->code * 31 + o->line) &
		    (ncap - 1);
		while (n[j].code)
			j = (j + 1) & (ncap - 1);
		n[j] = *o;
	}
	free(py_frames);
	py_frames = n;
	py_frames_cap = ncap;
	return true;
}

static bool py_str_grow(void)
{
	uint32_t ncap = py_strs_cap ? py_strs_cap * 2 : 1024, i;
	struct py_str_key *n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (i = 0; i < py_strs_cap; i++) {
		uint32_t j;

		if (!py_strs[i].s)
			continue;
		j = (uint32_t)py_hash((uintptr_t)py_strs[i].s) & (ncap - 1);
		while (n[j].s)
			j = (j + 1) & (ncap - 1);
		n[j] = py_strs[i];
	}
	free(py_strs);
	py_strs = n;
	py_strs_cap = ncap;
	return true;
}

static bool py_has_prefix(const char *s, char *const *tab, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(s, tab[i], strlen(tab[i])))
			return true;
	return false;
}

static bool py_file_is_user(const char *file)
{
	if (file[0] == '<') /* <frozen ...>, <hbtrace>, <string>, <stdin> */
		return !strcmp(file, "<stdin>") || !strcmp(file, "<string>");
	if (py_has_prefix(file, py_incl, py_nincl))
		return true;
	return !py_has_prefix(file, py_excl, py_nexcl);
}

/* A string attribute of 'o' interned as a trace string; 0 on failure. */
static uint32_t py_attr_string(struct rt_thread *t, py_object *o,
			       const char *attr)
{
	py_object *name = py_api.PyUnicode_InternFromString(attr), *v;
	const char *s;
	ssize_t len;
	uint32_t id = 0;

	if (!name)
		goto out;
	v = py_api.PyObject_GetAttr(o, name);
	py_api.Py_DecRef(name);
	if (!v)
		goto out;
	s = py_api.PyUnicode_AsUTF8AndSize(v, &len);
	if (s)
		id = rt_string_intern(t, s, (size_t)len);
	py_api.Py_DecRef(v);
out:
	if (py_api.PyErr_Occurred())
		py_api.PyErr_Clear();
	return id;
}

static long py_attr_long(py_object *o, const char *attr)
{
	py_object *name = py_api.PyUnicode_InternFromString(attr), *v;
	long r = 0;

	if (!name)
		goto out;
	v = py_api.PyObject_GetAttr(o, name);
	py_api.Py_DecRef(name);
	if (!v)
		goto out;
	r = (long)py_api.PyLong_AsUnsignedLongLongMask(v);
	py_api.Py_DecRef(v);
out:
	if (py_api.PyErr_Occurred())
		py_api.PyErr_Clear();
	return r;
}

static struct py_code_info *py_code_info(struct rt_thread *t, py_object *code)
{
	uint32_t j;
	struct py_code_info *ci;
	ssize_t len;
	const char *file;
	py_object *fo, *name;

	if (py_codes_cap) {
		j = (uint32_t)py_hash((uintptr_t)code) & (py_codes_cap - 1);
		while (py_codes[j].code) {
			if (py_codes[j].code == code)
				return &py_codes[j];
			j = (j + 1) & (py_codes_cap - 1);
		}
	}
	if ((py_codes_n + 1) * 2 > py_codes_cap && !py_code_grow())
		return NULL;
	j = (uint32_t)py_hash((uintptr_t)code) & (py_codes_cap - 1);
	while (py_codes[j].code)
		j = (j + 1) & (py_codes_cap - 1);
	ci = &py_codes[j];
	memset(ci, 0, sizeof(*ci));
	ci->user = false;
	name = py_api.PyUnicode_InternFromString("co_filename");
	fo = name ? py_api.PyObject_GetAttr(code, name) : NULL;
	if (name)
		py_api.Py_DecRef(name);
	if (fo) {
		file = py_api.PyUnicode_AsUTF8AndSize(fo, &len);
		if (file) {
			ci->file = rt_string_intern(t, file, (size_t)len);
			ci->user = py_file_is_user(file);
		}
		py_api.Py_DecRef(fo);
	}
	if (py_api.PyErr_Occurred())
		py_api.PyErr_Clear();
	/* co_qualname (3.11+) says Class.method; older ones only co_name */
	ci->func = py_attr_string(t, code, "co_qualname");
	if (!ci->func)
		ci->func = py_attr_string(t, code, "co_name");
	ci->first_line = (uint32_t)py_attr_long(code, "co_firstlineno");
	py_api.Py_IncRef(code);
	ci->code = code;
	py_codes_n++;
	return ci;
}

struct py_frame_def {
	uint32_t id, func, file, line, first;
};

static size_t py_encode_frame(uint8_t *p, void *arg)
{
	struct py_frame_def *d = arg;

	return hbt_encode_pyframe(p, d->id, d->func, d->file, d->line,
				  d->first);
}

/* PYFRAME id of (code, line), defining it the first time. */
static uint32_t py_frame_id(struct rt_thread *t, struct py_code_info *ci,
			    uint32_t line)
{
	uint32_t j;
	struct py_frame_def d;

	if (py_frames_cap) {
		j = (uint32_t)py_hash((uintptr_t)ci->code * 31 + line) &
		    (py_frames_cap - 1);
		while (py_frames[j].code) {
			if (py_frames[j].code == ci->code &&
			    py_frames[j].line == line)
				return py_frames[j].id;
			j = (j + 1) & (py_frames_cap - 1);
		}
	}
	if ((py_frames_n + 1) * 2 > py_frames_cap && !py_frame_grow())
		return 0;
	j = (uint32_t)py_hash((uintptr_t)ci->code * 31 + line) &
	    (py_frames_cap - 1);
	while (py_frames[j].code)
		j = (j + 1) & (py_frames_cap - 1);
	py_frames[j].code = ci->code;
	py_frames[j].line = line;
	py_frames[j].id = py_frames_next++;
	py_frames_n++;
	d.id = py_frames[j].id;
	d.func = ci->func;
	d.file = ci->file;
	d.line = line;
	d.first = ci->first_line;
	rt_emit_def(t, HBT_DEF_ROOM(40), py_encode_frame, &d);
	return d.id;
}

/*
 * PYFRAME id of the instruction a frame is at.  Where the interpreter has
 * PyFrame_GetLasti (3.11+) the (code, instruction offset) pair is cached
 * in the frame table under a tagged key: computing the line number from
 * the offset (PyFrame_GetLineNumber decodes the line table) cost about 2000
 * instructions per frame, most of a stack capture.  Older interpreters
 * compute the line every time.
 */
#define PY_LASTI_TAG 0x80000000u

static uint32_t py_frame_here(struct rt_thread *t, struct py_code_info *ci,
			      py_object *frame)
{
	uint32_t j, key, id;
	int lasti, line;

	lasti = py_api.PyFrame_GetLasti ? py_api.PyFrame_GetLasti(frame) : -1;
	if (lasti < 0 || (uint32_t)lasti >= PY_LASTI_TAG) {
		line = py_api.PyFrame_GetLineNumber(frame);
		return py_frame_id(t, ci, line > 0 ? (uint32_t)line : 0);
	}
	key = PY_LASTI_TAG | (uint32_t)lasti;
	if (py_frames_cap) {
		j = (uint32_t)py_hash((uintptr_t)ci->code * 31 + key) &
		    (py_frames_cap - 1);
		while (py_frames[j].code) {
			if (py_frames[j].code == ci->code &&
			    py_frames[j].line == key)
				return py_frames[j].id;
			j = (j + 1) & (py_frames_cap - 1);
		}
	}
	line = py_api.PyFrame_GetLineNumber(frame);
	id = py_frame_id(t, ci, line > 0 ? (uint32_t)line : 0);
	if (!id || ((py_frames_n + 1) * 2 > py_frames_cap && !py_frame_grow()))
		return id;
	j = (uint32_t)py_hash((uintptr_t)ci->code * 31 + key) &
	    (py_frames_cap - 1);
	while (py_frames[j].code)
		j = (j + 1) & (py_frames_cap - 1);
	py_frames[j].code = ci->code;
	py_frames[j].line = key;
	py_frames[j].id = id;
	py_frames_n++;
	return id;
}

/* A stack being collected: innermost first, user frames preferred. */
struct py_stack_acc {
	uint64_t frames[PY_MAX_KEEP];
	uint32_t n;
	uint64_t first_any; /* innermost frame of any kind, for fallback */
};

/* Add a frame; returns false once the stack is complete.  Only the
 * innermost run of user frames is kept: past it come the event loop, the
 * thread bootstrap or asyncio.run(), which say nothing about the bug. */
static bool py_acc_add(struct rt_thread *t, struct py_stack_acc *a,
		       py_object *code, py_object *frame)
{
	struct py_code_info *ci;
	uint32_t id;

	if (a->n >= PY_MAX_KEEP)
		return false;
	ci = py_code_info(t, code);
	if (!ci)
		return true;
	if (!ci->user) {
		if (a->n)
			return false;
		if (a->first_any)
			return true;
	}
	id = py_frame_here(t, ci, frame);
	if (!id)
		return true;
	if (!ci->user)
		a->first_any = HBT_FRAME_FROM_PY(id);
	else
		a->frames[a->n++] = HBT_FRAME_FROM_PY(id);
	return true;
}

static uint32_t py_acc_intern(struct rt_thread *t, struct py_stack_acc *a)
{
	if (!a->n && a->first_any)
		a->frames[a->n++] = a->first_any;
	if (!a->n)
		return 0;
	return rt_stack_intern(t, a->frames, a->n);
}

/* Code object and back pointer of a frame: getters in 3.9+, fixed layout
 * in 3.8 (PyObject_VAR_HEAD, f_back, f_code).  New references. */
static py_object *py_frame_code(py_object *f)
{
	py_object *c;

	if (py_api.PyFrame_GetCode)
		return py_api.PyFrame_GetCode(f);
	c = ((py_object **)f)[4];
	py_api.Py_IncRef(c);
	return c;
}

static py_object *py_frame_back(py_object *f)
{
	py_object *b;

	if (py_api.PyFrame_GetBack)
		return py_api.PyFrame_GetBack(f);
	b = ((py_object **)f)[3];
	if (b)
		py_api.Py_IncRef(b);
	return b;
}

uint32_t py_stack_here(struct rt_thread *t)
{
	struct py_stack_acc a = {.n = 0};
	py_object *f = py_api.PyEval_GetFrame(), *next, *code;
	int walked = 0;

	if (!f)
		return 0;
	py_api.Py_IncRef(f);
	while (f && walked++ < PY_MAX_WALK && a.n < PY_MAX_KEEP) {
		code = py_frame_code(f);
		if (code) {
			bool more = py_acc_add(t, &a, code, f);

			py_api.Py_DecRef(code);
			if (!more)
				break;
		}
		next = py_frame_back(f);
		py_api.Py_DecRef(f);
		f = next;
	}
	if (f)
		py_api.Py_DecRef(f);
	return py_acc_intern(t, &a);
}

static py_object *py_getattr_opt(py_object *o, const char *attr)
{
	py_object *name = py_api.PyUnicode_InternFromString(attr), *v = NULL;

	if (name) {
		v = py_api.PyObject_GetAttr(o, name);
		py_api.Py_DecRef(name);
	}
	if (!v && py_api.PyErr_Occurred())
		py_api.PyErr_Clear();
	if (v == py_api.none) {
		py_api.Py_DecRef(v);
		v = NULL;
	}
	return v;
}

/* Interned attribute names, made once (GIL held; they live forever). */
enum { PY_A_CR_AWAIT, PY_A_CR_FRAME, PY_A_GI_YF, PY_A_GI_FRAME, PY_A_MAX };
static const char *const py_attr_names[PY_A_MAX] = {
	"cr_await",
	"cr_frame",
	"gi_yieldfrom",
	"gi_frame",
};
static py_object *py_attrs[PY_A_MAX];

static py_object *py_getattr_id(py_object *o, int which)
{
	py_object *v;

	if (!py_attrs[which]) {
		py_attrs[which] =
			py_api.PyUnicode_InternFromString(py_attr_names[which]);
		if (!py_attrs[which]) {
			py_api.PyErr_Clear();
			return NULL;
		}
	}
	v = py_api.PyObject_GetAttr(o, py_attrs[which]);
	if (!v) {
		py_api.PyErr_Clear();
		return NULL;
	}
	if (v == py_api.none) {
		py_api.Py_DecRef(v);
		return NULL;
	}
	return v;
}

/* 0 coroutine, 1 generator, -1 anything else (a future ends the chain).
 * tp_name sits right after the var-object header in every version. */
static int py_coro_kind(py_object *o)
{
	const char *tn = ((const char *const *)o->ob_type)[3];

	if (!tn)
		return -1;
	if (!strcmp(tn, "coroutine"))
		return 0;
	if (!strcmp(tn, "generator"))
		return 1;
	return -1;
}

/* Where a suspended coroutine waits: follow cr_await / gi_yieldfrom down
 * to the innermost coroutine, outermost frame first, then reverse.  The
 * type is checked first so that no AttributeError is ever raised (they
 * cost more than the walk). */
static uint32_t py_stack_of_coro(struct rt_thread *t, py_object *coro)
{
	py_object *chain[PY_MAX_WALK];
	int kinds[PY_MAX_WALK];
	int n = 0, i, k;
	struct py_stack_acc a = {.n = 0};
	py_object *c = coro, *frame, *code;

	py_api.Py_IncRef(c);
	while (c && n < PY_MAX_WALK) {
		k = py_coro_kind(c);
		if (k < 0) {
			py_api.Py_DecRef(c);
			break;
		}
		kinds[n] = k;
		chain[n++] = c;
		c = py_getattr_id(c, k ? PY_A_GI_YF : PY_A_CR_AWAIT);
	}
	if (n == PY_MAX_WALK && c)
		py_api.Py_DecRef(c);
	for (i = n - 1; i >= 0; i--) {
		frame = py_getattr_id(chain[i],
				      kinds[i] ? PY_A_GI_FRAME : PY_A_CR_FRAME);
		if (frame) {
			code = py_frame_code(frame);
			if (code) {
				py_acc_add(t, &a, code, frame);
				py_api.Py_DecRef(code);
			}
			py_api.Py_DecRef(frame);
		}
		py_api.Py_DecRef(chain[i]);
	}
	return py_acc_intern(t, &a);
}

/* Where a coroutine object's code starts (never-awaited coroutines). */
static uint32_t py_stack_of_code(struct rt_thread *t, py_object *coro)
{
	struct py_stack_acc a = {.n = 0};
	py_object *code = py_getattr_opt(coro, "cr_code");
	struct py_code_info *ci;
	uint32_t id;

	if (!code)
		return 0;
	ci = py_code_info(t, code);
	py_api.Py_DecRef(code);
	if (!ci)
		return 0;
	id = py_frame_id(t, ci, ci->first_line);
	if (!id)
		return 0;
	a.frames[a.n++] = HBT_FRAME_FROM_PY(id);
	return py_acc_intern(t, &a);
}

static uint32_t py_string_of(struct rt_thread *t, py_object *s)
{
	uint32_t j, id;
	const char *u;
	ssize_t len;

	if (s == py_api.none)
		return 0;
	if (py_strs_cap) {
		j = (uint32_t)py_hash((uintptr_t)s) & (py_strs_cap - 1);
		while (py_strs[j].s) {
			if (py_strs[j].s == s)
				return py_strs[j].id;
			j = (j + 1) & (py_strs_cap - 1);
		}
	}
	u = py_api.PyUnicode_AsUTF8AndSize(s, &len);
	if (!u) {
		py_api.PyErr_Clear();
		return 0;
	}
	id = rt_string_intern(t, u, (size_t)len);
	/* Only cache a bounded number of distinct objects: names repeat, a
	 * program formatting fresh strings would otherwise grow this. */
	if (py_strs_n >= (1u << 20) ||
	    ((py_strs_n + 1) * 2 > py_strs_cap && !py_str_grow()))
		return id;
	j = (uint32_t)py_hash((uintptr_t)s) & (py_strs_cap - 1);
	while (py_strs[j].s)
		j = (j + 1) & (py_strs_cap - 1);
	py_api.Py_IncRef(s);
	py_strs[j].s = s;
	py_strs[j].id = id;
	py_strs_n++;
	return id;
}

/* ---- the module functions ------------------------------------------- */

/* An int argument; anything else reads as 0 and leaves no exception set
 * (a function returning a value with an error set is a SystemError). */
static inline uint64_t py_u(py_object *o)
{
	uint64_t v = py_api.PyLong_AsUnsignedLongLongMask(o);

	if (RT_UNLIKELY(v == (uint64_t)-1) && py_api.PyErr_Occurred()) {
		py_api.PyErr_Clear();
		return 0;
	}
	return v;
}

/*
 * An object argument: an int is taken as the id itself, anything else is
 * the object, whose id is its address (what id() returns in CPython).
 * Why objects: every call of the builtin id() raises the audit event
 * "builtins.id", and with our audit hook installed each one builds an
 * argument tuple and calls the hooks, about 3000 instructions; the
 * bootstrap passes objects instead.
 */
static inline uint64_t py_oid(py_object *o)
{
	if (o->ob_type == py_api.long_type)
		return py_u(o);
	return (uint64_t)(uintptr_t)o;
}

static py_object *py_ret_none(void)
{
	py_api.Py_IncRef(py_api.none);
	return py_api.none;
}

static py_object *py_ret_u(uint64_t v)
{
	return py_api.PyLong_FromUnsignedLongLong(v);
}

static void py_emit(struct hbt_event *ev)
{
	int e;
	struct rt_thread *t = rt_enter(&e);

	if (!t)
		return;
	rt_emit(t, ev);
	rt_leave(t, e);
}

/* ev(type, obj, kind, op, seq_or_outcome, stack): a synchronization
 * record (OBJ_INIT, REQUEST, ACQUIRE, FAIL, RELEASE, POST).  'obj' is an
 * object or an int id (py_oid); 'stack' a stack id, or None for the
 * caller's stack taken here (one call instead of stack() and ev()). */
static py_object *py_f_ev(py_object *self, py_object *const *a, ssize_t n)
{
	struct hbt_event ev = {0};
	struct rt_thread *t;
	int e;

	if (n != 6)
		return py_ret_none();
	ev.type = (uint8_t)py_u(a[0]);
	ev.obj = py_oid(a[1]);
	ev.kind = (uint8_t)py_u(a[2]);
	ev.op = (uint8_t)py_u(a[3]);
	if (ev.type == HBT_REC_FAIL)
		ev.outcome = (uint8_t)py_u(a[4]);
	else if (ev.type == HBT_REC_OBJ_INIT)
		ev.arg = py_u(a[4]);
	else
		ev.seq = py_u(a[4]);
	t = rt_enter(&e);
	if (!t)
		return py_ret_none();
	if (a[5] == py_api.none)
		ev.stack = py_stack_here(t);
	else
		ev.stack = (uint32_t)py_u(a[5]);
	rt_emit(t, &ev);
	rt_leave(t, e);
	return py_ret_none();
}

/* stack() -> id of the current Python stack (user frames). */
static py_object *py_f_stack(py_object *self, py_object *const *a, ssize_t n)
{
	int e;
	struct rt_thread *t = rt_enter(&e);
	uint32_t id = 0;

	if (t) {
		id = py_stack_here(t);
		rt_leave(t, e);
	}
	return py_ret_u(id);
}

/* task_create(task, parent, loop, stack) */
static py_object *py_f_task_create(py_object *self, py_object *const *a,
				   ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_TASK_CREATE};

	if (n != 4)
		return py_ret_none();
	ev.obj = py_u(a[0]);
	ev.obj2 = py_u(a[1]);
	ev.arg = py_oid(a[2]);
	ev.stack = (uint32_t)py_u(a[3]);
	py_emit(&ev);
	return py_ret_none();
}

/* task_step(task) -> monotonic ns since start */
static py_object *py_f_task_step(py_object *self, py_object *const *a,
				 ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_TASK_STEP};

	if (n != 1)
		return py_ret_none();
	ev.obj = py_u(a[0]);
	ev.time_ns = py_mono_ns() - py_t0;
	if (!ev.time_ns)
		ev.time_ns = 1;
	py_emit(&ev);
	return py_ret_u(ev.time_ns);
}

/* A step that ran longer than the threshold blocked the loop: LOOP_STALL
 * with where it blocked ('stall': a time.sleep call seen by the
 * bootstrap) or else where the step ended. */
static void py_check_stall(struct rt_thread *t, uint64_t task, uint64_t t0,
			   uint64_t now, uint32_t stall, uint32_t end_stack,
			   py_object *coro)
{
	struct hbt_event ev = {.type = HBT_REC_LOOP_STALL};

	if (!py_stall_ns || now < t0 || now - t0 < py_stall_ns)
		return;
	ev.obj = task;
	ev.arg = now - t0;
	ev.stack = stall ? stall : end_stack;
	if (!ev.stack && coro && coro != py_api.none)
		ev.stack = py_stack_of_code(t, coro);
	rt_emit(t, &ev);
}

/* task_suspend(task, awaited, kind, coro, t0, stall_stack) */
static py_object *py_f_task_suspend(py_object *self, py_object *const *a,
				    ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_TASK_SUSPEND};
	struct rt_thread *t;
	int e;

	if (n != 6)
		return py_ret_none();
	ev.obj = py_u(a[0]);
	ev.obj2 = py_oid(a[1]);
	ev.kind = (uint8_t)py_u(a[2]);
	ev.time_ns = py_mono_ns() - py_t0;
	t = rt_enter(&e);
	if (t) {
		ev.stack = py_stack_of_coro(t, a[3]);
		rt_emit(t, &ev);
		py_check_stall(t, ev.obj, py_u(a[4]), ev.time_ns,
			       (uint32_t)py_u(a[5]), ev.stack, a[3]);
		rt_leave(t, e);
	}
	return py_ret_none();
}

/* task_done(task, outcome, exc_type_name or None, t0, stall_stack, coro) */
static py_object *py_f_task_done(py_object *self, py_object *const *a,
				 ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_TASK_DONE};
	struct rt_thread *t;
	uint64_t now;
	int e;

	if (n != 6)
		return py_ret_none();
	ev.obj = py_u(a[0]);
	ev.outcome = (uint8_t)py_u(a[1]);
	now = py_mono_ns() - py_t0;
	t = rt_enter(&e);
	if (t) {
		ev.arg = py_string_of(t, a[2]);
		rt_emit(t, &ev);
		py_check_stall(t, ev.obj, py_u(a[3]), now, (uint32_t)py_u(a[4]),
			       0, a[5]);
		rt_leave(t, e);
	}
	return py_ret_none();
}

/* task_await(awaiter, awaited, op, stack) */
static py_object *py_f_task_await(py_object *self, py_object *const *a,
				  ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_TASK_AWAIT};

	if (n != 4)
		return py_ret_none();
	ev.obj = py_u(a[0]);
	ev.obj2 = py_u(a[1]);
	ev.op = (uint8_t)py_u(a[2]);
	ev.stack = (uint32_t)py_u(a[3]);
	py_emit(&ev);
	return py_ret_none();
}

/* task_taken(task) */
static py_object *py_f_task_taken(py_object *self, py_object *arg)
{
	struct hbt_event ev = {.type = HBT_REC_TASK_RESULT_TAKEN};

	ev.obj = py_u(arg);
	py_emit(&ev);
	return py_ret_none();
}

/* task_left(task_or_coro_id, reason, stack, coro or None): when 'coro' is
 * given and 'stack' is 0, the stack is where the coroutine waits (or
 * where its code starts if it never ran). */
static py_object *py_f_task_left(py_object *self, py_object *const *a,
				 ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_TASK_LEFT};
	struct rt_thread *t;
	int e;

	if (n != 4)
		return py_ret_none();
	ev.obj = py_oid(a[0]);
	ev.op = (uint8_t)py_u(a[1]);
	ev.stack = (uint32_t)py_u(a[2]);
	t = rt_enter(&e);
	if (t) {
		if (!ev.stack && a[3] != py_api.none) {
			ev.stack = py_stack_of_coro(t, a[3]);
			if (!ev.stack)
				ev.stack = py_stack_of_code(t, a[3]);
		}
		rt_emit(t, &ev);
		rt_leave(t, e);
	}
	return py_ret_none();
}

/* loop_stall(task, duration_ns, stack) */
static py_object *py_f_loop_stall(py_object *self, py_object *const *a,
				  ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_LOOP_STALL};

	if (n != 3)
		return py_ret_none();
	ev.obj = py_u(a[0]);
	ev.arg = py_u(a[1]);
	ev.stack = (uint32_t)py_u(a[2]);
	py_emit(&ev);
	return py_ret_none();
}

/* access(task, op, target, obj, name, op, target, obj, name, ...): the
 * PY_ACCESS records of one line of user code, all with the stack of the
 * caller (taken once). */
static py_object *py_f_access(py_object *self, py_object *const *a, ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_PY_ACCESS};
	struct rt_thread *t;
	ssize_t i;
	int e;

	if (n < 5)
		return py_ret_none();
	ev.obj2 = py_u(a[0]);
	t = rt_enter(&e);
	if (!t)
		return py_ret_none();
	ev.stack = py_stack_here(t);
	for (i = 1; i + 3 < n; i += 4) {
		ev.op = (uint8_t)py_u(a[i]);
		ev.outcome = (uint8_t)py_u(a[i + 1]);
		ev.obj = py_oid(a[i + 2]);
		ev.arg = py_string_of(t, a[i + 3]);
		rt_emit(t, &ev);
	}
	rt_leave(t, e);
	return py_ret_none();
}

struct py_name_def {
	uint64_t obj;
	uint8_t kind;
	uint32_t name, coro;
	bool task;
};

static size_t py_encode_name(uint8_t *p, void *arg)
{
	struct py_name_def *d = arg;

	if (d->task)
		return hbt_encode_task_name(p, d->obj, d->name, d->coro);
	return hbt_encode_obj_name(p, d->obj, d->kind, d->name);
}

/* obj_name(obj, kind, name) */
static py_object *py_f_obj_name(py_object *self, py_object *const *a, ssize_t n)
{
	struct py_name_def d = {0};
	struct rt_thread *t;
	int e;

	if (n != 3)
		return py_ret_none();
	d.obj = py_oid(a[0]);
	d.kind = (uint8_t)py_u(a[1]);
	t = rt_enter(&e);
	if (t) {
		d.name = py_string_of(t, a[2]);
		if (d.name)
			rt_emit_def(t, HBT_DEF_ROOM(32), py_encode_name, &d);
		rt_leave(t, e);
	}
	return py_ret_none();
}

/* task_name(task, name, coro_name) */
static py_object *py_f_task_name(py_object *self, py_object *const *a,
				 ssize_t n)
{
	struct py_name_def d = {.task = true};
	struct rt_thread *t;
	int e;

	if (n != 3)
		return py_ret_none();
	d.obj = py_oid(a[0]);
	t = rt_enter(&e);
	if (t) {
		d.name = py_string_of(t, a[1]);
		d.coro = py_string_of(t, a[2]);
		rt_emit_def(t, HBT_DEF_ROOM(32), py_encode_name, &d);
		rt_leave(t, e);
	}
	return py_ret_none();
}

/* now() -> monotonic ns since the front-end started */
static py_object *py_f_now(py_object *self, py_object *unused)
{
	return py_ret_u(py_mono_ns() - py_t0);
}

static void py_prefixes_set(py_object *seq, char **tab, int *n)
{
	ssize_t i, len = py_api.PyTuple_Size(seq);
	const char *s;

	if (len < 0) {
		py_api.PyErr_Clear();
		return;
	}
	for (i = 0; i < len && *n < PY_MAX_PREFIX; i++) {
		s = py_api.PyUnicode_AsUTF8AndSize(
			py_api.PyTuple_GetItem(seq, i), NULL);
		if (!s) {
			py_api.PyErr_Clear();
			continue;
		}
		if (*s)
			tab[(*n)++] = strdup(s);
	}
}

/* config(excluded_prefixes, tracked_prefixes, stall_ns) */
static py_object *py_f_config(py_object *self, py_object *const *a, ssize_t n)
{
	if (n == 3) {
		py_prefixes_set(a[0], py_excl, &py_nexcl);
		py_prefixes_set(a[1], py_incl, &py_nincl);
		py_stall_ns = py_u(a[2]);
	}
	return py_ret_none();
}

/* is_user(filename) -> bool as int */
static py_object *py_f_is_user(py_object *self, py_object *arg)
{
	const char *s = py_api.PyUnicode_AsUTF8AndSize(arg, NULL);

	if (!s) {
		py_api.PyErr_Clear();
		return py_ret_u(0);
	}
	return py_ret_u(py_file_is_user(s));
}

/* obj_dict(obj): the instance dict, for the front-end's Task.__dict__.
 * Python's own __dict__ getter refuses a class whose bases mix a pure
 * Python class with a static C type that has a dict (the C Future before
 * 3.12); the generic getter has no such check. */
static py_object *py_f_obj_dict(py_object *self, py_object *arg)
{
	return py_api.PyObject_GenericGetDict(arg, NULL);
}

/* deadlock(thread_obj_pairs...): DEADLOCK records for a cycle the
 * front-end found (tasks waiting on each other, or the loop thread on a
 * lock a suspended task holds), one per waiting lock. */
static py_object *py_f_deadlock(py_object *self, py_object *const *a, ssize_t n)
{
	struct hbt_event ev = {.type = HBT_REC_DEADLOCK, .op = 1};
	struct rt_thread *t;
	ssize_t i;
	int e;

	t = rt_enter(&e);
	if (!t)
		return py_ret_none();
	for (i = 0; i < n; i++) {
		ev.obj2 = t->serial;
		ev.obj = py_oid(a[i]);
		rt_emit(t, &ev);
	}
	rt_leave(t, e);
	return py_ret_none();
}

/* ---- shared-state tracing ------------------------------------------
 *
 * A C trace function (PyEval_SetTrace) instead of sys.settrace: the
 * interpreter calls it for every call and line of every frame, and a
 * Python-level one costs a Python call each time, most of them in asyncio
 * and the standard library where there is nothing to record.  Here a
 * line of code without accesses costs a hash lookup; a line with some
 * calls the bootstrap's record(frame, accesses).  The bootstrap gives,
 * per code object, a list indexed by line - co_firstlineno (None for
 * code with nothing to record).  A trailing False in that list means
 * some line of the code accesses state after an await: each call event
 * of such code (a coroutine resuming) calls record(frame, None), which
 * records what follows the await it resumes at.
 */
struct py_tcode {
	py_object *code;  /* NULL = free (a reference is held) */
	py_object *lines; /* list, or NULL: nothing to record */
	long first;
	ssize_t n;
	bool user;   /* user code (else: no line events wanted at all) */
	bool resume; /* record(frame, None) at each call event */
};

static struct py_tcode *py_tcodes;
static uint32_t py_tcodes_cap, py_tcodes_n;
static py_object *py_table_fn, *py_record_fn;

static bool py_tcode_grow(void)
{
	uint32_t ncap = py_tcodes_cap ? py_tcodes_cap * 2 : 1024, i, j;
	struct py_tcode *n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (i = 0; i < py_tcodes_cap; i++) {
		if (!py_tcodes[i].code)
			continue;
		j = (uint32_t)py_hash((uintptr_t)py_tcodes[i].code) &
		    (ncap - 1);
		while (n[j].code)
			j = (j + 1) & (ncap - 1);
		n[j] = py_tcodes[i];
	}
	free(py_tcodes);
	py_tcodes = n;
	py_tcodes_cap = ncap;
	return true;
}

static bool py_code_is_user(py_object *code)
{
	py_object *fo = py_getattr_opt(code, "co_filename");
	const char *file;
	bool user = false;

	if (!fo)
		return false;
	file = py_api.PyUnicode_AsUTF8AndSize(fo, NULL);
	if (file)
		user = py_file_is_user(file);
	else
		py_api.PyErr_Clear();
	py_api.Py_DecRef(fo);
	return user;
}

/* The entry of a code object seen before, or NULL. */
static struct py_tcode *py_tcode_find(py_object *code)
{
	uint32_t j;

	if (!py_tcodes_cap)
		return NULL;
	j = (uint32_t)py_hash((uintptr_t)code) & (py_tcodes_cap - 1);
	while (py_tcodes[j].code) {
		if (py_tcodes[j].code == code)
			return &py_tcodes[j];
		j = (j + 1) & (py_tcodes_cap - 1);
	}
	return NULL;
}

static struct py_tcode *py_tcode_of(py_object *code)
{
	struct py_tcode *tc;
	py_object *r;
	uint32_t j;

	tc = py_tcode_find(code);
	if (tc)
		return tc;
	if ((py_tcodes_n + 1) * 2 > py_tcodes_cap && !py_tcode_grow())
		return NULL;
	j = (uint32_t)py_hash((uintptr_t)code) & (py_tcodes_cap - 1);
	while (py_tcodes[j].code)
		j = (j + 1) & (py_tcodes_cap - 1);
	tc = &py_tcodes[j];
	py_api.Py_IncRef(code);
	tc->code = code;
	tc->lines = NULL;
	tc->resume = false;
	tc->user = py_code_is_user(code);
	py_tcodes_n++;
	r = py_api.PyObject_CallFunctionObjArgs(py_table_fn, code, NULL);
	if (!r) {
		py_api.PyErr_Clear();
		return tc;
	}
	if (r == py_api.none) {
		py_api.Py_DecRef(r);
		return tc;
	}
	tc->n = py_api.PyList_Size(r);
	if (tc->n > 0 &&
	    py_api.PyList_GetItem(r, tc->n - 1) == py_api.false_obj) {
		tc->resume = true;
		tc->n--;
	}
	if (tc->n <= 0 && !tc->resume) {
		py_api.PyErr_Clear();
		py_api.Py_DecRef(r);
		return tc;
	}
	tc->lines = r;
	tc->first = py_attr_long(code, "co_firstlineno");
	return tc;
}

#define PY_TRACE_CALL 0
#define PY_TRACE_LINE 2

static py_object *py_str_f_trace_lines; /* interned "f_trace_lines" */

static int py_tracefunc(py_object *obj, py_object *frame, int what,
			py_object *arg)
{
	struct py_tcode *tc;
	py_object *code, *accs, *r;
	long idx;

	(void)obj;
	(void)arg;
	if (what != PY_TRACE_LINE && what != PY_TRACE_CALL)
		return 0;
	code = py_frame_code(frame);
	if (!code)
		return 0;
	tc = py_tcode_of(code);
	py_api.Py_DecRef(code);
	if (what == PY_TRACE_CALL) {
		/* Why: most lines run are the event loop's and the standard
		 * library's, where there is nothing to record; without line
		 * events for such a frame the interpreter skips the call into
		 * this function for each of its lines.  User frames keep
		 * theirs (a debugger started later still steps through
		 * them). */
		if (tc && !tc->user && py_str_f_trace_lines &&
		    py_api.PyObject_SetAttr(frame, py_str_f_trace_lines,
					    py_api.false_obj) < 0)
			py_api.PyErr_Clear();
		if (!tc || !tc->resume)
			return 0;
		accs = py_api.none;
	} else {
		if (!tc || !tc->lines)
			return 0;
		idx = py_api.PyFrame_GetLineNumber(frame) - tc->first;
		if (idx < 0 || idx >= tc->n)
			return 0;
		accs = py_api.PyList_GetItem(tc->lines, idx);
		if (!accs || accs == py_api.none)
			return 0;
	}
	r = py_api.PyObject_CallFunctionObjArgs(py_record_fn, frame, accs,
						NULL);
	if (r)
		py_api.Py_DecRef(r);
	else
		py_api.PyErr_Clear();
	return 0;
}

/* trace_config(table_fn, record_fn) */
static py_object *py_f_trace_config(py_object *self, py_object *const *a,
				    ssize_t n)
{
	if (n == 2 && !py_table_fn) {
		py_api.Py_IncRef(a[0]);
		py_api.Py_IncRef(a[1]);
		py_table_fn = a[0];
		py_record_fn = a[1];
		py_str_f_trace_lines =
			py_api.PyUnicode_InternFromString("f_trace_lines");
		if (!py_str_f_trace_lines)
			py_api.PyErr_Clear();
	}
	return py_ret_none();
}

/* ---- 3.11: code that is not the user's runs untraced ------------------
 *
 * Why: in 3.11 a trace function puts every frame of its thread into the
 * interpreter's tracing mode, where each instruction takes the slow
 * dispatch path with its specialization undone; f_trace_lines = False
 * only spares the call into py_tracefunc.  The event loop and the
 * standard library run most instructions of an asyncio program, and there
 * is nothing to record in them.  A PEP 523 frame evaluator sees every
 * frame start and every coroutine resume (with one installed, 3.11 no
 * longer inlines Python-to-Python calls) and runs code that is not the
 * user's with the thread's _PyCFrame.use_tracing byte at 0:
 * _PyEval_EvalFrameDefault copies that byte into the new frame's own
 * _PyCFrame and, when it returns, back into the caller's, which the
 * evaluator then restores.  Code not classified yet runs traced, so that
 * py_tracefunc's call event classifies it.  The offsets are those of
 * every 3.11 release (PyThreadState is in the public cpython/pystate.h;
 * _PyInterpreterFrame's leading fields in internal/pycore_frame.h);
 * 3.8-3.10 have no such byte and 3.12+ a different mechanism (PEP 669),
 * so they keep plain tracing.  HBTRACE_PY_FAST_EVAL=0 turns this off.
 */
#define PY311_TS_TRACING     44 /* int tracing: inside a trace call */
#define PY311_TS_CFRAME	     56 /* _PyCFrame *cframe; use_tracing first */
#define PY311_TS_C_TRACEFUNC 72 /* Py_tracefunc c_tracefunc */
#define PY311_FRAME_F_CODE   32 /* _PyInterpreterFrame.f_code */

typedef py_object *(*py_eval_frame_fn)(void *tstate, void *frame,
				       int throwflag);
static py_eval_frame_fn py_eval_default;

static inline bool py311_traced_by_us(char *tstate)
{
	return *(void **)(tstate + PY311_TS_C_TRACEFUNC) ==
	       (void *)py_tracefunc;
}

static py_object *py311_eval_frame(void *ts, void *frame, int throwflag)
{
	char *tstate = ts;
	struct py_tcode *tc;
	uint8_t *use, saved, want;
	py_object *r;

	if (!py311_traced_by_us(tstate) || *(int *)(tstate + PY311_TS_TRACING))
		return py_eval_default(ts, frame, throwflag);
	tc = py_tcode_find(*(py_object **)((char *)frame + PY311_FRAME_F_CODE));
	want = tc && !tc->user ? 0 : 255;
	use = *(uint8_t **)(tstate + PY311_TS_CFRAME);
	saved = *use;
	if (saved == want)
		return py_eval_default(ts, frame, throwflag);
	*use = want;
	r = py_eval_default(ts, frame, throwflag);
	/* the callee copied its byte back into the caller's _PyCFrame; a
	 * trace function changed meanwhile (settrace) keeps what it set */
	if (py311_traced_by_us(tstate))
		**(uint8_t **)(tstate + PY311_TS_CFRAME) = saved;
	return r;
}

static void py311_eval_install(void)
{
	static bool tried;
	const unsigned long *version;
	void *(*interp_get)(void);
	void *(*eval_get)(void *);
	void (*eval_set)(void *, py_eval_frame_fn);
	const char *env = getenv("HBTRACE_PY_FAST_EVAL");
	void *interp;

	if (tried)
		return;
	tried = true;
	if (env && !strcmp(env, "0"))
		return;
	version = dlsym(RTLD_DEFAULT, "Py_Version"); /* 3.11+ */
	if (!version || (*version >> 16) != 0x030b)
		return;
	py_eval_default = (py_eval_frame_fn)dlsym(RTLD_DEFAULT,
						  "_PyEval_EvalFrameDefault");
	interp_get =
		(void *(*)(void))dlsym(RTLD_DEFAULT, "PyInterpreterState_Get");
	eval_get = (void *(*)(void *))dlsym(
		RTLD_DEFAULT, "_PyInterpreterState_GetEvalFrameFunc");
	eval_set = (void (*)(void *, py_eval_frame_fn))dlsym(
		RTLD_DEFAULT, "_PyInterpreterState_SetEvalFrameFunc");
	if (!py_eval_default || !interp_get || !eval_get || !eval_set)
		return;
	interp = interp_get();
	/* someone else's evaluator (a debugger, a JIT): leave it alone */
	if (eval_get(interp) != (void *)py_eval_default)
		return;
	eval_set(interp, py311_eval_frame);
}

/* trace_on(): trace the calling thread */
static py_object *py_f_trace_on(py_object *self, py_object *unused)
{
	if (py_table_fn) {
		py311_eval_install();
		py_api.PyEval_SetTrace(py_tracefunc, NULL);
	}
	return py_ret_none();
}

struct py_tname_def {
	uint32_t serial, name;
};

static size_t py_encode_tname(uint8_t *p, void *arg)
{
	struct py_tname_def *d = arg;

	return hbt_encode_thread_name(p, d->serial, d->name);
}

/* thread_name(name): THREAD_NAME of the calling thread */
static py_object *py_f_thread_name(py_object *self, py_object *arg)
{
	struct py_tname_def d;
	struct rt_thread *t;
	int e;

	t = rt_enter(&e);
	if (t) {
		d.serial = t->serial;
		d.name = py_string_of(t, arg);
		if (d.name)
			rt_emit_def(t, HBT_DEF_ROOM(16), py_encode_tname, &d);
		rt_leave(t, e);
	}
	return py_ret_none();
}

/* stop_deadlocked(): the front-end found a live deadlock among tasks (its
 * DEADLOCK records are written): mark the trace and, as the watchdog does
 * under HBTRACE_DEADLOCK=exit, finalize it and leave with
 * RT_DEADLOCK_STATUS.  Python's own finalization cannot run: the thread
 * that would run it is the stuck one.  Under "report" the program is left
 * as it is, like a deadlocked C program. */
static py_object *py_f_stop_deadlocked(py_object *self, py_object *unused)
{
	rt_header_flags(HBT_HDR_DEADLOCK, 0);
	if (rt_opts.deadlock_action == RT_DEADLOCK_EXIT) {
		rt_header_sync();
		_exit(RT_DEADLOCK_STATUS);
	}
	return py_ret_none();
}

/* quiet() -> HBTRACE_QUIET as the runtime read it */
static py_object *py_f_quiet(py_object *self, py_object *unused)
{
	return py_ret_u(rt_opts.quiet);
}

static struct py_method_def py_methods[] = {
	{"thread_name", (void *)py_f_thread_name, PY_METH_O, NULL},
	{"trace_config", (void *)py_f_trace_config, PY_METH_FASTCALL, NULL},
	{"trace_on", (void *)py_f_trace_on, PY_METH_NOARGS, NULL},
	{"stop_deadlocked", (void *)py_f_stop_deadlocked, PY_METH_NOARGS, NULL},
	{"quiet", (void *)py_f_quiet, PY_METH_NOARGS, NULL},
	{"ev", (void *)py_f_ev, PY_METH_FASTCALL, NULL},
	{"stack", (void *)py_f_stack, PY_METH_FASTCALL, NULL},
	{"task_create", (void *)py_f_task_create, PY_METH_FASTCALL, NULL},
	{"task_step", (void *)py_f_task_step, PY_METH_FASTCALL, NULL},
	{"task_suspend", (void *)py_f_task_suspend, PY_METH_FASTCALL, NULL},
	{"task_done", (void *)py_f_task_done, PY_METH_FASTCALL, NULL},
	{"task_await", (void *)py_f_task_await, PY_METH_FASTCALL, NULL},
	{"task_taken", (void *)py_f_task_taken, PY_METH_O, NULL},
	{"task_left", (void *)py_f_task_left, PY_METH_FASTCALL, NULL},
	{"loop_stall", (void *)py_f_loop_stall, PY_METH_FASTCALL, NULL},
	{"access", (void *)py_f_access, PY_METH_FASTCALL, NULL},
	{"obj_name", (void *)py_f_obj_name, PY_METH_FASTCALL, NULL},
	{"task_name", (void *)py_f_task_name, PY_METH_FASTCALL, NULL},
	{"now", (void *)py_f_now, PY_METH_NOARGS, NULL},
	{"config", (void *)py_f_config, PY_METH_FASTCALL, NULL},
	{"is_user", (void *)py_f_is_user, PY_METH_O, NULL},
	{"obj_dict", (void *)py_f_obj_dict, PY_METH_O, NULL},
	{"deadlock", (void *)py_f_deadlock, PY_METH_FASTCALL, NULL},
	{"aio_install", (void *)py_aio_install, PY_METH_FASTCALL, NULL},
	{NULL, NULL, 0, NULL},
};

/* Static for the life of the process: the interpreter keeps a pointer.
 * A huge refcount keeps it from ever being "freed" (it is not a heap
 * object) on any version, immortal or not. */
static struct py_module_def py_moddef = {
	.ob_base = {.ob_refcnt = 1l << 40},
	.m_name = "_hbtrace",
	.m_doc = "hbtrace recording primitives (internal)",
	.m_size = -1,
	.m_methods = py_methods,
};

/* The trace's start_monotonic_ns: task times count from it. */
static uint64_t py_trace_start(void)
{
	struct hbt_file_header h;
	const char *path = rt_trace_path();
	int fd;

	if (!path || !*path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		h.start_monotonic_ns = 0;
	close(fd);
	return h.start_monotonic_ns;
}

/* In a fork child the runtime starts a new trace with fresh id spaces:
 * every cached string, frame and stack id belongs to the parent's trace.
 * The tables are dropped (their references leak: a few code objects). */
static void py_mod_after_fork(void)
{
	free(py_codes);
	free(py_frames);
	free(py_strs);
	py_codes = NULL;
	py_frames = NULL;
	py_strs = NULL;
	py_codes_cap = py_codes_n = 0;
	py_frames_cap = py_frames_n = 0;
	py_strs_cap = py_strs_n = 0;
	py_frames_next = 1;
	py_t0 = py_trace_start();
	if (!py_t0 || py_t0 > py_mono_ns())
		py_t0 = py_mono_ns();
}

int py_mod_install(void)
{
	py_object *m;
	int r;

	py_t0 = py_trace_start();
	if (!py_t0 || py_t0 > py_mono_ns())
		py_t0 = py_mono_ns();
	pthread_atfork(NULL, NULL, py_mod_after_fork);
	m = py_api.PyModule_Create2(&py_moddef, PY_API_VERSION);
	if (!m)
		return -1;
	r = py_api.PyDict_SetItemString(py_api.PyImport_GetModuleDict(),
					"_hbtrace", m);
	py_api.Py_DecRef(m);
	return r;
}
