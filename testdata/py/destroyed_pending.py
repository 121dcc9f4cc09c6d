# expect: unawaited-task=1
# A task waiting on a future nobody else references is garbage collected
# while still pending.
import asyncio, gc
async def waiter():
    await asyncio.get_running_loop().create_future()
async def main():
    asyncio.ensure_future(waiter())
    await asyncio.sleep(0.01)
    gc.collect()
    await asyncio.sleep(0.01)
asyncio.run(main())
