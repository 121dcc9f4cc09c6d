// SPDX-License-Identifier: MIT
/*
 * lockorder_merge.c - the name-keyed lock graph over several traces (see
 * lockorder_merge.h for what becomes an edge and what a cross-trace cycle
 * is).
 *
 * Each trace is read in its own pass with its own per-address state; only
 * what survives the trace (names, counts, one symbolized witness per edge
 * and trace) goes into the shared graph, so memory is bounded by locks and
 * edges, not events.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/common.h"
#include "analysis/lockorder_merge.h"
#include "symbolize.h"

#define LG_MAX_GATES	4 /* other locks remembered per witness */
#define LG_MAX_CYCLE	4 /* longest cross-trace cycle looked for */
#define LG_MAX_FINDINGS 64
#define LG_DFS_BUDGET	200000

/* ---- per-trace state ------------------------------------------------ */

struct tr_obj {
	uint64_t obj;
	uint8_t kind;
	uint32_t init_stack, first_stack;
	int node; /* graph node, -1 until named */
};

struct tr_hold {
	uint32_t obj; /* tr_obj index */
	uint32_t stack;
	bool read;
};

struct tr_actor {
	uint32_t thread;
	uint64_t task;
	struct tr_hold *held;
	uint32_t nheld, cap;
};

struct tr_edge {
	uint32_t a, b; /* tr_obj indexes */
	uint64_t count;
	uint32_t thread;
	uint64_t task;
	uint32_t stack_a, stack_b;
	uint32_t gates[LG_MAX_GATES];
	uint32_t ngates;
};

struct tr_state {
	struct u64map objmap, actormap, edgemap;
	struct tr_obj *objs;
	uint32_t nobjs, objcap;
	struct tr_actor *actors;
	uint32_t nactors, actorcap;
	struct tr_edge *edges;
	uint32_t nedges, edgecap;
	struct an_tasks tasks;
	int err;
};

/* ---- the shared graph ----------------------------------------------- */

struct lg_node {
	char *name;
	char *type;
	bool addr_only; /* named by address: not matched across traces */
};

struct lg_witness {
	uint32_t trace;
	struct finding *steps;	 /* a finding used as a bag of steps+threads */
	int gates[LG_MAX_GATES]; /* node indexes */
	uint32_t ngates;
};

struct lg_edge {
	uint32_t a, b; /* node indexes */
	uint64_t count;
	struct lg_witness *wit; /* at most one per trace */
	uint32_t nwit, witcap;
};

struct lockgraph {
	struct lg_node *nodes;
	uint32_t nnodes, nodecap;
	struct u64map namemap; /* name hash -> node (collisions: linear) */
	struct lg_edge *edges;
	uint32_t nedges, edgecap;
	struct u64map edgemap;
	char **traces;
	uint32_t ntraces;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h | 1; /* never 0 */
}

struct lockgraph *lockgraph_new(void)
{
	struct lockgraph *g = calloc(1, sizeof(*g));

	if (g) {
		u64map_init(&g->namemap);
		u64map_init(&g->edgemap);
	}
	return g;
}

void lockgraph_free(struct lockgraph *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		free(g->nodes[i].name);
		free(g->nodes[i].type);
	}
	for (uint32_t i = 0; i < g->nedges; i++) {
		for (uint32_t j = 0; j < g->edges[i].nwit; j++)
			finding_free(g->edges[i].wit[j].steps);
		free(g->edges[i].wit);
	}
	for (uint32_t i = 0; i < g->ntraces; i++)
		free(g->traces[i]);
	free(g->traces);
	free(g->nodes);
	free(g->edges);
	u64map_free(&g->namemap);
	u64map_free(&g->edgemap);
	free(g);
}

