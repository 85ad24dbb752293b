"""Convolution and correlation of fields with kernels.

The convention (see :mod:`fieldconv.kernels`) is stated once::

    convolve(f, K)[i]  = sum_j K.weights[j] * f[i - j + K.origin]
    correlate(f, K)[i] = sum_j K.weights[j] * f[i + j - K.origin]

which is exactly ``scipy.ndimage.convolve/correlate`` with
``origin = K.origin - shape // 2``.  Values outside the field come from the
boundary `mode`, with scipy.ndimage's names and meanings (for ``abcd``):

===========  ==========================
mode         extension
===========  ==========================
"reflect"    ``dcba|abcd|dcba`` (half-sample symmetric, the default)
"mirror"     ``dcb|abcd|cba`` (whole-sample symmetric)
"nearest"    ``aaa|abcd|ddd``
"constant"   ``kkk|abcd|kkk`` with ``k = cval``
"wrap"       ``bcd|abcd|abc`` (periodic)
===========  ==========================

``"grid-wrap"``, ``"grid-constant"`` and ``"grid-mirror"`` are accepted as
aliases of "wrap", "constant" and "reflect" (as in scipy.ndimage filters).

Methods: ``"direct"`` (compiled FIR sums on the host), ``"separable"``
(successive 1-D passes of :func:`correlate1d` for a rank-1 kernel),
``"fft"`` (the field padded with the exact boundary extension, then one
real FFT product), ``"overlap-add"`` (block FFT convolution for fields much
longer than the kernel) and ``"auto"`` (the cheapest by a calibrated cost
model).  See ``docs/convolution.md``.
"""

import math

import numpy as np

from ._dtypes import result_dtype
from ._validate import as_axes, check_choice, check_int
from .backend import get_backend

__all__ = ["correlate1d", "convolve1d", "convolve", "correlate", "median_filter", "MODES", "METHODS"]

#: Boundary modes (scipy.ndimage names).
MODES = ("reflect", "mirror", "nearest", "constant", "wrap")
_MODE_ALIASES = {"grid-wrap": "wrap", "grid-constant": "constant", "grid-mirror": "reflect"}
#: Methods of :func:`convolve` / :func:`correlate`.
METHODS = ("auto", "direct", "separable", "fft", "overlap-add")
NAN_POLICIES = ("propagate", "interpolate", "raise")


# ---------------------------------------------------------------------------- helpers
def _check_mode(mode, name="mode"):
    if isinstance(mode, str):
        mode = _MODE_ALIASES.get(mode, mode)
    if not isinstance(mode, str) or mode not in MODES:
        opts = ", ".join(repr(m) for m in MODES)
        raise ValueError(f"{name} must be one of {opts}; got {mode!r}")
    return mode


def _extension_index(n, lo, hi, mode):
    """Source index of each extended position ``p = -lo .. n + hi - 1`` (int64).

    ``-1`` marks a constant (``cval``) sample.  Valid for any extension
    length, also longer than the line (the extension is then periodic with
    period ``n`` (wrap), ``2n`` (reflect) or ``2n - 2`` (mirror), as in
    scipy.ndimage).
    """
    return _source_index(np.arange(-lo, n + hi, dtype=np.int64), n, mode)


def _source_index(p, n, mode):
    """Source index in ``[0, n)`` of extended positions `p` (int64; ``-1``: the constant)."""
    if mode == "wrap":
        return p % n
    if mode == "nearest":
        return np.clip(p, 0, n - 1)
    if mode == "constant":
        return np.where((p >= 0) & (p < n), p, -1)
    if mode == "reflect":
        q = p % (2 * n)
        return np.where(q < n, q, 2 * n - 1 - q)
    # mirror
    if n == 1:
        return np.zeros_like(p)
    q = p % (2 * n - 2)
    return np.where(q < n, q, 2 * n - 2 - q)


def _as_weights(kernel, name="weights"):
    """Kernel weights as a float64 NumPy array (a Kernel or array_like)."""
    w = getattr(kernel, "weights", kernel)
    if hasattr(w, "__array_namespace__") and not isinstance(w, np.ndarray):
        # a device array: kernels are small host tables, copy explicitly
        w = get_backend(like=w).to_numpy(w)
    try:
        w = np.asarray(w)
    except Exception as exc:  # pragma: no cover - exotic input
        raise TypeError(f"{name} must be a Kernel or an array of numbers; got {type(kernel).__name__}") from exc
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers; got dtype {w.dtype}")
    w = np.array(w, dtype=np.float64)
    if w.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {w.shape}")
    nbad = int(np.count_nonzero(~np.isfinite(w)))
    if nbad:
        raise ValueError(f"{name} must be finite; got {nbad} NaN/inf value(s) in the kernel")
    return w


def _field_dtype(field):
    return result_dtype(field.dtype, name="field")


