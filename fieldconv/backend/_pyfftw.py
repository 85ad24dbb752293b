"""The pyFFTW backend: NumPy arrays, FFTW plans from :mod:`._fftw_plans`.

Which plan a transform gets is the planner policy: ``"auto"`` (the default,
:mod:`._planner`: wisdom, else scipy.fft until a reused transform has been
measured in the background) or a fixed FFTW effort (planned in the caller on
the first call, as FFTW does).

Plans are executed on the caller's arrays directly when their alignment and
strides match the plan (otherwise through the plan's scratch buffers), so
``out=`` costs no temporary (``fft_writes_out``).  Multi-dimensional
complex-to-real transforms destroy their input in FFTW, so :meth:`irfftn`
copies its input into scratch unless ``overwrite_x=True``.
"""

import math
import time
import warnings

import numpy as np

from . import _planner
from ._fftw_plans import (
    AUTO,
    DEFAULT_PLANNER_EFFORT,
    PLANNER_EFFORTS,
    _fork_poisoned,
    get_plan,
    normalise_effort,
    plan_cache,
    pyfftw,
)
from ._numpy import NumpyBackend, aligned_empty

__all__ = ["PyFFTWBackend", "PLANNER_EFFORTS", "DEFAULT_PLANNER_EFFORT"]


def _fft_shapes(kind, shape, s, axes):
    """Normalised axes, padded input shape and output shape (scipy.fft rules)."""
    ndim = len(shape)
    if axes is None:
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    else:
        axes = tuple(int(a) % ndim for a in (axes if np.ndim(axes) else (axes,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"axes must not repeat an axis; got {axes}")
    if s is None:
        s = [shape[a] for a in axes]
        if kind == "irfftn":
            s[-1] = 2 * (shape[axes[-1]] - 1)
    else:
        s = [int(v) for v in (s if np.ndim(s) else (s,))]
        if len(s) != len(axes):
            raise ValueError(f"s must have one entry per transformed axis ({len(axes)}); got {s}")
    if any(v < 1 for v in s):
        raise ValueError(f"s entries must be >= 1; got {s}")
    in_shape, out_shape = list(shape), list(shape)
    for a, n in zip(axes, s):
        in_shape[a] = out_shape[a] = n
    if kind == "rfftn":
        out_shape[axes[-1]] = s[-1] // 2 + 1
    elif kind == "irfftn":
        in_shape[axes[-1]] = s[-1] // 2 + 1
    return axes, tuple(in_shape), tuple(out_shape)


class PyFFTWBackend(NumpyBackend):
    """CPU backend on FFTW through pyFFTW, with cached plans.

    Parameters
    ----------
    threads : int
        Threads FFTW uses for each transform.
    planner_effort : str, optional
        ``"auto"`` (default, or ``FIELDCONV_FFTW_PLANNER``: the planner
        policy of ``docs/backend.md``), or a fixed FFTW effort planned on
        the first call of each transform: ``"FFTW_ESTIMATE"``,
        ``"FFTW_MEASURE"``, ``"FFTW_PATIENT"`` or ``"FFTW_EXHAUSTIVE"`` (the
        ``FFTW_`` prefix may be left out; case does not matter).
    plan_cache_size : int, optional
        Deprecated: the plan cache is process-wide and bounded in bytes; use
        ``fieldconv.backend.set_cache_limit("fft_plans", max_bytes,
        max_entries=...)``.  Still sets the cache's entry bound.
    """

    name = "pyfftw"
    fft_writes_out = True

    def __init__(self, *, threads=1, planner_effort=None, plan_cache_size=None):
        pyfftw()
        super().__init__(threads=threads)
        self.planner_effort = normalise_effort(planner_effort)
        if plan_cache_size is not None:
            warnings.warn(
                "PyFFTWBackend(plan_cache_size=) is deprecated: the plan cache is shared by every pyfftw "
                "backend and bounded in bytes; use fieldconv.backend.set_cache_limit('fft_plans', max_bytes, "
                "max_entries=n)",
                DeprecationWarning,
                stacklevel=3,
            )
            if int(plan_cache_size) < 1:
                raise ValueError(f"plan_cache_size must be >= 1; got {plan_cache_size!r}")
            plan_cache.set_limit(max_entries=int(plan_cache_size))

    def _fft_call(self, kind, x, s, axes, norm, out, overwrite_x):
        self._check_norm(norm)
        axes, in_shape, out_shape = _fft_shapes(kind, x.shape, s, axes)
        key = (kind, in_shape, x.dtype, axes, out_shape, self.threads)
        if self.planner_effort == AUTO:
            plan = _planner.lookup(key)
            if plan is None:  # not measured (yet): scipy.fft, timed for the policy
                t0 = time.perf_counter()
                res = super()._fft_call(kind, x, s, axes, norm, out, overwrite_x)
                _planner.record(key, time.perf_counter() - t0)
                return res
        elif _fork_poisoned[0]:  # forked while planning: FFTW's planner is locked in this process
            plan = plan_cache.get(key + (self.planner_effort,))
            if plan is None:
                return super()._fft_call(kind, x, s, axes, norm, out, overwrite_x)
        else:
            plan = get_plan(key + (self.planner_effort,))
        if out is not None:
            if out.shape != out_shape or out.dtype != plan.outbuf.dtype:
                raise ValueError(
                    f"out must have shape {out_shape} and dtype {plan.outbuf.dtype}; "
                    f"got shape {out.shape} and dtype {out.dtype}"
                )
        else:
            out = aligned_empty(out_shape, plan.outbuf.dtype)
        with plan.lock:
            if x.shape == in_shape and plan.fits(x, plan.inbuf) and (overwrite_x or not plan.destroys_input):
                src = x
            else:
                src = plan.inbuf
                _copy_padded(src, x)
            dst = out if plan.fits(out, plan.outbuf) else plan.outbuf
            plan.fftw.update_arrays(src, dst)
            plan.fftw.execute()
            if dst is not out:
                np.copyto(out, dst)
        scale = _scale(kind, norm, plan.n_logical)
        if scale != 1.0:
            out *= scale
        return out


def _copy_padded(dst, src):
    """Copy `src` into `dst`, zero-padding or cropping each axis (scipy.fft's `s`)."""
    if dst.shape == src.shape:
        np.copyto(dst, src)
        return
    common = tuple(slice(0, min(a, b)) for a, b in zip(dst.shape, src.shape))
    dst.fill(0)
    dst[common] = src[common]


def _scale(kind, norm, n):
    inverse = kind in ("irfftn", "ifftn")
    if norm in (None, "backward"):
        return 1.0 / n if inverse else 1.0
    if norm == "forward":
        return 1.0 if inverse else 1.0 / n
    return 1.0 / math.sqrt(n)
