"""Instrument line shapes, resolution matching and area-conserving resampling.

Line shapes and their FWHM conventions are tabulated in :mod:`fieldconv.spectra`.
Resolutions and spacings are lengths along the spectral axis: a Quantity
resolution is converted to the unit of the spacing (or of the axis), and one
of another dimension (a resolution in nm for an axis in cm^-1) raises.
"""

import math

import numpy as np

from .._nan_policy import (
    FFT_WEIGHT_FLOOR,
    check_nan_policy,
    inf_count,
    nan_count,
    normalised,
    refuse_infinite,
    refuse_nan,
)
from .._units import attach, strip, strip_like
from .._validate import as_axes, check_choice, check_positive
from ._axis import as_data, interp, positions, same_unit, samples_last

__all__ = ["line_shape", "convolve_instrument", "resample", "LINE_SHAPES"]

#: Line-shape names (aliases map to the same ILS).
LINE_SHAPES = ("gaussian", "sinc", "boxcar", "sinc2", "triangular")
_SHAPE_ALIAS = {"boxcar": "sinc", "triangular": "sinc2"}
# sin(x)/x = 1/2 and (sin(x)/x)^2 = 1/2
_X_SINC = 1.895494267033981
_X_SINC2 = 1.3915573782515114


def _shape(line_shape):
    check_choice("line_shape", line_shape, LINE_SHAPES)
    return _SHAPE_ALIAS.get(line_shape, line_shape)


def _opd_max(fwhm, shape):
    """Maximum optical path difference L of a sinc/sinc^2 ILS of given FWHM."""
    return (_X_SINC if shape == "sinc" else 2 * _X_SINC2) / (math.pi * fwhm)


def _apodization(d, fwhm, shape):
    """Fourier transform of the unit-area ILS at OPD `d` (cycles per axis unit)."""
    d = np.abs(d)
    if shape == "gaussian":
        sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
        return np.exp(-2 * (math.pi * sigma * d) ** 2)
    L = _opd_max(fwhm, shape)
    if shape == "sinc":
        return (d <= L).astype(np.float64)
    return np.clip(1 - d / L, 0, None)


def line_shape(x, fwhm, shape="gaussian"):
    """Unit-area instrument line shape centred at 0.

    Parameters
    ----------
    x : array_like or Quantity
        Offsets from the line centre (axis units).
    fwhm : float or Quantity
        Full width at half maximum (the resolution), > 0, in the unit of `x`.
    shape : {"gaussian", "sinc", "boxcar", "sinc2", "triangular"}
        See the module table (``"boxcar"`` = sinc ILS, ``"triangular"`` =
        sinc^2 ILS, named after their apodization).

    Returns
    -------
    ndarray, float64 (per axis unit; integrates to 1): unit ``1 / x.unit``

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import line_shape
    >>> for s in ("gaussian", "sinc", "sinc2"):
    ...     print(s, np.round(line_shape([0.0, 2.0], 4.0, s) / line_shape(0.0, 4.0, s), 6))
    gaussian [1.  0.5]
    sinc [1.  0.5]
    sinc2 [1.  0.5]
    """
    shape = _shape(shape)
    x, xunit = strip(x, "x")
    fwhm = check_positive("fwhm", strip_like(fwhm, "fwhm", xunit, ref_name="x"))
    x = np.asarray(x, dtype=np.float64)
    return attach(_line_shape(x, fwhm, shape), None if xunit is None else 1 / xunit)


