# SPDX-License-Identifier: MIT
"""asyncio_bench.py - many tasks, locks and queues; pure stdlib.

A pipeline of producer tasks feeding worker tasks through bounded
asyncio.Queue objects; workers update shared accounts under asyncio.Lock,
pass results to a collector through another queue, and a semaphore bounds
how many work at once.  Run natively and under hbtrace to measure the
Python front-end's overhead.  Usage: python3 asyncio_bench.py [ITEMS]
"""
import asyncio
import sys

NPRODUCERS = 20
NWORKERS = 50
NACCOUNTS = 16


class Bank:
    def __init__(self):
        self.locks = [asyncio.Lock() for _ in range(NACCOUNTS)]
        self.balance = [0] * NACCOUNTS
        self.moves = 0

    async def move(self, a, b, amount):
        # Always lock the lower index first: no lock-order cycle to report.
        lo, hi = (a, b) if a < b else (b, a)
        async with self.locks[lo]:
            if lo != hi:
                async with self.locks[hi]:
                    self.balance[a] -= amount
                    self.balance[b] += amount
            self.moves += 1


async def producer(pid, items, work):
    x = pid * 7919 + 1
    for i in range(items):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        await work.put((x % NACCOUNTS, (x >> 8) % NACCOUNTS, x % 100))
        if i % 64 == 0:
            await asyncio.sleep(0)


async def worker(bank, work, done, gate):
    while True:
        item = await work.get()
        if item is None:
            work.task_done()
            return
        async with gate:
            await bank.move(*item)
        await done.put(item[2])
        work.task_done()


async def collector(done, expected):
    total = 0
    for _ in range(expected):
        total += await done.get()
    return total


async def main(items_per_producer):
    bank = Bank()
    work = asyncio.Queue(maxsize=256)
    done = asyncio.Queue()
    gate = asyncio.Semaphore(8)
    expected = NPRODUCERS * items_per_producer
    coll = asyncio.create_task(collector(done, expected))
    workers = [asyncio.create_task(worker(bank, work, done, gate))
               for _ in range(NWORKERS)]
    await asyncio.gather(*(producer(p, items_per_producer, work)
                           for p in range(NPRODUCERS)))
    for _ in workers:
        await work.put(None)
    await asyncio.gather(*workers)
    await coll
    if bank.moves != expected or sum(bank.balance) != 0:
        print("asyncio_bench: inconsistent result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sys.exit(asyncio.run(main(n)))
