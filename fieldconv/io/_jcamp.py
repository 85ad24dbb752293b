"""JCAMP-DX spectrum files: read with the ``jcamp`` package, written as AFFN JCAMP-DX 4.24, atomically."""

import contextlib
import io
import os

import numpy as np

from .._atomic import atomic_path
from ..spectra import SpectralAxis, Spectrum

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
        import jcamp
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError("read_jcamp needs the jcamp package: pip install jcamp") from exc

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
    return Spectrum(SpectralAxis(x, _JCAMP_X[xu]), y, _JCAMP_Y[yu], meta)


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
    >>> from fieldconv.io import read_jcamp, write_jcamp
    >>> from fieldconv.spectra import Spectrum, SpectralAxis
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
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write("\n".join(lines) + "\n")


