// SPDX-License-Identifier: MIT
/*
 * hbt_codec.c - one record at a time, both directions.
 *
 * Every record type has its fields listed once for the encoder and once for
 * the decoder, next to each other in the same order; hbt_format.h describes
 * them.  Keep the two switch statements in step.
 */
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "hbt_codec.h"
#include "hbt_varint.h"

static inline uint8_t *put_obj(uint8_t *p, struct hbt_codec_state *st,
			       uint64_t obj)
{
	p = hbt_put_sv(p, (int64_t)(obj - st->prev_obj));
	st->prev_obj = obj;
	return p;
}

static inline uint8_t *put_addr(uint8_t *p, struct hbt_codec_state *st,
				uint64_t addr)
{
	p = hbt_put_sv(p, (int64_t)(addr - st->prev_addr));
	st->prev_addr = addr;
	return p;
}

/* Publish a record: the type byte goes last (see hbt_format.h). */
static inline size_t publish(uint8_t *start, uint8_t *end, uint8_t type)
{
	__atomic_store_n(start, type, __ATOMIC_RELEASE);
	return (size_t)(end - start);
}

size_t hbt_encode_event(uint8_t *start, struct hbt_codec_state *st,
			const struct hbt_event *ev)
{
	uint8_t *p = start + 1;

	switch (ev->type) {
	case HBT_REC_OBJ_INIT:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_OBJ_DESTROY:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		p = hbt_put_sv(p, ev->err);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_REQUEST:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_ACQUIRE:
		/* the short form where it applies, as hbt_encode_acquire() */
		if (ev->kind == HBT_OBJ_MUTEX && !ev->op)
			return hbt_encode_acquire(start, st, ev->obj, ev->kind,
						  ev->op, ev->seq, ev->stack);
		/* fall through */
	case HBT_REC_POST:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->seq);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_RELEASE:
		if (ev->kind == HBT_OBJ_MUTEX && !ev->op && !ev->err &&
		    !ev->stack)
			return hbt_encode_release(start, st, ev->obj, ev->kind,
						  0, 0, 0);
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		*p++ = ev->op;
		p = hbt_put_sv(p, ev->err);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_FAIL:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		*p++ = ev->op;
		*p++ = ev->outcome;
		p = hbt_put_sv(p, ev->err);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_COND_WAIT:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		p = hbt_put_sv(p, (int64_t)(ev->obj2 - ev->obj));
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_COND_WAKE:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		p = hbt_put_sv(p, (int64_t)(ev->obj2 - ev->obj));
		*p++ = ev->op;
		*p++ = ev->outcome;
		p = hbt_put_sv(p, ev->err);
		p = hbt_put_uv(p, ev->seq);
		p = hbt_put_uv(p, ev->seq2);
		break;
	case HBT_REC_BARRIER_ARRIVE:
		p = put_obj(p, st, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->seq);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_LOCK_REPEAT:
		p = put_obj(p, st, ev->obj);
		*p++ = ev->kind;
		p = hbt_put_uv(p, ev->seq);
		p = hbt_put_uv(p, ev->stack);
		hbt_put_le32(p, (uint32_t)ev->arg);
		hbt_put_le32(p + 4, (uint32_t)ev->arg2);
		p += 8;
		break;
	case HBT_REC_BARRIER_LEAVE:
		p = put_obj(p, st, ev->obj);
		p = hbt_put_uv(p, ev->seq);
		p = hbt_put_sv(p, ev->err);
		break;
	case HBT_REC_THREAD_START:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->arg2);
		break;
	case HBT_REC_THREAD_END:
		p = hbt_put_uv(p, ev->arg);
		*p++ = ev->op;
		break;
	case HBT_REC_THREAD_CREATE:
	case HBT_REC_DETACH:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_sv(p, ev->err);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_JOIN_REQUEST:
		p = hbt_put_uv(p, ev->obj);
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_JOIN:
		p = hbt_put_uv(p, ev->obj);
		*p++ = ev->op;
		*p++ = ev->outcome;
		p = hbt_put_sv(p, ev->err);
		break;
	case HBT_REC_FORK:
		p = hbt_put_sv(p, (int64_t)ev->arg);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_EXEC:
		p = hbt_put_sv(p, ev->err);
		p = hbt_put_uv(p, ev->data_len);
		memcpy(p, ev->data, ev->data_len);
		p += ev->data_len;
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_DEADLOCK:
		p = hbt_put_uv(p, ev->obj2);
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->obj);
		break;
	case HBT_REC_TIME:
		p = hbt_put_uv(p, ev->time_ns);
		break;
	case HBT_REC_MEM_READ:
	case HBT_REC_MEM_WRITE:
		p = put_addr(p, st, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_MEM_ATOMIC:
		p = put_addr(p, st, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		*p++ = ev->op;
		*p++ = ev->outcome;
		p = hbt_put_uv(p, ev->seq);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_MEM_RANGE:
		p = put_addr(p, st, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_ALLOC:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_FREE:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_TASK_CREATE:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->obj2);
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_TASK_STEP:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->time_ns);
		break;
	case HBT_REC_TASK_SUSPEND:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->obj2);
		*p++ = ev->kind;
		p = hbt_put_uv(p, ev->time_ns);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_TASK_DONE:
		p = hbt_put_uv(p, ev->obj);
		*p++ = ev->outcome;
		p = hbt_put_uv(p, ev->arg);
		break;
	case HBT_REC_TASK_AWAIT:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->obj2);
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_TASK_RESULT_TAKEN:
		p = hbt_put_uv(p, ev->obj);
		break;
	case HBT_REC_TASK_LEFT:
		p = hbt_put_uv(p, ev->obj);
		*p++ = ev->op;
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_PY_ACCESS:
		*p++ = ev->op;
		*p++ = ev->outcome;
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->obj2);
		p = hbt_put_uv(p, ev->stack);
		break;
	case HBT_REC_LOOP_STALL:
		p = hbt_put_uv(p, ev->obj);
		p = hbt_put_uv(p, ev->arg);
		p = hbt_put_uv(p, ev->stack);
		break;
	default:
		return 0;
	}
	return publish(start, p, ev->type);
}

