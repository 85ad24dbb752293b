"""ChannelMixer forward/backward against the bare matrix products on the same data.

Run (never two benchmarks at once):
    flock /tmp/fieldconv-bench.lock python benchmarks/bench_mixer.py [--quick] [--shape 16 256 256 256]

Targets (issue 14): on a (16, 256, 256, 256) float32 field (1 GiB per array)

* forward  ``mix(x)`` (``W x + b``, finite-check on)  within 1.2x of ``numpy.matmul(W, x2)``;
* backward ``mix.backward(g)`` (``W^T g``, ``sum g x^T``, ``sum g``)  within 1.2x of the two
  products ``W.T @ g2`` and ``g2 @ x2.T`` it needs.

The references get the same (C, N) views of the same arrays (no copies), and
allocate their outputs as the mixer does.  Each round times reference and
mixer back to back and the ratio is taken per round (the machine is shared:
ratios of adjacent measurements are stable where absolute times are not);
the table reports the median and the range of the per-round ratios, and the
load average before and after.  Peak memory per call is measured with
``tracemalloc`` (NumPy reports its buffers to it): the mixer must allocate
its output and nothing else of the field's size.

``--layouts`` also times channel_axis=1 (B, C, L batches) and channel-last
fields, against ``numpy.matmul`` on the same views.
"""

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np

from fieldconv.nn import ChannelMixer


def _peak(fn):
    """Result of `fn` and the peak bytes it allocated (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, peak


def _pair(ref, mine, rounds):
    """Per-round (ref seconds, mine seconds), timed back to back, alternating which goes first."""
    ref(), mine()  # warm-up: first touch of outputs, BLAS threads
    pairs = []
    for r in range(rounds):
        order = (ref, mine) if r % 2 == 0 else (mine, ref)
        t = {}
        for fn in order:
            t0 = time.perf_counter()
            out = fn()
            t[fn] = time.perf_counter() - t0
            del out
        pairs.append((t[ref], t[mine]))
    return pairs


def _row(label, pairs):
    ratios = [m / r for r, m in pairs]
    ref = statistics.median(r for r, _ in pairs)
    mine = statistics.median(m for _, m in pairs)
    return (f"| {label:44s} | {ref * 1e3:8.1f} | {mine * 1e3:8.1f} | {statistics.median(ratios):5.2f} "
            f"({min(ratios):.2f}-{max(ratios):.2f}) |")


def bench_channels_first(shape, rounds, dtype):
    rng = np.random.default_rng(0)
    C = shape[0]
    x = np.empty(shape, dtype=dtype)
    g = np.empty(shape, dtype=dtype)
    for a in (x, g):  # fill slab by slab: no float64 temporary of the field's size
        for i in range(C):
            a[i] = rng.standard_normal(shape[1:], dtype=np.float32)
    mix = ChannelMixer(C, C, dtype=dtype, rng=1, backend="numpy")
    W = np.asarray(mix.weight)
    x2, g2 = x.reshape(C, -1), g.reshape(C, -1)
    gib = x.nbytes / 2**30
    print(f"field {shape} {np.dtype(dtype).name}: {gib:.2f} GiB per array; load average before "
          f"{os.getloadavg()[0]:.2f}")
    print("| case                                         | ref ms   | mixer ms | mixer/ref (range) |")
    print("|----------------------------------------------|----------|----------|-------------------|")
    fwd = _pair(lambda: np.matmul(W, x2), lambda: mix(x), rounds)
    print(_row("forward W x + b  vs  matmul(W, x)", fwd), flush=True)
    bwd_ref = lambda: (np.matmul(W.T, g2), np.matmul(g2, x2.T))  # noqa: E731
    # the mixer's backward needs a forward before each call (untimed); order alternates per round
    pairs = []
    bwd_ref()
    for r in range(rounds):
        t = {}
        for which in (("ref", "mine") if r % 2 == 0 else ("mine", "ref")):
            if which == "mine":
                mix(x)
            t0 = time.perf_counter()
            out = bwd_ref() if which == "ref" else mix.backward(g)
            t[which] = time.perf_counter() - t0
            del out
        pairs.append((t["ref"], t["mine"]))
    print(_row("backward (W^T g, g x^T, sum g)  vs  2 matmuls", pairs), flush=True)
    results = {"forward": statistics.median(m / r for r, m in fwd), "backward": statistics.median(m / r for r, m in pairs)}
    nobias = ChannelMixer(C, C, bias=False, check_finite=False, dtype=dtype, rng=1, backend="numpy")
    print(_row("forward, no bias, no finite check", _pair(lambda: np.matmul(W, x2), lambda: nobias(x), rounds)))
    _, peak_ref = _peak(lambda: np.matmul(W, x2))
    _, peak_fwd = _peak(lambda: mix(x))
    _, peak_bwd = _peak(lambda: mix.backward(g))
    print(f"peak allocation per call (GiB): matmul {peak_ref / 2**30:.3f}, mixer forward {peak_fwd / 2**30:.3f}, "
          f"mixer backward {peak_bwd / 2**30:.3f}  (one output = {gib:.3f})")
    print(f"load average after {os.getloadavg()[0]:.2f}")
    for name, ratio in results.items():
        print(f"target {name} <= 1.2x: {'met' if ratio <= 1.2 else 'NOT met'} (median {ratio:.2f}x)")


def bench_layouts(rounds, dtype):
    """Other channel axes: (B, C, L) batches and channel-last fields, vs matmul on the same views."""
    rng = np.random.default_rng(2)
    print("| layout                                       | ref ms   | mixer ms | mixer/ref (range) |")
    print("|----------------------------------------------|----------|----------|-------------------|")
    B, C, L = 64, 32, 3600
    x = rng.standard_normal((B, C, L), dtype=np.float32).astype(dtype)
    mix = ChannelMixer(C, C, channel_axis=1, dtype=dtype, rng=1, backend="numpy")
    W = np.asarray(mix.weight)
    print(_row(f"(B, C, L) = {(B, C, L)}, axis 1", _pair(lambda: np.matmul(W, x), lambda: mix(x), rounds)))
    x = rng.standard_normal((128, 128, 128, 16), dtype=np.float32).astype(dtype)
    mix = ChannelMixer(16, 16, channel_axis=-1, dtype=dtype, rng=1, backend="numpy")
    W = np.asarray(mix.weight)
    x2 = x.reshape(-1, 16)
    print(_row("(128, 128, 128, 16), channel last", _pair(lambda: np.matmul(x2, W.T), lambda: mix(x), rounds)))
    x = rng.standard_normal((64, 16, 64, 64), dtype=np.float32).astype(dtype)
    mix = ChannelMixer(16, 16, channel_axis=1, dtype=dtype, rng=1, backend="numpy")
    W = np.asarray(mix.weight)
    print(_row("(64, 16, 64, 64), axis 1", _pair(lambda: np.matmul(W, x.reshape(64, 16, -1)), lambda: mix(x),
                                                 rounds)))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", type=int, nargs="+", default=[16, 256, 256, 256])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--float64", action="store_true")
    ap.add_argument("--quick", action="store_true", help="(16, 64, 128, 128): 64 MiB per array")
    ap.add_argument("--layouts", action="store_true")
    args = ap.parse_args(argv)
    shape = (16, 64, 128, 128) if args.quick else tuple(args.shape)
    dtype = np.float64 if args.float64 else np.float32
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs")
    bench_channels_first(shape, args.rounds, dtype)
    if args.layouts:
        bench_layouts(args.rounds, dtype)


if __name__ == "__main__":
    main()
