"""Mass-assignment benchmark: paint / readout / readout_gradient throughput, first-call cost, peak memory.

Measured side by side in one run, on the same particles (10^7 uniform float32
positions, float32 meshes of 128^3 and 256^3):

* ``fieldconv`` paint (CIC, TSC), readout (CIC, TSC), readout_gradient (CIC,
  TSC), three readouts of the three force meshes of a PM step and the same as
  one tuple readout, with one and with all threads;
* the NumPy references: CIC paint with 8 ``np.add.at`` calls and CIC readout
  with 8 fancy-index gathers (10^6 particles, reported as a rate);
* ``--baseline DIR``: the same cases with the ``fieldconv`` package found in
  ``DIR`` (e.g. an export of the previous commit: ``git archive 1e8b286
  fieldconv | tar -x -C /tmp/old``), in a child process that runs each
  round right after this process's round, so that load from other
  processes hits both alike;
* Pylians ``MAS_library.MA`` (single-threaded Cython) through a subprocess
  with the Python named by ``PYLIANS_PYTHON`` (a separate venv:
  ``python3 -m venv /work/pylians-venv && /work/pylians-venv/bin/pip install numpy cython Pylians``);
  'n/a' when unset.

Rates are in millions of particles per second, best of round-robin rounds;
ratios are given as best/best and as the median over rounds of the ratio
within each round (less sensitive to slow phases of a shared machine).
``--cold`` times first calls in fresh processes with ``NUMBA_CACHE_DIR``
pointed at an empty directory (what a fresh install pays), for this code and
the baseline.  ``--memory`` paints 10^8 particles onto 512^3 float32 in a
subprocess and reports its peak RSS against positions + mesh.  Run under the
benchmark lock::

    flock /tmp/fieldconv-bench.lock python benchmarks/bench_assign.py [--quick] [--baseline DIR] [--cold] [--memory]

A short run of the figures that matter for a PM step (256^3, paint vs readout, one
thread): ``python benchmarks/bench_assign.py --meshes 256 --particles 2000000 --rounds 3``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

BOX = 1000.0


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


def _cic_taps(pos, box, n):
    u = pos.astype(np.float64) * (n / box) - 0.5
    c = np.floor(u).astype(np.int64)
    return c, u - c


def add_at_cic(pos, box, n):
    """CIC paint with np.add.at (the NumPy reference)."""
    mesh = np.zeros((n, n, n), dtype=np.float32)
    c, f = _cic_taps(pos, box, n)
    for corner in np.ndindex(2, 2, 2):
        cc = (c + np.asarray(corner)) % n
        w = np.prod(np.where(np.asarray(corner) == 1, f, 1 - f), axis=1).astype(np.float32)
        np.add.at(mesh, (cc[:, 0], cc[:, 1], cc[:, 2]), w)
    return mesh


def gather_cic(field, pos, box, n):
    """CIC readout with fancy-index gathers (the NumPy reference)."""
    c, f = _cic_taps(pos, box, n)
    out = np.zeros(len(pos))
    for corner in np.ndindex(2, 2, 2):
        cc = (c + np.asarray(corner)) % n
        out += np.prod(np.where(np.asarray(corner) == 1, f, 1 - f), axis=1) * field[cc[:, 0], cc[:, 1], cc[:, 2]]
    return out


#: The cases, by name: (kind of reference, function of (pos, fields, n, threads)); written against the
#: public API so that the baseline child runs the same code (cases it lacks are skipped there).
CASES_SRC = textwrap.dedent(
    """
    def make_cases(pos, fields, n, nthreads):
        from fieldconv.assign import paint, readout, readout_gradient
        from fieldconv.backend import threads
        box = %r
        shape = (n, n, n)

        def scoped(t, fn):
            def run():
                with threads(t):
                    fn()
            return run

        cases = {}
        for t in sorted({1, nthreads}):
            s = f"{t} thread" + ("s" if t > 1 else "")
            cases[f"paint CIC, {s}"] = scoped(t, lambda: paint(pos, box_size=box, shape=shape, scheme="cic"))
            cases[f"paint TSC, {s}"] = scoped(t, lambda: paint(pos, box_size=box, shape=shape, scheme="tsc"))
            cases[f"readout CIC, {s}"] = scoped(t, lambda: readout(fields[0], pos, box_size=box, scheme="cic"))
            cases[f"readout TSC, {s}"] = scoped(t, lambda: readout(fields[0], pos, box_size=box, scheme="tsc"))
            cases[f"readout_gradient CIC, {s}"] = scoped(
                t, lambda: readout_gradient(fields[0], pos, box_size=box, scheme="cic"))
            cases[f"readout_gradient TSC, {s}"] = scoped(
                t, lambda: readout_gradient(fields[0], pos, box_size=box, scheme="tsc"))
            cases[f"3 readouts CIC (PM step), {s}"] = scoped(
                t, lambda: [readout(f, pos, box_size=box, scheme="cic") for f in fields])
            cases[f"tuple readout of 3 CIC (PM step), {s}"] = scoped(
                t, lambda: readout(tuple(fields), pos, box_size=box, scheme="cic"))
        return cases
    """
) % BOX


def _fields(n):
    rng = np.random.default_rng(1)
    return [rng.standard_normal((n, n, n)).astype(np.float32) for _ in range(3)]


_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    pos = np.load(sys.argv[2])
    nthreads = int(sys.argv[3])
    exec(sys.argv[4])  # make_cases
    def fields(n):
        rng = np.random.default_rng(1)
        return [rng.standard_normal((n, n, n)).astype(np.float32) for _ in range(3)]
    data = {}
    for line in sys.stdin:
        cmd, n = line.split()
        n = int(n)
        if n not in data:
            data[n] = make_cases(pos, fields(n), n, nthreads)
        times = {}
        for name, fn in data[n].items():
            t0 = time.perf_counter()
            try:
                fn()
            except Exception as exc:  # a case the baseline lacks (e.g. tuple readout)
                times[name] = None
                continue
            times[name] = time.perf_counter() - t0
        print(json.dumps(times), flush=True)
    """
)


