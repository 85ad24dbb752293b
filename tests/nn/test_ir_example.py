"""Smoke run of examples/ir_functional_groups.py at a tiny size (the full run is in the example's docstring)."""

import pathlib
import runpy

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "ir_functional_groups.py"


def test_example_runs_and_writes_its_figures(tmp_path):
    main = runpy.run_path(str(EXAMPLE))["main"]
    out = main(["--train", "80", "--test", "40", "--epochs", "1", "--output", str(tmp_path)])
    assert out["same_after_reload"]
    assert out["prune"]["flops"][1] < out["prune"]["flops"][0]
    for name in ("f1_per_group.png", "grad_cam.png", "classifier.h5"):
        assert (tmp_path / name).stat().st_size > 0
