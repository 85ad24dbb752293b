"""Files in and out: spectrum files (JCAMP-DX, CSV, HDF5 collections) and, later, HDF5 snapshots and batches.

Every writer is atomic (:func:`fieldconv._atomic.atomic_path`): the target
path holds the old file or the whole new one, never a partial one.  Nothing
here parses command lines (that is :mod:`fieldconv.cli`).

Layout: :mod:`._jcamp`, :mod:`._spectrum_csv`, :mod:`._spectrum_hdf5`.

Examples
--------
>>> import os, tempfile, numpy as np
>>> from fieldconv.io import read_csv, write_csv
>>> from fieldconv.spectra import Spectrum, SpectralAxis
>>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
>>> write_csv(p, Spectrum(SpectralAxis([3.0, 2.0, 1.0], "um"), [[1.0, 2.0, 3.0]], "intensity"))
>>> read_csv(p).y.tolist()
[[1.0, 2.0, 3.0]]
"""

from ._jcamp import read_jcamp, write_jcamp
from ._spectrum_csv import read_csv, write_csv
from ._spectrum_hdf5 import read_hdf5, write_hdf5

__all__ = ["read_jcamp", "write_jcamp", "read_csv", "write_csv", "read_hdf5", "write_hdf5"]
