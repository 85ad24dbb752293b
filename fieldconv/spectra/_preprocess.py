"""Preprocessing of spectra: absorbance/transmittance, baselines, normalisation, despiking, ATR, atmospheric masks."""

import math

import numpy as np

from .._units import attach, strip
from .._validate import check_choice, check_int, check_positive
from ..filters import median_filter
from ._axis import as_data, positions, samples_last

__all__ = [
    "transmittance_to_absorbance",
    "absorbance_to_transmittance",
    "correct_baseline",
    "normalize",
    "despike",
    "penetration_depth",
    "atr_correction",
    "atmospheric_mask",
    "mask_atmospheric",
    "ATMOSPHERIC_REGIONS",
]

#: Atmospheric absorption regions in cm^-1 (gas-phase CO2 and H2O bands).
ATMOSPHERIC_REGIONS = {
    "co2": ((2280.0, 2400.0), (640.0, 700.0)),  # nu3 asymmetric stretch; nu2 bend at 667 cm^-1
    "h2o": ((1350.0, 1900.0), (3550.0, 3950.0)),  # nu2 bend rotational lines; nu1/nu3 stretches
}



def transmittance_to_absorbance(transmittance, *, percent=False):
    """Absorbance ``A = -log10(T)``.

    Parameters
    ----------
    transmittance : array_like
        T as a fraction of 1 (default) or in percent (``percent=True``).
        NaN (masked points) passes through.
    percent : bool, optional
        True if `transmittance` is in percent (0-100).

    Returns
    -------
    ndarray
        float32 for float32/float16 input, float64 otherwise.

    Raises
    ------
    ValueError
        Zero or negative transmittance (the log is undefined): the message
        gives the count.
    TypeError
        Complex or non-numeric input.

    Examples
    --------
    >>> from fieldconv.spectra import transmittance_to_absorbance
    >>> transmittance_to_absorbance([1.0, 0.1, 0.01])
    array([-0., 1., 2.])
    >>> transmittance_to_absorbance([50.0], percent=True).round(6)
    array([0.30103])
    """
    t, dt = as_data(strip(transmittance, "transmittance", "")[0], "transmittance")  # u.percent -> fraction
    bad = int(np.sum(t <= 0))
    if bad:
        raise ValueError(
            f"transmittance must be positive ({'percent' if percent else 'fraction of 1'}); "
            f"got {bad} values <= 0"
        )
    if percent:
        t = t / 100.0
    return (-np.log10(t)).astype(dt, copy=False)


def absorbance_to_transmittance(absorbance, *, percent=False):
    """Transmittance ``T = 10**(-A)``, as a fraction (default) or in percent.

    Examples
    --------
    >>> from fieldconv.spectra import absorbance_to_transmittance
    >>> absorbance_to_transmittance([0.0, 1.0], percent=True)
    array([100.,  10.])
    """
    a, dt = as_data(strip(absorbance, "absorbance", "")[0], "absorbance")
    t = 10.0 ** (-a)
    return (t * 100.0 if percent else t).astype(dt, copy=False)



