// SPDX-License-Identifier: MIT
/*
 * test_codec.c - every record type and definition survives an encode /
 * decode round trip with all its fields.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "hbt_codec.h"
#include "hbt_varint.h"

/* Fill every field a record type carries with distinct values. */
static struct hbt_event sample(uint8_t type, uint64_t salt)
{
	struct hbt_event ev = {0};
	static const uint8_t path[] = "/usr/bin/true";

	ev.type = type;
	switch (type) {
	case HBT_REC_OBJ_INIT:
		ev.obj = 0x7f0000001000 + salt;
		ev.kind = HBT_OBJ_MUTEX;
		ev.arg = HBT_MUTEX_RECURSIVE;
		ev.stack = 7;
		break;
	case HBT_REC_OBJ_DESTROY:
		ev.obj = 0x5000 - salt;
		ev.kind = HBT_OBJ_SEM;
		ev.err = -16;
		ev.stack = 3;
		break;
	case HBT_REC_REQUEST:
		ev.obj = 0x601040;
		ev.kind = HBT_OBJ_RWLOCK;
		ev.op = HBT_OP_READ | HBT_OP_TIMED;
		ev.stack = 99;
		break;
	case HBT_REC_ACQUIRE:
	case HBT_REC_POST:
		ev.obj = 0x601080 + salt;
		ev.kind = HBT_OBJ_SPIN;
		ev.op = HBT_OP_REQUESTED | HBT_OP_RECURSIVE;
		ev.seq = 123456789012ULL;
		ev.stack = 5;
		break;
	case HBT_REC_FAIL:
		ev.obj = 1;
		ev.kind = HBT_OBJ_PY_LOCK;
		ev.op = HBT_OP_TRY;
		ev.outcome = HBT_OUT_BUSY;
		ev.err = 11;
		ev.stack = 2;
		break;
	case HBT_REC_RELEASE:
		ev.obj = UINT64_MAX - 4096;
		ev.kind = HBT_OBJ_AIO_LOCK;
		ev.op = HBT_OP_INTERNAL;
		ev.err = 1;
		ev.stack = 0;
		break;
	case HBT_REC_LOCK_REPEAT:
		ev.obj = 0x601040 + salt;
		ev.kind = HBT_OBJ_MUTEX;
		ev.seq = 1000 + salt;
		ev.stack = 9;
		ev.arg = 70000 + salt % 2; /* held at the end, or not */
		ev.arg2 = 70000;
		break;
	case HBT_REC_COND_WAIT:
		ev.obj = 0x602000;
		ev.obj2 = 0x601000;
		ev.kind = HBT_OBJ_COND;
		ev.op = HBT_OP_TIMED;
		ev.stack = 4;
		break;
	case HBT_REC_COND_WAKE:
		ev.obj = 0x602000;
		ev.obj2 = 0x603000;
		ev.kind = HBT_OBJ_COND;
		ev.op = HBT_OP_TIMED;
		ev.outcome = HBT_OUT_TIMEDOUT;
		ev.err = 110;
		ev.seq = 4;
		ev.seq2 = 17;
		break;
	case HBT_REC_BARRIER_ARRIVE:
		ev.obj = 0x604000;
		ev.kind = HBT_OBJ_BARRIER;
		ev.arg = 3;
		ev.seq = 5;
		ev.stack = 8;
		break;
	case HBT_REC_BARRIER_LEAVE:
		ev.obj = 0x604000;
		ev.kind = HBT_OBJ_BARRIER;
		ev.seq = 5;
		ev.err = 1;
		break;
	case HBT_REC_THREAD_START:
		ev.obj = 1;
		ev.arg = 4242;
		ev.arg2 = 0x7f12345678;
		break;
	case HBT_REC_THREAD_END:
		ev.arg = 2;
		ev.op = 1;
		break;
	case HBT_REC_THREAD_CREATE:
	case HBT_REC_DETACH:
		ev.obj = 3;
		ev.err = 0;
		ev.stack = 11;
		break;
	case HBT_REC_JOIN_REQUEST:
		ev.obj = 3;
		ev.op = HBT_OP_TRY;
		ev.stack = 12;
		break;
	case HBT_REC_JOIN:
		ev.obj = 3;
		ev.op = HBT_OP_TIMED;
		ev.outcome = HBT_OUT_ERROR;
		ev.err = 22;
		break;
	case HBT_REC_FORK:
		ev.arg = (uint64_t)-12;
		ev.stack = 9;
		break;
	case HBT_REC_EXEC:
		ev.err = 2;
		ev.data = path;
		ev.data_len = sizeof(path) - 1;
		ev.stack = 10;
		break;
	case HBT_REC_DEADLOCK:
		ev.obj2 = 2;
		ev.op = 1;
		ev.obj = 0x601040;
		break;
	case HBT_REC_TIME:
		ev.time_ns = 987654321;
		break;
	case HBT_REC_MEM_READ:
	case HBT_REC_MEM_WRITE:
		ev.obj = 0x7ffc0000 + salt * 8;
		ev.arg = 8;
		ev.stack = 13;
		break;
	case HBT_REC_MEM_ATOMIC:
		ev.obj = 0x7ffc0100;
		ev.arg = 4;
		ev.op = 3;
		ev.outcome = 5;
		ev.seq = 77;
		ev.stack = 14;
		break;
	case HBT_REC_MEM_RANGE:
		ev.obj = 0x7ffc0200;
		ev.arg = 4096;
		ev.op = 1;
		ev.stack = 15;
		break;
	case HBT_REC_ALLOC:
		ev.obj = 0x5555000;
		ev.arg = 64;
		ev.stack = 16;
		break;
	case HBT_REC_FREE:
		ev.obj = 0x5555000;
		ev.stack = 17;
		break;
	case HBT_REC_TASK_CREATE:
		ev.obj = 10;
		ev.obj2 = 9;
		ev.arg = 1;
		ev.stack = 18;
		break;
	case HBT_REC_TASK_STEP:
		ev.obj = 10;
		ev.time_ns = 5000;
		break;
	case HBT_REC_TASK_SUSPEND:
		ev.obj = 10;
		ev.obj2 = 11;
		ev.kind = HBT_OBJ_AIO_FUTURE;
		ev.time_ns = 6000;
		ev.stack = 19;
		break;
	case HBT_REC_TASK_DONE:
		ev.obj = 10;
		ev.outcome = 3;
		ev.arg = 20;
		break;
	case HBT_REC_TASK_AWAIT:
		ev.obj = 9;
		ev.obj2 = 10;
		ev.op = 1;
		ev.stack = 21;
		break;
	case HBT_REC_TASK_RESULT_TAKEN:
		ev.obj = 10;
		break;
	case HBT_REC_TASK_LEFT:
		ev.obj = 10;
		ev.op = 4;
		ev.stack = 22;
		break;
	case HBT_REC_PY_ACCESS:
		ev.op = 4;
		ev.outcome = 2;
		ev.obj = 0x7f00aa;
		ev.arg = 23;
		ev.obj2 = 10;
		ev.stack = 24;
		break;
	case HBT_REC_LOOP_STALL:
		ev.obj = 10;
		ev.arg = 250000000;
		ev.stack = 25;
		break;
	}
	return ev;
}

