"""Validation against closed forms: the Poisson problems, the study behind ``fieldconv validate``, the demo.

:data:`PROBLEMS` are densities with known potentials and forces
(:mod:`._problems`); :func:`run_validation` runs them through the solver
configurations they validate and reports errors and convergence orders
(:mod:`._study`); :func:`run_demo` is the tour of the FFT backends behind
``fieldconv demo`` (:mod:`._demo`).  Slow studies live in the repository's
``validation/`` folder.

Examples
--------
>>> from fieldconv.validation import PROBLEMS
>>> sorted(PROBLEMS)[:3]
['cube3d', 'gauss2d_log', 'gauss3d']
"""

from ._demo import run_demo
from ._problems import PROBLEMS, Problem
from ._study import FULL_SIZES, QUICK_SIZES, format_table, observed_orders, plot_convergence, run_validation

__all__ = ["PROBLEMS", "Problem", "run_validation", "format_table", "plot_convergence", "observed_orders",
           "QUICK_SIZES", "FULL_SIZES", "run_demo"]
