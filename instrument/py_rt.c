// SPDX-License-Identifier: MIT
/*
 * py_rt.c - switching the CPython front-end on inside an interpreter.
 *
 * Why an audit hook: LD_PRELOAD constructors run before main(), so before
 * Py_Initialize; PySys_AddAuditHook may be called then (PEP 578 allows it
 * explicitly) and the hook survives initialization in 3.8-3.13.  The
 * events cpython.run_file / run_module / run_command are raised by
 * pymain_run_python() with the GIL held, after site has run and just
 * before the first line of user code: the earliest moment the interpreter
 * is complete and the latest before anything we must see happens.  It is
 * the same for a script, -m and -c, and needs no change to the program.
 *
 * Whatever goes wrong here costs one warning; the program runs unchanged.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "py_rt.h"
#include "rt.h"

struct py_api py_api;

static bool py_installed; /* the bootstrap ran (or failed) once */

static void *py_sym(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

/* Resolve every mandatory entry point; false if one is missing, which
 * also means "this process is not a CPython we know". */
static bool py_api_resolve(void)
{
	struct {
		void **slot;
		const char *name;
		bool optional;
	} tab[] = {
#define M(f) {(void **)&py_api.f, #f, false}
#define O(f)                                 \
	{                                    \
		(void **)&py_api.f, #f, true \
	}
		M(Py_IsInitialized),
		M(PySys_AddAuditHook),
		M(PyModule_Create2),
		M(PyImport_GetModuleDict),
		M(PyDict_SetItemString),
		M(PyDict_New),
		M(Py_CompileString),
		M(PyEval_EvalCode),
		M(PyEval_GetBuiltins),
		M(PyErr_Occurred),
		M(PyErr_Clear),
		M(PyErr_Fetch),
		M(PyErr_Restore),
		M(PyLong_AsUnsignedLongLongMask),
		M(PyLong_FromUnsignedLongLong),
		M(PyUnicode_AsUTF8AndSize),
		M(PyUnicode_InternFromString),
		M(PyObject_GetAttr),
		M(PyObject_SetAttr),
		M(PyObject_GenericGetDict),
		M(PyObject_Str),
		M(Py_IncRef),
		M(Py_DecRef),
		M(PyEval_GetFrame),
		M(PyFrame_GetLineNumber),
		O(PyFrame_GetBack),
		O(PyFrame_GetCode),
		O(PyFrame_GetLasti),
		M(PyTuple_Size),
		M(PyTuple_GetItem),
		M(PyList_Size),
		M(PyList_GetItem),
		M(PyEval_SetTrace),
		M(PyObject_CallFunctionObjArgs),
		M(PyObject_IsTrue),
		M(PyDict_GetItem),
		M(PyDict_SetItem),
		M(PyLong_AsLongLong),
		M(PyLong_FromLongLong),
		M(PyTuple_Pack),
		O(PyType_FromSpec),
		O(PyDescr_NewMethod),
#undef M
#undef O
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		*tab[i].slot = py_sym(tab[i].name);
		if (!*tab[i].slot && !tab[i].optional)
			return false;
	}
	py_api.none = py_sym("_Py_NoneStruct");
	py_api.long_type = py_sym("PyLong_Type");
	py_api.false_obj = py_sym("_Py_FalseStruct");
	py_api.true_obj = py_sym("_Py_TrueStruct");
	return py_api.none && py_api.long_type && py_api.false_obj &&
	       py_api.true_obj;
}

/* Run the embedded bootstrap in a fresh namespace.  GIL held. */
static int py_run_bootstrap(void)
{
	py_object *code, *globals, *res;

	globals = py_api.PyDict_New();
	if (!globals)
		return -1;
	if (py_api.PyDict_SetItemString(globals, "__builtins__",
					py_api.PyEval_GetBuiltins()) < 0)
		goto fail;
	code = py_api.Py_CompileString(py_boot_source, "<hbtrace>",
				       PY_FILE_INPUT);
	if (!code)
		goto fail;
	res = py_api.PyEval_EvalCode(code, globals, globals);
	py_api.Py_DecRef(code);
	if (!res)
		goto fail;
	py_api.Py_DecRef(res);
	/* the namespace stays alive through the functions it defined */
	py_api.Py_DecRef(globals);
	return 0;
fail:
	py_api.Py_DecRef(globals);
	return -1;
}

static void py_install(void)
{
	py_object *et, *ev, *tb;

	py_installed = true;
	/* Keep whatever exception state the caller had, and leave none of
	 * ours behind. */
	py_api.PyErr_Fetch(&et, &ev, &tb);
	if (py_mod_install() < 0 || py_run_bootstrap() < 0) {
		py_api.PyErr_Clear();
		if (!getenv("HBTRACE_QUIET"))
			rt_warn("python front-end could not start; "
				"asyncio and threading are not traced");
	} else {
		const char *acc = getenv("HBTRACE_PY_ACCESS");

		rt_add_features(
			HBT_FEAT_PYTHON |
			(acc && !strcmp(acc, "0") ? 0 : HBT_FEAT_PYACCESS));
	}
	py_api.PyErr_Restore(et, ev, tb);
}

static int py_audit_hook(const char *event, py_object *args, void *data)
{
	(void)args;
	(void)data;
	if (RT_LIKELY(py_installed))
		return 0;
	/* Cheap test first: this hook sees every audited event. */
	if (event[0] != 'c' || strncmp(event, "cpython.run_", 12) != 0)
		return 0;
	if (!strcmp(event + 12, "file") || !strcmp(event + 12, "module") ||
	    !strcmp(event + 12, "command"))
		py_install();
	return 0;
}

/*
 * Will startup put debug hooks on the raw allocator (-X dev, or without
 * -E/-I: PYTHONDEVMODE, PYTHONMALLOC=...debug)?  The options come before
 * the first of -c, -m or the script.
 */
static bool py_debug_alloc_ahead(void)
{
	char buf[4096], *p, *end, *pm;
	bool dev = false, ignore_env = false;
	ssize_t n;

	n = rt_read_small_file("/proc/self/cmdline", buf, sizeof(buf));
	if (n < 0)
		return false;
	end = buf + n;
	for (p = buf + strlen(buf) + 1; p < end; p += strlen(p) + 1) {
		if (p[0] != '-' || !strcmp(p, "-c") || !strcmp(p, "-m") ||
		    !strcmp(p, "-") || !strcmp(p, "--"))
			break;
		if (!strcmp(p, "-Xdev") ||
		    (!strcmp(p, "-X") && p + 3 < end && !strcmp(p + 3, "dev")))
			dev = true;
		if (p[1] != '-' && p[1] != 'X' && p[1] != 'W' &&
		    (strchr(p, 'E') || strchr(p, 'I')))
			ignore_env = true;
		/* "-X faulthandler", "-W error": the value is no script */
		if ((!strcmp(p, "-X") || !strcmp(p, "-W")) && p + 3 < end)
			p += 3;
	}
	if (dev)
		return true;
	if (ignore_env)
		return false;
	pm = getenv("PYTHONMALLOC");
	return (getenv("PYTHONDEVMODE") && *getenv("PYTHONDEVMODE")) ||
	       (pm && strstr(pm, "debug"));
}

__attribute__((constructor(200))) static void py_rt_init(void)
{
	void (*debug_hooks)(void);

	const char *e = getenv("HBTRACE_PYTHON");

	if (e && !strcmp(e, "0"))
		return;
	/* Not an interpreter (or one older than 3.8): stay out of the way. */
	if (!py_sym("PySys_AddAuditHook") || !py_sym("Py_Initialize"))
		return;
	if (!py_api_resolve()) {
		rt_warn("unknown CPython C API; python front-end disabled");
		return;
	}
	/* The hook's entry is allocated now and freed at exit; if startup
	 * puts debug hooks on the allocator in between, the free aborts
	 * ("_PyMem_DebugRawFree: bad ID", asyncio's test_env_var_debug).
	 * Put them on first: startup sets the same ones again. */
	debug_hooks = (void (*)(void))py_sym("PyMem_SetupDebugHooks");
	if (debug_hooks && py_debug_alloc_ahead())
		debug_hooks();
	if (py_api.PySys_AddAuditHook(py_audit_hook, NULL) < 0)
		rt_warn("cannot add audit hook; python front-end disabled");
}
