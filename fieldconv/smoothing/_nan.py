"""NaN-aware Savitzky-Golay: missing samples are left out of each local least-squares fit."""

import math

import numpy as np

from .. import _sgcoeffs
from .._dtypes import result_dtype
from .._units import attach, product, strip
from .._validate import one_axis
from ..backend import get_backend
from ..convolution import correlate

__all__ = ["savgol_filter_nan"]


def savgol_filter_nan(x, window_length, polyorder, deriv=0, delta=1.0, axis=-1, *, fill=True, backend=None):
    """Savitzky-Golay filter that leaves missing (NaN) samples out of each fit.

    Parameters
    ----------
    x : array or Quantity, any shape, real
        Data; NaN marks a missing sample (e.g. a masked CO2 band).
    window_length : int
        Odd number of samples in the window.
    polyorder : int
        Degree of the local polynomial, ``< window_length``.
    deriv : int, optional
        Derivative order (default 0).
    delta : float or Quantity, optional
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
        Dtype per the table, on the backend of `x`, unit ``x.unit /
        delta.unit**deriv``.  NaN where fewer than ``polyorder + 1`` valid
        samples fall in the window.

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
    ``j = -h..h``; both are correlations (:func:`fieldconv.convolution.correlate`
    along `axis`, zero-padded: direct sums, or an FFT for long windows), then
    one batched ``(p+1) x (p+1)`` solve.  Without NaN it
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
    x, xunit = strip(x, "x")
    delta, dunit = strip(delta, "delta")
    unit = product(xunit, (dunit, -deriv))
    window_length, polyorder, deriv = _sgcoeffs.check_window(window_length, polyorder, deriv)
    delta = _sgcoeffs.check_delta(delta)
    if window_length % 2 == 0:
        raise ValueError(f"window_length must be odd for savgol_filter_nan; got {window_length}")
    be = get_backend(backend, like=x)
    xp = be.xp
    x = be.asarray(x)
    ax = one_axis(x, axis, "x")
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
    if deriv > p:  # the fit's derivative is 0 where there is a fit (polyorder + 1 valid samples), else NaN
        count = correlate(m, np.ones(window_length), mode="constant", axes=(ax,), backend=be)
        res = xp.where(count >= (p + 0.5), xp.zeros_like(x64), xp.full_like(x64, float("nan")))
        if not fill:
            res = xp.where(valid, res, xp.full_like(x64, float("nan")))
        return attach(xp.astype(res, be.dtype(dt)), unit)
    # moment sums over each window (zero outside the data): the engine sums them directly, or by FFT for long
    # windows (the data hold no NaN any more)
    M = [correlate(m, t**k, mode="constant", axes=(ax,), backend=be) for k in range(2 * p + 1)]
    B = [correlate(xz, t**k, mode="constant", axes=(ax,), backend=be) for k in range(p + 1)]
    G = xp.stack([xp.stack([M[k + l] for l in range(p + 1)], axis=-1) for k in range(p + 1)], axis=-2)
    b = xp.stack(B, axis=-1)
    count = M[0]
    ok = count >= (p + 0.5)
    eye = xp.eye(p + 1, dtype=xp.float64, device=be.device)
    G = xp.where(ok[..., None, None], G, eye)
    with be.blas_threads():
        a = xp.linalg.solve(G, b[..., None])[..., 0]
    res = a[..., deriv] * (math.factorial(deriv) / (max(h, 1) * delta) ** deriv)
    nan = xp.full_like(res, float("nan"))
    res = xp.where(ok, res, nan)
    if not fill:
        res = xp.where(valid, res, nan)
    return attach(xp.astype(res, be.dtype(dt)), unit)


