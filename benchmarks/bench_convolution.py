"""Convolution benchmark: fieldconv (auto and every method) against scipy and astropy.

Measured side by side in one run, on the same arrays (float64 unless the row
says f32), mode "reflect" for fieldconv and scipy.ndimage:

* ``fieldconv auto`` and each method (direct, separable, fft, overlap-add);
* ``scipy.ndimage.convolve`` (direct, no separation);
* ``scipy.signal.fftconvolve`` / ``oaconvolve`` (``mode="same"``, zero
  boundary) with 2 workers via ``scipy.fft.set_workers(2)``;
* ``astropy.convolution.convolve`` (direct, boundary "extend") and
  ``convolve_fft``.  astropy's direct convolve is very slow on big inputs and
  its ``convolve_fft`` pads to twice the size in complex128 (2 GB at 256^3):
  those are timed on a smaller input (512^2 or 64^3/128^3) and scaled by the
  number of output samples; scaled entries carry a ``*``.

Every time is the best of ``repeats`` runs (default 5; fieldconv's methods
timed round-robin so that load changes hit them alike) after one warm-up call
(numba compilation, FFTW planning).  The machine is shared, so read ratios within a
row, not absolute times across runs.

``--complex`` times complex data against ``scipy.ndimage`` (which runs two
or four real passes), with fieldconv's FFT as one complex transform and as
two real ones (the real and imaginary parts through the real FFT method),
and a non-finite case (one inf) on every method.  ``--first-call`` starts
fresh processes with an empty ``NUMBA_CACHE_DIR`` and reports the wall and
CPU time of the first ``convolve`` call of each kind (numba compiles on it);
``--source DIR`` measures another checkout (e.g. an older commit exported
with ``git archive``) the same way.

Usage::

    flock /tmp/fieldconv-bench.lock python benchmarks/bench_convolution.py            # full table
    flock /tmp/fieldconv-bench.lock python benchmarks/bench_convolution.py --quick    # small sizes
    flock /tmp/fieldconv-bench.lock python benchmarks/bench_convolution.py --calibrate # cost-model data
    flock /tmp/fieldconv-bench.lock python benchmarks/bench_convolution.py --complex  # complex and inf rows
    python benchmarks/bench_convolution.py --first-call                               # cold compilation
"""

import argparse
import math
import time

import numpy as np


