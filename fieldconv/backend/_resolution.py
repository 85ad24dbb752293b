"""Backend resolution: names to shared instances (keyed by option values), scopes, array types."""

import contextlib
import contextvars
import threading

from ..errors import BackendUnavailableError
from ._base import Backend
from ._threads import check_threads, current_threads, threads

__all__ = ["BACKEND_NAMES", "backend_status", "available_backends", "get_backend", "use_backend"]

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

