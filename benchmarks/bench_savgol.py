"""Benchmark: fieldconv.savgol_filter vs scipy.signal.savgol_filter, side by side.

Cases (window 21, polyorder 3, mode "interp", float64):

* one signal of 10^7 samples;
* a batch of spectra x 3600 points along the last axis (10^5 spectra, or
  2 x 10^4 with ``--quick``);
* the same batch along axis 0 (strided path);
* the 1-D engine alone, ``fieldconv.convolution.correlate1d`` with the same
  coefficients and mode "constant" (what savgol_filter runs, before its
  "interp" edge maps), beside ``scipy.ndimage.correlate1d``.

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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2x10^4 spectra in the batch case, fewer repeats")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    import numba
    import scipy
    import scipy.ndimage as ndi
    import scipy.signal as ss

    from fieldconv.convolution import correlate1d
    from fieldconv.smoothing import savgol_coeffs, savgol_filter

    repeats = args.repeats or (3 if args.quick else 5)
    nbatch = 20_000 if args.quick else 100_000
    rng = np.random.default_rng(0)
    W, P = 21, 3
    w = savgol_coeffs(W, P, use="dot")
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}, "
          f"threads {numba.get_num_threads()}, cpus {len(os.sched_getaffinity(0))}")
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
