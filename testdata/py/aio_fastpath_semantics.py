# expect: none
# aio_fastpath_semantics.py - asyncio Lock, Semaphore, BoundedSemaphore and
# Queue behave as without hbtrace, where the runtime's C fast paths
# (instrument/py_aio.c) take the uncontended case: subclasses, exceptions
# inside `async with`, contention, a cancelled waiter, a bounded semaphore
# released too often, full and empty queues, task_done called too often,
# and what __aenter__ / __aexit__ return.  Compared line by line with a
# native run by tests/e2e/python.sh.
import asyncio
out = []
class MyLock(asyncio.Lock):
    pass
async def body(lock, i):
    async with lock:
        out.append(("in", i, lock.locked()))
        await asyncio.sleep(0)
    out.append(("out", i, lock.locked()))
async def raiser(lock):
    try:
        async with lock:
            raise KeyError("x")
    except KeyError as e:
        out.append(("caught", repr(e), lock.locked()))
async def main():
    for L in (asyncio.Lock(), MyLock()):
        await asyncio.gather(*(body(L, i) for i in range(3)))
        await raiser(L)
    s = asyncio.Semaphore(2)
    await asyncio.gather(*(body(s, i) for i in range(5)))
    out.append(("semval", s._value))
    b = asyncio.BoundedSemaphore(1)
    async with b:
        pass
    try:
        b.release()
    except ValueError as e:
        out.append(("bsem", str(e)))
    # cancellation while waiting
    L = asyncio.Lock()
    await L.acquire()
    t = asyncio.ensure_future(body(L, 99))
    await asyncio.sleep(0)
    t.cancel()
    L.release()
    try:
        await t
    except asyncio.CancelledError:
        out.append(("cancelled",))
    async with L:
        out.append(("after-cancel", L.locked()))
    q = asyncio.Queue(maxsize=1)
    q.put_nowait(1)
    try:
        q.put_nowait(2)
    except asyncio.QueueFull:
        out.append(("full",))
    out.append(("get", q.get_nowait()))
    try:
        q.get_nowait()
    except asyncio.QueueEmpty:
        out.append(("empty",))
    q.task_done()
    try:
        q.task_done()
    except ValueError as e:
        out.append(("td", str(e)))
    await q.join()
    r = await L.__aenter__()
    out.append(("aenter-ret", r))
    r = await L.__aexit__(None, None, None)
    out.append(("aexit-ret", r))
asyncio.run(main())
for o in out:
    print(o)
