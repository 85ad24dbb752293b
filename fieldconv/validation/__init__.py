"""Validation against closed forms: ``fieldconv validate``, the Poisson problems, the demo.

:func:`validate` runs every operator family against closed forms and
returns a :class:`Report` of checks, each with its measured value, its
tolerance, where that tolerance comes from, and a PASS/FAIL verdict; the
command ``fieldconv validate`` prints it, writes a figure per family and
exits with status 1 when any check fails.  A family is one small module
(``_families/<name>.py``) registered in ``_registry.FAMILY_MODULES``; the
particle-mesh family (``pm``) joins where ``fieldconv.pm`` is installed.

:data:`PROBLEMS` are densities with known potentials and forces
(:mod:`._problems`); :func:`run_validation` runs them through the Poisson
solver configurations they validate (:mod:`._study`); :func:`run_demo` is
the tour of the FFT backends behind ``fieldconv demo`` (:mod:`._demo`); :func:`warmup` compiles the numba kernels
and plans the FFTs a job will use, behind ``fieldconv warmup``
(:mod:`._warmup`).

Examples
--------
>>> from fieldconv.validation import PROBLEMS, family_names
>>> sorted(PROBLEMS)[:3]
['cube3d', 'gauss2d_log', 'gauss3d']
>>> family_names()[:5]
('stencil', 'savgol', 'convolution', 'assign', 'poisson')
"""

from ._check import Check, FamilyResult, Series, fit_order
from ._demo import run_demo
from ._problems import PROBLEMS, Problem
from ._registry import Family, Settings, family_names, registered_families
from ._report import LEGEND, Report, validate
from ._study import FULL_SIZES, QUICK_SIZES, format_table, observed_orders, plot_convergence, run_validation
from ._warmup import WARMUP_FAMILIES, warmup

__all__ = [
    "validate",
    "Report",
    "Check",
    "Series",
    "FamilyResult",
    "Family",
    "Settings",
    "family_names",
    "registered_families",
    "fit_order",
    "LEGEND",
    "PROBLEMS",
    "Problem",
    "run_validation",
    "format_table",
    "plot_convergence",
    "observed_orders",
    "QUICK_SIZES",
    "FULL_SIZES",
    "run_demo",
    "warmup",
    "WARMUP_FAMILIES",
]
