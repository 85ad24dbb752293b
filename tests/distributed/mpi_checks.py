"""The MPI program behind tests/distributed/test_mpi.py (run under mpiexec, not collected).

    mpiexec -n P python -m mpi4py tests/distributed/mpi_checks.py GROUP [GROUP ...]

Every rank builds the same global particle set and serial references (the
meshes are tiny), holds a random, uneven share of the particles (the last rank
none when P > 1, each share in a random order), runs the distributed
operators and compares its blocks and its particles' values with the serial
results.  Rank 0 prints one line ``RESULT <json>``: for every check the worst
value over the ranks (errors: max; flags: all; messages: rank 0's).
"""

import json
import math
import os
import sys
import time

import numpy as np
from mpi4py import MPI

import fieldconv as fc
from fieldconv import distributed as fd
from fieldconv.distributed.messages import exchange_counts, message_stats
from fieldconv.poisson import PoissonSolver

comm = MPI.COMM_WORLD
P, RANK = comm.Get_size(), comm.Get_rank()
SCHEMES = ("ngp", "cic", "tsc", "pcs")
GREENS = ("continuous", "discrete", "optimal")
out = {}


def put(key, value):
    out[key] = value


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    if not b.size:
        return 0.0
    return float(np.abs(a - b).max() / (np.abs(b).max() or 1.0))


def particles(mesh, n, seed, dtype=np.float64):
    """Global positions and weights (same on every rank), with positions on rank boundaries,
    at x = L, x = 0, far away, negative; and this rank's share (indices, random order)."""
    rng = np.random.default_rng(seed)
    box, org, h, nd = np.array(mesh.box_size), np.array(mesh.origin), np.array(mesh.spacing), mesh.ndim
    pos = org + rng.random((n, nd)) * box
    special = [org, org + box, org + box * (1 - 1e-16), org - 3.5 * box + 0.01, org + 7.25 * box]
    for r in range(mesh.size):
        for a in mesh.decomposed_axes:
            s = mesh.block(r)[a][0]
            for frac in (0.0, 0.5):  # the cell edge (NGP/TSC base cells) and centre (CIC/PCS)
                x = org + rng.random(nd) * box
                x[a] = org[a] + (s + frac) * h[a]
                special.append(x)
    pos = np.concatenate([pos, np.array(special)]).astype(dtype)
    w = (0.5 + rng.random(len(pos))).astype(dtype)
    home = rng.integers(0, max(P - 1, 1), len(pos))
    mine = np.flatnonzero(home == RANK)
    rng.shuffle(mine)
    return pos, w, mine


def serial_pipeline(pos, w, shape, box, origin, scheme, kernel, dtype):
    """Serial fieldconv on every particle: {name: array over the whole mesh or all particles}."""
    h = tuple(b / n for b, n in zip(box, shape))
    res = {"paint": fc.paint(pos, box_size=box, shape=shape, scheme=scheme, weights=w, origin=origin, density=True)}
    scheme_ = "cic" if scheme == "ngp" else scheme
    shifted = pos.astype(np.float64) - np.asarray(origin)  # serial readout has no origin: its kernel's first step
    for green in GREENS:
        solver = PoissonSolver(shape, h, green=green, scheme=scheme_, kernel=kernel, dtype=dtype, backend="numpy")
        phi, forces = solver.solve_forces(res["paint"])
        res[f"solve {green}"], res[f"forces {green}"] = phi, np.stack(forces)
    phi, forces = res["solve optimal"], res["forces optimal"]
    res["readout"] = fc.readout(phi, shifted, box_size=box, scheme=scheme)
    res["readout-forces"] = np.stack([fc.readout(f, shifted, box_size=box, scheme=scheme) for f in forces], axis=1)
    if scheme != "ngp":
        res["gradient"] = fc.readout_gradient(phi, shifted, box_size=box, scheme=scheme)
    return res


