# expect: none
# requires: 3.12
# Fixed twin of eager_fire_and_forget.py: the long-running eager task is
# kept, cancelled at shutdown and awaited.
import asyncio


async def quick(n):
    return n * 2


async def forever():
    await asyncio.sleep(3600)


async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    results = await asyncio.gather(*(quick(i) for i in range(5)))
    t = asyncio.create_task(quick(10))
    print("results", results, await t)
    bg = asyncio.create_task(forever())
    await asyncio.sleep(0.01)
    bg.cancel()
    try:
        await bg
    except asyncio.CancelledError:
        pass


asyncio.run(main())
