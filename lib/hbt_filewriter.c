// SPDX-License-Identifier: MIT
/*
 * hbt_filewriter.c - the offline trace writer (see hbt_filewriter.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hbt_codec.h"
#include "hbt_filewriter.h"
#include "hbt_varint.h"

#define FW_DEFAULT_CHUNK (64u * 1024)

struct fw_thread {
	uint32_t serial;
	int32_t tid;
	uint32_t chunk_index;
	uint8_t *buf;	     /* chunk image, header first */
	uint32_t cap;	     /* bytes allocated for buf */
	uint32_t used;	     /* header + records */
	uint64_t first_time; /* time_ns of the chunk's first event */
	bool has_time;
	struct hbt_codec_state codec;
};

struct intern {
	uint64_t hash;
	uint32_t id;
	uint32_t len; /* bytes of data */
	void *data;
};

struct hbt_filewriter {
	int fd;
	int err; /* sticky -errno */
	struct hbt_file_header hdr;
	bool clean_close;
	uint32_t chunk_size;
	uint64_t next_off;

	struct fw_thread *th;
	uint32_t nth, capth;
	uint32_t last_serial; /* where definitions go */
	uint32_t last_ix;     /* index of the thread used last */

	struct intern *strings; /* open addressing by hash, id 0 = empty */
	uint32_t str_mask, nstr;
	struct intern *stacks;
	uint32_t stk_mask, nstk;
	uint32_t npyframes;
};

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static int fw_fail(struct hbt_filewriter *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

int hbt_filewriter_open(const char *path,
			const struct hbt_filewriter_opts *opts,
			struct hbt_filewriter **out)
{
	struct hbt_filewriter_opts none = {0};
	struct hbt_filewriter *w;

	*out = NULL;
	if (!opts)
		opts = &none;
	if (opts->chunk_size && (opts->chunk_size % HBT_CHUNK_ALIGN ||
				 opts->chunk_size > HBT_MAX_CHUNK_SIZE))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int ret = -errno;

		free(w);
		return ret;
	}
	memcpy(w->hdr.magic, HBT_MAGIC, sizeof(w->hdr.magic));
	w->hdr.version = HBT_VERSION;
	w->hdr.min_reader_version = HBT_MIN_READER_VERSION;
	w->hdr.header_size = HBT_HEADER_SIZE;
	w->hdr.features = opts->features;
	w->hdr.flags = opts->flags;
	w->hdr.pid = opts->pid;
	w->hdr.ppid = opts->ppid;
	w->hdr.start_monotonic_ns = opts->start_monotonic_ns;
	w->hdr.start_realtime_ns = opts->start_realtime_ns;
	w->hdr.dropped_events = opts->dropped_events;
	if (opts->exe)
		strncpy(w->hdr.exe, opts->exe, sizeof(w->hdr.exe) - 1);
	if (opts->cmdline)
		strncpy(w->hdr.cmdline, opts->cmdline,
			sizeof(w->hdr.cmdline) - 1);
	w->clean_close = !opts->no_clean_close;
	w->chunk_size = opts->chunk_size ? opts->chunk_size : FW_DEFAULT_CHUNK;
	w->next_off = HBT_HEADER_SIZE;
	w->last_serial = 1;
	*out = w;
	return 0;
}

static struct fw_thread *fw_thread(struct hbt_filewriter *w, uint32_t serial)
{
	struct fw_thread *t;

	/* generators write runs of events per thread: try the last one */
	if (w->last_ix < w->nth && w->th[w->last_ix].serial == serial)
		return &w->th[w->last_ix];
	for (uint32_t i = 0; i < w->nth; i++)
		if (w->th[i].serial == serial) {
			w->last_ix = i;
			return &w->th[i];
		}
	if (w->nth == w->capth) {
		uint32_t ncap = w->capth ? w->capth * 2 : 8;
		void *p = realloc(w->th, sizeof(*w->th) * ncap);

		if (!p) {
			fw_fail(w, -ENOMEM);
			return NULL;
		}
		w->th = p;
		w->capth = ncap;
	}
	w->last_ix = w->nth;
	t = &w->th[w->nth++];
	memset(t, 0, sizeof(*t));
	t->serial = serial;
	t->tid = (int32_t)serial;
	return t;
}

