"""CSV spectrum files with a header naming the axis kind, its unit and the y unit; written atomically."""

import numpy as np

from .._atomic import atomic_path
from ..spectra import SpectralAxis, Spectrum

__all__ = ["read_csv", "write_csv"]


def write_csv(path, spectrum):
    """Write a spectrum (or a stack) as CSV with a header naming kind, unit and y unit.

    Layout::

        # fieldconv spectrum; y_unit=absorbance; kind=wavenumber[; laser_wavelength=785.0]
        wavenumber [1 / cm],<name 0>,<name 1>,...
        4000,0.1,0.2
        ...

    Column names come from ``spectrum.meta["names"]`` (default ``y0, y1, ...``).

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_csv, write_csv
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> s = Spectrum(SpectralAxis([3.0, 2.0, 1.0], "um"), [[1.0, 2.0, 3.0]], "intensity")
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv"); write_csv(p, s)
    >>> t = read_csv(p); t.axis.unit.to_string(), t.y.tolist(), t.meta["names"]
    ('um', [[1.0, 2.0, 3.0]], ['y0'])
    """
    ax = spectrum.axis
    y2 = np.atleast_2d(spectrum.y)
    names = list(spectrum.meta.get("names", [f"y{i}" for i in range(y2.shape[0])]))
    if len(names) != y2.shape[0]:
        raise ValueError(f"meta['names'] must have one name per spectrum ({y2.shape[0]}); got {len(names)}")
    for nm in names:
        if "," in str(nm):
            raise ValueError(f"spectrum names must not contain commas; got {nm!r}")
    first = f"# fieldconv spectrum; y_unit={spectrum.y_unit}; kind={ax.kind}"
    if ax.laser_wavelength is not None:
        first += f"; laser_wavelength={ax.laser_wavelength!r}"
    header = f"{first}\n{ax.kind} [{ax.unit.to_string()}]," + ",".join(str(n) for n in names)
    data = np.column_stack([ax.values, y2.T])
    with atomic_path(path) as tmp:
        np.savetxt(tmp, data, delimiter=",", header=header, comments="", fmt="%.17g")


def read_csv(path):
    """Read a CSV spectrum file with a header line ``<name> [<unit>],<y names>...``.

    Accepts files written by :func:`write_csv` and plain CSV files whose first
    non-comment line is such a header (e.g. ``wavenumber [cm-1],sample A``);
    the optional ``# fieldconv spectrum; y_unit=...; kind=...`` line sets the
    y unit and the kind (default "arbitrary", and the unit's natural kind).

    Returns
    -------
    Spectrum
        ``y`` of shape (k, n) for k data columns (k = 1 gives shape (1, n)),
        names in ``meta["names"]``.

    Raises
    ------
    ValueError
        No ``[unit]`` in the first column's header, an unknown unit, a
        non-monotonic axis.
    """

    opts = {}
    with open(path) as fh:
        line = fh.readline()
        skip = 1
        while line.startswith("#"):
            for part in line.lstrip("#").split(";"):
                if "=" in part:
                    k, v = part.split("=", 1)
                    opts[k.strip()] = v.strip()
            line = fh.readline()
            skip += 1
    cols = [c.strip() for c in line.strip().split(",")]
    if "[" not in cols[0] or not cols[0].endswith("]"):
        raise ValueError(f"the first CSV column header must be '<name> [<unit>]'; got {cols[0]!r}")
    unit = cols[0][cols[0].index("[") + 1 : -1]
    data = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    kind = opts.get("kind")
    lw = float(opts["laser_wavelength"]) if "laser_wavelength" in opts else None
    axis = SpectralAxis(data[:, 0], unit, kind=kind, laser_wavelength=lw)
    return Spectrum(axis, data[:, 1:].T, opts.get("y_unit", "arbitrary"), {"names": cols[1:]})


