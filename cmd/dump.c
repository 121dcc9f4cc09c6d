// SPDX-License-Identifier: MIT
/*
 * dump.c - `hbtrace dump TRACE`: the header, then every event of the
 * merged stream on one line:
 *
 *   index  T<thread>  EVENT  object  details  at function (file:line)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "hbt_reader.h"
#include "symbolize.h"

static const char dump_usage[] =
	"usage: hbtrace dump [--stacks] [--raw] [--defs] TRACE\n"
	"\n"
	"Print the header of a trace and its events in merged order, one per\n"
	"line: index, thread, event, object, details and the user frame that\n"
	"made it.\n"
	"\n"
	"  --stacks   print the full symbolized stack under each event\n"
	"  --raw      no symbolization: addresses and ids only (faster)\n"
	"  --defs     also print the definitions (strings, stacks, "
	"modules...)\n";

struct dump_opts {
	bool stacks, raw, defs;
};

/* Per-object and per-stack strings, computed once. */
struct name_cache {
	uint64_t *keys;
	char **vals;
	size_t mask, n;
};

static char **cache_slot(struct name_cache *c, uint64_t key, bool *found)
{
	size_t i;

	if (!c->keys || (c->n + 1) * 4 > (c->mask + 1) * 3) {
		size_t ncap = c->keys ? (c->mask + 1) * 2 : 1024;
		uint64_t *nk = calloc(ncap, sizeof(*nk));
		char **nv = calloc(ncap, sizeof(*nv));

		if (!nk || !nv) {
			free(nk);
			free(nv);
			return NULL;
		}
		for (size_t k = 0; c->keys && k <= c->mask; k++) {
			size_t j;

			if (!c->vals[k])
				continue;
			for (j = (c->keys[k] * 0x9e3779b97f4a7c15ULL >> 20) &
				 (ncap - 1);
			     nv[j]; j = (j + 1) & (ncap - 1))
				;
			nk[j] = c->keys[k];
			nv[j] = c->vals[k];
		}
		free(c->keys);
		free(c->vals);
		c->keys = nk;
		c->vals = nv;
		c->mask = ncap - 1;
	}
	for (i = (key * 0x9e3779b97f4a7c15ULL >> 20) & c->mask; c->vals[i];
	     i = (i + 1) & c->mask)
		if (c->keys[i] == key) {
			*found = true;
			return &c->vals[i];
		}
	c->keys[i] = key;
	c->n++;
	*found = false;
	return &c->vals[i];
}

static void cache_free(struct name_cache *c)
{
	for (size_t i = 0; c->keys && i <= c->mask; i++)
		free(c->vals[i]);
	free(c->keys);
	free(c->vals);
}

struct dumper {
	struct hbt_reader *r;
	struct symbolizer *sym;
	struct dump_opts o;
	struct name_cache objs, sites;
	FILE *out;
};

/* "alice.lock", a name given by a front-end, or the address. */
static const char *obj_label(struct dumper *d, uint64_t obj, uint8_t kind)
{
	static char buf[32];
	char **slot;
	bool found;
	uint32_t sid;

	snprintf(buf, sizeof(buf), "0x%" PRIx64, obj);
	if (d->o.raw)
		return buf;
	slot = cache_slot(&d->objs, obj, &found);
	if (!slot)
		return buf;
	if (found)
		return *slot;
	sid = hbt_reader_obj_name(d->r, obj);
	if (sid && hbt_reader_string(d->r, sid))
		*slot = strdup(hbt_reader_string(d->r, sid));
	else if (d->sym)
		*slot = symbolize_data(d->sym, obj, kind);
	if (*slot) {
		char *both;

		if (asprintf(&both, "%s(%s)", *slot, buf) >= 0) {
			free(*slot);
			*slot = both;
		}
	} else {
		*slot = strdup(buf);
	}
	return *slot ? *slot : buf;
}

static const char *site_label(struct dumper *d, uint32_t stack)
{
	char **slot;
	bool found;

	if (!stack || d->o.raw || !d->sym)
		return NULL;
	slot = cache_slot(&d->sites, stack, &found);
	if (!slot)
		return NULL;
	if (!found) {
		*slot = symbolize_site(d->sym, stack);
		if (!*slot) /* stack not defined (a cut trace) */
			*slot = strdup("");
	}
	return *slot && **slot ? *slot : NULL;
}