size_t hbt_encode_string(uint8_t *start, uint32_t id, const char *s, size_t len)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, id);
	p = hbt_put_uv(p, len);
	memcpy(p, s, len);
	p += len;
	return publish(start, p, HBT_REC_STRING);
}

size_t hbt_encode_stack(uint8_t *start, uint32_t id, const uint64_t *frames,
			uint32_t nframes)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, id);
	p = hbt_put_uv(p, nframes);
	for (uint32_t i = 0; i < nframes; i++)
		p = hbt_put_uv(p, frames[i]);
	return publish(start, p, HBT_REC_STACK);
}

size_t hbt_encode_module(uint8_t *start, uint64_t mstart, uint64_t mend,
			 uint64_t file_offset, const uint8_t *build_id,
			 uint32_t build_id_len, const char *path,
			 size_t path_len)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, mstart);
	p = hbt_put_uv(p, mend);
	p = hbt_put_uv(p, file_offset);
	p = hbt_put_uv(p, build_id_len);
	memcpy(p, build_id, build_id_len);
	p += build_id_len;
	p = hbt_put_uv(p, path_len);
	memcpy(p, path, path_len);
	p += path_len;
	return publish(start, p, HBT_REC_MODULE);
}

size_t hbt_encode_module_unmap(uint8_t *start, uint64_t mstart, uint64_t mend)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, mstart);
	p = hbt_put_uv(p, mend);
	return publish(start, p, HBT_REC_MODULE_UNMAP);
}

size_t hbt_encode_thread_name(uint8_t *start, uint32_t serial, uint32_t name)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, serial);
	p = hbt_put_uv(p, name);
	return publish(start, p, HBT_REC_THREAD_NAME);
}

size_t hbt_encode_obj_name(uint8_t *start, uint64_t obj, uint8_t kind,
			   uint32_t name)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, obj);
	*p++ = kind;
	p = hbt_put_uv(p, name);
	return publish(start, p, HBT_REC_OBJ_NAME);
}

size_t hbt_encode_pyframe(uint8_t *start, uint32_t id, uint32_t function,
			  uint32_t file, uint32_t line, uint32_t first_line)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, id);
	p = hbt_put_uv(p, function);
	p = hbt_put_uv(p, file);
	p = hbt_put_uv(p, line);
	p = hbt_put_uv(p, first_line);
	return publish(start, p, HBT_REC_PYFRAME);
}