static const uint8_t event_types[] = {
	HBT_REC_OBJ_INIT,
	HBT_REC_OBJ_DESTROY,
	HBT_REC_REQUEST,
	HBT_REC_ACQUIRE,
	HBT_REC_FAIL,
	HBT_REC_RELEASE,
	HBT_REC_POST,
	HBT_REC_COND_WAIT,
	HBT_REC_COND_WAKE,
	HBT_REC_BARRIER_ARRIVE,
	HBT_REC_BARRIER_LEAVE,
	HBT_REC_LOCK_REPEAT,
	HBT_REC_THREAD_START,
	HBT_REC_THREAD_END,
	HBT_REC_THREAD_CREATE,
	HBT_REC_JOIN_REQUEST,
	HBT_REC_JOIN,
	HBT_REC_DETACH,
	HBT_REC_FORK,
	HBT_REC_EXEC,
	HBT_REC_DEADLOCK,
	HBT_REC_TIME,
	HBT_REC_MEM_READ,
	HBT_REC_MEM_WRITE,
	HBT_REC_MEM_ATOMIC,
	HBT_REC_MEM_RANGE,
	HBT_REC_ALLOC,
	HBT_REC_FREE,
	HBT_REC_TASK_CREATE,
	HBT_REC_TASK_STEP,
	HBT_REC_TASK_SUSPEND,
	HBT_REC_TASK_DONE,
	HBT_REC_TASK_AWAIT,
	HBT_REC_TASK_RESULT_TAKEN,
	HBT_REC_TASK_LEFT,
	HBT_REC_PY_ACCESS,
	HBT_REC_LOOP_STALL,
};

