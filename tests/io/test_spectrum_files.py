"""fieldconv.io spectrum files: JCAMP-DX (compressed and AFFN), CSV and HDF5 round trips, atomic writes."""

import os

import numpy as np
import pytest

from fieldconv import io as sp
from fieldconv._atomic import TMP_PREFIX
from fieldconv.spectra import SpectralAxis, Spectrum


# --------------------------------------------------------------------- files
def _sqz(v):
    s = str(abs(v))
    if v >= 0:
        return "@ABCDEFGHI"[int(s[0])] + s[1:]
    return "@abcdefghi"[int(s[0])] + s[1:]


def _dif(v):
    s = str(abs(v))
    if v >= 0:
        return "%JKLMNOPQR"[int(s[0])] + s[1:]
    return "%jklmnopqr"[int(s[0])] + s[1:]


def _dup(n):
    s = str(n)
    return "@STUVWXYZs"[int(s[0])] + s[1:]


def _difdup_lines(x0, dx, ints, per_line=6):
    """Hand-written JCAMP-DX DIFDUP encoder (spec: McDonald & Wilks 1988, sec. 5.2).

    Each line: AFFN abscissa of its first ordinate, the first ordinate in SQZ, then
    differences in DIF with repeats in DUP; the next line starts with the previous
    line's last ordinate again (the Y-check value).
    """
    lines, i, n = [], 0, len(ints)
    while i < n - 1 or i == 0:
        chunk = ints[i : i + per_line + 1]
        parts = [_sqz(chunk[0])]
        diffs = np.diff(chunk).tolist()
        k = 0
        while k < len(diffs):
            r = 1
            while k + r < len(diffs) and diffs[k + r] == diffs[k]:
                r += 1
            parts.append(_dif(diffs[k]) + (_dup(r) if r > 1 else ""))
            k += r
        lines.append(f"{x0 + i * dx:g} " + "".join(parts))
        i += len(chunk) - 1
        if len(chunk) == 1:
            break
    return lines


@pytest.mark.parametrize("yunits,expected", [("ABSORBANCE", "absorbance"), ("TRANSMITTANCE", "transmittance")])
def test_read_compressed_jcamp(tmp_path, yunits, expected):
    ints = [500, 520, 540, 560, 560, 560, 530, 410, 200, 0, -30, -30, -30, 15, 90, 90, 400]
    n = len(ints)
    header = [
        "##TITLE=hand-made DIFDUP test", "##JCAMP-DX=4.24", "##DATA TYPE=INFRARED SPECTRUM",
        "##XUNITS=1/CM", f"##YUNITS={yunits}", "##XFACTOR=1.0", "##YFACTOR=0.001",
        f"##FIRSTX=2000", f"##LASTX={2000 - 2 * (n - 1)}", f"##NPOINTS={n}", f"##FIRSTY={ints[0] * 0.001}",
        "##XYDATA=(X++(Y..Y))",
    ]
    body = _difdup_lines(2000.0, -2.0, ints)
    assert any(c in "".join(body) for c in "STUVWXYZs")  # the DUP form is exercised
    path = tmp_path / "difdup.jdx"
    path.write_text("\n".join(header + body + ["##END="]) + "\n")
    s = sp.read_jcamp(path)
    assert s.y_unit == expected and s.axis.unit.to_string() == "1 / cm"
    np.testing.assert_allclose(s.axis.values, 2000.0 - 2.0 * np.arange(n))
    assert not s.axis.ascending  # file order kept
    np.testing.assert_allclose(s.y, np.array(ints) * 0.001, atol=1e-15)


def test_jcamp_write_read_roundtrip_and_errors(tmp_path):
    ax = SpectralAxis(np.linspace(4000.0, 3000.0, 101))
    s = Spectrum(ax, np.cos(np.linspace(0, 3, 101)) * 0.7 + 0.1, "transmittance")
    p = tmp_path / "rt.jdx"
    sp.write_jcamp(p, s)
    t = sp.read_jcamp(p)
    np.testing.assert_allclose(t.y, s.y, rtol=1e-11)
    np.testing.assert_allclose(t.axis.values, s.axis.values, rtol=1e-12)
    assert t.y_unit == "transmittance"
    bad = tmp_path / "bad.jdx"
    bad.write_text(p.read_text().replace("##XUNITS=1/CM", "##XUNITS=FURLONGS"))
    with pytest.raises(ValueError, match=r"checksum mismatch"):  # our file: any edit breaks its CRC-32
        sp.read_jcamp(bad)
    foreign = "\n".join(ln for ln in p.read_text().splitlines() if not ln.startswith("##$CRC32="))
    bad.write_text(foreign.replace("##XUNITS=1/CM", "##XUNITS=FURLONGS"))
    with pytest.raises(ValueError, match=r"##XUNITS must be one of"):
        sp.read_jcamp(bad)
    bad.write_text(foreign.replace("##YUNITS=TRANSMITTANCE", "##YUNITS=KELVIN"))
    with pytest.raises(ValueError, match=r"##YUNITS must be one of"):
        sp.read_jcamp(bad)
    with pytest.raises(ValueError, match=r"write_jcamp writes one spectrum"):
        sp.write_jcamp(p, Spectrum(ax, np.zeros((2, 101))))