class Baseline:
    """The baseline package in a child process: one round of every case per request."""

    def __init__(self, root, pos_path, nthreads):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, root, pos_path, str(nthreads), CASES_SRC],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )

    def round(self, n):
        self.proc.stdin.write(f"run {n}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the baseline child process ended")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


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
    print(statistics.median(times[1:]))
    """
)


def _pylians(pos_path, n, mas):
    py = os.environ.get("PYLIANS_PYTHON")
    if not py:
        return None
    out = subprocess.run([py, "-c", _PYLIANS_SCRIPT, pos_path, str(BOX), str(n), mas, "1"], capture_output=True,
                         text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return None
    return float(out.stdout.strip().splitlines()[-1])


def throughput(args):
    import numba

    namespace = {}
    exec(CASES_SRC, namespace)
    make_cases = namespace["make_cases"]
    nthreads = 1 if args.one_thread else numba.config.NUMBA_NUM_THREADS
    npart = args.particles or (10**6 if args.quick else 10**7)
    nref = min(npart, 10**6)
    rounds = args.rounds or (3 if args.quick else 5)
    pos = _positions(npart, BOX)
    tmp = tempfile.mkdtemp(prefix="bench_assign_")
    pos_path = os.path.join(tmp, "pos.npy")
    np.save(pos_path, pos)
    base = Baseline(args.baseline, pos_path, nthreads) if args.baseline else None
    meshes = tuple(args.meshes) if args.meshes else ((64, 128) if args.quick else (128, 256))
    rows = []
    times = {}
    for n in meshes:
        fields = _fields(n)
        cases = make_cases(pos, fields, n, nthreads)
        cases["np.add.at CIC paint (1 thread, 10^6)"] = lambda: add_at_cic(pos[:nref], BOX, n)
        cases["NumPy gather CIC readout (1 thread, 10^6)"] = lambda: gather_cic(fields[0], pos[:nref], BOX, n)
        count = {k: (nref if k.startswith(("np.", "NumPy")) else npart) for k in cases}
        new = {k: [] for k in cases}
        old = {k: [] for k in cases}
        for fn in cases.values():  # warm-up: compilation, first-touch page faults
            fn()
        if base:
            base.round(n)
        pyl = []
        for _ in range(rounds):
            for k, fn in cases.items():
                t0 = time.perf_counter()
                fn()
                new[k].append(time.perf_counter() - t0)
            if base:
                for k, t in base.round(n).items():
                    old[k].append(t)
            if os.environ.get("PYLIANS_PYTHON"):
                pyl.append(_pylians(pos_path, n, "CIC"))
        times[n] = new
        for k in cases:
            tn = min(new[k])
            to = [t for t in old[k] if t is not None]
            ratio = paired = None
            if to and len(to) == rounds:
                ratio = min(to) / tn
                paired = statistics.median(o / t for o, t in zip(old[k], new[k]))
            rows.append((k, n, count[k] / tn / 1e6, count[k] / min(to) / 1e6 if to else None, ratio, paired))
        if pyl and all(p is not None for p in pyl):
            rows.append(("Pylians MA CIC paint (1 thread)", n, npart / min(pyl) / 1e6, None, None, None))
    if base:
        base.close()
    uptime = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
    print(f"\n{npart:.0e} uniform float32 particles, float32 meshes, {nthreads} threads available, {rounds} rounds; "
          f"load average {' '.join(uptime)} ({os.cpu_count()} CPUs)")
    print(f"{'case':44s} {'mesh':>5s} {'Mpart/s':>9s} {'baseline':>9s} {'speed-up':>9s} {'(paired)':>9s}")
    for k, n, r, rb, ratio, paired in rows:
        fmt = lambda v, f: "" if v is None else f.format(v)  # noqa: E731
        print(f"{k:44s} {n:5d} {r:9.2f} {fmt(rb, '{:9.2f}'):>9s} {fmt(ratio, '{:8.2f}x'):>9s} "
              f"{fmt(paired, '{:8.2f}x'):>9s}")
    by = {(k, n): (r, rb) for k, n, r, rb, *_ in rows}
    print("\nreadout vs paint, one thread: rate ratio best/best (median within rounds); this code [baseline]:")
    for n in meshes:
        for s in ("CIC", "TSC"):
            rn, ro = by[(f"readout {s}, 1 thread", n)]
            pn, po = by[(f"paint {s}, 1 thread", n)]
            within = statistics.median(p / r for p, r in zip(times[n][f"paint {s}, 1 thread"],
                                                              times[n][f"readout {s}, 1 thread"]))
            extra = f" [{ro / po:.2f}]" if ro and po else ""
            print(f"  {n}^3 {s}: readout / paint = {rn / pn:.2f} ({within:.2f}){extra}")
        for s in ("CIC", "TSC"):
            gn, go = by[(f"readout_gradient {s}, 1 thread", n)]
            rn, ro = by[(f"readout {s}, 1 thread", n)]
            extra = f" [{go / ro:.2f}]" if go and ro else ""
            print(f"  {n}^3 {s}: readout_gradient (3 components) / readout (1 value) rate = {gn / rn:.2f}{extra}")

_COLD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    t0 = time.perf_counter()
    import fieldconv as fc
    from fieldconv.assign import paint, readout, readout_gradient, bucket
    rng = np.random.default_rng(0)
    pos = rng.random((20000, 3))
    f = rng.random((32, 32, 32))
    which = sys.argv[2]
    t1 = time.perf_counter()
    if which == "paint CIC 3-D float64":
        paint(pos, box_size=1.0, shape=(32, 32, 32))
    elif which == "paint TSC 2-D float32":
        paint(pos[:, :2].astype(np.float32), box_size=1.0, shape=(64, 64), scheme="tsc")
    elif which == "paint CIC 3-D non-periodic":
        paint(0.25 + 0.5 * pos, box_size=1.0, shape=(32, 32, 32), periodic=False)
    elif which == "readout CIC 3-D":
        readout(f, pos, box_size=1.0)
    elif which == "readout_gradient TSC 3-D":
        readout_gradient(f, pos, box_size=1.0, scheme="tsc")
    elif which == "bucket 3-D":
        bucket(pos, box_size=1.0, shape=(32, 32, 32))
    elif which == "pm.accelerations CIC 32^3":
        from fieldconv.pm import accelerations
        accelerations(pos, masses=1.0, box_size=1.0, shape=(32, 32, 32))
    print(f"{t1 - t0:.3f} {time.perf_counter() - t1:.3f}")
    """
)

