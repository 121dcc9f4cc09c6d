# expect: deadlock=1
# A threading.Lock held across an await while another task on the same
# loop blocks the loop thread on it.
import asyncio
import threading

guard = threading.Lock()


async def holder():
    with guard:
        await asyncio.sleep(0.01)


async def blocker():
    await asyncio.sleep(0)
    with guard:
        pass


async def main():
    await asyncio.gather(holder(), blocker())


asyncio.run(main())
