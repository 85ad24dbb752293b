"""The registry of validated families: one small module per family.

A family is a module ``fieldconv/validation/_families/<name>.py`` that
defines ``FAMILY = Family(...)``: a name, a title, the public namespace it
validates, a ``run(settings) -> FamilyResult`` and a
``plot(result, path)``.  :data:`FAMILY_MODULES` lists the modules in table
order; adding a family is writing its module and adding its name there.

Examples
--------
>>> from fieldconv.validation import family_names
>>> family_names()[:2]
('stencil', 'savgol')
"""

from dataclasses import dataclass, field
from importlib import import_module

__all__ = ["Family", "Settings", "FAMILY_MODULES", "registered_families", "family_names"]

#: Family modules of ``fieldconv.validation._families``, in the order of the report.
FAMILY_MODULES = (
    "stencil",
    "savgol",
    "convolution",
    "assign",
    "poisson",
    # "pm",  # MERGE (branch assignpm): _families/pm.py, the Zel'dovich pancake against
    #        # fieldconv/validation/_zeldovich.py; template in _families/__init__.py
)


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
        Import only these (default: all of :data:`FAMILY_MODULES`).

    Returns
    -------
    dict of str -> Family

    Raises
    ------
    ValueError
        A name that is not in :data:`FAMILY_MODULES`.

    Examples
    --------
    >>> from fieldconv.validation import registered_families
    >>> list(registered_families(["stencil", "poisson"]))
    ['stencil', 'poisson']
    """
    names = FAMILY_MODULES if names is None else tuple(names)
    bad = [n for n in names if n not in FAMILY_MODULES]
    if bad:
        raise ValueError(f"families must be names from {list(FAMILY_MODULES)}; got {bad}")
    out = {}
    for mod in names:
        fam = import_module(f"fieldconv.validation._families.{mod}").FAMILY
        if mod != fam.name:
            raise ValueError(f"family module {mod!r} must define FAMILY with name {mod!r}; got {fam.name!r}")
        out[fam.name] = fam
    return out


def family_names():
    """Names of the registered families, in report order (no module is imported).

    Examples
    --------
    >>> from fieldconv.validation import family_names
    >>> "poisson" in family_names()
    True
    """
    return tuple(FAMILY_MODULES)
