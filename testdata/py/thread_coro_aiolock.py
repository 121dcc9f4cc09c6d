# expect: data-race=1
# The coroutine holds an asyncio.Lock; the thread never takes it, so it
# protects nothing against the thread.
import asyncio
import threading

items = []


def worker():
    for i in range(1000):
        items.append(i)


async def main():
    lock = asyncio.Lock()
    t = threading.Thread(target=worker)
    t.start()
    for i in range(1000):
        async with lock:
            items.append(-i)
        if i % 100 == 0:
            await asyncio.sleep(0)
    t.join()
    print("items", len(items))


asyncio.run(main())
