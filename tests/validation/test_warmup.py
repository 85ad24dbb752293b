"""fieldconv warmup: compiles what a job uses, plans its FFTs, reports each step; fieldconv info shows the caches."""

import os

import pytest

from fieldconv.cli import info_text, main
from fieldconv.validation import WARMUP_FAMILIES, warmup


def test_warmup_runs_each_step_and_reports(capsys):
    seen = []
    rows = warmup(["smoothing", "stencil"], dtypes=["float32", "float64"], progress=seen.append)
    assert rows == seen
    assert {(r["family"], r["dtype"]) for r in rows} == {
        (f, d) for f in ("smoothing", "stencil") for d in ("float32", "float64")
    }
    assert all(r["status"] == "ok" and r["seconds"] >= 0 for r in rows)


def test_warmup_plans_ffts_for_shapes(monkeypatch, tmp_path):
    pytest.importorskip("pyfftw")
    monkeypatch.setenv("FIELDCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FIELDCONV_FFTW_WISDOM_CACHE", "1")
    rows = warmup(["fft"], dtypes=["float64"], shapes=[(12, 10)])
    assert [r["step"] for r in rows] == ["FFTW plans 12x10"]
    assert "rfftn" in rows[0]["status"] and "irfftn" in rows[0]["status"]
    assert any(n.startswith("fftw-wisdom-") for n in os.listdir(tmp_path))
    assert warmup(["fft"], dtypes=["float64"]) == []  # no shapes, nothing to plan


def test_a_failing_step_is_reported_and_the_others_run(monkeypatch):
    import fieldconv

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(fieldconv, "savgol_filter", broken)
    rows = warmup(["smoothing", "stencil"], dtypes=["float64"])
    assert rows[0]["status"] == "failed: RuntimeError: boom"
    assert all(r["status"] == "ok" for r in rows[1:])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"families": ["nope"]}, "families must be one of"),
        ({"dtypes": ["int8"]}, "dtypes must be one of"),
        ({"dtypes": []}, "dtypes must name at least one"),
        ({"shapes": [(0, 3)]}, "shapes must be tuples of positive ints"),
        ({"shapes": [("a",)]}, "shapes must be tuples of positive ints"),
    ],
    ids=["family", "dtype", "no-dtype", "zero", "letters"],
)
def test_warmup_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        warmup(**kwargs)


def test_cli_warmup(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDCONV_CACHE_DIR", str(tmp_path))
    assert main(["warmup", "--families", "smoothing", "--dtypes", "float32", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "savgol_filter" in out and "float32" in out and "done in" in out and "cache:" in out
    with pytest.raises(SystemExit):
        main(["warmup", "--families", "nope"])
    assert set(WARMUP_FAMILIES) >= {"convolution", "assign", "poisson", "fft"}


def test_cli_warmup_plans_a_tiny_shape(capsys, monkeypatch, tmp_path):
    # the job-script form end to end at a tiny grid: FFT plans measured into the wisdom cache, reported
    pytest.importorskip("pyfftw")
    monkeypatch.setenv("FIELDCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FIELDCONV_FFTW_WISDOM_CACHE", "1")
    argv = ["warmup", "--families", "fft", "--shape", "6", "8", "--shape", "10", "--threads", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "FFT shapes 6x8, 10" in out
    assert "FFTW plans 6x8" in out and "FFTW plans 10" in out and "failed" not in out
    assert any(n.startswith("fftw-wisdom-") for n in os.listdir(tmp_path))
    with pytest.raises(SystemExit):
        main(["warmup", "--shape", "a"])


def test_cli_warmup_exit_status_on_failure(capsys, monkeypatch):
    import fieldconv

    monkeypatch.setattr(fieldconv, "savgol_filter", lambda *a, **k: 1 / 0)
    assert main(["warmup", "--families", "smoothing"]) == 1
    assert "failed: ZeroDivisionError" in capsys.readouterr().out


def test_info_reports_planner_and_caches(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("FIELDCONV_FFTW_PLANNER", raising=False)
    text = info_text()
    assert "FFT planner: auto" in text and str(tmp_path) in text
    assert "FIELDCONV_FFTW_WISDOM_CACHE" in text and "NUMBA_CACHE_DIR" in text
    assert text.count("CuPy does not import") <= 1  # was printed twice
    monkeypatch.setenv("FIELDCONV_FFTW_PLANNER", "FFTW_ESTIMATE")
    assert "FFT planner: FFTW_ESTIMATE (fixed" in info_text()
