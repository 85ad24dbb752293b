"""FFT backend benchmark: real 3-D round trip (rfftn + irfftn).

Measured side by side in one run, on the same input arrays:

* ``raw FFTW``: pre-planned ``pyfftw.FFTW`` objects (FFTW_MEASURE, all threads)
  executed on their own buffers: the floor any wrapper can reach;
* ``fieldconv pyfftw (out=)``: the backend called with ``out=`` buffers and
  ``overwrite_x=True`` on the intermediate spectrum (what operators do);
* ``fieldconv pyfftw``: the plain allocating call, input preserved;
* ``scipy.fft`` with ``workers`` = all threads, and ``numpy.fft``.

Ratios are against raw FFTW and against scipy.fft.  Usage::

    python benchmarks/bench_fft.py           # 128^3 and 256^3, float32 and float64
    python benchmarks/bench_fft.py --quick   # 64^3 and 128^3
"""

import argparse

import numpy as np

from _timing import median


def bench(n, dtype, threads, repeats):
    import pyfftw
    import scipy.fft

    from fieldconv.backend import get_backend

    ctype = np.complex64 if dtype == np.float32 else np.complex128
    shape = (n, n, n)
    be = get_backend("pyfftw", threads=threads, planner_effort="FFTW_MEASURE")
    x = be.empty(shape, dtype)
    x[...] = np.random.default_rng(0).standard_normal(shape)

    # raw pre-planned FFTW on its own aligned buffers
    a = pyfftw.empty_aligned(shape, dtype)
    b = pyfftw.empty_aligned((n, n, n // 2 + 1), ctype)
    c = pyfftw.empty_aligned(shape, dtype)
    fwd = pyfftw.FFTW(a, b, axes=(0, 1, 2), flags=("FFTW_MEASURE",), threads=threads)
    bwd = pyfftw.FFTW(b, c, axes=(0, 1, 2), direction="FFTW_BACKWARD", flags=("FFTW_MEASURE", "FFTW_DESTROY_INPUT"), threads=threads)
    a[...] = x

    def raw():
        fwd()
        bwd()  # __call__ normalises by 1/N, as the wrapper does

    X = be.empty((n, n, n // 2 + 1), ctype)
    y = be.empty(shape, dtype)

    def fc_out():
        be.rfftn(x, out=X)
        be.irfftn(X, s=shape, out=y, overwrite_x=True)

    def fc_plain():
        be.irfftn(be.rfftn(x), s=shape)

    def sp():
        scipy.fft.irfftn(scipy.fft.rfftn(x, workers=threads), s=shape, workers=threads)

    def npf():
        np.fft.irfftn(np.fft.rfftn(x), s=shape, axes=(0, 1, 2))

    rows = {}
    for name, fn in [
        ("raw FFTW", raw),
        ("fieldconv pyfftw (out=)", fc_out),
        ("fieldconv pyfftw", fc_plain),
        (f"scipy.fft workers={threads}", sp),
        ("numpy.fft", npf),
    ]:
        rows[name] = median(fn, repeats)
    # correctness of what was timed
    fc_out()
    assert np.allclose(y, x, atol=1e-4 if dtype == np.float32 else 1e-10)
    return rows


def main(argv=None):
    from fieldconv.backend import default_threads

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller grids, fewer repeats")
    p.add_argument("--threads", type=int, default=default_threads())
    args = p.parse_args(argv)
    sizes = (64, 128) if args.quick else (128, 256)
    repeats = 3 if args.quick else 7
    print(f"real 3-D round trip rfftn+irfftn, threads={args.threads}, median of {repeats} (ms)")
    header = f"{'grid':6s} {'dtype':8s} {'method':28s} {'ms':>9s} {'/raw FFTW':>10s} {'/scipy.fft':>11s}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        for dtype in (np.float32, np.float64):
            rows = bench(n, dtype, args.threads, repeats)
            raw = rows["raw FFTW"]
            sp = next(v for k, v in rows.items() if k.startswith("scipy"))
            for name, t in rows.items():
                print(f"{n:4d}^3 {np.dtype(dtype).name:8s} {name:28s} {t * 1e3:9.1f} {t / raw:10.2f} {t / sp:11.2f}")
            print()


if __name__ == "__main__":
    main()
