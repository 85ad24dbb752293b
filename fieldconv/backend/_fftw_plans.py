"""FFTW plans: how they are made (the planner policy) and the cache that keeps them.

pyFFTW's own ``interfaces`` cache is not thread-safe and keeps plans alive
for only 0.1 s, and FFTW's planner itself is not thread-safe.  Plans are
therefore kept here, in the byte-bounded LRU ``"fft_plans"`` (see
:func:`fieldconv.backend.cache_info`), keyed by (kind, input shape, dtype,
axes, output shape, threads, planner effort):

* a lookup takes the short cache lock only;
* a miss plans under :data:`_planner_lock` (one planner at a time, as FFTW
  requires), outside the cache lock, so a long ``FFTW_MEASURE`` planning
  never blocks the lookups of shapes already planned;
* each plan executes under a lock of its own (``update_arrays`` +
  ``execute`` is a pair of calls on shared state).

Plans are made on private SIMD-aligned scratch buffers, so planning with
``FFTW_MEASURE`` never touches the caller's data; their size is what the
cache counts.  The planner policy (which effort a shape gets, wisdom) lives
in :func:`planner_flags` and :mod:`fieldconv.backend._wisdom`: the one
place to change it.
"""

import math
import os
import threading

from .._dtypes import complex_dtype, real_dtype
from ..errors import BackendUnavailableError
from .._cache import ByteCache, default_limit

__all__ = ["PLANNER_EFFORTS", "DEFAULT_PLANNER_EFFORT", "Plan", "get_plan", "plan_cache", "normalise_effort", "planner_effort", "pyfftw"]

PLANNER_EFFORTS = ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE")

#: Default planner effort.  FFTW_MEASURE: on this project's reference machine
#: an FFTW_ESTIMATE plan of a 256^3 real round trip runs 1.7x (float32) to
#: 1.4x (float64) slower than a measured one, and the one-off measuring cost
#: (7-11 s at 256^3, milliseconds for small grids) is paid once per process
#: thanks to the plan cache, or once per cluster job with saved wisdom.
#: Override with ``use_backend("pyfftw", planner_effort=...)`` or the
#: ``FIELDCONV_FFTW_PLANNER`` environment variable.
DEFAULT_PLANNER_EFFORT = "FFTW_MEASURE"

#: The cache of plans: at most 1 GiB of scratch (or 1/8 of the memory) and 64 plans.
plan_cache = ByteCache(
    "fft_plans",
    default_limit(0.125, 2**30),
    max_entries=64,
    description="pyFFTW plans with their aligned scratch buffers (bytes: the buffers)",
)

#: One FFTW planner at a time (FFTW's planner is not thread-safe).
_planner_lock = threading.Lock()
_wisdom_env_loaded = [False]


def pyfftw():
    """The pyfftw module, or :class:`BackendUnavailableError` with the install command."""
    try:
        import pyfftw as mod
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise BackendUnavailableError(
            "backend 'pyfftw' is unavailable: pyFFTW does not import "
            f"({exc}); install it with `pip install pyfftw`"
        ) from exc
    return mod


def normalise_effort(effort):
    """Canonical ``FFTW_*`` name of `effort` (None: ``FIELDCONV_FFTW_PLANNER`` or the default)."""
    if effort is None:
        effort = os.environ.get("FIELDCONV_FFTW_PLANNER", DEFAULT_PLANNER_EFFORT)
    name = str(effort).upper()
    if not name.startswith("FFTW_"):
        name = "FFTW_" + name
    if name not in PLANNER_EFFORTS:
        opts = ", ".join(repr(e) for e in PLANNER_EFFORTS)
        raise ValueError(f"planner_effort must be one of {opts}; got {effort!r}")
    return name


def planner_effort(effort=None):
    """The FFTW planner effort fieldconv plans with: `effort` checked, or the default.

    Parameters
    ----------
    effort : str, optional
        ``"FFTW_ESTIMATE"``, ``"FFTW_MEASURE"``, ``"FFTW_PATIENT"`` or
        ``"FFTW_EXHAUSTIVE"`` (case-insensitive, the ``FFTW_`` prefix
        optional).  None: ``FIELDCONV_FFTW_PLANNER`` when set, else
        ``"FFTW_MEASURE"``.

    Returns
    -------
    str
        The canonical ``FFTW_*`` name (what the pyFFTW backend and
        :mod:`fieldconv.distributed`'s mpi4py-fft plans use).

    Raises
    ------
    ValueError
        An unknown effort (from the argument or the environment).

    Examples
    --------
    >>> from fieldconv.backend import planner_effort
    >>> planner_effort("estimate")
    'FFTW_ESTIMATE'
    """
    return normalise_effort(effort)


def planner_flags(kind, in_shape, axes, effort):
    """FFTW flags for a new plan: the planner policy (today: the backend's effort as asked)."""
    return (effort, "FFTW_DESTROY_INPUT") if kind == "irfftn" else (effort,)


class Plan:
    """One FFTW plan with its scratch buffers and execution lock."""

    __slots__ = ("fftw", "inbuf", "outbuf", "lock", "n_logical", "destroys_input", "nbytes")

    def __init__(self, kind, in_shape, in_dtype, out_shape, out_dtype, axes, threads, effort):
        from ._numpy import aligned_empty

        mod = pyfftw()
        self.inbuf = aligned_empty(in_shape, in_dtype)
        self.outbuf = aligned_empty(out_shape, out_dtype)
        direction = "FFTW_BACKWARD" if kind in ("irfftn", "ifftn") else "FFTW_FORWARD"
        self.destroys_input = kind == "irfftn"
        self.fftw = mod.FFTW(
            self.inbuf,
            self.outbuf,
            axes=axes,
            direction=direction,
            flags=planner_flags(kind, in_shape, axes, effort),
            threads=threads,
            normalise_idft=False,
            ortho=False,
        )
        logical = out_shape if kind == "irfftn" else in_shape
        self.n_logical = math.prod(logical[a] for a in axes)
        self.lock = threading.Lock()
        self.nbytes = self.inbuf.nbytes + self.outbuf.nbytes

    def fits(self, arr, buf):
        """True when `arr` can stand in for the scratch buffer `buf` (dtype, shape, strides, alignment)."""
        return (
            arr.dtype == buf.dtype
            and arr.shape == buf.shape
            and arr.strides == buf.strides
            and arr.ctypes.data % self.fftw.input_alignment == 0
        )


def get_plan(key):
    """The cached plan for `key`, planning it (one planner at a time) on a miss."""
    plan = plan_cache.get(key)
    if plan is not None:
        return plan
    with _planner_lock:
        # another thread may have planned it while we waited for the planner
        plan = plan_cache.get(key, count=False)
        if plan is not None:
            return plan
        if not _wisdom_env_loaded[0]:
            _wisdom_env_loaded[0] = True
            path = os.environ.get("FIELDCONV_FFTW_WISDOM")
            if path and os.path.exists(path):
                from ._wisdom import import_wisdom_file

                import_wisdom_file(path)
        kind, in_shape, in_dtype, axes, out_shape, threads, effort = key
        out_dtype = real_dtype(in_dtype) if kind == "irfftn" else complex_dtype(in_dtype)
        plan = Plan(kind, in_shape, in_dtype, out_shape, out_dtype, axes, threads, effort)
    return plan_cache.put(key, plan, plan.nbytes)
