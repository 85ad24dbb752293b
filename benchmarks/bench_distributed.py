"""Distributed particle-mesh step vs serial fieldconv: strong and weak scaling, memory per rank.

Run (never two benchmarks at once):
    flock /tmp/fieldconv-bench.lock python benchmarks/bench_distributed.py [--quick] [--ranks 1 2] [--rounds 2]

The script launches itself under ``mpiexec -n P`` for each P (worker mode),
alternating the rank counts for ``--rounds`` rounds and keeping each phase's
best time, and prints:

* strong scaling: a fixed mesh and particle set (128^3 mesh, 128^3 particles;
  --quick: 64^3), one PM step split into route (particle exchange), paint
  (CIC, ghosts folded), solve (potential + 3 forces: 1 forward and 4 inverse
  distributed FFTs) and readout (3 force components at the particles, back
  home), each the slowest rank's time; speedup T_1 / T_P and efficiency;
* weak scaling: (64 P, 128, 128) mesh with 2^20 P particles (--quick: half per
  axis, 2^17 P), T_1 / T_P (1.0 is perfect);
* the same step with serial fieldconv (fc.paint, PoissonSolver.solve_forces,
  fc.readout) measured in the P = 1 run, side by side: distributed(P=1)/serial
  is the overhead of the distributed code on one rank;
* cpu/rank: the slowest rank's own CPU time for the step (process_time; MPI
  waits spin and count too) and C_1 / C_P: on a loaded machine the wall-clock
  ratio measures the contention, this one the work each rank does;
* memory: each rank's peak resident-set growth from just before the mesh is
  created to the end of the steps (VmHWM after resetting it, minus VmRSS
  before; the particle positions exist before) against the formula of
  docs/distributed.md.

Every rank runs one thread (``--threads``, default 1), so P ranks use P cores
and the ratios measure the distribution, not threads; ``--threads 0`` uses
each rank's share of the machine instead (thread_share).  The machine is
shared: the load average is printed with the results.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def worker(args):
    import numpy as np
    from mpi4py import MPI

    sys.path.insert(0, str(HERE.parent))
    import fieldconv as fc
    from fieldconv import distributed as fd
    from fieldconv.poisson import PoissonSolver

    comm = MPI.COMM_WORLD
    P, rank = comm.Get_size(), comm.Get_rank()
    threads = args.threads or None
    fd.apply_thread_share(comm, threads)
    shape = tuple(args.shape)
    npart = args.particles
    rng = np.random.default_rng(1234 + rank)
    lo, hi = rank * npart // P, (rank + 1) * npart // P
    pos = rng.random((hi - lo, 3))
    # warm-up on a tiny mesh: numba compilation and FFTW planning are not what is timed
    with fd.DistributedMesh((8, 8, 8), 1.0, threads=threads) as small:
        parts = fd.route(pos[:1000], small)
        rho = fd.paint(parts, density=True)
        phi, forces = fd.DistributedPoissonSolver(small).solve_forces(rho)
        fd.readout(forces, parts)
    comm.Barrier()
    rss0 = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS (VmHWM) to the current RSS: the peak below is this mesh's
    mesh = fd.DistributedMesh(shape, 1.0, threads=threads)
    solver = fd.DistributedPoissonSolver(mesh)
    solver.solve_forces(mesh.zeros())  # plan and build the Green's function once, as a long run would

    def timed(fn):
        comm.Barrier()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        cpu[0] += time.process_time() - c0  # this rank's own CPU time (waits in MPI spin and count too)
        comm.Barrier()
        return out, comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)

    best = {}
    cpu = [0.0]
    def step():
        parts, t_route = timed(lambda: fd.route(pos, mesh, scheme="cic"))
        rho, t_paint = timed(lambda: fd.paint(parts, density=True))
        (phi, forces), t_solve = timed(lambda: solver.solve_forces(rho))
        _, t_read = timed(lambda: fd.readout(forces, parts))
        return dict(route=t_route, paint=t_paint, solve=t_solve, readout=t_read), parts._order is not None

    cpu_best = np.inf
    for rep in range(args.repeats):
        cpu = [0.0]
        times, permuted_here = step()
        cpu_best = min(cpu_best, comm.allreduce(cpu[0], op=MPI.MAX))
        for k, v in times.items():
            best[k] = min(best.get(k, np.inf), v)
        if rep == 0:
            peak = _status("VmHWM") - rss0
            permuted = permuted_here
    out = {"P": P, "shape": shape, "particles": npart, "times": best, "threads": mesh.threads, "cpu": cpu_best,
           "complex_arrays": len(mesh.fft().xfftn) * 2 - 1, "split": len(mesh.decomposed_axes),
           "permuted": comm.allreduce(permuted, op=MPI.LOR),
           "peak_bytes": comm.allreduce(peak, op=MPI.MAX), "local_cells": comm.allreduce(
               int(np.prod(mesh.local_shape)), op=MPI.MAX),
           "local_particles": comm.allreduce(pos.shape[0], op=MPI.MAX),
           "k_cells": comm.allreduce(int(np.prod(mesh.k_shape)), op=MPI.MAX)}
    if P == 1 and args.serial:
        be = fc.get_backend("pyfftw", threads=mesh.threads)
        ps = PoissonSolver(shape, 1.0 / np.array(shape), backend=be)
        ps.solve_forces(np.zeros(shape))
        ser = {}
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            rho_s = fc.paint(pos, box_size=1.0, shape=shape, scheme="cic", density=True)
            t1 = time.perf_counter()
            phi_s, f_s = ps.solve_forces(rho_s)
            t2 = time.perf_counter()
            np.stack([fc.readout(f, pos, box_size=1.0, scheme="cic") for f in f_s], axis=1)
            t3 = time.perf_counter()
            for k, v in dict(paint=t1 - t0, solve=t2 - t1, readout=t3 - t2).items():
                ser[k] = min(ser.get(k, np.inf), v)
        out["serial"] = ser
        del rho_s, phi_s, f_s
    mesh.close()
    if rank == 0:
        print("RESULT " + json.dumps(out), flush=True)


def launch(nranks, shape, particles, args, serial):
    mpiexec = Path(sys.executable).with_name("mpiexec")
    cmd = [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", str(nranks), sys.executable, "-m", "mpi4py",
           str(HERE), "--worker", "--shape", *map(str, shape), "--particles", str(particles),
           "--repeats", str(args.repeats), "--threads", str(args.threads)] + (["--serial"] if serial else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")


def merge(a, b):
    if a is None:
        return b
    for k in a["times"]:
        a["times"][k] = min(a["times"][k], b["times"][k])
    if "serial" in a:
        for k in a["serial"]:
            a["serial"][k] = min(a["serial"][k], b["serial"][k])
    a["peak_bytes"] = min(a["peak_bytes"], b["peak_bytes"])
    a["cpu"] = min(a["cpu"], b["cpu"])
    return a


def formula(r):
    """Peak bytes per rank of the PM step, docs/distributed.md "Memory per rank":

    b [V (6 + e) + K (2 s + 1)] + n [8 d + 8 d + 8 + 8 d + o (8 + 8 d) + q (8 + 8 d)]

    V real cells of the block, K complex cells of its k-block, b = 8 (float64),
    e = 1 when an axis is split (the extended block during readout), s complex
    arrays held by mpi4py-fft (3 slab, 5 pencil) plus the real Green's function;
    6 = mpi4py-fft's real array + rho + phi + 3 forces.  n particles held, d = 3:
    local coordinates, the (n, d) forces read out, one component being read,
    the forces received home; o = 1 when the particles were sorted by cell
    (the permutation, and the forces put back in arrival order); q = 1 when the
    input had to be sorted by destination (sort order and the unsorted copy).
    """
    b, d = 8, 3
    V, K, n = r["local_cells"], r["k_cells"], r["local_particles"]
    e = 1 if r["split"] else 0
    q = 1 if r["permuted"] else 0
    o = 1  # route(sort=True), the default
    mesh = b * (V * (6 + e) + K * (2 * r["complex_arrays"] + 1))
    return mesh + n * (8 * d + 8 * d + 8 + 8 * d + o * (8 + 8 * d) + q * (8 + 8 * d))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--serial", action="store_true")
    ap.add_argument("--shape", type=int, nargs=3)
    ap.add_argument("--particles", type=int)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    n = 64 if args.quick else 128
    strong = {P: None for P in args.ranks}
    weak = {P: None for P in args.ranks}
    load0 = os.getloadavg()
    for _ in range(args.rounds):
        for P in args.ranks:
            strong[P] = merge(strong[P], launch(P, (n, n, n), n**3, args, serial=P == 1))
            weak[P] = merge(weak[P], launch(P, (n // 2 * P, n, n), (n**3 // 2) * P, args, serial=False))
    load1 = os.getloadavg()
    phases = ("route", "paint", "solve", "readout")
    print(f"load average (1, 5, 15 min) before: {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f}, "
          f"after: {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f}; cores: {os.cpu_count()}")
    for title, runs in (("strong", strong), ("weak", weak)):
        base = runs[args.ranks[0]]
        print(f"\n{title} scaling, best of {args.rounds} rounds x {args.repeats} repeats; seconds (slowest rank)")
        print(f"{'P':>3} {'mesh':>15} {'particles':>10} " + " ".join(f"{p:>8}" for p in phases)
              + f" {'step':>8} {'T1/TP':>6} {'eff':>5} {'cpu/rank':>9} {'C1/CP':>6}")
        for P, r in runs.items():
            t = r["times"]
            step = sum(t[p] for p in phases)
            t1 = sum(base["times"][p] for p in phases)
            ratio = t1 / step
            eff = ratio / P if title == "strong" else ratio
            print(f"{P:>3} {'x'.join(map(str, r['shape'])):>15} {r['particles']:>10} "
                  + " ".join(f"{t[p]:8.3f}" for p in phases) + f" {step:8.3f} {ratio:6.2f} {eff:5.2f}"
                  + f" {r['cpu']:9.3f} {base['cpu'] / r['cpu']:6.2f}")
        if title == "strong" and "serial" in base:
            s = base["serial"]
            print("  serial fieldconv, same step on 1 core: paint {paint:.3f}  solve {solve:.3f}  readout {readout:.3f}"
                  .format(**s))
            print("  distributed(P=1) / serial: paint {:.2f}  solve {:.2f}  readout {:.2f}  (route {:.3f} s extra)".format(
                base["times"]["paint"] / s["paint"], base["times"]["solve"] / s["solve"],
                base["times"]["readout"] / s["readout"], base["times"]["route"]))
        print("  memory: peak growth per rank during the step vs formula (MiB):")
        for P, r in runs.items():
            f = formula(r)
            print(f"    P={P}: measured {r['peak_bytes'] / 2**20:8.1f}  formula {f / 2**20:8.1f}  "
                  f"ratio {r['peak_bytes'] / f:5.2f}")


if __name__ == "__main__":
    main()
