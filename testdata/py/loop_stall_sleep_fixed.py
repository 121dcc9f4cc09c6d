# expect: none
# Fixed twin of loop_stall_sleep.py: asyncio.sleep yields to the loop.
import asyncio


async def slow():
    await asyncio.sleep(0.2)


async def main():
    await asyncio.gather(slow(), asyncio.sleep(0.01))


asyncio.run(main())
