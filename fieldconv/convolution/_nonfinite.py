"""Non-finite samples on the FFT methods: the exact method's answer, exactly.

A Fourier transform spreads one ``inf`` or NaN over every output (``inf -
inf`` inside the transform is NaN).  The FFT methods therefore transform the
finite samples only (non-finite ones, and a non-finite `cval`, count as 0)
and then give the outputs whose stencil holds a non-finite sample with a
non-zero weight the value the exact sum has: NaN where a NaN is met or
where ``+inf`` and ``-inf`` terms meet, else ``+inf`` or ``-inf`` (the sign
of weight times sample).  Every other output is the FFT of the finite
samples, as if the non-finite ones were not there — which is what the exact
sum gives there too.

The number of each kind of term per output comes from two more
convolutions of indicator fields by the same FFT method, in float64, whose
values are small integers (exact after rounding: their FFT error is far
below 1/2)::

    D = corr(P - N, sign W)                 = #(+inf terms) - #(-inf terms)
    T = corr(P + N + M Q, |sign W|)         = #(inf terms) + M #(NaN terms),  M = taps + 1

with ``P``, ``N``, ``Q`` the indicators of ``+inf``, ``-inf`` and NaN samples
(and of `cval` outside the field in "constant" mode).  A zero weight forms
no term, as in the compiled exact methods and scipy.ndimage's n-D filters.
Complex data is split into real parts first (:mod:`._parts`).
"""

import math

import numpy as np

from .._dtypes import np_dtype
from ._parts import combine, field_parts, is_complex, kernel_parts

__all__ = ["fft_exact", "count_nonfinite"]


def count_nonfinite(be, x):
    """Number of NaN/inf samples of `x` (real or complex, any backend)."""
    if be.on_host:
        return int(x.size - np.count_nonzero(np.isfinite(x)))
    xp = be.xp
    return int(xp.sum(xp.astype(~xp.isfinite(x), be.dtype(np.int64))))


def _all_finite(be, x):
    if be.on_host:
        return bool(np.isfinite(x).all())
    return bool(be.xp.all(be.xp.isfinite(x)))


#: Above this magnitude a transform of the field could overflow (it sums up to N samples times the
#: kernel's transform, <= ||w||_1): the FFT then runs on the field scaled by a power of two (exact).
_HUGE = 2.0**500


def _scaled(be, x, W, c, mode, cval, run):
    """``run(...)`` on finite `x`, scaled by a power of two when its values could overflow inside the FFT."""
    if x.size == 0:
        return run(x, W, c, mode, cval)
    m = max(float(be.xp.max(be.xp.abs(x))), abs(complex(cval)) if mode == "constant" else 0.0)
    if m <= _HUGE:
        return run(x, W, c, mode, cval)
    s = 2.0 ** math.floor(math.log2(m))
    with np.errstate(over="ignore"):  # values beyond the dtype's range overflow to inf, as the exact sums do
        return run(x / s, W, c, mode, cval / s) * s


def fft_exact(be, x, W, c, mode, cval, run):
    """``run(x, W, c, mode, cval)`` (an FFT method) with non-finite samples handled exactly.

    Finite fields with huge values (beyond ``2**500``) are transformed scaled
    down by a power of two, so that the transform itself cannot overflow
    where the exact sums do not.
    """
    cval_bad = mode == "constant" and not (math.isfinite(complex(cval).real) and math.isfinite(complex(cval).imag))
    if not cval_bad and _all_finite(be, x):
        return _scaled(be, x, W, c, mode, cval, run)
    if is_complex(x) or np.iscomplexobj(W):
        terms = [(fi, ki, fft_exact(be, xpart, Wpart, c, mode, cv, run))
                 for fi, xpart, cv in field_parts(be, x, cval) for ki, Wpart in kernel_parts(W)]
        return combine(be, terms, x.dtype if is_complex(x) else np.result_type(np_dtype(x.dtype), np.complex64))
    xp = be.xp
    f64 = be.dtype(np.float64)
    cval = float(complex(cval).real)
    fin = xp.isfinite(x)
    zero = xp.zeros((), dtype=x.dtype) if not be.on_host else x.dtype.type(0)
    y = _scaled(be, xp.where(fin, x, zero), W, c, mode, 0.0 if cval_bad else cval, run)
    pos = xp.astype(x == math.inf, f64)
    neg = xp.astype(x == -math.inf, f64)
    nan = xp.astype(xp.isnan(x), f64)
    S = np.sign(W)
    M = float(np.count_nonzero(W) + 1)
    dc = float(cval == math.inf) - float(cval == -math.inf)
    tc = float(math.isinf(cval)) + M * float(math.isnan(cval))
    D = xp.round(run(pos - neg, S, c, mode, dc))
    T = xp.round(run(pos + neg + nan * M, np.abs(S), c, mode, tc))
    del pos, neg, nan
    nnan = xp.floor(T / M)
    ninf = T - nnan * M
    npos = (ninf + D) / 2
    nneg = (ninf - D) / 2
    to_nan = (nnan > 0) | ((npos > 0) & (nneg > 0))
    if be.on_host:
        y[npos > 0] = math.inf
        y[nneg > 0] = -math.inf
        y[to_nan] = math.nan
        return y
    dt = be.dtype(np_dtype(x.dtype))
    inf = xp.asarray(math.inf, dtype=dt, device=be.device)
    y = xp.where(npos > 0, inf, y)
    y = xp.where(nneg > 0, -inf, y)
    return xp.where(to_nan, xp.asarray(math.nan, dtype=dt, device=be.device), y)
