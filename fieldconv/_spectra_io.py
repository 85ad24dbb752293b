"""Spectrum files: JCAMP-DX, CSV with a header, HDF5 collections with units.

Private module; the functions are re-exported by :mod:`fieldconv.spectra`.
Every writer is atomic: it writes a temporary file in the destination
directory and renames it over the target with ``os.replace``, so a crash
never leaves a half-written file under the final name.
"""

import contextlib
import io
import os
import tempfile

import numpy as np

__all__ = ["read_jcamp", "write_jcamp", "read_csv", "write_csv", "read_hdf5", "write_hdf5"]

_JCAMP_X = {
    "1/CM": "cm-1", "CM-1": "cm-1", "CM^-1": "cm-1", "WAVENUMBERS": "cm-1",
    "MICROMETERS": "um", "MICRONS": "um", "UM": "um", "NANOMETERS": "nm", "NM": "nm", "HZ": "Hz",
}
_JCAMP_Y = {
    "ABSORBANCE": "absorbance", "TRANSMITTANCE": "transmittance", "%T": "percent_transmittance",
    "PERCENT TRANSMITTANCE": "percent_transmittance", "REFLECTANCE": "reflectance",
    "ARBITRARY UNITS": "arbitrary", "COUNTS": "intensity", "INTENSITY": "intensity",
}
_Y_TO_JCAMP = {
    "absorbance": "ABSORBANCE", "transmittance": "TRANSMITTANCE", "percent_transmittance": "%T",
    "reflectance": "REFLECTANCE", "intensity": "COUNTS", "arbitrary": "ARBITRARY UNITS",
}


@contextlib.contextmanager
def _atomic(path, mode="w"):
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=d)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _spectrum(axis, y, y_unit, meta):
    from .spectra import Spectrum

    return Spectrum(axis, y, y_unit, meta)


def read_jcamp(path):
    """Read a JCAMP-DX spectrum (AFFN or compressed ASDF XYDATA) with the `jcamp` package.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    Spectrum
        Axis from ``##XUNITS`` (1/CM -> cm^-1, MICROMETERS -> um,
        NANOMETERS -> nm), in the file's order (descending stays
        descending); ``y_unit`` from ``##YUNITS``: ABSORBANCE ->
        "absorbance", TRANSMITTANCE -> "transmittance" (a fraction, per the
        JCAMP-DX IR spec), %T -> "percent_transmittance", ...; XFACTOR and
        YFACTOR applied; the header in ``meta``.

    Raises
    ------
    ImportError
        `jcamp` is not installed (``pip install jcamp``).
    ValueError
        Unknown ``##XUNITS``/``##YUNITS``, a failed DIF Y-check (corrupt
        compressed data), or x/y length mismatch.

    Examples
    --------
    >>> import os, tempfile
    >>> from fieldconv.spectra import read_jcamp
    >>> text = "\\n".join(["##TITLE=demo", "##JCAMP-DX=4.24", "##DATA TYPE=INFRARED SPECTRUM",
    ...     "##XUNITS=1/CM", "##YUNITS=ABSORBANCE", "##XFACTOR=1", "##YFACTOR=0.001",
    ...     "##FIRSTX=1000", "##LASTX=996", "##NPOINTS=5", "##XYDATA=(X++(Y..Y))",
    ...     "1000 A00J00J00j00j00", "##END="])
    >>> p = os.path.join(tempfile.mkdtemp(), "demo.jdx"); _ = open(p, "w").write(text)
    >>> s = read_jcamp(p)
    >>> s.axis.values.tolist(), s.y.tolist(), s.y_unit
    ([1000.0, 999.0, 998.0, 997.0, 996.0], [0.1, 0.2, 0.3, 0.2, 0.1], 'absorbance')
    """
    try:
        import jcamp
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError("read_jcamp needs the jcamp package: pip install jcamp") from exc
    from .spectra import SpectralAxis

    buf = io.StringIO()
    with open(path, "rb") as fh, contextlib.redirect_stdout(buf):
        try:
            d = jcamp.read(fh)
        except (IndexError, KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"JCAMP-DX file {os.fspath(path)!r} is corrupt or unsupported: {exc!r}") from exc
    printed = buf.getvalue()
    for key in ("Y-Check failed", "Mismatch of array lengths"):
        if key in printed:
            raise ValueError(f"JCAMP-DX file {os.fspath(path)!r} is corrupt: {printed.strip().splitlines()[0]}")
    xu = str(d.get("xunits", "")).strip().upper()
    yu = str(d.get("yunits", "")).strip().upper()
    if xu not in _JCAMP_X:
        raise ValueError(f"##XUNITS must be one of {sorted(_JCAMP_X)}; got {d.get('xunits')!r}")
    if yu not in _JCAMP_Y:
        raise ValueError(f"##YUNITS must be one of {sorted(_JCAMP_Y)}; got {d.get('yunits')!r}")
    x = np.asarray(d["x"], dtype=np.float64)
    y = np.asarray(d["y"], dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"JCAMP-DX file {os.fspath(path)!r}: {x.shape[0]} x values but {y.shape[0]} y values")
    meta = {k: v for k, v in d.items() if k not in ("x", "y")}
    return _spectrum(SpectralAxis(x, _JCAMP_X[xu]), y, _JCAMP_Y[yu], meta)


def _g(v):
    return format(float(v), ".12g")


