"""Periodic Green's functions of :mod:`fieldconv.poisson` (continuous, discrete, optimal), host float64.

All return the rfftn layout of the grid, for ``G = 1``, with the ``k = 0``
mode set to zero (the mean of a periodic source is dropped).
"""

import math

import numpy as np

from .._blocks import block_indices, zero_mode_position
from .._windows import aliasing_sum, window_transform
from ..stencil import gradient_symbol, laplacian_symbol

__all__ = ["real_space_coef", "continuous_green", "periodic_green", "derivative_symbol", "axis_shape"]


def real_space_coef(kernel, ndim):
    """coef of the table above, for G = 1."""
    if kernel == "newton":
        return -1.0 if ndim == 3 else 2.0 * math.pi
    if kernel == "log":
        return 1.0
    return -1.0


def continuous_green(kernel, k2):
    """Continuous Green's function (G = 1) for |k|^2 = k2 > 0 (0 where k2 == 0)."""
    with np.errstate(divide="ignore"):
        if kernel == "newton":
            g = -4.0 * math.pi / k2
        elif kernel == "log":
            g = -2.0 * math.pi / k2
        else:
            g = -2.0 * math.pi / np.sqrt(k2)
    return np.where(k2 > 0, g, 0.0)




def axis_shape(a, ndim):
    """Broadcast shape of a 1-D array along axis `a` of an `ndim`-D grid."""
    return tuple(-1 if b == a else 1 for b in range(ndim))


def _kaxis(n, h, rfft):
    m = np.arange(n // 2 + 1) if rfft else np.fft.fftfreq(n, 1.0 / n)
    return 2.0 * math.pi * m / (n * h)


def derivative_symbol(n, h, *, order, differencing, rfft):
    """``d(k)`` of the force differencing: ``k`` (Nyquist zeroed) or the central difference of `order`."""
    return gradient_symbol(n, h, order=order, rfft=rfft, spectral=differencing == "spectral")


def periodic_green(kernel, green, shape, spacing, *, order, points, p, differencing, images, block=None):
    """The periodic Green's function ``green`` in rfft layout (float64, G = 1).

    ``p`` is the assignment order (NGP..PCS: 1..4) of ``green="optimal"``.
    ``block`` (one slice per axis of the rfft layout): only that block, equal
    to the same block of the whole table (every formula is elementwise).
    """
    nd = len(shape)
    idx = block_indices(shape, block)
    zero = zero_mode_position(idx)
    ks = [_kaxis(n, hh, a == nd - 1)[idx[a]].reshape(axis_shape(a, nd))
          for a, (n, hh) in enumerate(zip(shape, spacing))]
    if green == "continuous":
        return continuous_green(kernel, sum(k * k for k in ks))
    if green == "discrete":
        lam = laplacian_symbol(shape, spacing, order=order, points=points, rfft=True, block=block)
        c = 4.0 * math.pi if kernel == "newton" else 2.0 * math.pi
        with np.errstate(divide="ignore"):
            g = np.where(lam != 0, c / lam, 0.0)
        if zero is not None:
            g[zero] = 0.0
        return g
    # Hockney & Eastwood's optimal influence function (eq. 8-22)
    d = [derivative_symbol(n, h, order=order, differencing=differencing, rfft=a == nd - 1)[idx[a]]
         .reshape(axis_shape(a, nd)) for a, (n, h) in enumerate(zip(shape, spacing))]
    d2 = sum(x * x for x in d)
    den = 1.0
    for a, k in enumerate(ks):
        den = den * aliasing_sum(k * spacing[a] / 2.0, p)
    num = 0.0
    for img in np.ndindex((2 * images + 1,) * nd):
        kn = [k + 2.0 * math.pi * (i - images) / h for k, i, h in zip(ks, img, spacing)]
        w2 = window_transform(kn, p, spacing) ** 2
        kn2 = sum(k * k for k in kn)
        num = num + w2 * sum(da * ka for da, ka in zip(d, kn)) * continuous_green(kernel, kn2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(d2 > 0, num / (d2 * den * den), 0.0)
    if zero is not None:
        g[zero] = 0.0
    return g
