"""The 1-D Savitzky-Golay filter (a drop-in for scipy.signal.savgol_filter) and its coefficients."""

import numpy as np

from .. import _sgcoeffs
from .._dtypes import result_dtype
from .._units import attach, is_quantity, product, strip, strip_like
from .._validate import one_axis, check_choice, check_positive
from ..backend import get_backend
from ..convolution import correlate
from ..kernels import savgol as savgol_kernel

__all__ = ["savgol_coeffs", "savgol_kernel", "savgol_filter", "window_length_from_width", "SAVGOL_MODES"]

#: Boundary modes of :func:`savgol_filter` (scipy.signal's names).
SAVGOL_MODES = ("mirror", "constant", "nearest", "wrap", "interp")


def savgol_coeffs(window_length, polyorder, deriv=0, delta=1.0, pos=None, use="conv"):
    """Coefficients of a 1-D Savitzky-Golay FIR filter (scipy.signal semantics).

    Parameters
    ----------
    window_length : int
        Number of coefficients (>= 1).
    polyorder : int
        Degree of the fitted polynomial, ``0 <= polyorder < window_length``.
    deriv : int, optional
        Order of the derivative (default 0: smoothing).  ``deriv >
        polyorder`` gives zeros, as in scipy.
    delta : float or Quantity, optional
        Sample spacing; the derivative is per unit of `delta` (default 1.0).
        A Quantity gives the coefficients the unit ``delta.unit**-deriv``.
    pos : float, optional
        Evaluation position in the window, ``0 <= pos < window_length``
        (default: the middle, ``(window_length - 1) / 2``).
    use : {"conv", "dot"}, optional
        Order of the coefficients: "conv" (default) for a convolution,
        "dot" (reversed) to dot with the window.

    Returns
    -------
    ndarray, shape (window_length,), float64
        A small host table, as scipy's (no ``backend=``: the filters move
        it to their backend; ``backend.asarray(c, copy=True)`` does it by
        hand).

    Raises
    ------
    ValueError
        ``polyorder >= window_length``, negative integers, `pos` outside the
        window, non-positive `delta`, unknown `use`, or ``window_length *
        (polyorder + 1) > 2**26`` (the basis of the fit would exceed 512 MiB).
    TypeError
        Non-integer `window_length`, `polyorder` or `deriv`.

    Notes
    -----
    The dot-order coefficients are ``c_j = sum_k q_k^(deriv)(t_pos) q_k(t_j)
    / (s * delta)**deriv``, with ``t_j = (j - (W - 1)/2) / s`` (``s = (W -
    1)/2``) and ``q_0..q_polyorder`` polynomials orthonormal on the window's
    points: ``c . x`` is the derivative at `pos` of the least-squares
    polynomial through the window.  The basis comes from Arnoldi's process
    on the ``t_j`` (Vandermonde with Arnoldi: Brubeck, Nakatsukasa &
    Trefethen, SIAM Rev. 63, 405 (2021)), which stays orthonormal to
    rounding for any window: the coefficients agree with exact rational
    arithmetic to ``~(polyorder + 1) eps sum|c|`` for every window, order and
    position (scipy's unscaled Vandermonde least squares is up to 100 % off
    where its condition number exceeds ~1e10, e.g. window 10001, order 3 at
    ``pos=0``).  Time and memory are linear in the window
    (``(polyorder + 2) * window_length`` float64; shared by
    :func:`fieldconv.kernels.savgol` through :mod:`fieldconv._sgcoeffs`,
    cached in bytes).  For the centred window (``pos = (window_length - 1) /
    2``, the default) the exact coefficients are symmetric (even `deriv`) or
    antisymmetric (odd); they are returned so to the bit (``(c +- c[::-1]) /
    2``), which lets :func:`fieldconv.convolution.correlate1d` fold them.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.smoothing import savgol_coeffs
    >>> np.round(savgol_coeffs(5, 2), 8)
    array([-0.08571429,  0.34285714,  0.48571429,  0.34285714, -0.08571429])
    >>> c = savgol_coeffs(5, 2, pos=4, deriv=1, use="dot")
    >>> float(np.round(c @ np.array([1., 0., 1., 4., 9.]), 12))  # d/dt t**2 at t=3
    6.0
    """
    delta, dunit = strip(delta, "delta")
    window_length, polyorder, deriv = _sgcoeffs.check_window(window_length, polyorder, deriv)
    delta = _sgcoeffs.check_delta(delta)
    if pos is None:
        pos = (window_length - 1) / 2.0
    else:
        if isinstance(pos, bool) or not isinstance(pos, (int, float, np.integer, np.floating)):
            raise TypeError(f"pos must be a number; got {pos!r}")
        if not 0 <= pos < window_length:
            raise ValueError(f"pos must satisfy 0 <= pos < window_length ({window_length}); got {pos}")
    check_choice("use", use, ("conv", "dot"))
    c = np.array(_sgcoeffs.coeffs_dot(window_length, polyorder, deriv, delta, float(pos)))
    return attach(c[::-1].copy() if use == "conv" else c, product((dunit, -deriv)))



