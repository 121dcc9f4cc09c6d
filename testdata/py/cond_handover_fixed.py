# expect: none
# Fixed twin of cond_handover.py: the consumer reads the value only after
# the producer's notify_all() woke it (notify -> wait is happens-before),
# so the producer's earlier write cannot fall into the consumer's
# read-await-write window, although the producer is still running.
# notify() without the lock still raises RuntimeError, as in asyncio.
import asyncio


class Box:
    def __init__(self):
        self.value = 0
        self.ready = False


async def producer(box, cond):
    await asyncio.sleep(0)
    try:
        cond.notify()
    except RuntimeError:
        print("notify without the lock: RuntimeError")
    async with cond:
        box.value = box.value + 10
        box.ready = True
        cond.notify_all()
    await asyncio.sleep(0.01)  # still alive while the consumer works


async def consumer(box, cond):
    async with cond:
        await cond.wait_for(lambda: box.ready)
    v = box.value
    await asyncio.sleep(0.001)
    box.value = v + 1


async def main():
    box = Box()
    cond = asyncio.Condition()
    await asyncio.gather(producer(box, cond), consumer(box, cond))
    print("value", box.value)


asyncio.run(main())