/* Node for 'name' (taken over on success); -1 on ENOMEM. */
static int lg_node(struct lockgraph *g, char *name, const char *type,
		   bool addr_only)
{
	uint64_t h = name_hash(name);
	uint32_t *slot = u64map_find(&g->namemap, h);
	bool created;

	if (slot && !strcmp(g->nodes[*slot].name, name)) {
		free(name);
		return (int)*slot;
	}
	if (slot) { /* hash collision: rare, look the slow way */
		for (uint32_t i = 0; i < g->nnodes; i++)
			if (!strcmp(g->nodes[i].name, name)) {
				free(name);
				return (int)i;
			}
	}
	if (an_grow((void **)&g->nodes, &g->nodecap, g->nnodes + 1,
		    sizeof(*g->nodes)) < 0)
		return -1;
	g->nodes[g->nnodes].name = name;
	g->nodes[g->nnodes].type = strdup(type ? type : "lock");
	g->nodes[g->nnodes].addr_only = addr_only;
	if (!g->nodes[g->nnodes].type)
		return -1;
	if (!slot && !u64map_put(&g->namemap, h, g->nnodes, &created))
		return -1;
	return (int)g->nnodes++;
}

static struct lg_edge *lg_edge(struct lockgraph *g, uint32_t a, uint32_t b)
{
	uint64_t key = ((uint64_t)a << 32) | b;
	uint32_t *slot = u64map_find(&g->edgemap, key);
	bool created;

	if (slot)
		return &g->edges[*slot];
	if (an_grow((void **)&g->edges, &g->edgecap, g->nedges + 1,
		    sizeof(*g->edges)) < 0)
		return NULL;
	if (!u64map_put(&g->edgemap, key, g->nedges, &created))
		return NULL;
	memset(&g->edges[g->nedges], 0, sizeof(g->edges[0]));
	g->edges[g->nedges].a = a;
	g->edges[g->nedges].b = b;
	return &g->edges[g->nedges++];
}

/* ---- reading one trace ---------------------------------------------- */

static int tr_obj(struct tr_state *st, uint64_t obj, uint8_t kind)
{
	bool created;
	uint32_t *slot = u64map_put(&st->objmap, obj, st->nobjs, &created);

	if (!slot)
		return -1;
	if (!created)
		return (int)*slot;
	if (an_grow((void **)&st->objs, &st->objcap, st->nobjs + 1,
		    sizeof(*st->objs)) < 0)
		return -1;
	memset(&st->objs[st->nobjs], 0, sizeof(st->objs[0]));
	st->objs[st->nobjs].obj = obj;
	st->objs[st->nobjs].kind = kind;
	st->objs[st->nobjs].node = -1;
	return (int)st->nobjs++;
}

static struct tr_actor *tr_actor(struct tr_state *st, uint32_t thread,
				 uint64_t task)
{
	bool created;
	uint32_t *slot = u64map_put(&st->actormap, an_actor_key(thread, task),
				    st->nactors, &created);

	if (!slot)
		return NULL;
	if (!created)
		return &st->actors[*slot];
	if (an_grow((void **)&st->actors, &st->actorcap, st->nactors + 1,
		    sizeof(*st->actors)) < 0)
		return NULL;
	memset(&st->actors[st->nactors], 0, sizeof(st->actors[0]));
	st->actors[st->nactors].thread = thread;
	st->actors[st->nactors].task = task;
	return &st->actors[st->nactors++];
}

static void tr_add_edges(struct tr_state *st, struct tr_actor *ac, uint32_t b,
			 uint32_t stack_b, bool read)
{
	for (uint32_t i = 0; i < ac->nheld; i++) {
		const struct tr_hold *h = &ac->held[i];
		uint64_t key;
		uint32_t *slot;
		bool created;
		struct tr_edge *e;

		if (h->obj == b || h->read || read)
			continue;
		key = ((uint64_t)h->obj << 32) | b;
		slot = u64map_put(&st->edgemap, key, st->nedges, &created);
		if (!slot) {
			st->err = -ENOMEM;
			return;
		}
		if (!created) {
			st->edges[*slot].count++;
			continue;
		}
		if (an_grow((void **)&st->edges, &st->edgecap, st->nedges + 1,
			    sizeof(*st->edges)) < 0) {
			st->err = -ENOMEM;
			return;
		}
		e = &st->edges[st->nedges++];
		memset(e, 0, sizeof(*e));
		e->a = h->obj;
		e->b = b;
		e->count = 1;
		e->thread = ac->thread;
		e->task = ac->task;
		e->stack_a = h->stack;
		e->stack_b = stack_b;
		for (uint32_t j = 0; j < ac->nheld && e->ngates < LG_MAX_GATES;
		     j++)
			if (j != i && ac->held[j].obj != b)
				e->gates[e->ngates++] = ac->held[j].obj;
	}
}

