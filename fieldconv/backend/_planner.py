"""The FFTW planner policy ``"auto"``: never much slower than scipy.fft on a first call, FFTW's best on repeated calls.

What a transform (a plan key: kind, shapes, dtype, axes, threads) gets:

1. **Wisdom first.**  If FFTW's wisdom (the per-user cache of
   :mod:`fieldconv.backend._wisdom`, or ``FIELDCONV_FFTW_WISDOM``) already
   holds a measured plan for it, the plan is made from wisdom
   (``FFTW_WISDOM_ONLY``: milliseconds, no measuring) and used from the
   first call on.
2. **Otherwise scipy.fft.**  Calls run on ``scipy.fft`` (pocketfft, with
   ``workers=threads``) and are timed: the first call of any shape costs what
   scipy.fft's does.
3. **Measure what is reused and worth it.**  A transform is measured with
   ``FFTW_MEASURE`` once it is reused (:data:`REUSE` calls) and the time
   already spent on it reaches :data:`RENT` of its predicted planning time
   (a ski-rental rule: measuring is bought once the transform has shown it
   will keep being used; the result is kept in the per-user cache, so later
   processes get it for free).  Never measured: transforms with a prime
   factor above :data:`LARGE_PRIME` in a transformed length (FFTW's planner
   takes minutes on them, e.g. 184 s at (1000003,), while scipy.fft's
   Bluestein algorithm is as fast as FFTW there), and transforms whose plan
   buffers would exceed :data:`MAX_PLAN_MEMORY` of the RAM.
4. **In the background.**  Measuring runs on one daemon thread
   (``fieldconv-fftw-planner``), on the plan's private scratch buffers,
   under FFTW's one planner lock and a planning time limit (4x the
   prediction, within :data:`MIN_PLANNING_LIMIT` and
   :data:`MAX_PLANNING_SECONDS`: a guard against runaway planning only);
   calls keep running on scipy.fft meanwhile and switch to the measured
   plan when it is in the cache, unless it runs slower than scipy.fft did
   for that transform.  A caller never waits for the planner: when it is
   busy, a wisdom lookup is retried on the next call.
5. **Persisted.**  The measured wisdom is merged into the per-user cache
   file (locked, atomic), so each transform is measured once per machine
   type.

Results: scipy.fft and FFTW plans (and two FFTW plans) agree to FFT
rounding, not bit for bit, so a transform's result may change in the last
bits when its measured plan replaces scipy.fft during a run, and between
runs.  A fixed effort (``planner_effort="estimate"`` or
``FIELDCONV_FFTW_PLANNER=FFTW_ESTIMATE``) gives the same bits on every call
and run on one machine, thread count and FFTW build.
"""

import atexit
import collections
import math
import os
import threading
import time

from ._fftw_plans import AUTO, _fork_poisoned, _planner_lock, ensure_wisdom_loaded, have_wisdom, make_plan, plan_cache

__all__ = [
    "REUSE",
    "RENT",
    "LARGE_PRIME",
    "MIN_PLANNING_LIMIT",
    "MAX_PLANNING_SECONDS",
    "MAX_PLAN_MEMORY",
    "lookup",
    "record",
    "measurable",
    "predicted_planning_seconds",
    "plan_now",
    "planner_status",
    "wait_idle",
    "plan_fft",
    "fft_planner_info",
]

#: A transform is reused from its REUSE-th call on.
REUSE = 2
#: Measure once the time spent on a transform reaches RENT x its predicted planning time.
RENT = 0.1
#: Never measure a transformed length with a prime factor above this.
LARGE_PRIME = 100
#: FFTW's planning time limit for a background plan: 4x the predicted time, within these bounds (s).
#: (A plan cut short by the limit can be far slower than a measured one: 2^20 in 1-D ran 3.8x
#: slower after a 30 s limit, so the limit only guards against runaway planning.)
MIN_PLANNING_LIMIT = 60.0
MAX_PLANNING_SECONDS = 600.0
#: A measured plan is swapped in unless it runs slower than VERIFY_MARGIN x scipy.fft (timed alternately).
VERIFY_MARGIN = 1.1
#: Never measure a plan whose scratch buffers exceed this fraction of the physical memory.
MAX_PLAN_MEMORY = 0.25

_MAX_KEYS = 4096
_lock = threading.Lock()
_states = collections.OrderedDict()
_queue = collections.deque()
_worker = [None]
_idle = threading.Condition(_lock)


