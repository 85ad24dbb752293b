"""Fuzz: spectrum-file corruption (truncation at many offsets, byte flips, edited headers) and writer inputs.

Every damaged file must give a clear error naming the file, or exactly the data written
(tests/fuzz/_files.py has the rule).  The JCAMP-DX and CSV readers are pure Python and run
here; HDF5 corruption runs in a child process (the HDF5 C library reads the damaged bytes).
"""

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldconv import io as sio
from fieldconv import spectra

from . import _files as F
from ._contract import covers, examples, hsettings
from ._findings import open_finding, xfail_open
from ._runner import Case, failures, run_cases

SEED = 20261121


def _damage_report(fmt, tmp_path, kinds, need_name):
    rng = np.random.default_rng(SEED)
    want = F.make_spectrum()
    orig = os.path.join(tmp_path, "orig" + F.EXT[fmt])
    F.write(fmt, orig, want)
    data = open(orig, "rb").read()
    bad = []
    if "truncate" in kinds:
        for off in F.truncations(len(data), rng, examples(16)):
            path = os.path.join(tmp_path, f"cut{off}{F.EXT[fmt]}")
            with open(path, "wb") as fh:
                fh.write(data[:off])
            bad.append(F.judge(fmt, path, want, what=f"{fmt} cut at byte {off} of {len(data)}", need_name=need_name))
    if "flip" in kinds:
        for k in range(examples(30)):
            pos = int(rng.integers(0, len(data)))
            damaged = F.flip(data, pos, rng, fmt != "hdf5")
            path = os.path.join(tmp_path, f"flip{k}{F.EXT[fmt]}")
            with open(path, "wb") as fh:
                fh.write(damaged)
            allowed = 1 if fmt != "hdf5" and F.on_data_line(fmt, data, pos) else 0
            what = f"{fmt} byte {pos} {data[pos:pos + 1]!r} -> {damaged[pos:pos + 1]!r}"
            bad.append(F.judge(fmt, path, want, allowed=allowed, what=what, need_name=need_name))
    return [b for b in bad if b]


_NAMES = not open_finding("F28")  # while F28 is open, the error messages need not name the file here


@covers("io.read_csv", "io.write_csv")
@xfail_open("F29")
def test_truncated_csv(tmp_path):
    bad = _damage_report("csv", str(tmp_path), ("truncate",), _NAMES)
    assert not bad, "\n".join(bad)


@covers("io.read_jcamp", "io.write_jcamp")
@xfail_open("F30")
def test_truncated_jcamp(tmp_path):
    bad = _damage_report("jcamp", str(tmp_path), ("truncate",), _NAMES)
    assert not bad, "\n".join(bad)


@covers("io.read_csv")
def test_flipped_bytes_csv(tmp_path):
    # a flipped byte in a number may change that number (no checksum in CSV); nothing else may change
    bad = _damage_report("csv", str(tmp_path), ("flip",), _NAMES)
    assert not bad, "\n".join(bad)


@covers("io.read_jcamp")
@xfail_open("F30")
def test_flipped_bytes_jcamp(tmp_path):
    bad = _damage_report("jcamp", str(tmp_path), ("flip",), _NAMES)
    assert not bad, "\n".join(bad)


def _hdf5_case(kind):
    return Case(f"hdf5-{kind}", (
        "import tempfile\nfrom tests.fuzz import test_fuzz_files as T\n"
        f"bad = T._damage_report('hdf5', tempfile.mkdtemp(), ({kind!r},), T._NAMES)\n"
        "assert not bad, '\\n'.join(bad)"), expect="equal")


@covers("io.read_hdf5", "io.write_hdf5")
def test_truncated_hdf5_in_child():
    report = failures(run_cases([_hdf5_case("truncate")], timeout=300))
    assert not report, report


@covers("io.read_hdf5", "io.write_hdf5")
@xfail_open("F31")
def test_flipped_bytes_hdf5_in_child():
    # no checksum: a flipped byte in the data is read back as a different number (fletcher32 would catch it)
    report = failures(run_cases([_hdf5_case("flip")], timeout=300))
    assert not report, report