static void print_ops(FILE *f, uint8_t op)
{
	static const char *const names[] = {
		"read",	     "try",	  "timed",   "requested",
		"broadcast", "recursive", "internal"};
	bool first = true;

	if (!op)
		return;
	fputs(" op=", f);
	for (unsigned i = 0; i < 7; i++)
		if (op & (1u << i)) {
			fprintf(f, "%s%s", first ? "" : ",", names[i]);
			first = false;
		}
}

static void print_thread_ref(FILE *f, const char *what, uint64_t serial)
{
	if (serial)
		fprintf(f, " %s=T%" PRIu64, what, serial);
	else
		fprintf(f, " %s=none", what);
}

static void print_task(struct dumper *d, const char *what, uint64_t task)
{
	uint32_t name = 0;

	fprintf(d->out, " %s=%" PRIu64, what, task);
	if (task && !d->o.raw &&
	    !hbt_reader_task_name(d->r, task, &name, NULL) && name &&
	    hbt_reader_string(d->r, name))
		fprintf(d->out, "(%s)", hbt_reader_string(d->r, name));
}

/* The object and details columns of one event. */
static void print_body(struct dumper *d, const struct hbt_event *ev)
{
	FILE *f = d->out;

	switch (ev->type) {
	case HBT_REC_OBJ_INIT:
		fprintf(f, "%s kind=%s attr=%" PRIu64,
			obj_label(d, ev->obj, ev->kind),
			hbt_obj_kind_name(ev->kind), ev->arg);
		break;
	case HBT_REC_OBJ_DESTROY:
		fprintf(f, "%s kind=%s", obj_label(d, ev->obj, ev->kind),
			hbt_obj_kind_name(ev->kind));
		if (ev->err)
			fprintf(f, " err=%" PRId64, ev->err);
		break;
	case HBT_REC_REQUEST:
		fprintf(f, "%s kind=%s", obj_label(d, ev->obj, ev->kind),
			hbt_obj_kind_name(ev->kind));
		print_ops(f, ev->op);
		break;
	case HBT_REC_ACQUIRE:
	case HBT_REC_POST:
		fprintf(f, "%s kind=%s seq=%" PRIu64,
			obj_label(d, ev->obj, ev->kind),
			hbt_obj_kind_name(ev->kind), ev->seq);
		print_ops(f, ev->op);
		break;
	case HBT_REC_FAIL:
		fprintf(f, "%s kind=%s outcome=%s",
			obj_label(d, ev->obj, ev->kind),
			hbt_obj_kind_name(ev->kind),
			hbt_outcome_name(ev->outcome));
		print_ops(f, ev->op);
		if (ev->err)
			fprintf(f, " err=%" PRId64, ev->err);
		break;
	case HBT_REC_RELEASE:
		fprintf(f, "%s kind=%s", obj_label(d, ev->obj, ev->kind),
			hbt_obj_kind_name(ev->kind));
		print_ops(f, ev->op);
		if (ev->err)
			fprintf(f, " err=%" PRId64, ev->err);
		break;
	case HBT_REC_COND_WAIT:
		fprintf(f, "%s", obj_label(d, ev->obj, ev->kind));
		fprintf(f, " mutex=%s", obj_label(d, ev->obj2, HBT_OBJ_MUTEX));
		print_ops(f, ev->op);
		break;
	case HBT_REC_COND_WAKE:
		fprintf(f, "%s", obj_label(d, ev->obj, ev->kind));
		fprintf(f,
			" mutex=%s seq=%" PRIu64 " mutex_seq=%" PRIu64
			" outcome=%s",
			obj_label(d, ev->obj2, HBT_OBJ_MUTEX), ev->seq,
			ev->seq2, hbt_outcome_name(ev->outcome));
		print_ops(f, ev->op);
		break;
	case HBT_REC_BARRIER_ARRIVE:
		fprintf(f, "%s count=%" PRIu64 " arrival=%" PRIu64,
			obj_label(d, ev->obj, HBT_OBJ_BARRIER), ev->arg,
			ev->seq);
		break;
	case HBT_REC_BARRIER_LEAVE:
		fprintf(f, "%s arrival=%" PRIu64 "%s",
			obj_label(d, ev->obj, HBT_OBJ_BARRIER), ev->seq,
			ev->err == 1 ? " serial" : "");
		break;
	case HBT_REC_THREAD_START:
		fprintf(f, "-");
		print_thread_ref(f, "parent", ev->obj);
		fprintf(f, " tid=%" PRIu64, ev->arg);
		break;
	case HBT_REC_THREAD_END:
		fprintf(f, "- held=%" PRIu64 "%s", ev->arg,
			ev->op == 1   ? " pthread_exit"
			: ev->op == 2 ? " process-exit"
				      : "");
		break;
	case HBT_REC_THREAD_CREATE:
	case HBT_REC_DETACH:
	case HBT_REC_JOIN_REQUEST:
		fprintf(f, "T%" PRIu64, ev->obj);
		if (ev->err)
			fprintf(f, " err=%" PRId64, ev->err);
		break;
	case HBT_REC_JOIN:
		fprintf(f, "T%" PRIu64 " outcome=%s", ev->obj,
			hbt_outcome_name(ev->outcome));
		if (ev->err)
			fprintf(f, " err=%" PRId64, ev->err);
		break;
	case HBT_REC_FORK:
		fprintf(f, "- result=%" PRId64, (int64_t)ev->arg);
		break;
	case HBT_REC_EXEC:
		fprintf(f, "%.*s", (int)ev->data_len, (const char *)ev->data);
		if (ev->err)
			fprintf(f, " err=%" PRId64, ev->err);
		break;
	case HBT_REC_DEADLOCK:
		fprintf(f, "%s", obj_label(d, ev->obj, HBT_OBJ_NONE));
		print_thread_ref(f, "stuck", ev->obj2);
		break;
	case HBT_REC_TIME:
		fprintf(f, "- ns=%" PRIu64, ev->time_ns);
		break;
	case HBT_REC_MEM_READ:
	case HBT_REC_MEM_WRITE:
	case HBT_REC_MEM_RANGE:
		fprintf(f, "0x%" PRIx64 " size=%" PRIu64, ev->obj, ev->arg);
		break;
	case HBT_REC_MEM_ATOMIC:
		fprintf(f,
			"0x%" PRIx64 " size=%" PRIu64 " op=%u order=%u"
			" seq=%" PRIu64,
			ev->obj, ev->arg, ev->op, ev->outcome, ev->seq);
		break;
	case HBT_REC_ALLOC:
		fprintf(f, "0x%" PRIx64 " size=%" PRIu64, ev->obj, ev->arg);
		break;
	case HBT_REC_FREE:
		fprintf(f, "0x%" PRIx64, ev->obj);
		break;
	case HBT_REC_TASK_CREATE:
		print_task(d, "task", ev->obj);
		print_task(d, "parent", ev->obj2);
		break;
	case HBT_REC_TASK_STEP:
	case HBT_REC_TASK_RESULT_TAKEN:
		print_task(d, "task", ev->obj);
		break;
	case HBT_REC_TASK_SUSPEND:
		print_task(d, "task", ev->obj);
		fprintf(f, " awaits=0x%" PRIx64 " kind=%s", ev->obj2,
			hbt_obj_kind_name(ev->kind));
		break;
	case HBT_REC_TASK_DONE:
		print_task(d, "task", ev->obj);
		fprintf(f, " outcome=%s", hbt_outcome_name(ev->outcome));
		break;
	case HBT_REC_TASK_AWAIT:
		print_task(d, "task", ev->obj);
		print_task(d, "awaits", ev->obj2);
		break;
	case HBT_REC_TASK_LEFT:
		print_task(d, "task", ev->obj);
		fprintf(f, " why=%u", ev->op);
		break;
	case HBT_REC_PY_ACCESS: {
		const char *name =
			d->o.raw ? NULL
				 : hbt_reader_string(d->r, (uint32_t)ev->arg);

		fprintf(f, "0x%" PRIx64 " name=%s op=%u target=%u", ev->obj,
			name ? name : "?", ev->op, ev->outcome);
		if (ev->obj2)
			print_task(d, "task", ev->obj2);
		break;
	}
	case HBT_REC_LOOP_STALL:
		print_task(d, "task", ev->obj);
		fprintf(f, " ns=%" PRIu64, ev->arg);
		break;
	default:
		fprintf(f, "-");
		break;
	}
}

