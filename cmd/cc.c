// SPDX-License-Identifier: MIT
/*
 * cc.c - `hbtrace cc` and `hbtrace c++`: build C/C++ with memory-access
 * recording.
 *
 * The compiler ($CC / $CXX, default cc / c++) runs with the user's
 * arguments and -fsanitize=thread, so it instruments every access with
 * calls to __tsan_*, but the binary is linked against our no-op runtime
 * (libhbtrace-tsan.so) instead of libtsan:
 *
 *  - clang: -fno-sanitize-link-runtime keeps its runtime out, and we add
 *    -lhbtrace-tsan; when compiling, -tsan-instrument-read-before-write
 *    keeps the read of `counter++` (clang drops it by default, and a lost
 *    update needs it);
 *  - gcc has no such switch and always adds -ltsan (and its preinit
 *    object, which only calls __tsan_init): a -L directory holding a
 *    libtsan.so linker script, INPUT(-lhbtrace-tsan), answers that -ltsan
 *    with our library.  When compiling, -fno-builtin-mem{set,cpy,move}
 *    keeps those calls (gcc would expand them inline, uninstrumented).
 *
 * Both get -Wl,-rpath to the runtime directory, so the binary runs on its
 * own; `hbtrace run` preloads libhbtrace.so, whose recording __tsan_*
 * functions then take precedence over the stub's.  Separate -c and link
 * steps work the same way: link flags are only added when the command
 * links.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"

#ifndef HBT_PREFIX
#define HBT_PREFIX "/usr/local"
#endif

#define CC_STUB "libhbtrace-tsan.so"

static const char cc_usage[] =
	"usage: hbtrace cc [COMPILER ARGS...]\n"
	"       hbtrace c++ [COMPILER ARGS...]\n"
	"\n"
	"Runs $CC (cc) or $CXX (c++) with the given arguments, instrumenting\n"
	"memory accesses (-fsanitize=thread) and linking against hbtrace's\n"
	"runtime instead of ThreadSanitizer's.  The program runs normally on\n"
	"its own; under `hbtrace run` its accesses are recorded and `hbtrace\n"
	"report` finds data races and lost updates.\n"
	"\n"
	"environment:\n"
	"  CC, CXX          the compiler to run (may include arguments)\n"
	"  HBTRACE_LIBDIR   where libhbtrace-tsan.so is (default: next to\n"
	"                   hbtrace, or " HBT_PREFIX "/lib/hbtrace)\n";

static bool cc_file_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

/* Directory holding libhbtrace-tsan.so: $HBTRACE_LIBDIR, the directory of
 * the hbtrace executable, its ../lib/hbtrace, or the install prefix. */
static int cc_find_libdir(char *out, size_t len)
{
	const char *env = getenv("HBTRACE_LIBDIR");
	char self[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return cc_file_exists(out, CC_STUB) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dirname(self);
		if (cc_file_exists(self, CC_STUB)) {
			snprintf(out, len, "%s", self);
			return 0;
		}
		snprintf(cand, sizeof(cand), "%s/../lib/hbtrace", self);
		if (cc_file_exists(cand, CC_STUB) && realpath(cand, out))
			return 0;
	}
	snprintf(out, len, "%s/lib/hbtrace", HBT_PREFIX);
	return cc_file_exists(out, CC_STUB) ? 0 : -ENOENT;
}

/* Split "$CC" on blanks into 'words' (at most max-1); modifies s. */
static int cc_split(char *s, const char **words, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *w = strtok_r(s, " \t", &save); w && n < max - 1;
	     w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	return n;
}

/* Is the compiler clang?  Asks it, like configure scripts do. */
static bool cc_is_clang(const char *const *compiler, int ncompiler)
{
	char cmd[4096] = "", line[512];
	size_t used = 0;
	bool clang = false;
	FILE *p;

	for (int i = 0; i < ncompiler; i++) {
		int w = snprintf(cmd + used, sizeof(cmd) - used, "'%s' ",
				 compiler[i]);
		if (w < 0 || (size_t)w >= sizeof(cmd) - used)
			return false;
		used += (size_t)w;
	}
	snprintf(cmd + used, sizeof(cmd) - used, "--version 2>/dev/null");
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "clang"))
			clang = true;
	pclose(p);
	return clang;
}

