"""The particle-mesh examples run at small sizes and show what they claim."""

import pathlib
import runpy

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def test_zeldovich_pancake_example(tmp_path):
    pytest.importorskip("matplotlib")
    main = runpy.run_path(str(EXAMPLES / "zeldovich_pancake.py"))["main"]
    out = tmp_path / "pancake.png"
    results, orders = main(["--meshes", "16", "32", "--backend", "numpy", "--plot", str(out)])
    # TSC, 4 steps per cell: 4.5e-2 and 1.2e-2 relative position error measured, second order
    assert results[1].position_error < 0.02 and results[1].velocity_error < 0.05
    assert orders[0][0] > 1.7
    assert all(r.transverse < 1e-12 for r in results)  # nothing moves across the wave
    assert out.stat().st_size > 0


def test_force_resolution_example(tmp_path):
    pytest.importorskip("matplotlib")
    main = runpy.run_path(str(EXAMPLES / "pm_force_resolution.py"))["main"]
    out = tmp_path / "force.png"
    res = main(["--mesh", "24", "--particles", "2000", "--self-mesh", "8", "--samples", "2", "--backend", "numpy",
                "--out", str(out)])
    for (scheme, recipe), v in res["self_force"].items():
        if recipe == "momentum":
            assert v < 1e-13  # round-off (in G m / h^2)
        elif scheme != "ngp":
            assert v > 1e-3  # the energy recipe pulls a particle on itself
    for (scheme, recipe), v in res["momentum"].items():
        assert (v < 1e-14) == (recipe == "momentum")
    r, fr, _ = res["resolution"][("tsc", "momentum")]
    far = r > 4
    assert far.any() and np.abs(fr[far] - 1).max() < 0.05  # Newtonian beyond a few cells
    assert out.stat().st_size > 0
