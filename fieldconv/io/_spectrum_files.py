"""Spectra from a file of any supported format, told by its extension: one entry point for jobs."""

import os

from ..errors import FileFormatError

__all__ = ["read_spectra", "SPECTRUM_EXTENSIONS"]

#: Extension -> format of the spectrum files :func:`read_spectra` reads.
SPECTRUM_EXTENSIONS = {
    ".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5",
    ".csv": "csv",
    ".jdx": "jcamp", ".dx": "jcamp", ".jcamp": "jcamp", ".jcm": "jcamp",
}


def read_spectra(path):
    """Read the spectra of a file in any format fieldconv reads: a dict of name -> Spectrum.

    Parameters
    ----------
    path : str or os.PathLike
        An HDF5 file (``.h5``, ``.hdf5``, ``.hdf``: :func:`read_hdf5`), a CSV
        file (``.csv``: :func:`read_csv`) or a JCAMP-DX file (``.jdx``,
        ``.dx``, ``.jcamp``, ``.jcm``: :func:`read_jcamp`).

    Returns
    -------
    dict of str -> Spectrum
        HDF5: the file's names; CSV and JCAMP-DX: one entry named after the
        file (its name without the extension).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        An extension that is none of the above.
    FileFormatError
        A file its reader rejects; the message names the file (and the
        dataset, for HDF5) and keeps the reader's reason.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_spectra, write_csv
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> p = os.path.join(tempfile.mkdtemp(), "pe.csv")
    >>> write_csv(p, Spectrum(SpectralAxis([3.0, 2.0, 1.0], "um"), [1.0, 2.0, 3.0], "absorbance"))
    >>> {k: v.y_unit for k, v in read_spectra(p).items()}
    {'pe': 'absorbance'}
    """
    from ._jcamp import read_jcamp
    from ._spectrum_csv import read_csv
    from ._spectrum_hdf5 import read_hdf5

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    kind = SPECTRUM_EXTENSIONS.get(ext)
    if kind is None:
        known = ", ".join(sorted(SPECTRUM_EXTENSIONS))
        raise ValueError(f"{path}: unknown spectrum file extension {ext!r}; fieldconv reads {known}")
    if not os.path.isfile(path):
        raise FileNotFoundError(2, "no such spectrum file", path)
    if kind == "hdf5":
        return read_hdf5(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        return {stem: (read_csv if kind == "csv" else read_jcamp)(path)}
    except FileFormatError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, UnicodeDecodeError) as exc:  # the text readers' own errors
        raise FileFormatError(path, None, f"cannot be read as spectra ({type(exc).__name__}: {exc})") from exc
