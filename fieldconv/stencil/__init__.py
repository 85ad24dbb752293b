"""Laplacian and gradient stencils, and their spectral counterparts.

Grids are **cell-centred**: sample ``i`` sits at ``(i + 1/2) h`` and the
boundary faces at ``0`` and ``n h``.  Boundary conditions fill ghost cells:

``"periodic"``
    ``f[-1-m] = f[n-1-m]``, ``f[n+m] = f[m]``.
``"dirichlet"``
    Zero value *on the boundary face*: antisymmetric ghost,
    ``f[-1-m] = -f[m]`` and ``f[n+m] = -f[n-1-m]``.
``"neumann"``
    Zero normal derivative (zero flux) on the boundary face: symmetric
    ghost, ``f[-1-m] = f[m]`` and ``f[n+m] = f[n-1-m]``.

A stencil of radius ``r`` needs ``r`` ghost layers, so the non-periodic
conditions need ``n >= r`` on every axis.  With these ghosts the
second-order Laplacian is the standard cell-centred finite-volume operator
(exact for the modes ``sin((j+1/2) pi q/n)`` resp. ``cos(...)``, which are its
eigenvectors).  The higher-order stencils with mirrored ghosts are formally
of order 2/4/6 in the interior and lower within ``r`` cells of a non-periodic
boundary (the mirrored ghosts are exact only for the odd resp. even
extension of the field).

Weights come from :mod:`fieldconv._fdcoeffs` (the single source, shared with
:func:`fieldconv.kernels.laplacian`, which *builds* the same stencil as a
Kernel; functions here *apply* it): star stencils of order 2/4/6 along each
axis (3/5/7 points per axis, any spacing per axis) and the compact
isotropic 9-point (2D), 19- and 27-point (3D) second-order Laplacians
(equal spacing only).

On host backends the stencil runs in a numba-parallel kernel writing directly
into the output (no other array of the field's size); on other backends
(CuPy, array-API namespaces) in plain array code (ghost layers by
``take``, then a weighted sum of shifted slices).

The spectral operators assume a periodic field and multiply by ``i k`` or
``-|k|^2`` (``k`` angular, rad/length).  The Nyquist mode of an even-length
axis is **zeroed in first (odd) derivatives**, because ``i k`` there has no
real-valued counterpart; the Laplacian keeps it (``-k_nyq^2``).

Layout: :mod:`._finite` (the stencils), :mod:`._spectral` (symbols and
spectral operators), :mod:`._compiled` (numba kernels).
"""

from ._finite import BCS, gradient, laplacian
from ._spectral import gradient_symbol, laplacian_symbol, spectral_gradient, spectral_laplacian

__all__ = [
    "laplacian",
    "gradient",
    "spectral_laplacian",
    "spectral_gradient",
    "laplacian_symbol",
    "gradient_symbol",
    "BCS",
]
