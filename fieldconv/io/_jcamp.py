"""JCAMP-DX spectrum files: read with the ``jcamp`` package and checked, written as AFFN JCAMP-DX 4.24, atomically."""

import contextlib
import io
import math
import re

import numpy as np

from .._atomic import atomic_path
from ..spectra import SpectralAxis, Spectrum
from ._integrity import check_crc, crc32_hex, fail, read_text

__all__ = ["read_jcamp", "write_jcamp"]


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
#: The checksum label fieldconv writes (a user-defined "##$" label: other readers skip it).
_CRC_LABEL = "##$CRC32="
_PAIR_SPLIT = re.compile(r"[,;\s]+")


def _label(line):
    """``(LABEL, value)`` of a ``##LABEL=value`` line (label upper-case, blanks removed)."""
    lhs, _, rhs = line[2:].partition("=")
    return lhs.strip().upper().replace(" ", ""), rhs.strip()


def _scan(path, lines):
    """Labels (first occurrence), the data label and its lines; structural checks (one block, ##END= last)."""
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or _label(lines[-1].strip())[0] != "END" or not lines[-1].startswith("##"):
        raise fail(path, "no ##END= line at the end: the file is truncated (or not JCAMP-DX)")
    ends = sum(1 for ln in lines if ln.startswith("##") and _label(ln)[0] == "END")
    if ends != 1:
        raise fail(path, f"holds {ends} blocks (a compound/LINK file); read_jcamp reads single-spectrum files")
    labels, data_label, data = {}, None, []
    in_data = False
    for ln in lines[:-1]:
        if ln.startswith("##"):
            if "=" not in ln:
                raise fail(path, f"header line {ln[:60]!r} has no '=': the file is damaged")
            key, value = _label(ln)
            in_data = key in ("XYDATA", "XYPOINTS", "PEAKTABLE", "XYPAIRS", "DATATABLE", "NTUPLES")
            if in_data:
                if data_label is not None:
                    raise fail(path, f"holds two data tables (##{data_label} and ##{key}); read_jcamp reads one")
                data_label = key
            labels.setdefault(key, value)
            continue
        if in_data:
            body = ln.split("$$", 1)[0].strip()
            if body:
                data.append(body)
    if data_label not in ("XYDATA", "XYPOINTS"):
        raise fail(path, "has no ##XYDATA= or ##XYPOINTS= table" if data_label is None
                   else f"holds a ##{data_label} table; read_jcamp reads ##XYDATA and ##XYPOINTS")
    if not data:
        raise fail(path, f"the ##{data_label} table holds no data lines")
    return labels, data_label, data


def _number(path, labels, key, *, required=False):
    if key not in labels:
        if required:
            raise fail(path, f"##{key}= is missing (required with this data table)")
        return None
    try:
        v = float(labels[key].replace(",", ".", 1) if labels[key].count(",") == 1 and "." not in labels[key]
                  else labels[key])
    except ValueError:
        raise fail(path, f"##{key}={labels[key]!r} is not a number") from None
    if not math.isfinite(v):
        raise fail(path, f"##{key}={labels[key]!r} is not finite")
    return v


def _xcheck(path, what, got, want, tol):
    if not abs(got - want) <= tol:
        raise fail(path, f"{what}: the data say {got!r} but the header gives {want!r} (difference "
                         f"{abs(got - want):.3g} > {tol:.3g}): the header was edited or the data damaged")