static void print_stack(struct dumper *d, uint32_t stack)
{
	const struct hbt_stack *st = hbt_reader_stack(d->r, stack);
	struct finding_step step = {0};

	if (!st)
		return;
	if (d->o.raw || !d->sym) {
		for (uint32_t i = 0; i < st->nframes; i++) {
			uint64_t f = st->frames[i];

			if (HBT_FRAME_IS_PY(f))
				fprintf(d->out,
					"      #%u py frame %" PRIu64 "\n", i,
					HBT_FRAME_PY_ID(f));
			else
				fprintf(d->out, "      #%u 0x%" PRIx64 "\n", i,
					HBT_FRAME_NATIVE_PC(f));
		}
		return;
	}
	symbolize_stack(d->sym, stack, &step);
	for (size_t i = 0; i < step.nframes; i++) {
		struct finding_frame *f = &step.frames[i];

		fprintf(d->out, "      #%zu %s", i,
			f->function ? f->function : "??");
		if (f->file)
			fprintf(d->out, " (%s:%d)", f->file, f->line);
		else if (f->module)
			fprintf(d->out, " (%s 0x%" PRIx64 ")", f->module,
				f->pc);
		fprintf(d->out, "%s\n", f->inlined ? " [inlined]" : "");
		free(f->function);
		free(f->file);
		free(f->module);
	}
	free(step.frames);
}

