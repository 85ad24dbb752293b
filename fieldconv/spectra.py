"""Spectral axes with units, resolution matching, preprocessing and files.

Conventions of this module:

* A spectrum is an array ``y`` whose `axis` (default the last) runs along a
  :class:`SpectralAxis`: strictly monotonic positions with an astropy unit,
  in the caller's order.  Descending axes (IR is stored 4000 -> 400 cm^-1)
  are handled everywhere; nothing is silently re-sorted, every output comes
  back in the order of the grid it is defined on.
* Kinds of axis: ``"wavenumber"`` (1/length, e.g. cm^-1), ``"wavelength"``
  (length, e.g. nm, um), ``"frequency"`` (Hz, THz) and ``"raman_shift"`` (a
  wavenumber unit plus the laser wavelength: ``shift [cm^-1] = 1e7 /
  lambda_laser [nm] - 1e7 / lambda [nm]``).
* Resolution is the full width at half maximum (FWHM) of the instrument line
  shape (ILS), in axis units.  Line shapes and their FWHM conventions, for a
  Fourier-transform spectrometer of maximum optical path difference ``L``:

  ==============  =====================  ===================================
  ``line_shape``  apodization (OPD)      ILS and FWHM
  ==============  =====================  ===================================
  "gaussian"      Gaussian               ``exp(-x^2/2 s^2)``, FWHM ``2 sqrt(2 ln 2) s``
  "sinc"/"boxcar" boxcar, ``|d| <= L``   ``2L sinc(2 pi nu L)``, FWHM ``0.6034/L``
  "sinc2"/        triangle, ``|d| <= L`` ``L sinc^2(pi nu L)``, FWHM ``0.8859/L``
  "triangular"
  ==============  =====================  ===================================

  Degrading from a source resolution to a coarser one divides the
  apodizations (exact for these three families), so no line shape is
  applied twice.
* Band areas: :func:`convolve_instrument` multiplies the spectrum's Fourier
  transform by an apodization equal to 1 at zero OPD and uses reflecting
  padding, so ``sum(y)`` is conserved; :func:`resample` then averages the
  piecewise-linear spectrum over each output bin, so ``sum(y_new * width)``
  equals the integral of the input over the covered range exactly.

File formats (JCAMP-DX, CSV, HDF5) live in :mod:`fieldconv._spectra_io` and
are re-exported here.
"""

import math

import numpy as np

from ._units import is_quantity
from ._validate import check_choice, check_int, check_positive

__all__ = [
    "SpectralAxis",
    "Spectrum",
    "interp",
    "convert_spectrum",
    "transmittance_to_absorbance",
    "absorbance_to_transmittance",
    "line_shape",
    "convolve_instrument",
    "resample",
    "correct_baseline",
    "normalize",
    "despike",
    "penetration_depth",
    "atr_correction",
    "atmospheric_mask",
    "mask_atmospheric",
    "ATMOSPHERIC_REGIONS",
    "LINE_SHAPES",
    "read_jcamp",
    "write_jcamp",
    "read_csv",
    "write_csv",
    "read_hdf5",
    "write_hdf5",
]

#: Line-shape names (aliases map to the same ILS).
LINE_SHAPES = ("gaussian", "sinc", "boxcar", "sinc2", "triangular")
_SHAPE_ALIAS = {"boxcar": "sinc", "triangular": "sinc2"}
# sin(x)/x = 1/2 and (sin(x)/x)^2 = 1/2
_X_SINC = 1.895494267033981
_X_SINC2 = 1.3915573782515114

#: Atmospheric absorption regions in cm^-1 (gas-phase CO2 and H2O bands).
ATMOSPHERIC_REGIONS = {
    "co2": ((2280.0, 2400.0), (640.0, 700.0)),  # nu3 asymmetric stretch; nu2 bend at 667 cm^-1
    "h2o": ((1350.0, 1900.0), (3550.0, 3950.0)),  # nu2 bend rotational lines; nu1/nu3 stretches
}

