"""Savitzky-Golay smoothing and differentiation.

A Savitzky-Golay (SG) filter replaces each sample by the value (or a
derivative) at a chosen position of the least-squares polynomial of degree
``polyorder`` fitted to the ``window_length`` samples around it.  On a
uniform grid the fit is linear in the data and the same for every window, so
the filter is a correlation with a fixed kernel, computed once in float64
(:func:`savgol_coeffs`)::

    y[i] = sum_j c_dot[j] * x[i + j - pos]        (use="dot" order)

:func:`savgol_filter` is a drop-in for :func:`scipy.signal.savgol_filter`
(same positional order, defaults, modes and results to rounding) running on
:func:`fieldconv.convolution.correlate1d`, so it runs on every backend
(NumPy/pyFFTW with a compiled FIR, CuPy and any array-API namespace with
generic code).  The ``"interp"`` edges are fixed linear maps: output ``i <
window_length // 2`` is ``savgol_coeffs(pos=i, use="dot")`` dotted with the
first window (and symmetrically at the end), a small precomputed matrix, so
no least-squares problem is solved per call and a NaN in an edge window
gives NaN there (scipy 1.17 raises ``LinAlgError``).

Beyond scipy: the window as a physical width (:func:`window_length_from_width`,
or a Quantity `window_length` with a Quantity `delta`), NaN-aware smoothing
(:func:`savgol_filter_nan`: missing samples are left out of each local fit),
non-uniform sampling (:func:`savgol_filter_nonuniform`: the fit uses the true
abscissae), 2-D filtering of images and hyperspectral cubes
(:func:`savgol_coeffs_2d`, :func:`savgol_filter_2d`), the frequency response
and white-noise gain (:func:`savgol_frequency_response`,
:func:`savgol_noise_gain`) and a window suggestion from the narrowest band
width (:func:`suggest_window`).

References: A. Savitzky, M. J. E. Golay, Anal. Chem. 36, 1627 (1964);
R. W. Schafer, "What is a Savitzky-Golay filter?", IEEE Signal Process. Mag.
28(4), 111 (2011); W. H. Press, S. A. Teukolsky, Comput. Phys. 4, 669 (1990).
"""

import functools
import math

import numpy as np

from ._dtypes import result_dtype
from ._units import attach, is_quantity, strip
from ._validate import as_axes, check_choice, check_int, check_positive
from .backend import get_backend

__all__ = [
    "savgol_coeffs",
    "savgol_kernel",
    "savgol_filter",
    "savgol_filter_nan",
    "savgol_filter_nonuniform",
    "savgol_coeffs_2d",
    "savgol_filter_2d",
    "savgol_frequency_response",
    "savgol_noise_gain",
    "window_length_from_width",
    "suggest_window",
    "SAVGOL_MODES",
]

#: Boundary modes of :func:`savgol_filter` (scipy.signal's names).
SAVGOL_MODES = ("mirror", "constant", "nearest", "wrap", "interp")
#: Boundary modes of :func:`savgol_filter_2d` (scipy.ndimage's names).
_MODES_2D = ("reflect", "mirror", "nearest", "constant", "wrap")


# ------------------------------------------------------------------ validation
def _check_window(window_length, polyorder, deriv):
    window_length = check_int("window_length", window_length, minimum=1)
    polyorder = check_int("polyorder", polyorder, minimum=0)
    deriv = check_int("deriv", deriv, minimum=0)
    if polyorder >= window_length:
        raise ValueError(
            f"polyorder must be less than window_length; got polyorder={polyorder}, "
            f"window_length={window_length}"
        )
    return window_length, polyorder, deriv


def _check_delta(delta):
    # scipy.signal accepts any non-zero spacing: a negative delta (a descending
    # axis such as IR wavenumbers 4000 -> 400 cm^-1) gives d/dx along that axis.
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
        raise TypeError(f"delta must be a real number; got {delta!r}")
    if not np.isfinite(delta) or delta == 0:
        raise ValueError(f"delta must be finite and non-zero; got {delta!r}")
    return float(delta)


