"""Spectral axes with units, resolution matching and preprocessing.

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

  ======================  ========================  ==============================================
  ``line_shape``          apodization (OPD)         ILS and FWHM
  ======================  ========================  ==============================================
  "gaussian"              Gaussian                  ``exp(-x^2/2 s^2)``, FWHM ``2 sqrt(2 ln 2) s``
  "sinc"/"boxcar"         boxcar, ``|d| <= L``      ``2L sinc(2 pi nu L)``, FWHM ``0.6034/L``
  "sinc2"/"triangular"    triangle, ``|d| <= L``    ``L sinc^2(pi nu L)``, FWHM ``0.8859/L``
  ======================  ========================  ==============================================

  Degrading from a source resolution to a coarser one divides the
  apodizations (exact for these three families), so no line shape is
  applied twice.
* Band areas: :func:`convolve_instrument` multiplies the spectrum's Fourier
  transform by an apodization equal to 1 at zero OPD and uses reflecting
  padding, so ``sum(y)`` is conserved; :func:`resample` then averages the
  piecewise-linear spectrum over each output bin, so ``sum(y_new * width)``
  equals the integral of the input over the covered range exactly.

* Names: here ``x`` is the abscissa (positions) and ``y`` the ordinates;
  :func:`fieldconv.smoothing.savgol_filter` keeps scipy's ``x`` for the data.
* Arrays: spectra are small 1-D tables processed on the host with NumPy,
  SciPy and pybaselines, so these functions take no ``backend=``; move the
  result to a device with ``backend.asarray(y, copy=True)``.
* Units: a Quantity ``y`` keeps its unit; a Quantity resolution or spacing
  is converted to the axis unit (another dimension raises ``ValueError``).

Layout: :mod:`._axis` (SpectralAxis, Spectrum, interpolation, unit
conversion), :mod:`._instrument` (line shapes, resolution matching,
resampling), :mod:`._preprocess`.  File formats (JCAMP-DX, CSV, HDF5) live
in :mod:`fieldconv.io`; ``fieldconv.spectra.read_jcamp`` etc. still work
(deprecated aliases).
"""

from .._deprecate import warn_deprecated as _warn_deprecated
from ._axis import SpectralAxis, Spectrum, convert_spectrum, interp
from ._instrument import LINE_SHAPES, convolve_instrument, line_shape, resample
from ._preprocess import (
    ATMOSPHERIC_REGIONS,
    absorbance_to_transmittance,
    atmospheric_mask,
    atr_correction,
    correct_baseline,
    despike,
    mask_atmospheric,
    normalize,
    penetration_depth,
    transmittance_to_absorbance,
)

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
]

_MOVED_TO_IO = ("read_jcamp", "write_jcamp", "read_csv", "write_csv", "read_hdf5", "write_hdf5")


def __getattr__(name):
    if name in _MOVED_TO_IO:
        import importlib

        _warn_deprecated(f"fieldconv.spectra.{name} moved to fieldconv.io.{name}; import it from there", stacklevel=3)
        return getattr(importlib.import_module("fieldconv.io"), name)
    raise AttributeError(f"module 'fieldconv.spectra' has no attribute {name!r}")
