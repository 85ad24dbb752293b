"""Poisson solver cost vs the FFT pair it cannot avoid, and peak memory.

Run (never two benchmarks at once):
    flock /tmp/fieldconv-bench.lock /work/venv/bin/python benchmarks/bench_poisson.py [--quick]

Rows:
* periodic solve, 256^3 float32 (Green's function cached) vs one rfftn + irfftn
  pair of the same grid on the same backend (target <= 1.3x);
* isolated solve, 128^3 (spectral and integrated Green's functions cached) vs
  the rfftn + irfftn pair of the 256^3 padded grid (target <= 1.3x);
* peak/src: peak extra memory allocated by one cached solve (tracemalloc:
  NumPy and pyFFTW buffers are traced; the returned potential is 1.0);
* held/src: memory the solver keeps between solves (Green's function,
  padded source, pyFFTW scratch), in units of the source array size.
"""

import argparse
import tracemalloc

import numpy as np

from _timing import best
from fieldconv.backend import get_backend
from fieldconv.poisson import PoissonSolver


def peak_bytes(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def row(label, backend, n, dtype, solver, src, fft_shape, repeat):
    be = get_backend(backend)
    pad = np.zeros(fft_shape, dtype=dtype)
    pad[tuple(slice(0, m) for m in src.shape)] = src
    X = be.rfftn(pad)
    be.irfftn(X, s=fft_shape)  # plan both directions
    solver.solve(src)  # build and cache the Green's function

    def pair():
        Y = be.rfftn(pad)
        be.irfftn(Y, s=fft_shape, overwrite_x=True)

    # alternate the two measurements so that load from other processes hits both alike
    t_pair = t_solve = float("inf")
    for _ in range(repeat):
        t_pair = min(t_pair, best(pair, 1))
        t_solve = min(t_solve, best(lambda: solver.solve(src), 1))
    peak = peak_bytes(lambda: solver.solve(src))
    held = solver.cache_nbytes()  # Green's functions, kernel tables and scratch the solver owns
    print(
        f"| {label:28s} | {backend:7s} | {n:4d}^{src.ndim} {np.dtype(dtype).name:8s} | {t_solve * 1e3:9.1f} | "
        f"{t_pair * 1e3:9.1f} | {t_solve / t_pair:5.2f} | {peak / src.nbytes:8.2f} | {held / src.nbytes:8.2f} |"
    )


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="64^3 / 32^3 grids (smoke run)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    n_per, n_iso = (64, 32) if args.quick else (256, 128)
    rng = np.random.default_rng(0)
    print(f"threads: {get_backend().threads}")
    print("| case                         | backend | grid            | solve ms  | pair ms   | ratio | peak/src | held/src |")
    print("|------------------------------|---------|-----------------|-----------|-----------|-------|----------|----------|")
    for backend in ("pyfftw", "numpy"):
        src = rng.standard_normal((n_per,) * 3).astype(np.float32)
        s = PoissonSolver(src.shape, 1.0, dtype=np.float32, backend=backend)
        row("periodic continuous", backend, n_per, np.float32, s, src, src.shape, args.repeat)
        del s
    for backend in ("pyfftw", "numpy"):
        for dtype in (np.float32, np.float64):
            src = np.zeros((n_iso,) * 3, dtype=dtype)
            c = n_iso // 4
            src[c:-c, c:-c, c:-c] = rng.standard_normal((n_iso - 2 * c,) * 3)
            for green in ("spectral", "integrated"):
                s = PoissonSolver(src.shape, 1.0, bc="isolated", green=green, dtype=dtype, backend=backend)
                row(f"isolated {green}", backend, n_iso, dtype, s, src, tuple(2 * m for m in src.shape), args.repeat)
                del s


if __name__ == "__main__":
    main()