def _line_shape(x, fwhm, shape):
    if shape == "gaussian":
        sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
        return np.exp(-0.5 * (x / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    L = _opd_max(fwhm, shape)
    if shape == "sinc":
        return 2 * L * np.sinc(2 * L * x)  # np.sinc(z) = sin(pi z)/(pi z)
    return L * np.sinc(L * x) ** 2


#: Why a NaN or inf reaches every output of the line-shape convolution.
_FOURIER = "the line-shape convolution is a product in Fourier space"


def convolve_instrument(y, spacing, resolution, *, line_shape="gaussian", source_resolution=None, axis=-1,
                        nan_policy="propagate", preserve_nan=False):
    """Convolve uniformly sampled spectra with an instrument line shape.

    Parameters
    ----------
    y : array_like or Quantity, shape (..., n, ...), real
        Spectra on a uniform grid along `axis`.
    spacing : float or Quantity
        Grid spacing (sign ignored).
    resolution : float or Quantity
        Target resolution: the FWHM of the target ILS, > 0.
    line_shape : {"gaussian", "sinc", "boxcar", "sinc2", "triangular"}, optional
        ILS family (default "gaussian").
    source_resolution : float or Quantity, optional
        Resolution (same family) the spectra already have; the applied kernel
        is the ratio of apodizations, so the result has exactly the target
        ILS.  Must be smaller than `resolution`.  Default: none (the source
        is treated as infinitely resolved).
    axis : int, optional
        Spectral axis of `y` (default -1).
    nan_policy : {"propagate", "interpolate", "raise"}, optional
        What NaN samples (masked points) do; the vocabulary of
        :func:`fieldconv.convolve`.  "propagate" (default): every output
        sees every sample (a product in Fourier space), so a NaN would make
        the whole spectrum NaN: ``ValueError`` instead.  "interpolate":
        normalised convolution, NaN samples are left out and each output is
        the ILS-weighted mean of the valid samples (NaN where they weigh
        less than sqrt(eps) of the line shape: deep inside a gap).  "raise":
        ``ValueError`` for any NaN.
    preserve_nan : bool, optional
        With "interpolate": put NaN back at the NaN samples (default False:
        they are filled).

    Returns
    -------
    ndarray, same shape as `y`
        float32 for float32/float16 `y`, float64 otherwise (computed in
        float64); a Quantity `y` keeps its unit.

    Raises
    ------
    ValueError
        Non-positive widths; ``source_resolution >= resolution`` (a filter
        cannot sharpen a spectrum); an empty spectral axis; NaN under
        "propagate" or "raise"; infinite values (under any policy: they would
        make every output NaN); an unknown `nan_policy`.
    TypeError
        Complex or non-numeric `y`.

    Notes
    -----
    The spectrum is extended by its mirror image (half-sample symmetric,
    period ``2n``: the DCT-II boundary, scipy.ndimage's "reflect") and
    multiplied in Fourier space by ``A_target(d) / A_source(d)`` on the OPD
    grid ``d = rfftfreq(2n, spacing)``.  The kernel is even, so the result
    stays mirror-symmetric, and ``A(0) = 1`` conserves the sum over the
    period: ``sum(out) == sum(y)`` to rounding for every line shape (what
    leaks past an edge is reflected back, including the slowly decaying
    sinc tails).  "interpolate" is ``S(y0) / S(valid)`` with ``S`` this
    convolution, ``y0`` the spectrum with NaN set to 0 and ``valid`` its 0/1
    mask (:mod:`fieldconv._nan_policy`, shared with the other operators).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import convolve_instrument
    >>> x = np.arange(-200, 201) * 0.5
    >>> band = np.exp(-0.5 * (x / 1.0) ** 2)
    >>> out = convolve_instrument(band, 0.5, 8.0, line_shape="sinc2")
    >>> bool(abs(out.sum() - band.sum()) < 1e-10 * band.sum())
    True
    >>> masked = band.copy(); masked[150:160] = np.nan
    >>> filled = convolve_instrument(masked, 0.5, 8.0, nan_policy="interpolate")
    >>> bool(np.all(np.isfinite(filled)))
    True
    """
    from scipy import fft as sfft

    spacing, sunit = strip(spacing, "spacing")
    spacing = check_positive("spacing", abs(float(spacing)))
    resolution = check_positive("resolution", float(strip_like(resolution, "resolution", sunit)))
    shape = _shape(line_shape)
    nan_policy = check_nan_policy(nan_policy)
    if source_resolution is not None:
        source_resolution = strip_like(source_resolution, "source_resolution", sunit)
        source_resolution = check_positive("source_resolution", float(source_resolution))
        if source_resolution >= resolution:
            raise ValueError(
                f"source_resolution must be finer (smaller) than resolution ({resolution}); got "
                f"{source_resolution}: a line-shape filter cannot sharpen a spectrum"
            )
    y, yunit = strip(y, "y")
    y, dt = as_data(y, "y")
    if y.ndim == 0:
        raise ValueError(f"y must have at least one dimension (the spectral axis); got a 0-d value {y!r}")
    ax = as_axes(axis, y.ndim, name="axis")[0]
    ym = np.moveaxis(y, ax, -1)
    n = ym.shape[-1]
    if n == 0:
        raise ValueError(f"y must have at least one sample along axis {axis}; got shape {y.shape}")
    refuse_infinite(inf_count(ym), "y", _FOURIER)
    nnan = nan_count(ym)
    refuse_nan(nnan, nan_policy, "y", global_op=_FOURIER)
    N = 2 * n
    d = sfft.rfftfreq(N, spacing)
    A = _apodization(d, resolution, shape)
    if source_resolution is not None:
        As = _apodization(d, source_resolution, shape)
        A = np.divide(A, As, out=np.zeros_like(A), where=As > 0)

    def apply(a):
        # period 2n, mirror-symmetric; the ILS is centred on its sample: the kernel is real and even, A real
        ap = np.concatenate([a, a[..., ::-1]], axis=-1)
        return sfft.irfft(sfft.rfft(ap, N, axis=-1) * A, N, axis=-1)[..., :n]

    if nnan:  # nan_policy == "interpolate"
        # the valid samples' weight comes out of an FFT round trip (noise ~ eps log2(N) sum|k|, k the kernel):
        # below FFT_WEIGHT_FLOOR sum|k| the mean is not known to ~sqrt(eps): NaN there
        tiny = FFT_WEIGHT_FLOOR * float(np.abs(sfft.irfft(A, N)).sum())
        out = normalised(apply, ym, tiny=tiny, preserve_nan=preserve_nan)
    else:
        out = apply(ym)
    return attach(np.moveaxis(out.astype(dt, copy=False), -1, ax), yunit)


def _bin_edges(centres):
    """Edges (ascending) of bins around ascending `centres`."""
    mid = 0.5 * (centres[1:] + centres[:-1])
    first = centres[0] - (mid[0] - centres[0])
    last = centres[-1] + (centres[-1] - mid[-1])
    return np.concatenate([[first], mid, [last]])


def _cumint(xa, ya, e):
    """Integral of the piecewise-linear (xa, ya) from xa[0] to each e (inside)."""
    h = np.diff(xa)
    C = np.concatenate([np.zeros(ya.shape[:-1] + (1,)), np.cumsum(0.5 * (ya[..., 1:] + ya[..., :-1]) * h, axis=-1)], axis=-1)
    k = np.clip(np.searchsorted(xa, e, side="right") - 1, 0, xa.shape[0] - 2)
    s = e - xa[k]
    slope = (ya[..., k + 1] - ya[..., k]) / h[k]
    return C[..., k] + ya[..., k] * s + 0.5 * slope * s**2


def _bin_average(xv, ym, qa):
    """Mean of the piecewise-linear (xv, ym) over the bins of the ascending targets `qa` (NaN outside).

    Non-finite samples act locally: a bin is NaN if a NaN sample (or both
    +inf and -inf) has positive weight in it, +-inf if an infinite one
    does, and otherwise the exact mean, as if the others were not there.
    Sample ``i`` has positive weight in the bin ``(a, b)`` iff its hat
    function's support ``(x[i-1], x[i+1])`` meets it.
    """
    if qa.shape[0] >= 2:
        e = _bin_edges(qa)
    else:
        e = np.array([qa[0] - abs(xv[1] - xv[0]) / 2, qa[0] + abs(xv[1] - xv[0]) / 2])
    ec = np.clip(e, xv[0], xv[-1])
    finite = np.isfinite(ym)
    all_finite = bool(np.all(finite))
    F = _cumint(xv, ym if all_finite else np.where(finite, ym, 0.0), ec)
    width = np.diff(ec)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.diff(F, axis=-1) / width
    if not all_finite:
        n = xv.shape[0]
        lo = np.clip(np.searchsorted(xv, ec[:-1], side="right") - 1, 0, n - 1)  # first sample with weight
        hi = np.clip(np.searchsorted(xv, ec[1:], side="left"), 0, n - 1)  # last sample with weight

        def hits(flag):  # number of flagged samples in [lo, hi] of each bin
            c = np.concatenate([np.zeros(flag.shape[:-1] + (1,), np.int64), np.cumsum(flag, axis=-1)], axis=-1)
            return c[..., hi + 1] - c[..., lo]

        pinf, ninf = hits(ym == np.inf), hits(ym == -np.inf)
        out = np.where(pinf > 0, np.inf, out)
        out = np.where(ninf > 0, -np.inf, out)
        out = np.where((hits(np.isnan(ym)) > 0) | ((pinf > 0) & (ninf > 0)), np.nan, out)
    outside = (qa < xv[0]) | (qa > xv[-1])
    out[..., outside] = np.nan
    return out


def resample(y, x, x_new, resolution=None, *, source_resolution=None, line_shape="gaussian", axis=-1,
             nan_policy="propagate"):
    """Put spectra on a new grid: degrade to `resolution`, then bin-average.

    Parameters
    ----------
    y : array_like or Quantity, shape (..., n, ...), real
        Spectra along `axis`.
    x : SpectralAxis, Quantity or array_like (n,)
        Their axis (any direction; may be non-uniform).
    x_new : SpectralAxis, Quantity or array_like (m,)
        Target grid (any direction; converted to `x`'s unit if both carry
        units).
    resolution : float, optional
        Target resolution (FWHM, axis units), e.g. the coarser of two
        instruments.  None: no line-shape step (bin averaging only).
    source_resolution : float, optional
        Resolution of `y` (same line-shape family); see
        :func:`convolve_instrument`.  When ``source_resolution >=
        resolution`` no line-shape step is applied.
    line_shape : str, optional
        ILS family (default "gaussian").
    axis : int, optional
        Spectral axis of `y` (default -1).
    nan_policy : {"propagate", "interpolate", "raise"}, optional
        What NaN samples do (the vocabulary of :func:`fieldconv.convolve`).
        "propagate" (default): the bin averaging is local, so a NaN makes
        NaN exactly the target bins in which it has weight (the bins that
        overlap its two neighbouring intervals); with a line-shape step
        (`resolution` finer than the source) every output would see it:
        ``ValueError``.  "interpolate": NaN samples are left out (the
        piecewise-linear spectrum bridges them; with a line-shape step, the
        normalised convolution of :func:`convolve_instrument`); target
        points outside the valid samples are NaN.  "raise": ``ValueError``
        for any NaN.  Infinite samples give +-inf in the bins they weigh in
        without a line-shape step, and ``ValueError`` with one.

    Returns
    -------
    ndarray
        Shape of `y` with `axis` of length m, in `x_new`'s order; float32
        for float32/float16 `y`, float64 otherwise (computed in float64).
        NaN at target points outside the range of `x` (no extrapolation).

    Raises
    ------
    ValueError
        Non-monotonic or non-finite `x`/`x_new`; wrong length of `y`;
        non-positive resolutions; NaN under "raise" (or under "propagate"
        with a line-shape step); infinite values with a line-shape step; an
        unknown `nan_policy`.
    TypeError
        Complex or non-numeric `y`.

    Notes
    -----
    1. A non-uniform `x` is first interpolated (linearly) onto a uniform grid
       of spacing ``min(median spacing / 2, resolution / 8)``; then
       :func:`convolve_instrument`.
    2. Each target point ``j`` gets the mean of the piecewise-linear
       spectrum over its bin (edges halfway between target points, clipped
       to the data range): ``y_new[j] = (F(e_{j+1}) - F(e_j)) / (e_{j+1} - e_j)``
       with ``F`` the exact running integral.  Hence
       ``sum_j y_new[j] (e_{j+1} - e_j)`` equals the integral of the
       (degraded) input over the covered range to rounding: band areas are
       conserved, unlike point interpolation, which aliases narrow bands.
       Non-finite samples enter ``F`` as zeros, and the bins in which they
       have weight are then set (NaN, +-inf), so nothing spreads further.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import resample
    >>> x = np.linspace(1800.0, 1600.0, 401)          # 0.5 cm^-1, descending
    >>> y = np.exp(-0.5 * ((x - 1700.0) / 2.0) ** 2)  # a band of area 2 sqrt(2 pi)
    >>> xn = np.linspace(1800.0, 1600.0, 51)          # 4 cm^-1 grid
    >>> yn = resample(y, x, xn, resolution=8.0)
    >>> bool(abs(np.sum(yn) * 4.0 - 2 * np.sqrt(2 * np.pi)) < 1e-6)
    True
    >>> y[200] = np.nan                               # one masked sample: one target bin
    >>> int(np.isnan(resample(y, x, xn)).sum())
    1
    """
    xv, xax = positions(x, "x")
    nv, nax = positions(x_new, "x_new")
    q = same_unit(nax, xax, nv)
    nan_policy = check_nan_policy(nan_policy)
    y, yunit = strip(y, "y")
    ym, dt = samples_last(y, axis, xv.shape[0])
    nnan = nan_count(ym)
    refuse_nan(nnan, nan_policy, "y")
    if xv[0] > xv[-1]:
        xv, ym = xv[::-1], ym[..., ::-1]
    xunit = None if xax is None else xax.unit
    if source_resolution is not None:
        source_resolution = check_positive(
            "source_resolution", float(strip_like(source_resolution, "source_resolution", xunit, ref_name="x")))
    line_step = False
    if resolution is not None:
        resolution = check_positive("resolution", float(strip_like(resolution, "resolution", xunit, ref_name="x")))
        line_step = source_resolution is None or source_resolution < resolution
    if line_step:
        refuse_infinite(inf_count(ym), "y", _FOURIER)
        refuse_nan(nnan, nan_policy, "y", global_op=_FOURIER)
        d = np.diff(xv)
        if not np.all(np.abs(d - d[0]) <= 1e-6 * d[0]):
            h = min(float(np.median(d)) / 2, resolution / 8)
            grid = np.linspace(xv[0], xv[-1], int(math.floor((xv[-1] - xv[0]) / h + 1e-9)) + 1)
            ym = interp(grid, xv, ym)  # a NaN sample makes NaN the grid points of its two intervals
            xv = grid
        ym = convolve_instrument(ym, xv[1] - xv[0], resolution, line_shape=line_shape,
                                 source_resolution=source_resolution, nan_policy=nan_policy)
    order = np.argsort(q)
    qa = q[order]
    if nnan and nan_policy == "interpolate" and not line_step:
        out_a = _bin_average_valid(xv, ym, qa)
    else:
        out_a = _bin_average(xv, ym, qa)
    out = np.empty_like(out_a)
    out[..., order] = out_a
    return attach(np.moveaxis(out.astype(dt, copy=False), -1, axis), yunit)


def _bin_average_valid(xv, ym, qa):
    """:func:`_bin_average` of each spectrum through its non-NaN samples only (NaN outside them)."""
    flat = ym.reshape(-1, ym.shape[-1])
    out = np.full((flat.shape[0], qa.shape[0]), np.nan)
    nan = np.isnan(flat)
    clean = ~nan.any(axis=1)
    if clean.any():
        out[clean] = _bin_average(xv, flat[clean], qa)
    for r in np.flatnonzero(~clean):
        keep = ~nan[r]
        if np.count_nonzero(keep) >= 2:
            out[r] = _bin_average(xv[keep], flat[r, keep], qa)
    return out.reshape(ym.shape[:-1] + qa.shape)
