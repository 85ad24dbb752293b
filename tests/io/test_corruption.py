"""Damaged spectrum files: every reader gives a clear error naming the file, or exactly the data, never other data.

For each format a file is written by fieldconv, then truncated at many
offsets, has single bytes flipped (four XOR patterns), and has its header
edited; each damaged file must raise :class:`FileFormatError` (a
ValueError) whose message names the file, or read back exactly what was
written.  Files written elsewhere (no checksum) are checked against what
their format declares.  The cases of the issue each have a test.
"""

import os
import warnings

import numpy as np
import pytest

from fieldconv.errors import FileFormatError
from fieldconv.io import read_csv, read_hdf5, read_jcamp, write_csv, write_hdf5, write_jcamp
from fieldconv.spectra import SpectralAxis, Spectrum

N = 60
_RNG = np.random.default_rng(11)
STACK = Spectrum(SpectralAxis(np.linspace(4000.0, 3000.0, N)), _RNG.random((2, N)), "absorbance",
                 {"names": ["a", " b, c"]})
ONE = Spectrum(SpectralAxis(np.linspace(4000.0, 3000.0, N)), _RNG.random(N), "transmittance")
ONE32 = Spectrum(SpectralAxis(np.sort(_RNG.random(N)) * 1000 + 500), _RNG.random(N).astype(np.float32), "absorbance")


def _same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return (np.array_equal(a.axis.values, b.axis.values) and a.y.dtype == b.y.dtype and a.y.shape == b.y.shape
            and np.array_equal(a.y, b.y) and a.y_unit == b.y_unit and a.axis.unit == b.axis.unit
            and a.axis.kind == b.axis.kind and a.meta.get("names") == b.meta.get("names"))


FORMATS = {
    "csv": (lambda p: write_csv(p, STACK), read_csv),
    "csv-1d": (lambda p: write_csv(p, ONE), read_csv),
    "jcamp-xydata": (lambda p: write_jcamp(p, ONE), read_jcamp),
    "jcamp-xypoints-float32": (lambda p: write_jcamp(p, ONE32), read_jcamp),
    "hdf5": (lambda p: write_hdf5(p, {"stack": STACK, "one": ONE32}), read_hdf5),
}


def _offsets(n, count):
    """`count` offsets spread over [0, n) plus the last 24 bytes (where trailers live)."""
    return sorted(set(np.linspace(0, n - 1, count).astype(int).tolist()) | set(range(max(0, n - 24), n)))


def _check(read, path, ref, what):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            got = read(path)
    except FileFormatError as exc:
        assert os.fspath(path) in str(exc), f"{what}: the error does not name the file: {exc}"
        return "error"
    assert _same(got, ref), f"{what}: the reader returned different data"
    return "same"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_truncation_at_many_offsets(fmt, tmp_path):
    write, read = FORMATS[fmt]
    p = tmp_path / "orig"
    write(p)
    ref, raw = read(p), p.read_bytes()
    bad = tmp_path / "bad"
    outcomes = []
    for k in _offsets(len(raw), 80):
        bad.write_bytes(raw[:k])
        outcomes.append(_check(read, bad, ref, f"truncated at byte {k} of {len(raw)}"))
    assert outcomes.count("error") >= len(outcomes) - 2  # only a cut in the final newline(s) can leave it whole


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_byte_flips(fmt, tmp_path):
    write, read = FORMATS[fmt]
    p = tmp_path / "orig"
    write(p)
    ref, raw = read(p), p.read_bytes()
    bad = tmp_path / "bad"
    # text files carry a CRC-32 of every byte before their checksum line: a flip there is always an error
    # (after it, in the checksum's label or the end line, the data are intact); in HDF5 some bytes are padding
    covered = len(raw) if fmt == "hdf5" else max(raw.rfind(b"\n##$CRC32="), raw.rfind(b"\n# end;"))
    count = {"error": 0, "same": 0}
    for k in _offsets(len(raw), 60 if fmt == "hdf5" else 120):
        for x in (0x01, 0x20, 0x80, 0xFF):
            bad.write_bytes(raw[:k] + bytes([raw[k] ^ x]) + raw[k + 1 :])
            outcome = _check(read, bad, ref, f"byte {k} xor {x:#04x}")
            count[outcome] += 1
            assert fmt == "hdf5" or k >= covered or outcome == "error", f"byte {k} xor {x:#04x} read back"
    assert count["error"] > 0.5 * sum(count.values())


