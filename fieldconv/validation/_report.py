"""``fieldconv validate``: run the families, print the table with verdicts, write the figures.

:func:`validate` runs the registered families (:mod:`._registry`) and
returns a :class:`Report`; :meth:`Report.format` is the table printed by the
command line (one section per family, a summary and a legend);
:meth:`Report.write` puts ``validation.txt``, ``validation.json`` and one
PNG per family in a folder.  The exit status of the command is
:attr:`Report.exit_code`: 0 when every check passes, 1 otherwise.

Examples
--------
>>> from fieldconv.validation import validate
>>> report = validate(["savgol"], quick=True)
>>> report.exit_code, report.checks[0].verdict
(0, 'PASS')
"""

import json
import math
import os
import textwrap
import time

from .. import __version__
from ._check import EPS, ROUNDOFF_MARGIN
from ._registry import Settings, family_names, registered_families

__all__ = ["validate", "Report", "LEGEND"]

#: The legend printed under the table.
LEGEND = f"""\
Legend
  value      the measured quantity: a relative error max|f - f_exact| / max|f_exact| (or the relative L2
             norm where the quantity says L2), an observed convergence order, or a ratio error / bound
  tolerance  "<= x": the value must not exceed x; ">= p": the observed order must reach p
  order      least-squares slope of log(error) against log(N), fitted only over the sizes whose error is
             above {ROUNDOFF_MARGIN:g} x its round-off floor; "round-off" when fewer than two sizes are (the
             check then passes if every error is at its round-off floor: no order is measurable there)
  basis      where the tolerance comes from (details under each family and in the documentation's
             validation page); eps = {EPS['float64']:.3g} (float64), {EPS['float32']:.3g} (float32)
  verdict    PASS or FAIL; `fieldconv validate` exits with status 0 when every check passes, 1 otherwise
"""


def _fmt_value(c):
    if not math.isfinite(float(c.value)):
        return c.note or "n/a"
    if "order" in c.quantity:
        return f"{c.value:.2f}"
    return f"{c.value:.2e}"


def _fmt_limit(c):
    if "order" in c.quantity:
        return f"{c.relation} {c.limit:.2f}"
    return f"{c.relation} {c.limit:.2e}"


class Report:
    """The outcome of :func:`validate`.

    Attributes
    ----------
    results : dict of str -> (Family, FamilyResult)
        In report order.
    settings : Settings
    seconds : float
        Wall time of the whole run.

    Examples
    --------
    >>> from fieldconv.validation import validate
    >>> report = validate(["savgol"], quick=True)
    >>> report.format().splitlines()[2].startswith("== savgol:")
    True
    """

    def __init__(self, results, settings, seconds, backend_name):
        self.results = results
        self.settings = settings
        self.seconds = seconds
        self.backend_name = backend_name

    @property
    def checks(self):
        """Every check, in report order."""
        return [c for _, res in self.results.values() for c in res.checks]

    @property
    def failed(self):
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]

    @property
    def exit_code(self):
        """0 when every check passes, 1 otherwise."""
        return 1 if self.failed or not self.checks else 0

    def summary(self):
        """One line: counts, verdict and time."""
        n, nf = len(self.checks), len(self.failed)
        verdict = "ALL PASS" if nf == 0 and n else f"{nf} FAIL"
        fams = f"{len(self.results)} famil{'y' if len(self.results) == 1 else 'ies'}"
        return f"{n} checks in {fams}: {verdict} ({self.seconds:.1f} s)"

    def format(self):
        """The report as text: a section per family, the summary, the legend."""
        mode = "quick" if self.settings.quick else "default"
        out = [f"fieldconv {__version__} validate ({mode} run, backend {self.backend_name}, float64 unless stated)", ""]
        w1 = max([len(c.case) for c in self.checks] + [4])
        w2 = max([len(c.quantity) for c in self.checks] + [8])
        for name, (fam, res) in self.results.items():
            sizes = f"; N = {', '.join(str(n) for n in res.sizes)}" if res.sizes else ""
            out.append(f"== {name}: {fam.title} ({fam.namespace}{sizes}; {res.seconds:.1f} s)")
            out.append(f"   {'case':{w1}s}  {'quantity':{w2}s}  {'value':>9s}  {'tolerance':>11s}  verdict  basis")
            for c in res.checks:
                out.append(f"   {c.case:{w1}s}  {c.quantity:{w2}s}  {_fmt_value(c):>9s}  {_fmt_limit(c):>11s}  "
                           f"{c.verdict:7s}  {c.basis}")
            if fam.tolerances:
                out.append(textwrap.fill(f"tolerances: {fam.tolerances}", width=110, initial_indent="   ",
                                         subsequent_indent="      "))
            out.append("")
        out.append(self.summary())
        for c in self.failed:
            out.append(f"  FAIL {c.family}: {c.case}: {c.quantity} = {_fmt_value(c)}, tolerance {_fmt_limit(c)}")
        out += ["", LEGEND]
        return "\n".join(out)

    def as_dict(self):
        """The report as plain data (written as ``validation.json``)."""
        return {"version": __version__, "quick": self.settings.quick, "backend": self.backend_name,
                "seconds": self.seconds, "exit_code": self.exit_code,
                "families": {name: {"title": fam.title, "namespace": fam.namespace, "sizes": list(res.sizes),
                                    "seconds": res.seconds, "tolerances": fam.tolerances,
                                    "checks": [c.as_dict() for c in res.checks]}
                             for name, (fam, res) in self.results.items()}}

    def write(self, directory, *, plots=True):
        """Write ``validation.txt``, ``validation.json``, ``<family>.png`` (and ``<family>_details.txt``) into `directory`.

        Parameters
        ----------
        directory : str or os.PathLike
            Created if missing.
        plots : bool
            Write the figures (needs matplotlib: ``pip install "fieldconv[plot]"``).

        Returns
        -------
        list of str
            The files written.

        Raises
        ------
        OSError
            The folder cannot be created or written.
        ImportError
            `plots` without matplotlib (the text files are written first).
        """
        from .._atomic import atomic_path

        directory = os.path.abspath(os.fspath(directory))
        os.makedirs(directory, exist_ok=True)
        written = []
        for fname, text in (("validation.txt", self.format() + "\n"),
                            ("validation.json", json.dumps(self.as_dict(), indent=1) + "\n")):
            path = os.path.join(directory, fname)
            with atomic_path(path) as tmp, open(tmp, "w") as fh:
                fh.write(text)
            written.append(path)
        for name, (fam, res) in self.results.items():
            if res.details:
                path = os.path.join(directory, f"{name}_details.txt")
                with atomic_path(path) as tmp, open(tmp, "w") as fh:
                    fh.write(res.details + "\n")
                written.append(path)
        if plots:
            for name, (fam, res) in self.results.items():
                written.append(fam.plot(res, os.path.join(directory, f"{name}.png")))
        return written


