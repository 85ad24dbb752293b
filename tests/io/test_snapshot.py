"""Tests of fieldconv.io._snapshot: Gadget-2/3/4, SWIFT and generic layouts, multi-file
snapshots, units, chunked painting against fieldconv.paint, and every corruption case
(truncation, flipped bytes under fletcher32, missing header/datasets, wrong counts,
shapes and units) giving a FileFormatError that names the file and the dataset.

Round-off: a painted cell is a sum of at most a few hundred float32 products; chunked
painting only changes the order of the additions, so the meshes agree to
~N_add * eps32 relative (bound used: 1e-5 with N_add <= 100).
"""

import os

import astropy.units as u
import h5py
import numpy as np
import pytest

import fieldconv as fc
from fieldconv.io import FileFormatError, Snapshot, paint_snapshot, snapshot_files, write_snapshot

EPS32 = float(np.finfo(np.float32).eps)


def _positions(n, box=10.0, dtype=np.float32, seed=0):
    return (np.random.default_rng(seed).random((n, 3)) * box).astype(dtype)


@pytest.fixture
def gadget(tmp_path):
    """A two-file Gadget snapshot: 3000 type-1 particles of mass 0.5, 1000 type-0 with per-particle masses."""
    rng = np.random.default_rng(1)
    pos1, pos0 = _positions(3000, seed=2), _positions(1000, seed=3)
    m0 = rng.uniform(0.1, 0.2, 1000).astype(np.float32)
    vel1 = rng.standard_normal((3000, 3)).astype(np.float32)
    base = tmp_path / "snap_005"
    write_snapshot(base, {1: {"positions": pos1, "masses": 0.5, "velocities": vel1}, 0: {"positions": pos0, "masses": m0}},
                   box_size=10.0, nfiles=2, units={"length": "kpc", "mass": "1e10 solMass", "velocity": "km/s"})
    return base, pos0, m0, pos1, vel1


# ------------------------------------------------------------------ layouts
def test_gadget_multifile_header_counts_units(gadget):
    base, pos0, m0, pos1, vel1 = gadget
    for name in (base, f"{base}.0.hdf5", f"{base}.1.hdf5"):  # the base or any piece opens all pieces
        snap = Snapshot(name)
        assert [os.path.basename(f) for f in snap.files] == ["snap_005.0.hdf5", "snap_005.1.hdf5"]
    assert snap.layout == "gadget"
    assert snap.counts == {"PartType0": 1000, "PartType1": 3000}
    assert snap.box_size == (10.0, 10.0, 10.0)
    assert snap.dtype == np.float32
    assert str(snap.units["length"]) == "kpc" and str(snap.units["velocity"]) == "km / s"
    assert snap.units["mass"].to("solMass") == pytest.approx(1e10, rel=1e-12)
    np.testing.assert_array_equal(snap.read("Coordinates"), np.concatenate([pos0, pos1]))
    np.testing.assert_array_equal(snap.read("Masses"), np.concatenate([m0, np.full(3000, 0.5, np.float32)]))
    assert Snapshot(base, ptypes=1).read("Velocities").tobytes() == vel1.tobytes()


def test_chunks_do_not_span_files_and_keep_order(gadget):
    base, pos0, _, pos1, _ = gadget
    snap = Snapshot(base, ptypes=[1])
    chunks = list(snap.iter_particles(chunk_size=700, masses=True))
    assert all(c.species == "PartType1" for c in chunks)
    assert [c.start for c in chunks] == [0, 700, 1400, 1500, 2200, 2900]  # 1500 particles per file
    assert {c.file for c in chunks[:3]} == {snap.files[0]} and {c.file for c in chunks[3:]} == {snap.files[1]}
    assert all(c.masses == 0.5 for c in chunks)  # the MassTable entry, not an array
    np.testing.assert_array_equal(np.concatenate([c.positions for c in chunks]), pos1)



