# expect: data-race=1
# Four threads bump one counter inside a one-line with statement, but each
# holds a lock of its own, so nothing orders the increments.  (Fixed
# twin: thread_oneline_with_fixed.py, one lock for all.)
import sys
import threading

# switch threads often, so the increments interleave
sys.setswitchinterval(1e-5)

total = [0]
locks = [threading.Lock() for _ in range(4)]


def worker(i):
    mine = locks[i]
    for _ in range(2000):
        with mine: total[0] += 1


threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("total", total[0])