# ---------------------------------------------------------------- coefficients
@functools.lru_cache(maxsize=512)
def _coeffs_dot(window_length, polyorder, deriv, delta, pos):
    """Dot-order coefficients (float64, read-only) for evaluation at `pos`."""
    c = np.zeros(window_length)
    if deriv <= polyorder:
        x = np.arange(window_length, dtype=np.float64) - pos
        scale = max(float(np.max(np.abs(x))), 1.0)
        t = x / scale  # |t| <= 1: the Vandermonde stays well conditioned
        A = t[np.newaxis, :] ** np.arange(polyorder + 1, dtype=np.float64)[:, np.newaxis]
        rhs = np.zeros(polyorder + 1)
        rhs[deriv] = math.factorial(deriv)
        # minimum-norm solution of A c = rhs: the row `deriv` of pinv(A.T)
        c = np.linalg.lstsq(A, rhs, rcond=None)[0] / (scale * delta) ** deriv
        if 2 * pos == window_length - 1:
            # centred window: the exact coefficients are symmetric (even deriv) or
            # antisymmetric (odd); make them so to the bit (lstsq leaves ~1-ulp
            # asymmetries), so that correlate1d folds the pairs
            c = 0.5 * (c + (-1) ** deriv * c[::-1])
    c.setflags(write=False)
    return c


@functools.lru_cache(maxsize=128)
def _edge_matrices(window_length, polyorder, deriv, delta):
    """(left, right) interp-edge maps, each (window_length // 2, window_length)."""
    h = window_length // 2
    left = np.stack([_coeffs_dot(window_length, polyorder, deriv, delta, float(i)) for i in range(h)])
    right = np.stack(
        [_coeffs_dot(window_length, polyorder, deriv, delta, float(window_length - h + k)) for k in range(h)]
    )
    left.setflags(write=False)
    right.setflags(write=False)
    return left.reshape(h, window_length), right.reshape(h, window_length)


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
    delta : float, optional
        Sample spacing; the derivative is per unit of `delta` (default 1.0).
    pos : float, optional
        Evaluation position in the window, ``0 <= pos < window_length``
        (default: the middle, ``(window_length - 1) / 2``).
    use : {"conv", "dot"}, optional
        Order of the coefficients: "conv" (default) for a convolution,
        "dot" (reversed) to dot with the window.

    Returns
    -------
    ndarray, shape (window_length,), float64

    Raises
    ------
    ValueError
        ``polyorder >= window_length``, negative integers, `pos` outside the
        window, non-positive `delta` or unknown `use`.
    TypeError
        Non-integer `window_length`, `polyorder` or `deriv`.

    Notes
    -----
    With ``t_j = (j - pos) / s`` (``s = max|j - pos|``, which keeps the
    Vandermonde matrix ``A[k, j] = t_j**k`` well conditioned) the dot-order
    coefficients are the minimum-norm solution of ``A c = deriv! e_deriv``,
    divided by ``(s * delta)**deriv``: ``c . x`` is the derivative at `pos`
    of the least-squares polynomial through the window.  Computed in float64
    with ``numpy.linalg.lstsq`` and cached.  For the centred window
    (``pos = (window_length - 1) / 2``, the default) the exact coefficients
    are symmetric (even `deriv`) or antisymmetric (odd); they are returned
    so to the bit (``(c +- c[::-1]) / 2``), which lets
    :func:`fieldconv.convolution.correlate1d` fold them.

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
    window_length, polyorder, deriv = _check_window(window_length, polyorder, deriv)
    delta = _check_delta(delta)
    if pos is None:
        pos = (window_length - 1) / 2.0
    else:
        if isinstance(pos, bool) or not isinstance(pos, (int, float, np.integer, np.floating)):
            raise TypeError(f"pos must be a number; got {pos!r}")
        if not 0 <= pos < window_length:
            raise ValueError(f"pos must satisfy 0 <= pos < window_length ({window_length}); got {pos}")
    check_choice("use", use, ("conv", "dot"))
    c = np.array(_coeffs_dot(window_length, polyorder, deriv, delta, float(pos)))
    return c[::-1].copy() if use == "conv" else c