@covers("io.read_csv", "io.read_jcamp", "io.read_hdf5")
@xfail_open("F28")
@pytest.mark.parametrize("fmt", ["csv", "jcamp", "hdf5"])
def test_reader_errors_name_the_file(fmt, tmp_path):
    # an empty file and one cut in half: the error says which file
    want = F.make_spectrum()
    orig = os.path.join(str(tmp_path), "orig" + F.EXT[fmt])
    F.write(fmt, orig, want)
    data = open(orig, "rb").read()
    bad = []
    for cut in (0, len(data) // 2):
        path = os.path.join(str(tmp_path), f"named_cut{cut}{F.EXT[fmt]}")
        with open(path, "wb") as fh:
            fh.write(data[:cut])
        bad.append(F.judge(fmt, path, want, what=f"{fmt} cut at {cut}", need_name=True))
    bad = [b for b in bad if b]
    assert not bad, "\n".join(bad)


# ------------------------------------------------------------------ headers
def _edit(text, key, value):
    lines = text.splitlines(keepends=True)
    out = []
    for line in lines:
        if line.startswith(key):
            if value is None:
                continue
            line = f"{key}{value}\n"
        out.append(line)
    return "".join(out)


JCAMP_EDITS = {
    "npoints-299": ("##NPOINTS=", "299"), "npoints-301": ("##NPOINTS=", "301"), "lastx": ("##LASTX=", "401"),
    "firstx": ("##FIRSTX=", "4001"), "xfactor": ("##XFACTOR=", "2"), "yfactor": ("##YFACTOR=", "2"),
    "firsty": ("##FIRSTY=", "0.5"), "no-end": ("##END=", None), "no-npoints": ("##NPOINTS=", None),
    "xunits": ("##XUNITS=", "PARSECS"),
}
_JCAMP_OPEN = {"npoints-299": None, "npoints-301": None, "lastx": "F30", "firstx": "F30", "xfactor": None,
               "yfactor": "F30", "firsty": None, "no-end": None, "no-npoints": None, "xunits": None}


@covers("io.read_jcamp")
@pytest.mark.parametrize("edit", [pytest.param(e, marks=[xfail_open(_JCAMP_OPEN[e])] if _JCAMP_OPEN[e] else [])
                                  for e in JCAMP_EDITS])
def test_edited_jcamp_header(edit, tmp_path):
    # a header entry that disagrees with the data (or a missing ##END=) is an error, never a silent change
    want = F.make_spectrum()
    orig = os.path.join(str(tmp_path), "orig.jdx")
    F.write("jcamp", orig, want)
    key, value = JCAMP_EDITS[edit]
    path = os.path.join(str(tmp_path), f"edited-{edit}.jdx")
    with open(path, "w") as fh:
        fh.write(_edit(open(orig).read(), key, value))
    bad = F.judge("jcamp", path, want, what=f"jcamp {key}{value}", need_name=_NAMES)
    assert bad is None, bad


def _csv_delete_line(text, k):
    lines = text.splitlines(keepends=True)
    del lines[k]
    return "".join(lines)


@covers("io.read_csv")
@pytest.mark.parametrize("edit", [pytest.param("delete-line", marks=xfail_open("F29")),
                                  "duplicate-line",
                                  "unit", "header-columns"])
def test_edited_csv(edit, tmp_path):
    want = F.make_spectrum()
    orig = os.path.join(str(tmp_path), "orig.csv")
    F.write("csv", orig, want)
    text = open(orig).read()
    if edit == "delete-line":
        text = _csv_delete_line(text, 100)
    elif edit == "duplicate-line":
        lines = text.splitlines(keepends=True)
        text = "".join(lines[:100] + [lines[100]] + lines[100:])
    elif edit == "unit":
        text = text.replace("[1 / cm]", "[kg]")  # not a spectral unit
    else:
        text = text.replace(",sample A", ",sample A,sample B", 1)
    path = os.path.join(str(tmp_path), f"edited-{edit}.csv")
    with open(path, "w") as fh:
        fh.write(text)
    bad = F.judge("csv", path, want, what=f"csv {edit}", need_name=_NAMES)
    assert bad is None, bad


@covers("io.read_hdf5")
@pytest.mark.parametrize("edit", ["no-units", "short-axis", "bad-units", pytest.param("no-y", marks=xfail_open("F31"))])
def test_edited_hdf5(edit, tmp_path):
    import h5py

    want = F.make_spectrum()
    path = os.path.join(str(tmp_path), f"edited-{edit}.h5")
    F.write("hdf5", path, want)
    with h5py.File(path, "r+") as f:
        g = f["spectra/s"]
        if edit == "no-units":
            del g["axis"].attrs["units"]
        elif edit == "bad-units":
            g["axis"].attrs["units"] = "parsec"
        elif edit == "no-y":
            del g["y"]
        else:
            ax = g["axis"][:-1]
            attrs = dict(g["axis"].attrs)
            del g["axis"]
            g["axis"] = ax
            g["axis"].attrs.update(attrs)
    bad = F.judge("hdf5", path, want, what=f"hdf5 {edit}", need_name=_NAMES)
    assert bad is None, bad


# ------------------------------------------------------------------ writers
@covers("io.write_jcamp", "io.read_jcamp", "io.write_csv", "io.read_csv", "io.write_hdf5", "io.read_hdf5")
@hsettings(25)
@given(fmt=st.sampled_from(["jcamp", "csv", "hdf5"]), n=st.integers(2, 40), seed=st.integers(0, 2**16),
       descending=st.booleans(), scale=st.sampled_from([1.0, 1e-300, 1e300, 1e-5]),
       y_unit=st.sampled_from(["absorbance", "transmittance", "arbitrary", "intensity"]),
       unit=st.sampled_from(["cm-1", "nm", "um"]))
def test_round_trip_is_exact(fmt, n, seed, descending, scale, y_unit, unit, tmp_path_factory):
    # what is written is read back: x, y (to the format's digits), units
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(400, 4000, n))
    if len(np.unique(x)) < n:
        return
    x = x[::-1].copy() if descending else x
    y = rng.standard_normal(n) * scale
    s = spectra.Spectrum(spectra.SpectralAxis(x, unit), y, y_unit)
    path = os.path.join(str(tmp_path_factory.mktemp("rt")), "s" + F.EXT[fmt])
    F.write(fmt, path, s)
    got = F.read(fmt, path)
    gx, gy, gu, gyu = F._arrays(got)
    assert gu == str(s.axis.unit) and gyu == y_unit, (fmt, gu, gyu)
    # JCAMP keeps 12 significant digits (its docstring), CSV and HDF5 every bit
    rtol = 1e-11 if fmt == "jcamp" else 0.0
    np.testing.assert_allclose(gx, x, rtol=rtol, atol=0)
    np.testing.assert_allclose(gy, y, rtol=rtol, atol=0)


