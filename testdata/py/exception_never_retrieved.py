# expect: unawaited-task=1
# A task fails and nobody retrieves its exception.
import asyncio


async def failing():
    raise ValueError("lost")


async def main():
    t = asyncio.create_task(failing())
    await asyncio.sleep(0.01)
    del t


asyncio.run(main())