def test_select_reads_a_range_of_the_reading_order(gadget):
    # the ranks of a distributed job read disjoint ranges: their union, in order, is the whole snapshot
    base, pos0, m0, pos1, _ = gadget
    snap = Snapshot(base)  # 1000 PartType0 then 3000 PartType1, two files each: ranges cross species and files
    cuts = [0, 1, 499, 500, 1000, 1001, 2500, 3999, 4000]
    pos, mass = [], []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        chunks = list(snap.iter_particles(chunk_size=300, select=(lo, hi)))
        assert sum(len(c.positions) for c in chunks) == hi - lo
        assert all(len(c.positions) <= 300 for c in chunks)
        pos += [c.positions for c in chunks]
        mass += [np.broadcast_to(c.masses, len(c.positions)) for c in chunks]
    np.testing.assert_array_equal(np.concatenate(pos), np.concatenate([pos0, pos1]))
    np.testing.assert_array_equal(np.concatenate(mass), np.concatenate([m0, np.full(3000, 0.5, np.float32)]))
    first = next(snap.iter_particles(select=(2500, 2600)))  # start: the index within the species
    assert (first.species, first.start, first.file) == ("PartType1", 1500, snap.files[1])
    assert list(snap.iter_particles(select=(7, 7))) == []
    for bad in [(5, 4), (0, 4001), (1,), "ab"]:
        with pytest.raises(ValueError, match="select"):
            list(snap.iter_particles(select=bad))

def test_reuse_reads_into_one_buffer(gadget):
    # bounded memory: with reuse=True every chunk lands in the same buffer
    snap = Snapshot(gadget[0], ptypes=1)
    addrs = {c.positions.__array_interface__["data"][0] for c in snap.iter_particles(chunk_size=500, reuse=True)}
    assert len(addrs) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("scheme", ["ngp", "cic", "tsc", "pcs"])
def test_paint_equals_paint_of_all_particles(tmp_path, dtype, scheme):
    rng = np.random.default_rng(4)
    pos1, pos0 = _positions(2000, dtype=dtype, seed=5), _positions(500, dtype=dtype, seed=6)
    m0 = rng.uniform(1, 2, 500).astype(dtype)
    base = tmp_path / "s"
    write_snapshot(base, {1: {"positions": pos1, "masses": 0.25}, 0: {"positions": pos0, "masses": m0}},
                   box_size=10.0, nfiles=3)
    mesh = paint_snapshot(Snapshot(base), shape=(8, 6, 7), scheme=scheme, chunk_size=333)
    ref = fc.paint(np.concatenate([pos0, pos1]), box_size=10.0, shape=(8, 6, 7), scheme=scheme, density=True,
                   weights=np.concatenate([m0, np.full(2000, 0.25, dtype)]))
    assert mesh.dtype == dtype and mesh.shape == (8, 6, 7)
    # order of additions differs; <= 100 additions per cell in float32 (module docstring)
    tol = 100 * float(np.finfo(dtype).eps) * float(np.abs(ref).max())
    np.testing.assert_allclose(mesh, ref, rtol=0, atol=tol)


def test_constant_mass_is_scaled_once(tmp_path):
    pos = _positions(4000, seed=7)
    write_snapshot(tmp_path / "c.hdf5", {1: {"positions": pos, "masses": 3.0}}, box_size=10.0)
    mesh = paint_snapshot(tmp_path / "c.hdf5", shape=8, density=False)
    ref = fc.paint(pos, box_size=10.0, shape=(8, 8, 8)) * np.float32(3.0)
    np.testing.assert_array_equal(mesh, ref)  # same additions, one multiplication: bit for bit
    assert float(mesh.sum(dtype=np.float64)) == pytest.approx(12000.0, rel=1e-6)


def test_swift_layout_units_and_box_vector(tmp_path):
    pos = _positions(1000, seed=8)
    write_snapshot(tmp_path / "sw.hdf5", {1: {"positions": pos, "masses": np.ones(1000, np.float32)}},
                   box_size=10.0, layout="swift", units={"length": "Mpc", "mass": "1e10 solMass", "velocity": "km/s"})
    snap = Snapshot(tmp_path / "sw.hdf5")
    assert snap.layout == "swift" and snap.box_size == (10.0, 10.0, 10.0)
    assert str(snap.units["length"]) == "Mpc" and str(snap.units["velocity"]) == "km / s"
    with h5py.File(tmp_path / "sw.hdf5") as f:
        assert f["PartType1/Coordinates"].fletcher32 and f["Header"].attrs["NumPart_ThisFile"].dtype == np.int64
    np.testing.assert_array_equal(snap.read(), pos)


