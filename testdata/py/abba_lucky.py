# expect: lock-order-cycle=1
# Same opposite lock orders as abba_hang.py, but the schedule is lucky.
import asyncio

lock_a = None
lock_b = None


async def first():
    async with lock_a:
        async with lock_b:
            pass


async def second():
    await asyncio.sleep(0.01)
    async with lock_b:
        async with lock_a:
            pass


async def main():
    global lock_a, lock_b
    lock_a = asyncio.Lock()
    lock_b = asyncio.Lock()
    await asyncio.gather(first(), second())


asyncio.run(main())
