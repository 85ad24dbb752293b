"""Convolution (:mod:`fieldconv.convolution`): Gaussian * Gaussian = Gaussian, by every method.

A sampled Gaussian of width ``s1`` convolved with the library's sampled
Gaussian kernel of width ``s2`` (:func:`fieldconv.kernels.gaussian`,
``truncate`` = T) is the sampled Gaussian of width ``s = sqrt(s1^2 + s2^2)``,
up to three effects, each bounded in closed form:

* truncation: the kernel keeps ``r = int(T s2 + 1/2)`` taps per side and is
  renormalised; per axis the lost mass is ``tau = erfc((r + 1/2)/(sqrt2 s2))``
  and the error is at most ``2 d tau (s/s1)^d / (1 - tau)^d`` of the peak;
* sampling: by Poisson summation the discrete sum differs from the integral
  by ``~ 2 exp(-2 pi^2 (s1 s2/s)^2)`` (below 1e-20 here: s1 = 3, s2 = 2 cells);
* round-off: ``eps (s/s1)^d (taps + 10 log2 N^d)`` (direct sums add ``taps``
  terms; an FFT ``~ log2`` of its size).

The field sits in the middle of a periodic box (``mode="wrap"``) wide
enough that its images are below round-off.
"""

import math

import numpy as np
from scipy import special

from ... import convolution, kernels
from .._check import EPS, FamilyResult, Series, error_check
from .._registry import Family

S1, S2 = 3.0, 2.0
SIZES = {1: 4096, 2: 256, 3: 64}
RUNS = (  # (ndim, method, truncate)
    (1, "direct", 8.0), (1, "fft", 8.0), (1, "overlap-add", 8.0),
    (2, "direct", 8.0), (2, "separable", 8.0), (2, "fft", 8.0), (2, "overlap-add", 8.0),
    (3, "separable", 8.0), (3, "fft", 8.0), (3, "overlap-add", 8.0), (3, "direct", 4.0),
    (1, "auto", 4.0), (2, "auto", 4.0), (3, "auto", 4.0),
)
QUICK_RUNS = tuple(r for r in RUNS if not (r[0] == 3 and r[1] in ("direct", "overlap-add")))


def _gauss(n, ndim, s):
    x = np.arange(n) - n // 2
    g = np.exp(-x * x / (2 * s * s)) / (math.sqrt(2 * math.pi) * s)
    out = g
    for _ in range(ndim - 1):
        out = np.multiply.outer(out, g)
    return out


def _bound(ndim, n, truncate, method):
    r = int(truncate * S2 + 0.5)
    tau = float(special.erfc((r + 0.5) / (math.sqrt(2) * S2)))
    s = math.hypot(S1, S2)
    amp = (s / S1) ** ndim
    trunc = 2 * ndim * tau * amp / (1 - tau) ** ndim
    taps = (2 * r + 1) ** ndim if method in ("direct", "auto") else ndim * (2 * r + 1)
    roundoff = EPS["float64"] * amp * (taps + 10 * math.log2(n**ndim))
    return trunc, roundoff


def _one(settings, ndim, method, truncate, dtype=np.float64):
    n = SIZES[ndim]
    f = _gauss(n, ndim, S1)
    ref = _gauss(n, ndim, math.hypot(S1, S2))
    K = kernels.gaussian(S2, ndim=ndim, truncate=truncate)
    out = convolution.convolve(settings.put(f, dtype), K, mode="wrap", method=method, backend=settings.backend)
    dt = np.dtype(settings.get_backend().to_numpy(out).dtype).name
    return float(np.abs(settings.host(out) - ref).max() / ref.max()), dt


def run(settings):
    res = FamilyResult()
    for ndim, method, truncate in QUICK_RUNS if settings.quick else RUNS:
        err, _ = _one(settings, ndim, method, truncate)
        trunc, roundoff = _bound(ndim, SIZES[ndim], truncate, method)
        basis = "truncation tail + round-off" if trunc > roundoff else "round-off (tail below eps)"
        res.checks.append(error_check("convolution", f"{ndim}-D, method={method}, truncate={truncate:g}",
                                      f"rel. max error, N={SIZES[ndim]}", err, trunc + roundoff, basis))
    err, dt = _one(settings, 3, "fft", 8.0, np.float32)
    bound = EPS["float32"] * (math.hypot(S1, S2) / S1) ** 3 * 10 * math.log2(SIZES[3] ** 3)
    res.checks.append(error_check("convolution", f"3-D, method=fft, float32 in, {dt} out", f"rel. max error, N={SIZES[3]}",
                                  err if dt == "float32" else float("inf"), bound, "float32 round-off"))
    # the figure: error against truncate, with the truncation bound
    ts = [2.0, 3.0, 4.0, 5.0, 6.0] if settings.quick else [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    fine = np.linspace(ts[0], ts[-1], 200)
    for ndim in (1, 2, 3):
        errs = [_one(settings, ndim, "fft", t)[0] for t in ts]
        bounds = [sum(_bound(ndim, SIZES[ndim], t, "fft")) for t in fine]
        res.series.append(Series(f"{ndim}-D", ts, errs, panel="truncate", reference=(list(fine), bounds)))
    return res


def plot(result, path):
    from .._plot import plot_family

    return plot_family(result, path, title="fieldconv.convolution: Gaussian (s1 = 3) * Gaussian kernel (s2 = 2 cells)",
                       panels=[{"name": "truncate", "kind": "curve-log", "xlabel": "truncate (kernel radius / s2)",
                                "title": "error against the kernel's truncation\n(lines: tail bound + round-off)",
                                "ylabel": "relative max error", "reference_label": "bound"}])


FAMILY = Family(
    name="convolution",
    title="Gaussian * Gaussian = Gaussian for every method, 1-D to 3-D",
    namespace="fieldconv.convolution",
    run=run,
    plot=plot,
    tolerances=("truncation 2 d tau (s/s1)^d / (1 - tau)^d with tau = erfc((r + 1/2)/(sqrt2 s2)) the kernel tail lost "
                "per axis, plus round-off eps (s/s1)^d (taps + 10 log2 N^d); sampling error 2 exp(-2 pi^2 (s1 s2/s)^2) "
                "< 1e-20 is neglected"),
)
