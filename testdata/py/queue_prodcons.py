# expect: none
# asyncio.Queue producer/consumer: no finding.
import asyncio


async def producer(q, n):
    for i in range(n):
        await q.put(i)
    await q.put(None)


async def consumer(q, out):
    while True:
        item = await q.get()
        if item is None:
            return
        out.append(item)


async def main():
    q = asyncio.Queue(maxsize=4)
    out = []
    await asyncio.gather(producer(q, 100), consumer(q, out))
    print("got", len(out))


asyncio.run(main())
