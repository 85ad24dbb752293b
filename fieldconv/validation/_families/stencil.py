"""Stencils and spectral derivatives (:mod:`fieldconv.stencil`) against closed forms.

Finite differences
    The Laplacian (3-D) and the gradient (each axis of a 3-D field) of
    orders 2, 4, 6 on the periodic product mode
    ``f = sin(x) cos(2y) sin(3z)`` on ``[0, 2 pi)^3``, cell-centred, the
    phases built exactly from integers (``pi (m (2i+1) mod 2n) / n``).  A
    Fourier mode is an eigenvector of a periodic stencil, so the error is
    known in closed form from the stencil's symbol (the textbook weights,
    written out here independently of :mod:`fieldconv._fdcoeffs`):
    the measured error must equal it to round-off, and the observed order
    must be that of the symbol.  Dirichlet and Neumann faces are checked on
    their eigenmodes ``sin((j+1/2) pi q/n)``, ``cos((j+1/2) pi q/n)``.
Spectral
    ``spectral_gradient`` and ``spectral_laplacian`` of ``exp(sin x)``, whose
    Fourier coefficients are ``2 I_m(1)`` (modified Bessel): the error of the
    trigonometric interpolant's derivative is bounded by the dropped and
    aliased tail ``sum_{m >= N/2} 4 I_m(1) m^d``, plus round-off.  Exponential
    convergence, so no order is fitted.
"""

import math

import numpy as np
from scipy import special

from ... import stencil
from .._check import EPS, FamilyResult, Series, above_roundoff, error_check, fit_order, order_check
from .._registry import Family
from .._symbols import GRAD_ABS, GRAD_SYMBOL, LAP_ABS, LAP_SYMBOL

MODES = (1, 2, 3)
M2 = sum(m * m for m in MODES)

TOL_FD = ("the error of a Fourier mode is known exactly from the stencil's symbol: tolerance = that error + "
          "10 x the round-off floor eps sum|c| / (h^d |m|^d); orders: the order the symbol itself shows over "
          "the same N, minus 0.02 (round-off in the fitted points shifts the slope by < 0.015)")
TOL_SPEC = ("spectral: aliased tail sum_{m>=N/2} 4 I_m(1) m^d of exp(sin x) plus FFT round-off "
            "eps log2(N) k_max^d |f| / |f^(d)|")


def _phase(n, m):
    i = np.arange(n)
    return ((m * (2 * i + 1)) % (2 * n)) * math.pi / n  # exact to rounding: m (i + 1/2) 2 pi / n


def _mode3d(n):
    s = [np.sin(_phase(n, m)) for m in MODES]
    c = [np.cos(_phase(n, m)) for m in MODES]
    f = s[0][:, None, None] * c[1][None, :, None] * s[2][None, None, :]
    grads = (c[0][:, None, None] * c[1][None, :, None] * s[2][None, None, :] * MODES[0],
             s[0][:, None, None] * -s[1][None, :, None] * s[2][None, None, :] * MODES[1],
             s[0][:, None, None] * c[1][None, :, None] * c[2][None, None, :] * MODES[2])
    return f, grads


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _finite(settings, res, sizes):
    fam = "stencil"
    for order in (2, 4, 6):
        lap_e, lap_p, lap_f, gr_e, gr_p, gr_f = [], [], [], [], [], []
        for n in sizes:
            h = 2 * math.pi / n
            f, grads = _mode3d(n)
            L = settings.host(stencil.laplacian(settings.put(f), h, order=order, backend=settings.backend))
            lap_e.append(_rel(L, -M2 * f))
            lap_p.append(abs(sum(LAP_SYMBOL[order](m * h) for m in MODES) / h**2 + M2) / M2)
            lap_f.append(EPS["float64"] * 3 * LAP_ABS[order] / (h * h * M2))
            G = settings.host(stencil.gradient(settings.put(f), h, order=order, backend=settings.backend))
            gr_e.append(max(_rel(g, r) for g, r in zip(G, grads)))
            gr_p.append(max(abs(GRAD_SYMBOL[order](m * h) / (m * h) - 1) for m in MODES))
            gr_f.append(max(EPS["float64"] * 2 * GRAD_ABS[order] / (h * m) for m in MODES))
        for what, e, pred, floor in (("laplacian", lap_e, lap_p, lap_f), ("gradient", gr_e, gr_p, gr_f)):
            case = f"{what} order {order}, periodic 3-D"
            res.checks.append(error_check(fam, case, f"rel. max error, N={sizes[-1]}", e[-1],
                                          pred[-1] + 10 * floor[-1], "symbol error + round-off"))
            fitted = above_roundoff(sizes, e, floor)
            p_sym = fit_order(fitted, [p for n, p in zip(sizes, pred) if n in fitted]) if len(fitted) > 1 else order
            res.checks.append(order_check(fam, case, sizes, e, floor, order, round(p_sym - 0.02, 2),
                                          "symbol's own order - 0.02"))
            res.series.append(Series(f"{what} o{order}", list(sizes), e, panel=what, order=order, floor=floor))


