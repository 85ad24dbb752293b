"""Threads for the compiled kernels of :mod:`fieldconv.assign`: serial ``nogil`` kernels run side by side.

The kernels release the GIL, so Python threads run them in parallel; this
replaces numba's ``prange`` (whose parallel lowering costs seconds of
compilation per kernel) at the price of one small task per thread.  The
number of threads is numba's setting inside the caller's
``backend.kernel_threads()`` scope (the package's thread policy), so the
policy's rules (scopes, ``FIELDCONV_NUM_THREADS``, a lowered
``numba.set_num_threads``) hold unchanged.

Work split into ``nt`` parts runs part 0 on the calling thread and parts
``1..nt-1`` on a lazily created pool (recreated after ``fork``, where the
parent's worker threads do not exist).  Every kernel writes disjoint output
or per-part partial results that the caller combines in a fixed order, so a
result never depends on the number of threads.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["num_threads", "run"]

_lock = threading.Lock()
_pool = [None, 0]  # executor, its worker count


def _reset_after_fork():
    _pool[0] = None
    _pool[1] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def num_threads(limit=None):
    """Threads to use here: numba's setting (the thread policy's scope), at most `limit`."""
    import numba

    n = max(1, int(numba.get_num_threads()))
    return n if limit is None else max(1, min(n, int(limit)))


def _executor(workers):
    with _lock:
        if _pool[0] is None or _pool[1] < workers:
            old = _pool[0]
            _pool[0] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fieldconv-assign")
            _pool[1] = workers
            if old is not None:
                old.shutdown(wait=False)
        return _pool[0]


def run(task, nparts):
    """Call ``task(t)`` for ``t = 0 .. nparts-1``, concurrently; exceptions propagate.

    Part 0 runs on the calling thread.  Returns the list of results in part order.
    """
    if nparts <= 1:
        return [task(0)]
    pool = _executor(nparts - 1)
    futures = [pool.submit(task, t) for t in range(1, nparts)]
    first = None
    try:
        first = task(0)
    finally:
        rest = [f.result() for f in futures]  # wait for every part, even when part 0 failed
    return [first, *rest]


def split(n, nparts):
    """Boundaries of `nparts` contiguous, nearly equal ranges of ``range(n)`` (a list of nparts + 1 ints)."""
    return [t * n // nparts for t in range(nparts + 1)]
