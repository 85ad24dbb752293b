"""The CPU/GPU backend switch, the thread policy and the caches.

Every operator of fieldconv is written once against a small protocol (the
:class:`Backend` object: an array namespace ``xp``, real and complex n-D FFTs,
wavenumber helpers, ``asarray``/``to_numpy``, aligned ``empty``/``zeros``,
and capabilities such as ``scatter_add`` and ``kernel_threads``) and takes a
``backend=`` argument.  The backend used by a call is resolved in this order:

1. the explicit ``backend=`` argument (a name or a :class:`Backend`);
2. the innermost :func:`use_backend` scope (a ``ContextVar``: per thread and
   per asyncio task, restored on exit);
3. the type of the input array (a CuPy array selects ``"cupy"`` on that
   array's device, an array-API array of another library selects the generic
   ``"array_api"`` backend on that array's namespace and device);
4. the default: ``"pyfftw"`` where pyFFTW imports, else ``"numpy"``.

Threads: one setting, :func:`threads` (or ``use_backend(..., threads=n)``,
or ``FIELDCONV_NUM_THREADS``), drives FFTW, the numba kernels and BLAS; see
:mod:`fieldconv.backend._threads` and ``docs/backend.md``.

Caches: :func:`cache_info` shows what each cache holds, :func:`clear_caches`
frees them, :func:`set_cache_limit` bounds them in bytes.

Backends
--------
``"numpy"``
    Reference: NumPy arrays and ``scipy.fft`` (``workers=threads``).
``"pyfftw"``
    CPU default: NumPy arrays and cached FFTW plans; see :func:`save_wisdom`.
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
...     get_backend().threads
1
"""

import contextlib
import contextvars
import threading

import importlib

from .. import _cache
from ..errors import BackendUnavailableError
from ._base import Backend
from ._threads import check_threads, current_threads, default_threads, threads

__all__ = [
    "Backend",
    "BACKEND_NAMES",
    "available_backends",
    "backend_status",
    "get_backend",
    "use_backend",
    "threads",
    "default_threads",
    "current_threads",
    "cache_info",
    "clear_caches",
    "set_cache_limit",
    "save_wisdom",
    "load_wisdom",
    "plan_cache_info",
    "clear_plan_cache",
]

#: Every backend name fieldconv knows, in order of preference on CPU.
BACKEND_NAMES = ("pyfftw", "numpy", "cupy", "array_api")

_scope = contextvars.ContextVar("fieldconv_backend", default=None)
_instances = {}
_instances_lock = threading.Lock()


def _make(name, options):
    if name == "numpy":
        from ._numpy import NumpyBackend

        return NumpyBackend(**options)
    if name == "pyfftw":
        from ._pyfftw import PyFFTWBackend

        return PyFFTWBackend(**options)
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


def _key_value(name, value):
    """A hashable value identifying an option: modules by name, devices by value."""
    if name == "xp":
        return ("module", getattr(value, "__name__", repr(value)))
    if name == "device" and value is not None:
        dev_id = getattr(value, "id", None)  # a cupy.cuda.Device
        if isinstance(dev_id, int):
            return ("cuda", dev_id)
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value


def _instance(name, **options):
    """Shared backend object for (name, options by value): plan caches and scratch live on it."""
    if not isinstance(name, str):
        raise TypeError(f"backend must be a backend name or a Backend object; got {name!r}")
    if name in ("numpy", "pyfftw"):
        t = options.get("threads")
        options["threads"] = current_threads() if t is None else check_threads(t)
    elif name == "cupy" and options.get("device") is not None:
        from ._cupy import device_id

        options["device"] = device_id(options["device"])
    key = (name, tuple(sorted((k, _key_value(k, v)) for k, v in options.items())))
    with _instances_lock:
        be = _instances.get(key)
    if be is None:
        be = _make(name, dict(options))
        with _instances_lock:
            be = _instances.setdefault(key, be)
    return be


def backend_status(name):
    """``(usable, reason)`` for backend `name`, without raising.

    Examples
    --------
    >>> from fieldconv.backend import backend_status
    >>> backend_status("numpy")
    (True, 'NumPy + scipy.fft')
    """
    if name == "cupy":
        from ._cupy import cupy_status

        return cupy_status()
    if name == "numpy":
        return True, "NumPy + scipy.fft"
    if name == "array_api":
        return True, "any array-API namespace given as xp="
    try:
        _instance(name)
    except (BackendUnavailableError, ImportError) as exc:
        return False, str(exc)
    return True, "FFTW through pyFFTW"


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
    return [name for name in ("pyfftw", "numpy", "cupy") if backend_status(name)[0]]


def _default_name():
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        return "numpy"
    return "pyfftw"