def savgol_kernel(window_length, polyorder, deriv=0, delta=1.0):
    """The Savitzky-Golay filter as a :class:`fieldconv.kernels.Kernel`.

    Parameters
    ----------
    window_length, polyorder, deriv, delta
        As in :func:`savgol_coeffs`.

    Returns
    -------
    Kernel
        Weights ``savgol_coeffs(..., use="conv")`` (impulse response), origin
        ``window_length // 2`` (scipy.ndimage's ``origin=0``), spacing
        ``delta``: ``fieldconv.convolution.convolve(x, K, mode=m)`` equals
        ``savgol_filter(x, ..., mode=m)`` for the non-"interp" modes, and
        ``K``'s symbol is :func:`savgol_frequency_response`.

    Examples
    --------
    >>> from fieldconv.smoothing import savgol_kernel
    >>> K = savgol_kernel(5, 2)
    >>> K.shape, K.origin
    ((5,), (2,))
    """
    from .kernels import Kernel

    c = savgol_coeffs(window_length, polyorder, deriv, delta)
    return Kernel(c, spacing=float(delta), name=f"savgol({window_length}, {polyorder}, deriv={deriv})")


# ---------------------------------------------------------------- the 1-D filter
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


def _host_correlate1d(x, w, axis, mode, cval, origin, be):
    from .convolution import correlate1d

    return correlate1d(x, w, axis, mode=mode, cval=cval, origin=origin, backend=be)


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
        `window_length` without a Quantity `delta`.
    TypeError
        Non-integer `window_length`/`polyorder`/`deriv`, complex `x`.

    Notes
    -----
    ``y = convolve1d(x, savgol_coeffs(...), mode)`` in scipy.ndimage's sense,
    computed as :func:`fieldconv.convolution.correlate1d` with the dot-order
    coefficients (origin -1 for even windows, as scipy.ndimage places them).
    Coefficients are computed in float64 and cast to the working dtype.
    The "interp" edges are ``E_left @ x[:window_length]`` and ``E_right @
    x[-window_length:]`` with rows ``savgol_coeffs(pos=p, use="dot")``.
    The float16 input follows the package's dtype table (float32 result;
    scipy returns float64).

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
        window_length = window_length_from_width(window_length.to_value(dunit), delta)
    window_length, polyorder, deriv = _check_window(window_length, polyorder, deriv)
    delta = _check_delta(delta)
    check_choice("mode", mode, SAVGOL_MODES)
    be = get_backend(backend, like=x)
    x = be.asarray(x)
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension; got a 0-d array")
    ax = as_axes(axis, x.ndim, name="axis")[0]
    dt = result_dtype(x.dtype, name="x")
    n = x.shape[ax]
    if mode == "interp" and window_length > n:
        raise ValueError(
            f"window_length must be <= the length of x along axis {axis} ({n}) when mode='interp'; "
            f"got window_length={window_length}"
        )
    w = _coeffs_dot(window_length, polyorder, deriv, delta, (window_length - 1) / 2.0)
    origin = -1 if window_length % 2 == 0 else 0
    cmode = "constant" if mode == "interp" else mode  # interp: edges overwritten below
    if be.on_host:
        xc = np.ascontiguousarray(x, dtype=dt)
        y = _host_correlate1d(xc, w, ax, cmode, cval, origin, be)
        if mode == "interp" and window_length > 1:
            _interp_edges_host(xc, y, ax, window_length, polyorder, deriv, delta)
    else:
        xp = be.xp
        xc = xp.astype(x, be.dtype(dt))
        y = _host_correlate1d(xc, w, ax, cmode, cval, origin, be)
        if mode == "interp" and window_length > 1:
            y = _interp_edges_xp(be, xc, y, ax, window_length, polyorder, deriv, delta, dt)
    unit = xunit
    if deriv > 0 and dunit is not None:
        import astropy.units as u

        unit = (xunit if xunit is not None else u.dimensionless_unscaled) / dunit**deriv
    return attach(y, unit)


