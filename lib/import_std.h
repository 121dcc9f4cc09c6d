/* SPDX-License-Identifier: MIT */
/*
 * import_std.h - RAPID's "STD" text traces into hbtrace traces.
 *
 * STD (from the RAPID tool, used by RoadRunner / RVPredict loggers): one
 * event a line, THREAD|OP(ARG)|LOCATION, for example
 *
 *   T0|fork(T1)|3
 *   T1|acq(L1)|12
 *   T1|w(V7)|13
 *   T1|rel(L1)|14
 *   T0|join(T1)|20
 *
 * Operations: acq, rel (locks), r, w (variables), fork, join (threads),
 * begin, end (transaction marks: accepted and ignored).  The location is
 * any token (RAPID writes a number); a missing one is the line number.
 * Blank lines and lines starting with '#' or "//" are skipped.
 *
 * Mapping: threads become serials in order of appearance (the first one
 * is the main thread) with THREAD_NAME = the STD name; locks and variables
 * get synthetic addresses with OBJ_NAME = the STD name, so findings show
 * "L1" and "V7"; every location becomes a one-frame stack whose frame is
 * function "L12" (numeric location 12) or the token itself, in the STD
 * file at the line of its first use.  acq/rel -> ACQUIRE/RELEASE of a
 * recursive mutex (Java monitors are reentrant: nested acq by the owner
 * are folded into the outermost), with the per-lock acquisition seq
 * computed here; a rel by a thread that does not hold the lock is kept,
 * with EPERM, as the runtime would record it.  r/w -> MEM_READ/MEM_WRITE
 * of 8 bytes; fork -> THREAD_CREATE in the parent and THREAD_START as the
 * child's first record; join -> the child's THREAD_END, then JOIN_REQUEST
 * and JOIN in the parent.  Every thread still running at the end of the
 * file gets a THREAD_END.
 */
#ifndef HBT_IMPORT_STD_H
#define HBT_IMPORT_STD_H

#include <stddef.h>

enum std_op {
	STD_ACQ,
	STD_REL,
	STD_READ,
	STD_WRITE,
	STD_FORK,
	STD_JOIN,
	STD_BEGIN,
	STD_END,
};

/* One parsed line; the strings point into the line (not NUL-terminated). */
struct std_line {
	const char *thread, *arg, *loc;
	size_t thread_len, arg_len, loc_len; /* loc_len 0 = none given */
	enum std_op op;
};

/*
 * Parse one line (without its newline).  Returns 1 for an event, 0 for a
 * blank or comment line, -EINVAL with the problem in 'err' (without file
 * and line: "bad operation 'xyz'").
 */
int std_parse_line(const char *line, size_t len, struct std_line *out,
		   char *err, size_t errlen);

/*
 * Convert the STD file 'in_path' to the trace 'out_path'.  Returns the
 * number of events imported, or -errno with "FILE:LINE: problem" (or a
 * file error) in 'err'.  Nothing is left at 'out_path' on failure.
 */
long import_std_file(const char *in_path, const char *out_path, char *err,
		     size_t errlen);

#endif /* HBT_IMPORT_STD_H */
