/* SPDX-License-Identifier: MIT */
/*
 * gate_helpers.h - hand-built findings for the gate's unit tests
 * (suppressions, baselines, SARIF).
 */
#ifndef HBT_TEST_GATE_HELPERS_H
#define HBT_TEST_GATE_HELPERS_H

#include <stdlib.h>
#include <string.h>

#include "findings.h"

/* A finding with one lock, one step and one frame; 'id' forced. */
static inline struct finding *gate_finding(enum finding_kind kind,
					   const char *id, const char *lock,
					   const char *function,
					   const char *file, int line)
{
	struct finding *f = finding_new(kind);
	struct finding_step *s;
	struct finding_frame *fr;

	f->is_error = true;
	f->message = strdup("a test finding");
	if (lock) {
		struct finding_lock *l = finding_add_lock(f);

		l->name = strdup(lock);
		l->type = strdup("pthread_mutex");
		l->address = 0x1000;
	}
	s = finding_add_step(f);
	s->thread = strdup("T2");
	s->action = strdup("acquire lock_b while holding lock_a");
	if (function || file) {
		fr = finding_step_add_frame(s);
		fr->function = function ? strdup(function) : NULL;
		fr->file = file ? strdup(file) : NULL;
		fr->line = line;
		fr->module = strdup("/usr/local/bin/prog");
	}
	snprintf(f->id, sizeof(f->id), "%s", id);
	return f;
}

#endif /* HBT_TEST_GATE_HELPERS_H */
