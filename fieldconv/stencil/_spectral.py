"""Fourier symbols of the stencils, and the spectral derivatives they approximate.

Symbols are exact eigenvalues on periodic grids (the phase of each tap is
reduced exactly before the cosine/sine).  ``k`` is angular (rad/length); the
Nyquist mode is zeroed in first (odd) derivatives and kept in the Laplacian.
"""

import math

import numpy as np

from .._blocks import block_indices, zero_mode_position
from .._dtypes import result_dtype
from .._fdcoeffs import central_difference
from .._spectral_checks import check_not_empty, check_transform_finite
from .._units import attach, attach_all, product, strip_spacing
from .._validate import as_spacing, check_int, check_order
from ..backend import get_backend
from ._finite import _units, laplacian_taps

__all__ = ["laplacian_symbol", "gradient_symbol", "spectral_laplacian", "spectral_gradient"]


def _on(backend, host):
    """`host` (a NumPy array or Quantity) as it is, or moved explicitly to `backend`."""
    if backend is None:
        return host
    be = get_backend(backend)
    value = getattr(host, "value", host)
    moved = value if be.on_host else be.asarray(value, copy=True)
    return attach(moved, getattr(host, "unit", None))


# ---------------------------------------------------------------------------- symbols
def _phase_cos_sin(n, m_off, rfft):
    """cos and sin of 2 pi q m_off / n for the FFT mode indices q (exact phase reduction)."""
    q = np.arange(n // 2 + 1) if rfft else np.fft.fftfreq(n, 1.0 / n).astype(np.int64)
    ph = 2.0 * math.pi * ((q * m_off) % n) / n
    return np.cos(ph), np.sin(ph)


def _symbol_shape(shape):
    """`shape` as a tuple of 1-3 positive ints (the grids the stencil Laplacians are defined on)."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"shape must be a sequence of 1-3 positive ints; got {shape!r}")
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"shape must have 1, 2 or 3 axes; got {tuple(shape)!r}")
    return tuple(check_int(f"shape[{a}]", n, minimum=1) for a, n in enumerate(shape))


def laplacian_symbol(shape, spacing=1.0, *, order=2, points=None, rfft=True, block=None, backend=None):
    """Fourier symbol (eigenvalues) of the stencil Laplacian on a periodic grid.

    Parameters
    ----------
    shape : tuple of int
        Grid shape (1-3 axes).
    spacing : float or sequence of float
    order, points : as in :func:`laplacian`
    rfft : bool
        True: the last axis has ``n//2 + 1`` entries (``rfftn`` layout).
    block : tuple of slice, optional
        One slice per axis of the FFT layout: return only that block of the
        symbol (the part one rank of :mod:`fieldconv.distributed` holds),
        equal to the same block of the whole symbol, bit for bit.  Default:
        the whole symbol.
    backend : str or Backend, optional
        Where the result lives (default: a host NumPy array, what the
        Green's-function builders combine in float64).

    Returns
    -------
    ndarray, float64, the FFT-layout shape
        ``lambda(k)`` with ``laplacian(exp(i k x)) = lambda(k) exp(i k x)``;
        ``-|k|**2 + O(h**order)``; 0 at k = 0.  Unit ``1 / spacing.unit**2``
        for a Quantity spacing.

    Raises
    ------
    TypeError
        `shape` not a sequence of ints; `block` not a tuple of one slice per
        axis.
    ValueError
        `shape` without 1-3 axes or with an axis < 1; bad `spacing`,
        `order` or `points`.

    Examples
    --------
    >>> from fieldconv.stencil import laplacian_symbol
    >>> laplacian_symbol((4,), 1.0)
    array([ 0., -2., -4.])
    >>> laplacian_symbol((4,), 1.0, block=(slice(1, 3),))
    array([-2., -4.])
    """
    shape = _symbol_shape(shape)
    ndim = len(shape)
    spacing, lunit = strip_spacing(spacing)
    spacing = as_spacing(spacing, ndim)
    taps, _ = laplacian_taps(ndim, spacing, order, points)
    idx = block_indices(shape, block, rfft)
    lam = np.zeros(tuple(len(i) for i in idx))
    # Every Laplacian here is symmetric under reflection of each axis, so
    # sum_d w_d cos(k.d h) = sum_d w_d prod_a cos(k_a d_a h_a) exactly.
    for off, w in taps:
        term = np.full((1,) * ndim, w)
        for a, (n, m) in enumerate(zip(shape, off)):
            c, _s = _phase_cos_sin(n, m, rfft and a == ndim - 1)
            term = term * c[idx[a]].reshape(tuple(-1 if b == a else 1 for b in range(ndim)))
        lam = lam + term
    zero = zero_mode_position(idx)
    if zero is not None:
        lam[zero] = 0.0
    return _on(backend, attach(lam, product((lunit, -2))))


def gradient_symbol(n, spacing=1.0, *, order=2, rfft=False, spectral=False, backend=None):
    """1-D symbol ``d(k)`` of the derivative: ``D exp(i k x) = i d(k) exp(i k x)``.

    Parameters
    ----------
    n : int
        Axis length.
    spacing : float or Quantity
    order : {2, 4, 6}
        Central-difference order (ignored when `spectral`).
    rfft : bool
        Non-negative modes only (``n//2 + 1`` entries).
    spectral : bool
        ``d = k`` with the Nyquist entry of an even `n` set to 0.

    backend : str or Backend, optional
        Where the result lives (default: a host NumPy array).

    Returns
    -------
    ndarray, float64
        Real ``d(k)`` in rad/length (unit ``1 / spacing.unit`` for a
        Quantity spacing); 0 at the Nyquist mode in every case.

    Examples
    --------
    >>> from fieldconv.stencil import gradient_symbol
    >>> gradient_symbol(4, 1.0, spectral=True)
    array([ 0.        ,  1.57079633,  0.        , -1.57079633])
    """
    n = check_int("n", n, minimum=1)
    spacing, lunit = strip_spacing(spacing)
    h = as_spacing(spacing, 1)[0]
    return _on(backend, attach(_gradient_symbol(n, h, order, rfft, spectral), product((lunit, -1))))


def _gradient_symbol(n, h, order, rfft, spectral):
    if spectral:
        q = np.arange(n // 2 + 1) if rfft else np.fft.fftfreq(n, 1.0 / n)
        d = 2.0 * math.pi * q / (n * h)
        if n % 2 == 0:
            d[np.abs(q) == n // 2] = 0.0
        return d
    w = central_difference(1, check_order(order))
    r = order // 2
    d = 0.0
    for m in range(1, r + 1):
        _c, s = _phase_cos_sin(n, m, rfft)
        d = d + 2.0 * w[m + r] * s / h
    if n % 2 == 0:
        d[n // 2] = 0.0  # exactly zero (sin(m pi)); removes the rounding residue
    return d


# --------------------------------------------------------------------------- spectral
def _spectral_prepare(field, spacing, backend):
    be = get_backend(backend, like=field)
    field = be.asarray(field)
    if field.ndim < 1:
        raise ValueError(f"field must have at least one axis; got ndim={field.ndim}")
    check_not_empty(field)
    dt = result_dtype(field.dtype)
    if field.dtype != be.dtype(dt):
        field = be.xp.astype(field, be.dtype(dt))
    spacing = as_spacing(spacing, field.ndim)
    return be, field, spacing, dt


def _on_axis(be, v, a, ndim, dt):
    return be.xp.astype(be.asarray(v.reshape(tuple(-1 if b == a else 1 for b in range(ndim))), copy=True), be.dtype(dt))


def spectral_laplacian(field, spacing=1.0, *, backend=None):
    """Spectral Laplacian ``irfftn(-|k|^2 rfftn(f))`` of a periodic field.

    Parameters
    ----------
    field : array, real, any number of axes
    spacing : float or sequence of float
    backend : str or Backend, optional

    Returns
    -------
    array, same shape, dtype rule as :func:`laplacian`
        Exact (to FFT rounding) for band-limited periodic fields.

    Raises
    ------
    ValueError
        `field` empty, holding NaN or inf (a global transform would spread
        them to every output; found for free from the zero mode), or
        overflowing its precision in the transform; bad `spacing`.

    Notes
    -----
    ``k`` is angular (rad/length); the Nyquist mode is kept with
    ``-k_nyq**2`` (the second derivative has a real symbol there).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.stencil import spectral_laplacian
    >>> x = 2 * np.pi * np.arange(16) / 16
    >>> bool(np.allclose(spectral_laplacian(np.sin(3 * x), 2 * np.pi / 16, backend="numpy"), -9 * np.sin(3 * x)))
    True
    """
    field, spacing, unit = _units(field, spacing, 2)
    be, field, spacing, dt = _spectral_prepare(field, spacing, backend)
    shape = tuple(field.shape)
    ndim = len(shape)
    sym = 0.0
    for a in range(ndim):
        k = 2.0 * math.pi * (np.arange(shape[a] // 2 + 1) if a == ndim - 1 else np.fft.fftfreq(shape[a], 1.0 / shape[a])) / (
            shape[a] * spacing[a]
        )
        sym = sym - _on_axis(be, k**2, a, ndim, dt)
    X = be.rfftn(field)
    check_transform_finite(be.xp, field, X)
    X = X * sym
    return attach_all(be.irfftn(X, s=shape, overwrite_x=True), unit)


def spectral_gradient(field, spacing=1.0, *, axis=None, backend=None):
    """Spectral gradient ``irfftn(i k_a rfftn(f))`` of a periodic field.

    Parameters
    ----------
    field : array, real
    spacing : float or sequence of float
    axis : int, optional
        One axis; default all, returned as a tuple.
    backend : str or Backend, optional

    Returns
    -------
    array or tuple of arrays, same shape, dtype rule as :func:`laplacian`

    Raises
    ------
    ValueError
        `field` empty, holding NaN or inf (a global transform would spread
        them to every output; found for free from the zero mode), or
        overflowing its precision in the transform; bad `spacing`.

    Notes
    -----
    The Nyquist mode of an even-length axis is zeroed (the derivative of
    ``cos(pi x/h)`` sampled on the grid is ambiguous; zeroing keeps the
    operator real and antisymmetric).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.stencil import spectral_gradient
    >>> x = 2 * np.pi * np.arange(16) / 16
    >>> d = spectral_gradient(np.sin(3 * x), 2 * np.pi / 16, axis=0, backend="numpy")
    >>> bool(np.allclose(d, 3 * np.cos(3 * x)))
    True
    """
    field, spacing, unit = _units(field, spacing, 1)
    be, field, spacing, dt = _spectral_prepare(field, spacing, backend)
    shape = tuple(field.shape)
    ndim = len(shape)
    if axis is None:
        axes = list(range(ndim))
    else:
        axis = check_int("axis", axis)
        if not -ndim <= axis < ndim:
            raise ValueError(f"axis must lie in [-{ndim}, {ndim}); got {axis}")
        axes = [axis % ndim]
    X = be.rfftn(field)
    check_transform_finite(be.xp, field, X)
    res = []
    for a in axes:
        d = gradient_symbol(shape[a], spacing[a], rfft=(a == ndim - 1), spectral=True)
        Y = X * (_on_axis(be, d, a, ndim, dt) * 1j)
        res.append(be.irfftn(Y, s=shape, overwrite_x=True))
    return attach_all(res[0] if axis is not None else tuple(res), unit)
