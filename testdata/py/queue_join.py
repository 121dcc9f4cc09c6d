# expect: lost-update=1
# The producer reads the workers' total without waiting for them (no
# `await q.join()`), awaits, and stores the total back: the workers'
# additions in between are lost.
import asyncio


class Stats:
    def __init__(self):
        self.total = 0


async def worker(q, stats):
    while True:
        item = await q.get()
        await asyncio.sleep(0)
        stats.total = stats.total + item
        q.task_done()


async def main():
    q = asyncio.Queue()
    stats = Stats()
    workers = [asyncio.create_task(worker(q, stats)) for _ in range(4)]
    for i in range(20):
        q.put_nowait(i)
    total = stats.total
    await asyncio.sleep(0.001)
    stats.total = total * 2
    await q.join()
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    print("total", stats.total)


asyncio.run(main())
