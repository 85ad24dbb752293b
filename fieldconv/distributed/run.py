"""The particle-mesh Poisson job on a snapshot, across the ranks of a communicator.

:func:`run_poisson` is what ``mpiexec -n P`` runs: each rank reads its share
of the snapshot (:func:`~fieldconv.distributed.files.read_particles`), the
particles go to the ranks owning their cells, are painted, the periodic
Poisson equation is solved on the distributed FFT, and rank 0 writes the
potential (and forces) to one HDF5 file.  The result equals the serial
``fieldconv.paint`` + ``fieldconv.solve_poisson`` on all particles to
round-off, for any number of ranks (one rank included).
"""

import numpy as np

from .agreement import agree_on_errors

__all__ = ["run_poisson"]


def _box_of(path, box_size, ndim, comm):
    if box_size is not None:
        return box_size
    import h5py

    from .files import snapshot_files

    with agree_on_errors(comm, "run_poisson: box size from the snapshot header"):
        with h5py.File(snapshot_files(path)[0], "r") as f:
            box = f["Header"].attrs.get("BoxSize") if "Header" in f else None
        if box is None or not np.all(np.asarray(box, dtype=np.float64) > 0):
            raise ValueError(f"box_size must be given: the snapshot {path!r} has no positive Header/BoxSize")
    return tuple(float(b) for b in np.broadcast_to(np.asarray(box, dtype=np.float64), (ndim,)))


def run_poisson(snapshot, output, *, shape, box_size=None, scheme="cic", green="continuous", forces=False,
                positions="PartType1/Coordinates", masses=None, G=1.0, dtype=np.float64, comm=None,
                decomposition="auto"):
    """Paint a snapshot, solve the periodic Poisson equation, write the potential.  Collective.

    Parameters
    ----------
    snapshot : str, os.PathLike or sequence of them
        One HDF5 file, any piece of a multi-file snapshot, or a list of files
        (see :func:`~fieldconv.distributed.files.snapshot_files`).
    output : str or os.PathLike
        The HDF5 file written by rank 0: datasets ``density`` (mass per
        cell volume) and ``potential`` (and ``forces``, shape ``(d,
        *shape)``, with `forces`), each with a ``units`` attribute (``""``:
        code units with G as given), and the group ``/grid`` (see
        :func:`~fieldconv.distributed.files.write_fields`).
    shape : int or tuple of int
        Mesh cells per axis (an int: the same on every axis, 3-D).
    box_size : float or sequence of float, optional
        Default the snapshot's ``Header/BoxSize``.
    scheme : {"ngp", "cic", "tsc", "pcs"}
        Assignment scheme (also the window of ``green="optimal"``).
    green : {"continuous", "discrete", "optimal"}
    forces : bool
        Also write the forces ``-grad phi`` (spectral differencing).
    positions, masses
        As :func:`~fieldconv.distributed.files.read_particles`.
    G : float
        Gravitational constant in code units.
    dtype : {float64, float32}
        Mesh dtype.
    comm : mpi4py communicator, optional
        Default ``MPI.COMM_WORLD``.
    decomposition : {"auto", "slab", "pencil"}

    Returns
    -------
    str or None
        `output` on rank 0, None on the other ranks.

    Raises
    ------
    FileNotFoundError, KeyError, ValueError, TypeError, OSError
        On every rank (see :func:`read_particles`, :class:`DistributedMesh`).
    BackendUnavailableError
        mpi4py or mpi4py-fft missing (``pip install 'fieldconv[mpi]'``).

    Notes
    -----
    The mass density is painted (``density=True``: mass per cell volume),
    so the potential equals ``fieldconv.solve_poisson(fieldconv.paint(pos,
    box_size=L, shape=n, scheme=scheme, weights=m, density=True), L / n,
    green=green, scheme=scheme, G=G)``.  Run as ``mpiexec -n P python -c
    "from fieldconv.distributed import run_poisson; run_poisson(...)"`` or
    from a script; ``srun`` alike.
    """
    from ._mpi import default_comm
    from .assign import paint
    from .decomposition import DistributedMesh
    from .files import read_particles, write_fields
    from .poisson import DistributedPoissonSolver
    from .routing import route

    comm = default_comm(comm)
    if np.ndim(shape) == 0:
        shape = (shape,) * 3
    box = _box_of(snapshot, box_size, len(shape), comm)
    with DistributedMesh(shape, box, comm=comm, dtype=dtype, decomposition=decomposition) as mesh:
        pos, w = read_particles(snapshot, mesh, positions=positions, masses=masses)
        parts = route(pos, mesh, scheme=scheme, weights=w, sort=False)
        rho = paint(parts, density=True)
        del parts, pos, w
        solver = DistributedPoissonSolver(mesh, green=green, scheme=scheme, G=G, dtype=mesh.dtype)
        if forces:
            phi, f = solver.solve_forces(rho)
            fields = {"density": rho, "potential": phi, "forces": f}
        else:
            fields = {"density": rho, "potential": solver.solve(rho)}
        del rho, solver
        attrs = {"scheme": str(scheme), "green": str(green), "G": float(G), "density": "mass per cell volume"}
        return write_fields(output, fields, mesh, attrs=attrs)
