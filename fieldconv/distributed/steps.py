"""The jobs of :mod:`fieldconv.io` across the ranks of a communicator: what ``mpiexec -n P fieldconv`` runs.

:func:`run_step` takes the serial :func:`fieldconv.io.run_step`'s arguments
and writes the same file: the step's parameters checked by the same code
(:meth:`fieldconv.io.Step.normalize`), the snapshot opened and the grid, G
and units resolved by :func:`fieldconv.io.poisson_setup`, the inputs'
checksums and the task key as serial (computed on rank 0), and the output
written by rank 0 with :func:`fieldconv.io.write_mesh` (provenance plus
``ranks``).  Each rank reads a contiguous range of the particles in reading
order (:meth:`fieldconv.io.Snapshot.iter_particles` with ``select``); the
particles are routed, painted and solved for on the distributed FFT.  The
result equals the serial job's to round-off.

Only ``poisson`` has a distributed mode, for periodic boxes; ``bc="isolated"``
raises the same ``ValueError`` on every rank, before any message.  With
``particles``, the accelerations read out at the particles (on the ranks that
read them) are gathered on rank 0 in the snapshot's order.
"""

import os
import time

import numpy as np

from .agreement import agree_on_errors

__all__ = ["run_step"]

_SERIAL_ONLY = (("bc", "periodic"),)


def _inputs(path, comm):
    """The serial job's input records (path, size, SHA-256), read on rank 0 and sent to all."""
    from ..io import input_record, snapshot_files

    inputs = None
    with agree_on_errors(comm, "poisson: checksum the input files"):
        if comm.Get_rank() == 0:
            inputs = [input_record(f) for f in snapshot_files(path)]
    return comm.bcast(inputs, root=0)


def _gather_rows(values, mesh, total, root=0):
    """The rows (n_local, d) of every rank, in rank order, as one (total, d) array on `root`.  Collective.

    Rank ``r`` holds the rows ``[r total / P, (r + 1) total / P)`` (its share of
    the reading order); they travel one rank at a time, in messages below
    ``mesh.max_message_bytes``.
    """
    from .messages import exchange_bytes

    values = np.ascontiguousarray(values)
    d, dtype = values.shape[1], values.dtype
    out = np.empty((total, d), dtype) if mesh.rank == root else None
    for r in range(mesh.size):
        lo, hi = r * total // mesh.size, (r + 1) * total // mesh.size
        if hi == lo:
            continue
        sends = [(root, values.view(np.uint8).reshape(-1))] if mesh.rank == r else []
        recvs = [(r, (hi - lo) * d * dtype.itemsize)] if mesh.rank == root else []
        exchange_bytes(mesh.comm, sends, recvs, max_message_bytes=mesh.max_message_bytes,
                       out=out[lo:hi].view(np.uint8).reshape(-1) if mesh.rank == root else None)
    return out


def run_step(step, path, output, params=None, *, comm=None, dry_run=False):
    """Run a :mod:`fieldconv.io` job across the ranks of `comm`; the serial job's file.  Collective.

    Parameters
    ----------
    step : {"poisson"}
        The job (the others have no distributed mode yet).
    path : str or os.PathLike
        The snapshot: one file, any piece or the base of a multi-file one.
    output : str or os.PathLike
        The HDF5 file rank 0 writes (atomically); its folder must exist.
    params : dict, optional
        The step's parameters, as :func:`fieldconv.io.run_step`; ``bc`` must
        be "periodic".
    comm : mpi4py intracommunicator, optional
        Default ``MPI.COMM_WORLD``.  Every rank calls with the same arguments.
    dry_run : bool, optional
        Check the parameters, checksum the inputs, compute the task key;
        read no particles and write nothing.

    Returns
    -------
    dict
        As :func:`fieldconv.io.run_step` (``key``, ``output``, ``parameters``,
        ``inputs``, ``dry_run``, ``particles``, ``fields``, ``seconds``),
        plus ``ranks``; the same on every rank.

    Raises
    ------
    ValueError, TypeError
        Bad or serial-only parameters (raised on every rank).
    FileNotFoundError, FileFormatError, OSError
        Missing or unreadable input, an output that cannot be written (on every rank).
    BackendUnavailableError
        mpi4py or mpi4py-fft missing (``pip install 'fieldconv[mpi]'``).

    Examples
    --------
    What ``mpiexec -n 4 fieldconv poisson snap_010 --shape 256 --particles -o pm.h5``
    runs, from a script under ``mpiexec -n 4 python -m mpi4py job.py``::

        from fieldconv.distributed import run_step
        info = run_step("poisson", "snap_010", "pm.h5", {"shape": 256, "particles": True})
        # pm.h5 equals `fieldconv poisson snap_010 --shape 256 --particles -o pm.h5` to round-off

    Notes
    -----
    Painting adds each rank's particles to its block and folds the ghost
    layers into their owners, and the FFT runs on slabs or pencils: the same
    sums in another order, so the datasets differ from the serial job's by
    round-off (measured ≤ 2.1e-15 relative in float64 at P = 2, 3 and 4,
    ``docs/distributed.md``).  Memory on rank 0: every global field, as
    :func:`write_fields`.
    """
    from ..io import STEPS, make_provenance, task_key
    from ._mpi import default_comm

    if step != "poisson":
        raise ValueError(f"step must be 'poisson' (the only job with a distributed mode); got {step!r}")
    p = STEPS[step].normalize(params or {})
    for key, serial in _SERIAL_ONLY:  # the same parameters on every rank: each raises alike, nobody waits
        if p[key] != serial:
            raise ValueError(f"poisson.{key} = {p[key]!r} is not available in the distributed mode "
                             "(several MPI ranks): run it serially, without mpiexec or srun")
    comm = default_comm(comm)
    output = os.path.abspath(os.fspath(output))
    inputs = _inputs(path, comm)
    if output in {os.path.abspath(rec["path"]) for rec in inputs}:
        raise ValueError(f"output {output!r} must not be one of the inputs")
    key = task_key(step, p, [rec["sha256"] for rec in inputs])
    result = {"key": key, "output": output, "parameters": p, "inputs": inputs, "dry_run": bool(dry_run),
              "ranks": comm.Get_size()}
    if dry_run:
        return result
    prov = {**make_provenance(step, p, inputs, key=key), "ranks": comm.Get_size()}
    return {**result, **_poisson(os.fspath(path), output, p, prov, comm)}


