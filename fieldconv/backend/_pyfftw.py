"""The pyFFTW backend: NumPy arrays, FFTW plans cached under a lock.

pyFFTW's own ``interfaces`` cache is not thread-safe and keeps plans alive
for only 0.1 s, and FFTW's planner itself is not thread-safe.  This module
therefore keeps its own bounded LRU cache of ``pyfftw.FFTW`` objects, keyed
by (kind, input shape, dtype, axes, output shape, threads, planner effort),
creates plans under one global lock, and executes each plan under a lock of
its own (``update_arrays`` + ``execute`` is a pair of calls on shared state).

Plans are made on private SIMD-aligned scratch buffers, so planning with
``FFTW_MEASURE`` never touches the caller's data, and are then executed on
the caller's arrays directly when their alignment and strides match the
plan (otherwise through the scratch buffers).  Multi-dimensional
complex-to-real transforms destroy their input in FFTW, so :meth:`irfftn`
copies its input into scratch unless ``overwrite_x=True``.
"""

import collections
import math
import os
import tempfile
import threading

import numpy as np

from .._dtypes import complex_dtype, real_dtype
from ..errors import BackendUnavailableError
from ._numpy import NumpyBackend, aligned_empty

__all__ = [
    "PyFFTWBackend",
    "save_wisdom",
    "load_wisdom",
    "plan_cache_info",
    "clear_plan_cache",
    "PLANNER_EFFORTS",
    "DEFAULT_PLANNER_EFFORT",
]

PLANNER_EFFORTS = ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT", "FFTW_EXHAUSTIVE")

#: Default planner effort.  FFTW_MEASURE: on this project's reference machine
#: an FFTW_ESTIMATE plan of a 256^3 real round trip runs 1.7x (float32) to
#: 1.4x (float64) slower than a measured one, and the one-off measuring cost
#: (7-11 s at 256^3, milliseconds for small grids) is paid once per process
#: thanks to the plan cache, or once per cluster job with saved wisdom.
#: Override with ``use_backend("pyfftw", planner_effort=...)`` or the
#: ``FIELDCONV_FFTW_PLANNER`` environment variable.
DEFAULT_PLANNER_EFFORT = "FFTW_MEASURE"

_DEFAULT_CACHE_SIZE = 32

_plan_lock = threading.Lock()
_plans = collections.OrderedDict()
_stats = {"hits": 0, "misses": 0, "maxsize": _DEFAULT_CACHE_SIZE}
_wisdom_env_loaded = False


def _pyfftw():
    try:
        import pyfftw
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise BackendUnavailableError(
            "backend 'pyfftw' is unavailable: pyFFTW does not import "
            f"({exc}); install it with `pip install pyfftw`"
        ) from exc
    return pyfftw


def _normalise_effort(effort):
    if effort is None:
        effort = os.environ.get("FIELDCONV_FFTW_PLANNER", DEFAULT_PLANNER_EFFORT)
    name = str(effort).upper()
    if not name.startswith("FFTW_"):
        name = "FFTW_" + name
    if name not in PLANNER_EFFORTS:
        opts = ", ".join(repr(e) for e in PLANNER_EFFORTS)
        raise ValueError(f"planner_effort must be one of {opts}; got {effort!r}")
    return name


class _Plan:
    """One FFTW plan with its scratch buffers and execution lock."""

    __slots__ = ("fftw", "inbuf", "outbuf", "lock", "n_logical", "destroys_input")

    def __init__(self, kind, in_shape, in_dtype, out_shape, out_dtype, axes, threads, effort):
        pyfftw = _pyfftw()
        self.inbuf = aligned_empty(in_shape, in_dtype)
        self.outbuf = aligned_empty(out_shape, out_dtype)
        direction = "FFTW_BACKWARD" if kind in ("irfftn", "ifftn") else "FFTW_FORWARD"
        self.destroys_input = kind == "irfftn"
        flags = (effort, "FFTW_DESTROY_INPUT") if kind == "irfftn" else (effort,)
        self.fftw = pyfftw.FFTW(
            self.inbuf,
            self.outbuf,
            axes=axes,
            direction=direction,
            flags=flags,
            threads=threads,
            normalise_idft=False,
            ortho=False,
        )
        logical = out_shape if kind == "irfftn" else in_shape
        self.n_logical = math.prod(logical[a] for a in axes)
        self.lock = threading.Lock()

    def fits(self, arr, buf):
        return (
            arr.dtype == buf.dtype
            and arr.shape == buf.shape
            and arr.strides == buf.strides
            and arr.ctypes.data % self.fftw.input_alignment == 0
        )


def _get_plan(key, threads):
    global _wisdom_env_loaded
    with _plan_lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            _stats["hits"] += 1
            return plan
        if not _wisdom_env_loaded:
            _wisdom_env_loaded = True
            path = os.environ.get("FIELDCONV_FFTW_WISDOM")
            if path and os.path.exists(path):
                _load_wisdom_unlocked(path)
        kind, in_shape, in_dtype, axes, out_shape, _, effort = key
        out_dtype = real_dtype(in_dtype) if kind == "irfftn" else complex_dtype(in_dtype)
        plan = _Plan(kind, in_shape, in_dtype, out_shape, out_dtype, axes, threads, effort)
        _stats["misses"] += 1
        _plans[key] = plan
        while len(_plans) > _stats["maxsize"]:
            _plans.popitem(last=False)
        return plan