def correct_baseline(y, x, method="asls", *, axis=-1, **options):
    """Estimate and subtract a baseline with pybaselines, on the real x axis.

    Parameters
    ----------
    y : array_like, shape (..., n, ...)
        Spectra along `axis`.
    x : SpectralAxis or array_like (n,)
        Their positions (any direction; pybaselines gets them ascending and
        the result comes back in the caller's order).
    method : str, optional
        Any method of :class:`pybaselines.Baseline` (e.g. ``"asls"``
        (default), ``"arpls"``, ``"airpls"``, ``"modpoly"``, ``"snip"``), or
        ``"rubberband"``/``"convex_hull"`` (lower convex hull).
    axis : int, optional
        Spectral axis (default -1).
    **options
        Passed to the pybaselines method (e.g. ``lam=1e5, p=0.01`` for asls).

    Returns
    -------
    corrected : ndarray, shape of `y`
    baseline : ndarray, shape of `y`
        float32 for float32/float16 `y`, float64 otherwise (pybaselines
        computes in float64).

    Raises
    ------
    ImportError
        pybaselines is not installed (``pip install pybaselines``).
    ValueError
        Unknown method, non-monotonic `x`, NaN or inf in `y`.
    TypeError
        Complex or non-numeric `y`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import correct_baseline
    >>> x = np.linspace(4000, 400, 500)
    >>> y = 0.2 + 1e-4 * x + np.exp(-0.5 * ((x - 1700) / 10) ** 2)
    >>> corr, base = correct_baseline(y, x, "rubberband")
    >>> bool(abs(corr[0]) < 1e-9 and abs(corr.max() - 1) < 0.05)
    True
    """
    try:
        from pybaselines import Baseline
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError("correct_baseline needs pybaselines: pip install pybaselines") from exc
    xv, _ = positions(x, "x")
    if method == "convex_hull":
        method = "rubberband"
    fitter = Baseline(x_data=xv[::-1] if xv[0] > xv[-1] else xv)
    fn = getattr(fitter, method, None) if not method.startswith("_") else None
    if fn is None or not callable(fn):
        raise ValueError(f"method must be a pybaselines.Baseline method (e.g. 'asls', 'arpls', 'rubberband'); got {method!r}")
    y, yunit = strip(y, "y")
    ym, dt = samples_last(y, axis, xv.shape[0])
    bad = int(np.count_nonzero(~np.isfinite(ym)))
    if bad:
        raise ValueError(
            f"y contains {bad} NaN/inf value(s): correct_baseline fits every sample; drop or interpolate them first "
            "(e.g. fieldconv.smoothing.savgol_filter_nan fills masked samples)"
        )
    flat = ym.reshape(-1, xv.shape[0])
    base = np.empty_like(flat)
    for i, row in enumerate(flat):
        r = row[::-1] if xv[0] > xv[-1] else row
        b = _fit_baseline(fn, method, xv[::-1] if xv[0] > xv[-1] else xv, r, options)
        base[i] = b[::-1] if xv[0] > xv[-1] else b
    base = np.moveaxis(base.reshape(ym.shape), -1, axis)
    corrected = (np.moveaxis(ym, -1, axis) - base).astype(dt, copy=False)
    return attach(corrected, yunit), attach(base.astype(dt, copy=False), yunit)


def _fit_baseline(fn, method, xa, r, options):
    """One baseline; a rubber band of collinear points is the line itself (Qhull refuses a flat hull)."""
    try:
        return np.asarray(fn(r, **options)[0], dtype=np.float64)
    except Exception as exc:
        if method != "rubberband" or type(exc).__name__ != "QhullError":
            raise
        line = r[0] + (r[-1] - r[0]) * (xa - xa[0]) / (xa[-1] - xa[0])
        # collinear to rounding (the lower convex hull of a line is the line): the spectrum is its own baseline
        if np.all(np.abs(r - line) <= 64 * np.finfo(np.float64).eps * (np.abs(r).max() + np.abs(line).max())):
            return r.copy()
        raise ValueError(f"the rubber-band baseline failed ({exc.__class__.__name__}: degenerate hull)") from None


_NORMS = ("snv", "minmax", "vector", "area")


def normalize(y, method="snv", *, axis=-1):
    """Normalise spectra along `axis`.

    Parameters
    ----------
    y : array_like
        Spectra.
    method : {"snv", "minmax", "vector", "area"}, optional
        ``"snv"`` (standard normal variate, default): ``(y - mean) / std``
        with the sample standard deviation (``ddof=1``); ``"minmax"``:
        ``(y - min) / (max - min)`` into [0, 1]; ``"vector"``: ``y / ||y||_2``;
        ``"area"``: ``y / sum|y|`` (unit L1 norm, per sample; multiply by
        the spacing for a unit integral).
    axis : int, optional
        Spectral axis (default -1).

    Returns
    -------
    ndarray, shape of `y`
        float32 for float32/float16 `y`, float64 otherwise.

    Raises
    ------
    ValueError
        Unknown method; spectra that are constant (snv, minmax) or zero
        (vector, area): the message gives how many.
    TypeError
        Complex or non-numeric `y`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import normalize
    >>> normalize([1.0, 2.0, 3.0])
    array([-1.,  0.,  1.])
    >>> normalize([1.0, 2.0, 3.0], "minmax")
    array([0. , 0.5, 1. ])
    """
    check_choice("method", method, _NORMS)
    y, dt = as_data(y, "y")
    if method == "snv":
        c = y - y.mean(axis=axis, keepdims=True)
        s = y.std(axis=axis, ddof=1, keepdims=True)
    elif method == "minmax":
        c = y - y.min(axis=axis, keepdims=True)
        s = y.max(axis=axis, keepdims=True) - y.min(axis=axis, keepdims=True)
    elif method == "vector":
        c, s = y, np.sqrt(np.sum(y * y, axis=axis, keepdims=True))
    else:
        c, s = y, np.sum(np.abs(y), axis=axis, keepdims=True)
    bad = int(np.sum(~(s > 0)))
    if bad:
        raise ValueError(f"cannot normalise with method={method!r}: {bad} spectra are constant, zero or contain NaN")
    return (c / s).astype(dt, copy=False)


