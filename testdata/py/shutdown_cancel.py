# expect: none
# A shutdown that cancels its workers and awaits them.
import asyncio


async def worker(q):
    while True:
        await q.get()
        q.task_done()


async def main():
    q = asyncio.Queue()
    workers = [asyncio.create_task(worker(q)) for _ in range(3)]
    for i in range(10):
        q.put_nowait(i)
    await q.join()
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


asyncio.run(main())
