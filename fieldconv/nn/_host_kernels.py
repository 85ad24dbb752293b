"""Compiled host kernels of the memory-bound layers (pooling, ReLU, batch-norm statistics).

The layers of :mod:`fieldconv.nn` are written once on the array API; on host
backends (``backend.on_host``: NumPy arrays) the layers below call these
numba kernels instead, which read each value once and run the rows of a
batch in parallel (``prange``), where the NumPy expressions take two to
four passes on one thread.  Each kernel computes exactly what the generic
expression does (the same maximum and the same first-maximum index; sums
in float64, rounded once): tests run both paths on the same data.  Imported lazily, on the first host call; compiled once per machine
under the package's numba policy (:func:`fieldconv._jit.jit`: on-disk cache, or none where no
folder is writable).

Private module.
"""

import numpy as np

from .._jit import jit, prange

__all__ = [
    "relu_forward",
    "maxpool_forward",
    "maxpool_backward",
    "region_forward",
    "region_backward",
    "relu_backward",
    "channel_moments",
    "channel_affine",
    "bn_gradient_sums",
    "bn_input_gradient",
]


@jit(parallel=True)
def _maxpool_fwd(x, k, out, idx, keep):
    rows = x.shape[0]
    lo = out.shape[1]
    for r in prange(rows):
        xr = x[r]
        o = out[r]
        ix = idx[r]
        if k == 2:
            for t in range(lo):
                a = xr[2 * t]
                b = xr[2 * t + 1]
                m = b > a  # strict: the first maximum wins
                o[t] = b if m else a
                if keep:
                    ix[t] = m
        else:
            for t in range(lo):
                best = xr[k * t]
                arg = 0
                for j in range(1, k):
                    v = xr[k * t + j]
                    if v > best:
                        best = v
                        arg = j
                o[t] = best
                if keep:
                    ix[t] = arg


def maxpool_forward(x, k, keep):
    """(R, L) -> (R, L // k): maxima of adjacent windows of `k` points (stride k, no padding); idx int8."""
    rows, length = x.shape
    lo = length // k
    out = np.empty((rows, lo), dtype=x.dtype)
    idx = np.empty((rows, lo) if keep else (rows, 1), dtype=np.int8)
    _maxpool_fwd(x, k, out, idx, keep)
    return out, (idx if keep else None)


@jit(parallel=True)
def _maxpool_bwd(g, idx, k, dx):
    rows, lo = g.shape
    length = dx.shape[1]
    for r in prange(rows):
        d = dx[r]
        for i in range(length):
            d[i] = 0
        for t in range(lo):
            d[k * t + idx[r, t]] = g[r, t]


def maxpool_backward(g, idx, k, length):
    """Gradient of :func:`maxpool_forward` for the output gradient `g` (R, L // k)."""
    dx = np.empty((g.shape[0], length), dtype=g.dtype)
    _maxpool_bwd(g, idx, k, dx)
    return dx


@jit(parallel=True)
def _region_fwd(x, starts, stops, is_max, out, idx):
    rows = x.shape[0]
    n = starts.shape[0]
    for r in prange(rows):
        xr = x[r]
        for b in range(n):
            if is_max:
                best = xr[starts[b]]
                arg = 0
                for i in range(starts[b] + 1, stops[b]):
                    if xr[i] > best:
                        best = xr[i]
                        arg = i - starts[b]
                out[r, b] = best
                idx[r, b] = arg
            else:
                acc = 0.0
                for i in range(starts[b], stops[b]):
                    acc += xr[i]
                out[r, b] = acc / (stops[b] - starts[b])


def region_forward(x, starts, stops, is_max):
    """(R, L) -> (R, n): mean or maximum of ``x[:, starts[b]:stops[b]]``; argmax (int64) for max."""
    rows, n = x.shape[0], starts.shape[0]
    out = np.empty((rows, n), dtype=x.dtype)
    idx = np.empty((rows, n) if is_max else (1, 1), dtype=np.int64)
    _region_fwd(x, starts, stops, is_max, out, idx)
    return out, (idx if is_max else None)