class _State:
    __slots__ = ("uses", "seconds", "best", "status", "wisdom_tried", "reason", "plan_seconds", "limit")

    def __init__(self):
        self.uses = 0
        self.seconds = 0.0
        self.best = math.inf
        self.status = "new"  # new, queued, planning, measured, refused, failed
        self.wisdom_tried = False
        self.reason = ""
        self.plan_seconds = None
        self.limit = None


def _after_fork_in_child():  # pragma: no cover - runs in forked children
    """The parent's planner thread does not exist here: fresh locks, an empty queue, queued work forgotten."""
    global _lock, _idle
    _lock = threading.Lock()
    _idle = threading.Condition(_lock)
    _queue.clear()
    _worker[0] = None
    for st in _states.values():
        if st.status in ("queued", "planning"):
            st.status = "new"


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _state(key):
    with _lock:
        st = _states.get(key)
        if st is None:
            st = _states[key] = _State()
            while len(_states) > _MAX_KEYS:
                _states.popitem(last=False)
        else:
            _states.move_to_end(key)
        return st


def _largest_prime_factor(n):
    n, p, big = int(n), 2, 1
    while p * p <= n:
        while n % p == 0:
            big, n = p, n // p
        p += 1 if p == 2 else 2
    return max(big, n) if n > 1 else big


def _lengths(key):
    kind, in_shape, _, axes, out_shape = key[:5]
    logical = out_shape if kind == "irfftn" else in_shape
    return [logical[a] for a in axes]


def _plan_nbytes(key):
    import numpy as np

    from .._dtypes import complex_dtype, real_dtype

    kind, in_shape, dtype, _, out_shape = key[:5]
    out_dtype = real_dtype(dtype) if kind == "irfftn" else complex_dtype(dtype)
    return math.prod(in_shape) * np.dtype(dtype).itemsize + math.prod(out_shape) * np.dtype(out_dtype).itemsize


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def measurable(key):
    """``(True, "")`` when `key` may be measured, else ``(False, reason)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.backend._planner import measurable
    >>> measurable(("rfftn", (64, 64), np.dtype("f8"), (0, 1), (64, 33), 1))
    (True, '')
    >>> measurable(("rfftn", (4099, 4111), np.dtype("f8"), (0, 1), (4099, 2056), 1))[1]
    'prime factor 4099 > 100: scipy.fft (FFTW_MEASURE plans for minutes on large primes)'
    """
    for n in _lengths(key):
        p = _largest_prime_factor(n)
        if p > LARGE_PRIME:
            return False, f"prime factor {p} > {LARGE_PRIME}: scipy.fft (FFTW_MEASURE plans for minutes on large primes)"
    mem = _physical_memory()
    if mem is not None and _plan_nbytes(key) > MAX_PLAN_MEMORY * mem:
        return False, f"plan buffers over {MAX_PLAN_MEMORY:.0%} of the memory"
    return True, ""


def predicted_planning_seconds(key, call_seconds):
    """Rough FFTW_MEASURE planning time of `key` given one call's time (fit on a 2-core AMD EPYC).

    FFTW times its candidate algorithms: the cost is a floor per transformed
    axis plus a multiple of one transform's time, much larger in 1-D, where
    FFTW tries many more algorithms (2^20: ~500 transforms' time), and
    larger with prime factors above 13 (generic and Rader codelets).
    """
    lengths = _lengths(key)
    if len(lengths) == 1:
        base = 1.0 + 500.0 * call_seconds + 1e-4 * lengths[0]
    else:
        base = 0.3 * len(lengths) + 40.0 * call_seconds
    worst = max(_largest_prime_factor(n) for n in lengths)
    return base * (1.0 + max(0, worst - 13) / 32.0)


def lookup(key):
    """The plan for `key` under the auto policy, or None: run this call on scipy.fft (and :func:`record` it).

    Never waits for the planner.
    """
    akey = key + (AUTO,)
    plan = plan_cache.get(akey)
    if plan is not None:
        return plan
    st = _state(key)
    if (st.wisdom_tried and st.status != "measured") or _fork_poisoned[0]:
        return None  # (a measured plan evicted from the cache is rebuilt from wisdom)
    if not _planner_lock.acquire(blocking=False):
        return None  # the background planner is measuring: try wisdom again next call
    try:
        if plan_cache.get(akey, count=False) is not None:  # measured meanwhile
            return plan_cache.get(akey, count=False)
        ensure_wisdom_loaded()
        st.wisdom_tried = True
        if not have_wisdom[0]:
            return None  # nothing measured anywhere yet: no plan can come from wisdom
        try:
            plan = make_plan(key, "FFTW_MEASURE", wisdom_only=True)
        except RuntimeError:  # "No FFTW wisdom is known for this plan."
            return None
    finally:
        _planner_lock.release()
    if st.status != "measured":
        st.status, st.reason = "measured", "from wisdom"
    return plan_cache.put(akey, plan, plan.nbytes)