_KINDS = ("wavenumber", "wavelength", "frequency", "raman_shift")


# ============================================================== the spectral axis
def _unit(unit, name="unit"):
    import astropy.units as u

    try:
        un = u.Unit(unit)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a spectral unit (e.g. 'cm-1', 'nm', 'um', 'THz'); got {unit!r}") from exc
    if un.physical_type == "wavenumber":
        return un, "wavenumber"
    if un.physical_type == "length":
        return un, "wavelength"
    if un.physical_type == "frequency":
        return un, "frequency"
    raise ValueError(
        f"{name} must be a spectral unit (wavenumber, wavelength or frequency); got {unit!r} "
        f"(physical type {un.physical_type})"
    )


def _check_monotonic(values, name):
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.shape[0] < 2:
        raise ValueError(f"{name} must be 1-D with at least 2 points; got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(v)))} non-finite values")
    d = np.diff(v)
    if not (np.all(d > 0) or np.all(d < 0)):
        k = int(np.argmax(d <= 0)) if d[0] > 0 else int(np.argmax(d >= 0))
        raise ValueError(
            f"{name} must be strictly monotonic (increasing or decreasing); it turns or repeats at index "
            f"{k + 1} ({v[k]!r} -> {v[k + 1]!r})"
        )
    return v


class SpectralAxis:
    """Strictly monotonic spectral positions with a unit, in the caller's order.

    Parameters
    ----------
    values : array_like, shape (n,), or Quantity
        Positions, increasing or decreasing (kept as given).
    unit : str or astropy unit, optional
        Unit when `values` is not a Quantity (default ``"cm-1"``).
    kind : {"wavenumber", "wavelength", "frequency", "raman_shift"}, optional
        Default: from the unit's physical type; ``"raman_shift"`` must be
        asked for and needs `laser_wavelength`.
    laser_wavelength : float or Quantity, optional
        Excitation wavelength (float: nm) of a Raman-shift axis.

    Attributes
    ----------
    values : ndarray, float64, read-only
    unit : astropy unit
    kind : str
    laser_wavelength : float or None (nm)

    Raises
    ------
    ValueError
        Non-monotonic, repeated, non-finite values or fewer than 2 points;
        an unknown or non-spectral unit; a Raman axis without laser line.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import SpectralAxis
    >>> ax = SpectralAxis(np.linspace(4000, 400, 5), "cm-1")
    >>> ax.ascending, ax.spacing
    (False, -900.0)
    >>> np.round(ax.to("um").values, 3)
    array([ 2.5  ,  3.226,  4.545,  7.692, 25.   ])
    >>> raman = SpectralAxis([500.0, 1000.0], "cm-1", kind="raman_shift", laser_wavelength=785.0)
    >>> np.round(raman.to("nm").values, 2)
    array([817.07, 851.87])
    """

    def __init__(self, values, unit="cm-1", *, kind=None, laser_wavelength=None):
        if is_quantity(values):
            unit, values = values.unit, values.value
        un, natural = _unit(unit)
        if kind is None:
            kind = natural
        check_choice("kind", kind, _KINDS)
        if kind == "raman_shift":
            if natural != "wavenumber":
                raise ValueError(f"a raman_shift axis needs a wavenumber unit (e.g. 'cm-1'); got {unit!r}")
            if laser_wavelength is None:
                raise ValueError("a raman_shift axis needs laser_wavelength (the excitation line, nm)")
        elif kind != natural:
            raise ValueError(f"kind {kind!r} does not match unit {unit!r} ({natural})")
        if laser_wavelength is not None:
            if is_quantity(laser_wavelength):
                import astropy.units as u

                laser_wavelength = laser_wavelength.to_value(u.nm, equivalencies=u.spectral())
            laser_wavelength = check_positive("laser_wavelength", laser_wavelength)
        v = _check_monotonic(values, "values").copy()
        v.setflags(write=False)
        self.values, self.unit, self.kind, self.laser_wavelength = v, un, kind, laser_wavelength

    def __len__(self):
        return self.values.shape[0]

    def __repr__(self):
        v = self.values
        extra = f", laser {self.laser_wavelength} nm" if self.kind == "raman_shift" else ""
        return f"SpectralAxis({v[0]:g} .. {v[-1]:g} {self.unit}, n={v.shape[0]}, {self.kind}{extra})"

    @property
    def ascending(self):
        """True if the values increase."""
        return bool(self.values[1] > self.values[0])

    @property
    def is_uniform(self):
        """True if the spacing is constant to 1e-6 relative."""
        d = np.diff(self.values)
        return bool(np.all(np.abs(d - d[0]) <= 1e-6 * abs(d[0])))

    @property
    def spacing(self):
        """Signed mean spacing (negative for a descending axis)."""
        return float((self.values[-1] - self.values[0]) / (self.values.shape[0] - 1))

    @property
    def quantity(self):
        """The values as an astropy Quantity."""
        import astropy.units as u

        return u.Quantity(self.values, self.unit)

    def _absolute(self):
        """Positions as an absolute-spectral Quantity (Raman shift -> absolute cm^-1)."""
        import astropy.units as u

        if self.kind == "raman_shift":
            shift = (self.values * self.unit).to_value(u.cm**-1)
            return (1e7 / self.laser_wavelength - shift) * u.cm**-1
        return self.quantity

    def to(self, unit, *, kind=None, laser_wavelength=None):
        """Element-wise conversion to another unit (same order, maybe non-uniform).

        Parameters
        ----------
        unit : str or astropy unit
            Target unit.
        kind : str, optional
            ``"raman_shift"`` to convert to a Raman shift (needs a laser line:
            this axis's, or `laser_wavelength`).
        laser_wavelength : float or Quantity, optional
            Laser line (nm) for a Raman target.

        Returns
        -------
        SpectralAxis
            Positions converted point by point: index ``i`` is the same
            spectral point.  A non-linear conversion (wavenumber <->
            wavelength) gives a non-uniform axis; see :func:`convert_spectrum`
            for resampling onto an even grid.

        Raises
        ------
        ValueError
            Unknown unit; Raman target without a laser line; absolute
            positions that are not positive.
        """
        import astropy.units as u

        un, natural = _unit(unit)
        absq = self._absolute()
        if np.any(absq.value <= 0):
            raise ValueError(
                f"conversion needs positive absolute positions; got {int(np.sum(absq.value <= 0))} values <= 0"
            )
        if kind == "raman_shift":
            lw = laser_wavelength if laser_wavelength is not None else self.laser_wavelength
            if lw is None:
                raise ValueError("converting to a raman_shift axis needs laser_wavelength (nm)")
            if is_quantity(lw):
                lw = lw.to_value(u.nm, equivalencies=u.spectral())
            nu = absq.to_value(u.cm**-1, equivalencies=u.spectral())
            shift = (1e7 / float(lw) - nu) * u.cm**-1
            return SpectralAxis(shift.to_value(un), un, kind="raman_shift", laser_wavelength=lw)
        return SpectralAxis(absq.to_value(un, equivalencies=u.spectral()), un)

    def _linear_to(self, other):
        """True if converting self -> other's unit is affine (so even grids stay even)."""
        if self.kind == "raman_shift" or other.kind == "raman_shift":
            groups = {"wavenumber", "raman_shift"}
            return self.kind in groups and other.kind in groups
        lin = {("wavenumber", "frequency"), ("frequency", "wavenumber")}
        return self.kind == other.kind or (self.kind, other.kind) in lin


