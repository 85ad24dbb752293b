"""2-D Savitzky-Golay smoothing and differentiation of images and hyperspectral cubes."""

import numpy as np

from .. import _sgcoeffs
from .._dtypes import result_dtype
from .._units import attach, product, strip, strip_spacing
from .._validate import NDIMAGE_MODES, as_axes, check_int, check_mode, check_positive
from ..backend import get_backend
from ..convolution import correlate1d

__all__ = ["savgol_coeffs_2d", "savgol_filter_2d"]


def _pair(name, value, check):
    if np.ndim(value) == 0:
        value = (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"{name} must be a scalar or a pair; got {len(value)} entries")
    return tuple(check(f"{name}[{i}]", v) for i, v in enumerate(value))



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
    delta, dunit = strip_spacing(delta, "delta")
    shape = _pair("window_length", window_length, lambda n, v: check_int(n, v, minimum=1))
    for i, w in enumerate(shape):
        if w % 2 == 0:
            raise ValueError(f"window_length[{i}] must be odd; got {w}")
    polyorder = check_int("polyorder", polyorder, minimum=0)
    deriv = _pair("deriv", deriv, lambda n, v: check_int(n, v, minimum=0))
    delta = _pair("delta", delta, check_positive)
    return attach(np.array(_sgcoeffs.coeffs_2d(shape, polyorder, deriv, delta)), product((dunit, -sum(deriv))))


def savgol_filter_2d(field, window_length, polyorder, deriv=(0, 0), delta=1.0, axes=(-2, -1), *, mode="mirror", cval=0.0, backend=None):
    """2-D Savitzky-Golay smoothing/differentiation of images or cubes.

    Parameters
    ----------
    field : array or Quantity, ndim >= 2, real
        Image, or a stack/hyperspectral cube filtered over `axes`.
    window_length : int or (int, int)
        Odd window size per axis.
    polyorder : int
        Total degree of the local 2-D polynomial.
    deriv : (int, int), optional
        Partial derivative orders (default (0, 0)).
    delta : float or (float, float) or Quantity, optional
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
        Dtype per the table, on the backend of `field`, unit ``field.unit /
        delta.unit**(d0 + d1)``.

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
    mode = check_mode(mode, modes=NDIMAGE_MODES)
    field, funit = strip(field, "field")
    delta, dunit = strip_spacing(delta, "delta")
    w = np.asarray(strip(savgol_coeffs_2d(window_length, polyorder, deriv, delta), "w")[0])
    dpair = (deriv, deriv) if np.ndim(deriv) == 0 else tuple(deriv)
    unit = product(funit, (dunit, -sum(dpair)))
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
        return attach(be.xp.zeros_like(x), unit)
    r = int(np.sum(S > 1e-13 * S[0]))
    out = None
    for k in range(r):
        tmp = correlate1d(x, U[:, k] * S[k], ax[0], mode=mode, cval=cval, backend=be)
        term = correlate1d(tmp, Vt[k], ax[1], mode=mode, cval=cval, backend=be)
        out = term if out is None else out + term
    return attach(out, unit)


