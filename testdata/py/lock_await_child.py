# expect: deadlock=1
# A task holds a lock and awaits a child task that needs the same lock.
import asyncio

state_lock = None


async def child():
    async with state_lock:
        return 1


async def parent():
    async with state_lock:
        return await asyncio.create_task(child())


async def main():
    global state_lock
    state_lock = asyncio.Lock()
    await parent()


asyncio.run(main())