class Spectrum:
    """A spectrum or a stack of spectra on one :class:`SpectralAxis`.

    Parameters
    ----------
    axis : SpectralAxis
    y : array_like, shape (..., n)
        Ordinates; the last axis runs along `axis`.
    y_unit : str, optional
        ``"absorbance"``, ``"transmittance"`` (fraction), ``"percent_transmittance"``,
        ``"reflectance"``, ``"intensity"`` or ``"arbitrary"`` (default).
    meta : dict, optional
        Free-form metadata (file header, sample names...).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> s = Spectrum(SpectralAxis([1000.0, 1001.0, 1002.0]), [0.1, 0.5, 0.2], "absorbance")
    >>> s.y.shape, s.y_unit
    ((3,), 'absorbance')
    """

    Y_UNITS = ("absorbance", "transmittance", "percent_transmittance", "reflectance", "intensity", "arbitrary")

    def __init__(self, axis, y, y_unit="arbitrary", meta=None):
        if not isinstance(axis, SpectralAxis):
            raise TypeError(f"axis must be a SpectralAxis; got {type(axis).__name__}")
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 0 or y.shape[-1] != len(axis):
            raise ValueError(f"y must have its last axis of length {len(axis)} (the axis); got shape {y.shape}")
        check_choice("y_unit", y_unit, self.Y_UNITS)
        self.axis, self.y, self.y_unit, self.meta = axis, y, y_unit, dict(meta or {})

    def __repr__(self):
        return f"Spectrum({self.axis!r}, y shape {self.y.shape}, {self.y_unit})"