def _check_names(names, valid):
    names = list(valid) if names is None else list(names)
    bad = [n for n in names if n not in valid]
    if bad or not names:
        raise ValueError(f"families must be names from {list(valid)}; got {bad or names}")
    return names


def validate(families=None, *, quick=False, backend=None, options=None, progress=False, log=None):
    """Run the validation families and return the :class:`Report`.

    Parameters
    ----------
    families : sequence of str, optional
        Names from :func:`family_names` (default: all, in report order).
    quick : bool
        Smaller sizes (the ``--quick`` run: well under a minute).
    backend : str or Backend, optional
        Backend to validate (default: the package default).
    options : dict, optional
        Family options, e.g. ``{"poisson": {"problems": ["gauss3d"], "sizes": [32, 64]}}``.
    progress : bool
        Families with long runs show a progress bar (stderr).
    log : file, optional
        Where to print one line per finished family (e.g. ``sys.stderr``).

    Returns
    -------
    Report

    Raises
    ------
    ValueError
        Unknown family name, or bad family options.
    BackendUnavailableError
        An unknown or unusable `backend`.

    Examples
    --------
    >>> from fieldconv.validation import validate
    >>> report = validate(["savgol"], quick=True, backend="numpy")
    >>> report.exit_code, len(report.failed)
    (0, 0)
    >>> print(report.summary())   # doctest: +ELLIPSIS
    14 checks in 1 family: ALL PASS (... s)
    """
    from ..backend import get_backend

    names = _check_names(families, family_names())
    be = get_backend(backend)
    settings = Settings(quick=bool(quick), backend=backend, progress=progress, options=dict(options or {}))
    registered = registered_families(names)
    t0 = time.perf_counter()
    results = {}
    for i, name in enumerate(names, 1):
        fam = registered[name]
        if log is not None:
            print(f"[{i}/{len(names)}] {name}: {fam.title} ...", file=log, flush=True)
        t = time.perf_counter()
        res = fam.run(settings)
        res.seconds = time.perf_counter() - t
        results[name] = (fam, res)
        if log is not None:
            nf = sum(not c.passed for c in res.checks)
            print(f"      {len(res.checks)} checks, {'all pass' if nf == 0 else f'{nf} FAIL'}, {res.seconds:.1f} s",
                  file=log, flush=True)
    return Report(results, settings, time.perf_counter() - t0, be.name)

