// SPDX-License-Identifier: MIT
/*
 * run.c - `hbtrace run`: preload the runtime into a program, wait for it,
 * print the report of every trace it wrote.
 *
 * The CLI talks to the runtime through the environment only (uftrace's
 * record does the same): LD_PRELOAD with the runtime first, HBTRACE_OUT
 * for the file name pattern, HBTRACE_LIST for a file the runtime appends
 * each trace path to (one per process: fork and exec children too), and
 * the option variables HBTRACE_DEADLOCK / _STACKS / _PYTHON.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmds.h"
#include "hbt_reader.h"
#include "report.h"

static const char run_usage[] =
	"usage: hbtrace run [-o FILE] [--no-report] "
	"[--deadlock=exit|report|off]\n"
	"                   [--no-stacks] [--python=on|off] [--] PROGRAM "
	"[ARGS...]\n"
	"\n"
	"Run PROGRAM with the hbtrace runtime preloaded, write a trace per\n"
	"process and print the report on stderr when it ends (stdout stays\n"
	"PROGRAM's).  Exits with PROGRAM's status (128+N when killed by\n"
	"signal N).\n"
	"\n"
	"  -o, --output FILE   trace file name; %p becomes the pid\n"
	"                      (default hbtrace.%p.hbt)\n"
	"  --no-report         only record\n"
	"  --deadlock=ACTION   on a live deadlock: exit (stop the program,\n"
	"                      default), report (note it, keep waiting), off\n"
	"  --no-stacks         do not record native stacks (faster)\n"
	"  --python=on|off     the CPython/asyncio front-end (default on)\n";

struct run_opts {
	const char *out;
	const char *deadlock;
	bool no_report, no_stacks, python_off;
};

static volatile pid_t run_child;

/*
 * A signal sent to hbtrace alone (kill, a CI timeout) goes on to the
 * program.  One the terminal sent (SI_KERNEL: ^C, hangup) already reached
 * the whole foreground process group, the program included: forwarding it
 * again would deliver it twice.
 */
static void forward_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (run_child > 0 && info->si_code != SI_KERNEL)
		kill(run_child, sig);
}

/* One line, like every usage error of hbtrace. */
static int usage_error(const char *fmt, const char *arg)
{
	fputs("hbtrace: error: run: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'hbtrace run --help')\n", stderr);
	return 2;
}

/* strerror() starts with a capital; hbtrace's messages are lowercase. */
static const char *errstr(int err)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* Returns the index of PROGRAM in argv, or -1 after printing an error
 * (-2: help was printed). */
static int parse_args(int argc, const char **argv, struct run_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return i + 1 < argc
				       ? i + 1
				       : (usage_error("%s", "no program given"),
					  -1);
		if (a[0] != '-')
			return i;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(run_usage, stdout);
			return -2;
		}
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc) {
				usage_error("'%s' needs a file name", a);
				return -1;
			}
			o->out = argv[i];
		} else if (!strncmp(a, "-o", 2)) {
			o->out = a + 2;
		} else if (!strncmp(a, "--output=", 9)) {
			o->out = a + 9;
		} else if (!strcmp(a, "--no-report")) {
			o->no_report = true;
		} else if (!strcmp(a, "--no-stacks")) {
			o->no_stacks = true;
		} else if (!strncmp(a, "--deadlock=", 11)) {
			o->deadlock = a + 11;
			if (strcmp(o->deadlock, "exit") &&
			    strcmp(o->deadlock, "report") &&
			    strcmp(o->deadlock, "off")) {
				usage_error("unknown deadlock action '%s'",
					    o->deadlock);
				return -1;
			}
		} else if (!strcmp(a, "--python=on")) {
			o->python_off = false;
		} else if (!strcmp(a, "--python=off")) {
			o->python_off = true;
		} else {
			usage_error("unknown option '%s'", a);
			return -1;
		}
	}
	usage_error("%s", "no program given");
	return -1;
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/*
 * The runtime: $HBTRACE_RUNTIME, else libhbtrace.so next to this
 * executable (the build tree), else <prefix>/lib/hbtrace/libhbtrace.so
 * with prefix = the executable's directory/.. (an install).
 */
static int find_runtime(char *buf, size_t len)
{
	char exe[PATH_MAX];
	const char *env = getenv("HBTRACE_RUNTIME");
	ssize_t n;
	char *slash;

	if (env && *env) {
		/* absolute: the program may change directory before exec */
		if (!is_file(env) || !realpath(env, exe) || strlen(exe) >= len)
			return -ENOENT;
		memcpy(buf, exe, strlen(exe) + 1);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if (snprintf(buf, len, "%s/libhbtrace.so", exe) < (int)len &&
	    is_file(buf))
		return 0;
	if (snprintf(buf, len, "%s/../lib/hbtrace/libhbtrace.so", exe) <
		    (int)len &&
	    is_file(buf)) {
		char real[PATH_MAX];

		/* a clean LD_PRELOAD entry, without "bin/.." */
		if (realpath(buf, real) && strlen(real) < len)
			memcpy(buf, real, strlen(real) + 1);
		return 0;
	}
	return -ENOENT;
}

static int set_preload(const char *runtime)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int ret;

	if (old && *old)
		ret = asprintf(&val, "%s:%s", runtime, old);
	else
		ret = asprintf(&val, "%s", runtime);
	if (ret < 0)
		return -ENOMEM;
	ret = setenv("LD_PRELOAD", val, 1);
	free(val);
	return ret ? -errno : 0;
}

struct path_list {
	char **v;
	size_t n, cap;
};