def _as_axis(x, name):
    if isinstance(x, SpectralAxis):
        return x
    if is_quantity(x):
        return SpectralAxis(x)
    return SpectralAxis(_check_monotonic(x, name), "cm-1")


def _positions(x, name):
    """Plain float64 positions of an axis-like (SpectralAxis, Quantity or array)."""
    if isinstance(x, SpectralAxis):
        return x.values, x
    if is_quantity(x):
        ax = SpectralAxis(x)
        return ax.values, ax
    return _check_monotonic(x, name), None


def _samples_last(y, axis, n):
    """`y` as float64 with its spectral `axis` moved last; its length must be `n` (that of x)."""
    ym = np.moveaxis(np.asarray(y, dtype=np.float64), axis, -1)
    if ym.shape[-1] != n:
        raise ValueError(f"y must have {n} samples along axis {axis} (the length of x); got {ym.shape[-1]}")
    return ym


def _same_unit(x_new_ax, x_ax, x_new_vals):
    """Positions of the new grid in the unit of the source axis."""
    if x_new_ax is None or x_ax is None:
        return x_new_vals
    if x_new_ax.unit == x_ax.unit and x_new_ax.kind == x_ax.kind:
        return x_new_vals
    conv = x_new_ax.to(x_ax.unit, kind="raman_shift" if x_ax.kind == "raman_shift" else None,
                       laser_wavelength=x_ax.laser_wavelength)
    return conv.values


# ================================================================== interpolation
def interp(x_new, x, y, *, axis=-1, fill_value=np.nan):
    """Linear interpolation that is safe for descending axes, N-D `y`.

    Parameters
    ----------
    x_new : array_like (m,), SpectralAxis or Quantity
        Query positions (any order, need not be monotonic).
    x : array_like (n,), SpectralAxis or Quantity
        Strictly monotonic sample positions (increasing or decreasing).
    y : array_like, shape (..., n, ...)
        Values; `axis` runs along `x`.
    axis : int, optional
        Axis of `y` along `x` (default -1).
    fill_value : float, optional
        Value outside ``[min x, max x]`` (default NaN: no silent
        extrapolation).

    Returns
    -------
    ndarray, float64, shape of `y` with `axis` of length m, in `x_new`'s order.

    Raises
    ------
    ValueError
        Non-monotonic `x`, wrong length.

    Notes
    -----
    ``np.interp(x_new, x, y)`` silently returns wrong values when `x`
    decreases; here the bracketing interval is found on the ascending view
    and the result is put back in the caller's order.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import interp
    >>> x = np.array([4000.0, 3000.0, 2000.0])
    >>> interp([3500.0, 2500.0], x, np.array([1.0, 2.0, 4.0]))
    array([1.5, 3. ])
    """
    xv, xax = _positions(x, "x")
    if isinstance(x_new, SpectralAxis) or is_quantity(x_new):
        _, nax = _positions(x_new, "x_new")
        q = _same_unit(nax, xax, nax.values)
    else:
        q = np.asarray(x_new, dtype=np.float64)
    ym = _samples_last(y, axis, xv.shape[0])
    if xv[0] > xv[-1]:
        xv, ym = xv[::-1], ym[..., ::-1]
    qf = q.ravel()
    k = np.clip(np.searchsorted(xv, qf, side="right") - 1, 0, xv.shape[0] - 2)
    t = (qf - xv[k]) / (xv[k + 1] - xv[k])
    out = ym[..., k] * (1 - t) + ym[..., k + 1] * t
    outside = (qf < xv[0]) | (qf > xv[-1]) | np.isnan(qf)
    out[..., outside] = fill_value
    out = out.reshape(ym.shape[:-1] + q.shape)
    return np.moveaxis(out, -1, axis) if q.ndim == 1 else out