def distributed_pipeline(mesh, pos, w, scheme, kernel, dtype):
    """The same on this rank's block and particles: {name: local array}."""
    parts = fd.route(pos, mesh, scheme=scheme, weights=w)  # sorted by cell (the default)
    res = {"paint": fd.paint(parts, density=True)}
    unsorted = fd.route(pos, mesh, scheme=scheme, weights=w, sort=False)
    res["paint-unsorted"] = fd.paint(unsorted, density=True)
    res["paint-plain"] = fd.paint(pos, mesh, scheme=scheme, weights=w, density=True)
    scheme_ = "cic" if scheme == "ngp" else scheme
    for green in GREENS:
        solver = fd.DistributedPoissonSolver(mesh, green=green, scheme=scheme_, kernel=kernel, dtype=dtype)
        phi, forces = solver.solve_forces(res["paint"])
        res[f"solve {green}"], res[f"forces {green}"] = phi, np.stack(forces)
    phi, forces = res["solve optimal"], res["forces optimal"]
    res["readout"] = fd.readout(phi, parts)
    res["readout-unsorted"] = fd.readout(phi, unsorted)
    res["readout-forces"] = fd.readout(tuple(forces), parts)
    if scheme != "ngp":
        res["gradient"] = fd.readout_gradient(phi, parts)
    return res


def local_part(name, full, mesh, mine):
    """This rank's part of a serial result: its block of a mesh, or its particles' rows."""
    if name.startswith(("paint", "solve")):
        return full[mesh.local_slice]
    if name.startswith("forces"):
        return full[(slice(None),) + mesh.local_slice]
    return full[mine]


def operators(tag, shape, box, origin, decomposition, dtype, seed, kernel=None):
    """Every operator, scheme and Green's function against serial fieldconv.

    float64: records the max relative difference to serial (``eq ...``).
    float32: records the error of the distributed and of the serial float32
    results against the float64 serial result (``f32 ... dist`` / ``serial``).
    """
    mesh = fd.DistributedMesh(shape, box, origin=origin, decomposition=decomposition, dtype=dtype)
    put(f"layout {tag}", [mesh.decomposition, list(mesh.grid)])
    pos, w, mine = particles(mesh, 1500, seed, dtype)
    for scheme in SCHEMES:
        ser = serial_pipeline(pos, w, shape, box, origin, scheme, kernel, dtype)
        dis = distributed_pipeline(mesh, pos[mine], w[mine], scheme, kernel, dtype)
        if dtype == np.float64:
            for name, val in dis.items():
                full = ser[name.replace("-plain", "").replace("-unsorted", "")]
                put(f"eq {name} {tag} {scheme}", rel(val, local_part(name, full, mesh, mine)))
                put(f"dtype {name} {tag} {scheme}", val.dtype == full.dtype)
        else:
            ref = serial_pipeline(pos.astype(np.float64), w.astype(np.float64), shape, box, origin, scheme, kernel,
                                  np.float64)
            for name, val in dis.items():
                key = name.replace("-plain", "").replace("-unsorted", "")
                put(f"f32 {name} {tag} {scheme} dist", rel(val, local_part(key, ref[key], mesh, mine)))
                put(f"f32 {name} {tag} {scheme} serial", rel(local_part(key, ser[key], mesh, mine),
                                                             local_part(key, ref[key], mesh, mine)))
                put(f"dtype {name} {tag} {scheme}", val.dtype == np.float32)
    mesh.close()


def group_operators():
    t0 = time.perf_counter()
    box3, org3 = (1.0, 0.9, 1.2), (0.1, -0.2, 0.0)
    operators("3d-f64-auto", (16, 12, 10), box3, org3, "auto", np.float64, 1)
    operators("3d-f32-auto", (16, 12, 10), box3, org3, "auto", np.float32, 2)
    operators("3d-f64-thin", (max(P, 2), 12, 10), box3, org3, "slab", np.float64, 3)
    if P == 4:
        operators("3d-f64-pencil", (8, 8, 10), box3, org3, "pencil", np.float64, 4)
    operators("2d-f64-auto", (16, 12), (1.0, 0.8), (0.0, 0.0), "auto", np.float64, 5, kernel="log")
    put("seconds operators", time.perf_counter() - t0)


