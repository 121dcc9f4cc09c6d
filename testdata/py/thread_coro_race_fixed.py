# expect: none
# Fixed twin of thread_coro_race.py: one threading.Lock on both sides.
import asyncio
import threading

total = 0
guard = threading.Lock()


def worker():
    global total
    for _ in range(2000):
        with guard:
            total += 1


async def main():
    global total
    t = threading.Thread(target=worker)
    t.start()
    for i in range(2000):
        with guard:
            total += 1
        if i % 100 == 0:
            await asyncio.sleep(0)
    t.join()
    print("total", total)


asyncio.run(main())
