"""What a Savitzky-Golay filter does: its frequency response, noise gain, and a window suggestion."""

import math

import numpy as np

from .._units import attach, product, strip, strip_like
from .._validate import check_int, check_positive
from ._filter import savgol_coeffs, window_length_from_width

__all__ = ["savgol_frequency_response", "savgol_noise_gain", "suggest_window"]


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
    delta, dunit = strip(delta, "delta")
    c = savgol_coeffs(window_length, polyorder, deriv, delta)
    n = check_int("n", n, minimum=2)
    delta = float(delta)
    freq = np.linspace(0.0, 0.5 / delta, n)
    j = np.arange(c.shape[0]) - (c.shape[0] - 1) / 2.0
    H = np.exp(-2j * np.pi * np.outer(freq, j) * delta) @ c
    return attach(freq, product((dunit, -1))), attach(H, product((dunit, -deriv)))


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
    delta, dunit = strip(delta, "delta")
    c = savgol_coeffs(window_length, polyorder, deriv, delta, pos=pos)
    return attach(float(np.dot(c, c)), product((dunit, -2 * deriv)))


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
        Neither `fwhm` nor `resolution` given; non-positive values; a
        Quantity `fwhm` or `resolution` whose unit does not convert to the
        unit of `spacing`, or with a plain `spacing`.

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
        return check_positive(name, strip_like(v, name, sunit))

    width = math.hypot(_val("fwhm", fwhm), _val("resolution", resolution))
    spacing = check_positive("spacing", abs(float(spacing)))
    span = 1.5 * width * (polyorder + 1) / 5.0
    w = window_length_from_width(span, spacing)
    minimum = polyorder + 2 + (polyorder + 2 + 1) % 2
    return max(w, minimum)