def _xydata(path, lines, labels, data):
    """y of an ``(X++(Y..Y))`` table decoded by the jcamp package, x from the header, both checked."""
    import jcamp

    if labels["XYDATA"].replace(" ", "").upper() != "(X++(Y..Y))":
        raise fail(path, f"##XYDATA={labels['XYDATA']} is not supported (only (X++(Y..Y)))")
    n = _number(path, labels, "NPOINTS", required=True)
    x0 = _number(path, labels, "FIRSTX", required=True)
    x1 = _number(path, labels, "LASTX", required=True)
    xf = _number(path, labels, "XFACTOR") or 1.0
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            d = jcamp.read([ln + "\n" for ln in lines])
        y = np.asarray(d["y"], dtype=np.float64)
        first = jcamp.parse(data[0])
        last = jcamp.parse(data[-1])
    except Exception as exc:  # the package raises bare Exception for bad characters
        raise fail(path, f"the XYDATA table cannot be decoded ({exc}): the file is damaged") from None
    if n != int(n) or n < 2 or y.shape[0] != int(n):
        raise fail(path, f"##NPOINTS={labels['NPOINTS']} but the XYDATA table holds {y.shape[0]} values")
    n = int(n)
    x = np.linspace(x0, x1, n)
    dx = (x1 - x0) / (n - 1)
    if not all(math.isfinite(v) for v in y) or dx == 0:
        raise fail(path, "the XYDATA table holds non-finite values or ##FIRSTX equals ##LASTX")
    # line abscissae are X / XFACTOR rounded to what the line prints: half a unit of XFACTOR, plus rounding
    tol = 0.5 * abs(xf) + 1e-9 * max(abs(x0), abs(x1))
    _xcheck(path, "first abscissa (##FIRSTX)", first[0] * xf, x0, tol)
    # the line's abscissa is that of its first ordinate (in ASDF the Y-check value, the previous line's last)
    k_last = y.shape[0] - (len(last) - 1)
    if 0 <= k_last < n:
        _xcheck(path, f"abscissa of the last data line (point {k_last}, from ##FIRSTX/##LASTX/##NPOINTS)",
                last[0] * xf, x[k_last], tol + 1e-9 * abs(dx) * n)
    if "DELTAX" in labels:
        _xcheck(path, "##DELTAX", _number(path, labels, "DELTAX"), dx, 1e-6 * abs(dx) + 0.5 * abs(xf) / n)
    fy = _number(path, labels, "FIRSTY")
    if fy is not None:
        # ##FIRSTY is the first ordinate in real units, printed to a few digits: 1e-3 relative (an edited
        # ##YFACTOR moves it by a factor), or 1e-9 of the largest |y| for a first value near 0
        tol = 1e-3 * max(abs(fy), abs(y[0])) + 1e-9 * float(np.max(np.abs(y)))
        _xcheck(path, "first ordinate (##FIRSTY)", y[0], fy, tol)
    printed = buf.getvalue().strip()
    if printed:  # the package prints (instead of raising) failed X/Y checks and length mismatches
        raise fail(path, f"the data table fails its own checks: {printed.splitlines()[0]}")
    return x, y


def _xypoints(path, labels, data):
    """``(XY..XY)`` pairs parsed here (every token must be a number), checked against the header."""
    form = labels["XYPOINTS"].replace(" ", "").upper()
    if form not in ("(XY..XY)", "(XY...XY)"):
        raise fail(path, f"##XYPOINTS={labels['XYPOINTS']} is not supported (only (XY..XY))")
    tokens = [t for ln in data for t in _PAIR_SPLIT.split(ln) if t]
    try:
        values = np.array([float(t) for t in tokens])
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t))
        raise fail(path, f"the XYPOINTS table holds {bad!r}, which is not a number: the file is damaged") from None
    if values.shape[0] % 2 or not np.all(np.isfinite(values)):
        raise fail(path, f"the XYPOINTS table holds {values.shape[0]} numbers (not x, y pairs of finite values)")
    x = values[0::2] * (_number(path, labels, "XFACTOR") or 1.0)
    y = values[1::2] * (_number(path, labels, "YFACTOR") or 1.0)
    n = _number(path, labels, "NPOINTS")
    if n is not None and n != x.shape[0]:
        raise fail(path, f"##NPOINTS={labels['NPOINTS']} but the XYPOINTS table holds {x.shape[0]} pairs")
    for key, v in (("FIRSTX", x[0]), ("LASTX", x[-1]), ("FIRSTY", y[0])):
        stated = _number(path, labels, key)
        if stated is not None:
            _xcheck(path, f"##{key}", v, stated, 1e-9 * max(abs(v), abs(stated)))
    return x, y


