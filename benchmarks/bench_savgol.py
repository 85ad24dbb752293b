"""Benchmark: fieldconv.savgol_filter vs scipy.signal.savgol_filter, side by side.

Cases (window 21, polyorder 3, mode "interp", float64):

* one signal of 10^7 samples;
* a batch of spectra x 3600 points along the last axis (10^5 spectra, or
  2 x 10^4 with ``--quick``);
* the same batch along axis 0 (strided path);
* the 1-D engine alone, ``fieldconv.convolution.correlate1d`` with the same
  coefficients and mode "constant" (what savgol_filter's engine call runs
  for short windows, before the "interp" edges), beside
  ``scipy.ndimage.correlate1d``;
* long windows (``--cases big``): window 10001 on 10^5 and 10^6 samples and
  window 100001 on ``np.ones(100001)`` (polyorder 2, "interp"), time and
  peak memory (tracemalloc: NumPy's allocations) of both libraries; the
  engine takes its FFT method there.  FFT plans are made with
  ``FIELDCONV_FFTW_PLANNER`` (default here FFTW_ESTIMATE: the first call of
  a new size would otherwise time FFTW_MEASURE planning, the planner
  policy's business) and the first call is timed apart.

Each timing is the minimum over repeats, the candidates interleaved so that
load from other processes hits them alike.  Run under the shared lock::

    flock /tmp/fieldconv-bench.lock /work/venv/bin/python benchmarks/bench_savgol.py --quick
"""

import argparse
import os
import time

import numpy as np


def _best(fns, repeats):
    times = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[i] = min(times[i], time.perf_counter() - t0)
    return times


def _peak_bytes(fn):
    """Peak bytes NumPy allocates during `fn()` (tracemalloc), and its result."""
    import tracemalloc

    tracemalloc.start()
    try:
        out = fn()
        return tracemalloc.get_traced_memory()[1], out
    finally:
        tracemalloc.stop()


def big_windows(repeats):
    """Long windows: time and peak memory of fieldconv and scipy.signal, side by side."""
    import scipy.signal as ss

    from fieldconv import _sgcoeffs
    from fieldconv.convolution._cost import last_auto
    from fieldconv.smoothing import savgol_filter

    rng = np.random.default_rng(1)
    cases = [("10^5 samples, window 10001", rng.standard_normal(100_000), 10_001),
             ("10^6 samples, window 10001", rng.standard_normal(1_000_000), 10_001),
             ("ones(100001), window 100001", np.ones(100_001), 100_001)]
    rows = []
    for name, x, W in cases:
        fc = lambda: savgol_filter(x, W, 2)  # noqa: E731
        sc = lambda: ss.savgol_filter(x, W, 2)  # noqa: E731
        t0 = time.perf_counter()
        y = fc()
        first = time.perf_counter() - t0
        method = last_auto()
        _sgcoeffs.cache.clear()  # the peak includes building the coefficients and the basis
        m_fc, _ = _peak_bytes(fc)
        m_sc, ref = _peak_bytes(sc)
        err = float(np.max(np.abs(y - ref)) / np.max(np.abs(ref)))
        exact = float(np.max(np.abs(y - 1.0))) if W == x.size else float("nan")
        t_fc, t_sc = _best([fc, sc], repeats if W < 50_000 else 1)
        rows.append((name, first, t_fc, t_sc, m_fc, m_sc, err, exact, method))
    print(f"\nlong windows: savgol_filter(x, W, 2, mode 'interp'), float64, best of {repeats} (window 100001: 1); "
          f"planner {os.environ.get('FIELDCONV_FFTW_PLANNER')}")
    print("| case | fieldconv first call (s) | fieldconv (s) | scipy (s) | ratio | fieldconv peak (MB) "
          "| scipy peak (MB) | engine method | max rel. diff to scipy | max |y - 1| (ones) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, first, t_fc, t_sc, m_fc, m_sc, err, exact, method in rows:
        print(f"| {name} | {first:.3f} | {t_fc:.3f} | {t_sc:.3f} | {t_fc / t_sc:.3f} | {m_fc / 2**20:.1f} "
              f"| {m_sc / 2**20:.1f} | {method} | {err:.1e} | {exact:.1e} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2x10^4 spectra in the batch case, fewer repeats")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--cases", choices=("small", "big", "all"), default="all",
                    help="window 21 cases, long windows, or both (default)")
    args = ap.parse_args(argv)
    os.environ.setdefault("FIELDCONV_FFTW_PLANNER", "FFTW_ESTIMATE")
    import numba
    import scipy
    import scipy.ndimage as ndi
    import scipy.signal as ss

    from fieldconv.convolution import correlate1d
    from fieldconv.smoothing import savgol_coeffs, savgol_filter

    repeats = args.repeats or (3 if args.quick else 5)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}, "
          f"threads {numba.get_num_threads()}, cpus {len(os.sched_getaffinity(0))}, load {os.getloadavg()[0]:.1f}")
    if args.cases in ("big", "all"):
        big_windows(repeats)
    if args.cases == "big":
        return
    nbatch = 20_000 if args.quick else 100_000
    rng = np.random.default_rng(0)
    W, P = 21, 3
    w = savgol_coeffs(W, P, use="dot")
    rows = []
    cases = [
        ("1 x 10^7", rng.standard_normal(10_000_000), -1),
        (f"{nbatch} x 3600, axis -1", rng.standard_normal((nbatch, 3600)), -1),
        ("3600 x 2000, axis 0", rng.standard_normal((3600, 2000)), 0),
    ]
    for name, x, ax in cases:
        fc = lambda: savgol_filter(x, W, P, axis=ax)  # noqa: E731
        sc = lambda: ss.savgol_filter(x, W, P, axis=ax)  # noqa: E731
        eng = lambda: correlate1d(x, w, ax, mode="constant")  # noqa: E731
        nd = lambda: ndi.correlate1d(x, w, ax, mode="constant")  # noqa: E731
        xs = x if x.ndim == 1 or ax == 0 else x[:1000]  # accuracy on a subset: memory
        err = float(np.max(np.abs(savgol_filter(xs, W, P, axis=ax) - ss.savgol_filter(xs, W, P, axis=ax))))
        fc(), eng()  # warm-up (numba compile / cache load)
        t_fc, t_sc, t_eng, t_nd = _best([fc, sc, eng, nd], repeats)
        rows.append((name, t_fc, t_sc, t_eng, t_nd, err))
        del x
    print(f"\nsavgol_filter(window {W}, polyorder {P}, mode 'interp'), float64, best of {repeats}")
    print("| case | fieldconv savgol (ms) | scipy.signal savgol (ms) | ratio | fieldconv correlate1d (ms) "
          "| scipy.ndimage correlate1d (ms) | ratio | savgol max |diff| |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t_fc, t_sc, t_eng, t_nd, err in rows:
        print(f"| {name} | {1e3 * t_fc:.1f} | {1e3 * t_sc:.1f} | {t_fc / t_sc:.2f} | {1e3 * t_eng:.1f} "
              f"| {1e3 * t_nd:.1f} | {t_eng / t_nd:.2f} | {err:.1e} |")


if __name__ == "__main__":
    main()
