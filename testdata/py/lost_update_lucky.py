# expect: lost-update=1
# The read-await-write windows of two withdrawals happen not to overlap in
# this run (the second one starts late), but nothing orders them: another
# schedule loses one update.  Reported as predicted.
import asyncio

balance = 100


async def audit(x):
    await asyncio.sleep(0)


async def withdraw(x, delay):
    global balance
    await asyncio.sleep(delay)
    current = balance
    await audit(x)
    balance = current - x


async def main():
    await asyncio.gather(withdraw(10, 0), withdraw(20, 0.05))
    print("balance", balance)


asyncio.run(main())