def record(key, seconds):
    """Count a scipy.fft call of `key` that took `seconds`; schedule measuring when the policy says so."""
    st = _state(key)
    with _lock:
        st.uses += 1
        st.seconds += seconds
        st.best = min(st.best, seconds)
        if st.status != "new" or st.uses < REUSE:
            return
        ok, why = measurable(key)
        if not ok:
            st.status, st.reason = "refused", why
            return
        predicted = predicted_planning_seconds(key, st.best)
        if st.seconds < RENT * predicted:
            return
        st.status = "queued"
        st.limit = min(MAX_PLANNING_SECONDS, max(MIN_PLANNING_LIMIT, 4.0 * predicted))
        st.reason = f"reused {st.uses}x, {st.seconds:.3g} s spent, planning predicted {predicted:.3g} s"
        _queue.append(key)
        if _worker[0] is None:
            if not _exit_hook[0]:
                atexit.register(_finish_at_exit)
                _exit_hook[0] = True
            _worker[0] = threading.Thread(target=_work, name="fieldconv-fftw-planner", daemon=True)
            _worker[0].start()


_exit_hook = [False]


def _finish_at_exit():
    """At interpreter exit: drop queued transforms and wait for the one being measured.

    pyFFTW frees FFTW's planner state at exit (``Py_AtExit(fftw_cleanup)``);
    a daemon thread still inside FFTW's planner then crashes the process
    (SIGSEGV after the script's last line).  This runs before that (an
    :mod:`atexit` callback), so a script that ends while a transform is
    being measured waits for that plan (bounded by its planning time
    limit) instead, and says so on stderr when the wait is noticeable.
    """
    with _lock:
        _queue.clear()
        busy = _worker[0] is not None
    if busy and not wait_idle(1.0):
        import sys

        print("fieldconv: waiting for the background FFTW planner to finish the plan it is measuring "
              "(FIELDCONV_FFTW_PLANNER=estimate avoids background planning)", file=sys.stderr, flush=True)
        wait_idle()


def _work():
    while True:
        with _lock:
            if not _queue:
                _worker[0] = None
                _idle.notify_all()
                return
            key = _queue.popleft()
        _measure(key, blocking=True, timelimit=_state(key).limit, verify=True)