# ------------------------------------------------------------------ CSV: the cases of the issue
def _csv_1000(tmp_path):
    x = np.linspace(4000.0, 400.0, 1000)
    s = Spectrum(SpectralAxis(x), np.exp(-0.5 * ((x - 1700) / 30) ** 2), "absorbance")
    p = tmp_path / "s.csv"
    write_csv(p, s)
    return p, s


def test_csv_first_half_is_an_error_not_499_points(tmp_path):
    p, _ = _csv_1000(tmp_path)
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FileFormatError, match=r"s\.csv'.*trailer is missing: the file is truncated"):
        read_csv(p)


def test_csv_deleted_line_is_an_error_not_999_points(tmp_path):
    p, _ = _csv_1000(tmp_path)
    lines = p.read_text().splitlines(keepends=True)
    p.write_text("".join(lines[:500] + lines[501:]))
    with pytest.raises(FileFormatError, match=r"checksum mismatch"):
        read_csv(p)
    # the same deletion with a recomputed checksum: the count still disagrees
    from fieldconv.io._integrity import crc32_hex

    body = "".join(lines[:500] + lines[501:-1]).encode()
    p.write_bytes(body + f"# end; crc32={crc32_hex(body)}\n".encode())
    with pytest.raises(FileFormatError, match=r"points=1000 but the file holds 999 data rows"):
        read_csv(p)


def test_csv_one_spectrum_round_trips_its_shape_and_dtype(tmp_path):
    p = tmp_path / "s.csv"
    write_csv(p, ONE)
    t = read_csv(p)
    assert t.y.shape == (N,) and np.array_equal(t.y, ONE.y)  # before: (1, n)
    s32 = Spectrum(ONE.axis, ONE.y.astype(np.float32))
    write_csv(p, s32)
    assert read_csv(p).y.dtype == np.float32 and np.array_equal(read_csv(p).y, s32.y)


