"""The Poisson validation study behind ``fieldconv validate``.

Runs every problem of :data:`fieldconv.validation.PROBLEMS` through the solver
configurations it validates, for a sequence of grid sizes, and reports the
relative L2 and max errors of the potential and of the force, with the
observed convergence order between consecutive sizes
``p = log(e(N1)/e(N2)) / log(N2/N1)``.

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

import numpy as np

from ..poisson import PoissonSolver
from ._problems import PROBLEMS

__all__ = ["run_validation", "format_table", "plot_convergence", "observed_orders", "QUICK_SIZES", "FULL_SIZES"]

QUICK_SIZES = (16, 32)
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
        (force entries NaN where the problem has no closed-form force).

    Raises
    ------
    ValueError
        Unknown problem name, or a size below 4.

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
    sizes = [int(n) for n in sizes]
    if any(n < 4 for n in sizes):
        raise ValueError(f"sizes must be >= 4; got {sizes}")
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
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        if bar is not None:
            bar.set_postfix_str(f"{prob.name} {row['method']} N={N}")
            bar.update(1)
    if bar is not None:
        bar.close()
    return rows


def observed_orders(rows, key="phi_L2"):
    """Observed order between consecutive sizes, per (problem, method).

    Returns
    -------
    dict
        ``{(problem, method): [p_1, p_2, ...]}``; NaN where an error is zero
        or at round-off (below 1e-13), since no order is measurable there.

    Examples
    --------
    >>> rows = [dict(problem="a", method="m", N=16, phi_L2=4e-4), dict(problem="a", method="m", N=32, phi_L2=1e-4)]
    >>> observed_orders(rows)
    {('a', 'm'): [2.0]}
    """
    groups = {}
    for r in rows:
        groups.setdefault((r["problem"], r["method"]), []).append(r)
    out = {}
    for key2, rs in groups.items():
        rs = sorted(rs, key=lambda r: r["N"])
        ps = []
        for a, b in zip(rs[:-1], rs[1:]):
            ea, eb = a[key], b[key]
            if not (ea > 1e-13 and eb > 1e-13) or not (math.isfinite(ea) and math.isfinite(eb)):
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
    """
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


def plot_convergence(rows, path):
    """Write the convergence plot (relative L2 potential error vs N, log-log) to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {}
    for r in rows:
        groups.setdefault(r["problem"], {}).setdefault(r["method"], []).append(r)
    names = list(groups)
    ncol = 3
    nrow = math.ceil(len(names) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 3.2 * nrow), squeeze=False)
    for ax, name in zip(axes.flat, names):
        for method, rs in groups[name].items():
            rs = sorted(rs, key=lambda r: r["N"])
            ns = [r["N"] for r in rs]
            es = [max(r["phi_L2"], 1e-17) for r in rs]
            ax.loglog(ns, es, "o-", label=method)
        ax.set_ylim(bottom=1e-17)
        ax.set_title(name)
        ax.set_xlabel("N")
        ax.set_ylabel("relative L2 error of phi")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