static int fw_write_chunk(struct hbt_filewriter *w, struct fw_thread *t)
{
	struct hbt_chunk_header ch = {0};
	uint32_t size;
	ssize_t n;

	if (!t->buf || t->used <= HBT_CHUNK_HEADER_SIZE)
		return 0;
	/* Only the pages that hold records go to the file: a thread with a
	 * few events costs one page, not a whole chunk (the zero byte after
	 * the last record ends the chunk). */
	size = (t->used + 1 + HBT_CHUNK_ALIGN - 1) / HBT_CHUNK_ALIGN *
	       HBT_CHUNK_ALIGN;
	if (size > t->cap)
		size = t->cap;
	ch.size = size;
	ch.thread = t->serial;
	ch.chunk_index = t->chunk_index++;
	ch.tid = t->tid;
	ch.monotonic_ns = w->hdr.start_monotonic_ns + t->first_time;
	ch.magic = HBT_CHUNK_MAGIC;
	memcpy(t->buf, &ch, sizeof(ch));
	n = pwrite(w->fd, t->buf, size, (off_t)w->next_off);
	if (n != (ssize_t)size)
		return fw_fail(w, n < 0 ? -errno : -EIO);
	w->next_off += size;
	memset(t->buf, 0, t->cap);
	t->used = HBT_CHUNK_HEADER_SIZE;
	t->has_time = false;
	memset(&t->codec, 0, sizeof(t->codec));
	return 0;
}

/* Make room for 'need' more bytes (plus the END byte) in t's chunk. */
static int fw_room(struct hbt_filewriter *w, struct fw_thread *t, size_t need)
{
	size_t want;

	if (w->err)
		return w->err;
	if (t->buf && t->used + need + 1 <= t->cap)
		return 0;
	/* Buffers start at one page and double up to the chunk size, so
	 * many short-lived threads (an imported trace) stay cheap. */
	if (t->buf && t->cap < w->chunk_size &&
	    t->used + need + 1 <= w->chunk_size) {
		size_t ncap = t->cap;
		uint8_t *p;

		while (ncap < t->used + need + 1)
			ncap *= 2;
		if (ncap > w->chunk_size)
			ncap = w->chunk_size;
		p = realloc(t->buf, ncap);
		if (!p)
			return fw_fail(w, -ENOMEM);
		memset(p + t->cap, 0, ncap - t->cap);
		t->buf = p;
		t->cap = (uint32_t)ncap;
		return 0;
	}
	if (fw_write_chunk(w, t))
		return w->err;
	want = t->buf ? w->chunk_size : HBT_CHUNK_ALIGN;
	if (HBT_CHUNK_HEADER_SIZE + need + 1 > want)
		want = (HBT_CHUNK_HEADER_SIZE + need + 1 + HBT_CHUNK_ALIGN -
			1) /
		       HBT_CHUNK_ALIGN * HBT_CHUNK_ALIGN;
	if (want > HBT_MAX_CHUNK_SIZE)
		return fw_fail(w, -E2BIG);
	if (!t->buf || t->cap != want) {
		uint8_t *p = realloc(t->buf, want);

		if (!p)
			return fw_fail(w, -ENOMEM);
		t->buf = p;
		t->cap = (uint32_t)want;
	}
	memset(t->buf, 0, t->cap);
	t->used = HBT_CHUNK_HEADER_SIZE;
	memset(&t->codec, 0, sizeof(t->codec));
	return 0;
}

int hbt_filewriter_thread(struct hbt_filewriter *w, uint32_t serial,
			  int32_t tid)
{
	struct fw_thread *t = fw_thread(w, serial);

	if (!t)
		return w->err;
	t->tid = tid;
	return w->err;
}

