/* SPDX-License-Identifier: MIT */
/*
 * hbt_codec.h - encoding and decoding of single records.
 *
 * Both directions live in hbt_codec.c, side by side per record type, so the
 * writer (runtime, importers, generators) and the reader cannot drift.  The
 * field mapping between a record and struct hbt_event is documented in
 * hbt_format.h next to each record type.
 */
#ifndef HBT_CODEC_H
#define HBT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "hbt_format.h"
#include "hbt_reader.h"
#include "hbt_varint.h"

/*
 * Per-chunk delta state.  Reset to zero at the start of every chunk so a
 * chunk decodes on its own.
 */
struct hbt_codec_state {
	uint64_t prev_obj;
	uint64_t prev_addr;
};

/* Largest encoded event without its data bytes. */
#define HBT_EVENT_MAX_BYTES 96

/*
 * Encode 'ev' (an event record, not a definition) at 'p'.  The caller
 * guarantees HBT_EVENT_MAX_BYTES + ev->data_len bytes of room.  The type
 * byte is stored last, after a compiler barrier, so a record cut short by
 * the death of the process reads as the end of the chunk.  Returns the
 * number of bytes written, 0 for an unknown type.
 */
size_t hbt_encode_event(uint8_t *p, struct hbt_codec_state *st,
			const struct hbt_event *ev);

/*
 * Fast encoders of the runtime's hot records, byte-identical to
 * hbt_encode_event() for the same event (tests/unit/test_codec_fast.c):
 * no switch, no struct to fill.  Room: HBT_EVENT_MAX_BYTES.
 */
static inline size_t hbt_encode_lockop(uint8_t *start,
				       struct hbt_codec_state *st, uint8_t type,
				       uint64_t obj, uint8_t kind, uint8_t op)
{
	uint8_t *p = start + 1;

	p = hbt_put_sv(p, (int64_t)(obj - st->prev_obj));
	st->prev_obj = obj;
	*p++ = kind;
	*p++ = op;
	(void)type;
	return (size_t)(p - start);
}

static inline size_t hbt_encode_finish(uint8_t *start, uint8_t *p, uint8_t type)
{
	/* the type byte last: a reader never sees half a record */
	__atomic_store_n(start, type, __ATOMIC_RELEASE);
	return (size_t)(p - start);
}

static inline size_t hbt_encode_acquire(uint8_t *start,
					struct hbt_codec_state *st,
					uint64_t obj, uint8_t kind, uint8_t op,
					uint64_t seq, uint32_t stack)
{
	uint8_t *p;

	if (kind == HBT_OBJ_MUTEX && !op) {
		p = hbt_put_sv(start + 1, (int64_t)(obj - st->prev_obj));
		st->prev_obj = obj;
		p = hbt_put_uv(p, seq);
		p = hbt_put_uv(p, stack);
		return hbt_encode_finish(start, p, HBT_REC_MUTEX_ACQUIRE);
	}
	p = start +
	    hbt_encode_lockop(start, st, HBT_REC_ACQUIRE, obj, kind, op);
	p = hbt_put_uv(p, seq);
	p = hbt_put_uv(p, stack);
	return hbt_encode_finish(start, p, HBT_REC_ACQUIRE);
}

static inline size_t hbt_encode_release(uint8_t *start,
					struct hbt_codec_state *st,
					uint64_t obj, uint8_t kind, uint8_t op,
					int32_t err, uint32_t stack)
{
	uint8_t *p;

	if (kind == HBT_OBJ_MUTEX && !op && !err && !stack) {
		p = hbt_put_sv(start + 1, (int64_t)(obj - st->prev_obj));
		st->prev_obj = obj;
		return hbt_encode_finish(start, p, HBT_REC_MUTEX_RELEASE);
	}
	p = start +
	    hbt_encode_lockop(start, st, HBT_REC_RELEASE, obj, kind, op);
	p = hbt_put_sv(p, err);
	p = hbt_put_uv(p, stack);
	return hbt_encode_finish(start, p, HBT_REC_RELEASE);
}

/*
 * The thread releases the mutex of the MUTEX_ACQUIRE at 'rec', its last
 * record: make it a MUTEX_PAIR, which stands for both.  One byte store;
 * a stream cut before it reads the mutex as still held, as it would
 * without the RELEASE record.
 */
static inline void hbt_mark_mutex_pair(uint8_t *rec)
{
	__atomic_store_n(rec, HBT_REC_MUTEX_PAIR, __ATOMIC_RELEASE);
}

static inline void hbt_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t hbt_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * LOCK_REPEAT for an ACQUIRE(obj, kind, op 0, seq, stack) that repeats the
 * thread's previous ACQUIRE/RELEASE pair of obj: acquired 1, released 0.
 * *counts is set to the two count fields, which the caller then updates
 * in place (hbt_repeat_store) as the pair repeats.
 */
static inline size_t hbt_encode_lock_repeat(uint8_t *start,
					    struct hbt_codec_state *st,
					    uint64_t obj, uint8_t kind,
					    uint64_t seq, uint32_t stack,
					    uint8_t **counts)
{
	uint8_t *p = start + 1;

	p = hbt_put_sv(p, (int64_t)(obj - st->prev_obj));
	st->prev_obj = obj;
	*p++ = kind;
	p = hbt_put_uv(p, seq);
	p = hbt_put_uv(p, stack);
	hbt_put_le32(p, 1);
	hbt_put_le32(p + 4, 0);
	*counts = p;
	return hbt_encode_finish(start, p + 8, HBT_REC_LOCK_REPEAT);
}

