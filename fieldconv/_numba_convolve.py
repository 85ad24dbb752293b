"""Compiled host kernels of :mod:`fieldconv.convolution` (private).

Imported lazily, on the first call that takes a host fast path, so that
``import fieldconv`` never imports numba.  Every kernel is a plain FIR sum
written so that its innermost loop runs along the contiguous (last) axis of
its arrays, which LLVM vectorises; the outer loop is a ``prange``.

Accumulation happens in the dtype of the arrays passed (float32 for float32
fields): see the "dtype" section of ``docs/convolution.md`` for the bound.
"""

import numba
import numpy as np

__all__ = ["corr1d_last", "corr1d_strided", "corr_valid_2d", "corr_valid_3d"]

#: Length of the contiguous tile processed at once by the strided 1-D kernel
#: (4 KiB of float32 / 8 KiB of float64 accumulators stay in L1).
_TILE = 1024


@numba.njit(cache=True, parallel=True, fastmath=False)
def corr1d_last(src, w, idx, cval, out):
    """1-D correlation along the last (contiguous) axis of 2-D `src`.

    ``out[l, i] = sum_j w[j] * ext[l, i + j]`` where ``ext[l, q] = src[l, idx[q]]``
    (``idx[q] < 0`` means the constant `cval`).  Parallel over lines ``l``.
    """
    m, n = src.shape
    K = w.shape[0]
    L = n + K - 1
    for line in numba.prange(m):
        buf = np.empty(L, dtype=src.dtype)
        for q in range(L):
            s = idx[q]
            buf[q] = src[line, s] if s >= 0 else cval
        acc = np.zeros(n, dtype=src.dtype)
        for j in range(K):
            wj = w[j]
            for i in range(n):
                acc[i] += wj * buf[i + j]
        for i in range(n):
            out[line, i] = acc[i]


@numba.njit(cache=True, parallel=True, fastmath=False)
def corr1d_strided(src, w, idx, cval, out):
    """1-D correlation along axis 1 of 3-D `src` (shape ``(a, n, b)``, ``b`` contiguous).

    Several lines are processed at once: output row ``out[o, i, :]`` is the
    weighted sum of the input rows ``src[o, idx[i + j], :]``, so the inner
    loop streams along the contiguous axis instead of gathering strided lines.
    Parallel over the ``a * n`` output rows, tiled along ``b``.
    """
    a, n, b = src.shape
    K = w.shape[0]
    for t in numba.prange(a * n):
        o = t // n
        i = t - o * n
        acc = np.empty(min(b, _TILE), dtype=src.dtype)
        for k0 in range(0, b, _TILE):
            k1 = min(b, k0 + _TILE)
            nb = k1 - k0
            for k in range(nb):
                acc[k] = 0
            for j in range(K):
                wj = w[j]
                s = idx[i + j]
                if s >= 0:
                    for k in range(nb):
                        acc[k] += wj * src[o, s, k0 + k]
                else:
                    c = wj * cval
                    for k in range(nb):
                        acc[k] += c
            for k in range(nb):
                out[o, i, k0 + k] = acc[k]


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
