#!/usr/bin/env python3
# hostile_traces.py DIR - write crafted hostile traces into DIR.
#
# Each file is a small trace that lies: sizes and counts far beyond the
# file, chunks that overlap or go missing, happens-before constraints that
# can never be met or that form a cycle, ids that point nowhere.  A reader
# must answer each one quickly with a clear error or a trace marked cut:
# never an out-of-memory crash, a hang or a signal.  Used by
# tests/e2e/faults.sh and as seeds of the fuzz_reader corpus.  Prints the
# names written, one a line.
import os
import struct
import sys

ALIGN = 4096
CHUNK_MAGIC = 0x4B434248

# record types (lib/hbt_format.h)
STRING, STACK, MODULE, THREAD_NAME, OBJ_NAME, PYFRAME = 1, 2, 3, 5, 6, 7
ACQUIRE, RELEASE, POST = 0x13, 0x15, 0x16
THREAD_START, THREAD_END, THREAD_CREATE = 0x20, 0x21, 0x22
JOIN_REQUEST, JOIN = 0x23, 0x24
MEM_WRITE, MEM_RANGE = 0x41, 0x43
NOTE = 0x80
MUTEX = 1


def uv(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def sv(v):
    return uv((v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1)


def header(flags=1, version=1, minver=1, header_size=4096):
    h = bytearray(4096)
    struct.pack_into("<8sHHIQQQiiiIQQQ", h, 0, b"HBTRACE\0", version,
                     minver, header_size, 3, flags, 0, 4242, 1, 0, 0,
                     0, 0, 0)
    h[96:96 + 12] = b"/bin/hostile"
    return bytes(h)


def chunk(thread, index, records, size=None, tid=None, declared=None):
    body = b"".join(records)
    if size is None:
        size = max(ALIGN, (48 + len(body) + 1 + ALIGN - 1) // ALIGN * ALIGN)
    c = bytearray(size)
    struct.pack_into("<IIIIiIQQQ", c, 0, CHUNK_MAGIC,
                     size if declared is None else declared, thread, index,
                     tid if tid is not None else (1000 + thread) & 0x7FFFFFFF, 0, 0, 0, 0)
    c[48:48 + len(body)] = body[:size - 48]
    return bytes(c)


def start(parent, tid=1000, pthread=0x7000):
    return bytes([THREAD_START]) + uv(parent) + uv(tid) + uv(pthread)


def end():
    return bytes([THREAD_END]) + uv(0) + b"\0"


def create(child):
    return bytes([THREAD_CREATE]) + uv(child) + sv(0) + uv(0)


def join(child):
    return (bytes([JOIN_REQUEST]) + uv(child) + b"\0" + uv(0) +
            bytes([JOIN]) + uv(child) + b"\0\0" + sv(0))


class Objs:
    """obj fields are sv deltas against the previous obj of the chunk."""

    def __init__(self):
        self.prev = 0

    def obj(self, addr):
        d = addr - self.prev
        self.prev = addr
        return sv(d)


def acq(o, addr, seq, stack=0):
    return (bytes([ACQUIRE]) + o.obj(addr) + bytes([MUTEX, 0]) + uv(seq) +
            uv(stack))


def rel(o, addr):
    return bytes([RELEASE]) + o.obj(addr) + bytes([MUTEX, 0]) + uv(0) + uv(0)


def string(sid, text):
    return bytes([STRING]) + uv(sid) + uv(len(text)) + text


def main_thread(records, child=None):
    o = Objs()
    recs = [start(0)]
    if child:
        recs.append(create(child))
    recs += records(o) if callable(records) else records
    if child:
        recs.append(join(child))
    recs.append(end())
    return chunk(1, 0, recs)


def traces():
    H = header()
    t = {}
    # -- sizes and counts far beyond the file ---------------------------
    t["huge_chunk_size"] = H + chunk(1, 0, [start(0), end()],
                                     declared=0xFFFFF000)
    t["max_chunk_size"] = H + chunk(1, 0, [start(0), end()],
                                    declared=64 << 20)
    t["unaligned_chunk_size"] = H + chunk(1, 0, [start(0), end()],
                                          declared=4097)
    t["zero_chunk_size"] = H + chunk(1, 0, [start(0), end()], declared=0)
    t["huge_string_len"] = H + main_thread(
        [bytes([STRING]) + uv(1) + uv(1 << 40) + b"abc"])
    t["string_len_past_chunk"] = H + main_thread(
        [bytes([STRING]) + uv(1) + uv(1 << 19) + b"abc"])
    t["huge_frame_count"] = H + main_thread(
        [bytes([STACK]) + uv(1) + uv(0xFFFFFFFF) + uv(0x400000)])
    t["frame_count_past_chunk"] = H + main_thread(
        [bytes([STACK]) + uv(1) + uv(256) + uv(0x400000) * 3])
    t["huge_ids"] = H + main_thread(
        lambda o: [string(0xFFFFFFFF, b"x"),
                   bytes([STACK]) + uv(0xFFFFFFFF) + uv(1) + uv(2),
                   bytes([PYFRAME]) + uv(0xFFFFFFFF) + uv(0xFFFFFFFF) * 2 +
                   uv(1) + uv(1),
                   bytes([THREAD_NAME]) + uv(0xFFFFFFFF) + uv(0xFFFFFFFF),
                   acq(o, 0x1000, 1, stack=0xFFFFFFFF), rel(o, 0x1000)])
    t["huge_ext_record"] = H + main_thread(
        [bytes([NOTE]) + uv(1 << 62) + b"\1"])
    t["overlong_varint"] = H + main_thread(
        [bytes([STRING]) + b"\xff" * 11 + b"\1"])
    t["huge_thread_serial"] = H + chunk(0xFFFFFFFF, 0, [start(0), end()])
    t["large_thread_serial"] = H + chunk(100000, 0, [start(0), end()])
    t["huge_child_serial"] = H + main_thread([create(0xFFFFFFF0),
                                              join(0xFFFFFFF0)])
    t["huge_parent_serial"] = H + chunk(1, 0, [start(0xFFFFFFF0), end()])
    t["huge_chunk_index"] = H + chunk(1, 0xFFFFFFFF, [start(0), end()])
    t["many_module_records"] = H + main_thread(
        [bytes([MODULE]) + uv(0x1000 * i) + uv(0x1000 * i + 0x800) +
         uv(0) + uv(0) + uv(5) + b"/x.so" for i in range(1, 400)])
    t["module_inverted_range"] = H + main_thread(
        [bytes([MODULE]) + uv(0x9000) + uv(0x1000) + uv(0) + uv(1 << 40) +
         uv(1 << 40)])
    # -- chunks that overlap, repeat or go missing ------------------------
    a = chunk(1, 0, [start(0)], size=2 * ALIGN)
    b = chunk(1, 1, [end()])
    t["overlapping_chunks"] = H + a[:ALIGN] + b + a[2 * ALIGN:]
    t["duplicate_chunk_index"] = (H + chunk(1, 0, [start(0)]) +
                                  chunk(1, 0, [start(0), end()]))
    t["chunk_index_gap"] = (H + chunk(1, 0, [start(0)]) +
                            chunk(1, 2, [end()]))
    t["no_chunk_zero"] = H + chunk(1, 1, [start(0), end()])
    t["garbage_between_chunks"] = (H + b"\xa5" * ALIGN +
                                   chunk(1, 0, [start(0), end()]))
    t["header_only"] = H
    t["header_cut"] = H[:100]
    t["bad_magic"] = b"HBTRACX\0" + H[8:]
    t["future_version"] = header(version=99, minver=99)
    t["huge_header_size"] = header(header_size=0xFFFFFFFF)
    t["tiny_header_size"] = header(header_size=8)
    # -- merge constraints that can never be met --------------------------
    # T2 starts, created by T1, but T1 never creates it
    t["start_without_create"] = (H + main_thread([]) +
                                 chunk(2, 0, [start(1), end()]))
    # T1 waits for T2's end (join) but T2 waits for a create after it
    t["join_before_create"] = (H + chunk(1, 0, [start(0), join(2),
                                                 create(2), end()]) +
                               chunk(2, 0, [start(1), end()]))
    # an acquisition whose predecessors never happen
    t["acquire_seq_gap"] = H + main_thread(
        lambda o: [acq(o, 0x1000, 1000000), rel(o, 0x1000)])
    t["acquire_seq_huge"] = H + main_thread(
        lambda o: [acq(o, 0x1000, (1 << 64) - 1), rel(o, 0x1000)])
    # T1 and T2 each wait for the other's second acquisition: a cycle
    o1, o2 = Objs(), Objs()
    t["acquire_cycle"] = (
        H + chunk(1, 0, [start(0), create(2),
                         acq(o1, 0x2000, 2), rel(o1, 0x2000),
                         acq(o1, 0x1000, 1), rel(o1, 0x1000), end()]) +
        chunk(2, 0, [start(1), acq(o2, 0x1000, 2), rel(o2, 0x1000),
                     acq(o2, 0x2000, 1), rel(o2, 0x2000), end()]))
    # threads that create (and start from) each other
    t["create_cycle"] = (H + chunk(1, 0, [start(2), create(2), end()]) +
                         chunk(2, 0, [start(1), create(1), end()]))
    t["self_parent"] = H + chunk(1, 0, [start(1), create(1), join(1), end()])
    # a thread joining itself and a missing child
    t["join_self"] = H + chunk(1, 0, [start(0), join(1), join(77), end()])
    # many posts observed that were never made
    o = Objs()
    t["post_seq_gap"] = H + main_thread(
        [bytes([ACQUIRE]) + o.obj(0x3000) + bytes([5, 0]) + uv(99) + uv(0)])
    # an access in the last granule of the address space (granule end
    # wraps to 0) and one whose range wraps around
    t["mem_write_top_of_address_space"] = H + main_thread(
        [bytes([MEM_WRITE]) + sv(-7) + uv(6) + uv(0)])
    t["mem_range_wraps"] = H + main_thread(
        [bytes([MEM_RANGE]) + sv(-16) + uv(1 << 20) + b"\1" + uv(0)])
    return t


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(traces().items()):
        with open(os.path.join(out, name + ".hbt"), "wb") as f:
            f.write(data)
        print(name)


main()
