"""The spectral axis (positions with a unit, in the caller's order), spectra on it, and interpolation."""

import numpy as np

from .._dtypes import result_dtype
from .._units import attach, is_quantity, strip
from .._validate import as_axes, check_choice, check_int, check_monotonic, check_positive

__all__ = ["SpectralAxis", "Spectrum", "interp", "convert_spectrum", "as_axis", "positions", "as_data",
           "samples_last", "same_unit", "KINDS"]

#: Kinds of spectral axis.
KINDS = ("wavenumber", "wavelength", "frequency", "raman_shift")


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
        check_choice("kind", kind, KINDS)
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
        v = check_monotonic(values, "values").copy()
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
    y : array_like, shape (..., n), real
        Ordinates; the last axis runs along `axis`.  Stored with the
        package's dtype table (float32 stays float32, float16 becomes
        float32, integers and booleans float64).
    y_unit : str, optional
        ``"absorbance"``, ``"transmittance"`` (fraction), ``"percent_transmittance"``,
        ``"reflectance"``, ``"intensity"`` or ``"arbitrary"`` (default).
    meta : dict, optional
        Free-form metadata (file header, sample names...).

    Raises
    ------
    TypeError
        `axis` not a SpectralAxis; `y` a Quantity, complex or not numeric.
    ValueError
        `y` whose last axis does not match the axis; an unknown `y_unit`.

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
        if is_quantity(y):
            raise TypeError(
                "y must be a plain array: a Spectrum's y_unit is a spectroscopic label "
                f"({', '.join(self.Y_UNITS)}); got a Quantity in {y.unit}"
            )
        y, dt = as_data(y, "y")
        y = y.astype(dt, copy=False)
        if y.ndim == 0 or y.shape[-1] != len(axis):
            raise ValueError(f"y must have its last axis of length {len(axis)} (the axis); got shape {y.shape}")
        check_choice("y_unit", y_unit, self.Y_UNITS)
        self.axis, self.y, self.y_unit, self.meta = axis, y, y_unit, dict(meta or {})

    def __repr__(self):
        return f"Spectrum({self.axis!r}, y shape {self.y.shape}, {self.y_unit})"


def as_axis(x, name):
    """`x` as a SpectralAxis (a plain array is taken in cm^-1)."""
    if isinstance(x, SpectralAxis):
        return x
    if is_quantity(x):
        return SpectralAxis(x)
    return SpectralAxis(check_monotonic(x, name), "cm-1")


def positions(x, name):
    """Plain float64 positions of an axis-like (SpectralAxis, Quantity or array)."""
    if isinstance(x, SpectralAxis):
        return x.values, x
    if is_quantity(x):
        ax = SpectralAxis(x)
        return ax.values, ax
    return check_monotonic(x, name), None


def as_data(y, name="y"):
    """``(y as a float64 host array, the result dtype)``: the dtype table; complex or non-numeric data raise.

    Spectra are computed in float64 and returned in the dtype of the table
    (float32 stays float32; a non-native byte order is accepted):
    ``TypeError`` names `name` and the dtype for complex, string or date
    data (no ComplexWarning, no dropped imaginary part).
    """
    a = np.asarray(y)
    if a.dtype.byteorder not in "=|":  # big-endian data (e.g. from a FITS file): same values, native order
        a = a.astype(a.dtype.newbyteorder("="))
    dt = result_dtype(a.dtype, name=name)
    return a.astype(np.float64, copy=False), dt


def samples_last(y, axis, n):
    """``(y as float64 with its spectral axis moved last, the result dtype)``; the length must be `n` (that of x)."""
    a, dt = as_data(y, "y")
    if a.ndim == 0:
        raise ValueError(f"y must have at least one dimension (the spectral axis); got a 0-d value {a!r}")
    ym = np.moveaxis(a, as_axes(axis, a.ndim, name="axis")[0], -1)
    if ym.shape[-1] != n:
        raise ValueError(f"y must have {n} samples along axis {axis} (the length of x); got {ym.shape[-1]}")
    return ym, dt