def test_csv_plain_file_shape_follows_squeeze_with_a_future_warning(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("wavelength [nm],sample\n500,0.1\n510,0.2\n")
    with pytest.warns(FutureWarning, match=r"from fieldconv 0\.3 it returns \(n,\).*squeeze=True"):
        assert read_csv(p).y.shape == (1, 2)
    assert read_csv(p, squeeze=True).y.shape == (2,)
    assert read_csv(p, squeeze=False).y.shape == (1, 2)


def test_csv_names_are_quoted_or_refused(tmp_path):
    p = tmp_path / "s.csv"
    s = Spectrum(STACK.axis, STACK.y, "absorbance", {"names": ["run 1\nrun 2", "b"]})
    with pytest.raises(ValueError, match=r"names must not contain line breaks.*'run 1\\nrun 2'"):
        write_csv(p, s)
    assert not p.exists()
    names = ["  leading spaces", 'a "quoted", name']
    write_csv(p, Spectrum(STACK.axis, STACK.y, "absorbance", {"names": names}))
    assert read_csv(p).meta["names"] == names


@pytest.mark.parametrize("text,match", [
    ("wavelength [nm],a,b\n500,0.1,0.2\n510,0.3\n", r"line 3 has 2 fields where the header has 3"),
    ("wavelength [nm],a\n500,0.1\n510,O.2\n", r"line 3 holds a value that is not a number"),
    ("wavelength [nm],a\n500,0.1\n\n510,0.2\n", r"blank line 3 inside the data"),
    ("wavelength [nm],a\n", r"no data rows after the header"),
    ("", r"no header line"),
    ("wavelength [nm]\n500\n", r"names no spectrum column"),
    ("wavelength [nm],a\n500,0.1\n500,0.2\n", r"strictly monotonic"),
    ("wavelength [furlong],a\n500,0.1\n510,0.2\n", r"spectral unit"),
], ids=["short-row", "not-a-number", "blank-line", "no-rows", "empty", "no-y", "repeat", "unit"])
def test_csv_foreign_files_are_checked(tmp_path, text, match):
    p = tmp_path / "f.csv"
    p.write_text(text)
    with pytest.raises(FileFormatError, match=match) as info:
        read_csv(p, squeeze=True)
    assert "f.csv" in str(info.value)


def test_csv_bytes_that_are_not_text(tmp_path):
    p = tmp_path / "b.csv"
    p.write_bytes(b"wavelength [nm],a\n500,0.1\n510,\xff0.2\n")
    with pytest.raises(FileFormatError, match=r"b\.csv'.*byte 30 .* is not UTF-8"):  # was UnicodeDecodeError
        read_csv(p)


# ------------------------------------------------------------------ JCAMP-DX
def _foreign(p):
    """The file as another program would write it: no fieldconv checksum."""
    text = "\n".join(ln for ln in p.read_text().splitlines() if not ln.startswith("##$CRC32="))
    p.write_text(text + "\n")
    return text


def test_jcamp_cut_inside_the_last_number_is_an_error(tmp_path):
    p = tmp_path / "s.jdx"
    write_jcamp(p, ONE)
    text = _foreign(p)
    last = text.rindex("##$")  if "##$" in text else text.rindex("##END=")
    cut = text[: last - 4]  # inside the last number of the last data line, ##END= gone
    p.write_text(cut)
    with pytest.raises(FileFormatError, match=r"s\.jdx'.*no ##END= line at the end: the file is truncated"):
        read_jcamp(p)


@pytest.mark.parametrize("edit,match", [
    (("##LASTX=3000.0", "##LASTX=2990.0"), r"abscissa of the last data line"),
    (("##FIRSTX=4000.0", "##FIRSTX=4010.0"), r"first abscissa \(##FIRSTX\)"),
    (("##NPOINTS=60", "##NPOINTS=59"), r"##NPOINTS=59 but the XYDATA table holds 60 values"),
    (("##FIRSTY=", "##FIRSTY=1"), r"first ordinate \(##FIRSTY\)"),
    (("##YFACTOR=1", "##YFACTOR=2"), r"first ordinate \(##FIRSTY\)"),
    (("##XYDATA=(X++(Y..Y))", "##XYDATA=(X++(R..R))"), r"not supported"),
], ids=["lastx", "firstx", "npoints", "firsty", "yfactor", "table"])
def test_jcamp_edited_header_is_an_error(tmp_path, edit, match):
    p = tmp_path / "s.jdx"
    write_jcamp(p, ONE)
    text = p.read_text()
    assert edit[0] in text
    p.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(FileFormatError, match=r"checksum mismatch"):  # a file fieldconv wrote: its CRC-32
        read_jcamp(p)
    _foreign(p)  # a file written elsewhere: the header is checked against the data
    with pytest.raises(FileFormatError, match=match):
        read_jcamp(p)


def test_jcamp_xypoints_edited_and_damaged(tmp_path):
    p = tmp_path / "s.jdx"
    write_jcamp(p, ONE32)
    text = _foreign(p)
    lines = text.splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.startswith("##XYPOINTS"))
    p.write_text("\n".join(lines[: k + 3] + lines[k + 4 :]) + "\n")  # a deleted pair
    with pytest.raises(FileFormatError, match=r"##NPOINTS=60 but the XYPOINTS table holds 59 pairs"):
        read_jcamp(p)
    lines[k + 5] = lines[k + 5].replace(",", ", ?")
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(FileFormatError, match=r"holds '\?', which is not a number"):
        read_jcamp(p)


def test_jcamp_foreign_truncations(tmp_path):
    p = tmp_path / "s.jdx"
    write_jcamp(p, ONE)
    raw = _foreign(p).encode() + b"\n"
    ref = read_jcamp(p)
    for k in _offsets(len(raw), 60):
        p.write_bytes(raw[:k])
        _check(read_jcamp, p, ref, f"truncated at {k}")


def test_jcamp_nan_is_refused_on_write(tmp_path):
    p = tmp_path / "s.jdx"
    y = ONE.y.copy()
    y[[3, 9]] = np.nan
    with pytest.raises(ValueError, match=r"cannot write y with 2 NaN/inf value\(s\)"):
        write_jcamp(p, Spectrum(ONE.axis, y, "absorbance"))
    assert not p.exists()


def test_jcamp_round_trip_is_exact(tmp_path):
    p = tmp_path / "s.jdx"
    for s in (ONE, ONE32):
        write_jcamp(p, s)
        assert _same(read_jcamp(p), s)