def _interp_edges_host(x, y, ax, window_length, polyorder, deriv, delta):
    left, right = _edge_matrices(window_length, polyorder, deriv, delta)
    h = left.shape[0]
    if h == 0:
        return
    xm = np.moveaxis(x, ax, -1)
    ym = np.moveaxis(y, ax, -1)  # a view: assignment writes into y
    ym[..., :h] = np.matmul(xm[..., :window_length], left.T.astype(x.dtype))
    ym[..., ym.shape[-1] - h :] = np.matmul(xm[..., xm.shape[-1] - window_length :], right.T.astype(x.dtype))


def _interp_edges_xp(be, x, y, ax, window_length, polyorder, deriv, delta, dt):
    xp = be.xp
    left, right = _edge_matrices(window_length, polyorder, deriv, delta)
    h = left.shape[0]
    if h == 0:
        return y
    L = xp.astype(be.asarray(np.ascontiguousarray(left.T), copy=True), be.dtype(dt))
    R = xp.astype(be.asarray(np.ascontiguousarray(right.T), copy=True), be.dtype(dt))
    xm = xp.moveaxis(x, ax, -1)
    ym = xp.moveaxis(y, ax, -1)
    n = xm.shape[-1]
    lo = xp.matmul(xm[..., :window_length], L)
    hi = xp.matmul(xm[..., n - window_length :], R)
    ym = xp.concat([lo, ym[..., h : n - h], hi], axis=-1)
    return xp.moveaxis(ym, -1, ax)


# ------------------------------------------------------------- NaN-aware filter
def savgol_filter_nan(x, window_length, polyorder, deriv=0, delta=1.0, axis=-1, *, fill=True, backend=None):
    """Savitzky-Golay filter that leaves missing (NaN) samples out of each fit.

    Parameters
    ----------
    x : array, any shape, real
        Data; NaN marks a missing sample (e.g. a masked CO2 band).
    window_length : int
        Odd number of samples in the window.
    polyorder : int
        Degree of the local polynomial, ``< window_length``.
    deriv : int, optional
        Derivative order (default 0).
    delta : float, optional
        Sample spacing (default 1.0).
    axis : int, optional
        Axis to filter (default -1).
    fill : bool, optional
        True (default): missing samples get the value of their local fit
        (gap filling).  False: they stay NaN.
    backend : str or Backend, optional
        Backend (default: resolved from `x`).

    Returns
    -------
    array, same shape as `x`
        Dtype per the table, on the backend of `x`.  NaN where fewer than
        ``polyorder + 1`` valid samples fall in the window.

    Raises
    ------
    ValueError
        Even `window_length`, ``polyorder >= window_length``, or
        `window_length` longer than `x` along `axis`.

    Notes
    -----
    For each output ``i`` the weighted least-squares fit with weights
    ``m_j = 1`` (valid) or 0 (NaN, or outside the data) solves
    ``G a = b`` with ``G[k, l] = sum_j m_{i+j} t_j**(k+l)`` and
    ``b[k] = sum_j m_{i+j} x_{i+j} t_j**k``, ``t_j = j / h`` for
    ``j = -h..h``; both are correlations (:func:`fieldconv.convolution.correlate1d`,
    zero-padded), then one batched ``(p+1) x (p+1)`` solve.  Without NaN it
    equals :func:`savgol_filter` away from the edges; at the edges the window
    is truncated (samples beyond the data count as missing) instead of
    scipy's "interp" extrapolation.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.smoothing import savgol_filter_nan
    >>> t = np.arange(12.0)
    >>> y = 0.5 * t**2 - t
    >>> y[[3, 4, 8]] = np.nan
    >>> np.allclose(savgol_filter_nan(y, 5, 2), 0.5 * t**2 - t)
    True
    """
    window_length, polyorder, deriv = _check_window(window_length, polyorder, deriv)
    delta = _check_delta(delta)
    if window_length % 2 == 0:
        raise ValueError(f"window_length must be odd for savgol_filter_nan; got {window_length}")
    be = get_backend(backend, like=x)
    xp = be.xp
    x = be.asarray(x)
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension; got a 0-d array")
    ax = as_axes(axis, x.ndim, name="axis")[0]
    n = x.shape[ax]
    if window_length > n:
        raise ValueError(f"window_length must be <= the length of x along axis {axis} ({n}); got {window_length}")
    dt = result_dtype(x.dtype, name="x")
    # the moments are summed in float64: G can be ill-conditioned in float32
    x64 = xp.astype(x, xp.float64)
    valid = xp.logical_not(xp.isnan(x64))
    m = xp.astype(valid, xp.float64)
    xz = xp.where(valid, x64, xp.zeros_like(x64))
    h = window_length // 2
    t = np.arange(-h, h + 1, dtype=np.float64) / max(h, 1)
    p = polyorder
    if deriv > p:
        res = xp.where(valid, xp.zeros_like(x64), x64) if not fill else xp.zeros_like(x64)
        return xp.astype(res, be.dtype(dt))
    M = [_host_correlate1d(m, t**k, ax, "constant", 0.0, 0, be) for k in range(2 * p + 1)]
    B = [_host_correlate1d(xz, t**k, ax, "constant", 0.0, 0, be) for k in range(p + 1)]
    G = xp.stack([xp.stack([M[k + l] for l in range(p + 1)], axis=-1) for k in range(p + 1)], axis=-2)
    b = xp.stack(B, axis=-1)
    count = M[0]
    ok = count >= (p + 0.5)
    eye = xp.eye(p + 1, dtype=xp.float64, device=be.device)
    G = xp.where(ok[..., None, None], G, eye)
    a = xp.linalg.solve(G, b[..., None])[..., 0]
    res = a[..., deriv] * (math.factorial(deriv) / (max(h, 1) * delta) ** deriv)
    nan = xp.full_like(res, float("nan"))
    res = xp.where(ok, res, nan)
    if not fill:
        res = xp.where(valid, res, nan)
    return xp.astype(res, be.dtype(dt))


