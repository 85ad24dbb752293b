"""Every example in examples/ runs, with small sizes, in a fresh process; each declares what it needs.

Adding an example is one line in EXAMPLES: its file name, the arguments that make it small, and the
importable modules it needs beyond fieldconv's core dependencies (the test skips, naming them, where
they are missing).
"""

import ast
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"

#: file -> (arguments for a small run, or None where the family's tests run it; optional modules it needs)
EXAMPLES = {
    "quickstart.py": ([], ()),
    "backend_tour.py": (["--size", "16"], ()),
    "conserving_mixer.py": (["--steps", "40", "--grid", "8", "--out", "mixer.png"], ()),
    "resolution_matching.py": (["--max-samples", "6"], ("pandas", "xpectrass")),
    # run end to end, with its own checks, by tests/io/test_example.py
    "plummer_poisson.py": (None, ()),
    # particle-mesh examples: they arrive with fieldconv.pm (skipped where it is not installed)
    "zeldovich_pancake.py": (["--meshes", "16", "32", "--backend", "numpy", "--plot", "pancake.png"], ("fieldconv.pm",)),
    "pm_force_resolution.py": (["--mesh", "24", "--particles", "2000", "--self-mesh", "8", "--samples", "2",
                                "--backend", "numpy", "--out", "force.png"], ("fieldconv.pm",)),
}


def _present(name):
    if not (EXAMPLES_DIR / name).is_file():
        pytest.skip(f"{name} is not in this checkout")


def _find_spec(mod):
    try:
        return importlib.util.find_spec(mod)
    except ImportError:  # a missing parent package
        return None


def test_every_example_is_registered():
    found = sorted(p.name for p in EXAMPLES_DIR.glob("*.py"))
    missing = [n for n in found if n not in EXAMPLES]
    assert not missing, f"register {missing} in tests/examples/test_examples.py EXAMPLES"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_declares_what_it_needs(name):
    _present(name)
    doc = ast.get_docstring(ast.parse((EXAMPLES_DIR / name).read_text()))
    assert doc and any(line.startswith("Needs:") for line in doc.splitlines()), \
        f"{name}: say what the example needs in a 'Needs:' line of its docstring"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs(name, tmp_path):
    _present(name)
    args, needs = EXAMPLES[name]
    if args is None:
        pytest.skip(f"{name} runs in its family's tests")
    missing = [m for m in needs if _find_spec(m) is None]
    if missing:
        pytest.skip(f"{name} needs {', '.join(missing)} (not installed)")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(EXAMPLES_DIR / name), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert proc.stdout.strip(), f"{name} printed nothing"


def test_missing_optional_dependency_is_a_friendly_message(tmp_path):
    # resolution_matching.py without pandas/xpectrass: one clear line, not an ImportError traceback
    blocker = tmp_path / "block"
    blocker.mkdir()
    for mod in ("pandas", "xpectrass"):
        (blocker / f"{mod}.py").write_text("raise ImportError('blocked by the test')\n")
    script = (f"import sys, importlib.util; sys.path.insert(0, {str(blocker)!r});"
              "orig = importlib.util.find_spec;"
              "importlib.util.find_spec = lambda n, *a: None if n in ('pandas', 'xpectrass') else orig(n, *a);"
              f"sys.argv = ['x']; exec(open({str(EXAMPLES_DIR / 'resolution_matching.py')!r}).read())")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "this example needs pandas and xpectrass" in proc.stderr
    assert "Traceback" not in proc.stderr
