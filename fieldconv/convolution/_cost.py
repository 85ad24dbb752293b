"""The cost model of ``method="auto"``: estimated time per output sample of each method.

The engine asks :func:`choose` for the cheapest method; the constants below
only have to rank methods.  Backends are told apart by capability
(``on_host``: compiled direct sums and FFTW) not by name.
"""

import math

import numpy as np

__all__ = ["pick", "costs", "next_fast", "oa_block", "last_auto", "LAST_AUTO"]

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
#: Every call also pays a fixed cost, whatever its size (argument checks,
#: allocations, thread start, FFT plan look-up and the kernel's transform),
#: in nanoseconds per call (per pass for separable), ``_T_CALL``: so small problems take an exact
#: method, which is also exact to the last bit where the FFT rounds
#: (``convolve(a3x3, k3x3, mode="wrap")`` is exactly 0 where it should be).
#: Complex data: the exact methods run once per real part of the field and
#: of the kernel; a complex FFT costs ``_C_COMPLEX`` real ones.  Non-finite
#: samples make an FFT method run ``_C_NONFINITE`` transforms' worth
#: (:mod:`._nonfinite`: two more, in float64).
_C_D0 = {np.float32: 4.0, np.float64: 9.0}
_C_DIRECT = {np.float32: 0.055, np.float64: 0.11}
#: per tap with 3 acting axes (3-D rows are short: 256 samples per inner loop)
_C_DIRECT3 = {np.float32: 0.15, np.float64: 0.30}
_C_PASS = {np.float32: 2.3, np.float64: 4.5}
_C_TAP1D = {np.float32: 0.1, np.float64: 0.2}
_C_FFT = {np.float32: 0.9, np.float64: 1.6}
_C_PAD = {np.float32: 2.0, np.float64: 4.0}
_F32_FFT_MARGIN = 1.5
#: (measured: ~70 us for a direct 3x3 call, ~120 us for an FFT one, ~150 us per separable pass, on the
#: loaded 2-core machine; the differences are what matter)
_T_CALL = {"direct": 20_000.0, "separable": 40_000.0, "fft": 70_000.0, "overlap-add": 100_000.0}
_C_COMPLEX = 2.0
_C_NONFINITE = 3.0
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



def costs(be, shape, W, groups, dt, mode="reflect", *, complex_data=False, nonfinite=False):
    """Estimated ns per output sample of each method (see the constants above).

    `W` real (the exact methods' part) or complex (the FFT methods'
    transform); `complex_data`: the FFT methods transform complex data.
    """
    dt = np.float32 if np.dtype(dt) in (np.float32, np.complex64) else np.float64
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
    est["direct"] += _T_CALL["direct"] / N
    Mfft = math.prod(next_fast(shape[a] + W.shape[a] - 1) if a in axes else shape[a] for a in range(len(shape)))
    cfft = _C_FFT[dt] if be.on_host else _C_XP_FFT
    cpad = _C_PAD[dt] if be.on_host else _C_XP_FFT
    spectral = {"fft": cfft * math.log2(max(Mfft, 2)) * Mfft / N + cpad * Mfft / N}
    if mode == "wrap":  # circular product on the field's own grid
        spectral["fft"] = min(spectral["fft"], cfft * math.log2(max(N, 2)) + cpad)
    if axes:
        ax = max(axes, key=lambda a: shape[a])
        K = W.shape[ax]
        L = oa_block(K)
        if shape[ax] > 2 * L:
            Mseg = next_fast(L + K - 1)
            other = math.prod(next_fast(shape[a] + W.shape[a] - 1) for a in axes if a != ax)
            rest = math.prod(shape[a] for a in range(len(shape)) if a not in axes)
            Mtot = -(-shape[ax] // L) * Mseg * other * rest
            spectral["overlap-add"] = (cfft * math.log2(max(Mseg * other, 2)) + cpad) * Mtot / N
    factor = (_C_COMPLEX if complex_data or np.iscomplexobj(W) else 1.0) * (_C_NONFINITE if nonfinite else 1.0)
    for m, v in spectral.items():
        est[m] = v * factor + _T_CALL[m] / N
    if groups is not None and len(groups) > 1:
        sep = 0.0
        for axes_g, w_g in groups:
            sep += _T_CALL["separable"] / N  # per pass
            if len(axes_g) == 1:
                k = w_g.size
                sep += (_C_PASS[dt] + _C_TAP1D[dt] * k) if be.on_host else _C_XP_TAP * k
            else:
                sub = costs(be, shape, w_g, None, dt, mode)
                sep += min(v for m, v in sub.items() if m in ("direct", "fft", "overlap-add"))
        est["separable"] = sep
    return est


def pick(exact, spectral, dt):
    """The method to run: "exact" (cost `exact`) or the cheapest of `spectral` ({method: cost}).

    Returns the spectral method's name, or "exact".  For float32 an FFT must
    win by ``_F32_FFT_MARGIN`` (it is ~10x less accurate than direct sums).
    """
    if not spectral:
        return "exact"
    best = min(spectral, key=spectral.get)
    margin = _F32_FFT_MARGIN if np.dtype(dt) in (np.float32, np.complex64) else 1.0
    return best if spectral[best] * margin < exact else "exact"
