# expect: none
# requires: 3.9
# sem_release_n.py - Semaphore.release(3) wakes three waiters: the trace
# must merge in recorded order (one POST per unit released).
import threading

sem = threading.Semaphore(0)
lock = threading.Lock()
done = []


def worker(i):
    sem.acquire()
    with lock:
        done.append(i)


threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
for t in threads:
    t.start()
sem.release(3)
for t in threads:
    t.join()
print(sorted(done))
