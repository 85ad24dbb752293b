"""The documentation: the Sphinx site builds with warnings as errors, its getting-started code runs,
and the user pages hold no development history."""

import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: pages whose ```python blocks run, in order, as one script each
RUNNABLE = ["getting-started/simulation.md", "getting-started/spectroscopy.md", "getting-started/batch.md",
            "performance.md"]
#: user-facing pages: no issue numbers, no paths of one machine
USER_PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "api" not in p.parts) + [
    ROOT / "README.md", ROOT / "validation" / "README.md"]


def _missing_sphinx():
    return [m for m in ("sphinx", "numpydoc", "myst_parser") if importlib.util.find_spec(m) is None]


@pytest.mark.slow
@pytest.mark.skipif(bool(_missing_sphinx()), reason=f"needs {', '.join(_missing_sphinx())} (pip install -e '.[docs]')")
def test_sphinx_build_with_warnings_as_errors(tmp_path):
    src = tmp_path / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "api"))
    cmd = [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html", "-d",
           str(tmp_path / "doctrees"), str(src), str(tmp_path / "html")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-6000:]
    html = tmp_path / "html"
    for page in ("index.html", "getting-started/simulation.html", "getting-started/spectroscopy.html",
                 "getting-started/batch.html", "performance.html", "validation.html", "api/index.html",
                 "api/fieldconv.poisson.html", "api/generated/fieldconv.poisson.solve_poisson.html"):
        assert (html / page).is_file(), page
    # the reference is generated from the package's own list: every subpackage has a page, no hand edits
    import fieldconv

    missing = [s for s in fieldconv._SUBPACKAGES if not (html / "api" / f"fieldconv.{s}.html").is_file()]
    assert not missing, f"subpackages without an API page: {missing}"
    assert (html / "api" / "fieldconv.nn.mixers.html").is_file()  # public submodules too


def _python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("page", RUNNABLE)
def test_page_code_runs(page, tmp_path):
    blocks = _python_blocks((DOCS / page).read_text())
    if not blocks:
        pytest.skip(f"{page} has no python block")
    needs = [m for m in ("pybaselines", "jcamp") if "spectroscopy" in page and importlib.util.find_spec(m) is None]
    if needs:
        pytest.skip(f"{page} needs {needs}")
    script = tmp_path / "page.py"
    script.write_text("\n".join(blocks))
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=900, cwd=tmp_path,
                          env=env)
    assert proc.returncode == 0, f"{page}:\n{proc.stderr[-4000:]}"


@pytest.mark.parametrize("path", USER_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_user_pages_hold_no_history(path):
    text = path.read_text()
    for pattern, what in ((r"\b[Ii]ssues? \d+", "issue numbers"), (r"\bthe issue'?s?\b", "references to an issue"),
                          (r"/work/|/home/|/tmp/|/Users/", "paths of one machine"), (r"\bflock\s+(-\w+\s+)*/", "a lock on a machine's path")):
        hits = [ln for ln in text.splitlines() if re.search(pattern, ln)]
        assert not hits, f"{path.name}: {what}: {hits}"


def test_every_page_is_in_the_index():
    index = (DOCS / "index.md").read_text()
    pages = sorted(str(p.relative_to(DOCS).with_suffix("")) for p in DOCS.rglob("*.md")
                   if "_build" not in p.parts and "api" not in p.parts and p.name != "index.md")
    missing = [p for p in pages if f"\n{p}\n" not in index]
    assert not missing, f"add these pages to a toctree of docs/index.md: {missing}"
