# expect: deadlock=1
# A task holds a lock and waits, at the end of a TaskGroup (gather before
# 3.11), for a child that needs the same lock.
import asyncio

lock = None


async def child():
    async with lock:
        return 1


async def parent():
    async with lock:
        if hasattr(asyncio, "TaskGroup"):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(child())
        else:
            await asyncio.gather(child())


async def main():
    global lock
    lock = asyncio.Lock()
    await parent()


asyncio.run(main())