def test_gadget4_without_highword(tmp_path):
    pos = _positions(100, seed=9)
    with h5py.File(tmp_path / "g4.hdf5", "w") as f:
        h = f.create_group("Header")
        h.attrs.update(BoxSize=10.0, MassTable=np.zeros(6), NumPart_ThisFile=np.array([0, 100, 0, 0, 0, 0], np.uint64),
                       NumPart_Total=np.array([0, 100, 0, 0, 0, 0], np.uint64), NumFilesPerSnapshot=1)
        f["PartType1/Coordinates"] = pos.astype(np.float64)
        f["PartType1/Masses"] = np.full(100, 2.0)
    snap = Snapshot(tmp_path / "g4.hdf5")
    assert snap.counts == {"PartType1": 100} and snap.dtype == np.float64
    assert paint_snapshot(snap, shape=4).dtype == np.float64


def test_big_endian_file_reads_native(tmp_path):
    pos = _positions(50, seed=10)
    with h5py.File(tmp_path / "be.hdf5", "w") as f:
        h = f.create_group("Header")
        h.attrs.update(BoxSize=10.0, MassTable=[0, 1.0, 0, 0, 0, 0], NumPart_ThisFile=[0, 50, 0, 0, 0, 0],
                       NumPart_Total=[0, 50, 0, 0, 0, 0])
        f.create_dataset("PartType1/Coordinates", data=pos.astype(">f4"))
    snap = Snapshot(tmp_path / "be.hdf5")
    got = snap.read()
    assert got.dtype == np.float32 and got.dtype.isnative
    np.testing.assert_array_equal(got, pos)
    np.testing.assert_array_equal(paint_snapshot(snap, shape=4), fc.paint(pos, box_size=10.0, shape=(4, 4, 4), density=True))


def test_generic_layout_with_units_and_quantity_box(tmp_path):
    import astropy.units as u

    pos = _positions(200, box=2.0, seed=11)
    with h5py.File(tmp_path / "gen.h5", "w") as f:
        d = f.create_dataset("particles/pos", data=pos)
        d.attrs["units"] = "Mpc"
        m = f.create_dataset("particles/mass", data=np.full(200, 5.0))
        m.attrs["units"] = "solMass"
    snap = Snapshot(tmp_path / "gen.h5", positions="/particles/pos", masses="/particles/mass", box_size=2000 * u.kpc)
    assert snap.layout == "generic" and snap.box_size == (2.0, 2.0, 2.0)
    assert snap.units["length"] == u.Mpc and snap.units["mass"] == u.solMass
    mesh = paint_snapshot(snap, shape=4, density=False)
    assert float(mesh.sum(dtype=np.float64)) == pytest.approx(1000.0, rel=1e-6)
    # a constant mass and no units at all
    s2 = Snapshot(tmp_path / "gen.h5", positions="particles/pos", masses=2.0, box_size=2.0)
    assert s2.constant_mass() == 2.0


def test_units_override_and_errors(gadget):
    import astropy.units as u

    snap = Snapshot(gadget[0], units={"length": "Mpc"})
    assert snap.units["length"] == u.Mpc and snap.units["time"] is not None
    with pytest.raises(ValueError, match=r"units\['length'\] must be a unit of length; got kg"):
        Snapshot(gadget[0], units={"length": "kg"})
    with pytest.raises(ValueError, match="units keys must be"):
        Snapshot(gadget[0], units={"size": "kpc"})
    with pytest.raises(ValueError, match="ptypes must be particle types in 0..5; got 9"):
        Snapshot(gadget[0], ptypes=9)


def test_box_errors(tmp_path):
    pos = _positions(20, seed=12)
    with h5py.File(tmp_path / "nobox.h5", "w") as f:
        f["p"] = pos
    snap = Snapshot(tmp_path / "nobox.h5", positions="p")
    assert snap.box_size is None
    with pytest.raises(ValueError, match="box_size must be known"):
        paint_snapshot(snap, shape=4)
    with pytest.raises(ValueError, match="box_size must be positive and finite"):
        Snapshot(tmp_path / "nobox.h5", positions="p", box_size=-1.0)
    with pytest.raises(ValueError, match=r"box_size must be a length \(units convertible to m\); got s"):
        Snapshot(tmp_path / "nobox.h5", positions="p", box_size=1.0 * u.s)
    snap = Snapshot(tmp_path / "nobox.h5", positions="p", box_size=2.0 * u.Mpc)  # a Quantity sets the length unit
    assert snap.box_size == (2.0, 2.0, 2.0) and snap.units["length"] == u.Mpc
    snap = Snapshot(tmp_path / "nobox.h5", positions="p", box_size=500.0 * u.kpc, units={"length": "Mpc"})
    assert snap.box_size == (0.5, 0.5, 0.5)  # converted to the snapshot's length unit


