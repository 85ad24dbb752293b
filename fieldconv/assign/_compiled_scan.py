"""The pre-pass of paint and readout: non-finite input, and particles outside a non-periodic mesh.

Finiteness is counted over contiguous ranges of the flat input, one per
thread (integer counts: any split gives the same total).  The outside pass
(non-periodic meshes only, compiled only when one is used) works on fixed
blocks of ``BLOCK`` particles; the dropped mass is summed per block and the
blocks in order, so it is the same for any number of threads.
"""

import math

import numpy as np

from . import _pool
from ._compiled_core import _cell, _dropped, _stencil, kernel

__all__ = ["scan", "BLOCK"]

BLOCK = 4096


@kernel
def _count_nonfinite(flat, i0, i1):
    """(#non-finite values, largest |finite value|) of flat[i0:i1]."""
    nb = 0
    big = 0.0
    for j in range(i0, i1):
        v = np.float64(flat[j])
        bad = (v - v) != 0  # NaN and +-inf give NaN (branch-free, vectorisable)
        nb += bad
        big = max(big, 0.0 if bad else abs(v))
    return nb, big


@kernel
def _outside_blocks(pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, p, b0, b1, nout, lo, hi, drop):
    """Blocks b0 .. b1-1: #outside particles, min/max coordinates of those, dropped mass (per block)."""
    n = pos.shape[0]
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    strides = np.ones(ndim, dtype=np.int64)
    idx = np.empty((3, 4), dtype=np.int64)
    w = np.empty((3, 4), dtype=np.float64)
    fr = np.empty(3, dtype=np.float64)
    for b in range(b0, b1):
        cnt = 0
        dsum = 0.0
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            out = False
            for a in range(ndim):
                nn = shape[a]
                c, f, far = _cell(pos, cells, use_cells, i, a, org[a], invh[a], shift, nn, False, p)
                if far:
                    out = True
                    continue
                first = c - half
                last = c - half + p - 1
                # the first tap has weight 0 exactly when f == 1 (p >= 2); the last when f == 0
                if p >= 2 and f == 1.0:
                    first += 1
                if p >= 2 and f == 0.0:
                    last -= 1
                if first < 0 or last >= nn:
                    out = True
            if not out:
                continue
            cnt += 1
            for a in range(ndim):
                if use_cells:
                    v = (np.float64(cells[i, a]) + np.float64(pos[i, a])) / invh[a] + org[a]
                else:
                    v = np.float64(pos[i, a])
                lo[b, a] = min(lo[b, a], v)
                hi[b, a] = max(hi[b, a], v)
            m = wscale
            if use_w:
                m = np.float64(wts[i]) * wscale
            far = _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides,
                           False, p, idx, w, fr, 0, shape[0])
            dsum += m if far else _dropped(ndim, p, idx, w, m)
        nout[b] = cnt
        drop[b] = dsum


def scan(pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, periodic, p):
    """Pre-pass: (#non-finite coordinates, #non-finite weights, #outside, lo, hi, dropped mass).

    #non-finite coordinates is -1 when the positions are finite but a grid
    coordinate ``(x - origin) / h`` is not (then the last entry is the
    largest ``|x|``).

    A non-periodic particle is outside when a tap with a nonzero weight falls
    outside the mesh; lo/hi are the min/max per axis of the outside
    particles' coordinates; the dropped mass is the weight of those taps.
    Run inside ``backend.kernel_threads()``.
    """
    n, ndim = pos.shape
    nt = _pool.num_threads(max(1, n // BLOCK))
    flat = pos.reshape(-1)
    cut = _pool.split(flat.shape[0], nt)
    parts = _pool.run(lambda t: _count_nonfinite(flat, cut[t], cut[t + 1]), nt)
    bad_x = sum(b for b, _ in parts)
    big = max((m for _, m in parts), default=0.0)
    bad_w = 0
    if use_w:
        cw = _pool.split(wts.shape[0], nt)
        bad_w = sum(b for b, _ in _pool.run(lambda t: _count_nonfinite(wts, cw[t], cw[t + 1]), nt))
    lo = np.full(ndim, np.inf)
    hi = np.full(ndim, -np.inf)
    if not use_cells and not bad_x and not math.isfinite((float(big) + float(np.abs(org).max())) * float(invh.max())):
        # (x - origin) / h overflows float64: no cell can be computed for such a position
        return -1, bad_w, 0, lo, hi, big
    if periodic or bad_x or bad_w or n == 0:
        return bad_x, bad_w, 0, lo, hi, 0.0
    nblk = (n + BLOCK - 1) // BLOCK
    nout = np.zeros(nblk, dtype=np.int64)
    blo = np.full((nblk, ndim), np.inf)
    bhi = np.full((nblk, ndim), -np.inf)
    drop = np.zeros(nblk)
    cut = _pool.split(nblk, nt)
    shape = np.asarray(shape, dtype=np.int64)
    _pool.run(lambda t: _outside_blocks(pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, p,
                                        cut[t], cut[t + 1], nout, blo, bhi, drop), nt)
    dsum = 0.0
    for d in drop.tolist():  # blocks in order: the same sum for any thread count
        dsum += d
    return bad_x, bad_w, int(nout.sum()), blo.min(axis=0), bhi.max(axis=0), dsum
