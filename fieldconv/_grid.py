"""The wavenumber grid a spectral model is built for.

The layers and estimators of :mod:`fieldconv.nn` and the synthetic data of
:mod:`fieldconv.datasets` accept a grid as a 1-D array of wavenumbers in cm^-1
(ascending or descending), an astropy Quantity with a wavenumber unit, or a
:class:`fieldconv.SpectralAxis` of kind ``"wavenumber"``.  All become a
:class:`Grid`: uniform positions in cm^-1 in the caller's order, the signed
step, and (optionally) the instrument resolution.

Private leaf module (shared by the nn and datasets families).
"""

import math

import numpy as np

from ._units import is_quantity as _is_quantity
from ._validate import check_real

__all__ = ["Grid", "as_grid", "strip_wavenumber", "GRID_UNIT"]

#: Unit of every wavenumber inside fieldconv.nn and fieldconv.datasets (widths, steps, ranges).
GRID_UNIT = "cm-1"

# Uniform to 1e-6 of the step over the whole axis: float64 linspace/arange of
# 10^4 points at ~4000 cm^-1 are ~1e-12 off; instrument files ~1e-7 relative.
_UNIFORM_RTOL = 1e-6


class Grid:
    """Uniform wavenumber positions (cm^-1) with optional resolution.

    Attributes
    ----------
    values : ndarray, float64, shape (n,)
    start, step : float
        First value and signed step (negative for a descending axis), cm^-1.
    resolution : float or None
        Instrument resolution (FWHM, cm^-1) the data have, when known.
    """

    def __init__(self, values, resolution=None):
        self.values = values
        self.start = float(values[0])
        self.step = float((values[-1] - values[0]) / (values.shape[0] - 1))
        self.resolution = resolution

    def __len__(self):
        return self.values.shape[0]

    def __repr__(self):
        res = "" if self.resolution is None else f", resolution={self.resolution:g}"
        return f"Grid({self.start:g} .. {self.values[-1]:g} cm-1, n={len(self)}, step={self.step:g}{res})"

    @property
    def spacing(self):
        """|step| in cm^-1."""
        return abs(self.step)

    def same_as(self, other, rtol=1e-9):
        """True if `other` has the same length, start and step (to `rtol` of the step)."""
        tol = rtol * max(abs(self.step), 1e-300) * len(self)
        return len(self) == len(other) and abs(self.start - other.start) <= tol and abs(self.step - other.step) <= tol

    def metadata(self):
        """``{"start", "step", "n", "resolution", "units"}`` (what a saved model records)."""
        return {
            "start": self.start,
            "step": self.step,
            "n": len(self),
            "resolution": float("nan") if self.resolution is None else float(self.resolution),
            "units": GRID_UNIT,
        }

    @classmethod
    def from_metadata(cls, meta):
        n = int(meta["n"])
        values = float(meta["start"]) + float(meta["step"]) * np.arange(n, dtype=np.float64)
        res = float(meta.get("resolution", float("nan")))
        return cls(values, None if math.isnan(res) else res)


def as_grid(grid, name="grid", *, resolution=None):
    """A :class:`Grid` from an array (cm^-1), a Quantity or a SpectralAxis.

    Raises
    ------
    ValueError
        Not 1-D, fewer than 2 points, non-finite, not strictly monotonic, not
        uniform, or not a wavenumber axis.
    TypeError
        If `grid` is not array-like.
    """
    if isinstance(grid, Grid):
        if resolution is not None:
            return Grid(grid.values, resolution)
        return grid
    from . import SpectralAxis

    if isinstance(grid, SpectralAxis):
        if grid.kind != "wavenumber":
            raise ValueError(
                f"{name} must be a wavenumber axis (kind 'wavenumber'); got kind {grid.kind!r}: "
                "convert the spectra with fieldconv.spectra.convert_spectrum first"
            )
        values = np.asarray((grid.values * grid.unit).to_value(GRID_UNIT), dtype=np.float64)
    elif _is_quantity(grid):
        values = np.asarray(strip_wavenumber(grid, name), dtype=np.float64)
    else:
        try:
            values = np.asarray(grid, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of wavenumbers (cm^-1), a Quantity or a SpectralAxis; got {type(grid).__name__}") from exc
    if values.ndim != 1 or values.shape[0] < 2:
        raise ValueError(f"{name} must be 1-D with at least 2 points; got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(values)))} non-finite values")
    d = np.diff(values)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise ValueError(f"{name} must be strictly monotonic (ascending or descending)")
    if np.max(np.abs(d - d.mean())) > _UNIFORM_RTOL * abs(d.mean()) * max(1.0, math.log2(values.shape[0])):
        raise ValueError(
            f"{name} must be uniformly spaced; its steps range from {d.min():g} to {d.max():g} cm^-1 "
            "(resample with fieldconv.spectra.resample first)"
        )
    if resolution is not None:
        resolution = check_real("resolution", strip_wavenumber(resolution, "resolution"), minimum=0.0, strict_min=True)
    values = values.copy()
    values.setflags(write=False)
    return Grid(values, resolution)


def strip_wavenumber(value, name, unit="cm-1"):
    """A plain float (or array) in `unit` from a number or an astropy Quantity.

    A Quantity must be convertible to `unit` (a wavenumber); anything else
    raises ``ValueError`` naming `name`.
    """
    if _is_quantity(value):
        try:
            return value.to_value(unit)
        except Exception as exc:  # astropy.units.UnitConversionError
            raise ValueError(f"{name} must be a wavenumber convertible to {unit}; got unit {value.unit}") from exc
    return value
