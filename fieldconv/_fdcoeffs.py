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

__all__ = ["central_difference", "compact_laplacian", "ORDERS"]

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