int hbt_filewriter_event(struct hbt_filewriter *w, uint32_t serial,
			 const struct hbt_event *ev)
{
	struct fw_thread *t = fw_thread(w, serial);
	size_t n;

	if (!t)
		return w->err;
	if (fw_room(w, t, HBT_EVENT_MAX_BYTES + ev->data_len))
		return w->err;
	if (!t->has_time) {
		t->first_time = ev->time_ns;
		t->has_time = true;
	}
	n = hbt_encode_event(t->buf + t->used, &t->codec, ev);
	if (!n)
		return fw_fail(w, -EINVAL);
	t->used += (uint32_t)n;
	w->last_serial = serial;
	return 0;
}

int hbt_filewriter_flush_thread(struct hbt_filewriter *w, uint32_t serial)
{
	struct fw_thread *t = fw_thread(w, serial);

	if (!t)
		return w->err;
	return fw_write_chunk(w, t);
}

/* Encode a definition of at most 'room' bytes into the definitions
 * thread's chunk. */
static int fw_def(struct hbt_filewriter *w, size_t room,
		  size_t (*enc)(uint8_t *p, const void *arg), const void *arg)
{
	struct fw_thread *t = fw_thread(w, w->last_serial);

	if (!t)
		return w->err;
	if (fw_room(w, t, room))
		return w->err;
	t->used += (uint32_t)enc(t->buf + t->used, arg);
	return 0;
}

struct str_arg {
	uint32_t id;
	const char *s;
	size_t len;
};

static size_t enc_string(uint8_t *p, const void *arg)
{
	const struct str_arg *a = arg;

	return hbt_encode_string(p, a->id, a->s, a->len);
}

/* Look up or add (hash, data) in an intern table; returns the entry. */
static struct intern *intern_slot(struct hbt_filewriter *w, struct intern **tab,
				  uint32_t *mask, uint32_t *count,
				  const void *data, uint32_t len, bool *found)
{
	uint64_t h = fnv1a(data, len);
	uint32_t i;

	if (!*tab || (*count + 1) * 4 > (*mask + 1) * 3) {
		uint32_t ncap = *tab ? (*mask + 1) * 2 : 256;
		struct intern *n = calloc(ncap, sizeof(*n));

		if (!n) {
			fw_fail(w, -ENOMEM);
			return NULL;
		}
		if (*tab) {
			for (uint32_t k = 0; k <= *mask; k++) {
				uint32_t j;

				if (!(*tab)[k].id)
					continue;
				for (j = (uint32_t)(*tab)[k].hash & (ncap - 1);
				     n[j].id; j = (j + 1) & (ncap - 1))
					;
				n[j] = (*tab)[k];
			}
			free(*tab);
		}
		*tab = n;
		*mask = ncap - 1;
	}
	for (i = (uint32_t)h & *mask;; i = (i + 1) & *mask) {
		struct intern *e = &(*tab)[i];

		if (!e->id) {
			e->data = malloc(len ? len : 1);
			if (!e->data) {
				fw_fail(w, -ENOMEM);
				return NULL;
			}
			memcpy(e->data, data, len);
			e->hash = h;
			e->len = len;
			e->id = ++*count;
			*found = false;
			return e;
		}
		if (e->hash == h && e->len == len &&
		    !memcmp(e->data, data, len)) {
			*found = true;
			return e;
		}
	}
}

int hbt_filewriter_string_len(struct hbt_filewriter *w, const char *s,
			      size_t len)
{
	struct intern *e;
	struct str_arg a;
	bool found;

	if (w->err)
		return w->err;
	if (len > HBT_MAX_STRING_LEN)
		return -E2BIG; /* not sticky: the caller may shorten it */
	e = intern_slot(w, &w->strings, &w->str_mask, &w->nstr, s,
			(uint32_t)len, &found);
	if (!e)
		return w->err;
	if (found)
		return (int)e->id;
	a.id = e->id;
	a.s = s;
	a.len = len;
	if (fw_def(w, HBT_DEF_ROOM(len), enc_string, &a))
		return w->err;
	return (int)e->id;
}