COLD_CASES = ["paint CIC 3-D float64", "paint TSC 2-D float32", "paint CIC 3-D non-periodic", "readout CIC 3-D",
              "readout_gradient TSC 3-D", "bucket 3-D", "pm.accelerations CIC 32^3"]


def cold(args):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = [("this code", root)] + ([("baseline", args.baseline)] if args.baseline else [])
    print("\nfirst call in a fresh process, empty NUMBA_CACHE_DIR (import time excluded), seconds; "
          f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print(f"{'call':30s} " + " ".join(f"{label:>12s}" for label, _ in trees))
    for case in COLD_CASES:
        cells = []
        for _, tree in trees:
            with tempfile.TemporaryDirectory(prefix="bench_assign_cold_") as cache:
                out = subprocess.run([sys.executable, "-c", _COLD, tree, case], capture_output=True, text=True,
                                     env={**os.environ, "NUMBA_CACHE_DIR": cache})
            if out.returncode:
                cells.append("n/a")
                continue
            cells.append(f"{float(out.stdout.split()[1]):.2f}")
        print(f"{case:30s} " + " ".join(f"{c:>12s}" for c in cells))


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


def memory():
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10^6 particles, 64^3 and 128^3, fewer rounds")
    ap.add_argument("--rounds", type=int, default=None, help="round-robin rounds (default 5, quick 3)")
    ap.add_argument("--one-thread", action="store_true", help="only the one-thread cases")
    ap.add_argument("--particles", type=int, default=None, help="particles (default 10^7, quick 10^6)")
    ap.add_argument("--meshes", type=int, nargs="+", default=None, help="cells per axis (default 128 256)")
    ap.add_argument("--baseline", default=None, help="a directory holding the fieldconv package to compare with")
    ap.add_argument("--cold", action="store_true", help="also time first calls with an empty numba cache")
    ap.add_argument("--no-throughput", action="store_true", help="skip the throughput table")
    ap.add_argument("--memory", action="store_true", help="also measure peak RSS for 10^8 particles on 512^3")
    args = ap.parse_args()
    if not args.no_throughput:
        throughput(args)
    if args.cold:
        cold(args)
    if args.memory:
        print(memory())


if __name__ == "__main__":
    main()
