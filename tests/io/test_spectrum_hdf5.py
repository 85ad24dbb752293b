"""Spectra in HDF5: one layout (astropy units on every dataset, the label as `quantity`), fieldconv 0.1
files still read, and read_spectra for any spectrum file."""

import json

import astropy.units as u
import h5py
import numpy as np
import pytest

from fieldconv.errors import FileFormatError
from fieldconv.io import read_hdf5, read_mesh, read_spectra, write_csv, write_hdf5, write_mesh
from fieldconv.spectra import SpectralAxis, Spectrum


def _spectra():
    x = np.linspace(4000.0, 400.0, 50)
    ir = Spectrum(SpectralAxis(x, "cm-1"), np.random.default_rng(0).random((2, 50)), "absorbance",
                  {"sample": "PE", "scans": 32})
    raman = Spectrum(SpectralAxis(np.linspace(200, 3000, 40), "cm-1", kind="raman_shift", laser_wavelength=785.0),
                     np.linspace(0, 100, 40), "percent_transmittance")
    vis = Spectrum(SpectralAxis(np.linspace(400.0, 700.0, 31), "nm"), np.ones(31), "reflectance")
    return {"ir": ir, "raman": raman, "vis": vis}


def test_round_trip_and_every_unit_parses(tmp_path):
    spectra = _spectra()
    p = write_hdf5(tmp_path / "s.h5", spectra)
    got = read_hdf5(p)
    assert sorted(got) == ["ir", "raman", "vis"]
    for name, s in spectra.items():
        np.testing.assert_array_equal(got[name].y, s.y)
        np.testing.assert_array_equal(got[name].axis.values, s.axis.values)
        assert got[name].y_unit == s.y_unit and got[name].axis.kind == s.axis.kind
        assert got[name].axis.unit == s.axis.unit
    assert got["ir"].meta == {"sample": "PE", "scans": 32}
    assert got["raman"].axis.laser_wavelength == 785.0
    m = read_mesh(p)  # the same container as meshes: checksums, contents record, provenance
    assert m.units["spectra/ir/y"] == "" and m.attrs["spectra/ir/y"]["quantity"] == "absorbance"
    assert m.units["spectra/raman/y"] == "%" and m.units["spectra/vis/axis"] == "nm"
    with h5py.File(p) as f:
        def check(name, obj):
            if isinstance(obj, h5py.Dataset) and name.startswith("spectra/"):
                text = obj.attrs["units"].decode()
                u.Unit(text)  # astropy parses every units attribute ("" is dimensionless)
                assert text not in Spectrum.Y_UNITS or text == ""
        f.visititems(check)
    q = read_mesh(p, quantity=True)
    assert q["spectra/raman/y"].unit == u.percent and q["spectra/ir/axis"].unit == 1 / u.cm


def _write_legacy(path, spectra):
    """The layout fieldconv 0.1 wrote (fieldconv.spectra.write_hdf5 of that release), with plain h5py."""
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "fieldconv.spectra/1"
        root = f.create_group("spectra")
        for name, s in spectra.items():
            g = root.create_group(name)
            a = g.create_dataset("axis", data=s.axis.values)
            a.attrs["units"] = s.axis.unit.to_string()
            a.attrs["kind"] = s.axis.kind
            if s.axis.laser_wavelength is not None:
                a.attrs["laser_wavelength_nm"] = s.axis.laser_wavelength
            yd = g.create_dataset("y", data=s.y)
            yd.attrs["units"] = s.y_unit
            for k, v in s.meta.items():
                g.attrs[k] = v


