# expect: none
# Data handed between threads and the loop through the loop's handoffs
# (run_in_executor, call_soon_threadsafe) and threading.Event: ordered,
# so no race.
import asyncio
import threading

result = None
shared = {}
ready = threading.Event()


def compute(n):
    global result
    result = n * 2
    return result


def producer(loop, fut):
    shared["x"] = 1
    loop.call_soon_threadsafe(fut.set_result, None)
    ready.wait()
    shared["y"] = shared["x"] + 1


async def main():
    loop = asyncio.get_running_loop()
    v = await loop.run_in_executor(None, compute, 21)
    print("result", v, result)
    fut = loop.create_future()
    t = threading.Thread(target=producer, args=(loop, fut))
    t.start()
    await fut
    shared["x"] = shared["x"] + 10
    ready.set()
    await loop.run_in_executor(None, t.join)
    print("shared", shared["y"])


asyncio.run(main())
