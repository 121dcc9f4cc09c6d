// SPDX-License-Identifier: MIT
/*
 * hbtrace.c - the entry point: one table of subcommands drives dispatch,
 * `--help` and `help CMD` (perf.c's cmd_struct table).
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

#ifndef HBT_VERSION_STRING
#define HBT_VERSION_STRING "unknown"
#endif

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;
};

static const struct cmd_struct commands[] = {
	{"run", cmd_run, "record a program and print its report"},
	{"report", cmd_report, "analyze traces and print the findings"},
	{"check", cmd_check, "analyze traces and gate CI on the findings"},
	{"dump", cmd_dump, "print the events of a trace, one per line"},
	{"export", cmd_export,
	 "export a timeline (chrome) or lock graph (dot)"},
	{"import", cmd_import, "convert a foreign trace (RAPID STD) to .hbt"},
	{"cc", cmd_cc, "compile C with memory-access recording"},
	{"c++", cmd_cc, "compile C++ with memory-access recording"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char usage_head[] =
	"usage: hbtrace [--version] [--help] COMMAND [ARGS...]\n"
	"\n"
	"hbtrace records a happens-before trace of a program and finds\n"
	"deadlocks, lock-order cycles, data races and lost updates in it.\n"
	"\n"
	"commands:\n";

int cmd_wants_help(int argc, const char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

static void print_usage(FILE *f)
{
	fputs(usage_head, f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\nSee 'hbtrace help COMMAND' or 'hbtrace COMMAND --help' for "
	      "the options of a command.\n",
	      f);
}

static const struct cmd_struct *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, const char **argv)
{
	const struct cmd_struct *cmd;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("hbtrace %s\n", HBT_VERSION_STRING);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		const char *help_argv[] = {NULL, "--help", NULL};

		if (argc < 3) {
			print_usage(stdout);
			return 0;
		}
		cmd = find_command(argv[2]);
		if (!cmd) {
			fprintf(stderr,
				"hbtrace: error: unknown command '%s'\n",
				argv[2]);
			return 2;
		}
		help_argv[0] = cmd->name;
		return cmd->fn(2, help_argv);
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr,
			"hbtrace: error: unknown command '%s' (see 'hbtrace "
			"--help')\n",
			argv[1]);
		return 2;
	}
	return cmd->fn(argc - 1, argv + 1);
}