def test_corrupt_difdup_ycheck_raises(tmp_path):
    ints = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190]
    body = _difdup_lines(1000.0, 1.0, ints, per_line=4)
    xs, rest = body[1].split(" ", 1)
    k = 1
    while rest[k].isdigit():
        k += 1
    body[1] = f"{xs} {_sqz(999)}{rest[k:]}"  # the Y-check value no longer repeats line 1's last y
    header = ["##TITLE=t", "##JCAMP-DX=4.24", "##XUNITS=1/CM", "##YUNITS=ABSORBANCE", "##FIRSTX=1000",
              "##LASTX=1009", "##NPOINTS=10", "##YFACTOR=1", "##XYDATA=(X++(Y..Y))"]
    p = tmp_path / "c.jdx"
    p.write_text("\n".join(header + body + ["##END="]) + "\n")
    with pytest.raises(ValueError, match=r"corrupt|x values but"):
        sp.read_jcamp(p)


def test_csv_roundtrip_with_header(tmp_path):
    ax = SpectralAxis([1200.0, 1000.0, 800.0], "cm-1", kind="raman_shift", laser_wavelength=532.0)
    s = Spectrum(ax, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "intensity", {"names": ["a", "b"]})
    p = tmp_path / "s.csv"
    sp.write_csv(p, s)
    assert p.read_text().splitlines()[1] == '"raman_shift [1 / cm]","a","b"'
    t = sp.read_csv(p)
    assert t.axis.kind == "raman_shift" and t.axis.laser_wavelength == 532.0
    np.testing.assert_array_equal(t.y, s.y)
    np.testing.assert_array_equal(t.axis.values, ax.values)
    plain = tmp_path / "plain.csv"
    plain.write_text("wavelength [nm],sample\n500,0.1\n510,0.2\n")
    u = sp.read_csv(plain, squeeze=False)
    assert u.axis.kind == "wavelength" and u.y.shape == (1, 2)
    plain.write_text("wavelength,sample\n500,0.1\n510,0.2\n")
    with pytest.raises(ValueError, match=r"first CSV column header must be"):
        sp.read_csv(plain)


def test_hdf5_collection_units_and_atomic_write(tmp_path):
    import h5py

    a = Spectrum(SpectralAxis(np.linspace(4000, 400, 50)), np.ones((3, 50)), "absorbance", {"sample": "PE"})
    b = Spectrum(SpectralAxis(np.linspace(2.5, 25, 40), "um"), np.zeros(40), "percent_transmittance")
    p = tmp_path / "c.h5"
    sp.write_hdf5(p, {"pe": a, "pp": b})
    with h5py.File(p) as f:
        for g in f["spectra"].values():
            for ds in g.values():
                assert "units" in ds.attrs
        assert f["spectra/pe/axis"].attrs["units"].decode() == "1 / cm"  # fixed-length UTF-8 (checksummed header)
        assert all(ds.fletcher32 for g in f["spectra"].values() for ds in g.values())
    got = sp.read_hdf5(p)
    assert got["pe"].y.shape == (3, 50) and got["pe"].meta["sample"] == "PE"
    assert got["pp"].axis.unit.to_string() == "um" and got["pp"].y_unit == "percent_transmittance"
    assert [f for f in os.listdir(tmp_path) if f.startswith(TMP_PREFIX)] == []

    bad = Spectrum(SpectralAxis([1.0, 2.0]), [1.0, 2.0])
    bad.y = np.array([object(), object()])  # h5py cannot store it: the write fails midway
    before = p.read_bytes()
    with pytest.raises(TypeError):
        sp.write_hdf5(p, {"ok": a, "bad": bad})
    assert p.read_bytes() == before  # the previous file survives a failed write
    assert [f for f in os.listdir(tmp_path) if f.startswith(TMP_PREFIX)] == []


