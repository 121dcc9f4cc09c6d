# expect: none
# Fixed twin of queue_join.py: the producer reads the workers' total
# only after `await q.join()` returned, then awaits and stores it back.
# The workers' writes are ordered before that read by task_done -> join
# (the workers are still alive, blocked in q.get()): no lost update.
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
    await q.join()
    total = stats.total
    await asyncio.sleep(0.001)
    stats.total = total * 2
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    print("total", stats.total)


asyncio.run(main())
