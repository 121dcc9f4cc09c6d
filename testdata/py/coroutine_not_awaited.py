# expect: unawaited-task=1
# A coroutine called without await never runs.
import asyncio


async def save(x):
    await asyncio.sleep(0)


async def main():
    save(1)
    await asyncio.sleep(0.01)


asyncio.run(main())