def _from_array(like):
    """Backend implied by the type of `like` (on its device), or None for host arrays."""
    mod = type(like).__module__
    if mod.startswith("cupy"):
        return _instance("cupy", device=like.device.id)
    ns = getattr(like, "__array_namespace__", None)
    if ns is None or mod.startswith("numpy") or hasattr(like, "__array_interface__"):
        return None
    return _instance("array_api", xp=ns(), device=like.device)


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
        Backend options with an explicit `name`: ``threads`` (CPU backends;
        default: :func:`current_threads`), ``planner_effort`` (pyfftw),
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
        Backend options, as for :func:`get_backend`.  ``threads=n`` also
        opens a :func:`threads` scope: numba kernels, BLAS and every backend
        resolved by name inside use `n` threads.

    Yields
    ------
    Backend
        The backend in force inside the scope.

    Examples
    --------
    >>> from fieldconv.backend import current_threads, get_backend, use_backend
    >>> with use_backend("numpy", threads=1) as be:
    ...     get_backend() is be, current_threads()
    (True, 1)
    """
    n = options.get("threads")
    be = get_backend(name, **options)
    token = _scope.set(be)
    try:
        with threads(n) if n is not None else contextlib.nullcontext():
            yield be
    finally:
        _scope.reset(token)


#: Modules that own a named cache; imported (cheaply: no numba, no pyFFTW) before
#: the caches are listed, cleared or bounded, so that every cache is there.
_CACHE_OWNERS = ("fieldconv.backend._fftw_plans", "fieldconv._sgcoeffs", "fieldconv.poisson._functions")


def _register_caches():
    for mod in _CACHE_OWNERS:
        importlib.import_module(mod)


def cache_info():
    """What every fieldconv cache holds, by name.

    Returns
    -------
    dict of str -> dict
        For each cache (``"fft_plans"``, ``"savgol_coefficients"``,
        ``"poisson_solvers"``): ``entries``, ``nbytes``, ``max_bytes``,
        ``max_entries``, ``hits``, ``misses`` and ``description``.  Objects
        that own caches (live :class:`~fieldconv.poisson.PoissonSolver`
        objects and their Green's functions) are summed under ``"owned"``.

    Examples
    --------
    >>> from fieldconv.backend import cache_info
    >>> sorted(cache_info())
    ['fft_plans', 'owned', 'poisson_solvers', 'savgol_coefficients']
    """
    _register_caches()
    return _cache.cache_info()


def clear_caches(name=None):
    """Free fieldconv's caches: all of them, or the one called `name`.

    Parameters
    ----------
    name : str, optional
        A key of :func:`cache_info`.  ``"owned"`` (included when `name` is
        None) drops the Green's functions of live Poisson solvers, which
        rebuild them on their next solve.

    Raises
    ------
    ValueError
        An unknown `name`.

    Examples
    --------
    >>> from fieldconv.backend import cache_info, clear_caches
    >>> clear_caches()
    >>> cache_info()["fft_plans"]["entries"]
    0
    """
    _register_caches()
    _cache.clear_caches(name)


def set_cache_limit(name, max_bytes=None, *, max_entries=None):
    """Bound the cache `name` to `max_bytes` bytes (and optionally `max_entries` entries).

    The least recently used entries go first; the entry in use is kept even
    when it alone exceeds the bound.

    Examples
    --------
    >>> from fieldconv.backend import cache_info, set_cache_limit
    >>> old = cache_info()["fft_plans"]["max_bytes"]
    >>> set_cache_limit("fft_plans", 256 * 2**20)
    >>> cache_info()["fft_plans"]["max_bytes"] == 256 * 2**20
    True
    >>> set_cache_limit("fft_plans", old)
    """
    _register_caches()
    _cache.set_cache_limit(name, max_bytes, max_entries=max_entries)


def save_wisdom(path):
    """Save the FFTW wisdom gathered so far to `path`, atomically (see :mod:`._wisdom`).

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
    from ._wisdom import save_wisdom as _save

    _save(path)


def load_wisdom(path):
    """Load FFTW wisdom written by :func:`save_wisdom`; raises where pyFFTW only returns False.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a fieldconv wisdom file or FFTW rejects a section.
    """
    from ._wisdom import load_wisdom as _load

    _load(path)


def plan_cache_info():
    """Counters of the FFTW plan cache: ``cache_info()["fft_plans"]`` plus ``size``.

    ``misses`` counts plannings; ``size`` (= ``entries``) the plans held.

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
    info = cache_info()["fft_plans"]
    return dict(info, size=info["entries"], maxsize=info["max_entries"])


def clear_plan_cache(maxsize=None):
    """Drop the cached FFTW plans (optionally re-bounding their number).

    Parameters
    ----------
    maxsize : int, optional
        New bound on the number of plans kept (least recently used out
        first); the byte bound is set with :func:`set_cache_limit`.

    Examples
    --------
    >>> from fieldconv.backend import clear_plan_cache, plan_cache_info
    >>> clear_plan_cache()
    >>> plan_cache_info()["size"]
    0
    """
    clear_caches("fft_plans")
    if maxsize is not None:
        if int(maxsize) < 1:
            raise ValueError(f"maxsize must be >= 1; got {maxsize!r}")
        set_cache_limit("fft_plans", max_entries=int(maxsize))
