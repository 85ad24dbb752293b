"""The package as a whole: light import, public namespaces, layering rules, module size.

The layering rules of ``docs/architecture.md`` are checked on the source
(``ast``, every import statement, also those inside functions):

* no import cycle between families (a family is a top-level subpackage or
  module of ``fieldconv``; the private leaf modules ``fieldconv/_*.py`` are
  shared by all and import no family);
* no family uses another family's private names or private modules (only
  the leaves are shared);
* no operator tests a backend's name (``backend.name == ...``) outside
  ``fieldconv/backend/``: operators ask for capabilities;
* no module over 600 lines of code (docstrings, comments and blank lines
  not counted).
"""

import ast
import pathlib
import re
import subprocess
import sys

import pytest

import fieldconv

ROOT = pathlib.Path(fieldconv.__file__).parent
MODULES = sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)
MAX_CODE_LINES = 600


def _module_name(path):
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _family(modname):
    parts = modname.split(".")
    return parts[1] if len(parts) > 1 else "fieldconv"


def _is_leaf(modname):
    parts = modname.split(".")
    return len(parts) == 2 and parts[1].startswith("_")


def _imports(path):
    """(target module, imported names) for every import statement of `path`, resolved to absolute names."""
    modname = _module_name(path)
    package = modname if path.name == "__init__.py" else modname.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fieldconv"):
                    yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("fieldconv"):
                continue
            names = [a.name for a in node.names]
            # "from . import _compiled": the names are modules
            submodules = [f"{target}.{n}" for n in names if (ROOT.parent / (f"{target}.{n}".replace(".", "/") + ".py")).exists()
                          or (ROOT.parent / f"{target}.{n}".replace(".", "/") / "__init__.py").exists()]
            if submodules:
                for sub in submodules:
                    yield sub, []
            else:
                yield target, names


def _code_lines(path):
    src = path.read_text()
    tree = ast.parse(src)
    doc = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                doc.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i, line in enumerate(src.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and i not in doc)


def test_import_is_light():
    code = (
        "import sys, fieldconv; "
        "heavy = [m for m in ('numba', 'cupy', 'pyfftw', 'scipy', 'astropy', 'h5py', 'threadpoolctl') "
        "if m in sys.modules]; "
        "print(fieldconv.__version__); assert not heavy, heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_public_names_resolve():
    for name in fieldconv.__all__:
        assert getattr(fieldconv, name) is not None
    assert fieldconv.Spectrum is fieldconv.spectra.Spectrum
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        fieldconv.nope


@pytest.mark.parametrize("name", ["fieldconv", *(f"fieldconv.{n}" for n in fieldconv._SUBPACKAGES)])
def test_public_namespaces_hold_only_public_names(name):
    import importlib

    mod = importlib.import_module(name)
    public = set(mod.__all__)
    for n in public:
        assert hasattr(mod, n), f"{name}.__all__ names {n!r}, which is missing"
    stray = sorted(
        n for n, v in vars(mod).items()
        if not n.startswith("_") and n not in public and not (getattr(v, "__name__", "") == f"{name}.{n}")
    )
    assert not stray, f"{name} exposes names outside its __all__: {stray}"


def test_no_import_cycle_between_families():
    graph = {}
    for path in MODULES:
        src = _module_name(path)
        fam = _family(src)
        if _is_leaf(src):
            for target, _ in _imports(path):
                assert _is_leaf(target) or target in ("fieldconv",), f"leaf {src} imports {target}"
            continue
        for target, _ in _imports(path):
            tfam = _family(target)
            if tfam != fam and not _is_leaf(target) and tfam != "fieldconv":
                graph.setdefault(fam, set()).add(tfam)
    # depth-first search for a back edge
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                raise AssertionError(f"import cycle between families: {' -> '.join(stack + [node, nxt])}")
            if nxt not in state:
                visit(nxt, stack + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_no_private_names_across_families():
    offences = []
    for path in MODULES:
        src = _module_name(path)
        fam = _family(src)
        for target, names in _imports(path):
            if _family(target) == fam or _is_leaf(target) or target == "fieldconv":
                continue
            private_module = any(p.startswith("_") for p in target.split(".")[2:])
            private_names = [n for n in names if n.startswith("_")]
            if private_module or private_names:
                offences.append(f"{src} imports {target} {private_names or ''}".strip())
    assert not offences, "\n".join(offences)


def test_no_backend_name_checks_outside_the_backend():
    pattern = re.compile(r"\.name\s*(==|!=|\bin\b)")
    offences = []
    for path in MODULES:
        if "backend" in path.relative_to(ROOT).parts[:1]:
            continue
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith("#"):
                offences.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_are_small(path):
    n = _code_lines(path)
    assert n <= MAX_CODE_LINES, f"{path.relative_to(ROOT)} has {n} lines of code (> {MAX_CODE_LINES}): split it by job"
