"""Tests of fieldconv.io._mesh: what is written comes back (values, dtypes, units, grid,
provenance, attributes), writes are atomic, and every damage to a file (truncation at
any offset, a flipped byte anywhere, a deleted, reshaped or relabelled dataset) is a
FileFormatError naming the file and the dataset, or leaves the data exactly as written.
"""

import json
import os

import astropy.units as u
import h5py
import numpy as np
import pytest

from fieldconv import _atomic
from fieldconv.io import FileFormatError, Grid, read_mesh, write_mesh
from fieldconv.io import _h5


def _fields(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "density": rng.random((8, 6, 4)).astype(np.float32) * u.Msun / u.kpc**3,
        "potential": rng.standard_normal((8, 6, 4)) * (u.km / u.s) ** 2,
        "forces": tuple(rng.standard_normal((8, 6, 4)).astype(np.float32) * u.km**2 / u.s**2 / u.kpc for _ in range(3)),
        "modes": (rng.standard_normal((8, 6, 3)) + 1j * rng.standard_normal((8, 6, 3))).astype(np.complex64) * u.one,
        "counts": rng.integers(0, 100, (8, 6, 4)).astype(np.int32) * u.one,
        "particles/PartType1/acceleration": rng.standard_normal((50, 3)).astype(np.float32) * u.km / u.s**2,
    }


def _write(path, seed=0, **kw):
    grid = Grid.from_box((8, 6, 4), [1.0, 0.75, 0.5] * u.Mpc, origin=[0.1, 0.0, -0.2] * u.Mpc)
    return write_mesh(path, _fields(seed), grid=grid, attrs={"density": {"scheme": "tsc", "particles": 12345}},
                      provenance={"step": "test", "parameters": {"shape": [8, 6, 4]}, "created": "2024-01-01"}, **kw)


def _same(m, seed=0):
    ref = _fields(seed)
    for name, q in ref.items():
        got = m.fields[name]
        want = np.stack([c.value for c in q]) if isinstance(q, tuple) else q.value
        unit = q[0].unit if isinstance(q, tuple) else q.unit
        assert got.dtype == want.dtype and got.shape == want.shape, name
        if not np.array_equal(got, want) or u.Unit(m.units[name]) != unit:
            return False
    return True


# ------------------------------------------------------------------ round trip
def test_round_trip_values_dtypes_units_grid_provenance(tmp_path):
    p = _write(tmp_path / "m.h5")
    m = read_mesh(p)
    assert _same(m)
    assert m.grid == Grid((8, 6, 4), (1.0, 0.75, 0.5), (0.1, 0.0, -0.2), "Mpc", True)
    assert m.grid.spacing == (0.125, 0.125, 0.125)
    assert m.units["density"] == "solMass / kpc3" and m.units["forces"] == "km2 / (kpc s2)"
    assert m.attrs["density"] == {"scheme": "tsc", "particles": 12345}
    assert m.provenance == {"step": "test", "parameters": {"shape": [8, 6, 4]}, "created": "2024-01-01"}
    with h5py.File(p) as f:  # what other tools see
        assert f.attrs["format"] == b"fieldconv.mesh/1"
        assert f["density"].attrs["units"] == b"solMass / kpc3"
        assert all(f[k].fletcher32 and f[k].compression == "gzip" for k in ("density", "forces", "counts"))
        assert f["forces"].chunks == (3, 8, 6, 4)  # under 1 MiB: one chunk
        assert f["grid"].attrs["centring"] == b"cell"


def test_quantity_and_subset(tmp_path):
    p = _write(tmp_path / "m.h5")
    m = read_mesh(p, ["forces", "density"], quantity=True)
    assert set(m.fields) == {"forces", "density"}
    assert m["forces"].unit == u.km**2 / u.s**2 / u.kpc and m["forces"].shape == (3, 8, 6, 4)
    assert m["density"].dtype == np.float32
    with pytest.raises(KeyError, match="no field 'nothing'"):
        read_mesh(p, ["nothing"])


