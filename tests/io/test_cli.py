"""The io subcommands of the fieldconv command line: options become job parameters, help has an
example each, errors are one line with exit status 2, an interrupt exits 130."""

import h5py
import numpy as np
import pytest

from fieldconv import cli
from fieldconv.io import read_hdf5, read_mesh, write_csv, write_snapshot
from fieldconv.spectra import SpectralAxis, Spectrum

IO_COMMANDS = ("paint", "poisson", "convolve", "smooth", "batch")


@pytest.mark.parametrize("cmd", IO_COMMANDS)
def test_help_has_a_description_and_examples(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([cmd, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"  fieldconv {cmd} " in out
    assert "--quiet" in out and "--dry-run" in out


def test_top_level_help_lists_the_io_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for cmd in IO_COMMANDS:
        assert f"    {cmd} " in out
    examples = out.split("examples:\n", 1)[1]  # and an example of the main jobs
    for cmd in ("poisson", "batch", "demo"):
        assert f"  fieldconv {cmd} " in examples


@pytest.fixture
def snap(tmp_path):
    pos = (np.random.default_rng(0).random((500, 3)) * 4).astype(np.float32)
    write_snapshot(tmp_path / "s.hdf5", {1: pos}, box_size=4.0,
                   units={"length": "Mpc", "mass": "1e10 solMass", "velocity": "km/s"})
    return tmp_path / "s.hdf5"


def test_poisson_convolve_paint(snap, tmp_path, capsys):
    out = tmp_path / "out.h5"
    assert cli.main(["poisson", str(snap), "--shape", "8", "--scheme", "tsc", "--particles", "--output", str(out),
                     "-q"]) == 0
    m = read_mesh(out)
    assert m.units["potential"] == "km2 / s2" and m.units["forces"] == "km2 / (Mpc s2)"
    assert m.provenance["parameters"]["scheme"] == "tsc" and m["forces"].shape == (3, 8, 8, 8)
    assert m["particles/PartType1/acceleration"].shape == (500, 3)
    assert cli.main(["convolve", str(out), "--kernel-arg", "sigma=0.5 Mpc", "--output", str(tmp_path / "c.h5"),
                     "-q"]) == 0
    assert read_mesh(tmp_path / "c.h5").provenance["parameters"]["kernel_args"] == {"sigma": "0.5 Mpc"}
    assert cli.main(["paint", str(snap), "--shape", "4", "8", "4", "--mass", "-o", str(tmp_path / "p.h5"), "-v"]) == 0
    err = capsys.readouterr().err
    assert "wrote " in err and "parameters: {" in err  # --verbose: what was written and with what
    assert read_mesh(tmp_path / "p.h5")["mass"].shape == (4, 8, 4)


def test_smooth(tmp_path):
    x = np.linspace(4000.0, 400.0, 901)
    write_csv(tmp_path / "sp.csv", Spectrum(SpectralAxis(x, "cm-1"), 1e-6 * x**2, "absorbance"))
    assert cli.main(["smooth", str(tmp_path / "sp.csv"), "--window-length", "11", "--polyorder", "3",
                     "-o", str(tmp_path / "s.h5"), "-q"]) == 0
    assert read_hdf5(tmp_path / "s.h5")["sp"].y_unit == "absorbance"


def test_dry_run_writes_nothing(snap, tmp_path, capsys):
    out = tmp_path / "dry.h5"
    assert cli.main(["poisson", str(snap), "--shape", "8", "--bc", "isolated", "-o", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert f"would run poisson on {snap}" in text and '"bc": "isolated"' in text and "task key: " in text
    assert not out.exists()


def test_example_runs_on_built_in_data(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["poisson", "--example", "--dry-run"]) == 0  # the snapshot is made; nothing solved
    captured = capsys.readouterr()
    assert "Plummer sphere" in captured.err
    assert "plummer.0.hdf5" in captured.out and "plummer.1.hdf5" in captured.out
    assert '"bc": "isolated"' in captured.out and '"particles": true' in captured.out and '"shape": 64' in captured.out
    assert not (tmp_path / "poisson-example.h5").exists()
    assert cli.main(["poisson", str(tmp_path / "x.hdf5"), "--example"]) == 2
    assert "--example runs on built-in data: give no snapshot" in capsys.readouterr().err


def test_batch(snap, tmp_path, capsys):
    (tmp_path / "b.toml").write_text('[[steps]]\nstep = "paint"\ninputs = ["*.hdf5"]\n[steps.params]\nshape = 4\n')
    assert cli.main(["batch", str(tmp_path / "b.toml"), "--dry-run"]) == 0
    assert "1 would-run" in capsys.readouterr().out and not (tmp_path / "s.paint.h5").exists()
    assert cli.main(["batch", str(tmp_path / "b.toml"), "--no-progress", "--jobs", "1"]) == 0
    assert "1 done" in capsys.readouterr().out and (tmp_path / "s.paint.h5").exists()
    assert cli.main(["batch", str(tmp_path / "b.toml"), "-q"]) == 0
    assert capsys.readouterr().out == ""  # --quiet: nothing for a run that went well
    (tmp_path / "bad.toml").write_text('[[steps]]\nstep = "paint"\ninputs = ["nothing*.hdf5"]\n'
                                       '[steps.params]\nshape = 4\n')
    assert cli.main(["batch", str(tmp_path / "bad.toml"), "-q"]) == 1
    assert "pattern 'nothing*.hdf5' matched no file" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["convolve", "m.h5", "--kernel-arg", "sigma", "-o", "o.h5"], "--kernel-arg must be KEY=VALUE; got 'sigma'"),
        (["paint", "{missing}", "--shape", "8", "-o", "o.h5"], "no such snapshot file"),
        (["paint", "{corrupt}", "--shape", "8", "-o", "o.h5"], "corrupt.hdf5: cannot be opened as HDF5"),
        (["poisson", "{snap}", "--shape", "8", "--G", "6.7 parsecz", "-o", "o.h5"], "poisson.G must be a number"),
        (["batch", "{missing}"], "no such batch config"),
        (["poisson"], "give a snapshot and --output"),
    ],
    ids=["bad-pair", "missing-file", "corrupt-file", "bad-G", "missing-config", "no-input"],
)
def test_errors_are_one_line_with_status_2(argv, match, snap, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corrupt.hdf5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)  # a truncated superblock
    argv = [a.format(missing=tmp_path / "nope.hdf5", corrupt=tmp_path / "corrupt.hdf5", snap=snap) for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and err.startswith(f"fieldconv {argv[0]}: error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_interrupt_exits_130(snap, tmp_path, capsys, monkeypatch):
    import fieldconv.io

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fieldconv.io, "run_step", interrupted)
    assert cli.main(["paint", str(snap), "--shape", "4", "-o", str(tmp_path / "o.h5")]) == 130
    assert "fieldconv paint: interrupted" in capsys.readouterr().err
    assert not (tmp_path / "o.h5").exists()


def test_output_is_never_partial(snap, tmp_path, monkeypatch):
    """A failure inside the write leaves no file at the output path (the atomic writer)."""
    import fieldconv.io._mesh as mesh

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mesh._h5, "create_dataset", broken)
    assert cli.main(["paint", str(snap), "--shape", "4", "-o", str(tmp_path / "o.h5"), "-q"]) == 2
    assert not (tmp_path / "o.h5").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.hdf5"]
    with h5py.File(snap) as f:  # the input is untouched
        assert f["PartType1/Coordinates"].shape == (500, 3)
