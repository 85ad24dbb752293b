"""The generic (array-API / GPU) path of paint and readout: tap arrays, no compiled code.

Weights come from :func:`fieldconv._windows.bspline_weights`; painting adds
the contributions with the backend's ``scatter_add`` capability (CuPy:
``cupyx.scatter_add``; the array API: a sorted float64 cumulative sum).
"""

import math

import numpy as np

from .._windows import bspline_weights
from ._inputs import raise_scan

__all__ = ["taps_generic", "combos", "generic_checks", "paint_generic", "readout_generic"]


def taps_generic(be, pos, origin, h, shape, periodic, p, deriv=-1):
    """Per axis: list of (index array int64, weight array float64, valid mask or None)."""
    xp = be.xp
    f64 = be.dtype(np.float64)
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    out = []
    for a, n in enumerate(shape):
        u = (xp.astype(pos[:, a], f64) - origin[a]) / h[a]
        if periodic:  # wrap first (remainder is exact), shift after: positions far away land where they are
            u = xp.remainder(u, float(n))
            u = xp.where(u >= n, u - n, u)
            t = u - shift
            t = xp.where(t < 0, t + n, t)
            t = xp.where(t >= n, t - n, t)
        else:
            t = xp.clip(u - shift, -float(p + 2), float(n + p + 2))
        c = xp.floor(t)
        f = t - c
        ws = bspline_weights(xp, p, f, deriv == a)
        taps = []
        for k in range(p):
            j = c + (k - half)
            if periodic:
                j = j - n * xp.floor(j / n)
                valid = None
            else:
                valid = (j >= 0) & (j < n)
                j = xp.where(valid, j, xp.zeros_like(j))
            taps.append((xp.astype(j, be.dtype(np.int64)), ws[k], valid))
        out.append(taps)
    return out




def combos(taps, shape):
    """Yield (flat index, weight product, valid) for every tap combination."""
    strides = [math.prod(shape[a + 1 :]) for a in range(len(shape))]

    def rec(a, idx, wt, valid):
        if a == len(shape):
            yield idx, wt, valid
            return
        for j, w, v in taps[a]:
            nidx = j * strides[a] if idx is None else idx + j * strides[a]
            nw = w if wt is None else wt * w
            nv = v if valid is None else (valid if v is None else valid & v)
            yield from rec(a + 1, nidx, nw, nv)

    yield from rec(0, None, None, None)


def generic_checks(be, pos, w, origin, h, shape, periodic, p, outside):
    xp = be.xp
    bad_x = int(xp.sum(xp.astype(~xp.isfinite(pos), be.dtype(np.int64))))
    bad_w = 0 if w is None else int(xp.sum(xp.astype(~xp.isfinite(w), be.dtype(np.int64))))
    if bad_x or bad_w:
        raise_scan(bad_x, bad_w, 0, None, None, origin, h, shape, p, outside)
    if pos.shape[0]:
        big = float(xp.max(xp.abs(xp.astype(pos, be.dtype(np.float64)))))
        if not math.isfinite((big + max(abs(o) for o in origin)) / min(h)):
            raise_scan(-1, 0, 0, None, None, origin, h, shape, p, outside, big=big)
    if periodic:
        return 0
    f64 = be.dtype(np.float64)
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    outm = None
    for a, n in enumerate(shape):
        t = (xp.astype(pos[:, a], f64) - origin[a]) / h[a] - shift
        c = xp.floor(t)
        f = t - c
        first = c - half
        last = c - half + p - 1
        if p >= 2:
            first = xp.where(f == 1.0, first + 1, first)
            last = xp.where(f == 0.0, last - 1, last)
        o = (first < 0) | (last >= n)
        outm = o if outm is None else outm | o
    nout = int(xp.sum(xp.astype(outm, be.dtype(np.int64))))
    if nout and outside == "raise":
        big = xp.asarray(np.inf, dtype=f64, device=be.device)
        lo = [float(xp.min(xp.where(outm, xp.astype(pos[:, a], f64), big))) for a in range(len(shape))]
        hi = [float(xp.max(xp.where(outm, xp.astype(pos[:, a], f64), -big))) for a in range(len(shape))]
        raise_scan(0, 0, nout, lo, hi, origin, h, shape, p, outside)
    return nout


def paint_generic(be, pos, w, origin, h, shape, periodic, p, scale, dt, outside, out):
    xp = be.xp
    f64 = be.dtype(np.float64)
    nout = generic_checks(be, pos, w, origin, h, shape, periodic, p, outside)
    m = None if w is None else xp.astype(w, f64) * scale
    size = math.prod(shape)
    idx_all, val_all = [], []
    dropped = 0.0
    for idx, wt, valid in combos(taps_generic(be, pos, origin, h, shape, periodic, p), shape):
        val = wt * scale if m is None else wt * m
        if valid is not None:
            dropped += float(xp.sum(xp.where(valid, xp.zeros_like(val), val))) / scale
            val = xp.where(valid, val, xp.zeros_like(val))
        idx_all.append(idx)
        val_all.append(val)
    flat = be.scatter_add(xp.concat(idx_all), xp.concat(val_all), size)
    mesh = xp.astype(xp.reshape(flat, shape), be.dtype(dt))
    if out is not None:
        out[...] = out + mesh
        mesh = out
    return mesh, dropped, nout


def readout_generic(be, mesh, pos, origin, h, shape, periodic, p, deriv, scale, dt):
    """Interpolant (or its `deriv` derivative) of `mesh` at `pos`, accumulated in float64."""
    xp = be.xp
    f64 = be.dtype(np.float64)
    flat = xp.astype(xp.reshape(mesh, (-1,)), f64)
    acc = None
    for idx, wt, valid in combos(taps_generic(be, pos, origin, h, shape, periodic, p, deriv), shape):
        v = xp.take(flat, idx) * wt
        if valid is not None:
            v = xp.where(valid, v, xp.zeros_like(v))
        acc = v if acc is None else acc + v
    return xp.astype(acc * scale, be.dtype(dt))
