# expect: none
# Fixed twin of thread_oneline_with.py: one lock for all, still taken in
# one-line with statements, whose body runs after the lock's acquire
# although the line started before it: a Lock over a list item, an
# RLock over an attribute, a Condition (its RLock) over a dict item.
import sys
import threading

# switch threads often, so the increments interleave
sys.setswitchinterval(1e-5)

total = [0]
lock = threading.Lock()
cond = threading.Condition()
seen = {}


class Stats:
    def __init__(self):
        self.lock = threading.RLock()
        self.n = 0

    def bump(self):
        with self.lock: self.n += 1


stats = Stats()


def worker():
    for _ in range(1000):
        with lock: total[0] += 1
        stats.bump()
        with cond: seen["k"] = seen.get("k", 0) + 1


threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("total", total[0], stats.n, seen["k"])
