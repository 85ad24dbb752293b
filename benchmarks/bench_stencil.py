"""Laplacian stencil throughput vs the memory-bandwidth floor and scipy.ndimage.laplace.

Run (never two benchmarks at once):
    flock /tmp/fieldconv-bench.lock /work/venv/bin/python benchmarks/bench_stencil.py [--quick]

The floor: a stencil must read the field once and write the output once,
16 B per point in float64; a plain copy (``np.copyto`` into a preallocated
array) moves the same bytes, so ``copy time / stencil time`` is the fraction
of the floor reached (target >= 50% at 256^3 on 2 threads).
scipy.ndimage.laplace is the second-order 7-point Laplacian with unit
spacing (it has no spacing argument); target >= 20x faster.
"""

import argparse

import numba
import numpy as np
import scipy.ndimage as ndi

from _timing import best
from fieldconv.stencil import laplacian


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n = 64 if args.quick else args.n
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    f = np.random.default_rng(0).standard_normal((n, n, n))
    out = np.empty_like(f)
    t_copy = best(lambda: np.copyto(out, f), args.repeat)
    print(f"{n}^3 float64, numba threads {numba.get_num_threads()}; copy floor {t_copy * 1e3:.1f} ms "
          f"({16 * f.size / t_copy / 1e9:.1f} GB/s at 16 B/point)")
    print("| operator                          | ms     | % of floor | vs scipy.ndimage.laplace |")
    print("|-----------------------------------|--------|------------|--------------------------|")
    t_scipy = best(lambda: ndi.laplace(f, output=out, mode="wrap"), max(2, args.repeat // 3))
    print(f"| scipy.ndimage.laplace (wrap)      | {t_scipy * 1e3:6.1f} | {100 * t_copy / t_scipy:9.0f}% | {1.0:23.1f}x |")
    cases = [
        ("7-point, periodic", dict(bc="periodic")),
        ("7-point, dirichlet", dict(bc="dirichlet")),
        ("7-point, neumann, aniso spacing", dict(bc="neumann", spacing=(1.0, 0.5, 2.0))),
        ("order 4 (13-point), periodic", dict(order=4)),
        ("order 6 (19-point), periodic", dict(order=6)),
        ("compact 19-point", dict(points=19)),
        ("compact 27-point", dict(points=27)),
    ]
    for label, kw in cases:
        spacing = kw.pop("spacing", 1.0)
        laplacian(f, spacing, out=out, backend="numpy", **kw)  # compile / load the cache
        t = best(lambda: laplacian(f, spacing, out=out, backend="numpy", **kw), args.repeat)
        print(f"| {label:33s} | {t * 1e3:6.1f} | {100 * t_copy / t:9.0f}% | {t_scipy / t:23.1f}x |")


if __name__ == "__main__":
    main()
