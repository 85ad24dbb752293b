"""Compiled host kernels of :mod:`fieldconv.convolution`.

Imported lazily, on the first call that takes a host fast path, so that
``import fieldconv`` never imports numba.  Callers run them inside
``backend.kernel_threads(work)``, which sets numba's thread count (the
package's thread policy) for the call.  Every kernel is a plain FIR sum
written so that its innermost loop runs along the contiguous (last) axis of
its arrays, which LLVM vectorises; the outer loop is a ``prange``.

Accumulation happens in the dtype of the arrays passed (float32 for float32
fields): see the "dtype" section of ``docs/convolution.md`` for the bound.
The caller passes `src` as a read-only view and everything else with fixed
types, so each kernel has one specialisation per dtype.
"""

import numba
import numpy as np

__all__ = ["corr1d_last", "corr1d_strided", "corr_valid_2d", "corr_valid_3d", "nan_split", "nan_combine"]


@numba.njit(cache=True, fastmath=False)
def _fir(row, s, w, sym, acc):
    """``acc[i] = sum_j w[j] * row[s + i + j]`` for ``i < len(acc)``.

    `sym` = +1: ``w`` is symmetric (``w[j] == w[K-1-j]``), -1: antisymmetric;
    the pairs are then folded, ``w[j] (row[.. + j] +- row[.. + K-1-j])``,
    half the multiplies.  0: plain sum.  Taps are added in a fixed order.
    """
    K = w.shape[0]
    L = acc.shape[0]
    if sym != 0:
        h = K // 2
        if K % 2 == 1:
            wc = w[h]
            sc = row[s + h : s + h + L]
            for i in range(L):
                acc[i] = wc * sc[i]
        else:
            for i in range(L):
                acc[i] = 0
        for j in range(h):
            wj = w[j]
            sa = row[s + j : s + j + L]
            sb = row[s + K - 1 - j : s + K - 1 - j + L]
            if sym > 0:
                for i in range(L):
                    acc[i] += wj * (sa[i] + sb[i])
            else:
                for i in range(L):
                    acc[i] += wj * (sa[i] - sb[i])
    else:
        for i in range(L):
            acc[i] = 0
        for j in range(K):
            wj = w[j]
            sa = row[s + j : s + j + L]
            for i in range(L):
                acc[i] += wj * sa[i]


@numba.njit(cache=True, fastmath=False)
def _edge(row, w, sym, idx, cval, i0, buf, acc, dst):
    """Edge outputs ``dst[i0 + i]`` from the slab ``ext[idx[q]]`` (``idx < 0``: `cval`).

    `buf` and `acc` are scratch of at least ``len(idx)`` and ``len(idx) - K + 1``.
    """
    P = idx.shape[0]
    L = P - w.shape[0] + 1
    b = buf[:P]
    for q in range(P):
        sq = idx[q]
        b[q] = row[sq] if sq >= 0 else cval
    a = acc[:L]
    _fir(b, 0, w, sym, a)
    for i in range(L):
        dst[i0 + i] = a[i]