def _best(fn, repeats):
    fn()  # warm-up
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _best_interleaved(fns, repeats):
    for fn in fns.values():
        fn()  # warm-up
    best = {k: math.inf for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def gaussian(k, ndim):
    x = np.arange(k) - (k - 1) / 2
    g = np.exp(-0.5 * (x / (k / 6.0)) ** 2)
    g /= g.sum()
    w = g
    for _ in range(ndim - 1):
        w = np.multiply.outer(w, g)
    return w


def nonseparable(k, ndim, rng):
    """A positive, full-rank kernel (Gaussian plus a random perturbation)."""
    w = gaussian(k, ndim) + 0.2 * rng.random((k,) * ndim) / k**ndim
    return w / w.sum()


def _fc(field, w, method, **kw):
    from fieldconv.convolution import convolve

    return lambda: convolve(field, w, method=method, mode="reflect", **kw)


def run_row(label, field, w, *, repeats, small_field, separable):
    import scipy.fft
    import scipy.ndimage
    import scipy.signal
    from astropy.convolution import convolve as a_conv
    from astropy.convolution import convolve_fft as a_fft

    from fieldconv.convolution import _cost

    methods = ["direct", "fft", "overlap-add"] + (["separable"] if separable else [])
    # fieldconv's own methods are timed interleaved (round-robin, best of
    # `repeats` rounds) so that a change of machine load hits them alike
    fns = {m: _fc(field, w, m) for m in methods + ["auto"]}
    t = _best_interleaved(fns, repeats)
    fns["auto"]()
    picked = _cost.last_auto()
    t["ndimage"] = _best(lambda: scipy.ndimage.convolve(field, w, mode="reflect"), 1 if w.size > 100 else repeats)
    with scipy.fft.set_workers(2):
        t["fftconvolve"] = _best(lambda: scipy.signal.fftconvolve(field, w, mode="same"), repeats)
        t["oaconvolve"] = _best(lambda: scipy.signal.oaconvolve(field, w, mode="same"), repeats)
    scale = field.size / small_field.size
    t["astropy"] = scale * _best(lambda: a_conv(small_field, w, boundary="extend", normalize_kernel=False), 1)
    big = field.ndim == 3
    src = small_field if big else field
    t["astropy_fft"] = (field.size / src.size) * _best(
        lambda: a_fft(src, w, boundary="fill", normalize_kernel=False, allow_huge=True), 1
    )
    best_fc = min(t[m] for m in methods)
    return {
        "label": label,
        "t": t,
        "picked": picked,
        "best": min(methods, key=t.get),
        "auto_vs_best": t["auto"] / best_fc,
        "fft_scaled": big,
    }


def run_nan_row(label, field, w, *, repeats):
    from astropy.convolution import convolve as a_conv

    from fieldconv.convolution import convolve

    t = {}
    t["auto"] = _best(lambda: convolve(field, w, nan_policy="interpolate", mode="nearest"), repeats)
    t["astropy"] = _best(
        lambda: a_conv(field, w, boundary="extend", nan_treatment="interpolate", normalize_kernel=False), 1
    )
    got = convolve(field, w, nan_policy="interpolate", mode="nearest")
    want = a_conv(field, w, boundary="extend", nan_treatment="interpolate", normalize_kernel=False)
    err = float(np.nanmax(np.abs(got - want)))
    return {"label": label, "t": t, "err": err}


def fmt(x, scaled=False):
    if x is None:
        return "-"
    s = f"{x * 1e3:.0f}" if x >= 0.1 else f"{x * 1e3:.1f}"
    return s + ("*" if scaled else "")


def print_table(rows, nan_rows):
    cols = ["auto", "direct", "separable", "fft", "overlap-add", "ndimage", "fftconvolve", "oaconvolve", "astropy",
            "astropy_fft"]
    head = ["case"] + [f"{c} [ms]" for c in cols] + ["auto picks", "auto/best", "ndimage/auto", "fftconv/auto"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        t = r["t"]
        cells = [r["label"]]
        for c in cols:
            scaled = c == "astropy" or (c == "astropy_fft" and r["fft_scaled"])
            cells.append(fmt(t.get(c), scaled))
        cells += [r["picked"], f"{r['auto_vs_best']:.2f}", f"{t['ndimage'] / t['auto']:.1f}x",
                  f"{t['fftconvolve'] / t['auto']:.2f}x"]
        print("| " + " | ".join(cells) + " |")
    print()
    print("| NaN-aware case | fieldconv interpolate [ms] | astropy convolve interpolate [ms] | fieldconv/astropy | max |diff| |")
    print("|---|---|---|---|---|")
    for r in nan_rows:
        t = r["t"]
        print(f"| {r['label']} | {fmt(t['auto'])} | {fmt(t['astropy'])} | {t['auto'] / t['astropy']:.3f} | {r['err']:.1e} |")
    print("\n* = timed on a smaller input and scaled by the number of output samples.")


def calibrate(repeats):
    """Per-sample cost of each method, the data behind the constants of the cost model."""
    from fieldconv.convolution import convolve

    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        x = rng.standard_normal((2048, 2048)).astype(dt)
        for k in (3, 7, 15, 31):
            w = nonseparable(k, 2, rng)
            g = gaussian(k, 2)
            res = {
                "direct": _best(lambda: convolve(x, w, method="direct"), repeats),
                "separable": _best(lambda: convolve(x, g, method="separable"), repeats),
                "fft": _best(lambda: convolve(x, w, method="fft"), repeats),
                "fft-wrap": _best(lambda: convolve(x, w, method="fft", mode="wrap"), repeats),
                "overlap-add": _best(lambda: convolve(x, w, method="overlap-add"), repeats),
            }
            print(np.dtype(dt).name, f"K={k}", " ".join(f"{m}={v * 1e9 / x.size:.2f}ns/sample" for m, v in res.items()),
                  flush=True)


def _fft_two_real(field, w):
    """The FFT method on the real and imaginary parts (two real transforms each way), for comparison."""
    from fieldconv.convolution import convolve

    def run():
        out = convolve(np.ascontiguousarray(field.real), w, method="fft", mode="reflect").astype(field.dtype)
        out += 1j * convolve(np.ascontiguousarray(field.imag), w, method="fft", mode="reflect")
        return out

    return run


def complex_rows(repeats, quick):
    """Complex fields and kernels: fieldconv (auto, each method) against scipy.ndimage, side by side."""
    import scipy.ndimage

    from fieldconv.convolution import _cost, convolve, correlate1d

    rng = np.random.default_rng(1)
    n = 512 if quick else 1024
    z = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    cases = [
        (f"{n}^2 c128 x real gauss 7x7", z, gaussian(7, 2)),
        (f"{n}^2 c64 x real gauss 7x7", z.astype(np.complex64), gaussian(7, 2)),
        (f"{n}^2 c128 x c128 gabor 7x7", z, gaussian(7, 2) * np.exp(1j * np.arange(7) * 0.9)[None, :]),
        (f"{n}^2 c128 x c128 nonsep 7x7", z, nonseparable(7, 2, rng) * np.exp(1j * rng.random((7, 7)))),
        (f"{n}^2 c128 x real nonsep 31x31", z, nonseparable(31, 2, rng)),
        (f"{n}^2 c128 x c128 nonsep 31x31", z, nonseparable(31, 2, rng) * np.exp(1j * rng.random((31, 31)))),
    ]
    rows = []
    for label, f, w in cases:
        fns = {m: _fc(f, w, m) for m in ("auto", "direct", "fft")}
        if label.split()[-2] in ("gauss", "gabor"):
            fns["separable"] = _fc(f, w, "separable")
        if not np.iscomplexobj(w):
            fns["fft 2 real"] = _fft_two_real(f, w)
        t = _best_interleaved(fns, repeats)
        fns["auto"]()
        picked = _cost.last_auto()
        t["ndimage"] = _best(lambda: scipy.ndimage.convolve(f, w, mode="reflect"), 1 if w.size > 100 else repeats)
        err = float(np.abs(convolve(f, w) - scipy.ndimage.convolve(f, w)).max())
        rows.append((label, t, picked, err))
        print(label, "done", flush=True)
    line = rng.standard_normal(10**6) + 1j * rng.standard_normal(10**6)
    wl = np.hanning(23)[1:-1] * (1 + 0.5j)
    t = {"auto": _best(lambda: correlate1d(line, wl, mode="constant"), repeats),
         "ndimage": _best(lambda: scipy.ndimage.correlate1d(line, wl, mode="constant"), repeats)}
    err = float(np.abs(correlate1d(line, wl, mode="constant") - scipy.ndimage.correlate1d(line, wl, mode="constant")).max())
    rows.append(("10^6 c128 line x c128 21 taps (correlate1d)", t, "direct", err))
    # one inf in the field: the exact answer on every method (FFT methods: two more transforms)
    x = rng.standard_normal((n, n))
    x[n // 3, n // 2] = np.inf
    w = nonseparable(31, 2, rng)
    fns = {m: _fc(x, w, m) for m in ("auto", "direct", "fft", "overlap-add")}
    t = _best_interleaved(fns, repeats)
    fns["auto"]()
    picked = _cost.last_auto()
    t["ndimage"] = _best(lambda: scipy.ndimage.convolve(x, w, mode="reflect"), 1)
    got, want = convolve(x, w), scipy.ndimage.convolve(x, w)
    same = bool(np.array_equal(np.isinf(got), np.isinf(want)) and not np.isnan(got).any())
    fin = np.isfinite(want)
    rows.append((f"{n}^2 real nonsep 31x31, one inf (same infs: {same})", t, picked,
                 float(np.abs(got[fin] - want[fin]).max())))
    cols = ["auto", "direct", "separable", "fft", "fft 2 real", "overlap-add", "ndimage"]
    head = ["case"] + [f"{c} [ms]" for c in cols] + ["auto picks", "ndimage/auto", "max |diff| vs ndimage"]
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, t, picked, err in rows:
        cells = [label] + [fmt(t.get(c)) for c in cols] + [picked, f"{t['ndimage'] / t['auto']:.1f}x", f"{err:.1e}"]
        print("| " + " | ".join(cells) + " |")


_FIRST_CALL = """
import sys, time
t0 = time.perf_counter()
import numpy as np
import fieldconv
rng = np.random.default_rng(0)
case = sys.argv[1]
x = rng.standard_normal((256, 256))
k = {"direct 2-D 5x5": rng.standard_normal((5, 5)), "separable 2-D 7x7": np.outer(np.hanning(9)[1:-1], np.hanning(9)[1:-1]),
     "1-D 5 taps": np.ones(5) / 5, "direct 3-D 3^3": rng.standard_normal((3, 3, 3)), "f32 direct 2-D 5x5": rng.standard_normal((5, 5)),
     "complex 2-D 5x5": rng.standard_normal((5, 5)) * (1 + 1j)}[case]
if case.startswith("1-D"):
    x = rng.standard_normal(10000)
elif "3-D" in case:
    x = rng.standard_normal((32, 32, 32))
elif case.startswith("f32"):
    x = x.astype(np.float32)
t1 = time.perf_counter(); c1 = time.process_time()
fieldconv.convolve(x, k)
t2 = time.perf_counter(); c2 = time.process_time()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {c2 - c1:.3f}")
"""


def first_call(source=None):
    """First convolve call in fresh processes with an empty numba cache (wall and CPU seconds)."""
    import os
    import subprocess
    import sys
    import tempfile

    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = source + os.pathsep + env.get("PYTHONPATH", "")
    print("| first call | import [s] | first call wall [s] | first call CPU [s] |")
    print("|---|---|---|---|")
    for case in ("direct 2-D 5x5", "separable 2-D 7x7", "1-D 5 taps", "direct 3-D 3^3", "f32 direct 2-D 5x5",
                 "complex 2-D 5x5"):
        with tempfile.TemporaryDirectory(prefix="fieldconv-numba-") as cache:
            env["NUMBA_CACHE_DIR"] = cache
            out = subprocess.run([sys.executable, "-c", _FIRST_CALL, case], env=env, capture_output=True, text=True,
                                 cwd=tempfile.gettempdir())
        if out.returncode:
            print(f"| {case} | failed: {out.stderr.strip().splitlines()[-1]} | | |")
            continue
        imp, wall, cpu = out.stdout.split()
        print(f"| {case} | {imp} | {wall} | {cpu} |", flush=True)
    print(f"\nload average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (512^2, 64^3), one repeat")
    p.add_argument("--calibrate", action="store_true", help="print per-sample costs for the cost model")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--complex", action="store_true", help="complex data and a non-finite case against scipy.ndimage")
    p.add_argument("--first-call", action="store_true", help="cold first-call times in fresh processes")
    p.add_argument("--source", default=None, help="with --first-call: a checkout to measure instead of this one")
    p.add_argument("--only", default=None, help="run only the rows whose label contains this text ('NaN' for the NaN row)")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    if args.calibrate:
        calibrate(repeats)
        return
    if args.first_call:
        first_call(args.source)
        return
    if args.complex:
        complex_rows(repeats, args.quick)
        return
    rng = np.random.default_rng(0)
    n2, n3 = (512, 64) if args.quick else (2048, 256)
    img = rng.standard_normal((n2, n2))
    small2 = img[:512, :512].copy() if n2 > 512 else img[:256, :256].copy()
    cube = rng.standard_normal((n3, n3, n3))
    small3 = cube[:64, :64, :64].copy() if n3 > 64 else cube[:32, :32, :32].copy()
    rows = []
    want = (lambda label: args.only is None or args.only in label)
    for k in (3, 7, 31):
        for kind in ("gauss", "nonsep"):
            w = gaussian(k, 2) if kind == "gauss" else nonseparable(k, 2, rng)
            if not want(f"{n2}^2 {kind} {k}x{k}"):
                continue
            rows.append(run_row(f"{n2}^2 {kind} {k}x{k}", img, w, repeats=repeats, small_field=small2,
                                separable=kind == "gauss"))
            print(rows[-1]["label"], "done", flush=True)
    img32 = img.astype(np.float32)
    for k, kind in ((7, "gauss"), (31, "nonsep")):
        w = gaussian(k, 2) if kind == "gauss" else nonseparable(k, 2, rng)
        if not want(f"{n2}^2 f32 {kind} {k}x{k}"):
            continue
        rows.append(run_row(f"{n2}^2 f32 {kind} {k}x{k}", img32, w, repeats=repeats, small_field=small2.astype(np.float32),
                            separable=kind == "gauss"))
        print(rows[-1]["label"], "done", flush=True)
    for kind in ("gauss", "nonsep"):
        w = gaussian(7, 3) if kind == "gauss" else nonseparable(7, 3, rng)
        if not want(f"{n3}^3 {kind} 7^3"):
            continue
        rows.append(run_row(f"{n3}^3 {kind} 7^3", cube, w, repeats=repeats, small_field=small3,
                            separable=kind == "gauss"))
        print(rows[-1]["label"], "done", flush=True)
    nimg = img.copy()
    nimg[rng.random(nimg.shape) < 0.01] = np.nan
    label = f"{n2}^2 gauss 7x7, 1% NaN"
    nan_rows = [run_nan_row(label, nimg, gaussian(7, 2), repeats=repeats)] if want(label) else []
    print()
    print_table(rows, nan_rows)


if __name__ == "__main__":
    main()
