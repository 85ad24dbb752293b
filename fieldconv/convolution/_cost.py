"""The cost model of ``method="auto"``: estimated time per output sample of each method.

The engine asks :func:`choose` for the cheapest method; the constants below
only have to rank methods.  Backends are told apart by capability
(``on_host``: compiled direct sums and FFTW) not by name.
"""

import math

import numpy as np

__all__ = ["choose", "costs", "next_fast", "oa_block", "last_auto", "LAST_AUTO"]

#: Cost model of ``method="auto"`` (host backends), in nanoseconds per output
#: sample.  Measured with ``python benchmarks/bench_convolution.py --calibrate``
#: (each method timed alone on 2048^2 fields, K = 3, 7, 15, 31, median of 3 runs, numba 0.68 on the OpenMP layer, pyFFTW with FFTW_MEASURE
#: plans made before timing) on the project's 2-core machine while other jobs
#: shared it, so the constants carry ~30% noise; they only have to rank methods.
#:   direct   : ``_C_D0 + _C_DIRECT * taps`` (``_C_DIRECT3`` with 3 acting axes; taps = nonzero weights)
#:   separable: sum over 1-D passes of ``_C_PASS + _C_TAP1D * K``
#:   fft      : ``(_C_FFT * log2(M) + _C_PAD) * M / N``  (M: FFT size, N: field size;
#:              forward + inverse transform + kernel transform + product + padding)
#: Float32 FFTs lose ~10x accuracy against direct sums, so for float32 an FFT
#: must beat the best direct/separable estimate by ``_F32_FFT_MARGIN``.
_C_D0 = {np.float32: 4.0, np.float64: 9.0}
_C_DIRECT = {np.float32: 0.055, np.float64: 0.11}
#: per tap with 3 acting axes (3-D rows are short: 256 samples per inner loop)
_C_DIRECT3 = {np.float32: 0.15, np.float64: 0.30}
_C_PASS = {np.float32: 2.3, np.float64: 4.5}
_C_TAP1D = {np.float32: 0.1, np.float64: 0.2}
_C_FFT = {np.float32: 0.9, np.float64: 1.6}
_C_PAD = {np.float32: 2.0, np.float64: 4.0}
_F32_FFT_MARGIN = 1.5
#: Generic (array-API / GPU) backends: each tap is a full pass over memory.
_C_XP_TAP = 2.0
_C_XP_FFT = 0.5
#: The method the last ``method="auto"`` call chose (read by the benchmark).
LAST_AUTO = [None]


def last_auto():
    """The method the last ``method="auto"`` call chose (for benchmarks and tests)."""
    return LAST_AUTO[0]


def next_fast(n):
    import scipy.fft

    return scipy.fft.next_fast_len(int(n), real=True)



def oa_block(K):
    """Output block length of the overlap-save method for a kernel length K."""
    return max(8 * K, 256)



def costs(be, shape, W, groups, dt):
    """Estimated ns per output sample of each method (see the constants above)."""
    dt = np.float32 if np.dtype(dt) == np.float32 else np.float64
    N = max(1, math.prod(shape))
    axes = [a for a in range(len(shape)) if W.shape[a] > 1]
    taps = int(np.count_nonzero(W))
    est = {}
    if be.on_host:
        if len(axes) > 1:
            est["direct"] = _C_D0[dt] + (_C_DIRECT3 if len(axes) > 2 else _C_DIRECT)[dt] * taps
        else:
            est["direct"] = _C_PASS[dt] + _C_TAP1D[dt] * taps
    else:
        est["direct"] = _C_XP_TAP * taps
    Mfft = math.prod(next_fast(shape[a] + W.shape[a] - 1) if a in axes else shape[a] for a in range(len(shape)))
    Mwrap = N
    cfft = _C_FFT[dt] if be.on_host else _C_XP_FFT
    cpad = _C_PAD[dt] if be.on_host else _C_XP_FFT
    est["fft"] = cfft * math.log2(max(Mfft, 2)) * Mfft / N + cpad * Mfft / N
    est["fft-wrap"] = cfft * math.log2(max(Mwrap, 2)) + cpad
    if axes:
        ax = max(axes, key=lambda a: shape[a])
        K = W.shape[ax]
        L = oa_block(K)
        if shape[ax] > 2 * L:
            Mseg = next_fast(L + K - 1)
            other = math.prod(next_fast(shape[a] + W.shape[a] - 1) for a in axes if a != ax)
            rest = math.prod(shape[a] for a in range(len(shape)) if a not in axes)
            Mtot = -(-shape[ax] // L) * Mseg * other * rest
            est["overlap-add"] = (cfft * math.log2(max(Mseg * other, 2)) + cpad) * Mtot / N
    if groups is not None and len(groups) > 1:
        sep = 0.0
        for axes_g, w_g in groups:
            if len(axes_g) == 1:
                k = w_g.size
                sep += (_C_PASS[dt] + _C_TAP1D[dt] * k) if be.on_host else _C_XP_TAP * k
            else:
                sub = costs(be, shape, w_g, None, dt)
                sep += min(v for m, v in sub.items() if m in ("direct", "fft", "overlap-add"))
        est["separable"] = sep
    return est


def choose(be, shape, W, groups, dt, mode, has_nan):
    """The cheapest method; only exact ones (direct, separable) when NaN must stay local."""
    c = costs(be, shape, W, groups, dt)
    if mode == "wrap":
        c["fft"] = min(c["fft"], c.pop("fft-wrap"))
    else:
        c.pop("fft-wrap")
    exact = {m: v for m, v in c.items() if m in ("direct", "separable")}
    spectral = {m: v for m, v in c.items() if m in ("fft", "overlap-add")}
    if has_nan:
        return min(exact, key=exact.get)
    best_exact = min(exact, key=exact.get)
    best_spec = min(spectral, key=spectral.get)
    margin = _F32_FFT_MARGIN if np.dtype(dt) == np.float32 else 1.0
    if spectral[best_spec] * margin < exact[best_exact]:
        return best_spec
    return best_exact

