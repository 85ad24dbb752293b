r"""Filters that are not convolutions with a small kernel: spectral LES filters, the median, Laplacian smoothing.

Spectral LES filters on periodic grids: sharp cut-off, Gaussian, top-hat.

The filters of large-eddy simulation with filter width :math:`\Delta`
(Pope, *Turbulent Flows*, 2000, Table 13.2), applied in Fourier space on a
periodic grid: ``filtered = irfftn(H(k) * rfftn(field))``.  ``k`` is the
angular wavenumber (rad per length) of :meth:`Backend.kgrid`; ``width`` and
``spacing`` are in the same length unit.

==============  ==========================================================
kind            transfer function ``H(k)`` (per axis ``a``, width ``D_a``)
==============  ==========================================================
``"sharp"``     1 where ``sum_a (k_a D_a / pi)**2 < 1``, else 0 (cut-off
                ``k_c = pi / D``; spherical for equal widths)
``"gaussian"``  ``exp(-sum_a k_a**2 D_a**2 / 24)`` (real-space Gaussian of
                standard deviation ``D / sqrt(12)``, the same second
                moment as the top-hat)
``"top-hat"``   ``prod_a sin(k_a D_a / 2) / (k_a D_a / 2)``: the exact
                average over a cell of width ``D`` of the band-limited
                (trigonometric) interpolant of the field
``"box"``       ``prod_a sin(n_a k_a h_a / 2) / (n_a sin(k_a h_a / 2))``,
                ``n_a = D_a / h_a`` an odd integer: the discrete top-hat,
                identical to the real-space moving average over ``n_a``
                grid points
==============  ==========================================================

``"top-hat"`` and ``"box"`` differ by ``O((k h)**2)``: the continuous
average of the interpolant is not the mean of the ``n`` samples (the latter
is the midpoint rule for the former).  Every ``H`` is real and even in each
``k_a``, so a real field stays real, and the Nyquist mode of an even-size
axis (``k = pi/h``, stored once in the rfft layout) is scaled by the same
real ``H`` as its alias ``-pi/h``: no special case is needed.  ``H(0) = 1``
for every kind: the mean is preserved.

Examples
--------
>>> import numpy as np
>>> from fieldconv.filters import spectral_filter
>>> x = np.arange(16)
>>> f = np.cos(2 * np.pi * 2 * x / 16) + np.cos(2 * np.pi * 6 * x / 16)
>>> g = spectral_filter(f, 2.0, kind="sharp", backend="numpy")   # k_c = pi/2: keeps m < 4
>>> bool(np.allclose(g, np.cos(2 * np.pi * 2 * x / 16)))
True

Beside them: :func:`median_filter` (the running median, non-linear, for
despiking) and :func:`smooth_laplacian` (Laplacian-regularised smoothing,
``(I + lam L^T L) u = f`` on a periodic grid).
"""

from ._laplacian import smooth_laplacian
from ._median import median_filter
from ._spectral import FILTER_KINDS, filter_transfer_function, spectral_filter

__all__ = ["spectral_filter", "filter_transfer_function", "median_filter", "smooth_laplacian", "FILTER_KINDS"]
