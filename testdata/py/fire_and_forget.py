# expect: unawaited-task=1
# A create_task whose reference is dropped, still pending at exit.
import asyncio


async def background():
    await asyncio.sleep(10)


async def main():
    asyncio.create_task(background())
    await asyncio.sleep(0.01)


asyncio.run(main())
