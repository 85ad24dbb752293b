"""Savitzky-Golay for non-uniformly sampled data: each local fit on the true abscissae."""

import math

import numpy as np

from .. import _sgcoeffs
from .._dtypes import result_dtype
from .._units import attach, product, strip
from .._validate import one_axis, check_monotonic
from ..backend import get_backend

__all__ = ["savgol_filter_nonuniform"]


def _nonuniform_coeffs(xv, window_length, polyorder, deriv):
    """(n, W) window start indices and float64 coefficients."""
    n = xv.shape[0]
    h = window_length // 2
    start = np.clip(np.arange(n) - h, 0, n - window_length)
    idx = start[:, None] + np.arange(window_length)[None, :]
    if deriv > polyorder:  # scipy's rule (and savgol_filter's): the derivative of a lower-degree fit is 0
        return idx, np.zeros((n, window_length))
    dx = xv[idx] - xv[:, None]
    scale = np.max(np.abs(dx), axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    V = (dx / scale)[:, :, None] ** np.arange(polyorder + 1, dtype=np.float64)
    P = np.linalg.pinv(V)  # (n, p+1, W)
    C = P[:, deriv, :] * (math.factorial(deriv) / scale**deriv)
    return idx, C


def savgol_filter_nonuniform(x_values, y, window_length, polyorder, deriv=0, *, axis=-1, backend=None):
    """Savitzky-Golay filter for non-uniformly sampled data.

    Parameters
    ----------
    x_values : array_like, shape (n,) or Quantity
        Sample positions along `axis`, strictly increasing or strictly
        decreasing (the order is kept: nothing is re-sorted).
    y : array, shape (..., n, ...), real
        Data; `axis` has length n.
    window_length : int
        Odd number of samples per local fit, ``<= n``.
    polyorder : int
        Degree of the local polynomial, ``< window_length``.
    deriv : int, optional
        Derivative order, per unit of `x_values` (default 0).
    axis : int, optional
        Axis of `y` along which `x_values` runs (default -1).
    backend : str or Backend, optional
        Backend (default: resolved from `y`).

    Returns
    -------
    array, same shape as `y`
        Dtype per the table, on the backend of `y`.

    Raises
    ------
    ValueError
        Non-monotonic, repeated or non-finite `x_values`, wrong length, even
        or too long `window_length`, ``polyorder >= window_length``.

    Notes
    -----
    Output ``i`` is the `deriv`-th derivative at ``x_i`` of the least-squares
    polynomial through the `window_length` samples centred on ``i`` (the
    first/last window at the edges, as scipy's "interp").  The fit uses
    ``t = (x - x_i) / max|x - x_i|`` and a float64 pseudo-inverse per point
    (host), so polynomials of degree ``<= polyorder`` are reproduced, and
    their derivatives returned, to rounding.  The coefficients (n x
    window_length) are then applied on the backend with ``take``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.smoothing import savgol_filter_nonuniform
    >>> xv = np.array([0.0, 0.3, 1.1, 1.5, 2.6, 3.0, 4.2])
    >>> d = savgol_filter_nonuniform(xv, xv**2, 5, 2, deriv=1)
    >>> np.allclose(d, 2 * xv)
    True
    """
    x_values, xunit = strip(x_values, "x_values")
    y, yunit = strip(y, "y")
    window_length, polyorder, deriv = _sgcoeffs.check_window(window_length, polyorder, deriv)
    be = get_backend(backend, like=y)
    xp = be.xp
    y = be.asarray(y)
    ax = one_axis(y, axis, "y")
    n = y.shape[ax]
    xv = check_monotonic(x_values, "x_values", min_points=1)
    if xv.shape[0] != n:
        raise ValueError(f"x_values must be 1-D with one entry per sample ({n}); got shape {xv.shape}")
    if window_length % 2 == 0:
        raise ValueError(f"window_length must be odd for savgol_filter_nonuniform; got {window_length}")
    if window_length > n:
        raise ValueError(f"window_length must be <= the number of samples ({n}); got {window_length}")
    dt = result_dtype(y.dtype, name="y")
    idx, C = _nonuniform_coeffs(xv, window_length, polyorder, deriv)
    ym = xp.moveaxis(xp.astype(y, be.dtype(dt)), ax, -1)
    out = None
    for j in range(window_length):
        cj = C[:, j].astype(dt)
        ij = idx[:, j]
        if be.on_host:
            term = ym[..., ij] * cj
        else:
            term = xp.take(ym, be.asarray(ij, copy=True), axis=-1) * be.asarray(cj, copy=True)
        out = term if out is None else out + term
    out = xp.moveaxis(out, -1, ax)
    return attach(out, product(yunit, (xunit, -deriv)))


