"""The command line: help pages, clear one-line errors, exit statuses (issue 12's list of trip-ups)."""

import argparse
import os

import pytest

from fieldconv.backend import backend_status
from fieldconv.cli import SUBCOMMANDS, build_parser, info_text, main


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, action.choices


def test_main_help_names_validate_the_main_job():
    parser, _ = _subparsers()
    text = parser.format_help()
    assert "main job is `fieldconv validate`" in text
    assert "demo" in text and "the main job" not in text.split("demo", 1)[1].split("\n")[0]


@pytest.mark.parametrize("name", ["validate", "info", "demo"])
def test_every_subcommand_has_a_description_and_an_example(name):
    _, subs = _subparsers()
    text = subs[name].format_help()
    assert subs[name].description and len(subs[name].description) > 60
    assert f"examples:\n  fieldconv {name}" in text


def test_every_registered_subcommand_is_documented():
    _, subs = _subparsers()
    assert len(subs) == len(SUBCOMMANDS)
    for name, p in subs.items():
        assert p.description and p.epilog and p.epilog.startswith("examples:"), name


def test_validate_help_lists_the_valid_names():
    _, subs = _subparsers()
    text = " ".join(subs["validate"].format_help().split())
    for name in ("gauss3d", "plummer3d", "trig3d", "sheet2d", "stencil", "poisson", "assign"):
        assert name in text


def test_unknown_problem_lists_the_valid_names(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--problems", "nope"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nope'" in err and "'gauss3d'" in err and "'trig3d'" in err


def test_unwritable_output_is_one_line_not_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["validate", "--quick", "--families", "savgol", "--output", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot write the results to --output" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc (Linux)")
def test_output_in_proc(capsys):
    assert main(["validate", "--quick", "--families", "savgol", "--output", "/proc/x"]) == 2
    assert "cannot write the results to --output '/proc/x'" in capsys.readouterr().err


def test_demo_unknown_backend_errors_before_any_progress_bar(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--backend", "foo"])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert "invalid choice: 'foo'" in captured.err and "demo:" not in captured.err.replace("fieldconv demo:", "")
    assert captured.out == ""


def test_run_demo_resolves_backends_before_printing(capsys):
    from fieldconv.errors import BackendUnavailableError
    from fieldconv.validation import run_demo

    with pytest.raises(BackendUnavailableError, match="backend must be one of"):
        run_demo(backend="foo")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_info_gives_the_cupy_reason_once():
    ok, reason = backend_status("cupy")
    text = info_text()
    if ok:
        assert "cupy     available" in text
    else:
        assert text.count(reason) == 1
        assert "pip install fieldconv[gpu]" in text


def test_validate_quick_end_to_end(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["validate", "--quick", "--families", "savgol", "--output", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "ALL PASS" in text and "Legend" in text
    assert sorted(os.listdir(out)) == ["savgol.png", "validation.json", "validation.txt"]
    assert (out / "savgol.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_validate_threads(tmp_path, capsys, monkeypatch):
    import fieldconv.validation as fv
    from fieldconv.backend import current_threads

    seen = []
    real = fv.validate

    def spy(*args, **kwargs):
        seen.append(current_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(fv, "validate", spy)
    out = tmp_path / "results"
    assert main(["validate", "--quick", "--families", "savgol", "--threads", "1", "--output", str(out),
                 "--no-progress", "--no-plots"]) == 0
    assert seen == [1]
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--threads", "0"])
    assert exc.value.code == 2
    assert "argument --threads: must be >= 1; got 0" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: fieldconv" in capsys.readouterr().out


def test_poisson_under_mpiexec_without_the_mpi_extra(tmp_path, capsys, monkeypatch):
    # started by a launcher with 2 ranks (PMI_SIZE) where mpi4py is missing: one line, exit 2, no MPI import
    import fieldconv.distributed as fd

    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setattr(fd, "is_available", lambda: False)
    assert main(["poisson", str(tmp_path / "snap.hdf5"), "--shape", "8", "-o", str(tmp_path / "o.h5")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2 MPI ranks" in err and "pip install 'fieldconv[mpi]'" in err
