"""The draft command-line layer over fieldconv.io: options become step parameters, help has examples."""

import argparse

import numpy as np
import pytest

from fieldconv._cli_io import add_io_commands
from fieldconv.io import read_mesh, write_snapshot


def _parser():
    parser = argparse.ArgumentParser(prog="fieldconv")
    add_io_commands(parser.add_subparsers(dest="command"))
    return parser


def _main(argv):
    args = _parser().parse_args(argv)
    return args.func(args)


def test_help_texts_have_examples(capsys):
    for cmd in ("paint", "poisson", "convolve", "smooth", "batch"):
        with pytest.raises(SystemExit):
            _parser().parse_args([cmd, "--help"])
        assert f"fieldconv {cmd} " in capsys.readouterr().out


def test_poisson_and_batch_commands(tmp_path):
    pos = (np.random.default_rng(0).random((500, 3)) * 4).astype(np.float32)
    write_snapshot(tmp_path / "s.hdf5", {1: pos}, box_size=4.0, units={"length": "Mpc", "mass": "1e10 solMass",
                                                                      "velocity": "km/s"})
    out = tmp_path / "out.h5"
    assert _main(["poisson", str(tmp_path / "s.hdf5"), "--shape", "8", "--scheme", "tsc", "--particles",
                  "--output", str(out), "-q"]) == 0
    m = read_mesh(out)
    assert m.units["potential"] == "km2 / s2" and m.provenance["parameters"]["scheme"] == "tsc"
    assert m["particles/PartType1/acceleration"].shape == (500, 3)
    assert _main(["convolve", str(out), "--kernel-arg", "sigma=0.5 Mpc", "--output", str(tmp_path / "c.h5")]) == 0
    (tmp_path / "b.toml").write_text('[[steps]]\nstep = "paint"\ninputs = ["*.hdf5"]\n[steps.params]\nshape = 4\n')
    assert _main(["batch", str(tmp_path / "b.toml"), "--dry-run", "-q"]) == 0
    assert _main(["batch", str(tmp_path / "b.toml"), "--no-progress"]) == 0
    assert (tmp_path / "s.paint.h5").exists()


def test_bad_pairs():
    with pytest.raises(ValueError, match="--kernel-arg must be KEY=VALUE; got 'sigma'"):
        _main(["convolve", "m.h5", "--kernel-arg", "sigma", "--output", "o.h5"])
