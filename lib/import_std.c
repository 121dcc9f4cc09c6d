// SPDX-License-Identifier: MIT
/*
 * import_std.c - RAPID STD traces to .hbt (see import_std.h for the
 * format and the mapping).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hbt_filewriter.h"
#include "import_std.h"

/* Synthetic address spaces: far apart, aligned like the real objects. */
#define STD_LOCK_BASE	0x10000000ull
#define STD_LOCK_STRIDE 0x40ull
#define STD_VAR_BASE	0x40000000ull
#define STD_VAR_STRIDE	0x8ull

static const struct {
	const char *name;
	enum std_op op;
	bool needs_arg;
} std_ops[] = {
	{"acq", STD_ACQ, true},	     {"rel", STD_REL, true},
	{"r", STD_READ, true},	     {"w", STD_WRITE, true},
	{"fork", STD_FORK, true},    {"join", STD_JOIN, true},
	{"begin", STD_BEGIN, false}, {"end", STD_END, false},
};

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static void cut(const char *s, size_t len, char *out, size_t outlen)
{
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

int std_parse_line(const char *line, size_t len, struct std_line *out,
		   char *err, size_t errlen)
{
	const char *f[4];
	size_t flen[4], nf = 0;
	const char *p = line, *end = line + len, *op, *paren;
	size_t oplen, namelen;
	char q[64];

	memset(out, 0, sizeof(*out));
	trim(&line, &len);
	if (!len || line[0] == '#' || (len >= 2 && !memcmp(line, "//", 2)))
		return 0;
	p = line;
	end = line + len;
	while (nf < 4) {
		const char *bar = memchr(p, '|', (size_t)(end - p));

		f[nf] = p;
		flen[nf] = bar ? (size_t)(bar - p) : (size_t)(end - p);
		trim(&f[nf], &flen[nf]);
		nf++;
		if (!bar)
			break;
		p = bar + 1;
	}
	if (nf < 2 || nf > 3) {
		cut(line, len, q, sizeof(q));
		snprintf(err, errlen,
			 "expected 'THREAD|OP(ARG)|LOCATION', got '%s'", q);
		return -EINVAL;
	}
	if (!flen[0]) {
		snprintf(err, errlen, "missing thread");
		return -EINVAL;
	}
	out->thread = f[0];
	out->thread_len = flen[0];
	if (nf == 3) {
		if (!flen[2]) {
			snprintf(err, errlen, "empty location");
			return -EINVAL;
		}
		out->loc = f[2];
		out->loc_len = flen[2];
	}

	op = f[1];
	oplen = flen[1];
	paren = memchr(op, '(', oplen);
	namelen = paren ? (size_t)(paren - op) : oplen;
	while (namelen && isspace((unsigned char)op[namelen - 1]))
		namelen--;
	for (size_t i = 0; i < sizeof(std_ops) / sizeof(std_ops[0]); i++) {
		if (strlen(std_ops[i].name) != namelen ||
		    memcmp(std_ops[i].name, op, namelen))
			continue;
		out->op = std_ops[i].op;
		if (!paren) {
			if (std_ops[i].needs_arg) {
				cut(op, oplen, q, sizeof(q));
				snprintf(err, errlen,
					 "missing argument in '%s'", q);
				return -EINVAL;
			}
			return 1;
		}
		if (op[oplen - 1] != ')') {
			cut(op, oplen, q, sizeof(q));
			snprintf(err, errlen, "bad operation '%s'", q);
			return -EINVAL;
		}
		out->arg = paren + 1;
		out->arg_len = (size_t)(op + oplen - 1 - out->arg);
		trim(&out->arg, &out->arg_len);
		if (std_ops[i].needs_arg && !out->arg_len) {
			cut(op, oplen, q, sizeof(q));
			snprintf(err, errlen, "missing argument in '%s'", q);
			return -EINVAL;
		}
		if (memchr(out->arg, '(', out->arg_len) ||
		    memchr(out->arg, ')', out->arg_len)) {
			cut(op, oplen, q, sizeof(q));
			snprintf(err, errlen, "bad operation '%s'", q);
			return -EINVAL;
		}
		return 1;
	}
	cut(op, namelen ? namelen : oplen, q, sizeof(q));
	snprintf(err, errlen, "bad operation '%s'", q);
	return -EINVAL;
}

/* ---- name tables ---------------------------------------------------- */

struct names {
	char **v;
	size_t n, cap;
	uint32_t *slots; /* index + 1, 0 = empty */
	size_t nslots;
};

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

static int names_grow(struct names *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 64;
	uint32_t *slots = calloc(ns, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t h = hash_bytes(t->v[i], strlen(t->v[i])) & (ns - 1);

		while (slots[h])
			h = (h + 1) & (ns - 1);
		slots[h] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = ns;
	return 0;
}

/* Index of 's' (added if new; *created says so), or -ENOMEM. */
static long names_get(struct names *t, const char *s, size_t len, bool *created)
{
	size_t h;

	*created = false;
	if ((t->n + 1) * 2 > t->nslots && names_grow(t) < 0)
		return -ENOMEM;
	h = hash_bytes(s, len) & (t->nslots - 1);
	while (t->slots[h]) {
		const char *c = t->v[t->slots[h] - 1];

		if (strlen(c) == len && !memcmp(c, s, len))
			return t->slots[h] - 1;
		h = (h + 1) & (t->nslots - 1);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = strndup(s, len);
	if (!t->v[t->n])
		return -ENOMEM;
	t->slots[h] = (uint32_t)t->n + 1;
	*created = true;
	return (long)t->n++;
}

static void names_free(struct names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slots);
}

/* Grow an array of 'size'-byte elements to hold index 'i', zero-filled. */
static int grow_zero(void **arr, size_t *cap, size_t i, size_t size)
{
	size_t ncap;
	char *p;

	if (i < *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap <= i)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	memset(p + *cap * size, 0, (ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- the converter -------------------------------------------------- */

struct std_thread {
	uint32_t parent; /* serial of the forking thread, 0 = none */
	bool started, ended, joined;
};

struct std_lock {
	uint64_t seq;
	uint32_t holder; /* serial, 0 = free */
	uint32_t depth;
};

struct importer {
	struct hbt_filewriter *w;
	const char *file_base;
	struct names threads, locks, vars, locs;
	struct std_thread *th;
	size_t thcap;
	struct std_lock *lk;
	size_t lkcap;
	uint32_t *loc_stack;
	size_t loccap;
	unsigned line;
	long nevents;
};

static int emit(struct importer *im, uint32_t serial, struct hbt_event *ev)
{
	im->nevents++;
	return hbt_filewriter_event(im->w, serial, ev);
}

/* Thread serial for an STD name (1-based), registering it if new. */
static long thread_serial(struct importer *im, const char *s, size_t len)
{
	bool created;
	long i = names_get(&im->threads, s, len, &created);

	if (i < 0)
		return i;
	if (grow_zero((void **)&im->th, &im->thcap, (size_t)i + 1,
		      sizeof(*im->th)) < 0)
		return -ENOMEM;
	if (created) {
		int ret = hbt_filewriter_thread_name(im->w, (uint32_t)i + 1,
						     im->threads.v[i]);
		if (ret < 0)
			return ret;
	}
	return i + 1;
}

static int thread_start(struct importer *im, uint32_t serial)
{
	struct std_thread *t = &im->th[serial];
	struct hbt_event ev = {.type = HBT_REC_THREAD_START};

	if (t->started)
		return 0;
	t->started = true;
	ev.obj = t->parent;
	ev.arg = serial; /* tid: the serial stands in */
	return emit(im, serial, &ev);
}

static int thread_end(struct importer *im, uint32_t serial)
{
	struct std_thread *t = &im->th[serial];
	struct hbt_event ev = {.type = HBT_REC_THREAD_END};
	int ret;

	if (t->ended)
		return 0;
	ret = thread_start(im, serial);
	if (ret < 0)
		return ret;
	t->ended = true;
	return emit(im, serial, &ev);
}

/* Stack id for a location token (interned per token). */
static long loc_stack(struct importer *im, const struct std_line *l)
{
	char buf[32];
	const char *s = l->loc;
	size_t len = l->loc_len;
	bool created, numeric = len > 0;
	long i;

	if (!len) {
		snprintf(buf, sizeof(buf), "%u", im->line);
		s = buf;
		len = strlen(buf);
	}
	for (size_t k = 0; k < len; k++)
		numeric = numeric && isdigit((unsigned char)s[k]);
	if (!l->loc_len)
		numeric = true;
	i = names_get(&im->locs, s, len, &created);
	if (i < 0)
		return i;
	if (grow_zero((void **)&im->loc_stack, &im->loccap, (size_t)i,
		      sizeof(*im->loc_stack)) < 0)
		return -ENOMEM;
	if (created) {
		char *fn = NULL;
		uint64_t frame;
		int pf, st;

		if (asprintf(&fn, numeric ? "L%s" : "%s", im->locs.v[i]) < 0)
			return -ENOMEM;
		pf = hbt_filewriter_pyframe(im->w, fn, im->file_base, im->line,
					    im->line);
		free(fn);
		if (pf < 0)
			return pf;
		frame = HBT_FRAME_FROM_PY((uint64_t)pf);
		st = hbt_filewriter_stack(im->w, &frame, 1);
		if (st < 0)
			return st;
		im->loc_stack[i] = (uint32_t)st;
	}
	return im->loc_stack[i];
}

static long object(struct importer *im, struct names *t, const char *s,
		   size_t len, uint8_t kind, uint64_t base, uint64_t stride,
		   uint64_t *addr)
{
	bool created;
	long i = names_get(t, s, len, &created);

	if (i < 0)
		return i;
	*addr = base + (uint64_t)i * stride;
	if (created) {
		int ret = hbt_filewriter_obj_name(im->w, *addr, kind, t->v[i]);

		if (ret < 0)
			return ret;
	}
	return i;
}

static int import_event(struct importer *im, const struct std_line *l,
			char *err, size_t errlen)
{
	struct hbt_event ev = {0};
	long serial = thread_serial(im, l->thread, l->thread_len), stack, i;
	struct std_thread *t;
	struct std_lock *lk;
	uint64_t addr;
	int ret;

	if (serial < 0)
		return (int)serial;
	t = &im->th[serial];
	if (t->ended) {
		snprintf(err, errlen,
			 "thread '%s' has events after it was joined",
			 im->threads.v[serial - 1]);
		return -EINVAL;
	}
	ret = thread_start(im, (uint32_t)serial);
	if (ret < 0)
		return ret;
	stack = loc_stack(im, l);
	if (stack < 0)
		return (int)stack;

	switch (l->op) {
	case STD_BEGIN:
	case STD_END:
		return 0;
	case STD_ACQ:
	case STD_REL:
		i = object(im, &im->locks, l->arg, l->arg_len, HBT_OBJ_MUTEX,
			   STD_LOCK_BASE, STD_LOCK_STRIDE, &addr);
		if (i < 0)
			return (int)i;
		if (grow_zero((void **)&im->lk, &im->lkcap, (size_t)i,
			      sizeof(*im->lk)) < 0)
			return -ENOMEM;
		lk = &im->lk[i];
		ev.obj = addr;
		ev.kind = HBT_OBJ_MUTEX;
		if (l->op == STD_ACQ) {
			if (lk->holder == (uint32_t)serial && lk->depth) {
				lk->depth++; /* reentrant: fold into the outer
					      */
				return 0;
			}
			if (lk->seq == 0) {
				struct hbt_event init = {
					.type = HBT_REC_OBJ_INIT,
					.obj = addr,
					.kind = HBT_OBJ_MUTEX,
					.arg = HBT_MUTEX_RECURSIVE,
					.stack = (uint32_t)stack,
				};

				ret = emit(im, (uint32_t)serial, &init);
				if (ret < 0)
					return ret;
			}
			lk->holder = (uint32_t)serial;
			lk->depth = 1;
			ev.type = HBT_REC_ACQUIRE;
			ev.seq = ++lk->seq;
			ev.stack = (uint32_t)stack;
			return emit(im, (uint32_t)serial, &ev);
		}
		ev.type = HBT_REC_RELEASE;
		if (lk->holder == (uint32_t)serial && lk->depth) {
			if (--lk->depth)
				return 0;
			lk->holder = 0;
		} else {
			ev.err = EPERM; /* as pthread_mutex_unlock reports it */
			ev.stack = (uint32_t)stack;
		}
		return emit(im, (uint32_t)serial, &ev);
	case STD_READ:
	case STD_WRITE:
		i = object(im, &im->vars, l->arg, l->arg_len, HBT_OBJ_NONE,
			   STD_VAR_BASE, STD_VAR_STRIDE, &addr);
		if (i < 0)
			return (int)i;
		ev.type = l->op == STD_READ ? HBT_REC_MEM_READ
					    : HBT_REC_MEM_WRITE;
		ev.obj = addr;
		ev.arg = 8;
		ev.stack = (uint32_t)stack;
		return emit(im, (uint32_t)serial, &ev);
	case STD_FORK:
	case STD_JOIN: {
		long child = thread_serial(im, l->arg, l->arg_len);
		struct std_thread *c;

		if (child < 0)
			return (int)child;
		t = &im->th[serial]; /* thread_serial may have moved it */
		c = &im->th[child];
		if (child == serial) {
			snprintf(err, errlen, "thread '%s' cannot %s itself",
				 im->threads.v[serial - 1],
				 l->op == STD_FORK ? "fork" : "join");
			return -EINVAL;
		}
		if (l->op == STD_FORK) {
			if (c->started || c->parent) {
				snprintf(err, errlen,
					 "thread '%s' forked after it started",
					 im->threads.v[child - 1]);
				return -EINVAL;
			}
			c->parent = (uint32_t)serial;
			ev.type = HBT_REC_THREAD_CREATE;
			ev.obj = (uint64_t)child;
			ev.stack = (uint32_t)stack;
			return emit(im, (uint32_t)serial, &ev);
		}
		if (c->joined) {
			snprintf(err, errlen, "thread '%s' joined twice",
				 im->threads.v[child - 1]);
			return -EINVAL;
		}
		c->joined = true;
		ret = thread_end(im, (uint32_t)child);
		if (ret < 0)
			return ret;
		ev.type = HBT_REC_JOIN_REQUEST;
		ev.obj = (uint64_t)child;
		ev.stack = (uint32_t)stack;
		ret = emit(im, (uint32_t)serial, &ev);
		if (ret < 0)
			return ret;
		memset(&ev, 0, sizeof(ev));
		ev.type = HBT_REC_JOIN;
		ev.obj = (uint64_t)child;
		ev.outcome = HBT_OUT_OK;
		return emit(im, (uint32_t)serial, &ev);
	}
	}
	return 0;
}

long import_std_file(const char *in_path, const char *out_path, char *err,
		     size_t errlen)
{
	struct importer im;
	struct hbt_filewriter_opts o = {0};
	FILE *in = fopen(in_path, "r");
	char *line = NULL, cmd[512], msg[400];
	size_t cap = 0;
	ssize_t n;
	long ret = 0;
	int cret;

	memset(&im, 0, sizeof(im));
	if (!in) {
		ret = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", in_path,
			 strerror(errno));
		return ret;
	}
	im.file_base =
		strrchr(in_path, '/') ? strrchr(in_path, '/') + 1 : in_path;
	snprintf(cmd, sizeof(cmd), "hbtrace import --from std %s", in_path);
	o.pid = 1;
	o.exe = in_path;
	o.cmdline = cmd;
	o.features = HBT_FEAT_PTHREAD | HBT_FEAT_STACKS | HBT_FEAT_MEMORY |
		     HBT_FEAT_IMPORTED;
	cret = hbt_filewriter_open(out_path, &o, &im.w);
	if (cret < 0) {
		ret = cret;
		snprintf(err, errlen, "cannot write trace '%s': %s", out_path,
			 strerror(-cret));
		goto out;
	}
	while ((n = getline(&line, &cap, in)) >= 0) {
		struct std_line l;
		int r;

		im.line++;
		if (n && line[n - 1] == '\n')
			n--;
		if (memchr(line, '\0', (size_t)n)) {
			snprintf(err, errlen, "%s:%u: not a text line", in_path,
				 im.line);
			ret = -EINVAL;
			goto out;
		}
		r = std_parse_line(line, (size_t)n, &l, msg, sizeof(msg));
		if (r == 0)
			continue;
		if (r > 0) {
			msg[0] = '\0';
			r = import_event(&im, &l, msg, sizeof(msg));
		}
		if (r < 0) {
			if (msg[0])
				snprintf(err, errlen, "%s:%u: %s", in_path,
					 im.line, msg);
			else
				snprintf(err, errlen, "%s:%u: %s", in_path,
					 im.line, strerror(-r));
			ret = r;
			goto out;
		}
	}
	if (ferror(in)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot read '%s'", in_path);
		goto out;
	}
	/* threads still running at the end of the file end there */
	for (size_t s = 1; s <= im.threads.n; s++) {
		int r = thread_end(&im, (uint32_t)s);

		if (r < 0) {
			ret = r;
			snprintf(err, errlen, "cannot write trace '%s': %s",
				 out_path, strerror(-r));
			goto out;
		}
	}
	ret = im.nevents;
out:
	if (im.w) {
		cret = hbt_filewriter_close(im.w);
		if (cret < 0 && ret >= 0) {
			ret = cret;
			snprintf(err, errlen, "cannot write trace '%s': %s",
				 out_path, strerror(-cret));
		}
		if (ret < 0)
			unlink(out_path);
	}
	names_free(&im.threads);
	names_free(&im.locks);
	names_free(&im.vars);
	names_free(&im.locs);
	free(im.th);
	free(im.lk);
	free(im.loc_stack);
	free(line);
	fclose(in);
	return ret;
}
