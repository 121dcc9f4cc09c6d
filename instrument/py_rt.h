/* SPDX-License-Identifier: MIT */
/*
 * py_rt.h - the CPython / asyncio front-end of the runtime.
 *
 * The front-end never includes Python.h: one build must serve every
 * CPython 3.8-3.13, so the few C-API entry points it needs are resolved at
 * run time with dlsym(RTLD_DEFAULT) and the few structures it touches
 * (PyObject header, PyMethodDef, PyModuleDef) are declared here with the
 * layout they have had, unchanged, in every default (GIL) build since 3.8.
 *
 * Activation: py_rt.c's constructor registers a PEP 578 audit hook before
 * the interpreter initializes; when "cpython.run_file", "run_module" or
 * "run_command" fires (GIL held, just before user code) it creates the
 * _hbtrace extension module (recording functions, py_mod.c) and runs the
 * embedded bootstrap (py_boot.c) that patches asyncio and threading.
 */
#ifndef HBT_PY_RT_H
#define HBT_PY_RT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The parts of the C API the front-end relies on. */
typedef struct py_object {
	ssize_t ob_refcnt; /* a union with split 32-bit halves in 3.12+ */
	void *ob_type;
} py_object;

typedef py_object *(*py_fastcall_fn)(py_object *self, py_object *const *args,
				     ssize_t nargs);

struct py_method_def {
	const char *ml_name;
	void *ml_meth;
	int ml_flags;
	const char *ml_doc;
};

#define PY_METH_O	 0x0008
#define PY_METH_NOARGS	 0x0004
#define PY_METH_FASTCALL 0x0080
#define PY_API_VERSION	 1013
#define PY_FILE_INPUT	 257

/* PyType_FromSpec (stable ABI): slot numbers from typeslots.h */
struct py_type_slot {
	int slot;
	void *pfunc;
};

struct py_type_spec {
	const char *name;
	int basicsize, itemsize;
	unsigned int flags;
	struct py_type_slot *slots;
};

#define PY_TP_ITER	   62
#define PY_TP_ITERNEXT	   63
#define PY_AM_AWAIT	   77
#define PY_TPFLAGS_DEFAULT (1u << 18) /* HAVE_VERSION_TAG; ignored in 3.13 */

struct py_module_def {
	py_object ob_base;
	void *m_init;
	ssize_t m_index;
	py_object *m_copy;
	const char *m_name;
	const char *m_doc;
	ssize_t m_size;
	struct py_method_def *m_methods;
	void *m_slots, *m_traverse, *m_clear, *m_free;
};

/* C-API functions, resolved once by py_api_resolve(). */
struct py_api {
	int (*Py_IsInitialized)(void);
	int (*PySys_AddAuditHook)(int (*hook)(const char *, py_object *,
					      void *),
				  void *);
	py_object *(*PyModule_Create2)(struct py_module_def *, int);
	py_object *(*PyImport_GetModuleDict)(void);
	int (*PyDict_SetItemString)(py_object *, const char *, py_object *);
	py_object *(*PyDict_New)(void);
	py_object *(*Py_CompileString)(const char *, const char *, int);
	py_object *(*PyEval_EvalCode)(py_object *, py_object *, py_object *);
	py_object *(*PyEval_GetBuiltins)(void);
	py_object *(*PyErr_Occurred)(void);
	void (*PyErr_Clear)(void);
	void (*PyErr_Fetch)(py_object **, py_object **, py_object **);
	void (*PyErr_Restore)(py_object *, py_object *, py_object *);
	unsigned long long (*PyLong_AsUnsignedLongLongMask)(py_object *);
	py_object *(*PyLong_FromUnsignedLongLong)(unsigned long long);
	const char *(*PyUnicode_AsUTF8AndSize)(py_object *, ssize_t *);
	py_object *(*PyUnicode_InternFromString)(const char *);
	py_object *(*PyObject_GetAttr)(py_object *, py_object *);
	int (*PyObject_SetAttr)(py_object *, py_object *, py_object *);
	py_object *(*PyObject_GenericGetDict)(py_object *, void *);
	py_object *(*PyObject_Str)(py_object *);
	void (*Py_IncRef)(py_object *);
	void (*Py_DecRef)(py_object *);
	py_object *(*PyEval_GetFrame)(void);
	int (*PyFrame_GetLineNumber)(py_object *);
	py_object *(*PyFrame_GetBack)(py_object *); /* 3.9+, else NULL */
	py_object *(*PyFrame_GetCode)(py_object *); /* 3.9+, else NULL */
	int (*PyFrame_GetLasti)(py_object *);	    /* 3.11+, else NULL */
	ssize_t (*PyTuple_Size)(py_object *);
	py_object *(*PyTuple_GetItem)(py_object *, ssize_t);
	ssize_t (*PyList_Size)(py_object *);
	py_object *(*PyList_GetItem)(py_object *, ssize_t);
	void (*PyEval_SetTrace)(int (*)(py_object *, py_object *, int,
					py_object *),
				py_object *);
	py_object *(*PyObject_CallFunctionObjArgs)(py_object *, ...);
	int (*PyObject_IsTrue)(py_object *);
	py_object *(*PyDict_GetItem)(py_object *, py_object *);
	int (*PyDict_SetItem)(py_object *, py_object *, py_object *);
	long long (*PyLong_AsLongLong)(py_object *);
	py_object *(*PyLong_FromLongLong)(long long);
	py_object *(*PyTuple_Pack)(ssize_t, ...);
	/* for py_aio.c's fast paths; without them it stays off */
	py_object *(*PyType_FromSpec)(struct py_type_spec *);
	py_object *(*PyDescr_NewMethod)(py_object *, struct py_method_def *);
	py_object *none;      /* &_Py_NoneStruct */
	void *long_type;      /* &PyLong_Type */
	py_object *false_obj; /* &_Py_FalseStruct */
	py_object *true_obj;  /* &_Py_TrueStruct */
};

extern struct py_api py_api __attribute__((visibility("hidden")));

/* Create the _hbtrace module and register it in sys.modules; 0 or -1
 * (Python error cleared). GIL held. */
int py_mod_install(void) __attribute__((visibility("hidden")));

struct rt_thread;

/* Id of the current Python stack (user frames), defining what it needs
 * (py_mod.c).  Inside rt_enter(). */
uint32_t py_stack_here(struct rt_thread *t) __attribute__((visibility("hidden")));

/* _hbtrace.aio_install(...): the C fast paths of asyncio's Lock,
 * Semaphore and Queue methods (py_aio.c). */
py_object *py_aio_install(py_object *self, py_object *const *a, ssize_t n)
	__attribute__((visibility("hidden")));

/* The embedded bootstrap source (py_boot.c). */
extern const char py_boot_source[] __attribute__((visibility("hidden")));

#endif /* HBT_PY_RT_H */