# ----------------------------------------------------------- non-uniform filter
def _check_abscissa(x_values, n, name="x_values"):
    xv = np.asarray(x_values, dtype=np.float64)
    if xv.ndim != 1 or xv.shape[0] != n:
        raise ValueError(f"{name} must be 1-D with one entry per sample ({n}); got shape {xv.shape}")
    if not np.all(np.isfinite(xv)):
        raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(xv)))} non-finite values")
    d = np.diff(xv)
    if n > 1 and not (np.all(d > 0) or np.all(d < 0)):
        bad = int(np.argmax(d <= 0) if d[0] > 0 else np.argmax(d >= 0))
        raise ValueError(
            f"{name} must be strictly monotonic (increasing or decreasing); it turns or repeats at "
            f"index {bad + 1} ({xv[bad]!r} -> {xv[bad + 1]!r})"
        )
    return xv


def _nonuniform_coeffs(xv, window_length, polyorder, deriv):
    """(n, W) window start indices and float64 coefficients."""
    n = xv.shape[0]
    h = window_length // 2
    start = np.clip(np.arange(n) - h, 0, n - window_length)
    idx = start[:, None] + np.arange(window_length)[None, :]
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
    window_length, polyorder, deriv = _check_window(window_length, polyorder, deriv)
    be = get_backend(backend, like=y)
    xp = be.xp
    y = be.asarray(y)
    if y.ndim == 0:
        raise ValueError("y must have at least one dimension; got a 0-d array")
    ax = as_axes(axis, y.ndim, name="axis")[0]
    n = y.shape[ax]
    xv = _check_abscissa(x_values, n)
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
    unit = yunit
    if deriv > 0 and xunit is not None:
        import astropy.units as u

        unit = (yunit if yunit is not None else u.dimensionless_unscaled) / xunit**deriv
    return attach(out, unit)