def _host_out(out, shape, dtype, name="out"):
    """Validate a caller's `out` array (host path)."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array on a host backend; got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {out.shape}")
    if out.dtype != dtype:
        raise ValueError(f"{name} must have dtype {np.dtype(dtype).name} (the result dtype); got {out.dtype}")
    return out


def _xp_out(be, out, shape, dtype, name="out"):
    if out is None:
        return None
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {tuple(out.shape)}")
    if out.dtype != be.dtype(dtype):
        raise ValueError(f"{name} must have dtype {np.dtype(dtype).name} (the result dtype); got {out.dtype}")
    return out


def _nb():
    from . import _numba_convolve

    return _numba_convolve


#: Below this many multiply-adds a compiled kernel runs on one thread: waking
#: the thread pool costs more than it saves (and much more on a loaded machine).
_SERIAL_WORK = 200_000


def _nb_call(name, work, *args):
    """Call the compiled kernel `name`, single-threaded for small `work`."""
    nb = _nb()
    fn = getattr(nb, name)
    if work >= _SERIAL_WORK:
        return fn(*args)
    import numba

    prev = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return fn(*args)
    finally:
        numba.set_num_threads(prev)


# ---------------------------------------------------------------------- 1-D primitive
def _check_origin1d(origin, K, name="origin"):
    origin = check_int(name, origin)
    if not -(K // 2) <= origin <= (K - 1) // 2:
        raise ValueError(
            f"{name} must lie in [{-(K // 2)}, {(K - 1) // 2}] for a kernel of length {K}; got {origin}"
        )
    return origin


#: Bytes of the accumulator of one tile of a long line (with the tile's input,
#: it stays in a 48 KiB L1 data cache): 2048 float64 or 4096 float32 outputs.
_TILE_BYTES = 16384


def _symmetry(w):
    """+1 if `w` is exactly symmetric, -1 if exactly antisymmetric, else 0."""
    r = w[::-1]
    if np.array_equal(w, r):
        return 1
    if np.array_equal(w, -r):
        return -1
    return 0


def _corr1d_host(x, w, axis, off, mode, cval, dst):
    """Host correlation of contiguous `x` (working dtype) along `axis` into `dst`.

    Along the last axis: the interior outputs (window inside the line) are
    summed straight from `x` in L1-sized tiles spread over the threads with
    the lines; the < K edge outputs at each end come from small gathered
    slabs of the boundary extension.  Along another axis: whole contiguous
    rows are combined.  Exactly (anti)symmetric weights are folded.
    """
    n = x.shape[axis]
    K = w.shape[0]
    a = math.prod(x.shape[:axis])
    b = math.prod(x.shape[axis + 1 :])
    wt = w.astype(x.dtype)
    sym = _symmetry(wt)
    c = x.dtype.type(cval)
    work = x.size * K
    tile = _TILE_BYTES // x.dtype.itemsize
    src = x.view()
    src.flags.writeable = False  # one (read-only) specialisation whatever the caller passed
    if b == 1:
        hi = n - K + 1 + off
        if hi > off:  # interior [off, hi), right edge [hi, n)
            nlo, hi0 = off, hi
        else:  # kernel longer than the line: every output is an edge output
            nlo, hi0 = n, n
        idx_lo = _source_index(np.arange(-off, nlo + K - 1 - off, dtype=np.int64), n, mode) if nlo else _NO_IDX
        idx_hi = _source_index(np.arange(hi0 - off, n + K - 1 - off, dtype=np.int64), n, mode) if hi0 < n else _NO_IDX
        _nb_call("corr1d_last", work, src.reshape(a, n), wt, sym, off, nlo, hi0, idx_lo, idx_hi, c, tile,
                 dst.reshape(a, n))
    else:
        idx = _extension_index(n, off, K - 1 - off, mode)
        _nb_call("corr1d_strided", work, src.reshape(a, n, b), wt, sym, idx, c, tile, dst.reshape(a, n, b))
    return dst


_NO_IDX = np.empty(0, dtype=np.int64)


def _pad_axis_xp(be, x, axis, lo, hi, mode, cval):
    """`x` extended by `lo`/`hi` samples along `axis` (array-API only, built with xp.concat)."""
    xp = be.xp
    if lo == 0 and hi == 0:
        return x
    n = x.shape[axis]
    parts = []
    idx = _extension_index(n, lo, hi, mode)
    for sel, length in ((idx[:lo], lo), (idx[lo + n :], hi)):
        if length == 0:
            parts.append(None)
            continue
        if mode == "constant":
            shape = list(x.shape)
            shape[axis] = length
            parts.append(xp.full(tuple(shape), cval, dtype=x.dtype, device=be.device))
        else:
            ind = be.asarray(sel, copy=True)
            parts.append(xp.take(x, ind, axis=axis))
    seq = [p for p in (parts[0], x, parts[1]) if p is not None]
    return xp.concat(seq, axis=axis)


def _slice_axis(ndim, axis, start, length):
    sl = [slice(None)] * ndim
    sl[axis] = slice(start, start + length)
    return tuple(sl)


def _corr1d_xp(be, x, w, axis, off, mode, cval):
    """Generic correlation: sum of shifted slices of the padded array."""
    xp = be.xp
    n = x.shape[axis]
    K = w.shape[0]
    p = _pad_axis_xp(be, x, axis, off, K - 1 - off, mode, cval)
    acc = None
    for j in range(K):
        term = p[_slice_axis(x.ndim, axis, j, n)] * float(w[j])
        acc = term if acc is None else acc + term
    return acc


def correlate1d(field, weights, axis=-1, *, mode="reflect", cval=0.0, origin=0, out=None, backend=None):
    """One-dimensional correlation along `axis` (scipy.ndimage.correlate1d semantics).

    Parameters
    ----------
    field : array, real, any shape
        Input field (NumPy array on host backends, or an array of the backend).
    weights : array_like of float, shape (K,), or 1-D Kernel
        Correlation weights (finite).
    axis : int, optional
        Axis along which to correlate (default: the last).
    mode : {"reflect", "mirror", "nearest", "constant", "wrap"}, optional
        Boundary extension (default "reflect"), see the module docstring.
    cval : float, optional
        Value outside the field for ``mode="constant"`` (default 0.0).
    origin : int, optional
        Shift of the kernel as in scipy.ndimage (default 0): the tap
        ``K // 2 + origin`` lands on the output point; must lie in
        ``[-(K // 2), (K - 1) // 2]``.
    out : array, optional
        Array of the result's shape and dtype to write into.
    backend : str or Backend, optional
        Backend (default: resolved from `field`).

    Returns
    -------
    array, same shape as `field`
        ``out[i] = sum_j w[j] * f[i + j - K//2 - origin]`` along `axis`,
        float32 for float32/float16 input, float64 for float64 and integer
        input, on the field's backend.

    Raises
    ------
    ValueError
        Bad `mode`, `origin`, `weights` (empty, not 1-D, NaN/inf) or `out`.
    TypeError
        Non-real `field` or `weights`.

    Notes
    -----
    On host backends a compiled FIR runs in parallel over (line, tile)
    pairs (L1-sized tiles, so one long line uses every thread); interior
    outputs are summed straight from the field and only the ``< K`` edge
    outputs at each end from a small gathered slab of the extension.  For an
    `axis` that is not the last, whole contiguous rows are combined at once
    (``out[.., i, :] = sum_j w[j] * f[.., idx(i + j), :]``), so no strided
    line is ever gathered.  Exactly symmetric (antisymmetric) weights are
    folded, ``w[j] * (f[i + j] +- f[i + K - 1 - j])``: half the multiplies,
    fewer terms (same bound).  Sums are accumulated in the working dtype:
    for float32 the error is at most ``K * eps32 * sum_j |w_j| |f|``
    (``eps32 = 2**-24``), about ``K`` ulps of the output scale, and the
    weights are rounded to float32 first (part of the same bound).
    Other backends use array-API code: a sum of shifted slices of the
    padded field.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import correlate1d
    >>> correlate1d(np.array([0., 0., 1., 0., 0.]), [1., 2., 3.])
    array([0., 3., 2., 1., 0.])
    >>> correlate1d(np.array([1., 2., 3.]), [1., 1., 1.], mode="wrap")
    array([6., 6., 6.])
    """
    be = get_backend(backend, like=field)
    mode = _check_mode(mode)
    w = _as_weights(weights)
    if w.ndim != 1:
        raise ValueError(f"weights must be one-dimensional; got shape {w.shape}")
    K = w.shape[0]
    origin = _check_origin1d(origin, K)
    cval = float(cval)
    off = K // 2 + origin
    if be.on_host:
        field = be.asarray(field)
        dt = _field_dtype(field)
        if field.ndim == 0:
            raise ValueError("field must have at least one dimension; got a 0-d array")
        ax = as_axes(axis, field.ndim, name="axis")[0]
        _host_out(out, field.shape, dt)
        x = np.ascontiguousarray(field, dtype=dt)
        if x.size == 0:
            return np.empty(x.shape, dt) if out is None else out
        if out is not None and out.flags.c_contiguous and not np.shares_memory(out, x):
            return _corr1d_host(x, w, ax, off, mode, cval, out)
        res = _corr1d_host(x, w, ax, off, mode, cval, be.empty(x.shape, dt))
        if out is None:
            return res
        out[...] = res
        return out
    xp = be.xp
    field = be.asarray(field)
    dt = _field_dtype(field)
    if field.ndim == 0:
        raise ValueError("field must have at least one dimension; got a 0-d array")
    ax = as_axes(axis, field.ndim, name="axis")[0]
    _xp_out(be, out, field.shape, dt)
    x = xp.astype(field, be.dtype(dt))
    res = _corr1d_xp(be, x, w, ax, off, mode, cval)
    if out is None:
        return res
    out[...] = res
    return out


def convolve1d(field, weights, axis=-1, *, mode="reflect", cval=0.0, origin=0, out=None, backend=None):
    """One-dimensional convolution along `axis` (scipy.ndimage.convolve1d semantics).

    Parameters and returns as :func:`correlate1d`; the result is
    ``out[i] = sum_j w[j] * f[i - j + K//2 + origin]`` along `axis`
    (the correlation with the reversed weights, ``origin`` negated, and an
    even-length kernel shifted by one sample exactly as scipy.ndimage does).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import convolve1d
    >>> convolve1d(np.array([0., 0., 1., 0., 0.]), [1., 2., 3.])
    array([0., 1., 2., 3., 0.])
    """
    w = _as_weights(weights)
    if w.ndim != 1:
        raise ValueError(f"weights must be one-dimensional; got shape {w.shape}")
    origin = check_int("origin", origin)
    K = w.shape[0]
    _check_origin1d(origin, K)
    origin = -origin
    if K % 2 == 0:
        origin -= 1
    return correlate1d(field, w[::-1], axis, mode=mode, cval=cval, origin=origin, out=out, backend=backend)


# ------------------------------------------------------------------ n-D engine
#: Cost model of ``method="auto"`` (host backends), in nanoseconds per output
#: sample.  Measured with ``/work/venv/bin/python benchmarks/bench_convolution.py
#: --calibrate`` (each method timed alone on 2048^2 fields, K = 3, 7, 15, 31,
#: median of 3 runs, numba 0.68 on the OpenMP layer, pyFFTW with FFTW_MEASURE
#: plans made before timing) on the project's 2-core machine while other jobs
#: shared it, so the constants carry ~30% noise; they only have to rank methods.
#:   direct   : ``_C_D0 + _C_DIRECT * taps`` (``_C_DIRECT3`` with 3 acting axes; taps = nonzero weights)
#:   separable: sum over 1-D passes of ``_C_PASS + _C_TAP1D * K``
#:   fft      : ``(_C_FFT * log2(M) + _C_PAD) * M / N``  (M: FFT size, N: field size;
#:              forward + inverse transform + kernel transform + product + padding)
#: Float32 FFTs lose ~10x accuracy against direct sums, so for float32 an FFT
#: must beat the best direct/separable estimate by ``_F32_FFT_MARGIN``.
_C_D0 = {np.float32: 4.0, np.float64: 9.0}
_C_DIRECT = {np.float32: 0.055, np.float64: 0.11}
#: per tap with 3 acting axes (3-D rows are short: 256 samples per inner loop)
_C_DIRECT3 = {np.float32: 0.15, np.float64: 0.30}
_C_PASS = {np.float32: 2.3, np.float64: 4.5}
_C_TAP1D = {np.float32: 0.1, np.float64: 0.2}
_C_FFT = {np.float32: 0.9, np.float64: 1.6}
_C_PAD = {np.float32: 2.0, np.float64: 4.0}
_F32_FFT_MARGIN = 1.5
#: The method the last ``method="auto"`` call chose (read by the benchmark).
_LAST_AUTO = [None]
#: Generic (array-API / GPU) backends: each tap is a full pass over memory.
_C_XP_TAP = 2.0
_C_XP_FFT = 0.5


def _next_fast(n):
    import scipy.fft

    return scipy.fft.next_fast_len(int(n), real=True)


def _resolve_geometry(field_ndim, w, kernel, origin, axes):
    """Full-rank weights (one axis per field axis) and the tap offsets ``c``.

    Returns ``(W, c)`` with ``correlate(f)[i] = sum_j W[j] f[i + j - c]``
    in the *convolution-sense* layout (the caller flips for convolution).
    """
    kdim = w.ndim
    if axes is None:
        if kdim > field_ndim:
            raise ValueError(
                f"kernel must not have more dimensions than field: kernel.ndim={kdim}, field.ndim={field_ndim}"
            )
        if kdim < field_ndim:
            raise ValueError(
                f"kernel has {kdim} dimension(s) but field has {field_ndim}: pass axes= to choose "
                f"the {kdim} field axes the kernel acts on"
            )
        ax = tuple(range(field_ndim))
    else:
        ax = as_axes(axes, field_ndim)
        if len(ax) != kdim:
            raise ValueError(f"axes must have one entry per kernel dimension ({kdim}); got {tuple(np.atleast_1d(axes))}")
    # taps landing on the output point, in the kernel's own axes
    shape = w.shape
    if origin is None:
        korigin = getattr(kernel, "origin", None)
        c = tuple(int(o) for o in korigin) if korigin is not None else tuple(n // 2 for n in shape)
        if len(c) != kdim:
            raise ValueError(f"kernel.origin must have {kdim} entries; got {korigin!r}")
    elif isinstance(origin, str):
        if origin != "center":
            raise ValueError(f"origin must be None, 'center', an int or a tuple of ints; got {origin!r}")
        even = [n for n in shape if n % 2 == 0]
        if even:
            raise ValueError(
                f"origin='center' needs an odd-size kernel; got kernel shape {shape} (an even axis has no "
                "centre tap: pass an integer origin)"
            )
        c = tuple(n // 2 for n in shape)
    else:
        o = (origin,) * kdim if np.ndim(origin) == 0 else tuple(origin)
        if len(o) != kdim:
            raise ValueError(f"origin must be an int or have one entry per kernel dimension ({kdim}); got {origin!r}")
        c = tuple(n // 2 + check_int("origin", v) for n, v in zip(shape, o))
    for n, ci, oi in zip(shape, c, range(kdim)):
        if not 0 <= ci < n:
            raise ValueError(
                f"origin puts the output tap outside the kernel on kernel axis {oi} (size {n}): "
                f"scipy-style origin must lie in [{-(n // 2)}, {(n - 1) // 2}]; got {ci - n // 2}"
            )
    full_shape = [1] * field_ndim
    full_c = [0] * field_ndim
    for k, a in enumerate(ax):
        full_shape[a] = shape[k]
        full_c[a] = c[k]
    order = sorted(range(kdim), key=lambda k: ax[k])
    W = np.transpose(w, order).reshape(full_shape)
    return np.ascontiguousarray(W), tuple(full_c)


def _rank1_split(W, tol):
    """Peel rank-1 axes off `W`: list of ``(axes, subweights)`` groups.

    Axis ``a`` splits off when the unfolding of `W` along ``a`` has rank one
    (second singular value <= ``tol`` * first); the remaining axes form one
    group (direct or FFT).  Sub-weights keep the full rank of `W` (size 1 on
    the axes they do not act on).
    """
    groups = []
    rest = W
    acting = [a for a in range(W.ndim) if W.shape[a] > 1]
    for a in list(acting):
        if len([b for b in acting if rest.shape[b] > 1]) <= 1:
            break
        m = np.moveaxis(rest, a, 0).reshape(rest.shape[a], -1)
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        if s[0] == 0 or (s.size > 1 and s[1] > tol * s[0]):
            continue
        shp = [1] * W.ndim
        shp[a] = rest.shape[a]
        groups.append(((a,), (u[:, 0] * s[0]).reshape(shp)))
        rshape = list(rest.shape)
        rshape[a] = 1
        rest = np.moveaxis(vt[0].reshape((1,) + tuple(np.delete(np.array(rest.shape), a))), 0, a).reshape(rshape)
    rest_axes = tuple(a for a in range(W.ndim) if rest.shape[a] > 1)
    if rest_axes or not groups:
        groups.append((rest_axes, rest))
    else:  # only a scalar factor is left: fold it into the first group
        groups[0] = (groups[0][0], groups[0][1] * float(rest.reshape(-1)[0]))
    return groups


def _factor_groups(W, kernel, flip):
    """Separable factorisation of `W` (full rank): list of ``(axes, weights)``.

    Uses ``kernel.separable_factors()`` when the kernel provides it and acts
    on every field axis in order (checked against `W` to round-off); falls
    back to :func:`_rank1_split` (which also finds partial, e.g.
    spatial-spectral, separability).
    """
    eps = np.finfo(np.float64).eps
    tol = 1e3 * eps * math.sqrt(W.size)
    factors = None
    if kernel is not None and hasattr(kernel, "separable_factors"):
        try:
            factors = kernel.separable_factors()
        except Exception:  # a Kernel without a usable factorisation: use our own test
            factors = None
    if factors is not None and len(factors) == W.ndim:
        fs = [np.asarray(f, dtype=np.float64).reshape(-1) for f in factors]
        if flip:
            fs = [f[::-1] for f in fs]
        if all(f.size == n for f, n in zip(fs, W.shape)):
            prod = fs[0]
            for f in fs[1:]:
                prod = np.multiply.outer(prod, f)
            scale = float(np.abs(W).max())
            if np.abs(prod - W).max() <= tol * max(scale, 1e-300):
                groups = []
                for a, f in enumerate(fs):
                    if f.size == 1 and len(fs) > 1:
                        continue
                    shp = [1] * W.ndim
                    shp[a] = f.size
                    groups.append(((a,), f.reshape(shp)))
                # size-1 factors carry a scale: fold it into the first group
                s1 = math.prod(float(f[0]) for f in fs if f.size == 1)
                if groups and s1 != 1.0:
                    groups[0] = (groups[0][0], groups[0][1] * s1)
                if groups:
                    return groups
    return _rank1_split(W, tol)


# -- padding -----------------------------------------------------------------
def _pad_host(x, lo, hi, mode, cval, total=None):
    """`x` extended by ``lo[a]``/``hi[a]`` samples per axis (host, C-contiguous).

    With `total`, the array is allocated with that shape and zero beyond the
    extension (for FFT zero-padding).
    """
    shape = tuple(n + l + h for n, l, h in zip(x.shape, lo, hi))
    alloc = shape if total is None else tuple(total)
    from .backend._numpy import aligned_empty

    P = aligned_empty(alloc, x.dtype)
    if total is not None:  # zero only the FFT padding beyond the extension
        for a in range(P.ndim):
            if alloc[a] > shape[a]:
                sl = [slice(None)] * P.ndim
                sl[a] = slice(shape[a], alloc[a])
                P[tuple(sl)] = 0
    inner = tuple(slice(l, l + n) for l, n in zip(lo, x.shape))
    P[inner] = x
    core = tuple(slice(0, s) for s in shape)
    for a, (n, l, h) in enumerate(zip(x.shape, lo, hi)):
        if l == 0 and h == 0:
            continue
        idx = _extension_index(n, l, h, mode)
        for start, length, sel in ((0, l, idx[:l]), (l + n, h, idx[l + n :])):
            if length == 0:
                continue
            dst = list(core)
            dst[a] = slice(start, start + length)
            if mode == "constant":
                P[tuple(dst)] = cval
            else:
                src = list(core)
                src[a] = sel + l  # one advanced index: gathers only the slab
                P[tuple(dst)] = P[tuple(src)]
    return P


def _pad_xp(be, x, lo, hi, mode, cval):
    for a in range(x.ndim):
        x = _pad_axis_xp(be, x, a, lo[a], hi[a], mode, cval)
    return x


# -- methods (all compute correlate(x, W) with taps c; x in the working dtype) --
def _direct(be, x, W, c, mode, cval):
    lo = c
    hi = tuple(k - 1 - ci for k, ci in zip(W.shape, c))
    if be.on_host:
        acting = [a for a in range(x.ndim) if W.shape[a] > 1]
        if len(acting) == 1:
            a = acting[0]
            w1 = W.reshape(-1)
            return correlate1d(x, w1, a, mode=mode, cval=cval, origin=c[a] - w1.size // 2, backend=be)
        if not acting:
            return x * x.dtype.type(W.reshape(-1)[0])
        if x.ndim > 3:
            if W.shape[0] == 1:  # leading batch axis: loop
                out = be.empty(x.shape, x.dtype)
                for i in range(x.shape[0]):
                    out[i] = _direct(be, x[i], W[0], c[1:], mode, cval)
                return out
            return _direct_xp(be, x, W, c, mode, cval)
        P = _pad_host(x, lo, hi, mode, cval)
        out = be.empty(x.shape, x.dtype)
        wt = W.astype(x.dtype)
        work = x.size * int(np.count_nonzero(W))
        _nb_call("corr_valid_2d" if x.ndim == 2 else "corr_valid_3d", work, P, wt, out)
        return out
    return _direct_xp(be, x, W, c, mode, cval)


def _direct_xp(be, x, W, c, mode, cval):
    """Generic direct method: sum of shifted slices of the padded field."""
    lo = c
    hi = tuple(k - 1 - ci for k, ci in zip(W.shape, c))
    P = _pad_host(x, lo, hi, mode, cval) if be.on_host else _pad_xp(be, x, lo, hi, mode, cval)
    acc = None
    for j in zip(*np.nonzero(W)):
        sl = tuple(slice(int(jj), int(jj) + n) for jj, n in zip(j, x.shape))
        term = P[sl] * float(W[j])
        acc = term if acc is None else acc + term
    if acc is None:
        acc = be.zeros(x.shape, x.dtype) if be.on_host else be.xp.zeros(x.shape, dtype=x.dtype, device=be.device)
    return acc


def _separable(be, x, groups, c, mode, cval, sub_method):
    # constant mode: outside the field, pass p sees the earlier passes applied
    # to the constant, i.e. cval times the product of the earlier factors' sums
    y = x
    for axes_g, w_g in groups:
        cval_here, cval = cval, cval * float(w_g.sum())
        cg = tuple(c[a] if a in axes_g else 0 for a in range(x.ndim))
        if len(axes_g) == 1:
            a = axes_g[0]
            w1 = w_g.reshape(-1)
            y = correlate1d(y, w1, a, mode=mode, cval=cval_here, origin=c[a] - w1.size // 2, backend=be)
        else:
            y = _run_method(be, y, w_g, cg, mode, cval_here, sub_method)
    return y


def _kernel_spectrum(be, W, M, dtype, axes):
    """Real FFT (size `M` on `axes`) of the *flipped* kernel placed at the start.

    Transformed axis by axis on the small kernel (rfft along the last axis,
    then complex FFTs, each zero-padding one more axis), which costs a
    fraction of one transform of the full padded array.
    """
    Wf = np.ascontiguousarray(W[tuple(slice(None, None, -1) for _ in range(W.ndim))])
    if be.on_host:
        # small transforms through scipy.fft: no FFTW planning, and the
        # backend's plan cache keeps only the two big plans of the field
        import scipy.fft

        H = scipy.fft.rfft(Wf.astype(dtype), n=M[axes[-1]], axis=axes[-1], workers=be.threads)
        for a in reversed(axes[:-1]):
            H = scipy.fft.fft(H, n=M[a], axis=a, overwrite_x=True, workers=be.threads)
        return H
    g = be.xp.astype(be.asarray(Wf, copy=True), be.dtype(dtype))
    H = be.rfftn(g, s=(M[axes[-1]],), axes=(axes[-1],))
    for a in reversed(axes[:-1]):
        H = be.fftn(H, s=(M[a],), axes=(a,), overwrite_x=True)
    return H


def _wrap_kernel_array(be, W, c, shape, dtype, axes):
    """Kernel for circular correlation on the field's own grid (wrap mode)."""
    # correlation: y[i] = sum_j W[j] x[(i + j - c) mod n] = circular conv with G[(c - j) mod n] = W[j]
    G = np.zeros(tuple(shape[a] if a in axes else 1 for a in range(W.ndim)))
    idx = np.indices(W.shape).reshape(W.ndim, -1)
    tgt = tuple(((c[a] - idx[a]) % G.shape[a]) for a in range(W.ndim))
    np.add.at(G, tgt, W.reshape(-1))
    if be.on_host:
        return G.astype(dtype)
    return be.xp.astype(be.asarray(G, copy=True), be.dtype(dtype))


def _fft(be, x, W, c, mode, cval):
    axes = tuple(a for a in range(x.ndim) if W.shape[a] > 1)
    if not axes:
        return x * x.dtype.type(W.reshape(-1)[0]) if be.on_host else x * float(W.reshape(-1)[0])
    dt = np.dtype(str(x.dtype).rsplit(".", 1)[-1]) if not isinstance(x.dtype, np.dtype) else x.dtype
    xp = be.xp
    if mode == "wrap":
        s = tuple(x.shape[a] for a in axes)
        X = be.rfftn(x, axes=axes)
        if all(W.shape[a] <= x.shape[a] for a in axes):
            # circular convolution with the flipped kernel at the start, then a
            # roll by K - 1 - c puts tap c on the output point
            X *= _kernel_spectrum(be, W, x.shape, dt, axes)
            Y = be.irfftn(X, s=s, axes=axes, overwrite_x=True)
            shift = tuple(-(W.shape[a] - 1 - c[a]) for a in axes)
            return be.xp.roll(Y, shift, axis=axes) if not be.on_host else np.roll(Y, shift, axis=axes)
        G = _wrap_kernel_array(be, W, c, x.shape, dt, axes)
        X *= be.rfftn(G, axes=axes)
        return be.irfftn(X, s=s, axes=axes, overwrite_x=True)
    lo = c
    hi = tuple(k - 1 - ci for k, ci in zip(W.shape, c))
    ext = tuple(n + k - 1 for n, k in zip(x.shape, W.shape))
    M = tuple(_next_fast(ext[a]) if a in axes else ext[a] for a in range(x.ndim))
    if be.on_host:
        P = _pad_host(x, lo, hi, mode, cval, total=M)
        s = None
    else:
        P = _pad_xp(be, x, lo, hi, mode, cval)
        s = tuple(M[a] for a in axes)
    X = be.rfftn(P, s=s, axes=axes)
    del P
    X *= _kernel_spectrum(be, W, M, dt, axes)
    Y = be.irfftn(X, s=tuple(M[a] for a in axes), axes=axes, overwrite_x=True)
    del X
    sl = tuple(slice(k - 1, k - 1 + n) for k, n in zip(W.shape, x.shape))
    y = Y[sl]
    if be.on_host:
        return np.ascontiguousarray(y)
    return xp.asarray(y, copy=True)


def _oa_block(K):
    """Output block length of the overlap-save method for a kernel length K."""
    return max(8 * K, 256)


def _overlap(be, x, W, c, mode, cval):
    """Block FFT convolution along the longest acting axis (overlap-save form).

    The padded field is cut into overlapping segments of length ``L + K - 1``
    along that axis (one gather), every segment is transformed at once with
    the other acting axes, multiplied by the kernel's transform and the
    ``L`` valid outputs of each segment are kept.
    """
    axes = [a for a in range(x.ndim) if W.shape[a] > 1]
    if not axes:
        return _fft(be, x, W, c, mode, cval)
    xp = be.xp
    ax = max(axes, key=lambda a: x.shape[a])
    n, K = x.shape[ax], W.shape[ax]
    L = _oa_block(K)
    if n <= 2 * L:
        return _fft(be, x, W, c, "wrap" if mode == "wrap" else mode, cval)
    dt = np.dtype(str(x.dtype).rsplit(".", 1)[-1]) if not isinstance(x.dtype, np.dtype) else x.dtype
    lo = c
    hi = list(k - 1 - ci for k, ci in zip(W.shape, c))
    nb = -(-n // L)
    hi[ax] += nb * L - n  # room for the last (partial) block
    P = _pad_host(x, lo, tuple(hi), mode, cval) if be.on_host else _pad_xp(be, x, lo, tuple(hi), mode, cval)
    seg = L + K - 1
    sidx = (np.arange(nb)[:, None] * L + np.arange(seg)[None, :]).reshape(-1)
    if be.on_host:
        S = np.take(P, sidx, axis=ax)
    else:
        S = xp.take(P, be.asarray(sidx, copy=True), axis=ax)
    del P
    S = xp.reshape(S, P_shape := tuple(S.shape[:ax]) + (nb, seg) + tuple(S.shape[ax + 1 :]))
    # axes of S: ax -> block index (batch), ax+1 -> segment
    Wb = np.expand_dims(W, ax)  # size-1 block axis
    fax = tuple(a + 1 if a >= ax else a for a in axes)
    Mseg = _next_fast(seg)
    M = []
    for a in range(S.ndim):
        if a == ax + 1:
            M.append(Mseg)
        elif a in fax:
            M.append(_next_fast(S.shape[a]))
        else:
            M.append(S.shape[a])
    s = tuple(M[a] for a in fax)
    X = be.rfftn(S, s=s, axes=fax)
    del S
    X *= _kernel_spectrum(be, Wb, M, dt, fax)
    Y = be.irfftn(X, s=s, axes=fax, overwrite_x=True)
    del X
    sl = [slice(None)] * Y.ndim
    for a in fax:
        kk = Wb.shape[a]
        sl[a] = slice(kk - 1, kk - 1 + (L if a == ax + 1 else P_shape[a] - kk + 1))
    Y = Y[tuple(sl)]
    Y = xp.reshape(Y, tuple(Y.shape[:ax]) + (nb * L,) + tuple(Y.shape[ax + 2 :]))
    out_sl = [slice(None)] * x.ndim
    out_sl[ax] = slice(0, n)
    y = Y[tuple(out_sl)]
    if be.on_host:
        return np.ascontiguousarray(y)
    return xp.asarray(y, copy=True)


def _run_method(be, x, W, c, mode, cval, method):
    if method == "direct":
        return _direct(be, x, W, c, mode, cval)
    if method == "fft":
        return _fft(be, x, W, c, mode, cval)
    if method == "overlap-add":
        return _overlap(be, x, W, c, mode, cval)
    raise AssertionError(method)  # pragma: no cover


# -- cost model ----------------------------------------------------------------
def _costs(be, shape, W, groups, dt):
    """Estimated ns per output sample of each method (see the constants above)."""
    dt = np.float32 if np.dtype(dt) == np.float32 else np.float64
    N = max(1, math.prod(shape))
    axes = [a for a in range(len(shape)) if W.shape[a] > 1]
    taps = int(np.count_nonzero(W))
    costs = {}
    if be.on_host:
        if len(axes) > 1:
            costs["direct"] = _C_D0[dt] + (_C_DIRECT3 if len(axes) > 2 else _C_DIRECT)[dt] * taps
        else:
            costs["direct"] = _C_PASS[dt] + _C_TAP1D[dt] * taps
    else:
        costs["direct"] = _C_XP_TAP * taps
    Mfft = math.prod(_next_fast(shape[a] + W.shape[a] - 1) if a in axes else shape[a] for a in range(len(shape)))
    Mwrap = N
    cfft = _C_FFT[dt] if be.on_host else _C_XP_FFT
    cpad = _C_PAD[dt] if be.on_host else _C_XP_FFT
    costs["fft"] = cfft * math.log2(max(Mfft, 2)) * Mfft / N + cpad * Mfft / N
    costs["fft-wrap"] = cfft * math.log2(max(Mwrap, 2)) + cpad
    if axes:
        ax = max(axes, key=lambda a: shape[a])
        K = W.shape[ax]
        L = _oa_block(K)
        if shape[ax] > 2 * L:
            Mseg = _next_fast(L + K - 1)
            other = math.prod(_next_fast(shape[a] + W.shape[a] - 1) for a in axes if a != ax)
            rest = math.prod(shape[a] for a in range(len(shape)) if a not in axes)
            Mtot = -(-shape[ax] // L) * Mseg * other * rest
            costs["overlap-add"] = (cfft * math.log2(max(Mseg * other, 2)) + cpad) * Mtot / N
    if groups is not None and len(groups) > 1:
        sep = 0.0
        for axes_g, w_g in groups:
            if len(axes_g) == 1:
                k = w_g.size
                sep += (_C_PASS[dt] + _C_TAP1D[dt] * k) if be.on_host else _C_XP_TAP * k
            else:
                sub = _costs(be, shape, w_g, None, dt)
                sep += min(v for m, v in sub.items() if m in ("direct", "fft", "overlap-add"))
        costs["separable"] = sep
    return costs


def _choose(be, shape, W, groups, dt, mode, has_nan):
    costs = _costs(be, shape, W, groups, dt)
    if mode == "wrap":
        costs["fft"] = min(costs["fft"], costs.pop("fft-wrap"))
    else:
        costs.pop("fft-wrap")
    exact = {m: v for m, v in costs.items() if m in ("direct", "separable")}
    spectral = {m: v for m, v in costs.items() if m in ("fft", "overlap-add")}
    if has_nan:
        return min(exact, key=exact.get)
    best_exact = min(exact, key=exact.get)
    best_spec = min(spectral, key=spectral.get)
    margin = _F32_FFT_MARGIN if np.dtype(dt) == np.float32 else 1.0
    if spectral[best_spec] * margin < exact[best_exact]:
        return best_spec
    return best_exact


# ------------------------------------------------------------------ public n-D API
def _to_output(be, res, output, name="output"):
    """Cast the float result to the requested `output` dtype (ints: rint + range check)."""
    if output is None:
        return res
    try:
        odt = np.dtype(output)
    except TypeError:
        raise TypeError(f"output must be a dtype; got {output!r}") from None
    if odt.kind == "f":
        return be.xp.astype(res, be.dtype(odt)) if not be.on_host else res.astype(odt, copy=False)
    if odt.kind not in "iu":
        raise TypeError(f"output must be a real float or integer dtype; got {odt}")
    xp = be.xp
    r = xp.round(res)  # round half to even (np.rint / array-API round)
    info = np.iinfo(odt)
    nbad = int(xp.sum(xp.astype(~xp.isfinite(r), be.dtype(np.int64))))
    if nbad:
        raise ValueError(f"output dtype {odt} cannot hold the {nbad} NaN/inf value(s) of the result")
    lo, hi = float(xp.min(r)), float(xp.max(r))
    if lo < info.min or hi > info.max:
        raise ValueError(
            f"output dtype {odt} cannot hold the result: values span [{lo:g}, {hi:g}], outside "
            f"[{info.min}, {info.max}] (no wrap-around: pick a wider output dtype or rescale)"
        )
    return xp.astype(r, be.dtype(odt))


def _scalar(be, v, dt):
    """0-d value `v` of dtype `dt` usable in xp.where/arithmetic on the backend."""
    if be.on_host:
        return np.dtype(dt).type(v)
    return be.xp.asarray(v, dtype=be.dtype(dt), device=be.device)


def _nan_count(be, x):
    xp = be.xp
    if be.on_host:
        return int(np.count_nonzero(np.isnan(x)))
    return int(xp.sum(xp.astype(xp.isnan(x), be.dtype(np.int64))))


def _engine(field, kernel, *, flip, mode, cval, origin, method, axes, nan_policy, preserve_nan,
            normalize, output, out, backend):
    from ._units import attach, strip

    field, unit = strip(field, "field")
    be = get_backend(backend, like=field)
    mode = _check_mode(mode)
    check_choice("method", method, METHODS)
    check_choice("nan_policy", nan_policy, NAN_POLICIES)
    cval = float(cval)
    w = _as_weights(kernel, name="kernel")
    field = be.asarray(field)
    if field.ndim == 0:
        raise ValueError("field must have at least one dimension; got a 0-d array")
    dt = _field_dtype(field)
    if normalize:
        ksum = float(w.sum())
        if abs(ksum) <= 64 * np.finfo(np.float64).eps * float(np.abs(w).sum()):
            raise ValueError(f"normalize=True needs a kernel with non-zero sum; got sum {ksum:g}")
        w = w / ksum
    W, c = _resolve_geometry(field.ndim, w, kernel, origin, axes)
    if flip:  # convolution = correlation with the flipped kernel, tap c -> n - 1 - c
        W = np.ascontiguousarray(W[tuple(slice(None, None, -1) for _ in range(W.ndim))])
        c = tuple(n - 1 - ci for n, ci in zip(W.shape, c))
    odt = np.dtype(output) if output is not None else dt
    if out is not None:
        (_host_out if be.on_host else lambda o, s, d: _xp_out(be, o, s, d))(out, field.shape, odt)
    if be.on_host:
        x = np.ascontiguousarray(field, dtype=dt)
    else:
        x = be.xp.astype(field, be.dtype(dt))
    if x.size == 0:
        res = be.empty(x.shape, odt) if be.on_host else be.xp.empty(x.shape, dtype=be.dtype(odt), device=be.device)
        return attach(res, unit)

    nnan = None
    if nan_policy in ("raise", "interpolate") or method in ("fft", "overlap-add"):
        nnan = _nan_count(be, x)
    if nan_policy == "raise" and nnan:
        raise ValueError(f"field contains {nnan} NaN value(s) and nan_policy='raise'")

    groups = None
    if method in ("auto", "separable"):
        groups = _factor_groups(W, kernel if axes is None else None, flip)
        if method == "separable" and len(groups) < 2:
            raise ValueError(
                f"method='separable' needs a kernel that factorises into lower-dimensional factors; "
                f"this kernel of shape {w.shape} does not (use method='auto')"
            )
    interp = nan_policy == "interpolate" and bool(nnan or (mode == "constant" and math.isnan(cval)))
    if method == "auto":
        use = _choose(be, x.shape, W, groups, dt, mode, has_nan=bool(nnan) and not interp)
        if use in ("fft", "overlap-add") and nnan is None:
            # only an FFT pick needs the NaN scan (NaN would spread over the whole output)
            nnan = _nan_count(be, x)
            if nnan:
                use = _choose(be, x.shape, W, groups, dt, mode, has_nan=True)
        _LAST_AUTO[0] = use
    else:
        if method in ("fft", "overlap-add") and nnan and not interp:
            raise ValueError(
                f"field contains {nnan} NaN value(s): method={method!r} would spread them over the whole "
                "output; use method='direct' (NaN stays local) or nan_policy='interpolate'"
            )
        use = method
    # a multi-axis factor of a partly separable kernel: exact method unless FFT is much cheaper
    exact_only = bool(nnan) and not interp
    sub_method = None
    if use == "separable":
        for axes_g, w_g in groups:
            if len(axes_g) > 1:
                sub_method = _choose(be, x.shape, w_g, None, dt, mode, has_nan=exact_only)

    def run(arr, cv):
        if use == "separable":
            return _separable(be, arr, groups, c, mode, cv, sub_method)
        return _run_method(be, arr, W, c, mode, cv, use)

    if not interp:
        res = run(x, cval)
    else:
        ksum = float(W.sum())
        if abs(ksum) <= 64 * np.finfo(np.float64).eps * float(np.abs(W).sum()):
            raise ValueError(
                f"nan_policy='interpolate' needs a kernel with non-zero sum (normalised convolution); "
                f"got sum {ksum:g}"
            )
        # den is a sum of kernel weights (exact zero where no valid neighbour);
        # anything below the rounding level of that sum counts as zero
        tiny = float(1e3 * np.finfo(dt).eps * float(np.abs(W).sum()))
        scale = 1.0 if normalize else ksum
        cv_num, cv_den = (0.0, 0.0) if math.isnan(cval) else (cval, 1.0)
        if be.on_host:  # fused compiled passes (NaN split, then divide/scale/restore)
            x0 = be.empty(x.shape, dt)
            valid = be.empty(x.shape, dt)
            _nb_call("nan_split", x.size * 8, x, x0, valid)
            num = run(x0, cv_num)
            del x0
            den = run(valid, cv_den)
            del valid
            res = be.empty(x.shape, dt)
            _nb_call("nan_combine", x.size * 8, num, den, x, dt.type(tiny), dt.type(scale), bool(preserve_nan), res)
        else:
            xp = be.xp
            nan_mask = xp.isnan(x)
            x0 = xp.where(nan_mask, _scalar(be, 0.0, dt), x)
            valid = xp.astype(~nan_mask, x.dtype)
            num = run(x0, cv_num)
            den = run(valid, cv_den)
            ok = xp.abs(den) > tiny
            res = xp.where(ok, num / xp.where(ok, den, _scalar(be, 1.0, dt)), _scalar(be, math.nan, dt))
            if not normalize:
                res = res * _scalar(be, ksum, dt)
            if preserve_nan:
                res = xp.where(nan_mask, _scalar(be, math.nan, dt), res)
    res = _to_output(be, res, output)
    if out is not None:
        out[...] = res
        res = out
    return attach(res, unit)


_COMMON_DOC = """
    Parameters
    ----------
    field : array, real, shape (n_0, ..., n_{d-1})
        Input field (NumPy array on host backends, or an array of the backend;
        an astropy Quantity keeps its unit).
    kernel : Kernel or array_like of float
        Weights (finite), with ``kernel.ndim == field.ndim`` unless `axes` is
        given.  A :class:`fieldconv.kernels.Kernel` brings its ``origin``.
    mode : {"reflect", "mirror", "nearest", "constant", "wrap"}, optional
        Boundary extension, as in scipy.ndimage (default "reflect").
    cval : float, optional
        Value outside the field for ``mode="constant"`` (default 0.0).  NaN
        with ``nan_policy="interpolate"`` means "no data outside".
    origin : None, "center", int or tuple of int, optional
        None (default): the kernel's own ``origin`` (the centre tap
        ``shape // 2`` for a plain array).  An int or tuple: scipy.ndimage's
        shift, the tap ``shape // 2 + origin`` lands on the output point.
        "center": the centre tap of an odd-size kernel.
    method : {"auto", "direct", "separable", "fft", "overlap-add"}, optional
        Algorithm (default "auto": cheapest by the cost model of
        ``docs/convolution.md``).
    axes : int or tuple of int, optional
        Field axes the kernel's axes act on (default: all, in order), e.g.
        ``axes=(0, 1)`` for a 2-D spatial kernel on a cube ``(x, y, lambda)``.
    nan_policy : {"propagate", "interpolate", "raise"}, optional
        "propagate" (default): NaN spreads to every output that sees it.
        "interpolate": normalised convolution: NaN samples are left out and
        the output is the kernel-weighted mean of the valid neighbours, times
        the kernel sum (unless `normalize`), like astropy's ``convolve``.
        "raise": ``ValueError`` if `field` holds NaN.
    preserve_nan : bool, optional
        With "interpolate": put NaN back where the input had NaN.
    normalize : bool, optional
        Divide the kernel by its sum first (zero-sum kernels raise).
    output : dtype, optional
        Result dtype.  Integer dtypes round half to even and raise on
        overflow or NaN (never wrap around).  Default: the dtype table.
    out : array, optional
        Array of the result's shape and dtype to write into.
    backend : str or Backend, optional
        Backend (default: resolved from `field`).

    Returns
    -------
    array, same shape as `field`
        float32 for float32/float16 input, float64 for float64/integer input
        (or `output`), on the field's backend.

    Raises
    ------
    ValueError
        Unknown `mode`/`method`/`nan_policy`; a kernel with more (or, without
        `axes`, fewer) dimensions than `field`; NaN/inf in the kernel;
        ``origin="center"`` with an even-size kernel; an origin outside the
        kernel; NaN in `field` with ``nan_policy="raise"`` or with an FFT
        method under "propagate"; a zero-sum kernel with `normalize` or
        "interpolate"; an integer `output` that cannot hold the result;
        ``method="separable"`` for a kernel that does not factorise.
    TypeError
        Non-real `field` or kernel.
"""


def correlate(field, kernel, *, mode="reflect", cval=0.0, origin=None, method="auto", axes=None,
              nan_policy="propagate", preserve_nan=False, normalize=False, output=None, out=None,
              backend=None):
    """Correlate `field` with `kernel`: ``y[i] = sum_j w[j] f[i + j - origin]``.
    {common}
    Notes
    -----
    Agrees with ``scipy.ndimage.correlate(f, w, mode=, cval=, origin=o)``
    where ``o = origin - shape // 2``.  ``correlate(f, K) == convolve(f,
    K.flip())``.  Direct sums accumulate in the working dtype (error
    ``<= K eps sum|w| |f|`` for K taps); FFT paths are accurate to
    ``O(eps log2 N) ||w||_1 |f|``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import correlate
    >>> f = np.zeros((3, 3)); f[1, 1] = 1.0
    >>> correlate(f, np.arange(9.0).reshape(3, 3), mode="constant")
    array([[8., 7., 6.],
           [5., 4., 3.],
           [2., 1., 0.]])
    """
    return _engine(field, kernel, flip=False, mode=mode, cval=cval, origin=origin, method=method, axes=axes,
                   nan_policy=nan_policy, preserve_nan=preserve_nan, normalize=normalize, output=output,
                   out=out, backend=backend)


def convolve(field, kernel, *, mode="reflect", cval=0.0, origin=None, method="auto", axes=None,
             nan_policy="propagate", preserve_nan=False, normalize=False, output=None, out=None,
             backend=None):
    """Convolve `field` with `kernel`: ``y[i] = sum_j w[j] f[i - j + origin]``.
    {common}
    Notes
    -----
    Agrees with ``scipy.ndimage.convolve(f, w, mode=, cval=, origin=o)``
    where ``o = origin - shape // 2`` (an even kernel sits where
    scipy.ndimage puts it, one sample from scipy.signal's placement).
    The symbol is ``H(k) = sum_j w[j] exp(-i k (j - origin))``.  Method
    accuracy as in :func:`correlate`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import convolve
    >>> convolve(np.array([0., 0., 1., 0., 0.]), np.array([1., 2., 3.]))
    array([0., 1., 2., 3., 0.])
    >>> x = np.array([1.0, np.nan, 3.0, 4.0])
    >>> convolve(x, np.ones(3) / 3, nan_policy="interpolate", mode="nearest")
    array([1.        , 2.        , 3.5       , 3.66666667])
    >>> convolve(np.array([1, 2, 3], dtype=np.int16), [0.5, 0.5, 0.0], output=np.int16)
    array([2, 2, 3], dtype=int16)
    """
    return _engine(field, kernel, flip=True, mode=mode, cval=cval, origin=origin, method=method, axes=axes,
                   nan_policy=nan_policy, preserve_nan=preserve_nan, normalize=normalize, output=output,
                   out=out, backend=backend)


correlate.__doc__ = correlate.__doc__.replace("{common}", _COMMON_DOC)
convolve.__doc__ = convolve.__doc__.replace("{common}", _COMMON_DOC)


def median_filter(field, size, *, mode="reflect", cval=0.0, backend=None):
    """Running median over a ``size`` box (despiking).  Not a convolution.

    The median is non-linear: ``median(a + b) != median(a) + median(b)`` in
    general, so it has no kernel, no transfer function and no FFT method.
    It removes isolated spikes that a linear smoother would only spread.

    Parameters
    ----------
    field : array, real
        Input field.
    size : int or tuple of int
        Box size (odd sizes centre the box), one per axis or one for all.
    mode : {"reflect", "mirror", "nearest", "constant", "wrap"}, optional
        Boundary extension (default "reflect").
    cval : float, optional
        Value outside for ``mode="constant"``.
    backend : str or Backend, optional
        Host backends use ``scipy.ndimage.median_filter``, "cupy" uses
        ``cupyx.scipy.ndimage.median_filter``.

    Returns
    -------
    array, same shape as `field`, dtype per the dtype table.

    Raises
    ------
    ValueError
        Bad `mode` or `size`.
    NotImplementedError
        On a generic array-API backend (no median in the standard).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import median_filter
    >>> median_filter(np.array([1., 1., 9., 1., 1.]), 3)
    array([1., 1., 1., 1., 1.])
    """
    be = get_backend(backend, like=field)
    mode = _check_mode(mode)
    field = be.asarray(field)
    sizes = (size,) * field.ndim if np.ndim(size) == 0 else tuple(size)
    if len(sizes) != field.ndim:
        raise ValueError(f"size must be an int or have one entry per axis ({field.ndim}); got {size!r}")
    sizes = tuple(check_int("size", s, minimum=1) for s in sizes)
    dt = _field_dtype(field)
    if be.on_host:
        import scipy.ndimage

        x = np.asarray(field, dtype=dt)
        return scipy.ndimage.median_filter(x, size=sizes, mode=mode, cval=float(cval))
    if be.name == "cupy":
        import cupyx.scipy.ndimage

        x = be.xp.astype(field, be.dtype(dt))
        return cupyx.scipy.ndimage.median_filter(x, size=sizes, mode=mode, cval=float(cval))
    raise NotImplementedError(
        f"median_filter is not available on the {be.name!r} backend (the array API has no median); "
        "use backend='numpy' or 'cupy'"
    )