static void print_event(struct dumper *d, const struct hbt_event *ev)
{
	const char *site;

	fprintf(d->out, "%8" PRIu64 "  T%-3u %-14s ", ev->index, ev->thread,
		hbt_record_type_name(ev->type));
	print_body(d, ev);
	site = site_label(d, ev->stack);
	if (site)
		fprintf(d->out, "  at %s", site);
	else if (ev->stack && d->o.raw)
		fprintf(d->out, "  stack=%u", ev->stack);
	fputc('\n', d->out);
	if (d->o.stacks && ev->stack)
		print_stack(d, ev->stack);
}

static void print_flags(FILE *f, uint64_t flags)
{
	static const char *const names[] = {"clean-close", "fork-child",
					    "exec-child", "write-error",
					    "deadlock"};
	bool first = true;

	for (unsigned i = 0; i < 5; i++)
		if (flags & (1u << i)) {
			fprintf(f, "%s%s", first ? "" : ",", names[i]);
			first = false;
		}
	if (first)
		fputs("none", f);
}

static void print_features(FILE *f, uint64_t feat)
{
	static const char *const names[] = {"pthread", "stacks",   "python",
					    "memory",  "pyaccess", "imported"};
	bool first = true;

	for (unsigned i = 0; i < 6; i++)
		if (feat & (1u << i)) {
			fprintf(f, "%s%s", first ? "" : ",", names[i]);
			first = false;
		}
	if (first)
		fputs("none", f);
}

static void print_header(struct dumper *d)
{
	const struct hbt_file_header *h = hbt_reader_header(d->r);
	const struct hbt_thread_info *th;
	size_t n = hbt_reader_threads(d->r, &th);

	fprintf(d->out, "# trace %s\n", hbt_reader_path(d->r));
	fprintf(d->out, "# version %u (min reader %u)\n", h->version,
		h->min_reader_version);
	fprintf(d->out, "# pid %d ppid %d exec-generation %u\n", h->pid,
		h->ppid, h->exec_generation);
	fprintf(d->out, "# exe %s\n", h->exe[0] ? h->exe : "?");
	if (h->cmdline[0])
		fprintf(d->out, "# cmdline %s\n", h->cmdline);
	fputs("# flags ", d->out);
	print_flags(d->out, h->flags);
	fputs("\n# features ", d->out);
	print_features(d->out, h->features);
	fputc('\n', d->out);
	if (h->dropped_events)
		fprintf(d->out, "# dropped events %" PRIu64 "\n",
			h->dropped_events);
	fprintf(d->out, "# threads %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const char *name =
			d->o.raw ? NULL : hbt_reader_string(d->r, th[i].name);

		fprintf(d->out, "#   T%u tid %d", th[i].serial, th[i].tid);
		if (name)
			fprintf(d->out, " \"%s\"", name);
		fputc('\n', d->out);
	}
}