def group_misc():
    # messages chunked far below the record size: records split across messages
    mesh = fd.DistributedMesh((12, 10, 8), 1.0, max_message_bytes=40)
    pos, w, mine = particles(mesh, 800, 7)
    message_stats(reset=True)
    ref = fc.paint(pos, box_size=1.0, shape=mesh.shape, scheme="tsc", weights=w)
    parts = fd.route(pos[mine], mesh, scheme="tsc", weights=w[mine])
    rho = fd.paint(parts)
    vals = fd.readout(rho, parts)
    st = message_stats()
    put("chunked paint", rel(rho, ref[mesh.local_slice]))
    put("chunked readout", rel(vals, fc.readout(ref, pos, box_size=1.0, scheme="tsc")[mine]))
    put("chunked largest <= 40", st["largest"] <= 40)
    put("chunked split", P == 1 or st["messages"] >= st["bytes"] / 40)
    mesh.close()

    # 64-bit counts through the count exchange
    big = np.array([3 * 2**31 + r + 1000 * RANK for r in range(P)], dtype=np.int64)
    got = exchange_counts(comm, big)
    put("int64 counts", bool(np.all(got == [3 * 2**31 + RANK + 1000 * j for j in range(P)])))

    # gather / scatter round trip
    mesh = fd.DistributedMesh((9, 6, 4) if P < 4 else (8, 8, 4), 1.0, decomposition="auto")
    glob = np.arange(math.prod(mesh.shape), dtype=np.float64).reshape(mesh.shape)
    blk = mesh.scatter(glob if RANK == 0 else None)
    put("scatter", bool(np.array_equal(blk, glob[mesh.local_slice])))
    back = mesh.gather(blk, root=0)
    put("gather", bool(np.array_equal(back, glob)) if RANK == 0 else True)
    mesh.close()

    # a communicator of one rank inside a P-rank job works as serial, bit for bit
    solo = comm.Split(color=RANK, key=0)
    mesh = fd.DistributedMesh((10, 8, 6), 1.0, comm=solo)
    pos, w, _ = particles(mesh, 300, 8)
    for scheme in SCHEMES:
        ref = fc.paint(pos, box_size=1.0, shape=mesh.shape, scheme=scheme, weights=w)
        got = fd.paint(pos, mesh, scheme=scheme, weights=w)  # plain positions: not sorted by cell
        put(f"one-rank paint {scheme} bitwise", bool(np.array_equal(got, ref)))
        sorted_parts = fd.route(pos, mesh, scheme=scheme, weights=w)  # sorted by cell: the order of additions differs
        put(f"one-rank sorted paint {scheme}", rel(fd.paint(sorted_parts), ref))
        # readout values do not depend on the order of the particles: bit for bit, sorted or not
        put(f"one-rank readout {scheme} bitwise",
            bool(np.array_equal(fd.readout(got, sorted_parts), fc.readout(ref, pos, box_size=1.0, scheme=scheme))))
    mesh.close()
    solo.Free()

    # units in, units out
    import astropy.units as u

    mesh = fd.DistributedMesh((8, 8, 8), 2.0 * u.kpc)
    pos, w, mine = particles(mesh, 400, 9)
    qpos, qw = (pos * 1000.0) * u.pc, w * u.Msun
    rho = fd.paint(qpos[mine], mesh, weights=qw[mine], density=True)
    ref = fc.paint(qpos, box_size=2.0 * u.kpc, shape=(8, 8, 8), weights=qw, density=True)
    put("units paint", rel(rho.to_value(ref.unit), ref.value[mesh.local_slice]))
    put("units paint unit", rho.unit.is_equivalent(ref.unit))
    phi = fd.solve_poisson(rho, mesh)
    phi_s = fc.solve_poisson(ref, 2.0 * u.kpc / 8)
    put("units solve", rel(phi.to_value(phi_s.unit), phi_s.value[mesh.local_slice]))
    mesh.close()

    # threads: this rank's share of the node
    nranks, local = fd.ranks_per_node(comm)
    put("ranks per node", [nranks, local] == [P, RANK])  # one machine
    cores = len(os.sched_getaffinity(0))
    q, r = divmod(cores, P)
    share = fd.thread_share(comm)
    put("thread share", share == max(1, q + (RANK < r)))
    put("thread shares add up", comm.allreduce(share) == max(cores, P))
    mesh = fd.DistributedMesh((8, 8, 8), 1.0)
    put("mesh threads = share", mesh.threads == share)
    mesh.close()


def expect_error(name, fn, kind, *fragments):
    """Run fn on every rank; record whether every rank raised `kind` with every fragment in its message."""
    try:
        fn()
    except Exception as exc:  # what each rank raised is the point of the check
        ok = isinstance(exc, kind) and all(f in str(exc) for f in fragments)
        put(f"error {name}", ok)
        put(f"message {name}", f"{type(exc).__name__}: {exc}")
    else:
        put(f"error {name}", False)
        put(f"message {name}", "no exception")


