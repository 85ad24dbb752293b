"""The registry of validated families: one small module per family.

A family is a module ``fieldconv/validation/_families/<name>.py`` that
defines ``FAMILY = Family(...)``: a name, a title, the public namespace it
validates, a ``run(settings) -> FamilyResult`` and a
``plot(result, path)``.  :data:`FAMILY_MODULES` lists the modules in table
order; adding a family is writing its module and adding its name there.  A
family that validates an optional part of the package names the modules it
needs in :data:`FAMILY_REQUIRES`: it joins the run (and ``--families``) on
an installation that has them and is left out, with no error, where they
are missing.

Examples
--------
>>> from fieldconv.validation import family_names
>>> family_names()[:2]
('stencil', 'savgol')
"""

from dataclasses import dataclass, field
from importlib import import_module

__all__ = ["Family", "Settings", "FAMILY_MODULES", "FAMILY_REQUIRES", "registered_families", "family_names"]

#: Family modules of ``fieldconv.validation._families``, in the order of the report.
FAMILY_MODULES = (
    "stencil",
    "savgol",
    "convolution",
    "assign",
    "poisson",
    "pm",
)

#: Modules a family needs beyond the core package (found with ``importlib.util.find_spec``, not imported):
#: a family whose modules are missing is not offered.
FAMILY_REQUIRES = {
    "pm": ("fieldconv.pm", "fieldconv.validation._zeldovich"),
}


def _missing(name):
    """The modules family `name` needs that this installation lacks."""
    from importlib.util import find_spec

    out = []
    for mod in FAMILY_REQUIRES.get(name, ()):
        try:
            found = find_spec(mod) is not None
        except ImportError:  # a parent package is missing
            found = False
        if not found:
            out.append(mod)
    return out


@dataclass(frozen=True)
class Family:
    """One validated family.

    Parameters
    ----------
    name : str
        Short name used on the command line (``--families stencil``).
    title : str
        One line: what is checked against what.
    namespace : str
        The public namespace validated (``"fieldconv.stencil"``).
    run : callable
        ``run(settings) -> FamilyResult``.
    plot : callable
        ``plot(result, path)``: writes the family's PNG figure.
    tolerances : str
        How the tolerances are derived (shown under the family's table).

    Examples
    --------
    >>> from fieldconv.validation import registered_families
    >>> fam = registered_families(["savgol"])["savgol"]
    >>> fam.namespace
    'fieldconv.smoothing'
    """

    name: str
    title: str
    namespace: str
    run: object
    plot: object
    tolerances: str = ""


@dataclass(frozen=True)
class Settings:
    """What a family's ``run`` is told.

    Parameters
    ----------
    quick : bool
        Smaller sizes (``fieldconv validate --quick``).
    backend : str or Backend or None
        Backend to validate (None: the package default).
    progress : bool
        A family may show a progress bar (on stderr).
    options : dict
        Family-specific options by family name, e.g.
        ``{"poisson": {"problems": [...], "sizes": [...]}}``.

    Examples
    --------
    >>> from fieldconv.validation import Settings
    >>> Settings(quick=True, options={"poisson": {"sizes": [32, 64]}}).option("poisson", "sizes")
    [32, 64]
    """

    quick: bool = False
    backend: object = None
    progress: bool = False
    options: dict = field(default_factory=dict)

    def option(self, family, key, default=None):
        """``options[family][key]``, or `default`."""
        return self.options.get(family, {}).get(key, default)

    def get_backend(self):
        """The Backend object validated."""
        from ..backend import get_backend

        return get_backend(self.backend)

    def put(self, x, dtype=None):
        """A NumPy input on the validated backend (an explicit copy to a device)."""
        import numpy as np

        x = np.asarray(x, dtype=dtype)
        be = self.get_backend()
        return x if be.on_host else be.asarray(x, copy=True)

    def host(self, y):
        """A result back on the host as a float64 NumPy array (tuples element-wise)."""
        import numpy as np

        if isinstance(y, tuple):
            return tuple(self.host(v) for v in y)
        return np.asarray(self.get_backend().to_numpy(y), dtype=np.float64)


def registered_families(names=None):
    """The registered families, by name, in report order.

    Parameters
    ----------
    names : sequence of str, optional
        Import only these (default: all of :func:`family_names`).

    Returns
    -------
    dict of str -> Family

    Raises
    ------
    ValueError
        A name that is not in :data:`FAMILY_MODULES`, or a family whose
        required modules (:data:`FAMILY_REQUIRES`) are missing.

    Examples
    --------
    >>> from fieldconv.validation import registered_families
    >>> list(registered_families(["stencil", "poisson"]))
    ['stencil', 'poisson']
    """
    names = family_names() if names is None else tuple(names)
    bad = [n for n in names if n not in FAMILY_MODULES]
    if bad:
        raise ValueError(f"families must be names from {list(family_names())}; got {bad}")
    for n in names:
        missing = _missing(n)
        if missing:
            raise ValueError(f"family {n!r} needs {missing}, which this installation lacks; "
                             f"available families: {list(family_names())}")
    out = {}
    for mod in names:
        fam = import_module(f"fieldconv.validation._families.{mod}").FAMILY
        if mod != fam.name:
            raise ValueError(f"family module {mod!r} must define FAMILY with name {mod!r}; got {fam.name!r}")
        out[fam.name] = fam
    return out


def family_names():
    """Names of the families this installation can run, in report order.

    Every name of :data:`FAMILY_MODULES` whose required modules
    (:data:`FAMILY_REQUIRES`) are found; no family module is imported.

    Examples
    --------
    >>> from fieldconv.validation import family_names
    >>> "poisson" in family_names()
    True
    """
    return tuple(n for n in FAMILY_MODULES if not _missing(n))
