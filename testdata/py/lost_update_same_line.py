# expect: lost-update=2
# The read and the write on one line, an await between them:
# x = x + await f() reads x, suspends, and stores the stale sum.
import asyncio

total = 0


async def fetch_one():
    await asyncio.sleep(0)
    return 1


async def add_global():
    global total
    total = total + await fetch_one()


class Counter:
    def __init__(self):
        self.n = 0

    async def amount(self):
        await asyncio.sleep(0.001)
        return 1

    async def add(self):
        self.n = self.n + await self.amount()


async def main():
    c = Counter()
    await asyncio.gather(*(add_global() for _ in range(50)),
                         *(c.add() for _ in range(50)))
    print("total", total, "n", c.n)


asyncio.run(main())
