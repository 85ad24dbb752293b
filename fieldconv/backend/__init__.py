"""The CPU/GPU backend switch.

Every operator of fieldconv is written once against a small protocol (the
:class:`Backend` object: an array namespace ``xp``, real and complex n-D FFTs,
wavenumber helpers, ``asarray``/``to_numpy``, aligned ``empty``/``zeros``)
and takes a ``backend=`` argument.  The backend used by a call is resolved in
this order:

1. the explicit ``backend=`` argument (a name or a :class:`Backend`);
2. the innermost :func:`use_backend` scope (a ``ContextVar``: per thread and
   per asyncio task, restored on exit);
3. the type of the input array (a CuPy array selects ``"cupy"``, an
   array-API array of another library selects the generic ``"array_api"``
   backend on that array's namespace and device);
4. the default: ``"pyfftw"`` where pyFFTW imports, else ``"numpy"``.

Backends
--------
``"numpy"``
    Reference: NumPy arrays and ``scipy.fft`` (``workers=threads``).
``"pyfftw"``
    CPU default: NumPy arrays and FFTW plans cached per (shape, dtype, axes,
    direction, threads) under a lock; see :func:`save_wisdom`.
``"cupy"``
    GPU: CuPy arrays and ``cupyx.scipy.fft``; ``pip install fieldconv[gpu]``.
``"array_api"``
    Any array-API namespace (used for ``array_api_strict`` in the tests; it
    runs the same generic code as the GPU).

Nothing heavy is imported until a backend is first asked for.

Examples
--------
>>> import numpy as np
>>> from fieldconv.backend import get_backend, use_backend
>>> be = get_backend("numpy")
>>> be.name
'numpy'
>>> x = np.ones((4, 6), dtype=np.float32)
>>> X = be.rfftn(x)
>>> X.dtype, X.shape
(dtype('complex64'), (4, 4))
>>> with use_backend("numpy", threads=1):
...     get_backend().name
'numpy'
"""

import contextlib
import contextvars
import os
import threading

from ..errors import BackendUnavailableError
from ._base import Backend

__all__ = [
    "Backend",
    "available_backends",
    "get_backend",
    "use_backend",
    "default_threads",
    "save_wisdom",
    "load_wisdom",
    "plan_cache_info",
    "clear_plan_cache",
    "BACKEND_NAMES",
]

#: Every backend name fieldconv knows, in order of preference on CPU.
BACKEND_NAMES = ("pyfftw", "numpy", "cupy", "array_api")

_INSTALL_HINT = {
    "pyfftw": "pip install pyfftw",
    "numpy": "pip install numpy scipy",
    "cupy": "pip install fieldconv[gpu]",
}

_scope = contextvars.ContextVar("fieldconv_backend", default=None)
_instances = {}
_instances_lock = threading.Lock()


