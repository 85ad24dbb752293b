"""The end-to-end example (examples/plummer_poisson.py) at a small size, and the built-in Plummer data."""

import json
import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from fieldconv.io import Snapshot, plummer_acceleration, write_plummer_snapshot

from ._child import ROOT, checkout_env



def test_plummer_snapshot_samples_the_profile(tmp_path):
    n = 40_000
    files = write_plummer_snapshot(tmp_path / "p", n, nfiles=3, seed=5)
    snap = Snapshot(files[0])
    assert len(files) == 3 and snap.count() == n and snap.dtype == np.float32
    assert snap.box_size == (12.0, 12.0, 12.0) and snap.constant_mass() == pytest.approx(1.0 / n, rel=1e-15)
    d = snap.read().astype(np.float64) - 6.0
    r = np.sort(np.linalg.norm(d, axis=1))
    assert r.max() < 5.0
    # the enclosed mass fraction against the closed form M(<r)/M = f(r)/f(5), f(r) = r^3 / (r^2 + 1)^(3/2):
    # Kolmogorov-Smirnov distance below 1.63 / sqrt(n), its 1% critical value
    f = r**3 / (r**2 + 1.0) ** 1.5 / (125.0 / 26.0**1.5)
    ks = np.max(np.abs(f - np.arange(1, n + 1) / n))
    assert ks < 1.63 / math.sqrt(n), ks
    # isotropic: the centre of mass within 4 standard errors (r_rms / sqrt(3 n) per axis) of the centre
    assert np.all(np.abs(d.mean(axis=0)) < 4 * np.sqrt(np.mean(r**2) / (3 * n)))


def test_plummer_acceleration_closed_form():
    # on the axis at r = a: -G M_P a / (2 a^2)^(3/2); M_P = M / f(r_max)
    g = plummer_acceleration(np.array([[6.0, 6.0, 8.0]]), scale_radius=2.0, mass=3.0, G=0.5)
    m_p = 3.0 / (125.0 / (25.0 + 4.0) ** 1.5)
    np.testing.assert_allclose(g, [[0.0, 0.0, -0.5 * m_p * 2.0 / 8.0**1.5]], rtol=1e-15, atol=0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must be >= 1"),
        ({"scale_radius": -1.0}, "scale_radius must be a positive finite number; got -1.0"),
        ({"r_max": 6.0}, r"r_max must be below box_size / 2 = 6.0; got 6.0"),
        ({"dtype": np.int32}, "dtype must be float32 or float64; got int32"),
    ],
    ids=["n", "radius", "r_max", "dtype"],
)
def test_plummer_snapshot_errors(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        write_plummer_snapshot(tmp_path / "p", **{"n": 10, **kwargs})
    assert not os.listdir(tmp_path)


@pytest.mark.slow
def test_example_end_to_end(tmp_path):
    """Snapshot in 3 files -> `fieldconv poisson` in a subprocess -> forces against the closed form -> PNG."""
    out = tmp_path / "ex"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "plummer_poisson.py"), "--n", "20000",
                           "--shape", "32", "--nfiles", "3", "--outdir", str(out)],
                          cwd=tmp_path, env=checkout_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(p.name for p in out.glob("plummer.*.hdf5")) == ["plummer.0.hdf5", "plummer.1.hdf5", "plummer.2.hdf5"]
    png = pathlib.Path(summary["png"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert summary["units"]["forces"] == "km2 / (kpc s2)"
    bins = {(b["r_min"], b["r_max"]): b["rms"] for b in summary["bins"]}
    # 4-5 kpc is 11-13 cells out (h = 0.375 kpc): the double TSC smoothing (paint and readout) leaves a
    # force error ~ (h / r)^2 < 1%, the sampling noise of 20,000 particles ~0.2%; a factor 2 of margin
    assert bins[(4.0, 5.0)] < 0.02, summary["bins"]
    # and the error falls with distance in cells, as the mesh smoothing does
    assert bins[(4.0, 5.0)] < bins[(2.0, 3.0)] < bins[(1.0, 2.0)] < bins[(0.5, 1.0)], summary["bins"]
