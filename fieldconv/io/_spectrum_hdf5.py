"""Spectra in HDF5: one layout inside fieldconv's HDF5 container, astropy units on every dataset.

Layout (written by :func:`write_hdf5`, the container of :func:`~fieldconv.io.write_mesh`,
root attribute ``format = "fieldconv.mesh/1"``)::

    /provenance              fieldconv version, parameters, inputs and their checksums, date
    /spectra/<name>/axis     (n,) float64; attrs units (astropy: "1 / cm", "um", "nm", "THz"),
                             kind ("wavenumber", "wavelength", "frequency", "raman_shift"),
                             laser_wavelength_nm (Raman shifts only)
    /spectra/<name>/y        (..., n); attrs units (astropy, of the stored values), quantity
                             (what y is), meta (JSON of the Spectrum's metadata)

``units`` is always a string astropy parses: absorbance, transmittance,
reflectance, intensity and arbitrary units are dimensionless (``""``),
percent transmittance is ``"%"``; a derivative spectrum of order ``k``
(``fieldconv smooth --deriv k``) has that unit divided by the axis unit to
the ``k``.  Absorbance is not a unit but a kind of quantity: that name goes
to the ``quantity`` attribute (the :attr:`Spectrum.y_unit` label, or
``"d1 absorbance / d wavenumber^1"`` for a derivative).

Files of fieldconv 0.1 (root ``format = "fieldconv.spectra/1"``: the label in
the ``units`` attribute of ``y``, metadata as attributes of the group) are
read too.  Every dataset is checksummed (fletcher32) and the file is written
atomically (:func:`fieldconv._atomic.atomic_path`).
"""

import json

from ..errors import FileFormatError
from ..spectra import SpectralAxis, Spectrum
from . import _h5
from ._mesh import read_mesh, write_mesh
from ._provenance import canonical

__all__ = ["read_hdf5", "write_hdf5", "spectrum_fields", "LEGACY_FORMAT"]

#: Root ``format`` of the files fieldconv 0.1 wrote (read, never written).
LEGACY_FORMAT = "fieldconv.spectra/1"

#: Spectrum.y_unit label -> astropy unit string of the stored values
Y_UNITS = {
    "absorbance": "", "transmittance": "", "percent_transmittance": "%", "reflectance": "",
    "intensity": "", "arbitrary": "",
}


def _meta_json(meta):
    out = {}
    for k, v in meta.items():
        try:
            out[str(k)] = canonical(v)
        except TypeError:
            continue  # metadata without a faithful JSON form (arrays of objects, callables) is not written
    return json.dumps(out, sort_keys=True)