def _poisson(path, output, p, provenance, comm):
    from ..io import poisson_setup
    from .assign import paint, readout
    from .decomposition import DistributedMesh
    from .files import write_fields
    from .poisson import DistributedPoissonSolver
    from .routing import route

    t0 = time.perf_counter()
    with agree_on_errors(comm, "poisson: open the snapshot"):
        setup = poisson_setup(path, p)
        snap, grid = setup.snapshot, setup.grid
        if snap.ndim == 1:
            raise ValueError("the distributed mode needs 2-D or 3-D positions; got 1-D: run it serially")
        if snap.box_size is None:
            raise ValueError(f"{snap.files[0]}: the snapshot has no box size (BoxSize missing or 0); "
                             "give the box_size parameter")
        if snap.count() == 0:
            raise ValueError(f"snapshot {snap.files[0]!r} has no particles of the selected types {snap.species}")
        dtype = np.dtype(p["dtype"] or snap.dtype)  # as the serial job: default the positions' dtype
        m_const = snap.constant_mass()  # as serial: unit weights, the mesh scaled once at the end
    with DistributedMesh(grid.shape, grid.box_size, origin=grid.origin, comm=comm, dtype=dtype) as mesh:
        total = snap.count()
        share = (mesh.rank * total // mesh.size, (mesh.rank + 1) * total // mesh.size)
        pos, w = [], []
        with agree_on_errors(comm, "poisson: read this rank's particles"):
            for ch in snap.iter_particles(chunk_size=p["chunk_size"], masses=m_const is None, select=share):
                pos.append(ch.positions)
                if m_const is None:
                    w.append(np.full(len(ch.positions), ch.masses, dtype) if np.ndim(ch.masses) == 0 else ch.masses)
            pos = np.concatenate(pos) if pos else np.empty((0, snap.ndim), snap.dtype)
            w = None if m_const is not None else (np.concatenate(w) if w else np.empty(0, dtype))
        parts = route(pos, mesh, scheme=p["scheme"], weights=w, sort=False)
        rho = paint(parts, density=True)
        del pos, w
        if m_const is not None and m_const != 1.0:
            rho *= rho.dtype.type(m_const)
        t1 = time.perf_counter()
        solver = DistributedPoissonSolver(mesh, green=p["green"], scheme=p["scheme"],
                                          differencing=p["differencing"], G=setup.G, dtype=dtype)
        phi, forces = solver.solve_forces(rho)
        t2 = time.perf_counter()
        fields = {"density": rho, "potential": phi, "forces": forces}
        units, attrs = dict(setup.units), setup.attrs(p, solver.green, solver.differencing)
        whole = {}
        if p["particles"]:  # as the serial job: per species, in the snapshot's order
            acc = _gather_rows(readout(forces, parts), mesh, total)
            start = 0
            for species, (name, at) in setup.particle_datasets(p).items():
                n = snap.counts[species]
                whole[name] = None if acc is None else acc[start:start + n]
                units[name], attrs[name] = units["forces"], at
                start += n
        del parts
        write_fields(output, fields, mesh, units=units, grid=grid, provenance=provenance, dataset_attrs=attrs,
                     compression=p["compression"], whole=whole)
    seconds = {"read+paint": t1 - t0, "solve": t2 - t1, "write": time.perf_counter() - t2}
    return {"particles": total, "fields": list(fields), "seconds": seconds}
