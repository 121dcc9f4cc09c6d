# expect: none
# `await q.join()` on a queue that never saw task_done() returns at once
# and is ordered after nothing.  It used to be recorded as waiting for the
# first task_done(), which never came: the reader had to force events out
# against the recorded order, and with threads running meanwhile (the
# executor below) that disorder showed up as false lock misuse.  The e2e
# test also checks that no event of this trace is placed out of order.
import asyncio
import threading

lock = threading.Lock()
done = 0


def work(n):
    global done
    with lock:
        done += n


async def main():
    loop = asyncio.get_running_loop()
    q = asyncio.Queue()
    await q.join()  # empty and never used: returns at once
    await asyncio.gather(*(loop.run_in_executor(None, work, i)
                           for i in range(8)))
    await q.join()
    q.put_nowait(1)
    q.get_nowait()
    q.task_done()
    await q.join()  # ordered after the task_done() above
    with lock:
        assert done == sum(range(8))


asyncio.run(main())