def default_threads():
    """Threads operators use by default.

    ``FIELDCONV_NUM_THREADS`` if set (a positive integer), else the number of
    CPUs this process may run on (``os.sched_getaffinity``, which honours
    cgroup/taskset limits on Linux), else ``os.cpu_count()``.

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


def _make(name, options):
    threads = options.pop("threads", None)
    threads = default_threads() if threads is None else int(threads)
    if threads < 1:
        raise ValueError(f"threads must be a positive integer; got {threads}")
    if name == "numpy":
        from ._numpy import NumpyBackend

        return NumpyBackend(threads=threads, **options)
    if name == "pyfftw":
        from ._pyfftw import PyFFTWBackend

        return PyFFTWBackend(threads=threads, **options)
    if name == "cupy":
        from ._cupy import CupyBackend

        return CupyBackend(**options)
    if name == "array_api":
        from ._array_api import ArrayAPIBackend

        if "xp" not in options:
            raise ValueError("the 'array_api' backend needs xp=<array namespace> (and optionally device=...)")
        return ArrayAPIBackend(**options)
    known = ", ".join(repr(n) for n in BACKEND_NAMES)
    raise BackendUnavailableError(f"backend must be one of {known}; got {name!r}")


def _instance(name, **options):
    """Shared backend object for (name, options): plan caches live on it."""
    key = (name, tuple(sorted((k, id(v) if k in ("xp", "device") else v) for k, v in options.items())))
    if name != "array_api":
        key = key + (options.get("threads") or default_threads(),)
    with _instances_lock:
        be = _instances.get(key)
    if be is None:
        be = _make(name, dict(options))
        with _instances_lock:
            be = _instances.setdefault(key, be)
    return be


def available_backends():
    """Names of the backends usable on this machine, preferred first.

    Returns
    -------
    list of str
        A subset of ``["pyfftw", "numpy", "cupy"]``: a backend is listed when its
        library imports (and, for CuPy, a CUDA device is visible).

    Examples
    --------
    >>> from fieldconv.backend import available_backends
    >>> "numpy" in available_backends()
    True
    """
    names = []
    for name in ("pyfftw", "numpy", "cupy"):
        try:
            _instance(name)
        except (BackendUnavailableError, ImportError):
            continue
        names.append(name)
    return names


def _default_name():
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        return "numpy"
    return "pyfftw"


def _from_array(like):
    """Backend implied by the type of `like`, or None for host arrays."""
    mod = type(like).__module__
    if mod.startswith("cupy"):
        return _instance("cupy")
    ns = getattr(like, "__array_namespace__", None)
    if ns is None or mod.startswith("numpy") or hasattr(like, "__array_interface__"):
        return None
    xp = ns()
    return _instance("array_api", xp=xp, device=like.device)


def get_backend(name=None, like=None, **options):
    """Resolve the backend for an operator call.

    Parameters
    ----------
    name : str or Backend, optional
        Explicit choice (the operator's ``backend=`` argument).  A
        :class:`Backend` object is returned as it is.
    like : array, optional
        The operator's input; its type selects the backend when neither
        `name` nor a :func:`use_backend` scope does.
    **options
        Backend options with an explicit `name`: ``threads`` (CPU backends),
        ``planner_effort`` and ``plan_cache_size`` (pyfftw),
        ``device``, ``plan_cache_size`` and ``plan_cache_memsize`` (cupy).

    Returns
    -------
    Backend
        With ``.name``, ``.xp``, ``.threads`` and the FFT methods.

    Raises
    ------
    BackendUnavailableError
        For an unknown name, or a backend whose library is not usable here;
        the message names the backend and the install command.

    Examples
    --------
    >>> from fieldconv.backend import get_backend
    >>> get_backend("numpy", threads=1).threads
    1
    >>> get_backend("tpu")
    Traceback (most recent call last):
    ...
    fieldconv.errors.BackendUnavailableError: backend must be one of 'pyfftw', 'numpy', 'cupy', 'array_api'; got 'tpu'
    """
    if isinstance(name, Backend):
        return name
    if name is not None:
        if not isinstance(name, str):
            raise TypeError(f"backend must be a backend name or a Backend object; got {name!r}")
        return _instance(name, **options)
    if options:
        raise TypeError("backend options need an explicit backend name")
    scoped = _scope.get()
    if scoped is not None:
        return scoped
    if like is not None:
        be = _from_array(like)
        if be is not None:
            return be
    return _instance(_default_name())


@contextlib.contextmanager
def use_backend(name, **options):
    """Scope in which operators use backend `name` unless told otherwise.

    The scope is a ``ContextVar``: it applies to the current thread (and
    asyncio task) only, nests, and restores the previous backend on exit even
    when an exception propagates.

    Parameters
    ----------
    name : str or Backend
        Backend name (see :data:`BACKEND_NAMES`) or backend object.
    **options
        Backend options, as for :func:`get_backend`.

    Yields
    ------
    Backend
        The backend in force inside the scope.

    Examples
    --------
    >>> from fieldconv.backend import get_backend, use_backend
    >>> with use_backend("numpy", threads=1) as be:
    ...     get_backend() is be
    True
    """
    be = get_backend(name, **options)
    token = _scope.set(be)
    try:
        yield be
    finally:
        _scope.reset(token)


def save_wisdom(path):
    """Save the FFTW wisdom gathered so far to `path`, atomically.

    Cluster jobs that transform the same grid sizes save wisdom once and
    reload it with :func:`load_wisdom` (or ``FIELDCONV_FFTW_WISDOM=path``), so
    ``FFTW_MEASURE`` planning is paid once per machine type.

    Parameters
    ----------
    path : str or os.PathLike
        File to write (replaced atomically: temporary file + rename).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fieldconv.backend import get_backend, load_wisdom, save_wisdom
    >>> _ = get_backend("pyfftw", threads=1).rfftn(np.ones((8, 8)))
    >>> path = os.path.join(tempfile.mkdtemp(), "wisdom.fftw")
    >>> save_wisdom(path)
    >>> load_wisdom(path)      # raises ValueError if FFTW rejects the file
    """
    from ._pyfftw import save_wisdom as _save

    _save(path)


def load_wisdom(path):
    """Load FFTW wisdom written by :func:`save_wisdom`.

    Unlike ``pyfftw.import_wisdom``, which only reports failure in its return
    value, this raises.

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a fieldconv wisdom file or FFTW rejects a section.

    Examples
    --------
    See :func:`save_wisdom`.
    """
    from ._pyfftw import load_wisdom as _load

    _load(path)


def plan_cache_info():
    """Hit/miss/size counters of the pyFFTW plan cache (a miss is one planning).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.backend import get_backend, plan_cache_info
    >>> be = get_backend("pyfftw", threads=1)
    >>> _ = be.rfftn(np.ones(12))
    >>> before = plan_cache_info()["misses"]
    >>> _ = be.rfftn(np.ones(12))          # same shape: no new plan
    >>> plan_cache_info()["misses"] == before
    True
    """
    from ._pyfftw import plan_cache_info as _info

    return _info()


def clear_plan_cache(maxsize=None):
    """Drop the cached pyFFTW plans (optionally re-bounding the cache).

    Parameters
    ----------
    maxsize : int, optional
        New bound on the number of plans kept (least recently used out first).

    Examples
    --------
    >>> from fieldconv.backend import clear_plan_cache, plan_cache_info
    >>> clear_plan_cache()
    >>> plan_cache_info()["size"]
    0
    """
    from ._pyfftw import clear_plan_cache as _clear

    _clear(maxsize)