size_t hbt_encode_task_name(uint8_t *start, uint64_t task, uint32_t name,
			    uint32_t coro)
{
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, task);
	p = hbt_put_uv(p, name);
	p = hbt_put_uv(p, coro);
	return publish(start, p, HBT_REC_TASK_NAME);
}

size_t hbt_encode_note(uint8_t *start, uint32_t string_id)
{
	uint8_t payload[HBT_UV_MAX];
	uint8_t *q = hbt_put_uv(payload, string_id);
	size_t len = (size_t)(q - payload);
	uint8_t *p = start + 1;

	p = hbt_put_uv(p, len);
	memcpy(p, payload, len);
	p += len;
	return publish(start, p, HBT_REC_NOTE);
}

size_t hbt_encode_stack_frame(uint8_t *start, uint64_t sp, uint32_t stack)
{
	uint8_t payload[2 * HBT_UV_MAX];
	uint8_t *q = hbt_put_uv(payload, sp);
	size_t len;
	uint8_t *p = start + 1;

	q = hbt_put_uv(q, stack);
	len = (size_t)(q - payload);
	p = hbt_put_uv(p, len);
	memcpy(p, payload, len);
	p += len;
	return publish(start, p, HBT_REC_STACK_FRAME);
}

/* ---- decoding -------------------------------------------------------- */

struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t get_uv(struct cursor *c)
{
	uint64_t v = 0;
	size_t n;

	if (c->bad)
		return 0;
	n = hbt_get_uv(c->p, c->end, &v);
	if (!n) {
		c->bad = true;
		return 0;
	}
	c->p += n;
	return v;
}

static int64_t get_sv(struct cursor *c)
{
	return hbt_unzigzag(get_uv(c));
}

static uint8_t get_u8(struct cursor *c)
{
	if (c->bad || c->p >= c->end) {
		c->bad = true;
		return 0;
	}
	return *c->p++;
}

static uint32_t get_u32(struct cursor *c)
{
	uint64_t v = get_uv(c);

	if (v > UINT32_MAX)
		c->bad = true;
	return (uint32_t)v;
}

static const uint8_t *get_bytes(struct cursor *c, uint64_t len)
{
	const uint8_t *b = c->p;

	if (c->bad || len > (uint64_t)(c->end - c->p)) {
		c->bad = true;
		return NULL;
	}
	c->p += len;
	return b;
}

static uint64_t get_obj(struct cursor *c, struct hbt_codec_state *st)
{
	st->prev_obj += (uint64_t)get_sv(c);
	return st->prev_obj;
}

static uint64_t get_addr(struct cursor *c, struct hbt_codec_state *st)
{
	st->prev_addr += (uint64_t)get_sv(c);
	return st->prev_addr;
}

/*
 * The fast path: the hot records (lock operations, memory accesses) when
 * at least HBT_FAST_ROOM bytes remain, so no varint can run past the end
 * and none is bounds-checked.  It reads exactly what the checked path
 * below reads; on anything unusual (an over-long varint, a stack id past
 * 32 bits, another type) it returns -1 and changes nothing, and the
 * checked path decides.  Every field the record type does not use is
 * zero, as after the checked path's memset.
 */
#define HBT_FAST_ROOM 64 /* > 1 + 5 varints of 10 bytes + 3 bytes */

static inline bool fast_uv(const uint8_t **pp, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = *p;
	unsigned shift;

	if (v < 0x80) {
		*pp = p + 1;
		*out = v;
		return true;
	}
	v &= 0x7f;
	for (shift = 7, p++; shift < 64; shift += 7) {
		uint8_t b = *p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return true;
		}
	}
	return false;
}

