"""HDF5 collections of spectra, every dataset with a ``units`` attribute; written atomically."""

import numpy as np

from .._atomic import atomic_path
from ..spectra import SpectralAxis, Spectrum

__all__ = ["read_hdf5", "write_hdf5"]


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
    with atomic_path(path) as tmp:
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
            out[name] = Spectrum(axis, yd[()], str(yd.attrs["units"]), dict(g.attrs))
    return out
