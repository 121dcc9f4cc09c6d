# expect: none
# Fixed twin of lost_update_same_line.py: every read-await-write holds the
# lock of what it updates.
import asyncio

total = 0


async def fetch_one():
    await asyncio.sleep(0)
    return 1


async def add_global(lock):
    global total
    async with lock:
        total = total + await fetch_one()


class Counter:
    def __init__(self):
        self.n = 0
        self.lock = asyncio.Lock()

    async def amount(self):
        await asyncio.sleep(0.001)
        return 1

    async def add(self):
        async with self.lock:
            self.n = self.n + await self.amount()


async def main():
    c = Counter()
    lock = asyncio.Lock()
    await asyncio.gather(*(add_global(lock) for _ in range(50)),
                         *(c.add() for _ in range(50)))
    print("total", total, "n", c.n)


asyncio.run(main())