def group_errors():
    bad = 1 if P > 1 else 0
    mesh = fd.DistributedMesh((12, 10, 8), 1.0)
    pos, w, mine = particles(mesh, 300, 11)
    mine = np.flatnonzero(np.arange(len(pos)) % P == RANK)  # every rank holds some particles here

    def nan_positions():
        x = pos[mine].copy()
        if RANK == bad:
            x[0, 1] = np.nan
        fd.route(x, mesh)

    expect_error("nan positions", nan_positions, ValueError, "positions must be finite", f"rank {bad}")

    def nan_weights():
        ww = w[mine].copy()
        if RANK == bad:
            ww[-1] = np.inf
        fd.paint(pos[mine], mesh, weights=ww)

    expect_error("nan weights", nan_weights, ValueError, "weights must be finite", f"rank {bad}")

    def wrong_shape():
        x = pos[mine][:, :2] if RANK == bad else pos[mine]
        fd.paint(x, mesh)

    expect_error("positions shape", wrong_shape, ValueError, "positions must have shape (N, 3)", f"rank {bad}")

    def scheme_differs():
        fd.route(pos[mine], mesh, scheme="tsc" if RANK == bad else "cic")

    if P > 1:
        expect_error("scheme differs", scheme_differs, ValueError, "same on every rank")

    def nan_source():
        rho = fd.paint(pos[mine], mesh, density=True)
        if RANK == bad:
            rho[0, 0, 0] = np.nan
        fd.DistributedPoissonSolver(mesh).solve(rho)

    expect_error("nan source", nan_source, ValueError, "density must be finite")

    def solver_differs():
        fd.DistributedPoissonSolver(mesh, green="discrete" if RANK == bad else "continuous")

    if P > 1:
        expect_error("solver differs", solver_differs, ValueError, "same on every rank")

    def failed_read():
        with fd.agree_on_errors(comm, "read snapshot"):
            if RANK == bad:
                open(f"/nonexistent-fieldconv/snap.{RANK}.hdf5", "rb")

    expect_error("failed read", failed_read, FileNotFoundError, "read snapshot failed", f"rank {bad}",
                 "No such file")

    def mixed_failures():
        with fd.agree_on_errors(comm, "mixed step"):
            if RANK == 0:
                raise ValueError("zero is unhappy")
            if RANK == 1:
                raise TypeError("one is unhappy")

    expect_error("mixed failures", mixed_failures, fd.CollectiveError if P > 1 else ValueError, "unhappy")

    def mesh_too_small():
        fd.DistributedMesh((3, 8, 8), 1.0, decomposition="slab")

    if P == 4:
        expect_error("mesh too small", mesh_too_small, ValueError, "too small for a slab decomposition over 4 ranks")

    def mesh_args_differ():
        fd.DistributedMesh((12, 10, 8) if RANK != bad else (12, 10, 6), 1.0)

    if P > 1:
        expect_error("mesh args differ", mesh_args_differ, ValueError, "same on every rank")

    # everyone is still in step: a full paint afterwards works
    ref = fc.paint(pos, box_size=1.0, shape=mesh.shape)
    put("after errors", rel(fd.paint(pos[mine], mesh), ref[mesh.local_slice]))
    mesh.close()


def _write_snapshot(path, pos, masses, box, nfiles, ptype=1):
    """A Gadget-layout snapshot in `nfiles` pieces (rank 0 only), masses per particle or in the MassTable."""
    import h5py

    bounds = np.linspace(0, len(pos), nfiles + 1).astype(int)
    names = [path] if nfiles == 1 else [path.replace(".hdf5", f".{i}.hdf5") for i in range(nfiles)]
    for name, a, b in zip(names, bounds[:-1], bounds[1:]):
        with h5py.File(name, "w") as f:
            h = f.create_group("Header")
            table = np.zeros(6)
            if np.ndim(masses) == 0:
                table[ptype] = masses
            h.attrs.update(BoxSize=box, NumFilesPerSnapshot=nfiles, MassTable=table)
            f.create_dataset(f"PartType{ptype}/Coordinates", data=pos[a:b])
            if np.ndim(masses):
                f.create_dataset(f"PartType{ptype}/Masses", data=masses[a:b])
    return names


