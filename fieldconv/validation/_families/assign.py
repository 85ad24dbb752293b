"""Mass assignment (:mod:`fieldconv.assign`): windows against their analytic transfer functions.

Transfer function
    A particle at ``x`` paints ``rho_j = W_p(x_j - x)`` (``W_p`` the p-fold box,
    cell centres ``x_j = (j + 1/2) h``).  Its DFT times ``exp(i k x)`` is
    ``sum_j W_p(x_j - x) exp(-i k (x_j - x))``, periodic in ``x`` with period
    ``h``; its average over one cell is exactly the window's Fourier
    transform ``sinc(k h/2)^p`` (no aliasing).  The average is computed
    with Gauss-Legendre nodes on each half cell, where the integrand is a
    polynomial times an exponential (quadrature error < 1e-19 with 8 nodes),
    by painting all nodes at once with weights ``w_q cos(k x_q)`` and
    ``w_q sin(k x_q)``.  The readout (the adjoint) gives the same average
    from the mode ``exp(i k x_j)``.
Readout accuracy
    Reading out a smooth field with a window of order ``p >= 2`` is second
    order (``W_p`` reproduces linear functions); NGP is first order.
"""


import numpy as np

from ... import assign
from .._check import EPS, FamilyResult, Series, error_check, order_check
from .._registry import Family

SCHEMES = (("ngp", 1), ("cic", 2), ("tsc", 3), ("pcs", 4))
READOUT_MODES = (1, 1, 2)
ORDER_SLACK = 0.1  # next term of the window's expansion, relative (k h)^2/10 <~ 0.06 at N >= 16 (k h <= 0.79)


def _nodes(h, m):
    """Gauss-Legendre nodes and weights (summing to 1) on the two half cells of [0, h)."""
    xg, wg = np.polynomial.legendre.leggauss(m)
    x = np.concatenate([a + (xg + 1) * h / 4 for a in (0.0, h / 2)])
    w = np.concatenate([wg / 4, wg / 4])
    return x, w


