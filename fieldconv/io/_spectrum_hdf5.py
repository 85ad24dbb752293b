"""HDF5 collections of spectra, every dataset with a ``units`` attribute and a checksum; written atomically."""

import numpy as np

from .._atomic import atomic_path
from ..spectra import SpectralAxis, Spectrum
from ._integrity import fail

__all__ = ["read_hdf5", "write_hdf5"]

#: Format written now: fletcher32 on every dataset, checksummed object headers, fixed-length attributes.
FORMAT = "fieldconv.spectra/2"
_FORMATS = ("fieldconv.spectra/1", FORMAT)


def _text_attr(obj, key, value):
    """A string attribute stored fixed-length in the (checksummed) object header, not in the global heap."""
    data = str(value).encode("utf-8")
    obj.attrs.create(key, np.bytes_(data), dtype=np.dtype(f"S{max(len(data), 1)}"))


def _attr_value(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value).decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_hdf5(path, spectra):
    """Write a collection of spectra to HDF5, each dataset with a ``units`` attribute and a checksum.

    Layout: group ``/spectra/<name>`` per entry, with datasets ``axis``
    (attributes ``units`` (astropy string, e.g. "1 / cm"), ``kind``,
    ``laser_wavelength_nm`` if Raman) and ``y`` (attribute ``units``: the
    y unit, e.g. "absorbance"; its dtype as given, float32 stays float32);
    metadata that are numbers or strings go to the group's attributes.

    Every dataset is written with HDF5's fletcher32 checksum filter, and
    the file with HDF5 1.10's format (object headers and their attributes
    carry checksums; strings are stored in the headers): a flipped byte or a
    truncation makes :func:`read_hdf5` raise instead of returning other
    data.  Readable by HDF5 >= 1.10 (h5py >= 2.8).  String attributes are
    fixed-length UTF-8 (h5py returns them as bytes: ``.decode()``), so
    they live in the checksummed headers rather than HDF5's unchecked
    global heap.

    Parameters
    ----------
    path : str or path-like
    spectra : Spectrum or dict of str -> Spectrum

    Raises
    ------
    TypeError
        `spectra` is not a Spectrum or a dict of them.
    ValueError
        A name that is empty or holds "/" (HDF5 would make it a path).

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_hdf5, write_hdf5
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> s = Spectrum(SpectralAxis(np.linspace(4000, 400, 10)), np.ones(10), "absorbance")
    >>> p = os.path.join(tempfile.mkdtemp(), "c.h5"); write_hdf5(p, {"PE": s})
    >>> t = read_hdf5(p)["PE"]; t.y_unit, float(t.axis.values[0])
    ('absorbance', 4000.0)
    """
    import h5py

    if isinstance(spectra, Spectrum):
        spectra = {"spectrum": spectra}
    if not isinstance(spectra, dict) or not all(isinstance(v, Spectrum) for v in spectra.values()):
        raise TypeError("spectra must be a Spectrum or a dict of name -> Spectrum")
    for name in spectra:
        if not str(name) or "/" in str(name) or str(name) in (".", ".."):
            raise ValueError(f"spectrum names must be non-empty and must not contain '/'; got {name!r}")
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", libver=("v110", "latest")) as f:
            _text_attr(f, "format", FORMAT)
            root = f.create_group("spectra")
            for name, s in spectra.items():
                g = root.create_group(str(name))
                a = g.create_dataset("axis", data=s.axis.values, fletcher32=True, chunks=True)
                _text_attr(a, "units", s.axis.unit.to_string())
                _text_attr(a, "kind", s.axis.kind)
                if s.axis.laser_wavelength is not None:
                    a.attrs["laser_wavelength_nm"] = s.axis.laser_wavelength
                yd = g.create_dataset("y", data=s.y, fletcher32=True, chunks=True)
                _text_attr(yd, "units", s.y_unit)
                for k, v in s.meta.items():
                    if isinstance(v, str):
                        _text_attr(g, str(k), v)
                    elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                        g.attrs[str(k)] = v


def read_hdf5(path):
    """Read a collection written by :func:`write_hdf5`: dict name -> Spectrum, every checksum verified.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict of str -> Spectrum
        In the file's (alphabetical) order; ``y`` in the dtype stored.

    Raises
    ------
    fieldconv.errors.FileFormatError
        (a ``ValueError``) naming the file: not an HDF5 file, or truncated
        or damaged (HDF5 cannot read it, a fletcher32 or header checksum
        fails); not a fieldconv spectrum collection (no ``/spectra`` group,
        an unknown ``format``); a file in the current format whose datasets
        lack the fletcher32 filter; a missing dataset or ``units``
        attribute; data that do not make a Spectrum (shapes, a
        non-monotonic axis, unknown units).
    FileNotFoundError, PermissionError, IsADirectoryError
        The file cannot be opened (the message names it).

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_hdf5, write_hdf5
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> p = os.path.join(tempfile.mkdtemp(), "c.h5")
    >>> write_hdf5(p, Spectrum(SpectralAxis([1.0, 2.0]), np.array([3.0, 4.0], np.float32)))
    >>> read_hdf5(p)["spectrum"].y.dtype
    dtype('float32')
    """
    import h5py

    with open(path, "rb"):  # FileNotFoundError / PermissionError / IsADirectoryError name the file
        pass
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise fail(path, f"not a readable HDF5 file (truncated, damaged or another format): {exc}") from None
    try:
        with f:
            return _read_collection(path, f)
    except (OSError, KeyError, RuntimeError, IndexError, TypeError, UnicodeDecodeError) as exc:
        # h5py reports failed checksums, truncated chunks and damaged headers as OSError/KeyError/RuntimeError
        raise fail(path, f"damaged HDF5 data ({type(exc).__name__}: {exc})") from None


def _read_collection(path, f):
    import h5py

    fmt = _attr_value(f.attrs.get("format", ""))
    if fmt not in _FORMATS:
        raise fail(path, f"not a fieldconv spectrum collection: format attribute {fmt!r} (want {FORMAT!r})")
    if "spectra" not in f or not isinstance(f["spectra"], h5py.Group):
        raise fail(path, "has no /spectra group")
    out = {}
    for name, g in f["spectra"].items():
        if not isinstance(g, h5py.Group) or "axis" not in g or "y" not in g:
            raise fail(path, f"/spectra/{name} must be a group with datasets 'axis' and 'y'")
        a, yd = g["axis"], g["y"]
        for ds in (a, yd):
            if not isinstance(ds, h5py.Dataset):
                raise fail(path, f"{ds.name!r} must be a dataset")
            if "units" not in ds.attrs:
                raise fail(path, f"dataset {ds.name!r} must have a 'units' attribute")
            if fmt == FORMAT and not ds.fletcher32:
                raise fail(path, f"dataset {ds.name!r} has no fletcher32 checksum (this format writes one)")
        lw = a.attrs.get("laser_wavelength_nm")
        meta = {k: _attr_value(v) for k, v in g.attrs.items()}
        try:
            axis = SpectralAxis(a[()], _attr_value(a.attrs["units"]), kind=_attr_value(a.attrs["kind"]),
                                laser_wavelength=None if lw is None else float(lw))
            out[name] = Spectrum(axis, yd[()], _attr_value(yd.attrs["units"]), meta)
        except ValueError as exc:  # not OSError: a bad shape, unit or axis
            raise fail(path, f"/spectra/{name}: {exc}") from None
    return out