def convert_spectrum(axis, y, unit, *, n=None, kind=None, laser_wavelength=None, density=False, spectral_axis=-1):
    """Convert a spectrum's axis unit, resampling on an even grid if non-linear.

    Parameters
    ----------
    axis : SpectralAxis
        Current axis of `y`.
    y : array_like, shape (..., n, ...)
        Spectrum values along `spectral_axis`.
    unit : str or astropy unit
        Target unit.
    n : int, optional
        Points of the even output grid (default: as many as the input).
    kind, laser_wavelength
        As in :meth:`SpectralAxis.to` (Raman shifts).
    density : bool, optional
        True if `y` is a spectral density (per unit of the axis): the values
        are multiplied by the Jacobian ``|d old / d new|``.  False (default)
        for absorbance/transmittance, which are per-point quantities.
    spectral_axis : int, optional
        Axis of `y` along the spectrum (default -1).

    Returns
    -------
    new_axis : SpectralAxis
        Element-wise converted axis if the conversion is affine (cm^-1 <->
        THz, nm <-> um, Raman shift <-> absolute cm^-1); otherwise an even
        grid over the same range, running in the same direction as the
        converted values (index 0 stays at the same end of the spectrum).
    y_new : ndarray, float64
        `y` itself (converted) for affine conversions, otherwise linearly
        interpolated onto the even grid.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import SpectralAxis, convert_spectrum
    >>> ax = SpectralAxis(np.linspace(4000.0, 1000.0, 301), "cm-1")
    >>> new, y = convert_spectrum(ax, np.ones(301), "um")
    >>> new.is_uniform, round(float(new.values[0]), 6), round(float(new.values[-1]), 6)
    (True, 2.5, 10.0)
    """
    conv = axis.to(unit, kind=kind, laser_wavelength=laser_wavelength)
    y = np.asarray(y, dtype=np.float64)
    if axis._linear_to(conv):
        if density:
            jac = abs(axis.spacing / conv.spacing)
            y = y * jac
        return conv, y
    m = len(axis) if n is None else check_int("n", n, minimum=2)
    grid = np.linspace(conv.values[0], conv.values[-1], m)
    new = SpectralAxis(grid, conv.unit, kind=conv.kind, laser_wavelength=conv.laser_wavelength)
    y_new = interp(grid, conv.values, y, axis=spectral_axis)
    if density:
        old_at_new = new.to(axis.unit, kind="raman_shift" if axis.kind == "raman_shift" else None,
                            laser_wavelength=axis.laser_wavelength).values
        jac = np.abs(np.gradient(old_at_new, grid))
        shape = [1] * y_new.ndim
        shape[spectral_axis] = m
        y_new = y_new * jac.reshape(shape)
    return new, y_new