int hbt_filewriter_string(struct hbt_filewriter *w, const char *s)
{
	return hbt_filewriter_string_len(w, s, strlen(s));
}

struct stack_arg {
	uint32_t id;
	const uint64_t *frames;
	uint32_t n;
};

static size_t enc_stack(uint8_t *p, const void *arg)
{
	const struct stack_arg *a = arg;

	return hbt_encode_stack(p, a->id, a->frames, a->n);
}

int hbt_filewriter_stack(struct hbt_filewriter *w, const uint64_t *frames,
			 uint32_t nframes)
{
	struct intern *e;
	struct stack_arg a;
	bool found;

	if (w->err)
		return w->err;
	if (nframes > HBT_MAX_STACK_FRAMES)
		return -E2BIG;
	e = intern_slot(w, &w->stacks, &w->stk_mask, &w->nstk, frames,
			nframes * (uint32_t)sizeof(*frames), &found);
	if (!e)
		return w->err;
	if (found)
		return (int)e->id;
	a.id = e->id;
	a.frames = frames;
	a.n = nframes;
	if (fw_def(w, HBT_DEF_ROOM((size_t)nframes * HBT_UV_MAX), enc_stack,
		   &a))
		return w->err;
	return (int)e->id;
}

struct pyframe_arg {
	uint32_t id, function, file, line, first_line;
};

static size_t enc_pyframe(uint8_t *p, const void *arg)
{
	const struct pyframe_arg *a = arg;

	return hbt_encode_pyframe(p, a->id, a->function, a->file, a->line,
				  a->first_line);
}

int hbt_filewriter_pyframe(struct hbt_filewriter *w, const char *function,
			   const char *file, uint32_t line, uint32_t first_line)
{
	struct pyframe_arg a;
	int fn = hbt_filewriter_string(w, function);
	int fi = hbt_filewriter_string(w, file);

	if (fn < 0 || fi < 0)
		return fn < 0 ? fn : fi;
	a.id = ++w->npyframes;
	a.function = (uint32_t)fn;
	a.file = (uint32_t)fi;
	a.line = line;
	a.first_line = first_line;
	if (fw_def(w, HBT_DEF_ROOM(0), enc_pyframe, &a))
		return w->err;
	return (int)a.id;
}

struct module_arg {
	uint64_t start, end, off;
	const uint8_t *bid;
	uint32_t bid_len;
	const char *path;
	size_t path_len;
};

static size_t enc_module(uint8_t *p, const void *arg)
{
	const struct module_arg *a = arg;

	return hbt_encode_module(p, a->start, a->end, a->off, a->bid,
				 a->bid_len, a->path, a->path_len);
}

int hbt_filewriter_module(struct hbt_filewriter *w, uint64_t start,
			  uint64_t end, uint64_t file_offset,
			  const uint8_t *build_id, uint32_t build_id_len,
			  const char *path)
{
	static const uint8_t no_build_id[1];
	struct module_arg a = {start,
			       end,
			       file_offset,
			       build_id ? build_id : no_build_id,
			       build_id ? build_id_len : 0,
			       path,
			       strlen(path)};

	if (build_id_len > 256 || a.path_len > 4096)
		return -E2BIG;
	return fw_def(w, HBT_DEF_ROOM(build_id_len + a.path_len), enc_module,
		      &a);
}

struct pair_arg {
	uint64_t a, b;
	uint8_t kind;
	uint32_t c, d;
};

static size_t enc_unmap(uint8_t *p, const void *arg)
{
	const struct pair_arg *a = arg;

	return hbt_encode_module_unmap(p, a->a, a->b);
}

