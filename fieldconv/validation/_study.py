"""The Poisson validation study behind ``fieldconv validate``.

Runs every problem of :data:`fieldconv.validation.PROBLEMS` through the solver
configurations it validates, for a sequence of grid sizes, and reports the
relative L2 and max errors of the potential and of the force, with the
observed convergence order between consecutive sizes
``p = log(e(N1)/e(N2)) / log(N2/N1)``, shown only where both errors are
above 100 times their round-off floor (``phi_floor``, ``F_floor``: FFT
round-off ``32 eps log2 M`` for an FFT of M points, times the derivative's
amplification ``k_max max|phi| / max|F|`` for the force).

Errors: ``L2 = ||phi - phi_ref||_2 / ||phi_ref||_2`` and
``max = max|phi - phi_ref| / max|phi_ref|`` over the grid; forces use the
vector norm summed over components.  Forces are differentiated spectrally
for the spectral and continuous Green's functions, by second-order central
differences for "integrated", and by the matching order for "discrete".

Examples
--------
>>> from fieldconv.validation import run_validation, format_table
>>> rows = run_validation(sizes=(8, 16), problems=["trig1d"], progress=False)
>>> rows[0]["problem"], rows[0]["method"], rows[0]["N"]
('trig1d', 'continuous', 8)
>>> rows[0]["phi_L2"] < 1e-14
True
"""

import math
import numbers

import numpy as np

from ..poisson import PoissonSolver
from ._check import EPS, ROUNDOFF_MARGIN, Series
from ._problems import PROBLEMS

__all__ = ["run_validation", "format_table", "plot_convergence", "observed_orders", "study_series", "expected_order",
           "QUICK_SIZES", "FULL_SIZES"]

QUICK_SIZES = (32, 64)
FULL_SIZES = (32, 64, 128)


def _label(green, opts):
    if "order" in opts:
        return f"{green}-o{opts['order']}"
    return green


def _rel(err_sq, ref_sq):
    return math.sqrt(err_sq / ref_sq) if ref_sq > 0 else math.sqrt(err_sq)


def run_validation(sizes=FULL_SIZES, *, problems=None, dtype=np.float64, backend="numpy", progress=True):
    """Run the study; return a list of result rows (dicts).

    Parameters
    ----------
    sizes : sequence of int
        Cells per axis (increasing).
    problems : sequence of str, optional
        Names from :data:`fieldconv.validation.PROBLEMS`; default all.
    dtype : {float64, float32}
    backend : str or Backend
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of dict
        Keys ``problem, method, N, phi_L2, phi_max, F_L2, F_max, seconds``
        (force entries NaN where the problem has no closed-form force), and
        ``phi_floor, F_floor`` (round-off floors of the relative errors),
        ``h`` (cell size), ``dtype``.

    Raises
    ------
    TypeError
        `sizes` is not a sequence of integers (a string, a float such as 8.5
        or 8.0, a bool).
    ValueError
        Unknown problem name, no size, or a size below 4.

    Examples
    --------
    >>> rows = run_validation(sizes=(16,), problems=["gauss2d_log"], progress=False)
    >>> [r["method"] for r in rows]
    ['spectral', 'integrated']
    """
    import time

    names = list(PROBLEMS) if problems is None else list(problems)
    for n in names:
        if n not in PROBLEMS:
            raise ValueError(f"problems must be names from {sorted(PROBLEMS)}; got {n!r}")
    sizes = _check_sizes(sizes)
    jobs = [(PROBLEMS[n], g, o, N) for n in names for (g, o) in PROBLEMS[n].methods for N in sizes]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="validate", unit="solve")
    rows = []
    for prob, green, opts, N in jobs:
        t0 = time.perf_counter()
        h = prob.spacing(N)
        x = prob.coords(N)
        rho = prob.density(x).astype(dtype)
        diff = "spectral" if green in ("spectral", "continuous") else "fd"
        solver = PoissonSolver(
            (N,) * prob.ndim, h, bc=prob.bc, kernel=prob.kernel, green=green, differencing=diff,
            order=opts.get("order", 2), dtype=dtype, backend=backend,
        )
        has_force = prob._force is not None or prob._dphi_dr is not None
        if has_force:
            phi, forces = solver.solve_forces(rho)
        else:
            phi, forces = solver.solve(rho), None
        phi = np.asarray(phi, dtype=np.float64)
        ref = prob.potential(x)
        row = {
            "problem": prob.name,
            "method": _label(green, opts),
            "N": N,
            "phi_L2": _rel(np.sum((phi - ref) ** 2), np.sum(ref**2)),
            "phi_max": float(np.max(np.abs(phi - ref)) / np.max(np.abs(ref))),
            "F_L2": float("nan"),
            "F_max": float("nan"),
        }
        if forces is not None:
            fref = prob.force(x)
            e2 = sum(np.sum((np.asarray(f, dtype=np.float64) - r) ** 2) for f, r in zip(forces, fref))
            r2 = sum(np.sum(r**2) for r in fref)
            row["F_L2"] = _rel(e2, r2)
            emax = max(float(np.max(np.abs(np.asarray(f, dtype=np.float64) - r))) for f, r in zip(forces, fref))
            row["F_max"] = emax / max(float(np.max(np.abs(r))) for r in fref)
        row.update(_floors(prob, N, h, ref, fref if forces is not None else None, dtype))
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        if bar is not None:
            bar.set_postfix_str(f"{prob.name} {row['method']} N={N}")
            bar.update(1)
    if bar is not None:
        bar.close()
    return rows


