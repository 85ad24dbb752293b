"""Mass-assignment benchmark: paint / readout throughput and peak memory.

Measured side by side in one run, on the same particles (10^7 uniform float32
positions, float32 meshes):

* ``fieldconv`` paint (CIC, TSC) with one numba thread and with all threads;
* ``fieldconv`` on pre-bucketed particles (``fieldconv.assign.bucket``), and
  bucketing plus one paint;
* ``np.add.at`` (CIC written with 8 ``np.add.at`` calls; run on 10^6
  particles, reported as a rate);
* Pylians ``MAS_library.MA`` (single-threaded Cython), through a subprocess
  with the Python named by ``PYLIANS_PYTHON`` (a separate venv:
  ``python3 -m venv /work/pylians-venv && /work/pylians-venv/bin/pip install numpy cython Pylians``);
  'n/a' when unset;
* readout (CIC, TSC) with all threads.

Rates are in millions of particles per second, best of round-robin rounds
(every case, Pylians included, runs once per round, so load from other
processes hits all cases alike).  Ratios (to Pylians, and of 2 threads to 1)
are given as best/best and, less sensitive to slow phases of a shared
machine, as the median over rounds of the ratio within each round.
``--memory`` also paints 10^8 particles onto 512^3 float32 in a subprocess and
reports its peak RSS against positions + mesh.  Run under the benchmark lock::

    flock /tmp/fieldconv-bench.lock /work/venv/bin/python benchmarks/bench_assign.py [--quick] [--memory]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np


def _timeit(fn, repeats):
    fn()  # warm-up (compilation, first-touch page faults)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _positions(n, box, seed=0):
    rng = np.random.default_rng(seed)
    pos = np.empty((n, 3), dtype=np.float32)
    step = 1 << 22
    for s in range(0, n, step):
        e = min(n, s + step)
        pos[s:e] = rng.random((e - s, 3), dtype=np.float32) * np.float32(box)
    # keep strictly inside [0, box) in float32 (the reference codes do not wrap)
    np.minimum(pos, np.nextafter(np.float32(box), np.float32(0)), out=pos)
    return pos


def _add_at_cic(pos, box, n):
    mesh = np.zeros((n, n, n), dtype=np.float32)
    u = pos.astype(np.float64) * (n / box) - 0.5
    c = np.floor(u).astype(np.int64)
    f = u - c
    for corner in np.ndindex(2, 2, 2):
        cc = (c + np.asarray(corner)) % n
        w = np.prod(np.where(np.asarray(corner) == 1, f, 1 - f), axis=1).astype(np.float32)
        np.add.at(mesh, (cc[:, 0], cc[:, 1], cc[:, 2]), w)
    return mesh


_PYLIANS_SCRIPT = textwrap.dedent(
    """
    import sys, time, statistics, numpy as np, MAS_library as MASL
    path, box, n, mas, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    pos = np.load(path)
    times = []
    for r in range(repeats + 1):
        d = np.zeros((n, n, n), dtype=np.float32)
        t0 = time.perf_counter()
        MASL.MA(pos, d, box, mas, verbose=False)
        times.append(time.perf_counter() - t0)
    np.save(path + ".mesh.npy", d)
    print(statistics.median(times[1:]))
    """
)


def _pylians(pos_path, box, n, mas, repeats):
    py = os.environ.get("PYLIANS_PYTHON")
    if not py:
        return None, None
    out = subprocess.run(
        [py, "-c", _PYLIANS_SCRIPT, pos_path, str(box), str(n), mas, str(repeats)],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return None, None
    return float(out.stdout.strip().splitlines()[-1]), np.load(pos_path + ".mesh.npy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10^6 particles, fewer rounds")
    ap.add_argument("--memory", action="store_true", help="also measure peak RSS for 10^8 particles on 512^3")
    ap.add_argument("--rounds", type=int, default=None, help="round-robin rounds (default 5, quick 3)")
    args = ap.parse_args()

    import numba

    from fieldconv.assign import bucket, paint, readout
    from fieldconv.backend import threads

    nthreads = numba.config.NUMBA_NUM_THREADS
    npart = 10**6 if args.quick else 10**7
    rounds = args.rounds or (3 if args.quick else 5)
    box = 1000.0
    pos = _positions(npart, box)
    tmp = tempfile.mkdtemp(prefix="bench_assign_")
    pos_path = os.path.join(tmp, "pos.npy")
    np.save(pos_path, pos)
    table = []
    scaling = []
    for mesh_n in (128, 256):
        shape = (mesh_n,) * 3
        field = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        bpos = bucket(pos, box_size=box, shape=shape)[0]
        nadd = min(npart, 10**6)

        def painter(p, scheme, n):
            def run():  # a new zero mesh per call, as Pylians gets (page faults included for both)
                with threads(n):  # the package's thread policy (FFTW, numba, BLAS)
                    paint(p, box_size=box, shape=shape, scheme=scheme)
            return run

        def reader(scheme, n):
            def run():
                with threads(n):
                    readout(field, pos, box_size=box, scheme=scheme)
            return run

        def bucket_and_paint():
            with threads(nthreads):
                b = bucket(pos, box_size=box, shape=shape)[0]
                paint(b, box_size=box, shape=shape, scheme="cic")

        def bucket_only():
            with threads(nthreads):
                bucket(pos, box_size=box, shape=shape)

        py = os.environ.get("PYLIANS_PYTHON")
        cases = [
            ("CIC Pylians MA (1 thread)", "pyl:CIC", npart, "CIC"),
            ("CIC np.add.at (1 thread, 10^6 particles)", lambda: _add_at_cic(pos[:nadd], box, mesh_n), nadd, "CIC"),
            ("CIC fieldconv, 1 thread", painter(pos, "cic", 1), npart, "CIC"),
            (f"CIC fieldconv, {nthreads} threads", painter(pos, "cic", nthreads), npart, "CIC"),
            ("CIC fieldconv, bucketed input, 1 thread", painter(bpos, "cic", 1), npart, "CIC"),
            (f"CIC fieldconv, bucketed input, {nthreads} threads", painter(bpos, "cic", nthreads), npart, "CIC"),
            (f"bucket() alone, {nthreads} threads", bucket_only, npart, "CIC"),
            (f"bucket() + CIC paint, {nthreads} threads", bucket_and_paint, npart, "CIC"),
            ("TSC Pylians MA (1 thread)", "pyl:TSC", npart, "TSC"),
            ("TSC fieldconv, 1 thread", painter(pos, "tsc", 1), npart, "TSC"),
            (f"TSC fieldconv, {nthreads} threads", painter(pos, "tsc", nthreads), npart, "TSC"),
            ("CIC readout, 1 thread", reader("cic", 1), npart, None),
            (f"CIC readout, {nthreads} threads", reader("cic", nthreads), npart, None),
            ("TSC readout, 1 thread", reader("tsc", 1), npart, None),
            (f"TSC readout, {nthreads} threads", reader("tsc", nthreads), npart, None),
        ]
        times = {name: [] for name, *_ in cases}
        for name, fn, _, _ in cases:  # warm-up: compilation, first-touch page faults
            if not isinstance(fn, str):
                fn()
        for _ in range(rounds):  # round robin: every case once per round
            for name, fn, _, _ in cases:
                if isinstance(fn, str):
                    t = None
                    if py:
                        t, m_py = _pylians(pos_path, box, mesh_n, fn[4:], 1)
                    times[name].append(np.inf if t is None else t)
                    continue
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        numba.set_num_threads(nthreads)
        if py:
            _, m_py = _pylians(pos_path, box, mesh_n, "CIC", 1)
            # Pylians puts grid point i at i*h (vertex-centred): fieldconv with origin = -h/2
            vert = paint(pos, box_size=box, shape=shape, scheme="cic", origin=-0.5 * box / mesh_n)
            err = np.abs(vert.astype(np.float64) - m_py).max()
            print(f"# {mesh_n}^3 CIC: max |fieldconv(origin=-h/2) - Pylians| = {err:.2e} "
                  f"(Pylians computes the weights in float32; ~{npart / mesh_n**3:.1f} particles per cell)")
        ref = {"CIC": "CIC Pylians MA (1 thread)", "TSC": "TSC Pylians MA (1 thread)"}
        for name, fn, n, kind in cases:
            tb = min(times[name])
            rate = n / tb / 1e6 if np.isfinite(tb) else None
            vs = paired = None
            if kind and rate and np.isfinite(min(times[ref[kind]])):
                tr = times[ref[kind]]
                vs = rate / (npart / min(tr) / 1e6)
                # the same ratio per round (both measured minutes apart at most), median over rounds
                paired = statistics.median((n / times[name][r]) / (npart / tr[r]) for r in range(rounds))
            table.append((name, mesh_n, tb if np.isfinite(tb) else None, rate, vs, paired))
        for label, one, many, p in (("unsorted", "CIC fieldconv, 1 thread", f"CIC fieldconv, {nthreads} threads", pos),
                                    ("bucketed", "CIC fieldconv, bucketed input, 1 thread",
                                     f"CIC fieldconv, bucketed input, {nthreads} threads", bpos)):
            best = min(times[one]) / min(times[many])
            paired = statistics.median(a / b for a, b in zip(times[one], times[many]))
            table.append((f"scaling CIC {nthreads}/1 threads, {label}", mesh_n, None, None, best, paired))
            adj = _adjacent_ratios(painter(p, "cic", 1), painter(p, "cic", nthreads), 2 * rounds)
            scaling.append((label, mesh_n, adj))

    print(f"\n{npart:.0e} uniform float32 particles, float32 mesh, {nthreads} threads available; "
          f"{rounds} round-robin rounds: best time, and the ratio to Pylians as best/best and as the "
          "median of the ratios within each round")
    print(f"{'case':50s} {'mesh':>5s} {'time [s]':>9s} {'Mpart/s':>8s} {'vs Pylians':>10s} {'(paired)':>9s}")
    for name, n, t, r, vs, paired in table:
        ts = "" if t is None else f"{t:.4f}"
        rs = "" if r is None else f"{r:.2f}"
        vss = "n/a" if vs is None else f"{vs:.2f}x"
        ps = "n/a" if paired is None else f"{paired:.2f}x"
        print(f"{name:50s} {n:5d} {ts:>9s} {rs:>8s} {vss:>10s} {ps:>9s}")

    print(f"\nCIC scaling {nthreads}/1 threads measured in adjacent pairs (1 then {nthreads} threads, "
          "or the reverse, alternately; a slow phase of the machine then hits both of a pair)")
    for label, mesh_n, adj in scaling:
        q = np.percentile(adj, [25, 50, 75])
        print(f"  {label:9s} {mesh_n}^3: median {q[1]:.2f}x (quartiles {q[0]:.2f}-{q[2]:.2f}, {len(adj)} pairs)")

    if args.memory:
        print(_memory())


def _adjacent_ratios(one, many, pairs):
    """time(one) / time(many) for `pairs` back-to-back pairs, the order alternating."""
    ratios = []
    for r in range(pairs):
        t = {}
        for key, fn in ((("one", one), ("many", many)) if r % 2 == 0 else (("many", many), ("one", one))):
            t0 = time.perf_counter()
            fn()
            t[key] = time.perf_counter() - t0
        ratios.append(t["one"] / t["many"])
    return ratios


_MEM_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np
    sys.path.insert(0, sys.argv[1])
    from fieldconv.assign import paint

    def hwm():  # peak RSS of this process image (VmHWM is reset by exec, unlike ru_maxrss)
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

    n, N = 10**8, 512
    paint(np.zeros((10, 3), np.float32), box_size=1.0, shape=(8, 8, 8))   # compile outside the measurement
    base = hwm()
    pos = np.empty((n, 3), np.float32)
    rng = np.random.default_rng(0)
    for s in range(0, n, 1 << 22):
        e = min(n, s + (1 << 22))
        pos[s:e] = rng.random((e - s, 3), dtype=np.float32)
    before = hwm()
    mesh = paint(pos, box_size=1.0, shape=(N, N, N), scheme="cic")
    peak = hwm()
    print(base, before, peak, pos.nbytes, mesh.nbytes, float(mesh.sum()))
    """
)


def _memory():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", _MEM_SCRIPT, root], capture_output=True, text=True)
    if out.returncode:
        return "memory run failed:\n" + out.stderr
    base, before, peak, pb, mb, total = (float(v) for v in out.stdout.split())
    data = pb + mb
    return (
        f"\nmemory: 10^8 float32 particles -> 512^3 float32 CIC (mass {total:.4g})\n"
        f"  positions {pb / 2**30:.2f} GiB + mesh {mb / 2**30:.2f} GiB = {data / 2**30:.2f} GiB\n"
        f"  interpreter+numba baseline {base / 2**30:.2f} GiB; after generating positions {before / 2**30:.2f} GiB; "
        f"peak RSS {peak / 2**30:.2f} GiB\n"
        f"  peak / (positions + mesh) = {peak / data:.3f}; excluding the baseline: {(peak - base) / data:.3f}"
    )


if __name__ == "__main__":
    main()