def despike(y, *, size=5, threshold=6.0, axis=-1, return_mask=False):
    """Remove isolated spikes (cosmic rays) with a running-median test.

    Parameters
    ----------
    y : array_like
        Spectra.
    size : int, optional
        Odd median window along `axis` (default 5; wider than a spike).
    threshold : float, optional
        A point is a spike if ``|y - median| > threshold * sigma``, with
        ``sigma = 1.4826 * MAD(y - median)`` per spectrum (the mean absolute
        deviation x 1.2533 where the MAD is 0) (default 6).
    axis : int, optional
        Spectral axis (default -1).
    return_mask : bool, optional
        Also return the boolean spike mask.

    Returns
    -------
    ndarray (and the mask if asked)
        Spikes replaced by the running median; other points unchanged.
        float32 for float32/float16 `y`, float64 otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import despike
    >>> y = np.sin(np.linspace(0, 3, 50)); y[20] += 5.0
    >>> clean, mask = despike(y, return_mask=True)
    >>> np.flatnonzero(mask).tolist(), bool(abs(clean[20] - np.sin(60 / 49)) < 0.05)
    ([20], True)
    """
    size = check_int("size", size, minimum=1)
    if size % 2 == 0:
        raise ValueError(f"size must be odd; got {size}")
    threshold = check_positive("threshold", threshold)
    y, yunit = strip(y, "y")
    y, dt = as_data(y, "y")
    sizes = [1] * y.ndim
    sizes[axis] = size
    med = median_filter(y, tuple(sizes), mode="reflect", backend="numpy")
    r = y - med
    dev = np.abs(r - np.median(r, axis=axis, keepdims=True))
    sigma = 1.4826 * np.median(dev, axis=axis, keepdims=True)
    # a running median reproduces monotonic stretches exactly, so the MAD can be 0:
    # fall back to the mean absolute deviation (x 1.2533 for a Gaussian sigma)
    sigma = np.where(sigma > 0, sigma, 1.2533 * np.mean(dev, axis=axis, keepdims=True))
    mask = np.abs(r) > threshold * np.where(sigma > 0, sigma, np.inf)
    out = attach(np.where(mask, med, y).astype(dt, copy=False), yunit)
    return (out, mask) if return_mask else out


def penetration_depth(wavenumber, *, n_crystal, n_sample, angle=45.0):
    """ATR evanescent-wave penetration depth (um) at wavenumbers in cm^-1 (a Quantity gives a Quantity in um).

    ``d_p = lambda / (2 pi n1 sqrt(sin^2(theta) - (n2/n1)^2))`` with
    ``lambda = 1e4 / wavenumber`` um, ``n1`` the crystal index (diamond 2.4,
    ZnSe 2.4, Ge 4.0), ``n2`` the sample index, ``theta`` the angle of
    incidence in degrees.

    Raises
    ------
    ValueError
        No total internal reflection (``sin(theta) <= n2/n1``), or
        non-positive or non-finite inputs.

    Examples
    --------
    >>> from fieldconv.spectra import penetration_depth
    >>> round(float(penetration_depth(1000.0, n_crystal=2.4, n_sample=1.5, angle=45.0)), 3)
    2.005
    """
    n1 = check_positive("n_crystal", n_crystal)
    n2 = check_positive("n_sample", n_sample)
    th = math.radians(check_positive("angle", angle))
    arg = math.sin(th) ** 2 - (n2 / n1) ** 2
    if arg <= 0:
        raise ValueError(
            f"no total internal reflection: sin(angle)^2 must exceed (n_sample/n_crystal)^2; got "
            f"sin({angle} deg)^2 = {math.sin(th) ** 2:.4f} <= ({n2}/{n1})^2 = {(n2 / n1) ** 2:.4f}"
        )
    nu, nunit = strip(wavenumber, "wavenumber", "1 / cm")
    nu = np.asarray(nu, dtype=np.float64)
    if not np.all(nu > 0) or not np.all(np.isfinite(nu)):
        raise ValueError(f"wavenumber must be positive and finite; got {int(np.sum(~(nu > 0) | ~np.isfinite(nu)))} "
                         "values that are not")
    depth = (1e4 / nu) / (2 * math.pi * n1 * math.sqrt(arg))
    if nunit is None:
        return depth
    import astropy.units as u

    return u.Quantity(depth, u.um)


