# expect: lost-update=1
# The consumer reads the value without waiting on the Condition, awaits,
# and stores value + 1: the producer's write lands in between and is lost.
import asyncio


class Box:
    def __init__(self):
        self.value = 0
        self.ready = False


async def producer(box, cond):
    await asyncio.sleep(0)
    async with cond:
        box.value = box.value + 10
        box.ready = True
        cond.notify_all()
    await asyncio.sleep(0.01)


async def consumer(box, cond):
    v = box.value
    await asyncio.sleep(0.001)
    box.value = v + 1


async def main():
    box = Box()
    cond = asyncio.Condition()
    await asyncio.gather(producer(box, cond), consumer(box, cond))
    print("value", box.value)


asyncio.run(main())
