"""Finite-difference coefficient tables: the single source of stencil weights.

Central differences are derived exactly (rational arithmetic) from Taylor
expansion: the weights ``c[m]``, ``m = -r..r``, of order ``p = 2r`` for the
``d``-th derivative solve ``sum_m c[m] m**q / q! = delta(q, d)`` for
``q = 0..2r`` (Fornberg 1988, equispaced case).  The compact isotropic
Laplacians (2D 9-point, 3D 19- and 27-point) are tabulated with their
normalisation; their leading error term is ``h**2/12 * nabla^4`` (isotropic
to that order), see Patra & Karttunen, Numer. Methods PDE 22 (2006) 936.
"""

from fractions import Fraction
from functools import lru_cache

import numpy as np

__all__ = ["central_difference", "compact_laplacian", "laplacian_weights", "ORDERS"]

#: Accuracy orders of the central differences.
ORDERS = (2, 4, 6)


@lru_cache(maxsize=None)
def _central_fractions(deriv, order):
    r = order // 2 + (1 if deriv > 2 else 0)
    offsets = list(range(-r, r + 1))
    n = len(offsets)
    # Solve A c = b exactly, A[q][j] = m_j**q / q!
    fact = [1]
    for q in range(1, n):
        fact.append(fact[-1] * q)
    a = [[Fraction(m**q, fact[q]) for m in offsets] + [Fraction(int(q == deriv))] for q in range(n)]
    for col in range(n):
        piv = next(i for i in range(col, n) if a[i][col] != 0)
        a[col], a[piv] = a[piv], a[col]
        for i in range(n):
            if i != col and a[i][col] != 0:
                f = a[i][col] / a[col][col]
                a[i] = [x - f * y for x, y in zip(a[i], a[col])]
    return tuple(a[i][n] / a[i][i] for i in range(n))


def central_difference(deriv, order):
    """Weights of the centred difference for the `deriv`-th derivative.

    Parameters
    ----------
    deriv : {1, 2}
        Derivative order.
    order : {2, 4, 6}
        Accuracy order (error ``O(h**order)``).

    Returns
    -------
    ndarray, float64, shape (order + 1,)
        ``w[m + r]`` multiplies ``f[i + m]`` (correlation sense) for unit
        spacing; divide by ``h**deriv``.

    Examples
    --------
    >>> central_difference(2, 2)
    array([ 1., -2.,  1.])
    >>> central_difference(1, 4) * 12
    array([ 1., -8.,  0.,  8., -1.])
    """
    if deriv not in (1, 2):
        raise ValueError(f"deriv must be 1 or 2; got {deriv!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of 2, 4, 6; got {order!r}")
    return np.array([float(c) for c in _central_fractions(deriv, order)])


def compact_laplacian(ndim, points):
    """Compact isotropic Laplacian weights on a 3**ndim block, unit spacing.

    Parameters
    ----------
    ndim : {2, 3}
    points : {9} for 2D, {19, 27} for 3D

    Returns
    -------
    ndarray, float64, shape (3,) * ndim
        Symmetric weights (correlation and convolution agree); divide by h**2.

    Examples
    --------
    >>> compact_laplacian(2, 9) * 6
    array([[  1.,   4.,   1.],
           [  4., -20.,   4.],
           [  1.,   4.,   1.]])
    """
    # weight by number of non-zero offsets: (centre, face, edge, corner), and normalisation
    table = {(2, 9): ((-20, 4, 1), 6), (3, 19): ((-24, 2, 1, 0), 6), (3, 27): ((-128, 14, 3, 1), 30)}
    if (ndim, points) not in table:
        raise ValueError(
            f"points must be 9 for ndim=2 or 19/27 for ndim=3; got points={points!r} with ndim={ndim!r}"
        )
    coeffs, norm = table[(ndim, points)]
    idx = np.indices((3,) * ndim) - 1
    nonzero = np.sum(idx != 0, axis=0)
    return np.choose(nonzero, coeffs).astype(np.float64) / norm


def laplacian_weights(ndim, spacing, order=2, points=None):
    """Dense weights of the finite-difference Laplacian: the one stencil builder.

    Shared by :func:`fieldconv.kernels.laplacian` (as a Kernel) and
    :func:`fieldconv.stencil.laplacian` (as taps).

    Parameters
    ----------
    ndim : int
    spacing : tuple of float, one per axis
    order : {2, 4, 6}
        Accuracy order of the star stencil.
    points : int, optional
        None or ``ndim * order + 1``: the star; 9 (2-D), 19 or 27 (3-D) with
        ``order=2``: the compact isotropic stencils (equal spacing).

    Returns
    -------
    weights : ndarray, float64, shape ``(2 r + 1,) * ndim``
        Correlation (= convolution: symmetric) weights, divided by ``h**2``.
    points : int
        The number of points of the stencil built.

    Raises
    ------
    ValueError
        A bad `order`, or `points` not among the valid choices for this
        `ndim` and `order` (the compact stencils are second order).
    NotImplementedError
        A compact stencil with unequal spacing.
    """
    if isinstance(order, (bool, np.bool_)) or order not in ORDERS:
        raise ValueError(f"order must be one of 2, 4, 6; got {order!r}")
    star = ndim * order + 1
    compact = {2: (9,), 3: (19, 27)}.get(ndim, ())
    if points is None or (points == star and not (order == 2 and points in compact)):
        c = central_difference(2, order)
        r = order // 2
        w = np.zeros((2 * r + 1,) * ndim)
        for a in range(ndim):
            sl = [r] * ndim
            sl[a] = slice(None)
            w[tuple(sl)] += c / spacing[a] ** 2
        return w, star
    if points in compact and order == 2:
        if len(set(spacing)) != 1:
            raise NotImplementedError(
                f"the compact {points}-point Laplacian needs equal spacing on every axis; got spacing={tuple(spacing)}: "
                "use the star stencil (points=None) for anisotropic grids"
            )
        return compact_laplacian(ndim, points) / spacing[0] ** 2, points
    choices = sorted({star, *compact}) if order == 2 else [star]
    raise ValueError(
        f"points must be one of {choices} for ndim={ndim}, order={order} "
        f"(compact stencils are order 2); got {points!r}"
    )