def same_unit(x_new_ax, x_ax, x_new_vals):
    """Positions of the new grid in the unit of the source axis."""
    if x_new_ax is None or x_ax is None:
        return x_new_vals
    if x_new_ax.unit == x_ax.unit and x_new_ax.kind == x_ax.kind:
        return x_new_vals
    conv = x_new_ax.to(x_ax.unit, kind="raman_shift" if x_ax.kind == "raman_shift" else None,
                       laser_wavelength=x_ax.laser_wavelength)
    return conv.values



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
    ndarray, shape of `y` with `axis` of length m, in `x_new`'s order
        float32 for float32/float16 `y`, float64 otherwise (computed in
        float64).

    Raises
    ------
    ValueError
        Non-monotonic `x`, wrong length.
    TypeError
        Complex or non-numeric `y`.

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
    xv, xax = positions(x, "x")
    if isinstance(x_new, SpectralAxis):
        q = same_unit(x_new, xax, x_new.values)
    elif is_quantity(x_new) and (xax is None or xax.kind == "raman_shift"):
        _, nax = positions(x_new, "x_new")  # a Raman axis converts through the laser line
        q = same_unit(nax, xax, nax.values)
    elif is_quantity(x_new):
        import astropy.units as u

        try:  # any number of query points, in any order
            q = np.asarray(x_new.to_value(xax.unit, equivalencies=u.spectral()), dtype=np.float64)
        except u.UnitConversionError as exc:
            raise ValueError(f"x_new must have spectral units convertible to {xax.unit}; got {x_new.unit}") from exc
    else:
        q = np.asarray(x_new, dtype=np.float64)
    y, yunit = strip(y, "y")
    ym, dt = samples_last(y, axis, xv.shape[0])
    if xv[0] > xv[-1]:
        xv, ym = xv[::-1], ym[..., ::-1]
    qf = q.ravel()
    k = np.clip(np.searchsorted(xv, qf, side="right") - 1, 0, xv.shape[0] - 2)
    t = (qf - xv[k]) / (xv[k + 1] - xv[k])
    out = ym[..., k] * (1 - t) + ym[..., k + 1] * t
    outside = (qf < xv[0]) | (qf > xv[-1]) | np.isnan(qf)
    out[..., outside] = fill_value
    out = out.reshape(ym.shape[:-1] + q.shape).astype(dt, copy=False)
    return attach(np.moveaxis(out, -1, axis) if q.ndim == 1 else out, yunit)


def _dnu_dv(ax, values):
    """``|d nu / d v|`` at `values` of an axis like `ax` (nu the absolute wavenumber in cm^-1).

    Absolute spectral quantities are proportional (frequency) or reciprocal
    (wavelength) to the wavenumber, so ``|d nu / d v| = |nu / v|``; a Raman
    shift is the laser wavenumber minus nu: ``|d nu / d v|`` is the unit's
    scale to cm^-1.
    """
    import astropy.units as u

    if ax.kind == "raman_shift":
        return np.full(np.shape(values), abs((1.0 * ax.unit).to_value(u.cm**-1)))
    nu = u.Quantity(values, ax.unit).to_value(u.cm**-1, equivalencies=u.spectral())
    return np.abs(nu / values)


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
        are multiplied by the Jacobian ``|d old / d new|``, in closed form
        (absolute spectral quantities are proportional or reciprocal to the
        wavenumber).  False (default)
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
    y_new : ndarray
        `y` itself (converted) for affine conversions, otherwise linearly
        interpolated onto the even grid; float32 for float32 `y`, float64
        otherwise.

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
    y, yunit = strip(y, "y")
    y, dt = as_data(y, "y")
    if axis._linear_to(conv):
        if density:
            jac = abs(axis.spacing / conv.spacing)
            y = y * jac
        return conv, attach(y.astype(dt, copy=False), yunit)
    m = len(axis) if n is None else check_int("n", n, minimum=2)
    grid = np.linspace(conv.values[0], conv.values[-1], m)
    new = SpectralAxis(grid, conv.unit, kind=conv.kind, laser_wavelength=conv.laser_wavelength)
    y_new = interp(grid, conv.values, y, axis=spectral_axis)
    if density:
        old_at_new = new.to(axis.unit, kind="raman_shift" if axis.kind == "raman_shift" else None,
                            laser_wavelength=axis.laser_wavelength).values
        # exact |d old / d new| = |d nu / d new| / |d nu / d old| (nu the absolute wavenumber)
        jac = _dnu_dv(new, grid) / _dnu_dv(axis, old_at_new)
        shape = [1] * y_new.ndim
        shape[spectral_axis] = m
        y_new = y_new * jac.reshape(shape)
    return new, attach(y_new.astype(dt, copy=False), yunit)