def _is_float(t):
    try:
        float(t)
    except ValueError:
        return False
    return True


def read_jcamp(path):
    """Read a JCAMP-DX spectrum (AFFN or compressed ASDF XYDATA, or XYPOINTS), checking it against its header.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    Spectrum
        Axis from ``##XUNITS`` (1/CM -> cm^-1, MICROMETERS -> um,
        NANOMETERS -> nm), in the file's order (descending stays
        descending); ``y`` of shape (n,); ``y_unit`` from ``##YUNITS``:
        ABSORBANCE -> "absorbance", TRANSMITTANCE -> "transmittance" (a
        fraction, per the JCAMP-DX IR spec), %T -> "percent_transmittance",
        ...; XFACTOR and YFACTOR applied; the header in ``meta``.

    Raises
    ------
    fieldconv.errors.FileFormatError
        (a ``ValueError``) naming the file and what is wrong: no ``##END=``
        at the end (truncated), a CRC-32 mismatch (a file written by
        :func:`write_jcamp`, changed or damaged since), ``##NPOINTS`` other
        than the number of values, a line abscissa that contradicts
        ``##FIRSTX``/``##LASTX`` (edited header), ``##FIRSTY`` other than the
        first value, a failed DIF Y-check, characters that are not JCAMP-DX
        data, several blocks (LINK files), an unsupported table; unknown
        ``##XUNITS``/``##YUNITS``.
    FileNotFoundError, PermissionError, IsADirectoryError
        The file cannot be opened (the message names it).
    ImportError
        `jcamp` is not installed (``pip install jcamp``).

    Notes
    -----
    The ``jcamp`` package decodes XYDATA (AFFN, SQZ/DIF/DUP); it only
    prints failed checks and derives x from ``##FIRSTX``/``##LASTX`` alone,
    so read_jcamp adds the checks above.  A file written elsewhere has no
    checksum: a changed digit inside the data cannot be seen there (the
    ASDF Y-check catches some); files written by :func:`write_jcamp` carry
    a ``##$CRC32=`` of every byte before it, so any change is an error.

    Examples
    --------
    >>> import os, tempfile
    >>> from fieldconv.io import read_jcamp
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
        import jcamp  # noqa: F401
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError("read_jcamp needs the jcamp package: pip install jcamp") from exc

    text, raw = read_text(path, fallback_latin1=True)
    lines = text.splitlines()
    crc_at = raw.rfind(b"\n" + _CRC_LABEL.encode()) + 1
    if crc_at > 0:
        line = raw[crc_at:].split(b"\n", 1)[0].decode("latin-1")
        check_crc(path, raw[:crc_at], line[len(_CRC_LABEL):])
    labels, data_label, data = _scan(path, lines)
    if data_label == "XYDATA":
        x, y = _xydata(path, lines, labels, data)
    else:
        x, y = _xypoints(path, labels, data)
    xu = labels.get("XUNITS", "").strip().upper()
    yu = labels.get("YUNITS", "").strip().upper()
    if xu not in _JCAMP_X:
        raise fail(path, f"##XUNITS must be one of {sorted(_JCAMP_X)}; got {labels.get('XUNITS')!r}")
    if yu not in _JCAMP_Y:
        raise fail(path, f"##YUNITS must be one of {sorted(_JCAMP_Y)}; got {labels.get('YUNITS')!r}")
    if labels.get("$DTYPE") == "float32":
        y = y.astype(np.float32)
    meta = {k.lower(): v for k, v in labels.items() if k not in ("XYDATA", "XYPOINTS")}
    try:
        return Spectrum(SpectralAxis(x, _JCAMP_X[xu]), y, _JCAMP_Y[yu], meta)
    except (ValueError, TypeError) as exc:
        raise fail(path, str(exc)) from exc


def _g(v):
    """Shortest text that reads back as the same float64."""
    return repr(float(v))


def write_jcamp(path, spectrum, *, title="fieldconv spectrum", per_line=8):
    """Write one spectrum as JCAMP-DX 4.24 AFFN, exactly, with a CRC-32, atomically.

    An axis that is exactly ``linspace(first, last, n)`` is written as
    ``##XYDATA=(X++(Y..Y))`` (the reader rebuilds x from ``##FIRSTX``,
    ``##LASTX``, ``##NPOINTS``); any other axis as ``##XYPOINTS=(XY..XY)``
    pairs.  Numbers are the shortest decimal text that reads back as the
    same float64, XFACTOR = YFACTOR = 1, the axis order as stored, so
    :func:`read_jcamp` returns exactly what was written (float32 data come
    back as float32: ``##$DTYPE=float32``).  A ``##$CRC32=`` line before
    ``##END=`` covers every byte before it.

    Raises
    ------
    ValueError
        A stack of spectra (JCAMP-DX holds one); NaN or inf in ``y``
        (JCAMP-DX has no portable missing value: mask or interpolate them
        first); a unit JCAMP-DX cannot name.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import read_jcamp, write_jcamp
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
    >>> s = Spectrum(SpectralAxis(np.linspace(4000, 3990, 11)), np.linspace(0.1, 0.2, 11), "absorbance")
    >>> p = os.path.join(tempfile.mkdtemp(), "s.jdx"); write_jcamp(p, s)
    >>> bool(np.array_equal(read_jcamp(p).y, s.y))
    True
    """
    if spectrum.y.ndim != 1:
        raise ValueError(f"write_jcamp writes one spectrum; got y of shape {spectrum.y.shape}")
    ax = spectrum.axis
    xu = {"1 / cm": "1/CM", "um": "MICROMETERS", "nm": "NANOMETERS", "Hz": "HZ"}.get(ax.unit.to_string())
    if xu is None or ax.kind == "raman_shift":
        raise ValueError(f"write_jcamp supports cm-1, um, nm and Hz axes; got {ax.unit} ({ax.kind})")
    x, y = ax.values, spectrum.y
    bad = int(np.count_nonzero(~np.isfinite(y)))
    if bad:
        raise ValueError(
            f"write_jcamp cannot write y with {bad} NaN/inf value(s): JCAMP-DX has no portable missing value "
            "(readers reject '?'); interpolate or drop those points first"
        )
    if any(ch in title for ch in "\r\n"):
        raise ValueError(f"title must be one line; got {title!r}")
    n = x.shape[0]
    lines = [f"##TITLE={title}", "##JCAMP-DX=4.24", "##DATA TYPE=INFRARED SPECTRUM", f"##XUNITS={xu}",
             f"##YUNITS={_Y_TO_JCAMP[spectrum.y_unit]}", "##XFACTOR=1", "##YFACTOR=1",
             f"##FIRSTX={_g(x[0])}", f"##LASTX={_g(x[-1])}", f"##NPOINTS={n}", f"##FIRSTY={_g(y[0])}"]
    if y.dtype == np.float32:
        lines.append("##$DTYPE=float32")
    grid = np.linspace(x[0], x[-1], n)
    if np.array_equal(grid, x):
        lines.append("##XYDATA=(X++(Y..Y))")
        for i in range(0, n, per_line):
            lines.append(f"{_g(grid[i])} " + " ".join(_g(v) for v in y[i : i + per_line]))
    else:
        lines.append("##XYPOINTS=(XY..XY)")
        lines.extend(f"{_g(a)}, {_g(b)}" for a, b in zip(x, y))
    body = ("\n".join(lines) + "\n").encode("ascii")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(body + f"{_CRC_LABEL}{crc32_hex(body)}\n##END=\n".encode("ascii"))