def _boundary(settings, res, n=32):
    # eigenmodes of the second-order Laplacian with mirrored ghosts: sin((j+1/2) pi q/n) (Dirichlet faces),
    # cos((j+1/2) pi q/n) (Neumann faces); eigenvalue (2 cos(pi q/n) - 2)/h^2 per axis
    h = 1.0 / n
    j = np.arange(n) + 0.5
    qs = (1, 2, 3)
    for bc, fn in (("dirichlet", np.sin), ("neumann", np.cos)):
        f = fn(np.pi * qs[0] * j / n)[:, None, None] * fn(np.pi * qs[1] * j / n)[None, :, None] * \
            fn(np.pi * qs[2] * j / n)[None, None, :]
        lam = sum(2 * math.cos(math.pi * q / n) - 2 for q in qs) / h**2
        L = settings.host(stencil.laplacian(settings.put(f), h, order=2, bc=bc, backend=settings.backend))
        floor = EPS["float64"] * 3 * LAP_ABS[2] / (h * h * abs(lam))
        res.checks.append(error_check("stencil", f"laplacian order 2, {bc} faces 3-D", f"eigenmode rel. error, N={n}",
                                      _rel(L, lam * f), 10 * floor, "exact eigenmode: round-off"))


def _exp_sin(n):
    h = 2 * math.pi / n
    x = (np.arange(n) + 0.5) * h
    f = np.exp(np.sin(x))
    return h, f, np.cos(x) * f, (np.cos(x) ** 2 - np.sin(x)) * f


def _tail(n, d):
    m = np.arange(n // 2, n // 2 + 60)
    return float(np.sum(4 * special.iv(m, 1.0) * m.astype(float) ** d))


def _spectral(settings, res, sizes):
    fam = "stencil"
    fmax = math.e
    for d, name in ((1, "spectral_gradient"), (2, "spectral_laplacian")):
        errs, bounds = [], []
        for n in sizes:
            h, f, d1, d2 = _exp_sin(n)
            ref = d1 if d == 1 else d2
            if d == 1:
                out = stencil.spectral_gradient(settings.put(f), h, axis=0, backend=settings.backend)
            else:
                out = stencil.spectral_laplacian(settings.put(f), h, backend=settings.backend)
            errs.append(_rel(settings.host(out), ref))
            rmax = float(np.max(np.abs(ref)))
            roundoff = EPS["float64"] * math.log2(n) * (n / 2) ** d * fmax / rmax
            bounds.append((_tail(n, d) / rmax + roundoff, roundoff))
        case = f"{name} of exp(sin x), 1-D"
        worst = max(e / b for e, (b, _) in zip(errs, bounds))
        res.checks.append(error_check(fam, case, f"error / bound, max N={sizes[0]}-{sizes[-1]}", worst, 1.0,
                                      "aliased tail + round-off"))
        res.checks.append(error_check(fam, case, f"rel. max error, N={sizes[-1]}", errs[-1], bounds[-1][0],
                                      "round-off eps log2N k_max^d"))
        res.series.append(Series(name, list(sizes), errs, panel="spectral", floor=[b for _, b in bounds],
                                 reference=(list(sizes), [b for b, _ in bounds])))
    # float32 in, float32 out, at float32 round-off: a band-limited 3-D mode
    n = 32
    h = 2 * math.pi / n
    f, grads = _mode3d(n)
    out = stencil.spectral_gradient(settings.put(f, np.float32), h, axis=2, backend=settings.backend)
    dt = np.dtype(settings.get_backend().to_numpy(out).dtype).name
    err = _rel(settings.host(out), grads[2])
    bound = EPS["float32"] * math.log2(n**3) * (n / 2) / MODES[2]
    res.checks.append(error_check(fam, f"spectral_gradient, float32 in, {dt} out, 3-D", f"rel. max error, N={n}",
                                  err if dt == "float32" else float("inf"), bound, "float32 round-off eps32 log2(N^3) k_max/m"))


def run(settings):
    quick = settings.quick
    res = FamilyResult(sizes=(16, 32, 64) if quick else (16, 32, 64, 128))
    _finite(settings, res, res.sizes)
    _boundary(settings, res)
    _spectral(settings, res, (8, 12, 16, 24, 32, 48, 64) if quick else (8, 12, 16, 24, 32, 48, 64, 128, 256))
    return res


def plot(result, path):
    from .._plot import plot_family

    return plot_family(result, path, title="fieldconv.stencil: finite differences and spectral derivatives", panels=[
        {"name": "laplacian", "title": "Laplacian, orders 2/4/6 (3-D mode)", "ylabel": "relative max error"},
        {"name": "gradient", "title": "Gradient, orders 2/4/6 (3-D mode)", "ylabel": "relative max error"},
        {"name": "spectral", "title": "Spectral derivatives of exp(sin x)\n(thin line: aliasing + round-off bound)",
         "ylabel": "relative max error", "xlabel": "N (points)"},
    ])


FAMILY = Family(
    name="stencil",
    title="finite-difference and spectral derivatives against exact symbols and Bessel series",
    namespace="fieldconv.stencil",
    run=run,
    plot=plot,
    tolerances=TOL_FD + "; " + TOL_SPEC,
)
