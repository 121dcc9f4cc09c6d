# expect: unawaited-task=1
# requires: 3.12
# Tasks started eagerly (asyncio.eager_task_factory, 3.12+) run their
# first step inside create_task.  One is fire-and-forget: its reference
# is dropped and it is still pending when the program exits.
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
    asyncio.create_task(forever())
    await asyncio.sleep(0.01)


asyncio.run(main())