def atr_correction(y, wavenumber, *, reference_wavenumber=1000.0, axis=-1):
    """Correct ATR absorbance for the wavelength dependence of the probed depth.

    ATR absorbance is proportional to the penetration depth ``d_p``, which is
    proportional to the wavelength (``1/wavenumber``, see
    :func:`penetration_depth`; the other factors do not depend on
    wavenumber when the refractive indices are taken constant).  The
    corrected spectrum is ``A * wavenumber / reference_wavenumber``: bands
    at high wavenumber (C-H, O-H stretches) are raised to the intensity a
    transmission spectrum would show relative to the reference.

    Parameters
    ----------
    y : array_like
        ATR absorbance spectra along `axis`.
    wavenumber : SpectralAxis or array_like (n,), cm^-1
        Positions (any direction).
    reference_wavenumber : float, optional
        Wavenumber where the correction is 1 (default 1000 cm^-1).
    axis : int, optional
        Spectral axis (default -1).

    Examples
    --------
    >>> from fieldconv.spectra import atr_correction
    >>> atr_correction([1.0, 1.0], [3000.0, 1000.0])
    array([3., 1.])
    """
    nu, ax = positions(wavenumber, "wavenumber")
    if ax is not None and ax.kind != "wavenumber":
        nu = ax.to("cm-1").values
    ref = check_positive("reference_wavenumber", reference_wavenumber)
    if np.any(nu <= 0):
        raise ValueError(f"wavenumber must be positive; got {int(np.sum(nu <= 0))} values <= 0")
    y, yunit = strip(y, "y")
    y, dt = as_data(y, "y")
    shape = [1] * y.ndim
    shape[axis] = nu.shape[0]
    return attach((y * (nu / ref).reshape(shape)).astype(dt, copy=False), yunit)


def atmospheric_mask(x, regions=("co2", "h2o")):
    """Boolean mask (True = affected) of atmospheric CO2/H2O regions.

    Parameters
    ----------
    x : SpectralAxis or array_like (cm^-1)
        Positions; a SpectralAxis in another unit is converted to cm^-1.
    regions : sequence of {"co2", "h2o"} or of (lo, hi) pairs in cm^-1
        Default both gases, with the ranges of :data:`ATMOSPHERIC_REGIONS`:
        CO2 2280-2400 and 640-700 cm^-1, H2O 1350-1900 and 3550-3950 cm^-1.

    Examples
    --------
    >>> from fieldconv.spectra import atmospheric_mask
    >>> atmospheric_mask([4000.0, 3600.0, 2350.0, 1000.0, 667.0]).tolist()
    [False, True, True, False, True]
    """
    nu, ax = positions(x, "x")
    if ax is not None and (ax.kind != "wavenumber" or str(ax.unit) != "1 / cm"):
        nu = ax.to("cm-1").values if ax.kind != "raman_shift" else ax._absolute().to_value("cm-1")
    ranges = []
    for r in regions:
        if isinstance(r, str):
            if r not in ATMOSPHERIC_REGIONS:
                raise ValueError(f"regions entries must be 'co2', 'h2o' or (lo, hi) pairs; got {r!r}")
            ranges.extend(ATMOSPHERIC_REGIONS[r])
        else:
            lo, hi = r
            ranges.append((min(lo, hi), max(lo, hi)))
    mask = np.zeros(nu.shape, bool)
    for lo, hi in ranges:
        mask |= (nu >= lo) & (nu <= hi)
    return mask


def mask_atmospheric(y, x, regions=("co2", "h2o"), *, axis=-1):
    """Copy of `y` with the atmospheric regions set to NaN.

    Combine with :func:`fieldconv.smoothing.savgol_filter_nan`, which leaves
    the masked points out of each local fit.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import mask_atmospheric
    >>> mask_atmospheric(np.ones(3), [2500.0, 2350.0, 2200.0])
    array([ 1., nan,  1.])
    """
    m = atmospheric_mask(x, regions)
    y, yunit = strip(y, "y")
    y, dt = as_data(y, "y")
    y = y.astype(dt, copy=True)
    shape = [1] * y.ndim
    shape[axis] = m.shape[0]
    y[np.broadcast_to(m.reshape(shape), y.shape)] = np.nan
    return attach(y, yunit)