static void expect_same(const struct hbt_event *a, const struct hbt_event *b)
{
	const char *name = hbt_record_type_name(a->type);

	cr_expect_eq(b->type, a->type, "%s type", name);
	cr_expect_eq(b->kind, a->kind, "%s kind", name);
	cr_expect_eq(b->op, a->op, "%s op", name);
	cr_expect_eq(b->outcome, a->outcome, "%s outcome", name);
	cr_expect_eq(b->obj, a->obj, "%s obj", name);
	cr_expect_eq(b->obj2, a->obj2, "%s obj2", name);
	cr_expect_eq(b->seq, a->seq, "%s seq", name);
	cr_expect_eq(b->seq2, a->seq2, "%s seq2", name);
	cr_expect_eq(b->arg, a->arg, "%s arg", name);
	cr_expect_eq(b->arg2, a->arg2, "%s arg2", name);
	cr_expect_eq(b->err, a->err, "%s err", name);
	cr_expect_eq(b->stack, a->stack, "%s stack", name);
	cr_expect_eq(b->time_ns, a->time_ns, "%s time", name);
	cr_expect_eq(b->data_len, a->data_len, "%s data_len", name);
	if (a->data_len && b->data_len == a->data_len)
		cr_expect_arr_eq(b->data, a->data, a->data_len, "%s data",
				 name);
}

Test(codec, every_event_type_round_trips)
{
	uint8_t buf[64 * 128] = {0};
	struct hbt_codec_state enc = {0, 0}, dec = {0, 0};
	size_t n = sizeof(event_types), off = 0;
	struct hbt_event in[2 * sizeof(event_types)];

	/* twice, so the delta-coded fields are tested against a previous
	 * value too */
	for (size_t i = 0; i < 2 * n; i++) {
		in[i] = sample(event_types[i % n], i);
		size_t len = hbt_encode_event(buf + off, &enc, &in[i]);

		cr_assert_gt(len, 0, "encode %s",
			     hbt_record_type_name(in[i].type));
		cr_assert_leq(len, HBT_EVENT_MAX_BYTES + in[i].data_len);
		off += len;
	}
	const uint8_t *p = buf, *end = buf + off;
	for (size_t i = 0; i < 2 * n; i++) {
		struct hbt_event out;
		ssize_t len = hbt_decode_record(p, end, &dec, &out);

		cr_assert_gt(len, 0, "decode %s",
			     hbt_record_type_name(in[i].type));
		expect_same(&in[i], &out);
		p += len;
	}
	cr_expect_eq(p, end);
	struct hbt_event out;
	cr_expect_eq(hbt_decode_record(p, buf + sizeof(buf), &dec, &out), 0,
		     "zero byte is END");
}