static void tr_event(struct tr_state *st, const struct hbt_event *ev)
{
	struct tr_actor *ac;
	int o;
	bool read = ev->op & HBT_OP_READ;

	an_tasks_event(&st->tasks, ev);
	switch (ev->type) {
	case HBT_REC_OBJ_INIT:
		if (!an_kind_is_lock(ev->kind))
			return;
		o = tr_obj(st, ev->obj, ev->kind);
		if (o < 0)
			goto nomem;
		if (!st->objs[o].init_stack)
			st->objs[o].init_stack = ev->stack;
		return;
	case HBT_REC_REQUEST:
	case HBT_REC_ACQUIRE:
		if (!an_kind_is_lock(ev->kind) || (ev->op & HBT_OP_RECURSIVE))
			return;
		o = tr_obj(st, ev->obj, ev->kind);
		if (o < 0)
			goto nomem;
		if (!st->objs[o].first_stack && ev->stack)
			st->objs[o].first_stack = ev->stack;
		ac = tr_actor(st, ev->thread,
			      an_task_of(&st->tasks, ev->thread));
		if (!ac)
			goto nomem;
		if (ev->type == HBT_REC_REQUEST) {
			if (!(ev->op & HBT_OP_TRY))
				tr_add_edges(st, ac, (uint32_t)o, ev->stack,
					     read);
			return;
		}
		if (!(ev->op & (HBT_OP_REQUESTED | HBT_OP_TRY)))
			tr_add_edges(st, ac, (uint32_t)o, ev->stack, read);
		if (an_grow((void **)&ac->held, &ac->cap, ac->nheld + 1,
			    sizeof(*ac->held)) < 0)
			goto nomem;
		ac->held[ac->nheld].obj = (uint32_t)o;
		ac->held[ac->nheld].read = read;
		/* with REQUESTED the stack is the REQUEST's; the edge
		 * witness already has it, the hold keeps the acquisition */
		ac->held[ac->nheld].stack =
			ev->stack ? ev->stack : st->objs[o].first_stack;
		ac->nheld++;
		return;
	case HBT_REC_RELEASE: {
		uint32_t *slot;

		if (ev->op & HBT_OP_RECURSIVE)
			return;
		slot = u64map_find(&st->objmap, ev->obj);
		if (!slot)
			return;
		ac = tr_actor(st, ev->thread,
			      an_task_of(&st->tasks, ev->thread));
		if (!ac)
			goto nomem;
		for (uint32_t i = ac->nheld; i-- > 0;) {
			if (ac->held[i].obj == *slot) {
				memmove(&ac->held[i], &ac->held[i + 1],
					(ac->nheld - i - 1) *
						sizeof(*ac->held));
				ac->nheld--;
				break;
			}
		}
		return;
	}
	default:
		return;
	}
nomem:
	st->err = -ENOMEM;
}

static void tr_free(struct tr_state *st)
{
	for (uint32_t i = 0; i < st->nactors; i++)
		free(st->actors[i].held);
	free(st->actors);
	free(st->objs);
	free(st->edges);
	u64map_free(&st->objmap);
	u64map_free(&st->actormap);
	u64map_free(&st->edgemap);
	an_tasks_free(&st->tasks);
}

/* an_lock_name() falls back to "<noun> 0x<hex>" when nothing else names
 * a lock; such a name must not match across processes. */