def spectrum_fields(name, spectrum, *, y=None, quantity=None, units=None):
    """The datasets of one spectrum, as ``(fields, units, attrs)`` dicts for :func:`write_mesh`.

    `y`, `quantity` and `units` replace the spectrum's own (a derivative
    spectrum: new values, "d1 absorbance / d wavenumber^1", "cm").
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"spectrum names must be non-empty strings without '/'; got {name!r}")
    ax = spectrum.axis
    a, yk = f"spectra/{name}/axis", f"spectra/{name}/y"
    attrs_a = {"kind": ax.kind}
    if ax.laser_wavelength is not None:
        attrs_a["laser_wavelength_nm"] = float(ax.laser_wavelength)
    fields = {a: ax.values, yk: spectrum.y if y is None else y}
    units_ = {a: _h5.units_string(ax.unit), yk: Y_UNITS[spectrum.y_unit] if units is None else units}
    attrs = {a: attrs_a, yk: {"quantity": quantity or spectrum.y_unit, "meta": _meta_json(spectrum.meta)}}
    return fields, units_, attrs


def write_hdf5(path, spectra, *, provenance=None, compression="gzip", makedirs=False):
    """Write a spectrum or a collection of spectra to HDF5, every dataset with astropy ``units``.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, replaced atomically.
    spectra : Spectrum or dict of str -> Spectrum
        One spectrum (stored as ``"spectrum"``) or spectra by name.
    provenance : dict, optional
        JSON-able record (default: fieldconv version and date).
    compression : {"gzip", None}, optional
        Default "gzip" (level 1, shuffled); every dataset is checksummed.
    makedirs : bool, optional
        Create the output folder.

    Returns
    -------
    str
        The absolute path written.

    Raises
    ------
    TypeError
        Not a Spectrum or a dict of them; y values that are not numbers.
    ValueError
        A name that is empty or contains "/".

    Notes
    -----
    The layout is described in this module's docstring and in
    ``docs/io.md``: axis and y datasets with astropy units ("" for
    absorbance, which is stored as ``quantity = "absorbance"``).

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_hdf5, write_hdf5, read_mesh
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> s = Spectrum(SpectralAxis(np.linspace(4000, 400, 10)), np.ones(10), "absorbance")
    >>> p = write_hdf5(os.path.join(tempfile.mkdtemp(), "c.h5"), {"PE": s})
    >>> t = read_hdf5(p)["PE"]; t.y_unit, str(t.axis.unit), float(t.axis.values[0])
    ('absorbance', '1 / cm', 4000.0)
    >>> m = read_mesh(p); m.units["spectra/PE/y"], m.attrs["spectra/PE/y"]["quantity"]
    ('', 'absorbance')
    """
    if isinstance(spectra, Spectrum):
        spectra = {"spectrum": spectra}
    if not isinstance(spectra, dict) or not spectra or not all(isinstance(v, Spectrum) for v in spectra.values()):
        raise TypeError("spectra must be a Spectrum or a non-empty dict of name -> Spectrum")
    fields, units, attrs = {}, {}, {}
    for name, s in spectra.items():
        f, un, at = spectrum_fields(name, s)
        fields.update(f)
        units.update(un)
        attrs.update(at)
    return write_mesh(path, fields, units=units, attrs=attrs, provenance=provenance, compression=compression,
                      makedirs=makedirs)


def read_hdf5(path):
    """Read the spectra of an HDF5 file written by :func:`write_hdf5` (or by fieldconv 0.1).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    dict of str -> Spectrum
        In name order.  A dataset whose ``quantity`` is not a
        :attr:`Spectrum.Y_UNITS` label (a derivative spectrum) comes back
        with ``y_unit = "arbitrary"`` and ``meta["quantity"]`` and
        ``meta["units"]`` saying what it is.

    Raises
    ------
    FileNotFoundError
        No such file.
    FileFormatError
        Not HDF5, truncated, a checksum mismatch, no ``/spectra`` group, a
        spectrum without its ``axis`` or ``y``, a dataset without a
        ``units`` attribute, an axis or y that :class:`Spectrum` rejects;
        the message names the file and the dataset.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_hdf5, write_hdf5
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> s = Spectrum(SpectralAxis([500.0, 600.0, 700.0], "nm"), [[0.1, 0.2, 0.3]], "percent_transmittance")
    >>> got = read_hdf5(write_hdf5(os.path.join(tempfile.mkdtemp(), "t.h5"), s))["spectrum"]
    >>> got.y_unit, got.axis.kind, got.y.tolist()
    ('percent_transmittance', 'wavelength', [[0.1, 0.2, 0.3]])
    """
    import os

    path = os.fspath(path)
    with _h5.open_read(path) as f:
        fmt = _h5.attr(f, "format", None)
        if fmt == LEGACY_FORMAT:
            return _read_legacy(f, path)
    m = read_mesh(path)
    names = sorted({k.split("/")[1] for k in m.fields if k.startswith("spectra/") and k.count("/") == 2})
    if not names:
        raise FileFormatError(m.path, "/spectra", "missing: the file holds no spectra")
    out = {}
    for name in names:
        a, y = f"spectra/{name}/axis", f"spectra/{name}/y"
        for key in (a, y):
            if key not in m.fields:
                raise FileFormatError(m.path, "/" + key, "missing")
        aa, ya = m.attrs[a], m.attrs[y]
        quantity = ya.get("quantity", "arbitrary")
        try:
            meta = json.loads(ya.get("meta", "{}"))
        except ValueError as exc:
            raise FileFormatError(m.path, "/" + y, f"attribute 'meta' is not valid JSON ({exc})") from exc
        if quantity not in Spectrum.Y_UNITS:
            meta.update(quantity=quantity, units=m.units[y])
            quantity = "arbitrary"
        out[name] = _spectrum(m.path, name, m.fields[a], m.units[a], aa.get("kind"), aa.get("laser_wavelength_nm"),
                              m.fields[y], quantity, meta)
    return out


def _spectrum(path, name, x, x_unit, kind, laser, y, quantity, meta):
    try:
        axis = SpectralAxis(x, x_unit or "cm-1", kind=kind, laser_wavelength=None if laser is None else float(laser))
        return Spectrum(axis, y, quantity, meta)
    except (ValueError, TypeError) as exc:
        raise FileFormatError(path, f"/spectra/{name}", f"not a valid spectrum ({exc})") from exc


def _read_legacy(f, path):
    """The layout of fieldconv 0.1: the y label in y's ``units``, metadata as group attributes."""
    root = _h5.get(f, "spectra", kind="group")
    out = {}
    for name in sorted(root):
        g = _h5.get(root, name, kind="group")
        a, yd = _h5.get(g, "axis", kind="dataset"), _h5.get(g, "y", kind="dataset")
        label = _h5.attr(yd, "units")
        if label not in Spectrum.Y_UNITS:
            raise FileFormatError(path, yd.name, f"units {label!r} is not a spectrum label of fieldconv 0.1 files "
                                                 f"({', '.join(Spectrum.Y_UNITS)})")
        meta = {k: _h5.attr(g, k) for k in g.attrs}
        meta = {k: (v.item() if hasattr(v, "item") and getattr(v, "ndim", 1) == 0 else v) for k, v in meta.items()}
        out[name] = _spectrum(path, name, _h5.read(a), _h5.attr(a, "units"), _h5.attr(a, "kind", None),
                              _h5.attr(a, "laser_wavelength_nm", None), _h5.read(yd), label, meta)
    return out