/* Does this command line link (no -c, -S, -E, -M, -MM, -fsyntax-only)? */
static bool cc_links(int argc, const char **argv)
{
	if (argc < 2)
		return false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-c") || !strcmp(a, "-S") || !strcmp(a, "-E") ||
		    !strcmp(a, "-M") || !strcmp(a, "-MM") ||
		    !strcmp(a, "-fsyntax-only") || !strcmp(a, "--version") ||
		    !strcmp(a, "-v") || !strncmp(a, "-print-", 7) ||
		    !strncmp(a, "-dump", 5))
			return false;
	}
	return true;
}

/* Does the command compile a source file (not only link objects)? */
static bool cc_compiles(int argc, const char **argv)
{
	static const char *const ext[] = {".c",	  ".cc", ".cpp", ".cxx",
					  ".c++", ".C",	 ".i",	 ".ii"};

	for (int i = 1; i < argc; i++) {
		const char *dot = strrchr(argv[i], '.');

		if (argv[i][0] == '-' || !dot)
			continue;
		for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++)
			if (!strcmp(dot, ext[k]))
				return true;
	}
	return false;
}

int cmd_cc(int argc, const char **argv)
{
	bool cxx = !strcmp(argv[0], "c++");
	const char *env = getenv(cxx ? "CXX" : "CC");
	char compiler_buf[1024], libdir[PATH_MAX], ldir[PATH_MAX + 16];
	char ldir2[PATH_MAX + 16], rpath[PATH_MAX + 16];
	const char *compiler[32];
	const char **args;
	int ncompiler, n = 0;
	bool links = cc_links(argc, argv), clang;

	if (cmd_wants_help(argc, argv)) {
		fputs(cc_usage, stdout);
		return 0;
	}
	snprintf(compiler_buf, sizeof(compiler_buf), "%s",
		 env && *env ? env : (cxx ? "c++" : "cc"));
	ncompiler = cc_split(compiler_buf, compiler, 32);
	if (ncompiler == 0) {
		fprintf(stderr, "error: $%s is empty\n", cxx ? "CXX" : "CC");
		return 2;
	}
	if (links && cc_find_libdir(libdir, sizeof(libdir)) < 0) {
		fprintf(stderr,
			"error: cannot find %s (set HBTRACE_LIBDIR or run "
			"make)\n",
			CC_STUB);
		return 2;
	}
	clang = cc_is_clang(compiler, ncompiler);

	args = calloc((size_t)argc + ncompiler + 12, sizeof(*args));
	if (!args) {
		fprintf(stderr, "error: out of memory\n");
		return 2;
	}
	for (int i = 0; i < ncompiler; i++)
		args[n++] = compiler[i];
	args[n++] = "-fsanitize=thread";
	/* clang instruments only the write of a read-then-write in one
	 * basic block; lost updates need the read too */
	if (clang && cc_compiles(argc, argv)) {
		args[n++] = "-mllvm";
		args[n++] = "-tsan-instrument-read-before-write=1";
	}
	/* gcc expands memset/memcpy/memmove inline after instrumenting,
	 * so those stores would go unseen: keep them calls the runtime
	 * wraps */
	if (!clang && cc_compiles(argc, argv)) {
		args[n++] = "-fno-builtin-memset";
		args[n++] = "-fno-builtin-memcpy";
		args[n++] = "-fno-builtin-memmove";
	}
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	if (links) {
		snprintf(ldir, sizeof(ldir), "-L%s", libdir);
		snprintf(rpath, sizeof(rpath), "-Wl,-rpath,%s", libdir);
		if (clang) {
			args[n++] = "-fno-sanitize-link-runtime";
			args[n++] = ldir;
			args[n++] = "-lhbtrace-tsan";
		} else {
			/* before the system directories, so gcc's own
			 * -ltsan finds the linker script */
			snprintf(ldir2, sizeof(ldir2), "-L%s/tsan-ld", libdir);
			args[n++] = ldir2;
			args[n++] = ldir;
		}
		args[n++] = rpath;
	}
	args[n] = NULL;

	execvp(args[0], (char *const *)args);
	fprintf(stderr, "error: cannot run compiler '%s': %s\n", args[0],
		strerror(errno));
	free(args);
	return 2;
}