# ================================================================ absorbance etc.
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
    ndarray, float64

    Raises
    ------
    ValueError
        Zero or negative transmittance (the log is undefined): the message
        gives the count.

    Examples
    --------
    >>> from fieldconv.spectra import transmittance_to_absorbance
    >>> transmittance_to_absorbance([1.0, 0.1, 0.01])
    array([-0., 1., 2.])
    >>> transmittance_to_absorbance([50.0], percent=True).round(6)
    array([0.30103])
    """
    t = np.asarray(transmittance, dtype=np.float64)
    bad = int(np.sum(t <= 0))
    if bad:
        raise ValueError(
            f"transmittance must be positive ({'percent' if percent else 'fraction of 1'}); "
            f"got {bad} values <= 0"
        )
    if percent:
        t = t / 100.0
    return -np.log10(t)


def absorbance_to_transmittance(absorbance, *, percent=False):
    """Transmittance ``T = 10**(-A)``, as a fraction (default) or in percent.

    Examples
    --------
    >>> from fieldconv.spectra import absorbance_to_transmittance
    >>> absorbance_to_transmittance([0.0, 1.0], percent=True)
    array([100.,  10.])
    """
    a = np.asarray(absorbance, dtype=np.float64)
    t = 10.0 ** (-a)
    return t * 100.0 if percent else t


# ================================================================ line shapes
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
    x : array_like
        Offsets from the line centre (axis units).
    fwhm : float
        Full width at half maximum (the resolution), > 0.
    shape : {"gaussian", "sinc", "boxcar", "sinc2", "triangular"}
        See the module table (``"boxcar"`` = sinc ILS, ``"triangular"`` =
        sinc^2 ILS, named after their apodization).

    Returns
    -------
    ndarray, float64 (per axis unit; integrates to 1)

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
    fwhm = check_positive("fwhm", fwhm)
    x = np.asarray(x, dtype=np.float64)
    if shape == "gaussian":
        sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
        return np.exp(-0.5 * (x / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    L = _opd_max(fwhm, shape)
    if shape == "sinc":
        return 2 * L * np.sinc(2 * L * x)  # np.sinc(z) = sin(pi z)/(pi z)
    return L * np.sinc(L * x) ** 2


def convolve_instrument(y, spacing, resolution, *, line_shape="gaussian", source_resolution=None, axis=-1):
    """Convolve uniformly sampled spectra with an instrument line shape.

    Parameters
    ----------
    y : array_like, shape (..., n, ...)
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

    Returns
    -------
    ndarray, float64, same shape as `y`

    Raises
    ------
    ValueError
        Non-positive widths; ``source_resolution >= resolution`` (a filter
        cannot sharpen a spectrum).

    Notes
    -----
    The spectrum is extended by its mirror image (half-sample symmetric,
    period ``2n``: the DCT-II boundary, scipy.ndimage's "reflect") and
    multiplied in Fourier space by ``A_target(d) / A_source(d)`` on the OPD
    grid ``d = rfftfreq(2n, spacing)``.  The kernel is even, so the result
    stays mirror-symmetric, and ``A(0) = 1`` conserves the sum over the
    period: ``sum(out) == sum(y)`` to rounding for every line shape (what
    leaks past an edge is reflected back, including the slowly decaying
    sinc tails).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.spectra import convolve_instrument
    >>> x = np.arange(-200, 201) * 0.5
    >>> band = np.exp(-0.5 * (x / 1.0) ** 2)
    >>> out = convolve_instrument(band, 0.5, 8.0, line_shape="sinc2")
    >>> bool(abs(out.sum() - band.sum()) < 1e-10 * band.sum())
    True
    """
    from scipy import fft as sfft

    spacing = abs(float(getattr(spacing, "value", spacing)))
    spacing = check_positive("spacing", spacing)
    resolution = check_positive("resolution", float(getattr(resolution, "value", resolution)))
    shape = _shape(line_shape)
    if source_resolution is not None:
        source_resolution = check_positive("source_resolution", float(getattr(source_resolution, "value", source_resolution)))
        if source_resolution >= resolution:
            raise ValueError(
                f"source_resolution must be finer (smaller) than resolution ({resolution}); got "
                f"{source_resolution}: a line-shape filter cannot sharpen a spectrum"
            )
    y = np.asarray(y, dtype=np.float64)
    ym = np.moveaxis(y, axis, -1)
    n = ym.shape[-1]
    yp = np.concatenate([ym, ym[..., ::-1]], axis=-1)  # period 2n, mirror-symmetric
    N = 2 * n
    d = sfft.rfftfreq(N, spacing)
    A = _apodization(d, resolution, shape)
    if source_resolution is not None:
        As = _apodization(d, source_resolution, shape)
        A = np.divide(A, As, out=np.zeros_like(A), where=As > 0)
    # the ILS is centred on its sample: the kernel is real and even, so A is real
    out = sfft.irfft(sfft.rfft(yp, N, axis=-1) * A, N, axis=-1)[..., :n]
    return np.moveaxis(out, -1, axis)


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


def resample(y, x, x_new, resolution=None, *, source_resolution=None, line_shape="gaussian", axis=-1):
    """Put spectra on a new grid: degrade to `resolution`, then bin-average.

    Parameters
    ----------
    y : array_like, shape (..., n, ...)
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

    Returns
    -------
    ndarray, float64
        Shape of `y` with `axis` of length m, in `x_new`'s order.  NaN at
        target points outside the range of `x` (no extrapolation).

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
    """
    xv, xax = _positions(x, "x")
    nv, nax = _positions(x_new, "x_new")
    q = _same_unit(nax, xax, nv)
    ym = _samples_last(y, axis, xv.shape[0])
    if xv[0] > xv[-1]:
        xv, ym = xv[::-1], ym[..., ::-1]
    if resolution is not None:
        resolution = check_positive("resolution", resolution)
        if source_resolution is None or source_resolution < resolution:
            d = np.diff(xv)
            if not np.all(np.abs(d - d[0]) <= 1e-6 * d[0]):
                h = min(float(np.median(d)) / 2, resolution / 8)
                grid = np.linspace(xv[0], xv[-1], int(math.floor((xv[-1] - xv[0]) / h + 1e-9)) + 1)
                ym = interp(grid, xv, ym)
                xv = grid
            ym = convolve_instrument(ym, xv[1] - xv[0], resolution, line_shape=line_shape,
                                     source_resolution=source_resolution)
    # bins of the target grid, in ascending order
    order = np.argsort(q)
    qa = q[order]
    if qa.shape[0] >= 2:
        e = _bin_edges(qa)
    else:
        e = np.array([qa[0] - abs(xv[1] - xv[0]) / 2, qa[0] + abs(xv[1] - xv[0]) / 2])
    ec = np.clip(e, xv[0], xv[-1])
    F = _cumint(xv, ym, ec)
    width = np.diff(ec)
    with np.errstate(invalid="ignore", divide="ignore"):
        out_a = np.diff(F, axis=-1) / width
    outside = (qa < xv[0]) | (qa > xv[-1])
    out_a[..., outside] = np.nan
    out = np.empty_like(out_a)
    out[..., order] = out_a
    return np.moveaxis(out, -1, axis)


# ================================================================ preprocessing
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
    corrected : ndarray, float64, shape of `y`
    baseline : ndarray, float64, shape of `y`

    Raises
    ------
    ImportError
        pybaselines is not installed (``pip install pybaselines``).
    ValueError
        Unknown method, non-monotonic `x`.

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
    xv, _ = _positions(x, "x")
    if method == "convex_hull":
        method = "rubberband"
    fitter = Baseline(x_data=xv[::-1] if xv[0] > xv[-1] else xv)
    fn = getattr(fitter, method, None) if not method.startswith("_") else None
    if fn is None or not callable(fn):
        raise ValueError(f"method must be a pybaselines.Baseline method (e.g. 'asls', 'arpls', 'rubberband'); got {method!r}")
    ym = _samples_last(y, axis, xv.shape[0])
    flat = ym.reshape(-1, xv.shape[0])
    base = np.empty_like(flat)
    for i, row in enumerate(flat):
        r = row[::-1] if xv[0] > xv[-1] else row
        b = np.asarray(fn(r, **options)[0], dtype=np.float64)
        base[i] = b[::-1] if xv[0] > xv[-1] else b
    base = np.moveaxis(base.reshape(ym.shape), -1, axis)
    return np.moveaxis(ym, -1, axis) - base, base


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
    ndarray, float64, shape of `y`

    Raises
    ------
    ValueError
        Unknown method; spectra that are constant (snv, minmax) or zero
        (vector, area): the message gives how many.

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
    y = np.asarray(y, dtype=np.float64)
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
    return c / s


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
    ndarray, float64 (and the mask if asked)
        Spikes replaced by the running median; other points unchanged.

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
    y = np.asarray(y, dtype=np.float64)
    sizes = [1] * y.ndim
    sizes[axis] = size
    try:
        from .convolution import median_filter
    except ImportError:  # pragma: no cover - until convolution.median_filter lands
        from scipy.ndimage import median_filter as _mf

        def median_filter(f, size, mode="reflect"):
            return _mf(f, size=size, mode=mode)

    med = median_filter(y, tuple(sizes), mode="reflect")
    r = y - med
    dev = np.abs(r - np.median(r, axis=axis, keepdims=True))
    sigma = 1.4826 * np.median(dev, axis=axis, keepdims=True)
    # a running median reproduces monotonic stretches exactly, so the MAD can be 0:
    # fall back to the mean absolute deviation (x 1.2533 for a Gaussian sigma)
    sigma = np.where(sigma > 0, sigma, 1.2533 * np.mean(dev, axis=axis, keepdims=True))
    mask = np.abs(r) > threshold * np.where(sigma > 0, sigma, np.inf)
    out = np.where(mask, med, y)
    return (out, mask) if return_mask else out


def penetration_depth(wavenumber, *, n_crystal, n_sample, angle=45.0):
    """ATR evanescent-wave penetration depth (um) at wavenumbers in cm^-1.

    ``d_p = lambda / (2 pi n1 sqrt(sin^2(theta) - (n2/n1)^2))`` with
    ``lambda = 1e4 / wavenumber`` um, ``n1`` the crystal index (diamond 2.4,
    ZnSe 2.4, Ge 4.0), ``n2`` the sample index, ``theta`` the angle of
    incidence in degrees.

    Raises
    ------
    ValueError
        No total internal reflection (``sin(theta) <= n2/n1``), or
        non-positive inputs.

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
    nu = np.asarray(wavenumber, dtype=np.float64)
    if np.any(nu <= 0):
        raise ValueError(f"wavenumber must be positive; got {int(np.sum(nu <= 0))} values <= 0")
    return (1e4 / nu) / (2 * math.pi * n1 * math.sqrt(arg))


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
    nu, ax = _positions(wavenumber, "wavenumber")
    if ax is not None and ax.kind != "wavenumber":
        nu = ax.to("cm-1").values
    ref = check_positive("reference_wavenumber", reference_wavenumber)
    if np.any(nu <= 0):
        raise ValueError(f"wavenumber must be positive; got {int(np.sum(nu <= 0))} values <= 0")
    y = np.asarray(y, dtype=np.float64)
    shape = [1] * y.ndim
    shape[axis] = nu.shape[0]
    return y * (nu / ref).reshape(shape)


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
    nu, ax = _positions(x, "x")
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
    y = np.array(y, dtype=np.float64, copy=True)
    shape = [1] * y.ndim
    shape[axis] = m.shape[0]
    y[np.broadcast_to(m.reshape(shape), y.shape)] = np.nan
    return y


from ._spectra_io import read_csv, read_hdf5, read_jcamp, write_csv, write_hdf5, write_jcamp  # noqa: E402
