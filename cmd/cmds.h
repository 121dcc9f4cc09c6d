/* SPDX-License-Identifier: MIT */
/*
 * cmds.h - the subcommands of hbtrace, one file each under cmd/.
 *
 * Every command gets argv with argv[0] = its own name ("run", "c++", ...)
 * and returns the process exit status.  Commands print and exit; lib/ code
 * does not.
 */
#ifndef HBT_CMDS_H
#define HBT_CMDS_H

int cmd_run(int argc, const char **argv);
int cmd_report(int argc, const char **argv);
int cmd_check(int argc, const char **argv);
int cmd_dump(int argc, const char **argv);
int cmd_export(int argc, const char **argv);
int cmd_import(int argc, const char **argv);
/* Also serves "c++": argv[0] tells which. */
int cmd_cc(int argc, const char **argv);

/*
 * Is argv[1..] asking for help ("--help" or "-h" anywhere before "--")?
 * Commands call it first and print their usage string on stdout.
 */
int cmd_wants_help(int argc, const char **argv);

#endif /* HBT_CMDS_H */
