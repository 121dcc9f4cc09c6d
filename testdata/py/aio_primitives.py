# expect: none
# Correct use of asyncio Condition, Semaphore, BoundedSemaphore, Event,
# wait_for and shield, and of threading RLock, Condition and Semaphore
# between threads: no finding.
import asyncio
import threading

stock = []
done_count = 0


async def consumer(cond, sem, got):
    async with sem:
        async with cond:
            await cond.wait_for(lambda: stock)
            got.append(stock.pop())


async def producer(cond, n):
    for i in range(n):
        async with cond:
            stock.append(i)
            cond.notify()
        await asyncio.sleep(0)


async def waiter(ev):
    await ev.wait()
    return 1


def thread_part():
    global done_count
    lock = threading.RLock()
    cond = threading.Condition(lock)
    sem = threading.Semaphore(2)
    items = []

    def worker(i):
        global done_count
        with sem:
            with cond:
                with lock:
                    items.append(i)
                    done_count += 1
                cond.notify_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    with cond:
        cond.wait_for(lambda: len(items) == 4, timeout=10)
    for t in threads:
        t.join()
    return len(items)


async def main():
    cond = asyncio.Condition()
    sem = asyncio.BoundedSemaphore(2)
    got = []
    await asyncio.gather(producer(cond, 4),
                         *(consumer(cond, sem, got) for _ in range(4)))
    ev = asyncio.Event()
    w = asyncio.ensure_future(waiter(ev))
    ev.set()
    print("waiter", await asyncio.wait_for(w, 5))
    print("shield", await asyncio.shield(waiter(ev)))
    print("got", len(got))


asyncio.run(main())
print("threads", thread_part(), done_count)