# ------------------------------------------------------------------ corruption
def _expect(exc_info, path, dataset=None):
    msg = str(exc_info.value)
    assert str(path) in msg, msg
    if dataset is not None:
        assert dataset in msg, msg


def test_no_header_names_file_and_group(tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["PartType1/Coordinates"] = np.zeros((3, 3))
    with pytest.raises(FileFormatError, match="no Header group") as e:
        Snapshot(tmp_path / "x.h5")
    _expect(e, tmp_path / "x.h5", "/Header")


def test_missing_dataset_and_missing_masses(tmp_path):
    write_snapshot(tmp_path / "a.hdf5", {1: _positions(10)}, box_size=10.0)
    with h5py.File(tmp_path / "a.hdf5", "r+") as f:
        del f["PartType1/Coordinates"]
    with pytest.raises(FileFormatError, match="missing") as e:
        Snapshot(tmp_path / "a.hdf5")
    _expect(e, tmp_path / "a.hdf5", "/PartType1/Coordinates")
    write_snapshot(tmp_path / "b.hdf5", {1: {"positions": _positions(10), "masses": np.ones(10)}}, box_size=10.0)
    with h5py.File(tmp_path / "b.hdf5", "r+") as f:
        del f["PartType1/Masses"]
    with pytest.raises(FileFormatError, match="missing") as e:
        Snapshot(tmp_path / "b.hdf5")
    _expect(e, tmp_path / "b.hdf5", "/PartType1/Masses")


def test_counts_disagree(tmp_path):
    write_snapshot(tmp_path / "c", {1: _positions(100)}, box_size=10.0, nfiles=2)
    with h5py.File(tmp_path / "c.1.hdf5", "r+") as f:
        f["Header"].attrs["NumPart_ThisFile"] = np.array([0, 49, 0, 0, 0, 0], np.int32)
    with pytest.raises(FileFormatError, match=r"has 50 particles; /Header/NumPart_ThisFile\[1\] says 49") as e:
        Snapshot(tmp_path / "c")
    _expect(e, tmp_path / "c.1.hdf5", "/PartType1/Coordinates")


def test_highword_is_counted(tmp_path):
    write_snapshot(tmp_path / "h.hdf5", {1: _positions(100)}, box_size=10.0)
    with h5py.File(tmp_path / "h.hdf5", "r+") as f:
        f["Header"].attrs["NumPart_Total_HighWord"] = np.array([0, 1, 0, 0, 0, 0], np.uint32)
    with pytest.raises(FileFormatError, match=f"says {2**32 + 100} PartType1 particles; the 1 file"):
        Snapshot(tmp_path / "h.hdf5")


def test_missing_piece(tmp_path):
    write_snapshot(tmp_path / "m", {1: _positions(30)}, box_size=10.0, nfiles=3)
    os.remove(tmp_path / "m.2.hdf5")
    with pytest.raises(FileFormatError, match="NumFilesPerSnapshot = 3 but 1 piece") as e:
        snapshot_files(tmp_path / "m.0.hdf5")
    assert "m.2.hdf5" in str(e.value)
    with pytest.raises(FileNotFoundError):
        Snapshot(tmp_path / "nothing")


@pytest.mark.parametrize("shape", [(10, 2), (9,)], ids=["2 columns", "one short"])
def test_wrong_shape_of_masses(tmp_path, shape):
    write_snapshot(tmp_path / "w.hdf5", {1: {"positions": _positions(10), "masses": np.ones(10)}}, box_size=10.0)
    with h5py.File(tmp_path / "w.hdf5", "r+") as f:
        del f["PartType1/Masses"]
        f["PartType1/Masses"] = np.ones(shape)
    with pytest.raises(FileFormatError, match=r"must have shape \(10,\)") as e:
        Snapshot(tmp_path / "w.hdf5")
    _expect(e, tmp_path / "w.hdf5", "/PartType1/Masses")


def test_wrong_shape_of_coordinates(tmp_path):
    write_snapshot(tmp_path / "w.hdf5", {1: _positions(10)}, box_size=10.0)
    with h5py.File(tmp_path / "w.hdf5", "r+") as f:
        del f["PartType1/Coordinates"]
        f["PartType1/Coordinates"] = np.zeros((10, 4), np.float32)
    with pytest.raises(FileFormatError, match=r"positions must have shape \(N, d\), d = 1..3; got \(10, 4\)") as e:
        Snapshot(tmp_path / "w.hdf5")
    _expect(e, tmp_path / "w.hdf5", "/PartType1/Coordinates")


def test_wrong_units_of_a_dataset(tmp_path):
    write_snapshot(tmp_path / "u.hdf5", {1: _positions(10)}, box_size=10.0, layout="swift")
    with h5py.File(tmp_path / "u.hdf5", "r+") as f:
        f["PartType1/Coordinates"].attrs["U_M exponent"] = np.array([1.0])
    with pytest.raises(FileFormatError, match=r"unit exponents \(U_L, U_M, U_t\) = \(1.0, 1.0, 0.0\)") as e:
        Snapshot(tmp_path / "u.hdf5")
    _expect(e, tmp_path / "u.hdf5", "/PartType1/Coordinates")
    with h5py.File(tmp_path / "g.h5", "w") as f:
        f.create_dataset("pos", data=_positions(5)).attrs["units"] = "kg"
    with pytest.raises(FileFormatError, match="units must be a unit of length; got 'kg'"):
        Snapshot(tmp_path / "g.h5", positions="pos", box_size=1.0)
    with h5py.File(tmp_path / "g2.h5", "w") as f:
        f.create_dataset("pos", data=_positions(5)).attrs["units"] = "furlongz"
    with pytest.raises(FileFormatError, match="'furlongz' is not an astropy unit"):
        Snapshot(tmp_path / "g2.h5", positions="pos", box_size=1.0)


def test_nonfinite_and_far_positions(tmp_path):
    pos = _positions(100)
    pos[37, 1] = np.nan
    write_snapshot(tmp_path / "n.hdf5", {1: pos}, box_size=10.0)
    with pytest.raises(FileFormatError, match=r"particle 37 is at \[") as e:
        paint_snapshot(tmp_path / "n.hdf5", shape=4)
    _expect(e, tmp_path / "n.hdf5", "/PartType1/Coordinates")
    pos[37, 1] = 1e30  # an exponent bit flipped
    write_snapshot(tmp_path / "f.hdf5", {1: pos}, box_size=10.0)
    with pytest.raises(FileFormatError, match="within one box length"):
        paint_snapshot(tmp_path / "f.hdf5", shape=4)
    snap = Snapshot(tmp_path / "f.hdf5", check="finite")  # isolated runs: particles may fly far
    assert snap.read().shape == (100, 3)


def test_truncated_snapshot_at_many_offsets(tmp_path):
    write_snapshot(tmp_path / "t.hdf5", {1: {"positions": _positions(500), "masses": np.ones(500)}}, box_size=10.0)
    raw = (tmp_path / "t.hdf5").read_bytes()
    offsets = sorted(set(np.linspace(0, len(raw) - 1, 40).astype(int).tolist()))
    for off in offsets:
        p = tmp_path / f"t{off}.hdf5"
        p.write_bytes(raw[:off])
        with pytest.raises(FileFormatError) as e:
            paint_snapshot(p, shape=4)
        _expect(e, p)


def test_flipped_bytes_caught_by_fletcher32(tmp_path):
    pos = _positions(2000, seed=13)
    write_snapshot(tmp_path / "s.hdf5", {1: pos}, box_size=10.0, layout="swift")
    with h5py.File(tmp_path / "s.hdf5") as f:
        start = f["PartType1/Coordinates"].id.get_chunk_info(0).byte_offset
    raw = bytearray((tmp_path / "s.hdf5").read_bytes())
    raw[start + 1000] ^= 0x01  # one low mantissa bit: a value still inside the box
    (tmp_path / "s.hdf5").write_bytes(bytes(raw))
    with pytest.raises(FileFormatError, match="checksum") as e:
        paint_snapshot(tmp_path / "s.hdf5", shape=4)
    _expect(e, tmp_path / "s.hdf5", "/PartType1/Coordinates")


def test_not_hdf5(tmp_path):
    (tmp_path / "x.hdf5").write_text("this is not HDF5")
    with pytest.raises(FileFormatError, match="cannot be opened as HDF5"):
        Snapshot(tmp_path / "x.hdf5")


def test_write_snapshot_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"positions must be a float array of shape \(N, 3\)"):
        write_snapshot(tmp_path / "x.hdf5", np.zeros((4, 2)), box_size=1.0)
    with pytest.raises(ValueError, match="box_size must be positive"):
        write_snapshot(tmp_path / "x.hdf5", np.zeros((4, 3)), box_size=0.0)
    with pytest.raises(ValueError, match=r"masses must be one number or shape \(4,\)"):
        write_snapshot(tmp_path / "x.hdf5", {1: {"positions": np.zeros((4, 3)), "masses": np.ones(3)}}, box_size=1.0)
    with pytest.raises(ValueError, match=r"particles\[1\] positions is a Quantity but box_size is not"):
        write_snapshot(tmp_path / "x.hdf5", np.zeros((4, 3)) * u.kpc, box_size=1.0)
    with pytest.raises(ValueError, match=r"box_size must be a length \(units convertible to m\); got s"):
        write_snapshot(tmp_path / "x.hdf5", np.zeros((4, 3)), box_size=1.0 * u.s)
    with pytest.raises(ValueError, match=r"particles\[1\] masses must be a mass \(units convertible to kg\); got m"):
        write_snapshot(tmp_path / "x.hdf5", {1: {"positions": np.zeros((4, 3)), "masses": 2 * u.m}}, box_size=1.0)
    assert not os.listdir(tmp_path)


