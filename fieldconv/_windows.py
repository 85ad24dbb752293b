"""Mass-assignment windows: the one home of the scheme table, the B-spline
weights, their Fourier transforms and alias sums.

The window of order ``p`` (NGP 1, CIC 2, TSC 3, PCS 4) is the ``p``-fold
self-convolution of the one-cell box, the cardinal B-spline ``W_p`` of
degree ``p - 1``; its Fourier transform is ``sinc(k h / 2)**p``.  Used by
:mod:`fieldconv.assign` (painting, readout, compensation), by
:func:`fieldconv.kernels.assignment_window` and by the optimal Green's
function of :mod:`fieldconv.poisson`.  The compiled painters carry their
own scalar copy of :func:`bspline_weights` (tested against this one).

Private leaf module: NumPy only (array code takes its namespace as ``xp``).
"""

import numpy as np

__all__ = ["SCHEMES", "scheme_order", "bspline", "bspline_weights", "window_transform", "aliasing_sum", "phase_sum"]

#: Scheme name -> order p (number of cells touched per axis).
SCHEMES = {"ngp": 1, "cic": 2, "tsc": 3, "pcs": 4}


def scheme_order(scheme, name="scheme"):
    """Order ``p`` of `scheme` (case-insensitive); ``TypeError``/``ValueError`` otherwise."""
    if not isinstance(scheme, str):
        raise TypeError(f"{name} must be a string; got {scheme!r}")
    s = scheme.lower()
    if s not in SCHEMES:
        opts = ", ".join(repr(c) for c in SCHEMES)
        raise ValueError(f"{name} must be one of {opts}; got {scheme!r}")
    return SCHEMES[s]


def bspline(p, x):
    """``W_p(x)``, the cardinal B-spline of order `p` at offsets `x` (cells), float64 NumPy."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    if p == 1:
        return np.where(x < 0.5, 1.0, np.where(x == 0.5, 0.5, 0.0))
    if p == 2:
        return np.where(x < 1.0, 1.0 - x, 0.0)
    if p == 3:
        return np.where(x < 0.5, 0.75 - x**2, np.where(x < 1.5, 0.5 * (1.5 - x) ** 2, 0.0))
    return np.where(x < 1.0, (4.0 - 6.0 * x**2 + 3.0 * x**3) / 6.0, np.where(x < 2.0, (2.0 - x) ** 3 / 6.0, 0.0))


def bspline_weights(xp, p, f, deriv=False):
    """The `p` weights (or their derivatives per cell) at fraction `f` in [0, 1].

    A particle with grid coordinate ``u`` touches the nodes ``c - (p-1)//2 + k``,
    ``k = 0..p-1``, with ``c = floor(u - s)``, ``s = 1/2`` for even `p` and
    0 for odd `p`, and ``f = u - s - c``; entry ``k`` is ``W_p`` (or
    ``W_p'``) at that node.  `f` is an array of namespace `xp`.
    """
    g = 1.0 - f
    if not deriv:
        if p == 1:
            return [xp.ones_like(f)]
        if p == 2:
            return [g, f]
        if p == 3:
            d = f - 0.5
            return [0.5 * (0.5 - d) ** 2, 0.75 - d * d, 0.5 * (0.5 + d) ** 2]
        return [g**3 / 6.0, (4.0 - 6.0 * f**2 + 3.0 * f**3) / 6.0, (4.0 - 6.0 * g**2 + 3.0 * g**3) / 6.0, f**3 / 6.0]
    if p == 1:
        return [xp.zeros_like(f)]
    if p == 2:
        return [-xp.ones_like(f), xp.ones_like(f)]
    if p == 3:
        d = f - 0.5
        return [-(0.5 - d), -2.0 * d, 0.5 + d]
    return [-0.5 * g * g, (-12.0 * f + 9.0 * f * f) / 6.0, -(-12.0 * g + 9.0 * g * g) / 6.0, 0.5 * f * f]


def window_transform(ks, p, spacing):
    """``prod_a sinc(k_a h_a / 2)**p`` (``sinc(x) = sin x / x``) on host arrays, float64."""
    out = 1.0
    for ka, ha in zip(ks, spacing):
        x = 0.5 * (np.asarray(ka, dtype=np.float64) * ha)
        out = out * np.sinc(x / np.pi) ** p
    return np.asarray(out)


def aliasing_sum(x, p):
    """Jing (2005): ``sum_n sinc**(2p)(x + pi n)``, closed form in ``s = sin(x)**2``."""
    s = np.sin(x) ** 2
    if p == 1:
        return np.ones_like(s)
    if p == 2:
        return 1.0 - 2.0 / 3.0 * s
    if p == 3:
        return 1.0 - s + 2.0 / 15.0 * s**2
    return 1.0 - 4.0 / 3.0 * s + 2.0 / 5.0 * s**2 - 4.0 / 315.0 * s**3


def phase_sum(x, p, m, n, terms):
    """``sum_j exp(2 pi i m j / n) sinc**(2p)(x + pi j)`` for ``|j| <= terms`` (complex)."""
    j = np.arange(-terms, terms + 1, dtype=np.float64)
    y = x[:, None] + np.pi * j[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(y == 0.0, 1.0, np.sin(y) / np.where(y == 0.0, 1.0, y))
    return (s ** (2 * p) * np.exp(2j * np.pi * m * j / n)[None, :]).sum(axis=1)