static int print_def(void *arg, const struct hbt_event *ev)
{
	struct dumper *d = arg;
	FILE *f = d->out;

	fprintf(f, "# def T%-3u %-12s ", ev->thread,
		hbt_record_type_name(ev->type));
	switch (ev->type) {
	case HBT_REC_STRING:
		fprintf(f, "%" PRIu64 " \"%.*s\"\n", ev->obj, (int)ev->data_len,
			(const char *)ev->data);
		break;
	case HBT_REC_STACK: {
		const struct hbt_stack *st =
			hbt_reader_stack(d->r, (uint32_t)ev->obj);

		fprintf(f, "%" PRIu64 " frames=%" PRIu64, ev->obj, ev->arg);
		for (uint32_t i = 0; st && i < st->nframes; i++) {
			uint64_t fr = st->frames[i];

			if (HBT_FRAME_IS_PY(fr))
				fprintf(f, " py:%" PRIu64, HBT_FRAME_PY_ID(fr));
			else
				fprintf(f, " 0x%" PRIx64,
					HBT_FRAME_NATIVE_PC(fr));
		}
		fputc('\n', f);
		break;
	}
	case HBT_REC_MODULE:
		fprintf(f,
			"0x%" PRIx64 "-0x%" PRIx64 " offset=0x%" PRIx64 " %.*s",
			ev->obj, ev->obj2, ev->arg, (int)ev->data_len,
			(const char *)ev->data);
		if (ev->data2_len) {
			fputs(" build-id=", f);
			for (uint32_t i = 0; i < ev->data2_len; i++)
				fprintf(f, "%02x", ev->data2[i]);
		}
		fputc('\n', f);
		break;
	case HBT_REC_MODULE_UNMAP:
		fprintf(f, "0x%" PRIx64 "-0x%" PRIx64 "\n", ev->obj, ev->obj2);
		break;
	case HBT_REC_THREAD_NAME:
		fprintf(f, "T%" PRIu64 " string=%" PRIu64 "\n", ev->obj,
			ev->arg);
		break;
	case HBT_REC_OBJ_NAME:
		fprintf(f, "0x%" PRIx64 " kind=%s string=%" PRIu64 "\n",
			ev->obj, hbt_obj_kind_name(ev->kind), ev->arg);
		break;
	case HBT_REC_PYFRAME:
		fprintf(f,
			"%" PRIu64 " function=%" PRIu64 " file=%" PRIu64
			" line=%" PRIu64 "\n",
			ev->obj, ev->arg, ev->arg2, ev->seq);
		break;
	case HBT_REC_TASK_NAME:
		fprintf(f, "%" PRIu64 " name=%" PRIu64 " coro=%" PRIu64 "\n",
			ev->obj, ev->arg, ev->arg2);
		break;
	case HBT_REC_STACK_FRAME:
		fprintf(f, "sp=0x%" PRIx64 " stack=%" PRIu32 "\n", ev->obj,
			ev->stack);
		break;
	default:
		fprintf(f, "type=0x%02x string=%" PRIu64 "\n", ev->type,
			ev->arg);
		break;
	}
	return 0;
}

int cmd_dump(int argc, const char **argv)
{
	struct dumper d = {0};
	const char *path = NULL;
	struct hbt_event ev;
	const char *why;
	int ret, status = 0;

	if (cmd_wants_help(argc, argv)) {
		fputs(dump_usage, stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stacks"))
			d.o.stacks = true;
		else if (!strcmp(argv[i], "--raw"))
			d.o.raw = true;
		else if (!strcmp(argv[i], "--defs"))
			d.o.defs = true;
		else if (!strcmp(argv[i], "--") && i + 1 < argc && !path)
			path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"hbtrace: error: dump: unknown option '%s' "
				"(see 'hbtrace dump --help')\n",
				argv[i]);
			return 2;
		} else if (!path)
			path = argv[i];
		else {
			fprintf(stderr, "hbtrace: error: dump: takes one trace "
					"(see 'hbtrace dump --help')\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "hbtrace: error: dump: no trace given (see "
				"'hbtrace dump --help')\n");
		return 2;
	}
	d.out = stdout;
	ret = hbt_reader_open(path, &d.r);
	if (ret < 0) {
		fprintf(stderr, "hbtrace: error: cannot open trace '%s': %s\n",
			path, hbt_reader_error(d.r));
		hbt_reader_close(d.r);
		return 2;
	}
	if (!d.o.raw) {
		/* names and stacks may be defined after their first use */
		if (hbt_reader_load_definitions(d.r) == 0)
			d.sym = symbolizer_new(d.r);
	}
	print_header(&d);
	if (d.o.defs)
		hbt_reader_each_definition(d.r, print_def, &d);
	while ((ret = hbt_reader_next(d.r, &ev)) == 1)
		print_event(&d, &ev);
	if (ret < 0) {
		fflush(stdout);
		fprintf(stderr, "hbtrace: error: cannot read trace '%s': %s\n",
			path, hbt_reader_error(d.r));
		status = 2;
	}
	if (hbt_reader_order_violations(d.r))
		printf("# %" PRIu64
		       " events placed against the recorded order\n",
		       hbt_reader_order_violations(d.r));
	if (hbt_reader_truncated(d.r, &why))
		printf("trace was cut: %s\n", why);
	if (fflush(stdout) && !status) {
		fprintf(stderr, "hbtrace: error: dump: cannot write output\n");
		status = 2;
	}
	symbolizer_free(d.sym);
	cache_free(&d.objs);
	cache_free(&d.sites);
	hbt_reader_close(d.r);
	return status;
}
