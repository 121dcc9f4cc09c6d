# expect: none
# Two tasks taking turns on one lock: no deadlock, no cycle.
import asyncio


async def user(lock, n):
    for _ in range(n):
        async with lock:
            await asyncio.sleep(0)


async def main():
    lock = asyncio.Lock()
    await asyncio.gather(user(lock, 20), user(lock, 20))


asyncio.run(main())