# --------------------------------------------------------------------- 2-D filter
def _pair(name, value, check):
    if np.ndim(value) == 0:
        value = (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"{name} must be a scalar or a pair; got {len(value)} entries")
    return tuple(check(f"{name}[{i}]", v) for i, v in enumerate(value))


@functools.lru_cache(maxsize=64)
def _coeffs_2d(shape, polyorder, deriv, delta):
    (w0, w1), (d0, d1) = shape, deriv
    h0, h1 = w0 // 2, w1 // 2
    s0, s1 = max(h0, 1), max(h1, 1)
    t0 = np.arange(-h0, h0 + 1, dtype=np.float64) / s0
    t1 = np.arange(-h1, h1 + 1, dtype=np.float64) / s1
    T0, T1 = np.meshgrid(t0, t1, indexing="ij")
    terms = [(a, b) for a in range(polyorder + 1) for b in range(polyorder + 1 - a)]
    V = np.stack([(T0**a * T1**b).ravel() for a, b in terms], axis=1)
    if np.linalg.matrix_rank(V) < len(terms):
        raise ValueError(
            f"window shape {shape} is too small for a 2-D polynomial of total degree {polyorder} "
            f"({len(terms)} terms)"
        )
    w = np.zeros(w0 * w1)
    if (d0, d1) in terms:
        k = terms.index((d0, d1))
        w = np.linalg.pinv(V)[k] * (
            math.factorial(d0) * math.factorial(d1) / ((s0 * delta[0]) ** d0 * (s1 * delta[1]) ** d1)
        )
    w = w.reshape(w0, w1)
    w.setflags(write=False)
    return w


def savgol_coeffs_2d(window_length, polyorder, deriv=(0, 0), delta=1.0):
    """Correlation weights of a 2-D Savitzky-Golay filter.

    Parameters
    ----------
    window_length : int or (int, int)
        Odd window size per axis.
    polyorder : int
        Total degree of the fitted 2-D polynomial (terms ``u**a v**b`` with
        ``a + b <= polyorder``).
    deriv : (int, int), optional
        Partial derivative orders ``(d/du)**d0 (d/dv)**d1`` (default (0, 0)).
    delta : float or (float, float), optional
        Grid spacing per axis (default 1.0).

    Returns
    -------
    ndarray, shape (w0, w1), float64
        Correlation (dot-order) weights: ``y[i, j] = sum_ab w[a, b]
        x[i + a - h0, j + b - h1]``.  Zeros when ``d0 + d1 > polyorder``.

    Raises
    ------
    ValueError
        Even or non-positive windows, negative orders, or a window with fewer
        points than the polynomial has terms.

    Notes
    -----
    The weights are the row ``(d0, d1)`` of the float64 pseudo-inverse of
    the window's Vandermonde matrix in scaled coordinates, times
    ``d0! d1! / (h0 delta0)**d0 (h1 delta1)**d1``: the filter returns every
    2-D polynomial of total degree ``<= polyorder`` (and its derivatives)
    unchanged, to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.smoothing import savgol_coeffs_2d
    >>> w = savgol_coeffs_2d(5, 2)
    >>> w.shape, round(float(w.sum()), 12)
    ((5, 5), 1.0)
    """
    shape = _pair("window_length", window_length, lambda n, v: check_int(n, v, minimum=1))
    for i, w in enumerate(shape):
        if w % 2 == 0:
            raise ValueError(f"window_length[{i}] must be odd; got {w}")
    polyorder = check_int("polyorder", polyorder, minimum=0)
    deriv = _pair("deriv", deriv, lambda n, v: check_int(n, v, minimum=0))
    delta = _pair("delta", delta, check_positive)
    return np.array(_coeffs_2d(shape, polyorder, deriv, delta))