def _transfer_1d(settings, scheme, n, m=12, dtype=np.float64):
    h = 1.0 / n
    x, w = _nodes(h, m)
    xj = (np.arange(n) + 0.5) * h
    k = 2 * np.pi * np.arange(n // 2 + 1)  # box 1: k = 2 pi q, up to Nyquist
    pos = settings.put(x[:, None], dtype)
    paint_w, read_w = [], []
    for kk in k:
        parts = [settings.host(assign.paint(pos, box_size=1.0, shape=(n,), scheme=scheme,
                                            weights=settings.put(w * fn(kk * x), dtype), backend=settings.backend))
                 for fn in (np.cos, np.sin)]
        paint_w.append(np.sum((parts[0] + 1j * parts[1]) * np.exp(-1j * kk * xj)))
        ro = [settings.host(assign.readout(settings.put(fn(kk * xj), dtype), pos, box_size=1.0, scheme=scheme,
                                           backend=settings.backend)) for fn in (np.cos, np.sin)]
        read_w.append(np.sum(w * (ro[0] + 1j * ro[1]) * np.exp(-1j * kk * x)))
    return k * h, np.array(paint_w), np.array(read_w), x.size


def _transfer_3d(settings, scheme, n=32, m=8):
    h = 1.0 / n
    x, w = _nodes(h, m)
    X = np.stack(np.meshgrid(x, x, x, indexing="ij"), -1).reshape(-1, 3)
    Wq = np.multiply.outer(np.multiply.outer(w, w), w).ravel()
    xj = (np.arange(n) + 0.5) * h
    pos = settings.put(X)
    worst = 0.0
    p = dict(SCHEMES)[scheme]
    for q in ((1, 2, 3), (5, 0, 7), (9, 4, 13), (n // 2, n // 2, n // 2)):
        kv = 2 * np.pi * np.array(q, dtype=np.float64)
        phase = X @ kv
        parts = [settings.host(assign.paint(pos, box_size=1.0, shape=(n,) * 3, scheme=scheme,
                                            weights=settings.put(Wq * fn(phase)), backend=settings.backend))
                 for fn in (np.cos, np.sin)]
        e = [np.exp(-1j * ka * xj) for ka in kv]
        dft = np.einsum("ijk,i,j,k->", parts[0] + 1j * parts[1], *e)
        exact = np.prod(np.sinc(kv * h / (2 * np.pi)) ** p)
        worst = max(worst, abs(dft - exact))
    return worst, X.shape[0]


def _transfer(settings, res, n):
    for scheme, p in SCHEMES:
        kh, wp, wr, npart = _transfer_1d(settings, scheme, n)
        exact = np.sinc(kh / (2 * np.pi)) ** p
        tol = EPS["float64"] * (npart * p + 2 * n)  # sums of npart * p taps, then an n-term DFT
        res.checks.append(error_check("assign", f"paint {scheme}, 1-D, all k up to Nyquist",
                                      f"max |W - sinc^{p}(kh/2)|, N={n}", np.abs(wp - exact).max(), tol,
                                      "exact average: round-off"))
        res.checks.append(error_check("assign", f"readout {scheme} (adjoint), 1-D, all k",
                                      f"max |W - sinc^{p}(kh/2)|, N={n}", np.abs(wr - exact).max(), tol,
                                      "exact average: round-off"))
        fine = np.linspace(0, np.pi, 200)
        res.series.append(Series(scheme.upper(), list(kh), list(np.abs(wp)), panel="transfer",
                                 reference=(list(fine), list(np.sinc(fine / (2 * np.pi)) ** p))))
        if not settings.quick:
            worst, npart3 = _transfer_3d(settings, scheme)
            res.checks.append(error_check("assign", f"paint {scheme}, 3-D, 4 wavevectors incl. Nyquist corner",
                                          f"max |W - prod sinc^{p}|, N=32", worst,
                                          EPS["float64"] * (npart3 * p**3 + 3 * 32**3), "exact average: round-off"))
    kh, wp, _, npart = _transfer_1d(settings, "cic", n, dtype=np.float32)
    out = assign.paint(settings.put(np.zeros((1, 1)), np.float32), box_size=1.0, shape=(n,), scheme="cic",
                       backend=settings.backend)
    dt = np.dtype(settings.get_backend().to_numpy(out).dtype).name
    err = np.abs(wp - np.sinc(kh / (2 * np.pi)) ** 2).max()
    res.checks.append(error_check("assign", f"paint cic, float32 in, {dt} out, 1-D", f"max |W - sinc^2(kh/2)|, N={n}",
                                  err if dt == "float32" else float("inf"), EPS["float32"] * (npart * 2 + 2 * n),
                                  "float32 round-off"))
    k = 2 * np.pi * np.fft.fftfreq(n, 1.0 / n)
    kg = np.meshgrid(k, k, k, indexing="ij", sparse=True)
    worst = 0.0
    for scheme, p in SCHEMES:
        got = settings.host(assign.window(tuple(settings.put(g) for g in kg), scheme, 1.0 / n, backend=settings.backend))
        exact = np.sinc(kg[0] / (2 * np.pi * n)) ** p * np.sinc(kg[1] / (2 * np.pi * n)) ** p * np.sinc(kg[2] / (2 * np.pi * n)) ** p
        worst = max(worst, float(np.abs(got - exact).max()))
    res.checks.append(error_check("assign", "window(k), 4 schemes, 3-D k grid", f"max |W - prod sinc^p|, N={n}", worst,
                                  16 * EPS["float64"], "same closed form: round-off"))


def _readout_orders(settings, res, sizes):
    rng = np.random.default_rng(20261121)
    pos = rng.random((20000, 3))
    kv = 2 * np.pi * np.array(READOUT_MODES, dtype=np.float64)
    exact = np.sin(pos @ kv)
    for scheme, p in SCHEMES:
        errs = []
        for n in sizes:
            xj = (np.arange(n) + 0.5) / n
            mesh = np.sin(kv[0] * xj[:, None, None] + kv[1] * xj[None, :, None] + kv[2] * xj[None, None, :])
            got = settings.host(assign.readout(settings.put(mesh), settings.put(pos), box_size=1.0, scheme=scheme,
                                               backend=settings.backend))
            errs.append(float(np.abs(got - exact).max()))
        q = 1 if p == 1 else 2
        floors = [EPS["float64"] * p**3] * len(sizes)
        res.checks.append(order_check("assign", f"readout {scheme} of sin(k.x), 3-D, 20000 particles", sizes, errs,
                                      floors, q, q - ORDER_SLACK, f"h^{q} (window moments) - {ORDER_SLACK}"))
        res.series.append(Series(scheme.upper(), list(sizes), errs, panel="readout", order=q, floor=floors))


def run(settings):
    sizes = (16, 32, 64) if settings.quick else (16, 32, 64, 128)
    res = FamilyResult(sizes=sizes)
    _transfer(settings, res, 32)
    _readout_orders(settings, res, sizes)
    return res


def plot(result, path):
    from .._plot import plot_family

    return plot_family(result, path, title="fieldconv.assign: assignment windows", panels=[
        {"name": "transfer", "kind": "curve", "xlabel": "k h (Nyquist at pi)", "ylabel": "|W(k)|",
         "title": "transfer function of paint, N = 32\n(lines: sinc(kh/2)^p; markers: measured)"},
        {"name": "readout", "title": "readout of sin(k.x) at 20000 particles", "ylabel": "max error"},
    ])


FAMILY = Family(
    name="assign",
    title="paint/readout windows against sinc(kh/2)^p, readout accuracy orders",
    namespace="fieldconv.assign",
    run=run,
    plot=plot,
    tolerances=("transfer functions: the cell average is exact (Gauss-Legendre on the smooth pieces, error < 1e-19), "
                "so the tolerance is round-off eps (particles x taps + DFT terms); readout orders: 1 (NGP), 2 (p >= 2, "
                f"linear functions reproduced) minus {ORDER_SLACK} for the next term at the coarsest N"),
)
