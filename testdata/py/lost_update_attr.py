# expect: lost-update=1
# current = self.balance; await pay(); self.balance = current - x
import asyncio


class Account:
    def __init__(self, balance):
        self.balance = balance

    async def pay(self, amount):
        await asyncio.sleep(0.001)

    async def withdraw(self, amount):
        current = self.balance
        await self.pay(amount)
        self.balance = current - amount


async def main():
    acct = Account(100)
    await asyncio.gather(acct.withdraw(10), acct.withdraw(20))
    print("balance", acct.balance)


asyncio.run(main())
