"""The one place that imports mpi4py and mpi4py-fft.

Both are optional (the ``mpi`` extra): ``import fieldconv`` and every serial
operator work without them, and asking for the distributed mode without them
raises :class:`~fieldconv.errors.BackendUnavailableError` with the install
hint.  Nothing here initialises MPI until a distributed object is created.
"""

import importlib

from ..errors import BackendUnavailableError

__all__ = ["INSTALL_HINT", "mpi", "mpi4py_fft", "default_comm"]

#: How to get the distributed mode (one line, repeated in the README).
INSTALL_HINT = (
    "install the FFTW headers mpi4py-fft compiles against (e.g. `apt-get install libfftw3-dev`), "
    "then `pip install \"fieldconv[mpi]\"` (mpi4py, mpich, mpi4py-fft)"
)


def mpi():
    """The ``mpi4py.MPI`` module, or BackendUnavailableError with the install hint."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the distributed mode needs mpi4py, which does not import ({exc}); {INSTALL_HINT}"
        ) from exc
    return MPI


def mpi4py_fft():
    """The ``mpi4py_fft`` module, or BackendUnavailableError with the install hint."""
    mpi()
    try:
        import mpi4py_fft

        importlib.import_module("mpi4py_fft.pencil")  # Subcomm, used by DistributedMesh
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the distributed mode needs mpi4py-fft, which does not import ({exc}); {INSTALL_HINT}"
        ) from exc
    return mpi4py_fft


def default_comm(comm=None):
    """`comm`, or ``MPI.COMM_WORLD`` when None; TypeError for anything but an intracommunicator."""
    MPI = mpi()
    if comm is None:
        return MPI.COMM_WORLD
    if not isinstance(comm, MPI.Intracomm):
        raise TypeError(f"comm must be an mpi4py intracommunicator (e.g. MPI.COMM_WORLD); got {comm!r}")
    return comm
