"""Laplacian-regularised smoothing: ``(I + lam L^T L) u = f`` solved in Fourier space."""

import math

from .._dtypes import result_dtype
from .._units import attach, strip, strip_spacing
from .._validate import as_spacing
from ..backend import get_backend

__all__ = ["smooth_laplacian"]


def smooth_laplacian(field, lam, spacing=1.0, *, order=2, backend=None):
    """Laplacian-regularised smoothing: solve ``(I + lam L^T L) u = f`` (periodic).

    Parameters
    ----------
    field : array or Quantity, real, 1-3 axes
        Data ``f`` on a periodic cell-centred grid.
    lam : float or Quantity
        Regularisation weight (>= 0), unit length**4 (a Quantity needs a
        Quantity `spacing`).
    spacing : float or sequence of float or Quantity
        Grid spacing per axis.
    order : {2, 4, 6}
        Order of the stencil Laplacian ``L``.
    backend : str or Backend, optional

    Returns
    -------
    array, same shape and unit, dtype rule of the package
        ``u = irfftn(f_hat / (1 + lam lambda(k)^2))`` with ``lambda`` the
        stencil eigenvalue (:func:`fieldconv.stencil.laplacian_symbol`); the
        mean is preserved.

    Raises
    ------
    ValueError
        Negative or non-finite `lam`, bad spacing/order, a field of ndim > 3.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.filters import smooth_laplacian
    >>> u = smooth_laplacian(np.ones(8), 3.0, backend="numpy")
    >>> bool(np.allclose(u, 1.0))
    True
    """
    from ..stencil import laplacian_symbol

    field, unit = strip(field, "field")
    spacing, lunit = strip_spacing(spacing, dimension="length")
    if lunit is not None:
        lam = strip(lam, "lam", lunit**4)[0]
    else:
        lam, lam_unit = strip(lam, "lam")
        if lam_unit is not None:
            raise ValueError("lam is a Quantity but spacing is not: give spacing with units too")
    be = get_backend(backend, like=field)
    f = be.asarray(field)
    if f.ndim < 1 or f.ndim > 3:
        raise ValueError(f"field must be 1-, 2- or 3-dimensional; got ndim={f.ndim}")
    dt = result_dtype(f.dtype)
    if f.dtype != be.dtype(dt):
        f = be.xp.astype(f, be.dtype(dt))
    lam = float(lam)
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be finite and >= 0; got {lam!r}")
    shape = tuple(f.shape)
    sym = laplacian_symbol(shape, as_spacing(spacing, len(shape)), order=order, rfft=True)
    m = be.xp.astype(be.asarray(1.0 / (1.0 + lam * sym * sym), copy=True), be.dtype(dt))
    X = be.rfftn(f)
    X = X * m
    return attach(be.irfftn(X, s=shape, overwrite_x=True), unit)
