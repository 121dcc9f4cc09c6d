# expect: deadlock=1
# Two tasks take two asyncio locks in opposite orders and hang.
import asyncio

lock_a = None
lock_b = None


async def first():
    async with lock_a:
        await asyncio.sleep(0.01)
        async with lock_b:
            pass


async def second():
    async with lock_b:
        await asyncio.sleep(0.01)
        async with lock_a:
            pass


async def main():
    global lock_a, lock_b
    lock_a = asyncio.Lock()
    lock_b = asyncio.Lock()
    await asyncio.gather(first(), second())


asyncio.run(main())