def test_plain_arrays_with_units_and_no_grid(tmp_path):
    p = write_mesh(tmp_path / "a.h5", {"x": np.arange(5.0), "y": np.float32(2.5)}, units={"x": "m", "y": ""},
                   compression=None)
    m = read_mesh(p, quantity=True)
    assert m.grid is None and m["x"].unit == u.m and m["y"].unit == u.one and m["y"].shape == (1,)
    assert "fieldconv_version" in m.provenance and "created" in m.provenance


@pytest.mark.parametrize("scale", [3.085678e21, 1.989e43, 1e-30, 7.0 / 3.0, 1.0000000000000002])
def test_units_string_is_exact(scale):
    unit = u.CompositeUnit(scale, [u.cm, u.g], [1, -2])
    assert u.Unit(_h5.units_string(unit)).scale == unit.scale


def test_write_errors(tmp_path):
    a = np.zeros(3)
    with pytest.raises(ValueError, match=r"units of field 'a' are missing"):
        write_mesh(tmp_path / "x.h5", {"a": a})
    with pytest.raises(ValueError, match=r"units\['a'\] must be an astropy unit string; got 'parsecz'"):
        write_mesh(tmp_path / "x.h5", {"a": a}, units={"a": "parsecz"})
    with pytest.raises(ValueError, match="disagrees with the Quantity's unit"):
        write_mesh(tmp_path / "x.h5", {"a": a * u.m}, units={"a": "s"})
    with pytest.raises(ValueError, match="reserved"):
        write_mesh(tmp_path / "x.h5", {"grid": a}, units={"grid": ""})
    with pytest.raises(TypeError, match="must have a numeric dtype"):
        write_mesh(tmp_path / "x.h5", {"a": np.array(["s"])}, units={"a": ""})
    with pytest.raises(ValueError, match="components of field 'f' must share one unit"):
        write_mesh(tmp_path / "x.h5", {"f": (a * u.m, a * u.s)})
    with pytest.raises(TypeError, match="fields must be a non-empty dict"):
        write_mesh(tmp_path / "x.h5", {})
    with pytest.raises(FileNotFoundError, match="out.h5"):
        write_mesh(tmp_path / "missing" / "out.h5", {"a": a}, units={"a": ""})
    assert os.listdir(tmp_path) == []


def test_grid_errors():
    with pytest.raises(ValueError, match="box_size must be positive"):
        Grid((4, 4), (1.0, 0.0))
    with pytest.raises(ValueError, match="units must be a length unit; got 's'"):
        Grid((4,), 1.0, units="s")
    with pytest.raises(ValueError, match="origin is a Quantity but box_size is not"):
        Grid.from_box(4, 1.0, origin=1 * u.m)
    with pytest.raises(ValueError, match=r"box_size must be a length \(units convertible to m\); got s"):
        Grid.from_box(4, 1.0 * u.s)
    with pytest.raises(ValueError, match="origin must have units convertible to kpc; got s"):
        Grid.from_box(4, 1.0 * u.kpc, origin=2 * u.s)
    g = Grid.from_box(4, 2.0 * u.kpc, origin=-500 * u.pc)  # the origin in the box's unit
    assert g.units == "kpc" and g.origin == (-0.5, -0.5, -0.5)


def test_atomic_replace_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = _write(tmp_path / "m.h5", seed=0)
    before = (tmp_path / "m.h5").read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_h5, "create_dataset", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        _write(tmp_path / "m.h5", seed=1)
    assert (tmp_path / "m.h5").read_bytes() == before
    assert os.listdir(tmp_path) == ["m.h5"]  # the temporary is gone
    monkeypatch.undo()
    _write(p, seed=1)
    assert _same(read_mesh(p), seed=1)


# ------------------------------------------------------------------ damage
def test_truncated_at_many_offsets(tmp_path):
    p = _write(tmp_path / "m.h5")
    raw = open(p, "rb").read()
    for off in sorted(set(np.linspace(0, len(raw) - 1, 60).astype(int).tolist())):
        q = tmp_path / "t.h5"
        q.write_bytes(raw[:off])
        with pytest.raises(FileFormatError) as e:
            read_mesh(q)
        assert str(q) in str(e.value)


