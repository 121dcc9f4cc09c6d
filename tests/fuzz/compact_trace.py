#!/usr/bin/env python3
# compact_trace.py IN OUT [MAX_BYTES] - shrink a real trace into a fuzzing seed.
#
# The runtime preallocates chunks (fallocate) and most of each one stays
# zero; a fuzzer mutating those zeros learns nothing.  This keeps every
# chunk but cuts its size to the smallest multiple of HBT_CHUNK_ALIGN that
# still holds its records (the zero tail reads as the END record anyway),
# drops chunk-less gaps, and clears end_offset (readers never trust it).
# With MAX_BYTES, chunks that do not fit are left out: a seed of a cut
# trace (libFuzzer's -max_len is 64 KiB); the first chunk that does not
# fit is cut, its last record torn.
import struct
import sys

ALIGN = 4096
HDR = 4096
CHUNK_MAGIC = 0x4B434248


def main():
    data = open(sys.argv[1], "rb").read()
    if data[:8] != b"HBTRACE\0":
        sys.exit("not a trace: " + sys.argv[1])
    header = bytearray(data[:HDR])
    # end_offset: magic 8, version 2, minver 2, header_size 4, features 8,
    # flags 8 -> offset 32
    struct.pack_into("<Q", header, 32, 0)
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 62
    out = [bytes(header)]
    total = HDR
    off = HDR
    while off + 48 <= len(data):
        magic, size = struct.unpack_from("<II", data, off)
        if magic != CHUNK_MAGIC or size < ALIGN or size % ALIGN:
            off += ALIGN
            continue
        chunk = data[off:off + size]
        used = len(chunk.rstrip(b"\0"))
        new = max(ALIGN, (used + ALIGN - 1) // ALIGN * ALIGN)
        chunk = bytearray(chunk[:new].ljust(new, b"\0"))
        struct.pack_into("<I", chunk, 4, new)
        if total + new <= limit:
            out.append(bytes(chunk))
            total += new
        elif limit - total >= ALIGN:
            # keep the head of the chunk: its last record is torn
            new = (limit - total) // ALIGN * ALIGN
            chunk = chunk[:new - 64].ljust(new, b"\0")
            struct.pack_into("<I", chunk, 4, new)
            out.append(bytes(chunk))
            total += new
        off += size
    open(sys.argv[2], "wb").write(b"".join(out))


main()