def plan_cache_info():
    """Counters of the pyFFTW plan cache.

    Returns
    -------
    dict
        ``hits`` and ``misses`` (a miss is one FFTW planning), ``size`` (plans
        held) and ``maxsize``.
    """
    with _plan_lock:
        return dict(_stats, size=len(_plans))


def clear_plan_cache(maxsize=None):
    """Forget every cached plan (and optionally set the cache's bound).

    Parameters
    ----------
    maxsize : int, optional
        New bound on the number of plans kept (least recently used first out).
    """
    with _plan_lock:
        _plans.clear()
        _stats["hits"] = _stats["misses"] = 0
        if maxsize is not None:
            if int(maxsize) < 1:
                raise ValueError(f"maxsize must be >= 1; got {maxsize!r}")
            _stats["maxsize"] = int(maxsize)


_WISDOM_HEADER = b"# fieldconv FFTW wisdom v1\n"
_WISDOM_SECTIONS = (b"double", b"single", b"longdouble")


def save_wisdom(path):
    """Write the FFTW wisdom accumulated so far to `path`, atomically.

    Cluster jobs that run the same grid sizes save the wisdom once and load it
    at start-up (:func:`load_wisdom`, or the ``FIELDCONV_FFTW_WISDOM``
    environment variable, read before the first plan), so ``FFTW_MEASURE``
    planning is paid once per machine type rather than once per job.

    Parameters
    ----------
    path : str or os.PathLike
        File to write; it is replaced atomically (temporary file + rename).
    """
    pyfftw = _pyfftw()
    with _plan_lock:
        sections = pyfftw.export_wisdom()
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".wisdom-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_WISDOM_HEADER)
            for name, blob in zip(_WISDOM_SECTIONS, sections):
                fh.write(b"[" + name + b"] %d\n" % len(blob))
                fh.write(blob)
                fh.write(b"\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_wisdom(path):
    """Load FFTW wisdom written by :func:`save_wisdom`.

    Unlike ``pyfftw.import_wisdom``, which reports failure only through its
    return value, this raises when a section cannot be imported.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_wisdom`.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a fieldconv wisdom file or FFTW rejects a section
        (wisdom from another FFTW build, a truncated file...).
    """
    with _plan_lock:
        _load_wisdom_unlocked(path)


def _load_wisdom_unlocked(path):
    pyfftw = _pyfftw()
    path = os.fspath(path)
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(_WISDOM_HEADER):
        raise ValueError(f"path must be a wisdom file written by fieldconv.backend.save_wisdom; got {path!r}")
    pos = len(_WISDOM_HEADER)
    blobs = []
    for name in _WISDOM_SECTIONS:
        end = data.find(b"\n", pos)
        head = data[pos:end]
        if not head.startswith(b"[" + name + b"] "):
            raise ValueError(f"wisdom file {path!r} is corrupt: expected section {name.decode()}")
        size = int(head.split()[1])
        blobs.append(data[end + 1 : end + 1 + size])
        pos = end + 1 + size + 1
        if len(blobs[-1]) != size:
            raise ValueError(f"wisdom file {path!r} is truncated in section {name.decode()}")
    ok = pyfftw.import_wisdom(tuple(blobs))
    bad = [n.decode() for n, b, flag in zip(_WISDOM_SECTIONS, blobs, ok) if b and not flag]
    if bad:
        raise ValueError(f"FFTW rejected the {', '.join(bad)} wisdom in {path!r} (written by another FFTW build?)")


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
        ``"FFTW_ESTIMATE"``, ``"FFTW_MEASURE"`` (default, see
        :data:`DEFAULT_PLANNER_EFFORT`), ``"FFTW_PATIENT"`` or
        ``"FFTW_EXHAUSTIVE"`` (the ``FFTW_`` prefix may be left out).
    plan_cache_size : int, optional
        Bound of the process-wide plan cache (least recently used plans are
        dropped first).
    """

    name = "pyfftw"

    def __init__(self, *, threads=1, planner_effort=None, plan_cache_size=None):
        _pyfftw()
        super().__init__(threads=threads)
        self.planner_effort = _normalise_effort(planner_effort)
        if plan_cache_size is not None:
            with _plan_lock:
                if int(plan_cache_size) < 1:
                    raise ValueError(f"plan_cache_size must be >= 1; got {plan_cache_size!r}")
                _stats["maxsize"] = int(plan_cache_size)

    def _transform(self, kind, x, s, axes, norm, out, overwrite_x):
        self._check_norm(norm)
        axes, in_shape, out_shape = _fft_shapes(kind, x.shape, s, axes)
        key = (kind, in_shape, x.dtype, axes, out_shape, self.threads, self.planner_effort)
        plan = _get_plan(key, self.threads)
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

    def rfftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        return self._transform("rfftn", self._real_input(x), s, axes, norm, out, overwrite_x)

    def irfftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        return self._transform("irfftn", self._complex_input(x), s, axes, norm, out, overwrite_x)

    def fftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        return self._transform("fftn", self._complex_input(x), s, axes, norm, out, overwrite_x)

    def ifftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        return self._transform("ifftn", self._complex_input(x), s, axes, norm, out, overwrite_x)


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
