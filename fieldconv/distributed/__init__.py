"""Distributed mode on MPI: particle-mesh Poisson across ranks, equal to serial.

Meshes larger than one node are split into blocks over the ranks of an MPI
communicator, on the engines the field uses: mpi4py for messages and
mpi4py-fft for the distributed real-to-complex FFT (slab and pencil
decompositions of FFTW transforms).  Every operator gives the serial
answer, block by block, to round-off.

==================================  ===============================================
:class:`DistributedMesh`            global grid, process grid, each rank's block
:func:`route`                       particles to the ranks owning their cells
:func:`paint`                       serial paint per block, ghosts folded to owners
:func:`readout`,                    the adjoints, results back at the particles'
:func:`readout_gradient`            home ranks in their original order
:class:`DistributedPoissonSolver`,  periodic potential and forces (every
:func:`solve_poisson`,              periodic Green's function of the serial solver)
:func:`solve_forces`
:func:`agree_on_errors`             a local step whose failure every rank learns
:func:`thread_share`                this rank's share of its node's cores
:func:`read_particles`              this rank's share of an HDF5 snapshot
:func:`write_fields`                gathered blocks to one HDF5 file (rank 0)
:func:`run_poisson`                 snapshot -> potential file, the mpiexec job
:func:`run_step`                    ``fieldconv.io``'s poisson job across ranks
                                    (what ``mpiexec -n P fieldconv poisson`` runs)
:func:`launched_ranks`              ranks of the job this process was started in
==================================  ===============================================

Needs the ``mpi`` extra (mpi4py, mpich, mpi4py-fft); without it, importing
this subpackage works and creating a mesh raises
:class:`~fieldconv.errors.BackendUnavailableError` with the install hint.
Run scripts with ``mpiexec -n P python -m mpi4py script.py`` (or ``srun``):
``-m mpi4py`` aborts the whole job when one rank dies of an uncaught
exception.  See ``docs/distributed.md``.

Examples
--------
A particle-mesh force step, under ``mpiexec -n 4 python -m mpi4py step.py``::

    import numpy as np
    from mpi4py import MPI
    from fieldconv import distributed as fd

    mesh = fd.DistributedMesh((128, 128, 128), box_size=1.0)
    pos = my_particles()                                # this rank's (N, 3) positions
    parts = fd.route(pos, mesh, scheme="tsc")           # one exchange for paint and readout
    rho = fd.paint(parts, density=True)                 # this rank's block
    solver = fd.DistributedPoissonSolver(mesh, green="optimal", scheme="tsc")
    phi, forces = solver.solve_forces(rho)
    acc = fd.readout(forces, parts)                     # (N, 3), in the order of pos
"""

import importlib as _importlib

__all__ = [
    "DistributedMesh",
    "process_grid",
    "RoutedParticles",
    "route",
    "paint",
    "readout",
    "readout_gradient",
    "DistributedPoissonSolver",
    "solve_poisson",
    "solve_forces",
    "agree_on_errors",
    "abort_on_error",
    "CollectiveError",
    "thread_share",
    "apply_thread_share",
    "ranks_per_node",
    "snapshot_files",
    "read_particles",
    "write_fields",
    "run_poisson",
    "run_step",
    "launched_ranks",
    "is_available",
]

_EXPORTS = {
    "DistributedMesh": "decomposition",
    "process_grid": "decomposition",
    "RoutedParticles": "routing",
    "route": "routing",
    "paint": "assign",
    "readout": "assign",
    "readout_gradient": "assign",
    "DistributedPoissonSolver": "poisson",
    "solve_poisson": "poisson",
    "solve_forces": "poisson",
    "agree_on_errors": "agreement",
    "abort_on_error": "agreement",
    "CollectiveError": "agreement",
    "thread_share": "threads",
    "apply_thread_share": "threads",
    "ranks_per_node": "threads",
    "snapshot_files": "files",
    "read_particles": "files",
    "write_fields": "files",
    "run_poisson": "run",
    "run_step": "steps",
}


def is_available():
    """True when mpi4py and mpi4py-fft are installed (found without importing them).

    Importing ``mpi4py.MPI`` initialises MPI, so this only looks the
    packages up; creating a :class:`DistributedMesh` imports them.

    Examples
    --------
    >>> from fieldconv import distributed
    >>> isinstance(distributed.is_available(), bool)
    True
    """
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("mpi4py", "mpi4py_fft"))


#: Environment variables that MPI launchers set to the job's number of ranks (MPICH/Hydra and
#: Intel MPI, Open MPI, srun with PMI or PMIx).
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS")


def launched_ranks():
    """Number of ranks of the MPI job this process belongs to (1 outside one), without importing MPI.

    Read from the launcher's environment (``PMI_SIZE`` for MPICH's
    ``mpiexec`` and ``srun --mpi=pmi2``, ``OMPI_COMM_WORLD_SIZE`` for Open
    MPI, ``PMIX_SIZE``, then ``SLURM_NTASKS``).  The command line uses it to
    run distributed under ``mpiexec -n P`` (P > 1) without a flag, importing
    mpi4py only then.

    Examples
    --------
    >>> from fieldconv import distributed
    >>> distributed.launched_ranks() >= 1
    True
    """
    import os

    for var in _SIZE_VARIABLES[:3]:
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) >= 1:
            return int(value)
    if os.environ.get("SLURM_STEP_ID") is not None:  # inside an srun step (not a bare sbatch script)
        value = os.environ.get("SLURM_NTASKS", "")
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return 1


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldconv.distributed' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"fieldconv.distributed.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