static inline bool fast_u32(const uint8_t **pp, uint32_t *out)
{
	uint64_t v;

	if (!fast_uv(pp, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static ssize_t decode_fast(const uint8_t *p, struct hbt_codec_state *st,
			   struct hbt_event *ev)
{
	const uint8_t *q = p + 1;
	uint8_t type = *p;
	uint64_t delta, seq = 0, arg = 0, uerr = 0;
	uint32_t stack;
	uint8_t kind = 0, op = 0;
	uint64_t obj;

	switch (type) {
	case HBT_REC_ACQUIRE:
	case HBT_REC_POST:
	case HBT_REC_RELEASE:
	case HBT_REC_REQUEST:
		if (!fast_uv(&q, &delta))
			return -1;
		kind = *q++;
		op = *q++;
		if (type == HBT_REC_RELEASE) {
			if (!fast_uv(&q, &uerr))
				return -1;
		} else if (type != HBT_REC_REQUEST) {
			if (!fast_uv(&q, &seq))
				return -1;
		}
		if (!fast_u32(&q, &stack))
			return -1;
		obj = st->prev_obj + (uint64_t)hbt_unzigzag(delta);
		st->prev_obj = obj;
		break;
	case HBT_REC_MUTEX_ACQUIRE:
	case HBT_REC_MUTEX_PAIR:
	case HBT_REC_MUTEX_RELEASE:
		stack = 0;
		if (!fast_uv(&q, &delta))
			return -1;
		if (type != HBT_REC_MUTEX_RELEASE &&
		    (!fast_uv(&q, &seq) || !fast_u32(&q, &stack)))
			return -1;
		kind = HBT_OBJ_MUTEX;
		obj = st->prev_obj + (uint64_t)hbt_unzigzag(delta);
		st->prev_obj = obj;
		if (type == HBT_REC_MUTEX_PAIR) {
			hbt_event_set(ev, HBT_REC_LOCK_REPEAT, kind, 0, obj,
				      seq, 1, 0, stack);
			ev->arg2 = 1;
			return (ssize_t)(q - p);
		}
		type = type == HBT_REC_MUTEX_ACQUIRE ? HBT_REC_ACQUIRE
						     : HBT_REC_RELEASE;
		break;
	case HBT_REC_MEM_READ:
	case HBT_REC_MEM_WRITE:
		if (!fast_uv(&q, &delta) || !fast_uv(&q, &arg) ||
		    !fast_u32(&q, &stack))
			return -1;
		obj = st->prev_addr + (uint64_t)hbt_unzigzag(delta);
		st->prev_addr = obj;
		break;
	default:
		return -1;
	}
	hbt_event_set(ev, type, kind, op, obj, seq, arg, hbt_unzigzag(uerr),
		      stack);
	return (ssize_t)(q - p);
}

ssize_t hbt_decode_record(const uint8_t *p, const uint8_t *end,
			  struct hbt_codec_state *st, struct hbt_event *ev)
{
	struct cursor c = {p + 1, end, false};
	uint8_t type;
	uint64_t len;

	if (p >= end || *p == HBT_REC_END)
		return 0;
	if (end - p >= HBT_FAST_ROOM) {
		ssize_t n = decode_fast(p, st, ev);

		if (n > 0)
			return n;
	}
	type = *p;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;

	switch (type) {
	case HBT_REC_STRING:
		ev->obj = get_u32(&c);
		len = get_uv(&c);
		if (len > HBT_MAX_STRING_LEN)
			return -EPROTO;
		ev->data = get_bytes(&c, len);
		ev->data_len = (uint32_t)len;
		break;
	case HBT_REC_STACK: {
		const uint8_t *frames;

		ev->obj = get_u32(&c);
		ev->arg = get_uv(&c);
		if (ev->arg > HBT_MAX_STACK_FRAMES)
			return -EPROTO;
		frames = c.p;
		for (uint64_t i = 0; i < ev->arg; i++)
			get_uv(&c);
		ev->data = frames;
		ev->data_len = (uint32_t)(c.p - frames);
		break;
	}
	case HBT_REC_MODULE:
		ev->obj = get_uv(&c);
		ev->obj2 = get_uv(&c);
		ev->arg = get_uv(&c);
		len = get_uv(&c);
		if (len > 256)
			return -EPROTO;
		ev->data2 = get_bytes(&c, len);
		ev->data2_len = (uint32_t)len;
		len = get_uv(&c);
		if (len > 4096)
			return -EPROTO;
		ev->data = get_bytes(&c, len);
		ev->data_len = (uint32_t)len;
		break;
	case HBT_REC_MODULE_UNMAP:
		ev->obj = get_uv(&c);
		ev->obj2 = get_uv(&c);
		break;
	case HBT_REC_THREAD_NAME:
		ev->obj = get_u32(&c);
		ev->arg = get_u32(&c);
		break;
	case HBT_REC_OBJ_NAME:
		ev->obj = get_uv(&c);
		ev->kind = get_u8(&c);
		ev->arg = get_u32(&c);
		break;
	case HBT_REC_PYFRAME:
		ev->obj = get_u32(&c);
		ev->arg = get_u32(&c);
		ev->arg2 = get_u32(&c);
		ev->seq = get_u32(&c);
		ev->seq2 = get_u32(&c);
		break;
	case HBT_REC_TASK_NAME:
		ev->obj = get_uv(&c);
		ev->arg = get_u32(&c);
		ev->arg2 = get_u32(&c);
		break;

	case HBT_REC_OBJ_INIT:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->arg = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_OBJ_DESTROY:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->err = get_sv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_REQUEST:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->op = get_u8(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_ACQUIRE:
	case HBT_REC_POST:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->op = get_u8(&c);
		ev->seq = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_FAIL:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->op = get_u8(&c);
		ev->outcome = get_u8(&c);
		ev->err = get_sv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_RELEASE:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->op = get_u8(&c);
		ev->err = get_sv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_MUTEX_ACQUIRE:
	case HBT_REC_MUTEX_PAIR:
		ev->type = type == HBT_REC_MUTEX_PAIR ? HBT_REC_LOCK_REPEAT
						      : HBT_REC_ACQUIRE;
		ev->obj = get_obj(&c, st);
		ev->kind = HBT_OBJ_MUTEX;
		ev->seq = get_uv(&c);
		ev->stack = get_u32(&c);
		if (type == HBT_REC_MUTEX_PAIR)
			ev->arg = ev->arg2 = 1;
		break;
	case HBT_REC_MUTEX_RELEASE:
		ev->type = HBT_REC_RELEASE;
		ev->obj = get_obj(&c, st);
		ev->kind = HBT_OBJ_MUTEX;
		break;
	case HBT_REC_COND_WAIT:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->obj2 = ev->obj + (uint64_t)get_sv(&c);
		ev->op = get_u8(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_COND_WAKE:
		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->obj2 = ev->obj + (uint64_t)get_sv(&c);
		ev->op = get_u8(&c);
		ev->outcome = get_u8(&c);
		ev->err = get_sv(&c);
		ev->seq = get_uv(&c);
		ev->seq2 = get_uv(&c);
		break;
	case HBT_REC_LOCK_REPEAT: {
		const uint8_t *counts;

		ev->obj = get_obj(&c, st);
		ev->kind = get_u8(&c);
		ev->seq = get_uv(&c);
		ev->stack = get_u32(&c);
		counts = get_bytes(&c, 8);
		if (!counts)
			break;
		ev->arg = hbt_get_le32(counts);
		ev->arg2 = hbt_get_le32(counts + 4);
		/* what the writer's order of updates allows, nothing else:
		 * released <= acquired <= released + 1, acquired >= 1, and
		 * no counter running past 2^64 */
		if (!ev->arg || ev->arg2 > ev->arg || ev->arg > ev->arg2 + 1 ||
		    ev->seq == 0 || ev->seq > UINT64_MAX - ev->arg)
			return -EPROTO;
		break;
	}
	case HBT_REC_BARRIER_ARRIVE:
		ev->obj = get_obj(&c, st);
		ev->kind = HBT_OBJ_BARRIER;
		ev->arg = get_uv(&c);
		ev->seq = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_BARRIER_LEAVE:
		ev->obj = get_obj(&c, st);
		ev->kind = HBT_OBJ_BARRIER;
		ev->seq = get_uv(&c);
		ev->err = get_sv(&c);
		break;
	case HBT_REC_THREAD_START:
		ev->obj = get_u32(&c);
		ev->arg = get_uv(&c);
		ev->arg2 = get_uv(&c);
		break;
	case HBT_REC_THREAD_END:
		ev->arg = get_uv(&c);
		ev->op = get_u8(&c);
		break;
	case HBT_REC_THREAD_CREATE:
	case HBT_REC_DETACH:
		ev->obj = get_u32(&c);
		ev->err = get_sv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_JOIN_REQUEST:
		ev->obj = get_u32(&c);
		ev->op = get_u8(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_JOIN:
		ev->obj = get_u32(&c);
		ev->op = get_u8(&c);
		ev->outcome = get_u8(&c);
		ev->err = get_sv(&c);
		break;
	case HBT_REC_FORK:
		ev->arg = (uint64_t)get_sv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_EXEC:
		ev->err = get_sv(&c);
		len = get_uv(&c);
		if (len > 4096)
			return -EPROTO;
		ev->data = get_bytes(&c, len);
		ev->data_len = (uint32_t)len;
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_DEADLOCK:
		ev->obj2 = get_u32(&c);
		ev->op = get_u8(&c);
		ev->obj = get_uv(&c);
		break;
	case HBT_REC_TIME:
		ev->time_ns = get_uv(&c);
		break;
	case HBT_REC_MEM_READ:
	case HBT_REC_MEM_WRITE:
		ev->obj = get_addr(&c, st);
		ev->arg = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_MEM_ATOMIC:
		ev->obj = get_addr(&c, st);
		ev->arg = get_uv(&c);
		ev->op = get_u8(&c);
		ev->outcome = get_u8(&c);
		ev->seq = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_MEM_RANGE:
		ev->obj = get_addr(&c, st);
		ev->arg = get_uv(&c);
		ev->op = get_u8(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_ALLOC:
		ev->obj = get_uv(&c);
		ev->arg = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_FREE:
		ev->obj = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_TASK_CREATE:
		ev->obj = get_uv(&c);
		ev->obj2 = get_uv(&c);
		ev->arg = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_TASK_STEP:
		ev->obj = get_uv(&c);
		ev->time_ns = get_uv(&c);
		break;
	case HBT_REC_TASK_SUSPEND:
		ev->obj = get_uv(&c);
		ev->obj2 = get_uv(&c);
		ev->kind = get_u8(&c);
		ev->time_ns = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_TASK_DONE:
		ev->obj = get_uv(&c);
		ev->outcome = get_u8(&c);
		ev->arg = get_u32(&c);
		break;
	case HBT_REC_TASK_AWAIT:
		ev->obj = get_uv(&c);
		ev->obj2 = get_uv(&c);
		ev->op = get_u8(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_TASK_RESULT_TAKEN:
		ev->obj = get_uv(&c);
		break;
	case HBT_REC_TASK_LEFT:
		ev->obj = get_uv(&c);
		ev->op = get_u8(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_PY_ACCESS:
		ev->op = get_u8(&c);
		ev->outcome = get_u8(&c);
		ev->obj = get_uv(&c);
		ev->arg = get_u32(&c);
		ev->obj2 = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	case HBT_REC_LOOP_STALL:
		ev->obj = get_uv(&c);
		ev->arg = get_uv(&c);
		ev->stack = get_u32(&c);
		break;
	default:
		if (type < HBT_REC_EXT_FIRST)
			return -ENOTSUP;
		len = get_uv(&c);
		{
			const uint8_t *payload = get_bytes(&c, len);
			struct cursor pc;

			/* payload is NULL when len overruns: check first */
			if (c.bad)
				return -EPROTO;
			pc = (struct cursor){payload, payload + len, false};
			if (type == HBT_REC_NOTE)
				ev->arg = get_u32(&pc);
			if (type == HBT_REC_STACK_FRAME) {
				ev->obj = get_uv(&pc);
				ev->stack = get_u32(&pc);
				if (pc.bad) /* a short payload: no frame */
					ev->obj = ev->stack = 0;
			}
		}
		break;
	}
	if (c.bad)
		return -EPROTO;
	return (ssize_t)(c.p - p);
}

int hbt_decode_frames(const uint8_t *data, uint32_t len, uint64_t *frames,
		      uint32_t n)
{
	struct cursor c = {data, data + len, false};

	for (uint32_t i = 0; i < n; i++)
		frames[i] = get_uv(&c);
	return c.bad ? -EPROTO : 0;
}