def window_length_from_width(width, spacing):
    """Odd number of samples whose span best matches a physical width.

    Parameters
    ----------
    width : float or Quantity
        Full width of the window (e.g. in cm^-1), > 0.
    spacing : float or Quantity
        Grid spacing in the same unit (its sign is ignored: descending axes
        have negative spacing).

    Returns
    -------
    int
        ``2 * round(width / (2 |spacing|)) + 1``: an odd window whose span
        ``(window_length - 1) * |spacing|`` is the even multiple of the spacing
        nearest to `width`.

    Raises
    ------
    ValueError
        Non-positive or non-finite `width`/`spacing`, or units that do not
        convert.

    Examples
    --------
    >>> from fieldconv.smoothing import window_length_from_width
    >>> window_length_from_width(12.0, 0.964)
    13
    >>> import astropy.units as u
    >>> window_length_from_width(12 * u.cm**-1, -0.5 * u.cm**-1)
    25
    """
    spacing, sunit = strip(spacing, "spacing")
    width, _ = strip(width, "width", sunit)
    spacing = check_positive("spacing", abs(spacing) if isinstance(spacing, (int, float)) else spacing)
    width = check_positive("width", width)
    return 2 * int(round(width / (2.0 * spacing))) + 1



def savgol_filter(x, window_length, polyorder, deriv=0, delta=1.0, axis=-1, mode="interp", cval=0.0, *, backend=None):
    """Apply a Savitzky-Golay filter along one axis (drop-in for scipy's).

    Parameters
    ----------
    x : array, any shape, real
        Data (NumPy array, an array of the backend, or a Quantity).
    window_length : int or Quantity
        Number of samples in the window; a Quantity is a physical width
        converted with :func:`window_length_from_width` using `delta` (which
        must then be a Quantity too).
    polyorder : int
        Degree of the local polynomial, ``< window_length``.
    deriv : int, optional
        Derivative order (default 0).
    delta : float or Quantity, optional
        Sample spacing (default 1.0); derivatives are per unit of `delta`.
    axis : int, optional
        Axis to filter (default -1).
    mode : {"interp", "mirror", "nearest", "constant", "wrap"}, optional
        Edge handling as in scipy (default "interp": the polynomial fitted to
        the first/last window gives the first/last ``window_length // 2``
        outputs).
    cval : float, optional
        Fill value for ``mode="constant"`` (default 0.0).
    backend : str or Backend, optional
        Backend (default: resolved from `x`).

    Returns
    -------
    array, same shape as `x`
        float32 for float32/float16 input, float64 otherwise, on the backend
        of `x`.  With Quantities the unit is ``x.unit / delta.unit**deriv``.

    Raises
    ------
    ValueError
        Unknown `mode`; ``polyorder >= window_length``; ``mode="interp"`` with
        `window_length` longer than `x` along `axis`; bad `delta`; a Quantity
        `window_length` without a Quantity `delta` or in a unit that does
        not convert to the unit of `delta`; ``window_length *
        (polyorder + 1) > 2**26``.
    TypeError
        Non-integer `window_length`/`polyorder`/`deriv`, complex `x`.

    Notes
    -----
    ``y = convolve1d(x, savgol_coeffs(...), mode)`` in scipy.ndimage's sense,
    computed by :func:`fieldconv.convolution.correlate` along `axis` with the
    dot-order coefficients (origin -1 for even windows, as scipy.ndimage
    places them); its cost model picks direct sums or an FFT (long windows:
    ``O(n log n)`` instead of ``O(n W)``; a NaN in `x` keeps the exact sums,
    so NaN stays local).  Coefficients are computed in float64 and cast to
    the working dtype.  The "interp" edges are the fit of the first/last
    window evaluated at its first/last ``window_length // 2`` points:
    ``(x[:W] @ Q) @ E.T`` with ``Q`` the orthonormal basis of
    :func:`savgol_coeffs` and ``E`` its polynomials' derivatives at the edge
    points, so memory stays linear in the window (never a ``W x W``
    matrix).  The float16 input follows the package's dtype table (float32
    result; scipy returns float64).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.smoothing import savgol_filter
    >>> x = np.array([2, 2, 5, 2, 1, 0, 1, 4, 9], dtype=float)
    >>> np.round(savgol_filter(x, 5, 2), 2)
    array([1.66, 3.17, 3.54, 2.86, 0.66, 0.17, 1.  , 4.  , 9.  ])
    >>> np.round(savgol_filter(x, 5, 2, mode="nearest"), 2)
    array([1.74, 3.03, 3.54, 2.86, 0.66, 0.17, 1.  , 4.6 , 7.97])
    """
    x, xunit = strip(x, "x")
    delta, dunit = strip(delta, "delta")
    if is_quantity(window_length):
        if dunit is None:
            raise ValueError(
                "window_length given as a Quantity (a physical width) needs delta as a Quantity "
                f"(the sample spacing); got delta={delta!r}"
            )
        window_length = window_length_from_width(strip_like(window_length, "window_length", dunit, ref_name="delta"), delta)
    window_length, polyorder, deriv = _sgcoeffs.check_window(window_length, polyorder, deriv)
    delta = _sgcoeffs.check_delta(delta)
    check_choice("mode", mode, SAVGOL_MODES)
    be = get_backend(backend, like=x)
    x = be.asarray(x)
    ax = one_axis(x, axis, "x")
    dt = result_dtype(x.dtype, name="x")
    n = x.shape[ax]
    if mode == "interp" and window_length > n:
        raise ValueError(
            f"window_length must be <= the length of x along axis {axis} ({n}) when mode='interp'; "
            f"got window_length={window_length}"
        )
    w = _sgcoeffs.coeffs_dot(window_length, polyorder, deriv, delta, (window_length - 1) / 2.0)
    origin = -1 if window_length % 2 == 0 else 0
    cmode = "constant" if mode == "interp" else mode  # interp: edges overwritten below
    xc = np.ascontiguousarray(x, dtype=dt) if be.on_host else be.xp.astype(x, be.dtype(dt))
    # the engine picks direct sums or an FFT by cost (FFT for long windows; exact sums where NaN must stay local)
    y = correlate(xc, w, mode=cmode, cval=cval, origin=origin, axes=(ax,), backend=be)
    if mode == "interp" and window_length > 1:
        y = _interp_edges(be, xc, y, ax, window_length, polyorder, deriv, delta, dt)
    return attach(y, product(xunit, (dunit, -deriv)))


