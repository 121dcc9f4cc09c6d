/* SPDX-License-Identifier: MIT */
/*
 * findings.h - what the analyses produce and every renderer consumes.
 *
 * A finding is self-contained: its stacks are already symbolized, its names
 * resolved, so renderers (text, JSON, SARIF, chrome export), the gate
 * (check, baselines, suppressions) and cross-trace deduplication never need
 * the trace again.  Strings are owned by the finding (malloc'ed).
 *
 * The id is a stable fingerprint (see findings_compute_id()): built from the
 * kind, detail and the symbolic content (lock names, function names, file
 * basenames, no line numbers, no addresses, no pids, no thread serials), so
 * it is the same across runs, rebuilds and machines.
 */
#ifndef HBT_FINDINGS_H
#define HBT_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio.h>

enum finding_kind {
	FK_DEADLOCK,
	FK_LOCK_ORDER_CYCLE,
	FK_DATA_RACE,
	FK_LOST_UPDATE,
	FK_UNAWAITED_TASK,
	FK_UNJOINED_THREAD,
	FK_API_MISUSE,
	FK_LOOP_STALL,
	FK__COUNT
};

struct finding_frame {
	char *function; /* NULL if unknown */
	char *file;	/* as recorded in DWARF / Python, NULL if unknown */
	int line;	/* 0 if unknown */
	char *module;	/* ELF path, NULL for Python frames */
	uint64_t pc;	/* 0 for Python frames */
	bool inlined;	/* an inlined frame expanded from the pc below */
};

struct finding_lock {
	char *name; /* "lock_a", "fork_lock[3]", "mutex created at f (x.c:12)"
		     */
	char *type; /* "pthread_mutex", "pthread_rwlock", "asyncio.Lock" ... */
	uint64_t address;
};

struct finding_thread {
	char *id;   /* "T1" (main thread is T1), or "Task-3" for a task */
	char *name; /* thread name, NULL if none */
	char *task; /* asyncio task name, NULL if none */
};

struct finding_step {
	char *thread; /* "T2" */
	char *task;   /* NULL if not in a task */
	char *action; /* "acquire lock_b while holding lock_a" */
	/* Context for the next step (where a held lock was taken), not an
	 * action of the finding itself: timelines do not mark it. */
	bool context;
	size_t nframes;
	struct finding_frame *frames;
};

struct finding {
	enum finding_kind kind;
	char id[17]; /* 16 hex digits */
	bool predicted;
	bool is_error; /* severity: error or warning */
	char *detail;  /* sub-kind, NULL if none */
	char *message;
	size_t nlocks, nthreads, nsteps;
	struct finding_lock *locks;
	struct finding_thread *threads;
	struct finding_step *steps;
	char *trace; /* path of the trace it came from */
	/* set by the suppression matcher: the rule that hid it, or NULL */
	char *suppressed_by;
	int pid; /* of the traced process, 0 if unknown */
};

struct finding_list {
	size_t n, cap;
	struct finding **items;
	/* what a reader of the findings must know about the traces behind
	 * them (cut short, events not recorded): one line each, for stderr */
	size_t nnotes;
	char **notes;
};

const char *finding_kind_name(enum finding_kind k);
/* Returns -1 for an unknown name. */
int finding_kind_from_name(const char *name);

struct finding *finding_new(enum finding_kind kind);
void finding_free(struct finding *f);
/* Each returns the new element (zeroed, strings to be set with strdup), or
 * NULL on allocation failure. */
struct finding_lock *finding_add_lock(struct finding *f);
struct finding_thread *finding_add_thread(struct finding *f);
struct finding_step *finding_add_step(struct finding *f);
struct finding_frame *finding_step_add_frame(struct finding_step *s);

/* Compute f->id from its symbolic content; call once it is complete. */
void findings_compute_id(struct finding *f);

int finding_list_add(struct finding_list *l, struct finding *f);
/* Drop findings with an id already in the list (keeps the first). */
void finding_list_dedup(struct finding_list *l);
/* Stable order: by kind, then by id. */
void finding_list_sort(struct finding_list *l);
void finding_list_free(struct finding_list *l);
/* Add a note (printf format); -ENOMEM when it cannot. */
int finding_list_note(struct finding_list *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print the notes to 'f', each as "hbtrace: note: ..." on its own line. */
void finding_list_print_notes(const struct finding_list *l, FILE *f);

/*
 * Renderers: one ops set per output format, run over one walk of the
 * findings (uftrace's dump ops, perf's tool ops).
 */
struct report_ctx {
	FILE *out;
	const char *const *traces; /* paths analyzed */
	size_t ntraces;
	size_t nsuppressed; /* findings hidden by suppressions */
	bool color;
};

struct report_ops {
	const char *name; /* "text", "json", "sarif" */
	void (*begin)(struct report_ctx *ctx);
	void (*finding)(struct report_ctx *ctx, const struct finding *f);
	void (*end)(struct report_ctx *ctx, const struct finding_list *all);
};

const struct report_ops *report_ops_by_name(const char *name);
/* Render every finding of 'l' not suppressed, with 'ops'. */
void report_render(const struct report_ops *ops, struct report_ctx *ctx,
		   const struct finding_list *l);

#endif /* HBT_FINDINGS_H */
