# expect: lost-update=1
# Many tasks copy a global, await, and store copy+1: the counter ends at 1.
import asyncio

counter = 0


async def bump():
    global counter
    current = counter
    await asyncio.sleep(0)
    counter = current + 1


async def main():
    await asyncio.gather(*(bump() for _ in range(200)))
    print("counter", counter)


asyncio.run(main())
