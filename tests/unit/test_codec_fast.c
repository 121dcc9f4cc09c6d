// SPDX-License-Identifier: MIT
/*
 * test_codec_fast.c - the runtime's inline encoders of ACQUIRE, RELEASE,
 * REQUEST and LOCK_REPEAT write the same bytes as hbt_encode_event() and leave
 * the codec state the same, over values that cross varint size boundaries; a
 * plain mutex's records take their short forms (MUTEX_*).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "hbt_codec.h"

static const uint64_t objs[] = {0,
				1,
				0x7f,
				0x80,
				0x601040,
				0x7fffdeadb000,
				0x7fffdeadb008,
				0xffffffffffffffffull,
				0x40};
static const uint64_t nums[] = {
	0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0xffffffffull, 0xffffffffffffffffull};
static const int32_t errs[] = {0, 1, -1, 16, -16, 63, -64, 64, 0x7fffffff};

static void same(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	cr_assert_eq(na, nb, "size %zu != %zu", na, nb);
	cr_assert(!memcmp(a, b, na), "bytes differ");
}

Test(codec_fast, acquire_identical)
{
	struct hbt_codec_state s1 = {0}, s2 = {0};
	uint8_t b1[HBT_EVENT_MAX_BYTES], b2[HBT_EVENT_MAX_BYTES];
	size_t i, j;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		for (j = 0; j < sizeof(nums) / sizeof(nums[0]); j++) {
			struct hbt_event ev = {0};
			size_t n1, n2;

			ev.type = HBT_REC_ACQUIRE;
			ev.obj = objs[i];
			ev.kind = HBT_OBJ_MUTEX;
			ev.op = (uint8_t)(j & 0x3f);
			ev.seq = nums[j];
			ev.stack = (uint32_t)nums[(i + j) % 8];
			n1 = hbt_encode_event(b1, &s1, &ev);
			n2 = hbt_encode_acquire(b2, &s2, ev.obj, ev.kind, ev.op,
						ev.seq, ev.stack);
			same(b1, n1, b2, n2);
			cr_assert_eq(s1.prev_obj, s2.prev_obj);
		}
	}
}

Test(codec_fast, release_identical)
{
	struct hbt_codec_state s1 = {0}, s2 = {0};
	uint8_t b1[HBT_EVENT_MAX_BYTES], b2[HBT_EVENT_MAX_BYTES];
	size_t i, j;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		for (j = 0; j < sizeof(errs) / sizeof(errs[0]); j++) {
			struct hbt_event ev = {0};
			size_t n1, n2;

			ev.type = HBT_REC_RELEASE;
			ev.obj = objs[i];
			/* the mutex's short form when err and stack are 0 */
			ev.kind = j & 1 ? HBT_OBJ_RWLOCK : HBT_OBJ_MUTEX;
			ev.op = j & 1 ? HBT_OP_READ : 0;
			ev.err = errs[j];
			ev.stack = (uint32_t)nums[(i + j) % 8];
			n1 = hbt_encode_event(b1, &s1, &ev);
			n2 = hbt_encode_release(b2, &s2, ev.obj, ev.kind, ev.op,
						errs[j], ev.stack);
			same(b1, n1, b2, n2);
		}
	}
}

Test(codec_fast, request_identical_and_decodes)
{
	struct hbt_codec_state s1 = {0}, s2 = {0}, d = {0};
	uint8_t b1[HBT_EVENT_MAX_BYTES], b2[HBT_EVENT_MAX_BYTES];
	struct hbt_event ev = {0}, out;
	size_t n1, n2;

	ev.type = HBT_REC_REQUEST;
	ev.obj = 0x601040;
	ev.kind = HBT_OBJ_SPIN;
	ev.op = HBT_OP_TIMED;
	ev.stack = 300;
	n1 = hbt_encode_event(b1, &s1, &ev);
	n2 = hbt_encode_request(b2, &s2, ev.obj, ev.kind, ev.op, ev.stack);
	same(b1, n1, b2, n2);
	cr_assert_eq(hbt_decode_record(b2, b2 + n2, &d, &out), (ssize_t)n2);
	cr_assert_eq(out.type, HBT_REC_REQUEST);
	cr_assert_eq(out.obj, ev.obj);
	cr_assert_eq(out.stack, 300);
}

/* Decode the 'n' bytes at 'b' (written after 'prev_obj') with the fast
 * path (room to spare) and the checked one (exact end): both must read
 * all of them into the same event; every shorter cut is torn. */
static void decode_both(const uint8_t *b, size_t n, uint64_t prev_obj,
			struct hbt_event *out)
{
	uint8_t big[HBT_EVENT_MAX_BYTES] = {0};
	struct hbt_codec_state d1 = {prev_obj, 0}, d2 = d1, d3;
	struct hbt_event slow;

	memcpy(big, b, n);
	cr_assert_eq(hbt_decode_record(big, big + sizeof(big), &d1, out),
		     (ssize_t)n);
	cr_assert_eq(hbt_decode_record(b, b + n, &d2, &slow), (ssize_t)n);
	/* field by field: the fast path leaves padding alone */
	cr_assert(out->type == slow.type && out->kind == slow.kind &&
			  out->op == slow.op && out->obj == slow.obj &&
			  out->seq == slow.seq && out->arg == slow.arg &&
			  out->arg2 == slow.arg2 && out->err == slow.err &&
			  out->stack == slow.stack,
		  "fast and checked decoders differ");
	cr_assert_eq(d1.prev_obj, d2.prev_obj);
	for (size_t cut = 1; cut < n; cut++) {
		d3 = (struct hbt_codec_state){prev_obj, 0};
		cr_assert_lt(hbt_decode_record(b, b + cut, &d3, &slow), 0,
			     "cut at %zu of %zu", cut, n);
	}
}

