# expect: none
# Fixed twin of lost_update_global.py: the read-await-write under one lock.
import asyncio

counter = 0
lock = None


async def bump():
    global counter
    async with lock:
        current = counter
        await asyncio.sleep(0)
        counter = current + 1


async def main():
    global lock
    lock = asyncio.Lock()
    await asyncio.gather(*(bump() for _ in range(200)))
    print("counter", counter)


asyncio.run(main())
