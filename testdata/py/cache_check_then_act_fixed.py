# expect: none
# Fixed twin of cache_check_then_act.py: check and fill under one lock.
import asyncio

cache = {}
fetches = 0
lock = None


async def fetch(k):
    global fetches
    async with lock:
        fetches += 1
    await asyncio.sleep(0.001)
    return k * 2


async def get(k):
    async with cache_lock:
        if k not in cache:
            v = await fetch(k)
            cache[k] = v
        return cache[k]


async def main():
    global lock, cache_lock
    lock = asyncio.Lock()
    cache_lock = asyncio.Lock()
    await asyncio.gather(get(1), get(1), get(2))
    print("fetches", fetches)


asyncio.run(main())
