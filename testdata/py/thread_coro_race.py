# expect: data-race=1
# A plain thread and a coroutine update one global with no common lock.
import asyncio
import threading

total = 0


def worker():
    global total
    for _ in range(2000):
        total += 1


async def main():
    global total
    t = threading.Thread(target=worker)
    t.start()
    for i in range(2000):
        total += 1
        if i % 100 == 0:
            await asyncio.sleep(0)
    t.join()
    print("total", total)


asyncio.run(main())