static bool name_is_address(const char *name)
{
	const char *p = strstr(name, " 0x");

	if (!p || strchr(p + 1, ' '))
		return false;
	for (p += 3; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Give trace object 'o' its graph node. */
static int tr_name(struct lockgraph *g, struct tr_state *st,
		   struct analysis_ctx *ctx, uint32_t o)
{
	struct tr_obj *ob = &st->objs[o];
	char *name;

	if (ob->node >= 0)
		return ob->node;
	name = an_lock_name(ctx, ob->obj, ob->kind,
			    ob->init_stack ? ob->init_stack : ob->first_stack);
	if (!name)
		return -1;
	ob->node =
		lg_node(g, name, an_kind_type(ob->kind), name_is_address(name));
	return ob->node;
}

/* "T2 (pid 1234)": serials repeat across traces, pids tell them apart
 * (imported traces all have pid 1: their file name does). */
static char *thread_label(const char *id, struct analysis_ctx *ctx)
{
	const struct hbt_file_header *h = hbt_reader_header(ctx->reader);
	const char *base = strrchr(ctx->trace_path, '/');
	char *s;
	int ret;

	base = base ? base + 1 : ctx->trace_path;
	if (h->features & HBT_FEAT_IMPORTED)
		ret = asprintf(&s, "%s (%s)", id ? id : "T?", base);
	else
		ret = asprintf(&s, "%s (pid %d)", id ? id : "T?", h->pid);
	return ret < 0 ? NULL : s;
}

static int make_witness(struct lockgraph *g, struct tr_state *st,
			struct analysis_ctx *ctx, const struct tr_edge *e,
			struct lg_witness *w)
{
	const char *na = g->nodes[st->objs[e->a].node].name;
	const char *nb = g->nodes[st->objs[e->b].node].name;
	int pid = hbt_reader_header(ctx->reader)->pid;
	char *action = NULL;
	struct finding *f = finding_new(FK_LOCK_ORDER_CYCLE);

	if (!f)
		return -ENOMEM;
	w->steps = f;
	if (an_add_thread(f, ctx, e->thread, e->task) < 0)
		return -ENOMEM;
	if (asprintf(&action, "acquire %s", na) < 0)
		return -ENOMEM;
	if (an_add_step(f, ctx, e->thread, e->task, action, e->stack_a) < 0)
		goto nomem;
	free(action);
	if (asprintf(&action, "acquire %s while holding %s", nb, na) < 0)
		return -ENOMEM;
	if (an_add_step(f, ctx, e->thread, e->task, action, e->stack_b) < 0)
		goto nomem;
	free(action);
	/* relabel the thread so two traces' T2 stay apart */
	for (size_t i = 0; i < f->nthreads; i++) {
		char *l = thread_label(f->threads[i].id, ctx);

		if (!l)
			return -ENOMEM;
		free(f->threads[i].id);
		f->threads[i].id = l;
	}
	for (size_t i = 0; i < f->nsteps; i++) {
		char *l = thread_label(f->steps[i].thread, ctx);

		if (!l)
			return -ENOMEM;
		free(f->steps[i].thread);
		f->steps[i].thread = l;
	}
	f->trace = strdup(ctx->trace_path);
	f->pid = pid;
	return f->trace ? 0 : -ENOMEM;
nomem:
	free(action);
	return -ENOMEM;
}

static int tr_merge(struct lockgraph *g, struct tr_state *st,
		    struct analysis_ctx *ctx, uint32_t trace)
{
	/* every lock is a node, nested or not (the dot graph shows them) */
	for (uint32_t i = 0; i < st->nobjs; i++)
		if (tr_name(g, st, ctx, i) < 0)
			return -ENOMEM;
	for (uint32_t i = 0; i < st->nedges; i++) {
		struct tr_edge *e = &st->edges[i];
		int na = tr_name(g, st, ctx, e->a),
		    nb = tr_name(g, st, ctx, e->b);
		struct lg_edge *ge;
		struct lg_witness *w;

		if (na < 0 || nb < 0)
			return -ENOMEM;
		ge = lg_edge(g, (uint32_t)na, (uint32_t)nb);
		if (!ge)
			return -ENOMEM;
		ge->count += e->count;
		if (ge->nwit && ge->wit[ge->nwit - 1].trace == trace)
			continue; /* one witness per trace is enough */
		if (an_grow((void **)&ge->wit, &ge->witcap, ge->nwit + 1,
			    sizeof(*ge->wit)) < 0)
			return -ENOMEM;
		w = &ge->wit[ge->nwit++];
		memset(w, 0, sizeof(*w));
		w->trace = trace;
		for (uint32_t j = 0; j < e->ngates; j++) {
			int gn = tr_name(g, st, ctx, e->gates[j]);

			if (gn < 0)
				return -ENOMEM;
			w->gates[w->ngates++] = gn;
		}
		if (make_witness(g, st, ctx, e, w) < 0)
			return -ENOMEM;
	}
	return 0;
}

int lockgraph_add_trace(struct lockgraph *g, const char *path,
			const struct analysis_options *opts, char *err,
			size_t errlen)
{
	struct hbt_reader *r = NULL;
	struct tr_state st;
	struct hbt_event ev;
	struct analysis_ctx ctx = {0};
	char **traces;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = hbt_reader_open(path, &r);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open trace '%s': %s", path,
			 r ? hbt_reader_error(r) : strerror(-ret));
		goto out;
	}
	while ((ret = hbt_reader_next(r, &ev)) > 0) {
		tr_event(&st, &ev);
		if (st.err) {
			ret = st.err;
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
	}
	if (ret < 0) {
		snprintf(err, errlen, "cannot read trace '%s': %s", path,
			 hbt_reader_error(r));
		goto out;
	}
	traces = realloc(g->traces, (g->ntraces + 1) * sizeof(*traces));
	if (!traces)
		goto nomem;
	g->traces = traces;
	g->traces[g->ntraces] = strdup(path);
	if (!g->traces[g->ntraces])
		goto nomem;
	ctx.reader = r;
	ctx.sym = symbolizer_new(r);
	ctx.opts = opts;
	ctx.trace_path = path;
	ret = tr_merge(g, &st, &ctx, g->ntraces);
	g->ntraces++;
	symbolizer_free(ctx.sym);
	if (ret < 0)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	ret = -ENOMEM;
	snprintf(err, errlen, "%s: out of memory", path);
out:
	tr_free(&st);
	if (r)
		hbt_reader_close(r);
	return ret;
}

/* ---- cross-trace cycles --------------------------------------------- */

struct cyc_search {
	struct lockgraph *g;
	uint32_t *out_first, *out_cnt; /* adjacency: edge ranges by node */
	uint32_t *adj;		       /* edge indexes sorted by source */
	uint32_t path[LG_MAX_CYCLE];   /* edge indexes */
	bool *on_path;
	uint32_t start;
	long budget;
	struct finding_list *out;
	int nfound;
	int err;
	const struct lg_witness *chosen[LG_MAX_CYCLE];
};

static bool witnesses_compatible(const struct lg_witness *a,
				 const struct lg_witness *b)
{
	if (a->trace == b->trace)
		return false;
	for (uint32_t i = 0; i < a->ngates; i++)
		for (uint32_t j = 0; j < b->ngates; j++)
			if (a->gates[i] == b->gates[j])
				return false;
	return true;
}

/* Pick one witness per edge of the cycle: distinct traces, no common
 * gate lock.  Small backtracking search: cycles are short. */
static bool choose_witnesses(struct cyc_search *cs, uint32_t len, uint32_t k)
{
	const struct lg_edge *e;

	if (k == len)
		return true;
	e = &cs->g->edges[cs->path[k]];
	for (uint32_t i = 0; i < e->nwit; i++) {
		bool ok = true;

		for (uint32_t j = 0; j < k && ok; j++)
			ok = witnesses_compatible(cs->chosen[j], &e->wit[i]);
		if (!ok)
			continue;
		cs->chosen[k] = &e->wit[i];
		if (choose_witnesses(cs, len, k + 1))
			return true;
	}
	return false;
}

/* Does one trace witness every edge of the cycle? */
static bool one_trace_has_all(struct cyc_search *cs, uint32_t len)
{
	const struct lg_edge *e0 = &cs->g->edges[cs->path[0]];

	for (uint32_t i = 0; i < e0->nwit; i++) {
		uint32_t t = e0->wit[i].trace;
		bool all = true;

		for (uint32_t k = 1; k < len && all; k++) {
			const struct lg_edge *e = &cs->g->edges[cs->path[k]];
			bool has = false;

			for (uint32_t j = 0; j < e->nwit && !has; j++)
				has = e->wit[j].trace == t;
			all = has;
		}
		if (all)
			return true;
	}
	return false;
}

static int copy_step(struct finding *f, const struct finding_step *s)
{
	struct finding_step *d = finding_add_step(f);

	if (!d)
		return -ENOMEM;
	d->thread = s->thread ? strdup(s->thread) : NULL;
	d->task = s->task ? strdup(s->task) : NULL;
	d->action = s->action ? strdup(s->action) : NULL;
	for (size_t i = 0; i < s->nframes; i++) {
		const struct finding_frame *sf = &s->frames[i];
		struct finding_frame *df = finding_step_add_frame(d);

		if (!df)
			return -ENOMEM;
		df->function = sf->function ? strdup(sf->function) : NULL;
		df->file = sf->file ? strdup(sf->file) : NULL;
		df->module = sf->module ? strdup(sf->module) : NULL;
		df->line = sf->line;
		df->pc = sf->pc;
		df->inlined = sf->inlined;
	}
	return 0;
}

static int emit_cycle(struct cyc_search *cs, uint32_t len)
{
	struct lockgraph *g = cs->g;
	struct finding *f = finding_new(FK_LOCK_ORDER_CYCLE);
	char msg[1024];
	size_t off;
	uint32_t k0 = 0;
	int err = -ENOMEM;

	if (!f)
		return -ENOMEM;
	f->predicted = true;
	f->is_error = true;
	f->detail = strdup("cross-trace");
	if (!f->detail)
		goto out;
	off = (size_t)snprintf(msg, sizeof(msg),
			       "lock-order cycle across %u traces: ", len);
	/* start at the smallest name: the id must not depend on the order
	 * the traces were given in */
	for (uint32_t k = 1; k < len; k++)
		if (strcmp(g->nodes[g->edges[cs->path[k]].a].name,
			   g->nodes[g->edges[cs->path[k0]].a].name) < 0)
			k0 = k;
	for (uint32_t j = 0; j < len; j++) {
		uint32_t k = (k0 + j) % len;
		const struct lg_node *n = &g->nodes[g->edges[cs->path[k]].a];
		struct finding_lock *l = finding_add_lock(f);

		if (!l)
			goto out;
		l->name = strdup(n->name);
		l->type = strdup(n->type);
		if (!l->name || !l->type)
			goto out;
		if (off < sizeof(msg))
			off += (size_t)snprintf(msg + off, sizeof(msg) - off,
						"%s -> ", n->name);
	}
	if (off < sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, "%s",
			 g->nodes[g->edges[cs->path[k0]].a].name);
	f->message = strdup(msg);
	if (!f->message)
		goto out;
	for (uint32_t j = 0; j < len; j++) {
		const struct finding *w = cs->chosen[(k0 + j) % len]->steps;

		for (size_t i = 0; i < w->nthreads; i++) {
			struct finding_thread *t = finding_add_thread(f);

			if (!t)
				goto out;
			t->id = w->threads[i].id ? strdup(w->threads[i].id)
						 : NULL;
			t->name = w->threads[i].name
					  ? strdup(w->threads[i].name)
					  : NULL;
			t->task = w->threads[i].task
					  ? strdup(w->threads[i].task)
					  : NULL;
		}
		for (size_t i = 0; i < w->nsteps; i++)
			if (copy_step(f, &w->steps[i]) < 0)
				goto out;
	}
	f->trace = strdup(g->traces[cs->chosen[k0]->trace]);
	f->pid = cs->chosen[k0]->steps->pid;
	findings_compute_id(f);
	err = finding_list_add(cs->out, f);
	if (err >= 0) {
		cs->nfound++;
		return 0;
	}
out:
	finding_free(f);
	return err;
}

static void dfs(struct cyc_search *cs, uint32_t node, uint32_t depth)
{
	struct lockgraph *g = cs->g;

	if (cs->err || cs->nfound >= LG_MAX_FINDINGS || --cs->budget < 0)
		return;
	for (uint32_t i = 0; i < cs->out_cnt[node]; i++) {
		uint32_t ei = cs->adj[cs->out_first[node] + i];
		uint32_t next = g->edges[ei].b;

		if (next < cs->start || g->nodes[next].addr_only)
			continue;
		cs->path[depth] = ei;
		if (next == cs->start) {
			if (depth >= 1 && !one_trace_has_all(cs, depth + 1) &&
			    choose_witnesses(cs, depth + 1, 0))
				cs->err = emit_cycle(cs, depth + 1);
			continue;
		}
		if (cs->on_path[next] || depth + 1 >= LG_MAX_CYCLE)
			continue;
		cs->on_path[next] = true;
		dfs(cs, next, depth + 1);
		cs->on_path[next] = false;
	}
}

/* Edge indexes grouped by source node (counting sort). */
static int build_adjacency(struct lockgraph *g, uint32_t **first,
			   uint32_t **cnt, uint32_t **adj)
{
	uint32_t *pos;

	*first = calloc(g->nnodes + 1, sizeof(**first));
	*cnt = calloc(g->nnodes + 1, sizeof(**cnt));
	*adj = malloc((g->nedges + 1) * sizeof(**adj));
	pos = calloc(g->nnodes + 1, sizeof(*pos));
	if (!*first || !*cnt || !*adj || !pos) {
		free(pos);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < g->nedges; i++)
		(*cnt)[g->edges[i].a]++;
	for (uint32_t n = 1; n < g->nnodes; n++)
		(*first)[n] = (*first)[n - 1] + (*cnt)[n - 1];
	for (uint32_t i = 0; i < g->nedges; i++) {
		uint32_t a = g->edges[i].a;

		(*adj)[(*first)[a] + pos[a]++] = i;
	}
	free(pos);
	return 0;
}

int lockgraph_cross_cycles(struct lockgraph *g, struct finding_list *out)
{
	struct cyc_search cs = {0};
	int ret;

	if (g->ntraces < 2 || !g->nedges)
		return 0;
	cs.g = g;
	cs.out = out;
	cs.budget = LG_DFS_BUDGET;
	cs.on_path = calloc(g->nnodes, sizeof(*cs.on_path));
	ret = build_adjacency(g, &cs.out_first, &cs.out_cnt, &cs.adj);
	if (ret < 0 || !cs.on_path) {
		ret = -ENOMEM;
		goto out;
	}
	for (cs.start = 0; cs.start < g->nnodes && !cs.err; cs.start++) {
		if (g->nodes[cs.start].addr_only)
			continue;
		cs.on_path[cs.start] = true;
		dfs(&cs, cs.start, 0);
		cs.on_path[cs.start] = false;
	}
	ret = cs.err ? cs.err : cs.nfound;
out:
	free(cs.on_path);
	free(cs.out_first);
	free(cs.out_cnt);
	free(cs.adj);
	return ret;
}

/* ---- graphviz ------------------------------------------------------- */

static void dot_str(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			putc(*s, out);
	}
	putc('"', out);
}