def test_flipped_bytes_never_give_different_data(tmp_path):
    """A flip anywhere is an error or harmless: never silently different data or metadata."""
    p = _write(tmp_path / "m.h5")
    ref = read_mesh(p)
    raw = bytearray(open(p, "rb").read())
    rng = np.random.default_rng(0)
    offsets = np.unique(np.concatenate([np.arange(0, 2048, 9), rng.integers(0, len(raw), 150)]))  # metadata first
    harmless = errors = 0
    for off in offsets:
        b = bytearray(raw)
        b[off] ^= 1 << int(rng.integers(8))
        q = tmp_path / "f.h5"
        q.write_bytes(bytes(b))
        try:
            m = read_mesh(q)
        except FileFormatError as exc:
            assert str(q) in str(exc)
            errors += 1
            continue
        assert _same(m) and m.grid == ref.grid and m.provenance == ref.provenance and m.attrs == ref.attrs, off
        harmless += 1
    assert errors > 0.5 * len(offsets)  # most bytes are checksummed content


def test_flip_in_data_names_the_dataset(tmp_path):
    p = _write(tmp_path / "m.h5")
    with h5py.File(p) as f:
        off = f["potential"].id.get_chunk_info(0).byte_offset
    raw = bytearray(open(p, "rb").read())
    raw[off + 10] ^= 0x40
    open(p, "wb").write(bytes(raw))
    with pytest.raises(FileFormatError, match="checksum") as e:
        read_mesh(p)
    assert f"{p}: /potential: cannot be read" in str(e.value)
    ok = read_mesh(p, ["density", "forces"])  # the undamaged datasets still read, exactly
    np.testing.assert_array_equal(ok["density"], _fields()["density"].value)


def _edit(p, fn):
    with h5py.File(p, "r+") as f:
        fn(f)


@pytest.mark.parametrize(
    "edit, dataset, match",
    [
        (lambda f: f.__delitem__("density"), "/density", "missing"),
        (lambda f: (f.__delitem__("counts"), f.create_dataset("counts", data=np.zeros((8, 6, 5), np.int32),
                                                             chunks=True, fletcher32=True)), "/counts", "differ from"),
        (lambda f: _h5.set_text(f["potential"], "units", "kg"), "/potential", "units 'kg' differ"),
        (lambda f: f["potential"].attrs.__delitem__("units"), "/potential", "attribute 'units' is missing"),
        (lambda f: (f.__delitem__("density"), f.create_dataset("density", data=np.zeros((8, 6, 4), np.float32))),
         "/density", "no fletcher32"),
        (lambda f: f["grid"].attrs.__setitem__("spacing", np.array([0.1, 0.1, 0.1])), "/grid", "spacing"),
        (lambda f: f.__delitem__("provenance"), "/provenance", "missing"),
    ],
    ids=["deleted", "reshaped", "relabelled units", "units gone", "no checksum", "grid spacing", "no provenance"],
)
def test_edited_files(tmp_path, edit, dataset, match):
    p = _write(tmp_path / "m.h5")
    _edit(p, edit)
    with pytest.raises(FileFormatError, match=match) as e:
        read_mesh(p)
    assert str(e.value).startswith(f"{p}: {dataset}"), str(e.value)


def test_unparsable_units_and_foreign_files(tmp_path):
    p = write_mesh(tmp_path / "m.h5", {"a": np.zeros(3)}, units={"a": ""})
    with h5py.File(p, "r+") as f:
        _h5.set_text(f["a"], "units", "bogon")
        c = json.loads(f.attrs["contents"])
        c["a"]["units"] = "bogon"
        _h5.set_text(f, "contents", json.dumps(c))
    with pytest.raises(FileFormatError, match="'bogon' is not an astropy unit"):
        read_mesh(p)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(FileFormatError, match="not a fieldconv mesh file"):
        read_mesh(tmp_path / "other.h5")
    with pytest.raises(FileNotFoundError):
        read_mesh(tmp_path / "none.h5")


def test_stale_temporaries_are_removed(tmp_path):
    dead = tmp_path / f"{_atomic.TMP_PREFIX}999999999-abc-m.h5"  # a pid that does not exist
    dead.write_bytes(b"partial")
    write_mesh(tmp_path / "m.h5", {"a": np.zeros(3)}, units={"a": ""})
    assert not dead.exists()