def test_write_snapshot_takes_quantities(tmp_path):
    pos = _positions(200, seed=3)  # float32 in [0, 10)
    vel = np.ones((200, 3), np.float32)
    files = write_snapshot(tmp_path / "q.hdf5", {1: {"positions": pos * 100 * u.kpc, "masses": 1e10 * u.Msun,
                                                     "velocities": vel * u.km / u.s}},
                           box_size=1.0 * u.Mpc)
    snap = Snapshot(files[0])
    assert snap.units["length"] == u.Mpc and snap.units["mass"] == u.Msun and snap.units["velocity"] == u.km / u.s
    assert snap.box_size == (1.0, 1.0, 1.0) and snap.dtype == np.float32 and snap.constant_mass() == 1e10
    # pos * 100, the kpc -> Mpc factor and the reference pos / 10 each round once in float32: 3 half-ulps
    np.testing.assert_allclose(snap.read(), pos / 10, rtol=1.5 * np.finfo(np.float32).eps, atol=0)


def test_progress_bar_counts_particles(tmp_path, capsys):
    write_snapshot(tmp_path / "p.hdf5", {1: _positions(3000)}, box_size=10.0)
    paint_snapshot(tmp_path / "p.hdf5", shape=4, chunk_size=1000, progress=True)
    err = capsys.readouterr().err
    assert "paint" in err and "3.00k/3.00k" in err


def test_masses_dataset_and_mass_table_both_present(tmp_path):
    pos = _positions(100, seed=14)
    write_snapshot(tmp_path / "m.hdf5", {1: {"positions": pos, "masses": np.full(100, 0.1, np.float32)}}, box_size=10.0)
    with h5py.File(tmp_path / "m.hdf5", "r+") as f:  # a converter that fills both, consistently
        f["Header"].attrs["MassTable"] = np.array([0, 0.1, 0, 0, 0, 0])
    snap = Snapshot(tmp_path / "m.hdf5")
    assert snap.constant_mass() is None  # the dataset is read, and checked against the table
    np.testing.assert_array_equal(snap.read("Masses"), np.full(100, 0.1, np.float32))
    with h5py.File(tmp_path / "m.hdf5", "r+") as f:
        f["Header"].attrs["MassTable"] = np.array([0, 0.2, 0, 0, 0, 0])
    with pytest.raises(FileFormatError, match=r"disagrees with /Header/MassTable\[1\] = 0.2") as e:
        paint_snapshot(tmp_path / "m.hdf5", shape=4)
    _expect(e, tmp_path / "m.hdf5", "/PartType1/Masses")