@pytest.mark.parametrize("text,match", [
    ("##TITLE=t\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n##FIRSTX=1\n##LASTX=3\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n"
     "1 0.1 ? 0.3\n##END=\n", r"cannot be decoded"),
    ("##TITLE=t\n##DATA TYPE=LINK\n##END=\n##TITLE=a\n##END=\n", r"holds 2 blocks"),
    ("##TITLE=t\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n##PEAK TABLE=(XY..XY)\n1, 2\n##END=\n", r"PEAKTABLE"),
    ("##TITLE=t\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n##XYDATA=(X++(Y..Y))\n1 2 3\n##END=\n", r"##NPOINTS= is missing"),
    ("##TITLE=t\n##XUNITS\n##END=\n", r"has no '='"),
], ids=["question-mark", "link", "peak-table", "no-npoints", "no-equals"])
def test_jcamp_reader_errors_name_the_file(tmp_path, text, match):
    p = tmp_path / "x.jdx"
    p.write_text(text)
    with pytest.raises(FileFormatError, match=match) as info:  # was a bare Exception or a printed warning
        read_jcamp(p)
    assert "x.jdx" in str(info.value)


# ------------------------------------------------------------------ HDF5
def test_hdf5_flipped_data_byte_fails_its_checksum(tmp_path):
    p = tmp_path / "c.h5"
    y = np.arange(1.0, N + 1.0)
    write_hdf5(p, {"s": Spectrum(ONE.axis, y, "absorbance")}, compression=None)  # raw bytes findable
    raw = bytearray(p.read_bytes())
    at = raw.find(y.tobytes())
    assert at >= 0
    raw[at + 8 * 17 + 3] ^= 0x10  # one bit of y[17]
    p.write_bytes(bytes(raw))
    with pytest.raises(FileFormatError, match=r"c\.h5: /spectra/s/y: .*checksum \(fletcher32\)"):
        read_hdf5(p)


@pytest.mark.parametrize("make,match", [
    (lambda p: p.write_bytes(b"not an hdf5 file"), r"cannot be opened as HDF5"),
    (lambda p: _h5(p, lambda f: f.create_group("other")), r"not a fieldconv mesh file"),
    (lambda p: _h5(p, lambda f: f.attrs.create("format", "fieldconv.spectra/1")), r"/spectra: missing"),
    (lambda p: _h5(p, lambda f: (f.attrs.create("format", "fieldconv.spectra/1"),
                                 f.create_group("spectra/a").create_dataset("axis", data=[1.0, 2.0]))),
     r"/spectra/a/y: missing"),
    (lambda p: _h5(p, lambda f: (f.attrs.create("format", "fieldconv.mesh/1"),
                                 f.create_dataset("spectra/a/axis", data=[1.0, 2.0]),
                                 f.create_dataset("spectra/a/y", data=[1.0, 2.0]))),
     r"attribute 'contents' is missing"),
], ids=["not-hdf5", "no-format", "legacy-no-group", "legacy-no-y", "no-contents"])
def test_hdf5_reader_errors_name_the_file(tmp_path, make, match):
    p = tmp_path / "c.h5"
    make(p)
    with pytest.raises(FileFormatError, match=match) as info:  # was OSError / KeyError
        read_hdf5(p)
    assert "c.h5" in str(info.value)


def _h5(p, fill):
    import h5py

    with h5py.File(p, "w") as f:
        fill(f)


def test_hdf5_without_checksums_in_the_current_format_is_refused(tmp_path):
    import h5py

    p = tmp_path / "c.h5"
    write_hdf5(p, {"a": Spectrum(ONE.axis, np.arange(1.0, N + 1.0), "absorbance")})
    with h5py.File(p, "r+") as f:  # rewrite y with the same values, shape, dtype and units but no checksum
        ds = f["spectra/a/y"]
        data, attrs = ds[()], dict(ds.attrs)
        del f["spectra/a/y"]
        new = f.create_dataset("spectra/a/y", data=data)
        for k, v in attrs.items():
            new.attrs[k] = v
    with pytest.raises(FileFormatError, match=r"c\.h5: /spectra/a/y: has no fletcher32 checksum"):
        read_hdf5(p)


@pytest.mark.parametrize("read", [read_csv, read_jcamp, read_hdf5], ids=["csv", "jcamp", "hdf5"])
def test_missing_file_names_it(tmp_path, read):
    with pytest.raises(FileNotFoundError, match=r"nothing\.dat"):
        read(tmp_path / "nothing.dat")
