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
    p = np.arange(-lo, n + hi, dtype=np.int64)
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


# ---------------------------------------------------------------------- 1-D primitive
def _check_origin1d(origin, K, name="origin"):
    origin = check_int(name, origin)
    if not -(K // 2) <= origin <= (K - 1) // 2:
        raise ValueError(
            f"{name} must lie in [{-(K // 2)}, {(K - 1) // 2}] for a kernel of length {K}; got {origin}"
        )
    return origin


def _corr1d_host(x, w, axis, off, mode, cval, dst):
    """Host correlation of contiguous `x` (working dtype) along `axis` into `dst`."""
    n = x.shape[axis]
    K = w.shape[0]
    idx = _extension_index(n, off, K - 1 - off, mode)
    a = math.prod(x.shape[:axis])
    b = math.prod(x.shape[axis + 1 :])
    wt = w.astype(x.dtype)
    c = x.dtype.type(cval)
    nb = _nb()
    if b == 1:
        nb.corr1d_last(x.reshape(a, n), wt, idx, c, dst.reshape(a, n))
    else:
        nb.corr1d_strided(x.reshape(a, n, b), wt, idx, c, dst.reshape(a, n, b))
    return dst


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
    On host backends a compiled FIR runs in parallel over lines; for an
    `axis` that is not the last, whole contiguous rows are combined at once
    (``out[.., i, :] = sum_j w[j] * f[.., idx(i + j), :]``), so no strided
    line is ever gathered.  Sums are accumulated in the working dtype:
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
