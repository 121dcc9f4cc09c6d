/* SPDX-License-Identifier: MIT */
/*
 * hbt_varint.h - LEB128 varints as used by every record of a trace.
 *
 * The encoders write at most HBT_UV_MAX bytes and never fail: callers make
 * sure the room is there.  The decoder checks bounds and returns 0 bytes
 * consumed on a cut or over-long varint, which a reader treats as a torn
 * record.
 */
#ifndef HBT_VARINT_H
#define HBT_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define HBT_UV_MAX 10

static inline uint8_t *hbt_put_uv(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t hbt_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t hbt_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint8_t *hbt_put_sv(uint8_t *p, int64_t v)
{
	return hbt_put_uv(p, hbt_zigzag(v));
}

/* Returns the number of bytes consumed, 0 if the varint is cut or longer
 * than ten bytes. */
static inline size_t hbt_get_uv(const uint8_t *p, const uint8_t *end,
				uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	const uint8_t *start = p;

	while (p < end && shift < 64) {
		uint8_t b = *p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return (size_t)(p - start);
		}
		shift += 7;
	}
	return 0;
}

#endif /* HBT_VARINT_H */
