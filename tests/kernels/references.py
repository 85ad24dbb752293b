"""Reference convolutions for the kernel tests, independent of fieldconv.convolution.

Built by direct periodic indexing with NumPy (``np.roll`` per tap), and
scipy.ndimage with the contract's origin shift where a boundary mode is needed.
"""

import math

import numpy as np

from fieldconv import kernels

EPS = np.finfo(np.float64).eps


def ref_convolve(f, K):
    """convolve(f, K)[i] = sum_j w[j] f[(i - j + o) mod n]: np.roll(f, s)[i] = f[i - s]."""
    K = kernels.as_kernel(K)
    out = np.zeros(f.shape)
    for j in np.ndindex(K.shape):
        if K.weights[j] != 0:
            out += K.weights[j] * np.roll(f, tuple(ja - oa for ja, oa in zip(j, K.origin)), axis=tuple(range(K.ndim)))
    return out


def ref_correlate(f, K):
    """correlate(f, K)[i] = sum_j w[j] f[(i + j - o) mod n]."""
    out = np.zeros(f.shape)
    for j in np.ndindex(K.shape):
        out += K.weights[j] * np.roll(f, tuple(oa - ja for ja, oa in zip(j, K.origin)), axis=tuple(range(K.ndim)))
    return out


def ndi_origin(K):
    return tuple(o - n // 2 for o, n in zip(K.origin, K.shape))


def delta_response(K, shape):
    """Response of K to a unit impulse at index 0 on a periodic grid, by direct indexing."""
    f = np.zeros(shape)
    f[(0,) * len(shape)] = 1.0
    out = np.zeros(shape)
    for i in np.ndindex(shape):
        s = 0.0
        for j in np.ndindex(K.shape):
            src = tuple((ia - ja + oa) % n for ia, ja, oa, n in zip(i, j, K.origin, shape))
            s += K.weights[j] * f[src]
        out[i] = s
    return out


def sym_tol(K, shape):
    # symbol: a sum of K.size terms |w| * |phase|, each phase exact to ~2 eps, summed in
    # float64: |error| <= (size + 4) eps sum|w|; the FFT of the delta response adds
    # ~ 5 eps log2 N sum|w|.
    n = max(2, math.prod(shape))
    return (K.size + 4 + 5 * math.log2(n)) * EPS * float(np.sum(np.abs(K.weights)))

