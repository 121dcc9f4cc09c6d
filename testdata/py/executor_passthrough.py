# executor_passthrough.py - run_in_executor and call_soon_threadsafe behave as
# without hbtrace: coroutines rejected with TypeError (debug loop), a
# process pool still pickles the function (the handoff wrapper cannot be).
import asyncio, concurrent.futures

async def co():
    pass

def work(x):
    return x * 2

async def main():
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    for call in (lambda: loop.call_soon_threadsafe(co),
                 lambda: loop.run_in_executor(None, co)):
        try:
            call()
            print("no TypeError")
        except TypeError:
            print("TypeError")
    with concurrent.futures.ProcessPoolExecutor(1) as ex:
        print(await loop.run_in_executor(ex, work, 21))

if __name__ == "__main__":
    asyncio.run(main())
