"""Compiled interior sums of the Savitzky-Golay filter (private, host only).

Imported on the first host call of :func:`fieldconv.smoothing.savgol_filter`
(never by ``import fieldconv``).  Why a dedicated kernel rather than
:func:`fieldconv.convolution.correlate1d`: a Savitzky-Golay kernel is
symmetric (even derivative) or antisymmetric (odd derivative), so the sum is
folded, ``c_j (x[i-j] +- x[i+j])``, halving the multiplies; only the
interior ``off <= i <= n - K + off`` is computed here (no padded copy of the
line: the few edge outputs are formed separately by the caller); and a single
long line is split into tiles so that both cores work on it (``prange`` over
(line, tile) pairs, accumulators of one tile stay in L1).

Sums accumulate in the dtype of the arrays passed (float32 for float32).
"""

import numba
import numpy as np

__all__ = ["interior_last", "interior_strided"]

_TILE = 2048


@numba.njit(cache=True, parallel=True, fastmath=False)
def interior_last(src, w, off, sym, out):
    """``out[l, i] = sum_j w[j] src[l, i + j - off]`` for interior ``i``, 2-D `src`.

    `sym` is +1 (symmetric `w`, odd length, off = K // 2), -1 (antisymmetric)
    or 0 (no folding).
    """
    m, n = src.shape
    K = w.shape[0]
    lo = off
    hi = n - K + off + 1  # exclusive
    if hi <= lo:
        return
    ntile = (hi - lo + _TILE - 1) // _TILE
    h = K // 2
    for t in numba.prange(m * ntile):
        line = t // ntile
        i0 = lo + (t % ntile) * _TILE
        i1 = min(i0 + _TILE, hi)
        L = i1 - i0
        row = src[line]
        acc = np.empty(L, dtype=src.dtype)
        if sym != 0:
            wc = w[h]
            s0 = row[i0 : i0 + L]
            for i in range(L):
                acc[i] = wc * s0[i]
            for j in range(h):
                wj = w[j]
                sa = row[i0 + j - off : i0 + j - off + L]
                sb = row[i0 + K - 1 - j - off : i0 + K - 1 - j - off + L]
                if sym > 0:
                    for i in range(L):
                        acc[i] += wj * (sa[i] + sb[i])
                else:
                    for i in range(L):
                        acc[i] += wj * (sa[i] - sb[i])
        else:
            for i in range(L):
                acc[i] = 0.0
            for j in range(K):
                wj = w[j]
                sa = row[i0 + j - off : i0 + j - off + L]
                for i in range(L):
                    acc[i] += wj * sa[i]
        dst = out[line, i0 : i0 + L]
        for i in range(L):
            dst[i] = acc[i]


@numba.njit(cache=True, parallel=True, fastmath=False)
def interior_strided(src, w, off, out):
    """Same along axis 1 of 3-D `src` ``(a, n, b)``: whole contiguous rows at once."""
    a_, n, b = src.shape
    K = w.shape[0]
    lo = off
    hi = n - K + off + 1
    if hi <= lo:
        return
    nrow = hi - lo
    for t in numba.prange(a_ * nrow):
        o = t // nrow
        i = lo + t % nrow
        acc = np.zeros(b, dtype=src.dtype)
        for j in range(K):
            wj = w[j]
            r = i + j - off
            for k in range(b):
                acc[k] += wj * src[o, r, k]
        for k in range(b):
            out[o, i, k] = acc[k]
