/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h - addresses to names after the process is gone.
 *
 * Uses the MODULE records of a trace (file, load range, build id) with
 * elfutils libdwfl: function, file, line, inlined frames for code; the ELF
 * symbol for data (a static lock).  Python frames come from PYFRAME
 * records.  Results are cached per pc.
 */
#ifndef HBT_SYMBOLIZE_H
#define HBT_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "hbt_reader.h"

struct symbolizer;

struct symbolizer *symbolizer_new(struct hbt_reader *r);
void symbolizer_free(struct symbolizer *s);

/*
 * Append the frames of stack 'stack_id' to 'step' (innermost first,
 * inlined frames expanded, the runtime's own frames dropped).  Returns the
 * number of frames added, or -errno.
 */
int symbolize_stack(struct symbolizer *s, uint32_t stack_id,
		    struct finding_step *step);

/*
 * Fill 'out' (up to 'max' frames: the function containing pc, then the
 * functions it was inlined into) for one native pc.  Returns the count.
 */
int symbolize_pc(struct symbolizer *s, uint64_t pc, struct finding_frame *out,
		 size_t max);

/*
 * Name of a static object at 'addr': "lock_a", "fork_lock[3]" (element
 * index from the object kind's size), "table+16".  malloc'ed, NULL if no
 * symbol covers it.
 */
char *symbolize_data(struct symbolizer *s, uint64_t addr, uint8_t kind);

/*
 * Name of the stack variable at 'addr' ("stats.hits") in the frame that
 * a STACK_FRAME record describes: the function's stack pointer 'sp'
 * after its prologue and a stack whose first pc is inside it.  From the
 * function's DWARF locals and parameters, with the frame's CFA from the
 * call frame information.  *in_frame: addr is (or may be) inside this
 * frame, even when no variable covers it.  malloc'ed or NULL.
 */
char *symbolize_stack_var(struct symbolizer *s, uint64_t addr, uint64_t sp,
			  uint32_t stack_id, bool *in_frame);

/* "f (file.c:12)" for a stack's innermost user frame; malloc'ed or NULL. */
char *symbolize_site(struct symbolizer *s, uint32_t stack_id);

#endif /* HBT_SYMBOLIZE_H */
