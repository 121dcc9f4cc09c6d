# expect: lost-update=1
# if k not in cache: v = await fetch(k); cache[k] = v  -- fetched twice.
import asyncio

cache = {}
fetches = 0


async def fetch(k):
    global fetches
    fetches += 1
    await asyncio.sleep(0.001)
    return k * 2


async def get(k):
    if k not in cache:
        v = await fetch(k)
        cache[k] = v
    return cache[k]


async def main():
    await asyncio.gather(get(1), get(1), get(2))
    print("fetches", fetches)


asyncio.run(main())
