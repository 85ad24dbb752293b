"""The conserving-mixer example runs (short) and shows what it claims."""

import pathlib
import runpy

import numpy as np

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "conserving_mixer.py"


def test_example_constrained_mixers_hold_the_mass(tmp_path):
    main = runpy.run_path(str(EXAMPLE))["main"]
    out = tmp_path / "drift.png"
    drifts = main(["--steps", "40", "--grid", "8", "--out", str(out)])
    for name, d in drifts.items():
        if name == "unconstrained":
            assert d.max() > 1e-8  # a free mixer fitted to noisy data does not conserve mass
        else:
            assert d.max() <= 1e-13  # round-off, at every step
    assert out.stat().st_size > 0