def test_files_of_fieldconv_0_1_are_read(tmp_path):
    spectra = _spectra()
    _write_legacy(tmp_path / "old.h5", spectra)
    got = read_hdf5(tmp_path / "old.h5")
    for name, s in spectra.items():
        np.testing.assert_array_equal(got[name].y, s.y)
        assert got[name].y_unit == s.y_unit and got[name].axis.kind == s.axis.kind
    assert got["ir"].meta == {"sample": "PE", "scans": 32} and got["raman"].axis.laser_wavelength == 785.0
    # and written again, in the one current layout
    again = read_hdf5(write_hdf5(tmp_path / "new.h5", got))
    np.testing.assert_array_equal(again["ir"].y, spectra["ir"].y)
    assert read_mesh(tmp_path / "new.h5").units["spectra/ir/y"] == ""


def test_legacy_file_with_an_unknown_label_names_the_dataset(tmp_path):
    _write_legacy(tmp_path / "old.h5", {"a": _spectra()["vis"]})
    with h5py.File(tmp_path / "old.h5", "a") as f:
        f["spectra/a/y"].attrs["units"] = "furlongs"
    with pytest.raises(FileFormatError, match=r"old.h5: /spectra/a/y: units 'furlongs' is not a spectrum label"):
        read_hdf5(tmp_path / "old.h5")


def test_a_derivative_spectrum_keeps_its_quantity_and_units(tmp_path):
    from fieldconv.io._spectrum_hdf5 import spectrum_fields

    s = _spectra()["ir"]
    fields, units, attrs = spectrum_fields("d", s, y=s.y * 2, quantity="d1 absorbance / d wavenumber^1", units="cm")
    p = write_mesh(tmp_path / "d.h5", fields, units=units, attrs=attrs)
    got = read_hdf5(p)["d"]
    assert got.y_unit == "arbitrary"
    assert got.meta["quantity"] == "d1 absorbance / d wavenumber^1" and got.meta["units"] == "cm"
    np.testing.assert_array_equal(got.y, s.y * 2)


def test_errors(tmp_path):
    with pytest.raises(TypeError, match="spectra must be a Spectrum or a non-empty dict"):
        write_hdf5(tmp_path / "x.h5", {})
    with pytest.raises(ValueError, match="spectrum names must be non-empty strings without '/'; got 'a/b'"):
        write_hdf5(tmp_path / "x.h5", {"a/b": _spectra()["vis"]})
    p = write_mesh(tmp_path / "m.h5", {"a": np.zeros(3)}, units={"a": ""})
    with pytest.raises(FileFormatError, match="m.h5: /spectra: missing: the file holds no spectra"):
        read_hdf5(p)
    p = write_hdf5(tmp_path / "s.h5", _spectra())
    with h5py.File(p, "a") as f:  # an axis edited by another tool (checksums recomputed): not monotonic
        assert json.loads(f["spectra/vis/y"].attrs["meta"]) == {}
        f["spectra/vis/axis"][3] = 900.0
    with pytest.raises(FileFormatError, match=r"s.h5: /spectra/vis: not a valid spectrum \(values must"):
        read_hdf5(p)
    with pytest.raises(FileNotFoundError):
        read_hdf5(tmp_path / "nope.h5")


def test_read_spectra_any_format(tmp_path):
    s = _spectra()["vis"]
    write_csv(tmp_path / "vis.csv", s)
    write_hdf5(tmp_path / "all.h5", _spectra())
    assert list(read_spectra(tmp_path / "vis.csv")) == ["vis"]
    assert read_spectra(tmp_path / "vis.csv")["vis"].y_unit == "reflectance"
    assert sorted(read_spectra(tmp_path / "all.h5")) == ["ir", "raman", "vis"]
    with pytest.raises(ValueError, match=r"unknown spectrum file extension '\.txt'; fieldconv reads"):
        read_spectra(tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        read_spectra(tmp_path / "missing.csv")
    (tmp_path / "bad.csv").write_text("wavenumber [cm-1],a\n1,2\n3\n")
    with pytest.raises(FileFormatError, match=r"bad.csv.*line 3 has 1 fields where the header has 2"):
        read_spectra(tmp_path / "bad.csv")
    (tmp_path / "bad.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(FileFormatError, match="bad.h5: cannot be opened as HDF5"):
        read_spectra(tmp_path / "bad.h5")