/* A plain mutex's records take their short forms, which decode as the
 * events they stand for; anything else keeps the full ones */
Test(codec_fast, mutex_short_forms)
{
	uint8_t b[HBT_EVENT_MAX_BYTES];
	struct hbt_codec_state s = {0};
	struct hbt_event out;
	size_t i, n;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		uint64_t prev = s.prev_obj = objs[(i + 3) % 9];

		n = hbt_encode_acquire(b, &s, objs[i], HBT_OBJ_MUTEX, 0,
				       nums[i % 8],
				       (uint32_t)nums[(i + 1) % 7]);
		cr_assert_eq(b[0], HBT_REC_MUTEX_ACQUIRE);
		cr_assert_eq(s.prev_obj, objs[i]);
		decode_both(b, n, prev, &out);
		cr_expect_eq(out.type, HBT_REC_ACQUIRE);
		cr_expect_eq(out.kind, HBT_OBJ_MUTEX);
		cr_expect_eq(out.op, 0);
		cr_expect_eq(out.obj, objs[i]);
		cr_expect_eq(out.seq, nums[i % 8]);
		cr_expect_eq(out.stack, (uint32_t)nums[(i + 1) % 7]);

		/* the runtime's in-place turn into a pair */
		hbt_mark_mutex_pair(b);
		decode_both(b, n, prev, &out);
		cr_expect_eq(out.type, HBT_REC_LOCK_REPEAT);
		cr_expect_eq(out.kind, HBT_OBJ_MUTEX);
		cr_expect_eq(out.arg, 1, "one acquired");
		cr_expect_eq(out.arg2, 1, "one released");
		cr_expect_eq(out.obj, objs[i]);
		cr_expect_eq(out.seq, nums[i % 8]);

		prev = s.prev_obj = objs[(i + 5) % 9];
		n = hbt_encode_release(b, &s, objs[i], HBT_OBJ_MUTEX, 0, 0, 0);
		cr_assert_eq(b[0], HBT_REC_MUTEX_RELEASE);
		decode_both(b, n, prev, &out);
		cr_expect_eq(out.type, HBT_REC_RELEASE);
		cr_expect_eq(out.kind, HBT_OBJ_MUTEX);
		cr_expect_eq(out.obj, objs[i]);
		cr_expect_eq(out.err, 0);
		cr_expect_eq(out.stack, 0);
	}
	/* misuse (err, stack), recursion, another kind: the full forms */
	n = hbt_encode_release(b, &s, 0x601040, HBT_OBJ_MUTEX, 0, 1, 0);
	cr_expect_eq(b[0], HBT_REC_RELEASE);
	n = hbt_encode_release(b, &s, 0x601040, HBT_OBJ_MUTEX, 0, 0, 5);
	cr_expect_eq(b[0], HBT_REC_RELEASE);
	n = hbt_encode_release(b, &s, 0x601040, HBT_OBJ_MUTEX, HBT_OP_RECURSIVE,
			       0, 0);
	cr_expect_eq(b[0], HBT_REC_RELEASE);
	n = hbt_encode_acquire(b, &s, 0x601040, HBT_OBJ_MUTEX, HBT_OP_REQUESTED,
			       3, 1);
	cr_expect_eq(b[0], HBT_REC_ACQUIRE);
	n = hbt_encode_acquire(b, &s, 0x601040, HBT_OBJ_SPIN, 0, 3, 1);
	cr_expect_eq(b[0], HBT_REC_ACQUIRE);
	(void)n;
}

/* hbt_encode_lock_repeat, then its counts updated in place as the runtime
 * does, decodes as hbt_encode_event's record with the final counts */
Test(codec_fast, lock_repeat_identical_and_counts_in_place)
{
	struct hbt_codec_state s1 = {0}, s2 = {0}, d;
	uint8_t b1[HBT_EVENT_MAX_BYTES], b2[HBT_EVENT_MAX_BYTES];
	size_t i, j;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		for (j = 0; j < sizeof(nums) / sizeof(nums[0]); j++) {
			struct hbt_event ev = {0}, out;
			uint8_t *counts = NULL;
			size_t n1, n2;

			ev.type = HBT_REC_LOCK_REPEAT;
			ev.obj = objs[i];
			ev.kind = HBT_OBJ_MUTEX;
			ev.seq = (nums[j] >> 1) + 1;
			ev.stack = (uint32_t)nums[(i + j) % 8];
			ev.arg = 1;
			d = s2;
			n1 = hbt_encode_event(b1, &s1, &ev);
			n2 = hbt_encode_lock_repeat(b2, &s2, ev.obj, ev.kind,
						    ev.seq, ev.stack, &counts);
			same(b1, n1, b2, n2);
			cr_assert_eq(s1.prev_obj, s2.prev_obj);
			cr_assert_eq(counts, b2 + n2 - 8);
			hbt_repeat_store(counts + 4, 1);
			hbt_repeat_store(counts, 2);
			cr_assert_eq(hbt_decode_record(b2, b2 + n2, &d, &out),
				     (ssize_t)n2, "obj %zu seq %zu", i, j);
			cr_expect_eq(out.arg, 2);
			cr_expect_eq(out.arg2, 1);
			cr_expect_eq(out.obj, ev.obj);
			cr_expect_eq(out.seq, ev.seq);
			cr_expect_eq(out.stack, ev.stack);
		}
	}
}