def group_files():
    """Each rank reads its share of a (multi-file) snapshot; rank 0 writes the potential; equal to serial."""
    import tempfile

    import h5py

    folder = comm.bcast(tempfile.mkdtemp(prefix="fieldconv-mpi-files-") if RANK == 0 else None)
    rng = np.random.default_rng(5)
    box, n, shape = 2.0, 900, (16, 12, 10)
    pos = rng.random((n, 3)) * box
    pos[:4] = [[0, 0, 0], [box, box, box], [box / 2, 0.0, box], [box * (1 - 1e-16), 1.0, 1.0]]  # edges, x = L
    masses = 0.5 + rng.random(n)
    cases = {"one-file": (1, masses, "f8"), "three-files": (3, masses, "f8"), "masstable": (2, 0.75, "f4")}
    for name, (nfiles, m, dt) in cases.items():
        snap = os.path.join(folder, f"{name}.hdf5")
        if RANK == 0:
            files = _write_snapshot(snap, pos.astype(dt), m, box, nfiles)
        files = comm.bcast(files if RANK == 0 else None)
        target = os.path.join(folder, f"{name}-out.h5")
        got = fd.run_poisson(files[-1], target, shape=shape, scheme="tsc", green="optimal", forces=True)
        put(f"files return {name}", (got == target) if RANK == 0 else got is None)
        if RANK == 0:
            weights = np.broadcast_to(np.asarray(m, dtype=np.float64), (n,))
            x = pos.astype(dt).astype(np.float64)
            rho = fc.paint(x, box_size=box, shape=shape, scheme="tsc", weights=weights, density=True)
            phi, forces = PoissonSolver(shape, tuple(box / k for k in shape), green="optimal", scheme="tsc",
                                        G=1.0, backend="numpy").solve_forces(rho)
            back = fc.io.read_mesh(target)  # the serial reader: format, checksums, grid
            put(f"files read_mesh {name}", back.grid.shape == shape and set(back.fields) >= {"potential", "forces"})
            with h5py.File(target, "r") as f:
                put(f"eq file {name} potential", rel(f["potential"][...], phi))
                put(f"eq file {name} forces", rel(f["forces"][...], np.stack(forces)))
                put(f"eq file {name} density", rel(f["density"][...], rho))
                put(f"files units {name}", all("units" in f[k].attrs for k in ("density", "potential", "forces")))
                put(f"files grid {name}", list(f["grid"].attrs["shape"]) == list(shape)
                    and np.allclose(f["grid"].attrs["spacing"], [box / k for k in shape], rtol=1e-15))
    # a rank that cannot read its file, NaN positions: an error on every rank, no hang
    bad = P - 1
    if RANK == 0:
        bad_pos = pos.copy()
        bad_pos[-1, 0] = np.nan  # read by the last rank
        _write_snapshot(os.path.join(folder, "nan.hdf5"), bad_pos, masses, box, 2)
    comm.Barrier()
    expect_error("files nan", lambda: fd.run_poisson(os.path.join(folder, "nan.1.hdf5"), os.path.join(folder, "x.h5"),
                                                     shape=8), ValueError, "must be finite", f"rank {bad}")
    expect_error("files missing", lambda: fd.run_poisson(os.path.join(folder, "missing.hdf5"),
                                                         os.path.join(folder, "x.h5"), shape=8),
                 FileNotFoundError, "does not exist")

    def unreadable_share():
        files = [os.path.join(folder, "three-files.0.hdf5"), os.path.join(folder, "three-files.1.hdf5")]
        if RANK == bad:
            files = files[:1] + [os.path.join(folder, f"gone-{RANK}.hdf5")]
        with fd.DistributedMesh((8, 8, 8), box) as mesh:
            fd.read_particles(files, mesh)

    expect_error("files unreadable share", unreadable_share, FileNotFoundError, f"rank {bad}", "does not exist")
    put("files no output after errors", not os.path.exists(os.path.join(folder, "x.h5")))
    comm.Barrier()
    if RANK == 0:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def group_abort():
    """Rank 1 fails inside a guarded collective step while the others wait in it: the job must abort."""
    with fd.abort_on_error(comm, "demo step"):
        if RANK == 1:
            raise RuntimeError("rank 1 cannot go on")
        comm.Barrier()
    put("not aborted", True)


def report():
    every = comm.gather(out, root=0)
    if RANK != 0:
        return
    merged = {}
    for key, value in every[0].items():
        vals = [d[key] for d in every if key in d]  # some checks run on rank 0 only
        if isinstance(value, bool):
            merged[key] = all(bool(v) for v in vals)
        elif isinstance(value, float):
            merged[key] = max(float(v) for v in vals)
        elif key.startswith("message"):
            merged[key] = [str(v) for v in vals]
        else:
            merged[key] = value
    print("RESULT " + json.dumps(merged), flush=True)


if __name__ == "__main__":
    fd.apply_thread_share(comm)  # the serial references too: no oversubscribed numba/OpenMP threads
    for group in sys.argv[1:]:
        globals()[f"group_{group}"]()
    report()