def savgol_filter_2d(field, window_length, polyorder, deriv=(0, 0), delta=1.0, axes=(-2, -1), *, mode="mirror", cval=0.0, backend=None):
    """2-D Savitzky-Golay smoothing/differentiation of images or cubes.

    Parameters
    ----------
    field : array, ndim >= 2, real
        Image, or a stack/hyperspectral cube filtered over `axes`.
    window_length : int or (int, int)
        Odd window size per axis.
    polyorder : int
        Total degree of the local 2-D polynomial.
    deriv : (int, int), optional
        Partial derivative orders (default (0, 0)).
    delta : float or (float, float), optional
        Grid spacing per axis (default 1.0).
    axes : (int, int), optional
        The two axes to filter (default the last two).
    mode : {"mirror", "reflect", "nearest", "constant", "wrap"}, optional
        scipy.ndimage boundary mode (default "mirror").
    cval : float, optional
        Fill value for ``mode="constant"``.
    backend : str or Backend, optional
        Backend (default: resolved from `field`).

    Returns
    -------
    array, same shape as `field`
        Dtype per the table, on the backend of `field`.

    Raises
    ------
    ValueError
        As :func:`savgol_coeffs_2d`; unknown `mode`; repeated `axes`.

    Notes
    -----
    The total-degree kernel is not separable, but it has rank at most
    ``polyorder + 1`` (it is a polynomial in each coordinate), so it is
    applied exactly as a sum of ``r`` separable passes from its singular
    value decomposition (singular values below ``1e-13`` of the largest are
    dropped), each two :func:`fieldconv.convolution.correlate1d` calls.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.smoothing import savgol_filter_2d
    >>> i, j = np.meshgrid(np.arange(16.0), np.arange(12.0), indexing="ij")
    >>> img = 1 + 2 * i - j + 0.5 * i * j - 0.25 * j**2
    >>> np.allclose(savgol_filter_2d(img, 5, 2)[2:-2, 2:-2], img[2:-2, 2:-2])
    True
    """
    check_choice("mode", mode, _MODES_2D)
    w = savgol_coeffs_2d(window_length, polyorder, deriv, delta)
    be = get_backend(backend, like=field)
    field = be.asarray(field)
    if field.ndim < 2:
        raise ValueError(f"field must have at least 2 dimensions; got {field.ndim}")
    ax = as_axes(axes, field.ndim, name="axes")
    if len(ax) != 2:
        raise ValueError(f"axes must name two axes; got {axes!r}")
    dt = result_dtype(field.dtype, name="field")
    x = be.xp.astype(field, be.dtype(dt))
    U, S, Vt = np.linalg.svd(w)
    if S[0] == 0:
        return be.xp.zeros_like(x)
    r = int(np.sum(S > 1e-13 * S[0]))
    out = None
    for k in range(r):
        tmp = _host_correlate1d(x, U[:, k] * S[k], ax[0], mode, cval, 0, be)
        term = _host_correlate1d(tmp, Vt[k], ax[1], mode, cval, 0, be)
        out = term if out is None else out + term
    return out


# ------------------------------------------------------- response and noise gain
def savgol_frequency_response(window_length, polyorder, deriv=0, delta=1.0, *, n=512):
    """Frequency response of the Savitzky-Golay filter, 0 to Nyquist.

    Parameters
    ----------
    window_length, polyorder, deriv, delta
        As in :func:`savgol_coeffs`.
    n : int, optional
        Number of frequencies (default 512).

    Returns
    -------
    freq : ndarray, shape (n,), float64
        Frequencies in cycles per unit of `delta`, ``0 .. 1/(2 delta)``.
    H : ndarray, shape (n,), complex128
        ``H(f) = sum_j c_conv[j] exp(-2 pi i f (j - pos) delta)`` with ``pos``
        the window centre: applying the filter to ``exp(2 pi i f x)`` gives
        ``H(f) exp(2 pi i f x)`` (so ``H ~ (2 pi i f)**deriv`` at low f).

    Raises
    ------
    ValueError
        As :func:`savgol_coeffs`; ``n < 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.smoothing import savgol_frequency_response
    >>> f, H = savgol_frequency_response(11, 2)
    >>> float(H[0].real), bool(abs(H[-1]) < 0.2)
    (1.0, True)
    """
    c = savgol_coeffs(window_length, polyorder, deriv, delta)
    n = check_int("n", n, minimum=2)
    delta = float(delta)
    freq = np.linspace(0.0, 0.5 / delta, n)
    j = np.arange(c.shape[0]) - (c.shape[0] - 1) / 2.0
    H = np.exp(-2j * np.pi * np.outer(freq, j) * delta) @ c
    return freq, H