def _check_sizes(sizes):
    """`sizes` as a list of Python ints >= 4; a string, float or bool is refused, never truncated."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of integers; got {sizes!r}")
    sizes = list(sizes)
    bad = [n for n in sizes if isinstance(n, bool) or not isinstance(n, numbers.Integral)]
    if bad:
        raise TypeError(f"sizes must be a sequence of integers; got {bad[0]!r} in {sizes!r}")
    sizes = [int(n) for n in sizes]
    if not sizes:
        raise ValueError("sizes must hold at least one size; got an empty sequence")
    if any(n < 4 for n in sizes):
        raise ValueError(f"sizes must be >= 4; got {sizes}")
    return sizes


#: The error columns of a study row (``observed_orders``' `key`).
ERROR_KEYS = ("phi_L2", "phi_max", "F_L2", "F_max")


def _check_rows(rows, needed):
    """`rows` as a list of dicts holding the keys `needed`; ValueError naming rows otherwise."""
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a list of study rows (dicts) from run_validation; got {type(rows).__name__}")
    rows = list(rows)
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise TypeError(f"rows must be a list of study rows (dicts) from run_validation; "
                            f"rows[{i}] is {type(r).__name__}")
        missing = [k for k in needed if k not in r]
        if missing:
            raise ValueError(f"rows must be study rows from run_validation; rows[{i}] lacks {missing}")
    return rows


def _floors(prob, n, h, ref, fref, dtype):
    """Round-off floors of the relative potential and force errors of one solve."""
    m = (2 * n if prob.bc == "isolated" else n) ** prob.ndim  # isolated: FFTs on the doubled grid
    phi = 32 * EPS[np.dtype(dtype).name] * math.log2(m)  # forward + inverse FFT, c eps log2 M with c <= 32
    out = {"phi_floor": phi, "F_floor": float("nan"), "h": h, "dtype": np.dtype(dtype).name}
    if fref is not None:
        fmax = max(float(np.max(np.abs(r))) for r in fref)
        out["F_floor"] = phi * (math.pi / h) * float(np.max(np.abs(ref))) / fmax  # i k amplifies by k_max
    return out


def observed_orders(rows, key="phi_L2"):
    """Observed order between consecutive sizes, per (problem, method).

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`run_validation`.
    key : {"phi_L2", "phi_max", "F_L2", "F_max"}
        The error column.

    Returns
    -------
    dict
        ``{(problem, method): [p_1, p_2, ...]}``; NaN where either error is
        within 100 times its round-off floor (the row's ``phi_floor`` or
        ``F_floor``; 1e-15 when the row has none), since no order is
        measurable there.

    Examples
    --------
    >>> rows = [dict(problem="a", method="m", N=16, phi_L2=4e-4), dict(problem="a", method="m", N=32, phi_L2=1e-4)]
    >>> observed_orders(rows)
    {('a', 'm'): [2.0]}

    Raises
    ------
    ValueError
        `key` is not an error column, or a row lacks ``problem``, ``method``,
        ``N`` or `key`.
    TypeError
        `rows` is not a list of dicts.
    """
    if key not in ERROR_KEYS:
        raise ValueError(f"key must be one of {list(ERROR_KEYS)}; got {key!r}")
    rows = _check_rows(rows, ("problem", "method", "N", key))
    groups = {}
    for r in rows:
        groups.setdefault((r["problem"], r["method"]), []).append(r)
    out = {}
    for key2, rs in groups.items():
        rs = sorted(rs, key=lambda r: r["N"])
        ps = []
        for a, b in zip(rs[:-1], rs[1:]):
            ea, eb = a[key], b[key]
            fa, fb = (r.get(key.split("_")[0] + "_floor", 1e-15) for r in (a, b))
            if not (ea > ROUNDOFF_MARGIN * fa and eb > ROUNDOFF_MARGIN * fb):
                ps.append(float("nan"))
            else:
                ps.append(round(math.log(ea / eb) / math.log(b["N"] / a["N"]), 4))
        out[key2] = ps
    return out


def format_table(rows):
    """The study as a fixed-width text table (one line per problem/method/N).

    Examples
    --------
    >>> print(format_table([dict(problem="a", method="m", N=16, phi_L2=1e-3, phi_max=2e-3,
    ...                          F_L2=float("nan"), F_max=float("nan"), seconds=0.1)]).splitlines()[0])
    problem      method          N    phi_L2    phi_max   order_phi  F_L2      F_max     order_F   seconds

    Raises
    ------
    ValueError
        A row lacks one of the columns of :func:`run_validation`.
    TypeError
        `rows` is not a list of dicts.
    """
    rows = _check_rows(rows, ("problem", "method", "N", *ERROR_KEYS, "seconds"))
    po = observed_orders(rows, "phi_L2")
    fo = observed_orders(rows, "F_L2")
    lines = [
        f"{'problem':12s} {'method':13s} {'N':>4s}    {'phi_L2':9s} {'phi_max':9s} {'order_phi':>9s}  "
        f"{'F_L2':9s} {'F_max':9s} {'order_F':>7s}   seconds"
    ]
    seen = {}
    for r in rows:
        key = (r["problem"], r["method"])
        i = seen.get(key, -1)
        seen[key] = i + 1
        p = po[key][i] if i >= 0 else float("nan")
        q = fo[key][i] if i >= 0 else float("nan")

        def f(v):
            return f"{v:9.2e}" if math.isfinite(v) else f"{'-':>9s}"

        def o(v, w):
            return f"{v:{w}.2f}" if math.isfinite(v) else f"{'-':>{w}s}"

        lines.append(
            f"{r['problem']:12s} {r['method']:13s} {r['N']:4d}    {f(r['phi_L2'])} {f(r['phi_max'])} {o(p, 9)}  "
            f"{f(r['F_L2'])} {f(r['F_max'])} {o(q, 7)}   {r['seconds']:7.2f}"
        )
    return "\n".join(lines)


def study_series(rows):
    """Series of the study's figure: potential and force errors per problem and method."""
    groups = {}
    for r in rows:
        groups.setdefault((r["problem"], r["method"]), []).append(r)
    out = []
    for (problem, method), rs in groups.items():
        rs = sorted(rs, key=lambda r: r["N"])
        ns = [r["N"] for r in rs]
        order = expected_order(problem, method)
        for key, style in (("phi", "o-"), ("F", "s--")):
            ys = [r[f"{key}_L2"] for r in rs]
            if all(math.isfinite(y) for y in ys):
                out.append(Series(f"{key} {method}", ns, ys, panel=problem, order=order, group=method, style=style,
                                  floor=[r.get(f"{key}_floor", 0.0) for r in rs]))
    return out


