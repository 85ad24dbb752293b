"""examples/resolution_matching.py declares what it needs and says so before anything crashes."""

import importlib.util
import pathlib
import subprocess
import sys

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "resolution_matching.py"


def _run(prelude, *args):
    code = (f"import sys, runpy; {prelude}; sys.argv = ['resolution_matching.py', *{list(args)!r}]; "
            f"runpy.run_path({str(EXAMPLE)!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("blocked", ["pandas", "xpectrass"])
def test_missing_requirement_is_a_message_not_a_traceback(blocked):
    # before: ModuleNotFoundError: No module named 'pandas', raised before the example's own message
    r = _run(f"sys.modules[{blocked!r}] = None")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert f"needs {blocked}" in r.stderr or f"and {blocked}" in r.stderr
    assert "pip install --no-deps xpectrass pandas" in r.stderr


def test_example_runs_on_a_few_samples():
    if any(importlib.util.find_spec(m) is None for m in ("pandas", "xpectrass")):
        pytest.skip("the example's data need pandas and xpectrass (pip install --no-deps xpectrass pandas)")
    r = _run("pass", "--max-samples", "12")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "| 2nd derivative (SG 7/3) |" in r.stdout
