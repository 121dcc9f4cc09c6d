# expect: unawaited-task=1
# A hand-made loop is closed while a task it created is still pending.
import asyncio
async def forever():
    await asyncio.sleep(100)
async def main():
    loop.create_task(forever())
    await asyncio.sleep(0.01)
loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