def expected_order(problem, method):
    """The asymptotic order of a (problem, method) pair, or None for spectral accuracy."""
    if method.startswith("discrete-o"):
        return int(method[len("discrete-o"):])
    if problem == "cube3d":
        return None  # the cell-aligned cube with the cell-integrated kernel is exact
    if not PROBLEMS[problem].smooth:
        return 1.5  # a density jump: O(h) errors in a surface layer of O(h) cells
    if method == "integrated":
        return 2
    return None


def plot_convergence(rows, path):
    """Write the study's figure (relative L2 errors of phi and F against N, one panel per problem) to `path` (PNG).

    Reference slopes ``N^-p`` accompany the algebraically converging methods;
    the grid sizes are the ticks; dotted lines are round-off floors.

    Raises
    ------
    ValueError
        A row lacks one of the columns of :func:`run_validation`.
    TypeError
        `rows` is not a list of dicts.
    """
    rows = _check_rows(rows, ("problem", "method", "N", *ERROR_KEYS))
    from ._check import FamilyResult
    from ._plot import plot_family

    res = FamilyResult(series=study_series(rows))
    panels = [{"name": name, "title": f"{name} ({PROBLEMS[name].bc}, {PROBLEMS[name].kernel})",
               "ylabel": "relative L2 error"} for name in dict.fromkeys(r["problem"] for r in rows)]
    return plot_family(res, path, title="fieldconv.poisson: potentials phi and forces F against closed forms",
                       panels=panels)