static size_t enc_thread_name(uint8_t *p, const void *arg)
{
	const struct pair_arg *a = arg;

	return hbt_encode_thread_name(p, (uint32_t)a->a, a->c);
}

static size_t enc_obj_name(uint8_t *p, const void *arg)
{
	const struct pair_arg *a = arg;

	return hbt_encode_obj_name(p, a->a, a->kind, a->c);
}

static size_t enc_task_name(uint8_t *p, const void *arg)
{
	const struct pair_arg *a = arg;

	return hbt_encode_task_name(p, a->a, a->c, a->d);
}

static size_t enc_note(uint8_t *p, const void *arg)
{
	const struct pair_arg *a = arg;

	return hbt_encode_note(p, a->c);
}

int hbt_filewriter_module_unmap(struct hbt_filewriter *w, uint64_t start,
				uint64_t end)
{
	struct pair_arg a = {.a = start, .b = end};

	return fw_def(w, HBT_DEF_ROOM(0), enc_unmap, &a);
}

int hbt_filewriter_thread_name(struct hbt_filewriter *w, uint32_t serial,
			       const char *name)
{
	int sid = hbt_filewriter_string(w, name);
	struct pair_arg a = {.a = serial};

	if (sid < 0)
		return sid;
	a.c = (uint32_t)sid;
	return fw_def(w, HBT_DEF_ROOM(0), enc_thread_name, &a);
}

int hbt_filewriter_obj_name(struct hbt_filewriter *w, uint64_t obj,
			    uint8_t kind, const char *name)
{
	int sid = hbt_filewriter_string(w, name);
	struct pair_arg a = {.a = obj, .kind = kind};

	if (sid < 0)
		return sid;
	a.c = (uint32_t)sid;
	return fw_def(w, HBT_DEF_ROOM(0), enc_obj_name, &a);
}

int hbt_filewriter_task_name(struct hbt_filewriter *w, uint64_t task,
			     const char *name, const char *coro)
{
	int n = name ? hbt_filewriter_string(w, name) : 0;
	int c = coro ? hbt_filewriter_string(w, coro) : 0;
	struct pair_arg a = {.a = task};

	if (n < 0 || c < 0)
		return n < 0 ? n : c;
	a.c = (uint32_t)n;
	a.d = (uint32_t)c;
	return fw_def(w, HBT_DEF_ROOM(0), enc_task_name, &a);
}

int hbt_filewriter_note(struct hbt_filewriter *w, const char *key_value)
{
	int sid = hbt_filewriter_string(w, key_value);
	struct pair_arg a = {0};

	if (sid < 0)
		return sid;
	a.c = (uint32_t)sid;
	return fw_def(w, HBT_DEF_ROOM(HBT_UV_MAX), enc_note, &a);
}

static void free_intern(struct intern *tab, uint32_t mask)
{
	if (!tab)
		return;
	for (uint32_t i = 0; i <= mask; i++)
		free(tab[i].data);
	free(tab);
}

int hbt_filewriter_close(struct hbt_filewriter *w)
{
	int ret;
	ssize_t n;

	for (uint32_t i = 0; i < w->nth; i++)
		fw_write_chunk(w, &w->th[i]);
	if (w->clean_close)
		w->hdr.flags |= HBT_HDR_CLEAN_CLOSE;
	if (w->err)
		w->hdr.flags |= HBT_HDR_WRITE_ERROR;
	w->hdr.end_offset = w->next_off;
	n = pwrite(w->fd, &w->hdr, sizeof(w->hdr), 0);
	if (n != (ssize_t)sizeof(w->hdr))
		fw_fail(w, n < 0 ? -errno : -EIO);
	if (close(w->fd))
		fw_fail(w, -errno);
	ret = w->err;
	for (uint32_t i = 0; i < w->nth; i++)
		free(w->th[i].buf);
	free(w->th);
	free_intern(w->strings, w->str_mask);
	free_intern(w->stacks, w->stk_mask);
	free(w);
	return ret;
}
