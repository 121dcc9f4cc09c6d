# expect: none
# Fixed twin of thread_handoff.py: every field is set before the put.
# Also handed over without a lock of the program's own: a job's result
# through its concurrent.futures future, a submitted call's arguments to
# the pool's worker, the workers' results to queue.join(), and a counter
# behind a BoundedSemaphore used as a mutex.
import concurrent.futures
import queue
import sys
import threading

sys.setswitchinterval(1e-5)

q = queue.Queue()
jobs = []
total = [0]


def produce():
    for i in range(300):
        job = {}
        job["x"] = i
        job["late"] = i
        jobs.append(job)
        q.put(job)
    q.put(None)


def consume():
    while True:
        job = q.get()
        if job is None:
            break
        total[0] += job["x"] + job["late"]


threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
for t in threads:
    t.start()
for t in threads:
    t.join()

# futures: the worker writes its box, the caller reads it after result()
boxes = [{} for _ in range(40)]


def work(box):
    box["sq"] = box["n"] * box["n"]
    return box


with concurrent.futures.ThreadPoolExecutor(4) as pool:
    futures = []
    for i, box in enumerate(boxes):
        box["n"] = i
        futures.append(pool.submit(work, box))
    squares = 0
    for f in futures:
        done = f.result()
        squares += done["sq"]

# queue.join(): what the workers did before task_done is visible after
results = {}
tasks = queue.Queue()


def worker():
    while True:
        k = tasks.get()
        if k is None:
            tasks.task_done()
            return
        results[k] = k + 1
        tasks.task_done()


workers = [threading.Thread(target=worker) for _ in range(3)]
for w in workers:
    w.start()
for k in range(60):
    tasks.put(k)
tasks.join()
seen = sum(results[k] for k in range(60))
for w in workers:
    tasks.put(None)
for w in workers:
    w.join()

# a BoundedSemaphore as a mutex
gate = threading.BoundedSemaphore(1)
count = [0]


def bump():
    for _ in range(300):
        with gate:
            count[0] += 1


bumpers = [threading.Thread(target=bump) for _ in range(3)]
for b in bumpers:
    b.start()
for b in bumpers:
    b.join()
print("total", total[0], squares, seen, count[0])
