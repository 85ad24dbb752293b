"""Spectrum-file corruption: write a known spectrum, damage the file, read it back, judge the outcome.

The contract (issue 11): a damaged file gives a clear error naming the file (ValueError or
OSError with the file's name in the message), or exactly the data that was written: never
different data.  The one exception is a flipped byte inside a number of a text format
(CSV, JCAMP-DX AFFN): no checksum can catch it, so at most that one value may change.
"""

import os

import numpy as np

from fieldconv import io as sio
from fieldconv import spectra

EXT = {"jcamp": ".jdx", "csv": ".csv", "hdf5": ".h5"}


def make_spectrum(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = np.linspace(4000.0, 400.0, n)
    y = np.round(np.sin(x / 97.0) + 0.1 * rng.standard_normal(n), 9)
    return spectra.Spectrum(spectra.SpectralAxis(x, "cm-1"), y, "absorbance", meta={"names": ["sample A"]})


def write(fmt, path, s):
    if fmt == "jcamp":
        sio.write_jcamp(path, s)
    elif fmt == "csv":
        sio.write_csv(path, s)
    else:
        sio.write_hdf5(path, {"s": s})


def read(fmt, path):
    if fmt == "jcamp":
        return sio.read_jcamp(path)
    if fmt == "csv":
        return sio.read_csv(path)
    return sio.read_hdf5(path)["s"]


def _arrays(s):
    return np.asarray(s.axis.values, float), np.asarray(s.y, float).reshape(-1), str(s.axis.unit), s.y_unit


def differences(got, want):
    """How many of x values, y values, axis unit and y unit differ (shape changes count as everything)."""
    gx, gy, gu, gyu = _arrays(got)
    wx, wy, wu, wyu = _arrays(want)
    if gx.shape != wx.shape or gy.shape != wy.shape:
        return max(len(wx), len(gx)) + 10**6
    # the text formats hold 12-17 significant digits: equal to 1e-11 relative
    dx = int((np.abs(gx - wx) > 1e-11 * np.abs(wx).max()).sum() + np.isnan(gx).sum())
    dy = int((~np.isclose(gy, wy, rtol=1e-11, atol=1e-11 * np.abs(wy).max())).sum())
    return dx + dy + (gu != wu) + (gyu != wyu)


def judge(fmt, path, want, *, allowed=0, what="", need_name=True):
    """None if reading the damaged file `path` honours the contract, else the reason."""
    try:
        got = read(fmt, path)
    except (ValueError, OSError) as exc:
        msg = str(exc)
        if isinstance(exc, UnicodeError) or (need_name and os.path.basename(path) not in msg):
            return f"{what}: {type(exc).__name__} without the file's name: {msg[:300]}"
        return None
    except Exception as exc:  # noqa: BLE001 - the contract allows only the two above
        return f"{what}: undocumented {type(exc).__name__}: {str(exc)[:300]}"
    n = differences(got, want)
    if n > allowed:
        return (f"{what}: read without error but {'a different number of points' if n >= 10**6 else f'{n} values differ'}"
                f" ({len(got.axis.values)} points read, {len(want.axis.values)} written)")
    return None


def truncations(size, rng, count):
    """Offsets to cut a file of `size` bytes at: the ends, the middle, and `count` random ones."""
    fixed = [0, 1, 10, size // 4, size // 2, 3 * size // 4, size - 40, size - 12, size - 7, size - 3, size - 2, size - 1]
    rand = rng.integers(1, size, count).tolist()
    return sorted({o for o in fixed + rand if 0 <= o < size})


def flip(data, pos, rng, text):
    """`data` with the byte at `pos` replaced: by another digit/separator for text, XOR 0xFF for binary."""
    b = bytearray(data)
    if text:
        choices = [c for c in b"0123456789.,-+ eE#\n=" if c != b[pos]]
        b[pos] = choices[int(rng.integers(0, len(choices)))]
    else:
        b[pos] ^= 0xFF
    return bytes(b)


def on_data_line(fmt, data, pos):
    """True if byte `pos` of a text file lies on a data line (not a header or comment line)."""
    start = data.rfind(b"\n", 0, pos) + 1
    line = data[start:start + 40]
    if fmt == "jcamp":
        return not line.startswith(b"##")
    header_end = data.find(b"\n", data.find(b"\n") + 1)  # the comment line, then the column header
    return start > header_end
