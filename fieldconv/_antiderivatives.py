"""Closed-form antiderivatives of the free-space Green's kernels over boxes.

``box_antiderivative(kernel, ndim, c)`` is a function ``F`` with
``d^d F / dx_1 ... dx_d = f`` for the kernels ``f`` of
:mod:`fieldconv.poisson` (3-D ``1/r``: MacMillan 1930; 2-D ``ln r`` and
``1/r``; 1-D ``|x|``), so the integral of ``f`` over a box is the
inclusion-exclusion sum of ``F`` over its corners.  Used by the isolated
"integrated" Green's function and by the closed-form cube potential of
:mod:`fieldconv.validation`.

Private leaf module: NumPy only.
"""

import numpy as np

__all__ = ["box_antiderivative"]


def box_antiderivative(kernel, ndim, c):
    """Antiderivative F with d^d F / dx1..dxd = f, at corner coordinates c (list of arrays, none zero)."""
    if ndim == 1:
        x = c[0]
        return x * np.abs(x) / 2.0
    if ndim == 2:
        x, y = c
        if kernel == "log":
            return x * y * (np.log(x * x + y * y) - 3.0) / 2.0 + x * x / 2.0 * np.arctan(y / x) + y * y / 2.0 * np.arctan(
                x / y
            )
        return x * np.arcsinh(y / np.abs(x)) + y * np.arcsinh(x / np.abs(y))
    x, y, z = c
    r = np.sqrt(x * x + y * y + z * z)
    return (
        y * z * np.arcsinh(x / np.hypot(y, z))
        + x * z * np.arcsinh(y / np.hypot(x, z))
        + x * y * np.arcsinh(z / np.hypot(x, y))
        - x * x / 2.0 * np.arctan(y * z / (x * r))
        - y * y / 2.0 * np.arctan(x * z / (y * r))
        - z * z / 2.0 * np.arctan(x * y / (z * r))
    )

