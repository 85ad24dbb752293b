"""The one numba policy of fieldconv: how every compiled kernel is declared.

Every family declares its numba kernels with :func:`jit` (and loops with
:data:`prange`) instead of calling ``numba.njit`` itself, so that what a
first call compiles, where the compiled code is cached and which numerical
shortcuts are allowed are decided here, once:

``cache=True``
    Compiled code is written to numba's on-disk cache and loaded by later
    processes (milliseconds instead of seconds).  Where the package's own
    ``__pycache__`` is not writable (a cluster module install, a read-only
    site-packages), numba uses a per-user folder (``$XDG_CACHE_HOME/numba``,
    default ``~/.cache/numba``); ``NUMBA_CACHE_DIR`` chooses another.  Where
    no folder is writable at all, the kernel is compiled without a cache
    (a ``RuntimeWarning``, once per process) instead of failing to import, as
    ``numba.njit(cache=True)`` does.
``lazy``
    No signature lists: a kernel is compiled for the argument types of the
    first call that uses it, and only those.  Callers pass arrays with one
    layout (C-contiguous, or read-only views where the input may be
    read-only, see :func:`readonly`) so each kernel has one specialisation
    per dtype and dimension actually used.
``fastmath=False``
    IEEE semantics: NaN and inf propagate as in NumPy, results do not
    depend on the CPU's FMA contraction.
``error_model="numpy"``
    Division by zero gives inf/NaN as in NumPy (no per-division check; the
    operators validate their inputs at the boundary).
``nogil=True``
    Kernels release the GIL, so Python threads run them concurrently.
``parallel``
    Off unless asked for: a ``parallel=True`` kernel costs several times the
    compilation of a serial one, so only kernels whose loop is worth
    splitting over threads (work far above ``SERIAL_WORK`` of
    :mod:`fieldconv.backend._threads`) take it.

Importing this module does not import numba; decorating a function does
(compiled modules are themselves imported on first use, so
``import fieldconv`` stays light).

Examples
--------
>>> import numpy as np
>>> from fieldconv._jit import jit, prange
>>> @jit(parallel=True)
... def _double(x, out):
...     for i in prange(x.shape[0]):
...         out[i] = 2.0 * x[i]
>>> out = np.empty(3)
>>> _double(np.arange(3.0), out)
>>> out.tolist()
[0.0, 2.0, 4.0]
"""

import os
import threading
import warnings

__all__ = ["jit", "prange", "POLICY", "readonly", "cache_location"]

#: The options every kernel is compiled with (``parallel`` and ``inline`` per kernel).
POLICY = {"cache": True, "fastmath": False, "error_model": "numpy", "nogil": True}

_warned = threading.Event()


def __getattr__(name):
    if name == "prange":
        import numba

        return numba.prange
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def jit(fn=None, *, parallel=False, inline=False):
    """Compile `fn` with numba under fieldconv's policy (see the module docstring).

    Parameters
    ----------
    fn : function, optional
        The kernel; ``@jit`` and ``@jit(...)`` both work.
    parallel : bool
        Compile with ``parallel=True`` (loops written with :data:`prange` run
        on numba's threads, set by ``backend.kernel_threads``).  Only for
        kernels that do enough work per call: it multiplies compile time.
    inline : bool
        Inline the function into its callers at numba's IR level (small
        helpers called in inner loops).

    Returns
    -------
    numba dispatcher
        Compiled lazily, for the argument types of each first call.

    Examples
    --------
    >>> from fieldconv._jit import jit
    >>> @jit
    ... def _add(a, b):
    ...     return a + b
    >>> _add(1.0, 2.0)
    3.0
    """
    if fn is None:
        return lambda f: jit(f, parallel=parallel, inline=inline)
    import numba

    options = dict(POLICY, parallel=bool(parallel), inline="always" if inline else "never")
    try:
        return numba.njit(**options)(fn)
    except RuntimeError as exc:
        # numba raises when no cache folder is writable (read-only install and home)
        if "cannot cache function" not in str(exc):
            raise
        if os.path.exists(getattr(fn.__code__, "co_filename", "")):
            _warn_no_cache(exc)  # a module's kernel; functions typed at a prompt have no file to cache for
        return numba.njit(**dict(options, cache=False))(fn)


def _warn_no_cache(exc):
    if _warned.is_set():
        return
    _warned.set()
    warnings.warn(
        f"numba cannot cache fieldconv's compiled kernels ({exc}); every new process compiles them "
        "again. Set NUMBA_CACHE_DIR to a writable folder to keep them.",
        RuntimeWarning,
        stacklevel=4,
    )


def readonly(a):
    """A read-only view of `a`: kernels see one array type whether the caller's input was writable or not.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv._jit import readonly
    >>> readonly(np.ones(3)).flags.writeable
    False
    """
    v = a.view()
    v.flags.writeable = False
    return v


def cache_location(module_file):
    """Where numba caches the kernels of the module at `module_file`, and why.

    Returns
    -------
    (str, str) or (None, str)
        The folder and the rule that chose it (``NUMBA_CACHE_DIR``, the
        package's ``__pycache__``, or the per-user cache), following numba's
        own order; ``(None, reason)`` when no folder is writable.

    Examples
    --------
    >>> import fieldconv._jit as j
    >>> folder, rule = j.cache_location(j.__file__)
    >>> rule in ("NUMBA_CACHE_DIR", "package __pycache__", "per-user cache", "none writable")
    True
    """
    import hashlib

    src_dir = os.path.dirname(os.path.abspath(module_file))
    sub = os.path.basename(src_dir) + "_" + hashlib.sha1(src_dir.encode()).hexdigest()
    env = os.environ.get("NUMBA_CACHE_DIR")
    candidates = []
    if env:
        candidates.append((os.path.join(env, sub), "NUMBA_CACHE_DIR"))
    candidates.append((os.path.join(src_dir, "__pycache__"), "package __pycache__"))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates.append((os.path.join(base, "numba", sub), "per-user cache"))
    for folder, rule in candidates:
        if _writable(folder):
            return folder, rule
    return None, "none writable"


def _writable(folder):
    """True when `folder` exists and is writable, or could be created (its nearest existing parent is)."""
    path = folder
    while not os.path.isdir(path):
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent
    return os.access(path, os.W_OK | os.X_OK)
