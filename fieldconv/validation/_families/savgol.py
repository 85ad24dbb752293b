"""Savitzky-Golay (:mod:`fieldconv.smoothing`) against polynomials and a Gaussian band.

Polynomial exactness
    A filter of polynomial order ``P`` fits a degree-``P`` polynomial to each
    window, so it returns a degree-``P`` polynomial and its derivatives
    exactly, edges included with ``mode="interp"`` (also on a non-uniform
    axis).  The residual is round-off: ``4 eps kappa sum|c| |y| / |y^(d)|``
    with ``kappa`` the condition number of the window's scaled Vandermonde
    matrix and ``c`` the filter coefficients.
Convergence
    On the band ``exp(-x^2/2)`` with a fixed window of ``w`` samples, the
    error of the ``d``-th derivative falls as ``h^q``: a symmetric window is
    also exact for degree ``P + 1`` when ``P - d`` is even, so
    ``q = P_eff + 1 - d`` with ``P_eff = P + 1`` if ``P - d`` is even, else
    ``P``.
"""

import math

import numpy as np

from ... import smoothing
from .._check import EPS, FamilyResult, Series, error_check, order_check
from .._registry import Family

EXACT = ((11, 2, 0), (11, 4, 0), (11, 4, 1), (11, 4, 2), (21, 5, 3), (31, 6, 2))
CONVERGE = ((11, 2, 0), (11, 4, 0), (11, 3, 1), (11, 4, 1), (11, 4, 2), (15, 6, 2))
ORDER_SLACK = 0.1  # next Taylor term: relative (w h)^2 f^(q+2)/f^(q) <~ 0.05 at N >= 256 on [-8, 8]


def _kappa(w, p):
    m = w // 2
    return float(np.linalg.cond(np.vander(np.arange(-m, m + 1) / m, p + 1)))


def _theory_order(p, d):
    p_eff = p + 1 if (p - d) % 2 == 0 else p
    return p_eff + 1 - d


def _exactness(settings, res, rng):
    n, h = 201, 0.01
    x = (np.arange(n) - n // 2) * h
    for w, p, d in EXACT:
        poly = np.polynomial.Polynomial(rng.standard_normal(p + 1))
        y = poly(x)
        ref = poly.deriv(d)(x) if d else y
        out = settings.host(smoothing.savgol_filter(settings.put(y), w, p, deriv=d, delta=h, backend=settings.backend))
        coef = smoothing.savgol_coeffs(w, p, deriv=d, delta=h)
        tol = 4 * EPS["float64"] * _kappa(w, p) * float(np.abs(coef).sum()) * np.abs(y).max() / np.abs(ref).max()
        err = np.abs(out - ref).max() / np.abs(ref).max()
        res.checks.append(error_check("savgol", f"w={w} P={p} deriv={d}: degree-{p} polynomial",
                                      "rel. max error (edges too)", err, tol, "exact: round-off eps kappa sum|c|"))
    # float32 in, float32 out
    poly = np.polynomial.Polynomial(rng.standard_normal(4))
    y32 = poly(x).astype(np.float32)
    out = smoothing.savgol_filter(settings.put(y32), 11, 3, backend=settings.backend)
    dt = np.dtype(settings.get_backend().to_numpy(out).dtype).name
    ref = y32.astype(np.float64)
    err = np.abs(settings.host(out) - ref).max() / np.abs(ref).max()
    coef = smoothing.savgol_coeffs(11, 3)
    tol = 4 * EPS["float32"] * _kappa(11, 3) * float(np.abs(coef).sum())
    res.checks.append(error_check("savgol", f"w=11 P=3, float32 in, {dt} out: cubic", "rel. max error",
                                  err if dt == "float32" else float("inf"), tol, "float32 round-off eps32 kappa sum|c|"))


def _nonuniform(settings, res, rng):
    xs = np.sort(rng.uniform(-1.0, 1.0, 301))
    poly = np.polynomial.Polynomial(rng.standard_normal(4))
    w, p, d = 11, 3, 1
    worst = 0.0
    for i in range(xs.size - w + 1):
        win = xs[i:i + w]
        r = float(np.abs(win - win[w // 2]).max())
        worst = max(worst, np.linalg.cond(np.vander((win - win[w // 2]) / r, p + 1)) * math.factorial(d) / r**d)
    ref = poly.deriv(d)(xs)
    out = settings.host(smoothing.savgol_filter_nonuniform(settings.put(xs), settings.put(poly(xs)), w, p, deriv=d,
                                                           backend=settings.backend))
    err = np.abs(out - ref).max() / np.abs(ref).max()
    tol = 4 * EPS["float64"] * worst * np.abs(poly(xs)).max() / np.abs(ref).max()
    res.checks.append(error_check("savgol", f"non-uniform axis w={w} P={p} deriv={d}: cubic",
                                  "rel. max error", err, tol, "exact: round-off eps kappa d!/r^d"))


def _convergence(settings, res, sizes):
    box = 16.0
    for w, p, d in CONVERGE:
        q = _theory_order(p, d)
        errs, floors = [], []
        for n in sizes:
            h = box / n
            x = -box / 2 + (np.arange(n) + 0.5) * h
            f = np.exp(-x * x / 2)
            ref = (f, -x * f, (x * x - 1) * f)[d]
            out = settings.host(smoothing.savgol_filter(settings.put(f), w, p, deriv=d, delta=h, backend=settings.backend))
            errs.append(float(np.abs(out - ref).max() / np.abs(ref).max()))
            coef = smoothing.savgol_coeffs(w, p, deriv=d, delta=h)
            floors.append(EPS["float64"] * float(np.abs(coef).sum()) / float(np.abs(ref).max()))
        case = f"w={w} P={p} deriv={d}: exp(-x^2/2)"
        res.checks.append(order_check("savgol", case, sizes, errs, floors, q, q - ORDER_SLACK,
                                      f"h^{q} (P, d parity) - {ORDER_SLACK}"))
        res.series.append(Series(f"P={p} d={d}", list(sizes), errs, panel=f"d{d}", order=q, floor=floors))


def run(settings):
    rng = np.random.default_rng(20261121)
    sizes = (256, 512, 1024) if settings.quick else (256, 512, 1024, 2048, 4096)
    res = FamilyResult(sizes=sizes)
    _exactness(settings, res, rng)
    _nonuniform(settings, res, rng)
    _convergence(settings, res, sizes)
    return res


def plot(result, path):
    from .._plot import plot_family

    axis = "N (samples on [-8, 8], window of 11-15 samples)"
    return plot_family(result, path, title="fieldconv.smoothing: Savitzky-Golay derivatives of exp(-x^2/2)", panels=[
        {"name": "d0", "title": "smoothing (deriv=0)", "ylabel": "relative max error", "xlabel": axis},
        {"name": "d1", "title": "first derivative", "ylabel": "relative max error", "xlabel": axis},
        {"name": "d2", "title": "second derivative", "ylabel": "relative max error", "xlabel": axis},
    ])


FAMILY = Family(
    name="savgol",
    title="savgol_filter and savgol_filter_nonuniform: polynomial exactness, derivative convergence",
    namespace="fieldconv.smoothing",
    run=run,
    plot=plot,
    tolerances=("exactness: round-off 4 eps kappa sum|c| |y|/|y^(d)| (kappa: condition number of the window's scaled "
                "Vandermonde matrix); orders: q = P_eff + 1 - d (P_eff = P + 1 when P - d is even, symmetric window) "
                f"minus {ORDER_SLACK} for the next Taylor term at the coarsest N"),
)
