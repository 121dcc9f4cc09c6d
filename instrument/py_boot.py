# hbtrace CPython front-end bootstrap.  Embedded in libhbtrace.so as a C
# string (instrument/py_boot.c, generated from this file by
# instrument/py_boot_gen.sh); run once, just before user code, in its own
# namespace.  It patches asyncio (when imported) and threading (when
# imported) so that tasks, locks and handoffs call the _hbtrace recording
# primitives.  Nothing here may raise into the program: every patch point
# falls back to the original behaviour if recording fails.
import sys
import _hbtrace as _h


def _hbt_main():
    import os
    import _thread

    REQUEST, ACQUIRE, FAIL, RELEASE, POST, OBJ_INIT = 0x12, 0x13, 0x14, 0x15, 0x16, 0x10
    K_PY_LOCK, K_PY_RLOCK, K_PY_SEM, K_PY_EVENT = 16, 17, 19, 20
    K_PY_QUEUE, K_PY_FUTURE = 21, 22
    K_LOCK, K_SEM, K_EVENT, K_COND, K_QUEUE, K_FUT, K_HANDOFF = 32, 33, 34, 35, 36, 37, 38
    OP_TRY, OP_TIMED, OP_REQ, OP_BCAST, OP_REC = 2, 4, 8, 16, 32
    OUT_BUSY, OUT_TIMEDOUT, OUT_CANCELLED = 1, 2, 5

    def warn(msg):
        if _h.quiet():
            return
        try:
            sys.stderr.write("hbtrace: %s\n" % msg)
        except Exception:
            pass

    # ---- what is user code ------------------------------------------
    excl = set()
    for mod in (os,):
        d = os.path.dirname(getattr(mod, "__file__", "") or "")
        if d:
            excl.add(d + os.sep)
    for p in sys.path:
        if p and ("site-packages" in p or "dist-packages" in p):
            excl.add(os.path.join(p, ""))
    track = tuple(os.path.abspath(p) for p in
                  os.environ.get("HBTRACE_TRACK", "").split(os.pathsep) if p)
    stall_ms = os.environ.get("HBTRACE_LOOP_STALL_MS", "")
    try:
        stall_ns = int(float(stall_ms) * 1e6) if stall_ms else 100000000
    except ValueError:
        stall_ns = 100000000
    _h.config(tuple(sorted(excl)), track, stall_ns)

    user_cache = {}

    def is_user(fn):
        r = user_cache.get(fn)
        if r is None:
            r = user_cache[fn] = bool(_h.is_user(fn))
        return r

    tl = _thread._local()
    handoff_ids = iter(range(1, 1 << 62))
    HANDOFF_BASE = 1 << 61

    def cur_task():
        return getattr(tl, "tid", 0)

    def user_frame(depth):
        try:
            f = sys._getframe(depth + 1)
        except ValueError:
            return None
        while f is not None and not is_user(f.f_code.co_filename):
            f = f.f_back
        return f

    def name_of(obj, depth):
        """The variable name of 'obj' as the user code near the caller
        sees it: a local, a global, or an attribute of a local."""
        f = user_frame(depth + 1)
        n = 0
        while f is not None and n < 4:
            try:
                for k, v in list(f.f_locals.items()):
                    if v is obj:
                        return k
                for k, v in list(f.f_locals.items()):
                    d = getattr(v, "__dict__", None)
                    if type(d) is dict:
                        for a, av in d.items():
                            if av is obj:
                                return "%s.%s" % (k, a)
                for k, v in list(f.f_globals.items()):
                    if v is obj:
                        return k
            except Exception:
                return None
            f = f.f_back
            n += 1
        return None

    def named(obj, kind, depth=1):
        try:
            if obj.__dict__.get("_hbt_named"):
                return
            obj._hbt_named = True
            n = name_of(obj, depth + 1)
            if n:
                _h.obj_name(obj, kind, n)
        except Exception:
            pass

    def on_create(obj, kind, arg=0):
        _h.ev(OBJ_INIT, obj, kind, 0, arg, _h.stack())

    # ---- lazy patching on import --------------------------------------
    pending = {}

    def patched(name, fn):
        m = sys.modules.get(name)
        if m is not None and getattr(m, "__spec__", None) is not None and \
                getattr(m, "_hbt_patched", False) is False and \
                not getattr(m, "_initializing", False) and \
                not getattr(getattr(m, "__spec__", None), "_initializing", False):
            run_patch(name, m, fn)
        else:
            pending[name] = fn

    def run_patch(name, m, fn):
        try:
            m._hbt_patched = True
            fn(m)
        except Exception as e:
            warn("cannot instrument %s (%s: %s); it is not traced"
                 % (name, type(e).__name__, e))

    class Loader(object):
        def __init__(self, real, name):
            self.real = real
            self.name = name

        def create_module(self, spec):
            cm = getattr(self.real, "create_module", None)
            return cm(spec) if cm else None

        def exec_module(self, module):
            self.real.exec_module(module)
            fn = pending.pop(self.name, None)
            if fn is not None:
                run_patch(self.name, module, fn)

        def __getattr__(self, a):
            return getattr(self.real, a)

    class Finder(object):
        def find_spec(self, name, path=None, target=None):
            if name not in pending:
                return None
            for f in sys.meta_path:
                if f is self:
                    continue
                fs = getattr(f, "find_spec", None)
                if fs is None:
                    continue
                spec = fs(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            if spec.loader is None or not hasattr(spec.loader, "exec_module"):
                return spec
            spec.loader = Loader(spec.loader, name)
            return spec

    sys.meta_path.insert(0, Finder())

    # ---- threading ----------------------------------------------------
    def patch_threading(threading):
        allocate = _thread.allocate_lock
        real_rlock = threading.RLock
        tfile = threading.__file__

        def want_wrapper():
            # A lock user code creates, or the default lock of a
            # Condition user code creates; not the private locks of
            # Event, Semaphore, Barrier or Thread.
            try:
                f = sys._getframe(2)
                if f.f_code.co_filename == tfile:
                    if f.f_code.co_name != "__init__" or not isinstance(
                            f.f_locals.get("self"), threading.Condition):
                        return False
                    f = f.f_back
                return f is not None and is_user(f.f_code.co_filename)
            except Exception:
                return False

        class HLock(object):
            """threading.Lock as user code sees it: the real lock plus
            the records.  From 3.13.1 an uncontended Lock makes no
            futex/sem call at all, so the pthread shim cannot see it."""
            __slots__ = ("_l", "_seq", "_owner", "_hbt_named", "__weakref__")
            kind = K_PY_LOCK

            def __init__(self):
                self._l = allocate()
                self._seq = 0
                self._owner = None
                self._hbt_named = False
                on_create(self, self.kind)

            def _name(self):
                self._hbt_named = True
                n = name_of(self, 2)
                if n:
                    _h.obj_name(self, self.kind, n)

            def acquire(self, blocking=True, timeout=-1):
                l = self._l
                if not self._hbt_named:
                    self._name()
                if l.acquire(False):
                    self._seq += 1
                    self._owner = (_thread.get_ident(), cur_task())
                    _h.ev(ACQUIRE, self, self.kind, 0, self._seq, _h.stack())
                    if with_lines[0]:
                        entered()
                    return True
                if not blocking:
                    _h.ev(FAIL, self, self.kind, OP_TRY, OUT_BUSY, _h.stack())
                    return False
                op = OP_TIMED if timeout >= 0 else 0
                _h.ev(REQUEST, self, self.kind, op, 0, _h.stack())
                owner = self._owner
                if timeout < 0 and owner is not None and \
                        owner[0] == _thread.get_ident():
                    # Nobody else will ever release it: a lock held by
                    # this thread (or by a task suspended on this thread's
                    # loop) requested again without a timeout.
                    live_deadlock([self],
                                  "thread blocks on %s held by %s" % (
                                      "threading.Lock",
                                      "a suspended task on its own loop"
                                      if owner[1] else "itself"))
                ok = l.acquire(True, timeout)
                if ok:
                    self._seq += 1
                    self._owner = (_thread.get_ident(), cur_task())
                    _h.ev(ACQUIRE, self, self.kind, op | OP_REQ, self._seq, 0)
                    if with_lines[0]:
                        entered()
                else:
                    _h.ev(FAIL, self, self.kind, op, OUT_TIMEDOUT, 0)
                return ok

            def release(self):
                if not self._l.locked():
                    self._l.release()  # raises the usual RuntimeError
                self._owner = None
                _h.ev(RELEASE, self, self.kind, 0, 0, 0)
                self._l.release()

            def locked(self):
                return self._l.locked()

            __enter__ = acquire

            def __exit__(self, *a):
                self.release()

            def _at_fork_reinit(self):
                self._l = allocate()
                self._owner = None

            def __repr__(self):
                return "<hbtrace %r>" % (self._l,)

        class HRLock(object):
            __slots__ = ("_l", "_seq", "_owner", "_count", "_hbt_named",
                         "__weakref__")
            kind = K_PY_RLOCK

            def __init__(self):
                self._l = real_rlock()
                self._seq = 0
                self._owner = None
                self._count = 0
                self._hbt_named = False
                on_create(self, self.kind, 1)

            def acquire(self, blocking=True, timeout=-1):
                me = _thread.get_ident()
                if not self._hbt_named:
                    self._hbt_named = True
                    n = name_of(self, 1)
                    if n:
                        _h.obj_name(self, self.kind, n)
                if self._owner == me:
                    self._l.acquire()
                    self._count += 1
                    _h.ev(ACQUIRE, self, self.kind, OP_REC, self._seq, 0)
                    if with_lines[0]:
                        entered()
                    return True
                if self._l.acquire(False):
                    op = 0
                    st = _h.stack()
                else:
                    if not blocking:
                        _h.ev(FAIL, self, self.kind, OP_TRY, OUT_BUSY, _h.stack())
                        return False
                    op = OP_TIMED if timeout >= 0 else 0
                    _h.ev(REQUEST, self, self.kind, op, 0, _h.stack())
                    if not self._l.acquire(True, timeout):
                        _h.ev(FAIL, self, self.kind, op, OUT_TIMEDOUT, 0)
                        return False
                    op |= OP_REQ
                    st = 0
                self._owner = me
                self._count = 1
                self._seq += 1
                _h.ev(ACQUIRE, self, self.kind, op, self._seq, st)
                if with_lines[0]:
                    entered()
                return True

            def release(self):
                if self._owner != _thread.get_ident():
                    self._l.release()  # raises
                self._count -= 1
                if self._count:
                    _h.ev(RELEASE, self, self.kind, OP_REC, 0, 0)
                else:
                    self._owner = None
                    _h.ev(RELEASE, self, self.kind, 0, 0, 0)
                self._l.release()

            __enter__ = acquire

            def __exit__(self, *a):
                self.release()

            # threading.Condition uses these when the lock has them
            def _is_owned(self):
                return self._owner == _thread.get_ident()

            def _release_save(self):
                count, self._count, self._owner = self._count, 0, None
                _h.ev(RELEASE, self, self.kind, 0, 0, 0)
                return (count, self._l._release_save())

            def _acquire_restore(self, state):
                self._l._acquire_restore(state[1])
                self._owner = _thread.get_ident()
                self._count = state[0]
                self._seq += 1
                _h.ev(ACQUIRE, self, self.kind, 0, self._seq, 0)

            def _at_fork_reinit(self):
                self._l._at_fork_reinit()
                self._owner = None
                self._count = 0

        # Classes, not functions: from 3.13 threading.Lock is a type and
        # isinstance(x, threading.Lock) must keep working.
        lock_type = type(allocate())
        rlock_type = type(real_rlock())

        class LockMeta(type):
            def __instancecheck__(cls, obj):
                return isinstance(obj, cls._hbt_types)

        class Lock(metaclass=LockMeta):
            _hbt_types = (lock_type, HLock)

            def __new__(cls, *a, **k):
                if want_wrapper():
                    return HLock()
                return allocate(*a, **k)

        class RLock(metaclass=LockMeta):
            _hbt_types = (rlock_type, HRLock)

            def __new__(cls, *a, **k):
                if want_wrapper():
                    return HRLock()
                return real_rlock(*a, **k)

        # introspection sees the originals' module: support.check__all__
        # (test_threading's test__all__) keeps names by __module__
        for cls, orig in ((Lock, allocate), (RLock, real_rlock)):
            cls.__module__ = getattr(orig, "__module__", None) or "threading"
            cls.__doc__ = getattr(orig, "__doc__", None)
        threading.Lock = Lock
        threading.RLock = RLock

        Sem = threading.Semaphore
        o_sacq, o_srel = Sem.acquire, Sem.release

        def sem_acquire(self, blocking=True, timeout=None):
            r = o_sacq(self, blocking, timeout)
            if r:
                _h.ev(ACQUIRE, self, K_PY_SEM, 0,
                      self.__dict__.get("_hbt_posts", 0), _h.stack())
            return r

        def sem_release(self, n=1, o_srel=o_srel):
            # counted and POSTed before the real release: an acquirer it
            # wakes reads the count at once, and must see this post
            # (a release that then fails, over a BoundedSemaphore's
            # bound, only orders more than it had to).  Under the
            # semaphore's own condition: releasers count one at a time.
            with self._cond:
                p = self.__dict__.get("_hbt_posts", 0)
                # one POST per unit: the reader places post k after
                # post k - 1, and a lone release(n) seq would wait for
                # it forever
                for k in range(p + 1, p + n + 1):
                    _h.ev(POST, self, K_PY_SEM, 0, k, 0)
                self._hbt_posts = p + n
            o_srel(self, n) if n != 1 else o_srel(self)

        Sem.acquire = sem_acquire
        Sem.__enter__ = sem_acquire
        Sem.release = sem_release
        # BoundedSemaphore.release does the work itself, without
        # Semaphore.release: with only that patched, a bounded semaphore
        # used as a mutex ordered nothing
        BSem = threading.BoundedSemaphore
        if BSem.release is not sem_release:
            o_bsrel = BSem.release

            def bsem_release(self, n=1):
                sem_release(self, n, o_bsrel)

            BSem.release = bsem_release

        Ev = threading.Event
        o_eset, o_ewait = Ev.set, Ev.wait

        def ev_set(self):
            p = self.__dict__.get("_hbt_posts", 0) + 1
            self._hbt_posts = p
            _h.ev(POST, self, K_PY_EVENT, OP_BCAST, p, 0)
            o_eset(self)

        def ev_wait(self, timeout=None):
            r = o_ewait(self, timeout)
            if r:
                _h.ev(ACQUIRE, self, K_PY_EVENT, 0,
                      self.__dict__.get("_hbt_posts", 0), 0)
            return r

        Ev.set = ev_set
        Ev.wait = ev_wait

        T = threading.Thread
        o_start, o_join, o_boot = T.start, T.join, T._bootstrap_inner

        def t_start(self):
            _h.ev(POST, self, K_HANDOFF, 0, 1, _h.stack())
            o_start(self)

        def t_boot(self):
            try:
                _h.ev(ACQUIRE, self, K_HANDOFF, 0, 1, 0)
                _h.thread_name(self.name)
                if sys.gettrace() is None and access_tracer is not None:
                    access_tracer()
            except Exception:
                pass
            try:
                o_boot(self)
            finally:
                try:
                    _h.ev(POST, id(self) + 1, K_HANDOFF, 0, 1, 0)
                except Exception:
                    pass

        def t_join(self, timeout=None):
            o_join(self, timeout)
            if not self.is_alive():
                _h.ev(ACQUIRE, id(self) + 1, K_HANDOFF, 0, 1, 0)

        T.start = t_start
        T.join = t_join
        T._bootstrap_inner = t_boot

    # ---- queue and concurrent.futures ---------------------------------
    # Their locks and conditions are the standard library's own, so not
    # recorded (want_wrapper): without these, an object handed over
    # through a queue.Queue or a future's result raced with its maker.
    # A counting object each: a put, task_done or completion POSTs, and
    # the other side ACQUIREs the number of POSTs it observed.  The POST
    # goes first, so whoever sees the item or the state change observes
    # it; a put that then times out only orders more than it had to.
    def patch_queue(queue):
        Qt = queue.Queue
        o_put, o_get = Qt.put, Qt.get
        o_tdone, o_join = Qt.task_done, Qt.join

        def post(q, attr, key, op):
            with q.mutex:  # producers count one at a time
                p = q.__dict__.get(attr, 0) + 1
                _h.ev(POST, key, K_PY_QUEUE, op, p, 0)
                setattr(q, attr, p)

        def join_key(q):
            k = q.__dict__.get("_hbt_join")
            if k is None:
                with q.mutex:
                    k = q.__dict__.get("_hbt_join")
                    if k is None:
                        k = q._hbt_join = object()
            return k

        def q_put(self, item, block=True, timeout=None):
            post(self, "_hbt_posts", self, 0)
            return o_put(self, item, block, timeout)

        def q_get(self, block=True, timeout=None):
            r = o_get(self, block, timeout)
            _h.ev(ACQUIRE, self, K_PY_QUEUE, 0,
                  self.__dict__.get("_hbt_posts", 0), 0)
            return r

        def q_task_done(self):
            post(self, "_hbt_dones", join_key(self), OP_BCAST)
            return o_tdone(self)

        def q_join(self):
            r = o_join(self)
            p = self.__dict__.get("_hbt_dones", 0)
            if p:
                _h.ev(ACQUIRE, join_key(self), K_PY_QUEUE, 0, p, 0)
            return r

        Qt.put, Qt.get = q_put, q_get
        Qt.task_done, Qt.join = q_task_done, q_join

    def patch_futures(base):
        F = base.Future
        o_sres, o_sexc = F.set_result, F.set_exception
        o_res, o_exc = F.result, F.exception

        def completed(f):
            f._hbt_done = True
            _h.ev(POST, f, K_PY_FUTURE, OP_BCAST, 1, 0)

        def observed(f):
            if f.__dict__.get("_hbt_done"):
                _h.ev(ACQUIRE, f, K_PY_FUTURE, 0, 1, 0)

        def f_set_result(self, result):
            completed(self)
            return o_sres(self, result)

        def f_set_exception(self, exception):
            completed(self)
            return o_sexc(self, exception)

        def f_result(self, timeout=None):
            try:
                return o_res(self, timeout)
            finally:
                observed(self)

        def f_exception(self, timeout=None):
            try:
                return o_exc(self, timeout)
            finally:
                observed(self)

        F.set_result, F.set_exception = f_set_result, f_set_exception
        F.result, F.exception = f_result, f_exception

    def patch_executor(thread):
        # submit -> the worker running the call: the work queue is a
        # C SimpleQueue, so the work item is the handed-over object
        W = getattr(thread, "_WorkItem", None)
        if W is None:
            return
        o_init, o_run = W.__init__, W.run

        def w_init(self, *a, **kw):
            o_init(self, *a, **kw)
            _h.ev(POST, self, K_PY_FUTURE, 0, 1, 0)

        def w_run(self):
            _h.ev(ACQUIRE, self, K_PY_FUTURE, 0, 1, 0)
            return o_run(self)

        W.__init__, W.run = w_init, w_run

    # ---- live deadlocks ------------------------------------------------
    reported = []

    def live_deadlock(objs, why):
        if reported:
            return
        reported.append(why)
        _h.deadlock(*objs)
        warn("deadlock: %s" % why)
        _h.stop_deadlocked()

    # ---- asyncio -------------------------------------------------------
    def patch_asyncio(asyncio):
        import weakref
        from asyncio import tasks, base_events, locks, queues, runners
        from asyncio import futures
        import warnings

        PyTask = getattr(tasks, "_PyTask", None)
        if PyTask is None or not hasattr(PyTask, "_Task__step"):
            raise RuntimeError("no pure-Python Task")
        ids = iter(range(1, 1 << 62))
        live = weakref.WeakSet()
        task_coros = {}

        # Why the pure-Python Task: it is the only Task whose steps run
        # Python code we can wrap (the C Task calls its step directly), it
        # exists with the same private step method in 3.8-3.13, and every
        # way of making a task (create_task, ensure_future, gather,
        # TaskGroup, asyncio.run) goes through the module attribute
        # tasks.Task at call time.  sys.monitoring would be 3.12+ only.
        #
        # asyncio.Future is the C Future, and issubclass(Task, Future) must
        # stay true, so the C Future is a second base.  Its methods and
        # fields come after _PyFuture's in the MRO and are never reached
        # (the C struct stays zeroed), and the C code that reads Future
        # fields directly checks the exact type first, so it takes the
        # generic method-call path for this Task as for any subclass.
        CFuture = futures.Future
        # _PyFuture (3.9+) raises a cancelled task's error from a local
        # (exc = self._make_cancelled_error(); raise exc): error ->
        # traceback -> frame -> error, a cycle that keeps everything the
        # traceback reaches (an SSLContext in test_asyncio) until the next
        # collection, where the C Future frees it at once.  Raised here
        # straight from the call, no local holds it.
        cancelled_error = hasattr(PyTask, "_make_cancelled_error")
        bases = (PyTask,)
        if isinstance(CFuture, type) and not issubclass(PyTask, CFuture):
            bases = (PyTask, CFuture)

        class Task(*bases):
            if len(bases) > 1:
                __dict__ = property(_h.obj_dict)

            def __init__(self, coro, *args, **kw):
                self._hbt_id = tid = next(ids)
                self._hbt_awaited = None
                self._hbt_left = False
                self._hbt_taken = False
                self._hbt_cstack = _h.stack()
                self._hbt_parent = cur_task()
                PyTask.__init__(self, coro, *args, **kw)
                self._hbt_announce(coro)

            def _hbt_announce(self, coro):
                # once, before the first step: an eager task (3.12+) runs
                # it inside PyTask.__init__
                if self.__dict__.get("_hbt_created"):
                    return
                tid = self._hbt_id
                self._hbt_created = True
                _h.task_create(tid, self._hbt_parent, self._loop,
                               self._hbt_cstack)
                task_coros[id(coro)] = tid
                live.add(self)
                if "last_created" in tl.__dict__:  # inside shield()
                    tl.last_created = self
                try:
                    cname = coro.__qualname__
                except Exception:
                    cname = type(coro).__name__
                _h.task_name(tid, self.get_name(), cname)

            def _Task__step(self, exc=None):
                # _hbt_run inlined: one Python call less on every step
                tid = self._hbt_id
                coro = self._coro
                prev = getattr(tl, "tid", 0)
                prev_task = getattr(tl, "task", None)
                tl.tid = tid
                tl.task = self
                tl.wait = None
                tl.stall = 0
                t0 = _h.task_step(tid)
                try:
                    PyTask._Task__step(self, exc)
                finally:
                    tl.tid = prev
                    tl.task = prev_task
                    try:
                        self._hbt_after_step(tid, t0, coro)
                    except Exception:
                        pass
                    # as __step does: an error raised in the step has
                    # __step's frame in its traceback, whose f_back is
                    # this frame; holding the task and the error thrown
                    # in here would make a cycle that only the collector
                    # frees (the C Task makes none)
                    self = exc = None

            def _Task__eager_start(self):
                # 3.12+ eager_start: the first step runs here, not in
                # __step (it is __step_run_and_handle_result directly)
                try:
                    self._hbt_announce(self._coro)
                except Exception:
                    pass
                self._hbt_run(PyTask._Task__eager_start)

            def _hbt_run(self, step, *args):
                tid = self._hbt_id
                coro = self._coro  # an eager start clears it when done
                prev = getattr(tl, "tid", 0)
                prev_task = getattr(tl, "task", None)
                tl.tid = tid
                tl.task = self
                tl.wait = None
                tl.stall = 0
                t0 = _h.task_step(tid)
                try:
                    step(self, *args)
                finally:
                    tl.tid = prev
                    tl.task = prev_task
                    try:
                        self._hbt_after_step(tid, t0, coro)
                        if prev:
                            # an eager step ran inside the creator's
                            # step, which goes on: it runs again
                            _h.task_step(prev)
                    except Exception:
                        pass
                    self = args = None  # no cycle, see _Task__step

            def _hbt_after_step(self, tid, t0, coro):
                if self._state != "PENDING":
                    task_coros.pop(id(coro), None)
                    e = self._exception
                    if self._state == "CANCELLED":
                        out, en = 5, None
                    elif e is not None:
                        out, en = 3, type(e).__name__
                    else:
                        out, en = 0, None
                    _h.task_done(tid, out, en, t0, tl.stall, coro)
                    return
                w = self._fut_waiter
                wait = tl.wait
                if wait is not None:
                    obj, kind = wait
                elif w is None:
                    obj, kind = 0, 0
                else:
                    obj, kind = w, K_FUT
                    if w is not self._hbt_awaited:
                        self._hbt_awaited = w
                        awaited_edges(tid, w)
                _h.task_suspend(tid, obj, kind, coro, t0, tl.stall)

            def result(self):
                if not self._hbt_taken and self._state != "PENDING":
                    self._hbt_taken = True
                    _h.task_taken(self._hbt_id)
                if self._state == "CANCELLED" and cancelled_error:
                    raise self._make_cancelled_error()
                return PyTask.result(self)

            def exception(self):
                if not self._hbt_taken and self._state != "PENDING":
                    self._hbt_taken = True
                    _h.task_taken(self._hbt_id)
                if self._state == "CANCELLED" and cancelled_error:
                    raise self._make_cancelled_error()
                return PyTask.exception(self)

            def __del__(self):
                try:
                    self._hbt_leave(3)
                except Exception:
                    pass
                PyTask.__del__(self)

            def _hbt_leave(self, pending_reason):
                if self._hbt_left or not self.__dict__.get("_hbt_created"):
                    return
                if self._state == "PENDING":
                    self._hbt_left = True
                    _h.task_left(self._hbt_id, pending_reason, 0, self._coro)
                elif self._state == "FINISHED" and self._exception is not None \
                        and not self._hbt_taken \
                        and self.__dict__.get("_log_traceback", True):
                    self._hbt_left = True
                    _h.task_left(self._hbt_id, 4, self._hbt_cstack, None)

        def awaited_edges(tid, w):
            st = 0
            if hasattr(w, "_hbt_id"):
                _h.task_await(tid, w._hbt_id, 0, _h.stack())
                return
            for c in getattr(w, "_children", ()) or ():
                if hasattr(c, "_hbt_id"):
                    _h.task_await(tid, c._hbt_id, 1, st)

        # a C Future field that _PyFuture keeps in the instance dict but
        # declares no class default for (_callbacks): the C getset would
        # shadow the dict and refuse the assignment in _PyFuture.__init__
        class DictOnly(object):
            __slots__ = ("name",)

            def __init__(self, name):
                self.name = name

            def __get__(self, obj, cls=None):
                if obj is None:
                    return self
                raise AttributeError(self.name)

        if len(bases) > 1:
            for n, v in list(vars(CFuture).items()):
                if hasattr(v, "__set__") and \
                        not any(n in vars(k) for k in PyTask.__mro__[:-1]):
                    setattr(Task, n, DictOnly(n))

        tasks.Task = Task
        asyncio.Task = Task
        # 3.12+: the ready-made eager factory was bound to the C Task
        if hasattr(tasks, "create_eager_task_factory"):
            tasks.eager_task_factory = asyncio.eager_task_factory = \
                tasks.create_eager_task_factory(Task)

        # pending at the end of asyncio.run(): reported before the runner
        # cancels them (a program that cancels and awaits its workers
        # itself has none left here)
        o_cancel_all = runners._cancel_all_tasks

        def _cancel_all_tasks(loop):
            try:
                for t in list(live):
                    if t._loop is loop:
                        t._hbt_leave(2)
            except Exception:
                pass
            return o_cancel_all(loop)

        runners._cancel_all_tasks = _cancel_all_tasks

        BL = base_events.BaseEventLoop
        o_close = BL.close

        def close(self):
            try:
                for t in list(live):
                    if t._loop is self:
                        t._hbt_leave(1)
            except Exception:
                pass
            return o_close(self)

        BL.close = close

        def at_exit():
            for t in list(live):
                try:
                    t._hbt_leave(2)
                except Exception:
                    pass

        import atexit
        atexit.register(at_exit)

        # Coroutines never awaited: CPython calls
        # warnings._warn_unawaited_coroutine(coro) when one is finalized.
        # A wrapper function would move the warning's reported location
        # (stacklevel=2) into this file, so run the original code with a
        # 'warn' that records first and then warns one level further up.
        o_unawaited = getattr(warnings, "_warn_unawaited_coroutine", None)
        if o_unawaited is not None and "warn" in o_unawaited.__globals__:
            import types
            g = dict(o_unawaited.__globals__)
            real_warn = g["warn"]

            def warn_hook(message, category=None, stacklevel=1, source=None):
                try:
                    coro = source
                    code = getattr(coro, "cr_code", None)
                    if id(coro) not in task_coros and code is not None and \
                            is_user(code.co_filename):
                        _h.task_name(id(coro), None, coro.__qualname__)
                        _h.task_left(id(coro), 5, _h.stack(), None)
                except Exception:
                    pass
                return real_warn(message, category, stacklevel + 1, source)

            g["warn"] = warn_hook
            warnings._warn_unawaited_coroutine = types.FunctionType(
                o_unawaited.__code__, g, o_unawaited.__name__,
                o_unawaited.__defaults__, o_unawaited.__closure__)

        # who awaits whom beyond a plain await and gather: TaskGroup exit,
        # shield and wait_for (op 1, 2, 4 of TASK_AWAIT)
        def await_edges(children, op):
            me = getattr(tl, "task", None)
            if me is None:
                return
            st = _h.stack()
            for c in children:
                if hasattr(c, "_hbt_id"):
                    _h.task_await(me._hbt_id, c._hbt_id, op, st)

        TG = getattr(asyncio, "TaskGroup", None)
        if TG is not None and hasattr(TG, "__aexit__"):
            o_tg_aexit = TG.__aexit__

            async def tg_aexit(self, *exc):
                me = getattr(tl, "task", None)
                kids = [c for c in list(getattr(self, "_tasks", ()) or ())
                        if hasattr(c, "_hbt_id")]
                await_edges(kids, 1)
                if me is not None:
                    me._hbt_tg_wait = kids
                try:
                    return await o_tg_aexit(self, *exc)
                finally:
                    if me is not None:
                        me._hbt_tg_wait = None

            TG.__aexit__ = tg_aexit

        o_shield = tasks.shield

        def shield(arg, *a, **k):
            # the task shield() makes, caught only while it runs: a task
            # held in the thread's state after that would outlive the
            # program's last reference to it (its __del__, its frames)
            d = tl.__dict__
            saved = d.get("last_created", False)
            d["last_created"] = None
            try:
                outer = o_shield(arg, *a, **k)
                made = d.get("last_created")
            finally:
                if saved is False:
                    d.pop("last_created", None)
                else:
                    d["last_created"] = saved  # a shield() inside one
            try:
                inner = [arg] if hasattr(arg, "_hbt_id") else [made]
                if inner[0] is not None and outer is not inner[0]:
                    outer._hbt_inner = inner[0]
                    await_edges(inner, 2)
            except Exception:
                pass
            return outer

        tasks.shield = shield
        asyncio.shield = shield

        o_wait_for = tasks.wait_for

        async def wait_for(fut, timeout, *a, **k):
            if hasattr(fut, "_hbt_id"):
                await_edges([fut], 4)
            return await o_wait_for(fut, timeout, *a, **k)

        tasks.wait_for = wait_for
        asyncio.wait_for = wait_for

        # handoffs between threads and the loop
        o_cst = BL.call_soon_threadsafe

        from asyncio import coroutines

        def is_coro(f):
            # the originals reject these with TypeError: let them see it
            return coroutines.iscoroutine(f) or \
                coroutines.iscoroutinefunction(f)

        def call_soon_threadsafe(self, callback, *args, **kw):
            if is_coro(callback):
                return o_cst(self, callback, *args, **kw)
            key = HANDOFF_BASE + 2 * next(handoff_ids)
            _h.ev(POST, key, K_HANDOFF, 0, 1, _h.stack())

            def handoff(*a):
                _h.ev(ACQUIRE, key, K_HANDOFF, 0, 1, 0)
                return callback(*a)
            h = o_cst(self, handoff, *args, **kw)
            try:
                # debug mode: the original drops its own frame from the
                # Handle's source traceback; drop this wrapper's too, so
                # it ends in the caller as without hbtrace
                tb = h._source_traceback
                if tb and tb[-1][0] == \
                        call_soon_threadsafe.__code__.co_filename:
                    del tb[-1]
            except Exception:
                pass
            return h

        BL.call_soon_threadsafe = call_soon_threadsafe
        o_rie = BL.run_in_executor

        def run_in_executor(self, executor, func, *args):
            # loop -> worker when the call starts; worker -> loop when it
            # returns, acquired by the loop when the future completes (the
            # result's own path runs through concurrent.futures' private
            # locks, which are not recorded)
            # a process pool pickles func: no closure, no handoff (not
            # imported means not one: importing it costs multiprocessing)
            pp = sys.modules.get("concurrent.futures.process")
            if is_coro(func) or (pp is not None and isinstance(
                    executor, pp.ProcessPoolExecutor)):
                return o_rie(self, executor, func, *args)
            key = HANDOFF_BASE + 2 * next(handoff_ids)
            ran = []
            _h.ev(POST, key, K_HANDOFF, 0, 1, _h.stack())

            def handoff(*a):
                _h.ev(ACQUIRE, key, K_HANDOFF, 0, 1, 0)
                try:
                    return func(*a)
                finally:
                    _h.ev(POST, key + 1, K_HANDOFF, 0, 1, 0)
                    ran.append(1)

            def back(f):
                if ran:
                    _h.ev(ACQUIRE, key + 1, K_HANDOFF, 0, 1, 0)

            fut = o_rie(self, executor, handoff, *args)
            try:
                fut.add_done_callback(back)
            except Exception:
                pass
            return fut

        BL.run_in_executor = run_in_executor

        # Live deadlocks among tasks: checked only when the loop is about to
        # sleep with nothing ready and no timer (it would wait forever)
        # while some task waits for a lock.  Edges: a task waiting for a
        # lock -> the task owning it; a task awaiting tasks (await, gather)
        # -> each pending one.  Any cycle through a lock wait is stuck for
        # good: nothing but those tasks could release the locks.
        blocked = [0]

        def waits_for(t):
            lk = t.__dict__.get("_hbt_wlock")
            if lk is not None:
                o = lk.__dict__.get("_hbt_owner")
                return [o] if o is not None else []
            w = t._fut_waiter
            if w is None:
                return []
            kids = t.__dict__.get("_hbt_tg_wait")
            if kids:
                return [c for c in kids if c._state == "PENDING"]
            w = w.__dict__.get("_hbt_inner", w) if hasattr(w, "__dict__") \
                else w
            if hasattr(w, "_hbt_id"):
                return [w] if w._state == "PENDING" else []
            return [c for c in getattr(w, "_children", ()) or ()
                    if hasattr(c, "_hbt_id") and c._state == "PENDING"]

        def find_cycle(loop):
            color = {}
            for start in list(live):
                if start._loop is not loop or start._state != "PENDING" or \
                        start.__dict__.get("_hbt_wlock") is None:
                    continue
                path, seen = [start], {id(start): 0}
                t = start
                while True:
                    nxt = waits_for(t)
                    if not nxt:
                        break
                    t = nxt[0]
                    if id(t) in seen:
                        cyc = path[seen[id(t)]:]
                        if any(c.__dict__.get("_hbt_wlock") is not None
                               for c in cyc):
                            return cyc
                        break
                    if id(t) in color:
                        break
                    seen[id(t)] = len(path)
                    path.append(t)
                for p in path:
                    color[id(p)] = 1
            return None

        o_run_once = BL._run_once

        def _run_once(self):
            if blocked[0] and not self._ready and not self._scheduled:
                try:
                    cyc = find_cycle(self)
                except Exception:
                    cyc = None
                if cyc:
                    objs = [c._hbt_wlock for c in cyc
                            if c.__dict__.get("_hbt_wlock") is not None]
                    live_deadlock(objs, "tasks %s wait for each other" %
                                  ", ".join(c.get_name() for c in cyc))
            return o_run_once(self)

        BL._run_once = _run_once

        # asyncio locks: the running task is the owner (the analyses read
        # it from the TASK_STEP around the record)
        L = locks.Lock
        o_linit, o_lacq, o_lrel = L.__init__, L.acquire, L.release

        def l_init(self, *a, **k):
            o_linit(self, *a, **k)
            on_create(self, K_LOCK)

        # The uncontended path takes the lock itself, as Lock.acquire does
        # first in 3.8-3.13 (not locked, no waiter: set _locked), instead
        # of awaiting the original: no second coroutine per acquisition,
        # and the stack is taken by ev() itself (stack argument None).
        async def l_acquire(self):
            obj = self
            d = self.__dict__
            if not d.get("_hbt_named"):
                named(self, K_LOCK, 1)
            if not self._locked and not getattr(self, "_waiters", None):
                self._locked = True
                s = self._hbt_seq = d.get("_hbt_seq", 0) + 1
                self._hbt_owner = getattr(tl, "task", None)
                _h.ev(ACQUIRE, obj, K_LOCK, 0, s, None)
                return True
            st = _h.stack()
            _h.ev(REQUEST, obj, K_LOCK, 0, 0, st)
            tl.wait = (obj, K_LOCK)
            me = getattr(tl, "task", None)
            if me is not None:
                me._hbt_wlock = self
                blocked[0] += 1
            try:
                await o_lacq(self)
            except BaseException:
                _h.ev(FAIL, obj, K_LOCK, 0, OUT_CANCELLED, 0)
                raise
            finally:
                if me is not None:
                    me._hbt_wlock = None
                    blocked[0] -= 1
            s = self._hbt_seq = d.get("_hbt_seq", 0) + 1
            self._hbt_owner = getattr(tl, "task", None)
            _h.ev(ACQUIRE, obj, K_LOCK, OP_REQ, s, 0)
            return True

        def l_release(self):
            o_lrel(self)
            self._hbt_owner = None
            _h.ev(RELEASE, self, K_LOCK, 0, 0, 0)

        L.__init__ = l_init
        L.acquire = l_acquire
        L.release = l_release

        S = locks.Semaphore
        o_sinit, o_sacq, o_srel = S.__init__, S.acquire, S.release

        def s_init(self, *a, **k):
            o_sinit(self, *a, **k)
            on_create(self, K_SEM, self._value)

        async def s_acquire(self):
            # uncontended: what Semaphore.acquire does first (3.8-3.13)
            obj = self
            d = self.__dict__
            if not d.get("_hbt_named"):
                named(self, K_SEM, 1)
            if not self.locked():
                self._value -= 1
                _h.ev(ACQUIRE, obj, K_SEM, 0, d.get("_hbt_posts", 0), None)
                return True
            _h.ev(REQUEST, obj, K_SEM, 0, 0, _h.stack())
            tl.wait = (obj, K_SEM)
            try:
                await o_sacq(self)
            except BaseException:
                _h.ev(FAIL, obj, K_SEM, 0, OUT_CANCELLED, 0)
                raise
            _h.ev(ACQUIRE, obj, K_SEM, OP_REQ, d.get("_hbt_posts", 0), 0)
            return True

        def s_release(self):
            o_srel(self)
            p = self.__dict__.get("_hbt_posts", 0) + 1
            self._hbt_posts = p
            _h.ev(POST, self, K_SEM, 0, p, 0)

        S.__init__ = s_init
        S.acquire = s_acquire
        S.release = s_release

        E = locks.Event
        o_eset, o_ewait = E.set, E.wait

        def e_set(self):
            if not self._value:
                p = self.__dict__.get("_hbt_posts", 0) + 1
                self._hbt_posts = p
                _h.ev(POST, self, K_EVENT, OP_BCAST, p, _h.stack())
            o_eset(self)

        async def e_wait(self):
            if not self._value:
                tl.wait = (self, K_EVENT)
            r = await o_ewait(self)
            _h.ev(ACQUIRE, self, K_EVENT, 0,
                  self.__dict__.get("_hbt_posts", 0), 0)
            return r

        E.set = e_set
        E.wait = e_wait

        C = locks.Condition
        o_notify, o_cwait = C.notify, C.wait

        # notify_all() calls notify(); notify() without the lock raises
        # RuntimeError first and records nothing
        def c_notify(self, n=1):
            o_notify(self, n)
            p = self.__dict__.get("_hbt_posts", 0) + 1
            self._hbt_posts = p
            _h.ev(POST, self, K_COND, 0, p, 0)

        async def c_wait(self):
            seen = self.__dict__.get("_hbt_posts", 0)
            r = await o_cwait(self)
            p = self.__dict__.get("_hbt_posts", 0)
            _h.ev(ACQUIRE, self, K_COND, 0, p if p > seen else seen, 0)
            return r

        C.notify = c_notify
        C.wait = c_wait

        Q = queues.Queue
        o_put, o_get = Q.put_nowait, Q.get_nowait

        def q_put(self, item):
            o_put(self, item)
            p = self.__dict__.get("_hbt_posts", 0) + 1
            self._hbt_posts = p
            _h.ev(POST, self, K_QUEUE, 0, p, 0)

        def q_get(self):
            r = o_get(self)
            g = self.__dict__.get("_hbt_gets", 0) + 1
            self._hbt_gets = g
            _h.ev(ACQUIRE, self, K_QUEUE, 0, g, 0)
            return r

        Q.put_nowait = q_put
        Q.get_nowait = q_get

        # task_done -> join returning: everything the workers did before
        # their task_done happens before the code after `await q.join()`.
        # Its own object, kept by the queue, so that it does not mix with
        # put -> get (not id(q) + 1: each id() call runs the audit hooks,
        # some 3000 instructions, once per item here).
        o_tdone, o_join = Q.task_done, Q.join

        def join_key(q):
            k = q.__dict__.get("_hbt_join")
            if k is None:
                k = q._hbt_join = object()
            return k

        def q_task_done(self):
            o_tdone(self)  # raises ValueError when called too often
            _h.ev(POST, join_key(self), K_QUEUE, OP_BCAST, 1, 0)

        # join() of a queue that never saw task_done() returns at once
        # and is ordered after no one: an ACQUIRE there would wait for a
        # POST that never comes and stall the reader's merge
        async def q_join(self):
            r = await o_join(self)
            k = self.__dict__.get("_hbt_join")
            if k is not None:
                _h.ev(ACQUIRE, k, K_QUEUE, 0, 1, 0)
            return r

        Q.task_done = q_task_done
        Q.join = q_join

        # The hot ones in C (py_aio.c): uncontended `async with` on a Lock
        # or Semaphore, queue put/get/task_done.  Whatever the C code does
        # not handle it passes to the original, which comes back through
        # the Python wrappers above.
        try:
            fast = _h.aio_install(
                tl, L, S, locks.BoundedSemaphore, Q,
                L.__aenter__, L.__aexit__, S.__aenter__, S.__aexit__,
                o_put, o_get, o_tdone, join_key)
        except Exception:
            fast = None
        if fast is not None:
            (L.__aenter__, L.__aexit__, S.__aenter__, S.__aexit__,
             Q.put_nowait, Q.get_nowait, Q.task_done) = fast

        # where a task blocks the loop: time.sleep inside a step
        import time
        o_sleep = time.sleep

        def sleep(secs):
            if getattr(tl, "tid", 0):
                tl.stall = _h.stack()
            return o_sleep(secs)

        time.sleep = sleep

    # ---- shared state: reads and writes in user code ---------------------
    # Why line events: per-opcode tracing costs 20x and more.  Each user
    # code object is decoded once (dis) into, per line, the accesses its
    # bytecode makes to module globals, instance attributes, subscripted
    # dicts/lists and mutating calls on builtin containers, with the
    # source of the base object (a local, a global, a constant).  Line
    # events come from a C trace function (py_mod.c) that calls record()
    # only for lines with accesses; everything else, the standard library
    # included, costs a hash lookup in C.  An access is recorded when its
    # line starts: a task cannot switch inside a line without an await.
    # What a line does after one of its awaits (x = x + await f(): the
    # write) is recorded when the coroutine resumes at that await (the
    # tracer's call event; no line event fires there), so the read and
    # the write fall into different steps as they do at run time.  Only what
    # can be shared state is kept: globals some function rebinds,
    # attributes assigned outside __init__, items of containers some code
    # writes or mutates (module-wide, see prescan).
    A_READ, A_WRITE, A_MUT = 1, 2, 3
    T_GLOBAL, T_ATTR, T_ITEM, T_CONT = 1, 2, 3, 4
    MUTATORS = frozenset((
        "append", "extend", "insert", "pop", "remove", "clear", "update",
        "setdefault", "add", "discard", "popitem", "appendleft", "popleft",
        "extendleft", "sort", "reverse", "__setitem__", "__delitem__"))
    LOADS = {"LOAD_FAST": "fast", "LOAD_FAST_CHECK": "fast",
             "LOAD_GLOBAL": "global", "LOAD_DEREF": "fast",
             "LOAD_NAME": "name", "LOAD_CONST": "const"}
    SKIP = frozenset(("COPY", "DUP_TOP", "DUP_TOP_TWO", "CACHE", "NOP",
                      "EXTENDED_ARG"))
    SWAPS = frozenset(("SWAP", "ROT_TWO", "ROT_THREE"))
    tables = {}
    with_lines = [False]  # does any table have a one-line with?
    # Globals some function rebinds (STORE_GLOBAL): only their reads can
    # be half of a lost update or a race; reading a constant, a class or
    # a module is not worth a record.  Containers held in globals are
    # covered by their item and mutation records.
    rebound = set()
    # Likewise attributes: those assigned outside __init__ (an attribute
    # only set while constructing is not shared state yet).
    rebound_attr = set()
    # And items: only of containers (by short name) some code writes an
    # item of or mutates; reading a list that is filled once is not worth
    # a record.
    item_written = set()
    raw = {}
    INIT_NAMES = frozenset(("__init__", "__new__", "__post_init__",
                            "setUp", "<module>"))

    def short(b):
        return b[1][1] if b[0] == "attr" else b[1]

    def decode(code):
        """All accesses of 'code' by line, unfiltered, and the names it
        rebinds (cached)."""
        r = raw.get(code)
        if r is None:
            r = raw[code] = decode1(code)
        return r

    def prescan(code):
        # a module's code: decode every function in it first, so the
        # rebound / written sets are complete before any table is made
        decode(code)
        for c in code.co_consts:
            if type(c) is type(code):
                prescan(c)

    def table_for(code):
        """Accesses by line, recorded when the line starts; by await,
        recorded when the coroutine resumes there; and by the offset of
        a with statement whose body shares its line, recorded when a
        lock's acquire enters it (entered): ({line: accs}, [(lo, hi,
        accs)], {offset: accs})."""
        if code.co_name == "<module>":
            prescan(code)
        tab = {}
        post = {}
        inwith = {}
        accesses, awaits = decode(code)
        for line, acc, aw, w in accesses:
            op, target, b, name, key = acc
            if op == A_READ:
                if target == T_GLOBAL and name not in rebound:
                    continue
                if target == T_ATTR and name not in rebound_attr:
                    continue
                if target == T_ITEM and short(b) not in item_written:
                    continue
            if w is not None:
                inwith.setdefault(w, []).append(acc)
            elif aw is None:
                tab.setdefault(line, []).append(acc)
            else:
                post.setdefault(aw, []).append(acc)
        if inwith:
            with_lines[0] = True
        return ({k: tuple(v) for k, v in tab.items()},
                [awaits[k] + (tuple(v),) for k, v in post.items()],
                {k: tuple(v) for k, v in inwith.items()})

    def decode1(code):
        import dis
        ins = []
        offs = []  # offset of each entry of ins (with statements)
        line = code.co_firstlineno
        for i in dis.get_instructions(code):
            if i.opname == "YIELD_FROM":
                aw = (i.offset - 2, i.offset + 2)
            elif i.opname == "SEND" and isinstance(i.argval, int):
                aw = (i.offset, i.argval)
            else:
                aw = None
            ln = getattr(i, "line_number", None)
            if ln is None:
                sl = i.starts_line
                if sl is not None and sl is not True and sl is not False:
                    ln = sl
            if ln is not None:
                line = ln
            if i.opname == "LOAD_FAST_LOAD_FAST" and \
                    isinstance(i.argval, tuple):
                for n in i.argval:
                    ins.append(("LOAD_FAST", 0, n, line, None))
                    offs.append(i.offset)
                continue
            ins.append((i.opname, i.arg, i.argval, line, aw))
            offs.append(i.offset)
        tab = []
        last_attr = {}
        last_item = None
        # awaits: (lo, hi) offsets of each await's suspension point;
        # f_lasti at a resume lies in [lo, hi) (3.8-3.10: YIELD_FROM - 2;
        # 3.11+: SEND .. its target)
        awaits = []
        after = None  # (line, await number, n) of the last await
        # (line, offset, n) of the last with statement's enter: what its
        # line does after it runs inside the with (with lock: x += 1)
        entered = None

        def base(k):
            # the instruction that pushed the operand k slots below
            while k >= 0 and ins[k][0] in SKIP:
                k -= 1
            if k < 0:
                return None, k
            op = ins[k]
            kind = LOADS.get(op[0])
            if kind is None:
                # self.items[k], self.items.append(x): a container that
                # is an attribute of a local or global
                if op[0] == "LOAD_ATTR" and not (
                        sys.version_info >= (3, 12) and op[1] is not None
                        and op[1] & 1):
                    inner, j = base(k - 1)
                    if inner is not None and inner[0] in ("fast", "global",
                                                          "name"):
                        return ("attr", (inner, op[2])), j
                return None, k
            return (kind, op[2]), k

        for n, (op, arg, val, line, aw) in enumerate(ins):
            if aw is not None:
                after = (line, len(awaits), n)
                awaits.append(aw)
                continue
            if op in ("SETUP_WITH", "BEFORE_WITH"):
                entered = (line, offs[n], n)
                continue
            acc = None
            if op == "LOAD_GLOBAL":
                acc = (A_READ, T_GLOBAL, None, val, None)
            elif op == "STORE_GLOBAL":
                acc = (A_WRITE, T_GLOBAL, None, val, None)
                rebound.add(val)
            elif op == "LOAD_ATTR" or op == "LOAD_METHOD":
                method = op == "LOAD_METHOD" or (
                    sys.version_info >= (3, 12) and arg is not None and arg & 1)
                b, _ = base(n - 1)
                if b is not None and b[0] != "const":
                    if method:
                        if val in MUTATORS:
                            acc = (A_MUT, T_CONT, b, None, None)
                    elif b[0] != "attr":
                        acc = (A_READ, T_ATTR, b, val, None)
                        last_attr[val] = b
            elif op == "STORE_ATTR":
                b, _ = base(n - 1)
                if b is None and ins[n - 1][0] in SWAPS:
                    b = last_attr.get(val)
                if b is not None and b[0] not in ("const", "attr") and \
                        code.co_name not in INIT_NAMES:
                    acc = (A_WRITE, T_ATTR, b, val, None)
                    rebound_attr.add(val)
            elif op in ("BINARY_SUBSCR", "STORE_SUBSCR", "CONTAINS_OP") or \
                    (op == "COMPARE_OP" and val in ("in", "not in")):
                if op == "STORE_SUBSCR" and ins[n - 1][0] in SWAPS:
                    pair = last_item
                else:
                    k1, j = base(n - 1)
                    k2, _ = base(j - 1)
                    if op in ("CONTAINS_OP", "COMPARE_OP"):
                        pair = (k1, k2)  # container on top, key below
                    else:
                        pair = (k2, k1)
                if pair and pair[0] is not None and pair[1] is not None and \
                        pair[0][0] != "const" and pair[1][0] != "attr":
                    last_item = pair
                    acc = (A_WRITE if op == "STORE_SUBSCR" else A_READ,
                           T_ITEM, pair[0], None, pair[1])
                    if op == "STORE_SUBSCR":
                        item_written.add(short(pair[0]))
            if acc is not None:
                if acc[0] == A_MUT:
                    item_written.add(short(acc[2]))
                aw = after if after is not None and after[0] == line \
                    else None
                w = entered if entered is not None and \
                    entered[0] == line else None
                if aw is not None and w is not None:
                    if aw[2] > w[2]:
                        w = None
                    else:
                        aw = None
                tab.append((line, acc, aw[1] if aw is not None else None,
                            w[1] if w is not None else None))
        return tab, awaits

    MISSING = object()
    ModuleType = type(sys)

    def value(frame, b, loc):
        # loc: [f_locals or None, the object whose attribute the last
        # "attr" base was]
        kind, name = b
        if kind == "const":
            return name
        if kind == "global":
            return frame.f_globals.get(name, MISSING)
        if kind == "attr":
            o = value(frame, name[0], loc)
            loc[1] = o
            d = getattr(o, "__dict__", None)
            if type(d) is not dict:
                return MISSING
            return d.get(name[1], MISSING)
        if loc[0] is None:
            loc[0] = frame.f_locals
        v = loc[0].get(name, MISSING)
        if v is MISSING and kind == "name":
            v = frame.f_globals.get(name, MISSING)
        return v

    # Names of places, made once: the same string object every time also
    # lets the runtime find its string id by address.  Bounded: a program
    # indexing with ever new keys must not grow it without end.
    names = {}

    def place_name(k):
        n = names.get(k)
        if n is None:
            if len(names) > 8192:
                names.clear()
            t, attr, ks = k
            if t is None:
                n = attr if ks is None else "%s[%s]" % (attr, ks)
            else:
                # Type.attr: the same container seen from two methods
                # is one place
                n = "%s.%s" % (t.__name__, attr) if ks is None else \
                    "%s.%s[%s]" % (t.__name__, attr, ks)
            names[k] = n
        return n

    def base_key(b, loc, ks):
        # how a container is named: its variable, or Type.attr for an
        # attribute (valid right after value(frame, b, loc))
        if b[0] != "attr":
            return (None, b[1], ks)
        return (type(loc[1]), b[1][1], ks)

    CONTAINERS = (list, dict, set)
    try:
        import collections
        CONTAINERS = (list, dict, set, collections.deque)
    except Exception:
        pass

    def record(frame, accs):
        # one call into the runtime per line: one stack for all its records
        loc = [None, None]
        g = frame.f_globals
        out = []
        last = None  # (b, key, o, name) of the last item: x[k] += 1
        for op, target, b, name, key in accs:
            if target == T_GLOBAL:
                if op == A_READ and name not in rebound:
                    continue
                v = g.get(name, MISSING)
                if v is MISSING and op == A_READ:
                    continue
                if op == A_READ and (callable(v) or type(v) is ModuleType):
                    continue
                out += (op, target, g, name)
                continue
            if target == T_ITEM and last is not None and \
                    last[0] == b and last[1] == key:
                out += (op, target, last[2], last[3])
                continue
            o = value(frame, b, loc)
            if o is MISSING or o is None:
                continue
            if target == T_ATTR:
                if type(o) is ModuleType:
                    d = o.__dict__
                    if op == A_READ and name not in rebound:
                        continue
                    if op == A_WRITE:
                        rebound.add(name)
                    if op == A_READ and (callable(d.get(name)) or
                                         type(d.get(name)) is ModuleType):
                        continue
                    out += (op, T_GLOBAL, d, name)
                    continue
                if op == A_READ and name not in rebound_attr:
                    continue
                d = getattr(o, "__dict__", None)
                if type(d) is not dict or isinstance(o, type):
                    continue
                if op == A_READ and name not in d:
                    continue
                out += (op, target, o, place_name((type(o), name, None)))
            elif target == T_ITEM:
                if type(o) is not dict and type(o) is not list:
                    continue
                bk = base_key(b, loc, None)
                k = value(frame, key, loc)
                if k is MISSING:
                    continue
                try:
                    ks = repr(k)
                except Exception:
                    continue
                if len(ks) > 40:
                    ks = ks[:37] + "..."
                n = place_name((bk[0], bk[1], ks))
                last = (b, key, o, n)
                out += (op, target, o, n)
            elif isinstance(o, CONTAINERS):
                out += (op, target, o, place_name(base_key(b, loc, None)))
        if out:
            _h.access(getattr(tl, "tid", 0), *out)

    def table_of(code):
        t = tables.get(code)
        if t is None:
            try:
                t = table_for(code)
            except Exception:
                t = ({}, [], {})
            tables[code] = t
        return t

    def line_table(code):
        # for the C tracer: accesses by line - co_firstlineno, or None;
        # a trailing False asks for record(frame, None) at every call
        # event of the code (a coroutine resuming: see resumed)
        if not is_user(code.co_filename):
            return None
        t, post, _ = table_of(code)
        if not t and not post:
            return None
        first = code.co_firstlineno
        lines = [None] * (max(t) - first + 1 if t else 0)
        for ln, accs in t.items():
            if ln >= first:
                lines[ln - first] = accs
        if post:
            lines.append(False)
        return lines

    def resumed(frame):
        # the accesses after the await the frame resumes at, if any (a
        # first call is at no await)
        lasti = frame.f_lasti
        for lo, hi, accs in tables[frame.f_code][1]:
            if lo <= lasti < hi:
                record(frame, accs)
                return

    def entered():
        # A lock's acquire, after its ACQUIRE: if it is the enter of a
        # with statement whose body shares the line (with lock: x += 1),
        # the accesses after the enter, which the line event left out
        # because they run inside the lock.  The enter's frame is the
        # first user frame above the acquire (Condition.__enter__ and the
        # like in between), stopped at the with opcode.  A with over
        # anything but a lock records none of them.
        try:
            f = sys._getframe(2)
            for _ in range(3):
                if f is None:
                    return
                t = tables.get(f.f_code)
                if t is not None:
                    accs = t[2].get(f.f_lasti)
                    if accs:
                        record(f, accs)
                    return
                f = f.f_back
        except Exception:
            pass

    def record_safe(frame, accs):
        try:
            if accs is None:
                resumed(frame)
            else:
                record(frame, accs)
        except Exception:
            pass

    access_tracer = None
    if os.environ.get("HBTRACE_PY_ACCESS", "1") != "0":
        _h.trace_config(line_table, record_safe)
        access_tracer = _h.trace_on

    patched("threading", patch_threading)
    patched("queue", patch_queue)
    patched("concurrent.futures._base", patch_futures)
    patched("concurrent.futures.thread", patch_executor)
    patched("asyncio", patch_asyncio)
    if access_tracer is not None:
        access_tracer()


try:
    _hbt_main()
except Exception as _e:
    sys.stderr.write("hbtrace: python front-end failed (%s: %s)\n"
                     % (type(_e).__name__, _e))
del _hbt_main
