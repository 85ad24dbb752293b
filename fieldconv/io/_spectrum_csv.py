"""CSV spectrum files: a header naming the axis kind, its unit and the y unit, a point count and a CRC-32 trailer."""

import csv
import io
import warnings
import zlib

import numpy as np

from .._atomic import atomic_path
from ..spectra import SpectralAxis, Spectrum
from ._integrity import check_crc, fail, read_text

__all__ = ["read_csv", "write_csv"]

#: First line of a file written by :func:`write_csv`.
_MAGIC = "# fieldconv spectrum"
#: Rows formatted per block while writing (bounds the text held in memory).
_BLOCK = 4096


def _names(spectrum, k):
    names = list(spectrum.meta.get("names", [f"y{i}" for i in range(k)]))
    if len(names) != k:
        raise ValueError(f"meta['names'] must have one name per spectrum ({k}); got {len(names)}")
    out = []
    for nm in names:
        nm = str(nm)
        bad = [c for c in nm if ord(c) < 32 or c == "\x7f"]
        if bad:
            raise ValueError(
                f"spectrum names must not contain line breaks or control characters (a CSV header is one line); "
                f"got {nm!r}"
            )
        out.append(nm)
    return out


def write_csv(path, spectrum):
    """Write a spectrum (or a stack) as CSV, with its count and a CRC-32, atomically.

    Layout::

        # fieldconv spectrum; y_unit=absorbance; kind=wavenumber; points=1000; spectra=2; ndim=2; dtype=float64
        wavenumber [1 / cm],"name 0","name 1"
        4000,0.1,0.2
        ...
        # end; crc32=1c291ca3

    Column names come from ``spectrum.meta["names"]`` (default ``y0, y1,
    ...``), quoted as CSV (commas, quotes and leading spaces survive).
    Values are written with 17 significant digits (float64 round trips
    exactly; NaN and inf as ``nan``/``inf``).  The trailer's CRC-32 covers
    every byte before it: :func:`read_csv` refuses a truncated, edited or
    damaged file.

    Parameters
    ----------
    path : str or path-like
    spectrum : Spectrum
        ``y`` of shape (n,) or (k, n); the shape and dtype come back from
        :func:`read_csv`.

    Raises
    ------
    ValueError
        A name with a line break or another control character (it would
        break the header line); ``meta["names"]`` of the wrong length; ``y``
        with more than 2 dimensions.
    FileNotFoundError
        The target folder does not exist.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_csv, write_csv
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> s = Spectrum(SpectralAxis([3.0, 2.0, 1.0], "um"), [[1.0, 2.0, 3.0]], "intensity", {"names": [" run 1"]})
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv"); write_csv(p, s)
    >>> t = read_csv(p); t.axis.unit.to_string(), t.y.tolist(), t.meta["names"]
    ('um', [[1.0, 2.0, 3.0]], [' run 1'])
    """
    ax = spectrum.axis
    if spectrum.y.ndim > 2:
        raise ValueError(f"write_csv writes a spectrum (n,) or a stack (k, n); got y of shape {spectrum.y.shape}")
    y2 = np.atleast_2d(spectrum.y)
    names = _names(spectrum, y2.shape[0])
    opts = [f"y_unit={spectrum.y_unit}", f"kind={ax.kind}", f"points={len(ax)}", f"spectra={y2.shape[0]}",
            f"ndim={spectrum.y.ndim}", f"dtype={spectrum.y.dtype.name}"]
    if ax.laser_wavelength is not None:
        opts.append(f"laser_wavelength={ax.laser_wavelength!r}")
    head = io.StringIO()
    head.write("; ".join([_MAGIC] + opts) + "\n")
    csv.writer(head, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow([f"{ax.kind} [{ax.unit.to_string()}]"] + names)
    data = np.column_stack([ax.values, y2.T.astype(np.float64)])
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        chunk = head.getvalue().encode("utf-8")
        crc = zlib.crc32(chunk)
        fh.write(chunk)
        for i in range(0, data.shape[0], _BLOCK):
            buf = io.StringIO()
            np.savetxt(buf, data[i : i + _BLOCK], delimiter=",", fmt="%.17g")
            chunk = buf.getvalue().encode("ascii")
            crc = zlib.crc32(chunk, crc)
            fh.write(chunk)
        fh.write(f"# end; crc32={crc & 0xFFFFFFFF:08x}\n".encode("ascii"))


def _options(line):
    opts = {}
    for part in line.lstrip("#").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            opts[k.strip()] = v.strip()
    return opts


def _int_option(path, opts, key):
    try:
        v = int(opts[key])
    except ValueError:
        raise fail(path, f"header entry {key}={opts[key]!r} is not an integer") from None
    if v < 0:
        raise fail(path, f"header entry {key}={v} must be >= 0")
    return v


def read_csv(path, *, squeeze=None):
    """Read a CSV spectrum file, checking it against its own header.

    Accepts files written by :func:`write_csv` and plain CSV files whose first
    non-comment line is a header ``<name> [<unit>],<y names>...`` (e.g.
    ``wavenumber [cm-1],sample A``); the optional ``# fieldconv spectrum;
    y_unit=...; kind=...`` line sets the y unit and the kind (default
    "arbitrary", and the unit's natural kind).

    Parameters
    ----------
    path : str or path-like
    squeeze : bool, optional
        Shape of ``y`` for a file with one spectrum column that does not say
        it (a plain CSV file, or one written before fieldconv 0.2): True
        gives (n,), as :func:`read_jcamp`; False keeps (1, n).  Default
        None: (1, n) with a ``FutureWarning`` (it becomes (n,) in 0.3).
        Files written by :func:`write_csv` now record the shape and come
        back as written, whatever `squeeze`.

    Returns
    -------
    Spectrum
        ``y`` of shape (n,) or (k, n) (see `squeeze`), float64 (or the
        dtype recorded by :func:`write_csv`); names in ``meta["names"]``.

    Raises
    ------
    fieldconv.errors.FileFormatError
        (a ``ValueError``) naming the file: a file written by
        :func:`write_csv` that is truncated (no ``# end`` trailer, fewer rows
        than ``points=``), edited or damaged (CRC-32 mismatch), or whose
        rows, columns or header disagree; in any file: a row with a missing
        or extra field, a value that is not a number, bytes that are not
        UTF-8, no ``[unit]`` in the first column's header, an unknown unit,
        a non-monotonic or non-finite axis, no data rows.
    FileNotFoundError, PermissionError, IsADirectoryError
        The file cannot be opened (the message names it).

    Notes
    -----
    What is checked in a file that fieldconv did not write (no count, no
    CRC): every row has one field per header column and every field is a
    number, rows are contiguous (no blank line inside the data), the axis is
    strictly monotonic.  A truncation exactly at a row boundary cannot be
    seen in such a file; in a file written by :func:`write_csv` every
    truncation, edit or flipped byte is an error.

    Examples
    --------
    >>> import os, tempfile
    >>> from fieldconv.io import read_csv
    >>> p = os.path.join(tempfile.mkdtemp(), "plain.csv")
    >>> _ = open(p, "w").write("wavelength [nm],sample\\n500,0.1\\n510,0.2\\n")
    >>> read_csv(p, squeeze=True).y.tolist()
    [0.1, 0.2]
    """
    text, raw = read_text(path)
    lines = text.split("\n")
    opts = {}
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        opts.update(_options(lines[i]))
        i += 1
    if i >= len(lines) or not lines[i].strip():
        raise fail(path, "no header line '<name> [<unit>],<y names>...' (the file is empty or holds only comments)")
    # a file written by write_csv: its header counts, or its trailer (either can be the damaged part)
    tail = next((ln for ln in reversed(lines) if ln.strip()), "")
    ours = lines[0].startswith(_MAGIC) and ("points" in opts or tail.startswith("# end"))
    try:
        cols = next(csv.reader([lines[i]], skipinitialspace=True))
    except csv.Error as exc:
        raise fail(path, f"the CSV header line is malformed: {exc}") from None
    cols = [cols[0].strip()] + cols[1:]
    if "[" not in cols[0] or not cols[0].endswith("]"):
        raise fail(path, f"the first CSV column header must be '<name> [<unit>]'; got {cols[0]!r}")
    if len(cols) < 2:
        raise fail(path, f"the header names no spectrum column after {cols[0]!r}")
    unit = cols[0][cols[0].index("[") + 1 : -1]
    body = lines[i + 1 :]
    if ours:
        body = _checked_body(path, raw, body, opts, len(cols))
    else:
        while body and not body[-1].strip():
            body.pop()
        body = [ln for ln in body if not ln.startswith("#")]
        for k, ln in enumerate(body):
            if not ln.strip():
                raise fail(path, f"blank line {i + 2 + k} inside the data (a damaged or concatenated file?)")
    if not body:
        raise fail(path, "no data rows after the header")
    data = _parse_rows(path, body, len(cols), first_line=i + 2)
    lw = opts.get("laser_wavelength")
    try:
        lw = None if lw is None else float(lw)
        axis = SpectralAxis(data[:, 0], unit, kind=opts.get("kind"), laser_wavelength=lw)
        y = data[:, 1:].T
        if ours:
            y = y.astype(opts.get("dtype", "float64"))
            if opts.get("ndim") == "1":
                y = y[0]
        elif y.shape[0] == 1:
            if squeeze is None:
                warnings.warn(
                    "read_csv returns y of shape (1, n) for a file with one spectrum column; from fieldconv 0.3 "
                    "it returns (n,), as read_jcamp does: pass squeeze=True for the new shape (or squeeze=False "
                    "to keep (1, n) and silence this warning)", FutureWarning, stacklevel=2)
            elif squeeze:
                y = y[0]
        return Spectrum(axis, y, opts.get("y_unit", "arbitrary"), {"names": cols[1:]})
    except (ValueError, TypeError) as exc:
        raise fail(path, str(exc)) from exc


def _checked_body(path, raw, body, opts, ncols):
    """The data rows of a file written by :func:`write_csv`, after the trailer, CRC and count checks."""
    while body and body[-1] == "":
        body.pop()
    if not body or not body[-1].startswith("# end"):
        raise fail(path, "the '# end; crc32=...' trailer is missing: the file is truncated")
    end = _options(body.pop())
    if "crc32" not in end:
        raise fail(path, "the '# end' trailer has no crc32: the file is damaged")
    if not raw.endswith(b"\n"):
        raise fail(path, "the file does not end with a line break after its trailer: it is truncated or damaged")
    cut = raw.rstrip(b"\n").rfind(b"\n") + 1
    check_crc(path, raw[:cut], end["crc32"])
    for key in ("points", "spectra"):
        if key not in opts:
            raise fail(path, f"the header has no {key}= entry: the file is damaged")
    points, spectra = _int_option(path, opts, "points"), _int_option(path, opts, "spectra")
    if len(body) != points:
        raise fail(path, f"the header says points={points} but the file holds {len(body)} data rows")
    if ncols != spectra + 1:
        raise fail(path, f"the header says spectra={spectra} but names {ncols - 1} spectrum columns")
    if opts.get("ndim") not in ("1", "2") or opts.get("dtype") not in ("float32", "float64"):
        raise fail(path, f"header entries ndim={opts.get('ndim')!r} / dtype={opts.get('dtype')!r} are not valid")
    return body


def _parse_rows(path, body, ncols, first_line):
    """The rows as a float64 (rows, ncols) array; a short or long row or a non-number names its line."""
    rows = [ln.split(",") for ln in body]
    for k, fields in enumerate(rows):
        if len(fields) != ncols:
            raise fail(path, f"line {first_line + k} has {len(fields)} fields where the header has {ncols}: "
                             f"{body[k][:80]!r}")
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError:
        for k, fields in enumerate(rows):
            try:
                np.array(fields, dtype=np.float64)
            except ValueError:
                raise fail(path, f"line {first_line + k} holds a value that is not a number: "
                                 f"{body[k][:80]!r}") from None
        raise