static int finding_lock_index(const struct finding *f, const char *name)
{
	for (size_t i = 0; i < f->nlocks; i++)
		if (f->locks[i].name && !strcmp(f->locks[i].name, name))
			return (int)i;
	return -1;
}

/* Is a -> b an edge of a reported cycle?  A lock-order cycle lists its
 * locks in cycle order, so the edge joins neighbours (chords of a longer
 * cycle stay black); for a deadlock any two of its locks will do. */
static bool edge_in_finding(const struct lockgraph *g, const struct lg_edge *e,
			    const struct finding_list *fl)
{
	for (size_t i = 0; fl && i < fl->n; i++) {
		const struct finding *f = fl->items[i];
		int ia, ib;

		if (f->kind != FK_LOCK_ORDER_CYCLE && f->kind != FK_DEADLOCK)
			continue;
		ia = finding_lock_index(f, g->nodes[e->a].name);
		ib = finding_lock_index(f, g->nodes[e->b].name);
		if (ia < 0 || ib < 0)
			continue;
		if (f->kind == FK_DEADLOCK || f->nlocks <= 2 ||
		    (size_t)ib == ((size_t)ia + 1) % f->nlocks)
			return true;
	}
	return false;
}

/* Can 'to' reach 'from'?  Then from -> to lies on a cycle. */
static bool reaches(const struct lockgraph *g, const uint32_t *first,
		    const uint32_t *cnt, const uint32_t *adj, uint32_t from,
		    uint32_t to, uint32_t *queue, bool *seen)
{
	uint32_t head = 0, tail = 0;
	bool found = false;

	memset(seen, 0, g->nnodes * sizeof(*seen));
	queue[tail++] = to;
	seen[to] = true;
	while (head < tail && !found) {
		uint32_t n = queue[head++];

		for (uint32_t i = 0; i < cnt[n]; i++) {
			uint32_t m = g->edges[adj[first[n] + i]].b;

			if (m == from) {
				found = true;
				break;
			}
			if (!seen[m]) {
				seen[m] = true;
				queue[tail++] = m;
			}
		}
	}
	return found;
}

