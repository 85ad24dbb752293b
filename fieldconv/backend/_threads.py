"""The thread policy: one setting drives FFTW, the compiled kernels and BLAS.

The number of threads an operator uses is resolved once, in this order:

1. an explicit backend object's ``threads`` (``get_backend("pyfftw", threads=4)``);
2. the innermost :func:`threads` scope (also entered by
   ``use_backend(..., threads=n)``), a ``ContextVar``: per thread and per
   asyncio task, nested, restored on exit;
3. the default, :func:`default_threads`: ``FIELDCONV_NUM_THREADS`` if set,
   else the CPUs this process may run on.

That count is what FFTW plans with, what numba's parallel kernels run on
(:func:`compiled_threads`, entered by every host operator around its compiled
call, thread-local in numba; a lower ``numba.set_num_threads`` of the caller
stays an upper bound) and what BLAS (OpenBLAS, MKL, BLIS through
threadpoolctl) may use: :func:`threads` limits BLAS for its whole scope, and
operators that call BLAS limit it around the call (:func:`blas_threads`).
BLAS libraries have a process-wide setting only, so two Python threads that
ask for different BLAS limits at the same time see the last one set.

An MPI rank or a ``--jobs N`` worker divides the node with
``with fieldconv.backend.threads(max(1, default_threads() // ranks_per_node)):``
around its work (or ``FIELDCONV_NUM_THREADS`` in its environment).
"""

import contextlib
import contextvars
import os
import sys
import threading

__all__ = ["default_threads", "current_threads", "threads", "compiled_threads", "blas_threads", "check_threads"]

_scope = contextvars.ContextVar("fieldconv_threads", default=None)

#: Below this many multiply-adds (or comparable work units) a compiled kernel
#: runs on one thread: waking the pool costs more than it saves.
SERIAL_WORK = 200_000


def check_threads(value, name="threads"):
    """`value` as a positive int; ``TypeError``/``ValueError`` naming `name` otherwise."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be a positive integer; got {value!r}")
    n = value.__index__()
    if n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n}")
    return n


def default_threads():
    """Threads operators use when nothing else is said.

    ``FIELDCONV_NUM_THREADS`` if set (a positive integer), else the number of
    CPUs this process may run on (``os.sched_getaffinity``, which honours
    cgroup/taskset limits on Linux), else ``os.cpu_count()``.  Read on every
    call, so setting the variable at run time takes effect.

    Raises
    ------
    ValueError
        If ``FIELDCONV_NUM_THREADS`` is set but is not a positive integer.

    Examples
    --------
    >>> from fieldconv.backend import default_threads
    >>> default_threads() >= 1
    True
    """
    env = os.environ.get("FIELDCONV_NUM_THREADS")
    if env not in (None, ""):
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"FIELDCONV_NUM_THREADS must be a positive integer; got {env!r}")
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def current_threads():
    """The thread count in force here: the innermost :func:`threads` scope, else the default.

    Examples
    --------
    >>> from fieldconv.backend import current_threads, threads
    >>> with threads(1):
    ...     current_threads()
    1
    """
    n = _scope.get()
    return default_threads() if n is None else n


@contextlib.contextmanager
def threads(n):
    """Scope in which every operator, FFT and BLAS call uses `n` threads.

    Parameters
    ----------
    n : int or None
        Threads (>= 1).  None: :func:`default_threads` (a scope that undoes
        an outer one).

    Yields
    ------
    int
        The thread count in force inside the scope.

    Raises
    ------
    ValueError, TypeError
        If `n` is not a positive integer.

    Notes
    -----
    Inside the scope, backends resolved by name (``get_backend("pyfftw")``,
    or the default) are the instances with ``threads=n``; numba's parallel
    kernels run on ``min(n, NUMBA_NUM_THREADS)`` threads; BLAS libraries are
    limited to `n` through threadpoolctl (process-wide, restored on exit).
    A backend object made elsewhere keeps its own ``threads``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.backend import get_backend, threads
    >>> with threads(1):
    ...     get_backend("numpy").threads
    1
    """
    n = default_threads() if n is None else check_threads(n)
    token = _scope.set(n)
    try:
        with blas_threads(n):
            yield n
    finally:
        _scope.reset(token)


def _numba_limit(n):
    import numba

    return max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))


@contextlib.contextmanager
def compiled_threads(n, work=None):
    """Run the numba kernels called inside on `n` threads (1 for `work` below :data:`SERIAL_WORK`).

    numba's setting is thread-local, so concurrent callers do not interfere.
    Used by host operators around their compiled calls; `n` is the
    backend's ``threads``.  A caller that lowered numba's own setting
    (``numba.set_num_threads``) keeps it as an upper bound.
    """
    import numba

    prev = numba.get_num_threads()
    want = 1 if (work is not None and work < SERIAL_WORK) else min(_numba_limit(n), prev)
    if want == prev:
        yield want
        return
    numba.set_num_threads(want)
    try:
        yield want
    finally:
        numba.set_num_threads(prev)


_controller_lock = threading.Lock()
_controller = [None, -1]  # threadpoolctl controller, len(sys.modules) when it scanned


def _blas_controller():
    """A threadpoolctl controller, rescanned when modules (maybe libraries) were imported since."""
    from threadpoolctl import ThreadpoolController

    with _controller_lock:
        if _controller[0] is None or _controller[1] != len(sys.modules):
            _controller[0] = ThreadpoolController().select(user_api="blas")
            _controller[1] = len(sys.modules)
        return _controller[0]


@contextlib.contextmanager
def blas_threads(n):
    """Limit the BLAS libraries loaded in this process to `n` threads inside the block.

    Does nothing (and imports nothing) while no NumPy is loaded; otherwise
    uses threadpoolctl (about 15 us per entry once the libraries are known).
    """
    if "numpy" not in sys.modules:
        yield
        return
    ctl = _blas_controller()
    if all(lib.num_threads == n for lib in ctl.lib_controllers):
        yield
        return
    with ctl.limit(limits=int(n)):
        yield
