// SPDX-License-Identifier: MIT
/*
 * test_regress_codec.c - regressions found by tests/fuzz (issue 8).
 *
 * fuzz_reader, 2026-11-22: an extensible record (type >= 0x80) whose
 * payload length runs past the chunk made hbt_decode_record() compute
 * NULL + len before checking the cursor (UBSan: "applying non-zero offset
 * to null pointer", lib/hbt_codec.c).  The record must simply be torn.
 * Reproducer: testdata/fuzz-corpus/reader/regress_ext_len_overrun.hbt.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "hbt_codec.h"
#include "hbt_varint.h"

Test(regress_codec, ext_record_len_overrun)
{
	uint8_t buf[32], *p = buf;
	struct hbt_codec_state st = { 0 };
	struct hbt_event ev;

	*p++ = HBT_REC_NOTE;
	p = hbt_put_uv(p, (uint64_t)1 << 62);
	*p++ = 1;
	memset(&ev, 0, sizeof(ev));
	cr_assert_eq(hbt_decode_record(buf, p, &st, &ev), -EPROTO);
}

Test(regress_codec, ext_record_len_one_past_end)
{
	uint8_t buf[8] = { 0x9f, 3, 1, 2 }; /* unknown ext type, 3 bytes */
	struct hbt_codec_state st = { 0 };
	struct hbt_event ev;

	memset(&ev, 0, sizeof(ev));
	cr_assert_eq(hbt_decode_record(buf, buf + 4, &st, &ev), -EPROTO);
	cr_assert_eq(hbt_decode_record(buf, buf + 5, &st, &ev), 5);
}

Test(regress_codec, note_record_decodes)
{
	uint8_t buf[8] = { HBT_REC_NOTE, 1, 7 };
	struct hbt_codec_state st = { 0 };
	struct hbt_event ev;

	memset(&ev, 0, sizeof(ev));
	cr_assert_eq(hbt_decode_record(buf, buf + 3, &st, &ev), 3);
	cr_assert_eq(ev.arg, 7);
}