Test(codec, definitions_round_trip)
{
	uint8_t buf[4096] = {0};
	uint8_t *p = buf;
	struct hbt_codec_state st = {0, 0};
	struct hbt_event ev;
	const uint64_t frames[] = {HBT_FRAME_FROM_PC(0x401234),
				   HBT_FRAME_FROM_PY(7),
				   HBT_FRAME_FROM_PC(0x7f0011223344)};
	const uint8_t bid[] = {0xde, 0xad, 0xbe, 0xef};
	uint64_t got[3];
	ssize_t n;

	p += hbt_encode_string(p, 5, "lock_a", 6);
	p += hbt_encode_stack(p, 9, frames, 3);
	p += hbt_encode_module(p, 0x400000, 0x402000, 0x1000, bid, 4, "/bin/x",
			       6);
	p += hbt_encode_module_unmap(p, 0x400000, 0x402000);
	p += hbt_encode_thread_name(p, 2, 5);
	p += hbt_encode_obj_name(p, 0x601040, HBT_OBJ_PY_LOCK, 5);
	p += hbt_encode_pyframe(p, 7, 1, 2, 30, 28);
	p += hbt_encode_task_name(p, 44, 5, 6);
	p += hbt_encode_note(p, 3);

	const uint8_t *q = buf;
	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_STRING);
	cr_expect_eq(ev.obj, 5);
	cr_expect_eq(ev.data_len, 6);
	cr_expect(!memcmp(ev.data, "lock_a", 6));
	cr_expect(hbt_record_is_definition(ev.type));
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_STACK);
	cr_expect_eq(ev.obj, 9);
	cr_expect_eq(ev.arg, 3);
	cr_assert_eq(hbt_decode_frames(ev.data, ev.data_len, got, 3), 0);
	cr_expect_arr_eq(got, frames, sizeof(frames));
	cr_expect(HBT_FRAME_IS_PY(got[1]));
	cr_expect_eq(HBT_FRAME_PY_ID(got[1]), 7);
	cr_expect_eq(HBT_FRAME_NATIVE_PC(got[0]), 0x401234);
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_MODULE);
	cr_expect_eq(ev.obj, 0x400000);
	cr_expect_eq(ev.obj2, 0x402000);
	cr_expect_eq(ev.arg, 0x1000);
	cr_expect_eq(ev.data2_len, 4);
	cr_expect(!memcmp(ev.data2, bid, 4));
	cr_expect_eq(ev.data_len, 6);
	cr_expect(!memcmp(ev.data, "/bin/x", 6));
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_MODULE_UNMAP);
	cr_expect_eq(ev.obj, 0x400000);
	cr_expect_eq(ev.obj2, 0x402000);
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_THREAD_NAME);
	cr_expect_eq(ev.obj, 2);
	cr_expect_eq(ev.arg, 5);
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_OBJ_NAME);
	cr_expect_eq(ev.obj, 0x601040);
	cr_expect_eq(ev.kind, HBT_OBJ_PY_LOCK);
	cr_expect_eq(ev.arg, 5);
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_PYFRAME);
	cr_expect_eq(ev.obj, 7);
	cr_expect_eq(ev.arg, 1);
	cr_expect_eq(ev.arg2, 2);
	cr_expect_eq(ev.seq, 30);
	cr_expect_eq(ev.seq2, 28);
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_TASK_NAME);
	cr_expect_eq(ev.obj, 44);
	cr_expect_eq(ev.arg, 5);
	cr_expect_eq(ev.arg2, 6);
	q += n;

	n = hbt_decode_record(q, p, &st, &ev);
	cr_assert_gt(n, 0);
	cr_expect_eq(ev.type, HBT_REC_NOTE);
	cr_expect_eq(ev.arg, 3);
	q += n;
	cr_expect_eq(q, p);
}

Test(codec, cut_records_are_errors_not_crashes)
{
	uint8_t buf[256] = {0};
	struct hbt_codec_state st = {0, 0};
	struct hbt_event ev = sample(HBT_REC_COND_WAKE, 0), out;
	size_t len = hbt_encode_event(buf, &st, &ev);

	for (size_t cut = 1; cut < len; cut++) {
		struct hbt_codec_state d = {0, 0};

		cr_expect_lt(hbt_decode_record(buf, buf + cut, &d, &out), 0,
			     "cut at %zu", cut);
	}
	buf[0] = 0x7e; /* unknown fixed-layout type */
	cr_expect_eq(hbt_decode_record(buf, buf + len, &st, &out), -ENOTSUP);
}

Test(codec, unknown_extensible_record_is_skipped)
{
	uint8_t buf[16] = {0x9f, 3, 1, 2, 3, HBT_REC_TIME, 5};
	struct hbt_codec_state st = {0, 0};
	struct hbt_event ev;

	cr_expect_eq(hbt_decode_record(buf, buf + 7, &st, &ev), 5);
	cr_expect_eq(ev.type, 0x9f);
	cr_expect(hbt_record_is_definition(ev.type));
}

/*
 * Hot records (lock operations, memory accesses) take an unchecked fast
 * path when 64 bytes remain: it must give exactly what the checked path
 * gives for the same bytes, and refuse what that path refuses.
 */