static int path_list_add(struct path_list *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], p))
			return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n] = strdup(p);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static void path_list_free(struct path_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The traces the runtime listed; if it listed none, the one -o names. */
static void collect_traces(const char *list, const char *pattern, pid_t pid,
			   struct path_list *out)
{
	FILE *f = fopen(list, "r");
	char line[PATH_MAX + 2];

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] && is_file(line))
				path_list_add(out, line);
		}
		fclose(f);
	}
	if (!out->n) {
		/* expand %p the way the runtime does, for the root pid */
		char path[PATH_MAX];
		size_t k = 0;

		for (const char *p = pattern; *p && k + 24 < sizeof(path);
		     p++) {
			if (p[0] == '%' && p[1] == 'p') {
				k += (size_t)snprintf(path + k,
						      sizeof(path) - k, "%d",
						      (int)pid);
				p++;
			} else {
				path[k++] = *p;
			}
		}
		path[k] = '\0';
		if (is_file(path))
			path_list_add(out, path);
	}
}

/*
 * One line per trace, up to a screenful: a program started through a
 * wrapper script (a pyenv shim runs a dozen execs before python) writes a
 * trace per exec, and a page of paths would bury the report.
 */
#define RUN_LIST_MAX 8

static void print_trace_paths(const struct path_list *l)
{
	size_t i, shown = l->n <= RUN_LIST_MAX ? l->n : RUN_LIST_MAX - 1;

	for (i = 0; i < shown; i++)
		fprintf(stderr, "hbtrace: trace written to %s\n", l->v[i]);
	if (shown == l->n)
		return;
	fprintf(stderr,
		"hbtrace: ... %zu more traces of forked and exec'ed "
		"processes, the last %s\n",
		l->n - shown, l->v[l->n - 1]);
}

/* Did the runtime stop the program for a live deadlock? */
static bool any_deadlock(const struct path_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct hbt_reader *r;
		bool dl = false;

		if (hbt_reader_open(l->v[i], &r) == 0)
			dl = hbt_reader_header(r)->flags & HBT_HDR_DEADLOCK;
		hbt_reader_close(r);
		if (dl)
			return true;
	}
	return false;
}

int cmd_run(int argc, const char **argv)
{
	struct run_opts o = {.out = "hbtrace.%p.hbt", .deadlock = "exit"};
	struct path_list traces = {0};
	char runtime[PATH_MAX], list[] = "/tmp/hbtrace-list.XXXXXX";
	struct sigaction sa = {0}, old_int, old_term, old_hup;
	sigset_t fwd, old_mask;
	int prog, fd, wstatus, status;
	pid_t pid;

	prog = parse_args(argc, argv, &o);
	if (prog == -2)
		return 0;
	if (prog < 0)
		return 2;
	if (!*o.out)
		return usage_error("%s", "empty output file name");
	if (find_runtime(runtime, sizeof(runtime))) {
		fprintf(stderr,
			"hbtrace: error: cannot find the runtime libhbtrace.so "
			"next to hbtrace or in ../lib/hbtrace\n");
		return 2;
	}
	fd = mkstemp(list);
	if (fd < 0) {
		fprintf(stderr, "hbtrace: error: cannot create '%s': %s\n",
			list, errstr(errno));
		return 2;
	}
	close(fd);
	if (set_preload(runtime) || setenv("HBTRACE_OUT", o.out, 1) ||
	    setenv("HBTRACE_LIST", list, 1) ||
	    setenv("HBTRACE_DEADLOCK", o.deadlock, 1) ||
	    (o.no_stacks && setenv("HBTRACE_STACKS", "0", 1)) ||
	    (o.python_off && setenv("HBTRACE_PYTHON", "0", 1))) {
		fprintf(stderr, "hbtrace: error: cannot set the environment\n");
		unlink(list);
		return 2;
	}
	fflush(NULL);

	/* no signal may slip between fork() and the handlers: hold them
	 * until the handlers are in place (the child gets the old mask) */
	sigemptyset(&fwd);
	sigaddset(&fwd, SIGINT);
	sigaddset(&fwd, SIGTERM);
	sigaddset(&fwd, SIGHUP);
	sigprocmask(SIG_BLOCK, &fwd, &old_mask);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hbtrace: error: fork: %s\n", errstr(errno));
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		unlink(list);
		return 2;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		execvp(argv[prog], (char *const *)&argv[prog]);
		fprintf(stderr, "hbtrace: error: cannot run '%s': %s\n",
			argv[prog], errstr(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}

	/* hbtrace survives these signals and waits for the program */
	run_child = pid;
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "hbtrace: error: waitpid: %s\n",
				errstr(errno));
			wstatus = 2 << 8;
			break;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	run_child = 0;

	if (WIFEXITED(wstatus))
		status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		status = 128 + WTERMSIG(wstatus);
	else
		status = 2;

	collect_traces(list, o.out, pid, &traces);
	unlink(list);
	if (traces.n && !o.no_report) {
		/* on stderr, as sanitizers and valgrind report: stdout is the
		 * program's, and may be piped into something that parses it */
		fflush(stdout);
		report_print_traces((const char *const *)traces.v, traces.n,
				    stderr);
		fflush(stderr);
	}
	print_trace_paths(&traces);
	if (!traces.n && status != 127 && status != 126)
		fprintf(stderr, "hbtrace: warning: no trace was written\n");
	/* exit status 3 + the header flag: the runtime stopped a deadlock
	 * (the report above shows it); say so, and keep a non-zero status */
	if (status == 3 && any_deadlock(&traces))
		fprintf(stderr,
			"hbtrace: the program was stopped: it deadlocked\n");
	path_list_free(&traces);
	return status;
}