def _interp_edges(be, x, y, ax, window_length, polyorder, deriv, delta, dt):
    """Overwrite the ``window_length // 2`` outputs at each end by the fit of the first/last window.

    ``(x[..., :W] @ Q) @ left.T``: the projection on the orthonormal basis
    (``polyorder + 1`` numbers per line) evaluated at the edge points; memory
    ``O(W * polyorder)``, not ``O(W**2)``.
    """
    left, right = _sgcoeffs.edge_maps(window_length, polyorder, deriv, delta)
    h = left.shape[0]
    if h == 0:
        return y
    Q = _sgcoeffs.basis(window_length, polyorder)[0]
    W = window_length
    if be.on_host:
        xm = np.moveaxis(x, ax, -1)
        ym = np.moveaxis(y, ax, -1)  # a view: assignment writes into y
        n = xm.shape[-1]
        with be.blas_threads():  # projections in float64: the basis is float64
            ym[..., :h] = (xm[..., :W] @ Q) @ left.T
            ym[..., n - h :] = (xm[..., n - W :] @ Q) @ right.T
        return y
    xp = be.xp
    Qd, L, R = (xp.astype(be.asarray(np.ascontiguousarray(m), copy=True), be.dtype(dt)) for m in (Q, left.T, right.T))
    xm = xp.moveaxis(x, ax, -1)
    ym = xp.moveaxis(y, ax, -1)
    n = xm.shape[-1]
    lo = xp.matmul(xp.matmul(xm[..., :W], Qd), L)
    hi = xp.matmul(xp.matmul(xm[..., n - W :], Qd), R)
    ym = xp.concat([lo, ym[..., h : n - h], hi], axis=-1)
    return xp.moveaxis(ym, -1, ax)