/*
 * Update one count of a published LOCK_REPEAT.  One 4-byte store on
 * little-endian machines: a process killed between two instructions never
 * leaves half a count.  Elsewhere four byte stores, which a kill can cut;
 * the reader's count check then ends the stream there, as a cut.
 */
static inline void hbt_repeat_store(uint8_t *field, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__builtin_memcpy(field, &v, 4);
#else
	hbt_put_le32(field, v);
#endif
	/* not moved across the lock or unlock call by the compiler */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline size_t hbt_encode_request(uint8_t *start,
					struct hbt_codec_state *st,
					uint64_t obj, uint8_t kind, uint8_t op,
					uint32_t stack)
{
	uint8_t *p = start + hbt_encode_lockop(start, st, HBT_REC_REQUEST, obj,
					       kind, op);

	p = hbt_put_uv(p, stack);
	return hbt_encode_finish(start, p, HBT_REC_REQUEST);
}

/* Definitions.  Room needed: hbt_def_room(); same type-byte-last rule. */
size_t hbt_encode_string(uint8_t *p, uint32_t id, const char *s, size_t len);
size_t hbt_encode_stack(uint8_t *p, uint32_t id, const uint64_t *frames,
			uint32_t nframes);
size_t hbt_encode_module(uint8_t *p, uint64_t start, uint64_t end,
			 uint64_t file_offset, const uint8_t *build_id,
			 uint32_t build_id_len, const char *path,
			 size_t path_len);
size_t hbt_encode_module_unmap(uint8_t *p, uint64_t start, uint64_t end);
size_t hbt_encode_thread_name(uint8_t *p, uint32_t serial, uint32_t name);
size_t hbt_encode_obj_name(uint8_t *p, uint64_t obj, uint8_t kind,
			   uint32_t name);
size_t hbt_encode_pyframe(uint8_t *p, uint32_t id, uint32_t function,
			  uint32_t file, uint32_t line, uint32_t first_line);
size_t hbt_encode_task_name(uint8_t *p, uint64_t task, uint32_t name,
			    uint32_t coro);
size_t hbt_encode_note(uint8_t *p, uint32_t string_id);
size_t hbt_encode_stack_frame(uint8_t *p, uint64_t sp, uint32_t stack);

/* Upper bound of a definition's size given its variable part. */
#define HBT_DEF_ROOM(var_bytes) (64 + (var_bytes))

/*
 * Set every field of 'ev' (the rest 0) for a fixed-layout record.  Field
 * by field on purpose: a compound literal of the 120-byte event compiles
 * to `rep stos`, whose start-up cost was a third of decoding a lock
 * record.  A field added to struct hbt_event must be added here.
 */
static inline void hbt_event_set(struct hbt_event *ev, uint8_t type,
				 uint8_t kind, uint8_t op, uint64_t obj,
				 uint64_t seq, uint64_t arg, int64_t err,
				 uint32_t stack)
{
	_Static_assert(sizeof(struct hbt_event) == 120,
		       "hbt_event_set() must set every field");
	ev->index = 0;
	ev->thread = 0;
	ev->type = type;
	ev->kind = kind;
	ev->op = op;
	ev->outcome = 0;
	ev->obj = obj;
	ev->obj2 = 0;
	ev->seq = seq;
	ev->seq2 = 0;
	ev->arg = arg;
	ev->arg2 = 0;
	ev->err = err;
	ev->stack = stack;
	ev->time_ns = 0;
	ev->data = NULL;
	ev->data_len = 0;
	ev->data2 = NULL;
	ev->data2_len = 0;
	ev->objref = 0;
}

/*
 * Decode one record at p (p < end).  Returns bytes consumed; 0 when the
 * chunk ends here (type 0); a negative errno when the record is torn or
 * malformed (-EPROTO) or has an unknown fixed-layout type (-ENOTSUP).
 * Definitions are decoded into 'ev' too: STRING (obj = id, data),
 * STACK (obj = id, arg = nframes, data = the raw frame varints: use
 * hbt_decode_frames), MODULE (obj = start, obj2 = end, arg = file offset,
 * data = path, data2 = build id), MODULE_UNMAP (obj, obj2), THREAD_NAME
 * (obj = serial, arg = string), OBJ_NAME (obj, kind, arg = string),
 * PYFRAME (obj = id, arg = function, arg2 = file, seq = line,
 * seq2 = first line), TASK_NAME (obj = task, arg = name, arg2 = coro),
 * NOTE (arg = string id), unknown extensible records (type only).
 */
ssize_t hbt_decode_record(const uint8_t *p, const uint8_t *end,
			  struct hbt_codec_state *st, struct hbt_event *ev);

/* Decode 'n' frames from a STACK record's data; returns 0 or -EPROTO. */
int hbt_decode_frames(const uint8_t *data, uint32_t len, uint64_t *frames,
		      uint32_t n);

/* Inline: asked for every record the reader decodes. */
static inline bool hbt_record_is_definition(uint8_t type)
{
	return (type >= HBT_REC_STRING && type <= HBT_REC_TASK_NAME) ||
	       type >= HBT_REC_EXT_FIRST;
}

#endif /* HBT_CODEC_H */