@covers("io.write_jcamp", "io.write_csv", "io.write_hdf5")
@pytest.mark.parametrize("fmt,special", [pytest.param("jcamp", "nan", marks=xfail_open("F32")),
                                         pytest.param("jcamp", "inf", marks=xfail_open("F32")),
                                         ("csv", "nan"), ("csv", "inf"), ("hdf5", "nan")])
def test_values_that_cannot_be_written_faithfully(fmt, special, tmp_path):
    # a value the format cannot hold is refused at write time; what is written reads back
    x = np.linspace(4000.0, 400.0, 20)
    y = np.sin(x / 100)
    y[5] = np.nan if special == "nan" else np.inf
    s = spectra.Spectrum(spectra.SpectralAxis(x, "cm-1"), y, "absorbance")
    path = os.path.join(str(tmp_path), "special" + F.EXT[fmt])
    try:
        F.write(fmt, path, s)
    except ValueError as exc:
        assert "y" in str(exc) or "NaN" in str(exc) or "finite" in str(exc), exc
        assert not os.path.exists(path), "a refused write left a file behind"
        return
    got = F.read(fmt, path)  # written: then it must read back, with the same value
    gy = np.asarray(got.y, float).reshape(-1)
    np.testing.assert_array_equal(np.isnan(gy), np.isnan(y))
    np.testing.assert_array_equal(gy[np.isfinite(y)], y[np.isfinite(y)])


@covers("io.write_csv", "io.read_csv")
@pytest.mark.parametrize("name", [pytest.param("run 1\nrun 2", marks=xfail_open("F33")),
                                  pytest.param("  leading", marks=xfail_open("F33")), "comma, inside", 'quote "q"',
                                  "tab\tinside", "unicode µm"])
def test_csv_column_names_round_trip(name, tmp_path):
    x = np.linspace(4000.0, 400.0, 10)
    s = spectra.Spectrum(spectra.SpectralAxis(x, "cm-1"), np.sin(x), "absorbance", meta={"names": [name]})
    path = os.path.join(str(tmp_path), "names.csv")
    try:
        sio.write_csv(path, s)
    except ValueError as exc:  # refusing a name the format cannot hold is fine
        assert "names" in str(exc) or "name" in str(exc), exc
        return
    got = sio.read_csv(path)
    assert got.meta["names"] == [name], got.meta["names"]
    np.testing.assert_array_equal(np.asarray(got.y, float).reshape(-1), np.sin(x))
