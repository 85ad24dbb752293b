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

__all__ = [
    "PLANNER_EFFORTS",
    "AUTO",
    "DEFAULT_PLANNER_EFFORT",
    "Plan",
    "get_plan",
    "plan_cache",
    "normalise_effort",
    "planner_flags",
    "planner_effort",
    "pyfftw",
]

PLANNER_EFFORTS = ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE")

#: The planner policy of :mod:`fieldconv.backend._planner`: wisdom or scipy.fft on first
#: calls, FFTW_MEASURE in the background for transforms that are reused and worth it.
AUTO = "auto"

#: Default planner effort: the ``"auto"`` policy (see ``docs/backend.md``).  A fixed
#: FFTW effort (``"FFTW_ESTIMATE"`` ... ``"FFTW_EXHAUSTIVE"``) plans every new transform
#: with that effort, in the caller, as before; set it with
#: ``use_backend("pyfftw", planner_effort=...)`` or ``FIELDCONV_FFTW_PLANNER``.
DEFAULT_PLANNER_EFFORT = AUTO

#: The cache of plans: at most 1 GiB of scratch (or 1/8 of the memory) and 64 plans.
plan_cache = ByteCache(
    "fft_plans",
    default_limit(0.125, 2**30),
    max_entries=64,
    description="pyFFTW plans with their aligned scratch buffers (bytes: the buffers)",
)

#: One FFTW planner at a time (FFTW's planner and wisdom functions are not thread-safe).
_planner_lock = threading.Lock()
_wisdom_env_loaded = [False]
#: Set in a child forked while the planner ran: FFTW's planner is unusable there.
_fork_poisoned = [False]
#: True once this process's FFTW may hold measured wisdom (a file imported, a measuring plan made).
have_wisdom = [False]


def _after_fork_in_child():  # pragma: no cover - runs in forked children
    if _planner_lock.locked():
        _fork_poisoned[0] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
    """``"auto"`` or the canonical ``FFTW_*`` name of `effort` (None: ``FIELDCONV_FFTW_PLANNER`` or the default)."""
    if effort is None:
        effort = os.environ.get("FIELDCONV_FFTW_PLANNER") or DEFAULT_PLANNER_EFFORT
    name = str(effort).strip()
    if name.lower() == AUTO:
        return AUTO
    name = name.upper()
    if not name.startswith("FFTW_"):
        name = "FFTW_" + name
    if name not in PLANNER_EFFORTS:
        opts = ", ".join(repr(e) for e in (AUTO,) + PLANNER_EFFORTS)
        raise ValueError(f"planner_effort must be one of {opts}; got {effort!r}")
    return name


def planner_effort(effort=None):
    """The FFTW planner effort fieldconv plans with: `effort` checked, or the default.

    Parameters
    ----------
    effort : str, optional
        ``"FFTW_ESTIMATE"``, ``"FFTW_MEASURE"``, ``"FFTW_PATIENT"`` or
        ``"FFTW_EXHAUSTIVE"`` (case-insensitive, the ``FFTW_`` prefix
        optional), or ``"auto"``.  None: ``FIELDCONV_FFTW_PLANNER`` when
        set, else the default (``"auto"``).  ``"auto"``, the serial
        backend's per-call policy, resolves here to ``"FFTW_MEASURE"``: a
        caller of this function (mpi4py-fft in :mod:`fieldconv.distributed`)
        makes one plan per mesh and reuses it every step.

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
    name = normalise_effort(effort)
    return "FFTW_MEASURE" if name == AUTO else name


def planner_flags(kind, effort, *, wisdom_only=False):
    """FFTW flags for a new plan of `kind` with FFTW effort `effort`.

    `wisdom_only`: plan only from wisdom (FFTW returns no plan otherwise).
    Which effort a transform gets, and when, is the policy of
    :mod:`fieldconv.backend._planner` (``"auto"``) or the caller's fixed
    choice.
    """
    flags = (effort,)
    if kind == "irfftn":
        flags += ("FFTW_DESTROY_INPUT",)
    if wisdom_only:
        flags += ("FFTW_WISDOM_ONLY",)
    return flags


def ensure_wisdom_loaded():
    """Import ``FIELDCONV_FFTW_WISDOM`` (once) and the per-user cache (once); caller holds the planner lock."""
    from ._wisdom import import_wisdom_file, load_user_cache

    if not _wisdom_env_loaded[0]:
        _wisdom_env_loaded[0] = True
        path = os.environ.get("FIELDCONV_FFTW_WISDOM")
        if path and os.path.exists(path):
            import_wisdom_file(path)
            have_wisdom[0] = True
    if load_user_cache():
        have_wisdom[0] = True


class Plan:
    """One FFTW plan with its scratch buffers and execution lock."""

    __slots__ = ("fftw", "inbuf", "outbuf", "lock", "n_logical", "destroys_input", "nbytes", "effort")

    def __init__(self, kind, in_shape, in_dtype, out_shape, out_dtype, axes, threads, effort, *,
                 wisdom_only=False, timelimit=None):
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
            flags=planner_flags(kind, effort, wisdom_only=wisdom_only),
            threads=threads,
            planning_timelimit=None if timelimit is None else float(timelimit),
            normalise_idft=False,
            ortho=False,
        )
        logical = out_shape if kind == "irfftn" else in_shape
        self.n_logical = math.prod(logical[a] for a in axes)
        self.lock = threading.Lock()
        self.effort = effort
        self.nbytes = self.inbuf.nbytes + self.outbuf.nbytes

    def fits(self, arr, buf):
        """True when `arr` can stand in for the scratch buffer `buf` (dtype, shape, strides, alignment)."""
        return (
            arr.dtype == buf.dtype
            and arr.shape == buf.shape
            and arr.strides == buf.strides
            and arr.ctypes.data % self.fftw.input_alignment == 0
        )


def make_plan(key, effort, **options):
    """A new :class:`Plan` for the cache key `key` (kind, in shape, dtype, axes, out shape, threads, ...)."""
    kind, in_shape, in_dtype, axes, out_shape, threads = key[:6]
    out_dtype = real_dtype(in_dtype) if kind == "irfftn" else complex_dtype(in_dtype)
    plan = Plan(kind, in_shape, in_dtype, out_shape, out_dtype, axes, threads, effort, **options)
    if effort != "FFTW_ESTIMATE":
        have_wisdom[0] = True
    return plan


def get_plan(key):
    """The cached plan for `key` (its last entry a fixed FFTW effort), planning it on a miss.

    One planner at a time; FFTW wisdom (``FIELDCONV_FFTW_WISDOM``, the
    per-user cache) is imported before the first plan, and what a measuring
    effort learnt is merged into the per-user cache.
    """
    plan = plan_cache.get(key)
    if plan is not None:
        return plan
    effort = key[-1]
    with _planner_lock:
        # another thread may have planned it while we waited for the planner
        plan = plan_cache.get(key, count=False)
        if plan is not None:
            return plan
        ensure_wisdom_loaded()
        plan = make_plan(key, effort)
        if effort != "FFTW_ESTIMATE":
            from ._wisdom import merge_into_user_cache

            merge_into_user_cache()
    return plan_cache.put(key, plan, plan.nbytes)
