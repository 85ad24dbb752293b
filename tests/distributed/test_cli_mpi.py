"""``mpiexec -n 2 fieldconv poisson ...`` writes the serial command's file, to round-off.

Two launches (a one-file Gadget snapshot with two species, units and a
``Masses`` dataset, with ``--particles``; a three-file SWIFT snapshot in its
default cgs units), each compared with the serial command run in this process: the same datasets, dtypes,
``units`` and other attributes, grid and task key, and values within 1e-12
relative.  Skipped like ``test_mpi.py`` where the distributed mode is
unavailable; the refusal of serial-only options is tested without MPI in
``tests/distributed/test_without_mpi.py``.
"""

import sys

import h5py
import numpy as np
import pytest

from fieldconv.cli import main
from fieldconv.io import read_mesh, write_snapshot

from .test_mpi import _missing, launch_command

pytestmark = pytest.mark.skipif(_missing() is not None, reason=f"distributed mode unavailable: {_missing()}")

# max |serial - mpi| / max |serial|, float64.  Both runs add the same terms in another order (paint: chunks,
# ghost layers folded into their owners) and transform with other FFT plans (serial 3-D vs slabs and a
# transpose): a few eps (2.2e-16) per addition and per log2(16) FFT stages, times the Green's function's
# amplification (< 10 for a 16^3 mesh), is ~1e-14; the issue asks for 1e-12.
RTOL = 1e-12


def _one_file(tmp_path):
    """Two species (a MassTable one and one with Masses), kpc / 1e10 Msun / km/s; run with --particles."""
    rng = np.random.default_rng(16)
    path = tmp_path / "snap.hdf5"
    write_snapshot(path, {1: {"positions": rng.random((3000, 3)) * 10.0, "masses": 0.5},
                          0: {"positions": rng.random((500, 3)) * 10.0, "masses": rng.uniform(0.1, 0.2, 500)}},
                   box_size=10.0, units={"length": "kpc", "mass": "1e10 solMass", "velocity": "km/s"})
    return str(path), str(path), ["--particles"]


def _multi_file(tmp_path):
    base = tmp_path / "multi"
    pos = np.random.default_rng(17).random((2500, 3)) * 4.0
    files = write_snapshot(base, pos, box_size=4.0, nfiles=3, layout="swift")
    return str(base), files[1], []  # mpiexec gets the base, the serial command a piece: both mean all pieces


def _attrs(path, names):
    with h5py.File(path, "r") as f:
        return {name: dict(f[name].attrs) for name in names}


@pytest.mark.parametrize("make", [_one_file, _multi_file], ids=["one-file", "multi-file"])
def test_mpiexec_poisson_equals_serial(tmp_path, make, capsys):
    snap_mpi, snap_serial, extra = make(tmp_path)
    options = ["--shape", "16", "--scheme", "tsc", "--green", "optimal", "-q", *extra]
    serial, dist = tmp_path / "serial.h5", tmp_path / "mpi.h5"
    assert main(["poisson", snap_serial, *options, "-o", str(serial)]) == 0
    command = [sys.executable, "-m", "fieldconv.cli", "poisson", snap_mpi, *options, "-o", str(dist)]
    code, out, err, _ = launch_command(2, command)
    assert code == 0, f"mpiexec -n 2 fieldconv poisson failed (exit {code})\nstderr:\n{err[-6000:]}"
    a, b = read_mesh(serial), read_mesh(dist)
    fields = ["density", "potential", "forces"] + [f"particles/PartType{t}/acceleration" for t in (0, 1) if extra]
    assert sorted(b.fields) == sorted(fields) == sorted(a.fields)
    for name in a.fields:
        x, y = a[name], b[name]
        assert y.dtype == x.dtype == np.float64 and y.shape == x.shape
        diff = float(np.max(np.abs(y - x)) / np.max(np.abs(x)))
        assert diff <= RTOL, f"{name}: max relative difference {diff:.3g} > {RTOL}"
    assert b.units == a.units
    if make is _one_file:
        assert a.units["potential"] == "km2 / s2" and a.units["forces"] == "km2 / (kpc s2)"
    else:
        assert a.units["density"] == "g / cm3" and a.units["potential"] == "cm2 / s2"  # SWIFT's default: cgs
    assert _attrs(dist, fields) == _attrs(serial, fields)  # scheme, particles, G, bc, Green's function, ...
    assert b.grid == a.grid
    assert b.provenance["key"] == a.provenance["key"] and b.provenance["ranks"] == 2
    assert b.provenance["parameters"] == a.provenance["parameters"]
