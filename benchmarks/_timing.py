"""Timing helpers shared by the benchmark scripts (run as ``python benchmarks/bench_X.py``)."""

import statistics
import time

__all__ = ["best", "median"]


def _times(fn, repeats, warmup):
    if warmup:
        fn()  # planning, numba compilation, first-touch page faults
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def best(fn, repeats, *, warmup=False):
    """Fastest of `repeats` calls of `fn`, in seconds."""
    return min(_times(fn, repeats, warmup))


def median(fn, repeats, *, warmup=True):
    """Median of `repeats` calls of `fn` after one warm-up call, in seconds."""
    return statistics.median(_times(fn, repeats, warmup))