def savgol_noise_gain(window_length, polyorder, deriv=0, delta=1.0, pos=None):
    """White-noise variance gain ``sum_j c_j**2`` of the Savitzky-Golay filter.

    Parameters
    ----------
    window_length, polyorder, deriv, delta, pos
        As in :func:`savgol_coeffs`.

    Returns
    -------
    float
        Output variance / input variance for white noise (the standard
        deviation scales by its square root).  For smoothing at the centre it
        equals ``c[centre]`` (the filter is a projection) and falls as
        ``~ 1/window_length``; for derivatives it carries ``delta**(-2 deriv)``.

    Examples
    --------
    >>> from fieldconv.smoothing import savgol_noise_gain
    >>> round(savgol_noise_gain(5, 2), 6)
    0.485714
    >>> round(savgol_noise_gain(9, 0), 6)  # moving average: 1/9
    0.111111
    """
    c = savgol_coeffs(window_length, polyorder, deriv, delta, pos=pos)
    return float(np.dot(c, c))


def suggest_window(fwhm=None, spacing=1.0, *, resolution=None, polyorder=2):
    """Suggest an SG window from the narrowest band width / the resolution.

    Parameters
    ----------
    fwhm : float or Quantity, optional
        Full width at half maximum of the narrowest band to keep (axis units).
    spacing : float or Quantity
        Sample spacing (sign ignored).
    resolution : float or Quantity, optional
        Instrument resolution (FWHM of the line shape).  The observed width
        is ``sqrt(fwhm**2 + resolution**2)`` (Gaussian widths add in
        quadrature); with only `resolution`, the observed width is the
        resolution.
    polyorder : int, optional
        Polynomial degree to be used (default 2).

    Returns
    -------
    int
        An odd window length, at least ``polyorder + 2`` (rounded up to odd).

    Raises
    ------
    ValueError
        Neither `fwhm` nor `resolution` given; non-positive values.

    Notes
    -----
    Rule: window span ``= 1.5 * W_obs * (polyorder + 1) / 5``.  Press and
    Teukolsky (Comput. Phys. 4, 669, 1990; Numerical Recipes sec. 14.8)
    recommend a full window between 1 and 2 FWHM of the narrowest feature
    for a degree-4 filter; we take the middle, 1.5 FWHM.  Schafer (2011)
    gives the cut-off of an SG filter of half-width M and degree N as
    ``f_c ~ (N + 1) / (3.2 M - 4.6)`` samples^-1, so keeping the same
    cut-off for another degree scales the window by ``(N + 1) / 5``: about
    0.9 FWHM for quadratic/cubic (N=2) filters, 1.5 FWHM for N=4.

    Examples
    --------
    >>> from fieldconv.smoothing import suggest_window
    >>> suggest_window(10.0, 0.5, polyorder=4)   # 15 cm^-1 span at 0.5 cm^-1
    31
    >>> suggest_window(spacing=0.964, resolution=4.0)
    5
    """
    polyorder = check_int("polyorder", polyorder, minimum=0)
    spacing, sunit = strip(spacing, "spacing")
    if fwhm is None and resolution is None:
        raise ValueError("suggest_window needs fwhm or resolution (or both); got neither")

    def _val(name, v):
        if v is None:
            return 0.0
        if is_quantity(v):
            v = v.to_value(sunit) if sunit is not None else v.value
        return check_positive(name, v)

    width = math.hypot(_val("fwhm", fwhm), _val("resolution", resolution))
    spacing = check_positive("spacing", abs(float(spacing)))
    span = 1.5 * width * (polyorder + 1) / 5.0
    w = window_length_from_width(span, spacing)
    minimum = polyorder + 2 + (polyorder + 2 + 1) % 2
    return max(w, minimum)
