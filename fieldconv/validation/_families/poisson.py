"""Poisson solvers (:mod:`fieldconv.poisson`): the nine closed-form problems, potential and force.

Runs the study of :mod:`.._study` (every problem of
:data:`fieldconv.validation.PROBLEMS` through the solver configurations it
validates) and judges each (problem, method) by what theory says of it:

spectral accuracy
    Smooth sources with the spectral (Vico-Greengard-Ferrando) or the
    continuous periodic Green's function: error below the Gaussian source's
    spectral tail at the Nyquist wavenumber, ``10 exp(-(pi s/h)^2/2)``
    (times ``pi s/h`` for the force), plus the FFT round-off floor.
exact stencil inverse
    ``discrete-oP`` on the periodic trigonometric sources: the source is an
    eigenmode, so the potential is off by exactly the factor
    ``r = -|m|^2 h^2 / sum_a sigma_P(m_a h)`` and each force component by
    ``r g_P(m_a h)/(m_a h)`` (textbook symbols, :mod:`.._symbols`): the
    error must equal that, and its order be the symbol's.
second order
    Hockney-Eastwood's cell-integrated kernel on smooth sources: order 2
    (midpoint rule), minus 0.25 for the ``O(h^2/s^2)`` next term at ``s/h >= 2``.
    The cell-aligned uniform cube is exact (round-off).
density jumps
    The uniform sphere and the truncated Plummer sphere have a jump in the
    density: ``O(h)`` errors in a surface layer ``O(h)`` thick give an L2
    order of 1.5; minus 0.25.
"""

import math

import numpy as np

from .._check import FamilyResult, error_check, order_check
from .._problems import MODES, PROBLEMS, S
from .._registry import Family
from .._study import (FULL_SIZES, QUICK_SIZES, expected_order, format_table, plot_convergence, run_validation,
                      study_series)
from .._symbols import GRAD_SYMBOL, LAP_SYMBOL

SPECTRAL_SLACK = 10.0  # the tail bound's constant: the aliased Gaussian tail, summed over the images
JUMP_SLACK = SECOND_SLACK = 0.25


def _tail(problem, h):
    if problem.startswith("trig") or problem == "cube3d":
        return 0.0  # band-limited, or exact (the cell-aligned cube)
    return SPECTRAL_SLACK * math.exp(-((math.pi * S / h) ** 2) / 2)


def _symbol_errors(problem, n):
    """Exact relative L2 errors (phi, F) of discrete-oP on a trigonometric eigenmode, per order P."""
    prob = PROBLEMS[problem]
    h = prob.spacing(n)
    ms = MODES[prob.ndim]
    m2 = sum(m * m for m in ms)
    out = {}
    for p in (2, 4, 6):
        r = -m2 * h * h / sum(LAP_SYMBOL[p](m * h) for m in ms)
        gam = [r * GRAD_SYMBOL[p](m * h) / (m * h) for m in ms]
        ef = math.sqrt(sum(m * m * (g - 1) ** 2 for m, g in zip(ms, gam)) / m2)
        out[p] = (abs(r - 1), ef)
    return out


def _judge(res, problem, method, rs):
    ns = [r["N"] for r in rs]
    last = rs[-1]
    case = f"{problem} {method}"
    order = expected_order(problem, method)
    for key, name in (("phi", "phi"), ("F", "F")):
        errs = [r[f"{key}_L2"] for r in rs]
        if not all(math.isfinite(e) for e in errs):
            continue
        floors = [r[f"{key}_floor"] for r in rs]
        q = f"{name} rel. L2 error, N={ns[-1]}"
        if method.startswith("discrete-o"):
            p = order
            pred = [_symbol_errors(problem, n)[p][0 if key == "phi" else 1] for n in ns]
            res.checks.append(error_check("poisson", case, q, errs[-1], pred[-1] + 10 * floors[-1],
                                          "symbol error + round-off"))
            fitted = [n for n, e, f in zip(ns, errs, floors) if e > 100 * f]
            psym = _fit([pred[ns.index(n)] for n in fitted], fitted) if len(fitted) > 1 else p
            res.checks.append(order_check("poisson", case, ns, errs, floors, p, round(psym - 0.02, 2),
                                          "symbol's own order - 0.02", what=f"{name} "))
        elif order is None:  # spectral accuracy, or the exact cube
            tail = _tail(problem, last["h"]) * (1.0 if key == "phi" else math.pi * S / last["h"])
            tol = tail + 10 * floors[-1]
            basis = "spectral tail + round-off" if tail > floors[-1] else "round-off 32 eps log2 M"
            res.checks.append(error_check("poisson", case, q, errs[-1], tol, basis))
        else:
            slack = SECOND_SLACK if order == 2 else JUMP_SLACK
            why = "midpoint rule" if order == 2 else "density jump"
            res.checks.append(order_check("poisson", case, ns, errs, floors, order, order - slack,
                                          f"h^{order:g} ({why}) - {slack}", what=f"{name} "))


def _fit(errs, ns):
    from .._check import fit_order

    return fit_order(ns, errs)


def _float32(settings, res):
    rows = run_validation(sizes=(32,), problems=["trig3d", "gauss2d_log"], dtype=np.float32,
                          backend=settings.backend, progress=False)
    for r in rows:
        if r["method"] in ("continuous", "spectral"):
            res.checks.append(error_check("poisson", f"{r['problem']} {r['method']}, float32",
                                          "phi rel. L2 error, N=32", r["phi_L2"], 10 * r["phi_floor"],
                                          "float32 round-off 32 eps32 log2 M"))


def run(settings):
    sizes = settings.option("poisson", "sizes") or (QUICK_SIZES if settings.quick else FULL_SIZES)
    problems = settings.option("poisson", "problems")
    rows = run_validation(sizes, problems=problems, backend=settings.backend, progress=settings.progress)
    res = FamilyResult(sizes=tuple(sorted(set(int(n) for n in sizes))))
    groups = {}
    for r in rows:
        groups.setdefault((r["problem"], r["method"]), []).append(r)
    for (problem, method), rs in groups.items():
        _judge(res, problem, method, sorted(rs, key=lambda r: r["N"]))
    if problems is None or {"trig3d", "gauss2d_log"} <= set(problems):
        _float32(settings, res)
    res.series = study_series(rows)
    res.rows = rows
    res.details = ("Poisson study: relative L2 and max errors of the potential and the force, observed orders between "
                   "consecutive sizes (shown only above round-off)\n\n" + format_table(rows))
    return res


def plot(result, path):
    return plot_convergence(result.rows, path)


FAMILY = Family(
    name="poisson",
    title="the nine closed-form potentials and forces, periodic and isolated",
    namespace="fieldconv.poisson",
    run=run,
    plot=plot,
    tolerances=("spectral: Gaussian tail 10 exp(-(pi s/h)^2/2) (x pi s/h for F) + 10 x round-off 32 eps log2 M (M: FFT "
                "size, doubled grid when isolated; x k_max |phi|/|F| for F); discrete-oP: the exact symbol error; "
                "integrated: order 2 - 0.25; density jumps: order 1.5 - 0.25"),
)