@jit(parallel=True)
def _region_bwd(g, starts, stops, is_max, idx, dx):
    rows, length = dx.shape
    n = starts.shape[0]
    for r in prange(rows):
        for i in range(length):
            dx[r, i] = 0
        for b in range(n):
            if is_max:
                dx[r, starts[b] + idx[r, b]] += g[r, b]
            else:
                v = g[r, b] / (stops[b] - starts[b])
                for i in range(starts[b], stops[b]):
                    dx[r, i] += v


def region_backward(g, starts, stops, is_max, idx, length):
    """Gradient of :func:`region_forward`."""
    dx = np.empty((g.shape[0], length), dtype=g.dtype)
    _region_bwd(g, starts, stops, is_max, idx if is_max else np.zeros((1, 1), np.int64), dx)
    return dx


@jit(parallel=True)
def _relu_fwd(x, out):
    n = x.shape[0]
    for i in prange(n):
        v = x[i]
        out[i] = 0 if v <= 0 else v  # NaN stays NaN, as numpy.maximum(x, 0)


def relu_forward(x):
    """``max(x, 0)`` of a contiguous array."""
    out = np.empty_like(x)
    _relu_fwd(x.reshape(-1), out.reshape(-1))
    return out


@jit(parallel=True)
def _relu_bwd(y, g, out):
    n = y.shape[0]
    for i in prange(n):
        out[i] = g[i] if y[i] > 0 else 0


def relu_backward(y, g):
    """``g * (y > 0)`` for flat contiguous arrays."""
    out = np.empty_like(g)
    _relu_bwd(y.reshape(-1), g.reshape(-1), out.reshape(-1))
    return out


@jit(parallel=True)
def _moments(x, s1, s2):
    b, c, length = x.shape
    for ch in prange(c):
        a1 = 0.0
        a2 = 0.0
        for i in range(b):
            row = x[i, ch]
            for t in range(length):
                v = row[t]
                a1 += v
                a2 += v * v
        s1[ch] = a1
        s2[ch] = a2


def channel_moments(x):
    """Per-channel sums of ``x`` and ``x^2`` over batch and length (B, C, L), accumulated in float64."""
    c = x.shape[1]
    s1 = np.empty(c)
    s2 = np.empty(c)
    _moments(x, s1, s2)
    return s1, s2


@jit(parallel=True)
def _affine(x, a, c, out):
    b, ch, length = x.shape
    for i in prange(b):
        for k in range(ch):
            ak = a[k]
            ck = c[k]
            for t in range(length):
                out[i, k, t] = x[i, k, t] * ak + ck


def channel_affine(x, a, c):
    """``x * a[c] + c[c]`` per channel of (B, C, L) (a, c in x's dtype)."""
    out = np.empty_like(x)
    _affine(x, a, c, out)
    return out


@jit(parallel=True)
def _bn_sums(g, x, mean, s1, s2):
    b, c, length = x.shape
    for k in prange(c):
        a1 = 0.0
        a2 = 0.0
        m = mean[k]
        for i in range(b):
            for t in range(length):
                gv = g[i, k, t]
                a1 += gv
                a2 += gv * (x[i, k, t] - m)
        s1[k] = a1
        s2[k] = a2


def bn_gradient_sums(g, x, mean):
    """Per channel ``sum g`` and ``sum g (x - mean)`` over batch and length, in float64."""
    c = x.shape[1]
    s1 = np.empty(c)
    s2 = np.empty(c)
    _bn_sums(g, x, mean, s1, s2)
    return s1, s2


@jit(parallel=True)
def _bn_dx(g, x, mean, scale, gmean, coef, out):
    b, c, length = x.shape
    for i in prange(b):
        for k in range(c):
            m, sc, gm, co = mean[k], scale[k], gmean[k], coef[k]
            for t in range(length):
                out[i, k, t] = sc * (g[i, k, t] - gm - (x[i, k, t] - m) * co)


def bn_input_gradient(g, x, mean, scale, gmean, coef):
    """``scale * (g - gmean - (x - mean) * coef)`` per channel (the batch-norm input gradient)."""
    out = np.empty_like(g)
    _bn_dx(g, x, mean, scale, gmean, coef, out)
    return out
