"""FFT backend benchmark: real 3-D round trip (rfftn + irfftn).

Measured side by side in one run, on the same input arrays:

* ``raw FFTW``: pre-planned ``pyfftw.FFTW`` objects (FFTW_MEASURE, all threads)
  executed on their own buffers: the floor any wrapper can reach;
* ``fieldconv pyfftw (out=)``: the backend called with ``out=`` buffers and
  ``overwrite_x=True`` on the intermediate spectrum (what operators do);
* ``fieldconv pyfftw``: the plain allocating call, input preserved;
* ``scipy.fft`` with ``workers`` = all threads, and ``numpy.fft``.

Ratios are against raw FFTW and against scipy.fft.

``--first-call`` measures the planner policy instead, in fresh processes,
for each shape class (powers of two, 3·5·7-smooth, primes): a forward
``rfftn`` of a float64 field through the default pyfftw backend,

* ``cold``: the first and the tenth call with an empty wisdom cache (a
  fresh install), and the call at which the measured plan took over;
* ``warm``: the first and the tenth call in a new process after that (the
  per-user wisdom cache holds what the cold process measured, or what
  ``fieldconv.backend.plan_fft`` measured when the cold run ended first);
* references: scipy.fft's first call in a fresh process (imports included,
  as for fieldconv), and the median call of a pre-planned FFTW_MEASURE plan
  through the same backend call, planned in the warm process after its
  tenth call without our wisdom and timed interleaved with further calls
  of the policy (FFTW_ESTIMATE for the prime shapes, whose MEASURE planning
  takes minutes; ``--measure-primes`` to plan them anyway).

Ratios: first call / scipy.fft's first call (target <= 1.5) and tenth call /
pre-planned plan (target <= 1.05); each figure is the median over
``--repeats`` fresh processes.  Usage::

    python benchmarks/bench_fft.py              # 128^3 and 256^3, float32 and float64
    python benchmarks/bench_fft.py --quick      # 64^3 and 128^3
    python benchmarks/bench_fft.py --first-call [--threads 1] [--quick]

``bench_fft_cpu.py`` gives the same first/tenth-call ratios in CPU seconds (for a loaded machine).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from _timing import median

#: shape classes of the first-call benchmark
FIRST_CALL_SHAPES = {
    "2^k": [(64, 64, 64), (128, 128, 128), (1024, 1024), (2**20,)],
    "3.5.7": [(105, 105, 105), (210, 210), (99225,)],
    "prime": [(211, 223, 227), (4099, 4111), (1_000_003,)],
}
QUICK_SHAPES = {"2^k": [(64, 64, 64), (2**16,)], "3.5.7": [(105, 105, 105)], "prime": [(4099, 4111)]}

_FC_CHILD = """
import json, statistics, sys, time
import numpy as np
shape, threads, ncalls, wait, ref_effort = tuple(json.loads(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
x = np.random.default_rng(0).standard_normal(shape)
times = []
t0 = time.perf_counter()
from fieldconv.backend import get_backend, _planner
be = get_backend("pyfftw", threads=threads, planner_effort="auto")
be.rfftn(x)
times.append(time.perf_counter() - t0)
key = ("rfftn", shape, np.dtype("f8"), tuple(range(len(shape))), shape[:-1] + (shape[-1] // 2 + 1,), threads)
def status():
    st = [s for s in _planner.planner_status()["transforms"] if tuple(s["key"]) == key]
    return st[0]["status"] if st else None
took_over = "measured" if status() == "measured" else None
start = time.perf_counter()
while len(times) < ncalls or (took_over is None and time.perf_counter() - start < wait):
    t = time.perf_counter(); be.rfftn(x); times.append(time.perf_counter() - t)
    if took_over is None and status() in ("measured", "refused", "failed"):
        took_over = len(times) + 1 if status() == "measured" else status()
res = {"first": times[0], "tenth": times[9], "took_over": took_over}
if ref_effort != "none":
    import pyfftw
    from fieldconv.backend import _fftw_plans
    with _fftw_plans._planner_lock:
        pyfftw.forget_wisdom()  # the reference plans on its own, not from our wisdom
    ref = get_backend("pyfftw", threads=threads, planner_effort=ref_effort)
    ref.rfftn(x)  # planned here, before the clock
    rt, at = [], []
    for _ in range(10):
        t = time.perf_counter(); ref.rfftn(x); rt.append(time.perf_counter() - t)
        t = time.perf_counter(); be.rfftn(x); at.append(time.perf_counter() - t)
    res.update(ref=statistics.median(rt), auto_steady=statistics.median(at))
print("RESULT " + json.dumps(res))
"""

_SP_CHILD = """
import json, sys, time
import numpy as np
shape, threads = tuple(json.loads(sys.argv[1])), int(sys.argv[2])
x = np.random.default_rng(0).standard_normal(shape)
t0 = time.perf_counter()
import scipy.fft
scipy.fft.rfftn(x, workers=threads)
print("RESULT " + json.dumps({"first": time.perf_counter() - t0}))
"""


def _child_env(**extra):
    """Environment of the fresh processes: the package's .pyc files are used (as after ``pip install``)."""
    env = dict(os.environ, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _compile_package():
    import compileall

    import fieldconv

    compileall.compile_dir(os.path.dirname(fieldconv.__file__), quiet=1)


def _run_child(code, args, env):
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"child failed: {proc.stderr[-2000:]}")


def first_call(shape, threads, repeats, measure_primes, wait):
    """Medians over `repeats` runs of the cold/warm first and tenth calls and the references."""
    prime = max(_largest_prime(n) for n in shape) > 100
    ref_effort = "FFTW_ESTIMATE" if prime and not measure_primes else "FFTW_MEASURE"
    rows = {k: [] for k in ("scipy_first", "cold_first", "cold_tenth", "warm_first", "warm_tenth", "ref", "auto_steady")}
    took = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="fc-bench-fft-") as tmp:
            env = _child_env(FIELDCONV_CACHE_DIR=tmp, FIELDCONV_FFTW_WISDOM_CACHE="1")
            for name in ("FIELDCONV_FFTW_PLANNER", "FIELDCONV_FFTW_WISDOM"):
                env.pop(name, None)
            rows["scipy_first"].append(_run_child(_SP_CHILD, [json.dumps(shape), threads], env)["first"])
            cold = _run_child(_FC_CHILD, [json.dumps(shape), threads, 10, wait, "none"], env)
            rows["cold_first"].append(cold["first"])
            rows["cold_tenth"].append(cold["tenth"])
            took.append(cold["took_over"])
            if cold["took_over"] is None:  # the cold run ended before its plan was measured
                _run_child("import json, sys; from fieldconv.backend import plan_fft; "
                           "plan_fft(tuple(json.loads(sys.argv[1])), kinds=['rfftn'], threads=int(sys.argv[2])); "
                           "print('RESULT {}')", [json.dumps(shape), threads], env)
            warm = _run_child(_FC_CHILD, [json.dumps(shape), threads, 10, 0, ref_effort], env)
            for k in ("first", "tenth"):
                rows["warm_" + k].append(warm[k])
            rows["ref"].append(warm["ref"])
            rows["auto_steady"].append(warm["auto_steady"])
    out = {k: statistics.median(v) for k, v in rows.items()}
    out.update(ref_effort=ref_effort.replace("FFTW_", ""), took_over=took)
    return out


def _largest_prime(n):
    big, p = 1, 2
    while p * p <= n:
        while n % p == 0:
            big, n = p, n // p
        p += 1
    return max(big, n)


def main_first_call(args):
    shapes = QUICK_SHAPES if args.quick else FIRST_CALL_SHAPES
    _compile_package()
    print(f"first calls of a float64 rfftn in fresh processes, threads={args.threads}, "
          f"median of {args.repeats} runs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("first: seconds incl. imports; ratio to scipy.fft's first call (target <= 1.5)")
    print("tenth: ms; ratio to a pre-planned plan's median call through the same backend (target <= 1.05); "
          "steady: the policy's median call / the same")
    head = (f"{'class':6s} {'shape':16s} {'scipy 1st':>9s} {'cold 1st':>9s} {'/scipy':>6s} {'warm 1st':>9s} "
            f"{'/scipy':>6s} {'ref ms':>9s} {'cold 10th':>9s} {'/ref':>5s} {'warm 10th':>9s} {'/ref':>5s} {'steady':>6s}"
            "  measured plan from call")
    print(head)
    print("-" * len(head))
    for cls, group in shapes.items():
        for shape in group:
            r = first_call(shape, args.threads, args.repeats, args.measure_primes, args.wait)
            label = "x".join(map(str, shape))
            ref = f"{r['ref'] * 1e3:8.2f}" + ("E" if r["ref_effort"] == "ESTIMATE" else " ")
            print(f"{cls:6s} {label:16s} {r['scipy_first']:9.3f} {r['cold_first']:9.3f} "
                  f"{r['cold_first'] / r['scipy_first']:6.2f} {r['warm_first']:9.3f} {r['warm_first'] / r['scipy_first']:6.2f} "
                  f"{ref:>9s} {r['cold_tenth'] * 1e3:9.2f} {r['cold_tenth'] / r['ref']:5.2f} "
                  f"{r['warm_tenth'] * 1e3:9.2f} {r['warm_tenth'] / r['ref']:5.2f} {r['auto_steady'] / r['ref']:6.2f}"
                  f"  {r['took_over']}", flush=True)
    print("E: reference is a pre-planned FFTW_ESTIMATE plan (MEASURE plans these for minutes); the policy runs "
          "them on scipy.fft ('refused').")


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
    p.add_argument("--first-call", action="store_true", help="the planner policy: first and tenth calls in fresh processes")
    p.add_argument("--repeats", type=int, default=3, help="--first-call: fresh processes per figure (median)")
    p.add_argument("--wait", type=float, default=60.0,
                   help="--first-call: seconds the cold run keeps calling until the measured plan takes over")
    p.add_argument("--measure-primes", action="store_true", help="--first-call: FFTW_MEASURE reference for primes too")
    args = p.parse_args(argv)
    if args.first_call:
        return main_first_call(args)
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