def _paired_seconds(plan, key, repeats=5):
    """Median times of the FFTW plan and of scipy.fft on the same transform, timed alternately.

    Alternating the two makes the comparison robust to the machine's load
    changing meanwhile (the scipy.fft times recorded by :func:`record` came
    from other moments).
    """
    import numpy as np
    import scipy.fft

    kind, _, _, axes, out_shape, threads = key[:6]
    src = np.cos(np.arange(plan.inbuf.size) * 0.7).reshape(plan.inbuf.shape)  # finite, no denormals
    if plan.inbuf.dtype.kind == "c":
        src = src + 0.5j * src
    src = src.astype(plan.inbuf.dtype)
    s = [out_shape[a] for a in axes] if kind == "irfftn" else None
    fn = getattr(scipy.fft, kind)
    t_fftw, t_scipy = [], []
    with plan.lock:
        for _ in range(repeats):
            plan.inbuf[...] = src
            t0 = time.perf_counter()
            plan.fftw.update_arrays(plan.inbuf, plan.outbuf)
            plan.fftw.execute()
            t1 = time.perf_counter()
            fn(src, s=s, axes=axes, workers=threads)
            t_fftw.append(t1 - t0)
            t_scipy.append(time.perf_counter() - t1)
    return sorted(t_fftw)[repeats // 2], sorted(t_scipy)[repeats // 2]


def _measure(key, *, blocking, effort="FFTW_MEASURE", timelimit=None, verify=False):
    """Plan `key` with `effort` (under the planner lock), cache it, merge the wisdom; the plan or None."""
    from ._wisdom import merge_into_user_cache

    st = _state(key)
    st.status = "planning"
    if _fork_poisoned[0] or not _planner_lock.acquire(blocking=blocking):
        st.status = "new"
        return None
    try:
        done = plan_cache.get(key + (AUTO,), count=False)
        if done is not None:  # planned meanwhile (plan_now and the background planner on one key)
            st.status = "measured"
            return done
        t0 = time.perf_counter()
        try:
            ensure_wisdom_loaded()
            plan = make_plan(key, effort, timelimit=timelimit)
        except Exception as exc:  # noqa: BLE001 - a failed background plan must not kill the thread
            st.status, st.reason = "failed", f"{type(exc).__name__}: {exc}"
            return None
        st.plan_seconds = time.perf_counter() - t0
    finally:
        _planner_lock.release()
    if verify:
        # swap in only a plan at least as fast as scipy.fft on this transform
        t_plan, t_scipy = _paired_seconds(plan, key)
        if t_plan > VERIFY_MARGIN * t_scipy:
            st.status = "refused"
            st.reason = f"measured plan ({t_plan * 1e3:.3g} ms) slower than scipy.fft ({t_scipy * 1e3:.3g} ms)"
            return None  # and not written to the wisdom cache
    with _planner_lock:
        merge_into_user_cache()
    plan_cache.put(key + (AUTO,), plan, plan.nbytes)
    st.status = "measured"
    st.wisdom_tried = True
    return plan


def plan_now(key, effort="FFTW_MEASURE", timelimit=None):
    """Plan `key` now, in the caller (``fieldconv warmup``); the auto backend uses it from then on.

    Returns ``(status, seconds)``: ``"measured"`` or ``"from wisdom"`` (the
    plan came from wisdom), ``"refused: <reason>"`` (never measured under
    the auto policy; scipy.fft serves it), or ``"failed: <reason>"``.
    """
    t0 = time.perf_counter()
    if lookup(key) is not None:
        return "from wisdom", time.perf_counter() - t0
    ok, why = measurable(key)
    if not ok:
        st = _state(key)
        st.status, st.reason = "refused", why
        return f"refused: {why}", time.perf_counter() - t0
    plan = _measure(key, blocking=True, effort=effort, timelimit=timelimit)
    st = _state(key)
    if plan is None:
        return f"failed: {st.reason}", time.perf_counter() - t0
    return "measured", time.perf_counter() - t0


def wait_idle(timeout=None):
    """Wait until the background planner has nothing left to do; True if it is idle."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _lock:
        while _worker[0] is not None or _queue:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            _idle.wait(left)
    return True


def planner_status():
    """Counts of the transforms seen under the auto policy, by status, and the planner thread's state."""
    with _lock:
        counts = collections.Counter(st.status for st in _states.values())
        detail = [
            {"key": k, "status": st.status, "uses": st.uses, "reason": st.reason, "plan_seconds": st.plan_seconds}
            for k, st in _states.items()
        ]
        busy = _worker[0] is not None
    return {"counts": dict(counts), "planner_busy": busy, "transforms": detail}


def _reset():
    """Forget every transform's state (tests)."""
    with _lock:
        _states.clear()
        _queue.clear()


# ------------------------------------------------------------------ public face
def plan_fft(shape, dtype="float64", *, axes=None, kinds=None, threads=None, effort="FFTW_MEASURE"):
    """Plan FFTs now, so that a job's first transforms run at FFTW's measured speed.

    Measures (or finds in wisdom) the plans of the transforms of a field of
    `shape` that the ``"auto"`` policy of the pyFFTW backend would
    otherwise run on scipy.fft until measured in the background, and merges
    the wisdom into the per-user cache (unless ``FIELDCONV_FFTW_WISDOM_CACHE=0``).
    ``fieldconv warmup --shape`` calls this.  Shapes the policy never
    measures (a prime factor above :data:`LARGE_PRIME`) are reported as
    refused, not planned.

    Parameters
    ----------
    shape : sequence of int
        Shape of the real (or complex) field.
    dtype : {"float32", "float64", "complex64", "complex128"}
        Field dtype: real fields plan ``rfftn`` and ``irfftn``, complex ones
        ``fftn`` and ``ifftn``.
    axes : sequence of int, optional
        Transformed axes (default all).
    kinds : sequence of str, optional
        A subset of the kinds above.
    threads : int, optional
        FFTW threads (default :func:`~fieldconv.backend.current_threads`).
    effort : str
        ``"FFTW_MEASURE"`` (default), ``"FFTW_PATIENT"`` or ``"FFTW_EXHAUSTIVE"``.

    Returns
    -------
    list of dict
        One per transform: ``kind``, ``shape``, ``dtype``, ``threads``,
        ``status`` (``"measured"``, ``"from wisdom"``, ``"refused: ..."`` or
        ``"failed: ..."``) and ``seconds``.

    Raises
    ------
    ValueError
        Bad `shape`, `dtype`, `kinds`, `axes` or `effort`.
    BackendUnavailableError
        pyFFTW does not import.

    Examples
    --------
    >>> from fieldconv.backend import plan_fft
    >>> [r["kind"] for r in plan_fft((16, 16), threads=1)]
    ['rfftn', 'irfftn']
    """
    import numpy as np

    from ._fftw_plans import PLANNER_EFFORTS, normalise_effort, pyfftw
    from ._pyfftw import _fft_shapes
    from ._threads import check_threads, current_threads

    pyfftw()
    import operator

    try:  # integers only: 4.5 or "8" are refused, not truncated or parsed
        if isinstance(shape, (str, bytes)):
            raise TypeError
        shape = tuple(operator.index(n) for n in (shape if np.ndim(shape) else (shape,)))
    except (TypeError, ValueError):
        raise ValueError(f"shape must be a sequence of positive ints; got {shape!r}") from None
    if not shape or any(n < 1 for n in shape):
        raise ValueError(f"shape must be a sequence of positive ints; got {shape!r}")
    names = {"float32": "rfftn", "float64": "rfftn", "complex64": "fftn", "complex128": "fftn"}
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in names:
        raise ValueError(f"dtype must be one of {sorted(names)}; got {dtype!r}")
    forward = names[dt.name]
    allowed = (forward, "i" + forward)
    kinds = allowed if kinds is None else tuple(kinds)
    bad = [k for k in kinds if k not in allowed]
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {list(allowed)} for dtype {dt.name}; got {list(kinds)}")
    effort = normalise_effort(effort)
    if effort not in PLANNER_EFFORTS[1:]:
        raise ValueError(f"effort must be one of {list(PLANNER_EFFORTS[1:])}; got {effort!r}")
    threads = current_threads() if threads is None else check_threads(threads)
    out = []
    for kind in kinds:
        if kind == "irfftn":
            ax, real_in, _ = _fft_shapes("rfftn", shape, None, axes)
            half = list(shape)
            half[ax[-1]] = shape[ax[-1]] // 2 + 1
            ax, in_shape, out_shape = _fft_shapes(kind, tuple(half), [shape[a] for a in ax], ax)
            in_dtype = np.dtype(np.complex64 if dt == np.float32 else np.complex128)
        else:
            ax, in_shape, out_shape = _fft_shapes(kind, shape, None, axes)
            in_dtype = dt
        key = (kind, in_shape, in_dtype, ax, out_shape, threads)
        status, seconds = plan_now(key, effort)
        out.append({"kind": kind, "shape": shape, "dtype": dt.name, "threads": threads, "status": status,
                    "seconds": seconds})
    return out


def fft_planner_info():
    """The FFT planner settings in force and what the auto policy has done in this process.

    Returns
    -------
    dict
        ``policy`` (the default pyFFTW backend's planner effort: ``"auto"``
        or an ``FFTW_*`` name), ``policy_source`` (``"FIELDCONV_FFTW_PLANNER"``
        or ``"default"``), ``wisdom_cache`` (``enabled``, ``path``,
        ``exists``, ``nbytes``; ``FIELDCONV_FFTW_WISDOM_CACHE``,
        ``FIELDCONV_CACHE_DIR``), ``wisdom_file`` (``FIELDCONV_FFTW_WISDOM``
        or None), ``transforms`` (counts by status: measured, refused,
        new...), ``planner_busy`` and the policy's constants.

    Examples
    --------
    >>> from fieldconv.backend import fft_planner_info
    >>> sorted(fft_planner_info())[:3]
    ['large_prime', 'planner_busy', 'planning_limit_seconds']
    """
    from ._fftw_plans import normalise_effort
    from ._wisdom import user_cache_info

    env = os.environ.get("FIELDCONV_FFTW_PLANNER")
    status = planner_status()
    return {
        "policy": normalise_effort(None),
        "policy_source": "FIELDCONV_FFTW_PLANNER" if env else "default",
        "wisdom_cache": user_cache_info(),
        "wisdom_file": os.environ.get("FIELDCONV_FFTW_WISDOM") or None,
        "transforms": status["counts"],
        "planner_busy": status["planner_busy"],
        "reuse": REUSE,
        "rent": RENT,
        "large_prime": LARGE_PRIME,
        "planning_limit_seconds": (MIN_PLANNING_LIMIT, MAX_PLANNING_SECONDS),
    }