int lockgraph_write_dot(struct lockgraph *g, FILE *out,
			const struct finding_list *findings)
{
	uint32_t *first = NULL, *cnt = NULL, *adj = NULL, *queue = NULL;
	bool *seen = NULL;
	int ret;

	ret = build_adjacency(g, &first, &cnt, &adj);
	queue = malloc((g->nnodes + 1) * sizeof(*queue));
	seen = malloc((g->nnodes + 1) * sizeof(*seen));
	if (ret < 0 || !queue || !seen) {
		ret = -ENOMEM;
		goto out;
	}
	fputs("// hbtrace lock graph: an edge A -> B means B was acquired "
	      "while\n"
	      "// A was held; red edges belong to a reported lock-order cycle "
	      "or\n"
	      "// deadlock, orange dashed ones to a cycle the analysis ruled "
	      "out.\n"
	      "digraph lockgraph {\n"
	      "  rankdir=LR;\n"
	      "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
	      "  edge [fontname=\"Helvetica\", fontsize=10];\n",
	      out);
	for (uint32_t i = 0; i < g->nnodes; i++) {
		fprintf(out, "  n%u [label=", i);
		dot_str(out, g->nodes[i].name);
		fputs(", tooltip=", out);
		dot_str(out, g->nodes[i].type);
		fputs("];\n", out);
	}
	for (uint32_t i = 0; i < g->nedges; i++) {
		const struct lg_edge *e = &g->edges[i];
		const char *style = "";

		if (e->a != e->b && edge_in_finding(g, e, findings))
			style = ", color=red, fontcolor=red, penwidth=2.5";
		else if (e->a != e->b && g->nedges <= 20000 &&
			 reaches(g, first, cnt, adj, e->a, e->b, queue, seen))
			style = ", color=orange, style=dashed";
		fprintf(out, "  n%u -> n%u [label=\"%" PRIu64 "\"%s];\n", e->a,
			e->b, e->count, style);
	}
	fputs("}\n", out);
	ret = ferror(out) ? -EIO : 0;
out:
	free(first);
	free(cnt);
	free(adj);
	free(queue);
	free(seen);
	return ret;
}

int lockorder_merge_traces(const char *const *paths, size_t npaths,
			   const struct analysis_options *opts,
			   struct finding_list *out, char *err, size_t errlen)
{
	struct lockgraph *g;
	int ret = 0;

	if (npaths < 2)
		return 0;
	g = lockgraph_new();
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < npaths && ret >= 0; i++)
		ret = lockgraph_add_trace(g, paths[i], opts, err, errlen);
	if (ret >= 0) {
		ret = lockgraph_cross_cycles(g, out);
		if (ret < 0)
			snprintf(err, errlen, "out of memory");
	}
	lockgraph_free(g);
	return ret;
}