@numba.njit(cache=True, parallel=True, fastmath=False)
def corr1d_last(src, w, sym, off, nlo, hi0, idx_lo, idx_hi, cval, tile, out):
    """1-D correlation along the last (contiguous) axis of 2-D `src`.

    ``out[l, i] = sum_j w[j] * ext[l, i + j - off]``, ``ext`` the boundary
    extension of line ``l``.  Outputs ``nlo <= i < hi0`` (the interior, whose
    window lies inside the line) are summed straight from `src`; the
    ``nlo`` left and ``n - hi0`` right edge outputs from small gathered slabs
    ``ext[idx_lo[q]]`` / ``ext[idx_hi[q]]`` (``idx < 0``: the constant
    `cval`) of ``nlo + K - 1`` / ``n - hi0 + K - 1`` samples.

    Work items: a line whose interior spans several tiles is split into (line, tile)
    pairs, ``tile`` interior outputs each (an L1-sized accumulator), so one
    long line keeps every thread busy; shorter lines are grouped, about
    ``tile`` samples per item, so that the scratch is allocated once per
    item.  The first tile of a line also forms its left edge, the last its
    right edge.
    """
    m, n = src.shape
    K = w.shape[0]
    nint = hi0 - nlo
    nti = (nint + tile - 1) // tile
    per = max(nti, 1)
    G = 1 if nti > 1 else max(1, tile // max(n, 1))  # lines per work item
    ngrp = (m + G - 1) // G
    P = max(idx_lo.shape[0], idx_hi.shape[0])
    for t in numba.prange(ngrp * per):
        g = t // per
        k = t - g * per
        acc = np.empty(min(tile, nint), dtype=src.dtype)
        buf = np.empty(P, dtype=src.dtype)
        eacc = np.empty(max(P - K + 1, 0), dtype=src.dtype)
        for line in range(g * G, min(m, g * G + G)):
            row = src[line]
            dst = out[line]
            if k == 0 and nlo > 0:
                _edge(row, w, sym, idx_lo, cval, 0, buf, eacc, dst)
            if k == per - 1 and hi0 < n:
                _edge(row, w, sym, idx_hi, cval, hi0, buf, eacc, dst)
            if nti > 0:
                i0 = nlo + k * tile
                L = min(tile, hi0 - i0)
                a = acc[:L]
                _fir(row, i0 - off, w, sym, a)
                for i in range(L):
                    dst[i0 + i] = a[i]


@numba.njit(cache=True, parallel=True, fastmath=False)
def corr1d_strided(src, w, sym, idx, cval, tile, out):
    """1-D correlation along axis 1 of 3-D `src` (shape ``(a, n, b)``, ``b`` contiguous).

    Several lines are processed at once: output row ``out[o, i, :]`` is the
    weighted sum of the input rows ``src[o, idx[i + j], :]`` (``idx < 0``:
    the constant `cval`), so the inner loop streams along the contiguous axis
    instead of gathering strided lines.  Parallel over the ``a * n`` output
    rows, tiled along ``b`` (``tile`` accumulators).  `sym` as in
    :func:`_fir` (the row pairs ``j``, ``K-1-j`` are folded when both lie
    inside the field).  The rows are taken as 1-D views, which LLVM
    vectorises (3-D indexing in the inner loop runs at half the speed).
    """
    a, n, b = src.shape
    K = w.shape[0]
    h = K // 2 if sym != 0 else 0
    for t in numba.prange(a * n):
        o = t // n
        i = t - o * n
        accb = np.empty(min(b, tile), dtype=src.dtype)
        for k0 in range(0, b, tile):
            nb = min(b, k0 + tile) - k0
            acc = accb[:nb]
            for k in range(nb):
                acc[k] = 0
            for j in range(K):
                wj = w[j]
                s = idx[i + j]
                if j < h:
                    s2 = idx[i + K - 1 - j]
                    if s >= 0 and s2 >= 0:
                        ra = src[o, s, k0 : k0 + nb]
                        rb = src[o, s2, k0 : k0 + nb]
                        if sym > 0:
                            for k in range(nb):
                                acc[k] += wj * (ra[k] + rb[k])
                        else:
                            for k in range(nb):
                                acc[k] += wj * (ra[k] - rb[k])
                        continue
                    # a constant sample in the pair: add the partner's tap alone
                    w2 = w[K - 1 - j]
                    if s2 >= 0:
                        rb = src[o, s2, k0 : k0 + nb]
                        for k in range(nb):
                            acc[k] += w2 * rb[k]
                    else:
                        c2 = w2 * cval
                        for k in range(nb):
                            acc[k] += c2
                elif j >= K - h:
                    continue  # folded into tap K-1-j
                if s >= 0:
                    ra = src[o, s, k0 : k0 + nb]
                    for k in range(nb):
                        acc[k] += wj * ra[k]
                else:
                    c = wj * cval
                    for k in range(nb):
                        acc[k] += c
            dst = out[o, i, k0 : k0 + nb]
            for k in range(nb):
                dst[k] = acc[k]


@numba.njit(cache=True, parallel=True, fastmath=False)
def corr_valid_2d(p, w, out):
    """``out[i, j] = sum_{a,b} w[a, b] * p[i + a, j + b]`` (valid correlation of a padded array)."""
    n0, n1 = out.shape
    K0, K1 = w.shape
    for i in numba.prange(n0):
        acc = np.zeros(n1, dtype=out.dtype)
        for a in range(K0):
            for b in range(K1):
                wv = w[a, b]
                if wv == 0:
                    continue
                for j in range(n1):
                    acc[j] += wv * p[i + a, j + b]
        for j in range(n1):
            out[i, j] = acc[j]


@numba.njit(cache=True, parallel=True, fastmath=False)
def corr_valid_3d(p, w, out):
    """``out[i, j, k] = sum_{a,b,c} w[a, b, c] * p[i + a, j + b, k + c]``."""
    n0, n1, n2 = out.shape
    K0, K1, K2 = w.shape
    for t in numba.prange(n0 * n1):
        i = t // n1
        j = t - i * n1
        acc = np.zeros(n2, dtype=out.dtype)
        for a in range(K0):
            for b in range(K1):
                for c in range(K2):
                    wv = w[a, b, c]
                    if wv == 0:
                        continue
                    for k in range(n2):
                        acc[k] += wv * p[i + a, j + b, k + c]
        for k in range(n2):
            out[i, j, k] = acc[k]


@numba.njit(cache=True, parallel=True, fastmath=False)
def nan_split(x, x0, valid):
    """``x0 = where(isnan(x), 0, x)``, ``valid = ~isnan(x)`` (as 0/1), one pass; returns the NaN count."""
    xf = x.reshape(-1)
    x0f = x0.reshape(-1)
    vf = valid.reshape(-1)
    n = xf.size
    nchunk = 64
    counts = np.zeros(nchunk, dtype=np.int64)
    step = (n + nchunk - 1) // nchunk
    for ch in numba.prange(nchunk):
        cnt = 0
        for i in range(ch * step, min(n, (ch + 1) * step)):
            v = xf[i]
            if v != v:
                x0f[i] = 0
                vf[i] = 0
                cnt += 1
            else:
                x0f[i] = v
                vf[i] = 1
        counts[ch] = cnt
    return counts.sum()


@numba.njit(cache=True, parallel=True, fastmath=False)
def nan_combine(num, den, x, tiny, scale, preserve, out):
    """``out = num / den * scale`` where ``|den| > tiny`` else NaN; NaN at NaN of `x` if `preserve`."""
    nf = num.reshape(-1)
    df = den.reshape(-1)
    xf = x.reshape(-1)
    of = out.reshape(-1)
    n = nf.size
    nchunk = 64
    step = (n + nchunk - 1) // nchunk
    nan = np.nan
    for ch in numba.prange(nchunk):
        for i in range(ch * step, min(n, (ch + 1) * step)):
            d = df[i]
            if abs(d) > tiny and not (preserve and xf[i] != xf[i]):
                of[i] = nf[i] / d * scale
            else:
                of[i] = nan
