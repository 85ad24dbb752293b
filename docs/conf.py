"""Sphinx configuration of the fieldconv documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The Markdown pages are read with MyST; the API reference is generated at
build time from the docstrings (numpydoc) of the namespaces in
``fieldconv._SUBPACKAGES`` and their public submodules (:func:`api_namespaces`):
a new subpackage appears in the reference without an edit here.
"""

import importlib
import inspect
import os
import pkgutil
import sys

sys.path.insert(0, os.path.abspath(".."))

import fieldconv  # noqa: E402

project = "fieldconv"
author = "The fieldconv developers"
copyright = "The fieldconv developers, BSD-3-Clause"
release = version = fieldconv.__version__



def api_namespaces():
    """The namespaces of the API reference, found, never listed by hand.

    Every subpackage of ``fieldconv._SUBPACKAGES`` (the package's own list of
    its public subpackages, in its order), each followed by its public
    submodules at any depth (names without a leading underscore, e.g.
    ``fieldconv.nn.mixers``).  A new subpackage appears in the reference as
    soon as it is in that list.
    """
    out = []
    for sub in fieldconv._SUBPACKAGES:
        name = f"fieldconv.{sub}"
        out.append(name)
        mod = importlib.import_module(name)
        if hasattr(mod, "__path__"):
            for info in pkgutil.walk_packages(mod.__path__, prefix=name + "."):
                if not any(part.startswith("_") for part in info.name.split(".")):
                    out.append(info.name)
    return out


def _public_names(mod):
    """``__all__``, or (a module without one) the functions and classes it defines."""
    names = getattr(mod, "__all__", None)
    if names is not None:
        return list(names)
    return [n for n, obj in vars(mod).items() if not n.startswith("_") and (inspect.isfunction(obj) or
            inspect.isclass(obj)) and getattr(obj, "__module__", None) == mod.__name__]


#: The public namespaces of the API reference, in order.
API_NAMESPACES = api_namespaces()

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_class_members_toctree = False

html_theme = "alabaster"
html_title = f"fieldconv {release}"
html_theme_options = {"description": "a small kernel slid over a field", "page_width": "1100px",
                      "sidebar_width": "260px"}


def _canonical(obj, namespaces):
    """The namespace that documents `obj`: the one its defining module lives in, else the first."""
    mod = getattr(obj, "__module__", "") or ""
    inside = [ns for ns in namespaces if mod == ns or mod.startswith(ns + ".")]
    return max(inside, key=len) if inside else namespaces[0]


def _write_api(srcdir):
    """docs/api/<namespace>.rst: the namespace's docstring and an autosummary of its ``__all__``."""
    out = os.path.join(srcdir, "api")
    os.makedirs(out, exist_ok=True)
    where = {}
    for ns in API_NAMESPACES:
        mod = importlib.import_module(ns)
        for name in _public_names(mod):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                where.setdefault(id(obj), []).append(ns)
    pages = []
    for ns in API_NAMESPACES:
        mod = importlib.import_module(ns)
        documented, elsewhere = [], []
        for name in _public_names(mod):
            obj = getattr(mod, name)
            homes = where.get(id(obj))
            if homes and _canonical(obj, homes) != ns:
                elsewhere.append((name, _canonical(obj, homes)))
            else:
                documented.append(name)
        lines = [ns, "=" * len(ns), "", f".. automodule:: {ns}", "   :no-members:", "",
                 f".. currentmodule:: {ns}", "", ".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in documented]
        if elsewhere:
            lines += ["", "Also exported here (documented where they are defined):", ""]
            lines += [f"* ``{ns}.{name}``: :obj:`{home}.{name}`" for name, home in elsewhere]
        _write_if_changed(os.path.join(out, f"{ns}.rst"), "\n".join(lines) + "\n")
        pages.append(ns)
    top = ["fieldconv", "=========", "", ".. automodule:: fieldconv", "   :no-members:", "",
           "The top-level namespace re-exports the headline functions of the families:", "",
           ".. list-table::", "   :header-rows: 1", "", "   * - name", "     - documented in"]
    for name, module in fieldconv._EXPORTS.items():
        top += [f"   * - ``fieldconv.{name}``", f"     - :obj:`{module}.{name}`"]
    _write_if_changed(os.path.join(out, "fieldconv.rst"), "\n".join(top) + "\n")
    index = ["API reference", "=============", "",
             "Generated from the docstrings. Every public function states its shapes, dtypes, units, errors",
             "and a runnable example (the examples run as doctests in the test suite).", "",
             ".. toctree::", "   :maxdepth: 1", "", "   fieldconv"] + [f"   {ns}" for ns in pages]
    _write_if_changed(os.path.join(out, "index.rst"), "\n".join(index) + "\n")


def _write_if_changed(path, text):
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as fh:
            fh.write(text)


# before Sphinx looks for source files, so that autosummary sees the generated pages
_write_api(os.path.dirname(os.path.abspath(__file__)))
