# expect: data-race=1
# A producer hands jobs to a consumer through a queue.Queue, but fills in
# one field after the put: the consumer may read it before or after.
# (Fixed twin: thread_handoff_fixed.py, every field set before the put.)
import queue
import sys
import threading
import time

# switch threads often, so producer and consumer interleave
sys.setswitchinterval(1e-5)

q = queue.Queue()
jobs = []  # keeps every job alive: no address is reused
total = [0]


def produce():
    for i in range(100):
        job = {"late": 0}
        job["x"] = i
        jobs.append(job)
        q.put(job)
        job["late"] = i
        # the consumer takes this job before the next put (which would
        # order everything up to here before its get)
        time.sleep(0.002)
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
print("total", total[0])
