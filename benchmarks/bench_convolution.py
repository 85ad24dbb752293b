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

Usage::

    flock /tmp/fieldconv-bench.lock python benchmarks/bench_convolution.py            # full table
    flock /tmp/fieldconv-bench.lock python benchmarks/bench_convolution.py --quick    # small sizes
    flock /tmp/fieldconv-bench.lock python benchmarks/bench_convolution.py --calibrate # cost-model data
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (512^2, 64^3), one repeat")
    p.add_argument("--calibrate", action="store_true", help="print per-sample costs for the cost model")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--only", default=None, help="run only the rows whose label contains this text ('NaN' for the NaN row)")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    if args.calibrate:
        calibrate(repeats)
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