Test(codec, fast_path_decodes_like_the_checked_path)
{
	static const uint8_t hot[] = {HBT_REC_ACQUIRE,	HBT_REC_POST,
				      HBT_REC_RELEASE,	HBT_REC_REQUEST,
				      HBT_REC_MEM_READ, HBT_REC_MEM_WRITE};

	for (size_t i = 0; i < sizeof(hot); i++) {
		uint8_t buf[256] = {0};
		struct hbt_codec_state enc = {5, 9}, fast = enc, slow = enc;
		struct hbt_event in = sample(hot[i], i), a, b;
		size_t len = hbt_encode_event(buf, &enc, &in);

		/* room: fast path; end at the record: checked path */
		cr_assert_eq(
			hbt_decode_record(buf, buf + sizeof(buf), &fast, &a),
			(ssize_t)len);
		cr_assert_eq(hbt_decode_record(buf, buf + len, &slow, &b),
			     (ssize_t)len);
		expect_same(&b, &a);
		cr_expect_eq(a.seq2, 0);
		cr_expect_eq(a.time_ns, 0);
		cr_expect_eq(a.data, NULL);
		cr_expect_eq(fast.prev_obj, slow.prev_obj);
		cr_expect_eq(fast.prev_addr, slow.prev_addr);
	}
}

Test(codec, fast_path_refuses_what_the_checked_path_refuses)
{
	uint8_t buf[256] = {0};
	struct hbt_codec_state st = {0, 0};
	struct hbt_event ev;
	uint8_t *p = buf;

	/* ACQUIRE whose stack id does not fit 32 bits */
	*p++ = HBT_REC_ACQUIRE;
	p = hbt_put_uv(p, 2);
	*p++ = HBT_OBJ_MUTEX;
	*p++ = 0;
	p = hbt_put_uv(p, 1);
	p = hbt_put_uv(p, 1ull << 33);
	cr_expect_eq(hbt_decode_record(buf, buf + sizeof(buf), &st, &ev),
		     -EPROTO);
	/* a varint longer than ten bytes */
	memset(buf, 0x80, sizeof(buf));
	buf[0] = HBT_REC_RELEASE;
	buf[200] = 0;
	st = (struct hbt_codec_state){0, 0};
	cr_expect_eq(hbt_decode_record(buf, buf + sizeof(buf), &st, &ev),
		     -EPROTO);
}

/* LOCK_REPEAT's counts: only what the writer's update order can leave */
Test(codec, lock_repeat_counts_checked)
{
	static const struct {
		uint32_t acq, rel;
		bool ok;
	} cases[] = {
		{1, 0, true},  {1, 1, true},	{2, 1, true},
		{0, 0, false}, {1, 2, false},	{3, 1, false},
		{UINT32_MAX, UINT32_MAX, true}, {0, UINT32_MAX, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hbt_codec_state enc = {0}, dec = {0};
		struct hbt_event in = {.type = HBT_REC_LOCK_REPEAT,
				       .obj = 0x601040,
				       .kind = HBT_OBJ_MUTEX,
				       .seq = 7,
				       .stack = 3,
				       .arg = cases[i].acq,
				       .arg2 = cases[i].rel},
				 out;
		uint8_t buf[HBT_EVENT_MAX_BYTES] = {0};
		size_t n = hbt_encode_event(buf, &enc, &in);
		ssize_t got = hbt_decode_record(buf, buf + n, &dec, &out);

		if (cases[i].ok) {
			cr_expect_eq(got, (ssize_t)n, "case %zu", i);
			cr_expect_eq(out.arg, cases[i].acq);
			cr_expect_eq(out.arg2, cases[i].rel);
		} else {
			cr_expect_eq(got, -EPROTO, "case %zu", i);
		}
		/* cut anywhere inside: torn, never read as something else */
		for (size_t cut = 1; cut < n; cut++) {
			dec = (struct hbt_codec_state){0};
			cr_expect_eq(hbt_decode_record(buf, buf + cut, &dec,
						       &out),
				     -EPROTO, "case %zu cut at %zu", i, cut);
		}
	}
	/* a seq that would wrap past 2^64 while counting */
	struct hbt_codec_state enc = {0}, dec = {0};
	struct hbt_event in = {.type = HBT_REC_LOCK_REPEAT,
			       .kind = HBT_OBJ_MUTEX,
			       .seq = UINT64_MAX - 1,
			       .arg = 3,
			       .arg2 = 2},
			 out;
	uint8_t buf[HBT_EVENT_MAX_BYTES] = {0};
	size_t n = hbt_encode_event(buf, &enc, &in);

	cr_expect_eq(hbt_decode_record(buf, buf + n, &dec, &out), -EPROTO);
}
