# expect: loop-stall=1
# time.sleep inside a coroutine blocks the event loop.
import asyncio
import time


async def slow():
    time.sleep(0.5)
    await asyncio.sleep(0)


async def main():
    await asyncio.gather(slow(), asyncio.sleep(0.01))


asyncio.run(main())