def write_jcamp(path, spectrum, *, title="fieldconv spectrum", per_line=8):
    """Write one spectrum as JCAMP-DX 4.24 with AFFN ``(X++(Y..Y))`` data.

    Full precision (12 significant digits), XFACTOR = YFACTOR = 1, the axis
    order as stored.  A non-uniform axis is written as ``##XYPOINTS=(XY..XY)``.

    Raises
    ------
    ValueError
        A stack of spectra (JCAMP-DX holds one), or a unit JCAMP-DX cannot
        name.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.spectra import Spectrum, SpectralAxis, write_jcamp, read_jcamp
    >>> s = Spectrum(SpectralAxis(np.linspace(4000, 3990, 11)), np.linspace(0.1, 0.2, 11), "absorbance")
    >>> p = os.path.join(tempfile.mkdtemp(), "s.jdx"); write_jcamp(p, s)
    >>> np.allclose(read_jcamp(p).y, s.y)
    True
    """
    if spectrum.y.ndim != 1:
        raise ValueError(f"write_jcamp writes one spectrum; got y of shape {spectrum.y.shape}")
    ax = spectrum.axis
    xu = {"1 / cm": "1/CM", "um": "MICROMETERS", "nm": "NANOMETERS", "Hz": "HZ"}.get(ax.unit.to_string())
    if xu is None or ax.kind == "raman_shift":
        raise ValueError(f"write_jcamp supports cm-1, um, nm and Hz axes; got {ax.unit} ({ax.kind})")
    x, y = ax.values, spectrum.y
    lines = [f"##TITLE={title}", "##JCAMP-DX=4.24", "##DATA TYPE=INFRARED SPECTRUM", f"##XUNITS={xu}",
             f"##YUNITS={_Y_TO_JCAMP[spectrum.y_unit]}", "##XFACTOR=1", "##YFACTOR=1",
             f"##FIRSTX={_g(x[0])}", f"##LASTX={_g(x[-1])}", f"##NPOINTS={x.shape[0]}",
             f"##FIRSTY={_g(y[0])}"]
    if ax.is_uniform:
        lines.append("##XYDATA=(X++(Y..Y))")
        for i in range(0, x.shape[0], per_line):
            ys = " ".join("?" if np.isnan(v) else _g(v) for v in y[i : i + per_line])
            lines.append(f"{_g(x[0] + i * (x[-1] - x[0]) / (x.shape[0] - 1))} {ys}")
    else:
        lines.append("##XYPOINTS=(XY..XY)")
        lines.extend(f"{_g(a)}, {_g(b)}" for a, b in zip(x, y))
    lines.append("##END=")
    with _atomic(path) as tmp, open(tmp, "w") as fh:
        fh.write("\n".join(lines) + "\n")


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
    >>> from fieldconv.spectra import Spectrum, SpectralAxis, write_csv, read_csv
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
    with _atomic(path) as tmp:
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
    from .spectra import SpectralAxis

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
    return _spectrum(axis, data[:, 1:].T, opts.get("y_unit", "arbitrary"), {"names": cols[1:]})


def write_hdf5(path, spectra):
    """Write a collection of spectra to HDF5, each dataset with a ``units`` attribute.

    Layout: group ``/spectra/<name>`` per entry, with datasets ``axis``
    (attributes ``units`` (astropy string, e.g. "1 / cm"), ``kind``,
    ``laser_wavelength_nm`` if Raman) and ``y`` (attribute ``units``: the
    y unit, e.g. "absorbance"); metadata that are numbers or strings go to
    the group's attributes.

    Parameters
    ----------
    path : str or path-like
    spectra : Spectrum or dict of str -> Spectrum

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.spectra import Spectrum, SpectralAxis, write_hdf5, read_hdf5
    >>> s = Spectrum(SpectralAxis(np.linspace(4000, 400, 10)), np.ones(10), "absorbance")
    >>> p = os.path.join(tempfile.mkdtemp(), "c.h5"); write_hdf5(p, {"PE": s})
    >>> t = read_hdf5(p)["PE"]; t.y_unit, float(t.axis.values[0])
    ('absorbance', 4000.0)
    """
    import h5py

    from .spectra import Spectrum

    if isinstance(spectra, Spectrum):
        spectra = {"spectrum": spectra}
    if not isinstance(spectra, dict) or not all(isinstance(v, Spectrum) for v in spectra.values()):
        raise TypeError("spectra must be a Spectrum or a dict of name -> Spectrum")
    with _atomic(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = "fieldconv.spectra/1"
            root = f.create_group("spectra")
            for name, s in spectra.items():
                g = root.create_group(str(name))
                a = g.create_dataset("axis", data=s.axis.values)
                a.attrs["units"] = s.axis.unit.to_string()
                a.attrs["kind"] = s.axis.kind
                if s.axis.laser_wavelength is not None:
                    a.attrs["laser_wavelength_nm"] = s.axis.laser_wavelength
                yd = g.create_dataset("y", data=s.y)
                yd.attrs["units"] = s.y_unit
                for k, v in s.meta.items():
                    if isinstance(v, (int, float, str, np.integer, np.floating)):
                        g.attrs[str(k)] = v


def read_hdf5(path):
    """Read a collection written by :func:`write_hdf5`: dict name -> Spectrum.

    Raises
    ------
    ValueError
        A dataset without a ``units`` attribute.
    """
    import h5py

    from .spectra import SpectralAxis

    out = {}
    with h5py.File(path, "r") as f:
        for name, g in f["spectra"].items():
            a, yd = g["axis"], g["y"]
            for ds in (a, yd):
                if "units" not in ds.attrs:
                    raise ValueError(f"dataset {ds.name!r} must have a 'units' attribute")
            lw = a.attrs.get("laser_wavelength_nm")
            axis = SpectralAxis(a[()], str(a.attrs["units"]), kind=str(a.attrs["kind"]),
                                laser_wavelength=None if lw is None else float(lw))
            out[name] = _spectrum(axis, yd[()], str(yd.attrs["units"]), dict(g.attrs))
    return out
